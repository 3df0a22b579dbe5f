"""What lives inside the ``jsonb`` columns of Parse's own tables (Arrays and Objects), read in
place (``layout="parse"``): every answer SQL gives equals the reference evaluator's.

The tables are made as Parse Server makes them (``_SCHEMA`` and one table per class) in a
schema of the test cluster, as tests/test_pg_parse_odd_rows.py does, so the cells can hold what
Parse Server stores as a client sends it (a Date inside an Object keeps the ``iso`` text it was
given, microseconds and offsets included) and what a hand edit leaves (a JSON ``null`` where
Parse itself keeps SQL NULL). The end-to-end path through a live Parse Server is in
tests/importers/test_parse_in_place.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import querylang

from .pg import parse_opener

_SCHEMA = {"className": "Item", "fields": {
    "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
    "list": {"type": "Array"}, "meta": {"type": "Object"}}}  # fmt: skip


def _parse_db(url: str, rows: list[tuple[str | None, str | None]]) -> None:
    """``_SCHEMA`` and the table ``Item``, one row per (list, meta) jsonb text (None: SQL NULL),
    with the ids r0, r1, …"""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(_SCHEMA)])
        con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "list" jsonb, "meta" jsonb)')
        for i, (list_, meta) in enumerate(rows):
            con.execute('INSERT INTO "Item" VALUES (%s, now(), now(), NULL, NULL, %s::jsonb, %s::jsonb)', [f"r{i}", list_, meta])


@pytest.fixture
def open_parse(pg_cluster: Any) -> Iterator[Any]:
    with parse_opener(pg_cluster, _parse_db) as open_:
        yield open_


def _alike(db: querylang.Database, wheres: list[dict[str, Any]], sorts: tuple[str | None, ...] = (None,)) -> None:
    for where in wheres:
        for sort in sorts:
            kw = {"sort": sort} if sort else {}
            assert db.query("Item", where, **kw).ids == db.reference("Item", where, **kw).ids, (where, sort)


def test_json_null_in_a_column_is_missing_alike(open_parse: Any) -> None:
    # r0: a JSON null in both columns (a hand edit; Parse itself writes SQL NULL, as r2 has).
    db = open_parse([("null", "null"), ("[]", "{}"), (None, None), ("[null]", '{"a": null}'), ('[1, "x"]', '{"a": 1}')])
    assert "list" not in db.query("Item", {"objectId": "r0"}).records[0]
    wheres: list[dict[str, Any]] = []
    for field in ("list", "meta"):
        wheres += [{field: {"exists": True}}, {field: {"exists": False}}, {field: {"equalTo": None}},
                   {field: {"notEqualTo": None}}, {field: {"containedIn": [None]}}, {field: {"notContainedIn": [None]}}]
    wheres += [{"list": {"equalTo": []}}, {"list": {"notEqualTo": 1}}, {"list": {"containedIn": [1, None]}},
               {"list": {"all": [1]}}, {"list": {"containedBy": [1, "x"]}}, {"meta": {"equalTo": {}}}, {"meta": {"notEqualTo": {"a": 1}}},
               {"meta.a": {"exists": True}}, {"meta.a": {"equalTo": None}}, {"meta.a": {"notEqualTo": 1}}]
    assert db.query("Item", {"list": {"exists": True}}).ids == ["r1", "r3", "r4"]
    _alike(db, wheres, (None, "meta.a", "-meta.a"))


# iso texts of a Date inside jsonb: Parse stores the iso a client sends as it is (a Python
# client's isoformat has microseconds and '+00:00'), so each form values.parse_iso reads is a
# date at its millisecond, and each it does not (no such day, hour 24, second 60, past year
# 9999 once the offset is applied) an object like any other, never an error.
ISOS = [
    "2024-01-02T03:04:05.123Z", "2024-01-02T03:04:05.123456Z", "2024-01-02T03:04:05.123999+00:00",
    "2024-01-02T03:04:05.1Z", "2024-01-02T03:04:05Z", "2024-01-02T03:04Z", "2024-01-02",
    "2024-01-02T03:04:05.123456789+05:30", "2024-01-02T03:04:05.123-0800", "2024-01-02 03:04:05.5",
    " 2024-01-02T03:04:05.123Z ", "+002024-01-02T03:04:05.000Z", "2024-02-29T00:00:00.000Z",
    "2000-02-29T00:00:00Z", "0005-06-07T08:09:10.011Z", "0001-01-01T00:30:00+00:30",
    "9999-12-31T23:30:00-00:29",
    # not dates
    "2023-02-29T00:00:00.000Z", "1900-02-29T00:00:00Z", "2024-02-30T00:00:00.000Z", "2024-04-31T00:00:00Z",
    "2024-01-02T24:00:00.000Z", "2024-01-02T23:59:60.000Z", "2024-13-01T00:00:00Z", "2024-01-02T03:04:05+24:00",
    "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "0000-01-01T00:00:00Z", "2024-1-02T00:00:00Z",
    "2024-01-02T03:04:05.Z", "2024-01-02T03:04:05.1234567890Z", "2024-01-02T03:04:05.123z", "not a date",
]  # fmt: skip


def _date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


def test_dates_inside_json_in_every_iso_form_alike(open_parse: Any) -> None:
    from querylang.model.values import parse_iso

    rows = [(json.dumps([_date(iso)]), json.dumps({"d": _date(iso)})) for iso in ISOS]
    db = open_parse(rows)
    dates = sorted({d for d in map(parse_iso, ISOS) if d is not None})
    assert len(dates) >= 12
    wheres: list[dict[str, Any]] = [{"meta.d.iso": {"exists": True}}, {"meta.d": {"exists": True}}]
    for d in dates:
        v = _date(d.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        wheres += [{"meta.d": {"equalTo": v}}, {"list": {"equalTo": v}}, {"list": {"containedIn": [v, 1]}},
                   {"list": {"all": [v]}}, {"meta.d": {"containedIn": [v]}}, {"meta.d": {"notEqualTo": v}}]
    pivot = _date("2024-01-02T03:04:05.123Z")
    for op in ("lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo"):
        wheres += [{"meta.d": {op: pivot}}, {"list": {op: pivot}}]
    assert db.query("Item", {"meta.d": {"equalTo": pivot}}).ids == ["r0", "r1", "r10", "r2"]
    _alike(db, wheres)
    _alike(db, [{}], ("meta.d", "-meta.d"))


def test_dates_nested_in_a_whole_compared_value_in_every_iso_form_alike(open_parse: Any) -> None:
    """An Object or Array compared whole (or an element or path value that is one) holding a
    Date: SQL compared the jsonb as stored, so {d: Date} in any iso form but toISOString's
    missed equalTo {d: that date}, which db.reference matches (and notEqualTo took it)."""
    from querylang.model.values import parse_iso

    rows = [(json.dumps([[_date(iso)], {"k": _date(iso)}]), json.dumps({"d": _date(iso), "e": [_date(iso)], "o": {"f": _date(iso)}}))
            for iso in ISOS]
    db = open_parse(rows)
    dates = sorted({d for d in map(parse_iso, ISOS) if d is not None})
    wheres: list[dict[str, Any]] = []
    for d in dates:
        v = _date(d.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        whole = {"d": v, "e": [v], "o": {"f": v}}
        wheres += [{"meta": {"equalTo": whole}}, {"meta": {"notEqualTo": whole}}, {"meta": {"containedIn": [whole, {"d": 1}]}},
                   {"list": {"equalTo": [[v], {"k": v}]}}, {"list": {"equalTo": [v]}}, {"list": {"equalTo": {"k": v}}},
                   {"list": {"containedIn": [[v], 2]}}, {"list": {"all": [[v], {"k": v}]}}, {"list": {"notContainedIn": [{"k": v}]}},
                   {"meta.e": {"equalTo": [v]}}, {"meta.o": {"equalTo": {"f": v}}}, {"meta.o": {"containedIn": [{"f": v}]}}]
    pivot = _date("2024-01-02T03:04:05.123Z")
    assert db.query("Item", {"meta": {"equalTo": {"d": pivot, "e": [pivot], "o": {"f": pivot}}}}).ids == ["r0", "r1", "r10", "r2"]
    _alike(db, wheres)


def test_every_iso_form_reads_as_parse_iso_reads_it(pg_cluster: Any) -> None:
    """parse_layout.date_value over texts made of the parts of an ISO date, good and bad, each
    as values.parse_iso reads it: the same instant, or no date (and never an error)."""
    import itertools
    import random

    from querylang.engines.postgres.parse_layout import date_value
    from querylang.model.values import parse_iso

    years = ["2024", "1900", "2000", "2023", "0001", "9999", "0000", "+2024", "-2024", "02024", "+002000", "12024", "202"]
    days = ["01-01", "02-28", "02-29", "02-30", "04-30", "04-31", "12-31", "13-01", "00-10", "01-00", "01-32"]
    times = ["", "T00:00", "T23:59:59", "T24:00:00", "T12:60", "T12:00:60", " 03:04:05", "t03:04"]
    fractions = ["", ".1", ".12", ".123", ".1234", ".999999", ".9999999", ".123456789", ".1234567890", "."]
    zones = ["", "Z", "z", "+00:00", "-00:00", "+0000", "-0800", "+05:30", "+23:59", "-23:59", "+24:00", "+05:60", "+5:30"]
    pads = [("", ""), (" ", "\n")]
    texts = sorted({"".join(p[0] + y + "-" + d + t + (f if t.count(":") == 2 else "") + (z if t else "") + p[1])
                    for y, d, t, f, z, p in itertools.product(years, days, times, fractions, zones, pads)})
    texts = random.Random(7).sample(texts, 3000) + [s + z for s in ("0001-01-01T00:30:00", "9999-12-31T23:30:00")
                                                    for z in ("+00:30", "+00:31", "-00:29", "-00:30", "Z")]
    with psycopg.connect(pg_cluster.url()) as con:
        con.execute("SET TimeZone = 'Asia/Kathmandu'")  # +05:45: the session's zone plays no part
        got = con.execute(
            f"SELECT to_char({date_value('x.j')} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
            "FROM unnest(%s::jsonb[]) WITH ORDINALITY AS x(j, k) ORDER BY k",
            [[json.dumps(_date(t)) for t in texts]],
        ).fetchall()
    for text, (sql,) in zip(texts, got, strict=True):
        want = parse_iso(text)
        assert sql == (want.isoformat(timespec="milliseconds").replace("+00:00", "Z") if want else None), text


def test_dates_inside_json_are_shown_as_the_reference_shows_them(open_parse: Any) -> None:
    """A Date inside an Array or Object is shown at its millisecond in toISOString's form, as
    db.reference and an import (querylang import parse-server) show it, whatever iso it was
    stored with; one that names no date is shown as stored."""
    stored = [_date("2024-01-02T03:04:05.123456Z"), {"k": [_date("2024-01-02T04:04:05.1+01:00")]},
              _date("2024-02-30T00:00:00.000Z"), {"__type": "Date", "iso": "2024-01-02", "x": 1}, "Date"]
    db = open_parse([(json.dumps(stored), json.dumps({"d": stored[0], "o": stored[1], "bad": stored[2]}))])
    got = db.query("Item", {}).records
    assert got == db.reference("Item", {}).records
    assert got[0]["list"][:3] == [_date("2024-01-02T03:04:05.123Z"), {"k": [_date("2024-01-02T03:04:05.100Z")]},
                                  _date("2024-02-30T00:00:00.000Z")]
    assert got[0]["meta"]["d"] == _date("2024-01-02T03:04:05.123Z")


def test_sessions_do_not_compile_the_long_expressions(open_parse: Any) -> None:
    """The Date and element expressions (parse_layout) are long: PostgreSQL's JIT, which their
    estimated cost would start on a table of some ten thousand rows, is off for these sessions."""
    db = open_parse([("[1]", "{}")])
    with db.store.connection() as con:  # type: ignore[attr-defined]
        assert con.execute("SHOW jit").fetchone() == ("off",)


# Numbers jsonb holds and a double does not (a hand edit: jsonb keeps any numeric), where the
# decoder reads each row: the largest double is about 1.8e308.
PAST_DOUBLE_ROWS = [("[1e400]", None), (None, '{"a": {"b": -2e308}}'), ("[2, 1.7e308]", '{"a": {"b": 2}}')]


def test_a_number_past_a_double_in_a_cell_names_the_place(open_parse: Any) -> None:
    """Read whole, a record showed the number as an integer of 400 digits (orjson refuses it,
    the json module reads it as an int) where db.reference, reading the same row, refuses it
    as "number out of range": both name the class, record and field now."""
    db = open_parse(PAST_DOUBLE_ROWS)
    for oid, field in (("r0", "list"), ("r1", "meta")):
        with pytest.raises(querylang.DataError, match=f"class Item, record {oid}, field {field}: .*out of range"):
            db.query("Item", {"objectId": oid})
    with pytest.raises(querylang.DataError, match="class Item, record r0, field list: .*out of range"):
        db.reference("Item", {})  # which reads every row first
    assert db.query("Item", {"objectId": "r2"}).records[0]["list"] == [2, 1.7e308]


def test_a_query_comparing_a_number_past_a_double_names_the_place(open_parse: Any) -> None:
    """A filter or sort on such a number failed with the server's words only: 'the database
    rejected the query: "1000…000" is out of range for type double precision' (PostgreSQL
    casts the jsonb number to compare it), a number of 400 digits and no place."""
    db = open_parse(PAST_DOUBLE_ROWS)
    asked = [(lambda: db.query("Item", {"list": {"greaterThan": 1}}), "r0", "list"),
             (lambda: list(db.stream("Item", {"list": {"lessThan": 1}})), "r0", "list"),
             (lambda: db.query("Item", {"meta.a.b": {"lessThan": 0}}), "r1", "meta"),
             (lambda: db.query("Item", {"objectId": {"exists": True}}, sort="meta.a.b", limit=1), "r1", "meta")]
    for ask, oid, field in asked:
        with pytest.raises(querylang.DataError, match=f"^class Item, record {oid}, field {field}: .*out of a double's range"):
            ask()
    assert db.query("Item", {"list": {"equalTo": 2}}).ids == ["r2"]  # no cast, no error

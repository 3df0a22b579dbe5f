"""Parse Server's own PostgreSQL tables read in place (``layout="parse"``) holding what Parse
Server itself writes, random documents and corners: every answer SQL gives, records included,
equals the reference evaluator's, and its ids and count are those the same data loaded into
querylang's own tables gives (the in-place property of tests/importers/test_parse_in_place.py
runs on the conformance data only).

The tables are made as Parse Server makes them (``_SCHEMA``, one table per class, one
``_Join:<key>:<Class>`` table per Relation) in a schema of the test cluster, as
tests/test_pg_parse_json.py does; a number inside ``jsonb`` is written as JavaScript's
``JSON.stringify`` writes the double it holds (Parse Server is JavaScript).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryError

from . import strategies as qs
from .conftest import PG_REFUSES, heavy_examples, pg_examples
from .pg import cluster_sql, fresh_url, parse_opener
from .test_aggregate_edges import _check as check_aggregates_and_stream
from .test_property_gaps import gap_cases

_SCHEMA = {"className": "Item", "fields": {
    "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
    "list": {"type": "Array"}, "meta": {"type": "Object"}}}  # fmt: skip


def _parse_db(url: str, rows: list[str]) -> None:
    """``_SCHEMA`` and the table ``Item``: row k (id rk) holds the jsonb text ``[t]`` in ``list``
    and ``{"x": t, "w": [t]}`` in ``meta`` for the k-th number text t."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(_SCHEMA)])
        con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "list" jsonb, "meta" jsonb)')
        for k, t in enumerate(rows):
            con.execute("INSERT INTO \"Item\" VALUES (%s, '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', NULL, NULL, %s::jsonb, %s::jsonb)",
                        [f"r{k}", f"[{t}]", f'{{"x": {t}, "w": [{t}]}}'])


@pytest.fixture
def open_parse(pg_cluster: Any) -> Iterator[Any]:
    with parse_opener(pg_cluster, _parse_db) as open_:
        yield open_


# Doubles from 2**53 up, as JSON.stringify writes them: the shortest digits that name the double,
# padded with zeros (2**63 is 9223372036854775808, written 9223372036854776000).
JS_NUMBERS = {
    2**53: "9007199254740992", 2**54: "18014398509481984", 2**62: "4611686018427388000",
    2**63: "9223372036854776000", -(2**63): "-9223372036854776000", 2**64 - 2**11: "18446744073709550000",
    1.2345678901234568e19: "12345678901234567000", 1e21: "1e+21", 3: "3",
}  # fmt: skip


def test_numbers_past_2_53_as_parse_writes_them_are_shown_as_the_reference_shows_them(open_parse: Any) -> None:
    """Read whole, a record showed 9223372036854776000 (an integer of Python's, which is not the
    double 2**63 it stands for) where db.reference and the same data in querylang's own tables
    show 9.223372036854776e+18: the jsonb text was shown as written, for every number from 2**53
    up to 2**64 that Parse Server writes (docs/semantics.md#numbers: doubles from 2**53 on)."""
    db = open_parse(list(JS_NUMBERS.values()))
    got = db.query("Item", {}, sort="objectId").records
    assert got == db.reference("Item", {}, sort="objectId").records
    with querylang.connect() as own:
        own.load({"classes": {"Item": {"fields": {"list": {"type": "Array"}, "meta": {"type": "Object"}}}},
                  "records": {"Item": [{"objectId": f"r{k}", "createdAt": "2024-01-01T00:00:00.000Z", "list": [v], "meta": {"x": v, "w": [v]}}
                                       for k, v in enumerate(JS_NUMBERS)]}})
        assert got == own.query("Item", {}, sort="objectId").records
    for rec, v in zip(sorted(got, key=lambda r: int(r["objectId"][1:])), JS_NUMBERS, strict=True):
        shown = rec["list"][0]
        assert shown == v and type(shown) is (int if abs(v) < 2**53 else float), (v, shown)
        assert rec["meta"] == {"x": shown, "w": [shown]}


def test_numbers_past_2_53_as_parse_writes_them_compare_as_their_doubles(open_parse: Any) -> None:
    db = open_parse(list(JS_NUMBERS.values()))
    for k, v in enumerate(JS_NUMBERS):
        for where in ({"list": v}, {"meta.x": v}, {"meta.w": [v]}, {"meta": {"x": v, "w": [v]}}, {"list": {"containedIn": [v, "a"]}}):
            got = db.query("Item", where).ids
            assert got == db.reference("Item", where).ids == [f"r{k}"], where


# --- random documents as Parse Server's tables ---------------------------------------------------

# The types Parse's tables are read in place with (docs/parse-in-place.md, "Left out").
IN_PLACE = {"String", "Number", "Boolean", "Date", "Array", "Object", "Pointer", "Relation", "GeoPoint"}
_COLUMN = {"String": "text", "Number": "double precision", "Boolean": "boolean", "Date": "timestamptz",
           "Array": "jsonb", "Object": "jsonb", "Pointer": "text", "GeoPoint": "point"}  # fmt: skip


def _js(value: Any) -> Any:
    """A JSON value as JSON.stringify writes it: every number a double, an integral one without
    a fraction (2**53 + 1 is 2**53, 1.0 is 1, -0.0 is 0)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        f = float(value)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if isinstance(value, list):
        return [_js(v) for v in value]
    return {k: _js(v) for k, v in value.items()}


def _iso(value: Any) -> str:
    return value["iso"] if isinstance(value, dict) else value


def _cell(ftype: str, value: Any) -> tuple[str, Any]:
    """(placeholder, parameter) of a value in its Parse column."""
    if ftype in ("Array", "Object"):
        return "%s::jsonb", json.dumps(_js(value))
    if ftype == "Date":
        return "%s", _iso(value)
    if ftype == "Pointer":
        return "%s", value if isinstance(value, str) else value["objectId"]
    if ftype == "GeoPoint":
        return "%s::point", f"({value['longitude']},{value['latitude']})"
    return "%s", _js(value)


def _write_parse_tables(url: str, doc: dict[str, Any]) -> None:
    """The document as Parse Server keeps it: no stored null (a NULL cell), an updatedAt
    (its createdAt when the record has none, as a load gives), Relations as join rows."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        for cls, spec in doc["classes"].items():
            fields = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
                      "ACL": {"type": "ACL"}, **spec["fields"]}
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', [cls, json.dumps({"className": cls, "fields": fields})])
            columns = [(f, fs["type"]) for f, fs in spec["fields"].items() if fs["type"] != "Relation"]
            con.execute(f'CREATE TABLE "{cls}" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                        '"_rperm" text[], "_wperm" text[]' + "".join(f', "{f}" {_COLUMN[t]}' for f, t in columns) + ")")
            names = ", ".join(f'"{f}"' for f in ["objectId", "createdAt", "updatedAt", *(f for f, _ in columns)])
            for rec in doc["records"].get(cls, []):
                cells = [("%s", rec["objectId"]), ("%s", _iso(rec["createdAt"])), ("%s", _iso(rec.get("updatedAt") or rec["createdAt"]))]
                cells += [("%s", None) if rec.get(f) is None else _cell(t, rec[f]) for f, t in columns]
                con.execute(f'INSERT INTO "{cls}" ({names}) VALUES ({", ".join(c[0] for c in cells)})', [c[1] for c in cells])
            for key in (f for f, fs in spec["fields"].items() if fs["type"] == "Relation"):
                edges = {(t, r["objectId"]) for r in doc["records"].get(cls, []) if isinstance(r.get(key), list) for t in r[key]}
                edges |= {(e["targetId"], e["objectId"]) for e in doc["relations"] if (e["class"], e["key"]) == (cls, key)}
                con.execute(f'CREATE TABLE "_Join:{key}:{cls}" ("relatedId" varchar(120), "owningId" varchar(120), '
                            'PRIMARY KEY ("relatedId", "owningId"))')
                for edge in sorted(edges):
                    con.execute(f'INSERT INTO "_Join:{key}:{cls}" VALUES (%s, %s)', list(edge))


def _in_place_only(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without the fields Parse's tables are not read in place with (and ACL)."""
    for cls, spec in doc["classes"].items():
        dropped = {f for f, fs in spec["fields"].items() if fs["type"] not in IN_PLACE}
        spec["fields"] = {f: fs for f, fs in spec["fields"].items() if f not in dropped}
        for rec in doc["records"].get(cls, []):
            for f in dropped:
                rec.pop(f, None)
    return doc


@st.composite
def _random_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    doc = _in_place_only(draw(qs.documents(created=True)))
    return doc, draw(st.lists(qs.queries(doc), min_size=1, max_size=6))


def _answer(ask: Any, cls: str, where: Any, kw: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "ok", ask(cls, where, **kw)
    except QueryError as exc:
        return "error", exc


def _in_place_matches(pg_cluster: Any, case: Any, batch: int) -> None:
    """In place, SQL = the reference (ids in order, records, count, or the same error), and
    the ids and count are those of the document loaded into DuckDB; count, distinct, aggregate
    and stream (in batches of ``batch``) answer as the reference too."""
    doc, queries = case
    url = fresh_url(pg_cluster)
    _write_parse_tables(url, doc)
    with querylang.connect(url, layout="parse") as parse, querylang.connect() as own:
        own.load(copy.deepcopy(doc))
        for cls, where, kw in queries:
            context = f"class={cls} where={where!r} kw={kw!r}"
            sql_kind, sql = _answer(parse.query, cls, where, kw)
            ref_kind, ref = _answer(parse.reference, cls, where, kw)
            own_kind, loaded = _answer(own.query, cls, where, kw)
            if sql_kind == "error" and PG_REFUSES in str(sql):
                continue
            if "error" in (sql_kind, ref_kind, own_kind):
                assert (sql_kind, type(sql)) == (ref_kind, type(ref)) == (own_kind, type(loaded)), (
                    f"{context}\nin place: {sql!r}\nreference: {ref!r}\nown tables: {loaded!r}")
                continue
            assert (sql.ids, sql.records, sql.count) == (ref.ids, ref.records, ref.count), context
            assert (sql.ids, sql.count) == (loaded.ids, loaded.count), context
        check_aggregates_and_stream(parse, doc, queries, batch)
    cluster_sql(pg_cluster, f"DROP SCHEMA {url.rsplit('%3D', 1)[1]} CASCADE")


_SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
_BATCHES = st.sampled_from((1, 2, 1000))


@settings(max_examples=pg_examples(), suppress_health_check=_SLOW)
@given(_random_cases(), _BATCHES)
def test_random_documents_in_place_match_the_reference_and_a_load(pg_cluster: Any, case: Any, batch: int) -> None:
    _in_place_matches(pg_cluster, case, batch)


@settings(max_examples=pg_examples(heavy_examples()), suppress_health_check=_SLOW)
@given(gap_cases(), _BATCHES)
def test_gap_documents_in_place_match_the_reference_and_a_load(pg_cluster: Any, case: Any, batch: int) -> None:
    """Dot paths, Pointer hops, extreme numbers and odd strings (tests/test_property_gaps.py)."""
    _in_place_matches(pg_cluster, case, batch)

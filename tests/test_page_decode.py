"""A query's page decoded at once (engines/duckdb/decode.page_decoder): the very records, in the
same key order, as the row decoder gives one row at a time, whatever the dates and fields hold."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

import querylang
from querylang.engines.duckdb.decode import PAGE_DATES, make_decoder, page_decoder
from querylang.engines.duckdb.layout import NULLS_COLUMN
from querylang.model.schema import Schema

SCHEMA = Schema.from_json({"Thing": {"fields": {
    "tags": {"type": "Array"}, "meta": {"type": "Object"}, "n": {"type": "Number"}, "when": {"type": "Date"},
    "where": {"type": "GeoPoint"}, "title": {"type": "String"}, "due": {"type": "Date"},
}}})  # fmt: skip
COLUMNS = ["objectId", "createdAt", "updatedAt", "tags", "meta", "n", "when", "where:lat", "where:lng", "title", "due",
           NULLS_COLUMN]  # fmt: skip

# Dates orjson writes in another form than 'YYYY-MM-DDTHH:MM:SS.fffZ': on the second (no
# fraction), with microseconds, at the ends of a datetime's range; and ordinary ones.
DATES = [
    datetime(2024, 3, 1, 23, 30, 0, 120000), datetime(2024, 3, 1), datetime(2024, 3, 1, 0, 0, 5),
    datetime(2024, 3, 1, 12, 0, 0, 814123), datetime(2024, 3, 1, 12, 0, 0, 1000), datetime(2024, 3, 1, 12, 0, 0, 999),
    datetime(1, 1, 1), datetime(999, 12, 31, 23, 59, 59, 999000), datetime.max, datetime(1970, 1, 1, 0, 0, 0, 100000),
]  # fmt: skip


def _same(rows: list[tuple[Any, ...]]) -> None:
    cls = SCHEMA.get("Thing")
    one = make_decoder(cls, COLUMNS)
    want = [one(r) for r in rows]
    got = page_decoder(cls, COLUMNS)(rows)
    assert got == want
    assert [list(r) for r in got] == [list(r) for r in want]  # the same key order


def _rows(n: int, seed: int) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)

    def date() -> datetime:
        return rng.choice(DATES) if rng.random() < 0.5 else datetime(2020, 1, 1) + timedelta(milliseconds=rng.randrange(10**11))

    rows = []
    for k in range(n):
        c = date()
        u = c if rng.random() < 0.5 else date()
        nulls = rng.choice([None, ["title"], ["when", "tags"]])
        rows.append((
            f"o{k}", c, u,
            rng.choice([None, "[]", '[{"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}, {"a": [1, "é"]}]',
                        '[{"__type": "Pointer", "className": "User", "objectId": "u1"}, "x"]']),
            rng.choice([None, "{}", '{"when": {"__type": "Date", "iso": "1999-12-31T23:59:59.999Z"}, "名": "値"}']),
            rng.choice([None, 2.0, 0.5, -0.0, 2.0**60]),
            None if rng.random() < 0.3 else date(),
            *rng.choice([(None, None), (1.5, -3.0)]),
            rng.choice([None, "", "ünïcødé ✓", "a\u0000b"]),
            None if rng.random() < 0.3 else date(),
            nulls,
        ))  # fmt: skip
    return rows


@pytest.mark.parametrize("n", [0, 1, 5, PAGE_DATES // 3, PAGE_DATES // 3 + 1, 100, 1000])
def test_page_is_the_rows_decoded_one_by_one(n: int) -> None:
    # Below and above the page size from which the dates are formatted at once.
    for seed in range(5):
        _same(_rows(n, seed))


def test_every_odd_date_in_one_page() -> None:
    rows = [("o", d, d, None, None, None, d, None, None, None, d, None) for d in DATES] * 5
    _same(rows)
    got = page_decoder(SCHEMA.get("Thing"), COLUMNS)(rows)
    assert [r["createdAt"] for r in got[: len(DATES)]] == [
        "2024-03-01T23:30:00.120Z", "2024-03-01T00:00:00.000Z", "2024-03-01T00:00:05.000Z", "2024-03-01T12:00:00.814Z",
        "2024-03-01T12:00:00.001Z", "2024-03-01T12:00:00.000Z", "0001-01-01T00:00:00.000Z", "0999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:59.999Z", "1970-01-01T00:00:00.100Z",
    ]  # fmt: skip


def test_json_orjson_refuses_in_a_page() -> None:
    # A number past a double's range: that row through the json module, the others as usual.
    rows = _rows(100, 7)
    rows[50] = (*rows[50][:3], "[1e400, 1]", *rows[50][4:-1], None)
    _same(rows)
    assert page_decoder(SCHEMA.get("Thing"), COLUMNS)(rows)[50]["tags"] == [float("inf"), 1]


def test_a_query_gives_the_records_as_stored() -> None:
    # End to end on DuckDB: a page of many records with every field kind, as loaded.
    recs = []
    for k in range(300):
        rec: dict[str, Any] = {"objectId": f"i{k:03}", "createdAt": f"2024-02-{k % 28 + 1:02}T0{k % 10}:00:00.{k:03}Z"}
        if k % 3:
            rec["updatedAt"] = f"2024-03-01T00:00:{k % 60:02}.000Z"
        if k % 4:
            rec["due"] = {"__type": "Date", "iso": f"2025-01-01T00:00:00.{k % 7:03}Z"}
        if k % 5:
            rec["tags"] = [{"at": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}, {"__type": "Pointer", "className": "Person", "objectId": "p1"}]
        if k % 6 == 1:
            rec["meta"] = None
        elif k % 6:
            rec["meta"] = {"名": "ünï", "n": k}
        if k % 7:
            rec["owner"] = "p1"
        recs.append(rec)
    db = querylang.connect()
    db.load({
        "classes": {
            "Person": {"fields": {"nick": {"type": "String"}}},
            "Item": {"fields": {"due": {"type": "Date"}, "tags": {"type": "Array"}, "meta": {"type": "Object"},
                                "owner": {"type": "Pointer", "targetClass": "Person"}}},
        },
        "records": {"Person": [{"objectId": "p1", "nick": "ann"}], "Item": recs},
    })  # fmt: skip
    res = db.query("Item", None, sort=["objectId"], limit=200, skip=50)
    one = make_decoder(db.schema.get("Item"), res.plan.columns)
    assert res.records == [one(r) for r in db.store.execute(res.plan.sql, res.plan.params)]
    got = {r["objectId"]: r for r in res.records}
    assert got["i051"]["createdAt"] == "2024-02-24T01:00:00.051Z" and got["i051"]["updatedAt"] == "2024-02-24T01:00:00.051Z"
    assert got["i053"]["updatedAt"] == "2024-03-01T00:00:53.000Z" and got["i053"]["due"] == "2025-01-01T00:00:00.004Z"
    assert got["i061"]["tags"][0] == {"at": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}
    assert got["i061"]["meta"] is None and "meta" not in got["i060"] and got["i062"]["meta"] == {"名": "ünï", "n": 62}
    assert "owner" not in got["i070"] and got["i071"]["owner"] == "p1"

"""Parse Server's own PostgreSQL tables read in place (``layout="parse"``) holding what Parse
Server itself writes at the corners: every answer SQL gives, records included, equals the
reference evaluator's and the one the same data loaded into querylang's own tables gives.

The tables are made as Parse Server makes them (``_SCHEMA`` and one table per class) in a schema
of the test cluster, as tests/test_pg_parse_json.py does; a number inside ``jsonb`` is written as
JavaScript's ``JSON.stringify`` writes the double it holds (Parse Server is JavaScript).
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

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

from .pg import fresh_url

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
    opened: list[querylang.Database] = []

    def open_(rows: list[tuple[str | None, str | None]]) -> querylang.Database:
        url = fresh_url(pg_cluster)
        _parse_db(url, rows)
        db = querylang.connect(url, layout="parse")
        opened.append(db)
        return db

    yield open_
    for db in opened:
        db.close()


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

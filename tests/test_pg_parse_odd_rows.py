"""Rows of Parse's own tables that Parse Server would not write but a real database can hold
(edited by hand, written by an old Parse version), read in place (``layout="parse"``): each is
either read alike by SQL and the reference evaluator, or refused with an error that names the
class, the record and the field.

The tables are made as Parse Server makes them (``_SCHEMA`` and one table per class) in a fresh
database of the test cluster, as tests/test_pg_parse_stems.py does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from querylang.errors import QueryError

from .pg import parse_opener

_SCHEMA = {"className": "Item", "fields": {
    "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
    "when": {"type": "Date"}, "where": {"type": "GeoPoint"}, "n": {"type": "Number"}}}  # fmt: skip


def _parse_db(url: str, rows: list[str]) -> None:
    """``_SCHEMA`` and the table ``Item``, holding ``rows`` (SQL value lists)."""
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(_SCHEMA)])
        con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "when" timestamptz, "where" point, "n" double precision)')
        for r in rows:
            con.execute(f'INSERT INTO "Item" VALUES {r}')


@pytest.fixture
def open_parse(pg_cluster: Any) -> Iterator[Any]:
    with parse_opener(pg_cluster, _parse_db) as open_:
        yield open_


def test_null_dates_are_missing_alike(open_parse: Any) -> None:
    db = open_parse(["('a', NULL, NULL, NULL, NULL, NULL, NULL, 1)",
                     "('b', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', NULL, NULL, NULL, NULL, 2)"])
    got = db.query("Item", {}).records
    assert "createdAt" not in got[0] and "updatedAt" not in got[0]
    assert db.reference("Item", {}).ids == ["a", "b"]
    for where in ({"createdAt": {"exists": True}}, {"updatedAt": {"exists": False}},
                  {"createdAt": {"lessThan": "2030-01-01T00:00:00.000Z"}}):
        assert db.query("Item", where).ids == db.reference("Item", where).ids, where


def test_point_out_of_range_names_the_place(open_parse: Any) -> None:
    db = open_parse(["('a', now(), now(), NULL, NULL, NULL, point(200, 100), 1)"])
    for read in (db.query, db.reference):
        with pytest.raises(QueryError) as e:
            read("Item", {})
        assert "Item" in str(e.value) and "record a" in str(e.value) and "where" in str(e.value)
        assert "GeoPoint" in str(e.value)


@pytest.mark.parametrize("stored", ["infinity", "-infinity", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00Z BC"])
def test_date_querylang_cannot_hold_names_the_place(stored: str, open_parse: Any) -> None:
    db = open_parse([f"('a', now(), now(), NULL, NULL, '{stored}', NULL, 1)"])
    for read in (db.query, db.reference):
        with pytest.raises(QueryError) as e:
            read("Item", {})
        assert "class Item, record a, field when" in str(e.value) and stored.split("T")[0] in str(e.value)


def test_a_class_deleted_through_parse_since_connecting_counts_as_unknown(pg_cluster: Any) -> None:
    """A class's table deleted through Parse after connecting made every list that counts each
    class (`querylang schema`, the REPL's first line, the data browser's classes) fail with
    "... deleted from the Parse database since ...", where a table the role may not read, or
    dropped by hand in querylang's own layout, shows '?' and why, and the others are listed."""
    from querylang.app.commands import class_counts
    from querylang.app.render import unread_notes
    from querylang.errors import TableMissing

    urls: list[str] = []

    def make(url: str, rows: list[str]) -> None:
        _parse_db(url, rows)
        urls.append(url)

    with parse_opener(pg_cluster, make) as open_:
        db = open_(["('a', NULL, NULL, NULL, NULL, NULL, NULL, 1)"])
        with psycopg.connect(urls[0], autocommit=True) as con:
            con.execute('DROP TABLE "Item"')
        counts = class_counts(db)
        assert isinstance(counts["Item"], TableMissing), counts
        assert unread_notes(counts) == ["?: the table of Item was deleted from the Parse database since this connection "
                                        "read its _SCHEMA (the next query reads the schema as it is now)"]
        # It does (Parse drops the _SCHEMA row with the table; this one was dropped alone).
        with pytest.raises(QueryError, match="Item is in Parse's _SCHEMA but left out in place: in _SCHEMA but its table is missing"):
            db.query("Item", None)

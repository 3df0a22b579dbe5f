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

import querylang
from querylang.errors import QueryError

from .pg import fresh_url

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
    opened: list[querylang.Database] = []

    def open_(rows: list[str]) -> querylang.Database:
        url = fresh_url(pg_cluster)
        _parse_db(url, rows)
        db = querylang.connect(url, layout="parse")
        opened.append(db)
        return db

    yield open_
    for db in opened:
        db.close()


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


def test_microseconds_compare_as_the_milliseconds_shown(open_parse: Any) -> None:
    # PostgreSQL keeps microseconds, querylang's dates milliseconds: a row written by another
    # client is read (shown, compared, sorted) at the millisecond it shows.
    db = open_parse(["('a', '2024-01-01T00:00:00.0005Z', '2024-01-01T00:00:00.0009Z', NULL, NULL, "
                     "'2024-01-01T00:00:00.0007Z', NULL, 1)",
                     "('b', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', NULL, NULL, "
                     "'2024-01-01T00:00:00.000Z', NULL, 2)"])
    assert db.query("Item", {"objectId": "a"}).records[0]["createdAt"] == "2024-01-01T00:00:00.000Z"
    ms = "2024-01-01T00:00:00.000Z"
    for field in ("createdAt", "updatedAt", "when"):
        for where in ({field: {"equalTo": ms}}, {field: {"greaterThan": ms}}, {field: {"lessThanOrEqualTo": ms}},
                      {field: {"notEqualTo": ms}}, {field: {"containedIn": [ms]}}):
            assert db.query("Item", where).ids == db.reference("Item", where).ids, where
        for order in (f"{field},-n", f"-{field},n"):
            assert db.query("Item", {}, sort=order).ids == db.reference("Item", {}, sort=order).ids, order


@pytest.mark.parametrize("stored", ["NaN", "Infinity", "-Infinity"])
def test_number_that_is_no_number_names_the_place(stored: str, open_parse: Any) -> None:
    db = open_parse([f"('a', now(), now(), NULL, NULL, NULL, NULL, '{stored}')", "('b', now(), now(), NULL, NULL, NULL, NULL, 2.5)"])
    for read in (db.query, db.reference):
        with pytest.raises(QueryError) as e:
            read("Item", {})
        assert "class Item, record a, field n" in str(e.value) and "finite" in str(e.value)
    assert db.query("Item", {"objectId": "b"}).records[0]["n"] == 2.5


def test_array_or_object_of_another_json_type_names_the_place(pg_cluster: Any) -> None:
    schema = {"className": "Item", "fields": {"objectId": {"type": "String"}, "createdAt": {"type": "Date"},
              "updatedAt": {"type": "Date"}, "tags": {"type": "Array"}, "obj": {"type": "Object"}}}
    for tags, obj, field in (("'\"x\"'", "'{}'", "tags"), ("'[]'", "'[1]'", "obj"), ("'{}'", "'{}'", "tags")):
        url = fresh_url(pg_cluster)
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(schema)])
            con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                        '"_rperm" text[], "_wperm" text[], "tags" jsonb, "obj" jsonb)')
            con.execute(f"INSERT INTO \"Item\" VALUES ('a', now(), now(), NULL, NULL, {tags}, {obj})")
        with querylang.connect(url, layout="parse") as db:
            for read in (db.query, db.reference):
                with pytest.raises(QueryError) as e:
                    read("Item", {})
                assert f"class Item, record a, field {field}" in str(e.value)


def test_empty_pointer_names_the_place(pg_cluster: Any) -> None:
    schema = {"className": "Item", "fields": {"objectId": {"type": "String"}, "createdAt": {"type": "Date"},
              "updatedAt": {"type": "Date"}, "p": {"type": "Pointer", "targetClass": "Item"}}}
    url = fresh_url(pg_cluster)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(schema)])
        con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "p" text)')
        con.execute("INSERT INTO \"Item\" VALUES ('a', now(), now(), NULL, NULL, ''), ('b', now(), now(), NULL, NULL, 'a')")
    with querylang.connect(url, layout="parse") as db:
        for read in (db.query, db.reference):
            with pytest.raises(QueryError) as e:
                read("Item", {})
            assert "class Item, record a, field p" in str(e.value)
        assert db.query("Item", {"objectId": "b"}).records[0]["p"] == "a"

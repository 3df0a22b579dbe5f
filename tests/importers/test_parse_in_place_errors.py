"""Errors of a Parse database read in place (layout="parse") that say why, on the importer
tests' live server (conftest.py). The classes these tests add to it hold no Pointer: the doctor
test of test_parse_in_place_doctor.py compares a connection made earlier with one made later."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

import querylang
from querylang.engines.postgres.cluster import Cluster
from querylang.errors import DataError, QueryError, SchemaError

from ..pg import fresh_url
from .conftest import LiveParse
from .in_place_setup import parse_like


def test_a_name_left_out_or_added_since_connecting_says_why(live_parse: LiveParse) -> None:
    """The schema is read once, and fields Parse has are left out: a query naming one said only
    "class Shape has no field 'outline'", or "unknown class 'Later'" for a class Parse Server
    made after connecting, as for a typo; db.notes and the docs held the reason."""
    live_parse.server.request("POST", "/classes/Shape", {
        "objectId": "s1", "tag": "x", "outline": {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1]]}})  # fmt: skip
    db = querylang.connect(live_parse.pg.uri, layout="parse")
    try:
        live_parse.server.request("POST", "/classes/Later", {"objectId": "l1", "x": 1})
        live_parse.server.request("PUT", "/classes/Shape/s1", {"size": 3})
        cases = [
            ("Shape", {"sizes": {"exists": True}}, "Parse's _SCHEMA, read again for this query, lists no such fields"),
            ("Latter", {}, "Parse's _SCHEMA, read again for this query, lists no such classes"),
            ("Shape", {"ACL": {"exists": True}}, "ACL columns (_rperm, _wperm) are not read in place"),
            ("_User", {"authData": {"exists": True}}, "_User.authData is in Parse's _SCHEMA but left out in place: a secret"),
        ]
        for cls, where, why in cases:
            with pytest.raises(SchemaError) as err:
                db.query(cls, where)
            assert why in str(err.value), (cls, where)
        with pytest.raises(QueryError, match=r"sort by 'outline': Polygon fields have no order"):
            db.query("Shape", {}, sort=["outline"])
        # A Polygon is read in place: its questions are those of querylang's own tables.
        assert db.query("Shape", {"outline": {"exists": True}}).ids == ["s1"]
        with pytest.raises(QueryError) as err:
            db.query("Shape", {"outline.x": {"exists": True}})
        assert "left out" not in str(err.value)
        assert db.query("Shape", {"tag": {"equalTo": "x"}}).ids == ["s1"]
        # Made through Parse Server after connecting: read again when named (docs/parse-in-place.md, "When").
        assert db.query("Shape", {"size": {"equalTo": 3}}).ids == ["s1"]
        assert db.query("Later", {}).records[0]["x"] == 1
    finally:
        db.close()


def test_a_schema_table_that_is_not_parse_s_says_so(live_parse: LiveParse) -> None:
    """A _SCHEMA table of another program's made connecting fail with only the server's
    'column "className" does not exist'."""
    url = parse_like(live_parse, "other_schema", {}, ['DROP TABLE "_SCHEMA"', 'CREATE TABLE "_SCHEMA" (id int, "schema" jsonb)'])
    with pytest.raises(DataError, match=r"its _SCHEMA table has no column className, as Parse Server's has: this is not a Parse Server database"):
        querylang.connect(url, layout="parse")


def test_a_field_made_again_with_another_type_since_connecting_says_so(live_parse: LiveParse) -> None:
    """A field deleted through Parse and made again with another type after connecting (its
    column dropped and added) crashed reading the class's records with "AttributeError: 'float'
    object has no attribute 'isoformat'", and a filter on it said only "the database rejected
    the query: operator does not exist: text > smallint"."""
    live_parse.server.request("POST", "/classes/Morph", {"objectId": "m1", "n": 7, "d": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}})
    runs = (lambda db: db.query("Morph", {}), lambda db: db.query("Morph", {"n": {"greaterThan": 5}}),
            lambda db: db.reference("Morph", {}), lambda db: list(db.stream("Morph", {})))
    dbs = [querylang.connect(live_parse.pg.uri, layout="parse") for _ in runs]  # each meets the change first
    try:
        for db in dbs:
            db.store.schema_ttl = 3600  # the read that meets it, not the TTL's
            assert db.query("Morph", {"n": {"greaterThan": 5}}).ids == ["m1"]
        live_parse.server.request("PUT", "/schemas/Morph", {"className": "Morph", "fields": {"n": {"__op": "Delete"}, "d": {"__op": "Delete"}}})
        live_parse.server.request("POST", "/classes/Morph", {"objectId": "m2", "n": "seven", "d": 5})
        said = (r"class Morph, field d: its column is now double precision, where it was timestamp with time zone; "
                r"class Morph, field n: its column is now text, where it was double precision, when this connection read "
                r"the Parse database's _SCHEMA \(deleted and made again with another type since\): the next query reads "
                r"the schema as it is now")
        for db, run in zip(dbs, runs, strict=True):
            with pytest.raises(QueryError, match=said):
                run(db)
            assert db.query("Morph", {"n": {"equalTo": "seven"}}).ids == ["m2"]
    finally:
        for db in dbs:
            db.close()


def test_include_select_and_related_to_a_field_left_out_say_why(live_parse: LiveParse) -> None:
    """include, select and relatedTo naming a field left out (a secret) said only that it is not there."""
    with querylang.connect(live_parse.pg.uri, layout="parse") as db:
        user = next(iter(db.query("_User", {}, limit=1).ids))
        why = "_User.authData is in Parse's _SCHEMA but left out in place: a secret Parse keeps on records"
        for run in (lambda: db.query("_User", {}, include="authData"), lambda: db.query("_User", {}, include="authData.x"),
                    lambda: db.query("_User", {}, select=["authData"]),
                    lambda: db.query("Post", {"relatedTo": {"id": user, "key": "authData", "className": "_User"}})):
            with pytest.raises(SchemaError) as err:
                run()
            assert why in str(err.value)
        assert db.query("_User", {"objectId": {"equalTo": user}}, select=["username"]).ids == [user]


def test_a_table_parse_does_not_list_as_a_class_says_so(live_parse: LiveParse) -> None:
    """Parse Server's bookkeeping tables are not in _SCHEMA: a query of one said "connect again
    to see classes added since", which would not help."""
    with querylang.connect(live_parse.pg.uri, layout="parse") as db:
        with pytest.raises(SchemaError, match=r"unknown class '_Hooks' \(a table Parse's _SCHEMA does not list as a class"):
            db.query("_Hooks", {})


def test_a_database_without_parse_s_tables_says_what_it_holds(live_parse: LiveParse) -> None:
    """"no _SCHEMA table: this is not a Parse Server database" was all that was said of
    querylang's own database and of a Parse database whose tables are in a schema off the
    search_path."""
    own = parse_like(live_parse, "own_tables", {}, ['DROP TABLE "_SCHEMA"'])
    with querylang.connect(own) as db:
        db.define_class("Thing", {"a": {"type": "String"}})
    with pytest.raises(DataError, match=r"it holds querylang's own tables: open it without --layout parse"):
        querylang.connect(own, layout="parse")
    off = parse_like(live_parse, "off_path", {}, ["CREATE SCHEMA parse", 'ALTER TABLE "_SCHEMA" SET SCHEMA parse'])
    with pytest.raises(DataError, match=r"schema parse holds one: name it in the URL \(\?options=-c%20search_path%3Dparse\)"):
        querylang.connect(off, layout="parse")
    with querylang.connect(off + "?options=-c%20search_path%3Dparse", layout="parse") as db:
        assert db.schema.classes == {}


def test_refused_writes_name_the_method_called(live_parse: LiveParse) -> None:
    """db.update was refused as "modify is refused", db.add_field as "define class is refused"."""
    with querylang.connect(live_parse.pg.uri, layout="parse") as db:
        with pytest.raises(QueryError, match="read-only: update is refused"):
            db.update("Post", "p001", lambda r: querylang.Change({"title": "x"}))
        with pytest.raises(QueryError, match=r"read-only: defining classes and fields \(define_class, add_field\) is refused"):
            db.add_field("Post", "extra", "String")


def test_a_schema_read_again_that_the_role_may_no_longer_do_says_so(live_parse: LiveParse, caplog: pytest.LogCaptureFixture) -> None:
    """The role lost SELECT on _SCHEMA after connecting: a query naming a field Parse added
    since said Parse's _SCHEMA listed no such field (a guess, as the read failed), and
    db.refresh_schema() warned without the reason."""
    import logging

    import psycopg

    from .in_place_setup import BUILTIN_COLUMNS, BUILTIN_ROW

    url = parse_like(live_parse, "schema_revoked", {"A": {"fields": {"x": {"type": "String"}}}},
                     [f'CREATE TABLE "A" ({BUILTIN_COLUMNS}, "x" text)', f"INSERT INTO \"A\" VALUES ({BUILTIN_ROW}, 'a')",
                      "DROP ROLE IF EXISTS schema_revoked", "CREATE ROLE schema_revoked LOGIN",
                      "GRANT SELECT ON ALL TABLES IN SCHEMA public TO schema_revoked"])  # fmt: skip
    db = querylang.connect(url.replace(url.split("//")[1].split("@")[0] + "@", "schema_revoked@", 1), layout="parse")
    try:
        assert db.query("A", {"x": {"equalTo": "a"}}).ids == ["d1"]
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('ALTER TABLE "A" ADD "y" text')
            con.execute("""UPDATE "_SCHEMA" SET "schema" = jsonb_set("schema", '{fields,y}', '{"type": "String"}')""")
            con.execute('REVOKE SELECT ON "_SCHEMA" FROM schema_revoked')
        said = "the schema could not be read again: permission denied for table _SCHEMA"
        with pytest.raises(QueryError) as err:
            db.query("A", {"y": {"equalTo": "b"}})
        assert said in err.value.message
        with caplog.at_level(logging.WARNING, logger="querylang"):
            assert db.refresh_schema() is False
        assert [r.getMessage() for r in caplog.records if r.name == "querylang"] == [
            f"db.refresh_schema(): the stored schema could not be read, the one read before is kept: {said}"]
    finally:
        db.close()


def test_a_class_of_the_app_keeps_a_field_named_password(pg_cluster: Cluster) -> None:
    """password is a secret of _User alone: Parse Server answers a field of that name of any
    other class as the app's data. In place it was left out of every class, as a secret."""
    url = fresh_url(pg_cluster)
    fields = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
              "password": {"type": "String"}, "authData": {"type": "Object"}}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Router", Jsonb({"className": "Router", "fields": fields})])
        con.execute('CREATE TABLE "Router" ("objectId" varchar(50) PRIMARY KEY, "createdAt" timestamptz, '
                    '"updatedAt" timestamptz, "password" text, "authData" jsonb)')
        con.execute("""INSERT INTO "Router" VALUES ('r1', now(), now(), 'wifi-1234', '{"k": 1}')""")
    with querylang.connect(url, layout="parse") as db:
        assert db.query("Router", {"password": "wifi-1234"}).records[0]["password"] == "wifi-1234"
        assert db.notes == ["class Router, field authData: querylang keeps the name for Parse's own classes: left out"]

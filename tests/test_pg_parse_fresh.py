"""A Parse database read in place (``layout="parse"``) keeps up with its schema: Parse is
schemaless, so a live app adds classes and fields (``_SCHEMA`` rows, tables and columns) while a
long-running querylang process (serve, a REPL, a library user) has it open.

The tables are made as Parse Server makes them, in a fresh schema of the test cluster, as
tests/test_pg_parse_odd_rows.py does; a change "through Parse" is the SQL Parse Server runs.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import querylang
from querylang.errors import SchemaError

from .pg import fresh_url

_BUILTIN = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
            "ACL": {"type": "ACL"}}  # fmt: skip
_TABLE = ('"objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
          '"_rperm" text[], "_wperm" text[]')


def _spec(name: str, **fields: str) -> str:
    return json.dumps({"className": name, "fields": {**_BUILTIN, **{k: {"type": t} for k, t in fields.items()}}})


class ParseApp:
    """Parse's tables in a schema of their own, changed as Parse Server changes them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sql('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        self.add_class("Post", n="Number")
        self.sql("INSERT INTO \"Post\" VALUES ('p1', '2024-01-01Z', '2024-01-01Z', '{*}', '{}', 1), "
                 "('p2', '2024-01-02Z', '2024-01-02Z', '{*}', '{}', 2)")

    def sql(self, *statements: str, params: Any = None) -> None:
        with psycopg.connect(self.url, autocommit=True) as con, con.transaction():
            for s in statements:
                con.execute(s, params)

    def add_class(self, name: str, **fields: str) -> None:
        """As Parse Server's createClass: the table and its _SCHEMA row, in one transaction."""
        kinds = {"Number": "double precision", "String": "text"}
        cols = "".join(f', "{k}" {kinds[t]}' for k, t in fields.items())
        with psycopg.connect(self.url, autocommit=True) as con, con.transaction():
            con.execute(f'CREATE TABLE "{name}" ({_TABLE}{cols})')
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', [name, _spec(name, **fields)])

    def add_field(self, cls: str, name: str, kind: str) -> None:
        """As Parse Server's addFieldIfNotExists: the column and the field in _SCHEMA, at once."""
        column = {"Number": "double precision", "String": "text"}[kind]
        with psycopg.connect(self.url, autocommit=True) as con, con.transaction():
            con.execute(f'ALTER TABLE "{cls}" ADD COLUMN "{name}" {column}')
            con.execute("""UPDATE "_SCHEMA" SET "schema" = jsonb_set("schema", array['fields', %s], %s)
                           WHERE "className" = %s""", [name, json.dumps({"type": kind}), cls])


@pytest.fixture
def app(pg_cluster: Any) -> Iterator[tuple[ParseApp, querylang.Database]]:
    parse = ParseApp(fresh_url(pg_cluster))
    db = querylang.connect(parse.url, layout="parse")
    try:
        yield parse, db
    finally:
        db.close()


def test_a_class_and_a_field_added_after_connecting_are_queried(app: tuple[ParseApp, querylang.Database]) -> None:
    """A query naming a class or field Parse made after connecting was refused ("unknown class
    'Later'", "class Post has no field 'title'", "connect again to see ... added since")
    until the process connected again: it now reads _SCHEMA again before refusing."""
    parse, db = app
    db.store.schema_ttl = 3600  # type: ignore[attr-defined]  # the refusal's own read, not the TTL's
    assert db.query("Post", {}).ids == ["p1", "p2"]
    parse.add_field("Post", "title", "String")
    parse.sql("UPDATE \"Post\" SET title = 'Rain in Spain' WHERE \"objectId\" = 'p2'",
              "UPDATE \"Post\" SET title = 'sunny days' WHERE \"objectId\" = 'p1'")
    parse.add_class("Later", x="Number")
    parse.sql("INSERT INTO \"Later\" VALUES ('l1', now(), now(), NULL, NULL, 7)")
    assert db.query("Post", {"title": {"equalTo": "sunny days"}}).ids == ["p1"]
    assert db.query("Later", {"x": {"greaterThan": 1}}).records[0]["x"] == 7
    assert db.query("Post", {}, sort=["-title"]).ids == ["p1", "p2"]
    assert db.query("Post", {"title": {"text": {"search": "spain"}}}).ids == ["p2"]
    assert db.query("Post", {}).records[1]["title"] == "Rain in Spain"
    with pytest.raises(SchemaError, match="Parse's _SCHEMA, read again for this query, lists no such fields"):
        db.query("Post", {"nope": {"exists": True}})


def test_records_hold_a_field_added_after_connecting_once_the_ttl_passed(app: tuple[ParseApp, querylang.Database]) -> None:
    """A query naming no new field answered, silently, the records without it (the select list
    and the kept plans were of the schema read at connect time): a query started past the
    schema's time to live checks _SCHEMA again, and the kept plans of the old schema go."""
    parse, db = app
    script = "where({ n: { greaterThan: Inputs.low } })"
    for _ in range(3):  # planned, then kept (plan_cache.py)
        assert db.query("Post", script, inputs={"low": 0}).records[0].keys() == {"objectId", "createdAt", "updatedAt", "n"}
    assert db.reference("Post", {}).ids == ["p1", "p2"]  # the data it reads, kept
    parse.add_field("Post", "title", "String")
    parse.sql("UPDATE \"Post\" SET title = 'hello'")
    db.store.schema_ttl = 0  # type: ignore[attr-defined]  # every query past it, without a wait
    assert [r.get("title") for r in db.query("Post", script, inputs={"low": 0}).records] == ["hello", "hello"]
    assert [r.get("title") for r in db.query("Post", {}).records] == ["hello", "hello"]
    assert [r["title"] for r in db.stream("Post", {})] == ["hello", "hello"]
    assert db.count("Post", {"title": {"equalTo": "hello"}}) == 2
    assert db.reference("Post", {"title": {"equalTo": "hello"}}).ids == ["p1", "p2"]


def test_a_schema_read_again_unchanged_keeps_the_plans(app: tuple[ParseApp, querylang.Database]) -> None:
    """Reading _SCHEMA again past the TTL when nothing changed keeps the schema object, and with
    it the kept plans (a new one drops them all)."""
    parse, db = app
    db.store.schema_ttl = 0  # type: ignore[attr-defined]
    before = db.schema
    db.query("Post", {})
    parse.sql("INSERT INTO \"Post\" VALUES ('p3', now(), now(), NULL, NULL, 3)")  # rows, not schema
    assert db.query("Post", {}).ids == ["p1", "p2", "p3"]
    assert db.schema is before
    parse.add_class("Other")
    db.query("Post", {})
    assert db.schema is not before and "Other" in db.schema.classes


def test_serve_answers_a_class_and_a_field_added_after_it_started(app: tuple[ParseApp, querylang.Database]) -> None:
    """Served (REST and the data browser), a Parse database read in place answered a class Parse
    made since with "Class Later does not exist"-like errors, a filter on a new field with
    "has no field", and a class's records and browser columns without the field."""
    import httpx

    from .server.conftest import headers
    from .server.live import MASTER_KEY, start

    parse, db = app
    db.store.schema_ttl = 3600  # type: ignore[attr-defined]  # what a request naming them reads
    srv = start(db)
    try:
        assert httpx.get(f"{srv.url}/classes/Post", headers=headers()).json()["results"][0].keys() == {
            "objectId", "createdAt", "updatedAt", "n"}
        parse.add_field("Post", "title", "String")
        parse.sql("UPDATE \"Post\" SET title = 'hello' WHERE \"objectId\" = 'p2'")
        parse.add_class("Later", x="Number")
        parse.sql("INSERT INTO \"Later\" VALUES ('l1', now(), now(), NULL, NULL, 7)")
        got = httpx.get(f"{srv.url}/classes/Post", params={"where": json.dumps({"title": "hello"})}, headers=headers())
        assert got.status_code == 200, got.text
        assert [r["objectId"] for r in got.json()["results"]] == ["p2"]
        got = httpx.get(f"{srv.url}/classes/Later", headers=headers())
        assert got.status_code == 200 and got.json()["results"][0]["x"] == 7, got.text
        db.store.schema_ttl = 0  # type: ignore[attr-defined]  # a later request, past the TTL
        parse.add_field("Post", "views", "Number")
        parse.sql("UPDATE \"Post\" SET views = 5")
        got = httpx.get(f"{srv.url}/classes/Post", params={"order": "objectId"}, headers=headers())
        assert [r.get("views") for r in got.json()["results"]] == [5, 5], got.text
        parse.add_field("Post", "mood", "String")
        parse.sql("UPDATE \"Post\" SET mood = 'calm'")
        page = httpx.get(f"{srv.root}/browser/classes/Post", params={"masterKey": MASTER_KEY}, follow_redirects=True, timeout=30)
        assert page.status_code == 200, page.text
        assert '<a href="/browser/classes/Post?order=mood">mood </a>' in page.text
        assert "<td>2</td><td>calm</td><td>hello</td><td>5</td>" in page.text  # _SCHEMA is jsonb: shorter keys first
        classes = httpx.get(f"{srv.root}/browser/", params={"masterKey": MASTER_KEY}, follow_redirects=True, timeout=30)
        assert ">Later</a>" in classes.text, classes.text
    finally:
        srv.stop()


def test_a_field_deleted_since_the_schema_was_read_is_gone_from_the_next_query(app: tuple[ParseApp, querylang.Database]) -> None:
    """A field Parse deleted within the TTL is an error that says so; it said "connect again to
    read the schema as it is now", and every query of the class failed so until the process
    did: the next query reads _SCHEMA again and answers without it."""
    parse, db = app
    db.store.schema_ttl = 3600  # type: ignore[attr-defined]
    assert db.query("Post", {"n": {"equalTo": 1}}).ids == ["p1"]
    with psycopg.connect(parse.url, autocommit=True) as con, con.transaction():  # as Parse's deleteFields
        con.execute('ALTER TABLE "Post" DROP COLUMN n')
        con.execute("""UPDATE "_SCHEMA" SET "schema" = "schema" #- '{fields,n}' WHERE "className" = 'Post'""")
    with pytest.raises(querylang.QueryError, match=r"deleted from the Parse database since this connection read its "
                                                   r"_SCHEMA: the next query reads the schema as it is now"):
        db.query("Post", {})
    assert [set(r) for r in db.query("Post", {}).records] == [{"objectId", "createdAt", "updatedAt"}] * 2
    with pytest.raises(SchemaError, match="class Post has no field 'n'"):
        db.query("Post", {"n": {"equalTo": 1}})


def test_a_schema_ttl_of_none_reads_schema_only_when_a_query_needs_it(app: tuple[ParseApp, querylang.Database]) -> None:
    """``schema_ttl = None`` failed every query after it with a TypeError (a float compared
    with None): it now means no read for the schema's age, only for a name it lacks or a
    class or field met gone; a value that is no number of seconds is refused where it is set."""
    parse, db = app
    store: Any = db.store
    store.schema_ttl = None
    assert store.schema_ttl is None
    parse.add_field("Post", "title", "String")
    parse.sql("UPDATE \"Post\" SET title = 'hello'")
    store._checked_at -= 10**6  # as long ago as it may be
    assert [set(r) for r in db.query("Post", {}).records] == [{"objectId", "createdAt", "updatedAt", "n"}] * 2
    assert db.query("Post", {"title": {"equalTo": "hello"}}).ids == ["p1", "p2"]  # a name it lacked
    assert db.query("Post", {}).records[0]["title"] == "hello"
    with psycopg.connect(parse.url, autocommit=True) as con:
        con.execute('ALTER TABLE "Post" DROP COLUMN title')
        con.execute("""UPDATE "_SCHEMA" SET "schema" = "schema" #- '{fields,title}' WHERE "className" = 'Post'""")
    with pytest.raises(querylang.QueryError, match="deleted from the Parse database since"):
        db.query("Post", {})
    assert [set(r) for r in db.query("Post", {}).records] == [{"objectId", "createdAt", "updatedAt", "n"}] * 2
    for wrong in (-1, float("nan"), "5", True):
        with pytest.raises(querylang.QueryError, match=rf"ParseStore.schema_ttl: {re.escape(repr(wrong))} is not a number of seconds"):
            store.schema_ttl = wrong
    assert store.schema_ttl is None
    store.schema_ttl = 0
    assert store.schema_ttl == 0.0


def test_parse_servers_notice_of_a_schema_change_is_heard_at_once(app: tuple[ParseApp, querylang.Database]) -> None:
    """A Parse Server started with enableSchemaHooks tells its other servers of each schema
    change on the channel "schema.change" (after the change's commit, a JSON payload naming the
    server): a query answered the records without a field added since until the TTL passed; it
    now answers them with it once the notice arrived. Untold, the TTL holds as before."""
    parse, db = app
    db.store.schema_ttl = 3600  # type: ignore[attr-defined]  # the notice's re-read, not the TTL's
    plain = {"objectId", "createdAt", "updatedAt", "n"}
    assert db.query("Post", {}).records[0].keys() == plain
    parse.add_field("Post", "title", "String")
    parse.sql("UPDATE \"Post\" SET title = 'hello'")
    time.sleep(0.2)
    assert db.query("Post", {}).records[0].keys() == plain
    parse.sql("""NOTIFY "schema.change", '{"senderId":"another-parse-server"}'""")
    deadline = time.monotonic() + 5
    while db.query("Post", {}).records[0].keys() == plain and time.monotonic() < deadline:
        time.sleep(0.01)
    assert db.query("Post", {}).records[0]["title"] == "hello"
    parse.sql('NOTIFY "schema.change"')  # nothing changed: the schema (and its kept plans) stays
    before = db.schema
    time.sleep(0.2)
    assert db.query("Post", {}).ids == ["p1", "p2"] and db.schema is before


def test_an_open_stream_holds_up_parses_schema_change_of_its_class_until_closed(app: tuple[ParseApp, querylang.Database]) -> None:
    """As docs/parse-in-place.md says ("Streams hold up Parse's schema changes"): the ALTER TABLE
    of a save with a new key waits for a stream of the class, and goes through once it is closed."""
    parse, db = app
    records = db.stream("Post", {}, batch=1)
    assert next(records)["objectId"] == "p1"
    with pytest.raises(psycopg.errors.LockNotAvailable):
        parse.sql("SET LOCAL lock_timeout = '200ms'", 'ALTER TABLE "Post" ADD COLUMN IF NOT EXISTS title text')
    records.close()
    parse.sql("SET LOCAL lock_timeout = '10s'", 'ALTER TABLE "Post" ADD COLUMN IF NOT EXISTS title text')

"""A real Parse Server 9 started with ``databaseOptions: {enableSchemaHooks: true}`` tells the
other servers of its app of each schema change on PostgreSQL's channel "schema.change"; a Parse
database read in place hears it too, and its next query reads _SCHEMA again at once instead
of after ``schema_ttl`` (docs/parse-in-place.md, "When")."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

import querylang

from .conftest import LiveParse


def test_a_field_a_parse_server_with_schema_hooks_adds_is_read_at_once(live_parse: LiveParse, tmp_path: Path) -> None:
    """A save through Parse that adds a field: a query of its class answered the records without
    it until the TTL passed (an hour here); Parse Server's notice now has it read at once."""
    from benchmarks.parse_server import ParseServer, Unavailable

    with psycopg.connect(live_parse.pg.url("postgres"), autocommit=True) as con:
        con.execute('DROP DATABASE IF EXISTS "schema_hooks" WITH (FORCE)')
        con.execute('CREATE DATABASE "schema_hooks"')
    where = SimpleNamespace(uri=live_parse.pg.url("schema_hooks"), tmp=tmp_path)  # its log in tmp_path
    try:
        server = ParseServer(where, ("--databaseOptions", json.dumps({"enableSchemaHooks": True})))  # type: ignore[arg-type]
    except Unavailable as exc:
        pytest.fail(f"a Parse Server with enableSchemaHooks could not start: {exc}")
    try:
        server.request("POST", "/classes/Thing", {"objectId": "t1", "a": 1})
        db = querylang.connect(where.uri, layout="parse")
        try:
            db.store.schema_ttl = 3600  # type: ignore[attr-defined]  # the notice's re-read, not the TTL's
            assert db.query("Thing", {}).records[0].keys() == {"objectId", "createdAt", "updatedAt", "a"}
            server.request("POST", "/classes/Thing", {"objectId": "t2", "b": "new"})  # Parse adds the field b
            deadline = time.monotonic() + 10
            while "b" not in db.query("Thing", {}, sort=["objectId"]).records[1] and time.monotonic() < deadline:
                time.sleep(0.02)
            assert db.query("Thing", {}, sort=["objectId"]).records[1]["b"] == "new"
            assert db.query("Thing", {"b": {"exists": False}}).ids == ["t1"]
        finally:
            db.close()
    finally:
        server.stop()

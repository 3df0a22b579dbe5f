"""Reading from a hot standby (a read replica), as docs/postgres.md ("Read replicas") and
docs/parse-in-place.md (a read-only role, "ideally on a replica") advise: every pooled
connection ran LISTEN, which a standby refuses ("cannot execute LISTEN during recovery"), so
no connection could be made and opening failed after 10 s with "all 4 connections ... are in
use". A standby delivers no notice anyway (PostgreSQL does not replicate them)."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

import querylang

from .pg import own_cluster
from .test_pg_parse_fresh import ParseApp

DOC = {"classes": {"T": {"fields": {"x": {"type": "Number"}}}}, "records": {"T": [{"objectId": "t1", "x": 1}]}}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[str, str]]:
    """The primary's URL and its standby's."""
    with own_cluster("standby", DOC) as primary:
        yield primary.url(), primary.standby()


def _soon(check: Callable[[], Any]) -> Any:
    """``check()``'s first true answer within 10 s (the standby replays the primary a moment later)."""
    deadline = time.monotonic() + 10
    while not (got := check()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def test_querylangs_own_tables_are_read_on_a_standby(pair: tuple[str, str]) -> None:
    _, standby = pair
    with querylang.connect(standby, read_only=True) as db:
        assert db.query("T", {}, count=True).count == 1
        assert [r["x"] for r in db.stream("T", {})] == [1]


def test_a_parse_database_is_read_in_place_on_a_standby(pair: tuple[str, str]) -> None:
    primary, standby = pair
    with psycopg.connect(primary, autocommit=True) as con:
        con.execute("CREATE SCHEMA app")  # Parse's tables apart from querylang's
    options = "?options=" + urllib.parse.quote("-c search_path=app")
    parse, replica = ParseApp(primary + options), standby + options
    db = _soon(lambda: _opened(replica))
    try:
        assert db.query("Post", {}, limit=1, count=True).count == 2
        db.store.schema_ttl = 0  # type: ignore[attr-defined]
        parse.add_field("Post", "title", "String")
        parse.sql("UPDATE \"Post\" SET title = 'hello'")
        assert _soon(lambda: "title" in db.query("Post", {}).records[0])
    finally:
        db.close()


def _opened(url: str) -> querylang.Database | None:
    """The Parse database at ``url``, once the standby has replayed its class Post."""
    try:
        db = querylang.connect(url, layout="parse")
    except querylang.DataError:
        return None
    if "Post" in db.schema.classes:
        return db
    db.close()
    return None

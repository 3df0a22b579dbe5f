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


def test_a_stream_a_standbys_replay_stops_says_so_and_what_to_do(pair: tuple[str, str]) -> None:
    """A standby whose replay may not wait (max_standby_streaming_delay = 0) ends the connection
    of a stream that still reads rows a VACUUM on the primary removed: the stream said "the
    database rejected the query: terminating connection due to conflict with recovery"."""
    primary, standby = pair
    doc = {"classes": {"S": {"fields": {"x": {"type": "Number"}}}},
           "records": {"S": [{"objectId": f"s{i}", "x": i} for i in range(2000)]}}
    with querylang.connect(primary) as db:
        db.load(doc)
    with psycopg.connect(standby, autocommit=True) as con:
        con.execute("ALTER SYSTEM SET max_standby_streaming_delay = 0")
        con.execute("SELECT pg_reload_conf()")
    try:
        with querylang.connect(standby, read_only=True) as db:
            def replayed() -> bool:
                db.refresh_schema()
                return "S" in db.schema.classes and db.count("S") == 2000

            assert _soon(replayed)
            records = db.stream("S", {}, batch=10)
            assert next(iter(records))["objectId"] == "s0"
            before = _conflicts(standby)
            with psycopg.connect(primary, autocommit=True) as con:
                con.execute('DELETE FROM "S"')
                con.execute('VACUUM "S"')
            assert _soon(lambda: _conflicts(standby) > before)
            with pytest.raises(querylang.QueryError, match=r"^the PostgreSQL standby \(read replica\) stopped the query: "
                                                           r"replaying the primary's changes conflicted with it .*"
                                                           r"conflict with recovery.* Run it again; .*"
                                                           r"max_standby_streaming_delay .*hot_standby_feedback") as info:
                list(records)
            assert info.value.code == 1
            assert db.count("S") == 0  # the database answers on
    finally:
        with psycopg.connect(standby, autocommit=True) as con:
            con.execute("ALTER SYSTEM RESET max_standby_streaming_delay")
            con.execute("SELECT pg_reload_conf()")


def _conflicts(url: str) -> int:
    """The queries the standby has stopped for conflicts with its replay of the primary. This
    look is a query on the standby too: one the replay stopped (its snapshot taken just before
    the replay of the VACUUM, which cancels every query it conflicts with at once, the stream's
    among them) is asked again, and then counts itself (the suite once failed on it)."""
    for _ in range(100):
        try:
            with psycopg.connect(url, autocommit=True) as con:
                row = con.execute("SELECT sum(confl_snapshot + confl_lock + confl_bufferpin + confl_deadlock) "
                                  "FROM pg_stat_database_conflicts").fetchone()
            return int(row[0]) if row is not None and row[0] is not None else 0
        except psycopg.OperationalError as exc:  # SerializationFailure, or the session ended for it
            if "conflict with recovery" not in str(exc):
                raise
            time.sleep(0.05)
    raise AssertionError("every look at the standby's conflicts was stopped by a conflict with its replay")


def test_a_statement_a_standby_cancels_for_its_replay_says_so_too() -> None:
    """A statement still running when replay must go on is cancelled ("canceling statement …",
    the connection kept), a deadlock with replay too (40P01); a serialization failure that is not
    the standby's keeps the server's words."""
    from querylang.engines.postgres.server_errors import query_error

    for exc in (psycopg.errors.SerializationFailure("canceling statement due to conflict with recovery"),
                psycopg.errors.DeadlockDetected("canceling statement due to conflict with recovery")):
        said = query_error(exc, None, None)
        assert said.message.startswith(  # type: ignore[attr-defined]
            "the PostgreSQL standby (read replica) stopped the query: replaying the primary's changes conflicted "
            "with it (a VACUUM removing rows it could still read, a schema change of a table it reads): "
            "canceling statement due to conflict with recovery. Run it again;"), said
    other = query_error(psycopg.errors.SerializationFailure("could not serialize access"), None, None)
    assert other.message == "the database rejected the query: could not serialize access"  # type: ignore[attr-defined]


def test_a_write_or_load_on_a_standby_says_it_takes_none(pair: tuple[str, str]) -> None:
    """A Database opened on a standby without read_only=True: a load said "the database rejected
    the load: cannot execute LOCK TABLE during recovery", with a bad record's code (107: serve
    answered 400), and a database or role with default_transaction_read_only the same of its
    "read-only transaction"."""
    primary, standby = pair
    read_only_session = primary + "?options=" + urllib.parse.quote("-c default_transaction_read_only=on")
    told = (r"^(class T: )?{failed}: PostgreSQL refused the {what}: this connection takes no writes \(cannot execute .*\)\. "
            r"A hot standby \(read replica\) takes none, nor a database or role with default_transaction_read_only on: "
            r"write to the primary")
    for url in (standby, read_only_session):
        with querylang.connect(url) as db:
            assert _soon(lambda: db.count("T") == 1)  # noqa: B023  # the standby has replayed T
            with pytest.raises(querylang.DataError, match=told.format(failed="load failed, nothing was loaded", what="load")) as info:
                db.load({"records": {"T": [{"objectId": "t9", "x": 9}]}})
            assert info.value.code == 1
            with pytest.raises(querylang.DataError, match=told.format(failed="write failed, nothing was changed", what="write")) as info:
                db.create("T", {"x": 2})
            assert info.value.code == 1
            assert db.count("T") == 1

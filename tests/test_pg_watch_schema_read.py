"""A query's schema re-read, when the schema is marked to be read again (another process's
notice, a connection the pool made after the open, Parse's _SCHEMA due for a check), runs under
the query's own watch: one backend stuck while the server still answers new connections (which
the heartbeat takes for a server that runs) holds a query no longer than its timeout and GRACE.
The tests freeze one backend (SIGSTOP) of a cluster of their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryError
from querylang.engines.postgres.cluster import Cluster
from querylang.engines.postgres.interrupt import GRACE

from .pg import fresh_url, own_cluster
from .test_pg_outage import DOC, frozen
from .test_pg_parse_fresh import ParseApp

DID_NOT_ANSWER = r"did not answer within 6 s \(it stops a query past 1 s itself\)"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with own_cluster("watch", DOC) as c:
        yield c


def _late_connection(db: querylang.Database) -> Any:
    """This thread's connection, one the pool makes after the open (every one made at the open
    is taken out of the pool first): its set-up marks the schema to be read again."""
    store: Any = db.store
    store.pool.wait(10)
    db.query("User", None)  # any mark of the open's connections taken
    assert not store.heard.any
    store._drop(store._local.held)
    taken = [store.pool.getconn(1) for _ in range(store.pool.get_stats()["pool_available"])]
    held = store._thread_connection()
    assert store.heard.any  # the path this test is about
    return held.con, taken


def _refilled(db: querylang.Database) -> None:
    """Wait until the pool has a connection to lend again (its set-up done), up to 30 s."""
    pool: Any = db.store.pool  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while not pool.get_stats().get("pool_available") and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_query_on_a_connection_made_after_the_open_whose_backend_is_stuck_ends_at_its_timeout(cluster: Cluster) -> None:
    """The query read the schema again first (the new connection's mark), watched only by the
    heartbeat, which sees a server that answers: a query with a 1 s timeout waited as long as
    the backend was stuck (60 s, the thaw). It fails as a statement that does not answer does,
    within the timeout and GRACE, the mark kept for the next query."""
    db = querylang.connect(cluster.url(), timeout=1)
    taken: list[Any] = []
    try:
        con, taken = _late_connection(db)
        with frozen(con.info.backend_pid):
            began = time.monotonic()
            with pytest.raises(QueryError, match=DID_NOT_ANSWER):
                db.query("User", None)
            assert time.monotonic() - began < 1 + GRACE + 3
        assert db.store.heard.any  # type: ignore[attr-defined]
        # The pool replaces the cut connection in the background, and the new one's set-up
        # marks the schema again: waited for, or its mark could land after the next query took
        # the first one (the last assert then failed, about one run in four).
        _refilled(db)
        assert db.query("User", None).ids == ["u1", "u2"]
        assert not db.store.heard.any  # type: ignore[attr-defined]
    finally:
        for con in taken:
            db.store.pool.putconn(con)  # type: ignore[attr-defined]
        db.close()


def test_a_cancelled_query_whose_schema_read_is_stuck_ends(cluster: Cluster) -> None:
    """The query's cancel event stops its schema read as it stops its statement: the server
    cannot cancel on a stuck backend, so the connection is cut GRACE s after the cancel."""
    db = querylang.connect(cluster.url(), timeout=None)
    taken: list[Any] = []
    cancel = threading.Event()
    try:
        con, taken = _late_connection(db)
        with frozen(con.info.backend_pid):
            threading.Timer(0.5, cancel.set).start()
            began = time.monotonic()
            with pytest.raises(querylang.QueryCancelled):
                db.query("User", None, cancel=cancel)
            assert time.monotonic() - began < 0.5 + GRACE + 3
        assert db.query("User", None).ids == ["u1", "u2"]
    finally:
        for con in taken:
            db.store.pool.putconn(con)  # type: ignore[attr-defined]
        db.close()


def test_a_query_whose_parse_schema_read_is_stuck_ends_at_its_timeout(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """In place on Parse's tables, a query whose _SCHEMA digest changed reads the schema again
    before planning: a backend stuck in that read held a 1 s query for as long as it was stuck."""
    from querylang.engines.postgres.parse_store import ParseStore

    app = ParseApp(fresh_url(cluster))
    db = querylang.connect(app.url, layout="parse", timeout=1)
    real = ParseStore._read_parse_schema
    stuck: list[Any] = []

    def read_stuck(store: ParseStore, con: psycopg.Connection[Any]) -> Any:
        stuck.append(frozen(con.info.backend_pid))
        stuck[-1].__enter__()
        return real(store, con)

    try:
        assert db.query("Post", None).ids == ["p1", "p2"]
        app.add_class("Later", s="String")
        db.store.stale()  # type: ignore[attr-defined]
        monkeypatch.setattr(ParseStore, "_read_parse_schema", read_stuck)
        try:
            began = time.monotonic()
            with pytest.raises(QueryError, match=DID_NOT_ANSWER):
                db.query("Post", None)
            assert time.monotonic() - began < 1 + GRACE + 3
        finally:
            for block in stuck:
                block.__exit__(None, None, None)
        assert len(stuck) == 1
        monkeypatch.undo()
        assert db.query("Later", None).ids == []
    finally:
        db.close()


def test_a_query_naming_a_class_not_known_whose_schema_read_is_stuck_ends_at_its_timeout(cluster: Cluster) -> None:
    """A query naming a class this process does not know reads the stored schema again before
    refusing it (another process may have just made it): that read was watched by the heartbeat
    alone, and a stuck backend held a 1 s query for as long as it was stuck."""
    db = querylang.connect(cluster.url(), timeout=1)
    try:
        [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])  # type: ignore[attr-defined]
        with frozen(pid):
            began = time.monotonic()
            with pytest.raises(QueryError, match=DID_NOT_ANSWER):
                db.query("Nobody", None)
            assert time.monotonic() - began < 1 + GRACE + 3
        with pytest.raises(QueryError, match="Nobody"):
            db.query("Nobody", None)
    finally:
        db.close()


def test_a_text_search_whose_stems_check_is_stuck_ends_at_its_timeout(cluster: Cluster) -> None:
    """In place on Parse's tables, the first English text search asks the server whether its
    stems are Python's (parse_words.stems_problem), while the query is planned: that statement
    was watched by the heartbeat alone."""
    app = ParseApp(fresh_url(cluster))
    app.add_class("Note", body="String")
    db = querylang.connect(app.url, layout="parse", timeout=1)
    try:
        db.store.schema_ttl = None  # type: ignore[attr-defined]  # no _SCHEMA check before it: the stems' alone
        assert db.query("Note", None).ids == []
        [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])  # type: ignore[attr-defined]
        search = {"body": {"text": {"search": "foxes"}}}
        with frozen(pid):
            began = time.monotonic()
            with pytest.raises(QueryError, match=DID_NOT_ANSWER):
                db.query("Note", search)
            assert time.monotonic() - began < 1 + GRACE + 3
        # The check again, on a new backend (seconds on a busy machine), and the statement share
        # one timeout: a longer one here, for the answer.
        db.timeout = 30
        assert db.query("Note", search).ids == []
    finally:
        db.close()


def test_the_look_at_the_columns_types_after_a_failed_read_ends_at_the_querys_timeout(cluster: Cluster) -> None:
    """In place on Parse's tables, a read that failed (a cell not decoded, a statement the
    server refused) looks at the columns' types before saying why (_changed_since): a stuck
    backend held it, and the query, for as long as it was stuck. Past the query's timeout it is
    given up: after a statement the server refused, the server's own error is said; after a cell
    that could not be read, the query's end (Python's error of the cell said nothing of it)."""
    app = ParseApp(fresh_url(cluster))
    db = querylang.connect(app.url, layout="parse", timeout=1)
    try:
        refused = psycopg.errors.UndefinedFunction("operator does not exist: text > smallint")
        for after, said in ((refused, None), (None, DID_NOT_ANSWER)):
            assert db.query("Post", None).ids == ["p1", "p2"]
            [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])  # type: ignore[attr-defined]
            with frozen(pid), db.store.bounds.of(1, None):  # type: ignore[attr-defined]  # a query's, for the reads beside it
                began = time.monotonic()
                if said is None:
                    assert db.store._changed_since(after) is None  # type: ignore[attr-defined]
                else:
                    with pytest.raises(QueryError, match=said):
                        db.store._changed_since(after)  # type: ignore[attr-defined]
                assert time.monotonic() - began < 1 + GRACE + 3
        assert db.query("Post", None).ids == ["p1", "p2"]
    finally:
        db.close()

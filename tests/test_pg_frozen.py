"""The heartbeat of calls without a timeout (engines/postgres/heartbeat.py), the watchdog's
cuts and cancels, and a PostgreSQL server that stops answering altogether: when a connection
may be cut, and which calls end. A cluster of its own (test_pg_outage.py freezes its own)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any

import httpx
import psycopg
import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url, own_cluster
from .server.conftest import headers
from .server.live import start
from .test_pg_outage import DOC, answered_again, whole_server_frozen


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with own_cluster("frozen", DOC) as c:
        yield c


@pytest.fixture
def frozen(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Callable[[], AbstractContextManager[None]]:
    """The whole server frozen for a block (whole_server_frozen), under a heartbeat that looks
    every 0.2 s and, in the block, has the answer it would wait PROBE s for at once: none
    (test_pg_outage.py waits for it)."""
    from querylang.engines.postgres import heartbeat

    monkeypatch.setattr(heartbeat, "LOOK", 0.2)

    @contextlib.contextmanager
    def block() -> Iterator[None]:
        with whole_server_frozen(cluster), pytest.MonkeyPatch.context() as mp:
            mp.setattr(heartbeat, "silence", lambda reach, con: heartbeat.SILENT)
            yield

    return block


def ends(*calls: Callable[[], Any], within: float = 20) -> list[dict[str, Any]]:
    """What each call returned or raised ({"value": ...} or {"error": ...}), one after the other
    on a thread of their own, failing the test if they have not ended ``within`` seconds: on a
    frozen server, the calls that wait for good."""
    said: list[dict[str, Any]] = []

    def run() -> None:
        for call in calls:
            try:
                said.append({"value": call()})
            except Exception as exc:
                said.append({"error": exc})

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(within)
    assert not t.is_alive(), "still waiting on the frozen server"
    return said


def test_a_connection_is_not_cut_by_the_heartbeat_of_the_call_that_ended(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query that failed on a connection error (a cancel was one: QueryCanceled) gave its
    connection back to the pool before the watchdog forgot it: a heartbeat that found the server
    silent just then cut the connection in the pool, or under the next thread's statement (and a
    set cancel cancelled that statement). Found reading execute's except and finally. A
    cancelled statement now keeps its connection (test_pg_cancel_keeps_connection.py): the
    heartbeat's finding, once the call has ended, does not cut it under the thread's next one."""
    from querylang.engines.postgres import heartbeat

    asked, go = threading.Event(), threading.Event()
    cuts: list[Any] = []

    def no_answer(reach: Any, con: Any) -> str:
        asked.set()
        go.wait(10)
        return heartbeat.SILENT

    monkeypatch.setattr(heartbeat, "LOOK", 0.05)
    monkeypatch.setattr(heartbeat, "silence", no_answer)
    monkeypatch.setattr(heartbeat, "cut", cuts.append)
    db = querylang.connect(cluster.url(), timeout=None)
    # An open slower than LOOK (a loaded machine) had its own heartbeat ask: the cancel was then
    # set before the statement started, which failed at once, its connection kept.
    asked.clear()
    try:
        pool = db.store.pool
        given_back = pool.putconn

        def putconn(con: Any) -> None:
            given_back(con)
            go.set()  # given back (a connection error): the server's silence is found once it is in the pool
            for t in threading.enumerate():
                if t.name == "querylang-pg-heartbeat":
                    t.join(10)

        monkeypatch.setattr(pool, "putconn", putconn)
        cancel = threading.Event()
        threading.Thread(target=lambda: asked.wait(10) and cancel.set(), daemon=True).start()
        with pytest.raises(querylang.QueryCancelled):
            db.store.execute("SELECT pg_sleep(10)", [], timeout=None, cancel=cancel)
        assert not go.is_set()  # kept, not given back
        go.set()  # the server's silence is found now, the call ended
        for t in threading.enumerate():
            if t.name == "querylang-pg-heartbeat":
                t.join(10)
        assert cuts == []
        assert db.store.execute("SELECT 1", []) == [(1,)]
    finally:
        db.close()


def test_a_query_cut_on_a_server_that_stops_answering_leaves_a_fresh_connection(
        cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """A statement the server stopped itself keeps its connection (test_pg_cancel_keeps_connection.py);
    one the heartbeat cut, the server silent, does not: the next query, once the server answers
    again, runs on another backend."""
    db = querylang.connect(cluster.url(), timeout=None)
    db.store.pool.wait(30)  # as in the tests below

    def pid() -> Any:
        return db.store.execute("SELECT pg_backend_pid()", [])

    try:
        with ThreadPoolExecutor(1) as one:  # one thread, one connection: the main thread's waits on no frozen server
            before = one.submit(pid).result(20)
            with frozen():
                cut = one.submit(lambda: db.store.execute("SELECT pg_sleep(30)", []))
                with pytest.raises(querylang.QueryError, match="stopped answering"):
                    cut.result(20)
            assert one.submit(lambda: answered_again(pid)).result(20) != before
    finally:
        db.close()


def test_closing_a_stream_of_a_server_that_stops_answering_ends(cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """A stream closed before its end (its reader gave up, a for loop's break) sends the server
    CLOSE for its cursor; on a frozen server that waited for good, outside the heartbeat that
    its batches run under. Found closing one under whole_server_frozen."""
    db = querylang.connect(cluster.url())
    try:
        stream = db.stream("User", None, batch=1)
        assert next(stream)["objectId"] == "u1"
        with frozen():
            assert ends(stream.close) == [{"value": None}]
        assert answered_again(lambda: [r["objectId"] for r in db.stream("User", None)]) == ["u1", "u2"]
    finally:
        db.close()


def _parse_tables(url: str) -> None:
    """Parse Server's _SCHEMA and one class table, as it makes them."""
    schema = {"className": "Item", "fields": {"objectId": {"type": "String"}, "n": {"type": "Number"}}}
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Item", json.dumps(schema)])
        con.execute('CREATE TABLE "Item" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "n" double precision)')
        con.execute("""INSERT INTO "Item" VALUES ('i1', now(), now(), NULL, NULL, 1)""")


def test_the_reference_and_parse_in_place_reads_on_a_server_that_stops_answering_end(
        cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """The reference evaluator's read of every record (db.reference) and, in place on Parse's
    tables, missing_indexes have no timeout: on a frozen server they waited for good. Found
    calling each under whole_server_frozen. They end as a query without a timeout does."""
    url = fresh_url(cluster)
    _parse_tables(url)
    db, parse = querylang.connect(cluster.url()), querylang.connect(url, layout="parse")
    try:
        with frozen():
            said = ends(lambda: db.reference("User", None), lambda: parse.reference("Item", {}), parse.missing_indexes)
        for one in said:
            assert isinstance(one.get("error"), querylang.QueryError), one
            assert "stopped answering" in str(one["error"]), one
        assert answered_again(lambda: db.reference("User", None).ids) == ["u1", "u2"]
        assert answered_again(lambda: parse.reference("Item", {}).ids) == ["i1"]
    finally:
        db.close()
        parse.close()


def _users(url: str) -> list[str]:
    """serve's find of every User, raising QueryError (for answered_again) while it fails."""
    r = httpx.get(url, headers=headers(), timeout=30)
    if r.status_code != 200:
        raise querylang.QueryError(r.text)
    return [u["objectId"] for u in r.json()["results"]]


def test_a_query_that_reads_the_schema_again_on_a_server_that_stops_answering_ends(
        cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """Found by a fresh clone's run (test_the_reference_and_parse_in_place_reads_... failed one
    time in a few): a schema notice heard before the server froze made the next query read the
    stored schema again before its statement, and that read had no heartbeat, so it waited for
    good. It ends as the statement would ("stopped answering"), the notice kept."""
    db = querylang.connect(fresh_url(cluster))
    db.load(DOC)
    # The pool's connections opened before the freeze: a busy machine could leave one still
    # opening, and a call that had to wait for it said "cannot reach", also right, not this test.
    db.store.pool.wait(30)
    try:
        db.store.heard.schema(db.store._pg_schema)  # as a notice of another process's change does
        with frozen():
            said = ends(lambda: db.count("User"), lambda: db.reference("User", None))
        for one in said:
            assert isinstance(one.get("error"), querylang.QueryError), one
            assert "stopped answering" in str(one["error"]), one
        assert answered_again(lambda: db.query("User").ids) == ["u1", "u2"]
    finally:
        db.close()


def test_a_query_whose_schema_read_is_cut_says_the_query_failed(
        cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """Found by a fresh clone's run (test_a_query_without_a_timeout_or_a_stream_... failed once):
    a query whose schema re-read before its statement was cut by the heartbeat went on, found
    its connection cut, and failed on a new one ("cannot reach ...: a new connection got no
    answer within 5 s") instead of with its own cut; and the notice was kept only by luck.
    The cut is the query's error, and the notice waits for the next query."""
    db = querylang.connect(fresh_url(cluster))
    db.load(DOC)
    db.store.pool.wait(30)  # as above
    try:
        db.count("User")  # this thread's connection taken
        db.store.heard.schema(db.store._pg_schema)
        with frozen():
            said = ends(lambda: db.count("User"))
        assert isinstance(said[0].get("error"), querylang.QueryError), said
        assert str(said[0]["error"]).startswith("the query failed: the PostgreSQL server at "), said
        assert db.store.heard.any
        assert answered_again(lambda: db.query("User").ids) == ["u1", "u2"]
    finally:
        db.close()


def test_serve_answers_a_find_on_a_server_that_stops_answering_soon(cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """serve's queries have the default timeout (60 s), and the heartbeat watched only queries
    without one: a query was cut GRACE s past its timeout, so on a frozen server a GET was
    answered after 65 s, and each request queued behind it as late. Found sending a GET to
    serve under whole_server_frozen. A query whose timeout is longer than the heartbeat takes
    runs under it too: the GET is a Parse error (500, code 1) saying the server stopped
    answering, and serve answers as before once the server is back."""
    srv = start(querylang.connect(cluster.url()))
    try:
        url = srv.url + "/classes/User"
        assert _users(url) == ["u1", "u2"]
        with frozen():
            [said] = ends(lambda: httpx.get(url, headers=headers(), timeout=120))
        answer = said["value"]
        assert answer.status_code == 500 and answer.json()["code"] == 1, answer.text
        assert "stopped answering" in answer.json()["error"] and "the query failed" in answer.json()["error"]
        assert answered_again(lambda: _users(url)) == ["u1", "u2"]
    finally:
        srv.stop()
        srv.db.close()


def test_serve_answers_the_requests_after_one_cut_at_once(cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]]) -> None:
    """Once a heartbeat had found the server silent and cut one call, the next call took another
    pooled connection to the same silent server and waited for a heartbeat of its own: serve's
    requests queued on its database thread were answered one heartbeat (10 s) after another,
    as many as the pool held connections. Found sending serve GETs one after another under
    whole_server_frozen. The server is known out of reach after the cut, as after a try to
    connect that got no answer: the next requests are answered at once, saying so."""
    srv = start(querylang.connect(cluster.url()))
    try:
        url = srv.url + "/classes/User"
        together = threading.Barrier(6)
        readers = [threading.Thread(target=lambda: (srv.db.query("User", None), together.wait(10))) for _ in range(6)]
        for t in readers:
            t.start()
        for t in readers:
            t.join()  # their connections back in the pool, idle
        assert _users(url) == ["u1", "u2"]
        with frozen():
            said = ends(*[lambda: httpx.get(url, headers=headers(), timeout=120)] * 3, within=30)
        errors = [one["value"].json()["error"] for one in said]
        assert "stopped answering" in errors[0], errors
        assert all(e.startswith("cannot reach the PostgreSQL server at ") and "stopped answering" in e
                   for e in errors[1:]), errors
        assert answered_again(lambda: _users(url)) == ["u1", "u2"]
    finally:
        srv.stop()
        srv.db.close()


def test_closing_a_database_ends_its_watchdog_thread(cluster: Cluster) -> None:
    """Each store's watchdog thread (timeouts, cancels, the heartbeat) waited for good once
    started, after close() too: a process that opened a Database per task kept one thread per
    Database ever opened. Found counting querylang-watchdog threads after closing a PostgreSQL
    and a DuckDB database that had each run a query. It ends with the store."""
    for db in (querylang.connect(cluster.url()), querylang.connect()):
        if not db.schema.classes:
            db.load(DOC)
        assert db.query("User", None).ids == ["u1", "u2"]  # the timeout started the thread
        [thread] = [t for t in threading.enumerate() if t is db.store.watchdog._thread]
        db.close()
        thread.join(10)
        assert not thread.is_alive()


def test_a_write_is_not_cut_when_the_servers_name_does_not_resolve(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The heartbeat asked the server the URL names, so a new connection looked the host name
    up again: while the name did not resolve (a DNS hiccup) the ask failed without an answer
    from the server and a long write on a server that was there was cut ("stopped answering").
    With several hosts in the URL it asked whichever answered first, not the one the write was
    on. Found reading how psycopg.connect makes its attempts. The ask goes to the address the
    connection is on."""
    import socket

    from querylang.engines.postgres import heartbeat

    monkeypatch.setattr(heartbeat, "LOOK", 0.1)
    monkeypatch.setattr(heartbeat, "PROBE", 2)
    db = querylang.connect(cluster.url().replace("127.0.0.1", "localhost"))
    resolve = socket.getaddrinfo
    try:
        def change(current: dict[str, Any]) -> querylang.Change:
            def unknown(*args: Any, **kw: Any) -> Any:
                raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

            monkeypatch.setattr(socket, "getaddrinfo", unknown)
            try:
                threading.Event().wait(0.5)  # LOOK passes, more than once
                for t in threading.enumerate():
                    if t.name == "querylang-pg-heartbeat":
                        t.join(10)  # the asks made while the name does not resolve end
            finally:
                monkeypatch.setattr(socket, "getaddrinfo", resolve)
            return querylang.Change({"name": "Ann"})

        assert db.update("User", "u1", change)["name"] == "Ann"
    finally:
        db.close()


def test_a_call_running_when_the_database_is_closed_says_so(cluster: Cluster, caplog: pytest.LogCaptureFixture) -> None:
    """close() closes the connections of calls still running on other threads (or in an
    update's change): they failed with "the PostgreSQL server went away during the query:
    connection socket closed" (the server was there), and the pool warned on stderr that it was
    "closing returned connection: <psycopg.Connection [ACTIVE] …>". Found closing a Database
    under a running query while reviewing close() on a frozen server. They say the database was
    closed (a write: that nothing was changed), and the pool's warnings about the store's own
    connections closed so are left out, as its discards are."""
    import logging

    caplog.set_level(logging.WARNING, logger="psycopg.pool")
    reading = querylang.connect(cluster.url(), timeout=None)
    said: list[Exception] = []

    def read() -> None:
        try:
            reading.store.execute("SELECT pg_sleep(10)", [])
        except querylang.QueryError as exc:
            said.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    with psycopg.connect(cluster.url(), autocommit=True) as watch:
        for _ in range(500):
            if watch.execute("SELECT 1 FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)'").fetchall():
                break
            threading.Event().wait(0.02)
    reading.close()
    reader.join(10)
    assert [str(e) for e in said] == [querylang.errors.DATABASE_CLOSED]

    writing = querylang.connect(cluster.url())

    def change(current: dict[str, Any]) -> querylang.Change:
        writing.close()
        return querylang.Change({"name": "changed"})

    with pytest.raises(querylang.DataError) as info:
        writing.update("User", "u1", change)
    assert str(info.value) == ("write failed, nothing was changed: the database was closed (db.close() was "
                               "called) while the write ran")
    assert [r.getMessage() for r in caplog.records if r.name == "psycopg.pool"] == []
    with querylang.connect(cluster.url()) as again:
        assert again.find("User", {"objectId": "u1"}).records[0]["name"] == "Ann"


def test_opening_a_database_on_a_server_that_stops_answering_ends(
        cluster: Cluster, frozen: Callable[[], AbstractContextManager[None]], monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a database connects once with the connect timeout, then reads the schema on a
    pooled connection with none: a server that stopped answering between the two held
    querylang.connect (serve's start too) for good. Found freezing the server in the schema
    read. The read runs under the heartbeat, and opening fails saying so."""
    from querylang.engines.postgres.store import PostgresStore

    block = frozen()
    read_schema = PostgresStore._read_schema

    def freezing(store: Any, con: Any) -> Any:
        block.__enter__()
        return read_schema(store, con)

    monkeypatch.setattr(PostgresStore, "_read_schema", freezing)
    try:
        [said] = ends(lambda: querylang.connect(cluster.url()))
    finally:
        block.__exit__(None, None, None)
    assert isinstance(said.get("error"), querylang.DataError), said
    assert str(said["error"]).startswith("cannot open the PostgreSQL database at postgresql://"), said
    assert "stopped answering" in str(said["error"]), said
    monkeypatch.setattr(PostgresStore, "_read_schema", read_schema)
    with answered_again(lambda: querylang.connect(cluster.url())) as db:
        assert db.query("User", None).ids == ["u1", "u2"]

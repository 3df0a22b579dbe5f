"""Statements on PostgreSQL's pool: readers at once, a statement's timeout and cancel, streams
through a server-side cursor, and results let go once read."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang import DataError, QueryError, QueryTimeout

from .pg import DOC, plain, when_running


def test_readers_run_at_once(pair):
    """Two threads through the pool: both statements are on the server at the same time.
    Sleeps of 3 s, not 0.5 s: one after the other they take 6 s, so a loaded machine's slow
    thread start or new connection (0.45 s of margin was too little) cannot pass for that."""
    pg, _ = pair
    started = time.perf_counter()
    threads = [threading.Thread(target=lambda: pg.store.execute("SELECT pg_sleep(3)", [])) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert time.perf_counter() - started < 5.5



def test_statement_timeout(pair):
    pg, _ = pair
    with pytest.raises(QueryTimeout, match="0.2 s"):
        pg.store.execute("SELECT pg_sleep(5)", [], timeout=0.2)
    assert pg.query("Post", {"objectId": "p1"}).ids == ["p1"]  # the connection is usable again



def test_cancel_stops_a_running_statement(pair, pg_cluster):
    from querylang.errors import QueryCancelled

    pg, _ = pair
    cancel = threading.Event()
    [(pid,)] = pg.store.execute("SELECT pg_backend_pid()", [])
    # Set once the statement runs: a timer's could come before it began on a loaded machine,
    # answered at once with nothing stopped.
    when_running(pg_cluster, pid, cancel.set)
    started = time.perf_counter()
    with pytest.raises(QueryCancelled):
        pg.store.execute("SELECT pg_sleep(5)", [], cancel=cancel)
    assert time.perf_counter() - started < 4
    assert pg.query("Post", {"objectId": "p1"}).ids == ["p1"]



def test_stream_reads_through_a_server_side_cursor(pair):
    pg, duck = pair
    script = "where({}); sort(['title'])"
    expected = duck.query("Post", script).records
    assert list(pg.stream("Post", script, batch=2)) == expected
    rows = pg.stream("Post", script, batch=1)
    assert next(rows) == expected[0]
    with psycopg.connect(pg.store.url, autocommit=True) as con:
        # The rest waits on the server, in a transaction of its own, while the reader takes its time.
        assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
            "AND datname = current_database()").fetchone() == (1,)
        # The thread's own connection is not in that transaction: a write now is written at once.
        oid = pg.create("User", {"name": "Cy"})
        assert con.execute('SELECT name FROM "User" WHERE "objectId" = %s', [oid]).fetchone() == ("Cy",)
    assert list(rows) == expected[1:]
    with psycopg.connect(pg.store.url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
            "AND datname = current_database()").fetchone() == (0,)



def test_a_stream_is_stopped_by_its_cancel_event_and_gives_its_connection_back(pair):
    from querylang.errors import QueryCancelled

    pg, _ = pair
    cancel = threading.Event()
    rows = pg.stream("Post", "where({})", batch=1, cancel=cancel)
    next(rows)
    cancel.set()
    with pytest.raises(QueryCancelled):
        list(rows)
    with psycopg.connect(pg.store.url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
            "AND datname = current_database()").fetchone() == (0,)
    with pytest.raises(QueryError, match="rejected"):
        pg.store.stream("SELECT nope FROM nowhere", [])
    assert pg.query("Post", {"objectId": "p1"}).ids == ["p1"]



@pytest.mark.parametrize("batch", [0, -1, 1.5, "10", True, None])
def test_a_stream_batch_that_is_not_a_whole_number_of_1_or_more_is_refused(pair, batch):
    """README: db.stream(..., batch=1000). batch=0 gave no records on DuckDB and all of them on
    PostgreSQL, -1 all of them again the other way round; a float or a string was DuckDB's
    TypeError from fetchmany and PostgreSQL's 'the database rejected the query'."""
    for db in pair:
        with pytest.raises(QueryError, match=r"batch must be a whole number of 1 or more, got"):
            list(db.stream("Post", sort=["title"], batch=batch))
    pg, duck = pair
    assert list(pg.stream("Post", sort=["title"], batch=1)) == duck.query("Post", sort=["title"]).records
    # A batch past PostgreSQL's FETCH count (an int4) was 'the database rejected the query' there,
    # and one past 2^64 DuckDB's TypeError: any batch that large reads every record at once.
    for db in pair:
        assert list(db.stream("Post", sort=["title"], batch=2**70)) == duck.query("Post", sort=["title"]).records



def test_a_stream_refused_for_its_select_keeps_no_connection(pair):
    """The select was checked after the statement had started on a pooled connection, and the
    batches that would have given it back never started: each such stream kept a connection,
    and after the pool's 16 no stream or new thread could read."""
    from querylang.engines.postgres.store import POOL_SIZE

    pg, duck = pair
    for _ in range(POOL_SIZE + 1):
        with pytest.raises(QueryError, match="nope"):
            list(pg.stream("Post", select="nope"))
    assert list(pg.stream("Post", sort=["title"])) == duck.query("Post", sort=["title"]).records



def test_a_field_added_while_this_threads_stream_reads_the_class_is_refused(pair):
    """Adding a column waits for every transaction that read the table, a stream's among them.
    The thread's own unfinished stream cannot end while the thread waits: the write hung for
    good (and every later query of the class queued behind it). It is refused, nothing changed;
    another thread's stream is waited for, as any reader's."""
    pg, duck = pair
    out: dict[str, Any] = {}

    def own_stream() -> None:
        rows = pg.stream("Post", batch=1)
        next(rows)
        try:
            pg.add_field("Post", "extra", "String")
        except DataError as exc:
            out["error"] = exc
        try:
            pg.load({"classes": {"Post": {"fields": {"more": {"type": "Number"}}}}, "records": {}})
        except DataError as exc:
            out["load error"] = exc
        pg.add_field("User", "extra", "String")  # a class the stream does not read
        out["rest"] = len(list(rows))

    worker = threading.Thread(target=own_stream, daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # the hang: free the waiting write, then fail
        with psycopg.connect(pg.store.url, autocommit=True) as con:
            con.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE%%'")
        worker.join(30)
        pytest.fail("adding a field while this thread's stream read the class waited for good")
    for key in ("error", "load error"):
        assert out[key].class_name == "Post" and "stream" in str(out[key])
    assert out["rest"] == 3
    assert "extra" not in pg.schema.get("Post").fields and "more" not in pg.schema.get("Post").fields
    assert "extra" in pg.schema.get("User").fields
    # Another thread's stream: the write waits for it to end, then is written.
    rows = pg.stream("Post", batch=1)
    next(rows)
    writer = threading.Thread(target=lambda: pg.add_field("Post", "extra", "String"), daemon=True)
    writer.start()
    time.sleep(0.5)
    assert writer.is_alive()
    assert len(list(rows)) == 3
    writer.join(30)
    assert not writer.is_alive() and pg.schema.get("Post").fields["extra"].type == "String"
    assert plain(pg.query("Post", sort=["title"]).records) == plain(duck.query("Post", sort=["title"]).records)



def test_a_result_is_not_kept_after_its_statement(pair):
    """A thread's statements run on its connection (prepared.py); a result, large or small, is
    let go once its rows are read, so its memory does not stay until the thread's next query."""
    pg, _ = pair
    store = pg.store
    assert store.execute("SELECT 1", []) == [(1,)]
    held = store._thread_connection()
    assert held.statements.tx.pgresult is None
    rows = store.execute("SELECT g FROM generate_series(1, %s) AS g", [20_001])
    assert len(rows) == 20_001 and held.statements.tx.pgresult is None
    assert store.execute("SELECT 2", []) == [(2,)]
    assert store.execute("CREATE TEMP TABLE t_no_rows (x int)", []) == []



EXIT_WITH_A_STREAM_OPEN = """
import sys, threading, querylang
db = querylang.connect(sys.argv[1])
db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}},
         "records": {"Post": [{"objectId": f"p{i}", "n": i} for i in range(5)]}})
rows = db.stream("Post", None, batch=1, cancel=threading.Event() if sys.argv[2] == "cancel" else None)
print(next(rows)["objectId"])
db.close()
"""


@pytest.mark.parametrize("cancel", ["cancel", "none"])
def test_python_exits_with_a_stream_left_open_after_close(pg_cluster, cancel):
    """A stream read in part, its database closed, then Python exiting: the process hung for
    good, the stream's cleanup (run by the collector as Python exits) starting a watched
    statement on a thread that could no longer run."""
    import subprocess
    import sys

    from .pg import fresh_url

    url = fresh_url(pg_cluster)
    # A subprocess: Python's exit is the point.
    done = subprocess.run([sys.executable, "-c", EXIT_WITH_A_STREAM_OPEN, url, cancel],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "p0\n", "")
    with psycopg.connect(url, autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                           "AND datname = current_database()").fetchone() == (0,)


def test_close_ends_the_transaction_of_a_stream_left_open(pg_cluster):
    """db.close() with a stream read in part left the stream's session 'idle in transaction',
    holding its snapshot and its lock on the class's table (another process's load of the class
    waited on it), for as long as the caller kept the stream, though nothing could read it on."""
    from .pg import fresh_url

    url = fresh_url(pg_cluster)
    db = querylang.connect(url)
    db.load(DOC)
    rows = db.stream("Post", None, batch=1)
    assert next(rows)["objectId"] == "p1"
    db.close()
    with psycopg.connect(url, autocommit=True) as con:
        for _ in range(100):  # the server ends the session a moment after its socket is shut
            left = con.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND pid <> pg_backend_pid() AND state = 'idle in transaction'").fetchone()
            if left == (0,):
                break
            time.sleep(0.05)
    assert left == (0,)
    with pytest.raises(querylang.QueryError, match="the database is closed"):
        next(rows)

"""A statement the PostgreSQL server stopped itself (its statement_timeout, a cancel through
its cancel protocol) leaves the thread's connection answering: the next query runs on it,
where each timed-out query used to cost the next one a new connection (psycopg files
QueryCanceled under OperationalError, which gave the connection back as broken). A
connection cut because the server stopped answering is replaced (test_pg_frozen.py)."""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang.engines.postgres.layout import SCHEMA_TABLE

from .pg import fresh_database, when_running

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "Bob"}]}}


def _pid(db: querylang.Database) -> int:
    """The backend of this thread's connection, as the server says it."""
    [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
    return int(pid)


def _opened(cluster: Any) -> querylang.Database:
    db = fresh_database(cluster)
    db.load(DOC)
    db.store.pool.wait(30)  # every pooled connection made: a replaced one is another backend
    return db


def test_a_query_past_its_timeout_keeps_its_connection(pg_cluster: Any) -> None:
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        with pytest.raises(querylang.QueryTimeout):
            db.store.execute("SELECT pg_sleep(5)", [], timeout=0.2)
        assert _pid(db) == before  # was another backend: the connection given back as broken
        assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": "Bob"}).ids == ["u2"]
        assert db.store.execute("SELECT %s::int + 1", [41], timeout=0.2) == [(42,)]  # its limit holds again
    finally:
        db.close()


def test_a_cancelled_query_keeps_its_connection(pg_cluster: Any) -> None:
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        cancel = threading.Event()
        # Set once the statement runs: a timer's could come first on a loaded machine, and be
        # answered before the statement was sent, which keeps the connection trivially.
        when_running(pg_cluster, before, cancel.set)
        with pytest.raises(querylang.QueryCancelled):
            db.store.execute("SELECT pg_sleep(5)", [], timeout=10, cancel=cancel)
        assert _pid(db) == before
        assert db.query("User").ids == ["u1", "u2"]
    finally:
        db.close()


def test_a_schema_read_past_its_timeout_keeps_its_connection(pg_cluster: Any) -> None:
    """The reads watched as a query's statement is (Watched._watched) likewise: here the schema
    read again after another process's change, waiting on a lock another session holds."""
    db = fresh_database(pg_cluster, timeout=0.3)
    try:
        db.load(DOC)
        db.store.pool.wait(30)
        before = _pid(db)
        [(schema,)] = db.store.execute("SELECT current_schema()", [])
        db.store.heard.schema(db.store._pg_schema)  # as a notice of another process's change does
        with psycopg.connect(pg_cluster.url(), autocommit=True) as other, other.transaction():
            other.execute(f'LOCK TABLE "{schema}".{SCHEMA_TABLE} IN ACCESS EXCLUSIVE MODE')
            with pytest.raises(querylang.QueryTimeout):
                db.count("User")
        assert _pid(db) == before
        assert db.count("User") == 2
    finally:
        db.close()


def test_back_to_back_stopped_and_fast_queries_each_answer(pg_cluster: Any) -> None:
    """A cancel the watchdog sends (again each round while the event is set) as the statement
    ends, or after the server stopped it, must not stop the next statement on the kept
    connection: the watchdog forgets a statement only once its cancel has been answered."""
    db = _opened(pg_cluster)
    try:
        rnd = random.Random(7)
        stopped = 0
        for i in range(240):
            try:
                if i % 4:
                    cancel = threading.Event()
                    threading.Timer(rnd.uniform(0, 0.03), cancel.set).start()
                    db.store.execute("SELECT pg_sleep(%s)", [rnd.uniform(0, 0.03)], timeout=5, cancel=cancel)
                else:
                    db.store.execute("SELECT pg_sleep(%s)", [rnd.uniform(0, 0.02)], timeout=0.01)
            except (querylang.QueryCancelled, querylang.QueryTimeout):
                stopped += 1
            assert db.store.execute("SELECT %s::int + 1", [i], timeout=2) == [(i + 1,)]
            assert db.store.execute("SELECT %s::int + 2", [i]) == [(i + 2,)]
        assert stopped >= 10  # the loop did stop statements (as they ran, or as they ended)
    finally:
        db.close()


def test_a_cancel_that_could_not_be_sent_cuts_its_connection(pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cancel request that failed or ran past its limit may still reach the server later,
    and stop whichever statement then runs on the connection: the connection is cut at once
    (the query is cancelled) and the thread's next statement runs on another. The failed send
    was ignored, tried again each round, and the connection cut only GRACE s later."""
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        con = db.store._thread_connection().con
        sent: list[float] = []

        def unsent(*, timeout: float) -> None:
            sent.append(timeout)
            raise psycopg.errors.CancellationTimeout("cancellation timeout expired")

        monkeypatch.setattr(con, "cancel_safe", unsent)
        cancel, set_at = threading.Event(), []

        def set_cancel() -> None:
            set_at.append(time.monotonic())
            cancel.set()

        # Set once the statement runs (a timer's, set before it began, was answered without a
        # send on a loaded machine), and timed from then: the seeing thread's connect is not
        # the cut's delay. Cut GRACE (5) s on, as before, is past the bound.
        when_running(pg_cluster, before, set_cancel)
        with pytest.raises(querylang.QueryCancelled):
            db.store.execute("SELECT pg_sleep(8)", [], timeout=30, cancel=cancel)
        assert time.monotonic() - set_at[0] < 2
        assert sent == [5]  # tried once: cut after it
        assert _pid(db) != before
        assert db.query("User").ids == ["u1", "u2"]
    finally:
        db.close()


def test_a_cancel_slow_to_send_does_not_hold_other_threads_queries(pg_cluster: Any) -> None:
    """The watchdog sends a cancel outside its lock: one that took 4 s to send (a server slow
    to take the cancel's connection) held every other thread's query at its start or end.
    The send takes 4 s (was 2 s) and the bound is 2 s (was 0.5 s): a held query waits nearly
    the whole send, and a loaded machine's small query is not taken for one held."""
    db = _opened(pg_cluster)
    try:
        began_send, cancel = threading.Event(), threading.Event()
        said: list[BaseException] = []
        pids: list[int] = []

        def cancelled_slowly() -> None:
            con = db.store._thread_connection().con
            send = con.cancel_safe
            pids.append(con.info.backend_pid)

            def slow(*, timeout: float) -> None:
                began_send.set()
                time.sleep(4)
                send(timeout=timeout)

            con.cancel_safe = slow  # type: ignore[method-assign]
            try:
                db.store.execute("SELECT pg_sleep(8)", [], timeout=30, cancel=cancel)
            except querylang.QueryCancelled as exc:
                said.append(exc)

        a = threading.Thread(target=cancelled_slowly, daemon=True)
        a.start()
        # Set once the statement runs: a timer's, set before the thread's statement began, was
        # answered without a send on a loaded machine.
        deadline = time.monotonic() + 30
        while not pids and time.monotonic() < deadline:
            time.sleep(0.01)
        when_running(pg_cluster, pids[0], cancel.set)
        assert began_send.wait(30)
        took = []
        for i in range(5):
            t0 = time.monotonic()
            assert db.store.execute("SELECT %s::int + 1", [i], timeout=1) == [(i + 1,)]
            took.append(time.monotonic() - t0)
        a.join(20)
        assert max(took) < 2, took
        assert said and isinstance(said[0], querylang.QueryCancelled)
        assert db.query("User").ids == ["u1", "u2"]
    finally:
        db.close()


def test_a_statement_answered_as_its_deadline_came_keeps_its_connection(pg_cluster: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The watchdog's cut at a statement's deadline, made after its answer came and before its
    end was told (forced here: the cut waits for the statement's done, the answer for the
    deadline), closed a connection with nothing on its way: the statement kept its answer and
    the thread's next statement paid for a new connection. The end now comes first."""
    from querylang.engines.postgres import watched
    from querylang.engines.postgres.interrupt import Interrupt
    from querylang.engines.postgres.prepared import Statements

    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        mine = db.store._local.held.con
        due, ending = threading.Event(), threading.Event()
        cut, run, done = Interrupt.interrupt, Statements.run, db.store.watchdog.done

        def at_deadline(self: Interrupt) -> None:  # the watchdog's, once the deadline came
            if self.con is not mine:  # another store's watchdog, still running from an earlier test
                return cut(self)
            due.set()
            assert ending.wait(10)
            cut(self)

        def answered(self: Statements, *args: Any) -> list[tuple[Any, ...]]:
            rows = run(self, *args)
            assert due.wait(10)  # the deadline came as the answer did
            return rows

        def end(token: int) -> None:
            ending.set()
            done(token)

        monkeypatch.setattr(watched, "GRACE", 0.0)  # the deadline at the timeout itself
        monkeypatch.setattr(Interrupt, "interrupt", at_deadline)
        monkeypatch.setattr(Statements, "run", answered)
        monkeypatch.setattr(db.store.watchdog, "done", end)
        assert db.store.execute("SELECT %s::int + 1", [41], timeout=0.3) == [(42,)]
        assert due.is_set() and ending.is_set()
        monkeypatch.undo()
        assert _pid(db) == before  # was another backend: the connection cut after the answer
        assert db.count("User") == 2
    finally:
        db.close()


def test_a_statement_cut_as_its_answer_came_answers_and_gives_its_connection_back(
        pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cut that came before the statement's end, its answer in hand already (forced here:
    the answer waits for the cut): the answer stands, and the cut connection is given back at
    once rather than kept for the thread's next statement to fail on."""
    from querylang.engines.postgres import watched
    from querylang.engines.postgres.interrupt import Interrupt
    from querylang.engines.postgres.prepared import Statements

    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        held = db.store._local.held
        made = threading.Event()
        cut, run = Interrupt.interrupt, Statements.run

        def at_deadline(self: Interrupt) -> None:
            cut(self)
            if self.con is held.con:  # not another store's watchdog, still running from an earlier test
                made.set()

        def answered(self: Statements, *args: Any) -> list[tuple[Any, ...]]:
            rows = run(self, *args)
            assert made.wait(10)  # cut after the answer came, before the statement's end
            return rows

        monkeypatch.setattr(watched, "GRACE", 0.0)
        monkeypatch.setattr(Interrupt, "interrupt", at_deadline)
        monkeypatch.setattr(Statements, "run", answered)
        assert db.store.execute("SELECT %s::int + 1", [41], timeout=0.3) == [(42,)]
        monkeypatch.undo()
        assert getattr(db.store._local, "held", None) is not held  # given back: it was kept, cut
        assert _pid(db) != before
        assert db.count("User") == 2
    finally:
        db.close()


def test_a_read_watched_as_a_statement_cut_as_its_answer_came_gives_its_connection_back(
        pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same for a read a query makes under its watch (Watched._watched: a column's type, the
    stems' check, the schema read again): its cut connection was kept for the thread's next
    statement, which failed on it unless the look before it (none within a millisecond of an
    answer) found it broken."""
    from querylang.engines.postgres import watched
    from querylang.engines.postgres.interrupt import Interrupt

    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        held = db.store._local.held
        made = threading.Event()
        cut = Interrupt.interrupt

        def at_deadline(self: Interrupt) -> None:
            cut(self)
            if self.con is held.con:  # not another store's watchdog, still running from an earlier test
                made.set()

        def answered() -> list[tuple[Any, ...]]:
            rows = held.con.execute("SELECT 42").fetchall()
            assert made.wait(10)  # cut after the answer came, before the read's end
            return rows

        monkeypatch.setattr(watched, "GRACE", 0.0)
        monkeypatch.setattr(Interrupt, "interrupt", at_deadline)
        assert db.store._watched(held.con, answered, 0.3, None) == [(42,)]
        monkeypatch.undo()
        assert getattr(db.store._local, "held", None) is not held  # given back: it was kept, cut
        assert "User" in db.store._stored_now(None, 5).classes  # the next watched read, on another
        assert _pid(db) != before
    finally:
        db.close()

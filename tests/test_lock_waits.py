"""A query's or a write's wait for the store's lock (engines/sql/readers.py) keeps to its limits:
a load or write holds the store alone, and a query with a timeout of half a second waited for
the whole load before it. The load here is held in its progress until the test lets it go, so
the order is certain without sleeps."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

import querylang
from querylang import QueryCancelled, QueryTimeout
from querylang.engines.sql.readers import ReadWriteLock
from querylang.engines.sql.watchdog import Watchdog

DOC = {"classes": {"A": {"fields": {"n": {"type": "Number"}}}}, "records": {"A": [{"objectId": "a1", "n": 1}]}}
MORE = {"records": {"A": [{"objectId": "a2", "n": 2}]}}
HANG = 10  # seconds after which a test that would hang lets the load go (and fails)


@contextmanager
def held_by_a_load(db: querylang.Database) -> Iterator[None]:
    """Inside: another thread's load of MORE holds ``db``'s store, waiting in its progress."""
    inside, go = threading.Event(), threading.Event()

    def progress(stage: str, done: int, total: int) -> None:
        inside.set()
        go.wait(HANG)

    loaded: list[Any] = []
    t = threading.Thread(target=lambda: loaded.append(db.load(MORE, progress=progress)), daemon=True)
    t.start()
    assert inside.wait(HANG)
    try:
        yield
    finally:
        go.set()
        t.join(HANG)
    assert loaded == [{"A": 1}]


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except Exception as exc:  # noqa: BLE001 - the test looks at what it raised
            out.append(exc)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def test_a_query_waiting_for_a_load_stops_at_its_timeout(engine) -> None:
    """db.query(..., timeout=0.5) behind a load of a few seconds returned once the load ended;
    found by running a query in one thread while another loaded. Count and the others too."""
    db = engine()
    db.load(DOC)
    db.timeout = 0.05
    with held_by_a_load(db):
        for call in (lambda: db.query("A", None), lambda: db.count("A"), lambda: db.distinct("A", "n")):
            with pytest.raises(QueryTimeout, match=r"longer than 0.05 s .* waited (that long|0\.0\d+ s) for a load or write"):
                call()
    # Nothing left held: the load went on, and so do queries and writes.
    assert db.query("A", None, sort="n").ids == ["a1", "a2"]
    db.create("A", {"objectId": "a3", "n": 3})
    assert db.count("A") == 3


def test_a_reference_query_waiting_for_a_load_stops_at_its_timeout(engine) -> None:
    """db.reference has the database's timeout, but on DuckDB its read of the data held the
    store alone and waited for the whole load before it; on PostgreSQL it read beside the
    load. It reads as a query does now: the wait ends at the timeout, nothing held."""
    db = engine()
    db.load(DOC)
    db.timeout = 0.05
    with held_by_a_load(db), pytest.raises(QueryTimeout, match=r"longer than 0.05 s .* waited (that long|0\.0\d+ s) for a load or write"):
        db.reference("A", None)
    assert db.reference("A", None, sort="n").ids == db.query("A", None, sort="n").ids == ["a1", "a2"]


def test_a_query_waiting_for_a_load_is_cancelled(engine) -> None:
    db = engine()
    db.load(DOC)
    db.timeout = None
    cancel = threading.Event()
    with held_by_a_load(db):
        t, out = in_thread(lambda: db.query("A", None, cancel=cancel))
        u, streamed = in_thread(lambda: list(db.stream("A", None, cancel=cancel)))
        cancel.set()
        t.join(HANG / 2)
        u.join(HANG / 2)
        assert not t.is_alive() and not u.is_alive(), "the cancel waited for the load"
    assert isinstance(out[0], QueryCancelled) and isinstance(streamed[0], QueryCancelled)
    assert db.count("A") == 2


def test_a_writer_that_gives_up_lets_the_readers_behind_it_go() -> None:
    """A reader queued behind a waiting writer (writers go first) must not wait for the writer
    that stopped waiting."""
    lock = ReadWriteLock()
    give_up = threading.Event()
    with lock.shared():
        w, wrote = in_thread(lambda: lock.acquire(cancel=give_up))
        while not lock._waiting_writers and w.is_alive():  # the writer waits
            w.join(0.001)
        r, read = in_thread(lambda: read_once(lock))
        give_up.set()
        w.join(HANG)
        r.join(HANG)
        assert not r.is_alive(), "the reader waited for a writer that had given up"
    assert wrote == [False] and read == ["read"]
    with lock:  # nothing left held
        pass


def read_once(lock: ReadWriteLock) -> str:
    with lock.shared():
        return "read"


def test_a_write_waiting_for_a_load_stops_at_its_lock_wait(engine) -> None:
    """A write's lock_wait (the database's timeout) bounded only PostgreSQL's wait for other
    connections' locks: behind a load of this process a write, even on PostgreSQL, waited for
    the whole load. Found beside the query's wait (above)."""
    db = engine()
    db.load(DOC)
    db.timeout = 0.05
    writes = (
        lambda: db.create("A", {"objectId": "a3", "n": 3}),
        lambda: db.save("A", "a1", {"n": 10}),
        lambda: db.update("A", "a1", lambda r: querylang.Change({"n": 11})),
        lambda: db.delete("A", "a1", check=lambda r: None),
    )
    with held_by_a_load(db):
        for write in writes:
            with pytest.raises(querylang.DataError, match=r"nothing was changed: it waited longer than 0.05 s for a load"):
                write()
    assert [(r["objectId"], r["n"]) for r in db.query("A", None, sort="n").records] == [("a1", 1), ("a2", 2)]
    db.save("A", "a1", {"n": 10})  # nothing left held
    assert db.count("A", {"n": 10}) == 1


def test_the_wait_counts_against_the_statements_timeout(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wait for the load was bounded by the timeout, but the statement then had the whole
    timeout again: a query could take twice its timeout. The statement gets what is left, and
    its timeout says how long it waited. (The store's execute stands in for a statement that
    runs past what is left, which no test can time.)"""
    db = engine()
    db.load(DOC)
    db.timeout = 3 * HANG
    lock = db.store.lock
    waiting = threading.Event()
    wait = lock._wait

    def noted(deadline: float, cancel: threading.Event | None) -> bool:
        waiting.set()
        return wait(deadline, cancel)

    given: list[float | None] = []

    def past_its_timeout(sql: str, params: Any, *, timeout: float | None = None, **kw: Any) -> Any:
        given.append(timeout)
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")

    monkeypatch.setattr(lock, "_wait", noted)
    monkeypatch.setattr(db.store, "execute", past_its_timeout)
    with held_by_a_load(db):
        t, out = in_thread(lambda: db.count("A"))
        assert waiting.wait(HANG)  # the query waits for the load
    t.join(HANG)
    assert len(given) == 1 and given[0] is not None and 0 < given[0] < db.timeout
    assert isinstance(out[0], QueryTimeout)
    # The statement got what the wait left (given[0]); the message tells the query's own limit.
    assert re.fullmatch(r"the query ran longer than 30 s and was stopped \(it had waited "
                        r"\S+ s of its 30 s for a load or write of the database to end\)", out[0].message)


def test_a_huge_timeout_waits_for_the_load(engine) -> None:
    """A query or a write with a timeout past what a thread may wait (threading.TIMEOUT_MAX,
    about 292 years) failed behind a load with Python's OverflowError; found trying large
    timeouts. They wait for the load, as with no timeout."""
    db = engine()
    db.load(DOC)
    db.timeout = 1e12
    with held_by_a_load(db):
        q, counted = in_thread(lambda: db.count("A"))
        w, wrote = in_thread(lambda: db.save("A", "a1", {"n": 10}))
        while q.is_alive() and not db.store.lock._waiting_writers:  # the write waits for the load
            q.join(0.001)
    q.join(HANG)
    w.join(HANG)
    assert counted == [2] and wrote == [None]
    assert db.count("A", {"n": 10}) == 1


def test_a_huge_timeout_leaves_the_watchdog_running() -> None:
    """A statement watched with a timeout of 1e12 s made the store's watchdog thread die of
    OverflowError (its wait was past threading.TIMEOUT_MAX): every later statement of the
    store ran past its timeout and ignored its cancel. Found beside the lock's huge waits."""

    class Cursor:
        def __init__(self) -> None:
            self.interrupted = threading.Event()

        def interrupt(self) -> None:
            self.interrupted.set()

    dog = Watchdog()
    sleeping = threading.Event()
    wait = dog._cond.wait

    def noted(timeout: float | None = None) -> bool:
        sleeping.set()
        return wait(timeout)

    dog._cond.wait = noted  # type: ignore[method-assign]
    slow, quick = Cursor(), Cursor()
    first = dog.watch(slow, 1e12)
    assert sleeping.wait(HANG)  # the thread goes to sleep until the slow one's deadline
    second = dog.watch(quick, 0.01)
    try:
        assert quick.interrupted.wait(HANG), "the statement ran past its timeout"
        assert not slow.interrupted.is_set()
    finally:
        dog.done(first)
        dog.done(second)
        dog.close()


def test_a_reader_that_waited_for_a_writer_goes_before_the_next_writer() -> None:
    """A reader waited while any writer did, so with writers always waiting (three threads
    saving in a loop) every query ran into its timeout; found running queries beside such
    writers. The readers waiting when a writer ends go in before the next writer."""
    lock = ReadWriteLock()
    waiting: set[str] = set()
    wait = lock._wait
    seen = threading.Condition()

    def noted(deadline: float, cancel: threading.Event | None) -> bool:
        with seen:
            waiting.add(threading.current_thread().name)
            seen.notify_all()
        return wait(deadline, cancel)

    lock._wait = noted  # type: ignore[method-assign]
    order: list[str] = []

    def write() -> None:
        assert lock.acquire(HANG)
        order.append("writer")
        lock.release()

    def read() -> None:
        with lock.shared(HANG):
            order.append("reader")

    lock.acquire()  # the writer before them
    w = threading.Thread(target=write, name="writer", daemon=True)
    r = threading.Thread(target=read, name="reader", daemon=True)
    w.start()
    with seen:
        assert seen.wait_for(lambda: "writer" in waiting, HANG)
    r.start()
    with seen:
        assert seen.wait_for(lambda: "reader" in waiting, HANG)
    lock.release()
    w.join(HANG)
    r.join(HANG)
    assert order == ["reader", "writer"]
    with lock:  # nothing left held
        pass


def test_a_long_wait_is_told_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """A QueryTimeout after a wait of 150 s said "it had waited 1.5e+02 s of its 300 s"; found
    trying long timeouts. (The lock's waited() and the store's execute stand in for a query
    that waited that long for a load and then ran past what was left, which no test can time.)"""
    db = querylang.connect()
    db.load(DOC)
    db.timeout = 300

    def past_its_timeout(sql: str, params: Any, *, timeout: float | None = None, **kw: Any) -> Any:
        raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")

    monkeypatch.setattr(db.store.lock, "waited", lambda: 150.3)
    monkeypatch.setattr(db.store, "execute", past_its_timeout)
    with pytest.raises(QueryTimeout) as err:
        db.count("A")
    # The query's limit, not what the wait left of it for the statement (149.7 s).
    assert err.value.message == ("the query ran longer than 300 s and was stopped (it had waited 150 s of its "
                                 "300 s for a load or write of the database to end)")

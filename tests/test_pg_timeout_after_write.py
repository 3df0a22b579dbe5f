"""The statement_timeout a PostgreSQL connection keeps is remembered on it (Watched._set_timeout),
so that a query sets it only when it changes. A read inside update's change runs on the write's
connection, in its transaction: the limit it SET there was undone with the transaction when the
change raised, and still taken as set. A query of 1 s then ran with no limit (3 s, on a locked
table, and answered), and db.reference's read of every record with the 1 s it meant to lift.
Inside the transaction, the write's own SET LOCAL of no limit was taken for the last query's:
a query of 1 s in update's change waited with none."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

import querylang
from querylang import Change, QueryTimeout

from .pg import fresh_url
from .test_pg_one_clock import DOC, hold_lock

STOPPED = r"^the query ran longer than 1 s and was stopped$"


def undone_change(read: Callable[[], Any]) -> Callable[[dict[str, Any]], Change]:
    """update's change that reads, then raises: the write's transaction is rolled back."""
    def change(record: dict[str, Any]) -> Change:
        read()
        raise ValueError("undone")

    return change


def test_a_query_after_a_rolled_back_change_has_its_timeout(pg_cluster: Any) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=None) as db:
        db.load(DOC)
        assert db.count("User") == 2  # no limit on the thread's connection
        db.timeout = 1
        with pytest.raises(ValueError, match="undone"):
            db.update("User", "u1", undone_change(lambda: db.query("User", None)))
        taken = threading.Event()
        locker = hold_lock(url, "User", 0, 3, taken)
        assert taken.wait(10)
        began = time.monotonic()
        with pytest.raises(QueryTimeout, match=STOPPED):
            db.query("User", None)
        took = time.monotonic() - began
        locker.join(10)
        assert took < 1.5, took


def test_a_reference_read_after_a_rolled_back_change_has_no_limit(pg_cluster: Any) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.count("User") == 2  # its statement's limit, 1 s, stays on the connection
        with pytest.raises(ValueError, match="undone"):
            db.update("User", "u1", undone_change(lambda: db.reference("User", None)))
        db.create("User", {"objectId": "u3"})  # the reference reads every record again
        taken = threading.Event()
        locker = hold_lock(url, "Post", 0, 2.5, taken)
        assert taken.wait(10)
        began = time.monotonic()
        assert db.reference("User", None).ids == ["u1", "u2", "u3"]
        took = time.monotonic() - began
        locker.join(10)
        assert took > 1.5, took  # past the 1 s limit; the hold, 2.5 s, leaves 1 s for a loaded machine's start


def test_a_query_in_updates_change_has_its_timeout(pg_cluster: Any) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.count("User") == 2  # its statement's limit, 1 s, stays on the connection
        db.timeout = 10  # the write's wait for locks: not what stops the query below
        taken = threading.Event()
        said: list[QueryTimeout] = []
        took: list[float] = []

        def read() -> None:
            db.timeout = 1
            locker = hold_lock(url, "Post", 0, 3, taken)
            assert taken.wait(10)
            began = time.monotonic()
            try:
                db.query("Post", None)
            except QueryTimeout as exc:
                said.append(exc)
            took.append(time.monotonic() - began)
            locker.join(10)

        with pytest.raises(ValueError, match="undone"):
            db.update("User", "u1", undone_change(read))
        assert took[0] < 1.5, took
        assert said and said[0].message.startswith("the query ran longer than 1 s"), said


def test_a_write_after_a_read_that_failed_in_its_change_says_so(pg_cluster: Any) -> None:
    """The change caught its query's timeout and returned a Change: the query's failure had
    given the write's connection back to the pool in the middle of its transaction (closed
    there), and the write said "the PostgreSQL server went away during the write"."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        taken = threading.Event()

        def change(record: dict[str, Any]) -> Change:
            locker = hold_lock(url, "Post", 0, 2, taken)
            assert taken.wait(10)
            with pytest.raises(QueryTimeout, match=STOPPED):
                db.query("Post", None)
            locker.join(10)
            return Change(fields={"name": "Cy"})

        bad = db.store.pool.get_stats().get("returns_bad", 0)  # type: ignore[attr-defined]
        with pytest.raises(querylang.DataError, match=r"^write failed, nothing was changed: a read in update's change "
                           r"\(or delete's check\) failed, which ended the write's transaction"):
            db.update("User", "u1", change)
        assert db.store.pool.get_stats().get("returns_bad", 0) == bad  # type: ignore[attr-defined]
        assert db.query("User", None).records[0]["name"] == "Ann"


def test_a_write_after_a_schema_read_that_failed_in_its_change_says_so(pg_cluster: Any) -> None:
    """As above, the change's query stopped in the schema read again before its statement
    (another process added a field; the schema table locked): rolled back to its savepoint,
    its connection was given back to the pool all the same."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.count("User") == 2
        with querylang.connect(url) as other:
            other.define_class("Post", {"title": {"type": "String"}})
        taken = threading.Event()

        def change(record: dict[str, Any]) -> Change:
            locker = hold_lock(url, "_querylang_schema", 0, 2, taken)
            assert taken.wait(10)
            with pytest.raises(QueryTimeout, match=STOPPED):
                db.query("Post", None)  # the notice came with the write's read of the record
            locker.join(10)
            return Change(fields={"name": "Cy"})

        bad = db.store.pool.get_stats().get("returns_bad", 0)  # type: ignore[attr-defined]
        written = db.update("User", "u1", change)  # the savepoint left the transaction usable
        assert written["name"] == "Cy"
        assert db.store.pool.get_stats().get("returns_bad", 0) == bad  # type: ignore[attr-defined]


def hold_share_lock(url: str, table: str, until: float, taken: threading.Event) -> threading.Thread:
    """A thread that takes ``table`` in SHARE mode (a write's row lock passes, its UPDATE waits)
    and keeps it ``until`` s."""
    def run() -> None:
        with psycopg.connect(url) as con:
            con.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
            taken.set()
            time.sleep(until)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("call", ["update", "delete"])
def test_a_lock_wait_after_a_timed_query_in_the_callback_is_the_writes(pg_cluster: Any, call: str) -> None:
    """A query of 0.3 s in update's change (or delete's check) SET its statement_timeout for the
    rest of the write's transaction, over the write's own SET LOCAL of none: the write's UPDATE
    (DELETE) waiting 1.5 s for a lock another session holds then ended as that query's timeout,
    where the write waits up to its lock_wait (the database's timeout, 10 s)."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=10) as db:
        db.load(DOC)
        taken = threading.Event()
        lockers: list[threading.Thread] = []

        def read(record: dict[str, Any]) -> Change:
            db.timeout = 0.3
            assert db.query("User", None, sort="name").ids == ["u1", "u2"]
            lockers.append(hold_share_lock(url, "User", 1.5, taken))
            assert taken.wait(10)
            return Change(fields={"name": "Cy"})

        began = time.monotonic()
        if call == "update":
            assert db.update("User", "u1", read)["name"] == "Cy"
        else:
            db.delete("User", "u2", check=read)
        took = time.monotonic() - began
        lockers[0].join(10)
        assert took > 1.3, took  # it waited for the lock
        db.timeout = 10
        assert db.query("User", None, sort="name").ids == (["u2", "u1"] if call == "update" else ["u1"])
        # The query's limit did not outlive the write either: the thread's next query has its own.
        db.timeout = 0.3
        with pytest.raises(QueryTimeout):
            db.store.execute("SELECT pg_sleep(1)", [], timeout=0.3)
        assert db.store.execute("SELECT 1 FROM pg_sleep(0.5)", [], timeout=None) == [(1,)]

"""Queries run alongside each other; writes and loads still run alone (the store's read/write
lock, querylang/engines/sql/readers.py). tests/test_safety.py checks that readers never
see half a load."""

from __future__ import annotations

import threading
import time

import pytest

import querylang
from querylang.engines.sql.readers import ReadWriteLock


def _db() -> querylang.Database:
    db = querylang.connect()
    db.load(
        {
            "classes": {"Item": {"fields": {"n": {"type": "Number"}, "s": {"type": "String"}}}},
            "records": {"Item": [{"objectId": f"i{k}", "n": k, "s": f"word{k % 7}"} for k in range(500)]},
        }
    )
    return db


def _in_thread(fn) -> tuple[threading.Thread, list]:
    out: list = []
    t = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    t.start()
    return t, out


def test_a_query_runs_while_another_holds_the_store():
    db = _db()
    with db.store.reading():  # a query of this thread in progress
        t, out = _in_thread(lambda: db.query("Item", "where({ n: { lessThan: 10 } })", count=True).count)
        t.join(timeout=10)
        assert not t.is_alive(), "a second reader waited for the first"
    assert out == [10]


def test_a_write_waits_for_the_queries_and_then_is_seen_whole():
    db = _db()
    with db.store.reading():
        t, out = _in_thread(lambda: db.create("Item", {"n": 1000}))
        time.sleep(0.2)
        assert t.is_alive(), "a write ran during a query"
        assert db.query("Item", None, limit=0, count=True).count == 500
    t.join(timeout=10)
    assert not t.is_alive() and out
    assert db.query("Item", None, limit=0, count=True).count == 501


def test_a_waiting_write_goes_before_new_queries():
    lock = ReadWriteLock()
    order: list[str] = []
    with lock.shared():
        w, _ = _in_thread(lambda: (lock.acquire(), order.append("write"), lock.release()))
        time.sleep(0.1)
        r, _ = _in_thread(lambda: _read(lock, order))
        time.sleep(0.1)
        assert order == []
    w.join(timeout=5)
    r.join(timeout=5)
    assert order == ["write", "read"]


def _read(lock: ReadWriteLock, order: list[str]) -> None:
    with lock.shared():
        order.append("read")


def test_the_holders_nest():
    lock = ReadWriteLock()
    with lock, lock, lock.shared(), lock.shared():
        pass
    with lock.shared(), lock.shared():
        with pytest.raises(RuntimeError, match="inside a query"):
            lock.acquire()
    with lock:  # nothing left held
        pass


def test_many_threads_query_and_agree():
    db = _db()
    expected = db.query("Item", "where({ s: { equalTo: 'word3' } })").ids
    results: list[list[str]] = []

    def work() -> None:
        for _ in range(20):
            results.append(db.query("Item", "where({ s: { equalTo: 'word3' } })").ids)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=60)
    assert len(results) == 80 and all(r == expected for r in results)

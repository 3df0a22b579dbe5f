"""The heartbeat of calls without a timeout (engines/postgres/heartbeat.py), the watchdog's
cuts and cancels, and a PostgreSQL server that stops answering altogether: when a connection
may be cut, and which calls end. A cluster of its own (test_pg_outage.py freezes its own)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster

from .test_pg_outage import DOC


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    c = Cluster("frozen", prefix="ql-pg-frozen-")
    try:
        with querylang.connect(c.url()) as db:
            db.load(DOC)
        yield c
    finally:
        c.stop()


def test_a_connection_given_back_is_not_cut_by_the_call_that_gave_it_back(
        cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query that failed on a connection error (a cancel is one: QueryCanceled) gave its
    connection back to the pool before the watchdog forgot it: a heartbeat that found the server
    silent just then cut the connection in the pool, or under the next thread's statement (and a
    set cancel cancelled that statement). Found reading execute's except and finally."""
    from querylang.engines.postgres import heartbeat

    asked, go = threading.Event(), threading.Event()
    cuts: list[Any] = []

    def no_answer(reach: Any) -> bool:
        asked.set()
        go.wait(10)
        return False

    monkeypatch.setattr(heartbeat, "LOOK", 0.05)
    monkeypatch.setattr(heartbeat, "answers", no_answer)
    monkeypatch.setattr(heartbeat, "cut", cuts.append)
    db = querylang.connect(cluster.url(), timeout=None)
    try:
        pool = db.store.pool
        given_back = pool.putconn

        def putconn(con: Any) -> None:
            given_back(con)
            go.set()  # the server's silence is found once the connection is back in the pool
            for t in threading.enumerate():
                if t.name == "querylang-pg-heartbeat":
                    t.join(10)

        monkeypatch.setattr(pool, "putconn", putconn)
        cancel = threading.Event()
        threading.Thread(target=lambda: asked.wait(10) and cancel.set(), daemon=True).start()
        with pytest.raises(querylang.QueryCancelled):
            db.store.execute("SELECT pg_sleep(10)", [], timeout=None, cancel=cancel)
        assert go.is_set() and cuts == []
    finally:
        db.close()

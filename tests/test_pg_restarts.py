"""The library on a PostgreSQL server that goes away mid-query, restarts between queries, or is
down for a while: each a clear error while it is gone, answers again once it is back. Each test
runs a cluster of its own (the session's is shared)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import pytest

import querylang
from querylang import DataError, QueryError
from querylang.engines.postgres.cluster import Cluster

from .pg import DOC, cluster_sql


def test_server_goes_away_mid_query():
    cluster = Cluster("gone")
    try:
        db = querylang.connect(cluster.url())
        db.store.pool.timeout = 2  # how long a query waits for a connection while the server is down
        db.load(DOC)
        stopper = threading.Timer(0.5, cluster.halt)
        stopper.start()
        with pytest.raises(QueryError, match="server went away|cannot reach"):
            db.store.execute("SELECT pg_sleep(10)", [])
        stopper.join()
        with pytest.raises(QueryError, match="server went away|cannot reach|rejected"):
            db.query("Post", None)
        with pytest.raises(DataError, match="nothing was"):
            db.create("User", {"name": "x"})
        cluster.start()
        db.store.pool.timeout = 10  # the pool's next attempt to connect may be seconds away (its back-off)
        db.store.pool.check()
        assert db.query("User", None).ids == ["u1", "u2"]
        db.close()
    finally:
        cluster.stop()



def test_a_server_restarted_between_queries_is_not_an_error():
    """The pool's connections and each thread's kept one die with a restart (or a
    pg_terminate_backend) while idle; the next queries, loads, writes and streams failed with
    "the server went away" (one per dead connection) although the server was back."""
    cluster = Cluster("restarted")

    def restart() -> None:
        cluster_sql(cluster, "CHECKPOINT")  # the test cluster commits without waiting for its WAL
        cluster.halt()
        cluster.start()

    try:
        db = querylang.connect(cluster.url())
        db.load(DOC)
        others: list[Any] = []
        reader = threading.Thread(target=lambda: others.append(db.query("User", None).ids))
        reader.start()
        reader.join()  # its connection went back to the pool with the thread
        for step in range(4):
            if step % 2:
                cluster_sql(cluster, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                     "WHERE datname = 'restarted' AND pid <> pg_backend_pid()")
            else:
                restart()
            assert db.query("User", None).ids == ["u1", "u2"]
            threads = [threading.Thread(target=lambda: others.append(db.query("User", None).ids)) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [r["name"] for r in db.stream("User", None, sort=["name"])] == ["Ann", "bob"]
        restart()
        db.create("User", {"objectId": "u3", "name": "cy"})
        restart()
        db.load({"records": {"User": [{"objectId": "u4"}]}})
        assert db.query("User", None).ids == ["u1", "u2", "u3", "u4"]
        assert others == [["u1", "u2"]] * 9
        db.close()
    finally:
        cluster.stop()



def test_the_pool_reconnects_soon_after_a_long_outage():
    """The pool retries a connection with a back-off that doubles for five minutes: after 20 s
    down, its next try came some 10 s after the server was back (90 s after 150 s down), and
    every query until then failed with "cannot reach"."""
    cluster = Cluster("outage")
    try:
        db = querylang.connect(cluster.url())
        db.load(DOC)
        db.store.pool.timeout = 1  # how long a query waits for a connection
        cluster_sql(cluster, "CHECKPOINT")  # the test cluster commits without waiting for its WAL
        cluster.halt()
        down = time.monotonic()
        while time.monotonic() - down < 20:
            with pytest.raises(QueryError, match="cannot reach|went away"):
                db.query("User", None)
        cluster.start()
        back = time.monotonic()
        ids = None
        while ids is None and time.monotonic() - back < 6:
            with contextlib.suppress(QueryError):
                ids = db.query("User", None).ids
        assert ids == ["u1", "u2"]
        db.close()
    finally:
        cluster.stop()


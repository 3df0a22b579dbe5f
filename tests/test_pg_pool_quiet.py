"""The pool's warnings about a store's connections that died are not logged: the call that met
the outage raises a QueryError saying so, and a call that went on with a new connection had
nothing to report (engines/postgres/reach.py, _QuietDiscards)."""

from __future__ import annotations

import logging
import time

import psycopg

from .pg import cluster_sql, fresh_database

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}]}}


def test_a_dead_connection_of_the_store_is_dropped_without_a_warning(pg_cluster, caplog):
    # Found by review: after an outage, or a backend killed, a library user saw
    # "discarding closed connection: <psycopg.Connection [BAD] at 0x…>" on stderr (the
    # command line sets psycopg's loggers to CRITICAL; the library did not).
    caplog.set_level(logging.WARNING, logger="psycopg")
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        pool = db.store.pool
        # The pool opens its second connection in the background: on a busy machine (the suite
        # on two workers) it was not there yet.
        deadline = time.monotonic() + 30
        while not pool._pool and time.monotonic() < deadline:
            time.sleep(0.02)
        pids = [c.info.backend_pid for c in list(pool._pool)] + [h.con.info.backend_pid for h in db.store._held]
        assert len(pids) >= 2  # an idle connection in the pool and this thread's
        cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 5000) FROM unnest(ARRAY{pids}) AS pid")
        pool.check()  # the idle ones: "discarding broken connection"
        assert db.query("User", None).ids == ["u1"]  # this thread's: "discarding closed connection"
        assert pool.get_stats().get("connections_lost", 0) + pool.get_stats().get("returns_bad", 0) >= 2
    finally:
        db.close()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg")] == []

    # Another pool's connection is not the store's: its warning passes.
    with psycopg.connect(pg_cluster.url()) as other:
        logging.getLogger("psycopg.pool").warning("discarding closed connection: %s", other)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["discarding closed connection"]

"""The pool's warnings about a store's connections that died are not logged: the call that met
the outage raises a QueryError saying so, and a call that went on with a new connection had
nothing to report (engines/postgres/reach.py, _QuietDiscards)."""

from __future__ import annotations

import logging
import time

import psycopg
import pytest

import querylang
from querylang import QueryError

from .pg import cluster_sql, fresh_database
from .test_pg_outage import answered_again

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


def test_the_pools_tries_to_connect_while_it_cannot_are_logged_quietly(pg_cluster, caplog):
    # Found by review: while the server refused new connections, a library user saw the
    # pool's "error connecting in 'querylang': …" on stderr, two or three a second, beside the
    # QueryError that said what happened. They are logged at INFO now, as the pool's other news.
    caplog.set_level(logging.INFO, logger="psycopg")
    role, schema = "pool_quiet", "pool_quiet_data"
    cluster_sql(pg_cluster, f"CREATE ROLE {role} LOGIN")
    cluster_sql(pg_cluster, f"CREATE SCHEMA {schema} AUTHORIZATION {role}")
    url = pg_cluster.url(user=role) + f"?options=-c%20search_path%3D{schema}"
    try:
        with querylang.connect(url) as db:
            db.load(DOC)
            cluster_sql(pg_cluster, f"ALTER ROLE {role} NOLOGIN")
            cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{role}'")
            with pytest.raises(QueryError, match=rf"^cannot reach the PostgreSQL server at \S+: .*"
                                                 rf"role \"{role}\" is not permitted to log in"):
                db.query("User", None)
            deadline = time.monotonic() + 10
            while not tries(caplog, db) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert tries(caplog, db)  # the pool tried, and its news is there for who wants it
            cluster_sql(pg_cluster, f"ALTER ROLE {role} LOGIN")
            assert answered_again(lambda: db.query("User", None).ids, within=15) == ["u1"]
        assert {r.levelname for r in tries(caplog, db)} == {"INFO"}
        assert [r.getMessage() for r in caplog.records if r.name.startswith("psycopg") and r.levelno >= logging.WARNING] == []
    finally:
        cluster_sql(pg_cluster, f"ALTER ROLE {role} LOGIN")
        cluster_sql(pg_cluster, f"DROP SCHEMA {schema} CASCADE")
        cluster_sql(pg_cluster, f"DROP ROLE {role}")

    # Another pool's tries are not the store's: their warnings pass.
    logging.getLogger("psycopg.pool").warning("error connecting in %r: %s", "another", "refused")
    assert caplog.records[-1].levelname == "WARNING"


def tries(caplog, db):
    """The pool's log lines about its tries to connect for ``db``'s store."""
    return [r for r in caplog.records if r.msg == "error connecting in %r: %s" and r.args[0] == db.store.pool.name]

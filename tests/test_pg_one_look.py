"""A query looks at its thread's idle connection once (reach.gone: a poll, a system call): the
look before planning, which hears other processes' notices, serves the statement a moment
later; a statement long after a look looks again, so a connection the server closed meanwhile
is still replaced."""

from __future__ import annotations

import time

from querylang.engines.postgres import reach, store

from .pg import cluster_sql, fresh_database

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}]}}


def test_a_query_looks_at_its_idle_connection_once(pg_cluster, monkeypatch):
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": "Ann"}).ids == ["u1"]
        looks = []
        real = reach.gone

        def counted(con):
            looks.append(con)
            return real(con)

        monkeypatch.setattr(store, "gone", counted)
        for name in ("Ann", "Bob", "Ann"):
            db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": name})
        assert len(looks) == 3  # was 6: before planning, and again before the statement
    finally:
        db.close()


def test_a_connection_closed_after_the_look_is_replaced_by_the_next_query(pg_cluster):
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        db.query("User")
        pid = db.store._thread_connection().con.info.backend_pid
        cluster_sql(pg_cluster, f"SELECT pg_terminate_backend({pid}, 5000)")
        time.sleep(2 * reach.LOOKED_LATELY)
        assert db.query("User").ids == ["u1"]  # a new connection, the old one's goodbye read
        assert db.store._thread_connection().con.info.backend_pid != pid
    finally:
        db.close()

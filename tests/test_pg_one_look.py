"""A query looks at its thread's idle connection once (reach.gone: a poll, a system call): the
look before planning, which hears other processes' notices, serves the statement a moment
later; a statement long after a look looks again, so a connection the server closed meanwhile
is still replaced. A statement's answer is a look too: a query right after it does not poll."""

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
            time.sleep(2 * reach.LOOKED_LATELY)  # the last answer long ago: the query looks
            db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": name})
        assert len(looks) == 3  # was 6: before planning, and again before the statement
    finally:
        db.close()


def test_a_query_right_after_an_answer_does_not_look(pg_cluster, monkeypatch):
    """The answer of the statement before came a moment ago: the connection was there then, as
    after a look (a notice sent since comes with the statement's rows, and plans it again)."""
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        db.query("User")
        looks = []
        real = reach.gone

        def counted(con):
            looks.append(con)
            return real(con)

        monkeypatch.setattr(store, "gone", counted)
        monkeypatch.setattr(store, "LOOKED_LATELY", 60.0)  # every query comes "right after" the one before
        for name in ("Ann", "Bob", "Ann"):
            assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": name}).ids == (["u1"] if name == "Ann" else [])
        assert looks == []  # each looked before planning (a poll each)
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

"""A query looks at its thread's idle connection once (reach.gone: a poll, a system call): the
look before planning, which hears other processes' notices, serves the statement a moment
later; a statement long after a look looks again, so a connection the server closed meanwhile
is still replaced. A statement's answer is a look too: a query right after it does not poll."""

from __future__ import annotations

import time

from querylang.engines.postgres import reach, store

from .pg import cluster_sql, fresh_database, when_running

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}]}}


def _counting_looks(monkeypatch) -> list:
    """The connections the store looks at (reach.gone) from now on, in a list."""
    looks = []
    real = reach.gone

    def counted(con):
        looks.append(con)
        return real(con)

    monkeypatch.setattr(store, "gone", counted)
    return looks


def test_a_query_looks_at_its_idle_connection_once(pg_cluster, monkeypatch):
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": "Ann"}).ids == ["u1"]
        looks = _counting_looks(monkeypatch)
        # A look serves the statement for this long: longer than planning takes on a loaded
        # machine (at 1 ms a slow plan looked twice; at 0.25 s, once in a suite run at load 8),
        # far shorter than the sleep between queries.
        monkeypatch.setattr(store, "LOOKED_LATELY", 0.75)
        for name in ("Ann", "Bob", "Ann"):
            time.sleep(1.6)  # the last answer long ago: the query looks
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
        looks = _counting_looks(monkeypatch)
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


def _terminate(cluster, pid: int) -> None:
    """The server ends backend ``pid`` (an administrator's pg_terminate_backend), waited for."""
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as con:
        assert con.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)


def test_a_connection_the_server_ended_right_after_an_answer_is_replaced(pg_cluster, monkeypatch):
    """The server ended the thread's connection a moment after a statement's answer, and the
    next query came at once (within LOOKED_LATELY of that answer: no look). Its statement
    met the server's goodbye, as it was sent, and failed ('the PostgreSQL server went away
    during the query'), where the look that query made before (84ce201) had replaced the
    connection: the statement, which the server never ran, runs again on a fresh one."""
    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        assert db.query("User").ids == ["u1"]
        held = db.store._local.held
        _terminate(pg_cluster, held.con.info.backend_pid)
        time.sleep(0.1)  # the goodbye is on the client's socket
        # "A moment" made long enough that a loaded machine's planning stays within it (at 1 ms
        # the query sometimes looked after all, or its statement failed past the 2 ms it is run again in).
        monkeypatch.setattr(store, "LOOKED_LATELY", 0.5)
        held.looked = time.monotonic()  # as if the answer had just come (the goodbye right after it)
        assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": "Ann"}).ids == ["u1"]
        assert db.store._local.held is not held
    finally:
        db.close()


def test_a_statement_the_server_ended_as_it_ran_is_not_run_again(pg_cluster):
    """A statement the server ended while it ran (pg_terminate_backend) fails saying so: it
    is run again only when it met a goodbye sent before it (a moment after the answer before)."""
    import pytest

    from querylang import QueryError

    db = fresh_database(pg_cluster)
    try:
        db.load(DOC)
        db.query("User")
        pid = db.store._local.held.con.info.backend_pid
        # Ended once seen running: a 0.2 s timer's new connection came after a 0.6 s statement
        # had finished on a loaded machine (CI), and nothing was ended.
        ender = when_running(pg_cluster, pid, lambda: _terminate(pg_cluster, pid))
        began = time.monotonic()
        with pytest.raises(QueryError, match="went away during the query: terminating connection due to administrator command"):
            db.store.execute("SELECT 1 FROM pg_sleep(20)", [], timeout=60)
        # Run again, it would have slept the 20 s out; ended, it stops at once.
        assert time.monotonic() - began < 15
        ender.join()
        assert db.query("User").ids == ["u1"]
    finally:
        db.close()

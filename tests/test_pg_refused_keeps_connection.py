"""A statement the PostgreSQL server refused with an ERROR of its own leaves the thread's
connection ready for the next one, although psycopg files the error under OperationalError as
it files a broken connection: lock_timeout (55P03), insufficient resources (class 53: out of
shared memory, temp_file_limit) and program limits (class 54: an array too large, the stack
depth, too many columns or arguments). Each gave the connection back as broken, and the next
statement paid for another; a write's (PostgresStore.connection) too. A statement the server
cancelled is test_pg_cancel_keeps_connection.py's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

import querylang
from querylang.engines.postgres.layout import SCHEMA_TABLE

from .pg import fresh_database, when_running

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "Bob"}]}}

# (SQLSTATE, what it is, the statements that make the server answer it on a statement)
REFUSED = [
    ("53200", "out of shared memory (the lock table)",
     ["SELECT count(pg_advisory_xact_lock(g)) FROM generate_series(1, 200000) g"]),
    ("53400", "temp_file_limit", ["SELECT set_config('temp_file_limit', '64kB', false)",
                                  "SELECT count(*) FROM (SELECT g FROM generate_series(1, 500000) g ORDER BY g DESC) s"]),
    ("54000", "an array past its size limit", ["SELECT array_fill(1, ARRAY[200000000])"]),
    ("54001", "the stack depth", ["CREATE FUNCTION deep(n int) RETURNS int LANGUAGE plpgsql "
                                  "AS $$ BEGIN RETURN deep(n + 1); END $$", "SELECT deep(1)"]),
    ("54011", "too many columns", ["SELECT " + ", ".join(["1"] * 1700)]),
    ("54023", "too many arguments", ["SELECT concat(" + ", ".join(["1"] * 101) + ")"]),
]


def _pid(db: querylang.Database) -> int:
    [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
    return int(pid)


def _opened(cluster: Any, **kw: Any) -> querylang.Database:
    db = fresh_database(cluster, **kw)
    db.load(DOC)
    db.store.pool.wait(30)  # every pooled connection made: a replaced one is another backend
    return db


@contextmanager
def _locked(url: str, table: str) -> Iterator[None]:
    """Inside: another session holds ``table`` alone."""
    with psycopg.connect(url, autocommit=True) as other, other.transaction():
        other.execute(f'LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE')
        yield


def _refused(db: querylang.Database, state: str, run: Callable[[], Any]) -> None:
    with pytest.raises(querylang.QueryError) as err:
        run()
    cause = err.value.__cause__
    assert isinstance(cause, psycopg.OperationalError) and cause.sqlstate == state, repr(cause)


@pytest.mark.parametrize("timeout", [None, 5])
@pytest.mark.parametrize(("state", "what", "statements"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_statement_the_server_refused_keeps_its_connection(pg_cluster: Any, state: str, what: str,
                                                             statements: list[str], timeout: float | None) -> None:
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        *set_up, last = statements
        for sql in set_up:
            db.store.execute(sql, [])
        _refused(db, state, lambda: db.store.execute(last, [], timeout=timeout))
        assert _pid(db) == before, what  # was another backend: the connection given back as broken
        assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": "Bob"}).ids == ["u2"]
    finally:
        db.close()


def test_a_query_past_the_lock_timeout_keeps_its_connection(pg_cluster: Any) -> None:
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        db.store.execute("SELECT set_config('lock_timeout', '100ms', false)", [])
        [(schema,)] = db.store.execute("SELECT current_schema()", [])
        with _locked(pg_cluster.url(), f'"{schema}"."User"'):
            _refused(db, "55P03", lambda: db.store.execute('SELECT count(*) FROM "User"', [], timeout=5))
        assert _pid(db) == before
        assert db.count("User") == 2
    finally:
        db.close()


def test_a_schema_read_past_the_lock_timeout_keeps_its_connection(pg_cluster: Any) -> None:
    """The reads watched as a query's statement is (Watched._watched): the schema read again
    after another process's change, on a schema table another session holds, past the
    server's lock_timeout. The query goes on with the schema it has."""
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        db.store.execute("SELECT set_config('lock_timeout', '100ms', false)", [])
        [(schema,)] = db.store.execute("SELECT current_schema()", [])
        db.store.heard.schema(db.store._pg_schema)  # as a notice of another process's change does
        with _locked(pg_cluster.url(), f'"{schema}".{SCHEMA_TABLE}'):
            assert db.count("User") == 2
        assert _pid(db) == before
    finally:
        db.close()


def test_a_write_past_its_lock_wait_keeps_its_connection(pg_cluster: Any) -> None:
    """A write's lock_timeout (its lock_wait, the database's timeout) ends its transaction, not
    its session: PostgresStore.connection gave the connection back as broken."""
    db = _opened(pg_cluster, timeout=0.3)
    try:
        before = _pid(db)
        [(schema,)] = db.store.execute("SELECT current_schema()", [])
        with _locked(pg_cluster.url(), f'"{schema}"."User"'), \
                pytest.raises(querylang.DataError, match=r"waited longer than 0.3 s for a lock"):
            db.create("User", {"objectId": "u3", "name": "Cy"})
        assert _pid(db) == before
        db.create("User", {"objectId": "u3", "name": "Cy"})
        assert _pid(db) == before
        assert db.count("User") == 3
    finally:
        db.close()


def test_a_load_past_the_lock_timeout_keeps_its_connection(pg_cluster: Any) -> None:
    """A load's lock wait ended by the server's lock_timeout (the session's, here) likewise."""
    db = _opened(pg_cluster)
    try:
        before = _pid(db)
        db.store.execute("SELECT set_config('lock_timeout', '100ms', false)", [])
        [(schema,)] = db.store.execute("SELECT current_schema()", [])
        with _locked(pg_cluster.url(), f'"{schema}"."User"'), \
                pytest.raises(querylang.DataError, match="nothing was loaded: .*lock timeout"):
            db.load({"records": {"User": [{"objectId": "u3", "name": "Cy"}]}})
        assert _pid(db) == before
        assert db.count("User") == 2
    finally:
        db.close()


def test_a_connection_ended_by_the_server_is_replaced(pg_cluster: Any) -> None:
    """A FATAL ends the session: its connection is not kept (pg_terminate_backend, 57P01)."""
    db = _opened(pg_cluster)
    try:
        before = _pid(db)

        def end() -> None:
            with psycopg.connect(pg_cluster.url(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [before])

        # Ended once seen running: a timer's end could come before the statement began on a
        # loaded machine (a connection ended between statements is another case).
        ended = when_running(pg_cluster, before, end)
        with pytest.raises(querylang.QueryError):
            db.store.execute("SELECT pg_sleep(5)", [], timeout=10)
        ended.join()
        assert _pid(db) != before
        assert db.count("User") == 2
    finally:
        db.close()

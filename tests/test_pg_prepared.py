"""A query's statement through libpq's calls (engines/postgres/prepared.py): prepared on its
second use and kept with the connection, prepared again when the server forgot it, the oldest
let go past a bound; placeholders and errors as psycopg's cursor has them."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryError
from querylang.engines.postgres import prepared
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_database

DOC: dict[str, Any] = {
    "classes": {"Post": {"fields": {"title": {"type": "String"}, "n": {"type": "Number"}}}},
    "records": {"Post": [{"objectId": f"p{k}", "title": f"t{k % 3}", "n": k} for k in range(12)]},
}


@pytest.fixture
def db(pg_cluster: Cluster) -> Any:
    d = fresh_database(pg_cluster)
    d.load(DOC)
    yield d
    d.close()


def _prepared_here(db: querylang.Database) -> set[str]:
    con = db.store._thread_connection().con
    return {name for (name,) in con.execute("SELECT name FROM pg_prepared_statements").fetchall()}


def _ids(db: querylang.Database, title: str) -> list[str]:
    return db.query("Post", {"title": title}, sort=["objectId"]).ids


def test_prepared_on_second_use_and_answers_the_same(db):
    want = ["p0", "p3", "p6", "p9"]
    assert _ids(db, "t0") == want and not any(n.startswith("_ql_") for n in _prepared_here(db))
    assert _ids(db, "t0") == want
    ours = {n for n in _prepared_here(db) if n.startswith("_ql_")}
    assert len(ours) == 1
    assert _ids(db, "t1") == ["p1", "p10", "p4", "p7"]  # the same statement, other values
    assert {n for n in _prepared_here(db) if n.startswith("_ql_")} == ours


def test_a_statement_the_server_forgot_is_prepared_again(db):
    for _ in range(2):
        assert _ids(db, "t2") == ["p11", "p2", "p5", "p8"]
    db.store._thread_connection().con.execute("DEALLOCATE ALL")  # as psycopg sends after some DDL
    assert _ids(db, "t2") == ["p11", "p2", "p5", "p8"]
    assert any(n.startswith("_ql_") for n in _prepared_here(db))


def test_the_oldest_prepared_statement_is_let_go_past_the_bound(db, monkeypatch):
    monkeypatch.setattr(prepared, "KEPT", 3)
    for k in range(6):
        for _ in range(2):
            # A statement of its own each (the limit is written into it).
            got = db.query("Post", {"n": {"greaterThanOrEqualTo": k}}, limit=k + 1, sort=["n"]).ids
            assert got == [f"p{j}" for j in range(k, 2 * k + 1)]
    ours = {n for n in _prepared_here(db) if n.startswith("_ql_")}
    assert 0 < len(ours) <= 3


def test_a_connection_keeps_its_statements_from_thread_to_thread(db):
    """The pool hands a connection to thread after thread; its prepared statements stay with it
    (a second thread preparing the same name again was refused: "already exists")."""
    errors: list[BaseException] = []

    def twice() -> None:
        try:
            for _ in range(2):
                assert _ids(db, "t0") == ["p0", "p3", "p6", "p9"]
        except BaseException as exc:
            errors.append(exc)

    for _ in range(6):
        t = threading.Thread(target=twice)
        t.start()
        t.join()
    assert not errors, errors[0]


def test_placeholders_and_errors_as_psycopg_has_them(db):
    store = db.store
    assert store.execute("SELECT %s::text || '%%'", ["a"]) == [("a%",)]
    assert store.execute("SELECT %s::int + %s::int", [1, 2]) == [(3,)]
    # A placeholder psycopg does not know, or values that do not fit the placeholders: its cursor says why.
    with pytest.raises(QueryError, match="only '%s', '%b', '%t' are allowed"):
        store.execute("SELECT 1 %x", [])
    with pytest.raises(QueryError, match="placeholders"):
        store.execute("SELECT %s::int", [1, 2])
    for _ in range(2):  # after the same text ran (and was prepared) with the count it has
        assert store.execute("SELECT %s::int * 2", [4]) == [(8,)]
    for values in ([4, 5], []):
        with pytest.raises(QueryError, match="placeholders"):  # was [(8,)]: the extra value left out
            store.execute("SELECT %s::int * 2", values)
    with pytest.raises(QueryError, match="division by zero"):
        store.execute("SELECT 1 / %s::int", [0])
    for _ in range(3):  # prepared, and refused the same way
        with pytest.raises(QueryError, match='relation "nowhere" does not exist'):
            store.execute("SELECT * FROM nowhere WHERE x = %s", [1])
    assert store.execute("SELECT %s::int", [7]) == [(7,)]  # the connection still answers


def test_a_psycopg_without_the_calls_used_runs_through_its_cursor(db: querylang.Database, monkeypatch: Any) -> None:
    # psycopg's generators and wait are not its public API: where they are missing, the same
    # answers come through its cursor, and nothing is prepared by querylang.
    want = _ids(db, "t1")
    monkeypatch.setattr(prepared, "DIRECT", False)
    db.clear_cache()
    for _ in range(3):
        assert _ids(db, "t1") == want
    assert not any(name.startswith("_ql_") for name in _prepared_here(db))


def _ours(db: querylang.Database) -> int:
    return sum(1 for n in _prepared_here(db) if n.startswith("_ql_"))


def test_a_statement_refused_as_unsupported_is_not_prepared_again_each_time(db):
    """Only "cached plan must not change result type" of the "feature not supported" errors means
    our statement is out of date: another one (a unit an interval has not) left one more prepared
    statement on the server at each run, without bound."""
    for _ in range(6):
        with pytest.raises(QueryError, match='unit "week" not supported for type interval'):
            db.store.execute("SELECT date_part(%s, interval '1 day')", ["week"])
    assert _ours(db) == 1
    assert db.store.execute("SELECT date_part(%s, interval '1 day')", ["day"]) == [(1.0,)]


def test_a_column_whose_type_changed_is_read_again_and_the_old_statement_let_go(db):
    for _ in range(2):
        assert _ids(db, "t0") == ["p0", "p3", "p6", "p9"]
    assert _ours(db) == 1
    with psycopg.connect(db.store.url, autocommit=True) as other:  # another process changes the column
        other.execute('ALTER TABLE "Post" ALTER COLUMN "title" TYPE varchar(40)')
    for _ in range(2):
        assert _ids(db, "t0") == ["p0", "p3", "p6", "p9"]
    assert _ours(db) == 1  # the one of the old type was deallocated, not left behind


@pytest.mark.parametrize("direct", [True, False])
def test_a_statement_whose_connection_the_server_ends_says_why_as_the_cursor_does(db, monkeypatch, direct):
    """The server's own reason, by its SQLSTATE (was libpq's text: 'FATAL:  terminating ...')."""
    monkeypatch.setattr(prepared, "DIRECT", direct and prepared.DIRECT)
    pid = db.store._thread_connection().con.info.backend_pid
    failed: list[BaseException] = []

    def terminate() -> None:
        with psycopg.connect(db.store.url, autocommit=True) as other:
            for _ in range(500):  # until the statement runs
                row = other.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
                if row is not None and row[0] == "active":
                    break
                time.sleep(0.01)
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

    t = threading.Thread(target=terminate)
    t.start()
    try:
        db.store.execute("SELECT pg_sleep(%s)", [20])
    except QueryError as exc:
        failed.append(exc)
    t.join()
    assert [str(e) for e in failed] == [
        "the PostgreSQL server went away during the query: terminating connection due to administrator command"]
    assert _ids(db, "t0") == ["p0", "p3", "p6", "p9"]  # on a new connection

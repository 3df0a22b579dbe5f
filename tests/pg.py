"""The PostgreSQL the tests run against: one throw-away cluster per session
(querylang/engines/postgres/cluster.py), and a fresh schema per database a test opens; and a
real Parse Server 9 over a cluster of its own (benchmarks/parse_server.py)."""

from __future__ import annotations

import itertools
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster, Unavailable

_names = itertools.count()
ROOT = Path(__file__).resolve().parents[1]

# Posts and their users: the data most test_pg_*.py files load (and conftest.py's pair).
DOC = {
    "classes": {
        "Post": {"fields": {"title": {"type": "String"}, "score": {"type": "Number"}, "at": {"type": "Date"},
                            "tags": {"type": "Array"}, "meta": {"type": "Object"}, "body": {"type": "String"},
                            "owner": {"type": "Pointer", "targetClass": "User"},
                            "fans": {"type": "Relation", "targetClass": "User"}}},
        "User": {"fields": {"name": {"type": "String"}}},
    },
    "records": {
        "User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "bob"}],
        "Post": [
            {"objectId": "p1", "title": "b", "score": 2, "at": {"__type": "Date", "iso": "2024-03-01T23:30:00.000Z"},
             "tags": ["x", "y"], "meta": {"views": 10, "lang": "en"}, "body": "running ducks", "owner": "u1",
             "fans": ["u1", "u2"]},
            {"objectId": "p2", "title": "B", "score": 1.5, "at": {"__type": "Date", "iso": "2024-03-02T00:30:00.000Z"},
             "tags": ["y"], "meta": {"views": 3}, "body": "a quiet line\nnext", "owner": "u2"},
            {"objectId": "p3", "title": "a", "tags": [], "body": "Éclair"},
            {"objectId": "p4", "title": "A", "score": -1},
        ],
    },
}

for _rows in DOC["records"].values():
    for _r in _rows:
        _r["createdAt"] = _r["updatedAt"] = "2024-01-01T00:00:00.000Z"


def plain(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records without updatedAt (writes set it to now, which differs between two databases)."""
    return [{k: v for k, v in r.items() if k != "updatedAt"} for r in records]


def start_cluster() -> Cluster:
    try:
        return Cluster("querylang_test")
    except Unavailable as exc:
        pytest.fail(f"the PostgreSQL tests need a PostgreSQL server: {exc}", pytrace=False)


def fresh_url(cluster: Cluster) -> str:
    """The URL of a new, empty schema (a database of its own costs ~10× more to make)."""
    name = f"t{next(_names)}"
    cluster_sql(cluster, f"CREATE SCHEMA {name}")
    return cluster.url() + "?options=" + urllib.parse.quote(f"-c search_path={name}")


def fresh_database(cluster: Cluster, **kw: object) -> querylang.Database:
    return querylang.connect(fresh_url(cluster), **kw)  # type: ignore[arg-type]


def cluster_sql(cluster: Cluster, sql: str) -> None:
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute(sql)


def when_running(cluster: Cluster, pid: int, then: Callable[[], object], text: str = "pg_sleep") -> threading.Thread:
    """A started thread that calls ``then()`` once backend ``pid`` is seen running a statement
    with ``text`` in it (pg_stat_activity), looking for 30 s at most. Tests cancel or end a
    running statement this way, not with a timer: on a loaded machine a timer fired before the
    statement began (a cancel set that early is answered before anything is sent) or after it
    ended."""
    def run() -> None:
        import psycopg

        with psycopg.connect(cluster.url(), autocommit=True) as con:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                row = con.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
                if row is not None and row[0] == "active" and text in row[1]:
                    then()
                    return
                time.sleep(0.01)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@contextmanager
def parse_opener(cluster: Cluster, make: Callable[[str, Any], None]) -> Iterator[Callable[[Any], querylang.Database]]:
    """Open Parse-layout databases, each in a fresh schema that ``make(url, rows)`` fills with
    Parse's own tables; every one is closed at the end."""
    opened: list[querylang.Database] = []

    def open_(rows: Any) -> querylang.Database:
        url = fresh_url(cluster)
        make(url, rows)
        db = querylang.connect(url, layout="parse")
        opened.append(db)
        return db

    try:
        yield open_
    finally:
        for db in opened:
            db.close()


PARSE_BUILT_INS = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"}}


def parse_tables(url: str, schemas: dict[str, dict[str, Any]], columns: dict[str, str],
                 rows: dict[str, list[tuple[Any, ...]]], at: str = "2024-01-01T00:00:00.000Z") -> None:
    """Parse's own tables, as Parse Server makes them, in the schema of ``url``: a _SCHEMA row
    per class of ``schemas`` (class → its fields past the built-in ones), a table per class with
    ``columns`` (class → its column list past the built-in ones and the ACL's), and ``rows``
    (class → tuples of objectId and those columns; createdAt and updatedAt ``at``)."""
    import json

    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        for cls, fields in schemas.items():
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)',
                        [cls, json.dumps({"className": cls, "fields": {**PARSE_BUILT_INS, **fields}})])
            con.execute(f'CREATE TABLE "{cls}" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, '
                        f'"updatedAt" timestamptz, "_rperm" text[], "_wperm" text[], {columns[cls]})')
            for row in rows.get(cls, []):
                marks = ", ".join(["%s"] * (len(row) - 1))
                con.execute(f'INSERT INTO "{cls}" VALUES (%s, %s, %s, NULL, NULL, {marks})', [row[0], at, at, *row[1:]])


@contextmanager
def own_cluster(name: str, doc: dict[str, Any]) -> Iterator[Cluster]:
    """A cluster of a module's own (one that stops, restarts or freezes it), holding ``doc``."""
    c = Cluster(name, prefix=f"ql-pg-{name}-")
    try:
        with querylang.connect(c.url()) as db:
            db.load(doc)
        yield c
    finally:
        c.stop()


@contextmanager
def parse_server() -> Iterator[tuple[Any, Any]]:
    """PostgreSQL and a Parse Server 9 over it, on loopback (benchmarks/parse_server.py's
    Postgres and ParseServer), stopped at the end. A component that cannot be had fails the
    test, naming what to install."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.parse_server import ParseServer, Postgres
    except ImportError as exc:
        pytest.fail(f"benchmarks/parse_server.py could not be imported ({exc}): run the tests from a checkout")
    try:
        pg = Postgres()
    except Unavailable as exc:
        pytest.fail(f"PostgreSQL is needed for the Parse Server tests: {exc}")
    try:
        server = ParseServer(pg)
    except Unavailable as exc:
        pg.stop()
        pytest.fail(f"Parse Server is needed (Node.js 20.19+ and npm, then npm install parse-server@9): {exc}")
    try:
        yield pg, server
    finally:
        server.stop()
        pg.stop()


class _FormatSpy:
    """A connection's libpq handle that notes the result format each statement asks for."""

    def __init__(self, pgconn: Any, asked: list[Any]) -> None:
        self._pgconn, self._asked = pgconn, asked

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._pgconn, name)
        if name not in ("send_query_params", "send_query_prepared"):
            return real

        def run(*args: Any, **kw: Any) -> Any:
            self._asked.append(kw.get("result_format"))
            return real(*args, **kw)

        return run


def spy_formats(statements: Any) -> list[Any]:
    """The result formats ``statements`` (prepared.Statements) asks libpq for from now on."""
    asked: list[Any] = []
    statements.pgconn = _FormatSpy(statements.pgconn, asked)
    return asked

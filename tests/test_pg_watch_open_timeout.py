"""Opening a database reads its schema and checks its edge tables (clean_joins), reads that are
not a query's: a statement_timeout of the role, the database or the URL
(``options=-c statement_timeout=...``) cut them. A read that waited longer (a lock another
session held, a large edge table's check) failed the open with the server's bare "canceling
statement due to statement timeout", or, an edge table's check, left the table not known
clean (every relation query then checked its targets) without a word."""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.parse
from collections.abc import Iterator

import psycopg
import pytest

import querylang
from querylang import DataError
from querylang.engines.postgres import schema_lock
from querylang.engines.postgres.cluster import Cluster
from querylang.engines.postgres.layout import quote

from .pg import fresh_url
from .test_pg_parse_fresh import ParseApp

DOC = {"classes": {"User": {"fields": {"friends": {"type": "Relation", "targetClass": "User"}}}},
       "records": {"User": [{"objectId": "u1"}, {"objectId": "u2"}]},
       "relations": [{"class": "User", "objectId": "u1", "key": "friends", "targetClass": "User", "targetId": "u2"}]}
JOIN = "_join:friends:User"


def test_opening_is_not_cut_by_the_urls_statement_timeout(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
        assert JOIN in db.schema.clean_joins
    limited = url + urllib.parse.quote(" -c statement_timeout=100")
    # Another session holds the schema table and the edge table for a second: the open's
    # reads wait for it, longer than the URL's 100 ms.
    other = psycopg.connect(url)
    other.execute(f'LOCK TABLE "_querylang_schema", "{JOIN}" IN ACCESS EXCLUSIVE MODE')
    let_go = threading.Timer(1.0, other.commit)
    let_go.start()
    try:
        began = time.monotonic()
        with querylang.connect(limited) as db:
            assert time.monotonic() - began >= 0.9  # it did wait for the lock
            assert JOIN in db.schema.clean_joins
            assert db.query("User", {"relatedTo": {"id": "u1", "key": "friends"}}).ids == ["u2"]
    finally:
        let_go.join()  # let go before the close: a 1.1 s sleep could end before a late timer
        other.close()


def test_opening_parses_tables_in_place_is_not_cut_by_the_urls_statement_timeout(pg_cluster: Cluster) -> None:
    app = ParseApp(fresh_url(pg_cluster))
    other = psycopg.connect(app.url)
    other.execute('LOCK TABLE "_SCHEMA" IN ACCESS EXCLUSIVE MODE')
    let_go = threading.Timer(1.0, other.commit)
    let_go.start()
    try:
        with querylang.connect(app.url + urllib.parse.quote(" -c statement_timeout=100"), layout="parse") as db:
            assert db.query("Post", None).ids == ["p1", "p2"]
    finally:
        let_go.join()  # let go before the close: a 1.1 s sleep could end before a late timer
        other.close()


@pytest.fixture
def short_open_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_lock, "OPEN_LOCK_WAIT", 1.0)


@contextlib.contextmanager
def locked(url: str, *tables: str) -> Iterator[None]:
    """Another session holds ``tables`` (ACCESS EXCLUSIVE) for the block: a transaction left open
    (let go after 15 s whatever happens, so that an open that waits for it ends)."""
    other = psycopg.connect(url)
    let_go = threading.Timer(15, other.rollback)
    try:
        other.execute(f"LOCK TABLE {', '.join(map(quote, tables))} IN ACCESS EXCLUSIVE MODE")
        let_go.start()
        yield
    finally:
        let_go.cancel()
        other.rollback()
        other.close()


def test_a_lock_held_for_good_on_the_schema_table_fails_the_open_saying_so(pg_cluster: Cluster,
                                                                           short_open_wait: None) -> None:
    """Opening reads with no statement_timeout: a session holding the schema table for good held
    the open for as long, the heartbeat seeing a server that answers."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    with locked(url, "_querylang_schema"):
        began = time.monotonic()
        with pytest.raises(DataError, match=r"cannot open the PostgreSQL database at \S+: its table _querylang_schema "
                                            r"is locked by another session \(waited 1 s\)"):
            querylang.connect(url)
        assert time.monotonic() - began < 5


def test_a_lock_held_for_good_on_an_edge_table_leaves_it_checked_by_the_queries(pg_cluster: Cluster,
                                                                               short_open_wait: None) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    with locked(url, JOIN):
        began = time.monotonic()
        db = querylang.connect(url)
        assert time.monotonic() - began < 5
    try:
        assert JOIN not in db.schema.clean_joins  # not known clean: its queries check the targets
        assert db.query("User", {"relatedTo": {"id": "u1", "key": "friends"}}).ids == ["u2"]
    finally:
        db.close()


def test_a_lock_held_for_good_on_parses_schema_fails_the_open_in_place_saying_so(pg_cluster: Cluster,
                                                                                short_open_wait: None) -> None:
    app = ParseApp(fresh_url(pg_cluster))
    with locked(app.url, "_SCHEMA"), pytest.raises(
            DataError, match=r"cannot open the PostgreSQL database at \S+: its table _SCHEMA is locked by another session"):
        querylang.connect(app.url, layout="parse")


def test_opening_is_not_cut_by_the_urls_lock_timeout(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    other = psycopg.connect(url)
    other.execute('LOCK TABLE "_querylang_schema" IN ACCESS EXCLUSIVE MODE')
    let_go = threading.Timer(1.0, other.rollback)
    let_go.start()
    try:
        with querylang.connect(url + urllib.parse.quote(" -c lock_timeout=100")) as db:
            assert db.query("User", None).ids == ["u1", "u2"]
    finally:
        let_go.join()  # let go before the close: a 1.1 s sleep could end before a late timer
        other.close()

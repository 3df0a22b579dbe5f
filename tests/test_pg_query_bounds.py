"""The limits of a query (its timeout left, its cancel) bound the reads a PostgreSQL store makes
for it beside its statements (the look at the columns' types after a cell it could not read, in
place on Parse's tables the stems' check) exactly as long as the query runs (bounds.py).

Parse in place kept a query's limits on its thread after it ended: a stream's look, after
another query with a set cancel on that thread, said "the query was cancelled", and a later
call's look had the timeout the query before it began with. A stream's look on querylang's own
tables had no limit at all (its decoding runs after its hold)."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryCancelled, QueryError, QueryTimeout

from .pg import fresh_url
from .test_pg_one_clock import ALTERED, hold_lock, two_waits
from .test_pg_parse_fresh import ParseApp

NOW_NUMERIC = r"^class Post, field n: its column is now numeric"


def parse_app_one_n(url: str) -> ParseApp:
    """Parse's Post, p1 without n and p2 with it."""
    app = ParseApp(url)
    app.sql("""UPDATE "Post" SET "n" = NULL WHERE "objectId" = 'p1'""")
    return app


def test_a_streams_look_never_says_another_querys_cancel(pg_cluster: Any) -> None:
    """Between two batches of a stream the thread ran a query whose cancel was set: the stream's
    next cell it could not read was said "the query was cancelled" (the other query's cancel)."""
    app = parse_app_one_n(fresh_url(pg_cluster))
    with querylang.connect(app.url, layout="parse", timeout=5) as db:
        db.store.schema_ttl = 3600  # type: ignore[attr-defined]
        assert db.query("Post", {}).ids == ["p1", "p2"]
        app.sql('ALTER TABLE "Post" ALTER "n" TYPE numeric')
        records = db.stream("Post", {}, batch=1)
        assert next(records)["objectId"] == "p1"
        cancel = threading.Event()
        cancel.set()
        with pytest.raises(QueryCancelled):
            db.query("Post", {}, cancel=cancel)
        # The look waits a moment (another session locks the catalog): a cancel acts meanwhile.
        taken = threading.Event()
        locker = hold_lock(app.url, "pg_attribute", 0, 0.5, taken)
        assert taken.wait(10)
        with pytest.raises(QueryError, match=NOW_NUMERIC):
            next(records)
        locker.join(10)


def test_a_later_calls_look_has_its_own_timeout(pg_cluster: Any) -> None:
    """A count of 3 s, then an explain of 1 s on the same thread: the look after its EXPLAIN
    failed (the column's type changed) had the count's 3 s, and waited for as long as another
    session locked the catalog (2.5 s)."""
    app = ParseApp(fresh_url(pg_cluster))
    with querylang.connect(app.url, layout="parse", timeout=3) as db:
        db.store.schema_ttl = 3600  # type: ignore[attr-defined]
        app.sql('ALTER TABLE "Post" ALTER "n" TYPE text')
        assert db.count("Post") == 2  # the connection knows the table's columns now
        db.timeout = 1
        taken = threading.Event()
        locker = hold_lock(app.url, "pg_attribute", 0, 2.5, taken)
        assert taken.wait(10)
        began = time.monotonic()
        # The look stopped at the timeout: the server's own error of the EXPLAIN is said.
        with pytest.raises(QueryError, match="operator does not exist"):
            db.explain("Post", {"n": {"greaterThan": 1}})
        took = time.monotonic() - began
        locker.join(10)
        assert took < 1.5, took
        with pytest.raises(QueryError, match=r"^class Post, field n: its column is now text"):
            db.explain("Post", {"n": {"greaterThan": 1}})


def test_a_parse_look_has_what_the_statement_left(pg_cluster: Any) -> None:
    """The query's statement waited 0.7 s for a lock, then could not read a cell: the look at
    the columns' types had the timeout the query began with, whole again (it answered at 1.3 s
    for a query of 1 s)."""
    app = ParseApp(fresh_url(pg_cluster))
    with querylang.connect(app.url, layout="parse", timeout=1) as db:
        db.store.schema_ttl = 3600  # type: ignore[attr-defined]
        assert db.query("Post", {}).ids == ["p1", "p2"]
        app.sql('ALTER TABLE "Post" ALTER "n" TYPE numeric')
        assert db.count("Post") == 2
        took = two_waits(app.url, "Post", "pg_attribute", lambda: db.query("Post", {}))
        assert took < 1.25, took
        with pytest.raises(QueryError, match=NOW_NUMERIC):
            db.query("Post", {})


@pytest.mark.parametrize("stop", ["cancel", "timeout"])
def test_a_streams_look_on_querylangs_tables_has_its_cancel_and_the_timeout(pg_cluster: Any, stop: str) -> None:
    """A stream's cell it could not read (a column altered by hand) is followed by a look at the
    columns' types, made after the stream's hold ended: it had no limit, and waited for as long
    as another session locked the catalog (3 s), its cancel set or the timeout past."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1 if stop == "timeout" else None) as db:
        db.load({"classes": {"Post": {"fields": {"likes": {"type": "Number"}}}},
                 "records": {"Post": [{"objectId": "p1"}, {"objectId": "p2", "likes": 2.5}]}})
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('ALTER TABLE "Post" ALTER "likes" TYPE numeric')
    with querylang.connect(url, timeout=1 if stop == "timeout" else None) as db:
        with pytest.raises(querylang.DataError, match=ALTERED):
            db.query("Post", None)  # the connection knows the table's columns now
        cancel = threading.Event()
        records = db.stream("Post", None, batch=1, cancel=cancel)
        assert next(records)["objectId"] == "p1"
        taken = threading.Event()
        locker = hold_lock(url, "pg_attribute", 0, 3, taken)
        assert taken.wait(10)
        if stop == "cancel":
            threading.Timer(0.3, cancel.set).start()
        began = time.monotonic()
        expected = (QueryCancelled, r"^the query was cancelled$") if stop == "cancel" else (
            QueryTimeout, r"^the query ran longer than 1 s and was stopped$")
        with pytest.raises(expected[0], match=expected[1]):
            next(records)
        took = time.monotonic() - began
        locker.join(10)
        assert took < 1.5, took
        with pytest.raises(querylang.DataError, match=ALTERED):
            list(db.stream("Post", None, batch=1))

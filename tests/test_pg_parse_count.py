"""A counted query on a Parse database read in place (``count=True``: a page and the total of
its matches, as a Noodl query node with its count, or REST's ``count=1``, asks): the count runs
beside the page on a spare connection of the pool when one is free, and after it on the
thread's own connection when none is, so threads counting at once never wait for the pool.

The tables are made as Parse Server makes them (tests/test_pg_parse_fresh.py's ParseApp).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg_pool import PoolTimeout

import querylang
from querylang import QueryError, QueryTimeout

from .pg import fresh_url
from .test_pg_parse_fresh import ParseApp


@pytest.fixture
def app(pg_cluster: Any) -> Iterator[tuple[ParseApp, querylang.Database]]:
    parse = ParseApp(fresh_url(pg_cluster))
    db = querylang.connect(parse.url, layout="parse")
    try:
        yield parse, db
    finally:
        db.close()


def _counting(db: querylang.Database, threads: int, rounds: int) -> list[BaseException]:
    """``threads`` threads, each holding its own connection first, then counting ``rounds``
    times at once with the others; what they raised."""
    ready = threading.Barrier(threads)
    failed: list[BaseException] = []

    def user() -> None:
        try:
            assert db.query("Post", {}).ids == ["p1", "p2"]  # this thread's connection, kept
            ready.wait()
            for _ in range(rounds):
                got = db.query("Post", {"n": {"greaterThan": 0}}, sort=["n"], limit=1, count=True)
                assert (got.ids, got.count) == (["p1"], 2)
        except BaseException as exc:  # noqa: BLE001  # the test's to report
            failed.append(exc)
            ready.abort()

    started = [threading.Thread(target=user) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(60)
    return failed


def test_as_many_threads_counting_as_the_pool_has_connections_all_answer(app: tuple[ParseApp, querylang.Database]) -> None:
    """Each count took a connection of its own on one of two counting threads, which kept it:
    with four threads querying (the pool's four connections, one each, as documented: here the
    one that opened the database and three more) the counts waited for a fifth and sixth, and
    every query failed after the pool's timeout with "all 4 connections to the PostgreSQL
    server at ... are in use"."""
    _, db = app
    db.store.pool.timeout = 2  # type: ignore[attr-defined]  # a wait for a connection fails sooner
    assert db.store.pool.max_size == 4  # type: ignore[attr-defined]
    assert _counting(db, 3, 5) == []


def test_a_lone_counting_thread_still_counts_beside_its_page(app: tuple[ParseApp, querylang.Database]) -> None:
    """With connections to spare, the count runs on one of them while the page runs on the
    thread's own, and gives it back: the pool ends as it began, less the thread's one."""
    _, db = app
    pool = db.store.pool  # type: ignore[attr-defined]
    assert _counting(db, 1, 3) == []
    assert db.count("Post", {}) == 2
    assert pool.get_stats()["pool_size"] - pool.get_stats()["pool_available"] <= 1


def test_a_counted_query_on_a_closed_database_says_it_is_closed(app: tuple[ParseApp, querylang.Database]) -> None:
    """A counted query after close() raised the counting threads' RuntimeError ("cannot
    schedule new futures after shutdown"), where every other query says the database is closed."""
    _, db = app
    db.close()
    failed: list[BaseException] = []

    def count() -> None:
        try:
            db.query("Post", {}, limit=1, count=True)
        except BaseException as exc:  # noqa: BLE001  # the test's to check
            failed.append(exc)

    count()
    other = threading.Thread(target=count)  # a thread that never held a connection
    other.start()
    other.join(30)
    assert [type(e) for e in failed] == [querylang.QueryError] * 2
    assert all("the database is closed" in str(e) for e in failed)


def test_a_count_after_its_page_has_what_the_page_left_of_the_timeout(app: tuple[ParseApp, querylang.Database]) -> None:
    """With no spare connection the count runs after the page: each had the whole timeout, so a
    query of 3 s took 5 s and answered; the call is bounded by its one timeout now. Sleeps of
    2.5 s under a 3 s timeout, not 0.6 s under 1 s: the bound had 0.15 s for the stop to come
    back, which a loaded machine's threads can take; now it has 1.5 s."""
    _, db = app
    store = db.store
    assert db.query("Post", {}).ids == ["p1", "p2"]  # this thread's connection, kept
    taken = []
    try:
        while True:  # every other connection of the pool, as other threads' and streams' are
            try:
                taken.append(store.pool.getconn(0.5))
            except PoolTimeout:
                break
        assert len(taken) == store.pool.max_size - 1
        began = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"^the query ran longer than 3 s and was stopped \(its count, run "
                                                r"after its page for want of a spare connection\)$"):
            store.execute_with_count("SELECT 1 FROM pg_sleep(2.5)", [], "SELECT 7 FROM pg_sleep(2.5)", [], timeout=3)
        assert time.monotonic() - began < 4.5
        # Within the timeout, both are answered.
        rows, count = store.execute_with_count("SELECT 1 FROM pg_sleep(0.1)", [], "SELECT 7 FROM pg_sleep(0.1)", [], timeout=1)
        assert (rows, count) == ([(1,)], 7)
    finally:
        for con in taken:
            store.pool.putconn(con)


def test_a_count_beside_its_page_looks_at_the_columns_within_the_querys_cancel(
        app: tuple[ParseApp, querylang.Database]) -> None:
    """A count that failed beside its page looks at the columns' types before saying why
    (ParseStore._changed_since): on its counting thread that read had neither the query's
    timeout nor its cancel, and waited for as long as another session locked the catalog, and
    the query with it. The cancel now ends it, and the count says its own error."""
    parse, db = app
    store: Any = db.store
    assert db.query("Post", {}, count=True).count == 2  # the connections, and the spare one
    taken, cancel = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(parse.url) as other:
            other.execute("LOCK TABLE pg_catalog.pg_attribute IN ACCESS EXCLUSIVE MODE")
            taken.set()
            time.sleep(4)

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert taken.wait(10)
    threading.Timer(0.5, cancel.set).start()
    began = time.monotonic()
    with pytest.raises(QueryError, match="out of range"):
        store.execute_with_count("SELECT 1", [], "SELECT ('1e400'::jsonb #>> '{}')::float8", [], cancel=cancel)
    took = time.monotonic() - began
    assert took < 1.5, took
    holder.join(10)

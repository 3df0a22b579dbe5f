"""A query's page and its count on Parse's tables read in place (``count=True``, REST's
``count=1``): side by side when the pool has a connection to spare, since on Parse's tables both
are usually whole-table scans and the server runs them at once; else one after the other on the
thread's own connection.

The count never waits for a second connection while its thread holds one: it did (two counting
threads each kept a connection of their own), and threads counting at once, as many as the pool
has connections, each waited for another's until the pool timed out.

Either way the call is bounded by the query's one timeout: run one after the other, the count
has what the page left of it (each had the whole timeout, so the call could take twice as long).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from querylang.engines.postgres.bounds import QueryBounds
from querylang.engines.postgres.reach import Held, Reach
from querylang.engines.sql.watchdog import count_clock, ran_past
from querylang.errors import DATABASE_CLOSED, QueryError, QueryTimeout

# How long a counted query waits for a spare connection to count on beside its page: an idle one
# is there at once, a new one is made in a few milliseconds; past this the count runs after the page.
SPARE_WAIT = 0.05
COUNT_AFTER = " (its count, run after its page for want of a spare connection)"


def counter() -> ThreadPoolExecutor:
    """The threads that count beside the pages (a store's, shut down when it closes)."""
    return ThreadPoolExecutor(max_workers=2, thread_name_prefix="querylang-count")


class Counting:
    """What a store (ParseStore) does for a query with a count: ``execute_with_count``, which
    api.py's Database._execute asks for when the store has it."""

    closed: bool
    pool: ConnectionPool[Any]
    reach: Reach
    _counter: ThreadPoolExecutor
    _local: threading.local
    _held: weakref.WeakSet[Held]
    bounds: QueryBounds  # each thread's query's limits (bounds.py)
    # The store's statement on this thread's connection (PostgresStore.execute), and that connection.
    execute: Callable[..., list[tuple[Any, ...]]]
    _thread_connection: Callable[[], Held]

    def execute_with_count(self, sql: str, params: Sequence[Any], count_sql: str, count_params: Sequence[Any], *,
                           timeout: float | None = None, cancel: threading.Event | None = None,
                           ) -> tuple[list[tuple[Any, ...]], int]:
        """A query's rows and its count, each with the query's timeout and cancel."""
        if self.closed:  # as execute says it (the pool's own refusal named no database)
            raise QueryError(DATABASE_CLOSED)
        self._thread_connection()  # this thread's first, so that the spare is never the one it needs
        spare = self._spare()
        if spare is None:
            left = count_clock(timeout, why=COUNT_AFTER)
            rows = self.execute(sql, params, timeout=timeout, cancel=cancel)
            return rows, self._count_after(left, count_sql, count_params, timeout, cancel)
        try:
            counting = self._counter.submit(self._lent, spare, count_sql, count_params, timeout, cancel)
        except RuntimeError:  # closed meanwhile: its counting threads are shut down
            self.pool.putconn(spare)
            raise QueryError(DATABASE_CLOSED) from None
        try:
            rows = self.execute(sql, params, timeout=timeout, cancel=cancel)
        finally:
            counted = counting.result()
        return rows, counted[0][0]

    def _count_after(self, left: Callable[[], float | None], sql: str, params: Sequence[Any], timeout: float | None,
                     cancel: threading.Event | None) -> int:
        """The count, run after its page, within what the page ``left`` of ``timeout`` (count_clock)."""
        try:
            return int(self.execute(sql, params, timeout=left(), cancel=cancel)[0][0])
        except QueryTimeout:  # its statement's limit was what the page left: the query's is told
            if timeout is None:
                raise
            raise ran_past(timeout, COUNT_AFTER) from None

    def _spare(self) -> psycopg.Connection[Any] | None:
        """A connection the pool has idle, or makes within SPARE_WAIT; None when it has none (every
        one held by a thread that queries or a stream) or the server is known out of reach (the
        page's own statement then says why)."""
        if self.reach.down is not None:
            return None
        try:
            return self.pool.getconn(SPARE_WAIT)
        except (PoolTimeout, PoolClosed):
            return None

    def _lent(self, con: psycopg.Connection[Any], sql: str, params: Sequence[Any], timeout: float | None,
              cancel: threading.Event | None) -> list[tuple[Any, ...]]:
        """``sql`` run on ``con`` as this (counting) thread's connection, which goes back to the
        pool at the end: a counting thread keeping one would leave the pool one short for the
        threads that query."""
        held = self._local.held = Held(self.pool, con)
        self._held.add(held)  # close() gives it back if still out
        try:
            # The bounds of the reads the count makes (ParseStore._within: the columns' types
            # after it failed), as the page's hold gives the page's: this thread holds none.
            with self.bounds.of(timeout, cancel):
                return self.execute(sql, params, timeout=timeout, cancel=cancel)
        finally:
            self._local.held = None
            held.release()

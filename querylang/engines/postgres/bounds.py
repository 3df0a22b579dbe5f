"""The limits of the query a thread runs, for the reads a PostgreSQL store makes for it beside its
statements: the look at the columns' types after a cell it could not read (column_types.py,
ParseStore._changed_since) and, in place on Parse's tables, the check of the server's stems.

They live exactly as long as the work they are for, set and cleared in one place each: a
query's hold of the store (readers.py: what its timeout has left, its cancel), or, outside a
hold, :meth:`QueryBounds.of` around work done for one query (a stream's batch decoded after its
hold ended, a count run beside its page on another thread, the reference's read of every
record). Kept past it, they bounded a later call of the thread: a stream's look after another
query's cancel said "the query was cancelled", and a look had the timeout of the query before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from querylang.engines.sql.readers import ReadWriteLock, left_of


class QueryBounds(threading.local):
    """Each thread's limits: those given by :meth:`of` while it runs, else its hold's."""

    given: tuple[float | None, threading.Event | None, float] | None = None

    def __init__(self, lock: ReadWriteLock) -> None:
        self.lock = lock

    @contextmanager
    def of(self, timeout: float | None, cancel: threading.Event | None) -> Iterator[None]:
        """Work done for a query outside its hold: its reads within ``timeout`` seconds from now
        and ``cancel``; the thread's limits before it, after it (an error too)."""
        outer, self.given = self.given, (timeout, cancel, time.monotonic())
        try:
            yield
        finally:
            self.given = outer

    def now(self) -> tuple[float | None, threading.Event | None]:
        """What is left of this thread's query's timeout (readers.left_of), and its cancel; (None,
        None) outside a query."""
        given = self.given
        if given is None:
            return self.lock.bounds()
        timeout, cancel, began = given
        return left_of(timeout, began), cancel

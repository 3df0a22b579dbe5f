"""Many readers or one writer: the store's lock.

Queries only read, each on its thread's own DuckDB cursor, so any number run at once; a write or
a load runs alone. A query still sees one moment: its plan (compiled against the schema) and its
rows are read under one hold of the shared side, and no write can commit in between.

``with lock:`` takes the exclusive side (re-entrant for its holder, as the ``RLock`` it
replaces was); ``with lock.shared():`` the shared side (re-entrant too, and granted at once to
the thread holding the exclusive side). Waiting writers go first: a new reader waits while a
writer does, so a steady stream of queries cannot starve a load. And the readers that waited
for a writer go in as soon as it ends, before the next writer: with writers always waiting
(threads writing in a loop) a query never ran. A thread that reads cannot
start writing inside its read (two such threads would wait for each other forever): that is a
programming error, raised at once.

A wait has limits: ``acquire(timeout, cancel)`` gives up (False) past ``timeout`` seconds or once
``cancel`` is set, and ``lock.shared(timeout, cancel)`` raises the query's QueryTimeout or
QueryCancelled. Without them a query with a timeout of half a second waited as long as the load
before it ran, and a write as long as the load too.

Every query, load and write passes here, so the lock also refuses them in a process forked
after the database was opened: its connection (and this lock's state) are the parent's.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from querylang.errors import (
    DATABASE_FORKED,
    INTERNAL_SERVER_ERROR,
    DataError,
    QueryCancelled,
    QueryError,
    QueryTimeout,
)

# Forks of this process so far, counted in each child: a lock made before a fork knows it is in
# a child by its count, with no system call per query (os.getpid is one). A stream compares it
# with its lock's ``born`` for each record it hands out, where a method call each would show.
forks = 0


def _forked_here() -> None:
    global forks
    forks += 1


os.register_at_fork(after_in_child=_forked_here)

CANCEL_POLL = 0.02  # seconds between looks at a waiting call's cancel event
# Seconds a query may spend before a wait (planning it) and still give the wait its whole
# timeout: the statement of a query that waited for nothing keeps the limit its connection has
# (PostgreSQL's SET of another costs a round trip), and the query may end that much past it.
CLOCK_SLACK = 0.05


class ReadWriteLock:
    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._cond = threading.Condition(self._mutex)
        self._readers = 0  # shared holds of all threads, nested ones included
        self._writer: int | None = None  # the thread holding the exclusive side
        self._depth = 0  # its nested holds
        self._waiting_writers = 0
        self._waiting_readers = 0
        # Each end of a writer's hold: the readers waiting then (its turn) go in before any
        # writer; the readers that come later wait for the writers waiting then, as before.
        self._ends = 0
        self._turn = 0
        self._mine = threading.local()  # this thread's shared holds
        self._shared = _SharedHold(self)
        self.born = forks  # the forks counted when it was made

    def forked(self) -> bool:
        """Whether this process is a fork of the one that made the lock (and opened the database)."""
        return forks != self.born

    def check_process(self) -> None:
        """Refuse (QueryError) a call in a process forked after the lock was made."""
        # Before the mutex: a thread of the parent may have held it at the fork, for good here.
        if self.forked():
            raise QueryError(DATABASE_FORKED)

    # --- exclusive ---------------------------------------------------------------------------

    def acquire(self, timeout: float | None = None, cancel: threading.Event | None = None) -> bool:
        """The exclusive side; False (nothing held) once ``timeout`` seconds have passed or
        ``cancel`` is set while it waits."""
        self.check_process()
        me = threading.get_ident()
        with self._cond:
            if self._writer == me:
                self._depth += 1
                return True
            if getattr(self._mine, "n", 0):
                raise RuntimeError("a write or load cannot start inside a query on the same thread")
            deadline = _deadline(timeout)
            self._waiting_writers += 1
            try:
                while self._writer is not None or self._readers or self._turn:
                    if not self._wait(deadline, cancel):
                        # The readers that queued behind this writer may go now.
                        self._cond.notify_all()
                        return False
            finally:
                self._waiting_writers -= 1
            self._writer, self._depth = me, 1
            return True

    def _wait(self, deadline: float, cancel: threading.Event | None) -> bool:
        """One wait on the condition (its mutex held); False once past ``deadline`` or cancelled."""
        if cancel is not None and cancel.is_set():
            return False
        if deadline == math.inf and cancel is None:
            self._cond.wait()
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        # A wait longer than TIMEOUT_MAX (a timeout of 1e12 s) raised OverflowError.
        self._cond.wait(min(left, threading.TIMEOUT_MAX if cancel is None else CANCEL_POLL))
        return True

    def release(self) -> None:
        with self._cond:
            if self._writer != threading.get_ident():
                raise RuntimeError("release of a lock this thread does not hold")
            self._depth -= 1
            if not self._depth:
                self._writer = None
                self._ends += 1
                self._turn = self._waiting_readers
                self._cond.notify_all()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    # --- shared ------------------------------------------------------------------------------

    def shared(self, timeout: float | None = None, cancel: threading.Event | None = None) -> _SharedHold:
        """``with lock.shared():`` — one object for every hold (its state is per thread): no
        generator nor context object made per query, the fast way taken when no writer is
        about, which is nearly always. ``timeout`` and ``cancel``: the query's, which a wait
        for a writer counts against (QueryTimeout, QueryCancelled; nothing held)."""
        self._mine.limit = (timeout, cancel, time.monotonic())
        return self._shared

    def held_alone(self) -> bool:
        """Whether this thread holds the exclusive side."""
        return self._writer == threading.get_ident()

    def bounds(self) -> tuple[float | None, threading.Event | None]:
        """What is left of the timeout this thread's hold of the shared side was given, and its
        cancel ((None, None) when it holds none): a read the store makes for its query while
        held (a column's type, after a cell it could not decode) is bounded by them, as the
        query's statement is (with the whole timeout again, it ended that long past the query's);
        the whole of it while the hold is younger than CLOCK_SLACK, as the statement has."""
        if not getattr(self._mine, "n", 0):
            return None, None
        timeout, cancel, began = self._mine.limit
        return left_of(timeout, began), cancel

    def waited(self) -> float:
        """Seconds this thread's hold of the shared side waited for a writer (0 when it waited
        not at all, or holds none): the query's statements get what is left of its timeout."""
        return getattr(self._mine, "waited", 0.0) if getattr(self._mine, "n", 0) else 0.0


@contextmanager
def writing(lock: ReadWriteLock, wait: float | None) -> Iterator[None]:
    """A write's hold of the exclusive side: waiting more than ``wait`` seconds for a load or
    another write fails (the PostgreSQL writer's ``lock_wait``, which bounds its wait for other
    connections' locks too); it waited for the whole load."""
    if not lock.acquire(wait):
        raise DataError(f"write failed, nothing was changed: it waited longer than {wait:g} s for a load or "
                        "another write of the database to end", code=INTERNAL_SERVER_ERROR)
    try:
        yield
    finally:
        lock.release()


def left_of(timeout: float | None, began: float) -> float | None:
    """What is left of ``timeout`` seconds begun at ``began`` (time.monotonic()): the whole of it
    within CLOCK_SLACK (ReadWriteLock.bounds)."""
    if timeout is None:
        return None
    used = time.monotonic() - began
    return timeout if used < CLOCK_SLACK else max(0.0, timeout - used)


def _deadline(timeout: float | None) -> float:
    return math.inf if timeout is None else time.monotonic() + timeout


class _SharedHold:
    __slots__ = ("_lock",)

    def __init__(self, lock: ReadWriteLock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        lock = self._lock
        lock.check_process()
        mine = getattr(lock._mine, "n", 0)
        waited = 0.0
        with lock._mutex:
            if (lock._writer is not None or lock._waiting_writers) and not mine and lock._writer != threading.get_ident():
                timeout, cancel, _ = getattr(lock._mine, "limit", (None, None, 0.0))
                start = time.monotonic()
                deadline = math.inf if timeout is None else start + timeout
                ends = lock._ends
                lock._waiting_readers += 1
                try:
                    # Past the end of a writer's hold (ends moved on) this reader's turn has come.
                    while lock._writer is not None or (lock._waiting_writers and lock._ends == ends):
                        if not lock._wait(deadline, cancel):
                            if cancel is not None and cancel.is_set():
                                raise QueryCancelled("the query was cancelled")
                            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped: it waited "
                                               "that long for a load or write of the database to end")
                finally:
                    lock._waiting_readers -= 1
                    if lock._ends != ends and lock._turn:  # one of the turn's readers, in or given up
                        lock._turn -= 1
                        if not lock._turn:
                            lock._cond.notify_all()
                waited = time.monotonic() - start
            lock._readers += 1
        if not mine:
            lock._mine.waited = waited
        lock._mine.n = mine + 1

    def __exit__(self, *exc: object) -> None:
        lock = self._lock
        lock._mine.n -= 1
        with lock._mutex:
            lock._readers -= 1
            if not lock._readers and lock._waiting_writers:
                lock._cond.notify_all()

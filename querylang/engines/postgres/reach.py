"""The store's connections from its pool, and whether the PostgreSQL server is known to be
out of reach.

While the server is down the pool has no connection to give, and a caller waited its whole
timeout (10 s) before failing: one caller after another, so serve's requests, queued on its one
database thread, took 10 s each. Once a try to connect has failed, the server is known to be
down and callers do not wait for the pool: each tries to connect itself, which a stopped
server's host refuses at once, so the first call after its return succeeds. A try that took
long (a host that does not answer, where each try waits the connect timeout) is not repeated
by every caller: they fail at once with its reason while a thread tries again every
PROBE_EVERY seconds.

A server that takes connections may still refuse a statement of the store's set-up of each new
one (its configure: a LISTEN a standby refuses, a function a role may not call). The pool
retried it in the background while callers waited its whole timeout and were told every
connection was in use; the set-up's last refusal is kept and named instead. Once it is known,
a caller the pool has no idle connection for sets one up itself, outside the pool: refused, it
fails at once (it waited FIRST_WAIT for the pool each time), unless another thread or a stream
holds a connection that may come free, which it waits for; accepted, the refusal is forgotten
and the caller waits for the pool, whose next try then passes too.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import select
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from querylang.engines.postgres.passwords import hide_password
from querylang.engines.postgres.prepared import statements
from querylang.engines.postgres.server_errors import first_line
from querylang.errors import QueryError

# How long a caller waits for the pool before the server is tried directly: a pool with the
# server there hands out a connection, or makes one, in milliseconds.
FIRST_WAIT = 1.0
PROBE_EVERY = 0.5  # seconds between the background thread's tries
IDLE_WAIT = 0.001  # seconds: a connection the pool has idle is handed out at once (0 is refused)
QUICK = 0.25  # seconds: a failed try shorter than this was refused, and callers may try again


class _QuietPool(logging.Filter):
    """Drops the pool's warning that it discarded one of a store's connections that had died
    ("discarding closed connection: <psycopg.Connection [BAD] …>", or "broken" when its check
    found it so): a library user saw it on stderr after an outage, which the call that met it
    already reported as a QueryError, and after a restart or a killed backend, when the call
    went on with a new connection and nothing failed. So too its warnings that it closed, or
    rolled back (or failed to), one given back while in use: the store's close() gives back
    those of calls still running, which say that the database was closed.

    The pool's warnings about its own tries to connect (its background thread's, while the
    server is down or refuses the set-up: "error connecting in 'querylang-1': …", two or three
    a second) and about its tasks that failed are logged at INFO instead, with its other news
    of a store's pool: a library user saw them on stderr, beside the QueryError that says what
    happened ("cannot reach the PostgreSQL server at …"). Warnings about other pools and their
    connections pass as they are."""

    DISCARDS = frozenset({"discarding closed connection: %s", "discarding broken connection: %s",
                          "closing returned connection: %s", "rolling back returned connection: %s",
                          "rollback failed: %s: %s. Discarding connection %s"})  # the connection last
    TRIES = frozenset({"error connecting in %r: %s", "reconnection attempt in pool %r failed after %s sec"})  # the pool's name first
    TASKS = frozenset({"task run %s failed: %s: %s", "scheduled task run %s failed: %s: %s"})  # the task (or its tick) first

    def __init__(self) -> None:
        super().__init__()
        self.ours: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self.pools: weakref.WeakValueDictionary[str, ConnectionPool[Any]] = weakref.WeakValueDictionary()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args:
            return True
        if record.msg in self.DISCARDS and args[-1] in self.ours:
            return False
        if record.levelno > logging.INFO and self._of_a_store(record.msg, args[0]):
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True

    def _of_a_store(self, msg: Any, first: Any) -> bool:
        if msg in self.TRIES:
            return isinstance(first, str) and first in self.pools
        if msg in self.TASKS:
            task = getattr(first, "__self__", first)  # a scheduled task names its bound tick
            pool = getattr(task, "pool", None)  # a weak reference to the task's pool
            return callable(pool) and any(pool() is p for p in self.pools.values())
        return False


_quiet_pool = _QuietPool()
logging.getLogger("psycopg.pool").addFilter(_quiet_pool)
_pool_numbers = itertools.count(1)


def pool_connection(con: psycopg.Connection[Any]) -> None:
    """A connection of a store's pool (each new one, from the pool's configure): its discard is
    not logged, and JIT is off. Some expressions are long (a dot path on through an array reads
    the values it reaches in sub-queries; on Parse's tables a Date inside jsonb, the Snowball
    steps of a text search): their estimated cost passes jit_above_cost on tables of some ten
    thousand rows, and compiling them costs more than running them (JIT: PostgreSQL 11+)."""
    _quiet_pool.ours.add(con)
    if con.info.server_version >= 110000:
        con.execute("SET jit = off")


class Reach:
    """The server's reachability as last tried, for the store's connections."""

    def __init__(self, url: str, kwargs: dict[str, Any], shown: str, timeout: float = 10) -> None:
        self.url, self.kwargs, self.shown = url, kwargs, shown  # shown: the URL as messages name it
        self.timeout = timeout  # the pool's wait for a connection, and for a new one made
        self.down: str | None = None  # why the last try to connect failed; None: reachable, as far as known
        # Why the set-up of the pool's last new connection failed; None once one was set up.
        self.unset: str | None = None
        # The statements of the pool's set-up (its configure but for what only marks the store).
        self._statements: Callable[[psycopg.Connection[Any]], None] | None = None
        # Whether the store has lent a connection of the pool that is not given back yet (a
        # thread's, a stream's): the store's to say.
        self.lent: Callable[[], bool] = lambda: False
        self.closed = False
        self._slow = False  # the last failed try took long: only the background thread tries
        self._trying = threading.Lock()  # one try at a time; others take its answer
        self._prober: threading.Thread | None = None

    def pool(self, min_size: int, max_size: int, configure: Callable[[psycopg.Connection[Any]], None],
             check: Callable[[psycopg.Connection[Any]], None],
             statements: Callable[[psycopg.Connection[Any]], None]) -> ConnectionPool[Any]:
        """The store's pool, open, its new connections set up by ``configure`` (setting_up),
        ``statements`` the part of it a server may refuse (set_up_refused), and
        named as its own (its log lines name it: _QuietPool knows it by it from its first try).
        reconnect_timeout: the pool retries a failed connection with a back-off that doubles (1,
        2, 4 ... s) until it gives up; by default after five minutes, so after a long outage its
        next try could come minutes after the server was back. Giving up after the connect
        timeout, the next query that finds no connection starts a new try at once."""
        pool: ConnectionPool[Any] = ConnectionPool(
            self.url, min_size=min_size, max_size=max_size, kwargs=self.kwargs, configure=self.setting_up(configure),
            open=False, timeout=self.timeout, name=f"querylang-{next(_pool_numbers)}", check=check,
            reconnect_timeout=self.timeout)
        self._statements = statements
        _quiet_pool.pools[pool.name] = pool
        pool.open()
        return pool

    def getconn(self, pool: ConnectionPool[Any]) -> psycopg.Connection[Any]:
        """A connection from the pool, or at once an error naming why the server is out of
        reach, once that is known. A pool with none to give within FIRST_WAIT has the server
        tried directly: down, the caller fails now; there, it waits the rest of the timeout
        (every connection in use: a thread each that queries, a stream each not ended)."""
        why = self.known_down()
        if why is None and self.unset is not None:
            try:
                return pool.getconn(IDLE_WAIT)
            except PoolTimeout:
                self.unset = self.set_up_refused()
            if self.unset is not None:
                # Another thread's connection, or a stream's, comes free as the pool's do when
                # every one is in use: the caller waits for it (it failed at once, where the
                # connection a request of serve's gave back a moment later answered it).
                if self.lent():
                    with contextlib.suppress(PoolTimeout):
                        return pool.getconn(pool.timeout)
                raise QueryError(f"cannot set up a connection to the PostgreSQL server at {self.shown}: {self.unset}",
                                 code=1)
        if why is None:
            timeout = pool.timeout
            try:
                return pool.getconn(min(FIRST_WAIT, timeout))
            except PoolTimeout:
                why = self.check()
            if why is None and self.unset is not None:
                raise QueryError(f"cannot set up a connection to the PostgreSQL server at {self.shown}: {self.unset}",
                                 code=1)
            if why is None:
                # The server is there. Idle connections a restart killed are each dropped by
                # the pool's check on the way out, after a pause that doubles (1, 2, 4 s): a
                # dozen of them used the whole timeout. Checked all at once here, the dead
                # ones are replaced at once.
                pool.check()
                try:
                    if timeout > FIRST_WAIT:
                        return pool.getconn(timeout - FIRST_WAIT)
                except PoolTimeout:
                    pass
                raise QueryError(
                    f"all {pool.max_size} connections to the PostgreSQL server at {self.shown} are in use "
                    f"(one per thread that queries, one per stream not read to its end or closed): none came free "
                    f"within {timeout:g} s", code=1)
        raise QueryError(f"cannot reach the PostgreSQL server at {self.shown}: {why}", code=1)

    def setting_up(self, configure: Callable[[psycopg.Connection[Any]], None]) -> Callable[[psycopg.Connection[Any]], None]:
        """``configure`` for the pool, which keeps its refusal for getconn to name."""

        def run(con: psycopg.Connection[Any]) -> None:
            try:
                configure(con)
            except Exception as exc:
                self.unset = hide_password(first_line(exc), self.url)
                raise
            self.unset = None
        return run

    def set_up_refused(self) -> str | None:
        """Run the statements of the pool's set-up now, on a connection outside the pool: why
        one was refused, or None (also when no connection is made: the pool's wait then tells
        why the server is out of reach). Only the statements: the whole set-up also marks the
        store (a new connection has its schema read again), which a probe must not."""
        try:
            con = psycopg.connect(self.url, **self.kwargs)
        except psycopg.Error:
            return None
        try:
            if self._statements is not None:
                self._statements(con)
        except Exception as exc:
            return hide_password(first_line(exc), self.url)
        finally:
            con.close()
        return None

    def why_not(self) -> str | None:
        """Connect once, now, outside the pool: None when it works, else why not (the same
        options as the pool's connections, so a refusal of the role or database shows too)."""
        try:
            psycopg.connect(self.url, **self.kwargs).close()
        except psycopg.Error as exc:
            return hide_password(first_line(exc), self.url)
        return None

    def check(self) -> str | None:
        """Try now (the pool gave no connection in time, or the server is known down): why it
        is out of reach, or None. While another thread tries, its last answer."""
        if not self._trying.acquire(blocking=False):
            return self.down
        try:
            return self._try()
        finally:
            self._trying.release()

    def _try(self) -> str | None:
        began = time.monotonic()
        why = self.why_not()
        self._slow = why is not None and time.monotonic() - began >= QUICK
        self.down = why
        if self._slow:
            self._start_prober()
        return why

    def _start_prober(self) -> None:
        if self._prober is None and not self.closed:
            self._prober = threading.Thread(target=self._probe, name="querylang-pg-reach", daemon=True)
            self._prober.start()

    def lost(self, why: str) -> None:
        """A heartbeat's new connection got no answer (heartbeat.py): known down, as after a try
        here that took long. Not known so, each call after the cut one took a pooled connection
        to the silent server and waited for a heartbeat of its own. A try under way answers
        instead."""
        if self._trying.acquire(blocking=False):
            try:
                self.down, self._slow = why, True
                self._start_prober()
            finally:
                self._trying.release()

    def known_down(self) -> str | None:
        """Why the server is out of reach, when that is known; None: ask the pool. Known down
        after a quick refusal, it is tried again now."""
        if self.down is None:
            return None
        return self.down if self._slow else self.check()

    def _probe(self) -> None:
        while True:
            time.sleep(PROBE_EVERY)
            with self._trying:
                if not self.closed:
                    self._try()
                if self.closed or not self._slow:
                    self._prober = None
                    return

    def close(self) -> None:
        self.closed = True


class Held:
    """A connection a thread keeps; back to the pool when the thread ends (its thread-local
    storage goes, and this with it) or when the store closes."""

    def __init__(self, pool: ConnectionPool[Any], con: psycopg.Connection[Any]) -> None:
        self.pool, self.con = pool, con
        # The thread's statements go through libpq's calls (prepared.py), not a cursor.
        self.statements = statements(con)
        self.done = False
        # When a query last looked at the idle connection (gone), time.monotonic(): its
        # statement, a moment later, need not look again (LOOKED_LATELY).
        self.looked = -math.inf

    def release(self) -> None:
        if not self.done:
            self.done = True
            with contextlib.suppress(Exception):
                self.pool.putconn(self.con)

    def __del__(self) -> None:
        self.release()


def set_up(url: str, kwargs: dict[str, Any], configure: Callable[[psycopg.Connection[Any]], None]) -> psycopg.Connection[Any]:
    """A connection set up as the pool's are: the open's first, so that a set-up the server
    refuses is said at once (the pool would only retry it until its timeout)."""
    con = psycopg.connect(url, **kwargs)
    try:
        configure(con)
    except psycopg.Error as exc:
        con.close()
        raise psycopg.OperationalError(f"a new connection's set-up failed: {first_line(exc)}") from None
    except BaseException:
        con.close()
        raise
    return con


# Seconds within which a connection a query has just looked at (gone) is taken as still
# there: the statement right after the look (the plan in between) does not poll again. A
# server that closed it in that moment fails that statement, as one that closed it just after
# a look would.
LOOKED_LATELY = 0.001


def gone(con: psycopg.Connection[Any]) -> bool:
    """Whether an idle connection was closed by the server meanwhile (a restart, a
    pg_terminate_backend), so that a statement on it would fail although the server is there.
    An idle connection's socket has nothing to read unless the server said goodbye (or sent a
    notice, notices.py): only then is what arrived read, without asking the server anything
    (a server that stopped answering would never answer an empty statement), its notices
    handed over as a statement's result does. A poll costs a system call; asking every time
    would cost a round trip per query."""
    if con.closed:
        return True
    # Made once per connection (its socket stays the same while it is open): a poll object
    # and its register per look cost half of the look.
    poll = getattr(con, "_ql_poll", None)
    if poll is None:
        poll = con._ql_poll = select.poll()  # type: ignore[attr-defined]
        poll.register(con.fileno(), select.POLLIN)
    if not poll.poll(0):
        return False
    pgconn = con.pgconn
    try:
        with con.lock:
            while True:
                pgconn.consume_input()  # the end of the stream, when the server closed it, fails here
                while (notice := pgconn.notifies()) is not None:
                    if pgconn.notify_handler:
                        pgconn.notify_handler(notice)
                if pgconn.status != psycopg.pq.ConnStatus.OK or not poll.poll(0):
                    break
    except psycopg.Error:
        return True
    # A goodbye read before the server closed the socket: its error is waiting for the next
    # result (a restart's "terminating connection"), which the old probe would have met.
    return pgconn.status != psycopg.pq.ConnStatus.OK or bool(pgconn.is_busy())


def check_idle(con: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it hands out: one that died idle is dropped."""
    if gone(con):
        raise psycopg.OperationalError("the server closed the connection")

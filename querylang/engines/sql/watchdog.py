"""Stopping statements: timeouts and cancels interrupt DuckDB from a thread of their own; a count
run after its page has what the page left of the timeout (count_clock)."""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from querylang.errors import QueryTimeout


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Loading makes millions of small objects and no cycles: the collector only costs time
    (~20% of a 1M-record load, benchmarks Tuning P6)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def count_clock(timeout: float | None, whole: float | None = None, why: str = "") -> Callable[[], float | None]:
    """A clock started as a query's page starts, for the count run after it (Writes, a count on
    Parse's tables without a spare connection): called when the count starts, what the page left
    of ``timeout`` (None: no timeout); when each had the whole of it, a counted query took up to
    twice as long. Nothing left is the query's timeout, of ``whole`` seconds (``timeout`` when
    not given; ``why`` follows the message)."""
    began = time.monotonic()

    def left() -> float | None:
        if timeout is None:
            return None
        rest = timeout - (time.monotonic() - began)
        if rest <= 0:
            raise ran_past(timeout if whole is None else whole, why)
        return rest

    return left


def ran_past(timeout: float, why: str = "") -> QueryTimeout:
    """A query's timeout of ``timeout`` seconds, ``why`` after the message."""
    return QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped{why}")


class Watchdog:
    """One thread per store that interrupts statements past their deadline (a slow interrupt, a
    PostgreSQL cancel to send, on a short-lived thread of its own: _interrupt).

    A timer thread per statement cost ~40 µs (benchmarks, Tuning P9); registering a deadline
    here costs a lock and a dict insert. The thread is woken only when a new deadline comes
    before the one it sleeps until: with one timeout for every statement that is once per idle
    spell, not once per statement (a wake-up per statement cost ~30 µs of GIL hand-over).
    """

    def __init__(self) -> None:
        # The plain lock for a statement's watch and done (C code, no Condition methods to run);
        # the condition over that same lock to sleep on and wake the thread.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        # The statements whose interrupt the thread is to make in this round, outside the lock
        # (a PostgreSQL cancel is sent on a connection of its own, and may take seconds), and
        # those being made: their done waits on this condition until they are made; the others'
        # done takes them out, so that none waits for another's send, nor is interrupted after
        # its end. An interrupt that says it is slow (a cancel to send) is made on a thread of
        # its own, SENDERS at most at once: made on this one, it held every other statement's
        # deadline for as long as it took.
        self._sending: set[int] = set()
        self._making: set[int] = set()
        self._senders = 0
        self._sent = threading.Condition(self._lock)
        self._ended: set[int] = set()  # those being made whose done came meanwhile
        self.failures = 0  # interrupts that raised (each tried again RETRY s on)
        self._watched: dict[int, tuple[float, Any, threading.Event | None]] = {}
        self._next = 0
        self._wake = math.inf  # when the thread will look next
        self._thread: threading.Thread | None = None
        self._closed = False  # the store closed: the thread ends once nothing is watched
        # Short-lived threads of the store's (a cancel's send, a heartbeat's ask), for close()
        # to wait for; a lock of their own, as a heartbeat starts one outside the watchdog's.
        self._helpers: set[threading.Thread] = set()
        self._helpers_lock = threading.Lock()

    def watch(self, cursor: Any, timeout: float | None, cancel: threading.Event | None = None) -> int:
        """Interrupt ``cursor`` past ``timeout`` seconds, or as soon as ``cancel`` is set.

        A set ``cancel`` is acted on again every CANCEL_POLL seconds until :meth:`done`: an
        interrupt that reaches DuckDB before the statement starts is forgotten by it, and the
        statement would then run to its end (the REPL once hung so after Ctrl-C).
        """
        _refused_at_exit()  # before the lock (_start says why)
        now = time.monotonic()
        deadline = math.inf if timeout is None else now + timeout
        with self._lock:
            self._next += 1
            self._watched[self._next] = (deadline, cursor, cancel)
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="querylang-watchdog", daemon=True)
                try:
                    _start(thread)
                except BaseException:
                    # No thread to watch it (RuntimeError "can't start new thread"): the statement
                    # is refused, not run without its timeout, and the next watch tries again
                    # (kept, the thread taken for running left every later statement unwatched).
                    del self._watched[self._next]
                    raise
                self._thread = thread
            self._soon(deadline if cancel is None else min(deadline, now + CANCEL_POLL))
            return self._next

    def _soon(self, wake: float) -> None:
        """The thread looks again by ``wake`` (called with the lock held)."""
        if wake < self._wake:
            self._wake = wake
            self._cond.notify()

    def done(self, token: int) -> None:
        """Forget a statement: once this returns, no interrupt of it is being made or will be,
        so none reaches the next statement on its connection or cursor (an interrupt in
        flight is waited for)."""
        if sys.is_finalizing():
            return  # nothing of the watchdog's can run any more, nor reach a statement (_start)
        with self._lock:
            self._watched.pop(token, None)
            self._sending.discard(token)
            if token in self._making:
                self._ended.add(token)  # an interrupt of it that fails is not made again
            while token in self._making:
                self._sent.wait()
            self._ended.discard(token)

    def helper(self, target: Callable[[], object], name: str) -> None:
        """Start ``target`` on a daemon thread of its own, which close() waits for briefly."""
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._helpers_lock:  # held while it starts: a close() meanwhile waits for it too
            _start(thread)
            self._helpers = {t for t in self._helpers if t.is_alive()}
            self._helpers.add(thread)

    def close(self) -> None:
        """The store is closed: the thread ends, once the calls still running are done. It
        stayed waiting for good, one thread per Database ever opened in the process."""
        if sys.is_finalizing():  # nothing to wait for, and the lock may be held for good (_start)
            self._closed = True
            return
        with self._lock:
            self._closed = True
            self._cond.notify()
            ending = self._thread if not self._watched else None
        with self._helpers_lock:
            helpers = list(self._helpers)
        # Waited for, CLOSE_WAIT s at most in all: a daemon thread that ended while the
        # interpreter was finishing (the CLI closes its database just before) could abort the
        # process; so could a cancel's send or a heartbeat's ask still ending. A call watched
        # meanwhile keeps the watchdog's thread going, and that thread is not waited for.
        until = time.monotonic() + CLOSE_WAIT
        for thread in ([ending] if ending is not None else []) + helpers:
            if thread is not threading.current_thread():
                thread.join(max(0.0, until - time.monotonic()))

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                polling = False
                due: list[tuple[int, tuple[float, Any, threading.Event | None]]] = []
                for token, (deadline, cursor, cancel) in list(self._watched.items()):
                    if token in self._making:  # its interrupt is on its way (a sender's): looked at once made
                        polling = polling or cancel is not None
                        continue
                    if cancel is not None:
                        polling = True
                        if cancel.is_set():
                            # again each round until the statement is done
                            due.append((token, (deadline, cursor, cancel)))
                            continue
                    if deadline <= now:
                        due.append((token, self._watched.pop(token)))
                if due:
                    self._interrupt(due)
                    now = time.monotonic()  # the next round's wake counts from after the sends
                    # A statement with a cancel watched while the lock was let go is polled too:
                    # its watch's wake-up came while no one waited, and was lost.
                    polling = any(cancel is not None for _, _, cancel in self._watched.values())
                if self._closed and not self._watched and not self._making:
                    self._thread = None  # a call after the close starts another, which ends as this one
                    return
                self._wake = min((d for d, _, _ in self._watched.values()), default=math.inf)
                if polling:
                    self._wake = min(self._wake, now + CANCEL_POLL)
                # Capped: a deadline past TIMEOUT_MAX (a timeout of 1e12 s) raised OverflowError,
                # which ended this thread and with it every later timeout and cancel of the store.
                self._cond.wait(timeout=None if self._wake == math.inf else min(max(self._wake - now, 0.001), threading.TIMEOUT_MAX))

    def _interrupt(self, due: list[tuple[int, tuple[float, Any, threading.Event | None]]]) -> None:
        """Interrupt the ``due`` statements, called and returning with the lock held. Made
        outside it: a PostgreSQL cancel may take up to its 5 s limit to send, and held it
        stalled every other statement's watch and done (each statement's start and end)
        meanwhile. One whose target says it is slow (``slow()``: a cancel to send) is made on
        a thread of its own, so that it holds no other statement's deadline; past SENDERS at
        once, it waits for a later round. A late interrupt still never reaches the next
        statement on the same connection: a statement's done waits for its interrupt being
        made, and takes out one not begun yet; its thread runs nothing more on that connection
        before done returns.

        One that raises (a heartbeat with no thread to ask from, DuckDB's on a closed
        connection) is made again RETRY s on, until its statement is done: raised here, it
        ended this thread, and with it every later timeout and cancel of the store (their
        statements then ran without them); the others due are made all the same."""
        self._sending.update(token for token, _ in due)
        for token, entry in due:
            if token not in self._sending:  # done meanwhile
                continue
            slow = getattr(entry[1], "slow", None)
            if slow is not None and slow():
                if self._senders >= SENDERS:
                    # A later round's: a cancel's watch stays, a deadline's is put back.
                    self._sending.discard(token)
                    if token not in self._watched:
                        self._watched[token] = (time.monotonic() + CANCEL_POLL, entry[1], entry[2])
                    continue
                self._making.add(token)
                try:
                    self.helper(functools.partial(self._send, token, entry), "querylang-cancel")
                    self._senders += 1
                    continue
                except Exception:  # noqa: BLE001 - no thread to send from ("can't start new thread", or any other failure): this one sends
                    self._making.discard(token)
            self._making.add(token)
            self._lock.release()
            failed = True
            try:
                failed = self._made(entry)
            finally:
                self._lock.acquire()
                self._end(token, entry, failed)

    def _send(self, token: int, entry: tuple[float, Any, threading.Event | None]) -> None:
        """A slow interrupt, on a thread of its own (_interrupt)."""
        failed = True
        try:
            failed = self._made(entry)
        finally:
            with self._lock:
                self._senders -= 1
                self._end(token, entry, failed)
                # The thread may wait for this to end (to close, or for a sender's place).
                self._cond.notify()

    @staticmethod
    def _made(entry: tuple[float, Any, threading.Event | None]) -> bool:
        """Make one interrupt: whether it failed."""
        try:
            entry[1].interrupt()
        except Exception:  # noqa: BLE001 - whatever it was, the statement is still to be stopped
            return True
        return False

    def _end(self, token: int, entry: tuple[float, Any, threading.Event | None], failed: bool) -> None:
        """An interrupt made (with the lock held): its done may return. Decided before that
        done can run: one ended meanwhile is not made again."""
        self._making.discard(token)
        self._sending.discard(token)
        if failed:
            self.failures += 1
            if token not in self._ended and token not in self._watched:  # a cancel's watch stays
                self._watched[token] = (time.monotonic() + RETRY, entry[1], entry[2])
                self._soon(time.monotonic() + RETRY)
        self._sent.notify_all()


CANCEL_POLL = 0.02  # seconds between looks at the cancel events of running statements
RETRY = 0.1  # seconds after which an interrupt that raised is made again
CLOSE_WAIT = 1.0  # seconds close() waits at most for the threads still ending
SENDERS = 4  # slow interrupts (PostgreSQL cancels, each a connection to the server) made at once


def _start(thread: threading.Thread) -> None:
    """Start ``thread``; refused while Python exits, as Python 3.12 refuses it: on 3.11 a thread
    started then never runs, and its start waits for it for good (a statement a generator's
    cleanup made at exit hung the process). As Python exits, its daemon threads also stop for
    good at their next step (the watchdog's thread, a cancel's sender), perhaps holding the lock
    or with an interrupt half made: the watchdog then neither watches nor waits, since the
    cleanups the collector runs (a stream's, a close) waited for them and the process hung."""
    _refused_at_exit()
    thread.start()


def _refused_at_exit() -> None:
    """What Python 3.12 raises for a thread started as it exits (_start)."""
    if sys.is_finalizing():
        raise RuntimeError("can't create new thread at interpreter shutdown")

"""What the store's watchdog stops a running statement with.

A set cancel event cancels it through the server's cancel protocol. Both that and the query
timeout (statement_timeout) act inside the server: a server that does not run (a frozen host,
a paused VM) or cannot be reached (the network between dropped) leaves the client waiting for
an answer that never comes, a query with a 2 s timeout for as long as the server is gone, and
serve's one database thread, with every request queued behind it. So a statement still
unanswered GRACE seconds past its timeout, or past its cancel, has its connection cut.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

import psycopg

from querylang.errors import QueryError

GRACE = 5.0  # seconds a server that stops statements itself is given before the client does
CANCEL_SEND = 5.0  # seconds a cancel request is given to be sent and acknowledged
RESEND = 0.1  # seconds after a cancel request before it is sent again, doubled each time
SEND_LEAST = 0.1  # seconds a cancel request is given at least (sent just before GRACE ends)


class NoAnswer(QueryError):
    """A query's statement (or its schema read) unanswered GRACE s past its timeout: its
    connection was cut."""


def cut(con: psycopg.Connection[Any]) -> None:
    """Shut the connection's socket down, so that the thread waiting on it gets an error at
    once. Its descriptor stays open until the driver closes it: closing it here could close
    another file that reused the number meanwhile."""
    with contextlib.suppress(OSError, ValueError, psycopg.Error):
        with socket.socket(fileno=os.dup(con.fileno())) as sock:
            sock.shutdown(socket.SHUT_RDWR)


class Interrupt:
    """One statement on one connection, for the watchdog: interrupted at its deadline (the
    timeout plus GRACE) or while ``cancel`` is set.

    A set cancel is sent at once, and again only while the statement still runs RESEND s on,
    the wait doubled each time: the watchdog looks every 20 ms, and a cancel request sent at
    each look was a new connection to the server each, some fifty a second for as long as the
    statement took to stop. One sent again is not in vain: a request that reaches the backend
    between the watch's two statements (its timeout's SET and the statement) is lost.

    The statement's end (:meth:`end`) and its cut agree: the end that comes first keeps the
    connection (no cut after it), and the cut that comes first is known to the end. No lock
    between them (two on each query's path cost it most of a microsecond): the one interrupt
    of a statement being made at a time is the watchdog's, and the end's thread reads ``cut``
    only after the watchdog's done, which waits for that interrupt."""

    def __init__(self, con: psycopg.Connection[Any], cancel: threading.Event | None) -> None:
        self.con, self.cancel = con, cancel
        self.cancelled_at: float | None = None
        self.sent = 0  # cancel requests sent (or tried) for the statement
        self._next_send = 0.0  # when the next may be sent (time.monotonic())
        self.cut = False  # the connection was cut: the server did not answer
        self._ended = False

    def end(self) -> None:
        """The statement answered (or failed): no cut of its connection from now on. Called by
        its thread before the watchdog's done, so that a deadline reached as the answer came
        does not cut a connection that has nothing more on its way."""
        self._ended = True

    def again(self) -> None:
        """The watch made anew for the connection's next statement (a heartbeat's kept one)."""
        self._ended = False

    # What slow() saw (the time, whether the cancel was set), which the interrupt made after it
    # goes by: looked at afresh, a resend that came due in between (the watchdog's thread can
    # wait for the GIL for milliseconds), or a cancel set in between, was sent on the thread
    # slow() had kept it from, holding every other statement's deadline for as long as it took.
    _look: tuple[float, bool] | None = None

    def slow(self) -> bool:
        """Whether the next interrupt sends a cancel request (a connection to the server, up to
        CANCEL_SEND s): the watchdog makes it on a thread of its own."""
        now, cancelled = time.monotonic(), self.cancel is not None and self.cancel.is_set()
        self._look = (now, cancelled)
        if cancelled and self.cancelled_at is None:
            # GRACE counts from here: a cancel waiting for a sender's place (the watchdog's
            # SENDERS, each up to CANCEL_SEND s) was cut GRACE s after its first send instead.
            self.cancelled_at = now
        return (cancelled and not self.cut and not self._ended and now >= self._next_send
                and (self.cancelled_at is None or now - self.cancelled_at < GRACE))

    def interrupt(self) -> None:
        look, self._look = self._look, None
        if self.cut or self._ended:  # nothing more to send on it (a cancel request would be a connection more)
            return
        now, cancelled = look if look is not None else \
            (time.monotonic(), self.cancel is not None and self.cancel.is_set())
        if cancelled:
            if self.cancelled_at is None:
                self.cancelled_at = now
            elif now - self.cancelled_at >= GRACE:
                self._cut()
                return
            if now < self._next_send:
                return
            self._next_send = now + RESEND * 2 ** self.sent
            self.sent += 1
            try:
                # Within what GRACE leaves: a send begun late (after a wait for a sender's place,
                # or a resend) kept the statement past its cut by up to CANCEL_SEND s.
                self.con.cancel_safe(timeout=min(CANCEL_SEND, max(GRACE - (now - self.cancelled_at), SEND_LEAST)))
            except Exception:  # noqa: BLE001 - whatever failed, the cancel's fate is unknown
                # Not sent, or not known to be: one still on its way could reach the server
                # after this statement's end and stop the next one on the connection (the
                # watchdog's done waits only for this call). Cut, it is replaced before its
                # next statement (reach.gone), and a server that took no cancel within
                # CANCEL_SEND s is likely out of reach for the connection as well. Cut after its
                # end too: what the end keeps is a connection with nothing on its way.
                self._cut(always=True)
        else:
            self._cut()

    def _cut(self, always: bool = False) -> None:
        if self.cut or (self._ended and not always):
            return
        self.cut = True
        cut(self.con)

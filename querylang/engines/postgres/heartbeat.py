"""Whether the PostgreSQL server still answers while a write, a load or a long read waits on it.

A frozen host, a paused VM or a dropped network answers nothing, and a call waiting on it waits
for as long as it is gone, with serve's one database thread and every request queued behind
it. A query is cut GRACE s past its timeout (interrupt.py), a minute and more at serve's
default; a write or a load has no timeout that fits (it may wait on another session's lock,
run the user's change callback, build indexes on a large table). So while such a call is
unfinished (and a query whose own cut would come later: ``outlasts``), every LOOK seconds a
new connection asks the server whether it answers at all. Connecting takes the postmaster, a
new backend and the login, so any answer, even a refusal such as "too many clients", says the
server runs; a long statement or a lock wait does not stop it answering.

No answer within PROBE seconds cuts the call's connection (its thread gets an error at once),
and the caller says what that means: before the COMMIT was sent, nothing was changed (the
server rolls the transaction back when it finds the connection closed); while it was on its
way, whether it was saved is not known. The server is then known out of reach (reach.py): the
calls after it fail at once, until the background try gets an answer.

What this does not see: one backend stuck while the rest of the server answers. To the client
that is a statement that takes long, which only the server can tell apart.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Any

import psycopg

from querylang.engines.postgres.interrupt import GRACE, Interrupt, cut
from querylang.engines.postgres.passwords import hide_password
from querylang.engines.postgres.reach import Reach
from querylang.engines.postgres.server_errors import first_line
from querylang.engines.sql.watchdog import Watchdog

LOOK = 5.0  # seconds a write waits before the server is asked, and between asks
PROBE = 5  # seconds a new connection is given to answer (libpq's connect_timeout: whole, at least 2)
SILENT = f"it stopped answering (a new connection got no answer within {PROBE} s)"


def silence(reach: Reach, con: psycopg.Connection[Any]) -> str | None:
    """None when the server ``con`` is on answers a new connection within PROBE seconds, else
    why not: it stopped answering, or the driver's reason (a connection refused: the server is
    gone). An error the server sends (a refused login, too many clients) is an answer. Asked at
    the address ``con`` is on: the URL's host name looked up again may not resolve for a while
    (a DNS hiccup, no answer from the server), and of several hosts in the URL another may
    answer."""
    place: dict[str, Any] = {}
    with contextlib.suppress(psycopg.Error):  # closed meanwhile: its call fails by itself
        place = {"host": con.info.host, "port": con.info.port, "target_session_attrs": "any"}
        if con.info.hostaddr:
            place["hostaddr"] = con.info.hostaddr
    began = time.monotonic()
    try:
        psycopg.connect(reach.url, **{**reach.kwargs, **place, "connect_timeout": PROBE}).close()
    except psycopg.Error as exc:
        if exc.sqlstate is not None:
            return None
        if time.monotonic() - began < PROBE - 0.5:  # refused at once, not waited for
            return hide_password(first_line(exc))
        return SILENT
    return None


def outlasts(timeout: float | None) -> bool:
    """Whether a query with this timeout (None: none) may wait on a silent server longer than
    the heartbeat takes to find it so: its own cut comes GRACE s past the timeout, a minute
    and more at serve's default, where the heartbeat's comes within LOOK + PROBE."""
    return timeout is None or timeout + GRACE > LOOK + PROBE


class Heartbeat:
    """Watches one call's connection (a write, a load, a read without a short timeout) while
    the call runs: from ``__enter__`` to ``__exit__``."""

    def __init__(self, watchdog: Watchdog, con: psycopg.Connection[Any], reach: Reach,
                 stop: Interrupt | None = None, after: float = 0.0) -> None:
        """``stop``: a statement's own cut, due ``after`` seconds from ``__enter__``, which this
        watch also makes (one watch per query instead of two: each costs the query's thread
        a lock and an object of its own)."""
        self.watchdog, self.con, self.reach = watchdog, con, reach
        self.stop, self._after, self._end = stop, after, math.inf
        self.cut = False  # the server did not answer: the connection was cut
        self.why = SILENT  # why it was cut
        self.committing = False  # set by the caller once the COMMIT is on its way
        self._lock = threading.Lock()
        self._done = False
        self._asking = False  # an ask in flight: the one watch meanwhile is the statement's cut
        self._token = 0
        # Ended with no ask in flight and nothing cut: no use of it goes on, so a statement's
        # watch may serve the next statement on its connection (again; watched.py keeps it).
        self.spare = False

    def __enter__(self) -> Heartbeat:
        look = LOOK
        if self.stop is not None:
            self._end, look = time.monotonic() + self._after, min(LOOK, self._after)
        self._token = self.watchdog.watch(self, look)
        return self

    def again(self, after: float) -> Heartbeat:
        """A ``spare`` statement's watch armed for the next statement, its cut due ``after`` s
        on: a watch made per statement cost the query's thread two objects and a lock."""
        self._after, self._done, self.spare = after, False, False
        if self.stop is not None:
            self.stop.again()
        return self.__enter__()

    def _look(self) -> float:
        """Seconds until the next ask, or until the statement's cut when that comes first."""
        return LOOK if self.stop is None else max(0.0, min(LOOK, self._end - time.monotonic()))

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
            self.watchdog.done(self._token)  # after it, the watchdog starts no ask of this one
            self.spare = not self._asking and not self.cut

    def interrupt(self) -> None:
        """Called by the watchdog LOOK seconds on (its done, in __exit__, waits for this call
        to end): ask from a thread of its own, as an ask may take PROBE seconds and the
        watchdog stops other statements. At the statement's deadline, its cut instead: while
        an ask is in flight the only watch is that deadline's (_ask), so the cut is not late
        by what the ask takes."""
        if self._done:  # the call ended as its watch came due: nothing to ask or cut
            return
        if self.stop is not None and (self._asking or time.monotonic() >= self._end):
            self.stop.interrupt()
            return
        self._asking = True
        try:
            self.watchdog.helper(self._ask, "querylang-pg-heartbeat")
        except BaseException:
            # No thread to ask from (RuntimeError "can't start new thread"): no ask in flight, so
            # the watchdog, which makes this call again shortly, cuts at the deadline when due.
            self._asking = False
            raise

    def _ask(self) -> None:
        if self.stop is not None:
            # The ask may take PROBE s, a server slow to let a new connection in: the statement's
            # cut stays due at its deadline meanwhile (it came as late as the ask's end).
            with self._lock:
                if self._done:
                    return
                self._token = self.watchdog.watch(self, max(0.0, self._end - time.monotonic()))
        why = silence(self.reach, self.con)
        with self._lock:
            self._asking = False
            if self._done:
                return
            if why is None:
                if self.stop is not None:
                    self.watchdog.done(self._token)  # the deadline's, if it has not come: the next ask's replaces it
                self._token = self.watchdog.watch(self, self._look())
            else:
                self.cut, self.why = True, why
                self.reach.lost(why)
                cut(self.con)

    def failure(self, shown: str, failed: str, what: str, closed: bool = False) -> str | None:
        """The error of a write or load that was cut, or whose connection the store's close()
        closed (``closed``), None for any other: ``failed`` starts it when the server never got
        the COMMIT ("write failed, nothing was changed"), ``what`` names it ("the write")."""
        if closed:
            gone, again = "the database was closed (db.close() was called)", "after connecting again"
        elif self.cut:
            gone = (f"the PostgreSQL server at {shown} stopped answering (a new connection got no answer within "
                    f"{PROBE} s either), so the connection was closed" if self.why == SILENT else
                    f"the PostgreSQL server at {shown} went away ({self.why}), so the connection was closed")
            again = "once the server answers"
        else:
            return None
        if self.committing:
            return f"{gone} while {what} was being committed: whether it was saved is not known; read it again {again}"
        return f"{failed}: {gone}" + (f" while {what} ran" if closed else "")

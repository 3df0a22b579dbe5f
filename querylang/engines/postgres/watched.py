"""A statement's watch on PostgreSQL, for the store (PostgresStore): the server stops it at its
timeout; the client cuts its connection GRACE s later, or GRACE s after its cancel, if the
server does not answer (interrupt.py); and while it may wait on a silent server longer than
the heartbeat takes to find it so, whether the server answers at all (heartbeat.py). What a
statement that failed under that watch says (_failed, _read_cut)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import psycopg
from psycopg import errors as pge

from querylang.engines.postgres.dialect import timeout_ms
from querylang.engines.postgres.heartbeat import Heartbeat, outlasts
from querylang.engines.postgres.interrupt import GRACE, Interrupt, NoAnswer
from querylang.engines.postgres.reach import Held, Reach
from querylang.engines.postgres.server_errors import query_error, session_goes_on
from querylang.engines.sql.watchdog import Watchdog
from querylang.errors import DATABASE_CLOSED, QueryError

T = TypeVar("T")


class Watched:
    """The watch methods of a store: its ``watchdog``, ``reach``, ``shown`` (the database as
    messages name it), ``closed`` and each thread's connection (``_local.held``, ``_drop``)."""

    watchdog: Watchdog
    reach: Reach
    shown: str
    closed: bool
    _local: threading.local
    _drop: Callable[[Held], None]

    def _failed(self, exc: psycopg.Error, stop: Interrupt | None, beat: Heartbeat | None, timeout: float | None,
                cancel: threading.Event | None) -> NoReturn:
        """Raise what a statement that failed under a query's watch (execute, _watched) says."""
        if self.closed:  # close() closed the connection under it: the server is there
            raise QueryError(DATABASE_CLOSED) from None
        if stop is not None and stop.cut and timeout is not None and not (cancel is not None and cancel.is_set()):
            raise NoAnswer(f"the PostgreSQL server at {self.shown} did not answer within {timeout + GRACE:g} s "
                           f"(it stops a query past {timeout:g} s itself): the connection was closed", code=1) from None
        if (cut := self._read_cut(beat)) is not None:
            raise cut from None
        raise query_error(exc, cancel, timeout) from (None if isinstance(exc, pge.QueryCanceled) else exc)

    def _watch(self, con: psycopg.Connection[Any], timeout: float | None,
               cancel: threading.Event | None) -> tuple[Interrupt | None, int | None, Heartbeat | None]:
        """A statement's watch: the cut of its connection GRACE s past its timeout or its cancel
        (interrupt.py), and while it may wait on a silent server longer than the heartbeat takes
        to find it so, the heartbeat (heartbeat.py), whose one watch then makes the cut too."""
        stop = token = None
        if timeout is not None or cancel is not None:
            if timeout is not None and cancel is None and outlasts(timeout):
                kept: Heartbeat | None = getattr(con, "_ql_watch", None)
                if kept is not None and kept.stop is not None:
                    con._ql_watch = None  # type: ignore[attr-defined]  # a statement inside this one's watch makes its own
                    return kept.stop, None, kept.again(timeout + GRACE)
                stop = Interrupt(con, cancel)
                return stop, None, Heartbeat(self.watchdog, con, self.reach, stop, timeout + GRACE).__enter__()
            stop = Interrupt(con, cancel)
            token = self.watchdog.watch(stop, None if timeout is None else timeout + GRACE, cancel)
        return stop, token, Heartbeat(self.watchdog, con, self.reach).__enter__() if outlasts(timeout) else None

    def _unwatch(self, con: psycopg.Connection[Any], beat: Heartbeat) -> None:
        """The end of a statement's watch (_watch); a heartbeat that also made its cut, and that
        nothing of its use can still reach (no ask in flight, nothing cut), kept with the
        connection for its next statement's."""
        beat.__exit__()
        stop = beat.stop
        if beat.spare and stop is not None and stop.cancel is None and not stop.cut:
            con._ql_watch = beat  # type: ignore[attr-defined]

    def _watched(self, con: psycopg.Connection[Any], step: Callable[[], T], timeout: float | None,
                 cancel: threading.Event | None) -> T:
        """``step()`` on ``con`` (this thread's) for a query, watched as execute's statement is
        (the heartbeat alone does not see one backend stuck while the server answers): its
        timeout, cancel and cut are the query's errors; the server's others, the caller's."""
        if timeout is None and cancel is None:
            def unlimited() -> T:
                self._set_timeout(con, None)  # not the limit a query's statement left on it
                return step()

            return self.answered(con, unlimited)
        stop, token, beat = self._watch(con, timeout, cancel)
        assert stop is not None  # a timeout or a cancel
        try:
            self._set_timeout(con, timeout)
            return step()
        except psycopg.Error as exc:
            failed = exc
        finally:  # forgotten by the watchdog before the connection may go back to the pool (execute)
            stop.end()  # before the watch's end: a deadline reached as the answer came cuts nothing
            if token is not None:
                self.watchdog.done(token)
            if beat is not None:
                self._unwatch(con, beat)
            # Cut as the answer came, before its end (as execute's): the answer stands, and the
            # thread's next statement takes another connection rather than failing on this one.
            if stop.cut and not in_write(con) and (held := getattr(self._local, "held", None)) is not None \
                    and held.con is con:
                self._drop(held)
        if isinstance(failed, psycopg.OperationalError | psycopg.InterfaceError) and not in_write(con) and \
                not self._still_usable(failed, con, stop, beat) and \
                (held := getattr(self._local, "held", None)) is not None and held.con is con:
            self._drop(held)
        if self.closed or stop.cut or (beat is not None and beat.cut) or isinstance(failed, pge.QueryCanceled):
            self._failed(failed, stop, beat, timeout, cancel)
        raise failed

    def _still_usable(self, exc: psycopg.Error, con: psycopg.Connection[Any], stop: Interrupt | None,
                      beat: Heartbeat | None) -> bool:
        """Whether a statement's connection is ready for the thread's next statement although
        psycopg filed its error under OperationalError: the server refused the statement and
        kept the session (session_goes_on: its statement_timeout, a cancel, lock_timeout, out
        of a resource, past a program limit). One the client cut (no answer GRACE s on, a
        cancel it could not send, the heartbeat's) or that close() closed is not."""
        return (not self.closed and not (stop is not None and stop.cut) and not (beat is not None and beat.cut)
                and session_goes_on(exc, con))

    def answered(self, con: psycopg.Connection[Any], step: Callable[[], T]) -> T:
        """``step()`` on ``con`` with no timeout (a stream's, the reference's whole read): cut if
        the server stops answering (heartbeat.py)."""
        with Heartbeat(self.watchdog, con, self.reach) as beat:
            try:
                return step()
            except psycopg.Error:
                if (cut := self._read_cut(beat)) is not None:
                    raise cut from None
                raise

    def _read_cut(self, beat: Heartbeat | None) -> QueryError | None:
        """Why a read failed when close() or the heartbeat closed its connection; None when
        neither did (the server's own error is then the one to raise)."""
        if self.closed:
            return QueryError(DATABASE_CLOSED)
        why = beat.failure(self.shown, "the query failed", "the query") if beat is not None else None
        return None if why is None else QueryError(why, code=1)

    def _set_timeout(self, con: psycopg.Connection[Any], timeout: float | None) -> None:
        """The server's statement_timeout, set on a connection only when it changes (a SET
        per statement would cost a round trip; a watchdog thread, a wake-up per statement).
        In a write's transaction (a query in update's change) LOCAL to it: a plain SET there
        outlived the write when it committed, and the write puts its own back after the
        change (writer.py, called_back)."""
        ms = 0 if timeout is None else timeout_ms(timeout)
        if getattr(con, "_ql_timeout", None) != ms:
            # an error is the caller's to tell
            con.execute(f"SET LOCAL statement_timeout = {ms}" if in_write(con) else f"SET statement_timeout = {ms}")
            con._ql_timeout = ms  # type: ignore[attr-defined]


def in_write(con: psycopg.Connection[Any]) -> bool:
    """``con`` is in a write's transaction (a read in update's change failed on it): the write
    gives it back. Given back by the read, it was closed under the write, which said the
    server "went away during the write"."""
    return con.info.transaction_status in (psycopg.pq.TransactionStatus.INTRANS, psycopg.pq.TransactionStatus.INERROR)

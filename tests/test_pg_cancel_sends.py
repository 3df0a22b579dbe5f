"""A PostgreSQL statement's cancel (engines/postgres/interrupt.py) as the watchdog sends it: a
slow send is made on a thread of its own, so that it holds no other statement's deadline; a
set cancel is not sent again at each of the watchdog's 20 ms looks (each send is a connection
to the server); and a statement's end and its deadline's cut agree."""

from __future__ import annotations

import socket
import threading

import pytest

from querylang.engines.postgres import interrupt
from querylang.engines.postgres.interrupt import Interrupt
from querylang.engines.sql import watchdog
from querylang.engines.sql.watchdog import SENDERS, Watchdog

HANG = 10  # seconds after which a test that would hang lets go (and fails)


class FakeConnection:
    """What an Interrupt uses of a psycopg connection: cancel_safe, and the socket its cut
    shuts down (the other end of a socket pair sees it)."""

    def __init__(self, block: threading.Event | None = None) -> None:
        self.ours, self.peer = socket.socketpair()
        self.block = block
        self.sending = threading.Event()
        self.sends = 0

    def fileno(self) -> int:
        return self.ours.fileno()

    def cancel_safe(self, timeout: float) -> None:
        self.sends += 1
        self.sending.set()
        if self.block is not None:
            self.block.wait(HANG)

    def was_cut(self, wait: float) -> bool:
        self.peer.settimeout(wait)
        try:
            return self.peer.recv(1) == b""  # the shutdown's end of file
        except TimeoutError:
            return False

    def close(self) -> None:
        self.ours.close()
        self.peer.close()


def test_a_slow_cancel_does_not_hold_another_statements_deadline() -> None:
    # One thread made every interrupt: a cancel slow to send (up to 5 s, a new connection to
    # the server) held the cut of every other statement past its deadline until it was sent.
    wd, release = Watchdog(), threading.Event()
    slow, other = FakeConnection(release), FakeConnection()
    cancel = threading.Event()
    sending = wd.watch(Interrupt(slow, cancel), None, cancel)  # type: ignore[arg-type]
    try:
        cancel.set()
        assert slow.sending.wait(HANG)
        token = wd.watch(Interrupt(other, None), 0.05)  # type: ignore[arg-type]
        assert other.was_cut(HANG / 2), "a statement's deadline waited for another statement's cancel"
        assert not release.is_set() and slow.sends == 1  # cut while that cancel was still being sent
        wd.done(token)
    finally:
        release.set()
        wd.done(sending)  # left watched, its cancel was looked at every 20 ms for good, in later tests too
        wd.close()
        slow.close()
        other.close()


def test_slow_cancels_past_the_bound_wait_for_a_place() -> None:
    wd, release = Watchdog(), threading.Event()
    cons = [FakeConnection(release) for _ in range(SENDERS + 2)]
    cancel = threading.Event()
    cancel.set()
    tokens: list[int] = []
    try:
        tokens += [wd.watch(Interrupt(con, cancel), None, cancel) for con in cons]  # type: ignore[arg-type]
        for con in cons[:SENDERS]:
            assert con.sending.wait(HANG)
        assert not any(con.sending.wait(0.2) for con in cons[SENDERS:]), "more cancels sent at once than the bound"
        release.set()
        for con in cons[SENDERS:]:
            assert con.sending.wait(HANG), "a cancel past the bound was never sent"
    finally:
        release.set()
        for token in tokens:
            wd.done(token)
        wd.close()
        for con in cons:
            con.close()


def test_a_statements_end_waits_for_its_own_cancel_being_sent() -> None:
    wd, release = Watchdog(), threading.Event()
    con, cancel = FakeConnection(release), threading.Event()
    token = wd.watch(Interrupt(con, cancel), None, cancel)  # type: ignore[arg-type]
    try:
        cancel.set()
        assert con.sending.wait(HANG)
        ended = threading.Event()
        threading.Thread(target=lambda: (wd.done(token), ended.set()), daemon=True).start()
        assert not ended.wait(0.3), "a statement's done returned while its cancel was still on its way"
        release.set()
        assert ended.wait(HANG)
    finally:
        release.set()
        wd.done(token)
        wd.close()
        con.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_set_cancel_is_not_sent_at_every_look(monkeypatch: pytest.MonkeyPatch) -> None:
    # The watchdog looks every 20 ms while a cancel is set; each look sent a cancel request,
    # a connection to the server each, some fifty a second until the statement stopped.
    clock = Clock()
    monkeypatch.setattr(interrupt.time, "monotonic", clock)
    con, cancel = FakeConnection(), threading.Event()
    stop = Interrupt(con, cancel)  # type: ignore[arg-type]
    cancel.set()
    try:
        sent_at = []
        for _ in range(int(interrupt.GRACE / 0.02)):  # the looks until the cut, GRACE s on
            if stop.slow():
                sent_at.append(clock.now - 1000)
            before = con.sends
            stop.interrupt()
            assert (con.sends > before) == (sent_at[-1:] == [clock.now - 1000]), "slow() and a send disagree"
            clock.now += 0.02
        assert 2 <= con.sends <= 8, f"{con.sends} cancel requests in {interrupt.GRACE:g} s"
        assert sent_at[0] == 0 and sent_at[1] < 0.5  # at once, and again soon if the statement still runs
        assert not stop.cut
        clock.now = 1000 + interrupt.GRACE
        stop.interrupt()
        assert stop.cut and con.was_cut(HANG)  # still running GRACE s after the cancel: cut, as before
    finally:
        con.close()


def test_an_interrupt_sends_no_cancel_where_slow_said_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # The watchdog asks slow() and, told no, makes the interrupt on its own thread: a resend
    # that came due in between (that thread waiting for the GIL) was sent there, and held every
    # other statement's deadline for as long as the send took.
    clock = Clock()
    monkeypatch.setattr(interrupt.time, "monotonic", clock)
    con, cancel = FakeConnection(), threading.Event()
    stop = Interrupt(con, cancel)  # type: ignore[arg-type]
    cancel.set()
    try:
        assert stop.slow()
        stop.interrupt()
        assert con.sends == 1
        clock.now += interrupt.RESEND - 0.001
        assert not stop.slow()  # the resend not due yet
        clock.now += 0.005  # due by the time the interrupt is made
        stop.interrupt()
        assert con.sends == 1, "a cancel sent on the watchdog's own thread"
        assert stop.slow()  # the next look sends it, from a thread of its own
        stop.interrupt()
        assert con.sends == 2 and not stop.cut
    finally:
        con.close()


def test_a_deadline_met_as_its_cancel_is_set_is_cut_not_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # The deadline's interrupt, slow() told no (the cancel not set yet), and the cancel set
    # before it was made: it sent the cancel on the watchdog's own thread; the deadline had come.
    clock = Clock()
    monkeypatch.setattr(interrupt.time, "monotonic", clock)
    con, cancel = FakeConnection(), threading.Event()
    stop = Interrupt(con, cancel)  # type: ignore[arg-type]
    try:
        assert not stop.slow()
        cancel.set()
        stop.interrupt()
        assert con.sends == 0, "a cancel sent on the watchdog's own thread"
        assert stop.cut and con.was_cut(HANG)
    finally:
        con.close()


def test_a_watched_cancel_is_sent_a_few_times_not_at_every_look() -> None:
    wd, con, cancel = Watchdog(), FakeConnection(), threading.Event()
    token = wd.watch(Interrupt(con, cancel), None, cancel)  # type: ignore[arg-type]
    try:
        cancel.set()
        assert con.sending.wait(HANG)
        threading.Event().wait(1)  # some fifty of the watchdog's looks
        wd.done(token)
        assert 1 <= con.sends <= 6, f"{con.sends} cancel requests in a second"
    finally:
        wd.done(token)  # a watch left behind is looked at every 20 ms for good, in later tests too
        wd.close()
        con.close()


def test_a_statement_that_ended_is_not_cut_at_its_deadline() -> None:
    # The statement answered as its deadline came: the watchdog's cut, made after the answer
    # and before the statement's done, closed a connection with nothing on its way, and the
    # thread's next statement paid for a new one.
    con = FakeConnection()
    stop = Interrupt(con, None)  # type: ignore[arg-type]
    try:
        stop.end()
        stop.interrupt()  # the deadline's, due as the answer came
        assert not stop.cut and not con.was_cut(0.1)
        stop.again()  # the next statement's watch (a heartbeat's kept one)
        stop.interrupt()
        assert stop.cut and con.was_cut(HANG)
    finally:
        con.close()


def test_a_cancel_that_failed_to_send_cuts_even_after_the_end() -> None:
    # Its fate unknown, it could still reach the server and stop the connection's next
    # statement: what the end keeps is a connection with nothing on its way.
    class Failing(FakeConnection):
        def cancel_safe(self, timeout: float) -> None:
            super().cancel_safe(timeout)
            stop.end()  # the statement answered while its cancel was being sent
            raise OSError("no route to host")

    con, cancel = Failing(), threading.Event()
    stop = Interrupt(con, cancel)  # type: ignore[arg-type]
    cancel.set()
    try:
        stop.interrupt()
        assert con.sends == 1 and stop.cut and con.was_cut(HANG)
    finally:
        con.close()


def test_a_sender_that_cannot_start_for_any_reason_leaves_the_cancel_to_the_watchdog(monkeypatch) -> None:
    # Only RuntimeError ("can't start new thread") was caught: another error from the start
    # left the statement marked as being sent for good, and its done waited for ever.
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name == "querylang-cancel":
            raise OSError("no thread for you")
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    wd, con, cancel = Watchdog(), FakeConnection(), threading.Event()
    token = wd.watch(Interrupt(con, cancel), None, cancel)  # type: ignore[arg-type]
    try:
        cancel.set()
        assert con.sending.wait(HANG), "the cancel was never sent"
        ended = threading.Event()
        threading.Thread(target=lambda: (wd.done(token), ended.set()), daemon=True).start()
        assert ended.wait(HANG), "the statement's done waited for a send that never started"
    finally:
        wd.close()
        con.close()


def test_a_cancel_waiting_for_a_senders_place_is_cut_grace_after_it_was_set(monkeypatch: pytest.MonkeyPatch) -> None:
    # Its GRACE counted from its first send: waiting for one of SENDERS sends to a server that
    # takes no cancels (each up to CANCEL_SEND s), it was cut some 10 s after the cancel, not 5.
    monkeypatch.setattr(interrupt, "GRACE", 0.3)
    wd, release = Watchdog(), threading.Event()
    busy = [FakeConnection(release) for _ in range(SENDERS)]
    late, cancel = FakeConnection(release), threading.Event()
    cancel.set()
    tokens: list[int] = []
    try:
        tokens += [wd.watch(Interrupt(con, cancel), None, cancel) for con in busy]  # type: ignore[arg-type]
        for con in busy:
            assert con.sending.wait(HANG)
        tokens.append(wd.watch(Interrupt(late, cancel), None, cancel))  # type: ignore[arg-type]
        assert late.was_cut(HANG / 2), "a cancel waiting for a sender's place was not cut GRACE s after it was set"
        assert not release.is_set() and late.sends == 0  # cut while the others were still being sent
    finally:
        release.set()
        for token in tokens:
            wd.done(token)
        wd.close()
        for con in [*busy, late]:
            con.close()


def test_a_cancel_sent_late_is_given_what_grace_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    # A send begun late (after a wait for a sender's place) was given CANCEL_SEND s of its own,
    # and the statement went on that long past its GRACE.
    clock = Clock()
    monkeypatch.setattr(interrupt.time, "monotonic", clock)
    given: list[float] = []

    class Timed(FakeConnection):
        def cancel_safe(self, timeout: float) -> None:
            given.append(timeout)
            super().cancel_safe(timeout)

    con, cancel = Timed(), threading.Event()
    stop = Interrupt(con, cancel)  # type: ignore[arg-type]
    cancel.set()
    try:
        assert stop.slow()  # seen set, no sender's place for it yet
        clock.now += interrupt.GRACE - 1
        assert stop.slow()
        stop.interrupt()
        assert con.sends == 1 and given[0] <= 1 + 1e-9, f"a send {interrupt.GRACE - 1:g} s after the cancel was given {given[0]:g} s"
        clock.now += 1
        assert not stop.slow()
        stop.interrupt()
        assert stop.cut and con.was_cut(HANG)  # GRACE s after the cancel was first seen set
    finally:
        con.close()


def test_closing_waits_for_the_cancels_being_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    # A send's daemon thread still ending at interpreter exit (the CLI closes its database just
    # before) could abort the process, as the watchdog's own thread once did.
    # close() waits 10 s at most, not its 1 s: a loaded machine's timer can fire past 1 s,
    # and close() would be right to stop waiting.
    monkeypatch.setattr(watchdog, "CLOSE_WAIT", 10.0)
    wd, release = Watchdog(), threading.Event()
    con, cancel = FakeConnection(release), threading.Event()
    cancel.set()
    before = set(threading.enumerate())
    token = wd.watch(Interrupt(con, cancel), None, cancel)  # type: ignore[arg-type]
    timer = threading.Timer(0.2, release.set)  # the send ends while close() waits (CLOSE_WAIT s at most)
    try:
        assert con.sending.wait(HANG)
        senders = [t for t in set(threading.enumerate()) - before if t.name == "querylang-cancel"]
        assert senders
        timer.start()
        wd.close()
        assert release.is_set(), "close() returned while a cancel was still being sent"
        assert not any(t.is_alive() for t in senders), "a querylang-cancel thread outlived close()"
    finally:
        timer.cancel()
        release.set()
        wd.done(token)
        wd.close()
        con.close()

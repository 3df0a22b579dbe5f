"""The watchdog makes a statement's interrupt outside its lock (engines/sql/watchdog.py): a
PostgreSQL cancel may take up to 5 s to send, and while it held the lock every other
statement's watch and done (each statement's start and end) waited for it. A statement's own
done still waits for an interrupt of it in flight, so that none reaches the next statement on
its connection."""

from __future__ import annotations

import threading
import time

from querylang.engines.sql.watchdog import Watchdog

HANG = 10  # seconds after which a test that would hang lets the interrupt go (and fails)


class SlowTarget:
    """A statement whose interrupt blocks until ``release`` is set (a cancel slow to send)."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.calls = 0

    def interrupt(self) -> None:
        self.calls += 1
        self.entered.set()
        self.release.wait(HANG)


class Target:
    def __init__(self) -> None:
        self.calls = 0

    def interrupt(self) -> None:
        self.calls += 1


def test_a_slow_interrupt_does_not_stall_other_statements() -> None:
    wd = Watchdog()
    slow, cancel = SlowTarget(), threading.Event()
    try:
        token = wd.watch(slow, None, cancel)
        cancel.set()
        assert slow.entered.wait(HANG)
        took: list[float] = []

        def other_statement() -> None:
            began = time.monotonic()
            wd.done(wd.watch(Target(), 30))
            took.append(time.monotonic() - began)

        t = threading.Thread(target=other_statement, daemon=True)
        t.start()
        t.join(2)
        assert took and took[0] < 1, "another statement's watch waited for the interrupt being sent"
        # The slow statement's own done waits for its interrupt to be made.
        ended = threading.Event()
        d = threading.Thread(target=lambda: (wd.done(token), ended.set()), daemon=True)
        d.start()
        assert not ended.wait(0.3)
        calls = slow.calls
        slow.release.set()
        assert ended.wait(HANG)
        time.sleep(0.1)  # several rounds of the cancel's poll: none interrupts it once done
        assert slow.calls == calls
    finally:
        slow.release.set()
        wd.close()



def test_a_cancel_watched_while_an_interrupt_is_sent_is_polled() -> None:
    # The round that sends works out whether to poll before the send: a statement with a cancel
    # and no timeout watched meanwhile was not polled, and setting its cancel then did nothing.
    wd = Watchdog()
    slow, polled, cancel = SlowTarget(), Target(), threading.Event()
    try:
        wd.watch(slow, 0)  # due at once: the thread is sending until released
        assert slow.entered.wait(HANG)
        token = wd.watch(polled, None, cancel)
        slow.release.set()
        time.sleep(0.1)  # the sending round over, the thread asleep again
        cancel.set()
        deadline = time.monotonic() + 2
        while not polled.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert polled.calls, "a cancel set on a statement watched during a send was never acted on"
        wd.done(token)
    finally:
        slow.release.set()
        wd.close()


class RaisingTarget:
    def interrupt(self) -> None:
        raise RuntimeError("can't start new thread")


def test_an_interrupt_that_raises_leaves_the_others_and_later_ones_made() -> None:
    # One statement's interrupt failing (a heartbeat's thread that cannot start, DuckDB's on a
    # closed connection) ended the watchdog's thread: the statements due with it, and every
    # later timeout and cancel of the store, were never interrupted.
    wd = Watchdog()
    try:
        first = Target()
        wd.watch(RaisingTarget(), 0)
        wd.watch(first, 0)
        time.sleep(0.2)
        later = Target()
        wd.watch(later, 0.05)
        deadline = time.monotonic() + 2
        while not later.calls and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.calls == 1, "a statement due with one whose interrupt raised was not interrupted"
        assert later.calls == 1, "a timeout after an interrupt that raised was never acted on"
    finally:
        wd.close()


def test_a_statement_ended_while_another_is_interrupted_is_not_interrupted_nor_waits() -> None:
    # Due in the same round as a slow interrupt, behind it: its end waited for the other's
    # send, and its own interrupt (a PostgreSQL statement's cut) was made after it had ended.
    wd = Watchdog()
    blocker, slow, ended = SlowTarget(), SlowTarget(), Target()
    cancel = threading.Event()
    cancel.set()
    try:
        wd.watch(blocker, 0)
        assert blocker.entered.wait(HANG)
        wd.watch(slow, None, cancel)
        token = wd.watch(ended, 0)
        blocker.release.set()
        assert slow.entered.wait(HANG)  # the round of both: the slow one's send first
        done = threading.Event()
        threading.Thread(target=lambda: (wd.done(token), done.set()), daemon=True).start()
        assert done.wait(1), "a statement's end waited for another statement's interrupt"
        slow.release.set()
        time.sleep(0.1)
        assert ended.calls == 0, "a statement was interrupted after its end"
    finally:
        blocker.release.set()
        slow.release.set()
        wd.close()

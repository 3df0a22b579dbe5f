"""On PostgreSQL, the store's watchdog survives what it calls (engines/sql/watchdog.py): a
cancel whose interrupt raised is made again, a heartbeat with no thread to ask from asks at
the watchdog's next try, and the store's later cancels and heartbeats still act. Raised in the
watchdog's thread, either ended it: every later cancel, cut and heartbeat of the store with it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import querylang
from querylang.engines.postgres import heartbeat
from querylang.engines.postgres.heartbeat import Heartbeat
from querylang.engines.postgres.interrupt import Interrupt
from querylang.engines.sql import watchdog
from querylang.engines.sql.watchdog import Watchdog

from .pg import fresh_database, when_running

REAL_THREAD = threading.Thread  # the heartbeat's module is threading: patched for every thread
WAIT = 4  # seconds a cancel is given to stop its statement (the server answers at once)


def _cancelled_within(db: querylang.Database, cluster: Any) -> float:
    """Seconds a 30 s sleep took to end after its cancel was set (QueryCancelled), once it was
    seen running: a timer's cancel, set before the statement began on a loaded machine, was
    answered with no interrupt made, and the interrupts counted were none."""
    cancel, set_at = threading.Event(), []

    def set_cancel() -> None:
        set_at.append(time.monotonic())
        cancel.set()

    [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
    when_running(cluster, pid, set_cancel)
    with pytest.raises(querylang.QueryCancelled):
        db.store.execute("SELECT pg_sleep(30)", [], timeout=60, cancel=cancel)
    return time.monotonic() - set_at[0]


def test_a_cancel_whose_interrupt_raised_is_sent_again_and_the_next_cancel_works(
        pg_cluster: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    db = fresh_database(pg_cluster)
    real, calls = Interrupt.interrupt, []

    def raising_once(self: Interrupt) -> None:
        calls.append(self)
        if len(calls) == 1:
            raise RuntimeError("can't start new thread")
        real(self)

    try:
        monkeypatch.setattr(Interrupt, "interrupt", raising_once)
        assert _cancelled_within(db, pg_cluster) < WAIT
        assert len(calls) >= 2
        assert _cancelled_within(db, pg_cluster) < WAIT  # the watchdog still runs
        assert db.store.execute("SELECT 1", [], timeout=1) == [(1,)]
    finally:
        db.close()


class NoThreadOnce(REAL_THREAD):
    """threading.Thread whose first start of a heartbeat's ask raises, as when the process has
    no thread left."""

    starts = 0

    def start(self) -> None:
        if self.name != "querylang-pg-heartbeat":
            super().start()
            return
        NoThreadOnce.starts += 1
        if NoThreadOnce.starts == 1:
            raise RuntimeError("can't start new thread")
        super().start()


class Reach:
    def lost(self, why: str) -> None:
        raise AssertionError(why)


def test_a_heartbeat_that_could_not_start_its_ask_asks_at_the_next_try(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = threading.Event()
    NoThreadOnce.starts = 0
    monkeypatch.setattr(heartbeat, "LOOK", 0.05)
    monkeypatch.setattr(heartbeat.threading, "Thread", NoThreadOnce)
    monkeypatch.setattr(heartbeat, "silence", lambda reach, con: asked.set())
    wd = Watchdog()
    try:
        with Heartbeat(wd, object(), Reach()):  # type: ignore[arg-type]
            assert asked.wait(WAIT)
        assert NoThreadOnce.starts >= 2 and wd.failures == 1
    finally:
        wd.close()


def test_a_heartbeat_that_could_not_start_its_ask_still_cuts_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a statement's cut in its watch, an ask that never started is none in flight: the
    cut is made at its deadline: not before it (taken for an ask in flight, the next try made
    the cut), nor left to an ask that never comes."""

    class Stop:
        def __init__(self) -> None:
            self.made = threading.Event()

        def interrupt(self) -> None:
            self.made.set()

    monkeypatch.setattr(heartbeat, "LOOK", 0.05)
    monkeypatch.setattr(heartbeat.threading, "Thread", NoThreadOnce)
    monkeypatch.setattr(heartbeat, "silence", lambda reach, con: time.sleep(30))
    NoThreadOnce.starts = 0
    stop, wd = Stop(), Watchdog()
    try:
        # Due 2 s on (was 0.3 s, looked for until 0.2 s): a wrong cut comes at the next try,
        # 0.15 s on; the 1 s between keeps a descheduled test thread from seeing the right one.
        with Heartbeat(wd, object(), Reach(), stop, after=2):  # type: ignore[arg-type]
            assert not stop.made.wait(1)
            assert stop.made.wait(WAIT)
    finally:
        wd.close()


def test_closing_waits_for_a_heartbeats_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    # An ask's daemon thread still ending at interpreter exit (the CLI closes its database just
    # before) could abort the process, as the watchdog's own thread once did.
    asking, release = threading.Event(), threading.Event()

    def silence(reach: object, con: object) -> None:
        asking.set()
        release.wait(WAIT)

    monkeypatch.setattr(heartbeat, "LOOK", 0.05)
    monkeypatch.setattr(heartbeat, "silence", silence)
    # close() waits 10 s at most, not its 1 s: a loaded machine's timer can fire past 1 s,
    # and close() would be right to stop waiting.
    monkeypatch.setattr(watchdog, "CLOSE_WAIT", 10.0)
    wd, before = Watchdog(), set(threading.enumerate())
    timer = threading.Timer(0.2, release.set)  # the ask ends while close() waits (CLOSE_WAIT s at most)
    try:
        with Heartbeat(wd, object(), Reach()):  # type: ignore[arg-type]
            assert asking.wait(WAIT)
            askers = [t for t in set(threading.enumerate()) - before if t.name == "querylang-pg-heartbeat"]
            assert askers
        timer.start()
        wd.close()
        assert release.is_set(), "close() returned while a heartbeat's ask was still running"
        assert not any(t.is_alive() for t in askers), "a querylang-pg-heartbeat thread outlived close()"
    finally:
        timer.cancel()
        release.set()
        wd.close()

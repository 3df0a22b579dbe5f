"""The watchdog survives what it calls (engines/sql/watchdog.py): an interrupt that raises (a
heartbeat with no thread to ask from, a driver's interrupt refused) is made again shortly,
and the others due are made all the same. Raised in its thread, it ended that thread, and with
it every later timeout and cancel of the store: their statements then ran without them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import querylang
from querylang.engines.sql import watchdog
from querylang.engines.sql.watchdog import Watchdog

SLOW = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE (a.range * b.range) % 7 = 3"
WAIT = 3  # seconds a test waits for an interrupt before it fails
HANG = 8  # seconds after which a DuckDB statement left running is interrupted by the test


class Target:
    """A statement whose interrupt raises its first ``fails`` times."""

    def __init__(self, fails: int = 0) -> None:
        self.fails, self.calls = fails, 0
        self.stopped = threading.Event()

    def interrupt(self) -> None:
        self.calls += 1
        if self.calls <= self.fails:
            raise RuntimeError("can't start new thread")
        self.stopped.set()


def test_an_interrupt_that_raises_is_made_again_and_later_deadlines_hold() -> None:
    wd = Watchdog()
    try:
        failing, beside = Target(fails=2), Target()
        first, second = wd.watch(failing, 0.05), wd.watch(beside, 0.05)
        assert beside.stopped.wait(WAIT)  # due in the same round as the one that raised
        assert failing.stopped.wait(WAIT)  # made again, RETRY s on each time
        assert failing.calls == 3 and wd.failures == 2
        wd.done(first), wd.done(second)
        later = Target()
        token = wd.watch(later, 0.05)
        assert later.stopped.wait(WAIT)  # the thread still runs
        wd.done(token)
    finally:
        wd.close()


def test_a_cancels_interrupt_that_raises_is_made_again_and_none_after_its_done() -> None:
    wd = Watchdog()
    try:
        target, cancel = Target(fails=1), threading.Event()
        token = wd.watch(target, None, cancel)
        cancel.set()
        assert target.stopped.wait(WAIT)
        wd.done(token)
        calls = target.calls
        time.sleep(0.3)  # several rounds and a RETRY: nothing more of a statement done
        assert target.calls == calls
    finally:
        wd.close()


def test_a_failed_interrupt_of_a_statement_done_meanwhile_is_not_made_again() -> None:
    wd = Watchdog()
    try:
        target = Target(fails=10)
        token = wd.watch(target, 0.01)
        deadline = time.monotonic() + WAIT
        while not target.calls and time.monotonic() < deadline:
            time.sleep(0.005)
        wd.done(token)
        calls = target.calls
        time.sleep(watchdog.RETRY * 3)
        assert target.calls == calls
    finally:
        wd.close()


def test_a_watch_whose_thread_cannot_start_is_refused_and_the_next_one_starts_it(monkeypatch: pytest.MonkeyPatch) -> None:
    real = threading.Thread

    class NoThread(real):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    wd = Watchdog()
    try:
        monkeypatch.setattr(watchdog.threading, "Thread", NoThread)
        with pytest.raises(RuntimeError, match="can't start new thread"):
            wd.watch(Target(), 0.05)
        monkeypatch.setattr(watchdog.threading, "Thread", real)
        target = Target()
        token = wd.watch(target, 0.05)  # was taken for watched by a thread that never ran
        assert target.stopped.wait(WAIT)
        wd.done(token)
    finally:
        wd.close()


class FailingOnce:
    """A DuckDB cursor whose first interrupt raises."""

    def __init__(self, cur: Any) -> None:
        self._cur, self.calls = cur, 0

    def interrupt(self) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("interrupt refused")
        self._cur.interrupt()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


def _bounded(cur: Any, run: Any) -> float:
    """Seconds ``run()`` took; past HANG s, ``cur`` is interrupted from here (a watchdog that
    died would leave the statement running for hours)."""
    guard = threading.Timer(HANG, cur.interrupt)
    guard.start()
    began = time.monotonic()
    try:
        run()
    finally:
        guard.cancel()
    return time.monotonic() - began


@pytest.mark.parametrize("how", ["timeout", "cancel"])
def test_duckdb_a_query_whose_interrupt_raised_is_stopped_and_the_next_timeout_holds(
        how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = querylang.connect(":memory:")
    store: Any = db.store
    try:
        real = store._cursor()
        wrapped = FailingOnce(real)
        monkeypatch.setattr(store, "_cursor", lambda: wrapped)
        cancel = threading.Event()

        def first() -> None:
            if how == "timeout":
                with pytest.raises(querylang.QueryTimeout):
                    store.execute(SLOW, [], timeout=0.2)
            else:
                threading.Timer(0.2, cancel.set).start()
                with pytest.raises(querylang.QueryCancelled):
                    store.execute(SLOW, [], cancel=cancel)

        def second() -> None:
            with pytest.raises(querylang.QueryTimeout):
                store.execute(SLOW, [], timeout=0.2)

        assert _bounded(real, first) < 0.2 + WAIT, "the query whose interrupt raised ran on"
        assert wrapped.calls >= 2
        assert _bounded(real, second) < 0.2 + WAIT, "the next query ran without its timeout"
    finally:
        db.close()

"""A query with a long timeout is watched once: the heartbeat that asks whether the server
still answers also cuts the statement GRACE s past its timeout (two watches per query cost
its thread a lock and an object each, on every small lookup)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

import querylang
from querylang import QueryError
from querylang.engines.postgres import heartbeat
from querylang.engines.postgres import watched as statement_watch
from querylang.engines.postgres.cluster import Cluster

from .pg import own_cluster
from .test_pg_outage import frozen

DOC = {
    "classes": {"User": {"fields": {"name": {"type": "String"}}}},
    "records": {"User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "bob"}]},
}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with own_cluster("onewatch", DOC) as c:
        yield c


@pytest.fixture
def short_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """LOOK, PROBE and GRACE short, so that a 2 s timeout outlasts the heartbeat's round."""
    monkeypatch.setattr(heartbeat, "LOOK", 0.2)
    monkeypatch.setattr(heartbeat, "PROBE", 1)
    monkeypatch.setattr(heartbeat, "GRACE", 1.0)
    monkeypatch.setattr(statement_watch, "GRACE", 1.0)


def test_a_query_with_a_long_timeout_is_watched_once(cluster: Cluster, short_times: None) -> None:
    db = querylang.connect(cluster.url(), timeout=2)
    try:
        db.store.pool.wait(10)
        db.query("User", None)
        watched: list[int] = []
        seen = threading.Event()

        def look() -> None:
            # While the statement waits on its frozen backend: what the watchdog holds for it.
            time.sleep(0.5)
            watched.append(len(db.store.watchdog._watched))
            seen.set()

        [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
        with frozen(pid):
            threading.Thread(target=look, daemon=True).start()
            began = time.monotonic()
            with pytest.raises(QueryError, match=r"did not answer within 3 s \(it stops a query past 2 s itself\)"):
                db.query("User", None)
            took = time.monotonic() - began
        assert seen.wait(5)
        assert watched == [1]
        # Cut at its deadline (2 s + GRACE), though the postmaster answered each ask meanwhile.
        assert 2.5 < took < 3 + 2
        assert db.query("User", None).ids == ["u1", "u2"]
    finally:
        db.close()


def test_a_query_with_a_cancel_event_keeps_its_own_watch(cluster: Cluster, short_times: None) -> None:
    """A cancel is looked at every CANCEL_POLL s by the statement's own watch, which stays."""
    db = querylang.connect(cluster.url(), timeout=2)
    try:
        db.query("User", None)
        cancel = threading.Event()
        [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
        watched: list[int] = []

        def look() -> None:
            time.sleep(0.5)
            watched.append(len(db.store.watchdog._watched))

        with frozen(pid):
            t = threading.Thread(target=look, daemon=True)
            t.start()
            with pytest.raises(QueryError):
                db.query("User", None, cancel=cancel)
            t.join(5)
        assert watched == [2]
    finally:
        db.close()


def test_a_slow_ask_does_not_put_off_the_statements_cut(cluster: Cluster, short_times: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The heartbeat's ask of a server slow to let a new connection in (the postmaster answers,
    after a while) was the statement's only watch meanwhile: its cut, due GRACE s past the
    timeout, came only once the ask ended (up to PROBE s late)."""
    def slow_answer(*args: object) -> None:
        time.sleep(2.5)  # an answer: the server runs, slowly

    monkeypatch.setattr(heartbeat, "silence", slow_answer)
    db = querylang.connect(cluster.url(), timeout=2)
    try:
        db.query("User", None)
        [(pid,)] = db.store.execute("SELECT pg_backend_pid()", [])
        with frozen(pid):
            began = time.monotonic()
            with pytest.raises(QueryError, match=r"did not answer within 3 s \(it stops a query past 2 s itself\)"):
                db.query("User", None)
            took = time.monotonic() - began
        # Asked at 0.2 s (answered at 2.7 s) and again at 2.9 s: the cut waited for that ask, to
        # 5.4 s at the least (a loaded machine only sleeps longer). Cut at its deadline, 3 s: the
        # bound leaves 2 s for a loaded machine's threads (it was 0.8 s), and is still under 5.4 s.
        assert 2.9 < took < 5
        assert db.query("User", None).ids == ["u1", "u2"]
    finally:
        db.close()


def _counted_heartbeats(monkeypatch: pytest.MonkeyPatch) -> list[heartbeat.Heartbeat]:
    """The heartbeats statements make from now on (watched.py's)."""
    made: list[heartbeat.Heartbeat] = []

    class Counted(heartbeat.Heartbeat):
        def __init__(self, *args: object, **kw: object) -> None:
            super().__init__(*args, **kw)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(statement_watch, "Heartbeat", Counted)
    return made


def test_a_connections_statements_share_one_watch(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watch a statement ends with no ask in flight and nothing cut serves the next
    statement on its connection: made per statement, it cost each small lookup two objects
    and a lock."""
    db = querylang.connect(cluster.url())  # the default timeout: the heartbeat makes the cut
    try:
        db.query("User", None)
        made = _counted_heartbeats(monkeypatch)
        for name in ("Ann", "bob", "Ann"):
            assert db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": name}).ids == (
                ["u1"] if name == "Ann" else ["u2"])
        assert made == []  # was 3, one per query
        assert db.store.watchdog._watched == {}
    finally:
        db.close()


def test_a_watch_whose_ask_is_in_flight_is_not_kept(cluster: Cluster, short_times: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A statement that ends while its heartbeat's ask goes on leaves that heartbeat alone: the
    next statement makes its own, and the ask's end neither watches nor cuts anything."""
    asked, answer = threading.Event(), threading.Event()

    def slow_answer(*args: object) -> None:
        asked.set()
        answer.wait(10)  # the server answers, once the test lets it

    monkeypatch.setattr(heartbeat, "silence", slow_answer)
    db = querylang.connect(cluster.url(), timeout=2)
    try:
        made = _counted_heartbeats(monkeypatch)
        db.query("User", None)
        assert len(made) == 1 and made[0].spare
        # Asked at 0.2 s, still asking at its end. A sleep of 1.5 s, not 0.5 s: a loaded machine
        # can start the ask's thread late, and the statement could end before it asked.
        db.store.execute("SELECT pg_sleep(1.5)", [], timeout=4)
        assert asked.is_set() and len(made) == 1 and not made[0].spare
        assert db.query("User", None).ids == ["u1", "u2"]
        assert len(made) == 2  # its own
        answer.set()
        # The ask's end, waited for (was a 0.3 s sleep, which a descheduled thread outlasts).
        deadline = time.monotonic() + 10
        while made[0]._asking and time.monotonic() < deadline:
            time.sleep(0.01)
        with made[0]._lock:  # its last step, over
            assert not made[0]._asking
        assert db.store.watchdog._watched == {} and not made[0].cut
        assert db.query("User", None).ids == ["u1", "u2"]
        assert len(made) == 2  # the second one's, kept
    finally:
        answer.set()
        db.close()


def _mixed_round(db: querylang.Database, n: int, seed: int) -> list[str]:
    """``n`` statements back to back on this thread's connection: answers, statement timeouts,
    cancels, a short limit then a long statement; what went wrong, said (nothing, when each
    answer is right and each timeout or cancel is its own statement's)."""
    from querylang import QueryCancelled, QueryTimeout

    wrong: list[str] = []
    for i in range(n):
        kind = (i + seed) % 5
        try:
            if kind == 0:
                got: object = db.store.execute("SELECT %s::int", [i], timeout=2)
                if got != [(i,)]:
                    wrong.append(f"{i}: answered {got!r}")
            elif kind == 1:
                db.store.execute("SELECT %s::int FROM pg_sleep(0.3)", [i], timeout=0.05)
                wrong.append(f"{i}: a 0.3 s sleep with a 0.05 s timeout answered")
            elif kind == 2:
                cancel = threading.Event()
                threading.Timer(0.05, cancel.set).start()
                db.store.execute("SELECT %s::int FROM pg_sleep(2)", [i], timeout=3, cancel=cancel)
                wrong.append(f"{i}: a cancelled sleep answered")
            elif kind == 3:
                name = "Ann" if i % 2 else "bob"
                ids = db.query("User", "where({ name: { equalTo: Inputs.N } })", inputs={"N": name}).ids
                if ids != (["u1"] if name == "Ann" else ["u2"]):
                    wrong.append(f"{i}: found {ids!r}")
            else:
                # The statement before had a short limit: its deadline (0.05 s + GRACE) is not this one's.
                db.store.execute("SELECT %s::int", [i], timeout=0.05)
                got = db.store.execute("SELECT %s::int FROM pg_sleep(1.2)", [i], timeout=3)
                if got != [(i,)]:
                    wrong.append(f"{i}: the long statement answered {got!r}")
        except QueryTimeout as exc:
            if kind != 1:
                wrong.append(f"{i} (kind {kind}): timed out: {exc}")
        except QueryCancelled as exc:
            if kind != 2:
                wrong.append(f"{i} (kind {kind}): cancelled: {exc}")
        except QueryError as exc:
            wrong.append(f"{i} (kind {kind}): {type(exc).__name__}: {exc}")
    return wrong


def test_back_to_back_statements_with_timeouts_and_cancels_on_kept_watches(
        cluster: Cluster, short_times: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept watch serves statements that answer, time out and are cancelled, on two threads
    at once, its heartbeat asking every 10 ms (an ask often in flight as a statement ends),
    and threads that end hand their connections (and kept watches) to the next ones: every
    answer is right, every timeout and cancel is its own statement's, no cut comes late, and
    nothing stays watched."""
    monkeypatch.setattr(heartbeat, "LOOK", 0.01)
    reused: list[float] = []
    again = heartbeat.Heartbeat.again

    def counted(self: heartbeat.Heartbeat, after: float) -> heartbeat.Heartbeat:
        reused.append(after)
        return again(self, after)

    monkeypatch.setattr(heartbeat.Heartbeat, "again", counted)
    db = querylang.connect(cluster.url(), timeout=2)
    try:
        db.query("User", None)
        wrong: list[str] = []
        for round_ in range(3):
            threads = [threading.Thread(target=lambda s=s + round_: wrong.extend(_mixed_round(db, 12, s)))
                       for s in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        assert wrong == []
        assert len(reused) > 10  # the kept watches served statements (those whose ask was over)
        time.sleep(0.2)  # the last asks end
        assert db.store.watchdog._watched == {}
        assert db.query("User", None).ids == ["u1", "u2"]
    finally:
        db.close()

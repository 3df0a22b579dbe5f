"""A counted query (``count=True``: a page and the total of its matches) on querylang's own
PostgreSQL tables runs its page, then its count: each statement had the query's whole timeout,
so a query of 1 s could take 2 s and answer. The count has what the page left of it.

The statements are made slow by locks other connections hold on the class's table, so the
timing needs no large data: the page waits for one, the count for the next."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

import querylang
from querylang import QueryTimeout

from .pg import fresh_url

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "Bob"}]}}
HOLD = 0.7  # seconds each lock is held: the page's wait and the count's, each under the timeout


def hold_lock(url: str, behind: bool, done: threading.Event) -> threading.Thread:
    """A thread that takes the class's table alone and keeps it HOLD s once it has it; ``behind``:
    asked for once another session is seen waiting for the table (pg_locks), so it is queued
    behind that session. Seen, not HOLD / 2 s after its own new connection: on a loaded machine
    that connection and sleep could outlast the first lock, and the page met no queue."""
    def run() -> None:
        with psycopg.connect(url) as con:
            deadline = time.monotonic() + 10
            waiting = """SELECT 1 FROM pg_locks WHERE relation = '"User"'::regclass AND NOT granted"""
            while behind and not con.execute(waiting).fetchall() and time.monotonic() < deadline:
                time.sleep(0.01)
            con.execute('LOCK TABLE "User" IN ACCESS EXCLUSIVE MODE')
            done.set()
            time.sleep(HOLD)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_a_count_after_its_page_has_what_the_page_left_of_the_timeout(pg_cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.query("User", None, limit=1, count=True).count == 2  # the thread's connection, the plans
        first, second = threading.Event(), threading.Event()
        lockers = [hold_lock(url, False, first)]
        assert first.wait(10)
        # Taken while the page waits for the first lock, queued behind the page: the page reads
        # when the first is let go, and the count waits for this one.
        lockers.append(hold_lock(url, True, second))
        began = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"^the query ran longer than 1 s and was stopped$"):
            db.query("User", None, limit=1, count=True)
        took = time.monotonic() - began
        assert second.is_set()  # the count waited for it
        # Stopped at the query's one timeout: with a whole timeout of its own the count would have
        # answered when the second lock went (about 1.4 s) and raised nothing; the margin is for a
        # busy machine's cancel, not for a second timeout (which ends at 1.7 s at the earliest).
        assert took < 1.6, took
        for t in lockers:
            t.join(10)
        assert db.query("User", None, limit=1, count=True).count == 2

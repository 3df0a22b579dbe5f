"""Databases opened, used (a query, a stream read in part) and closed many times over, on each
engine: the process's threads and file descriptors, and the PostgreSQL server's sessions, come
back to what they were (a thread, a descriptor or a connection left per open adds up in a
long-running server that opens a database per job)."""

from __future__ import annotations

import gc
import os
import threading
import time

import psycopg
import pytest

import querylang

from .pg import fresh_url

DOC = {"classes": {"Post": {"fields": {"n": {"type": "Number"}}}},
       "records": {"Post": [{"objectId": f"p{i}", "n": i} for i in range(20)]}}
CYCLES = 40


def _settled(count: int, now: object) -> int:
    """``now()`` once it is at most ``count`` (closing threads end a moment after close()), or
    its value after a few seconds."""
    deadline = time.monotonic() + 5
    while (value := now()) > count and time.monotonic() < deadline:  # type: ignore[operator]
        gc.collect()
        time.sleep(0.05)
    return value  # type: ignore[no-any-return]


@pytest.mark.parametrize("engine", ["memory", "file", "postgres"])
def test_many_opens_and_closes_leave_nothing_behind(pg_cluster, tmp_path, engine):
    target = {"memory": ":memory:", "file": str(tmp_path / "f.duckdb"), "postgres": ""}[engine] or fresh_url(pg_cluster)
    with querylang.connect(target) as db:
        db.load(DOC)

    def sessions() -> int:
        with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
            row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
                              "AND pid <> pg_backend_pid()").fetchone()
        return int(row[0]) if row else 0

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    gc.collect()
    before = (threading.active_count(), fds(), sessions() if engine == "postgres" else 0)
    for _ in range(CYCLES):
        db = querylang.connect(target)
        if engine == "memory":
            db.load(DOC)
        assert db.query("Post", {"n": {"lessThan": 3}}).ids == ["p0", "p1", "p2"]
        rows = db.stream("Post", None, batch=2)
        assert next(rows)["objectId"] == "p0"
        db.close()
    del rows  # the last stream's socket is closed when it ends (its session ended with the close)
    after = (_settled(before[0], threading.active_count), _settled(before[1], fds),
             _settled(before[2], sessions) if engine == "postgres" else 0)
    assert all(a <= b for a, b in zip(after, before, strict=True)), (before, after)

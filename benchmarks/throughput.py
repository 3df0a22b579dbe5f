"""Throughput with parallel readers: ``python -m benchmarks --threads N``.

Each workload runs ``db.query`` (warm: the scripts' plans are kept) in a loop for a fixed time:
on one thread, on N threads sharing one database (each thread its own DuckDB cursor, its own
inputs), and on N threads with every query holding the store alone (as before parallel readers:
the before/after of that change, side by side), the three in rotating order; queries per second are counted over all threads, and the
median of the rounds is taken per thread count. The target is about the ratio: N threads'
queries per second over one thread's, measured side by side in the same run.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from typing import Any

from . import contenders as C
from .workloads import Workload

# The pointer and relation workloads: the target (2 threads ≥ 1.6× one thread) is about them.
TARGETED = ("comments_of_post", "posts_in_group", "groups_holding_post")
ROUNDS = 3


def _round(db: Any, w: Workload, threads: int, seconds: float, seed: str, sc: Any, scripts: bool) -> float:
    counts = [0] * threads
    errors: list[BaseException] = []
    start = threading.Barrier(threads + 1)
    stop = [0.0]

    def work(k: int) -> None:
        rng = random.Random(f"{seed}:{k}")
        inputs = [w.inputs(rng, sc) for _ in range(64)]
        C.run_steps(db.query, w, inputs[0], scripts)  # this thread's cursor, untimed
        start.wait()
        n = 0
        try:
            while time.perf_counter() < stop[0]:
                C.run_steps(db.query, w, inputs[n % len(inputs)], scripts)
                n += 1
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        counts[k] = n

    ts = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(threads)]
    for t in ts:
        t.start()
    stop[0] = time.perf_counter() + 3600
    start.wait()
    t0 = time.perf_counter()
    stop[0] = t0 + seconds
    for t in ts:
        t.join()
    took = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return sum(counts) / took


def _serialized(db: Any, w: Workload, threads: int, seconds: float, seed: str, sc: Any, scripts: bool) -> float:
    """A round with every query holding the store lock alone, as before parallel readers."""
    store = db.store
    store.reading = lambda: store.lock  # the exclusive side: one query at a time
    try:
        return _round(db, w, threads, seconds, seed, sc, scripts)
    finally:
        del store.reading


def measure(db: Any, workloads: list[Workload], threads: int, seconds: float, seed: int, sc: Any, scripts: bool) -> dict[str, Any]:
    """Queries per second on 1 thread, on ``threads`` threads, and on ``threads`` threads with
    the queries serialized (the store before parallel readers), per workload, rounds rotating."""
    out: dict[str, Any] = {}
    ways = {"1": (1, _round), "n": (threads, _round), "n_serialized": (threads, _serialized)}
    for w in workloads:
        qps: dict[str, list[float]] = {k: [] for k in ways}
        order = list(ways)
        for r in range(ROUNDS):
            for k in order[r % 3 :] + order[: r % 3]:
                n, fn = ways[k]
                qps[k].append(fn(db, w, n, seconds, f"{seed}:{w.name}:{r}:{k}", sc, scripts))
        one, many, serial = (statistics.median(qps[k]) for k in ways)
        out[w.name] = {
            "threads": threads,
            "qps_1": round(one, 1),
            f"qps_{threads}": round(many, 1),
            f"qps_{threads}_serialized": round(serial, 1),
            "speedup": round(many / one, 3),
            "speedup_serialized": round(serial / one, 3),
            "rounds": ROUNDS,
            "seconds_per_round": seconds,
        }
    return out

"""Throughput with parallel readers: ``python -m benchmarks --threads N``.

Each workload runs ``db.query`` (warm: the scripts' plans are kept) in a loop for a fixed time,
first on one thread, then on N threads sharing one database (each thread its own DuckDB cursor,
its own inputs), and so on alternately; queries per second are counted over all threads, and the
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


def measure(db: Any, workloads: list[Workload], threads: int, seconds: float, seed: int, sc: Any, scripts: bool) -> dict[str, Any]:
    """Queries per second on 1 and on ``threads`` threads, per workload, rounds alternating."""
    out: dict[str, Any] = {}
    for w in workloads:
        qps: dict[int, list[float]] = {1: [], threads: []}
        for r in range(ROUNDS):
            for n in (1, threads) if r % 2 == 0 else (threads, 1):
                qps[n].append(_round(db, w, n, seconds, f"{seed}:{w.name}:{r}:{n}", sc, scripts))
        one, many = statistics.median(qps[1]), statistics.median(qps[threads])
        out[w.name] = {
            "threads": threads,
            "qps_1": round(one, 1),
            f"qps_{threads}": round(many, 1),
            "speedup": round(many / one, 3),
            "rounds": ROUNDS,
            "seconds_per_round": seconds,
        }
    return out

"""What the results say about the run itself: the machine, the data, each workload's node
settings, a package's version."""

from __future__ import annotations

import os
import platform
from typing import Any

from .workloads import Workload


def version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:
        return "?"



BUSY_LOAD = 1.5  # a 1-minute load average above this at a run's start: other work was running


def busy(load_start: list[float]) -> bool:
    """Whether other work was running when a run started. Judged by the load at the start
    only: at the end it is mostly the run's own (the thread rounds, the slow contenders)."""
    return load_start[0] > BUSY_LOAD


def settings(w: Workload) -> str:
    parts = []
    for s in w.steps:
        bits = [f"limit {s.limit}"] if s.limit is not None else []
        if s.skip:
            bits.append("skip from inputs")
        if s.count:
            bits.append("count")
        if bits:
            parts.append(f"{s.class_name}: " + ", ".join(bits))
    return "; ".join(parts)



def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kb = int(fh.readline().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"



def data_info(doc: dict[str, Any], scale: str, seed: int, took: float) -> dict[str, Any]:
    counts = {k: len(v) for k, v in doc["records"].items()}
    return {
        "seed": seed,
        "records": counts,
        "edges": len(doc.get("relations", [])),
        "summary": (
            f"scale {scale}, seed {seed}: "
            + ", ".join(f"{v:,} {k}" for k, v in counts.items())
            + f", {len(doc.get('relations', [])):,} Group.posts edges; every field type, with nulls and "
            f"missing values (benchmarks/generate.py). Generated or read in {took:.1f} s."
        ),
    }

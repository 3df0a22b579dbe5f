"""Where the client and the PostgreSQL backends run while a pair of contenders is timed.

On this two-core virtual machine a sub-millisecond query is a ping-pong between the Python
client and one server backend. When the backend runs on the client's CPU, each hand-over is a
switch on that CPU; when it runs on the other CPU, each hand-over wakes a halted virtual CPU,
which costs about as much as the query. Which one a backend gets is the scheduler's choice and
changes with what else ran: the very same statement on two connections measured 0.71× to 1.40×
of itself depending on it. Pinning the client's thread and every client backend to one CPU
takes that choice away, so a ratio measures the work the two contenders do; the runner times
each workload both ways and reports both.
"""

from __future__ import annotations

import os
from typing import Any


def backend_pids(url: str) -> list[int]:
    """The server processes of the client connections open to this cluster (not this probe's)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        rows = con.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


class Placement:
    """Pin (one CPU for the calling thread and the backends) or free (the CPUs the process had)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.cpus = os.sched_getaffinity(0)
        self.one = {min(self.cpus)}
        self.problem: str | None = None  # why pinning is not possible here, once known

    def pin(self) -> bool:
        """Pin; False (and ``problem`` says why) where the backends cannot be moved, for
        example without the right to set another user's processes' CPUs (root or CAP_SYS_NICE)."""
        try:
            self._set(self.one)
        except OSError as exc:
            self.problem = f"cannot pin the server's backends to one CPU ({exc.strerror or exc})"
            self.free()
            return False
        return True

    def free(self) -> None:
        try:
            self._set(self.cpus)
        except OSError:
            os.sched_setaffinity(0, self.cpus)

    def _set(self, cpus: set[int]) -> None:
        os.sched_setaffinity(0, cpus)
        for pid in backend_pids(self.url):
            try:
                os.sched_setaffinity(pid, cpus)
            except ProcessLookupError:
                continue  # a connection that closed meanwhile

    def describe(self) -> dict[str, Any]:
        return {"cpus": sorted(self.cpus), "pinned_to": sorted(self.one), "problem": self.problem}

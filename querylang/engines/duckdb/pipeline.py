"""The load pipeline: a load of new classes written on a thread of its own while it is read."""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from querylang.engines.duckdb import interrupts


class _Connected(Protocol):
    """The store (named, not imported: it imports this module)."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...


# Tables a load of new classes has written but not yet published (no schema rows yet).
LOADING_TABLE = "_querylang_loading"
# Records + edges from which a load of new classes is written while read (LoadPipeline):
# below, its thread, cursor and transactions cost more than they save (11 ms → 17 ms for 20).
PIPELINE_MIN = 50_000
# A directory whose load broke the unique index is read again whole for the message naming the
# record only up to this size; beyond it DuckDB finds the repeated objectId (directory_load.repeated_id).
DIRECTORY_RECHECK_MAX = 256 << 20
STOP_POLL = 0.02  # seconds between the interrupts LoadPipeline.stop sends the job running


def size(records: Mapping[str, Any], relations: object) -> int:
    rows = sum(len(r) for r in records.values() if isinstance(r, list))
    return rows + (len(relations) if isinstance(relations, list) else 0)


class LoadPipeline:
    """The DuckDB half of a load of new classes, on a thread and a cursor of its own: each
    part is inserted, committed and indexed while the caller reads the next one. DuckDB
    releases the GIL while it works, and builds an index over committed rows on every core
    (2.5× faster than inside the load's transaction): at scale L most of the index build
    hides behind the reading (benchmarks, Tuning P12)."""

    def __init__(self, store: _Connected) -> None:
        self.cur = store.con.cursor()
        # Bounded: a reader faster than the writing waits instead of piling up parts in memory.
        self.jobs: queue.Queue[Any] = queue.Queue(maxsize=3)
        self.error: BaseException | None = None
        # Not a daemon: a daemon thread still inside DuckDB when the interpreter exits (a Ctrl-C
        # the caller turned into an exit) is ended with pthread_exit, which DuckDB's C++
        # does not survive (abort). finish() and stop() both end it.
        self.thread = threading.Thread(target=self._run, name="querylang-load", daemon=False)
        # Set as the thread ends, and waited for instead of join(): a join() a Ctrl-C cut short
        # can take the thread for ended while it still runs (CPython 3.11's bpo-45274 mend
        # releases the lock the thread holds).
        self.ended = threading.Event()
        self.thread.start()

    def submit(self, job: Any) -> None:
        self.jobs.put(job)

    def _run(self) -> None:
        try:
            while (job := self.jobs.get()) is not None:
                if self.error is None:
                    try:
                        job(self.cur)
                    except BaseException as exc:  # handed to the caller by finish()
                        self.error = exc
        finally:
            self.ended.set()

    def finish(self) -> None:
        """Wait for every job; the first failure is raised here."""
        self.jobs.put(None)
        self.ended.wait()
        self.cur.close()
        if self.error is not None:
            raise self.error

    def stop(self) -> bool:
        """Give up (the caller failed): skip the jobs left, interrupt the one running, and
        close the cursor in any case. After a Ctrl-C in finish() as the last job ended, the
        cursor can still count as busy: left open, it kept the database open until the
        interpreter's exit, where DuckDB's teardown aborted the process.

        The interrupt is sent again every STOP_POLL seconds until the thread has ended: one
        that reaches DuckDB between two statements of a job is forgotten, and the job went on.
        A Ctrl-C meanwhile (a second one, often: the first is why the load stops) does not
        stop the stopping: cut short before the end of the jobs was queued, the thread waited
        for a job for good, and the process never exited. Whether one came: the caller raises
        it once its own undoing is done (which holds Ctrl-C off where it can: a handler of the
        application's own, or one a DuckDB call reports, may still raise here)."""
        pressed = told = False
        self.error = self.error or _Stopped()
        while not self.ended.is_set():
            try:
                self.cur.interrupt()
                if not told:
                    try:
                        self.jobs.put_nowait(None)
                        told = True
                    except queue.Full:
                        pass  # the thread skips the jobs queued: there is room soon
                self.ended.wait(STOP_POLL)
            except KeyboardInterrupt:
                pressed = True
        while True:
            try:
                interrupts.close(self.cur)
                return pressed
            except KeyboardInterrupt:
                pressed = True


class _Stopped(Exception):
    pass


def edge_count(edges: Mapping[tuple[str, str], tuple[pa.Array, pa.Array]]) -> int:
    return sum(len(owning) for owning, _ in edges.values())

"""Python work on a thread of its own while the caller's DuckDB statements run: DuckDB lets go
of the GIL while it executes, and some statements (a load's index builds) leave part of the
second core idle."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any

# A job: Python work that looks at the event now and then and stops (raises) once it is set.
Job = Callable[[threading.Event], Any]


class Beside:
    """``with Beside(job, ...) as beside:`` runs the jobs one after the other on a thread for
    as long as the block runs, and waits for them at its end; ``beside.result(i)`` is job
    ``i``'s return value, or raises what it raised. A block that raises stops the jobs
    first (the event is set) and the results are not read."""

    def __init__(self, *jobs: Job) -> None:
        self._jobs = jobs
        self._results: list[Any] = []
        self._errors: dict[int, BaseException] = {}
        self._stop = threading.Event()
        # In the caller's context: a file the jobs name is named as the caller's load was given
        # (interchange/given_paths.py).
        self._thread = threading.Thread(target=contextvars.copy_context().run, args=(self._run,),
                                        name="querylang-beside", daemon=True)

    def __enter__(self) -> Beside:
        self._thread.start()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        for i, job in enumerate(self._jobs):
            try:
                self._results.append(job(self._stop))
            except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the result
                self._errors[i] = exc
                self._results.append(None)

    def result(self, i: int) -> Any:
        if i in self._errors:
            raise self._errors[i]
        return self._results[i]

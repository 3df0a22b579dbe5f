"""A load's progress, told to its ``progress(stage, done, total)`` callback (api.Database.load)
the same way by every engine: the records and edges read and checked ("read"), then those
written ("written")."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


class Tally:
    """Records and edges read and written by a load, told to its ``progress`` callback."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total = progress, total
        self.done = {"read": 0, "written": 0}
        self.told = {"read": 0, "written": 0}

    def restart(self) -> None:
        """A load that starts again another way (nothing of the first try was kept): counted
        from 0 again, told no lower than before (a progress bar does not go back)."""
        self.done = {"read": 0, "written": 0}

    def read(self, n: int) -> None:
        self._add("read", n)

    def written(self, n: int) -> None:
        self._add("written", n)

    def _add(self, stage: str, n: int) -> None:
        if self.progress is not None:
            # A total of 0 is unknown (a directory is not counted before it is read): capped
            # at it, every count of a directory load was told as 0.
            done = self.done[stage] + n
            self.done[stage] = min(done, self.total) if self.total else done
            self.told[stage] = max(self.told[stage], self.done[stage])
            self.progress(stage, self.told[stage], self.total)

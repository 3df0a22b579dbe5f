"""The runner's progress lines, on stderr (the results table goes to stdout)."""

from __future__ import annotations

import sys


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)

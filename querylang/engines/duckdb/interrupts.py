"""Ctrl-C and DuckDB's Python client: what an interrupted call leaves behind, made plain.

A KeyboardInterrupt while DuckDB works on the main thread surfaces in three ways: a
``duckdb.InterruptException``, a plain ``RuntimeError("Query interrupted")`` (a fetch, a call on
a busy connection), or a close refused as "in use" while a cursor winds down its stopped call
(the connection is closed all the same). Callers turn the first two into KeyboardInterrupt
(the CLI answers it with exit 130) and close with :func:`close`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB's report of a Ctrl-C."""
    return isinstance(exc, duckdb.InterruptException) or (isinstance(exc, RuntimeError) and "interrupted" in str(exc))


def close(con: duckdb.DuckDBPyConnection) -> None:
    """Close ``con``, also right after a Ctrl-C (see the module docstring)."""
    for attempt in range(50):
        try:
            con.close()
            return
        except duckdb.ResourceInUseException:
            try:
                con.interrupt()
            except duckdb.ConnectionException:
                return  # closed after all
            if attempt == 49:
                raise
            time.sleep(0.02)


def to_the_end(step: Callable[[], None]) -> bool:
    """``step()`` run to its end, run again after each Ctrl-C that cut it short (or DuckDB's
    report of one): whether one did, for the caller to raise once it is done. A load's undoing
    is such a step: a second Ctrl-C as it dropped the load's tables left them in the file."""
    pressed = False
    while True:
        try:
            step()
            return pressed
        except KeyboardInterrupt:
            pressed = True
        except (duckdb.Error, RuntimeError) as exc:
            if not interrupted(exc):
                raise
            pressed = True

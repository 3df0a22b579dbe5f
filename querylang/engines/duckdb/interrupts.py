"""Ctrl-C and DuckDB's Python client: what an interrupted call leaves behind, made plain.

A KeyboardInterrupt while DuckDB works on the main thread surfaces in three ways: a
``duckdb.InterruptException``, a plain ``RuntimeError("Query interrupted")`` (a fetch, a call on
a busy connection), or a close refused as "in use" while a cursor winds down its stopped call
(the connection is closed all the same). Callers turn the first two into KeyboardInterrupt
(the CLI answers it with exit 130) and close with :func:`close`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator

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


@contextlib.contextmanager
def held_off(pressed: list[int] | None = None) -> Iterator[None]:
    """Ctrl-C (and SIGTERM, which the command line takes for one) held off for the block, a
    load's undoing or its commit: a press, or many, is counted instead of raised at whichever
    statement it met, and raised once the block is done (KeyboardInterrupt); with
    ``pressed``, added to it instead, for the caller to raise what the press means (a load
    committed meanwhile is kept). Cut short so, the undoing left the load's tables in the
    file, its ROLLBACK cut short failed the next BEGIN, and a press just after a COMMIT left
    the process's schema without the load. Only where the press would be raised: in the
    main thread, a signal whose handler raises it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    counted: list[int] = [] if pressed is None else pressed
    held = {sig: signal.signal(sig, lambda signum, frame: counted.append(signum))
            for sig in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(sig) is signal.default_int_handler}
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
    if counted and pressed is None:
        raise KeyboardInterrupt


def pressed_inside(exc: duckdb.Error) -> bool:
    """Whether ``exc`` is DuckDB's report of a KeyboardInterrupt raised in Python code it called
    (a registered Arrow table read: "... failed: KeyboardInterrupt: ")."""
    text = str(exc)
    return "registered as" in text and text.rstrip().rstrip(":").endswith("KeyboardInterrupt")

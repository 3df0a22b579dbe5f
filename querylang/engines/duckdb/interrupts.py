"""Ctrl-C and DuckDB's Python client: what an interrupted call leaves behind, made plain.

A KeyboardInterrupt while DuckDB works on the main thread surfaces in three ways: a
``duckdb.InterruptException``, a plain ``RuntimeError("Query interrupted")`` (a fetch, a call on
a busy connection), or a close refused as "in use" while a cursor winds down its stopped call
(the connection is closed all the same). Callers turn the first two into KeyboardInterrupt
(the CLI answers it with exit 130) and close with :func:`close`.
"""

from __future__ import annotations

import time

import duckdb


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB's report of a Ctrl-C: its own, or a KeyboardInterrupt raised in
    Python code it called (a registered Arrow table read: "reading the stream registered as
    '_ql_edges' failed: ... KeyboardInterrupt")."""
    if isinstance(exc, duckdb.InterruptException) or (isinstance(exc, RuntimeError) and "interrupted" in str(exc)):
        return True
    text = str(exc)
    return isinstance(exc, duckdb.Error) and "registered as" in text and text.rstrip().rstrip(":").endswith("KeyboardInterrupt")


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


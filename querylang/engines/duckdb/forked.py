"""The parent's DuckDB databases, left standing in a process forked from it.

A DuckDB database runs threads of its own; a forked child has none of them, and destroying the
database there (as the child's interpreter does at a normal exit, sys.exit or the end of its
script) waited on threads that are not there and crashed the child (SIGSEGV). multiprocessing's
children end with os._exit and never destroy it; a plain ``os.fork()`` did. A child cannot use
the parent's database anyway (every call is refused: readers.py), so each connection open at the
fork gets one reference in the child that is never let go: the database outlives the child's
interpreter and the process simply ends.
"""

from __future__ import annotations

import ctypes
import os
import weakref

import duckdb

_open: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def opened(con: duckdb.DuckDBPyConnection) -> None:
    """Note a connection this process opened (connect_file): kept standing in its forks."""
    _open.add(con)


def _keep_in_child() -> None:
    for con in list(_open):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(con))


os.register_at_fork(after_in_child=_keep_in_child)

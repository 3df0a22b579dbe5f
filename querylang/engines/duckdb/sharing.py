"""What the Stores of this process on one DuckDB file share.

DuckDB gives every connect of a file in one process the same database (``querylang serve``
beside a library user, two threads that each connect). Each Store keeps its own connection,
closed by its own close(); but what a Store knows of the database is the file's: its schema
(with the edge tables known clean), the text-search words a load left to compute, and the lock
that lets one write at a time. Kept per Store, one Store's define_class or load was unknown to
the other ("unknown class"), its delete missed the edges of a Relation the other had added, its
edge to a missing record left the other skipping the target checks that table then needs, and
two read-modify-writes of one record, one through each, made DuckDB refuse one.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from querylang.engines.sql.readers import ReadWriteLock
from querylang.model.schema import Schema


@dataclass(eq=False)
class FileState:
    """The schema and words of one database, and its lock, for every Store of it."""

    schema: Schema
    # (class, String field) whose text-search words may be missing for some records.
    pending_words: set[tuple[str, str]]
    # The first open made the bookkeeping tables: the last close drops them if nothing was written.
    made_bookkeeping: bool
    words_ahead: dict[tuple[str, str], pa.Table] = field(default_factory=dict)
    # Queries share it, writes and loads hold it alone (readers.py); the words a load left
    # pending are filled by one query at a time (words_lock).
    lock: ReadWriteLock = field(default_factory=ReadWriteLock)
    words_lock: threading.Lock = field(default_factory=threading.Lock)
    # Writes and loads through any of the Stores: a reference evaluator's data read before
    # one is stale (api.py).
    changes: int = 0
    key: str = ""
    # Weak: a Store dropped unclosed (its connection, and with the last one DuckDB's database,
    # gone with it) does not keep a later open on a state another process may since have changed.
    stores: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)
    # Those of them whose close has begun (closing_last).
    closing: weakref.WeakSet[Any] = field(default_factory=weakref.WeakSet)


class Shares:
    """A Store's schema and count of changes: its file's (the store's ``file``)."""

    file: FileState

    @property
    def schema(self) -> Schema:
        return self.file.schema

    @schema.setter
    def schema(self, schema: Schema) -> None:
        self.file.schema = schema

    @property
    def changes(self) -> int:
        return self.file.changes

    @changes.setter
    def changes(self, changes: int) -> None:
        self.file.changes = changes


# Weak: the Stores hold their state; once every Store of a file is gone unclosed, nothing
# keeps it (a directory load's words computed ahead: tens of MB for each file a long-running
# process opened, loaded and dropped, until that path was opened again).
_FILES: weakref.WeakValueDictionary[str, FileState] = weakref.WeakValueDictionary()
_FILES_LOCK = threading.Lock()  # over _FILES and _OPENING, held for moments only


@dataclass(eq=False)
class _Opening:
    """Held while the first Store of a file reads its state (seconds for a large file): a
    second open of that file waits for it, opens of other files do not."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0  # the opens holding or waiting for it; the last one forgets it


_OPENING: dict[str, _Opening] = {}


def hold(store: object, path: str, open_file: Callable[[], FileState]) -> FileState:
    """The state ``store`` shares with the other open Stores of this process on ``path``, or
    a new one from ``open_file()`` when there are none."""
    if path == ":memory:":
        state = open_file()  # each such connect is a database of its own
        state.stores.add(store)
        return state
    # DuckDB gives every connect of one ``:memory:NAME`` in a process the same database.
    key = path if path.startswith(":memory:") else os.path.realpath(path)
    with _FILES_LOCK:
        opening = _OPENING.setdefault(key, _Opening())
        opening.users += 1
    try:
        with opening.lock:
            with _FILES_LOCK:
                held = _FILES.get(key)
                if held is not None and any(_still_open(s) for s in list(held.stores)):
                    held.stores.add(store)
                    return held
            state = open_file()
            state.key = key
            with _FILES_LOCK:
                _FILES[key] = state
                state.stores.add(store)
            return state
    finally:
        with _FILES_LOCK:
            opening.users -= 1
            if not opening.users:
                del _OPENING[key]


def _still_open(store: Any) -> bool:
    """Whether a Store still has the database open: not closed, nor its connection closed
    under it (as a test stands in for a process that ended), which may have ended DuckDB's
    database, the file opened since afresh (read-only, say)."""
    if store.closed:
        return False
    try:
        store.con.cursor().close()
    except duckdb.ConnectionException:
        return False
    return True


def closing_last(store: object, state: FileState) -> bool:
    """``store`` begins to close: whether every other Store of this process on the file has
    begun to close too, so that it is the one to compute the words a load left pending. Of
    closes at the same moment exactly one is told so (each counting the Stores still open,
    two last ones both saw the other and both left the words to the next open)."""
    with _FILES_LOCK:
        state.closing.add(store)
        return all(s in state.closing for s in list(state.stores))


def release(store: object, state: FileState) -> bool:
    """``store`` closes; whether another Store of this process still has the file open."""
    with _FILES_LOCK:
        state.stores.discard(store)
        state.closing.discard(store)
        if len(state.stores):
            return True
        if state.key and _FILES.get(state.key) is state:
            del _FILES[state.key]
    return False

"""What an engine offers the :class:`~querylang.api.Database`, and how one is opened.

The Database plans queries with the generic SQL compiler in the engine's ``dialect``, runs the
statements through ``execute`` and decodes rows with the engine's ``decoder``; loads and writes
go to the engine whole. Two engines stand behind it: DuckDB embedded (engines/duckdb) and
PostgreSQL (engines/postgres).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path, PurePath
from typing import Any, Protocol

from querylang.engines.sql.dialect import Dialect
from querylang.engines.sql.readers import ReadWriteLock
from querylang.errors import DataError, QueryError, QueryTypeError
from querylang.interchange.document import Dataset
from querylang.model.change import Change
from querylang.model.schema import ClassDef, Schema

POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_PATH_OF_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):/(?!/)")  # a URL after Path() made its // one /


def other_scheme(target: object) -> str | None:
    """The scheme of a URL that is no database querylang opens (``mysql``), or None: taken for
    a file name, it was "there is no folder mysql://a@b to make it in"."""
    if not isinstance(target, str) or target.startswith(POSTGRES_SCHEMES):
        return None
    scheme = _URL_SCHEME.match(target)
    return scheme.group(1) if scheme else None


class Writer(Protocol):
    """One engine's writes: each call validated, then one transaction."""

    def create(self, class_name: str, fields: Mapping[str, Any], now: Any) -> str: ...

    def save(self, class_name: str, object_id: str, fields: Mapping[str, Any], now: Any) -> None: ...

    def delete(
        self, class_name: str, object_id: str, check: Callable[[dict[str, Any]], None] | None = None,
        *, shown: bool | Collection[str] = True,
    ) -> None: ...

    def modify(self, class_name: str, object_id: str, change: Callable[[dict[str, Any]], Change], now: Any,
               *, shown: bool | Collection[str] = True) -> dict[str, Any]: ...

    def increment(self, class_name: str, object_id: str, amounts: Mapping[str, float], now: Any) -> None: ...

    def add_relation(self, class_name: str, object_id: str, key: str, target_id: str, now: Any) -> None: ...

    def remove_relation(self, class_name: str, object_id: str, key: str, target_id: str, now: Any) -> None: ...

    def define_class(self, name: str, fields: Mapping[str, Mapping[str, str]]) -> None: ...


class Engine(Protocol):
    """A place the records live that answers compiled statements."""

    @property
    def dialect(self) -> Dialect: ...

    @property
    def lock(self) -> ReadWriteLock:
        """Held alone by loads and writes, shared by queries (``reading``)."""
        ...

    def reading(self, timeout: float | None = None, cancel: threading.Event | None = None) -> AbstractContextManager[Any]:
        """Held, shared with other readers, while a plan is compiled and run, so both see one
        schema and no load or write commits between them; a wait for a load or write past
        ``timeout`` seconds raises QueryTimeout, one ``cancel`` ends QueryCancelled."""
        ...

    @property
    def schema(self) -> Schema: ...

    # Writes and loads through a Database on it (DuckDB: through every Database of this
    # process on the file): the reference evaluator's data is read again after one.
    changes: int

    def load(
        self, source: str | Path | Mapping[str, Any], progress: Callable[[str, int, int], None] | None = None,
        on_commit: Callable[[dict[str, int]], None] | None = None,  # told the counts as the load commits
    ) -> dict[str, int]: ...

    def execute(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of one statement; stopped past ``timeout`` (QueryTimeout) or once ``cancel`` is
        set (QueryCancelled)."""
        ...

    def stream(
        self, sql: str, params: Sequence[Any], *, batch: int = 1000, words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of one statement in batches, for a reader that takes them as they come."""
        ...

    def explain(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> str: ...

    def decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]: ...

    def writer(self, lock_wait: float | None = None) -> Writer: ...

    def dataset(self) -> Dataset: ...

    def close(self) -> None: ...


def open_engine(target: str | Path, *, read_only: bool = False, layout: str | None = None) -> Engine:
    """The engine for ``target``: a ``postgresql://`` URL, else a DuckDB file or ``:memory:``;
    ``layout="parse"``: a Parse Server's own PostgreSQL database, read in place (read-only)."""
    if not isinstance(read_only, bool):
        # DuckDB's connect raised its own TypeError; PostgreSQL took any value for its truth.
        raise QueryTypeError(f"read_only must be True or False, not {read_only!r}")
    if not isinstance(target, str | Path) or target == "":
        # str(5) was taken for a file name ("no database at 5: ..."), and Path("") for the current folder.
        got = "an empty path" if target == "" else type(target).__name__
        raise DataError(f"connect needs a database file's path, ':memory:' or a postgresql:// URL, not {got}")
    if layout not in (None, "querylang", "parse"):
        raise QueryError(f"unknown layout {layout!r}: 'querylang' (our own tables) or 'parse' (Parse Server's, read-only)")
    if layout == "parse":
        if not (isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)):
            raise QueryError("layout='parse' reads a Parse Server's PostgreSQL database: give its postgresql:// URL")
        from querylang.engines.postgres.parse_store import ParseStore

        return ParseStore(target)
    if isinstance(target, PurePath) and _PATH_OF_URL.match(str(target)) is not None:
        from querylang.engines.postgres.passwords import hide_password

        # A Path collapses a URL's "//": taken for a file, it was "there is no folder
        # mysql:/u:secret@h to make it in", the password shown.
        url = str(target).replace(":/", "://", 1)
        scheme = other_scheme(url)
        raise DataError(f"cannot open database {hide_password(url)}: a URL given as a Path (which makes its // one /): "
                        "give it as a string" + ("" if scheme is None else f"; {scheme}:// is not a database querylang opens"))
    if (scheme := other_scheme(target)) is not None:
        from querylang.engines.postgres.passwords import hide_password

        raise DataError(f"cannot open database {hide_password(str(target))}: {scheme}:// is not a database "
                        "querylang opens: give a DuckDB file's path, ':memory:' or a postgresql:// URL")
    if isinstance(target, str) and target.startswith(POSTGRES_SCHEMES):
        from querylang.engines.postgres.store import PostgresStore

        return PostgresStore(target, read_only=read_only)
    from querylang.engines.duckdb.store import Store

    return Store(target, read_only=read_only)

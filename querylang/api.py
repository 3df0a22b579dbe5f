"""The library's front door: ``connect()`` → :class:`Database` → ``load`` / ``query`` / ``compile``.

A query flows: script text → ``parse`` (cached) → ``run_script`` (the JavaScript subset, with
the inputs) → filter object → ``build`` (checked nodes) → ``compile_sql`` → DuckDB → rows. The
same nodes → ``evaluate`` answers it in plain Python.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from querylang.engines.base import Engine, open_engine
from querylang.engines.base import other_scheme as other_scheme  # the command line's --db check
from querylang.engines.duckdb.decode import output_record
from querylang.engines.postgres.passwords import command_url as command_url  # for the CLI
from querylang.engines.postgres.passwords import hide_password
from querylang.engines.sql.plan_cache import PlanCache
from querylang.errors import (
    DataError,
    LoadedThenInterrupted,
    QueryError,
    QueryTypeError,
    cut_name,
    dashboard_records,
    os_reason,
)
from querylang.interchange.directory import is_directory, placed
from querylang.interchange.document import Dataset
from querylang.interchange.document import new_object_id as new_object_id  # for serve
from querylang.interchange.given_paths import shown, typed_sources
from querylang.interchange.json_places import placed_in_file
from querylang.matching import matches
from querylang.model import nodes as n
from querylang.queries import Filter, Result, build_query, check_nodes
from querylang.reference.evaluator import Evaluator
from querylang.summaries import Summaries

# Result, build_query and matches live beside the query methods; they stay importable from here.
__all__ = ["DEFAULT_MAX_ROWS", "DEFAULT_TIMEOUT", "Database", "Filter", "Result", "build_query", "connect", "evaluate", "matches"]

DEFAULT_TIMEOUT = 60.0  # seconds a query may run before DuckDB is interrupted
DEFAULT_MAX_ROWS = 1_000_000  # records one query may return (count=True is not limited)


class Database(Summaries):
    """A querylang database on DuckDB (``:memory:`` or a file that keeps its schema).

    ``timeout`` (seconds, None = no limit) stops a query that runs too long with
    :class:`QueryTimeout`; ``max_rows`` (None = no limit) makes a query that would return more
    records fail with :class:`LimitExceeded` instead of filling memory.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        read_only: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = DEFAULT_MAX_ROWS,
        layout: str | None = None,
    ) -> None:
        self.timeout = timeout  # checked first: a bad one leaves no file open
        self.max_rows = max_rows
        self.store: Engine = _opened(path, read_only=read_only, layout=layout)
        self._reference: Evaluator | None = None
        self._reference_at = 0  # the store's changes when it was read
        self._decoders: dict[Any, Any] = {}  # class → (ClassDef, rows → records); redone on schema change
        self._plans = PlanCache(self.store.dialect)
        self.plan_cache = True  # False: build and compile every query (for comparisons)
        self._clock = threading.local()  # when each thread's call began: its waits share one timeout

    # The settings of README's limits table, checked when set: a string failed in the first
    # query with a TypeError; a negative or NaN timeout was taken (none, or a racy one).
    @property
    def timeout(self) -> float | None:
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = _setting("timeout", value, int | float, "a number of seconds")

    @property
    def max_rows(self) -> int | None:
        return self._max_rows

    @max_rows.setter
    def max_rows(self, value: int | None) -> None:
        self._max_rows = _setting("max_rows", value, int, "a whole number")

    def load(
        self, source: str | Path | Mapping[str, Any], *, progress: Callable[[str, int, int], None] | None = None,
        read_from: str | Path | None = None, on_commit: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, int]:
        """Load an interchange document (path or dict) atomically; returns records per class.

        ``progress(stage, done, total)`` hears how many records and edges were "read" and
        "written" so far (perhaps from another thread). ``read_from``: the JSON file a dict
        ``source`` was read from, so that a bad record's error names its line there too.
        ``on_commit(counts)`` is called as the load is saved, with Ctrl-C held off: a mark it
        sets holds for any press after the commit (an import's report is kept so); what it
        raises is raised once the load returns, the load kept. From the commit on, a Ctrl-C
        (or SIGTERM) until this returns is raised as LoadedThenInterrupted."""
        self._not_in_change("load")
        if progress is not None and not callable(progress):  # else Python's TypeError at its first call
            raise DataError(f"load's progress must be a function (stage, done, total), not {type(progress).__name__}: nothing was loaded")
        if on_commit is not None and not callable(on_commit):  # else Python's TypeError as the load commits
            raise DataError(f"load's on_commit must be a function (counts), not {type(on_commit).__name__}: nothing was loaded")
        if read_from is not None and not isinstance(read_from, str | Path):  # else Python's TypeError placing an error
            raise DataError(f"load's read_from must be the JSON file's path, not {type(read_from).__name__}: nothing was loaded")
        path = str(source) if isinstance(source, str | Path) else ""
        if "\x00" in path:  # Python's "embedded null byte" was told as JSON nested too deeply
            raise DataError(f"cannot load {path.translate(_SHOWN)}: a file name cannot hold a NUL character (\\x00): "
                            "nothing was loaded")
        unreadable = unreadable_path(path) if path else None
        opens = source.lstrip()[:1] if isinstance(source, str) else ""
        no_file = opens in ("{", "[") and (unreadable is not None or not Path(path).exists())
        parsed = _parsed(path) if no_file else _NOT_JSON
        # JSON text parses, or, cut short or mistyped, holds a quoted key or string: a missing
        # '[2024] posts.json' or '{draft}.json' was said to be JSON text, not a file.
        if no_file and (parsed is not _NOT_JSON or '"' in path):
            # Said "no such data file: {...}", the whole document as a file's name.
            if opens == "[":  # no interchange document, parsed or not: say what one is
                raise DataError("load takes a path or a dict, and this string is JSON text, not a file's path: an "
                                "array, where load expects one object with 'classes', 'records' and 'relations' "
                                f"(nothing was loaded){dashboard_records(parsed)}")
            raise DataError("load takes a path or a dict, and this string is JSON text, not a file's path: give "
                            "json.loads(text), or the file's path (nothing was loaded)")
        if unreadable is not None:
            raise unreadable
        progress = None if progress is None else self._in_change(progress, "progress")  # it may not read nor write here
        on_commit = None if on_commit is None else self._in_change(on_commit, "progress")  # nor may this
        saved: list[dict[str, int]] = []
        failed: list[Exception] = []

        def committed(counts: dict[str, int]) -> None:  # by the engine, Ctrl-C held off, as it commits
            self._changed()  # the reference's data is read again, as after any load
            saved.append(counts)
            if on_commit is not None:
                try:
                    on_commit(counts)
                except Exception as exc:  # noqa: BLE001 - raised once the load returns: in it, the engine read it as the load's failure
                    failed.append(exc)

        try:
            # A directory's files are named as the folder was given ('./d/Post.ndjson'), though
            # the engines read it through Path, which writes 'd'.
            with typed_sources([source]):
                try:
                    counts = self.store.load(source, progress, committed)
                except DataError as exc:
                    # Either engine: a record or an edge of a directory or a JSON file is named
                    # by its file and line.
                    if is_directory(source):
                        there = placed(Path(source), exc)  # type: ignore[arg-type]
                    elif isinstance(source, str | Path) or read_from is not None:
                        file = read_from if read_from is not None else source
                        there = placed_in_file(Path(file), exc, shown(file))  # type: ignore[arg-type]
                    else:
                        there = exc
                    _escape_controls(there, path)
                    if there is exc:
                        raise
                    raise there from exc
            if failed:
                raise failed[0]
            return counts  # inside: a press as the call returns is one after the commit too
        except KeyboardInterrupt as exc:
            # Once the engine's commit section ended (its statements, the store's return, the
            # folder names' reset here), a press is no engine's LoadedThenInterrupted: said as
            # one, the load is kept, not taken for one that stopped (a made file was removed).
            # What on_commit raised is the press's cause: said, not lost.
            if saved and not isinstance(exc, LoadedThenInterrupted):
                raise LoadedThenInterrupted(saved[0]) from (failed[0] if failed else None)
            if failed and exc.__cause__ is None:
                exc.__cause__ = failed[0]
            raise

    def import_parse_server(
        self, url: str, *, app_id: str, master_key: str, classes: Sequence[str] | None = None, progress: Any = None
    ) -> Any:
        """Import a live Parse Server over REST (querylang.importers.parse_server); all or nothing."""
        self._own_process()  # before the source is read
        from .importers.parse_server import import_parse_server

        return import_parse_server(self, url, app_id=app_id, master_key=master_key, classes=classes, progress=progress)

    def import_mongo_export(self, directory: str | Path) -> Any:
        """Import the mongoexport files of a Parse database (querylang.importers.mongo_export)."""
        self._own_process()  # before the source is read
        from .importers.mongo_export import import_mongo_export

        return import_mongo_export(self, directory)

    def import_dashboard_export(self, paths: str | Path | Sequence[str | Path]) -> Any:
        """Import Parse Dashboard class exports / {"results": [...]} files (querylang.importers.dashboard)."""
        self._own_process()  # before the source is read
        from .importers.dashboard import import_rest_exports

        return import_rest_exports(self, [paths] if isinstance(paths, str | Path) else paths)

    def close(self) -> None:
        try:
            self.store.close()
        finally:
            # The reference's data went on answering db.reference after the close, and stayed
            # in memory for as long as this object lived.
            self.clear_cache()

    def missing_indexes(self) -> list[str]:
        """``CREATE INDEX`` statements (an invalid index's ``DROP INDEX`` first) for what queries
        look up and the database has no index for (layout='parse'); [] when nothing is missing."""
        self._own_process()
        advise = getattr(self.store, "missing_indexes", None)
        return advise() if advise is not None else []

    @property
    def notes(self) -> list[str]:
        """What opening the database left out of its schema, and why (layout='parse')."""
        return list(getattr(self.store, "notes", []))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def clear_cache(self) -> None:
        """Forget the kept plans (they are dropped by themselves when the schema changes) and
        the data the reference evaluator read: writes through another connection than the
        Databases of this process on the same DuckDB file (another process on PostgreSQL,
        Parse Server itself on its tables, SQL run on the file outside querylang) do not drop it."""
        self._plans.clear()
        self._reference = None


def _setting(name: str, value: Any, kinds: Any, what: str) -> Any:
    """``timeout`` or ``max_rows`` checked: None, or a number ≥ 0 (infinity or an int past a
    double's range means None; math.isnan or :g of 10**400 raised Python's OverflowError)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kinds) or (isinstance(value, float) and math.isnan(value)):
        raise QueryTypeError(f"{name} must be {what} or None, got {value!r:.40}")
    if value < 0:
        raise QueryError(f"{name} must be 0 or more, got " + (f"{value:g}" if isinstance(value, float) or value > -1e300 else f"a number of {len(str(value)) - 1} digits"))
    return None if value > 1.7976931348623157e308 else value  # past the largest double: no limit


# A control character of a database's or data file's path (or URL) as an error shows it, as Python writes it in
# a string ('\x00', '\n', '\x1b'): written raw, a NUL cut the line short where C reads it, a
# newline broke the message in two and an escape drove the terminal.
_SHOWN = {c: repr(chr(c))[1:-1] for c in [*range(0x20), *range(0x7F, 0xA0)]}


def _opened(path: str | Path, *, read_only: bool, layout: str | None) -> Engine:
    """``open_engine``, its errors showing the path's control characters escaped; a path or
    URL that holds a NUL (which no file name or URL can) refused as such (was Python's
    ValueError "embedded null byte", or a message cut at the NUL)."""
    text = str(path) if isinstance(path, str | Path) else ""
    if "\x00" in text:
        # A URL's password stays unsaid, as the engines' own errors keep it.
        raise DataError(f"cannot open database {hide_password(text, text).translate(_SHOWN)}: a file name or URL "
                        "cannot hold a NUL character (\\x00)")
    try:
        return open_engine(path, read_only=read_only, layout=layout)
    except QueryError as exc:
        _escape_controls(exc, text)
        raise


_NOT_JSON: Any = object()  # _parsed's answer for text that is no JSON


def _parsed(text: str) -> object:
    """``text`` as JSON; None where it is nested deeper than Python reads (brackets, no file's
    name); _NOT_JSON where it is none."""
    try:
        return json.loads(text)
    except RecursionError:
        return None
    except ValueError:
        return _NOT_JSON


def unreadable_path(path: str | Path) -> DataError | None:
    """Why ``path`` cannot be loaded where a missing file is told apart later (a name longer
    than a file's may be, a folder it may not search), or None: Python's OSError ('File name
    too long') came from the first look at it."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError as exc:
        # A file on the way is told as a missing one, but not a file named with a trailing '/',
        # which Path drops: load('x.json/') loaded x.json, where the system refuses the name.
        if not str(path).endswith("/"):
            return None
        return DataError(f"cannot load {cut_name(str(path)).translate(_SHOWN)}: {os_reason(exc)} (nothing was loaded)")
    except OSError as exc:
        return DataError(f"cannot load {cut_name(str(path)).translate(_SHOWN)}: {os_reason(exc) or exc.strerror} (nothing was loaded)")
    return None


def _escape_controls(exc: QueryError, path: str) -> None:
    """``exc``'s message with the control characters of ``path``, which it names, escaped."""
    controls = {c: _SHOWN[c] for c in map(ord, path) if c in _SHOWN}
    if controls:
        exc.message = exc.message.translate(controls)
        exc.args = (exc.message,)
        if isinstance(exc, DataError):
            exc.reason = exc.reason.translate(controls)


def connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    layout: str | None = None,
) -> Database:
    """Open a database: in memory by default, a DuckDB file that keeps its schema, or a
    PostgreSQL database (``postgresql://user@host:port/dbname``); ``layout="parse"`` reads a
    Parse Server's own PostgreSQL database in place, read-only (docs/parse-in-place.md)."""
    return Database(path, read_only=read_only, timeout=timeout, max_rows=max_rows, layout=layout)


def evaluate(data: Dataset, q: n.Query) -> Result:
    """Answer query nodes over a dataset with the reference evaluator."""
    # Another value failed with Python's AttributeError on its first attribute read.
    if not isinstance(data, Dataset):
        raise QueryTypeError(f"evaluate() needs a Dataset (querylang.interchange.document.read_dataset gives one), "
                             f"not {type(data).__name__}")
    check_nodes("evaluate", q)
    res = Evaluator(data).run(q)
    cls = data.schema.get(q.class_name)
    return Result([output_record(cls, r) for r in res.records], res.count)


"""A load of new classes from an interchange directory, read by DuckDB (ndjson.py).

Each ``<Class>.ndjson`` is read, checked and inserted by one SQL statement into the class's
new table; the records SQL does not vouch for are read again one by one in Python with the
checks of a document load (interchange/document.py), which names the first bad one or gives
its cells. Then the edges of relations.ndjson the same way, then the indexes. The tables are
hidden until the last transaction writes their schema rows (LOADING_TABLE, as a pipelined
load of a document): any failure drops them, so a bad record on the last line loads nothing.

DuckDB works within LOAD_MEMORY while it loads (spilling to its temporary directory, next to
the database file), so the peak memory of a load does not grow with the size of the files.
"""

from __future__ import annotations

import mmap
import threading
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import duckdb
import orjson

from querylang.engines.duckdb.beside import Beside
from querylang.engines.duckdb.layout import join_table, quote_ident
from querylang.engines.duckdb.ndjson import class_select, literal, relation_select
from querylang.engines.duckdb.pipeline import LOADING_TABLE, edge_count
from querylang.engines.duckdb.words import distinct_texts, words_ahead
from querylang.engines.sql.presses import OnCommit, held_off
from querylang.engines.sql.progress import Tally
from querylang.errors import DataError, LoadedThenInterrupted, cannot_read
from querylang.interchange.columns import (
    ClassColumns,
    Edges,
    edge_arrays,
    record_columns,
    relation_columns,
)
from querylang.interchange.directory import (
    RELATIONS_FILE,
    class_files,
    not_json,
    read_classes,
    read_parts,
    record_lines,
)
from querylang.interchange.document import Edge, normalise_record
from querylang.interchange.given_paths import shown
from querylang.model.schema import ClassDef, Schema


class Store(Protocol):
    """What a load needs of the store (named, not imported: the store imports this module)."""

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...
    def _transaction(self, con: Any = None) -> AbstractContextManager[Any]: ...
    def _create_tables(self, old: Schema, new: Schema, con: Any = None, *, mark: bool = False) -> None: ...
    def _new_tables(self, old: Schema, new: Schema) -> set[str]: ...
    def _insert_records(self, cls: ClassDef, cols: ClassColumns, con: Any = None) -> None: ...
    def _insert_edges(self, edges: Edges, new_tables: set[str], con: Any = None) -> None: ...
    def _build_indexes(self, schema: Schema, con: Any = None, *, records: bool = True, joins: bool = True) -> None: ...
    def _clean_joins(self, schema: Schema) -> frozenset[str]: ...
    def _write_schema(self, old: Schema, new: Schema) -> None: ...
    def _drop_loading(self) -> None: ...
    def _undo_loading(self) -> None: ...
    def _load_error(self, exc: duckdb.Error, source: Any, schema: Schema) -> DataError: ...
    def _loaded(
        self, schema: Schema, clean: frozenset[str], filled: list[str], words: dict[tuple[str, str], Any] | None = None
    ) -> None: ...

LOAD_MEMORY = "1GB"  # DuckDB's memory limit while a directory loads
BATCH = 100_000  # records SQL did not vouch for, read again at a time
SCAN_WINDOW = 1 << 26  # bytes of a file readable() maps at a time (a multiple of mmap.ALLOCATIONGRANULARITY)
SCAN_HEAD = 1 << 16  # bytes of each file looked at before DuckDB reads them (the rest beside the indexes)


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(setting: str) -> float:
    """A DuckDB memory setting ('18.7 GiB', '1GB') in bytes; unknown forms count as no limit."""
    number = setting.rstrip("BbKkMmGgTtIi ")
    try:
        return float(number) * _UNITS[setting[len(number):].strip().upper()]
    except (ValueError, KeyError):
        return float("inf")


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
    """The one value a statement gives. Fetched to the end: a result left open after fetchone
    keeps the connection from registering a view (the next load's) until it is finished."""
    rows = con.execute(sql, params or []).fetchall()
    assert rows
    return rows[0][0]


class Unreadable(Exception):
    """DuckDB refused a file Python's JSON reader accepts: the load is read by Python."""


def readable(files: list[Path], stop: threading.Event | None = None, head: int | None = None) -> bool:
    """Whether DuckDB reads these files line for line as a document load would. Its reader
    skips a byte order mark and takes a lone carriage return, a vertical tab or a form feed
    for a line end or a blank, which Python's reader does not: such files are read by the
    Python reader instead (it finds the first bad line or loads them). Looked at a window at
    a time, so that a set ``stop`` ends it soon (the answer then is True, and unused); with
    ``head``, only each file's first ``head`` bytes."""
    for file in files:
        try:
            with file.open("rb") as fh:
                if fh.read(3) == b"\xef\xbb\xbf":
                    return False
                size = file.stat().st_size if head is None else min(head, file.stat().st_size)
                # A window mapped at a time: a page of a mapping counts in the process's
                # resident memory until it is unmapped, and a load's peak is measured.
                for at in range(0, size, SCAN_WINDOW):
                    if stop is not None and stop.is_set():
                        return True
                    with mmap.mmap(fh.fileno(), min(SCAN_WINDOW, size - at), offset=at, access=mmap.ACCESS_READ) as data:
                        if any(data.find(b) >= 0 for b in (b"\r", b"\x0b", b"\x0c")):
                            return False
        except OSError as exc:  # a directory named Post.ndjson: a bad file, as read_parts says
            raise cannot_read(shown(file), exc) from None
    return True


def _reset_memory_limit(con: Any, limit: str) -> None:
    """The default again if it was (its text is rounded: setting that would lower it)."""
    con.execute("RESET memory_limit")
    if _one(con, "SELECT current_setting('memory_limit')") != limit:
        con.execute(f"SET memory_limit = {literal(limit)}")


def load_directory(
    store: Store, path: Path, files: list[tuple[str, Path]], schema: Schema, old: Schema, added: set[str],
    now: datetime, tell: Tally, on_commit: OnCommit | None = None,
) -> dict[str, int] | None:
    """Load the directory's new classes; None when relations.ndjson holds edges of stored
    classes (nothing was kept: the caller loads it as one document instead). Unreadable
    when DuckDB may have read a file otherwise than Python (readable): nothing was kept,
    the caller reads the directory with Python. That is found beside the index builds, or
    before an error is reported, so that an error names the line Python's reader would."""
    con = store.con
    rel = path / RELATIONS_FILE
    every_file = [f for _, f in files] + ([rel] if rel.exists() else [])
    if not readable(every_file, head=SCAN_HEAD):  # a file of CRLF line ends: not read twice
        raise Unreadable(path)
    limit = _one(con, "SELECT current_setting('memory_limit')")
    if _bytes(limit) > _bytes(LOAD_MEMORY):  # a lower limit someone set is kept
        con.execute(f"SET memory_limit = {literal(LOAD_MEMORY)}")
    counts: dict[str, int] = {}
    pressed: list[int] = []
    published = False
    try:
        store._create_tables(old, schema, con, mark=True)
        record_edges: list[Edge] = []
        for name, file in files:
            counts[name] = _load_class(store, schema.classes[name], file, now, record_edges, tell)
        relations = [(c.name, f.name, f.target or "") for c, f in schema.relations() if c.name in added]
        fresh = store._new_tables(old, schema)
        if rel.exists():
            if not _load_relations(store, rel, schema, added, relations, tell):
                store._drop_loading()
                return None
            fresh = set()
        if record_edges:
            edges = edge_arrays(record_edges)
            with store._transaction(con):
                store._insert_edges(edges, fresh, con)
            tell.written(edge_count(edges))
        # The texts are read before the thread starts, so that it holds none of DuckDB's
        # memory: the index builds need all of the load's limit.
        texts = [
            ((c, f.name), distinct_texts(con, c, f.name))
            for c, n in counts.items() if n
            for f in schema.classes[c].user_fields if f.type == "String"
        ]
        with Beside(lambda stop: words_ahead(texts, stop), lambda stop: readable(every_file, stop)) as beside:
            store._build_indexes(schema, con)
            clean = store._clean_joins(schema)
        if not beside.result(1):
            raise Unreadable(path)
        try:
            ahead = beside.result(0)
        except Exception:  # noqa: BLE001 - a head start only: the fields' words are computed later, as without it
            ahead = {}
        # Published, the load is saved: this process's schema, and the caller (on_commit), say
        # so before a press that came meanwhile, or as the memory limit is set back, is raised
        # (LoadedThenInterrupted).
        with held_off(pressed):
            with store._transaction(con):  # publishing: the schema rows make the load visible
                store._write_schema(old, schema)
                con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")
            store._loaded(schema, clean, [c for c, n in counts.items() if n], ahead)
            published = True
            if on_commit is not None:
                on_commit(counts)
            _reset_memory_limit(con, limit)
    except BaseException as exc:
        # Undone to the end: a press met before Ctrl-C is held off (the calls that hold it off
        # are where Python raises a pending one) undoes again; no call before the `try`.
        cut = False
        pressed_now: list[int] = []
        while True:
            try:
                with held_off(pressed_now):
                    store._undo_loading()
                break
            except KeyboardInterrupt:
                cut = True
        if (cut or pressed_now) and not isinstance(exc, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        if isinstance(exc, (DataError, duckdb.Error)) and not readable(every_file):
            raise Unreadable(path) from None
        if isinstance(exc, duckdb.Error):
            raise store._load_error(exc, path, old) from exc
        raise
    finally:
        if not published:
            _reset_memory_limit(con, limit)
    if pressed:
        raise LoadedThenInterrupted(counts)
    return counts


def _load_class(
    store: Store, cls: ClassDef, file: Path, now: datetime, record_edges: list[Edge], tell: Tally
) -> int:
    """One class file into its (new, empty) table; returns its number of records."""
    con = store.con
    sql, names = class_select(cls, file)
    table = quote_ident(cls.name)
    try:
        with store._transaction(con):
            count = _one(con, f"INSERT INTO {table} ({', '.join(map(quote_ident, names))}) {sql}", [now.replace(tzinfo=None)])
    except duckdb.InvalidInputException:
        # Not JSON to DuckDB: Python's reader names the line (read_parts raises), or else it
        # reads the file otherwise than DuckDB, and reads the whole load.
        for _ in read_parts(file):
            pass
        raise Unreadable(file) from None
    tell.read(count)
    # The table was empty and DuckDB keeps the order of the file: a row's rowid is the
    # position of its record among the file's records, as a document load counts them.
    after = -1
    while True:
        rows = con.execute(
            f'SELECT rowid, ":nulls"[1] FROM {table} WHERE "objectId" IS NULL AND rowid > ? ORDER BY rowid LIMIT {BATCH}',
            [after],
        ).fetchall()
        if not rows:
            break
        recs = []
        for at, text in rows:
            try:
                row = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise _json_error(file, at) from None
            rec, edges = normalise_record(cls, row, now=now, index=at)
            recs.append(rec)
            record_edges.extend(edges)
        with store._transaction(con):
            store._insert_records(cls, record_columns(cls, recs), con)
        after = rows[-1][0]
    if after >= 0:
        with store._transaction(con):
            con.execute(f'DELETE FROM {table} WHERE "objectId" IS NULL')
    tell.written(count)
    return int(count)


def _json_error(file: Path, at: int) -> DataError:
    """The error of record ``at`` (counted from 0) of ``file``, which DuckDB read and Python's
    JSON reader does not (NaN, Infinity, a trailing comma): named by line, as read_parts does."""
    for lineno, line in record_lines(file):
        if at == 0:
            try:
                orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                return DataError(f"{shown(file)}, line {lineno}: {not_json(line, exc)}")
            break
        at -= 1
    return DataError(f"{shown(file)}: a record DuckDB read differently from Python's JSON reader")


def _load_relations(
    store: Store, rel: Path, schema: Schema, added: set[str], relations: list[tuple[str, str, str]], tell: Tally
) -> bool:
    """The edges of relations.ndjson into the new join tables. False when some edge is of a
    stored class. An edge SQL does not vouch for sends the whole file through the edge
    reader, which names the first bad edge, counted from the start of the file."""
    con = store.con
    unsure = not relations
    for owner, key, _ in relations:
        jt = quote_ident(join_table(owner, key))
        try:
            with store._transaction(con):
                con.execute(f"INSERT INTO {jt} {relation_select(rel, relations, owner, key)}")
                marked = _one(con, f"DELETE FROM {jt} WHERE owning_id = chr(0)")
        except duckdb.InvalidInputException:  # not JSON to DuckDB: the edge reader names the line
            marked = 1
        if marked:
            unsure = True
            break
    if not unsure:
        n = sum(_one(con, f"SELECT count(*) FROM {quote_ident(join_table(o, k))}") for o, k, _ in relations)
        tell.read(n)  # read and written by one statement: "read" counts edges too, as a document's does
        tell.written(n)
        return True
    for o, k, _ in relations:  # what SQL wrote is written again, a part at a time
        with store._transaction(con):
            con.execute(f"DELETE FROM {quote_ident(join_table(o, k))}")
    for start, part in read_parts(rel):
        edges = relation_columns(part, schema, start)
        if not {owner for owner, _ in edges} <= added:
            return False
        tell.read(edge_count(edges))
        with store._transaction(con):
            store._insert_edges(edges, set(), con)
        tell.written(edge_count(edges))
    return True


def repeated_id(con: duckdb.DuckDBPyConnection, path: Path) -> DataError | None:
    """The first class file's objectId given twice, as the error of its second record; None
    when there is none to find. DuckDB groups the ids (within its memory limit, spilling), and
    then only the lines holding that id are read by Python, for the record's position."""
    for name, file in class_files(path, read_classes(path)):
        rows = con.execute(
            "SELECT json_extract_string(json, '$.objectId') AS id FROM read_ndjson_objects(?) "
            "WHERE id IS NOT NULL GROUP BY id HAVING count(*) > 1 LIMIT 1",
            [str(file)],
        ).fetchall()
        if not rows:
            continue
        oid, seen = rows[0][0], 0
        for at, (_, line) in enumerate(record_lines(file)):
            if oid.encode() not in line and b"\\" not in line:  # an escape may spell the id otherwise
                continue
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(rec, dict) and rec.get("objectId") == oid:
                seen += 1
                if seen == 2:
                    exc = DataError("duplicate objectId", class_name=name, object_id=oid)
                    exc.record_index = at
                    return exc
    return None

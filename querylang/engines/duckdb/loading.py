"""Loads into the DuckDB store (a part of :class:`querylang.engines.duckdb.store.Store`).

A load is all or nothing. The document is checked a column at a time into Arrow
(columns.py) and written with Arrow bulk inserts. A load that touches stored classes is one
transaction; a load that only adds classes is written while it is read (LoadPipeline) and
published by one last transaction that writes its schema rows: until then its tables are
unknown to queries, and a failure (or the next open, after a crash) drops them. Indexes
(objectId, each Pointer column, both ends of each edge table) are built once a table's rows
are in, which is much faster than inserting into indexed tables. Text-search words are left
to the first text search on a field (Store.ready).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from querylang.engines.duckdb import interrupts
from querylang.engines.duckdb.cells import class_arrays
from querylang.engines.duckdb.directory_load import (
    Unreadable,
    load_directory,
    repeated_id,
)
from querylang.engines.duckdb.layout import (
    SCHEMA_TABLE,
    class_columns,
    field_columns,
    join_table,
    load_columns,
    quote_ident,
)
from querylang.engines.duckdb.pipeline import (
    DIRECTORY_RECHECK_MAX,
    LOADING_TABLE,
    PIPELINE_MIN,
    LoadPipeline,
    edge_count,
    size,
)
from querylang.engines.duckdb.rejections import (
    LOAD_FAILED,
    altered_dates,
    dropped_column,
    load_rejected,
)
from querylang.engines.sql.presses import OnCommit, held_off
from querylang.engines.sql.progress import Progress, Tally
from querylang.engines.sql.readers import ReadWriteLock
from querylang.engines.sql.watchdog import no_gc
from querylang.errors import DataError, LoadedThenInterrupted
from querylang.interchange.columns import (
    ClassColumns,
    ColumnDataset,
    iter_columns,
    iter_directory_columns,
    open_document,
    read_columns,
)
from querylang.interchange.directory import (
    class_files,
    is_directory,
    read_classes,
    size_of,
)
from querylang.interchange.document import merge_schema, read_dataset, read_document
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import to_ms
from querylang.steps import step


class Loading:
    """Loads of :class:`querylang.engines.duckdb.store.Store`: documents and directories,
    their tables, rows, edges and indexes."""

    con: Any
    path: str
    read_only: bool
    closed: bool
    lock: ReadWriteLock
    schema: Schema
    pending_words: set[tuple[str, str]]
    words_ahead: dict[tuple[str, str], pa.Table]
    _bookkeeping: Callable[[Any], None]
    _clean_joins: Callable[[Schema], frozenset[str]]
    _drop_loading: Callable[[], None]
    _rollback: Callable[..., None]
    _transaction: Callable[..., AbstractContextManager[Any]]
    _view: Callable[..., AbstractContextManager[str]]

    def load(
        self, source: str | Path | Mapping[str, Any], progress: Progress | None = None, on_commit: OnCommit | None = None
    ) -> dict[str, int]:
        """Add a whole interchange document, all or nothing; returns records per class.

        ``progress(stage, done, total)`` is told the records and edges read (stage "read")
        and written ("written"), perhaps from another thread. ``on_commit(counts)`` is called
        as the load is saved, in the same held-off stretch as its COMMIT (presses.py)."""
        if self.read_only:  # as the PostgreSQL store says it (DuckDB's own refusal names its statements)
            raise DataError("the database is open read-only: nothing was loaded")
        if self.closed:  # DuckDB's ConnectionException came out, no QueryError
            raise DataError("the database is closed: nothing was loaded")
        try:
            return self._load(source, progress, on_commit)
        except RuntimeError as exc:  # the load has undone itself by now, as for any failure
            if interrupts.interrupted(exc):
                raise KeyboardInterrupt from None
            raise

    def _load(self, source: str | Path | Mapping[str, Any], progress: Progress | None, on_commit: OnCommit | None) -> dict[str, int]:
        if is_directory(source):
            return self._load_directory(Path(source), progress, on_commit)  # type: ignore[arg-type]
        with self.lock, no_gc():
            doc, schema, now = open_document(source, self.schema)
            old = self.schema
            added = schema.classes.keys() - old.classes.keys()
            records = doc.get("records", {})
            tell = Tally(progress, size(records, doc.get("relations")) if isinstance(records, Mapping) else 0)
            if (
                added
                and all(schema.classes[c] == old.classes[c] for c in old.classes)
                and isinstance(records, Mapping)
                and records.keys() <= added
                and size(records, doc.get("relations")) >= PIPELINE_MIN
            ):
                counts = self._load_new(doc, schema, now, old, added, tell, on_commit)
                if counts is not None:
                    return counts
                tell.restart()
            return self._load_in_one_transaction(doc, old, tell, on_commit)

    def _load_directory(self, path: Path, progress: Progress | None, on_commit: OnCommit | None) -> dict[str, int]:
        """An interchange directory (interchange/directory.py). New classes only: read by
        DuckDB, checked in SQL (directory_load.py), or a part at a time through the pipeline of
        _load_new for files DuckDB reads otherwise than Python. Records for stored classes:
        read whole and loaded as a document."""
        with self.lock, no_gc():
            classes = read_classes(path)
            old = self.schema
            schema = merge_schema(old, classes)
            added = schema.classes.keys() - old.classes.keys()
            files = class_files(path, classes)
            if added and {name for name, _ in files} <= added and all(schema.classes[c] == old.classes[c] for c in old.classes):
                now = to_ms(datetime.now(UTC))
                tell = Tally(progress, 0)
                try:
                    counts = load_directory(self, path, files, schema, old, added, now, tell, on_commit)
                except Unreadable:  # read by Python, a part at a time
                    tell.restart()
                    parts = iter_directory_columns(path, schema, now)
                    counts = self._load_new(path, schema, now, old, added, tell, on_commit, parts=parts)
                if counts is not None:
                    return counts
            doc = read_document(path)
        return self.load(doc, progress, on_commit)

    def _load_in_one_transaction(
        self, doc: Mapping[str, Any], old_schema: Schema, tell: Tally, on_commit: OnCommit | None
    ) -> dict[str, int]:
        """A load that touches stored classes: one transaction, indexes maintained in it."""
        data = read_columns(doc, old_schema)
        tell.read(tell.total)
        try:
            self._check_existing_ids(data)
        except duckdb.Error as exc:  # a stored class's table dropped by hand
            raise load_rejected(exc, self.path) from None
        # DuckDB would cast the dates into a Date column altered by hand (its own text in a
        # VARCHAR, the day alone in a DATE), which the queries then name: named first, where
        # the load has a date for it (a column all NULL writes nothing wrong, as a create's).
        stored = {c: cols for c, cols in data.columns.items() if c in old_schema.classes and len(cols)}
        said = altered_dates(self.con, [data.schema.classes[c] for c in stored], {
            c: {n for n, a in cols.values.items() if isinstance(a, pa.Array) and a.null_count < len(a)}
            for c, cols in stored.items()
        })  # fmt: skip
        if said is not None:
            # Said as the load's other failures: the place first, the reason (which an import
            # words as its own, importers/interchange.py) starting "load failed".
            raise DataError(f"{LOAD_FAILED}: {said.reason}", class_name=said.class_name,
                            field=said.field, code=said.code)
        con = self.con
        pressed: list[int] = []
        con.execute("BEGIN TRANSACTION")
        try:
            self._create_tables(old_schema, data.schema)
            self._write_schema(old_schema, data.schema)
            counts = {}
            for class_name, cols in data.columns.items():
                self._insert_records(data.schema.classes[class_name], cols)
                counts[class_name] = len(cols)
                tell.written(len(cols))
            self._insert_edges(data.edges, new_tables=self._new_tables(old_schema, data.schema))
            tell.written(edge_count(data.edges))
            self._build_indexes(data.schema)
            clean = self._clean_joins(data.schema)
            # Once COMMIT returns the load is saved: this process's schema, and the caller
            # (on_commit), are made to say so before a press is raised (LoadedThenInterrupted).
            with held_off(pressed):
                con.execute("COMMIT")
                self._loaded(data.schema, clean, [c for c, n in counts.items() if n])
                if on_commit is not None:
                    on_commit(counts)
        except BaseException as exc:
            # Rolled back to the end: a press meeting the ROLLBACK (Ctrl-C held down) left the
            # transaction open, and the next write's BEGIN failed ("Current transaction is
            # aborted"). No call outside the `try` (where Python raises a pending press).
            undone = cut = False
            while not undone:
                try:
                    with held_off(pressed):
                        self._rollback()
                    undone = True
                except KeyboardInterrupt:  # met before Ctrl-C was held off: rolled back again
                    cut = True
            if (pressed or cut) and not isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt from exc
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old_schema) from exc
            raise
        if pressed:
            raise LoadedThenInterrupted(counts)
        return counts

    def _load_new(
        self, doc: Mapping[str, Any] | Path, schema: Schema, now: Any, old: Schema, added: set[str], tell: Tally,
        on_commit: OnCommit | None, parts: Iterator[Any] | None = None,
    ) -> dict[str, int] | None:
        """A load that only adds classes, written while it is read (LoadPipeline): each class
        committed in its own table, indexed on every core, and the whole load published by one
        last transaction that writes its schema rows. Until then no reader knows the tables;
        a failure drops them, and so does the next open after a crash (LOADING_TABLE).
        None when the document turns out to hold edges of stored classes: nothing was kept,
        and the caller loads it in one transaction instead."""
        pipe = LoadPipeline(self)
        counts: dict[str, int] = {}
        pressed: list[int] = []
        fresh: set[str] = self._new_tables(old, schema)  # join tables no edge was written to yet
        try:
            pipe.submit(lambda cur: self._create_tables(old, schema, cur, mark=True))
            try:
                # Edges, then the biggest classes first, in parts: the writing starts early,
                # and big tables are indexed while small ones are read.
                if parts is None:
                    assert isinstance(doc, Mapping)
                    parts = iter_columns(doc, schema, now, pipelined=True)
                for part in parts:
                    if isinstance(part, tuple):
                        cls, cols, last = part
                        counts[cls.name] = counts.get(cls.name, 0) + len(cols)
                        tell.read(len(cols))
                        pipe.submit(lambda cur, cls=cls, cols=cols, last=last: self._write_class(cls, cols, last, cur, tell))
                    elif {owner for owner, _ in part} <= added:
                        plain = set(fresh)
                        fresh -= {join_table(*k) for k in part}
                        tell.read(edge_count(part))
                        pipe.submit(lambda cur, edges=part, plain=plain: self._write_edges(schema, edges, plain, cur, tell))
                    else:
                        if self._give_up(pipe):
                            raise KeyboardInterrupt
                        return None
            except DataError:
                if self._give_up(pipe):
                    raise KeyboardInterrupt from None
                if isinstance(doc, Mapping):
                    read_columns(doc, old)  # in document order: raises the document's first error
                raise  # a directory is read in its own order: this is its first error
            pipe.submit(lambda cur: self._build_indexes(schema, cur))  # classes without records
            pipe.finish()
            clean = self._clean_joins(schema)
            # Published, the load is saved: this process's schema, and the caller (on_commit),
            # say so before a press that came meanwhile is raised (LoadedThenInterrupted).
            with held_off(pressed):
                with self._transaction():  # publishing: the schema rows make the load visible
                    self._write_schema(old, schema)
                    self.con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")
                self._loaded(schema, clean, [c for c, n in counts.items() if n])
                if on_commit is not None:
                    on_commit(counts)
        except BaseException as exc:
            # Given up to the end: a press in the calls before Ctrl-C is held off (a function's
            # start is where Python raises a pending one) gives up again. So the loop is here,
            # with no call between the `except` and its `try`.
            cut = False
            while True:
                try:
                    cut = self._give_up(pipe) or cut
                    break
                except KeyboardInterrupt:
                    cut = True
            if cut and not isinstance(exc, KeyboardInterrupt):
                raise KeyboardInterrupt from exc
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old) from exc
            raise
        if pressed:
            raise LoadedThenInterrupted(counts)
        return counts

    def _give_up(self, pipe: LoadPipeline) -> bool:
        """A load written while read undone: its thread stopped and its tables dropped, to the
        end though Ctrl-C comes meanwhile; whether one came (the caller raises it)."""
        pressed: list[int] = []
        with held_off(pressed):
            if pipe.stop():
                pressed.append(0)
            self._undo_loading()
        return bool(pressed)

    def _undo_loading(self) -> None:
        """The tables of a load not published dropped, after the ROLLBACK of its publishing
        transaction (one that a Ctrl-C cut short left open, and the drop's BEGIN failed)."""
        self._rollback()
        self._drop_loading()

    def _write_class(self, cls: ClassDef, cols: ClassColumns, last: bool, con: Any, tell: Tally) -> None:
        """One part of a class's records; after the last, the class's indexes."""
        with self._transaction(con):
            self._insert_records(cls, cols, con)
        tell.written(len(cols))
        if last:
            self._build_indexes(Schema({cls.name: cls}), con, joins=False)

    def _write_edges(
        self, schema: Schema, edges: dict[tuple[str, str], tuple[pa.Array, pa.Array]], fresh: set[str], con: Any,
        tell: Tally,
    ) -> None:
        with self._transaction(con):
            self._insert_edges(edges, fresh, con)
        tell.written(edge_count(edges))
        self._build_indexes(schema, con, records=False)

    def _loaded(
        self, schema: Schema, clean: frozenset[str], filled: list[str], words: dict[tuple[str, str], pa.Table] | None = None
    ) -> None:
        """The store's view after a load: its schema, and text-search words to compute (and
        those the load computed ahead, to store)."""
        self.schema = replace(schema, clean_joins=clean)
        self.pending_words |= {(name, f.name) for name in filled for f in schema.classes[name].user_fields if f.type == "String"}
        self.words_ahead.update(words or {})

    def _load_error(self, exc: duckdb.Error, source: Any, schema: Schema) -> DataError:
        """The error for a load the database refused. A broken unique index means two records
        with one objectId, which the column-wise reading leaves to the index: reading the
        document record by record names the record; a big directory is searched by DuckDB
        for the repeated objectId instead (its message names neither it nor its class).
        A Ctrl-C that met Python code DuckDB called (its read of a registered Arrow table)
        comes back as DuckDB's error: raised as the interruption it is (KeyboardInterrupt)."""
        if interrupts.interrupted(exc):
            raise KeyboardInterrupt from exc
        if "constraint" in str(exc).lower():
            if is_directory(source) and size_of(Path(source)) > DIRECTORY_RECHECK_MAX:
                found = repeated_id(self.con, Path(source))
                if found is not None:
                    return found
            else:
                try:
                    read_dataset(source, schema)
                except DataError as precise:
                    return precise
        return dropped_column(exc, self.con, schema.classes.values(), LOAD_FAILED) or load_rejected(exc, self.path)

    @staticmethod
    def _new_tables(old: Schema, new: Schema) -> set[str]:
        """The join tables that adding ``new`` to ``old`` creates."""
        return {
            join_table(c.name, f.name)
            for c, f in new.relations()
            if c.name not in old.classes or f.name not in old.classes[c.name].fields
        }

    def _check_existing_ids(self, data: ColumnDataset) -> None:
        """A record whose objectId is already stored is an error (loads add, never overwrite)."""
        for class_name, cols in data.columns.items():
            if class_name not in self.schema.classes or not len(cols):
                continue
            ids, table = cols.values["objectId"], quote_ident(class_name)
            with self._view("_ql_ids", pa.table({"id": ids})) as view:
                hit = self.con.execute(
                    f'SELECT t."objectId" FROM {table} AS t SEMI JOIN {view} AS v ON t."objectId" = v.id LIMIT 1'
                ).fetchall()  # all (one row): an unfinished result would block unregister
            if not hit:
                continue
            # The join met the table's rows in the order it scans them, not the records': the
            # first of the records in their order is looked up on this failing path only.
            with self._view("_ql_ids", pa.table({"id": ids, "at": pa.array(range(len(ids)), pa.int64())})) as view:
                ((at,),) = self.con.execute(
                    f'SELECT min(v.at) FROM {view} AS v SEMI JOIN {table} AS t ON t."objectId" = v.id'
                ).fetchall()
            exc = DataError("duplicate objectId: already in the database", class_name=class_name, object_id=ids[at].as_py())
            exc.record_index = at  # its line, in a directory
            raise exc

    def _create_tables(self, old: Schema, new: Schema, con: Any = None, *, mark: bool = False) -> None:
        """The tables and columns ``new`` adds to ``old``; with ``mark``, each new table is listed
        in LOADING_TABLE in the same transaction (dropped unless the load is published)."""
        con = con or self.con
        with self._transaction(con) if mark else contextlib.nullcontext():
            self._bookkeeping(con)  # dropped by another Database of this file that closed unused
            for name, cls in new.classes.items():
                prev = old.classes.get(name)
                created = []
                if prev is None:
                    cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in class_columns(cls))
                    con.execute(f"CREATE TABLE {quote_ident(name)} ({cols})")
                    created.append(name)
                else:
                    for f in cls.user_fields:
                        if f.name not in prev.fields:
                            for c, t in field_columns(f):
                                con.execute(f"ALTER TABLE {quote_ident(name)} ADD COLUMN {quote_ident(c)} {t}")
                for f in cls.user_fields:
                    if f.type == "Relation" and (prev is None or f.name not in prev.fields):
                        jt = join_table(name, f.name)
                        con.execute(
                            f"CREATE TABLE IF NOT EXISTS {quote_ident(jt)} "
                            "(owning_id VARCHAR NOT NULL, related_id VARCHAR NOT NULL)"
                        )
                        created.append(jt)
                if mark:
                    for t in created:
                        con.execute(f"INSERT INTO {quote_ident(LOADING_TABLE)} VALUES (?)", [t])

    def _write_schema(self, old: Schema, new: Schema) -> None:
        """The schema rows of the classes ``new`` adds or changes."""
        for name, cls in new.classes.items():
            if old.classes.get(name) != cls:
                self.con.execute(
                    f"INSERT OR REPLACE INTO {quote_ident(SCHEMA_TABLE)} VALUES (?, ?)",
                    [name, json.dumps(cls.to_json())],
                )

    @step("insert_records")
    def _insert_records(self, cls: ClassDef, cols: ClassColumns, con: Any = None) -> None:
        if not len(cols):
            return
        names = [c for c, _ in load_columns(cls)]
        batch = pa.Table.from_arrays(class_arrays(cls, cols), names=names)
        self._insert_arrow(quote_ident(cls.name), names, batch, con)

    @step("insert_arrow")
    def _insert_arrow(self, table: str, names: list[str], batch: pa.Table, con: Any = None) -> None:
        con = con or self.con
        with self._view("_ql_load", batch, con) as view:
            collist = ", ".join(quote_ident(c) for c in names)
            con.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM {view}")

    @step("insert_edges")
    def _insert_edges(
        self, edges: dict[tuple[str, str], tuple[pa.Array, pa.Array]], new_tables: set[str], con: Any = None
    ) -> None:
        """Each edge once: a Relation is a set, and a document may list an edge twice."""
        con = con or self.con
        for (owner_class, key), (owning, related) in edges.items():
            name = join_table(owner_class, key)
            batch = pa.Table.from_arrays([owning, related], names=["owning_id", "related_id"])
            with self._view("_ql_edges", batch, con) as view:
                jt = quote_ident(name)
                if name in new_tables:
                    # DISTINCT in DuckDB: 4× faster than de-duplicating in Python (Tuning P13).
                    con.execute(f"INSERT INTO {jt} SELECT DISTINCT owning_id, related_id FROM {view}")
                    continue
                con.execute(
                    f"INSERT INTO {jt} SELECT DISTINCT v.owning_id, v.related_id FROM {view} AS v "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {jt} AS j WHERE j.owning_id = v.owning_id "
                    "AND j.related_id = v.related_id)"
                )

    @step("build_indexes")
    def _build_indexes(self, schema: Schema, con: Any = None, *, records: bool = True, joins: bool = True) -> None:
        """With ``records``, objectId (unique) and each Pointer column of every class; with
        ``joins``, both ends of each edge table. An index that exists is left as it is (and
        a load builds them once its rows are in: rows added to an indexed table cost more)."""
        con = con or self.con
        for name, cls in schema.classes.items():
            t = quote_ident(name)
            if records:
                self._index(con, f"ix:{name}:objectId", f'{t} ("objectId")', unique=True)
            for f in cls.user_fields:
                if f.type == "Pointer" and records:
                    self._index(con, f"ix:{name}:{f.name}", f"{t} ({quote_ident(f.name)})")
                elif f.type == "Relation" and joins:
                    jt = quote_ident(join_table(name, f.name))
                    self._index(con, f"ix:{name}:{f.name}:owning", f"{jt} (owning_id)")
                    self._index(con, f"ix:{name}:{f.name}:related", f"{jt} (related_id)")

    @staticmethod
    def _index(con: Any, name: str, target: str, unique: bool = False) -> None:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        con.execute(f"CREATE {kind} IF NOT EXISTS {quote_ident(name)} ON {target}")


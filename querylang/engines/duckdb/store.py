"""DuckDB storage: class tables, relation edge tables, the schema table; load and run.

``Store.load`` is all or nothing. The document is checked a column at a time into Arrow
(columns.py) and written with Arrow bulk inserts. A load that touches stored classes is one
transaction; a load that only adds classes is written while it is read (_LoadPipeline) and
published by one last transaction that writes its schema rows: until then its tables are
unknown to queries, and a failure (or the next open, after a crash) drops them. Indexes
(objectId, each Pointer column, both ends of each edge table) are built once a table's rows
are in, which is much faster than inserting into indexed tables. Text-search words are left
to the first text search on a field (Store.ready).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from querylang import errors
from querylang.engines.duckdb import interrupts
from querylang.engines.duckdb.cells import class_arrays
from querylang.engines.duckdb.decode import decode_row, make_decoder, page_decoder, stored_record
from querylang.engines.duckdb.dialect import DUCKDB
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
    stored_schema,
)
from querylang.engines.duckdb.paths import connect_file, damaged, damaged_error
from querylang.engines.duckdb.pipeline import (
    DIRECTORY_RECHECK_MAX,
    LOADING_TABLE,
    PIPELINE_MIN,
    LoadPipeline,
    edge_count,
    size,
)
from querylang.engines.duckdb.rejections import load_rejected, rejected
from querylang.engines.duckdb.sharing import FileState, Shares, closing_last, hold, release
from querylang.engines.duckdb.words import TextWords
from querylang.engines.duckdb.writer import Writer
from querylang.engines.sql.progress import Progress, Tally
from querylang.engines.sql.statements import dangling_edges_sql
from querylang.engines.sql.watchdog import Watchdog, no_gc
from querylang.errors import DataError, EngineError, QueryCancelled, QueryError, QueryTimeout
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
from querylang.interchange.document import Dataset, Edge, merge_schema, read_dataset, read_document
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import to_ms
from querylang.steps import step

# --- the store ------------------------------------------------------------------------------

class Store(TextWords, Shares):
    """One DuckDB database holding querylang classes."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.dialect = DUCKDB  # how the compiler writes SQL for this store
        self.page_decoder = page_decoder  # a query's rows → its records at once (Queries._execute)
        self.con = connect_file(self.path, read_only=read_only)
        self.read_only = read_only
        self._local = threading.local()
        self.watchdog = Watchdog()
        self.closed = False
        try:
            # Another Store of this process on the file shares what it knows (sharing.py).
            self.file = hold(self, self.path, self._open)
        except duckdb.Error as exc:
            self.con.close()
            if damaged(exc, self.path):
                raise damaged_error(exc, self.path) from None
            raise EngineError(f"cannot read the database {self.path}: {exc}") from None
        except BaseException:
            self.con.close()  # the file is not left locked by a database that never opened
            raise
        self.lock, self._words_lock = self.file.lock, self.file.words_lock
        self.pending_words, self.words_ahead = self.file.pending_words, self.file.words_ahead  # (TextWords)

    def _open(self) -> FileState:
        """What the first Store of this process on the file reads of it."""
        # The bookkeeping tables this open makes are dropped by the last close() if nothing was
        # written: a failed load or an idle REPL leaves another application's file as it was.
        made = not self.read_only and not self._has_table(SCHEMA_TABLE)
        if not self.read_only:
            self._bookkeeping(self.con)
            self._drop_loading()  # the tables of a load a crash kept from being published
        schema = self._read_schema()
        return FileState(schema, self._missing_words(schema), made)  # words: those a load left (Store.ready)

    def _has_table(self, name: str) -> bool:
        return bool(self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]).fetchall()[0][0])

    @staticmethod
    def _bookkeeping(con: Any) -> None:
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(SCHEMA_TABLE)} "
                    "(class_name VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL)")  # fmt: skip
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(LOADING_TABLE)} (table_name VARCHAR NOT NULL)")

    def _drop_unused_bookkeeping(self) -> None:
        """Drop the bookkeeping tables this open made while they hold nothing."""
        tables = (quote_ident(SCHEMA_TABLE), quote_ident(LOADING_TABLE))
        with contextlib.suppress(duckdb.Error), self._transaction():  # another connection wrote: kept
            if not any(self.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables):
                for t in tables:
                    self.con.execute(f"DROP TABLE {t}")

    def _read_schema(self) -> Schema:
        try:
            rows = self.con.execute(
                f"SELECT class_name, definition FROM {quote_ident(SCHEMA_TABLE)} ORDER BY class_name"
            ).fetchall()
        except duckdb.CatalogException:
            return Schema()
        schema = stored_schema(self.path, rows)
        return replace(schema, clean_joins=self._clean_joins(schema))

    def _clean_joins(self, schema: Schema) -> frozenset[str]:
        """The join tables in which every edge's owner and target record exist (one anti-join
        each, ~0.1 s for 1M edges at scale L)."""
        clean = set()
        tables = {t for (t,) in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for cls, f in schema.relations():
            name = join_table(cls.name, f.name)
            if not {name, cls.name, f.target} <= tables:
                continue  # dropped by hand: the query that reads it says so (rejections.py)
            sql = dangling_edges_sql(quote_ident(name), quote_ident(cls.name), quote_ident(f.target or ""))
            if not self.con.execute(sql).fetchall()[0][0]:
                clean.add(name)
        return frozenset(clean)

    def decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Rows of ``columns`` → output records (make_decoder)."""
        return make_decoder(cls, columns)

    def writer(self, lock_wait: float | None = None) -> Writer:
        """Record-level writes, each one transaction; ``lock_wait``: the longest wait for a load
        or another write (through any Database of this process on the file: no other process
        writes here)."""
        return Writer(self, lock_wait)

    def close(self) -> None:
        """Close the database; a file its last Store of this process closes gets its pending
        text-search words first, so that it opens complete (read-only opens cannot add them),
        and the others' queries are not held meanwhile. Closing again does nothing: a Ctrl-C
        while the words are computed closes it too, and they are left to the next open for
        writing."""
        if self.closed:
            return
        try:
            last = closing_last(self, self.file)
            if self.pending_words and not self.read_only and self.path != ":memory:" and last:
                with self.lock:
                    self.fill_pending()
        finally:
            self.closed = True
            self.watchdog.close()
            if not release(self, self.file) and self.file.made_bookkeeping and not self.schema.classes:
                self._drop_unused_bookkeeping()
            interrupts.close(self.con)

    def reading(self, timeout: float | None = None, cancel: threading.Event | None = None) -> AbstractContextManager[None]:
        """Hold for one query (plan and rows): other queries run alongside, writes wait."""
        return self.lock.shared(timeout, cancel)  # the wait for a writer is the query's

    # --- load -----------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any], progress: Progress | None = None) -> dict[str, int]:
        """Add a whole interchange document, all or nothing; returns records per class.

        ``progress(stage, done, total)`` is told the records and edges read (stage "read")
        and written ("written"), perhaps from another thread."""
        if self.read_only:  # as the PostgreSQL store says it (DuckDB's own refusal names its statements)
            raise DataError("the database is open read-only: nothing was loaded")
        if self.closed:  # DuckDB's ConnectionException came out, no QueryError
            raise DataError("the database is closed: nothing was loaded")
        try:
            return self._load(source, progress)
        except RuntimeError as exc:  # the load has undone itself by now, as for any failure
            if interrupts.interrupted(exc):
                raise KeyboardInterrupt from None
            raise

    def _load(self, source: str | Path | Mapping[str, Any], progress: Progress | None) -> dict[str, int]:
        if is_directory(source):
            return self._load_directory(Path(source), progress)  # type: ignore[arg-type]
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
                counts = self._load_new(doc, schema, now, old, added, tell)
                if counts is not None:
                    return counts
                tell.restart()
            return self._load_in_one_transaction(doc, old, tell)

    def _load_directory(self, path: Path, progress: Progress | None) -> dict[str, int]:
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
                    counts = load_directory(self, path, files, schema, old, added, now, tell)
                except Unreadable:  # read by Python, a part at a time
                    tell.restart()
                    parts = iter_directory_columns(path, schema, now)
                    counts = self._load_new(path, schema, now, old, added, tell, parts=parts)
                if counts is not None:
                    return counts
            doc = read_document(path)
        return self.load(doc, progress)

    def _load_in_one_transaction(self, doc: Mapping[str, Any], old_schema: Schema, tell: Tally) -> dict[str, int]:
        """A load that touches stored classes: one transaction, indexes maintained in it."""
        data = read_columns(doc, old_schema)
        tell.read(tell.total)
        try:
            self._check_existing_ids(data)
        except duckdb.Error as exc:  # a stored class's table dropped by hand
            raise load_rejected(exc, self.path) from None
        con = self.con
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
            con.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old_schema) from exc
            raise
        self._loaded(data.schema, clean, [c for c, n in counts.items() if n])
        return counts

    def _load_new(
        self, doc: Mapping[str, Any] | Path, schema: Schema, now: Any, old: Schema, added: set[str], tell: Tally,
        parts: Iterator[Any] | None = None,
    ) -> dict[str, int] | None:
        """A load that only adds classes, written while it is read (LoadPipeline): each class
        committed in its own table, indexed on every core, and the whole load published by one
        last transaction that writes its schema rows. Until then no reader knows the tables;
        a failure drops them, and so does the next open after a crash (LOADING_TABLE).
        None when the document turns out to hold edges of stored classes: nothing was kept,
        and the caller loads it in one transaction instead."""
        pipe = LoadPipeline(self)
        counts: dict[str, int] = {}
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
                        pipe.stop()
                        self._drop_loading()
                        return None
            except DataError:
                pipe.stop()
                self._drop_loading()
                if isinstance(doc, Mapping):
                    read_columns(doc, old)  # in document order: raises the document's first error
                raise  # a directory is read in its own order: this is its first error
            pipe.submit(lambda cur: self._build_indexes(schema, cur))  # classes without records
            pipe.finish()
            clean = self._clean_joins(schema)
            with self._transaction():  # publishing: the schema rows make the load visible
                self._write_schema(old, schema)
                self.con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")
        except BaseException as exc:
            pipe.stop()
            self._drop_loading()
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old) from exc
            raise
        self._loaded(schema, clean, [c for c, n in counts.items() if n])
        return counts

    @contextlib.contextmanager
    def _transaction(self, con: Any = None) -> Iterator[Any]:
        """BEGIN … COMMIT on ``con`` (the store's connection by default); ROLLBACK on any failure."""
        con = con or self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            self._rollback(con)
            raise

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

    def _drop_loading(self) -> None:
        """Drop the tables of a load that was not published (a failure, or a crash: on open)."""
        con = self.con
        try:
            names = [t for (t,) in con.execute(f"SELECT table_name FROM {quote_ident(LOADING_TABLE)}").fetchall()]
        except duckdb.CatalogException:
            return  # a file from before the pipeline, or opened read-only
        with self._transaction():
            for name in names:
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
            con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")

    @contextlib.contextmanager
    def _view(self, name: str, table: pa.Table, con: Any = None) -> Iterator[str]:
        """An Arrow table visible to SQL as ``name`` for the duration of the block."""
        con = con or self.con
        con.register(name, table)
        try:
            yield name
        finally:
            try:
                con.unregister(name)
            except duckdb.TransactionException:
                pass  # a failed statement aborted the transaction: its error is the one to see

    def _rollback(self, con: Any = None) -> None:
        """ROLLBACK, unless DuckDB already ended the transaction (a failed COMMIT does)."""
        try:
            (con or self.con).execute("ROLLBACK")
        except duckdb.TransactionException:
            pass

    def _load_error(self, exc: duckdb.Error, source: Any, schema: Schema) -> DataError:
        """The error for a load the database refused. A broken unique index means two records
        with one objectId, which the column-wise reading leaves to the index: reading the
        document record by record names the record; a big directory is searched by DuckDB
        for the repeated objectId instead (its message names neither it nor its class)."""
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
        return load_rejected(exc, self.path)

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

    # --- reading --------------------------------------------------------------------------

    def _cursor(self) -> Any:
        """This thread's cursor (DuckDB connections are not shared by threads; a cursor per
        statement cost ~20 µs, benchmarks Tuning P4)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self.con.cursor()
        return cur

    def execute(
        self,
        sql: str,
        params: Sequence[Any],
        *,
        timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run one statement; past ``timeout`` seconds DuckDB is interrupted (:class:`QueryTimeout`),
        and as soon as ``cancel`` is set (:class:`QueryCancelled`, also when it was set before).
        ``words``: the text-search word columns it reads (Plan.words), computed first if pending."""
        if self.closed:
            raise QueryError(errors.DATABASE_CLOSED)
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        timeout_left = timeout
        if words and self.pending_words:
            start = time.monotonic()
            self.ready(words, cancel, timeout)
            if timeout is not None:
                # The words' time counts against the query's: its statement gets the rest.
                timeout_left = max(0.0, timeout - (time.monotonic() - start))
        cur = self._cursor()
        watched = timeout is not None or cancel is not None
        token = self.watchdog.watch(cur, timeout_left, cancel) if watched else None
        try:
            return cur.execute(sql, list(params)).fetchall()
        except duckdb.InterruptException:
            if cancel is not None and cancel.is_set():
                raise QueryCancelled("the query was cancelled") from None
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
        except duckdb.Error as exc:
            raise rejected(exc, self.path) from exc
        finally:
            if token is not None:
                self.watchdog.done(token)

    def stream(
        self, sql: str, params: Sequence[Any], *, batch: int = 1000, words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Start one statement now and hand its rows over in batches as they are read (a
        cursor of its own, closed at the end). No timeout: the reader sets the pace; setting
        ``cancel`` stops it (:class:`QueryCancelled`). ``words`` as for :meth:`execute`."""
        if self.closed:
            raise QueryError(errors.DATABASE_CLOSED)
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        if words:
            self.ready(words, cancel)
        cur = self.con.cursor()
        token = self.watchdog.watch(cur, None, cancel) if cancel is not None else None
        try:
            cur.execute(sql, list(params))
        except BaseException as exc:
            self._stream_end(cur, token)
            raise self._stream_error(exc, cancel) from None
        return self._batches(cur, token, batch, cancel)

    def _batches(
        self, cur: Any, token: int | None, batch: int, cancel: threading.Event | None
    ) -> Iterator[list[tuple[Any, ...]]]:
        try:
            while rows := self._fetch(cur, batch):
                if cancel is not None and cancel.is_set():
                    raise QueryCancelled("the query was cancelled")
                yield rows
        except duckdb.Error as exc:
            raise self._stream_error(exc, cancel) from None
        finally:
            self._stream_end(cur, token)

    def _fetch(self, cur: Any, batch: int) -> list[tuple[Any, ...]]:
        if self.closed:  # close() ended the result: DuckDB's 'No open result set' read as its fault
            raise QueryError(errors.DATABASE_CLOSED)
        return cur.fetchmany(batch)  # type: ignore[no-any-return]

    def _stream_end(self, cur: Any, token: int | None) -> None:
        if token is not None:
            self.watchdog.done(token)
        cur.close()

    def _stream_error(self, exc: BaseException, cancel: threading.Event | None) -> BaseException:
        if isinstance(exc, duckdb.InterruptException) or (cancel is not None and cancel.is_set()):
            return QueryCancelled("the query was cancelled")
        if isinstance(exc, duckdb.Error):
            return rejected(exc, self.path)
        return exc

    def explain(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> str:
        """DuckDB's plan for a statement, as text (EXPLAIN's rows hold the tree in their last column)."""
        rows = self.execute("EXPLAIN " + sql, params, timeout=timeout, words=words, cancel=cancel)
        return "\n".join(str(r[-1]).rstrip() for r in rows)

    def dataset(self) -> Dataset:
        """Everything stored, read back as a :class:`Dataset` (for the reference evaluator)."""
        if self.closed:
            raise QueryError(errors.DATABASE_CLOSED)
        with self.lock.shared():  # as a query (Database.run_reference holds it, timed)
            # This thread's cursor, or the store's connection inside a write (update's change),
            # whose open transaction it reads as before.
            con = self.con if self.lock.held_alone() else self._cursor()
            try:
                return self._dataset(con)
            except duckdb.Error as exc:  # a table dropped by hand
                raise rejected(exc, self.path) from None

    def _dataset(self, con: Any) -> Dataset:
        out = Dataset(self.schema)
        for name, cls in self.schema.classes.items():
            from querylang.engines.duckdb.layout import output_columns

            cols = output_columns(cls)
            collist = ", ".join(quote_ident(c) for c in cols)
            rows = con.execute(f"SELECT {collist} FROM {quote_ident(name)}").fetchall()
            out.records[name] = [stored_record(cls, decode_row(cls, cols, r)) for r in rows]
        for cls, f in self.schema.relations():
            edges = con.execute(f"SELECT owning_id, related_id FROM {quote_ident(join_table(cls.name, f.name))}")
            out.edges += [Edge(cls.name, f.name, o, r) for o, r in edges.fetchall()]
        return out

"""DuckDB storage: class tables, relation edge tables, the schema table; open, run, close.

Loads are loading.py's (a part of the Store), text-search words words.py's, what the Stores of
one process on one file share sharing.py's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from querylang import errors
from querylang.engines.duckdb import interrupts
from querylang.engines.duckdb.decode import (
    date_check,
    date_values,
    decode_row,
    page_decoder,
    stored_record,
)
from querylang.engines.duckdb.dialect import DUCKDB
from querylang.engines.duckdb.layout import (
    SCHEMA_TABLE,
    join_table,
    output_columns,
    quote_ident,
    stored_schema,
)
from querylang.engines.duckdb.loading import Loading
from querylang.engines.duckdb.paths import connect_file, damaged, damaged_error
from querylang.engines.duckdb.pipeline import LOADING_TABLE
from querylang.engines.duckdb.rejections import rejected, statement_rejected
from querylang.engines.duckdb.sharing import FileState, Shares, closing_last, hold, release
from querylang.engines.duckdb.words import TextWords
from querylang.engines.duckdb.writer import Writer
from querylang.engines.sql.statements import dangling_edges_sql
from querylang.engines.sql.watchdog import Watchdog
from querylang.errors import EngineError, QueryCancelled, QueryError, QueryTimeout
from querylang.interchange.document import Dataset, Edge
from querylang.model.schema import ClassDef, Schema

# --- the store ------------------------------------------------------------------------------

class Store(TextWords, Shares, Loading):
    """One DuckDB database holding querylang classes."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        self.dialect = DUCKDB  # how the compiler writes SQL for this store
        self.page_decoder = page_decoder  # a query's rows → its records at once (Queries._execute)
        self.date_values = date_values  # a distinct's or aggregate's dates checked (Summaries._dates)
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
        if self.path == ":memory:":
            # A database of its own, empty: nothing to read (a third of an empty connect's time).
            self._bookkeeping(self.con)
            return FileState(Schema(), set(), False)
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
        """A row of ``columns`` → its output record (the Engine's row decoder): a page of one row
        of :attr:`page_decoder`, which the queries use, so that one decoding path (and its
        check of Date columns altered by hand) is kept right."""
        page = self.page_decoder(cls, columns)
        return lambda row: page([row])[0]

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
        if self.lock.forked():
            self.closed = True  # the connection is the parent's: closing it here wrote the file
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
        except duckdb.Error as exc:
            if self.closed:  # by another thread, under the statement: DuckDB's words read as its fault
                raise QueryError(errors.DATABASE_CLOSED) from None
            if isinstance(exc, duckdb.InterruptException):
                if cancel is not None and cancel.is_set():
                    raise QueryCancelled("the query was cancelled") from None
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
            raise statement_rejected(exc, self.path, cur, self.schema.classes.values(), sql) from exc
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
            said = self._stream_error(exc, cancel)
            if isinstance(exc, duckdb.Error) and not isinstance(said, QueryCancelled) and not self.closed:
                said = statement_rejected(exc, self.path, cur, self.schema.classes.values(), sql)
            self._stream_end(cur, token)
            raise said from None
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
        self.lock.check_process()  # a stream opened before a fork: its cursor is the parent's
        return cur.fetchmany(batch)  # type: ignore[no-any-return]

    def _stream_end(self, cur: Any, token: int | None) -> None:
        if self.lock.forked():
            return  # the parent's, ended in a child: the watchdog's lock may have been held at the fork
        if token is not None:
            self.watchdog.done(token)
        cur.close()

    def _stream_error(self, exc: BaseException, cancel: threading.Event | None) -> BaseException:
        if self.closed and isinstance(exc, duckdb.Error):  # closed by another thread, as execute says
            return QueryError(errors.DATABASE_CLOSED)
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
            cols = output_columns(cls)
            collist = ", ".join(quote_ident(c) for c in cols)
            rows = con.execute(f"SELECT {collist} FROM {quote_ident(name)}").fetchall()
            date_check(cls, cols)(rows)
            out.records[name] = [stored_record(cls, decode_row(cls, cols, r)) for r in rows]
        for cls, f in self.schema.relations():
            edges = con.execute(f"SELECT owning_id, related_id FROM {quote_ident(join_table(cls.name, f.name))}")
            out.edges += [Edge(cls.name, f.name, o, r) for o, r in edges.fetchall()]
        return out

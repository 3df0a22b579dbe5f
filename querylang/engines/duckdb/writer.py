"""Writes on a DuckDB store: the shared rules of engines/sql/writer.py, with DuckDB's
transaction, row cells and table making."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

import duckdb

from querylang.engines.duckdb.cells import record_row
from querylang.engines.duckdb.decode import (
    altered_kinds,
    date_check,
    decode_row,
    stored_record,
    unread_dates,
)
from querylang.engines.duckdb.dialect import DUCKDB
from querylang.engines.duckdb.layout import class_columns, join_table, quote_ident
from querylang.engines.duckdb.rejections import dropped_column, missing_table, taken_table
from querylang.engines.sql.readers import ReadWriteLock, writing
from querylang.engines.sql.writer import SqlWriter
from querylang.errors import DEFINE_ELSEWHERE, INTERNAL_SERVER_ERROR, DataError, others_table
from querylang.model.change import Change
from querylang.model.schema import ClassDef, Schema

T = TypeVar("T")

CHANGED_NOTHING = "write failed, nothing was changed"

# What a write says when the store's close() closed its connection, as the PostgreSQL writer
# says it (Heartbeat.failure).
CLOSED_UNDER_WRITE = "write failed, nothing was changed: the database was closed (db.close() was called) while the write ran"
CLOSED_UNDER_COMMIT = ("the database was closed (db.close() was called) while the write was being committed: whether "
                       "it was saved is not known; read it again after connecting again")

# DuckDB's errors that say nothing of the written values.
NOT_THE_DATA = (duckdb.IOException, duckdb.OutOfMemoryException, duckdb.InternalException, duckdb.FatalException)


class DuckDBTables(Protocol):
    """What the writer needs of a :class:`~querylang.engines.duckdb.store.Store` (named here,
    not imported: the store opens its writer)."""

    schema: Schema
    closed: bool

    @property
    def read_only(self) -> bool: ...

    @property
    def lock(self) -> ReadWriteLock: ...

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def _rollback(self) -> None: ...

    def fill_pending(self) -> None: ...

    def _create_tables(self, old: Schema, new: Schema) -> None: ...

    def _write_schema(self, old: Schema, new: Schema) -> None: ...

    def _build_indexes(self, schema: Schema) -> None: ...


def _bindable(cols: list[tuple[str, str]], row: list[Any]) -> list[Any]:
    """Row cells as DuckDB parameters: MAP cells (lists of pairs for Arrow) become key/value dicts."""
    out = []
    for (_, t), cell in zip(cols, row, strict=True):
        if t.startswith("MAP(") and cell is not None:
            cell = {"key": [k for k, _ in cell], "value": [v for _, v in cell]}
        out.append(cell)
    return out


class Writer(SqlWriter[DuckDBTables]):
    """Record-level writes on a DuckDB store: create, save, delete, increment, relations, schema."""

    def __init__(self, store: DuckDBTables, lock_wait: float | None = None) -> None:
        super().__init__(store, DUCKDB)
        self.lock_wait = lock_wait  # for a load or another write of this process (readers.writing)
        self._statement = ""  # the last statement run, whose tables a failure's column is looked for first

    def _run(self, con: Any, sql: str, params: list[Any]) -> Any:
        self._statement = sql
        return super()._run(con, sql, params)

    def transaction(self, fn: Callable[[Any], T]) -> T:
        if self.store.read_only:  # as the PostgreSQL writer says it (DuckDB's own refusal names its statements)
            raise DataError("the database is open read-only: nothing was changed")
        if self.store.closed:  # DuckDB's ConnectionException came out of BEGIN, no QueryError
            raise DataError("the database is closed: nothing was changed")
        with writing(self.store.lock, self.lock_wait):
            con = self.store.con
            con.execute("BEGIN TRANSACTION")
            committing = False
            try:
                out = fn(con)
                committing = True
                con.execute("COMMIT")
            except BaseException as exc:
                if self.store.closed:
                    # close() (another thread's, or the change's own) closed the connection under
                    # the write, and its rollback would fail too; DuckDB keeps nothing uncommitted.
                    if not isinstance(exc, duckdb.Error):
                        raise
                    raise DataError(CLOSED_UNDER_COMMIT if committing else CLOSED_UNDER_WRITE,
                                    code=INTERNAL_SERVER_ERROR) from None
                self.store._rollback()
                table = taken_table(exc) if isinstance(exc, duckdb.Error) else None
                if table is not None:  # define_class on another application's DuckDB file
                    raise others_table(table, CHANGED_NOTHING, DEFINE_ELSEWHERE) from exc
                # The classes the failed statement names first: another class's table may lack a
                # column of the same name.
                classes = sorted(self.store.schema.classes.values(), key=lambda c: quote_ident(c.name) not in self._statement)
                said = dropped_column(exc, con, classes, CHANGED_NOTHING) if isinstance(exc, duckdb.Error) else None
                if said is not None:
                    raise said from None
                if isinstance(exc, duckdb.Error):
                    # A commit that cannot write its log (a full disk), or a failure of the
                    # engine itself, is not the record's fault: code 1, which serve answers as a
                    # server error (500) rather than a bad request (107).
                    code = INTERNAL_SERVER_ERROR if committing or isinstance(exc, NOT_THE_DATA) else None
                    raise DataError(f"{CHANGED_NOTHING}: {missing_table(exc) or exc}", code=code) from exc
                raise
            return out

    def modify(
        self, class_name: str, oid: str, change: Callable[[dict[str, Any]], Change], now: datetime,
        *, shown: bool | Collection[str] = True,
    ) -> dict[str, Any]:
        # ``change`` may run a text search on this database, which needs the words a load left
        # pending: computed inside the record's transaction they fail (DuckDB has no nested
        # transaction), would be unseen by the query's own cursor, and lost if change fails.
        # So every pending field is done first, committed on its own; under the store's lock
        # (re-entrant: transaction takes it again) no load makes more pending in between.
        with writing(self.store.lock, self.lock_wait):
            self._fill_pending()
            return super().modify(class_name, oid, change, now, shown=shown)

    def delete(self, class_name: str, oid: str, check: Callable[[dict[str, Any]], None] | None = None,
               *, shown: bool | Collection[str] = True) -> None:
        # ``check`` runs inside the delete's transaction, as update's change does (modify).
        if check is None:
            return super().delete(class_name, oid)
        with writing(self.store.lock, self.lock_wait):
            self._fill_pending()
            return super().delete(class_name, oid, check, shown=shown)

    def _fill_pending(self) -> None:
        if not self.store.read_only and not self.store.closed:
            self.store.fill_pending()

    def columns(self, cls: ClassDef) -> list[str]:
        return [c for c, _ in class_columns(cls)]

    def cells(self, cls: ClassDef, rec: Mapping[str, Any]) -> list[Any]:
        return _bindable(class_columns(cls), record_row(cls, rec))

    # DuckDB casts a date into a VARCHAR (its own text), DATE (the day alone) or TIMESTAMP WITH
    # TIME ZONE column altered by hand; a record whose cell there was NULL read back fine.
    checks_dates = True

    def written_dates(self, cls: ClassDef, types: Mapping[str, str], cells: Mapping[str, Any]) -> None:
        said = altered_kinds(cls, types, list(cells))
        if said is not None:
            raise said

    def unread_dates(self, cls: ClassDef, columns: list[str], row: Any) -> Any:
        return unread_dates(cls, columns, row)

    def stored_record(self, cls: ClassDef, columns: list[str], row: Any) -> dict[str, Any]:
        date_check(cls, columns)([row])
        return stored_record(cls, decode_row(cls, columns, row))

    def join_table(self, owner_class: str, key: str) -> str:
        return join_table(owner_class, key)

    def create_tables(self, con: Any, old: Schema, new: Schema) -> None:
        self.store._create_tables(old, new)
        self.store._write_schema(old, new)
        self.store._build_indexes(new)

"""Writes on a :class:`PostgresStore`: the shared rules of engines/sql/writer.py (the same
checks and meaning as the DuckDB store's), with PostgreSQL's transaction, row cells and table
making."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, Protocol, TypeVar

import psycopg
from psycopg import errors as pge

from querylang.engines.postgres.cells import row_cells
from querylang.engines.postgres.decode import decode_row, stored_record
from querylang.engines.postgres.dialect import POSTGRES, timeout_ms
from querylang.engines.postgres.heartbeat import Heartbeat
from querylang.engines.postgres.index_limit import too_long, write_error
from querylang.engines.postgres.layout import class_columns, join_table
from querylang.engines.postgres.notices import send_dirty
from querylang.engines.postgres.reach import Reach
from querylang.engines.postgres.server_errors import not_the_data, server_error, taken_table
from querylang.engines.sql.readers import ReadWriteLock, writing
from querylang.engines.sql.watchdog import Watchdog
from querylang.engines.sql.writer import SqlWriter
from querylang.errors import DEFINE_ELSEWHERE, DataError, QueryError, SchemaUnread, others_table
from querylang.model.change import Change
from querylang.model.schema import ClassDef, Schema

T = TypeVar("T")


class PostgresTables(Protocol):
    """What the writer needs of a :class:`~querylang.engines.postgres.store.PostgresStore` (named
    here, not imported: the store opens its writer)."""

    schema: Schema
    watchdog: Watchdog
    reach: Reach
    shown: str

    @property
    def read_only(self) -> bool: ...

    @property
    def closed(self) -> bool: ...

    @property
    def lock(self) -> ReadWriteLock: ...

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]: ...

    def create_tables(self, con: psycopg.Connection[Any], old: Schema, new: Schema) -> None: ...

    def build_indexes(self, con: psycopg.Connection[Any], schema: Schema) -> None: ...

    def stored_schema(self, con: psycopg.Connection[Any], change: bool = True) -> Schema: ...

    def refresh_schema(self, con: Any = None, *, out_of_reach: bool = False, why: bool = False) -> bool | None: ...


class Writer(SqlWriter[PostgresTables]):
    def __init__(self, store: PostgresTables, lock_wait: float | None = None) -> None:
        super().__init__(store, POSTGRES)
        # A write is not stopped by the query timeout, but waiting that long for a load or write
        # of this process, or for a lock another session holds (a LOCK TABLE, a long transaction) ends it: it held serve's one
        # database thread, and every request behind it, for as long as the lock was held.
        self.lock_wait = lock_wait

    others_read = True  # every process with a Database on the same server
    lock_read = " FOR UPDATE"  # and each may write the same record
    lock_target = " FOR KEY SHARE"  # or delete an edge's target (as a foreign key's check does)
    duplicate_key = (psycopg.errors.UniqueViolation,)  # or create a record with the same id

    def stored_schema(self, con: psycopg.Connection[Any], change: bool = True) -> Schema:
        return self.store.stored_schema(con, change)

    def class_now(self, con: psycopg.Connection[Any], cls: ClassDef) -> ClassDef:
        try:  # in a savepoint: a failed read leaves the write's transaction usable
            self.store.refresh_schema(con, why=True)
        except SchemaUnread as exc:
            # Refused (a lock on the schema table past the write's lock_wait): it said
            # the field was unknown, when another process may have just added it.
            raise SchemaUnread(f"class {cls.name}: the change names a field this "
                               f"process did not know, and {exc.message}") from None
        return self.store.schema.classes.get(cls.name, cls)

    def edges_dirtied(self, con: psycopg.Connection[Any], name: str) -> None:
        send_dirty(con, name)

    def called_back(self, con: psycopg.Connection[Any]) -> None:
        # A query in the callback set its own statement_timeout, LOCAL to the write's
        # transaction (Watched._set_timeout): a lock wait of the write after it would end as
        # that query's timeout, where the write has none.
        if getattr(con, "_ql_timeout", None):
            con.execute("SET LOCAL statement_timeout = 0")
            con._ql_timeout = None  # type: ignore[attr-defined]

    def transaction(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        if self.store.read_only:
            raise DataError("the database is open read-only: nothing was changed")
        if self.store.closed:  # the closed pool's refusal read as "the PostgreSQL server went away"
            raise DataError("the database is closed: nothing was changed")
        beat: Heartbeat | None = None
        with writing(self.store.lock, self.lock_wait):
            try:
                with self.store.connection() as con, Heartbeat(self.store.watchdog, con, self.store.reach) as beat, \
                        _limit_kept(con):
                    with con.transaction():
                        con.execute("SET LOCAL statement_timeout = 0")  # a query's timeout is not a write's
                        if self.lock_wait is not None:
                            con.execute(f"SET LOCAL lock_timeout = {timeout_ms(self.lock_wait)}")
                        done = fn(con)
                        beat.committing = True
                    return done
            except pge.LockNotAvailable:
                # Without a lock_wait the server's own lock_timeout (its database's, role's or the URL's) ended it.
                waited = "the server's lock_timeout" if self.lock_wait is None else f"{self.lock_wait:g} s"
                raise DataError(f"write failed, nothing was changed: it waited longer than {waited} for a "
                                "lock another connection holds", code=1) from None
            # A value the server refuses (too long for an index) is the record's fault: 107. A
            # permission denied or a server out of reach is not, and keeps the code a read's
            # failure has (1), which serve answers as a server error (500), not a bad request.
            except pge.InFailedSqlTransaction:
                # The writer's own statements fail at once: one that failed before them was a read
                # the change made, on this connection, whose error the change did not raise.
                raise DataError("write failed, nothing was changed: a read in update's change (or delete's check) "
                                "failed, which ended the write's transaction", code=1) from None
            except psycopg.Error as exc:
                failed = "write failed, nothing was changed"
                if beat is not None and (why := beat.failure(self.store.shown, failed, "the write", self.store.closed)):
                    raise DataError(why, code=1) from None
                if (table := taken_table(exc)) is not None:  # define_class on another application's database
                    raise others_table(table, failed, DEFINE_ELSEWHERE) from None
                err = server_error(exc, "the write")
                code = err.code if not_the_data(exc) else None
                raise DataError(f"write failed, nothing was changed: {err.message}", code=code) from exc
            except QueryError as exc:
                if isinstance(exc, DataError):
                    raise
                raise DataError(f"write failed, nothing was changed: {exc.message}", code=exc.code) from exc

    # A value too long for an index: the server's message names the index at most, and
    # "index row requires 300016 bytes" not even that; said here of the class, record and field.

    @contextmanager
    def _placed(self, class_name: str, oid: str | None, written: Callable[[], tuple[Any, list[str]]]) -> Iterator[None]:
        """``written()``: the fields the write set and the Relations whose edges it edited."""
        try:
            yield
        except DataError as err:
            if not too_long(err.__cause__):
                raise
            fields, edges = written()
            raise write_error(err.__cause__, self.store.schema, class_name, oid,  # type: ignore[arg-type]
                              fields if isinstance(fields, Mapping) else None, edges) from err.__cause__

    def create(self, class_name: str, fields: Mapping[str, Any], now: datetime) -> str:
        oid = fields.get("objectId") if isinstance(fields, Mapping) else None
        with self._placed(class_name, oid if isinstance(oid, str) else None, lambda: (fields, [])):
            return super().create(class_name, fields, now)

    def save(self, class_name: str, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        with self._placed(class_name, oid, lambda: (fields, [])):
            super().save(class_name, oid, fields, now)

    def modify(
        self, class_name: str, oid: str, change: Callable[[dict[str, Any]], Change], now: datetime,
        *, shown: bool | Collection[str] = True,
    ) -> dict[str, Any]:
        made: list[Any] = []

        def remembered(current: dict[str, Any]) -> Change:
            made.append(change(current))
            return made[-1]  # type: ignore[no-any-return]

        def written() -> tuple[Any, list[str]]:
            wanted = made[-1] if made else None
            if not isinstance(wanted, Change):
                return None, []
            edited = [k for edges in (wanted.add, wanted.remove) if isinstance(edges, Mapping) for k in edges]
            return wanted.fields, [k for k in edited if isinstance(k, str)]

        with self._placed(class_name, oid, written):
            return super().modify(class_name, oid, remembered, now, shown=shown)

    def columns(self, cls: ClassDef) -> list[str]:
        return [c for c, _ in class_columns(cls)]

    def cells(self, cls: ClassDef, rec: Mapping[str, Any]) -> list[Any]:
        return row_cells(cls, rec)

    def stored_record(self, cls: ClassDef, columns: list[str], row: Any) -> dict[str, Any]:
        return stored_record(cls, decode_row(cls, columns, row))

    def join_table(self, owner_class: str, key: str) -> str:
        return join_table(owner_class, key)

    def create_tables(self, con: psycopg.Connection[Any], old: Schema, new: Schema) -> None:
        self.store.create_tables(con, old, new)
        self.store.build_indexes(con, new)


@contextmanager
def _limit_kept(con: psycopg.Connection[Any]) -> Iterator[None]:
    """A write's transaction on ``con``, the thread's connection, keeping true the limit
    remembered on it (Watched._set_timeout): a query in update's change runs in the
    transaction, whose SET LOCAL of no limit it did not know of (a query of 1 s waited with
    none). What such a query sets is LOCAL to the transaction: the limit before it stands
    after it, committed or undone."""
    before = getattr(con, "_ql_timeout", None)
    con._ql_timeout = None  # type: ignore[attr-defined]  # unknown: a query in it sets its own
    try:
        yield
    finally:
        con._ql_timeout = before  # type: ignore[attr-defined]

"""Schema changes, and edge tables that gain an edge to a missing record, told to the other
processes.

A store notes at open which edge tables hold only edges between existing records
(``Schema.clean_joins``), and its relation queries then skip the existence checks. Another
process can make such a table unclean later (an edge to a record that does not exist yet).
So a write that does so sends a notice on DIRTY_CHANNEL in its transaction (delivered at the
commit), and every pooled connection listens. psycopg hands a notice over with the next
result read on that connection, or when a query is about to be planned and the notice is
already there (store.py's ``reading``, reach.py's ``gone``); the store drops the table from
its clean set, and a query that heard it with its rows is planned and run again
(schema_refresh.py, ``_planned``). The committing backend signals the listening ones before
its own client hears of the commit, and a listening backend passes the notice on before the
next statement it reads, or before the end of the one it is running. A statement run in the
instant between the commit and the signal has its rows handed over without it; the next
statement brings it (docs/postgres.md states this limit). A stream is not run again either:
its rows are handed over as they are read.

Schema changes are told the same way, on SCHEMA_CHANNEL, by every transaction that writes the
stored schema (store.py's ``create_tables``: ``define_class``, ``add_field``, a load, serve's
``PUT /config``): the store marks its schema stale and reads it again before its next query is
planned, or after the statement that heard the notice (whose query is then planned and run
again). A query naming a class or field the store does not know reads the stored schema once
before refusing (schema_refresh.py, ``knowing``), so a class or field another process just added never depends on
when the notice arrives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import errors as pge

from querylang.engines.postgres.server_errors import connection_lost, first_line
from querylang.errors import DataError, QueryError, SchemaUnread
from querylang.model.schema import Schema

DIRTY_CHANNEL = "querylang_dirty"
SCHEMA_CHANNEL = "querylang_schema"


def send_dirty(con: Any, name: str) -> None:
    """Inside a write's transaction: edge table ``name`` (of this connection's schema) may now
    hold an edge to a missing record."""
    con.execute("SELECT pg_notify(%s, current_schema() || '.' || %s)", [DIRTY_CHANNEL, name])


def send_schema(con: Any) -> None:
    """Inside a schema change's transaction: the stored schema of this connection's schema
    changes (the server delivers one notice per transaction for the same payload)."""
    con.execute("SELECT pg_notify(%s, current_schema())", [SCHEMA_CHANNEL])


def on_standby(con: Any) -> bool:
    """Whether ``con`` is to a hot standby (a read replica), which refuses LISTEN ("cannot execute
    LISTEN during recovery": every connection failed, and with them the open) and would never
    deliver a notice: PostgreSQL does not replicate them."""
    said = con.info.parameter_status("in_hot_standby")  # told at connect by PostgreSQL 14+
    if said is not None:
        return bool(said == "on")
    return bool(con.execute("SELECT pg_is_in_recovery()").fetchone()[0])


def listen(con: Any) -> None:
    """A new pooled connection's LISTEN for both channels (a statement the server may refuse:
    reach.py's set_up_refused); on a standby, nothing."""
    if not on_standby(con):
        con.execute(f"LISTEN {DIRTY_CHANNEL}")
        con.execute(f"LISTEN {SCHEMA_CHANNEL}")


def hear(con: Any, on_table: Any, on_schema: Any) -> None:
    """Make a connection that listens call ``on_table(payload)`` for each dirty-edge notice it
    receives (the payload is ``<schema>.<edge table>``), ``on_schema(payload)`` for each schema
    notice (the payload is ``<schema>``)."""
    def heard(n: Any) -> None:
        if n.channel == DIRTY_CHANNEL:
            on_table(n.payload)
        elif n.channel == SCHEMA_CHANNEL:
            on_schema(n.payload)

    con.add_notify_handler(heard)


class Heard:
    """The notices a store's pooled connections heard (psycopg calls :meth:`table` and
    :meth:`schema` as it reads a result), taken by the next statement's thread; ``any`` is the
    one flag a query checks."""

    def __init__(self) -> None:
        self.any = False
        self._tables: set[str] = set()
        self._schemas: set[str] = set()
        self._lock = threading.Lock()

    def table(self, payload: str) -> None:
        with self._lock:
            self._tables.add(payload)
            self.any = True

    def schema(self, payload: str) -> None:
        with self._lock:
            self._schemas.add(payload)
            self.any = True

    def take(self, home: str, reread: Callable[[], bool]) -> set[str]:
        """The edge tables (of the database schema ``home``) heard of as unclean, after
        ``reread()`` read the schema again when a schema notice came (False: it could not be
        read, and the notice is kept for the next query)."""
        with self._lock:
            tables, schemas = self._tables, self._schemas
            self._tables, self._schemas, self.any = set(), set(), False
        try:
            if home in schemas and not reread():
                self.schema(home)
        except BaseException:  # the server out of reach: all of it kept for the next query
            with self._lock:
                self._tables |= tables
                self._schemas |= schemas
                self.any = True
            raise
        prefix = home + "."
        return {n[len(prefix):] for n in tables if n.startswith(prefix)}


class Listening:
    """What a store (PostgresStore) does with the notices its pooled connections heard."""

    schema: Schema
    heard: Heard
    changes: int  # the store's writes and loads, and schema changes heard (db.reference's data)
    _pg_schema: str
    # The schema as stored (this store's own object when it is the same), read on the given
    # connection or this thread's, under a query's timeout and cancel: the store's method
    # (PostgresStore._stored_now).
    _stored_now: Callable[..., Schema]

    def _apply_notices(self, con: Any, timeout: float | None = None, cancel: threading.Event | None = None) -> None:
        """What notices told: the schema read again, edge tables left out of ``clean_joins`` (a
        new schema object: the query is planned again when the one it planned with was replaced).
        Before a query's statement (no ``con``), the read is the query's: its ``timeout`` and
        ``cancel`` bound it."""
        # Before a query's statement, a server out of reach is the query's error, as its
        # statement would meet it: the re-read's own cut, not a new connection's.
        dirty = self.heard.take(self._pg_schema, lambda: self.refresh_schema(
            con, out_of_reach=con is None, timeout=timeout, cancel=cancel) is not None)
        if dirty & self.schema.clean_joins:
            self.schema = replace(self.schema, clean_joins=self.schema.clean_joins - dirty)

    def refresh_schema(self, con: Any = None, *, out_of_reach: bool = False, timeout: float | None = None,
                       cancel: threading.Event | None = None, why: bool = False) -> bool | None:
        """Read the stored schema again (another process may have added a class or a field) on
        ``con`` or this thread's connection, within a query's ``timeout`` and ``cancel``:
        whether it replaced this store's (None: not read for want of a connection;
        ``out_of_reach``: a server out of reach, or the read past its timeout, raises its QueryError;
        ``why``: a read the server refused, keeping the session, raises SchemaUnread)."""
        try:
            new = self._stored_now(con, timeout, cancel)
        except pge.UndefinedTable:  # no load or schema change yet
            return False
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if why and (said := unread(exc)) is not None:
                raise said from None
            return None  # the connection failed: the next query reads it
        except (psycopg.Error, DataError) as exc:
            # Not readable (a permission taken away, a newer version's schema): kept as it was,
            # and said when asked why (it was a silent "unchanged").
            if why and (said := unread(exc)) is not None:
                raise said from None
            return False
        except QueryError:
            if out_of_reach:
                raise
            return None  # the server out of reach (reach.py)
        changed, self.schema = new is not self.schema, new
        if changed:  # db.reference reads the data again, with the new schema (api.py), as ParseStore's does
            self.changes += 1
        return changed


def unread(exc: BaseException) -> SchemaUnread | None:
    """What a schema read again that the server refused, keeping the session, says (a lock on
    the schema table past lock_timeout, out of memory, a permission taken away), or that
    querylang could not read (a DataError: a newer version's schema): the caller's "no such
    field" would be a guess, as the read failed. None for a connection that failed (the next
    query reads it). ``exc``: the driver's error, or the QueryError a statement's made of it."""
    if isinstance(exc, DataError) and not isinstance(exc.__cause__, psycopg.Error):
        return SchemaUnread(f"the schema could not be read again: {exc.message}")
    failed = exc if isinstance(exc, psycopg.Error) else exc.__cause__
    if isinstance(failed, psycopg.Error) and failed.sqlstate and not connection_lost(failed):
        return SchemaUnread(f"the schema could not be read again: {first_line(failed)}")
    return None

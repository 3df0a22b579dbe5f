"""PostgreSQL storage: the same classes, edges and schema table as the DuckDB store, on a
server, through a pool of connections so that many readers run at once.

The public methods have the DuckDB Store's names (load, execute, ready, dataset, close, lock,
writer); records become rows with the DuckDB store's cell functions (record_row), adapted to
PostgreSQL types (jsonb path maps, aware UTC dates) in cells.py.

* Loads: one transaction on one connection, records and edges through COPY; a failure rolls
  everything back (nothing half-written) and says why. Writes: each one transaction (writer.py).
* Reads: each thread's own pooled connection; the server cancels a statement past the timeout.
  Session: UTC, DateStyle ISO, doubles exact, dates bound aware: nothing is the server's default.
* ``lock``: shared by queries (plan and rows from one schema), exclusive for loads and writes
  that change the schema or the data the reference evaluator reads.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pge
from psycopg.conninfo import conninfo_to_dict

from querylang.engines.postgres.bounds import QueryBounds
from querylang.engines.postgres.bulk_copy import load_failed
from querylang.engines.postgres.cells import bind_param, row_cells
from querylang.engines.postgres.column_types import altered
from querylang.engines.postgres.decode import (
    IsoBinaryLoader,
    IsoLoader,
    decode_row,
    make_decoder,
    stored_record,
)
from querylang.engines.postgres.dialect import MAX_PARAMS, POSTGRES, POSTGRES_ISO
from querylang.engines.postgres.directory_load import check_directory, load_directory
from querylang.engines.postgres.document_load import document_fill
from querylang.engines.postgres.heartbeat import Heartbeat
from querylang.engines.postgres.interrupt import Interrupt, NoAnswer, cut
from querylang.engines.postgres.iso_text import dates_stored_as_text, iso_function
from querylang.engines.postgres.layout import (
    NULLS_COLUMN,
    SCHEMA_TABLE,
    check_column_count,
    class_columns,
    field_columns,
    id_index_sql,
    iso_columns,
    join_table,
    output_columns,
    quote,
)
from querylang.engines.postgres.layout import stored_schema as schema_of_rows
from querylang.engines.postgres.notices import (
    Heard,
    Listening,
    hear,
    listen,
    send_dirty,
    send_schema,
)
from querylang.engines.postgres.passwords import hide_password
from querylang.engines.postgres.reach import (
    LOOKED_LATELY,
    Held,
    Reach,
    check_idle,
    gone,
    pool_connection,
    set_up,
)
from querylang.engines.postgres.schema_lock import (
    lock_schema_table,
    locked_at_open,
    make_schema_table,
    open_reads,
    refuse_own_streams,
)
from querylang.engines.postgres.search_path import home_schema, no_schema, refuse_parse_tables
from querylang.engines.postgres.server_errors import (
    connection_lost,
    first_line,
    query_error,
    session_goes_on,
)
from querylang.engines.postgres.watched import Watched, in_write
from querylang.engines.sql.presses import OnCommit, held_off
from querylang.engines.sql.readers import ReadWriteLock
from querylang.engines.sql.statements import dangling_edges_sql
from querylang.engines.sql.watchdog import Watchdog
from querylang.errors import (
    DATABASE_CLOSED,
    DataError,
    LoadedThenInterrupted,
    QueryCancelled,
    QueryError,
    QueryTimeout,
)
from querylang.interchange.directory import is_directory
from querylang.interchange.document import Dataset, Edge
from querylang.model.schema import ClassDef, Schema

T = TypeVar("T")
# A load's work in its transaction: (connection, stored schema) -> (new schema, records per class).
Fill = Callable[[psycopg.Connection[Any], Schema], tuple[Schema, dict[str, int]]]
POOL_SIZE = 16  # connections at most: one per thread that queries at the same time


class PostgresStore(Watched, Listening):
    """querylang classes in one PostgreSQL database (``postgresql://user@host:port/dbname``)."""

    # Statements' results in PostgreSQL's binary format: the server sends a double's eight
    # bytes instead of printing its shortest decimal, and the client reads them without
    # parsing text (measured in the PostgreSQL results' Tuning). Every type this layout
    # selects has a binary loader giving the value the text one gives.
    binary_rows = True
    changes = 0  # writes and loads through its Database (api.py's reference evaluator)
    schema_table_name = SCHEMA_TABLE  # the table the schema is read from (the open's error names it)

    def __init__(
        self, url: str, *, read_only: bool = False, pool_size: int = POOL_SIZE, connect_timeout: float = 10,
        shown: str | None = None,
    ) -> None:
        self.path = url
        self.url = url
        # What messages call the database: the target as the user gave it (``shown``, when
        # ``url`` is one made from it), never with its password.
        self.shown = hide_password(shown or url, shown or url)
        self.dialect = POSTGRES_ISO  # POSTGRES for tables made before dates were stored as text (_read_schema)
        self.read_only = read_only
        self.closed = False
        self.lock = ReadWriteLock()  # many queries at once, or one load or write
        self.bounds = QueryBounds(self.lock)  # each thread's query's, for the reads beside its statements
        self.watchdog = Watchdog()  # acts on a cancel= event (timeouts are the server's)
        self._local = threading.local()
        self._held: weakref.WeakSet[Held] = weakref.WeakSet()
        self.pending_words: set[tuple[str, str]] = set()  # loads and writes compute words at once
        # Notices of schema changes and of edge tables others made unclean (notices.py), applied
        # by the next statement's thread; the schema they are of (a search_path may choose it).
        self.heard = Heard()
        # Streams not yet ended: id → (the thread that opened it, its server pid, its connection).
        self._streams: dict[int, tuple[int, int, psycopg.Connection[Any]]] = {}
        self._pg_schema = ""
        try:
            # Options given in the URL (a search_path, say) are kept; the time zone, the date
            # style and the float digits are ours: values read as text (the reference's data,
            # a record a write reads back, a date past year 9999) are parsed as ISO dates and
            # exact doubles, which a database's or role's settings could change (ALTER
            # DATABASE ... SET DateStyle = 'German'; extra_float_digits below 1 rounds doubles
            # to 15 digits, 3 is exact on every version: the shortest form from PostgreSQL 12,
            # 17 digits before). Text goes both ways in UTF-8, whatever PGCLIENTENCODING or the
            # URL says (psycopg would encode in another and fail on any character outside it).
            params = conninfo_to_dict(url)
            given = params.get("options") or ""
            # autocommit: a read is one statement, no BEGIN/ROLLBACK around it; loads and
            # writes open their transactions themselves (con.transaction()).
            kwargs: dict[str, Any] = {"options": f"{given} -c TimeZone=UTC -c DateStyle=ISO -c extra_float_digits=3".strip(),
                                      "client_encoding": "UTF8", "autocommit": True}
            # One the URL or PGCONNECT_TIMEOUT gives is the user's (it was replaced, a bad one taken).
            if "connect_timeout" not in params and not os.environ.get("PGCONNECT_TIMEOUT"):
                kwargs["connect_timeout"] = max(1, int(connect_timeout))
            # One connection first, set up as the pool's: its error says what is wrong (the pool would only time out).
            probe = set_up(url, kwargs, self.configure)
        except psycopg.Error as exc:
            raise DataError(f"cannot connect to PostgreSQL at {self.shown}: {hide_password(first_line(exc), shown or url)}") from None
        except Exception as exc:  # a malformed URL
            raise DataError(f"cannot connect to PostgreSQL at {self.shown}: {hide_password(str(exc), shown or url)}") from None
        encoding = probe.info.parameter_status("server_encoding")
        probe.close()
        if encoding == "SQL_ASCII":
            # No encoding at all: text comes back as bytes, and the server's string functions
            # and regexes count bytes, not characters, so answers would differ.
            raise DataError(f"the PostgreSQL database at {self.shown} has the encoding SQL_ASCII; querylang "
                            "needs one that knows characters (CREATE DATABASE ... ENCODING 'UTF8')")
        # Two connections made at once: a second reader thread starts without waiting for one.
        self.reach = Reach(url, kwargs, self.shown, connect_timeout)
        self.reach.lent = lambda: bool(self._streams) or any(not held.done for held in list(self._held))
        self.pool = self.reach.pool(min(2, pool_size), pool_size, self.configure, check_idle, self.set_up_statements)
        beat: Heartbeat | None = None  # no timeout here: a server silent since the probe held the open
        try:
            with self.connection() as con, Heartbeat(self.watchdog, con, self.reach) as beat, con.transaction():
                open_reads(con)  # not a query's: no statement_timeout, a bounded lock wait
                found = con.execute("SELECT to_regclass(%s)", [quote(SCHEMA_TABLE)]).fetchone()
                if found is None or found[0] is None:
                    self._refuse_parse_tables(con)
                self._pg_schema = home_schema(con, self.shown)
                self.schema = self._read_schema(con)
        except BaseException as exc:
            self.close()
            if isinstance(exc, pge.InvalidSchemaName):  # "no schema has been selected to create in"
                raise DataError(no_schema(self.shown)) from None
            if isinstance(exc, psycopg.Error):
                opening = f"cannot open the PostgreSQL database at {self.shown}"
                if isinstance(exc, pge.LockNotAvailable):  # the schema's read (an edge table's check goes on)
                    raise DataError(f"{opening}: {locked_at_open(self.schema_table_name)}") from None
                why = beat.failure(self.shown, opening, "the open") if beat is not None else None
                raise DataError(why or f"{opening}: {hide_password(first_line(exc), shown or url)}") from None
            raise

    def _refuse_parse_tables(self, con: psycopg.Connection[Any]) -> None:
        refuse_parse_tables(con, self.shown)  # search_path.py; ParseStore reads them instead

    # --- connections ----------------------------------------------------------------------

    def _thread_connection(self) -> Held:
        """This thread's connection: taken from the pool on the thread's first statement and
        kept until the thread ends (a checkout per statement cost ~0.5 ms, as much as a
        small query). Refused in a child forked after the open (the schema's read takes no lock)."""
        self.lock.check_process()
        held: Held | None = getattr(self._local, "held", None)
        if held is not None and (held.con.closed or time.monotonic() - held.looked >= LOOKED_LATELY and gone(held.con)):
            self._drop(held)
            held = None
        if held is None:
            con = self.reach.getconn(self.pool)
            held = self._local.held = Held(self.pool, con)
            self._held.add(held)
        return held

    def _drop(self, held: Held) -> None:
        """A connection that failed goes back to the pool, which drops it if broken."""
        self._local.held = None
        held.release()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's connection (:meth:`_thread_connection`), given back if it broke; kept
        when the server only refused a statement on it (session_goes_on: a lock_timeout, out of
        a resource), which psycopg files under OperationalError too."""
        held = self._thread_connection()
        try:
            yield held.con
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if not session_goes_on(exc, held.con):
                self._drop(held)
            raise

    def set_up_statements(self, con: psycopg.Connection[Any]) -> None:
        """The statements of a new connection's set-up, what the server may refuse (reach.py
        runs only these on its probe): JIT off (reach.pool_connection says why), the LISTENs."""
        pool_connection(con)
        listen(con)

    def configure(self, con: psycopg.Connection[Any]) -> None:
        """How the pool's connections read values, and that they hear of other processes' schema
        changes and unclean edge tables (each new connection, once); its discard is not logged."""
        self.set_up_statements(con)
        con.adapters.register_loader("timestamptz", IsoLoader)
        con.adapters.register_loader("timestamptz", IsoBinaryLoader)
        hear(con, self.heard.table, self.heard.schema)
        # A connection made after the open (the pool grows, or replaces one the server cut) did
        # not hear the changes made before it listened: the next query reads the schema again.
        if self._pg_schema:
            self.heard.schema(self._pg_schema)

    def _stored_now(self, con: psycopg.Connection[Any] | None, timeout: float | None = None,
                    cancel: threading.Event | None = None) -> Schema:
        """The schema as stored, read on ``con`` (inside a statement's watch) or this thread's
        connection, under the watch of the query it is read for (its ``timeout`` and
        ``cancel``: _watched), cut as a query is if the server stops answering (notices.py)."""
        def read(on: psycopg.Connection[Any]) -> Schema:
            with on.transaction():  # inside a write's transaction (a query in update's change), a savepoint
                return self._known(self._schema_table(on))
        if con is not None:
            return read(con)
        mine = self._thread_connection().con
        return self._watched(mine, lambda: read(mine), timeout, cancel)

    def reading(self, timeout: float | None = None, cancel: threading.Event | None = None) -> AbstractContextManager[None]:
        """One query's hold (plan and rows, api.py): the lock's shared side, after the notices (and
        ParseStore's _SCHEMA check, _check_schema) that planning must know."""
        self.lock.check_process()  # the notices are read on the connection, before the lock
        if not self.heard.any:
            self._hear_waiting()
        self._check_schema(timeout, cancel)
        if self.heard.any:
            began = time.monotonic()
            self._apply_notices(None, timeout, cancel)
            if timeout is not None:  # the wait for a writer has what the read left
                timeout = max(0.0, timeout - (time.monotonic() - began))
        return self.lock.shared(timeout, cancel)  # the wait for a writer is the query's

    def _check_schema(self, timeout: float | None, cancel: threading.Event | None) -> None:
        """Nothing: notices tell this layout (ParseStore checks _SCHEMA)."""

    def _hear_waiting(self) -> None:
        """The notices come to this thread's idle connection, read with no round trip (gone),
        unless a statement's answer came on it a moment ago (LOOKED_LATELY): that answer was
        a look, and a notice sent since comes with the next statement's rows, whose schema
        change plans the query again (writes.py, _planned)."""
        if (held := getattr(self._local, "held", None)) is not None and time.monotonic() - held.looked >= LOOKED_LATELY:
            if gone(held.con):
                self._drop(held)  # as the statement's look would (the goodbye read here is not there to read again)
            else:
                held.looked = time.monotonic()

    def close(self) -> None:
        self.closed = True
        if self.lock.forked():
            return  # the pool's connections are the parent's: closing one here ended its session
        self.reach.close()
        self.watchdog.close()
        for held in list(self._held):
            held.release()
        # A stream not ended held its read transaction and the class's lock while the caller kept
        # it: its socket shut (not closed: a thread may wait on it), the server ends its session.
        for _, _, con in list(self._streams.values()):
            cut(con)
        self.pool.close()

    def decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Rows of ``columns`` → output records (dates come as ISO text already, decode.py)."""
        return make_decoder(cls, columns, lambda: self.altered_column(cls))  # type: ignore[no-any-return]

    def altered_column(self, cls: ClassDef) -> QueryError | None:
        """A cell could not be decoded (or an aggregate's value was no double): the error naming a
        column altered by hand (column_types.py), or None. Within the query's timeout and cancel
        (it waited for as long as another session locked the catalog): past them, the query's error."""
        timeout, cancel = self.bounds.now()
        try:
            with self.connection() as con:
                return self._watched(con, lambda: altered(con, cls), timeout, cancel)
        except (QueryTimeout, QueryCancelled, NoAnswer):
            raise
        except (psycopg.Error, QueryError):
            return None

    def writer(self, lock_wait: float | None = None) -> Any:
        from querylang.engines.postgres.writer import Writer

        return Writer(self, lock_wait)

    # --- schema -----------------------------------------------------------------------------

    def _read_schema(self, con: psycopg.Connection[Any]) -> Schema:
        """The schema as stored, and the dialect that reads its tables."""
        try:
            with con.transaction():
                schema = self._schema_table(con)
        except pge.UndefinedTable:
            return Schema()
        if not dates_stored_as_text(con, schema):
            self.dialect = POSTGRES
        return replace(schema, clean_joins=self._clean_joins(con, schema))

    def _schema_table(self, con: psycopg.Connection[Any]) -> Schema:
        rows = con.execute(f"SELECT class_name, definition FROM {quote(SCHEMA_TABLE)} ORDER BY class_name").fetchall()
        return schema_of_rows(self.shown, rows)

    def stored_schema(self, con: psycopg.Connection[Any], change: bool = True) -> Schema:
        """The schema as stored now, read in the caller's (a load's or a schema change's)
        transaction after locking the schema table until it ends: another process may have
        added classes or fields since this one read it, and definitions written from the older
        copy dropped them (their columns stayed, out of reach, and could not be added again).
        Schema changes of all processes take turns on that lock; readers are not held. Not
        ``change`` (a delete, which needs every Relation naming its class): a lock that waits
        for schema changes but not for other deletes (schema_lock.py)."""
        make_schema_table(con)
        lock_schema_table(con, change)
        return self._known(self._schema_table(con))

    def _known(self, stored: Schema) -> Schema:
        """The stored schema, with what this store knows of its edge tables (its own schema
        object when nothing changed)."""
        if stored == self.schema:
            return self.schema
        # An edge table another process made is not known to be clean (never checked here).
        joins = {join_table(c.name, f.name) for c, f in stored.relations()}
        return replace(stored, clean_joins=self.schema.clean_joins & joins)

    def _clean_joins(self, con: psycopg.Connection[Any], schema: Schema) -> frozenset[str]:
        """The edge tables in which every edge's owner and target record exist."""
        clean = set()
        for cls, f in schema.relations():
            name = join_table(cls.name, f.name)
            try:
                with con.transaction():
                    row = con.execute(dangling_edges_sql(quote(name), quote(cls.name), quote(f.target or ""))).fetchone()
            except psycopg.Error:
                continue  # not readable (permissions): not known to be clean; queries check targets
            if row is not None and not row[0]:
                clean.add(name)
        return frozenset(clean)

    def create_tables(self, con: psycopg.Connection[Any], old: Schema, new: Schema) -> None:
        """The tables, columns and indexes ``new`` adds to ``old`` (in the caller's transaction)."""
        function = functools.cache(lambda: iso_function(con, self._pg_schema))  # made once, if a date needs it
        for name, cls in new.classes.items():
            prev = old.classes.get(name)
            check_column_count(cls)
            t = quote(name)
            if prev is None:
                cols = class_columns(cls)
                defs = ", ".join(f"{quote(c)} {ty}" for c, ty in cols + iso_columns(cols, function))
                con.execute(f"CREATE TABLE {t} ({defs})")
            added = [f for f in cls.user_fields if prev is None or f.name not in prev.fields]
            if prev is not None and any(field_columns(f) for f in added):
                me = threading.get_ident()
                refuse_own_streams(con, name, [pid for thread, pid, _ in list(self._streams.values()) if thread == me])
            if prev is not None:
                for f in added:
                    cols = field_columns(f)
                    for c, ty in cols + iso_columns(cols, function):
                        con.execute(f"ALTER TABLE {t} ADD COLUMN {quote(c)} {ty}")
            for f in added:
                if f.type == "Relation":
                    jt = quote(join_table(name, f.name))
                    con.execute(f'CREATE TABLE IF NOT EXISTS {jt} (owning_id text COLLATE "C" NOT NULL, '
                                'related_id text COLLATE "C" NOT NULL)')
            if old.classes.get(name) != cls:
                con.execute(
                    f"INSERT INTO {quote(SCHEMA_TABLE)} VALUES (%s, %s) ON CONFLICT (class_name) "
                    "DO UPDATE SET definition = excluded.definition",
                    [name, json.dumps(cls.to_json())],
                )
                send_schema(con)  # the other processes read it again (notices.py)

    def build_indexes(self, con: psycopg.Connection[Any], schema: Schema) -> None:
        """objectId (unique), each Pointer, both ends of each edge table, and a GIN index on each
        Array's element keys (equalTo/containedIn/all on arrays); existing ones are kept."""
        for name, cls in schema.classes.items():
            t = quote(name)
            con.execute(id_index_sql(name))
            for f in cls.user_fields:
                if f.type == "Pointer":
                    con.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'ix:{name}:{f.name}')} ON {t} ({quote(f.name)})")
                elif f.type == "Array":
                    con.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'ix:{name}:{f.name}:e')} ON {t} "
                                f"USING gin ({quote(f.name + ':e')})")
                elif f.type == "Relation":
                    jt = quote(join_table(name, f.name))
                    con.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'ix:{name}:{f.name}:owning')} ON {jt} (owning_id)")
                    con.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'ix:{name}:{f.name}:related')} ON {jt} (related_id)")

    # --- load -------------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any], progress: Any = None, on_commit: OnCommit | None = None) -> dict[str, int]:
        """Add a whole interchange document, all or nothing; returns records per class.
        ``on_commit(counts)`` is called as it is saved, with Ctrl-C still held off (presses.py)."""
        if self.read_only:
            raise DataError("the database is open read-only: nothing was loaded")
        if self.closed:  # the closed pool's refusal read as "the PostgreSQL server went away"
            raise DataError("the database is closed: nothing was loaded")
        with self.lock:
            if is_directory(source):
                fill = self._directory_fill(Path(source), progress)  # type: ignore[arg-type]
            else:
                fill = document_fill(self, source, progress)
            beat: Heartbeat | None = None
            pressed: list[int] = []
            try:
                with contextlib.ExitStack() as committed:
                    with self.connection() as con, Heartbeat(self.watchdog, con, self.reach) as beat, con.transaction():
                        con.execute("SET LOCAL statement_timeout = 0")  # a query's timeout is not a load's
                        schema, counts = fill(con, self.stored_schema(con))
                        clean = self._clean_joins(con, schema)
                        # Other processes may take an edge table for clean that this load left
                        # unclean (notices.py); a notice of a table one already knew is nothing.
                        joins = {join_table(c.name, f.name) for c, f in schema.relations()}
                        for name in sorted(joins - clean):
                            send_dirty(con, name)
                        beat.committing = True
                        # From the COMMIT on the load is saved: a press meanwhile is raised once
                        # this process's schema, and the caller (on_commit), say so
                        # (LoadedThenInterrupted).
                        committed.enter_context(held_off(pressed))
                    self.schema = replace(schema, clean_joins=clean)
                    if on_commit is not None:
                        on_commit(counts)
            except (psycopg.Error, QueryError) as exc:
                failed = "load failed, nothing was loaded"
                if beat is not None and (why := beat.failure(self.shown, failed, "the load", self.closed)):
                    raise DataError(why, code=1) from None
                if isinstance(exc, psycopg.Error):
                    raise load_failed(exc) from None
                if isinstance(exc, DataError):
                    raise
                # No connection to load on (the server out of reach, reach.py): said as the
                # load's other failures are, with a read's code (not the data's fault).
                raise DataError(f"load failed, nothing was loaded: {exc.message}", code=exc.code) from None
            if pressed:
                raise LoadedThenInterrupted(counts)
            return counts

    def _directory_fill(self, path: Path, progress: Any) -> Fill:
        """A directory's load, read a part at a time inside the transaction (directory_load.py):
        only schema.json and the file names are checked before."""
        classes = check_directory(path)
        return lambda con, old: load_directory(self, con, path, classes, old, progress)

    # --- reading ----------------------------------------------------------------------------

    def ready(self, words: Iterable[tuple[str, str]]) -> None:
        """Text-search words are written with every record here: nothing is ever pending."""

    def execute(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run one statement on this thread's connection; past ``timeout`` seconds the server
        cancels it (statement_timeout, :class:`QueryTimeout`); a set ``cancel`` cancels it
        through the server's cancel protocol (:class:`QueryCancelled`)."""
        if self.closed:
            raise QueryError(DATABASE_CLOSED)
        if len(params) > MAX_PARAMS:
            raise QueryError(f"the query binds {len(params)} values; PostgreSQL takes at most {MAX_PARAMS:,}")
        # Set already: the watchdog would see it only after a short statement has answered.
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        bound = [bind_param(p) for p in params]
        # No context managers on this path: a query of a few rows costs the client about as
        # much as the server, so each layer shows in the time a small query takes.
        held = self._thread_connection()
        con = held.con
        # The server stops the statement at its timeout; the watchdog cuts the connection if
        # the server does not answer even GRACE s later (interrupt.py), the SET of the timeout too.
        stop, token, beat = self._watch(con, timeout, cancel)
        try:
            self._set_timeout(con, timeout)
            rows = held.statements.run(sql, bound, self.binary_rows)
            held.looked = time.monotonic()  # the answer: a query right after it need not poll (_hear_waiting)
            if self.heard.any:
                self._apply_notices(con)
            return rows
        except psycopg.Error as exc:
            # Forgotten by the watchdog before the connection goes back to the pool: a cut or a
            # cancel after that would hit whichever statement runs on it next (not again below).
            if stop is not None:
                stop.end()
            if token is not None:
                self.watchdog.done(token)
                token = None
            watched, beat = beat, None
            if watched is not None:
                watched.__exit__()
            if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) and not in_write(con) and \
                    not self._still_usable(exc, con, stop, watched):
                self._drop(held)
                if self._said_goodbye(exc, held, stop, watched, cancel):
                    # This class's: a subclass's execute (parse_store.py) wraps this call already.
                    return PostgresStore.execute(self, sql, params, timeout=timeout, words=words, cancel=cancel)
            self._failed(exc, stop, watched, timeout, cancel)
        finally:
            # Ended before the watch is: a deadline reached as the answer came cuts nothing.
            if stop is not None:
                stop.end()
            if token is not None:
                self.watchdog.done(token)
            if beat is not None:
                self._unwatch(con, beat)
            # Cut as the answer came, before its end: the answer stands, the next statement
            # takes another connection rather than failing on this one.
            if stop is not None and stop.cut and getattr(self._local, "held", None) is held and not in_write(con):
                self._drop(held)

    def _said_goodbye(self, exc: psycopg.Error, held: Held, stop: Interrupt | None, beat: Heartbeat | None,
                      cancel: threading.Event | None) -> bool:
        """Whether a statement failed at once on a connection the server had closed before it
        was sent (a restart, a pg_terminate_backend), which a look would have replaced: sent
        within LOOKED_LATELY of the last answer or look (gone), nothing was looked at. The
        server never ran it, so it runs again on a fresh connection; one that failed later may
        have been ended as it ran (an administrator's cancel), and is not."""
        return (connection_lost(exc) and time.monotonic() - held.looked < 2 * LOOKED_LATELY and not self.closed
                and not (stop is not None and stop.cut) and not (beat is not None and beat.cut)
                and not (cancel is not None and cancel.is_set()))

    def explain(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> str:
        """PostgreSQL's plan for a statement, as text."""
        rows = self.execute("EXPLAIN " + sql, params, timeout=timeout, cancel=cancel)
        return "\n".join(str(r[0]) for r in rows)

    def stream(
        self, sql: str, params: Sequence[Any], *, batch: int = 1000, words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Start one statement now and hand its rows over in batches as the reader asks for
        them: a server-side cursor, so memory stays bounded. It runs in a read transaction on
        a pooled connection of its own (not this thread's, which would otherwise sit in that
        transaction while the reader takes its time, and have its writes in it), given back
        at the end. No timeout: the reader sets the pace; setting ``cancel`` stops it."""
        if self.closed:
            raise QueryError(DATABASE_CLOSED)
        if len(params) > MAX_PARAMS:
            raise QueryError(f"the query binds {len(params)} values; PostgreSQL takes at most {MAX_PARAMS:,}")
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        bound = [bind_param(p) for p in params]
        self.lock.check_process()
        con = self.reach.getconn(self.pool)
        token = self.watchdog.watch(Interrupt(con, cancel), None, cancel) if cancel is not None else None
        self._streams[id(con)] = (threading.get_ident(), con.info.backend_pid, con)
        cur = con.cursor(name="querylang_stream")
        cur.itersize = batch
        def declare() -> None:
            self._set_timeout(con, None)
            con.execute("BEGIN READ ONLY")  # a server-side cursor lives in a transaction
            cur.execute(sql, bound)  # DECLARE: the rows as of now

        try:
            self.answered(con, declare)
        except BaseException as exc:
            self._stream_end(con, cur, token)
            if isinstance(exc, psycopg.Error):
                raise query_error(exc, cancel, None) from None
            raise
        return self._batches(con, cur, token, batch, cancel)

    def _batches(self, con: psycopg.Connection[Any], cur: Any, token: int | None, batch: int,
                 cancel: threading.Event | None) -> Iterator[list[tuple[Any, ...]]]:
        try:
            while rows := self.answered(con, lambda: self._fetch(cur, batch)):
                if cancel is not None and cancel.is_set():
                    raise QueryCancelled("the query was cancelled")
                yield rows
        except psycopg.Error as exc:
            raise query_error(exc, cancel, None) from None
        finally:
            self._stream_end(con, cur, token)

    def _fetch(self, cur: Any, batch: int) -> list[tuple[Any, ...]]:
        # The stream's connection outlives close() (the pool closes it when it is given back):
        # reading on would answer from a closed database, where DuckDB cannot.
        if self.closed:
            raise QueryError(DATABASE_CLOSED)
        self.lock.check_process()  # a stream opened before a fork: its connection is the parent's
        return cur.fetchmany(batch)  # type: ignore[no-any-return]

    def _stream_end(self, con: psycopg.Connection[Any], cur: Any, token: int | None) -> None:
        if self.lock.forked():  # the parent's, ended in a child: CLOSE and ROLLBACK ended the parent's read
            return
        self._streams.pop(id(con), None)
        if token is not None:
            self.watchdog.done(token)
        if self.closed or sys.is_finalizing():
            # Given up after close(), or as Python exits, when no statement can be watched (one
            # hung the process for good: watchdog.py's _start): closed, it ends its transaction.
            with contextlib.suppress(psycopg.Error):
                con.close()
            if self.closed:  # as Python exits, the open pool's discard of it was logged to stderr
                self.pool.putconn(con)
            return
        # The cursor's CLOSE is a statement too: a stream given up on a frozen server waited there.
        for end in (cur.close, lambda: con.execute("ROLLBACK")):
            with contextlib.suppress(psycopg.Error, QueryError):
                self.answered(con, end)
        self.pool.putconn(con)  # a broken connection is dropped by the pool

    def dataset(self) -> Dataset:
        """Everything stored, read back as a :class:`Dataset` (for the reference evaluator)."""
        if self.closed:
            raise QueryError(DATABASE_CLOSED)
        out = Dataset(self.schema)

        def read(con: psycopg.Connection[Any]) -> Dataset:
            self._set_timeout(con, None)  # not the limit the last query's statement left on it
            for name, cls in self.schema.classes.items():
                cols = output_columns(cls)
                rows = con.execute(f"SELECT {', '.join(quote(c) for c in cols)} FROM {quote(name)}").fetchall()
                try:
                    out.records[name] = [stored_record(cls, decode_row(cls, cols, r)) for r in rows]
                except (AttributeError, TypeError):
                    raise (altered(con, cls) or QueryError(f"class {name}: a cell could not be read")) from None
            for cls, f in self.schema.relations():
                edges = con.execute(f"SELECT owning_id, related_id FROM {quote(join_table(cls.name, f.name))}")
                out.edges += [Edge(cls.name, f.name, o, r) for o, r in edges]
            return out

        with self.connection() as con:  # no timeout: the reference's whole read (api.py)
            return self.answered(con, lambda: read(con))

__all__ = ["NULLS_COLUMN", "PostgresStore", "row_cells", "stored_record"]

"""A live Parse Server PostgreSQL database, queried in place and read-only.

``querylang.connect("postgresql://.../parse_db", layout="parse")``: the schema comes from Parse's
``_SCHEMA`` table; queries compile through the generic compiler with the Parse dialect
(parse_layout.py); nothing is ever written. Every session is opened with
``default_transaction_read_only`` (a guard against our own mistakes, not a security boundary:
SQL access bypasses Parse's ACLs and class-level permissions, so connect with a read-only
role, ideally on a replica; docs/parse-in-place.md).

What the schema leaves out, and why (``notes`` lists each one but the ACL columns, which
every class has):

* Parse's ACL columns ``_rperm``/``_wperm`` and the secrets Parse keeps on records
  (``_hashed_password``, ``authData``, tokens): never readable through querylang;
* fields whose column, and classes whose table, the database lacks (Parse tolerates drift
  between ``_SCHEMA`` and the tables), and Relations without their ``_Join`` table.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors as pge
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from querylang.engines.duckdb.layout import NULLS_COLUMN
from querylang.engines.postgres import parse_special_types as special_types
from querylang.engines.postgres.decode import make_decoder
from querylang.engines.postgres.interrupt import NoAnswer
from querylang.engines.postgres.layout import SCHEMA_TABLE, quote
from querylang.engines.postgres.notices import on_standby, unread
from querylang.engines.postgres.parse_count import Counting, counter
from querylang.engines.postgres.parse_layout import ParseDialect, ParseLayout, index_name
from querylang.engines.postgres.parse_rows import JsonbLoader, cell_past_double, stored_row_decoder
from querylang.engines.postgres.parse_words import stems_problem
from querylang.engines.postgres.passwords import hide_password
from querylang.engines.postgres.server_errors import first_line, server_error
from querylang.engines.postgres.store import PostgresStore, stored_record
from querylang.errors import (
    DROPPED_BY_HAND,
    DataError,
    QueryCancelled,
    QueryError,
    QuerylangNotParse,
    QueryTimeout,
    TableMissing,
)
from querylang.interchange.document import Dataset, Edge
from querylang.model.parse_types import BUILTIN, PLAIN_TYPES, detect_target, secret
from querylang.model.schema import NAME_RE, RESERVED, SYSTEM_CLASSES, ClassDef, Schema

ACL_COLUMNS = ("_rperm", "_wperm")
# Every column of the tables the queries' unqualified names find, and its type (_read_schema).
_CATALOG = (
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
    "WHERE pg_table_is_visible(c.oid) AND n.nspname <> 'pg_catalog' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND a.attnum > 0 AND NOT a.attisdropped"
)
_COLUMNS = ("SELECT c.relname, a.attname, format_type(a.atttypid, NULL), has_column_privilege(c.oid, a.attnum, 'SELECT') "
            f"{_CATALOG} ORDER BY c.relname, a.attnum")
# A digest of everything the schema is made from (_SCHEMA's rows, _COLUMNS; the database's
# collation does not change): one small statement tells whether the schema must be read again.
_FINGERPRINT = (
    "SELECT md5(coalesce((SELECT string_agg(\"className\" || ' ' || coalesce(\"schema\"::text, ''), E'\\n' "
    "ORDER BY \"className\") FROM \"_SCHEMA\"), '') || E'\\n\\n' || coalesce((SELECT string_agg(c.relname || ' ' "
    "|| a.attname || ' ' || format_type(a.atttypid, NULL) || ' ' || has_column_privilege(c.oid, a.attnum, 'SELECT'), "
    f"E'\\n' ORDER BY c.relname, a.attnum) {_CATALOG}), ''))"
)
# How long a schema read is trusted before a query reads Parse's _SCHEMA's digest again
# (docs/parse-in-place.md, "When"): Parse Server 4 kept its own schema cached as long by
# default (schemaCacheTTL), so another Parse Server of the same app saw a new field no sooner.
SCHEMA_TTL = 5.0
# The channel on which a Parse Server started with ``databaseOptions: {enableSchemaHooks: true}``
# tells its other servers that it changed the schema (a class or field made or deleted, its
# permissions or indexes), after the change's commit; the payload names only the server.
PARSE_SCHEMA_CHANNEL = "schema.change"
# Why a name the schema lacks is missing (Schema.absent, ClassDef.absent): a query naming it
# read _SCHEMA again before the refusal (ParseStore.refresh_schema).
ADDED_SINCE = "Parse's _SCHEMA, read again for this query, lists no such {what}"
# What a read that met a class or field deleted (or made again) since the schema was read says.
READ_AGAIN = "the next query reads the schema as it is now"
UNLISTED = "a table Parse's _SCHEMA does not list as a class (Parse Server's bookkeeping, or another program's): not read in place"
LEFT_OUT = "{parse} is in Parse's _SCHEMA but left out in place: {why} (db.notes lists what is left out)"
ACL_LEFT_OUT = ("Parse's ACL columns (_rperm, _wperm) are not read in place; SQL access bypasses them "
                "(docs/parse-in-place.md)")
# A column this role may not SELECT, and what to do about it (docs/parse-in-place.md).
UNREADABLE = ""
GRANT = "GRANT SELECT on it, or pg_read_all_data, to the role querylang connects as"
# The column types Parse Server creates for each field type (format_type's spelling),
# and for its built-in columns and the two columns of a _Join table. A column of another type
# (altered by hand, or made by another tool: Parse tolerates drift) would be read and compared
# as something else; such a field is left out with a note rather than answered wrongly.
_TEXT = ("text", "character varying")
COLUMN_TYPES: dict[str, tuple[str, ...]] = {
    "String": _TEXT, "Pointer": _TEXT, "Number": ("double precision",), "Boolean": ("boolean",),
    "Date": ("timestamp with time zone",), "Array": ("jsonb",), "Object": ("jsonb",), "GeoPoint": ("point",),
    "objectId": _TEXT, "createdAt": ("timestamp with time zone",), "updatedAt": ("timestamp with time zone",),
    "owningId": _TEXT, "relatedId": _TEXT, **special_types.COLUMN_TYPES,
}  # fmt: skip
# Database collations whose text order is code-point order (memcmp, or glibc's C.UTF-8).
CODE_POINT_COLLATIONS = ("C", "POSIX", "C.UTF-8", "C.utf8")
READ_ONLY = (
    "this database is Parse Server's own PostgreSQL database, opened in place with layout='parse', "
    "which is read-only: {what} is refused. Write through Parse Server, or import the data "
    "(querylang import parse-server) and write to that copy"
)


@dataclasses.dataclass(frozen=True)
class _Read:
    """One read of Parse's _SCHEMA and the tables' columns (ParseStore._read_parse_schema)."""

    schema: Schema
    dialect: ParseDialect
    notes: list[str]
    types: dict[tuple[str, str, str], str]
    fingerprint: str


class ReadOnlyParse(QueryError):
    """A write asked of the read-only Parse layout."""


class ParseStore(Counting, PostgresStore):
    """Parse's tables through the store interface the API uses; every write refused."""

    # Parse's tables hold types psycopg has no binary loader for (a GeoPoint's ``point``, a
    # Polygon's ``polygon``): read in binary they would arrive as bytes. Text, as written.
    binary_rows = False
    schema_table_name = "_SCHEMA"

    def __init__(self, url: str, *, connect_timeout: float = 10, pool_size: int = 4) -> None:
        try:
            given = conninfo_to_dict(url).get("options") or ""
            # Rows are read as text (binary_rows): their doubles are exact through the store's
            # extra_float_digits (store.py), whatever the database or role sets.
            guarded = make_conninfo(url, options=f"{given} -c default_transaction_read_only=on".strip())
        except psycopg.Error as exc:  # a malformed URL
            raise DataError(f"cannot connect to PostgreSQL at {hide_password(url, url)}: {hide_password(first_line(exc), url)}") from None
        self.notes: list[str] = []
        self._types: dict[tuple[str, str, str], str] = {}  # (class, table, column) → its type when read
        # _SCHEMA is read again when a query names what it lacks, or past schema_ttl seconds
        # (refresh_schema); one thread at a time reads it.
        self.schema_ttl = SCHEMA_TTL
        self._checked_at = 0.0  # time.monotonic() when _SCHEMA was last read or checked
        self._fingerprint: str | None = None  # of what it was read from (_FINGERPRINT)
        self._told = 0  # Parse Server's notices of a schema change heard (_heard_parse)
        self._refreshing = threading.Lock()
        self._counter = counter()
        # Messages name the URL as given: the conninfo made from it spells out its password.
        super().__init__(guarded, read_only=True, pool_size=pool_size, connect_timeout=connect_timeout, shown=url)
        self.url = self.path = url

    def _refuse_parse_tables(self, con: psycopg.Connection[Any]) -> None:
        """Parse's tables are what this layout reads."""

    def refresh_schema(self, con: Any = None, *, out_of_reach: bool = False, timeout: float | None = None,
                       cancel: threading.Event | None = None, why: bool = False) -> bool | None:
        """Read Parse's _SCHEMA again (a query or serve naming a class or field this store does
        not know, schema_refresh.knowing): True when the schema changed; None when it could not
        be read (the schema is kept). ``out_of_reach`` and ``why`` as PostgresStore's: the read
        past its timeout was taken for a _SCHEMA read that listed no such field."""
        try:
            return self._refresh(timeout, cancel, due_only=False)
        except (QueryTimeout, QueryCancelled, NoAnswer):
            if out_of_reach:
                raise
            return None
        except (psycopg.Error, QueryError) as exc:
            if why and (said := unread(exc)) is not None:
                raise said from None
            return None

    @property
    def schema_ttl(self) -> float | None:
        """Seconds a read of _SCHEMA is trusted before a query checks it again; None: never for
        its age, only when a query names what it lacks or meets what is gone (stale)."""
        return self._ttl

    @schema_ttl.setter
    def schema_ttl(self, seconds: float | None) -> None:
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds >= 0):
            raise QueryError(f"ParseStore.schema_ttl: {seconds!r} is not a number of seconds (0 or more), nor None "
                             "(read _SCHEMA again only when a query names what it lacks)")
        self._ttl = None if seconds is None else float(seconds)

    def _due(self, now: float) -> bool:
        """Whether _SCHEMA is to be checked again before a query starting ``now``."""
        return self._checked_at == -math.inf or self._ttl is not None and now - self._checked_at >= self._ttl

    def _check_schema(self, timeout: float | None, cancel: threading.Event | None) -> None:
        """Before a query (PostgresStore.reading): _SCHEMA checked again if the last read is older
        than schema_ttl, or Parse Server told of a change (only when started with
        enableSchemaHooks; its notices that reached the thread's idle connection were read just
        before): a query of a class that gained a field would answer its records without it.
        Within the TTL, and untold, it costs no statement."""
        if self._due(time.monotonic()):
            try:
                self._refresh(timeout, cancel, due_only=True)
            except (QueryTimeout, QueryCancelled, NoAnswer):
                raise
            except QueryError:
                pass  # _SCHEMA unreadable now: the query answers, or says why, with the schema kept

    def _refresh(self, timeout: float | None, cancel: threading.Event | None, *, due_only: bool) -> bool:
        """Check _SCHEMA's digest (one statement) and read the schema again when it changed;
        ``due_only``: unless another thread did so while this one waited."""
        with self._refreshing:
            started = time.monotonic()
            if due_only and not self._due(started):
                return False
            told = self._told
            ((now,),) = PostgresStore.execute(self, _FINGERPRINT, [], timeout=timeout, cancel=cancel)
            # A notice heard with the digest may be of a change the digest missed: checked again.
            self._checked_at = started if self._told == told else -math.inf
            if now == self._fingerprint:
                return False
            old = self.dialect
            with self.connection() as con:  # the query's read, under its watch (PostgresStore._watched)
                read = self._watched(con, lambda: self._read_parse_schema(con), timeout, cancel)
            # The server's stems do not change with the schema: not asked again.
            read.dialect._stem_verdict = old._stem_verdict if isinstance(old, ParseDialect) else None
            # The schema last: a query planned meanwhile with the old one runs again (Writes._planned),
            # and a new schema object drops the kept plans (plan_cache.py).
            self.dialect, self.notes, self._types, self._fingerprint = read.dialect, read.notes, read.types, read.fingerprint
            self.schema = read.schema
            self.changes += 1  # db.reference reads the data again, with the new schema (api.py)
            return True

    def stale(self) -> None:
        """Have the next query read _SCHEMA again, whatever the TTL: a read met a table or column
        that is gone or changed since it was read (READ_AGAIN)."""
        self._checked_at = -math.inf

    def _apply_notices(self, con: Any, timeout: float | None = None, cancel: threading.Event | None = None) -> None:
        """Nothing to apply: querylang never writes Parse's tables, and Parse Server's own notices
        go another way (_heard_parse)."""
        self.heard.take(self._pg_schema, lambda: True)

    def set_up_statements(self, con: psycopg.Connection[Any]) -> None:
        super().set_up_statements(con)
        if not on_standby(con):  # a replica hears no notice: its schema_ttl alone holds
            con.execute(f"LISTEN {quote(PARSE_SCHEMA_CHANNEL)}")

    def configure(self, con: psycopg.Connection[Any]) -> None:
        super().configure(con)
        con.adapters.register_loader("jsonb", JsonbLoader)
        con.add_notify_handler(self._heard_parse)
        # A connection made once Parse Server is known to tell (its first notice heard) did not
        # hear the changes told before it listened: checked once.
        if self._told:
            self.stale()

    def _heard_parse(self, notice: psycopg.Notify) -> None:
        """Parse Server told of a schema change: the next query checks _SCHEMA, whatever the TTL."""
        if notice.channel == PARSE_SCHEMA_CHANNEL:
            self._told += 1
            self.stale()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in autocommit: every statement is its own (read-only)
        transaction, so a query is one round trip, not BEGIN, SELECT and ROLLBACK."""
        with super().connection() as con:
            if not con.autocommit and con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                con.autocommit = True
            yield con

    # --- schema: Parse's _SCHEMA ------------------------------------------------------------

    def _read_schema(self, con: psycopg.Connection[Any]) -> Schema:
        read = self._read_parse_schema(con)
        self.dialect, self.notes, self._types, self._fingerprint = read.dialect, read.notes, read.types, read.fingerprint
        self._checked_at = time.monotonic()
        return read.schema

    def _read_parse_schema(self, con: psycopg.Connection[Any]) -> _Read:
        """The schema as _SCHEMA and the tables hold it now, with what goes with it; nothing of
        this store's changed (a refresh swaps it in whole)."""
        notes: list[str] = []
        with con.transaction():
            if con.execute("SELECT to_regclass('\"_SCHEMA\"')").fetchone() == (None,):
                if con.execute("SELECT to_regclass(%s)", [quote(SCHEMA_TABLE)]).fetchone() != (None,):
                    raise QuerylangNotParse(self.shown)
                raise DataError(self._no_parse_schema(con))
            # Another program's table of that name would fail the read below with only the
            # server's "column does not exist".
            have = {c for (c,) in con.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('\"_SCHEMA\"') AND attnum > 0 AND NOT attisdropped")}
            lacks = [c for c in ("className", "schema") if c not in have]
            if lacks:
                raise DataError(f"{self.shown}: its _SCHEMA table has no column {' or '.join(lacks)}, as Parse Server's has: "
                                "this is not a Parse Server database")
            # First: a change landing between the two leaves the digest older than the read,
            # which the next check then reads again (never the other way round).
            ((fingerprint,),) = con.execute(_FINGERPRINT).fetchall()
            rows = con.execute('SELECT "className", "schema" FROM "_SCHEMA" ORDER BY "className"').fetchall()
            # The provider too (PostgreSQL 15+; to_jsonb reads it on older servers as NULL): an ICU
            # database keeps a libc datcollate ('C') beside the ICU locale that orders its text.
            collation = con.execute(
                "SELECT datcollate, to_jsonb(d) ->> 'datlocprovider' FROM pg_database d WHERE datname = current_database()"
            ).fetchone()
            cols: dict[str, dict[str, str]] = {}  # table → column → its type (UNREADABLE: not ours to read)
            ordered: dict[str, list[str]] = {}
            # From the catalog, not information_schema.columns: that lists only what this role
            # may read, so a table or column it may not read would be noted as missing. The
            # tables are those the queries' unqualified names find (pg_table_is_visible: the
            # search_path, as _SCHEMA itself was found), not current_schema()'s alone: a schema
            # named as the role ("$user", first in the default search_path) would hide them all.
            for table, column, kind, readable in con.execute(_COLUMNS):
                cols.setdefault(table, {})[column] = kind if readable else UNREADABLE
                ordered.setdefault(table, []).append(column)
        target = detect_target()
        names = {parse: target.class_name(parse) for parse, _ in rows}
        names_back = {q: p for p, q in names.items()}
        # The classes read, decided before any field: a Pointer or Relation to a class left out
        # is left out too (it named a class the schema would not have).
        kept: dict[str, dict[str, Any]] = {}
        absent: dict[str, str] = {"": ADDED_SINCE.format(what="classes")}  # why a name is no class (Schema.absent)
        # Parse Server's bookkeeping tables (_PushStatus, _Hooks, _Idempotency, ...) and other programs' are not in
        # _SCHEMA, so connecting again would not read them either.
        absent.update({t: UNLISTED for t in cols if t not in names and t != "_SCHEMA" and not t.startswith("_Join:")})
        for parse, spec in rows:
            why = self._class_left_out(parse, spec, cols, names)
            if why:
                notes.append(f"class {parse}: {why}: left out")
                absent[names[parse]] = LEFT_OUT.format(parse=parse, why=why)
            else:
                kept[parse] = (spec or {}).get("fields") or {}
        classes: dict[str, Any] = {}
        absent_fields: dict[str, dict[str, str]] = {}
        for parse, specs in kept.items():
            fields: dict[str, Any] = {}
            gone = absent_fields[names[parse]] = {"": ADDED_SINCE.format(what="fields"), "ACL": ACL_LEFT_OUT}
            for name, f in specs.items():
                if name in BUILTIN or name in ACL_COLUMNS:
                    continue  # built in; or Parse's ACL, never read (module docstring)
                why = self._left_out(parse, name, f, cols, names, kept)
                if why:
                    notes.append(f"class {parse}, field {name}: {why}: left out")
                    gone[name] = LEFT_OUT.format(parse=f"{parse}.{name}", why=why)
                    continue
                out = {"type": f["type"]}
                if f.get("targetClass"):
                    out["targetClass"] = names[f["targetClass"]]
                fields[name] = out
            classes[names[parse]] = {"fields": fields}
        schema = Schema.from_json(classes)
        # The column types read now, of the columns the schema reads (_changed_since).
        types = {(q, names_back[q], c): cols[names_back[q]][c] for q, cls in schema.classes.items()
                       for c in cls.fields if c in cols[names_back[q]]}
        schema.absent = absent
        for q, cls in schema.classes.items():
            schema.classes[q] = dataclasses.replace(cls, absent=absent_fields[q])
        physical = {}
        for q, cls in schema.classes.items():
            table = names_back.get(q, q)
            readable = set(cls.fields) | set(ACL_COLUMNS)
            if all(c in readable and cols[table][c] != UNREADABLE for c in ordered.get(table, [])):
                physical[q] = ordered[table]
        layout = ParseLayout({q: p for p, q in names.items()}, physical)
        code_points = collation is not None and (
            collation[1] == "b"  # PostgreSQL 17's builtin provider: every one of its collations is code-point order
            or (collation[1] in (None, "c") and collation[0] in CODE_POINT_COLLATIONS)
        )
        dialect = ParseDialect(schema, layout, code_point_order=code_points)
        dialect.stem_probe = self._stems_problem
        # clean_joins stays empty: a live database may gain dangling edges any time
        return _Read(schema, dialect, notes, types, fingerprint)

    def _no_parse_schema(self, con: psycopg.Connection[Any]) -> str:
        """Why the search_path finds no _SCHEMA, and neither querylang's own tables: a _SCHEMA in
        a schema off the search_path, or none."""
        said = f"{self.shown}: no _SCHEMA table: this is not a Parse Server database"
        elsewhere = [n for (n,) in con.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relname = '_SCHEMA' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY 1")]
        if elsewhere:
            return (f"{said} on its search_path; schema {elsewhere[0]} holds one: name it in the URL "
                    f"(?options=-c%20search_path%3D{elsewhere[0]})")
        return said

    def _within(self, step: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        """``step(con)`` on this thread's connection within what the query it is for has left of
        its timeout, and its cancel (bounds.py; none outside a query): a read the query's plan or
        rows make (the stems' check, a column's type on an error), which the heartbeat alone
        does not watch for one backend stuck while the server answers."""
        timeout, cancel = self.bounds.now()
        with self.connection() as con:
            return self._watched(con, lambda: step(con), timeout, cancel)

    def _stems_problem(self) -> str | None:
        return self._within(stems_problem)  # type: ignore[no-any-return]

    @staticmethod
    def _class_left_out(parse: str, spec: Any, cols: dict[str, dict[str, str]], names: dict[str, str]) -> str:
        """Why a class of _SCHEMA is not read ("" when it is)."""
        if parse not in cols:
            return "in _SCHEMA but its table is missing"
        if not (NAME_RE.fullmatch(names[parse]) or names[parse] in SYSTEM_CLASSES):
            return "a name querylang's schema does not accept"
        if spec is not None and not (isinstance(spec, dict) and isinstance(spec.get("fields") or {}, dict)):
            return "its _SCHEMA entry is not an object with an object of fields"
        missing = [b for b in BUILTIN if b not in cols[parse]]
        if missing:
            return f"its table lacks {', '.join(missing)}"
        hidden = [b for b in BUILTIN if cols[parse][b] == UNREADABLE]
        if hidden:
            return f"this role may not read its table's {', '.join(hidden)} ({GRANT})"
        return "; ".join(_odd_column(b, b, cols[parse][b]) for b in BUILTIN if cols[parse][b] not in COLUMN_TYPES[b])

    @staticmethod
    def _left_out(parse: str, name: str, f: Any, cols: dict[str, dict[str, str]], names: dict[str, str],
                  kept: Mapping[str, Any]) -> str:
        if not isinstance(f, dict):
            return f"its _SCHEMA entry {f!r} is not an object"
        ftype = f.get("type")
        if name.startswith("_") or secret(parse, name):
            return "a secret Parse keeps on records"
        if name in RESERVED:  # a class of the app's authData: its data (as its password, read)
            return "querylang keeps the name for Parse's own classes"
        if not NAME_RE.fullmatch(name):
            return "a name querylang's schema does not accept"
        if not isinstance(ftype, str) or ftype not in PLAIN_TYPES | special_types.TYPES:
            return f"type {ftype} is not queryable in place yet"
        target = f.get("targetClass")
        if ftype in ("Pointer", "Relation") and not (isinstance(target, str) and target in kept):
            known = isinstance(target, str) and target in cols and target in names
            return f"its target class {target} is not read" if known else f"its target class {target} is not in the database"
        if ftype == "Relation":
            join = cols.get(f"_Join:{name}:{parse}")
            if join is None:
                return f"its edge table _Join:{name}:{parse} is missing"
            for c in ("owningId", "relatedId"):
                if c not in join:
                    return f"its edge table _Join:{name}:{parse} has no column {c}"
                if join[c] == UNREADABLE:
                    return f"this role may not read its edge table _Join:{name}:{parse} ({GRANT})"
                if join[c] not in COLUMN_TYPES[c]:
                    return f"its edge table _Join:{name}:{parse}: {_odd_column(c, c, join[c])}"
            return ""
        if name not in cols[parse]:
            return "no such column in the table"
        kind = cols[parse][name]
        if kind == UNREADABLE:
            return f"this role may not read its column {name} ({GRANT})"
        return "" if kind in COLUMN_TYPES[ftype] else _odd_column(name, ftype, kind)

    # --- reading ----------------------------------------------------------------------------

    def dataset(self) -> Dataset:
        """Everything readable, as a :class:`Dataset` (for the reference evaluator); every edge
        of the ``_Join`` tables, dangling ones included."""
        out = Dataset(self.schema)
        d = self.dialect

        def read(con: psycopg.Connection[Any]) -> Dataset:
            self._set_timeout(con, None)  # not the limit the last query's statement left on it
            for name, cls in self.schema.classes.items():
                cols = d.layout.output_columns(cls)
                select = ", ".join(d.output_sql("t", c, name) for c in cols)
                decode = self.decoder(cls, cols)
                rows = con.execute(f"SELECT {select} FROM {d.quote(d.layout.table(name))} AS t").fetchall()
                out.records[name] = [stored_record(cls, decode(r)) for r in rows]
                for f in cls.user_fields:
                    if f.type == "Relation":
                        jt = d.quote(d.layout.join_table(name, f.name))
                        for o, r in con.execute(f'SELECT "owningId", "relatedId" FROM {jt}'):
                            out.edges.append(Edge(name, f.name, o, r))
            con.rollback()
            return out

        # No timeout, the look at the columns' types after a cell it could not read neither: cut
        # if the server stops answering.
        with self._deleted_since(), self.bounds.of(None, None), self.connection() as con:
            return self.answered(con, lambda: read(con))

    def execute(self, sql: str, params: Sequence[Any], **kw: Any) -> list[tuple[Any, ...]]:
        with self._deleted_since():
            try:
                return super().execute(sql, params, **kw)
            except QueryError as exc:
                raise self._named_cell(exc, sql, kw) from None

    def stream(self, sql: str, params: Sequence[Any], **kw: Any) -> Iterator[list[tuple[Any, ...]]]:
        with self._deleted_since():
            batches = super().stream(sql, params, **kw)  # the statement starts here, not at the first batch
        return self._named_cells(batches, sql, kw)

    def _named_cells(self, batches: Iterator[list[tuple[Any, ...]]], sql: str, kw: dict[str, Any]) -> Iterator[list[tuple[Any, ...]]]:
        try:
            yield from batches
        except QueryError as exc:
            raise self._named_cell(exc, sql, kw) from None

    def _named_cell(self, exc: QueryError, sql: str, kw: dict[str, Any]) -> QueryError:
        """``exc``, or, for a jsonb number the statement could not read as a double, or a
        polygon past a coordinate's range that overflowed one, the error naming its cell
        (parse_rows.cell_past_double, parse_special_types.polygon_past_range): the server's
        names only the number, or nothing."""
        def run(q: str, params: list[Any]) -> list[tuple[Any, ...]]:
            return PostgresStore.execute(self, q, params, timeout=kw.get("timeout"), cancel=kw.get("cancel"))

        return (cell_past_double(exc, sql, self.schema, self.dialect, run)
                or special_types.polygon_past_range(exc, sql, self.schema, self.dialect, run) or exc)

    def close(self) -> None:
        self._counter.shutdown(wait=True)
        super().close()

    def decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Rows → output records: rows as Parse stores them (ParseLayout.physical), else our
        layout's output columns (the DuckDB decoder); a cell that cannot be read because its
        column's type changed since connecting is that error (_changed_since)."""
        if NULLS_COLUMN not in columns:
            return stored_row_decoder(cls, columns, self._changed_since)
        return special_types.checked_decoder(cls, columns, lambda c, cols: make_decoder(c, cols, self._changed_since))

    def altered_column(self, cls: ClassDef) -> QueryError | None:
        """An aggregate's value was no double: the column's type changed since connecting (_changed_since)."""
        return self._changed_since()

    @contextlib.contextmanager
    def _deleted_since(self) -> Iterator[None]:
        """A read's error, saying so when a class or field it read was deleted since
        (_gone_since), or its column's type changed (_changed_since); a driver error (the
        reference's whole-data read uses the connection itself) as a QueryError."""
        try:
            yield
        except psycopg.Error as exc:
            said = server_error(exc)
            said.__cause__ = exc
            gone = _gone_since(said)
            if gone is not None:
                self.stale()
            raise (gone or self._changed_since(exc) or said) from exc
        except QueryError as exc:
            cause = exc.__cause__ or exc.__context__
            gone = _gone_since(exc)
            if gone is not None:
                self.stale()
            better = gone or (self._changed_since(cause) if isinstance(cause, psycopg.Error) else None)
            if better is None:
                raise
            raise better from exc

    def _changed_since(self, exc: psycopg.Error | None = None) -> QueryError | None:
        """The error naming a column whose type is not the one read at connect time (a field
        deleted through Parse and made again with another type: its column was dropped and
        added), or None. Asked only on an error: of the server's rejecting a statement (its
        operators and casts no longer fit the column), or of a cell that cannot be decoded."""
        if exc is not None and not isinstance(exc, pge.ProgrammingError | pge.DataError):
            return None  # a cancel, a timeout, a lost connection: not the columns' doing
        try:
            now = {(t, c): kind for t, c, kind, _ in self._within(lambda con: con.execute(_COLUMNS).fetchall())}
        except (QueryTimeout, QueryCancelled, NoAnswer):
            if exc is None:  # a cell it could not read: the query's end, not Python's error of the cell
                raise
            return None  # a statement's error: the server's own is said
        except (psycopg.Error, QueryError):
            return None
        changed = [f"class {name}, field {column}: its column is now {now[table, column]}, where it was {kind}"
                   for (name, table, column), kind in self._types.items() if now.get((table, column), kind) != kind]
        if not changed:
            return None
        self.stale()
        return QueryError(f"{'; '.join(changed)}, when this connection read the Parse database's _SCHEMA (deleted "
                          f"and made again with another type since): {READ_AGAIN}", code=1)

    def ready(self, words: Iterable[tuple[str, str]]) -> None:
        """No word columns to compute: text search reads the text itself (parse_words.py)."""

    # --- what querylang's query shapes need that Parse does not create -----------------------

    def missing_indexes(self) -> list[str]:
        """``CREATE INDEX`` statements for the lookups querylang's queries make and Parse's own
        indexes do not serve: each Pointer column (pointer filters, includes, matchesQuery),
        each edge table's owner column (relatedTo, Relation filters) and, where the database's
        collation is not code-point order, each objectId; a ``DROP INDEX`` first where an
        invalid index holds the name."""
        d = self.dialect
        assert isinstance(d, ParseDialect)  # this store's (_read_schema)
        # (table, column, whether it is compared COLLATE "C"): a Pointer column and the objectId
        # are, where the database's collation is not code-point order (ParseDialect.column_sql),
        # and only an index of that collation serves them (Parse's primary key is of the
        # column's own); other lookups use the column's own collation.
        wanted: list[tuple[str, str, bool]] = []
        for name, cls in self.schema.classes.items():
            table = d.layout.table(name)
            if not d.code_point_order:  # an objectId looked up (show, include) or paged in order
                wanted.append((table, "objectId", True))
            for f in cls.user_fields:
                if f.type == "Pointer":
                    wanted.append((table, f.name, not d.code_point_order))
                elif f.type == "Relation":
                    wanted.append((d.layout.join_table(name, f.name), "owningId", False))
        with self.connection() as con:  # no timeout: cut if the server stops answering
            self.answered(con, lambda: self._set_timeout(con, None))  # not the limit a query's statement left on it
            # An invalid index (a CREATE INDEX CONCURRENTLY cut short: a timeout, Ctrl-C, a
            # failed build) serves no query, and holds its name: the statement for it drops it first.
            # A partial one serves every lookup by a value only when it keeps every row that has one.
            indexes = self.answered(con, lambda: con.execute(
                "SELECT c.relname, a.attname, i.indisvalid, x.relname, i.indcollation[0] = a.attcollation, "
                "i.indcollation[0] = (SELECT oid FROM pg_collation WHERE collname = 'C' "
                "AND collnamespace = 'pg_catalog'::regnamespace), i.indpred IS NULL "
                "OR pg_get_expr(i.indpred, i.indrelid) = format('(%I IS NOT NULL)', a.attname) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid "
                "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] "
                "WHERE pg_table_is_visible(c.oid)"  # the tables the queries' names find (_read_schema)
            ).fetchall())
            con.rollback()
        served = {(t, c, code_points) for t, c, valid, _, own, is_c, whole in indexes
                  for code_points in (False, True) if valid and whole and (is_c if code_points else own)}
        invalid = {name for _, _, valid, name, _, _, _ in indexes if not valid}
        # Over every wanted pair, indexed or not: a pair's name stays the same from run to run.
        names = collections.Counter(index_name(*w) for w in wanted)
        out = []
        for t, c, code_points in wanted:
            if (t, c, code_points) in served:
                continue
            name = index_name(t, c, code_points, shared=names[index_name(t, c, code_points)] > 1)
            if name in invalid:
                out.append(f"DROP INDEX CONCURRENTLY IF EXISTS {d.quote(name)};")
            column = d.quote(c) + (' COLLATE "C"' if code_points else "")
            out.append(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {d.quote(name)} ON {d.quote(t)} ({column});")
        return out

    # --- writes: refused ----------------------------------------------------------------------

    def load(
        self, source: str | Path | Mapping[str, Any], progress: Callable[[str, int, int], None] | None = None,
        on_commit: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, int]:
        raise ReadOnlyParse(READ_ONLY.format(what="loading data"), code=1)

    def writer(self, lock_wait: float | None = None) -> Any:
        return _RefusingWriter()




def _gone_since(exc: QueryError) -> QueryError | None:
    """A table or column the schema read at connect time that the database no longer has: the
    class or field was deleted through Parse since (the schema is read once), which the
    server's 'does not exist' alone does not say. None for any other error."""
    said = exc.__cause__ or exc.__context__
    if not isinstance(said, pge.UndefinedTable | pge.UndefinedColumn):
        return None
    message = (f"{exc.message.removesuffix(DROPPED_BY_HAND)} (deleted from the Parse database since this connection read "
               f"its _SCHEMA: {READ_AGAIN})")
    if isinstance(said, pge.UndefinedColumn):
        return QueryError(message, code=exc.code)
    # A class's table: a list that counts every class shows '?' for it, as for a table dropped by hand.
    return TableMissing(message, code=exc.code, short="table deleted from the Parse database since its _SCHEMA was read",
                        why=f"deleted from the Parse database since this connection read its _SCHEMA ({READ_AGAIN})")


def _odd_column(column: str, parse_type: str, kind: str) -> str:
    """Why a column of an unexpected type is not read (COLUMN_TYPES)."""
    return f"its column {column} is {kind}, where Parse Server makes {' or '.join(COLUMN_TYPES[parse_type])}"


class _RefusingWriter:
    """Every write method of a store's writer, each refusing with the same clear error."""

    # The writer's names that are not the API method's a user called (Writes.update, add_field).
    SAID = {"modify": "update", "define_class": "defining classes and fields (define_class, add_field)"}

    def __getattr__(self, name: str) -> Any:
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise ReadOnlyParse(READ_ONLY.format(what=self.SAID.get(name, name.replace("_", " "))), code=1)

        return refuse

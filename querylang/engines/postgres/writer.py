"""Record-level writes on a :class:`PostgresStore`, each one transaction: create, save, delete,
increment, relations, schema. The same checks and meaning as the DuckDB store's Writer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

import psycopg

from querylang.engines.postgres.cells import row_cells
from querylang.engines.postgres.decode import decode_row, stored_record
from querylang.engines.postgres.layout import class_columns, join_table, output_columns, quote
from querylang.engines.postgres.server_errors import server_error
from querylang.errors import DataError, QueryError
from querylang.interchange.document import Edge, merge_schema, normalise_record
from querylang.model.schema import ClassDef, Field, Schema

T = TypeVar("T")


class _Exclusive(Protocol):
    def exclusive(self) -> AbstractContextManager[None]: ...


class PostgresTables(Protocol):
    """What the writer needs of a :class:`~querylang.engines.postgres.store.PostgresStore` (named
    here, not imported: the store opens its writer)."""

    schema: Schema

    @property
    def read_only(self) -> bool: ...

    @property
    def lock(self) -> _Exclusive: ...

    def connection(self) -> AbstractContextManager[psycopg.Connection[Any]]: ...

    def create_tables(self, con: psycopg.Connection[Any], old: Schema, new: Schema) -> None: ...

    def build_indexes(self, con: psycopg.Connection[Any], schema: Schema) -> None: ...


class Writer:
    def __init__(self, store: PostgresTables) -> None:
        self.store = store

    def _tx(self, fn: Callable[[psycopg.Connection[Any]], T]) -> T:
        if self.store.read_only:
            raise DataError("the database is open read-only: nothing was changed")
        with self.store.lock.exclusive():
            try:
                with self.store.connection() as con, con.transaction():
                    con.execute("SET LOCAL statement_timeout = 0")  # a query's timeout is not a write's
                    return fn(con)
            except psycopg.Error as exc:
                raise DataError(f"write failed, nothing was changed: {server_error(exc, 'the write').message}") from exc
            except QueryError as exc:
                if isinstance(exc, DataError):
                    raise
                raise DataError(f"write failed, nothing was changed: {exc.message}") from exc

    def _stored(self, con: psycopg.Connection[Any], cls: ClassDef, oid: str) -> dict[str, Any]:
        cols = output_columns(cls)
        row = con.execute(
            f'SELECT {", ".join(quote(c) for c in cols)} FROM {quote(cls.name)} WHERE "objectId" = %s', [oid]
        ).fetchone()
        if row is None:
            raise DataError("Object not found.", class_name=cls.name, object_id=oid, code=101)
        return stored_record(cls, decode_row(cls, cols, row))

    def create(self, class_name: str, fields: Mapping[str, Any], now: datetime) -> str:
        cls = self.store.schema.get(class_name)
        if not isinstance(fields, Mapping):
            raise DataError("create needs an object of fields", class_name=class_name)
        rec, edges = normalise_record(cls, dict(fields), now=now)
        oid = rec["objectId"]

        def run(con: psycopg.Connection[Any]) -> str:
            if con.execute(f'SELECT 1 FROM {quote(cls.name)} WHERE "objectId" = %s', [oid]).fetchone():
                raise DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=oid)
            cols = class_columns(cls)
            marks = ", ".join(["%s"] * len(cols))
            con.execute(f"INSERT INTO {quote(cls.name)} ({', '.join(quote(c) for c, _ in cols)}) VALUES ({marks})",
                        row_cells(cls, rec))
            for e in edges:
                self._add_edge(con, e)
            return oid

        return self._tx(run)

    def save(self, class_name: str, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        for forbidden in ("objectId", "createdAt"):
            if forbidden in fields:
                raise DataError(f"{forbidden} cannot be changed", class_name=class_name, object_id=oid, field=forbidden)
        relation_fields = {k for k in fields if (f := cls.fields.get(k)) is not None and f.type == "Relation"}
        if relation_fields:
            raise DataError("use add_relation/remove_relation for Relation fields", class_name=class_name,
                            object_id=oid, field=sorted(relation_fields)[0])

        def run(con: psycopg.Connection[Any]) -> None:
            current = self._stored(con, cls, oid)
            checked, _ = normalise_record(cls, {"objectId": oid, **fields}, now=now)
            merged = {**current, **{k: checked.get(k) for k in fields}}
            merged["updatedAt"] = now
            cols = class_columns(cls)
            row = row_cells(cls, merged)
            sets = ", ".join(f"{quote(c)} = %s" for c, _ in cols[1:])
            con.execute(f'UPDATE {quote(cls.name)} SET {sets} WHERE "objectId" = %s', [*row[1:], oid])

        self._tx(run)

    def increment(self, class_name: str, oid: str, amounts: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        for name, by in amounts.items():
            f = cls.fields.get(name)
            if f is None or f.type != "Number":
                raise DataError("increment needs a Number field", class_name=class_name, object_id=oid, field=name)
            if isinstance(by, bool) or not isinstance(by, int | float):
                raise DataError("increment needs a number", class_name=class_name, object_id=oid, field=name)

        def run(con: psycopg.Connection[Any]) -> None:
            current = self._stored(con, cls, oid)
            changed = {k: (current.get(k) or 0) + v for k, v in amounts.items()}
            checked, _ = normalise_record(cls, {"objectId": oid, **changed}, now=now)
            merged = {**current, **{k: checked.get(k) for k in changed}, "updatedAt": now}
            cols = class_columns(cls)
            row = row_cells(cls, merged)
            sets = ", ".join(f"{quote(c)} = %s" for c, _ in cols[1:])
            con.execute(f'UPDATE {quote(cls.name)} SET {sets} WHERE "objectId" = %s', [*row[1:], oid])

        self._tx(run)

    def delete(self, class_name: str, oid: str) -> None:
        """Delete a record and every edge that names it, as owner or as target."""
        cls = self.store.schema.get(class_name)
        schema = self.store.schema

        def run(con: psycopg.Connection[Any]) -> None:
            self._stored(con, cls, oid)
            con.execute(f'DELETE FROM {quote(cls.name)} WHERE "objectId" = %s', [oid])
            for owner in schema.classes.values():
                for f in owner.user_fields:
                    if f.type != "Relation":
                        continue
                    jt = quote(join_table(owner.name, f.name))
                    if owner.name == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE owning_id = %s", [oid])
                    if f.target == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE related_id = %s", [oid])

        self._tx(run)

    def _relation(self, class_name: str, key: str) -> Field:
        cls = self.store.schema.get(class_name)
        f = cls.fields.get(key)
        if f is None or f.type != "Relation":
            raise DataError("no such Relation field", class_name=class_name, field=key)
        return f

    def _add_edge(self, con: psycopg.Connection[Any], e: Edge) -> None:
        name = join_table(e.owner_class, e.key)
        jt = quote(name)
        target = self.store.schema.classes[e.owner_class].fields[e.key].target or ""
        schema = self.store.schema
        if name in schema.clean_joins and not con.execute(
            f'SELECT 1 FROM {quote(target)} WHERE "objectId" = %s', [e.related_id]
        ).fetchone():
            # An edge to a record that does not exist (yet): queries must check targets again.
            self.store.schema = replace(schema, clean_joins=schema.clean_joins - {name})
        con.execute(
            f"INSERT INTO {jt} SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM {jt} WHERE owning_id = %s AND related_id = %s)",
            [e.owning_id, e.related_id, e.owning_id, e.related_id],
        )

    def add_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        cls = self.store.schema.get(class_name)

        def run(con: psycopg.Connection[Any]) -> None:
            self._stored(con, cls, oid)
            self._add_edge(con, Edge(class_name, key, oid, target_id))

        self._tx(run)

    def remove_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        jt = quote(join_table(class_name, key))
        self._tx(lambda con: con.execute(f"DELETE FROM {jt} WHERE owning_id = %s AND related_id = %s", [oid, target_id]))

    def define_class(self, name: str, fields: Mapping[str, Any]) -> None:
        """Create a class, or add fields to one (a field may not change its type)."""
        new = merge_schema(self.store.schema, {name: {"fields": fields}})
        old = self.store.schema

        def run(con: psycopg.Connection[Any]) -> None:
            self.store.create_tables(con, old, new)
            self.store.build_indexes(con, new)

        self._tx(run)
        self.store.schema = replace(new, clean_joins=old.clean_joins | (_joins(new) - _joins(old)))


def _joins(schema: Schema) -> set[str]:
    return {join_table(c.name, f.name) for c in schema.classes.values() for f in c.user_fields if f.type == "Relation"}

"""Writes: each one validated against the schema, then one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

import duckdb

from querylang.engines.duckdb.cells import record_row
from querylang.engines.duckdb.decode import decode_row, stored_record
from querylang.engines.duckdb.layout import (
    class_columns,
    join_table,
    quote_ident,
)
from querylang.errors import DataError
from querylang.interchange.document import Edge, merge_schema
from querylang.model.schema import ClassDef, Field, Schema


class DuckDBTables(Protocol):
    """What the writer needs of a :class:`~querylang.engines.duckdb.store.Store` (named here,
    not imported: the store opens its writer)."""

    schema: Schema

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def con(self) -> duckdb.DuckDBPyConnection: ...

    def _rollback(self) -> None: ...

    def _create_tables(self, old: Schema, new: Schema) -> None: ...

    def _write_schema(self, old: Schema, new: Schema) -> None: ...

    def _build_indexes(self, schema: Schema) -> None: ...


# --- writes (each one transaction; validated against the schema first) ------------------------


def _bindable(cols: list[tuple[str, str]], row: list[Any]) -> list[Any]:
    """Row cells as DuckDB parameters: MAP cells (lists of pairs for Arrow) become key/value dicts."""
    out = []
    for (_, t), cell in zip(cols, row, strict=True):
        if t.startswith("MAP(") and cell is not None:
            cell = {"key": [k for k, _ in cell], "value": [v for _, v in cell]}
        out.append(cell)
    return out


class Writer:
    """Record-level writes on a DuckDB store: create, save, delete, increment, relations, schema."""

    def __init__(self, store: DuckDBTables) -> None:
        self.store = store

    def _tx(self, fn: Any) -> Any:
        with self.store.lock:
            con = self.store.con
            con.execute("BEGIN TRANSACTION")
            try:
                out = fn(con)
                con.execute("COMMIT")
            except BaseException as exc:
                self.store._rollback()
                if isinstance(exc, duckdb.Error):
                    raise DataError(f"write failed, nothing was changed: {exc}") from exc
                raise
            return out

    def _stored(self, cls: ClassDef, oid: str, con: Any) -> dict[str, Any]:
        """The record as stored, read with ``con`` (inside the write's transaction)."""
        from querylang.engines.duckdb.layout import output_columns

        cols = output_columns(cls)
        collist = ", ".join(quote_ident(c) for c in cols)
        row = con.execute(
            f'SELECT {collist} FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid]
        ).fetchone()
        if row is None:
            raise DataError("Object not found.", class_name=cls.name, object_id=oid, code=101)
        return stored_record(cls, decode_row(cls, cols, row))

    def create(self, class_name: str, fields: Mapping[str, Any], now: datetime) -> str:
        from querylang.interchange.document import normalise_record

        cls = self.store.schema.get(class_name)
        if not isinstance(fields, Mapping):
            raise DataError("create needs an object of fields", class_name=class_name)
        rec, edges = normalise_record(cls, dict(fields), now=now)
        oid = rec["objectId"]

        def run(con: Any) -> str:
            if con.execute(f'SELECT 1 FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid]).fetchone():
                raise DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=oid)
            cols = class_columns(cls)
            marks = ", ".join("?" * len(cols))
            con.execute(
                f"INSERT INTO {quote_ident(cls.name)} ({', '.join(quote_ident(c) for c, _ in cols)}) VALUES ({marks})",
                _bindable(cols, record_row(cls, rec)),
            )
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
            raise DataError(
                "use add_relation/remove_relation for Relation fields", class_name=class_name,
                object_id=oid, field=sorted(relation_fields)[0],
            )

        self._tx(lambda con: self._update(con, cls, oid, fields, now))

    def _update(self, con: Any, cls: ClassDef, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        """Read, change and write one record, inside the caller's transaction."""
        from querylang.interchange.document import normalise_record

        current = self._stored(cls, oid, con)
        checked, _ = normalise_record(cls, {"objectId": oid, **fields}, now=now)
        merged = {**current, **{k: checked.get(k) for k in fields}}
        merged["updatedAt"] = now
        cols = class_columns(cls)
        row = _bindable(cols, record_row(cls, merged))
        sets = ", ".join(f"{quote_ident(c)} = ?" for c, _ in cols[1:])
        con.execute(f'UPDATE {quote_ident(cls.name)} SET {sets} WHERE "objectId" = ?', [*row[1:], oid])

    def increment(self, class_name: str, oid: str, amounts: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        for name, by in amounts.items():
            f = cls.fields.get(name)
            if f is None or f.type != "Number":
                raise DataError("increment needs a Number field", class_name=class_name, object_id=oid, field=name)
            if isinstance(by, bool) or not isinstance(by, int | float):
                raise DataError("increment needs a number", class_name=class_name, object_id=oid, field=name)

        def run(con: Any) -> None:
            # Read and write in one transaction under the write lock: two threads adding at
            # once both count (each used to read the old value first).
            current = self._stored(cls, oid, con)
            self._update(con, cls, oid, {k: (current.get(k) or 0) + v for k, v in amounts.items()}, now)

        self._tx(run)

    def delete(self, class_name: str, oid: str) -> None:
        """Delete a record and every edge that names it, as owner or as target."""
        cls = self.store.schema.get(class_name)
        schema = self.store.schema

        def run(con: Any) -> None:
            self._stored(cls, oid, con)
            con.execute(f'DELETE FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid])
            for owner in schema.classes.values():
                for f in owner.user_fields:
                    if f.type != "Relation":
                        continue
                    jt = quote_ident(join_table(owner.name, f.name))
                    if owner.name == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE owning_id = ?", [oid])
                    if f.target == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE related_id = ?", [oid])

        self._tx(run)

    def _relation(self, class_name: str, key: str) -> Field:
        cls = self.store.schema.get(class_name)
        f = cls.fields.get(key)
        if f is None or f.type != "Relation":
            raise DataError("no such Relation field", class_name=class_name, field=key)
        return f

    def _add_edge(self, con: Any, e: Edge) -> None:
        name = join_table(e.owner_class, e.key)
        jt = quote_ident(name)
        target = self.store.schema.classes[e.owner_class].fields[e.key].target or ""
        schema = self.store.schema
        if name in schema.clean_joins and not con.execute(
            f'SELECT 1 FROM {quote_ident(target)} WHERE "objectId" = ?', [e.related_id]
        ).fetchone():
            # An edge to a record that does not exist (yet): queries must check targets again.
            # Marking it before the commit errs on the safe side if the write rolls back.
            self.store.schema = replace(schema, clean_joins=schema.clean_joins - {name})
        con.execute(
            f"INSERT INTO {jt} SELECT ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {jt} WHERE owning_id = ? AND related_id = ?)",
            [e.owning_id, e.related_id, e.owning_id, e.related_id],
        )

    def add_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        cls = self.store.schema.get(class_name)

        def run(con: Any) -> None:
            self._stored(cls, oid, con)
            self._add_edge(con, Edge(class_name, key, oid, target_id))

        self._tx(run)

    def remove_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        jt = quote_ident(join_table(class_name, key))
        self._tx(lambda con: con.execute(f"DELETE FROM {jt} WHERE owning_id = ? AND related_id = ?", [oid, target_id]))

    def define_class(self, name: str, fields: Mapping[str, Any]) -> None:
        """Create a class, or add fields to one (a field may not change its type)."""

        new = merge_schema(self.store.schema, {name: {"fields": fields}})
        old = self.store.schema

        def run(con: Any) -> None:
            self.store._create_tables(old, new)
            self.store._write_schema(old, new)
            self.store._build_indexes(new)

        self._tx(run)
        # New join tables start empty, so clean.
        self.store.schema = replace(new, clean_joins=old.clean_joins | (self._joins(new) - self._joins(old)))

    @staticmethod
    def _joins(schema: Schema) -> set[str]:
        return {join_table(c.name, f.name) for c in schema.classes.values() for f in c.user_fields if f.type == "Relation"}

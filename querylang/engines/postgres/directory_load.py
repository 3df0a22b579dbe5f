"""An interchange directory (interchange/directory.py) loaded into PostgreSQL a part at a time.

Each part of a class's file is read, checked as a document's records are (normalise_records),
compared with the objectIds the class's table holds, and copied in before the next part is
read; relations.ndjson likewise (its edges wait in temporary tables on the server until the
end, bulk_copy.EdgeCopy). The client holds one part, however large the files: a load read
whole took memory in proportion to the data (benchmarks/results/M-postgres.md, Tuning). It
all runs in the load's one transaction (store.py), so a bad record on the last line of the
last file still loads nothing.

An objectId repeated across parts of one file: a stored class's check of each part against
its table sees the earlier parts too; a new class's unique index, built once its last part is
in, refuses it. The file is then read again up to it (on that error only) to name the line.
Any fault of a class's file is said once the rest of the file is read for a line that is not
JSON, which a reader of the whole file (DuckDB's, a document's) would have met first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import errors as pge

from querylang.engines.postgres.bulk_copy import (
    EdgeCopy,
    check_new_ids,
    copy_records,
    load_failed,
)
from querylang.engines.postgres.index_limit import WHY, named_field, parts_error, too_long
from querylang.engines.postgres.layout import id_index_sql
from querylang.engines.postgres.server_errors import first_line
from querylang.engines.sql.progress import Tally
from querylang.errors import DataError
from querylang.interchange.directory import RELATIONS_FILE, class_files, read_classes, read_parts
from querylang.interchange.document import Edge, merge_schema, normalise_records, read_edge
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import to_ms

# Records (or edges) read, checked and copied at a time. A part's records take the client a
# few kB each while checked (the line's values, then the normalised record): this keeps a
# part to tens of MB, and a part costs the server a statement or two.
PART = 20_000

_REPEATED = re.compile(r'^Key \("objectId"\)=\((.*)\) is duplicated\.$', re.DOTALL)


class Tables(Protocol):
    """What the load asks of the store (store.PostgresStore)."""

    def create_tables(self, con: psycopg.Connection[Any], old: Schema, new: Schema) -> None: ...

    def build_indexes(self, con: psycopg.Connection[Any], schema: Schema) -> None: ...


def check_directory(path: Path) -> Mapping[str, Any]:
    """The classes of the directory's schema.json, read and checked with its file names
    before the load takes the schema table's lock. (They are checked against the stored
    schema under it: this process's copy may be older.)"""
    classes = read_classes(path)
    class_files(path, classes)
    return classes


def load_directory(
    store: Tables, con: psycopg.Connection[Any], path: Path, classes: Mapping[str, Any], old: Schema,
    progress: Callable[[str, int, int], None] | None,
) -> tuple[Schema, dict[str, int]]:
    """The directory into the tables, in the caller's transaction, on top of the stored schema
    ``old``; returns the new schema and the records per class file."""
    schema = merge_schema(old, classes)
    files = class_files(path, classes)
    store.create_tables(con, old, schema)
    now = to_ms(datetime.now(UTC))
    told, edges = Tally(progress, 0), EdgeCopy()
    counts = {name: _copy_class(con, old, schema.classes[name], file, now, told, edges) for name, file in files}
    rel = path / RELATIONS_FILE
    if rel.exists():
        for start, part in read_parts(rel, PART):
            found = [read_edge(schema, e, i) for i, e in enumerate(part, start)]
            told.read(len(found))
            edges.add(con, found)
            told.written(len(found))
            del part, found
    try:
        edges.finish(con)  # a stored Relation's index may refuse an edge here
        store.build_indexes(con, schema)
    except psycopg.Error as exc:
        if not too_long(exc):
            raise
        # Which record or edge holds the entry: the directory read again, a part at a time.
        # A Relation's ids are in the edges and the records' lists, not in the normalised records.
        named = named_field(exc, schema.classes)
        relations = {(c.name, f.name) for c, f in schema.relations()}
        of = {named} if named in relations else relations if named is None else set()
        records = [] if named in relations else _normalised(files, schema.classes, now)
        raise parts_error(exc, schema.classes, records, _relation_entry(exc, files, rel, of)) from exc
    return schema, counts


def _copy_class(
    con: psycopg.Connection[Any], old: Schema, cls: ClassDef, file: Path, now: datetime, told: Tally, edges: EdgeCopy,
) -> int:
    """One class's file, a part at a time; its records counted."""
    try:
        n = _copy_parts(con, old, cls, file, now, told, edges)
    except DataError:
        # A reader of the whole file (DuckDB's, a document's) meets a line that is not JSON
        # before any record's fault: the rest of the file is read for one, on this error only.
        bad = _not_json_in(file)
        if bad is None:
            raise
        raise bad from None
    if cls.name not in old.classes:
        try:
            con.execute(id_index_sql(cls.name))
        except pge.UniqueViolation as exc:
            m = _REPEATED.match(exc.diag.message_detail or "")
            at = _second(file, m.group(1) if m else None)
            if at is None:
                raise load_failed(exc, cls.name) from None
            raise _duplicate(cls, *at) from None
        except psycopg.Error as exc:
            # An objectId too long for the index: the server names no row, the file read again does.
            if not too_long(exc):
                raise
            raise parts_error(exc, {cls.name: cls}, _normalised([(cls.name, file)], {cls.name: cls}, now)) from exc
    return n


def _copy_parts(
    con: psycopg.Connection[Any], old: Schema, cls: ClassDef, file: Path, now: datetime, told: Tally, edges: EdgeCopy,
) -> int:
    """The records of a class's file checked and copied in, a part at a time; counted."""
    n = 0
    for start, rows in read_parts(file, PART):
        found: list[Edge] = []  # of the records' Relation lists
        recs = normalise_records(cls, rows, now, found, start)
        told.read(len(recs) + len(found))
        try:
            check_new_ids(con, old, cls, recs, start)
        except DataError as exc:
            raise _repeated_in_file(exc, cls, file, start) from None
        copy_records(con, cls, recs, told.written, start)
        edges.add(con, found)
        told.written(len(found))
        n += len(recs)
        del rows, recs, found  # before the next part is read: one part held, not two
    return n


def _not_json_in(file: Path) -> DataError | None:
    """The error of the file's first line that is not JSON, if it has one."""
    try:
        for _ in read_parts(file, PART):
            pass
    except DataError as exc:
        return exc
    return None


def _repeated_in_file(exc: DataError, cls: ClassDef, file: Path, start: int) -> DataError:
    """``exc`` (an objectId the table holds), or a duplicate within the file when the table
    has it from an earlier part of this load."""
    oid = exc.object_id
    if oid is None or exc.record_index is None:
        return exc
    for at, rows in read_parts(file, PART):
        if at >= start:
            break
        if any(isinstance(r, dict) and r.get("objectId") == oid for r in rows):
            return _duplicate(cls, oid, exc.record_index)
    return exc


def _second(file: Path, oid: str | None) -> tuple[str, int] | None:
    """(objectId, position) of the second record of the file with objectId ``oid`` (None: of
    the first objectId met twice)."""
    seen: set[object] = set()
    for start, rows in read_parts(file, PART):
        for i, r in enumerate(rows, start):
            key = r.get("objectId") if isinstance(r, dict) else None
            if not isinstance(key, str) or (oid is not None and key != oid):
                continue
            if key in seen:
                return key, i
            seen.add(key)
    return None


def _duplicate(cls: ClassDef, oid: str, index: int) -> DataError:
    exc = DataError("duplicate objectId", class_name=cls.name, object_id=oid)
    exc.record_index = index  # its line
    return exc


def _relation_entry(
    exc: psycopg.Error, files: list[tuple[str, Path]], rel: Path, relations: set[tuple[str, str]],
) -> tuple[int, DataError] | None:
    """The longest id of the ``relations`` (class, key), with the error that names the record
    whose list, or the edge of relations.ndjson, holds it. None when no record or edge has one."""
    if not relations:
        return None
    best: tuple[int, str, str, object, int, bool] | None = None  # (size, class, key, objectId, position, an edge?)
    sources = [(file, name, False) for name, file in files if any(c == name for c, _ in relations)]
    for file, name, of_edges in sources + ([(rel, "", True)] if rel.exists() else []):
        for start, rows in read_parts(file, PART):
            for at, row in enumerate(rows, start):
                if not isinstance(row, dict):
                    continue
                if of_edges:
                    owner = (row.get("class"), row.get("key"))
                    found = [owner] if owner in relations else []
                else:
                    found = [(name, k) for c, k in relations if c == name and isinstance(row.get(k), list)]
                for owner in found:
                    ids = [row.get("objectId"), row.get("targetId")] if of_edges else row[owner[1]]
                    # A list's id may be written as a Pointer, {"__type": "Pointer", "objectId": ...}.
                    ids = [v.get("objectId") if isinstance(v, dict) else v for v in ids]
                    size = max((len(v.encode()) for v in ids if isinstance(v, str)), default=0)
                    if size and (best is None or size > best[0]):
                        best = (size, str(owner[0]), str(owner[1]), row.get("objectId"), at, of_edges)
    if best is None:
        return None
    size, name, key, oid, at, of_edges = best
    err = DataError("load failed, nothing was loaded: the value is " + WHY.format(first_line(exc)), class_name=name,
                    object_id=oid if isinstance(oid, str) else None, field=key)
    if of_edges:
        err.edge_index = at
    else:
        err.record_index = at
    return size, err


def _normalised(
    files: list[tuple[str, Path]], classes: Mapping[str, ClassDef], now: datetime,
) -> Iterator[tuple[str, int, list[dict[str, Any]]]]:
    for name, file in files:
        cls = classes[name]
        for start, rows in read_parts(file, PART):
            yield name, start, normalise_records(cls, rows, now, [], start)

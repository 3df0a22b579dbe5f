"""A value too long for one of the store's indexes (docs/postgres.md: about 2.7 kB after
compression), said of the class, record and field that hold it. The server names only the
index ("index row size 3456 exceeds maximum 2712 for index "ix:Post:tags:e"") or nothing at
all ("index row requires 300016 bytes, maximum size is 8191"); a load meets it when it builds
a new class's indexes, after the COPY, where no row is named either."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import psycopg

from querylang.engines.postgres.layout import ident
from querylang.engines.postgres.server_errors import first_line
from querylang.errors import DataError
from querylang.interchange.document import Dataset
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import canonical

_INDEX = re.compile(r'for index "((?:[^"]|"")+)"')
WHY = ("too long for PostgreSQL's index of it ({}): an Array element, a Pointer, an objectId or a "
       "Relation's target holds at most about 2.7 kB after compression")


def too_long(exc: BaseException | None) -> bool:
    """Whether the server refused an index entry as too long (SQLSTATE 54000)."""
    return isinstance(exc, psycopg.Error) and exc.sqlstate == "54000" and "index row" in str(exc)


def indexed_fields(classes: Mapping[str, ClassDef]) -> Iterator[tuple[str, str, str]]:
    """(stored index name, class, field) of each index that store.build_indexes makes."""
    for name, cls in classes.items():
        yield ident(f"ix:{name}:objectId"), name, "objectId"
        for f in cls.user_fields:
            if f.type == "Pointer":
                yield ident(f"ix:{name}:{f.name}"), name, f.name
            elif f.type == "Array":
                yield ident(f"ix:{name}:{f.name}:e"), name, f.name
            elif f.type == "Relation":
                yield ident(f"ix:{name}:{f.name}:owning"), name, f.name
                yield ident(f"ix:{name}:{f.name}:related"), name, f.name


def named_field(exc: BaseException, classes: Mapping[str, ClassDef]) -> tuple[str, str] | None:
    """(class, field) of the index the server's message names, if it names one of ours."""
    m = _INDEX.search(str(exc))
    if m is None:
        return None
    index = m.group(1).replace('""', '"')
    return next(((c, f) for i, c, f in indexed_fields(classes) if i == index), None)


def key_size(cls: ClassDef, field: str, value: Any) -> int:
    """The longest index entry ``value`` of ``field`` makes, in UTF-8 bytes (0: none)."""
    f = cls.fields.get(field)
    if isinstance(value, str) and (field == "objectId" or (f is not None and f.type in ("Pointer", "Relation"))):
        return len(value.encode())
    if f is not None and f.type == "Array" and isinstance(value, list):
        return max((len(canonical(e).encode()) for e in value), default=0)
    if f is not None and f.type == "Relation" and isinstance(value, list):
        return max((len(v.encode()) for v in value if isinstance(v, str)), default=0)
    return 0


def longest(cls: ClassDef, rec: Mapping[str, Any], field: str | None = None) -> tuple[int, str | None]:
    """(size, field) of the longest index entry in a record's values (of ``field`` alone if given)."""
    sizes = [(key_size(cls, k, v), k) for k, v in rec.items() if field is None or k == field]
    return max(sizes, default=(0, None))


def write_error(exc: BaseException, schema: Schema, class_name: str, oid: str | None,
                fields: Mapping[str, Any] | None, edges: Iterable[str] = ()) -> DataError:
    """A write's refusal placed: the field the index belongs to, else the written field (or
    Relation edited, ``edges``) with the longest entry."""
    named = named_field(exc, schema.classes)
    field = named[1] if named is not None and named[0] == class_name else None
    if field is None and fields is not None and class_name in schema.classes:
        # A field with no index entry (a String) is none of the culprits: an update setting
        # name and adding a long Relation target was said to have failed on name.
        size, longest_field = longest(schema.classes[class_name], fields)
        field = longest_field if size > 0 else None
    if field is None:
        field = next(iter(edges), None)
    return DataError("write failed, nothing was changed: the value is " + WHY.format(first_line(exc)),
                     class_name=class_name, object_id=oid, field=field)


def load_error(exc: BaseException, classes: Mapping[str, ClassDef], records: Mapping[str, list[dict[str, Any]]]) -> DataError:
    """A load's refusal placed: the record of the class and field the index belongs to that
    holds the longest entry (without the index named: of any indexed field); ``record_index``
    its place, which a directory's reader makes a line of the class's file."""
    return parts_error(exc, classes, ((name, 0, recs) for name, recs in records.items()))


def parts_error(exc: BaseException, classes: Mapping[str, ClassDef],
                parts: Iterable[tuple[str, int, list[dict[str, Any]]]],
                rival: tuple[int, DataError] | None = None) -> DataError:
    """:func:`load_error` of records met a part at a time: (class, position of the part's
    first record among the class's, records); ``rival``: (size, error) of an entry found
    elsewhere (an edge's id), said instead when longer than the records' longest."""
    named = named_field(exc, classes)
    best: tuple[int, str, str | None, int, str | None] | None = None
    for name, start, recs in parts:
        if named is not None and name != named[0]:
            continue
        cls = classes[name]
        for at, rec in enumerate(recs, start):
            size, field = longest(cls, rec, None if named is None else named[1])
            if field is not None and (best is None or size > best[0]):
                best = (size, name, field, at, rec.get("objectId"))
    if rival is not None and (best is None or rival[0] > best[0]):
        return rival[1]
    message = "load failed, nothing was loaded: the value is " + WHY.format(first_line(exc))
    if best is None:
        return DataError(message, class_name=None if named is None else named[0],
                         field=None if named is None else named[1])
    _, name, field, at, oid = best
    err = DataError(message, class_name=name, object_id=oid, field=field)
    err.record_index = at
    return err


def build_indexes_placed(con: psycopg.Connection[Any], data: Dataset,
                         build: Callable[[psycopg.Connection[Any], Schema], None]) -> None:
    """A load's ``build(con, schema)`` of its indexes, an entry too long for one said of its
    record (load_error)."""
    try:
        build(con, data.schema)
    except psycopg.Error as exc:
        if not too_long(exc):
            raise
        raise load_error(exc, data.schema.classes, data.records) from exc

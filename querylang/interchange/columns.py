"""The interchange document read a column at a time, into Arrow (for Store.load).

:func:`read_columns` makes the same checks as :func:`data.read_dataset` and gives the same
values: an Arrow array per scalar field, the arrays of all its columns for a nested field in
a usual shape (Arrays of strings, Objects of scalars, GeoPoints), Python values for other
nested fields (the store converts those). A class is checked column by column, mostly in C
(a type set per column, Arrow's conversion and compute kernels); when those checks cannot
vouch for every record, the class is read record by record after all, which finds the same
first error with the same message. At scale L the 1M Comments take ~1.5 s this way; record by
record, the whole load took 35 s (benchmarks, Tuning P7 and P13).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import accumulate, chain, compress, repeat
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from querylang.interchange.directory import RELATIONS_FILE, class_files, read_classes, read_parts
from querylang.interchange.document import (
    Edge,
    class_rows,
    normalise_records,
    read_edge,
    read_source,
    relation_list,
)
from querylang.interchange.value_checks import check_value
from querylang.model.schema import ClassDef, Field, Schema
from querylang.model.values import canonical_plain, parse_isos, plain_json, scalar_json
from querylang.steps import step

# How each scalar field type is stored (layout.SQL_TYPES), as Arrow types.
TIMESTAMP = pa.timestamp("us")  # naive UTC wall time, as DuckDB's TIMESTAMP
ARROW_SCALARS = {"String": pa.string(), "Pointer": pa.string(), "Number": pa.float64(), "Boolean": pa.bool_(), "Date": TIMESTAMP}


@dataclass
class ClassColumns:
    """One class's checked records by column, in record order: an Arrow array for objectId,
    createdAt, updatedAt and each scalar field; for each Array, Object and GeoPoint field
    either the arrays of all its columns (layout.field_columns order, a tuple) or a list of
    normalised values (None = no value) for the store to convert; and for each user field the
    records that hold it as an explicit null."""

    values: dict[str, pa.Array | tuple[pa.Array, ...] | list[Any]]
    nulls: dict[str, list[int]]

    def __len__(self) -> int:
        return len(self.values["objectId"])


@dataclass
class ColumnDataset:
    """:class:`data.Dataset` by column; ``edges`` maps each Relation field, as (owner class,
    key), to its owning and related ids (an edge may be listed more than once: the store
    keeps each once)."""

    schema: Schema
    columns: dict[str, ClassColumns] = field(default_factory=dict)
    edges: dict[tuple[str, str], tuple[pa.Array, pa.Array]] = field(default_factory=dict)  # see Edges


def open_document(source: str | Path | Mapping[str, Any], existing: Schema | None) -> tuple[Mapping[str, Any], Schema, datetime]:
    """The document, its schema merged into ``existing``, and the time records without
    createdAt get (for iter_columns)."""
    return read_source(source, existing, None)


def read_columns(
    source: str | Path | Mapping[str, Any],
    existing: Schema | None = None,
    *,
    now: datetime | None = None,
) -> ColumnDataset:
    """:func:`data.read_dataset` by column: the same checks, errors and values."""
    doc, schema, now = read_source(source, existing, now)
    out = ColumnDataset(schema)
    for part in iter_columns(doc, schema, now):
        if isinstance(part, tuple):
            out.columns[part[0].name] = part[1]  # one part per class, not pipelined
        else:
            for key, (owning, related) in part.items():
                if key in out.edges:
                    owning = pa.concat_arrays([out.edges[key][0], owning])
                    related = pa.concat_arrays([out.edges[key][1], related])
                out.edges[key] = (owning, related)
    return out


Edges = dict[tuple[str, str], tuple[pa.Array, pa.Array]]

# Records per part when the store writes while reading: a quarter of a 1M-record class, so
# that its first parts are in the table before the rest is read.
PIPELINE_CHUNK = 250_000


def iter_columns(
    doc: Mapping[str, Any], schema: Schema, now: datetime, *, pipelined: bool = False
) -> Iterator[tuple[ClassDef, ClassColumns, bool] | Edges]:
    """Each class's columns as (class, columns, last part of the class), then the document's
    edges, and last any edges that Relation lists inside records gave.

    In that order the first error raised is read_dataset's. ``pipelined`` serves a store
    that writes each part while the next is read: the edges first and then the biggest
    classes, in parts of PIPELINE_CHUNK records, so that the writing starts early and the indexes
    of big tables are built while small ones are read. An error may then not be the
    document's first: read_columns finds that one.
    """
    record_edges: list[Edge] = []
    classes = list(class_rows(doc, schema))
    relations = relation_list(doc)
    order: list[tuple[ClassDef, list[Any]] | None] = [*classes, None]  # None: the relations
    if pipelined:
        order.sort(key=lambda part: (part is not None, 0 if part is None else -len(part[1])))
    for part in order:
        if part is None:
            yield relation_columns(relations, schema)
            continue
        cls, rows = part
        step = PIPELINE_CHUNK if pipelined else max(len(rows), 1)
        for start in range(0, max(len(rows), 1), step):
            piece = rows[start : start + step] if step < len(rows) else rows
            cols = bulk_columns(cls, piece, now)
            if cols is None:
                cols = record_columns(cls, normalise_records(cls, piece, now, record_edges))
            yield cls, cols, start + step >= len(rows)
    if record_edges:
        yield edge_arrays(record_edges)


def iter_directory_columns(
    path: Path, schema: Schema, now: datetime, size: int | None = None
) -> Iterator[tuple[ClassDef, ClassColumns, bool] | Edges]:
    """As :func:`iter_columns`, an interchange directory (directory.py) a part at a time: each
    class's parts (class, columns, last part of the class) in the order of ``schema.json``,
    then the edges of relations.ndjson, then the edges Relation lists inside records gave. The first error raised is the
    directory's first in that order; objectIds repeated across parts are left to the
    store's unique index."""
    record_edges: list[Edge] = []
    for name, file in class_files(path, read_classes(path)):
        cls = schema.classes[name]
        pending: tuple[int, list[Any]] | None = None
        for start, rows in read_parts(file, size):
            if pending is not None:
                yield cls, _part_columns(cls, *pending, now, record_edges), False
            pending = (start, rows)
        if pending is not None:
            yield cls, _part_columns(cls, *pending, now, record_edges), True
    rel = path / RELATIONS_FILE
    if rel.exists():
        for start, edges in read_parts(rel, size):
            if edges:
                yield relation_columns(edges, schema, start)
    if record_edges:
        yield edge_arrays(record_edges)


def _part_columns(cls: ClassDef, start: int, rows: list[Any], now: datetime, record_edges: list[Edge]) -> ClassColumns:
    cols = bulk_columns(cls, rows, now)
    if cols is None:
        cols = record_columns(cls, normalise_records(cls, rows, now, record_edges, start))
    return cols


def record_columns(cls: ClassDef, recs: list[dict[str, Any]]) -> ClassColumns:
    """Normalised records (from data.normalise_records) as columns."""
    values: dict[str, pa.Array | list[Any]] = {
        "objectId": pa.array([r["objectId"] for r in recs], pa.string()),
        "createdAt": pa.array([r["createdAt"] for r in recs], TIMESTAMP),
        "updatedAt": pa.array([r["updatedAt"] for r in recs], TIMESTAMP),
    }
    nulls = {}
    for f in cls.user_fields:
        if f.type == "Relation":
            continue
        column = [r.get(f.name) for r in recs]
        values[f.name] = _doubles(column) if f.type == "Number" else pa.array(column, ARROW_SCALARS[f.type]) if f.type in ARROW_SCALARS else column
        nulls[f.name] = [i for i, r in enumerate(recs) if f.name in r and r[f.name] is None]
    return ClassColumns(values, nulls)


def _doubles(values: list[Any]) -> pa.Array:
    """Numbers as DOUBLE. Arrow refuses integers a double cannot hold exactly (beyond 2**53);
    those round the way ``float`` does, as record_row does."""
    try:
        return pa.array(values, pa.float64())
    except (pa.ArrowInvalid, OverflowError):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())


# --- a class a column at a time ----------------------------------------------------------------

# The Python types a bulk check accepts for each field type (besides None); any other value
# sends the class down the record-by-record path. bool is not int here: type() is exact.
_BULK_TYPES: dict[str, set[type]] = {"String": {str}, "Pointer": {str}, "Number": {int, float}, "Boolean": {bool}, "Date": {str}}
_NONE = type(None)


@step("bulk_columns")
def bulk_columns(cls: ClassDef, rows: list[Any], now: datetime) -> ClassColumns | None:
    """The class's records checked and converted a column at a time, exactly as
    data.normalise_records would; None when these checks cannot vouch for every record
    (a bad value, a generated objectId, a Relation inside a record, a Mapping not a dict)."""
    if not set(map(type, rows)) <= {dict}:
        return None
    n = len(rows)
    ids = _column(rows, "objectId")
    if not set(map(type, ids)) <= {str}:
        return None  # missing (to be generated) or not a string
    # Two records with one objectId: the unique index refuses them, and Store.load then reads
    # the document record by record for the error (a set of 1M ids costs 0.2 s, every load).
    id_array = _text_array(ids, nonempty=True)
    if id_array is None:
        return None
    out = ClassColumns({"objectId": id_array}, {})
    # Explicit nulls (kept, so records read back as written) and unknown fields are found by
    # counting: every (record, key) pair is a value, an explicit null or an unknown field.
    held = n  # pairs accounted for: objectId in every record
    dense: list[tuple[str, list[Any]]] = []  # fields mostly absent: their nulls only if needed
    for name, f in cls.fields.items():
        if name == "objectId":
            continue
        values = _column(rows, name)
        nones = values.count(None)
        held += n - nones
        nulls: list[int] | None = None
        if nones * 4 <= n:  # few absent: look at each
            nulls = [i for i in _none_positions(values, nones) if name in rows[i]]
            held += len(nulls)
        else:
            dense.append((name, values))
        if f.type == "Relation":
            if nones != n or nulls:
                return None  # edges inside records: read_dataset's order of edges
            continue
        if nones == n and f.type in ARROW_SCALARS:  # no record has it (updatedAt, usually)
            checked = pa.nulls(n, ARROW_SCALARS[f.type])
        else:
            checked = _bulk_check(f, values, n - nones)
        if checked is None:
            return None
        out.values[name] = checked
        if not f.builtin:
            out.nulls[name] = nulls or []
    pairs = sum(map(len, rows))
    if pairs != held:
        for name, values in dense:  # some mostly-absent field holds explicit nulls
            nulls = [i for i in compress(range(n), map(operator.is_, values, repeat(None))) if name in rows[i]]
            held += len(nulls)
            f = cls.fields[name]
            if f.type == "Relation":
                if nulls:
                    return None
            elif not f.builtin:
                out.nulls[name] = nulls
        if pairs != held:
            return None  # some record has a field the class does not
    created = out.values["createdAt"]
    updated = out.values["updatedAt"]
    assert isinstance(created, pa.Array) and isinstance(updated, pa.Array)
    if created.null_count:
        # A missing date is filled from the other one, so updatedAt is never before createdAt.
        if updated.null_count < n:
            created = pc.coalesce(created, updated)
        created = out.values["createdAt"] = created.fill_null(pa.scalar(now.replace(tzinfo=None), TIMESTAMP))
    out.values["updatedAt"] = created if updated.null_count == n else pc.coalesce(updated, created)
    return out


def _none_positions(values: list[Any], count: int) -> list[int]:
    """Where the ``count`` Nones of ``values`` are (list.index finds each in C)."""
    out = []
    at = -1
    find = values.index
    for _ in range(count):
        at = find(None, at + 1)
        out.append(at)
    return out


def _column(rows: list[dict[str, Any]], name: str) -> list[Any]:
    """Each row's value of ``name`` (None where it has none), in one C-level pass."""
    return list(map(dict.get, rows, repeat(name)))


def _bulk_check(f: Field, values: list[Any], present: int) -> pa.Array | tuple[pa.Array, ...] | list[Any] | None:
    """One field's values (None = absent or null) as check_value stores them, or None when
    some value is wrong or needs the record-by-record path (check_value's order of errors)."""
    allowed = _BULK_TYPES.get(f.type)
    if allowed is None:  # Array, Object, GeoPoint, and Parse's Polygon, File, Bytes, ACL
        # The usual shapes (Arrays of strings, Objects of scalars, GeoPoints) straight to
        # their columns' arrays; anything else checked one by one, converted by the store.
        nested = _NESTED.get(f.type)
        try:
            fast = nested(values) if nested is not None else None
        except Exception:
            fast = None
        if fast is not None:
            return fast
        try:
            return [None if v is None else check_value(f.type, v, f.target) for v in values]
        except Exception:  # whatever it is, the record path meets it in record order
            return None
    if not set(map(type, values)) <= allowed | {_NONE}:
        return None
    if f.type in ("String", "Pointer"):
        return _text_array(values, nonempty=f.type == "Pointer")
    if f.type == "Number":
        return _number_array(values)
    if f.type == "Date":
        return _date_array(values, present)
    return pa.array(values, pa.bool_())  # Boolean: the type is the whole check


def _text_array(strings: list[str | None], *, nonempty: bool = False) -> pa.Array | None:
    """Strings as Arrow, or None if one fails data._check_text (a NUL, a lone surrogate,
    which Arrow refuses to encode) or, with ``nonempty``, is empty."""
    try:
        arr = pa.array(strings, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        return None
    if pc.any(pc.match_substring(arr, "\x00")).as_py():
        return None
    if nonempty and len(arr) > arr.null_count and pc.min(pc.binary_length(arr)).as_py() == 0:
        return None
    return arr


def _number_array(numbers: list[int | float | None]) -> pa.Array | None:
    """Numbers as DOUBLE if all are finite and within ±2**63; past that (rare) the record-by-
    record path decides: the nearest double, or an error past a double's range."""
    try:
        arr = pa.array(numbers, pa.float64())
    except (pa.ArrowInvalid, OverflowError):
        # Integers beyond 2**53: checked exactly in Python, stored rounded.
        present = [v for v in numbers if v is not None]
        try:
            if not all(map(math.isfinite, present)) or max(present) > 2**63 or min(present) < -(2**63):
                return None
        except OverflowError:  # an int too large for a double
            return None
        return _doubles(numbers)
    if len(arr) == arr.null_count:
        return arr
    if not pc.all(pc.is_finite(arr)).as_py():
        return None
    lo, hi = pc.min_max(arr).values()
    return arr if hi.as_py() <= 2**63 and lo.as_py() >= -(2**63) else None


# --- nested fields in their usual shapes, a column at a time ------------------------------------
# Each gives what store.field_cells gives value by value, as whole columns (tests/
# test_load_columns.py compares them), or None for a shape it does not handle.


def _list_offsets(values: list[Any]) -> tuple[pa.Array, pa.Array, list[int]]:
    """Offsets (int32) and null mask of a list-like column, and the offsets as Python ints."""
    lens = [0 if v is None else len(v) for v in values]
    offsets = [0, *accumulate(lens)]
    return pa.array(offsets, pa.int32()), pa.array(list(map(operator.is_, values, repeat(None))), pa.bool_()), offsets


def _lists(offsets: pa.Array, items: pa.Array, mask: pa.Array) -> pa.Array:
    return pa.ListArray.from_arrays(offsets, items, mask=mask)


def _wrapped(open_: str, parts: pa.Array, sep: str, close: str) -> pa.Array:
    """Each list of strings joined by ``sep`` between ``open_`` and ``close``."""
    return pc.binary_join_element_wise(open_, pc.binary_join(parts, sep), close, "")


def _empty_lists(offsets: list[int], mask: pa.Array, item: pa.DataType) -> pa.Array:
    return pa.ListArray.from_arrays(pa.array([0] * len(offsets), pa.int32()), pa.array([], item), mask=mask)


def _string_arrays(values: list[Any]) -> tuple[pa.Array, ...] | None:
    """Arrays of strings only (tags, the usual kind): store._string_array_cells by column."""
    present = [v for v in values if v is not None]
    if not set(map(type, present)) <= {list}:
        return None
    flat = list(chain.from_iterable(present))
    if not set(map(type, flat)) <= {str}:
        return None
    strings = _text_array(flat)
    if strings is None:
        return None
    offsets, mask, py_offsets = _list_offsets(values)
    keys_of = {s: canonical_plain(s) for s in set(flat)}
    keys = _lists(offsets, pa.array(list(map(keys_of.__getitem__, flat)), pa.string()), mask)
    return (
        _wrapped("[", keys, ", ", "]"),  # the JSON text
        _wrapped("[", keys, ",", "]"),  # the canonical key
        keys,
        _empty_lists(py_offsets, mask, pa.float64()),
        _lists(offsets, strings, mask),
        _empty_lists(py_offsets, mask, TIMESTAMP),
        _empty_lists(py_offsets, mask, pa.bool_()),
    )


_SCALAR_TYPES = {str, int, float, bool, _NONE}
_EXACT = 2**53


def _flat_objects(values: list[Any]) -> tuple[pa.Array, ...] | None:
    """Objects of scalars only (no nesting, no Parse ``__type`` objects): store.
    _flat_object_cells by column."""
    present = [v for v in values if v is not None]
    if not set(map(type, present)) <= {dict}:
        return None
    keys = list(chain.from_iterable(present))
    items = list(chain.from_iterable(map(dict.values, present)))
    types = list(map(type, items))
    if not (set(map(type, keys)) <= {str} and set(types) <= _SCALAR_TYPES) or "__type" in keys:
        return None
    if any("." in k for k in keys):
        return None  # refused by the record checks (value_checks._check_json), with the key named
    # value_checks._check_json's rules: text keys and strings, finite floats; ints past ±2**63 (rare)
    # go the record-by-record way, which stores their doubles.
    key_array = _text_array(keys)
    strings = [v for v, t in zip(items, types, strict=True) if t is str]
    ints = [v for v, t in zip(items, types, strict=True) if t is int]
    floats = [v for v, t in zip(items, types, strict=True) if t is float]
    if key_array is None or _text_array(strings) is None or not all(map(math.isfinite, floats)):
        return None
    if ints and (max(ints) > 2**63 or min(ints) < -(2**63)):
        return None
    encoded = {s: scalar_json(s) for s in set(keys) | set(strings)}
    # An int a double holds exactly is its own JSON text (what scalar_json(plain_json(v)) gives).
    json_texts = pa.array(
        [
            encoded[v] if t is str else int.__repr__(v) if t is int and -_EXACT < v < _EXACT else scalar_json(plain_json(v))  # type: ignore[arg-type]
            for v, t in zip(items, types, strict=True)
        ],
        pa.string(),
    )
    json_keys = pa.array(list(map(encoded.__getitem__, keys)), pa.string())
    offsets, mask, py_offsets = _list_offsets(values)
    text = _wrapped("{", _lists(offsets, pc.binary_join_element_wise(json_keys, json_texts, ": "), mask), ", ", "}")
    # The canonical key: the same pairs sorted by key in each object (Arrow compares UTF-8
    # bytes, which orders as Python orders the code points).
    rows = pc.list_parent_indices(_lists(offsets, key_array, mask))
    pairs = pa.table({"row": rows, "key": key_array, "pair": pc.binary_join_element_wise(json_keys, json_texts, ":")})
    ordered = pairs.sort_by([("row", "ascending"), ("key", "ascending")])["pair"].combine_chunks()
    key = _wrapped("{", _lists(offsets, ordered, mask), ",", "}")

    def typed(kinds: set[type], item: pa.DataType) -> pa.Array:
        """The map from each key to its value, for the values of these types only."""
        keep = list(map(kinds.__contains__, types))
        before = list(accumulate(keep, initial=0))
        picked = pa.array(list(compress(items, keep)), item) if item != pa.float64() else _doubles(list(compress(items, keep)))
        return pa.MapArray.from_arrays(
            pa.array([before[o] for o in py_offsets], pa.int32()), key_array.filter(pa.array(keep, pa.bool_())), picked, mask=mask
        )

    return (
        text,
        key,
        pa.MapArray.from_arrays(offsets, key_array, json_texts, mask=mask),
        typed({int, float}, pa.float64()),
        typed({str}, pa.string()),
        typed({bool}, pa.bool_()),
        pa.MapArray.from_arrays(pa.array([0] * len(py_offsets), pa.int32()), pa.array([], pa.string()), pa.array([], TIMESTAMP), mask=mask),
    )


def _geo_points(values: list[Any]) -> tuple[pa.Array, ...] | None:
    """GeoPoints as plain dicts: their latitude and longitude columns."""
    present = [v for v in values if v is not None]
    if not set(map(type, present)) <= {dict}:
        return None
    lat: list[Any] = list(map(dict.get, present, repeat("latitude")))
    lng: list[Any] = list(map(dict.get, present, repeat("longitude")))
    if not set(map(type, lat)) | set(map(type, lng)) <= {int, float}:
        return None
    if not (all(-90 <= x <= 90 for x in lat) and all(-180 <= x <= 180 for x in lng)):
        return None  # out of range, or NaN
    if len(present) < len(values):  # put the absent ones back in place
        lats, lngs = iter(lat), iter(lng)
        lat = [None if v is None else next(lats) for v in values]
        lng = [None if v is None else next(lngs) for v in values]
    return pa.array(lat, pa.float64()), pa.array(lng, pa.float64())


_NESTED = {"Array": _string_arrays, "Object": _flat_objects, "GeoPoint": _geo_points}


# The form Parse and toISOString print, '2024-05-01T12:00:00.000Z' (semantics._ISO_MS_RE).
_ISO_MS = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"


def _date_array(texts: list[str | None], present: int) -> pa.Array | None:
    """ISO strings as TIMESTAMP, or None if one is not a date. Arrow reads the usual form in
    C (and refuses days and times that do not exist, as datetime does); year 0000, which
    Arrow takes and datetime does not, and every other form go through semantics.parse_isos."""
    try:
        strings = pa.array(texts, pa.string())
    except (UnicodeEncodeError, pa.ArrowException):
        return None  # a lone surrogate: not a date
    if (
        present
        and pc.all(pc.match_substring_regex(strings, _ISO_MS)).as_py()
        and not pc.any(pc.starts_with(strings, "0000")).as_py()
    ):
        try:
            return strings.cast(pa.timestamp("ms", tz="UTC")).cast(TIMESTAMP)
        except pa.ArrowInvalid:
            pass  # a day or time that does not exist: parse_isos finds it
    given = [t for t in texts if t is not None]
    dates = parse_isos(given)
    if None in dates:
        return None
    read = iter(dates)
    return pa.array([None if t is None else next(read) for t in texts], TIMESTAMP)


# --- relations ---------------------------------------------------------------------------------

_ABSENT = object()


@step("relation_columns")
def relation_columns(relations: list[Any], schema: Schema, start: int = 0) -> Edges:
    """The edges of the document's ``relations`` list by Relation field: the owning and the
    related ids. Checked a column at a time; when that cannot vouch for every edge,
    data.read_edge reads them one by one and names the first wrong one (``start``: the
    position of ``relations[0]`` in the whole list)."""
    bulk = _bulk_edges(schema, relations)
    if bulk is None:
        return edge_arrays([read_edge(schema, rel, i) for i, rel in enumerate(relations, start)])
    return bulk


def edge_arrays(edges: list[Edge]) -> Edges:
    """Edge objects (few: read one by one) by Relation field, as Arrow arrays."""
    out = {}
    for key in dict.fromkeys((e.owner_class, e.key) for e in edges):
        mine = [e for e in edges if (e.owner_class, e.key) == key]
        out[key] = (pa.array([e.owning_id for e in mine], pa.string()), pa.array([e.related_id for e in mine], pa.string()))
    return out


def _bulk_edges(schema: Schema, relations: list[Any]) -> Edges | None:
    """``relations`` checked a column at a time, as read_edge checks each, by Relation field;
    or None when some edge is wrong (or not a plain dict)."""
    if not relations:
        return {}
    if not set(map(type, relations)) <= {dict}:
        return None
    n = len(relations)
    owners, keys, oids, related = (_column(relations, k) for k in ("class", "key", "objectId", "targetId"))
    if not set(map(type, oids)) | set(map(type, related)) <= {str}:
        return None
    # The usual document: one Relation field, no targetClass (four keys each), found in C.
    one = (
        type(owners[0]) is str and owners.count(owners[0]) == n
        and type(keys[0]) is str and keys.count(keys[0]) == n
        and set(map(len, relations)) == {4}
    )
    if one:
        triples = {(owners[0], keys[0], _ABSENT)}
    else:
        targets = list(map(dict.get, relations, repeat("targetClass"), repeat(_ABSENT)))
        if not (set(map(type, owners)) | set(map(type, keys)) <= {str} and set(map(type, targets)) <= {str, object}):
            return None  # object: _ABSENT, no targetClass given
        if list(map(len, relations)) != [4 if t is _ABSENT else 5 for t in targets]:
            return None  # a key beyond the four and targetClass
        triples = set(zip(owners, keys, targets, strict=True))
    for owner, key, target in triples:  # a few distinct triples
        cls = schema.classes.get(owner)
        f = cls.fields.get(key) if cls is not None else None
        if f is None or f.type != "Relation" or target not in (_ABSENT, f.target):
            return None
    o, r = _text_array(oids, nonempty=True), _text_array(related, nonempty=True)
    if o is None or r is None:
        return None
    if one:
        return {(owners[0], keys[0]): (o, r)}
    cs, ks = pa.array(owners, pa.string()), pa.array(keys, pa.string())
    out = {}
    for owner, key in dict.fromkeys((c, k) for c, k, _ in triples):
        mask = pc.and_(pc.equal(cs, owner), pc.equal(ks, key))
        out[(owner, key)] = (o.filter(mask), r.filter(mask))
    return out

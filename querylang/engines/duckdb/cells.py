"""Records ⇄ DuckDB cells: the values of a record in its table's columns (layout.py), as rows or as Arrow columns."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

import pyarrow as pa

from querylang.engines.duckdb.layout import (
    field_columns,
)
from querylang.errors import QueryCancelled
from querylang.features import text
from querylang.features.geo import polygon_ring
from querylang.interchange.columns import (
    ClassColumns,
)
from querylang.model.schema import ClassDef, Field
from querylang.model.values import (
    canonical,
    canonical_plain,
    flatten,
    plain_json,
    scalar_json,
    type_class,
)

WORDS_CHUNK = 2000  # texts between two looks at a cancel event (word_arrays)
ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
    "DOUBLE[]": pa.list_(pa.float64()),
    "TIMESTAMP[]": pa.list_(pa.timestamp("us")),
    "BOOLEAN[]": pa.list_(pa.bool_()),
    "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string()),
    "MAP(VARCHAR, DOUBLE)": pa.map_(pa.string(), pa.float64()),
    "MAP(VARCHAR, BOOLEAN)": pa.map_(pa.string(), pa.bool_()),
    "MAP(VARCHAR, TIMESTAMP)": pa.map_(pa.string(), pa.timestamp("us")),
}


# json.dumps(value, ensure_ascii=False), with the encoder built once instead of per call.
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def _naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)


# --- records ⇄ columns ----------------------------------------------------------------------


def field_cells(f: Field, value: Any) -> list[Any]:
    """The cells of one field's columns (layout.field_columns order) for a stored value."""
    if f.type == "Relation":
        return []  # edges live in their own table
    if f.type == "Array":
        if value is None:
            return [None] * 7
        if all(type(e) is str for e in value):
            return _string_array_cells(value)
        return _array_cells(value)
    if f.type == "Object":
        if value is None:
            return [None] * 7
        if all(type(v) in _FLAT_SCALARS for v in value.values()):
            return _flat_object_cells(value)
        return _object_cells(value)
    if f.type == "GeoPoint":
        if value is None:
            return [None, None]
        return [float(value["latitude"]), float(value["longitude"])]
    if f.type == "Polygon":
        if value is None:
            return [None, None, None]
        coords = value["coordinates"]
        lats, lngs = polygon_ring(coords)
        return [_JSON_TEXT(plain_json(coords)), lats, lngs]
    if f.type == "File":
        if value is None:
            return [None, None]
        return [value["name"], value.get("url")]
    if f.type == "Bytes":
        return [None if value is None else value["base64"]]
    if f.type == "ACL":
        return [None if value is None else _JSON_TEXT(value)]
    if f.type == "String":
        if value is None:
            return [None] * 4
        return [value, *stored_words(value)]
    if value is None:
        return [None]
    if f.type == "Date":
        return [_naive(value)]
    if f.type == "Number":
        return [float(value)]
    return [value]


def _array_cells(value: list[Any]) -> list[Any]:
    """The cells of an Array field's columns (layout.ARRAY_PARTS order)."""
    by_class: dict[str, list[Any]] = {"number": [], "string": [], "date": [], "bool": []}
    for e in value:
        tc = type_class(e)
        if tc in by_class:
            by_class[tc].append(_naive(e) if tc == "date" else e)
    plain = plain_json(value)  # once: the JSON text and every key below start from it
    return [
        _JSON_TEXT(plain),
        canonical_plain(plain),
        [canonical_plain(e) for e in plain],
        [float(x) for x in by_class["number"]],
        by_class["string"],
        by_class["date"],
        by_class["bool"],
    ]


def _object_cells(value: dict[str, Any]) -> list[Any]:
    """The cells of an Object field's columns (layout.field_columns order)."""
    paths = flatten(value)
    typed: dict[str, list[tuple[str, Any]]] = {"number": [], "string": [], "bool": [], "date": []}
    for p, v in paths:
        tc = type_class(v)
        if tc in typed:
            typed[tc].append((p, float(v) if tc == "number" else _naive(v) if tc == "date" else v))  # type: ignore[arg-type]  # type_class checked the kind
    plain = plain_json(value)
    return [
        _JSON_TEXT(plain),
        canonical_plain(plain),
        [(p, canonical(v)) for p, v in paths],
        typed["number"],
        typed["string"],
        typed["bool"],
        typed["date"],
    ]


def _string_array_cells(value: list[str]) -> list[Any]:
    """_array_cells of an Array of strings only (tags, the usual kind): a JSON array of strings
    is its encoded elements joined by the encoder's separator, so each is encoded once."""
    keys = [canonical_plain(e) for e in value]
    return [f"[{', '.join(keys)}]", f"[{','.join(keys)}]", keys, [], list(value), [], []]


_FLAT_SCALARS = {str, int, float, bool, type(None)}


def _flat_object_cells(value: dict[str, Any]) -> list[Any]:
    """_object_cells of an Object of scalars only (no nesting, no dates; meta objects, the
    usual kind): its paths are its keys, so no flattening and one plain form for all keys."""
    numbers, strings, bools = [], [], []
    for k, v in value.items():
        if type(v) is str:
            strings.append((k, v))
        elif type(v) is bool:
            bools.append((k, v))
        elif v is not None:
            numbers.append((k, float(v)))
    # The JSON texts put together from each key's and value's own JSON, as json.dumps does:
    # json.dumps of a dict builds a C encoder per call, most of the cost of a small object.
    keys = [(k, scalar_json(plain_json(v))) for k, v in value.items()]
    text = ", ".join(f"{encode_basestring(k)}: {j}" for k, j in keys)
    key = ",".join(f"{encode_basestring(k)}:{j}" for k, j in sorted(keys))
    return ["{" + text + "}", "{" + key + "}", keys, numbers, strings, bools, []]


def record_row(cls: ClassDef, rec: Mapping[str, Any]) -> list[Any]:
    """A normalised record as one row of its class table (layout.class_columns order)."""
    row: list[Any] = [rec["objectId"], _naive(rec["createdAt"]), _naive(rec["updatedAt"])]
    nulls = []
    for f in cls.user_fields:
        if f.name in rec and rec[f.name] is None:
            nulls.append(f.name)
        row.extend(field_cells(f, rec.get(f.name)))
    row.append(nulls or None)
    return row


# Loading builds each column straight from the records, one pass per field, and leaves
# per-value conversions to Arrow where it can: row by row (record_row, then transposing) took
# 3/4 of a 1M-record load. record_row stays for single-record writes.


def class_arrays(cls: ClassDef, cols: ClassColumns) -> list[pa.Array]:
    """A class's checked columns as the columns a load writes (layout.load_columns order);
    cell for cell what :func:`record_row` gives for each record, but no text-search words."""
    values = cols.values
    arrays = [values["objectId"], values["createdAt"], values["updatedAt"]]
    nulls: list[list[str] | None] = [None] * len(cols)
    for f in cls.user_fields:
        if f.type == "Relation":
            continue  # edges live in their own table
        for i in cols.nulls[f.name]:  # explicit nulls, kept so records read back as written
            cell = nulls[i]
            if cell is None:
                nulls[i] = [f.name]
            else:
                cell.append(f.name)
        column = values[f.name]
        if isinstance(column, pa.Array):  # a scalar field, converted while checking
            arrays.append(column)
            continue
        if isinstance(column, tuple):  # a nested field in a usual shape, converted while checking
            arrays.extend(column)
            continue
        # Array, Object, GeoPoint: nested values, converted one by one (few records have them).
        cells = [field_cells(f, v) for v in column]
        arrays += [pa.array([c[k] for c in cells], ARROW_TYPES[t]) for k, (_, t) in enumerate(field_columns(f))]
    arrays.append(pa.array(nulls, pa.list_(pa.string())))
    return arrays


def stored_words(value: str) -> tuple[str, str | None, str | None]:
    """A text's word columns as stored (layout.TEXT_PARTS order): the words as written left
    out (None) where they are the text itself, the folded words where they are the words as
    written (Dialect.column_sql reads both back)."""
    tx, fx, wx = text.word_columns(value)
    return tx, None if fx == wx else fx, None if wx == f" {value} " else wx


def word_arrays(
    texts: list[str], cancel: threading.Event | None = None, deadline: float | None = None
) -> list[pa.Array]:
    """The text-search word columns (layout.TEXT_PARTS order) of distinct texts, or of the
    first of them when ``deadline`` (a time.monotonic()) passes: at least one chunk is done,
    so that each try gets further. A set ``cancel`` stops it between chunks (QueryCancelled):
    a large field takes a minute."""
    per_text: list[Any] = []
    for at in range(0, len(texts), WORDS_CHUNK):
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        if at and deadline is not None and time.monotonic() > deadline:
            break
        per_text += [stored_words(t) for t in texts[at : at + WORDS_CHUNK]]
    return [pa.array([w[k] for w in per_text], pa.string()) for k in range(3)]

"""Rows → records: what a query returns, decoded once per class and column list."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from querylang.engines.duckdb.layout import (
    NULLS_COLUMN,
)
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef
from querylang.model.values import (
    bytes_value,
    file_value,
    plain_json,
    polygon_value,
)


def _number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _iso_naive(dt: datetime) -> str:
    """A naive UTC TIMESTAMP from DuckDB as ISO-8601 with milliseconds and Z.

    ``isoformat`` is C code: 0.8 µs against 1.3 µs for an f-string, three dates a record.
    """
    return dt.isoformat("T", "milliseconds") + "Z"


def _json(text: str) -> Any:
    """Stored JSON text back to values: orjson is 5× faster than json on our small documents;
    json takes over for what orjson refuses (nothing we write, but a file may be older)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _polygon(text: str) -> dict[str, Any]:
    return polygon_value(_json(text))


_NAIVE_UTC: Any = object()  # make_decoder's default: dates arrive as naive UTC datetimes (DuckDB)


def make_decoder(
    cls: ClassDef, columns: Sequence[str], date: Any = _NAIVE_UTC, parse_json: Callable[[str], Any] = _json
) -> Any:
    """A row → record function for one class and column list, planned once.

    ``date`` turns a stored date into its ISO text; None where the engine's rows already hold
    the text (PostgreSQL's pool reads timestamptz that way). ``parse_json`` reads the stored
    JSON text of Array, Object, Polygon and ACL columns (another one lets benchmarks/tuning.py
    measure the converters this one replaced). Measured 2.5× faster than looking each field's
    type up per row (benchmarks, Tuning P1).
    """
    to_iso: Callable[[Any], Any] = _iso_naive if date is _NAIVE_UTC else (date or (lambda v: v))
    polygon = _polygon if parse_json is _json else (lambda text: polygon_value(parse_json(text)))
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any]] = {
        "Array": parse_json, "Object": parse_json, "Date": to_iso, "Number": _number,
        "Polygon": polygon, "Bytes": bytes_value, "ACL": parse_json,
    }  # fmt: skip
    plan = [
        (idx[f.name], f.name, convs.get(f.type))
        for f in cls.user_fields
        if f.type not in ("Relation", "GeoPoint", "File")
    ]
    files = [(idx[f.name], idx[f.name + ":url"], f.name) for f in cls.user_fields if f.type == "File"]
    geo = [(idx[f.name + ":lat"], idx[f.name + ":lng"], f.name) for f in cls.user_fields if f.type == "GeoPoint"]
    i_id, i_c, i_u, i_n = idx["objectId"], idx["createdAt"], idx["updatedAt"], idx[NULLS_COLUMN]

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"objectId": row[i_id], "createdAt": to_iso(row[i_c]), "updatedAt": to_iso(row[i_u])}
        for k, name, conv in plan:
            v = row[k]
            if v is not None:
                out[name] = conv(v) if conv is not None else v
        for a, b, name in geo:
            lat = row[a]
            if lat is not None:
                out[name] = {"latitude": _number(lat), "longitude": _number(row[b])}
        for a, b, name in files:
            if row[a] is not None:
                out[name] = file_value(row[a], row[b])
        for name in row[i_n] or ():
            out[name] = None
        return out

    return decode


def decode_row(cls: ClassDef, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """One result row as the record the user gave (dates ISO, pointers ids, nulls kept)."""
    return make_decoder(cls, columns)(row)


def output_record(cls: ClassDef, rec: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluator's normalised record in the same shape as :func:`decode_row` gives."""
    out: dict[str, Any] = {}
    for name, v in rec.items():
        f = cls.fields.get(name)
        if f is None or f.type == "Relation":
            continue
        if v is None:
            out[name] = None
        elif f.type == "Date":
            out[name] = iso_ms(v)
        elif f.type in ("Array", "Object"):
            out[name] = json.loads(json.dumps(plain_json(v), ensure_ascii=False))
        elif f.type == "Number":
            out[name] = _number(float(v))
        elif f.type == "GeoPoint":
            out[name] = {"latitude": _number(float(v["latitude"])), "longitude": _number(float(v["longitude"]))}
        else:
            out[name] = v
    return out


def stored_record(cls: ClassDef, rec: dict[str, Any]) -> dict[str, Any]:
    """A decoded row (dates ISO) as the normalised record the reference evaluator reads."""
    from querylang.interchange.document import check_value
    from querylang.model.values import parse_iso

    out: dict[str, Any] = {}
    for k, v in rec.items():
        f = cls.fields[k]
        if k in ("createdAt", "updatedAt"):
            out[k] = parse_iso(v)
        elif k == "objectId":
            out[k] = v
        else:
            out[k] = check_value(f.type, v, f.target)
    return out

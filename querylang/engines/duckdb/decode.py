"""Rows → records: what a query returns, decoded once per class and column list."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
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
    type up per row (benchmarks, Tuning P1); written out as straight-line code per field (no
    loop over a plan, numbers and dates converted inline) it takes another ~13% less, and a
    page of 100 records is decoded on every query.
    """
    idx = {c: k for k, c in enumerate(columns)}
    polygon = _polygon if parse_json is _json else (lambda text: polygon_value(parse_json(text)))
    env: dict[str, Any] = {
        "_json": parse_json, "_polygon": polygon, "bytes_value": bytes_value, "file_value": file_value,
        "_to_iso": date, "_LIM": float(2**53),
    }  # fmt: skip

    def iso(expr: str) -> str:
        if date is _NAIVE_UTC:  # a naive UTC datetime; isoformat is C code, an f-string 1.6× slower
            return f'{expr}.isoformat("T", "milliseconds") + "Z"'
        return expr if date is None else f"_to_iso({expr})"

    number = "int(v) if v.is_integer() and -_LIM < v < _LIM else v"  # _number, inline
    convs = {
        "Array": "_json(v)", "Object": "_json(v)", "ACL": "_json(v)", "Date": iso("v"), "Number": number,
        "Polygon": "_polygon(v)", "Bytes": "bytes_value(v)",
    }  # fmt: skip
    created, updated = iso(f"row[{idx['createdAt']}]"), iso(f"row[{idx['updatedAt']}]")
    lines = [
        "def decode(row):",
        f"    out = {{'objectId': row[{idx['objectId']}], 'createdAt': {created}, 'updatedAt': {updated}}}",
    ]
    for f in cls.user_fields:
        if f.type in ("Relation", "GeoPoint", "File"):
            continue
        lines += [f"    v = row[{idx[f.name]}]", "    if v is not None:", f"        out[{f.name!r}] = {convs.get(f.type, 'v')}"]
    for f in cls.user_fields:
        if f.type == "GeoPoint":
            lat, lng = idx[f.name + ":lat"], idx[f.name + ":lng"]
            lines += [
                f"    v = row[{lat}]",
                "    if v is not None:",
                f"        w = row[{lng}]",
                f"        out[{f.name!r}] = {{'latitude': {number}, 'longitude': {number.replace('v', 'w')}}}",
            ]
    for f in cls.user_fields:
        if f.type == "File":
            lines += [
                f"    v = row[{idx[f.name]}]",
                "    if v is not None:",
                f"        out[{f.name!r}] = file_value(v, row[{idx[f.name + ':url']}])",
            ]
    lines += [f"    v = row[{idx[NULLS_COLUMN]}]", "    if v:", "        for name in v:", "            out[name] = None", "    return out"]
    exec(compile("\n".join(lines), f"<decoder {cls.name}>", "exec"), env)  # noqa: S102 (our own text, names repr'd)
    return env["decode"]


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

"""Rows from PostgreSQL back to records, as the DuckDB store's decoder gives them.

Dates arrive as ISO text already: the pool's connections read ``timestamptz`` with
:class:`IsoLoader`, which rewrites PostgreSQL's output (``2024-03-01 23:30:00.12+00``, the
session time zone being UTC) into querylang's form (``2024-03-01T23:30:00.120Z``) by slicing,
instead of building a datetime and printing it again (most of the cost of reading a row).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

import orjson
from psycopg.adapt import Loader
from psycopg.types.datetime import TimestamptzLoader

from querylang.engines.postgres.layout import NULLS_COLUMN
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef
from querylang.model.values import bytes_value, file_value, polygon_value


class IsoLoader(Loader):
    """timestamptz (text format, session time zone UTC) → querylang's ISO-8601 text."""

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._slow = TimestamptzLoader(oid, context)

    def load(self, data: Any) -> str:
        s = bytes(data).decode()
        # The usual form: 'YYYY-MM-DD HH:MM:SS[.f{1,6}]+00'; anything else (a year past 9999,
        # BC, a zone that is not UTC) goes the long way.
        if len(s) >= 22 and s.endswith("+00") and s[10] == " " and s[4] == "-":
            body = s[:-3]
            frac = body[20:] if len(body) > 19 else ""
            return f"{body[:10]}T{body[11:19]}.{(frac + '000')[:3]}Z"
        return iso_ms(self._slow.load(data).astimezone(UTC))


def _number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_decoder(cls: ClassDef, columns: Sequence[str]) -> Any:
    """A row → record function for one class and column list, planned once."""
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any]] = {
        "Array": _json, "Object": _json, "Number": _number,
        "Polygon": lambda text: polygon_value(_json(text)), "Bytes": bytes_value, "ACL": _json,
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
        out: dict[str, Any] = {"objectId": row[i_id], "createdAt": row[i_c], "updatedAt": row[i_u]}
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
    return make_decoder(cls, columns)(row)

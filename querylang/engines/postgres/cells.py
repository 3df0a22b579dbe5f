"""Records as PostgreSQL rows: the DuckDB store's cells (cells.record_row) adapted to what
psycopg binds here (jsonb path maps, aware UTC dates); a plan's parameters the same way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb

from querylang.engines.duckdb.cells import record_row
from querylang.engines.postgres.layout import class_columns
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef


def _aware(v: Any) -> Any:
    return v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v


def _json_cell(pairs: list[tuple[str, Any]]) -> Jsonb:
    return Jsonb({k: iso_ms(_aware(v)) if isinstance(v, datetime) else v for k, v in pairs})


def row_cells(cls: ClassDef, rec: Mapping[str, Any], maps: list[int] | None = None) -> list[Any]:
    """A normalised record as one row of its table (layout.class_columns order), as psycopg
    binds it: path maps as jsonb, dates aware UTC."""
    row = record_row(cls, rec)
    if maps is None:
        maps = [k for k, (_, ty) in enumerate(class_columns(cls)) if ty == "jsonb"]
    for k in maps:
        if row[k] is not None:
            row[k] = _json_cell(row[k])
    return [[_aware(x) for x in c] if isinstance(c, list) and c and isinstance(c[0], datetime) else _aware(c) for c in row]


def bind_param(v: Any) -> Any:
    """A plan parameter as psycopg binds it: dates (naive UTC in plans) made aware UTC; a
    list of numbers all floats (psycopg types a list by its elements)."""
    if isinstance(v, datetime):
        return v.replace(tzinfo=UTC) if v.tzinfo is None else v
    if isinstance(v, list):
        if any(type(x) is float for x in v) and all(type(x) in (int, float) for x in v):
            return [float(x) for x in v]
        return [bind_param(x) for x in v]
    return v

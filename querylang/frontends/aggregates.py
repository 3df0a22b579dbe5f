"""``db.aggregate``'s spec checked against the class (README, Library API): which
aggregate of which field, each named in the errors."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from querylang.errors import QueryError, QueryTypeError
from querylang.frontends.operands import short
from querylang.model.jsvalues import iso_ms, type_name
from querylang.model.schema import ClassDef, a_type, suggest

AGGREGATES = ("sum", "min", "max", "avg")


def _given(value: object) -> str:
    """What an aggregate's entry was instead of one {op: field}: its type, or its size."""
    if isinstance(value, Mapping):
        return f"an object of {len(value)} keys"
    return type_name(value)


def check_aggregates(cls: ClassDef, spec: Any) -> tuple[list[tuple[str, str]], list[str]]:
    """``{"Total": {"sum": "likes"}}`` → ``[("sum", "likes")]`` and the fields' types."""
    if not isinstance(spec, Mapping):
        raise QueryTypeError(f"aggregate needs an object {{name: {{sum|min|max|avg: field}}}}, not {type_name(spec)}")
    ops, types = [], []
    for name, op_field in spec.items():
        if not isinstance(op_field, Mapping) or len(op_field) != 1:
            raise QueryTypeError(f"aggregate '{name}' needs one of {{sum|min|max|avg: field}}, not {_given(op_field)}")
        ((op, fname),) = op_field.items()
        if op not in AGGREGATES:
            # Another type than a string has no spelling to suggest from (it crashed the hint).
            hint = suggest(op, AGGREGATES) if isinstance(op, str) else None
            raise QueryError(f"aggregate '{name}': unknown aggregate {short(op)}", hint=hint)
        if not isinstance(fname, str):
            raise QueryTypeError(f"aggregate '{name}': {op} needs a field name, not {type_name(fname)}")
        try:
            f = cls.field(fname)
        except QueryError as exc:  # of several aggregates, the one that names the field
            exc.message = f"aggregate '{name}': {exc.message}"
            raise
        allowed = ("Number",) if op in ("sum", "avg") else ("Number", "Date", "String")
        if f.type not in allowed:
            raise QueryError(f"aggregate '{name}': {op} needs a {' or '.join(allowed)} field; '{fname}' is {a_type(f.type)}")
        ops.append((op, f.name))
        types.append(f.type)
    return ops, types


def aggregate_value(ftype: str, v: Any) -> Any:
    """A value of an aggregate or distinct as the records show it: dates as ISO text, integral
    numbers as ints."""
    if v is None:
        return None
    if isinstance(v, datetime):
        return iso_ms(v.replace(tzinfo=UTC))
    if ftype == "Number" and isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v

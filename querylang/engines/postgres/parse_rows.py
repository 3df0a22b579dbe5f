"""Rows of Parse's tables, read whole and in table order, as querylang's output records.

psycopg gives each Parse column as: text, float, bool, ISO-8601 text for a timestamptz
(decode.IsoLoader), the jsonb of an Array or Object already as Python values, and a ``point``
as its text ``(x,y)`` (x = longitude). Columns that are not fields (``_rperm``, ``_wperm``) are
skipped; NULL is a missing value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from querylang.model.schema import ClassDef


def _number(x: float) -> int | float:
    """A number as the other decoders give it: integral floats as ints."""
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _point(text: str) -> dict[str, Any]:
    x, y = text.strip("()").split(",")
    return {"latitude": _number(float(y)), "longitude": _number(float(x))}


def _date(dt: Any) -> str:
    """The pool's connections already read timestamptz as querylang's ISO text (decode.IsoLoader);
    a datetime comes from a connection without that loader."""
    return dt if isinstance(dt, str) else dt.isoformat("T", "milliseconds") + "Z"


def stored_row_decoder(cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A row → record function for one class whose rows are read whole (ParseLayout.physical)."""
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any] | None] = {"Date": _date, "Number": _number, "GeoPoint": _point}
    plan = [(idx[f.name], f.name, convs.get(f.type)) for f in cls.user_fields if f.type != "Relation" and f.name in idx]
    i_id, i_c, i_u = idx["objectId"], idx["createdAt"], idx["updatedAt"]

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        c, u = row[i_c], row[i_u]
        out: dict[str, Any] = {"objectId": row[i_id], "createdAt": _date(c) if c is not None else None,
                               "updatedAt": _date(u) if u is not None else None}
        for k, name, conv in plan:
            v = row[k]
            if v is not None:
                out[name] = conv(v) if conv is not None else v
        return out

    return decode


__all__ = ["stored_row_decoder"]

"""MongoDB Extended JSON → Python values, for ``mongoexport`` files.

Reads every form ``mongoexport`` has written: Extended JSON v2 relaxed (its default since the
4.2 tools) and canonical (``--jsonFormat=canonical``), and the v1 ("legacy") forms of older
tools. BSON dates become aware UTC datetimes, binary data ``bytes``, ObjectIds their hex string,
the number wrappers ``int``/``float``. A wrapper we do not know stays a plain dict.
"""

from __future__ import annotations

import base64
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from . import jsontext

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EJSONError(ValueError):
    """A value that has an Extended JSON wrapper's shape but not a valid content."""


def _ms_date(ms: Any) -> datetime:
    try:
        return _EPOCH + timedelta(milliseconds=int(ms))
    except (OverflowError, ValueError, TypeError) as exc:
        raise EJSONError(f"date out of range: {ms!r}") from exc


def _iso_date(text: str) -> datetime:
    # "2024-04-22T03:09:00Z", "…:00.123Z", "…+01:00", v1 "…T03:09:00.000+0000": fromisoformat
    # reads them all once "Z" is spelt as an offset.
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EJSONError(f"not an ISO date: {text!r}") from exc
    try:
        return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:  # its offset moves it past year 1 or 9999 in UTC
        raise EJSONError(f"date out of range: {text!r}") from exc


def _date(value: Any) -> datetime:
    if isinstance(value, str):
        return _iso_date(value)
    if isinstance(value, dict) and "$numberLong" in value:  # canonical, and relaxed outside 1970-9999
        return _ms_date(value["$numberLong"])
    if isinstance(value, int | float) and not isinstance(value, bool):  # v1: milliseconds
        return _ms_date(value)
    raise EJSONError(f"not a $date: {value!r}")


def _double(text: Any) -> float:
    special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    if text in special:
        return special[text]
    try:
        return float(text)
    except (TypeError, ValueError) as exc:
        raise EJSONError(f"not a $numberDouble: {text!r}") from exc


def _binary(obj: dict[str, Any]) -> bytes:
    inner = obj["$binary"]
    data = inner.get("base64") if isinstance(inner, dict) else inner  # v2 / v1 {"$binary": "…", "$type": "00"}
    try:
        return base64.b64decode(str(data), validate=True)
    except ValueError as exc:
        raise EJSONError(f"not base64 in $binary: {data!r}") from exc


def read_object(obj: dict[str, Any]) -> Any:
    """json's object_hook: one wrapper → its value (every other dict passes unchanged)."""
    if len(obj) > 2 or not obj:
        return obj
    key = next(iter(obj))
    if not key.startswith("$"):
        return obj
    try:
        if key == "$date" and len(obj) == 1:
            return _date(obj[key])
        if key == "$oid" and len(obj) == 1:
            return str(obj[key])
        if key in ("$numberInt", "$numberLong") and len(obj) == 1:
            return int(obj[key])
        if key == "$numberDouble" and len(obj) == 1:
            return _double(obj[key])
        if key == "$numberDecimal" and len(obj) == 1:
            # Parse never writes decimals; a double is the closest querylang Number.
            return _double(obj[key])
        if key == "$binary" and (len(obj) == 1 or "$type" in obj):
            return _binary(obj)
        if key == "$undefined" and len(obj) == 1:
            return None
    except (ValueError, TypeError) as exc:
        raise EJSONError(str(exc)) from exc
    return obj


def iso_ms(dt: datetime) -> str:
    """A datetime as Parse prints dates: ISO-8601 UTC with milliseconds and ``Z``."""
    dt = dt.astimezone(UTC)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}."
        f"{dt.microsecond // 1000:03d}Z"
    )


def loads(text: str, where: str = "Extended JSON") -> Any:
    """One Extended JSON text → Python values. Raises ValueError (json's or EJSONError), or a
    DataError naming ``where`` for a text nested too deeply to read."""
    return jsontext.loads(text, where, object_hook=read_object)

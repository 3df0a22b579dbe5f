"""The values a filter script computes: JavaScript's, written in Python.

The script interpreter (``script.py``) produces them and ``build.py`` reads them.

=============  ==========================================================
JavaScript     Python
=============  ==========================================================
undefined      :data:`UNDEFINED`
null           ``None``
boolean        ``bool``
number         ``int`` or ``float`` (a JS number; ints stay ints while exact)
string         ``str``
array          ``list``
object         :class:`JSObject` (a ``dict`` that remembers where each key was written)
Date           :class:`JSDate` (milliseconds since the epoch, NaN when invalid)
RegExp         :class:`JSRegex`
=============  ==========================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

Pos = tuple[int, int]  # (line, column), both 1-based

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CYCLE_MS = 146_097 * 86_400_000  # 400 Gregorian years
_Y2000_MS = 946_684_800_000  # 2000-01-01T00:00:00Z


class _Undefined:
    """JavaScript's ``undefined``: a falsy singleton distinct from ``None`` (null)."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "undefined"

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED = _Undefined()


class JSObject(dict):  # type: ignore[type-arg]
    """A plain JavaScript object; ``positions`` maps each key to where the script wrote it."""

    __slots__ = ("positions", "pos")

    def __init__(self, *args: object, pos: Pos | None = None, **kwargs: object) -> None:
        if args or kwargs:  # most are made empty and filled: skip dict's own __init__ then
            super().__init__(*args, **kwargs)
        self.positions: dict[str, Pos] = {}
        self.pos = pos


@dataclass(frozen=True, slots=True)
class JSDate:
    """A JavaScript Date: milliseconds since 1970-01-01T00:00:00Z (NaN = Invalid Date)."""

    ms: float

    @property
    def valid(self) -> bool:
        return not math.isnan(self.ms) and abs(self.ms) <= 8.64e15

    def to_datetime(self) -> datetime:
        return EPOCH + timedelta(milliseconds=self.ms)

    @classmethod
    def from_datetime(cls, dt: datetime) -> JSDate:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        delta = dt - EPOCH
        return cls(float(delta // timedelta(milliseconds=1)))

    def iso(self) -> str:
        """``toISOString()``: always UTC with milliseconds; a year outside 0-9999 (a valid
        JavaScript Date reaches ±275,760) written with a sign and six digits, as JavaScript
        writes it. Python's datetime holds years 1-9999 only: the instant is moved by whole
        400-year cycles, after which the Gregorian calendar repeats, and its year moved back."""
        cycles = math.floor((self.ms - _Y2000_MS) / _CYCLE_MS)
        dt = self.to_datetime() if cycles == 0 else EPOCH + timedelta(milliseconds=self.ms - cycles * _CYCLE_MS)
        y = dt.year + 400 * cycles
        year = f"{y:04d}" if 0 <= y <= 9999 else f"{'+' if y > 0 else '-'}{abs(y):06d}"
        return year + iso_ms(dt)[4:]


@dataclass(frozen=True, slots=True)
class JSRegex:
    """A regex literal ``/pattern/flags``."""

    pattern: str
    flags: str


def iso_ms(dt: datetime) -> str:
    """ISO-8601 with milliseconds and ``Z``, the way Parse and ``toISOString`` print dates."""
    dt = dt.astimezone(UTC)
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def type_name(value: object) -> str:
    """The name a user would give the value's type, for error messages."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, JSDate | datetime):
        return "Date"
    if isinstance(value, JSRegex):
        return "RegExp"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def described(value: object, width: int = 40) -> str:
    """A value in an error message, in JavaScript's words: its type, then the value cut to
    ``width`` characters ("string 'x'", "number 5", "boolean true"); null and undefined alone
    (Python's spelling said "NoneType None" and "bool True" of values a JSON user wrote)."""
    if value is None or value is UNDEFINED:
        return type_name(value)
    if isinstance(value, bool):
        return f"boolean {'true' if value else 'false'}"
    return f"{type_name(value)} {repr(value)[:width]}"

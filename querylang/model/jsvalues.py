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
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

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
    """A value in an error message, in JavaScript's words: its type, then the value as a script
    writes it, cut to ``width`` characters ("string 'x'", "number 5", "boolean true",
    "array [null, 1]"); null and undefined alone (Python's spelling said "NoneType None", and
    its repr "[None, 1.0]" or "nan" inside, of values a JSON user wrote)."""
    if value is None or value is UNDEFINED:
        return type_name(value)
    return f"{type_name(value)} {short(value, width)}"


def short(value: object, width: int = 40) -> str:
    """The value as a script writes it (true, null, 1, NaN, /a/, not Python's True, None, 1.0,
    nan, JSRegex(...)), cut to ``width`` characters; text keeps its quotes ('3')."""
    text = _js_text(value, width + 1)
    return text if len(text) <= width else text[: width - 3] + "..."


def _js_text(v: object, room: int) -> str:
    """``v`` in JavaScript's spelling; containers stop once ``room`` characters are written."""
    if isinstance(v, str):
        return repr(v[:room])  # a long text is cut anyway: not copied whole to be escaped
    if v is None or v is UNDEFINED:
        return type_name(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int) and v.bit_length() > 1024:  # past a double's range (str() refuses 4300 digits)
        return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, int | float):
        return "-0" if v == 0 and isinstance(v, float) and math.copysign(1, v) < 0 else num_str(v)
    if isinstance(v, JSDate):
        return v.iso() if v.valid else "Invalid Date"
    if isinstance(v, date):  # a datetime (naive: UTC), or a Python date: midnight UTC
        d = v if isinstance(v, datetime) else datetime(v.year, v.month, v.day)
        try:
            return iso_ms(d if d.tzinfo is not None else d.replace(tzinfo=UTC))
        except OverflowError:  # an offset that moves it past year 1 or 9999
            return v.isoformat()
    if isinstance(v, JSRegex):
        return f"/{v.pattern}/{v.flags}"
    if isinstance(v, Mapping | list | tuple):
        if room <= 0:
            # What is written already fills the room: stopping here also bounds the
            # recursion on a value nested thousands deep (`{ v: { v: ... } }`).
            return "..."
        is_map = isinstance(v, Mapping)
        parts: list[str] = []
        size = 1  # the opening bracket
        for item in v.items() if is_map else v:  # type: ignore[union-attr]
            if is_map:
                name = item[0]
                key = f"{name[:room] if isinstance(name, str) else _js_text(name, room - size)}: "
                part = key + _js_text(item[1], room - size - len(key))
            else:
                part = _js_text(item, room - size)
            parts.append(part)
            size += len(part) + 2
            if size > room:
                break
        return ("{" if is_map else "[") + ", ".join(parts) + ("}" if is_map else "]")
    return repr(v)[:room]


# JavaScript writes a double of this magnitude or more in exponent form, integral or not.
JS_EXPONENT_FROM = 1e21


def js_integral(x: float) -> bool:
    """Is ``x`` a double JavaScript writes as an integer's digits where Python writes a point
    or an exponent (``9007199254740992.0``, ``1e+20``): integral, below 10**21 in magnitude
    (``-0.0`` too). Parse Server answers such a Number as JavaScript writes it (num_str), as
    ``querylang serve`` and the command line's JSON do (docs/semantics.md#numbers)."""
    return x.is_integer() and abs(x) < JS_EXPONENT_FROM


def num_str(x: int | float) -> str:
    """Number::toString: the shortest round-trip digits, laid out the way JavaScript does."""
    if isinstance(x, int):
        return str(x)
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) <= 2**53:
        return str(int(x))
    sign = "-" if x < 0 else ""
    # float's own repr: a subclass's (numpy's float64: 'np.float64(1.5)') is no number.
    _, digit_tuple, exponent = Decimal(float.__repr__(abs(x))).as_tuple()
    exp = int(exponent)  # a finite, non-zero number: never 'n', 'N' or 'F'
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exp += len("".join(map(str, digit_tuple))) - len(digits)
    k = len(digits)
    n = k + exp  # the value is 0.digits × 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"

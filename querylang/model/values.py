"""Value rules both engines share: type classes, canonical keys, dates, numbers.

The SQL store keeps, for Array and Object fields, canonical keys computed here, and the
reference evaluator compares with the same keys; everything else (which rows match, in which
order) each engine decides on its own.
"""

from __future__ import annotations

import base64
import json
import math
import numbers
import operator
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from querylang.model.jsvalues import JSDate, iso_ms, type_name

# ISO-8601 as Parse and JavaScript print it, plus the shorter forms people type.
_ISO_RE = re.compile(
    r"^(?P<y>[+-]?\d{4,6})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?$",
    re.ASCII,  # digits 0-9 only: '٢٠٢٤-٠١-٠١' is no date to JavaScript's Date.parse either
)
# The form Parse and toISOString print, '2024-05-01T12:00:00.000Z', which nearly every date
# in a load has: datetime.fromisoformat reads it in C, 7× faster than the general pattern.
_ISO_MS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)


def parse_iso(text: str) -> datetime | None:
    """An ISO-8601 string as an aware UTC datetime with millisecond precision, or None.

    A date-time without an offset is read as UTC (there is no local time zone here).
    """
    if _ISO_MS_RE.fullmatch(text):
        try:
            return datetime.fromisoformat(text)
        except ValueError:  # no such day or time (Feb 30, hour 24): None, as below
            return None
    read = _iso_parts(text)
    if read is None:
        return None
    try:
        return read[0] - read[1]
    except OverflowError:  # the offset moves it past year 1 or 9999: no such date, as above
        return None


def _iso_parts(text: str) -> tuple[datetime, timedelta] | None:
    """An ISO-8601 string's date and time (as if UTC) and its UTC offset, or None."""
    m = _ISO_RE.match(text.strip())
    if not m:
        return None
    try:
        frac = (m["f"] or "0").ljust(3, "0")[:3]
        dt = datetime(
            int(m["y"]),
            int(m["mo"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
            int(frac) * 1000,
            tzinfo=UTC,
        )
    except ValueError:
        return None
    tz = m["tz"]
    if not tz or tz == "Z":
        return dt, timedelta(0)
    sign = 1 if tz[0] == "+" else -1
    digits = tz[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:  # no such offset: JavaScript's Date.parse gives NaN
        return None
    return dt, sign * timedelta(hours=hours, minutes=minutes)


# Why a date in form is no Date (outside_years), as messages say it.
OUTSIDE_YEARS = "outside years 1-9999 in UTC, the years a record's date can hold"


def outside_years(value: object) -> bool:
    """Is ``value`` a date in form (an ISO string, ``{__type: 'Date', iso}``, a datetime) whose
    UTC offset moves it before year 1 or past 9999? :func:`date_from` gives None for it, as
    for what is no date at all; this tells the two apart for messages."""
    if isinstance(value, dict) and value.get("__type") == "Date":
        value = value.get("iso")
    if isinstance(value, datetime):
        try:
            to_ms(value)
        except OverflowError:
            return True
        return False
    if isinstance(value, str) and (m := _YEAR_RE.match(value)) and not 1 <= int(m[1]) <= 9999:
        # A year written past 9999 (or as 0, or below): a date in form if, with a year a
        # record can hold in its place, the rest reads as one.
        return _iso_parts("2000" + value[m.end():]) is not None
    read = _iso_parts(value) if isinstance(value, str) else None
    if read is None:
        return False
    try:
        read[0] - read[1]
    except OverflowError:
        return True
    return False


# A year of four digits, five or more, or six with a sign (JavaScript's expanded years).
_YEAR_RE = re.compile(r"\s*([+-]\d{6}|\d{4,})(?=-)")


def parse_isos(texts: list[str]) -> list[datetime | None]:
    """:func:`parse_iso` of each text. When all have the usual form (a load's createdAt
    column), one regex and one fromisoformat pass in C read them, 3× faster."""
    if all(map(_ISO_MS_RE.fullmatch, texts)):
        try:
            return list(map(datetime.fromisoformat, texts))
        except ValueError:
            pass  # a day or time that does not exist: text by text, which gives None there
    return [parse_iso(t) for t in texts]


def to_ms(dt: datetime) -> datetime:
    """Dates are instants with millisecond precision, in UTC (docs/semantics.md#dates)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return dt.replace(microsecond=dt.microsecond - dt.microsecond % 1000)


def date_from(value: object) -> datetime | None:
    """A Date from a JSDate, datetime, date, ``{__type: 'Date', iso}`` or ISO string; else None.

    A Python ``date`` is midnight UTC of its day, as a script reads one given as an input and as
    the string ``'2024-06-01'`` reads (docs/semantics.md#dates)."""
    if isinstance(value, JSDate):
        try:
            return to_ms(value.to_datetime()) if value.valid else None
        except OverflowError:  # a valid JavaScript Date outside years 1-9999: no date a record holds
            return None
    if isinstance(value, datetime):
        try:
            return to_ms(value)
        except OverflowError:  # an offset that moves it past year 1 or 9999: no such date
            return None
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, dict) and value.get("__type") == "Date" and isinstance(value.get("iso"), str):
        return parse_iso(value["iso"])
    if isinstance(value, str):
        return parse_iso(value)
    return None


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def native(value: object) -> object:
    """A number or truth value of another library as Python's own, anything else as it is:
    any ``numbers.Integral`` (numpy's int64, uint8) as an int, numpy's bool as a bool, numpy's
    float32 as a float (numpy's float64 is a float already). A DataFrame's cell is one of
    these, and was refused as "int64 ... can never match" where the same number as an int
    matched. numpy is optional, so its types are known by name."""
    kind = type(value)
    if kind is int or kind is float or kind is str or kind is bool or value is None:
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return operator.index(value)
    if kind.__module__ == "numpy":
        if kind.__name__ in ("bool", "bool_"):
            return bool(value)  # type: ignore[call-overload]
        if isinstance(value, numbers.Real):
            return float(value)
    return value


def native_deep(value: object) -> object:
    """:func:`native` of every number and truth value inside lists and mappings."""
    if isinstance(value, Mapping):
        return {k: native_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [native_deep(v) for v in value]
    return native(value)


def type_class(value: object) -> str:
    """MongoDB's type bracket of a normalised value (all numbers are one class, docs/semantics.md#equality)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date"
    if isinstance(value, list | tuple):
        return "array"
    return "object"


# MongoDB's order of kinds when one sort key meets values of several (an Object sub-key can
# hold anything): absent and null first, then numbers, strings, objects, arrays, booleans, dates.
SORT_RANKS = {"null": 0, "number": 1, "string": 2, "object": 3, "array": 4, "bool": 5, "date": 6}


def sort_rank(value: object) -> int:
    """Where a value's kind sorts among the others (docs/semantics.md, sorting)."""
    return SORT_RANKS[type_class(value)]


def polygon_value(coordinates: Any) -> dict[str, Any]:
    """A Polygon as records carry it: Parse's ``{__type: 'Polygon', coordinates}``."""
    return {"__type": "Polygon", "coordinates": coordinates}


def bytes_value(b64: str) -> dict[str, str]:
    """Bytes as records carry them: Parse's ``{__type: 'Bytes', base64}``."""
    return {"__type": "Bytes", "base64": b64}


def file_value(name: str, url: str | None) -> dict[str, str]:
    """A File as records carry it: Parse's ``{__type: 'File', name[, url]}``."""
    return {"__type": "File", "name": name} if url is None else {"__type": "File", "name": name, "url": url}


def plain_json(value: object) -> Any:
    """A JSON-able form with dates as Parse Date objects and integral floats as ints."""
    kind = type(value)
    if kind is str or kind is bool or value is None:  # the usual leaves, without isinstance
        return value
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if is_number(value):
        f = float(value)  # type: ignore[arg-type]
        if f == 0:
            return 0  # -0.0 equals 0
        if f.is_integer() and abs(f) < 2**53:
            return int(f)
        return f
    if isinstance(value, datetime):
        return {"__type": "Date", "iso": iso_ms(value)}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    raise TypeError(f"not a storable value: {value!r}")


# Built once: json.dumps with options builds a new encoder per call, a third of the cost of a
# short key (loading computes one per Array element and Object path).
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def scalar_json(v: str | int | float | bool | None) -> str:
    """json.dumps(v, ensure_ascii=False) of a plain scalar (no NaN: values are checked finite)."""
    if type(v) is str:
        return encode_basestring(v)
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return int.__repr__(v) if type(v) is int else float.__repr__(v)


def canonical(value: object) -> str:
    """A string equal for two values exactly when they are equal under the rules of
    docs/semantics.md#equality.

    Type-strict ('1' ≠ 1, true ≠ 1), numbers by value (1 = 1.0), objects key-order-insensitive
    (docs/semantics.md#objects), a Date equal to its ``{__type: 'Date', iso}`` form.
    """
    return _CANONICAL_JSON(plain_json(value))


def canonical_plain(plain: object) -> str:
    """:func:`canonical` of a value already in :func:`plain_json` form."""
    return _CANONICAL_JSON(plain)


def names_no_date(value: Mapping[str, Any]) -> bool:
    """``value`` is a Parse Date object whose iso names no date (which no stored value is)."""
    return value.get("__type") == "Date" and date_from(dict(value)) is None


def first_no_date(value: object, place: str = "") -> tuple[str, Mapping[str, Any]] | None:
    """The place (``[1]``, ``a.b``, ``""`` for the value itself) of the first Date object that
    names no date in an Array or Object value, and the object; None if there is none."""
    if isinstance(value, Mapping):
        if names_no_date(value):
            return place, value
        items: Iterator[tuple[str, object]] = ((f"{place}.{k}" if place else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{place}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for where, v in items:
        if (found := first_no_date(v, where)) is not None:
            return found
    return None


def no_date_in(value: object) -> str | None:
    """What is wrong with the first Date object that names no date in an Array or Object
    value, and where it is; None if there is none. A load refuses such a value and a query
    operand holding one, which no stored value can equal, is refused with the same words."""
    found = first_no_date(value)
    if found is None:
        return None
    place, bad = found
    why = OUTSIDE_YEARS if outside_years(bad) else "no date"
    at = f"the Date object at {place}" if place else "the value, a Date object,"
    return f"{at} is {why}: iso {bad.get('iso')!r:.60} (a Date is {{__type: 'Date', iso: ISO-8601 string}})"


def normalise_json(value: object) -> object:
    """An Array/Object element as stored: Parse Date objects become datetimes, whole numbers
    past ±2**63 doubles (recursively)."""
    if isinstance(value, dict):
        if value.get("__type") == "Date" and set(value) == {"__type", "iso"}:
            d = date_from(value)
            if d is not None:
                return d
        return {k: normalise_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise_json(v) for v in value]
    if type(value) is int and not -(2**63) <= value <= 2**63:
        return float(value)  # the double it means, as at the top of a field (value_checks.check_value)
    return value


def to_output(value: object) -> object:
    """A stored value as ``Result.records`` shows it: dates as ISO strings at the top level."""
    if isinstance(value, datetime):
        return iso_ms(value)
    return plain_json(value)


# Bytes' base64 as Node's Buffer.from(text, 'base64') reads it, which is how Parse Server on
# MongoDB keeps Bytes (as BSON binary, the bytes): standard or URL-safe letters (``+/`` or
# ``-_``), padding left out, in part, or in excess (``YQ``, ``YQ=``, ``YQ====``), broken into
# lines or spaced (MIME's base64 breaks every 76 characters). parse_special_types reads the
# same in SQL.
_BASE64_LETTERS = re.compile(r"[A-Za-z0-9+/]*")
_BASE64_FOLD = str.maketrans("-_", "+/", " \t\n\r")


def canonical_base64(text: object) -> str:
    """Bytes by value, as Parse Server on MongoDB keeps them: standard base64 as Python
    encodes the bytes the text stands for, so two spellings of the same bytes are one value
    (``"QR=="``, ``"QQ=="``, ``"QQ"`` are the byte ``A``; ``"-_-_"`` is ``"+/+/"``). Text that
    stands for no byte (``""``, ``"=="``) is the empty Bytes, whose base64 is ``""``, as Parse
    Server on MongoDB answers the empty BSON Binary it keeps for ``"=="`` (its REST API refuses
    the empty text alone in a write: querylang serve's codec does too). Refused: text that is
    no base64 (``"!!!!"``, padding inside it); and 4k + 1 letters, which end in no whole byte.
    ValueError if refused."""
    if not isinstance(text, str):
        raise ValueError(f"Bytes base64 must be a string, got {type_name(text)}")
    letters = text.translate(_BASE64_FOLD).rstrip("=")
    if _BASE64_LETTERS.fullmatch(letters) is None or len(letters) % 4 == 1:
        raise ValueError(f"not valid base64: {text!r:.40}")
    return base64.b64encode(base64.b64decode(letters + "=" * (-len(letters) % 4))).decode("ascii")


def base64_size(text: str) -> int:
    """How many bytes base64 text stands for (read as :func:`canonical_base64` reads it)."""
    return len(text.translate(_BASE64_FOLD).rstrip("=")) * 3 // 4


def key_value(ftype: str, value: object) -> object:
    """What a stored value compares by: a File by its name, Bytes by their base64 (kept
    canonical, so equal bytes are equal values; both kept as Parse objects for output); any
    other type by itself."""
    if ftype == "File" and isinstance(value, dict):
        return value["name"]
    if ftype == "Bytes" and isinstance(value, dict):
        return value["base64"]
    return value


def finite(value: float) -> bool:
    return not (math.isnan(value) or math.isinf(value))


def flatten(obj: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """Every (dotted path, value) inside an Object, at every depth (arrays are leaves)."""
    out: list[tuple[str, object]] = []
    for k, v in obj.items():
        path = f"{prefix}.{k}" if prefix else k
        out.append((path, v))
        if isinstance(v, dict):
            out.extend(flatten(v, path))
    return out


def any_nested(value: object, test: Callable[[object], bool]) -> bool:
    """Whether ``test`` holds for ``value`` or for a value nested in it (a mapping's values, a
    list's or tuple's elements, at any depth)."""
    if test(value):
        return True
    if isinstance(value, Mapping):
        return any(any_nested(v, test) for v in value.values())
    if isinstance(value, list | tuple):
        return any(any_nested(v, test) for v in value)
    return False


def encodes_utf8(text: str) -> bool:
    """Whether the text is valid Unicode (no lone surrogate), as UTF-8 files and the engines'
    drivers need it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

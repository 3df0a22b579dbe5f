"""Run a filter script: the JavaScript subset Noodl filter scripts use, interpreted safely.

A script calls ``where(...)`` (alias ``filter``) and ``sort(...)``; the last call of each wins
(docs/semantics.md#scripts). :func:`run_script` walks the tree from :func:`querylang.parse.parse_script`
with a dispatch table on ``tree.data`` -- no ``eval``/``exec``, and no Python attribute is ever
looked up by a user-provided name: member access reads a JSObject's own keys or one of the
listed string/array/date methods, nothing else.

>>> r = run_script("where({ Owner: { pointsTo: Inputs.PostId } })\\nsort(['-createdAt'])",
...                {"PostId": "p1"})
>>> dict(r.where["Owner"]), r.sort, r.where_pos
({'pointsTo': 'p1'}, ['-createdAt'], (1, 1))

Values are the JavaScript model of :mod:`querylang.jsvalues`. Operators follow JavaScript:
``+`` concatenates once either side is a string, ``==`` is loose and ``===`` strict, ``&&``
``||`` ``??`` return an operand, numbers are IEEE doubles (kept as ``int`` while integral and
exact, so ``6 / 2`` is ``3``). Two deliberate differences, because the server has no local
timezone: ``new Date(y, m, d, ...)`` and ISO date-times without an offset are read as UTC,
and ``getHours()`` and friends answer in UTC.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from lark import Token, Tree

from querylang.errors import (
    LimitExceeded,
    QueryError,
    QuerySyntaxError,
    QueryTypeError,
    ScriptError,
)
from querylang.model.jsvalues import UNDEFINED, JSDate, JSObject, JSRegex, type_name
from querylang.script.parser import MAX_DEPTH, MAX_SCRIPT_SIZE, parse_script

__all__ = [
    "MAX_ARRAY_LENGTH",
    "MAX_STEPS",
    "MAX_STRING_LENGTH",
    "ScriptResult",
    "run_script",
    "to_js",
]

MAX_STEPS = 100_000  # evaluated nodes per run; there are no loops, so this bounds big scripts
MAX_STRING_LENGTH = 10_000_000  # characters; `s = s + s` twenty times must not eat the memory
MAX_ARRAY_LENGTH = 1_000_000  # elements, for the same reason (`a = a.concat(a)`)

NAN = math.nan
INF = math.inf
_SAFE = 2**53  # the largest integer a double holds exactly (and its negation)
_MAX_TIME = 8.64e15  # ms; JavaScript's Date range is ±100,000,000 days around 1970
_MS_PER_DAY = 86_400_000

# Keys that reach JavaScript's object machinery (and, in spirit, Python's): rejected in every
# position -- names, `.key`, `[key]`, object literal keys, `$key`.
_FORBIDDEN_KEYS = frozenset({"constructor", "__proto__", "prototype", "__class__"})
# Globals that reach the outside world or code evaluation: rejected as names. As data keys
# (`{ process: ... }`, `Inputs.window`) they are ordinary field names and stay allowed.
_FORBIDDEN = _FORBIDDEN_KEYS | frozenset(
    {
        "globalThis",
        "window",
        "global",
        "self",
        "Function",
        "eval",
        "require",
        "import",
        "process",
        "module",
        "exports",
        "document",
        "Object",
        "Reflect",
        "Proxy",
        "Symbol",
        "Promise",
        "setTimeout",
        "setInterval",
        "fetch",
        "XMLHttpRequest",
        "Noodl",
    }
)


@dataclass
class ScriptResult:
    """What a script asked for: the last ``where``/``filter`` and ``sort`` arguments."""

    where: object  # the JS value last passed to where()/filter(); UNDEFINED if never called
    where_pos: tuple[int, int] | None  # (line, column) of that call
    sort: object  # the JS value last passed to sort(); UNDEFINED if never called
    sort_pos: tuple[int, int] | None


# ==========================================================================================
# Numbers


def _num(x: float | int) -> int | float:
    """One canonical form per JS number: an int while integral and exact, else a float.

    -0.0, NaN and the infinities stay floats, so ``1 / -0`` still gives ``-Infinity``.
    """
    if type(x) is int:
        return x if -_SAFE <= x <= _SAFE else float(x)
    if x.is_integer() and -_SAFE <= x <= _SAFE and (x or math.copysign(1.0, x) > 0):
        return int(x)
    return x


def _num_str(x: int | float) -> str:
    """Number::toString: the shortest round-trip digits, laid out the way JavaScript does."""
    if type(x) is int:
        return str(x)
    if x != x:
        return "NaN"
    if x in (INF, -INF):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) <= _SAFE:
        return str(int(x))
    sign = "-" if x < 0 else ""
    _, digit_tuple, exp = Decimal(repr(abs(x))).as_tuple()
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


# JavaScript's WhiteSpace and LineTerminator characters, for trim() and ToNumber.
_JS_SPACE = (
    " \t\n\v\f\r\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_DECIMAL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)\Z")
_RADIX_LITERAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)\Z")
_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")


def _str_to_num(s: str) -> int | float:
    """StringToNumber: '' and blanks are 0, anything not a numeric literal is NaN."""
    s = s.strip(_JS_SPACE)
    if not s:
        return 0
    if _RADIX_LITERAL.match(s):
        return _num(int(s[2:], {"x": 16, "o": 8, "b": 2}[s[1].lower()]))
    if not _DECIMAL.match(s):
        return NAN
    if s.endswith("Infinity"):
        return -INF if s[0] == "-" else INF
    return _num(float(s))


def to_number(v: object) -> int | float:
    """ToNumber."""
    t = type(v)
    if t is int or t is float:
        return v
    if t is bool:
        return int(v)
    if t is str:
        return _str_to_num(v)
    if v is None:
        return 0
    if v is UNDEFINED:
        return NAN
    if t is JSDate:
        return _num(v.ms)
    return to_number(to_primitive(v, "number"))


def _to_int(v: object) -> int | float:
    """ToIntegerOrInfinity: NaN is 0, the infinities stay, everything else truncates."""
    n = to_number(v)
    if type(n) is int:
        return n
    if n != n:
        return 0
    if n in (INF, -INF):
        return n
    return int(n)


def _to_uint32(v: object) -> int:
    """ToUint32: NaN and the infinities are 0, the rest wraps modulo 2**32."""
    n = _to_int(v)
    return 0 if n in (INF, -INF) else int(n) % 2**32


def _is_number(v: object) -> bool:
    t = type(v)
    return t is int or t is float


def _is_nan(n: int | float) -> bool:
    return n != n


def _finite(n: int | float) -> bool:
    return n == n and n not in (INF, -INF)


# ==========================================================================================
# Conversions


def truthy(v: object) -> bool:
    """ToBoolean: false, 0, -0, NaN, '', null and undefined are falsy; objects never are."""
    if v is True:
        return True
    if v is False or v is None or v is UNDEFINED:
        return False
    t = type(v)
    if t is int:
        return v != 0
    if t is float:
        return not (v == 0 or v != v)
    if t is str:
        return v != ""
    return True


def to_primitive(v: object, hint: str = "default") -> object:
    """ToPrimitive: arrays join, objects are '[object Object]', a Date is its time or text."""
    t = type(v)
    if t is list:
        return _join(v, ",")
    if t is JSDate:
        return _num(v.ms) if hint == "number" else _date_to_string(v)
    if t is JSRegex:
        return f"/{v.pattern}/{v.flags}"
    if isinstance(v, dict):
        return "[object Object]"
    if isinstance(v, _Builtin):
        return f"function {v.name}() {{ [native code] }}"
    return v


def to_string(v: object) -> str:
    """ToString."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v)
    if t is float:
        return _num_str(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "null"
    if v is UNDEFINED:
        return "undefined"
    if t is list:
        return _join(v, ",")
    return to_string(to_primitive(v, "string"))


def _property_key(v: object) -> str:
    """ToPropertyKey: `obj[1]` reads key '1'."""
    return v if type(v) is str else to_string(v)


def _join(items: list, sep: str) -> str:
    """Array.prototype.join: null and undefined elements print as ''."""
    if len(sep) * max(len(items) - 1, 0) > MAX_STRING_LENGTH:
        raise _too_long()
    out = sep.join("" if e is None or e is UNDEFINED else to_string(e) for e in items)
    return _check_str(out)


def _check_str(s: str) -> str:
    if len(s) > MAX_STRING_LENGTH:
        raise _too_long()
    return s


def _too_long() -> LimitExceeded:
    return LimitExceeded(f"string too long (max {MAX_STRING_LENGTH:,} characters)")


def _check_list(items: list) -> list:
    if len(items) > MAX_ARRAY_LENGTH:
        raise LimitExceeded(f"array too long (max {MAX_ARRAY_LENGTH:,} elements)")
    return items


def typeof(v: object) -> str:
    """The typeof operator."""
    if v is UNDEFINED:
        return "undefined"
    t = type(v)
    if t is bool:
        return "boolean"
    if t is int or t is float:
        return "number"
    if t is str:
        return "string"
    if isinstance(v, _Builtin):
        return "object" if v.name in ("Math", "JSON") else "function"
    return "object"


def _kind(v: object) -> str:
    """The type an operator cares about, with every object lumped together."""
    t = typeof(v)
    return "null" if v is None else ("object" if t == "function" else t)


# ------------------------------------------------------------------------------------------
# UTF-16: JavaScript indexes strings by UTF-16 code unit, Python by code point. Only strings
# with characters beyond U+FFFF differ, so everything else skips the conversion.


def _u16(s: str) -> str:
    """The string with each astral character split into its two surrogates."""
    if s.isascii() or max(s) <= "\uffff":
        return s
    out = []
    for ch in s:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append(chr(0xD800 + (cp >> 10)) + chr(0xDC00 + (cp & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


def _from_u16(u: str) -> str:
    """Join surrogate pairs back into characters (lone surrogates stay as they are)."""
    if u.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in u):
        return u
    return u.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def _js_len(s: str) -> int:
    return len(s) if s.isascii() else len(_u16(s))


# ==========================================================================================
# Equality, comparison, arithmetic


def strict_equals(a: object, b: object) -> bool:
    """===: same type and value; objects only equal themselves; NaN equals nothing."""
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is str or ta is int or ta is float or ta is bool:
            return a == b
        if a is None or a is UNDEFINED:
            return True
        return a is b
    if (ta is int or ta is float) and (tb is int or tb is float):
        return a == b
    return False


def _same_value_zero(a: object, b: object) -> bool:
    """SameValueZero (Array.prototype.includes): === except that NaN equals NaN."""
    if type(a) is float and type(b) is float and a != a and b != b:
        return True
    return strict_equals(a, b)


def loose_equals(a: object, b: object) -> bool:
    """==: null == undefined; numbers, strings and booleans compare as numbers."""
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return strict_equals(a, b)
    nullish = ("null", "undefined")
    if ka in nullish or kb in nullish:
        return ka in nullish and kb in nullish
    if ka == "boolean":
        return loose_equals(int(a), b)
    if kb == "boolean":
        return loose_equals(a, int(b))
    if ka == "number" and kb == "string":
        return a == _str_to_num(b)
    if ka == "string" and kb == "number":
        return _str_to_num(a) == b
    if ka == "object":
        return loose_equals(to_primitive(a), b)
    if kb == "object":
        return loose_equals(a, to_primitive(b))
    return False


def _less(a: object, b: object) -> bool | None:
    """Abstract relational comparison; None is JavaScript's 'undefined' (a NaN was involved)."""
    pa, pb = to_primitive(a, "number"), to_primitive(b, "number")
    if type(pa) is str and type(pb) is str:
        return _u16(pa) < _u16(pb)  # code-unit order, as JavaScript compares strings
    na, nb = to_number(pa), to_number(pb)
    if na != na or nb != nb:
        return None
    return na < nb


def _add(a: object, b: object) -> object:
    """+: string concatenation once either primitive is a string, else numeric addition."""
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return _num(a + b)
    if ta is str and tb is str:
        return _check_str(a + b)
    pa, pb = to_primitive(a), to_primitive(b)
    if type(pa) is str or type(pb) is str:
        return _check_str(to_string(pa) + to_string(pb))
    return _num(to_number(pa) + to_number(pb))


def _sub(a: float, b: float) -> int | float:
    return _num(a - b)


def _mul(a: float, b: float) -> int | float:
    r = a * b
    if r == 0 and type(r) is int and (a < 0 or b < 0):
        return -0.0  # 0 * -5 is -0 in JavaScript
    return _num(r)


def _div(a: float, b: float) -> int | float:
    """Division: x/0 is ±Infinity, 0/0 is NaN (Python would raise)."""
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return -INF if (a < 0) != (math.copysign(1.0, b) < 0) else INF
    return _num(a / b)


def _mod(a: float, b: float) -> int | float:
    """%: the remainder takes the dividend's sign (math.fmod), unlike Python's %."""
    if type(a) is int and type(b) is int:
        if b == 0:
            return NAN
        r = abs(a) % abs(b)
        return (-r if r else -0.0) if a < 0 else r
    try:
        return _num(math.fmod(a, b))
    except ValueError:  # x % 0 and Infinity % x
        return NAN


_ARITH: dict[str, Callable[[float, float], int | float]] = {
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
}


def _binary(op: str, a: object, b: object) -> object:
    """One binary operator (not the short-circuit ones) applied to two values."""
    if op == "+":
        return _add(a, b)
    arith = _ARITH.get(op)
    if arith is not None:
        if type(a) is int and type(b) is int:
            return arith(a, b)
        return arith(to_number(a), to_number(b))
    if op == "===":
        return strict_equals(a, b)
    if op == "!==":
        return not strict_equals(a, b)
    if op == "==":
        return loose_equals(a, b)
    if op == "!=":
        return not loose_equals(a, b)
    if op == "<":
        return _less(a, b) is True
    if op == ">":
        return _less(b, a) is True
    if op == "<=":
        return _less(b, a) is False
    return _less(a, b) is False  # ">="


def _negate(v: object) -> int | float:
    n = to_number(v)
    if type(n) is int:
        return -n if n else -0.0
    return _num(-n)


# ==========================================================================================
# Dates (all in UTC: the server has no local timezone to borrow)


def _days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(z: int) -> tuple[int, int, int]:
    """(year, month 1-12, day) of a day number; the inverse of _days_from_civil."""
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (m <= 2), m, d


def _time_clip(t: float) -> float:
    """TimeClip: outside ±8.64e15 ms or not finite is an Invalid Date (NaN)."""
    if t != t or t in (INF, -INF) or abs(t) > _MAX_TIME:
        return NAN
    return float(int(t)) + 0.0


def _make_time(parts: list[object]) -> float:
    """Date.UTC(y, m = 0, d = 1, h = 0, min = 0, s = 0, ms = 0) as a clipped time value."""
    nums = [to_number(p) for p in parts]
    if any(n != n or n in (INF, -INF) for n in nums):
        return NAN
    y, mo, d, h, mi, s, ms = (int(n) for n in nums + [0, 0, 1, 0, 0, 0, 0][len(nums) :])
    if 0 <= y <= 99:
        y += 1900
    y += mo // 12
    days = _days_from_civil(y, mo % 12 + 1, 1) + d - 1
    return _time_clip(days * _MS_PER_DAY + h * 3_600_000 + mi * 60_000 + s * 1000 + ms)


_ISO = re.compile(
    r"(?P<y>\d{4}|[+-]\d{6})(?:-(?P<mo>\d\d)(?:-(?P<d>\d\d))?)?"
    r"(?:[Tt ](?P<h>\d\d):(?P<mi>\d\d)(?::(?P<s>\d\d)(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>[Zz]|[+-]\d\d:?\d\d)?)?\Z"
)


def _parse_date(s: str) -> float:
    """Date.parse for ISO-8601 only; anything else is an Invalid Date (NaN).

    A date-time without an offset is read as UTC, not local time as in a browser: the
    server has no local timezone that would mean anything to the user.
    """
    m = _ISO.match(s.strip())
    if m is None or m.group("y") == "-000000":
        return NAN
    y = int(m.group("y"))
    mo = int(m.group("mo") or 1)
    d = int(m.group("d") or 1)
    h, mi = int(m.group("h") or 0), int(m.group("mi") or 0)
    sec = int(m.group("s") or 0)
    ms = int((m.group("f") or "0").ljust(3, "0")[:3])
    # V8 takes any day up to 31 and lets it overflow (2023-02-29 is March 1st); so do we.
    if not (1 <= mo <= 12 and 1 <= d <= 31 and mi <= 59 and sec <= 59):
        return NAN
    if h > 24 or (h == 24 and (mi or sec or ms)):
        return NAN
    t = (
        (_days_from_civil(y, mo, 1) + d - 1) * _MS_PER_DAY
        + h * 3_600_000
        + mi * 60_000
        + sec * 1000
    )
    tz = m.group("tz")
    if tz and tz not in "Zz":
        oh, om = int(tz[1:3]), int(tz[-2:])
        if oh > 23 or om > 59:
            return NAN
        offset = (oh * 60 + om) * 60_000
        t -= offset if tz[0] == "+" else -offset
    return _time_clip(t + ms)


def _fields(d: JSDate) -> tuple[int, int, int, int, int, int, int, int]:
    """(year, month 0-11, day, hours, minutes, seconds, ms, weekday) of a valid date, UTC."""
    days, rem = divmod(int(d.ms), _MS_PER_DAY)
    y, m, day = _civil_from_days(days)
    h, rem = divmod(rem, 3_600_000)
    mi, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return y, m - 1, day, h, mi, s, ms, (days + 4) % 7


def _iso(d: JSDate) -> str:
    """toISOString; an Invalid Date throws RangeError in JavaScript."""
    if not d.valid:
        raise ScriptError("Invalid time value (toISOString of an Invalid Date)")
    y, mo, day, h, mi, s, ms, _ = _fields(d)
    year = f"{y:04d}" if 0 <= y <= 9999 else f"{'+' if y > 0 else '-'}{abs(y):06d}"
    return f"{year}-{mo + 1:02d}-{day:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}Z"


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _date_to_string(d: JSDate) -> str:
    """Date.prototype.toString as a UTC machine prints it (what string concatenation shows)."""
    if not d.valid:
        return "Invalid Date"
    y, mo, day, h, mi, s, _, wd = _fields(d)
    year = f"{'-' if y < 0 else ''}{abs(y):04d}"
    return (
        f"{_DAYS[wd]} {_MONTHS[mo]} {day:02d} {year} {h:02d}:{mi:02d}:{s:02d} "
        "GMT+0000 (Coordinated Universal Time)"
    )


def _utc_string(d: JSDate) -> str:
    if not d.valid:
        return "Invalid Date"
    y, mo, day, h, mi, s, _, wd = _fields(d)
    year = f"{'-' if y < 0 else ''}{abs(y):04d}"
    return f"{_DAYS[wd]}, {day:02d} {_MONTHS[mo]} {year} {h:02d}:{mi:02d}:{s:02d} GMT"


def _now() -> JSDate:
    return JSDate(float(time.time_ns() // 1_000_000))


def _new_date(args: list[object]) -> JSDate:
    """`new Date(...)` with none, one (time, string or Date) or several (UTC parts) arguments."""
    if not args:
        return _now()
    if len(args) > 1:
        return JSDate(_make_time(args[:7]))
    v = args[0]
    if type(v) is JSDate:
        return JSDate(v.ms)
    p = to_primitive(v)
    if type(p) is str:
        return JSDate(_parse_date(p))
    return JSDate(_time_clip(float(to_number(p))))


def _date_field(index: int) -> Callable[[JSDate, list[object]], object]:
    """A getXxx() method: one field of the UTC calendar date, NaN for an Invalid Date."""

    def get(d: JSDate, args: list[object]) -> object:
        return _fields(d)[index] if d.valid else NAN

    return get


# ==========================================================================================
# Methods of values. Each is f(this, args) -> value; only these names are reachable.


def _arg(args: list[object], i: int) -> object:
    return args[i] if i < len(args) else UNDEFINED


def _clamp(v: object, length: int, default: int) -> int:
    """A relative index (negative counts from the end), clamped to [0, length]."""
    if v is UNDEFINED:
        return default
    n = _to_int(v)
    if n < 0:
        return int(max(length + n, 0))
    return int(min(n, length))


def _no_regex(v: object, method: str) -> object:
    if type(v) is JSRegex:
        raise ScriptError(
            f"regular expressions are not supported in {method}(); pass a string "
            "(regex literals only work as matchesRegex values)"
        )
    return v


def _s_slice(s: str, args: list[object]) -> str:
    u = _u16(s)
    start = _clamp(_arg(args, 0), len(u), 0)
    end = _clamp(_arg(args, 1), len(u), len(u))
    return _from_u16(u[start:end])


def _s_substring(s: str, args: list[object]) -> str:
    u = _u16(s)

    def pos(v: object, default: int) -> int:
        return default if v is UNDEFINED else int(min(max(_to_int(v), 0), len(u)))

    a, b = pos(_arg(args, 0), 0), pos(_arg(args, 1), len(u))
    return _from_u16(u[min(a, b) : max(a, b)])


def _s_index_of(s: str, args: list[object]) -> int:
    u = _u16(s)
    start = int(min(max(_to_int(_arg(args, 1)), 0), len(u)))
    return u.find(_u16(to_string(_arg(args, 0))), start)


def _s_last_index_of(s: str, args: list[object]) -> int:
    u = _u16(s)
    n = to_number(_arg(args, 1))
    end = len(u) if n != n else int(min(max(_to_int(n), 0), len(u)))
    sub = _u16(to_string(_arg(args, 0)))
    return u.rfind(sub, 0, end + len(sub))


def _s_includes(s: str, args: list[object]) -> bool:
    sub = to_string(_no_regex(_arg(args, 0), "includes"))
    if len(args) < 2:
        return sub in s
    u = _u16(s)
    return _u16(sub) in u[int(min(max(_to_int(args[1]), 0), len(u))) :]


def _s_starts_with(s: str, args: list[object]) -> bool:
    sub = to_string(_no_regex(_arg(args, 0), "startsWith"))
    if len(args) < 2:
        return s.startswith(sub)
    u = _u16(s)
    return u.startswith(_u16(sub), int(min(max(_to_int(args[1]), 0), len(u))))


def _s_ends_with(s: str, args: list[object]) -> bool:
    sub = to_string(_no_regex(_arg(args, 0), "endsWith"))
    if _arg(args, 1) is UNDEFINED:
        return s.endswith(sub)
    u = _u16(s)
    return u[: int(min(max(_to_int(args[1]), 0), len(u)))].endswith(_u16(sub))


def _s_split(s: str, args: list[object]) -> list[object]:
    """split with a string separator and an optional limit (no regex separators)."""
    sep, limit_arg = _no_regex(_arg(args, 0), "split"), _arg(args, 1)
    limit = 2**32 - 1 if limit_arg is UNDEFINED else _to_uint32(limit_arg)
    if limit == 0:
        return []
    if sep is UNDEFINED:
        return [s]
    sep = to_string(sep)
    if sep == "":
        u = _u16(s)
        if min(len(u), limit) > MAX_ARRAY_LENGTH:
            raise _too_long()
        return [_from_u16(ch) for ch in u[:limit]]
    return _check_list(s.split(sep)[:limit])


def _substitute(replacement: str, s: str, i: int, matched: str) -> str:
    """GetSubstitution for a string pattern: $$, $&, $` and $' (no capture groups)."""
    if "$" not in replacement:
        return replacement
    table = {"$": "$", "&": matched, "`": s[:i], "'": s[i + len(matched) :]}
    return re.sub(r"\$([$&`'])", lambda m: table[m.group(1)], replacement)


def _replace(s: str, args: list[object], every: bool) -> str:
    """replace/replaceAll with a string pattern: the first or every non-overlapping match."""
    name = "replaceAll" if every else "replace"
    pattern = to_string(_no_regex(_arg(args, 0), name))
    if isinstance(_arg(args, 1), _Builtin):
        raise ScriptError(f"a function as the replacement in {name}() is not supported")
    replacement = to_string(_arg(args, 1))
    out: list[str] = []
    size = last = 0
    i = s.find(pattern)
    while i >= 0:
        piece = _substitute(replacement, s, i, pattern)
        size += i - last + len(piece)
        if size > MAX_STRING_LENGTH:
            raise _too_long()
        out += (s[last:i], piece)
        last = i + len(pattern)
        if not every:
            break
        # An empty pattern matches between every pair of characters, once each.
        i = s.find(pattern, last) if pattern else (last + 1 if last < len(s) else -1)
        if not pattern and i >= 0:
            out.append(s[last:i])
            size += i - last
            last = i
    out.append(s[last:])
    return _check_str("".join(out))


def _s_pad(at_start: bool) -> Callable[[str, list[object]], str]:
    def pad(s: str, args: list[object]) -> str:
        target = _to_int(_arg(args, 0))
        filler = " " if _arg(args, 1) is UNDEFINED else to_string(args[1])
        missing = target - _js_len(s)
        if missing <= 0 or not filler:
            return s
        if target > MAX_STRING_LENGTH:
            raise _too_long()
        fill = _from_u16((_u16(filler) * (int(missing) // len(_u16(filler)) + 1))[: int(missing)])
        return fill + s if at_start else s + fill

    return pad


def _s_repeat(s: str, args: list[object]) -> str:
    n = _to_int(_arg(args, 0))
    if n < 0 or n == INF:
        raise ScriptError(f"Invalid count value: {to_string(n)} (repeat)")
    if not s:
        return s
    if len(s) * n > MAX_STRING_LENGTH:
        raise _too_long()
    return s * int(n)


def _s_char_at(s: str, args: list[object]) -> str:
    u = _u16(s)
    i = _to_int(_arg(args, 0))
    return _from_u16(u[int(i)]) if 0 <= i < len(u) else ""


def _s_char_code_at(s: str, args: list[object]) -> int | float:
    u = _u16(s)
    i = _to_int(_arg(args, 0))
    return ord(u[int(i)]) if 0 <= i < len(u) else NAN


def _s_at(s: str, args: list[object]) -> object:
    u = _u16(s)
    i = _to_int(_arg(args, 0))
    i = i + len(u) if i < 0 else i
    return _from_u16(u[int(i)]) if 0 <= i < len(u) else UNDEFINED


_STRING_METHODS: dict[str, Callable[[str, list[object]], object]] = {
    "toLowerCase": lambda s, a: s.lower(),
    "toUpperCase": lambda s, a: s.upper(),
    "toLocaleLowerCase": lambda s, a: s.lower(),
    "toLocaleUpperCase": lambda s, a: s.upper(),
    "trim": lambda s, a: s.strip(_JS_SPACE),
    "trimStart": lambda s, a: s.lstrip(_JS_SPACE),
    "trimEnd": lambda s, a: s.rstrip(_JS_SPACE),
    "includes": _s_includes,
    "startsWith": _s_starts_with,
    "endsWith": _s_ends_with,
    "indexOf": _s_index_of,
    "lastIndexOf": _s_last_index_of,
    "slice": _s_slice,
    "substring": _s_substring,
    "split": _s_split,
    "replace": lambda s, a: _replace(s, a, every=False),
    "replaceAll": lambda s, a: _replace(s, a, every=True),
    "concat": lambda s, a: _check_str(s + "".join(to_string(x) for x in a)),
    "padStart": _s_pad(at_start=True),
    "padEnd": _s_pad(at_start=False),
    "repeat": _s_repeat,
    "charAt": _s_char_at,
    "charCodeAt": _s_char_code_at,
    "at": _s_at,
    "toString": lambda s, a: s,
    "valueOf": lambda s, a: s,
}


def _a_index_of(arr: list[object], args: list[object]) -> int:
    start = _clamp(_arg(args, 1), len(arr), 0)
    target = _arg(args, 0)
    for i in range(start, len(arr)):
        if strict_equals(arr[i], target):
            return i
    return -1


def _a_last_index_of(arr: list[object], args: list[object]) -> int:
    target = _arg(args, 0)
    end = len(arr) - 1
    if len(args) >= 2:
        n = _to_int(args[1])
        if n == -INF:
            return -1
        end = int(min(n, end)) if n >= 0 else int(len(arr) + n)
    for i in range(end, -1, -1):
        if strict_equals(arr[i], target):
            return i
    return -1


def _a_includes(arr: list[object], args: list[object]) -> bool:
    target = _arg(args, 0)
    start = _clamp(_arg(args, 1), len(arr), 0)
    return any(_same_value_zero(arr[i], target) for i in range(start, len(arr)))


def _a_concat(arr: list[object], args: list[object]) -> list[object]:
    out = list(arr)
    for a in args:
        if type(a) is list:
            out.extend(a)
        else:
            out.append(a)
        _check_list(out)
    return out


def _a_at(arr: list[object], args: list[object]) -> object:
    i = _to_int(_arg(args, 0))
    i = i + len(arr) if i < 0 else i
    return arr[int(i)] if 0 <= i < len(arr) else UNDEFINED


_ARRAY_METHODS: dict[str, Callable[[list, list[object]], object]] = {
    "includes": _a_includes,
    "indexOf": _a_index_of,
    "lastIndexOf": _a_last_index_of,
    "concat": _a_concat,
    "slice": lambda a, x: a[_clamp(_arg(x, 0), len(a), 0) : _clamp(_arg(x, 1), len(a), len(a))],
    "join": lambda a, x: _join(a, "," if _arg(x, 0) is UNDEFINED else to_string(x[0])),
    "at": _a_at,
    "toString": lambda a, x: _join(a, ","),
}

_DATE_METHODS: dict[str, Callable[[JSDate, list[object]], object]] = {
    "getTime": lambda d, a: _num(d.ms),
    "valueOf": lambda d, a: _num(d.ms),
    "toISOString": lambda d, a: _iso(d),
    "toJSON": lambda d, a: _iso(d) if d.valid else None,
    "toString": lambda d, a: _date_to_string(d),
    "toUTCString": lambda d, a: _utc_string(d),
    "getTimezoneOffset": lambda d, a: 0 if d.valid else NAN,
}
for _i, _field in enumerate(
    ("FullYear", "Month", "Date", "Hours", "Minutes", "Seconds", "Milliseconds", "Day")
):
    _DATE_METHODS["get" + _field] = _DATE_METHODS["getUTC" + _field] = _date_field(_i)


_WIDE = Context(prec=200)  # enough digits for any double with 100 decimals


def _n_to_fixed(x: int | float, args: list[object]) -> str:
    """toFixed: ties round away from zero on the exact binary value, as JavaScript does."""
    digits = _to_int(_arg(args, 0))
    if not 0 <= digits <= 100:
        raise ScriptError("toFixed() digits argument must be between 0 and 100")
    if x != x or abs(x) >= 1e21:
        return to_string(x)
    exact = Decimal(x if x else 0)  # (-0).toFixed(2) is '0.00'
    q = exact.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP, context=_WIDE)
    return f"{q:f}"


def _n_to_string(x: int | float, args: list[object]) -> str:
    radix = _arg(args, 0)
    if radix is not UNDEFINED and to_number(radix) != 10:
        raise ScriptError("toString() with a radix other than 10 is not supported")
    return to_string(x)


_NUMBER_METHODS: dict[str, Callable[[int | float, list[object]], object]] = {
    "toString": _n_to_string,
    "toFixed": _n_to_fixed,
    "valueOf": lambda x, a: x,
}


# ==========================================================================================
# Global functions and namespaces


class _Builtin:
    """A global the script may call or read members of (``Math``, ``Date``, ``where``...).

    Never a value: it exists only while a chain is being evaluated, so no function object can
    reach where() or sort().
    """

    __slots__ = ("name", "call", "members", "constants")

    def __init__(
        self,
        name: str,
        call: Callable[[list[object]], object] | None = None,
        members: Mapping[str, Callable[[list[object]], object]] | None = None,
        constants: Mapping[str, object] | None = None,
    ) -> None:
        self.name = name
        self.call = call
        self.members = members or {}
        self.constants = constants or {}


def _parse_int(args: list[object]) -> int | float:
    """parseInt: the longest digit prefix in the radix (16 when the text starts with 0x)."""
    s = to_string(_arg(args, 0)).lstrip(_JS_SPACE)
    radix = _to_uint32(_arg(args, 1))
    radix = radix - 2**32 if radix >= 2**31 else radix  # ToInt32
    sign = -1 if s[:1] == "-" else 1
    if s[:1] in "+-" and s:
        s = s[1:]
    if radix == 0:
        radix = 10
        if s[:2] in ("0x", "0X"):
            radix, s = 16, s[2:]
    elif radix == 16 and s[:2] in ("0x", "0X"):
        s = s[2:]
    if not 2 <= radix <= 36:
        return NAN
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"[:radix]
    n = 0
    while n < len(s) and s[n].lower() in alphabet:
        n += 1
    digits = s[:n]
    if not digits:
        return NAN
    if radix == 10:
        return _num(sign * float(digits)) if n > 15 else sign * int(digits)
    if n * math.log2(radix) > 1100:
        return sign * INF
    return _num(sign * float(int(digits, radix)))


def _parse_float(args: list[object]) -> int | float:
    s = to_string(_arg(args, 0)).lstrip(_JS_SPACE)
    m = _FLOAT_PREFIX.match(s)
    if m is None:
        return NAN
    text = m.group()
    if text.endswith("Infinity"):
        return -INF if text[0] == "-" else INF
    return _num(float(text))


def _math_round(x: int | float) -> int | float:
    """Math.round: halves go toward +Infinity; (-0.5, 0) rounds to -0."""
    if type(x) is int or x != x or x in (INF, -INF):
        return x
    if -0.5 <= x < 0 or (x == 0 and math.copysign(1.0, x) < 0):
        return -0.0
    r = math.floor(x)
    return _num(r + 1 if x - r >= 0.5 else r)


def _rounder(fn: Callable[[float], int]) -> Callable[[list[object]], object]:
    """Math.floor/ceil/trunc: integral results keep -0 where JavaScript has it."""

    def apply(args: list[object]) -> object:
        x = to_number(_arg(args, 0))
        if type(x) is int or x != x or x in (INF, -INF):
            return x
        r = fn(x)
        return -0.0 if r == 0 and (x < 0 or math.copysign(1.0, x) < 0) else _num(r)

    return apply


def _min_max(pick: Callable[..., object], empty: float) -> Callable[[list[object]], object]:
    def apply(args: list[object]) -> object:
        nums = [to_number(a) for a in args]
        if not nums:
            return empty
        if any(n != n for n in nums):
            return NAN
        best = pick(nums)
        if best == 0:  # -0 is smaller than +0 for min/max
            signs = [math.copysign(1.0, n) for n in nums if n == 0]
            negative = (min(signs) if pick is min else max(signs)) < 0
            return -0.0 if negative else 0
        return best

    return apply


def _math_pow(args: list[object]) -> int | float:
    """Math.pow with JavaScript's special cases (Python's ** differs on 1**NaN, 0**-1...)."""
    base, exp = to_number(_arg(args, 0)), to_number(_arg(args, 1))
    if exp != exp or (abs(base) == 1 and exp in (INF, -INF)):
        return NAN
    if type(base) is int and type(exp) is int and 0 <= exp <= 1100:
        try:
            return _num(base**exp)
        except OverflowError:
            return _overflow(base, exp)
    try:
        return _num(math.pow(base, exp))
    except OverflowError:
        return _overflow(base, exp)
    except ValueError:
        if base == 0:
            odd = float(exp).is_integer() and int(exp) % 2 == 1
            return -INF if odd and math.copysign(1.0, base) < 0 else INF
        return NAN


def _overflow(base: float, exp: float) -> float:
    odd = float(exp).is_integer() and int(exp) % 2 == 1
    return -INF if base < 0 and odd else INF


def _math_sqrt(args: list[object]) -> int | float:
    x = to_number(_arg(args, 0))
    return NAN if x != x or x < 0 else _num(math.sqrt(x))


def _math_sign(args: list[object]) -> int | float:
    x = to_number(_arg(args, 0))
    if x != x or x == 0:
        return x
    return 1 if x > 0 else -1


def _json_stringify(args: list[object]) -> object:
    if len(args) > 1 and any(a is not UNDEFINED for a in args[1:]):
        raise ScriptError("JSON.stringify with a replacer or indentation is not supported")
    return _json(_arg(args, 0))


def _json(v: object) -> object:
    """JSON.stringify of one value; UNDEFINED where JavaScript omits it."""
    t = type(v)
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if t is int or t is float:
        return _num_str(v) if v == v and v not in (INF, -INF) else "null"
    if t is str:
        return json.dumps(v, ensure_ascii=False)
    if t is JSDate:
        return json.dumps(_iso(v), ensure_ascii=False) if v.valid else "null"
    if t is list:
        return _check_str(
            "[" + ",".join("null" if (s := _json(e)) is UNDEFINED else s for e in v) + "]"
        )
    if isinstance(v, dict):
        parts = []
        for k, val in v.items():
            s = _json(val)
            if s is not UNDEFINED:
                parts.append(json.dumps(k, ensure_ascii=False) + ":" + s)
        return _check_str("{" + ",".join(parts) + "}")
    if t is JSRegex:
        return "{}"
    return UNDEFINED


def _reject_json_constant(name: str) -> object:
    raise ValueError(f"unexpected token {name}")


def _json_parse(args: list[object]) -> object:
    """JSON.parse of a string (handy when an input holds JSON text)."""
    try:
        value = json.loads(to_string(_arg(args, 0)), parse_constant=_reject_json_constant)
    except (ValueError, RecursionError) as err:
        raise ScriptError(f"JSON.parse: {err}") from None
    return to_js(value)


_GLOBAL_FUNCTIONS: dict[str, Callable[[list[object]], object]] = {
    "Number": lambda a: to_number(a[0]) if a else 0,
    "String": lambda a: to_string(a[0]) if a else "",
    "Boolean": lambda a: truthy(_arg(a, 0)),
    "parseInt": _parse_int,
    "parseFloat": _parse_float,
    "isNaN": lambda a: _is_nan(to_number(_arg(a, 0))),
    "isFinite": lambda a: _finite(to_number(_arg(a, 0))),
}


def _is_integer(v: object) -> bool:
    return _is_number(v) and _finite(v) and float(v).is_integer()


_BUILTINS: dict[str, _Builtin] = {
    "Math": _Builtin(
        "Math",
        members={
            "abs": lambda a: _num(abs(to_number(_arg(a, 0)))),
            "floor": _rounder(math.floor),
            "ceil": _rounder(math.ceil),
            "trunc": _rounder(math.trunc),
            "round": lambda a: _math_round(to_number(_arg(a, 0))),
            "min": _min_max(min, INF),
            "max": _min_max(max, -INF),
            "pow": _math_pow,
            "sqrt": _math_sqrt,
            "sign": _math_sign,
        },
        constants={"PI": math.pi, "E": math.e},
    ),
    "Date": _Builtin(
        "Date",
        members={
            "now": lambda a: _num(_now().ms),
            "UTC": lambda a: _num(_make_time(a[:7])) if a else NAN,
            "parse": lambda a: _num(_parse_date(to_string(_arg(a, 0)))),
        },
    ),
    "Number": _Builtin(
        "Number",
        call=_GLOBAL_FUNCTIONS["Number"],
        members={
            "isInteger": lambda a: _is_integer(_arg(a, 0)),
            "isSafeInteger": lambda a: _is_integer(_arg(a, 0)) and abs(a[0]) <= _SAFE - 1,
            "isFinite": lambda a: _is_number(_arg(a, 0)) and _finite(a[0]),
            "isNaN": lambda a: _is_number(_arg(a, 0)) and _is_nan(a[0]),
            "parseFloat": _parse_float,
            "parseInt": _parse_int,
        },
        constants={
            "MAX_SAFE_INTEGER": _SAFE - 1,
            "MIN_SAFE_INTEGER": -(_SAFE - 1),
            "EPSILON": 2.0**-52,
            "MAX_VALUE": 1.7976931348623157e308,
            "MIN_VALUE": 5e-324,
            "POSITIVE_INFINITY": INF,
            "NEGATIVE_INFINITY": -INF,
            "NaN": NAN,
        },
    ),
    "String": _Builtin("String", call=_GLOBAL_FUNCTIONS["String"]),
    "Array": _Builtin("Array", members={"isArray": lambda a: type(_arg(a, 0)) is list}),
    "JSON": _Builtin("JSON", members={"stringify": _json_stringify, "parse": _json_parse}),
    **{
        name: _Builtin(name, call=fn)
        for name, fn in _GLOBAL_FUNCTIONS.items()
        if name not in ("Number", "String")
    },
    # where/filter/sort are answered by the interpreter itself (they record, not compute).
    "where": _Builtin("where", call=lambda a: UNDEFINED),
    "filter": _Builtin("filter", call=lambda a: UNDEFINED),
    "sort": _Builtin("sort", call=lambda a: UNDEFINED),
}
_GLOBAL_VALUES: dict[str, object] = {"undefined": UNDEFINED, "NaN": NAN, "Infinity": INF}
# Names a script may not declare or assign: the filter callbacks, Inputs and the globals.
_RESERVED = frozenset({*_BUILTINS, *_GLOBAL_VALUES, "Inputs"})


# ==========================================================================================
# Python values in, JavaScript values out


def to_js(value: object, _depth: int = 0) -> object:
    """A Python input value as a JavaScript value (dict -> JSObject, datetime -> JSDate...).

    Containers are copied, so nothing the script builds aliases the caller's data.
    """
    if value is None or value is UNDEFINED:
        return value
    t = type(value)
    if t is str or t is bool or t is float:
        return value
    if t is int:
        return _num(value)
    if t is JSDate or t is JSRegex:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _num(int(value))
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return JSDate.from_datetime(value)
    if isinstance(value, date):
        return JSDate.from_datetime(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if _depth >= MAX_DEPTH:
        raise QueryTypeError(f"input value nests too deeply (max {MAX_DEPTH})")
    if isinstance(value, Mapping):
        obj = JSObject(pos=value.pos if t is JSObject else None)
        for k, v in value.items():
            if type(k) is not str:
                raise QueryTypeError(f"object keys must be strings, not {type(k).__name__}")
            obj[k] = to_js(v, _depth + 1)
        if t is JSObject:
            obj.positions.update(value.positions)
        return obj
    if isinstance(value, list | tuple):
        return [to_js(v, _depth + 1) for v in value]
    raise QueryTypeError(f"a {type(value).__name__} cannot be used as a script value")


# ==========================================================================================
# The interpreter


class _Return(Exception):
    """Unwinds a `return` statement to the top of the script."""


def _pos(node: Tree | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return node.line, node.column
    return node.meta.line, node.meta.column


def _is_array_index(key: str) -> bool:
    return (
        key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


class _Run:
    """One execution of one script: variables, inputs, the step budget and the results."""

    __slots__ = ("text", "inputs", "scopes", "steps", "where", "where_pos", "sort", "sort_pos")

    def __init__(self, text: str, inputs: JSObject, max_steps: int) -> None:
        self.text = text
        self.inputs = inputs
        # Each scope: name -> [value, kind] with kind 'var', 'let' or 'const'. Index 0 is the
        # function scope (the script body); blocks push their own for let/const.
        self.scopes: list[dict[str, list]] = [{}]
        self.steps = max_steps
        self.where: object = UNDEFINED
        self.where_pos: tuple[int, int] | None = None
        self.sort: object = UNDEFINED
        self.sort_pos: tuple[int, int] | None = None

    # ------------------------------------------------------------------ plumbing

    def fail(self, node: Tree | Token, message: str, cls: type[QueryError] = ScriptError):
        """An error pointing at ``node``, with the script attached for the caret view."""
        line, col = _pos(node)
        return cls(message, line=line, column=col, source=self.text)

    def eval(self, node: Tree) -> object:
        """Evaluate an expression node; errors without a position get this node's."""
        self.steps -= 1
        if self.steps < 0:
            raise self.fail(node, "script ran too long (step limit reached)", LimitExceeded)
        try:
            return _EVAL[node.data](self, node)
        except QueryError as err:
            if err.line is None:
                err.at(*_pos(node))
            raise

    def run(self, tree: Tree) -> None:
        if "var" in self.text:  # cheap test before walking for hoisted declarations
            self.hoist(tree)
        try:
            for stmt in tree.children:
                self.exec(stmt)
        except _Return:
            pass

    def hoist(self, tree: Tree) -> None:
        """`var` names exist (as undefined) from the top of the script, as in JavaScript."""
        todo = list(tree.children)
        while todo:
            node = todo.pop()
            if node.data == "var_decl" and node.children[0].type == "VAR":
                for decl in node.children[1:]:
                    name = decl.children[0]
                    self.check_declarable(name)
                    self.scopes[0].setdefault(str(name), [UNDEFINED, "var"])
            elif node.data in ("block", "if_stmt"):
                todo.extend(c for c in node.children if isinstance(c, Tree))

    def exec(self, node: Tree) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise self.fail(node, "script ran too long (step limit reached)", LimitExceeded)
        _EXEC[node.data](self, node)

    # ------------------------------------------------------------------ statements

    def exec_expr(self, node: Tree) -> None:
        self.eval(node.children[0])

    def exec_empty(self, node: Tree) -> None:
        pass

    def exec_block(self, node: Tree) -> None:
        self.scopes.append({})
        try:
            for stmt in node.children:
                self.exec(stmt)
        finally:
            self.scopes.pop()

    def exec_if(self, node: Tree) -> None:
        # An else-if chain is walked in a loop, so a long chain does not recurse.
        while True:
            ch = node.children
            if truthy(self.eval(ch[0])):
                branch = ch[1]
            elif len(ch) > 2:
                branch = ch[2]
            else:
                return
            if branch.data != "if_stmt":
                self.exec(branch)
                return
            node = branch

    def exec_return(self, node: Tree) -> None:
        # `return` then a line break returns nothing (ASI), so the next line never runs.
        if node.children and node.children[0].meta.line == node.meta.line:
            self.eval(node.children[0])
        raise _Return

    def exec_var_decl(self, node: Tree) -> None:
        kind = node.children[0].type.lower()
        for decl in node.children[1:]:
            name_tok = decl.children[0]
            name = str(name_tok)
            self.check_declarable(name_tok)
            if len(decl.children) > 1:
                value = self.eval(decl.children[2])
            elif kind == "const":
                raise self.fail(
                    name_tok, "Missing initializer in const declaration", QuerySyntaxError
                )
            else:
                value = UNDEFINED
            scope = self.scopes[0] if kind == "var" else self.scopes[-1]
            existing = scope.get(name)
            if existing is not None and (kind != "var" or existing[1] != "var"):
                raise self.fail(
                    name_tok, f"Identifier '{name}' has already been declared", QuerySyntaxError
                )
            if existing is not None and len(decl.children) == 1:
                continue  # `var x;` again keeps the value
            scope[name] = [value, kind]

    def check_declarable(self, tok: Token) -> None:
        name = str(tok)
        if name in _FORBIDDEN:
            raise self.fail(tok, f"'{name}' is not supported in filter scripts")
        if name in _RESERVED:
            raise self.fail(tok, f"'{name}' is built in and cannot be declared")
        if name.startswith("$"):
            raise self.fail(tok, f"'{name}' is an input and cannot be declared")

    def exec_assign(self, node: Tree) -> None:
        name_tok, op, expr = node.children
        name = str(name_tok)
        binding = self.lookup(name)
        if binding is None:
            if name in _FORBIDDEN:
                raise self.fail(name_tok, f"'{name}' is not supported in filter scripts")
            if name in _RESERVED or name.startswith("$"):
                raise self.fail(name_tok, f"'{name}' is read-only")
            raise self.fail(name_tok, f"{name} is not defined")
        if binding[1] == "const":
            raise self.fail(name_tok, f"Assignment to constant variable '{name}'")
        value = self.eval(expr)
        if op != "=":
            value = _binary(op[0], binding[0], value)
        binding[0] = value

    def lookup(self, name: str) -> list | None:
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                return b
        return None

    # ------------------------------------------------------------------ names

    def resolve(self, tok: Token) -> object:
        """A name's value, or the _Builtin it names (for the chain evaluator to call)."""
        name = tok.value
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                return b[0]
        if name[0] == "$" and len(name) > 1:
            if name[1:] in _FORBIDDEN_KEYS:
                raise self.fail(tok, f"'{name[1:]}' is not supported in filter scripts")
            return self.inputs.get(name[1:], UNDEFINED)
        if name == "Inputs":
            return self.inputs
        if name in _GLOBAL_VALUES:
            return _GLOBAL_VALUES[name]
        builtin = _BUILTINS.get(name)
        if builtin is not None:
            return builtin
        if name in _FORBIDDEN:
            raise self.fail(tok, f"'{name}' is not supported in filter scripts")
        raise self.fail(tok, f"{name} is not defined")

    def value_of(self, tok: Token) -> object:
        v = self.resolve(tok)
        if isinstance(v, _Builtin):
            raise self.fail(tok, f"'{v.name}' cannot be used as a value")
        return v

    # ------------------------------------------------------------------ expressions

    def ev_name(self, node: Tree) -> object:
        return self.value_of(node.children[0])

    def ev_literal(self, node: Tree) -> object:
        return node.children[0].value

    def ev_template(self, node: Tree) -> object:
        parts = []
        for c in node.children:
            parts.append(c.value if isinstance(c, Token) else to_string(self.eval(c)))
        return _check_str("".join(parts))

    def ev_array(self, node: Tree) -> object:
        # A loop, not a comprehension: a comprehension is one more stack frame per nesting
        # level, and nesting depth is what the stack limits.
        out = []
        for c in node.children:
            out.append(self.eval(c))
        return out

    def ev_object(self, node: Tree) -> object:
        obj = JSObject(pos=(node.meta.line, node.meta.column))
        positions = obj.positions
        index_keys = False
        for prop in node.children:
            kind = prop.data
            if kind == "pair":
                key_tok = prop.children[0]
                key = key_tok.value
                if type(key) is not str:
                    key = to_string(key)  # {1: x} has key '1', {1.50: x} key '1.5'
                pos = (key_tok.line, key_tok.column)
                value = self.eval(prop.children[1])
            elif kind == "shorthand":
                key_tok = prop.children[0]
                key, pos = key_tok.value, (key_tok.line, key_tok.column)
                value = self.value_of(key_tok)
            else:  # computed_pair
                key_node = prop.children[0]
                key = _property_key(self.eval(key_node))
                pos = (key_node.meta.line, key_node.meta.column)
                value = self.eval(prop.children[1])
            if key in _FORBIDDEN_KEYS:
                raise ScriptError(
                    f"'{key}' is not supported in filter scripts", line=pos[0], column=pos[1]
                )
            obj[key] = value
            positions[key] = pos
            index_keys = index_keys or key[:1].isdigit()
        if index_keys:
            _order_keys(obj)
        return obj

    def ev_new(self, node: Tree) -> object:
        name_tok = node.children[0]
        if name_tok.value != "Date":
            name = name_tok.value
            if name in _FORBIDDEN:
                raise self.fail(name_tok, f"'{name}' is not supported in filter scripts")
            raise self.fail(
                name_tok, f"'new {name}' is not supported in filter scripts (only new Date)"
            )
        args = self.args(node.children[1]) if len(node.children) > 1 else []
        return _new_date(args)

    def ev_unary(self, node: Tree) -> object:
        ops = []
        while node.data == "unary_op":  # `!!x` and `- -x` are walked, not recursed
            ops.append(node.children[0])
            node = node.children[1]
        if ops[-1] == "typeof" and node.data == "name":
            value: object = self.typeof_name(node.children[0])
            ops.pop()
        else:
            value = self.eval(node)
        for op in reversed(ops):
            if op == "!":
                value = not truthy(value)
            elif op == "-":
                value = _negate(value)
            elif op == "+":
                value = to_number(value)
            else:
                value = typeof(value)
        return value

    def typeof_name(self, tok: Token) -> str:
        """`typeof x` of an undeclared x is 'undefined', not a ReferenceError."""
        name = tok.value
        if (
            self.lookup(name) is None
            and not name.startswith("$")
            and name not in _RESERVED
            and name not in _FORBIDDEN
        ):
            return "undefined"
        return typeof(self.resolve(tok))

    def ev_binary(self, node: Tree) -> object:
        ch = node.children
        value = self.eval(ch[0])
        for i in range(1, len(ch), 2):
            value = _binary(ch[i].value, value, self.eval(ch[i + 1]))
        return value

    def ev_and(self, node: Tree) -> object:
        ch = node.children
        value = self.eval(ch[0])
        for i in range(2, len(ch), 2):
            if not truthy(value):
                return value
            value = self.eval(ch[i])
        return value

    def ev_or(self, node: Tree) -> object:
        ch = node.children
        value = self.eval(ch[0])
        for i in range(2, len(ch), 2):
            if truthy(value):
                return value
            value = self.eval(ch[i])
        return value

    def ev_coalesce(self, node: Tree) -> object:
        ch = node.children
        value = self.eval(ch[0])
        for i in range(2, len(ch), 2):
            if value is not None and value is not UNDEFINED:
                return value
            value = self.eval(ch[i])
        return value

    def ev_cond(self, node: Tree) -> object:
        while node.data == "cond":  # `a ? b : c ? d : e` is walked, not recursed
            test, yes, no = node.children
            node = yes if truthy(self.eval(test)) else no
        return self.eval(node)

    # ------------------------------------------------------------------ chains

    def args(self, call: Tree) -> list[object]:
        out = []
        for c in call.children:
            out.append(self.eval(c))
        return out

    def ev_chain(self, node: Tree) -> object:
        """`head.a[b](c)?.d`: trailers left to right; `x.m(...)` is a method call."""
        ch = node.children
        head = ch[0]
        value = self.resolve(head.children[0]) if head.data == "name" else self.eval(head)
        i, n = 1, len(ch)
        while i < n:
            t = ch[i]
            kind = t.data
            if kind[:4] == "opt_":
                if value is None or value is UNDEFINED:
                    return UNDEFINED  # `?.` short-circuits the rest of the chain
                kind = kind[4:]
            if kind == "call":
                value = self.call_value(value, self.args(t), node, t)
                i += 1
                continue
            if kind == "member":
                key_tok = t.children[0]
                key, key_node = key_tok.value, key_tok
            else:  # index
                key_node = t.children[0]
                key = _property_key(self.eval(key_node))
            nxt = ch[i + 1] if i + 1 < n else None
            if nxt is not None and nxt.data in ("call", "opt_call"):
                if nxt.data == "opt_call" and _property_is_nullish(value, key):
                    return UNDEFINED  # `x.m?.()` with no m
                value = self.call_method(value, key, self.args(nxt), key_node, node, nxt)
                i += 2
            else:
                value = self.get(value, key, key_node)
                i += 1
        if isinstance(value, _Builtin):
            raise self.fail(
                node, f"'{self.source_of(node)}' must be called, e.g. {value.name}(...)"
            )
        return value

    def source_of(self, node: Tree) -> str:
        text = self.text[node.meta.start_pos : node.meta.end_pos]
        return text if len(text) <= 40 else text[:37] + "..."

    def call_value(self, callee: object, args: list[object], chain: Tree, call: Tree) -> object:
        """Calling something that is not a method: where/filter/sort or a global function."""
        if isinstance(callee, _Builtin) and callee.call is not None:
            name = callee.name
            if name in ("where", "filter"):
                self.where = args[0] if args else UNDEFINED
                self.where_pos = _pos(chain)
                return UNDEFINED
            if name == "sort":
                self.sort = args[0] if args else UNDEFINED
                self.sort_pos = _pos(chain)
                return UNDEFINED
            return self.apply(callee.call, args, chain)
        what = self.text[chain.meta.start_pos : call.meta.start_pos]
        if isinstance(callee, _Builtin):
            if callee.name == "Date":
                raise self.fail(chain, "Date(...) must be called with new: new Date(...)")
            raise self.fail(chain, f"{what} is not a function")
        raise self.fail(chain, f"{what} is not a function ({type_name(callee)})")

    def call_method(
        self,
        obj: object,
        key: str,
        args: list[object],
        key_node: Tree | Token,
        chain: Tree,
        call: Tree,
    ) -> object:
        """`obj.key(args)`: only the listed methods of strings, arrays, dates and namespaces."""
        if key in _FORBIDDEN_KEYS:
            raise self.fail(key_node, f"'{key}' is not supported in filter scripts")
        if isinstance(obj, _Builtin):
            fn = obj.members.get(key)
            if fn is None:
                raise self.fail(key_node, f"'{obj.name}.{key}' is not supported in filter scripts")
            return self.apply(fn, args, key_node)
        if obj is None or obj is UNDEFINED:
            raise self.fail(
                key_node, f"Cannot read properties of {to_string(obj)} (reading '{key}')"
            )
        method = _methods_for(obj).get(key)
        if method is None:
            if isinstance(obj, dict):
                if key in obj:
                    what = self.text[chain.meta.start_pos : call.meta.start_pos]
                    raise self.fail(key_node, f"{what} is not a function ({type_name(obj[key])})")
                raise self.fail(key_node, f"Unknown method '{key}' on object")
            hint = ""
            if key in ("map", "filter", "forEach", "reduce", "find", "some", "every"):
                hint = " (functions are not supported in filter scripts)"
            elif key in ("test", "exec", "match", "matchAll", "search"):
                hint = " (regular expressions only work as matchesRegex values)"
            raise self.fail(key_node, f"Unknown method '{key}' on {type_name(obj)}{hint}")
        return self.apply(method, args, key_node, obj)

    def apply(self, fn: Callable, args: list[object], at: Tree | Token, *this: object) -> object:
        """Call a built-in; its errors point at the method name rather than the chain."""
        try:
            return fn(*this, args)
        except QueryError as err:
            raise err.at(*_pos(at)) from None

    def get(self, obj: object, key: str, key_node: Tree | Token) -> object:
        """Property read: own keys of objects, indexes and `length`, and a few constants."""
        if key in _FORBIDDEN_KEYS:
            raise self.fail(key_node, f"'{key}' is not supported in filter scripts")
        t = type(obj)
        if t is JSObject or isinstance(obj, dict):
            return obj.get(key, UNDEFINED)
        if obj is None or obj is UNDEFINED:
            raise self.fail(
                key_node, f"Cannot read properties of {to_string(obj)} (reading '{key}')"
            )
        if t is list or t is str:
            if key == "length":
                return len(obj) if t is list else _js_len(obj)
            if _is_array_index(key):
                seq = obj if t is list else _u16(obj)
                i = int(key)
                if i >= len(seq):
                    return UNDEFINED
                return seq[i] if t is list else _from_u16(seq[i])
            if key.lstrip("-").replace(".", "", 1).isdigit() or key in ("NaN", "Infinity"):
                return UNDEFINED  # `a[-1]`, `a[1.5]`: not an index, so undefined as in JS
        if isinstance(obj, _Builtin):
            if key in obj.constants:
                return obj.constants[key]
            if key in obj.members:
                raise self.fail(key_node, f"'{obj.name}.{key}' must be called: {key}(...)")
            raise self.fail(key_node, f"'{obj.name}.{key}' is not supported in filter scripts")
        if t is JSRegex and key in ("source", "flags"):
            return obj.pattern if key == "source" else obj.flags
        if key in _methods_for(obj):
            raise self.fail(key_node, f"'{key}' must be called: {key}(...)")
        raise self.fail(key_node, f"Unknown property '{key}' on {type_name(obj)}")


def _property_is_nullish(obj: object, key: str) -> bool:
    """Whether `obj[key]` is null or undefined, for `obj.key?.()` (a nullish obj throws)."""
    if obj is None or obj is UNDEFINED:
        return False
    if isinstance(obj, dict):
        v = obj.get(key, UNDEFINED)
        return v is None or v is UNDEFINED
    if isinstance(obj, _Builtin):
        return key not in obj.members and key not in obj.constants
    return key not in _methods_for(obj)


def _methods_for(obj: object) -> Mapping[str, Callable]:
    t = type(obj)
    if t is str:
        return _STRING_METHODS
    if t is list:
        return _ARRAY_METHODS
    if t is JSDate:
        return _DATE_METHODS
    if t is int or t is float:
        return _NUMBER_METHODS
    if t is bool:
        return _BOOL_METHODS
    return {}


_BOOL_METHODS: dict[str, Callable] = {
    "toString": lambda b, a: to_string(b),
    "valueOf": lambda b, a: b,
}


def _order_keys(obj: JSObject) -> None:
    """JavaScript lists integer-like keys first, ascending, then the others in order."""
    keys = list(obj)
    index = sorted((k for k in keys if _is_array_index(k)), key=int)
    if not index:
        return
    items = [(k, obj[k]) for k in index] + [(k, obj[k]) for k in keys if not _is_array_index(k)]
    obj.clear()
    obj.update(items)


_EVAL: dict[str, Callable[[_Run, Tree], object]] = {
    "name": _Run.ev_name,
    "literal": _Run.ev_literal,
    "template": _Run.ev_template,
    "array": _Run.ev_array,
    "object": _Run.ev_object,
    "new_expr": _Run.ev_new,
    "unary_op": _Run.ev_unary,
    "chain": _Run.ev_chain,
    "additive": _Run.ev_binary,
    "multiplicative": _Run.ev_binary,
    "relational": _Run.ev_binary,
    "equality": _Run.ev_binary,
    "logic_and": _Run.ev_and,
    "logic_or": _Run.ev_or,
    "coalesce": _Run.ev_coalesce,
    "cond": _Run.ev_cond,
}

_EXEC: dict[str, Callable[[_Run, Tree], None]] = {
    "expr_stmt": _Run.exec_expr,
    "empty": _Run.exec_empty,
    "block": _Run.exec_block,
    "if_stmt": _Run.exec_if,
    "return_stmt": _Run.exec_return,
    "var_decl": _Run.exec_var_decl,
    "assign": _Run.exec_assign,
}


def run_script(
    text: str,
    inputs: Mapping[str, object] | None = None,
    *,
    max_steps: int = MAX_STEPS,
    max_size: int = MAX_SCRIPT_SIZE,
    max_depth: int = MAX_DEPTH,
) -> ScriptResult:
    """Run a filter script and report its last where()/filter() and sort() arguments.

    ``inputs`` are the node's inputs (``Inputs.Name`` and ``$Name``); one that is not given
    reads as ``undefined``. Every failure is a :class:`QueryError`: :class:`QuerySyntaxError`
    for text outside the subset, :class:`ScriptError` for a runtime error (with the line and
    column of the offending node), :class:`LimitExceeded` for the size, nesting and step
    limits, :class:`QueryTypeError` for an input Python value with no JavaScript meaning.
    """
    try:
        tree = parse_script(text, max_size=max_size, max_depth=max_depth)
        run = _Run(text, _inputs_object(inputs), max_steps)
        run.run(tree)
    except QueryError as err:
        raise err.with_source(text) from None
    except RecursionError:
        # The parser caps bracket nesting, and everything else (else-if chains, ternaries,
        # unary chains, operator lists) is walked in loops; this is the last line, for a
        # caller that is itself already deep in the stack.
        raise LimitExceeded("script nests too deeply for the stack", source=text) from None
    except OverflowError:
        # An integer beyond a double (JSON.parse of 400 digits, a huge input).
        raise QueryTypeError("a number is out of range (larger than a double holds)", source=text) from None
    return ScriptResult(run.where, run.where_pos, run.sort, run.sort_pos)


def _inputs_object(inputs: Mapping[str, object] | None) -> JSObject:
    if inputs is None:
        return JSObject()
    if not isinstance(inputs, Mapping):
        raise QueryTypeError(
            f"inputs must be a mapping of names to values, not {type_name(inputs)}"
        )
    obj = to_js(inputs)
    return obj

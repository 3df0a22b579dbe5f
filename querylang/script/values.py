"""The JavaScript value rules filter scripts run by: numbers, conversions, typeof, UTF-16.

Values are the JavaScript model of :mod:`querylang.model.jsvalues`; numbers are IEEE doubles
(kept as ``int`` while integral and exact, so ``6 / 2`` is ``3``). Strings and arrays a script
builds are capped in size (:data:`MAX_STRING_LENGTH`, :data:`MAX_ARRAY_LENGTH`). The operators
on these values are in :mod:`querylang.script.operators`; Python values come in through
:mod:`querylang.script.inputs`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping

from querylang.errors import LimitExceeded, ScriptError
from querylang.model.jsvalues import (
    UNDEFINED,
    JSDate,
    JSObject,
    JSRegex,
    num_str,
    type_name,
)
from querylang.script.dates import date_to_string
from querylang.script.lexer import JS_SPACE, MAX_DEPTH

MAX_STRING_LENGTH = 10_000_000  # characters; `s = s + s` twenty times must not eat the memory
MAX_ARRAY_LENGTH = 1_000_000  # elements, for the same reason (`a = a.concat(a)`)
# Values in what where()/sort() received, a shared value counted each time it appears: a
# script can share one value twice per statement (`o = { and: [o, o] }`), so thirty short
# statements describe 2**30 conditions, and every later stage (lowering, the reference
# evaluator, to_parse_where) walks the value as the tree it stands for.
MAX_RESULT_VALUES = MAX_ARRAY_LENGTH

NAN = math.nan
INF = math.inf
SAFE = 2**53  # the largest integer a double holds exactly (and its negation)

# ==========================================================================================
# Numbers


def num(x: float | int) -> int | float:
    """One canonical form per JS number: an int while integral and exact, else a float.

    -0.0, NaN and the infinities stay floats, so ``1 / -0`` still gives ``-Infinity``.
    """
    if isinstance(x, int):
        return x if -SAFE <= x <= SAFE else float(x)
    if x.is_integer() and -SAFE <= x <= SAFE and (x or math.copysign(1.0, x) > 0):
        return int(x)
    return x


# re.ASCII: JavaScript's numbers have digits 0-9 only (Number('١٢') is NaN, not 12).
_DECIMAL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)\Z", re.ASCII)
_RADIX_LITERAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)\Z")
FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", re.ASCII)


def _str_to_num(s: str) -> int | float:
    """StringToNumber: '' and blanks are 0, anything not a numeric literal is NaN."""
    s = s.strip(JS_SPACE)
    if not s:
        return 0
    if _RADIX_LITERAL.match(s):
        return num(int(s[2:], {"x": 16, "o": 8, "b": 2}[s[1].lower()]))
    if not _DECIMAL.match(s):
        return NAN
    if s.endswith("Infinity"):
        return -INF if s[0] == "-" else INF
    return num(float(s))


def to_number(v: object) -> int | float:
    """ToNumber."""
    t = type(v)
    if t is int or t is float:
        return v  # type: ignore[return-value]  # exactly int or float: checked just above
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        return _str_to_num(v)
    if v is None:
        return 0
    if v is UNDEFINED:
        return NAN
    if isinstance(v, JSDate):
        return num(v.ms)
    return to_number(to_primitive(v, "number"))


def to_int(v: object) -> int | float:
    """ToIntegerOrInfinity: NaN is 0, the infinities stay, everything else truncates."""
    n = to_number(v)
    if type(n) is int:
        return n
    if n != n:
        return 0
    if n in (INF, -INF):
        return n
    return int(n)


def to_uint32(v: object) -> int:
    """ToUint32: NaN and the infinities are 0, the rest wraps modulo 2**32."""
    n = to_int(v)
    return 0 if n in (INF, -INF) else int(n) % 2**32


def is_number(v: object) -> bool:
    t = type(v)
    return t is int or t is float


def is_nan(n: int | float) -> bool:
    return n != n


def finite(n: int | float) -> bool:
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
    """ToPrimitive: arrays join, an object calls its own valueOf / toString (else it is
    '[object Object]'), a Date is its time or text."""
    if isinstance(v, list):
        return join(v, ",")
    if isinstance(v, JSDate):
        return num(v.ms) if hint == "number" else date_to_string(v)
    if isinstance(v, JSRegex):
        return f"/{v.pattern}/{v.flags}"
    if isinstance(v, dict):
        return _object_to_primitive(v, hint)
    if isinstance(v, Builtin):
        return f"function {v.name}() {{ [native code] }}"
    if isinstance(v, Function):
        return v.source
    return v


def _object_to_primitive(obj: dict, hint: str) -> object:
    """OrdinaryToPrimitive: valueOf then toString (toString first for a string), each the
    object's own arrow function if it has one, called through the script's interpreter (its
    steps and call depth count), else Object.prototype's: valueOf gives the object back, and
    toString '[object Object]'. An own key that is not a function is passed over."""
    for name in ("toString", "valueOf") if hint == "string" else ("valueOf", "toString"):
        if name not in obj:
            if name == "toString":
                return "[object Object]"
            continue
        method = obj[name]
        if type(method) is Function:
            result = method.invoke([])
            if not isinstance(result, dict | list | JSDate | JSRegex | Function):
                return result
    raise ScriptError("Cannot convert object to primitive value")


def to_string(v: object) -> str:
    """ToString."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return num_str(v)
    if v is None:
        return "null"
    if v is UNDEFINED:
        return "undefined"
    if isinstance(v, list):
        return join(v, ",")
    return to_string(to_primitive(v, "string"))


def property_key(v: object) -> str:
    """ToPropertyKey: `obj[1]` reads key '1'."""
    return v if type(v) is str else to_string(v)


def join(items: list, sep: str) -> str:
    """Array.prototype.join: null and undefined elements print as ''.

    The size is checked before the text is built (:func:`concat`). Nested arrays are
    walked once at the top, with a budget: shared ones (`a = [[a, a]]`) can stand for
    exponentially many elements that each turn into very little text.
    """
    if len(sep) * max(len(items) - 1, 0) > MAX_STRING_LENGTH:
        raise too_long()
    if any(type(e) is list for e in items) and tree_size_exceeds(
        items, MAX_ARRAY_LENGTH, objects=False
    ):
        raise LimitExceeded(
            f"array too large to turn into text (more than {MAX_ARRAY_LENGTH:,} elements in "
            "all, a shared array counted each time it appears)"
        )
    return _join(items, sep)


def _join(items: list, sep: str) -> str:
    pieces = [
        "" if e is None or e is UNDEFINED else _join(e, ",") if type(e) is list else to_string(e)
        for e in items
    ]
    return concat(pieces, sep)


def concat(pieces: list[str], sep: str = "") -> str:
    """The pieces joined, the size checked first: many pieces of one long string (an array
    of it, a template or concat() of it many times) must not ask Python for gigabytes."""
    if sum(map(len, pieces)) + len(sep) * max(len(pieces) - 1, 0) > MAX_STRING_LENGTH:
        raise too_long()
    return from_u16(sep.join(pieces))


def check_str(s: str) -> str:
    """A string the script built, within the size limit and with a surrogate pair that two
    pieces formed (`'\\ud83d' + '\\ude00'`) joined into its character, as JavaScript sees it."""
    if len(s) > MAX_STRING_LENGTH:
        raise too_long()
    return from_u16(s)


def too_long() -> LimitExceeded:
    return LimitExceeded(f"string too long (max {MAX_STRING_LENGTH:,} characters)")


def array_too_long() -> LimitExceeded:
    return LimitExceeded(f"array too long (max {MAX_ARRAY_LENGTH:,} elements)")


def check_list(items: list) -> list:
    if len(items) > MAX_ARRAY_LENGTH:
        raise array_too_long()
    return items


def check_result_size(value: object, pos: tuple[int, int] | None, name: str) -> None:
    """Refuse a where()/sort() argument that stands for more than MAX_RESULT_VALUES values
    (counted by :func:`tree_size_exceeds`): every later stage walks it as a tree."""
    if isinstance(value, dict | list) and tree_size_exceeds(value, MAX_RESULT_VALUES):
        line, column = pos if pos is not None else (None, None)
        raise LimitExceeded(
            f"the value passed to {name}() is too large (more than "
            f"{MAX_RESULT_VALUES:,} values, a shared value counted each time it appears)",
            line=line,
            column=column,
        )


def tree_size_exceeds(value: object, limit: int, *, objects: bool = True) -> bool:
    """Whether ``value`` walked as a tree (into objects too unless ``objects`` is False)
    holds more than ``limit`` values, a shared value counted once per appearance.

    The walk stops at the limit, so it costs at most that many steps. It does not go below
    _COUNT_DEPTH levels: whatever walks the value next refuses values that deep (a cyclic one
    included) with its own message.
    """
    count = 1
    level: list[object] = [value]
    for _ in range(_COUNT_DEPTH):  # level by level, so no depth is kept per value
        below: list[object] = []
        for v in level:
            if type(v) is list:
                children: Collection[object] = v
            elif objects and isinstance(v, dict):
                children = v.values()
            else:
                continue
            count += len(children)
            if count > limit:
                return True
            below += [c for c in children if type(c) is list or isinstance(c, dict)]
        if not below:
            break
        level = below
    return False


_COUNT_DEPTH = 2 * MAX_DEPTH  # deeper than any filter or value the later stages accept


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
    if isinstance(v, Builtin):
        return "object" if v.name in ("Math", "JSON", "console") else "function"
    if isinstance(v, Function):
        return "function"
    return "object"


# ------------------------------------------------------------------------------------------
# UTF-16: JavaScript indexes strings by UTF-16 code unit, Python by code point. Only strings
# with characters beyond U+FFFF differ, so everything else skips the conversion.


class _Units(dict[int, str | int]):
    """str.translate's table from code point to UTF-16: an astral character to its two
    surrogates, any other to itself, each filled in as first met (a C lookup after that)."""

    def __missing__(self, cp: int) -> str | int:
        if cp > 0xFFFF:
            n = cp - 0x10000
            units: str | int = chr(0xD800 + (n >> 10)) + chr(0xDC00 + (n & 0x3FF))
        else:
            units = cp
        self[cp] = units
        return units


_UNITS = _Units()
_UNITS_KEPT = 100_000  # characters the table keeps at most: it lives as long as the process
# The last long string converted and its units: a script indexing one long string character
# by character (`s[i]`, `s.codePointAt(i)` in a map) converts it once, not at every call.
_last_u16: tuple[str, str] = ("", "")


def u16(s: str) -> str:
    """The string with each astral character split into its two surrogates."""
    global _last_u16
    if s.isascii():
        return s
    last = _last_u16
    if s is last[0]:
        return last[1]
    if max(s) <= "\uffff":
        u = s
    else:
        if len(_UNITS) > _UNITS_KEPT:
            _UNITS.clear()
        u = s.translate(_UNITS)
    if len(s) > 1000:
        _last_u16 = (s, u)
    return u


_SURROGATE = re.compile("[\ud800-\udfff]")


def from_u16(u: str) -> str:
    """Join surrogate pairs back into characters (lone surrogates stay as they are)."""
    if u.isascii() or not _SURROGATE.search(u):
        return u
    return u.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


def js_len(s: str) -> int:
    """The length in UTF-16 units (counted by the encoder, not by converting the string)."""
    return len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


# ==========================================================================================
# Callables: built-ins and the script's own arrow functions


class Builtin:
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



class Function:
    """An arrow function the script wrote; ``invoke(args)`` runs its body in its closure."""

    __slots__ = ("invoke", "source")

    def __init__(self, invoke: Callable[[list[object]], object], source: str) -> None:
        self.invoke = invoke
        self.source = source  # what String(f) shows, as in JavaScript

    def __repr__(self) -> str:
        # An arrow function that reaches where() is named in the error that refuses it,
        # as the script wrote it rather than as a Python object at an address.
        return self.source


def callback(v: object, method: str) -> Callable[[list[object]], object]:
    """The Python callable behind a function value passed to ``method`` (an arrow function,
    or a global such as Boolean; never where/filter/sort, which record rather than compute)."""
    if isinstance(v, Function):
        return v.invoke
    if isinstance(v, Builtin) and v.call is not None and v.name not in ("where", "filter", "sort"):
        return v.call
    raise ScriptError(f"{method}() needs a function, not {type_name(v)}")


# ==========================================================================================
# Small helpers of the methods and namespaces


def arg(args: list[object], i: int) -> object:
    return args[i] if i < len(args) else UNDEFINED


def clamp(v: object, length: int, default: int) -> int:
    """A relative index (negative counts from the end), clamped to [0, length]."""
    if v is UNDEFINED:
        return default
    n = to_int(v)
    if n < 0:
        return int(max(length + n, 0))
    return int(min(n, length))


def is_array_index(key: str) -> bool:
    return (
        key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) < 2**32 - 1
    )


def order_keys(obj: JSObject) -> None:
    """JavaScript lists integer-like keys first, ascending, then the others in order."""
    keys = list(obj)
    index = sorted((k for k in keys if is_array_index(k)), key=int)
    if not index:
        return
    items = [(k, obj[k]) for k in index] + [(k, obj[k]) for k in keys if not is_array_index(k)]
    obj.clear()
    obj.update(items)

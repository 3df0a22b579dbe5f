"""The globals a filter script may use: Math, Date, Number, String, JSON, Array, parseInt...

Each is a :class:`~querylang.script.values.Builtin`: something to call or read members of,
never a value a script can store. Names that reach the outside world or code evaluation are
listed in :data:`FORBIDDEN` and rejected wherever the script names them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable

from querylang.errors import LimitExceeded, ScriptError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSObject, JSRegex, type_name
from querylang.script.array_edits import array_from
from querylang.script.code_units import from_char_code, from_code_point
from querylang.script.date_text import parse_date
from querylang.script.dates import iso, make_time, now
from querylang.script.inputs import to_js
from querylang.script.lexer import JS_SPACE, MAX_DEPTH
from querylang.script.math_fns import MATH_CONSTANTS, MATH_FUNCTIONS
from querylang.script.uri import decode_uri, decode_uri_component, encode_uri, encode_uri_component
from querylang.script.values import (
    FLOAT_PREFIX,
    INF,
    MAX_ARRAY_LENGTH,
    MAX_STRING_LENGTH,
    NAN,
    SAFE,
    Builtin,
    Function,
    arg,
    finite,
    from_u16,
    is_nan,
    num,
    num_str,
    order_keys,
    property_key,
    to_number,
    to_string,
    to_uint32,
    too_long,
    tree_size_exceeds,
    truthy,
    u16,
)

# Keys that reach JavaScript's object machinery (and, in spirit, Python's): rejected in every
# position -- names, `.key`, `[key]`, object literal keys, `$key`.
FORBIDDEN_KEYS = frozenset({"constructor", "__proto__", "prototype", "__class__"})
# Globals that reach the outside world or code evaluation: rejected as names. As data keys
# (`{ process: ... }`, `Inputs.window`) they are ordinary field names and stay allowed.
FORBIDDEN = FORBIDDEN_KEYS | frozenset(
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



def _parse_int(args: list[object]) -> int | float:
    """parseInt: the longest digit prefix in the radix (16 when the text starts with 0x)."""
    s = to_string(arg(args, 0)).lstrip(JS_SPACE)
    radix = to_uint32(arg(args, 1))
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
    # The ASCII digits and letters only: str.lower() maps the Kelvin sign K to k, which
    # JavaScript takes for no digit (and Python's int() refuses).
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"[:radix]
    alphabet += alphabet[10:].upper()
    n = 0
    while n < len(s) and s[n] in alphabet:
        n += 1
    digits = s[:n]
    if not digits:
        return NAN
    if radix == 10:
        # num(-0.0) stays -0.0: parseInt('-0') is -0, and an int has no negative zero.
        return num(sign * float(digits)) if n > 15 or sign < 0 else int(digits)
    if radix & (radix - 1):  # 3, 5, 6, 7, 9, 11, ...: not exact in V8 (below)
        return num(sign * _v8_approximate_int(digits.lstrip("0"), radix))
    if n * math.log2(radix) > 1100:
        return sign * INF
    return num(sign * float(int(digits, radix)))


# The most a chunk's multiplier may reach before the next digit: the next multiply-add must
# stay within 32 bits for any radix up to 36.
_CHUNK_LIMIT = 0xFFFFFFFF // 36


def _v8_approximate_int(digits: str, radix: int) -> float:
    """The digits' value as V8 computes it for a radix the language lets be approximate (any
    but 2, 4, 8, 10, 16 and 32): chunks of digits whose value fits 32 bits, each folded into
    a double by one multiply and one add, every fold rounding. The exact value, rounded once,
    differs in the last bit for about a third of the numbers above 2**53."""
    value = 0.0
    i = 0
    while True:
        part, multiplier = 0, 1
        while i < len(digits) and multiplier * radix <= _CHUNK_LIMIT:
            part = part * radix + int(digits[i], 36)
            multiplier *= radix
            i += 1
        value = value * multiplier + part
        if i >= len(digits) or value == INF:  # Infinity stays so: no need to read ten million digits
            return value


def _parse_float(args: list[object]) -> int | float:
    s = to_string(arg(args, 0)).lstrip(JS_SPACE)
    m = FLOAT_PREFIX.match(s)
    if m is None:
        return NAN
    text = m.group()
    if text.endswith("Infinity"):
        return -INF if text[0] == "-" else INF
    return num(float(text))


def _math_round(x: int | float) -> int | float:
    """Math.round: halves go toward +Infinity; (-0.5, 0) rounds to -0."""
    if type(x) is int or x != x or x in (INF, -INF):
        return x
    if -0.5 <= x < 0 or (x == 0 and math.copysign(1.0, x) < 0):
        return -0.0
    r = math.floor(x)
    return num(r + 1 if x - r >= 0.5 else r)


def _rounder(fn: Callable[[float], int]) -> Callable[[list[object]], object]:
    """Math.floor/ceil/trunc: integral results keep -0 where JavaScript has it."""

    def apply(args: list[object]) -> object:
        x = to_number(arg(args, 0))
        if type(x) is int or x != x or x in (INF, -INF):
            return x
        r = fn(x)
        return -0.0 if r == 0 and (x < 0 or math.copysign(1.0, x) < 0) else num(r)

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
    base, exp = to_number(arg(args, 0)), to_number(arg(args, 1))
    if exp != exp or (abs(base) == 1 and exp in (INF, -INF)):
        return NAN
    if type(base) is int and type(exp) is int and 0 <= exp <= 1100:
        try:
            return num(base**exp)
        except OverflowError:
            return _overflow(base, exp)
    try:
        return num(math.pow(base, exp))
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
    x = to_number(arg(args, 0))
    return NAN if x != x or x < 0 else num(math.sqrt(x))


def _math_sign(args: list[object]) -> int | float:
    x = to_number(arg(args, 0))
    if x != x or x == 0:
        return x
    return 1 if x > 0 else -1


def _json_stringify(args: list[object]) -> object:
    if len(args) > 1 and any(a is not UNDEFINED for a in args[1:]):
        raise ScriptError("JSON.stringify with a replacer or indentation is not supported")
    value = arg(args, 0)
    if isinstance(value, dict | list) and tree_size_exceeds(value, MAX_ARRAY_LENGTH):
        # A shared value (`o = { a: o, b: o }`) stands for exponentially many.
        raise LimitExceeded(
            f"value too large for JSON.stringify (more than {MAX_ARRAY_LENGTH:,} values in "
            "all, a shared value counted each time it appears)"
        )
    return _json(value)


def _json(v: object, key: str = "") -> object:
    """JSON.stringify of one value, held under ``key``; UNDEFINED where JavaScript omits it.

    An object's own toJSON function gives the value written instead (called with the key, as
    JavaScript calls it; `{ toJSON: () => 5 }` is written 5), as its own valueOf and toString
    convert it elsewhere."""
    if isinstance(v, dict) and type(v.get("toJSON")) is Function:
        v = v["toJSON"].invoke([key])
        if isinstance(v, JSDate):  # its toJSON is not called again: a Date has no own keys
            return "{}"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return num_str(v) if v == v and v not in (INF, -INF) else "null"
    if isinstance(v, str):
        return _json_string(v)
    if isinstance(v, JSDate):
        return json.dumps(iso(v), ensure_ascii=False) if v.valid else "null"
    if isinstance(v, list):
        # The length and the keys as they are when the writing starts, each value as it is when
        # written: a toJSON may push to an array or Object.assign to an object on the way.
        return "[" + _json_parts(
            "null" if (s := _json(v[i], str(i))) is UNDEFINED else str(s) for i in range(len(v))
        ) + "]"
    if isinstance(v, dict):
        return "{" + _json_parts(
            _json_string(k) + ":" + str(s)
            for k in list(v)
            if (s := _json(v[k], k)) is not UNDEFINED
        ) + "}"
    if isinstance(v, JSRegex):
        return "{}"
    return UNDEFINED


# A surrogate that is not half of a pair (JavaScript strings are UTF-16; here a pair can
# only come from joining its halves, e.g. '\ud83d' + '\ude00').
_LONE_SURROGATE = re.compile(
    r"[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)


def _json_string(s: str) -> str:
    """A JSON string literal; a lone surrogate is written as an escape, as JavaScript's
    JSON.stringify does, so the text stays valid Unicode."""
    out = json.dumps(s, ensure_ascii=False)
    if s.isascii():
        return out
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", out)


def _json_parts(parts: Iterable[str]) -> str:
    """Parts joined by commas, failing as soon as the text passes the limit: one long string
    held many times must fail there, not after Python has been asked for the whole text."""
    out: list[str] = []
    size = 0
    for part in parts:
        size += len(part) + 1
        if size > MAX_STRING_LENGTH:
            raise too_long()
        out.append(part)
    return ",".join(out)


def _reject_json_constant(name: str) -> object:
    raise ValueError(f"unexpected token {name}")


def _json_object(pairs: list[tuple[str, object]]) -> JSObject:
    """A parsed JSON object, integer-like keys first as JavaScript lists them."""
    obj = JSObject(pairs)
    order_keys(obj)
    return obj


def _json_parse(args: list[object]) -> object:
    """JSON.parse of a string (handy when an input holds JSON text).

    Every number is a double, as in JavaScript: an integer of 400 digits is Infinity, and one
    above 4,300 digits never reaches Python's int (which refuses to convert it).
    """
    try:
        value = json.loads(
            to_string(arg(args, 0)),
            parse_constant=_reject_json_constant,
            parse_int=lambda digits: num(float(digits)),
            object_pairs_hook=_json_object,
        )
    except ValueError as err:
        raise ScriptError(f"JSON.parse: {err}") from None
    except RecursionError:  # Python's own words were "maximum recursion depth exceeded while ..."
        raise ScriptError(f"JSON.parse: the text nests too deeply (max {MAX_DEPTH})") from None
    return to_js(value)


def _own_entries(v: object, method: str) -> list[tuple[str, object]]:
    """An object's own enumerable [key, value] pairs, as Object.keys/values/entries see them."""
    if v is None or v is UNDEFINED:
        raise ScriptError(f"Object.{method}() cannot convert {to_string(v)} to an object")
    if isinstance(v, dict):
        return list(v.items())
    if isinstance(v, list):
        return [(str(i), x) for i, x in enumerate(v)]
    if isinstance(v, str):
        return [(str(i), from_u16(u)) for i, u in enumerate(u16(v))]
    return []  # numbers, booleans, Dates and regexes have no own enumerable keys


def _object_assign(args: list[object]) -> object:
    """Object.assign(target, ...sources): copies the sources' own keys onto the target."""
    target = arg(args, 0)
    if not isinstance(target, JSObject):
        raise ScriptError(f"Object.assign() needs an object to assign to, not {type_name(target)}")
    for source in args[1:]:
        if source is None or source is UNDEFINED:
            continue
        for k, v in _own_entries(source, "assign"):
            if k in FORBIDDEN_KEYS:
                raise ScriptError(f"'{k}' is not supported in filter scripts")
            target[k] = v
    if any(k[:1].isdigit() for k in target):
        order_keys(target)
    return target


def _object_from_entries(args: list[object]) -> object:
    pairs = arg(args, 0)
    if not isinstance(pairs, list):
        raise ScriptError(f"Object.fromEntries() needs an array of [key, value] pairs, not {type_name(pairs)}")
    out = JSObject()
    for pair in pairs:
        if not isinstance(pair, list):
            raise ScriptError("Object.fromEntries(): each entry must be a [key, value] array")
        key = property_key(pair[0] if pair else UNDEFINED)
        if key in FORBIDDEN_KEYS:
            raise ScriptError(f"'{key}' is not supported in filter scripts")
        out[key] = pair[1] if len(pair) > 1 else UNDEFINED
    if any(k[:1].isdigit() for k in out):
        order_keys(out)
    return out


def _ignore(args: list[object]) -> object:
    return UNDEFINED


_GLOBAL_FUNCTIONS: dict[str, Callable[[list[object]], object]] = {
    "Number": lambda a: to_number(a[0]) if a else 0,
    "String": lambda a: to_string(a[0]) if a else "",
    "Boolean": lambda a: truthy(arg(a, 0)),
    "parseInt": _parse_int,
    "parseFloat": _parse_float,
    "isNaN": lambda a: is_nan(to_number(arg(a, 0))),
    "isFinite": lambda a: finite(to_number(arg(a, 0))),
    "encodeURIComponent": encode_uri_component,
    "decodeURIComponent": decode_uri_component,
    "encodeURI": encode_uri,
    "decodeURI": decode_uri,
}


def _is_integer(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and finite(v) and float(v).is_integer()


def _is_safe_integer(v: object) -> bool:
    return _is_integer(v) and abs(v) <= SAFE - 1  # type: ignore[arg-type]  # a number


def _number_is(test: Callable[[int | float], bool]) -> Callable[[list[object]], bool]:
    """Number.isFinite / Number.isNaN: false for anything that is not already a number."""

    def apply(args: list[object]) -> bool:
        v = arg(args, 0)
        return isinstance(v, int | float) and not isinstance(v, bool) and test(v)

    return apply


BUILTINS: dict[str, Builtin] = {
    "Math": Builtin(
        "Math",
        members={
            "abs": lambda a: num(abs(to_number(arg(a, 0)))),
            "floor": _rounder(math.floor),
            "ceil": _rounder(math.ceil),
            "trunc": _rounder(math.trunc),
            "round": lambda a: _math_round(to_number(arg(a, 0))),
            "min": _min_max(min, INF),
            "max": _min_max(max, -INF),
            "pow": _math_pow,
            "sqrt": _math_sqrt,
            "sign": _math_sign,
            **MATH_FUNCTIONS,
        },
        constants={"PI": math.pi, "E": math.e, **MATH_CONSTANTS},
    ),
    "Date": Builtin(
        "Date",
        members={
            "now": lambda a: num(now().ms),
            "UTC": lambda a: num(make_time([to_number(x) for x in a[:7]])) if a else NAN,
            "parse": lambda a: num(parse_date(to_string(arg(a, 0)))),
        },
    ),
    "Number": Builtin(
        "Number",
        call=_GLOBAL_FUNCTIONS["Number"],
        members={
            "isInteger": lambda a: _is_integer(arg(a, 0)),
            "isSafeInteger": lambda a: _is_safe_integer(arg(a, 0)),
            "isFinite": _number_is(finite),
            "isNaN": _number_is(is_nan),
            "parseFloat": _parse_float,
            "parseInt": _parse_int,
        },
        constants={
            "MAX_SAFE_INTEGER": SAFE - 1,
            "MIN_SAFE_INTEGER": -(SAFE - 1),
            "EPSILON": 2.0**-52,
            "MAX_VALUE": 1.7976931348623157e308,
            "MIN_VALUE": 5e-324,
            "POSITIVE_INFINITY": INF,
            "NEGATIVE_INFINITY": -INF,
            "NaN": NAN,
        },
    ),
    "String": Builtin(
        "String",
        call=_GLOBAL_FUNCTIONS["String"],
        members={"fromCharCode": from_char_code, "fromCodePoint": from_code_point},
    ),
    "Array": Builtin(
        "Array",
        members={"isArray": lambda a: type(arg(a, 0)) is list, "from": array_from, "of": lambda a: list(a)},
    ),
    "JSON": Builtin("JSON", members={"stringify": _json_stringify, "parse": _json_parse}),
    "Object": Builtin(
        "Object",
        members={
            "keys": lambda a: [k for k, _ in _own_entries(arg(a, 0), "keys")],
            "values": lambda a: [v for _, v in _own_entries(arg(a, 0), "values")],
            "entries": lambda a: [[k, v] for k, v in _own_entries(arg(a, 0), "entries")],
            "assign": _object_assign,
            "fromEntries": _object_from_entries,
        },
    ),
    # console.log and friends are accepted and do nothing: a query has nowhere to print.
    "console": Builtin(
        "console", members=dict.fromkeys(("log", "info", "warn", "error", "debug"), _ignore)
    ),
    **{
        name: Builtin(name, call=fn)
        for name, fn in _GLOBAL_FUNCTIONS.items()
        if name not in ("Number", "String")
    },
    # where/filter/sort are answered by the interpreter itself (they record, not compute).
    "where": Builtin("where", call=lambda a: UNDEFINED),
    "filter": Builtin("filter", call=lambda a: UNDEFINED),
    "sort": Builtin("sort", call=lambda a: UNDEFINED),
}
GLOBAL_VALUES: dict[str, object] = {"undefined": UNDEFINED, "NaN": NAN, "Infinity": INF}
# Names a script may not declare or assign: the filter callbacks, Inputs and the globals.
RESERVED = frozenset({*BUILTINS, *GLOBAL_VALUES, "Inputs"})

"""JavaScript's operators on script values: equality (``===``, ``==``, SameValueZero),
comparison, arithmetic and ``+`` (numbers as IEEE doubles, ``x / 0`` Infinity, ``%`` with the
dividend's sign), and unary minus.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from querylang.model.jsvalues import UNDEFINED
from querylang.script.values import (
    INF,
    NAN,
    check_str,
    num,
    to_number,
    to_primitive,
    to_string,
    typeof,
    u16,
)


def _kind(v: object) -> str:
    """The type an operator cares about, with every object lumped together."""
    t = typeof(v)
    return "null" if v is None else ("object" if t == "function" else t)


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


def same_value_zero(a: object, b: object) -> bool:
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
    if isinstance(a, bool):
        return loose_equals(int(a), b)
    if isinstance(b, bool):
        return loose_equals(a, int(b))
    if ka == "number" and isinstance(b, str):
        return a == to_number(b)
    if isinstance(a, str) and kb == "number":
        return to_number(a) == b
    if ka == "object":
        return loose_equals(to_primitive(a), b)
    if kb == "object":
        return loose_equals(a, to_primitive(b))
    return False


def _less(a: object, b: object) -> bool | None:
    """Abstract relational comparison; None is JavaScript's 'undefined' (a NaN was involved)."""
    pa, pb = to_primitive(a, "number"), to_primitive(b, "number")
    if type(pa) is str and type(pb) is str:
        return u16(pa) < u16(pb)  # code-unit order, as JavaScript compares strings
    na, nb = to_number(pa), to_number(pb)
    if na != na or nb != nb:
        return None
    return na < nb


def _add(a: object, b: object) -> object:
    """+: string concatenation once either primitive is a string, else numeric addition."""
    if type(a) is int and type(b) is int:
        return num(a + b)  # type: ignore[operator]  # both exactly int
    if isinstance(a, str) and isinstance(b, str):
        return check_str(a + b)
    pa, pb = to_primitive(a), to_primitive(b)
    if type(pa) is str or type(pb) is str:
        return check_str(to_string(pa) + to_string(pb))
    return num(to_number(pa) + to_number(pb))


def _sub(a: float, b: float) -> int | float:
    return num(a - b)


def _mul(a: float, b: float) -> int | float:
    r = a * b
    if r == 0 and type(r) is int and (a < 0 or b < 0):
        return -0.0  # 0 * -5 is -0 in JavaScript
    return num(r)


def _div(a: float, b: float) -> int | float:
    """Division: x/0 is ±Infinity, 0/0 is NaN (Python would raise)."""
    if b == 0:
        if a == 0 or a != a:
            return NAN
        return -INF if (a < 0) != (math.copysign(1.0, b) < 0) else INF
    return num(a / b)


def _mod(a: float, b: float) -> int | float:
    """%: the remainder takes the dividend's sign (math.fmod), unlike Python's %."""
    if type(a) is int and type(b) is int:
        if b == 0:
            return NAN
        r = abs(a) % abs(b)
        return (-r if r else -0.0) if a < 0 else r
    try:
        return num(math.fmod(a, b))
    except ValueError:  # x % 0 and Infinity % x
        return NAN


_ARITH: dict[str, Callable[[float, float], int | float]] = {
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
}


def binary(op: str, a: object, b: object) -> object:
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


def negate(v: object) -> int | float:
    n = to_number(v)
    if type(n) is int:
        return -n if n else -0.0
    return num(-n)

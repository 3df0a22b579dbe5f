"""Math's logarithms, exponentials, roots and trigonometry, with JavaScript's answers where
Python's math module raises instead (log(0) is -Infinity, log(-1) NaN, exp(1000) Infinity,
asin(2) NaN) and -0 kept where JavaScript keeps it (cbrt(-0), log1p(-0), sin(-0)).

The values come from the C library (Python's math), V8's from its own fdlibm port: both are
within one unit in the last place, and for most arguments the same double (hypot is computed
as V8 computes it, and cbrt is the nearest double, as V8's is not always).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from querylang.script.values import INF, NAN, arg, num, to_number


def _unary(fn: Callable[[float], float]) -> Callable[[list[object]], object]:
    """Math.f(x): NaN in, NaN out; a domain error is NaN, an overflow the infinity of its sign."""

    def apply(args: list[object]) -> object:
        x = float(to_number(arg(args, 0)))
        if x != x:
            return NAN
        try:
            return num(fn(x))
        except ValueError:
            return NAN
        except OverflowError:  # exp and expm1 of a large x
            return INF

    return apply


def _log(fn: Callable[[float], float], pole: float) -> Callable[[float], float]:
    """A logarithm: -Infinity at its pole (0, or -1 for log1p), NaN below it."""

    def log(x: float) -> float:
        if x == pole:
            return -INF
        return NAN if x < pole else fn(x)

    return log


def _cbrt(x: float) -> float:
    """The cube root correctly rounded: the C library's is often one unit in the last place
    off (cbrt(1e9) was 1000.0000000000001), so its neighbours are tried on the exact cubes."""
    y = math.cbrt(x)
    if y == 0 or y in (INF, -INF):
        return y
    exact = Fraction(x)
    return min(
        (math.nextafter(y, -INF), y, math.nextafter(y, INF)),
        key=lambda c: abs(Fraction(c) ** 3 - exact),
    )


def _hypot(args: list[object]) -> object:
    """Math.hypot: every argument is converted first; an infinity wins over NaN."""
    nums = [float(to_number(a)) for a in args]
    if any(n in (INF, -INF) for n in nums):
        return INF
    if any(n != n for n in nums):
        return NAN
    # Node's way, not Python's more exact math.hypot (which differs from it in the last digit
    # for about one answer in four): each scaled by the largest, the squares summed with
    # Kahan's compensation, the root scaled back.
    big = max((abs(n) for n in nums), default=0.0)
    if big == 0:
        return 0
    total = lost = 0.0
    for n in nums:
        term = (abs(n) / big) ** 2 - lost
        new = total + term
        lost = (new - total) - term
        total = new
    return num(math.sqrt(total) * big)


def _atan2(args: list[object]) -> object:
    return num(math.atan2(float(to_number(arg(args, 0))), float(to_number(arg(args, 1)))))


MATH_FUNCTIONS: dict[str, Callable[[list[object]], object]] = {
    "log": _unary(_log(math.log, 0.0)),
    "log10": _unary(_log(math.log10, 0.0)),
    "log2": _unary(_log(math.log2, 0.0)),
    "log1p": _unary(_log(math.log1p, -1.0)),
    "exp": _unary(math.exp),
    "expm1": _unary(math.expm1),
    "cbrt": _unary(_cbrt),
    "hypot": _hypot,
    "sin": _unary(math.sin),
    "cos": _unary(math.cos),
    "tan": _unary(math.tan),
    "asin": _unary(math.asin),
    "acos": _unary(math.acos),
    "atan": _unary(math.atan),
    "atan2": _atan2,
}
# JavaScript's values, written out: 1 / math.log(10) is one unit in the last place off LOG10E.
MATH_CONSTANTS: dict[str, object] = {
    "LN2": 0.6931471805599453,
    "LN10": 2.302585092994046,
    "LOG2E": 1.4426950408889634,
    "LOG10E": 0.4342944819032518,
    "SQRT2": 1.4142135623730951,
    "SQRT1_2": 0.7071067811865476,
}

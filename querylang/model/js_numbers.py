"""Numbers as JavaScript writes them (``Number.prototype.toString``, which ``JSON.stringify``
uses): the text Parse Server answers for a Number, which ``querylang serve`` and the command
line's JSON give too (docs/serve.md, docs/semantics.md#numbers).

Python writes an integral double with ``.0`` (``9007199254740992.0``), and one of 10**16 or
more in exponent form (``1e+20``); JavaScript writes every integral double below 10**21 in
digits (``9007199254740992``, ``100000000000000000000``) and ``-0`` as ``0``. Both pick the same
shortest digits that read back as the same double, so only where the point goes differs.
"""

from __future__ import annotations

import math

# JavaScript writes a double of this magnitude or more in exponent form, integral or not.
JS_EXPONENT_FROM = 1e21


def js_integral(x: float) -> bool:
    """Is ``x`` a double JavaScript writes as an integer's digits where Python writes a point
    or an exponent: integral, below 10**21 in magnitude (``-0.0`` too)."""
    return x.is_integer() and abs(x) < JS_EXPONENT_FROM


def js_text(x: float) -> str:
    """ECMAScript's Number::toString(x) for a finite double: the shortest digits that read
    back as ``x`` (Python's repr picks the same ones), in digits from 10**-6 up to below
    10**21, in exponent form (``1e+21``, ``1.5e-7``) beyond."""
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    text = repr(x)
    sign = "-" if text[0] == "-" else ""
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    joined = whole + fraction
    digits = joined.lstrip("0")
    # x = 0.<digits> * 10**n
    n = len(whole) + int(exponent or 0) - (len(joined) - len(digits))
    digits = digits.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    power = ("+" if e >= 0 else "-") + str(abs(e))
    return sign + (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + power

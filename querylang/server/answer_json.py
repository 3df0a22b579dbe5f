"""An answer's JSON text, its numbers written as Parse Server (JavaScript) writes them.

orjson writes a double as Python does: an integral one with ``.0`` (``5.0``,
``9007199254740992.0``), from 10**16 on in exponent form (``1e+20``); Parse Server 9 answers
``5``, ``9007199254740992`` and ``100000000000000000000`` (model/jsvalues.py, num_str); and one from
10**-6 up to below 10**-5 in exponent form (``2.5e-6``), which JavaScript writes in digits
(``0.0000025``). Every other double orjson writes as JavaScript does (``1e+21``, ``1e-7``,
``0.00001``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from querylang.model.jsvalues import js_integral, num_str

# Where orjson may have written a double otherwise than JavaScript: ``.0`` ending a number, an
# exponent from 16 to 20, or -6. Two searches, each led by a literal the engine looks for
# fast (one pattern of both alternatives is tried at every position); found in a string too
# (rare), it costs only the walk.
_POINT_ZERO = re.compile(rb"\.0[,}\]]")
_EXPONENT = re.compile(rb"e(?:\+(?:1[6-9]|20)|-6(?![0-9]))")


def answer_bytes(body: Any) -> bytes:
    """``body`` as JSON, numbers as JavaScript writes them. Most answers hold no such double
    (stored integral values come back as ints below 2**53): they are written once; the others
    are written again with those doubles as JavaScript's text."""
    out = orjson.dumps(body)
    if _POINT_ZERO.search(out) is None and _EXPONENT.search(out) is None:
        return out
    return orjson.dumps(_js_numbers(body))


def _js_numbers(value: Any) -> Any:
    if type(value) is float:
        return orjson.Fragment(num_str(value).encode()) if js_integral(value) or 1e-6 <= abs(value) < 1e-5 else value
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_js_numbers(v) for v in value]
    return value

"""What the test_script_*.py files share: JavaScript's equality of values (``same``) and the
Inputs the expression table reads.

Expected values follow JavaScript (they were checked against Node.js while writing the
tables); the few deliberate differences are marked ``# querylang:``.
"""

from __future__ import annotations

import math

from querylang.model.jsvalues import UNDEFINED, JSObject

NAN = math.nan
INF = math.inf
U = UNDEFINED
INPUTS = {"S": "abc", "N": 5, "Z": 0, "A": [1, "2", None], "O": {"k": 1}, "Tags": "a,b"}


def same(actual: object, expected: object) -> bool:
    """Deep equality the JavaScript way: 1 is not true, NaN is NaN, -0 is not 0, key order counts."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float):
        return (
            type(actual) in (int, float)
            and actual == expected
            and math.copysign(1, actual) == math.copysign(1, expected)
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, JSObject)
            and list(actual) == list(expected)
            and all(same(actual[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            type(actual) is list
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return type(actual) is type(expected) and actual == expected

"""String methods and makers that count in UTF-16 code units or code points: substr,
codePointAt, String.fromCharCode and String.fromCodePoint.

A script's strings hold astral characters whole (as Python does); JavaScript indexes them by
UTF-16 unit, so each of these works on :func:`~querylang.script.values.u16` of the string and
joins surrogate pairs back (:func:`~querylang.script.values.from_u16`) in what it returns.
"""

from __future__ import annotations

from querylang.errors import ScriptError
from querylang.model.jsvalues import UNDEFINED
from querylang.script.values import (
    INF,
    arg,
    check_str,
    from_u16,
    to_int,
    to_number,
    to_string,
    to_uint32,
    u16,
)


def substr(s: str, args: list[object]) -> str:
    """substr(start, length): a negative start counts from the end; the length is clamped
    to what there is (undefined: to the end)."""
    u = u16(s)
    start = to_int(arg(args, 0))
    start = max(len(u) + start, 0) if start < 0 else min(start, len(u))
    length = len(u) if arg(args, 1) is UNDEFINED else min(max(to_int(args[1]), 0), len(u))
    return from_u16(u[int(start) : int(min(start + length, len(u)))])


def code_point_at(s: str, args: list[object]) -> object:
    """The code point at a UTF-16 index: a pair's whole character from its first half, the
    unit alone from its second half or a lone surrogate, undefined out of range."""
    u = u16(s)
    i = to_int(arg(args, 0))
    if not 0 <= i < len(u):
        return UNDEFINED
    i = int(i)
    first = ord(u[i])
    if 0xD800 <= first <= 0xDBFF and i + 1 < len(u) and 0xDC00 <= ord(u[i + 1]) <= 0xDFFF:
        return 0x10000 + ((first - 0xD800) << 10) + (ord(u[i + 1]) - 0xDC00)
    return first


def from_char_code(args: list[object]) -> str:
    """String.fromCharCode: each number taken modulo 2**16 as one UTF-16 unit."""
    return check_str(from_u16("".join(chr(to_uint32(a) & 0xFFFF) for a in args)))


def from_code_point(args: list[object]) -> str:
    """String.fromCodePoint: each an integer from 0 to 0x10FFFF, else JavaScript's RangeError."""
    chars = []
    for a in args:
        n = to_number(a)
        if n != n or n in (INF, -INF) or n != int(n) or not 0 <= n <= 0x10FFFF:
            raise ScriptError(f"Invalid code point {to_string(n)} (String.fromCodePoint)")
        chars.append(chr(int(n)))
    # Two surrogates given one by one make one character, as in JavaScript's UTF-16 string.
    return check_str(from_u16("".join(chars)))

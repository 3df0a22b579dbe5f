"""Methods of script values: strings, arrays, numbers, booleans and Dates.

Each method is ``f(this, args) -> value``; only the names listed in these tables are
reachable from a script, and no Python attribute is ever looked up by a user-provided name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from functools import cmp_to_key

from querylang.errors import LimitExceeded, ScriptError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSRegex
from querylang.script.array_edits import EDIT_METHODS
from querylang.script.code_units import code_point_at, substr
from querylang.script.date_text import parse_date
from querylang.script.dates import (
    date_to_string,
    fields,
    iso,
    make_day_time,
    make_time,
    now,
    set_time,
    time_clip,
    utc_string,
)
from querylang.script.lexer import JS_SPACE
from querylang.script.operators import same_value_zero, strict_equals
from querylang.script.values import (
    INF,
    MAX_ARRAY_LENGTH,
    MAX_STRING_LENGTH,
    NAN,
    Builtin,
    Function,
    arg,
    callback,
    check_list,
    check_str,
    clamp,
    concat,
    from_u16,
    join,
    js_len,
    num,
    to_int,
    to_number,
    to_primitive,
    to_string,
    to_uint32,
    too_long,
    truthy,
    u16,
)


def new_date(args: list[object]) -> JSDate:
    """`new Date(...)` with none, one (time, string or Date) or several (UTC parts) arguments."""
    if not args:
        return now()
    if len(args) > 1:
        return JSDate(make_time([to_number(x) for x in args[:7]]))
    v = args[0]
    if type(v) is JSDate:
        return JSDate(v.ms)
    p = to_primitive(v)
    if type(p) is str:
        return JSDate(parse_date(p))
    return JSDate(time_clip(float(to_number(p))))


def date_field(index: int) -> Callable[[JSDate, list[object]], object]:
    """A getXxx() method: one field of the UTC calendar date, NaN for an Invalid Date."""

    def get(d: JSDate, args: list[object]) -> object:
        return fields(d)[index] if d.valid else NAN

    return get


def no_regex(v: object, method: str) -> object:
    if type(v) is JSRegex:
        raise ScriptError(
            f"regular expressions are not supported in {method}(); pass a string "
            "(regex literals only work as matchesRegex values)"
        )
    return v


def _s_slice(s: str, args: list[object]) -> str:
    u = u16(s)
    start = clamp(arg(args, 0), len(u), 0)
    end = clamp(arg(args, 1), len(u), len(u))
    return from_u16(u[start:end])


def _s_substring(s: str, args: list[object]) -> str:
    u = u16(s)

    def pos(v: object, default: int) -> int:
        return default if v is UNDEFINED else int(min(max(to_int(v), 0), len(u)))

    a, b = pos(arg(args, 0), 0), pos(arg(args, 1), len(u))
    return from_u16(u[min(a, b) : max(a, b)])


def _s_index_of(s: str, args: list[object]) -> int:
    u = u16(s)
    start = int(min(max(to_int(arg(args, 1)), 0), len(u)))
    return u.find(u16(to_string(arg(args, 0))), start)


def _s_last_index_of(s: str, args: list[object]) -> int:
    u = u16(s)
    n = to_number(arg(args, 1))
    end = len(u) if n != n else int(min(max(to_int(n), 0), len(u)))
    sub = u16(to_string(arg(args, 0)))
    return u.rfind(sub, 0, end + len(sub))


def _whole_chars(sub: str) -> bool:
    """Whether ``sub`` holds no lone surrogate, so that searching for it character by
    character finds what JavaScript's search over UTF-16 units finds: a lone surrogate
    matches half of an astral character (`'😀'.includes('\\ud83d')` is true)."""
    return sub.isascii() or not any("\ud800" <= ch <= "\udfff" for ch in sub)


def _s_includes(s: str, args: list[object]) -> bool:
    sub = to_string(no_regex(arg(args, 0), "includes"))
    if len(args) < 2 and _whole_chars(sub):
        return sub in s
    u = u16(s)
    return u16(sub) in u[int(min(max(to_int(arg(args, 1)), 0), len(u))) :]


def _s_starts_with(s: str, args: list[object]) -> bool:
    sub = to_string(no_regex(arg(args, 0), "startsWith"))
    if len(args) < 2 and _whole_chars(sub):
        return s.startswith(sub)
    u = u16(s)
    return u.startswith(u16(sub), int(min(max(to_int(arg(args, 1)), 0), len(u))))


def _s_ends_with(s: str, args: list[object]) -> bool:
    sub = to_string(no_regex(arg(args, 0), "endsWith"))
    if arg(args, 1) is UNDEFINED and _whole_chars(sub):
        return s.endswith(sub)
    u = u16(s)
    end = len(u) if arg(args, 1) is UNDEFINED else int(min(max(to_int(args[1]), 0), len(u)))
    return u[:end].endswith(u16(sub))


def _s_split(s: str, args: list[object]) -> list[object]:
    """split with a string separator and an optional limit (no regex separators)."""
    sep, limit_arg = no_regex(arg(args, 0), "split"), arg(args, 1)
    limit = 2**32 - 1 if limit_arg is UNDEFINED else to_uint32(limit_arg)
    if limit == 0:
        return []
    if sep is UNDEFINED:
        return [s]
    sep = to_string(sep)
    if sep == "":
        u = u16(s)
        if min(len(u), limit) > MAX_ARRAY_LENGTH:
            raise too_long()
        return [from_u16(ch) for ch in u[:limit]]
    if _whole_chars(sep):
        return check_list(s.split(sep)[:limit])
    return check_list([from_u16(part) for part in u16(s).split(sep)[:limit]])


def _substitute(replacement: str, s: str, i: int, matched: str) -> str:
    """GetSubstitution for a string pattern: $$, $&, $` and $' (no capture groups)."""
    if "$" not in replacement:
        return replacement
    table = {"$": "$", "&": matched, "`": s[:i], "'": s[i + len(matched) :]}
    return re.sub(r"\$([$&`'])", lambda m: table[m.group(1)], replacement)


def _replace(s: str, args: list[object], every: bool) -> str:
    """replace/replaceAll with a string pattern: the first or every non-overlapping match.

    The search runs on UTF-16 units, as JavaScript's: an empty pattern matches between the two
    halves of an astral character too (`'😀'.replaceAll('', '-')` is `-\\ud83d-\\ude00-`), and
    a lone surrogate pattern matches half of one."""
    name = "replaceAll" if every else "replace"
    pattern = u16(to_string(no_regex(arg(args, 0), name)))
    if isinstance(arg(args, 1), Builtin):
        raise ScriptError(f"a function as the replacement in {name}() is not supported")
    # An arrow function is called with (match, UTF-16 offset, string) and its result put in,
    # as JavaScript does; it was turned into its source text and inserted.
    fn = arg(args, 1).invoke if isinstance(arg(args, 1), Function) else None  # type: ignore[attr-defined]
    replacement = "" if fn else to_string(arg(args, 1))
    u = u16(s)
    out: list[str] = []
    size = last = 0
    i = u.find(pattern)
    while i >= 0:
        if fn:
            piece = u16(to_string(fn([from_u16(pattern), i, s])))
        else:
            piece = u16(_substitute(replacement, u, i, pattern))
        size += i - last + len(piece)
        if size > MAX_STRING_LENGTH:
            raise too_long()
        out += (u[last:i], piece)
        last = i + len(pattern)
        if not every:
            break
        # An empty pattern matches between every pair of units, once each.
        i = u.find(pattern, last) if pattern else (last + 1 if last < len(u) else -1)
        if not pattern and i >= 0:
            out.append(u[last:i])
            size += i - last
            last = i
    out.append(u[last:])
    return check_str("".join(out))


def _s_pad(at_start: bool) -> Callable[[str, list[object]], str]:
    def pad(s: str, args: list[object]) -> str:
        target = to_int(arg(args, 0))
        filler = " " if arg(args, 1) is UNDEFINED else to_string(args[1])
        missing = target - js_len(s)
        if missing <= 0 or not filler:
            return s
        if target > MAX_STRING_LENGTH:
            raise too_long()
        fill = from_u16((u16(filler) * (int(missing) // len(u16(filler)) + 1))[: int(missing)])
        return check_str(fill + s if at_start else s + fill)

    return pad


def _s_repeat(s: str, args: list[object]) -> str:
    n = to_int(arg(args, 0))
    if n < 0 or n == INF:
        # JavaScript names the count as given (-1.5, -1e+308), not the integer it truncates to.
        raise ScriptError(f"Invalid count value: {to_string(to_number(arg(args, 0)))} (repeat)")
    if not s:
        return s
    if len(s) * n > MAX_STRING_LENGTH:
        raise too_long()
    return check_str(s * int(n))


def _s_char_at(s: str, args: list[object]) -> str:
    u = u16(s)
    i = to_int(arg(args, 0))
    return from_u16(u[int(i)]) if 0 <= i < len(u) else ""


def _s_char_code_at(s: str, args: list[object]) -> int | float:
    u = u16(s)
    i = to_int(arg(args, 0))
    return ord(u[int(i)]) if 0 <= i < len(u) else NAN


def _s_at(s: str, args: list[object]) -> object:
    u = u16(s)
    i = to_int(arg(args, 0))
    i = i + len(u) if i < 0 else i
    return from_u16(u[int(i)]) if 0 <= i < len(u) else UNDEFINED


STRING_METHODS: dict[str, Callable[[str, list[object]], object]] = {
    "toLowerCase": lambda s, a: s.lower(),
    "toUpperCase": lambda s, a: s.upper(),
    "toLocaleLowerCase": lambda s, a: s.lower(),
    "toLocaleUpperCase": lambda s, a: s.upper(),
    "trim": lambda s, a: s.strip(JS_SPACE),
    "trimStart": lambda s, a: s.lstrip(JS_SPACE),
    "trimEnd": lambda s, a: s.rstrip(JS_SPACE),
    "trimLeft": lambda s, a: s.lstrip(JS_SPACE),  # the older names of trimStart and trimEnd
    "trimRight": lambda s, a: s.rstrip(JS_SPACE),
    "includes": _s_includes,
    "startsWith": _s_starts_with,
    "endsWith": _s_ends_with,
    "indexOf": _s_index_of,
    "lastIndexOf": _s_last_index_of,
    "slice": _s_slice,
    "substring": _s_substring,
    "substr": substr,
    "split": _s_split,
    "replace": lambda s, a: _replace(s, a, every=False),
    "replaceAll": lambda s, a: _replace(s, a, every=True),
    "concat": lambda s, a: concat([s, *(to_string(x) for x in a)]),
    "padStart": _s_pad(at_start=True),
    "padEnd": _s_pad(at_start=False),
    "repeat": _s_repeat,
    "charAt": _s_char_at,
    "charCodeAt": _s_char_code_at,
    "codePointAt": code_point_at,
    "at": _s_at,
    "toString": lambda s, a: s,
    "valueOf": lambda s, a: s,
}


def _a_index_of(arr: list[object], args: list[object]) -> int:
    start = clamp(arg(args, 1), len(arr), 0)
    target = arg(args, 0)
    for i in range(start, len(arr)):
        if strict_equals(arr[i], target):
            return i
    return -1


def _a_last_index_of(arr: list[object], args: list[object]) -> int:
    target = arg(args, 0)
    end = len(arr) - 1
    if len(args) >= 2:
        n = to_int(args[1])
        if n == -INF:
            return -1
        end = int(min(n, end)) if n >= 0 else int(len(arr) + n)
    for i in range(end, -1, -1):
        if strict_equals(arr[i], target):
            return i
    return -1


def _a_includes(arr: list[object], args: list[object]) -> bool:
    target = arg(args, 0)
    start = clamp(arg(args, 1), len(arr), 0)
    return any(same_value_zero(arr[i], target) for i in range(start, len(arr)))


def _spread_into(out: list[object], value: object) -> None:
    """``value`` added to ``out``, an array's elements one by one (concat's and flatMap's rule)."""
    if type(value) is list:
        out.extend(value)
    else:
        out.append(value)
    check_list(out)


def _a_concat(arr: list[object], args: list[object]) -> list[object]:
    out = list(arr)
    for a in args:
        _spread_into(out, a)
    return out


def _a_at(arr: list[object], args: list[object]) -> object:
    i = to_int(arg(args, 0))
    i = i + len(arr) if i < 0 else i
    return arr[int(i)] if 0 <= i < len(arr) else UNDEFINED


# JavaScript's flat() recurses, so its stack ends a cyclic array (`a.push(a)`) or one nested
# ten thousand deep with "Maximum call stack size exceeded"; Node's stack holds about 5,000.
MAX_FLAT_NESTING = 5_000


def _a_flat(arr: list[object], args: list[object]) -> list[object]:
    """flat(depth = 1): the depth is ToIntegerOrInfinity (NaN is 0, below 0 is 0).

    Walked with a stack of its own, and bounded twice: the result by MAX_ARRAY_LENGTH, and the
    arrays opened by MAX_ARRAY_LENGTH too, since arrays shared level after level (`a = [a, a]`
    twenty times) stand for a million empty ones that add nothing to the result."""
    depth = 1 if arg(args, 0) is UNDEFINED else to_int(args[0])
    out: list[object] = []
    opened = 0
    stack = [iter(arr)]
    while stack:
        for e in stack[-1]:
            if type(e) is list and len(stack) <= depth:
                opened += 1
                if opened > MAX_ARRAY_LENGTH:
                    raise LimitExceeded(
                        f"array too large to flatten (more than {MAX_ARRAY_LENGTH:,} arrays "
                        "in it, a shared array counted each time it appears)"
                    )
                if len(stack) >= MAX_FLAT_NESTING:
                    raise LimitExceeded(
                        f"array nests too deeply to flatten (more than {MAX_FLAT_NESTING:,} "
                        "levels; an array that holds itself nests without end)"
                    )
                stack.append(iter(e))
                break
            out.append(e)
            if len(out) > MAX_ARRAY_LENGTH:
                check_list(out)
        else:
            stack.pop()
    return out


# ------------------------------------------------------------------------------------------
# Array methods that call back: the callback is an arrow function (or a global such as
# Boolean); its nodes count against the run's step budget like any other.


def _each(
    arr: list[object], args: list[object], method: str, *, every_index: bool = False
) -> Iterator[tuple[int, object, object]]:
    """(index, element, result of the callback) over the indexes there were when the call
    began, each element read just before its call. An index the callback removed is skipped,
    as JavaScript skips a hole (and visited again if the array grew back to it); find and
    findIndex (``every_index``) visit it with undefined, as JavaScript does."""
    fn = callback(arg(args, 0), method)
    for i in range(len(arr)):
        if i < len(arr):
            v = arr[i]
        elif every_index:
            v = UNDEFINED
        else:
            continue
        yield i, v, fn([v, i, arr])


def _a_map(arr: list[object], args: list[object]) -> list[object]:
    # The result has the length the array had; an index the callback removed stays a hole.
    out: list[object] = [UNDEFINED] * len(arr)
    for i, _, r in _each(arr, args, "map"):
        out[i] = r
    return out


def _a_flat_map(arr: list[object], args: list[object]) -> list[object]:
    """flatMap(fn): map, then an array result spread one level (its own arrays stay)."""
    out: list[object] = []
    for _, _, r in _each(arr, args, "flatMap"):
        _spread_into(out, r)
    return out


def _a_filter(arr: list[object], args: list[object]) -> list[object]:
    return [v for _, v, r in _each(arr, args, "filter") if truthy(r)]


def _a_for_each(arr: list[object], args: list[object]) -> object:
    for _ in _each(arr, args, "forEach"):
        pass
    return UNDEFINED


def _a_some(arr: list[object], args: list[object]) -> bool:
    return any(truthy(r) for _, _, r in _each(arr, args, "some"))


def _a_every(arr: list[object], args: list[object]) -> bool:
    return all(truthy(r) for _, _, r in _each(arr, args, "every"))


def _a_find(arr: list[object], args: list[object]) -> object:
    return next((v for _, v, r in _each(arr, args, "find", every_index=True) if truthy(r)), UNDEFINED)


def _a_find_index(arr: list[object], args: list[object]) -> int:
    return next((i for i, _, r in _each(arr, args, "findIndex", every_index=True) if truthy(r)), -1)


def _a_reduce(arr: list[object], args: list[object]) -> object:
    fn = callback(arg(args, 0), "reduce")
    i, n = 0, len(arr)
    if len(args) >= 2:
        acc = args[1]
    elif arr:
        acc, i = arr[0], 1
    else:
        raise ScriptError("Reduce of empty array with no initial value")
    while i < n:
        if i < len(arr):  # an element the callback removed is skipped, as a hole is
            acc = fn([acc, arr[i], i, arr])
        i += 1
    return acc


def _a_sort(arr: list[object], args: list[object], method: str = "sort") -> list[object]:
    """In place and stable, as JavaScript: undefined elements last; the others by the sign of
    the comparator's answer (NaN is a tie) or, without one, by their strings' UTF-16 units."""
    n = len(arr)
    present = [v for v in arr if v is not UNDEFINED]
    if arg(args, 0) is UNDEFINED:
        present.sort(key=lambda v: u16(to_string(v)))
    else:
        fn = callback(args[0], method)

        def order(a: object, b: object) -> int:
            r = to_number(fn([a, b]))
            return -1 if r < 0 else 1 if r > 0 else 0  # NaN compares false both ways: a tie

        present.sort(key=cmp_to_key(order))  # a copy: a comparator that changes arr sorts no less
    # The sorted elements go back where they were read; one a comparator pushed stays after them.
    arr[:n] = present + [UNDEFINED] * (n - len(present))
    return arr


def _a_reverse(arr: list[object], args: list[object]) -> list[object]:
    arr.reverse()
    return arr


def _a_push(arr: list[object], args: list[object]) -> int:
    if len(arr) + len(args) > MAX_ARRAY_LENGTH:
        raise LimitExceeded(f"array too long (max {MAX_ARRAY_LENGTH:,} elements)")
    arr.extend(args)
    return len(arr)


ARRAY_METHODS: dict[str, Callable[[list, list[object]], object]] = {
    "map": _a_map,
    "flatMap": _a_flat_map,
    "flat": _a_flat,
    "filter": _a_filter,
    "forEach": _a_for_each,
    "some": _a_some,
    "every": _a_every,
    "find": _a_find,
    "findIndex": _a_find_index,
    "reduce": _a_reduce,
    "push": _a_push,
    "sort": _a_sort,
    "reverse": _a_reverse,
    # Copies: the array they are called on keeps its order.
    "toSorted": lambda a, x: _a_sort(list(a), x, "toSorted"),
    "toReversed": lambda a, x: a[::-1],
    "includes": _a_includes,
    "indexOf": _a_index_of,
    "lastIndexOf": _a_last_index_of,
    "concat": _a_concat,
    "slice": lambda a, x: a[clamp(arg(x, 0), len(a), 0) : clamp(arg(x, 1), len(a), len(a))],
    "join": lambda a, x: join(a, "," if arg(x, 0) is UNDEFINED else to_string(x[0])),
    "at": _a_at,
    "toString": lambda a, x: join(a, ","),
    **EDIT_METHODS,
}

DATE_METHODS: dict[str, Callable[[JSDate, list[object]], object]] = {
    "getTime": lambda d, a: num(d.ms),
    "valueOf": lambda d, a: num(d.ms),
    "toISOString": lambda d, a: iso(d),
    "toJSON": lambda d, a: iso(d) if d.valid else None,
    "toString": lambda d, a: date_to_string(d),
    "toUTCString": lambda d, a: utc_string(d),
    "getTimezoneOffset": lambda d, a: 0 if d.valid else NAN,
}
for _i, _field in enumerate(
    ("FullYear", "Month", "Date", "Hours", "Minutes", "Seconds", "Milliseconds", "Day")
):
    DATE_METHODS["get" + _field] = DATE_METHODS["getUTC" + _field] = date_field(_i)


def _date_setter(first: int, most: int) -> Callable[[JSDate, list[object]], object]:
    """setFullYear/setMonth/.../setMilliseconds: replace calendar fields from ``first`` on
    (as many as given, at most ``most``); out-of-range fields carry over, as in JavaScript.

    A Date is changed in place (``d.setDate(1)`` changes every reference to ``d``), which is
    why script Dates are copies of the inputs (:func:`~querylang.script.inputs.to_js`).
    """

    def set_fields(d: JSDate, args: list[object]) -> object:
        nums = [to_number(x) for x in args[:most]] or [NAN]
        if d.valid:
            parts: list[int | float] = list(fields(d)[:7])
        elif first == 0:  # setFullYear on an Invalid Date starts from 1970-01-01
            parts = [1970, 0, 1, 0, 0, 0, 0]
        else:
            return NAN
        if any(n != n or n in (INF, -INF) for n in nums):
            ms = NAN
        else:
            parts[first : first + len(nums)] = nums
            ms = make_day_time(*parts)
        set_time(d, ms)
        return num(ms)

    return set_fields


def _set_time(d: JSDate, args: list[object]) -> object:
    ms = time_clip(float(to_number(arg(args, 0))))
    set_time(d, ms)
    return num(ms)


DATE_METHODS["setTime"] = _set_time
for _name, _first, _most in (
    ("FullYear", 0, 3),
    ("Month", 1, 2),
    ("Date", 2, 1),
    ("Hours", 3, 4),
    ("Minutes", 4, 3),
    ("Seconds", 5, 2),
    ("Milliseconds", 6, 1),
):
    DATE_METHODS["set" + _name] = DATE_METHODS["setUTC" + _name] = _date_setter(_first, _most)


_WIDE = Context(prec=200)  # enough digits for any double with 100 decimals


def _n_to_fixed(x: int | float, args: list[object]) -> str:
    """toFixed: ties round away from zero on the exact binary value, as JavaScript does."""
    digits = to_int(arg(args, 0))
    if not 0 <= digits <= 100:
        raise ScriptError("toFixed() digits argument must be between 0 and 100")
    if x != x or abs(x) >= 1e21:
        return to_string(x)
    exact = Decimal(x if x else 0)  # (-0).toFixed(2) is '0.00'
    q = exact.quantize(Decimal(1).scaleb(-int(digits)), rounding=ROUND_HALF_UP, context=_WIDE)
    return f"{q:f}"


def _n_to_string(x: int | float, args: list[object]) -> str:
    radix = arg(args, 0)
    if radix is not UNDEFINED and to_number(radix) != 10:
        raise ScriptError("toString() with a radix other than 10 is not supported")
    return to_string(x)


NUMBER_METHODS: dict[str, Callable[[int | float, list[object]], object]] = {
    "toString": _n_to_string,
    "toFixed": _n_to_fixed,
    "valueOf": lambda x, a: x,
}

BOOL_METHODS: dict[str, Callable] = {
    "toString": lambda b, a: to_string(b),
    "valueOf": lambda b, a: b,
}


def methods_for(obj: object) -> Mapping[str, Callable]:
    t = type(obj)
    if t is str:
        return STRING_METHODS
    if t is list:
        return ARRAY_METHODS
    if t is JSDate:
        return DATE_METHODS
    if t is int or t is float:
        return NUMBER_METHODS
    if t is bool:
        return BOOL_METHODS
    return {}


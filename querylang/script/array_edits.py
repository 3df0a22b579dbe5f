"""Array methods that change an array in place (pop, shift, unshift, splice, fill,
copyWithin), the copying toSpliced and with, the searches from the end (findLast,
findLastIndex, reduceRight), and the Array.from / Array.of makers.

Each method is ``f(this, args) -> value``, as in :mod:`querylang.script.methods`, which lists
them beside the others. The interpreter refuses the changing ones on an array the script was
given (:func:`~querylang.script.assign.check_made`): a script changes only its own arrays.
"""

from __future__ import annotations

from collections.abc import Callable

from querylang.errors import ScriptError
from querylang.model.jsvalues import UNDEFINED, type_name
from querylang.script.values import (
    MAX_ARRAY_LENGTH,
    SAFE,
    Builtin,
    Function,
    arg,
    array_too_long,
    callback,
    clamp,
    from_u16,
    to_int,
    to_string,
    truthy,
)


def _pop(arr: list[object], args: list[object]) -> object:
    return arr.pop() if arr else UNDEFINED


def _shift(arr: list[object], args: list[object]) -> object:
    return arr.pop(0) if arr else UNDEFINED


def _unshift(arr: list[object], args: list[object]) -> int:
    if len(arr) + len(args) > MAX_ARRAY_LENGTH:
        raise array_too_long()
    arr[0:0] = args
    return len(arr)


# JavaScript reads an array's length before it converts the arguments, so an argument's
# valueOf() that pushes onto the array or shortens it changes nothing of the range: each
# method below takes the length first (``n``) and works on the array as it was that long,
# an element gone since read as undefined (JavaScript's hole).


def _as_long(arr: list[object], n: int) -> list[object]:
    """``arr`` cut or padded (with undefined) to the length ``n`` it had, in place."""
    if len(arr) > n:
        del arr[n:]
    elif len(arr) < n:
        arr.extend([UNDEFINED] * (n - len(arr)))
    return arr


def _splice_span(n: int, args: list[object]) -> tuple[int, int]:
    """splice's start and delete count in an array of ``n``: no arguments delete nothing, a
    start alone deletes to the end, a count is clamped to what there is from the start on."""
    start = clamp(arg(args, 0), n, 0)
    if not args:
        return start, 0
    if len(args) == 1:
        return start, n - start
    return start, int(min(max(to_int(args[1]), 0), n - start))


def _splice_edit(n: int, args: list[object]) -> tuple[int, int, list[object]]:
    """splice's and toSpliced's start, count and items for an array of ``n`` elements, the
    result's length checked."""
    start, count = _splice_span(n, args)
    items = args[2:]
    if n - count + len(items) > MAX_ARRAY_LENGTH:
        raise array_too_long()
    return start, count, items


def _splice(arr: list[object], args: list[object]) -> list[object]:
    n = len(arr)
    start, count, items = _splice_edit(n, args)
    _as_long(arr, n)  # splice sets the length it had, less what it removed, plus the items
    removed = arr[start : start + count]
    arr[start : start + count] = items
    return removed


def _to_spliced(arr: list[object], args: list[object]) -> list[object]:
    n = len(arr)
    start, count, items = _splice_edit(n, args)
    copy = _as_long(arr[:n], n)
    copy[start : start + count] = items
    return copy


def _with(arr: list[object], args: list[object]) -> list[object]:
    """with(index, value): a copy with one element replaced; a negative index counts from the
    end, and one outside the array is JavaScript's RangeError (with() never grows a copy)."""
    n = len(arr)
    i = to_int(arg(args, 0))
    at = i + n if i < 0 else i
    if not 0 <= at < n:
        raise ScriptError(f"Invalid index {to_string(i)} for with() on an array of {n}")
    copy = _as_long(arr[:n], n)
    copy[int(at)] = arg(args, 1)
    return copy


def _fill(arr: list[object], args: list[object]) -> list[object]:
    # The range is of the length read first; an element pushed since is kept, and, as in
    # Node, fill never grows the array (nor writes past where an argument shortened it).
    n = len(arr)
    start = clamp(arg(args, 1), n, 0)
    end = min(clamp(arg(args, 2), n, n), len(arr))
    if end > start:
        arr[start:end] = [arg(args, 0)] * (end - start)
    return arr


def _copy_within(arr: list[object], args: list[object]) -> list[object]:
    """copyWithin(target, start, end): the elements of [start, end) written from target on,
    as if read before any is written (the ranges may overlap); the length stays."""
    n = len(arr)
    to = clamp(arg(args, 0), n, 0)
    start = clamp(arg(args, 1), n, 0)
    end = clamp(arg(args, 2), n, n)
    count = min(end - start, n - to)
    if count <= 0:
        return arr
    if len(arr) == n:
        arr[to : to + count] = arr[start : start + count]
        return arr
    # The array changed length while the arguments were read: an element still there is
    # written, an index gone is left a hole (undefined) where it is inside the array.
    there = [(arr[i],) if i < len(arr) else () for i in range(start, start + count)]
    for k, v in enumerate(there):
        if v:
            if to + k >= len(arr):
                _as_long(arr, to + k + 1)
            arr[to + k] = v[0]
        elif to + k < len(arr):
            arr[to + k] = UNDEFINED
    return arr


def _from_end(arr: list[object], args: list[object], method: str) -> tuple[int, object]:
    """(index, element) of the last element the callback accepts, or (-1, undefined).

    The indexes are those there were when the call began; one the callback removed is read
    as undefined, as JavaScript reads a missing index."""
    fn = callback(arg(args, 0), method)
    for i in range(len(arr) - 1, -1, -1):
        v = arr[i] if i < len(arr) else UNDEFINED
        if truthy(fn([v, i, arr])):
            return i, v
    return -1, UNDEFINED


def _reduce_right(arr: list[object], args: list[object]) -> object:
    fn = callback(arg(args, 0), "reduceRight")
    i = len(arr) - 1
    if len(args) >= 2:
        acc = args[1]
    elif arr:
        acc, i = arr[i], i - 1
    else:
        raise ScriptError("Reduce of empty array with no initial value")
    while i >= 0:
        if i < len(arr):  # an element the callback removed is skipped, as a hole is
            acc = fn([acc, arr[i], i, arr])
        i -= 1
    return acc


EDIT_METHODS: dict[str, Callable[[list, list[object]], object]] = {
    "pop": _pop,
    "shift": _shift,
    "unshift": _unshift,
    "splice": _splice,
    "fill": _fill,
    "copyWithin": _copy_within,
    "toSpliced": _to_spliced,
    "with": _with,
    "findLast": lambda a, x: _from_end(a, x, "findLast")[1],
    "findLastIndex": lambda a, x: _from_end(a, x, "findLastIndex")[0],
    "reduceRight": _reduce_right,
}
# The methods above that change the array they are called on.
CHANGING = frozenset({"pop", "shift", "unshift", "splice", "fill", "copyWithin"})


def _array_like_length(items: dict) -> int:
    """The number of elements Array.from reads from an object with a length (its keys "0",
    "1"..., undefined where one is missing). A length past the array limit is refused before
    any element is made (`Array.from({ length: 1e9 })`)."""
    n = to_int(items.get("length", UNDEFINED))
    n = min(max(n, 0), SAFE - 1)  # ToLength
    if n > MAX_ARRAY_LENGTH:
        raise array_too_long()
    return int(n)


def array_from(args: list[object]) -> list[object]:
    """Array.from(items, mapFn): an array's elements (read as the map goes, as its iterator
    reads them), a string's code points, an object's by its length; other values have none."""
    items, map_arg = arg(args, 0), arg(args, 1)
    fn = None if map_arg is UNDEFINED else callback(map_arg, "Array.from")
    if items is None or items is UNDEFINED:
        raise ScriptError(f"Array.from() cannot make an array of {type_name(items)}")
    if type(items) is list:
        out: list[object] = []
        # A map that pushes onto the array is read on, as JavaScript's iterator does, until
        # the array limit ends it.
        i = 0
        while i < len(items):
            out.append(fn([items[i], i]) if fn else items[i])
            i += 1
            if len(out) > MAX_ARRAY_LENGTH:
                raise array_too_long()
        return out
    if type(items) is str:
        chars = from_u16(items)  # one element per code point: a pair is one
        if len(chars) > MAX_ARRAY_LENGTH:
            raise array_too_long()
        elements: list[object] = list(chars)
    elif isinstance(items, dict):
        # The length is read once; each element as the map reaches it (one the map wrote
        # since is read as written), as JavaScript reads an object with a length.
        n = _array_like_length(items)
        if fn:
            return [fn([items.get(str(i), UNDEFINED), i]) for i in range(n)]
        return [items.get(str(i), UNDEFINED) for i in range(n)]
    elif isinstance(items, Builtin | Function):
        raise ScriptError("Array.from() cannot make an array of a function")
    else:
        elements = []  # a number, boolean, Date or regex: an object with no length
    return [fn([v, i]) for i, v in enumerate(elements)] if fn else elements

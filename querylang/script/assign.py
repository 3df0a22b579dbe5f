"""Writing a property of a script value: what `obj.key = v` and `obj[key] = v` may change.

JavaScript's meaning where the subset can hold the result: an object's own key (a new
integer-like key sorts first, as JavaScript lists them), an array's element within it or at
its end, and an array's `length` made shorter. The rest is refused with a clear error rather
than answered differently: an element past the end (JavaScript leaves holes, which the subset
has no value for), any other key of an array, properties of strings, numbers, booleans,
Dates, regular expressions and functions (Noodl runs scripts in sloppy mode, where most of
these are silently dropped), and built-ins.

A script changes only values it made. Inputs arrive as copies (:func:`~querylang.script.
inputs.to_js`), so the caller's data is safe either way; but a script that changed
``Inputs.X`` would read its own change back as the input, which no other run sees: that is
refused, and the message says how to copy the value first. Errors carry no position: the
interpreter points them at the key.
"""

from __future__ import annotations

from querylang.errors import LimitExceeded, ScriptError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSObject, type_name
from querylang.script.namespaces import FORBIDDEN_KEYS
from querylang.script.values import (
    MAX_ARRAY_LENGTH,
    Builtin,
    is_array_index,
    to_number,
    to_string,
    to_uint32,
)

__all__ = ["check_made", "input_values", "set_property", "snapshot"]


def input_values(inputs: JSObject) -> set[int]:
    """The ids of the objects and arrays the script was given: Inputs and all they hold."""
    seen: set[int] = set()
    todo: list[object] = [inputs]
    while todo:  # a loop, not recursion: inputs may nest as deeply as MAX_DEPTH
        v = todo.pop()
        if id(v) in seen:
            continue
        if isinstance(v, dict):
            seen.add(id(v))
            todo += v.values()
        elif type(v) is list:
            seen.add(id(v))
            todo += v
    return seen


def snapshot(value: object) -> object:
    """A copy of ``value`` as it is now: objects, arrays and Dates copied all the way down,
    a value shared (or cyclic) copied once and shared the same way.

    Noodl's where() converts its argument at once, so a later write to the object does not
    change the filter; the interpreter records the value itself and takes this copy only
    when a property write follows a where()/sort() call. A loop, not recursion: a script
    can nest a value more deeply than the stack."""
    if not isinstance(value, dict | list | JSDate):
        return value
    copies: dict[int, object] = {}
    todo: list[tuple[object, object]] = []

    def copy(v: object) -> object:
        if not isinstance(v, dict | list | JSDate):
            return v
        c = copies.get(id(v))
        if c is None:
            if isinstance(v, JSDate):
                c = JSDate(v.ms)
            elif isinstance(v, dict):
                if isinstance(v, JSObject):
                    obj = JSObject(pos=v.pos)
                    obj.positions.update(v.positions)
                    c = obj
                else:
                    c = {}
                todo.append((v, c))
            else:
                c = []
                todo.append((v, c))
            copies[id(v)] = c
        return c

    root = copy(value)
    while todo:
        v, c = todo.pop()
        if isinstance(v, dict):
            for k, x in v.items():
                c[k] = copy(x)  # type: ignore[index]
        else:
            c += [copy(x) for x in v]  # type: ignore[operator, attr-defined]
    return root


def check_made(obj: object, given: set[int], what: str) -> None:
    """Refuse to change an object or array the script was given (``what`` is how the script
    wrote it), with how to copy it first."""
    if id(obj) in given and isinstance(obj, dict | list):
        copy = f"{{ ...{what} }}" if isinstance(obj, dict) else f"[...{what}]"
        if what == "Inputs":
            raise ScriptError(f"Inputs cannot be changed by a script; copy it first: {copy}")
        raise ScriptError(
            f"{what} is an input's {type_name(obj)}: the script did not make it and cannot "
            f"change it; copy it first: {copy}"
        )


def set_property(
    obj: object, key: str, value: object, given: set[int], what: str, pos: tuple[int, int]
) -> None:
    """`obj[key] = value`; ``given`` holds the ids of the values the script did not make,
    ``what`` is how the script wrote ``obj`` (for messages), ``pos`` where the key is written."""
    if key in FORBIDDEN_KEYS:
        raise ScriptError(f"'{key}' is not supported in filter scripts")
    if obj is None or obj is UNDEFINED:
        raise ScriptError(f"Cannot set properties of {to_string(obj)} (setting '{key}')")
    if isinstance(obj, Builtin):
        raise ScriptError(f"'{obj.name}' is built in and cannot be changed")
    check_made(obj, given, what)
    if isinstance(obj, dict):
        new = key not in obj
        obj[key] = value
        if isinstance(obj, JSObject):
            obj.positions[key] = pos
            if new and is_array_index(key):
                _place_index(obj, key)
        return
    if type(obj) is list:
        _set_element(obj, key, value)
        return
    if isinstance(obj, str | bool | int | float):
        shown = f"'{obj}'" if isinstance(obj, str) else to_string(obj)
        raise ScriptError(f"Cannot create property '{key}' on {type_name(obj)} {shown}")
    raise ScriptError(f"properties of a {type_name(obj)} cannot be set in filter scripts")


def _place_index(obj: dict, key: str) -> None:
    """Move the new integer key ``key`` (last in ``obj``) to its place, as JavaScript lists
    keys: integer keys ascending first, then the others. Only the keys that belong after it
    move, so building `o[i] = ...` in ascending order moves nothing (sorting every time made
    a loop of assignments quadratic)."""
    k = int(key)
    later: list[str] = []
    for other in reversed(obj):
        if other == key:
            continue
        if is_array_index(other) and int(other) < k:
            break
        later.append(other)
    for other in reversed(later):
        obj[other] = obj.pop(other)


def _set_element(items: list, key: str, value: object) -> None:
    n = len(items)
    if key == "length":
        length = to_number(value)
        if length != to_uint32(value):
            raise ScriptError("Invalid array length")
        if length > n:
            raise ScriptError(
                f"cannot lengthen an array of {n} elements to {length} in filter scripts "
                "(JavaScript would leave holes); push the elements instead"
            )
        del items[int(length):]
        return
    if not is_array_index(key):
        raise ScriptError(
            f"an array takes only its elements and length in filter scripts, not '{key}'"
        )
    i = int(key)
    if i < n:
        items[i] = value
    elif i == n:
        if n >= MAX_ARRAY_LENGTH:
            raise LimitExceeded(f"array too long (max {MAX_ARRAY_LENGTH:,} elements)")
        items.append(value)
    else:
        raise ScriptError(
            f"cannot set element {i} of an array of {n} elements in filter scripts "
            f"(JavaScript would leave holes); set element {n} or push"
        )

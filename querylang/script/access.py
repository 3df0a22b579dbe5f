"""Reading a property of a script value: what `obj.key` and `obj[key]` may reach.

Own keys of objects, indexes and `length` of arrays and strings, a few constants of the
namespaces, a regex's `source`/`flags`; nothing else, and never a Python attribute. Errors
carry no position: the interpreter points them at the key.
"""

from __future__ import annotations

from querylang.errors import ScriptError
from querylang.model.jsvalues import UNDEFINED, JSRegex, type_name
from querylang.script.methods import methods_for
from querylang.script.namespaces import FORBIDDEN_KEYS
from querylang.script.values import Builtin, from_u16, is_array_index, js_len, to_string, u16

# What every JavaScript object inherits from Object.prototype. JavaScript reads a function
# there (typeof 'function', truthy); the subset has none to give, and reading undefined instead
# silently turned `if (Inputs.toString)` or a lookup `labels[key]` the other way. An object's
# own key of that name is read as any other.
INHERITED_KEYS = frozenset({
    "toString", "toLocaleString", "valueOf", "hasOwnProperty", "isPrototypeOf",
    "propertyIsEnumerable", "__defineGetter__", "__defineSetter__", "__lookupGetter__",
    "__lookupSetter__",
})  # fmt: skip


def get_property(obj: object, key: str) -> object:
    """Property read: own keys of objects, indexes and `length`, and a few constants."""
    if key in FORBIDDEN_KEYS:
        raise ScriptError(f"'{key}' is not supported in filter scripts")
    t = type(obj)
    if isinstance(obj, dict):
        value = obj.get(key, UNDEFINED)
        if value is UNDEFINED and key in INHERITED_KEYS and key not in obj:
            raise ScriptError(
                f"'{key}' is not supported in filter scripts: every JavaScript object inherits it "
                "from Object.prototype, and scripts read only an object's own keys"
            )
        return value
    if obj is None or obj is UNDEFINED:
        raise ScriptError(f"Cannot read properties of {to_string(obj)} (reading '{key}')")
    if isinstance(obj, list | str):
        if key == "length":
            return len(obj) if t is list else js_len(obj)  # type: ignore[arg-type]
        if is_array_index(key):
            seq = obj if isinstance(obj, list) else u16(obj)
            i = int(key)
            if i >= len(seq):
                return UNDEFINED
            return seq[i] if isinstance(obj, list) else from_u16(seq[i])  # type: ignore[arg-type]
        if key.lstrip("-").replace(".", "", 1).isdigit() or key in ("NaN", "Infinity"):
            return UNDEFINED  # `a[-1]`, `a[1.5]`: not an index, so undefined as in JS
    if isinstance(obj, Builtin):
        if key in obj.constants:
            return obj.constants[key]
        if key in obj.members:
            raise ScriptError(f"'{obj.name}.{key}' must be called: {obj.name}.{key}(...)")
        raise ScriptError(f"'{obj.name}.{key}' is not supported in filter scripts")
    if isinstance(obj, JSRegex) and key in ("source", "flags"):
        return obj.pattern if key == "source" else obj.flags
    if key in methods_for(obj):
        raise ScriptError(f"'{key}' must be called: {key}(...)")
    raise ScriptError(f"Unknown property '{key}' on {type_name(obj)}")


def property_is_nullish(obj: object, key: str) -> bool:
    """Whether `obj[key]` is null or undefined, for `obj.key?.()` (a nullish obj throws)."""
    if obj is None or obj is UNDEFINED:
        return False
    if isinstance(obj, dict):
        if key in INHERITED_KEYS and key not in obj:
            return False  # a function in JavaScript: the call goes on, and is refused there
        v = obj.get(key, UNDEFINED)
        return v is None or v is UNDEFINED
    if isinstance(obj, Builtin):
        return key not in obj.members and key not in obj.constants
    return key not in methods_for(obj)

"""A filter object as a template: its operands are the inputs, the rest is the key.

A Parse client sends the same ``where`` again and again with other values (the comments of
this post, then of that one). Translated (frontends/parse_rest.py), it is a filter object with
the values in fixed places, as a template script has its ``Inputs`` (script/template.py). So
:func:`filter_shape` reads one as a template: each operand of an operator the plan cache can
bind (plan_cache.converter) becomes an input ``v0000``, ``v0001``…, and everything else —
field names, operators, the other operands, the order of keys — makes up the key, each
literal with its type (``True``, ``1`` and ``1.0`` are one dict key but not one operand). The
plan cache then learns where each input goes as it does for scripts, and refuses what it cannot
tell (an operand in a place it does not know makes the whole shape plan the whole way).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from querylang.model.operators import BINDABLE_COMPARE, BINDABLE_LISTS
from querylang.script.template import Path, Template

# Operators whose operand may be an input; plan_cache.converter says which of them really are.
SLOT_OPS = frozenset({*BINDABLE_COMPARE, *BINDABLE_LISTS, "pointsTo", "matchesRegex"})
MAX_SLOTS = 256  # more operands than this: the query plans the whole way
MAX_DEPTH = 32  # a filter nested deeper plans the whole way (which reports one too deep)
# A kept plan holds its filter's literals (in its key) and one set of its operands (its plan's
# parameters): a larger filter plans the whole way, so that the cache's MAX_PLANS entries stay
# small: each distinct containedIn list of thousands of ids was an entry of its own (a list
# that long is a literal, not an input), each holding all of them.
MAX_NODES = 1_024  # items of the lists and objects of one filter, the operands' elements included
MAX_CHARS = 65_536  # characters of its keys and strings, the operands' included
_SLOT = ("\x00slot",)  # where an input sits, in the key
SCALARS = (str, bool, int, float)


class _NotShape(Exception):
    pass


def filter_shape(where: object) -> tuple[object, Template, dict[str, Any]] | None:
    """(key, template, input values) for a filter object, or None when it holds something
    other than dicts, lists and JSON scalars (its key would not be a plain value)."""
    slots: list[tuple[str, Path]] = []
    options: list[tuple[Path, str | None]] = []
    values: dict[str, Any] = {}
    try:
        spent = [0, 0]
        key = _walk(where, (), slots, options, values, spent)
    except _NotShape:
        return None
    if spent[0] > MAX_NODES or spent[1] > MAX_CHARS:
        return None
    names = tuple(name for name, _ in slots)  # distinct, and sorted as made
    return ("filter", key), Template(tuple(slots), names, tuple(options)), values


def with_values(where: object, template: Template, values: Mapping[str, Any]) -> object:
    """The filter object with other values for its inputs (the plan cache's probe planning)."""
    out = where
    for name, path in template.slots:
        out = _put(out, path, values[name])
    return out


def _put(obj: Any, path: Path, value: object) -> object:
    """A copy of ``obj`` with ``value`` at ``path`` (the parts on the way copied, the rest shared)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = list(obj) if isinstance(obj, list) else dict(obj)
    copy[head] = _put(obj[head], rest, value)  # type: ignore[index]
    return copy


def _walk(
    obj: object, path: Path, slots: list[tuple[str, Path]], options: list[tuple[Path, str | None]],
    values: dict[str, Any], spent: list[int],
) -> object:
    """The key of ``obj``; ``spent``: the items of its lists and objects and the characters of
    its keys and strings so far (MAX_NODES, MAX_CHARS: counted per container, checked at the end)."""
    t = type(obj)
    if t is str:
        spent[1] += len(obj)  # type: ignore[arg-type]
        return obj
    if len(path) > MAX_DEPTH:
        raise _NotShape
    if t is dict:
        assert isinstance(obj, dict)
        spent[0] += len(obj)
        items: list[tuple[str, object]] = []
        for k, v in obj.items():
            if type(k) is not str:
                raise _NotShape
            here = (*path, k)
            spent[1] += len(k)
            if path and (k in SLOT_OPS or (k == "id" and path[-1] == "relatedTo")) and _operand(v):
                if len(slots) >= MAX_SLOTS:
                    raise _NotShape
                tv = type(v)
                if tv is str:
                    spent[1] += len(v)
                elif tv is dict:  # a Parse Pointer or Date (_operand): its class is the field's, or an error
                    spent[1] += len(v["objectId"] if "objectId" in v else v["iso"])
                elif tv is list:
                    nodes, chars = _weight(v)
                    spent[0] += nodes
                    spent[1] += chars
                name = f"v{len(slots):04d}"
                slots.append((name, here))
                values[name] = v
                items.append((k, _SLOT))
            else:
                items.append((k, _walk(v, here, slots, options, values, spent)))
        if "matchesRegex" in obj:
            given = obj.get("options", "")
            options.append(((*path, "matchesRegex"), given if type(given) is str else None))
        return ("{", *items)
    if t is list:
        assert isinstance(obj, list)
        spent[0] += len(obj)
        if spent[0] > MAX_NODES:
            raise _NotShape  # a long list literal: not walked
        return ("[", *(_walk(v, (*path, i), slots, options, values, spent) for i, v in enumerate(obj)))
    if obj is None or t is bool or t is int:
        return (t, obj)
    if t is float:
        assert isinstance(obj, float)
        return (t, obj.hex())  # 0.0 and -0.0 are equal, and NaN is equal to nothing
    raise _NotShape


def _weight(value: object) -> tuple[int, int]:
    """(nodes, characters) of an operand (_operand's: a scalar, a Parse Pointer or Date, a list of those)."""
    if isinstance(value, str):
        return 1, len(value)
    if isinstance(value, dict):
        return 1, sum(len(x) for x in value.values() if isinstance(x, str))
    if isinstance(value, list):
        nodes, chars = 1, 0
        for v in value:
            n, c = _weight(v)
            nodes, chars = nodes + n, chars + c
        return nodes, chars
    return 1, 0


def _operand(value: object) -> bool:
    """Whether an operand may be an input: a JSON scalar, a Parse Pointer or Date, or a list
    of those; null never is one (it is lowered to another shape)."""
    t = type(value)
    return t in SCALARS or ((t is dict or t is list) and signature(value) is not None)


def signature(value: object) -> object:
    """What a plan may depend on besides the value itself; None = not cacheable.

    Null has none: a null operand is lowered to another shape (IsAbsent, Nothing;
    frontends/lower.py), so it plans the whole way each time and never meets a value's plan.
    """
    t = type(value)
    if t in SCALARS:
        return t
    if isinstance(value, dict) and t is dict:
        return _parse_value(value)
    if isinstance(value, list | tuple) and (t is list or t is tuple):
        types = tuple(type(v) if type(v) is not dict else _parse_value(v) for v in value)
        if len(types) <= 256 and all(x in SCALARS or type(x) is tuple for x in types):
            return types
    return None


def _parse_value(value: dict[str, Any]) -> tuple[str, ...] | None:
    """The signature of a Parse Pointer or Date as a Parse ``where`` gives it (its class is
    part of it: a Pointer of another class is an error); None for any other object."""
    kind = value.get("__type")
    if kind == "Pointer" and len(value) == 3 and type(value.get("className")) is str and type(value.get("objectId")) is str:
        return ("Pointer", value["className"])
    if kind == "Date" and len(value) == 2 and type(value.get("iso")) is str:
        return ("Date",)
    return None

"""``select`` (REST ``keys``) on records already read: which keys may be named, and the
records cut down to them (docs/semantics.md#include-select)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from querylang.errors import QueryError, QueryTypeError, SchemaError
from querylang.model.schema import Schema, a_type, suggest


def key_list(value: str | Sequence[str] | None, what: str) -> list[str]:
    """``"a,b.c"`` or ``["a", "b.c"]`` → ``["a", "b.c"]`` (Parse joins arrays with ',',
    docs/semantics.md#include-select); None → no keys."""
    if value is None:
        return []
    # A number (``include=5`` in a URL reads as one) is no list: refused, not iterated.
    items = value.split(",") if isinstance(value, str) else list(value) if isinstance(value, Iterable) else [value]
    if not all(isinstance(k, str) for k in items):
        raise QueryTypeError(f"{what} must be a string or a list of strings")
    return [k.strip() for k in items if k.strip()]


def check_select(schema: Schema, class_name: str, keys: list[str]) -> None:
    """Every selected key names a field (an unknown sort field is an error, so is this one);
    ``a.b`` follows the Pointer ``a`` to its class."""
    for key in keys:
        cls = schema.get(class_name)
        parts = key.split(".")
        for i, part in enumerate(parts):
            f = cls.fields.get(part)
            if f is None:
                raise SchemaError(
                    f"cannot select '{key}': class {cls.name} has no field '{part}'",
                    hint=suggest(part, cls.fields),
                )
            if i < len(parts) - 1:
                if f.type != "Pointer" or f.target is None:
                    raise QueryError(f"cannot select '{key}': '{part}' is {a_type(f.type)}, not a Pointer to follow")
                cls = schema.get(f.target)


def select_keys(records: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Only the named fields, plus objectId, createdAt, updatedAt (docs/semantics.md#include-select); ``a.b`` selects inside a."""
    always = ("objectId", "createdAt", "updatedAt", "__type", "className")
    top: dict[str, list[str]] = {}
    for k in keys:
        head, _, rest = k.partition(".")
        top.setdefault(head, [])
        if rest:
            top[head].append(rest)
    out = []
    for r in records:
        kept = {}
        for k, v in r.items():
            if k in always:
                kept[k] = v
            elif k in top:
                kept[k] = select_keys([v], top[k])[0] if top[k] and isinstance(v, dict) else v
        out.append(kept)
    return out

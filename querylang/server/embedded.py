"""What Parse Server 9 leaves of the pointers ``include`` names once it has embedded the records
they point to: its include replaces every Pointer (a Pointer field's, an Array's element) by the
record read for it; a Pointer field no record was read for (the record is not there, nor its
class) is left out of the answer, at any depth, and such an element of an Array is left out of
the Array, order and the other elements kept (RestQuery's replacePointers). The library keeps
such a pointer as it is (docs/semantics.md#include-select); serve answers as Parse does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from querylang.frontends.selection import embedded


def drop_unfound(rec: dict[str, Any], included: set[str], prefix: str = "") -> None:
    """Leave out of an answered record (Parse's shape) the Pointers still at its dotted
    ``included`` paths: no record was found for them. A Pointer field's key goes; in an Array,
    the element."""
    for key, value in list(rec.items()):
        path = prefix + key
        if path not in included:
            continue
        if isinstance(value, list):
            rec[key] = _without_pointers(value, included, path)
        elif _pointer(value):
            del rec[key]
        elif embedded(value):
            drop_unfound(value, included, path + ".")


def _without_pointers(value: list[Any], included: set[str], path: str) -> list[Any]:
    out: list[Any] = []
    for e in value:
        if isinstance(e, list):
            out.append(_without_pointers(e, included, path))
        elif _pointer(e):
            continue
        else:
            if embedded(e):
                drop_unfound(e, included, path + ".")
            out.append(e)
    return out


def reached_classes(rec: dict[str, Any], included: set[str], readable: Callable[[dict[str, Any]], bool],
                    prefix: str = "") -> Iterator[str]:
    """The classes the Pointers at the ``included`` paths of an answered record name, those
    left and those whose records were embedded: the classes a client's include reads, which
    Parse Server 9 checks as it checks a client's read there. Past an embedded record the
    client may not read (``readable``) there is none: Parse reads an include's records as the
    client, finds none there, and goes no further."""
    for key, value in rec.items():
        path = prefix + key
        if path in included:
            yield from _classes_of(value, included, readable, path)


def _classes_of(value: Any, included: set[str], readable: Callable[[dict[str, Any]], bool], path: str) -> Iterator[str]:
    if isinstance(value, list):
        for e in value:
            yield from _classes_of(e, included, readable, path)
    elif (_pointer(value) or embedded(value)) and isinstance(value.get("className"), str):
        yield value["className"]
        if embedded(value) and readable(value):
            yield from reached_classes(value, included, readable, path + ".")


def check_reached(
    records: list[dict[str, Any]], included: set[str], readable: Callable[[dict[str, Any]], bool], check: Callable[[str], None]
) -> None:
    """``check(name)`` once for each class the pointers at the ``included`` paths name (it raises
    to refuse the read)."""
    seen: set[str] = set()
    for rec in records:
        for cls in reached_classes(rec, included, readable):
            if cls not in seen:
                seen.add(cls)
                check(cls)


def _pointer(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type") == "Pointer"


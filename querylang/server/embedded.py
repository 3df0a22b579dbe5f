"""What Parse Server 9 leaves of an Array's pointers once ``include`` has embedded the records
they point to: its include replaces every Pointer element by the record read for it, and an
element no record was read for (the record is not there, nor its class) is left out of the
Array, order and the other elements kept (RestQuery's replacePointers). The library keeps
such an element as it is (docs/semantics.md#include-select); serve answers as Parse does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def drop_unfound(rec: dict[str, Any], included: set[str], prefix: str = "") -> None:
    """Leave out of each Array at the dotted ``included`` paths of an answered record (Parse's
    shape) the Pointers still there: no record was found for them."""
    for key, value in list(rec.items()):
        path = prefix + key
        if path not in included:
            continue
        if isinstance(value, list):
            rec[key] = _without_pointers(value, included, path)
        elif _embedded(value):
            drop_unfound(value, included, path + ".")


def _without_pointers(value: list[Any], included: set[str], path: str) -> list[Any]:
    out: list[Any] = []
    for e in value:
        if isinstance(e, list):
            out.append(_without_pointers(e, included, path))
        elif isinstance(e, dict) and e.get("__type") == "Pointer":
            continue
        else:
            if _embedded(e):
                drop_unfound(e, included, path + ".")
            out.append(e)
    return out


def pointed_classes(rec: dict[str, Any], included: set[str], prefix: str = "") -> Iterator[str]:
    """The classes the Pointers left in the Arrays at the ``included`` paths of an answered
    record name: a client's include of one that is not there is refused, as Parse Server 9
    refuses a client's read of a class that is not there (119)."""
    for key, value in rec.items():
        path = prefix + key
        if path not in included:
            continue
        if isinstance(value, list):
            yield from _classes_in(value, included, path)
        elif _embedded(value):
            yield from pointed_classes(value, included, path + ".")


def _classes_in(value: list[Any], included: set[str], path: str) -> Iterator[str]:
    for e in value:
        if isinstance(e, list):
            yield from _classes_in(e, included, path)
        elif isinstance(e, dict) and e.get("__type") == "Pointer" and isinstance(e.get("className"), str):
            yield e["className"]
        elif _embedded(e):
            yield from pointed_classes(e, included, path + ".")


def refuse_absent(records: list[dict[str, Any]], included: set[str], absent: Callable[[str], bool], refuse: Callable[[], None]) -> None:
    """``refuse()`` when a Pointer left in an included Array names a class that is ``absent``."""
    seen: set[str] = set()
    for rec in records:
        for cls in pointed_classes(rec, included):
            if cls not in seen:
                seen.add(cls)
                if absent(cls):
                    refuse()


def _embedded(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type") == "Object"

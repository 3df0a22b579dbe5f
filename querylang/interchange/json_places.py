"""The line of a record, an edge or a class in a single-file JSON interchange document.

Python's JSON reader keeps no positions, and keeping them would slow every good load: the
line is found only after an error, by reading the file again and walking its text down to
the value the error is about (``records`` → class → index, or ``relations`` → index). A key
given twice names its last value, as the reader keeps it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path

from querylang.errors import DataError

_DECODER = json.JSONDecoder()
_BLANK = re.compile(r"[ \t\n\r]*")


def value_line(text: str, keys: Sequence[str | int]) -> int | None:
    """The line (from 1) where the value at ``keys`` (object keys and array indexes) starts
    in the JSON ``text``; None when there is no such value."""
    try:
        at = _walk(text, _next(text, 0), keys)[0]
    except (ValueError, IndexError, RecursionError):
        return None
    return None if at is None else text.count("\n", 0, at) + 1


def _next(text: str, at: int) -> int:
    return _BLANK.match(text, at).end()  # type: ignore[union-attr]


def _walk(text: str, at: int, keys: Sequence[str | int]) -> tuple[int | None, int]:
    """(where the value at ``keys`` inside the value at ``at`` starts, or None; where the value
    at ``at`` ends). Each value off the path is read once, by the C reader; the path's own
    objects and arrays are walked member by member, so that a key given again later is seen."""
    if not keys:
        return at, _DECODER.raw_decode(text, at)[1]
    key, rest = keys[0], keys[1:]
    opening, closing = ("{", "}") if isinstance(key, str) else ("[", "]")
    if text[at] != opening:
        return None, _DECODER.raw_decode(text, at)[1]
    at, found, i = _next(text, at + 1), None, 0
    if text[at] == closing:
        return None, at + 1
    while True:
        if isinstance(key, str):
            if text[at] != '"':
                raise ValueError("not a key")
            name, at = scanstring(text, at + 1)
            at = _next(text, at)
            if text[at] != ":":
                raise ValueError("no colon")
            at = _next(text, at + 1)
            here = name == key
        else:
            here, i = i == key, i + 1
        if here:
            found, at = _walk(text, at, rest)
        else:
            at = _DECODER.raw_decode(text, at)[1]
        at = _next(text, at)
        if text[at] != ",":
            if text[at] != closing:
                raise ValueError("no comma")
            return found, at + 1
        at = _next(text, at + 1)


# How a record is named where no line can be: its count among its class's records, from 0.
_COUNTED = re.compile(r"^record #\d+: ")


def at_line(exc: DataError, where: str) -> DataError:
    """``exc`` said of ``where``, a file and the line of its record: the record's count ("record
    #1: ...", "record #1" for one without an objectId) named it a second time, and is left out;
    the class is kept."""
    if exc.record_index is None:
        return exc.placed(where)
    numbered = exc.object_id is not None and exc.object_id == f"#{exc.record_index}"
    out = DataError(_COUNTED.sub("", exc.reason), class_name=exc.class_name,
                    object_id=None if numbered else exc.object_id, field=exc.field, code=exc.code)
    out.record_index, out.edge_index, out.in_classes, out.doc_keys = exc.record_index, exc.edge_index, exc.in_classes, exc.doc_keys
    return out.placed(where)


def placed_in_file(path: Path, exc: DataError, name: str) -> DataError:
    """``exc``, of a load of the JSON file ``path``, naming the file (``name``: as the user
    wrote it, as its JSON errors name it) and line of the record, edge, class or top-level
    value it is about (``exc`` itself when it is about none of them, or the file cannot be
    read again)."""
    if exc.edge_index is not None:
        keys: list[str | int] = ["relations", exc.edge_index]
    elif exc.record_index is not None and exc.class_name is not None:
        keys = ["records", exc.class_name, exc.record_index]
    elif exc.doc_keys is not None:
        # About the document's classes or its shape: the file is named, at the line if found.
        keys = list(exc.doc_keys)
    else:
        return exc
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return exc
    line = value_line(text, keys)
    if line is None:
        return exc if exc.doc_keys is None else exc.placed(name)
    return at_line(exc, f"{name}, line {line}")

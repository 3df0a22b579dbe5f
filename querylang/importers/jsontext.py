"""JSON read from the user's files and arguments, by the command line and the importers.

Python's ``json`` reads arrays and objects by recursion, so a text nested deeper than the
interpreter's stack (about a thousand levels) raises RecursionError: a fault for the command
line (exit 1, "internal error"), though it is the input that is wrong. Here it becomes a
DataError that names the file or argument, as invalid JSON does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import BOM, DataError, has_bom

TOO_DEEP = "nested too deeply (arrays and objects hundreds of levels inside one another)"


@contextlib.contextmanager
def nesting(where: str) -> Iterator[None]:
    """Reading or walking a parsed value inside this block: running out of stack is a
    DataError naming ``where`` (the file, and line or record, the value came from)."""
    try:
        yield
    except RecursionError:
        raise DataError(f"{where}: {TOO_DEEP}") from None


def loads(text: str | bytes, where: str, **kw: Any) -> Any:
    """``json.loads(text, **kw)`` under :func:`nesting`. Invalid JSON still raises
    ``json.JSONDecodeError``: each caller words that for its own input (or falls back to
    reading the text as something else)."""
    if has_bom(text):
        raise json.JSONDecodeError(BOM, text if isinstance(text, str) else "", 0)
    with nesting(where):
        try:
            return json.loads(text, **kw)
        except json.JSONDecodeError:
            raise
        except ValueError:
            if "parse_int" in kw:
                raise
            # Perhaps int()'s limit on digits: read again with a parse_int that names it (a
            # hook's ValueError is raised again). Not on every read: a Python parse_int costs
            # a third more time on a document of numbers.
            json.loads(text, **kw, parse_int=lambda digits: _whole(digits, where))
            raise


def _whole(digits: str, where: str) -> int:
    """A JSON integer. Python refuses to convert one of more than 4,300 digits with a
    ValueError that is no JSONDecodeError (an internal error, exit 1): here it is the input's."""
    try:
        return int(digits)
    except ValueError:
        raise DataError(f"{where}: a number of {len(digits.lstrip('-')):,} digits, too long to read") from None



_PLAIN = json.JSONDecoder()  # skips a value at C speed, without the readers' hooks


def _space(text: str, pos: int) -> int:
    while text[pos : pos + 1] in (" ", "\t", "\n", "\r") and pos < len(text):
        pos += 1
    return pos


def line_of(text: str, keys: Sequence[str | int], start: int = 0) -> int | None:
    """The line (from 1) of the member ``keys`` names (object keys, array indexes) inside the
    JSON value at ``start`` of ``text``: the line of its key, or where an element begins; None
    if the text holds no such member. Called only once an error is to be placed (it walks the
    text again, skipping the values passed over at the json module's speed)."""
    pos = at = start
    try:
        for key in keys:
            pos = _space(text, pos)
            opening = text[pos : pos + 1]
            if opening == "{" and isinstance(key, str):
                at, pos = _member(text, pos + 1, key)
            elif opening == "[" and isinstance(key, int) and not isinstance(key, bool):
                at = pos = _element(text, pos + 1, key)
            else:
                return None
            if pos < 0:
                return None
    except ValueError:  # not the JSON it was read as
        return None
    return text.count("\n", 0, _space(text, at)) + 1


def _member(text: str, pos: int, key: str) -> tuple[int, int]:
    """(where the key ``key`` starts, where its value starts) in the object whose members
    start at ``pos``; (-1, -1) if it has no such key."""
    while True:
        pos = _space(text, pos)
        if text[pos : pos + 1] != '"':
            return -1, -1
        at = pos
        name, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]
        pos = _space(text, pos)
        if text[pos : pos + 1] != ":":
            return -1, -1
        pos = _space(text, pos + 1)
        if name == key:  # the last of a key given twice is the one read: close enough for a place
            return at, pos
        _, pos = _PLAIN.raw_decode(text, pos)
        pos = _space(text, pos)
        if text[pos : pos + 1] != ",":
            return -1, -1
        pos += 1


def _element(text: str, pos: int, index: int) -> int:
    """Where element ``index`` starts in the array whose elements start at ``pos`` (-1: none)."""
    for _ in range(index):
        _, pos = _PLAIN.raw_decode(text, _space(text, pos))
        pos = _space(text, pos)
        if text[pos : pos + 1] != ",":
            return -1
        pos += 1
    pos = _space(text, pos)
    return -1 if text[pos : pos + 1] in ("]", "") else pos

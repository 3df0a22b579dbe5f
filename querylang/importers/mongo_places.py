"""The line of a field in a mongoexport document written over several lines.

``--pretty`` writes each document over lines, and ``--jsonArray`` one array of them: an error
about a field named the document's first line ("line 91", "document 2"), where the value may be
dozens of lines further. The importer keeps no text of a document once it is staged, so the
line is found again only when an error is to be told: the document is read back from the
user's file and its member walked to (:func:`querylang.interchange.json_places.value_line`). A
document on one line (mongoexport's default) is named by that line, as before.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

from querylang.interchange.json_places import value_line

from . import ejson

# A place the importer names a document by: "<file>, line N" or "<file>, document N".
_PLACE = re.compile(r"^(?P<file>.+), (?P<kind>line|document) (?P<n>\d+)$")
# Parse fields stored under another key in MongoDB.
_STORED = {"createdAt": ["_created_at"], "updatedAt": ["_updated_at"], "expiresAt": ["expiresAt", "_expiresAt"],
           "ACL": ["_rperm", "_wperm", "_acl"]}


def keys_of(field: str) -> list[str]:
    """The keys of a document that may hold the Parse field ``field``, in the order tried."""
    return _STORED.get(field, [field, f"_p_{field}"])


def field_place(where: str, field: str | None) -> str:
    """``where`` (a document's place in a file, named by its path) made the line of its key
    that holds ``field``, when the document spans lines; else ``where`` as it is."""
    found = _PLACE.match(where)
    if field is None or found is None:
        return where
    path = Path(found["file"])
    n = int(found["n"])
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError, RecursionError):
        if found["kind"] == "line":
            text = _document_at(path, n)
            if text is not None:
                line = _first_line(text, [[key] for key in keys_of(field)])
                if line is not None:
                    return f"{found['file']}, line {n + line - 1}"
        else:
            text = path.read_text(encoding="utf-8")
            line = _first_line(text, [[n - 1, key] for key in keys_of(field)])
            if line is not None:
                return f"{where}, line {line}"
    return where


def _first_line(text: str, paths: list[list[str | int]]) -> int | None:
    return next((line for keys in paths if (line := value_line(text, keys)) is not None), None)


def _document_at(path: Path, start: int) -> str | None:
    """The text of the document that begins at line ``start`` of the file, if it spans lines
    (mongoexport --pretty: "{" alone on its line, up to a "}" at the margin)."""
    with path.open(encoding="utf-8") as fh:
        first = next(itertools.islice(fh, start - 1, None), None)
        if first is None or first.rstrip("\r\n") != "{":
            return None
        buf = [first]
        for line in fh:
            buf.append(line)
            if line.rstrip("\r\n") == "}":
                break
        return "".join(buf)


def bad_wrapper(text: str) -> int | None:
    """The line (from 1) of ``text`` where the Extended JSON wrapper that cannot be read
    (``{"$date": "nope"}``) is, for an error the reader raised without a position."""
    try:
        _read(json.loads(text), [])
    except _Refused as exc:
        return value_line(text, exc.keys)
    except (ValueError, RecursionError):
        pass
    return None


class _Refused(Exception):
    def __init__(self, keys: list[str | int]) -> None:
        self.keys = keys


def _read(value: Any, keys: list[str | int]) -> Any:
    """``value`` read as the reader reads it, an object's members before the object itself."""
    if isinstance(value, list):
        return [_read(inner, [*keys, i]) for i, inner in enumerate(value)]
    if not isinstance(value, dict):
        return value
    members = {key: _read(inner, [*keys, key]) for key, inner in value.items()}
    try:
        return ejson.read_object(members)
    except ValueError:
        raise _Refused([*keys, *list(value)[:1]]) from None  # the line of the wrapper's "$date"

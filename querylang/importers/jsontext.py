"""JSON read from the user's files and arguments, by the command line and the importers.

Python's ``json`` reads arrays and objects by recursion, so a text nested deeper than the
interpreter's stack (about a thousand levels) raises RecursionError: a fault for the command
line (exit 1, "internal error"), though it is the input that is wrong. Here it becomes a
DataError that names the file or argument, as invalid JSON does.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from ..errors import DataError

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
    with nesting(where):
        return json.loads(text, **kw)

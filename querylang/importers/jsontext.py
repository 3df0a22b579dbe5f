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

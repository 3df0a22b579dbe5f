"""A data file or folder named in messages as the user wrote it.

Python's ``Path`` drops a leading ``./`` (and a trailing ``/``), and the engines read a folder
through ``Path(source)``: ``db.load("./d")`` and ``querylang load ./d`` were told of
``d/Post.ndjson, line 3``, a path the user never typed. The load's caller, the one place that
still has the text given, names it so again.
"""

from __future__ import annotations

import os
from pathlib import Path

from querylang.errors import DataError

# What follows a path that opens a message: a file of the folder, or the place's end.
_AFTER = ("/", ":", ",")


def given_name(source: str | os.PathLike[str]) -> str:
    """``source`` as written, without the trailing separators a shell's completion adds (a
    file's name is joined after one): ``./d/`` is ``./d``, ``/`` stays ``/``."""
    text = os.fspath(source)
    return text.rstrip("/") or text


def say_as_given(exc: DataError, source: str | os.PathLike[str]) -> None:
    """``exc``'s message naming ``source`` as written where it opens with the path as Python
    writes it (``d/Post.ndjson, line 3``, ``d: an interchange directory needs ...``)."""
    written, shown = str(Path(source)), given_name(source)
    message = exc.message
    if written == shown or not message.startswith(written) or message[len(written):len(written) + 1] not in _AFTER:
        return
    exc.message = shown + message[len(written):]
    exc.args = (exc.message,)

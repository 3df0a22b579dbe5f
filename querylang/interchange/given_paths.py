"""A data file or folder named in messages as the user wrote it.

Python's ``Path`` drops a leading ``./`` (and a trailing ``/``), and the engines read a folder
through ``Path(source)``: ``db.load("./d")`` and ``querylang load ./d`` were told of
``d/Post.ndjson, line 3``, a path the user never typed. The load's caller, the one place that
still has the text given, names it so again; so does an import, whose readers work on Paths too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
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


def as_typed(sources: Iterable[object]) -> Callable[[str], str]:
    """What writes a message of an import as the user typed its paths: each of ``sources``
    (files or folders, as given) that Python's Path writes otherwise (``./dump`` as ``dump``).
    A folder is rewritten where the message opens with it or ends with it, and where it names
    one of the folder's files (at the start, after a space or a bracket); a file given, where
    it is named so. A record's id that merely begins like the folder is left as it is."""
    pairs: list[tuple[re.Pattern[str], str]] = []
    for source in sources:
        if not isinstance(source, str | os.PathLike):
            continue
        written, shown = str(Path(source)), given_name(source)
        if written == shown:
            continue
        try:
            names = os.listdir(source) if os.path.isdir(source) else []
        except OSError:
            names = []
        at = re.escape(written)
        if os.path.isdir(source):
            inside = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) or "(?!)"
            pattern = rf"^{at}(?=[:,]|$)|(?<= ){at}$|(?:^|(?<=[\s(])){at}(?=/(?:{inside})(?:[:,)\s]|$))"
        else:
            pattern = rf"(?:^|(?<=[\s(])){at}(?=[:,)]|$)"
        pairs.append((re.compile(pattern), shown.replace("\\", "\\\\")))  # a backslash is no group here

    def typed(text: str) -> str:
        for pattern, template in pairs:
            text = pattern.sub(template, text)
        return text

    return typed


def say_typed(exc: DataError, typed: Callable[[str], str]) -> None:
    """``exc``'s message written by ``typed`` (:func:`as_typed`)."""
    exc.message = typed(exc.message)
    exc.args = (exc.message,)

"""A data file or folder named in messages as the user wrote it.

Python's ``Path`` drops a leading ``./`` (and a trailing ``/``), and the engines and the
importers read a folder through ``Path(source)``: ``db.load("./d")`` and ``querylang load ./d``
were told of ``d/Post.ndjson, line 3``, a path the user never typed. The caller given the text
(``Database.load``, an import) opens :func:`typed_sources`; a reader making a message names
its file through :func:`shown`, which writes it as typed. Nothing is rewritten afterwards: a
record's id or a class name that looks like the folder is never taken for it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path


def given_name(source: str | os.PathLike[str]) -> str:
    """``source`` as written, without the trailing separators a shell's completion adds (a
    file's name is joined after one): ``./d/`` is ``./d``, ``/`` stays ``/``."""
    text = os.fspath(source)
    return text.rstrip("/") or text


# The sources a load or an import was given, each as Python's Path writes it and as the user
# typed it. A context variable: the paths reach the readers several calls deep, through the
# engines' stores, which see only Paths (a thread that reads for them runs in a copy of it).
_TYPED: ContextVar[tuple[tuple[Path, str], ...]] = ContextVar("typed_sources", default=())


@contextmanager
def typed_sources(sources: Iterable[object], *, new_command: bool = False) -> Iterator[None]:
    """Within the block, :func:`shown` names ``sources`` (files or folders, as given) and the
    files under them as typed: ``./dump/Post.json`` of ``./dump``, which Path writes ``dump``,
    and ``~/x.json`` of ``~/x.json``, which the REPL's ``.load`` reads as the home folder's.

    ``new_command``: the block is a command of its own the user typed (a REPL entry), whose
    names come before those of the command that started the session, a name typed as the
    system writes it too: `.load /home/me/d/x.json` in a REPL started with --data=~/d is named
    as typed, not '~/d/x.json' (the session's --db=~/x.duckdb is still '~/x.duckdb')."""
    # "" is no path (Path("") is the current folder, every relative path under it).
    given = [s for s in sources if isinstance(s, str | os.PathLike) and os.fspath(s) != ""]
    pairs = tuple((root, typed) for root, typed in ((Path(os.path.expanduser(s)), given_name(s)) for s in given)
                  if new_command or str(root) != typed)
    # The outer block's names first: it is nearer the user (the REPL's '~/d', around the
    # library's load of the expanded path).
    token = _TYPED.set(pairs + _TYPED.get() if new_command else _TYPED.get() + pairs)
    try:
        yield
    finally:
        _TYPED.reset(token)


def shown(path: str | os.PathLike[str]) -> str:
    """``path`` as a message names it: as typed, when it is a source of :func:`typed_sources`
    or lies under one (by its parts, not its text); else as given (:func:`given_name`)."""
    at = Path(path)
    for root, typed in _TYPED.get():
        if at == root:
            return typed
        if root in at.parents:
            return f"{typed}/{at.relative_to(root)}"
    return given_name(path)

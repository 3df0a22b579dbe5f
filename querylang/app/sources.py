"""Where a command's records come from: ``--db`` (a DuckDB file or a PostgreSQL URL), ``--data``
(an interchange file or directory, loaded into memory), ``--layout``, or, with none of them,
the bundled sample dataset.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from querylang.api import Database, connect, shown
from querylang.app.commands import db_words, is_url, not_an_export
from querylang.app.params import DbParam, HomePath
from querylang.errors import DataError

T = TypeVar("T")


LAYOUT_KEY = "querylang.layout"


def _remember_layout(ctx: click.Context, param: Any, value: str | None) -> None:
    if value is not None:
        ctx.meta[LAYOUT_KEY] = value


def source_options(fn: Callable[..., T]) -> Callable[..., T]:
    fn = click.option(
        "--layout",
        type=click.Choice(["querylang", "parse"]),
        expose_value=False,
        callback=_remember_layout,
        help="With a PostgreSQL --db: 'parse' reads a Parse Server's own database in place, "
        "read-only (docs/parse-in-place.md); 'querylang' (the default) our own tables.",
    )(fn)
    fn = click.option(
        "--data",
        "data_path",
        type=HomePath(path_type=str),  # as typed: messages name './d/Post.ndjson' so, not 'd/...'
        help="Load this JSON interchange file, or interchange directory (as 'querylang load' reads "
        "it), into an in-memory database. With neither --db nor --data: the bundled sample "
        "dataset (User, Post, Comment, Group), in memory.",
    )(fn)
    fn = click.option(
        "--db",
        "db_path",
        type=DbParam(),
        help="Open this DuckDB database file (made by 'querylang load'), or a PostgreSQL "
        "database: postgresql://user@host:port/dbname.",
    )(fn)
    return fn


def open_db(db_path: Path | None, data_path: str | None, *, read_only: bool = True) -> Database:
    """The database a command works on: a DuckDB file, a JSON file in memory, or the sample."""
    if db_path is not None and data_path is not None:
        raise click.UsageError("give --db or --data, not both")
    ctx = click.get_current_context(silent=True)
    layout = ctx.meta.get(LAYOUT_KEY) if ctx is not None else None
    if layout == "parse" and not (db_path is not None and is_url(db_path)):
        # Said in the option's words: connect() names its own argument (layout='parse').
        raise click.UsageError("--layout parse reads a Parse Server's PostgreSQL database: give its "
                               "postgresql:// URL as --db")
    if db_path is not None and is_url(db_path):
        # Closed with the command too: its pool's connections stay open on the server
        # otherwise, as long as the process lives (a program or test calling main in process).
        db = connect(str(db_path), read_only=read_only, layout=layout)
    elif db_path is not None:
        if read_only and not db_path.exists():
            raise DataError(f"no such database file: {shown(db_path)}")  # as typed: ~/x
        db = connect(db_path, read_only=read_only, layout=layout)  # --layout parse: refused, with why
    else:
        db = connect(layout=layout)
    if ctx is not None:
        ctx.call_on_close(db.close)
    if db_path is not None:
        return db
    if data_path is not None:
        not_an_export(data_path)
        db.load(data_path)
    else:
        from querylang.app.demo import sample_document

        db.load(sample_document())
    return db


def source_words(db_path: Path | None, data_path: str | None) -> str:
    """The source options a command was given, as words to repeat after a command it suggests
    (show's follow lines): without them the next command read the bundled sample, not the
    user's data. A PostgreSQL URL's password is masked."""
    ctx = click.get_current_context(silent=True)
    layout = ctx.meta.get(LAYOUT_KEY) if ctx is not None else None
    words = ""
    if db_path is not None:
        words += " --db " + db_words(db_path)
    if data_path is not None:
        words += " --data " + shlex.quote(data_path)
    if layout is not None:
        words += f" --layout {layout}"
    return words

"""``querylang import …``: the importers on the command line.

Registered on the main group by one line in ``querylang/app/cli.py``; errors (a DataError: exit 2)
are reported by that group, like every command's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..api import Database
from ..app.commands import close_written, per_class, say_written, target_name, write_into
from ..app.params import URL_EXAMPLE, DbParam, HomePath
from ..app.render import plural
from .interchange import IMPORT_FAILED, ImportedThenInterrupted, ImportReport, imports_committed

DB_OPTION = click.option(
    "--db", "db_path", required=True, type=DbParam(),
    help="The DuckDB database file to import into (made if missing and named *.duckdb, *.db or "
    "*.ddb), or a PostgreSQL database: postgresql://user@host:port/dbname.",
)  # fmt: skip


@click.group("import")
def import_group() -> None:
    """Import Parse data: from a live Parse Server, a mongoexport, or Dashboard exports.

    Every import is all or nothing: the data is read completely first, then loaded in one
    load; if anything fails, the database is left as it was.
    """


def _into(db_path: Path | str, work: Callable[[Database], ImportReport]) -> None:
    """Run an import into the database; remove a database file this command created if it fails.
    Once the import is committed it is kept: an interrupt as it commits, as the import ends (its
    staging folder removed, the importer returning), while closing (the text-search words) or
    as the notes print says so, as for a load."""
    late: list[ImportedThenInterrupted] = []
    committed = imports_committed()  # the import's report, from its commit on

    def kept(db: Database) -> ImportReport:
        try:
            return work(db)
        except ImportedThenInterrupted as exc:  # committed: said as imported, then as interrupted
            late.append(exc)
            return exc.report
        except KeyboardInterrupt:
            if not committed:
                raise
            late.append(ImportedThenInterrupted(committed[0]))  # as the import's call returned
            return committed[0]

    db, report = write_into(db_path, kept, IMPORT_FAILED)
    # A press from here on, said as "interrupted" alone, read as a failed import.
    words_left = None
    try:
        words_left = close_written(db, db_path)
    except KeyboardInterrupt:  # as it was called: the database is left to the process's end
        late[:] = late or [ImportedThenInterrupted(report)]
    try:
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
    except KeyboardInterrupt:  # the notes stop there
        late[:] = late or [ImportedThenInterrupted(report)]
    say_written(f"imported {plural(report.records, 'record')} and {plural(report.edges, 'relation edge')} "
                f"into {target_name(db_path)}: {per_class(report.counts)}", late[0] if late else None, [words_left],
                kept=ImportedThenInterrupted(report))


class _Bar:
    """Progress on stderr with rich: one bar per class, moving as pages arrive."""

    def __init__(self, show: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:<26}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), disable=not show,
        )  # fmt: skip
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bar:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, step: str, done: int, total: int | None) -> None:
        task = self.tasks.get(step)
        if task is None:
            task = self.tasks[step] = self.progress.add_task(step, total=total)
        self.progress.update(task, completed=done, total=total if total is None else max(total, done))


@import_group.command("parse-server")
@click.argument("url", type=URL_EXAMPLE)
@click.option("--app-id", required=True, envvar="PARSE_APP_ID", help="The application id (or $PARSE_APP_ID).")
@click.option("--master-key", required=True, envvar="PARSE_MASTER_KEY",
              help="The master key (or $PARSE_MASTER_KEY, which keeps it out of the process list).")
@click.option("--classes", default=None, help="Only these classes, comma-separated (default: all).")
@DB_OPTION
@click.option("--progress/--no-progress", default=None, help="Progress bars on stderr (default: on a terminal).")
def parse_server_cmd(url: str, app_id: str, master_key: str, classes: str | None, db_path: Path | str, progress: bool | None) -> None:
    """Import every class of the Parse Server at URL (e.g. http://localhost:1337/parse).

    Reads the schema, every record (in pages) and every Relation edge over REST with the
    master key, then loads them into --db in one go.
    """
    from .parse_server import check_keys, import_parse_server

    check_keys(app_id, master_key)  # before --db is opened or made
    names = [c.strip() for c in classes.split(",") if c.strip()] if classes is not None else None
    if names == []:
        # An empty list reading as "all classes" would copy far more than was asked for.
        raise click.BadParameter("names no class (leave the option out to import every class)", param_hint="--classes")
    show = progress if progress is not None else os.isatty(2)
    with _Bar(show) as bar:
        _into(db_path, lambda db: import_parse_server(db, url, app_id=app_id, master_key=master_key, classes=names, progress=bar))


@import_group.command("mongo")
# As typed (str): Path drops the './' of './dump', and the messages name its files as written.
# A file: import_mongo_export says what to give.
@click.argument("directory", type=HomePath(path_type=str, missing="The folder of mongoexport files, one NAME.json per "
                                                                  "collection, e.g. dump."))
@DB_OPTION
def mongo_cmd(directory: str, db_path: Path | str) -> None:
    """Import a directory of mongoexport files of a Parse database on MongoDB.

    One file per collection, named as the collection (Post.json, _User.json, _SCHEMA.json,
    _Join:posts:Group.json), as `mongoexport --collection NAME --out NAME.json` writes them.
    A directory of Parse Dashboard exports is recognised and imported as with 'dashboard'.
    """
    from .mongo_export import import_mongo_export

    _into(db_path, lambda db: import_mongo_export(db, directory))


@import_group.command("dashboard")
@click.argument("paths", nargs=-1, required=True,  # as typed, as mongo's
                type=HomePath(path_type=str, missing="Parse Dashboard export files, or folders of them, e.g. "
                                                     "Post.json _User.json."))
@DB_OPTION
def dashboard_cmd(paths: tuple[str, ...], db_path: Path | str) -> None:
    """Import Parse Dashboard class exports (JSON) or parse.com {"results": [...]} files.

    PATHS are files or directories of them, one class per file. The Dashboard's hold no Relation
    edges; parse.com's _Join:<key>:<Class>.json files are read as the edges of <Class>.<key>.
    """
    from .dashboard import import_rest_exports

    _into(db_path, lambda db: import_rest_exports(db, list(paths)))

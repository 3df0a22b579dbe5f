"""The commands that write or set up: load, repl, doctor, demo and bench."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from querylang.api import Database, connect
from querylang.app import params
from querylang.app.commands import (
    close_written,
    db_words,
    is_url,
    not_an_export,
    per_class,
    read_document_with_progress,
    remove_database_file,
    say_written,
    target_name,
    write_into,
)
from querylang.app.params import DbParam
from querylang.app.render import make_console, plural
from querylang.app.sources import open_db, source_options
from querylang.errors import DataError, LoadedThenInterrupted, QuerylangNotParse

PROGRESS_MIN_BYTES = 1 << 20  # below this a load is over before a bar could be read


@click.command()
# As typed (a str): Path drops the './' of './d', and the messages name the file as written.
@click.argument("file", type=params.HomePath(path_type=str, missing="The JSON interchange file or directory to load, "
                                                                "e.g. blog.json."))
@click.option("--db", "db_path", required=True, type=DbParam(),
              help="The DuckDB database file to load into (made if missing and named *.duckdb, *.db "
                   "or *.ddb), or a PostgreSQL database: postgresql://user@host:port/dbname.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for files over 1 MB, on a terminal).")
def load(file: str, db_path: Path, progress: bool | None) -> None:
    """Load the JSON interchange FILE, or an interchange directory (schema.json and one
    <Class>.ndjson per class; read a part at a time), into the database --db.

    The load is all or nothing: if any record is bad, nothing is loaded (and a database file
    this command created is removed again). Records add to what the database holds; an
    objectId already stored is an error. A FILE of no classes is refused when the database
    holds none either (such as a new file): it would be left with none, which serve refuses.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    path = Path(file)
    not_an_export(file, db_words(db_path))
    # A directory's size is its files' (the directory form is for the largest loads).
    size = path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.glob("*") if p.is_file())
    errors = make_console(stderr=True)
    show = progress if progress is not None else (errors.is_terminal and size >= PROGRESS_MIN_BYTES)
    bar = Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(), console=errors, disable=not show,
    )  # fmt: skip
    with bar:
        doc: Any = file if path.is_dir() else read_document_with_progress(file, size, bar)
        tasks: dict[str, Any] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "checking records" if stage == "read" else "writing (all or nothing)"
                tasks[stage] = bar.add_task(label, total=total or None, detail="")
            bar.update(tasks[stage], completed=done, detail=f"{done:,}/{total:,}" if total else f"{done:,}")

        late: list[LoadedThenInterrupted] = []

        def load_into(db: Database) -> dict[str, int]:
            if not db.schema.classes and _defines_no_classes(doc, path):
                # It would leave a database of no classes, which serve refuses and every other
                # command answers "unknown class": a mistake, said before anything is written
                # (a file this command made is removed).
                where = "a directory's classes are in its schema.json" if path.is_dir() else "an interchange file's classes are"
                raise DataError(f'{file} holds no classes: nothing was loaded ({where} under '
                                '"classes", README "Interchange format"; serve refuses a database of none)')
            # Read here (for the bar): db.load is told the file, to name a bad record's line.
            try:
                return db.load(doc, progress=tell, read_from=None if path.is_dir() else file)
            except LoadedThenInterrupted as exc:  # committed: said as loaded, then as interrupted
                late.append(exc)
                return exc.counts

        db, counts = write_into(db_path, load_into, "load failed, nothing was loaded")
        # The load is committed: what closing adds (the text-search words) is no part of it.
        # Named as the report names it: a PostgreSQL URL may hold a password.
        bar.add_task("text-search words", total=None, detail=target_name(db_path))
        words_left = None
        try:
            words_left = close_written(db, db_path)
        except KeyboardInterrupt:  # as it was called ("interrupted" alone read as a failed load)
            late[:] = late or [LoadedThenInterrupted(counts)]
    total = sum(counts.values())
    notes = [words_left]
    if total == 0 and path.name == "schema.json" and any(path.parent.glob("*.ndjson")):
        # The folder's schema.json given for the folder: its classes made, none of its records read.
        folder = shlex.quote(str(Path(file).parent))
        notes.append(f"note: {file} defines classes only, and no records: to load the records of its folder, an "
                     f"interchange directory, run querylang load {folder} --db {db_words(db_path)}")
    say_written(f"loaded {plural(total, 'record')} into {target_name(db_path)}: {per_class(counts)}",
                late[0] if late else None, notes, kept=LoadedThenInterrupted(counts))


def _defines_no_classes(doc: Any, path: Path) -> bool:
    """Whether the document to load defines no classes, read only as far as that needs: what
    else is wrong with it is the load's to say, in its own words."""
    if path.is_dir():
        try:
            doc = json.loads((path / "schema.json").read_bytes())
        except (OSError, ValueError):
            return False
    return isinstance(doc, dict) and not doc.get("classes")


@click.command()
@source_options
@click.option("--class", "class_name", metavar="CLASS", help="Start with this class selected.")
def repl(db_path: Path | None, data_path: str | None, class_name: str | None) -> None:
    """Interactive shell: type filter scripts, see tables. Type .help inside.

    Enter runs the script once its brackets close (Esc Enter adds a line anyway; Enter on a
    blank line runs it as is); Tab completes; Ctrl-C cancels the input or a running query;
    Ctrl-D quits. History is kept in ~/.querylang_history
    (or $QUERYLANG_HISTORY). With --db the file is opened for writing, so .load can add to it
    (a file that does not exist is a new database, removed again if nothing is loaded into it);
    with neither --db nor --data the bundled sample dataset is loaded.
    """
    from querylang.app.prompt import run_repl

    made = db_path if db_path is not None and not is_url(db_path) and not db_path.exists() else None
    db = open_db(db_path, data_path, read_only=False)
    if made is not None:
        # A mistyped path opens a new database: said, and the file not left behind for nothing.
        click.echo(f"note: {target_name(made)} did not exist: this is a new, empty database (.load FILE fills it; "
                   "if nothing is loaded, the file is removed when the REPL ends)", err=True)  # fmt: skip
    try:
        if class_name is not None:
            class_name = db.schema.get(class_name).name
        hint = "FILE.duckdb" if db_path is None else db_words(db_path)
        status = run_repl(db, class_name=class_name, db_hint=hint)
    finally:
        if made is not None and not db.schema.classes:
            db.close()
            remove_database_file(made)
    if status:
        sys.exit(status)


@click.command()
@click.option("--db", "db_url", required=True, metavar="URL",
              help="A Parse Server's PostgreSQL database: postgresql://user@host:port/dbname.")
def doctor(db_url: str) -> None:
    """What a Parse Server database lacks for querylang's queries, as SQL to run.

    Reads the database in place (read-only) and prints the CREATE INDEX statements for the
    lookups querylang's queries make that Parse's own indexes do not serve (Pointer columns,
    the owner column of each Relation's _Join table; objectIds where the database's collation
    is not code-point order), and, as comments, the fields that cannot be queried in place. An
    index whose CONCURRENTLY build was cut short is invalid and serves nothing: a DROP INDEX
    for it comes before its CREATE INDEX. Run the statements as the database owner
    (CONCURRENTLY: writes go on).
    """
    if not is_url(db_url):
        raise click.UsageError("--db must be a postgresql:// URL of a Parse Server database")
    try:
        db = connect(db_url, layout="parse")
    except QuerylangNotParse as exc:  # its words send the user to a --layout doctor has not
        raise DataError(f"{exc.where}: it holds querylang's own tables, not a Parse Server's: querylang "
                        "makes the indexes its queries need in them itself (doctor is for a Parse Server's "
                        "database)") from None  # fmt: skip
    try:
        for line in (x for note in db.notes for x in note.splitlines()):  # each line a comment:
            click.echo(f"-- {line}")  # a name in _SCHEMA may hold a line break, and this is run
        statements = db.missing_indexes()
        if not statements:
            click.echo("-- nothing missing: every Pointer column and Relation owner column has an index")
        for stmt in statements:
            click.echo(stmt)
    finally:
        db.close()


@click.command()
def demo() -> None:
    """Load the bundled sample data and run the guide's three queries, showing their SQL."""
    from querylang.app.demo import run_demo

    ok = run_demo(click.echo)
    sys.exit(0 if ok else 1)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Run the benchmarks (the same as `python -m benchmarks`; `querylang bench --help`).

    Needs a checkout of the project (the benchmarks/ folder beside the package).
    """
    root = Path(__file__).resolve().parents[2]  # querylang/app/other_commands.py → the checkout
    if not (root / "benchmarks" / "__main__.py").exists():
        raise click.UsageError("the benchmarks/ folder is not here: run from a checkout of querylang")
    sys.path.insert(0, str(root))
    from benchmarks.__main__ import main as bench_main

    sys.exit(bench_main(list(args)))

"""The ``querylang`` command: one click command per subcommand, errors handled in one place.

Exit status: 0 success, 2 a user error (bad script, unknown class, bad file: the message, with
the caret view for scripts, goes to stderr), 1 an internal fault, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import codecs
import errno
import json
import logging
import os
import shlex
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.text import Text

from querylang import __version__
from querylang.api import Database, connect
from querylang.app import params
from querylang.app.commands import (
    cancellable,
    check_asks,
    class_counts,
    close_written,
    closed_stdout,
    explain,
    is_blank,
    is_url,
    not_an_export,
    per_class,
    query_fields,
    read_document_with_progress,
    read_script,
    read_stdin,
    read_text,
    relation_records,
    remove_database_file,
    run_query,
    say_committed,
    show_record,
    target_name,
    write_into,
)
from querylang.app.params import DbParam, at_file, cli_keys, cli_order, cli_sort, parse_inputs
from querylang.app.render import (
    FORMATS,
    HINT_STYLE,
    dumps,
    make_console,
    plural,
    print_sql,
    schema_doc,
    schema_table,
    visible,
    write_records,
    write_stream,
)
from querylang.app.sources import open_db, source_options
from querylang.errors import BOM, DataError, EngineError, QueryError, QuerylangNotParse
from querylang.importers import jsontext
from querylang.importers.command import import_group
from querylang.server.command import serve

T = TypeVar("T")
EXIT_USER = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
PROGRESS_MIN_BYTES = 1 << 20
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# What these commands print on stdout is a summary or a banner, which a command started with
# stdout closed (a service, a cron job) goes without; every other command's output is its point.
OUTPUT_OPTIONAL = ("load", "import", "serve")
TABLE_ROWS = 100  # records a table shows without --limit  # below this a load is over before a bar could be read


# --- errors, in one place -------------------------------------------------------------------


class QueryLangGroup(click.Group):
    """Turns every exception of a subcommand into an exit status and one message on stderr."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        # Click catches a Ctrl-C or an end of input itself where invoke does not see it (while
        # the group's arguments are parsed, at a prompt, as the command's context closes) and
        # says "Aborted!" with exit 1: said here as every other interrupt is.
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            try:
                code = super().main(args, prog_name, complete_var, False, **extra)
            except click.ClickException as err:
                err.show()
                code = err.exit_code
            except click.Abort:
                click.echo("interrupted", err=True)
                code = EXIT_INTERRUPTED
        except KeyboardInterrupt:  # while one of those was said
            code = EXIT_INTERRUPTED
        # Without standalone mode Click returns what the command returned (None: success) or
        # the code of its exit.
        sys.exit(code if isinstance(code, int) else 0)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        # The group's own --help and --version print while its arguments are parsed, before
        # invoke: click made a reader that went away exit 1 and a full disk a traceback, and
        # printed them to a closed stdout with exit 0.
        if sys.stdout is None and parent is None and args[:1] in (["--help"], ["-h"], ["--version"]):
            try:
                closed_stdout(needed=True)
            except QueryError as err:
                report_error(err)
                raise click.exceptions.Exit(EXIT_USER) from None
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except BrokenPipeError:
            _drop_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:
            if err.filename is None and err.errno in DISK_FULL:
                _drop_stdout()
                report_error(QueryError(f"cannot write the output (standard output): {err.strerror or err}"))
                raise click.exceptions.Exit(EXIT_USER) from None
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.UsageError, click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as err:
            # serve's refusals (a port in use, an empty --app-id) printed click's "Error: …":
            # said as every other command's error is; a usage error keeps click's usage lines.
            report_error(QueryError(err.format_message()))
            ctx.exit(err.exit_code)
        except EngineError as err:  # the database failed on a checked query: a fault
            report_error(err)
            ctx.exit(EXIT_INTERNAL)
        except QueryError as err:  # DataError too: every user error is a QueryError
            report_error(err)
            ctx.exit(EXIT_USER)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from complaining
            # about the closed stdout at exit.
            _drop_stdout()
            ctx.exit(0)
        except Exception as err:
            if isinstance(err, UnicodeEncodeError) and _stdout_encoding(err.encoding):
                # A locale without UTF-8 (LC_ALL=C, PYTHONIOENCODING=ascii) and records that hold
                # what it cannot: no format would keep them exact, so nothing is made up.
                char = err.object[err.start : err.end] if isinstance(err.object, str) else ""
                report_error(QueryError(
                    f"cannot write the output (standard output): its encoding, {sys.stdout.encoding}, "
                    f"cannot hold {char!r}; set PYTHONIOENCODING=utf-8, or a UTF-8 locale (e.g. LC_ALL=C.UTF-8)"
                ))  # fmt: skip
                ctx.exit(EXIT_USER)
            if os.environ.get("QUERYLANG_DEBUG"):
                raise
            if isinstance(err, OSError) and err.filename is None and err.errno in DISK_FULL:
                # Output to a full disk (`> out.csv`, /dev/full): the environment's fault. The
                # files a command writes itself name themselves (an import's staging folder).
                _drop_stdout()
                report_error(QueryError(f"cannot write the output (standard output): {err.strerror or err}"))
                ctx.exit(EXIT_USER)
            click.echo(
                f"internal error: {type(err).__name__}: {err} (set QUERYLANG_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def _stdout_encoding(encoding: str) -> bool:
    """Whether ``encoding`` is standard output's."""
    try:
        return codecs.lookup(encoding).name == codecs.lookup(sys.stdout.encoding or "utf-8").name
    except LookupError:
        return False


def _drop_stdout() -> None:
    """Send what is left of standard output nowhere, so that Python's own flush at exit does
    not complain about it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def report_error(err: QueryError) -> None:
    # Never re-wrapped to the terminal width: the caret must stay under its column.
    # Its values shown, not obeyed: an id or a script may hold a terminal's control characters.
    click.echo(click.style("error: ", fg="red", bold=True) + visible(str(err)), err=True)


# --- scripts and inputs ---------------------------------------------------------------------


def query_options(fn: Callable[..., T]) -> Callable[..., T]:
    for decorator in reversed(
        [
            click.option("--inputs", "inputs_json", metavar="JSON", callback=at_file("inputs.json"),
                         help='Input values as a JSON object, e.g. \'{"PostId": "p015"}\' (or @file.json).'),
            click.option("-i", "--input", "pairs", multiple=True, metavar="KEY=VALUE",
                         help="One input value (repeatable); VALUE is JSON if it parses (5, true, "
                              "null, [1,2]), else a string. Overrides --inputs."),
            click.option("--sort", multiple=True, metavar="KEYS",
                         help="Sort keys, e.g. --sort -createdAt,title (replaces the script's sort)."),
            click.option("--limit", type=click.IntRange(min=0), metavar="N", help="Return at most N records."),
            click.option("--skip", type=click.IntRange(min=0), metavar="N", help="Skip the first N records."),
            click.option("--count", is_flag=True,
                         help="Also report how many records match, ignoring --limit and --skip."),
        ]
    ):  # fmt: skip
        fn = decorator(fn)
    return fn


def format_option(choices: Sequence[str] = FORMATS) -> Callable[[Callable[..., T]], Callable[..., T]]:
    return click.option(
        "--format", "fmt", type=click.Choice(list(choices)), default="table", show_default=True,
        help="Output format.",
    )


# --- the commands ---------------------------------------------------------------------------


@click.group(cls=QueryLangGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="querylang")
def main() -> None:
    """querylang: Noodl / Parse record queries, compiled to SQL over DuckDB or PostgreSQL.

    A query is a filter script, as in Noodl's Query Records node:

    \b
      querylang query Post "where({ score: { greaterThan: 5 } })"
      querylang query Comment "where({ Owner: { pointsTo: Inputs.Post } })" -i Post=p015

    Records come from --db FILE.duckdb (made by 'querylang load'), from --db
    postgresql://user@host:port/dbname (a PostgreSQL database), from --data FILE.json (an
    interchange file or directory, loaded into memory) or, with neither, from the bundled sample dataset
    (User, Post, Comment, Group) in memory, so every command works out of the box.

    Exit status: 0 success, 2 user error (bad script, unknown class, bad file; a PostgreSQL
    server that cannot be reached or stops answering, a permission the role lacks, a statement
    timeout; message on stderr), 1 internal error, 130 interrupted (Ctrl-C or SIGTERM; serve
    ends by SIGTERM itself).
    """
    if not os.environ.get("QUERYLANG_DEBUG"):
        # The connection pool logs each connection it drops when a server goes away, and
        # psycopg a COPY it could not end when the connection is lost; the command already
        # says what failed, once, so their lines are noise on stderr.
        logging.getLogger("psycopg").setLevel(logging.CRITICAL)
    ctx = click.get_current_context()
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        closed_stdout(needed=ctx.invoked_subcommand not in OUTPUT_OPTIONAL)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a CI job cancelled, `kill`) ends a command as Ctrl-C does, through the same
        # clean-up: a half-made database file or an import's staging folder is removed.
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


def include_select_options(fn: Callable[..., T]) -> Callable[..., T]:
    fn = click.option("--select", "select", multiple=True, metavar="FIELDS",
                      help="Only these fields (comma list, repeatable; a.b selects inside an "
                           "included a), plus objectId, createdAt and updatedAt.")(fn)  # fmt: skip
    fn = click.option("--include", "include", multiple=True, metavar="FIELDS",
                      help="Embed the records these Pointer fields point to (comma list, "
                           "repeatable, dotted paths follow pointers: Owner.author).")(fn)  # fmt: skip
    return fn


@main.command()
@click.argument("class_name", metavar="CLASS")
@click.argument("script", callback=at_file("filter.js"))
@source_options
@query_options
@include_select_options
@format_option()
def query(
    class_name: str,
    script: str,
    db_path: Path | None,
    data_path: Path | None,
    inputs_json: str | None,
    pairs: tuple[str, ...],
    sort: tuple[str, ...],
    limit: int | None,
    skip: int | None,
    count: bool,
    include: tuple[str, ...],
    select: tuple[str, ...],
    fmt: str,
) -> None:
    """Run filter SCRIPT against CLASS and print the records.

    SCRIPT is the filter script text, '-' to read it from stdin, or @FILE to read it from a
    file; a JSON filter object ('{"score": {"greaterThan": 5}}') works too. An empty SCRIPT
    ('') lists every record; an empty file or stdin, and a script that calls none of where(),
    filter() and sort(), are refused.

    \b
    Examples:
      querylang query Post "where({ score: { greaterThan: 5 } }); sort(['-score'])"
      querylang query Comment "where({ Owner: { pointsTo: Inputs.Post } })" -i Post=p015
      querylang query Post @filter.js --db app.duckdb --limit 10 --count --format json
      querylang query Comment "where({})" --include Owner --select text,Owner.title

    A table shows the first 100 records unless --limit says otherwise; csv and jsonl are
    written as they are read, all of them. With neither --db nor --data the bundled sample
    dataset is queried.
    """
    db = open_db(db_path, data_path)
    source = read_script(script)
    inputs = parse_inputs(inputs_json, pairs)
    opts = {"inputs": inputs, "sort": cli_sort(sort)}
    cls = db.schema.get(class_name)
    prefer = query_fields(db, cls.name, source, **opts)  # user errors before any output
    check_asks(source, inputs, script)
    more_opts: dict[str, Any] = {"include": cli_keys(include, "--include"), "select": cli_keys(select, "--select"),
                                 "skip": skip, **opts}  # fmt: skip
    console = make_console()
    if fmt in ("csv", "jsonl"):
        # Streamed: a big result is written as it is read, in bounded memory.
        total = run_query(db, cls.name, source, limit=0, count=True, **opts).count if count else None
        cancellable(lambda cancel: write_stream(
            console.file, cls, db.stream(cls.name, source, limit=limit, cancel=cancel, **more_opts), fmt,
            more_opts["select"],
        ))  # fmt: skip
        if total is not None:
            sys.stderr.write(f"count: {total}\n")
        return
    # A table on a terminal shows TABLE_ROWS unless asked for more (one more row is read to
    # see whether there are more).
    capped = fmt == "table" and limit is None
    result = run_query(db, cls.name, source, limit=TABLE_ROWS + 1 if capped else limit, count=count, **more_opts)
    records, more = result.records, capped and len(result.records) > TABLE_ROWS
    write_records(console, cls, records[:TABLE_ROWS] if more else records, fmt, count=result.count,
                  more=more, prefer=prefer, selected=more_opts["select"])  # fmt: skip
    if more:
        say_capped(console)


def say_capped(console: Any) -> None:
    """The line under a table cut at TABLE_ROWS (query, relation): how to see the rest."""
    console.print(Text(f"(first {TABLE_ROWS} shown: --limit N for more, --format csv or jsonl for all)",
                       style=HINT_STYLE), soft_wrap=True)  # fmt: skip


@main.command()
@click.argument("class_name", metavar="CLASS")
@click.argument("where", metavar="WHERE_JSON", default="{}", callback=at_file("where.json"))
@source_options
@click.option("--order", metavar="KEYS", callback=cli_order, help="Parse's order, e.g. --order -score,title.")
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help="Return at most N records (default 100, as Parse's REST API).")
@click.option("--skip", type=click.IntRange(min=0), metavar="N", help="Skip the first N records.")
@click.option("--count", is_flag=True, help="Also report how many records match.")
@click.option("--include", multiple=True, metavar="FIELDS",
              help="Embed the records these Pointer fields point to (comma list, repeatable).")
@click.option("--keys", multiple=True, metavar="FIELDS", help="Only these fields (Parse's keys).")
@format_option()
def find(
    class_name: str,
    where: str,
    db_path: Path | None,
    data_path: Path | None,
    order: str | None,
    limit: int | None,
    skip: int | None,
    count: bool,
    include: tuple[str, ...],
    keys: tuple[str, ...],
    fmt: str,
) -> None:
    """Run a Parse REST query: WHERE_JSON is the 'where' document of Parse's REST API.

    WHERE_JSON is the JSON text, '-' to read it from stdin, or @FILE; it defaults to {}.

    \b
    Examples:
      querylang find Post '{"score": {"$gt": 10}}' --order -score
      querylang find Comment '{"Owner": {"$inQuery": {"where": {"score": 13}, "className": "Post"}}}'
      querylang find Comment '{}' --include Owner --keys text,Owner.title --format json
    """
    if where == "-":
        named = "WHERE_JSON (standard input)"
        text = read_stdin(named)
    elif where.startswith("@"):
        text, named = read_text(Path(where[1:]), "where"), where[1:]
    else:
        text, named = where, "WHERE_JSON"
    if where in ("-", "@" + named) and is_blank(text):  # was "not valid JSON at line 1"
        raise DataError(f"{named}: empty, where WHERE_JSON is a JSON object (Parse's where; {{}} for every record)")
    try:
        doc = jsontext.loads(text, named)
    except json.JSONDecodeError as exc:
        if exc.msg == BOM:  # as a data file's (was "... is not valid JSON at line 1, column 1: starts with ...")
            raise DataError(f"{named}: {BOM}") from None
        raise DataError(f"{named} is not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict):
        raise DataError("WHERE_JSON must be a JSON object (Parse's where), e.g. '{\"score\": {\"$gt\": 10}}'")
    db = open_db(db_path, data_path)
    cls = db.schema.get(class_name)
    # --keys '' alone: the keys always selected, as in Parse; an empty key in a list is refused.
    selected = [] if keys and not "".join(keys).strip() else cli_keys(keys, "--keys")
    opts = {"order": order, "limit": limit, "skip": skip, "count": count,
            "include": cli_keys(include, "--include"), "keys": selected}  # fmt: skip
    result = cancellable(lambda cancel: db.find(cls.name, doc, cancel=cancel, **opts))
    write_records(make_console(), cls, result.records, fmt, count=result.count, selected=selected)


@main.command("compile")
@click.argument("class_name", metavar="CLASS")
@click.argument("script", callback=at_file("filter.js"))
@source_options
@query_options
@click.option("--explain", "explain_it", is_flag=True, help="Also print the database's plan for the query (DuckDB's or PostgreSQL's EXPLAIN).")
def compile_cmd(
    class_name: str,
    script: str,
    db_path: Path | None,
    data_path: Path | None,
    inputs_json: str | None,
    pairs: tuple[str, ...],
    sort: tuple[str, ...],
    limit: int | None,
    skip: int | None,
    count: bool,
    explain_it: bool,
) -> None:
    """Print the SQL and parameters SCRIPT compiles to (and, with --explain, the database's plan).

    SCRIPT is read as for 'query' (text, '-' or @FILE). Nothing is run without --explain.
    With neither --db nor --data the bundled sample dataset's schema is used.
    """
    db = open_db(db_path, data_path)
    inputs = parse_inputs(inputs_json, pairs)
    source = read_script(script)
    check_asks(source, inputs, script)
    plan = db.compile(
        class_name, source, inputs=inputs, sort=cli_sort(sort),
        limit=limit, skip=skip, count=count,
    )  # fmt: skip
    console = make_console()
    print_sql(console, plan.sql, plan.params)
    if plan.count_sql is not None:
        print_sql(console, plan.count_sql, plan.count_params, label="-- count")
    if explain_it:
        opts = {"inputs": inputs, "sort": cli_sort(sort), "limit": limit, "skip": skip, "count": count}
        console.file.write("\n" + explain(db, class_name, source, **opts) + "\n")


@main.command()
@click.argument("file", type=params.HomePath(path_type=Path))
@click.option("--db", "db_path", required=True, type=DbParam(),
              help="The DuckDB database file to load into (made if missing and named *.duckdb, *.db "
                   "or *.ddb), or a PostgreSQL database: postgresql://user@host:port/dbname.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for files over 1 MB, on a terminal).")
def load(file: Path, db_path: Path, progress: bool | None) -> None:
    """Load the JSON interchange FILE, or an interchange directory (schema.json and one
    <Class>.ndjson per class; read a part at a time), into the database --db.

    The load is all or nothing: if any record is bad, nothing is loaded (and a database file
    this command created is removed again). Records add to what the database holds; an
    objectId already stored is an error.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    not_an_export(file, "URL" if is_url(db_path) else shlex.quote(str(db_path)))  # a URL may hold a password
    # A directory's size is its files' (the directory form is for the largest loads).
    size = file.stat().st_size if file.is_file() else sum(p.stat().st_size for p in file.glob("*") if p.is_file())
    errors = make_console(stderr=True)
    show = progress if progress is not None else (errors.is_terminal and size >= PROGRESS_MIN_BYTES)
    bar = Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(), console=errors, disable=not show,
    )  # fmt: skip
    with bar:
        doc: Any = file if file.is_dir() else read_document_with_progress(file, size, bar)
        tasks: dict[str, Any] = {}

        def tell(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                label = "checking records" if stage == "read" else "writing (all or nothing)"
                tasks[stage] = bar.add_task(label, total=total or None, detail="")
            bar.update(tasks[stage], completed=done, detail=f"{done:,}/{total:,}" if total else f"{done:,}")

        def load_into(db: Database) -> dict[str, int]:
            # Read here (for the bar): db.load is told the file, to name a bad record's line.
            return db.load(doc, progress=tell, read_from=None if file.is_dir() else file)

        db, counts = write_into(db_path, load_into, "load failed, nothing was loaded")
        # The load is committed: what closing adds (the text-search words) is no part of it.
        # Named as the report names it: a PostgreSQL URL may hold a password.
        bar.add_task("text-search words", total=None, detail=target_name(db_path))
        words_left = close_written(db, db_path)
    total = sum(counts.values())
    say_committed(f"loaded {plural(total, 'record')} into {target_name(db_path)}: {per_class(counts)}", words_left)


@main.command()
@source_options
@format_option(("table", "json"))
def schema(db_path: Path | None, data_path: Path | None, fmt: str) -> None:
    """List the classes with their record counts, fields and field types.

    With neither --db nor --data the bundled sample dataset is described.
    """
    db = open_db(db_path, data_path)
    counts = class_counts(db)
    console = make_console()
    if fmt == "json":
        console.file.write(dumps(schema_doc(db.schema, counts), indent=2) + "\n")
    else:
        console.print(schema_table(db.schema, counts))


@main.command()
@click.argument("class_name", metavar="CLASS")
@click.argument("object_id", metavar="ID")
@source_options
@click.option("--include", multiple=True, metavar="FIELDS",
              help="Embed the records these Pointer fields point to, one level (comma list, "
                   "repeatable, * = all).")
@format_option(("table", "json"))
def show(
    class_name: str,
    object_id: str,
    db_path: Path | None,
    data_path: Path | None,
    include: tuple[str, ...],
    fmt: str,
) -> None:
    """Show one record of CLASS by objectId.

    A Pointer reads 'User u02': the class and id to give the next 'show'. Each Relation field
    shows how many records it holds ('querylang relation CLASS ID KEY' lists them). JSON: the
    record as queries give it (Pointers as {"__type": "Pointer", "className", "objectId"}).

    \b
    Example:
      querylang show Comment c001 --include Owner,author
    """
    cli_keys(include, "--include")  # an empty key: a usage error, as query's
    db = open_db(db_path, data_path)
    show_record(db, class_name, object_id, include, fmt, prefix="querylang ")


@main.command()
@click.argument("class_name", metavar="CLASS")
@click.argument("object_id", metavar="ID")
@click.argument("key")
@source_options
@click.option("--sort", multiple=True, metavar="KEYS", help="Sort keys, e.g. --sort -createdAt.")
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="Return at most N records.")
@click.option("--skip", type=click.IntRange(min=0), metavar="N", help="Skip the first N records.")
@format_option()
def relation(
    class_name: str,
    object_id: str,
    key: str,
    db_path: Path | None,
    data_path: Path | None,
    sort: tuple[str, ...],
    limit: int | None,
    skip: int | None,
    fmt: str,
) -> None:
    """List the records that record ID of CLASS holds in its Relation field KEY.

    A table shows the first 100 records unless --limit says otherwise; the other formats show
    all of them.

    \b
    Example:
      querylang relation Group g2 posts
    """
    db = open_db(db_path, data_path)
    # Capped as query's table is: a Relation may hold any number of records.
    capped = fmt == "table" and limit is None
    target, title, result, prefer = relation_records(
        db, class_name, object_id, key, sort=cli_sort(sort), limit=TABLE_ROWS + 1 if capped else limit, skip=skip
    )
    records, more = result.records, capped and len(result.records) > TABLE_ROWS
    console = make_console()
    write_records(console, target, records[:TABLE_ROWS] if more else records, fmt, title=title, more=more,
                  prefer=prefer)  # fmt: skip
    if more:
        say_capped(console)


@main.command()
@source_options
@click.option("--class", "class_name", metavar="CLASS", help="Start with this class selected.")
def repl(db_path: Path | None, data_path: Path | None, class_name: str | None) -> None:
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
        click.echo(f"note: {db_path} did not exist: this is a new, empty database (.load FILE fills it; "
                   "if nothing is loaded, the file is removed when the REPL ends)", err=True)  # fmt: skip
    try:
        if class_name is not None:
            class_name = db.schema.get(class_name).name
        hint = "FILE.duckdb" if db_path is None else "URL" if is_url(db_path) else shlex.quote(str(db_path))
        status = run_repl(db, class_name=class_name, db_hint=hint)
    finally:
        if made is not None and not db.schema.classes:
            db.close()
            remove_database_file(made)
    if status:
        sys.exit(status)


@main.command()
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


@main.command()
def demo() -> None:
    """Load the bundled sample data and run the guide's three queries, showing their SQL."""
    from querylang.app.demo import run_demo

    ok = run_demo(click.echo)
    sys.exit(0 if ok else 1)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(args: tuple[str, ...]) -> None:
    """Run the benchmarks (the same as `python -m benchmarks`; `querylang bench --help`).

    Needs a checkout of the project (the benchmarks/ folder beside the package).
    """
    root = Path(__file__).resolve().parents[2]  # querylang/app/cli.py → the checkout
    if not (root / "benchmarks" / "__main__.py").exists():
        raise click.UsageError("the benchmarks/ folder is not here: run from a checkout of querylang")
    sys.path.insert(0, str(root))
    from benchmarks.__main__ import main as bench_main

    sys.exit(bench_main(list(args)))


main.add_command(import_group)
main.add_command(serve)

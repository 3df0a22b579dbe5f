"""The ``querylang`` command: one click command per subcommand, errors handled in one place.

Exit status: 0 success, 2 a user error (bad script, unknown class, bad file: the message, with
the caret view for scripts, goes to stderr), 1 an internal fault, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from querylang import __version__
from querylang.api import Database, Result, connect
from querylang.app.render import (
    FORMATS,
    dumps,
    explain_text,
    make_console,
    print_sql,
    record_doc,
    record_view,
    schema_doc,
    schema_table,
    write_records,
)
from querylang.errors import OBJECT_NOT_FOUND, DataError, QueryError
from querylang.importers.command import import_group
from querylang.model.schema import ClassDef, Field

T = TypeVar("T")
EXIT_USER = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
PROGRESS_MIN_BYTES = 1 << 20  # below this a load is over before a bar could be read


# --- errors, in one place -------------------------------------------------------------------


class QueryLangGroup(click.Group):
    """Turns every exception of a subcommand into an exit status and one message on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except QueryError as err:  # DataError too: every user error is a QueryError
            report_error(err)
            ctx.exit(EXIT_USER)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from complaining
            # about the closed stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(0)
        except Exception as err:
            if os.environ.get("QUERYLANG_DEBUG"):
                raise
            click.echo(
                f"internal error: {type(err).__name__}: {err} (set QUERYLANG_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


def report_error(err: QueryError) -> None:
    # Never re-wrapped to the terminal width: the caret must stay under its column.
    click.echo(click.style("error: ", fg="red", bold=True) + str(err), err=True)


# --- where records come from ----------------------------------------------------------------


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
        type=click.Path(dir_okay=False, path_type=Path),
        help="Load this JSON interchange file into an in-memory database. With neither --db nor "
        "--data: the bundled sample dataset (User, Post, Comment, Group), in memory.",
    )(fn)
    fn = click.option(
        "--db",
        "db_path",
        type=DbParam(),
        help="Open this DuckDB database file (made by 'querylang load'), or a PostgreSQL "
        "database: postgresql://user@host:port/dbname.",
    )(fn)
    return fn


def is_url(db: object) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


class DbParam(click.ParamType):
    """--db: a DuckDB file (a Path) or a PostgreSQL URL (kept as text: a Path folds its //)."""

    name = "FILE|URL"

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, Path) or is_url(value):
            return value
        return click.Path(dir_okay=False, path_type=Path).convert(value, param, ctx)


def open_db(db_path: Path | None, data_path: Path | None, *, read_only: bool = True) -> Database:
    """The database a command works on: a DuckDB file, a JSON file in memory, or the sample."""
    if db_path is not None and data_path is not None:
        raise click.UsageError("give --db or --data, not both")
    if db_path is not None:
        if is_url(db_path):
            ctx = click.get_current_context(silent=True)
            layout = ctx.meta.get(LAYOUT_KEY) if ctx is not None else None
            return connect(str(db_path), read_only=read_only, layout=layout)
        if read_only and not db_path.exists():
            raise DataError(f"no such database file: {db_path}")
        return connect(db_path, read_only=read_only)
    db = connect()
    if data_path is not None:
        db.load(data_path)
    else:
        from querylang.app.demo import sample_document

        db.load(sample_document())
    return db


# --- scripts and inputs ---------------------------------------------------------------------


def read_text(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no such {what} file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None


def read_script(arg: str) -> str | dict[str, Any]:
    """SCRIPT as given: text, ``-`` for stdin, ``@file.js``; a JSON object is a filter object.

    A JSON object with keys is never a valid script (``{"a": 1}`` is a syntax error in
    JavaScript) and ``{}`` means "everything" either way, so reading JSON first is safe.
    """
    if arg == "-":
        return script_or_filter(sys.stdin.read())
    if arg.startswith("@"):
        return script_or_filter(read_text(Path(arg[1:]), "script"))
    return script_or_filter(arg)


def script_or_filter(text: str) -> str | dict[str, Any]:
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return text
        if isinstance(doc, dict):
            return doc
    return text


def input_value(text: str) -> Any:
    """``KEY=VALUE``'s value: JSON when it parses (5, true, null, ["a"]), else the plain string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_pairs(pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="-i/--input")
        out[key.strip()] = input_value(value)
    return out


def parse_inputs(inputs_json: str | None, pairs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if inputs_json is not None:
        text = read_text(Path(inputs_json[1:]), "inputs") if inputs_json.startswith("@") else inputs_json
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--inputs") from None
        if not isinstance(doc, dict):
            raise click.BadParameter("must be a JSON object of input values", param_hint="--inputs")
        out.update(doc)
    out.update(parse_pairs(pairs))
    return out


def parse_sort(values: Sequence[str]) -> list[str] | None:
    keys = [k.strip() for v in values for k in v.split(",") if k.strip()]
    return keys or None


def query_options(fn: Callable[..., T]) -> Callable[..., T]:
    for decorator in reversed(
        [
            click.option("--inputs", "inputs_json", metavar="JSON",
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


# --- running queries so Ctrl-C can stop them ------------------------------------------------


def _wait(cursor: Any, work: Callable[[], T]) -> T:
    """Run ``work`` in a thread; Ctrl-C in the main thread interrupts DuckDB and re-raises.

    DuckDB only looks at a signal after the statement ends, so the statement runs elsewhere
    and the main thread stays free to hear Ctrl-C and call ``cursor.interrupt()``.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            done.set()

    # An Event, not Thread.join: a Ctrl-C that lands inside join() can leave the thread
    # looking finished while it still runs (CPython 3.11).
    threading.Thread(target=target, daemon=True).start()
    try:
        while not done.wait(0.05):
            pass
    except KeyboardInterrupt:
        cursor.interrupt()
        done.wait(5)
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_query(db: Database, q: Any) -> Result:
    """``Database.run`` on a cursor of our own, so that Ctrl-C can interrupt the statement."""
    import duckdb

    from querylang.engines.duckdb.store import decode_row
    from querylang.engines.sql.compiler import compile_query

    if not hasattr(db.store, "con"):  # a server engine: its store cancels statements itself
        return db.run(q)
    plan = compile_query(q, db.schema)
    cls = db.schema.get(q.class_name)
    db.store.ready(plan.words)
    cursor = db.store.con.cursor()
    try:
        rows = [] if q.limit == 0 else _wait(cursor, lambda: cursor.execute(plan.sql, list(plan.params)).fetchall())
        total = None
        if plan.count_sql is not None:
            count_sql = plan.count_sql
            total = _wait(cursor, lambda: cursor.execute(count_sql, list(plan.count_params)).fetchall()[0][0])
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None
    except duckdb.Error as exc:
        raise QueryError(f"the database rejected the query: {exc}", code=1) from exc
    finally:
        cursor.close()
    return Result([decode_row(cls, plan.columns, r) for r in rows], total, plan)


def query_fields(q: Any) -> list[str]:
    """Fields a query filters or sorts on: the columns a narrow table keeps first."""
    from querylang.model.nodes import walk

    names = [key.field for key in q.sort]
    names += [node.field for node in walk(q.where) if isinstance(getattr(node, "field", None), str)]
    return list(dict.fromkeys(name.split(".")[0] for name in names))


def explain_plan(db: Database, sql: str, params: Sequence[Any], words: Any = ()) -> str:
    if not hasattr(db.store, "con"):  # a server engine
        return explain_text(db.store.execute("EXPLAIN " + sql, params, words=words))
    db.store.ready(words)
    cursor = db.store.con.cursor()
    try:
        return explain_text(_wait(cursor, lambda: cursor.execute("EXPLAIN " + sql, list(params)).fetchall()))
    finally:
        cursor.close()


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


# --- records and relations (show, relation; the REPL uses these too) -------------------------


def fetch_record(db: Database, class_name: str, oid: str) -> tuple[ClassDef, dict[str, Any]]:
    cls = db.schema.get(class_name)
    res = db.query(cls.name, {"idEqualTo": oid})
    if not res.records:
        raise QueryError(f"no {cls.name} record with objectId '{oid}'", code=OBJECT_NOT_FOUND)
    return cls, res.records[0]


def relation_filter(cls: ClassDef, oid: str, key: str) -> dict[str, Any]:
    # Through the target class, not the edge table: an edge to a record that is gone is not counted.
    return {"relatedTo": {"id": oid, "key": key, "className": cls.name}}


def relation_counts(db: Database, cls: ClassDef, oid: str) -> dict[str, int]:
    out = {}
    for f in cls.user_fields:
        if f.type == "Relation" and f.target is not None:
            res = db.query(f.target, relation_filter(cls, oid, f.name), limit=0, count=True)
            out[f.name] = res.count or 0
    return out


def relation_field(cls: ClassDef, key: str) -> Field:
    f = cls.field(key)
    if f.type != "Relation" or f.target is None:
        rels = [g.name for g in cls.user_fields if g.type == "Relation"]
        also = f" (its Relation fields: {', '.join(rels)})" if rels else f" ({cls.name} has no Relation fields)"
        raise QueryError(f"{cls.name}.{key} is a {f.type} field, not a Relation{also}")
    return f


def include_fields(cls: ClassDef, names: Sequence[str]) -> list[Field]:
    """The Pointer fields ``--include`` names (comma lists and repeats allowed; ``*`` = all)."""
    wanted = [k.strip() for v in names for k in v.split(",") if k.strip()]
    pointers = [f for f in cls.user_fields if f.type == "Pointer"]
    if "*" in wanted:
        return pointers
    out = []
    for name in dict.fromkeys(wanted):
        f = cls.field(name)
        if f.type != "Pointer":
            names_ = ", ".join(p.name for p in pointers) or "none"
            raise QueryError(f"cannot include {cls.name}.{name}: it is a {f.type}, not a Pointer "
                             f"(Pointer fields: {names_})")
        out.append(f)
    return out


def fetch_includes(
    db: Database, cls: ClassDef, record: Mapping[str, Any], fields: Sequence[Field]
) -> dict[str, tuple[ClassDef, dict[str, Any] | None]]:
    """One level of pointed-to records; a pointer to a record that is gone maps to None."""
    out: dict[str, tuple[ClassDef, dict[str, Any] | None]] = {}
    for f in fields:
        oid = record.get(f.name)
        if not isinstance(oid, str) or f.target is None:
            continue
        target = db.schema.get(f.target)
        res = db.query(target.name, {"idEqualTo": oid})
        out[f.name] = (target, res.records[0] if res.records else None)
    return out


def show_record(
    db: Database, class_name: str, oid: str, include: Sequence[str], fmt: str, *, prefix: str
) -> None:
    cls, record = fetch_record(db, class_name, oid)
    counts = relation_counts(db, cls, record["objectId"])
    included = fetch_includes(db, cls, record, include_fields(cls, include))
    console = make_console()
    if fmt == "json":
        console.file.write(dumps(record_doc(cls, record, counts, included), indent=2) + "\n")
    else:
        console.print(record_view(cls, record, counts, included, prefix=prefix))


def relation_records(
    db: Database, class_name: str, oid: str, key: str, **kw: Any
) -> tuple[ClassDef, str, Result, list[str]]:
    """The records in ``class_name``/``oid``'s Relation ``key``: target class, title, result and
    the fields the query names (for :func:`render.write_records`'s ``prefer``)."""
    cls, record = fetch_record(db, class_name, oid)
    f = relation_field(cls, key)
    target = db.schema.get(str(f.target))
    q = db.build(target.name, relation_filter(cls, record["objectId"], f.name), **kw)
    title = f"{cls.name} {record['objectId']} · {f.name} → {target.name}"
    return target, title, run_query(db, q), query_fields(q)


def class_counts(db: Database) -> dict[str, int]:
    return {name: db.query(name, None, limit=0, count=True).count or 0 for name in db.schema.classes}


# --- the commands ---------------------------------------------------------------------------


@click.group(cls=QueryLangGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="querylang")
def main() -> None:
    """querylang: Noodl / Parse record queries, compiled to SQL over DuckDB.

    A query is a filter script, as in Noodl's Query Records node:

    \b
      querylang query Post "where({ score: { greaterThan: 5 } })"
      querylang query Comment "where({ Owner: { pointsTo: Inputs.Post } })" -i Post=p015

    Records come from --db FILE.duckdb (made by 'querylang load'), from --data FILE.json (an
    interchange file, loaded into memory) or, with neither, from the bundled sample dataset
    (User, Post, Comment, Group) in memory, so every command works out of the box.

    Exit status: 0 success, 2 user error (bad script, unknown class, bad file; message on
    stderr), 1 internal error.
    """


@main.command()
@click.argument("class_name", metavar="CLASS")
@click.argument("script")
@source_options
@query_options
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
    fmt: str,
) -> None:
    """Run filter SCRIPT against CLASS and print the records.

    SCRIPT is the filter script text, '-' to read it from stdin, or @FILE to read it from a
    file; a JSON filter object ('{"score": {"greaterThan": 5}}') works too.

    \b
    Examples:
      querylang query Post "where({ score: { greaterThan: 5 } }); sort(['-score'])"
      querylang query Comment "where({ Owner: { pointsTo: Inputs.Post } })" -i Post=p015
      querylang query Post @filter.js --db app.duckdb --limit 10 --count --format json

    With neither --db nor --data the bundled sample dataset is queried.
    """
    db = open_db(db_path, data_path)
    inputs = parse_inputs(inputs_json, pairs)
    q = db.build(
        class_name, read_script(script), inputs=inputs, sort=parse_sort(sort),
        limit=limit, skip=skip, count=count,
    )  # fmt: skip
    result = run_query(db, q)
    write_records(
        make_console(), db.schema.get(q.class_name), result.records, fmt,
        count=result.count, prefer=query_fields(q),
    )  # fmt: skip


@main.command("compile")
@click.argument("class_name", metavar="CLASS")
@click.argument("script")
@source_options
@query_options
@click.option("--explain", is_flag=True, help="Also print DuckDB's plan for the query.")
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
    explain: bool,
) -> None:
    """Print the SQL and parameters SCRIPT compiles to (and, with --explain, DuckDB's plan).

    SCRIPT is read as for 'query' (text, '-' or @FILE). Nothing is run without --explain.
    With neither --db nor --data the bundled sample dataset's schema is used.
    """
    db = open_db(db_path, data_path)
    inputs = parse_inputs(inputs_json, pairs)
    plan = db.compile(
        class_name, read_script(script), inputs=inputs, sort=parse_sort(sort),
        limit=limit, skip=skip, count=count,
    )  # fmt: skip
    console = make_console()
    print_sql(console, plan.sql, plan.params)
    if plan.count_sql is not None:
        print_sql(console, plan.count_sql, plan.count_params, label="-- count")
    if explain:
        console.file.write("\n" + explain_plan(db, plan.sql, plan.params, plan.words) + "\n")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_path", required=True, type=DbParam(),
              help="The DuckDB database file to load into (created if missing).")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar (default: for files over 1 MB, on a terminal).")
def load(file: Path, db_path: Path, progress: bool | None) -> None:
    """Load the JSON interchange FILE into the DuckDB database --db.

    The load is all or nothing: if any record is bad, nothing is loaded (and a database file
    this command created is removed again). Records add to what the database holds; an
    objectId already stored is an error.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    size = file.stat().st_size if file.is_file() else 0
    errors = make_console(stderr=True)
    show = progress if progress is not None else (errors.is_terminal and size >= PROGRESS_MIN_BYTES)
    bar = Progress(
        TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(), console=errors, disable=not show,
    )  # fmt: skip
    existed = is_url(db_path) or db_path.exists()
    with bar:
        doc = read_document_with_progress(file, size, bar)
        task = bar.add_task("loading (all or nothing)", total=None, detail=str(db_path))
        db = None
        try:
            db = connect(str(db_path) if is_url(db_path) else db_path)
            counts = db.load(doc)
            db.close()
        except BaseException:
            if db is not None:
                db.close()
            if not existed:
                for leftover in (db_path, db_path.with_name(db_path.name + ".wal")):
                    leftover.unlink(missing_ok=True)
            raise
        bar.update(task, total=1, completed=1)
    total = sum(counts.values())
    per_class = ", ".join(f"{name} {n}" for name, n in counts.items()) or "no records"
    click.echo(f"loaded {total} records into {db_path}: {per_class}")


def read_document_with_progress(path: Path, size: int, bar: Any) -> dict[str, Any]:
    """The interchange document, read in chunks so the bar moves; messages as data.read_document."""
    mb = size / 1e6
    task = bar.add_task(f"reading {path.name}", total=size or None, detail=f"0.0/{mb:.1f} MB")
    chunks = []
    done = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                chunks.append(chunk)
                done += len(chunk)
                bar.update(task, completed=done, detail=f"{done / 1e6:.1f}/{mb:.1f} MB")
        text = b"".join(chunks).decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"no such data file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read: {exc}") from None
    parsing = bar.add_task("parsing JSON", total=None, detail="")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    bar.update(parsing, total=1, completed=1)
    if not isinstance(doc, dict):
        raise DataError(f"{path}: the top level must be an object with 'classes', 'records', 'relations'")
    return doc


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
              help="Embed the records these Pointer fields point to (comma list, repeatable, * = all).")
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
    shows how many records it holds ('querylang relation CLASS ID KEY' lists them). The JSON
    form uses Parse's shapes: {"__type": "Pointer", "className": ..., "objectId": ...}.

    \b
    Example:
      querylang show Comment c001 --include Owner,author
    """
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

    \b
    Example:
      querylang relation Group g2 posts
    """
    db = open_db(db_path, data_path)
    target, title, result, prefer = relation_records(
        db, class_name, object_id, key, sort=parse_sort(sort), limit=limit, skip=skip
    )
    write_records(make_console(), target, result.records, fmt, title=title, prefer=prefer)


@main.command()
@source_options
@click.option("--class", "class_name", metavar="CLASS", help="Start with this class selected.")
def repl(db_path: Path | None, data_path: Path | None, class_name: str | None) -> None:
    """Interactive shell: type filter scripts, see tables. Type .help inside.

    Enter runs the script once its brackets close (Esc Enter adds a line anyway; Enter on a
    blank line runs it as is); Tab completes; Ctrl-C cancels the input or a running query;
    Ctrl-D quits. History is kept in ~/.querylang_history
    (or $QUERYLANG_HISTORY). With --db the file is opened for writing, so .load can add to it;
    with neither --db nor --data the bundled sample dataset is loaded.
    """
    from querylang.app.repl import run_repl

    db = open_db(db_path, data_path, read_only=False)
    if class_name is not None:
        class_name = db.schema.get(class_name).name
    run_repl(db, class_name=class_name)


@main.command()
@click.option("--db", "db_url", required=True, metavar="URL",
              help="A Parse Server's PostgreSQL database: postgresql://user@host:port/dbname.")
def doctor(db_url: str) -> None:
    """What a Parse Server database lacks for querylang's queries, as SQL to run.

    Reads the database in place (read-only) and prints the CREATE INDEX statements for the
    lookups querylang's queries make that Parse's own indexes do not serve (Pointer columns,
    the owner column of each Relation's _Join table), and, as comments, the fields that cannot
    be queried in place. Run the statements as the database owner (CONCURRENTLY: writes go on).
    """
    if not is_url(db_url):
        raise click.UsageError("--db must be a postgresql:// URL of a Parse Server database")
    db = connect(db_url, layout="parse")
    try:
        for note in db.notes:
            click.echo(f"-- {note}")
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
    root = Path(__file__).resolve().parent.parent
    if not (root / "benchmarks" / "__main__.py").exists():
        raise click.UsageError("the benchmarks/ folder is not here: run from a checkout of querylang")
    sys.path.insert(0, str(root))
    from benchmarks.__main__ import main as bench_main

    sys.exit(bench_main(list(args)))


main.add_command(import_group)

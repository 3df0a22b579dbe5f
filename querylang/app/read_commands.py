"""The commands that read records: query, find, compile, schema, show and relation."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.text import Text

from querylang.app.commands import (
    cancellable,
    check_asks,
    class_counts,
    explain,
    left_out,
    operator_objects,
    query_fields,
    read_script,
    read_stdin,
    read_text,
    relation_records,
    run_query,
    script_file_named,
    show_record,
    undefined_input,
)
from querylang.app.params import (
    CLASS_EXAMPLE,
    RELATION_ID_EXAMPLE,
    RELATION_KEY_EXAMPLE,
    SCRIPT_EXAMPLE,
    SHOW_ID_EXAMPLE,
    at_file,
    cli_keys,
    cli_order,
    cli_sort,
    json_object,
    parse_inputs,
)
from querylang.app.render import (
    FORMATS,
    HINT_STYLE,
    dumps,
    make_console,
    print_sql,
    schema_doc,
    schema_table,
    write_records,
    write_stream,
)
from querylang.app.sources import open_db, source_options, source_words
from querylang.errors import DataError

T = TypeVar("T")
TABLE_ROWS = 100  # records a table shows without --limit
WHERE_EXPECTED = "a JSON object is expected (Parse's where; {} for every record)"
# What a where that is no JSON most often is: a filter script (where(...)), or an object whose
# keys lack their double quotes (written as JavaScript, or typed bare and the shell took them).
_A_SCRIPT = re.compile(r"\s*[A-Za-z_$][\w$]*\s*\(")
_BARE_KEY = re.compile(r"\s*\{\s*[A-Za-z_$][\w$.]*\s*:")


def where_mistake(text: str, class_name: str, given: str, then: str = "") -> str | None:
    """A hint for find's WHERE_JSON that is not JSON, when it looks like one of the usual
    mistakes; ``given``: the argument as typed (text, -, @FILE), for the command to run instead,
    ``then`` the source options it repeats (without them it read the bundled sample)."""
    if _A_SCRIPT.match(text):
        return (f"that is a filter script: run it with querylang query {shlex.quote(class_name)} {shlex.quote(given)}{then}; "
                "WHERE_JSON is Parse's where, e.g. '{\"score\": {\"$gt\": 10}}'")
    if _BARE_KEY.match(text):
        return ("JSON writes each key in double quotes, '{\"score\": 5}'; in a shell, put WHERE_JSON in single "
                "quotes: unquoted, the shell takes its double quotes away, and each $name")
    return None


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


def include_select_options(fn: Callable[..., T]) -> Callable[..., T]:
    fn = click.option("--select", "select", multiple=True, metavar="FIELDS",
                      help="Only these fields (comma list, repeatable; a.b selects inside an "
                           "included a), plus objectId, createdAt and updatedAt.")(fn)  # fmt: skip
    fn = click.option("--include", "include", multiple=True, metavar="FIELDS",
                      help="Embed the records these Pointer fields point to, and those each "
                           "Pointer in these Array fields points to (comma list, repeatable, "
                           "dotted paths follow them: Owner.author; * = every Pointer and Array field).")(fn)  # fmt: skip
    return fn


@click.command()
@click.argument("class_name", metavar="CLASS", type=CLASS_EXAMPLE)
@click.argument("script", type=SCRIPT_EXAMPLE, callback=at_file("filter.js"))
@source_options
@query_options
@include_select_options
@format_option()
def query(
    class_name: str,
    script: str,
    db_path: Path | None,
    data_path: str | None,
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
    with script_file_named(script):
        opts = {"inputs": inputs, "sort": cli_sort(sort)}
        cls = db.schema.get(class_name)
        prefer = query_fields(db, cls.name, source, **opts)  # user errors before any output
        check_asks(source, inputs, script)
        if (said := undefined_input(db, cls.name, source, **opts)) is not None:
            sys.stderr.write(left_out(said, "-i KEY=VALUE or --inputs gives one") + "\n")
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


@click.command()
@click.argument("class_name", metavar="CLASS", type=CLASS_EXAMPLE)
# In brackets, as click writes an optional argument (its metavar given, click adds none).
@click.argument("where", metavar="[WHERE_JSON]", default="{}", callback=at_file("where.json"))
@source_options
@click.option("--order", metavar="KEYS", callback=cli_order, help="Parse's order, e.g. --order -score,title.")
@click.option("--limit", type=click.IntRange(min=0), metavar="N",
              help="Return at most N records (default 100, as Parse's REST API).")
@click.option("--skip", type=click.IntRange(min=0), metavar="N", help="Skip the first N records.")
@click.option("--count", is_flag=True, help="Also report how many records match.")
@click.option("--include", multiple=True, metavar="FIELDS",
              help="Embed the records these Pointer fields (and the Pointers in these Array "
                   "fields) point to (comma list, repeatable).")
@click.option("--keys", multiple=True, metavar="FIELDS", help="Only these fields (Parse's keys).")
@format_option()
def find(
    class_name: str,
    where: str,
    db_path: Path | None,
    data_path: str | None,
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
    try:
        doc = json_object(text, named, WHERE_EXPECTED, "a JSON object (Parse's where), e.g. '{\"score\": {\"$gt\": 10}}'")
    except DataError as exc:
        exc.hint = exc.hint or where_mistake(text, class_name, where, source_words(db_path, data_path))
        raise
    db = open_db(db_path, data_path)
    cls = db.schema.get(class_name)
    # --keys '' alone: the keys always selected, as in Parse; an empty key in a list is refused.
    selected = [] if keys and not "".join(keys).strip() else cli_keys(keys, "--keys")
    opts = {"order": order, "limit": limit, "skip": skip, "count": count,
            "include": cli_keys(include, "--include"), "keys": selected}  # fmt: skip
    result = cancellable(lambda cancel: db.find(cls.name, doc, cancel=cancel, **opts))
    write_records(make_console(), cls, result.records, fmt, count=result.count, selected=selected)
    for note in operator_objects(doc):
        click.echo(note, err=True)


@click.command("compile")
@click.argument("class_name", metavar="CLASS", type=CLASS_EXAMPLE)
@click.argument("script", type=SCRIPT_EXAMPLE, callback=at_file("filter.js"))
@source_options
@query_options
@click.option("--explain", "explain_it", is_flag=True, help="Also print the database's plan for the query (DuckDB's or PostgreSQL's EXPLAIN).")
def compile_cmd(
    class_name: str,
    script: str,
    db_path: Path | None,
    data_path: str | None,
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
    with script_file_named(script):
        # Compiled first, as query builds first: a script's own error (and its hint) before
        # the refusal of one that asks for no query.
        plan = db.compile(
            class_name, source, inputs=inputs, sort=cli_sort(sort),
            limit=limit, skip=skip, count=count,
        )  # fmt: skip
        check_asks(source, inputs, script)
    console = make_console()
    print_sql(console, plan.sql, plan.params)
    if plan.count_sql is not None:
        print_sql(console, plan.count_sql, plan.count_params, label="-- count")
    if explain_it:
        opts = {"inputs": inputs, "sort": cli_sort(sort), "limit": limit, "skip": skip, "count": count}
        with script_file_named(script):
            plan_text = explain(db, class_name, source, **opts)
        console.file.write("\n" + plan_text + "\n")


@click.command()
@source_options
@format_option(("table", "json"))
def schema(db_path: Path | None, data_path: str | None, fmt: str) -> None:
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


@click.command()
@click.argument("class_name", metavar="CLASS", type=CLASS_EXAMPLE)
@click.argument("object_id", metavar="ID", type=SHOW_ID_EXAMPLE)
@source_options
@click.option("--include", multiple=True, metavar="FIELDS",
              help="Embed the records these Pointer fields (and the Pointers in these Array "
                   "fields) point to, one level (comma list, repeatable, * = all).")
@format_option(("table", "json"))
def show(
    class_name: str,
    object_id: str,
    db_path: Path | None,
    data_path: str | None,
    include: tuple[str, ...],
    fmt: str,
) -> None:
    """Show one record of CLASS by objectId.

    A Pointer reads 'User u02': the class and id to give the next 'show'. Each Relation field
    shows how many records it holds ('querylang relation CLASS ID KEY' lists them), and an
    Array that holds Pointers is embedded by this show with --include FIELD. The lines under
    the table are those commands, with this command's --db, --data and --layout.

    --format json writes the record in Parse's REST shape, not as 'query' writes it: its
    "className", each Pointer as {"__type": "Pointer", "className", "objectId"} (an included
    one as {"__type": "Object", ...} with its fields), each Relation as {"__type":
    "Relation", "className", "count"}.

    \b
    Example:
      querylang show Comment c001 --include Owner,author
    """
    cli_keys(include, "--include")  # an empty key: a usage error, as query's
    db = open_db(db_path, data_path)
    show_record(db, class_name, object_id, include, fmt, prefix="querylang ", then=source_words(db_path, data_path))


@click.command()
@click.argument("class_name", metavar="CLASS", type=CLASS_EXAMPLE)
@click.argument("object_id", metavar="ID", type=RELATION_ID_EXAMPLE)
@click.argument("key", type=RELATION_KEY_EXAMPLE)
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
    data_path: str | None,
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

"""Output shared by the command and the REPL: rich tables, JSON, JSON lines, CSV.

Records arrive as the library returns them (pointers as id strings, dates as ISO strings,
absent fields missing, explicit nulls kept). Every value is turned into a rich ``Text`` before
it reaches a table: a plain ``str`` would be read as console markup, and a title such as
``[draft] notes`` must print as written.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shlex
import sys
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from querylang.errors import CONTROLS, Unreadable, unread_reasons
from querylang.model.jsvalues import js_integral, num_str
from querylang.model.schema import BUILTIN_FIELDS, ClassDef, Field, Schema
from querylang.model.values import base64_size

FORMATS = ("table", "json", "jsonl", "csv")
ABSENT_STYLE = "dim"
POINTER_STYLE = "cyan"
HINT_STYLE = "dim"


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits with status 1 here; a reader that went away (`| head`) is no fault, and
        # the command's error handler stops quietly with status 0 (as the other formats do).
        self.quiet = True
        raise BrokenPipeError


def make_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr) that never guesses markup or numbers in our text."""
    return _Console(stderr=stderr, highlight=False, emoji=False, soft_wrap=False)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- values ---------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Plain JSON data for a value the library or DuckDB handed us (SQL parameters included)."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and js_integral(value):
        # Written as JavaScript and Parse Server write it: json writes 9007199254740992.0 and
        # 1e+20; the int of JavaScript's digits is written as those digits.
        return int(num_str(value))
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# Where json wrote a double otherwise than JavaScript: a negative exponent (json's 1e-05 and
# 1.5e-07 are JavaScript's 0.00001 and 1.5e-7; every other non-integral double they write
# alike). The search is led by a literal the engine looks for fast; found in a string too
# (rare), it costs only the pass over the tokens, which leaves every string as it is.
_NEGATIVE_EXPONENT = re.compile(r"e-\d")
_STRING_OR_EXPONENT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|-?\d(?:\.\d+)?e-\d+')


# What json writes otherwise than JavaScript: .0 ending a number, an exponent from +16 to +20,
# a negative one (or the same text in a string: written again, to the same text).
_PYTHONS_NUMBER = re.compile(r"\.0[,}\]\n]|e\+(?:1[6-9]|20)|e-\d")


def dumps(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text, every number as JavaScript (so Parse Server) writes it."""
    text = json.dumps(jsonable(value), ensure_ascii=False, indent=indent)
    if _NEGATIVE_EXPONENT.search(text) is None:
        return text
    return _STRING_OR_EXPONENT.sub(_js_number, text)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """JSON data as the records hold it (an Object, an Array) as dumps writes it, sooner: json's
    text, unless that holds a double json writes otherwise than JavaScript (5.0 and -0.0,
    1.152921504606847e+18, 1e-05), when it is written again by dumps."""
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return text if _PYTHONS_NUMBER.search(text) is None else dumps(value, indent=indent)


def _js_number(token: re.Match[str]) -> str:
    text = token.group()
    return text if text.startswith('"') else num_str(float(text))



def visible(text: str) -> str:
    """``text`` with the control characters that could drive a terminal shown as ``\\x1b``.

    For the human renderings only (tables, a record's view): JSON, JSON lines and CSV keep
    every value exact."""
    return text.translate(CONTROLS)  # Rich drops only a few of them by itself


def value_text(field: Field | None, value: Any) -> str:
    """One value as a short, unambiguous string (JavaScript spelling for literals)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if field is not None and field.type == "GeoPoint" and isinstance(value, Mapping):
        return f"{value.get('latitude')}, {value.get('longitude')}"
    if field is not None and isinstance(value, Mapping) and field.type in PARSE_TYPE_TEXT:
        return PARSE_TYPE_TEXT[field.type](value)
    if isinstance(value, float):
        return num_str(value)
    if isinstance(value, int):
        return json.dumps(value)
    if isinstance(value, str):
        return value
    return json_text(value)


def _acl_text(acl: Mapping[str, Any]) -> str:
    """``*: r, u1: rw, role:Admin: w``: who may read (r) and write (w)."""
    parts = []
    for who, perms in acl.items():
        rights = ("r" if perms.get("read") else "") + ("w" if perms.get("write") else "")
        parts.append(f"{who}: {rights or '-'}")
    return ", ".join(parts) or "(nobody)"


def _bytes_text(value: Mapping[str, Any]) -> str:
    size = base64_size(str(value.get("base64", "")))
    return f"{size} byte{'' if size == 1 else 's'}"


# Parse's own types in a table cell: short, and the JSON formats show them whole.
PARSE_TYPE_TEXT = {
    "File": lambda v: str(v.get("name")),
    "Polygon": lambda v: f"Polygon, {len(v.get('coordinates') or [])} points",
    "Bytes": _bytes_text,
    "ACL": _acl_text,
}


def cell(field: Field | None, record: Mapping[str, Any], name: str) -> Text:
    if name not in record:
        return Text("")
    value = record[name]
    if value is None:
        return Text("null", style=ABSENT_STYLE)
    style = POINTER_STYLE if field is not None and field.type == "Pointer" else ""
    if style and isinstance(value, Mapping):
        # An included record: its id, then the fields it was included for. Its JSON starts
        # with __type, className and the dates, which filled the column with nothing to read
        # and made it too wide to show at all.
        own = {k: v for k, v in value.items() if k not in ("__type", "className", *BUILTIN_FIELDS)}
        text = str(value.get("objectId")) + (f" {dumps(own)}" if own else "")
        return Text(visible(text), style=style)
    return Text(visible(value_text(field, value)), style=style)


def type_label(field: Field) -> str:
    return f"{field.type} → {field.target}" if field.target else field.type


# --- record lists ---------------------------------------------------------------------------


def record_fields(cls: ClassDef, selected: Sequence[str] | None = None) -> list[Field]:
    """Columns of a record list: objectId, the class's own fields, then the two dates.

    ``selected`` (``--select``/``--keys``, dotted paths allowed) keeps only the fields named, as
    the records do: a column for a field left out would read as a field without a value."""
    own = [f for f in cls.user_fields if f.type != "Relation"]
    if selected is not None:
        heads = {key.split(".")[0] for key in selected}
        own = [f for f in own if f.name in heads]
    return [cls.fields["objectId"], *own, cls.fields["createdAt"], cls.fields["updatedAt"]]


# Widest a column gets in a table before its values are cut with an ellipsis.
COLUMN_CAPS = {
    "String": 24, "Array": 24, "Object": 28, "Pointer": 28, "GeoPoint": 20, "Number": 14, "Boolean": 5,
    "Polygon": 20, "File": 24, "Bytes": 14, "ACL": 28,
}  # fmt: skip


def table_fields(cls: ClassDef, records: Sequence[Mapping[str, Any]]) -> list[Field]:
    """Fields some record has (updatedAt only where it differs from createdAt): a CSV keeps every
    column for a stable header, a table on a terminal has no room to spare."""
    shown = []
    for f in record_fields(cls):
        if f.name == "updatedAt" and all(r.get("updatedAt") == r.get("createdAt") for r in records):
            continue
        if f.name in BUILTIN_FIELDS or any(f.name in r for r in records):
            shown.append(f)
    return shown


def header(field: Field) -> Text:
    if field.type == "Pointer":
        return Text.assemble(field.name, (f" → {field.target}", HINT_STYLE))
    return Text(field.name)


def fit_columns(
    fields: Sequence[Field],
    cells: Mapping[str, Sequence[Text]],
    width: int,
    prefer: Sequence[str] = (),
) -> tuple[list[Field], dict[str, int]]:
    """The columns that fit in ``width`` (each at its capped natural width) and those widths.

    objectId comes first, then the fields the query names (``prefer``), then the rest in
    schema order; the columns kept are shown in schema order.
    """
    widths = {}
    for f in fields:
        natural = max([0, *(c.cell_len for c in cells[f.name])])
        if f.name != "objectId":
            natural = min(natural, COLUMN_CAPS.get(f.type, natural))
        widths[f.name] = max(natural, header(f).cell_len)
    by_name = {f.name: f for f in fields}
    order = ["objectId", *(p for p in prefer if p in by_name), *by_name]
    kept: set[str] = set()
    used = -1  # a column is its width, a space either side and a separator; no outer edges
    for name in dict.fromkeys(order):
        need = widths[name] + 3
        if kept and used + need > width:
            break  # the columns kept stay a prefix of the priority order, which reads predictably
        kept.add(name)
        used += need
    return [f for f in fields if f.name in kept], widths


def records_table(
    cls: ClassDef,
    records: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    width: int | None = None,
    prefer: Sequence[str] = (),
) -> tuple[Table, list[str]]:
    """A table of records and the names of the columns left out for want of width."""
    fields = table_fields(cls, records)
    cells = {f.name: [cell(f, r, f.name) for r in records] for f in fields}
    kept, widths = fit_columns(fields, cells, width or 10_000, prefer)
    table = Table(
        title=visible(title) if title else title, box=box.SIMPLE_HEAVY, show_edge=False, title_justify="left",
        header_style="bold",
    )
    for f in kept:
        table.add_column(
            header(f),
            justify="right" if f.type == "Number" else "left",
            no_wrap=True,
            overflow="ellipsis",
            max_width=widths[f.name],
        )
    for i in range(len(records)):
        table.add_row(*(cells[f.name][i] for f in kept))
    return table, [f.name for f in fields if f not in kept]


def summary(shown: int, total: int | None = None, *, more: bool = False, ms: float | None = None) -> str:
    """The line under a result: how many records, of how many, and how long it took."""
    if total is not None and total != shown:
        text = f"{plural(shown, 'record')} shown of {total} matching"
    elif total is not None:
        text = f"{plural(shown, 'record')} (count {total})"
    else:
        text = plural(shown, "record")
    if more:
        text += " (more not shown)"
    if ms is not None:
        text += f" in {ms:.1f} ms"
    return text


JSON_IN_CSV = frozenset({"GeoPoint", *PARSE_TYPE_TEXT})


def csv_text(cls: ClassDef, records: Iterable[Mapping[str, Any]], selected: Sequence[str] | None = None) -> str:
    """CSV with every column (or the selected ones); absent and null are both empty, arrays and
    objects are JSON."""
    buf = io.StringIO()
    write_csv(buf, cls, records, selected)
    return buf.getvalue()


def write_csv(
    out: Any, cls: ClassDef, records: Iterable[Mapping[str, Any]], selected: Sequence[str] | None = None
) -> int:
    """:func:`csv_text` written to ``out`` as the records come; returns how many."""
    fields = record_fields(cls, selected)
    writer = csv.writer(out, lineterminator="\n")
    # The first record is read before the header is written: a stream checks its query (a
    # --select of a field the class lacks) when it starts, and its error left a header behind.
    them = iter(records)
    first = next(them, None)
    writer.writerow([f.name for f in fields])
    n = 0
    for rec in them if first is None else itertools.chain((first,), them):
        # A GeoPoint (and Parse's own types) stay JSON here: "lat, lng" would be one more thing
        # for a reader to parse. An included record (a dict in a Pointer field) is JSON as well.
        writer.writerow(
            ["" if rec.get(f.name) is None else value_text(None if f.type in JSON_IN_CSV else f, rec[f.name])
             for f in fields]
        )
        n += 1
    return n


def write_stream(
    out: Any, cls: ClassDef, records: Iterable[Mapping[str, Any]], fmt: str, selected: Sequence[str] | None = None
) -> int:
    """Records in ``jsonl`` or ``csv`` written as they come (memory stays bounded); returns how many."""
    if fmt == "csv":
        n = write_csv(out, cls, records, selected)
    elif fmt == "jsonl":
        n = 0
        for rec in records:
            out.write(dumps(rec) + "\n")
            n += 1
    else:
        raise ValueError(f"{fmt!r} is not a streamed format")
    out.flush()
    return n


def write_records(
    console: Console,
    cls: ClassDef,
    records: Sequence[Mapping[str, Any]],
    fmt: str,
    *,
    count: int | None = None,
    title: str | None = None,
    more: bool = False,
    ms: float | None = None,
    prefer: Sequence[str] = (),
    hidden_hint: str = "--format json shows every field",
    selected: Sequence[str] | None = None,
) -> None:
    """Print records in one of FORMATS. Machine formats go to the console's file unwrapped."""
    out = console.file
    if fmt == "table":
        hidden: list[str] = []
        if records:
            table, hidden = records_table(cls, records, title=title, width=console.width, prefer=prefer)
            console.print(table)
        elif title:
            console.print(Text(visible(title)))
        console.print(Text(summary(len(records), count, more=more, ms=ms), style=HINT_STYLE))
        if hidden:
            console.print(
                Text(f"not shown for want of width: {', '.join(hidden)} ({hidden_hint})", style=HINT_STYLE)
            )
    elif fmt == "json":
        doc: Any = list(records) if count is None else {"results": list(records), "count": count}
        out.write(dumps(doc, indent=2) + "\n")
    elif fmt == "jsonl":
        for rec in records:
            out.write(dumps(rec) + "\n")
    elif fmt == "csv":
        out.write(csv_text(cls, records, selected))
    else:  # pragma: no cover - click's Choice guards this
        raise ValueError(f"unknown format {fmt!r}")
    out.flush()
    if count is not None and fmt in ("jsonl", "csv"):
        # Those formats have no place for a total that keeps them machine-readable.
        sys.stderr.write(f"count: {count}\n")


# --- one record -----------------------------------------------------------------------------


def record_doc(
    cls: ClassDef,
    record: Mapping[str, Any],
    relation_counts: Mapping[str, Count],
    included: Mapping[str, tuple[ClassDef, Mapping[str, Any] | None]] | None = None,
) -> dict[str, Any]:
    """One record in Parse's REST shape: pointers and relations as ``__type`` objects naming their
    class, included pointers as ``{"__type": "Object", "className": ...}``."""
    included = included or {}
    out: dict[str, Any] = {"className": cls.name}
    for f in cls.fields.values():
        if f.type == "Relation":
            out[f.name] = {"__type": "Relation", "className": f.target, "count": count_json(relation_counts.get(f.name, 0))}
            continue
        if f.name not in record:
            continue
        value = record[f.name]
        if f.type == "Pointer" and isinstance(value, str):
            hit = included.get(f.name)
            if hit is not None and hit[1] is not None:
                out[f.name] = {"__type": "Object", **_pointer_objects(hit[0], hit[1])}
            else:
                out[f.name] = {"__type": "Pointer", "className": f.target, "objectId": value}
        else:
            out[f.name] = value
    return out


def _pointer_objects(cls: ClassDef, record: Mapping[str, Any]) -> dict[str, Any]:
    """An included record with its own pointers in the same Parse shape as the top level's."""
    out: dict[str, Any] = {"className": cls.name}
    for name, value in record.items():
        f = cls.fields.get(name)
        if f is not None and f.type == "Pointer" and isinstance(value, str):
            out[name] = {"__type": "Pointer", "className": f.target, "objectId": value}
        else:
            out[name] = value
    return out


def array_doc(schema: Schema, value: Any) -> Any:
    """An Array whose Pointers include embedded: each embedded record with its own pointers in
    the Parse shape, as an included Pointer's (an Array inside it too)."""
    if isinstance(value, list):
        return [array_doc(schema, e) for e in value]
    if isinstance(value, Mapping) and value.get("__type") == "Object" and value.get("className") in schema.classes:
        return {"__type": "Object", **_pointer_objects(schema.get(value["className"]), value)}
    return value


# Characters of one value a record's table shows. Folded into lines of the terminal's width, a
# value of megabytes (a picture kept as base64 text) took minutes to draw, screens nobody reads.
SHOWN_CHARS = 20_000


def _cut(text: Text, whole: str) -> Text:
    """A value's cell cut at SHOWN_CHARS, saying its length and how to see it whole (``whole``:
    the format option of the command or the REPL)."""
    if len(text.plain) <= SHOWN_CHARS:
        return text
    out = Text(text.plain[:SHOWN_CHARS] + "…", style=text.style)
    out.append(f" ({len(text.plain):,} characters: {whole} shows the whole value)", style=HINT_STYLE)
    return out


def _fields_grid(cls: ClassDef, record: Mapping[str, Any], whole: str) -> Table:
    grid = Table(box=None, show_header=False, padding=(0, 1, 0, 0))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for f in record_fields(cls):
        if f.name in record:
            grid.add_row(Text(f.name), _cut(cell(f, record, f.name), whole))
    return grid


def record_view(
    cls: ClassDef,
    record: Mapping[str, Any],
    relation_counts: Mapping[str, Count],
    included: Mapping[str, tuple[ClassDef, Mapping[str, Any] | None]] | None = None,
    *,
    prefix: str = "querylang ",
    then: str = "",
    embedded: Collection[str] = (),
) -> RenderableType:
    """One record as field / type / value rows. A pointer reads ``User u02`` and a relation
    ``3 records``: what to type after ``show`` or ``relation`` to follow it, listed underneath,
    each line ending in ``then`` (the command's --db or --data, already quoted); an Array that
    holds Pointers, the same show embedding them (unless ``embedded`` names it: it did)."""
    included = included or {}
    whole = ".format json" if prefix == "." else "--format json"  # the REPL's, or the command's
    oid = record["objectId"]
    table = Table(
        title=visible(f"{cls.name} {oid}"), title_justify="left", box=box.SIMPLE_HEAVY, show_edge=False,
        header_style="bold",
    )  # fmt: skip
    # A field name or type too long for one line folds: unwrappable, they took the whole width
    # and the value column was dropped.
    table.add_column("field", overflow="fold")
    table.add_column("type", overflow="fold", style=HINT_STYLE)
    table.add_column("value", overflow="fold")
    # Lines to type, in a shell or the REPL (which splits its commands as a shell does): an id
    # is quoted, so one with a space, a quote or a '$(...)' is passed whole and runs nothing.
    follow: list[str] = []
    fields = [cls.fields["objectId"], *cls.user_fields, cls.fields["createdAt"], cls.fields["updatedAt"]]
    for f in fields:
        if f.type == "Relation":
            n = relation_counts.get(f.name, 0)
            table.add_row(f.name, type_label(f), Text(records_text(n), style=POINTER_STYLE))
            follow.append(visible(f"{prefix}relation {cls.name} {shlex.quote(oid)} {f.name}{then}"))
            continue
        if f.name not in record:
            table.add_row(f.name, type_label(f), Text("(not set)", style=ABSENT_STYLE))
            continue
        value = record[f.name]
        if f.type == "Pointer" and isinstance(value, str):
            ref = Text(visible(f"{f.target} {value}"), style=POINTER_STYLE)
            hit = included.get(f.name)
            shown: RenderableType = ref
            if hit is not None:
                target_cls, target = hit
                if target is None:
                    shown = Text.assemble(ref, (" (not found)", ABSENT_STYLE))
                else:
                    shown = Group(ref, _fields_grid(target_cls, target, whole))
            table.add_row(f.name, type_label(f), shown)
            follow.append(visible(f"{prefix}show {f.target} {shlex.quote(value)}{then}"))
        else:
            table.add_row(f.name, type_label(f), _cut(cell(f, record, f.name), whole))
            if f.type == "Array" and f.name not in embedded and _holds_pointer(value):
                # Its elements may point to several classes: one show embeds them all, where a
                # line per element could run to thousands.
                include = f" {shlex.quote(f.name)}" if prefix == "." else f" --include {shlex.quote(f.name)}"
                follow.append(visible(f"{prefix}show {cls.name} {shlex.quote(oid)}{include}{then}"))
    if not follow:
        return table
    # Commands to copy: never wrapped at the terminal's width (a long --db path went to a line of its own).
    lines = Text("follow:", style=HINT_STYLE, no_wrap=True, overflow="ignore")
    for line in follow:
        lines.append("\n  " + line, style=HINT_STYLE)
    return Group(table, lines)


def _holds_pointer(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(v, Mapping) and v.get("__type") == "Pointer" and isinstance(v.get("objectId"), str) for v in value
    )


# --- schema ---------------------------------------------------------------------------------


# A class's or Relation's number of records, or why it cannot be read (commands.readable_count).
Count = int | Unreadable
# What such a count shows.
NO_COUNT = "?"


def count_text(count: Count) -> str:
    return str(count) if isinstance(count, int) else NO_COUNT


def count_json(count: Count) -> int | None:
    return count if isinstance(count, int) else None


def records_text(count: Count) -> str:
    """"3 records", or what a count that cannot be read shows."""
    return plural(count, "record") if isinstance(count, int) else f"{NO_COUNT} records ({count.short})"


def unread_notes(counts: Mapping[str, Count]) -> list[str]:
    """The lines that say why the classes whose count cannot be read show NO_COUNT."""
    return [f"{NO_COUNT}: {why}" for why in unread_reasons(counts)]


def schema_doc(schema: Schema, counts: Mapping[str, Count]) -> dict[str, Any]:
    return {
        name: {"count": count_json(counts.get(name, 0)), **cls.to_json()} for name, cls in schema.classes.items()
    }


def schema_table(schema: Schema, counts: Mapping[str, Count]) -> RenderableType:
    if not schema.classes:
        return Text("no classes (load a data file first)", style=HINT_STYLE)
    table = Table(box=box.SIMPLE_HEAVY, show_edge=False, header_style="bold")
    # A name is the one thing that tells two classes (or fields) apart: folded onto more lines,
    # never cut short with an ellipsis (names may be long, and share a long start).
    table.add_column("class", style="bold", overflow="fold")
    table.add_column("records", justify="right", no_wrap=True)
    table.add_column("field", overflow="fold")
    table.add_column("type", overflow="fold")
    for name, cls in schema.classes.items():
        fields: list[Field | None] = [*cls.user_fields] or [None]
        for i, f in enumerate(fields):
            table.add_row(
                Text(name) if i == 0 else Text(""),
                Text(count_text(counts.get(name, 0))) if i == 0 else Text(""),
                Text(f.name) if f else Text("(no fields)", style=ABSENT_STYLE),
                Text(type_label(f)) if f else Text(""),
                end_section=i == len(fields) - 1,
            )
    note = Text("every class also has objectId (String), createdAt and updatedAt (Date)", style=HINT_STYLE)
    for line in unread_notes({name: counts.get(name, 0) for name in schema.classes}):
        note.append("\n" + line)
    return Group(table, note)


def class_table(cls: ClassDef, count: Count) -> Table:
    """One class's fields and types, drawn as the other tables are."""
    table = Table(title=visible(f"{cls.name}: {records_text(count)}"), title_justify="left",
                  box=box.SIMPLE_HEAVY, show_edge=False, header_style="bold")  # fmt: skip
    table.add_column("field", overflow="fold")
    table.add_column("type", overflow="fold")
    for f in [cls.fields["objectId"], *cls.user_fields, cls.fields["createdAt"], cls.fields["updatedAt"]]:
        table.add_row(Text(f.name), Text(type_label(f)))
    return table


# --- SQL ------------------------------------------------------------------------------------


def print_sql(console: Console, sql: str, params: Sequence[Any], *, label: str = "") -> None:
    """SQL and its parameters; highlighted on a terminal, plain text (copy-pasteable) otherwise."""
    if label:
        console.print(Text(label, style="bold"))
    if console.is_terminal and not os.environ.get("NO_COLOR"):
        from rich.syntax import Syntax

        console.print(Syntax(sql, "sql", theme="ansi_dark", word_wrap=True, background_color="default"))
    else:
        console.file.write(sql + "\n")
    console.file.write("params: " + dumps(list(params)) + "\n")
    console.file.flush()


def explain_text(rows: Sequence[Sequence[Any]]) -> str:
    """DuckDB's EXPLAIN answer as the plan text it holds (key/value rows, value is the tree)."""
    return "\n".join(str(r[-1]).rstrip() for r in rows)

"""``querylang repl``'s session: dot-commands, scripts against one class, tables; completion.

Errors print with the caret view and the session goes on; Ctrl-C cancels one entry
(commands.run_query runs the query where Ctrl-C can reach it). How entries are read, from a
terminal prompt or piped input, is prompt.py's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from querylang.api import Database, typed_sources
from querylang.app.commands import (
    calls_a_query,
    class_counts,
    explain,
    input_value,
    left_out,
    not_an_export,
    per_class,
    query_fields,
    relation_records,
    run_query,
    script_or_filter,
    show_record,
    timed,
    undefined_input,
)
from querylang.app.highlighting import QUERY_CALLS
from querylang.app.render import (
    FORMATS,
    HINT_STYLE,
    class_table,
    dumps,
    make_console,
    plural,
    print_sql,
    schema_table,
    summary,
    type_label,
    visible,
    write_records,
)
from querylang.errors import (
    EngineError,
    LoadedThenInterrupted,
    QueryError,
    cannot_read,
    json_refused,
    os_reason,
)
from querylang.frontends.filters import NOT_YET
from querylang.importers import jsontext
from querylang.model.operators import FIELD_OPERATORS, TOP_LEVEL
from querylang.model.schema import suggest

EXIT_USER, EXIT_INTERNAL = 2, 1  # as the command's (group.py)
HELP_EXAMPLE = "where({ score: { greaterThan: Inputs.Min } }); sort(['-createdAt'])"
DEFAULT_MAX_ROWS = 100

COMMANDS: dict[str, tuple[str, str]] = {
    ".class": ("NAME", "query this class from now on"),
    ".inputs": ("KEY=VALUE ... | clear", "set input values (Inputs.KEY, $KEY); no argument lists them"),
    ".sql": ("", "the SQL and parameters of the last query"),
    ".explain": ("", "the database's plan for the last query (DuckDB's or PostgreSQL's EXPLAIN)"),
    ".timer": ("on|off", "show how long each query takes"),
    ".schema": ("[CLASS]", "classes, fields, types and record counts"),
    ".load": ("FILE", "load a JSON interchange file, or interchange directory, into this database (all or nothing)"),
    ".format": ("|".join(FORMATS), "how results are printed"),
    ".limit": ("N|off", f"show at most N records per query or .relation (default {DEFAULT_MAX_ROWS})"),
    ".show": ("[CLASS] ID [FIELD,...]", "one record (CLASS: the current class if left out); FIELDs: Pointer fields, and Array fields of Pointers, to embed (* every one)"),
    ".relation": ("[CLASS] ID KEY", "the records a Relation field holds (CLASS: the current class if left out)"),
    ".help": ("", "this list"),
    ".quit": ("", "leave (also .exit, Ctrl-D)"),
}
ALIASES = {".exit": ".quit", ".q": ".quit", ".h": ".help", ".?": ".help"}
OPERATORS = [op for op in (*TOP_LEVEL, *FIELD_OPERATORS) if op not in NOT_YET]
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*$")


class Quit(Exception):
    """Raised by .quit to end the session."""


@dataclass
class Session:
    """What the REPL remembers between entries."""

    db: Database
    console: Console
    # Notes and errors in a machine format (.format csv, json, jsonl): stdout is then data a
    # pipe reads, and a hint in it would be read as data.
    aside: Console = field(default_factory=lambda: make_console(stderr=True))
    class_name: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    last_query: Any = None
    # Whether the latest script entry failed: .sql and .explain then show an earlier query,
    # and say so.
    entry_failed: bool = False
    timer: bool = False
    fmt: str = "table"
    max_rows: int | None = DEFAULT_MAX_ROWS
    status: int = 0  # the exit status piped input ends with
    # Ctrl-C cancels one entry at the prompt; it ends the session for piped input (no prompt
    # to go back to) and after SIGTERM (run_repl), through the CLI's exit 130.
    ends_on_interrupt: bool = False
    # The --db that a hint (the import command for an export given to .load) names: this
    # session's own ("URL" for a PostgreSQL one, whose URL may hold a password).
    db_hint: str = "FILE.duckdb"

    # --- entries ------------------------------------------------------------------------

    def handle(self, text: str) -> None:
        """One entry: a dot-command or a script. User errors print and the session goes on."""
        stripped = text.strip()
        if not stripped:
            return
        try:
            if stripped.startswith("."):
                self.command(stripped)
            elif (dotted := dotless_command(stripped)) is not None:
                # As other shells take them (`exit`, `help`); as a script, "exit is not defined".
                more = "" if dotted == ".help" else "; .help lists them"
                raise QueryError(f"{stripped} is not a filter script; the shell's commands start with a dot: {dotted}{more}")
            else:
                self.run_script(text)
        except EngineError as err:
            self.error(str(err), status=EXIT_INTERNAL)
        except QueryError as err:
            self.error(str(err))
        except KeyboardInterrupt:
            if self.ends_on_interrupt:
                raise
            self.note("cancelled")
        except (Quit, EOFError):
            raise
        except BrokenPipeError:
            raise  # the reader of the output went away (`| head`): the CLI ends quietly, exit 0
        except Exception as err:  # a fault in querylang must not end the user's session
            self.error(f"internal error: {type(err).__name__}: {err}", status=EXIT_INTERNAL)

    def error(self, message: str, *, status: int = EXIT_USER) -> None:
        # Piped input ends with the CLI's status: 2 after a user error, else 1 after a fault.
        self.status = EXIT_USER if EXIT_USER in (status, self.status) else status
        # soft_wrap: a caret view re-wrapped to the terminal width would point at the wrong column
        self.said().print(Text.assemble(("error: ", "bold red"), visible(message)), soft_wrap=True)

    def note(self, message: str) -> None:
        self.said().print(Text(message, style=HINT_STYLE))

    def said(self) -> Console:
        """Where a note, an error or any other text that is not records in the chosen format
        goes (the inputs, .help, .schema, .sql, .explain, a record shown as a table): beside
        the tables, or stderr in a machine format, whose stdout a pipe reads as data."""
        return self.console if self.fmt == "table" else self.aside

    def run_script(self, text: str) -> None:
        if self.class_name is None:
            names = ", ".join(self.db.schema.classes) or "none yet: .load FILE"
            raise QueryError(f"pick a class first: .class NAME (classes: {names})")
        self.entry_failed = True  # until its query has run
        class_name, query, inputs = self.class_name, script_or_filter(text, "the entry"), dict(self.inputs)
        prefer = query_fields(self.db, class_name, query, inputs=inputs)  # checks it before running
        if isinstance(query, str) and not calls_a_query(query, inputs):
            # `const m = 10` would otherwise list every record, as a script with no where() does.
            raise QueryError(
                "the entry ran without calling where(), filter() or sort(), so it asks for no "
                "query (an entry is one whole script; where({}) lists every record)"
            )
        if (said := undefined_input(self.db, class_name, query, inputs=inputs)) is not None:
            self.note(left_out(said, ".inputs KEY=VALUE sets one"))
        # One row past the display cap says whether there is more; .sql shows the query as asked.
        limit = None if self.max_rows is None else self.max_rows + 1
        result, ms = timed(lambda: run_query(self.db, class_name, query, inputs=inputs, limit=limit))
        self.last_query, self.entry_failed = (class_name, query, inputs), False
        records = result.records
        more = self.max_rows is not None and len(records) > self.max_rows
        if more:
            records = records[: self.max_rows]
        write_records(
            self.console, self.db.schema.get(self.class_name), records, self.fmt,
            more=more, ms=ms if self.timer else None, prefer=prefer,
            hidden_hint=".format json or .show CLASS ID shows every field",
        )  # fmt: skip
        if self.timer and self.fmt != "table":
            # A table's line under it says how long; json, jsonl and csv have no place for it.
            self.note(summary(len(records), more=more, ms=ms))
        if more:
            self.note("(.limit N shows more; .limit off shows all)")

    # --- dot-commands -------------------------------------------------------------------

    def command(self, line: str) -> None:
        head, _, rest = line.partition(" ")
        if ALIASES.get(head, head) == ".inputs" and rest.strip() and rest.strip() != "clear":
            # Not shlex: it would take the double quotes out of a JSON value (["a"] → [a]).
            self.set_inputs(rest)
            return
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise QueryError(f"cannot read the command: {exc}") from None
        name, args = ALIASES.get(words[0], words[0]), words[1:]
        handler: Callable[[list[str]], None] | None = getattr(self, "cmd_" + name[1:], None)
        if name not in COMMANDS or handler is None:
            hint = suggest(name, [*COMMANDS, *ALIASES])
            raise QueryError(f"unknown command {words[0]}" + (f" ({hint})" if hint else "") + "; .help lists them")
        handler(args)

    def _usage(self, name: str) -> QueryError:
        return QueryError(f"usage: {name} {COMMANDS[name][0]}".rstrip())

    def cmd_class(self, args: list[str]) -> None:
        if not args:
            self.note(f"class: {self.class_name or '(none)'}; classes: {', '.join(self.db.schema.classes)}")
            return
        if len(args) != 1:
            raise self._usage(".class")
        self.class_name = self.db.schema.get(args[0]).name

    def set_inputs(self, text: str) -> None:
        try:
            values = input_pairs(text)
        except ValueError as exc:
            raise QueryError(f"usage: .inputs KEY=VALUE ... ({exc})") from None
        self.inputs.update(values)
        self.cmd_inputs([])

    def cmd_inputs(self, args: list[str]) -> None:
        if args == ["clear"]:
            self.inputs.clear()
        elif args:
            self.set_inputs(" ".join(shlex.quote(a) for a in args))
            return
        if not self.inputs:
            self.note("no inputs set (.inputs KEY=VALUE ...; VALUE is JSON when it starts like JSON, else a string)")
            return
        for key, value in self.inputs.items():
            self.said().print(Text(f"Inputs.{key} = {dumps(value)}"))

    def _last(self) -> tuple[str, Any, dict[str, Any]]:
        if self.last_query is None:
            raise QueryError("no query has run yet (the last entry failed)" if self.entry_failed
                             else "no query yet: type a script first")  # fmt: skip
        class_name, query, inputs = self.last_query
        if self.entry_failed:
            # Shown without a word, it read as the SQL of the entry that failed.
            shown = " ".join((query if isinstance(query, str) else dumps(query)).split())
            shown = shown if len(shown) <= 60 else shown[:59] + "…"
            self.note(f"the last entry failed; this is the last query that ran, on {class_name}: {visible(shown)}")
        return class_name, query, inputs

    def cmd_sql(self, args: list[str]) -> None:
        class_name, query, inputs = self._last()
        plan = self.db.compile(class_name, query, inputs=inputs)
        print_sql(self.said(), plan.sql, plan.params)

    def cmd_explain(self, args: list[str]) -> None:
        class_name, query, inputs = self._last()
        self.said().print(Text(explain(self.db, class_name, query, inputs=inputs)))

    def cmd_timer(self, args: list[str]) -> None:
        if args not in (["on"], ["off"], []):
            raise self._usage(".timer")
        if args:
            self.timer = args[0] == "on"
        self.note(f"timer {'on' if self.timer else 'off'}")

    def cmd_schema(self, args: list[str]) -> None:
        if len(args) > 1:
            raise self._usage(".schema")
        counts = class_counts(self.db)
        if not args:
            self.said().print(schema_table(self.db.schema, counts))
            return
        cls = self.db.schema.get(args[0])
        self.said().print(class_table(cls, counts.get(cls.name, 0)))

    def cmd_load(self, args: list[str]) -> None:
        if len(args) != 1 or not args[0].strip():  # .load "" read the current folder, named '.'
            raise self._usage(".load")
        given = os.path.expanduser(args[0])  # as typed: Path drops the './' of './d', which messages name
        try:
            os.stat(given)  # not Path(given), which drops a trailing '/': `.load x.json/` loaded x.json
        except FileNotFoundError:  # said by the load: "no such data file: X", as the command's
            pass
        except OSError as exc:
            # As the command's load says it ("X: cannot read: a loop of symbolic links"), where
            # the library says "cannot load X: ... (nothing was loaded)".
            if os_reason(exc) is not None:
                raise cannot_read(args[0], exc) from None
        # Every message names the path as typed ('~/d/Post.ndjson'), as the failed look above,
        # whatever name the session's --data gave a folder it lies in.
        with typed_sources([args[0]], new_command=True):
            not_an_export(given, self.db_hint)
            try:
                counts = self.db.load(given)
            except LoadedThenInterrupted as exc:  # committed: "cancelled" would say it was not
                self.note(f"loaded {plural(sum(exc.counts.values()), 'record')}: {per_class(exc.counts)} ({exc})")
                if self.ends_on_interrupt:
                    raise
                return
        total = sum(counts.values())
        self.note(f"loaded {plural(total, 'record')}: {per_class(counts)}")

    def cmd_format(self, args: list[str]) -> None:
        if not args:  # as .timer, .limit and .class without an argument: the current setting
            self.note(f"format {self.fmt}")
            return
        if len(args) != 1 or args[0] not in FORMATS:
            raise self._usage(".format")
        self.fmt = args[0]

    def cmd_limit(self, args: list[str]) -> None:
        if args == ["off"]:
            self.max_rows = None
        elif len(args) == 1 and args[0].isascii() and args[0].isdigit() and int(args[0]) > 0:  # not '²' (int() refuses it)
            self.max_rows = int(args[0])  # 0 would show nothing, and say "(more not shown)" of it
        elif args:
            raise self._usage(".limit")
        self.note("showing " + ("all records" if self.max_rows is None else f"at most {plural(self.max_rows, 'record')}"))

    def _with_class(self, name: str, args: list[str], *, given: bool, after: int) -> list[str]:
        """``args`` of .show or .relation with their CLASS: the first word when ``given`` (and
        then ``after`` words must follow it), else the current class."""
        if given and len(args) > after:
            return args
        if given and args[0] in self.db.schema:
            # `.relation Group g2`: the KEY is what is missing, not a class to pick.
            missing = "ID" if len(args) < 2 else "KEY"
            raise QueryError(f"usage: {name} {COMMANDS[name][0]} (CLASS {args[0]} given, but no {missing})")
        if self.class_name is None:
            raise QueryError(f"usage: {name} {COMMANDS[name][0]} (no class picked: .class NAME, or give the CLASS)")
        return [self.class_name, *args]

    def cmd_show(self, args: list[str]) -> None:
        if not args:
            raise self._usage(".show")
        # CLASS ID [FIELD,...] or ID [FIELD,...]: a first word that names no class is an ID.
        given = args[0] in self.db.schema or self.class_name is None
        args = self._with_class(".show", args, given=given, after=1)
        fmt = "json" if self.fmt == "json" else "table"
        out = self.console if fmt == "json" else self.said()  # a table is no csv or jsonl data
        show_record(self.db, args[0], args[1], args[2:], fmt, prefix=".", console=out)

    def cmd_relation(self, args: list[str]) -> None:
        if len(args) not in (2, 3):
            raise self._usage(".relation")
        # CLASS ID KEY or ID KEY: as .show's, a first word that names a class is the CLASS.
        given = len(args) == 3 or args[0] in self.db.schema or self.class_name is None
        args = self._with_class(".relation", args, given=given, after=2)
        # Capped by .limit as a script's result is: a Relation may hold any number of records.
        limit = None if self.max_rows is None else self.max_rows + 1
        target, title, result, _ = relation_records(self.db, *args, limit=limit)
        records = result.records
        more = self.max_rows is not None and len(records) > self.max_rows
        write_records(
            self.console, target, records[: self.max_rows] if more else records, self.fmt, title=title,
            more=more, hidden_hint=".format json or .show CLASS ID shows every field",
        )  # fmt: skip
        if more:
            self.note("(.limit N shows more; .limit off shows all)")

    def cmd_help(self, args: list[str]) -> None:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for name, (usage, text) in COMMANDS.items():
            table.add_row(Text(f"{name} {usage}".rstrip()), Text(text))
        self.said().print(table)
        self.note(
            "Anything else is a filter script for the current class, e.g.\n"
            f"  {HELP_EXAMPLE}\n"
            "Enter runs it once its brackets close (Enter on a blank line runs it as is);\n"
            "Esc Enter adds a line anyway, e.g. for sort([...]) on a line of its own; Tab completes;\n"
            "Ctrl-C cancels the input or a running query; Ctrl-D quits."
        )

    def cmd_quit(self, args: list[str]) -> None:
        raise Quit


def dotless_command(entry: str) -> str | None:
    """The dot-command an entry names without its dot (``exit``, ``quit()``, ``help;``), if it does."""
    word = entry.rstrip("; \t").removesuffix("()").lower()
    if not _WORD.match(word):
        return None
    name = "." + word
    return ALIASES.get(name, name) if name in COMMANDS or name in ALIASES else None


def input_pairs(text: str) -> dict[str, Any]:
    """``.inputs``' arguments: ``KEY=VALUE`` pairs split by spaces, VALUE read as JSON when it
    starts like JSON (``["a", "b"]``, ``{"a": 1}``, ``"two words"``, ``5``, ``true``), else up to
    the next space as a plain string (or a shell-quoted one: ``'two words'``)."""
    out: dict[str, Any] = {}
    decoder = json.JSONDecoder()
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return out
        eq = text.find("=", pos)
        space = next((i for i in range(pos, end) if text[i].isspace()), end)
        if eq < 0 or eq > space or eq == pos:
            raise ValueError(f"expected KEY=VALUE, got {text[pos:space]!r}")
        key, pos = text[pos:eq], eq + 1
        if pos < end and text[pos] in '[{"':
            try:
                with jsontext.nesting(f"Inputs.{key}"):
                    value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                # Said as the command line's --inputs says it, its line and column the value's.
                value_text = text[pos:]
                raise json_refused(f"Inputs.{key}", json.JSONDecodeError(exc.msg, value_text, exc.pos - pos)) from None
            if pos < end and not text[pos].isspace():
                raise ValueError(f"{key}: unexpected {text[pos:pos + 10]!r} after the JSON value")
        elif pos < end and text[pos] == "'":
            close = text.find("'", pos + 1)
            if close < 0:
                raise ValueError(f"{key}: the quote ' is not closed")
            value, pos = text[pos + 1 : close], close + 1
        else:
            space = next((i for i in range(pos, end) if text[i].isspace()), end)
            value, pos = input_value(text[pos:space], f"Inputs.{key}"), space
        out[key] = value


# --- completion -----------------------------------------------------------------------------


def complete_command(session: Session, text: str) -> Iterator[tuple[str, str, str]]:
    """(candidate, word being replaced, meta) for a dot-command line up to the cursor."""
    parts = text.split(" ")
    word = parts[-1]
    if len(parts) == 1:
        for name, (usage, _) in COMMANDS.items():
            yield name, word, usage
        return
    name = ALIASES.get(parts[0], parts[0])
    argn = len(parts) - 2
    schema = session.db.schema
    classes = [(c, "class") for c in schema.classes]
    options: list[tuple[str, str]] = []
    if name in (".class", ".schema") and argn == 0:
        options = classes
    elif name in (".show", ".relation") and argn == 0:
        options = classes
    elif name in (".show", ".relation") and argn in (1, 2):
        # After CLASS ID, or after ID alone (the current class's record).
        named = parts[1] in schema
        cls = parts[1] if argn == 2 and named else session.class_name if argn == 1 and not named else None
        kind = "Pointer" if name == ".show" else "Relation"
        if cls is not None and cls in schema:
            options = [(f.name, type_label(f)) for f in schema.classes[cls].user_fields if f.type == kind]
    elif name == ".format" and argn == 0:
        options = [(f, "format") for f in FORMATS]
    elif name == ".timer" and argn == 0:
        options = [("on", ""), ("off", "")]
    elif name == ".limit" and argn == 0:
        options = [("off", "show all records")]
    elif name == ".inputs":
        options = [(f"{k}=", "input") for k in session.inputs] + [("clear", "remove all inputs")]
    for cand, meta in options:
        yield cand, word, meta


_TOKEN = re.compile(
    r"""(?P<str>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")|(?P<id>[A-Za-z_$][\w$]*)|(?P<punct>[{}\[\]:,])"""
)
_SUBQUERY = ("matchesQuery", "doesNotMatchQuery")
_KEYQUERY = ("matchesKeyInQuery", "doesNotMatchKeyInQuery")


def filter_class(schema: Any, class_name: str | None, text: str) -> str | None:
    """The class whose fields are keys at the end of ``text``: the outer class, or the target
    class inside ``matchesQuery: {...}`` (also ``{className, where: {...}}``) and the named
    class inside ``matchesKeyInQuery: {className: ..., where: {...}}``."""
    # A frame per open bracket: (kind, class); kind "filter" holds field keys, "ops" a
    # field's operators, "keyquery" a matchesKeyInQuery object, "other" anything else.
    frames: list[tuple[str, str | None]] = [("filter", class_name)]
    key: str | None = None
    named: str | None = None  # the className last given in the innermost keyquery frame
    for m in _TOKEN.finditer(text):
        kind, cls = frames[-1]
        token = m.group(0)
        if m.lastgroup in ("str", "id"):
            word = token[1:-1] if m.lastgroup == "str" else token
            if key == "className" and kind == "keyquery":
                named = word
            key = word
            continue
        if token == ":":
            continue
        if token == ",":
            key = None
            continue
        if token in "}]":
            if len(frames) > 1:
                frames.pop()
            key = None
            continue
        # an opening bracket: what its contents are
        if token == "[" or key is None:
            frames.append((kind, cls))
        elif kind == "filter" and key == "where":
            frames.append(("filter", cls))  # {className, where: {...}} of a matchesQuery
        elif kind == "filter" and cls in schema and key in schema.classes[cls].fields:
            frames.append(("ops", cls))
        elif kind == "filter" and key in ("and", "or", "nor"):
            frames.append(("filter", cls))
        elif kind == "ops" and key in _SUBQUERY:
            field = _last_field(text[: m.start()], schema, cls)
            frames.append(("filter", field.target if field is not None else None))
        elif kind == "ops" and key in _KEYQUERY:
            frames.append(("keyquery", cls))
            named = None
        elif kind == "keyquery" and key == "where":
            frames.append(("filter", named or cls))
        else:
            frames.append(("other", None))
        key = None
    kind, cls = frames[-1]
    return cls if kind in ("filter", "ops") else None


def _last_field(text: str, schema: Any, class_name: str | None) -> Any:
    """The field of ``class_name`` whose operator object ``text`` ends inside."""
    if class_name not in schema:
        return None
    fields = schema.classes[class_name].fields
    depth = 0
    for m in reversed(list(_TOKEN.finditer(text))):
        token = m.group(0)
        if token in "}]":
            depth += 1
        elif token in "{[":
            depth -= 1
        elif depth == -1 and m.lastgroup in ("str", "id"):
            word = token[1:-1] if m.lastgroup == "str" else token
            if word in fields:
                return fields[word]
    return None


def complete_script(session: Session, text: str) -> Iterator[tuple[str, str, str]]:
    """Candidates for the identifier before the cursor in a script."""
    m = _WORD.search(text)
    word = m.group(0) if m else ""
    before = text[: len(text) - len(word)]
    inputs = sorted(set(session.inputs) | set(re.findall(r"(?:Inputs\.|\$)([A-Za-z0-9_]+)", before)))
    if before.endswith("Inputs."):
        for name in inputs:
            yield name, word, "input"
        return
    if word.startswith("$"):
        for name in inputs:
            yield "$" + name, word, "input"
        return
    if not word:
        return
    schema = session.db.schema
    here = filter_class(schema, session.class_name, before)
    if here is not None and here in schema:
        for f in schema.classes[here].fields.values():
            yield f.name, word, type_label(f)
    for op in OPERATORS:
        yield op, word, "operator"
    for fn in QUERY_CALLS:
        yield fn, word, "call"
    yield "Inputs", word, "inputs"
    for name in schema.classes:
        yield name, word, "class"
    for const in ("true", "false", "null", "new Date("):
        yield const, word, ""


def completions(session: Session, text: str) -> Iterator[tuple[str, str, str]]:
    """What completes the text before the cursor: (candidate, word it replaces, meta)."""
    if text.lstrip().startswith(".") and "\n" not in text:
        source: Iterable[tuple[str, str, str]] = complete_command(session, text.lstrip())
    else:
        source = complete_script(session, text)
    seen = set()
    for cand, word, meta in source:
        if cand.startswith(word) and cand != word and cand not in seen:
            seen.add(cand)
            yield cand, word, meta

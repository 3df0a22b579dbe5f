"""The documents' examples, run: what README.md shows a command, a call or a session printing is
what it prints today.

tests/test_docs.py keeps the links true; this keeps the examples true. A changed output
format, a renamed flag or a new default shows here as the README line that no longer holds.
Examples are read from the README itself, so a new example in one of these blocks is checked
without a change here:

- the command-line transcript ("Command line and REPL": ``$ querylang ...`` and what follows),
  run in this process through click's runner on the bundled sample, in a temporary directory;
- the guide's ``>>>`` session (doctest);
- the REPL session, its entries piped into ``querylang repl``;
- the "Errors" block: each message there is what the library raises for such a mistake;
- the limits tables of the README and docs/semantics.md: every constant they name holds the
  default they state;
- the "Library API" table: every keyword it names is a parameter of the call it names;
- every option of every command is named somewhere in README.md or docs/.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

import querylang
from querylang.app.cli import main
from querylang.app.commands import fetch_record
from querylang.app.demo import sample_document
from querylang.features.regex import compile_regex

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))
SAMPLE = ROOT / "querylang" / "data" / "sample.json"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "QUERYLANG_DEBUG": ""}
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def block(lang: str, first_line: str) -> str:
    """The README's fenced block of that language whose text starts so."""
    found = [body for kind, body in FENCE.findall(README) if kind == lang and body.startswith(first_line)]
    assert len(found) == 1, f"README.md: no single ```{lang} block starting {first_line!r}"
    return found[0]


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line, trailing blanks ignored; a line ``...`` in the example stands for any lines."""
    pattern = "".join(r"(?:.*\n)*?" if line.strip() == "..." else re.escape(line.rstrip()) + r"\n" for line in expected)
    return re.fullmatch(pattern, "".join(line.rstrip() + "\n" for line in actual)) is not None


# --- the command-line transcript ------------------------------------------------------------


def transcript(text: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines with the lines printed after each."""
    out: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line)
    for _, lines in out:
        while lines and not lines[-1].strip():
            lines.pop()
    return out


CLI_EXAMPLES = transcript(block("text", "$ querylang query Comment"))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory for the whole transcript: `load` makes the blog.duckdb the later lines read."""
    d = tmp_path_factory.mktemp("readme")
    shutil.copy(SAMPLE, d / "sample.json")
    return d


def run_cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    here = os.getcwd()
    os.chdir(cwd)
    try:
        res = CliRunner(env=ENV).invoke(main, args, prog_name="querylang")
    finally:
        os.chdir(here)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


def test_the_readme_shows_command_examples() -> None:
    assert len(CLI_EXAMPLES) >= 5, CLI_EXAMPLES


@pytest.mark.parametrize("command,expected", CLI_EXAMPLES, ids=[c.split("#")[0].strip() for c, _ in CLI_EXAMPLES])
def test_readme_command_prints_what_it_shows(command: str, expected: list[str], workdir: Path) -> None:
    line, _, comment = command.partition("  #")
    args = shlex.split(line)
    assert args[0] == "querylang"
    status = int(m.group(1)) if (m := re.search(r"exit status (\d+)", comment)) else 0
    if "blog.duckdb" in args and args[1] != "load" and not (workdir / "blog.duckdb").exists():
        # The transcript's `load` makes it; run alone (-k), this example makes it first.
        assert run_cli(["load", "sample.json", "--db", "blog.duckdb"], workdir)[0] == 0
    code, out, err = run_cli(args[1:], workdir)
    assert code == status, (code, out, err)
    printed = (err if status else out).splitlines()
    if expected:
        assert matches(expected, printed), "README shows:\n" + "\n".join(expected) + "\n\nit prints:\n" + "\n".join(printed)


# --- the guide's session and the REPL's -----------------------------------------------------


def test_the_guides_session_runs_as_shown() -> None:
    text = block("python", ">>> import querylang")
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md guide", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 4, (runner.failures, runner.tries)


PROMPT = re.compile(r"^(?:\w+> |\.+: )")


def test_the_interchange_example_loads() -> None:
    # Found by review: the README's example document gave Post a Pointer to User, a class it did
    # not define, so the load a new user tried first refused it: "targetClass 'User' is not a class".
    db = querylang.connect()
    assert db.load(json.loads(block("json", '{"classes"'))) == {"Post": 1}
    assert db.query("Group", {"posts": {"pointsTo": "p001"}}).ids == []  # edge g01's owner is not there
    assert db.query("Post", {"author": "u01"}).ids == ["p001"]


def test_the_repl_session_prints_what_it_shows(tmp_path: Path) -> None:
    """The README's session, its entries piped in (a terminal adds only the prompts and echo)."""
    text = block("text", "$ querylang repl")
    entries, expected = [], []
    for line in text.splitlines()[1:]:
        if PROMPT.match(line):
            entries.append(PROMPT.sub("", line))
        else:
            expected.append(line)
    env = {**os.environ, **ENV, "QUERYLANG_HISTORY": str(tmp_path / "history"), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-m", "querylang", "repl"], input="\n".join(entries) + "\n", env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60,
    )  # fmt: skip
    timed = re.compile(r" in \d+(?:\.\d+)? ms$")  # the timer's figure is the machine's
    actual = [timed.sub(" in # ms", line.rstrip()) for line in res.stdout.splitlines()]
    expected = [timed.sub(" in # ms", line.rstrip()) for line in expected]
    assert res.returncode == 2  # piped: the status of the session's user error (README)
    assert matches(expected, actual), "README shows:\n" + "\n".join(expected) + "\n\nit prints:\n" + "\n".join(actual)


# --- the "Errors" block ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    d = querylang.connect(max_rows=10)
    d.load(sample_document())
    return d


def _q(script: str, cls: str = "Post") -> Callable[[querylang.Database], Any]:
    return lambda db: db.query(cls, script, limit=5)


ERRORS: list[tuple[str, int, Callable[[querylang.Database], Any]]] = [
    ("QuerySyntaxError", 102, _q("where({ score: { greaterThan: 3 } )")),
    ("QuerySyntaxError", 102, _q("let n = 3\nwhile (n > 0) { n -= 1 }")),
    ("ScriptError", 102, _q("where({ score: Inputs.Range.min })")),
    ("ScriptError", 102, _q("where({ score: ''.constructor })")),
    ("SchemaError", 105, _q("where({ scroe: { greaterThan: 3 } })")),
    ("SchemaError", 103, _q("where({})", "Posts")),
    ("QueryTypeError", 111, _q("where({ score: { greaterThan: '3' } })")),
    ("QueryTypeError", 107, _q("where({ score: { containedIn: '3' } })")),
    ("QueryError", 102, _q("where({ score: { greaterThen: 3 } })")),
    ("DataError", 107, lambda db: db.load({"records": {"Post": [{"objectId": "p999", "score": "x"}]}})),
    ("DataError", 107, lambda db: db.load({"records": {"Post": [{"objectId": "p001"}]}})),
    ("DataError", 107, lambda db: db.load({"relations": [
        {"class": "Group", "objectId": "g1", "key": "post", "targetClass": "Post", "targetId": "p001"}]})),
    ("LimitExceeded", 102, _q("x" * 1_000_001)),
    ("LimitExceeded", 102, _q("where({ tags: " + "[" * 300 + "]" * 300 + " })")),
    ("LimitExceeded", 102, _q("let a = 0\n" + "a = a + 1\n" * 25001 + "where({})")),
    ("LimitExceeded", 102, lambda db: db.query("Comment", "where({})")),
]


@pytest.mark.parametrize("name,code,mistake", ERRORS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(ERRORS)])
def test_an_error_of_the_errors_block_is_what_the_library_raises(
    name: str, code: int, mistake: Callable[[querylang.Database], Any], db: querylang.Database
) -> None:
    text = block("text", "QuerySyntaxError (102)")
    shown = [line.rstrip() for line in text.splitlines()]
    heading = next(line for line in shown if line.startswith(name + " ("))
    assert str(code) in heading.split("—")[0], (heading, code)
    with pytest.raises(querylang.QueryError) as info:
        mistake(db)
    err = info.value
    assert type(err).__name__ == name and err.code == code, (type(err).__name__, err.code, str(err))
    # The caret view's source line may be the long one of the test (the block shows a line of it).
    first = str(err).splitlines()[0]
    assert first in shown, f"the Errors block does not show {first!r}"



# docs/semantics.md#errors: the table of codes names the class each code is raised as, so that
# `except SchemaError` catches every 105. These were plain QueryErrors with the table's code.
CODE_TABLE_MISTAKES: list[tuple[str, Callable[[querylang.Database], Any]]] = [
    ("find: an invalid key name", lambda db: db.find("Post", {"ti tle": 1})),
    ("to_parse_where: an invalid field name", lambda db: querylang.to_parse_where({"$or": [{"a": 1}]})),
    ("a regex that is not a string", lambda db: compile_regex(5)),  # type: ignore[arg-type]
    ("find: a where that is not JSON", lambda db: db.find("Post", "{")),
    ("show: no such record", lambda db: fetch_record(db, "Comment", "c999")),
    ("an unknown field", _q("where({ scroe: 1 })")),
    ("an unknown class", _q("where({})", "Posts")),
    ("a cancelled query", lambda db: db.query("Post", "where({})", cancel=_set_event())),
    # QueryTypeErrors with 102 and 105, as tests/test_operators.py and test_surface_queries.py pin them.
    ("a sort by an Array field", lambda db: db.query("Post", "where({})", sort=["tags"])),
    ("a dot path through a Number", _q("where({ 'score.x': 1 })")),
]


def _set_event() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


def _table_classes() -> dict[int, set[str]]:
    text = (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8")
    rows = _limit_rows(text, "| code | meaning | class |")
    return {int(code): set(re.findall(r"`(\w+)`", classes)) for code, _, classes in rows}


@pytest.mark.parametrize("label,mistake", CODE_TABLE_MISTAKES, ids=[label for label, _ in CODE_TABLE_MISTAKES])
def test_an_error_is_of_the_class_the_codes_table_names(
    label: str, mistake: Callable[[querylang.Database], Any], db: querylang.Database
) -> None:
    with pytest.raises(querylang.QueryError) as info:
        mistake(db)
    classes = _table_classes()
    assert info.value.code in classes, (label, info.value.code)
    assert type(info.value).__name__ in classes[info.value.code], (
        label, type(info.value).__name__, info.value.code, str(info.value))

# --- the limits tables ----------------------------------------------------------------------


def _limit_rows(text: str, heading: str) -> list[list[str]]:
    start = text.index(heading)
    rows: list[list[str]] = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not set(cells[0]) <= set("-: "):
            rows.append(cells)
    return rows


def _number(text: str) -> float:
    return float(text.replace(",", ""))


LIMIT_TABLES = [
    ("README.md", README, "| limit | default | where it is"),
    ("docs/semantics.md", (ROOT / "docs" / "semantics.md").read_text(encoding="utf-8"), "| limit | default | "),
]


@pytest.mark.parametrize("name,text,heading", LIMIT_TABLES, ids=[n for n, _, _ in LIMIT_TABLES])
def test_every_limit_named_holds_its_stated_default(name: str, text: str, heading: str) -> None:
    rows = _limit_rows(text, heading)
    assert len(rows) >= 10, rows
    checked = 0
    for label, default, where in rows:
        numbers = [_number(n) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", default.split("(")[0])]
        names = re.findall(r"`(querylang\.[\w.]+)`|`(MAX_\w+)`", where)
        module = None
        constants = []
        for full, bare in names:
            if full:
                mod, _, const = full.rpartition(".")
                if const.isupper():
                    module = mod
                    constants.append((mod, const))
                else:  # a module that holds the limits (the regex's)
                    module = full
            else:
                constants.append((module, bare))
        if module == "querylang.features.regex":
            constants = [("querylang.features.regex.limits", "MAX_REPEAT"), ("querylang.features.regex.limits", "MAX_DEPTH")]
        if "timeout=" in where:
            constants = [("querylang.api", "DEFAULT_TIMEOUT")]
            params = inspect.signature(querylang.connect).parameters
            assert params["timeout"].default == numbers[0], (name, label)
        if "max_rows=" in where:
            constants = [("querylang.api", "DEFAULT_MAX_ROWS")]
            params = inspect.signature(querylang.connect).parameters
            assert params["max_rows"].default == numbers[0], (name, label)
        for (mod, const), value in zip(constants, numbers, strict=False):
            assert mod is not None
            actual = getattr(importlib.import_module(mod), const, None)
            assert actual == value, f"{name}: {label}: {mod}.{const} is {actual}, the table says {value:,g}"
            checked += 1
    assert checked >= 12, checked


# docs/semantics.md#limits: "Passing one is an error (LimitExceeded, 102, or QueryTimeout, 1)";
# a probe just past each limit of its table that a query meets, the class and code checked.
NESTED: Any = 1
for _ in range(101):
    NESTED = [NESTED]
PAST_LIMITS: list[tuple[str, Callable[[querylang.Database], Any]]] = [
    ("script size", _q("x" * 1_000_001)),
    ("brackets", _q("where({ tags: " + "[" * 300 + "]" * 300 + " })")),
    ("containedIn", lambda db: db.query("Post", {"score": {"containedIn": list(range(100_001))}})),
    ("sort keys", lambda db: db.query("Post", {}, sort=["title", "score"] + [f"meta.k{i}" for i in range(99)])),
    ("nesting of values", lambda db: db.query("Post", {"tags": {"equalTo": NESTED}})),
    ("steps of a path", lambda db: db.query("Post", {"meta." + ".".join(["a"] * 101): 1})),
    ("steps of paths in all", lambda db: db.query("Post", {"and": [{"meta." + ".".join(["a"] * 19) + f".k{i}": 1} for i in range(11)]})),
    ("regex repetition", lambda db: db.query("Post", {"title": {"matchesRegex": "a{1001}"}})),
    ("regex group nesting", lambda db: db.query("Post", {"title": {"matchesRegex": "(" * 201 + "a" + ")" * 201}})),
    ("records one query may return", lambda db: db.query("Comment", "where({})")),
]


@pytest.mark.parametrize("label,mistake", PAST_LIMITS, ids=[label for label, _ in PAST_LIMITS])
def test_passing_a_limit_of_the_tables_is_limit_exceeded(
    label: str, mistake: Callable[[querylang.Database], Any], db: querylang.Database
) -> None:
    with pytest.raises(querylang.QueryError) as info:
        mistake(db)
    assert isinstance(info.value, querylang.LimitExceeded) and info.value.code == 102, (
        label, type(info.value).__name__, info.value.code, str(info.value))


@pytest.mark.parametrize("setting,value,code", [
    ("timeout", "5", 107), ("timeout", float("nan"), 107), ("timeout", True, 107), ("timeout", -1, 102),
    ("max_rows", "10", 107), ("max_rows", 2.5, 107), ("max_rows", -1, 102),
])
def test_a_bad_setting_of_the_limits_table_is_refused_when_set(setting: str, value: Any, code: int) -> None:
    """README: `connect(timeout=...)`, `db.timeout`, `connect(max_rows=...)`, `db.max_rows`. A
    string failed in the first query with a TypeError; a negative or NaN timeout was taken."""
    with pytest.raises(querylang.QueryError) as info:
        querylang.connect(**{setting: value})
    assert info.value.code == code and setting in str(info.value), str(info.value)
    db = querylang.connect()
    with pytest.raises(querylang.QueryError) as info:
        setattr(db, setting, value)
    assert info.value.code == code
    assert (db.timeout, db.max_rows) == (60.0, 1_000_000)  # unchanged
    db.timeout, db.max_rows = None, None  # None turns each off
    db.load(sample_document())
    assert len(db.query("Comment", "where({})").ids) == 120


def test_a_timeout_past_what_postgresql_can_set_is_no_error(pg_connect: Callable[[], querylang.Database]) -> None:
    """statement_timeout holds at most 2^31 - 1 ms (about 24.8 days): a longer timeout, or
    infinity, was refused by the server at the first query."""
    with pg_connect() as db:
        db.load(sample_document())
        for timeout in (1e7, float("inf")):
            db.timeout = timeout
            assert len(db.query("Post", "where({})").ids) == 40, timeout


# --- the Library API table ------------------------------------------------------------------

CALL = re.compile(r"`((?:querylang|db)\.(\w+))\(([^`]*)\)")


def test_every_keyword_of_the_api_table_is_a_parameter() -> None:
    start = README.index("## Library API")
    table = README[start:README.index("\n\n", README.index("| call |", start))]
    db = querylang.connect()
    seen = 0
    for whole, name, args in CALL.findall(table):
        target = getattr(querylang if whole.startswith("querylang.") else db, name, None)
        assert callable(target), f"README names {whole}, which does not exist"
        params = inspect.signature(target).parameters
        takes_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for kw in re.findall(r"(?<![\w.\"'])(\w+)=", args):
            assert kw in params or takes_kw, f"README: {whole}(... {kw}= ...): no such parameter"
            if kw in params and "=None" in args.replace(" ", "") and f"{kw}=None" in args.replace(" ", ""):
                assert params[kw].default is None, f"README: {whole}: {kw} defaults to {params[kw].default!r}"
        seen += 1
    assert seen >= 15, seen


# --- every option documented ----------------------------------------------------------------


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(cmd, click.Group):
            out += _commands(cmd, full + " ")
        else:
            out.append((full, cmd))
    return out


COMMANDS = _commands(main)


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_option_is_documented(name: str, command: click.Command) -> None:
    missing = []
    for p in command.params:
        if not isinstance(p, click.Option):
            continue
        flags = [f for f in [*p.opts, *p.secondary_opts] if f.startswith("--") and f != "--help"]
        if flags and not any(re.search(re.escape(f) + r"(?![\w-])", DOCS) for f in flags):
            missing.append("/".join(flags))
    assert not missing, f"querylang {name}: {', '.join(missing)} named nowhere in README.md or docs/"


def _table_row(name: str) -> str:
    rows = [line for line in README[README.index("| command | what it does | options |"):].split("\n\n")[0].splitlines()
            if re.match(rf"\| `{re.escape(name)}(?: [^`]*)?` \|", line)]
    assert len(rows) == 1, f"README's table of commands has {len(rows)} rows for querylang {name}"
    return rows[0]


@pytest.mark.parametrize("name,command", COMMANDS, ids=[n for n, _ in COMMANDS])
def test_the_table_of_commands_lists_each_commands_options(name: str, command: click.Command) -> None:
    """README's table of commands gives each command's options: not only named somewhere in the
    docs (the test above), but in its own row, and no option the command does not take."""
    options = {f for p in command.params if isinstance(p, click.Option) for f in [*p.opts, *p.secondary_opts]}
    options -= {"--help", "-h"}
    row = _table_row(name).split(" | ")[-1]
    shown = set(re.findall(r"(?<![\w-])--?[a-z][\w-]*", row)) - {"--help", "-h"}
    assert shown == options, f"querylang {name}: the README lists {sorted(shown - options)} it does not take, " \
                             f"leaves out {sorted(options - shown)}"


@pytest.mark.parametrize("name,command", [(n, c) for n, c in COMMANDS if any("--db" in p.opts for p in c.params)],
                         ids=[n for n, c in COMMANDS if any("--db" in p.opts for p in c.params)])
def test_every_db_option_says_it_takes_a_postgresql_url(name: str, command: click.Command) -> None:
    """README: `--db postgresql://...` in every command (load, import and serve included)."""
    (db,) = [p for p in command.params if "--db" in p.opts]
    text = getattr(db, "help", None) or ""
    assert "postgresql://" in text, f"querylang {name} --db: {text!r}"


def test_the_commands_help_lists_every_exit_status() -> None:
    """README: 0, 2, 1, and 130 for Ctrl-C or SIGTERM."""
    code, out, _ = run_cli(["--help"], ROOT)
    assert code == 0
    statuses = out[out.index("Exit status"):]
    for status in ("0", "2", "1", "130"):
        assert re.search(rf"\b{status}\b", statuses), (status, statuses)


def test_the_postgresql_session_settings_are_the_ones_documented(pg_connect: Callable[[], querylang.Database]) -> None:
    """docs/postgres.md, "Where PostgreSQL differs": the session settings querylang imposes."""
    text = (ROOT / "docs" / "postgres.md").read_text(encoding="utf-8")
    digits = re.search(r"the session's extra_float_digits is (\d+)", text)
    assert digits is not None and "the session's DateStyle is ISO" in text and "session time zone is UTC" in text
    with pg_connect() as db, db.store.connection() as con:  # type: ignore[attr-defined]
        shown = {name: con.execute(f"SHOW {name}").fetchone()[0]
                 for name in ("extra_float_digits", "DateStyle", "TimeZone", "client_encoding")}
    assert shown["extra_float_digits"] == digits.group(1), shown
    assert shown["DateStyle"].startswith("ISO") and shown["TimeZone"] == "UTC" and shown["client_encoding"] == "UTF8", shown


# Each Parse operator the README says is not supported, asked of db.find.
UNSUPPORTED_PROBES: dict[str, tuple[str, dict[str, Any], str | None]] = {
    "$relativeTime": ("Post", {"publishedAt": {"$lt": {"$relativeTime": "1 day ago"}}}, None),
    "$score": ("Post", {"title": {"$text": {"$search": {"$term": "parse"}}}}, "$score"),
    "$geoIntersects": ("Area", {"shape": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": 5, "longitude": 5}}}}, None),
}


def test_what_the_readme_calls_unsupported_is_refused() -> None:
    line = next(x for x in README.splitlines() if x.startswith("Not supported: "))
    named = re.findall(r"`(\$\w+)`", line)
    assert named, line
    db = querylang.connect()
    db.load(sample_document())
    db.load({"classes": {"Area": {"fields": {"shape": {"type": "Polygon"}}}},
             "records": {"Area": [{"objectId": "a1", "shape": [[0, 0], [0, 10], [10, 10], [10, 0]]}]}})
    for op in named:
        assert op in UNSUPPORTED_PROBES, f"add a probe for {op}"
        cls, where, order = UNSUPPORTED_PROBES[op]
        with pytest.raises(querylang.QueryError) as info:
            db.find(cls, where, order=order)
        assert info.value.code == 102, (op, str(info.value))
    # And what it supports: Parse's $geoIntersects on a Polygon field (README, Parse's own types).
    cls, where, _ = UNSUPPORTED_PROBES["$geoIntersects"]
    assert db.find(cls, where).ids == ["a1"]

"""Ctrl-C in the last windows after a load's COMMIT: once the engine's commit section has
ended (its Ctrl-C no longer held off), as the store's load returns into ``Database.load``,
as the importer returns, and as the import command closes the database and prints its notes.

Each case is a process of its own, signalled for real at that point (the function there is
wrapped to send SIGINT). Before, each press read as a load that failed: "interrupted" alone,
and a database file the command had made was removed with the committed records in it (a
press as the database closed or the notes printed kept the file but said nothing of the
import). Now the commit is marked at the COMMIT itself (the engine calls the load's
``on_commit`` with Ctrl-C held off, the import adds its report to imports_committed's list),
and each press is said as the load or import kept, then interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import querylang

from .test_load_ctrl_c_after_commit import _kept_after_the_press, _mongo_export

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}

# PRESS names the point: "engine", just after the first commit section of an engine's load ends
# (held_off given the load's list of presses, left without an error); "store", as the store's
# load returns to Database.load; "importer", as the importer returns (its folder names reset,
# after its `with Staging()` block); "closing", as the import command closes the database;
# "notes", as it prints its first note; "summary", in the summary's print (its first half written);
# "returned", as Database.load returns to its caller (the command's work, before its handlers).
PRESSES = """
import contextlib, importlib, os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
armed = [os.environ["PRESS"]]

def press():
    if armed:
        armed.clear()
        os.kill(os.getpid(), signal.SIGINT)

if armed[0] == "engine":
    for name in ("querylang.engines.duckdb.loading", "querylang.engines.duckdb.directory_load",
                 "querylang.engines.postgres.store"):
        module = importlib.import_module(name)

        @contextlib.contextmanager
        def held_off(pressed=None, held=module.held_off):
            with held(pressed):
                yield
            if pressed is not None:
                press()

        module.held_off = held_off
elif armed[0] in ("store", "returned"):
    from querylang.api import Database
    from querylang.engines.duckdb.store import Store
    from querylang.engines.postgres.store import PostgresStore
    for loader in (Store, PostgresStore) if armed[0] == "store" else (Database,):
        def load(self, *args, loading=loader.load, **kw):
            out = loading(self, *args, **kw)
            press()
            return out

        loader.load = load
elif armed[0] == "importer":
    from querylang.importers import interchange
    typed = interchange.typed_sources

    @contextlib.contextmanager
    def typed_sources(sources):
        with typed(sources):
            yield
        press()

    interchange.typed_sources = typed_sources
elif armed[0] == "closing":
    from querylang.app import other_commands
    from querylang.importers import command
    for module in (command, other_commands):
        def close_written(*args, closing=module.close_written):
            press()
            return closing(*args)
        module.close_written = close_written
elif armed[0] == "notes":
    import click
    echo = click.echo
    def said(message=None, *args, **kw):
        if str(message).startswith("note: "):
            press()
        return echo(message, *args, **kw)
    click.echo = said
elif armed[0] == "summary":
    class Summary:
        def __init__(self, out):
            self.out = out

        def __getattr__(self, name):
            return getattr(self.out, name)

        def write(self, text):
            if text.startswith(("loaded ", "imported ")):
                self.out.write(text[:len(text) // 2])
                self.out.flush()
                press()
            return self.out.write(text)

    sys.stdout = Summary(sys.stdout)
"""

COMMAND = PRESSES + """
from querylang.app.entry import main
sys.argv[0] = "querylang"
main()
"""


def _run(code: str, *args: str, press: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          env={**ENV, "PRESS": press}, cwd=cwd)


def _old_file(path: Path) -> None:
    with querylang.connect(path) as db:
        db.load({"classes": {"Old": {"fields": {}}}, "records": {"Old": [{"objectId": "o1"}]}})


def test_the_presses_are_placed() -> None:
    """The wrapped functions are where the presses are said to land (a renamed one would leave
    a test passing without its press)."""
    from querylang.app import commands, other_commands
    from querylang.engines.duckdb import directory_load, loading
    from querylang.engines.duckdb.store import Store
    from querylang.engines.postgres import store
    from querylang.importers import command, interchange

    assert all(callable(m.held_off) for m in (loading, directory_load, store))
    assert callable(Store.load) and callable(store.PostgresStore.load) and callable(querylang.Database.load)
    assert callable(interchange.typed_sources) and callable(command.close_written) and callable(other_commands.close_written)
    assert "click.echo(f\"note: " in Path(command.__file__).read_text(encoding="utf-8")
    assert "sys.stdout.write(line + " in Path(commands.__file__).read_text(encoding="utf-8")  # the summary


@pytest.mark.parametrize("press", ["engine", "store", "importer", "closing", "notes"])
@pytest.mark.parametrize("made", [True, False])
def test_querylang_import_pressed_after_its_commit_keeps_it_and_says_so(tmp_path: Path, made: bool, press: str) -> None:
    path, mongo = tmp_path / "f.duckdb", _mongo_export(tmp_path)
    if not made:
        _old_file(path)
    done = _run(COMMAND, "import", "mongo", str(mongo), "--db", str(path), press=press, cwd=tmp_path)
    if press != "notes":  # the notes said, then the press
        _kept_after_the_press(done, path, made)
        return
    # Pressed as the first note was to print: the notes stop there, the import is said kept.
    assert (done.returncode, done.stdout, done.stderr) == (
        130, f"imported 3 records and 2 relation edges into {path}: Post 2, Group 1\n",
        "interrupted after the import was committed: its records are kept\n")
    with querylang.connect(path, read_only=True) as db:
        assert sorted(db.schema.classes) == (["Group", "Post"] if made else ["Group", "Old", "Post"])
        assert db.query("Group", "where({ posts: { pointsTo: 'p2' } })").ids == ["g1"]


@pytest.mark.parametrize("press", ["engine", "store", "importer", "closing", "notes"])
def test_querylang_import_pressed_after_its_commit_keeps_it_and_says_so_on_postgresql(
    tmp_path: Path, pg_cluster: Any, press: str,
) -> None:
    from .pg import fresh_url

    url, mongo = fresh_url(pg_cluster), _mongo_export(tmp_path)
    done = _run(COMMAND, "import", "mongo", str(mongo), "--db", url, press=press, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (
        130, "imported 3 records and 2 relation edges into the PostgreSQL database: Post 2, Group 1\n"), done.stderr
    assert done.stderr.splitlines()[-1] == "interrupted after the import was committed: its records are kept"
    with querylang.connect(url) as db:
        assert (db.count("Post"), db.query("Group", "where({ posts: { pointsTo: 'p2' } })").ids) == (2, ["g1"])


@pytest.mark.parametrize("press", ["engine", "store", "closing"])
@pytest.mark.parametrize("made", [True, False])
def test_querylang_load_pressed_after_its_commit_keeps_it_and_says_so(tmp_path: Path, made: bool, press: str) -> None:
    path, file = tmp_path / "f.duckdb", tmp_path / "new.json"
    file.write_text(json.dumps({"classes": {"New": {"fields": {}}}, "records": {"New": [{"objectId": "r1"}]}}))
    if not made:
        _old_file(path)
    done = _run(COMMAND, "load", str(file), "--db", str(path), press=press, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        130, f"loaded 1 record into {path}: New 1\n", "interrupted after the load was committed: its records are kept\n")
    with querylang.connect(path, read_only=True) as db:
        assert (sorted(db.schema.classes), db.count("New")) == (["New"] if made else ["New", "Old"], 1)


def test_querylang_load_pressed_as_db_load_returns_keeps_the_file_it_made(tmp_path: Path) -> None:
    """Pressed as db.load returned into the command, before the command's own handlers: a plain
    press there came to write_into, which removed the file it had made, the committed load in
    it, and said "interrupted" alone. Now the file is kept (a load committed since it was
    opened, the store's count of changes says) and the press said as the load kept."""
    path, file = tmp_path / "f.duckdb", tmp_path / "new.json"
    file.write_text(json.dumps({"classes": {"New": {"fields": {}}}, "records": {"New": [{"objectId": "r1"}]}}))
    done = _run(COMMAND, "load", str(file), "--db", str(path), press="returned", cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        130, "", "interrupted after the load was committed: its records are kept\n")
    with querylang.connect(path, read_only=True) as db:
        assert (sorted(db.schema.classes), db.count("New")) == (["New"], 1)


# The library: the press is raised as the load (or import) kept, with this process's view of the
# database (db.reference's data too) holding it.
LIBRARY = PRESSES + """
import querylang
from querylang.importers import ImportedThenInterrupted
armed.clear()  # armed again before each pressed call
db = querylang.connect(sys.argv[1])
db.load({"classes": {"Old": {"fields": {"n": {"type": "Number"}}}}, "records": {"Old": [{"objectId": "o1", "n": 1}]}})
db.reference("Old", "where({n: {greaterThan: -1}})")  # kept by the process until a change
armed.append(os.environ["PRESS"])
try:
    db.load({"classes": {}, "records": {"Old": [{"objectId": "o2", "n": 2}]}})
except querylang.LoadedThenInterrupted as exc:
    print(type(exc).__name__, exc.counts)
print(len(db.reference("Old", "where({n: {greaterThan: -1}})").records))
armed.append(os.environ["PRESS"])
try:
    db.import_dashboard_export(sys.argv[2])
except ImportedThenInterrupted as exc:
    print(type(exc).__name__, exc.report.counts, exc.report.records)
print(db.count("Note"), sorted(db.schema.classes))
db.close()
"""


@pytest.mark.parametrize("press", ["engine", "store", "importer"])
def test_the_library_raises_a_press_after_the_commit_as_the_load_kept(tmp_path: Path, press: str) -> None:
    export = tmp_path / "Note.json"
    export.write_text(json.dumps({"results": [{"objectId": "n1", "k": 1}, {"objectId": "n2", "k": 2}]}))
    done = _run(LIBRARY, str(tmp_path / "f.duckdb"), str(export), press=press, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    loaded = [] if press == "importer" else ["LoadedThenInterrupted {'Old': 1}"]  # a load has no importer
    assert done.stdout.splitlines() == [*loaded, "2", "ImportedThenInterrupted {'Note': 2} 2", "2 ['Note', 'Old']"]


@pytest.mark.parametrize("engine", ["duckdb", "postgresql"])
def test_load_tells_on_commit_its_counts_and_refuses_one_that_is_no_function(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest,
) -> None:
    """What on_commit raises (a query it makes, refused) comes once the load returns, the load
    kept: raised in the engine's commit section, PostgreSQL said "load failed, nothing was
    loaded" of a load it had committed."""
    if engine == "duckdb":
        target: Any = tmp_path / "f.duckdb"
    else:
        from .pg import fresh_url

        target = fresh_url(request.getfixturevalue("pg_cluster"))
    doc = {"classes": {"A": {"fields": {}}}, "records": {"A": [{"objectId": "a1"}]}}
    with querylang.connect(target) as db:
        heard: list[dict[str, int]] = []
        assert db.load(doc, on_commit=heard.append) == {"A": 1}
        assert heard == [{"A": 1}]
        with pytest.raises(querylang.DataError, match="^load's on_commit must be a function \\(counts\\), not int: "
                                                      "nothing was loaded$"):
            db.load({"classes": {"B": {"fields": {}}}, "records": {"B": [{"objectId": "b1"}]}}, on_commit=5)  # type: ignore[arg-type]
        with pytest.raises(querylang.QueryError, match="^a query inside load's progress"):
            db.load({"records": {"A": [{"objectId": "a2"}]}}, on_commit=lambda counts: db.count("A"))
        assert (sorted(db.schema.classes), db.count("A")) == (["A"], 2)


def test_what_on_commit_raises_is_the_cause_of_a_press_meanwhile(tmp_path: Path) -> None:
    """on_commit raised, and a Ctrl-C came as it ran (held off, then raised as the load kept):
    the error was dropped, where the README says it comes out. It is the press's cause now."""
    code = """
import os, signal, sys, querylang
signal.signal(signal.SIGINT, signal.default_int_handler)
def told(counts):
    os.kill(os.getpid(), signal.SIGINT)
    raise ValueError("the caller's mark failed")
db = querylang.connect(sys.argv[1])
try:
    db.load({"classes": {"A": {"fields": {}}}, "records": {"A": [{"objectId": "a1"}]}}, on_commit=told)
except querylang.LoadedThenInterrupted as exc:
    print(type(exc).__name__, exc.counts, repr(exc.__cause__))
print(db.count("A"))
"""
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.duckdb")], capture_output=True, text=True,
                          timeout=120, env=ENV, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["LoadedThenInterrupted {'A': 1} ValueError(\"the caller's mark failed\")", "1"]


# A load of new classes large enough to be written while it is read (the pipeline's publishing
# transaction is its commit).
PIPELINE = PRESSES + """
import querylang
db = querylang.connect(sys.argv[1])
try:
    db.load({"classes": {"Big": {"fields": {"n": {"type": "Number"}}}},
             "records": {"Big": [{"objectId": f"b{i}", "n": i} for i in range(60_000)]}})
except querylang.LoadedThenInterrupted as exc:
    print(type(exc).__name__, exc.counts)
print(db.count("Big"), len(db.reference("Big", "where({n: {greaterThan: 59990}})").records))
db.close()
"""


@pytest.mark.parametrize("press", ["engine", "store"])
def test_a_pipelined_load_pressed_after_its_publishing_is_raised_as_kept(tmp_path: Path, press: str) -> None:
    from querylang.engines.duckdb.pipeline import PIPELINE_MIN

    assert PIPELINE_MIN <= 60_000  # the load goes through the pipeline
    done = _run(PIPELINE, str(tmp_path / "f.duckdb"), press=press, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["LoadedThenInterrupted {'Big': 60000}", "60000 9"]


@pytest.mark.parametrize("command, said", [
    (["load", "new.json"], "loaded 1 record into {}: New 1\n"),
    (["import", "mongo", "mongo"], "imported 3 records and 2 relation edges into {}: Post 2, Group 1\n"),
])
def test_a_press_as_the_summary_prints_is_said_as_the_load_kept(tmp_path: Path, command: list[str], said: str) -> None:
    """Pressed in the summary's own print (say_written), after the load or import committed, the
    command ended as "interrupted" alone, read as one that failed; now as the press just after
    it: the summary as far as it got, then the load (import) kept, exit 130, the new file kept."""
    path = tmp_path / "f.duckdb"
    (tmp_path / "new.json").write_text(json.dumps({"classes": {"New": {"fields": {}}}, "records": {"New": [{"objectId": "r1"}]}}))
    _mongo_export(tmp_path)
    done = _run(COMMAND, *command, "--db", str(path), press="summary", cwd=tmp_path)
    summary, what = said.format(path), command[0].replace("load", "the load").replace("import", "the import")
    # The import's notes (its records without dates) print before its summary.
    notes = [line for line in done.stderr.splitlines() if line.startswith("note: ")]
    assert len(notes) == (0 if command[0] == "load" else 2)
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (
        130, summary[:len(summary) // 2], [*notes, f"interrupted after {what} was committed: its records are kept"])
    with querylang.connect(path, read_only=True) as db:
        assert db.count("New" if command[0] == "load" else "Post") == (1 if command[0] == "load" else 2)

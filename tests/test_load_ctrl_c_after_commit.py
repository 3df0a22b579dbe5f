"""Ctrl-C landing just after a load's COMMIT: the records are saved, and the process says so.

Each case is a process of its own, signalled for real, as the load's COMMIT returns. Before,
the KeyboardInterrupt left the process's schema without the load (its new class "unknown",
its new field missing) and the reference evaluator reading the data from before, until the
database was reopened; now the press is raised as ``LoadedThenInterrupted`` (a
KeyboardInterrupt) once the process's view of the database holds the load, and the command
line says the load was kept, then "interrupted"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import querylang

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}

# The store's connection, wrapped so that SIGINT reaches the process the moment the COMMIT of
# a transaction that wrote schema rows (the load's last) returns.
AFTER_COMMIT = """
import json, os, signal, sys, querylang
from pathlib import Path
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
path, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = querylang.connect(path)
db.load({"classes": {"Old": {"fields": {"n": {"type": "Number"}}}}, "records": {"Old": [{"objectId": "o1", "n": 1}]}})
db.reference("Old", "where({n: {greaterThan: -1}})")  # kept by the process until a change

class Con:
    def __init__(self, con):
        self.con, self.schema_written = con, False
    def __getattr__(self, name):
        return getattr(self.con, name)
    def execute(self, sql, *args):
        out = self.con.execute(sql, *args)
        self.schema_written = self.schema_written or sql.startswith('INSERT OR REPLACE INTO "_querylang_schema"')
        if sql == "COMMIT" and self.schema_written:
            self.schema_written = False
            os.kill(os.getpid(), signal.SIGINT)
        return out

if kind == "stored":  # one transaction, a field added to a stored class
    cls, classes = "Old", {"Old": {"fields": {"n": {"type": "Number"}, "m": {"type": "String"}}}}
    records = [{"objectId": f"x{i}", "n": i, "m": "a"} for i in range(n)]
else:  # a new class: published by the last transaction of a load written while read
    cls, classes = "New", {"New": {"fields": {"n": {"type": "Number"}}}}
    records = [{"objectId": f"r{i}", "n": i} for i in range(n)]
source = {"classes": classes, "records": {cls: records}}
if kind == "directory":
    source = Path(path).parent / "dir"
    source.mkdir()
    (source / "schema.json").write_text(json.dumps({"classes": classes}))
    (source / "New.ndjson").write_text("".join(json.dumps(r) + "\\n" for r in records))
db.store.con = Con(db.store.con)
try:
    db.load(source)
    print("loaded")
except KeyboardInterrupt as exc:
    print(type(exc).__name__, getattr(exc, "counts", None))
db.store.con = db.store.con.con
known = db.schema.classes.get(cls)
print(sorted(db.schema.classes), known and sorted(f.name for f in known.user_fields))
try:
    print(db.count(cls), len(db.reference(cls, "where({n: {greaterThan: -1}})").records))
except querylang.QueryError as exc:
    print(exc.message)
print(db.load({"classes": {"Z": {"fields": {}}}, "records": {"Z": [{"objectId": "z"}]}}))
db.close()
"""


@pytest.mark.parametrize(("kind", "n", "total"), [("stored", 10, 11), ("new", 10, 10), ("new", 60_000, 60_000),
                                                  ("directory", 60_000, 60_000)])
def test_ctrl_c_just_after_a_duckdb_loads_commit_is_raised_with_the_process_up_to_date(
    tmp_path: Path, kind: str, n: int, total: int
) -> None:
    path = tmp_path / "f.duckdb"
    done = subprocess.run([sys.executable, "-c", AFTER_COMMIT, str(path), kind, str(n)], capture_output=True,
                          text=True, timeout=120, env=ENV)
    cls, fields = ("Old", "['m', 'n']") if kind == "stored" else ("New", "['n']")
    classes = "['Old']" if kind == "stored" else "['New', 'Old']"
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"LoadedThenInterrupted {{'{cls}': {n}}}", f"{classes} {fields}",
                                        f"{total} {total}", "{'Z': 1}"]
    with querylang.connect(path, read_only=True) as db:
        assert (sorted(db.schema.classes), db.count(cls), db.count("Z")) == (sorted({cls, "Old", "Z"}), total, 1)


# The command line's load, the press landing as the store's schema is brought up to date after
# the COMMIT (the first thing the load does once it is saved).
COMMAND = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from querylang.engines.duckdb.loading import Loading
from querylang.app.entry import main
loaded = Loading._loaded
def pressed(self, *args):
    os.kill(os.getpid(), signal.SIGINT)
    return loaded(self, *args)
Loading._loaded = pressed
sys.argv[0] = "querylang"
main()
"""


@pytest.mark.parametrize("made", [True, False])
def test_querylang_load_ctrl_c_after_the_commit_says_loaded_then_interrupted(tmp_path: Path, made: bool) -> None:
    path, file = tmp_path / "f.duckdb", tmp_path / "new.json"
    file.write_text(json.dumps({"classes": {"New": {"fields": {}}}, "records": {"New": [{"objectId": "r1"}]}}))
    if not made:
        with querylang.connect(path) as db:
            db.load({"classes": {"Old": {"fields": {}}}, "records": {"Old": [{"objectId": "o1"}]}})
    done = subprocess.run([sys.executable, "-c", COMMAND, "load", str(file), "--db", str(path)], capture_output=True,
                          text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        130, f"loaded 1 record into {path}: New 1\n", "interrupted after the load was committed: its records are kept\n")
    with querylang.connect(path, read_only=True) as db:
        assert (sorted(db.schema.classes), db.count("New")) == (["New"] if made else ["New", "Old"], 1)


def test_repl_load_ctrl_c_after_the_commit_says_what_it_loaded(tmp_path: Path) -> None:
    path, file = tmp_path / "f.duckdb", tmp_path / "new.json"
    file.write_text(json.dumps({"classes": {"New": {"fields": {}}}, "records": {"New": [{"objectId": "r1"}]}}))
    done = subprocess.run([sys.executable, "-c", COMMAND, "repl", "--db", str(path)], input=f".load {file}\n",
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert done.returncode == 130, done.stdout + done.stderr
    said = " ".join(done.stdout.split())  # as the terminal's width wrapped it
    assert "loaded 1 record: New 1 (interrupted after the load was committed: its records are kept)" in said
    with querylang.connect(path, read_only=True) as db:
        assert (sorted(db.schema.classes), db.count("New")) == (["New"], 1)


# The press landing once the import's load has returned, as the import counts the distinct
# edges it stored (a large import's relations file is read whole, spread over part files).
COUNTING = COMMAND.replace(
    "from querylang.engines.duckdb.loading import Loading\n", "from querylang.importers.interchange import Staging\n"
).replace("loaded = Loading._loaded", "loaded = Staging._distinct_edges").replace(
    "Loading._loaded = pressed", "Staging._distinct_edges = pressed")


def _mongo_export(tmp_path: Path) -> Path:
    """A mongoexport of 3 records (2 of them without dates: 2 notes) and 2 relation edges."""
    mongo = tmp_path / "mongo"
    mongo.mkdir()
    (mongo / "_SCHEMA.json").write_text('{"_id": "Post", "title": "string"}\n'
                                        '{"_id": "Group", "posts": "relation<Post>"}\n')
    (mongo / "Post.json").write_text('{"_id": "p1", "title": "a"}\n{"_id": "p2", "title": "b"}\n')
    (mongo / "Group.json").write_text('{"_id": "g1"}\n')
    (mongo / "_Join:posts:Group.json").write_text('{"owningId": "g1", "relatedId": "p1"}\n'
                                                  '{"owningId": "g1", "relatedId": "p2"}\n')
    return mongo


def _kept_after_the_press(done: subprocess.CompletedProcess[str], path: Path, made: bool) -> None:
    """The command said the import was kept (its summary, then the press), and it was: the
    mongo export's classes beside what the file held (``made``: the command made the file)."""
    assert (done.returncode, done.stdout) == (130, f"imported 3 records and 2 relation edges into {path}: Post 2, Group 1\n")
    *notes, last = done.stderr.splitlines()  # the import's notes (records without dates) kept too
    assert (len(notes), last) == (2, "interrupted after the import was committed: its records are kept")
    with querylang.connect(path, read_only=True) as db:
        assert sorted(db.schema.classes) == (["Group", "Post"] if made else ["Group", "Old", "Post"])
        assert db.query("Group", "where({ posts: { pointsTo: 'p2' } })").ids == ["g1"]


@pytest.mark.parametrize("press", ["commit", "counting"])
@pytest.mark.parametrize("made", [True, False])
def test_querylang_import_ctrl_c_after_the_commit_says_imported_then_interrupted(
    tmp_path: Path, made: bool, press: str,
) -> None:
    """Before, the press after an import's COMMIT read as a failed import: "interrupted" alone
    (a user running it again met every objectId as a duplicate), and a database file the
    command had made was removed with the imported records in it. A press as the edges were
    then counted still was (found by review of 9b57d7f9)."""
    path, mongo = tmp_path / "f.duckdb", _mongo_export(tmp_path)
    if not made:
        with querylang.connect(path) as db:
            db.load({"classes": {"Old": {"fields": {}}}, "records": {"Old": [{"objectId": "o1"}]}})
    command = COMMAND if press == "commit" else COUNTING
    assert press == "commit" or "Staging._distinct_edges = pressed" in command  # the press is placed
    done = subprocess.run([sys.executable, "-c", command, "import", "mongo", str(mongo), "--db", str(path)],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    _kept_after_the_press(done, path, made)


def test_an_import_pressed_after_its_commit_raises_what_it_imported(tmp_path: Path) -> None:
    """The library's import raises the press with the import's whole report (its edges too)."""
    code = COMMAND.replace("from querylang.app.entry import main", "import querylang").replace(
        'sys.argv[0] = "querylang"\nmain()',
        "db = querylang.connect(sys.argv[1])\n"
        "from querylang.importers import ImportedThenInterrupted\n"
        "try:\n    db.import_dashboard_export(sys.argv[2])\n"
        "except ImportedThenInterrupted as exc:\n"
        "    print(isinstance(exc, querylang.LoadedThenInterrupted), exc.counts, exc.report.records, exc)\n"
        "print(db.count('Note'))\ndb.close()\n")
    export = tmp_path / "Note.json"
    export.write_text(json.dumps({"results": [{"objectId": "n1", "k": 1}, {"objectId": "n2", "k": 2}]}))
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.duckdb"), str(export)],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "True {'Note': 2} 2 interrupted after the import was committed: its records are kept", "2"]


def test_the_presses_after_a_commit_survive_pickling() -> None:
    """Found by review of 9b57d7f9: an exception a process pool's worker raises reaches the
    parent pickled, rebuilt by calling its class with its message: ImportedThenInterrupted's
    __init__ takes a report, and unpickling it failed (AttributeError). LoadedThenInterrupted,
    its base, already came through whole."""
    import pickle

    from querylang.importers import ImportedThenInterrupted, ImportReport

    loaded = pickle.loads(pickle.dumps(querylang.LoadedThenInterrupted({"Post": 2})))
    assert (type(loaded), loaded.counts, str(loaded)) == (
        querylang.LoadedThenInterrupted, {"Post": 2}, "interrupted after the load was committed: its records are kept")
    report = ImportReport(counts={"Post": 2}, edges=1, notes=["n"])
    imported = pickle.loads(pickle.dumps(ImportedThenInterrupted(report)))
    assert (type(imported), imported.counts, imported.report, str(imported)) == (
        ImportedThenInterrupted, {"Post": 2}, report, "interrupted after the import was committed: its records are kept")


# The press landing as the import's staging folder is removed (the ``with Staging()`` block's
# end, after the load committed and the edges were counted): a large import's folder holds
# gigabytes, whose removal takes a while. "commit": a press as the load commits, then this one.
CLEANUP = """
import os, shutil, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from querylang.importers.interchange import PREFIX
removing = shutil.rmtree
def pressed(path, *args, **kw):
    if os.path.basename(path).startswith(PREFIX):  # the staging folder, not its edge parts
        os.kill(os.getpid(), signal.SIGINT)
    return removing(path, *args, **kw)
shutil.rmtree = pressed
if os.environ.get("PRESS_AT_COMMIT"):
    from querylang.engines.duckdb.loading import Loading
    loaded = Loading._loaded
    def at_commit(self, *args):
        os.kill(os.getpid(), signal.SIGINT)
        return loaded(self, *args)
    Loading._loaded = at_commit
"""

CLEANUP_COMMAND = CLEANUP + """
from querylang.app.entry import main
sys.argv[0] = "querylang"
main()
"""


def _staging_folders(tmp: Path) -> list[Path]:
    from querylang.importers.interchange import PREFIX

    return sorted(tmp.glob(PREFIX + "*"))


@pytest.mark.parametrize("commit", [False, True])
@pytest.mark.parametrize("made", [True, False])
def test_querylang_import_ctrl_c_in_the_staging_cleanup_keeps_the_import(tmp_path: Path, made: bool, commit: bool) -> None:
    """Before, a press as the staging folder was removed, after the import committed, read as a
    failed import: "interrupted" alone, exit 130, and a database file the command had made was
    removed with the imported records in it. The folder the press left behind is its owner's
    no more: the next import removes it."""
    path, mongo, tmp = tmp_path / "f.duckdb", _mongo_export(tmp_path), tmp_path / "tmp"
    tmp.mkdir()
    if not made:
        with querylang.connect(path) as db:
            db.load({"classes": {"Old": {"fields": {}}}, "records": {"Old": [{"objectId": "o1"}]}})
    env = {**ENV, "TMPDIR": str(tmp), **({"PRESS_AT_COMMIT": "1"} if commit else {})}
    done = subprocess.run([sys.executable, "-c", CLEANUP_COMMAND, "import", "mongo", str(mongo), "--db", str(path)],
                          capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    _kept_after_the_press(done, path, made)
    assert len(_staging_folders(tmp)) == 1  # the press came before the removal
    from querylang.importers.interchange import remove_abandoned

    remove_abandoned(tmp)
    assert _staging_folders(tmp) == []


def test_querylang_import_ctrl_c_in_the_staging_cleanup_keeps_the_import_on_postgresql(
    tmp_path: Path, pg_cluster: Any,
) -> None:
    """As above, into PostgreSQL (no file to remove there): before, the command said
    "interrupted" alone of an import it had committed."""
    from .pg import fresh_url

    url, mongo = fresh_url(pg_cluster), _mongo_export(tmp_path)
    done = subprocess.run([sys.executable, "-c", CLEANUP_COMMAND, "import", "mongo", str(mongo), "--db", url],
                          capture_output=True, text=True, timeout=60, env=ENV, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (
        130, "imported 3 records and 2 relation edges into the PostgreSQL database: Post 2, Group 1\n")
    assert done.stderr.splitlines()[-1] == "interrupted after the import was committed: its records are kept"
    with querylang.connect(url) as db:
        assert (db.count("Post"), db.query("Group", "where({ posts: { pointsTo: 'p2' } })").ids) == (2, ["g1"])


@pytest.mark.parametrize("commit", [False, True])
def test_an_import_pressed_in_its_staging_cleanup_raises_what_it_imported_and_lets_the_folder_go(
    tmp_path: Path, commit: bool,
) -> None:
    """The library's import: before, a plain KeyboardInterrupt (after a press at the commit too,
    whose ImportedThenInterrupted it replaced), and the staging folder's owner file stayed
    locked by the process (its descriptor was not closed), so that no import removed the folder
    for as long as the process lived."""
    code = CLEANUP + """
import tempfile
from pathlib import Path
import querylang
from querylang.importers import ImportedThenInterrupted
from querylang.importers.interchange import PREFIX, remove_abandoned
db = querylang.connect(sys.argv[1])
try:
    db.import_dashboard_export(sys.argv[2])
except KeyboardInterrupt as exc:
    print(type(exc).__name__, exc.counts, exc.report.records, exc)
shutil.rmtree = removing
tmp = Path(tempfile.gettempdir())
left = len(list(tmp.glob(PREFIX + "*")))
remove_abandoned(tmp)  # in this process: a folder it still holds is not removed
print(left, len(list(tmp.glob(PREFIX + "*"))), db.count("Note"))
db.close()
"""
    export, tmp = tmp_path / "Note.json", tmp_path / "tmp"
    tmp.mkdir()
    export.write_text(json.dumps({"results": [{"objectId": "n1", "k": 1}, {"objectId": "n2", "k": 2}]}))
    env = {**ENV, "TMPDIR": str(tmp), **({"PRESS_AT_COMMIT": "1"} if commit else {})}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "f.duckdb"), str(export)],
                          capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "ImportedThenInterrupted {'Note': 2} 2 interrupted after the import was committed: its records are kept",
        "1 0 2"]

"""Ctrl-C pressed twice (or held down) during a DuckDB load: the later presses arriving while
the first undoes the load. Each case is a process of its own, signalled for real: it must end at
once with the KeyboardInterrupt, its load undone (neither the load's tables nor their listing
left in the file), and the thread of a load written while read (LoadPipeline) ended. Cut short by
the second Ctrl-C, the stopping left that thread waiting for a job for good (a process that never
exited) and the tables in the file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import querylang

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}

# The progress is told on the load's thread: at the first part written, the thread waits there
# (its job busy in Python, where no interrupt reaches it) while the reader, its queue full, is
# signalled, and signalled again ``apart`` seconds later, as the load is being stopped.
TWICE = """
import os, signal, sys, threading, time, querylang
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal (a suite in the background ignores it)
db = querylang.connect(sys.argv[1])
apart = float(sys.argv[2])
db.load({"classes": {"Old": {"fields": {"n": {"type": "Number"}}}}, "records": {"Old": [{"objectId": "o1", "n": 1}]}})
classes = {f"C{k}": {"fields": {"n": {"type": "Number"}}} for k in range(8)}
doc = {"classes": classes, "records": {c: [{"objectId": f"r{i}", "n": i} for i in range(10_000)] for c in classes}}
sent = []

def progress(stage, done, total):
    if stage == "written" and not sent:
        sent.append(1)
        time.sleep(0.3)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(apart)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.3)

began = time.monotonic()
try:
    db.load(doc, progress=progress)
except KeyboardInterrupt:
    print("interrupted", sorted(t.name for t in threading.enumerate()), time.monotonic() - began < 10)
    db.close()
    sys.exit(130)
print("loaded")
"""


@pytest.mark.parametrize("apart", [0.0, 0.05, 0.3])
def test_a_second_ctrl_c_while_a_load_stops_ends_it_undone(tmp_path: Path, apart: float) -> None:
    path = tmp_path / "f.duckdb"
    done = subprocess.run([sys.executable, "-c", TWICE, str(path), str(apart)], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "interrupted ['MainThread'] True\n", "")
    assert left_in(path) == (["Old", "_querylang_loading", "_querylang_schema"], [(0,)])
    with querylang.connect(path) as db:
        assert (list(db.schema.classes), db.count("Old")) == (["Old"], 1)


# The command line's load, Ctrl-C'd twice once its writing has begun (its file's log has grown),
# the presses ``apart`` seconds apart: whichever moment they meet, it says "interrupted" and
# ends at once with status 130, the database as it was. A second press as the load stopped aborted the
# process in DuckDB's C++ (exit -6, the load's tables left in the file), or met Python's exit
# waiting for the load's thread (killed by the signal).
COMMAND = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
           "from querylang.app.entry import main; sys.argv[0] = 'querylang'; main()")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    classes = {f"C{k}": {"fields": {"n": {"type": "Number"}}} for k in range(6)}
    path = tmp_path_factory.mktemp("big") / "big.json"
    path.write_text(json.dumps({"classes": classes, "records": {
        c: [{"objectId": f"r{i}", "n": i} for i in range(200_000)] for c in classes}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("apart", [0.0, 0.01, 0.1, 0.3])
def test_querylang_load_ctrl_c_twice_says_interrupted_and_leaves_the_database_as_it_was(
    tmp_path: Path, big_file: Path, apart: float
) -> None:
    path, wal = tmp_path / "f.duckdb", tmp_path / "f.duckdb.wal"
    with querylang.connect(path) as db:
        db.load({"classes": {"Old": {"fields": {}}}, "records": {"Old": [{"objectId": "o1"}]}})
    proc = subprocess.Popen([sys.executable, "-c", COMMAND, "load", str(big_file), "--db", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    try:
        end = time.monotonic() + 120
        while not (wal.exists() and wal.stat().st_size >= 1 << 20):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < end, "the load wrote nothing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        time.sleep(apart)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # A press that lands once the command has said so, as Python exits, ends it by the signal,
    # which a shell reports as status 130 too.
    assert (proc.returncode in (130, -signal.SIGINT), out, err) == (True, "", "interrupted\n")
    assert left_in(path) == (["Old", "_querylang_loading", "_querylang_schema"], [(0,)])
    with querylang.connect(path) as db:
        assert (list(db.schema.classes), db.count("Old")) == (["Old"], 1)


def left_in(path: Path) -> tuple[list[str], list[tuple[int]]]:
    """The file's tables, and how many a load left listed in _querylang_loading, read as they
    are (querylang's open for writing drops what a load left)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = sorted(t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        return tables, con.execute("SELECT count(*) FROM _querylang_loading").fetchall()
    finally:
        con.close()


# Ctrl-C held down (a press each millisecond for 0.3 s) from ``delay`` seconds into a load of a
# document or of a directory: whatever the presses meet, the file holds the whole load or none
# of it. Before, a press met the undoing itself (its DROPs, or the ROLLBACK before them, after
# which the next BEGIN failed), and the load's tables stayed in the file.
HELD_DOWN = """
import json, os, signal, sys, threading, time, querylang
from pathlib import Path
signal.signal(signal.SIGINT, signal.default_int_handler)
path, kind, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
db = querylang.connect(path)
db.load({"classes": {"Old": {"fields": {"n": {"type": "Number"}}}}, "records": {"Old": [{"objectId": "o1", "n": 1}]}})
classes = {f"C{k}": {"fields": {"n": {"type": "Number"}}} for k in range(6)}
records = {c: [{"objectId": f"r{i}", "n": i} for i in range(50_000)] for c in classes}
source = {"classes": classes, "records": records}
if kind == "directory":
    source = Path(path).parent / "dir"
    source.mkdir()
    (source / "schema.json").write_text(json.dumps({"classes": classes}))
    for c, rs in records.items():
        (source / f"{c}.ndjson").write_text("".join(json.dumps(r) + "\\n" for r in rs))

def held_down():
    time.sleep(delay)
    for _ in range(300):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.001)

threading.Thread(target=held_down, daemon=True).start()
db.load(source)  # the presses may end the process anywhere after it too: only the file is looked at
"""


@pytest.mark.parametrize("delay", [0.3, 0.6, 0.9])
@pytest.mark.parametrize("kind", ["document", "directory"])
def test_ctrl_c_held_down_during_a_load_leaves_all_of_it_or_none(tmp_path: Path, kind: str, delay: float) -> None:
    path = tmp_path / "f.duckdb"
    subprocess.run([sys.executable, "-c", HELD_DOWN, str(path), kind, str(delay)], capture_output=True, timeout=60)
    tables, listed = left_in(path)
    assert listed == [(0,)]
    assert tables in (["Old", "_querylang_loading", "_querylang_schema"],
                      ["C0", "C1", "C2", "C3", "C4", "C5", "Old", "_querylang_loading", "_querylang_schema"])

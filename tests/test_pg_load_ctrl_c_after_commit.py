"""Ctrl-C landing just after a PostgreSQL load's COMMIT (COPY in one transaction on the main
thread): as on DuckDB (test_load_ctrl_c_after_commit.py), the press is raised as
``LoadedThenInterrupted`` once the process's schema holds the load. Before, the
KeyboardInterrupt left ``db.schema`` without the load's new class and new field (queries found
them by reading the schema again; the schema the caller reads did not)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import querylang

from .pg import fresh_url

ROOT = Path(__file__).parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

# SIGINT sent the moment the load's transaction has committed (psycopg's Transaction exit).
AFTER_COMMIT = """
import os, signal, sys, psycopg, querylang
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
url, kind = sys.argv[1], sys.argv[2]
db = querylang.connect(url)
db.load({"classes": {"Old": {"fields": {"n": {"type": "Number"}}}}, "records": {"Old": [{"objectId": "o1", "n": 1}]}})
db.reference("Old", "where({n: {greaterThan: -1}})")  # kept by the process until a change
armed = []
ended = psycopg.Transaction.__exit__
def __exit__(self, *exc):
    out = ended(self, *exc)
    if armed and exc[0] is None:
        armed.clear()
        os.kill(os.getpid(), signal.SIGINT)
    return out
psycopg.Transaction.__exit__ = __exit__
if kind == "stored":
    cls, fields = "Old", {"n": {"type": "Number"}, "m": {"type": "String"}}
else:
    cls, fields = "New", {"n": {"type": "Number"}}
records = [{"objectId": f"x{i}", "n": i} for i in range(10)]
armed.append(1)
try:
    db.load({"classes": {cls: {"fields": fields}}, "records": {cls: records}})
    print("loaded")
except KeyboardInterrupt as exc:
    print(type(exc).__name__, getattr(exc, "counts", None))
known = db.schema.classes.get(cls)
print(sorted(db.schema.classes), known and sorted(f.name for f in known.user_fields))
print(db.count(cls), len(db.reference(cls, "where({n: {greaterThan: -1}})").records))
print(db.load({"classes": {"Z": {"fields": {}}}, "records": {"Z": [{"objectId": "z"}]}}))
db.close()
"""


@pytest.mark.parametrize(("kind", "total"), [("stored", 11), ("new", 10)])
def test_ctrl_c_just_after_a_postgresql_loads_commit_is_raised_with_the_schema_up_to_date(
    pg_cluster, kind: str, total: int
) -> None:
    url = fresh_url(pg_cluster)
    done = subprocess.run([sys.executable, "-c", AFTER_COMMIT, url, kind], capture_output=True, text=True,
                          timeout=120, env=ENV)
    cls, fields, classes = ("Old", "['m', 'n']", "['Old']") if kind == "stored" else ("New", "['n']", "['New', 'Old']")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"LoadedThenInterrupted {{'{cls}': 10}}", f"{classes} {fields}",
                                        f"{total} {total}", "{'Z': 1}"]
    with querylang.connect(url) as db:
        assert (sorted(db.schema.classes), db.count(cls), db.count("Z")) == (sorted({cls, "Old", "Z"}), total, 1)

"""A process forked after connect (multiprocessing's default start method on Linux) holding its
parent's database: the child's calls are refused saying so, where they used the parent's
connection (PostgreSQL: the children's statements interleaved on one socket and hung; DuckDB: a
child's write went to its own copy of the file's pages and was lost), and the child's close()
leaves the parent's connections and file alone."""

from __future__ import annotations

import json
import subprocess
import sys

import psycopg
import pytest

import querylang

from .pg import fresh_url, parse_tables

FORKED = """
import multiprocessing, sys, querylang
db = querylang.connect(sys.argv[1])
db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}},
         "records": {"Post": [{"objectId": f"p{i}", "n": i} for i in range(5)]}})
stream = db.stream("Post", None, batch=1)
print(next(stream)["objectId"])

def child(said):
    for call in (lambda: db.query("Post", None), lambda: db.create("Post", {"n": 9}),
                 lambda: db.load({"records": {"Post": [{"objectId": "x", "n": 1}]}})):
        try:
            call()
            said.put("answered")
        except querylang.QueryError as exc:
            said.put(str(exc))
    db.close()

said = multiprocessing.Queue()
children = [multiprocessing.get_context("fork").Process(target=child, args=(said,)) for _ in range(3)]
for c in children:
    c.start()
for c in children:
    c.join(30)
print([c.exitcode for c in children])
print(sorted({said.get(timeout=5) for _ in range(9)}))
print(db.count("Post", None), [r["objectId"] for r in stream])
db.close()
"""

SAID = ("the database was opened by another process, this one's parent (a fork after connect): "
        "its connection is the parent's; open it again with querylang.connect in this process")


@pytest.mark.parametrize("engine", ["memory", "file", "postgres"])
def test_a_forked_child_is_refused_its_parents_database(pg_cluster, tmp_path, engine):
    target = {"memory": ":memory:", "file": str(tmp_path / "f.duckdb"), "postgres": None}[engine]
    target = target or fresh_url(pg_cluster)
    done = subprocess.run([sys.executable, "-c", FORKED, target], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["p0", "[0, 0, 0]", str([SAID]), "5 ['p1', 'p2', 'p3', 'p4']"]
    if engine == "postgres":
        with psycopg.connect(target, autocommit=True) as con:
            assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                               "AND datname = current_database()").fetchone() == (0,)


# Every public method of a Database, and of a stream, called in a child forked after connect.
# The parent holds a stream read in part (batch 1: the child's next would read a row on the
# parent's connection; batch 1000: it would hand out the rest of the batch the parent read),
# one never started, and a stream the child closes.
# A forked child calls each of CALLS (a script's dict of name: call) and says, for each,
# whether it was answered or refused for the fork (or the other error's text).
ASK_A_CHILD = """def child(said):
    for name, call in CALLS.items():
        try:
            call()
            said.put((name, "answered"))
        except querylang.QueryError as exc:
            said.put((name, "refused" if str(exc) == DATABASE_FORKED else str(exc)))

said = multiprocessing.Queue()
forked = multiprocessing.get_context("fork").Process(target=child, args=(said,))
forked.start()
"""


EVERY_CALL = """
import json, multiprocessing, sys, querylang
from querylang.errors import DATABASE_FORKED
db = querylang.connect(sys.argv[1])
db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"},
                                         "fans": {"type": "Relation", "targetClass": "Post"}}}},
         "records": {"Post": [{"objectId": f"p{i}", "n": i} for i in range(5)]}})
streams = {"by one": db.stream("Post", None, batch=1), "by 1000": db.stream("Post", None),
           "closed": db.stream("Post", None, batch=1), "unstarted": db.stream("Post", None, batch=1)}
for name in ("by one", "by 1000", "closed"):
    next(streams[name])
built = db.build("Post", None)
db.reference("Post", None)  # its data kept: read before the fork
json.dump({"results": [{"objectId": "z1", "n": 1}]}, open(sys.argv[2] + "/export.json", "w"))
CALLS = {
    "query": lambda: db.query("Post", None), "count": lambda: db.count("Post", None),
    "distinct": lambda: db.distinct("Post", "n"), "aggregate": lambda: db.aggregate("Post", {"s": {"sum": "n"}}),
    "find": lambda: db.find("Post", {}), "explain": lambda: db.explain("Post", None),
    "build": lambda: db.build("Post", None), "compile": lambda: db.compile("Post", None),
    "run": lambda: db.run(built), "reference": lambda: db.reference("Post", None),
    "run_reference": lambda: db.run_reference(built), "stream": lambda: list(db.stream("Post", None)),
    "create": lambda: db.create("Post", {"n": 9}), "save": lambda: db.save("Post", "p0", {"n": 9}),
    "update": lambda: db.update("Post", "p0", lambda r: {"n": 8}), "delete": lambda: db.delete("Post", "p1"),
    "increment": lambda: db.increment("Post", "p0", {"n": 1}),
    "add_relation": lambda: db.add_relation("Post", "p0", "fans", "p2"),
    "remove_relation": lambda: db.remove_relation("Post", "p0", "fans", "p2"),
    "define_class": lambda: db.define_class("New", {"x": {"type": "String"}}),
    "add_field": lambda: db.add_field("Post", "extra", "String"),
    "load": lambda: db.load({"records": {"Post": [{"objectId": "x", "n": 1}]}}),
    "import_dashboard_export": lambda: db.import_dashboard_export(sys.argv[2] + "/export.json"),
    "import_mongo_export": lambda: db.import_mongo_export(sys.argv[2]),
    "import_parse_server": lambda: db.import_parse_server("http://127.0.0.1:9/parse", app_id="a", master_key="m"),
    "refresh_schema": db.refresh_schema, "missing_indexes": db.missing_indexes,
    "next of a stream read by one": lambda: next(streams["by one"]),
    "next of a stream read by 1000": lambda: next(streams["by 1000"]),
    "next of a stream never started": lambda: next(streams["unstarted"]),
    "close of a stream": streams["closed"].close,
    "schema": lambda: db.schema, "notes": lambda: db.notes, "clear_cache": db.clear_cache, "close": db.close,
}

{ask_a_child}got = dict(said.get(timeout=60) for _ in CALLS)
forked.join(30)
print(json.dumps(got))
print(forked.exitcode)
# The parent's database, its streams and its connection as they were.
print(db.count("Post", None), db.query("Post", {"objectId": "p0"}).records[0]["n"], db.refresh_schema(),
      {name: [r["objectId"] for r in s] for name, s in streams.items()})
db.create("Post", {"n": 9})
print(db.count("Post", None))
db.close()
""".replace("{ask_a_child}", ASK_A_CHILD)

# What a child may still do: what this process holds already (no connection is used), and
# close what is the parent's, which leaves it alone.
ANSWERED = {"schema", "notes", "clear_cache", "close", "close of a stream"}


@pytest.mark.parametrize("engine", ["memory", "file", "postgres"])
def test_every_call_of_a_forked_child_is_refused(pg_cluster, tmp_path, engine):
    target = {"memory": ":memory:", "file": str(tmp_path / "f.duckdb"), "postgres": None}[engine]
    target = target or fresh_url(pg_cluster)
    done = subprocess.run([sys.executable, "-c", EVERY_CALL, target, str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    said, exitcode, parent, count = done.stdout.splitlines()
    got = json.loads(said)
    assert got == {name: "answered" if name in ANSWERED else "refused" for name in got}
    # Every public name of a Database is called (but its two settings, which only hold a number).
    assert {name for name in dir(querylang.Database) if not name.startswith("_")} - {"timeout", "max_rows"} <= set(got)
    assert (exitcode, count) == ("0", "6")
    left = str({"by one": ["p1", "p2", "p3", "p4"], "by 1000": ["p1", "p2", "p3", "p4"], "closed": ["p1", "p2", "p3", "p4"],
                "unstarted": ["p0", "p1", "p2", "p3", "p4"]})
    assert parent == f"5 0 False {left}"
    if engine == "postgres":
        with psycopg.connect(target, autocommit=True) as con:
            assert con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                               "AND datname = current_database()").fetchone() == (0,)


# Parse's own tables read in place (layout="parse"): the reads of a child, the schema's too
# (its _SCHEMA read again, a digest, and its stems' check take no lock).
PARSE_READS = """
import json, multiprocessing, sys, querylang
from querylang.errors import DATABASE_FORKED
db = querylang.connect(sys.argv[1], layout="parse")
stream = db.stream("Post", None, batch=1)
next(stream)
CALLS = {"query": lambda: db.query("Post", None), "count": lambda: db.count("Post", {"n": {"$gt": 0}}),
         "explain": lambda: db.explain("Post", None), "reference": lambda: db.reference("Post", None),
         "compile": lambda: db.compile("Post", None), "refresh_schema": db.refresh_schema,
         "missing_indexes": db.missing_indexes, "next of a stream": lambda: next(stream),
         "stream": lambda: list(db.stream("Post", None)), "close": db.close}

{ask_a_child}print(json.dumps(dict(said.get(timeout=60) for _ in CALLS)))
forked.join(30)
print(forked.exitcode, db.count("Post", None), db.refresh_schema(), [r["objectId"] for r in stream])
db.close()
""".replace("{ask_a_child}", ASK_A_CHILD)


def test_every_read_of_a_forked_child_on_parse_tables_in_place_is_refused(pg_cluster, tmp_path):
    url = fresh_url(pg_cluster)
    parse_tables(url, {"Post": {"n": {"type": "Number"}}}, {"Post": '"n" double precision'},
                 {"Post": [("p0", 0), ("p1", 1), ("p2", 2)]})
    done = subprocess.run([sys.executable, "-c", PARSE_READS, url], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    said, parent = done.stdout.splitlines()
    got = json.loads(said)
    assert got == {name: "answered" if name == "close" else "refused" for name in got}
    assert parent == "0 3 False ['p1', 'p2']"


ENDS_NORMALLY = """
import os, sys, querylang
db = querylang.connect(sys.argv[1])
db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}, "records": {"Post": [{"objectId": "p1", "n": 1}]}})
for how in ("exit", "close", "return"):
    pid = os.fork()
    if pid == 0:
        if how == "close":
            db.close()
        if how != "return":
            sys.exit(3)
        raise SystemExit(0)
    print(how, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
print(db.count("Post", None))
db.close()
"""


@pytest.mark.parametrize("engine", ["memory", "file"])
def test_a_child_forked_after_a_duckdb_connect_ends_normally(tmp_path, engine):
    """Before, a child of a plain os.fork() that ended as a Python script ends (sys.exit, not
    os._exit as multiprocessing's do) crashed with SIGSEGV: its interpreter destroyed the
    parent's DuckDB database, whose threads the child has not."""
    target = ":memory:" if engine == "memory" else str(tmp_path / "f.duckdb")
    done = subprocess.run([sys.executable, "-c", ENDS_NORMALLY, target], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == ["exit 3", "close 3", "return 0", "1"]

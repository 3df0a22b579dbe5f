"""A process forked after connect (multiprocessing's default start method on Linux) holding its
parent's database: the child's calls are refused saying so, where they used the parent's
connection (PostgreSQL: the children's statements interleaved on one socket and hung; DuckDB: a
child's write went to its own copy of the file's pages and was lost), and the child's close()
leaves the parent's connections and file alone."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from .pg import fresh_url

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

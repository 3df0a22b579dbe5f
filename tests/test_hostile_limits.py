"""Hostile input: the query limits (timeout, max_rows, script size, depth, steps, string and
array lengths, conditions, inner queries, sort keys, regex) are enforced and documented."""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time

import pytest

import querylang
from querylang import LimitExceeded, QueryError, QueryTimeout
from querylang.errors import cut_name
from querylang.script.interpreter import MAX_ARRAY_LENGTH, MAX_STEPS, MAX_STRING_LENGTH, run_script
from querylang.script.parser import MAX_DEPTH, MAX_SCRIPT_SIZE

from . import hostile
from .hostile import ROOT, SAMPLE, attempt, db_hash

db = hostile.db


# --- 4. query limits -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slow_db() -> querylang.Database:
    """10,000 random a/b strings of 200 characters: RE2 needs seconds for the pattern below."""
    d = querylang.connect(timeout=0.05)
    rnd = random.Random(7)
    table = str.maketrans("01", "ab")
    rows = [{"objectId": f"r{i}", "s": format(rnd.getrandbits(200), "0200b").translate(table)} for i in range(10_000)]
    d.load({"classes": {"Slow": {"fields": {"s": {"type": "String"}}}}, "records": {"Slow": rows}})
    return d


SLOW_REGEX = "[ab]*a[ab]{30}b[ab]{30}c"  # a DFA blow-up: RE2 falls back to its slow NFA


def test_timeout_stops_a_slow_query(slow_db):
    before = db_hash(slow_db)
    t0 = time.perf_counter()
    with pytest.raises(QueryTimeout) as info:
        slow_db.query("Slow", {"s": {"matchesRegex": SLOW_REGEX}}, limit=0, count=True)
    elapsed = time.perf_counter() - t0
    assert elapsed < 5, f"the timeout took {elapsed:.1f} s to stop the query"
    assert info.value.code == 1 and "0.05 s" in str(info.value)
    # The database is intact and answers the next query.
    assert slow_db.query("Slow", {"idEqualTo": "r5"}).ids == ["r5"]
    assert slow_db.query("Slow", None, limit=0, count=True).count == 10_000
    assert db_hash(slow_db) == before


def test_timeout_none_means_no_limit(slow_db):
    slow_db.timeout = None
    try:
        assert slow_db.query("Slow", {"s": {"matchesRegex": "^a{20}"}}, limit=0, count=True).count is not None
    finally:
        slow_db.timeout = 0.05


def test_timeout_bounds_huge_lists():
    ids = [f"x{i}" for i in range(100_000)]
    quick = querylang.connect(timeout=0.05)
    quick.load(SAMPLE)
    t0 = time.perf_counter()
    try:
        res = quick.query("Post", {"idContainedIn": ids, "title": {"containedIn": ids}})
        assert res.ids == []
    except QueryTimeout:
        pass
    # A bound that says the timeout cut the work short, not a speed target: binding and
    # scanning two 100,000-item lists runs for many seconds without it.
    assert time.perf_counter() - t0 < 5


def test_max_rows():
    small = querylang.connect(max_rows=10)
    small.load(SAMPLE)
    with pytest.raises(LimitExceeded) as info:
        small.query("Post", None)
    assert "more than 10 records" in str(info.value)
    with pytest.raises(LimitExceeded):
        small.query("Post", "where({ score: { exists: true } })")
    with pytest.raises(LimitExceeded):
        small.query("Post", None, limit=11)
    assert len(small.query("Post", None, limit=10)) == 10
    assert len(small.query("Post", None, limit=10, skip=35)) == 5
    assert small.query("Post", None, limit=0, count=True).count == 40  # count is not capped
    assert len(small.query("User", None)) == 8  # under the cap
    assert len(small.query("Post", {"idContainedIn": [f"p{i:03d}" for i in range(1, 11)]})) == 10  # exactly the cap
    none = querylang.connect(max_rows=None)
    none.load(SAMPLE)
    assert len(none.query("Comment", None)) == 120
    zero = querylang.connect(max_rows=0)
    zero.load(SAMPLE)
    assert zero.query("Post", {"idEqualTo": "nope"}).ids == []
    with pytest.raises(LimitExceeded):
        zero.query("Post", {"idEqualTo": "p001"})


def test_defaults_are_documented():
    from querylang.api import DEFAULT_MAX_ROWS, DEFAULT_TIMEOUT
    from querylang.frontends.filters import MAX_CONDITIONS, MAX_LIST

    assert DEFAULT_TIMEOUT == 60.0 and DEFAULT_MAX_ROWS == 1_000_000 and MAX_CONDITIONS == 5_000
    assert MAX_SCRIPT_SIZE == 1_000_000 and MAX_DEPTH == 200 and MAX_STEPS == 100_000
    assert MAX_STRING_LENGTH == 10_000_000 and MAX_ARRAY_LENGTH == 1_000_000 and MAX_LIST == 100_000
    d = querylang.connect()
    assert d.timeout == DEFAULT_TIMEOUT and d.max_rows == DEFAULT_MAX_ROWS


def test_script_size_limit(db):
    ok = "where({})/*" + "x" * (MAX_SCRIPT_SIZE - 13) + "*/"
    assert len(ok) == MAX_SCRIPT_SIZE
    assert len(db.query("Post", ok)) == 40
    with pytest.raises(LimitExceeded) as info:
        db.query("Post", ok + " ")
    assert "script is too long (1,000,001 characters, max 1,000,000)" in str(info.value)
    with pytest.raises(LimitExceeded):
        run_script("1", max_size=0)


def test_script_depth_limit(db):
    ok = "where({ tags: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + " })"
    assert attempt(lambda: db.query("Post", ok)) is not None
    too_deep = "where({ tags: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + " })"
    with pytest.raises(LimitExceeded) as info:
        db.query("Post", too_deep)
    err = info.value
    assert err.line == 1 and err.column == len("where({ tags: ") + MAX_DEPTH - 1
    assert f"script nests too deeply (max {MAX_DEPTH})" in str(err)
    assert "^" in str(err)  # the caret view
    with pytest.raises(LimitExceeded):
        run_script("[[[1]]]", max_depth=2)


def test_step_limit(db):
    # No loops: the steps of a run grow with the script; a long computed script hits the limit.
    long = "let x = 0\nwhere({ tags: [" + "x," * (MAX_STEPS + 1) + "] })"
    with pytest.raises(LimitExceeded) as info:
        run_script(long)
    assert "step limit" in str(info.value) and info.value.line is not None
    with pytest.raises(LimitExceeded):
        db.query("Post", long)
    with pytest.raises(LimitExceeded):
        run_script("where({ score: 1 + 2 + 3 + 4 + 5 })", max_steps=5)
    assert run_script("where({ score: 1 + 2 + 3 + 4 + 5 })", max_steps=50).where["score"] == 15
    assert len(run_script("let x = 0\nwhere({ tags: [" + "x," * 1000 + "] })").where["tags"]) == 1000


def test_string_and_array_length_limits():
    with pytest.raises(LimitExceeded) as info:
        run_script(f"const s = 'x'.repeat({MAX_STRING_LENGTH + 1})")
    assert "string too long" in str(info.value)
    with pytest.raises(LimitExceeded):
        run_script("let s = 'ab'\n" + "s = s + s\n" * 30)
    with pytest.raises(LimitExceeded):
        run_script("let s = 'ab'\n" + "s = `${s}${s}`\n" * 30)
    with pytest.raises(LimitExceeded):
        run_script("'x'.repeat(1e4).replaceAll('x', 'x'.repeat(1e4))")
    with pytest.raises(LimitExceeded) as info:
        run_script("let a = [1, 2, 3, 4, 5, 6, 7, 8]\n" + "a = a.concat(a)\n" * 20)
    assert "array too long" in str(info.value)


def test_split_respects_the_array_limit():
    with pytest.raises(LimitExceeded):
        run_script("const a = 'x'.repeat(2e6).split('')")


_JOIN_CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))  # a runaway allocation fails fast
from querylang import QueryError
from querylang.script.interpreter import run_script
t0 = time.perf_counter()
try:
    run_script(sys.argv[1])
    print("ok")
except QueryError as err:
    print("QueryError", type(err).__name__)
except BaseException as err:
    print("escaped", type(err).__name__)
print(round(time.perf_counter() - t0, 2))
"""


def test_join_respects_the_string_limit():
    script = "const s = 'x'.repeat(1e6)\nconst a = s.split('')\nwhere({ title: a.join(s) })"
    proc = subprocess.run([sys.executable, "-c", _JOIN_CHILD, script], capture_output=True, text=True, timeout=60, cwd=ROOT)
    lines = proc.stdout.split()
    assert lines[:2] == ["QueryError", "LimitExceeded"], proc.stdout + proc.stderr


_CPU_CHILD = """
import sys, time
import querylang
db = querylang.connect(timeout=1.0)
db.load({"classes": {"T": {"fields": {"s": {"type": "String"}}}}})
t0 = time.perf_counter()
try:
    db.query("T", sys.argv[1])
    print("ok", flush=True)
except querylang.QueryError as err:
    print(type(err).__name__, flush=True)
print(round(time.perf_counter() - t0, 2), flush=True)
"""


def test_script_cpu_time_is_bounded():
    script = "const a = 'x'.repeat(9e6).split('')\nwhere({ s: JSON.stringify(a) + JSON.stringify(a) })"
    try:
        proc = subprocess.run([sys.executable, "-c", _CPU_CHILD, script], capture_output=True, text=True, timeout=6, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail("the script ran for more than 6 s with timeout=1.0")
    assert proc.stdout.split()[0] in ("LimitExceeded", "QueryTimeout"), proc.stdout + proc.stderr


def test_list_size_limit(db):
    for query in (
        {"title": {"containedIn": ["x"] * 100_001}},
        {"idContainedIn": ["x"] * 100_001},
        {"or": [{"title": "x"}] * 100_001},
        {"author": {"pointsTo": ["x"] * 100_001}},
    ):
        with pytest.raises(QueryError) as info:
            db.query("Post", query)
        assert "max 100000" in str(info.value)


def test_condition_count_limit(engine):
    """A filter of 40,000 conditions crashed the process in DuckDB (exit 139) and 20,000 ran past
    the timeout; more than MAX_CONDITIONS keys across the filter's objects (inner queries too)
    are refused before anything runs, on both engines and in the reference."""
    from querylang.frontends.filters import MAX_CONDITIONS

    d = engine()
    d.load({"classes": {"P": {"fields": {"t": {"type": "String"}, "u": {"type": "Pointer", "targetClass": "P"}}}},
            "records": {"P": [{"objectId": "a", "t": "x"}]}})
    many = [{"t": {"notEqualTo": f"x{i}"}} for i in range(40_000)]
    split = {"and": many[: MAX_CONDITIONS // 2], "u": {"matchesQuery": {"and": many[: MAX_CONDITIONS // 2 + 5]}}}
    for query in ({"and": many}, {"or": many}, {"nor": many}, split):
        for run in (d.query, d.reference, d.count):
            with pytest.raises(LimitExceeded, match=f"more than {MAX_CONDITIONS} conditions"):
                run("P", query)
    assert d.query("P", {"and": many[: MAX_CONDITIONS - 1]}).ids == ["a"]


def test_inner_query_count_limit(engine):
    """Each inner query is a sub-select; DuckDB planned 300 of them in seconds, 600 in about
    ten, and refused some 800 with its binder's "max expression depth" (an engine error, not
    the user's). More than MAX_INNER_QUERIES are refused before anything runs, naming the kind,
    on both engines and in the reference; as many as the limit are answered as the reference."""
    from querylang.frontends.filters import MAX_INNER_QUERIES

    d = engine()
    d.load({"classes": {"P": {"fields": {"t": {"type": "String"}, "u": {"type": "Pointer", "targetClass": "P"},
                                         "r": {"type": "Relation", "targetClass": "P"}}}},
            "records": {"P": [{"objectId": "a", "t": "x", "u": {"__type": "Pointer", "className": "P", "objectId": "a"}}]}})
    shapes = [  # (the kind named, a filter of k inner queries)
        ("matchesQuery on 'u'", lambda k: {"or": [{"u": {"matchesQuery": {"t": {"equalTo": f"x{i}"}}}} for i in range(k)]}),
        ("doesNotMatchQuery on 'u'", lambda k: {"and": [{"u": {"doesNotMatchQuery": {"t": f"x{i}"}}} for i in range(k)]}),
        ("matchesKeyInQuery on 't'", lambda k: {"or": [{"t": {"matchesKeyInQuery": {"key": "t", "className": "P", "where": {"t": f"y{i}"}}}}
                                                       for i in range(k)]}),
        ("the path 'u.t'", lambda k: {"or": [{"u.t": {"equalTo": f"x{i}"}} for i in range(k)]}),
        ("notEqualTo on Relation 'r'", lambda k: {"and": [{"r": {"notEqualTo": f"x{i}"}} for i in range(k)]}),
        ("relatedTo", lambda k: {"or": [{"relatedTo": {"id": f"x{i}", "key": "r"}} for i in range(k)]}),
        ("matchesQuery on 'u'", lambda k: {"u": {"matchesQuery": {"or": [{"u": {"matchesQuery": {"t": f"x{i}"}}} for i in range(k - 1)]}}}),
    ]
    for what, make in shapes:
        for run in (d.query, d.reference, d.count):
            with pytest.raises(LimitExceeded, match=f"more than {MAX_INNER_QUERIES} inner queries \\(this one: {what}\\)"):
                run("P", make(MAX_INNER_QUERIES + 1))
        at_limit = make(MAX_INNER_QUERIES)
        assert d.query("P", at_limit).ids == d.reference("P", at_limit).ids, what


def test_sort_key_count_limit(engine):
    """DuckDB planned an ORDER BY of 5,000 Object sub-keys in about a quarter of a minute, past
    any timeout (planning is not interrupted). More than MAX_SORT_KEYS different keys are
    refused before anything runs, however the sort is given; a key repeated is one key."""
    from querylang.frontends.sort_paging import MAX_SORT_KEYS

    d = engine()
    d.load({"classes": {"P": {"fields": {"m": {"type": "Object"}}}},
            "records": {"P": [{"objectId": "a", "m": {"k1": 2}}, {"objectId": "b", "m": {"k1": 1}}]}})
    keys = [f"m.k{i}" for i in range(MAX_SORT_KEYS + 1)]
    for run in (lambda: d.query("P", None, sort=keys), lambda: d.reference("P", None, sort=keys),
                lambda: d.find("P", {}, order=",".join(keys)),
                lambda: d.query("P", f"where({{}})\nsort({keys!r})")):
        with pytest.raises(LimitExceeded, match=f"more than {MAX_SORT_KEYS} different keys"):
            run()
    assert d.query("P", None, sort=keys[:-1]).ids == ["b", "a"]
    assert d.query("P", None, sort=[*keys[:-1], *keys[:-1]]).ids == ["b", "a"]


def test_regex_limits(db):
    with pytest.raises(QueryError) as info:
        db.query("Post", "where({ title: { matchesRegex: 'a{1001}' } })")
    assert "1000" in str(info.value) and info.value.line == 1
    with pytest.raises(QueryError):
        db.query("Post", {"title": {"matchesRegex": "(a)\\1"}})  # back-references: not in RE2


def test_path_step_limit(engine):
    """Each step of a path into an Object adds to the SQL of a condition on it, planned before
    the timeout can stop it. A path of more than MAX_PATH_STEPS steps past its field is
    refused before anything runs, in a filter, a sort, Parse's where and order, on both
    engines and in the reference; one of as many steps, into an Object nested as deep as a
    value may be, is answered as the reference."""
    from querylang.model.schema import MAX_PATH_STEPS

    d = engine()
    deep: dict[str, object] = {"a": 1}
    for _ in range(MAX_PATH_STEPS - 1):
        deep = {"a": deep}
    d.load({"classes": {"P": {"fields": {"m": {"type": "Object"}}}}, "records": {"P": [{"objectId": "p", "m": deep}]}})
    too_deep, at_limit = "m" + ".a" * (MAX_PATH_STEPS + 1), "m" + ".a" * MAX_PATH_STEPS
    said = re.escape(f"'{cut_name(too_deep)}': a path into Object field 'm' goes {MAX_PATH_STEPS + 1} steps deep (max {MAX_PATH_STEPS})")
    for run in (lambda: d.query("P", {too_deep: {"exists": True}}), lambda: d.reference("P", {too_deep: 1}),
                lambda: d.count("P", {too_deep: 1}), lambda: d.query("P", None, sort=[too_deep]),
                lambda: d.find("P", {too_deep: {"$exists": True}}), lambda: d.find("P", {}, order=f"-{too_deep}"),
                lambda: d.query("P", f"where({{ '{too_deep}': {{ exists: true }} }})")):
        with pytest.raises(LimitExceeded, match=said):
            run()
    assert d.query("P", {at_limit: {"exists": True}}).ids == d.reference("P", {at_limit: {"exists": True}}).ids == ["p"]


def test_path_steps_in_all_limit(engine):
    """A query's paths into Objects may take MAX_QUERY_PATH_STEPS steps in all, in its
    conditions and its sort keys: each step adds to the SQL, planned before the timeout can
    stop it (5,000 conditions on paths of 20 steps planned for minutes). Past it, the path
    that passes it is named, on both engines and in the reference, in a filter, a sort,
    Parse's where and a script (with its line); at it, the answer is the reference's. A
    condition on a path of one step, one lookup, is not counted."""
    from querylang.frontends.path_steps import MAX_QUERY_PATH_STEPS

    d = engine()
    d.load({"classes": {"P": {"fields": {"m": {"type": "Object"}}}},
            "records": {"P": [{"objectId": "p", "m": {"a": [{"a": 1}], "b": {"c": 2}}}]}})
    long = ["m." + ".".join(["a"] * 19 + [f"k{i}"]) for i in range(MAX_QUERY_PATH_STEPS // 20)]
    at_budget = {"and": [{p: {"exists": False}} for p in long] + [{"m.b": {"exists": True}}]}
    assert d.query("P", at_budget).ids == d.reference("P", at_budget).ids == ["p"]
    sorted_at_budget = {"and": at_budget["and"][1:]}
    assert d.query("P", sorted_at_budget, sort=[long[0]]).ids == d.reference("P", sorted_at_budget, sort=[long[0]]).ids == ["p"]
    past = {"and": [*at_budget["and"], {"m.b.c": 2}]}
    said = f"'m.b.c': the query's paths into Object fields take more than {MAX_QUERY_PATH_STEPS} steps in all"
    script = f"where({{ and: [{', '.join(f'{{ {p!r}: {{ exists: false }} }}' for p in long)}] }})\nsort(['m.b.c'])"
    for run in (lambda: d.query("P", past), lambda: d.reference("P", past), lambda: d.count("P", past),
                lambda: d.query("P", at_budget, sort=["-m.b.c"]), lambda: list(d.stream("P", past)),
                lambda: d.find("P", {"$and": [{p: {"$exists": False}} for p in long], "m.b.c": 2})):
        with pytest.raises(LimitExceeded, match=re.escape(said)):
            run()
    with pytest.raises(LimitExceeded, match=re.escape(said)) as info:
        d.query("P", script)
    assert info.value.line == 2  # the sort() that names the path
    # Nodes made by hand are counted too: db.run planned any number of long paths.
    from querylang.model import nodes as n

    hundred = "m." + ".".join(["a"] * 99)
    by_hand = n.Query("P", n.And(tuple(n.Compare(f"{hundred}.k{i}", "eq", 1) for i in range(MAX_QUERY_PATH_STEPS // 100 + 1))))
    for run in (lambda: d.run(by_hand), lambda: d.run_reference(by_hand)):
        with pytest.raises(LimitExceeded, match=f"take more than {MAX_QUERY_PATH_STEPS} steps in all"):
            run()
    assert d.run(d.build("P", at_budget)).ids == ["p"]

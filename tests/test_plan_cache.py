"""The plan cache (querylang/plan_cache.py): a kept plan with new inputs bound must be exactly
the plan that building and compiling from scratch gives, error for error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import querylang
from querylang.engines.sql.plan_cache import template_of
from querylang.script.parser import parse_script

DOC = {
    "classes": {
        "User": {"fields": {"name": {"type": "String"}}},
        "Post": {
            "fields": {
                "title": {"type": "String"},
                "likes": {"type": "Number"},
                "published": {"type": "Boolean"},
                "publishedAt": {"type": "Date"},
                "author": {"type": "Pointer", "targetClass": "User"},
                "tags": {"type": "Array"},
                "related": {"type": "Relation", "targetClass": "Post"},
            }
        },
    },
    "records": {
        "User": [{"objectId": "u1", "name": "Ada"}, {"objectId": "u2", "name": "Linus"}],
        "Post": [
            {"objectId": "p1", "title": "a", "likes": 3, "published": True, "publishedAt": "2024-01-02T00:00:00.000Z",
             "author": "u1", "tags": ["x"], "related": ["p2"]},
            {"objectId": "p2", "title": "b", "likes": 7, "published": False, "author": "u2", "related": ["p1", "p3"]},
            {"objectId": "p3", "title": None, "likes": 2**53 + 2},
        ],
    },
}


def cached_and_fresh() -> tuple[querylang.Database, querylang.Database]:
    """The same data twice: with the plan cache, and without it (the answer to match)."""
    cached, fresh = querylang.connect(), querylang.connect()
    for db in (cached, fresh):
        db.load(DOC)
    fresh.plan_cache = False
    return cached, fresh


@pytest.fixture(scope="module")
def dbs() -> tuple[querylang.Database, querylang.Database]:
    return cached_and_fresh()


# --- which scripts are templates ------------------------------------------------------------

TEMPLATES = [
    ("where({ a: { equalTo: Inputs.X } })", ("X",)),
    ("where({ a: { equalTo: $X }, b: { lessThan: -3 } })\nsort(['-a'])", ("X",)),
    ("where({ or: [{ a: { equalTo: Inputs.X } }, { b: { containedIn: [Inputs.Y, 'c'] } }] })", ("X", "Y")),
    ("where({ a: { equalTo: 1 } })\nwhere({ b: { equalTo: Inputs.Y } })", ("Y",)),  # the last where counts
    ("sort(['a'])", ()),
]
NOT_TEMPLATES = [
    "where({ a: { equalTo: Inputs.X + 1 } })",  # arithmetic on an input
    "const x = Inputs.X\nwhere({ a: { equalTo: x } })",  # a variable
    "if (Inputs.X) where({ a: { equalTo: 1 } })",  # control flow
    "where({ a: { equalTo: Inputs['X'] } })",  # computed member
    "where({ a: { equalTo: Inputs.X.y } })",  # a path into an input
    "where({ [Inputs.K]: { equalTo: 1 } })",  # computed key
    "where({ a: { matchesRegex: /x/ } })",  # a regex literal (an object, kept out)
    "where({ a: { equalTo: `t` } })",  # template literal
    "sort([Inputs.Order])",  # input-dependent sort
    "where({ a: 1, a: 2 })",  # duplicate key
    "where(Inputs.Filter)",  # the whole filter from an input
    "where({ a: { equalTo: new Date() } })",  # a call
]


@pytest.mark.parametrize(("script", "names"), TEMPLATES)
def test_templates(script: str, names: tuple[str, ...]):
    t = template_of(parse_script(script))
    assert t is not None and t.names == names


@pytest.mark.parametrize("script", NOT_TEMPLATES)
def test_not_templates(script: str):
    assert template_of(parse_script(script)) is None


# --- kept plans equal fresh ones -------------------------------------------------------------


def outcome(db: querylang.Database, script: str, inputs: dict[str, Any], **kw: Any) -> tuple[Any, ...]:
    try:
        p = db.compile("Post", script, inputs=inputs, **kw)
    except querylang.QueryError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("plan", p.sql, p.params, p.count_sql, p.count_params, p.where_sql, p.where_params)


def test_a_third_query_is_bound_from_the_kept_plan(dbs):
    cached, fresh = dbs
    script = "where({ likes: { greaterThan: Inputs.Min }, author: { pointsTo: Inputs.User } })\nsort(['-likes'])"
    hits = cached._plans.hits
    for i, user in enumerate(["u1", "u2", "u9", "u1"]):
        inputs = {"Min": i, "User": user}
        assert outcome(cached, script, inputs, limit=10, skip=i + 1) == outcome(fresh, script, inputs, limit=10, skip=i + 1)
        assert cached.query("Post", script, inputs=inputs).ids == fresh.query("Post", script, inputs=inputs).ids
    assert cached._plans.hits > hits


def test_learning_a_plan_of_many_values_compares_each_once(dbs, monkeypatch):
    """Learning where each input value goes compared every parameter with every listed value:
    an or of 270 lists of 250 values (67,500 of each) took minutes of Python at the third query,
    with no timeout to stop it. Each parameter is now compared with the values equal to it."""
    from querylang.engines.sql import plan_cache

    cached, fresh = dbs
    n = 40
    items = ", ".join(f"{{ title: {{ containedIn: Inputs.L{k} }} }}" for k in range(n))
    script = f"where({{ or: [{items}] }})"
    calls = 0
    same = plan_cache._same

    def counted(a: object, b: object) -> bool:
        nonlocal calls
        calls += 1
        return same(a, b)

    monkeypatch.setattr(plan_cache, "_same", counted)
    hits = cached._plans.hits
    for r in range(4):
        inputs = {f"L{k}": [f"t{r}.{k}.{i}" for i in range(25)] for k in range(n)}
        inputs[f"L{r}"][r] = "ab"[r % 2]
        assert cached.query("Post", script, inputs=inputs).ids == fresh.query("Post", script, inputs=inputs).ids
    assert cached._plans.hits > hits
    assert calls < 20 * n * 25


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"V": "2024-01-01T00:00:00.000Z"}, {"V": "not a date"}),  # rejected by the builder
        ({"V": "2024-01-01T00:00:00.000Z"}, {"V": "2024-01-01T00:00:00.000Z"}),
        ({"V": "2024-01-01T00:00:00.000Z"}, {"V": 5}),  # another signature
        ({"V": "2024-01-01T00:00:00.000Z"}, {}),  # missing: undefined drops the condition
        ({"V": "2024-01-01T00:00:00.000Z"}, {"V": None}),
    ],
)
def test_dates_and_bad_values_after_a_kept_plan(dbs, first, then):
    cached, fresh = dbs
    script = "where({ publishedAt: { lessThan: Inputs.V } })"
    for inputs in (first, then):
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs)


@pytest.mark.parametrize(
    "then",
    [["a", "b"], ["a", "a"], ["a", "b", "c"], ["a", 1], [], ["\x00", "b"]],
)
def test_lists_keep_their_length_and_distinctness(dbs, then):
    cached, fresh = dbs
    script = "where({ title: { containedIn: Inputs.T } })"
    for inputs in ({"T": ["x", "y"]}, {"T": then}):
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs)


@pytest.mark.parametrize("options", ["", ", options: 'i'", ", options: 'im'", ", options: 'q'", ", options: Inputs.O"])
@pytest.mark.parametrize("field", ["title", "tags"])
def test_regex_patterns_are_bound_with_their_options(dbs, options, field):
    cached, fresh = dbs
    script = f"where({{ {field}: {{ matchesRegex: Inputs.P{options} }} }})"
    hits = cached._plans.hits
    # 'Ab' and 'aB' give the same case-insensitive pattern; '(' and 5 are rejected by the builder.
    for pattern in ["a", "b", "Ab", "aB", "^a$", "(", "b", 5, "x{2}", "", "a"]:
        inputs = {"P": pattern, "O": "i"}
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs)
        if outcome(fresh, script, inputs)[0] == "plan":
            assert cached.query("Post", script, inputs=inputs).ids == fresh.query("Post", script, inputs=inputs).ids
    bound = options in ("", ", options: 'i'", ", options: 'im'")
    assert (cached._plans.hits > hits) == bound


@pytest.mark.parametrize("op", ["matchesQuery", "doesNotMatchQuery"])
@pytest.mark.parametrize("inner", ["name: { equalTo: Inputs.N }", "name: { containedIn: Inputs.N }", "objectId: { notEqualTo: Inputs.N }"])
def test_places_inside_an_inner_query_are_bound(dbs, op, inner):
    cached, fresh = dbs
    script = f"where({{ author: {{ {op}: {{ {inner} }} }}, likes: {{ greaterThan: Inputs.L }} }})"
    hits = cached._plans.hits
    for n, likes in [("Ada", 1), ("Linus", 2), ("Ada", 2), (["Ada"], 0), (["Ada", "Linus"], 1), (["Linus", "Zed"], 5),
                     ("Zed", 0), (None, 1), (3, 1), ("Ada", "x"), (["Zed", "Ada"], 3)]:
        inputs = {"N": n, "L": likes}
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs)
        if outcome(fresh, script, inputs)[0] == "plan":
            assert cached.query("Post", script, inputs=inputs).ids == fresh.query("Post", script, inputs=inputs).ids
    assert cached._plans.hits > hits


# Records for null operands: numbers, a stored null, missing values.
NULLS_DOC = {
    "classes": {"Post": {"fields": {"likes": {"type": "Number"}, "title": {"type": "String"},
                                    "tags": {"type": "Array"}}}},
    "records": {"Post": [
        {"objectId": "n1", "likes": 3, "title": "a", "tags": [3]},
        {"objectId": "n2", "likes": 7, "title": None, "tags": [None, 7]},
        {"objectId": "n3", "likes": None, "tags": []},
        {"objectId": "n4", "title": "b"},
        {"objectId": "n5", "likes": 1},
    ]},
}
NULL_OR_VALUE_SCRIPTS = [  # (script, whether the value's plan is kept: plan_cache.converter)
    ("where({ likes: { equalTo: Inputs.X } })", True),
    ("where({ likes: Inputs.X })", False),  # the shorthand is not one of the plain places
    ("where({ likes: { notEqualTo: Inputs.X } })", True),
    ("where({ likes: { lessThan: Inputs.X } })", True),
    ("where({ likes: { greaterThanOrEqualTo: Inputs.X } })", True),
    ("where({ or: [{ likes: { lessThanOrEqualTo: Inputs.X } }, { title: 'b' }] })", True),
    ("where({ likes: { greaterThan: Inputs.X }, title: { notEqualTo: Inputs.T } })", True),
    ("where({ tags: { equalTo: Inputs.X } })", False),  # Array fields go the whole way
]


@pytest.mark.parametrize(("script", "kept"), NULL_OR_VALUE_SCRIPTS)
def test_an_input_that_is_null_then_a_value_then_null(engine, script, kept):
    """A null input is lowered to another shape (IsAbsent, Nothing: frontends/lower.py) than a
    value's comparison: a plan kept for 3 must never answer for null, nor null's for 3. Each
    answer equals the reference's, on DuckDB and on PostgreSQL, and the value's plan is reused."""
    db = engine()
    db.load(NULLS_DOC)
    hits_before = db._plans.hits
    for x in [None, 3, None, 3, 3, None, 3, None]:
        inputs = {"X": x, "T": "a"}
        got = db.query("Post", script, inputs=inputs)
        want = db.reference("Post", script, inputs=inputs)
        assert got.ids == want.ids, (x, got.plan.sql if got.plan else None)
    assert (db._plans.hits > hits_before) is kept
    # The two shapes really differ: the null plan has no parameter for the input.
    null_plan = db.compile("Post", script, inputs={"X": None, "T": "a"})
    value_plan = db.compile("Post", script, inputs={"X": 3, "T": "a"})
    assert null_plan.sql != value_plan.sql
    assert 3 not in null_plan.params


ARRAY_LISTS = [["x", "y"], ["a", "b"], ["y", "z"], ["q", "x"], ["x", "x"], ["x"], ["x", "y", "z"], [1, "x"], [1, 1.0], ["1", 1],
               [None, "x"], ["x", None], [], [["x"], "y"], [{"a": 1}, "x"], ["x", "y"], [7, 3], [3.5, 7]]


@pytest.mark.parametrize("op", ["containedIn", "notContainedIn"])
def test_array_lists_are_bound_on_both_engines(engine, op):
    """containedIn on an Array field binds each listed value by its element key: one parameter
    each on DuckDB, one array parameter on PostgreSQL. Every answer equals the reference's and
    the plan a database without the cache makes; lists of another length, element types,
    duplicates or null go the whole way."""
    same_as_without_the_cache(engine, NULLS_DOC, f"where({{ tags: {{ {op}: Inputs.L }} }})", ARRAY_LISTS)


def same_as_without_the_cache(engine: Any, doc: dict[str, Any], script: str, lists: list[list[Any]]) -> None:
    """Run ``script`` with each list as Inputs.L on a database with the plan cache and one
    without: every answer equals the reference's, every plan the one made without the cache,
    and the cache was used."""
    db, fresh = engine(), engine()
    for d in (db, fresh):
        d.load(doc)
    fresh.plan_cache = False
    hits = db._plans.hits
    for t in lists:
        inputs = {"L": t}
        got, want = db.query("Post", script, inputs=inputs), fresh.query("Post", script, inputs=inputs)
        assert got.ids == want.ids == db.reference("Post", script, inputs=inputs).ids, t
        assert (got.plan.sql, got.plan.params) == (want.plan.sql, want.plan.params), t
    assert db._plans.hits > hits


LIST_DOC = {
    "classes": {"Post": {"fields": {"title": {"type": "String"}, "tags": {"type": "Array"},
                                    "author": {"type": "Pointer", "targetClass": "Post"}}}},
    "records": {"Post": [
        {"objectId": "a", "title": "a", "tags": ["a"], "author": "a"},
        {"objectId": "b", "title": "b", "tags": ["b", "x"], "author": "b"},
        {"objectId": "u1", "title": "u1", "tags": ["u1"], "author": "u1"},
        {"objectId": "n4"},
    ]},
}
LIST_SCRIPTS = [
    "where({ title: { containedIn: Inputs.L } })",
    "where({ title: { notContainedIn: Inputs.L } })",
    "where({ tags: { containedIn: Inputs.L } })",
    "where({ author: { pointsTo: Inputs.L } })",
]


@pytest.mark.parametrize("script", LIST_SCRIPTS)
def test_a_plan_is_never_learned_from_lists_with_duplicates(engine, script):
    """The builder drops a list's duplicates, so a list of three with one repeated plans with
    two parameters. Plans learned from such lists once bound every later list of three into
    two parameters, leaving its third value out (a wrong answer, kept). Lists of three that
    all repeat a value, then lists of distinct values: every answer equals the reference's and
    the plan made without the cache, and distinct lists still reuse a plan."""
    lists = [["a", "a", "b"], ["b", "u1", "u1"], ["u1", "a", "u1"], ["a", "b", "u1"], ["u1", "b", "a"], ["b", "a", "u1"]]
    same_as_without_the_cache(engine, LIST_DOC, script, lists)


def test_a_value_that_converts_to_null_is_never_bound(monkeypatch: pytest.MonkeyPatch, dbs):
    """The guard behind the signature: should a converter ever turn a value into null, the
    kept plan (a comparison with a parameter) is not used; the whole way lowers it."""
    import querylang.engines.sql.plan_cache as pc

    cached, fresh = dbs
    script = "where({ likes: { lessThanOrEqualTo: Inputs.X } })"
    for x in (1, 2, 3):
        assert outcome(cached, script, {"X": x}) == outcome(fresh, script, {"X": x})
    real = pc.field_value
    monkeypatch.setattr(pc, "field_value", lambda f, v, **kw: None if v == 999 else real(f, v, **kw))
    hits = cached._plans.hits
    assert outcome(cached, script, {"X": 999}) == outcome(fresh, script, {"X": 999})
    assert cached._plans.hits == hits


def test_a_schema_change_drops_kept_plans():
    db = querylang.connect()
    db.load(DOC)
    script = "where({ related: { pointsTo: Inputs.P } })"
    before = db.compile("Post", script, inputs={"P": "p1"}).sql
    assert db.compile("Post", script, inputs={"P": "p2"}).sql == before
    db.add_relation("Post", "p1", "related", "p404")  # a dangling edge: the SQL checks targets again
    after = db.compile("Post", script, inputs={"P": "p2"})
    assert after.sql != before and db.query("Post", script, inputs={"P": "p404"}).ids == []


def test_max_rows_and_limit_zero_with_kept_plans():
    db = querylang.connect(max_rows=2)
    db.load(DOC)
    script = "where({ likes: { greaterThan: Inputs.Min } })"
    assert db.query("Post", script, inputs={"Min": 5}).ids == ["p2", "p3"]
    with pytest.raises(querylang.LimitExceeded):
        db.query("Post", script, inputs={"Min": 0})
    assert db.query("Post", script, inputs={"Min": 0}, limit=2).ids == ["p1", "p2"]
    res = db.query("Post", script, inputs={"Min": 1}, limit=0, count=True)
    assert (res.records, res.count) == ([], 3)


# Random template scripts and inputs: the cached database, primed with one set of inputs,
# answers a second set exactly as a database without the cache does.

FIELD_OPS = {
    "title": ["equalTo", "notEqualTo", "lessThan", "containedIn", "notContainedIn", "exists", "matchesRegex"],
    "likes": ["equalTo", "notEqualTo", "greaterThan", "lessThanOrEqualTo", "containedIn"],
    "published": ["equalTo", "notEqualTo"],
    "publishedAt": ["greaterThan", "lessThan", "equalTo", "containedIn"],
    "author": ["pointsTo", "equalTo", "notEqualTo", "containedIn"],
    "related": ["pointsTo", "containedIn"],
    "tags": ["equalTo", "containedIn"],
}
scalars = st.one_of(
    st.sampled_from(["u1", "u2", "p1", "p2", "a", "b", "", "2024-01-01T00:00:00.000Z", "2023-05-06T07:08:09.123Z", "\x00"]),
    st.integers(-3, 10), st.sampled_from([2**53 + 1, 2**70, -(2**60)]),
    st.floats(allow_nan=True, allow_infinity=True, width=32), st.booleans(), st.none(),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.fixed_dictionaries({"__type": st.just("Pointer"), "className": st.just("User"), "objectId": st.just("u1")}),
)


PLAIN_OPS = {  # the places the cache binds into; values of the field's own type
    "title": (["equalTo", "notEqualTo", "lessThan", "containedIn", "notContainedIn"], st.sampled_from(["a", "b", "zz", ""])),
    "likes": (["equalTo", "notEqualTo", "greaterThan", "lessThanOrEqualTo", "containedIn"],
              st.one_of(st.integers(-3, 10), st.floats(-5, 5))),
    "published": (["equalTo", "notEqualTo"], st.booleans()),
    "publishedAt": (["greaterThan", "lessThan", "equalTo", "containedIn"],
                    st.sampled_from(["2024-01-01T00:00:00.000Z", "2023-05-06T07:08:09.123Z", "2024-01-02T00:00:00Z"])),
    "author": (["pointsTo", "equalTo", "notEqualTo", "containedIn"], st.sampled_from(["u1", "u2", "u9"])),
    "related": (["pointsTo", "containedIn"], st.sampled_from(["p1", "p2", "p3", "p9"])),
    "tags": (["containedIn", "notContainedIn"], st.one_of(st.sampled_from(["x", "y", "1"]), st.integers(0, 2))),
}


@st.composite
def scripts(draw: st.DrawFn, repeats: bool = False) -> tuple[str, dict[str, st.SearchStrategy[Any]]]:
    """A template script and, per input, a strategy for a value (any value, or for half the
    scripts values of the right type in the places the cache binds into); ``repeats``: the
    typed lists may hold a value twice."""
    plain = draw(st.booleans())
    conds, names = [], {}
    for i in range(draw(st.integers(1, 4))):
        field = draw(st.sampled_from(sorted(PLAIN_OPS if plain else FIELD_OPS)))
        op = draw(st.sampled_from(PLAIN_OPS[field][0] if plain else FIELD_OPS[field]))
        good = PLAIN_OPS[field][1] if plain else values
        many = op in ("containedIn", "notContainedIn") or (op == "pointsTo" and draw(st.booleans()))
        if not plain and draw(st.integers(0, 4)) == 0:
            operand = draw(st.sampled_from(["3", "'u1'", "true", "null", "['a', 'b']"]))
        elif many and draw(st.booleans()):
            operand = f"[Inputs.X{i}, 'a']" if field != "likes" else f"[Inputs.X{i}, 99]"
            names[f"X{i}"] = good
        else:
            operand = f"Inputs.X{i}"
            unique = not (repeats and draw(st.booleans()))
            names[f"X{i}"] = st.lists(good, min_size=1, max_size=4, unique=unique) if many and plain else good
        conds.append(f"{{ {field}: {{ {op}: {operand} }} }}")
    if draw(st.booleans()):
        conds.append("{ relatedTo: { id: Inputs.R, key: 'related' } }")
        names["R"] = st.sampled_from(["p1", "p2", "p9"]) if plain else values
    join = draw(st.sampled_from(["and", "or"]))
    script = f"where({{ {join}: [{', '.join(conds)}] }})"
    if draw(st.booleans()):
        script += "\nsort(['-likes', 'title'])"
    return script, names


def _like(draw: st.DrawFn, v: Any) -> Any:
    """Often a value of the same type as ``v`` (so the kept plan is used), sometimes anything."""
    if draw(st.integers(0, 3)) == 0:
        return draw(values)
    if isinstance(v, bool):
        return draw(st.booleans())
    if isinstance(v, int):
        return draw(st.integers(-5, 2**54))
    if isinstance(v, float):
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if isinstance(v, str):
        return draw(st.sampled_from(["u1", "u2", "p1", "p3", "a", "zz", "2022-02-02T00:00:00.000Z", "2024-x", "\x00"]))
    if isinstance(v, list):
        return [_like(draw, x) for x in v]
    return draw(values)


@settings(deadline=None)
@given(st.data())
def test_kept_plans_equal_fresh_plans(dbs, data):
    cached, fresh = dbs
    script, names = data.draw(scripts())
    first = {n: data.draw(strategy) for n, strategy in names.items()}
    # The second query teaches the cache (from the first two), the third uses what it learnt.
    later = [{n: _like(data.draw, v) for n, v in first.items()} for _ in range(2)]
    skips = data.draw(st.sampled_from([(None, None, None), (3, 5, 9), (0, 2, 2), (4, 0, 6), (1, 1, 1)]))
    limit = data.draw(st.sampled_from([None, 0, 2]))
    hits = cached._plans.hits
    for inputs, skip in zip((first, *later), skips, strict=True):
        kw = {"skip": skip, "limit": limit, "count": limit == 0}
        assert outcome(cached, script, inputs, **kw) == outcome(fresh, script, inputs, **kw)
        got = cached.query("Post", script, inputs=inputs, **kw) if outcome(fresh, script, inputs, **kw)[0] == "plan" else None
        if got is not None:
            want = fresh.query("Post", script, inputs=inputs, **kw)
            assert (got.ids, got.count) == (want.ids, want.count)
    event(f"kept plan used: {cached._plans.hits > hits}")


def test_threads_share_the_cache(monkeypatch: pytest.MonkeyPatch, dbs):
    """Eight threads, few slots (plans evicted all the time): every answer still right."""
    import threading

    import querylang.engines.sql.plan_cache as pc

    monkeypatch.setattr(pc, "MAX_PLANS", 2)
    cached, fresh = dbs
    scripts = [
        "where({ likes: { greaterThan: Inputs.N } })",
        "where({ author: { pointsTo: Inputs.U } })",
        "where({ title: { containedIn: Inputs.T } })",
    ]
    jobs = [(scripts[i % 3], {"N": i % 9, "U": ["u1", "u2", "u9"][i % 3], "T": [["a"], ["b", "a"], ["zz", "b"]][i % 3]})
            for i in range(300)]
    got: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(k, len(jobs), 8):
                got[i] = cached.query("Post", jobs[i][0], inputs=jobs[i][1]).ids
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(got[i] == fresh.query("Post", s, inputs=inp).ids for i, (s, inp) in enumerate(jobs))


@settings(deadline=None)
@given(st.data())
def test_a_run_of_new_inputs_equals_fresh_plans(dbs, data):
    """Five input sets of one script in a row, each new (lists may repeat a value). The test
    above runs each input set twice, so its plans are learnt against probe values; here they
    are learnt from two different input sets and bound into the next. Each plan equals the one
    made without the cache."""
    cached, fresh = dbs
    script, names = data.draw(scripts(repeats=True))
    first = {n: data.draw(strategy) for n, strategy in names.items()}
    runs = [first] + [{n: _like(data.draw, v) for n, v in first.items()} for _ in range(4)]
    hits = cached._plans.hits
    for inputs in runs:
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs), inputs
    event(f"kept plan used: {cached._plans.hits > hits}")


LIST_POOLS = {  # a list input's field, the script around it, and the pool its elements come from
    "where({ title: { containedIn: Inputs.L } })": ["a", "b", "zz", ""],
    "where({ title: { notContainedIn: Inputs.L } })": ["a", "b", "zz", ""],
    "where({ likes: { containedIn: Inputs.L } })": [3, 7, 3.0, 2, -1],
    "where({ tags: { containedIn: Inputs.L } })": ["x", "y", "1", 1],
    "where({ author: { pointsTo: Inputs.L } })": ["u1", "u2", "u9"],
    "where({ and: [{ related: { pointsTo: Inputs.L } }, { title: { notEqualTo: Inputs.T } }] })": ["p1", "p2", "p3"],
}


@settings(deadline=None)
@given(st.data())
def test_runs_of_lists_of_one_length_equal_fresh_plans(dbs, data):
    """Lists of one length drawn from a small pool, so most repeat a value and some share
    values with the list before: the shape in which the cache once learnt a plan from two lists
    that both held a duplicate and then bound later lists with values left out. Every plan
    equals the one made without the cache, every answer the reference's."""
    cached, fresh = dbs
    script = data.draw(st.sampled_from(sorted(LIST_POOLS)))
    pool = LIST_POOLS[script]
    n = data.draw(st.integers(2, min(4, len(pool))))
    cached._plans.clear()  # each example learns its plan afresh: the first lists of a shape matter
    hits = cached._plans.hits
    for _ in range(6):
        inputs: dict[str, Any] = {"L": data.draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)), "T": "zz"}
        assert outcome(cached, script, inputs) == outcome(fresh, script, inputs), inputs
        got = cached.query("Post", script, inputs=inputs)
        assert got.ids == cached.reference("Post", script, inputs=inputs).ids, inputs
    event(f"kept plan used: {cached._plans.hits > hits}")

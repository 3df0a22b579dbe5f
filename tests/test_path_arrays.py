"""An array found at a dot path into an Object field takes the element rules, as an Array field
does (docs/semantics.md#objects, MongoDB's meaning): hand-checked answers on DuckDB, PostgreSQL,
the reference evaluator and Parse's own tables read in place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import querylang
from querylang.model.values import any_nested

from . import test_property_gaps as gaps
from .conftest import pg_examples
from .pg import parse_opener
from .test_pg_parse_json import _parse_db
from .test_properties import _answer

DATE_2020 = {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}
META = {
    "a": {"tags": ["x", "y"], "n": [1, 5.5], "d": [DATE_2020]},
    "b": {"tags": "x", "n": 3},
    "c": {"tags": [], "n": []},
    "d": {"tags": [["x"], None], "n": [True, "z"]},
    "e": None,
    "f": {"tags": [{"k": 1}]},
}
DOC = {
    "classes": {"Item": {"fields": {"meta": {"type": "Object"}}}},
    "records": {"Item": [{"objectId": k} if m is None else {"objectId": k, "meta": m} for k, m in META.items()]},
}

CASES = [
    ({"meta.tags": "x"}, "ab"),
    ({"meta.tags": {"equalTo": ["x"]}}, "d"),  # an element equal to the array
    ({"meta.tags": {"equalTo": ["x", "y"]}}, "a"),  # the whole array
    ({"meta.tags": {"equalTo": []}}, "c"),
    ({"meta.tags": {"equalTo": {"k": 1.0}}}, "f"),
    ({"meta.tags": {"notEqualTo": "x"}}, "cdef"),
    ({"meta.n": {"greaterThan": 4}}, "a"),
    ({"meta.n": {"lessThan": 2}}, "a"),
    ({"meta.n": {"greaterThan": 2, "lessThan": 3}}, "a"),  # two elements, one bound each
    ({"meta.n": {"lessThanOrEqualTo": 1e300}}, "ab"),
    ({"meta.n": {"lessThan": "zz"}}, "d"),  # elements of the operand's type only
    ({"meta.n": {"equalTo": True}}, "d"),
    ({"meta.d": {"greaterThan": {"__type": "Date", "iso": "2019-01-01T00:00:00.000Z"}}}, "a"),
    ({"meta.d": {"lessThan": {"__type": "Date", "iso": "2019-01-01T00:00:00.000Z"}}}, ""),
    ({"meta.tags": {"containedIn": ["y", 7]}}, "a"),
    ({"meta.tags": {"containedIn": [["x"], "q"]}}, "d"),
    ({"meta.tags": {"notContainedIn": ["y"]}}, "bcdef"),
    ({"meta.tags": {"notContainedIn": [None]}}, "abcf"),
    ({"meta.tags": None}, "de"),  # absent, or an array holding null
    ({"meta.tags": {"matchesRegex": "^x"}}, "ab"),
    ({"meta.tags": {"exists": True}}, "abcdf"),
    ({"meta.tags": {"exists": False}}, "e"),
    # all: MongoDB's $all, an AND of equalTo each value (a scalar there when it is the only one)
    ({"meta.tags": {"all": ["x", "y"]}}, "a"),
    ({"meta.tags": {"all": ["y", "x", "y"]}}, "a"),
    ({"meta.tags": {"all": ["x"]}}, "ab"),
    ({"meta.tags": {"all": ["x", "q"]}}, ""),
    ({"meta.tags": {"all": [["x"], None]}}, "d"),
    ({"meta.tags": {"all": [["x", "y"]]}}, "a"),  # the whole array
    ({"meta.tags": {"all": [None]}}, "de"),
    ({"meta.tags": {"all": [{"k": 1.0}]}}, "f"),
    ({"meta.tags": {"all": []}}, ""),
    ({"meta.n": {"all": [5.5, 1.0]}}, "a"),
    ({"meta.n": {"all": [3]}}, "b"),
    ({"meta.n": {"all": [True, "z"]}}, "d"),
    ({"meta.d": {"all": [DATE_2020]}}, "a"),
]


@pytest.fixture(scope="module")
def loaded(engine_opener: Any) -> Iterator[querylang.Database]:
    db = engine_opener()
    db.load(DOC)
    yield db
    db.close()


@pytest.mark.parametrize(("where", "expected"), CASES, ids=[json.dumps(w) for w, _ in CASES])
def test_an_array_at_a_path_takes_the_element_rules(loaded: querylang.Database, where: dict[str, Any], expected: str) -> None:
    assert loaded.query("Item", where).ids == list(expected)
    assert loaded.reference("Item", where).ids == list(expected)


# A path on through an array, MongoDB's way (docs/semantics.md#objects): each object element
# read at the step's key (other elements reach nothing there), an index step read at that
# element too, and the values reached tested by the element rules.
THROUGH = {
    "a": {"items": [{"name": "x", "n": 1}, {"name": "y", "tags": ["p", "q"]}], "list": [5, [6, 7], {"0": "z"}]},
    "b": {"items": [{"n": 3}, 4, None]},
    "c": {"items": {"name": "x"}},
    "d": {"items": [[{"name": "x"}]]},
    "e": {"items": []},
    "f": None,
    "g": {"list": [5]},
}
THROUGH_CASES = [
    ({"meta.items.name": "x"}, "ac"),  # not d: an array in the array is not read at a key
    ({"meta.items.name": {"notEqualTo": "x"}}, "bdefg"),
    ({"meta.items.name": None}, "bfg"),  # b's {n: 3} reaches nothing; 4 and null no branch
    ({"meta.items.name": {"exists": True}}, "ac"),
    ({"meta.items.name": {"exists": False}}, "bdefg"),
    ({"meta.items.n": {"greaterThan": 2}}, "b"),
    ({"meta.items.n": {"containedIn": [1, None]}}, "acfg"),  # a's second item has no n
    ({"meta.items.n": {"notContainedIn": [1, None]}}, "bde"),
    ({"meta.items.tags": "p"}, "a"),  # an array reached by a key: its elements too
    ({"meta.items.tags": {"equalTo": ["p", "q"]}}, "a"),
    ({"meta.items.tags": {"all": ["q", "p"]}}, "a"),
    ({"meta.items.name": {"all": ["x", "y"]}}, "a"),  # values of two elements
    ({"meta.items.name": {"matchesRegex": "^y"}}, "a"),
    ({"meta.items.0.name": "x"}, "ad"),  # d: element 0 is an array, read on at name
    ({"meta.list.0": 5}, "ag"),
    ({"meta.list.0": "z"}, "a"),  # key "0" of an object element
    ({"meta.list.1": 6}, ""),  # an array reached by an index is the value, not its elements
    ({"meta.list.1": {"equalTo": [6, 7]}}, "a"),
    ({"meta.list.1.0": 6}, "a"),
    ({"meta.list.1.0": {"lessThan": 7}}, "a"),
    ({"meta.list.5": {"exists": True}}, ""),
    ({"meta.list.0": None}, "bcdef"),
    ({"meta.list.00": 5}, ""),  # '00' names no element
    ({"meta.list.0.a": None}, "abcdef"),  # a: "z" has no a; g: the path goes on from no 5
]


# Edges of the reading through arrays, each as MongoDB answers it (docs/semantics.md#objects).
EDGES = {
    "a": {"list": [5, {"01": 7, "1": 8}], "items": [{"n": 1}, {"n": 2}]},
    "b": {"list": {"01": 7}, "items": []},
    "c": {"list": [[{"a": 1}]], "items": [3, "x"]},
    "d": None,
}
EDGE_CASES = [
    ({"meta.list.01": 7}, "ab"),  # '01' is a key, read in object elements; it names no element
    ({"meta.list.1": 8}, "a"),  # key "1" of an object element
    ({"meta.list.1": {"equalTo": {"01": 7, "1": 8}}}, "a"),  # and element 1 itself
    ({"meta.list.99999999999999999999": {"exists": True}}, ""),  # past any element
    ({"meta.list.99999999999999999999": None}, "abd"),  # a: an object element lacks the key
    ({"meta.list.0.0.a": 1}, "c"),  # index steps go down two arrays
    ({"meta.list.a": 1}, ""),  # a key reads no object in an array in the array
    ({"meta.items.n": {"notEqualTo": 2}}, "bcd"),  # an empty array, or one of no object: nothing reached
    ({"meta.items.n": {"notContainedIn": [3]}}, "abcd"),  # c's 3 is no object, not read at n
    ({"meta.items.n": {"exists": False}}, "bcd"),
    ({"meta.items.n": None}, "d"),
    ({"meta.items.n": {"greaterThan": 1, "lessThan": 2}}, "a"),  # each bound by some value reached
    ({"and": [{"meta.items.n": 1}, {"meta.items.n": 2}]}, "a"),
    ({"or": [{"meta.items.n": 3}, {"meta.list.01": 7}]}, "ab"),
    ({"and": [{"meta.items.n": {"exists": True}}, {"or": [{"meta.list.0": 5}, {"meta.list.a": 1}]}]}, "a"),
]


# Each table of Objects with the cases on it: (records, [(where, the keys of those it matches)]).
TABLES = {"through": (THROUGH, THROUGH_CASES), "edges": (EDGES, EDGE_CASES)}
TABLE_CASES = [(name, where, expected) for name, (_, cases) in TABLES.items() for where, expected in cases]
TABLE_IDS = [f"{name}-{json.dumps(where)}" for name, where, _ in TABLE_CASES]


@pytest.mark.parametrize(("table", "where", "expected"), TABLE_CASES, ids=TABLE_IDS)
def test_a_path_on_through_an_array_reads_each_element(engine: Any, table: str, where: dict[str, Any], expected: str) -> None:
    db = engine()
    metas = TABLES[table][0]
    records = [{"objectId": k} if m is None else {"objectId": k, "meta": m} for k, m in metas.items()]
    db.load({"classes": DOC["classes"], "records": {"Item": records}})
    assert db.query("Item", where).ids == list(expected)
    assert db.reference("Item", where).ids == list(expected)


def test_a_dot_path_on_an_array_field_is_refused_naming_what_paths_follow(engine: Any) -> None:
    db = engine()
    db.load({"classes": {"Item": {"fields": {"items": {"type": "Array"}}}}, "records": {"Item": []}})
    with pytest.raises(querylang.QueryError, match="'items.name': dot notation follows Pointer and Object fields; 'items' is an Array") as e:
        db.query("Item", {"items.name": "x"})
    assert e.value.code == 105


BAD_STEPS = [
    ("meta.list.-1", "the step '-1' of a path into Object field 'meta' is not a key: each step is ASCII letters, "
                     "digits and '_' (an index counts from 0, the first element; MongoDB has no negative index)"),
    ("meta.a b", "the step 'a b' of a path into Object field 'meta' is not a key: each step is ASCII letters, digits and '_'"),
    ("meta.é.x", "the step 'é' of a path"),
]


@pytest.mark.parametrize(("path", "said"), BAD_STEPS, ids=[p for p, _ in BAD_STEPS])
def test_a_step_that_is_no_key_is_refused_saying_why(path: str, said: str) -> None:
    db = querylang.connect()
    db.load(DOC)
    for ask in (lambda: db.query("Item", {path: 5}), lambda: db.query("Item", f"where({{}})\nsort(['-{path}'])"),
                lambda: db.find("Item", {}, order=path)):
        with pytest.raises(querylang.QueryError) as e:
            ask()
        assert str(e.value).startswith(f"'{path}': {said}")
        assert e.value.code == 105


@pytest.fixture(scope="module")
def in_place(pg_cluster: Any) -> Iterator[querylang.Database]:
    with parse_opener(pg_cluster, _parse_db) as open_:
        # r0…r5 in the order of META: the same records in Parse's own table.
        yield open_([(None, None if m is None else json.dumps(m)) for m in META.values()])


@pytest.mark.parametrize(("where", "expected"), CASES, ids=[json.dumps(w) for w, _ in CASES])
def test_an_array_at_a_path_in_parse_tables(in_place: querylang.Database, where: dict[str, Any], expected: str) -> None:
    ids = [f"r{list(META).index(k)}" for k in expected]
    assert in_place.query("Item", where).ids == ids
    assert in_place.reference("Item", where).ids == ids


# --- Parse's tables read in place, against the reference, on random Objects ----------------------


@st.composite
def _parse_cases(draw: st.DrawFn) -> tuple[list[Any], list[dict[str, Any]]]:
    """Objects of every kind of content (arrays, arrays of objects, dates in any iso form)
    and conditions on paths into them, as tests/test_property_gaps.py draws them."""
    metas = draw(st.lists(st.one_of(st.none(), gaps.OBJECTS, gaps.OBJECTS), min_size=1, max_size=6))
    doc = {"records": {"Item": [{"obj": m} for m in metas]}}
    wheres = []
    for _ in range(draw(st.integers(1, 4))):
        ((key, cond),) = draw(gaps.object_path_condition(doc, "Item")).items()
        wheres.append({"meta" + key[len("obj"):]: cond})
    # Not yet alike, and not about arrays: a whole number past 2**53 in Parse's jsonb is
    # compared exactly there, as the double it reads as by the reference.
    assume(not any_nested((metas, wheres), lambda v: type(v) is int and abs(v) > 2**53))
    return metas, wheres


@settings(max_examples=pg_examples(), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_parse_cases())
def test_paths_in_parse_tables_match_the_reference(pg_cluster: Any, case: tuple[list[Any], list[dict[str, Any]]]) -> None:
    metas, wheres = case
    with parse_opener(pg_cluster, _parse_db) as open_:
        db = open_([(None, None if m is None else json.dumps(m)) for m in metas])
        for where in wheres:
            sql_kind, sql = _answer(lambda: db.query("Item", where).ids)  # noqa: B023
            ref_kind, ref = _answer(lambda: db.reference("Item", where).ids)  # noqa: B023
            if "error" in (sql_kind, ref_kind):  # an error is an answer both must give
                assert (sql_kind, type(sql)) == (ref_kind, type(ref)), (where, sql, ref)
            else:
                assert sql == ref, where


@pytest.fixture(scope="module")
def through_in_place(pg_cluster: Any) -> Iterator[dict[str, querylang.Database]]:
    """Each of TABLES in Parse's own table: r0, r1… in the order of its records."""
    with parse_opener(pg_cluster, _parse_db) as open_:
        yield {name: open_([(None, None if m is None else json.dumps(m)) for m in metas.values()]) for name, (metas, _) in TABLES.items()}


@pytest.mark.parametrize(("table", "where", "expected"), TABLE_CASES, ids=TABLE_IDS)
def test_a_path_on_through_an_array_in_parse_tables(through_in_place: dict[str, querylang.Database], table: str, where: dict[str, Any], expected: str) -> None:
    db = through_in_place[table]
    ids = [f"r{list(TABLES[table][0]).index(k)}" for k in expected]
    assert db.query("Item", where).ids == ids
    assert db.reference("Item", where).ids == ids


def test_a_long_all_at_a_path_is_answered(engine: Any) -> None:
    """A long ``all`` at a path is one test of the array there, as on an Array field (an AND
    of one test per value took seconds)."""
    tags = [f"t{i}" for i in range(2000)]
    db = engine()
    db.load({"classes": DOC["classes"], "records": {"Item": [{"objectId": "a", "meta": {"tags": tags}},
                                                             {"objectId": "b", "meta": {"tags": tags[1:]}}]}})
    for where, expected in (({"meta.tags": {"all": tags[::-1]}}, ["a"]), ({"meta.tags": {"all": tags[1:]}}, ["a", "b"])):
        assert db.query("Item", where).ids == db.reference("Item", where).ids == expected


def test_a_long_all_at_a_path_in_parse_tables(pg_cluster: Any) -> None:
    tags = [f"t{i}" for i in range(500)]
    with parse_opener(pg_cluster, _parse_db) as open_:
        db = open_([(None, json.dumps({"tags": [*tags, DATE_2020]})), (None, json.dumps({"tags": tags[1:]}))])
        for where, expected in (({"meta.tags": {"all": [DATE_2020, *tags[::-1]]}}, ["r0"]), ({"meta.tags": {"all": tags[1:]}}, ["r0", "r1"])):
            assert db.query("Item", where).ids == db.reference("Item", where).ids == expected


def test_postgres_sessions_do_not_compile_the_path_expressions(pg_connect: Any) -> None:
    """A path on through an array is read in sub-queries whose estimated cost starts
    PostgreSQL's JIT on tables of some ten thousand rows (a two-step path's plain lookup took
    twice its time, an index step's seconds): JIT is off for querylang's sessions."""
    db = pg_connect()
    try:
        with db.store.connection() as con:  # type: ignore[attr-defined]
            assert con.execute("SHOW jit").fetchone() == ("off",)
    finally:
        db.close()


# --- the SQL of a long path -----------------------------------------------------------------------


def _growth(db: querylang.Database) -> None:
    """Each step of a path adds as much SQL as the one before it, for a condition and a sort,
    of key steps and of index steps: the values reached are walked once, from the top of the
    Object. Walked from the array at each step on the way, the SQL grew with the square of
    the steps, and the time to plan it with it."""
    asks = {
        "equalTo": lambda p: db.compile("Item", {p: {"equalTo": 1}}).sql,
        "containedIn": lambda p: db.compile("Item", {p: {"containedIn": [1, None]}}).sql,
        "sort": lambda p: db.compile("Item", None, sort=[p]).sql,
    }
    for name, ask in asks.items():
        for step in ("a", "0"):
            size = [len(ask("meta." + ".".join([step] * n))) for n in (5, 10, 15)]
            assert size[2] - size[1] == size[1] - size[0], (name, step, size)


def test_a_paths_sql_grows_with_its_steps_not_their_square(engine: Any) -> None:
    db = engine()
    db.load(DOC)
    _growth(db)


def test_a_paths_sql_grows_with_its_steps_in_parse_tables(in_place: querylang.Database) -> None:
    _growth(in_place)


@pytest.mark.parametrize("where", [{"meta.tags": "x"}, {"meta.tags": {"containedIn": ["x", 2]}}, {"meta.tags": None},
                                   {"meta.tags": {"all": ["x", "y"]}}, {"meta.tags": {"notEqualTo": "x"}}],
                         ids=["equalTo", "containedIn", "null", "all", "notEqualTo"])
def test_a_one_step_path_on_duckdb_reads_its_value_twice_at_most(where: dict[str, Any]) -> None:
    """The value at the path, once for itself and once for an array's elements, as a cast of
    the list: a test that the value is an array read it a third time, and a lambda cast each
    element, the larger part of what DuckDB spent planning the condition (PATH_COST)."""
    db = querylang.connect()
    db.load(DOC)
    sql = db.compile("Item", where).where_sql
    assert sql.count('"meta:p"[?]') <= 2, sql
    assert "lambda" not in sql, sql
    assert db.query("Item", where).ids == db.reference("Item", where).ids
    db.close()


def _deep(depth: int, arrays: set[int], leaf: Any) -> Any:
    """An Object ``depth`` keys deep (each key 'a'), the value at each depth of ``arrays`` an
    array of that object and of another, with 'a' missing."""
    value = leaf
    for level in reversed(range(depth)):
        value = {"a": value}
        if level in arrays:
            value = [value, {"b": level}]
    return value


# Long paths through arrays at several depths: (where, sort, the ids answered). r0 holds 7
# past arrays at 3 depths, r1 8 past one, r2 9 through objects only, r3 [6, 7] in an array
# at step 50, r4 an Object 40 deep.
DEEP_PATH = "meta." + ".".join(["a"] * 50)
DEEP_ASKS: list[tuple[dict[str, Any] | None, list[str] | None, str]] = [
    ({DEEP_PATH: 7}, None, "03"),
    ({DEEP_PATH: {"greaterThan": 5}}, None, "0123"),
    ({DEEP_PATH: {"containedIn": [8, None]}}, None, "0134"),  # the other object of each array reaches nothing
    ({DEEP_PATH: None}, None, "0134"),
    ({DEEP_PATH: {"exists": True}}, None, "0123"),
    ({DEEP_PATH[:-2] + ".0": {"exists": True}}, None, "3"),  # an index step at the end
    (None, [DEEP_PATH], "01342"),
    (None, ["-" + DEEP_PATH], "21034"),
]


def _deep_records() -> list[dict[str, Any]]:
    metas = [_deep(50, {3, 20, 45}, 7), _deep(50, {10}, 8), _deep(50, set(), 9), _deep(50, {49}, [6, 7]), _deep(40, {5}, 1)]
    return [{"objectId": f"r{i}", "meta": m} for i, m in enumerate(metas)]


def test_long_paths_through_arrays_answer_as_the_reference(engine: Any) -> None:
    """Paths of 50 steps, through arrays at several depths (the limit was 20 steps)."""
    db = engine()
    db.load({"classes": DOC["classes"], "records": {"Item": _deep_records()}})
    for where, sort, expected in DEEP_ASKS:
        ids = [f"r{i}" for i in expected]
        assert db.query("Item", where, sort=sort).ids == db.reference("Item", where, sort=sort).ids == ids, (where, sort)


def test_long_paths_through_arrays_in_parse_tables(pg_cluster: Any) -> None:
    with parse_opener(pg_cluster, _parse_db) as open_:
        db = open_([(None, json.dumps(r["meta"])) for r in _deep_records()])
        for where, sort, expected in DEEP_ASKS:
            ids = [f"r{i}" for i in expected]
            assert db.query("Item", where, sort=sort).ids == db.reference("Item", where, sort=sort).ids == ids, (where, sort)

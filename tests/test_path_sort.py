"""A sort by a dot path that meets an array sorts as MongoDB's does (docs/semantics.md#sort): by
the smallest key the path reaches ascending, the largest descending, across kinds in MongoDB's
order; hand-checked on DuckDB, PostgreSQL, the reference evaluator and Parse's own tables read
in place, then the SQL against the reference on random Objects in Parse's tables.

mongomock is no second oracle here: it sorts an array by its first element and a path through
an array by the first value it finds, not by the smallest or largest key.
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

METAS = {
    "a": {"items": [{"n": 5}, {"n": 1}]},
    "b": {"items": [{"n": 3}], "list": [3, [1], "x"]},
    "c": {"items": [{"n": 2}, {"x": 1}], "list": []},
    "d": {"items": [], "list": 2},
    "e": None,
    "f": {"items": [{"n": [7, "q"]}, 3], "list": [{"0": 9}, 4]},
    "g": {"items": {"n": 4}, "list": [[]]},
}
SORTS = [
    # c's {x: 1} and f's 3 reach no n (null); d's empty array on the way reaches nothing
    ("meta.items.n", "cdefabg"),
    ("-meta.items.n", "fagbcde"),  # f's "q": strings after numbers
    # an array at the end sorts by its elements; an empty one (c) before absent; g's [[]]
    # holds an array, which sorts after numbers, strings and objects
    ("meta.list", "caedbfg"),
    ("-meta.list", "bgfdaec"),
    # an index step: element 0 (g's [] as it is, before absent), and key "0" of an object element
    ("meta.list.0", "gacdebf"),
    ("-meta.list.0", "fbacdeg"),
    ("meta.items.0.n", "degcbaf"),  # g: an object has no element 0; f: 7 of [7, "q"]
]
DOC = {
    "classes": {"Item": {"fields": {"meta": {"type": "Object"}}}},
    "records": {"Item": [{"objectId": k} if m is None else {"objectId": k, "meta": m} for k, m in METAS.items()]},
}


@pytest.fixture(scope="module")
def loaded(engine_opener: Any) -> Iterator[querylang.Database]:
    db = engine_opener()
    db.load(DOC)
    yield db
    db.close()


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_a_sort_by_a_path_through_arrays_takes_the_smallest_or_largest_key(loaded: querylang.Database, sort: str, expected: str) -> None:
    script = f"where({{}})\nsort(['{sort}'])"
    assert loaded.query("Item", script).ids == list(expected)
    assert loaded.reference("Item", script).ids == list(expected)
    assert loaded.query("Item", script, limit=3, skip=2).ids == list(expected[2:5])


@pytest.fixture(scope="module")
def in_place(pg_cluster: Any) -> Iterator[querylang.Database]:
    with parse_opener(pg_cluster, _parse_db) as open_:
        # r0…r6 in the order of METAS
        yield open_([(None, None if m is None else json.dumps(m)) for m in METAS.values()])


@pytest.mark.parametrize(("sort", "expected"), SORTS)
def test_a_sort_by_a_path_through_arrays_in_parse_tables(in_place: querylang.Database, sort: str, expected: str) -> None:
    script = f"where({{}})\nsort(['{sort}'])"
    ids = [f"r{list(METAS).index(k)}" for k in expected]
    assert in_place.query("Item", script).ids == ids
    assert in_place.reference("Item", script).ids == ids


@st.composite
def _sorted_cases(draw: st.DrawFn) -> tuple[list[Any], list[str]]:
    """Objects of every kind of content (arrays, arrays of objects, dates in any iso form)
    and sorts by one or two paths into them, as tests/test_property_gaps.py draws them."""
    metas = draw(st.lists(st.one_of(st.none(), gaps.OBJECTS, gaps.OBJECTS), min_size=1, max_size=6))
    doc = {"records": {"Item": [{"obj": m} for m in metas]}}
    sorts = []
    for _ in range(draw(st.integers(1, 3))):
        ((key, _),) = draw(gaps.object_path_condition(doc, "Item")).items()
        keys = [("-" if draw(st.booleans()) else "") + "meta" + key[len("obj"):]]
        if draw(st.booleans()):
            keys.append(("-" if draw(st.booleans()) else "") + draw(st.sampled_from(("meta.a", "meta.0.b", "meta.b.a"))))
        sorts.append(",".join(keys))
    # Not about arrays: a whole number past 2**53 in Parse's jsonb is compared exactly there,
    # as the double it reads as by the reference.
    assume(not any_nested(metas, lambda v: type(v) is int and abs(v) > 2**53))
    return metas, sorts


@settings(max_examples=pg_examples(), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_sorted_cases())
def test_sorts_by_paths_in_parse_tables_match_the_reference(pg_cluster: Any, case: tuple[list[Any], list[str]]) -> None:
    metas, sorts = case
    with parse_opener(pg_cluster, _parse_db) as open_:
        db = open_([(None, None if m is None else json.dumps(m)) for m in metas])
        for order in sorts:
            script = f"where({{}})\nsort({json.dumps(order.split(','))})"
            assert db.query("Item", script).ids == db.reference("Item", script).ids, order

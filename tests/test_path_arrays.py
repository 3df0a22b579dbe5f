"""An array found at a dot path into an Object field takes the element rules, as an Array field
does (docs/semantics.md#objects, MongoDB's meaning): hand-checked answers on DuckDB, PostgreSQL,
the reference evaluator and Parse's own tables read in place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import querylang

from .pg import parse_opener
from .test_pg_parse_json import _parse_db

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

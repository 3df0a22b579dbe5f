"""Sorting by a sub-key of an Object field (``sort(['-meta.views'])``), hand-checked.

The sub-key may hold any kind of value, so kinds sort in MongoDB's order (absent and null,
numbers, strings, objects, arrays, booleans, dates), and values within a kind by value; objects
tie among themselves and fall to the objectId tie-break; an array sorts by its smallest element
ascending, its largest descending (tests/test_path_sort.py).
"""

from __future__ import annotations

import pytest

import querylang

DOC = {
    "classes": {"P": {"fields": {"meta": {"type": "Object"}, "tags": {"type": "Array"}}}},
    "records": {"P": [
        {"objectId": "a", "meta": {"views": 3}},
        {"objectId": "b", "meta": {"views": "x"}},
        {"objectId": "c"},
        {"objectId": "d", "meta": {"views": None}},
        {"objectId": "e", "meta": {"views": [1]}},
        {"objectId": "f", "meta": {"views": {"q": 1}}},
        {"objectId": "g", "meta": {"views": True}},
        {"objectId": "h", "meta": {"views": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}}},
        {"objectId": "i", "meta": {"views": 1.5}},
        {"objectId": "j", "meta": {"views": "a"}},
        {"objectId": "k", "meta": {}},
    ]},
}
ASCENDING = ["c", "d", "k", "e", "i", "a", "j", "b", "f", "g", "h"]  # e: [1] sorts as 1
DESCENDING = ["h", "g", "f", "b", "j", "a", "i", "e", "c", "d", "k"]


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    db = querylang.connect()
    db.load(DOC)
    return db


@pytest.mark.parametrize(("sort", "expected"), [("meta.views", ASCENDING), ("-meta.views", DESCENDING)])
def test_sort_by_an_object_sub_key(db: querylang.Database, sort: str, expected: list[str]) -> None:
    script = f"where({{}})\nsort(['{sort}'])"
    assert db.query("P", script).ids == expected
    assert db.reference("P", script).ids == expected
    assert db.query("P", script, limit=4, skip=2).ids == expected[2:6]
    assert db.find("P", {}, order=sort).ids == expected


def test_sort_through_a_non_object_is_still_an_error(db: querylang.Database) -> None:
    with pytest.raises(querylang.QueryError, match="tags"):
        db.query("P", "where({})\nsort(['tags.x'])")
    with pytest.raises(querylang.QueryError, match="no such field"):
        db.query("P", "where({})\nsort(['nope.x'])")


# Fields named as the one-letter names DuckDB's list lambdas take (p, c, v, e, x, y, k): a
# lambda's ``p.v`` read the column p instead, and the query failed with "Cannot extract field".
LAMBDA_NAMES = ("p", "c", "v", "e", "x", "y", "k")
NAMED = {
    "classes": {"T": {"fields": {"o": {"type": "Object"}, **{n: {"type": "String"} for n in LAMBDA_NAMES}}}},
    "records": {"T": [
        {"objectId": "t1", "o": {"y": {"z": "b"}}, **{n: "s" for n in LAMBDA_NAMES}},
        {"objectId": "t2", "o": {"y": [{"z": "a"}, {"z": "c"}]}},
        {"objectId": "t3", "o": {"y": 1}, **{n: "s" for n in LAMBDA_NAMES}},
        {"objectId": "t4"},
    ]},
}


@pytest.mark.parametrize(("sort", "expected"), [("o.y.z", ["t3", "t4", "t2", "t1"]), ("-o.y.z", ["t2", "t1", "t3", "t4"])])
def test_sort_by_a_deep_path_beside_fields_named_as_lambdas(engine, sort: str, expected: list[str]) -> None:
    db = engine()
    db.load(NAMED)
    assert db.query("T", None, sort=[sort]).ids == expected
    assert db.reference("T", None, sort=[sort]).ids == expected
    where = {"o.y.z": {"greaterThan": "a"}}
    assert db.query("T", where, sort=[sort]).ids == [i for i in expected if i in ("t1", "t2")]

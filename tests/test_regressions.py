"""Bugs found by the property tests, each pinned by the smallest case that showed it."""

from __future__ import annotations

import querylang

ALPHA = {
    "classes": {"Alpha": {"fields": {"n": {"type": "Number"}, "p": {"type": "Pointer", "targetClass": "Alpha"}}}},
    "records": {"Alpha": [{"objectId": i, "n": 0, "p": i} for i in ["o0", "o1", "o3", "o10", "O1", "p"]]},
}


def test_in_with_null_and_equality_on_an_indexed_column():
    # DuckDB 2.0 answered `(x IN ('o0') OR x IS NULL) AND x = 'o1'` with o1 when x has an
    # ART index; the compiler writes that disjunction as a CASE instead.
    db = querylang.connect()
    db.load(ALPHA)
    for field in ("objectId", "p"):
        where = {field: {"containedIn": ["o0", None], "equalTo": "o1"}}
        assert db.query("Alpha", where).ids == db.reference("Alpha", where).ids == []
        where = {field: {"containedIn": ["o1", None], "equalTo": "o1"}}
        assert db.query("Alpha", where).ids == db.reference("Alpha", where).ids == ["o1"]


def test_in_list_inside_and_inside_or_on_an_indexed_column():
    # DuckDB 2.0.1 answered `x = '' OR (x = 'o1' AND x IN ('o0'))` with o1 on an ART-indexed
    # column (it unions the values of every branch and drops the AND); found by
    # test_properties on a fresh clone. The compiler hides such lists (compile_sql._in_list).
    db = querylang.connect()
    db.load(ALPHA)
    wheres = [
        {"or": [{"objectId": ""}, {"idEqualTo": "o1", "idContainedIn": ["o0"]}]},
        {"or": [{"objectId": "a"}, {"idEqualTo": "o1", "idContainedIn": ["o0", "o0", "o3"]}, {"idEqualTo": "o3"}]},
        {"or": [{"p": "x"}, {"p": {"equalTo": "o1", "containedIn": ["o0", "o3"]}}]},
        {"or": [{"p": {"containedIn": ["o1"]}, "n": 0}, {"p": {"containedIn": ["o0", "p"]}, "objectId": "o10"}]},
    ]
    for where in wheres:
        assert db.query("Alpha", where).ids == db.reference("Alpha", where).ids, where

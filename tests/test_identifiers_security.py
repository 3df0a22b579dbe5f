"""Hostile names and parameters given to the library: refused with a QueryError, never a
Python error from inside it."""

from __future__ import annotations

import pytest

import querylang

DOC = {
    "classes": {"N": {"fields": {"p": {"type": "Pointer", "targetClass": "N"}, "t": {"type": "String"}}}},
    "records": {"N": [{"objectId": "a", "t": "x", "p": "a"}]},
}


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    conn = querylang.connect()
    conn.load(DOC)
    return conn


@pytest.mark.parametrize("value", [5, 1.5, True])
def test_find_include_and_keys_that_are_not_lists(db: querylang.Database, value: object) -> None:
    for kw in ("include", "keys"):
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            db.find("N", **{kw: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [5, 1.5, True, [5]])
def test_query_include_and_select_that_are_not_lists(db: querylang.Database, value: object) -> None:
    for kw in ("include", "select"):
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            db.query("N", **{kw: value})  # type: ignore[arg-type]
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            list(db.stream("N", **{kw: value}))  # type: ignore[arg-type]


def test_lists_of_names_still_work(db: querylang.Database) -> None:
    assert db.query("N", include=["p"], select=("t", "p.t")).records[0]["p"]["t"] == "x"
    assert db.find("N", include="p", keys=["t"]).records[0]["t"] == "x"

"""Hostile input: values the engines cannot represent (huge integers, lone surrogates, NUL
characters, keys that are not strings); each is a clean error or the right answer."""

from __future__ import annotations

import math

import pytest

from querylang import QueryError, QueryTypeError
from querylang.script.interpreter import run_script

from . import hostile
from .hostile import attempt

db = hostile.db
sample_guard = hostile.sample_guard


# --- values the engines cannot represent -----------------------------------------------------


@pytest.mark.parametrize("query", [
    {"tags": {"equalTo": 10**400}},
    {"tags": {"containedIn": [10**400]}},
    {"meta": {"equalTo": {"a": 10**400}}},
], ids=["array-eq", "array-in", "object-eq"])
def test_huge_int_in_filter_dict(db, query):
    with pytest.raises(QueryError):
        db.query("Post", query)


def test_huge_int_input(db):
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: Inputs.x })", inputs={"x": 10**400})


def test_huge_int_json_parse(db):
    # JSON.parse reads it as JavaScript does (Infinity); Infinity is no value to query by.
    assert run_script("where({ tags: JSON.parse('1' + '0'.repeat(400)) })").where["tags"] == math.inf
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: JSON.parse('1' + '0'.repeat(400)) })")


def test_huge_numbers_that_work(db):
    """A long number literal is a double (as in JavaScript); Number fields reject ±huge ints cleanly."""
    assert db.query("Post", "where({ tags: 123456789012345678901234567890 })").ids == []
    assert db.query("Post", {"score": {"greaterThan": 10**30}}).ids == db.reference("Post", {"score": {"greaterThan": 10**30}}).ids
    with pytest.raises(QueryError):
        db.query("Post", "where({ tags: 1e400 })")  # Infinity


def test_non_string_keys_in_filter_dict(db):
    with pytest.raises(QueryError):
        db.query("Post", {1: 2})


def test_non_string_class_name(db):
    with pytest.raises(QueryError):
        db.query(1, None)


@pytest.mark.parametrize("query", [
    {"title": "\ud800"},
    {"title": {"containedIn": ["a\udcff"]}},
    {"tags": "\ud83d"},
    "where({ title: '\\ud800' })",
    "where({ title: Inputs.v })",
], ids=["eq", "in", "array", "script-literal", "input"])
def test_lone_surrogates_are_clean_errors(db, sample_guard, query):
    """A lone surrogate cannot be sent to DuckDB: a QueryError (today from the database), never a crash."""
    res = attempt(lambda: db.query("Post", query, inputs={"v": "\udc80"}))
    if not isinstance(res, QueryError):
        assert res.ids == db.reference("Post", query, inputs={"v": "\udc80"}).ids
    sample_guard.check_full()


@pytest.mark.parametrize("query", [
    {"o": {"a\ud800": 1}},
    {"o": {"notEqualTo": {"k": {"\udcff": "x"}}}},
    {"o.k": {"containedIn": [{"\ud83d": 1}]}},
    {"arr": {"equalTo": {"\ud800": 1}}},
    {"arr": {"all": [{"k\udfff": 1}]}},
    "where({ o: { equalTo: JSON.parse('{\"\\\\ud800\": 1}') } })",
], ids=["object", "not-equal", "path-list", "array", "all", "script"])
def test_a_lone_surrogate_in_an_operands_key_is_a_clean_error_on_each_engine(engine, query):
    """The values of an object operand were checked for valid Unicode, its keys were not: the
    key reached the driver, and PostgreSQL's raised UnicodeEncodeError (a traceback) where
    DuckDB's answered an EngineError quoting "Python Conversion Failure". Found with operands
    of odd code points, beside tests/test_property_gaps.py."""
    with engine() as d:
        d.load({"classes": {"T": {"fields": {"o": {"type": "Object"}, "arr": {"type": "Array"}}}},
                "records": {"T": [{"objectId": "t1", "o": {"k": 1}, "arr": [{"k": 1}]}]}})
        for run in (d.query, d.reference):
            with pytest.raises(QueryTypeError, match="a string holds a lone surrogate"):
                run("T", query)


@pytest.mark.parametrize("query", [
    {"title": "pointer index 1\x00"},
    "where({ title: 'a\\0' })",
    "where({ title: `${'\\u0000'}` })",
    {"idEqualTo": "p001\x00"},
    {"tags": {"containedIn": ["\x00"]}},
    {"meta": {"equalTo": {"\x00": 1}}},
    {"title": {"matchesRegex": "\x00"}},
], ids=["eq", "script-escape", "template", "id", "array", "object-key", "regex"])
def test_nul_characters_in_queries(db, query):
    """NUL cannot be stored in a String, so a query holding one is a clean error or matches nothing."""
    res = attempt(lambda: db.query("Post", query), query if isinstance(query, str) else None)
    if isinstance(res, QueryError):
        assert isinstance(res, QueryTypeError)
    else:
        assert res.ids == []

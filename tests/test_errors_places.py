"""A filter object's error names one place: a bad value inside a matchesQuery (or a Parse
``$inQuery``) is named by one dot path, as the dotted key that means the same names it
(``'owner.tags': ...``, not ``'owner': 'tags': ...``); inside the ``where`` of a
matchesKeyInQuery (Parse's ``$select``), whose fields are another class's, by its path there
and the path to the operator's field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang import QueryError

from .badinput import FILTER_VALUES, OPERATORS, REST_OPERATORS, REST_VALUES

DATA: dict[str, Any] = {
    "classes": {
        "User": {"fields": {
            "name": {"type": "String"}, "tags": {"type": "Array"}, "score": {"type": "Number"},
            "meta": {"type": "Object"}, "boss": {"type": "Pointer", "targetClass": "User"},
        }},
        "Post": {"fields": {
            "title": {"type": "String"}, "owner": {"type": "Pointer", "targetClass": "User"},
            "fans": {"type": "Relation", "targetClass": "User"},
        }},
    },
    "records": {"User": [{"objectId": "u1", "name": "Ada", "tags": ["a"], "score": 1}], "Post": []},
}
USER_FIELDS = sorted(DATA["classes"]["User"]["fields"])


@pytest.fixture(scope="module")
def db() -> Iterator[querylang.Database]:
    with querylang.connect() as d:
        d.load(DATA)
        yield d


def _said(call: Callable[[], Any]) -> str:
    with pytest.raises(QueryError) as info:
        call()
    return str(info.value)


def _select(where: dict[str, Any], op: str = "matchesKeyInQuery") -> dict[str, Any]:
    return {op: {"key": "name", "className": "User", "where": where}}


BAD = {"tags": {"all": 3}}


@pytest.mark.parametrize(("query", "says"), [
    # matchesQuery and doesNotMatchQuery, on a Pointer and a Relation, nested, through and/or.
    ({"owner": {"matchesQuery": BAD}}, "'owner.tags': all needs an array, got number"),
    ({"owner": {"matchesQuery": {"where": BAD, "className": "User"}}}, "'owner.tags': all needs an array, got number"),
    ({"owner": {"doesNotMatchQuery": {"boss": {"matchesQuery": BAD}}}}, "'owner.boss.tags': all needs an array, got number"),
    ({"fans": {"matchesQuery": {"or": [BAD]}}}, "'fans.tags': all needs an array, got number"),
    ({"owner": {"matchesQuery": {"nope": {"equalTo": 1}}}}, "'owner.nope': class User has no field 'nope'"),
    # The field the path ends at is named once, by the path (was "'owner.name': 'name' is a String; ...").
    ({"owner": {"matchesQuery": {"name": {"equalTo": 3}}}}, "'owner.name' is a String; number 3 can never match it"),
    ({"owner.name": 3}, "'owner.name' is a String; number 3 can never match it"),
    ({"owner.boss.score": {"greaterThan": "x"}}, "'owner.boss.score' is a Number; string 'x' can never match it"),
    ({"title": _select({"name": 3})}, "'name' (in the where of matchesKeyInQuery on 'title') is a String; number 3 can never match it"),
    ({"owner": {"matchesQuery": {"boss.tags": {"all": 3}}}}, "'owner.boss.tags': all needs an array, got number"),
    ({"owner.boss": {"matchesQuery": BAD}}, "'owner.boss.tags': all needs an array, got number"),
    # A dotted key whose later step is refused named the path twice ('owner.name.x': 'name.x': ...).
    ({"owner.name.x": {"all": 3}}, "'owner.name.x': dot notation follows Pointer and Object fields; 'name' is a String"),
    # matchesKeyInQuery: the where's fields are the other class's.
    ({"title": _select(BAD)}, "'tags' (in the where of matchesKeyInQuery on 'title'): all needs an array, got number"),
    ({"title": _select({"boss": {"matchesQuery": BAD}}, "doesNotMatchKeyInQuery")},
     "'boss.tags' (in the where of doesNotMatchKeyInQuery on 'title'): all needs an array, got number"),
    ({"owner": {"matchesQuery": {"name": _select(BAD)}}},
     "'tags' (in the where of matchesKeyInQuery on 'owner.name'): all needs an array, got number"),
    ({"owner.name": _select(BAD)}, "'tags' (in the where of matchesKeyInQuery on 'owner.name'): all needs an array, got number"),
])
def test_a_nested_filters_error_names_one_path(db: querylang.Database, query: dict[str, Any], says: str) -> None:
    assert _said(lambda: db.query("Post", query)) == says
    # The same place when the filter object is turned into Parse's where first.
    assert _said(lambda: querylang.to_parse_where(query, schema=db.schema, class_name="Post")).startswith(says.partition(":")[0])


@pytest.mark.parametrize(("where", "says"), [
    ({"owner": {"$inQuery": {"where": {"tags": {"$all": 3}}, "className": "User"}}}, "'owner.tags': bad $all value"),
    ({"owner": {"$notInQuery": {"where": {"boss": {"$inQuery": {"where": {"name": {"$regex": 3}}, "className": "User"}}},
                                "className": "User"}}}, "'owner.boss.name': bad regex: 3"),
    ({"title": {"$select": {"query": {"where": {"tags": {"$all": 3}}, "className": "User"}, "key": "name"}}},
     "'tags' (in the where of $select on 'title'): bad $all value"),
    ({"title": {"$dontSelect": {"query": {"where": {"tags": {"$in": 3}}, "className": "User"}, "key": "name"}}},
     "'tags' (in the where of $dontSelect on 'title'): bad $in value"),
    # Refused by the filter object's build, after the where was read.
    ({"owner": {"$inQuery": {"where": {"score": {"$gt": "x"}}, "className": "User"}}},
     "'owner.score' is a Number; string 'x' can never match it"),
])
def test_a_parse_wheres_nested_error_names_one_path(db: querylang.Database, where: dict[str, Any], says: str) -> None:
    assert _said(lambda: db.find("Post", where)).startswith(says)


# Fields whose names are matchesQuery's wrapper keys would be read as the wrapper: none here.
FIELDS = st.sampled_from(USER_FIELDS + ["boss.name", "boss.tags", "meta.x"])


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(field=FIELDS, op=st.sampled_from(OPERATORS), operand=FILTER_VALUES, deep=st.booleans())
def test_a_matches_query_names_its_error_as_the_dotted_key_does(db, field, op, operand, deep):
    dotted, nested = {f"owner.{field}": {op: operand}}, {"owner": {"matchesQuery": {field: {op: operand}}}}
    if deep:
        dotted, nested = {f"owner.boss.{field}": {op: operand}}, {"owner": {"matchesQuery": {"boss": {"matchesQuery": {field: {op: operand}}}}}}
    try:
        db.build("Post", dotted)
    except QueryError as exc:
        said = str(exc)
        assert _said(lambda: db.build("Post", nested)) == said
        assert said.startswith(f"'{next(iter(dotted))}") and ": '" not in said.partition(": ")[0] + ": "
    else:
        db.build("Post", nested)


@settings(max_examples=max(20, settings.default.max_examples // 2))
@given(field=st.sampled_from(USER_FIELDS), op=st.sampled_from(REST_OPERATORS), operand=REST_VALUES)
def test_a_parse_in_query_names_its_error_by_one_path(db, field, op, operand):
    try:
        db.find("Post", {"owner": {"$inQuery": {"where": {field: {op: operand}}, "className": "User"}}})
    except QueryError as exc:
        # Never two names in a row: the path, then what is wrong.
        assert not exc.message.startswith(f"'owner': '{field}"), exc.message


@pytest.mark.parametrize(("script", "says"), [
    # A dotted key was named by its later steps alone ("'name' is a String", "'name.x': ..."),
    # no key the script holds; the position stays the value's.
    ("where({'owner.name': {equalTo: 5}})", "line 1, column 23: 'owner.name' is a String; number 5 can never match it"),
    ("where({'owner.boss.score': {greaterThan: 'x'}})",
     "line 1, column 29: 'owner.boss.score' is a Number; string 'x' can never match it"),
    ("where({'owner.name.x': 5})",
     "line 1, column 8: 'owner.name.x': dot notation follows Pointer and Object fields; 'name' is a String"),
    # A key inside a matchesQuery is named as written there, its position showing where.
    ("where({owner: {matchesQuery: {name: {equalTo: 5}}}})", "line 1, column 38: 'name' is a String; number 5 can never match it"),
    # Not by an outer dotted key that ends with the same name: the Pointer 'boss' of User, not 'owner.boss'.
    ("where({'owner.boss': {matchesQuery: {boss: {equalTo: 5}}}})",
     "line 1, column 45: 'boss' is a Pointer; number 5 can never match it"),
    ("where({'owner.boss': {matchesQuery: {'boss.name': {equalTo: 5}}}})",
     "line 1, column 52: 'boss.name' is a String; number 5 can never match it"),
    ("where({title: 5})", "line 1, column 8: 'title' is a String; number 5 can never match it"),
])
def test_a_scripts_error_names_a_dotted_key_as_written(db: querylang.Database, script: str, says: str) -> None:
    assert _said(lambda: db.query("Post", script)).splitlines()[0] == says

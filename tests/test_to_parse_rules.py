"""to_parse_where holds a where to the rules every engine holds a query to (frontends/filters.py
check_where): a text search under nor, nearSphere under or, two text searches or two nearSpheres
are refused with the error db.query gives, with a schema or without one."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

import querylang
from querylang.errors import QueryError

NEAR = "{ latitude: 40, longitude: -100 }"
TEXT = "{ search: 'cafe' }"
REFUSED = [
    ("Post", f"where({{ nor: [{{ body: {{ text: {TEXT} }} }}] }})"),
    ("Post", f"where({{ score: {{ equalTo: 1 }}, nor: [{{ title: {{ equalTo: 'a' }} }}, {{ and: [{{ body: {{ text: {TEXT} }} }}] }}] }})"),
    ("Post", f"where({{ or: [{{ location: {{ nearSphere: {NEAR} }} }}, {{ score: {{ equalTo: 1 }} }}] }})"),
    ("Post", f"where({{ nor: [{{ location: {{ nearSphere: {NEAR} }} }}] }})"),
    ("Post", f"where({{ body: {{ text: {TEXT} }}, and: [{{ title: {{ text: {{ search: 'x' }} }} }}] }})"),
    ("Post", f"where({{ location: {{ nearSphere: {NEAR} }}, and: [{{ location: {{ nearSphere: {NEAR} }} }}] }})"),
    # a sub-query's where is a query of its own, with the same rules
    ("Comment", f"where({{ Owner: {{ matchesQuery: {{ where: {{ nor: [{{ body: {{ text: {TEXT} }} }}] }}, className: 'Post' }} }} }})"),
    ("Comment", f"where({{ Owner: {{ doesNotMatchQuery: {{ where: {{ body: {{ text: {TEXT} }}, title: {{ text: {TEXT} }} }}, className: 'Post' }} }} }})"),
]
ALLOWED = [
    # one search in the where and one in a sub-query's, and a search inside a negated sub-query
    ("Comment", f"where({{ text: {{ text: {TEXT} }}, Owner: {{ matchesQuery: {{ where: {{ body: {{ text: {TEXT} }} }}, className: 'Post' }} }} }})"),
    ("Comment", f"where({{ Owner: {{ doesNotMatchQuery: {{ where: {{ body: {{ text: {TEXT} }} }}, className: 'Post' }} }} }})"),
    ("Post", f"where({{ location: {{ nearSphere: {NEAR} }}, or: [{{ score: {{ equalTo: 1 }} }}, {{ score: {{ equalTo: 2 }} }}] }})"),
    ("Post", f"where({{ body: {{ text: {{ search: Inputs.Missing }} }}, and: [{{ title: {{ text: {TEXT} }} }}] }})"),
]


def _plain(value: object) -> object:
    """A script's value as Python's dicts and lists (no positions)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _error(call: Callable[[], object]) -> tuple[int, str] | None:
    try:
        call()
    except QueryError as exc:
        return exc.code, str(exc)
    return None


@pytest.mark.parametrize(("cls", "script"), REFUSED)
def test_to_parse_where_refuses_what_a_query_refuses(demo_db: querylang.Database, cls: str, script: str) -> None:
    refused = _error(lambda: demo_db.query(cls, script))
    assert refused is not None and refused[0] == 102
    assert _error(lambda: querylang.to_parse_where(script, schema=demo_db.schema, class_name=cls)) == refused
    assert _error(lambda: querylang.to_parse_where(script)) == refused


@pytest.mark.parametrize(("cls", "script"), REFUSED)
def test_to_parse_where_refuses_a_filter_object_as_a_query_does(demo_db: querylang.Database, cls: str, script: str) -> None:
    from querylang.script.interpreter import run_script

    filt = _plain(run_script(script, {}).where)
    assert type(filt) is dict
    refused = _error(lambda: demo_db.query(cls, filt))
    assert refused is not None
    assert _error(lambda: querylang.to_parse_where(filt, schema=demo_db.schema, class_name=cls)) == refused
    assert _error(lambda: querylang.to_parse_where(filt)) == refused


@pytest.mark.parametrize(("cls", "script"), ALLOWED)
def test_to_parse_where_translates_what_a_query_allows(demo_db: querylang.Database, cls: str, script: str) -> None:
    demo_db.query(cls, script)
    assert querylang.to_parse_where(script, schema=demo_db.schema, class_name=cls)
    assert querylang.to_parse_where(script)

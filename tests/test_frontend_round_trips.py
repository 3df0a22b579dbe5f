"""Round trips between the front ends, and ``querylang.matches`` against the database.

A query written one way and translated (``unparse`` / ``to_script``, ``to_parse_where``, the
REST reader behind ``db.find``) must select the same records on the database; one record
checked in memory with ``matches`` must match exactly when ``db.query`` returns it, or be
refused with a QueryError naming what needs the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryError
from querylang.frontends.to_parse import to_parse_where, to_script
from querylang.frontends.unparse import unparse

from . import strategies as qs


@st.composite
def _doc_and_filters(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any], list[str] | None]]]:
    doc = draw(qs.documents(created=True))
    cases = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(sorted(doc["classes"])))
        cases.append((name, draw(qs.filters(doc, name)), draw(qs.sorts(doc, name))))
    return doc, cases


def _ok(run: Any) -> Any:
    try:
        return run()
    except QueryError:
        return None


@given(_doc_and_filters())
def test_unparsed_query_selects_the_same_records(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, sort in cases:
            expected = _ok(lambda: db.query(name, filt, sort=sort, limit=1000))  # noqa: B023
            if expected is None:
                continue
            script = unparse(db.build(name, filt, sort=sort))
            context = f"class={name} filter={filt!r} sort={sort!r}\nscript={script}"
            assert db.query(name, script, limit=1000).ids == expected.ids, context


@given(_doc_and_filters())
def test_parse_where_and_its_script_select_the_same_records(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, _ in cases:
            expected = _ok(lambda: db.query(name, filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            where = to_parse_where(filt, schema=db.schema, class_name=name)
            context = f"class={name} filter={filt!r}\nwhere={where!r}"
            assert db.find(name, where=where, limit=1000, order="objectId").ids == expected.ids, context
            script = to_script(where)
            assert db.query(name, script, limit=1000).ids == expected.ids, f"{context}\nscript={script}"


@given(_doc_and_filters())
def test_matches_agrees_with_the_database(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, _ in cases:
            expected = _ok(lambda: db.query(name, filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            records = db.query(name, limit=1000).records
            for rec in records:
                context = f"class={name} filter={filt!r} record={rec!r}"
                try:
                    got = querylang.matches(rec, filt, schema=db.schema, class_name=name)
                except QueryError as exc:
                    assert "needs the database" in str(exc), context
                    break
                assert got == (rec["objectId"] in expected.ids), context


@pytest.fixture(scope="module")
def array_db():
    database = querylang.connect()
    database.load({"classes": {"C": {"fields": {"a": {"type": "Array"}}}},
                   "records": {"C": [{"objectId": "x", "a": []}, {"objectId": "y", "a": [1, 2]}, {"objectId": "z", "a": [[1, 2]]}]}})
    yield database
    database.close()


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        ({"a": {"containedIn": [[]]}}, ["x"]),
        ({"a": {"containedIn": [[1, 2]]}}, ["y", "z"]),
        ({"a": {"notContainedIn": [[1, 2], 3]}}, ["x"]),
    ],
)
def test_an_array_inside_contained_in_survives_the_trip_to_parse(array_db, filt, expected):
    # Parse flattens arrays inside $in/$nin one level, and so does db.find; to_parse_where
    # wrote containedIn [[]] as $in [[]], which Parse reads as $in [] (found by the property
    # above: db.find gave [] where db.query gave the records holding []).
    assert array_db.query("C", filt).ids == expected
    where = to_parse_where(filt, schema=array_db.schema, class_name="C")
    assert array_db.find("C", where=where).ids == expected
    assert array_db.query("C", to_script(where)).ids == expected


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ({"constructor": "x"}, "constructor"),
        ({"meta": {"constructor": 1}}, "constructor"),
        ({"meta": {"$eq": {"a": {"__proto__": 1}}}}, "__proto__"),
        ({"$or": [{"meta": {"prototype": 1}}]}, "prototype"),
    ],
)
def test_to_script_refuses_a_key_scripts_refuse(where, key):
    # The script language refuses these keys wherever they appear; to_script printed them
    # (where({ constructor: ... })), a script that failed only when it was run.
    with pytest.raises(QueryError, match=f"the key '{key}' has no filter-script form"):
        to_script(where)


def test_a_field_named_constructor_is_still_queried_by_filter_and_sorted_by_script():
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"constructor": {"type": "String"}}}},
                 "records": {"C": [{"objectId": "a", "constructor": "y"}, {"objectId": "b", "constructor": "x"}]}})
        assert db.query("C", {"constructor": "x"}).ids == ["b"]
        q = db.build("C", None, sort=["constructor"])
        assert db.query("C", unparse(q)).ids == ["b", "a"]
        with pytest.raises(QueryError, match="the key 'constructor' has no filter-script form"):
            unparse(db.build("C", {"constructor": "x"}))

"""The language surface (tests/surface.py's dataset): include replaces pointers by records, select keeps the
named fields (docs/semantics.md#include-select), and their errors."""

from __future__ import annotations

import pytest

from querylang.errors import QueryError, SchemaError

from . import surface
from .surface import OLD, created, embedded_record, record_of

db = surface.db


# --- include / select (docs/semantics.md#include-select) --------------------------------------------------------------------


def test_include_replaces_pointers_by_records(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p4", "p5"]}, include="owner")
    p1, p4, p5 = res.records
    assert p1 == {**record_of("Post", "p1"), "owner": embedded_record("Author", "a1")}
    assert p1["owner"]["city"] == "c1"  # one level only
    assert p4 == record_of("Post", "p4")  # a dangling pointer stays a bare id
    assert p4["owner"] == "ghost"
    assert p5 == record_of("Post", "p5")


def test_include_nested_path(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p3", "p6"]}, include="owner.city")
    p1, p3, p6 = res.records
    assert p1["owner"] == embedded_record("Author", "a1", city=embedded_record("City", "c1"))
    assert p3["owner"] == embedded_record("Author", "a3")  # a3.city dangles: stays "nowhere"
    assert p3["owner"]["city"] == "nowhere"
    assert p6["owner"] == embedded_record("Author", "a4")
    assert p1["venue"] == "c2"  # not included


def test_include_several_paths_as_a_list(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, include=["owner.city", "venue"]).records
    assert p1["owner"] == embedded_record("Author", "a1", city=embedded_record("City", "c1"))
    assert p1["venue"] == embedded_record("City", "c2")


def test_include_star_is_every_pointer_one_level(db):
    p1, p2 = db.query("Post", {"idContainedIn": ["p1", "p2"]}, include="*").records
    assert p1 == {**record_of("Post", "p1"), "owner": embedded_record("Author", "a1"), "venue": embedded_record("City", "c2")}
    assert p2["owner"] == embedded_record("Author", "a2")
    assert p2["owner"]["city"] == "c2"
    assert p2["venue"] == embedded_record("City", "c1")


def test_include_keeps_order_and_filter(db):
    res = db.query("Post", {"owner.name": "Ann"}, sort=["-score"], include="owner")
    assert res.ids == ["p7", "p1"]
    assert [r["owner"]["name"] for r in res.records] == ["Ann", "Ann"]


def test_select_keeps_only_the_named_fields_and_the_builtins(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p4"]}, select="score,place")
    p1, p4 = res.records
    assert p1 == {"objectId": "p1", "createdAt": created(1), "updatedAt": created(1), "score": 10, "place": "Paris"}
    assert p4 == {"objectId": "p4", "createdAt": created(4), "updatedAt": created(4)}


def test_select_dotted_includes_and_selects_inside(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, select=["owner.name", "score"]).records
    assert p1 == {
        "objectId": "p1", "createdAt": created(1), "updatedAt": created(1), "score": 10,
        "owner": {"__type": "Object", "className": "Author", "objectId": "a1", "createdAt": OLD, "updatedAt": OLD,
                  "name": "Ann"},
    }


def test_select_with_include(db):
    (p2,) = db.query("Post", {"idEqualTo": "p2"}, include="owner", select="owner").records
    assert p2 == {"objectId": "p2", "createdAt": created(2), "updatedAt": created(2), "owner": embedded_record("Author", "a2")}


@pytest.mark.parametrize(
    ("include", "exc_type"),
    [
        # include: only Pointer fields that exist (Parse ignores the rest; we say so)
        ("score", QueryError),
        ("likes", QueryError),
        ("nope", SchemaError),
        ("owner.nope", SchemaError),
    ],
)
def test_include_errors(db, include, exc_type):
    with pytest.raises(exc_type):
        db.query("Post", {}, include=include)


@pytest.mark.parametrize(("include", "says"), [
    ("body", "cannot include 'body': it is a String, not a Pointer or an Array"),  # was "'body': 'body' is a String"
    ("owner.name", "cannot include 'owner.name': 'name' is a String, not a Pointer or an Array"),
])
def test_a_field_that_is_no_pointer_is_named_once_by_include(db, include, says):
    with pytest.raises(QueryError) as info:
        db.query("Post", {}, include=include)
    assert str(info.value) == says


@pytest.mark.parametrize("include", ["owner.nope", "owner.name", "owner.city.nope", "owner.", "owner..city", "*.nope"])
def test_a_bad_include_path_is_refused_whatever_the_records(db, include):
    """A bad field past the first dot was found only while records were embedded: with no
    record matching, or none whose pointer reached a live record, the same include was
    answered; a stream could fail part way. It is checked before anything is read."""
    for where in ({}, {"score": 12345}, {"idEqualTo": "p4"}):  # every record, none, a dangling owner
        with pytest.raises(QueryError) as info:
            db.query("Post", where, include=include)
        assert f"cannot include '{include}'" in str(info.value) and info.value.code in (102, 105), str(info.value)
        with pytest.raises(QueryError):
            next(db.stream("Post", where, include=include), None)
        with pytest.raises(QueryError):
            db.find("Post", {}, include=include)

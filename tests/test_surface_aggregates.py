"""The language surface (tests/surface.py's dataset): count, distinct and aggregate, with a filter, of
nothing, whatever the paging, and their errors."""

from __future__ import annotations

import pytest

from querylang.errors import QueryError, SchemaError

from . import surface
from .surface import BOX, ORIGIN, created, text

db = surface.db


# --- aggregates -------------------------------------------------------------------------------------


def test_count_with_new_operators(db):
    assert db.count("Post") == 8
    assert db.count("Post", {"score": {"greaterThan": 4}}) == 4
    assert db.count("Post", {"loc": {"withinBox": BOX}}) == 3
    assert db.count("Post", {"loc": {"nearSphere": ORIGIN}}) == 7
    assert db.count("Post", text("cafe")) == 2
    assert db.count("Post", {"owner.city.name": {"notEqualTo": "Paris"}}) == 6
    assert db.count("Post", "where({ tags: { all: ['red'] } })") == 3
    assert db.count("Post", {"score": {"greaterThan": 100}}) == 0


def test_distinct(db):
    assert db.distinct("Post", "place") == ["Oslo", "Paris", "Rome", "paris"]
    assert db.distinct("Post", "place", text("cafe")) == ["Oslo", "Rome"]
    assert db.distinct("Post", "owner") == ["a1", "a2", "a3", "a4", "ghost"]
    assert db.distinct("Post", "score", {"tags": {"all": ["red"]}}) == [5, 10, 12]
    assert db.distinct("Post", "place", {"score": {"greaterThan": 100}}) == []
    assert db.distinct("Post", "createdAt", {"idContainedIn": ["p2", "p1"]}) == [created(1), created(2)]


def test_distinct_errors(db):
    with pytest.raises(QueryError):
        db.distinct("Post", "tags")
    with pytest.raises(SchemaError):
        db.distinct("Post", "nope")
    # A field name that is not a string was Python's TypeError ("argument of type 'int' is not
    # iterable", "unhashable type: 'list'"), where a class name that is not one is a SchemaError.
    for field in (5, None, ["place"]):
        with pytest.raises(SchemaError, match="class Post has no field"):
            db.distinct("Post", field)


def test_aggregate(db):
    out = db.aggregate("Post", {"Total": {"sum": "score"}, "Low": {"min": "score"}, "High": {"max": "score"},
                                "Mean": {"avg": "score"}, "Newest": {"max": "createdAt"}, "First": {"min": "place"}})
    # scores 10, 5, 7, 3, 0, 12, 1 (p4 has none)
    assert out == {"Total": 38, "Low": 0, "High": 12, "Mean": pytest.approx(38 / 7), "Newest": created(8),
                   "First": "Oslo"}


def test_aggregate_with_a_filter(db):
    out = db.aggregate("Post", {"S": {"sum": "score"}, "A": {"avg": "score"}}, {"owner.name": "Ann"})
    assert out == {"S": 22, "A": 11}
    out = db.aggregate("Post", {"S": {"sum": "score"}}, "where({ nor: [{ tags: 'red' }] })")
    assert out == {"S": 7 + 3 + 0 + 1}


def test_aggregate_of_nothing(db):
    spec = {"S": {"sum": "score"}, "Lo": {"min": "score"}, "Hi": {"max": "score"}, "M": {"avg": "score"},
            "D": {"max": "createdAt"}}
    assert db.aggregate("Post", spec, {"score": {"greaterThan": 100}}) == {"S": 0, "Lo": None, "Hi": None, "M": None,
                                                                             "D": None}
    # only absent values: the same
    assert db.aggregate("Post", spec, {"idEqualTo": "p4"})["S"] == 0
    assert db.aggregate("Post", spec, {"idEqualTo": "p4"})["M"] is None
    assert db.aggregate("Post", {}) == {}


@pytest.mark.parametrize(
    "spec",
    [
        {"A": {"avg": "place"}},  # avg of a String
        {"S": {"sum": "createdAt"}},  # sum of a Date
        {"M": {"max": "tags"}},  # max of an Array
        {"X": {"median": "score"}},  # unknown aggregate
        {"X": {"sum": "score", "avg": "score"}},  # two at once
        {"X": "score"},
        [("X", {"sum": "score"})],  # not an object: a QueryError, not an AttributeError
        {"X": {5: "score"}},  # not a name: a QueryError, not a TypeError of the hint
        {"X": {("sum",): "score"}},  # nor an AttributeError
        {"X": {"sum": ["score"]}},  # a field that is no name ("class Post has no field '['score']'")
    ],
)
def test_aggregate_errors(db, spec):
    with pytest.raises(QueryError):
        db.aggregate("Post", spec)


def test_aggregate_errors_name_the_aggregate(db):
    with pytest.raises(QueryError, match=r"aggregate 'X': unknown aggregate 5$"):
        db.aggregate("Post", {"X": {5: "score"}})
    with pytest.raises(QueryError, match=r"aggregate 'X': sum needs a field name, not array$"):
        db.aggregate("Post", {"X": {"sum": ["score"]}})
    # These two named the field alone, not which of the aggregates gave it.
    with pytest.raises(QueryError, match=r"^aggregate 'Y': class Post has no field 'scroe' \(did you mean 'score'\?\)$"):
        db.aggregate("Post", {"X": {"sum": "score"}, "Y": {"max": "scroe"}})
    with pytest.raises(QueryError, match=r"^aggregate 'Y': sum needs a Number field; 'body' is a String$"):
        db.aggregate("Post", {"X": {"sum": "score"}, "Y": {"sum": "body"}})


def test_aggregates_cover_every_match_whatever_the_paging(db):
    """count, distinct and aggregate cover every matching record: a limit, skip or sort given
    to them does not apply, as Parse's count ignores its limit (README)."""
    paging = {"limit": 1, "skip": 2, "sort": ["-score"]}
    assert db.count("Post", None, **paging) == db.count("Post") > 1
    assert db.distinct("Post", "score", None, **paging) == db.distinct("Post", "score")
    spec = {"S": {"sum": "score"}, "N": {"min": "score"}}
    assert db.aggregate("Post", spec, None, **paging) == db.aggregate("Post", spec)

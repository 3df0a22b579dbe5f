"""The language surface (tests/surface.py's dataset): db.find with a Parse where (docs/semantics.md#front-ends),
the visual filter, and unparse reading back the base operators."""

from __future__ import annotations

import pytest

import querylang
import querylang.frontends.unparse
from querylang.errors import INVALID_JSON, INVALID_QUERY, QueryError

from . import surface
from .surface import BOX, NEAREST, ORIGIN, TRIANGLE, all_but, both, created, embedded_record

db = surface.db


# --- db.find with Parse where (docs/semantics.md#front-ends) -----------------------------------------------------------------


PARSE_WHERES = [
    # find: $text, geo, $all, $containedBy, $nor, $inQuery, $notInQuery, $select, $dontSelect, dots
    ({"body": {"$text": {"$search": {"$term": "running"}}}}, {}, ["p1", "p3", "p8"]),
    ({"body": {"$text": {"$search": {"$term": "Café", "$caseSensitive": True}}}}, {}, ["p2"]),
    ({"loc": {"$nearSphere": {"__type": "GeoPoint", **ORIGIN}}}, {}, NEAREST),
    ({"loc": {"$nearSphere": {"__type": "GeoPoint", **ORIGIN}, "$maxDistanceInKilometers": 150}}, {}, ["p1", "p7"]),
    ({"loc": {"$nearSphere": {"__type": "GeoPoint", **ORIGIN}, "$maxDistanceInMiles": 130}}, {"order": "-score"},
     ["p7", "p1", "p2", "p4"]),
    ({"loc": {"$nearSphere": {"__type": "GeoPoint", **ORIGIN}, "$maxDistance": 0.0332}}, {}, ["p1", "p7", "p2", "p4"]),
    ({"loc": {"$within": {"$box": [{"__type": "GeoPoint", **b} for b in BOX]}}}, {}, ["p1", "p2", "p7"]),
    ({"loc": {"$geoWithin": {"$polygon": [{"__type": "GeoPoint", **p} for p in TRIANGLE]}}}, {}, ["p1", "p2", "p3", "p7"]),
    ({"loc": {"$geoWithin": {"$polygon": [[0, 0], [2, 0], [0, 2]]}}}, {}, ["p1", "p2", "p3", "p7"]),
    ({"loc": {"$geoWithin": {"$centerSphere": [[0, 0], 0.03]}}}, {}, ["p1", "p2", "p7"]),
    ({"tags": {"$all": ["red", "blue"]}}, {}, ["p1", "p7"]),
    ({"tags": {"$containedBy": ["red", "blue"]}}, {}, ["p1", "p2", "p4", "p5"]),
    ({"$nor": [{"score": {"$gt": 6}}, {"tags": "green"}]}, {}, ["p2", "p4", "p5", "p8"]),
    ({"owner": {"$inQuery": {"where": {"name": "Ann"}, "className": "Author"}}}, {}, ["p1", "p7"]),
    ({"owner": {"$notInQuery": {"where": {"name": "Ann"}, "className": "Author"}}}, {}, all_but("p1", "p7")),
    ({"likes": {"$inQuery": {"where": {"name": "Bob"}, "className": "Author"}}}, {}, ["p1"]),
    ({"place": {"$select": {"query": {"className": "City", "where": {"country": "NO"}}, "key": "name"}}}, {}, ["p2"]),
    ({"place": {"$dontSelect": {"query": {"className": "City"}, "key": "name"}}}, {}, all_but("p1", "p2")),
    ({"owner.city.name": {"$ne": "Paris"}}, {}, all_but("p1", "p7")),
    ({"owner.name": "Ann", "score": {"$gte": 11}}, {}, ["p7"]),
    ({"loc": {"$nearSphere": {"__type": "GeoPoint", **ORIGIN}}}, {"limit": 3, "count": True}, ["p1", "p7", "p2"]),
]


@pytest.mark.parametrize(("where", "kw", "expected"), PARSE_WHERES)
def test_find_with_parse_where(db, where, kw, expected):
    res = db.find("Post", where, **kw)
    assert res.ids == expected
    if kw.get("count"):
        assert res.count == 7


def test_find_include_and_keys(db):
    (p1,) = db.find("Post", {"objectId": "p1"}, include="owner", keys="owner,score").records
    assert p1 == {"objectId": "p1", "createdAt": created(1), "updatedAt": created(1), "score": 10,
                  "owner": embedded_record("Author", "a1")}


@pytest.mark.parametrize(
    ("where", "code"),
    [
        # find: Parse's errors for the new constructs
        ({"$nor": []}, INVALID_QUERY),
        ({"body": {"$text": {"$search": {"$term": ""}}}}, INVALID_JSON),
        ({"loc": {"$within": {"$box": [{"__type": "GeoPoint", **ORIGIN}]}}}, INVALID_JSON),
        ({"loc": {"$geoWithin": {"$polygon": [[0, 0], [1, 1]]}}}, INVALID_JSON),
        ({"tags": {"$containedBy": "red"}}, INVALID_JSON),
        ({"owner": {"$inQuery": {"where": {"name": "Ann"}}}}, INVALID_QUERY),
        ({"place": {"$select": {"query": {"className": "City"}}}}, INVALID_QUERY),
    ],
)
def test_find_errors(db, where, code):
    with pytest.raises(QueryError) as info:
        db.find("Post", where)
    assert info.value.code == code


# --- visual filter, unparse ------------------------------------------------------------------------


def test_query_with_a_visual_filter(db):
    visual = {"combinator": "and", "rules": [
        {"property": "score", "operator": "greater than", "input": "Min"},
        {"combinator": "or", "rules": [
            {"property": "place", "operator": "contain", "value": "PAR"},
            {"property": "owner", "operator": "points to", "input": "Owner"},
        ]},
        {"property": "venue", "operator": "equal to", "input": "Unset"},  # undefined input: skipped
    ]}
    res = db.query("Post", visual=visual, inputs={"Min": 2, "Owner": "a1"},
                   visual_sorting=[{"property": "score", "order": "descending"}])
    # score > 2: p1 p2 p3 p5 p7; place contains "par" (any case): p1, p5; owner a1: p1, p7
    assert res.ids == ["p7", "p1", "p5"]
    filt = {"score": {"greaterThan": 2}, "or": [{"place": {"matchesRegex": "PAR", "options": "i"}}, {"owner": "a1"}]}
    assert db.reference("Post", filt, sort=["-score"]).ids == res.ids
    with pytest.raises(QueryError):
        db.query("Post", {"score": 1}, visual=visual)


def test_unparse_reads_back_the_base_operators(db):
    q = db.build("Post", {"score": {"greaterThan": 2, "lessThan": 11}, "or": [{"place": {"matchesRegex": "^P", "options": "i"}},
                          {"owner": {"pointsTo": ["a1", "a2"]}}], "likes": {"notContainedIn": ["a3"]}}, sort=["-score"])
    script = querylang.frontends.unparse.unparse(q)
    again = db.build("Post", script)
    assert (again.where, again.sort) == (q.where, q.sort)
    # score in (2, 11): p1 p2 p3 p5; place ^P/i or owner a1/a2: p1 p2 p5; holds no a3: not p1
    assert both(db, "Post", script) == ["p2", "p5"]

"""The language surface added after the core: text search, geo, Parse-only operators, pointer
paths, include/select, aggregates, writes, live matching, ``find`` and visual filters.

One small hand-made dataset (below) and tables of (query, expected ids). Every expected id list
was worked out by hand from docs/semantics.md (#text, #geo, #arrays, #pointer-paths,
#include-select) and the docstrings of querylang/features/text.py and geo.py, not by running
the engine: when a row fails, the engine or the documentation is wrong, not the table. Every
query row runs on both engines (DuckDB SQL and the reference evaluator). Without a sort, results
come in objectId order (docs/semantics.md#sort); nearSphere without a sort orders nearest first (docs/semantics.md#geo).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

import querylang
import querylang.frontends.unparse
from querylang.errors import (
    INCORRECT_TYPE,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    OBJECT_NOT_FOUND,
    DataError,
    QueryError,
    QueryTypeError,
    SchemaError,
)

OLD = "2023-06-01T00:00:00.000Z"


def _created(i: int) -> str:
    return f"2024-01-0{i}T00:00:00.000Z"


def geo(lat: float, lng: float) -> dict[str, float]:
    return {"latitude": lat, "longitude": lng}


# Post.loc, as (latitude, longitude); great-circle distance from (0, 0) in degrees, rounded:
#   p1 (0, 0) 0 · p7 (0.5, 0.5) 0.707 · p2 (1, 1) 1.414 · p4 (-1, -1.5) 1.803 · p3 (0, 2) 2
#   p6 (2.5, 0) 2.5 · p8 (10, 10) 14.1 · p5 has no loc.
# One degree is 0.017453 rad = 111.19 km = 69.10 miles (R = 6371 km / 3959 miles).
# Post.body words (English Snowball stems): running/runs → run, runner → runner, shoes → shoe,
# Paris → pari; "Café"/"CAFE" fold to cafe. p6's body holds stop words only; p7 has no body.
# Pointers: p4.owner dangles ("ghost"), p5 has no owner; a3.city dangles ("nowhere"), a4 has
# no city. Relations: p6 likes only a missing author ("ghostA"); friends a1→a2, a2→a3.
# Relation fields come last in their class (a Relation before other fields once shifted
# columns; tests/test_load.py covers that layout).
DOC: dict[str, Any] = {
    "classes": {
        "City": {"fields": {"name": {"type": "String"}, "country": {"type": "String"}}},
        "Author": {
            "fields": {
                "name": {"type": "String"},
                "city": {"type": "Pointer", "targetClass": "City"},
                "home": {"type": "GeoPoint"},
                "tags": {"type": "Array"},
                "friends": {"type": "Relation", "targetClass": "Author"},
            }
        },
        "Post": {
            "fields": {
                "body": {"type": "String"},
                "score": {"type": "Number"},
                "tags": {"type": "Array"},
                "loc": {"type": "GeoPoint"},
                "place": {"type": "String"},
                "owner": {"type": "Pointer", "targetClass": "Author"},
                "venue": {"type": "Pointer", "targetClass": "City"},
                "likes": {"type": "Relation", "targetClass": "Author"},
            }
        },
    },
    "records": {
        "City": [
            {"objectId": "c1", "createdAt": OLD, "name": "Paris", "country": "FR"},
            {"objectId": "c2", "createdAt": OLD, "name": "Oslo", "country": "NO"},
        ],
        "Author": [
            {"objectId": "a1", "createdAt": OLD, "name": "Ann", "city": "c1", "home": geo(48.85, 2.35), "tags": ["x", "y"]},
            {"objectId": "a2", "createdAt": OLD, "name": "Bob", "city": {"__type": "Pointer", "className": "City", "objectId": "c2"},
             "home": geo(59.91, 10.75), "tags": ["y"]},
            {"objectId": "a3", "createdAt": OLD, "name": "Cid", "city": "nowhere", "tags": []},
            {"objectId": "a4", "createdAt": OLD, "name": "Dee", "home": geo(0, 0)},
        ],
        "Post": [
            {"objectId": "p1", "createdAt": _created(1), "body": "The runner was running in the park", "score": 10,
             "tags": ["red", "blue"], "loc": geo(0, 0), "place": "Paris", "owner": "a1", "venue": "c2", "likes": ["a2", "a3"]},
            {"objectId": "p2", "createdAt": _created(2), "body": "Café au lait in Paris", "score": 5, "tags": ["red"],
             "loc": geo(1, 1), "place": "Oslo", "owner": "a2", "venue": "c1", "likes": ["a1"]},
            {"objectId": "p3", "createdAt": _created(3), "body": "CAFE culture and running shoes", "score": 7,
             "tags": ["blue", "green"], "loc": geo(0, 2), "place": "Rome", "owner": "a3", "likes": []},
            {"objectId": "p4", "createdAt": _created(4), "body": "The quick brown fox", "tags": [], "loc": geo(-1, -1.5),
             "owner": "ghost"},
            {"objectId": "p5", "createdAt": _created(5), "body": "Paris is the capital of France", "score": 3,
             "place": "paris", "loc": None, "owner": None},
            {"objectId": "p6", "createdAt": _created(6), "body": "a an the", "score": 0, "tags": ["green"],
             "loc": geo(2.5, 0), "owner": "a4", "likes": ["ghostA"]},
            {"objectId": "p7", "createdAt": _created(7), "score": 12, "tags": ["red", "green", "blue"],
             "loc": geo(0.5, 0.5), "owner": "a1", "likes": ["a4"]},
            {"objectId": "p8", "createdAt": _created(8), "body": "Fast runs", "score": 1, "tags": ["yellow"],
             "loc": geo(10, 10), "owner": "a2"},
        ],
    },
    "relations": [
        {"class": "Author", "objectId": "a1", "key": "friends", "targetId": "a2"},
        {"class": "Author", "objectId": "a2", "key": "friends", "targetId": "a3", "targetClass": "Author"},
    ],
}
POSTS = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]


def _but(*ids: str) -> list[str]:
    return [p for p in POSTS if p not in ids]


def _fresh() -> querylang.Database:
    db = querylang.connect()
    db.load(copy.deepcopy(DOC))
    return db


@pytest.fixture(scope="module")
def db():
    with _fresh() as d:
        yield d


@pytest.fixture
def wdb():
    """A database of its own, for tests that write."""
    with _fresh() as d:
        yield d


def both(db: querylang.Database, cls: str, where: Any, **kw: Any) -> list[str]:
    """The ids SQL gives, after checking the reference evaluator gives the same records."""
    sql = db.query(cls, where, **kw)
    ref = db.reference(cls, where, **kw)
    assert sql.ids == ref.ids, f"where={where!r} kw={kw!r}"
    assert sql.records == ref.records, f"where={where!r} kw={kw!r}"
    assert sql.count == ref.count
    return sql.ids


def both_fail(db: querylang.Database, cls: str, where: Any, **kw: Any) -> QueryError:
    """Both engines reject the query with the same error; returns it."""
    with pytest.raises(QueryError) as sql:
        db.query(cls, where, **kw)
    with pytest.raises(QueryError) as ref:
        db.reference(cls, where, **kw)
    assert type(sql.value) is type(ref.value)
    assert str(sql.value) == str(ref.value)
    return sql.value


def text(term: Any, **opts: Any) -> dict[str, Any]:
    search = {"term": term, **opts} if opts else term
    return {"body": {"text": {"search": search}}}


ORIGIN = geo(0, 0)
BOX = [geo(-0.5, -0.5), geo(1, 1)]
TRIANGLE = [geo(0, 0), geo(0, 2), geo(2, 0)]  # lat >= 0, lng >= 0, lat + lng <= 2
NEAREST = ["p1", "p7", "p2", "p4", "p3", "p6", "p8"]

# (class, where, keyword arguments, expected ids in order)
QUERIES = [
    # text: one word
    ("Post", text("fox"), {}, ["p4"]),
    # text: stemming (running, runs → run; runner stays runner)
    ("Post", text("running"), {}, ["p1", "p3", "p8"]),
    ("Post", text("run"), {}, ["p1", "p3", "p8"]),
    ("Post", text("runner"), {}, ["p1"]),
    # text: several words are ORed
    ("Post", text("fox paris"), {}, ["p2", "p4", "p5"]),
    ("Post", text("fox, PARIS!"), {}, ["p2", "p4", "p5"]),
    # text: "phrases" must all appear, in order; with a phrase, loose words do not widen
    ("Post", text('"brown fox"'), {}, ["p4"]),
    ("Post", text('"fox brown"'), {}, []),
    ("Post", text('"running shoes"'), {}, ["p3"]),
    ("Post", text('fox "cafe au"'), {}, ["p2"]),
    ("Post", text('"cafe au" "in paris"'), {}, ["p2"]),
    ("Post", text('"cafe au" "brown fox"'), {}, []),
    # text: -negation excludes; negation alone matches nothing
    ("Post", text("cafe -paris"), {}, ["p3"]),
    ("Post", text("running -shoes"), {}, ["p1", "p8"]),
    ("Post", text("-fox"), {}, []),
    ("Post", text("-fox -paris"), {}, []),
    # text: stop words are dropped from the search (but still hold a phrase's place)
    ("Post", text("the"), {}, []),
    ("Post", text("the fox"), {}, ["p4"]),
    ("Post", text("a an the"), {}, []),
    # text: case- and diacritic-insensitive by default
    ("Post", text("CAFÉ"), {}, ["p2", "p3"]),
    ("Post", text("café"), {}, ["p2", "p3"]),
    ("Post", text("Cafe", caseSensitive=False, diacriticSensitive=False), {}, ["p2", "p3"]),
    # text: caseSensitive keeps case (diacritics still folded, no stemming), diacriticSensitive the diacritics
    ("Post", text("Café", caseSensitive=True), {}, ["p2"]),
    ("Post", text("CAFE", caseSensitive=True), {}, ["p3"]),
    ("Post", text("cafe", caseSensitive=True), {}, []),
    ("Post", text("run", caseSensitive=True), {}, []),
    ("Post", text("running", caseSensitive=True), {}, ["p1", "p3"]),
    ("Post", text("Café", diacriticSensitive=True), {}, ["p2"]),
    # text: null or undefined options take their defaults
    ("Post", text("running", language=None, caseSensitive=None), {}, ["p1", "p3", "p8"]),
    ("Post", "where({ body: { text: { search: { term: 'RUN', language: Inputs.L, caseSensitive: Inputs.C } } } })", {},
     ["p1", "p3", "p8"]),
    # text: languages other than English are folded but not stemmed
    ("Post", text("running", language="spanish"), {}, ["p1", "p3"]),
    ("Post", text("run", language="spanish"), {}, []),
    ("Post", text("RUNS", language="spanish"), {}, ["p8"]),
    # text: combined with other conditions, in and/or, sorted
    ("Post", {**text("cafe"), "score": {"greaterThan": 6}}, {}, ["p3"]),
    ("Post", {"or": [text("fox"), {"score": 12}]}, {}, ["p4", "p7"]),
    ("Post", text("run cafe"), {"sort": ["-score"]}, ["p1", "p3", "p2", "p8"]),
    # text: a script says the same
    ("Post", "where({ body: { text: { search: Inputs.Q } } })", {"inputs": {"Q": "fox"}}, ["p4"]),
    ("Post", "where({ body: { text: { search: Inputs.Missing } } })", {}, POSTS),
    # geo: nearSphere orders nearest first when there is no sort; absent GeoPoint never matches
    ("Post", {"loc": {"nearSphere": ORIGIN}}, {}, NEAREST),
    ("Post", {"loc": {"nearSphere": geo(-1, -1.5)}}, {}, ["p4", "p1", "p7", "p2", "p3", "p6", "p8"]),
    ("Post", {"loc": {"nearSphere": ORIGIN}}, {"limit": 2, "skip": 1}, ["p7", "p2"]),
    ("Post", {"loc": {"nearSphere": ORIGIN}, "score": {"greaterThan": 4}}, {}, ["p1", "p7", "p2", "p3"]),
    ("Post", {"and": [{"score": {"exists": True}}, {"loc": {"nearSphere": ORIGIN}}]}, {}, ["p1", "p7", "p2", "p3", "p6", "p8"]),
    # geo: an explicit sort replaces the distance order (MongoDB, docs/semantics.md#geo); absent last descending
    ("Post", {"loc": {"nearSphere": ORIGIN}}, {"sort": ["-score"]}, ["p7", "p1", "p3", "p2", "p8", "p6", "p4"]),
    ("Post", {"loc": {"nearSphere": ORIGIN}}, {"sort": "score"}, ["p4", "p6", "p8", "p2", "p3", "p1", "p7"]),
    ("Post", "where({ loc: { nearSphere: { latitude: 0, longitude: 0 } } }); sort(['-createdAt'])", {},
     ["p8", "p7", "p6", "p4", "p3", "p2", "p1"]),
    # geo: each distance unit (1.9° = 0.0332 rad; 150 km = 1.35°; 130 miles = 1.88°)
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInRadians": 0.0332}}}, {}, ["p1", "p7", "p2", "p4"]),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": 150}}}, {}, ["p1", "p7"]),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInMiles": 130}}}, {}, ["p1", "p7", "p2", "p4"]),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInMiles": 140}}}, {}, ["p1", "p7", "p2", "p4", "p3"]),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInRadians": 0}}}, {}, ["p1"]),
    ("Post", {"loc": {"nearSphere": {"__type": "GeoPoint", **geo(10, 10), "maxDistanceInKilometers": 1}}}, {}, ["p8"]),
    # geo: withinBox, corners in any order, bounds included
    ("Post", {"loc": {"withinBox": BOX}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"loc": {"withinBox": BOX[::-1]}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"loc": {"withinBox": [geo(1, -0.5), geo(-0.5, 1)]}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"loc": {"withinBox": [geo(0, 0), geo(0, 2)]}}, {}, ["p1", "p3"]),
    ("Post", {"loc": {"withinBox": [geo(-90, -180), geo(90, 180)]}}, {}, _but("p5")),
    ("Post", {"loc": {"withinBox": [geo(5, 5), geo(6, 6)]}}, {}, []),
    # geo: withinPolygon, open or closed ring, boundary and vertices included
    ("Post", {"loc": {"withinPolygon": TRIANGLE}}, {}, ["p1", "p2", "p3", "p7"]),
    ("Post", {"loc": {"withinPolygon": [*TRIANGLE, TRIANGLE[0]]}}, {}, ["p1", "p2", "p3", "p7"]),
    ("Post", {"loc": {"withinPolygon": TRIANGLE[::-1]}}, {}, ["p1", "p2", "p3", "p7"]),
    ("Post", {"loc": {"withinPolygon": [geo(-2, -2), geo(-2, 0), geo(0, -2)]}}, {}, ["p4"]),
    # geo: withinSphere has no implicit order
    ("Post", {"loc": {"withinSphere": {"center": ORIGIN, "radians": 0.03}}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"loc": {"withinSphere": {"center": ORIGIN, "radians": 0}}}, {}, ["p1"]),
    # geo: absent GeoPoints
    ("Post", {"loc": {"exists": False}}, {}, ["p5"]),
    ("Post", {"or": [{"loc": {"withinBox": BOX}}, {"loc": {"exists": False}}]}, {}, ["p1", "p2", "p5", "p7"]),
    ("Author", {"home": {"nearSphere": geo(50, 5)}}, {}, ["a1", "a2", "a4"]),
    # all: every listed value is held (any order, repeats); all: [] matches nothing
    ("Post", {"tags": {"all": ["red", "blue"]}}, {}, ["p1", "p7"]),
    ("Post", {"tags": {"all": ["blue", "red", "red"]}}, {}, ["p1", "p7"]),
    ("Post", {"tags": {"all": ["red"]}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"tags": {"all": ["red", "yellow"]}}, {}, []),
    ("Post", {"tags": {"all": []}}, {}, []),
    # containedBy: every element is listed; absent and empty arrays match (MongoDB, docs/semantics.md#arrays)
    ("Post", {"tags": {"containedBy": ["red", "blue"]}}, {}, ["p1", "p2", "p4", "p5"]),
    ("Post", {"tags": {"containedBy": []}}, {}, ["p4", "p5"]),
    ("Post", {"tags": {"containedBy": ["red", "green", "blue", "yellow"]}}, {}, POSTS),
    ("Post", {"tags": {"containedBy": ["green"]}}, {}, ["p4", "p5", "p6"]),
    ("Author", {"tags": {"containedBy": ["y"]}}, {}, ["a2", "a3", "a4"]),
    ("Post", {"tags": {"all": ["green"], "containedBy": ["green", "blue"]}}, {}, ["p3", "p6"]),
    # nor: none of the conditions holds
    ("Post", {"nor": [{"score": {"greaterThan": 6}}, {"tags": "green"}]}, {}, ["p2", "p4", "p5", "p8"]),
    ("Post", {"nor": [{"score": {"greaterThan": 6}}]}, {}, ["p2", "p4", "p5", "p6", "p8"]),
    ("Post", {"nor": [{"loc": {"withinBox": BOX}}], "score": {"lessThan": 4}}, {}, ["p5", "p6", "p8"]),
    ("Post", {"nor": [{"nor": [{"place": "Paris"}]}]}, {}, ["p1"]),
    # matchesQuery / doesNotMatchQuery on a Pointer: the target exists and matches
    ("Post", {"owner": {"matchesQuery": {"name": "Ann"}}}, {}, ["p1", "p7"]),
    ("Post", {"owner": {"matchesQuery": {"where": {"name": "Ann"}, "className": "Author"}}}, {}, ["p1", "p7"]),
    ("Post", {"owner": {"matchesQuery": {}}}, {}, ["p1", "p2", "p3", "p6", "p7", "p8"]),
    ("Post", {"owner": {"matchesQuery": {"city": {"matchesQuery": {"country": "NO"}}}}}, {}, ["p2", "p8"]),
    ("Post", {"owner": {"matchesQuery": {"home": {"withinBox": [geo(40, 0), geo(60, 20)]}}}}, {}, ["p1", "p2", "p7", "p8"]),
    ("Post", {"owner": {"doesNotMatchQuery": {"name": "Ann"}}}, {}, _but("p1", "p7")),
    ("Post", {"owner": {"doesNotMatchQuery": {}}}, {}, ["p4", "p5"]),
    # matchesQuery / doesNotMatchQuery on a Relation: holds a live record that matches
    ("Post", {"likes": {"matchesQuery": {"name": "Bob"}}}, {}, ["p1"]),
    ("Post", {"likes": {"matchesQuery": {}}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"likes": {"matchesQuery": {"city": {"exists": True}}}}, {}, ["p1", "p2"]),
    ("Post", {"likes": {"doesNotMatchQuery": {"name": "Bob"}}}, {}, _but("p1")),
    ("Post", {"likes": {"doesNotMatchQuery": {}}}, {}, ["p3", "p4", "p5", "p6", "p8"]),
    ("Author", {"friends": {"matchesQuery": {"name": {"matchesRegex": "^C"}}}}, {}, ["a2"]),
    # dotted paths through Pointers: positive operators need a live record on the way
    ("Post", {"owner.name": "Ann"}, {}, ["p1", "p7"]),
    ("Post", {"owner.name": {"equalTo": "Ann"}}, {}, ["p1", "p7"]),
    ("Post", {"owner.city.name": "Paris"}, {}, ["p1", "p7"]),
    ("Post", {"owner.city.name": {"exists": True}}, {}, ["p1", "p2", "p7", "p8"]),
    ("Post", {"owner.city.country": {"containedIn": ["FR", "NO"]}}, {}, ["p1", "p2", "p7", "p8"]),
    ("Post", {"owner.name": {"matchesRegex": "^[AB]"}}, {}, ["p1", "p2", "p7", "p8"]),
    ("Post", {"owner.tags": "y"}, {}, ["p1", "p2", "p7", "p8"]),
    ("Post", {"owner.home": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": 1}}}, {}, ["p6"]),
    ("Post", {"owner.name": {"greaterThan": "B"}}, {"sort": ["-score"]}, ["p3", "p2", "p8", "p6"]),
    # dotted paths: negative operators match when the pointer is absent or dangles on the way
    ("Post", {"owner.city.name": {"notEqualTo": "Paris"}}, {}, _but("p1", "p7")),
    ("Post", {"owner.name": {"notEqualTo": "Ann"}}, {}, _but("p1", "p7")),
    ("Post", {"owner.name": {"notContainedIn": ["Ann", "Bob"]}}, {}, ["p3", "p4", "p5", "p6"]),
    ("Post", {"owner.city.name": {"exists": False}}, {}, ["p3", "p4", "p5", "p6"]),
    ("Post", {"owner.name": {"equalTo": None}}, {}, ["p4", "p5"]),
    ("Post", {"owner.name": None}, {}, ["p4", "p5"]),
    ("Post", {"venue.name": {"notEqualTo": "Oslo"}}, {}, _but("p1")),
    ("Post", {"nor": [{"owner.name": "Ann"}]}, {}, _but("p1", "p7")),
    # matchesKeyInQuery / doesNotMatchKeyInQuery: the value is (not) a key of matching records
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City", "where": {}}}}, {}, ["p1", "p2"]),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City", "where": {"country": "NO"}}}}, {}, ["p2"]),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City"}}}, {}, ["p1", "p2"]),
    ("Post", {"place": {"doesNotMatchKeyInQuery": {"key": "name", "className": "City", "where": {}}}}, {},
     _but("p1", "p2")),
    ("Post", {"owner": {"matchesKeyInQuery": {"key": "objectId", "className": "Author", "where": {"name": "Bob"}}}}, {},
     ["p2", "p8"]),
    ("Post", {"venue": {"matchesKeyInQuery": {"key": "city", "className": "Author", "where": {}}}}, {}, ["p1", "p2"]),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City", "where": {"country": "XX"}}}}, {}, []),
]


@pytest.mark.parametrize(("cls", "where", "kw", "expected"), QUERIES)
def test_query_table(db, cls, where, kw, expected):
    assert both(db, cls, where, **kw) == expected


ERRORS = [
    # text: the term must be a non-empty string; a String field; one text search per query
    ("Post", text(""), QueryTypeError, INVALID_JSON, "$term"),
    ("Post", text("   "), QueryTypeError, INVALID_JSON, "$term"),
    ("Post", text(5), QueryTypeError, INVALID_JSON, "$term"),
    ("Post", text("x", caseSensitive="yes"), QueryTypeError, INVALID_JSON, "caseSensitive"),
    ("Post", text("x", language=3), QueryTypeError, INVALID_JSON, "language"),
    ("Post", {"body": {"text": "fox"}}, QueryTypeError, INVALID_JSON, "search"),
    ("Post", {"score": {"text": {"search": "x"}}}, QueryTypeError, INCORRECT_TYPE, "String"),
    ("Post", {"and": [text("fox"), {"place": {"text": {"search": "x"}}}]}, QueryError, INVALID_QUERY, "one text"),
    # geo: points in range, enough points, a GeoPoint field
    ("Post", {"loc": {"nearSphere": geo(91, 0)}}, QueryTypeError, INVALID_JSON, "latitude"),
    ("Post", {"loc": {"nearSphere": geo(0, 180.5)}}, QueryTypeError, INVALID_JSON, "longitude"),
    ("Post", {"loc": {"withinBox": [geo(-91, 0), geo(0, 0)]}}, QueryTypeError, INVALID_JSON, "latitude"),
    ("Post", {"loc": {"withinPolygon": [geo(0, 0), geo(0, 1), geo(100, 1)]}}, QueryTypeError, INVALID_JSON, "latitude"),
    ("Post", {"loc": {"withinBox": [geo(0, 0)]}}, QueryTypeError, INVALID_JSON, "2 points"),
    ("Post", {"loc": {"withinBox": [geo(0, 0), geo(1, 1), geo(2, 2)]}}, QueryTypeError, INVALID_JSON, "2 points"),
    ("Post", {"loc": {"withinPolygon": [geo(0, 0), geo(1, 1)]}}, QueryTypeError, INVALID_JSON, "at least 3"),
    ("Post", {"loc": {"nearSphere": {"latitude": 0}}}, QueryTypeError, INVALID_JSON, "latitude"),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": -1}}}, QueryTypeError, INVALID_JSON, "≥ 0"),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": 1, "maxDistanceInMiles": 1}}}, QueryError,
     INVALID_QUERY, "one of"),
    ("Post", {"loc": {"withinSphere": {"center": ORIGIN}}}, QueryTypeError, INVALID_JSON, "radians"),
    ("Post", {"loc": {"withinSphere": {"center": [0, 0], "radians": 1}}}, QueryTypeError, INVALID_JSON, "GeoPoint"),
    ("Post", {"loc": {"nearSphere": "here"}}, QueryTypeError, INVALID_JSON, "nearSphere"),
    ("Post", {"loc": {"nearSphere": {**ORIGIN, "maxDistance": 1}}}, QueryError, INVALID_QUERY, "maxDistance"),
    ("Post", {"loc": {"nearSphere": {"latitude": "0", "longitude": 0}}}, QueryTypeError, INVALID_JSON, "numbers"),
    ("Post", {"loc": {"nearSphere": {"latitude": float("nan"), "longitude": 0}}}, QueryTypeError, INVALID_JSON,
     "finite"),
    ("Post", {"loc": {"withinBox": "everywhere"}}, QueryTypeError, INVALID_JSON, "list of GeoPoints"),
    ("Post", {"loc": {"withinBox": [[0, 0], [1, 1]]}}, QueryTypeError, INVALID_JSON, "GeoPoint"),
    ("Post", {"body": {"nearSphere": ORIGIN}}, QueryTypeError, INCORRECT_TYPE, "GeoPoint"),
    ("Post", {"score": {"withinBox": BOX}}, QueryTypeError, INCORRECT_TYPE, "GeoPoint"),
    ("Post", {"loc": {"equalTo": ORIGIN}}, QueryTypeError, INCORRECT_TYPE, "GeoPoint"),
    ("Post", {"or": [{"loc": {"nearSphere": ORIGIN}}, {"score": 1}]}, QueryError, INVALID_QUERY, "nearSphere"),
    ("Post", {"nor": [{"loc": {"nearSphere": ORIGIN}}]}, QueryError, INVALID_QUERY, "nearSphere"),
    # all / containedBy: Array fields and array operands
    ("Post", {"score": {"all": [1]}}, QueryTypeError, INCORRECT_TYPE, "Array"),
    ("Post", {"tags": {"containedBy": "red"}}, QueryTypeError, INVALID_JSON, "array"),
    # nor: a non-empty array
    ("Post", {"nor": []}, QueryError, INVALID_QUERY, "at least one"),
    ("Post", {"nor": {"score": 1}}, QueryError, INVALID_QUERY, "array"),
    # matchesQuery: Pointer/Relation fields, a filter object of the target class
    ("Post", {"place": {"matchesQuery": {}}}, QueryTypeError, INCORRECT_TYPE, "Pointer"),
    ("Post", {"owner": {"matchesQuery": {"where": {}, "className": "City"}}}, QueryTypeError, INVALID_JSON, "City"),
    ("Post", {"owner": {"matchesQuery": {"nope": 1}}}, SchemaError, INVALID_KEY_NAME, "nope"),
    ("Post", {"owner": {"matchesQuery": "Ann"}}, QueryTypeError, INVALID_JSON, "filter object"),
    # dotted paths: only through Pointers, to fields that exist
    ("Post", {"score.x": 1}, QueryTypeError, INVALID_KEY_NAME, "Pointer"),
    ("Post", {"likes.name": "Ann"}, QueryTypeError, INVALID_KEY_NAME, "Relation"),
    ("Post", {"owner.nmae": "Ann"}, SchemaError, INVALID_KEY_NAME, "did you mean 'name'"),
    ("Post", {"ownr.name": "Ann"}, SchemaError, INVALID_KEY_NAME, "ownr"),
    # matchesKeyInQuery: {key, className, where}, comparable single values
    ("Post", {"place": {"matchesKeyInQuery": {"className": "City"}}}, QueryError, INVALID_QUERY, "key"),
    ("Post", {"score": {"matchesKeyInQuery": {"key": "name", "className": "City"}}}, QueryTypeError, INCORRECT_TYPE,
     "Number"),
    ("Post", {"tags": {"matchesKeyInQuery": {"key": "tags", "className": "Author"}}}, QueryTypeError, INVALID_JSON,
     "single values"),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "nope", "className": "City"}}}, SchemaError, INVALID_KEY_NAME, "nope"),
]


@pytest.mark.parametrize(("cls", "where", "exc_type", "code", "fragment"), ERRORS)
def test_error_table(db, cls, where, exc_type, code, fragment):
    exc = both_fail(db, cls, where)
    assert isinstance(exc, exc_type)
    assert exc.code == code
    assert fragment in str(exc)


def test_errors_point_at_the_script(db):
    with pytest.raises(QueryTypeError) as info:
        db.query("Post", "where({\n  loc: { withinPolygon: [\n {latitude: 0, longitude: 0}] }\n})")
    assert info.value.line == 2
    assert "withinPolygon" in str(info.value)


# --- include / select (docs/semantics.md#include-select) --------------------------------------------------------------------


def _rec(cls: str, oid: str) -> dict[str, Any]:
    """A record as the database gives it back, from DOC (Relation fields are not record fields)."""
    (raw,) = [r for r in DOC["records"][cls] if r["objectId"] == oid]
    out = {k: v for k, v in raw.items() if k != "likes"}
    out["updatedAt"] = out["createdAt"]
    if isinstance(out.get("city"), dict):
        out["city"] = out["city"]["objectId"]
    return out


def _embedded(cls: str, oid: str, **replace: Any) -> dict[str, Any]:
    return {"__type": "Object", "className": cls, **_rec(cls, oid), **replace}


def test_include_replaces_pointers_by_records(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p4", "p5"]}, include="owner")
    p1, p4, p5 = res.records
    assert p1 == {**_rec("Post", "p1"), "owner": _embedded("Author", "a1")}
    assert p1["owner"]["city"] == "c1"  # one level only
    assert p4 == _rec("Post", "p4")  # a dangling pointer stays a bare id
    assert p4["owner"] == "ghost"
    assert p5 == _rec("Post", "p5")


def test_include_nested_path(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p3", "p6"]}, include="owner.city")
    p1, p3, p6 = res.records
    assert p1["owner"] == _embedded("Author", "a1", city=_embedded("City", "c1"))
    assert p3["owner"] == _embedded("Author", "a3")  # a3.city dangles: stays "nowhere"
    assert p3["owner"]["city"] == "nowhere"
    assert p6["owner"] == _embedded("Author", "a4")
    assert p1["venue"] == "c2"  # not included


def test_include_several_paths_as_a_list(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, include=["owner.city", "venue"]).records
    assert p1["owner"] == _embedded("Author", "a1", city=_embedded("City", "c1"))
    assert p1["venue"] == _embedded("City", "c2")


def test_include_star_is_every_pointer_one_level(db):
    p1, p2 = db.query("Post", {"idContainedIn": ["p1", "p2"]}, include="*").records
    assert p1 == {**_rec("Post", "p1"), "owner": _embedded("Author", "a1"), "venue": _embedded("City", "c2")}
    assert p2["owner"] == _embedded("Author", "a2")
    assert p2["owner"]["city"] == "c2"
    assert p2["venue"] == _embedded("City", "c1")


def test_include_keeps_order_and_filter(db):
    res = db.query("Post", {"owner.name": "Ann"}, sort=["-score"], include="owner")
    assert res.ids == ["p7", "p1"]
    assert [r["owner"]["name"] for r in res.records] == ["Ann", "Ann"]


def test_select_keeps_only_the_named_fields_and_the_builtins(db):
    res = db.query("Post", {"idContainedIn": ["p1", "p4"]}, select="score,place")
    p1, p4 = res.records
    assert p1 == {"objectId": "p1", "createdAt": _created(1), "updatedAt": _created(1), "score": 10, "place": "Paris"}
    assert p4 == {"objectId": "p4", "createdAt": _created(4), "updatedAt": _created(4)}


def test_select_dotted_includes_and_selects_inside(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, select=["owner.name", "score"]).records
    assert p1 == {
        "objectId": "p1", "createdAt": _created(1), "updatedAt": _created(1), "score": 10,
        "owner": {"__type": "Object", "className": "Author", "objectId": "a1", "createdAt": OLD, "updatedAt": OLD,
                  "name": "Ann"},
    }


def test_select_with_include(db):
    (p2,) = db.query("Post", {"idEqualTo": "p2"}, include="owner", select="owner").records
    assert p2 == {"objectId": "p2", "createdAt": _created(2), "updatedAt": _created(2), "owner": _embedded("Author", "a2")}


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
    ("body", "cannot include 'body': it is a String, not a Pointer"),  # was "'body': 'body' is a String"
    ("owner.name", "cannot include 'owner.name': 'name' is a String, not a Pointer"),
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
    assert db.distinct("Post", "createdAt", {"idContainedIn": ["p2", "p1"]}) == [_created(1), _created(2)]


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
    assert out == {"Total": 38, "Low": 0, "High": 12, "Mean": pytest.approx(38 / 7), "Newest": _created(8),
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


# --- writes ---------------------------------------------------------------------------------------


def _state(db: querylang.Database) -> tuple[Any, ...]:
    data = db.store.dataset()
    records = {c: sorted(rows, key=lambda r: r["objectId"]) for c, rows in data.records.items()}
    edges = sorted((e.owner_class, e.key, e.owning_id, e.related_id) for e in data.edges)
    return records, edges, sorted(data.schema.classes)


def test_create_returns_an_id_and_the_record_is_queryable(wdb):
    oid = wdb.create("Post", {"body": "New running shoes", "score": 4, "loc": geo(0.1, 0.1), "owner": "a1",
                              "tags": ["red", "blue"]})
    assert isinstance(oid, str) and oid
    assert both(wdb, "Post", {"idEqualTo": oid}) == [oid]
    (rec,) = wdb.query("Post", {"idEqualTo": oid}).records
    assert rec["createdAt"] == rec["updatedAt"]
    assert rec["loc"] == geo(0.1, 0.1)
    assert oid in both(wdb, "Post", text("run"))
    assert both(wdb, "Post", {"loc": {"nearSphere": ORIGIN}}, limit=2) == ["p1", oid]
    assert oid in both(wdb, "Post", {"tags": {"all": ["blue", "red"]}})
    assert oid in both(wdb, "Post", {"owner.name": "Ann"})
    assert wdb.count("Post") == 9


def test_create_with_an_id_and_relation_ids(wdb):
    assert wdb.create("Post", {"objectId": "p9", "likes": ["a2"], "score": 2}) == "p9"
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == ["p1", "p9"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p9", "key": "likes"}}) == ["a2"]
    with pytest.raises(DataError):
        wdb.create("Post", {"objectId": "p9"})


def test_save_changes_fields_and_updated_at(wdb):
    wdb.save("Post", "p4", {"body": "Slow turtles", "score": 8, "tags": ["red"]})
    (rec,) = wdb.query("Post", {"idEqualTo": "p4"}).records
    assert rec["body"] == "Slow turtles" and rec["score"] == 8 and rec["tags"] == ["red"]
    assert rec["createdAt"] == _created(4)
    assert rec["updatedAt"] > _created(4)
    assert rec["owner"] == "ghost"  # untouched
    assert both(wdb, "Post", text("turtle")) == ["p4"]
    assert both(wdb, "Post", text("fox")) == []
    assert both(wdb, "Post", {"tags": {"all": ["red"]}}) == ["p1", "p2", "p4", "p7"]


def test_saving_none_makes_a_field_absent(wdb):
    wdb.save("Post", "p1", {"score": None, "loc": None, "owner": None, "body": None})
    for where in ({"score": {"exists": False}}, {"loc": {"exists": False}}, {"owner": {"exists": False}},
                  {"body": None}):
        assert "p1" in both(wdb, "Post", where)
    assert "p1" not in both(wdb, "Post", {"loc": {"nearSphere": ORIGIN}})
    assert "p1" not in both(wdb, "Post", text("running"))
    assert "p1" in both(wdb, "Post", {"owner.name": {"notEqualTo": "Ann"}})
    assert wdb.aggregate("Post", {"S": {"sum": "score"}}) == {"S": 28}


def test_increment_counts_an_absent_value_from_zero(wdb):
    wdb.increment("Post", "p4", {"score": 2})
    wdb.increment("Post", "p1", {"score": -2.5})
    assert both(wdb, "Post", {"idContainedIn": ["p1", "p4"]}, sort=["score"]) == ["p4", "p1"]
    recs = {r["objectId"]: r for r in wdb.query("Post", {"idContainedIn": ["p1", "p4"]}).records}
    assert recs["p4"]["score"] == 2
    assert recs["p1"]["score"] == 7.5
    assert recs["p4"]["updatedAt"] > _created(4)


def test_delete_removes_the_record_and_its_edges_both_ways(wdb):
    # a2 is a target (p1.likes, a1.friends) and an owner (a2.friends → a3)
    wdb.delete("Author", "a2")
    assert both(wdb, "Author", {}) == ["a1", "a3", "a4"]
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"friends": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a1", "key": "friends"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a2", "key": "friends"}}) == []
    edges = {(e.owner_class, e.key, e.owning_id, e.related_id) for e in wdb.store.dataset().edges}
    assert not any("a2" in (o, r) for _, _, o, r in edges)
    assert ("Post", "likes", "p1", "a3") in edges  # other edges stay
    # The pointers to a2 now dangle
    assert both(wdb, "Post", {"owner": {"matchesQuery": {}}}) == ["p1", "p3", "p6", "p7"]
    # A new record with the same id does not bring the old edges back.
    wdb.create("Author", {"objectId": "a2", "name": "Bob II"})
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a1", "key": "friends"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a2", "key": "friends"}}) == []


def test_delete_an_owner(wdb):
    wdb.delete("Post", "p1")
    assert both(wdb, "Author", {"relatedTo": {"id": "p1", "key": "likes"}}) == []
    assert "p1" not in both(wdb, "Post", {})
    with pytest.raises(QueryError) as info:
        wdb.delete("Post", "p1")
    assert info.value.code == OBJECT_NOT_FOUND


def test_add_and_remove_relation(wdb):
    wdb.add_relation("Post", "p3", "likes", "a1")
    wdb.add_relation("Post", "p3", "likes", "a1")  # a set: twice is once
    assert both(wdb, "Post", {"likes": {"pointsTo": "a1"}}) == ["p2", "p3"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p3", "key": "likes"}}) == ["a1"]
    assert both(wdb, "Post", {"likes": {"matchesQuery": {"name": "Ann"}}}) == ["p2", "p3"]
    wdb.remove_relation("Post", "p3", "likes", "a1")
    assert both(wdb, "Post", {"likes": {"pointsTo": "a1"}}) == ["p2"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p3", "key": "likes"}}) == []
    wdb.remove_relation("Post", "p3", "likes", "a1")  # removing a missing edge is fine
    with pytest.raises(QueryError):
        wdb.add_relation("Post", "p3", "owner", "a1")  # not a Relation
    with pytest.raises(QueryError) as info:
        wdb.add_relation("Post", "nope", "likes", "a1")
    assert info.value.code == OBJECT_NOT_FOUND


def test_define_class_add_field_then_create(wdb):
    wdb.define_class("Tag", {"label": {"type": "String"}})
    wdb.add_field("Tag", "weight", "Number")
    wdb.add_field("Tag", "post", "Pointer", target_class="Post")
    wdb.add_field("Post", "rank", "Number")  # a field added to a class with rows
    oid = wdb.create("Tag", {"label": "Café crème", "weight": 2, "post": "p1"})
    assert both(wdb, "Tag", {"weight": 2}) == [oid]
    assert both(wdb, "Tag", {"post.place": "Paris"}) == [oid]
    assert both(wdb, "Tag", {"label": {"text": {"search": "cafe"}}}) == [oid]
    assert both(wdb, "Post", {"rank": {"exists": True}}) == []
    wdb.save("Post", "p2", {"rank": 1})
    assert both(wdb, "Post", {"rank": 1}) == ["p2"]
    with pytest.raises(QueryError):
        wdb.add_field("Tag", "weight", "String")  # a field may not change its type


def _assert_data_error(exc: DataError, cls: str, oid: str | None, field: str) -> None:
    assert exc.class_name == cls
    assert exc.field == field
    assert f"class {cls}" in str(exc) and f"field {field}" in str(exc)
    if oid is not None:
        assert exc.object_id == oid
        assert f"record {oid}" in str(exc)


@pytest.mark.parametrize(
    ("write", "cls", "oid", "field"),
    [
        # every write is checked against the schema before anything changes
        (lambda d: d.create("Post", {"objectId": "p9", "score": "high"}), "Post", "p9", "score"),
        (lambda d: d.create("Post", {"objectId": "p9", "body": "ok", "loc": geo(95, 0)}), "Post", "p9", "loc"),
        (lambda d: d.create("Post", {"objectId": "p9", "tags": "red"}), "Post", "p9", "tags"),
        (lambda d: d.create("Post", {"objectId": "p9", "nope": 1}), "Post", "p9", "nope"),
        (lambda d: d.create("Post", {"objectId": "p9", "owner": {"__type": "Pointer", "className": "City",
                                                                 "objectId": "c1"}}), "Post", "p9", "owner"),
        (lambda d: d.save("Post", "p1", {"score": "high"}), "Post", "p1", "score"),
        (lambda d: d.save("Post", "p1", {"body": "fine", "loc": {"latitude": "x"}}), "Post", "p1", "loc"),
        (lambda d: d.save("Post", "p1", {"createdAt": _created(9)}), "Post", "p1", "createdAt"),
        (lambda d: d.save("Post", "p1", {"likes": ["a1"]}), "Post", "p1", "likes"),
        (lambda d: d.increment("Post", "p1", {"place": 1}), "Post", "p1", "place"),
        (lambda d: d.increment("Post", "p1", {"score": "1"}), "Post", "p1", "score"),
        (lambda d: d.add_relation("Post", "p1", "owner", "a1"), "Post", None, "owner"),
    ],
)
def test_bad_writes_name_the_place_and_change_nothing(wdb, write, cls, oid, field):
    before = _state(wdb)
    with pytest.raises(DataError) as info:
        write(wdb)
    _assert_data_error(info.value, cls, oid, field)
    assert _state(wdb) == before
    assert both(wdb, "Post", {}) == POSTS


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.save("Post", "nope", {"score": 1}),
        lambda d: d.increment("Post", "nope", {"score": 1}),
        lambda d: d.delete("Post", "nope"),
        lambda d: d.save("Author", "p1", {"name": "x"}),  # the id exists, but in another class
    ],
)
def test_writes_on_a_missing_record_are_101(wdb, write):
    before = _state(wdb)
    with pytest.raises(DataError) as info:
        write(wdb)
    assert info.value.code == OBJECT_NOT_FOUND
    assert _state(wdb) == before


def test_writes_on_an_unknown_class(wdb):
    before = _state(wdb)
    for write in (lambda: wdb.create("Nope", {}), lambda: wdb.save("Nope", "p1", {}), lambda: wdb.delete("Nope", "p1")):
        with pytest.raises(QueryError):
            write()
    assert _state(wdb) == before


def test_bad_define_class_changes_nothing(wdb):
    before = _state(wdb)
    with pytest.raises(QueryError):
        wdb.define_class("Tag", {"label": {"type": "Text"}})
    with pytest.raises(QueryError):
        wdb.define_class("Tag", {"owner": {"type": "Pointer", "targetClass": "Nope"}})
    with pytest.raises(QueryError):
        wdb.add_field("Post", "score", "String")
    assert _state(wdb) == before


# --- querylang.matches (live matching of one record) ------------------------------------------------

SCHEMA = DOC["classes"]
LIVE = {"body": "Running late at the Café", "score": 5, "tags": ["red", "blue"], "loc": geo(1, 1), "owner": "a1",
        "place": "Oslo"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # matches: the operators that need no other record
        ({"score": {"greaterThan": 4}}, True),
        ({"score": {"greaterThan": 5}}, False),
        (text("run"), True),
        (text("cafe -late"), False),
        (text('"late at the cafe"'), True),
        ({"loc": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": 200}}}, True),
        ({"loc": {"nearSphere": {**ORIGIN, "maxDistanceInKilometers": 100}}}, False),
        ({"loc": {"withinBox": BOX}}, True),
        ({"loc": {"withinPolygon": TRIANGLE}}, True),
        ({"loc": {"withinPolygon": [geo(0, 0), geo(0, 1), geo(0.5, 0.5)]}}, False),
        ({"tags": {"all": ["blue", "red"]}}, True),
        ({"tags": {"containedBy": ["red"]}}, False),
        ({"nor": [{"place": "Oslo"}]}, False),
        ({"owner": {"pointsTo": "a1"}}, True),
        ({"venue": {"exists": False}}, True),
        ("where({ score: { lessThan: Inputs.Max } })", False),
    ],
)
def test_matches(query, expected):
    assert querylang.matches(LIVE, query, schema=SCHEMA, class_name="Post", inputs={"Max": 5}) is expected


@pytest.mark.parametrize(
    "query",
    [
        # conditions that need the database (other records or relation edges)
        {"likes": {"pointsTo": "a1"}},
        {"likes": {"exists": True}},
        {"likes": {"notEqualTo": "a1"}},
        {"likes": {"matchesQuery": {}}},
        {"owner": {"matchesQuery": {"name": "Ann"}}},
        {"owner": {"doesNotMatchQuery": {"name": "Ann"}}},
        {"owner.name": "Ann"},
        {"owner.name": {"notEqualTo": "Ann"}},
        {"place": {"matchesKeyInQuery": {"key": "name", "className": "City"}}},
        {"or": [{"score": 5}, {"and": [{"owner.name": "Ann"}]}]},
    ],
)
def test_matches_refuses_conditions_that_need_the_database(query):
    with pytest.raises(QueryError, match="needs the database"):
        querylang.matches(LIVE, query, schema=SCHEMA, class_name="Post")


@pytest.mark.parametrize(
    "query,named",
    [
        ({"likes": {"equalTo": "a1"}}, "the condition on the Relation 'likes'"),
        ({"likes": {"exists": True}}, "the condition on the Relation 'likes'"),
        ({"owner.name": "Ann"}, "the condition on what 'owner' points to"),
        ({"place": {"matchesKeyInQuery": {"key": "name", "className": "City"}}},
         "matchesKeyInQuery / doesNotMatchKeyInQuery on 'place'"),
        ("where({\n  likes: { equalTo: 'a1' } })", "line 2, column 12: the condition on the Relation 'likes'"),
    ],
)
def test_matches_names_the_condition_that_needs_the_database(query, named):
    """The refusal named the internal node ('PointsTo needs the database' for an equalTo on a
    Relation, 'MatchesQuery' for a dotted path, 'MatchesKey'), not the field or the place."""
    with pytest.raises(QueryError) as info:
        querylang.matches(LIVE, query, schema=SCHEMA, class_name="Post")
    assert str(info.value).startswith(named) and "needs the database" in str(info.value), str(info.value)


@pytest.mark.parametrize("key", ["owner.", "owner..name", ".owner", "owner.city.", "owner.city..name"])
def test_an_empty_name_in_a_dotted_path_names_the_key(key):
    """'owner.' and 'owner..name' said "class Author has no field ''": neither the key nor the
    class it was written on."""
    db = querylang.connect()
    db.load({"classes": SCHEMA})
    with pytest.raises(SchemaError) as info:
        db.query("Post", {key: "x"})
    assert info.value.code == 105 and f"'{key}'" in str(info.value), str(info.value)
    with pytest.raises(QueryError) as info:  # Parse's own check of a key comes first there
        db.find("Post", {key: "x"})
    assert info.value.code == 105 and key in str(info.value), str(info.value)


@pytest.mark.parametrize(("record", "schema"), [(None, SCHEMA), ([1], SCHEMA), ("x", SCHEMA), ({}, [1]), ({}, 5)])
def test_matches_refuses_a_record_or_schema_of_another_type(record, schema):
    """A record that is no object (None, a list) or a schema that is neither a Schema nor an
    object ended in TypeError or AttributeError, not a QueryError."""
    with pytest.raises(QueryError, match=r"matches\(\) needs"):
        querylang.matches(record, {"score": 5}, schema=schema, class_name="Post")


def test_matches_relatedto_needs_the_database():
    with pytest.raises(QueryError, match="needs the database"):
        querylang.matches({"name": "Bob"}, {"relatedTo": {"id": "a1", "key": "friends"}}, schema=SCHEMA,
                          class_name="Author")


def test_matches_other_errors():
    with pytest.raises(QueryError):
        querylang.matches(LIVE, {"score": 1}, schema=SCHEMA)  # several classes: class_name needed
    with pytest.raises(DataError):
        querylang.matches({"score": "x"}, {"score": 1}, schema=SCHEMA, class_name="Post")
    with pytest.raises(QueryTypeError):
        querylang.matches(LIVE, {"loc": {"nearSphere": geo(91, 0)}}, schema=SCHEMA, class_name="Post")
    # one class: class_name may be left out; a Schema object works as well as the classes dict
    single = {"City": SCHEMA["City"]}
    assert querylang.matches({"name": "Paris"}, {"name": {"text": {"search": "paris"}}}, schema=single) is True
    schema = querylang.Schema.from_json(single)
    assert querylang.matches({"name": "Oslo"}, {"name": {"text": {"search": "paris"}}}, schema=schema) is False


def test_matches_agrees_with_the_database(db):
    """For each condition that needs no other record, matches() on every stored Post agrees."""
    conditions = [
        text("cafe"), text('"brown fox"'), {"loc": {"withinBox": BOX}}, {"loc": {"withinPolygon": TRIANGLE}},
        {"loc": {"nearSphere": {**ORIGIN, "maxDistanceInMiles": 130}}}, {"tags": {"all": ["red"]}},
        {"tags": {"containedBy": ["red", "blue"]}}, {"nor": [{"score": {"greaterThan": 6}}]},
    ]
    records = db.query("Post", {}).records
    for cond in conditions:
        hits = set(db.query("Post", cond).ids)
        for rec in records:
            fields = {k: v for k, v in rec.items() if k not in ("createdAt", "updatedAt")}
            assert querylang.matches(fields, cond, schema=db.schema, class_name="Post") is (rec["objectId"] in hits), cond


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
    ({"owner": {"$notInQuery": {"where": {"name": "Ann"}, "className": "Author"}}}, {}, _but("p1", "p7")),
    ({"likes": {"$inQuery": {"where": {"name": "Bob"}, "className": "Author"}}}, {}, ["p1"]),
    ({"place": {"$select": {"query": {"className": "City", "where": {"country": "NO"}}, "key": "name"}}}, {}, ["p2"]),
    ({"place": {"$dontSelect": {"query": {"className": "City"}, "key": "name"}}}, {}, _but("p1", "p2")),
    ({"owner.city.name": {"$ne": "Paris"}}, {}, _but("p1", "p7")),
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
    assert p1 == {"objectId": "p1", "createdAt": _created(1), "updatedAt": _created(1), "score": 10,
                  "owner": _embedded("Author", "a1")}


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


# --- engine bugs found by these tests, fixed; kept as regression tests ---


def test_text_word_whose_folded_form_has_a_space():
    db = querylang.connect()
    db.load({"classes": {"T": {"fields": {"s": {"type": "String"}}}},
             "records": {"T": [{"objectId": "t1", "s": "fox\u037abrown"}, {"objectId": "t2", "s": "\ufdfa"}]}})
    for term in ("fox", "brown", '"fox brown"', "\u0627\u0644\u0644\u0647", "foxͺbrown"):
        where = {"s": {"text": {"search": term}}}
        assert db.query("T", where).ids == db.reference("T", where).ids, term


def test_text_search_on_object_id_is_refused(db):
    # objectId has no stored words; text search is for String fields of the class.
    where = {"objectId": {"text": {"search": "p1"}}}
    for engine in (db.query, db.reference):
        with pytest.raises(querylang.QueryTypeError, match="built in"):
            engine("Post", where)


def test_matches_key_compares_numbers_as_stored():
    from querylang.interchange.document import read_dataset

    doc = {"classes": {"A": {"fields": {"n": {"type": "Number"}}}, "B": {"fields": {"m": {"type": "Number"}}}},
           "records": {"A": [{"objectId": "a1", "createdAt": OLD, "n": 2**53 + 1}],
                       "B": [{"objectId": "b1", "createdAt": OLD, "m": 2**53}]}}
    db = querylang.connect()
    db.load(copy.deepcopy(doc))
    data = read_dataset(copy.deepcopy(doc))
    by_key = {"n": {"matchesKeyInQuery": {"key": "m", "className": "B"}}}
    assert db.query("A", by_key).ids == ["a1"]
    assert querylang.evaluate(data, db.build("A", {"n": 2**53})).ids == ["a1"]
    assert querylang.evaluate(data, db.build("A", by_key)).ids == ["a1"]


def test_unparse_keeps_integers_beyond_double_precision(db):
    q = db.build("Post", {"score": 2**53 + 1})
    again = db.build("Post", querylang.frontends.unparse.unparse(q))
    assert again.where == q.where


def test_select_three_levels_includes_two(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, select="owner.city.name").records
    assert p1["owner"]["city"] == {"__type": "Object", "className": "City", "objectId": "c1", "createdAt": OLD,
                                   "updatedAt": OLD, "name": "Paris"}


def test_the_package_reaches_its_submodules_after_a_bare_import() -> None:
    """The package's names load on first use (querylang/__init__.py): `querylang.errors.X`
    right after `import querylang` (README names querylang.errors.DatabaseInUse) found no
    submodule, where the eager imports had loaded it as a side effect. Own process: this one
    has imported everything already."""
    import subprocess
    import sys

    code = ("import querylang; print(querylang.errors.DatabaseInUse.__name__, querylang.Database.__name__); "
            "import importlib; querylang.nope")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.split() == ["DatabaseInUse", "Database"], res.stderr
    assert "AttributeError: module 'querylang' has no attribute 'nope'" in res.stderr

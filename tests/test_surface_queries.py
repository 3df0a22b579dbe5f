"""The language surface (tests/surface.py's dataset): the table of (query, expected ids) of text search,
geo, Parse-only operators and pointer paths on both engines, and the table of errors."""

from __future__ import annotations

import pytest

from querylang.errors import (
    INCORRECT_TYPE,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    QueryError,
    QueryTypeError,
    SchemaError,
)

from . import surface
from .surface import BOX, NEAREST, ORIGIN, POSTS, TRIANGLE, all_but, both, both_fail, geo, text

db = surface.db


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
    ("Post", {"loc": {"withinBox": [geo(-90, -180), geo(90, 180)]}}, {}, all_but("p5")),
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
    ("Post", {"owner": {"doesNotMatchQuery": {"name": "Ann"}}}, {}, all_but("p1", "p7")),
    ("Post", {"owner": {"doesNotMatchQuery": {}}}, {}, ["p4", "p5"]),
    # matchesQuery / doesNotMatchQuery on a Relation: holds a live record that matches
    ("Post", {"likes": {"matchesQuery": {"name": "Bob"}}}, {}, ["p1"]),
    ("Post", {"likes": {"matchesQuery": {}}}, {}, ["p1", "p2", "p7"]),
    ("Post", {"likes": {"matchesQuery": {"city": {"exists": True}}}}, {}, ["p1", "p2"]),
    ("Post", {"likes": {"doesNotMatchQuery": {"name": "Bob"}}}, {}, all_but("p1")),
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
    ("Post", {"owner.city.name": {"notEqualTo": "Paris"}}, {}, all_but("p1", "p7")),
    ("Post", {"owner.name": {"notEqualTo": "Ann"}}, {}, all_but("p1", "p7")),
    ("Post", {"owner.name": {"notContainedIn": ["Ann", "Bob"]}}, {}, ["p3", "p4", "p5", "p6"]),
    ("Post", {"owner.city.name": {"exists": False}}, {}, ["p3", "p4", "p5", "p6"]),
    ("Post", {"owner.name": {"equalTo": None}}, {}, ["p4", "p5"]),
    ("Post", {"owner.name": None}, {}, ["p4", "p5"]),
    ("Post", {"venue.name": {"notEqualTo": "Oslo"}}, {}, all_but("p1")),
    ("Post", {"nor": [{"owner.name": "Ann"}]}, {}, all_but("p1", "p7")),
    # matchesKeyInQuery / doesNotMatchKeyInQuery: the value is (not) a key of matching records
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City", "where": {}}}}, {}, ["p1", "p2"]),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City", "where": {"country": "NO"}}}}, {}, ["p2"]),
    ("Post", {"place": {"matchesKeyInQuery": {"key": "name", "className": "City"}}}, {}, ["p1", "p2"]),
    ("Post", {"place": {"doesNotMatchKeyInQuery": {"key": "name", "className": "City", "where": {}}}}, {},
     all_but("p1", "p2")),
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

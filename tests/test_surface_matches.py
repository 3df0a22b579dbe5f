"""The language surface (tests/surface.py's dataset): querylang.matches, the live matching of one record
without the database, agreeing with it, and what it refuses."""

from __future__ import annotations

import pytest

import querylang
import querylang.frontends.unparse
from querylang.errors import DataError, QueryError, QueryTypeError, SchemaError

from . import surface
from .surface import BOX, DOC, ORIGIN, TRIANGLE, geo, text

db = surface.db


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

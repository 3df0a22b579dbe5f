"""Every operator on every field type, on one small hand-made dataset, through both engines.

The expected ids below were worked out by hand from docs/semantics.md (the sections are named in
the comments), not by running the engine: when a row fails, the engine or docs/semantics.md is wrong,
not the table. Without a sort, results come in objectId order (docs/semantics.md#sort), so ids are compared as
lists.
"""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.errors import (
    INCORRECT_TYPE,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    QueryError,
    QueryTypeError,
    SchemaError,
)

DATE = "Date"
ALL_ITEMS = ["i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8"]

# i4 holds an explicit null in every field and i5 holds nothing at all: absent = missing or
# null (docs/semantics.md#absent), so every row must treat them alike.
# Relation fields come last in each class: a Relation followed by other fields trips an engine
# bug (test_load.py::test_relation_field_before_other_fields).
DOC: dict[str, Any] = {
    "classes": {
        "Item": {
            "fields": {
                "name": {"type": "String"},
                "qty": {"type": "Number"},
                "active": {"type": "Boolean"},
                "due": {"type": "Date"},
                "tags": {"type": "Array"},
                "meta": {"type": "Object"},
                "owner": {"type": "Pointer", "targetClass": "Person"},
                "spot": {"type": "GeoPoint"},
                "likes": {"type": "Relation", "targetClass": "Person"},
            }
        },
        "Person": {
            "fields": {
                "nick": {"type": "String"},
                "favorites": {"type": "Relation", "targetClass": "Item"},
                "friends": {"type": "Relation", "targetClass": "Person"},
            }
        },
    },
    "records": {
        "Item": [
            {
                "objectId": "i1",
                "createdAt": "2024-01-01T00:00:00.000Z",
                "name": "apple",
                "qty": 1,
                "active": True,
                "due": "2024-01-01T00:00:00.000Z",
                "tags": ["red", "fruit"],
                "meta": {"color": "red", "n": 1},
                "owner": "p1",
                "spot": {"latitude": 10, "longitude": 20},
                "likes": ["p1", "p2"],
            },
            {
                "objectId": "i2",
                "createdAt": "2024-01-02T00:00:00.000Z",
                "updatedAt": "2024-03-01T00:00:00.000Z",
                "name": "Apple",
                "qty": 2.5,
                "active": False,
                "due": {"__type": DATE, "iso": "2024-06-01T12:00:00.000Z"},
                "tags": ["green", 2, True],
                "meta": {"n": 1, "color": "red"},
                "owner": {"__type": "Pointer", "className": "Person", "objectId": "p2"},
            },
            {
                "objectId": "i3",
                "createdAt": "2024-01-03T00:00:00.000Z",
                "name": "banana",
                "qty": -1,
                "active": True,
                "due": "2023-12-31T23:59:59.999Z",
                "tags": [],
                "meta": {},
                "owner": "p404",
            },
            {
                "objectId": "i4",
                "createdAt": "2024-01-03T00:00:00.000Z",
                "name": None,
                "qty": None,
                "active": None,
                "due": None,
                "tags": None,
                "meta": None,
                "owner": None,
                "spot": None,
            },
            {"objectId": "i5", "createdAt": "2024-01-04T00:00:00.000Z"},
            {
                "objectId": "i6",
                "createdAt": "2024-01-05T00:00:00.000Z",
                "name": "cherry\nred",
                "qty": 10,
                "active": False,
                "due": "2025-01-01T00:00:00.000Z",
                "tags": [[1, 2], {"k": "v"}, None, {"__type": DATE, "iso": "2024-01-01T00:00:00.000Z"}],
                "meta": {"color": "dark red", "nested": {"a": [1, 2]}},
                "owner": {"__type": "Pointer", "className": "Person", "objectId": "p1"},
            },
            {
                "objectId": "i7",
                "createdAt": "2024-01-06T00:00:00.000Z",
                "name": "Ärger",
                "qty": 2,
                "tags": [1, "1", 2.5, "b"],
                "meta": {"n": 1.0, "color": "red"},
                "owner": "p3",
            },
            {"objectId": "i8", "createdAt": "2024-01-07T00:00:00.000Z", "name": "", "qty": 1.0, "active": True},
        ],
        "Person": [
            {"objectId": "p1", "createdAt": "2024-01-01T00:00:00.000Z", "nick": "ann"},
            {"objectId": "p2", "createdAt": "2024-01-01T00:00:00.000Z", "nick": "bob"},
            {"objectId": "p3", "createdAt": "2024-01-01T00:00:00.000Z"},
        ],
    },
    "relations": [
        # i2's only edge dangles (p404 does not exist); i9 is a deleted owner.
        {"class": "Item", "objectId": "i2", "key": "likes", "targetClass": "Person", "targetId": "p404"},
        {"class": "Item", "objectId": "i3", "key": "likes", "targetId": "p3"},
        {"class": "Item", "objectId": "i6", "key": "likes", "targetId": "p2"},
        {"class": "Item", "objectId": "i9", "key": "likes", "targetId": "p1"},
        {"class": "Person", "objectId": "p1", "key": "favorites", "targetId": "i1"},
        {"class": "Person", "objectId": "p1", "key": "favorites", "targetId": "i3"},
        {"class": "Person", "objectId": "p2", "key": "favorites", "targetId": "i3"},
        {"class": "Person", "objectId": "p2", "key": "favorites", "targetId": "i404"},
        {"class": "Person", "objectId": "p9", "key": "favorites", "targetId": "i2"},
        {"class": "Person", "objectId": "p1", "key": "friends", "targetId": "p2"},
        {"class": "Person", "objectId": "p1", "key": "friends", "targetId": "p404"},
        {"class": "Person", "objectId": "p9", "key": "friends", "targetId": "p1"},
    ],
}


def _d(iso: str) -> dict[str, str]:
    return {"__type": DATE, "iso": iso}


def _without(*ids: str) -> list[str]:
    return [i for i in ALL_ITEMS if i not in ids]


@pytest.fixture(scope="module")
def db():
    database = querylang.connect()
    database.load(DOC)
    yield database
    database.close()


ENGINES = ("query", "reference")

CASES: list[tuple[dict[str, Any], str, list[str]]] = [
    # String: equality is exact and case-sensitive (docs/semantics.md#equality)
    ({"name": {"equalTo": "apple"}}, "Item", ["i1"]),
    ({"name": {"equalTo": ""}}, "Item", ["i8"]),
    ({"name": {"equalTo": None}}, "Item", ["i4", "i5"]),
    ({"name": "apple"}, "Item", ["i1"]),
    ({"name": None}, "Item", ["i4", "i5"]),
    ({"name": {"notEqualTo": "apple"}}, "Item", _without("i1")),
    ({"name": {"notEqualTo": None}}, "Item", _without("i4", "i5")),
    # String order is by code point: "A" < "a" < "b" < "Ä" (docs/semantics.md#order)
    ({"name": {"lessThan": "b"}}, "Item", ["i1", "i2", "i8"]),
    ({"name": {"lessThanOrEqualTo": "banana"}}, "Item", ["i1", "i2", "i3", "i8"]),
    ({"name": {"greaterThan": "banana"}}, "Item", ["i6", "i7"]),
    ({"name": {"greaterThanOrEqualTo": "cherry\nred"}}, "Item", ["i6", "i7"]),
    # range against null: null equals only null, so <= / >= null mean "absent", < / > nothing
    ({"name": {"greaterThan": None}}, "Item", []),
    ({"name": {"lessThan": None}}, "Item", []),
    ({"name": {"lessThanOrEqualTo": None}}, "Item", ["i4", "i5"]),
    ({"name": {"greaterThanOrEqualTo": None}}, "Item", ["i4", "i5"]),
    ({"name": {"containedIn": ["apple", "banana"]}}, "Item", ["i1", "i3"]),
    ({"name": {"containedIn": ["apple", None]}}, "Item", ["i1", "i4", "i5"]),
    ({"name": {"containedIn": []}}, "Item", []),
    ({"name": {"notContainedIn": ["apple", "banana"]}}, "Item", _without("i1", "i3")),
    ({"name": {"notContainedIn": ["apple", None]}}, "Item", ["i2", "i3", "i6", "i7", "i8"]),
    ({"name": {"notContainedIn": []}}, "Item", ALL_ITEMS),
    ({"name": {"exists": True}}, "Item", _without("i4", "i5")),
    ({"name": {"exists": False}}, "Item", ["i4", "i5"]),
    # matchesRegex: PCRE meaning, options i m s x (docs/semantics.md#regex)
    ({"name": {"matchesRegex": "^a"}}, "Item", ["i1"]),
    ({"name": {"matchesRegex": "^a", "options": "i"}}, "Item", ["i1", "i2"]),
    ({"name": {"matchesRegex": "^ä", "options": "i"}}, "Item", ["i7"]),
    ({"name": {"matchesRegex": "red$"}}, "Item", ["i6"]),
    ({"name": {"matchesRegex": "^red"}}, "Item", []),
    ({"name": {"matchesRegex": "^red", "options": "m"}}, "Item", ["i6"]),
    ({"name": {"matchesRegex": "cherry.red"}}, "Item", []),
    ({"name": {"matchesRegex": "cherry.red", "options": "s"}}, "Item", ["i6"]),
    ({"name": {"matchesRegex": "a p p l e", "options": "x"}}, "Item", ["i1"]),
    ({"name": {"matchesRegex": "A P # a comment\n P", "options": "xi"}}, "Item", ["i1", "i2"]),
    ({"name": {"matchesRegex": "[b-c]an"}}, "Item", ["i3"]),
    ({"name": {"matchesRegex": ""}}, "Item", _without("i4", "i5")),
    ({"name": {"matchesRegex": "^$"}}, "Item", ["i8"]),
    # Number: 1 and 1.0 are the same number (docs/semantics.md#numbers)
    ({"qty": {"equalTo": 1}}, "Item", ["i1", "i8"]),
    ({"qty": {"equalTo": 1.0}}, "Item", ["i1", "i8"]),
    ({"qty": 2}, "Item", ["i7"]),
    ({"qty": {"notEqualTo": 1}}, "Item", _without("i1", "i8")),
    ({"qty": {"lessThan": 2}}, "Item", ["i1", "i3", "i8"]),
    ({"qty": {"lessThanOrEqualTo": 2}}, "Item", ["i1", "i3", "i7", "i8"]),
    ({"qty": {"greaterThan": 2}}, "Item", ["i2", "i6"]),
    ({"qty": {"greaterThanOrEqualTo": 2.5}}, "Item", ["i2", "i6"]),
    # several operators on one field are ANDed, not "first one wins" (docs/semantics.md#noodl-differences)
    ({"qty": {"greaterThan": 0, "lessThan": 3}}, "Item", ["i1", "i2", "i7", "i8"]),
    ({"qty": {"containedIn": [1, 10]}}, "Item", ["i1", "i6", "i8"]),
    ({"qty": {"containedIn": [None]}}, "Item", ["i4", "i5"]),
    ({"qty": {"notContainedIn": [1, 10]}}, "Item", ["i2", "i3", "i4", "i5", "i7"]),
    ({"qty": {"exists": True}}, "Item", _without("i4", "i5")),
    ({"qty": {"exists": False}}, "Item", ["i4", "i5"]),
    # Boolean: false < true (docs/semantics.md#order)
    ({"active": {"equalTo": True}}, "Item", ["i1", "i3", "i8"]),
    ({"active": False}, "Item", ["i2", "i6"]),
    ({"active": {"notEqualTo": True}}, "Item", ["i2", "i4", "i5", "i6", "i7"]),
    ({"active": {"lessThan": True}}, "Item", ["i2", "i6"]),
    ({"active": {"greaterThanOrEqualTo": False}}, "Item", ["i1", "i2", "i3", "i6", "i8"]),
    ({"active": {"containedIn": [False, None]}}, "Item", ["i2", "i4", "i5", "i6", "i7"]),
    ({"active": {"notContainedIn": [True]}}, "Item", ["i2", "i4", "i5", "i6", "i7"]),
    ({"active": {"exists": False}}, "Item", ["i4", "i5", "i7"]),
    # Date: ISO strings and Date objects are read as instants, ms precision (docs/semantics.md#dates)
    ({"due": {"equalTo": "2024-01-01T00:00:00.000Z"}}, "Item", ["i1"]),
    ({"due": {"equalTo": "2024-01-01T00:00:00Z"}}, "Item", ["i1"]),
    ({"due": {"equalTo": "2024-01-01T01:00:00.000+01:00"}}, "Item", ["i1"]),
    ({"due": {"equalTo": _d("2024-06-01T12:00:00.000Z")}}, "Item", ["i2"]),
    ({"due": _d("2024-06-01T12:00:00.000Z")}, "Item", ["i2"]),
    ({"due": {"notEqualTo": "2024-01-01T00:00:00.000Z"}}, "Item", _without("i1")),
    ({"due": {"lessThan": "2024-01-01T00:00:00.000Z"}}, "Item", ["i3"]),
    ({"due": {"lessThanOrEqualTo": "2024-01-01T00:00:00.000Z"}}, "Item", ["i1", "i3"]),
    ({"due": {"greaterThan": _d("2024-01-01T00:00:00.000Z")}}, "Item", ["i2", "i6"]),
    ({"due": {"greaterThanOrEqualTo": "2024-06-01T12:00:00.000Z"}}, "Item", ["i2", "i6"]),
    # dates inside containedIn are converted too (a Noodl quirk not copied, docs/semantics.md#noodl-differences)
    ({"due": {"containedIn": ["2024-01-01T00:00:00.000Z", _d("2025-01-01T00:00:00.000Z")]}}, "Item", ["i1", "i6"]),
    ({"due": {"notContainedIn": ["2024-01-01T00:00:00.000Z", _d("2025-01-01T00:00:00.000Z")]}}, "Item", _without("i1", "i6")),
    ({"due": {"exists": True}}, "Item", ["i1", "i2", "i3", "i6"]),
    ({"createdAt": {"equalTo": "2024-01-03T00:00:00.000Z"}}, "Item", ["i3", "i4"]),
    ({"createdAt": {"lessThan": "2024-01-02T00:00:00.000Z"}}, "Item", ["i1"]),
    # updatedAt defaults to createdAt
    ({"updatedAt": {"greaterThan": "2024-02-01T00:00:00.000Z"}}, "Item", ["i2"]),
    ({"updatedAt": {"equalTo": "2024-01-01T00:00:00.000Z"}}, "Item", ["i1"]),
    # Array: a condition holds if the whole array or any element satisfies it (docs/semantics.md#arrays)
    ({"tags": {"equalTo": "red"}}, "Item", ["i1"]),
    ({"tags": "red"}, "Item", ["i1"]),
    ({"tags": {"equalTo": 2}}, "Item", ["i2"]),
    ({"tags": {"equalTo": 1}}, "Item", ["i7"]),
    ({"tags": {"equalTo": "1"}}, "Item", ["i7"]),
    ({"tags": {"equalTo": True}}, "Item", ["i2"]),
    ({"tags": {"equalTo": [1, 2]}}, "Item", ["i6"]),
    ({"tags": {"equalTo": ["red", "fruit"]}}, "Item", ["i1"]),
    ({"tags": {"equalTo": ["fruit", "red"]}}, "Item", []),
    ({"tags": {"equalTo": []}}, "Item", ["i3"]),
    ({"tags": {"equalTo": {"k": "v"}}}, "Item", ["i6"]),
    ({"tags": {"equalTo": _d("2024-01-01T00:00:00.000Z")}}, "Item", ["i6"]),
    # {f: null} also matches an array holding a null element (MongoDB, docs/semantics.md#arrays)
    ({"tags": {"equalTo": None}}, "Item", ["i4", "i5", "i6", "i8"]),
    ({"tags": {"notEqualTo": "red"}}, "Item", _without("i1")),
    ({"tags": {"notEqualTo": None}}, "Item", ["i1", "i2", "i3", "i7"]),
    ({"tags": {"lessThan": 2}}, "Item", ["i7"]),
    ({"tags": {"lessThanOrEqualTo": 2}}, "Item", ["i2", "i7"]),
    ({"tags": {"greaterThan": 2}}, "Item", ["i7"]),
    ({"tags": {"greaterThan": "a"}}, "Item", ["i1", "i2", "i7"]),
    ({"tags": {"lessThan": "b"}}, "Item", ["i7"]),
    ({"tags": {"greaterThan": False}}, "Item", ["i2"]),
    ({"tags": {"greaterThanOrEqualTo": _d("2024-01-01T00:00:00.000Z")}}, "Item", ["i6"]),
    # two bounds may be met by different elements: 2.5 > 2 and 1 < 1.5
    ({"tags": {"greaterThan": 2, "lessThan": 1.5}}, "Item", ["i7"]),
    ({"tags": {"containedIn": ["fruit", 2]}}, "Item", ["i1", "i2"]),
    ({"tags": {"containedIn": [[1, 2]]}}, "Item", ["i6"]),
    ({"tags": {"containedIn": [["red", "fruit"]]}}, "Item", ["i1"]),
    ({"tags": {"containedIn": [None]}}, "Item", ["i4", "i5", "i6", "i8"]),
    ({"tags": {"containedIn": []}}, "Item", []),
    ({"tags": {"notContainedIn": ["red", 2]}}, "Item", ["i3", "i4", "i5", "i6", "i7", "i8"]),
    ({"tags": {"notContainedIn": []}}, "Item", ALL_ITEMS),
    # an empty array is present
    ({"tags": {"exists": True}}, "Item", ["i1", "i2", "i3", "i6", "i7"]),
    ({"tags": {"exists": False}}, "Item", ["i4", "i5", "i8"]),
    # regex on an Array: some String element matches; the number 1 is not the string "1"
    ({"tags": {"matchesRegex": "^r"}}, "Item", ["i1"]),
    ({"tags": {"matchesRegex": "^1$"}}, "Item", ["i7"]),
    ({"tags": {"matchesRegex": "^G", "options": "i"}}, "Item", ["i2"]),
    # Object: deep equality, key order and 1 vs 1.0 do not matter (docs/semantics.md#objects)
    ({"meta": {"equalTo": {"color": "red", "n": 1}}}, "Item", ["i1", "i2", "i7"]),
    ({"meta": {"n": 1, "color": "red"}}, "Item", ["i1", "i2", "i7"]),
    ({"meta": {"equalTo": {}}}, "Item", ["i3"]),
    ({"meta": {"equalTo": {"color": "red"}}}, "Item", []),
    ({"meta": {"equalTo": {"color": "dark red", "nested": {"a": [1, 2]}}}}, "Item", ["i6"]),
    ({"meta": {"equalTo": {"color": "dark red", "nested": {"a": [2, 1]}}}}, "Item", []),
    ({"meta": {"notEqualTo": {"color": "red", "n": 1}}}, "Item", ["i3", "i4", "i5", "i6", "i8"]),
    ({"meta": {"containedIn": [{}, {"color": "red", "n": 1}]}}, "Item", ["i1", "i2", "i3", "i7"]),
    ({"meta": {"notContainedIn": [{}]}}, "Item", _without("i3")),
    ({"meta": {"equalTo": None}}, "Item", ["i4", "i5", "i8"]),
    ({"meta": {"exists": True}}, "Item", ["i1", "i2", "i3", "i6", "i7"]),
    # Pointer: compared by objectId; a dangling pointer still points (docs/semantics.md#pointer-fields)
    ({"owner": {"pointsTo": "p1"}}, "Item", ["i1", "i6"]),
    ({"owner": {"pointsTo": ["p1", "p2"]}}, "Item", ["i1", "i2", "i6"]),
    ({"owner": {"pointsTo": []}}, "Item", []),
    ({"owner": {"pointsTo": "p404"}}, "Item", ["i3"]),
    ({"owner": {"pointsTo": {"__type": "Pointer", "className": "Person", "objectId": "p3"}}}, "Item", ["i7"]),
    ({"owner": {"equalTo": "p1"}}, "Item", ["i1", "i6"]),
    ({"owner": {"equalTo": {"__type": "Pointer", "className": "Person", "objectId": "p2"}}}, "Item", ["i2"]),
    ({"owner": {"equalTo": {"objectId": "p2"}}}, "Item", ["i2"]),
    ({"owner": "p3"}, "Item", ["i7"]),
    ({"owner": {"notEqualTo": "p1"}}, "Item", _without("i1", "i6")),
    ({"owner": {"containedIn": ["p1", "p3"]}}, "Item", ["i1", "i6", "i7"]),
    ({"owner": {"notContainedIn": ["p1"]}}, "Item", _without("i1", "i6")),
    ({"owner": {"equalTo": None}}, "Item", ["i4", "i5", "i8"]),
    ({"owner": {"exists": True}}, "Item", ["i1", "i2", "i3", "i6", "i7"]),
    ({"owner": {"greaterThan": "p3"}}, "Item", ["i3"]),
    # Relation: "holds any" / "holds none"; edges to missing records do not count (docs/semantics.md#relations)
    ({"likes": {"pointsTo": "p1"}}, "Item", ["i1"]),
    ({"likes": {"pointsTo": "p2"}}, "Item", ["i1", "i6"]),
    ({"likes": {"pointsTo": ["p3", "p2"]}}, "Item", ["i1", "i3", "i6"]),
    ({"likes": {"pointsTo": "p404"}}, "Item", []),
    ({"likes": {"pointsTo": []}}, "Item", []),
    ({"likes": {"equalTo": "p2"}}, "Item", ["i1", "i6"]),
    ({"likes": {"equalTo": {"__type": "Pointer", "className": "Person", "objectId": "p3"}}}, "Item", ["i3"]),
    ({"likes": {"containedIn": ["p1", "p3"]}}, "Item", ["i1", "i3"]),
    ({"likes": {"notEqualTo": "p2"}}, "Item", _without("i1", "i6")),
    ({"likes": {"notContainedIn": ["p1", "p3"]}}, "Item", _without("i1", "i3")),
    ({"likes": {"notContainedIn": ["p404"]}}, "Item", ALL_ITEMS),
    ({"likes": {"exists": True}}, "Item", ["i1", "i3", "i6"]),
    ({"likes": {"exists": False}}, "Item", ["i2", "i4", "i5", "i7", "i8"]),
    # relatedTo: the owner's edges, owner class inferred or given; gone owners hold nothing
    ({"relatedTo": {"id": "i1", "key": "likes"}}, "Person", ["p1", "p2"]),
    ({"relatedTo": {"id": "i1", "key": "likes", "className": "Item"}}, "Person", ["p1", "p2"]),
    ({"relatedTo": {"id": "i2", "key": "likes"}}, "Person", []),
    ({"relatedTo": {"id": "i9", "key": "likes"}}, "Person", []),
    ({"relatedTo": {"id": "p1", "key": "favorites"}}, "Item", ["i1", "i3"]),
    ({"relatedTo": {"id": "p2", "key": "favorites"}}, "Item", ["i3"]),
    ({"relatedTo": {"id": "p9", "key": "favorites"}}, "Item", []),
    ({"relatedTo": {"id": "p3", "key": "favorites"}}, "Item", []),
    ({"relatedTo": {"id": "p1", "key": "friends"}}, "Person", ["p2"]),
    ({"relatedTo": {"id": "p9", "key": "friends"}}, "Person", []),
    ({"relatedTo": {"id": "p1", "key": "favorites"}, "qty": {"greaterThan": 0}}, "Item", ["i1"]),
    # GeoPoint: only exists has a meaning here
    ({"spot": {"exists": True}}, "Item", ["i1"]),
    ({"spot": {"exists": False}}, "Item", _without("i1")),
    # objectId (docs/semantics.md#ids)
    ({"idEqualTo": "i3"}, "Item", ["i3"]),
    ({"idEqualTo": "nope"}, "Item", []),
    ({"idEqualTo": {"objectId": "i2"}}, "Item", ["i2"]),
    ({"idContainedIn": ["i1", "i7", "zz"]}, "Item", ["i1", "i7"]),
    ({"idContainedIn": []}, "Item", []),
    ({"objectId": {"greaterThan": "i6"}}, "Item", ["i7", "i8"]),
    # and / or / implicit AND (docs/semantics.md#logic)
    ({}, "Item", ALL_ITEMS),
    ({"and": []}, "Item", ALL_ITEMS),
    ({"and": [{"qty": {"greaterThan": 0}}, {"active": True}]}, "Item", ["i1", "i8"]),
    ({"qty": {"greaterThan": 0}, "active": True}, "Item", ["i1", "i8"]),
    ({"or": [{"name": "apple"}, {"qty": 10}]}, "Item", ["i1", "i6"]),
    ({"or": [{}, {"name": "apple"}]}, "Item", ALL_ITEMS),
    (
        {"or": [{"and": [{"qty": {"lessThan": 2}}, {"name": {"exists": True}}]}, {"tags": "green"}]},
        "Item",
        ["i1", "i2", "i3", "i8"],
    ),
    (
        {"and": [{"or": [{"owner": "p1"}, {"owner": "p2"}]}, {"or": [{"likes": {"exists": False}}, {"qty": 10}]}]},
        "Item",
        ["i2", "i6"],
    ),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("where", "class_name", "expected"), CASES, ids=repr)
def test_operator(db, engine, where, class_name, expected):
    assert getattr(db, engine)(class_name, where).ids == expected


# --- errors: the same error from both engines, with a readable message and a Parse code -----

ERRORS: list[tuple[dict[str, Any], dict[str, Any], type[QueryError], str, int]] = [
    # unknown names come with a suggestion (docs/semantics.md#errors)
    ({"nmae": {"equalTo": "x"}}, {}, SchemaError, "did you mean 'name'?", INVALID_KEY_NAME),
    ({"qty": {"greaterThen": 1}}, {}, QueryError, "did you mean 'greaterThan'?", INVALID_QUERY),
    ({"relatedTo": {"id": "p1", "key": "favorits"}}, {}, SchemaError, "did you mean 'favorites'?", INVALID_KEY_NAME),
    # operand and operator types
    ({"name": {"pointsTo": "p1"}}, {}, QueryTypeError, "pointsTo needs a Pointer or Relation field", INCORRECT_TYPE),
    ({"qty": {"equalTo": "3"}}, {}, QueryTypeError, "'qty' is a Number", INCORRECT_TYPE),
    ({"qty": {"greaterThan": "3"}}, {}, QueryTypeError, "'qty' is a Number", INCORRECT_TYPE),
    # the operand is shown as a script writes it, not as Python's repr (True, None, -0.0)
    ({"qty": {"equalTo": True}}, {}, QueryTypeError, "boolean true can never match", INCORRECT_TYPE),
    ({"qty": {"equalTo": [None, False]}}, {}, QueryTypeError, "array [null, false] can", INCORRECT_TYPE),
    ({"name": {"equalTo": -0.0}}, {}, QueryTypeError, "number -0 can never match", INCORRECT_TYPE),
    ({"name": {"containedIn": "apple"}}, {}, QueryTypeError, "needs an array", INVALID_JSON),
    ({"name": {"exists": 1}}, {}, QueryTypeError, "exists needs true or false", INVALID_JSON),
    ({"spot": {"equalTo": {"latitude": 10, "longitude": 20}}}, {}, QueryTypeError, "GeoPoint", INCORRECT_TYPE),
    ({"due": {"equalTo": "yesterday"}}, {}, QueryTypeError, "cannot read", INVALID_JSON),
    # relatedTo needs both halves (docs/semantics.md#undefined)
    ({"relatedTo": {"key": "favorites"}}, {}, QueryError, "Must provide id in relatedTo filter", INVALID_QUERY),
    ({"relatedTo": {"id": "p1"}}, {}, QueryError, "Must provide key in relatedTo filter", INVALID_QUERY),
    ({"or": []}, {}, QueryError, "'or' needs at least one condition", INVALID_QUERY),
    ({"and": {"qty": 1}}, {}, QueryError, "Bad $and format", INVALID_QUERY),
    # sort and paging (docs/semantics.md#sort)
    ({}, {"sort": ["nmae"]}, SchemaError, "cannot sort by 'nmae'", INVALID_KEY_NAME),
    ({}, {"sort": ["tags"]}, QueryTypeError, "cannot sort by 'tags'", INVALID_QUERY),
    ({}, {"sort": ["likes"]}, QueryTypeError, "cannot sort by 'likes'", INVALID_QUERY),
    # a dot path through a Pointer or a String said "class Item has no field 'owner.name'"
    ({}, {"sort": ["-owner.name"]}, SchemaError, "cannot sort by 'owner.name': 'owner' is a Pointer", INVALID_KEY_NAME),
    ({}, {"sort": ["name.x"]}, SchemaError, "cannot sort by 'name.x': 'name' is a String", INVALID_KEY_NAME),
    ({}, {"limit": -1}, QueryError, "limit must be 0 or more", INVALID_QUERY),
    ({}, {"skip": -2}, QueryError, "skip must be 0 or more", INVALID_QUERY),
    # regex (docs/semantics.md#regex)
    ({"name": {"matchesRegex": "a", "options": "g"}}, {}, QueryError, "Bad $options value for query: g", INVALID_QUERY),
    ({"name": {"matchesRegex": "(a"}}, {}, QueryError, "", INVALID_QUERY),
    ({"qty": {"matchesRegex": "1"}}, {}, QueryTypeError, "matchesRegex needs a String or Array field", INCORRECT_TYPE),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("where", "kw", "exc_type", "text", "code"), ERRORS, ids=repr)
def test_error(db, engine, where, kw, exc_type, text, code):
    with pytest.raises(exc_type) as info:
        getattr(db, engine)("Item", where, **kw)
    assert type(info.value) is exc_type
    assert text in str(info.value)
    assert info.value.code == code


def test_unknown_class_is_an_error(db):
    with pytest.raises(SchemaError, match="did you mean 'Item'"):
        db.query("Itme", {})


# --- sort order, limit, skip, count (docs/semantics.md#sort) -------------------------------------------------------

SORTS: list[tuple[Any, list[str]]] = [
    # absent first ascending, last descending; objectId ascending breaks every tie
    (["qty"], ["i4", "i5", "i3", "i1", "i8", "i7", "i2", "i6"]),
    (["-qty"], ["i6", "i2", "i7", "i1", "i8", "i3", "i4", "i5"]),
    ("-qty", ["i6", "i2", "i7", "i1", "i8", "i3", "i4", "i5"]),
    (["name"], ["i4", "i5", "i8", "i2", "i1", "i3", "i6", "i7"]),
    (["-name"], ["i7", "i6", "i3", "i1", "i2", "i8", "i4", "i5"]),
    (["-createdAt"], ["i8", "i7", "i6", "i5", "i3", "i4", "i2", "i1"]),
    (["_created_at"], ["i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8"]),
    # i2 alone has an updatedAt of its own; the others' is their createdAt
    (["-updatedAt"], ["i2", "i8", "i7", "i6", "i5", "i3", "i4", "i1"]),
    (["active", "-qty"], ["i7", "i4", "i5", "i6", "i2", "i1", "i8", "i3"]),
    (["owner"], ["i4", "i5", "i8", "i1", "i6", "i2", "i7", "i3"]),
    (["due"], ["i4", "i5", "i7", "i8", "i3", "i1", "i2", "i6"]),
    (["-objectId"], ["i8", "i7", "i6", "i5", "i4", "i3", "i2", "i1"]),
    (["qty", "qty"], ["i4", "i5", "i3", "i1", "i8", "i7", "i2", "i6"]),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("sort", "expected"), SORTS, ids=repr)
def test_sort(db, engine, sort, expected):
    assert getattr(db, engine)("Item", {}, sort=sort).ids == expected




@pytest.mark.parametrize("engine", ["query", "reference"])
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # keys are priorities in the order given (docs/semantics.md#sort): objectId first leaves createdAt no say
        (["objectId", "-createdAt"], ALL_ITEMS),
        (["-objectId", "createdAt"], ALL_ITEMS[::-1]),
    ],
    ids=repr,
)
def test_sort_objectid_keeps_its_place(db, engine, sort, expected):
    assert getattr(db, engine)("Item", {}, sort=sort).ids == expected


PAGES: list[tuple[dict[str, Any], dict[str, Any], list[str], int | None]] = [
    # limit/skip cut the sorted answer; count ignores them (docs/semantics.md#paging)
    ({}, {"sort": ["qty"], "limit": 3}, ["i4", "i5", "i3"], None),
    ({}, {"sort": ["qty"], "skip": 2, "limit": 3}, ["i3", "i1", "i8"], None),
    ({}, {"sort": ["qty"], "skip": 7}, ["i6"], None),
    ({}, {"sort": ["qty"], "skip": 10}, [], None),
    ({}, {"skip": 0}, ALL_ITEMS, None),
    ({}, {"limit": 0, "count": True}, [], 8),
    ({"active": True}, {"limit": 1, "count": True}, ["i1"], 3),
    ({"active": True}, {"skip": 5, "count": True}, [], 3),
    ({"name": {"containedIn": []}}, {"count": True}, [], 0),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("where", "kw", "expected", "count"), PAGES, ids=repr)
def test_paging(db, engine, where, kw, expected, count):
    res = getattr(db, engine)("Item", where, **kw)
    assert res.ids == expected
    assert res.count == count


# --- numbers are doubles (docs/semantics.md#numbers): an integer operand means the double nearest to it -----------



BIG_INT_CASES = [
    ({"n": 2**53 + 1}, ["a1"]),
    ({"n": {"lessThan": 2**53 + 1}}, []),
    ({"n": {"greaterThanOrEqualTo": 2**53 + 1}}, ["a1"]),
    ({"a": {"lessThan": 2**53 + 1}}, []),
]


@pytest.mark.parametrize(
    ("engine", "where", "expected"),
    [
        pytest.param(engine, where, expected, marks=())
        for i, (where, expected) in enumerate(BIG_INT_CASES)
        for engine in ENGINES
    ],
    ids=repr,
)
def test_integer_operand_beyond_double_precision(engine, where, expected):
    db = querylang.connect()
    db.load(
        {
            "classes": {"Big": {"fields": {"n": {"type": "Number"}, "a": {"type": "Array"}}}},
            "records": {"Big": [{"objectId": "a1", "n": 2**53, "a": [2**53]}]},
        }
    )
    assert getattr(db, engine)("Big", where).ids == expected


@pytest.mark.parametrize("where", [{"name": "\ud800"}, {"tags": "x\udfff"}, {"idEqualTo": "\ud800"}], ids=repr)
def test_lone_surrogate_operand_is_rejected_when_building(db, where):
    with pytest.raises(QueryError) as info:
        db.build("Item", where)
    assert info.value.code != 1


ALL_AS_EQUALITIES = [
    # all is MongoDB's $all, an AND of equalTo each value (docs/semantics.md#arrays): an array value also
    # holds for the whole array, null for an absent array. [1, 2] did not match all: [[1, 2]],
    # nor an absent array all: [null].
    ({"a": {"all": [[1, 2]]}}, ["w", "x"]),
    ({"a": {"all": [[1, 2], 1]}}, ["w"]),
    ({"a": {"all": [[]]}}, ["e"]),
    ({"a": {"all": [None]}}, ["m", "n"]),
    ({"a": {"all": [None, 1]}}, ["n"]),
    ({"a": {"all": [1, 2]}}, ["w"]),
]


@pytest.mark.parametrize(("where", "expected"), ALL_AS_EQUALITIES, ids=repr)
def test_all_is_an_and_of_equalities(engine, where, expected):
    db = engine()
    db.load(
        {
            "classes": {"A": {"fields": {"a": {"type": "Array"}}}},
            "records": {
                "A": [
                    {"objectId": "e", "a": []},
                    {"objectId": "m"},
                    {"objectId": "n", "a": [1, None]},
                    {"objectId": "w", "a": [1, 2]},
                    {"objectId": "x", "a": [[1, 2], 3]},
                ]
            },
        }
    )
    assert db.query("A", where).ids == expected
    assert db.reference("A", where).ids == expected


@pytest.mark.parametrize(
    "engine",
    [
        "query",
        "reference",
    ],
)
def test_skip_beyond_any_table_is_empty(db, engine):
    assert getattr(db, engine)("Item", {}, skip=2**64, count=True).ids == []

"""What the bad-input properties (tests/test_badinput_*.py) share: values of every wrong type,
a small dataset of every field type, and a dump of what a user can read back."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

import querylang

HERE = Path(__file__).parent

# Real scripts, to be cut and spliced: the calibration cases and the README's examples.
SCRIPTS: list[str] = [
    case["script"]
    for case in map(json.loads, (HERE / "conformance" / "cases.jsonl").read_text(encoding="utf-8").splitlines())
    if isinstance(case.get("script"), str)
] + [
    "where({ Owner: { pointsTo: Inputs.PostId } })\nsort(['-createdAt'])",
    "where({ posts: { pointsTo: Inputs.PostId } })",
    "where({ relatedTo: { id: Inputs.GroupId, key: 'posts' } })\nsort(['-createdAt'])",
    "const q = {}\nq.score = { greaterThan: Inputs.Min }\nwhere(q)",
    "where({ title: { text: { search: { term: 'café', caseSensitive: true } } } })",
    "where({ location: { nearSphere: { latitude: 1, longitude: 2, maxDistanceInMiles: 10 } } })",
    "where({ or: [{ tags: { all: ['a', 'b'] } }, { 'meta.views': { greaterThan: 3 } }] })",
    "where({ createdAt: { greaterThan: new Date(Date.now() - 86400000) } })",
]

# Pieces spliced into a script: what a typo, a paste or an editor leaves behind.
PIECES = ["(", ")", "{", "}", "[", "]", ",", ":", ";", "'", '"', "`", "${", "/", "\\", ".", "Inputs.", "new Date(",
          "=>", "1e999", "-", "\n", "\x00", "\ud800", "?.", "**", "...", "/x/g", "where(", "sort([", "$", "NaN",
          "Infinity", "0x", "1n", "//", "/*", "\u2028", "é", "😀", "[[[[[[[[[[", "x.y.z"]


@st.composite
def mangled_scripts(draw: st.DrawFn) -> str:
    """A real script cut, spliced and shortened at random places."""
    text = draw(st.sampled_from(SCRIPTS))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["cut", "insert", "delete"]))
        if how == "cut":
            text = text[:at]
        elif how == "insert":
            text = text[:at] + draw(st.sampled_from(PIECES) | st.text(max_size=3)) + text[at:]
        else:
            text = text[:at] + text[at + draw(st.integers(1, 6)):]
    return text


BAD_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.sampled_from([10**400, -(10**400), 2**63, -0.0]),
    st.floats(), st.text(max_size=6), st.sampled_from(["", "\x00", "\ud800", "x" * 300, "Post", "p001", "score"]),
    st.just(dt.date(2020, 1, 1)), st.just(b"bytes"), st.just(object()),
)
# Parse's typed objects and operations, broken.
BAD_TYPED = st.sampled_from([
    {"__type": "Date"}, {"__type": "Date", "iso": 5}, {"__type": "Date", "iso": "yesterday"},
    {"__type": "Pointer"}, {"__type": "Pointer", "className": 3, "objectId": None},
    {"__type": "Pointer", "className": "Nope", "objectId": "x"}, {"__type": "GeoPoint", "latitude": 99, "longitude": "x"},
    {"__type": "File", "name": 3}, {"__type": "Bytes", "base64": 5}, {"__type": "Relation"}, {"__type": "Bogus"},
    {"__op": "Increment", "amount": "x"}, {"__op": "Bogus"}, {"__op": "Add", "objects": 3},
    {"__op": "AddRelation", "objects": [1]}, {"$date": "x"}, {"$gt": 1},
])
OPERATORS = ["equalTo", "notEqualTo", "lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo",
             "containedIn", "notContainedIn", "exists", "matchesRegex", "options", "pointsTo", "all", "containedBy",
             "text", "nearSphere", "withinBox", "withinPolygon", "withinSphere", "polygonContains", "matchesQuery",
             "doesNotMatchQuery", "matchesKeyInQuery", "doesNotMatchKeyInQuery", "bogus", "$gt"]
REST_OPERATORS = ["$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$exists", "$regex", "$options", "$all",
                  "$containedBy", "$text", "$nearSphere", "$maxDistance", "$within", "$geoWithin", "$geoIntersects",
                  "$inQuery", "$notInQuery", "$select", "$dontSelect", "$relativeTime", "$bogus", "__type", "gt"]
KEYS = ["score", "title", "tags", "meta", "meta.views", "author", "author.name", "when", "objectId", "createdAt",
        "location", "posts", "and", "or", "nor", "relatedTo", "idEqualTo", "idContainedIn", "$or", "$relatedTo",
        "bogus", "", "a b", "x" * 300]


def bad_values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Nested values of every wrong type, their object keys from ``keys``."""
    return st.recursive(
        BAD_SCALARS | BAD_TYPED,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(keys), inner, max_size=3),
        max_leaves=8,
    )


FILTER_VALUES = bad_values(KEYS + OPERATORS)
REST_VALUES = bad_values(KEYS + REST_OPERATORS)
FILTERS = st.dictionaries(st.sampled_from(KEYS), FILTER_VALUES | st.dictionaries(st.sampled_from(OPERATORS), FILTER_VALUES, max_size=3), max_size=3)
WHERES = st.dictionaries(st.sampled_from(KEYS), REST_VALUES | st.dictionaries(st.sampled_from(REST_OPERATORS), REST_VALUES, max_size=3), max_size=3)

# Every field type, a Pointer and a Relation: small, so that a dump per example stays quick.
SMALL: dict[str, Any] = {
    "classes": {
        "User": {"fields": {"name": {"type": "String"}}},
        "Post": {"fields": {
            "title": {"type": "String"}, "score": {"type": "Number"}, "done": {"type": "Boolean"},
            "when": {"type": "Date"}, "tags": {"type": "Array"}, "meta": {"type": "Object"},
            "author": {"type": "Pointer", "targetClass": "User"}, "location": {"type": "GeoPoint"},
        }},
        "Group": {"fields": {"name": {"type": "String"}, "posts": {"type": "Relation", "targetClass": "Post"}}},
    },
    "records": {
        "User": [{"objectId": "u1", "name": "Ada"}, {"objectId": "u2", "name": "Grace"}],
        "Post": [
            {"objectId": f"p{i}", "title": f"post {i}", "score": i, "done": i % 2 == 0, "when": f"2024-01-0{i + 1}T00:00:00Z",
             "tags": ["a", i], "meta": {"views": i, "lang": "en"}, "author": "u1" if i % 2 else "u2",
             "location": {"latitude": i, "longitude": -i}}
            for i in range(4)
        ],
        "Group": [{"objectId": "g1", "name": "one", "posts": ["p0", "p1"]}, {"objectId": "g2", "name": "two"}],
    },
}


def dump(db: querylang.Database, only: str | None = None) -> tuple[Any, ...]:
    """What a user reads back from ``db``: the schema, every record and every Relation edge
    (the engines' own columns, such as text-search words computed lazily, are left out);
    ``only``: of that class alone (and the schema)."""
    schema = db.schema.to_json()
    names = sorted(db.schema.classes) if only is None or only not in db.schema.classes else [only]
    records = {name: sorted(map(repr, db.stream(name, {}))) for name in names}
    edges = []
    for cls, f in db.schema.relations():
        if cls.name not in records:
            continue
        for oid in sorted(db.query(cls.name, {}).ids):
            ids = db.query(f.target or "", {"relatedTo": {"id": oid, "key": f.name, "className": cls.name}}).ids
            edges.append((cls.name, oid, f.name, sorted(ids)))
    return schema, records, edges

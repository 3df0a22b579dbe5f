"""The language surface added after the core, shared by the test_surface_*.py files: text
search, geo, Parse-only operators, pointer paths, include/select, aggregates, writes, live
matching, ``find`` and visual filters.

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
from querylang.errors import QueryError

OLD = "2023-06-01T00:00:00.000Z"


def created(i: int) -> str:
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
            {"objectId": "p1", "createdAt": created(1), "body": "The runner was running in the park", "score": 10,
             "tags": ["red", "blue"], "loc": geo(0, 0), "place": "Paris", "owner": "a1", "venue": "c2", "likes": ["a2", "a3"]},
            {"objectId": "p2", "createdAt": created(2), "body": "Café au lait in Paris", "score": 5, "tags": ["red"],
             "loc": geo(1, 1), "place": "Oslo", "owner": "a2", "venue": "c1", "likes": ["a1"]},
            {"objectId": "p3", "createdAt": created(3), "body": "CAFE culture and running shoes", "score": 7,
             "tags": ["blue", "green"], "loc": geo(0, 2), "place": "Rome", "owner": "a3", "likes": []},
            {"objectId": "p4", "createdAt": created(4), "body": "The quick brown fox", "tags": [], "loc": geo(-1, -1.5),
             "owner": "ghost"},
            {"objectId": "p5", "createdAt": created(5), "body": "Paris is the capital of France", "score": 3,
             "place": "paris", "loc": None, "owner": None},
            {"objectId": "p6", "createdAt": created(6), "body": "a an the", "score": 0, "tags": ["green"],
             "loc": geo(2.5, 0), "owner": "a4", "likes": ["ghostA"]},
            {"objectId": "p7", "createdAt": created(7), "score": 12, "tags": ["red", "green", "blue"],
             "loc": geo(0.5, 0.5), "owner": "a1", "likes": ["a4"]},
            {"objectId": "p8", "createdAt": created(8), "body": "Fast runs", "score": 1, "tags": ["yellow"],
             "loc": geo(10, 10), "owner": "a2"},
        ],
    },
    "relations": [
        {"class": "Author", "objectId": "a1", "key": "friends", "targetId": "a2"},
        {"class": "Author", "objectId": "a2", "key": "friends", "targetId": "a3", "targetClass": "Author"},
    ],
}
POSTS = ["p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"]


def all_but(*ids: str) -> list[str]:
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


def record_of(cls: str, oid: str) -> dict[str, Any]:
    """A record as the database gives it back, from DOC (Relation fields are not record fields)."""
    (raw,) = [r for r in DOC["records"][cls] if r["objectId"] == oid]
    out = {k: v for k, v in raw.items() if k != "likes"}
    out["updatedAt"] = out["createdAt"]
    if isinstance(out.get("city"), dict):
        out["city"] = out["city"]["objectId"]
    return out


def embedded_record(cls: str, oid: str, **replace: Any) -> dict[str, Any]:
    return {"__type": "Object", "className": cls, **record_of(cls, oid), **replace}

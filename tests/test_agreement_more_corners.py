"""Differential properties at the corners tests/strategies.py reaches seldom: Array fields whose
elements mix every kind (nested arrays, empty arrays, objects, nulls, dates of years 1 and 9999,
numbers past 2**63, Pointers and GeoPoints as Parse writes them inside JSON), list operands
(``containedIn``, ``notContainedIn``, ``all``, ``containedBy``) holding null, arrays and objects,
the same operands on an Object path and whole Objects, under ``or``/``and``/``nor``; and GeoPoints
at the poles and on the antimeridian. DuckDB and PostgreSQL give the reference evaluator's
answer (or its error), and the evaluator over the document as read agrees (tests/test_surface_properties.py).

Example tests pin what the engines agree on to docs/semantics.md, where agreement alone
would not catch a rule both got wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.interchange.document import read_dataset

from .conftest import pg_examples
from .test_surface_properties import _assert_same


def D(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


LEAVES = (
    None, 0, 1, -0.0, 2.5, 2**63, -(2**63) - 1, 1e300, 5e-324, "", "a", "A", "1", "\U0001f600", "e\u0301", True, False,
    D("1970-01-01T00:00:00.000Z"), D("0001-01-01T00:00:00.000Z"), D("9999-12-31T23:59:59.999Z"), D("1969-12-31T23:59:59.999Z"),
    {}, {"a": 1}, {"a": 1.0, "b": None}, {"b": None, "a": 1}, {"a": [1]}, {"a": {"b": "x"}},
    {"__type": "Pointer", "className": "C", "objectId": "r1"}, {"__type": "GeoPoint", "latitude": 90, "longitude": -180},
)  # fmt: skip
_LEAF = st.sampled_from(LEAVES)
VALUES = st.recursive(
    _LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(("a", "b")), inner, max_size=2)),
    max_leaves=5,
)
_PRESENCE = st.sampled_from(("value", "value", "value", "value", "missing", "null"))


@st.composite
def corner_docs(draw: st.DrawFn) -> dict[str, Any]:
    """Records of class C: an Array ``a`` of mixed elements and an Object ``o`` = {x: anything}."""
    records = []
    for k in range(draw(st.integers(1, 8))):
        rec: dict[str, Any] = {"objectId": f"r{k}", "createdAt": "2024-01-01T00:00:00.000Z"}
        for name, value in (("a", st.lists(VALUES, max_size=4)), ("o", VALUES.map(lambda v: {"x": v}))):
            presence = draw(_PRESENCE)
            if presence != "missing":
                rec[name] = None if presence == "null" else draw(value)
        records.append(rec)
    return {"classes": {"C": {"fields": {"a": {"type": "Array"}, "o": {"type": "Object"}}}}, "records": {"C": records}}


def _seen(doc: dict[str, Any]) -> list[Any]:
    """The values the records hold (arrays, their elements, the Object values): operands that hit."""
    out: list[Any] = []
    for rec in doc["records"]["C"]:
        if rec.get("a") is not None:
            out += [rec["a"], *rec["a"]]
        if rec.get("o") is not None:
            out.append(rec["o"]["x"])
    return out


_LISTS = ("containedIn", "notContainedIn", "all", "containedBy")
_SINGLE = ("equalTo", "notEqualTo", "lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo")


@st.composite
def corner_leaf(draw: st.DrawFn, seen: list[Any]) -> dict[str, Any]:
    operand = st.one_of(st.sampled_from(seen), st.sampled_from(seen), VALUES) if seen else VALUES
    op = draw(st.sampled_from(_LISTS + _SINGLE + ("exists",)))
    path = draw(st.sampled_from(("a", "a", "o.x", "o")))
    if op == "exists":
        return {draw(st.sampled_from(("a", "o", "o.x", "o.x.a"))): {"exists": draw(st.booleans())}}
    if op in ("all", "containedBy"):
        path = "a"
    value = draw(st.lists(operand, max_size=3)) if op in _LISTS else draw(operand)
    if path == "o":  # an Object field compares whole objects
        value = [v if isinstance(v, dict) else {"x": v} for v in value] if op in _LISTS else (value if isinstance(value, dict) else {"x": value})
    return {path: {op: value}}


def corner_filters(seen: list[Any]) -> st.SearchStrategy[dict[str, Any]]:
    leaf = corner_leaf(seen)
    return st.recursive(
        leaf, lambda inner: st.tuples(st.sampled_from(("and", "or", "nor")), st.lists(inner, min_size=1, max_size=3)).map(lambda t: {t[0]: t[1]}),
        max_leaves=4,
    )


@st.composite
def corner_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    doc = draw(corner_docs())
    filters = corner_filters(_seen(doc))
    sorts = st.sampled_from((None, ["o.x"], ["-o.x"], ["-o.x", "-objectId"]))
    paging = st.fixed_dictionaries({"limit": st.sampled_from((None, 0, 1, 3)), "skip": st.sampled_from((None, 0, 2, 2**63)), "count": st.booleans()})
    queries = draw(st.lists(st.tuples(st.just("C"), filters, st.builds(lambda p, s: {**p, "sort": s}, paging, sorts)), min_size=1, max_size=8))
    return doc, queries


def _corners_agree(db: querylang.Database, case: Any) -> None:
    doc, queries = case
    as_read = read_dataset(copy.deepcopy(doc))
    with db:
        db.load(copy.deepcopy(doc))
        for cls, where, kw in queries:
            _assert_same(db, as_read, cls, where, kw)


@given(corner_cases())
def test_mixed_arrays_and_objects_agree(case: Any) -> None:
    _corners_agree(querylang.connect(), case)


@settings(max_examples=pg_examples())
@given(corner_cases())
def test_mixed_arrays_and_objects_agree_on_postgres(pg_connect: Any, case: Any) -> None:
    _corners_agree(pg_connect(), case)


# --- GeoPoints at the poles and on the antimeridian ---------------------------------------------

LATITUDES = (90, -90, 89.9999999, -89.9999999, 0, 45, -60, 1e-9)
LONGITUDES = (180, -180, 179.9999999, -179.9999999, 0, -0.0, 90, -90)
POINTS = [{"latitude": la, "longitude": lo} for la in LATITUDES for lo in LONGITUDES]
GEO_DOC = {
    "classes": {"G": {"fields": {"loc": {"type": "GeoPoint"}}}},
    "records": {"G": [{"objectId": f"g{k:02d}", "createdAt": "2024-01-01T00:00:00.000Z", "loc": p} for k, p in enumerate(POINTS)]
                + [{"objectId": "none", "createdAt": "2024-01-01T00:00:00.000Z"}]},
}  # fmt: skip
_POINT = st.sampled_from(POINTS)
_DISTANCE = st.sampled_from((0, 1e-9, 0.001, 1, 100, 10000, 20015.086796020572, 20015.1))


@st.composite
def geo_leaf(draw: st.DrawFn) -> dict[str, Any]:
    center = draw(_POINT)
    kind = draw(st.sampled_from(("near", "sphere", "box", "polygon")))
    if kind == "near":
        unit = draw(st.sampled_from(("maxDistanceInKilometers", "maxDistanceInMiles", "maxDistanceInRadians", None)))
        near = dict(center)
        if unit is not None:
            near[unit] = min(draw(_DISTANCE), 3.2) if unit == "maxDistanceInRadians" else draw(_DISTANCE)
        return {"loc": {"nearSphere": near}}
    if kind == "sphere":
        return {"loc": {"withinSphere": {"center": center, "radians": draw(st.sampled_from((0, 1e-12, 0.1, 1.5707963267948966, 3.141592653589793)))}}}
    if kind == "box":
        return {"loc": {"withinBox": [center, draw(_POINT)]}}
    return {"loc": {"withinPolygon": draw(st.lists(_POINT, min_size=3, max_size=5))}}


@st.composite
def geo_queries(draw: st.DrawFn) -> list[tuple[str, Any, dict[str, Any]]]:
    out = []
    for _ in range(draw(st.integers(1, 8))):
        where = draw(geo_leaf())
        if "nearSphere" not in where["loc"] and draw(st.booleans()):
            where = {draw(st.sampled_from(("or", "nor"))): [where, draw(geo_leaf().filter(lambda w: "nearSphere" not in w["loc"]))]}
        out.append(("G", where, {"limit": draw(st.sampled_from((None, 3))), "count": draw(st.booleans())}))
    return out


def _geo_agrees(loaded: tuple[querylang.Database, Any], queries: list[Any]) -> None:
    db, as_read = loaded
    for cls, where, kw in queries:
        _assert_same(db, as_read, cls, where, kw)


def _geo_loaded(db: querylang.Database) -> Iterator[tuple[querylang.Database, Any]]:
    """GEO_DOC loaded once for all the examples of a property, and as read: the document is
    the same in every example and the queries only read, so a load per example was work lost."""
    with db:
        db.load(copy.deepcopy(GEO_DOC))
        yield db, read_dataset(copy.deepcopy(GEO_DOC))


@pytest.fixture(scope="module")
def geo_duckdb() -> Iterator[tuple[querylang.Database, Any]]:
    yield from _geo_loaded(querylang.connect())


@pytest.fixture(scope="module")
def geo_postgres(pg_connect: Any) -> Iterator[tuple[querylang.Database, Any]]:
    yield from _geo_loaded(pg_connect())


@given(geo_queries())
def test_geo_at_the_poles_and_the_antimeridian_agrees(geo_duckdb: Any, queries: Any) -> None:
    _geo_agrees(geo_duckdb, queries)


@settings(max_examples=pg_examples())
@given(geo_queries())
def test_geo_at_the_poles_and_the_antimeridian_agrees_on_postgres(geo_postgres: Any, queries: Any) -> None:
    _geo_agrees(geo_postgres, queries)


# --- what the engines agree on, against docs/semantics.md --------------------------------------

SHAPES = {
    "empty": [], "null": [None], "one": [1], "nested": [[1]], "nestedEmpty": [[]], "mixed": [1, "1", True, None],
    "object": [{"a": 1}], "pair": [1, 2], "pairInside": [[1, 2], 3], "missing": ..., "absent": None,
}  # fmt: skip
# docs/semantics.md#arrays, #absent and #lists, case by case.
ARRAY_RULES = [
    ({"equalTo": None}, {"null", "mixed", "missing", "absent"}),
    ({"notEqualTo": None}, {"empty", "one", "nested", "nestedEmpty", "object", "pair", "pairInside"}),
    ({"equalTo": []}, {"empty", "nestedEmpty"}),
    ({"containedIn": [[]]}, {"empty", "nestedEmpty"}),
    ({"all": [[1, 2]]}, {"pair", "pairInside"}),
    ({"all": [1, 2]}, {"pair"}),
    ({"all": [None]}, {"null", "mixed", "missing", "absent"}),
    ({"all": []}, set()),
    ({"containedBy": []}, {"empty", "missing", "absent"}),
    ({"containedBy": [None]}, {"empty", "null", "missing", "absent"}),
    ({"equalTo": [1]}, {"one", "nested"}),
    ({"notEqualTo": 1}, {"empty", "null", "nested", "nestedEmpty", "object", "pairInside", "missing", "absent"}),
    ({"greaterThan": 0}, {"one", "mixed", "pair", "pairInside"}),
    ({"greaterThan": "0"}, {"mixed"}),
    ({"greaterThan": False}, {"mixed"}),
    ({"lessThan": None}, set()),
    ({"lessThanOrEqualTo": None}, {"null", "mixed", "missing", "absent"}),
    ({"notContainedIn": [1, None]}, {"empty", "nested", "nestedEmpty", "object", "pairInside"}),
    ({"exists": True}, {"empty", "null", "one", "nested", "nestedEmpty", "mixed", "object", "pair", "pairInside"}),
]


@pytest.mark.parametrize(("op", "want"), ARRAY_RULES, ids=[repr(op) for op, _ in ARRAY_RULES])
def test_array_rules_as_documented(engine: Any, op: dict[str, Any], want: set[str]) -> None:
    records = [{"objectId": k} if v is ... else {"objectId": k, "a": v} for k, v in SHAPES.items()]
    db = engine()
    db.load({"classes": {"C": {"fields": {"a": {"type": "Array"}}}}, "records": {"C": records}})
    got = db.query("C", {"a": op}).ids
    assert got == db.reference("C", {"a": op}).ids
    assert set(got) == want


# Ascending order of kinds at an Object path (docs/semantics.md#sort): an empty array, absent and
# null, numbers, strings, objects (they tie among themselves: objectId decides), booleans, dates;
# an array sorts by its smallest element ascending, its largest descending ([1] as 1), as
# MongoDB sorts it, and an empty array comes before null ascending, after it descending.
KINDS = [
    ("k00", None), ("k01", ...), ("k02", -1e300), ("k03", -0.0), ("k04", 2**63), ("k05", ""), ("k06", "B"), ("k07", "a"),
    ("k08", "\U0001f600"), ("k09", {"a": 1}), ("k10", {}), ("k11", [1]), ("k12", []), ("k13", False), ("k14", True),
    ("k15", D("0001-01-01T00:00:00.000Z")), ("k16", D("1969-12-31T23:59:59.999Z")), ("k17", D("9999-12-31T23:59:59.999Z")),
]  # fmt: skip


def test_an_object_path_sorts_by_kind_then_value(engine: Any) -> None:
    db = engine()
    records = [{"objectId": k, "o": {} if v is ... else {"x": v}} for k, v in reversed(KINDS)]
    db.load({"classes": {"C": {"fields": {"o": {"type": "Object"}}}}, "records": {"C": records}})
    ascending = ["k12", "k00", "k01", "k02", "k03", "k11", "k04", "k05", "k06", "k07", "k08", "k09", "k10",
                 "k13", "k14", "k15", "k16", "k17"]
    descending = ["k17", "k16", "k15", "k14", "k13", "k09", "k10", "k08", "k07", "k06", "k05", "k04", "k11",
                  "k03", "k02", "k00", "k01", "k12"]
    for key, want in (("o.x", ascending), ("-o.x", descending)):
        assert db.query("C", {}, sort=key).ids == db.reference("C", {}, sort=key).ids == want, key

"""Round trips between the front ends, and ``querylang.matches`` against the database.

A query written one way and translated (``unparse`` / ``to_script``, ``to_parse_where``, the
REST reader behind ``db.find``) must select the same records on the database; one record
checked in memory with ``matches`` must match exactly when ``db.query`` returns it, or be
refused with a QueryError naming what needs the database.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryError
from querylang.frontends.to_parse import to_parse_where, to_script
from querylang.frontends.unparse import unparse
from querylang.frontends.unparse import value as script_value

from . import strategies as qs
from .conftest import pg_examples

# A quarter of the profile's examples: each example loads a database and runs every front end on it;
# the suite's time budget is shared with the other differential properties.
ROUND_TRIP_EXAMPLES = max(15, settings.default.max_examples // 4)


@st.composite
def _doc_and_filters(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any], list[str] | None]]]:
    doc = draw(qs.documents(created=True))
    cases = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(sorted(doc["classes"])))
        cases.append((name, draw(qs.filters(doc, name)), draw(qs.sorts(doc, name))))
    return doc, cases


def _ok(run: Any) -> Any:
    try:
        return run()
    except QueryError:
        return None


@settings(max_examples=ROUND_TRIP_EXAMPLES)
@given(_doc_and_filters())
def test_unparsed_query_selects_the_same_records(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, sort in cases:
            expected = _ok(lambda: db.query(name, filt, sort=sort, limit=1000))  # noqa: B023
            if expected is None:
                continue
            script = unparse(db.build(name, filt, sort=sort))
            context = f"class={name} filter={filt!r} sort={sort!r}\nscript={script}"
            assert db.query(name, script, limit=1000).ids == expected.ids, context


@settings(max_examples=ROUND_TRIP_EXAMPLES)
@given(_doc_and_filters())
def test_parse_where_and_its_script_select_the_same_records(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, _ in cases:
            expected = _ok(lambda: db.query(name, filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            where = to_parse_where(filt, schema=db.schema, class_name=name)
            context = f"class={name} filter={filt!r}\nwhere={where!r}"
            assert db.find(name, where=where, limit=1000, order="objectId").ids == expected.ids, context
            script = to_script(where)
            assert db.query(name, script, limit=1000).ids == expected.ids, f"{context}\nscript={script}"


@settings(max_examples=ROUND_TRIP_EXAMPLES)
@given(_doc_and_filters())
def test_matches_agrees_with_the_database(case):
    doc, cases = case
    with querylang.connect() as db:
        db.load(doc)
        for name, filt, _ in cases:
            expected = _ok(lambda: db.query(name, filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            records = db.query(name, limit=1000).records
            for rec in records:
                context = f"class={name} filter={filt!r} record={rec!r}"
                try:
                    got = querylang.matches(rec, filt, schema=db.schema, class_name=name)
                except QueryError as exc:
                    assert "needs the database" in str(exc), context
                    break
                assert got == (rec["objectId"] in expected.ids), context


@pytest.fixture(scope="module")
def array_db():
    database = querylang.connect()
    database.load({"classes": {"C": {"fields": {"a": {"type": "Array"}}}},
                   "records": {"C": [{"objectId": "x", "a": []}, {"objectId": "y", "a": [1, 2]}, {"objectId": "z", "a": [[1, 2]]}]}})
    yield database
    database.close()


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        ({"a": {"containedIn": [[]]}}, ["x"]),
        ({"a": {"containedIn": [[1, 2]]}}, ["y", "z"]),
        ({"a": {"notContainedIn": [[1, 2], 3]}}, ["x"]),
    ],
)
def test_an_array_inside_contained_in_survives_the_trip_to_parse(array_db, filt, expected):
    # Parse flattens arrays inside $in/$nin one level, and so does db.find; to_parse_where
    # wrote containedIn [[]] as $in [[]], which Parse reads as $in [] (found by the property
    # above: db.find gave [] where db.query gave the records holding []).
    assert array_db.query("C", filt).ids == expected
    where = to_parse_where(filt, schema=array_db.schema, class_name="C")
    assert array_db.find("C", where=where).ids == expected
    assert array_db.query("C", to_script(where)).ids == expected


@pytest.mark.parametrize(
    ("where", "key"),
    [
        ({"constructor": "x"}, "constructor"),
        ({"meta": {"constructor": 1}}, "constructor"),
        ({"meta": {"$eq": {"a": {"__proto__": 1}}}}, "__proto__"),
        ({"$or": [{"meta": {"prototype": 1}}]}, "prototype"),
    ],
)
def test_to_script_refuses_a_key_scripts_refuse(where, key):
    # The script language refuses these keys wherever they appear; to_script printed them
    # (where({ constructor: ... })), a script that failed only when it was run.
    with pytest.raises(QueryError, match=f"the key '{key}' has no filter-script form"):
        to_script(where)


def test_a_field_named_constructor_is_still_queried_by_filter_and_sorted_by_script():
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"constructor": {"type": "String"}}}},
                 "records": {"C": [{"objectId": "a", "constructor": "y"}, {"objectId": "b", "constructor": "x"}]}})
        assert db.query("C", {"constructor": "x"}).ids == ["b"]
        q = db.build("C", None, sort=["constructor"])
        assert db.query("C", unparse(q)).ids == ["b", "a"]
        with pytest.raises(QueryError, match="the key 'constructor' has no filter-script form"):
            unparse(db.build("C", {"constructor": "x"}))


# --- one class with every kind of operand: Dates, Pointers, GeoPoints, regex flags, text ----

WORDS = ("Running", "runs", "the", "fox", "Café", "cafe", "e-mail", "foxes", "dog", "DOG", "naïve")
RICH_SCHEMA = {
    "Post": {"fields": {
        "title": {"type": "String"}, "score": {"type": "Number"}, "at": {"type": "Date"},
        "loc": {"type": "GeoPoint"}, "up": {"type": "Pointer", "targetClass": "Post"},
        "tags": {"type": "Array"}, "meta": {"type": "Object"}, "ok": {"type": "Boolean"},
        "shape": {"type": "Polygon"},
    }},
}
_POINTS = ({"latitude": 0, "longitude": 0}, {"latitude": 1, "longitude": 1}, {"latitude": 0.5, "longitude": 2},
           {"latitude": -1, "longitude": 1}, {"latitude": 45, "longitude": 90})
_TITLES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3).map(" ".join) | st.sampled_from(qs.STRING_POOL)


@st.composite
def _rich_records(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for oid in draw(st.lists(st.sampled_from(qs.ID_POOL), unique=True, max_size=6)):
        rec: dict[str, Any] = {"objectId": oid, "createdAt": draw(st.sampled_from(qs.DATE_POOL))}
        for name, value in (
            ("title", _TITLES), ("score", qs.numbers()), ("at", qs.dates()), ("loc", st.sampled_from(_POINTS)),
            ("up", qs.pointer_values("Post")), ("tags", qs.arrays()), ("meta", qs.objects()), ("ok", st.booleans()),
            ("shape", st.sampled_from(qs.POLYGON_POOL)),
        ):
            choice = draw(st.sampled_from(("value", "value", "missing", "null")))
            if choice != "missing":
                rec[name] = None if choice == "null" else draw(value)
        out.append(rec)
    return out


def _date_operand() -> st.SearchStrategy[Any]:
    # An ISO string, a Parse Date object, or a Python datetime (the library's own form).
    return st.sampled_from(qs.DATE_POOL).flatmap(lambda iso: st.sampled_from((
        iso, {"__type": "Date", "iso": iso}, datetime.fromisoformat(iso.replace("Z", "+00:00")),
    )))


def _point() -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(_POINTS)


def _rich_leaf() -> st.SearchStrategy[dict[str, Any]]:
    compare = st.sampled_from(("equalTo", "notEqualTo", "lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo"))
    search = st.one_of(
        st.lists(st.sampled_from((*WORDS, "-fox", '"the fox"', "-run")), min_size=1, max_size=3).map(" ".join),
        st.fixed_dictionaries(
            {"term": st.sampled_from(WORDS)},
            optional={"language": st.sampled_from(("en", "none", "english", "")), "caseSensitive": st.booleans(),
                      "diacriticSensitive": st.booleans()},
        ),
    )
    return st.one_of(
        st.builds(lambda op, v: {"at": {op: v}}, compare, _date_operand()),
        st.builds(lambda v: {"at": {"containedIn": v}}, st.lists(_date_operand(), max_size=3)),
        st.builds(lambda v: {"tags": {"equalTo": v}}, _date_operand()),
        st.builds(lambda v: {"meta.a": v}, _date_operand()),
        st.builds(lambda p, o: {"title": {"matchesRegex": p, "options": o}}, qs.regex_patterns(), qs.regex_options()),
        st.builds(lambda p, o: {"tags": {"matchesRegex": p, "options": o}}, qs.regex_patterns(), qs.regex_options()),
        st.builds(lambda s: {"title": {"text": {"search": s}}}, search),
        st.builds(lambda v: {"up": v}, st.sampled_from(qs.ID_POOL).flatmap(lambda i: st.sampled_from(
            (i, {"objectId": i}, {"__type": "Pointer", "className": "Post", "objectId": i})))),
        st.builds(lambda v: {"up": {"pointsTo": v}}, st.sampled_from(qs.ID_POOL) | st.lists(st.sampled_from(qs.ID_POOL), max_size=3)),
        st.builds(lambda v: {"up": {"notEqualTo": v}}, st.sampled_from(qs.ID_POOL)),
        st.builds(lambda v: {"up": {"containedIn": v}}, st.lists(st.sampled_from(qs.ID_POOL), max_size=3)),
        st.builds(lambda p, d: {"loc": {"nearSphere": {**p, **d}}}, _point(), st.sampled_from(
            ({}, {"maxDistanceInKilometers": 200}, {"maxDistanceInMiles": 100}, {"maxDistanceInRadians": 0.03}))),
        st.builds(lambda a, b: {"loc": {"withinBox": [a, b]}}, _point(), _point()),
        st.builds(lambda ps: {"loc": {"withinPolygon": ps}}, st.lists(_point(), min_size=3, max_size=4)),
        st.builds(lambda c, r: {"loc": {"withinSphere": {"center": c, "radians": r}}}, _point(), st.sampled_from((0, 0.01, 0.03, 1))),
        st.builds(lambda p: {"shape": {"polygonContains": p}}, st.sampled_from(qs.POLYGON_POINTS)),
        st.builds(lambda op, v: {"score": {op: v}}, compare, qs.numbers()),
        st.builds(lambda v: {"tags": {"all": v}}, st.lists(qs.json_scalars(), max_size=2)),
        st.builds(lambda v: {"tags": {"containedBy": v}}, st.lists(qs.json_scalars(), max_size=3)),
        st.builds(lambda f, e: {f: {"exists": e}}, st.sampled_from(sorted(RICH_SCHEMA["Post"]["fields"])), st.booleans()),
        st.builds(lambda v: {"ok": v}, st.booleans() | st.none()),
    )


def _rich_filters() -> st.SearchStrategy[dict[str, Any]]:
    leaf = _rich_leaf()
    return st.recursive(
        leaf | st.lists(leaf, min_size=2, max_size=3).map(qs._merge),
        lambda sub: st.one_of(
            st.lists(sub, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
            st.lists(sub, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
            st.lists(sub, min_size=1, max_size=2).map(lambda xs: {"nor": xs}),
        ),
        max_leaves=4,
    )


def _unordered(filt: dict[str, Any]) -> bool:
    return "nearSphere" in repr(filt)


def _rich_round_trips(connect: Callable[[], querylang.Database], records: list[dict[str, Any]], filts: list[dict[str, Any]]) -> None:
    with connect() as db:
        db.load({"classes": RICH_SCHEMA, "records": {"Post": records}})
        stored = db.query("Post", limit=1000).records
        for filt in filts:
            expected = _ok(lambda: db.query("Post", filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            # nearSphere orders by distance; ties between the translations may come in another order.
            same = sorted if _unordered(filt) else list
            want = same(expected.ids)
            context = f"filter={filt!r}"
            assert db.reference("Post", filt, limit=1000).ids == expected.ids, context
            where = to_parse_where(filt, schema=db.schema, class_name="Post")
            context += f"\nwhere={where!r}"
            assert same(db.find("Post", where=where, limit=1000).ids) == want, context
            script = to_script(where)
            assert same(db.query("Post", script, limit=1000).ids) == want, f"{context}\nscript={script}"
            for rec in stored:
                got = querylang.matches(rec, filt, schema=db.schema, class_name="Post")
                assert got == (rec["objectId"] in expected.ids), f"{context}\nrecord={rec!r}"


@settings(max_examples=ROUND_TRIP_EXAMPLES)
@given(_rich_records(), st.lists(_rich_filters(), min_size=1, max_size=4))
def test_rich_queries_survive_every_translation_and_matches(records, filts):
    _rich_round_trips(querylang.connect, records, filts)


@settings(max_examples=pg_examples())
@given(_rich_records(), st.lists(_rich_filters(), min_size=1, max_size=4))
def test_rich_queries_survive_every_translation_on_postgres(pg_connect, records, filts):
    _rich_round_trips(pg_connect, records, filts)


# --- across records: sub-queries, dotted pointer paths, relatedTo, Relation conditions ----------

LINKED_SCHEMA = {
    "Post": {"fields": {"title": {"type": "String"}, "score": {"type": "Number"}, "at": {"type": "Date"},
                        "author": {"type": "Pointer", "targetClass": "User"}, "up": {"type": "Pointer", "targetClass": "Post"},
                        "likes": {"type": "Relation", "targetClass": "User"}}},
    "User": {"fields": {"name": {"type": "String"}, "age": {"type": "Number"}, "best": {"type": "Pointer", "targetClass": "Post"},
                        "follows": {"type": "Relation", "targetClass": "Post"}}},
}
_LINK_IDS = ("o0", "o1", "o2", "O1", "zz")


@st.composite
def _linked_document(draw: st.DrawFn) -> dict[str, Any]:
    def rows(fields: dict[str, st.SearchStrategy[Any]]) -> list[dict[str, Any]]:
        out = []
        for oid in draw(st.lists(st.sampled_from(_LINK_IDS), unique=True, max_size=4)):
            rec: dict[str, Any] = {"objectId": oid, "createdAt": "2024-01-01T00:00:00.000Z"}
            for name, value in fields.items():
                if draw(st.integers(0, 3)):
                    rec[name] = draw(value)
            out.append(rec)
        return out

    some_id = st.sampled_from(_LINK_IDS)
    posts = rows({"title": st.sampled_from(("a", "b", "A")), "score": st.sampled_from((1, 2, 3)),
                  "at": st.sampled_from(qs.DATE_POOL[:4]), "author": some_id, "up": some_id | st.none()})
    users = rows({"name": st.sampled_from(("a", "b", "bob")), "age": st.sampled_from((1, 2, 30)), "best": some_id})
    edges = [{"class": c, "objectId": o, "key": k, "targetId": t}
             for c, k in (("Post", "likes"), ("User", "follows"))
             for o, t in draw(st.lists(st.tuples(some_id, some_id), max_size=5))]
    return {"classes": LINKED_SCHEMA, "records": {"Post": posts, "User": users}, "relations": edges}


def _linked_filters(class_name: str, depth: int = 2) -> st.SearchStrategy[dict[str, Any]]:
    other = "User" if class_name == "Post" else "Post"
    some_id = st.sampled_from(_LINK_IDS)
    if class_name == "Post":
        plain = st.one_of(
            st.builds(lambda v: {"title": v}, st.sampled_from(("a", "b"))),
            st.builds(lambda v: {"score": {"greaterThan": v}}, st.sampled_from((1, 2))),
            st.builds(lambda v: {"at": {"lessThan": v}}, st.sampled_from(qs.DATE_POOL[:4])),
            st.builds(lambda v: {"author.name": v}, st.sampled_from(("a", "bob"))),
            st.builds(lambda v: {"up.title": {"notEqualTo": v}}, st.sampled_from(("a", "b"))),
            st.builds(lambda v: {"up.author.age": {"lessThan": v}}, st.sampled_from((2, 40))),
            st.builds(lambda v: {"likes": v}, some_id),
            st.builds(lambda v: {"likes": {"containedIn": v}}, st.lists(some_id, max_size=2)),
            st.builds(lambda e: {"likes": {"exists": e}}, st.booleans()),
            st.builds(lambda v: {"relatedTo": {"id": v, "key": "follows"}}, some_id),
            st.builds(lambda v: {"author": {"pointsTo": v}}, some_id),
            st.builds(lambda e: {"up.objectId": {"exists": e}}, st.booleans()),
        )
    else:
        plain = st.one_of(
            st.builds(lambda v: {"name": v}, st.sampled_from(("a", "bob"))),
            st.builds(lambda v: {"age": {"greaterThanOrEqualTo": v}}, st.sampled_from((2, 30))),
            st.builds(lambda v: {"best.score": v}, st.sampled_from((1, 3))),
            st.builds(lambda v: {"follows": {"notEqualTo": v}}, some_id),
            st.builds(lambda v: {"relatedTo": {"id": v, "key": "likes", "className": "Post"}}, some_id),
        )
    if depth == 0:
        return plain
    inner = _linked_filters(other, depth - 1)
    key_pairs = (("title", "name"), ("score", "age"), ("objectId", "name")) if class_name == "Post" else (
        ("name", "title"), ("age", "score"), ("best", "objectId"))
    pointer_fields = ("author", "likes") if class_name == "Post" else ("follows",)
    sub = st.one_of(
        st.builds(lambda f, op, w: {f: {op: w}}, st.sampled_from(pointer_fields),
                  st.sampled_from(("matchesQuery", "doesNotMatchQuery")), inner),
        st.builds(lambda kp, op, w: {kp[0]: {op: {"key": kp[1], "className": other, "where": w}}},
                  st.sampled_from(key_pairs), st.sampled_from(("matchesKeyInQuery", "doesNotMatchKeyInQuery")), inner),
    )
    leaf = plain | sub
    return qs.weighted(
        leaf, leaf,
        st.lists(leaf, min_size=2, max_size=3).map(qs._merge),
        st.lists(leaf, min_size=1, max_size=2).map(lambda xs: {"or": xs}),
        st.lists(leaf, min_size=1, max_size=2).map(lambda xs: {"nor": xs}),
    )


_LINKED_CASES = st.lists(st.sampled_from(("Post", "User")).flatmap(lambda c: st.tuples(st.just(c), _linked_filters(c))), min_size=1, max_size=4)


@settings(max_examples=ROUND_TRIP_EXAMPLES)
@given(_linked_document(), _LINKED_CASES)
def test_queries_across_records_survive_every_translation(doc, cases):
    _linked_round_trips(querylang.connect, doc, cases)


@settings(max_examples=pg_examples())
@given(_linked_document(), _LINKED_CASES)
def test_queries_across_records_survive_every_translation_on_postgres(pg_connect, doc, cases):
    _linked_round_trips(pg_connect, doc, cases)


def _linked_round_trips(connect: Callable[[], querylang.Database], doc: dict[str, Any], cases: list[tuple[str, dict[str, Any]]]) -> None:
    with connect() as db:
        db.load(doc)
        for name, filt in cases:
            expected = _ok(lambda: db.query(name, filt, limit=1000))  # noqa: B023
            if expected is None:
                continue
            context = f"class={name} filter={filt!r}"
            assert db.reference(name, filt, limit=1000).ids == expected.ids, context
            where = to_parse_where(filt, schema=db.schema, class_name=name)
            context += f"\nwhere={where!r}"
            assert db.find(name, where=where, limit=1000).ids == expected.ids, context
            script = to_script(where)
            assert db.query(name, script, limit=1000).ids == expected.ids, f"{context}\nscript={script}"
            query = db.build(name, filt)
            try:
                unparsed = unparse(query)
            except QueryError as exc:
                assert "has no filter-script form" in str(exc), context
            else:
                assert db.query(name, unparsed, limit=1000).ids == expected.ids, f"{context}\nunparsed={unparsed}"
            for rec in db.query(name, limit=1000).records:
                try:
                    got = querylang.matches(rec, filt, schema=db.schema, class_name=name)
                except QueryError as exc:
                    assert "needs the database" in str(exc), f"{context}\n{exc}"
                    break
                assert got == (rec["objectId"] in expected.ids), f"{context}\nrecord={rec!r}"


@pytest.mark.parametrize(
    "filt",
    [{"up": "x"}, {"up": {"objectId": "x"}}, {"up": {"equalTo": "x"}}, {"up": {"notEqualTo": {"objectId": "x"}}},
     {"up": {"containedIn": ["x"]}}, {"up": {"pointsTo": "x"}}],
)
def test_pointer_classes_make_ids_pointers_as_a_schema_does(filt):
    # pointer_classes stands in for the schema's Pointer classes, but only pointsTo used it:
    # {up: 'x'} went out as $eq 'x' and {up: {objectId: 'x'}} as $eq {objectId: 'x'}, which
    # Parse on MongoDB (where a Pointer is stored as 'Post$x') never matches.
    with querylang.connect() as db:
        db.load({"classes": {"Post": {"fields": {"up": {"type": "Pointer", "targetClass": "Post"}}}},
                 "records": {"Post": [{"objectId": "x"}, {"objectId": "y", "up": "x"}]}})
        with_schema = to_parse_where(filt, schema=db.schema, class_name="Post")
        assert to_parse_where(filt, pointer_classes={"up": "Post"}) == with_schema
        assert db.find("Post", where=with_schema).ids == db.query("Post", filt).ids


@pytest.mark.parametrize(
    ("where", "script"),
    [
        ('{"n": {"$gt": 1e400}}', "where({ n: { greaterThan: Infinity } })"),
        ({"n": {"$lt": -math.inf}}, "where({ n: { lessThan: -Infinity } })"),
        ('{"n": NaN}', "where({ n: { equalTo: NaN } })"),
        ({"a": [math.nan]}, "where({ a: { equalTo: [NaN] } })"),
    ],
)
def test_to_script_writes_nan_and_infinity_as_javascript_does(where, script):
    # Python's json reads NaN, Infinity and 1e400; to_script printed them as 'nan' and 'inf',
    # which the script read as undefined names ("inf is not defined"), not as db.find's error.
    assert to_script(where) == script
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"n": {"type": "Number"}, "a": {"type": "Array"}}}}})
        for run in (lambda: db.find("C", where=where), lambda: db.query("C", script)):
            with pytest.raises(QueryError, match="NaN and Infinity are not valid query values"):
                run()


@pytest.mark.parametrize("where", [{"o": {"$eq": {1: 2}}}, {"o": {"$in": [{None: 2}]}}])
def test_to_script_refuses_a_key_that_is_not_text(where):
    # A Python mapping's key may be a number: to_script ended in AttributeError ('isidentifier').
    with pytest.raises(QueryError, match="object keys must be text, got"):
        to_script(where)


@pytest.mark.parametrize(
    ("run", "message"),
    [
        # A Python mapping's key may be a number; each of these ended in a TypeError or an
        # AttributeError from inside (KEY_RE.match, difflib, key.startswith, "." in key).
        (lambda db: db.find("C", where={1: 2}), "Invalid key name: 1"),
        (lambda db: db.find("C", where={"$or": [{1: 2}]}), "Invalid key name: 1"),
        (lambda db: db.find("C", where={"n": {"$eq": 1, 2: 3}}), "mixes \\$ operators with plain keys \\(2\\)"),
        (lambda db: to_script({1: 2}), "Invalid key name: 1"),
        (lambda db: db.query("C", {"n": {1: 2}}), "unknown operator '1'"),
        (lambda db: querylang.matches({"n": 1}, {"n": {1: 2}}, schema=db.schema, class_name="C"), "unknown operator '1'"),
        (lambda db: to_parse_where({"n": {1: 2}}, schema=db.schema, class_name="C"), "unknown operator '1'"),
        (lambda db: to_parse_where({1: 2}), "filter keys must be strings, got number"),
    ],
)
def test_a_key_that_is_not_text_is_a_query_error(run, message):
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"n": {"type": "Number"}}}}})
        with pytest.raises(QueryError, match=message):
            run(db)


@pytest.mark.parametrize(
    ("filt", "message"),
    [
        # Without a schema to_parse_where dropped the keys it does not carry: a misspelt
        # distance left a nearSphere with no bound, a misspelt language a search stemmed as
        # English, where db.query (and to_parse_where with a schema) refuses them.
        ({"loc": {"nearSphere": {"latitude": 1, "longitude": 2, "maxDistanse": 10}}}, "unknown key 'maxDistanse' in nearSphere \\(did you mean 'maxDistance"),
        ({"t": {"text": {"search": {"term": "run", "langauge": "fr"}}}}, "unknown key 'langauge' in text.search"),
        ({"t": {"text": {"search": "run", "caseSensitive": True}}}, "unknown key 'caseSensitive' in text"),
    ],
)
def test_to_parse_where_without_a_schema_refuses_keys_it_would_drop(filt, message):
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"t": {"type": "String"}, "loc": {"type": "GeoPoint"}}}}})
        for run in (lambda: to_parse_where(filt), lambda: to_parse_where(filt, schema=db.schema, class_name="C"),
                    lambda: db.query("C", filt)):
            with pytest.raises(QueryError, match=message):
                run()


def test_a_naive_datetime_is_utc_in_to_parse_where_whatever_the_machine_zone(monkeypatch):
    # db.query reads a naive datetime as UTC; to_parse_where and to_script read it in the
    # machine's zone (2024-06-01T04:00:00.000Z in New York), so Parse was sent another instant.
    naive = datetime(2024, 6, 1)
    want = {"__type": "Date", "iso": "2024-06-01T00:00:00.000Z"}
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert to_parse_where({"publishedAt": {"greaterThan": naive}}) == {"publishedAt": {"$gt": want}}
        assert to_parse_where({"tags": naive}) == {"tags": {"$eq": want}}
        assert script_value(naive) == 'new Date("2024-06-01T00:00:00.000Z")'
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_python_date_on_an_array_field_is_midnight_utc():
    # As a script reads a datetime.date input, and as the string '2024-01-01' reads on a Date
    # field (docs/semantics.md#dates); it was refused as a value with no JSON form.
    midnight = datetime(2024, 1, 1, tzinfo=UTC)
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"a": {"type": "Array"}}}}})
        filt = {"a": date(2024, 1, 1)}
        assert to_parse_where(filt) == to_parse_where({"a": midnight})
        assert script_value(date(2024, 1, 1)) == script_value(midnight) == 'new Date("2024-01-01T00:00:00.000Z")'
        assert querylang.matches({"a": [midnight]}, filt, schema=db.schema)
        assert not querylang.matches({"a": [datetime(2024, 1, 2, tzinfo=UTC)]}, filt, schema=db.schema)
        assert db.query("C", filt).records == []


@pytest.mark.parametrize(
    ("filt", "message"),
    [
        # A Python value with no JSON form, on an Array or Object field, reached the engine and
        # failed there: TypeError "not a storable value: (1+2j)". (A datetime.date is a Date,
        # test_a_python_date_on_an_array_field_is_midnight_utc.)
        ({"a": complex(1, 2)}, "'a': complex \\(1\\+2j\\) is not a query value"),
        ({"a": {"containedIn": [1, Decimal("1.5")]}}, "'a': Decimal Decimal\\('1.5'\\) is not a query value"),
        ({"o.x": b"x"}, "'o.x': bytes b'x' is not a query value"),
        ({"o": {"equalTo": {"k": {1, 2}}}}, "'o': set \\{1, 2\\} is not a query value"),
    ],
)
def test_a_python_value_without_a_json_form_is_a_query_error(filt, message):
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"a": {"type": "Array"}, "o": {"type": "Object"}}}}})
        for run in (lambda: db.query("C", filt), lambda: db.find("C", where=to_parse_where(filt)),
                    lambda: querylang.matches({}, filt, schema=db.schema)):
            with pytest.raises(QueryError, match=message):
                run()


@pytest.mark.parametrize(
    ("filt", "message"),
    [
        # Without a schema nothing checked a field's name: Parse's spelling of a logic key went
        # out as a field ({'$or': {'$eq': [...]}}), a where Parse refuses for another reason.
        ({"$or": [{"a": 1}]}, "invalid field name '\\$or' \\(did you mean 'or'\\?\\)"),
        ({"$and": []}, "invalid field name '\\$and' \\(did you mean 'and'\\?\\)"),
        ({"a-b": 1}, "invalid field name 'a-b'"),
    ],
)
def test_to_parse_where_without_a_schema_refuses_a_name_no_field_has(filt, message):
    with pytest.raises(QueryError, match=message):
        to_parse_where(filt)


def test_to_parse_where_without_a_schema_still_takes_field_names_and_paths():
    assert to_parse_where({"a.b": 1, "objectId": "x", "or": [{"c_1": 2}]}) == {
        "a.b": {"$eq": 1}, "objectId": {"$eq": "x"}, "$or": [{"c_1": {"$eq": 2}}]}


_GEO_TEXT_SCHEMA = {"classes": {"C": {"fields": {"t": {"type": "String"}, "loc": {"type": "GeoPoint"}, "poly": {"type": "Polygon"}}}}}
_P = {"latitude": 1, "longitude": 2}


@pytest.mark.parametrize(
    ("filt", "message"),
    [
        # Without a schema to_parse_where checked none of these operands and sent them on:
        # Parse then refuses them (or reads a null point, or a number as the search term).
        ({"loc": {"nearSphere": {}}}, "nearSphere: latitude and longitude must be numbers"),
        ({"loc": {"nearSphere": {"latitude": 100, "longitude": 2}}}, "latitude 100.0 is outside"),
        ({"loc": {"nearSphere": {**_P, "maxDistanceInKilometers": "10"}}}, "maxDistanceInKilometers must be a finite number"),
        ({"loc": {"withinBox": [_P]}}, "withinBox needs exactly 2 points"),
        ({"loc": {"withinPolygon": [_P, _P]}}, "at least 3 GeoPoints"),
        ({"loc": {"withinSphere": {"center": _P, "radians": -1}}}, "radians must be a finite number"),
        ({"poly": {"polygonContains": {"latitude": "1", "longitude": 2}}}, "latitude and longitude must be numbers"),
        ({"t": {"text": {"search": {"term": 5}}}}, "\\$term, should be string \\(got number\\)"),
        ({"t": {"text": {"search": ""}}}, "\\$term, should be string \\(got an empty string\\)"),
        ({"t": {"text": {"search": {"term": "x", "language": 5}}}}, "\\$language, should be string"),
        ({"t": {"text": {"search": {"term": "x", "caseSensitive": "yes"}}}}, "\\$caseSensitive, should be boolean"),
    ],
)
def test_to_parse_where_without_a_schema_checks_geo_and_text_operands(filt, message):
    with querylang.connect() as db:
        db.load(_GEO_TEXT_SCHEMA)
        for run in (lambda: to_parse_where(filt), lambda: to_parse_where(filt, schema=db.schema, class_name="C"),
                    lambda: db.query("C", filt)):
            with pytest.raises(QueryError, match=message):
                run()


def test_to_parse_where_without_a_schema_still_translates_good_geo_and_text_operands():
    assert to_parse_where({"loc": {"nearSphere": {**_P, "maxDistanceInKilometers": 10}},
                           "t": {"text": {"search": {"term": "run", "language": "fr"}}}}) == {
        "loc": {"$nearSphere": {"__type": "GeoPoint", **_P}, "$maxDistanceInKilometers": 10},
        "t": {"$text": {"$search": {"$term": "run", "$language": "fr"}}}}


@pytest.mark.parametrize("operand", ["yes", 1, None, [True]])
def test_to_parse_where_without_a_schema_refuses_an_exists_that_is_not_a_boolean(operand):
    # It went out as {$exists: 'yes'}, which Parse's database reads as true; db.query refuses it.
    with pytest.raises(QueryError, match="exists needs true or false"):
        to_parse_where({"t": {"exists": operand}})
    with querylang.connect() as db:
        db.load(_GEO_TEXT_SCHEMA)
        with pytest.raises(QueryError, match="exists needs true or false"):
            db.query("C", {"t": {"exists": operand}})


@pytest.mark.parametrize("filt", [{"tags": {"lessThan": [1]}}, {"meta.x": {"greaterThanOrEqualTo": {"a": 1}}},
                                  {"t": {"greaterThan": []}}, "where({ t: { lessThanOrEqualTo: [Inputs.x] } })"])
def test_to_parse_where_without_a_schema_refuses_a_range_on_an_array_or_object(filt):
    # It went out as {$lt: [1]}, which Parse's database compares by MongoDB's type order;
    # db.query refuses it on every field type.
    with pytest.raises(QueryError, match="range operators on '.*' need a number, string, boolean or date"):
        to_parse_where(filt, inputs={"x": 1})


def test_to_parse_where_without_a_schema_still_takes_a_range_on_dates_and_pointers():
    assert to_parse_where({"a": {"lessThan": {"__type": "Date", "iso": "2024-01-01"}}, "p": {"greaterThan": {"objectId": "x"}}},
                          pointer_classes={"p": "C"}) == {
        "a": {"$lt": {"__type": "Date", "iso": "2024-01-01"}},
        "p": {"$gt": {"__type": "Pointer", "className": "C", "objectId": "x"}}}

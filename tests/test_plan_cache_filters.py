"""The plan cache for filter objects and Parse ``where`` documents (engines/sql/filter_shape.py):
a plan bound from a kept one must be exactly the plan a fresh build and compile gives, error
for error, and answer as the reference evaluator does; a schema change drops kept plans."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import querylang
from querylang.engines.sql.filter_shape import filter_shape
from querylang.frontends.parse_rest import parse_order, where_to_filter

from .test_plan_cache import DOC, cached_and_fresh


@pytest.fixture(scope="module")
def dbs() -> tuple[querylang.Database, querylang.Database]:
    return cached_and_fresh()


def P(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def D(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


def outcome(db: querylang.Database, where: Any, order: str | None = None, limit: int = 100, skip: int | None = None) -> tuple[Any, ...]:
    """The plan (or the error) of the find ``db.find(where, order, limit, skip)`` runs."""
    try:
        p = db.compile("Post", where_to_filter(where), sort=parse_order(order), limit=limit, skip=skip)
    except querylang.QueryError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("plan", p.sql, p.params, p.count_sql, p.count_params, p.where_sql, p.where_params)


def same_three_ways(cached: querylang.Database, fresh: querylang.Database, where: Any, **kw: Any) -> None:
    """The cached plan is the fresh one; its answer is the fresh one's and the reference's."""
    got = outcome(cached, where, **kw)
    assert got == outcome(fresh, where, **kw), where
    if got[0] == "plan":
        a = cached.find("Post", where, **kw)
        assert a.ids == fresh.find("Post", where, **kw).ids, where
        ref = cached.reference("Post", where_to_filter(where), sort=parse_order(kw.get("order")),
                               limit=kw.get("limit", 100), skip=kw.get("skip"))
        assert a.ids == ref.ids, where


def test_shapes_key_the_literals_and_bind_the_operands():
    key1, t1, v1 = filter_shape({"likes": {"greaterThan": 3}, "title": {"exists": True}})  # type: ignore[misc]
    key2, t2, v2 = filter_shape({"likes": {"greaterThan": 9}, "title": {"exists": True}})  # type: ignore[misc]
    assert key1 == key2 and v1 == {"v0000": 3} and v2 == {"v0000": 9}
    assert t1.slots == (("v0000", ("likes", "greaterThan")),)
    # A literal that is not an operand stays in the key, with its type: True is not 1.
    assert filter_shape({"title": {"exists": True}})[0] != filter_shape({"title": {"exists": 1}})[0]  # type: ignore[index]
    assert filter_shape({"a": {"nearSphere": {"latitude": 0.0}}})[0] != filter_shape({"a": {"nearSphere": {"latitude": -0.0}}})[0]  # type: ignore[index]
    # Keys in another order are another shape (their SQL is ANDed in that order).
    assert filter_shape({"a": {"equalTo": 1}, "b": {"equalTo": 1}})[0] != filter_shape({"b": {"equalTo": 1}, "a": {"equalTo": 1}})[0]  # type: ignore[index]
    assert filter_shape({"a": {"equalTo": object()}}) is None


def test_a_parse_where_is_bound_from_the_kept_plan(dbs):
    cached, fresh = dbs
    hits = cached._plans.hits
    for i, (user, likes) in enumerate([("u1", 0), ("u2", 3), ("u9", 1), ("u1", 7), ("u2", -1)]):
        where = {"author": P("User", user), "likes": {"$gt": likes}}
        same_three_ways(cached, fresh, where, order="-likes", limit=10, skip=i)
    assert cached._plans.hits > hits


@pytest.mark.parametrize(
    "then",
    [
        P("Post", "u1"),  # a Pointer to another class: the builder's error
        P("User", "u1") | {"extra": 1},  # not the plain form: the whole way
        "u2", None, 3, [P("User", "u1")], {"objectId": "u2"},
        D("2024-01-01T00:00:00.000Z"),
    ],
)
def test_pointers_then_other_operands(dbs, then):
    cached, fresh = dbs
    for value in (P("User", "u1"), P("User", "u2"), then, P("User", "u2"), then):
        same_three_ways(cached, fresh, {"author": value})
        same_three_ways(cached, fresh, {"author": {"$ne": value}})


@pytest.mark.parametrize("then", ["2024-01-03T00:00:00.000Z", "not a date", "0000-01-01T00:00:00.000Z", "", 5])
def test_dates_then_other_dates(dbs, then):
    cached, fresh = dbs
    for iso in ("2024-01-01T00:00:00.000Z", "2023-05-06T07:08:09.123Z", then, "2024-01-02T00:00:00.000Z"):
        operand = D(iso) if isinstance(iso, str) else iso
        same_three_ways(cached, fresh, {"publishedAt": {"$lt": operand}})
        same_three_ways(cached, fresh, {"publishedAt": {"$gte": operand}})


@pytest.mark.parametrize(
    "then",
    [["u1", "u1", "u2"], ["u1", "u2", "u9"], [P("User", "u1"), P("User", "u2"), P("User", "u9")],
     [P("User", "u1"), P("User", "u1"), P("User", "u2")], [P("User", "u1"), P("Post", "p1"), P("User", "u2")],
     ["u1", "u2"], [None, "u1", "u2"]],
)
def test_lists_of_pointers_keep_their_length_and_distinctness(dbs, then):
    cached, fresh = dbs
    for value in ([P("User", "u2"), P("User", "u9"), P("User", "u1")], [P("User", "u9"), P("User", "u1"), P("User", "u2")], then,
                  [P("User", "u1"), P("User", "u2"), P("User", "u9")]):
        same_three_ways(cached, fresh, {"author": {"$in": value}})
        same_three_ways(cached, fresh, {"author": {"$nin": value}})


# --- random where documents -----------------------------------------------------------------

def typed(kind: str, draw: st.DrawFn) -> st.SearchStrategy[Any]:
    """Values of one type for a field (a hole keeps its type, so its kept plan is used)."""
    good: dict[str, list[st.SearchStrategy[Any]]] = {
        "title": [st.sampled_from(["a", "b", "zz", "", "\x00"])],
        "likes": [st.integers(-3, 10), st.floats(-5, 5), st.sampled_from([2**53 + 1, 2**70, 3])],
        "published": [st.booleans()],
        "publishedAt": [st.sampled_from(["2024-01-01T00:00:00.000Z", "2023-05-06T07:08:09.123Z", "2024-x"]).map(D)],
        "author": [st.sampled_from(["u1", "u2", "u9"]).map(lambda i: P("User", i)), st.sampled_from(["u1", "u2"])],
        "objectId": [st.sampled_from(["p1", "p2", "p3", "p9"])],
    }
    return draw(st.sampled_from(good[kind]))


# Now and then anything: another type, null, a Pointer of another class, a Date without a time.
OTHER = st.one_of(st.none(), st.sampled_from(["u1", "p1", 3, True, 1.5]), st.just(P("Post", "p1")), st.just(D("2024-01-01")))


def scalar_like(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(*[strategy] * 7, OTHER)


OPS = {
    "title": ["$eq", "$ne", "$lt", "$in", "$nin", "$regex", "$exists", "="],
    "likes": ["$eq", "$ne", "$gt", "$lte", "$in", "$nin", "="],
    "published": ["$eq", "$ne", "="],
    "publishedAt": ["$gt", "$lt", "$eq", "$in", "="],
    "author": ["$eq", "$ne", "$in", "$nin", "="],
    "objectId": ["$eq", "$in", "$nin", "="],
}


@st.composite
def where_shapes(draw: st.DrawFn) -> tuple[Any, list[tuple[str, str, int, Any]]]:
    """A where document with holes (("hole", i)) and, per hole, (field, operator, list length,
    the strategy of its values)."""
    holes: list[tuple[str, str, int, Any]] = []
    conds: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(sorted(OPS)))
        op = draw(st.sampled_from(OPS[field]))
        if op == "$exists":
            conds.append({field: {"$exists": draw(st.booleans())}})
            continue
        if op == "$regex":
            holes.append((field, op, -1, None))
            conds.append({field: {"$regex": ("hole", len(holes) - 1), **draw(st.sampled_from([{}, {"$options": "i"}]))}})
            continue
        n = draw(st.integers(0, 3)) if op in ("$in", "$nin") else -1
        holes.append((field, op, n, typed(field, draw)))
        hole = ("hole", len(holes) - 1)
        conds.append({field: hole} if op == "=" else {field: {op: hole}})
    if draw(st.booleans()):
        holes.append(("relatedTo", "", -1, None))
        conds.append({"$relatedTo": {"object": ("hole", len(holes) - 1), "key": "related"}})
    join = draw(st.sampled_from(["$and", "$or", "plain"]))
    if join == "plain":
        where: dict[str, Any] = {}
        for c in conds:
            for k, v in c.items():
                where.setdefault(k, v)  # one key per field, as JSON has
        return where, holes
    return {join: conds}, holes


def fill(where: Any, values: list[Any]) -> Any:
    if isinstance(where, tuple) and where[0] == "hole":
        return values[where[1]]
    if isinstance(where, dict):
        return {k: fill(v, values) for k, v in where.items()}
    if isinstance(where, list):
        return [fill(v, values) for v in where]
    return where


def hole_values(draw: st.DrawFn, holes: list[tuple[str, str, int, Any]]) -> list[Any]:
    out: list[Any] = []
    for field, op, n, strategy in holes:
        if field == "relatedTo":
            out.append(P("Post", draw(st.sampled_from(["p1", "p2", "p9"]))))
        elif op == "$regex":
            out.append(draw(st.sampled_from(["a", "^b", "A", "(", "z+"])))
        elif n >= 0:
            out.append(draw(st.lists(scalar_like(strategy), min_size=n, max_size=n)))
        else:
            out.append(draw(scalar_like(strategy)))
    return out


@settings(deadline=None, max_examples=int(__import__("os").environ.get("QL_N", "8")))
@given(st.data())
def test_kept_plans_of_where_documents_equal_fresh_plans(dbs, data):
    """One where shape, five sets of values: each plan equals the plan a database without the
    cache makes (or its error), each answer that database's and the reference evaluator's."""
    cached, fresh = dbs
    shape, holes = data.draw(where_shapes())
    order = data.draw(st.sampled_from([None, "-likes"]))
    hits = cached._plans.hits
    for _ in range(5):
        where = fill(shape, hole_values(data.draw, holes))
        same_three_ways(cached, fresh, where, order=order, limit=2, skip=data.draw(st.sampled_from([None, 1])))
    event(f"kept plan used: {cached._plans.hits > hits}")


# --- schema changes ---------------------------------------------------------------------------

def _learnt(db: querylang.Database, where: dict[str, Any], values: list[Any]) -> None:
    """Run a where shape until its plan is kept and bound from (a hit)."""
    hits = db._plans.hits
    for v in values:
        db.find("Post", fill(where, [v]))
    assert db._plans.hits > hits


def test_define_class_and_add_field_drop_kept_plans():
    """A plan kept for ``likes`` on a Number field must not answer once the schema is another
    one: after add_field the kept plans are dropped, and a query on the new field (which the
    old schema refused) and on the old one are both right."""
    db = querylang.connect()
    db.load(DOC)
    shape = {"likes": {"$gt": ("hole", 0)}}
    _learnt(db, shape, [1, 2, 3, 4])
    schema = db.schema
    db.add_field("Post", "score", "Number")
    assert db.schema is not schema
    hits = db._plans.hits
    assert db.find("Post", {"likes": {"$gt": 5}}).ids == ["p2", "p3"]
    assert db._plans.hits == hits  # planned afresh, not bound from the old schema's plan
    db.save("Post", "p1", {"score": 4})
    assert db.find("Post", {"score": {"$gt": 3}}).ids == ["p1"]
    db.define_class("Post", {"likes2": {"type": "String"}})
    hits = db._plans.hits
    assert db.find("Post", {"likes": {"$gt": 2}}).ids == ["p1", "p2", "p3"]
    assert db._plans.hits == hits


def test_a_load_drops_kept_plans():
    """A load (here of another class) makes a new schema: a plan kept before it is planned
    afresh after it, and a value of the wrong type is still the builder's error."""
    db = querylang.connect()
    doc = {"classes": {"Post": {"fields": {"n": {"type": "String"}}}},
           "records": {"Post": [{"objectId": "a", "n": "1"}, {"objectId": "b", "n": "2"}]}}
    db.load(doc)
    for v in ("1", "2", "3", "1"):
        db.find("Post", {"n": {"$lt": v}})
    hits = db._plans.hits
    assert db.find("Post", {"n": {"$lt": "2"}}).ids == ["a"]
    assert db._plans.hits > hits
    db.load({"classes": {"Thing": {"fields": {"n": {"type": "Number"}}}},
             "records": {"Thing": [{"objectId": "t", "n": 5}]}})
    hits = db._plans.hits
    assert db.find("Post", {"n": {"$lt": "2"}}).ids == ["a"]
    assert db._plans.hits == hits
    with pytest.raises(querylang.QueryError):
        db.find("Post", {"n": {"$lt": 2}})  # a number for a String field: still the builder's error


def test_a_schema_change_between_learning_and_binding_plans_on_the_new_schema():
    """Two plannings teach the cache; the schema changes (a dangling Relation edge makes the SQL
    check targets); the next call must plan on the new schema, not bind the old plan."""
    db = querylang.connect()
    db.load(DOC)
    where = {"$relatedTo": {"object": P("Post", "p1"), "key": "related"}}
    before = db.compile("Post", where_to_filter(where)).sql
    db.compile("Post", where_to_filter({"$relatedTo": {"object": P("Post", "p2"), "key": "related"}}))
    db.add_relation("Post", "p1", "related", "p404")
    after = db.compile("Post", where_to_filter({"$relatedTo": {"object": P("Post", "p3"), "key": "related"}}))
    assert after.sql != before
    assert db.find("Post", {"$relatedTo": {"object": P("Post", "p1"), "key": "related"}}).ids == ["p2"]


def test_a_changed_filter_object_after_the_query_changes_nothing(dbs):
    """The cache keeps the operands of the plannings it learns from: a caller that changes its
    filter object afterwards must not teach it a wrong plan."""
    cached, fresh = dbs
    for user in ("u1", "u2", "u1", "u2"):
        where = {"author": {"equalTo": P("User", user)}}
        got = cached.query("Post", where)
        where["author"]["equalTo"]["objectId"] = "u9"
        assert got.ids == fresh.query("Post", {"author": {"equalTo": P("User", user)}}).ids
    for user in ("u2", "u1"):
        assert cached.query("Post", {"author": {"equalTo": P("User", user)}}).ids == fresh.query(
            "Post", {"author": {"equalTo": P("User", user)}}).ids


def test_where_documents_on_both_engines(engine):
    """Pointers, lists of them, Dates and numbers bound into kept plans: each plan equals the
    one made without the cache, each answer the reference's, on DuckDB and on PostgreSQL."""
    cached, fresh = engine(), engine()
    for d in (cached, fresh):
        d.load(DOC)
    fresh.plan_cache = False
    hits = cached._plans.hits
    for u, v, likes, iso in [("u1", "u2", 1, "2024-01-01T00:00:00.000Z"), ("u2", "u9", 3, "2023-05-06T07:08:09.123Z"),
                             ("u9", "u1", 2**53 + 1, "2024-01-03T00:00:00.000Z"), ("u1", "u1", 0, "2024-01-02T00:00:00.000Z")]:
        for where in ({"author": {"$in": [P("User", u), P("User", v)]}, "likes": {"$gte": likes}},
                      {"$or": [{"author": P("User", u)}, {"publishedAt": {"$lt": D(iso)}}]},
                      {"$relatedTo": {"object": P("Post", "p" + u[1]), "key": "related"}}):
            same_three_ways(cached, fresh, where, order="-likes")
    assert cached._plans.hits > hits


def test_a_filter_nested_too_deeply_is_the_builders_error(dbs):
    """Reading a filter's shape recursed once per level: one nested some thousands of levels
    deep was Python's RecursionError, not the builder's LimitExceeded."""
    cached, _ = dbs
    where: dict[str, Any] = {"title": {"equalTo": "a"}}
    for _ in range(5000):
        where = {"and": [where]}
    with pytest.raises(querylang.LimitExceeded):
        cached.query("Post", where)


def test_a_large_filter_plans_the_whole_way_and_is_not_kept():
    """A list longer than an input list may be is a literal, part of the key: each distinct
    containedIn of thousands of ids was a kept entry of its own, holding them all, and so was
    each long string. A filter past MAX_NODES items or MAX_CHARS characters plans
    the whole way, answering as before."""
    cached, fresh = cached_and_fresh()
    for k in range(3):
        ids = [f"p{k}-{j}" for j in range(2_000)] + ["p1"]
        for where in ({"objectId": {"$in": ids}}, {"tags": {"$all": ["x" * 70_000 + str(k)]}},
                      {"title": {"$in": ["a", "x" * 70_000 + str(k)]}}):
            same_three_ways(cached, fresh, where)
    assert len(cached._plans._plans) == 0
    for _ in range(3):  # a small one is still kept
        same_three_ways(cached, fresh, {"objectId": {"$in": ["p1", "p2"]}})
    assert len(cached._plans._plans) == 1

"""Contract violations of the plan cache (querylang/plan_cache.py): with the cache on, compile
and query must give exactly what a database with ``plan_cache = False`` gives."""

from __future__ import annotations

import threading
from typing import Any

import pytest

import querylang
import querylang.queries as queries
from tests.test_plan_cache import cached_and_fresh, outcome

SCRIPT = "where({ likes: { greaterThan: Inputs.N } })"


@pytest.fixture
def dbs() -> tuple[querylang.Database, querylang.Database]:
    return cached_and_fresh()  # fresh per test: some tests change the schema


def _prime(db: querylang.Database, **kw: Any) -> None:
    """Two plannings teach the cache, the third is bound from the kept plan."""
    for n in (1, 2, 3):
        db.compile("Post", SCRIPT, inputs={"N": n}, **kw)


# 1. The cache key holds the raw limit, and True == 1, False == 0 (same hash): a bool limit,
#    which the builder rejects, is served the plan kept for limit=1 / limit=0.
@pytest.mark.parametrize(("good", "bad"), [(1, True), (0, False)])
def test_bool_limit_is_still_rejected_after_a_kept_plan(dbs, good, bad):
    cached, fresh = dbs
    _prime(cached, limit=good)
    want = outcome(fresh, SCRIPT, {"N": 4}, limit=bad)
    assert want[0] == "error"
    assert outcome(cached, SCRIPT, {"N": 4}, limit=bad) == want


def test_bool_limit_query_is_still_rejected_after_a_kept_plan(dbs):
    cached, _ = dbs
    for n in (1, 2, 3):
        cached.query("Post", SCRIPT, inputs={"N": n}, limit=0)
    with pytest.raises(querylang.QueryTypeError, match="limit must be a whole number"):
        cached.query("Post", SCRIPT, inputs={"N": 4}, limit=False)


# 2. A bound plan only looks at the inputs the script reads; the whole way converts every
#    input (to_js) and rejects values with no JavaScript meaning.
@pytest.mark.parametrize(
    "extra",
    [{1: 2}, {"Other": object()}, {"Other": {"a": {1, 2}}}, {"Other": 10**400}],
    ids=["non-str key", "object", "set inside", "int beyond a double"],
)
def test_unused_bad_inputs_are_still_rejected_after_a_kept_plan(dbs, extra):
    cached, fresh = dbs
    _prime(cached)
    inputs = {"N": 4, **extra}
    want = outcome(fresh, SCRIPT, inputs)
    assert want[0] == "error"
    assert outcome(cached, SCRIPT, inputs) == want


# 3. A planning that started before a schema change finishes after it and stores (or learns
#    from) a plan of the old schema under the new one: the dangling-edge check is lost.
def test_a_planning_racing_a_schema_change_does_not_keep_a_stale_plan(dbs, monkeypatch):
    cached, fresh = dbs
    script = "where({ related: { pointsTo: Inputs.P } })"
    cached.compile("Post", script, inputs={"P": "p1"})  # first sighting, old schema
    real = queries.compile_query
    entered, go = threading.Event(), threading.Event()

    def slow(q: Any, schema: Any, **kw: Any) -> Any:
        if threading.current_thread().name == "slow":
            entered.set()
            go.wait(5)
        return real(q, schema, **kw)

    monkeypatch.setattr(queries, "compile_query", slow)
    t = threading.Thread(target=lambda: cached.compile("Post", script, inputs={"P": "p2"}), name="slow")
    t.start()
    assert entered.wait(5)
    for db in (cached, fresh):
        db.add_relation("Post", "p1", "related", "p404")  # dangling edge: a new schema object
    cached.compile("Post", script, inputs={"P": "p3"})  # new schema: the cache is cleared
    go.set()
    t.join()
    monkeypatch.setattr(queries, "compile_query", real)
    assert outcome(cached, script, {"P": "p2"}) == outcome(fresh, script, {"P": "p2"})
    assert cached.query("Post", script, inputs={"P": "p404"}).ids == fresh.query("Post", script, inputs={"P": "p404"}).ids == []


# 4. (Aliasing) the plan handed to the first caller is the one kept: its columns list is shared
#    with every later bound plan, so a caller's change to it shows up in other callers' plans.
def test_bound_plans_do_not_share_lists_with_returned_plans(dbs):
    cached, fresh = dbs
    first = cached.compile("Post", SCRIPT, inputs={"N": 1})
    first.columns.append("bogus")
    cached.compile("Post", SCRIPT, inputs={"N": 2})
    third = cached.compile("Post", SCRIPT, inputs={"N": 3})
    assert third.columns == fresh.compile("Post", SCRIPT, inputs={"N": 3}).columns

"""A plan-cached script query found by its own arguments (PlanCache.by_lane, Queries._lane):
whatever a call's arguments are, its answer or error is the one planning from scratch gives."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

import querylang

from .test_plan_cache import _like, cached_and_fresh, scripts

SCRIPT = "where({ likes: { greaterThan: Inputs.Min } })"
LIKES = [0, 1, 2, 4]  # each a new value: the cache learns from the first three and binds the fourth


def answer(db: querylang.Database, script: str, inputs: Any, **kw: Any) -> tuple[Any, ...]:
    try:
        res = db.query("Post", script, inputs=inputs, **kw)
    except querylang.QueryError as exc:
        return ("error", type(exc).__name__, str(exc))
    return ("rows", res.ids, res.count)


def laned(db: querylang.Database, **kw: Any) -> querylang.Database:
    """``db`` once SCRIPT's call with ``kw`` has its lane: each later call takes it."""
    for v in LIKES:
        db.query("Post", SCRIPT, inputs={"Min": v}, **kw)
    hits = db._plans.hits
    db.query("Post", SCRIPT, inputs={"Min": -1}, **kw)
    assert db._plans.hits == hits + 1 and db._plans._lanes, "the call did not take a lane"
    return db


def _undated(value: Any) -> Any:
    """Records without their dates (the two databases were loaded at different moments)."""
    if isinstance(value, list):
        return [_undated(v) for v in value]
    if isinstance(value, dict):
        return {k: _undated(v) for k, v in value.items() if k not in ("createdAt", "updatedAt")}
    return value


@pytest.fixture
def dbs() -> tuple[querylang.Database, querylang.Database]:
    return cached_and_fresh()


@pytest.fixture(scope="module")
def loaded_once() -> Iterator[tuple[querylang.Database, querylang.Database]]:
    """One pair for every example of a property: its queries only read, and opening and
    loading two databases cost more than the queries an example runs."""
    cached, fresh = cached_and_fresh()
    yield cached, fresh
    cached.close()
    fresh.close()


@given(st.data())
def test_runs_of_queries_answer_as_fresh_plans(loaded_once, data: st.DataObject) -> None:
    """Runs of one script's queries with new inputs (the fifth and later take its lane, when
    the inputs keep their types), each answered or refused as without the cache."""
    cached, fresh = loaded_once
    cached.clear_cache()  # each run starts with no plan kept, as on a database just loaded
    script, names = data.draw(scripts())
    first = {n: data.draw(strategy) for n, strategy in names.items()}
    kw = data.draw(st.sampled_from([{}, {"limit": 2}, {"skip": 1}, {"limit": 0, "count": True}, {"sort": ["-likes"]}]))
    hits = cached._plans.hits
    for inputs in [first, *({n: _like(data.draw, v) for n, v in first.items()} for _ in range(6))]:
        assert answer(cached, script, inputs, **kw) == answer(fresh, script, inputs, **kw), inputs
    event(f"lane taken: {bool(cached._plans._lanes) and cached._plans.hits > hits}")


@pytest.mark.parametrize(
    ("made", "then"),
    [
        # A key equal to the lane's, with a value the slow way refuses (1 == True as a key).
        ({"limit": 1}, {"limit": True}),
        ({"count": True}, {"count": 1}),
        ({"strict": False}, {"strict": 0}),
        ({"skip": 1}, {"skip": True}),
        ({"skip": 1}, {"skip": 1.0}),
        ({"skip": 2}, {"skip": 2.5}),
        ({"skip": 2}, {"skip": -1}),
        ({"sort": ["likes"]}, {"sort": ("likes",)}),
        ({"sort": ["likes"]}, {"sort": "likes"}),
        ({"sort": "-likes"}, {"sort": ["-likes", 3]}),
        ({}, {"skip": 0}),
    ],
)
def test_arguments_equal_as_keys_answer_as_their_own(dbs, made: dict[str, Any], then: dict[str, Any]) -> None:
    cached, fresh = dbs
    laned(cached, **made)
    for v in (5, -3):
        assert answer(cached, SCRIPT, {"Min": v}, **then) == answer(fresh, SCRIPT, {"Min": v}, **then)


@pytest.mark.parametrize(
    "inputs",
    [
        {"Min": "3"},  # another signature
        {"Min": None},  # null plans another shape
        {},  # missing: the condition is dropped
        {"Min": 1, "Other": object()},  # an input the script does not read, with no JavaScript meaning
        {"Min": 1, "Other": "x"},
        {"Min": float("nan")},
        {"Min": 2**64},
    ],
)
def test_inputs_a_lane_cannot_bind_answer_as_fresh_plans(dbs, inputs: dict[str, Any]) -> None:
    cached, fresh = dbs
    laned(cached)
    assert answer(cached, SCRIPT, inputs) == answer(fresh, SCRIPT, inputs)
    assert answer(cached, SCRIPT, {"Min": 3}) == answer(fresh, SCRIPT, {"Min": 3})  # and the lane after it


def test_inputs_that_are_no_dict_do_not_take_a_lane(dbs) -> None:
    from types import MappingProxyType

    cached, fresh = dbs
    laned(cached)
    proxy = MappingProxyType({"Min": 3})
    assert answer(cached, SCRIPT, proxy) == answer(fresh, SCRIPT, proxy)
    assert answer(cached, SCRIPT, []) == answer(fresh, SCRIPT, [])


def test_max_rows_set_after_a_lane_is_made_applies(dbs) -> None:
    cached, _ = dbs
    laned(cached)
    cached.max_rows = 1
    with pytest.raises(querylang.LimitExceeded):
        cached.query("Post", SCRIPT, inputs={"Min": 0})
    cached.max_rows = None
    assert cached.query("Post", SCRIPT, inputs={"Min": 0}).ids == ["p1", "p2", "p3"]


def test_max_rows_lifted_after_a_lane_is_made_applies(dbs) -> None:
    """A lane made under max_rows (its statement reads one row more than allowed) is not the
    one a call without it takes."""
    cached, _ = dbs
    cached.max_rows = 1
    for v in (2**60, 2**61, 2**62, 2**63, 2**64):  # no rows: within max_rows
        assert cached.query("Post", SCRIPT, inputs={"Min": v}).ids == []
    assert cached._plans._lanes
    cached.max_rows = None
    assert cached.query("Post", SCRIPT, inputs={"Min": 0}).ids == ["p1", "p2", "p3"]


def test_a_schema_change_and_clear_cache_drop_lanes(dbs) -> None:
    cached, fresh = dbs
    laned(cached)
    cached.clear_cache()
    assert not cached._plans._lanes
    script = "where({ related: { pointsTo: Inputs.P } })"
    for p in ("p1", "p2", "p3", "p1", "p2"):
        assert answer(cached, script, {"P": p}) == answer(fresh, script, {"P": p})
    assert cached._plans._lanes
    for db in (cached, fresh):  # a dangling edge: the SQL checks the targets again (a new schema)
        db.add_relation("Post", "p1", "related", "p404")
    hits = cached._plans.hits
    assert answer(cached, script, {"P": "p404"}) == answer(fresh, script, {"P": "p404"}) == ("rows", [], None)
    assert cached._plans.hits == hits, "a plan made for the old schema was used"
    for p in ("p1", "p2", "p3", "p1", "p2"):
        assert answer(cached, script, {"P": p}) == answer(fresh, script, {"P": p})


def test_plan_cache_off_takes_no_lane(dbs) -> None:
    cached, _ = dbs
    laned(cached)
    cached.plan_cache = False
    hits = cached._plans.hits
    assert cached.query("Post", SCRIPT, inputs={"Min": 3}).ids == ["p2", "p3"]
    assert cached._plans.hits == hits


def test_a_lane_and_include_select_cancel(dbs) -> None:
    """include and select read otherwise (no lane); cancel takes it, and a set one still stops."""
    import threading

    cached, fresh = dbs
    laned(cached)
    script = "where({ likes: { greaterThan: Inputs.Min } })"
    for kw in ({"include": "author"}, {"select": "likes"}, {"cancel": threading.Event()}):
        got = cached.query("Post", script, inputs={"Min": 1}, **kw)
        want = fresh.query("Post", script, inputs={"Min": 1}, **kw)
        assert _undated(got.records) == _undated(want.records)
    cancel = threading.Event()
    for v in LIKES:
        cached.query("Post", script, inputs={"Min": v}, cancel=cancel)
    cancel.set()
    with pytest.raises(querylang.QueryCancelled):
        cached.query("Post", script, inputs={"Min": 1}, cancel=cancel)


class _Unequal:
    """A skip whose comparison with 0 raises (as Decimal('sNaN')'s does)."""

    def __eq__(self, other: object) -> bool:
        raise ArithmeticError("no comparing")

    __ne__ = __eq__
    __hash__ = object.__hash__


@pytest.mark.parametrize("skip", [pytest.param(__import__("decimal").Decimal("sNaN"), id="sNaN"), _Unequal()])
def test_a_skip_that_cannot_be_compared_is_refused_as_without_the_cache(dbs, skip: object) -> None:
    """The lane's key is made before the call's arguments are checked: a skip it cannot
    compare with 0 is the build's error, not Python's."""
    cached, fresh = dbs
    want = answer(fresh, SCRIPT, {"Min": 1}, skip=skip)
    assert want[:2] == ("error", "QueryTypeError")
    assert answer(cached, SCRIPT, {"Min": 1}, skip=skip) == want
    laned(cached, skip=2)
    assert answer(cached, SCRIPT, {"Min": 1}, skip=skip) == want


def test_a_kept_plan_filled_is_the_plan_its_fields_make() -> None:
    """_fill copies the kept plan's __dict__ rather than calling Plan(...): a Plan with slots,
    a __post_init__ or a new mutable field would make the copy wrong or (caught as a value the
    builder rejects) every kept plan go the whole way, unseen by the answers."""
    import dataclasses

    from querylang.engines.sql.compiler import Plan
    from querylang.engines.sql.plan_cache import _fill

    cached, _ = cached_and_fresh()
    laned(cached)
    lane = next(iter(cached._plans._lanes.values()))
    filled = _fill(lane.bound, {"Min": 7})
    kept = lane.bound.plan
    made = dataclasses.replace(kept, params=list(filled.params), columns=list(kept.columns),
                               where_params=list(filled.where_params), count_params=list(filled.count_params))
    assert filled == made and type(filled) is Plan and 7 in filled.params
    lists = {"params", "columns", "where_params", "count_params"}
    for f in dataclasses.fields(Plan):
        value = getattr(filled, f.name)
        if f.name in lists:
            assert value is not getattr(kept, f.name), f"{f.name} is the kept plan's own list"
        else:  # shared with the kept plan and every other call's: nothing a caller can change
            hash(value)
            assert not isinstance(value, list | dict | set), f"Plan.{f.name} is shared and mutable"
    assert not hasattr(Plan, "__post_init__") and "__slots__" not in vars(Plan)
    # Nothing but the fields in a plan's __dict__: a cached_property's value, worked out from
    # the kept plan's params, would be copied into every filled plan as it was.
    assert set(vars(filled)) == set(vars(kept)) == {f.name for f in dataclasses.fields(Plan)}


class _Name(str):
    """An input name of a str subclass: the build refuses it ('input names must be strings')."""


@pytest.mark.parametrize("mapping", [dict, __import__("types").MappingProxyType], ids=["lane", "kept plan"])
def test_an_input_name_of_a_str_subclass_is_refused_as_without_the_cache(dbs, mapping: Any) -> None:
    """Its key equals the name the script reads, so the kept plan found the value under it
    and bound it: the cache answered where planning afresh refuses."""
    cached, fresh = dbs
    laned(cached)
    inputs = mapping({_Name("Min"): 1})
    want = answer(fresh, SCRIPT, inputs)
    assert want[:2] == ("error", "QueryTypeError")
    assert answer(cached, SCRIPT, inputs) == want
    assert answer(cached, SCRIPT, {"Min": 3}) == answer(fresh, SCRIPT, {"Min": 3})


def test_a_sort_list_changed_while_the_call_waits_keys_no_lane_for_its_old_value(dbs) -> None:
    """The lane's key is made before the call waits for the store (a load holding it): a
    sort list another thread changed meanwhile was planned as changed, and that plan was kept
    for the sort as the key had it, for every later call with that sort."""
    from contextlib import contextmanager

    cached, fresh = dbs
    laned(cached, sort=["-likes"])
    waiting = cached._reading
    sort = ["likes"]

    @contextmanager
    def reading(cancel: Any) -> Any:
        sort[0] = "-likes"  # another thread, while this call waited
        with waiting(cancel):
            yield

    cached._reading = reading  # type: ignore[method-assign]
    try:
        cached.query("Post", SCRIPT, inputs={"Min": 0}, sort=sort)
    finally:
        del cached._reading
    for v in (0, 1):
        assert answer(cached, SCRIPT, {"Min": v}, sort=["likes"]) == answer(fresh, SCRIPT, {"Min": v}, sort=["likes"])


def test_max_rows_set_while_the_call_waits_keys_no_lane_for_its_old_value(dbs) -> None:
    """As a sort list: the key had no max_rows, the plan its hit kept read two rows at most,
    and every later call without max_rows took it (two records of three, no error)."""
    from contextlib import contextmanager

    cached, fresh = dbs
    cached.max_rows = 1
    for v in (2**60, 2**61, 2**62, 2**63):  # no rows: within max_rows
        cached.query("Post", SCRIPT, inputs={"Min": v})
    cached.max_rows = None
    waiting = cached._reading

    @contextmanager
    def reading(cancel: Any) -> Any:
        cached.max_rows = 1  # another thread, while this call waited
        with waiting(cancel):
            yield

    cached._reading = reading  # type: ignore[method-assign]
    try:
        cached.query("Post", SCRIPT, inputs={"Min": 2**64})
    finally:
        del cached._reading
        cached.max_rows = None
    assert answer(cached, SCRIPT, {"Min": 0}) == answer(fresh, SCRIPT, {"Min": 0}) == ("rows", ["p1", "p2", "p3"], None)

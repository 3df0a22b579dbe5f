"""The plan cache with scripts that change their own arrays (pop, shift, unshift, splice,
fill, copyWithin) or read them from the end: whatever an input makes the script do, the
query answered with the plan cache is the one answered without it, error for error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.engines.sql.plan_cache import template_of
from querylang.script.parser import parse_script
from tests.test_plan_cache import cached_and_fresh, outcome

# Each script's control flow or filter shape depends on its inputs through an array it made.
SCRIPTS = [
    # which condition is kept depends on what pop() removed
    "const xs = [...Inputs.Xs]\nconst last = xs.pop()\n"
    "if (last === undefined) where({ likes: { greaterThan: 100 } })\n"
    "else where({ likes: { greaterThan: xs.length }, title: { containedIn: [...xs, last] } })",
    # an input's length moves an element across the splice
    "const xs = Array.from(Inputs.Xs)\nconst gone = xs.splice(Inputs.At, 1)\n"
    "where(gone.length ? { title: { equalTo: gone[0] } } : { likes: { lessThan: xs.length } })",
    # the shape of the filter (and or not) comes from what shift/unshift leave
    "const xs = Inputs.Xs.slice()\nxs.unshift(Inputs.At)\nconst first = xs.shift()\n"
    "where(xs.length > 1 ? { or: xs.map(t => ({ title: { equalTo: t } })) } : { likes: { greaterThan: first } })",
    # fill and copyWithin decide which values the filter names
    "const xs = [...Inputs.Xs, 'a', 'b']\nxs.fill(Inputs.Fill, Inputs.At)\nxs.copyWithin(0, -1)\n"
    "where({ title: { containedIn: xs } })",
    # searches from the end and toSpliced/with: a copy changed, the input kept
    "const i = Inputs.Xs.findLastIndex(t => t === 'b')\n"
    "const ys = i < 0 ? Inputs.Xs.toSpliced(0, 0, 'a') : Inputs.Xs.with(i, 'c')\n"
    "where(ys.reduceRight((o, t, k) => k === 0 ? { ...o, title: { containedIn: ys } } : o, { likes: { greaterThan: ys.length } }))",
]

INPUTS = st.fixed_dictionaries(
    {
        "Xs": st.lists(st.sampled_from(["a", "b", "c", "", None, 3]), max_size=4),
        "At": st.one_of(st.integers(-5, 5), st.sampled_from([None, "1", 2.5])),
        "Fill": st.sampled_from(["a", "b", 2, None]),
    }
)


@pytest.fixture(scope="module")
def dbs() -> tuple[querylang.Database, querylang.Database]:
    return cached_and_fresh()


def _same(cached: querylang.Database, fresh: querylang.Database, script: str, inputs: dict[str, Any]) -> None:
    want = outcome(fresh, script, inputs)
    assert outcome(cached, script, inputs) == want, inputs
    if want[0] == "plan":
        assert cached.query("Post", script, inputs=inputs).ids == fresh.query("Post", script, inputs=inputs).ids


@pytest.mark.parametrize("script", SCRIPTS, ids=range(len(SCRIPTS)))
def test_edited_arrays_answer_as_without_the_cache(dbs, script):
    cached, fresh = dbs
    # The same script three times with each input, so a plan kept for one would be bound to
    # the next; then inputs whose control flow differs, one after the other.
    for inputs in [{"Xs": ["a", "c"], "At": 0, "Fill": "b"}, {"Xs": [], "At": 1, "Fill": 2},
                   {"Xs": ["b", "a", "c"], "At": -1, "Fill": None}, {"Xs": ["b"], "At": 5, "Fill": "a"},
                   {"Xs": ["a", 3], "At": "1", "Fill": "c"}]:
        for _ in range(3):
            _same(cached, fresh, script, inputs)


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(SCRIPTS) - 1), runs=st.lists(INPUTS, min_size=2, max_size=5))
def test_edited_arrays_with_generated_inputs(dbs, index: int, runs: list[dict[str, Any]]) -> None:
    cached, fresh = dbs
    # The module's pair (its queries only read), its plans dropped: each example starts with
    # none kept, as on a database just loaded, without opening and loading two per example.
    cached.clear_cache()
    for inputs in runs + runs:
        _same(cached, fresh, SCRIPTS[index], inputs)


def test_the_scripts_are_run_not_bound() -> None:
    """None is a template: each is run for its inputs (the cache keeps no plan to bind)."""
    assert all(template_of(parse_script(s)) is None for s in SCRIPTS)

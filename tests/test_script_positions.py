"""The filter-script interpreter (the JavaScript subset): the positions of calls, objects and keys, where the
script wrote them, for error messages further down the pipeline; Inputs are copied."""

from __future__ import annotations

from querylang.model.jsvalues import JSObject
from querylang.script.interpreter import run_script

# ------------------------------------------------------------------------------------------
# Positions: where the script wrote things, for error messages further down the pipeline


def test_positions_of_calls_objects_and_keys() -> None:
    script = "const x = 1\n  where({ Owner: { pointsTo: x },\n    'b': 2 })\nsort(['a'])"
    r = run_script(script)
    assert r.where_pos == (2, 3)
    assert r.sort_pos == (4, 1)
    assert r.where.pos == (2, 9)
    assert r.where.positions == {"Owner": (2, 11), "b": (3, 5)}
    assert r.where["Owner"].pos == (2, 18)
    assert r.where["Owner"].positions == {"pointsTo": (2, 20)}


def test_positions_of_shorthand_and_computed_keys() -> None:
    r = run_script("const k = 'n'\nwhere({ k, [k + 1]: 2 })")
    assert r.where == {"k": "n", "n1": 2}
    assert r.where.positions == {"k": (2, 9), "n1": (2, 13)}


def test_positions_of_the_last_call_win() -> None:
    r = run_script("where({ a: 1 })\n  filter({ b: 2 })")
    assert r.where_pos == (2, 3)
    assert r.where.pos == (2, 10)


def test_positions_count_columns_after_multiline_tokens() -> None:
    r = run_script("const t = `a\nbc`; where({ x: 1 })")
    assert r.where_pos == (2, 6)
    r = run_script("/* one\n two */ where({ x: 1 })")
    assert r.where_pos == (2, 9)


def test_copies_of_inputs_are_not_the_callers_objects() -> None:
    inputs = {"F": {"a": [1, 2]}}
    r = run_script("where(Inputs.F)", inputs)
    assert r.where == {"a": [1, 2]} and isinstance(r.where, JSObject)
    assert r.where is not inputs["F"] and r.where["a"] is not inputs["F"]["a"]

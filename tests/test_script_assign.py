"""Property assignment in filter scripts: `q.score = ...`, `q['tags'] = ...`, `a[i] = ...`.

Noodl users build a filter object step by step; the JavaScript meaning is checked against
Node in tests/test_script_node.py, the refusals (inputs, built-ins, holes) here.
"""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.engines.sql.plan_cache import template_of
from querylang.errors import LimitExceeded, QueryError, QuerySyntaxError, ScriptError
from querylang.script import run_script
from querylang.script.parser import parse_script

NOODL_STEPWISE = (
    "const q = {};\n"
    "if (Inputs.Min) q.score = { greaterThan: Inputs.Min };\n"
    "if (Inputs.Tag) q['tags'] = { containedIn: [Inputs.Tag] };\n"
    "where(q)"
)

DOC = {
    "classes": {"Post": {"fields": {"score": {"type": "Number"}, "tags": {"type": "Array"}}}},
    "records": {
        "Post": [
            {"objectId": "p1", "score": 1, "tags": ["a"]},
            {"objectId": "p2", "score": 5, "tags": ["b"]},
            {"objectId": "p3", "score": 9, "tags": ["a", "c"]},
        ]
    },
}


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    db = querylang.connect()  # DuckDB
    db.load(DOC)
    return db


def test_the_noodl_stepwise_filter_runs_on_duckdb(db: querylang.Database) -> None:
    assert sorted(db.query("Post", NOODL_STEPWISE, inputs={"Min": 3}).ids) == ["p2", "p3"]
    assert db.query("Post", NOODL_STEPWISE, inputs={"Min": 3, "Tag": "a"}).ids == ["p3"]
    assert sorted(db.query("Post", NOODL_STEPWISE, inputs={}).ids) == ["p1", "p2", "p3"]
    assert db.query("Post", NOODL_STEPWISE, inputs={"Tag": "b"}).ids == ["p2"]


def test_a_shape_built_from_inputs_never_reuses_another_inputs_plan(db: querylang.Database) -> None:
    """The filter's shape depends on the inputs through assignments: not a template, so each
    run is planned from its own filter, however often the signatures repeat."""
    assert template_of(parse_script(NOODL_STEPWISE)) is None
    fresh = querylang.connect()
    fresh.load(DOC)
    fresh.plan_cache = False
    runs: list[dict[str, Any]] = [{"Min": 3}, {"Tag": "a"}, {"Min": 3}, {"Tag": "a"}, {"Min": 3, "Tag": "c"}]
    for inputs in runs * 2:
        kept, planned = db.compile("Post", NOODL_STEPWISE, inputs=inputs), fresh.compile("Post", NOODL_STEPWISE, inputs=inputs)
        assert (kept.sql, kept.params) == (planned.sql, planned.params), inputs
        assert db.query("Post", NOODL_STEPWISE, inputs=inputs).ids == fresh.query("Post", NOODL_STEPWISE, inputs=inputs).ids
    assert db.compile("Post", NOODL_STEPWISE, inputs={"Min": 3}).sql != db.compile("Post", NOODL_STEPWISE, inputs={"Tag": "a"}).sql


@pytest.mark.parametrize(
    ("script", "inputs", "message", "column"),
    [
        ("Inputs.X.y = 1", {"X": {"y": 2}}, "Inputs.X is an input's object: the script did not make it and cannot change it; copy it first: { ...Inputs.X }", 10),
        ("const x = Inputs.X\nx['y'] += 1", {"X": {"y": 2}}, "x is an input's object", 3),
        ("const c = { ...Inputs.X }\nc.n.k = 1", {"X": {"n": {"k": 2}}}, "c.n is an input's object", 5),
        ("Inputs.L[0] = 1", {"L": [1]}, "copy it first: [...Inputs.L]", 10),
        ("$L.length = 0", {"L": [1]}, "$L is an input's array", 4),
        ("Inputs.k = 1", {}, "Inputs cannot be changed by a script; copy it first: { ...Inputs }", 8),
        ("Math.PI = 1", {}, "'Math' is built in and cannot be changed", 6),
        ("JSON.x += 1", {}, "'JSON' is built in and cannot be changed", 6),
        ("where.x = 1", {}, "'where' is built in and cannot be changed", 7),
    ],
)
def test_a_script_cannot_change_what_it_was_given(script: str, inputs: dict[str, Any], message: str, column: int) -> None:
    given = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in inputs.items()}
    with pytest.raises(ScriptError, match=message.replace("[", r"\[").replace("{", r"\{").replace("(", r"\(").replace(".", r"\.").replace("$", r"\$")) as err:
        run_script(script, inputs)
    assert (err.value.line, err.value.column) == (script.count("\n") + 1, column)
    assert inputs == given


@pytest.mark.parametrize(
    ("script", "cls", "message"),
    [
        ("let u\nu.k = 1", ScriptError, r"Cannot set properties of undefined \(setting 'k'\)"),
        ("const o = { a: null }\no.a.b += 1", ScriptError, r"Cannot read properties of null \(reading 'b'\)"),
        ("const s = 'abc'\ns[0] = 'x'", ScriptError, "Cannot create property '0' on string 'abc'"),
        ("const n = 5\nn.k = 1", ScriptError, "Cannot create property 'k' on number 5"),
        ("const d = new Date(0)\nd.k = 1", ScriptError, "properties of a Date cannot be set"),
        ("const a = [1]\na[3] = 2", ScriptError, "cannot set element 3 of an array of 1 elements"),
        ("const a = [1]\na.length = 4", ScriptError, "cannot lengthen an array of 1 elements to 4"),
        ("const a = [1]\na.length = -1", ScriptError, "Invalid array length"),
        ("const a = [1]\na.x = 1", ScriptError, "an array takes only its elements and length"),
        ("const o = {}\no.__proto__ = {}", ScriptError, "'__proto__' is not supported"),
        ("const o = {}\no['constructor'] = 1", ScriptError, "'constructor' is not supported"),
        ("f() = 1", QuerySyntaxError, "Invalid left-hand side in assignment"),
        ("a?.b = 1", QuerySyntaxError, "Invalid left-hand side in assignment"),
        ("where(q.x = 1)", QuerySyntaxError, "an assignment is a statement of its own"),
        ("[1].map(x => o[0] = x)", QuerySyntaxError, "an assignment is a statement of its own"),
    ],
)
def test_assignments_javascript_refuses_or_the_subset_cannot_hold(script: str, cls: type[QueryError], message: str) -> None:
    with pytest.raises(cls, match=message) as err:
        run_script(script)
    assert err.value.line is not None


def test_growing_by_assignment_stays_within_the_limits() -> None:
    # Each assignment costs steps, in callbacks too: an object or array grown by assignment
    # ends at the step limit.
    script = (
        "const o = {}\nconst a = []\nconst b = [...'x'.repeat(1000)]\n"
        "b.forEach(x => b.forEach(y => { o[a.length] = y\n  a[a.length] = y }))\nwhere({ n: a.length })"
    )
    with pytest.raises(LimitExceeded, match="step limit"):
        run_script(script, max_steps=20_000)


@pytest.mark.parametrize(
    ("script", "where"),
    [
        # Noodl calls the script as Function('filter', 'where', 'sort', 'Inputs', $A, ..., code):
        # `var` names a parameter again, keeping its value until assigned, and a parameter can
        # be assigned (Node's own check is in test_script_node.py).
        ("var filter = { a: { equalTo: 1 } }\nwhere(filter)", {"a": {"equalTo": 1}}),
        ("var q = 1\nfilter({ b: 2 })\nvar filter\nfilter({ c: q })", {"c": 1}),
        ("filter = { a: 1 }\nwhere(filter)", {"a": 1}),
        ("var Inputs = { X: 9 }\nInputs.Y = 1\nwhere({ a: Inputs.X, b: $X, c: Inputs.Y })", {"a": 9, "b": 7, "c": 1}),
        ("var $X = 4\nwhere({ a: $X, b: Inputs.X })", {"a": 4, "b": 7}),
    ],
)
def test_the_scripts_parameters_can_be_declared_with_var(script: str, where: dict[str, Any]) -> None:
    assert run_script(script, {"X": 7}).where == where


@pytest.mark.parametrize(
    ("script", "cls", "message"),
    [
        ("let filter = 1", QuerySyntaxError, "Identifier 'filter' has already been declared: it is a parameter"),
        ("where({ a: 1 })\nvar where = 5\nwhere({ b: 2 })", ScriptError, r"where is not a function \(number\)"),
        ("sort = 1\nsort(['a'])", ScriptError, r"sort is not a function \(number\)"),
    ],
)
def test_a_parameter_named_again_is_what_javascript_makes_it(script: str, cls: type[QueryError], message: str) -> None:
    with pytest.raises(cls, match=message):
        run_script(script)


def test_a_write_after_where_does_not_change_the_filter() -> None:
    """Noodl's where() converts its argument when it is called (docs/semantics.md#scripts):
    writing to the object afterwards changes nothing, also deep down; shared and cyclic
    values stay shared in the copy."""
    ran = run_script("const q = { a: 1, l: [1] }\nq.self = q\nq.two = [q.l, q.l]\nwhere(q)\nsort(q.l)\nq.a = 5\nq.l[0] = 2\nq.b = 3")
    assert isinstance(ran.where, dict)
    assert (ran.where["a"], ran.where["l"], "b" in ran.where, ran.sort) == (1, [1], False, [1])
    assert ran.where["self"] is ran.where and ran.where["two"][0] is ran.where["two"][1]
    assert run_script("const r = { x: 1 }\nwhere(r)\nr.y = 1").where == {"x": 1}


@pytest.mark.parametrize(
    ("script", "message", "column"),
    [
        ("Inputs.L.push(2)", "Inputs.L is an input's array: the script did not make it and cannot change it; copy it first: [...Inputs.L]", 10),
        ("$L.sort()", "$L is an input's array", 4),
        ("const l = Inputs.L\nl\n  .reverse()", "l is an input's array", 4),
        ("Object.assign(Inputs.X, { k: 1 })", "Inputs.X is an input's object", 15),
        ("Inputs.L.pop()", "Inputs.L is an input's array", 10),
        ("Inputs.L.shift()", "Inputs.L is an input's array", 10),
        ("$L.unshift(0)", "$L is an input's array", 4),
        ("Inputs['L'].splice(0, 1)", "Inputs['L'] is an input's array", 13),
        ("Inputs.L.fill(0)", "Inputs.L is an input's array", 10),
        ("Inputs.L?.copyWithin(0, 1)", "Inputs.L is an input's array", 11),
        # a method named by a computed key: the array is named without the bracket
        ("Inputs.L['pop']()", "Inputs.L is an input's array: the script did not make it and cannot change it; copy it first: [...Inputs.L]", 10),
        ("Inputs.L?.[ 'fill' ](0)", "Inputs.L is an input's array: the script did not make it and cannot change it; copy it first: [...Inputs.L]", 13),
        ("$L[['push'][0]](1)", "copy it first: [...$L]", 4),
    ],
)
def test_methods_cannot_change_what_the_script_was_given(script: str, message: str, column: int) -> None:
    inputs: dict[str, Any] = {"L": [2, 1], "X": {"j": 1}}
    with pytest.raises(ScriptError) as err:
        run_script(script, inputs)
    assert message in err.value.message
    assert (err.value.line, err.value.column) == (script.count("\n") + 1, column)
    assert inputs == {"L": [2, 1], "X": {"j": 1}}


def test_copies_of_inputs_and_a_change_after_where_by_a_method() -> None:
    ran = run_script("where({ a: Object.assign({}, Inputs.X, { k: 1 }), b: [...Inputs.L].sort() })", {"X": {"j": 2}, "L": [2, 1]})
    assert ran.where == {"a": {"j": 2, "k": 1}, "b": [1, 2]}
    # where() took its argument as it was: push, sort, Object.assign and a Date setter after
    # it change nothing there
    ran = run_script(
        "const a = [2, 1]\nconst q = { x: { containedIn: a } }\nconst d = new Date(0)\nwhere({ q, d })\n"
        "sort(a)\na.push(3)\na.sort()\nObject.assign(q, { y: 1 })\nd.setUTCFullYear(2000)"
    )
    assert isinstance(ran.where, dict)
    assert (ran.where["q"], ran.where["d"].ms, ran.sort) == ({"x": {"containedIn": [2, 1]}}, 0, [2, 1])


def test_copying_methods_leave_the_input_as_it_was() -> None:
    inputs: dict[str, Any] = {"L": [2, 1, 3]}
    ran = run_script(
        "const c = [...Inputs.L]\nc.pop()\nc.fill(0, 1)\n"
        "where({ c, s: Inputs.L.toSpliced(0, 1, 9), f: Array.from(Inputs.L).fill(7), l: Inputs.L })",
        inputs,
    )
    assert ran.where == {"c": [2, 0], "s": [9, 1, 3], "f": [7, 7, 7], "l": [2, 1, 3]}
    assert inputs == {"L": [2, 1, 3]}


def test_changing_an_array_after_where_leaves_what_where_received() -> None:
    ran = run_script("const a = [1, 2, 3]\nwhere({ a })\na.pop()\na.splice(0, 1, 'x')\na.fill(0)\na.unshift(5)")
    assert ran.where == {"a": [1, 2, 3]}

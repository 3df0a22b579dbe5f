"""Hostile input: the script sandbox; a script reaches nothing outside the JavaScript subset
(no Python attribute, eval or exec), and Inputs are neither aliased nor changed."""

from __future__ import annotations

import builtins
import json
import sys
from pathlib import Path

import pytest

from querylang import QueryError, QueryTypeError
from querylang.engines.duckdb.decode import make_decoder
from querylang.engines.postgres.parse_rows import stored_row_decoder
from querylang.model.jsvalues import UNDEFINED
from querylang.script.interpreter import run_script

from . import hostile
from .hostile import SEEDS, check_error

db = hostile.db


# --- 2. the sandbox ------------------------------------------------------------------------------

# (script, the words the error must contain). Each is rejected with a QueryError whose message
# names the construct; none reaches Python's object model or the host.
SANDBOX = [
    ("constructor", "'constructor'"),
    ("__proto__", "'__proto__'"),
    ("prototype", "'prototype'"),
    ("__class__", "'__class__'"),
    ("globalThis", "'globalThis'"),
    ("Function", "'Function'"),
    ("Function('return 1')()", "'Function'"),
    ("new Function('return this')()", "'Function'"),
    ("eval", "'eval'"),
    ("eval('1 + 1')", "'eval'"),
    ("import", "'import'"),
    ("import('os')", "'import'"),
    ("import.meta", "'import'"),
    ("require", "'require'"),
    ("require('child_process')", "'require'"),
    ("while (true) {}", "loops"),
    ("for (;;) {}", "loops"),
    ("do {} while (true)", "loops"),
    ("function f() { return f() }\nf()", "functions"),
    ("(function () {})()", "functions"),
    ("const f = x => f(x)\nf(1)", "too much recursion"),
    ("this", "'this'"),
    ("this.constructor", "'this'"),
    ("process", "'process'"),
    ("process.exit(1)", "'process'"),
    ("window", "'window'"),
    ("global", "'global'"),
    ("self", "'self'"),
    ("module.exports", "'module'"),
    ("Object.getPrototypeOf(Inputs)", "'Object.getPrototypeOf' is not supported"),
    ("Object.constructor", "'constructor'"),
    ("Reflect.get(Inputs, 'a')", "'Reflect'"),
    ("Proxy", "'Proxy'"),
    ("Symbol.iterator", "'Symbol'"),
    ("Promise.resolve()", "'Promise'"),
    ("setTimeout('1', 0)", "'setTimeout'"),
    ("fetch('http://example.org')", "'fetch'"),
    ("Noodl.Records", "'Noodl'"),
    ("Inputs.constructor", "'constructor'"),
    ("Inputs?.constructor", "'constructor'"),
    ("Inputs.a.constructor", "'constructor'"),
    # JavaScript reads Object.prototype's function here: an error, not a quiet undefined
    ("Inputs.toString", "'toString'"),
    ("Inputs.a.valueOf", "'valueOf'"),
    ("''.constructor", "'constructor'"),
    ("''.constructor.constructor('return process')()", "'constructor'"),
    ("(1).constructor", "'constructor'"),
    ("true.__class__", "'__class__'"),
    ("[].__proto__", "'__proto__'"),
    ("Inputs.arr.__proto__", "'__proto__'"),
    ("({}).__proto__", "'__proto__'"),
    ("Inputs['__class__']", "'__class__'"),
    ("Inputs['__proto__']", "'__proto__'"),
    ("Inputs['con' + 'structor']", "'constructor'"),
    ("[]['con' + 'structor']", "'constructor'"),
    ("Inputs?.['__proto__']", "'__proto__'"),
    ("Date.constructor", "'constructor'"),
    ("Date['constructor']", "'constructor'"),
    ("new Date().constructor", "'constructor'"),
    ("Math.constructor", "'constructor'"),
    ("JSON.constructor", "'constructor'"),
    ("String.constructor", "'constructor'"),
    ("/a/.__class__", "'__class__'"),
    ("null.constructor", "'constructor'"),
    ("`${Inputs.constructor}`", "'constructor'"),
    ("typeof Function", "'Function'"),
    ("$constructor", "'constructor'"),
    ("$__proto__", "'__proto__'"),
    ("let constructor = 1", "'constructor'"),
    ("const __proto__ = {}", "'__proto__'"),
    ("let eval = 1", "'eval'"),
    ("const where = 1", "'where'"),
    ("let Inputs = {}", "'Inputs'"),
    ("where({ constructor: 1 })", "'constructor'"),
    ("where({ '__proto__': { equalTo: 1 } })", "'__proto__'"),
    ("where({ ['__proto__']: 1 })", "'__proto__'"),
    ("where({ title: { constructor: 1 } })", "'constructor'"),
    ("Math.__dict__", "Math.__dict__"),
    ("Date.__init__", "Date.__init__"),
    ("where.__self__", "where.__self__"),
    ("where.call", "where.call"),
    ("Number.__call__", "Number.__call__"),
    ("JSON.parse.__globals__", "JSON.parse"),
    ("__import__('os')", "__import__"),
    ("open('/etc/passwd')", "open"),
    ("globals()", "globals"),
    ("__builtins__", "__builtins__"),
    ("'{0.__class__}'.format(Inputs)", "'format'"),
    ("''.__len__()", "'__len__'"),
    ("'x'.__add__('y')", "'__add__'"),
    ("''.encode()", "'encode'"),
    ("Inputs.keys()", "'keys'"),
    ("Inputs.get('a')", "'get'"),
    ("Inputs.hasOwnProperty('a')", "'hasOwnProperty'"),
    ("[].append(1)", "'append'"),
    ("[].__getitem__(0)", "'__getitem__'"),
    ("(1).bit_length()", "'bit_length'"),
    ("new Date().replace", "'replace'"),
    ("new Inputs()", "new Inputs"),
    ("class A {}", "classes"),
    ("with (Inputs) {}", "'with'"),
    ("try {} catch (e) {}", "'try'"),
    ("throw 1", "'throw'"),
    ("delete Inputs.a", "'delete'"),
    ("'a' in Inputs", "'in'"),
    ("Inputs instanceof Object", "'instanceof'"),
    ("[...Inputs.arr.constructor]", "'constructor'"),
    ("x = 1", "not defined"),
]


@pytest.mark.parametrize("script,words", SANDBOX, ids=[s for s, _ in SANDBOX])
def test_sandbox_rejects(db, script, words):
    inputs = {"a": {"b": 1}, "arr": [1, 2]}
    with pytest.raises(QueryError) as info:
        run_script(script, inputs)
    check_error(info.value, script)
    assert words in info.value.message
    assert info.value.line is not None  # every construct is pointed at
    with pytest.raises(QueryError):
        db.query("Post", script, inputs=inputs)


# Names that are not JavaScript properties of the object read as undefined: the lookup sees
# the object's own keys only, never a Python attribute.
UNDEFINED_READS = [
    "Inputs.__dict__",
    "Inputs.__getattribute__",
    "Inputs['__init__']",
    "Inputs.__reduce__",
    "Inputs.pos",
    "Inputs.positions",
    "Inputs.a.__dict__",
]


@pytest.mark.parametrize("expr", UNDEFINED_READS)
def test_sandbox_python_attributes_read_as_undefined(expr):
    ran = run_script(f"where({{ v: {expr} }})", {"a": {"b": 1}})
    assert ran.where["v"] is UNDEFINED


def test_sandbox_never_calls_eval_or_exec(db, monkeypatch):
    """The whole sandbox table, and the seeds, run with Python's eval/exec booby-trapped.

    The row decoders (DuckDB's make_decoder, PostgreSQL's stored_row_decoder) exec source they
    generate from a class's column indices, never from a script, and are built lazily by the
    first query of a class: those two callers alone are let through, so the test passes or
    fails the same whether it runs alone or after tests that built the decoders already.
    """
    real_exec = builtins.exec
    generators = {make_decoder.__code__, stored_row_decoder.__code__}

    def trap(*args, **kwargs):
        raise AssertionError("a filter script reached Python's eval/exec")

    def exec_trap(*args, **kwargs):
        if sys._getframe(1).f_code not in generators:
            trap()
        return real_exec(*args, **kwargs)

    monkeypatch.setattr(builtins, "eval", trap)
    monkeypatch.setattr(builtins, "exec", exec_trap)
    for script, _ in SANDBOX:
        with pytest.raises(QueryError):
            run_script(script, {"a": {}})
    for cls, script, inputs in SEEDS:
        db.query(cls, script, inputs=inputs)


def test_sandbox_inputs_are_not_aliased_or_changed():
    inputs = {"a": {"b": [1, 2]}, "s": "x"}
    before = json.dumps(inputs)
    ran = run_script("const v = Inputs.a\nlet w = v.b.concat([3])\nwhere({ x: v, y: w, z: Inputs.a.b })", inputs)
    assert json.dumps(inputs) == before
    assert ran.where["x"] is not inputs["a"] and ran.where["z"] is not inputs["a"]["b"]


@pytest.mark.parametrize(
    "value",
    [object(), {1, 2}, b"bytes", type, print, Path("/etc/passwd"), {"k": object()}, [lambda: 1]],
    ids=["object", "set", "bytes", "type", "builtin", "Path", "dict-with-object", "list-with-lambda"],
)
def test_sandbox_non_json_inputs_are_rejected(db, value):
    with pytest.raises(QueryTypeError):
        db.query("Post", "where({ title: Inputs.v })", inputs={"v": value})

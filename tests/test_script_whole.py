"""The filter-script interpreter (the JavaScript subset): whole scripts, as a table of (script, inputs,
expected where, expected sort)."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from querylang.model.jsvalues import JSDate, JSRegex
from querylang.script.interpreter import ScriptResult, run_script

from .script_values import INPUTS, NAN, U, same

# ------------------------------------------------------------------------------------------
# Whole scripts: (script, inputs, expected where, expected sort)

SCRIPTS = [
    # the calls: where/filter are one callback, last call wins; never called = undefined
    ("where({ a: 1 })", None, {"a": 1}, U),
    ("filter({ a: 1 })", None, {"a": 1}, U),
    ("where({ a: 1 })\nwhere({ b: 2 })\nfilter({ c: 3 })", None, {"c": 3}, U),
    ("sort(['-createdAt'])", None, U, ["-createdAt"]),
    ("sort('name')\nsort(['a', 'b'])", None, U, ["a", "b"]),
    ("sort('name')", None, U, "name"),
    ("", None, U, U),
    ("// nothing but a comment", None, U, U),
    ("where()", None, U, U),
    ("where({ a: 1 }, 'ignored')", None, {"a": 1}, U),
    # the examples
    (
        "where({ Owner: { pointsTo: Inputs.PostId } })\nsort(['-createdAt'])",
        {"PostId": "p1"},
        {"Owner": {"pointsTo": "p1"}},
        ["-createdAt"],
    ),
    (
        "const tags = Inputs.Tags.split(',');\nwhere({ tags: { containedIn: tags } })",
        {"Tags": "db,ui"},
        {"tags": {"containedIn": ["db", "ui"]}},
        U,
    ),
    (
        "where({ or: [ { score: { greaterThan: 10 } }, { tags: { exists: false } } ] })",
        None,
        {"or": [{"score": {"greaterThan": 10}}, {"tags": {"exists": False}}]},
        U,
    ),
    # inputs: Inputs.X, Inputs['X'] and $X are the same; a missing one is undefined
    ("where({ a: Inputs.N, b: Inputs['N'], c: $N })", INPUTS, {"a": 5, "b": 5, "c": 5}, U),
    ("where({ a: Inputs.Missing, b: $Missing })", INPUTS, {"a": U, "b": U}, U),
    ("where({ a: $my_var })", {"my_var": 1}, {"a": 1}, U),  # querylang: `_` belongs to the name
    ("where({ a: '$N' })", INPUTS, {"a": "$N"}, U),  # not inside strings
    ("where({ $N: 1 })", INPUTS, {"$N": 1}, U),  # a key is a key
    ("where({ $N })", INPUTS, {"$N": 5}, U),  # shorthand: the variable $N, key '$N'
    ("where(Inputs.O)", INPUTS, {"k": 1}, U),
    ("where({ v: Inputs.A })", INPUTS, {"v": [1, "2", None]}, U),
    (
        "where({ d: Inputs.D })",
        {"D": datetime(2024, 6, 1, 12, tzinfo=UTC)},
        {"d": JSDate(1717243200000.0)},
        U,
    ),
    # comments are tokens: strings keep their slashes (Noodl's regex stripping would not)
    ("where({ url: 'http://x.io' }) // trailing", None, {"url": "http://x.io"}, U),
    ("where({ a: /* inline */ 1 })\n/* a\nblock */ sort(['a'])", None, {"a": 1}, ["a"]),
    ("where({ a: 1 /* } */ })", None, {"a": 1}, U),
    # semicolons are optional at line ends; `a\n(b)` and `a\n-b` continue as in JavaScript
    ("where({ a: 1 });;\n;sort(['a']);", None, {"a": 1}, ["a"]),
    ("const x = Inputs.N\n-1\nwhere({ x })", INPUTS, {"x": 4}, U),
    ("const x = 'a'\nconst y = x\n+ 'b'\nwhere({ y })", None, {"y": "ab"}, U),
    # declarations, assignment, scopes
    ("const a = 1, b = a + 1\nwhere({ a, b })", None, {"a": 1, "b": 2}, U),
    ("let x = 1\nx += 2\nx *= 4\nx -= 2\nx /= 5\nx %= 2\nwhere({ x })", None, {"x": 0}, U),
    ("let s = 'a'; s += 1; where({ s })", None, {"s": "a1"}, U),
    ("let x\nwhere({ x })", None, {"x": U}, U),
    ("var a = b; var b = 2; where({ a, b })", None, {"a": U, "b": 2}, U),  # var is hoisted
    ("var a = 1; var a; where({ a })", None, {"a": 1}, U),
    ("let x = 1; { let x = 2; where({ x }) }", None, {"x": 2}, U),
    ("let x = 1; { let x = 2 } where({ x })", None, {"x": 1}, U),
    ("let x = 1; { x = 3 } where({ x })", None, {"x": 3}, U),
    # if / else if / else, with blocks or single statements
    (
        "if (Inputs.N > 3) where({ big: true }); else where({ big: false })",
        INPUTS,
        {"big": True},
        U,
    ),
    (
        "if ($N > 30) where({ a: 1 })\nelse if ($N > 3) where({ a: 2 })\nelse where({ a: 3 })",
        INPUTS,
        {"a": 2},
        U,
    ),
    ("if (0) { where({ a: 1 }) } else { where({ a: 2 }) }", None, {"a": 2}, U),
    ("if ('') where({ a: 1 })", None, U, U),
    ("if (true) if (false) where({ a: 1 }); else where({ a: 2 })", None, {"a": 2}, U),
    ("{ where({ a: 1 }) }", None, {"a": 1}, U),  # a `{` starting a statement is a block
    ("({ a: 1 })\nwhere({ b: 2 })", None, {"b": 2}, U),
    # return ends the script; `return` then a line break returns right there (ASI)
    ("where({ a: 0 })\nif (!Inputs.Missing) return\nwhere({ a: 1 })", None, {"a": 0}, U),
    ("return\nwhere({ a: 1 })", None, U, U),
    # ... at any JavaScript line terminator, not only \n (a lone \r, U+2028, in a comment)
    ("const f = () => {\rreturn\r5 }\rwhere({ v: f() })", None, {"v": U}, U),
    ("const f = () => {\n  return\u2028 5\n}\nwhere({ v: f() })", None, {"v": U}, U),
    ("const f = () => { return /*\r*/ 5 }\nwhere({ v: f() })", None, {"v": U}, U),
    ("const f = () => { return /* */ 5 }\nwhere({ v: f() })", None, {"v": 5}, U),
    ("where({ a: 1 })\nreturn { b: 2 }", None, {"a": 1}, U),
    # object literals: keys of every kind, JavaScript's key order, last duplicate wins
    (
        "where({ a: 1, 'b c': 2, \"d\": 3, 4: 4, 1.50: 5, 0x10: 6, [`k${1}`]: 7, })",
        None,
        {"4": 4, "16": 6, "a": 1, "b c": 2, "d": 3, "1.5": 5, "k1": 7},
        U,
    ),
    ("where({ a: 1, a: 2 })", None, {"a": 2}, U),
    (
        "where({ if: 1, class: 2, default: 3, true: 4, new: 5 })",
        None,
        {"if": 1, "class": 2, "default": 3, "true": 4, "new": 5},
        U,
    ),
    ("where({ x: { default: 1 }.default, y: Inputs.O?.k })", INPUTS, {"x": 1, "y": 1}, U),
    # globals that are rejected as names are ordinary keys
    ("where({ process: 1, window: Inputs.window })", {"window": 2}, {"process": 1, "window": 2}, U),
    # arrays, trailing commas, templates
    ("where({ a: [1, 'two', [3], {}, null,] })", None, {"a": [1, "two", [3], {}, None]}, U),
    ("where({ t: `a${1 + 1}b${'c'}${null}${[1, [2, 3]]}` })", None, {"t": "a2bcnull1,2,3"}, U),
    ("where({ t: `x${`y${$N}`}z` })", INPUTS, {"t": "xy5z"}, U),
    ("where({ t: `line1\nline2\\t` })", None, {"t": "line1\nline2\t"}, U),
    ("where({ t: `${ {a: 1}.a }` })", None, {"t": "1"}, U),  # a `}` inside ${} closes an object
    # regex literals versus division
    (
        "where({ t: { matchesRegex: /a\\/b[/]/i } })",
        None,
        {"t": {"matchesRegex": JSRegex("a\\/b[/]", "i")}},
        U,
    ),
    (
        "where({ t: { matchesRegex: /a\\/b/i } })",
        None,
        {"t": {"matchesRegex": JSRegex("a\\/b", "i")}},
        U,
    ),
    ("const a = 12, b = 3, c = 2\nwhere({ v: a / b / c })", None, {"v": 2}, U),
    ("const a = 8\nwhere({ v: a\n/2/2 })", None, {"v": 2}, U),  # after an operand: division
    ("where({ r: /=a/ })", None, {"r": JSRegex("=a", "")}, U),
    # dates
    ("where({ d: new Date('2024-06-01T00:00:00Z') })", None, {"d": JSDate(1717200000000.0)}, U),
    (
        "where({ d: new Date(2024, 0, 31, 12) })",
        None,
        {"d": JSDate(1706702400000.0)},
        U,
    ),  # querylang: UTC
    (
        "where({ d: new Date('2024-06-01T10:20') })",
        None,
        {"d": JSDate(1717237200000.0)},
        U,
    ),  # querylang: UTC
    ("where({ d: new Date('nope') })", None, {"d": JSDate(NAN)}, U),
]


def _same_date(a: object, b: object) -> bool:
    return isinstance(a, JSDate) and (a.ms == b.ms or (math.isnan(a.ms) and math.isnan(b.ms)))


@pytest.mark.parametrize(("script", "inputs", "where", "sort"), SCRIPTS)
def test_script(script: str, inputs: dict | None, where: object, sort: object) -> None:
    result = run_script(script, inputs)
    assert isinstance(result, ScriptResult)
    if isinstance(where, dict) and any(isinstance(v, JSDate) for v in where.values()):
        assert list(result.where) == list(where)
        assert all(_same_date(result.where[k], v) for k, v in where.items())
    else:
        assert same(result.where, where), result.where
    assert same(result.sort, sort), result.sort

"""Generated expressions of the script subset, each answered by Node and by the interpreter.

A seeded generator builds a few hundred expressions out of the values and operations the
README promises (numbers from -0 to 1e21, strings with astral characters and lone
surrogates, arrays, objects, Dates, arrow-function callbacks, the string, array, Math,
Number, JSON and Date methods, the operators across types); one Node process answers them
all. Each answer must be the same value (-0, NaN, key order and UTF-16 units included), or
both must fail. Locally the same generator ran with many seeds and tens of thousands of
expressions; the batch here is small so that it stays quick. Node must be installed, as for
tests/test_script_node.py.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import subprocess
from typing import Any

import pytest

from querylang.errors import QueryError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSRegex
from querylang.script import run_script
from querylang.script.values import Builtin, Function

SEED, COUNT = 20261206, 400

NUMBERS = ["0", "-0", "1", "-1", "2", "3", "10", "0.5", "1.5", "-2.5", "NaN", "Infinity", "-Infinity",
           "1e21", "1e-7", "0x1F", "1.5e3", ".5", "9007199254740993", "0.1", "4294967296", "255"]  # fmt: skip
STRINGS = ["''", "'a'", "'abc'", "' x '", "'10'", "'-0'", "'1e3'", "' 12 '", "'0x10'", "'é'", "'😀'",
           "'a😀b'", "'\\ud83d'", "'\\ude00'", "'ß'", "'ΑΣ'", "'\\n\\t'", "'a,b,,c'", "'NaN'", "'12px'",
           "'Jan 5 2024'", "'2024-02-29T12:00:00Z'"]  # fmt: skip
OTHERS = ["true", "false", "null", "undefined", "[]", "{}", "[1, 2, 3]", "['b', 'a', 'c']", "[1, [2, [3]]]",
          "{ a: 1, b: 'x' }", "[null, undefined, 0]", "{ 2: 'b', 1: 'a', x: 0 }", "new Date(0)",
          "new Date('2024-02-29T12:34:56.789Z')", "new Date('x')"]  # fmt: skip
STRING_METHODS = ["slice", "substring", "padStart", "padEnd", "split", "replace", "replaceAll", "trim",
                  "toUpperCase", "toLowerCase", "indexOf", "lastIndexOf", "includes", "startsWith",
                  "endsWith", "charAt", "charCodeAt", "at", "repeat", "concat"]  # fmt: skip
ARRAY_METHODS = ["join", "slice", "indexOf", "lastIndexOf", "includes", "concat", "at", "flat",
                 "reverse", "toReversed", "sort", "toSorted", "push"]  # fmt: skip
CALLBACK_METHODS = ["map", "filter", "find", "findIndex", "some", "every", "flatMap", "forEach"]
GLOBALS = ["Number", "String", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite", "Number.isInteger",
           "Array.isArray", "JSON.stringify", "Object.keys", "Object.entries", "encodeURIComponent",
           "Date.UTC", "Date.parse"]  # fmt: skip
OPERATORS = ["+", "-", "*", "/", "%", "==", "===", "!=", "<", "<=", ">", ">=", "&&", "||", "??"]
DATE_GETTERS = ["getFullYear", "getMonth", "getDate", "getDay", "getHours", "getTime", "toISOString",
                "toJSON", "toString", "toUTCString"]  # fmt: skip


def expression(rnd: random.Random, depth: int) -> str:
    """One random expression of the subset, nesting up to ``depth`` levels."""
    if depth <= 0:
        return rnd.choice(rnd.choice([NUMBERS, STRINGS, OTHERS]))
    sub = lambda: expression(rnd, depth - 1)  # noqa: E731
    args = lambda n: ", ".join(sub() for _ in range(rnd.randrange(n)))  # noqa: E731
    kind = rnd.randrange(12)
    if kind == 0:
        return f"({sub()} {rnd.choice(OPERATORS)} {sub()})"
    if kind == 1:
        return f"{rnd.choice(['-', '+', '!', 'typeof '])}({sub()})"
    if kind == 2:
        return f"({sub()} ? {sub()} : {sub()})"
    if kind == 3:
        return f"{rnd.choice(STRINGS)}.{rnd.choice(STRING_METHODS)}({args(3)})"
    if kind == 4:
        return f"[{args(4)}].{rnd.choice(ARRAY_METHODS)}({args(3)})"
    if kind == 5:
        body = rnd.choice(["x", "x * 2", "x + i", "typeof x", "String(x)", "x > 1", "[x, i]", "`${x}!`", "({ k: x })"])
        return f"[{args(4)}].{rnd.choice(CALLBACK_METHODS)}((x, i, a) => {body})"
    if kind == 6:
        return f"[{args(5)}].{rnd.choice(['sort', 'toSorted'])}((x, y) => {rnd.choice(['x - y', 'y < x ? -1 : 1', '0'])})"
    if kind == 7:
        fn = rnd.choice(["abs", "floor", "ceil", "round", "trunc", "sign", "sqrt", "min", "max"])
        return f"Math.{fn}({args(3)})"
    if kind == 8:
        return f"{rnd.choice(GLOBALS)}({args(2) or sub()})"
    if kind == 9:
        return f"new Date({args(6) or sub()}).{rnd.choice(DATE_GETTERS)}()"
    if kind == 10:
        return f"`a${{{sub()}}}b${{{sub()}}}`"
    return f"{{ ...{sub()}, k: {sub()} }}"


NODE_ENCODE = r"""
const enc = (v, d = 0) => {
  if (d > 20) return { deep: 1 };
  if (v === undefined) return { u: 1 };
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number')
    return Number.isNaN(v) ? { n: 'NaN' } : !Number.isFinite(v) ? { n: String(v) } : Object.is(v, -0) ? { n: '-0' } : v;
  if (typeof v === 'string') return { s: v };
  if (typeof v === 'function') return { f: 1 };
  if (Array.isArray(v)) return v.map(x => enc(x, d + 1));
  if (v instanceof Date) return { d: isNaN(v) ? 'Invalid' : v.toISOString() };
  if (v instanceof RegExp) return { r: 1 };
  return { o: Object.keys(v).map(k => [k, enc(v[k], d + 1)]) };
};
const out = EXPRESSIONS.map(src => {
  let r;
  try { r = new Function('return (' + src + ')')() } catch (e) { return { error: e.name } }
  return enc(r);
});
process.stdout.write(JSON.stringify(out));
"""


def _encode(v: object, depth: int = 0) -> Any:
    """The interpreter's value in the form NODE_ENCODE gives Node's."""
    if depth > 20:
        return {"deep": 1}
    if v is UNDEFINED:
        return {"u": 1}
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        if isinstance(v, float) and math.isnan(v):
            return {"n": "NaN"}
        if isinstance(v, float) and math.isinf(v):
            return {"n": "Infinity" if v > 0 else "-Infinity"}
        if v == 0 and math.copysign(1, v) < 0:
            return {"n": "-0"}
        return float(v)
    if isinstance(v, str):
        return {"s": _units(v)}
    if isinstance(v, Function | Builtin):
        return {"f": 1}
    if isinstance(v, list):
        return [_encode(x, depth + 1) for x in v]
    if isinstance(v, JSDate):
        return {"d": v.iso() if v.valid else "Invalid"}
    if isinstance(v, JSRegex):
        return {"r": 1}
    if isinstance(v, dict):
        return {"o": [[k, _encode(x, depth + 1)] for k, x in v.items()]}
    raise AssertionError(f"no JavaScript value: {v!r}")


def _units(s: str) -> str:
    """The string with surrogate pairs joined, however each side holds them."""
    return s.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def _node_form(v: Any) -> Any:
    """Node's JSON with every number a float and every string's pairs joined."""
    if isinstance(v, list):
        return [_node_form(x) for x in v]
    if isinstance(v, dict):
        if "s" in v:
            return {"s": _units(v["s"])}
        if "o" in v:
            return {"o": [[k, _node_form(x)] for k, x in v["o"]]}
        return v
    if isinstance(v, int | float) and not isinstance(v, bool):
        return float(v)
    return v


def _failed(v: Any) -> bool:
    return isinstance(v, dict) and "error" in v


@pytest.fixture(scope="module")
def cases() -> list[tuple[str, Any]]:
    rnd = random.Random(SEED)
    expressions = [expression(rnd, rnd.randrange(1, 4)) for _ in range(COUNT)]
    return list(zip(expressions, _node_answers(expressions), strict=True))


def _node_answers(expressions: list[str]) -> list[Any]:
    """Node's answer to each expression, in NODE_ENCODE's form."""
    program = f"const EXPRESSIONS = {json.dumps(expressions)};\n{NODE_ENCODE}"
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is needed to check scripts against JavaScript: apt-get install nodejs")
    proc = subprocess.run(
        [node, "-"], input=program, capture_output=True, text=True, timeout=60, env={**os.environ, "TZ": "UTC"}
    )
    assert proc.returncode == 0, proc.stderr
    answers: list[Any] = json.loads(proc.stdout)
    return answers


def _assert_answered_as_node(cases: list[tuple[str, Any]]) -> None:
    wrong = []
    for text, theirs in cases:
        try:
            ours = _encode(run_script(f"where({{ a: [{text}] }})").where["a"][0])
        except QueryError as err:
            ours = {"error": type(err).__name__}
        if _failed(theirs) and _failed(ours):
            continue
        if ours != _node_form(theirs):
            wrong.append((text, theirs, ours))
    assert not wrong, "\n".join(f"{t}\n  node: {n}\n  ours: {o}" for t, n, o in wrong[:10])


def test_generated_expressions_answer_as_node(cases: list[tuple[str, Any]]) -> None:
    _assert_answered_as_node(cases)


# The methods added later, in a batch of their own (the batch above keeps its expressions).
NEW_STRING_METHODS = ["substr", "codePointAt"]
NEW_ARRAY_METHODS = ["pop", "shift", "unshift", "splice", "toSpliced", "with", "fill", "copyWithin"]
NEW_CALLBACK_METHODS = ["findLast", "findLastIndex", "reduceRight"]
NEW_GLOBALS = ["Array.from", "Array.of", "String.fromCharCode", "String.fromCodePoint"]


def new_expression(rnd: random.Random) -> str:
    """One random call of a method added later, on and with random values of the subset.
    An array method that changes its array answers [its result, the array after it]."""
    args = lambda n: ", ".join(expression(rnd, rnd.randrange(2)) for _ in range(rnd.randrange(n)))  # noqa: E731
    kind = rnd.randrange(4)
    if kind == 0:
        return f"{rnd.choice(STRINGS)}.{rnd.choice(NEW_STRING_METHODS)}({args(3)})"
    if kind == 1:
        return f"((a) => [a.{rnd.choice(NEW_ARRAY_METHODS)}({args(5)}), a])([{args(6)}])"
    if kind == 2:
        body = rnd.choice(["x", "x > 1", "typeof x === 'string'", "i % 2", "a.length - i > 2", "[x, i]"])
        method = rnd.choice(NEW_CALLBACK_METHODS)
        if method == "reduceRight":
            return f"[{args(5)}].reduceRight((x, y, i, a) => {rnd.choice(['x + y', '[x, y, i]', 'y'])}{', ' + args(2) if rnd.random() < 0.5 else ''})"
        return f"[{args(5)}].{method}((x, i, a) => {body})"
    fn = rnd.choice(NEW_GLOBALS)
    if fn == "Array.from" and rnd.random() < 0.5:
        items = rnd.choice(["{ length: 3, 1: 'y' }", expression(rnd, 1)])
        return f"Array.from({items}, (x, i) => [x, i])"
    return f"{fn}({args(4)})"


def test_generated_calls_of_the_later_methods_answer_as_node() -> None:
    rnd = random.Random(SEED + 1)
    expressions = [new_expression(rnd) for _ in range(COUNT)]
    _assert_answered_as_node(list(zip(expressions, _node_answers(expressions), strict=True)))

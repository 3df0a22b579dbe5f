"""The recursive descent (script/descent.py) against the LALR parser on generated scripts.

Hypothesis builds scripts of the grammar's shape (grammar/querylang.lark), with the corners
where a hand-written parser most easily reads otherwise: precedence and `??` mixed with
`||`/`&&`, `?:` chains, optional chaining, spread, trailing commas and holes, numeric
literals of every form, string escapes, a regex literal against division, reserved words as
property names and keys, unicode names, comments and line breaks (a call on the next line)
between any two tokens, and words and operators outside the subset (`in`, `**`, `new`).
For each, the descent gives up or builds the LALR tree with the same positions; a script
either parser refuses gets the same message with the descent as without it. The conformance
cases compile to the same SQL on both engines either way, through the plan cache and without.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import querylang
from querylang.engines.postgres.dialect import POSTGRES
from querylang.engines.sql.compiler import compile_query
from querylang.errors import QueryError
from querylang.script import parser
from querylang.script.descent import parse_common
from querylang.script.lexer import MAX_DEPTH, Source
from querylang.script.values import to_string

from .conftest import CONFORMANCE
from .test_descent import _lalr

_NAMES = ["a", "b", "where", "Inputs", "$v", "_x", "é", "ñandú", "if", "in", "new", "true", "null",
          "default", "get", "set", "__proto__", "let", "of", "async", "typeof", "this", "undefined"]  # fmt: skip
_LITERALS = ["0", "1", "0.5", ".5", "5.", "1e3", "1E-3", "2.5e+3", "0x1F", "0o17", "0b101", "1_000",
             "9007199254740993", "1" + "0" * 400, "0x" + "f" * 300, "1n", "08", "1.5.x", "'s'", '"t"',
             "'it\\'s'", "'\\x41\\u0042\\u{1F600}'", "'\\07'", "'a\\\nb'", "/re/g", "/a\\/b[/]/i",
             "/x/gg", "true", "false", "null"]  # fmt: skip
_BINARY = ["+", "-", "*", "/", "%", "==", "===", "!=", "!==", "<", "<=", ">", ">=", "&&", "||", "??",
           "in", "instanceof", "**", "&", ","]  # fmt: skip
_LINKS = [".a", ".if", ".default", ".new", "?.b", "?.true", "?.[0]", "?.()", "[1]", "[a, b]", ".", "?."]
_KEYS = ["a", "if", "true", "__proto__", "get", "'k'", '"k k"', "1.50", "0x10", "1e400", "[k]", "...a"]
_BLANKS = ["", " ", "\n", "\r\n", "\u2028", "\t", "/* c */", "/*\n*/", "// c\n", "\xa0"]


def _blank() -> st.SearchStrategy[str]:
    return st.sampled_from(_BLANKS)


@st.composite
def _expression(draw: st.DrawFn, depth: int = 3) -> str:
    """An expression of the grammar's shape, now and then a little outside it."""
    b = lambda: draw(_blank())  # noqa: E731
    sub = lambda: draw(_expression(depth - 1))  # noqa: E731
    kind = draw(st.integers(0, 9 if depth > 0 else 1))
    if kind == 0:
        return draw(st.sampled_from(_NAMES))
    if kind == 1:
        return draw(st.sampled_from(_LITERALS))
    if kind == 2:
        return f"{sub()}{b()}{draw(st.sampled_from(_BINARY))}{b()}{sub()}"
    if kind == 3:
        return f"{sub()}{b()}?{b()}{sub()}{b()}:{b()}{sub()}"
    if kind == 4:
        return f"{draw(st.sampled_from(['-', '+', '!', '- -', '!!', 'typeof ', '++']))}{b()}{sub()}"
    if kind == 5:
        return f"({b()}{sub()}{b()})"
    if kind == 6:
        items = [draw(st.sampled_from(["", "", "...", ""])) + sub() for _ in range(draw(st.integers(0, 3)))]
        hole = draw(st.sampled_from(["", "", ", ,"]))
        return f"[{b()}{', '.join(items)}{hole}{draw(st.sampled_from(['', ',']))}{b()}]"
    if kind == 7:
        props = []
        for _ in range(draw(st.integers(0, 3))):
            key = draw(st.sampled_from(_KEYS))
            shorthand = key.isidentifier() and draw(st.booleans())
            props.append(key if shorthand else f"{key}{b()}:{b()}{sub()}")
        return f"{{{b()}{', '.join(props)}{draw(st.sampled_from(['', ',']))}{b()}}}"
    if kind == 8:
        args = ", ".join(sub() for _ in range(draw(st.integers(0, 3))))
        return f"{sub()}{b()}{draw(st.sampled_from(['(', '?.(']))}{args}{draw(st.sampled_from(['', ',']))})"
    return f"{sub()}{b()}{draw(st.sampled_from(_LINKS))}"


@st.composite
def _script(draw: st.DrawFn) -> str:
    """One to three statements, most of them calls, joined by ';', a line break or a space."""
    statements = []
    for _ in range(draw(st.integers(1, 3))):
        e = draw(_expression())
        call = draw(st.sampled_from(["where({ k: %s })", "sort([%s])", "%s", "where(%s)"]))
        statements.append(call % e)
    joins = draw(st.lists(st.sampled_from([";", "\n", ";\n", " ", "\n(", "\n[", "\n-", "\n/"]), min_size=2, max_size=2))
    text = statements[0]
    for join, stmt in zip(joins, statements[1:], strict=False):
        text += join + stmt + (")" if join == "\n(" else "]" if join == "\n[" else "/" if join == "\n/" else "")
    return text + draw(st.sampled_from(["", ";", "\n", " // end", " /* end */"]))


def _outcome(text: str, *, descent: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    """parse_script's tree, or its error as (type, message, line, column), with the descent on or off."""
    with monkeypatch.context() as m:
        if not descent:
            m.setattr(parser, "parse_common", lambda src: None)
        try:
            return parser._parse(text, MAX_DEPTH)  # the uncached parse: both ways run
        except QueryError as err:
            return type(err), str(err), err.line, err.column


@given(_script())
@example("where({ a: b ?? c || d })")
@example("where(a)\n(b)")
@example("where({ if: 1, true: 2, __proto__: 3, __proto__: 4 })\nsort([a.if, a?.default])")
@example("where({ a: 0x" + "f" * 300 + ", b: " + "9" * 5000 + " })")
@example("where(" + "- " * 600 + "a)")
@example("where(" + "a ? b : " * 300 + "c)")
def test_generated_scripts_read_alike_with_and_without_the_descent(text: str) -> None:
    got = parse_common(Source(text, MAX_DEPTH))
    want = _lalr(text)
    if got is not None:
        assert not isinstance(want, Exception | type), f"the descent read {text!r}, which the LALR parser refuses: {want}"
        assert got == want and repr(got) == repr(want), text
    with pytest.MonkeyPatch.context() as mp:
        on, off = _outcome(text, descent=True, monkeypatch=mp), _outcome(text, descent=False, monkeypatch=mp)
    assert on == off and repr(on) == repr(off), text


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        ("0x" + "f" * 300, math.inf),  # past the largest double: Infinity, as in JavaScript
        ("9" * 400, math.inf),
        ("9" * 5000, math.inf),  # more digits than int() reads
        ("0b1" + "0" * 1100, math.inf),
        ("1" + "0" * 308, 1e308),
        ("0x" + "f" * 255, float(16**255 - 1)),
        ("12345678901234567890", 12345678901234567890.0),
        ("9007199254740993", 9007199254740992),
    ],
)
def test_a_numeric_literal_past_the_largest_double_is_infinity(literal: str, value: float, monkeypatch: pytest.MonkeyPatch) -> None:
    for descent in (True, False):
        program = _outcome(f"where({{ a: {literal} }});\n({{ {literal}: 1 }})", descent=descent, monkeypatch=monkeypatch)
        assert not isinstance(program, tuple), program
        call, obj = (stmt.expr for stmt in program.body)  # type: ignore[attr-defined]
        assert call.links[0].args[0].props[0].value.value == value
        assert obj.props[0].key == to_string(value)  # {1e400: 1} has the key 'Infinity'


_CASES = [json.loads(line) for line in (CONFORMANCE / "cases.jsonl").read_text().splitlines() if line.strip()]


def test_the_conformance_cases_compile_to_the_same_sql_with_and_without_the_descent(
    sample_doc: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    def compiled(descent: bool, plan_cache: bool) -> list[object]:
        with monkeypatch.context() as m:
            if not descent:
                m.setattr(parser, "parse_common", lambda src: None)
            m.setattr(parser, "_parse_cached", parser.functools.lru_cache(maxsize=8)(parser._parse))
            db = querylang.connect()
            db.load(sample_doc)
            db.plan_cache = plan_cache
            out: list[object] = []
            for case in _CASES:
                kw = {"inputs": case["inputs"], "limit": case["limit"], "skip": case["skip"], "count": case["count"]}
                for _ in range(2):  # the second from the plan cache when it is on
                    plan = db.compile(case["class"], case["script"], **kw)
                    out.append((plan.sql, repr(plan.params), plan.count_sql, repr(plan.count_params)))
                pg = compile_query(db.build(case["class"], case["script"], **kw), db.schema, dialect=POSTGRES)
                out.append((pg.sql, repr(pg.params), pg.count_sql, repr(pg.count_params)))
            db.close()
            return out

    assert sum(parse_common(Source(c["script"], MAX_DEPTH)) is not None for c in _CASES) >= 25
    for plan_cache in (True, False):
        assert compiled(True, plan_cache) == compiled(False, plan_cache)

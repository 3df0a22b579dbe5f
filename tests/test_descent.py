"""The recursive descent for common scripts (script/descent.py) against the LALR driver.

The descent either gives up (None) or builds the very tree the LALR parser builds: the same
nodes, positions and spans. It is tried on every string of the test suite and the
benchmarks that the LALR parser reads (most are no script, which both must agree on too), on
generated expressions, and on the places where the lexer asks the parser what it accepts.
"""

from __future__ import annotations

import ast as pyast
import random
from pathlib import Path

import pytest

from benchmarks.workloads import MICRO_SCRIPT, WORKLOADS
from querylang.errors import QueryError
from querylang.script import descent
from querylang.script.descent import parse_common
from querylang.script.lexer import MAX_DEPTH, Source
from querylang.script.parser import _check_statement_breaks, _run, parse_script
from querylang.script.scopes import check_declarations
from tests.test_script_generated import expression

ROOT = Path(__file__).resolve().parent.parent


def _lalr(text: str) -> object:
    """The tree of the LALR parser and the checks after it, or what they raise."""
    try:
        src = Source(text, MAX_DEPTH)
        program = _run(src)
        _check_statement_breaks(program, src.blocks, text)
        check_declarations(program, text)
        return program
    except QueryError as err:
        return err
    except RecursionError:
        return RecursionError


def _agrees(text: str) -> bool:
    """Whether the descent took ``text``; fails the test when its tree is not the LALR one."""
    got = parse_common(Source(text, MAX_DEPTH))
    if got is None:
        return False
    want = _lalr(text)
    assert not isinstance(want, Exception | type), f"the descent read {text!r}, which the LALR parser refuses: {want}"
    assert got == want and repr(got) == repr(want), text
    return True


def _strings() -> list[str]:
    found: set[str] = set()
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]:
        for node in pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, pyast.Constant) and isinstance(node.value, str) and len(node.value) < 5000:
                found.add(node.value)
    return sorted(found)


def test_every_string_of_the_suite_reads_as_the_lalr_parser_reads_it() -> None:
    taken = sum(_agrees(s) for s in _strings())
    assert taken > 2000  # the descent is what most scripts take


def test_the_benchmarks_scripts_take_the_descent() -> None:
    scripts = [MICRO_SCRIPT, *(step.script for w in WORKLOADS for step in w.steps)]
    assert all(_agrees(s) for s in scripts)


def test_generated_expressions_read_as_the_lalr_parser_reads_them() -> None:
    rnd = random.Random(20261206)
    taken = 0
    for _ in range(1500):
        e = expression(rnd, rnd.randrange(4))
        taken += _agrees(f"where({{ x: {e} }})\nsort([{e}])") + _agrees(e) + _agrees(f"({e}).a[{e}]?.b?.({e})")
    assert taken > 1000


# Tokens, the tricky ones included: what the lexer decides by the parser's state, statement
# separators, what the descent gives up on.
_VOCABULARY = [
    "where", "sort", "Inputs", "a", "b", "$y", ".", "?.", "(", ")", "[", "]", "{", "}", ",", ":", ";", "+",
    "-", "*", "/", "%", "===", "!=", "<", ">=", "&&", "||", "??", "!", "?", "=", "+=", "=>", "...", "1",
    "0.5", "0x1F", "'s'", '"t"', "`u`", "`a${", "true", "null", "new", "typeof", "if", "let", "return",
    "default", "this", "/x/g", "\n", " ", "// c\n", "/* c */", "\u2028",
]  # fmt: skip


def test_random_token_sequences_read_as_the_lalr_parser_reads_them() -> None:
    rnd = random.Random(7)
    taken = 0
    for _ in range(4000):
        text = " ".join(rnd.choice(_VOCABULARY) for _ in range(rnd.randrange(1, 12)))
        taken += _agrees(text) + _agrees(f"where({{ k: {text} }})\nsort([{text}])")
    assert taken > 200


@pytest.mark.parametrize(
    "text",
    [
        # where the lexer asks the parser: reserved words, '{', '(' and '/'
        "x.default; x?.new; ({ true: 1, null: 2, class: 3, if: 4 })",
        "where({ a: true, b: null, c: false })",
        "f\n(x) => x",
        "f\n(x)",
        "f(a)\n(b, c) => b",
        "a\n/b/g",
        "a / b / c",
        "where({ a: { matchesRegex: /x/i } })",
        "x + /a/",
        "!/a/.test(x)",
        "where(a)\n{ b }",
        "where(a)\nif (b) c",
        "where(a)\ntrue",
        "where(a);\ntrue",
        "({ a(x) { return x } })",
        "({ a, b, 'c': 1, 2: d, 1.50: e, })",
        "({ [k]: 1 })",
        "({ ...a })",
        "new Date(0)",
        "typeof x",
        "`a${b}c`",
        "x => x",
        "(x) => x",
        "(a)",
        "(a).b",
        "(a)(b)",
        "-a.b",
        "!!a",
        "- -a",
        "a ? b : c ? d : e",
        "a ? b ? c : d : e",
        "a + b * c - d / e % f",
        "a && b || c",
        "a ?? b",
        "a ?? b || c",
        "(a ?? b) || c",
        "a == b === c != d !== e < f <= g > h >= i",
        "x?.[1]?.(2)?.c",
        "f(...a, b,)",
        "[...a, , b]",
        "[1, 2,]",
        "[,]",
        "f(,)",
        "a = 1",
        "a.b = 1",
        "a += 1",
        "where(a) sort(b)",
        "where(a) /b/g",
        "where(a)\n`b`",
        "a\n\u2028b",
        "a /* c */ b",
        "a /*\n*/ b",
        "where(a); sort(b);",
        ";",
        "",
        "// only a comment",
        "where({ a: 1 }",
        "where({ a: 1 }))",
        "where({ a: })",
        "where({ a: 1 b: 2 })",
        "a.",
        "a?.",
        "a ? b",
        "a +",
        "let x = 1; where({ a: x })",
        "where({ a: 'it\\'s' })",
        "where({ a: 0x1F, b: 1_000, c: .5 })",
        "x\n=> 1",
        "(" * 40 + "a" + ")" * 40,
        "[" * 40 + "a" + "]" * 40,
        "-" * 5000 + "a",
    ],
)
def test_the_descent_agrees_where_the_lexer_asks_the_parser(text: str) -> None:
    _agrees(text)


def test_a_script_the_descent_gives_up_on_is_still_parsed_and_refused_as_before() -> None:
    assert type(parse_script("where({ a: x => x })").body[0].expr).__name__ == "Chain"
    with pytest.raises(QueryError, match="cannot mix '\\?\\?' with '\\|\\|'"):
        parse_script("where({ a: b ?? c || d })")
    with pytest.raises(QueryError, match="put ';' or a line break between two statements"):
        parse_script("where({ a: 1 }) sort(['a'])")


@pytest.mark.parametrize(
    "text",
    [
        "where({ createdAt: { greaterThan: new Date(Inputs.since) } })",
        "where({ a: x => x })",
        "where({ a: `t` })",
    ],
)
def test_a_script_the_descent_would_give_up_on_is_not_read_by_it_first(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # It would read the script up to the place it gives up on, for nothing: in a long
    # containedIn list before a `new Date(...)`, most of the script.
    def read(src: Source) -> None:
        raise AssertionError(f"the descent read {src.text!r}")

    monkeypatch.setattr(descent, "_Descent", read)
    assert parse_common(Source(text, MAX_DEPTH)) is None
    assert parse_script(text).body  # the LALR parser reads it

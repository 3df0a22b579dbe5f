"""Hostile input: fuzzing the parser with random text, bytes, token soup and mutated valid
scripts; each gives a result or a clean QueryError with a caret (see tests/hostile.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from querylang import QuerySyntaxError
from querylang.script.interpreter import run_script
from querylang.script.parser import parse_script

from . import hostile
from .hostile import SEEDS, hit_entry_points, steer

db = hostile.db
sample_guard = hostile.sample_guard


# --- 1. parser fuzzing -------------------------------------------------------------------------

# Pieces a filter script is made of, valid and not: token soup reaches deeper into the grammar
# and the interpreter than random characters do.
TOKENS = (
    "where", "filter", "sort", "Inputs", "$Id", "$x", "Date", "Math", "JSON", "Number", "String",
    "new", "if", "else", "const", "let", "var", "return", "typeof", "true", "false", "null",
    "undefined", "NaN", "Infinity", "x", "y", "title", "score", "tags", "meta", "author",
    "published", "publishedAt", "location", "equalTo", "notEqualTo", "greaterThan", "lessThan",
    "containedIn", "notContainedIn", "matchesRegex", "options", "pointsTo", "relatedTo",
    "idEqualTo", "idContainedIn", "and", "or", "exists", "key", "id",
    "(", ")", "[", "]", "{", "}", "${", ";", ",", ".", "?.", ":", "?", "=", "+=", "==", "===",
    "!=", "!==", "<", ">=", "+", "-", "*", "/", "%", "!", "&&", "||", "??", "=>", "...", "++",
    "**", "&", "'a'", '"b"', "'p001'", "'u01'", "`t${x}`", "`", "'", '"', "/a+/i", "/[/", "1",
    "0", "0.5", "1e3", "0x1F", "-0", "09", "1_000", ".5", "1n", "//c\n", "/*c*/", "/*", "\n", " ",
    "\t", "constructor", "__proto__", "while", "for", "function", "this", "import", "class",
    "'\\u0041'", "'\\x'", "'\\u{1F600}'", "'\\u{110000}'", "Inputs.x", "now", "getTime", "length",
    "repeat", "split", "join", "toISOString", "\u2028", "\u00a0", "\ufeff", "\u202e", "é", "😀",
)


_TOKEN_RE = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`"""
    r"""|\d[\w.]*|[A-Za-z_$][\w$]*|\?\.|\.\.\.|===?|!==?|[<>]=?|&&|\|\||\?\?|=>|\$\{|.""",
    re.S,
)


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text)


@st.composite
def mutated_scripts(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """A valid script cut, with tokens deleted, duplicated, swapped, inserted or changed."""
    cls, script, inputs = draw(st.sampled_from(SEEDS))
    toks = tokens(script)
    assert "".join(toks) == script
    for _ in range(draw(st.integers(1, 3))):
        if not toks:
            break
        i = draw(st.integers(0, len(toks) - 1))
        j = draw(st.integers(0, len(toks) - 1))
        op = draw(st.sampled_from(("cut", "cut_front", "delete", "duplicate", "swap", "insert", "replace", "char")))
        if op == "cut":
            toks = toks[:i]
        elif op == "cut_front":
            toks = toks[i:]
        elif op == "delete":
            del toks[i : max(i, j) + 1]
        elif op == "duplicate":
            lo, hi = min(i, j), max(i, j) + 1
            toks[hi:hi] = toks[lo:hi]
        elif op == "swap":
            toks[i], toks[j] = toks[j], toks[i]
        elif op == "insert":
            toks.insert(i, draw(st.sampled_from(TOKENS)))
        elif op == "replace":
            toks[i] = draw(st.sampled_from(TOKENS))
        else:  # one character of one token
            t = toks[i]
            k = draw(st.integers(0, len(t)))
            toks[i] = t[:k] + draw(st.characters(exclude_categories=("Cs",))) + t[k + 1 :]
    return cls, "".join(toks), inputs


token_soup = st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join) | st.lists(
    st.sampled_from(TOKENS), max_size=40
).map("".join)
JS_CHARS = "(){}[]'\"`$.,;:?!=<>+-*/%&|^~\\ \n\t\r0123456789abexwhrInputs_\u2028\u00a0é😀"


@given(text=st.text())
def test_fuzz_random_text(db, text):
    hit_entry_points(db, steer(text))


@given(text=st.text(alphabet=JS_CHARS, max_size=60))
def test_fuzz_script_characters(db, text):
    hit_entry_points(db, steer(text))


@given(text=token_soup)
@example(text="where ( { title : ' a ' } ) sort ( [ ' title ' ] )")
def test_fuzz_token_soup(db, text):
    hit_entry_points(db, steer(text))


@given(raw=st.binary(max_size=200), mode=st.sampled_from(("replace", "surrogateescape", "ignore")))
def test_fuzz_random_bytes(db, raw, mode):
    """Bytes decoded as text; surrogateescape leaves lone surrogates in the string."""
    text = raw.decode("utf-8", errors=mode)
    assert isinstance(text, str)
    hit_entry_points(db, steer(text))


def test_fuzz_mutated_valid_scripts(db, sample_guard):
    @given(case=mutated_scripts())
    def prop(case):
        cls, text, inputs = case
        hit_entry_points(db, steer(text), cls, inputs)
        sample_guard.check()

    prop()
    sample_guard.check_full()


def test_seed_scripts_are_valid(db):
    """The mutation seeds run (so the fuzzers start from scripts that work)."""
    for cls, script, inputs in SEEDS:
        res = db.query(cls, script, inputs=inputs)
        assert res.ids == db.reference(cls, script, inputs=inputs).ids


@pytest.mark.parametrize("text", [".²", "where({ score: .³ })", "x = .¹"])
def test_dot_then_unicode_digit(text):
    with pytest.raises(QuerySyntaxError):
        parse_script(text)


@pytest.mark.parametrize("text", ["where({ score: .١ })", "where({ score: 1.١ })", "where({ score: 1e١ })"])
def test_numbers_are_ascii_digits_only(text):
    with pytest.raises(QuerySyntaxError):
        run_script(text)


@pytest.mark.parametrize(
    "text,sep",
    [
        ("a = 1\x0cwhere(@)", "\\x0c (form feed)"),
        ("x = 1\u2028where(@)", "U+2028"),
        ("// c\rwhere(@)", "lone CR"),
        ("where(1)\x85@", "U+0085"),
    ],
)
def test_caret_view_shows_the_offending_line(text, sep):
    with pytest.raises(QuerySyntaxError) as info:
        run_script(text)
    shown = info.value.caret_view().splitlines()[0]
    assert "@" in shown, f"{sep}: {str(info.value)!r}"


@pytest.mark.parametrize(("before", "cells"), [("'x'", 3), ("'😀😀'", 6), ("'漢字'", 6), ("'e\u0301'", 3), ("'\t'", 3)])
def test_the_caret_counts_terminal_cells(before, cells):
    """The caret stands under the offending column on a terminal: wide characters (emoji,
    CJK) take two cells, combining marks none (it used to count characters)."""
    text = f"where({{ title: {before}, @ }})"
    with pytest.raises(QuerySyntaxError) as info:
        run_script(text)
    line, caret = info.value.caret_view().splitlines()
    head = "where({ title: "
    offset = len(line) - len(line.lstrip(" 0123456789|")) + len(head)  # where the script starts in the view
    pad = caret[offset:-1]
    assert caret.endswith("^") and pad.replace("\t", " ") == " " * (cells + 2), (line, caret)

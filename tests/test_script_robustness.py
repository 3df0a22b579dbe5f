"""The filter-script interpreter (the JavaScript subset): whatever the text (random, or the scripts and
expressions of the tables mutated), the only exceptions are QueryErrors; blanks and digits
JavaScript does not take."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from querylang.errors import QueryError, QuerySyntaxError, QueryTypeError
from querylang.script.interpreter import run_script
from querylang.script.parser import parse_script

from .script_values import INPUTS
from .test_script_expressions import EXPRESSIONS
from .test_script_whole import SCRIPTS

# ------------------------------------------------------------------------------------------
# Robustness: whatever the text, the only exceptions are QueryErrors

VALID = [script for script, *_ in SCRIPTS] + [
    f"where({{ v: {expression} }})" for expression, _ in EXPRESSIONS[::7]
]
ALPHABET = list("(){}[];,.:?!=<>+-*/%&|^~'\"`$\\ \n\tabcwhere019_#@") + [
    "where(",
    "sort(",
    "Inputs.",
    "${",
    "/*",
    "*/",
    "//",
    "=>",
    "new Date(",
    "const ",
    "if (",
    "return",
    "?.",
    "??",
    "\u2028",
    "😀",
]


def _runs_or_raises_query_error(text: str) -> None:
    try:
        run_script(text, INPUTS, max_steps=2_000)
    except QueryError as err:
        assert isinstance(str(err), str)  # the caret view never fails either


@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_random_text_only_raises_query_errors(text: str) -> None:
    _runs_or_raises_query_error(text)


@given(
    st.sampled_from(VALID),
    st.lists(
        st.tuples(st.integers(0, 10_000), st.integers(0, 3), st.sampled_from(ALPHABET)),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_scripts_only_raise_query_errors(script: str, edits: list) -> None:
    text = script
    for where, length, insert in edits:
        at = where % (len(text) + 1)
        text = text[:at] + insert + text[at + length :]
    _runs_or_raises_query_error(text)


@pytest.mark.parametrize("expr", ["Number('١٢')", "'١٢' * 1", "parseFloat('١٢')", "+'١٢'", "Number('１２')"])
def test_digits_of_other_scripts_are_no_number(expr: str) -> None:
    """JavaScript's ToNumber and parseFloat read digits 0-9 only: Number('١٢') is NaN.
    The numeric-literal patterns' \\d matched any Unicode digit, so it was 12 and the query
    matched records with 12. Found using the strategies' '١٢' string as a number."""
    import querylang

    with querylang.connect() as db:
        db.load({"classes": {"E": {"fields": {"n": {"type": "Number"}}}}, "records": {"E": [{"objectId": "a", "n": 12}]}})
        with pytest.raises(QueryTypeError, match="NaN and Infinity are not valid query values"):
            db.query("E", f"where({{ n: {expr} }})")


@pytest.mark.parametrize("blank", ["\x1c", "\x1d", "\x1e", "\x1f", "\x85"])
def test_characters_javascript_does_not_take_as_blanks_are_syntax_errors(blank: str) -> None:
    """Node refuses `{n:\\x1c1}` ("Invalid or unexpected token"); the lexer took every
    character Python calls a space (\\s, isspace()), these five too, so the script ran.
    Found with the control characters the strategies' strings never hold."""
    with pytest.raises(QuerySyntaxError, match="line 1, column 10: unexpected character"):
        parse_script(f"where({{n:{blank}1}})")


@pytest.mark.parametrize("blank", ["\v", "\f", "\xa0", "\u1680", "\u2007", "\u202f", "\u205f", "\u3000", "\ufeff", "\u2028"])
def test_javascripts_blanks_are_still_blanks(blank: str) -> None:
    parse_script(f"where({{n:{blank}1}})")

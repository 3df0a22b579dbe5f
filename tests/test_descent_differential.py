"""Numeric literals past the largest double, read alike with and without the descent."""

from __future__ import annotations

import math

import pytest

from querylang.errors import QueryError
from querylang.script import parser
from querylang.script.lexer import MAX_DEPTH
from querylang.script.values import to_string


def _outcome(text: str, *, descent: bool, monkeypatch: pytest.MonkeyPatch) -> object:
    """parse_script's tree, or its error as (type, message, line, column), with the descent on or off."""
    with monkeypatch.context() as m:
        if not descent:
            m.setattr(parser, "parse_common", lambda src: None)
        try:
            return parser._parse(text, MAX_DEPTH)  # the uncached parse: both ways run
        except QueryError as err:
            return type(err), str(err), err.line, err.column


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

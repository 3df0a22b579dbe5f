"""The stored words of a text: word_columns' shortcut for ASCII texts gives what the general
path (the Unicode word pattern, folding, stemming) gives, for every text."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from querylang.features import text


def general(value: str) -> tuple[str, str, str]:
    """word_columns as the module defines it for any text, without the ASCII shortcut."""
    ws = text.words(value)
    fs = [text.fold(w) for w in ws]
    return (
        text.joined([text.stem(w) for w, f in zip(ws, fs, strict=True) if f]),
        text.joined([f for f in fs if f]),
        text.joined(ws),
    )


@given(st.text(alphabet=st.characters(max_codepoint=127)))
@example("")
@example("Running runs RAN, ran_away\tx9\nABC123 def")
@example("snake_case and under_score")
def test_ascii_texts_take_the_shortcut_with_the_same_words(value: str) -> None:
    assert value.isascii()
    assert text.word_columns(value) == general(value)


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF)))
@example("Café RUNNING naïve")
@example("e\u0301te\u0301")
def test_other_texts_keep_the_general_path(value: str) -> None:
    assert text.word_columns(value) == general(value)

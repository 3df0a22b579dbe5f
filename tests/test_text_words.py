"""The stored words of a text: word_columns' shortcut for ASCII texts gives what the general
path (the Unicode word pattern, folding, stemming) gives, for every text."""

from __future__ import annotations

import random

from hypothesis import example, given
from hypothesis import strategies as st

from querylang.features import text


def general(value: str) -> tuple[str, str, str]:
    """word_columns as the module defines it for any text, without the ASCII shortcut."""
    ws = text.words(value)
    fs = [text.fold(w) for w in ws]
    return (
        text.joined([text.stem(w) for w, f in zip(ws, fs, strict=True) if f and not text.stop_word(w)]),
        text.joined([f for f in fs if f]),
        text.joined(ws),
    )


@given(st.text(alphabet=st.characters(max_codepoint=127)))
@example("")
@example("Running runs RAN, ran_away\tx9\nABC123 def")
@example("snake_case and under_score")
@example("The end, THE END: the stems leave the stop words out")
def test_ascii_texts_take_the_shortcut_with_the_same_words(value: str) -> None:
    assert value.isascii()
    assert text.word_columns(value) == general(value)


@given(st.text(alphabet=st.characters(max_codepoint=0x2FF)))
@example("Café RUNNING naïve")
@example("e\u0301te\u0301")
@example("Thé is no stop word, THE is")
def test_other_texts_keep_the_general_path(value: str) -> None:
    assert text.word_columns(value) == general(value)


def test_the_compiled_stemmer_stems_as_snowballs_python_build() -> None:
    """Stems come from PyStemmer (Snowball's C build), not the pure-Python snowballstemmer,
    which took time growing with the square of a word's length: a 300,000-letter word took
    seconds, a million letters minutes, and every String a load, a write or serve's create
    stored waited for it. Found feeding long words to a load (closing the database, which
    computes the words, did not end). The two builds give the same stems: checked here on an
    English vocabulary, words made of english.sbl's suffixes and random words over its letters."""
    from snowballstemmer.english_stemmer import EnglishStemmer

    from .test_pg_parse_stems import BASES, EXCEPTIONS, SUFFIXES, _vocabulary

    assert type(text._STEMMER).__module__ == "Stemmer"
    python_build = EnglishStemmer()
    built = {b + s1 + s2 for b in BASES for s1 in SUFFIXES for s2 in ("", "s", "ed", "ing", "ly", "e", "al", "ness")}
    rnd = random.Random(2)
    randoms = {"".join(rnd.choice("aeiouywlstbdgnré'") for _ in range(rnd.randint(1, 12))) for _ in range(20000)}
    words = set(_vocabulary()) | built | randoms | set(EXCEPTIONS) | {"yo" * 500, "y" * 999, "ay" * 400 + "ing"}
    differ = [(w, text._STEMMER.stemWord(w), python_build.stemWord(w)) for w in sorted(words)
              if text._STEMMER.stemWord(w) != python_build.stemWord(w)]
    assert not differ, differ[:20]

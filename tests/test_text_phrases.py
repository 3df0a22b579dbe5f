"""Quoted phrases in a text search (docs/semantics.md#text) are MongoDB's: a substring of the
field's text, both folded code point by code point as the flags say, not a run of stemmed words;
so are a search's words under one sensitivity flag folded (not stemmed).
Every engine (DuckDB, PostgreSQL, Parse's own tables in place) gives the reference evaluator's
answer, and that answer is MongoDB's.
"""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.features import text

from .pg import fresh_url
from .test_pg_parse_stems import _create_parse_tables

TEXTS = {
    "a": "The quick brown fox",
    "b": "brown foxes run",
    "c": "brown, fox",
    "d": "Crème Brûlée recipe",
    "e": "creme brulee recipe",
    "f": "CRÈME BRÛLÉE",
    "g": None,
    "j": "quick red fox",
    "k": "cafe\u0301 au lait",  # decomposed: the mark after the e is a diacritic of its own
}

CASES = [
    # a substring, not a run of words: "brown fox" is in "brown foxes", "brown foxes" is not
    # in "brown fox"; stemmed forms no longer stand for each other
    ('"brown foxes"', {}, ["b"]),
    ('"brown fox"', {}, ["a", "b"]),
    ('"foxes"', {}, ["b"]),
    ('"fox"', {}, ["a", "b", "c", "j"]),
    # across a word's ends: found, next to a word the index finds (MongoDB looks the phrase's
    # words up too: 'rown' and 'fo' are no words of any text)
    ('quick "rown fo"', {}, ["a"]),
    ('"rown fo"', {}, []),
    # punctuation between the words is part of the phrase
    ('"brown, fox"', {}, ["c"]),
    ('fox ","', {}, ["c"]),
    ('fox ""', {}, ["a", "b", "c", "j"]),
    # case and diacritics: folded unless the flags say otherwise, each flag on its own
    ('"CRÈME brulee"', {}, ["d", "e", "f"]),
    ('"café au"', {}, ["k"]),
    ('recipe "Creme Brulee"', {"caseSensitive": True}, ["d"]),
    # the phrase's words, folded as the flag says, are the word 'f' holds ('CRÈME' is 'crème')
    ('recipe "crème brûlée"', {"diacriticSensitive": True}, ["d", "f"]),
    ('recipe "crème brûlée"', {"caseSensitive": True, "diacriticSensitive": True}, []),
    ('recipe "Crème Brûlée"', {"caseSensitive": True, "diacriticSensitive": True}, ["d"]),
    ('lait "café au"', {"diacriticSensitive": True}, []),
    # words, not stemmed, are folded as one flag says too (MongoDB's tokenizer): with
    # caseSensitive alone diacritics are still removed, with diacriticSensitive alone case is
    # still folded (both flags: as written)
    ("Creme", {"caseSensitive": True}, ["d"]),
    ("cafe", {"caseSensitive": True}, ["k"]),
    ("Brulee -Recipe", {"caseSensitive": True}, ["d"]),
    ("Brulee -recipe", {"caseSensitive": True}, []),
    ("CREME", {"diacriticSensitive": True}, ["e"]),
    ("crème", {"diacriticSensitive": True}, ["d", "f"]),
    ("brulee -BRÛLÉE", {"diacriticSensitive": True}, ["e"]),
    ("Crème", {"caseSensitive": True, "diacriticSensitive": True}, ["d"]),
    # with plain words and exclusions
    ('"brown fox" -run', {}, ["a"]),
    ('dog "brown fox"', {}, ["a", "b"]),
    ('fox -"brown fox"', {}, ["c", "j"]),
    ('fox -"brown, fox"', {}, ["a", "b", "j"]),
    ('quick -"rown fo"', {}, ["j"]),
    ('-"brown fox" quick', {}, ["j"]),
    ('-"brown fox"', {}, []),
]


def _where(term: str, opts: dict[str, Any]) -> dict[str, Any]:
    return {"t": {"text": {"search": {"term": term, **opts} if opts else term}}}


@pytest.fixture(scope="module")
def db(engine_opener):
    database = engine_opener()
    records = [{"objectId": k, **({} if v is None else {"t": v})} for k, v in TEXTS.items()]
    records.append({"objectId": "h", "t": None})  # null, where "g" has no value at all
    database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": records}})
    yield database
    database.close()


@pytest.mark.parametrize(("term", "opts", "expected"), CASES)
def test_a_phrase_is_a_substring_of_the_folded_text(db, term, opts, expected):
    where = _where(term, opts)
    assert sorted(db.reference("C", where).ids) == expected
    assert sorted(db.query("C", where).ids) == expected


@pytest.fixture(scope="module")
def in_place(pg_cluster):
    url = fresh_url(pg_cluster)
    _create_parse_tables(url, list(TEXTS.values()))
    database = querylang.connect(url, layout="parse")
    yield database
    database.close()


@pytest.mark.parametrize(("term", "opts", "expected"), CASES)
def test_parse_tables_in_place_find_the_same_phrases(in_place, term, opts, expected):
    where = {"body": _where(term, opts)["t"]}
    ids = {f"d{i:03d}": k for i, k in enumerate(TEXTS)}
    assert sorted(ids[i] for i in in_place.query("Doc", where).ids) == expected
    assert in_place.query("Doc", where).ids == in_place.reference("Doc", where).ids


@pytest.mark.parametrize("flags", [{}, {"caseSensitive": True}, {"diacriticSensitive": True}])
def test_every_folded_code_point_is_found_as_python_folds_it(flags, engine):
    """Each code point a phrase search folds, in a text searched for its own phrase: the SQL
    patterns (the code points dropped, a class per phrase character) find it on each engine."""
    images = text.phrase_maps()[flags.get("caseSensitive", False), flags.get("diacriticSensitive", False)]
    points = sorted(images)
    chunks = ["x".join(map(chr, points[i : i + 500])) for i in range(0, len(points), 500)]
    db = engine()
    records = [{"objectId": f"c{i}", "t": f"Ab {chunk} yz"} for i, chunk in enumerate(chunks)]
    db.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": records}})
    for i, chunk in enumerate(chunks):
        where = {"t": {"text": {"search": {"term": f'"b {chunk} y"', **flags}}}}
        assert db.query("C", where).ids == db.reference("C", where).ids == [f"c{i}"], chunk[:40]


def test_a_phrase_found_has_its_folded_words_among_the_texts():
    """The stored folded words narrow the texts a phrase is searched in (text.Phrase.words):
    a mapping never changes a code point's word fold, nor whether it belongs to words."""
    for images in text.phrase_maps().values():
        for cp, image in images.items():
            c = chr(cp)
            assert text.fold(image) == text.fold(c), hex(cp)
            assert (text.word_char(image) if image else True) == text.word_char(c), hex(cp)


ONE_FLAG = [{"caseSensitive": True}, {"diacriticSensitive": True}]


def _flag_words() -> list[tuple[dict[str, bool], str, str]]:
    """For each one-flag search, words holding every word character its folding maps, 100 to
    a word, and the word as the search folds it: each text is found, on every answerer, by
    its word folded (as Python folds it), which it does not hold as written."""
    out = []
    for flags in ONE_FLAG:
        cs, ds = flags.get("caseSensitive", False), flags.get("diacriticSensitive", False)
        points = sorted(cp for cp in text.phrase_maps()[cs, ds] if text.word_char(chr(cp)))
        for i in range(0, len(points), 100):
            word = "q" + "".join(map(chr, points[i : i + 100]))
            out.append((flags, word, text.phrase_fold(word, cs, ds)))
    return out


def test_every_folded_word_character_is_found_as_python_folds_it(engine):
    words = _flag_words()
    db = engine()
    records = [{"objectId": f"w{i}", "t": f"Ab {word} yz"} for i, (_, word, _) in enumerate(words)]
    db.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": records}})
    for i, (flags, word, folded) in enumerate(words):
        where = _where(folded, flags)
        assert db.query("C", where).ids == db.reference("C", where).ids == [f"w{i}"], (flags, word[:20])


def test_parse_tables_in_place_find_every_folded_word_character(pg_cluster):
    words = _flag_words()
    url = fresh_url(pg_cluster)
    _create_parse_tables(url, [f"Ab {word} yz" for _, word, _ in words])
    with querylang.connect(url, layout="parse") as db:
        for i, (flags, word, folded) in enumerate(words):
            where = {"body": _where(folded, flags)["t"]}
            assert db.query("Doc", where).ids == db.reference("Doc", where).ids == [f"d{i:03d}"], (flags, word[:20])


@pytest.mark.parametrize("term", ['"fox\ud800"', 'fox "a\x00b"'])
@pytest.mark.parametrize("opts", [{}, {"caseSensitive": True, "diacriticSensitive": True}])
def test_a_term_that_is_no_valid_text_is_refused_as_every_string_operand(db, term, opts):
    """A phrase is bound as SQL text or a pattern: a lone surrogate in it was a UnicodeEncodeError
    out of PostgreSQL's driver, DuckDB's "cannot encode str" or an "invalid regular expression"
    no one wrote, and a NUL PostgreSQL's refusal, where the reference matched nothing."""
    where = _where(term, opts)
    for answer in (db.query, db.reference):
        with pytest.raises(querylang.QueryTypeError, match=r"bad \$text: \$term holds a"):
            answer("C", where)


def test_a_phrase_longer_than_the_limit_is_refused_by_every_answerer(db):
    """A phrase's pattern holds a class per character: 9,000 'O' with caseSensitive was "regular
    expression is too large" on the engines, which no one wrote, where the reference answered.
    The longest phrase allowed, of the letter with the most foldings, is answered alike."""
    longest = {"t": {"text": {"search": {"term": 'o "' + "O" * 4_000 + '"', "caseSensitive": True}}}}
    assert db.query("C", longest).ids == db.reference("C", longest).ids == []
    for term in ('o "' + "O" * 9_000 + '"', 'fox -"' + "x" * 4_001 + '"'):
        where = {"t": {"text": {"search": {"term": term, "caseSensitive": True}}}}
        for answer in (db.query, db.reference):
            with pytest.raises(querylang.LimitExceeded, match=r"bad \$text: a phrase of \d+ characters in \$term \(at most 4000\)"):
                answer("C", where)

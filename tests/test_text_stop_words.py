"""English stop words in a text search (docs/semantics.md#text) are MongoDB's: a word is one
when its lower case is in the list, its diacritics kept (``Thé`` is no stop word, ``THE`` is),
and a search finds its words among the text's words that are not stop words (MongoDB's text
index leaves them out), while an excluded word is looked for among all of them (MongoDB's
matcher reads them all). Every answerer (the reference, DuckDB, PostgreSQL, Parse's own
tables in place) gives that answer.
"""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.features import text

from .pg import fresh_url
from .test_pg_parse_stems import _create_parse_tables

TEXTS = {
    "a": "the quick fox",
    "b": "Thé vert",
    "c": "haves and have-nots",
    "d": "I have a fox",
    "e": "THE END",
    "f": "ſome far",  # a long s: its lower case is 's', so the word is 'some', a stop word
    "g": "a tin can, now",
    "h": "who would ought",
    "i": "The dog",
}

CASES = [
    # 'Thé' was dropped as 'the' (its diacritics removed before the stop-word test): alone it
    # found nothing, and MongoDB finds 'thé' (its stem, diacritics removed, is 'the')
    ("Thé", {}, ["b"]),
    ("THÉ", {}, ["b"]),
    ("the", {}, []),
    ("THE", {}, []),
    # a word whose stem is a stop word's is not found in that stop word: 'haves' is 'have',
    # and MongoDB's index holds no 'have' for 'I have a fox'
    ("haves", {}, ["c"]),
    ("ſome", {}, []),
    ("somes", {}, []),  # its stem is 'some'
    # MongoDB's list: 'can' and 'now' are no stop words, 'would' and 'ought' are (the list
    # was another, which dropped 'can', 'just', 'now' and 'will' from a search)
    ("can", {}, ["g"]),
    ("now", {}, ["g"]),
    ("would", {}, []),
    ("ought cannot", {}, []),
    # an excluded word is looked for among every word, stop words too
    ("fox -thé", {}, ["d"]),
    ("fox -haves", {}, ["a"]),
    ("end -Thé", {}, []),
    ("far -somes", {}, []),
    # with a flag the stop-word test is the same, and a word whose stem is a stop word's is
    # also looked for among the words that are not stop words, as MongoDB reads its index for
    # it first: 'Thé' (with caseSensitive 'The') does not find 'The dog', whose 'The' is not
    # in that index, but 'Thé dog' does, by its 'dog'
    ("Thé", {"caseSensitive": True}, ["b"]),
    ("Thé dog", {"caseSensitive": True}, ["b", "i"]),
    ('"Thé"', {"caseSensitive": True}, ["b"]),
    ("thé", {"diacriticSensitive": True}, ["b"]),
    ("fox -thé", {"caseSensitive": True, "diacriticSensitive": True}, ["a", "d"]),
    # another language has no stop words
    ("the", {"language": "none"}, ["a", "b", "e", "i"]),
]


def _where(field: str, term: str, opts: dict[str, Any]) -> dict[str, Any]:
    return {field: {"text": {"search": {"term": term, **opts} if opts else term}}}


@pytest.fixture(scope="module")
def db(engine_opener):
    database = engine_opener()
    records = [{"objectId": k, "t": v} for k, v in TEXTS.items()]
    database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": records}})
    yield database
    database.close()


@pytest.mark.parametrize(("term", "opts", "expected"), CASES)
def test_stop_words_are_mongodbs(db, term, opts, expected):
    where = _where("t", term, opts)
    assert sorted(db.reference("C", where).ids) == expected
    assert sorted(db.query("C", where).ids) == expected


def test_a_written_record_leaves_its_stop_words_out_as_a_loaded_one(engine):
    """Words computed at a write (not a bulk load's deferred ones) follow the same rule."""
    database = engine()
    database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": []}})
    for k, v in TEXTS.items():
        database.create("C", {"objectId": k, "t": v})
    for term, opts, expected in CASES:
        assert sorted(database.query("C", _where("t", term, opts)).ids) == expected, (term, opts)


@pytest.fixture(scope="module")
def in_place(pg_cluster):
    url = fresh_url(pg_cluster)
    _create_parse_tables(url, list(TEXTS.values()))
    database = querylang.connect(url, layout="parse")
    yield database
    database.close()


@pytest.mark.parametrize(("term", "opts", "expected"), CASES)
def test_parse_tables_in_place_leave_the_same_stop_words_out(in_place, term, opts, expected):
    ids = {f"d{i:03d}": k for i, k in enumerate(TEXTS)}
    where = _where("body", term, opts)
    assert sorted(ids[i] for i in in_place.query("Doc", where).ids) == expected
    assert in_place.query("Doc", where).ids == in_place.reference("Doc", where).ids


def test_every_stop_words_stem_is_known_with_its_stop_words():
    """The stems an excluded word looks for among the folded words (text.STOP_STEMS) are those
    of every stop word, and a stop word folds to itself (its folded word is the stop word)."""
    assert {w for ws in text.STOP_STEMS.values() for w in ws} == text.STOP_WORDS
    assert all(text.stem(w) == s for s, ws in text.STOP_STEMS.items() for w in ws)
    assert all(text.fold(w) == w and text.stop_word(w.upper()) for w in text.STOP_WORDS)

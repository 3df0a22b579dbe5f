"""Edges of text search (querylang/features/text.py, docs/semantics.md#text) on every engine:
the reference evaluator, DuckDB and PostgreSQL must give MongoDB's answer, and a bad search
must be an error that says what is wrong.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from querylang import to_parse_where
from querylang.errors import QueryError

RECORDS = [
    {"objectId": "a", "t": "the quick fox"},
    {"objectId": "b", "t": "a lazy fox"},
    {"objectId": "c", "t": "an old dog"},
]


@pytest.fixture(scope="module")
def db(engine_opener):
    database = engine_opener()
    database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": RECORDS}})
    yield database
    database.close()


def _ids(db: Any, search: object) -> list[str]:
    where = {"t": {"text": {"search": search}}}
    got = sorted(db.query("C", where).ids)
    assert got == sorted(db.reference("C", where).ids), where
    return got


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # Stop words in the search are ignored, excluded ones too (MongoDB filters them from
        # its negated terms): '-the fox' is 'fox'. They excluded every record holding 'the'.
        ("-the fox", ["a", "b"]),
        ("fox -a", ["a", "b"]),
        ("fox -The -AN", ["a", "b"]),
        ({"term": "fox -the", "caseSensitive": True}, ["a", "b"]),
        # not stop words in another language: excluded as written
        ({"term": "fox -the", "language": "none"}, ["b"]),
        # an excluded word that is not a stop word still excludes
        ("fox -lazy", ["a"]),
        # only stop words, excluded or not: nothing to find
        ("-the", []),
        ("the -a", []),
    ],
)
def test_excluded_stop_words_are_ignored(db, search, expected):
    assert _ids(db, search) == expected


@pytest.mark.parametrize(
    ("search", "got"),
    [
        # A blank term said "should be string (got string)".
        ("", "(got an empty string)"),
        ("  \t\n", "(got only spaces)"),
        ({"term": " "}, "(got only spaces)"),
        ({"term": 3}, "(got number)"),
        ({"language": "en"}, "(got undefined)"),
    ],
)
def test_a_bad_term_says_what_is_wrong(db, search, got):
    for run in (db.query, db.reference):
        with pytest.raises(QueryError) as info:
            run("C", {"t": {"text": {"search": search}}})
        assert info.value.code == 107
        assert f"bad $text: $term, should be string {got}" in str(info.value)


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # A -"quoted phrase" excludes the phrase, as in MongoDB; the quotes alone were read, so
        # it became a phrase every record had to hold: the opposite answer.
        ('fox -"quick fox"', ["b"]),
        ('-"quick fox" fox', ["b"]),
        ('fox dog -"lazy fox"-"quick fox"', ["c"]),  # the exclusion lasts to the next space
        ('-"quick fox"', []),  # nothing to find, as with excluded words alone
        ('"lazy fox" -"quick fox"', ["b"]),
        ('"lazy fox" -"LAZY fox"', []),
        ({"term": 'fox -"Quick fox"', "caseSensitive": True}, ["a", "b"]),
        ({"term": 'fox -"quick fox"', "caseSensitive": True}, ["b"]),
        # a "-" not after a space is a separator, not an exclusion
        ('fox x-"quick fox"', ["a"]),
        ('fox - "quick fox"', ["a"]),
    ],
)
def test_an_excluded_phrase_is_excluded(db, search, expected):
    assert _ids(db, search) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # A quote never closed starts no phrase: MongoDB searches the words after it (a '-'
        # among them separates words). Everything after the quote was dropped: nothing found.
        ('"quick', ["a"]),
        ('"lazy dog', ["b", "c"]),
        ('"old -fox', ["a", "b", "c"]),
        ('"lazy fox" "dog', ["b"]),
        # after a '-' the unclosed quote adds nothing, as in MongoDB
        ('dog -"quick', ["c"]),
    ],
)
def test_an_unclosed_quote_leaves_plain_words(db, search, expected):
    assert _ids(db, search) == expected


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # A phrase of stop words alone gives MongoDB no word to look up: nothing is found, and
        # next to plain words one of them must be found too. The phrase alone was the test.
        ('"the"', []),
        ('lazy "the"', []),
        ('quick "the"', ["a"]),
        ('-"the" fox', ["b"]),
        # a phrase holding another word: the plain words are not needed
        ('"the quick"', ["a"]),
        ('dog "the quick"', ["a"]),
    ],
)
def test_a_phrase_of_stop_words_alone_finds_nothing_by_itself(db, search, expected):
    assert _ids(db, search) == expected


@pytest.mark.parametrize(
    ("search", "message"),
    [
        # A misspelt option was ignored: the search ran without it and answered differently.
        ({"term": "Quick", "caseSensitve": True}, "unknown key 'caseSensitve' in text.search (did you mean 'caseSensitive'?)"),
        ({"term": "fox", "Language": "none"}, "unknown key 'Language' in text.search (did you mean 'language'?)"),
    ],
)
def test_a_misspelt_search_option_is_an_error(db, search, message):
    for run in (db.query, db.reference):
        with pytest.raises(QueryError) as info:
            run("C", {"t": {"text": {"search": search}}})
        assert message in str(info.value)


def test_a_misspelt_text_key_is_an_error(db):
    with pytest.raises(QueryError, match="unknown key 'languge' in text"):
        db.query("C", {"t": {"text": {"search": "fox", "languge": "none"}}})


def test_a_misspelt_search_key_is_named_with_its_suggestion(db):
    """docs/semantics.md#text: any other key of `text` is 102 with a suggestion. `{serch: 'x'}`
    was 107 "text needs {search: 'term'}", which names neither the key nor the fix."""
    for run in (db.query, db.reference, lambda _cls, where: to_parse_where(where)):
        with pytest.raises(QueryError) as info:
            run("C", {"t": {"text": {"serch": "fox"}}})
        assert info.value.code == 102, str(info.value)
        assert "unknown key 'serch' in text (did you mean 'search'?)" in str(info.value)


@pytest.mark.parametrize(
    "query",
    [
        {"nor": [{"t": {"text": {"search": "fox"}}}]},
        {"and": [{"t": {"exists": True}}, {"nor": [{"or": [{"t": {"text": {"search": "fox"}}}, {"t": {"equalTo": "x"}}]}]}]},
        "where({ nor: [{ t: { text: { search: 'fox' } } }] })",
    ],
    ids=["nor", "deep-nor", "script"],
)
def test_a_text_search_under_a_negation_is_refused(db, query):
    """docs/semantics.md#text: as MongoDB refuses $text under $nor, a text search under a
    negation is 102 naming its field (it answered the records without the words)."""
    for run in (db.query, db.reference):
        with pytest.raises(QueryError, match=r"a text search cannot be inside a negation \('nor'\): field 't'") as info:
            run("C", query)
        assert info.value.code == 102
    with pytest.raises(QueryError, match="cannot be inside a negation"):
        db.find("C", {"$nor": [{"t": {"$text": {"$search": {"$term": "fox"}}}}]})
    # under or it stays allowed, as the one text search of the query
    assert sorted(db.query("C", {"or": [{"t": {"text": {"search": "lazy"}}}, {"t": {"equalTo": "an old dog"}}]}).ids) == ["b", "c"]


LINKED = {
    "classes": {"U": {"fields": {"t": {"type": "String"}}},
                "P": {"fields": {"u": {"type": "Pointer", "targetClass": "U"}, "s": {"type": "String"}}}},
    "records": {"U": [{"objectId": "a", "t": "quick fox"}, {"objectId": "b", "t": "lazy dog"}],
                "P": [{"objectId": "p1", "u": {"__type": "Pointer", "className": "U", "objectId": "a"}, "s": "a"},
                      {"objectId": "p2", "u": {"__type": "Pointer", "className": "U", "objectId": "b"}, "s": "b"}]},
}
FOX, DOG = {"t": {"text": {"search": "fox"}}}, {"t": {"text": {"search": "dog"}}}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"u": {"matchesQuery": {"nor": [FOX]}}}, "a text search cannot be inside a negation ('nor'): field 't'"),
        ({"u": {"doesNotMatchQuery": {"where": {"or": [{"nor": [FOX]}]}, "className": "U"}}},
         "a text search cannot be inside a negation ('nor'): field 't'"),
        ({"s": {"matchesKeyInQuery": {"key": "objectId", "className": "U", "where": {"nor": [FOX]}}}},
         "a text search cannot be inside a negation ('nor'): field 't'"),
        ({"u": {"matchesQuery": {"or": [FOX, DOG]}}}, "only one text search per query"),
        ("where({ u: { matchesQuery: { nor: [{ t: { text: { search: 'fox' } } }] } } })",
         "a text search cannot be inside a negation ('nor'): field 't'"),
    ],
    ids=["matchesQuery", "doesNotMatchQuery", "matchesKeyInQuery", "two", "script"],
)
def test_a_sub_querys_where_keeps_the_text_rules_of_a_query(engine_opener, query, says):
    """docs/semantics.md#text: a sub-query's where is a query of its own: one text search, none
    under a negation there too (its nor answered the records without the words)."""
    db = engine_opener()
    try:
        db.load(LINKED)
        for run in (db.query, db.reference):
            with pytest.raises(QueryError, match=re.escape(says)) as info:
                run("P", query)
            assert info.value.code == 102
        # Its own text search: beside the outer query's, and inside a negated sub-query.
        assert db.query("P", {"u": {"doesNotMatchQuery": FOX}}).ids == ["p2"]
        assert db.query("P", {"nor": [{"u": {"matchesQuery": FOX}}], "u": {"matchesQuery": DOG}}).ids == ["p2"]
        assert db.reference("P", {"nor": [{"u": {"matchesQuery": FOX}}]}).ids == ["p2"]
    finally:
        db.close()


# Texts for each way their word columns are stored: plain lower-case words (the folded words
# and the words as written both left out), capitals (the folded words stored), punctuation,
# extra blanks and marks (the words as written stored too).
STORED_FORMS = ["quick brown fox", "Quick Brown Fox", "quick, brown  fox!", " Élan vital ", "", "fox"]


def test_each_stored_form_of_the_words_is_searched_as_its_text(engine_opener):
    """The folded words and the words as written are stored only where they differ from what
    they are read back as (a bulk load wrote three word columns for every text, most of its
    time on a text class): every kind of search finds the same records in every form."""
    database = engine_opener()
    try:
        records = [{"objectId": f"r{i}", "t": t} for i, t in enumerate(STORED_FORMS)]
        database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}}, "records": {"C": records}})
        database.create("C", {"objectId": "w1", "t": "Quick fox"})
        database.create("C", {"objectId": "w2", "t": "quick fox"})
        for term in ["fox", "Fox", "quick", "Quick", "élan", "Élan", "elan", '"brown fox"', '"Brown Fox"', "-fox quick"]:
            for opts in [{}, {"caseSensitive": True}, {"diacriticSensitive": True}, {"language": "none"},
                         {"language": "none", "caseSensitive": True}]:
                where = {"t": {"text": {"search": {"term": term, **opts}}}}
                assert sorted(database.query("C", where).ids) == sorted(database.reference("C", where).ids), where
    finally:
        database.close()

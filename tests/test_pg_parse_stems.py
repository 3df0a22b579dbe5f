"""English stemmed text search on Parse's own tables in place (parse_words.stems_hold, the
Snowball steps of parse_stems.py): every answer equals the reference evaluator's.

The tables are made as Parse Server makes them (``_SCHEMA`` and one table per class) in a
schema of the test cluster, so the texts can hold what REST round trips would not show off:
diacritics, ß, ligatures, digits, underscores, stop words (querylang's and PostgreSQL's
english.stop, which also holds 's', 't' and 'don'), phrases and negations. The end-to-end path
through a live Parse Server is in tests/importers/test_parse_in_place.py.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import snowballstemmer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import querylang
from querylang.engines.postgres.parse_stems import stem_laterals
from querylang.engines.postgres.parse_words import STEM_TAIL, stems_problem, stems_sql
from querylang.errors import QueryError
from querylang.features import text

from .pg import cluster_sql, fresh_url

TEXTS = [
    "The runner was running; runners ran.",
    "Straße und Strasse, STRASSE",
    "ﬁnancial ﬂows ﬁnance the ﬁrm",
    "Café naïve résumé Ångström",
    "cafe naive resume angstrom",
    "x_y snake_case_words 42 3d 1st 2nd",
    "don't stop, it's the t's and s's",
    "Don t s don",
    "I can't believe it isn't butter",
    "ǅemal Σίσυφος ΣΊΣΥΦΟΣ москва İstanbul",
    "한국어 텍스트 ⅫⅦ ½ ²",
    "added biologist dying lying tying skies skis news innings evening",
    "generously communism arsenal emergency international universe organization pasta past",
    "the quick brown fox jumps over the lazy dog",
    "quick brown, the fox",
    "fox the quick",
    "connection connected connecting connections",
    "hopping hoped hoping hopes",
    "a an the and or but",
    "yelling happy cries ties gas",
    "",
    "   ___   ",
    "é\u0301 e\u0301 cafe\u0301",
    "ﬃ ﬄ ﬅ ﬆ",
    "quick \u037a brown",  # 'ͺ' is a word that folds to nothing: not a word of the phrase
    "Re\u0301sume\u0301 cafe\u0301 nai\u0308ve",  # decomposed (NFD): the marks are inside the words
    "हिन्दी भाषा",  # vowel signs and the virama are combining marks
]

TERMS = [
    "run", "running", "RUNNERS", "strasse", "Straße", "STRAẞE", "finance", "ﬁnance", "financial", "flow",
    "cafe", "Café", "naive", "résumé", "angstrom", "x", "y", "x_y", "snake", "42", "3d", "1st",
    "don", "t", "s", "stop", "it", "can", "believ", "butter", "dzemal", "σισυφοσ", "москва", "istanbul",
    "한국어", "xii", "12", "add", "ad", "biolog", "biologist", "die", "lie", "tie", "sky", "ski", "news",
    "inning", "evening", "generous", "communism", "arsenal", "emergency", "international", "universe",
    "organ", "pasta", "past", "quick", "fox", "dog", "connect", "hop", "hope", "the", "a", "happy", "cry",
    "ffi", "st", "sume", "हिन्दी", "भाषा", "ह",
    '"quick brown"', '"brown quick"', '"the quick"', '"fox the"', '"quick brown" "lazy dog"',
    '"connected connections"', '"it s"', '"don t"', '"runner was"', '"x y"', '"e cafe"',
    "-fox quick", "-the quick", "-run running", "-s don", "quick -lazy", '"quick brown" -lazy',
    "-", '""', "the a an", "ﬁnancial -ﬂows", "cafe -naive", "STRASSE -Café",
    'fox -"quick brown"', '-"brown fox" -"lazy dog" quick', "quick -the",
]  # fmt: skip


def _create_parse_tables(url: str, texts: list[str | None]) -> None:
    schema = {"className": "Doc", "fields": {
        "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
        "body": {"type": "String"}, "title": {"type": "String"}}}  # fmt: skip
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', ["Doc", json.dumps(schema)])
        con.execute('CREATE TABLE "Doc" ("objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz, '
                    '"_rperm" text[], "_wperm" text[], "body" text, "title" text)')
        for i, t in enumerate(texts):
            con.execute('INSERT INTO "Doc" VALUES (%s, now(), now(), NULL, NULL, %s, %s)', [f"d{i:03d}", t, "the fox"])


@pytest.fixture(scope="module")
def parse_url(pg_cluster: Any) -> str:
    url = fresh_url(pg_cluster)
    _create_parse_tables(url, [*TEXTS, None])
    return url


@pytest.fixture(scope="module")
def in_place(parse_url: str) -> Iterator[querylang.Database]:
    db = querylang.connect(parse_url, layout="parse")
    yield db
    db.close()


def _search(term: str, **opts: Any) -> dict[str, Any]:
    return {"body": {"text": {"search": {"term": term, **opts} if opts else term}}}


def _same(db: querylang.Database, where: dict[str, Any]) -> list[str]:
    got = db.query("Doc", where).ids
    assert got == db.reference("Doc", where).ids, where
    return got


@pytest.mark.parametrize("term", TERMS)
def test_english_search_equals_the_reference(term: str, in_place: querylang.Database) -> None:
    if not term.strip():
        with pytest.raises(QueryError):
            in_place.query("Doc", _search(term))
        return
    _same(in_place, _search(term))
    _same(in_place, _search(term, language="en"))


def test_the_answers_are_not_empty(in_place: querylang.Database) -> None:
    """The stemmed answers are the ones that need stemming and folding (not vacuous)."""
    assert _same(in_place, _search("RUNNERS")) == ["d000"]
    assert _same(in_place, _search("ﬁnance")) == ["d002"]
    assert _same(in_place, _search("Straße")) == ["d001"]
    assert _same(in_place, _search("cafe")) == ["d003", "d004", "d022", "d025"]
    assert _same(in_place, _search("resume")) == ["d003", "d004", "d025"]
    assert _same(in_place, _search("हिन्दी")) == ["d026"]
    assert _same(in_place, _search("don")) == ["d006", "d007"]  # english.stop's 'don' is still a word
    assert _same(in_place, _search('"it\'s"')) == ["d006"]
    assert _same(in_place, _search('"it s"')) == []  # a phrase is a substring of the text: "it's" is not "it s"
    assert _same(in_place, _search("biologist")) == ["d011"]
    assert _same(in_place, _search("added")) == ["d011"]
    assert _same(in_place, _search("-fox quick")) == ["d024"]
    # not d024's "quick \u037a brown": a phrase is a substring, and the letter between stays in it
    assert _same(in_place, _search('"quick brown"')) == ["d013", "d014"]


def test_combined_with_other_filters(in_place: querylang.Database) -> None:
    for where in (
        {"or": [_search("quick"), {"body": {"equalTo": "Don t s don"}}]},
        {"and": [_search("connect"), {"title": {"equalTo": "the fox"}}]},
    ):
        _same(in_place, where)
    for where in ({"nor": [_search("quick")]}, {"nor": [_search('"quick brown"')]}):  # as MongoDB refuses $text under $nor
        with pytest.raises(querylang.QueryError, match="cannot be inside a negation"):
            in_place.query("Doc", where)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_terms_equal_the_reference(data: st.DataObject, in_place: querylang.Database) -> None:
    vocab = sorted({w for t in TEXTS for w in text.words(t)} | {"runs", "ran", "stops", "zzz"})
    word = st.sampled_from(vocab).map(lambda w: w.upper() if len(w) % 3 == 0 else w)
    phrase = st.lists(word, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"')
    chunk = st.one_of(word, word.map(lambda w: "-" + w), phrase, phrase.map(lambda p: "-" + p))
    term = " ".join(data.draw(st.lists(chunk, min_size=1, max_size=4)))
    _same(in_place, _search(term))


def test_exact_and_other_language_searches_still_answer(in_place: querylang.Database) -> None:
    for opts in ({"caseSensitive": True}, {"diacriticSensitive": True}, {"language": "none"}):
        for term in ("Café", "cafe", "Straße", '"quick brown"', "-fox quick", 'fox -"Quick brown"', 'fox -"quick brown"'):
            _same(in_place, _search(term, **opts))


def test_long_words_of_other_languages_are_answered(in_place: querylang.Database) -> None:
    """A search with folded words and no stemming wrote, at every character of the word, the
    class of the characters that fold to nothing (some 4,000 characters of pattern) into each
    branch: a word of three Hangul syllables passed 200,000 characters and was refused ("too
    long to be answered on Parse's own tables in place") where the reference answers. Those
    characters are deleted from the text first, as for a search with a sensitivity flag."""
    for term in ("한국어", "텍스트", "international", "Re\u0301sume\u0301"):
        assert _same(in_place, _search(term, language="none")), term



# --- the SQL pieces against the Python ones, on the test server -------------------------------


def _stems_on_server(url: str, words: list[str]) -> dict[str, str]:
    laterals, stem = stem_laterals("u.w")
    out: dict[str, str] = {}
    with psycopg.connect(url) as con:
        for i in range(0, len(words), 20000):
            rows = con.execute(f"SELECT u.w, {stem} FROM unnest(%s::text[]) AS u(w) {laterals}", [words[i:i + 20000]])
            out.update(rows.fetchall())
    return out


def _vocabulary() -> list[str]:
    try:
        from english_words import get_english_words_set
    except ImportError:
        pytest.fail("the stemmer test needs an English word list: pip install english-words (in .[dev])", pytrace=False)
    words = get_english_words_set(["gcide"], lower=True, alpha=False)
    return sorted(w for w in words if w.isalnum())


SUFFIXES = [
    "", "s", "es", "ies", "ied", "sses", "ss", "us", "ed", "eed", "edly", "eedly", "ing", "ingly", "ying", "ly",
    "li", "y", "e", "l", "ll", "ational", "tional", "enci", "anci", "abli", "entli", "izer", "ization", "ation",
    "ator", "alism", "aliti", "alli", "fulness", "ousli", "ousness", "iveness", "iviti", "biliti", "bli", "logi",
    "ogi", "fulli", "lessli", "ogist", "alize", "icate", "iciti", "ical", "ful", "ness", "ative", "al", "ance",
    "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate", "iti", "ous", "ive", "ize",
    "sion", "tion", "ion", "at", "bl", "iz", "bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt", "cc",
    "past", "pasted", "even", "evening", "cann", "canning", "inn", "inning", "out", "outing", "succ", "succeed",
    "proc", "proceed", "exc", "exceed",
]  # fmt: skip
BASES = [
    "", "a", "e", "o", "y", "b", "c", "ya", "ay", "yy", "hop", "fil", "tap", "gener", "commun", "arsen", "emerg",
    "inter", "later", "organ", "univers", "past", "sky", "ski", "news", "bias", "d", "l", "t", "eg", "ad", "od",
    "eb", "ab", "x", "w", "crie", "tie", "bus", "cat", "ca", "ω", "é", "ñ", "中", "a中", "中a", "3", "a1", "1a",
    "relat", "condit", "rat", "dy", "hy", "ey",
]  # fmt: skip
EXCEPTIONS = ["skis", "skies", "sky", "dying", "lying", "tying", "idly", "gently", "ugly", "early", "only", "singly",
              "news", "howe", "atlas", "cosmos", "bias", "andes", "inning", "outing", "canning", "herring", "earring",
              "evening", "proceed", "exceed", "succeed", "innings", "outings", "proceeded", "exceeding"]  # fmt: skip


def test_sql_stemmer_equals_snowballstemmer(parse_url: str) -> None:
    """On a large English vocabulary, words built from every suffix rule of english.sbl over
    stems that reach each of its tests, its exception lists, and random words over the letters
    its rules name (with a digit and non-ASCII letters, which it reads as non-vowels)."""
    stemmer = snowballstemmer.stemmer("english")
    built = {b + s1 + s2 for b in BASES for s1 in SUFFIXES for s2 in ("", "s", "ed", "ing", "ly", "e", "al", "ness", "ation")}
    rnd = random.Random(1)
    letters = "aeiouywxlstbdfgmnprcvhkz0é中"
    randoms = {"".join(rnd.choice(letters) for _ in range(rnd.randint(1, 9))) for _ in range(20000)}
    short = {"".join(p) for n in (1, 2, 3) for p in itertools.product("aeiouywlstdbé", repeat=n)}
    words = sorted(set(_vocabulary()) | built | randoms | short | set(EXCEPTIONS))
    got = _stems_on_server(parse_url, words)
    differ = [(w, got[w], stemmer.stemWord(w)) for w in words if got[w] != stemmer.stemWord(w)]
    assert not differ, differ[:20]
    # parse_words.stems_hold stems only the words (folded: the stemmer's input) that start with
    # the stem less its tail
    far = [w for w in words if not w.startswith(got[w][: len(got[w]) - STEM_TAIL + 1])]
    assert not far, far[:20]


def test_postgres_english_stem_is_not_the_same_stemmer(parse_url: str) -> None:
    """Why parse_stems.py exists: PostgreSQL's english_stem answers nothing for its own stop
    words, and on this server its Snowball release may stem differently ('added')."""
    stemmer = snowballstemmer.stemmer("english")
    with psycopg.connect(parse_url) as con:
        for w in ("s", "t", "don", "the", "ourselves"):
            assert con.execute("SELECT ts_lexize('english_stem', %s)", [w]).fetchone()[0] == []
            assert text.stem(w) == stemmer.stemWord(w) != ""
        assert _stems_on_server(parse_url, ["s", "t", "don", "ourselves"]) == {w: text.stem(w) for w in ("s", "t", "don", "ourselves")}


def test_words_and_folds_of_every_alphanumeric_character(parse_url: str) -> None:
    """text.stems of texts holding every character Python counts as alphanumeric (each alone,
    between ASCII letters, and beside combining marks, underscores and punctuation)."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF and chr(c).isalnum()]
    texts = [" ".join(chars[i:i + 500]) for i in range(0, len(chars), 500)]
    texts += ["".join("x" + c + "ing" for c in chars[i:i + 300]) for i in range(0, len(chars), 3000)]
    texts += ["Ab" + c + "\u0301_" + c.upper() + "ed-" for c in chars[::97]]
    sql, params = stems_sql("u.t")
    sql = sql.replace("%", "%%").replace("?", "%s")
    with psycopg.connect(parse_url) as con:
        rows = con.execute(f"SELECT u.t, {sql} FROM unnest(%s::text[]) AS u(t)", [*params, texts]).fetchall()
    differ = [t[:60] for t, got in rows if got != text.joined(text.stems(t))]
    assert not differ, differ[:5]


def test_the_self_check_passes_here(parse_url: str) -> None:
    with psycopg.connect(parse_url) as con:
        assert stems_problem(con) is None


def test_refused_with_the_reason_on_a_database_that_is_not_utf8(pg_cluster: Any) -> None:
    """A database in another encoding cannot fold and split words as Python does: refused,
    the other searches still answered."""
    name = "ql_parse_latin1"
    cluster_sql(pg_cluster, f"DROP DATABASE IF EXISTS {name}")
    cluster_sql(pg_cluster, f"CREATE DATABASE {name} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    url = pg_cluster.url(name)
    try:
        _create_parse_tables(url, ["running fast", "walking"])
        db = querylang.connect(url, layout="parse")
        try:
            with pytest.raises(QueryError, match="English stemming.*encoding is LATIN1, not UTF8"):
                db.query("Doc", _search("run"))
            assert db.query("Doc", _search("running", caseSensitive=True)).ids == ["d000"]
            # With a flag, a word whose stem is a stop word's ('haves': 'have') is also looked for
            # among the stems (MongoDB reads its index first): refused too, and the reason does
            # not send the user to the flag they gave.
            with pytest.raises(QueryError, match="English stemming.*a word whose stem is a stop word's") as err:
                db.query("Doc", _search("haves", caseSensitive=True))
            assert "Search with caseSensitive or diacriticSensitive, or" not in str(err.value)
        finally:
            db.close()
    finally:
        cluster_sql(pg_cluster, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


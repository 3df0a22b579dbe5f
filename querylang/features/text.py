"""Text search (docs/semantics.md#text): MongoDB's meaning, on the named String field.

A search term is split into words, ``"quoted phrases"`` and ``-negated`` words and phrases.
A record matches when it holds none of the negated words and phrases and either every phrase
(when there are phrases) or at least one of the words. Words are compared as English Snowball
stems of their case- and diacritic-folded forms, after dropping English stop words; with
``caseSensitive`` or ``diacriticSensitive`` words are compared exactly as written (no
folding, no stemming).
Other languages than English are not stemmed.

The store keeps each String field's words as ``" w1 w2 … "`` text (stems and raw words), so SQL
finds a word or a phrase with ``contains``; the reference evaluator recomputes the words from
the record's own text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import Stemmer

from querylang.errors import INCORRECT_TYPE, INVALID_JSON, QueryTypeError
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, Pos, type_name
from querylang.model.schema import Field, a_type, check_known_keys

# Combining marks live in planes 0 and 1 and in plane 14's variation selectors; scanning only
# those keeps building the class quick.
_MARK_PLANES = (range(0x20000), range(0xE0000, 0xE0200))


@functools.cache
def _word_re() -> re.Pattern[str]:
    """A word is a run of letters and digits with the combining marks among them: 'résumé'
    written with U+0301 after each 'e' (as macOS keyboards write it) is one word, and so is a
    word of a script whose vowel signs are marks (Devanagari). Marks fold to nothing (fold).
    Built on first use: the class lists every mark."""
    ranges: list[list[int]] = []
    for plane in _MARK_PLANES:
        for cp in plane:
            if _mark(chr(cp)):
                if ranges and ranges[-1][1] == cp - 1:
                    ranges[-1][1] = cp
                else:
                    ranges.append([cp, cp])
    marks = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile(r"(?:[^\W_]|[" + marks + "])+")


def _mark(c: str) -> bool:
    """A combining mark (categories Mn, Mc, Me)."""
    return unicodedata.category(c)[0] == "M"


def word_char(c: str) -> bool:
    """Whether the character belongs to words (a letter, a digit or a combining mark)."""
    return c.isalnum() or _mark(c)


# PyStemmer: Snowball's own C build. The pure-Python one takes time growing with the square
# of a word's length (a word of 300,000 letters 'yo yo ...' without spaces: seconds to
# minutes), and every String written gets its words stemmed.
_STEMMER = Stemmer.Stemmer("english")
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with you your yours yourself yourselves""".split()
)


def words(text: str) -> list[str]:
    """The words of a text: runs of letters, digits and combining marks."""
    return _word_re().findall(text)


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Case- and diacritic-insensitive form: 'Café' → 'cafe'.

    Cached: loading folds every word of every String value, and vocabularies are small next
    to the number of records (a third of a 1M-record load went here uncached).

    Compatibility decomposition can bring in spaces or punctuation ('ͺ' → ' ͅ'); only letters
    and digits are kept, so one word folds to one token (possibly empty: then it is dropped).
    """
    decomposed = unicodedata.normalize("NFKD", word)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return "".join(c for c in kept if c.isalnum())


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """English Snowball stem of a folded word ('running' → 'run')."""
    return _STEMMER.stemWord(fold(word))


@functools.lru_cache(maxsize=65536)
def _ascii_stem(word: str) -> str:
    """stem() of an ASCII word already in lower case (its own fold)."""
    return _STEMMER.stemWord(word)


def stems(text: str) -> list[str]:
    """English stems of a text's folded words (words that fold to nothing are dropped)."""
    return [stem(w) for w in words(text) if fold(w)]


def folded(text: str) -> list[str]:
    """A text's folded words, none empty."""
    return [f for f in (fold(w) for w in words(text)) if f]


def joined(tokens: list[str]) -> str:
    """Tokens as ``" t1 t2 "`` so a word or phrase is found by a plain substring test."""
    return " " + " ".join(tokens) + " "


# In ASCII text a word is a run of ASCII letters and digits, and folds to its lower case.
_ASCII_WORD = re.compile(r"[0-9A-Za-z]+")


def word_columns(text: str) -> tuple[str, str, str]:
    """The stored words of a String value: stems, folded words, words as written
    (layout.TEXT_PARTS order: ``f:tx``, ``f:fx``, ``f:wx``)."""
    if text.isascii():
        # Most texts: the general word pattern (every combining mark in its class) and the
        # Unicode folding cost most of a load's word computation, and change nothing here.
        as_written = " " + " ".join(_ASCII_WORD.findall(text)) + " "
        lowered = as_written.lower()
        return " " + " ".join([_ascii_stem(w) for w in lowered.split()]) + " ", lowered, as_written
    ws = words(text)  # once, not once per column: the same as stems, folded and words
    fs = [fold(w) for w in ws]
    return joined([stem(w) for w, f in zip(ws, fs, strict=True) if f]), joined([f for f in fs if f]), joined(ws)


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search term: words to find (any), phrases (all), words and phrases to exclude.

    ``phrase_word``: a phrase holds a word that is not a stop word. A record holding every
    phrase then holds one of the term's words, and the plain words need no test of their own;
    otherwise one of them must be found too (MongoDB reads a text index for the words of the
    term, phrases included, stop words left out: none to read, nothing found)."""

    words: tuple[str, ...]
    phrases: tuple[tuple[str, ...], ...]
    negated: tuple[str, ...]
    negated_phrases: tuple[tuple[str, ...], ...] = ()
    phrase_word: bool = False


def parse_search(term: str, exact: bool, language: str) -> Search:
    """Split a term into words, phrases and negations, normalised for comparison."""
    english = language.lower() in ("english", "en")

    def norm(ws: list[str]) -> list[str]:
        if exact:
            return ws
        ws = [w for w in ws if fold(w)]
        return [stem(w) if english else fold(w) for w in ws]

    def kept(pieces: list[str]) -> list[str]:
        # Stop words are dropped from excluded words too, as MongoDB does: '-the fox' finds
        # 'the fox' (docs/semantics.md#text: stop words in the search are ignored).
        return [w for piece in pieces for w in words(piece) if not (english and fold(w) in STOP_WORDS)]

    pieces = _pieces(term)
    phrases = [tuple(norm(words(p))) for p in pieces.phrases]
    negated_phrases = [tuple(norm(words(p))) for p in pieces.negated_phrases]
    return Search(tuple(norm(kept(pieces.words))), tuple(p for p in phrases if p), tuple(norm(kept(pieces.negated))),
                  tuple(p for p in negated_phrases if p), bool(norm(kept(pieces.phrases))))


@dataclass(slots=True)
class _Pieces:
    """A term's text, as written, by role (``parse_search`` finds the words in it)."""

    words: list[str]
    phrases: list[str]
    negated: list[str]
    negated_phrases: list[str]


def _pieces(term: str) -> _Pieces:
    """Split a term as MongoDB's text query parser does: a ``-`` after a space (or first)
    excludes what follows up to the next space, a ``"phrase"`` included (``-"a b"`` excludes
    the phrase; taking the quotes alone made it a phrase every record must hold). A ``-``
    inside a word is a separator. A quote that is never closed opens no phrase: what follows
    it is plain words, none of them excluded (a ``-`` inside is a separator), and nothing when
    a ``-`` came before the quote, as MongoDB reads it."""
    out = _Pieces([], [], [], [])
    negation, after_space, i = False, True, 0
    while i < len(term):
        c = term[i]
        if c.isspace():
            after_space, i = True, i + 1
            continue
        if c == "-":
            negation = negation or after_space
            after_space, i = False, i + 1
            continue
        negation = negation and not after_space
        if c == '"':
            end = term.find('"', i + 1)
            if end < 0:
                # Dropping the rest made '"quick brown' (a search box's half-typed phrase) find
                # nothing; MongoDB searches its words.
                if not negation:
                    out.words.append(term[i + 1 :])
                break
            (out.negated_phrases if negation else out.phrases).append(term[i + 1 : end])
            after_space, i = False, end + 1
            continue
        j = i
        while j < len(term) and not term[j].isspace() and term[j] not in '-"':
            j += 1
        (out.negated if negation else out.words).append(term[i:j])
        after_space, i = False, j
    return out


def doc_tokens(text: str, exact: bool, language: str) -> list[str]:
    """The comparable words of a stored text, for the given mode."""
    if exact:
        return words(text)
    english = language.lower() in ("english", "en")
    return stems(text) if english else folded(text)


def build_text(field: Field, operand: object, pos: Pos | None) -> n.Node | None:
    """``text: {search: 'term'}`` or ``{search: {term, language, caseSensitive, diacriticSensitive}}``."""
    if field.type != "String" or field.builtin:
        raise QueryTypeError(f"text needs a String field of the class; '{field.name}' is {a_type(field.type)}"
                             + (" (built in)" if field.builtin else ""), code=INCORRECT_TYPE)
    return text_node(field.name, operand, pos)


def text_node(name: str, operand: object, pos: Pos | None) -> n.Node | None:
    """The node of a text search on field ``name``, its operand checked (not the field's type:
    to_parse_where without a schema checks operands with no field to know)."""
    if isinstance(operand, Mapping):
        # Before the missing search: {serch: 'x'} is the misspelling to name, with its suggestion.
        check_known_keys(operand, ("search",), "text")
    if not isinstance(operand, Mapping) or "search" not in operand:
        raise QueryTypeError("text needs {search: 'term'}", code=INVALID_JSON)
    search = operand["search"]
    if search is UNDEFINED:
        return None
    opts: Mapping[str, object] = {}
    if isinstance(search, Mapping):
        opts = search
        check_known_keys(opts, SEARCH_KEYS, "text.search")
        search = search.get("term", UNDEFINED)
    if not isinstance(search, str) or not search.strip():
        # A blank term is refused as well: "(got string)" would not say what is wrong with it.
        got = type_name(search) if not isinstance(search, str) else "an empty string" if not search else "only spaces"
        raise QueryTypeError(f"bad $text: $term, should be string (got {got})", code=INVALID_JSON)
    language = opts.get("language", "english")
    if language is UNDEFINED or language is None:
        language = "english"
    if not isinstance(language, str):
        raise QueryTypeError("bad $text: $language, should be string", code=INVALID_JSON)
    flags = []
    for key in ("caseSensitive", "diacriticSensitive"):
        v = opts.get(key, False)
        if v is UNDEFINED or v is None:
            v = False
        if not isinstance(v, bool):
            raise QueryTypeError(f"bad $text: ${key}, should be boolean", code=INVALID_JSON)
        flags.append(v)
    return n.Text(name, search, language, flags[0], flags[1], pos=pos)


# The members of text.search (docs/semantics.md#text).
SEARCH_KEYS = ("term", "language", "caseSensitive", "diacriticSensitive")


def text_matches(text: str | None, node: n.Text) -> bool:
    """The reference rule: does ``text`` satisfy the search?"""
    if text is None:
        return False
    exact = node.case_sensitive or node.diacritic_sensitive
    s = parse_search(node.term, exact, node.language)
    tokens = doc_tokens(text, exact, node.language)
    if any(w in tokens for w in s.negated) or any(_has_run(tokens, p) for p in s.negated_phrases):
        return False
    if not all(_has_run(tokens, p) for p in s.phrases):
        return False
    return s.phrase_word or any(w in tokens for w in s.words)


def _has_run(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    k = len(phrase)
    return any(tuple(tokens[i : i + k]) == phrase for i in range(len(tokens) - k + 1))

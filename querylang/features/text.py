"""Text search (docs/semantics.md#text): MongoDB's meaning, on the named String field.

A search term is split into words, ``"quoted phrases"`` and ``-negated`` words and phrases.
A record matches when it holds none of the negated words and phrases, every phrase, and at
least one of the term's words, those of its phrases included (MongoDB looks them up in its text
index). Words are compared as English Snowball stems of their case- and diacritic-folded forms,
English stop words left out (:func:`stop_word`: of the search's words, and of the text's where
a word is searched for, not where it is excluded); with ``caseSensitive`` or
``diacriticSensitive`` words are not stemmed, and each flag keeps its own of the two
(:func:`word_fold`: case kept, diacritics still folded, or the other way round; both: as
written). Other languages than English are not stemmed. A phrase is a substring of the text,
both folded character by character as the flags say (:func:`phrase_fold`), as MongoDB's phrase
matcher compares them.

The store keeps each String field's words as ``" w1 w2 … "`` text (stems and raw words), so SQL
finds a word with ``contains``, and a phrase's folded words narrow the texts whose folded text
is searched for the phrase; the reference evaluator recomputes both from the record's own text.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import Stemmer

from querylang.errors import INCORRECT_TYPE, INVALID_JSON, LimitExceeded, QueryTypeError
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, Pos, type_name
from querylang.model.schema import Field, a_type, check_known_keys

# A phrase is found by a pattern with a class of code points per character (phrase_patterns):
# a long one was more than the engines' regular expressions may hold (9,000 'O' with
# caseSensitive; letters with fewer foldings go further), where the reference still answered.
MAX_PHRASE = 4_000

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
# MongoDB's English stop words (Snowball's list) less those with an apostrophe ("don't"), which
# split into two words here.
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by cannot could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself me more most my myself no nor not of off on once only or other ought our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why with would you your yours yourself yourselves""".split()
)


def _stop_stems() -> dict[str, tuple[str, ...]]:
    """The stems of the stop words, each with the stop words that stem to it: a text's stored
    stems leave the stop words out (word_columns), so an excluded word with one of these stems
    is also looked for as those stop words among the text's folded words."""
    out: dict[str, tuple[str, ...]] = {}
    for w in sorted(STOP_WORDS):
        s = _STEMMER.stemWord(w)
        out[s] = (*out.get(s, ()), w)
    return out


STOP_STEMS = _stop_stems()


def stop_word(word: str) -> bool:
    """Whether a word is an English stop word: its case folded, its diacritics kept, as
    MongoDB's tokenizer checks it (``Thé`` is no stop word; ``THE`` is)."""
    return _lower(word) in STOP_WORDS


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


def indexed_stems(text: str) -> list[str]:
    """stems() without the stop words': the words a search finds, as MongoDB's text index
    holds them (an excluded word is looked for among all of them, as MongoDB's matcher does)."""
    return [stem(w) for w in words(text) if fold(w) and not stop_word(w)]


def folded(text: str) -> list[str]:
    """A text's folded words, none empty."""
    return [f for f in (fold(w) for w in words(text)) if f]


def joined(tokens: list[str]) -> str:
    """Tokens as ``" t1 t2 "`` so a word or phrase is found by a plain substring test."""
    return " " + " ".join(tokens) + " "


# In ASCII text a word is a run of ASCII letters and digits, and folds to its lower case.
_ASCII_WORD = re.compile(r"[0-9A-Za-z]+")


def word_columns(text: str) -> tuple[str, str, str]:
    """The stored words of a String value: stems of the words that are not stop words
    (:func:`indexed_stems`), folded words, words as written (layout.TEXT_PARTS order:
    ``f:tx``, ``f:fx``, ``f:wx``)."""
    if text.isascii():
        # Most texts: the general word pattern (every combining mark in its class) and the
        # Unicode folding cost most of a load's word computation, and change nothing here.
        as_written = " " + " ".join(_ASCII_WORD.findall(text)) + " "
        lowered = as_written.lower()
        return " " + " ".join([_ascii_stem(w) for w in lowered.split() if w not in STOP_WORDS]) + " ", lowered, as_written
    ws = words(text)  # once, not once per column: the same as stems, folded and words
    fs = [fold(w) for w in ws]
    # A stop word folds to itself: only a word folding to one needs the stop_word test.
    tx = [stem(w) for w, f in zip(ws, fs, strict=True) if f and not (f in STOP_WORDS and stop_word(w))]
    return joined(tx), joined([f for f in fs if f]), joined(ws)


@dataclass(frozen=True, slots=True)
class Phrase:
    """A quoted phrase: ``needle``, its text folded as the search's flags say
    (:func:`phrase_fold`), is a substring of the record's text folded the same way; ``words``,
    its folded words joined by blanks, is then a substring of the record's folded words (where
    a phrase starts or ends inside a word, that word's fold holds the part the phrase has):
    the stored words narrow the records whose text is folded. '' when it has no word."""

    needle: str
    words: str


@dataclass(frozen=True, slots=True)
class Search:
    """A parsed search term: words to find (any), phrases (all), words and phrases to exclude.

    ``phrase_words``: the words of the phrases, stop words left out. A record holds one of
    ``words`` or ``phrase_words`` (MongoDB reads its text index for the words of the term,
    phrases included, stop words left out: none to read, nothing found).

    ``indexed``: with a sensitivity flag, the English stems of those words when one of them is
    a stop word's stem: a record must also hold one of them among its words that are not stop
    words (:func:`indexed_stems`). MongoDB reads its text index for them before it compares
    the words as the flag says, and the index holds no stop words: ``Thé`` with
    ``caseSensitive`` does not find ``The fox``. Otherwise a word found as the flag says is
    such a word, and the test is left out."""

    words: tuple[str, ...]
    phrases: tuple[Phrase, ...]
    negated: tuple[str, ...]
    negated_phrases: tuple[Phrase, ...] = ()
    phrase_words: tuple[str, ...] = ()
    indexed: tuple[str, ...] = ()


def parse_search(term: str, language: str, case_sensitive: bool = False, diacritic_sensitive: bool = False) -> Search:
    """Split a term into words, phrases and negations, normalised for comparison."""
    english = language.lower() in ("english", "en")

    def norm(ws: list[str]) -> list[str]:
        if case_sensitive or diacritic_sensitive:
            return word_fold(ws, case_sensitive, diacritic_sensitive)
        ws = [w for w in ws if fold(w)]
        return [stem(w) if english else fold(w) for w in ws]

    def kept(pieces: list[str]) -> list[str]:
        # Stop words are dropped from excluded words too, as MongoDB does: '-the fox' finds
        # 'the fox' (docs/semantics.md#text: stop words in the search are ignored).
        return [w for piece in pieces for w in words(piece) if not (english and stop_word(w))]

    def phrase(p: str) -> Phrase:
        return Phrase(phrase_fold(p, case_sensitive, diacritic_sensitive), " ".join(folded(p)))

    pieces = _pieces(term)
    indexed: tuple[str, ...] = ()
    if (case_sensitive or diacritic_sensitive) and english:
        stems_ = tuple(stem(w) for w in kept(pieces.words + pieces.phrases) if fold(w))
        indexed = stems_ if any(s in STOP_STEMS for s in stems_) else ()
    return Search(tuple(norm(kept(pieces.words))), tuple(map(phrase, pieces.phrases)), tuple(norm(kept(pieces.negated))),
                  tuple(map(phrase, pieces.negated_phrases)), tuple(norm(kept(pieces.phrases))), indexed)


# --- phrases: MongoDB compares a phrase with the text as strings, each folded code point by code
# point (simple case folding, then diacritics removed), not as words.

# Every code point with a case mapping, a decomposition or a combining class is in these planes
# (Python's Unicode data; plane 3 holds ideographs without any, 15 and 16 private use).
_FOLD_PLANES = (range(0x30000), range(0xE0000, 0xE1000))


def _lower1(c: str) -> str:
    """Simple case folding, one code point to one: the full folding's ß → ss is not, and İ
    has none (as MongoDB, outside Turkish)."""
    for f in (c.casefold(), c.lower()):
        if len(f) == 1:
            return f
    return c


def _lower(word: str) -> str:
    """A word case-folded one code point at a time (:func:`_lower1`), its diacritics kept."""
    return word if word.islower() and word.isascii() else "".join(map(_lower1, word))


def _strip1(c: str) -> str:
    """A code point without its diacritics: '' for a combining mark (a nonzero combining
    class), é → e, Å (U+212B) → A; itself when the rest is not one code point."""
    if unicodedata.combining(c):
        return ""
    base = unicodedata.normalize("NFC", "".join(d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d)))
    return base if len(base) == 1 else c


@functools.cache
def phrase_maps() -> dict[tuple[bool, bool], dict[int, str]]:
    """(caseSensitive, diacriticSensitive) → the code points a phrase search folds → their
    image ('' for dropped). A mapping is kept only where it keeps the code point's word fold
    (:func:`fold`) and whether it belongs to words, so a phrase found in the folded text has
    its folded words among the text's (Phrase.words). Built once, on first use."""
    raw_fold = fold.__wrapped__  # not through the cache: loads fill it with their words
    out: dict[tuple[bool, bool], dict[int, str]] = {(False, False): {}, (True, False): {}, (False, True): {}}
    for plane in _FOLD_PLANES:
        for cp in plane:
            c = chr(cp)
            if 0xD800 <= cp <= 0xDFFF or (c.casefold() == c == c.lower() and not unicodedata.decomposition(c)
                                          and not unicodedata.combining(c)):
                continue
            for (cs, ds), images in out.items():
                lowered = c if cs else _lower1(c)
                for f in (lowered if ds else _strip1(lowered), c if ds else _strip1(c), lowered):
                    if f != c and raw_fold(f) == raw_fold(c) and (word_char(f) if f else True) == word_char(c):
                        images[cp] = f
                        break
    return out


def phrase_fold(s: str, case_sensitive: bool, diacritic_sensitive: bool) -> str:
    """``s`` as a phrase search compares it: case-folded unless ``case_sensitive``, diacritics
    removed unless ``diacritic_sensitive``, code point by code point."""
    if case_sensitive and diacritic_sensitive:
        return s
    return s.translate(phrase_maps()[case_sensitive, diacritic_sensitive])


def word_fold(ws: list[str], case_sensitive: bool, diacritic_sensitive: bool) -> list[str]:
    """Words as a search with a sensitivity flag compares them: both flags, as written; one,
    folded by :func:`phrase_fold` as MongoDB's tokenizer folds them under it (case kept and
    diacritics removed, or diacritics kept and case folded), the words that fold to nothing
    (:func:`fold`) left out. Not stemmed (MongoDB stems the words so folded; querylang does
    not, docs/semantics.md#text)."""
    if case_sensitive and diacritic_sensitive:
        return ws
    return [phrase_fold(w, case_sensitive, diacritic_sensitive) for w in ws if fold(w)]


@functools.cache
def _preimages(case_sensitive: bool, diacritic_sensitive: bool) -> tuple[list[int], dict[str, list[int]]]:
    """phrase_maps' code points dropped, and those each image comes from."""
    dropped: list[int] = []
    into: dict[str, list[int]] = {}
    for cp, f in phrase_maps()[case_sensitive, diacritic_sensitive].items():
        if f:
            into.setdefault(f, []).append(cp)
        else:
            dropped.append(cp)
    return dropped, into


def fold_preimages(needle: str, case_sensitive: bool, diacritic_sensitive: bool) -> tuple[list[int], list[list[int]]]:
    """The code points :func:`phrase_fold` drops, and for each character of ``needle`` (folded)
    the code points that fold to it (itself included unless it folds to another)."""
    dropped, into = _preimages(case_sensitive, diacritic_sensitive)
    images = phrase_maps()[case_sensitive, diacritic_sensitive]
    return dropped, [([] if ord(c) in images else [ord(c)]) + into.get(c, []) for c in needle]


def _pcre_class(points: list[int]) -> str:
    ranges: list[list[int]] = []
    for cp in sorted(points):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "[" + "".join(f"\\x{{{a:x}}}" + (f"-\\x{{{b:x}}}" if b > a else "") for a, b in ranges) + "]"


def phrase_patterns(needle: str, case_sensitive: bool, diacritic_sensitive: bool) -> tuple[str, str]:
    """A folded phrase's test as PCRE patterns (features/regex writes them for each engine,
    whose own case folding follows its own tables): the code points the folding drops ('' for
    none), and the phrase in a text they are dropped from, each of its characters a class of
    the code points that fold to it. The folding maps the rest one to one, so the second
    matches exactly where the folded text holds ``needle``."""
    dropped, each = fold_preimages(needle, case_sensitive, diacritic_sensitive)
    return (_pcre_class(dropped) if dropped else ""), "".join(map(_pcre_class, each))


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


def doc_tokens(text: str, language: str, case_sensitive: bool = False, diacritic_sensitive: bool = False) -> list[str]:
    """The comparable words of a stored text, for the given mode."""
    if case_sensitive or diacritic_sensitive:
        return word_fold(words(text), case_sensitive, diacritic_sensitive)
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
    # As every string operand (docs/semantics.md#types): a phrase is bound as SQL text or a
    # pattern, which a lone surrogate or a NUL made an engine error.
    try:
        search.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryTypeError("bad $text: $term holds a lone surrogate (not valid Unicode)", code=INVALID_JSON) from None
    if "\x00" in search:
        raise QueryTypeError("bad $text: $term holds a NUL character", code=INVALID_JSON)
    pieces = _pieces(search)
    for phrase in (*pieces.phrases, *pieces.negated_phrases):
        if len(phrase) > MAX_PHRASE:
            raise LimitExceeded(f"bad $text: a phrase of {len(phrase)} characters in $term (at most {MAX_PHRASE})")
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
    cs, ds = node.case_sensitive, node.diacritic_sensitive
    s = parse_search(node.term, node.language, cs, ds)
    tokens = doc_tokens(text, node.language, cs, ds)
    haystack = phrase_fold(text, cs, ds)
    if any(w in tokens for w in s.negated) or any(p.needle in haystack for p in s.negated_phrases):
        return False
    if not all(p.needle in haystack for p in s.phrases):
        return False
    if not (cs or ds) and node.language.lower() in ("english", "en"):
        # MongoDB finds a word in its text index, which leaves the stop words out: 'Thé'
        # (no stop word) finds 'thé', not 'the'.
        tokens = indexed_stems(text)
    if s.indexed and not any(w in indexed_stems(text) for w in s.indexed):
        return False
    return any(w in tokens for w in (*s.words, *s.phrase_words))

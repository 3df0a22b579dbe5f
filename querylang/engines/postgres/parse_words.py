"""Text-search words as PostgreSQL regular expressions (ARE), for tables that keep no word
columns (Parse's own, parse_layout.py).

features/text.py splits a text into words, the runs of letters, digits and combining marks
(``text.word_char``), and compares them as written (``caseSensitive`` / ``diacriticSensitive``)
or folded (:func:`text.fold`: NFKD, combining marks dropped, case-folded, letters and digits
kept). A word, or a phrase of consecutive words, is then a pattern over the raw text:

* the word class is the explicit list of those code points as Python classifies them (a
  locale's ``[[:alnum:]]`` differs from it), so word boundaries are the ones text.words finds;
* folding works character by character (NFKD decomposes each character on its own, the
  combining marks it could reorder are dropped, and case folding has no context), so the
  words that fold to a token are the sequences of characters whose folds spell the token,
  with characters that fold to nothing anywhere in between; words that fold to nothing are
  not words to text.folded, so a phrase may step over them.

English stemmed search has no pattern form (a stem is not a set of spellings one can list), so
there each row's words are computed as text.stems computes them: the words found by the word
class (``regexp_matches ... WITH ORDINALITY``), each folded character by character (the same
property: a generated map of every alphanumeric character whose fold is not itself, Hangul
syllables decomposed arithmetically, ASCII by ``translate``; PostgreSQL's ``lower`` and
``normalize`` follow the server's locale and Unicode version, not Python's), the empty folds
dropped, then stemmed by parse_stems.py and joined as ``" s1 s2 "``, which holds a word or a
phrase of the search as a substring (text.joined), as the store's own word columns do.
:func:`stems_problem` checks the whole chain against text.stems on the server before a search
relies on it.
"""

from __future__ import annotations

import functools
import json
import string
import sys
from typing import Any

from querylang.engines.postgres.parse_stems import stem_laterals
from querylang.errors import QueryError
from querylang.features import text

MAX_PATTERN = 200_000  # characters of one search pattern; a longer one is refused, not truncated

Ranges = list[tuple[int, int]]


def _ranges(points: list[int]) -> Ranges:
    out: Ranges = []
    for cp in sorted(points):
        if out and cp == out[-1][1] + 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def _char(cp: int) -> str:
    c = chr(cp)
    if c.isascii() and c.isalnum():
        return c
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def _bracket(ranges: Ranges, negate: bool = False) -> str:
    body = "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


@functools.cache
def _alnum() -> list[int]:
    """The code points words are made of (text.word_char)."""
    return [cp for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF and text.word_char(chr(cp))]


@functools.cache
def word_class(negate: bool = False) -> str:
    return _bracket(_ranges(_alnum()), negate)


@functools.cache
def _fold_images() -> tuple[dict[str, str], str]:
    """Each non-empty fold of one character → the class of the characters that fold to it, and
    the class of those that fold to nothing ('' when there are none)."""
    by_image: dict[str, list[int]] = {}
    for cp in _alnum():
        by_image.setdefault(text.fold(chr(cp)), []).append(cp)
    empty = by_image.pop("", [])
    return {img: _bracket(_ranges(cps)) for img, cps in by_image.items()}, (_bracket(_ranges(empty)) if empty else "")


def _check(pattern: str) -> str:
    if len(pattern) > MAX_PATTERN:
        raise QueryError("the text search term is too long to be answered on Parse's own tables in place", code=1)
    return pattern


def _literal(token: str) -> str:
    return "".join(_char(ord(c)) for c in token)


def word_pattern(word: str) -> str:
    """The text holds ``word``, exactly as written."""
    non = word_class(True)
    return _check(f"(^|{non}){_literal(word)}($|{non})")


def flag_fold_pattern(word: str, case_sensitive: bool, diacritic_sensitive: bool) -> tuple[str, str]:
    """The text, the code points the first pattern matches ('' for none) deleted, holds a word
    folded as one sensitivity flag says (text.word_fold) that is ``word``: each character a
    class of those that fold to it. The folding keeps whether a character belongs to words,
    and drops only combining marks, which join the word they are in."""
    non = word_class(True)
    dropped, preimages = text.fold_preimages(word, case_sensitive, diacritic_sensitive)
    found = _check(f"(^|{non})" + "".join(_bracket(_ranges(cps)) for cps in preimages) + f"($|{non})")
    return (_bracket(_ranges(dropped)) if dropped else ""), found


def _folding_to(token: str) -> str:
    """The sequences of characters whose folds spell ``token``, in a text that holds no
    character folding to nothing (fold_pattern deletes them first: written between every two
    characters of each branch, their class of some 4,000 characters made a word of ten or so
    letters a pattern of 100,000)."""
    images, _ = _fold_images()
    longest = max(map(len, images))

    @functools.cache
    def rest(i: int) -> str:
        if i == len(token):
            return ""
        alts = [images[token[i:j]] + rest(j) for j in range(i + 1, min(len(token), i + longest) + 1) if token[i:j] in images]
        if not alts:
            return "[^\\s\\S]"  # no character folds to this: the token cannot be matched
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        _check(body)
        return body

    return rest(0)


def fold_pattern(word: str) -> tuple[str, str]:
    """The text, the code points the first pattern matches ('' for none) deleted, holds a word
    whose fold is ``word``. The deleted ones, the characters that fold to nothing, are word
    characters (combining marks): deleting them joins no two words, and leaves each word's fold
    as it was."""
    non = word_class(True)
    _, empty = _fold_images()
    return empty, _check(f"(^|{non}){_folding_to(word)}($|{non})")


# --- English stems of a row's words, in SQL -----------------------------------------------------

_HANGUL = (0xAC00, 0xD7A3)  # syllables: NFKD is the arithmetic decomposition into jamo


@functools.cache
def _fold_map() -> str:
    """JSON: each word character whose fold (text.fold) is not itself → its fold (a combining
    mark's is empty)."""
    out = {}
    for cp in _alnum():
        c = chr(cp)
        if not _HANGUL[0] <= cp <= _HANGUL[1] and text.fold(c) != c:
            out[c] = text.fold(c)
    return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


def _fold_sql(w: str) -> str:
    """text.fold of the word ``w`` (word characters only), character by character."""
    s = f"(ascii(ql_c.c) - {_HANGUL[0]})"
    hangul = (f"chr(4352 + {s} / 588) || chr(4449 + {s} % 588 / 28) || "
              f"CASE WHEN {s} % 28 > 0 THEN chr(4519 + {s} % 28) ELSE '' END")
    each = (f"CASE WHEN ascii(ql_c.c) BETWEEN {_HANGUL[0]} AND {_HANGUL[1]} THEN {hangul} "
            f"ELSE coalesce(?::jsonb ->> ql_c.c, ql_c.c) END")
    ascii_ = string.digits + string.ascii_letters
    return (f"CASE WHEN {w} ~ '^[{ascii_}]+$' THEN translate({w}, '{string.ascii_uppercase}', '{string.ascii_lowercase}') "
            f"ELSE (SELECT string_agg({each}, '' ORDER BY ql_c.i) "
            f"FROM unnest(string_to_array({w}, NULL)) WITH ORDINALITY AS ql_c(c, i)) END")


def _words_from(col: str, laterals: str) -> str:
    return (f"FROM regexp_matches({col}, ?, 'g') WITH ORDINALITY AS ql_m(ql_w, ql_o) "
            f"CROSS JOIN LATERAL (SELECT ({_fold_sql('ql_m.ql_w[1]')}) COLLATE \"C\" AS ql_f OFFSET 0) AS ql_f_ "
            f"{laterals}")


def stems_sql(col: str) -> tuple[str, list[Any]]:
    """``" s1 s2 "``: the English stems of the words of text ``col`` (text.joined(text.stems))."""
    laterals, stem = stem_laterals("ql_f")
    sql = (f"(SELECT ' ' || coalesce(string_agg({stem}, ' ' ORDER BY ql_m.ql_o), '') || ' ' "
           f"{_words_from(col, laterals)} WHERE ql_f <> '')")
    return sql, [word_class() + "+", _fold_map()]


# A stem differs from its word's fold in its last two characters at most (english.sbl: every
# step keeps a prefix of the word and appends at most 'ie', 'ee', 'e', 'i', or a Step 2/3
# replacement that shares all but its last two characters with the suffix it replaces, such as
# 'biliti' → 'ble'; Step 4 and 5 only delete). One more for safety: a word whose fold does not
# start with the stem less its last three characters cannot have that stem, and is not stemmed.
STEM_TAIL = 3


# The characters whose simple case folding is an ASCII letter (text.stop_word): the ASCII
# capitals, KELVIN SIGN and LONG S.
_STOP_UPPER, _STOP_LOWER = string.ascii_uppercase + "\u212a\u017f", string.ascii_lowercase + "ks"


def stems_hold(col: str, stem_of: str) -> tuple[str, list[Any]]:
    """The English stems of text ``col``'s words, stop words left out (text.indexed_stems),
    hold ``stem_of`` (a stem): only the words that could have it are stemmed."""
    if not stem_of:
        return "FALSE", []  # no stem is empty, so no row holds an empty one
    laterals, stem = stem_laterals("ql_f")
    prefix = stem_of[: max(0, len(stem_of) - STEM_TAIL)]
    params: list[Any] = [word_class() + "+", _fold_map(), prefix, stem_of]
    # Only a stop word's stem can come from a stop word (a stop word folds to itself).
    stops = text.STOP_STEMS.get(stem_of, ())
    skip = ""
    if stops:
        skip = f" AND NOT translate(ql_m.ql_w[1], '{_STOP_UPPER}', '{_STOP_LOWER}') = ANY(?::text[])"
        params.append(list(stops))
    sql = (f"EXISTS (SELECT 1 {_words_from(col, laterals)} "
           f"WHERE ql_f <> '' AND left(ql_f, {len(prefix)}) = ?::text AND {stem} = ?::text{skip})")
    return sql, params


# Words that tell english.sbl's versions and rules apart, with folds of every kind.
CHECK_TEXT = (
    "added biologist dying lying tying skies skis sky news innings inning evening outing succeeded "
    "proceed exceedingly generously communism arsenal emergency international universe organization "
    "pasta past later yelling happy cries ties gas hoping hopping filing filling agreed feed bled "
    "conditional rational valenci hesitanci digitizer operator feudalism brutaliti fulness "
    "decisiveness sensibiliti analogi fulli lessli vileli formaliti triplicate formative "
    "electrical hopeful goodness revival allowance inference airliner gyroscopic adjustable "
    "defensible irritant replacement adjustment dependent communism activate angulariti homologous "
    "effective bowdlerize adoption controll roll aYe say ayyy yying early only singly gently ugly idly "
    "s t don Don't isn't the THE a an Straße ﬁnancial ﬂoor Ångström naïve Café résumé ǅemal "
    "Σίσυφος ΣΊΣΥΦΟΣ москва İstanbul ﬃ ⅫⅦ ½ ² ㎏ 한국어 ᄀ ꭰꭱ Ꭰ 3d x_y 42 ooo ﹏"
)


def stems_problem(con: Any) -> str | None:
    """Why stems computed on this server would differ from text.stems (None: they do not)."""
    encoding = con.execute("SELECT current_setting('server_encoding')").fetchone()[0]
    if encoding != "UTF8":
        return f"the database's encoding is {encoding}, not UTF8"
    sql, params = stems_sql("ql_t.t")
    sql = sql.replace("%", "%%").replace("?", "%s")
    rows = con.execute(f"SELECT ql_t.t, {sql} FROM unnest(%s::text[]) AS ql_t(t)",
                       [*params, [*text.words(CHECK_TEXT), CHECK_TEXT]]).fetchall()
    differ = [w for w, got in rows if got != text.joined(text.stems(w))]
    if differ:
        return "its stems differ from the Python stemmer's for " + ", ".join(repr(w[:40]) for w in differ[:8])
    return None

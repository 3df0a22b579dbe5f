"""The English Snowball stemmer (snowballstem.org's english.sbl, as the ``PyStemmer``
package that features/text.py uses runs it) written as SQL, for tables that keep no word
columns (Parse's own, parse_layout.py) on a read-only connection: no function of ours can be
created there, so the algorithm is a chain of ``LATERAL`` steps, one per step of english.sbl,
each a ``CASE`` over the word so far.

Why not PostgreSQL's own ``english_stem`` dictionary: it is Snowball too, but of the version the
server was built with (PostgreSQL 15: Snowball 2.x, which stems 'added' to 'ad' and keeps
'biologist', where Snowball 3 gives 'add' and 'biolog'), it answers nothing for its own list of
stop words (english.stop, which holds 's', 't', 'don', ...) and it leaves words over 1000 bytes
unstemmed. Written out here, the algorithm is the same on every server; :func:`self_check`
compares it with the Python stemmer before a search relies on it, so a different
``PyStemmer`` release is refused rather than answered differently.

How english.sbl's operations read as SQL (the word is lower case: text.fold casefolds):

* ``among`` picks the longest listed suffix that ends the word, and the step then succeeds or
  fails on that one alone: a ``CASE`` over the suffixes, longest first;
* R1 / R2 hold for a suffix starting at or after the region's start (``p1 <= length - n``);
  the regions are found once, on the word with its vowel-like 'y's marked 'Y', and stay put
  because every step only changes the end of the word;
* a character outside english.sbl's groupings (any letter but aeiouy, any digit, any
  non-ASCII letter) is a non-vowel, as ``[^aeiouy]`` reads it.

No literal '?' or '%' appears in the SQL (the dialect turns '?' into a parameter).
"""

from __future__ import annotations

V = "aeiouy"  # english.sbl's vowels; a marked 'Y' is not one

EXCEPTIONS = {  # exception1: whole words, stemmed by the list
    "skis": "ski", "skies": "sky", "idly": "idl", "gently": "gentl", "ugly": "ugli", "early": "earli",
    "only": "onli", "singly": "singl", "sky": "sky", "news": "news", "howe": "howe", "atlas": "atlas",
    "cosmos": "cosmos", "bias": "bias", "andes": "andes",
}  # fmt: skip
R1_PREFIXES = ("arsen", "commun", "emerg", "gener", "inter", "later", "organ", "past", "univers")
STEP2 = {  # suffix → replacement, in R1 ('ogi' and 'li' have their own tests)
    "tional": "tion", "enci": "ence", "anci": "ance", "abli": "able", "entli": "ent", "izer": "ize",
    "ization": "ize", "ational": "ate", "ation": "ate", "ator": "ate", "alism": "al", "aliti": "al",
    "alli": "al", "fulness": "ful", "ousli": "ous", "ousness": "ous", "iveness": "ive", "iviti": "ive",
    "biliti": "ble", "bli": "ble", "fulli": "ful", "lessli": "less", "ogist": "og", "ogi": None, "li": None,
}  # fmt: skip
STEP3 = {  # suffix → replacement, in R1 ('ative' also in R2)
    "tional": "tion", "ational": "ate", "alize": "al", "icate": "ic", "iciti": "ic", "ical": "ic",
    "ful": "", "ness": "", "ative": None,
}  # fmt: skip
STEP4 = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ism", "ate",
         "iti", "ous", "ive", "ize", "ion")  # fmt: skip
DOUBLES = ("bb", "dd", "ff", "gg", "mm", "nn", "pp", "rr", "tt")
VALID_LI = "cdeghkmnrt"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ends(w: str, suffix: str) -> str:
    return f"right({w}, {len(suffix)}) = {_lit(suffix)}"


def _in_r(w: str, p: str, n: int) -> str:
    """The suffix of ``n`` characters lies in the region starting at ``p``."""
    return f"{p} <= length({w}) - {n}"


def _cut(w: str, n: int) -> str:
    return f"left({w}, -{n})" if n else w


def _by_suffix(w: str, cases: list[tuple[str, str]], default: str) -> str:
    """english.sbl's ``[substring] among (...)``: the longest listed suffix decides."""
    cases = sorted(cases, key=lambda c: -len(c[0]))
    body = " ".join(f"WHEN {_ends(w, s)} THEN {then}" for s, then in cases)
    return f"CASE {body} ELSE {default} END"


def _shortv(x: str) -> str:
    """english.sbl's ``shortv`` at the end of ``x``."""
    return (f"({x} ~ '[^{V}][{V}][^{V}wxY]$' OR {x} ~ '^[{V}][^{V}]$' OR {_ends(x, 'past')})")


def _prelude(w: str) -> str:
    # 'y' at the start or after a vowel is a consonant: 'Y'. A left-to-right global replace
    # reads each pair after the previous replacement, as english.sbl's repeat does.
    return f"regexp_replace(regexp_replace({w}, '^y', 'Y'), '([{V}])y', '\\1Y', 'g')"


_GO = f"^[^{V}]*[{V}]+[^{V}]"  # gopast v, gopast non-v


def _regions(w: str) -> tuple[str, str]:
    prefixes = "|".join(R1_PREFIXES)
    p1 = (f"CASE WHEN {w} ~ '^({prefixes})' THEN length(substring({w} from '^({prefixes})')) "
          f"ELSE coalesce(length(substring({w} from '({_GO})')), length({w})) END")
    return p1, f"coalesce(length(substring(substr({w}, ql_p1 + 1) from '({_GO})')) + ql_p1, length({w}))"


def _step1a(w: str) -> str:
    return _by_suffix(w, [
        ("sses", f"{_cut(w, 2)}"),
        ("ied", f"CASE WHEN length({w}) > 4 THEN {_cut(w, 3)} || 'i' ELSE {_cut(w, 3)} || 'ie' END"),
        ("ies", f"CASE WHEN length({w}) > 4 THEN {_cut(w, 3)} || 'i' ELSE {_cut(w, 3)} || 'ie' END"),
        ("ss", w), ("us", w),
        ("s", f"CASE WHEN {_cut(w, 2)} ~ '[{V}]' THEN {_cut(w, 1)} ELSE {w} END"),
    ], w)  # fmt: skip


def _step1b(w: str, p1: str) -> str:
    def generic(n: int) -> str:
        # delete the suffix when a vowel precedes it, then: add 'e' after at/bl/iz, undouble
        # (but not 'add', 'egg', 'odd': a/e/o and a double, nothing else), or add 'e' to a
        # short word
        s = _cut(w, n)
        doubles = " OR ".join(_ends(s, d) for d in DOUBLES)
        return (f"CASE WHEN NOT {s} ~ '[{V}]' THEN {w} "
                f"WHEN {_ends(s, 'at')} OR {_ends(s, 'bl')} OR {_ends(s, 'iz')} THEN {s} || 'e' "
                f"WHEN {doubles} THEN CASE WHEN {s} ~ '^[aeo]..$' THEN {s} ELSE left({s}, -1) END "
                f"WHEN length({s}) = {p1} AND {_shortv(s)} THEN {s} || 'e' ELSE {s} END")

    def eed(n: int) -> str:
        return (f"CASE WHEN {_in_r(w, p1, n)} AND {_cut(w, n)} NOT IN ('succ', 'proc', 'exc') "
                f"THEN {_cut(w, n)} || 'ee' ELSE {w} END")

    ing = (f"CASE WHEN {w} ~ '^[^{V}]ying$' THEN left({w}, 1) || 'ie' "
           f"WHEN {_cut(w, 3)} IN ('even', 'cann', 'inn', 'earr', 'herr', 'out') THEN {w} ELSE {generic(3)} END")
    return _by_suffix(w, [("eed", eed(3)), ("eedly", eed(5)), ("ed", generic(2)), ("edly", generic(4)),
                          ("ing", ing), ("ingly", generic(5))], w)  # fmt: skip


def _step1c(w: str) -> str:
    return f"CASE WHEN {w} ~ '^.+[^{V}][yY]$' THEN left({w}, -1) || 'i' ELSE {w} END"


def _step2(w: str, p1: str) -> str:
    cases = []
    for s, to in STEP2.items():
        n = len(s)
        if s == "ogi":
            then = f"CASE WHEN {_ends(w, 'logi')} THEN {_cut(w, n)} || 'og' ELSE {w} END"
        elif s == "li":
            then = f"CASE WHEN {w} ~ '[{VALID_LI}]li$' THEN {_cut(w, n)} ELSE {w} END"
        else:
            then = f"{_cut(w, n)} || {_lit(str(to))}"
        cases.append((s, f"CASE WHEN {_in_r(w, p1, n)} THEN {then} ELSE {w} END"))
    return _by_suffix(w, cases, w)


def _step3(w: str, p1: str, p2: str) -> str:
    cases = []
    for s, to in STEP3.items():
        n = len(s)
        cond = _in_r(w, p1, n) + (f" AND {_in_r(w, p2, n)}" if to is None else "")
        cases.append((s, f"CASE WHEN {cond} THEN {_cut(w, n)} || {_lit(to or '')} ELSE {w} END"))
    return _by_suffix(w, cases, w)


def _step4(w: str, p2: str) -> str:
    cases = []
    for s in STEP4:
        n = len(s)
        cond = _in_r(w, p2, n) + (f" AND {w} ~ '[st]ion$'" if s == "ion" else "")
        cases.append((s, f"CASE WHEN {cond} THEN {_cut(w, n)} ELSE {w} END"))
    return _by_suffix(w, cases, w)


def _step5(w: str, p1: str, p2: str) -> str:
    e = f"CASE WHEN {_in_r(w, p2, 1)} OR ({_in_r(w, p1, 1)} AND NOT {_shortv(_cut(w, 1))}) THEN {_cut(w, 1)} ELSE {w} END"
    ll = f"CASE WHEN {_in_r(w, p2, 1)} AND {_ends(w, 'll')} THEN {_cut(w, 1)} ELSE {w} END"
    return _by_suffix(w, [("e", e), ("l", ll)], w)


def stem_laterals(word: str) -> tuple[str, str]:
    """``CROSS JOIN LATERAL`` steps that stem the folded, non-empty word ``word`` (an SQL
    expression over the enclosing FROM), and the expression naming its stem."""
    steps = [
        ("ql_y", _prelude(word)),
        ("ql_p1", _regions("ql_y")[0]),
        ("ql_p2", _regions("ql_y")[1]),
        ("ql_1a", _step1a("ql_y")),
        ("ql_1b", _step1b("ql_1a", "ql_p1")),
        ("ql_1c", _step1c("ql_1b")),
        ("ql_2", _step2("ql_1c", "ql_p1")),
        ("ql_3", _step3("ql_2", "ql_p1", "ql_p2")),
        ("ql_4", _step4("ql_3", "ql_p2")),
        ("ql_5", _step5("ql_4", "ql_p1", "ql_p2")),
    ]
    # OFFSET 0 keeps each step a subquery of its own: pulled up, every step would be written
    # out again at each of its many uses in the next one, and the expression would grow
    # exponentially before it ran
    sql = " ".join(f"CROSS JOIN LATERAL (SELECT {expr} AS {name} OFFSET 0) AS {name}_" for name, expr in steps)
    exceptions = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in EXCEPTIONS.items())
    stem = (f"(CASE {word} {exceptions} ELSE CASE WHEN length({word}) < 3 THEN {word} "
            f"ELSE replace(ql_5, 'Y', 'y') END END)")
    return sql, stem

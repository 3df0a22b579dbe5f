"""Text-search words as PostgreSQL regular expressions (ARE), for tables that keep no word
columns (Parse's own, parse_layout.py).

features/text.py splits a text into words, the runs of characters for which ``str.isalnum``
holds (``[^\\W_]+``), and compares them as written (``caseSensitive`` / ``diacriticSensitive``)
or folded (:func:`text.fold`: NFKD, combining marks dropped, case-folded, letters and digits
kept). A word, or a phrase of consecutive words, is then a pattern over the raw text:

* the word class is the explicit list of Python's alphanumeric code points (a locale's
  ``[[:alnum:]]`` differs from it), so word boundaries are the ones text.words finds;
* folding works character by character (NFKD decomposes each character on its own, the
  combining marks it could reorder are dropped, and case folding has no context), so the
  words that fold to a token are the sequences of characters whose folds spell the token,
  with characters that fold to nothing anywhere in between; words that fold to nothing are
  not words to text.folded, so a phrase may step over them.
"""

from __future__ import annotations

import functools
import sys

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
    return [cp for cp in range(sys.maxunicode + 1) if not 0xD800 <= cp <= 0xDFFF and chr(cp).isalnum()]


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


def word_pattern(tokens: list[str]) -> str:
    """The text holds ``tokens`` as consecutive words, each exactly as written."""
    non = word_class(True)
    return _check(f"(^|{non})" + f"{non}+".join(_literal(t) for t in tokens) + f"($|{non})")


def _folding_to(token: str) -> str:
    images, empty = _fold_images()
    skip = f"{empty}*" if empty else ""
    longest = max(map(len, images))

    @functools.cache
    def rest(i: int) -> str:
        if i == len(token):
            return skip
        alts = [images[token[i:j]] + rest(j) for j in range(i + 1, min(len(token), i + longest) + 1) if token[i:j] in images]
        if not alts:
            return "[^\\s\\S]"  # no character folds to this: the token cannot be matched
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        _check(body)
        return skip + body

    return rest(0)


def fold_pattern(tokens: list[str]) -> str:
    """The text holds words whose folds are ``tokens``, consecutive among the words that do
    not fold to nothing."""
    _, empty = _fold_images()
    non = word_class(True)
    sep = f"{non}+(?:{empty}+{non}+)*" if empty else f"{non}+"
    return _check(f"(^|{non})" + sep.join(_folding_to(t) for t in tokens) + f"($|{non})")

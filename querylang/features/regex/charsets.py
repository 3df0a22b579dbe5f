"""Character sets as sorted, merged, inclusive code point ranges; case folding and Unicode categories."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from querylang.features.regex.limits import MAX_CP, SURROGATES, Ranges

# --------------------------------------------------------------------------------------------
# Character sets: sorted, merged, inclusive code point ranges
# --------------------------------------------------------------------------------------------


def normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sort and merge overlapping or adjacent ranges."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def complement(ranges: Ranges) -> Ranges:
    """All code points not in ``ranges``."""
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= MAX_CP:
        out.append((nxt, MAX_CP))
    return tuple(out)


def without_surrogates(ranges: Ranges) -> Ranges:
    """Drop U+D800..U+DFFF: no UTF-8 string (hence no DuckDB string) contains them."""
    lo_s, hi_s = SURROGATES
    out: list[tuple[int, int]] = []
    for lo, hi in ranges:
        if hi < lo_s or lo > hi_s:
            out.append((lo, hi))
            continue
        if lo < lo_s:
            out.append((lo, lo_s - 1))
        if hi > hi_s:
            out.append((hi_s + 1, hi))
    return tuple(out)


# PCRE without UCP: the character types are ASCII (\h and \v are Unicode by definition).
_DIGIT: Ranges = ((0x30, 0x39),)
_WORD: Ranges = ((0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A))
_SPACE: Ranges = ((0x09, 0x0D), (0x20, 0x20))
_HSPACE: Ranges = (
    (0x09, 0x09), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x180E, 0x180E),
    (0x2000, 0x200A), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000),
)  # fmt: skip
_VSPACE: Ranges = ((0x0A, 0x0D), (0x85, 0x85), (0x2028, 0x2029))
TYPES: dict[str, Ranges] = {"d": _DIGIT, "w": _WORD, "s": _SPACE, "h": _HSPACE, "v": _VSPACE}

# POSIX classes inside [...], ASCII as in PCRE without UCP.
POSIX: dict[str, Ranges] = {
    "alpha": ((0x41, 0x5A), (0x61, 0x7A)),
    "digit": _DIGIT,
    "alnum": ((0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)),
    "upper": ((0x41, 0x5A),),
    "lower": ((0x61, 0x7A),),
    "space": _SPACE,
    "blank": ((0x09, 0x09), (0x20, 0x20)),
    "punct": ((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "print": ((0x20, 0x7E),),
    "graph": ((0x21, 0x7E),),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "xdigit": ((0x30, 0x39), (0x41, 0x46), (0x61, 0x66)),
    "word": _WORD,
    "ascii": ((0x00, 0x7F),),
}


@lru_cache(maxsize=1)
def _case_orbits() -> tuple[dict[int, tuple[int, ...]], list[int]]:
    """Unicode simple case folding orbits (CaseFolding.txt statuses C and S).

    Returns ``{code point: all code points with the same simple fold}`` for every code point
    that has a partner, and the sorted list of those code points.  Derived from ``str``:
    a one-character ``casefold()`` is the C mapping; otherwise the S mapping, where one exists,
    is the one-character ``lower()`` (``ẞ`` -> ``ß``, ``ᾈ`` -> ``ᾀ``).  No cased character lies
    above U+1FFFF.
    """
    groups: dict[int, set[int]] = {}
    for cp in range(0x20000):
        ch = chr(cp)
        folded = ch.casefold()
        if len(folded) != 1:
            lower = ch.lower()
            folded = lower if len(lower) == 1 else ch
        if folded != ch:
            groups.setdefault(ord(folded), {ord(folded)}).add(cp)
    orbits: dict[int, tuple[int, ...]] = {}
    for members in groups.values():
        orbit = tuple(sorted(members))
        for cp in orbit:
            orbits[cp] = orbit
    return orbits, sorted(orbits)


def case_closure(ranges: Ranges) -> Ranges:
    """Add every case-fold partner of every code point in ``ranges`` (option i, docs/semantics.md#regex)."""
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        # One character (every literal of a pattern under option i): its orbit, made once.
        return _single_closures().get(ranges[0][0], ranges)
    orbits, keys = _case_orbits()
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        start = bisect.bisect_left(keys, lo)
        stop = bisect.bisect_right(keys, hi)
        for cp in keys[start:stop]:
            extra.extend((o, o) for o in orbits[cp])
    return normalize(ranges + tuple(extra)) if extra else ranges


@lru_cache(maxsize=1)
def _single_closures() -> dict[int, Ranges]:
    """``case_closure`` of each one-character set that has case-fold partners."""
    orbits = _case_orbits()[0]
    return {cp: normalize((o, o) for o in orbit) for cp, orbit in orbits.items()}


@lru_cache(maxsize=1)
def _category_table() -> dict[str, Ranges]:
    """Code point ranges of every Unicode general category (Python's Unicode version)."""
    runs: dict[str, list[tuple[int, int]]] = {}
    cat = unicodedata.category
    start, current = 0, cat("\0")
    for cp in range(1, MAX_CP + 2):
        c = cat(chr(cp)) if cp <= MAX_CP else ""
        if c != current:
            runs.setdefault(current, []).append((start, cp - 1))
            start, current = cp, c
    return {name: tuple(r) for name, r in runs.items()}


def property_ranges(name: str) -> Ranges | None:
    """Ranges for ``\\p{name}``: a general category (``Lu``, ``L``, ``L&``) or ``Any``."""
    table = _category_table()
    key = name.replace(" ", "").replace("_", "").replace("-", "").lower()
    if key == "any":
        return ((0, MAX_CP),)
    if key in ("l&", "lc"):
        return normalize(table["Lu"] + table["Ll"] + table["Lt"])
    for cat in table:
        if cat.lower() == key:
            return table[cat]
    if len(key) == 1:
        parts = [r for cat, r in table.items() if cat[0].lower() == key]
        if parts:
            return normalize(x for part in parts for x in part)
    return None

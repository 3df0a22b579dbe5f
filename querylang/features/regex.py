"""Regular expressions for ``matchesRegex`` / ``$regex`` (docs/semantics.md#regex).

A pattern means what it means on MongoDB, i.e. PCRE2 with ``PCRE2_UTF`` and without
``PCRE2_UCP``: ``\\d \\w \\s \\b`` are ASCII, ``.`` stops only at ``\\n``, option ``i`` folds case
with Unicode simple case folding, ``m`` makes ``^``/``$`` work on lines, ``s`` lets ``.`` match
``\\n`` and ``x`` ignores unescaped white space and ``#`` comments.

:func:`compile_regex` parses the pattern once with a small PCRE tokenizer/parser and writes it
out twice, for Python's :mod:`re` (the reference evaluator) and for RE2 (DuckDB's
``regexp_matches``), so that for every string ``s``::

    bool(r.python.search(s)) == regexp_matches(s, r.re2)

Everything the parser accepts is rewritten into a form both engines run identically:

* character classes, ``\\d \\w \\s \\h \\v`` (and negations), POSIX ``[:name:]`` classes and
  ``\\p{Lu}``-style general categories become explicit code point ranges, so no engine-specific
  notion of "word" or "letter" is involved;
* option ``i`` is *not* handed to either engine: Python's ``re.IGNORECASE`` pairs ``i`` with
  ``ı`` and ``İ`` (RE2 and PCRE do not) and both engines' tables follow their own Unicode version.
  Instead every literal character (and every class range) is closed under Unicode simple case
  folding here, e.g. ``k`` becomes ``[Kk\\u212a]``;
* anchors are spelled per engine (``\\z`` vs ``\\Z``, PCRE's ``\\Z`` / non-multiline ``$`` =
  "end, or before a final newline", ASCII ``\\b``; Python's own ``\\B`` never matches an empty
  string, so ``\\b``/``\\B`` become look-arounds there).

PCRE meanings kept on purpose: ``\\v`` is vertical white space (``[\\n\\x0b\\f\\r\\x85\\u2028
\\u2029]``), not only VT; ``\\h`` horizontal white space; ``[:lower:]``/``[:upper:]`` mean
``[:alpha:]`` under option i; ``\\w``, ``\\d``, POSIX classes and ``\\p{..}`` never fold case.
``\\p{..}`` uses Python's Unicode tables (14.0 on Python 3.11, as PCRE2 10.42). A class
mixing a negated type and a POSIX class, ``[\\W[:alpha:]]``, is the plain union here; PCRE2
10.42 drops the characters above U+00FF in that case (a bug).

Whatever cannot be made to agree is rejected with a :class:`QueryError` (code 102) that names
the construct and its position in the pattern, never silently changed:

* back-references, look-around, atomic groups, possessive quantifiers, conditionals,
  recursion, ``\\G \\K \\R \\X \\C``, backtracking verbs, callouts, inline options other than
  ``(?imsx)`` at the very start;
* repetition counts above 1000 (RE2's limit, also for nested repetitions) and patterns whose
  RE2 program would be too large;
* a non-multiline ``$`` or ``\\Z`` that is followed by more than end anchors (RE2 has no
  look-ahead to express "before a final newline"), and a multiline ``^`` whose continuation can
  match the empty string (PCRE's ``^`` does not match after a final newline, RE2's and Python's
  do);
* ambiguous syntax: ``{,n}`` (a literal in older PCRE2, a quantifier in newer), ``\\1`` .. ``\\9``.

One deliberate extension over PCRE: ``\\uHHHH`` (JavaScript regex literals) is the code point
U+HHHH; PCRE2 rejects ``\\u``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import re2

from querylang.errors import INTERNAL_SERVER_ERROR, INVALID_JSON, INVALID_QUERY, QueryError

__all__ = ["MAX_REPEAT", "Regex", "check_options", "compile_regex"]

#: Largest repetition count (RE2 rejects more, also as a product of nested counts).
MAX_REPEAT = 1000
#: Largest RE2 program (instructions, as RE2 counts them) we hand to DuckDB, whose RE2 fails near 700 000.
_MAX_PROGRAM = 400_000
#: Deepest group nesting we accept (keeps both our parser and Python's ``re`` far from limits).
_MAX_DEPTH = 200
_MAX_CP = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
_OPTION_LETTERS = "imsx"

# White space skipped by option x: PCRE2's Pattern_White_Space in UTF mode.
_X_SPACE = frozenset("\t\n\x0b\x0c\r \x85\u200e\u200f\u2028\u2029")

Ranges = tuple[tuple[int, int], ...]


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Regex:
    """A checked pattern, ready for both engines (docs/semantics.md#regex).

    ``pattern`` is the text as the user wrote it and ``options`` the normalised option letters
    (sorted subset of ``imsx``; inline ``(?i)`` prefixes are honoured but not merged in).
    ``python`` is used as ``python.search(s)``; ``re2`` is the pattern for DuckDB's
    ``regexp_matches(s, re2)`` with the flags ``(?m)``/``(?s)`` embedded as a prefix (option
    ``i`` is compiled into explicit case-fold classes instead, see the module docstring).

    ``literal`` is set when the search is a plain substring search: ``contains(s, literal)``
    is then equivalent.  With option ``i`` it is only set when ``s ILIKE '%' || literal || '%'``
    (after escaping ``%``, ``_`` and the escape character) is equivalent too: ASCII text without
    the letters ``i``, ``k``, ``s``, whose case-fold partners (``İ``, U+212A Kelvin sign, ``ſ``)
    ILIKE treats differently from PCRE.
    """

    pattern: str
    options: str
    python: re.Pattern[str]
    re2: str
    literal: str | None
    are: str = ""  # the pattern for PostgreSQL's ``~`` (an ARE, see _emit)


def check_options(options: str) -> str:
    """Validate ``$options`` (docs/semantics.md#regex): a subset of ``imsx``, returned sorted.

    Repeated letters are allowed (Parse's ``/^[imxs]+$/`` check allows them); ``''`` is allowed
    here, the REST front end enforces Parse's stricter rule itself.
    """
    if not isinstance(options, str) or any(c not in _OPTION_LETTERS for c in options):
        raise QueryError(f"Bad $options value for query: {options}", code=INVALID_QUERY)
    return "".join(sorted(set(options)))


def compile_regex(pattern: str, options: str = "") -> Regex:
    """Parse, check and translate a PCRE pattern for both engines (docs/semantics.md#regex).

    Raises :class:`QueryError` 102 for invalid or unsupported patterns and bad options, 107
    when the pattern is not a string.  Results are cached.
    """
    if not isinstance(pattern, str):
        raise QueryError(f"bad regex: {pattern!r} is not a string", code=INVALID_JSON)
    return _compile(pattern, check_options(options))


@lru_cache(maxsize=1024)
def _compile(pattern: str, opts: str) -> Regex:
    """:func:`compile_regex` after the argument checks (cached)."""
    parser = _Parser(pattern, set(opts))
    tree = parser.parse()
    _check_repeat_nesting(tree)
    _check_anchor_context(tree, parser.multiline)
    py_text = _emit(tree, _PY, parser.multiline)
    re2_text = _emit(tree, _RE2, parser.multiline)
    prefix = "".join(f for f in "ms" if f in parser.flags)
    if prefix:
        re2_text = f"(?{prefix}){re2_text}"
    size = _re2_program_size(re2_text)
    if size is None or size > _MAX_PROGRAM:
        raise QueryError(
            "regular expression is too large (the SQL engine cannot run it)", code=INVALID_QUERY
        )
    # ARE: no flag means '.' and [^..] match a newline and ^/$ are the string's ends; option
    # m is (?w) ("inverse partial newline-sensitive": ^/$ at lines, '.' unchanged), and '.'
    # is written per option s (_emit).
    are_text = _emit(tree, _ARE, parser.multiline, "s" in parser.flags)
    if parser.multiline:
        are_text = f"(?w){are_text}"
    flags = (re.MULTILINE if parser.multiline else 0) | (re.DOTALL if "s" in parser.flags else 0)
    try:
        python = re.compile(py_text, flags)
    except (re.error, RecursionError, OverflowError) as exc:  # a bug here, not a user error
        raise QueryError(
            f"internal error translating regular expression {pattern!r}: {exc}",
            code=INTERNAL_SERVER_ERROR,
        ) from exc
    return Regex(pattern, opts, python, re2_text, _literal_text(tree, parser.caseless), are_text)


# --------------------------------------------------------------------------------------------
# Character sets: sorted, merged, inclusive code point ranges
# --------------------------------------------------------------------------------------------


def _normalize(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sort and merge overlapping or adjacent ranges."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    """All code points not in ``ranges``."""
    out: list[tuple[int, int]] = []
    nxt = 0
    for lo, hi in ranges:
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = hi + 1
    if nxt <= _MAX_CP:
        out.append((nxt, _MAX_CP))
    return tuple(out)


def _without_surrogates(ranges: Ranges) -> Ranges:
    """Drop U+D800..U+DFFF: no UTF-8 string (hence no DuckDB string) contains them."""
    lo_s, hi_s = _SURROGATES
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
_TYPES: dict[str, Ranges] = {"d": _DIGIT, "w": _WORD, "s": _SPACE, "h": _HSPACE, "v": _VSPACE}

# POSIX classes inside [...], ASCII as in PCRE without UCP.
_POSIX: dict[str, Ranges] = {
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


def _case_closure(ranges: Ranges) -> Ranges:
    """Add every case-fold partner of every code point in ``ranges`` (option i, docs/semantics.md#regex)."""
    orbits, keys = _case_orbits()
    extra: list[tuple[int, int]] = []
    for lo, hi in ranges:
        start = bisect.bisect_left(keys, lo)
        stop = bisect.bisect_right(keys, hi)
        for cp in keys[start:stop]:
            extra.extend((o, o) for o in orbits[cp])
    return _normalize(ranges + tuple(extra)) if extra else ranges


@lru_cache(maxsize=1)
def _category_table() -> dict[str, Ranges]:
    """Code point ranges of every Unicode general category (Python's Unicode version)."""
    runs: dict[str, list[tuple[int, int]]] = {}
    cat = unicodedata.category
    start, current = 0, cat("\0")
    for cp in range(1, _MAX_CP + 2):
        c = cat(chr(cp)) if cp <= _MAX_CP else ""
        if c != current:
            runs.setdefault(current, []).append((start, cp - 1))
            start, current = cp, c
    return {name: tuple(r) for name, r in runs.items()}


def _property_ranges(name: str) -> Ranges | None:
    """Ranges for ``\\p{name}``: a general category (``Lu``, ``L``, ``L&``) or ``Any``."""
    table = _category_table()
    key = name.replace(" ", "").replace("_", "").replace("-", "").lower()
    if key == "any":
        return ((0, _MAX_CP),)
    if key in ("l&", "lc"):
        return _normalize(table["Lu"] + table["Ll"] + table["Lt"])
    for cat in table:
        if cat.lower() == key:
            return table[cat]
    if len(key) == 1:
        parts = [r for cat, r in table.items() if cat[0].lower() == key]
        if parts:
            return _normalize(x for part in parts for x in part)
    return None


# --------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chars:
    """One character out of ``ranges``; ``literal`` is the code point it was written as."""

    ranges: Ranges
    literal: int | None = None


@dataclass(frozen=True)
class _Dot:
    """``.``: any character but ``\\n`` (any character with option s)."""


@dataclass(frozen=True)
class _Anchor:
    """Zero-width assertion: ``bol`` (^), ``eol`` ($), ``A``, ``z``, ``Z``, ``b``, ``B``."""

    kind: str
    pos: int


@dataclass(frozen=True)
class _Seq:
    items: tuple[_Node, ...]


@dataclass(frozen=True)
class _Alt:
    branches: tuple[_Node, ...]


@dataclass(frozen=True)
class _Repeat:
    """``node{lo,hi}``; ``hi`` None = unbounded; ``counted`` when written with braces."""

    node: _Node
    lo: int
    hi: int | None
    lazy: bool
    counted: bool
    pos: int


_Node = _Chars | _Dot | _Anchor | _Seq | _Alt | _Repeat


# --------------------------------------------------------------------------------------------
# Parser (PCRE2 syntax, docs/semantics.md#regex)
# --------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
_STRICT_QUANT_RE = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")
_LOOSE_QUANT_RE = re.compile(r"\{[ \t]*\d*[ \t]*(?:,[ \t]*\d*[ \t]*)?\}")
_POSIX_RE = re.compile(r"\[:(\^?)([A-Za-z]+):\]")
_LEADING_FLAGS_RE = re.compile(r"\(\?([a-zA-Z]*)\)")
_SIMPLE_ESCAPES = {"a": 0x07, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")


class _Parser:
    """Recursive-descent parser for the PCRE2 subset we can run on both engines (docs/semantics.md#regex)."""

    def __init__(self, pattern: str, flags: set[str]) -> None:
        self.p = pattern
        self.n = len(pattern)
        self.i = 0
        self.flags = flags
        self.names: set[str] = set()
        self.depth = 0
        self.quoted: list[tuple[int, int]] = []  # \\Q..\\E characters inside a class

    @property
    def caseless(self) -> bool:
        return "i" in self.flags

    @property
    def multiline(self) -> bool:
        return "m" in self.flags

    # -- errors ---------------------------------------------------------------------------

    def error(self, message: str, pos: int | None = None) -> QueryError:
        """Invalid syntax: PCRE would reject the pattern too."""
        where = self.i if pos is None else pos
        return QueryError(
            f"invalid regular expression: {message} at position {where}", code=INVALID_QUERY
        )

    def unsupported(self, what: str, pos: int) -> QueryError:
        """Valid PCRE that the SQL engine (RE2) cannot run."""
        return QueryError(
            f"{what} at position {pos} is not supported (the SQL engine cannot run it)",
            code=INVALID_QUERY,
        )

    # -- structure --------------------------------------------------------------------------

    def parse(self) -> _Node:
        """Whole pattern: leading ``(?imsx)`` options, then an alternation."""
        for k, ch in enumerate(self.p):
            if 0xD800 <= ord(ch) <= 0xDFFF:
                raise self.error("lone surrogate character", k)
        self._leading_options()
        tree = self._alternation()
        if self.i < self.n:  # only a ')' stops _alternation early
            raise self.error("unmatched closing parenthesis")
        return tree

    def _leading_options(self) -> None:
        """``(?i)``, ``(?ms)``... at the very start set options for the whole pattern."""
        while True:
            self._skip_ignorable()
            m = _LEADING_FLAGS_RE.match(self.p, self.i)
            if not m or not m.group(1) or any(c not in _OPTION_LETTERS for c in m.group(1)):
                return
            self.flags.update(m.group(1))
            self.i = m.end()

    def _alternation(self) -> _Node:
        branches = [self._sequence()]
        while self.i < self.n and self.p[self.i] == "|":
            self.i += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else _Alt(tuple(branches))

    def _sequence(self) -> _Node:
        """Atoms with their quantifiers up to ``|``, ``)`` or the end."""
        items: list[_Node] = []
        can_repeat = False
        while True:
            self._skip_ignorable()
            if self.i >= self.n or self.p[self.i] in "|)":
                break
            start = self.i
            quant = self._quantifier()
            if quant is not None:
                if not can_repeat:
                    if items and isinstance(items[-1], _Anchor):
                        raise self.unsupported("a quantifier after an assertion", start)
                    if items and isinstance(items[-1], _Repeat):  # PCRE: error or possessive
                        raise self.unsupported("a quantifier after a quantifier", start)
                    raise self.error("quantifier does not follow a repeatable item", start)
                lo, hi, lazy, counted = quant
                items[-1] = _Repeat(items[-1], lo, hi, lazy, counted, start)
                can_repeat = False
                continue
            atoms = self._atom()
            if atoms:
                items.extend(atoms)
                can_repeat = not isinstance(atoms[-1], _Anchor)
        return items[0] if len(items) == 1 else _Seq(tuple(items))

    def _skip_ignorable(self) -> None:
        """Skip ``(?#...)`` comments, a stray ``\\E``, and with option x white space and ``#``
        comments (PCRE extended mode, outside classes)."""
        p = self.p
        while self.i < self.n:
            ch = p[self.i]
            if "x" in self.flags and ch in _X_SPACE:
                self.i += 1
            elif "x" in self.flags and ch == "#":
                nl = p.find("\n", self.i)
                self.i = self.n if nl < 0 else nl + 1
            elif p.startswith("(?#", self.i):
                close = p.find(")", self.i)
                if close < 0:
                    raise self.error("missing ) after (?# comment")
                self.i = close + 1
            elif p.startswith("\\E", self.i):
                self.i += 2
            else:
                return

    def _quantifier(self) -> tuple[int, int | None, bool, bool] | None:
        """Read ``* + ? {n} {n,} {n,m}`` and a lazy ``?``; None when there is none."""
        p, start = self.p, self.i
        ch = p[start]
        counted = False
        if ch == "*":
            lo, hi, self.i = 0, None, start + 1
        elif ch == "+":
            lo, hi, self.i = 1, None, start + 1
        elif ch == "?":
            lo, hi, self.i = 0, 1, start + 1
        elif ch == "{":
            m = _STRICT_QUANT_RE.match(p, start)
            if not m:
                loose = _LOOSE_QUANT_RE.match(p, start)
                if loose and any(c.isdigit() for c in loose.group()):
                    raise self.unsupported(
                        f"the ambiguous quantifier {loose.group()!r} (a literal in older PCRE, "
                        "a repetition in newer; write {0,n} or \\{)",
                        start,
                    )
                return None  # a literal '{'
            lo = int(m.group(1))
            hi = lo if not m.group(2) else (int(m.group(3)) if m.group(3) else None)
            if hi is not None and hi < lo:
                raise self.error("numbers out of order in {} quantifier", start)
            if max(lo, hi or 0) > MAX_REPEAT:
                raise self.unsupported(
                    f"a repetition count above {MAX_REPEAT} ({m.group()})", start
                )
            self.i, counted = m.end(), True
        else:
            return None
        lazy = False
        if self.i < self.n and p[self.i] == "?":
            lazy, self.i = True, self.i + 1
        elif self.i < self.n and p[self.i] == "+":
            raise self.unsupported("a possessive quantifier", start)
        return lo, hi, lazy, counted

    def _atom(self) -> list[_Node]:
        """One atom (a ``\\Q..\\E`` run gives several, a comment-like item none)."""
        p, start = self.p, self.i
        ch = p[start]
        if ch == "(":
            return [self._group()]
        if ch == "[":
            return [self._class()]
        self.i += 1
        if ch == ".":
            return [_Dot()]
        if ch == "^":
            return [_Anchor("bol", start)]
        if ch == "$":
            return [_Anchor("eol", start)]
        if ch == "\\":
            return self._escape(start)
        return [self._literal(ord(ch))]

    def _literal(self, cp: int) -> _Chars:
        """A literal character; with option i, closed under case folding."""
        ranges: Ranges = ((cp, cp),)
        if self.caseless:
            ranges = _case_closure(ranges)
        return _Chars(ranges, cp)

    def _group(self) -> _Node:
        """``( ... )`` in its many PCRE forms; all become plain (non-capturing) groups."""
        p, start = self.p, self.i
        self.i += 1
        if p.startswith("?", self.i):
            self._group_kind(start)
        elif p.startswith("*", self.i):
            raise self.unsupported("a (*VERB) or (*assertion) construct", start)
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.unsupported(f"nesting parentheses deeper than {_MAX_DEPTH}", start)
        body = self._alternation()
        self.depth -= 1
        if self.i >= self.n or p[self.i] != ")":
            raise self.error("missing closing parenthesis", start)
        self.i += 1
        return body

    def _group_kind(self, start: int) -> None:
        """After ``(?``: accept ``:``, ``|`` and named groups; reject everything else."""
        p = self.p
        rest = p[self.i + 1 : self.i + 3]
        if rest[:1] in (":", "|"):
            self.i += 2
            return
        if rest in ("<=", "<!"):
            raise self.unsupported("a look-behind assertion", start)
        if rest[:1] in ("=", "!"):
            raise self.unsupported("a look-ahead assertion", start)
        if rest[:1] == ">":
            raise self.unsupported("an atomic group", start)
        if rest[:1] == "(":
            raise self.unsupported("a conditional group", start)
        if rest == "P=":
            raise self.unsupported("a back-reference", start)
        if rest == "P>" or rest[:1] in ("&", "R") or re.match(r"[+-]?\d", rest):
            raise self.unsupported("recursion or a subroutine call", start)
        if rest[:1] == "C":
            raise self.unsupported("a callout", start)
        if rest == "P<" or rest[:1] in ("<", "'"):
            self.i += 3 if rest == "P<" else 2
            close = ">" if p[self.i - 1] == "<" else "'"
            m = _NAME_RE.match(p, self.i)
            if not m or not p.startswith(close, m.end()):
                raise self.error("invalid group name", self.i)
            if m.group() in self.names:
                raise self.error(f"two named groups have the same name {m.group()!r}", self.i)
            self.names.add(m.group())
            self.i = m.end() + 1
            return
        if re.match(r"[-\^a-zA-Z]", rest[:1] or " "):
            end = p.find(")", start)
            shown = p[start : end + 1] if end >= 0 else p[start:]
            raise self.unsupported(
                f"the inline option {shown!r} (only (?i), (?m), (?s), (?x) at the very start "
                "of the pattern are)",
                start,
            )
        raise self.error("unrecognized character after (?", self.i + 1)

    # -- escapes ----------------------------------------------------------------------------

    def _escape(self, start: int) -> list[_Node]:
        """``\\`` outside a class; ``self.i`` is just after the backslash."""
        p = self.p
        if self.i >= self.n:
            raise self.error("\\ at end of pattern", start)
        ch = p[self.i]
        if ch == "Q":
            return [self._literal(ord(c)) for c in self._quoted()]
        if ch in "bB":
            self.i += 1
            return [_Anchor(ch, start)]
        if ch in "AzZ":
            self.i += 1
            return [_Anchor(ch, start)]
        if ch == "N":
            if p.startswith("{", self.i + 1) and not _STRICT_QUANT_RE.match(p, self.i + 1):
                raise self.unsupported("\\N{...}", start)  # \N{U+hh}; \N{2} is \N twice
            self.i += 1
            return [_Chars(_complement(((0x0A, 0x0A),)))]
        if ch in "123456789":
            raise self.unsupported(f"the back-reference or octal escape \\{ch}", start)
        if ch in "gk":
            raise self.unsupported(f"the back-reference \\{ch}", start)
        if ch == "G":
            raise self.unsupported("the \\G assertion", start)
        if ch == "K":
            raise self.unsupported("\\K (reset match start)", start)
        if ch in "RXC":
            raise self.unsupported(f"the escape \\{ch}", start)
        item = self._escape_item(start, in_class=False)
        if isinstance(item, int):
            return [self._literal(item)]
        return [_Chars(item)]

    def _quoted(self) -> str:
        """``\\Q...\\E``: the literal text up to ``\\E`` or the end of the pattern."""
        self.i += 1  # past 'Q'
        end = self.p.find("\\E", self.i)
        text = self.p[self.i :] if end < 0 else self.p[self.i : end]
        self.i = self.n if end < 0 else end + 2
        return text

    def _escape_item(self, start: int, *, in_class: bool) -> int | Ranges:
        """An escape that is a character (code point) or a character type (ranges).

        ``self.i`` is at the letter after the backslash; on return it is past the escape.
        """
        p = self.p
        ch = p[self.i]
        self.i += 1
        if ch in _TYPES or ch.lower() in _TYPES:
            ranges = _TYPES[ch.lower()]
            return _complement(ranges) if ch.isupper() else ranges
        if ch in "pP":
            return self._property(start, negate=ch == "P")
        if ch in _SIMPLE_ESCAPES:
            return _SIMPLE_ESCAPES[ch]
        if ch == "x":
            return self._hex_escape(start)
        if ch == "u":
            return self._js_unicode_escape(start)
        if ch == "o":
            m = re.compile(r"\{([0-7]+)\}").match(p, self.i)
            if not m:
                raise self.error("\\o must be followed by {octal digits}", start)
            self.i = m.end()
            return self._code_point(int(m.group(1), 8), start)
        if ch == "0" or (in_class and ch in _OCT):
            digits = ch
            while len(digits) < 3 and self.i < self.n and p[self.i] in _OCT:
                digits += p[self.i]
                self.i += 1
            return int(digits, 8)
        if in_class and ch in "89":
            return ord(ch)
        if ch == "c":
            if self.i >= self.n or not 0x20 <= ord(p[self.i]) <= 0x7E:
                raise self.error("\\c must be followed by a printable ASCII character", start)
            self.i += 1
            return ord(p[self.i - 1].upper()) ^ 0x40
        if ch.isascii() and ch.isalnum():
            raise self.error(f"unrecognized escape \\{ch}", start)
        return ord(ch)  # escaped punctuation, white space, or any non-ASCII character

    def _hex_escape(self, start: int) -> int:
        """``\\xHH`` (one or two digits) or ``\\x{H...}``."""
        p = self.p
        if p.startswith("{", self.i):
            m = re.compile(r"\{([0-9a-fA-F]+)\}").match(p, self.i)
            if not m:
                raise self.error("\\x{ must be followed by hex digits and }", start)
            self.i = m.end()
            return self._code_point(int(m.group(1), 16), start)
        digits = ""
        while len(digits) < 2 and self.i < self.n and p[self.i] in _HEX:
            digits += p[self.i]
            self.i += 1
        if not digits:
            raise self.error("\\x must be followed by hex digits", start)
        return int(digits, 16)

    def _js_unicode_escape(self, start: int) -> int:
        """``\\u``: JavaScript's escape, which PCRE (MongoDB's dialect) does not have: an error
        that says how to write the character (``\\uD83D\\uDE00``, a surrogate pair, is one)."""
        p = self.p
        m = re.compile(r"[0-9a-fA-F]{4}").match(p, self.i)
        if not m:
            raise self.error("\\u is not an escape in PCRE (MongoDB's regex dialect); write \\x{HHHH}", start)
        cp = int(m.group(), 16)
        if 0xD800 <= cp <= 0xDBFF:
            low = re.compile(r"\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE).match(p, m.end())
            if low:
                cp = 0x10000 + ((cp - 0xD800) << 10) + (int(low.group(1), 16) - 0xDC00)
        raise self.error(
            f"\\u is not an escape in PCRE (MongoDB's regex dialect); write \\x{{{cp:x}}} for U+{cp:04X}", start
        )

    def _code_point(self, cp: int, start: int) -> int:
        """Check a code point written as a number: not a surrogate, at most U+10FFFF."""
        if cp > _MAX_CP:
            raise self.error("character code point value is too large", start)
        if _SURROGATES[0] <= cp <= _SURROGATES[1]:
            raise self.error("a surrogate code point is not a character", start)
        return cp

    def _property(self, start: int, *, negate: bool) -> Ranges:
        """``\\p{Lu}``, ``\\pL``, ``\\p{^Lu}``, ``\\P{..}``: general categories only."""
        p = self.p
        if p.startswith("{", self.i):
            close = p.find("}", self.i)
            if close < 0:
                raise self.error("malformed \\p or \\P", start)
            name = p[self.i + 1 : close]
            self.i = close + 1
        elif self.i < self.n:
            name = p[self.i]
            self.i += 1
        else:
            raise self.error("malformed \\p or \\P", start)
        if name.startswith("^"):
            negate, name = not negate, name[1:]
        ranges = _property_ranges(name)
        if ranges is None:
            raise self.unsupported(
                f"the Unicode property {name!r} (only general categories such as Lu, L, L& "
                "and Any are)",
                start,
            )
        return _complement(ranges) if negate else ranges

    # -- character classes -------------------------------------------------------------------

    def _class(self) -> _Chars:
        """``[...]``: items, ranges, escapes, ``[:posix:]``, ``\\Q..\\E``; ``]`` first is literal."""
        p, start = self.p, self.i
        if _POSIX_RE.match(p, start):
            raise self.error("POSIX named classes are supported only within a class", start)
        self.i += 1
        negated = p.startswith("^", self.i)
        if negated:
            self.i += 1
        self.quoted = []
        folded: list[tuple[int, int]] = []  # literal characters: subject to option i
        fixed: list[tuple[int, int]] = []  # character types: never case-folded
        first = True
        while True:
            item = self._class_item(first, start)
            first = False
            if item is None:
                break
            kind, value, item_pos = item
            if isinstance(value, tuple):  # a character type or POSIX class
                fixed.extend(value)
                if self._at_range_dash():
                    raise self.error("invalid range in character class", self.i)
                continue
            if not self._at_range_dash():
                folded.append((value, value))
                continue
            self.i += 1
            end = self._class_item(False, start)
            if end is None or isinstance(end[1], tuple):
                raise self.error("invalid range in character class", item_pos)
            if end[1] < value:
                raise self.error("range out of order in character class", item_pos)
            folded.append((value, end[1]))
        lits = _normalize(folded)
        if self.caseless and lits:
            lits = _case_closure(lits)
        ranges = _normalize(lits + tuple(fixed))
        return _Chars(_complement(ranges) if negated else ranges)

    def _at_range_dash(self) -> bool:
        """A ``-`` that makes a range: not last, not inside ``\\Q..\\E``."""
        return (
            not self.quoted
            and self.p.startswith("-", self.i)
            and not self.p.startswith("-]", self.i)
        )

    def _class_item(self, first: bool, start: int) -> tuple[str, int | Ranges, int] | None:
        """Next class member: ``("char", code point, pos)`` or ``("set", ranges, pos)``;
        None at the closing ``]``.  ``\\Q..\\E`` text is handed out one character at a time."""
        p = self.p
        while True:
            if self.quoted:
                cp, pos = self.quoted.pop(0)
                return ("char", cp, pos)
            if self.i >= self.n:
                raise self.error("missing terminating ] for character class", start)
            pos = self.i
            ch = p[pos]
            if ch == "]" and not first:
                self.i += 1
                return None
            if p.startswith("\\Q", pos):
                self.i += 2
                end = p.find("\\E", self.i)
                text_end = self.n if end < 0 else end
                self.quoted = [(ord(c), k) for k, c in enumerate(p[self.i : text_end], self.i)]
                self.i = self.n if end < 0 else end + 2
                continue
            if p.startswith("\\E", pos):
                self.i += 2
                continue
            if ch == "[":
                posix = _POSIX_RE.match(p, pos)
                if posix:
                    self.i = posix.end()
                    return ("set", self._posix_ranges(posix, pos), pos)
                if re.compile(r"\[([.=]).*?\1\]").match(p, pos):
                    raise self.error("POSIX collating elements are not supported", pos)
            self.i += 1
            if ch != "\\":
                return ("char", ord(ch), pos)
            if self.i >= self.n:
                raise self.error("\\ at end of pattern", pos)
            esc = p[self.i]
            if esc == "b":
                self.i += 1
                return ("char", 0x08, pos)
            if esc in "BAzZGKRXCNgkLlU":
                raise self.error(f"escape sequence \\{esc} is invalid in character class", pos)
            item = self._escape_item(pos, in_class=True)
            return ("char", item, pos) if isinstance(item, int) else ("set", item, pos)

    def _posix_ranges(self, m: re.Match[str], pos: int) -> Ranges:
        """``[:name:]`` / ``[:^name:]``; with option i, lower and upper mean alpha (as PCRE)."""
        name = m.group(2)
        if name not in _POSIX:
            raise self.error(f"unknown POSIX class name {name!r}", pos)
        if self.caseless and name in ("lower", "upper"):
            name = "alpha"
        ranges = _POSIX[name]
        return _complement(ranges) if m.group(1) else ranges


# --------------------------------------------------------------------------------------------
# Checks on the tree
# --------------------------------------------------------------------------------------------


def _check_repeat_nesting(node: _Node, budget: int = MAX_REPEAT) -> None:
    """RE2 rejects nested counted repetitions whose counts multiply to more than 1000."""
    if isinstance(node, _Repeat):
        if node.counted:
            count = node.hi if node.hi is not None else node.lo
            if count > 0:
                budget //= count
                if budget == 0:
                    raise QueryError(
                        f"nested repetitions at position {node.pos} repeat more than "
                        f"{MAX_REPEAT} times in total, which is not supported "
                        "(the SQL engine cannot run it)",
                        code=INVALID_QUERY,
                    )
        _check_repeat_nesting(node.node, budget)
    elif isinstance(node, _Seq):
        for item in node.items:
            _check_repeat_nesting(item, budget)
    elif isinstance(node, _Alt):
        for branch in node.branches:
            _check_repeat_nesting(branch, budget)


def _nullable(node: _Node) -> bool:
    """Can match the empty string (assertions count as possibly true)."""
    if isinstance(node, (_Chars, _Dot)):
        return False
    if isinstance(node, _Anchor):
        return True
    if isinstance(node, _Seq):
        return all(_nullable(i) for i in node.items)
    if isinstance(node, _Alt):
        return any(_nullable(b) for b in node.branches)
    return node.lo == 0 or _nullable(node.node)


def _terminal(node: _Node) -> bool:
    """Matches nothing but ``$`` / ``\\Z`` assertions (or the empty string)."""
    if isinstance(node, (_Chars, _Dot)):
        return False
    if isinstance(node, _Anchor):
        return node.kind in ("eol", "Z")
    if isinstance(node, _Seq):
        return all(_terminal(i) for i in node.items)
    if isinstance(node, _Alt):
        return all(_terminal(b) for b in node.branches)
    return node.hi == 0 or _terminal(node.node)


def _check_anchor_context(node: _Node, multiline: bool) -> None:
    """Reject anchors whose PCRE meaning the SQL engine cannot reproduce (docs/semantics.md#regex)."""
    _check_anchors(node, multiline, follow_terminal=True, follow_nullable=True)


def _check_anchors(
    node: _Node, multiline: bool, *, follow_terminal: bool, follow_nullable: bool
) -> None:
    """Walk with what can follow each node.

    * PCRE's ``\\Z`` and non-multiline ``$`` hold at the end or before a final ``\\n``. RE2 has
      no look-ahead, so it gets ``(?:\\n?\\z)``, which consumes that newline: the same for a
      search as long as only end anchors follow (and no enclosing repetition needs another
      round, i.e. its minimum is at most 1).
    * PCRE's multiline ``^`` does not hold after a final ``\\n``; RE2's and Python's do. Both
      agree with PCRE when what follows ``^`` cannot match the empty string.
    """
    if isinstance(node, _Seq):
        items = node.items
        terminal, nullable = follow_terminal, follow_nullable
        for item in reversed(items):
            _check_anchors(item, multiline, follow_terminal=terminal, follow_nullable=nullable)
            terminal = terminal and _terminal(item)
            nullable = nullable and _nullable(item)
    elif isinstance(node, _Alt):
        for branch in node.branches:
            _check_anchors(
                branch,
                multiline,
                follow_terminal=follow_terminal,
                follow_nullable=follow_nullable,
            )
    elif isinstance(node, _Repeat):
        _check_anchors(
            node.node,
            multiline,
            follow_terminal=follow_terminal and node.lo <= 1,
            follow_nullable=follow_nullable,
        )
    elif isinstance(node, _Anchor):
        if (node.kind == "Z" or (node.kind == "eol" and not multiline)) and not follow_terminal:
            name = "\\Z" if node.kind == "Z" else "'$' without option m"
            raise QueryError(
                f"{name} at position {node.pos} followed by more than end anchors is not "
                "supported (the SQL engine cannot run it: it also matches before a final "
                "newline)",
                code=INVALID_QUERY,
            )
        if node.kind == "bol" and multiline and follow_nullable:
            raise QueryError(
                f"'^' with option m at position {node.pos} followed by something that can match "
                "the empty string is not supported (the SQL engine cannot run it: PCRE's '^' "
                "does not match after a final newline)",
                code=INVALID_QUERY,
            )


def _re2_program_size(re2_text: str) -> int | None:
    """RE2's own size of the compiled program (instructions), from the RE2 library that
    google-re2 binds; None when RE2 refuses the pattern as too large for its memory budget
    (the same default budget as the RE2 in DuckDB)."""
    options = re2.Options()
    options.log_errors = False
    try:
        return int(re2.compile(re2_text, options).programsize)
    except re2.error as exc:
        if "too large" in str(exc) or "too big" in str(exc):
            return None
        # Our RE2 text is built to be valid RE2: a refusal is a bug here, not a user error.
        raise AssertionError(f"RE2 refused the generated pattern {re2_text!r}: {exc}") from None


def _flatten(node: _Node) -> list[_Node]:
    """The items of nested sequences, in order."""
    if isinstance(node, _Seq):
        return [leaf for item in node.items for leaf in _flatten(item)]
    return [node]


def _literal_text(node: _Node, caseless: bool) -> str | None:
    """The text when the whole pattern is literal characters (see :class:`Regex`)."""
    chars: list[str] = []
    for item in _flatten(node):
        if not isinstance(item, _Chars) or item.literal is None:
            return None
        ch = chr(item.literal)
        if caseless and (not ch.isascii() or ch in "iIkKsS"):
            return None
        chars.append(ch)
    return "".join(chars)


# --------------------------------------------------------------------------------------------
# Output for Python's re and for RE2
# --------------------------------------------------------------------------------------------

_PY = "python"
_RE2 = "re2"
_ARE = "are"  # PostgreSQL's advanced regular expressions
#: Largest repetition count an ARE takes (RE_DUP_MAX); larger counts are written as several.
_ARE_DUP_MAX = 255

_W = "[0-9A-Z_a-z]"  # PCRE's ASCII word character, for Python's \b and \B
_ANCHORS = {
    # kind: (Python, RE2); 'eol' depends on option m and is handled in _emit.
    "bol": ("^", "^"),
    "A": ("\\A", "\\A"),
    "z": ("\\Z", "\\z"),
    "Z": ("(?=\\n?\\Z)", "(?:\\n?\\z)"),
    # Python's \b is Unicode and its \B never matches an empty string; spell both out.
    "b": (f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))", "\\b"),
    "B": (f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))", "\\B"),
}


def _char(cp: int, engine: str) -> str:
    """One code point as pattern text that means exactly that character, in or out of a class."""
    ch = chr(cp)
    if ch.isascii():
        if ch.isalnum():
            return ch
        if 0x21 <= cp <= 0x7E:
            return "\\" + ch
    elif ch.isalnum():
        return ch
    if engine == _RE2:
        return f"\\x{{{cp:X}}}"
    if engine == _ARE:  # \x would take every hex digit that follows
        return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _class_body(ranges: Ranges, engine: str) -> str:
    parts = []
    for lo, hi in ranges:
        if lo == hi:
            parts.append(_char(lo, engine))
        elif hi == lo + 1:
            parts.append(_char(lo, engine) + _char(hi, engine))
        else:
            parts.append(f"{_char(lo, engine)}-{_char(hi, engine)}")
    return "".join(parts)


def _emit_chars(ranges: Ranges, engine: str) -> str:
    """A set of characters as a literal, ``[...]`` or ``[^...]``, whichever is shorter."""
    positive = _without_surrogates(ranges)
    negative = _without_surrogates(_complement(ranges))
    if len(positive) == 1 and positive[0][0] == positive[0][1]:
        return _char(positive[0][0], engine)
    if not negative:  # every character
        return "(?:.|\\n)" if engine == _ARE else "[\\s\\S]"
    if not positive or len(negative) < len(positive):
        return f"[^{_class_body(negative, engine)}]"
    return f"[{_class_body(positive, engine)}]"


def _emit(node: _Node, engine: str, multiline: bool, dotall: bool = False) -> str:
    """Pattern text for ``engine`` (flags m and s are set outside, but for an ARE's ``.``)."""
    if isinstance(node, _Chars):
        return _emit_chars(node.ranges, engine)
    if isinstance(node, _Dot):
        if engine == _ARE:  # an ARE's '.' matches a newline
            return "." if dotall else "[^\\n]"
        return "."
    if isinstance(node, _Anchor):
        if node.kind == "eol":
            if multiline:
                return "$"
            return "$" if engine == _PY else "(?:\\n?\\Z)" if engine == _ARE else "(?:\\n?\\z)"
        if engine == _ARE:
            return _ARE_ANCHORS[node.kind]
        py, r2 = _ANCHORS[node.kind]
        return py if engine == _PY else r2
    if isinstance(node, _Seq):
        parts = [_emit(item, engine, multiline, dotall) for item in node.items]
        return "".join(
            f"(?:{part})" if isinstance(item, _Alt) else part
            for item, part in zip(node.items, parts, strict=True)
        )
    if isinstance(node, _Alt):
        return "|".join(_emit(b, engine, multiline, dotall) for b in node.branches)
    inner = _emit(node.node, engine, multiline, dotall)
    if not isinstance(node.node, (_Chars, _Dot)) or engine == _ARE:
        inner = f"(?:{inner})"
    if engine == _ARE:
        return _are_repeat(inner, node.lo, node.hi)
    if node.hi is None:
        quant = "*" if node.lo == 0 else "+" if node.lo == 1 else f"{{{node.lo},}}"
    elif node.lo == node.hi:
        quant = f"{{{node.lo}}}"
    elif (node.lo, node.hi) == (0, 1):
        quant = "?"
    else:
        quant = f"{{{node.lo},{node.hi}}}"
    return inner + quant + ("?" if node.lazy else "")


# ARE spellings: \A and \Z (its \z does not exist), and PCRE's ASCII word boundary written
# out, since an ARE's \y / \m / \M follow the locale's notion of a word character.
_ARE_ANCHORS = {
    "bol": "^",
    "A": "\\A",
    "z": "\\Z",
    "Z": "(?:\\n?\\Z)",
    "b": f"(?:(?<={_W})(?!{_W})|(?<!{_W})(?={_W}))",
    "B": f"(?:(?<={_W})(?={_W})|(?<!{_W})(?!{_W}))",
}


def _are_repeat(inner: str, lo: int, hi: int | None) -> str:
    """``inner{lo,hi}`` for an ARE, whose counts stop at 255: a larger count is a sequence of
    counted pieces whose counts add up (the same language; only whether a match exists is
    asked). Laziness is dropped: it changes which match is found, never whether one is, and
    an ARE gives one preference to a whole pattern that mixes the two."""
    if hi is None:
        head = _are_repeat(inner, lo, lo) if lo > 1 else inner if lo == 1 else ""
        return head + inner + "*"
    if hi <= _ARE_DUP_MAX:
        if lo == hi:
            return inner if lo == 1 else "" if lo == 0 else f"{inner}{{{lo}}}"
        return f"{inner}{{{lo},{hi}}}"
    take_lo, take_hi = min(lo, _ARE_DUP_MAX), _ARE_DUP_MAX
    return _are_repeat(inner, take_lo, take_hi) + _are_repeat(inner, lo - take_lo, hi - take_hi)

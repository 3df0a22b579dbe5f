"""The PCRE2 pattern syntax: its tree and the parser that builds it (docs/semantics.md#regex)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from querylang.errors import INVALID_QUERY, LimitExceeded, QueryError
from querylang.features.regex.charsets import (
    POSIX,
    TYPES,
    case_closure,
    complement,
    normalize,
    property_ranges,
)
from querylang.features.regex.limits import (
    MAX_CP,
    MAX_DEPTH,
    MAX_REPEAT,
    OPTION_LETTERS,
    SURROGATES,
    X_SPACE,
    Ranges,
)

# --------------------------------------------------------------------------------------------
# Syntax tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chars:
    """One character out of ``ranges``; ``literal`` is the code point it was written as."""

    ranges: Ranges
    literal: int | None = None


@dataclass(frozen=True)
class Dot:
    """``.``: any character but ``\\n`` (any character with option s)."""


@dataclass(frozen=True)
class Anchor:
    """Zero-width assertion: ``bol`` (^), ``eol`` ($), ``A``, ``z``, ``Z``, ``b``, ``B``."""

    kind: str
    pos: int


@dataclass(frozen=True)
class Seq:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    branches: tuple[Node, ...]


@dataclass(frozen=True)
class Repeat:
    """``node{lo,hi}``; ``hi`` None = unbounded; ``counted`` when written with braces."""

    node: Node
    lo: int
    hi: int | None
    lazy: bool
    counted: bool
    pos: int


Node = Chars | Dot | Anchor | Seq | Alt | Repeat


# --------------------------------------------------------------------------------------------
# Parser (PCRE2 syntax, docs/semantics.md#regex)
# --------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")
# re.ASCII: PCRE's quantifier digits are 0-9; 'a{١٢}' is 'a' and the text '{١٢}'.
_STRICT_QUANT_RE = re.compile(r"\{(\d+)(?:(,)(\d*))?\}", re.ASCII)
_LOOSE_QUANT_RE = re.compile(r"\{[ \t]*\d*[ \t]*(?:,[ \t]*\d*[ \t]*)?\}", re.ASCII)


def _posix_syntax(p: str, pos: int) -> int | None:
    """Where ``[:…:]``, ``[.….]`` or ``[=…=]`` ends, as PCRE2 reads it (its
    check_posix_syntax): ``pos`` is just after the ``[``; the index of the closing ``:``, ``.``
    or ``=`` (a ``]`` follows it), or None when the text there is not that syntax and the
    ``[`` is an ordinary character. A ``]`` or another ``[`` + the same mark ends the search;
    ``\\]`` and ``\\\\`` are skipped."""
    n = len(p)
    if n - pos < 3 or p[pos] not in ":.=":
        return None
    mark = p[pos]
    i = pos + 1
    while n - i >= 2:
        c, nxt = p[i], p[i + 1]
        if c == "\\" and nxt in "]\\":
            i += 2
            continue
        if (c == "[" and nxt == mark) or c == "]":
            return None
        if c == mark and nxt == "]":
            return i
        i += 1
    return None


_LEADING_FLAGS_RE = re.compile(r"\(\?([a-zA-Z]*)\)")
_SIMPLE_ESCAPES = {"a": 0x07, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
_HEX = frozenset("0123456789abcdefABCDEF")
_OCT = frozenset("01234567")


class Parser:
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

    def past_limit(self, what: str, pos: int) -> LimitExceeded:
        """Past one of the limits README and docs/semantics.md#limits list: the limits'
        class (still 102), so a caller that catches ``LimitExceeded`` catches this too."""
        return LimitExceeded(
            f"{what} at position {pos} is not supported (the SQL engine cannot run it)",
            code=INVALID_QUERY,
        )

    # -- structure --------------------------------------------------------------------------

    def parse(self) -> Node:
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
            if not m or not m.group(1) or any(c not in OPTION_LETTERS for c in m.group(1)):
                return
            self.flags.update(m.group(1))
            self.i = m.end()

    def _alternation(self) -> Node:
        branches = [self._sequence()]
        while self.i < self.n and self.p[self.i] == "|":
            self.i += 1
            branches.append(self._sequence())
        return branches[0] if len(branches) == 1 else Alt(tuple(branches))

    def _sequence(self) -> Node:
        """Atoms with their quantifiers up to ``|``, ``)`` or the end."""
        items: list[Node] = []
        can_repeat = False
        while True:
            self._skip_ignorable()
            if self.i >= self.n or self.p[self.i] in "|)":
                break
            start = self.i
            quant = self._quantifier()
            if quant is not None:
                if not can_repeat:
                    if items and isinstance(items[-1], Anchor):
                        raise self.unsupported("a quantifier after an assertion", start)
                    if items and isinstance(items[-1], Repeat):  # PCRE: error or possessive
                        raise self.unsupported("a quantifier after a quantifier", start)
                    raise self.error("quantifier does not follow a repeatable item", start)
                lo, hi, lazy, counted = quant
                items[-1] = Repeat(items[-1], lo, hi, lazy, counted, start)
                can_repeat = False
                continue
            atoms = self._atom()
            if atoms:
                items.extend(atoms)
                can_repeat = not isinstance(atoms[-1], Anchor)
        return items[0] if len(items) == 1 else Seq(tuple(items))

    def _skip_ignorable(self) -> None:
        """Skip ``(?#...)`` comments, a stray ``\\E``, and with option x white space and ``#``
        comments (PCRE extended mode, outside classes)."""
        p = self.p
        while self.i < self.n:
            ch = p[self.i]
            if "x" in self.flags and ch in X_SPACE:
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
                raise self.past_limit(f"a repetition count above {MAX_REPEAT} ({m.group()})", start)
            self.i, counted = m.end(), True
        else:
            return None
        lazy = False
        if self.i < self.n and p[self.i] == "?":
            lazy, self.i = True, self.i + 1
        elif self.i < self.n and p[self.i] == "+":
            raise self.unsupported("a possessive quantifier", start)
        return lo, hi, lazy, counted

    def _atom(self) -> list[Node]:
        """One atom (a ``\\Q..\\E`` run gives several, a comment-like item none)."""
        p, start = self.p, self.i
        ch = p[start]
        if ch == "(":
            return [self._group()]
        if ch == "[":
            return [self._class()]
        self.i += 1
        if ch == ".":
            return [Dot()]
        if ch == "^":
            return [Anchor("bol", start)]
        if ch == "$":
            return [Anchor("eol", start)]
        if ch == "\\":
            return self._escape(start)
        return [self._literal(ord(ch))]

    def _literal(self, cp: int) -> Chars:
        """A literal character; with option i, closed under case folding."""
        ranges: Ranges = ((cp, cp),)
        if self.caseless:
            ranges = case_closure(ranges)
        return Chars(ranges, cp)

    def _group(self) -> Node:
        """``( ... )`` in its many PCRE forms; all become plain (non-capturing) groups."""
        p, start = self.p, self.i
        self.i += 1
        if p.startswith("?", self.i):
            self._group_kind(start)
        elif p.startswith("*", self.i):
            raise self.unsupported("a (*VERB) or (*assertion) construct", start)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.past_limit(f"nesting parentheses deeper than {MAX_DEPTH}", start)
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
        if rest == "P>" or rest[:1] in ("&", "R") or re.match(r"[+-]?\d", rest, re.ASCII):
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

    def _escape(self, start: int) -> list[Node]:
        """``\\`` outside a class; ``self.i`` is just after the backslash."""
        p = self.p
        if self.i >= self.n:
            raise self.error("\\ at end of pattern", start)
        ch = p[self.i]
        if ch == "Q":
            return [self._literal(ord(c)) for c in self._quoted()]
        if ch in "bB":
            self.i += 1
            return [Anchor(ch, start)]
        if ch in "AzZ":
            self.i += 1
            return [Anchor(ch, start)]
        if ch == "N":
            if p.startswith("{", self.i + 1) and not _STRICT_QUANT_RE.match(p, self.i + 1):
                raise self.unsupported("\\N{...}", start)  # \N{U+hh}; \N{2} is \N twice
            self.i += 1
            return [Chars(complement(((0x0A, 0x0A),)))]
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
        return [Chars(item)]

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
        if ch in TYPES or ch.lower() in TYPES:
            ranges = TYPES[ch.lower()]
            return complement(ranges) if ch.isupper() else ranges
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
        if cp > MAX_CP:
            raise self.error("character code point value is too large", start)
        if SURROGATES[0] <= cp <= SURROGATES[1]:
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
        ranges = property_ranges(name)
        if ranges is None:
            raise self.unsupported(
                f"the Unicode property {name!r} (only general categories such as Lu, L, L& "
                "and Any are)",
                start,
            )
        return complement(ranges) if negate else ranges

    # -- character classes -------------------------------------------------------------------

    def _class(self) -> Chars:
        """``[...]``: items, ranges, escapes, ``[:posix:]``, ``\\Q..\\E``; ``]`` first is literal."""
        p, start = self.p, self.i
        if p.startswith(("[[:<:]]", "[[:>:]]"), start):
            where = "start" if p[start + 3] == "<" else "end"
            raise self.unsupported(f"PCRE2's {p[start:start + 7]} (the {where} of a word, a look-around)", start)
        if _posix_syntax(p, start + 1) is not None:
            if p[start + 1] == ":":
                raise self.error("POSIX named classes are supported only within a class", start)
            raise self.error("POSIX collating elements are not supported", start)
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
        lits = normalize(folded)
        if self.caseless and lits:
            lits = case_closure(lits)
        ranges = normalize(lits + tuple(fixed))
        return Chars(complement(ranges) if negated else ranges)

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
            if ch == "[" and (close := _posix_syntax(p, pos + 1)) is not None:
                if p[pos + 1] != ":":
                    raise self.error("POSIX collating elements are not supported", pos)
                self.i = close + 2
                return ("set", self._posix_ranges(p[pos + 2 : close], pos), pos)
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

    def _posix_ranges(self, text: str, pos: int) -> Ranges:
        """``[:name:]`` / ``[:^name:]`` (``text`` between the colons); with option i, lower
        and upper mean alpha (as PCRE)."""
        negate = text.startswith("^")
        name = text[1:] if negate else text
        if name not in POSIX:
            raise self.error(f"unknown POSIX class name {name!r}", pos)
        if self.caseless and name in ("lower", "upper"):
            name = "alpha"
        ranges = POSIX[name]
        return complement(ranges) if negate else ranges

"""The tree written out for Python's re, RE2 (DuckDB) and PostgreSQL's AREs."""

from __future__ import annotations

from dataclasses import replace

from querylang.features.regex.charsets import complement, without_surrogates
from querylang.features.regex.limits import Ranges
from querylang.features.regex.syntax import Alt, Anchor, Chars, Dot, Node, Repeat, Seq

# --------------------------------------------------------------------------------------------
# Output for Python's re and for RE2
# --------------------------------------------------------------------------------------------

PY = "python"
RE2 = "re2"
ARE = "are"  # PostgreSQL's advanced regular expressions
#: Largest repetition count an ARE takes (RE_DUP_MAX); larger counts are written as several.
_ARE_DUP_MAX = 255

_W = "[0-9A-Z_a-z]"  # PCRE's ASCII word character, for Python's \b and \B
_ANCHORS = {
    # kind: (Python, RE2); 'eol' depends on option m and is handled in emit.
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
    if engine == RE2:
        return f"\\x{{{cp:X}}}"
    if engine == ARE:  # \x would take every hex digit that follows
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
    positive = without_surrogates(ranges)
    negative = without_surrogates(complement(ranges))
    if len(positive) == 1 and positive[0][0] == positive[0][1]:
        return _char(positive[0][0], engine)
    if not negative:  # every character
        return "(?:.|\\n)" if engine == ARE else "[\\s\\S]"
    if not positive or len(negative) < len(positive):
        return f"[^{_class_body(negative, engine)}]"
    return f"[{_class_body(positive, engine)}]"


def emit(node: Node, engine: str, multiline: bool, dotall: bool = False) -> str:
    """Pattern text for ``engine`` (flags m and s are set outside, but for an ARE's ``.``)."""
    if isinstance(node, Chars):
        return _emit_chars(node.ranges, engine)
    if isinstance(node, Dot):
        if engine == ARE:  # an ARE's '.' matches a newline
            return "." if dotall else "[^\\n]"
        return "."
    if isinstance(node, Anchor):
        if node.kind == "eol":
            if multiline:
                return "$"
            return "$" if engine == PY else "(?:\\n?\\Z)" if engine == ARE else "(?:\\n?\\z)"
        if engine == ARE:
            return _ARE_ANCHORS[node.kind]
        py, r2 = _ANCHORS[node.kind]
        return py if engine == PY else r2
    if isinstance(node, Seq):
        parts = [emit(item, engine, multiline, dotall) for item in node.items]
        return "".join(
            f"(?:{part})" if isinstance(item, Alt) else part
            for item, part in zip(node.items, parts, strict=True)
        )
    if isinstance(node, Alt):
        return "|".join(emit(b, engine, multiline, dotall) for b in node.branches)
    if engine == PY:
        node = _unnested(node)
    inner = emit(node.node, engine, multiline, dotall)
    if not isinstance(node.node, (Chars, Dot)) or engine == ARE:
        inner = f"(?:{inner})"
    if engine == ARE:
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


def _unnested(node: Repeat) -> Repeat:
    """``node`` with a repetition of a repetition written as one repetition where it can be, for
    Python's re: it backtracks through every way of splitting the text between the two, so
    ``(.*){100}b`` on a few ``a``s ran for hours in the reference evaluator, whose timeout cannot
    stop one match. Only whether a match exists is asked (``python.search``), and the language
    is the same: with ``L`` the inner node's, ``(L{a,}){m,n}`` (``n`` at least 1) is
    ``L{m*a,}`` when ``m`` is 1 or more, and ``(L{a,})?`` when ``m`` is 0 (``L*`` for ``a`` 0
    or 1), and ``(L{a,b}){m,}`` with ``a`` 0 or 1 is ``L{m*a,}`` too. Laziness changes which
    match is found, never whether one is."""
    inner = _single(node.node)
    if isinstance(inner, Repeat):
        inner = _unnested(inner)
    if not isinstance(inner, Repeat) or node.hi == 0 or inner.hi == 0:
        return node if inner is _single(node.node) else replace(node, node=inner)
    if inner.hi is not None:
        # (L{a,b}){m,} with a 0 or 1 is L{m*a,}: every count from m*a on is a sum of pieces
        # of a to b (one each); (a{1,5})*b on thirty a's ran for a minute.
        if node.hi is not None or inner.lo > 1:
            return node if inner is _single(node.node) else replace(node, node=inner)
        return replace(inner, lo=node.lo * inner.lo, hi=None, lazy=False)
    if node.lo >= 1:
        return replace(inner, lo=node.lo * inner.lo, lazy=False)
    if inner.lo <= 1:
        return replace(inner, lo=0, lazy=False)
    return replace(node, node=inner, lo=0, hi=1, lazy=False)


def _single(node: Node) -> Node:
    """A group of one item is that item (``((a*))`` parses as a Seq or an Alt of one)."""
    while isinstance(node, Seq | Alt):
        items = node.items if isinstance(node, Seq) else node.branches
        if len(items) != 1:
            break
        node = items[0]
    return node


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

"""Checks on the parsed tree: what the engines cannot run identically is refused here."""

from __future__ import annotations

import re2

from querylang.errors import INVALID_QUERY, QueryError
from querylang.features.regex.limits import MAX_REPEAT
from querylang.features.regex.syntax import Alt, Anchor, Chars, Dot, Node, Repeat, Seq

# --------------------------------------------------------------------------------------------
# Checks on the tree
# --------------------------------------------------------------------------------------------


def check_repeat_nesting(node: Node, budget: int = MAX_REPEAT) -> None:
    """RE2 rejects nested counted repetitions whose counts multiply to more than 1000."""
    if isinstance(node, Repeat):
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
        check_repeat_nesting(node.node, budget)
    elif isinstance(node, Seq):
        for item in node.items:
            check_repeat_nesting(item, budget)
    elif isinstance(node, Alt):
        for branch in node.branches:
            check_repeat_nesting(branch, budget)


def _nullable(node: Node) -> bool:
    """Can match the empty string (assertions count as possibly true)."""
    if isinstance(node, (Chars, Dot)):
        return False
    if isinstance(node, Anchor):
        return True
    if isinstance(node, Seq):
        return all(_nullable(i) for i in node.items)
    if isinstance(node, Alt):
        return any(_nullable(b) for b in node.branches)
    return node.lo == 0 or _nullable(node.node)


def _terminal(node: Node) -> bool:
    """Matches nothing but ``$`` / ``\\Z`` assertions (or the empty string)."""
    if isinstance(node, (Chars, Dot)):
        return False
    if isinstance(node, Anchor):
        return node.kind in ("eol", "Z")
    if isinstance(node, Seq):
        return all(_terminal(i) for i in node.items)
    if isinstance(node, Alt):
        return all(_terminal(b) for b in node.branches)
    return node.hi == 0 or _terminal(node.node)


def check_anchor_context(node: Node, multiline: bool) -> None:
    """Reject anchors whose PCRE meaning the SQL engine cannot reproduce (docs/semantics.md#regex)."""
    _check_anchors(node, multiline, follow_terminal=True, follow_nullable=True)


def _check_anchors(
    node: Node, multiline: bool, *, follow_terminal: bool, follow_nullable: bool
) -> None:
    """Walk with what can follow each node.

    * PCRE's ``\\Z`` and non-multiline ``$`` hold at the end or before a final ``\\n``. RE2 has
      no look-ahead, so it gets ``(?:\\n?\\z)``, which consumes that newline: the same for a
      search as long as only end anchors follow (and no enclosing repetition needs another
      round, i.e. its minimum is at most 1).
    * PCRE's multiline ``^`` does not hold after a final ``\\n``; RE2's and Python's do. Both
      agree with PCRE when what follows ``^`` cannot match the empty string.
    """
    if isinstance(node, Seq):
        items = node.items
        terminal, nullable = follow_terminal, follow_nullable
        for item in reversed(items):
            _check_anchors(item, multiline, follow_terminal=terminal, follow_nullable=nullable)
            terminal = terminal and _terminal(item)
            nullable = nullable and _nullable(item)
    elif isinstance(node, Alt):
        for branch in node.branches:
            _check_anchors(
                branch,
                multiline,
                follow_terminal=follow_terminal,
                follow_nullable=follow_nullable,
            )
    elif isinstance(node, Repeat):
        _check_anchors(
            node.node,
            multiline,
            follow_terminal=follow_terminal and node.lo <= 1,
            follow_nullable=follow_nullable,
        )
    elif isinstance(node, Anchor):
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


def re2_program_size(re2_text: str) -> int | None:
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


def _flatten(node: Node) -> list[Node]:
    """The items of nested sequences, in order."""
    if isinstance(node, Seq):
        return [leaf for item in node.items for leaf in _flatten(item)]
    return [node]


def literal_text(node: Node, caseless: bool) -> str | None:
    """The text when the whole pattern is literal characters (see :class:`Regex`)."""
    chars: list[str] = []
    for item in _flatten(node):
        if not isinstance(item, Chars) or item.literal is None:
            return None
        ch = chr(item.literal)
        if caseless and (not ch.isascii() or ch in "iIkKsS"):
            return None
        chars.append(ch)
    return "".join(chars)

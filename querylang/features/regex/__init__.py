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
  string, so ``\\b``/``\\B`` become look-arounds there; RE2 would test ``\\B`` inside a
  multi-byte character, so a pattern holding it is anchored behind a lazy run of whole
  characters).

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

``\\uHHHH`` (JavaScript regex literals) is refused as PCRE2 refuses it, with the hint to
write ``\\x{HHHH}``.
"""

from __future__ import annotations

import re
from functools import cached_property, lru_cache

from querylang.errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_JSON,
    INVALID_QUERY,
    QueryError,
    QueryTypeError,
)
from querylang.features.regex.checks import (
    check_anchor_context,
    check_repeat_nesting,
    literal_text,
    re2_program_size,
)
from querylang.features.regex.emit import ARE, PY, RE2, emit
from querylang.features.regex.limits import MAX_PROGRAM, MAX_REPEAT, OPTION_LETTERS
from querylang.features.regex.syntax import Alt, Anchor, Node, Parser, Repeat, Seq

__all__ = ["MAX_REPEAT", "Regex", "check_options", "compile_regex"]

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


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

    ``python`` and ``are`` (the pattern for PostgreSQL's ``~``) are written out when first
    read: a query on DuckDB needs only ``re2``, and a new pattern's Python form and
    ``re.compile`` were most of compiling it.
    """

    def __init__(self, pattern: str, options: str, re2: str, literal: str | None, tree: Node, parser: Parser) -> None:
        self.pattern, self.options, self.re2, self.literal = pattern, options, re2, literal
        self._tree, self._multiline, self._dotall = tree, parser.multiline, "s" in parser.flags

    def __repr__(self) -> str:
        return f"Regex({self.pattern!r}, {self.options!r}, re2={self.re2!r})"

    @cached_property
    def python(self) -> re.Pattern[str]:
        py_text = emit(self._tree, PY, self._multiline)
        flags = (re.MULTILINE if self._multiline else 0) | (re.DOTALL if self._dotall else 0)
        try:
            return re.compile(py_text, flags)
        except (re.error, RecursionError, OverflowError) as exc:  # a bug here, not a user error
            raise QueryError(
                f"internal error translating regular expression {self.pattern!r}: {exc}",
                code=INTERNAL_SERVER_ERROR,
            ) from exc

    @cached_property
    def are(self) -> str:
        # ARE: no flag means '.' and [^..] match a newline and ^/$ are the string's ends; option
        # m is (?w) ("inverse partial newline-sensitive": ^/$ at lines, '.' unchanged), and '.'
        # is written per option s (emit).
        are_text = emit(self._tree, ARE, self._multiline, self._dotall)
        return f"(?w){are_text}" if self._multiline else are_text


def check_options(options: str) -> str:
    """Validate ``$options`` (docs/semantics.md#regex): a subset of ``imsx``, returned sorted.

    Repeated letters are allowed (Parse's ``/^[imxs]+$/`` check allows them); ``''`` is allowed
    here, the REST front end enforces Parse's stricter rule itself.
    """
    if not isinstance(options, str) or any(c not in OPTION_LETTERS for c in options):
        raise QueryError(f"Bad $options value for query: {options}", code=INVALID_QUERY)
    return "".join(sorted(set(options)))


def compile_regex(pattern: str, options: str = "") -> Regex:
    """Parse, check and translate a PCRE pattern for both engines (docs/semantics.md#regex).

    Raises :class:`QueryError` 102 for invalid or unsupported patterns and bad options,
    :class:`QueryTypeError` 107 when the pattern is not a string.  Results are cached.
    """
    if not isinstance(pattern, str):
        raise QueryTypeError(f"bad regex: {pattern!r} is not a string", code=INVALID_JSON)
    return _compile(pattern, check_options(options))


def _has_anchor(node: Node, kind: str) -> bool:
    if isinstance(node, Anchor):
        return node.kind == kind
    if isinstance(node, Seq):
        return any(_has_anchor(n, kind) for n in node.items)
    if isinstance(node, Alt):
        return any(_has_anchor(n, kind) for n in node.branches)
    if isinstance(node, Repeat):
        return _has_anchor(node.node, kind)
    return False


@lru_cache(maxsize=1024)
def _compile(pattern: str, opts: str) -> Regex:
    """:func:`compile_regex` after the argument checks (cached)."""
    parser = Parser(pattern, set(opts))
    tree = parser.parse()
    check_repeat_nesting(tree)
    check_anchor_context(tree, parser.multiline)
    re2_text = emit(tree, RE2, parser.multiline)
    prefix = "".join(f for f in "ms" if f in parser.flags)
    if prefix:
        re2_text = f"(?{prefix}){re2_text}"
    if _has_anchor(tree, "B"):
        # RE2 tries an unanchored match from every byte, and inside a multi-byte character
        # both neighbours are non-word bytes, so its \B holds there (PCRE2 has no such
        # position): 'a' + U+212A + 'a' matched \B. Anchored behind a lazy run of whole
        # characters, every position RE2 tests is between characters.
        re2_text = f"\\A(?s:.)*?(?:{re2_text})"
    size = re2_program_size(re2_text)
    if size is None or size > MAX_PROGRAM:
        raise QueryError(
            "regular expression is too large (the SQL engine cannot run it)", code=INVALID_QUERY
        )
    return Regex(pattern, opts, re2_text, literal_text(tree, parser.caseless), tree, parser)

"""Limits and shared small types of the regex translation."""

from __future__ import annotations

#: Largest repetition count (RE2 rejects more, also as a product of nested counts).
MAX_REPEAT = 1000
#: Largest RE2 program (instructions, as RE2 counts them) we hand to DuckDB, whose RE2 fails near 700 000.
MAX_PROGRAM = 400_000
#: Deepest group nesting we accept (keeps both our parser and Python's ``re`` far from limits).
MAX_DEPTH = 200
MAX_CP = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)
OPTION_LETTERS = "imsx"

# White space skipped by option x: PCRE2's Pattern_White_Space in UTF mode.
X_SPACE = frozenset("\t\n\x0b\x0c\r \x85\u200e\u200f\u2028\u2029")

Ranges = tuple[tuple[int, int], ...]

"""Regexes on PostgreSQL: the ARE translation (features/regex/) means what PCRE means.

The table of hand-checked matches and the random patterns of test_regex.py, run through
PostgreSQL's ``~`` with ``Regex.are``. U+0000 cannot be stored in PostgreSQL text, so subjects
holding it are left out here (a load of such a text is refused, see test_pg_writes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from querylang.errors import QueryError
from querylang.features.regex import Regex

from .test_regex import _PREFIX, MATCHES, SUBJECTS, _pattern, compile_quietly, py


@pytest.fixture(scope="module")
def pg(pg_cluster: Any) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        yield con


def pg_match(con: psycopg.Connection[Any], s: str, r: Regex) -> bool:
    row = con.execute("SELECT %s::text ~ %s::text", [s, r.are]).fetchone()
    assert row is not None
    return bool(row[0])


@pytest.mark.parametrize(("pattern", "options", "subject", "expected"), [m for m in MATCHES if "\x00" not in m[2]])
def test_matches_on_postgres(pg: psycopg.Connection[Any], pattern: str, options: str, subject: str, expected: bool) -> None:
    r = compile_quietly(pattern, options)
    assert pg_match(pg, subject, r) is expected, f"postgres: {r.are!r}"


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("a{300}", "a" * 300, True),
        ("a{300}", "a" * 299, False),
        ("^a{256,600}$", "a" * 600, True),
        ("^a{256,600}$", "a" * 601, False),
        ("^(?:ab){2,}$", "ababab", True),
        ("\\bfoo\\b", "a foo b", True),
        ("\\bfoo\\b", "éfooé", True),  # PCRE's \b is ASCII: é is not a word character
        ("a.c", "a\nc", False),  # '.' stops at a newline (an ARE's does not)
        ("abc$", "abc\n", True),  # '$' before a final newline
        ("abc\\z", "abc\n", False),
    ],
)
def test_are_differences(pg: psycopg.Connection[Any], pattern: str, subject: str, expected: bool) -> None:
    r = compile_quietly(pattern, "")
    assert py(subject, r) is expected
    assert pg_match(pg, subject, r) is expected, r.are


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(
    pattern=st.builds(lambda prefix, body: prefix + body, _PREFIX, _pattern()),
    options=st.sets(st.sampled_from("imsx")).map("".join),
    subjects=st.lists(SUBJECTS, min_size=1, max_size=4),
)
def test_postgres_agrees(pg: psycopg.Connection[Any], pattern: str, options: str, subjects: list[str]) -> None:
    try:
        r = compile_quietly(pattern, options)
    except QueryError as exc:
        note(f"rejected: {exc.message}")
        return
    note(f"python={r.python.pattern!r} are={r.are!r}")
    for s in subjects + [s + "\n" for s in subjects]:
        if "\x00" in s:
            continue
        assert pg_match(pg, s, r) is py(s, r), (s, "postgres")

"""Long strings with astral characters: JavaScript indexes them by UTF-16 unit, and each call
on one (s[i], charAt, codePointAt, substr, slice) ends within the script's time limit."""

from __future__ import annotations

import time

from querylang.script.interpreter import run_script


def test_indexing_a_long_astral_string_ends_within_the_time_limit() -> None:
    # each call used to convert the whole string (seconds per call at this size)
    script = (
        "const s = '😀'.repeat(2e6)\n"
        "where({x: [s[1], s.charAt(2), s.codePointAt(4), s.codePointAt(5), s.substr(1, 2),\n"
        "  s.slice(-3), s.substring(3, 5), s.length, s.at(-1), s[3999999]]})"
    )
    start = time.monotonic()
    r = run_script(script, max_seconds=4)
    assert time.monotonic() - start < 4
    assert r.where["x"] == [
        "\ude00", "\ud83d", 0x1F600, 0xDE00, "\ude00\ud83d",
        "\ude00😀", "\ude00\ud83d", 4_000_000, "\ude00", "\ude00",
    ]


def test_two_long_strings_indexed_in_turn_keep_their_own_units() -> None:
    script = (
        "const t = '😀a'.repeat(2000); const u = 'b🎉'.repeat(2000)\n"
        "where({x: [t[0], u[0], t[1], u[1], t[2], u[2], t.substr(2, 3), u.substr(2, 3),"
        " t.codePointAt(0), u.codePointAt(1), (t + u).length]})"
    )
    assert run_script(script).where["x"] == [
        "\ud83d", "b", "\ude00", "\ud83c", "a", "\udf89", "a😀", "\udf89b\ud83c",
        0x1F600, 0x1F389, 12000,
    ]

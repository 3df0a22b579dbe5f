"""A script's memory and time on large strings and arrays: the budget of what one run builds
in all (MAX_BUILT), and indexing long strings with astral characters within the time limit."""

from __future__ import annotations

import time

import pytest

from querylang.errors import LimitExceeded
from querylang.script import MAX_BUILT
from querylang.script.interpreter import run_script

MEMORY = r"script used too much memory \(more than {:,} elements and characters"


@pytest.mark.parametrize(
    "copy",
    ["a.toSpliced(0, 0)", "[...a]", "`${s}${s}!`"],
)
def test_many_large_copies_end_on_the_budget_not_the_clock(copy: str) -> None:
    # each copy is within the array and string limits; a thousand of them are gigabytes
    script = (
        "const a = 'x'.repeat(1e6).split(''); const s = 'y'.repeat(1e6)\n"
        f"const b = Array.from({{length: 1000}}).map(() => {copy})\nwhere({{n: b.length}})"
    )
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match=MEMORY.format(MAX_BUILT)) as err:
        run_script(script)
    assert time.monotonic() - start < 5  # the time limit is 10 s
    assert err.value.line == 2


ROUTES = [
    "a.slice()",
    "a.toSpliced(0, 0)",
    "a.toReversed()",
    "a.toSorted()",
    "a.with(0, 1)",
    "[...a]",
    "[0, ...a]",
    "a.concat([1])",
    "a.map(String)",
    "a.filter(Boolean)",
    "Array.from(a)",
    "Object.keys(a)",
    "({...a})",
    "s.repeat(2)",
    "a.join('')",
    "s.padStart(20000)",
    "s.padEnd(20000)",
    "`${s}!`",
    "s + '!'",
    "s.split('')",
    "String(a)",
    "s.toUpperCase()",
    "s.replaceAll('x', 'yy')",
    "JSON.stringify(a)",
    "JSON.stringify(s)",
]


@pytest.mark.parametrize("copy", ROUTES)
def test_each_way_of_building_is_counted(copy: str) -> None:
    # 10,000 units per copy, 200 copies: far past a budget of 500,000
    script = (
        "const a = 'x'.repeat(1e4).split(''); const s = 'x'.repeat(1e4)\n"
        f"const b = Array.from({{length: 200}}).map(() => {copy})\nwhere({{n: b.length}})"
    )
    with pytest.raises(LimitExceeded, match=MEMORY.format(500_000)) as err:
        run_script(script, max_built=500_000)
    assert (err.value.line, err.value.source) == (2, script)
    # ten copies fit in the same budget
    few = script.replace("length: 200", "length: 10")
    assert run_script(few, max_built=500_000).where == {"n": 10}


@pytest.mark.parametrize(
    "grow",
    [
        "(() => { const c = []; c.push(...a); return c.length })()",
        "(() => { const c = [1]; c.unshift(...a); return c.length })()",
        "(() => { const c = [1]; c.splice(0, 0, ...a); return c.length })()",
        "(() => { let t = ''; t += s; return t.length })()",
        "(() => { const o = { t: '' }; o.t += s; return o.t.length })()",
    ],
)
def test_what_a_method_or_assignment_adds_is_counted(grow: str) -> None:
    script = (
        "const a = 'x'.repeat(1e4).split(''); const s = 'x'.repeat(1e4)\n"
        f"const b = Array.from({{length: 200}}).map(() => {grow})\nwhere({{n: b.length}})"
    )
    with pytest.raises(LimitExceeded, match=MEMORY.format(500_000)):
        run_script(script, max_built=500_000)
    few = script.replace("length: 200", "length: 10")
    assert run_script(few, max_built=500_000).where == {"n": 10}


def test_small_values_and_values_passed_along_are_not_counted() -> None:
    # values of LARGE units or fewer cost nothing; reading, finding or returning a large value
    # that exists already builds nothing
    script = (
        "const a = 'x'.repeat(1e4).split(''); const big = [a, a]\n"
        "const b = Array.from({length: 500}).map(() => a.slice(0, 1000))\n"
        "const c = Array.from({length: 500}).map(() => big.at(0) === big.find(x => true))\n"
        "const d = Array.from({length: 500}).map(() => big.reduce((acc, x) => x, a).length)\n"
        "where({n: b.length + c.length + d.length})"
    )
    assert run_script(script, max_built=20_000).where == {"n": 1500}

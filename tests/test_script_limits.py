"""The filter-script interpreter (the JavaScript subset): size, nesting, steps and value sizes always end
in a QueryError, in bounded time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from querylang.errors import LimitExceeded
from querylang.script.interpreter import ScriptResult, run_script

# ------------------------------------------------------------------------------------------
# Limits: size, nesting, steps and value sizes always end in a QueryError


def test_deep_nesting_is_a_clean_error() -> None:
    for script in ["(" * 10_000, "[" * 10_000 + "]" * 10_000, "where(" + "{a:" * 5000 + "1"]:
        with pytest.raises(LimitExceeded, match=r"nests too deeply \(max 200\)"):
            run_script(script)


def test_nesting_below_the_limit_runs() -> None:
    depth = 190
    r = run_script("where({ v: " + "[" * depth + "1" + "]" * depth + " })")
    v = r.where["v"]
    for _ in range(depth):
        v = v[0]
    assert v == 1
    assert run_script("where(" + "{a:" * 150 + "1" + "}" * 150 + ")").where_pos == (1, 1)


def test_the_nesting_limit_is_a_keyword_argument() -> None:
    with pytest.raises(LimitExceeded, match=r"max 3\)"):
        run_script("where([[[[1]]]])", max_depth=3)
    assert run_script("where([[[1]]])", max_depth=4).where == [[[1]]]


def test_long_chains_without_brackets_do_not_recurse() -> None:
    n = 3000  # well past the interpreter's stack: these are walked in loops
    assert run_script("where({ v: " + "!" * n + "0 })").where["v"] is False
    assert run_script("where({ v: 1" + " + 1" * n + " })").where["v"] == n + 1
    chain = "".join(f"$N == {i} ? {i} : " for i in range(n)) + "-1"
    assert run_script(f"where({{ v: {chain} }})", {"N": n - 1}).where["v"] == n - 1
    nested = "where({ v: " + "1 ? " * n + "2" + " : 3" * n + " })"
    assert run_script(nested).where["v"] == 2
    elifs = "\nelse ".join(f"if ($N == {i}) where({{ v: {i} }})" for i in range(n))
    assert run_script(elifs, {"N": n - 1}).where["v"] == n - 1
    assert run_script("if (1) " * n + "where({ v: 1 })").where["v"] == 1


def test_a_nearly_full_stack_is_a_clean_error() -> None:
    script = "where({ v: " + "[" * 150 + "1" + "]" * 150 + " })"

    def deep(n: int) -> ScriptResult:
        return run_script(script) if n == 0 else deep(n - 1)

    with pytest.raises(LimitExceeded, match="nests too deeply"):
        deep(sys.getrecursionlimit() - 150)


def test_a_value_too_deep_to_convert_names_the_expression() -> None:
    build = "const a = 'x'.repeat(20000).split('').reduce((acc, x) => [acc], 1)\n"
    for line, column in [("where({ v: 1, w: a == 'x' })", 18), ("where({ v: `${a}` })", 12)]:
        with pytest.raises(LimitExceeded, match="nests too deeply") as info:
            run_script(build + line)
        assert (info.value.line, info.value.column) == (2, column)


def test_a_huge_script_fails_fast() -> None:
    with pytest.raises(LimitExceeded, match="script is too long"):
        run_script("where({ a: 1 })\n" + " " * 10_000_000)
    with pytest.raises(LimitExceeded, match="max 100"):
        run_script("where({ a: 1 })" + " " * 101, max_size=100)


def test_the_step_budget_bounds_evaluation() -> None:
    script = "where({ v: [" + ", ".join(["1 + 1"] * 500) + "] })"
    assert len(run_script(script).where["v"]) == 500
    with pytest.raises(LimitExceeded, match="step limit") as info:
        run_script(script, max_steps=100)
    assert info.value.line == 1


def test_strings_and_arrays_cannot_grow_without_bound() -> None:
    doubling = "let s = 'ab'\n" + "s = s + s\n" * 30 + "where({ s })"
    with pytest.raises(LimitExceeded, match="string too long") as info:
        run_script(doubling)
    assert info.value.line is not None
    with pytest.raises(LimitExceeded, match="array too long"):
        run_script("let a = [1, 2]\n" + "a = a.concat(a)\n" * 25)
    with pytest.raises(LimitExceeded, match="string too long"):
        run_script("where({ s: 'ab'.repeat(1e9) })")
    with pytest.raises(LimitExceeded, match="string too long"):
        run_script("where({ s: 'ab'.padStart(Infinity) })")


@pytest.mark.parametrize(
    "script",
    [
        "where({ a: Array.from({ length: 1e9 }) })",
        "where({ a: Array.from({ length: Infinity }, (_, i) => i) })",
        "where({ a: Array.from('a'.repeat(5e6)) })",
        "let a = [1]\n" + "a = [...a, ...a]\n" * 19 + "a.unshift(...a)",
        "let a = [1]\n" + "a = [...a, ...a]\n" * 19 + "a.splice(0, 0, ...a)",
        "let a = [1]\n" + "a = [...a, ...a]\n" * 19 + "where({ a: a.toSpliced(1, 0, ...a) })",
    ],
)
def test_arrays_made_by_the_new_methods_stay_within_the_limit(script: str) -> None:
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match=r"array too long \(max 1,000,000 elements\)") as info:
        run_script(script)
    assert info.value.line is not None
    assert time.monotonic() - start < 10


def test_array_from_of_an_array_its_map_grows_ends() -> None:
    # JavaScript reads the array on as the map pushes to it, without end; here the step budget
    # (or the array limit) ends it.
    with pytest.raises(LimitExceeded) as info:
        run_script("const a = [1]\nwhere({ a: Array.from(a, x => a.push(x)) })")
    assert info.value.line == 2


def test_fill_never_grows_an_array() -> None:
    # fill writes within the length it finds: a huge end is clamped to it, as in JavaScript.
    ran = run_script("let a = [1]\n" + "a = [...a, ...a]\n" * 19 + "where({ n: a.fill(0, 0, 1e9).length, f: a[524287] })")
    assert ran.where == {"n": 524288, "f": 0}


def test_built_ins_on_long_arrays_cannot_run_for_hours() -> None:
    # 16,384 callbacks each calling includes() on a 524,288-element array stay far inside the
    # step budget (a call is one step) and ran for about twenty minutes; the clock stops them.
    script = (
        "let a = [1]\n" + "a = [...a, ...a]\n" * 19 + "let b = [2]\n" + "b = [...b, ...b]\n" * 14
        + "where({ v: b.filter(x => a.includes(x)).length })"
    )
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match="time limit") as info:
        run_script(script, max_seconds=0.5)
    assert time.monotonic() - start < 5
    assert info.value.line == 36


def test_text_from_a_long_string_held_many_times_fails_before_it_is_built() -> None:
    # An array holding one 9,000,000-character string 524,288 times: join, String(), `+`,
    # a template, concat() and JSON.stringify asked Python for terabytes at once and failed
    # with a bare MemoryError (or, on a big enough machine, ate the memory).
    held = "const s = 'a'.repeat(9e6)\nlet a = [s]\n" + "a = [...a, ...a]\n" * 19
    for text in ("a.join('')", "String(a)", "a + ''", "`${a}`", "''.concat(...a)",
                 "JSON.stringify(a)"):
        with pytest.raises(LimitExceeded, match="string too long") as info:
            run_script(held + f"where({{ v: {text} }})")
        assert info.value.line == 22, text
    template = "const s = 'a'.repeat(9e6)\nwhere({ v: `" + "${s}" * 50_000 + "` })"
    with pytest.raises(LimitExceeded, match="string too long"):
        run_script(template)


def test_text_from_a_shared_array_is_bounded_in_time() -> None:
    # `a = [[[a, a]]]` twenty times is a 600-character script whose array stands for 2**20
    # elements under ten levels each: String(a) took 23 s building a 1,048,575-comma text,
    # JSON.stringify of a shared object as long. Both now count the elements first.
    nested = "let a = []\n" + ("a = " + "[" * 10 + "a, a" + "]" * 10 + "\n") * 20
    with pytest.raises(LimitExceeded, match="array too large to turn into text") as info:
        run_script(nested + "where({ v: String(a) })")
    assert info.value.line == 22
    shared = "let o = {}\n" + "o = { a: o, b: o }\n" * 21
    with pytest.raises(LimitExceeded, match="too large for JSON.stringify"):
        run_script(shared + "where({ v: JSON.stringify(o) })")
    assert run_script("let a = [[1, [2]], [3]]\nwhere({ v: String([a, a]) })").where["v"] == (
        "1,2,3,1,2,3"
    )


def test_a_value_shared_many_times_cannot_stand_for_a_huge_filter() -> None:
    # Each statement shares `o` twice, so thirty short lines stand for 2**30 conditions, and
    # everything after the script (lowering, the reference evaluator, to_parse_where) walks
    # them as a tree: db.query hung. The where() argument is now capped as a tree.
    script = "let o = { score: 1 }\n" + "o = { and: [o, o] }\n" * 30 + "where(o)"
    with pytest.raises(LimitExceeded, match="where\\(\\) is too large") as info:
        run_script(script)
    assert (info.value.line, info.value.column) == (32, 1)
    wide = "let a = ['x']\n" + "a = [a, a]\n" * 25 + "sort(a)"
    with pytest.raises(LimitExceeded, match="sort\\(\\) is too large") as info:
        run_script(wide)
    assert info.value.line == 27
    cyclic = run_script("const a = []\na.push(a)\nsort(a)").sort  # later stages refuse it
    assert cyclic[0] is cyclic
    shared = "let o = { score: 1 }\n" + "o = { and: [o, o] }\n" * 10 + "where(o)"
    assert len(run_script(shared).where["and"]) == 2  # 2**10 conditions are fine


_SHORT_OF_MEMORY = """
import resource
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from querylang.errors import LimitExceeded
from querylang.script import run_script
try:
    run_script("const a = Array.from({ length: 1e6 })\\n"
               "const k = Array.from({ length: 1000 }).map(() => a.toSpliced(0, 0))\\nwhere({ n: k.length })")
except LimitExceeded as err:
    print(err)
"""


def test_a_script_out_of_memory_is_a_clean_error() -> None:
    """Arrays kept one after another, each within the limits, until the process's memory (held
    here to 1.5 GB) runs out: the script's own error where it was, not Python's MemoryError."""
    root = str(Path(__file__).resolve().parent.parent)
    proc = subprocess.run(
        [sys.executable, "-c", _SHORT_OF_MEMORY], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": root}, cwd=root,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert re.match(r"line 2, column \d+: script used too much memory", proc.stdout), proc.stdout


@pytest.mark.parametrize("call", ["k.map(String)", "Array.from(k, String)", "k.filter(String)"])
def test_a_global_passed_as_a_function_watches_the_clock(call: str) -> None:
    """A method calling a global function (no arrow: no steps) hundreds of times, each call
    long (String of a 100,000-element array): it stops at the time limit, not after every call."""
    script = f"const big = Array.from({{ length: 1e5 }}, Number)\nconst k = Array.from({{ length: 300 }}).fill(big)\nwhere({{ n: {call}.length }})"
    start = time.monotonic()
    with pytest.raises(LimitExceeded, match="time limit reached"):
        run_script(script, max_seconds=0.3)
    assert time.monotonic() - start < 3

"""Math's logarithms, exponentials, roots and trigonometry in filter scripts, checked against
Node's answers for a few hundred seeded arguments each.

V8 computes most of them with its own port of fdlibm, Python with the C library: both are
within one unit in the last place, so here they must be too (and exactly the same for the
special values: NaN, the infinities, zeros). hypot is computed as V8 computes it, so it must
be the same double every time. Node must be installed, as for tests/test_script_node.py.
"""

from __future__ import annotations

import json
import random
import struct
import subprocess
from typing import Any

from querylang.script import run_script

from .test_script_node import _node, _node_program

ONE_ARGUMENT = ["log", "log10", "log2", "log1p", "exp", "expm1", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan"]


def _ulps(a: float, b: float) -> int:
    """How many doubles apart two finite numbers are (of one sign: else the count is huge)."""

    def bits(x: float) -> int:
        return int.from_bytes(struct.pack("<d", x), "little", signed=True)

    return abs(bits(a) - bits(b))


def _both(script: str) -> tuple[Any, Any]:
    """(ours, Node's) of what the script gives where() as `r`."""
    proc = subprocess.run([_node(), "-"], input=_node_program([script], {}), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return run_script(script).where["r"], json.loads(proc.stdout)[0]["r"]  # type: ignore[index]


def _rows(calls: list[str], values: str) -> str:
    rows = ", ".join(f"xs.map(x => {c})" for c in calls)
    return f"const xs = {values}\nwhere({{ r: [{rows}].map(row => row.map(v => Number.isFinite(v) ? v : String(v))) }})"


def _assert_close(names: list[str], xs: list[Any], ours: Any, theirs: Any, most: int) -> None:
    for name, our_row, their_row in zip(names, ours, theirs, strict=True):
        for x, mine, node in zip(xs, our_row, their_row, strict=True):
            if isinstance(node, str) or isinstance(mine, str):
                assert mine == node, (name, x)
            else:
                assert (mine == 0) == (node == 0) and _ulps(float(mine), float(node)) <= most, (name, x, mine, node)


def test_one_argument_functions_are_within_one_unit_in_the_last_place_of_node() -> None:
    rnd = random.Random(20261207)
    xs = [rnd.uniform(-10, 10) for _ in range(150)] + [10 ** rnd.uniform(-300, 300) for _ in range(150)]
    xs += [rnd.uniform(-1, 1) for _ in range(100)] + [0.0, 1.0, -1.0, 1e-320, 1e308, 710.0, -745.5]
    ours, theirs = _both(_rows([f"Math.{f}(x)" for f in ONE_ARGUMENT], json.dumps(xs)))
    _assert_close(ONE_ARGUMENT, xs, ours, theirs, 1)


def test_hypot_is_nodes_and_atan2_within_one_unit_of_it() -> None:
    rnd = random.Random(20261208)
    pairs = [[rnd.uniform(-10, 10), rnd.uniform(-10, 10)] for _ in range(200)]
    pairs += [[10 ** rnd.uniform(-300, 300), -(10 ** rnd.uniform(-300, 300))] for _ in range(100)]
    pairs += [[float(rnd.randrange(100)), float(rnd.randrange(100))] for _ in range(100)] + [[0.0, -0.0], [1e308, 1e308]]
    calls = ["Math.hypot(...x)", "Math.hypot(x[0], x[1], 1.5)", "Math.atan2(...x)"]
    ours, theirs = _both(_rows(calls, json.dumps(pairs)))
    # JSON writes a large integral double as digits (6.4e19 as 64...0), read back as an int.
    assert [[float(v) for v in row] for row in ours[:2]] == [[float(v) for v in row] for row in theirs[:2]]
    _assert_close(["atan2"], pairs, ours[2:], theirs[2:], 1)

"""The filter-script interpreter (the JavaScript subset): to_js, Python inputs as JavaScript values, and what
it refuses."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from querylang.errors import QueryTypeError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSObject
from querylang.script.interpreter import run_script, to_js

# ------------------------------------------------------------------------------------------
# to_js: Python inputs as JavaScript values


def test_to_js_converts_containers_and_dates() -> None:
    v = to_js({"a": (1, [2.5, None]), "b": date(2024, 6, 1), "c": datetime(1970, 1, 1, 0, 0, 1)})
    assert isinstance(v, JSObject) and v["a"] == [1, [2.5, None]]
    assert v["b"] == JSDate(1717200000000.0)
    assert v["c"] == JSDate(1000.0)  # a naive datetime is UTC
    assert to_js(True) is True and to_js(UNDEFINED) is UNDEFINED and to_js(None) is None
    assert to_js(2**60) == float(2**60) and type(to_js(2**60)) is float  # beyond 2**53: a double


@pytest.mark.parametrize("bad", [{1: "a"}, {"a": {1, 2}}, object(), b"bytes"])
def test_to_js_rejects_what_javascript_cannot_hold(bad: object) -> None:
    with pytest.raises(QueryTypeError):
        to_js(bad)


def test_to_js_rejects_cycles_cleanly() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(QueryTypeError, match="nests too deeply"):
        run_script("where({})", {"L": loop})

"""Numbers and truth values of another library (numpy's int64, bool and float32, which are no
int, bool or float) are Python's own as operands, inputs and written values, on every engine
and the reference (docs/semantics.md#types). numpy is optional, so stand-ins built as numpy
builds them are used: an int64 is registered as a ``numbers.Integral`` with ``__index__``, a
bool and a float32 are known by their class's module and name.
"""

from __future__ import annotations

import json
import numbers
from typing import Any

import pytest

import querylang
from querylang.errors import DataError, QueryTypeError


class Int64:
    """An integer of another library: no int subclass, registered as numbers.Integral."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value

    def __repr__(self) -> str:
        return f"np.int64({self.value})"


numbers.Integral.register(Int64)


class Bool:
    """numpy's bool: no bool subclass and no numbers.Integral."""

    def __init__(self, value: bool) -> None:
        self.value = value

    def __bool__(self) -> bool:
        return self.value


Bool.__module__, Bool.__name__, Bool.__qualname__ = "numpy", "bool", "bool"


class Float32:
    """numpy's float32: no float subclass, registered as numbers.Real."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __float__(self) -> float:
        return self.value


numbers.Real.register(Float32)
Float32.__module__, Float32.__name__, Float32.__qualname__ = "numpy", "float32", "float32"

DOC = {
    "classes": {"C": {"fields": {"n": {"type": "Number"}, "b": {"type": "Boolean"}, "o": {"type": "Object"},
                                 "a": {"type": "Array"}, "d": {"type": "Date"}}}},
    "records": {"C": [{"objectId": "x", "n": 3, "b": True, "o": {"k": 2, "t": False}, "a": [1, 2.5],
                       "d": "1970-01-01T00:00:01.000Z"},
                      {"objectId": "y", "n": 4.5, "b": False}]},
}

WHERES = [
    ({"n": Int64(3)}, ["x"]),
    ({"n": {"greaterThan": Int64(2), "lessThan": Int64(4)}}, ["x"]),
    ({"n": {"containedIn": [Int64(3), Float32(4.5)]}}, ["x", "y"]),
    ({"n": Float32(4.5)}, ["y"]),
    ({"b": Bool(True)}, ["x"]),
    ({"b": {"notEqualTo": Bool(True)}}, ["y"]),
    ({"o": {"exists": Bool(False)}}, ["y"]),
    ({"o.k": Int64(2)}, ["x"]),
    ({"o.t": Bool(False)}, ["x"]),
    ({"o": {"k": Int64(2), "t": Bool(False)}}, ["x"]),
    ({"a": Int64(1)}, ["x"]),
    ({"a": {"all": [Int64(1), Float32(2.5)]}}, ["x"]),
    ({"d": {"equalTo": Int64(1000)}}, ["x"]),  # milliseconds since 1970
]


@pytest.mark.parametrize(("where", "expected"), WHERES, ids=[str(i) for i in range(len(WHERES))])
def test_another_librarys_number_is_a_query_operand(engine: Any, where: dict[str, Any], expected: list[str]) -> None:
    db: querylang.Database = engine()
    db.load(DOC)
    assert db.query("C", where).ids == db.reference("C", where).ids == expected


def test_another_librarys_number_is_a_script_input(engine: Any) -> None:
    db: querylang.Database = engine()
    db.load(DOC)
    script = "where({ n: { greaterThan: Inputs.low }, b: Inputs.yes, a: Inputs.one })"
    inputs = {"low": Int64(2), "yes": Bool(True), "one": Float32(1.0)}
    assert db.query("C", script, inputs=inputs).ids == db.reference("C", script, inputs=inputs).ids == ["x"]


def test_another_librarys_number_is_written_as_pythons(engine: Any) -> None:
    db: querylang.Database = engine()
    db.load({"classes": DOC["classes"],
             "records": {"C": [{"objectId": "x", "n": Int64(3), "a": [Int64(1), {"k": Bool(True)}]}]}})
    db.save("C", "x", {"b": Bool(False), "o": {"k": [Int64(2)], "f": Float32(0.5)}})
    db.create("C", {"objectId": "z", "n": Float32(1.5), "b": Bool(True)})
    db.increment("C", "x", {"n": Int64(2)})
    records = {r["objectId"]: r for r in db.query("C", {}).records}
    x, z = records["x"], records["z"]
    assert (x["n"], x["b"], x["a"], x["o"], z["n"], z["b"]) == (5, False, [1, {"k": True}], {"k": [2], "f": 0.5}, 1.5, True)
    assert [type(v) for v in (x["n"], x["b"], x["a"][0], x["a"][1]["k"], x["o"]["k"][0], z["b"])] == [int, bool, int, bool, int, bool]


def test_a_value_of_no_number_stays_refused(engine: Any) -> None:
    """Only numbers and truth values are converted: another object is still named in the error."""
    db: querylang.Database = engine()
    db.load(DOC)
    with pytest.raises(QueryTypeError, match="'o.k': object .* is not a query value"):
        db.query("C", {"o.k": object()})
    with pytest.raises(DataError, match="field a: not a JSON value: object"):
        db.save("C", "x", {"a": [Int64(1), object()]})
    with pytest.raises(DataError, match="field b: expected a Boolean, got number"):
        db.save("C", "x", {"b": Int64(1)})  # an integer is no truth value, as 1 is not


def test_a_kept_plan_binds_another_librarys_number(engine: Any) -> None:
    """From the second query of a signature on, the values are bound into a kept plan."""
    db: querylang.Database = engine()
    db.load(DOC)
    script = "where({ n: { greaterThan: Inputs.low }, b: Inputs.yes })"
    for low in (2, 3, 2, 4, 2):
        inputs = {"low": Int64(low), "yes": Bool(low == 2)}
        where = {"n": {"containedIn": [Float32(4.5), Int64(low + 1)]}, "b": Bool(low != 2)}
        assert db.query("C", script, inputs=inputs).ids == db.reference("C", script, inputs=inputs).ids == (["x"] if low == 2 else ["y"])
        assert db.query("C", where).ids == db.reference("C", where).ids == (["y"] if low == 2 else [])


def test_to_parse_where_writes_another_librarys_number_as_json() -> None:
    """The Parse ``where`` held numpy's int64 as it was, which json.dumps refused."""
    where = {"n": {"containedIn": [Int64(3), Float32(4.5)], "greaterThan": Int64(1)}, "b": Bool(True),
             "o": {"exists": Bool(True)}, "o.k": Int64(2)}
    parse = querylang.to_parse_where(where, schema=DOC["classes"], class_name="C")
    assert json.loads(json.dumps(parse)) == parse == {
        "n": {"$in": [3, 4.5], "$gt": 1}, "b": {"$eq": True}, "o": {"$exists": True}, "o.k": {"$eq": 2}}


def test_another_librarys_number_is_a_limit_skip_and_flag(engine: Any) -> None:
    """limit=np.int64(1) was refused as 'limit must be a whole number'."""
    db: querylang.Database = engine()
    db.load(DOC)
    for _ in range(3):  # a kept plan too
        res = db.query("C", {}, limit=Int64(1), skip=Int64(1), count=Bool(True))
        assert (res.ids, res.count) == (["y"], 2)
        assert db.reference("C", {}, limit=Int64(1), skip=Int64(1)).ids == ["y"]
        assert db.find("C", where={}, limit=Int64(1), skip=Int64(1)).ids == ["y"]
    with pytest.raises(QueryTypeError, match="limit must be a whole number, got 1.5"):
        db.query("C", {}, limit=Float32(1.5))

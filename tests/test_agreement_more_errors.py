"""An operand no engine can take (a NUL or a lone surrogate in a string, a number past a
double's range, a date past years 1-9999 in UTC) is refused alike by SQL and the reference
evaluator, and the error names the field it was given for: a filter object has no line and
column to point at, and "a string holds a NUL character" alone left the user to search every
condition of a long filter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

import querylang
from querylang.errors import QueryTypeError

LATE = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))  # year 10000 in UTC

# (filter, the field the error names); each next to a condition that holds, so only the value is at fault.
REFUSED = [
    ({"s": {"equalTo": "x\x00"}}, "s"),
    ({"s": {"containedIn": ["ok", "x\ud800"]}}, "s"),
    ({"a": {"equalTo": "x\x00"}}, "a"),
    ({"a": {"all": ["ok", "\udcff"]}}, "a"),
    ({"o": {"equalTo": {"k": "x\x00"}}}, "o"),
    ({"o": {"equalTo": {"k\x00": 1}}}, "o"),
    ({"o.k": {"notEqualTo": "x\ud800"}}, "o.k"),
    ({"n": {"equalTo": 2**2000}}, "n"),
    ({"n": {"containedIn": [1, -(2**1100)]}}, "n"),
    ({"a": {"containedIn": [2**2000]}}, "a"),
    ({"o": {"equalTo": {"k": [2**2000]}}}, "o"),
    ({"a": {"equalTo": LATE}}, "a"),
    ({"o.k": {"containedIn": [LATE]}}, "o.k"),
    ("where({ a: { equalTo: [1, new Date(253402300800000)] } })", "a"),
    ("where({ 'o.k': { lessThan: new Date(-62135596800001) } })", "o.k"),
    # an objectId inside a Pointer, as the id a Pointer field is given as a string
    ({"p": {"equalTo": {"__type": "Pointer", "className": "C", "objectId": "c\x00"}}}, "p"),
    ({"p": {"containedIn": ["c1", {"__type": "Pointer", "className": "C", "objectId": "c\ud800"}]}}, "p"),
    ({"r": {"__type": "Pointer", "className": "C", "objectId": "c\x00"}}, "r"),
    ({"p": {"pointsTo": ["c1", "c\x00"]}}, "p"),
    ({"r": {"containedIn": [{"objectId": "c\ud800"}]}}, "r"),
]


@pytest.mark.parametrize(("where", "field"), REFUSED, ids=[repr(w)[:60] for w, _ in REFUSED])
def test_a_value_no_engine_takes_names_its_field(engine: Any, where: Any, field: str) -> None:
    db: querylang.Database = engine()
    db.load({"classes": {"C": {"fields": {"s": {"type": "String"}, "n": {"type": "Number"}, "a": {"type": "Array"}, "o": {"type": "Object"},
                                       "p": {"type": "Pointer", "targetClass": "C"}, "r": {"type": "Relation", "targetClass": "C"}}}},
             "records": {"C": [{"objectId": "c1", "s": "x", "n": 1, "a": ["x"], "o": {"k": "x"}}]}})
    for run in (db.query, db.reference):
        with pytest.raises(QueryTypeError) as err:
            run("C", {"and": [{"objectId": {"exists": True}}, where]} if isinstance(where, dict) else where)
        assert f"'{field}': " in str(err.value), str(err.value)


def test_an_integer_a_double_holds_is_its_double_inside_a_value_too(engine: Any) -> None:
    """2**1010 inside an Array or Object operand was refused, "number out of range", where the
    same integer on a Number field, and in the data loaded, is the double it means
    (docs/semantics.md#numbers: only one past a double's range is an error)."""
    big = 2**1010
    db: querylang.Database = engine()
    db.load({"classes": {"C": {"fields": {"a": {"type": "Array"}, "n": {"type": "Number"}, "o": {"type": "Object"}}}},
             "records": {"C": [{"objectId": "x", "a": [big], "n": big, "o": {"k": big}}, {"objectId": "y", "a": [1], "n": 1, "o": {"k": 1}}]}})
    for where in ({"n": big}, {"a": big}, {"a": {"containedIn": [big, "z"]}}, {"o.k": big}, {"o": {"k": big}},
                  {"a": {"greaterThan": 2**1001}}, {"o.k": {"greaterThanOrEqualTo": big}}, {"a": {"all": [float(big)]}}):
        assert db.query("C", where).ids == db.reference("C", where).ids == ["x"], where
    with pytest.raises(QueryTypeError, match="'a': number out of range"):
        db.query("C", {"a": 2**1024})


class _Double(float):
    """A float of another class, shown as numpy shows its float64 ('np.float64(1.5)')."""

    def __repr__(self) -> str:
        return f"np.float64({float(self)!r})"

    def __abs__(self) -> _Double:
        return _Double(float(self).__abs__())


def test_a_float_of_another_class_on_another_type_is_the_type_error(engine: Any) -> None:
    """numpy's float64 (a float) on a String or Boolean field failed with decimal's
    InvalidOperation, not the type mismatch: the error's text of the number read its repr."""
    db: querylang.Database = engine()
    db.load({"classes": {"C": {"fields": {"s": {"type": "String"}, "b": {"type": "Boolean"}, "n": {"type": "Number"}}}},
             "records": {"C": [{"objectId": "x", "s": "1.5", "b": True, "n": 1.5}]}})
    for where, field in (({"s": _Double(1.5)}, "'s' is a String"), ({"b": {"containedIn": [_Double(2.5e-7)]}}, "'b' is a Boolean")):
        for run in (db.query, db.reference):
            with pytest.raises(QueryTypeError, match=f"{field}; number (1.5|2.5e-7) can never match it"):
                run("C", where)
    assert db.query("C", {"n": _Double(1.5)}).ids == db.reference("C", {"n": _Double(1.5)}).ids == ["x"]

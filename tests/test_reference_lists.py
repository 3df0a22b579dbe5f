"""The reference evaluator's containedIn / notContainedIn over a long list: each member made
into its equality key once a query, each record's value looked up among them (it compared
every record with every member: a list of 5,000 Post ids over 50,000 Comments ran past a
minute). The answers stay those of docs/semantics.md#lists, as the engines give them."""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.reference import evaluator


def _db() -> Any:
    db = querylang.connect()
    db.load({
        "classes": {"Thing": {"fields": {"n": {"type": "Number"}, "s": {"type": "String"}, "a": {"type": "Array"},
                                        "o": {"type": "Object"}}}},
        "records": {"Thing": [
            {"objectId": f"t{i}", "n": i, "s": str(i), "a": [i, str(i)], "o": {"k": i, "j": [i, i + 1]}} for i in range(60)
        ] + [{"objectId": "null", "n": None, "a": [None]}, {"objectId": "bare"}]},
    })
    return db


def test_a_long_list_is_keyed_once_not_compared_member_by_member(monkeypatch: pytest.MonkeyPatch) -> None:
    db = _db()
    calls = 0
    real = evaluator.canonical

    def counted(v: Any) -> str:
        nonlocal calls
        calls += 1
        return real(v)

    monkeypatch.setattr(evaluator, "canonical", counted)
    members = list(range(1000, 3000)) + [5, 7.0]
    got = db.reference("Thing", {"n": {"containedIn": members}}, sort=["objectId"])
    assert [r["objectId"] for r in got.records] == ["t5", "t7"]
    # Each member once, each of the 62 records at most once more: member by member it was
    # about 62 × 2,002 calls.
    assert calls <= len(members) + 62 * 2, calls


@pytest.mark.parametrize(("where", "ids"), [
    ({"n": {"containedIn": [1, 2.0]}}, ["t1", "t2"]),  # numbers by value
    ({"n": {"containedIn": [None, 4]}}, ["bare", "null", "t4"]),  # a listed null: absent or null
    ({"s": {"containedIn": ["5", "05"]}}, ["t5"]),
    ({"a": {"containedIn": ["8", 9]}}, ["t8", "t9"]),  # an array by any element
    ({"a": {"containedIn": [[10, "10"]]}}, ["t10"]),  # or as a whole
    ({"a": {"containedIn": [None]}}, ["bare", "null"]),  # an array holding a null, or absent
    ({"o.k": {"containedIn": [11, 12.0]}}, ["t11", "t12"]),  # a path into an Object
    ({"o.j": {"containedIn": [14]}}, ["t13", "t14"]),  # a path reaching an array's elements
    ({"o.j": {"containedIn": [[13, 14]]}}, ["t13"]),  # and the array itself
    ({"o": {"containedIn": [{"j": [15, 16], "k": 15}]}}, ["t15"]),  # objects whatever their key order
    ({"n": {"notContainedIn": list(range(2, 60))}}, ["bare", "null", "t0", "t1"]),
])
def test_the_answers_are_the_engines(where: dict[str, Any], ids: list[str]) -> None:
    db = _db()
    ref = [r["objectId"] for r in db.reference("Thing", where, sort=["objectId"]).records]
    assert ref == ids
    assert [r["objectId"] for r in db.query("Thing", where, sort=["objectId"]).records] == ids

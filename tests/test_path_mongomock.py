"""The reference evaluator's reading of Object dot paths against a second oracle: mongomock
(MongoDB's query matcher written again in Python) on random nested documents (objects in
arrays, arrays in arrays, keys "0" and "1", nulls, missing keys) and paths of one to three steps
(docs/semantics.md#objects).

mongomock departs from MongoDB in places; each is named in :func:`_mongomock_reads_alike` or
in the values drawn, and those examples are not compared with it. The hand-checked cases of
tests/test_path_arrays.py hold MongoDB's answer where mongomock's differs.
"""

from __future__ import annotations

from typing import Any

import mongomock
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import querylang
from querylang.model.schema import Schema

SCHEMA = {"Item": {"fields": {"meta": {"type": "Object"}}}}
KEYS = ("a", "b", "0", "1")
# No 0 or 1 and no float: mongomock compares with Python's ==, where False == 0 and True == 1.0
# (MongoDB's equality is type-strict between booleans and numbers).
NUMBERS = (-2, 2, 3, 7)
OPERANDS = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(("x", "y")), st.booleans())
SCALARS = st.one_of(st.none(), OPERANDS, st.just("xa"))


def _containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(st.dictionaries(st.sampled_from(KEYS), inner, max_size=2), min_size=1, max_size=3),  # objects in an array
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), inner, max_size=3),
    )


VALUES = st.recursive(SCALARS, _containers, max_leaves=6)
DOCS = st.dictionaries(st.sampled_from(KEYS), _containers(VALUES), min_size=1, max_size=2)
RANGES = ("greaterThan", "lessThan", "greaterThanOrEqualTo", "lessThanOrEqualTo")
CONDITIONS = st.one_of(
    st.tuples(st.just("equalTo"), st.one_of(st.none(), OPERANDS, st.lists(OPERANDS, max_size=2))),
    st.tuples(st.just("notEqualTo"), st.one_of(st.none(), OPERANDS)),
    st.tuples(st.sampled_from(RANGES), OPERANDS),
    st.tuples(st.sampled_from(("containedIn", "notContainedIn")), st.lists(st.one_of(st.none(), OPERANDS), max_size=3)),
    st.tuples(st.just("exists"), st.booleans()),
    st.tuples(st.just("matchesRegex"), st.sampled_from(("^x", "a$"))),
    st.tuples(st.just("all"), st.lists(OPERANDS, min_size=1, max_size=2)),
)
MONGO = {
    "equalTo": "$eq", "notEqualTo": "$ne", "greaterThan": "$gt", "lessThan": "$lt",
    "greaterThanOrEqualTo": "$gte", "lessThanOrEqualTo": "$lte", "containedIn": "$in",
    "notContainedIn": "$nin", "exists": "$exists", "matchesRegex": "$regex", "all": "$all",
}
_MISSING = object()


def _mongomock_holds(collection: Any, record: str, path: str, op: str, v: Any) -> bool | None:
    """Does mongomock find ``record`` for the condition? Worked around its departures from
    MongoDB: equalTo as Parse sends it, the value itself (mongomock's ``$eq`` with an array
    operand matches no array element equal to it); ``exists: false`` as the negation MongoDB
    makes of ``exists: true`` (mongomock's holds when one branch of a path through an array
    reaches nothing, and its ``$not`` fails where no branch reaches anything); ``all`` as the
    equalities MongoDB reads it as. None where mongomock fails (a TypeError)."""
    if op == "exists" and not v:
        held = _mongomock_holds(collection, record, path, op, True)
        return None if held is None else not held
    if op == "all":
        # MongoDB's $all of values is the $and of an equality to each: mongomock's own failed
        # where one branch of a path through an array reached nothing ({'b': [[{}, {'b': ['x']}]]}
        # and 'meta.b.0.b' $all ['x']: 0, where its 'meta.b.0.b': 'x' found the record).
        return all(_mongomock_holds(collection, record, path, "equalTo", x) for x in v)
    try:
        return collection.count_documents({"_id": record, path: v if op == "equalTo" else {MONGO[op]: v}}) == 1
    except TypeError:
        return None


def _mongomock_reads_alike(v: Any, steps: list[str]) -> bool:
    """Whether mongomock reaches what MongoDB does along ``steps`` from ``v``. It does not where
    (1) a value on the way is neither object nor array, null included (MongoDB: missing, so
    equalTo null holds; mongomock: nothing), (2) a step that is an integer meets an array
    holding an object (MongoDB reads the element at that index and key "0" of each object
    element; mongomock only the element) or names no index as MongoDB reads one ("-1" is the
    last element to mongomock, "01" element 1), (3) an index step ends the path at an array
    (MongoDB: that array as a value; mongomock: its elements too)."""
    if not steps or v is _MISSING:
        return True
    step, rest = steps[0], steps[1:]
    if isinstance(v, dict):
        return _mongomock_reads_alike(v.get(step, _MISSING), rest)
    if not isinstance(v, list):
        return False
    if not step.isdigit() or step != str(int(step)):
        return not step.lstrip("-").isdigit() and all(_mongomock_reads_alike(e, steps) for e in v if isinstance(e, dict))
    if any(isinstance(e, dict) for e in v):
        return False
    i = int(step)
    if i >= len(v):
        return True
    if not rest:
        return not isinstance(v[i], list)
    # Both go on from an element at an index only when it is an object or an array.
    return not isinstance(v[i], list | dict) or _mongomock_reads_alike(v[i], rest)


def _without_nulls(v: Any) -> Any:
    """``v`` with its null values left out: querylang reads a stored null as absent for
    ``exists`` (docs/semantics.md#absent), MongoDB as present, so exists is compared on
    documents without them."""
    if isinstance(v, dict):
        return {k: _without_nulls(e) for k, e in v.items() if e is not None}
    if isinstance(v, list):
        return [_without_nulls(e) for e in v if e is not None]
    return v


@st.composite
def _path(draw: st.DrawFn, meta: dict[str, Any]) -> list[str]:
    """One to three steps, most of them leading somewhere in ``meta``: a key of an object, of
    an object in an array (or in an array in it), or an index of an array (else any key)."""
    steps: list[str] = []
    v: Any = meta
    for _ in range(draw(st.sampled_from((1, 2, 2, 3, 3)))):
        known: list[str] = []
        if isinstance(v, dict):
            known = list(v)
        elif isinstance(v, list):
            # Keys of objects in an array in the array too: MongoDB does not read them.
            inner = [e for e in v if isinstance(e, dict)] + [d for e in v if isinstance(e, list) for d in e if isinstance(d, dict)]
            known = [str(i) for i in range(len(v))] + [k for e in inner for k in e]
        step = draw(st.sampled_from(known) if known and draw(st.integers(0, 4)) else st.sampled_from(KEYS))
        steps.append(step)
        v = v.get(step) if isinstance(v, dict) else v[int(step)] if isinstance(v, list) and step.isdigit() and int(step) < len(v) else None
    return steps


@pytest.fixture(scope="module")
def collection() -> Any:
    return mongomock.MongoClient()["paths"]["items"]


@given(data=st.data(), meta=DOCS, conditions=st.lists(CONDITIONS, min_size=1, max_size=2), either=st.booleans())
def test_paths_read_as_mongomock_reads_them(collection: Any, data: st.DataObject, meta: dict[str, Any], conditions: list[tuple[str, Any]], either: bool) -> None:
    if any(op == "exists" for op, _ in conditions):
        meta = _without_nulls(meta)
    steps = [data.draw(_path(meta)) for _ in conditions]
    assume(all(_mongomock_reads_alike(meta, s) for s in steps))
    pairs = [("meta." + ".".join(s), c) for s, c in zip(steps, conditions, strict=True)]
    ours = [{path: {op: v}} for path, (op, v) in pairs]
    where = ours[0] if len(ours) == 1 else {"or" if either else "and": ours}
    collection.delete_many({})
    collection.insert_one({"_id": "r", "meta": meta})
    held = [_mongomock_holds(collection, "r", path, op, v) for path, (op, v) in pairs]
    assume(None not in held)
    expected = any(held) if either else all(held)
    assert querylang.matches({"meta": meta}, where, schema=SCHEMA, class_name="Item") == expected, (meta, where)


# Documents where the reading of a path through arrays matters, each read at every path of one to
# three steps over keys a, b, 0 and 1 (those mongomock reads as MongoDB does).
GRID_DOCS = (
    {"a": [{"a": 2, "b": "x"}, {"a": [2, "y"]}, {"b": None}, 3, None, {"a": {"b": "xa"}}]},
    {"a": [[{"a": 2, "b": "x"}], [[{"a": 3}]], "x"], "b": [[2, 3], [], [{"b": 7}]]},
    {"a": {"b": [{"a": [{"b": 3}, [2]]}, {}, {"b": [{"a": "x"}]}], "a": [[], [2]]}},
    {"b": [{"a": None}, {"a": []}, {"a": [None, "y"]}]},
)
GRID_CONDITIONS = (
    ("equalTo", 2), ("equalTo", None), ("equalTo", [2]), ("notEqualTo", "x"), ("lessThan", 3),
    ("containedIn", ["x", None]), ("notContainedIn", [2]), ("matchesRegex", "^x"), ("all", [2, 3]),
    ("exists", True), ("exists", False),
)


def _grid_paths() -> list[list[str]]:
    paths: list[list[str]] = [[]]
    for _ in range(3):
        paths = [*paths, *([*p, k] for p in paths if len(p) == max(map(len, paths)) for k in KEYS)]
    return [p for p in paths if p]


@pytest.mark.parametrize("meta", GRID_DOCS, ids=[f"doc{i}" for i in range(len(GRID_DOCS))])
def test_every_path_of_a_document_reads_as_mongomock_reads_it(collection: Any, meta: dict[str, Any]) -> None:
    schema = Schema.from_json(SCHEMA)
    collection.delete_many({})
    collection.insert_many([{"_id": "r", "meta": meta}, {"_id": "s", "meta": _without_nulls(meta)}])
    compared = 0
    for steps in _grid_paths():
        path = "meta." + ".".join(steps)
        for op, v in GRID_CONDITIONS:
            doc = _without_nulls(meta) if op == "exists" else meta
            if not _mongomock_reads_alike(doc, steps):
                continue
            expected = _mongomock_holds(collection, "s" if op == "exists" else "r", path, op, v)
            if expected is None:
                continue
            assert querylang.matches({"meta": doc}, {path: {op: v}}, schema=schema, class_name="Item") == expected, (doc, path, op, v)
            compared += 1
    assert compared > 300  # most paths compared, not left out as mongomock's departures

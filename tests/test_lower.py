"""The rules applied once before both engines (querylang/frontends/lower.py).

The differential tests cannot see a mistake here, because the SQL compiler and the reference
evaluator both receive the lowered nodes; so the answers below are checked by hand against the
calibration dataset, and ``holds_when_absent`` is compared with the evaluator on a record that
has no fields at all.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.frontends.lower import holds_when_absent, lower
from querylang.interchange.document import Dataset, read_dataset
from querylang.model import nodes as n
from querylang.reference.evaluator import Evaluator

from . import strategies as qs


def _no_owner_or_dangling(db: querylang.Database) -> list[str]:
    posts = set(db.query("Post", "where({})").ids)
    return [r["objectId"] for r in db.query("Comment", "where({})").records
            if r.get("Owner") not in posts]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # a missing or dangling hop reaches no value at all, not an objectId ''
        ("where({ 'Owner.objectId': { exists: false } })", "no-owner-or-dangling"),
        ("where({ 'Owner.objectId': { equalTo: '' } })", []),
        ("where({ 'Owner.objectId': { exists: true } })", "live-owner"),
        ("where({ Owner: { exists: false }, 'Owner.author.objectId': { lessThanOrEqualTo: 'u04' } })", []),
    ],
)
def test_pointer_paths_ending_in_object_id(sample_db: querylang.Database, script: str, expected: Any) -> None:
    gone = _no_owner_or_dangling(sample_db)
    assert gone, "the calibration data has comments without a live Owner"
    everyone = sample_db.query("Comment", "where({})").ids
    named = {"no-owner-or-dangling": gone, "live-owner": [i for i in everyone if i not in gone]}
    want = named[expected] if isinstance(expected, str) else expected
    assert sample_db.query("Comment", script).ids == want
    assert sample_db.reference("Comment", script).ids == want


def test_not_equal_with_exists_keeps_only_live_pointers(sample_db: querylang.Database) -> None:
    got = sample_db.query("Comment", "where({ 'Owner.objectId': { notEqualTo: 'p006', exists: true } })").records
    posts = set(sample_db.query("Post", "where({})").ids)
    assert got and all(r["Owner"] in posts and r["Owner"] != "p006" for r in got)
    owned = [r for r in sample_db.query("Comment", "where({})").records if r.get("Owner") in posts]
    assert len(got) == len([r for r in owned if r["Owner"] != "p006"])


@pytest.mark.parametrize(
    ("node", "holds"),
    [
        (n.Compare("a", "eq", None), True),
        (n.Compare("a", "lte", None), True),
        (n.Compare("a", "lt", None), False),
        (n.Compare("a", "ne", None), False),
        (n.Compare("a", "ne", 1), True),
        (n.Compare("a", "eq", 1), False),
        (n.In("a", (1, None)), True),
        (n.In("a", (1,), negate=True), True),
        (n.In("a", (None,), negate=True), False),
        (n.Exists("a", False), True),
        (n.ContainedBy("a", ()), True),
        (n.All("a", ()), False),
        (n.And(()), True),
        (n.Not(n.Exists("a", True)), True),
        (n.IsAbsent("a"), True),
        (n.Not(n.IsAbsent("a")), False),
        (n.FALSE, False),
    ],
)
def test_holds_when_absent_table(node: n.Node, holds: bool) -> None:
    assert holds_when_absent(node) is holds


@pytest.mark.parametrize(
    ("node", "lowered"),
    [
        (n.Compare("a", "eq", None), n.IsAbsent("a")),
        (n.Compare("a", "lte", None), n.IsAbsent("a")),
        (n.Compare("a", "gte", None), n.IsAbsent("a")),
        (n.Compare("a", "ne", None), n.Not(n.IsAbsent("a"))),
        (n.Compare("a", "lt", None), n.FALSE),
        (n.Compare("a", "gt", None), n.FALSE),
        (n.Compare("a", "lt", 0), n.Compare("a", "lt", 0)),
        (n.In("a", (None,)), n.In("a", (None,))),  # containedIn keeps its null: one list, one test
        (n.And((n.Compare("a", "eq", 1), n.Or((n.Not(n.Compare("b", "gt", None)),)))),
         n.And((n.Compare("a", "eq", 1), n.Or((n.Not(n.FALSE),))))),
        (n.MatchesQuery("p", n.Compare("b", "ne", None)), n.MatchesQuery("p", n.Not(n.IsAbsent("b")))),
        (n.MatchesKey("a", "C", "k", n.Compare("b", "eq", None)), n.MatchesKey("a", "C", "k", n.IsAbsent("b"))),
    ],
)
def test_lower_rewrites_null_operands(node: n.Node, lowered: n.Node) -> None:
    assert lower(node) == lowered
    assert lower(lowered) == lowered


def test_lower_keeps_a_tree_without_null_operands() -> None:
    node = n.And((n.Compare("a", "eq", 1), n.Not(n.In("b", (None,))), n.MatchesQuery("p", n.Exists("c", True))))
    assert lower(node) is node


def test_an_unlowered_null_operand_is_refused_by_both_engines(sample_db: querylang.Database) -> None:
    """A hand-made Compare with null never reaches an engine through the builder; given one
    directly, each engine says so instead of answering by a rule it no longer holds."""
    q = n.Query("Post", n.Compare("title", "eq", None))
    with pytest.raises(querylang.QueryError, match="not lowered"):
        querylang.compile_query(q, sample_db.schema)
    with pytest.raises(querylang.QueryError, match="not lowered"):
        Evaluator(sample_db.store.dataset()).run(q)


@st.composite
def _class_and_nodes(draw: st.DrawFn) -> tuple[Dataset, str, list[n.Node]]:
    doc = draw(qs.documents())
    # The document as read, not loaded into a database: the nodes and the evaluator need only
    # the schema and the records, and a database per example cost more than the rest.
    data = read_dataset(copy.deepcopy(doc))
    class_name = draw(st.sampled_from(sorted(doc["classes"])))
    nodes = []
    for where in draw(st.lists(qs.filters(doc, class_name), min_size=1, max_size=5)):
        try:
            nodes.append(querylang.build_query(data.schema, class_name, where).where)
        except querylang.QueryError:
            continue
    return data, class_name, nodes


@given(_class_and_nodes())
def test_holds_when_absent_agrees_with_the_evaluator(case: tuple[Dataset, str, list[n.Node]]) -> None:
    data, class_name, nodes = case
    evaluator = Evaluator(data)
    for node in nodes:
        assert holds_when_absent(node) == evaluator.matches(node, class_name, {"objectId": None}), node

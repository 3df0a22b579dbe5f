"""Script → checked nodes, hand-checked: the interpreter and the builder against a fixed table.

Both engines are fed by the same builder, so a builder mistake is invisible to the
differential tests; this table is where it shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import querylang
from querylang.model import nodes as n

GOLDEN: list[tuple[str, str, dict[str, Any], n.Node, tuple[n.SortKey, ...]]] = [
    # comparisons and Parse's equality shorthand
    ("Post", "where({ score: { greaterThan: 3 } })", {}, n.Compare("score", "gt", 3), ()),
    ("Post", "where({ score: 5 })", {}, n.Compare("score", "eq", 5), ()),
    # a null operand is lowered (frontends/lower.py): absent, not absent, or nothing
    ("Post", "where({ title: null })", {}, n.IsAbsent("title"), ()),
    ("Post", "where({ title: { notEqualTo: null } })", {}, n.Not(n.IsAbsent("title")), ()),
    ("Post", "where({ score: { lessThanOrEqualTo: null, greaterThanOrEqualTo: null } })", {},
     n.And((n.IsAbsent("score"), n.IsAbsent("score"))), ()),
    ("Post", "where({ score: { lessThan: Inputs.X } })", {"X": None}, n.FALSE, ()),
    ("Post", "where({ or: [{ score: { greaterThan: null } }, { tags: null }] })", {},
     n.Or((n.FALSE, n.IsAbsent("tags"))), ()),
    ("Post", "where({ 'meta.lang': { equalTo: null } })", {}, n.IsAbsent("meta.lang"), ()),
    ("Post", "where({ title: { containedIn: [null, 'a'] } })", {}, n.In("title", (None, "a")), ()),
    ("Comment", "where({ 'Owner.score': null })", {},
     n.Not(n.MatchesQuery("Owner", n.Not(n.IsAbsent("score")))), ()),
    ("Comment", "where({ 'Owner.score': { lessThan: null } })", {}, n.MatchesQuery("Owner", n.FALSE), ()),
    ("Post", "where({ score: { greaterThan: Inputs.Min, lessThan: 10 } })", {"Min": 2},
     n.And((n.Compare("score", "gt", 2), n.Compare("score", "lt", 10))), ()),
    ("Post", "where({ publishedAt: { greaterThan: new Date('2024-01-01T00:00:00Z') } })", {},
     n.Compare("publishedAt", "gt", datetime(2024, 1, 1, tzinfo=UTC)), ()),
    ("Post", "where({ idEqualTo: Inputs.Id })", {"Id": "p001"}, n.Compare("objectId", "eq", "p001"), ()),
    # an undefined input drops its condition, as in Noodl
    ("Post", "where({ score: { equalTo: Inputs.Missing } })", {}, n.TRUE, ()),
    # lists, logic
    ("Post", "where({ tags: { containedIn: ['ui', 'db'] } })", {}, n.In("tags", ("ui", "db")), ()),
    ("Post", "where({ or: [{ published: true }, { score: { lessThanOrEqualTo: 1 } }] })", {},
     n.Or((n.Compare("published", "eq", True), n.Compare("score", "lte", 1))), ()),
    ("Post", "where({ nor: [{ published: true }] })", {}, n.Not(n.Or((n.Compare("published", "eq", True),))), ()),
    ("Post", "where({ title: { exists: false } })", {}, n.Exists("title", False), ()),
    ("Post", "where({ title: { matchesRegex: '^par', options: 'i' } })", {}, n.Regex("title", "^par", "i"), ()),
    # pointers and relations
    ("Post", "where({ author: { pointsTo: Inputs.U } })", {"U": "u01"}, n.PointsTo("author", ("u01",)), ()),
    ("Post", "where({ author: { pointsTo: [Inputs.U, 'u02'] } })", {"U": "u01"},
     n.PointsTo("author", ("u01", "u02")), ()),
    ("Group", "where({ posts: { pointsTo: 'p001' } })", {}, n.PointsTo("posts", ("p001",)), ()),
    ("Post", "where({ relatedTo: { id: 'g01', key: 'posts' } })", {}, n.RelatedTo("Group", "g01", "posts"), ()),
    # a path through a Pointer keeps its meaning when the pointer reaches nothing
    ("Comment", "where({ 'Owner.score': { greaterThan: 3 } })", {},
     n.MatchesQuery("Owner", n.Compare("score", "gt", 3)), ()),
    ("Comment", "where({ 'Owner.score': { notEqualTo: 3 } })", {},
     n.Not(n.MatchesQuery("Owner", n.Not(n.Compare("score", "ne", 3)))), ()),
    ("Comment", "where({ 'Owner.objectId': { exists: false } })", {},
     n.Not(n.MatchesQuery("Owner", n.Not(n.Exists("objectId", False)))), ()),
    ("Comment", "where({ 'Owner.objectId': { equalTo: '' } })", {},
     n.MatchesQuery("Owner", n.Compare("objectId", "eq", "")), ()),
    # a path into an Object field is a value at that path
    ("Post", "where({ 'meta.lang': 'en' })", {}, n.Compare("meta.lang", "eq", "en"), ()),
    # sorting
    ("Post", "where({})\nsort(['-createdAt', 'title'])", {}, n.TRUE,
     (n.SortKey("createdAt", True), n.SortKey("title", False))),
    ("Post", "where({})\nsort(['-meta.views'])", {}, n.TRUE, (n.SortKey("meta.views", True),)),
]


@pytest.fixture(scope="module")
def db(sample_doc: dict[str, Any]) -> querylang.Database:
    db = querylang.connect()
    db.load({"classes": sample_doc["classes"]})
    return db


@pytest.mark.parametrize(("class_name", "script", "inputs", "where", "sort"), GOLDEN, ids=[g[1][:60] for g in GOLDEN])
def test_script_builds_these_nodes(
    db: querylang.Database, class_name: str, script: str, inputs: dict[str, Any], where: n.Node,
    sort: tuple[n.SortKey, ...],
) -> None:
    q = db.build(class_name, script, inputs=inputs)
    assert q.where == where
    assert q.sort == sort

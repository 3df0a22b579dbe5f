"""Join tables without dangling edges: the store tracks them, queries skip the existence checks.

Each step changes the data, then every relation question is asked of both engines; the SQL
must drop the checks exactly while no edge dangles (Schema.clean_joins).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import querylang

DOC = {
    "classes": {
        "Post": {"fields": {"title": {"type": "String"}}},
        "Group": {"fields": {"posts": {"type": "Relation", "targetClass": "Post"}}},
        "Comment": {"fields": {"Owner": {"type": "Pointer", "targetClass": "Post"}}},
    },
    "records": {
        "Post": [{"objectId": p, "title": p} for p in ("p1", "p2", "p3")],
        "Group": [{"objectId": "g1", "posts": ["p1", "p2"]}, {"objectId": "g2", "posts": ["p3"]}],
        "Comment": [{"objectId": c, "Owner": p} for c, p in (("c1", "p1"), ("c2", "p2"), ("c3", "p9"), ("c4", "p3"))],
    },
}
JOIN = "_join:posts:Group"

QUESTIONS = [
    ("Group", {"posts": {"pointsTo": "p9"}}),
    ("Group", {"posts": {"pointsTo": ["p1", "p9"]}}),
    ("Group", {"posts": {"exists": True}}),
    ("Group", {"posts": {"notEqualTo": "p9"}}),
    ("Post", {"relatedTo": {"id": "g1", "key": "posts"}}),
    ("Post", {"relatedTo": {"id": "g9", "key": "posts"}}),
    ("Comment", {"Owner": {"matchesQuery": {"relatedTo": {"id": "g1", "key": "posts"}}}}),
    ("Comment", {"Owner": {"doesNotMatchQuery": {"relatedTo": {"id": "g1", "key": "posts"}}}}),
]


def _agree(db: querylang.Database) -> None:
    for cls, where in QUESTIONS:
        assert db.query(cls, where).ids == db.reference(cls, where).ids, (cls, where)


def _checks(db: querylang.Database) -> bool:
    """Whether the compiled SQL still looks for the owner/target records."""
    sqls = [db.compile(cls, where).sql for cls, where in QUESTIONS]
    return any('FROM "Post")' in s or 'FROM "Group" AS o' in s for s in sqls)


def test_a_load_without_dangling_edges_is_clean_and_writes_keep_track():
    db = querylang.connect()
    db.load(DOC)
    assert JOIN in db.schema.clean_joins and not _checks(db)
    _agree(db)
    assert db.query("Comment", QUESTIONS[6][1]).ids == ["c1", "c2"]

    db.add_relation("Group", "g2", "posts", "p1")  # target exists: still clean
    assert JOIN in db.schema.clean_joins
    _agree(db)

    db.add_relation("Group", "g2", "posts", "p9")  # no such post: checks come back
    assert JOIN not in db.schema.clean_joins and _checks(db)
    _agree(db)
    assert db.query("Group", {"posts": {"pointsTo": "p9"}}).ids == []

    db.create("Post", {"objectId": "p9", "title": "late"})  # the edge comes alive
    _agree(db)
    assert db.query("Group", {"posts": {"pointsTo": "p9"}}).ids == ["g2"]

    db.delete("Post", "p1")  # deleting removes its edges: never makes a join dirty
    _agree(db)


def test_dangling_edges_in_a_load_keep_the_checks(tmp_path: Path):
    doc = {**DOC, "relations": [{"class": "Group", "objectId": "g1", "key": "posts", "targetId": "p9"}]}
    path = tmp_path / "db.duckdb"
    db = querylang.connect(path)
    db.load(doc)
    assert JOIN not in db.schema.clean_joins and _checks(db)
    _agree(db)
    db.close()
    again = querylang.connect(path)  # reopening finds the same
    assert JOIN not in again.schema.clean_joins
    _agree(again)
    again.close()


@pytest.mark.parametrize("dangling", ["owner", "target"])
def test_reopening_a_file_recomputes_the_flag(tmp_path: Path, dangling: str):
    path = tmp_path / "db.duckdb"
    db = querylang.connect(path)
    db.load(DOC)
    db.close()
    again = querylang.connect(path)
    assert JOIN in again.schema.clean_joins
    doc = {"classes": {}, "records": {}, "relations": [
        {"class": "Group", "objectId": "g9" if dangling == "owner" else "g1", "key": "posts",
         "targetId": "p1" if dangling == "owner" else "p9"}
    ]}
    again.load(doc)
    assert JOIN not in again.schema.clean_joins
    _agree(again)
    again.close()


def test_a_new_relation_field_starts_clean():
    db = querylang.connect()
    db.load(DOC)
    db.define_class("Group", {"more": {"type": "Relation", "targetClass": "Post"}})
    assert "_join:more:Group" in db.schema.clean_joins and JOIN in db.schema.clean_joins


def test_a_long_edge_table_name_is_known_clean_on_postgresql(pg_connect) -> None:
    """PostgreSQL shortens identifiers past 63 bytes; the store and the compiler must name the
    shortened edge table alike, or a clean table is never seen as clean."""
    owner, key = "G" + "x" * 40, "posts" + "y" * 30
    doc = {
        "classes": {
            "Post": {"fields": {"title": {"type": "String"}}},
            owner: {"fields": {key: {"type": "Relation", "targetClass": "Post"}}},
        },
        "records": {"Post": [{"objectId": "p1", "title": "a"}], owner: [{"objectId": "g1", key: ["p1"]}]},
    }
    db = pg_connect()
    db.load(doc)
    where = {"relatedTo": {"id": "g1", "key": key}}
    assert db.query("Post", where).ids == ["p1"]
    sql = db.compile("Post", where).sql
    assert sql.count(" FROM ") == 2, sql  # the records and the edge table: no owner/target check
    db.close()

"""The language surface (tests/surface.py's dataset): create, save, increment, delete, relations and
define_class; a bad write names the place and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

import querylang
import querylang.frontends.unparse
from querylang.errors import OBJECT_NOT_FOUND, DataError, QueryError

from . import surface
from .surface import ORIGIN, POSTS, both, created, geo, text

db = surface.db
wdb = surface.wdb


# --- writes ---------------------------------------------------------------------------------------


def _state(db: querylang.Database) -> tuple[Any, ...]:
    data = db.store.dataset()
    records = {c: sorted(rows, key=lambda r: r["objectId"]) for c, rows in data.records.items()}
    edges = sorted((e.owner_class, e.key, e.owning_id, e.related_id) for e in data.edges)
    return records, edges, sorted(data.schema.classes)


def test_create_returns_an_id_and_the_record_is_queryable(wdb):
    oid = wdb.create("Post", {"body": "New running shoes", "score": 4, "loc": geo(0.1, 0.1), "owner": "a1",
                              "tags": ["red", "blue"]})
    assert isinstance(oid, str) and oid
    assert both(wdb, "Post", {"idEqualTo": oid}) == [oid]
    (rec,) = wdb.query("Post", {"idEqualTo": oid}).records
    assert rec["createdAt"] == rec["updatedAt"]
    assert rec["loc"] == geo(0.1, 0.1)
    assert oid in both(wdb, "Post", text("run"))
    assert both(wdb, "Post", {"loc": {"nearSphere": ORIGIN}}, limit=2) == ["p1", oid]
    assert oid in both(wdb, "Post", {"tags": {"all": ["blue", "red"]}})
    assert oid in both(wdb, "Post", {"owner.name": "Ann"})
    assert wdb.count("Post") == 9


def test_create_with_an_id_and_relation_ids(wdb):
    assert wdb.create("Post", {"objectId": "p9", "likes": ["a2"], "score": 2}) == "p9"
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == ["p1", "p9"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p9", "key": "likes"}}) == ["a2"]
    with pytest.raises(DataError):
        wdb.create("Post", {"objectId": "p9"})


def test_save_changes_fields_and_updated_at(wdb):
    wdb.save("Post", "p4", {"body": "Slow turtles", "score": 8, "tags": ["red"]})
    (rec,) = wdb.query("Post", {"idEqualTo": "p4"}).records
    assert rec["body"] == "Slow turtles" and rec["score"] == 8 and rec["tags"] == ["red"]
    assert rec["createdAt"] == created(4)
    assert rec["updatedAt"] > created(4)
    assert rec["owner"] == "ghost"  # untouched
    assert both(wdb, "Post", text("turtle")) == ["p4"]
    assert both(wdb, "Post", text("fox")) == []
    assert both(wdb, "Post", {"tags": {"all": ["red"]}}) == ["p1", "p2", "p4", "p7"]


def test_saving_none_makes_a_field_absent(wdb):
    wdb.save("Post", "p1", {"score": None, "loc": None, "owner": None, "body": None})
    for where in ({"score": {"exists": False}}, {"loc": {"exists": False}}, {"owner": {"exists": False}},
                  {"body": None}):
        assert "p1" in both(wdb, "Post", where)
    assert "p1" not in both(wdb, "Post", {"loc": {"nearSphere": ORIGIN}})
    assert "p1" not in both(wdb, "Post", text("running"))
    assert "p1" in both(wdb, "Post", {"owner.name": {"notEqualTo": "Ann"}})
    assert wdb.aggregate("Post", {"S": {"sum": "score"}}) == {"S": 28}


def test_increment_counts_an_absent_value_from_zero(wdb):
    wdb.increment("Post", "p4", {"score": 2})
    wdb.increment("Post", "p1", {"score": -2.5})
    assert both(wdb, "Post", {"idContainedIn": ["p1", "p4"]}, sort=["score"]) == ["p4", "p1"]
    recs = {r["objectId"]: r for r in wdb.query("Post", {"idContainedIn": ["p1", "p4"]}).records}
    assert recs["p4"]["score"] == 2
    assert recs["p1"]["score"] == 7.5
    assert recs["p4"]["updatedAt"] > created(4)


def test_an_increment_past_a_doubles_range_is_refused_naming_the_field(wdb):
    """Found by a helper: an amount of 10**400 added to a stored double raised Python's
    OverflowError ("int too large to convert to float"); it is "Number out of range", as the
    same amount added to an absent value or an int is, and nothing is written."""
    wdb.save("Post", "p1", {"score": 2.5e20})
    before = wdb.query("Post", {"objectId": "p1"}).records
    for amount in (10**400, -(10**400)):
        with pytest.raises(querylang.DataError, match="record p1, field score: Number out of range"):
            wdb.increment("Post", "p1", {"score": amount})
    assert wdb.query("Post", {"objectId": "p1"}).records == before
    wdb.save("Post", "p1", {"score": -1.7e308})
    wdb.increment("Post", "p1", {"score": 2**1024})  # past every double, their sum is not
    assert wdb.query("Post", {"objectId": "p1"}).records[0]["score"] == float(int(-1.7e308) + 2**1024)


def test_delete_removes_the_record_and_its_edges_both_ways(wdb):
    # a2 is a target (p1.likes, a1.friends) and an owner (a2.friends → a3)
    wdb.delete("Author", "a2")
    assert both(wdb, "Author", {}) == ["a1", "a3", "a4"]
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"friends": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a1", "key": "friends"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a2", "key": "friends"}}) == []
    edges = {(e.owner_class, e.key, e.owning_id, e.related_id) for e in wdb.store.dataset().edges}
    assert not any("a2" in (o, r) for _, _, o, r in edges)
    assert ("Post", "likes", "p1", "a3") in edges  # other edges stay
    # The pointers to a2 now dangle
    assert both(wdb, "Post", {"owner": {"matchesQuery": {}}}) == ["p1", "p3", "p6", "p7"]
    # A new record with the same id does not bring the old edges back.
    wdb.create("Author", {"objectId": "a2", "name": "Bob II"})
    assert both(wdb, "Post", {"likes": {"pointsTo": "a2"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a1", "key": "friends"}}) == []
    assert both(wdb, "Author", {"relatedTo": {"id": "a2", "key": "friends"}}) == []


def test_delete_an_owner(wdb):
    wdb.delete("Post", "p1")
    assert both(wdb, "Author", {"relatedTo": {"id": "p1", "key": "likes"}}) == []
    assert "p1" not in both(wdb, "Post", {})
    with pytest.raises(QueryError) as info:
        wdb.delete("Post", "p1")
    assert info.value.code == OBJECT_NOT_FOUND


def test_add_and_remove_relation(wdb):
    wdb.add_relation("Post", "p3", "likes", "a1")
    wdb.add_relation("Post", "p3", "likes", "a1")  # a set: twice is once
    assert both(wdb, "Post", {"likes": {"pointsTo": "a1"}}) == ["p2", "p3"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p3", "key": "likes"}}) == ["a1"]
    assert both(wdb, "Post", {"likes": {"matchesQuery": {"name": "Ann"}}}) == ["p2", "p3"]
    wdb.remove_relation("Post", "p3", "likes", "a1")
    assert both(wdb, "Post", {"likes": {"pointsTo": "a1"}}) == ["p2"]
    assert both(wdb, "Author", {"relatedTo": {"id": "p3", "key": "likes"}}) == []
    wdb.remove_relation("Post", "p3", "likes", "a1")  # removing a missing edge is fine
    with pytest.raises(QueryError):
        wdb.add_relation("Post", "p3", "owner", "a1")  # not a Relation
    with pytest.raises(QueryError) as info:
        wdb.add_relation("Post", "nope", "likes", "a1")
    assert info.value.code == OBJECT_NOT_FOUND


def test_define_class_add_field_then_create(wdb):
    wdb.define_class("Tag", {"label": {"type": "String"}})
    wdb.add_field("Tag", "weight", "Number")
    wdb.add_field("Tag", "post", "Pointer", target_class="Post")
    wdb.add_field("Post", "rank", "Number")  # a field added to a class with rows
    oid = wdb.create("Tag", {"label": "Café crème", "weight": 2, "post": "p1"})
    assert both(wdb, "Tag", {"weight": 2}) == [oid]
    assert both(wdb, "Tag", {"post.place": "Paris"}) == [oid]
    assert both(wdb, "Tag", {"label": {"text": {"search": "cafe"}}}) == [oid]
    assert both(wdb, "Post", {"rank": {"exists": True}}) == []
    wdb.save("Post", "p2", {"rank": 1})
    assert both(wdb, "Post", {"rank": 1}) == ["p2"]
    with pytest.raises(QueryError):
        wdb.add_field("Tag", "weight", "String")  # a field may not change its type


def _assert_data_error(exc: DataError, cls: str, oid: str | None, field: str) -> None:
    assert exc.class_name == cls
    assert exc.field == field
    assert f"class {cls}" in str(exc) and f"field {field}" in str(exc)
    if oid is not None:
        assert exc.object_id == oid
        assert f"record {oid}" in str(exc)


@pytest.mark.parametrize(
    ("write", "cls", "oid", "field"),
    [
        # every write is checked against the schema before anything changes
        (lambda d: d.create("Post", {"objectId": "p9", "score": "high"}), "Post", "p9", "score"),
        (lambda d: d.create("Post", {"objectId": "p9", "body": "ok", "loc": geo(95, 0)}), "Post", "p9", "loc"),
        (lambda d: d.create("Post", {"objectId": "p9", "tags": "red"}), "Post", "p9", "tags"),
        (lambda d: d.create("Post", {"objectId": "p9", "nope": 1}), "Post", "p9", "nope"),
        (lambda d: d.create("Post", {"objectId": "p9", "owner": {"__type": "Pointer", "className": "City",
                                                                 "objectId": "c1"}}), "Post", "p9", "owner"),
        (lambda d: d.save("Post", "p1", {"score": "high"}), "Post", "p1", "score"),
        (lambda d: d.save("Post", "p1", {"body": "fine", "loc": {"latitude": "x"}}), "Post", "p1", "loc"),
        (lambda d: d.save("Post", "p1", {"createdAt": created(9)}), "Post", "p1", "createdAt"),
        (lambda d: d.save("Post", "p1", {"likes": ["a1"]}), "Post", "p1", "likes"),
        (lambda d: d.increment("Post", "p1", {"place": 1}), "Post", "p1", "place"),
        (lambda d: d.increment("Post", "p1", {"score": "1"}), "Post", "p1", "score"),
        (lambda d: d.add_relation("Post", "p1", "owner", "a1"), "Post", None, "owner"),
    ],
)
def test_bad_writes_name_the_place_and_change_nothing(wdb, write, cls, oid, field):
    before = _state(wdb)
    with pytest.raises(DataError) as info:
        write(wdb)
    _assert_data_error(info.value, cls, oid, field)
    assert _state(wdb) == before
    assert both(wdb, "Post", {}) == POSTS


@pytest.mark.parametrize(
    "write",
    [
        lambda d: d.save("Post", "nope", {"score": 1}),
        lambda d: d.increment("Post", "nope", {"score": 1}),
        lambda d: d.delete("Post", "nope"),
        lambda d: d.save("Author", "p1", {"name": "x"}),  # the id exists, but in another class
    ],
)
def test_writes_on_a_missing_record_are_101(wdb, write):
    before = _state(wdb)
    with pytest.raises(DataError) as info:
        write(wdb)
    assert info.value.code == OBJECT_NOT_FOUND
    assert _state(wdb) == before


def test_writes_on_an_unknown_class(wdb):
    before = _state(wdb)
    for write in (lambda: wdb.create("Nope", {}), lambda: wdb.save("Nope", "p1", {}), lambda: wdb.delete("Nope", "p1")):
        with pytest.raises(QueryError):
            write()
    assert _state(wdb) == before


def test_bad_define_class_changes_nothing(wdb):
    before = _state(wdb)
    with pytest.raises(QueryError):
        wdb.define_class("Tag", {"label": {"type": "Text"}})
    with pytest.raises(QueryError):
        wdb.define_class("Tag", {"owner": {"type": "Pointer", "targetClass": "Nope"}})
    with pytest.raises(QueryError):
        wdb.add_field("Post", "score", "String")
    assert _state(wdb) == before

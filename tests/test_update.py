"""``Database.update``: one read-modify-write of a record (fields and Relation edges) in one
transaction, on both engines; a change computed from the stored value is never lost to another
writer, in this process or (PostgreSQL) another connection's pool."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import querylang
from querylang import Change, DataError

from .pg import fresh_url

DOC = {
    "classes": {
        "_User": {"fields": {}},
        "Post": {"fields": {
            "n": {"type": "Number"}, "tags": {"type": "Array"}, "title": {"type": "String"},
            "likes": {"type": "Relation", "targetClass": "_User"},
        }},
    },
    "records": {
        "_User": [{"objectId": "u1"}, {"objectId": "u2"}],
        "Post": [{"objectId": "p1", "n": 1, "tags": ["a"], "title": "hello", "likes": ["u2"]}],
    },
}


@pytest.fixture
def db(engine: Any) -> Any:
    d = engine()
    d.load(DOC)
    yield d
    d.close()


def test_the_change_sees_the_record_as_find_gives_it_and_writes_fields_and_edges_at_once(db: Any) -> None:
    seen: list[dict[str, Any]] = []

    def change(current: dict[str, Any]) -> Change:
        seen.append(current)
        return Change({"n": current["n"] + 1, "tags": [*current["tags"], "b"]}, add={"likes": ["u1"]},
                      remove={"likes": ["u2"]})

    written = db.update("Post", "p1", change)
    assert len(seen) == 1 and seen[0]["n"] == 1 and seen[0]["tags"] == ["a"]
    stored = db.find("Post", {"objectId": "p1"}).records[0]
    assert written == stored
    assert stored["n"] == 2 and stored["tags"] == ["a", "b"]
    assert stored["updatedAt"] > seen[0]["updatedAt"]
    assert db.query("Post", "where({ likes: { pointsTo: 'u1' } })").ids == ["p1"]
    assert db.query("Post", "where({ likes: { pointsTo: 'u2' } })").ids == []


def test_what_the_change_raises_undoes_everything_and_comes_out_as_raised(db: Any) -> None:
    before = db.find("Post", {"objectId": "p1"}).records[0]

    class Refused(Exception):
        pass

    def change(current: dict[str, Any]) -> Change:
        raise Refused("no")

    with pytest.raises(Refused):
        db.update("Post", "p1", change)
    # A bad value after good edges: the edges are not kept either.
    with pytest.raises(DataError, match="field n"):
        db.update("Post", "p1", lambda c: Change({"n": "x"}, add={"likes": ["u1"]}))
    with pytest.raises(DataError, match="no such Relation field"):
        db.update("Post", "p1", lambda c: Change({"n": 5}, add={"nope": ["u1"]}))
    with pytest.raises(DataError, match="Relation"):
        db.update("Post", "p1", lambda c: Change({"likes": ["u1"]}))
    with pytest.raises(DataError, match="updatedAt cannot be changed"):
        db.update("Post", "p1", lambda c: Change({"updatedAt": "2024-01-01T00:00:00.000Z"}))
    with pytest.raises(DataError, match="must return a querylang.Change"):
        db.update("Post", "p1", lambda c: {"n": 5})
    with pytest.raises(DataError, match="list of objectIds"):
        db.update("Post", "p1", lambda c: Change(add={"likes": "u1"}))
    assert db.find("Post", {"objectId": "p1"}).records[0] == before
    assert db.query("Post", "where({ likes: { pointsTo: 'u1' } })").ids == []


def test_a_missing_record_is_not_found_and_the_change_is_not_called(db: Any) -> None:
    called = []
    with pytest.raises(DataError, match="Object not found") as err:
        db.update("Post", "nope", lambda c: called.append(c) or Change())
    assert err.value.code == 101 and called == []


def test_a_write_inside_the_change_is_refused_on_every_engine(db: Any) -> None:
    """The change runs inside the record's transaction. On PostgreSQL a write made there joined
    it: a load's class stayed in the schema when the change then failed, its table rolled back
    ("relation "Z" does not exist" on every later query of it); on DuckDB the same write failed
    with "TransactionContext Error: cannot start a transaction within a transaction"."""
    before = db.find("Post", {"objectId": "p1"}).records[0]
    writes = {
        "load": lambda: db.load({"classes": {"Z": {"fields": {}}}, "records": {"Z": [{"objectId": "z1"}]}}),
        "define_class": lambda: db.define_class("Y", {"a": {"type": "String"}}),
        "create": lambda: db.create("Post", {"objectId": "p9"}),
        "save": lambda: db.save("Post", "p1", {"title": "inner"}),
        "update": lambda: db.update("Post", "p1", lambda c: Change({"n": 9})),
        "increment": lambda: db.increment("Post", "p1", {"n": 1}),
        "delete": lambda: db.delete("_User", "u1"),
        "add_relation": lambda: db.add_relation("Post", "p1", "likes", "u1"),
        "remove_relation": lambda: db.remove_relation("Post", "p1", "likes", "u2"),
    }
    for name, write in writes.items():
        def change(current: dict[str, Any], write: Any = write) -> Change:
            write()
            return Change({"n": 5})

        with pytest.raises(DataError, match=f"{name} inside update's change"):
            db.update("Post", "p1", change)
    assert sorted(db.schema.classes) == ["Post", "_User"]
    assert db.find("Post", {"objectId": "p1"}).records[0] == before
    assert db.query("Post", {}).ids == ["p1"] and db.query("_User", {}, sort=["objectId"]).ids == ["u1", "u2"]
    assert db.query("Post", "where({ likes: { pointsTo: 'u2' } })").ids == ["p1"]
    assert db.query("Post", "where({ likes: { pointsTo: 'u1' } })").ids == []
    db.update("Post", "p1", lambda c: Change({"n": 5}))  # the change's marker is gone when it ends
    db.save("Post", "p1", {"n": 6})
    assert db.find("Post", {"objectId": "p1"}).records[0]["n"] == 6


def test_delete_check_sees_the_record_in_the_delete_transaction_and_can_stop_it(db: Any) -> None:
    """``db.delete(..., check=)``: the check gets the record as find gives it, read in the
    delete's own transaction; what it raises keeps the record and its edges and comes out as
    raised; a write it makes is refused as update's change's are."""
    seen: list[dict[str, Any]] = []

    class Refused(Exception):
        pass

    def refuse(current: dict[str, Any]) -> None:
        seen.append(current)
        raise Refused

    before = db.find("Post", {"objectId": "p1"}).records[0]
    with pytest.raises(Refused):
        db.delete("Post", "p1", check=refuse)
    assert seen == [before]
    with pytest.raises(DataError, match="save inside update's change \\(or delete's check\\)"):
        db.delete("Post", "p1", check=lambda current: db.save("Post", "p1", {"n": 7}))
    assert db.find("Post", {"objectId": "p1"}).records[0] == before
    assert db.query("Post", "where({ likes: { pointsTo: 'u2' } })").ids == ["p1"]
    with pytest.raises(DataError, match="Object not found"):
        db.delete("Post", "p9", check=refuse)
    assert len(seen) == 1  # not called for a missing record
    db.delete("Post", "p1", check=lambda current: None)
    assert db.query("Post", {}).ids == []

def test_a_change_or_check_that_is_not_a_function_is_a_data_error(db: Any) -> None:
    # update(..., None) and delete(..., check="x") raised Python's "'NoneType' object is not
    # callable" from inside the record's open transaction.
    before = db.find("Post", {"objectId": "p1"}).records[0]
    with pytest.raises(DataError, match="^class Post, record p1: update's change must be a function of the record, not NoneType"):
        db.update("Post", "p1", None)
    with pytest.raises(DataError, match="^class Post, record p1: delete's check must be a function of the record, not str"):
        db.delete("Post", "p1", check="x")
    assert db.find("Post", {"objectId": "p1"}).records == [before]


def test_a_refused_edge_names_the_record_whose_edge_it_is(db: Any) -> None:
    # "class Post, field nope: no such Relation field" named the class and the field, not the
    # record that was being updated.
    before = db.find("Post", {"objectId": "p1"}).records[0]
    for call, said in [
        (lambda: db.update("Post", "p1", lambda c: Change({"n": 5}, add={"nope": ["u1"]})), "field nope: no such Relation field"),
        (lambda: db.update("Post", "p1", lambda c: Change({"n": 5}, add={"likes": [5]})),
         "field likes: the target's objectId must be a string, not number"),
        (lambda: db.update("Post", "p1", lambda c: Change({"n": 5}, add={"likes": [""]})),
         "field likes: the target's objectId must be a non-empty string without NUL characters"),
        (lambda: db.update("Post", "p1", lambda c: Change({"n": 5}, remove={"likes": [5]})),
         "field likes: objectId must be a string, not number"),
        (lambda: db.update("Post", "p1", lambda c: Change({"n": 5}, add={"likes": "u1"})),
         "field likes: a Change's edges must be a list of objectIds"),
        (lambda: db.add_relation("Post", "p1", "title", "u1"), "field title: no such Relation field"),
        (lambda: db.remove_relation("Post", "p1", "nope", "u1"), "field nope: no such Relation field"),
        (lambda: db.add_relation("Post", "p1", "likes", None), "field likes: the target's objectId must be a string"),
    ]:
        with pytest.raises(DataError, match=f"^class Post, record p1, {said}"):
            call()
    with pytest.raises(DataError, match="^class Post, record p1: a Change's edges must map a Relation field to objectIds"):
        db.update("Post", "p1", lambda c: Change({"n": 5}, add=["likes"]))
    assert db.find("Post", {"objectId": "p1"}).records == [before]


def test_a_query_error_the_change_or_the_check_raises_comes_out_as_raised(db: Any) -> None:
    """On PostgreSQL a QueryError raised by update's change or delete's check (the change's own
    query with a syntax error, a SchemaError, one of the caller's) came out as a DataError
    "write failed, nothing was changed: ...", its class, caret view and fields lost, where
    DuckDB raised it as it is (as README and the docstrings say of both)."""
    before = db.find("Post", {"objectId": "p1"}).records[0]
    mine = querylang.QueryError("not yours", code=141)

    def raise_mine(current: dict[str, Any]) -> Any:
        raise mine

    def bad_query(current: dict[str, Any]) -> Any:
        return db.query("Post", "where({ n: ) })")

    for call in (lambda f: db.update("Post", "p1", f), lambda f: db.delete("Post", "p1", check=f)):
        with pytest.raises(querylang.QueryError) as err:
            call(raise_mine)
        assert err.value is mine
        with pytest.raises(querylang.QuerySyntaxError) as syntax:
            call(bad_query)
        assert syntax.value.line == 1 and "write failed" not in str(syntax.value)
    assert db.find("Post", {"objectId": "p1"}).records[0] == before


def test_removing_an_edge_no_id_can_name_is_nothing_to_remove(db: Any) -> None:
    """A Change removing a target that no edge can name ("", NUL, a lone surrogate) removes
    nothing, as remove_relation does; the lone surrogate reached the driver: UnicodeEncodeError
    out of db.update on PostgreSQL (a 500 from serve's RemoveRelation), DuckDB's "Python
    Conversion Failure" on DuckDB, and the update's fields were not written."""
    written = db.update("Post", "p1", lambda c: Change({"n": 5}, remove={"likes": ["\ud800", "", "a\x00", "u1"]}))
    assert written["n"] == 5 == db.find("Post", {"objectId": "p1"}).records[0]["n"]
    assert db.query("Post", "where({ likes: { pointsTo: 'u2' } })").ids == ["p1"]


def test_add_relation_and_remove_relation_move_updated_at_as_an_update_does(db: Any) -> None:
    """add_relation and remove_relation left the owner's updatedAt as it was, where an update's
    Change(add=, remove=) and Parse's AddRelation/RemoveRelation move it (README: "updatedAt
    maintained"); remove_relation of a missing owner returned silently where add_relation
    answers "Object not found". Found comparing the library calls with update's edits."""
    def updated() -> str:
        return str(db.query("Post", {"objectId": "p1"}).records[0]["updatedAt"])

    seen = updated()
    db.add_relation("Post", "p1", "likes", "u1")
    after_add = updated()
    assert after_add > seen
    assert db.query("Post", {"likes": "u1"}).ids == ["p1"]
    time.sleep(0.002)  # dates are kept to the millisecond
    db.remove_relation("Post", "p1", "likes", "u1")
    assert updated() > after_add
    assert db.query("Post", {"likes": "u1"}).ids == []
    for write in (db.add_relation, db.remove_relation):
        with pytest.raises(DataError, match="Object not found"):
            write("Post", "nope", "likes", "u1")


def test_two_threads_updating_one_record_both_count(db: Any) -> None:
    def bump(i: int) -> None:
        for k in range(15):
            db.update("Post", "p1", lambda c, tag=f"{i}-{k}": Change({"n": c["n"] + 1, "tags": [*c["tags"], tag]}))

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = db.find("Post", {"objectId": "p1"}).records[0]
    assert stored["n"] == 31 and len(stored["tags"]) == 31


def test_two_connections_to_one_postgresql_database_lose_no_update(pg_cluster: Any) -> None:
    """Two Databases (two pools, as two processes have) on one schema: the read of the record
    locks it until the write commits, so the other's read waits for the new value."""
    url = fresh_url(pg_cluster)
    first = querylang.connect(url)
    first.load(DOC)
    second = querylang.connect(url)
    try:
        def bump(d: querylang.Database) -> None:
            for _ in range(20):
                d.update("Post", "p1", lambda c: Change({"n": c["n"] + 1}))

        threads = [threading.Thread(target=bump, args=(d,)) for d in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert second.find("Post", {"objectId": "p1"}).records[0]["n"] == 41
    finally:
        first.close()
        second.close()


def test_a_save_rewrites_only_the_fields_it_changes(engine: Any) -> None:
    """Only the changed fields' cells are made (a String's include its text-search words): what
    the others held, words and explicit nulls, stays as it was, and the changed ones are new."""
    d = engine()
    try:
        d.load({
            "classes": {"Post": {"fields": {"body": {"type": "String"}, "title": {"type": "String"},
                                            "n": {"type": "Number"}, "when": {"type": "Date"}}}},
            "records": {"Post": [
                {"objectId": "p1", "body": "running foxes", "title": "first words", "n": 0, "when": None},
                {"objectId": "p2", "body": "quiet", "title": "other", "n": 0},
            ]},
        })

        def search(field: str, term: str) -> list[str]:
            return d.query("Post", {field: {"text": {"search": {"term": term}}}}).ids

        assert search("body", "fox") == ["p1"]  # the words are made
        d.increment("Post", "p1", {"n": 1})
        d.save("Post", "p1", {"title": "new words", "n": None})
        rec = d.find("Post", {"objectId": "p1"}).records[0]
        assert rec["n"] is None and "n" in rec and rec["when"] is None and "when" in rec
        assert rec["body"] == "running foxes"
        assert search("body", "run") == ["p1"]
        assert search("title", "new") == ["p1"] and search("title", "first") == []
        assert d.query("Post", {"n": {"exists": False}}).ids == ["p1"]
        assert d.reference("Post", {"body": {"text": {"search": {"term": "fox"}}}}).ids == ["p1"]
    finally:
        d.close()


def test_a_write_past_the_servers_own_lock_timeout_is_a_data_error(pg_cluster: Any) -> None:
    """With timeout=None querylang sets no lock_timeout, but the server may have one (ALTER
    DATABASE/ROLE ... SET lock_timeout, or the URL's options): a write that waited past it
    raised a bare TypeError ('unsupported format string passed to NoneType.__format__') from
    the message meant to say how long it had waited."""
    import psycopg

    url = fresh_url(pg_cluster)
    with querylang.connect(url + "%20-c%20lock_timeout%3D200", timeout=None) as db:
        db.load(DOC)
        with psycopg.connect(url) as other:
            other.execute('LOCK TABLE "Post" IN ACCESS EXCLUSIVE MODE')
            with pytest.raises(DataError, match="waited longer than the server's lock_timeout for a lock") as err:
                db.save("Post", "p1", {"n": 2})
            assert err.value.code == 1
            other.rollback()
        assert db.find("Post", {"objectId": "p1"}).records[0]["n"] == 1


def test_a_change_or_a_check_that_is_no_function_is_a_data_error(db: Any) -> None:
    """db.update('Post', 'p1', Change({'n': 2})) (the Change itself, not a function making it)
    raised TypeError: 'Change' object is not callable from inside the record's transaction, and
    delete's check=True "'bool' object is not callable", where every other argument of the
    wrong kind is a DataError saying what was expected."""
    before = db.find("Post", {"objectId": "p1"}).records[0]
    with pytest.raises(DataError) as err:
        db.update("Post", "p1", Change({"n": 2}))  # type: ignore[arg-type]
    assert str(err.value) == "class Post, record p1: update's change must be a function of the record, not Change: nothing was changed"
    with pytest.raises(DataError) as err:
        db.delete("Post", "p1", check=True)  # type: ignore[arg-type]
    assert str(err.value) == "class Post, record p1: delete's check must be a function of the record, not bool: nothing was changed"
    assert db.find("Post", {"objectId": "p1"}).records[0] == before


def test_a_change_naming_a_relation_field_says_how_a_change_edits_its_edges(db: Any) -> None:
    """It said "use add_relation/remove_relation", which a change function may not call (a write
    made inside the update's transaction is refused): a Change edits edges with add= and remove=."""
    for change in (Change({"likes": ["u1"]}), Change(unset=["likes"])):
        with pytest.raises(DataError, match="field likes: a Change edits a Relation's edges with add= and remove="):
            db.update("Post", "p1", lambda r, c=change: c)
    with pytest.raises(DataError, match="use add_relation/remove_relation for Relation fields"):
        db.save("Post", "p1", {"likes": ["u1"]})  # outside an update, those calls are the way
    assert db.query("Post", {"likes": {"pointsTo": "u1"}}).ids == []

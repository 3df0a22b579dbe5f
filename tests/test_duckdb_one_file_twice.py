"""Two Databases of one process on one DuckDB file (``querylang serve`` beside a library user,
or two threads that each connect): DuckDB gives both the same database, and each must see
what the other changed — its classes and fields, its loads, the text-search words a load left
to compute, and the edges that dangle — as one Database sees its own changes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import querylang
from querylang import DataError, QueryError

BAGS = {
    "classes": {"S": {"fields": {"s": {"type": "String"}}},
                "Bag": {"fields": {"items": {"type": "Relation", "targetClass": "S"}}}},
    "records": {"S": [{"objectId": "s1", "s": "first"}, {"objectId": "s2", "s": "second"}],
                "Bag": [{"objectId": "g1"}, {"objectId": "g2"}]},
    "relations": [{"class": "Bag", "objectId": "g1", "key": "items", "targetId": "s1"}],
}


def two(path: Path) -> tuple[querylang.Database, querylang.Database]:
    return querylang.connect(path), querylang.connect(path)


def same_as_reference(db: querylang.Database, class_name: str, query: object, **kw: object) -> list[str]:
    db.clear_cache()  # the reference reads the data afresh (it keeps what it read until its own writes)
    ids = db.query(class_name, query, **kw).ids
    assert ids == db.reference(class_name, query, **kw).ids
    assert db.count(class_name, query, inputs=kw.get("inputs")) == len(ids)
    return ids


def test_a_class_or_field_the_other_defines_is_known_here(tmp_path: Path) -> None:
    """The second Database's query of a class the first defined raised "unknown class 'T'", and
    its define_class of a field of that class took the class's table for another
    application's. Found by connecting twice to one file in a test."""
    a, b = two(tmp_path / "one.duckdb")
    a.define_class("T", {"n": {"type": "Number"}})
    a.create("T", {"objectId": "t1", "n": 1})
    assert b.query("T", {"n": 1}).ids == ["t1"]
    b.define_class("T", {"m": {"type": "Number"}})
    b.save("T", "t1", {"m": 5})
    assert a.query("T", {"m": 5}).records[0]["m"] == 5
    a.close()
    b.close()
    with querylang.connect(tmp_path / "one.duckdb", read_only=True) as again:
        assert {"m", "n"} <= again.schema.get("T").fields.keys()


def test_a_load_through_the_other_is_seen_here_with_its_text_search_words(tmp_path: Path) -> None:
    """A load leaves its String fields' words to the first text search; the other Database
    did not know they were missing, and its text search did not find the loaded records."""
    a = querylang.connect(tmp_path / "one.duckdb")
    a.load(BAGS)
    b = querylang.connect(tmp_path / "one.duckdb")
    assert b.query("S", {"s": {"text": {"search": "first"}}}).ids == ["s1"]
    a.load({"records": {"S": [{"objectId": "s3", "s": "first again"}]}})
    assert b.query("S", {"s": {"text": {"search": "first"}}}, sort="objectId").ids == ["s1", "s3"]
    assert b.count("S") == 3
    a.close()
    b.close()


def test_a_delete_through_one_removes_the_edges_of_a_relation_the_other_added(tmp_path: Path) -> None:
    """A delete removes every edge that names the record, in the Relations its Database knew:
    one the other Database had added kept its edge to the deleted record, and that one's
    queries (sure the edge table was clean) counted it."""
    path = tmp_path / "one.duckdb"
    a = querylang.connect(path)
    a.load({"classes": {"S": {"fields": {}}}, "records": {"S": [{"objectId": "s1"}, {"objectId": "s2"}]}})
    b = querylang.connect(path)
    b.define_class("Bag", {"items": {"type": "Relation", "targetClass": "S"}})
    b.create("Bag", {"objectId": "g1"})
    b.add_relation("Bag", "g1", "items", "s1")
    a.delete("S", "s1")
    assert b.store.con.execute('SELECT count(*) FROM "_Join:items:Bag"').fetchall() == [(0,)]
    assert same_as_reference(b, "Bag", {"items": {"exists": True}}) == []
    a.close()
    b.close()


def test_an_edge_to_a_missing_record_through_one_makes_the_other_check_targets(tmp_path: Path) -> None:
    """An edge to a record that does not exist makes its table unclean: queries must check
    each edge's target. The other Database, its plans kept too, still took the table for
    clean and answered g1 where the reference answers nothing."""
    a = querylang.connect(tmp_path / "one.duckdb")
    a.load(BAGS)
    b = querylang.connect(tmp_path / "one.duckdb")
    script = "where({items: {pointsTo: Inputs.X}})"
    for target in ("s1", "s2", "s1"):  # the plan is kept from the second run on
        b.query("Bag", script, inputs={"X": target})
    a.add_relation("Bag", "g2", "items", "gone")
    assert same_as_reference(b, "Bag", {"items": {"exists": True}}, sort="objectId") == ["g1"]
    assert same_as_reference(b, "Bag", script, inputs={"X": "gone"}) == []
    a.delete("S", "s1")  # g1's edge goes with it
    assert same_as_reference(b, "Bag", script, inputs={"X": "s1"}) == []
    a.close()
    b.close()


def test_writes_of_both_from_two_threads_all_count(tmp_path: Path) -> None:
    """Each increment reads and writes in one transaction under its Database's lock; two
    Databases on one file each had a lock of their own, and DuckDB refused the second of two
    concurrent updates of one record ("Transaction conflict")."""
    a = querylang.connect(tmp_path / "one.duckdb")
    a.define_class("T", {"n": {"type": "Number"}})
    a.create("T", {"objectId": "t1", "n": 0})
    b = querylang.connect(tmp_path / "one.duckdb")
    failed: list[BaseException] = []

    def add(db: querylang.Database) -> None:
        try:
            for _ in range(30):
                db.increment("T", "t1", {"n": 1})
        except BaseException as exc:  # noqa: BLE001  (checked below)
            failed.append(exc)

    threads = [threading.Thread(target=add, args=(db,)) for db in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed
    assert b.query("T", {}).records[0]["n"] == 60
    a.close()
    b.close()


def test_closing_one_leaves_the_other_working(tmp_path: Path) -> None:
    path = tmp_path / "one.duckdb"
    a, b = two(path)
    a.load(BAGS)
    a.close()
    with pytest.raises(QueryError, match="the database is closed"):
        a.query("S", {})
    assert same_as_reference(b, "S", {"s": {"text": {"search": "second"}}}) == ["s2"]
    b.define_class("T", {"n": {"type": "Number"}})
    b.create("T", {"objectId": "t1", "n": 1})
    b.load({"records": {"T": [{"objectId": "t2", "n": 2}]}})
    assert same_as_reference(b, "T", {"n": {"greaterThan": 0}}, sort="n") == ["t1", "t2"]
    c = querylang.connect(path)  # a third, while the second is open: the state the second knows
    assert c.count("T") == 2 and c.query("Bag", {"items": {"exists": True}}).ids == ["g1"]
    b.close()
    c.close()
    with querylang.connect(path, read_only=True) as again:
        assert again.count("T") == 2 and again.count("S") == 2


def test_an_unused_file_two_opened_is_left_as_it_was_only_by_the_last_close(tmp_path: Path) -> None:
    """The bookkeeping tables of a new file are dropped on close while nothing was written:
    not while the other Database may still define a class in them."""
    path = tmp_path / "one.duckdb"
    a, b = two(path)
    a.close()
    b.define_class("T", {"n": {"type": "Number"}})
    b.close()
    with querylang.connect(path, read_only=True) as again:
        assert "T" in again.schema.classes


def test_read_only_beside_read_write_in_one_process_is_a_clear_error(tmp_path: Path) -> None:
    """DuckDB opens a file once per process, with one configuration: its refusal ("Can't open a
    connection to same database file with a different configuration than existing
    connections") said neither which nor what to do. The one already open keeps working."""
    path = tmp_path / "one.duckdb"
    a = querylang.connect(path)
    a.load(BAGS)
    with pytest.raises(DataError, match=r"cannot open database .*one\.duckdb read-only: this process has it "
                       r"open for writing \(another querylang\.connect of it\).*different configuration"):
        querylang.connect(path, read_only=True)
    assert a.count("S") == 2
    a.close()
    ro = querylang.connect(path, read_only=True)
    with pytest.raises(DataError, match=r"cannot open database .*one\.duckdb for writing: this process has it "
                       r"open read-only .*: open it read-only here too, or close the other first"):
        querylang.connect(path)
    also = querylang.connect(path, read_only=True)
    ro.close()
    assert also.query("S", {"s": {"text": {"search": "first"}}}).ids == ["s1"]
    also.close()


def test_the_other_in_a_load_s_progress_is_refused_as_this_one_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load holds the file's lock, now the other Database's too: a query or write through
    the other, made in the progress a writer thread of the load calls, waited for the load,
    which waited for it. Refused, as the loading Database's own."""
    from querylang.engines.duckdb import loading

    monkeypatch.setattr(loading, "PIPELINE_MIN", 0)  # the load's writer threads call progress
    path = tmp_path / "one.duckdb"
    a, b = two(path)
    caught: list[BaseException] = []

    def progress(stage: str, done: int, total: int | None) -> None:
        if stage == "written" and not caught:
            for call in (lambda: b.count("S"), lambda: b.define_class("T", {})):
                try:
                    call()
                except (QueryError, DataError) as exc:
                    caught.append(exc)

    a.load(BAGS, progress=progress)
    assert [type(e) for e in caught] == [QueryError, DataError]
    assert all("inside load's progress" in str(e) for e in caught)
    assert b.count("S") == 2 and "T" not in b.schema.classes
    a.close()
    b.close()


def test_the_reference_reads_again_after_the_other_writes(tmp_path: Path) -> None:
    """db.reference keeps the data it read until its Database writes: a write or load through
    the other Database of the file left it answering the old data (t1 after its delete) while
    db.query answered the new."""
    path = tmp_path / "one.duckdb"
    a, b = two(path)
    a.define_class("T", {"n": {"type": "Number"}})
    a.create("T", {"objectId": "t1", "n": 1})
    assert b.reference("T", {}).ids == ["t1"]
    a.delete("T", "t1")
    assert b.query("T", {}).ids == b.reference("T", {}).ids == []
    a.load({"records": {"T": [{"objectId": "t2", "n": 2}]}})
    assert b.query("T", {}).ids == b.reference("T", {}).ids == ["t2"]
    a.close()
    b.close()


def test_closing_one_leaves_the_words_a_load_left_to_the_last_close(tmp_path: Path) -> None:
    """Closing a file computes the text-search words a load left, holding the file alone. With
    the file shared, a library user's close computed the words of serve's load, every serve
    query waiting meanwhile; the last close computes them, as the first search does."""
    path = tmp_path / "one.duckdb"
    a, b = two(path)
    b.load(BAGS)
    a.close()
    assert b.store.con.execute('SELECT count("s:tx") FROM "S"').fetchall() == [(0,)]  # not computed
    b.close()
    with querylang.connect(path, read_only=True) as again:
        assert again.query("S", {"s": {"text": {"search": "second"}}}).ids == ["s2"]


def _held_open(monkeypatch: pytest.MonkeyPatch, slow: Path) -> tuple[threading.Event, threading.Event]:
    """The first open of ``slow`` stops in its reading of the file (seconds on a large file)
    until ``go`` is set; ``inside`` says it got there."""
    from querylang.engines.duckdb.store import Store

    inside, go = threading.Event(), threading.Event()
    read = Store._open

    def _open(self: Store) -> object:
        if Path(self.path) == slow:
            inside.set()
            go.wait(10)
        return read(self)

    monkeypatch.setattr(Store, "_open", _open)
    return inside, go


def test_opening_a_file_does_not_wait_for_the_first_open_of_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first open of a file read its schema, edge tables and missing words under one lock
    of the process: an open of another file waited for a large file's seconds of reading.
    Found reading sharing.py."""
    slow, other = tmp_path / "slow.duckdb", tmp_path / "other.duckdb"
    inside, go = _held_open(monkeypatch, slow)
    opened: list[querylang.Database] = []
    first = threading.Thread(target=lambda: opened.append(querylang.connect(slow)), daemon=True)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=lambda: opened.append(querylang.connect(other)), daemon=True)
    second.start()
    second.join(10)
    assert not second.is_alive(), "the open of another file waited"
    go.set()
    first.join(10)
    assert [Path(db.store.path).name for db in opened] == ["other.duckdb", "slow.duckdb"]
    for db in opened:
        db.close()


def test_a_second_open_of_a_file_waits_for_the_first_and_shares_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "one.duckdb"
    inside, go = _held_open(monkeypatch, path)
    opened: list[querylang.Database] = []
    threads = [threading.Thread(target=lambda: opened.append(querylang.connect(path)), daemon=True) for _ in range(2)]
    threads[0].start()
    assert inside.wait(10)
    threads[1].start()
    go.set()
    for t in threads:
        t.join(10)
    a, b = opened
    assert a.store.file is b.store.file
    a.define_class("T", {})
    assert "T" in b.schema.classes
    a.close()
    b.close()


def test_a_file_s_shared_state_goes_with_its_last_database_dropped_unclosed(tmp_path: Path) -> None:
    """The process's registry kept a file's state after every Database of it was dropped
    without close(), until the path was opened again: with it the words a directory load
    computed ahead (18 MB for 200,000 texts), for each file a long-running process loaded.
    Found by loading files in a loop and watching the registry."""
    import gc
    import weakref

    path = tmp_path / "one.duckdb"
    a, b = two(path)
    a.load(BAGS)
    state = weakref.ref(a.store.file)
    del a
    gc.collect()
    assert state() is b.store.file  # the other still shares it
    del b
    gc.collect()
    assert state() is None
    with querylang.connect(path) as again:
        assert again.query("S", {"s": {"text": {"search": "first"}}}).ids == ["s1"]


def test_two_connects_of_one_named_in_memory_database_share_what_they_know():
    """Found by the review of the sharing: DuckDB gives every connect of ``:memory:NAME`` in a
    process the same database, but each kept its own schema, so the second did not know the
    class the first defined ("unknown class 'T'") and could not define it either (a table T
    "that is not querylang's"). A bare ``:memory:`` stays a database of its own."""
    a, b = querylang.connect(":memory:shared_name"), querylang.connect(":memory:shared_name")
    c = querylang.connect(":memory:")
    try:
        a.define_class("T", {"n": {"type": "Number"}})
        oid = a.create("T", {"n": 1})
        assert b.query("T", {}).ids == [oid]
        b.add_field("T", "m", "String")
        b.save("T", oid, {"m": "x"})
        assert a.query("T", {"m": "x"}).ids == [oid]
        with pytest.raises(querylang.QueryError, match="T"):
            c.query("T", {})
    finally:
        a.close()
        b.close()
        c.close()

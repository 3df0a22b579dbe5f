"""An interchange directory loaded into PostgreSQL a part at a time (engines/postgres/
directory_load.py): the client holds a part, not the data; still all or nothing, and a bad
record or a repeated objectId in a later part is named by its line."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

import querylang
import querylang.engines.postgres.directory_load as pg_directory
import querylang.interchange.directory as directory
from querylang import DataError
from querylang.errors import cut_name
from tests.pg import fresh_database, fresh_url
from tests.test_cli import ql
from tests.test_load_directory import CLASSES, document, write_dir


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Parts of 7 records, as a huge file's; the sizes of the parts the load checked."""
    monkeypatch.setattr(pg_directory, "PART", 7)
    sizes: list[int] = []
    real = pg_directory.normalise_records

    def normalise(cls: Any, rows: list[Any], *args: Any) -> list[dict[str, Any]]:
        sizes.append(len(rows))
        return real(cls, rows, *args)

    monkeypatch.setattr(pg_directory, "normalise_records", normalise)
    return sizes


@pytest.fixture
def opened(pg_cluster: Any) -> Any:
    dbs: list[querylang.Database] = []

    def open_() -> querylang.Database:
        dbs.append(fresh_database(pg_cluster))
        return dbs[-1]

    yield open_
    for db in dbs:
        db.close()


def _everything(db: querylang.Database) -> tuple[Any, ...]:
    data = db.store.dataset()
    return ({n: sorted(r, key=lambda x: x["objectId"]) for n, r in data.records.items()},
            sorted(data.edges, key=repr), sorted(db.schema.classes))


def _count(db: querylang.Database, name: str) -> int:
    return db.query(name, None, limit=0, count=True).count  # type: ignore[no-any-return]


def test_a_directory_is_read_a_part_at_a_time_to_the_document_s_database(
    opened: Any, tmp_path: Path, small_parts: list[int], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PostgreSQL load read the whole directory into memory first (directory.to_document),
    its peak memory growing with the data; it reads a part at a time now, each copied in
    before the next is read, and tells its progress as it goes."""
    doc = document(50)
    doc["relations"] += doc["relations"][:9]  # edges repeated in later parts are kept once
    path = write_dir(tmp_path / "d", doc)
    a = opened()
    a.load(doc)
    monkeypatch.setattr(directory, "to_document", lambda p: pytest.fail("the directory was read whole"))
    seen: list[tuple[str, int, int]] = []
    b = opened()
    assert b.load(path, progress=lambda *told: seen.append(told)) == {"Item": 50, "Bag": 5}
    assert _everything(a) == _everything(b)
    assert small_parts and max(small_parts) == 7
    read = [d for s, d, _ in seen if s == "read"]
    assert read == sorted(read) and len(read) > 5 and read[-1] == 50 + 5 + 59
    assert [d for s, d, _ in seen if s == "written"][-1] == 50 + 5 + 59


@pytest.mark.parametrize("into", ["new", "stored"])
def test_an_objectid_repeated_in_a_later_part_loads_nothing_and_names_its_line(opened: Any, tmp_path: Path, into: str) -> None:
    """Repeated across parts: a new class's unique index refuses it, a stored class's check
    against its table finds it (the table holds the earlier parts): either way it is a
    duplicate of the file, named at its second line, not 'already in the database'."""
    doc = document(30)
    doc["records"]["Item"][23]["objectId"] = "i2"
    db = opened()
    if into == "stored":
        db.load({"classes": CLASSES, "records": {"Item": [{"objectId": "old"}]}})
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc))
    assert str(info.value) == f"{tmp_path / 'd' / 'Item.ndjson'}, line 24: class Item, record i2: duplicate objectId"
    assert (set(db.schema.classes), _count(db, "Item") if into == "stored" else 0) == (
        set() if into == "new" else {"Item", "Bag"}, 1 if into == "stored" else 0)


def test_a_bad_record_in_a_later_part_loads_nothing_after_earlier_parts_were_copied(
    opened: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = document(40)
    doc["records"]["Item"][36]["n"] = "many"
    copied: list[int] = []
    real = pg_directory.copy_records
    monkeypatch.setattr(pg_directory, "copy_records", lambda con, cls, recs, *a: (copied.append(len(recs)),
                                                                                  real(con, cls, recs, *a)))
    db = opened()
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc))
    assert str(info.value).startswith(f"{tmp_path / 'd' / 'Item.ndjson'}, line 37: class Item, record i36, field n: expected a Number")
    assert copied == [7] * 5  # the parts before it, in the server, then rolled back
    assert not db.schema.classes
    with querylang.connect(db.store.url) as again:
        assert not again.schema.classes


def test_a_stored_class_receives_a_directory_s_records_and_edges(opened: Any, tmp_path: Path) -> None:
    db = opened()
    db.load(document(10))
    more = {"classes": CLASSES,
            "records": {"Item": [{"objectId": f"x{k}", "n": k} for k in range(20)],
                        "Bag": [{"objectId": "b9", "items": ["x1", "i2"]}]},
            "relations": [{"class": "Bag", "objectId": o, "key": "items", "targetId": t}
                          for o, t in [("b0", "x3"), ("b9", "x4"), ("b0", "i0"), ("b9", "x1")] * 4]}
    assert db.load(write_dir(tmp_path / "d", more)) == {"Item": 20, "Bag": 1}
    assert (_count(db, "Item"), _count(db, "Bag")) == (30, 6)
    assert db.query("Item", "where({ relatedTo: { id: 'b9', key: 'items' } })").ids == ["i2", "x1", "x4"]
    assert db.query("Item", "where({ relatedTo: { id: 'b0', key: 'items' } })").ids == ["i0", "i5", "x3"]
    with pytest.raises(DataError) as info:  # again: every record is stored already
        db.load(tmp_path / "d")
    assert str(info.value).startswith(f"{tmp_path / 'd' / 'Item.ndjson'}, line ")
    assert str(info.value).endswith(": duplicate objectId: already in the database")
    assert _count(db, "Item") == 30


def test_a_value_too_long_for_an_index_in_a_later_part_is_named_by_its_line(opened: Any, tmp_path: Path) -> None:
    """Found when the indexes are built after every part is in: the files are read again for it."""
    doc = document(20)
    doc["records"]["Item"][17]["tags"] = ["x" * 300_000]
    db = opened()
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc))
    assert str(info.value).startswith(f"{tmp_path / 'd' / 'Item.ndjson'}, line 18: class Item, record i17, field tags: load failed, nothing "
                                      "was loaded: the value is too long for PostgreSQL's index of it")
    assert not db.schema.classes


def test_load_progress_of_a_directory_moves_on_postgresql(pg_cluster: Any, tmp_path: Path) -> None:
    res = ql("load", str(write_dir(tmp_path / "d", document(50))), "--progress", "--db", fresh_url(pg_cluster))
    assert res.returncode == 0, res.stderr
    assert re.search(r"checking records .* 105 ", res.stderr) and "0/0" not in res.stderr, res.stderr
    assert re.search(r"writing \(all or nothing\) .* 105 ", res.stderr), res.stderr


def test_an_objectid_too_long_for_a_new_class_s_index_is_named_by_its_line(opened: Any, tmp_path: Path) -> None:
    """The index of a new class's objectIds is built once its last part is in: an objectId too
    long for it said 'index row requires ... bytes' of no class, record or line."""
    doc = document(20)
    doc["records"]["Item"][17]["objectId"] = "x" * 300_000
    db = opened()
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc))
    assert str(info.value).startswith(f"{tmp_path / 'd' / 'Item.ndjson'}, line 18: class Item, record {cut_name('x' * 300_000)}, field objectId: load "
                                      "failed, nothing was loaded: the value is too long for PostgreSQL's index of it")
    assert not db.schema.classes


@pytest.mark.parametrize("as_directory", [True, False])
def test_a_load_repeated_on_top_names_the_first_record_stored_already(
    opened: Any, tmp_path: Path, as_directory: bool,
) -> None:
    """Named the one the server's plan met first (the least objectId, or the first stored),
    some line far down a file whose objectIds are not in order, where DuckDB names line 1."""
    doc = document(10)
    db = opened()
    db.load(doc)
    doc["records"]["Item"].reverse()  # i9 first: random objectIds, as Parse's, are in no order
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc) if as_directory else doc)
    place = f"{tmp_path / 'd' / 'Item.ndjson'}, line 1: " if as_directory else ""
    assert str(info.value) == f"{place}class Item, record i9: duplicate objectId: already in the database"


# Past the index's limit after compression ("index row size ... for index ..."), and one that
# does not compress, which the server says of no index ("index row requires ... bytes").
LONG_IDS = {"named": "x" * 300_000, "unnamed": "".join(hashlib.sha256(b"%d" % k).hexdigest() for k in range(150))}


@pytest.mark.parametrize("into", ["new", "stored"])
@pytest.mark.parametrize("limit", list(LONG_IDS))
@pytest.mark.parametrize("where", ["edge", "list", "pointers"])
def test_a_relation_s_id_too_long_for_its_index_is_named_by_its_line(
    opened: Any, tmp_path: Path, into: str, limit: str, where: str,
) -> None:
    """An edge's id, or one in a record's Relation list, too long for the index of the edge
    table was said of the class and field alone, or of nothing (a stored class's, or no index
    named), or of a record that had no long value: a normalised record keeps no Relation list."""
    doc = document(20)
    if where == "edge":
        doc["relations"][2]["targetId"] = LONG_IDS[limit]
    elif where == "list":
        doc["records"]["Bag"][3]["items"] = ["i1", LONG_IDS[limit]]
    else:
        doc["records"]["Bag"][3]["items"] = [{"__type": "Pointer", "className": "Item", "objectId": LONG_IDS[limit]}]
    db = opened()
    if into == "stored":
        db.load({"classes": CLASSES, "records": {"Item": [{"objectId": "old"}]}})
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", doc))
    place = f"{tmp_path / 'd' / 'relations.ndjson'}, line 3: class Bag, record b2" if where == "edge" else f"{tmp_path / 'd' / 'Bag.ndjson'}, line 4: class Bag, record b3"
    assert str(info.value).startswith(f"{place}, field items: load failed, nothing was loaded: the value is too long "
                                      "for PostgreSQL's index of it")
    assert (_count(db, "Item"), _count(db, "Bag")) == (1, 0) if into == "stored" else not db.schema.classes


@pytest.mark.parametrize(("into", "fault"), [("new", "value"), ("new", "duplicate"), ("stored", "value"),
                                             ("stored", "duplicate"), ("stored", "stored")])
def test_a_line_that_is_not_json_is_named_before_an_earlier_record_s_fault(
    opened: Any, tmp_path: Path, into: str, fault: str,
) -> None:
    """DuckDB, as a document's reader, reads a whole file before checking its records: of a
    bad record on line 2 and a line that is not JSON in a later part, it names the latter,
    where the part at a time load named the record."""
    doc = document(20)
    doc["records"]["Item"][1] = {"value": {"objectId": "i1", "n": "many"}, "duplicate": {"objectId": "i0"},
                                 "stored": {"objectId": "old"}}[fault]
    path = write_dir(tmp_path / "d", doc)
    with (path / "Item.ndjson").open("a") as fh:
        fh.write('{"objectId": "i99", \n')
    said = []
    for db in (querylang.connect(), opened()):
        if into == "stored":
            db.load({"classes": CLASSES, "records": {"Item": [{"objectId": "old"}]}})
        with pytest.raises(DataError) as info:
            db.load(path)
        said.append(str(info.value))
    assert said[1] == said[0] == f"{tmp_path / 'd' / 'Item.ndjson'}, line 21: not valid JSON at the end of the line: unexpected end of data"

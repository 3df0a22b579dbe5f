"""The interchange format as a directory (schema.json, <Class>.ndjson, relations.ndjson):
loaded a part at a time, to the same database as the document, all or nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import querylang
import querylang.engines.postgres.directory_load as pg_directory
import querylang.interchange.directory as directory
from querylang import DataError
from tests.test_safety import db_hash

CLASSES = {
    "Item": {"fields": {"n": {"type": "Number"}, "s": {"type": "String"}, "tags": {"type": "Array"},
                        "when": {"type": "Date"}, "owner": {"type": "Pointer", "targetClass": "Item"}}},
    "Bag": {"fields": {"name": {"type": "String"}, "items": {"type": "Relation", "targetClass": "Item"}}},
}


def document(n: int = 50) -> dict[str, Any]:
    items = [
        {"objectId": f"i{k}", "createdAt": "2024-01-01T00:00:00.000Z", "n": k, "s": f"w{k % 5}",
         "tags": [f"t{k % 3}"], "when": "2024-02-01T10:00:00.000Z", "owner": f"i{(k + 1) % n}"}
        for k in range(n)
    ]
    bags = [{"objectId": f"b{k}", "createdAt": "2024-01-02T00:00:00.000Z", "name": f"bag {k}"} for k in range(5)]
    relations = [{"class": "Bag", "objectId": f"b{k % 5}", "key": "items", "targetId": f"i{k}"} for k in range(n)]
    return {"classes": CLASSES, "records": {"Item": items, "Bag": bags}, "relations": relations}


def write_dir(path: Path, doc: dict[str, Any]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "schema.json").write_text(json.dumps({"classes": doc["classes"]}), encoding="utf-8")
    for name, recs in doc["records"].items():
        (path / f"{name}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    if doc.get("relations"):
        (path / "relations.ndjson").write_text("".join(json.dumps(e) + "\n" for e in doc["relations"]), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directory, "PART", 7)  # many parts, as a huge file has
    monkeypatch.setattr(pg_directory, "PART", 7)  # PostgreSQL's parts


def test_a_directory_loads_the_same_database_as_the_document(tmp_path: Path) -> None:
    doc = document()
    a, b = querylang.connect(), querylang.connect()
    assert a.load(doc) == b.load(write_dir(tmp_path / "d", doc)) == {"Item": 50, "Bag": 5}
    assert db_hash(a) == db_hash(b)
    assert b.query("Item", "where({ relatedTo: { id: 'b2', key: 'items' } })").ids == sorted(f"i{k}" for k in range(2, 50, 5))


def test_a_directory_into_stored_classes_adds_to_them(tmp_path: Path) -> None:
    db = querylang.connect()
    db.load(document(10))
    more = document(20)
    more["records"] = {"Item": more["records"]["Item"][10:]}
    more["relations"] = []
    assert db.load(write_dir(tmp_path / "d", more)) == {"Item": 10}
    assert db.query("Item", None, limit=0, count=True).count == 20


@pytest.mark.parametrize("storage", ["memory", "file"])
def test_a_bad_record_on_the_last_line_loads_nothing(tmp_path: Path, storage: str) -> None:
    doc = document(60)
    doc["records"]["Bag"][-1]["name"] = 12  # last line of the last class file, many parts in
    path = write_dir(tmp_path / "d", doc)
    db = querylang.connect(tmp_path / "x.duckdb" if storage == "file" else ":memory:")
    before = db_hash(db)
    with pytest.raises(DataError, match="class Bag, record b4, field name"):
        db.load(path)
    assert db_hash(db) == before and not db.schema.classes


def test_a_bad_edge_late_in_relations_loads_nothing_and_is_counted_from_the_start(tmp_path: Path) -> None:
    doc = document(60)
    doc["relations"][57]["key"] = "itemz"
    db = querylang.connect()
    before = db_hash(db)
    path = write_dir(tmp_path / "d", doc)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}/relations.ndjson, line 58: class Bag, record b2, field itemz: no Relation field 'itemz'"):
        db.load(path)
    assert db_hash(db) == before


@pytest.mark.parametrize(("change", "text"), [
    ({"note": "x"}, r"(relations\[57\]|^DIR/relations.ndjson, line 58: class Bag, record b2, field items): unknown key 'note'"),
    ({"targetClass": "Item", "note": "x"},
     r"(relations\[57\]|^DIR/relations.ndjson, line 58: class Bag, record b2, field items): unknown key 'note'"),
    ({"key": None}, r"(relations\[57\]|^DIR/relations.ndjson, line 58: class Bag, record b2): no 'key'"),
])
def test_an_edge_with_a_key_of_no_edge_loads_nothing(tmp_path: Path, change: dict, text: str) -> None:
    """An edge's unknown key was skipped silently by the document's readers (the directory's
    SQL sent it to them), where a record's unknown field is refused."""
    doc = document(60)
    doc["relations"][57].update(change)
    if change.get("key", "") is None:
        del doc["relations"][57]["key"]
    for source in (doc, write_dir(tmp_path / "d", doc)):
        db = querylang.connect()
        with pytest.raises(DataError, match=text.replace("DIR", re.escape(str(tmp_path / "d")))):
            db.load(source)
        assert not db.schema.classes


def test_a_record_late_in_a_file_is_counted_from_the_start(tmp_path: Path) -> None:
    doc = document(60)
    doc["records"]["Item"][44]["objectId"] = ""
    # Named by its line, not also by its count from 0 ("record #44: objectId ...").
    path = write_dir(tmp_path / "d", doc)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}/Item\.ndjson, line \d+: class Item: objectId must be a non-empty string$"):
        querylang.connect().load(path)
    with pytest.raises(DataError, match="record #44: objectId must be a non-empty string"):
        querylang.connect().load(doc)  # a dict has no lines: the count names the record


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])  # DuckDB's reader; Python's, a part at a time
@pytest.mark.parametrize("into", ["new", "stored"])
def test_a_bad_record_without_an_objectid_is_named_by_its_place(tmp_path: Path, line_end: str, into: str) -> None:
    """A record with no objectId gets one made up, and a bad value in it was reported under
    that made-up id ("record fH3kq9ZbXw"), which is in no file: on every path and engine the
    message now counts it from the start of its file, as an objectId error does."""
    doc = document(60)
    for rec in doc["records"]["Item"][40:]:
        del rec["objectId"]
    doc["records"]["Item"][44]["n"] = "many"
    doc["relations"] = [e for e in doc["relations"] if e["targetId"] < "i4"]
    path = write_dir(tmp_path / "d", doc)
    item = path / "Item.ndjson"
    item.write_bytes(item.read_bytes().replace(b"\n", line_end.encode()))
    db = querylang.connect()
    if into == "stored":
        db.load({"classes": CLASSES})
    before = db_hash(db)
    # By its line alone (was "Item.ndjson, line 45: class Item, record #44, field n: ...").
    with pytest.raises(DataError, match=rf"^{re.escape(str(item))}, line \d+: class Item, field n: expected a Number, got string$"):
        db.load(path)
    assert db_hash(db) == before
    with pytest.raises(DataError, match=r"class Item, record #44, field n: expected a Number, got string") as info:
        querylang.connect().load(doc)
    assert info.value.object_id == "#44"


def test_an_objectid_repeated_in_another_part_loads_nothing(tmp_path: Path) -> None:
    doc = document(60)
    doc["records"]["Item"][50]["objectId"] = "i3"
    db = querylang.connect()
    before = db_hash(db)
    with pytest.raises(DataError, match="i3"):
        db.load(write_dir(tmp_path / "d", doc))
    assert db_hash(db) == before


def test_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", document(20))
    with (path / "Item.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('{"objectId": "zz", \n')
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}/Item\.ndjson, line 21: not valid JSON"):
        querylang.connect().load(path)


@pytest.mark.parametrize("into", ["new", "stored"])
def test_a_line_that_is_not_utf8_says_so(tmp_path: Path, into: str) -> None:
    """A Latin-1 'é' was reported in orjson's words, 'str is not valid UTF-8: surrogates not
    allowed', which sends the user looking for escapes."""
    path = write_dir(tmp_path / "d", document(20))
    with (path / "Item.ndjson").open("ab") as fh:
        fh.write(b'{"objectId": "zz", "s": "caf\xe9"}\n')
    db = querylang.connect()
    if into == "stored":
        db.load({"classes": CLASSES})
    before = db_hash(db)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}/Item\.ndjson, line 21: not UTF-8 text \(byte 0xe9 at byte 29 of the line\)"):
        db.load(path)
    assert db_hash(db) == before


def test_a_file_for_no_class_and_a_missing_schema_are_errors(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", document(5))
    (path / "Thing.ndjson").write_text('{"objectId": "t1"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=f"^{re.escape(str(path / 'Thing.ndjson'))}: holds records of a class schema.json does not define"):
        querylang.connect().load(path)
    (path / "Thing.ndjson").unlink()
    (path / "schema.json").unlink()
    with pytest.raises(DataError, match="needs a schema.json"):
        querylang.connect().load(path)


@pytest.mark.parametrize("name", ["Item.ndjson", "relations.ndjson"])
def test_a_directory_named_as_a_data_file_is_a_data_error(tmp_path: Path, name: str) -> None:
    """DuckDB's check of the files before its reader opened a directory named Item.ndjson and
    raised IsADirectoryError: an internal error (exit status 1) where PostgreSQL's load says
    the file cannot be read."""
    path = write_dir(tmp_path / "d", document(5))
    (path / name).unlink()
    (path / name).mkdir()
    db = querylang.connect()
    with pytest.raises(DataError, match=f"{re.escape(name)}: cannot read"):
        db.load(path)
    assert not db.schema.classes


def test_blank_lines_and_a_class_without_a_file(tmp_path: Path) -> None:
    doc = document(5)
    path = write_dir(tmp_path / "d", doc)
    (path / "Bag.ndjson").unlink()
    (path / "relations.ndjson").unlink()
    (path / "Item.ndjson").write_text("\n" + (path / "Item.ndjson").read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    db = querylang.connect()
    assert db.load(path) == {"Item": 5}
    assert set(db.schema.classes) == {"Item", "Bag"}


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])  # DuckDB's reader; Python's, a part at a time
def test_a_directory_load_tells_its_progress(tmp_path: Path, line_end: str) -> None:
    """db.load's progress hears how many records and edges were read and written so far; a
    directory is not counted first (its total is told as 0, unknown), and every count was
    capped at that 0: `querylang load DIR --progress` showed 0/0 until the end."""
    path = write_dir(tmp_path / "d", document(50))
    for name in ("Item.ndjson", "Bag.ndjson", "relations.ndjson"):
        (path / name).write_bytes((path / name).read_bytes().replace(b"\n", line_end.encode()))
    seen: list[tuple[str, int, int]] = []
    assert querylang.connect().load(path, progress=lambda *a: seen.append(a)) == {"Item": 50, "Bag": 5}
    for stage in ("read", "written"):
        done = [d for s, d, _ in seen if s == stage]
        assert done == sorted(done) and done[-1] == 50 + 5 + 50, (stage, seen)
    proc = subprocess.run([sys.executable, "-m", "querylang", "load", str(path), "--db", str(tmp_path / "x.duckdb"),
                           "--progress"], capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stderr
    assert "writing (all or nothing)" in proc.stderr and " 105 " in proc.stderr and "0/0" not in proc.stderr, proc.stderr


def test_cli_loads_a_directory(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", document(30))
    out = tmp_path / "x.duckdb"
    proc = subprocess.run([sys.executable, "-m", "querylang", "load", str(path), "--db", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "loaded 35 records" in proc.stdout
    db = querylang.connect(out, read_only=True)
    assert db.query("Bag", None, limit=0, count=True).count == 5


@pytest.mark.parametrize("meta", [{"a.b": 1}, {"x": {"a.b": 1}}, {"ok": 1, "a.": "x"}])
def test_an_object_key_with_a_dot_is_refused_on_the_sql_path_too(tmp_path: Path, meta: dict[str, Any]) -> None:
    """DuckDB reads a directory's Objects of plain values in SQL; a key with a '.' (which a field
    path would read as nesting) goes to the record reader, which names it, and nothing loads."""
    classes = {"Note": {"fields": {"meta": {"type": "Object"}}}}
    notes = [{"objectId": f"n{k}", "meta": {"k": k}} for k in range(40)] + [{"objectId": "bad", "meta": meta}]
    path = write_dir(tmp_path / "d", {"classes": classes, "records": {"Note": notes}})
    db = querylang.connect()
    with pytest.raises(DataError, match="class Note, record bad, field meta: object key .* contains '.'"):
        db.load(path)
    assert not db.schema.classes


@pytest.mark.parametrize("storage", ["memory", "file"])
def test_after_a_failed_directory_load_the_next_load_works(tmp_path: Path, storage: str) -> None:
    """A failed directory load left a result open on the connection (a value fetched with
    fetchone), and every later load into a stored class then failed with DuckDB's
    ResourceInUseException instead of loading."""
    db = querylang.connect(tmp_path / "x.duckdb" if storage == "file" else ":memory:")
    db.load(document(10))
    bad = tmp_path / "bad"
    write_dir(bad, {"classes": {"A": {"fields": {"x": {"type": "Number"}}}}, "records": {"A": [{"objectId": "a1", "x": 1}]}})
    (bad / "A.ndjson").write_text('{"objectId": "a1", "x": 1}\n{"objectId": "a2", "x": 2\n', encoding="utf-8")
    with pytest.raises(DataError, match=f"^{re.escape(str(bad / 'A.ndjson'))}, line 2"):
        db.load(bad)
    more = document(12)
    assert db.load({"classes": CLASSES, "records": {"Item": more["records"]["Item"][10:]}}) == {"Item": 2}
    assert db.query("Item", None, limit=0, count=True).count == 12


@pytest.mark.parametrize("name", ["relations.json", "relations.jsonl", "relations.NDJSON"])
@pytest.mark.parametrize("into", ["new", "stored"])
def test_edges_under_another_extension_are_not_skipped_silently(tmp_path: Path, name: str, into: str) -> None:
    """relations.jsonl beside the records loaded them without a single edge and without a
    word, as records under another extension were before they were refused."""
    path = write_dir(tmp_path / "d", document(5))
    (path / "relations.ndjson").rename(path / name)
    db = querylang.connect()
    if into == "stored":
        db.load({"classes": CLASSES})
    before = db_hash(db)
    with pytest.raises(DataError, match=rf"^{re.escape(str(path / name))}: the edges go in relations\.ndjson"):
        db.load(path)
    assert db_hash(db) == before


def test_a_class_named_relations_is_refused_saying_why(tmp_path: Path) -> None:
    """Its records file is relations.ndjson, the edges' file: its records were read as edges
    and refused as 'record a: relations[0]: unknown class None'."""
    path = tmp_path / "d"
    path.mkdir()
    (path / "schema.json").write_text(json.dumps({"classes": {"relations": {"fields": {"s": {"type": "String"}}}}}))
    (path / "relations.ndjson").write_text('{"objectId": "a", "s": "x"}\n')
    for into in ("new", "stored"):
        db = querylang.connect()
        if into == "stored":
            db.load({"classes": {"relations": {"fields": {"s": {"type": "String"}}}}})
        with pytest.raises(DataError, match="defines a class named 'relations'.*from a document instead"):
            db.load(path)
        assert ("relations" not in db.schema.classes) if into == "new" else db.query("relations", None).ids == []
    doc = querylang.connect()  # the document form has no such file
    assert doc.load({"classes": {"relations": {"fields": {}}}, "records": {"relations": [{"objectId": "a"}]}}) == {"relations": 1}



def test_a_class_named_relations_loads_without_records_when_there_is_no_edges_file(tmp_path: Path) -> None:
    """README said such a class is refused; it is refused only when relations.ndjson is there
    (the file it would read its records from), and README now says so."""
    path = tmp_path / "d"
    path.mkdir()
    (path / "schema.json").write_text(json.dumps({"classes": {"relations": {"fields": {"s": {"type": "String"}}}}}))
    db = querylang.connect()
    db.load(path)
    assert db.query("relations", None).ids == []


def test_records_under_another_extension_are_not_skipped_silently(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", document(5))
    (path / "Item.ndjson").rename(path / "Item.json")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{re.escape(str(path / 'Item.json'))}: a class's records go in Item\.ndjson"):
        db.load(path)
    assert not db.schema.classes


def _with_blank_lines(path: Path) -> Path:
    """Each NDJSON file with a blank line first and one after its fourth record: record i is
    on line i + 2 before record 4, on line i + 3 from record 4 on."""
    for file in path.glob("*.ndjson"):
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        file.write_text("".join(["\n", *lines[:4], "  \n", *lines[4:]]), encoding="utf-8")
    return path


def _bad_relation_list(doc: dict[str, Any]) -> None:
    doc["records"]["Bag"][3]["items"] = [5]


def _no_objectid(doc: dict[str, Any]) -> None:
    del doc["records"]["Item"][12]["objectId"]
    doc["records"]["Item"][12]["n"] = "many"


PLACED = {
    "a bad value": (lambda doc: doc["records"]["Item"][12].update(n="many"),
                    "Item.ndjson, line 15: class Item, record i12, field n: expected a Number, got string"),
    "a record without objectId": (_no_objectid, "Item.ndjson, line 15: class Item, field n: expected a Number"),
    "a repeated objectId": (lambda doc: doc["records"]["Item"][15].update(objectId="i3"),
                            "Item.ndjson, line 18: class Item, record i3: duplicate objectId"),
    "a bad Relation list": (_bad_relation_list, "Bag.ndjson, line 5: class Bag, record b3, field items: expected a Pointer"),
    "a bad edge": (lambda doc: doc["relations"][17].update(key="itemz"),
                   "relations.ndjson, line 20: class Bag, record b2, field itemz: no Relation field 'itemz'"),
}


@pytest.mark.parametrize("what", sorted(PLACED))
@pytest.mark.parametrize("into", ["new", "stored"])
def test_a_bad_record_or_edge_is_named_by_its_file_and_line(engine: Any, tmp_path: Path, what: str, into: str) -> None:
    """A bad record or edge of a directory was named as in a document ("relations[17]",
    "record #12"), by no file and no line; on both engines and every path (new classes
    read by DuckDB, classes already stored read as one document) it now names both."""
    change, message = PLACED[what]
    doc = document(20)
    change(doc)
    path = _with_blank_lines(write_dir(tmp_path / "d", doc))
    db = engine()
    if into == "stored":
        db.load({"classes": CLASSES})
    with pytest.raises(DataError) as info:
        db.load(path)
    assert str(info.value).startswith(f"{path}/{message}")
    assert info.value.class_name == ("Bag" if "Bag" in message or "edge" in what else "Item")
    if into == "new":
        assert not db.schema.classes
    else:
        assert [db.query(c, None, limit=0, count=True).count for c in ("Item", "Bag")] == [0, 0]


@pytest.mark.parametrize("what", ["a bad value", "a bad edge"])
def test_a_file_read_by_python_names_the_line_too(tmp_path: Path, what: str) -> None:
    change, message = PLACED[what]
    doc = document(20)
    change(doc)
    path = _with_blank_lines(write_dir(tmp_path / "d", doc))
    for file in path.glob("*.ndjson"):  # DuckDB reads a lone \r otherwise: Python reads the files
        file.write_bytes(file.read_bytes().replace(b"\n", b"\r\n"))
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.load(path)
    assert str(info.value).startswith(f"{path}/{message}")
    assert not db.schema.classes


def test_data_of_the_commands_takes_a_directory(tmp_path: Path) -> None:
    """--data of query, find, compile, schema, show, relation and repl refused a directory ("is a directory"),
    which 'querylang load' reads: read the same way now."""
    from click.testing import CliRunner

    from querylang.app.cli import main

    path = write_dir(tmp_path / "d", document(30))
    res = CliRunner().invoke(main, ["query", "Bag", "where({ name: 'bag 3' })", "--data", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [r["objectId"] for r in json.loads(res.stdout)] == ["b3"]
    with (path / "Item.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('\n{"objectId": "z", "n": "many"}\n')
    res = CliRunner().invoke(main, ["schema", "--data", str(path)])
    assert res.exit_code == 2 and f"{path}/Item.ndjson, line 32: class Item, record z, field n" in res.output


def test_an_objectid_already_stored_is_named_by_its_line(engine: Any, tmp_path: Path) -> None:
    """A record of a directory whose objectId the database already holds was named by class
    and objectId only, on both engines: by its file and line now."""
    db = engine()
    db.load(document(20))
    more = {"classes": CLASSES, "records": {"Item": [{"objectId": f"x{k}"} for k in range(6)] + [{"objectId": "i3"}]}}
    with pytest.raises(DataError) as info:
        db.load(_with_blank_lines(write_dir(tmp_path / "d", more)))
    assert str(info.value) == f"{tmp_path / 'd' / 'Item.ndjson'}, line 9: class Item, record i3: duplicate objectId: already in the database"
    assert db.query("Item", None, limit=0, count=True).count == 20


@pytest.mark.parametrize("as_directory", [True, False])
def test_the_first_record_in_file_order_stored_already_is_named(engine: Any, tmp_path: Path, as_directory: bool) -> None:
    """DuckDB named the stored one its join met first, in the table's order: records i9, i1
    (both stored) said 'line 2: ... record i1', where PostgreSQL names line 1."""
    db = engine()
    db.load(document(10))
    more = {"classes": CLASSES, "records": {"Item": [{"objectId": "new"}, {"objectId": "i9"}, {"objectId": "i1"}]}}
    with pytest.raises(DataError) as info:
        db.load(write_dir(tmp_path / "d", more) if as_directory else more)
    place = f"{tmp_path / 'd' / 'Item.ndjson'}, line 2: " if as_directory else ""
    assert str(info.value) == f"{place}class Item, record i9: duplicate objectId: already in the database"
    assert db.query("Item", None, limit=0, count=True).count == 10


@pytest.mark.parametrize(("fields", "message"), [
    ({"n": {"type": "Numbr"}}, "class Item, field n: unknown type 'Numbr'"),
    ({"boss": {"type": "Pointer", "targetClass": "Nope"}}, "class Item, field boss: targetClass 'Nope'"),
    ({"n": {"type": "String"}}, "class Item, field n: already defined as Number, cannot become String"),
])
def test_a_bad_class_of_schema_json_names_the_file(engine: Any, tmp_path: Path, fields: dict, message: str) -> None:
    """A class schema.json defines wrongly was named by class and field, not by the file; then
    by "schema.json" alone, not by the folder's, as its JSON errors are: now by the path given
    and the line."""
    db = engine()
    db.load({"classes": {"Item": CLASSES["Item"]}})
    path = write_dir(tmp_path / "d", {"classes": {"Item": {"fields": fields}}, "records": {"Item": [{"objectId": "z"}]}})
    with pytest.raises(DataError) as info:
        db.load(path)
    assert str(info.value).startswith(f"{path / 'schema.json'}, line 1: {message}"), str(info.value)
    assert db.query("Item", None, limit=0, count=True).count == 0 and list(db.schema.classes) == ["Item"]


def test_a_schema_json_that_is_not_utf8_says_where(tmp_path: Path) -> None:
    """orjson's "str is not valid UTF-8: surrogates not allowed: line 1 column 1 (char 0)"
    sent the user to the start of the file."""
    path = write_dir(tmp_path / "d", document(5))
    (path / "schema.json").write_bytes(b'{"classes": {\n "It\xe9m": {"fields": {}}}}')
    db = querylang.connect()
    with pytest.raises(DataError, match=r"schema\.json: not UTF-8 text at line 2, column 5 \(byte 0xe9"):
        db.load(path)
    assert not db.schema.classes

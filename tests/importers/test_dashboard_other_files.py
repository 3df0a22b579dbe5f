"""Parse Dashboard class exports and parse.com {"results": [...]} files (shapes: PARSE-STORAGE.md B.4):
what is no Dashboard export (a mongoexport, a zip, a CSV, a schema export, an interchange
directory) is said to be what it is, with the command that reads it; paths named as typed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import querylang
from querylang.errors import DataError

from .conftest import cli_main as main
from .dashboard_files import dashboard_dir, write


def test_import_mongo_recognises_a_dashboard_directory(tmp_path: Path) -> None:
    report = querylang.connect().import_mongo_export(dashboard_dir(tmp_path / "export"))
    assert report.counts["Post"] == 2


def test_import_mongo_recognises_a_dashboard_directory_holding_an_empty_file(tmp_path: Path) -> None:
    """A 0-byte _Installation.json beside Dashboard exports made import mongo say "no
    _SCHEMA.json (export the _SCHEMA collection too: it holds the field types)"."""
    empty = dashboard_dir(tmp_path / "export") / "_Installation.json"
    empty.write_text("", encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{empty}: empty, where an export is expected"):
        db.import_mongo_export(empty.parent)
    assert not db.schema.classes
    empty.write_text("[]", encoding="utf-8")
    assert db.import_mongo_export(empty.parent).counts["Post"] == 2


def test_mongo_documents_without_schema_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "dump" / "Post.json", [{"_id": "p1", "title": "x"}])
    with pytest.raises(DataError, match="MongoDB documents"):
        querylang.connect().import_mongo_export(tmp_path / "dump")


def test_a_directory_without_exports_is_an_error(tmp_path: Path) -> None:
    """docs/importing.md: "Give the files, or a directory of them". A directory holding none
    (the wrong one, or the exports a level down) imported nothing and said so as a success,
    leaving a new, empty database file."""
    (tmp_path / "exports" / "2024").mkdir(parents=True)
    (tmp_path / "exports" / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DataError, match=r"exports: no \.json files in this directory"):
        querylang.connect().import_dashboard_export(tmp_path / "exports")
    res = CliRunner().invoke(main, ["import", "dashboard", str(tmp_path / "exports"), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and "no .json files" in res.stderr, (res.exit_code, res.output)
    assert not (tmp_path / "x.duckdb").exists()


def test_cli_mongo(tmp_path: Path) -> None:
    from .mongo_files import write_export

    db_path = tmp_path / "m.duckdb"
    res = CliRunner().invoke(main, ["import", "mongo", str(write_export(tmp_path / "dump")), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "imported 7 records and 6 relation edges" in res.stdout
    res = CliRunner().invoke(main, ["query", "Post", "where({ score: { greaterThan: 5 } })", "--db", str(db_path)])
    assert res.exit_code == 0 and "p002" in res.stdout


def test_a_zip_is_named_as_one(tmp_path: Path) -> None:
    """parse.com's export is a zip. Given as it is, it was refused as "not UTF-8 text at line 1,
    column 11 (byte 0x89; save the file as UTF-8)", which does not say what to do."""
    import zipfile

    archive = tmp_path / "zd" / "export.zip"
    archive.parent.mkdir()
    write(tmp_path / "Post.json", {"results": [{"objectId": "p1"}]})
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(tmp_path / "Post.json", "Post.json")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{archive}: a zip archive, not a JSON export: unzip it and import the folder"):
        db.import_dashboard_export(archive)
    with pytest.raises(DataError, match=r"no \.json files in this directory \(.*; unzip the \.zip in it first\)$"):
        db.import_dashboard_export(archive.parent)
    assert not db.schema.classes


def test_a_mongoexport_given_to_the_dashboard_importer_says_which_importer_reads_it(tmp_path: Path) -> None:
    """mongoexport writes a document a line: given to ``import dashboard`` (the directory, or
    one file), it was refused as "not valid JSON at line 2, column 1: Extra data"."""
    from .mongo_files import write_export

    root = write_export(tmp_path / "dump")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{root}: a mongoexport directory \(it holds _SCHEMA.json\): import it with querylang import mongo"):
        db.import_dashboard_export(root)
    for name in ("Post.json", "_Join:posts:Group.json"):  # several documents, and one a line
        with pytest.raises(DataError, match=rf"^{root / name}: MongoDB documents \(with _id\), not REST records: .*import mongo DIR"):
            db.import_dashboard_export(root / name)
    one = write(tmp_path / "one" / "T.json", {"_id": "t1", "n": 1})  # a collection of one document
    with pytest.raises(DataError, match=r"MongoDB documents \(with _id\)"):
        db.import_dashboard_export(one)
    assert not db.schema.classes


def test_a_csv_export_is_named_as_one(tmp_path: Path) -> None:
    """The Dashboard's Export dialog offers .csv as well as .json: a CSV export was refused as
    "not valid JSON at line 1, column 1", and a folder of them as holding no .json files."""
    path = tmp_path / "csv" / "Post.csv"
    path.parent.mkdir()
    path.write_text("objectId,title\np1,Hello\n", encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}: the Dashboard's CSV export, which querylang does not read .*: export the class as \.json$"):
        db.import_dashboard_export(path)
    with pytest.raises(DataError, match=r"no \.json files in this directory \(.*; CSV exports are not read: export as \.json\)$"):
        db.import_dashboard_export(path.parent)
    assert not db.schema.classes


def test_a_folder_named_like_an_export_is_skipped(tmp_path: Path) -> None:
    """A folder X.json in the directory was read as an export: "cannot read: [Errno 21] Is a directory"."""
    write(tmp_path / "exports" / "T.json", [{"objectId": "a", "n": 1}])
    (tmp_path / "exports" / "X.json").mkdir()
    db = querylang.connect()
    assert db.import_dashboard_export(tmp_path / "exports").counts == {"T": 1}


# What the Dashboard's "Export schema" writes: Parse.Schema.all() as schema.json, or one class's
# Parse.Schema(...).get() as <Class>.json.
SCHEMA_CLASS = {"className": "Post", "fields": {"objectId": {"type": "String"}, "title": {"type": "String"},
                                                "author": {"type": "Pointer", "targetClass": "_User"}},
                "classLevelPermissions": {"find": {"*": True}}, "indexes": {"_id_": {"_id": 1}}}


@pytest.mark.parametrize(("name", "content"), [("schema.json", [SCHEMA_CLASS, {**SCHEMA_CLASS, "className": "_User"}]),
                                               ("schema.json", [SCHEMA_CLASS]), ("Post.json", SCHEMA_CLASS),
                                               # What GET /schemas answers (curl, the API console).
                                               ("schemas.json", {"results": [SCHEMA_CLASS]})])
def test_a_schema_export_is_said_to_be_one(tmp_path: Path, name: str, content: Any) -> None:
    """Was read as records ("schema.json, record 1, line 2: class Post: no objectId", or
    "records of several classes (Post, _User)"), or one class's as neither kind of export."""
    path = tmp_path / "export" / name
    path.parent.mkdir()
    path.write_text(json.dumps(content, indent=2), encoding="utf-8")
    said = (f"{path}: this is a schema export (the Dashboard's Export schema), not a class export: it holds no "
            "records; export each class's rows as JSON (Export all rows) and import those files")
    db = querylang.connect()
    for given in (path, path.parent):  # the file, or the folder holding it
        with pytest.raises(DataError) as info:
            db.import_dashboard_export(given)
        assert str(info.value) == said
    assert not db.schema.classes
    res = CliRunner().invoke(main, ["import", "dashboard", str(path), "--db", str(tmp_path / "x.duckdb")])
    assert (res.exit_code, res.stderr) == (2, f"error: {said}\n"), res.output
    assert not (tmp_path / "x.duckdb").exists()


def test_a_schema_export_beside_class_exports_in_a_folder_is_left_out_with_a_note(tmp_path: Path) -> None:
    """The Dashboard's Export schema writes schema.json, and a user saves it beside the class
    exports: the whole folder was refused for it. Its class exports are imported (their types
    read off their records, as without it), and the note names the file not read."""
    folder = tmp_path / "export"
    write(folder / "schema.json", [SCHEMA_CLASS])
    write(folder / "Post.json", [{"objectId": "p1", "className": "Post", "title": "Hi", "createdAt": "2024-01-01T00:00:00.000Z",
                                  "updatedAt": "2024-01-01T00:00:00.000Z"}])
    note = (f"{folder / 'schema.json'}: a schema export (the Dashboard's Export schema), not read: the fields' types "
            "are read off the records of the class exports")
    db = querylang.connect()
    report = db.import_dashboard_export(folder)
    assert (report.counts, report.notes) == ({"Post": 1}, [note])
    assert db.find("Post", {}).ids == ["p1"]
    res = CliRunner().invoke(main, ["import", "dashboard", str(folder), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 0, res.output
    assert f"note: {note}\n" in res.stderr
    # import mongo, which reads such a folder as import dashboard does, reads it so.
    report = querylang.connect().import_mongo_export(folder)
    assert (report.counts, report.notes) == ({"Post": 1}, [note])
    # Given as a file, it is still refused: it was asked for, and holds no records.
    with pytest.raises(DataError, match=r"this is a schema export"):
        querylang.connect().import_dashboard_export(folder / "schema.json")
    # load, whose interchange directory has a schema.json of its own, says what the folder is
    # (it said the file "must be an object with one key, 'classes'").
    res = CliRunner().invoke(main, ["load", str(folder), "--db", str(tmp_path / "y.duckdb")])
    assert res.exit_code == 2
    assert res.stderr == (f"error: {folder}: its schema.json is no interchange directory's ({{\"classes\": ...}}) but "
                          "an array, as the Dashboard's Export schema writes it; this folder looks like Parse Dashboard "
                          f"exports (JSON arrays of records): import it with: querylang import dashboard {folder} --db "
                          f"{tmp_path / 'y.duckdb'}\n")


def test_an_interchange_directory_given_to_an_import_is_sent_to_load(tmp_path: Path) -> None:
    """querylang's own directory form (schema.json of "classes", <Class>.ndjson) given to import
    dashboard was 'neither a Dashboard export ... nor a {"results": [...]} file', and to import
    mongo 'no _SCHEMA.json (export the _SCHEMA collection too ...)': both say to load it."""
    folder = tmp_path / "d"
    write(folder / "schema.json", {"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}})
    (folder / "Post.ndjson").write_text('{"objectId": "p1", "n": 1}\n', encoding="utf-8")
    load = "an interchange directory's schema.json (querylang's own format): load its folder with querylang load"
    for given in (folder, folder / "schema.json"):
        with pytest.raises(DataError) as info:
            querylang.connect().import_dashboard_export(given)
        assert str(info.value) == f"{folder / 'schema.json'}: {load}"
    with pytest.raises(DataError) as info:
        querylang.connect().import_mongo_export(folder)
    assert str(info.value) == f"{folder}: no _SCHEMA.json ({folder / 'schema.json'} is {load})"
    assert querylang.connect().load(folder) == {"Post": 1}


def test_a_folder_of_only_the_schema_export_is_not_sent_to_import_dashboard(tmp_path: Path) -> None:
    """load of a folder holding only the Dashboard's schema.json said it looked like Dashboard
    exports, 'import it with: querylang import dashboard ...', which refuses it: a schema export
    holds no records. Said so, with what to export instead."""
    folder = tmp_path / "export"
    write(folder / "schema.json", [SCHEMA_CLASS])
    db = str(tmp_path / "x.duckdb")
    res = CliRunner().invoke(main, ["load", str(folder), "--db", db])
    assert res.exit_code == 2
    assert res.stderr == (f"error: {folder}: its schema.json is no interchange directory's ({{\"classes\": ...}}) but an "
                          "array, as the Dashboard's Export schema writes it, and no class export is beside it: a "
                          "schema export holds no records; export each class's rows as JSON (Export all rows) and "
                          f"import those files with: querylang import dashboard FILE... --db {db}\n")
    assert not (tmp_path / "x.duckdb").exists()


def test_a_folder_or_file_is_named_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were 'export/Post.json, record 2, ...' of ./export: Python's Path drops the './' typed."""
    write(tmp_path / "export" / "Post.json", [{"objectId": "p1", "n": 1}, {"n": 2}])
    monkeypatch.chdir(tmp_path)
    for given in ("./export", "./export/", "./export/Post.json"):
        with pytest.raises(DataError, match=r"^\./export/Post\.json, record 2, line \d+: class Post: no objectId"):
            querylang.connect().import_dashboard_export(given)
    res = CliRunner().invoke(main, ["import", "dashboard", "./export", "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and res.stderr.startswith("error: ./export/Post.json, record 2, line "), res.output
    write(tmp_path / "export" / "Post.json", [{"objectId": "p1", "n": 1}])
    notes = querylang.connect().import_dashboard_export("./export").notes
    assert notes == ["./export/Post.json: 1 record(s) without createdAt or updatedAt (the first: record 1): a missing "
                     "date is the record's other date, or the time of the import"], notes


def test_a_record_id_that_is_a_path_of_the_folder_is_left_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was 'record ./export/Post.json': the folder's paths were written as typed by rewriting
    the message's text, the record's id with them."""
    write(tmp_path / "export" / "Post.json", [{"objectId": "export/Post.json", "n": 1}, {"objectId": "export/Post.json"}])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        querylang.connect().import_dashboard_export("./export")
    assert str(info.value) == "./export/Post.json, record 2, line 6: class Post, record export/Post.json: duplicate objectId"

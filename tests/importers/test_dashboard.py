"""Parse Dashboard class exports and parse.com {"results": [...]} files (shapes: PARSE-STORAGE.md B.4)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import querylang
from querylang.errors import DataError
from querylang.importers import ImportReport, detect_target
from querylang.importers.dashboard import stage_rest_exports
from querylang.importers.interchange import Staging, write_single_file
from querylang.model.parse_types import NATIVE

from .conftest import cli_main as main

USER = detect_target().class_name("_User")

POSTS = [
    {"createdAt": "2024-02-08T17:59:00.000Z", "updatedAt": "2024-02-08T17:59:00.000Z", "title": "relation naïve 3",
     "score": 3, "publishedAt": {"__type": "Date", "iso": "2024-04-22T03:09:00.000Z"}, "tags": ["ui"], "nums": [3, 2.5],
     "meta": {"lang": "fr", "views": 111}, "author": {"__type": "Pointer", "className": "_User", "objectId": "u04"},
     "location": {"__type": "GeoPoint", "latitude": 34.11, "longitude": -111.87},
     "area": {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]},
     "pic": {"__type": "File", "name": "abc_pic.png", "url": "http://localhost:1337/parse/files/app/abc_pic.png"},
     "raw": {"__type": "Bytes", "base64": "aGVsbG8="},
     "ACL": {"*": {"read": True}, "u02": {"read": True, "write": True}, "role:Admin": {"write": True}},
     "objectId": "p003", "className": "Post"},
    {"createdAt": "2024-02-09T08:00:00.000Z", "updatedAt": "2024-02-09T08:00:00.000Z", "title": "plain", "score": 7,
     "objectId": "p004", "className": "Post"},
]  # fmt: skip
GROUPS = [
    {"createdAt": "2024-03-01T00:00:00.000Z", "updatedAt": "2024-03-01T00:00:00.000Z", "name": "news",
     "posts": {"__type": "Relation", "className": "Post"}, "members": {"__type": "Relation", "className": "_User"},
     "objectId": "g1", "className": "Group"},
]  # fmt: skip
USERS = [
    {"createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "username": "dee",
     "authData": {"anonymous": {"id": "x"}}, "objectId": "u04", "className": "_User"},
]  # fmt: skip


def write(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def dashboard_dir(root: Path) -> Path:
    write(root / "Post.json", POSTS)
    write(root / "Group.json", GROUPS)
    write(root / "_User.json", USERS)
    return root


def test_dashboard_export(tmp_path: Path) -> None:
    db = querylang.connect()
    report = db.import_dashboard_export(dashboard_dir(tmp_path / "export"))
    assert report.counts == {"Post": 2, "Group": 1, USER: 1} and report.edges == 0
    assert any("hold no Relation edges: Group.posts, Group.members" in n for n in report.notes)
    p3, p4 = db.query("Post", {}).records
    assert p3["publishedAt"] == "2024-04-22T03:09:00.000Z" and p3["author"] == "u04"
    assert p3["location"] == {"latitude": 34.11, "longitude": -111.87}
    assert p3["nums"] == [3, 2.5] and p3["meta"] == {"lang": "fr", "views": 111}
    assert "publishedAt" not in p4
    assert db.query(USER, {}).records[0]["username"] == "dee"
    assert "authData" not in db.schema.get(USER).fields
    assert db.query("Post", {"author": {"matchesQuery": {"username": "dee"}}}).ids == ["p003"]


def test_native_document(tmp_path: Path) -> None:
    report = ImportReport()
    with Staging() as staging:
        stage_rest_exports([dashboard_dir(tmp_path / "export")], staging, NATIVE, report)
        write_single_file(staging.finish(), tmp_path / "doc.json")
    doc = json.loads((tmp_path / "doc.json").read_text())
    fields = doc["classes"]["Post"]["fields"]
    assert fields["area"] == {"type": "Polygon"} and fields["pic"] == {"type": "File"}
    assert fields["raw"] == {"type": "Bytes"} and fields["ACL"] == {"type": "ACL"}
    assert fields["author"] == {"type": "Pointer", "targetClass": "_User"}
    p3 = doc["records"]["Post"][0]
    assert p3["pic"] == POSTS[0]["pic"] and p3["raw"] == POSTS[0]["raw"] and p3["ACL"] == POSTS[0]["ACL"]
    assert p3["area"] == [[0, 0], [0, 1], [1, 1], [1, 0], [0, 0]]
    assert doc["classes"]["Group"]["fields"]["members"] == {"type": "Relation", "targetClass": "_User"}


def test_results_files_and_a_class_not_exported(tmp_path: Path) -> None:
    comments = [{"objectId": "c1", "createdAt": "2015-03-01T00:00:00.000Z", "updatedAt": "2015-03-01T00:00:00.000Z",
                 "text": "hi", "post": {"__type": "Pointer", "className": "Post", "objectId": "p1"}}]  # fmt: skip
    users = [{"objectId": "u1", "username": "old", "bcryptPassword": "$2a$10$x", "sessionToken": "r:abc",
              "createdAt": "2015-01-01T00:00:00.000Z", "updatedAt": "2015-01-01T00:00:00.000Z"}]  # fmt: skip
    write(tmp_path / "old" / "Comment.json", {"results": comments})
    write(tmp_path / "old" / "_User.json", {"results": users})
    db = querylang.connect()
    report = db.import_dashboard_export(tmp_path / "old")
    assert report.counts == {"Comment": 1, USER: 1}
    assert set(db.schema.classes) == {"Comment", USER, "Post"}
    assert "class Post is pointed to but not in the export: created empty" in report.notes
    assert set(db.query(USER, {}).records[0]) == {"objectId", "createdAt", "updatedAt", "username"}
    assert db.query("Comment", {"post": {"pointsTo": "p1"}}).ids == ["c1"]


def test_mixed_types_name_class_field_and_record(tmp_path: Path) -> None:
    rows = [{"objectId": "a", "n": 1, "className": "T"}, {"objectId": "b", "n": "one", "className": "T"}]
    with pytest.raises(DataError, match=r"class T, record b, field n: Number in one record, String in another"):
        querylang.connect().import_dashboard_export(write(tmp_path / "T.json", rows))


@pytest.mark.parametrize(("name", "rows", "text"), [
    ("bad name.json", [{"objectId": "a", "n": 1}], "invalid class name 'bad name'"),
    ("T.json", [{"objectId": "a", "n": 1, "className": "T-1"}], "invalid class name 'T-1'"),
    ("T.json", [{"objectId": "a", "bad-key": 1}], "class T: invalid field name 'bad-key'"),
])
def test_a_name_that_is_no_name_names_the_file(tmp_path: Path, name: str, rows: list, text: str) -> None:
    """Of an export of many files, the message named only the class or field."""
    path = write(tmp_path / "exports" / name, rows)
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(tmp_path / "exports")
    assert str(info.value).startswith(f"{path}: {text}")
    assert db.schema.classes == {}


def test_bad_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "T.json"
    path.write_text('[{"objectId": "a"},\n {"objectId": }]')
    db = querylang.connect()
    with pytest.raises(DataError, match=r"T\.json: not valid JSON at line 2"):
        db.import_dashboard_export(path)
    assert db.schema.classes == {}


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


def test_cli(tmp_path: Path) -> None:
    db_path = tmp_path / "d.duckdb"
    res = CliRunner().invoke(main, ["import", "dashboard", str(dashboard_dir(tmp_path / "export")), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "imported 4 records and 0 relation edges" in res.stdout
    assert "note: these exports hold no Relation edges" in res.stderr
    res = CliRunner().invoke(main, ["import", "dashboard", str(tmp_path / "nothing.json"), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and "no such file" in res.stderr
    assert not (tmp_path / "x.duckdb").exists()


@pytest.mark.parametrize("command", ["import dashboard", "load"])
def test_an_integer_too_long_for_python_is_a_user_error(tmp_path: Path, command: str) -> None:
    """Python's int() refuses more than 4,300 digits with a ValueError that no reader caught:
    'internal error: ValueError: Exceeds the limit...' and exit status 1."""
    digits = "7" * 5000
    if command == "load":
        path = tmp_path / "doc.json"
        path.write_text('{"classes": {"T": {"fields": {"n": {"type": "Number"}}}}, "records": {"T": [{"n": ' + digits + "}]}}")
    else:
        path = tmp_path / "T.json"
        path.write_text('[{"objectId": "a", "n": ' + digits + "}]")
    res = CliRunner().invoke(main, [*command.split(), str(path), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2, res.output
    assert f"{path}: a number of 5,000 digits, too long to read" in res.stderr
    assert not (tmp_path / "x.duckdb").exists()


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


def test_a_number_that_is_not_finite_names_the_users_file_and_record(tmp_path: Path) -> None:
    path = tmp_path / "Post.json"
    path.write_text('[{"objectId": "p1", "className": "Post", "score": 1},\n'
                    ' {"objectId": "p2", "className": "Post", "score": NaN}]')  # fmt: skip
    db = querylang.connect()
    with pytest.raises(DataError) as err:
        db.import_dashboard_export(path)
    message = str(err.value)
    assert message == f"{path}, record 2, line 2: class Post, record p2, field score: a Number must be finite (no NaN or Infinity)"
    assert db.schema.classes == {}


def test_pointers_to_two_classes_name_both(tmp_path: Path) -> None:
    rows = [{"objectId": "a", "className": "T", "to": {"__type": "Pointer", "className": "_User", "objectId": "u"}},
            {"objectId": "b", "className": "T", "to": {"__type": "Pointer", "className": "T", "objectId": "a"}}]  # fmt: skip
    with pytest.raises(DataError, match=r"T\.json, record 2, line \d+: class T, record b, field to: Pointer<_User> in one record, Pointer<T> in another$"):
        querylang.connect().import_dashboard_export(write(tmp_path / "T.json", rows))
    del rows[1]["objectId"]  # was "record None", and no file
    with pytest.raises(DataError, match=r"T\.json, record 2, line \d+: class T, field to: Pointer<_User> in one record"):
        querylang.connect().import_dashboard_export(write(tmp_path / "T.json", rows))


def test_json_nested_too_deeply_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "Post.json"
    path.write_text('[{"objectId": "p1", "a": ' + "[" * 5000 + "]" * 5000 + "}]")
    with pytest.raises(DataError, match=rf"^{path}: nested too deeply"):
        querylang.connect().import_dashboard_export(path)
    res = CliRunner().invoke(main, ["import", "dashboard", str(path), "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2 and "nested too deeply" in res.stderr and "internal error" not in res.stderr


def test_an_integer_beyond_a_double_names_the_users_file_and_record(tmp_path: Path) -> None:
    """An integer too long for a double (a Python int when read) was refused by the load naming
    the importer's staging file ('Post.ndjson, line 2: not valid JSON: number is infinity')."""
    path = tmp_path / "Post.json"
    big = "1" + "0" * 309
    path.write_text('[{"objectId": "p1", "className": "Post", "score": 1, "meta": {"a": "' + big + '"}},\n'
                    ' {"objectId": "p2", "className": "Post", "score": 2, "meta": {"a": [-' + big + "]}}]")  # fmt: skip
    db = querylang.connect()
    with pytest.raises(DataError) as err:
        db.import_dashboard_export(path)
    assert str(err.value) == f"{path}, record 2, line 2: class Post, record p2, field meta: a Number must be within a double's range (±1.8e308)"
    assert db.schema.classes == {}
    res = CliRunner().invoke(main, ["import", "dashboard", str(path), "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2 and "record p2, field meta" in res.stderr and ".ndjson" not in res.stderr
    assert not (tmp_path / "d.duckdb").exists()


def test_a_field_null_in_every_record_is_a_note(tmp_path: Path) -> None:
    """A key that is null in every exported record has no type to give it: it is left out, and
    the report says so (the field, and the explicit nulls records show for it, were dropped
    without a word). A key null in some records only keeps its explicit nulls."""
    rows = [{"objectId": "a", "className": "T", "gone": None, "later": None, "n": None},
            {"objectId": "b", "className": "T", "gone": None, "n": 2}]  # fmt: skip
    db = querylang.connect()
    report = db.import_dashboard_export(write(tmp_path / "T.json", rows))
    assert f"class T: gone, later null in every record of {tmp_path / 'T.json'}, so of no known type: left out" in report.notes
    assert [f.name for f in db.schema.get("T").user_fields] == ["n"]
    assert [r.get("n", "missing") for r in db.query("T", {}).records] == [None, 2]  # a's explicit null is kept


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("when", {"__type": "Date", "iso": "2024-01-02T00:00:00.000Z"}, {"__type": "Date"}),
        ("when", {"__type": "Date", "iso": "2024-01-02T00:00:00.000Z"}, {"__type": "Date", "iso": None}),
        ("createdAt", "2024-01-02T00:00:00.000Z", {"__type": "Date"}),
        ("who", {"__type": "Pointer", "className": "_User", "objectId": "u1"}, {"__type": "Pointer", "className": "_User"}),
        ("geo", {"__type": "GeoPoint", "latitude": 1, "longitude": 2}, {"__type": "GeoPoint", "latitude": 1}),
        ("f", {"__type": "File", "name": "a.txt", "url": "http://x/a.txt"}, {"__type": "File", "url": "http://x/a.txt"}),
        ("poly", {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1]]}, {"__type": "Polygon"}),
        ("b", {"__type": "Bytes", "base64": "aGk="}, {"__type": "Bytes"}),
    ],
)
def test_a_typed_value_without_its_payload_is_refused_not_imported_as_null(
    tmp_path: Path, field: str, good: Any, bad: Any
) -> None:
    """``{"__type": "Date"}`` with no ``iso`` (a Pointer with no objectId, …) was read as a null:
    the record imported with the value gone and nothing said. It is now refused by the load,
    which names class, record and field, and nothing is imported."""
    rows = [{"objectId": "a1", "className": "T", field: good}, {"objectId": "a2", "className": "T", field: bad}]
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"class T, record a2, field {field}: "):
        db.import_dashboard_export(write(tmp_path / "T.json", rows))
    assert db.schema.classes == {}


def test_a_pointed_to_class_the_database_holds_is_not_said_to_be_created(tmp_path: Path) -> None:
    # Found by running docs/importing.md's dashboard import into a database that already held
    # the pointed-to class with its records: the note said "class Post is pointed to but not
    # in the export: created empty", though nothing was created and Post kept its records.
    comments = [{"objectId": "c1", "text": "hi", "post": {"__type": "Pointer", "className": "Post", "objectId": "p1"},
                 "author": {"__type": "Pointer", "className": "Writer", "objectId": "w1"}}]
    write(tmp_path / "Comment.json", {"results": comments})
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {"title": {"type": "String"}}}},
             "records": {"Post": [{"objectId": "p1", "title": "kept"}]}})
    report = db.import_dashboard_export(tmp_path)
    assert not any("class Post" in n for n in report.notes), report.notes
    assert "class Writer is pointed to but not in the export: created empty" in report.notes
    assert db.query("Post", {}).records[0]["title"] == "kept"


@pytest.mark.parametrize(("second", "message"), [
    ({"objectId": "a2", "name": "y\x00"}, "record 2, line 9: class Tag, record a2, field name: text may not contain NUL"),
    ({"objectId": "a1", "name": "y"}, "record 2, line 7: class Tag, record a1: duplicate objectId"),
])
def test_a_record_the_load_refuses_names_the_users_file_and_record(tmp_path: Path, second: dict, message: str) -> None:
    """The load's checks named the record, but not the file or its place in the file."""
    path = write(tmp_path / "Tag.json", {"results": [{"objectId": "a1", "name": "x"}, second]})
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(path)
    assert str(info.value).startswith(f"{path}, {message}")
    assert not db.schema.classes


def test_a_parse_com_export_with_join_files_imports_their_edges(tmp_path: Path) -> None:
    """parse.com's export zip holds the Relation edges as join classes, ``_Join:users:_Role.json``
    = ``{"results": [{"owningId", "relatedId"}]}``. Such a file was read as a class named
    '_Join:users:_Role' and refused as no class name: an app with roles could not be imported."""
    roles = [{"objectId": "r1", "name": "Admin", "users": {"__type": "Relation", "className": "_User"},
              "roles": {"__type": "Relation", "className": "_Role"}}]  # fmt: skip
    users = [{"objectId": "u1", "username": "ada"}, {"objectId": "u2", "username": "bob"}]
    write(tmp_path / "old" / "_Role.json", {"results": roles})
    write(tmp_path / "old" / "_User.json", {"results": users})
    write(tmp_path / "old" / "_Join:users:_Role.json", {"results": [{"owningId": "r1", "relatedId": "u2"}]})
    db = querylang.connect()
    report = db.import_dashboard_export(tmp_path / "old")
    role = detect_target().class_name("_Role")
    assert report.edges == 1 and report.counts == {role: 1, USER: 2}
    assert db.query(USER, {"relatedTo": {"id": "r1", "key": "users", "className": role}}).ids == ["u2"]
    assert any("no Relation edges: _Role.roles imported empty" in n for n in report.notes), report.notes
    assert not any("_Role.users" in n for n in report.notes), report.notes


def test_a_join_file_without_its_owner_class_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "old" / "_Join:likers:Post.json", {"results": [{"owningId": "p1", "relatedId": "u1"}]})
    write(tmp_path / "old" / "_User.json", {"results": [{"objectId": "u1"}]})
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}: holds Relation edges of Post.likers, but class Post is not in"):
        db.import_dashboard_export(tmp_path / "old")
    bad = write(tmp_path / "two" / "_Join:likers:Post.json", {"results": [{"owningId": "p1"}]})
    write(tmp_path / "two" / "Post.json", {"results": [{"objectId": "p1", "likers": {"__type": "Relation", "className": "Post"}}]})
    with pytest.raises(DataError, match=rf"^{bad}, record 1, line \d+: a join record needs owningId and relatedId"):
        db.import_dashboard_export(tmp_path / "two")
    assert not db.schema.classes


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


def test_a_record_without_its_dates_is_said_to_be_dated_by_the_import(tmp_path: Path) -> None:
    """Every record of a Dashboard or parse.com export has createdAt and updatedAt; a file
    whose records lack them was dated at the time of the import without a word."""
    rows = [{"objectId": "a", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-02T00:00:00.000Z"},
            {"objectId": "b", "updatedAt": "2024-01-03T00:00:00.000Z"}, {"objectId": "c"}]  # fmt: skip
    db = querylang.connect()
    report = db.import_dashboard_export(write(tmp_path / "T.json", {"results": rows}))
    assert (f"{tmp_path / 'T.json'}: 2 record(s) without createdAt or updatedAt (the first: record 2): a missing date is the "
            "record's other date, or the time of the import") in report.notes
    assert db.query("T", {"objectId": "b"}).records[0]["createdAt"] == "2024-01-03T00:00:00.000Z"


def test_a_record_without_an_objectid_is_refused(tmp_path: Path) -> None:
    """Every record Parse exports has an objectId; one without was imported under an id the
    load made up, which no pointer of the export reaches, without a word."""
    path = write(tmp_path / "T.json", {"results": [{"objectId": "a", "n": 1}, {"n": 2}]})
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}, record 2, line \d+: class T: no objectId \(every record Parse exports has one\)$"):
        db.import_dashboard_export(path)
    assert not db.schema.classes


def test_parse_com_s_product_class_is_left_out_with_a_note(tmp_path: Path) -> None:
    """parse.com's export holds ``_Product.json`` (in-app purchases, empty in most apps), a name
    querylang has no class for: the whole import was refused ("invalid class name '_Product'")."""
    write(tmp_path / "old" / "_Product.json", {"results": []})
    write(tmp_path / "old" / "Post.json", {"results": [{"objectId": "p1", "title": "kept"}]})
    db = querylang.connect()
    report = db.import_dashboard_export(tmp_path / "old")
    assert report.counts == {"Post": 1} and set(db.schema.classes) == {"Post"}
    assert (f"{tmp_path / 'old' / '_Product.json'}: Parse's own class _Product (0 record(s)) left out: only _User, _Role, _Session, "
            "_Installation are imported") in report.notes


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


@pytest.mark.parametrize("value", [{"__type": "Relation"}, {"__type": "Pointer", "objectId": "x"}])
def test_a_pointer_or_relation_without_its_class_names_the_file_and_record(tmp_path: Path, value: dict) -> None:
    """Refused by the schema as "class T, field r: Pointer without a targetClass": no file, no record."""
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"objectId": "b", "r": value}])
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}, record 2, line \d+: class T, record b, field r: a {value['__type']} without its className$"):
        db.import_dashboard_export(path)
    assert not db.schema.classes


def test_an_empty_file_is_named_as_one(tmp_path: Path) -> None:
    """A 0-byte export (a copy or download cut short) was "not valid JSON at line 1, column 1:
    Expecting value", which does not say the file is empty."""
    path = tmp_path / "T.json"
    path.write_text("\n", encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf'^{path}: empty, where an export is expected \(at least \[\] or {{"results": \[\]}}; was it cut short\?\)$'):
        db.import_dashboard_export(path)
    assert not db.schema.classes


def test_text_no_utf_8_file_can_hold_is_a_data_error_naming_its_place(tmp_path: Path) -> None:
    """JSON's ``\\ud800`` spells a lone surrogate, which the staging files (UTF-8) cannot hold:
    the import raised UnicodeEncodeError, no DataError, and the command line blamed its own
    standard output ("cannot write the output (standard output): its encoding, utf-8, ...")."""
    path = tmp_path / "T.json"
    path.write_text('[{"objectId": "a", "s": "ok"}, {"objectId": "b", "s": "bad \\ud800"}]', encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}, record 2: class T, record b, field s: text holds a lone surrogate"):
        db.import_dashboard_export(path)
    res = CliRunner().invoke(main, ["import", "dashboard", str(path), "--db", str(tmp_path / "d.duckdb")])
    assert res.exit_code == 2 and "record 2: class T, record b, field s: text holds a lone surrogate" in res.stderr
    posts = [{"objectId": "p1", "likers": {"__type": "Relation", "className": "Post"}}]
    join = tmp_path / "old" / "_Join:likers:Post.json"
    write(tmp_path / "old" / "Post.json", {"results": posts})
    join.write_text('{"results": [{"owningId": "p1", "relatedId": "\\udc00"}]}', encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{join}, record 1: an id text holds a lone surrogate"):
        db.import_dashboard_export(join.parent)
    # A file name that is not UTF-8 comes as lone surrogates too: its records' errors still name it.
    odd = Path(os.fsdecode(bytes(tmp_path / "odd") + b"/T\xe9.json"))
    write(odd, [{"objectId": "a", "className": "T"}, {"objectId": "a", "className": "T"}])
    with pytest.raises(DataError, match=r"T\\udce9\.json, record 2: class T, record a: duplicate objectId"):
        db.import_dashboard_export(odd.parent)
    assert not db.schema.classes


def test_a_type_clash_with_a_class_already_loaded_names_the_file_and_record(tmp_path: Path) -> None:
    """The database's Post.title is a Number; an export whose records show a String there was
    refused as "class Post, field title: already defined as Number, cannot become String",
    naming neither the file nor the record the type was read off."""
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {"title": {"type": "Number"}}}},
             "records": {"Post": [{"objectId": "x1", "title": 1}]}})
    write(tmp_path / "Tag.json", [{"objectId": "t1", "name": "a"}])
    post = write(tmp_path / "Post.json", [{"objectId": "p1", "title": None}, {"objectId": "p2", "title": "a"}])
    with pytest.raises(DataError, match=rf"^{post}, record 2, line \d+: class Post, field title: already defined as Number, "
                                        "cannot become String$"):
        db.import_dashboard_export(tmp_path)
    assert set(db.schema.classes) == {"Post"} and db.query("Post", {}).records[0]["objectId"] == "x1"
    assert len(db.query("Post", {}).records) == 1


def test_a_join_row_given_twice_is_counted_once(tmp_path: Path) -> None:
    """Two identical join rows made the summary say "4 relation edges" where the load stored 3."""
    posts = [{"objectId": "p01", "likes": {"__type": "Relation", "className": "_User"}}]
    write(tmp_path / "Post.json", {"results": posts})
    write(tmp_path / "_User.json", {"results": [{"objectId": u} for u in ("u01", "u02", "u03")]})
    rows = [{"owningId": "p01", "relatedId": u} for u in ("u01", "u02", "u02", "u03")]
    write(tmp_path / "_Join:likes:Post.json", {"results": rows})
    db = querylang.connect()
    report = db.import_dashboard_export(tmp_path)
    assert report.edges == 3
    assert f"{tmp_path / '_Join:likes:Post.json'}: 1 row(s) repeating an edge (the first: record 3) left out: a Relation holds each " \
           "edge once" in report.notes
    liked = db.query(USER, {"relatedTo": {"id": "p01", "key": "likes", "className": "Post"}}).ids
    assert sorted(liked) == ["u01", "u02", "u03"]


def test_a_class_named_relations_is_imported(tmp_path: Path) -> None:
    """A class named 'relations' (a name Parse allows) was staged in relations.ndjson, the
    directory form's file of the edges: every import of such an app was refused, naming the
    import's temporary folder and saying to "load such a class from a document instead"."""
    rows = [{"objectId": "r1", "kind": "friend", "members": {"__type": "Relation", "className": "_User"}},
            {"objectId": "r2", "kind": "colleague"}]  # fmt: skip
    write(tmp_path / "relations.json", {"results": rows})
    write(tmp_path / "_User.json", {"results": [{"objectId": "u1"}, {"objectId": "u2"}]})
    write(tmp_path / "_Join:members:relations.json", {"results": [{"owningId": "r1", "relatedId": "u2"}]})
    db = querylang.connect()
    report = db.import_dashboard_export(tmp_path)
    assert report.counts == {"relations": 2, USER: 2} and report.edges == 1
    assert db.query("relations", {"kind": "colleague"}).ids == ["r2"]
    assert db.query(USER, {"relatedTo": {"id": "r1", "key": "members", "className": "relations"}}).ids == ["u2"]
    # A record the load refuses is named by the user's file and record, as in any other class.
    bad = write(tmp_path / "two" / "relations.json", {"results": [{"objectId": "r1"}, {"objectId": "r1"}]})
    with pytest.raises(DataError, match=rf"^{bad}, record 2, line \d+: class relations, record r1: duplicate objectId"):
        querylang.connect().import_dashboard_export(bad)


def test_exports_named_in_capitals_are_read(tmp_path: Path) -> None:
    """``Post.JSON`` (a copy off a case-insensitive disk, an export renamed by hand) was
    skipped: the directory imported without that class, or was refused as holding no .json files."""
    write(tmp_path / "export" / "Post.JSON", POSTS)
    write(tmp_path / "export" / "Group.Json", GROUPS)
    write(tmp_path / "export" / "_User.json", USERS)
    write(tmp_path / "export" / "_Join:members:Group.JSON", {"results": [{"owningId": "g1", "relatedId": "u04"}]})
    db_path = tmp_path / "d.duckdb"
    res = CliRunner().invoke(main, ["import", "dashboard", str(tmp_path / "export"), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "imported 4 records and 1 relation edge into" in res.stdout
    db = querylang.connect(str(db_path), read_only=True)
    assert db.query("Post", {}).ids == ["p003", "p004"]
    assert db.query(USER, {"relatedTo": {"id": "g1", "key": "members", "className": "Group"}}).ids == ["u04"]
    db.close()


@pytest.mark.parametrize("oid", [5, 5.5, True, ["a"]])
def test_an_objectid_that_is_no_string_is_refused_naming_the_record(tmp_path: Path, oid: Any) -> None:
    """Parse Server refuses it (111 "schema mismatch for T.objectId; expected String but got
    Number"); the import named the record twice over: "record 1: class T: record #0: objectId
    must be a non-empty string"."""
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"objectId": oid, "n": 1}])
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(path)
    assert str(info.value) == (f"{path}, record 2, line 6: class T: objectId must be a string, not {json.dumps(oid)} "
                               "(Parse Server refuses a record whose objectId is no string)")
    assert not db.schema.classes


@pytest.mark.parametrize("kind", ["Weird", "Object", "date", 5, ["Date"]])
def test_a_value_of_no_parse_type_is_refused_naming_record_field_and_type(tmp_path: Path, kind: Any) -> None:
    """Parse Server refuses {"__type": "Weird"} as a field's value (111 "This is not a valid
    Weird"): it was imported as an Object ({"__type": ["Date"]} was Python's TypeError)."""
    path = write(tmp_path / "T.json", [{"objectId": "a", "x": {"a": 1}}, {"objectId": "b", "x": {"__type": kind}}])
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(path)
    assert str(info.value) == (f"{path}, record 2, line 10: class T, record b, field x: __type {json.dumps(kind)} is no Parse "
                               "type (Parse knows Pointer, Relation, Bytes, Date, File, GeoPoint, Polygon)")
    assert not db.schema.classes


def test_a_value_of_no_parse_type_inside_an_object_or_with_an_empty_type_is_kept(tmp_path: Path) -> None:
    """Parse Server keeps {"__type": "Weird"} inside an Object or an Array, and a value whose
    __type is "" or null as an Object: so does the import."""
    rows = [{"objectId": "a", "x": {"__type": ""}, "y": [{"__type": "W"}]},
            {"objectId": "b", "x": {"in": {"__type": "W"}}, "y": []}, {"objectId": "c", "x": {"__type": None}}]
    db = querylang.connect()
    db.import_dashboard_export(write(tmp_path / "T.json", rows))
    assert [r["x"] for r in db.query("T", {}, sort="objectId").records] == [{"__type": ""}, {"in": {"__type": "W"}},
                                                                             {"__type": None}]


def test_a_folder_named_like_an_export_is_skipped(tmp_path: Path) -> None:
    """A folder X.json in the directory was read as an export: "cannot read: [Errno 21] Is a directory"."""
    write(tmp_path / "exports" / "T.json", [{"objectId": "a", "n": 1}])
    (tmp_path / "exports" / "X.json").mkdir()
    db = querylang.connect()
    assert db.import_dashboard_export(tmp_path / "exports").counts == {"T": 1}


@pytest.mark.parametrize(("oid", "said"), [("", "objectId must be a non-empty string"),
                                           ("x\u0000y", "objectId: text may not contain NUL characters")])
def test_an_objectid_the_load_refuses_is_named_once(tmp_path: Path, oid: str, said: str) -> None:
    """Named by the file's record and by the load's count from 0: "record 2: class T: record #1: ..."."""
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"objectId": oid}])
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(path)
    assert str(info.value) == f"{path}, record 2, line 5: class T: {said}"
    assert not db.schema.classes


# Each text as Node prints the number JSON.parse reads: a whole number past 2**53 is the double
# nearest to it, as it was in Parse Server (found by review: it was its digits as written).
@pytest.mark.parametrize(("oid", "stored"), [(5, "5"), (5.5, "5.5"), (5.0, "5"), (1e21, "1e+21"), (-7, "-7"),
                                             (-0.0, "0"), (0.1 + 0.2, "0.30000000000000004"), (1e-7, "1e-7"),
                                             (2**53 + 1, "9007199254740992"), (-(2**53) - 1, "-9007199254740992"),
                                             (123456789012345678901, "123456789012345680000")])  # fmt: skip
def test_a_pointers_objectid_that_is_a_number_is_its_text_as_parse_stores_it(tmp_path: Path, oid: Any, stored: str) -> None:
    """Parse Server writes a Pointer's objectId into its column (PostgreSQL) or "Class$id"
    (MongoDB) as JavaScript makes it text: {"objectId": 5} is stored, and read back, as "5".
    The import refused it ("expected a Pointer (objectId string), got number")."""
    rows = [{"objectId": "a", "to": {"__type": "Pointer", "className": "T", "objectId": oid}},
            {"objectId": stored, "to": {"__type": "Pointer", "className": "T", "objectId": "a"}}]  # fmt: skip
    db = querylang.connect()
    db.import_dashboard_export(write(tmp_path / "T.json", rows))
    assert db.query("T", {"objectId": "a"}).records[0]["to"] == stored
    assert db.query("T", {"to": {"pointsTo": stored}}).ids == ["a"]


@pytest.mark.parametrize("oid", [True, None, [5], {"n": 5}])
def test_a_pointers_objectid_of_another_kind_is_still_refused(tmp_path: Path, oid: Any) -> None:
    rows = [{"objectId": "a", "to": {"__type": "Pointer", "className": "T", "objectId": oid}}]
    with pytest.raises(DataError, match=r"record 1, line \d+: class T, record a, field to: expected a Pointer"):
        querylang.connect().import_dashboard_export(write(tmp_path / "T.json", rows))


@pytest.mark.parametrize(("oid", "said"), [(10**400, "within a double's range"), (float("inf"), "finite")], ids=["digits", "1e400"])
def test_a_pointers_objectid_past_a_doubles_range_is_refused_as_a_number_field_is(tmp_path: Path, oid: Any, said: str) -> None:
    """Found by review: a whole number of 400 digits (JSON.parse's Infinity) was an internal
    error, "OverflowError: int too large to convert to float"."""
    path = tmp_path / "T.json"
    digits = str(oid) if isinstance(oid, int) else "1e400"
    path.write_text('{"results": [{"objectId": "a",\n "to": {"__type": "Pointer", "className": "T", "objectId": ' + digits + "}}]}")
    with pytest.raises(DataError, match=rf"^{re.escape(str(path))}, record 1, line 2: class T, record a, field to: .*{said}"):
        querylang.connect().import_dashboard_export(path)


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


def test_a_record_s_classname_names_its_class_and_is_no_field(tmp_path: Path) -> None:
    """The Dashboard writes the record's class into every record as className (over a field of
    that name): it names the class, whatever the file is called, and is not imported as data."""
    db = querylang.connect()
    report = db.import_dashboard_export(write(tmp_path / "export.json", [{"objectId": "a", "className": "Post", "n": 1}]))
    assert report.counts == {"Post": 1}
    assert [f.name for f in db.schema.get("Post").user_fields] == ["n"]
    assert "className" not in db.find("Post", {}).records[0]

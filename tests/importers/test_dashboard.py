"""Parse Dashboard class exports and parse.com {"results": [...]} files (shapes: PARSE-STORAGE.md B.4):
what the import reads, from the library and the command line, and the notes it gives."""

from __future__ import annotations

import json
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
from .dashboard_files import GROUPS, POSTS, USER, USERS, dashboard_dir, write


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


def test_cli(tmp_path: Path) -> None:
    db_path = tmp_path / "d.duckdb"
    res = CliRunner().invoke(main, ["import", "dashboard", str(dashboard_dir(tmp_path / "export")), "--db", str(db_path)])
    assert res.exit_code == 0, res.output
    assert "imported 4 records and 0 relation edges" in res.stdout
    assert "note: these exports hold no Relation edges" in res.stderr
    res = CliRunner().invoke(main, ["import", "dashboard", str(tmp_path / "nothing.json"), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and "no such file" in res.stderr
    assert not (tmp_path / "x.duckdb").exists()


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


def test_a_value_of_no_parse_type_inside_an_object_or_with_an_empty_type_is_kept(tmp_path: Path) -> None:
    """Parse Server keeps {"__type": "Weird"} inside an Object or an Array, and a value whose
    __type is "" or null as an Object: so does the import."""
    rows = [{"objectId": "a", "x": {"__type": ""}, "y": [{"__type": "W"}]},
            {"objectId": "b", "x": {"in": {"__type": "W"}}, "y": []}, {"objectId": "c", "x": {"__type": None}}]
    db = querylang.connect()
    db.import_dashboard_export(write(tmp_path / "T.json", rows))
    assert [r["x"] for r in db.query("T", {}, sort="objectId").records] == [{"__type": ""}, {"in": {"__type": "W"}},
                                                                             {"__type": None}]


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


def test_a_record_s_classname_names_its_class_and_is_no_field(tmp_path: Path) -> None:
    """The Dashboard writes the record's class into every record as className (over a field of
    that name): it names the class, whatever the file is called, and is not imported as data."""
    db = querylang.connect()
    report = db.import_dashboard_export(write(tmp_path / "export.json", [{"objectId": "a", "className": "Post", "n": 1}]))
    assert report.counts == {"Post": 1}
    assert [f.name for f in db.schema.get("Post").user_fields] == ["n"]
    assert "className" not in db.find("Post", {}).records[0]


def test_a_class_of_the_app_keeps_a_field_named_password(tmp_path: Path) -> None:
    """Parse Server answers a password field of a class other than _User as any other field: the
    import dropped it from every class, without a word."""
    (tmp_path / "Router.json").write_text(json.dumps([{"objectId": "r1", "password": "wifi-1234", "className": "Router"}]))
    db = querylang.connect()
    db.import_dashboard_export(tmp_path / "Router.json")
    assert db.query("Router", {}).records[0]["password"] == "wifi-1234"


def test_bytes_that_stand_for_no_byte_are_the_empty_bytes(tmp_path: Path) -> None:
    """Parse Server takes base64 "==" (only empty base64 is "not a valid Bytes" to it): on
    PostgreSQL it keeps the text, and its Dashboard exports it; on MongoDB it keeps the bytes
    Node reads from it, none. The import refused the whole export for it; it is the empty Bytes,
    as querylang reads every Bytes by the bytes Node reads from its base64."""
    records = [{"objectId": o, "className": "Blob", "raw": {"__type": "Bytes", "base64": b}}
               for o, b in (("b1", "=="), ("b2", " \n"), ("b3", "QQ=="))]
    (tmp_path / "Blob.json").write_text(json.dumps(records))
    db = querylang.connect()
    db.import_dashboard_export(tmp_path / "Blob.json")
    assert [r["raw"]["base64"] for r in db.query("Blob", {}, sort=["objectId"]).records] == ["", "", "QQ=="]
    assert db.query("Blob", {"raw": "=="}, sort=["objectId"]).ids == ["b1", "b2"]

"""mongoexport directories of a Parse database → querylang (files built in tests/importers/mongo_files.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import querylang
from querylang.engines.postgres.cluster import Cluster
from querylang.errors import DataError
from querylang.importers import ImportReport, detect_target, ejson, interchange
from querylang.importers.interchange import Staging, write_single_file
from querylang.importers.mongo_export import stage_mongo_export
from querylang.model.parse_types import NATIVE

from ..pg import fresh_url
from .conftest import cli_main as main
from .mongo_files import write_export

FORMS = ["relaxed", "canonical", "v1"]


def user_class() -> str:
    return detect_target().class_name("_User")


@pytest.mark.parametrize("form", FORMS)
def test_every_extended_json_form_imports_the_same(tmp_path: Path, form: str) -> None:
    db = querylang.connect()
    report = db.import_mongo_export(write_export(tmp_path / "dump", form))
    assert report.counts == {user_class(): 2, "Post": 3, "Group": 2}
    assert report.edges == 6  # the dangling edge g1 → p999 included
    posts = {r["objectId"]: r for r in db.query("Post", {}).records}
    p1, p2, p3 = posts["p001"], posts["p002"], posts["p003"]
    assert p1["createdAt"] == "2024-02-08T17:59:00.000Z"
    assert p1["publishedAt"] == "2024-04-22T03:09:00.000Z"
    assert p2["publishedAt"] == "1969-07-20T20:17:40.000Z"  # before 1970: {"$numberLong"} in every form
    assert p1["author"] == "u01" and p2["owner"] == "u02"
    assert "author" not in p2  # "_p_author": null from an update reads back as missing
    assert p1["location"] == {"latitude": 34.11, "longitude": -111.87}  # stored [lng, lat]
    assert p1["meta"] == {"lang": "fr", "views": 111, "when": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}
    assert p1["tags"][2] == {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}
    assert p1["views"] == 2.5 and p1["score"] == 3
    # Mongo keeps an explicit null apart from a missing key, and so does the import.
    assert "published" in p1 and p1["published"] is None and "published" not in p3
    assert "owner" in p1 and p1["owner"] is None
    assert db.query("Post", {"published": {"exists": True}}).ids == ["p002"]
    users = db.query(user_class(), {}).records
    assert users[0]["updatedAt"] == "2024-01-02T10:00:00.123Z"
    assert all(not k.startswith("_") and k not in ("authData", "password") for u in users for k in u)
    # Edges: queries ignore the dangling one, but it was loaded.
    assert db.query("Group", {"posts": {"pointsTo": "p001"}}).ids == ["g1"]
    assert db.query("Post", {"relatedTo": {"id": "g1", "key": "posts"}}).ids == ["p001", "p003"]
    assert db.query(user_class(), {"relatedTo": {"id": "g2", "key": "members"}}).ids == ["u02"]
    assert db.query("Post", {"author": {"matchesQuery": {"username": "ada"}}}).ids == ["p001"]


def test_parse_only_types_in_the_native_document(tmp_path: Path) -> None:
    """What the importer emits once the schema knows _User, File, Polygon, Bytes and ACL."""
    report = ImportReport()
    with Staging() as staging:
        stage_mongo_export(write_export(tmp_path / "dump"), staging, NATIVE, report)
        write_single_file(staging.finish(), tmp_path / "doc.json")
    doc = json.loads((tmp_path / "doc.json").read_text())
    fields = doc["classes"]["Post"]["fields"]
    assert fields["author"] == {"type": "Pointer", "targetClass": "_User"}
    assert fields["area"] == {"type": "Polygon"} and fields["pic"] == {"type": "File"}
    assert fields["raw"] == {"type": "Bytes"} and fields["ACL"] == {"type": "ACL"}
    assert doc["classes"]["Group"]["fields"]["members"] == {"type": "Relation", "targetClass": "_User"}
    assert set(doc["classes"]["_User"]["fields"]) == {"username", "email", "emailVerified", "ACL"}
    p1 = doc["records"]["Post"][0]
    assert p1["area"] == [[0, 0], [0, 1], [1, 1], [0, 0]]  # REST's [lat, lng] pairs, ring closed
    assert p1["pic"] == {"__type": "File", "name": "abc_pic.png"}
    assert p1["raw"] == {"__type": "Bytes", "base64": "aGVsbG8="}
    assert p1["ACL"] == {"*": {"read": True}, "u02": {"read": True, "write": True}, "role:Admin": {"write": True}}
    assert "ACL" not in doc["records"]["Post"][1]  # no _rperm/_wperm/_acl: no ACL
    u1 = doc["records"]["_User"][0]
    assert u1["ACL"] == {"*": {"read": True}, "u01": {"read": True, "write": True}}
    assert {"class": "Group", "objectId": "g1", "key": "members", "targetClass": "_User", "targetId": "u01"} in doc["relations"]
    assert {"class": "Group", "objectId": "g1", "key": "posts", "targetClass": "Post", "targetId": "p999"} in doc["relations"]


def test_legacy_acl_alone(tmp_path: Path) -> None:
    from querylang.importers.mongo_export import to_rest

    rest = to_rest({"_id": "x", "_acl": {"*": {"r": True}, "u1": {"r": True, "w": True}}}, {}, {})
    assert rest["ACL"] == {"*": {"read": True}, "u1": {"read": True, "write": True}}


def test_a_bad_line_names_file_and_line_and_loads_nothing(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    lines = (root / "Post.json").read_text().splitlines()
    lines[1] = lines[1][:-5]  # cut short
    (root / "Post.json").write_text("\n".join(lines) + "\n")
    db = querylang.connect()
    with pytest.raises(DataError, match=r"Post\.json, line 2: not valid Extended JSON"):
        db.import_mongo_export(root)
    assert db.schema.classes == {}


def test_a_bad_value_names_file_and_line(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    with (root / "Post.json").open("a") as fh:
        fh.write('{"_id": "p9", "_p_author": "Post$p001"}\n')
    # The message named the record and the field but not the class, as the load's own do.
    with pytest.raises(DataError, match=r"Post\.json, line 4: class Post, record p9, field author: points to class 'Post'"):
        querylang.connect().import_mongo_export(root)


def test_unknown_schema_type_names_class_and_field(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    text = (root / "_SCHEMA.json").read_text().replace('"views": "number"', '"views": "decimal128"')
    (root / "_SCHEMA.json").write_text(text)
    db = querylang.connect()
    with pytest.raises(DataError, match=r"class Post, field views: unknown _SCHEMA type 'decimal128'"):
        db.import_mongo_export(root)
    assert db.schema.classes == {}


@pytest.mark.parametrize(("old", "new", "text"), [
    ('"views": "number"', '"bad-key": "number"', "class Post: invalid field name 'bad-key'"),
    ('"_id": "Group"', '"_id": "Gr oup"', "invalid class name 'Gr oup'"),
    ('"author": "*_User"', '"author": "*Us er"', "class Post, field author: targetClass: invalid class name 'Us er'"),
])
def test_a_name_in_schema_that_is_no_name_names_the_file(tmp_path: Path, old: str, new: str, text: str) -> None:
    """The message named the class or field, not the _SCHEMA.json it came from."""
    root = write_export(tmp_path / "dump")
    (root / "_SCHEMA.json").write_text((root / "_SCHEMA.json").read_text().replace(old, new))
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_mongo_export(root)
    assert str(info.value).startswith(f"{root / '_SCHEMA.json'}: {text}")
    assert db.schema.classes == {}


def test_an_empty_schema_file_beside_collections_is_an_error(tmp_path: Path) -> None:
    """A 0-byte _SCHEMA.json (an export cut short) skipped every class with a note each and
    the import of nothing ended as a success."""
    root = write_export(tmp_path / "dump")
    (root / "_SCHEMA.json").write_text("")
    db = querylang.connect()
    with pytest.raises(DataError, match=r"_SCHEMA\.json: holds no class, though the directory holds collections"):
        db.import_mongo_export(root)
    assert db.schema.classes == {}


def test_a_load_error_loads_nothing(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    with (root / "Post.json").open("a") as fh:
        fh.write('{"_id": "p001", "title": "again"}\n')  # duplicate objectId
    db = querylang.connect()
    with pytest.raises(DataError):
        db.import_mongo_export(root)
    assert db.schema.classes == {}


def test_a_pointer_to_a_class_not_exported_keeps_its_id_in_a_class_made_empty(tmp_path: Path) -> None:
    """A mongoexport of some collections only (here Post, whose author points at _User): the
    load refused the whole import ("class Post, field author: targetClass '_User' is not a
    class", naming no file), where the dashboard and Parse Server imports make the class empty."""
    root = tmp_path / "dump"
    root.mkdir()
    (root / "_SCHEMA.json").write_text('{"_id": "Post", "objectId": "string", "author": "*_User", "title": "string"}\n')
    (root / "Post.json").write_text('{"_id": "p1", "title": "x", "_p_author": "_User$u1"}\n')
    db = querylang.connect()
    report = db.import_mongo_export(root)
    users = user_class()
    assert f"class {users} is pointed to but not in the export: created empty" in report.notes
    assert db.query("Post", {"author": {"pointsTo": "u1"}}).ids == ["p1"]
    assert db.query(users, {}).ids == []


def test_missing_schema_file(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    (root / "_SCHEMA.json").unlink()
    with pytest.raises(DataError, match="no _SCHEMA.json"):
        querylang.connect().import_mongo_export(root)


def test_json_array_files(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    for path in root.glob("*.json"):  # mongoexport --jsonArray
        lines = [ln for ln in path.read_text().splitlines() if ln]
        path.write_text("[" + ",\n".join(lines) + "]")
    report = querylang.connect().import_mongo_export(root)
    assert report.counts["Post"] == 3 and report.edges == 6


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('{"$date": "2024-04-22T03:09:00Z"}', "2024-04-22T03:09:00+00:00"),
        ('{"$date": "2024-04-22T03:09:00.123Z"}', "2024-04-22T03:09:00.123000+00:00"),
        ('{"$date": "2024-04-22T05:09:00.000+0200"}', "2024-04-22T03:09:00+00:00"),
        ('{"$date": {"$numberLong": "1713755340000"}}', "2024-04-22T03:09:00+00:00"),
        ('{"$date": 1713755340000}', "2024-04-22T03:09:00+00:00"),
    ],
)
def test_ejson_dates(text: str, value: str) -> None:
    assert ejson.loads(text).isoformat() == value


def test_ejson_numbers_and_binary() -> None:
    got = ejson.loads(
        '[{"$numberInt": "5"}, {"$numberLong": "9007199254740993"}, {"$numberDouble": "-Infinity"},'
        ' {"$numberDouble": "1.5"}, {"$numberDecimal": "2.25"}, {"$oid": "65f000000000000000000001"},'
        ' {"$binary": {"base64": "aGk=", "subType": "00"}}, {"$binary": "aGk=", "$type": "00"}, {"a": {"$numberInt": "1"}}]'
    )
    assert got == [5, 9007199254740993, float("-inf"), 1.5, 2.25, "65f000000000000000000001", b"hi", b"hi", {"a": 1}]
    with pytest.raises(ValueError):
        ejson.loads('{"$date": "yesterday"}')


def test_parse_classes_without_schema_entries(tmp_path: Path) -> None:
    """_Role and _Session collections exist before any _SCHEMA entry names them: Parse's own
    fields are known; session tokens are never copied."""
    root = write_export(tmp_path / "dump")
    (root / "_Session.json").write_text(
        '{"_id": "s1", "_session_token": "r:secret", "_p_user": "_User$u01", "installationId": "i1",'
        ' "expiresAt": {"$date": "2025-01-01T00:00:00Z"}, "_created_at": {"$date": "2024-01-01T00:00:00Z"}}\n'
    )
    (root / "_Role.json").write_text('{"_id": "r1", "name": "Admin", "_created_at": {"$date": "2024-01-01T00:00:00Z"}}\n')
    (root / "_Join:users:_Role.json").write_text('{"_id": {"$oid": "65f000000000000000000009"}, "relatedId": "u02", "owningId": "r1"}\n')
    db = querylang.connect()
    db.import_mongo_export(root)
    target = detect_target()
    session = db.query(target.class_name("_Session"), {}).records[0]
    assert session["user"] == "u01" and session["expiresAt"] == "2025-01-01T00:00:00.000Z"
    assert "sessionToken" not in db.schema.get(target.class_name("_Session")).fields
    assert "r:secret" not in json.dumps(session)
    role = target.class_name("_Role")
    assert db.query(user_class(), {"relatedTo": {"id": "r1", "key": "users", "className": role}}).ids == ["u02"]


def _append(path: Path, *lines: str) -> int:
    """Add lines to an export file; returns the line number of the first."""
    first = len(path.read_text().splitlines()) + 1
    with path.open("a") as fh:
        fh.write("".join(line + "\n" for line in lines))
    return first


NOT_A_DOUBLE = [
    ('{"$numberDouble": "NaN"}', "finite"),
    ('[1, {"$numberDouble": "-Infinity"}]', "finite"),
    # An integer too long for a double was staged as written and refused by the load naming
    # the importer's staging file ('T.ndjson, line 1: ... number is infinity').
    ("1" + "0" * 309, ""),
    ("[1, -1" + "0" * 400 + "]", ""),
    ('{"$numberDouble": "1' + "0" * 309 + '"}', ""),
]


@pytest.mark.parametrize(("value", "why"), NOT_A_DOUBLE)
def test_a_number_that_is_not_a_double_names_the_users_file_and_line(tmp_path: Path, value: str, why: str) -> None:
    root = write_export(tmp_path / "dump")
    field = "tags" if value.startswith("[") else "score"
    line = _append(root / "Post.json", f'{{"_id": "p9", "{field}": {value}}}')
    db = querylang.connect()
    with pytest.raises(DataError) as err:
        db.import_mongo_export(root)
    message = str(err.value)
    assert message.startswith(f"{root / 'Post.json'}, line {line}: class Post, record p9, field {field}: a Number must be {why}".rstrip())
    assert ".ndjson" not in message  # the importer's staging files are none of the user's business
    assert db.schema.classes == {}


def test_json_nested_too_deeply_names_the_file_and_line(tmp_path: Path) -> None:
    root = write_export(tmp_path / "dump")
    line = _append(root / "Post.json", '{"_id": "p9", "meta": {"a": ' + "[" * 600 + "]" * 600 + "}}")
    with pytest.raises(DataError, match=rf"^{re.escape(str(root / 'Post.json'))}, line {line}: nested too deeply"):
        querylang.connect().import_mongo_export(root)
    schema_line = _append(root / "_SCHEMA.json", '{"a": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(DataError, match=rf"_SCHEMA\.json, line {schema_line}: nested too deeply"):
        querylang.connect().import_mongo_export(root)
    res = CliRunner().invoke(main, ["import", "mongo", str(root), "--db", str(tmp_path / "m.duckdb")])
    assert res.exit_code == 2 and "nested too deeply" in res.stderr and "internal error" not in res.stderr
    assert not (tmp_path / "m.duckdb").exists()


def test_the_cli_imports_into_postgresql(tmp_path: Path, pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    res = CliRunner().invoke(main, ["import", "mongo", str(write_export(tmp_path / "dump")), "--db", url])
    assert res.exit_code == 0, res.output
    assert "imported 7 records and 6 relation edges into the PostgreSQL database" in res.stdout
    res = CliRunner().invoke(main, ["query", "Post", "where({ score: { greaterThan: 5 } })", "--db", url, "--format", "json"])
    assert res.exit_code == 0, res.output
    assert [r["objectId"] for r in json.loads(res.stdout)] == ["p002"]


def _small_export(root: Path, posts: str, joins: str = "") -> Path:
    root.mkdir()
    (root / "_SCHEMA.json").write_text('{"_id": "Post", "title": "string", "fans": "relation<Post>"}\n', encoding="utf-8")
    (root / "Post.json").write_text(posts, encoding="utf-8")
    if joins:
        (root / "_Join:fans:Post.json").write_text(joins, encoding="utf-8")
    return root


LOAD_ERRORS = {
    "a bad value": ('{"_id": "p1", "title": "a"}\n\n{"_id": "p2", "title": 5}\n', "",
                    "Post.json, line 3: class Post, record p2, field title: expected a String, got number"),
    "a repeated _id": ('{"_id": "p1"}\n\n{"_id": "p1"}\n', "", "Post.json, line 3: class Post, record p1: duplicate objectId"),
    "a bad edge": ('{"_id": "p1"}\n{"_id": "p2"}\n', '{"owningId": "p1", "relatedId": "p2"}\n\n{"owningId": "p2", "relatedId": "p\\u0000"}\n',
                   "_Join:fans:Post.json, line 3: class Post, record p2, field fans: targetId: text may not contain NUL"),
    "a bad value in an array": ('[{"_id": "p1", "title": "a"},\n {"_id": "p2", "title": 5}]\n', "",
                                "Post.json, document 2, line 2: class Post, record p2, field title: expected a String"),
}


@pytest.mark.parametrize("what", sorted(LOAD_ERRORS))
def test_a_record_the_load_refuses_names_the_users_file_and_line(engine: object, tmp_path: Path, what: str) -> None:
    """The load's checks (a String field given a number, an _id twice, NUL in an edge) named
    the record but no file or line (or, after directories named theirs, a line of the
    import's staging file): the user's file and line now."""
    posts, joins, message = LOAD_ERRORS[what]
    db = engine()  # type: ignore[operator]
    with pytest.raises(DataError) as info:
        db.import_mongo_export(_small_export(tmp_path / "dump", posts, joins))
    assert str(info.value).startswith(f"{tmp_path / 'dump'}/{message}")
    assert not db.schema.classes


@pytest.mark.parametrize("what", sorted(LOAD_ERRORS))
def test_the_folder_is_named_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    """Were 'dump/Post.json, line 3: ...' of ./dump: Python's Path drops the './' the user typed."""
    posts, joins, message = LOAD_ERRORS[what]
    _small_export(tmp_path / "dump", posts, joins)
    monkeypatch.chdir(tmp_path)
    for given in ("./dump", "./dump/"):
        with pytest.raises(DataError) as info:
            querylang.connect().import_mongo_export(given)
        assert str(info.value).startswith(f"./dump/{message}"), str(info.value)
    res = CliRunner().invoke(main, ["import", "mongo", "./dump", "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and res.stderr.startswith(f"error: ./dump/{message}"), res.output


def test_notes_and_the_folder_s_own_errors_name_it_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_export(tmp_path / "dump")
    (root / "Stray.json").write_text('{"_id": "s1"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    notes = querylang.connect().import_mongo_export("./dump").notes
    assert "./dump/Stray.json: no class Stray in _SCHEMA, file skipped" in notes, notes
    (root / "_SCHEMA.json").unlink()
    with pytest.raises(DataError, match=r"^\./dump: no _SCHEMA\.json"):
        querylang.connect().import_mongo_export("./dump")


def test_only_the_folder_s_own_paths_are_named_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The folder's paths were written as typed by rewriting the message's text afterwards: a
    class named as the folder ('in class ./Post') and a record whose id is a path of the folder
    ('record ./Post/Post.json') were rewritten too. Only the paths the readers name are."""
    (tmp_path / "Post").mkdir()
    (tmp_path / "Post" / "_SCHEMA.json").write_text('{"_id": "Post", "title": "string"}\n', encoding="utf-8")
    (tmp_path / "Post" / "Post.json").write_text('{"_id": "p1"}\n', encoding="utf-8")
    (tmp_path / "Post" / "_Join:fans:Post.json").write_text('{"owningId": "p1", "relatedId": "p1"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as info:
        querylang.connect().import_mongo_export("./Post")
    assert str(info.value) == "./Post/_Join:fans:Post.json: _SCHEMA has no Relation field fans in class Post"
    (tmp_path / "Post" / "_Join:fans:Post.json").unlink()
    (tmp_path / "Post" / "Post.json").write_text('{"_id": "Post/Post.json", "title": 5}\n', encoding="utf-8")
    with pytest.raises(DataError) as info:
        querylang.connect().import_mongo_export("./Post")
    assert str(info.value) == ("./Post/Post.json, line 1: class Post, record Post/Post.json, field title: expected a "
                               "String, got number")


def test_a_record_from_no_file_is_named_by_no_line_of_the_staging_files() -> None:
    """A server's records (parse_server.py) come from no file: the load's error names the
    record, not the line of a staged file the user never saw."""
    db = querylang.connect()
    with Staging() as staging, pytest.raises(DataError) as info:
        staging.define("T", {"n": {"type": "Number"}})
        staging.record("T", {"objectId": "a"})
        staging.record("T", {"objectId": "b", "n": "x"})
        staging.load(db, ImportReport())
    assert str(info.value) == "class T, record b, field n: expected a Number, got string"


def test_a_class_staged_again_after_done_with_keeps_its_places() -> None:
    """The places beside a staged file were padded again for its earlier records when the
    class's file was opened anew after done_with: a later record was named by a wrong line."""
    db = querylang.connect()
    with Staging() as staging, pytest.raises(DataError) as info:
        staging.define("T", {"n": {"type": "Number"}})
        staging.record("T", {"objectId": "a"}, "A.json, line 1")
        staging.record("T", {"objectId": "b"}, "A.json, line 2")
        staging.done_with("T")
        staging.record("T", {"objectId": "c", "n": "x"}, "B.json, line 7")
        staging.load(db, ImportReport())
    assert str(info.value) == "B.json, line 7: class T, record c, field n: expected a Number, got string"


def test_a_document_without_its_dates_is_said_to_be_dated_by_the_import(tmp_path: Path) -> None:
    """A document written into MongoDB by a script, not by Parse, may lack ``_created_at`` and
    ``_updated_at``: the load dated it at the time of the import, and nothing said the export
    held no such date."""
    root = write_export(tmp_path / "dump")
    with (root / "Group.json").open("a", encoding="utf-8") as fh:
        fh.write('{"_id": "g3", "name": "scripted"}\n{"_id": "g4", "name": "half", "_updated_at": {"$date": "2024-03-05T00:00:00Z"}}\n')
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert (f"{root / 'Group.json'}: 2 record(s) without _created_at or _updated_at (the first: line 3): a missing date is the "
            "record's other date, or the time of the import") in report.notes
    assert db.query("Group", {"objectId": "g4"}).records[0]["createdAt"] == "2024-03-05T00:00:00.000Z"
    assert not any(n.startswith(("Post.json", "_User.json")) for n in report.notes), report.notes


def test_a_relation_without_its_join_file_is_said_to_have_no_edges(tmp_path: Path) -> None:
    """The edges of a Relation are in a collection of their own, ``_Join:<key>:<Class>``: an
    export of the classes' collections alone imported the Relation empty without a word."""
    root = write_export(tmp_path / "dump")
    (root / "_Join:members:Group.json").unlink()
    report = querylang.connect().import_mongo_export(root)
    assert report.edges == 3
    assert [n for n in report.notes if n.startswith("no _Join")] == [
        "no _Join:<key>:<Class>.json for Group.members: imported without edges (MongoDB holds such a collection once "
        "the Relation has an edge: export it too if it exists)"]


@pytest.mark.parametrize("at_once", [None, 100], ids=["one set", "spread over parts"])
def test_an_edge_given_twice_is_counted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at_once) -> None:
    """A join file holding a row twice made the summary say 7 relation edges where the load
    stored 6 (a Relation is a set). ``at_once``: a staged edges file larger than that many
    bytes is counted a part at a time."""
    if at_once is not None:
        monkeypatch.setattr(interchange, "_EDGES_AT_ONCE", at_once)
    root = write_export(tmp_path / "dump")
    join = root / "_Join:posts:Group.json"
    rows = join.read_text().splitlines()
    join.write_text("\n".join([*rows, rows[0].replace("65f00", "65f01"), rows[1]]) + "\n")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert report.edges == 6
    assert db.query("Post", {"relatedTo": {"id": "g1", "key": "posts"}}).ids == ["p001", "p003"]
    assert not list(tmp_path.glob("**/edge-parts"))


def test_a_class_of_schema_without_its_file_is_said_to_be_created_empty(tmp_path: Path) -> None:
    """A class ``_SCHEMA`` lists but whose collection was not exported was made empty, though
    it may hold records, and nothing said so."""
    root = write_export(tmp_path / "dump")
    (root / "Group.json").unlink()
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert "Group" in db.schema.classes and db.count("Group", {}) == 0
    assert ("no file for Group (classes in _SCHEMA): created empty (export their collections too if they hold "
            "records)") in report.notes
    assert not any(n.startswith("no file") for n in querylang.connect().import_mongo_export(write_export(tmp_path / "two")).notes)


def test_a_class_of_parse_s_own_in_schema_is_left_out_with_a_note(tmp_path: Path) -> None:
    """An app migrated from parse.com has ``_Product`` (in-app purchases) in ``_SCHEMA``: the
    whole import was refused ("_SCHEMA.json: invalid class name '_Product'")."""
    root = write_export(tmp_path / "dump")
    with (root / "_SCHEMA.json").open("a", encoding="utf-8") as fh:
        fh.write('{"_id": "_Product", "objectId": "string", "productIdentifier": "string", "icon": "file"}\n')
    (root / "_Product.json").write_text('{"_id": "x1", "productIdentifier": "gold"}\n', encoding="utf-8")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert report.counts == {user_class(): 2, "Post": 3, "Group": 2}
    assert not any("Product" in name for name in db.schema.classes)
    assert [n for n in report.notes if "_Product" in n] == [
        f"{root / '_SCHEMA.json'}: Parse's own class _Product left out: only _User, _Role, _Session, _Installation are imported"]


def test_a_mongodump_or_a_folder_above_the_export_says_what_it_is(tmp_path: Path) -> None:
    """mongodump writes BSON, ``dump/<db>/<collection>.bson``; given that folder (or the
    folder above an export), the import said "no _SCHEMA.json (export the _SCHEMA collection
    too ...)", sending the user after a collection that is there."""
    app = tmp_path / "dump" / "app"
    app.mkdir(parents=True)
    for name in ("_SCHEMA", "Post"):
        (app / f"{name}.bson").write_bytes(b"\x05\x00\x00\x00\x00")
        (app / f"{name}.metadata.json").write_text(json.dumps({"indexes": [], "collectionName": name}), encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=r"^.*/app: no _SCHEMA.json \(this is a mongodump, of BSON files: querylang reads "
                                        r"mongoexport's JSON; .* bsondump --outFile NAME.json NAME.bson\)$"):
        db.import_mongo_export(app)
    with pytest.raises(DataError, match=r"/dump: no _SCHEMA.json \(the export is one folder down, in app: import that folder\)$"):
        db.import_mongo_export(app.parent)
    write_export(tmp_path / "up" / "dump")
    with pytest.raises(DataError, match=r"/up: no _SCHEMA.json \(the export is one folder down, in dump: import that folder\)$"):
        db.import_mongo_export(tmp_path / "up")
    assert not db.schema.classes


def test_a_folder_holding_a_parse_com_zip_says_to_unzip_it(tmp_path: Path) -> None:
    """parse.com's export came as a zip; a folder holding it, given to import mongo, was told
    "export the _SCHEMA collection too", a collection parse.com's export never has (import
    dashboard already said to unzip it)."""
    (tmp_path / "exported.ZIP").write_bytes(b"PK\x03\x04")
    db = querylang.connect()
    with pytest.raises(DataError, match=r"no _SCHEMA.json \(it holds a .zip: unzip it, and import the folder of its .json files\)$"):
        db.import_mongo_export(tmp_path)
    assert not db.schema.classes


@pytest.mark.parametrize("name", ["export.zip", "Post.json"])
def test_a_file_given_to_import_mongo_says_what_it_reads(tmp_path: Path, name: str) -> None:
    """docs/importing.md: a zip given as it is, to either importer, is refused saying so. To
    import mongo it was "no such directory" (the library) or "Directory ... is a file" (the
    command), of a file that is there; so was one collection's file given for the folder."""
    path = tmp_path / name
    path.write_bytes(b"PK\x03\x04" if name.endswith(".zip") else b'{"_id": "a"}\n')
    why = "a zip archive, not a mongoexport folder: unzip it" if name.endswith(".zip") else "a file, not a folder: import mongo"
    db = querylang.connect()
    with pytest.raises(DataError, match=f"^{path}: {why}"):
        db.import_mongo_export(path)
    assert not db.schema.classes
    res = CliRunner().invoke(main, ["import", "mongo", str(path), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 2 and f"{path}: {why}" in res.stderr, res.output
    assert not (tmp_path / "x.duckdb").exists()


def test_a_mongodump_of_some_collections_says_it_is_one(tmp_path: Path) -> None:
    """docs/importing.md: a mongodump is refused saying so. One of some collections only
    (``mongodump --collection Post``) has no _SCHEMA.bson, and was told "export the _SCHEMA
    collection too", as if JSON files of the rest were all it lacked."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "Post.bson").write_bytes(b"\x05\x00\x00\x00\x00")
    (app / "Post.metadata.json").write_text(json.dumps({"indexes": [], "collectionName": "Post"}), encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError, match=r"/app: no _SCHEMA.json \(this is a mongodump, of BSON files: .* bsondump "):
        db.import_mongo_export(app)
    assert not db.schema.classes


def test_a_session_of_parse_com_keeps_its_expiry(tmp_path: Path) -> None:
    """parse.com stored _Session's expiresAt as ``_expiresAt`` (Parse Server still reads it so):
    in an app migrated from parse.com it was skipped as "key _expiresAt skipped (not a field in
    _SCHEMA)", and the sessions imported without their expiry."""
    root = write_export(tmp_path / "dump")
    (root / "_Session.json").write_text(
        '{"_id": "s1", "_session_token": "r:old", "_p_user": "_User$u01", "_expiresAt": {"$date": "2016-01-01T00:00:00Z"},'
        ' "_created_at": {"$date": "2015-01-01T00:00:00Z"}, "_updated_at": {"$date": "2015-01-01T00:00:00Z"}}\n')
    db = querylang.connect()
    report = db.import_mongo_export(root)
    session = db.query(detect_target().class_name("_Session"), {}).records[0]
    assert session["expiresAt"] == "2016-01-01T00:00:00.000Z"
    assert not any("_expiresAt" in n for n in report.notes), report.notes


def test_pretty_files_are_read(tmp_path: Path) -> None:
    """``mongoexport --pretty`` writes each document over lines, indented by tabs (no array):
    read a line at a time, the first line "{" was "not valid Extended JSON"."""
    root = write_export(tmp_path / "dump")
    for path in root.glob("*.json"):
        docs = [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln]
        path.write_text("".join(json.dumps(d, indent="\t", ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert report.counts == {user_class(): 2, "Post": 3, "Group": 2} and report.edges == 6
    assert db.query("Post", {"objectId": "p001"}).records[0]["title"] == "relation naïve 3"
    post = root / "Post.json"
    text = post.read_text(encoding="utf-8")
    second = text.index("\n{") + 2  # the first line of the second document
    line = text[:second].count("\n") + 1
    post.write_text(text[:second] + '\n\t"_id": "p002",\n\t"title": ,\n}\n', encoding="utf-8")
    with pytest.raises(DataError, match=rf"^{post}, line {line + 2}: not valid Extended JSON: Expecting value \(column 11\)$"):
        querylang.connect().import_mongo_export(root)


@pytest.mark.parametrize("rperm", ['"role:Admin"', '["*", null]'])
def test_a_permission_list_that_is_no_list_of_names_is_refused(tmp_path: Path, rperm: str) -> None:
    """``_rperm: "role:Admin"`` was read a character at a time: the ACL imported as
    {"r": {"read": true}, "o": ..., ":": ...}, without a word; a null in the list as "None"."""
    root = write_export(tmp_path / "dump")
    line = _append(root / "Group.json", '{"_id": "g3", "_rperm": ' + rperm + '}')
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{re.escape(str(root / 'Group.json'))}, line {line}: class Group, record g3, field _rperm: _rperm must be a list"):
        db.import_mongo_export(root)
    assert not db.schema.classes


def test_a_type_clash_with_a_class_already_loaded_names_the_schema_line(tmp_path: Path) -> None:
    """A _SCHEMA type that clashes with the database's (Post.title a Number there) named no
    file: "class Post, field title: already defined as Number, cannot become String"."""
    root = write_export(tmp_path / "dump")
    line = next(i for i, text in enumerate((root / "_SCHEMA.json").read_text().splitlines(), 1) if '"Post"' in text)
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {"title": {"type": "Number"}}}}, "records": {"Post": []}})
    with pytest.raises(DataError, match=rf"^{root / '_SCHEMA.json'}, line {line}: class Post, field title: already "
                                        "defined as Number, cannot become String$"):
        db.import_mongo_export(root)
    assert set(db.schema.classes) == {"Post"} and not db.query("Post", {}).records


@pytest.mark.parametrize(("acl", "message"), [
    ('{"*": {"r": true}, "role:Admin": "rw"}', """_acl entry 'role:Admin' must be an object like {"r": true, "w": true}, not 'rw'"""),
    ('"role:Admin"', "_acl must be an object of user ids, role:<name> and '*', not 'role:Admin'"),
])
def test_a_legacy_acl_entry_that_is_no_object_is_refused(tmp_path: Path, acl: str, message: str) -> None:
    """A legacy ``_acl`` entry that is no object (``"role:Admin": "rw"``) was skipped without a
    word, and the grant it held was lost from the imported ACL."""
    root = write_export(tmp_path / "dump")
    line = _append(root / "Group.json", '{"_id": "g3", "_acl": ' + acl + '}')
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_mongo_export(root)
    assert str(info.value) == f"{root / 'Group.json'}, line {line}: class Group, record g3, field _acl: {message}"
    assert not db.schema.classes


def test_parse_config_is_imported_for_serve(tmp_path: Path) -> None:
    """Parse keeps its config (Parse.Config, Noodl's Config) in the collection _GlobalConfig;
    import parse-server copied it, a mongoexport's _GlobalConfig.json was skipped, so serve's
    /config answered no parameter. Read as Parse's Mongo adapter reads it back: dates inside
    as Parse's Date objects."""
    root = write_export(tmp_path / "export")
    config = {"_id": "1", "params": {"greeting": "hi", "since": {"$date": "2024-05-01T12:00:00.000Z"}, "n": 3},
              "masterKeyOnly": {"greeting": True}}
    (root / "_GlobalConfig.json").write_text(json.dumps(config) + "\n", encoding="utf-8")
    db = querylang.connect()
    db.import_mongo_export(root)
    assert db.find("Parse_GlobalConfig", {}).records[0] | {"createdAt": None, "updatedAt": None} == {
        "objectId": "1", "createdAt": None, "updatedAt": None,
        "params": {"greeting": "hi", "since": {"__type": "Date", "iso": "2024-05-01T12:00:00.000Z"}, "n": 3},
        "masterKeyOnly": {"greeting": True}}
    (root / "_GlobalConfig.json").write_text(json.dumps({"_id": "1", "params": ["x"]}) + "\n", encoding="utf-8")
    fresh = querylang.connect()
    with pytest.raises(DataError, match=rf"^{re.escape(str(root / '_GlobalConfig.json'))}, line 1: Parse's config needs params"):
        fresh.import_mongo_export(root)
    assert not fresh.schema.classes


def test_a_polygon_with_holes_keeps_its_outer_ring_and_says_so(tmp_path: Path) -> None:
    """Parse reads a Polygon's outer ring alone (GeoJSON's first), and so does the import; the
    inner rings (holes) a document held were left out without a word."""
    root = write_export(tmp_path / "export")
    lines = (root / "Post.json").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["area"]["coordinates"].append([[0.2, 0.2], [0.4, 0.2], [0.4, 0.4], [0.2, 0.2]])
    (root / "Post.json").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n", encoding="utf-8")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert "Post.area: the inner rings (holes) of 1 Polygon(s) left out: Parse reads a Polygon's outer ring alone" in report.notes
    area = db.find("Post", {"objectId": first["_id"]}).records[0]["area"]
    assert area["coordinates"] == [[0, 0], [0, 1], [1, 1], [0, 0]]


@pytest.mark.parametrize(("line", "said"), [
    ('{"title": "no id"}', "class Post: a document without _id \\(MongoDB gives every document one: Parse.s objectId\\)"),  # was "not None"
    ('{"_id": 5, "title": "x"}', "class Post: _id must be a string objectId, not 5"),
    ('{"_id": "p9", "_p_title": "Post$p001"}', None),
])  # fmt: skip
def test_a_document_without_id_or_a_pointer_key_of_no_pointer_is_said_plainly(
    tmp_path: Path, line: str, said: str | None
) -> None:
    root = write_export(tmp_path / "dump")
    at = _append(root / "Post.json", line)
    db = querylang.connect()
    if said is not None:
        with pytest.raises(DataError, match=rf"^{re.escape(str(root / 'Post.json'))}, line {at}: {said}$"):
            db.import_mongo_export(root)
        return
    # title is a String in _SCHEMA: Parse drops its _p_ key. The note said "not a field in
    # _SCHEMA" of a field that is there.
    notes = db.import_mongo_export(root).notes
    assert "Post: key _p_title skipped in 1 document(s) (title is not a Pointer in _SCHEMA)" in notes, notes


@pytest.mark.parametrize("form", FORMS)
def test_an_empty_binary_is_imported_as_the_empty_bytes(tmp_path: Path, form: str) -> None:
    """Parse Server on MongoDB keeps Bytes of no byte (an empty BSON Binary: what it writes for
    a client's base64 "==") and answers them {"__type": "Bytes", "base64": ""}: the import
    refused the whole export for them."""
    import base64

    from .mongo_files import encode

    root = write_export(tmp_path / "dump", form)
    with (root / "Post.json").open("a") as fh:
        fh.write(json.dumps(encode({"_id": "p9", "raw": b""}, form)) + "\n")
    path = tmp_path / "app.duckdb"
    with querylang.connect(str(path)) as db:
        assert db.import_mongo_export(root).counts["Post"] == 4
    with querylang.connect(str(path), read_only=True) as db:  # read back from the file
        empty = {"__type": "Bytes", "base64": ""}
        assert db.query("Post", {"objectId": "p9"}).records[0]["raw"] == empty
        for where, ids in (({"raw": {"equalTo": empty}}, ["p9"]), ({"raw": {"equalTo": ""}}, ["p9"]),
                           ({"raw": {"notEqualTo": ""}}, ["p001", "p002", "p003"]),
                           ({"raw": {"containedIn": ["", base64.b64encode(b"hello").decode()]}}, ["p001", "p9"])):
            assert db.query("Post", where, sort=["objectId"]).ids == db.reference("Post", where, sort=["objectId"]).ids == ids


def test_the_empty_bytes_are_queried_alike_on_each_engine(engine: object, tmp_path: Path) -> None:
    root = _small_export(tmp_path / "dump", '{"_id": "p1", "raw": {"$binary": {"base64": "", "subType": "00"}}}\n'
                         '{"_id": "p2", "raw": {"$binary": {"base64": "QQ==", "subType": "00"}}}\n')
    (root / "_SCHEMA.json").write_text('{"_id": "Post", "raw": "bytes"}\n', encoding="utf-8")
    db = engine()  # type: ignore[operator]
    db.import_mongo_export(root)
    assert [r["raw"] for r in db.query("Post", {}, sort=["objectId"]).records] == [
        {"__type": "Bytes", "base64": ""}, {"__type": "Bytes", "base64": "QQ=="}]
    for where, ids in (({"raw": ""}, ["p1"]), ({"raw": {"notEqualTo": {"__type": "Bytes", "base64": ""}}}, ["p2"])):
        assert db.query("Post", where).ids == db.reference("Post", where).ids == ids


def test_dates_under_parse_s_other_keys_are_the_record_s_dates(tmp_path: Path) -> None:
    """Parse Server reads a document's createdAt and updatedAt keys as its _created_at and
    _updated_at (a document a script wrote into MongoDB names them so): they were skipped as
    keys _SCHEMA does not list, and the record dated by the time of the import."""
    root = _small_export(tmp_path / "dump", '{"_id": "p1", "createdAt": {"$date": "2020-05-01T10:00:00Z"}, '
                         '"updatedAt": {"$date": "2021-06-02T11:00:00.250Z"}}\n')
    db = querylang.connect()
    report = db.import_mongo_export(root)
    record = db.query("Post", {}).records[0]
    assert (record["createdAt"], record["updatedAt"]) == ("2020-05-01T10:00:00.000Z", "2021-06-02T11:00:00.250Z")
    assert not any("createdAt" in n or "_created_at" in n for n in report.notes), report.notes


def test_dates_under_parse_s_other_keys_as_numbers_or_no_date(tmp_path: Path) -> None:
    """Found by review: a createdAt of a number (a script's Date.now(), milliseconds: Parse
    Server reads it with new Date) failed the whole import once those keys were read as the
    record's dates; a value that names no date is skipped with a note, as the keys were before."""
    root = _small_export(tmp_path / "dump", '{"_id": "p1", "createdAt": 1588327200000, "updatedAt": -1.5}\n'
                         '{"_id": "p2", "createdAt": "soon", "updatedAt": true}\n')
    db = querylang.connect()
    report = db.import_mongo_export(root)
    records = {r["objectId"]: r for r in db.query("Post", {}).records}
    assert (records["p1"]["createdAt"], records["p1"]["updatedAt"]) == ("2020-05-01T10:00:00.000Z", "1969-12-31T23:59:59.999Z")
    assert records["p2"]["createdAt"] > "2026"  # dated by the import, as before
    assert any("key createdAt skipped in 1 document(s)" in n for n in report.notes), report.notes
    assert any("key updatedAt skipped in 1 document(s)" in n for n in report.notes), report.notes


def test_a_date_object_holding_a_bson_date_reads_as_parse_reads_it(tmp_path: Path) -> None:
    """Inside an Object or Array, a {"__type": "Date", "iso": <BSON date>} (not what Parse
    Server writes today, but what its Mongo adapter reads back as a Date, its iso made text: a
    script's or an older writer's) was refused, failing the whole import, its iso being no text."""
    root = _small_export(tmp_path / "dump", '{"_id": "p1", "o": {"when": {"__type": "Date", "iso": '
                         '{"$date": "2024-01-02T03:04:05.678Z"}}}, "a": [{"__type": "Date", "iso": {"$date": '
                         '{"$numberLong": "-1000"}}}]}\n')
    (root / "_SCHEMA.json").write_text('{"_id": "Post", "o": "object", "a": "array"}\n', encoding="utf-8")
    db = querylang.connect()
    db.import_mongo_export(root)
    record = db.query("Post", {}).records[0]
    assert record["o"] == {"when": {"__type": "Date", "iso": "2024-01-02T03:04:05.678Z"}}
    assert record["a"] == [{"__type": "Date", "iso": "1969-12-31T23:59:59.000Z"}]
    assert db.query("Post", {"o.when": {"lessThan": {"__type": "Date", "iso": "2024-01-03T00:00:00Z"}}}).ids == ["p1"]


def test_a_class_of_the_app_keeps_its_fields_named_as_parse_s_secrets(tmp_path: Path) -> None:
    """password is a secret of _User alone: Parse Server answers a field of that name of any
    other class as the app's own data. The importers dropped it from every class, without a
    word; authData, a name querylang's schema keeps for itself, is left out with a note."""
    root = _small_export(tmp_path / "dump", '{"_id": "r1", "password": "wifi-1234", "authData": {"k": 1}}\n')
    (root / "_SCHEMA.json").write_text('{"_id": "Router", "password": "string", "authData": "object"}\n', encoding="utf-8")
    (root / "Post.json").rename(root / "Router.json")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert db.query("Router", {}).records[0]["password"] == "wifi-1234"
    assert any("Router" in n and "authData" in n for n in report.notes), report.notes


def test_class_names_that_differ_only_in_case_name_the_schema_file(tmp_path: Path) -> None:
    """Parse keeps Post and post apart; querylang's names ignore case, so the import is refused,
    which the load did naming no file."""
    root = _small_export(tmp_path / "dump", '{"_id": "p1"}\n')
    (root / "_SCHEMA.json").write_text('{"_id": "Post"}\n{"_id": "post"}\n', encoding="utf-8")
    (root / "post.json").write_text('{"_id": "q1"}\n', encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_mongo_export(root)
    assert str(info.value).startswith(f"{root / '_SCHEMA.json'}: class names 'Post' and 'post' differ only in case")
    assert not db.schema.classes

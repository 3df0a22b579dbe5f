"""Parse Dashboard class exports and parse.com {"results": [...]} files (shapes: PARSE-STORAGE.md B.4):
a file, record or value the import refuses is named by its file, record and field, and nothing
is imported."""

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

from .conftest import cli_main as main
from .dashboard_files import write


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


def test_a_join_file_whose_owner_records_show_no_relation_field_says_so(tmp_path: Path) -> None:
    """The owner's file is in the export, its records without the Relation marker: the error
    says what the records lack, not to import the file that is there."""
    path = write(tmp_path / "pc" / "_Join:likers:Post.json", {"results": [{"owningId": "p1", "relatedId": "p1"}]})
    write(tmp_path / "pc" / "Post.json", {"results": [{"objectId": "p1", "title": "x"}]})
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(tmp_path / "pc")
    assert str(info.value) == (
        f"{path}: holds Relation edges of Post.likers, but class Post shows no Relation field likers "
        '(no record of Post holds likers as {"__type": "Relation", "className": ...}, which names its target class)')
    assert not db.schema.classes


def test_a_record_without_an_objectid_is_refused(tmp_path: Path) -> None:
    """Every record Parse exports has an objectId; one without was imported under an id the
    load made up, which no pointer of the export reaches, without a word."""
    path = write(tmp_path / "T.json", {"results": [{"objectId": "a", "n": 1}, {"n": 2}]})
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}, record 2, line \d+: class T: no objectId \(every record Parse exports has one\)$"):
        db.import_dashboard_export(path)
    assert not db.schema.classes


@pytest.mark.parametrize("value", [{"__type": "Relation"}, {"__type": "Pointer", "objectId": "x"}])
def test_a_pointer_or_relation_without_its_class_names_the_file_and_record(tmp_path: Path, value: dict) -> None:
    """Refused by the schema as "class T, field r: Pointer without a targetClass": no file, no record."""
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"objectId": "b", "r": value}])
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{path}, record 2, line \d+: class T, record b, field r: a {value['__type']} without its className$"):
        db.import_dashboard_export(path)
    assert not db.schema.classes


@pytest.mark.parametrize("paths", [[], ()])
def test_an_empty_list_of_paths_is_refused_not_an_import_of_nothing(paths: Any) -> None:
    """db.import_dashboard_export([]) imported nothing and reported it done, where a folder
    without .json files, and the command without PATHS, are refused."""
    db = querylang.connect()
    with pytest.raises(DataError, match=r"^import_dashboard_export needs a path: a Dashboard export file, or a "
                       r"folder of them \(got an empty list\)$"):
        db.import_dashboard_export(paths)
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

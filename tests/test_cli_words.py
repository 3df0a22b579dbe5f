"""One wording per situation across the commands: JSON that cannot be read, an empty file, a
file that is not there. Each names its place (the argument, or the file with its line and
column) and exits 2. In process, as test_cli.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import querylang
from querylang.app.demo import sample_document
from querylang.app.params import check_acl_field

from .test_cli import user_error

BAD = '{"score":\n  }\n'  # line 2, column 3: Expecting value
SAID = "not valid JSON at line 2, column 3: Expecting value"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("find", "Post", "ARG"), "WHERE_JSON"),
        (("query", "Post", "ARG"), "SCRIPT"),
        (("query", "Post", "where({})", "--inputs", "ARG"), "--inputs"),
        (("load", "ARG", "--db", "DB"), None),
    ],
    ids=["find", "query", "inputs", "load"],
)
def test_json_that_cannot_be_read_is_said_one_way_naming_its_place(
    tmp_path: Path, args: tuple[str, ...], named: str | None
) -> None:
    """find said "WHERE_JSON is not valid JSON at ...", query "SCRIPT is not valid JSON at ...",
    --inputs "Invalid value for --inputs: not valid JSON: Expecting value: line 2 column 3 (char 12)"
    and load "FILE: not valid JSON at ...": now all "PLACE: not valid JSON at line L, column C: ..."."""
    path = tmp_path / "bad.json"
    path.write_text(BAD, encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    if named is not None:  # the argument itself, then the same text from a file
        given = [BAD if a == "ARG" else a for a in args]
        assert user_error(*given) == f"error: {named}: {SAID}\n"
    given = [f"@{path}" if a == "ARG" and args[0] != "load" else str(path) if a == "ARG" else db if a == "DB" else a
             for a in args]  # fmt: skip
    assert user_error(*given) == f"error: {path}: {SAID}\n"
    assert not Path(db).exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("find", "Post", "@FILE"), "a JSON object is expected (Parse's where; {} for every record)"),
        (("query", "Post", "where({})", "--inputs", "@FILE"), "a JSON object of input values is expected"),
        (("load", "FILE", "--db", "DB"), "a JSON document is expected (was it cut short?)"),
        (("query", "Post", "where({})", "--data", "FILE"), "a JSON document is expected (was it cut short?)"),
    ],
    ids=["find", "inputs", "load", "data"],
)
def test_an_empty_json_file_is_said_one_way(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    """load and --data said "FILE: an empty file, not a JSON document (was it cut short?)", find
    "FILE: empty, where WHERE_JSON is a JSON object ...", --inputs "Invalid value for --inputs:
    FILE: empty, where ..." with click's usage lines: now all "FILE: empty, where ... is expected"."""
    path = tmp_path / "empty.json"
    path.write_text(" \n", encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    given = [f"@{path}" if a == "@FILE" else str(path) if a == "FILE" else db if a == "DB" else a for a in args]
    assert user_error(*given) == f"error: {path}: empty, where {expected}\n"
    assert not Path(db).exists()


def _places(tmp_path: Path) -> dict[str, str]:
    """Paths the system refuses, each with what the command says of it."""
    (tmp_path / "f.json").write_text("{}", encoding="utf-8")
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    return {
        str(tmp_path / "f.json" / "x.json"): "a part of the path is a file, not a folder",
        str(tmp_path / "loop1"): "a loop of symbolic links",
        str(tmp_path / ("n" * 300 + ".json")): "a name in the path is too long for the file system",
    }


@pytest.mark.parametrize(
    "args",
    [
        ("load", "PATH", "--db", "DB"),
        ("find", "Post", "@PATH"),
        ("query", "Post", "@PATH"),
        ("query", "Post", "where({})", "--inputs", "@PATH"),
        ("query", "Post", "where({})", "--data", "PATH"),
        ("schema", "--data", "PATH"),
        ("import", "dashboard", "PATH", "--db", "DB"),
    ],
    ids=["load", "find", "query", "inputs", "data", "schema", "import"],
)
def test_a_path_the_system_refuses_is_said_in_the_projects_words(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Were Python's "PATH: cannot read: [Errno 20] Not a directory: 'PATH'" (and ELOOP's), and a
    name too long an internal error (exit 1, "OSError: [Errno 36] File name too long")."""
    db = tmp_path / "x.duckdb"
    for path, said in _places(tmp_path).items():
        given = [a.replace("PATH", path) if "PATH" in a else str(db) if a == "DB" else a for a in args]
        err = user_error(*given)
        assert err == f"error: {path}: cannot read: {said}\n"
        assert not db.exists()


def test_a_database_or_data_name_too_long_is_a_user_error(tmp_path: Path) -> None:
    """Was an internal error (exit 1): "OSError: [Errno 36] File name too long"."""
    long = str(tmp_path / ("n" * 300))
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps(sample_document()), encoding="utf-8")
    too_long = "a name in the path is too long for the file system"
    said = f"error: cannot open database {long}.duckdb: {too_long}\n"
    assert user_error("query", "Post", "", "--db", long + ".duckdb") == said
    assert user_error("load", str(sample), "--db", long + ".duckdb") == said
    assert user_error("query", "Post", "", "--data", long + ".json") == f"error: {long}.json: cannot read: {too_long}\n"


def test_serve_names_a_missing_or_refused_data_file_as_the_other_commands_do(tmp_path: Path) -> None:
    """Was click's "Invalid value for '--data': Path 'x' does not exist." with its usage lines."""
    keys = ("--app-id", "a", "--master-key", "m")
    missing = tmp_path / "nope.json"
    assert user_error("serve", *keys, "--data", str(missing)) == f"error: no such data file: {missing}\n"
    assert user_error("query", "Post", "", "--data", str(missing)) == f"error: no such data file: {missing}\n"
    for path, said in _places(tmp_path).items():
        assert user_error("serve", *keys, "--data", path) == f"error: {path}: cannot read: {said}\n"


SERVE = ("serve", "--app-id", "a", "--master-key", "m", "--port", "0")


def test_serve_refuses_an_acl_field_no_class_holds_or_of_another_type(tmp_path: Path) -> None:
    """Both were served: every record of every class read as holding no ACL, public to all."""
    assert user_error(*SERVE, "--acl-field", "nope") == (
        "error: --acl-field nope: no class has a field nope: give the Object or ACL field that holds "
        "each record's ACL\n")
    assert user_error(*SERVE, "--acl-field", "title") == (
        "error: --acl-field title: field title of class Post is a String, where the field holding each "
        "record's ACL is an Object or an ACL\n")


def test_serve_takes_an_acl_field_some_class_holds_acls_in() -> None:
    """A class whose field of that name is of another type is served beside it (docs/serve.md)."""
    db = querylang.connect()
    db.load({"classes": {"Level": {"fields": {"acl": {"type": "String"}}}, "Note": {"fields": {"acl": {"type": "Object"}}},
                         "Doc": {"fields": {"ACL": {"type": "ACL"}}}}})  # fmt: skip
    check_acl_field(db.schema, "acl")
    check_acl_field(db.schema, "ACL")
    with pytest.raises(querylang.DataError, match="^--acl-field text: no class has a field text"):
        check_acl_field(db.schema, "text")


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ('{"n": "x"}', "class T, field n: expected a Number, got string"),
        ("5", "class T: not a JSON object"),
        ('{"objectId": 5}', "class T: objectId must be a non-empty string"),
    ],
    ids=["field", "not-an-object", "objectid"],
)
def test_load_names_a_record_of_its_own_format_by_its_line_alone(tmp_path: Path, record: str, said: str) -> None:
    """Were "own.json, line 4: class T, record #1, field n: ..." and "T.ndjson, line 2: class T:
    record #1: objectId ...": the line and the count from 0, the same record named twice."""
    doc = tmp_path / "own.json"
    doc.write_text('{"classes": {"T": {"fields": {"n": {"type": "Number"}}}},\n "records": {"T": [\n'
                   f'   {{"objectId": "a", "n": 1}},\n   {record}\n ]}}}}\n', encoding="utf-8")  # fmt: skip
    db = str(tmp_path / "x.duckdb")
    assert user_error("load", str(doc), "--db", db) == f"error: {doc}, line 4: {said}\n"
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "schema.json").write_text('{"classes": {"T": {"fields": {"n": {"type": "Number"}}}}}', encoding="utf-8")
    (folder / "T.ndjson").write_text('{"objectId": "a", "n": 1}\n' + record + "\n", encoding="utf-8")
    assert user_error("load", str(folder), "--db", db) == f"error: {folder / 'T.ndjson'}, line 2: {said}\n"
    # A document given as a dict has no lines: its records are still named by their count.
    rows = [{"objectId": "a", "n": 1}, json.loads(record)]
    with pytest.raises(querylang.DataError, match=r"record #1"):
        querylang.connect().load({"classes": {"T": {"fields": {"n": {"type": "Number"}}}}, "records": {"T": rows}})


def test_a_refused_path_the_user_did_not_give_is_a_fault_not_their_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by review: any OSError naming a file was said as the user's error (exit 2), a file
    of the package gone or an engine's temporary file too, which sent the user looking for a
    mistake of theirs. Only a path they gave (or a file inside a folder they gave) is theirs."""
    import errno

    from querylang.app import read_commands

    from .test_cli import ql

    data = tmp_path / "data"
    data.mkdir()
    refused: list[str] = []

    def fail(*args: object, **kw: object) -> None:
        raise OSError(errno.ENOENT, "No such file or directory", refused[-1])

    monkeypatch.setattr(read_commands, "open_db", fail)
    for theirs in (str(data), str(data / "Post.ndjson")):
        refused.append(theirs)
        said = user_error("compile", "Post", "where({})", "--data", str(data))
        assert said == f"error: {theirs}: no such file or folder\n"
    package = Path(querylang.__file__).parent / "grammar" / "gone.lark"
    for ours in (str(package), str(tmp_path / "engine-temp" / "spill.tmp")):
        refused.append(ours)
        res = ql("compile", "Post", "where({})", "--data", str(data))
        assert res.returncode == 1, res.stderr
        assert res.stderr.startswith("internal error: FileNotFoundError: ") and ours in res.stderr


@pytest.mark.parametrize(
    ("args", "named", "expected"),
    [
        (("find", "Post", "ARG"), "WHERE_JSON", "a JSON object (Parse's where), e.g. '{\"score\": {\"$gt\": 10}}'"),
        (("query", "Post", "where({})", "--inputs", "ARG"), "--inputs", "a JSON object of input values, e.g. '{\"Min\": 5}'"),
    ],
    ids=["find", "inputs"],
)
def test_json_that_is_no_object_is_said_one_way_naming_its_place(
    tmp_path: Path, args: tuple[str, ...], named: str, expected: str
) -> None:
    """Found by review: --inputs '[1]' was click's "Invalid value for --inputs: must be a JSON
    object of input values" with its usage lines, and a file of find's named "WHERE_JSON", where
    the JSON each cannot read names its place."""
    path = tmp_path / "list.json"
    path.write_text("[1]", encoding="utf-8")
    for given, place in (("[1]", named), (f"@{path}", str(path))):
        said = user_error(*[given if a == "ARG" else a for a in args])
        assert said == f"error: {place}: must be {expected}\n"


@pytest.mark.parametrize("given", ["d", "d/", "./d"])
def test_load_of_a_folder_names_its_schema_json_by_the_path_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  given: str) -> None:
    """A class schema.json defines wrongly was said of "schema.json" alone, no folder named,
    where the same file's JSON errors name "d/schema.json": both now name the path given, as
    typed ("./d/schema.json" of ./d, where Python's Path writes "d")."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    schema = tmp_path / "d" / "schema.json"
    db = str(tmp_path / "x.duckdb")
    schema.write_text('{"classes": {\n "A": {"fields": {"x": {"type": "Nope"}}}}}', encoding="utf-8")
    shown = given.rstrip("/") + "/schema.json"
    assert user_error("load", given, "--db", db) == f"error: {shown}, line 2: class A, field x: unknown type 'Nope'\n"
    schema.write_text('{"classes": {\n "A": {"fields": {}}\n', encoding="utf-8")
    assert user_error("load", given, "--db", db).startswith(f"error: {shown}: not valid JSON at line 3, column 1: ")


@pytest.mark.parametrize(("content", "kind"), [
    ('[{"objectId": "a", "title": "x"}]',
     "not an array (records as Parse Dashboard exports them: querylang import dashboard (db.import_dashboard_export) reads those)"),
    ("[1, 2]", "not an array"), ("5", "not a number"), ("null", "not null"), ('"x"', "not a string"),
])
def test_a_data_file_that_is_no_document_says_what_it_is(tmp_path: Path, content: str, kind: str) -> None:
    """Was "FILE: the top level must be an object with 'classes', 'records', 'relations'" and
    no more, of a Dashboard export given to load as of anything else."""
    path = tmp_path / "Post.json"
    path.write_text(content, encoding="utf-8")
    said = f"{path}: the top level must be an object with 'classes', 'records', 'relations', {kind}"
    assert user_error("load", str(path), "--db", str(tmp_path / "x.duckdb")) == f"error: {said}\n"
    assert user_error("query", "Post", "where({})", "--data", str(path)) == f"error: {said}\n"
    with pytest.raises(querylang.DataError) as info:
        querylang.connect().load(path)
    assert str(info.value) == said

"""The ``querylang`` command given input that is empty, damaged or of the wrong kind: each is a
user error (exit 2) on one line naming the file, and changes nothing. In process, as test_cli.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from . import test_cli
from .test_cli import GT10, ok, ql, user_error

sample_file = test_cli.sample_file
sample_db = test_cli.sample_db

BLOCK = 262_144  # DuckDB's block size
EVERY = "(to list every record, give an empty SCRIPT '' or where({}))"


@pytest.mark.parametrize("text", ["", "\n  \n", "\r\n", "\ufeff\n"], ids=["empty", "blank", "crlf", "bom"])
@pytest.mark.parametrize("command", ["query", "compile"])
def test_an_empty_script_file_is_refused_naming_it(tmp_path: Path, command: str, text: str) -> None:
    """An empty @FILE listed every record, as an empty SCRIPT argument does: a script saved
    empty or the wrong file is the likelier meaning, as an empty line asks the REPL for nothing."""
    path = tmp_path / "filter.js"
    path.write_text(text, encoding="utf-8", newline="")
    err = user_error(command, "Post", f"@{path}")
    assert err == f"error: {path}: empty, so it asks for no query {EVERY}\n"
    assert user_error(command, "Post", "-", stdin=text) == (
        f"error: SCRIPT (standard input): empty, so it asks for no query {EVERY}\n")
    # The empty argument still lists every record, and a file with a script still runs.
    assert "1 record" in ok("query", "Post", "", "--limit", "1")
    path.write_text(text + GT10, encoding="utf-8", newline="")
    ok(command, "Post", f"@{path}")


def test_a_script_file_that_asks_for_no_query_is_named(tmp_path: Path) -> None:
    path = tmp_path / "filter.js"
    path.write_text("// where({ score: { greaterThan: 10 } })\n", encoding="utf-8")
    err = user_error("query", "Post", f"@{path}")
    assert err == f"error: SCRIPT ({path}) ran without calling where(), filter() or sort(), so it asks for no query {EVERY}\n"
    # Standard input is named as an empty one is (it was plain "SCRIPT"), the hint worded alike
    # (was "(an empty SCRIPT or where({}) lists every record)").
    err = user_error("compile", "Post", "-", stdin=path.read_text(encoding="utf-8"))
    assert err == f"error: SCRIPT (standard input) ran without calling where(), filter() or sort(), so it asks for no query {EVERY}\n"


def test_an_empty_where_or_inputs_file_is_named_as_empty(tmp_path: Path) -> None:
    """Both were "not valid JSON at line 1, column 1: Expecting value"."""
    path = tmp_path / "where.json"
    path.write_text("\n", encoding="utf-8")
    assert user_error("find", "Post", f"@{path}") == (
        f"error: {path}: empty, where a JSON object is expected (Parse's where; {{}} for every record)\n")
    assert user_error("find", "Post", "-", stdin=" \n") == ("error: WHERE_JSON (standard input): empty, where "
                                                           "a JSON object is expected (Parse's where; {} for every record)\n")
    # A blank argument too (it was "WHERE_JSON: not valid JSON at line 1, column 1: Expecting value").
    assert user_error("find", "Post", "") == ("error: WHERE_JSON: empty, where a JSON object is expected "
                                             "(Parse's where; {} for every record)\n")
    assert user_error("query", "Post", "", "--inputs", " ") == (
        "error: --inputs: empty, where a JSON object of input values is expected\n")
    err = user_error("query", "Post", "", "--inputs", f"@{path}")
    # Said as the other empty files are ("PATH: empty, where ..."; was "PATH is empty, where ...").
    assert err == f"error: {path}: empty, where a JSON object of input values is expected\n"


@pytest.mark.parametrize("damage", ["cut short", "overwritten"])
@pytest.mark.parametrize("command", [("query", "Post", GT10), ("schema",), ("load", "DATA")])
def test_a_damaged_database_file_is_a_user_error_and_stays_as_it_was(
    tmp_path: Path, sample_db: Path, sample_file: Path, damage: str, command: tuple[str, ...]
) -> None:
    """A database file cut short (a copy interrupted) or partly overwritten was an internal
    error (exit 1, "cannot read the database ...: IO Error: Could not read enough bytes")."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(sample_db, path)
    size = path.stat().st_size
    with path.open("r+b") as fh:
        if damage == "cut short":
            fh.truncate(size // 3)
        else:
            fh.seek(size // 2)
            fh.write(b"\xff" * 8192)
    before = path.read_bytes()
    args = [str(sample_file) if a == "DATA" else a for a in command]
    res = ql(*args, "--db", str(path))
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith(f"error: cannot read the database {path}: the file is damaged (cut short or partly "
                                 "overwritten): use a whole copy of it, or load the data again ("), res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and res.stdout == ""
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.duckdb"]


def test_a_block_only_a_query_reads_found_damaged_is_the_same_user_error(tmp_path: Path) -> None:
    """A block of the records, read first by a query, was "the database rejected the query:
    Corrupt database file ..." (exit 1, a fault of the engine), where the same file damaged
    in a block an open reads was a user error."""
    import querylang

    data = tmp_path / "many.json"
    records = [{"objectId": f"o{i:06d}", "n": i, "s": f"text {i} " * 5} for i in range(20_000)]
    data.write_text(json.dumps({"classes": {"T": {"fields": {"n": {"type": "Number"}, "s": {"type": "String"}}}},
                                "records": {"T": records}}), encoding="utf-8")
    whole = tmp_path / "whole.duckdb"
    ok("load", str(data), "--db", str(whole))
    path = tmp_path / "copy.duckdb"
    at_query = 0
    for block in range(whole.stat().st_size // BLOCK):  # DuckDB's blocks follow a 12 KiB header
        shutil.copy(whole, path)
        with path.open("r+b") as fh:
            fh.seek(12288 + block * BLOCK + 100)
            fh.write(b"\xfe" * 4000)
        try:
            querylang.connect(path, read_only=True).close()
        except querylang.DataError:
            continue  # found at the open: test_a_damaged_database_file_is_a_user_error_...
        before = path.read_bytes()
        res = ql("query", "T", "where({n: {greaterThan: 19990}})", "--db", str(path), "--format", "jsonl")
        if res.returncode == 0:  # a block of what the query does not read
            continue
        at_query += 1
        assert res.returncode == 2, res.stderr
        assert res.stderr.startswith(f"error: cannot read the database {path}: the file is damaged (cut short or "
                                     "partly overwritten)"), res.stderr
        assert path.read_bytes() == before
    assert at_query > 0


@pytest.mark.parametrize(("args", "what"), [
    (("query", "Post", "@DIR"), "script"),
    (("find", "Post", "@DIR"), "where"),
    (("query", "Post", "", "--inputs", "@DIR"), "inputs"),
])  # fmt: skip
def test_a_folder_given_for_a_file_is_named_as_one(tmp_path: Path, args: tuple[str, ...], what: str) -> None:
    """Was "cannot read: [Errno 21] Is a directory: 'DIR'"."""
    err = user_error(*[a.replace("DIR", str(tmp_path)) for a in args])
    assert err == f"error: {tmp_path} is a folder, where the {what} file was expected\n"


@pytest.mark.parametrize("command", [("query", "Post", ""), ("load", "DATA"), ("import", "dashboard", "DATA"),
                                     ("serve", "--app-id", "a", "--master-key", "m")])
def test_a_folder_given_for_the_database_is_named_as_the_open_names_it(
    tmp_path: Path, sample_file: Path, command: tuple[str, ...]
) -> None:
    """click said "Invalid value for '--db': File 'DIR' is a directory." with its usage lines,
    where the library and an @FILE say "is a folder"."""
    err = user_error(*[str(sample_file) if a == "DATA" else a for a in command], "--db", str(tmp_path))
    assert err == f"error: {tmp_path} is a folder, not a database file\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [("load", "DATA"), ("import", "dashboard", "DATA")])
def test_a_new_database_in_a_folder_that_is_not_there_is_named(
    tmp_path: Path, sample_file: Path, command: tuple[str, ...]
) -> None:
    """Was DuckDB's 'IO Error: Cannot open file "/abs/path/x.duckdb": No such file or directory'."""
    for folder in (tmp_path / "nodir", sample_file):  # not there; a file, not a folder
        db = folder / "x.duckdb"
        err = user_error(*[str(sample_file) if a == "DATA" else a for a in command], "--db", str(db))
        assert err == f"error: cannot open database {db}: there is no folder {folder} to make it in\n"
    assert not (tmp_path / "nodir").exists()


@pytest.mark.parametrize("args", [
    ("load", "", "--db", "x.duckdb"), ("import", "mongo", " ", "--db", "x.duckdb"),
    ("import", "dashboard", "", "--db", "x.duckdb"), ("query", "Post", "", "--db", ""), ("schema", "--data", ""),
    ("load", "x.json", "--db", " "), ("import", "dashboard", "x.json", "--db", ""),
])  # fmt: skip
def test_an_empty_path_is_a_usage_error_not_the_current_folder(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Path('') is '.': the errors named a folder nobody gave ('. is a folder, not a database
    file', '.: no _SCHEMA.json'), and a load or import read the current folder."""
    res = ql(*args, cwd=tmp_path)
    # --db takes a file or a URL, never a folder (it said "give a file or folder name").
    said = "a DuckDB file or a postgresql:// URL" if args[-2] == "--db" and not args[-1].strip() else "a file or folder name"
    assert res.returncode == 2 and f"is empty: give {said}" in res.stderr, res.stderr
    assert "'.'" not in res.stderr and ". is" not in res.stderr and not list(tmp_path.iterdir())


def test_load_and_import_read_a_path_under_the_home_folder(tmp_path: Path, sample_file: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`load=~/x.json` reaches the command with its ~ (no shell expands it after an '=')."""
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(sample_file, tmp_path / "sample.json")
    assert "loaded 176 records" in ok("load", "~/sample.json", "--db", str(tmp_path / "a.duckdb"))
    (tmp_path / "T.json").write_text('[{"objectId": "a", "n": 1}]', encoding="utf-8")
    assert "imported 1 record" in ok("import", "dashboard", "~/T.json", "--db", str(tmp_path / "a.duckdb"))


@pytest.mark.parametrize(("args", "said"), [
    (("schema", "--data=~/bad.json"), "~/bad.json: not valid JSON at line 2"),
    (("schema", "--data=~/nope.json"), "no such data file: ~/nope.json"),
    (("query", "Post", "", "--data=~/d/"), "~/d/Post.ndjson, line 1: not valid JSON"),
    (("import", "mongo", "~/empty", "--db", "DB"), "~/empty: no _SCHEMA.json"),
    (("schema", "--data=~/m/"), "~/m: an interchange directory needs a schema.json; this folder looks like a "
                                "mongoexport of a Parse database (it has a _SCHEMA.json): import it with: "
                                "querylang import mongo '~/m/' --db FILE.duckdb"),
    (("load", "~/bad.json", "--db", "DB"), "~/bad.json: not valid JSON at line 2"),
    (("load", "~/list.json", "--db", "DB"), "~/list.json: "),
    (("load", "~/latin1.json", "--db", "DB"), "~/latin1.json: not UTF-8"),
    (("serve", "--data", "./empty/", "--app-id", "a", "--master-key", "k"), "./empty holds no classes: nothing to serve"),
    (("serve", "--data=~/empty/", "--app-id", "a", "--master-key", "k"), "~/empty holds no classes: nothing to serve"),
])
def test_a_data_path_is_named_as_typed_in_every_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        args: tuple[str, ...], said: str) -> None:
    """Found by review: --data=~/d/ was named '~/d' when missing and '/home/me/d/Post.ndjson'
    by the load, and serve --data ./d/ of a folder without classes kept the '/' the load's
    messages leave out: one path, one name, as typed."""
    (tmp_path / "bad.json").write_text('{"classes":\n', encoding="utf-8")
    (tmp_path / "list.json").write_text("[]", encoding="utf-8")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "_SCHEMA.json").write_text("[]", encoding="utf-8")
    (tmp_path / "latin1.json").write_bytes('{"classes": {"Caf\xe9": {}}}'.encode("latin-1"))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {"Post": {"fields": {}}}}', encoding="utf-8")
    (tmp_path / "d" / "Post.ndjson").write_text('{"objectId": "p1",\n', encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "schema.json").write_text('{"classes": {}}', encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    err = user_error(*(str(tmp_path / "a.duckdb") if a == "DB" else a for a in args), cwd=tmp_path)
    assert f"error: {said}" in err and str(tmp_path) not in err, err


@pytest.mark.parametrize(("args", "said"), [
    (("query", "--db=~/none.duckdb", "Post", ""), "no such database file: ~/none.duckdb"),
    (("query", "--db=~/fold/", "Post", ""), "~/fold is a folder, not a database file"),
    (("load", "--db=~/fold", "DATA"), "~/fold is a folder, not a database file"),
    (("load", "--db=~/nodir/x.duckdb", "DATA"), "cannot open database ~/nodir/x.duckdb: there is no folder ~/nodir"),
    (("query", "--db=~/empty.duckdb", "Post", ""), "~/empty.duckdb is an empty file, not a DuckDB database"),
    (("query", "--db=~/d.json", "Post", ""), "~/d.json is not a DuckDB database: it looks like a JSON file"),
    (("query", "--db=~/bad.duckdb", "Post", ""), "cannot read the database ~/bad.duckdb: the file is damaged"),
])
def test_a_db_path_is_named_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_file: Path,
                                     args: tuple[str, ...], said: str) -> None:
    """Found by review: --db=~/x.duckdb was named by its expanded path ('no such database file:
    /home/me/x.duckdb', '/home/me/fold is a folder'), where --data=~/x is named as typed."""
    (tmp_path / "fold").mkdir()
    (tmp_path / "empty.duckdb").touch()
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    # DuckDB's own refusal: a file with its magic bytes and nothing else it can read.
    (tmp_path / "bad.duckdb").write_bytes(b"\0" * 8 + b"DUCK" + b"\xff" * 64)
    monkeypatch.setenv("HOME", str(tmp_path))
    err = user_error(*(str(sample_file) if a == "DATA" else a for a in args), cwd=tmp_path)
    # What DuckDB said, in brackets, names the file as typed too (it named /home/me/bad.duckdb).
    assert f"error: {said}" in err and str(tmp_path) not in err, err


def test_the_repl_load_of_an_empty_name_is_a_usage_error(tmp_path: Path) -> None:
    """`.load ""` read the current folder: ".: an interchange directory needs a schema.json"."""
    from .repl import piped

    status, out = piped('.load ""\n', tmp_path)
    assert status == 2 and "error: usage: .load FILE" in out and ".:" not in out, out


NOT_A_FOLDER = "a part of the path is a file, not a folder"  # the system's ENOTDIR, as serve said it


@pytest.mark.parametrize("args", [("load", "./none.json/", "--db", "DB"), ("schema", "--data=./none.json/"),
                                  ("serve", "--data=./none.json//", "--app-id", "a", "--master-key", "k")])
def test_a_file_named_with_a_trailing_slash_is_refused(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Found by review: Path drops a trailing '/', so `load ./none.json/` loaded the file, where
    the system refuses to open it (not a directory)."""
    (tmp_path / "none.json").write_text('{"classes": {"Post": {"fields": {}}}, "records": {}}', encoding="utf-8")
    err = user_error(*(str(tmp_path / "a.duckdb") if a == "DB" else a for a in args), cwd=tmp_path)
    slashes = "//" if args[0] == "serve" else "/"
    assert f"error: ./none.json{slashes}: cannot read: {NOT_A_FOLDER}" in err, err
    assert not (tmp_path / "a.duckdb").exists()


def test_the_library_and_the_repl_refuse_a_file_named_with_a_trailing_slash(tmp_path: Path) -> None:
    """db.load('x.json/') and the REPL's `.load x.json/` loaded the file x.json."""
    import querylang

    from .repl import piped

    file = tmp_path / "none.json"
    file.write_text('{"classes": {"Post": {"fields": {}}}, "records": {}}', encoding="utf-8")
    db = querylang.connect()
    with pytest.raises(querylang.DataError, match=f"cannot load {file}/: {NOT_A_FOLDER} \\(nothing was loaded\\)"):
        db.load(f"{file}/")
    assert not db.schema.classes, db.schema
    status, out = piped(f".load {file}/\n", tmp_path)
    assert status == 2 and f"error: {file}/: cannot read: {NOT_A_FOLDER}" in out and "loaded" not in out, out


@pytest.mark.parametrize("command", [("load", "FILE", "--db", "DB"), ("import", "dashboard", "FILE", "--db", "DB"),
                                     ("schema", "--data", "FILE")])
def test_a_data_file_with_a_byte_order_mark_is_said_so_alike(tmp_path: Path, command: tuple[str, ...]) -> None:
    """load and import said "not valid JSON at line 1, column 1: starts with a byte order mark",
    --data the same file without the JSON error's place."""
    path = tmp_path / "T.json"
    path.write_text('\ufeff[{"objectId": "a"}]', encoding="utf-8")
    db = tmp_path / "x.duckdb"
    err = user_error(*[str(path) if a == "FILE" else str(db) if a == "DB" else a for a in command])
    assert err == f"error: {path}: starts with a byte order mark (BOM): save it as UTF-8 without one\n"
    assert not db.exists()


@pytest.mark.parametrize("name", ["_SCHEMA.json", "T.json"])
def test_a_mongoexport_file_with_a_byte_order_mark_is_said_so_as_the_others_are(tmp_path: Path, name: str) -> None:
    """import mongo said "FILE, line 1: not valid Extended JSON: starts with a byte order mark
    (BOM): ... (column 1)", where load and import dashboard say "FILE: starts with ..."."""
    (tmp_path / "_SCHEMA.json").write_text('{"_id": "T", "n": "number"}\n', encoding="utf-8")
    (tmp_path / "T.json").write_text('{"_id": "a", "n": 1}\n', encoding="utf-8")
    path = tmp_path / name
    path.write_text("\ufeff" + path.read_text(encoding="utf-8"), encoding="utf-8")
    db = tmp_path / "x.duckdb"
    err = user_error("import", "mongo", str(tmp_path), "--db", str(db))
    assert err == f"error: {path}: starts with a byte order mark (BOM): save it as UTF-8 without one\n"
    assert not db.exists()


def test_a_where_or_inputs_file_with_a_byte_order_mark_is_said_so_as_a_data_file_is(tmp_path: Path) -> None:
    """They said "not valid JSON at line 1, column 1: starts with a byte order mark", and
    --inputs added Python's "line 1 column 1 (char 0)" after it."""
    path = tmp_path / "w.json"
    path.write_text('\ufeff{"score": 5}', encoding="utf-8")
    bom = "starts with a byte order mark (BOM): save it as UTF-8 without one"
    assert user_error("find", "Post", f"@{path}") == f"error: {path}: {bom}\n"
    # With the colon the others have (was "PATH starts with ...").
    assert user_error("query", "Post", "", "--inputs", f"@{path}") == f"error: {path}: {bom}\n"


def test_a_short_read_of_another_file_does_not_call_the_database_damaged(tmp_path: Path, sample_db: Path) -> None:
    """DuckDB names the file it could not read whole: a data file a load reads says nothing of
    the database, whose error would send the user to a copy of a healthy file."""
    import duckdb

    from querylang.engines.duckdb.paths import damaged

    said = 'IO Error: Could not read enough bytes from file "{}": attempted to read 8 bytes from location 0'
    other = tmp_path / "data.json"
    other.write_text("{}", encoding="utf-8")
    assert damaged(duckdb.IOException(said.format(sample_db)), str(sample_db))
    assert not damaged(duckdb.IOException(said.format(other)), str(sample_db))


def _storage_version(path: Path, version: int) -> None:
    """Write ``version`` as the file's storage version, with the header checksum DuckDB checks
    (its 8-byte words, each times a constant, XORed together, after the checksum itself)."""
    import struct

    def checksum(block: bytes) -> int:
        out = 5381
        for (word,) in struct.iter_unpack("<Q", block):
            out ^= (word * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        return out

    head = bytearray(path.read_bytes()[:4096])
    assert struct.unpack_from("<Q", head)[0] == checksum(bytes(head[8:])), "DuckDB's header checksum changed"
    struct.pack_into("<Q", head, 12, version)
    struct.pack_into("<Q", head, 0, checksum(bytes(head[8:])))
    with path.open("r+b") as fh:
        fh.write(head)


@pytest.mark.parametrize(("version", "made_by"), [(1000, "a newer version of DuckDB"), (39, "DuckDB version v0.6.0")])
def test_a_database_file_of_another_duckdb_is_said_so_on_one_line(
    tmp_path: Path, sample_db: Path, version: int, made_by: str
) -> None:
    """DuckDB's refusal ran over five lines, its advice and a web page after the first two."""
    import duckdb

    path = tmp_path / "other.duckdb"
    shutil.copy(sample_db, path)
    _storage_version(path, version)
    err = user_error("schema", "--db", str(path))
    assert err.startswith(f"error: cannot open database {path}: IO Error: Trying to read a database file with "
                          f"storage version number {version}, but"), err
    assert f"created with {made_by}" in err and err.endswith(f"(querylang runs on DuckDB {duckdb.__version__})\n")
    assert len(err.splitlines()) == 1



def test_a_db_path_typed_with_a_tilde_is_named_so_in_reports(tmp_path: Path, sample_file: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: `load ... --db=~/a.duckdb` reported 'loaded 176 records into
    /home/me/a.duckdb', and `repl --db=~/n.duckdb` 'note: /home/me/n.duckdb did not exist'."""
    monkeypatch.setenv("HOME", str(tmp_path))
    shutil.copy(sample_file, tmp_path / "sample.json")
    out = ok("load", "~/sample.json", "--db=~/a.duckdb", cwd=tmp_path)
    assert "loaded 176 records into ~/a.duckdb: " in out and str(tmp_path) not in out, out
    res = ql("repl", "--db=~/n.duckdb", cwd=tmp_path, stdin=".quit\n")
    assert "note: ~/n.duckdb did not exist" in res.stderr and str(tmp_path) not in res.stderr, res.stderr


@pytest.mark.parametrize("typed", ["bad.duckdb", "./bad.duckdb"])
def test_a_damaged_database_is_named_as_typed_in_duckdbs_words_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   typed: str) -> None:
    """Found by review: the message named the file as typed, then quoted DuckDB's text naming it
    by its full path ('Could not read enough bytes from file "/home/me/bad.duckdb"'); the
    command's --db=~/bad.duckdb is test_a_db_path_is_named_as_typed's."""
    import querylang

    (tmp_path / "bad.duckdb").write_bytes(b"\0" * 8 + b"DUCK" + b"\xff" * 64)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(querylang.DataError) as info:
        querylang.connect(typed, read_only=True)
    said = str(info.value)
    assert said.startswith(f"cannot read the database {typed}: the file is damaged"), said
    assert f'from file "{typed}"' in said and str(tmp_path) not in said, said

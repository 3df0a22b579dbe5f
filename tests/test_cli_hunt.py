"""The ``querylang`` command met as a user meets it: odd flags and inputs, in process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .repl import piped
from .test_cli import ql


@pytest.mark.parametrize(
    "command", [("query", "Post", ""), ("load", "x.json"), ("schema",), ("serve", "--app-id", "a", "--master-key", "k")]
)
def test_db_url_of_another_scheme_is_named_as_given(command: tuple[str, ...], tmp_path: Path) -> None:
    res = ql(*command, "--db", "mysql://u@localhost/app", cwd=tmp_path)
    assert res.returncode == 2
    assert "mysql:// is not a database querylang opens" in res.stderr
    assert "mysql:/u" not in res.stderr
    assert not list(tmp_path.iterdir())


def test_repl_relation_is_capped_by_limit(tmp_path: Path) -> None:
    # Group g2's members are u04 and u07: .limit 1 shows one, and says there are more.
    status, out = piped(".limit 1\n.relation Group g2 members\n.limit off\n.relation Group g2 members\n", tmp_path)
    assert status == 0, out
    first, second = out.split("showing all records")
    assert "u04" in first and "u07" not in first and "(.limit N shows more" in first
    assert "u04" in second and "u07" in second and "2 records" in second


def test_find_names_the_where_file_that_is_not_json(tmp_path: Path) -> None:
    (tmp_path / "where.json").write_text('{\n  "score":\n}\n')
    res = ql("find", "Post", "@where.json", cwd=tmp_path)
    assert res.returncode == 2
    assert "error: where.json: not valid JSON at line 3, column 1" in res.stderr
    res = ql("find", "Post", '{"score":')
    assert "error: WHERE_JSON: not valid JSON at line 1, column 10" in res.stderr


def test_inputs_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "in.json").write_text('{"Min": 1,\n')
    res = ql("query", "Post", "where({})", "--inputs", "@in.json", cwd=tmp_path)
    assert res.returncode == 2
    assert "error: in.json: not valid JSON at line 2, column 1" in res.stderr


def test_a_one_byte_value_reads_1_byte() -> None:
    from querylang.app.render import value_text
    from querylang.model.schema import Field

    field = Field("y", "Bytes")
    assert value_text(field, {"__type": "Bytes", "base64": "QQ=="}) == "1 byte"
    assert value_text(field, {"__type": "Bytes", "base64": "QUI="}) == "2 bytes"
    assert value_text(field, {"__type": "Bytes", "base64": ""}) == "0 bytes"
    # base64 in each spelling Node reads (padding in excess or left out, URL-safe, broken into lines):
    # its length was read with its padding ('YQ====' read 2 bytes).
    for b64, size in (("YQ====", "1 byte"), ("YQ", "1 byte"), ("-_-_", "3 bytes"), ("aGVs\nbG8=", "5 bytes")):
        assert value_text(field, {"__type": "Bytes", "base64": b64}) == size, b64


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("query", "Post", "-"), "SCRIPT (standard input)"),
        (("find", "Post", "-"), "WHERE_JSON (standard input)"),
        (("repl", "--class", "Post"), "standard input"),
    ],
)
def test_standard_input_that_is_not_utf8_is_named_with_its_place(args: tuple[str, ...], named: str) -> None:
    from click.testing import CliRunner

    from querylang.app.cli import main

    text = b'where({ score: 1 })\r\nwhere({ title: "caf\xe9" })\n' if args[0] == "repl" else b'{"title":\n "caf\xe9"}'
    res = CliRunner(env={"COLUMNS": "120", "NO_COLOR": "1"}).invoke(main, list(args), input=text)
    assert res.exit_code == 2, res.output
    assert f"error: {named}: not UTF-8 text at line 2, column " in res.stderr
    assert "(byte 0xe9; send UTF-8)" in res.stderr and "surrogate" not in res.output


def test_standard_input_script_keeps_working(tmp_path: Path) -> None:
    res = ql("query", "Post", "-", "--format", "csv", stdin="where({\r\n score: 13 })\n")
    assert res.returncode == 0 and res.stdout.count("\np0") == 4
    status, out = piped(".class Post\r\nwhere({ score: 13 })\r\n", tmp_path)
    assert status == 0 and "4 records" in out


def test_a_table_shows_an_included_pointer_by_id_and_the_fields_asked_for() -> None:
    # The example of `query --help`: the Owner column was left out for want of width, its
    # cell being the whole included record's JSON.
    res = ql("query", "Comment", "where({})", "--include", "Owner", "--select", "text,Owner.title", "--limit", "2")
    assert res.returncode == 0, res.stderr
    header, _, first, second = res.stdout.splitlines()[:4]
    assert "Owner → Post" in header
    assert 'p008 {"title": "DuckDB join' in first and 'p015 {"title": "parse Query' in second
    assert "__type" not in res.stdout and "not shown" not in res.stdout


def test_repl_limit_1_reads_1_record(tmp_path: Path) -> None:
    status, out = piped(".limit 1\n.limit 2\n", tmp_path)
    assert status == 0 and "showing at most 1 record\n" in out and "showing at most 2 records\n" in out


def test_repl_format_without_an_argument_says_the_current_one(tmp_path: Path) -> None:
    # .timer, .limit and .class without an argument say their setting; .format was an error
    # (and piped input then ended with exit 2).
    status, out = piped(".format\n.format json\n.format\n.format table\n.format\n", tmp_path)
    assert status == 0, out
    assert out.splitlines() == ["format table", "format table"]  # "format json": on stderr, as json's notes


def test_a_load_or_import_of_one_record_says_1_record(tmp_path: Path) -> None:
    doc = '{"classes": {"T": {"fields": {"n": {"type": "Number"}}}}, "records": {"T": [{"objectId": "a", "n": 1}]}}'
    (tmp_path / "one.json").write_text(doc, encoding="utf-8")
    res = ql("load", "one.json", "--db", "one.duckdb", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout == "loaded 1 record into one.duckdb: T 1\n", res
    (tmp_path / "Post.json").write_text('[{"objectId": "p1", "title": "a"}]', encoding="utf-8")
    res = ql("import", "dashboard", "Post.json", "--db", "two.duckdb", cwd=tmp_path)
    assert res.returncode == 0 and res.stdout.startswith("imported 1 record and 0 relation edges into two.duckdb"), res
    status, out = piped(f".load {tmp_path / 'one.json'}\n", tmp_path)
    assert status == 0 and "loaded 1 record: T 1" in out, out


def test_a_byte_order_mark_is_refused_in_the_same_words_everywhere(tmp_path: Path) -> None:
    """A UTF-8 byte order mark is refused in every JSON file (README), but the words were
    Python's ("Unexpected UTF-8 BOM (decode using utf-8-sig)") or orjson's ("unexpected
    character"), and a filter object saved with one, given as @file to query, was read as a
    script: "a '{' at the start of a statement opens a block". Found by the CLI review."""
    bom = b"\xef\xbb\xbf"
    (tmp_path / "f.json").write_bytes(bom + b'{"title": "x"}')
    (tmp_path / "doc.json").write_bytes(bom + b'{"classes": {}, "records": {}}')
    for name, files in (("dir", {"schema.json": bom + b'{"classes": {"T": {"fields": {}}}}'}),
                        ("dir2", {"schema.json": b'{"classes": {"T": {"fields": {}}}}', "T.ndjson": bom + b'{"objectId": "a"}\n'})):
        (tmp_path / name).mkdir()
        for file, data in files.items():
            (tmp_path / name / file).write_bytes(data)
    db = str(tmp_path / "x.duckdb")
    for command in (("query", "Post", "@f.json"), ("find", "Post", "@f.json"), ("query", "Post", "where({})", "--inputs", "@f.json"),
                    ("load", "doc.json", "--db", db), ("load", "dir", "--db", db), ("load", "dir2", "--db", db)):
        res = ql(*command, cwd=tmp_path)
        assert res.returncode == 2, (command, res.stderr)
        assert "starts with a byte order mark (BOM): save it as UTF-8 without one" in res.stderr, (command, res.stderr)
        assert "utf-8-sig" not in res.stderr and "opens a block" not in res.stderr
    assert not (tmp_path / "x.duckdb").exists()


LONG_A = "C" + "x" * 60 + "Alpha"  # names past PostgreSQL's 63 bytes that share a long start
LONG_B = "C" + "x" * 60 + "Beta"
LONGER = LONG_A + "Of" + LONG_B  # a field name wider than a terminal


def _long_names(tmp_path: Path) -> Path:
    doc = {"classes": {LONG_A: {"fields": {"title": {"type": "String"}, LONG_A + "Field": {"type": "String"},
                                         LONGER: {"type": "String"}}},
                       LONG_B: {"fields": {LONG_B + "Field": {"type": "Number"}}}},
           "records": {LONG_A: [{"objectId": "a", "title": "hello", LONG_A + "Field": "there", LONGER: "far"}]}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_schema_shows_long_class_and_field_names_whole(tmp_path: Path) -> None:
    # In a 120-column terminal the table cut both classes to 'Cxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'
    # and their fields alike: two classes that looked the same, and no name to type.
    res = ql("schema", "--data", str(_long_names(tmp_path)))
    assert res.returncode == 0, res.stderr
    assert "…" not in res.stdout
    # The class column, folded onto more lines: each line's first word, where that column has one.
    cells = "".join(line.split()[0] for line in res.stdout.splitlines() if line[:2].strip())
    assert LONG_A in cells and LONG_B in cells, res.stdout
    # The REPL's .schema CLASS: its field column alike.
    res = ql("repl", "--data", str(_long_names(tmp_path)), stdin=f".schema {LONG_A}\n")
    assert res.returncode == 0 and "…" not in res.stdout and LONG_A + "Field" in "".join(res.stdout.split()), res.stdout


def test_show_keeps_the_values_of_a_record_with_a_long_field_name(tmp_path: Path) -> None:
    # The field and type columns did not wrap: a field name wider than the terminal took its
    # width, and the value column was dropped, every value with it.
    res = ql("show", LONG_A, "a", "--data", str(_long_names(tmp_path)))
    assert res.returncode == 0, res.stderr
    assert re.search(r"title +String +hello", res.stdout) and "there" in res.stdout and "far" in res.stdout, res.stdout


def test_a_duckdb_database_given_as_a_data_file_is_said_to_be_one(tmp_path: Path) -> None:
    # Found by review: `--data blog.duckdb` (for --db), `load blog.duckdb --db x.duckdb` and the
    # REPL's `.load blog.duckdb` said "not UTF-8 text at line 1, column 2 (byte 0xd8; save the
    # file as UTF-8)", advice that cannot help.
    doc = {"classes": {"T": {"fields": {}}}, "records": {"T": [{"objectId": "a"}]}}
    (tmp_path / "one.json").write_text(json.dumps(doc), encoding="utf-8")
    assert ql("load", "one.json", "--db", "blog.duckdb", cwd=tmp_path).returncode == 0
    said = "blog.duckdb: a DuckDB database, not text (open it as a database: --db blog.duckdb"
    for command in (("schema", "--data", "blog.duckdb"), ("load", "blog.duckdb", "--db", "x.duckdb"),
                    ("repl", "--db", "y.duckdb")):  # fmt: skip
        res = ql(*command, stdin=".load blog.duckdb\n", cwd=tmp_path)
        assert res.returncode == 2 and said in res.stderr + res.stdout, (command, res.stderr, res.stdout)
        assert "UTF-8" not in res.stderr + res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blog.duckdb", "one.json"]


def test_piped_entries_run_as_their_lines_come(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Found by review: the piped REPL read standard input to its end before running any entry,
    # so a program that writes an entry and waits for the answer (a coprocess) waited for good.
    import querylang
    from querylang.app.demo import sample_document
    from querylang.app.prompt import run_repl

    printed: list[str] = []  # what stdout held each time more input was asked for

    class Arriving:
        lines = [b"where({ score: 13 })\n", b"where({ score: 8 })\n"]

        def isatty(self) -> bool:
            return False

        def readline(self, *size: int) -> bytes:
            printed.append(capsys.readouterr().out)
            return self.lines.pop(0) if self.lines else b""

        def read(self, *size: int) -> bytes:
            printed.append(capsys.readouterr().out)
            data, self.lines = b"".join(self.lines), []
            return data

    stdin = Arriving()
    monkeypatch.setattr("sys.stdin", type("Stdin", (), {"buffer": stdin, "isatty": stdin.isatty})())
    db = querylang.connect()
    db.load(sample_document())
    assert run_repl(db, class_name="Post") == 0
    # The first entry's answer was out before the second line was read.
    assert any("4 records" in out and "p015" in out for out in printed), printed


def test_the_timer_tells_in_a_machine_format_too(tmp_path: Path) -> None:
    # Found by review: `.timer on` answered "timer on", but in .format csv, json or jsonl no
    # query ever said how long it took: only a table's line under it had the time.
    from click.testing import CliRunner

    from querylang.app.cli import main

    entries = ".format csv\n.timer on\n.class Post\nwhere({ score: 13 })\n"
    env = {"COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl"], input=entries)
    assert res.exit_code == 0, res.output
    assert [line[:4] for line in res.stdout.splitlines()] == ["obje", "p015", "p023", "p031", "p039"]
    assert re.search(r"^4 records in [0-9.]+ ms$", res.stderr, re.M), res.stderr


def test_a_failed_or_idle_command_leaves_another_applications_duckdb_file_as_it_was(tmp_path: Path) -> None:
    # Found by review: opening a DuckDB file for writing made querylang's bookkeeping tables
    # (_querylang_schema, _querylang_loading) at once, so `querylang repl --db app.duckdb` left
    # them in another application's file with nothing loaded, and so did a load that failed.
    import duckdb

    app = tmp_path / "app.duckdb"
    con = duckdb.connect(str(app))
    con.execute("CREATE TABLE orders (id INTEGER)")
    con.close()

    def tables() -> list[str]:
        with duckdb.connect(str(app), read_only=True) as con:
            return [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]

    bad = {"classes": {"T": {"fields": {"n": {"type": "Number"}}}}, "records": {"T": [{"objectId": "a", "n": "x"}]}}
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    assert ql("load", "bad.json", "--db", "app.duckdb", cwd=tmp_path).returncode == 2
    assert tables() == ["orders"]
    assert ql("repl", "--db", "app.duckdb", stdin=".schema\n", cwd=tmp_path).returncode == 0
    assert tables() == ["orders"]
    (tmp_path / "good.json").write_text(json.dumps({**bad, "records": {"T": [{"objectId": "a", "n": 1}]}}), encoding="utf-8")
    assert ql("load", "good.json", "--db", "app.duckdb", cwd=tmp_path).returncode == 0
    assert tables() == ["T", "_querylang_loading", "_querylang_schema", "orders"]
    assert ql("repl", "--db", "app.duckdb", stdin=".schema\n", cwd=tmp_path).returncode == 0
    assert ql("query", "T", "where({})", "--db", "app.duckdb", "--format", "jsonl", cwd=tmp_path).stdout.count("\n") == 1


def test_a_load_of_a_class_whose_table_another_application_has_says_so(tmp_path: Path) -> None:
    # Found by review: loading class Post into a DuckDB file whose own table is named Post said
    # only DuckDB's words: 'load failed, nothing was loaded: Catalog Error: Table with name "Post"
    # already exists!', for the document and the directory form alike.
    import duckdb

    with duckdb.connect(str(tmp_path / "app.duckdb")) as con:
        con.execute("CREATE TABLE Post (id INTEGER)")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}}')
    (tmp_path / "d" / "Post.ndjson").write_text('{"objectId": "a", "n": 1}\n')
    doc = {"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}, "records": {"Post": [{"objectId": "a", "n": 1}]}}
    (tmp_path / "doc.json").write_text(json.dumps(doc), encoding="utf-8")
    for source in ("doc.json", "d"):
        res = ql("load", source, "--db", "app.duckdb", cwd=tmp_path)
        assert res.returncode == 2 and res.stderr == (
            "error: class Post: load failed, nothing was loaded: the database already has a table Post that is "
            "not querylang's (another application's): load the class under another name, or into another database\n"
        ), res.stderr


def test_an_at_file_in_the_home_folder_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Found by review: `query Post @~/f.js` said "no such script file: ~/f.js" (no shell expands a
    # ~ after the @), as did find's WHERE_JSON and --inputs, while the REPL's .load expands it.
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "f.js").write_text("where({ score: Inputs.score })", encoding="utf-8")
    (tmp_path / "w.json").write_text('{"score": 13}', encoding="utf-8")
    (tmp_path / "bad.js").write_bytes(b"where({ title: '\xe9' })")
    for args in (("query", "Post", "@~/f.js", "--inputs", "@~/w.json"), ("find", "Post", "@~/w.json")):
        res = ql(*args, "--format", "jsonl")
        assert res.returncode == 0 and res.stdout.count("\n") == 4, (args, res.stderr)
    assert "not UTF-8 text at line 1, column 17" in ql("query", "Post", "@~/bad.js").stderr


def test_db_and_data_written_with_an_equals_sign_find_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Found by review: `--db=~/blog.duckdb` and `--data=~/x.json` reach the command with the ~
    # (no shell expands one after '='): "no such database file: ~/blog.duckdb" and "no such data
    # file: ~/x.json", while load wrote the home folder's file (DuckDB expands the ~ itself).
    monkeypatch.setenv("HOME", str(tmp_path))
    work = tmp_path / "work"
    work.mkdir()
    doc = {"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}, "records": {"Post": [{"objectId": "a", "n": 1}]}}
    (tmp_path / "x.json").write_text(json.dumps(doc), encoding="utf-8")
    res = ql("load", str(tmp_path / "x.json"), "--db=~/blog.duckdb", cwd=work)
    assert res.returncode == 0 and (tmp_path / "blog.duckdb").exists(), res.stderr
    for source in ("--db=~/blog.duckdb", "--data=~/x.json"):
        res = ql("query", "Post", "where({ n: 1 })", source, "--format", "jsonl", cwd=work)
        assert res.returncode == 0 and '"objectId": "a"' in res.stdout, (source, res.stderr)
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(("keys", "said"), [
    (("--app-id", "", "--master-key", "k"), "error: --app-id is empty: give the application id"),
    (("--app-id", "  ", "--master-key", "k"), "error: --app-id is empty: give the application id"),
    (("--app-id", "a", "--master-key", ""), "error: --master-key is empty: give the master key"),
])  # fmt: skip
def test_import_parse_server_refuses_an_empty_app_id_as_serve_does(
    tmp_path: Path, keys: tuple[str, ...], said: str
) -> None:
    # Found by review: `import parse-server URL --app-id ''` was sent (the server's "unauthorized"
    # the only word about it), where serve refuses an empty one before anything is done.
    path = tmp_path / "never.duckdb"
    res = ql("import", "parse-server", "http://127.0.0.1:9/parse", *keys, "--db", str(path))
    assert res.returncode == 2 and res.stderr.startswith(said), res.stderr
    assert not path.exists()


def test_piped_repl_input_skips_a_byte_order_mark(tmp_path: Path) -> None:
    # Found by review: entries saved by an editor that writes a BOM made the first line
    # "\ufeff.class Post", a script, and every entry said "pick a class first".
    status, out = piped("\ufeff.class Post\nwhere({ score: 13 })\n", tmp_path)
    assert status == 0 and "4 records" in out, out


def test_show_cuts_a_huge_value_and_says_how_to_see_it_whole(tmp_path: Path) -> None:
    """A record holding a base64 picture as a String: show folded every character into the
    table, a line per 80 (a 3 MB value took half a minute, 20 MB more than ten minutes). The
    table shows the value's start and its length; JSON shows it whole."""
    photo = "iVBORw0KGgo" * 300_000  # 3.3 million characters
    doc = {"classes": {"T": {"fields": {"photo": {"type": "String"}, "meta": {"type": "Object"}}}},
           "records": {"T": [{"objectId": "a", "photo": photo, "meta": {"raw": photo}}]}}  # fmt: skip
    (tmp_path / "one.json").write_text(json.dumps(doc), encoding="utf-8")
    res = ql("show", "T", "a", "--data", str(tmp_path / "one.json"))
    assert res.returncode == 0, res.stderr
    assert len(res.stdout) < 100_000 and "iVBORw0KGgo" in res.stdout, len(res.stdout)
    assert "(3,300,000 characters: --format json shows the whole value)" in " ".join(res.stdout.split())
    res = ql("show", "T", "a", "--data", str(tmp_path / "one.json"), "--format", "json")
    assert json.loads(res.stdout)["photo"] == photo
    res = ql("repl", "--data", str(tmp_path / "one.json"), stdin=".show T a\n")
    assert res.returncode == 0 and len(res.stdout) < 100_000, len(res.stdout)
    assert ".format json shows the whole value" in " ".join(res.stdout.split())


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1e"])
def test_piped_repl_input_ends_lines_only_at_line_ends(char: str, tmp_path: Path) -> None:
    """Piped entries were split by str.splitlines, which also ends a line at U+2028, U+2029,
    NEL, form feed, vertical tab and \\x1c-\\x1e: a string holding one ("a\\u2028b") was cut in
    two, and the entry refused as an unterminated string. A terminal's prompt keeps them."""
    doc = {"classes": {"T": {"fields": {"s": {"type": "String"}}}},
           "records": {"T": [{"objectId": "a", "s": f"x{char}y"}, {"objectId": "b", "s": "xy"}]}}  # fmt: skip
    (tmp_path / "one.json").write_text(json.dumps(doc), encoding="utf-8")
    entry = f'.class T\n.format jsonl\nwhere({{ s: "x{char}y" }})\r\n'  # the character as it is, not escaped
    res = ql("repl", "--data", str(tmp_path / "one.json"), stdin=entry)
    assert res.returncode == 0, res.stdout + res.stderr
    assert [json.loads(line)["objectId"] for line in res.stdout.split("\n") if line.startswith("{")] == ["a"]

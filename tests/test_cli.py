"""The ``querylang`` command as a person runs it: in-process through click's CliRunner, and
in a subprocess where the process boundary is the point (``python -m``, closed pipes).

Each test checks what is printed and the exit status: 0 success, 2 a user error with the
message on stderr (the caret view for scripts), 1 an internal fault. The failures have their
own file, test_cli_errors.py, which uses the helpers and fixtures here.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from querylang.app.cli import main
from querylang.app.demo import sample_document

SCRIPT = Path(sys.executable).parent / "querylang"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "querylang"]
SUBCOMMANDS = ("query", "find", "compile", "load", "schema", "show", "relation", "repl", "demo")
GT10 = "where({ score: { greaterThan: 10 } })"
GT10_IDS = ["p015", "p023", "p031", "p039"]


ENV = {"COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_DEBUG": ""}


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def ql(*args: str, stdin: str | None = None, cwd: Path | None = None) -> Ran:
    """The command in this process (click's CliRunner): what it prints and its exit status."""
    here = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        res = CliRunner(env=ENV).invoke(main, list(args), input=stdin, prog_name="querylang")
    finally:
        os.chdir(here)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception  # the command's own handler lets nothing through: a test bug
    return Ran(res.exit_code, res.stdout, res.stderr)


def ql_process(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed command in a subprocess, for what only a process shows."""
    env = {**os.environ, **ENV}
    return subprocess.run([*COMMAND, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120)


def ok(*args: str, **kw: object) -> str:
    res = ql(*args, **kw)  # type: ignore[arg-type]
    assert res.returncode == 0, res.stderr
    return res.stdout


def user_error(*args: str, **kw: object) -> str:
    res = ql(*args, **kw)  # type: ignore[arg-type]
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    assert "internal error" not in res.stderr
    return res.stderr


def ids_of(json_text: str) -> list[str]:
    return [r["objectId"] for r in json.loads(json_text)]


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "sample.json"
    path.write_text(json.dumps(sample_document()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory, sample_file: Path) -> Path:
    path = tmp_path_factory.mktemp("db") / "sample.duckdb"
    out = ok("load", str(sample_file), "--db", str(path))
    assert "loaded 176 records" in out
    return path


# --- help -----------------------------------------------------------------------------------


def test_help_names_every_command_and_the_default_data() -> None:
    out = ok("--help")
    for name in SUBCOMMANDS:
        assert name in out
    assert "bundled sample dataset" in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(name: str) -> None:
    out = ok(name, "--help")
    assert f"Usage: querylang {name}" in out


def test_python_dash_m_runs_the_same_command() -> None:
    res = subprocess.run([sys.executable, "-m", "querylang", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and "querylang" in res.stdout


# --- query ----------------------------------------------------------------------------------


def test_query_prints_a_table_of_the_sample_data_by_default() -> None:
    out = ok("query", "Post", GT10)
    for oid in GT10_IDS:
        assert oid in out
    assert "objectId" in out and "score" in out
    assert "4 records" in out


def test_query_json_with_inputs_as_pairs() -> None:
    script = "where({ Owner: { pointsTo: Inputs.Post } })\nsort(['createdAt'])"
    out = ok("query", "Comment", script, "-i", "Post=p015", "--format", "json")
    assert ids_of(out) == ["c042", "c082", "c002"]


def test_query_inputs_as_json_and_numbers_from_pairs() -> None:
    script = "where({ score: { greaterThan: Inputs.Min } })"
    assert ids_of(ok("query", "Post", script, "--inputs", '{"Min": 10}', "--format", "json")) == GT10_IDS
    assert ids_of(ok("query", "Post", script, "-i", "Min=10", "--format", "json")) == GT10_IDS


def test_query_reads_the_script_from_stdin_and_from_a_file(tmp_path: Path) -> None:
    assert ids_of(ok("query", "Post", "-", "--format", "json", stdin=GT10)) == GT10_IDS
    (tmp_path / "gt10.js").write_text(f"// posts with a high score\n{GT10}\n", encoding="utf-8")
    assert ids_of(ok("query", "Post", "@gt10.js", "--format", "json", cwd=tmp_path)) == GT10_IDS


def test_query_takes_a_json_filter_object_too() -> None:
    out = ok("query", "Post", '{"score": {"greaterThan": 10}}', "--format", "json")
    assert ids_of(out) == GT10_IDS


def test_query_sort_limit_skip_count() -> None:
    out = ok("query", "Post", GT10, "--sort", "-score,objectId", "--limit", "2", "--skip", "1",
             "--count", "--format", "json")  # fmt: skip
    doc = json.loads(out)
    assert doc["count"] == 4
    assert [r["objectId"] for r in doc["results"]] == ["p023", "p031"]
    table = ok("query", "Post", GT10, "--limit", "2", "--count")
    assert "2 records shown of 4 matching" in table


def test_query_jsonl_and_csv() -> None:
    lines = ok("query", "Post", GT10, "--format", "jsonl").splitlines()
    assert [json.loads(line)["objectId"] for line in lines] == GT10_IDS
    counted = ql("query", "Post", GT10, "--format", "jsonl", "--limit", "1", "--count")
    assert len(counted.stdout.splitlines()) == 1 and counted.stderr == "count: 4\n"
    rows = list(csv.DictReader(io.StringIO(ok("query", "Post", GT10, "--format", "csv"))))
    assert [r["objectId"] for r in rows] == GT10_IDS
    assert rows[0]["score"] == "13" and "updatedAt" in rows[0]


def test_query_keeps_markup_like_text_as_written(tmp_path: Path) -> None:
    doc = {"classes": {"Note": {"fields": {"text": {"type": "String"}}}},
           "records": {"Note": [{"objectId": "n1", "text": "[bold]not markup[/bold]"}]}}  # fmt: skip
    (tmp_path / "notes.json").write_text(json.dumps(doc), encoding="utf-8")
    out = ok("query", "Note", "", "--data", str(tmp_path / "notes.json"))
    assert "[bold]not markup[/bold]" in out


# --- compile --------------------------------------------------------------------------------


def test_compile_prints_sql_and_parameters() -> None:
    out = ok("compile", "Post", "where({ score: { greaterThan: Inputs.Min } })", "-i", "Min=10")
    assert out.startswith("SELECT ")
    assert 'FROM "Post"' in out
    assert "params: [10]" in out


def test_compile_explain_adds_duckdbs_plan() -> None:
    out = ok("compile", "Post", GT10, "--explain")
    assert "params: [10]" in out
    assert "scan" in out.lower()  # the plan names how DuckDB reads the table


def test_compile_with_count_shows_the_count_statement() -> None:
    out = ok("compile", "Post", GT10, "--count", "--limit", "1")
    assert "-- count" in out and "count(" in out.lower()


# --- load, --db -----------------------------------------------------------------------------


def test_load_then_every_reader_uses_the_file(sample_db: Path) -> None:
    assert ids_of(ok("query", "Post", GT10, "--db", str(sample_db), "--format", "json")) == GT10_IDS
    assert "Relation → Post" in ok("schema", "--db", str(sample_db))
    assert "User u02" in ok("show", "Comment", "c001", "--db", str(sample_db))
    assert "p020" in ok("relation", "Group", "g2", "posts", "--db", str(sample_db))
    assert "SELECT" in ok("compile", "Post", GT10, "--db", str(sample_db))


def test_load_is_atomic(tmp_path: Path, sample_file: Path) -> None:
    db = tmp_path / "one.duckdb"
    ok("load", str(sample_file), "--db", str(db))
    again = user_error("load", str(sample_file), "--db", str(db))
    assert "duplicate objectId" in again
    bad = {"records": {"User": [{"objectId": "u99", "name": "New"}, {"objectId": "u98", "age": "old"}]}}
    (tmp_path / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    assert "u98" in user_error("load", str(tmp_path / "bad.json"), "--db", str(db))
    counts = json.loads(ok("schema", "--db", str(db), "--format", "json"))
    assert counts["User"]["count"] == 8  # u99 was rolled back with u98


def test_a_failed_load_leaves_no_new_database_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"records": {"Ghost": [{}]}}', encoding="utf-8")
    user_error("load", str(tmp_path / "bad.json"), "--db", str(tmp_path / "new.duckdb"))
    assert not (tmp_path / "new.duckdb").exists()


def test_loading_a_directory_s_schema_json_alone_says_how_to_load_its_records(tmp_path: Path) -> None:
    """'querylang load data/schema.json' (the folder's schema for the folder) made its classes and
    said "loaded 0 records: no records", nothing about the records in data/Post.ndjson."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "schema.json").write_text('{"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}}', encoding="utf-8")
    db = str(tmp_path / "blog.duckdb")
    res = ql("load", str(folder / "schema.json"), "--db", db)
    assert res.returncode == 0 and "note:" not in res.stderr  # a schema alone, no folder of records
    (folder / "Post.ndjson").write_text('{"objectId": "p1", "n": 1}\n', encoding="utf-8")
    res = ql("load", str(folder / "schema.json"), "--db", str(tmp_path / "other.duckdb"))
    assert res.returncode == 0 and res.stdout.startswith("loaded 0 records")
    assert (f"note: {folder / 'schema.json'} defines classes only, and no records: to load the records of its folder, "
            f"an interchange directory, run querylang load {folder} --db {tmp_path / 'other.duckdb'}") in res.stderr
    ok("load", str(folder), "--db", str(tmp_path / "other.duckdb"))  # as the note says
    assert ids_of(ok("query", "Post", "", "--db", str(tmp_path / "other.duckdb"), "--format", "json")) == ["p1"]


def test_query_on_a_db_file_opens_it_read_only(sample_db: Path) -> None:
    before = sample_db.stat().st_mtime_ns
    ok("query", "Post", GT10, "--db", str(sample_db))
    assert sample_db.stat().st_mtime_ns == before


# --- schema, show, relation -----------------------------------------------------------------


def test_schema_lists_classes_fields_types_counts() -> None:
    out = ok("schema")
    for text in ("Comment", "120", "Owner", "Pointer → Post", "members", "Relation → User", "GeoPoint"):
        assert text in out
    doc = json.loads(ok("schema", "--format", "json"))
    assert doc["Post"]["count"] == 40
    assert doc["Group"]["fields"]["posts"] == {"type": "Relation", "targetClass": "Post"}


def test_show_names_pointer_targets_so_the_next_show_can_follow() -> None:
    out = ok("show", "Comment", "c001")
    assert "Post p008" in out and "User u02" in out
    assert "querylang show Post p008" in out
    assert "Post p008" in ok("show", "Post", "p008")  # following it works


def test_show_follow_lines_quote_odd_ids(tmp_path: Path) -> None:
    """The follow lines are commands to type: an objectId with a space, a quote or a '$(...)'
    was written bare, so 'querylang show User a b' got an extra argument, 'it's' opened a
    quote, and '$(id)' would run a command when pasted into a shell."""
    import shlex

    ids = ["a b", "it's", "$(id)"]
    doc = {"classes": {"User": {"fields": {}},
                       "Post": {"fields": {"author": {"type": "Pointer", "targetClass": "User"},
                                           "fans": {"type": "Relation", "targetClass": "User"}}}},
           "records": {"User": [{"objectId": oid} for oid in ids],
                       "Post": [{"objectId": f"p {i}", "author": oid} for i, oid in enumerate(ids)]}}  # fmt: skip
    data = tmp_path / "odd.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    for i, oid in enumerate(ids):
        out = ok("show", "Post", f"p {i}", "--data", str(data))
        lines = [x.strip() for x in out.split("follow:")[1].splitlines() if x.strip()]
        assert [shlex.split(x) for x in lines] == [
            ["querylang", "show", "User", oid, "--data", str(data)],
            ["querylang", "relation", "Post", f"p {i}", "fans", "--data", str(data)]]
        assert "User " + oid in ok(*shlex.split(lines[0])[1:])  # following it works


def test_show_follows_an_array_of_pointers_by_the_show_that_embeds_them(tmp_path: Path) -> None:
    """A Pointer field and a Relation had a follow line, an Array of Pointers none; its line is
    the same show with --include FIELD (its elements may point to several classes), which runs
    as printed and embeds them; once embedded, the line is not printed again."""
    import shlex

    doc = {"classes": {"User": {"fields": {"name": {"type": "String"}}}, "Tag": {"fields": {"word": {"type": "String"}}},
                       "Post": {"fields": {"others": {"type": "Array"}, "nums": {"type": "Array"}}}},
           "records": {"User": [{"objectId": "u 1", "name": "ann"}], "Tag": [{"objectId": "t1", "word": "news"}],
                       "Post": [{"objectId": "it's", "nums": [1, 2], "others": [
                           {"__type": "Pointer", "className": "User", "objectId": "u 1"},
                           {"__type": "Pointer", "className": "Tag", "objectId": "t1"}, 5]}]}}  # fmt: skip
    data = tmp_path / "arrays.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    out = ok("show", "Post", "it's", "--data", str(data))
    assert "ann" not in out and "news" not in out
    lines = [shlex.split(x) for x in out.split("follow:")[1].splitlines() if x.strip()]
    assert lines == [["querylang", "show", "Post", "it's", "--include", "others", "--data", str(data)]]
    embedded = ok(*lines[0][1:])
    assert "ann" in embedded and "news" in embedded and "follow:" not in embedded


def test_show_follow_lines_name_the_database_shown(tmp_path: Path) -> None:
    """A follow line is the next command to type: it repeats the --db (or --data) the record
    came from. Without it, 'querylang show Post p008' read the bundled sample, which lacks
    the user's records or holds other ones under the same ids."""
    import shlex

    doc = {"classes": {"User": {"fields": {"name": {"type": "String"}}},
                       "Post": {"fields": {"author": {"type": "Pointer", "targetClass": "User"}}}},
           "records": {"User": [{"objectId": "u02", "name": "mine"}],
                       "Post": [{"objectId": "mine1", "author": "u02"}]}}  # fmt: skip
    data = tmp_path / "my data.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    ok("load", str(data), "--db", str(tmp_path / "my.duckdb"))
    for source in (["--db", str(tmp_path / "my.duckdb")], ["--data", str(data)]):
        out = ok("show", "Post", "mine1", *source)
        follow = shlex.split(out.split("follow:")[1].strip())
        assert follow == ["querylang", "show", "User", "u02", *source]
        assert "mine" in ok(*follow[1:])  # the user's u02, not the sample's (Grace)


def test_show_help_says_the_json_it_writes() -> None:
    """show --help said its JSON was "the record as queries give it", where query's JSON has a
    Pointer as its objectId and no className; show writes Parse's REST shape."""
    doc = json.loads(ok("show", "Group", "g2", "--format", "json"))
    assert doc["className"] == "Group" and doc["posts"] == {"__type": "Relation", "className": "Post", "count": 6}
    pointer = json.loads(ok("show", "Comment", "c001", "--format", "json"))["Owner"]
    assert pointer == {"__type": "Pointer", "className": "Post", "objectId": "p008"}
    assert json.loads(ok("query", "Comment", "where({ objectId: 'c001' })", "--format", "json"))[0]["Owner"] == "p008"
    text = " ".join(ok("show", "--help").split())
    assert "as queries give it" not in text
    assert ("--format json writes the record in Parse's REST shape, not as 'query' writes it: its \"className\", "
            'each Pointer as {"__type": "Pointer", "className", "objectId"}') in text
    assert 'each Relation as {"__type": "Relation", "className", "count"}' in text


def test_show_counts_relation_members() -> None:
    out = ok("show", "Group", "g2")
    assert "6 records" in out
    assert "querylang relation Group g2 posts" in out


def test_show_include_embeds_pointed_records() -> None:
    out = ok("show", "Comment", "c001", "--include", "Owner")
    assert "DuckDB join 8" in out  # the title of Post p008
    doc = json.loads(ok("show", "Comment", "c001", "--include", "*", "--format", "json"))
    assert doc["Owner"]["__type"] == "Object" and doc["Owner"]["title"] == "DuckDB join 8"
    assert doc["author"]["className"] == "User" and doc["author"]["name"] == "Grace"
    # #12.13: the included record's own pointers have the top level's shape, not bare ids.
    included = json.loads(ok("show", "Comment", "c001", "--include", "Owner", "--format", "json"))
    assert included["author"] == {"__type": "Pointer", "className": "User", "objectId": "u02"}
    assert included["Owner"]["author"]["__type"] == "Pointer"
    assert included["Owner"]["author"]["className"] == "User"
    plain = json.loads(ok("show", "Group", "g2", "--format", "json"))
    assert plain["posts"] == {"__type": "Relation", "className": "Post", "count": 6}


def test_show_errors_exit_2() -> None:
    assert "no Comment record with objectId 'c999'" in user_error("show", "Comment", "c999")
    assert "not a Pointer" in user_error("show", "Comment", "c001", "--include", "text")
    # An ID that is not valid text (bytes that are not UTF-8 on the command line) was 'a string
    # holds a lone surrogate', without a word of which string.
    assert "error: ID 'c\\udcff': a string holds a lone surrogate" in user_error("show", "Comment", "c\udcff")
    assert "error: ID 'g\\udcff': a string holds a lone surrogate" in user_error("relation", "Group", "g\udcff", "posts")


def test_relation_lists_the_related_records() -> None:
    out = ok("relation", "Group", "g2", "posts")
    for oid in ("p005", "p009", "p015", "p020", "p023", "p040"):
        assert oid in out
    assert "6 records" in out
    ids = ids_of(ok("relation", "Group", "g2", "posts", "--sort", "-createdAt", "--format", "json"))
    assert ids == ["p023", "p015", "p005", "p009", "p040", "p020"]


def test_a_relation_table_shows_100_records_as_a_query_table_does(tmp_path: Path) -> None:
    # Found by review: `querylang relation` printed every record of the Relation in a table
    # (query caps its table at 100 and says how to see the rest).
    items = [{"objectId": f"i{n:03}"} for n in range(150)]
    doc = {"classes": {"Box": {"fields": {"items": {"type": "Relation", "targetClass": "Item"}}},
                       "Item": {"fields": {}}},
           "records": {"Box": [{"objectId": "b1"}], "Item": items},
           "relations": [{"class": "Box", "objectId": "b1", "key": "items", "targetClass": "Item",
                          "targetId": i["objectId"]} for i in items]}  # fmt: skip
    data = tmp_path / "box.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    out = ok("relation", "Box", "b1", "items", "--data", str(data), "--sort", "objectId")
    assert "i099" in out and "i100" not in out
    assert "100 records (more not shown)" in out
    assert "(first 100 shown: --limit N for more, --format csv or jsonl for all)" in out
    out = ok("relation", "Box", "b1", "items", "--data", str(data), "--limit", "120")
    assert "120 records\n" in out and "first 100" not in out
    assert len(ids_of(ok("relation", "Box", "b1", "items", "--data", str(data), "--format", "json"))) == 150


def test_relation_errors_exit_2() -> None:
    assert "not a Relation" in user_error("relation", "Group", "g2", "name")
    assert "did you mean 'posts'" in user_error("relation", "Group", "g2", "pots")
    assert "no Group record" in user_error("relation", "Group", "g99", "posts")


# --- demo, internal faults ------------------------------------------------------------------


def test_demo_runs() -> None:
    out = ok("demo")
    assert "SQL:" in out and "same answer" in out


def test_an_internal_fault_exits_1_with_a_short_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fault cannot be provoked from outside on purpose, so this one test runs in-process.
    from click.testing import CliRunner

    from querylang import api
    from querylang.app import cli

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("QUERYLANG_DEBUG", raising=False)
    monkeypatch.setattr(api.Database, "build", broken)
    res = CliRunner().invoke(cli.main, ["query", "Post", GT10])
    assert res.exit_code == 1
    assert "internal error: RuntimeError: boom" in res.output


# --- query --include/--select, table limit, streaming; find (#12.14) -------------------------


def test_query_include_and_select() -> None:
    out = ok("query", "Comment", "where({})", "--include", "Owner", "--select", "text,Owner.title",
             "--limit", "2", "--format", "json")  # fmt: skip
    first = json.loads(out)[0]
    assert set(first) == {"objectId", "createdAt", "updatedAt", "text", "Owner"}
    assert first["Owner"]["__type"] == "Object" and first["Owner"]["title"] == "DuckDB join 8"
    assert "body" not in first["Owner"]
    lines = ok("query", "Comment", "where({})", "--include", "Owner", "--format", "jsonl").splitlines()
    assert len(lines) == 120 and json.loads(lines[0])["Owner"]["className"] == "Post"
    assert "not a Pointer" in user_error("query", "Comment", "where({})", "--include", "text")


def test_a_table_shows_100_records_unless_asked_for_more() -> None:
    out = ok("query", "Comment", "where({})", "--count")
    assert "100 records shown of 120 matching" in out and "--limit N for more" in out
    assert "120 records" in ok("query", "Comment", "where({})", "--limit", "500")
    assert "--limit N" not in ok("query", "Comment", "where({})", "--limit", "500")


def test_csv_and_jsonl_write_every_record_as_they_are_read() -> None:
    rows = list(csv.DictReader(io.StringIO(ok("query", "Comment", "where({})", "--format", "csv"))))
    assert len(rows) == 120
    res = ql("query", "Comment", "where({})", "--format", "jsonl", "--skip", "110", "--count")
    assert len(res.stdout.splitlines()) == 10 and res.stderr == "count: 120\n"


def test_csv_of_a_selection_has_only_the_selected_columns() -> None:
    """`--select title --format csv` (and find's `--keys`) wrote a column for every field, the
    ones not selected empty: to a reader of the CSV an empty cell is an absent value, so every
    Post read as having no score. Only the selected fields, plus objectId and the two dates."""
    for args in (("query", "Post", GT10, "--select", "title", "--format", "csv"),
                 ("find", "Post", '{"score": {"$gt": 10}}', "--keys", "title", "--format", "csv")):
        rows = list(csv.reader(io.StringIO(ok(*args))))
        assert rows[0] == ["objectId", "title", "createdAt", "updatedAt"], (args, rows[0])
        assert [r[0] for r in rows[1:]] == GT10_IDS and all(r[1] for r in rows[1:])
    rows = list(csv.reader(io.StringIO(ok("query", "Comment", "where({})", "--include", "Owner", "--select",
                                          "text,Owner.title", "--limit", "2", "--format", "csv"))))
    assert rows[0] == ["objectId", "text", "Owner", "createdAt", "updatedAt"]
    assert json.loads(rows[1][2])["title"] == "DuckDB join 8"


def test_find_takes_a_parse_rest_where() -> None:
    doc = json.loads(ok("find", "Post", '{"score": {"$gt": 10}}', "--order", "-score,objectId",
                        "--count", "--format", "json"))  # fmt: skip
    assert doc["count"] == 4 and [r["objectId"] for r in doc["results"]] == GT10_IDS
    where = '{"Owner": {"$inQuery": {"where": {"score": 13}, "className": "Post"}}}'
    found = json.loads(ok("find", "Comment", where, "--keys", "text", "--format", "json"))
    assert found and all(set(r) == {"objectId", "createdAt", "updatedAt", "text"} for r in found)
    assert len(json.loads(ok("find", "Comment", "--format", "json"))) == 100  # Parse's default limit
    assert "must be a JSON object" in user_error("find", "Post", "[1]")
    assert "not valid JSON" in user_error("find", "Post", "{")
    assert "$gt" in user_error("find", "Post", '{"score": {"$gtt": 1}}')


def test_find_with_keys_naming_no_field_selects_only_the_keys_always_selected() -> None:
    """`--keys ''` printed every field; Parse Server, serve and db.find(keys='') give only
    the keys always selected."""
    found = json.loads(ok("find", "Post", "{}", "--keys", "", "--limit", "2", "--format", "json"))
    assert len(found) == 2 and all(set(r) == {"objectId", "createdAt", "updatedAt"} for r in found)


def test_load_into_a_file_that_is_not_a_database_is_refused(tmp_path: Path, sample_file: Path) -> None:
    # #12.4: `load tasks.json --db copy.json` said "loaded" and kept nothing.
    assert "ending in .duckdb" in user_error("load", str(sample_file), "--db", str(tmp_path / "copy.json"))
    assert not (tmp_path / "copy.json").exists()
    assert "looks like a JSON file" in user_error("load", str(sample_file), "--db", str(sample_file))
    assert "looks like a JSON file" in user_error("schema", "--db", str(sample_file))




def test_a_condition_left_out_for_an_input_not_given_is_said() -> None:
    """A condition on an input the command was not given is left out (as Noodl leaves it out),
    so `query` listed every record without a word, as if the filter had matched them all;
    the data browser already said so above its table."""
    script = "where({ score: { greaterThan: Inputs.Min } })"
    res = ql("query", "Post", script, "--format", "json")
    assert res.returncode == 0 and len(json.loads(res.stdout)) == 40
    assert res.stderr == ("note: the operand of greaterThan on 'score' is undefined, so that condition is left out, "
                          "as Noodl leaves it out when an input is not given (-i KEY=VALUE or --inputs gives one)\n")
    given = ql("query", "Post", script, "-i", "Min=10", "--format", "json")
    assert ids_of(given.stdout) == GT10_IDS and given.stderr == ""
    assert ql("query", "Post", "where({ score: { greaterThan: 10 } })", "--format", "json").stderr == ""

"""The REPL's commands, run in process on a Session: .load, .inputs, .sql, .show, .relation,
.schema and the words a person types, each error said as the command line says it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

import querylang
from querylang.app.repl import HELP_EXAMPLE, Session

from .repl import completions_of, session_for


def test_sql_after_a_failed_entry_says_which_query_it_shows() -> None:
    # Found by review: after `where({scroe:13})` failed, .sql and .explain showed the previous
    # entry's `score = ?` without a word, as if it were the failed entry's SQL.
    s, out = session_for(class_name="Post")
    for entry in ("where({score:13})", "where({scroe:13})", ".sql", ".explain"):
        s.handle(entry)
    said = out.getvalue()
    assert said.count("the last entry failed; this is the last query that ran, on Post: where({score:13})") == 2
    s.handle("where({ score: 14 })")
    s.handle(".sql")
    assert out.getvalue().count("the last entry failed") == 2


def test_inputs_values_are_json(tmp_path: Path) -> None:
    # #12.9: the double quotes of a JSON value are kept, so a list is a list.
    s, out = session_for(class_name="Comment")
    s.handle('.inputs L=["p001","p002"] S={"a": 1} N=5 T=plain Q=\'two words\'')
    assert s.inputs == {"L": ["p001", "p002"], "S": {"a": 1}, "N": 5, "T": "plain", "Q": "two words"}
    s.handle("where({ Owner: { containedIn: Inputs.L } })")
    assert "error" not in out.getvalue() and "0 records" not in out.getvalue()
    assert s.status == 0
    s.handle(".inputs L=[1,")
    assert "not valid JSON" in out.getvalue() and s.status == 2


def test_an_inputs_value_that_is_not_valid_json_is_said_as_the_command_lines_is() -> None:
    """Found by review: "usage: .inputs KEY=VALUE ... (x: not valid JSON at column 8: Expecting
    value)", its column the whole argument's, where --inputs says "--inputs: not valid JSON at
    line 1, column 6: ..."; nothing of the line is set."""
    s, out = session_for(class_name="Post")
    s.handle('.inputs a=1 x={"a":')
    assert "error: Inputs.x: not valid JSON at line 1, column 6: Expecting value" in out.getvalue()
    assert s.status == 2 and s.inputs == {}


def test_load_says_a_path_the_system_refuses_as_the_load_command_does(tmp_path: Path) -> None:
    """Found by review: "cannot load PATH: a loop of symbolic links (nothing was loaded)", where
    `querylang load PATH` says "PATH: cannot read: a loop of symbolic links"."""
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    s, out = session_for(class_name="Post")
    s.handle(f".load {tmp_path / 'loop1'}")
    assert f"error: {tmp_path / 'loop1'}: cannot read: a loop of symbolic links\n" in out.getvalue()
    assert s.status == 2


def test_load_names_the_folder_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Was 'd/schema.json: ...' of .load ./d: Python's Path drops the './' typed."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {\n "A": {"fields": {"x": {"type": "Nope"}}}}}',
                                                encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    s, out = session_for(class_name="Post")
    s.handle(".load ./d")
    assert "error: ./d/schema.json, line 2: class A, field x: unknown type 'Nope'" in out.getvalue(), out.getvalue()


@pytest.mark.parametrize(("typed", "said"), [
    ("~/bad.json", "~/bad.json: not valid JSON at line 2, column 1"),
    ("~/nope.json", "no such data file: ~/nope.json"),
    ("~/d/", "~/d/Post.ndjson, line 1: not valid JSON"),
    ("~/empty", "~/empty: an interchange directory needs a schema.json"),
])
def test_load_names_a_home_path_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, typed: str, said: str) -> None:
    """Found by review: .load ~/x named '~/x' when the look at it failed, and the expanded
    '/home/me/x' in the load's own messages: one path, two names."""
    (tmp_path / "bad.json").write_text('{"classes":\n', encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {"Post": {"fields": {}}}}', encoding="utf-8")
    (tmp_path / "d" / "Post.ndjson").write_text('{"objectId": "p1",\n', encoding="utf-8")
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    s, out = session_for(class_name="Post")
    s.handle(f".load {typed}")
    assert f"error: {said}" in out.getvalue(), out.getvalue()
    assert str(tmp_path) not in out.getvalue() and s.status == 2


def test_json_nested_too_deeply_is_a_user_error_not_a_fault() -> None:
    s, out = session_for(class_name="Post")
    nested = "[" * 5000 + "]" * 5000
    s.handle(f".inputs L={nested}")
    s.handle('{"score": ' + nested + "}")
    text = out.getvalue()
    assert "Inputs.L: nested too deeply" in text and "the entry: nested too deeply" in text
    assert "internal error" not in text and s.status == 2


def test_tables_show_control_characters_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"text": {"type": "String"}}}},
             "records": {"Note": [{"objectId": "n1", "text": "\x1b]0;owned\x07\x1b[2J"}]}})  # fmt: skip
    out = io.StringIO()
    s = Session(db, Console(file=out, width=120, highlight=False, emoji=False, soft_wrap=False), class_name="Note")
    s.handle("where({})")
    s.handle(".show n1")  # printed on stdout, as the command's show
    text = out.getvalue() + capsys.readouterr().out
    assert text.count("\\x1b]0;owned\\x07\\x1b[2J") == 2 and "\x1b" not in text and "\x07" not in text


def test_errors_show_control_characters_escaped() -> None:
    """An error repeats what it was given; its control characters were written raw."""
    s, out = session_for(class_name="Post")
    s.handle('.show "p\x1b]0;owned\x07"')
    text = out.getvalue()
    assert "\\x1b]0;owned\\x07" in text and "\x1b" not in text and "\x07" not in text


def test_the_help_example_runs(tmp_path: Path) -> None:
    # #12.10: the example .help prints is one line that runs as it is.
    s, out = session_for(class_name="Post", inputs={"Min": 10})
    s.handle(".help")
    assert HELP_EXAMPLE in out.getvalue()
    s.handle(HELP_EXAMPLE)
    assert "error" not in out.getvalue() and "4 records" in out.getvalue()


def test_the_readme_lists_each_command_as_help_prints_it() -> None:
    # Found by review: the README listed `.format table|json` (csv and jsonl are there too),
    # `.show CLASS ID` without its FIELDs, `.schema` without its CLASS, and `.inputs` without
    # `clear`; and `.help` called `.explain` "DuckDB's plan" on PostgreSQL too.
    from querylang.app.repl import COMMANDS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    repl = readme[readme.index("`querylang repl "):]
    repl = " ".join(repl[: repl.index("A session (real output)")].split())
    for name, (usage, _) in COMMANDS.items():
        assert f"`{name} {usage}`".replace(" `", "`") in repl, name
    assert COMMANDS[".explain"][1].startswith("the database's plan")
    assert "interchange directory" in COMMANDS[".load"][1]  # .load reads one, as --data does


def test_help_says_show_embeds_array_fields_of_pointers_too(capsys: pytest.CaptureFixture[str]) -> None:
    """.help said .show's FIELDs were "Pointer fields to embed"; an Array field of Pointers is
    embedded too, as the command's show --include does."""
    from querylang.app.repl import COMMANDS

    assert "Array fields of Pointers" in COMMANDS[".show"][1]
    db = querylang.connect()
    db.load({"classes": {"User": {"fields": {"name": {"type": "String"}}}, "Team": {"fields": {"people": {"type": "Array"}}}},
             "records": {"User": [{"objectId": "u1", "name": "Ann"}],
                         "Team": [{"objectId": "t1", "people": [{"__type": "Pointer", "className": "User", "objectId": "u1"}]}]}})  # fmt: skip
    out = io.StringIO()
    s = Session(db, Console(file=out, width=200, highlight=False, emoji=False, soft_wrap=False), class_name="Team")
    s.handle(".show t1 people")
    text = out.getvalue() + capsys.readouterr().out
    assert '"__type": "Object", "className": "User", "objectId": "u1"' in text and '"name": "Ann"' in text


def test_a_statement_that_asks_for_no_query_is_an_error() -> None:
    # #12.15: `const m = 10` used to list every record.
    s, out = session_for(class_name="Post")
    s.handle("const m = 10")
    assert "error:" in out.getvalue() and "where()" in out.getvalue() and "40 records" not in out.getvalue()
    s.handle("const m = 10; where({ score: { greaterThan: m } })")
    assert "4 records" in out.getvalue()


def test_show_and_relation_take_the_current_class_when_left_out() -> None:
    # Found by review: `.show ID` worked with a class picked, but `.show ID FIELD` read ID as a
    # class and `.relation ID KEY` was a usage error; .help listed neither shorthand.
    s, out = session_for(class_name="Comment")
    s.handle(".show c001 Owner")
    shown = out.getvalue()
    assert "Comment c001" in shown and "Post p008" in shown and "title" in shown, shown
    s.handle(".class Group")
    s.handle(".relation g2 posts")
    assert "6 records" in out.getvalue() and "error" not in out.getvalue()
    s.handle(".show Comment c001")  # a first word that names a class is still the CLASS
    assert out.getvalue().count("Comment c001") == 2
    s.handle(".help")
    assert ".show [CLASS] ID [FIELD,...]" in out.getvalue() and ".relation [CLASS] ID KEY" in out.getvalue()
    s.class_name = None
    s.handle(".relation g2 posts")
    assert "no class picked: .class NAME, or give the CLASS" in out.getvalue()
    names = [cand for cand, _, _ in completions_of(s, ".relation Group g2 p")]
    s.class_name = "Group"
    assert names == [cand for cand, _, _ in completions_of(s, ".relation g2 p")] == ["posts"]


@pytest.mark.parametrize("picked", [None, "Comment"])
def test_a_first_word_that_names_a_class_is_the_class_with_a_word_missing_after_it(picked: str | None) -> None:
    # Found by review: `.relation Group g2` (KEY forgotten) looked up a Comment 'Group' with
    # Comment picked, and said "no class picked" with none; `.show Post` looked up a Comment 'Post'.
    s, out = session_for(class_name=picked)
    s.handle(".relation Group g2")
    s.handle(".show Post")
    said = out.getvalue()
    assert "usage: .relation [CLASS] ID KEY (CLASS Group given, but no KEY)" in said, said
    assert "usage: .show [CLASS] ID [FIELD,...] (CLASS Post given, but no ID)" in said, said
    assert "no Comment record" not in said and "no class picked" not in said


def test_schema_of_a_class_is_drawn_as_the_other_tables() -> None:
    # Found by review: `.schema Group` drew rich's default box (│ between columns, ╇ under
    # the header) where every other table draws a plain heavy rule; and "1 records".
    s, out = session_for()
    s.handle("where({})")  # no class: an error, then the tables
    s.handle(".schema")
    s.handle(".schema Group")
    s.class_name = "Group"
    s.handle("where({})")
    text = out.getvalue()
    assert "Group: 8 records" in text and "posts       Relation → Post" in text
    assert not set("│╇┃┡") & set(text), text
    s.db.load({"classes": {"One": {"fields": {}}}, "records": {"One": [{"objectId": "o1"}]}})
    s.handle(".schema One")
    assert re.search(r"^One: 1 record *$", out.getvalue(), re.M), out.getvalue()


def test_a_database_file_that_does_not_exist_is_new_and_not_left_behind_empty(tmp_path: Path) -> None:
    # Found by review: `querylang repl --db typo.duckdb` (a mistyped path) opened a new, empty
    # database without a word and left the empty file behind.
    from click.testing import CliRunner

    from querylang.app.cli import main

    typo, env = tmp_path / "typo.duckdb", {"QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl", "--db", str(typo)], input=".schema\n")
    assert res.exit_code == 0, res.output
    assert f"{typo} did not exist: this is a new, empty database" in res.stderr
    assert not typo.exists() and not (tmp_path / "typo.duckdb.wal").exists()
    data = tmp_path / "one.json"
    data.write_text('{"classes": {"Note": {"fields": {}}}, "records": {"Note": [{"objectId": "n1"}]}}')
    res = CliRunner(env=env).invoke(main, ["repl", "--db", str(typo)], input=f".load {data}\n")
    assert res.exit_code == 0 and "loaded 1 record" in res.stdout, res.output
    assert typo.exists()  # written to: kept
    res = CliRunner(env=env).invoke(main, ["repl", "--db", str(typo)], input=".class Note\nwhere({})\n")
    assert "did not exist" not in res.stderr and "1 record" in res.stdout


def test_load_names_its_path_as_typed_in_a_repl_given_a_home_data_path(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: in a REPL started with --data=~/d, `.load /home/me/d/x.json` named the
    file '~/d/x.json', the start's name for its folder: a path is named as that command typed it."""
    from click.testing import CliRunner

    from querylang.app.cli import main

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {"Post": {"fields": {}}}}', encoding="utf-8")
    (tmp_path / "d" / "Post.ndjson").write_text('{"objectId": "p1"}\n', encoding="utf-8")
    (tmp_path / "d" / "x.json").write_text('{"classes":\n', encoding="utf-8")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    entries = f".load {tmp_path}/d/x.json\n.load ./d/x.json\n.load ~/d/x.json\n"
    res = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}).invoke(
        main, ["repl", "--data=~/d"], input=entries)
    said = res.stdout + res.stderr
    assert f"error: {tmp_path}/d/x.json: not valid JSON at line 2" in said, said
    assert "error: ./d/x.json: not valid JSON at line 2" in said, said
    assert "error: ~/d/x.json: not valid JSON at line 2" in said, said


def test_a_repl_load_leaves_the_sessions_other_names_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A .load's own name comes first; the session's --db=~/x.duckdb keeps its name meanwhile."""
    from querylang.interchange.given_paths import shown, typed_sources

    monkeypatch.setenv("HOME", str(tmp_path))
    with typed_sources(["~/x.duckdb", "~/d"]), typed_sources([f"{tmp_path}/d/x.json"], new_command=True):
        assert shown(tmp_path / "x.duckdb") == "~/x.duckdb"
        assert shown(tmp_path / "d" / "x.json") == f"{tmp_path}/d/x.json"
        assert shown(tmp_path / "d" / "y.json") == "~/d/y.json"


def test_a_db_path_typed_with_a_leading_dot_slash_is_named_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by review: --db=./w/x.duckdb was named 'w/x.duckdb' (Path drops the './') in the
    REPL's note of a new database, in load's report and in a damaged file's error, where every
    data path is named as typed."""
    from click.testing import CliRunner

    from querylang.app.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "w").mkdir()
    (tmp_path / "one.json").write_text('{"classes": {"Note": {"fields": {}}}, "records": {"Note": [{"objectId": "n1"}]}}')
    env = {"COLUMNS": "300", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl", "--db=./w/new.duckdb"], input=".schema\n")
    assert "note: ./w/new.duckdb did not exist: this is a new, empty database" in res.stderr, res.stderr
    res = CliRunner(env=env).invoke(main, ["load", "one.json", "--db", "./w/x.duckdb"])
    assert res.exit_code == 0 and "loaded 1 record into ./w/x.duckdb: Note 1" in res.output, res.output
    whole = (tmp_path / "w" / "x.duckdb").read_bytes()
    (tmp_path / "w" / "cut.duckdb").write_bytes(whole[: len(whole) // 3])
    res = CliRunner(env=env).invoke(main, ["query", "--db", "./w/cut.duckdb", "Note", "{}"])
    said = " ".join((res.stdout + res.stderr).split())
    assert res.exit_code != 0 and "cannot read the database ./w/cut.duckdb: the file is damaged" in said, said


def test_a_condition_left_out_for_an_input_not_set_is_said() -> None:
    """The REPL listed every record for a condition on an input not set, without a word."""
    s, out = session_for(class_name="Post")
    s.handle("where({ score: { greaterThan: Inputs.Min } })")
    said = " ".join(out.getvalue().split())
    assert ("note: the operand of greaterThan on 'score' is undefined, so that condition is left out, as Noodl "
            "leaves it out when an input is not given (.inputs KEY=VALUE sets one)") in said
    assert "40 records" in said
    s.handle(".inputs Min=10")
    s.handle("where({ score: { greaterThan: Inputs.Min } })")
    assert " ".join(out.getvalue().split()).count("that condition is left out") == 1


def test_show_follows_an_array_of_pointers_by_the_show_that_embeds_them() -> None:
    """The REPL's follow line for an Array of Pointers is its own .show with the FIELD to embed."""
    db = querylang.connect()
    db.load({"classes": {"User": {"fields": {"name": {"type": "String"}}}, "Post": {"fields": {"others": {"type": "Array"}}}},
             "records": {"User": [{"objectId": "u1", "name": "ann"}],
                         "Post": [{"objectId": "p1", "others": [{"__type": "Pointer", "className": "User", "objectId": "u1"}]}]}})  # fmt: skip
    out = io.StringIO()
    s = Session(db, Console(file=out, width=120, highlight=False, emoji=False, soft_wrap=False), class_name="Post")
    s.handle(".show p1")
    line = out.getvalue().split("follow:")[1].strip()
    assert line == ".show Post p1 others" and "ann" not in out.getvalue()
    out.truncate(0)
    s.handle(line)
    assert "ann" in out.getvalue() and "follow:" not in out.getvalue() and s.status == 0


@pytest.mark.parametrize("class_name", [None, "Post"])
@pytest.mark.parametrize(("entry", "command"), [("exit", ".quit"), ("quit", ".quit"), ("quit()", ".quit"),
                                                ("help", ".help"), ("schema;", ".schema"), ("Q", ".quit")])
def test_a_commands_name_without_its_dot_says_the_dot(entry: str, command: str, class_name: str | None) -> None:
    """Found walking the shell: `exit`, `quit` and `help` (as other shells take them) were read
    as scripts, "line 1, column 1: exit is not defined" (or "pick a class first")."""
    s, out = session_for(class_name=class_name)
    s.handle(entry)
    said = " ".join(out.getvalue().split())
    assert f"the shell's commands start with a dot: {command}" in said, said
    assert "not defined" not in said and "pick a class" not in said and s.status == 2


def test_a_variable_named_as_a_command_in_a_script_is_still_a_script() -> None:
    s, out = session_for(class_name="Post")
    s.handle("const help = 13; where({ score: help })")
    assert "4 records" in out.getvalue() and s.status == 0

"""The ``querylang`` command when things go wrong: user errors (exit 2, the message on stderr),
faults (exit 1), a closed output pipe, an interrupt, and what no message may show (a
PostgreSQL password, a terminal's control characters). Run as in test_cli.py: in this process,
or in a subprocess where the process boundary is the point.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import querylang
from querylang.app.demo import sample_document
from querylang.engines.postgres.cluster import Cluster

from . import test_cli
from .pg import fresh_url
from .test_cli import COMMAND, ENV, GT10, SCRIPT, ids_of, ok, ql, user_error

# test_cli.py's module-scoped fixtures: the sample data as a file, and loaded into a DuckDB file.
sample_file = test_cli.sample_file
sample_db = test_cli.sample_db


# --- user errors ----------------------------------------------------------------------------


def test_a_misspelt_field_shows_the_caret_under_it() -> None:
    err = user_error("query", "Post", "where({ scroe: { greaterThan: 10 } })")
    assert "did you mean 'score'" in err
    lines = err.splitlines()
    source = next(i for i, line in enumerate(lines) if "scroe:" in line and "|" in line)
    assert lines[source + 1].index("^") == lines[source].index("scroe")


def test_a_syntax_error_exits_2_with_line_and_column() -> None:
    err = user_error("query", "Post", "where({ score: { greaterThan: 10 } }")
    assert err.startswith("error: line 1, column")
    assert "^" in err


@pytest.mark.parametrize("script", ["[1, 2]", "5", "null", "const m = 10", "Inputs.x"])
def test_a_script_that_asks_for_no_query_exits_2(script: str) -> None:
    """A non-blank SCRIPT that never calls where(), filter() or sort() (a mistyped filter)
    listed every record; the REPL already refused such an entry. An empty SCRIPT, where({})
    and sort() alone still list them."""
    for command in ("query", "compile"):
        err = user_error(command, "Post", script, "-i", "x=1")
        assert "SCRIPT ran without calling where(), filter() or sort()" in err
    assert "1 record" in ok("query", "Post", "", "--limit", "1")
    assert "1 record" in ok("query", "Post", "sort(['-score'])", "--limit", "1")


def test_unknown_class_exits_2_with_a_suggestion() -> None:
    assert "did you mean 'Post'" in user_error("query", "Pots", GT10)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"classes": ', "not valid JSON"),
        ('{"classes": {"A": {"fields": {"x": {"type": "Strng"}}}}}', "Strng"),
        ('{"records": {"Nope": []}}', "unknown class"),
    ],
)
def test_a_bad_data_file_exits_2(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert message in user_error("query", "A", "", "--data", str(path))


def test_missing_files_exit_2(tmp_path: Path) -> None:
    assert "no such data file" in user_error("schema", "--data", str(tmp_path / "nope.json"))
    assert "no such database file" in user_error("schema", "--db", str(tmp_path / "nope.duckdb"))
    assert "no such script file" in user_error("query", "Post", "@" + str(tmp_path / "nope.js"))


@pytest.mark.parametrize(
    "args",
    [("query", "Post", "@{}"), ("query", "Post", "@{}", "--format", "csv"), ("compile", "Post", "@{}"),
     ("compile", "Post", "@{}", "--explain")],
)
def test_an_error_at_a_line_of_an_at_file_script_names_the_file(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A script read from @FILE that fails at its line 3 is named by the file before the line,
    as a data file's bad record is. The caret view alone ("line 3, column 36: ...") left it to
    the user to know which of their filter files the command had read."""
    bad_syntax = tmp_path / "filter.js"
    bad_syntax.write_text("// posts above a minimum\nconst min = 3\nwhere({ score: { greaterThan: min })\n",
                          encoding="utf-8")  # fmt: skip
    bad_field = tmp_path / "field.js"
    bad_field.write_text("where({\n  scroe: 1 })", encoding="utf-8")
    err = user_error(*(a.format(bad_syntax) for a in args))
    assert err.startswith(f"error: {bad_syntax}, line 3, column 36: unexpected ')'"), err
    err = user_error(*(a.format(bad_field) for a in args))
    assert err.startswith(f"error: {bad_field}, line 2, column 3: class Post has no field 'scroe'"), err
    # A script given as the argument has no file to name.
    assert user_error("query", "Post", "where({ scroe: 1 })").startswith("error: line 1, column 9: ")


@pytest.mark.parametrize(
    "args",
    [
        ("query", "Post", GT10, "--db", "a.duckdb", "--data", "b.json"),
        ("query", "Post", GT10, "-i", "no-equals-sign"),
        ("query", "Post", GT10, "--limit", "-1"),
        ("query", "Post", GT10, "--format", "xml"),
        ("query", "Post"),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    res = ql(*args)
    assert res.returncode == 2 and "Usage:" in res.stderr


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize(
    ("extra", "said"),
    [(("--select", "titel"), "cannot select 'titel': class Post has no field 'titel' (did you mean 'title'?)"),
     (("--include", "author", "--select", "author.nam"), "cannot select 'author.nam': class User has no field 'nam'")],
)
def test_a_streamed_query_s_bad_select_writes_no_output(fmt: str, extra: tuple[str, ...], said: str) -> None:
    # --format csv wrote its header line ("objectId,createdAt,updatedAt") before the stream's
    # check of --select refused it: '> out.csv' held a header and the command exited 2.
    assert said in user_error("query", "Post", "", "--format", fmt, *extra)  # stdout empty


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--db", "blog.duckdb", "query", "Post", GT10), "--db is an option of 'query': give it after the command's "
                                                           "name (querylang query ... --db ...)"),
        (("--limit=3", "query", "Post", GT10), "--limit is an option of 'query'"),
        (("--db", "app.duckdb", "import", "mongo", "dump"), "--db is an option of 'import mongo': give it after the "
                                                             "command's name (querylang import mongo ... --db ...)"),
        # Between 'import' and its command (found by review: the hint was the top level's alone).
        (("import", "--db", "app.duckdb", "mongo", "dump"), "--db is an option of 'import mongo': give it after the "
                                                             "command's name (querylang import mongo ... --db ...)"),
    ],
)
def test_a_command_s_option_before_the_command_says_where_it_goes(args: tuple[str, ...], said: str) -> None:
    # 'querylang --db blog.duckdb query ...' said only "No such option '--db'", though every
    # command's --help lists it: the option was right, its place was not.
    res = ql(*args)
    assert res.returncode == 2 and "Usage:" in res.stderr
    assert said in res.stderr, res.stderr


@pytest.mark.parametrize("command", ["query", "compile"])
def test_a_field_used_as_a_variable_is_hinted_by_query_and_compile(command: str) -> None:
    # compile refused the script for asking no query before building it: no hint there.
    err = user_error(command, "Post", "score > 10")
    assert err.startswith("error: line 1, column 1: score is not defined ('score' is a field of Post: a filter names "
                          "it as a key, where({ score: ... }))"), err


def test_an_option_no_command_has_gets_no_hint() -> None:
    res = ql("--frob", "query", "Post", GT10)
    assert res.returncode == 2 and "No such option '--frob'." in res.stderr and "option of" not in res.stderr


# --- faults and closed pipes (#12.8) --------------------------------------------------------


def test_a_database_fault_exits_1_not_2(tmp_path: Path, sample_file: Path) -> None:
    # A real fault from the engine: a table changed behind querylang's back.
    import duckdb

    path = tmp_path / "changed.duckdb"
    ok("load", str(sample_file), "--db", str(path))
    con = duckdb.connect(str(path))
    con.execute('DROP TABLE "Comment"')
    con.close()
    res = ql("query", "Comment", "where({})", "--db", str(path))
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert "the database rejected the query" in res.stderr and "internal error" not in res.stderr


def test_a_table_dropped_from_a_duckdb_file_shows_as_unknown_and_the_rest_is_listed(
    tmp_path: Path, sample_file: Path,
) -> None:
    """Found by a review: after DROP TABLE "Comment" by hand, `schema` (and the REPL's .schema)
    said only 'the database rejected the query: Catalog Error: Table with name Comment does not
    exist!' (exit 1), and with "_join:posts:Group" dropped too the file did not open ('cannot
    read the database'), where PostgreSQL shows '?', says why and lists the rest."""
    import duckdb

    path = tmp_path / "dropped.duckdb"
    ok("load", str(sample_file), "--db", str(path))
    with duckdb.connect(str(path)) as con:
        con.execute('DROP TABLE "Comment"; DROP TABLE "_join:posts:Group"')
    why = "?: the table of Comment was dropped or renamed outside querylang (load the class again, or restore the table)"
    for out in (ok("schema", "--db", str(path)), ok("repl", "--db", str(path), stdin=".schema\n")):
        out = " ".join(out.split())
        assert re.search(r"Comment \? text", out) and re.search(r"Post 40 title", out) and why in out, out
    assert json.loads(ok("schema", "--format", "json", "--db", str(path)))["Comment"]["count"] is None
    out = " ".join(ok("show", "Group", "g2", "--db", str(path)).split())
    assert "posts Relation → Post ? records (table dropped or renamed outside querylang)" in out, out
    assert re.search(r"members Relation → User \d+ records", out), out
    res = ql("query", "Comment", "where({})", "--db", str(path))  # a fault still: exit 1
    assert res.returncode == 1 and res.stderr == (
        "error: the database rejected the query: Catalog Error: Table with name Comment does not exist!; the schema "
        "lists its class or Relation, so the table was dropped or renamed outside querylang (load the class again, "
        "or restore the table)\n"), res.stderr


def test_a_load_or_a_reference_read_after_a_table_was_dropped_by_hand_says_so(tmp_path: Path, sample_file: Path) -> None:
    # A load into the dropped class leaked DuckDB's CatalogException ('internal error', exit 1);
    # a load of another class said DuckDB's words, guessing another table ('Did you mean
    # "_join:members:Group"?'); db.reference leaked the CatalogException.
    import duckdb

    path = tmp_path / "dropped.duckdb"
    ok("load", str(sample_file), "--db", str(path))
    with duckdb.connect(str(path)) as con:
        con.execute('DROP TABLE "Comment"')
    why = ("Catalog Error: Table with name Comment does not exist!; the schema lists its class or Relation, so the "
           "table was dropped or renamed outside querylang (load the class again, or restore the table)")
    for records in ({"Comment": [{"objectId": "cnew"}]}, {"Z": [{"objectId": "z"}]}):
        doc = tmp_path / "more.json"
        doc.write_text(json.dumps({"classes": {"Z": {"fields": {}}}, "records": records}))
        res = ql("load", str(doc), "--db", str(path))
        assert res.returncode == 2 and res.stderr == f"error: load failed, nothing was loaded: {why}\n", res.stderr
    db = querylang.connect(str(path))
    try:
        with pytest.raises(querylang.QueryError, match="dropped or renamed outside querylang"):
            db.reference("Post", "where({})")
        assert "Z" not in db.schema.classes and db.count("Post") == 40
    finally:
        db.close()


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl", "json"])
def test_a_closed_output_pipe_exits_quietly_with_0(fmt: str) -> None:
    # The process boundary is the point: the reader (`| head -1`) goes away mid-output.
    proc = subprocess.Popen(
        [*COMMAND, "query", "Comment", "where({})", "--format", fmt],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **ENV},
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_the_groups_own_flags_keep_the_exit_statuses_of_output(flag: str) -> None:
    """README: exit 0 when the reader of the output goes away (`| head`), 2 for output to a full
    disk. `querylang --version` and `querylang --help` print before any command runs: they
    exited 1 saying nothing, and wrote a traceback to a full disk."""
    proc = subprocess.Popen([*COMMAND, flag], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **ENV})
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # gone before anything is written
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
    with open("/dev/full", "w") as full:
        res = subprocess.run([*COMMAND, flag], stdout=full, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, **ENV}, timeout=60)  # fmt: skip
    assert res.returncode == 2, res
    assert res.stderr == "error: cannot write the output (standard output): No space left on device\n", res
    # Found by review: with stdout closed (`querylang --version >&-`) they exited 0, printing nothing.
    res = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *COMMAND, flag], capture_output=True, text=True,
                         env={**os.environ, **ENV}, timeout=60)  # fmt: skip
    assert res.returncode == 2 and res.stderr.startswith("error: cannot write the output (standard output): it is closed"), res


def test_a_command_started_with_stdout_closed_says_it_cannot_write(tmp_path: Path) -> None:
    """Found by review: `querylang query Post "where({})" >&-` exited 0 saying nothing, where
    README says output that cannot be written is exit 2. load (whose summary is no output a
    script needs) still loads; the process boundary is the point (stdout closed at start)."""
    closed = ["sh", "-c", 'exec "$@" >&-', "sh", *COMMAND]
    res = subprocess.run([*closed, "query", "Post", "where({})"], capture_output=True, text=True,
                         env={**os.environ, **ENV}, timeout=60)  # fmt: skip
    assert res.returncode == 2, res
    assert res.stderr == ("error: cannot write the output (standard output): it is closed; send it somewhere, "
                          "e.g. > out.txt or > /dev/null\n")  # fmt: skip
    path = tmp_path / "blog.duckdb"
    res = subprocess.run([*closed, "load", "tests/conformance/dataset.json", "--db", str(path)],
                         capture_output=True, text=True, env={**os.environ, **ENV}, timeout=60)  # fmt: skip
    assert res.returncode == 0 and res.stderr == "", res
    with querylang.connect(path, read_only=True) as db:
        assert db.query("Post", "where({})", count=True, limit=0).count == 40


# --- passwords, deep JSON, bench, control characters, --sort -------------------------------

SECRET = "S3CRETPW"
UNREACHABLE = [  # port 1: nothing listens, so the connection fails at once
    f"postgresql://u:{SECRET}@127.0.0.1:1/x",
    f"postgresql://u@127.0.0.1:1/x?password={SECRET}",
    f"postgresql://u:{SECRET}@[::1/x",  # malformed: psycopg quotes the whole URL back
    f"postgresql://u:{SECRET}@127.0.0.1:1/x?bogus=1",  # refused by the URL parser
    # psycopg quoted a password with a space alone ('unexpected spaces found in "S3CRETPW X"'),
    # and libpq named what follows a raw '@' as the host ("failed to resolve host 'S3CRETPW@…'").
    f"postgresql://u:{SECRET} X@127.0.0.1:1/x",
    f"postgresql://u@127.0.0.1:1/x?password={SECRET} X",
    f"postgresql://u:ab@{SECRET}@127.0.0.1:1/x",
]


@pytest.mark.parametrize("url", UNREACHABLE)
def test_no_message_about_a_postgresql_url_shows_its_password(url: str, sample_file: Path) -> None:
    for args in (("doctor", "--db", url),
                 ("query", "Post", "where({})", "--db", url, "--layout", "parse"),
                 ("query", "Post", "where({})", "--db", url),
                 ("load", str(sample_file), "--db", url)):  # fmt: skip
        res = ql(*args)
        assert res.returncode == 2, (args, res.stderr)
        assert "PostgreSQL at postgresql://u" in res.stderr and "***" in res.stderr
        assert SECRET not in res.stderr + res.stdout and "internal error" not in res.stderr


def test_the_password_is_masked_on_a_server_that_answers(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = fresh_url(pg_cluster)
    with_password = url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")
    in_query = url + f"&password={SECRET}"
    for target in (with_password, in_query):
        # A database that is not Parse Server's: the parse layout says so, naming the URL.
        for args in (("doctor", "--db", target), ("schema", "--db", target, "--layout", "parse")):
            err = user_error(*args)
            assert "no _SCHEMA table" in err and "postgresql://postgres" in err and SECRET not in err
    doc = {"classes": {"Post": {"fields": {"title": {"type": "String"}}}}, "records": {"Post": [{"objectId": "p1"}]}}
    data = tmp_path / "one.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    out = ok("load", str(data), "--db", with_password)
    assert out == "loaded 1 record into the PostgreSQL database: Post 1\n"


@pytest.mark.parametrize(("text", "shown"), [
    ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:p@ss@h/db", "postgresql://u:***@h/db"),  # a raw '@' in the password
    ("postgresql://u@h/db?sslmode=disable&password=pw&x=1", "postgresql://u@h/db?sslmode=disable&password=***&x=1"),
    ("user=u password=pw host=h", "user=u password=*** host=h"),  # conninfo, as psycopg spells a URL
    ("user=u password='p w\\'x' host=h", "user=u password=*** host=h"),
    ('in URI: "postgresql://u:pw@[::1/x"', 'in URI: "postgresql://u:***@[::1/x"'),
    ("postgresql://u@h:5432/db", "postgresql://u@h:5432/db"),
])  # fmt: skip
def test_hide_password_masks_every_spelling(text: str, shown: str) -> None:
    from querylang.engines.postgres.passwords import hide_password

    assert hide_password(text) == shown


def deep(tmp_path: Path, levels: int = 5000) -> Path:
    path = tmp_path / "deep.json"
    path.write_text('{"a":' + "[" * levels + "]" * levels + "}", encoding="utf-8")
    return path


def test_json_nested_too_deeply_is_a_user_error_naming_the_file(tmp_path: Path) -> None:
    path = deep(tmp_path)
    for args in (("find", "Post", f"@{path}"), ("load", str(path), "--db", str(tmp_path / "x.duckdb")),
                 ("query", "Post", "where({})", "--inputs", f"@{path}"), ("query", "Post", f"@{path}")):  # fmt: skip
        err = user_error(*args)
        assert f"{path}: nested too deeply" in err, args
    assert not (tmp_path / "x.duckdb").exists()
    nested = "[" * 5000 + "]" * 5000
    assert "WHERE_JSON: nested too deeply" in user_error("find", "Post", nested)
    assert "input X: nested too deeply" in user_error("query", "Post", "where({})", "-i", f"X={nested}")
    assert "--inputs: nested too deeply" in user_error("query", "Post", "where({})", "--inputs", nested)


def test_bench_finds_the_benchmarks_folder_of_the_checkout(tmp_path: Path) -> None:
    proc = subprocess.run([*COMMAND, "bench", "--help"], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, **ENV}, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "--scale" in proc.stdout and "benchmarks/ folder is not here" not in proc.stderr


def test_bench_help_to_a_full_disk_exits_2_as_the_other_commands() -> None:
    # argparse dropped the write error: it exited 0 saying nothing.
    with open("/dev/full", "w") as full:
        res = subprocess.run([*COMMAND, "bench", "--help"], stdout=full, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, **ENV}, timeout=120)  # fmt: skip
    assert res.returncode == 2, res
    assert res.stderr == "error: cannot write the output (standard output): No space left on device\n", res


def test_a_pointer_to_another_class_names_both_classes(tmp_path: Path) -> None:
    db = str(tmp_path / "p.duckdb")
    to = {name: tmp_path / f"{name}.json" for name in ("User", "Post")}
    for name, path in to.items():
        fields = {"author": {"type": "Pointer", "targetClass": name}}
        path.write_text(json.dumps({"classes": {"User": {"fields": {}}, "Post": {"fields": fields}}}), encoding="utf-8")
    ok("load", str(to["User"]), "--db", db)
    err = user_error("load", str(to["Post"]), "--db", db)
    assert "class Post, field author: already defined as Pointer<User>, cannot become Pointer<Post>" in err


ESCAPES = "\x1b[31mred\x9b2J\x07bell\x7fdel"


def test_tables_show_control_characters_escaped_and_other_formats_keep_them(tmp_path: Path) -> None:
    doc = {"classes": {"Post": {"fields": {"title": {"type": "String"}}}},
           "records": {"Post": [{"objectId": "p1", "title": ESCAPES + " naïve ✓"}]}}  # fmt: skip
    data = tmp_path / "esc.json"
    data.write_text(json.dumps(doc), encoding="utf-8")
    table = ok("query", "Post", "where({})", "--data", str(data), "--limit", "1")
    assert "\\x1b[31mred\\x9b2J" in table  # the column is cut to its width after that
    record = ok("show", "Post", "p1", "--data", str(data))
    assert "\\x1b[31mred\\x9b2J\\x07bell\\x7fdel naïve ✓" in record
    for out in (table, record):
        assert not any(ch in out for ch in "\x1b\x9b\x07\x7f")
    assert json.loads(ok("query", "Post", "where({})", "--data", str(data), "--format", "json"))[0]["title"] == ESCAPES + " naïve ✓"
    assert json.loads(ok("query", "Post", "where({})", "--data", str(data), "--format", "jsonl"))["title"].startswith(ESCAPES)
    assert ESCAPES in ok("query", "Post", "where({})", "--data", str(data), "--format", "csv")


def test_error_messages_show_control_characters_escaped() -> None:
    """An error repeats the id or the script it was given, and wrote their control characters
    raw: on a terminal they recoloured it, cleared it or set its title. The caret still points
    at its column when one comes before it."""
    err = user_error("show", "Post", "p" + ESCAPES)
    assert "no Post record with objectId 'p\\x1b[31mred\\x9b2J\\x07bell\\x7fdel'" in err
    assert not any(ch in err for ch in "\x1b\x9b\x07\x7f")
    err = user_error("query", "Post", 'where({ title: "\x1b[31m" }) bad')
    source, caret = err.splitlines()[1:3]
    assert source.endswith('where({ title: "\\x1b[31m" }) bad') and caret.index("^") == source.index("bad")


@pytest.mark.parametrize("keys", ["", ",,", "-score,,title", "-", "score, - "])
def test_an_empty_sort_key_is_a_usage_error(keys: str) -> None:
    """A '-' with no field after it is empty too (it was "cannot sort by ''", naming a key no one wrote)."""
    res = ql("query", "Post", "where({})", "--sort", keys)
    assert res.returncode == 2 and "--sort" in res.stderr and "empty sort key" in res.stderr
    res = ql("relation", "Group", "g2", "posts", "--sort", keys)
    assert res.returncode == 2 and "empty sort key" in res.stderr
    # Found by review: find's --order took it and sorted as if the empty key were not there.
    res = ql("find", "Post", "--order", keys)
    assert res.returncode == 2 and "--order" in res.stderr and "empty sort key" in res.stderr, res
    assert res.stdout == ""


def test_a_lone_minus_in_a_scripts_sort_is_named_as_written() -> None:
    """sort(['-']) and db.query(sort='-') said "cannot sort by ''", a key no one wrote."""
    err = user_error("query", "Post", "sort(['-'])")
    assert err.startswith("error: line 1, column 1: cannot sort by '-': a '-' needs a field name after it (-createdAt)\n")
    db = querylang.connect()
    db.load(sample_document())
    for sort in ("-", ["title", " - "], "-score,-"):
        with pytest.raises(querylang.SchemaError, match=r"^cannot sort by '-': a '-' needs a field name after it"):
            db.query("Post", {}, sort=sort)


def test_an_empty_sort_key_is_named_by_its_place() -> None:
    err = ql("find", "Post", "--order", "score,,title").stderr
    assert "Invalid value for --order: 'score,,title' has an empty sort key (key 2 of 3)" in err
    err = ql("query", "Post", "where({})", "--sort", "score,-").stderr
    assert "Invalid value for --sort: 'score,-' has an empty sort key (key 2 of 2)" in err


@pytest.mark.parametrize(("args", "option", "value"), [
    (("query", "Post", "where({})", "--select", "title,,body"), "--select", "'title,,body'"),
    (("query", "Post", "where({})", "--include", ""), "--include", "''"),
    (("find", "Post", "--keys", "title,,score"), "--keys", "'title,,score'"),
    (("find", "Post", "--include", "author,"), "--include", "'author,'"),
    (("show", "Comment", "c001", "--include", "Owner,,author"), "--include", "'Owner,,author'"),
])  # fmt: skip
def test_an_empty_field_name_is_a_usage_error_as_an_empty_sort_key_is(
    args: tuple[str, ...], option: str, value: str
) -> None:
    """Found by review: --select title,,body, --include '' and --keys a,,b dropped the empty
    key without a word (and answered as if it were not there), where --sort refuses it."""
    res = ql(*args)
    assert res.returncode == 2 and res.stdout == "", res
    assert f"Invalid value for {option}: {value} has an empty field name" in res.stderr
    # find's --keys '' alone is Parse's "only the keys always selected", as before.
    found = json.loads(ok("find", "Post", "--keys", "", "--limit", "1", "--format", "json"))
    assert set(found[0]) == {"objectId", "createdAt", "updatedAt"}


def test_show_says_it_embeds_one_level_for_a_dotted_include() -> None:
    """Found by review: `show Comment c001 --include Owner.author` said "class Comment has no
    field 'Owner.author' (did you mean 'author'?)", as if the path were misspelt."""
    err = user_error("show", "Comment", "c001", "--include", "Owner.author")
    assert "cannot include Comment.Owner.author: show embeds one level of Pointers: include Owner, " \
        "then show that Post record with author included" in err
    assert "has no field" not in err


@pytest.mark.parametrize(("args", "named"), [
    (("query", "Post", "@"), "'SCRIPT': '@'"),
    (("compile", "Post", "@ "), "'SCRIPT': '@ '"),
    (("find", "Post", "@"), "'WHERE_JSON': '@'"),
    (("query", "Post", "where({})", "--inputs", "@"), "'--inputs': '@'"),
])  # fmt: skip
def test_an_at_sign_with_no_file_name_is_a_usage_error(args: tuple[str, ...], named: str) -> None:
    """Found by review: `query Post @` read Path('') as '.' and said ".: cannot read: [Errno 21]
    Is a directory: '.'", a path the user never typed."""
    res = ql(*args)
    assert res.returncode == 2 and res.stdout == "", res
    assert f"Invalid value for {named} names no file: write its name after the @" in res.stderr
    assert "Is a directory" not in res.stderr


def test_the_parse_layout_on_a_duckdb_file_is_refused(sample_db: Path) -> None:
    """--layout parse reads a Parse Server's PostgreSQL database; with a DuckDB file (or no
    --db) it was ignored without a word and the query ran on our own tables. The refusal then
    named the library's argument, "layout='parse' reads ...: give its postgresql:// URL", to a
    user who gave an option, and did not say where the URL goes."""
    for args in (("--db", str(sample_db)), (), ("--data", "tests/conformance/dataset.json")):
        res = ql("query", "Post", "where({})", *args, "--layout", "parse")
        assert res.returncode == 2, res
        assert ("--layout parse reads a Parse Server's PostgreSQL database: give its postgresql:// URL as --db"
                in res.stderr), res


def test_sigterm_ends_a_load_like_ctrl_c(tmp_path: Path) -> None:
    """SIGTERM (a cancelled CI job, `kill`) ends a command through Ctrl-C's clean-up: exit 130
    and the database file the load was making removed. It used to end the process at once,
    leaving the new file (and an import's staging folder) behind."""
    import signal
    import subprocess
    import time

    doc = {"classes": {"Big": {"fields": {"x": {"type": "Number"}, "s": {"type": "String"}}}},
           "records": {"Big": [{"objectId": f"b{i}", "x": i, "s": f"hello {i}"} for i in range(400_000)]}}
    src, db = tmp_path / "big.json", tmp_path / "new.duckdb"
    src.write_text(json.dumps(doc), encoding="utf-8")
    proc = subprocess.Popen([str(SCRIPT), "load", str(src), "--db", str(db), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and "interrupted" in err, (proc.returncode, out, err)
    assert not db.exists() and not db.with_name(db.name + ".wal").exists()


@pytest.mark.parametrize(("line", "where"), [
    ('{"objectId": "p2", "title": }', "at column 29: unexpected character, expected a JSON value"),
    ('{"objectId": "p2", "title": "b"', "at the end of the line: unexpected end of data"),
])  # fmt: skip
def test_a_broken_line_of_a_directory_is_named_once(tmp_path: Path, line: str, where: str) -> None:
    # Found by review: "Post.ndjson, line 2: not valid JSON: unexpected character, expected a
    # JSON value: line 1 column 29 (char 28)": orjson's place in the one line it was given,
    # after the file's own line.
    data = tmp_path / "data"
    data.mkdir()
    (data / "schema.json").write_text('{"classes": {"Post": {"fields": {"title": {"type": "String"}}}}}')
    (data / "Post.ndjson").write_text('{"objectId": "p1", "title": "a"}\n' + line + "\n")
    err = user_error("load", str(data), "--db", str(tmp_path / "x.duckdb"))
    assert err == f"error: {data / 'Post.ndjson'}, line 2: not valid JSON {where}\n"
    assert not (tmp_path / "x.duckdb").exists()


def test_an_export_folder_given_to_load_names_the_import_that_reads_it(tmp_path: Path) -> None:
    # Found by review: a mongoexport or Dashboard export folder given to `load` (or --data)
    # said only that an interchange directory needs a schema.json.
    mongo, dashboard, db = tmp_path / "mongo", tmp_path / "dash", tmp_path / "x.duckdb"
    mongo.mkdir()
    dashboard.mkdir()
    (mongo / "_SCHEMA.json").write_text('{"_id": "Post", "objectId": "string", "title": "string"}\n')
    (mongo / "Post.json").write_text('{"_id": "p1", "title": "a"}\n')
    (dashboard / "Post.json").write_text('[{"objectId": "p1", "title": "a"}]\n')
    err = user_error("load", str(mongo), "--db", str(db))
    assert "needs a schema.json; this folder looks like a mongoexport of a Parse database" in err
    assert f"import it with: querylang import mongo {mongo} --db {db}\n" in err
    err = user_error("load", str(dashboard), "--db", str(db))
    assert f"looks like Parse Dashboard exports (JSON arrays of records): import it with: querylang import dashboard {dashboard} --db {db}\n" in err
    assert f"querylang import mongo {mongo} --db FILE.duckdb" in user_error("query", "Post", "where({})", "--data", str(mongo))
    assert not db.exists()
    ok("import", "mongo", str(mongo), "--db", str(db))  # the command named reads it
    (mongo / "schema.json").write_text('{"classes": {}}')  # an interchange directory after all: no hint
    err = user_error("load", str(mongo), "--db", str(tmp_path / "y.duckdb"))
    assert "holds no classes" in err and "import" not in err


def test_an_interrupt_that_click_catches_says_interrupted_and_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while the group's arguments were parsed, or a Ctrl-C or end of input at a
    prompt, was caught by Click itself: "Aborted!" and exit 1, where every other interrupt
    says "interrupted" and exits 130."""
    import click
    from click.testing import CliRunner

    from querylang.app.cli import QueryLangGroup

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(QueryLangGroup, "parse_args", interrupted)
        res = ql("schema")
    assert (res.returncode, res.stdout, res.stderr.strip()) == (130, "", "interrupted")
    group = QueryLangGroup()

    @group.command()
    def ask() -> None:
        click.confirm("really?", abort=True)

    res_ = CliRunner().invoke(group, ["ask"], input="")  # the end of input at the prompt
    assert (res_.exit_code, res_.stderr.strip()) == (130, "interrupted"), res_.stderr
    # Click's other endings keep their statuses: a usage error, --version, a command's own exit.
    assert (ql("nosuch").returncode, ql("--version").returncode, ql("query", "Nope", "where({})").returncode) == (2, 0, 2)



def test_a_database_path_that_is_not_utf_8_is_a_user_error(tmp_path: Path, sample_file: Path, sample_db: Path) -> None:
    """DuckDB opens only paths of UTF-8 text: a file name holding another byte (a Latin-1 name,
    as the shell passes it) ended load and query with "internal error: RuntimeError:
    std::bad_cast", exit 1."""
    new = tmp_path / os.fsdecode(b"caf\xe9.duckdb")
    assert "is not UTF-8 text" in user_error("load", str(sample_file), "--db", str(new))
    assert not new.exists()
    old = tmp_path / os.fsdecode(b"old\xe9.duckdb")
    old.write_bytes(sample_db.read_bytes())
    assert "rename it" in user_error("query", "Post", GT10, "--db", str(old))
    with pytest.raises(querylang.DataError, match="not UTF-8 text"):
        querylang.connect(old)


@pytest.mark.parametrize("text", ["", "  \n"])
def test_an_empty_data_file_is_named_as_empty(tmp_path: Path, text: str) -> None:
    """A data file cut short to nothing (a download or a copy that failed) was "not valid JSON
    at line 1, column 1: Expecting value" (schema.json of a directory: orjson's "Input is a
    zero-length, empty document"), which sends the user looking for a JSON mistake."""
    empty = tmp_path / "data.json"
    empty.write_text(text, encoding="utf-8")
    said = f"{empty}: empty, where a JSON document is expected (was it cut short?)"
    assert said in user_error("load", str(empty), "--db", str(tmp_path / "x.duckdb"))
    assert said in user_error("schema", "--data", str(empty))
    res = ql("repl", "--data", str(sample_db_json(tmp_path)), stdin=f".load {empty}\n")
    assert res.returncode == 2 and said in res.stdout + res.stderr, res.stdout + res.stderr
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "schema.json").write_text(text, encoding="utf-8")
    said = f"{tmp_path / 'dir' / 'schema.json'}: empty, where a JSON document is expected (was it cut short?)"
    assert said in user_error("load", str(tmp_path / "dir"), "--db", str(tmp_path / "x.duckdb"))
    with pytest.raises(querylang.DataError, match="empty, where a JSON document is expected"):
        querylang.connect().load(empty)
    assert not (tmp_path / "x.duckdb").exists()


def sample_db_json(tmp_path: Path) -> Path:
    path = tmp_path / "one.json"
    path.write_text('{"classes": {"T": {"fields": {}}}}', encoding="utf-8")
    return path


def test_an_empty_file_given_as_a_database_is_not_promised_a_database_it_cannot_become(tmp_path: Path) -> None:
    """An empty notes.json given as --db was told "remove it, and a new database is made
    there", which a name without .duckdb, .db or .ddb never gets."""
    (tmp_path / "notes.json").write_text("", encoding="utf-8")
    said = user_error("schema", "--db", str(tmp_path / "notes.json"))
    assert "is an empty file, not a DuckDB database" in said and "a new database is made" not in said, said
    (tmp_path / "blog.duckdb").write_text("", encoding="utf-8")
    assert "remove it, and a new database is made there" in user_error("schema", "--db", str(tmp_path / "blog.duckdb"))


@pytest.mark.parametrize("command", [("load", "tests/conformance/dataset.json"), ("import", "dashboard", "EXPORT")])
def test_a_committed_load_whose_summary_meets_a_full_disk_says_it_is_committed(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    """`querylang load data.json --db blog.duckdb > /dev/full` loaded every record, then said
    only "cannot write the output", exit 2: read as a load that failed, and run again, it met
    every objectId as a duplicate. The error now says what was loaded."""
    export = tmp_path / "export"
    export.mkdir()
    tag = {"objectId": "t1", "name": "a", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z"}
    (export / "Tag.json").write_text(json.dumps([tag]), encoding="utf-8")
    path = tmp_path / "blog.duckdb"
    args = [str(export) if a == "EXPORT" else a for a in command]
    with open("/dev/full", "w") as full:
        # This checkout's package (`-m`, from its root), whichever the installed script imports.
        res = subprocess.run([sys.executable, "-m", "querylang", *args, "--db", str(path)], stdout=full,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, **ENV}, timeout=120,
                             cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert res.returncode == 2, res
    assert re.match(rf"error: (loaded|imported) .* into {re.escape(str(path))}: .*\(committed, but standard output "
                    r"could not take this summary: No space left on device\)\n$", res.stderr), res.stderr
    assert "Traceback" not in res.stderr and "Exception ignored" not in res.stderr
    with querylang.connect(path, read_only=True) as db:
        assert db.schema.classes


@pytest.mark.parametrize(("name", "text"), [("empty.json", "{}"), ("no_classes.json", '{"classes": {}, "records": {}}'),
                                            ("folder", '{"classes": {}}')])
def test_a_load_of_no_classes_into_a_new_database_is_refused_and_makes_none(tmp_path: Path, name: str, text: str) -> None:
    """Found by the CLI walk: 'load {}' into a new file said "loaded 0 records" and left a
    database of no classes, which serve then refused ("holds no querylang classes") and every
    other command answered "unknown class". The load is refused now, and no file is left."""
    given = tmp_path / name
    if name == "folder":
        given.mkdir()
        (given / "schema.json").write_text(text, encoding="utf-8")
    else:
        given.write_text(text, encoding="utf-8")
    db = tmp_path / "new.duckdb"
    err = user_error("load", str(given), "--db", str(db))
    where = "a directory's classes are in its schema.json" if name == "folder" else "an interchange file's classes are"
    assert err == (f"error: {given} holds no classes: nothing was loaded ({where} under "
                   '"classes", README "Interchange format"; serve refuses a database of none)\n')
    assert not db.exists() and not db.with_name(db.name + ".wal").exists()
    ok("load", "tests/conformance/dataset.json", "--db", str(db))
    assert ok("load", str(given), "--db", str(db)).startswith("loaded 0 records")  # into classes: nothing to add


def test_a_load_of_no_classes_into_postgresql_makes_nothing_there(pg_cluster: Cluster, tmp_path: Path) -> None:
    import psycopg

    url = fresh_url(pg_cluster)
    (tmp_path / "empty.json").write_text("{}", encoding="utf-8")
    assert "holds no classes: nothing was loaded" in user_error("load", str(tmp_path / "empty.json"), "--db", url)
    schema = url.split("search_path%3D")[1]
    with psycopg.connect(pg_cluster.url()) as con:
        made = con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema]).fetchone()
    assert made == (0,)


def test_find_answered_for_an_object_of_operator_names_says_how_parse_spells_them() -> None:
    """Found by the CLI walk: on an Array or Object field (or a dot path into one), a where
    holding Noodl's operators without their $ ({"tags": {"containedIn": [...]}}) is a value to
    equal, as Parse reads it: '0 records' and no word of why. Parse answers it (no records), so
    serve does and find does too, with a note naming the field and Parse's $ spelling."""
    res = ql("find", "Post", '{"tags": {"containedIn": ["a"]}, "$or": [{"meta.lang": {"equalTo": "en"}}, {"score": 3}]}')
    assert res.returncode == 0 and "0 records" in res.stdout, res.stderr
    assert res.stderr.splitlines() == [
        "note: 'tags': an object of operator names is a value here, not operators; as operators, a filter "
        "writes containedIn, a Parse where $in",
        "note: 'meta.lang': an object of operator names is a value here, not operators; as operators, a "
        "filter writes equalTo, a Parse where $eq"]
    assert ql("find", "Post", '{"tags": {"$in": ["a"]}, "meta": {"lang": "en"}}').stderr == ""  # a plain where: no note


def test_find_given_a_filter_script_or_bare_keys_says_what_it_wants(tmp_path: Path) -> None:
    """Found by the CLI walk: a filter script given to find, or a where whose keys lack their
    double quotes (written as JavaScript, or typed unquoted so that the shell took them), said
    only "not valid JSON at line 1, column 1: Expecting value" (or column 2, "Expecting property
    name enclosed in double quotes"). The hint says what to run, or how to quote."""
    import shlex

    err = user_error("find", "Post", "where({ score: 13 })")
    run = "querylang query Post 'where({ score: 13 })'"
    assert err == ("error: WHERE_JSON: not valid JSON at line 1, column 1: Expecting value (that is a filter script: "
                   f"run it with {run}; WHERE_JSON is Parse's where, e.g. '{{\"score\": {{\"$gt\": 10}}}}')\n")
    found = json.loads(ok(*shlex.split(run)[1:], "--format", "json"))  # the command named runs
    assert found and {r["score"] for r in found} == {13}
    script = tmp_path / "f.js"
    script.write_text("sort(['-score'])\n", encoding="utf-8")
    assert f"run it with querylang query Post @{script};" in user_error("find", "Post", f"@{script}")
    for bare in ('{score: 5}', '{score:{:5}}'):  # as typed; the second as a shell leaves {"score":{"$gt":5}} unquoted
        assert user_error("find", "Post", bare).endswith(
            "(JSON writes each key in double quotes, '{\"score\": 5}'; in a shell, put WHERE_JSON in single quotes: "
            "unquoted, the shell takes its double quotes away, and each $name)\n")
    assert "(" not in user_error("find", "Post", '{"score": 5')  # other bad JSON: no hint


def test_find_s_filter_script_hint_repeats_the_data_given(tmp_path: Path) -> None:
    """The command the hint names read the bundled sample, which holds a Post too, where the
    find was given --data or --db: run as printed it answered from other data, silently."""
    import shlex

    data = tmp_path / "mine.json"
    data.write_text(json.dumps({"classes": {"Post": {"fields": {"score": {"type": "Number"}}}},
                                "records": {"Post": [{"objectId": "m1", "score": 13}]}}), encoding="utf-8")
    err = user_error("find", "Post", "where({ score: 13 })", "--data", str(data))
    run = err.split("run it with ")[1].split(";")[0]
    assert run == f"querylang query Post 'where({{ score: 13 }})' --data {shlex.quote(str(data))}"
    assert ids_of(ok(*shlex.split(run)[1:], "--format", "json")) == ["m1"]  # the given data's


def test_find_s_usage_shows_its_where_as_optional() -> None:
    """Found by the CLI walk: find's usage line read 'CLASS WHERE_JSON', as if the where were
    required, where its help says it defaults to {} (find Post lists the records)."""
    usage = "Usage: querylang find [OPTIONS] CLASS [WHERE_JSON]\n"
    assert ok("find", "--help").startswith(usage)
    assert ql("find").stderr.startswith(usage)
    assert ids_of(ok("find", "Post", "--limit", "2", "--format", "json")) == ["p001", "p002"]


def test_a_regex_literal_as_a_fields_value_says_matches_regex() -> None:
    """`where({title: /café/})` said only that a RegExp "can never match" a String."""
    err = user_error("query", "Post", "where({title: /café/})")
    assert "(a search by pattern is written { matchesRegex: 'café' })" in err
    assert "6 records" in ok("query", "Post", "where({ title: { matchesRegex: 'café' } })")


@pytest.mark.parametrize("command", ["query", "compile"])
def test_a_missing_class_or_script_shows_one_that_runs(command: str) -> None:
    """click said only "Missing argument 'SCRIPT'" (or 'CLASS'): the message now shows one,
    and the example runs as it is written there (the shell's quotes taken off)."""
    err = user_error(command, "Post")
    assert "Missing argument 'SCRIPT'. A filter script, e.g. 'where({ score: { greaterThan: 5 } })', or '' for every record." in err
    example = re.search(r"e\.g\. '([^']+)'", err)
    assert example is not None
    assert ok(command, "Post", example.group(1))
    assert "Missing argument 'CLASS'. A class name, e.g. Post ('querylang schema' lists the classes)." in user_error(command)
    assert "Post" in ok("schema")


def test_load_without_its_db_shows_one(tmp_path: Path, sample_file: Path) -> None:
    """`querylang load FILE` said only "Missing option '--db'"; the example is a file name that
    load makes, as written there."""
    err = user_error("load", str(sample_file))
    assert "Missing option '--db'. Give the database to write into, e.g. --db blog.duckdb." in err
    example = re.search(r"e\.g\. (--db \S+)\.$", err.strip())
    assert example is not None
    assert "Post" in ok("load", str(sample_file), *example.group(1).split(), cwd=tmp_path)
    assert (tmp_path / "blog.duckdb").is_file()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("find", "Post", "{}", "--sort", "-score"), "'find' sorts with --order (Parse's name), e.g. --order -createdAt."),
        (("find", "Post", "{}", "--sort=-score"), "'find' sorts with --order (Parse's name), e.g. --order -createdAt."),
        (("find", "Post", "{}", "--select", "title"), "'find' picks fields with --keys (Parse's name), e.g. --keys title,score."),
        (("query", "Post", "", "--order", "-score"), "'query' sorts with --sort, e.g. --sort -createdAt."),
        (("query", "Post", "", "--keys", "title"), "'query' picks fields with --select, e.g. --select title,score."),
        (("relation", "Group", "g2", "posts", "--order", "title"), "'relation' sorts with --sort, e.g. --sort -createdAt."),
        (("find", "Post", "--where", "{}"),
         """'find' takes the where as its WHERE_JSON argument, after CLASS, e.g. '{"score": {"$gt": 5}}'."""),
        (("query", "Post", "--where", "x"),
         "'query' takes the filter as its SCRIPT argument, after CLASS, e.g. 'where({ score: { greaterThan: 5 } })'."),
    ],
)
def test_another_commands_name_for_an_option_says_this_ones(args: tuple[str, ...], said: str) -> None:
    """find's --sort was answered "Did you mean one of: '--count', '--format', '--order'?", and
    --where "Did you mean '--help'?": the option or argument of the same job is named, and its
    example runs as written in its place."""
    err = user_error(*args)
    flag = next(a for a in args if a.startswith("--")).partition("=")[0]
    assert f"No such option '{flag}': {said}" in err
    assert "Did you mean" not in err
    example = re.search(r"e\.g\. (--\w+ \S+)\.$|e\.g\. '(.+)'\.$", said)
    assert example is not None
    at = args.index(next(a for a in args if a.startswith("--")))
    if example.group(1):
        fixed = [*args[:at], *example.group(1).split(), *args[at + 2 - ("=" in args[at]):]]
    else:
        fixed = [*args[:2], example.group(2)]
    assert "record" in ok(*fixed)


def test_an_option_of_another_job_keeps_clicks_guess() -> None:
    """show has neither --select nor --keys: nothing is named for them."""
    assert "No such option '--select'." in user_error("show", "Post", "p001", "--select", "title")


@pytest.mark.parametrize("args, missing, example", [
    (["load"], "FILE", "The JSON interchange file or directory to load, e.g. blog.json."),
    (["import", "mongo"], "DIRECTORY", "The folder of mongoexport files, one NAME.json per collection, e.g. dump."),
    (["import", "dashboard"], "PATHS...", "Parse Dashboard export files, or folders of them, e.g. Post.json _User.json."),
    (["import", "parse-server"], "URL", "The Parse Server's URL, e.g. http://localhost:1337/parse."),
])
def test_a_missing_file_folder_or_url_shows_one(args: list[str], missing: str, example: str) -> None:
    """click said only "Missing argument 'FILE'" (or the folder, the paths, the URL)."""
    assert f"Missing argument '{missing}'. {example}" in user_error(*args, "--db", "x.duckdb")


@pytest.mark.parametrize("args, missing", [
    (["show", "Post"], "ID"),
    (["relation", "Group"], "ID"),
    (["relation", "Group", "g2"], "KEY"),
])
def test_a_missing_id_or_key_shows_a_command_that_runs_on_the_sample(args: list[str], missing: str) -> None:
    """click said only "Missing argument 'ID'" (or 'KEY'); the command shown names a record (and
    a Relation field of it holding records) of the bundled sample, and runs as printed."""
    err = user_error(*args)
    assert f"Missing argument '{missing}'. " in err
    shown = re.search(r"e\.g\. querylang ((?:show|relation) [^(]+) \(", err)
    assert shown is not None
    command, class_name, object_id, *key = shown.group(1).split()
    assert command == args[0]
    sample = sample_document()
    assert object_id in [r["objectId"] for r in sample["records"][class_name]]
    if key:
        held = [e["targetId"] for e in sample["relations"]
                if (e["class"], e["objectId"], e["key"]) == (class_name, object_id, key[0])]
        assert held
        assert sorted(ids_of(ok(command, class_name, object_id, *key, "--format", "json"))) == sorted(held)
    else:
        assert f"{class_name} {object_id}" in ok(command, class_name, object_id)

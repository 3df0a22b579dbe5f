"""The command line on PostgreSQL (--db postgresql://...): what DuckDB's file gives, and the
failure modes only a server has, each a message and exit 2."""

from __future__ import annotations

import io
import json
import re
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from rich.console import Console

import querylang
from querylang.app.prompt import banner
from querylang.app.repl import Session
from querylang.engines.postgres.cluster import Cluster

from .pg import cluster_sql, fresh_url
from .test_cli import ok, ql, user_error

SAMPLE = "tests/conformance/dataset.json"


def _backends(cluster: Cluster, app: str) -> int:
    with psycopg.connect(cluster.url(), autocommit=True) as con:
        row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [app]).fetchone()
    return int(row[0]) if row else 0


def test_commands_close_their_connections(pg_cluster: Cluster) -> None:
    # Every reading command opened the database and never closed it on PostgreSQL (DuckDB's
    # was closed with the command): each left its pool's connections open on the server for as
    # long as the process lived, three more per command run in process.
    url = fresh_url(pg_cluster) + "&application_name=cli_closes"
    ok("load", SAMPLE, "--db", url)
    for args in (["query", "Post", "where({})"], ["schema"], ["show", "Post", "p001"], ["find", "Post", "{}"],
                 ["compile", "Post", "where({})"], ["relation", "Group", "g2", "posts"]):
        ok(*args, "--db", url)
    assert ql("repl", "--db", url, stdin=".class Post\nwhere({})\n").returncode == 0
    deadline = time.monotonic() + 5  # a closed connection's backend ends a moment later
    while _backends(pg_cluster, "cli_closes") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _backends(pg_cluster, "cli_closes") == 0


def test_load_progress_does_not_show_the_password(pg_cluster: Cluster) -> None:
    # The progress bar's last line ("text-search words") named the database by its --db as
    # given, so a URL's password was printed on stderr; errors and the report mask or omit it.
    url = fresh_url(pg_cluster).replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    res = ql("load", SAMPLE, "--progress", "--db", url)
    assert res.returncode == 0, res.stderr
    assert "text-search words" in res.stderr
    assert "s3cret" not in res.stderr + res.stdout


def test_a_load_into_a_server_that_is_down_says_nothing_was_loaded() -> None:
    # It said "error: cannot connect to PostgreSQL at …" where a load the server fails or
    # goes away from says "load failed, nothing was loaded: …" (and so does db.load).
    err = user_error("load", SAMPLE, "--db", "postgresql://postgres@127.0.0.1:1/x")
    assert err.startswith("error: load failed, nothing was loaded: cannot connect to PostgreSQL at "
                          "postgresql://postgres@127.0.0.1:1/x:"), err


def test_an_import_into_a_server_that_is_down_says_nothing_was_imported(tmp_path: Path) -> None:
    # It said "error: cannot connect to PostgreSQL at …", without the prefix a load into the
    # same URL gives ("load failed, nothing was loaded: …").
    export = tmp_path / "Post.json"
    export.write_text('[{"objectId": "p1", "title": "a"}]', encoding="utf-8")
    err = user_error("import", "dashboard", str(export), "--db", "postgresql://postgres@127.0.0.1:1/x")
    assert err.startswith("error: import failed, nothing was imported: cannot connect to PostgreSQL at "
                          "postgresql://postgres@127.0.0.1:1/x:"), err


def _reader_of(cluster: Cluster, url: str, tables: str) -> str:
    """The URL of a new role that may read only ``tables`` of the schema ``url`` names."""
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    role = f"reader_{schema}"
    cluster_sql(cluster, f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {schema} TO {role}; "
                         f"GRANT SELECT ON {tables.replace('$', schema + '.')} TO {role}")
    return url.replace("postgresql://postgres@", f"postgresql://{role}@")


def test_schema_lists_the_classes_a_role_may_read_when_it_may_not_read_one(pg_cluster: Cluster) -> None:
    # A role without SELECT on one class's table could not list any: `schema` and the REPL's
    # `.schema Post` failed on "permission denied for table Comment" (counting every class),
    # and an interactive REPL did not start. The classes it may not read show '?' and say why.
    url = fresh_url(pg_cluster)
    ok("load", SAMPLE, "--db", url)
    reader = _reader_of(pg_cluster, url, '$"_querylang_schema", $"Post", $"User"')
    out = ok("schema", "--db", reader)
    assert re.search(r"Comment +\? +text", out) and re.search(r"Post +40 +title", out), out
    assert "?: the database's role may not read the table of Comment, Group (permission denied)" in out
    assert json.loads(ok("schema", "--format", "json", "--db", reader))["Comment"]["count"] is None
    res = ql("repl", "--db", reader, stdin=".schema Post\n.schema Comment\n")
    assert res.returncode == 0, res.stderr
    words = " ".join(res.stdout.split())  # a table's title wraps at the table's width
    assert "Post: 40 records" in words and "Comment: ? records (permission denied)" in words
    # The interactive REPL's first lines (prompt.banner), which counted every class too.
    with querylang.connect(reader, read_only=True) as db:
        out = io.StringIO()
        banner(Session(db, Console(file=out, width=200, highlight=False, emoji=False)))
    assert "4 classes: Comment (?), Group (?), Post (40), User (8)" in out.getvalue()
    assert "may not read the table of Comment, Group" in out.getvalue()


def test_the_commands_help_names_postgresql_and_its_exit_status() -> None:
    # `querylang --help` said the queries run "over DuckDB" and that records come from --db
    # FILE.duckdb, --data or the sample, and counted no server failure under exit 2, where
    # every command takes --db postgresql://... and README lists those failures as exit 2.
    text = " ".join(ok("--help").split())
    assert "compiled to SQL over DuckDB or PostgreSQL" in text
    assert "--db postgresql://user@host:port/dbname (a PostgreSQL database)" in text
    assert "2 user error (bad script, unknown class, bad file; a PostgreSQL server that cannot be reached" in text


def test_the_repl_names_its_own_database_in_the_import_it_suggests(pg_cluster: Cluster, tmp_path: Path) -> None:
    # .load of a mongoexport folder suggested "querylang import mongo DIR --db FILE.duckdb" in a
    # REPL on PostgreSQL, where `querylang load` of the same folder names the URL.
    (tmp_path / "_SCHEMA.json").write_text("[]", encoding="utf-8")
    res = ql("repl", "--db", url := fresh_url(pg_cluster), stdin=f".load {tmp_path}\n")
    assert res.returncode == 2
    assert f"import it with: querylang import mongo {tmp_path} --db '{url}'" in res.stdout + res.stderr, res.stdout


def test_load_progress_moves_on_postgresql(pg_cluster: Cluster) -> None:
    # The PostgreSQL store ignored the load's progress callback: `load --progress` showed an
    # empty bar until the load had ended (minutes for a large directory), then only its
    # "text-search words" line, where DuckDB's shows the records checked and written.
    res = ql("load", SAMPLE, "--progress", "--db", fresh_url(pg_cluster))
    assert res.returncode == 0, res.stderr
    assert re.search(r"checking records .* 250/250", res.stderr), res.stderr
    assert re.search(r"writing \(all or nothing\) .* 250/250", res.stderr), res.stderr


def test_show_a_record_whose_relations_the_role_may_not_read(pg_cluster: Cluster) -> None:
    # `show Group g2` counts the records each Relation holds; a role that may read Group but not
    # its edge tables got only "permission denied for table _join:posts:Group", not the record.
    url = fresh_url(pg_cluster)
    ok("load", SAMPLE, "--db", url)
    reader = _reader_of(pg_cluster, url, '$"_querylang_schema", $"Group"')
    out = ok("show", "Group", "g2", "--db", reader)
    assert re.search(r"name +String +Life", out) and re.search(r"posts +Relation → Post +\? records \(permission denied\)", out)
    doc = json.loads(ok("show", "Group", "g2", "--format", "json", "--db", reader))
    assert doc["name"] == "Life" and doc["posts"] == {"__type": "Relation", "className": "Post", "count": None}


def test_a_table_dropped_outside_querylang_is_said_to_be(pg_cluster: Cluster) -> None:
    # Found by the PostgreSQL walk: after DROP TABLE "Comment" by hand, `schema` and every query
    # on it said only 'the database rejected the query: relation "Comment" does not exist'.
    url = fresh_url(pg_cluster)
    ok("load", SAMPLE, "--db", url)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('DROP TABLE "Comment"')
    with querylang.connect(url) as db:
        try:
            db.query("Comment", None)
        except querylang.QueryError as exc:
            said = str(exc)
        else:
            raise AssertionError("a query on a dropped table answered")
    assert 'relation "Comment" does not exist; the schema lists its class or Relation, so the table was ' \
           "dropped or renamed outside querylang" in said
    assert "dropped or renamed outside querylang" in user_error("find", "Comment", "--db", url)


def test_schema_and_show_list_what_they_can_when_a_table_was_dropped(pg_cluster: Cluster) -> None:
    # After DROP TABLE "Comment" and "_join:posts:Group" by hand, `schema` (which counts every
    # class) and `show Group g2` (which counts its Relations) said only the error, where a table
    # the role may not read shows '?' and the rest: a dropped one now shows the same way.
    url = fresh_url(pg_cluster)
    ok("load", SAMPLE, "--db", url)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('DROP TABLE "Comment"; DROP TABLE "_join:posts:Group"')
    out = " ".join(ok("schema", "--db", url).split())
    assert re.search(r"Comment \? text", out) and re.search(r"Post 40 title", out), out
    assert "?: the table of Comment was dropped or renamed outside querylang (load the class again, or restore " \
           "the table)" in out
    assert json.loads(ok("schema", "--format", "json", "--db", url))["Comment"]["count"] is None
    out = " ".join(ok("show", "Group", "g2", "--db", url).split())
    assert "posts Relation → Post ? records (table dropped or renamed outside querylang)" in out, out
    assert re.search(r"members Relation → User \d+ records", out), out


def test_doctor_on_querylangs_own_tables_says_what_they_are(pg_cluster: Cluster) -> None:
    # Found by review: `querylang doctor --db URL` of a querylang database told the user to "open
    # it without --layout parse (layout='parse')", an option doctor neither has nor was given.
    url = fresh_url(pg_cluster)
    ok("load", SAMPLE, "--db", url)
    err = user_error("doctor", "--db", url)
    assert "it holds querylang's own tables, not a Parse Server's" in err and "doctor is for a Parse Server's" in err
    assert "--layout" not in err and "layout=" not in err
    assert "open it without --layout parse" in user_error("schema", "--db", url, "--layout", "parse")


def test_show_follow_lines_on_parse_tables_run_as_printed(pg_cluster: Cluster) -> None:
    # The follow lines wrote a PostgreSQL URL as the word URL, even one with no password in it:
    # no line ran as printed. Each is now run as printed (--layout parse repeated), on Parse's
    # own tables: a Pointer to follow, an Array of Pointers (the same show embedding them) and a
    # Relation's _Join table.
    import shlex

    from .pg import parse_tables

    url = fresh_url(pg_cluster)
    parse_tables(url, {"_User": {"name": {"type": "String"}},
                       "Post": {"title": {"type": "String"}, "author": {"type": "Pointer", "targetClass": "_User"},
                                "fans": {"type": "Relation", "targetClass": "_User"}, "others": {"type": "Array"}}},
                 {"_User": '"name" text', "Post": '"title" text, "author" text, "others" jsonb'},
                 {"_User": [("u 1", "ann"), ("u2", "bob")],
                  "Post": [("p1", "hello", "u 1", json.dumps([{"__type": "Pointer", "className": "_User", "objectId": "u2"}]))]})
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_Join:fans:Post" ("relatedId" varchar(120), "owningId" varchar(120), '
                    'PRIMARY KEY ("relatedId", "owningId"))')
        con.execute('INSERT INTO "_Join:fans:Post" VALUES (%s, %s)', ["u2", "p1"])
    out = ok("show", "Post", "p1", "--db", url, "--layout", "parse")
    lines = [shlex.split(x) for x in out.split("follow:")[1].splitlines() if x.strip()]
    assert sorted(lines) == [["querylang", "relation", "Post", "p1", "fans", "--db", url, "--layout", "parse"],
                             ["querylang", "show", "Post", "p1", "--include", "others", "--db", url, "--layout", "parse"],
                             ["querylang", "show", "_User", "u 1", "--db", url, "--layout", "parse"]]
    assert "bob" in ok(*sorted(lines)[0][1:])
    assert "bob" in ok(*sorted(lines)[1][1:])
    assert "ann" in ok(*sorted(lines)[2][1:])


def test_show_follow_lines_mask_only_a_password(pg_cluster: Cluster) -> None:
    # A URL with a password is written with the password masked, the rest as given (it was
    # the word URL); the masked password is never printed.
    ok("load", SAMPLE, "--db", url := fresh_url(pg_cluster))
    secret = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    out = ok("show", "Comment", "c001", "--db", secret)
    line = out.split("follow:")[1].splitlines()[1].strip()
    assert "s3cret" not in out
    assert line == "querylang show Post p008 --db '" + secret.replace("s3cret", "***") + "'"


@pytest.mark.parametrize("password", ["s3cr#et", "s3cr?et"])
def test_a_password_the_url_patterns_end_early_is_never_repeated(pg_cluster: Cluster, password: str) -> None:
    # libpq reads '#' and '?' in a URL's userinfo as part of the password ('u:s3cr#et@h'), where
    # the masking patterns end it there: the command shown repeated the password whole. Such a
    # URL is written URL, as every URL was before.
    from querylang.app.commands import db_words

    url = fresh_url(pg_cluster)
    secret = url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@")
    assert db_words(secret) == "URL"
    ok("load", SAMPLE, "--db", url)
    out = ok("show", "Comment", "c001", "--db", secret)  # the server takes any password here
    assert "querylang show Post p008 --db URL" in out and password not in out

"""The `querylang serve` command line (the running server itself is exercised by the load smoke test)."""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import querylang
from querylang.app.cli import main

DOC = json.loads((Path(__file__).parent.parent / "conformance" / "dataset.json").read_text(encoding="utf-8"))


def test_serve_help_lists_the_flags() -> None:
    out = CliRunner().invoke(main, ["serve", "--help"]).output
    for flag in ("--db", "--data", "--host", "--port", "--mount", "--app-id", "--master-key", "--rest-key",
                 "--allow-client-writes"):
        assert flag in out


def test_serve_needs_keys() -> None:
    res = CliRunner().invoke(main, ["serve"])
    assert res.exit_code == 2 and "--app-id" in res.output


def test_serve_opens_a_postgres_database(pg_cluster: Any, sample_db: querylang.Database) -> None:
    from querylang.server.command import open_database

    from ..pg import fresh_url

    url = fresh_url(pg_cluster)
    querylang.connect(url).load(DOC)
    db = open_database(url, None)
    where = {"score": {"$gt": 10}}
    assert db.find("Post", where, order="-score").ids == sample_db.find("Post", where, order="-score").ids != []


def test_serve_refuses_a_postgres_database_without_classes(pg_cluster: Any) -> None:
    """Found by pointing serve at another application's PostgreSQL database: it made querylang's
    schema table there, then served no class at all ("unknown class" to every request), where an
    empty DuckDB file is refused. Refused the same way now, and nothing is made."""
    import psycopg
    import pytest

    from querylang.server.command import ServeError, open_database

    from ..pg import cluster_sql, fresh_url

    cluster_sql(pg_cluster, "DROP DATABASE IF EXISTS other_app")
    cluster_sql(pg_cluster, "CREATE DATABASE other_app")
    for url in (pg_cluster.url("other_app"), fresh_url(pg_cluster)):
        with pytest.raises(ServeError, match="holds no querylang classes") as err:
            open_database(url, None).close()
        assert err.value.exit_code == 2
    with psycopg.connect(pg_cluster.url("other_app")) as con:
        assert con.execute("SELECT to_regclass('_querylang_schema')").fetchone() == (None,)


def test_serve_of_a_parse_server_database_says_what_to_do(pg_cluster: Any) -> None:
    """Found the same way: a Parse Server's database was refused with "query them in place with
    --layout parse", an option serve does not have (and in place its ACLs are not read)."""
    import pytest

    from querylang.server.command import ServeError, open_database

    from ..pg import cluster_sql, fresh_url

    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    cluster_sql(pg_cluster, f'CREATE TABLE {schema}."_SCHEMA" ("className" varchar(120) PRIMARY KEY, schema jsonb, '
                            '"isParseClass" bool)')
    with pytest.raises(ServeError, match="holds Parse Server's own tables.*querylang import parse-server") as err:
        open_database(url, None).close()
    assert "--layout" not in err.value.message


def test_a_server_that_cannot_start_is_a_clear_error() -> None:
    """A port in use, a host that does not resolve and a port out of range: exit 2 with the
    reason, before the banner and before the database is opened (uvicorn printed the banner,
    then its own error, and exited 3; a port past 65535 was a traceback)."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        cases = [
            (["--port", str(port)], f"cannot serve on 127.0.0.1:{port}: Address already in use"),
            (["--host", "nohost.invalid"], "cannot serve on nohost.invalid: the host name does not resolve"),
            (["--port", "99999"], "99999 is not in the range"),
        ]
        for args, message in cases:
            res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", *args])
            assert res.exit_code == 2, (args, res.output)
            assert message in res.output and "Parse API at" not in res.output, (args, res.output)
    finally:
        busy.close()


def test_a_mount_under_the_browser_is_refused() -> None:
    # Found by review: with --mount /browser (or a path under it) the data browser's routes
    # answered every API call (a 303 to its sign-in form, or 404), while the banner said
    # "Parse API at .../browser": an SDK pointed there got no Parse API at all.
    for mount in ("/browser", "browser/", "/browser/api"):
        res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", "--mount", mount])
        assert res.exit_code == 2, (mount, res.output)
        assert "--mount" in res.output and "the data browser" in res.output and "Parse API at" not in res.output


def test_a_mount_no_url_reaches_is_refused() -> None:
    # Found by probing --mount: /a/../b, /p%20x, /parse?x=1, /parse#x and ' /parse' were taken
    # and the banner named the API there, but no request reached it (a client resolves '..'
    # away, and what a URL must encode arrives decoded, which the mount did not match): 404s.
    import socket

    busy = socket.socket()  # had the mount been taken, the command would stop at the port, not serve
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    try:
        for mount in ("/a/../b", "/./parse", "/p%20x", "/parse?x=1", "/parse#x", " /parse", "/pärse"):
            res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", port, "--mount", mount])
            assert res.exit_code == 2, (mount, res.output)
            assert f"--mount {mount}: not a plain URL path" in res.output, res.output
    finally:
        busy.close()


def test_an_empty_app_id_is_refused() -> None:
    # Found by probing serve's options: --app-id '' was taken, and the server then answered
    # only requests carrying an empty X-Parse-Application-Id (Parse Server will not start
    # without an app id).
    import socket

    busy = socket.socket()  # had the app id been taken, the command would stop at the port, not serve
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        for app_id in ("", "  "):
            res = CliRunner().invoke(main, ["serve", "--app-id", app_id, "--master-key", "k",
                                            "--port", str(busy.getsockname()[1])])
            assert res.exit_code == 2 and "--app-id is empty" in res.output, (app_id, res.output)
    finally:
        busy.close()


def test_the_keys_may_come_from_the_environment() -> None:
    """--master-key on the command line shows in the process list to every user of the machine:
    QUERYLANG_MASTER_KEY (and QUERYLANG_REST_KEY) give the keys without it."""
    import socket

    from querylang.server import command

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    try:
        res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--port", port], env={"QUERYLANG_MASTER_KEY": ""})
        assert res.exit_code == 2 and "--master-key" in res.output
        res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--port", port],
                                 env={"QUERYLANG_MASTER_KEY": "k", "QUERYLANG_REST_KEY": "r"})
        # the keys were taken: the command went on to the port, which is in use
        assert res.exit_code == 2 and "Address already in use" in res.output, res.output
    finally:
        busy.close()
    params = {p.name: p for p in command.serve.params}
    assert params["master_key"].envvar == "QUERYLANG_MASTER_KEY" and params["rest_key"].envvar == "QUERYLANG_REST_KEY"


def test_a_db_file_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    # Found by running docs/serve.md's options: `--db FILE` is "a DuckDB database file (made by
    # `querylang load`)", but a mistyped name made a new, empty database there and served it
    # (every class then answered 103 "unknown class", and the REST API cannot add classes),
    # leaving the file behind; `querylang query --db` says "no such database file".
    missing = tmp_path / "blgo.duckdb"
    res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", "--db", str(missing)])
    assert res.exit_code == 2, res.output
    assert f"no such database file: {missing}" in res.output and "Parse API at" not in res.output, res.output
    assert not missing.exists()


def test_a_negative_max_body_is_refused() -> None:
    # Found by running docs/serve.md's options: --max-body -1 was taken, and the server then
    # answered every request, a GET without a body too, 413 "the limit is -1 bytes".
    res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", "--max-body", "-1"])
    assert res.exit_code == 2, res.output
    assert "--max-body" in res.output and "Parse API at" not in res.output, res.output


def test_a_public_url_that_is_not_an_http_url_is_refused() -> None:
    # Found beside test_rest.py's trailing-slash --public-url: --public-url notaurl was taken, and every Location header was
    # then notaurl/classes/<Class>/<id>.
    for url in ("notaurl", "ftp://example.com/parse", "https:///parse"):
        res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", "--public-url", url])
        assert res.exit_code == 2, (url, res.output)
        assert "--public-url" in res.output and "Parse API at" not in res.output, (url, res.output)


def _serving(args: list[str]) -> tuple[Any, str]:
    """``querylang serve`` in a process of its own, and its Parse API URL once it serves."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QUERYLANG_MASTER_KEY": "k"}
    proc = subprocess.Popen([sys.executable, "-m", "querylang", "serve", "--app-id", "a", "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    banner = proc.stdout.readline()  # printed once the database is open, right before serving
    assert "Parse API at " in banner, banner + proc.communicate(timeout=30)[1]
    return proc, banner.split("Parse API at ")[1].split(",")[0]


def test_sigterm_ends_serve_by_sigterm_after_a_clean_shutdown(tmp_path: Path) -> None:
    """Found by stopping serve with `kill`: it printed "interrupted" and exited 130, the status of
    Ctrl-C (the CLI makes SIGTERM a Ctrl-C; uvicorn raised it again after its shutdown). It now
    ends as uvicorn's servers do: shut down, database closed, then ended by SIGTERM itself (a
    shell's 143). A record written just before is in the file afterwards."""
    import signal

    import httpx

    path = tmp_path / "blog.duckdb"
    with querylang.connect(str(path)) as db:
        db.load(DOC)
    proc, url = _serving(["--db", str(path)])
    try:
        keys = {"X-Parse-Application-Id": "a", "X-Parse-Master-Key": "k"}
        made = httpx.post(f"{url}/classes/User", json={"name": "before the signal"}, headers=keys, timeout=30)
        assert made.status_code == 201, made.text
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM, (proc.returncode, err)
    assert "interrupted" not in err and "Traceback" not in err, err
    with querylang.connect(str(path), read_only=True) as db:
        assert db.find("User", {"objectId": made.json()["objectId"]}).records[0]["name"] == "before the signal"


def test_data_without_classes_is_refused(tmp_path: Path) -> None:
    """Found by serving --data with an empty document ({}): it was served, and every call
    answered 103 "unknown class" (the REST API cannot add classes), where a --db without
    classes is refused. Refused the same way now, before anything is served."""
    import pytest

    from querylang.server.command import ServeError, open_database

    for text in ("{}", '{"classes": {}, "records": {}}'):
        path = tmp_path / "empty.json"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ServeError, match="empty.json holds no classes: nothing to serve") as err:
            open_database(None, path).close()
        assert err.value.exit_code == 2


def test_a_duckdb_file_without_classes_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """Found beside test_data_without_classes_is_refused: --db naming another application's
    DuckDB file was served empty (every call 103 "unknown class"), after querylang's own tables
    (_querylang_schema, _querylang_loading) were made in that file; a PostgreSQL database is
    looked at read-only and refused. DuckDB files are now treated the same."""
    import duckdb
    import pytest

    from querylang.server.command import ServeError, open_database

    other = tmp_path / "other_app.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE t (a INTEGER)")
    empty = tmp_path / "empty.duckdb"
    with querylang.connect(str(empty)) as db:
        db.load({"classes": {}})
    for path in (other, empty):
        with pytest.raises(ServeError, match="holds no querylang classes .*nothing was served or made there") as err:
            open_database(str(path), None).close()
        assert err.value.exit_code == 2
    with duckdb.connect(str(other), read_only=True) as con:
        assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [("t",)]


def test_data_takes_an_interchange_directory(tmp_path: Path, monkeypatch: Any) -> None:
    """`querylang load` reads the directory form (schema.json, <Class>.ndjson), and --data of
    serve refused it ("is a directory"): served now, as load reads it, and a bad record in it
    is named by file and line."""
    import pytest
    import uvicorn

    from querylang.server.command import open_database

    data = tmp_path / "data"
    data.mkdir()
    (data / "schema.json").write_text(json.dumps({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}}), encoding="utf-8")
    (data / "Post.ndjson").write_text('{"objectId": "p1", "n": 1}\n{"objectId": "p2", "n": 2}\n', encoding="utf-8")
    served: list[Any] = []
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets: served.append(sockets))
    res = CliRunner().invoke(main, ["serve", "--data", str(data), "--port", "0", "--app-id", "a", "--master-key", "k"])
    assert res.exit_code == 0, res.output
    assert "Parse API at" in res.output and len(served) == 1
    with open_database(None, data) as db:
        assert db.query("Post", None).ids == ["p1", "p2"]
    (data / "Post.ndjson").write_text('{"objectId": "p1", "n": 1}\n\n{"objectId": "p2", "n": "two"}\n', encoding="utf-8")
    with pytest.raises(querylang.DataError, match=f"^{re.escape(str(data / 'Post.ndjson'))}, line 3: class Post, record p2, field n"):
        open_database(None, data)
    (data / "schema.json").write_text('{"classes": {}}', encoding="utf-8")
    (data / "Post.ndjson").unlink()
    res = CliRunner().invoke(main, ["serve", "--data", str(data), "--port", "0", "--app-id", "a", "--master-key", "k"])
    assert res.exit_code == 2 and "data holds no classes" in res.output and "schema.json" in res.output


def test_a_refusal_to_start_is_said_as_every_command_says_an_error() -> None:
    """Found by review: serve's refusals printed click's "Error: --app-id is empty: …" where
    every other command prints "error: …"."""
    import socket

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    try:
        for args, said in ((["--app-id", ""], "error: --app-id is empty: "),
                           (["--app-id", "a", "--mount", "/browser"], "error: --mount /browser: "),
                           (["--app-id", "a"], f"error: cannot serve on 127.0.0.1:{port}: ")):  # fmt: skip
            res = CliRunner().invoke(main, ["serve", "--master-key", "k", "--port", port, *args])
            assert res.exit_code == 2 and res.stderr.startswith(said), (args, res.stderr)
            assert "Error:" not in res.stderr
    finally:
        busy.close()


def test_serve_started_with_stdout_closed_serves(tmp_path: Path) -> None:
    """Found by review: `querylang serve ... >&-` (a service started without a stdout) said
    "internal error: ValueError: Unable to configure formatter 'default'" (uvicorn's logging
    wants a sys.stdout) and exit 1. Its banner goes nowhere now, and it serves."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "QUERYLANG_MASTER_KEY": "k"}
    proc = subprocess.Popen(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "querylang", "serve",
                             "--app-id", "a", "--port", str(port)], stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        answer = None
        while answer is None:  # until it listens; an end before that fails here
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/parse/health", timeout=5)
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                time.sleep(0.1)
        assert answer.status_code == 200, answer.text
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == -signal.SIGTERM and err == "", (proc.returncode, err)


def test_data_names_a_folder_as_typed_and_refuses_exports_with_the_import_command(tmp_path: Path, monkeypatch: Any) -> None:
    """serve's --data named './d' as 'd' ('d/Post.ndjson, line 2: ...'), where query's --data
    names it as typed; and a folder of exports was said only to lack a schema.json, where
    load, query's --data and the REPL's .load give the import command that reads it."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "schema.json").write_text('{"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}}', encoding="utf-8")
    (tmp_path / "d" / "Post.ndjson").write_text('{"objectId": "p1", "n": 1}\n{"objectId": "p2", "n": "two"}\n', encoding="utf-8")
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "_SCHEMA.json").write_text('{"_id": "Post"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    serve = ["serve", "--port", "0", "--app-id", "a", "--master-key", "k", "--data"]
    res = CliRunner().invoke(main, [*serve, "./d/"])
    assert (res.exit_code, res.stderr) == (2, "error: ./d/Post.ndjson, line 2: class Post, record p2, field n: expected "
                                              "a Number, got string\n")
    res = CliRunner().invoke(main, [*serve, "./dump"])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ./dump: an interchange directory needs a schema.json; this folder looks like a "
                                 "mongoexport of a Parse database (it has a _SCHEMA.json): import it with: querylang "
                                 "import mongo ./dump --db "), res.stderr


def test_serve_s_refusals_name_the_load_to_run_with_the_db_quoted(tmp_path: Path) -> None:
    """Found by review (06263948 wrote the --db a suggested command repeats once, quoted:
    db_words): serve's two suggestions wrote it bare, and 'querylang load FILE --db my app.duckdb'
    names two arguments."""
    import duckdb
    import pytest

    from querylang.server.command import ServeError, open_database

    path = tmp_path / "my app.duckdb"
    with pytest.raises(ServeError) as err:
        open_database(path, None)
    assert str(err.value.message).endswith(f"(make one with: querylang load FILE --db '{path}')"), err.value.message
    duckdb.connect(str(path)).close()  # another application's file: no querylang classes
    with pytest.raises(ServeError) as err:
        open_database(path, None)
    assert f"(load them first: querylang load FILE --db '{path}')" in str(err.value.message), err.value.message

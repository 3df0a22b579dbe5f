"""A load into PostgreSQL that fails changes nothing: not the first one into an empty schema
(whose tables, function and schema table it makes in its transaction), not one the server is
down for, not one the server goes away from. Each test opens a schema of its own."""

from __future__ import annotations

import json
import logging
import random
import string
import threading
import urllib.parse
import uuid
from typing import Any

import psycopg
import pytest

import querylang
from querylang import Change
from querylang.errors import DataError

from .pg import cluster_sql, fresh_url


def _objects(pg_cluster: Any, url: str) -> list[tuple[str, str]]:
    """Every relation, function and type in the URL's schema, by kind and name."""
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    with psycopg.connect(pg_cluster.url()) as con:
        rows = con.execute(
            "SELECT 'relation', relname::text FROM pg_class WHERE relnamespace = %(s)s::regnamespace "
            "UNION ALL SELECT 'function', proname::text FROM pg_proc WHERE pronamespace = %(s)s::regnamespace "
            "UNION ALL SELECT 'type', typname::text FROM pg_type WHERE typnamespace = %(s)s::regnamespace",
            {"s": schema},
        ).fetchall()
    return sorted((str(k), str(n)) for k, n in rows)


FIRST_LOADS_THAT_FAIL = {
    # The server refuses the second record (an Array element past an index key's size), after
    # the class's table, its date function and the first record were written.
    "refused row": {"classes": {"Post": {"fields": {"when": {"type": "Date"}, "tags": {"type": "Array"}}}},
                    "records": {"Post": [{"objectId": "p1", "when": "2024-01-01T00:00:00.000Z"},
                                         {"objectId": "p2", "tags": ["x" * 300_000]}]}},
    # A class PostgreSQL cannot hold (over 1,600 columns), refused while the tables are made.
    "schema": {"classes": {"Wide": {"fields": {f"s{i}": {"type": "String"} for i in range(500)}}},
               "records": {"Wide": [{"objectId": "w1"}]}},
}


@pytest.mark.parametrize("doc", FIRST_LOADS_THAT_FAIL.values(), ids=FIRST_LOADS_THAT_FAIL.keys())
def test_a_failed_first_load_leaves_an_empty_schema_empty(pg_cluster: Any, doc: dict[str, Any]) -> None:
    """Found loading a file whose last record the server refuses into a new database: the
    load said "nothing was loaded", and an empty _querylang_schema table (with its index and
    row types) stayed behind, made when the database was opened."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        with pytest.raises(DataError, match="nothing was loaded|1600"):
            db.load(doc)
        assert db.schema.classes == {}
    assert _objects(pg_cluster, url) == []
    with querylang.connect(url) as db:  # and the next load makes what it needs
        assert db.load({"classes": {"Post": {"fields": {"when": {"type": "Date"}}}},
                        "records": {"Post": [{"objectId": "p1", "when": "2024-01-01T00:00:00.000Z"}]}}) == {"Post": 1}
    with querylang.connect(url, read_only=True) as db:
        assert db.query("Post", None).records[0]["when"] == "2024-01-01T00:00:00.000Z"


def test_first_loads_of_two_processes_at_once_both_land(pg_cluster: Any) -> None:
    """The schema table is made by the first load, in its transaction: two first loads into
    one empty schema at the same moment each make it, and one waits for the other's."""
    url = fresh_url(pg_cluster)
    dbs = [querylang.connect(url), querylang.connect(url)]
    start, errors = threading.Barrier(2), []

    def load(db: querylang.Database, name: str) -> None:
        start.wait()
        try:
            db.load({"classes": {name: {"fields": {"n": {"type": "Number"}}}}, "records": {name: [{"objectId": "a", "n": 1}]}})
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(db, name)) for db, name in zip(dbs, ("A", "B"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for db in dbs:
        db.close()
    assert errors == []
    with querylang.connect(url, read_only=True) as db:
        assert sorted(db.schema.classes) == ["A", "B"]
        assert db.query("A", None).ids == db.query("B", None).ids == ["a"]


def test_a_load_the_role_may_not_make_says_so_with_a_servers_code(pg_cluster: Any) -> None:
    """A load refused for a permission the role lacks (CREATE in the schema, INSERT on a class's
    table) was a DataError of code 107, the code of a bad record, where a write refused alike
    has 1 (not the data's fault; serve answers it as a server error). A value the server
    refuses keeps 107."""
    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    role = f"loader_{uuid.uuid4().hex[:8]}"
    cluster_sql(pg_cluster, f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {schema} TO {role}")
    as_role = url.replace("postgresql://postgres@", f"postgresql://{role}@")
    doc = {"classes": {"P": {"fields": {"n": {"type": "Number"}}}}, "records": {"P": [{"objectId": "a", "n": 1}]}}
    with querylang.connect(as_role) as db, pytest.raises(DataError, match="nothing was loaded: .*permission denied") as info:
        db.load(doc)
    assert info.value.code == 1
    assert _objects(pg_cluster, url) == []
    with querylang.connect(url) as db:
        db.load(doc)
    # May read the class and take the schema table's lock, may not add records.
    cluster_sql(pg_cluster, f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}; "
                            f'GRANT UPDATE ON {schema}."_querylang_schema" TO {role}')
    with querylang.connect(as_role) as db:
        with pytest.raises(DataError, match="^class P: load failed, nothing was loaded: .*permission denied") as info:
            db.load({"records": {"P": [{"objectId": "b", "n": 2}]}})
        assert info.value.code == 1
        assert db.query("P", None).ids == ["a"]
    with querylang.connect(url) as db, pytest.raises(DataError, match="index row size") as info:  # the data's fault
        db.load({"classes": {"T": {"fields": {"tags": {"type": "Array"}}}},
                 "records": {"T": [{"objectId": "t", "tags": ["x" * 300_000]}]}})
    assert info.value.code == 107


def test_a_load_or_write_after_close_says_the_database_is_closed(engine: Any) -> None:
    """After db.close(), a load said "load failed, nothing was loaded: the PostgreSQL server
    went away during the load: the pool 'querylang' is already closed" (and a write the same),
    though the server was there; on DuckDB a load raised DuckDB's own ConnectionException, no
    QueryError."""
    db = engine()
    db.close()
    with pytest.raises(DataError, match="^the database is closed: nothing was loaded$"):
        db.load({"classes": {"P": {"fields": {}}}, "records": {"P": [{"objectId": "a"}]}})
    with pytest.raises(DataError, match="^the database is closed: nothing was changed$"):
        db.define_class("Q", {"n": {"type": "Number"}})


def test_a_load_cut_off_mid_copy_logs_nothing_beside_its_error(
    pg_cluster: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The server ending a load's connection during its COPY: db.load raised its DataError,
    and psycopg logged beside it "error ignored terminating <psycopg.Copy [BAD] at 0x…>: the
    connection is lost" (the CLI quiets psycopg's logger; a library user saw the line)."""
    from querylang.engines.postgres import bulk_copy

    app = f"cut_{uuid.uuid4().hex[:8]}"
    url = fresh_url(pg_cluster) + "&application_name=" + app
    cells = bulk_copy.row_cells

    def cut_at_p100(cls: Any, rec: Any, maps: Any = None) -> Any:
        if rec["objectId"] == "p100":  # waits until the backend is gone
            cluster_sql(pg_cluster, "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                                    f"WHERE application_name = '{app}'")
        return cells(cls, rec, maps)

    monkeypatch.setattr(bulk_copy, "row_cells", cut_at_p100)
    doc = {"classes": {"P": {"fields": {"s": {"type": "String"}}}},
           "records": {"P": [{"objectId": f"p{i}", "s": "x" * 40} for i in range(20_000)]}}
    with querylang.connect(url) as db, caplog.at_level(logging.WARNING, logger="psycopg"):
        with pytest.raises(DataError, match="nothing was loaded: the PostgreSQL server went away"):
            db.load(doc)
    assert [r.getMessage() for r in caplog.records if r.name == "psycopg"] == []


def test_a_row_the_server_refuses_is_named_by_its_record_and_line(pg_cluster: Any, tmp_path: Any) -> None:
    """A record PostgreSQL refused while it was copied in (an Array element past the size of
    the stored class's index key) was named by its class only: the server's "COPY Post, line
    2" names the row, which is now the record, and in a directory its line."""
    classes = {"Post": {"fields": {"tags": {"type": "Array"}}}}
    records = [{"objectId": "p1", "tags": ["a"]}, {"objectId": "p2", "tags": ["x" * 300_000]}]
    path = tmp_path / "d"
    path.mkdir()
    (path / "schema.json").write_text(json.dumps({"classes": classes}), encoding="utf-8")
    (path / "Post.ndjson").write_text(json.dumps(records[0]) + "\n\n" + json.dumps(records[1]) + "\n", encoding="utf-8")
    with querylang.connect(fresh_url(pg_cluster)) as db:
        db.load({"classes": classes, "records": {"Post": [{"objectId": "p0"}]}})
        for source, where in (({"records": {"Post": records}}, ""), (path, f"{path / 'Post.ndjson'}, line 3: ")):
            with pytest.raises(DataError) as info:
                db.load(source)
            assert str(info.value).startswith(f"{where}class Post, record p2, field tags: load failed, nothing was loaded: ")
            assert "index row size" in str(info.value)
            assert db.query("Post", None).ids == ["p0"]


TOO_LONG = "the value is too long for PostgreSQL's index of it ("


def test_a_value_too_long_for_an_index_is_named_by_class_record_and_field(pg_cluster: Any, tmp_path: Any) -> None:
    """A write's value past an index key's size said only the server's "index row requires
    300016 bytes, maximum size is 8191" or "index row size 3456 exceeds maximum 2712 for index
    "ix:Post:tags:e"", naming no class, record or field; a load of a new class said the same
    (its index is built after the COPY, which names no row then)."""
    with querylang.connect(fresh_url(pg_cluster)) as db:
        db.define_class("Post", {"tags": {"type": "Array"}, "p": {"type": "Pointer", "targetClass": "Post"}, "title": {"type": "String"},
                                 "r": {"type": "Relation", "targetClass": "Post"}})
        db.create("Post", {"objectId": "p1", "tags": ["a"]})
        before = db.find("Post", None).records
        rnd = random.Random(1)
        long_id = "".join(rnd.choice(string.ascii_letters) for _ in range(4000))  # compresses little
        cases = [
            (lambda: db.save("Post", "p1", {"tags": ["x" * 300_000]}), "class Post, record p1, field tags: "),
            (lambda: db.save("Post", "p1", {"p": long_id}), "class Post, record p1, field p: "),
            (lambda: db.create("Post", {"objectId": "q", "tags": [1, long_id]}), "class Post, record q, field tags: "),
            (lambda: db.add_relation("Post", "p1", "r", long_id), "class Post, record p1, field r: "),
            # Was "field title": the field set beside the edge, which no index holds (an id this
            # long, past 8191 bytes, is refused naming no index).
            (lambda: db.update("Post", "p1", lambda c: Change({"title": "t"}, add={"r": [long_id * 5]})),
             "class Post, record p1, field r: "),
        ]
        for call, place in cases:
            with pytest.raises(DataError) as info:
                call()
            assert str(info.value).startswith(place + "write failed, nothing was changed: " + TOO_LONG), str(info.value)[:300]
            assert info.value.code == 107
        assert db.find("Post", None).records == before
    classes = {"Post": {"fields": {"tags": {"type": "Array"}}}}
    records = [{"objectId": "a", "tags": ["a"]}, {"objectId": "b", "tags": ["b", "x" * 300_000]}]
    path = tmp_path / "d"
    path.mkdir()
    (path / "schema.json").write_text(json.dumps({"classes": classes}), encoding="utf-8")
    (path / "Post.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with querylang.connect(fresh_url(pg_cluster)) as db:
        for source, where in (({"classes": classes, "records": {"Post": records}}, ""), (path, f"{path / 'Post.ndjson'}, line 2: ")):
            with pytest.raises(DataError) as info:
                db.load(source)
            assert str(info.value).startswith(f"{where}class Post, record b, field tags: load failed, nothing was loaded: "
                                              + TOO_LONG), str(info.value)[:300]
            assert "Post" not in db.schema.classes


def test_an_import_whose_load_the_server_refuses_says_nothing_was_imported(pg_cluster: Any, tmp_path: Any) -> None:
    """`querylang import` of a Dashboard export holding a value too long for PostgreSQL's index
    said "Post.json, record 2: class Post, record b, field tags: load failed, nothing was
    loaded: …", where its own failures (a server out of reach) say "import failed, nothing was
    imported: …": the load inside the import is said as the import's, at the same place. So is
    a load refused as a whole (a database open read-only)."""
    from .test_cli import ql

    export = tmp_path / "Post.json"
    export.write_text(json.dumps([{"objectId": "a", "tags": ["a"]}, {"objectId": "b", "tags": ["b", "x" * 300_000]}]),
                      encoding="utf-8")
    url = fresh_url(pg_cluster)
    res = ql("import", "dashboard", str(export), "--db", url)
    assert res.returncode == 2 and res.stderr.startswith(
        f"error: {export}, record 2: class Post, record b, field tags: import failed, nothing was imported: "
        + TOO_LONG), res.stderr[:300]
    with querylang.connect(url) as db:
        assert "Post" not in db.schema.classes
    with querylang.connect(url, read_only=True) as db, pytest.raises(DataError) as info:
        db.import_dashboard_export(export)
    assert str(info.value) == "the database is open read-only: nothing was imported"


def test_a_class_whose_table_another_application_has_is_named_as_such(pg_cluster: Any) -> None:
    """Found following the DuckDB fix for loads (f1b2932) to PostgreSQL: a load or define_class
    of a class Post in a database where another application has a table Post said only the
    server's 'the database rejected the load: relation "Post" already exists'."""
    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    cluster_sql(pg_cluster, f'CREATE TABLE {schema}."Post" (a integer)')
    doc = {"classes": {"Post": {"fields": {"t": {"type": "String"}}}}, "records": {"Post": [{"objectId": "a", "t": "x"}]}}
    other = "the database already has a table Post that is not querylang's (another application's): "
    with querylang.connect(url) as db:
        with pytest.raises(DataError) as err:
            db.load(doc)
        assert str(err.value) == f"class Post: load failed, nothing was loaded: {other}load the class under " \
            "another name, or into another database"
        with pytest.raises(DataError) as err:
            db.define_class("Post", {"t": {"type": "String"}})
        assert str(err.value) == f"class Post: write failed, nothing was changed: {other}define the class under " \
            "another name, or in another database"
    with psycopg.connect(pg_cluster.url()) as con:
        columns = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                              "AND table_name = 'Post'", [schema]).fetchall()  # fmt: skip
    assert columns == [("a",)]

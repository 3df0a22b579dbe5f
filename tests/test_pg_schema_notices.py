"""Schema changes another process makes on the same PostgreSQL database reach a process that
opened before them (engines/postgres/notices.py): two ``querylang.connect(url)`` are two
pools that share nothing in Python, as two processes are."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

import querylang
from querylang.errors import SchemaError
from querylang.model.parse_types import CONFIG_CLASS
from querylang.server.global_config import read_config, update_config
from querylang.server.keys import Access

from .pg import cluster_sql, fresh_url

MASTER = Access(master=True, can_write=True)


@pytest.fixture
def pair(pg_cluster):
    """A (the process that changes the schema) and B (open before the change), on one database."""
    url = fresh_url(pg_cluster)
    a = querylang.connect(url)
    a.define_class("T", {"n": {"type": "Number"}})
    a.create("T", {"objectId": "t1", "n": 1})
    b = querylang.connect(url)
    assert b.store is not a.store and b.store.pool is not a.store.pool
    # Each pool's connections made now: one a pool grew by after A's change would have B read
    # the stored schema before its next query (PostgresStore.configure), which tests of a
    # notice's timing do not mean.
    a.store.pool.wait()
    b.store.pool.wait()
    yield a, b
    a.close()
    b.close()


def test_a_class_another_process_defined_is_queried_and_written(pair):
    a, b = pair
    a.define_class("U", {"s": {"type": "String"}})
    a.create("U", {"objectId": "u1", "s": "x"})
    assert b.query("U", {"s": "x"}).ids == ["u1"]  # no statement of B's heard a notice yet
    b.create("U", {"objectId": "u2", "s": "y"})
    assert a.query("U", "where({s: 'y'})").ids == ["u2"]


def test_a_class_another_process_defined_is_written_first(pair):
    a, b = pair
    a.define_class("U", {"s": {"type": "String"}})
    b.create("U", {"objectId": "u1", "s": "y"})
    assert a.query("U").ids == ["u1"]


def test_a_field_another_process_added_is_in_the_records_and_kept_plans(pair, monkeypatch):
    a, b = pair
    script = "where({ n: { greaterThan: Inputs.n } })"
    for n in (5, 7, 4):  # the third query of an input signature keeps its plan
        b.query("T", script, inputs={"n": n})
    hits = b._plans.hits
    a.add_field("T", "x", "String")
    a.save("T", "t1", {"x": "v"})
    # B's kept plan selects n alone: the notice heard with its rows makes it plan again. (Not
    # read before planning here, as if it came a moment after the query was planned.)
    monkeypatch.setattr(b.store, "_hear_waiting", lambda: None)
    first = b.query("T", script, inputs={"n": 0})
    assert first.records[0]["x"] == "v"
    assert b._plans.hits == hits + 1  # the kept plan answered first, then was dropped
    assert b.query("T").records[0]["x"] == "v"
    assert "x" in b.schema.get("T").fields


def test_a_field_another_process_added_is_filtered_on_and_written_first(pair):
    a, b = pair
    a.add_field("T", "x", "String")
    a.save("T", "t1", {"x": "v"})
    assert b.query("T", {"x": "v"}).ids == ["t1"]  # refused as unknown before a statement ran
    b.save("T", "t1", {"x": "w"})
    assert b.count("T", "where({x: 'w'})") == 1 and b.distinct("T", "x") == ["w"]
    assert a.query("T", {"x": "w"}).ids == ["t1"]


def test_a_field_another_process_added_is_written_first(pair):
    a, b = pair
    a.add_field("T", "x", "Number")
    b.create("T", {"objectId": "t2", "x": 2})
    assert b.aggregate("T", {"s": {"sum": "x"}}) == {"s": 2}
    assert a.query("T", {"x": 2}).ids == ["t2"]


def test_a_load_of_another_process_reaches_a_process_opened_before(pair):
    a, b = pair
    assert b.query("T").ids == ["t1"]
    a.load({"classes": {"T": {"fields": {"x": {"type": "Boolean"}}}, "V": {"fields": {"p": {"type": "Pointer", "targetClass": "T"}}}},
            "records": {"T": [{"objectId": "t2", "n": 2, "x": True}], "V": [{"objectId": "v1", "p": "t2"}]}})
    assert [r.get("x") for r in b.query("T", sort="n").records] == [None, True]
    assert b.query("V", include="p").records[0]["p"]["x"] is True
    assert b.query("T", {"x": True}).ids == ["t2"]


def test_unknown_names_are_still_refused_after_a_look_at_the_stored_schema(pair):
    _, b = pair
    with pytest.raises(SchemaError, match="unknown class 'Nope'"):
        b.query("Nope")
    with pytest.raises(SchemaError, match="no field 'nope'"):
        b.query("T", {"nope": 1})


def test_a_cli_load_in_another_process_reaches_an_open_database(pg_cluster, tmp_path: Path):
    url = fresh_url(pg_cluster)
    b = querylang.connect(url)
    try:
        b.define_class("T", {"n": {"type": "Number"}})
        b.create("T", {"objectId": "t1", "n": 1})
        assert b.query("T").records[0].keys() == {"objectId", "createdAt", "updatedAt", "n"}
        doc = tmp_path / "doc.json"
        doc.write_text(json.dumps({"classes": {"T": {"fields": {"x": {"type": "String"}}}, "U": {"fields": {}}},
                                   "records": {"T": [{"objectId": "t2", "x": "new"}], "U": [{"objectId": "u1"}]}}))
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        ran = subprocess.run([sys.executable, "-m", "querylang", "load", str(doc), "--db", url],
                             env=env, capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        assert [r.get("x") for r in b.query("T", sort="objectId").records] == [None, "new"]
        assert b.query("U").ids == ["u1"]
    finally:
        b.close()


def test_a_stream_after_a_statement_that_heard_the_notice_has_the_new_field(pair):
    a, b = pair
    assert b.count("T") == 1
    a.add_field("T", "x", "String")
    a.save("T", "t1", {"x": "v"})
    assert b.count("T") == 1  # its statement brings the notice
    assert [r.get("x") for r in b.stream("T")] == ["v"]


def test_a_connection_made_after_a_change_reads_the_schema_again(pair, pg_cluster):
    """Notices reach only the connections listening at the commit: B's connections, cut by
    the server before A's change (a restart, an idle timeout), were replaced by ones that never
    heard of it, and answered with the old select list."""
    a, b = pair
    assert b.query("T").ids == ["t1"]
    pids = {h.con.info.backend_pid for h in list(b.store._held)} | {c.info.backend_pid for c in list(b.store.pool._pool)}
    # With a timeout the call waits for the backends to be gone: without one it returned while
    # they could still hear A's notice, and the test measured a race, not the replacement.
    cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 10000) FROM unnest(ARRAY{sorted(pids)}) AS pid")
    a.add_field("T", "x", "String")
    a.save("T", "t1", {"x": "v"})
    assert b.query("T").records[0]["x"] == "v"


def test_a_config_another_serve_process_made_is_answered(pg_cluster):
    url = fresh_url(pg_cluster)
    a, b = querylang.connect(url), querylang.connect(url)
    try:
        assert read_config(b, MASTER) == {"params": {}}
        update_config(a, MASTER, {"params": {"k": 1}})
        assert CONFIG_CLASS not in b.schema.classes
        assert read_config(b, MASTER) == {"params": {"k": 1}, "masterKeyOnly": {"k": False}}
    finally:
        a.close()
        b.close()


def test_serve_answers_a_class_and_a_field_another_process_added(pair):
    from querylang.server.config import ServerConfig
    from querylang.server.rest import Api

    a, b = pair
    api = Api(b, ServerConfig(app_id="app", master_key="master"))
    a.define_class("U", {"s": {"type": "String"}})
    a.create("U", {"objectId": "u1", "s": "x"})
    a.add_field("T", "x", "String")
    status, body, _ = api.route("GET", "/classes/U", {"where": {"s": "x"}}, MASTER, "http://h/parse")
    assert status == 200 and [r["objectId"] for r in body["results"]] == ["u1"]
    status, body, _ = api.route("POST", "/classes/T", {"x": "new"}, MASTER, "http://h/parse")
    assert status == 201 and b.query("T", {"x": "new"}).ids == [body["objectId"]]
    status, body, _ = api.route("GET", "/schemas/U", {}, MASTER, "http://h/parse")
    assert status == 200 and "s" in body["fields"]


def test_the_browser_shows_a_class_and_a_field_another_process_added(pair):
    """Found by the review of the schema notices: serve's data browser looked the class up in
    the schema this process read at its start, so a class another process made was 'Not
    found' (and missing from the list of classes), and a field another process added was no
    column of the records table, until some other request had run a statement."""
    from starlette.testclient import TestClient

    from querylang.server import ServerConfig, create_app

    a, b = pair
    with TestClient(create_app(b, ServerConfig(app_id="app", master_key="m")), base_url="http://localhost") as client:
        a.define_class("U", {"s": {"type": "String"}})
        a.create("U", {"objectId": "u1", "s": "x"})
        page = client.get("/browser/classes/U", params={"masterKey": "m"})
        assert page.status_code == 200 and "u1" in page.text, page.text
        a.define_class("V", {})
        assert ">V</a>" in client.get("/browser/", params={"masterKey": "m"}).text
        a.add_field("U", "late", "String")
        a.save("U", "u1", {"late": "here"})
        page = client.get("/browser/classes/U", params={"masterKey": "m"})
        assert "?order=late" in page.text and "<td>here</td>" in page.text, page.text


def test_an_update_naming_a_field_no_process_added_runs_its_change_once(pair):
    """Found by the review of the schema notices: an update whose Change named a field nobody
    had added, while another process had added some other field, read the schema again and ran
    its change a second time, to be refused again. It is tried again only when the name it
    refused is known after the re-read (docs/postgres.md)."""
    a, b = pair
    a.add_field("T", "y", "String")
    calls = []

    def change(record):
        calls.append(record["objectId"])
        return querylang.Change({"zz": "v"})

    with pytest.raises(querylang.DataError, match="zz"):
        b.update("T", "t1", change)
    assert calls == ["t1"]
    assert a.query("T").records[0].get("zz") is None


def test_an_update_naming_a_field_another_process_just_added_runs_its_change_once(pair):
    """Its change was run twice: refused as "unknown field" (nothing written), then again after
    the stored schema was read. The field is now looked up inside the update's transaction."""
    a, b = pair
    a.add_field("T", "x", "String")
    calls = []

    def change(record):
        calls.append(dict(record))
        return querylang.Change({"x": "v"})

    written = b.update("T", "t1", change)
    assert len(calls) == 1 and calls[0]["n"] == 1 and "x" not in calls[0]
    assert written["x"] == "v" and written["n"] == 1
    assert a.query("T", {"x": "v"}).ids == ["t1"]
    assert "x" in b.schema.get("T").fields


def test_an_update_adding_edges_of_a_relation_another_process_just_added_runs_its_change_once(pair):
    a, b = pair
    a.add_field("T", "friends", "Relation", "T")
    calls = []
    b.update("T", "t1", lambda r: (calls.append(1), querylang.Change(add={"friends": ["t1"]}))[1])
    assert len(calls) == 1
    assert a.query("T", {"relatedTo": {"id": "t1", "key": "friends"}}).ids == ["t1"]


def test_an_update_unsetting_a_field_another_process_just_added_leaves_it_without_a_value(pair):
    """A Change's unset names a field too: it was refused as "unknown field", and an update is
    not tried again after a look at the stored schema (its change would run twice)."""
    a, b = pair
    a.add_field("T", "c", "Number")
    a.save("T", "t1", {"c": 5})
    calls = []
    written = b.update("T", "t1", lambda r: (calls.append(r.get("c")), querylang.Change(unset=["c"]))[1])
    assert "c" not in written and a.query("T", {"c": {"exists": True}}).ids == []
    assert calls == [None, 5]  # given the whole record once the record was seen to hold a value of 'c'


def test_an_update_whose_record_holds_a_value_of_a_field_it_had_not_heard_of_sees_it(pair):
    """The change ran on the record as this process knew it; the record holds a value of the
    new field the change named: it is given the whole record, so no value is lost."""
    a, b = pair
    a.add_field("T", "c", "Number")
    a.save("T", "t1", {"c": 5})
    seen = []

    def count(record):
        seen.append(record.get("c"))
        return querylang.Change({"c": (record.get("c") or 0) + 1})

    assert b.update("T", "t1", count)["c"] == 6
    assert seen == [None, 5] and a.query("T").records[0]["c"] == 6
    assert b.update("T", "t1", count)["c"] == 7 and seen == [None, 5, 6]  # known now: once


def test_a_create_or_save_naming_a_field_no_process_added_is_refused_by_name(pair):
    a, b = pair
    a.add_field("T", "y", "String")  # the stored schema changed, not with this name
    with pytest.raises(querylang.DataError, match="class T, record t2, field zz: unknown field"):
        b.create("T", {"objectId": "t2", "zz": 1})
    with pytest.raises(querylang.DataError, match="class T, record t1, field zz: unknown field"):
        b.save("T", "t1", {"zz": 1})
    assert a.query("T").ids == ["t1"] and "zz" not in a.query("T").records[0]


def test_a_query_sent_after_another_process_changed_the_schema_is_planned_once(pair, monkeypatch):
    """The notice, come to B's connection before its query, was read only at the statement:
    the query was planned with the old schema, run, then planned and run again. It is read
    before planning now, without a round trip."""
    a, b = pair
    script = "where({ n: { greaterThan: Inputs.n } })"
    for n in (5, 7, 4):  # a kept plan too, which the notice makes stale
        b.query("T", script, inputs={"n": n})
    hits = b._plans.hits
    a.add_field("T", "x", "String")
    a.save("T", "t1", {"x": "v"})
    held = b.store._local.held.con  # this thread's connection, where the notice comes
    assert select.select([held.fileno()], [], [], 10)[0], "the notice never came"
    statements = []
    execute = b.store.execute
    monkeypatch.setattr(b.store, "execute", lambda *args, **kw: (statements.append(1), execute(*args, **kw))[1])
    assert b.query("T", script, inputs={"n": 0}).records[0]["x"] == "v"
    assert len(statements) == 1 and b._plans.hits == hits  # the stale plan not run
    assert "x" in b.schema.get("T").fields


def test_an_increment_of_a_field_another_process_just_added_is_written(pair):
    """Refused as "increment: unknown field": the look at the stored schema before a refusal
    knew only the reasons that begin "unknown field"."""
    a, b = pair
    a.add_field("T", "c", "Number")
    b.increment("T", "t1", {"c": 2})
    assert a.query("T").records[0]["c"] == 2
    with pytest.raises(querylang.DataError, match="class T, record t1, field zz: increment: unknown field"):
        b.increment("T", "t1", {"zz": 1})


def test_a_delete_check_or_an_update_change_raising_a_schema_error_is_called_once(pair):
    """What a delete's check raised was raised as it is, but a SchemaError made the delete read
    the stored schema and, when another process had changed it, run again, check included."""
    a, b = pair
    a.add_field("T", "y", "String")  # B has not heard: the stored schema differs from B's
    calls = []

    def refuse(record):
        calls.append(record["objectId"])
        raise SchemaError("no field 'owner' on this application's classes")

    with pytest.raises(SchemaError, match="owner"):
        b.delete("T", "t1", check=refuse)
    assert calls == ["t1"]
    a.add_field("T", "z", "String")
    with pytest.raises(SchemaError, match="owner"):
        b.update("T", "t1", refuse)
    assert calls == ["t1", "t1"] and a.query("T").ids == ["t1"]


def test_a_delete_of_a_class_another_process_just_defined_is_done(pair):
    a, b = pair
    a.define_class("U", {"s": {"type": "String"}})
    a.create("U", {"objectId": "u1", "s": "x"})
    checked = []
    b.delete("U", "u1", check=lambda r: checked.append(r["s"]))
    assert checked == ["x"] and a.query("U").ids == []


def test_serve_writes_a_field_another_process_added_to_a_class_it_knows_once(pair, monkeypatch):
    """Found by review: a POST or PUT naming a field another process had just added to a class
    serve knew was refused, 105 "class U has no field 'n'": the request was run again after an
    unknown name only when the library refused it, not serve's own check of the write. An
    update whose change names such a field reads the stored schema in its own transaction and
    plans the write again there: one transaction, not the whole request again (which would call
    the change once more in another, as often as the schema changed in between)."""
    from querylang.server.config import ServerConfig
    from querylang.server.rest import Api

    a, b = pair
    api = Api(b, ServerConfig(app_id="app", master_key="master"))
    a.define_class("U", {"s": {"type": "String"}})
    a.create("U", {"objectId": "u1", "s": "x"})
    assert api.route("GET", "/classes/U", {}, MASTER, "http://h/parse")[0] == 200  # serve knows U, and its fields
    writes = []
    writer = b.store.writer
    monkeypatch.setattr(b.store, "writer", lambda *args, **kw: writes.append(1) or writer(*args, **kw))

    a.add_field("U", "n", "Number")
    a.save("U", "u1", {"n": 5})
    status, body, _ = api.route("PUT", "/classes/U/u1", {"n": {"__op": "Increment", "amount": 1}}, MASTER, "http://h/parse")
    assert (status, body["n"], len(writes)) == (200, 6, 1)
    assert a.find("U", {"objectId": "u1"}).records[0]["n"] == 6

    a.add_field("U", "m", "Number")
    status, body, _ = api.route("POST", "/classes/U", {"m": 1}, MASTER, "http://h/parse")
    assert status == 201 and a.find("U", {"objectId": body["objectId"]}).records[0]["m"] == 1
    assert len(writes) == 2

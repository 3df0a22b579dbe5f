"""A server that takes a role's connections but refuses a statement of the store's set-up of
each new one (its configure, run on every pooled connection): opening waited the pool's whole
timeout (10 s) and then said "all 16 connections ... are in use", which was false and hid the
reason; a query needing a new connection later did the same. The fault here is a role that may
not call pg_is_in_recovery(), which the set-up calls on a server that does not say at connect
whether it is a standby (PostgreSQL 13 and earlier, simulated by hiding in_hot_standby)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

import querylang
from querylang import DataError, QueryError
from querylang.engines.postgres.cluster import Cluster

from .pg import cluster_sql, fresh_url
from .test_pg_parse_fresh import ParseApp

ROLE = "no_recovery_check"
REFUSED = "permission denied for function pg_is_in_recovery"
CLASS = {"querylang": "User", "parse": "Post"}


@pytest.fixture(scope="module")
def urls(pg_cluster: Cluster) -> Iterator[dict[str, str]]:
    """The role's URLs of a schema holding querylang's tables and of one holding Parse's."""
    own, parse = fresh_url(pg_cluster), fresh_url(pg_cluster)
    with querylang.connect(own) as db:
        db.load({"classes": {"User": {"fields": {"name": {"type": "String"}}}},
                 "records": {"User": [{"objectId": "u1", "name": "Ann"}]}})
    ParseApp(parse)
    schemas = [url.rsplit("%3D", 1)[1] for url in (own, parse)]  # options=-c search_path=<schema>
    cluster_sql(pg_cluster, f"CREATE ROLE {ROLE} LOGIN")
    for schema in schemas:
        cluster_sql(pg_cluster, f"GRANT USAGE ON SCHEMA {schema} TO {ROLE}")
        cluster_sql(pg_cluster, f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {ROLE}")
    cluster_sql(pg_cluster, "REVOKE EXECUTE ON FUNCTION pg_is_in_recovery() FROM PUBLIC")
    as_role = pg_cluster.url(user=ROLE)
    try:
        yield {"querylang": as_role + own[len(pg_cluster.url()):], "parse": as_role + parse[len(pg_cluster.url()):]}
    finally:
        cluster_sql(pg_cluster, "GRANT EXECUTE ON FUNCTION pg_is_in_recovery() TO PUBLIC")
        cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{ROLE}'")
        cluster_sql(pg_cluster, f"DROP OWNED BY {ROLE}")
        cluster_sql(pg_cluster, f"DROP ROLE {ROLE}")


def as_before_14(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections do not say whether the server is a standby: the set-up asks pg_is_in_recovery()."""
    said = psycopg.ConnectionInfo.parameter_status
    monkeypatch.setattr(psycopg.ConnectionInfo, "parameter_status",
                        lambda info, name: None if name == "in_hot_standby" else said(info, name))


@pytest.mark.parametrize("layout", ["querylang", "parse"])
def test_a_set_up_the_server_refuses_fails_the_connect_at_once_naming_it(
        urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    as_before_14(monkeypatch)
    began = time.monotonic()
    with pytest.raises(DataError, match=rf"^cannot connect to PostgreSQL at postgresql://{ROLE}@\S+: "
                                        rf"a new connection's set-up failed: {REFUSED}$"):
        querylang.connect(urls[layout], layout=layout)
    assert time.monotonic() - began < 2


@pytest.mark.parametrize("layout", ["querylang", "parse"])
def test_new_connections_whose_set_up_is_refused_are_named_not_said_to_be_in_use(
        pg_cluster: Cluster, urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, layout: str) -> None:
    """The set-up refused once the database is open (the pool's connections cut): the first
    query says why within seconds, the ones after it at once (each waited a second for the pool,
    which had no connection to give), and the database answers again, on the first query, once
    the set-up passes."""
    db = querylang.connect(urls[layout], layout=layout)
    try:
        ids = db.query(CLASS[layout], None).ids
        as_before_14(monkeypatch)
        cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{ROLE}'")
        for call in range(4):
            began = time.monotonic()
            with pytest.raises(QueryError, match=rf"^cannot set up a connection to the PostgreSQL server at "
                                                 rf"postgresql://{ROLE}@\S+: {REFUSED}$") as info:
                db.query(CLASS[layout], None)
            assert info.value.code == 1
            assert time.monotonic() - began < (3 if call == 0 else 0.5)
        monkeypatch.undo()
        assert db.query(CLASS[layout], None).ids == ids
    finally:
        db.close()


def test_while_the_set_up_is_refused_a_query_waits_for_a_connection_another_gives_back(
        urls: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection of the pool lent (to streams) and a new one's set-up refused: a query
    of another thread waits for a stream's to come free and is answered (it failed at once,
    naming the refusal, as when no connection could come free)."""
    with querylang.connect(urls["querylang"]) as db:
        ids = db.query("User", None).ids
        as_before_14(monkeypatch)
        streams = []
        for _ in range(20):  # streams take the pool's connections until it must grow, and is refused
            stream = db.stream("User", None)
            try:
                assert next(stream)["objectId"] == ids[0]
            except QueryError as exc:
                assert REFUSED in str(exc)
                break
            streams.append(stream)
        else:
            pytest.fail("the pool grew though its new connections' set-up is refused")
        got: list[object] = []

        def query() -> None:
            try:
                got.append(db.query("User", None).ids)
            except QueryError as exc:
                got.append(exc)

        waiting = threading.Thread(target=query)
        waiting.start()
        time.sleep(0.3)
        streams.pop().close()  # its connection goes back to the pool
        waiting.join(20)
        assert got == [ids]
        for stream in streams:
            stream.close()

"""`querylang serve --db postgresql://...`: the same requests answered as on DuckDB over the same
data, and the failures that are PostgreSQL's own (a lock past the query timeout, a role without
write rights, a server stopped and started again, many requests at once)."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import psycopg
import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster
from querylang.server import class_access
from querylang.server.class_access import ABSENT_FOR

from ..pg import cluster_sql, fresh_url
from .conftest import NOTES, headers
from .live import LiveServer, start


def ptr(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def load_same(db: querylang.Database, sample_doc: dict) -> querylang.Database:
    """make_db's data, with the Notes' dates fixed (loaded at different moments otherwise)."""
    notes = copy.deepcopy(NOTES)
    for r in notes["records"]["Note"]:
        r["createdAt"] = "2024-01-01T00:00:00.000Z"
    db.load(copy.deepcopy(sample_doc))
    db.load(notes)
    return db


def schema_of(url: str) -> str:
    return urllib.parse.unquote(url).split("search_path=")[1]


def _servers(sample_doc: dict, pg_cluster: Cluster) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Servers over the same data: (DuckDB, PostgreSQL), stopped and closed at the end."""
    duck = start(load_same(querylang.connect(), sample_doc), acl_field="acl")
    pg = start(load_same(querylang.connect(fresh_url(pg_cluster)), sample_doc), acl_field="acl")
    yield duck, pg
    for srv in (duck, pg):
        srv.stop()
        srv.db.close()


@pytest.fixture(scope="module")
def pair(sample_doc: dict, pg_cluster: Cluster) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Read-only servers over the same data: (DuckDB, PostgreSQL)."""
    yield from _servers(sample_doc, pg_cluster)


@pytest.fixture
def fresh_pair(sample_doc: dict, pg_cluster: Cluster) -> Iterator[tuple[LiveServer, LiveServer]]:
    """The same, for a test that writes."""
    yield from _servers(sample_doc, pg_cluster)


@pytest.fixture
def pg_server(sample_doc: dict, pg_cluster: Cluster) -> Iterator[Callable[..., tuple[LiveServer, str]]]:
    """Servers over a fresh PostgreSQL schema holding the data, opened as ``connect(**kw)`` says
    (``role=`` opens it as another role); returned with the schema's URL."""
    started: list[LiveServer] = []
    roles: list[str] = []

    def make(role: str | None = None, **kw: Any) -> tuple[LiveServer, str]:
        url = fresh_url(pg_cluster)
        load_same(querylang.connect(url), sample_doc).close()
        if role is not None:
            roles.append(role)
            cluster_sql(pg_cluster, f"DROP ROLE IF EXISTS {role}")
            cluster_sql(pg_cluster, f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {schema_of(url)} TO {role}; "
                                    f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema_of(url)} TO {role}")
        srv = start(querylang.connect(url.replace("postgres@", f"{role}@") if role else url, **kw), acl_field="acl")
        started.append(srv)
        return srv, url

    yield make
    for srv in started:
        srv.stop()
        srv.db.close()
    for role in roles:  # its grants too: a role left holding them cannot be dropped by another test
        cluster_sql(pg_cluster, f"DROP OWNED BY {role}; DROP ROLE {role}")


def call(srv: LiveServer, method: str, path: str, master: bool = False, timeout: float = 30, **kw: Any) -> tuple[int, Any]:
    r = httpx.request(method, srv.url + path, headers=headers(master), timeout=timeout, **kw)
    return r.status_code, r.json()


def where(w: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {"params": {"where": json.dumps(w), **params}}


# (method, path, master key, request) answered the same on both engines.
READS: list[tuple[str, str, bool, dict[str, Any]]] = [
    ("GET", "/classes/Post", False, where({"score": {"$gt": 10}}, order="-score,title")),
    ("GET", "/classes/Post", False, where({"title": {"$regex": "^p", "$options": "i"}}, order="title", keys="title,score")),
    ("GET", "/classes/Post", False, {"params": {"order": "publishedAt", "limit": 5, "skip": 3, "count": 1}}),
    ("GET", "/classes/Post", False, {"params": {"order": "-publishedAt", "limit": 50}}),
    ("GET", "/classes/Post", False, {"params": {"order": "meta.views,objectId", "limit": 50}}),
    ("GET", "/classes/Post", False, where({"location": {"$nearSphere": {"__type": "GeoPoint", "latitude": 30, "longitude": -100}}}, limit=10)),
    ("GET", "/classes/Post", False, where({"nums": {"$gt": 2}}, order="objectId")),
    ("GET", "/classes/Post", False, where({"meta.lang": "en"}, order="objectId", excludeKeys="body,meta")),
    ("GET", "/classes/Post", False, where({"body": {"$text": {"$search": {"$term": "parse"}}}}, order="objectId")),
    ("GET", "/classes/Post", False, where({"author": {"$inQuery": {"where": {"age": {"$gt": 30}}, "className": "User"}}},
                                          order="objectId", include="author")),
    ("GET", "/classes/Post", False, where({"$relatedTo": {"object": ptr("Group", "g1"), "key": "posts"}}, order="objectId")),
    ("GET", "/classes/Group", False, where({"$relatedTo": {"object": ptr("Group", "g1"), "key": "posts"}},
                                           redirectClassNameForKey="posts", order="objectId")),
    ("GET", "/classes/Group", False, where({"posts": {"$inQuery": {"className": "Post", "where": {"score": {"$gt": 10}}}}},
                                           keys="name", order="name")),
    ("GET", "/classes/Comment", False, where({"Owner.score": {"$gte": 5}}, order="objectId", include="Owner,Owner.author", limit=10)),
    ("GET", "/classes/Comment", False, {"params": {"keys": "Owner.title", "limit": 5, "order": "objectId"}}),
    ("GET", "/classes/Comment", False, {"params": {"excludeKeys": "text,Owner.title", "limit": 5, "order": "objectId"}}),
    ("GET", "/classes/Comment", False, where({"Owner": {"$select": {"query": {"className": "Post", "where": {"score": {"$gt": 5}}},
                                                                    "key": "objectId"}}}, count=1, limit=0)),
    ("GET", "/classes/Note", False, {"params": {"order": "rank", "count": 1}}),
    ("GET", "/classes/Note", True, {"params": {"order": "rank", "count": 1, "skip": 1, "limit": 3}}),
    ("GET", "/classes/Note", False, {"params": {"order": "-rank", "include": "about", "skip": 1, "limit": 2, "count": 1}}),
    ("GET", "/classes/Note", False, where({"about": {"$inQuery": {"className": "Note", "where": {}}}})),
    ("GET", "/classes/Note/n3", False, {}),
    ("GET", "/classes/Note/n3", True, {}),
    ("GET", "/classes/Note/n6", False, {"params": {"include": "about"}}),
    ("GET", "/classes/Post/p001", False, {"params": {"include": "author", "keys": "title,author.name"}}),
    ("GET", "/classes/Group/g1", False, {}),
    ("POST", "/classes/Comment", False, {"content": json.dumps({"_method": "GET", "_ApplicationId": "test-app",
                                                                 "where": {"likes": {"$gte": 20}}, "order": "objectId",
                                                                 "limit": 5, "skip": 2, "count": 1})}),
    ("GET", "/classes/Post", False, where({"score": {"$gt": "x"}})),
    ("GET", "/classes/Post", False, where({"nope": 1})),
    ("GET", "/classes/Post", False, where({"title": {"$regex": "("}})),
    ("GET", "/classes/Post", False, where({"title": "a\u0000b"})),
    ("GET", "/classes/Post", False, where({"acl": 1})),
    ("GET", "/classes/Post", False, {"params": {"order": "tags"}}),
    ("GET", "/classes/Post", False, {"params": {"limit": "abc"}}),
    ("GET", "/classes/Post", False, {"params": {"skip": 10**20}}),
    ("GET", "/classes/Post", False, where({"score": {"$in": [1e308, -1e308]}})),
    ("GET", "/classes/Post", False, where({"publishedAt": {"$gt": {"__type": "Date", "iso": "0001-01-01T00:00:00.000Z"}}}, count=1, limit=0)),
    ("GET", "/classes/Posts", False, {}),
    ("GET", "/schemas/Post", True, {}),
]


@pytest.mark.parametrize(("method", "path", "master", "request_"), READS)
def test_reads_answer_as_on_duckdb(pair: tuple[LiveServer, LiveServer], method: str, path: str, master: bool,
                                   request_: dict[str, Any]) -> None:
    duck, pg = pair
    assert call(pg, method, path, master, **request_) == call(duck, method, path, master, **request_)


WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/classes/Post", {"objectId": "zz1", "title": "t", "score": 1.5, "tags": ["a", 1, True], "nums": [1, 2],
                               "meta": {"a": {"b": [1]}}, "author": ptr("User", "u01"),
                               "publishedAt": {"__type": "Date", "iso": "2020-01-01T00:00:00.123Z"},
                               "location": {"__type": "GeoPoint", "latitude": 1, "longitude": 2}}),
    ("PUT", "/classes/Post/zz1", {"score": {"__op": "Increment", "amount": 2.25},
                                  "tags": {"__op": "AddUnique", "objects": [1.0, "b", {"x": 1}]},
                                  "nums": {"__op": "Remove", "objects": [1]}, "meta": {"__op": "Delete"}}),
    ("PUT", "/classes/Post/zz1", {"nums": {"__op": "Add", "objects": [3, 3]}, "title": "é\U0001f600\u2028"}),
    ("PUT", "/classes/Post/zz1", {"score": {"__op": "Increment", "amount": 1e308}}),
    ("PUT", "/classes/Post/zz1", {"score": {"__op": "Increment", "amount": 1e308}}),
    ("PUT", "/classes/Post/zz1", {"publishedAt": {"__type": "Date", "iso": "9999-12-31T23:59:59.999Z"}}),
    ("PUT", "/classes/Group/g1", {"posts": {"__op": "AddRelation", "objects": [ptr("Post", "zz1"), ptr("Post", "zz1")]}}),
    ("PUT", "/classes/Group/g2", {"posts": {"__op": "Batch", "ops": [
        {"__op": "RemoveRelation", "objects": [ptr("Post", "p001")]}, {"__op": "AddRelation", "objects": [ptr("Post", "zz1")]}]}}),
    ("PUT", "/classes/Group/nope", {"name": "x"}),
    ("POST", "/classes/Post", {"objectId": "p001"}),
    ("PUT", "/classes/Note/n3", {"ACL": {"*": {"read": True}}}),
    ("POST", "/classes/Note", {"objectId": "nn", "ACL": {"*": {"read": True, "write": False}}, "title": "new"}),
    ("POST", "/batch", {"requests": [
        {"method": "POST", "path": "/parse/classes/Comment", "body": {"objectId": "cb1", "text": "b", "Owner": ptr("Post", "p002")}},
        {"method": "PUT", "path": "/parse/classes/Comment/cb1", "body": {"likes": {"__op": "Increment", "amount": 1}}},
        {"method": "PUT", "path": "/parse/classes/Comment/cb1", "body": {"likes": {"__op": "Increment", "amount": "x"}}},
        {"method": "POST", "path": "/parse/classes/Comment", "body": {"objectId": "cb1"}},
        {"method": "DELETE", "path": "/parse/classes/Comment/c001"},
        {"method": "GET", "path": "/parse/classes/Comment/cb1"},
    ]}),
    ("DELETE", "/classes/Post/p008", {}),
    ("DELETE", "/classes/Post/zz1", {}),
    ("DELETE", "/classes/Post/zz1", {}),
]
# What each write leaves, read back.
AFTER = [
    ("/classes/Post", {"order": "objectId", "limit": 1000, "include": "author"}),
    ("/classes/Comment", {"order": "objectId", "limit": 1000, "include": "Owner"}),
    ("/classes/Note", {"order": "objectId"}),
    ("/classes/Post", {"where": json.dumps({"$relatedTo": {"object": ptr("Group", "g1"), "key": "posts"}}), "order": "objectId"}),
    ("/classes/Post", {"where": json.dumps({"$relatedTo": {"object": ptr("Group", "g2"), "key": "posts"}}), "order": "objectId"}),
]
STAMP = re.compile(r'"\d{4}-\d\d-\d\dT[\d:.]+Z"')


def stamped(answer: Any, since: str) -> str:
    """An answer with the times the server stamped (those after ``since``) made equal."""
    return STAMP.sub(lambda m: '"now"' if m.group(0)[1:-1] >= since else m.group(0), json.dumps(answer))


def test_writes_answer_as_on_duckdb(fresh_pair: tuple[LiveServer, LiveServer]) -> None:
    duck, pg = fresh_pair
    since = "2025"  # the data's own dates are before it, the server's stamps after it
    for method, path, body in WRITES:
        got = [call(s, method, path, True, json=body) for s in (duck, pg)]
        assert stamped(got[1], since) == stamped(got[0], since), (method, path, body)
        for read, params in AFTER:
            after = [call(s, "GET", read, True, params=params) for s in (duck, pg)]
            assert stamped(after[1], since) == stamped(after[0], since), (method, path, body, read, params)


def test_many_requests_at_once_lose_no_write(pg_server: Callable[..., tuple[LiveServer, str]]) -> None:
    srv, _ = pg_server()
    start_score = call(srv, "GET", "/classes/Post/p001")[1]["score"]

    async def run() -> list[int]:
        async with httpx.AsyncClient(timeout=120) as ac:
            async def increment() -> int:
                r = await ac.put(f"{srv.url}/classes/Post/p001", json={"score": {"__op": "Increment", "amount": 1}},
                                 headers=headers(True))
                return r.status_code

            async def create(i: int) -> int:
                r = await ac.post(f"{srv.url}/classes/Comment", json={"text": f"c{i}", "Owner": ptr("Post", "p002")},
                                  headers=headers(True))
                return r.status_code

            async def read() -> int:
                r = await ac.get(f"{srv.url}/classes/Note", params={"count": 1}, headers=headers())
                return r.status_code

            calls = [c for i in range(40) for c in (increment(), create(i), read())]
            return list(await asyncio.gather(*calls))

    assert set(asyncio.run(run())) <= {200, 201}
    assert call(srv, "GET", "/classes/Post/p001")[1]["score"] == start_score + 40
    owner = where({"Owner": ptr("Post", "p002"), "text": {"$regex": "^c\\d"}}, count=1, limit=0)
    assert call(srv, "GET", "/classes/Comment", **owner)[1]["count"] == 40


def test_two_serve_processes_on_one_database_lose_no_update(pg_server: Callable[..., tuple[LiveServer, str]]) -> None:
    """Two servers (each its own Database and pool, as two processes have) changing one record
    at once: an update read the stored value, then saved, outside one transaction, so the other
    server's change made in between was overwritten (an earlier review kept 43 of 60)."""
    one, url = pg_server()
    other = start(querylang.connect(url), acl_field="acl")
    try:
        before = call(one, "GET", "/classes/Post/p001")[1]
        start_score = before["score"]

        async def run() -> list[int]:
            async with httpx.AsyncClient(timeout=120) as ac:
                async def put(srv: LiveServer, body: dict[str, Any]) -> int:
                    r = await ac.put(f"{srv.url}/classes/Post/p001", json=body, headers=headers(True))
                    return r.status_code

                calls = [put(srv, body) for i in range(30) for n, srv in enumerate((one, other)) for body in (
                    {"score": {"__op": "Increment", "amount": 1}},
                    {"tags": {"__op": "AddUnique", "objects": [f"t{i}-{n}"]}},
                )]
                return list(await asyncio.gather(*calls))

        assert set(asyncio.run(run())) == {200}
        after = call(other, "GET", "/classes/Post/p001")[1]
        assert after["score"] == start_score + 60
        assert len(after["tags"]) == len(before.get("tags") or []) + 60
    finally:
        other.stop()
        other.db.close()


def test_a_delete_of_a_field_another_process_just_added_unsets_it(pg_server: Callable[..., tuple[LiveServer, str]]) -> None:
    """A Delete of a field the class lacks changes nothing (as Parse on MongoDB answers it): one
    another process added since this server read the schema is unset all the same, not kept."""
    srv, url = pg_server()
    assert call(srv, "GET", "/classes/Post/p001", master=True)[0] == 200  # the schema is read
    other = querylang.connect(url)
    try:
        other.add_field("Post", "extra", "String")
        other.update("Post", "p001", lambda _: querylang.Change({"extra": "kept?"}))
        status, answer = call(srv, "PUT", "/classes/Post/p001", master=True, json={"extra": {"__op": "Delete"}})
        assert status == 200, answer
        assert "extra" not in other.find("Post", {"objectId": "p001"}).records[0]
    finally:
        other.close()


def test_a_client_read_of_a_class_with_acls_stops_at_the_query_timeout(
    pg_server: Callable[..., tuple[LiveServer, str]], pg_cluster: Cluster
) -> None:
    """Found by holding a lock on the Note table: a find without the master key on a class with
    ACLs (or a sub-query into one) reads the ACLs through db.stream, which has no timeout, so it
    waited for the lock for good, and every request behind it on the one database thread with
    it, while the master key's find of the same class stopped at the query timeout."""
    srv, url = pg_server(timeout=1)
    stopped = (500, {"code": 1, "error": "the query ran longer than 1 s and was stopped"})
    sub_query = where({"title": {"$select": {"query": {"className": "Note", "where": {}}, "key": "title"}}})
    with psycopg.connect(pg_cluster.url()) as lock:
        lock.execute(f'LOCK TABLE {schema_of(url)}."Note" IN ACCESS EXCLUSIVE MODE')
        for master, path, request_ in [(True, "/classes/Note", {}), (False, "/classes/Note", {"params": {"count": 1}}),
                                       (False, "/classes/Post", sub_query)]:
            began = time.monotonic()
            assert call(srv, "GET", path, master, timeout=20, **request_) == stopped, (master, path)
            assert time.monotonic() - began < 10
        assert call(srv, "GET", "/classes/Post/p001")[0] == 200  # the next request is answered
    assert call(srv, "GET", "/classes/Note", params={"count": 1})[1]["count"] == 4


def test_a_write_the_role_may_not_make_is_a_server_error(pg_server: Callable[..., tuple[LiveServer, str]]) -> None:
    """Found by serving as a role with SELECT only: every write was answered 400 with code 107
    (Parse's "invalid JSON": the client's fault, not to be sent again), where the same refusal
    of a read is 500 with code 1. The PostgreSQL writer dropped the server error's code."""
    srv, _ = pg_server(role="ql_serve_reader")
    assert call(srv, "GET", "/classes/Note/n1")[0] == 200
    writes = [
        ("POST", "/classes/Post", {"title": "x"}),
        ("PUT", "/classes/Post/p001", {"title": "x"}),
        ("PUT", "/classes/Post/p001", {"score": {"__op": "Increment", "amount": 1}}),
        ("PUT", "/classes/Group/g1", {"posts": {"__op": "AddRelation", "objects": [ptr("Post", "p001")]}}),
        ("DELETE", "/classes/Post/p001", None),
    ]
    for method, path, body in writes:
        status, answer = call(srv, method, path, True, json=body)
        assert status == 500 and answer["code"] == 1 and "permission denied" in answer["error"], (method, path, answer)
    batch = {"requests": [{"method": "DELETE", "path": "/parse/classes/Post/p002"}]}
    assert call(srv, "POST", "/batch", True, json=batch)[1][0]["error"]["code"] == 1
    # A value the server refuses for what it is (too long for an index) is still the client's: 107.
    srv_ok, _ = pg_server()
    long_id = "".join(f"{i:x}" for i in range(3000))  # not compressible below the index's limit
    status, answer = call(srv_ok, "POST", "/classes/Post", True, json={"objectId": long_id})
    assert (status, answer["code"]) == (400, 107), answer


def test_the_browser_lists_the_classes_when_the_role_may_not_read_one(
        pg_server: Callable[..., tuple[LiveServer, str]], pg_cluster: Cluster) -> None:
    """Found by serving as a role without SELECT on one class's table: the browser's list of
    classes, which counts each class, was the 500 page 'permission denied for table Comment'
    instead of the classes the role may read. That class's count is '?', and the page says why."""
    srv, url = pg_server(role="ql_browser_reader")
    cluster_sql(pg_cluster, f'REVOKE SELECT ON {schema_of(url)}."Comment" FROM ql_browser_reader')
    page = httpx.get(f"{srv.root}/browser/", params={"masterKey": "test-master"}, follow_redirects=True, timeout=30)
    assert page.status_code == 200, page.text
    assert re.search(r'>Comment</a></td><td class="num"><span title="permission denied">\?</span>', page.text)
    assert re.search(r'>Post</a></td><td class="num">\d+</td>', page.text)
    assert "may not read the table of Comment (permission denied)" in page.text


def test_a_record_page_shows_counts_the_role_may_not_read_as_unknown(
        pg_server: Callable[..., tuple[LiveServer, str]], pg_cluster: Cluster) -> None:
    """A record page counts the records of its Relations and those pointing at it: as a role
    that may not read Comment or the edge tables, Post p001's and Group g2's pages were the
    500 page 'permission denied for table ...'. Those counts are '?', the record is shown."""
    srv, url = pg_server(role="ql_record_reader")
    schema = schema_of(url)
    cluster_sql(pg_cluster, f'REVOKE SELECT ON {schema}."Comment", {schema}."_join:posts:Group" FROM ql_record_reader')
    unknown = '<span class="pill" title="permission denied">?</span>'
    for path, shown in (("Post/p001", f"Comment whose Pointer Owner points here</a> {unknown}"),
                        ("Group/g2", f'class="relation">View relation</a> {unknown}')):
        page = httpx.get(f"{srv.root}/browser/classes/{path}", params={"masterKey": "test-master"},
                         follow_redirects=True, timeout=30)
        assert page.status_code == 200 and shown in page.text, page.text
    assert re.search(r'class="relation">View relation</a> <span class="pill">\d+</span>', page.text)  # members


def test_the_browser_lists_the_classes_when_a_table_was_dropped_by_hand(
        pg_server: Callable[..., tuple[LiveServer, str]], pg_cluster: Cluster) -> None:
    """Found by dropping a class's table by hand under a running serve: the browser's list of
    classes, and the page of a record that class points at, were the 500 page 'relation
    "Comment" does not exist ...'. Its counts are '?' with the reason, as for a permission."""
    srv, url = pg_server()
    cluster_sql(pg_cluster, f'DROP TABLE {schema_of(url)}."Comment"')
    dropped = '<span title="table dropped or renamed outside querylang">?</span>'
    pages = {}
    for path in ("", "classes/Post/p001"):
        pages[path] = httpx.get(f"{srv.root}/browser/{path}", params={"masterKey": "test-master"},
                                follow_redirects=True, timeout=30)
        assert pages[path].status_code == 200, pages[path].text
    assert f'>Comment</a></td><td class="num">{dropped}</td>' in pages[""].text
    assert re.search(r'>Post</a></td><td class="num">\d+</td>', pages[""].text)
    assert "?: the table of Comment was dropped or renamed outside querylang (load the class again" in pages[""].text
    assert 'Comment whose Pointer Owner points here</a> <span class="pill" title="table dropped or renamed ' \
           'outside querylang">?</span>' in pages["classes/Post/p001"].text


def test_serve_answers_while_postgresql_is_down_and_recovers(sample_doc: dict) -> None:
    """PostgreSQL stopped under a running serve: each request (reads, writes, the browser) gets
    a clear error after the pool's wait, none hangs; once it is back, requests are answered
    again without restarting serve. A write was answered 400/107 (a bad request) while down."""
    cluster = Cluster("serve_down")
    srv = None
    try:
        srv = start(load_same(querylang.connect(cluster.url()), sample_doc), acl_field="acl")
        srv.db.store.pool.timeout = 2  # how long a request waits for a connection
        assert call(srv, "GET", "/classes/Note", params={"count": 1})[1]["count"] == 4
        cluster_sql(cluster, "CHECKPOINT")  # the test cluster commits without waiting for its WAL
        cluster.halt()
        requests = [
            ("GET", "/classes/Post/p001", False, {}),
            ("GET", "/classes/Note", False, {"params": {"count": 1}}),
            ("GET", "/classes/Note", True, {}),
            ("PUT", "/classes/Post/p001", True, {"json": {"title": "down"}}),
            ("POST", "/classes/Post", True, {"json": {"title": "down"}}),
            ("PUT", "/classes/Post/p001", True, {"json": {"score": {"__op": "Increment", "amount": 1}}}),
        ]
        for method, path, master, request_ in requests:
            began = time.monotonic()
            status, answer = call(srv, method, path, master, **request_)
            assert status == 500 and answer["code"] == 1 and "cannot reach the PostgreSQL server" in answer["error"], (
                method, path, answer)
            assert time.monotonic() - began < 15
        page = httpx.get(f"{srv.root}/browser/", params={"masterKey": "test-master"}, follow_redirects=True, timeout=30)
        assert page.status_code == 500 and "cannot reach the PostgreSQL server" in page.text
        cluster.start()
        back, answer = time.monotonic(), None
        while time.monotonic() - back < 20:
            with contextlib.suppress(httpx.HTTPError):
                status, answer = call(srv, "PUT", "/classes/Post/p001", True, json={"score": {"__op": "Increment", "amount": 1}})
                if status == 200:
                    break
        assert answer is not None and answer.get("score") == sample_score(sample_doc, "p001") + 1, answer
        assert call(srv, "GET", "/classes/Note", params={"count": 1})[1]["count"] == 4
        assert call(srv, "GET", "/classes/Post", params={"where": json.dumps({"title": "down"})})[1] == {"results": []}
    finally:
        if srv is not None:
            srv.stop()
            srv.db.close()
        cluster.stop()


def sample_score(doc: dict, oid: str) -> Any:
    return next(r["score"] for r in doc["records"]["Post"] if r["objectId"] == oid)


def test_the_js_sdk_gets_the_same_answers(pair: tuple[LiveServer, LiveServer]) -> None:
    """The Parse JS SDK's queries (tests/server/js/sdk_queries.js) answered alike on both engines."""
    from .components import run_node
    from .live import APP_ID, MASTER_KEY
    from .test_js_sdk import JS

    duck, pg = (run_node(JS / "sdk_queries.js", s.url, APP_ID, MASTER_KEY) for s in pair)
    assert pg == duck


def test_the_js_sdk_writes_alike(fresh_pair: tuple[LiveServer, LiveServer]) -> None:
    from .components import run_node
    from .live import APP_ID, MASTER_KEY
    from .test_js_sdk import JS

    duck, pg = (run_node(JS / "sdk_writes.js", s.url, APP_ID, MASTER_KEY) for s in fresh_pair)
    created = {"created", "createdAt", "batch"}  # the objectIds and times the servers gave
    assert {k: v for k, v in pg.items() if k not in created} == {k: v for k, v in duck.items() if k not in created}
    assert len(pg["batch"]) == len(duck["batch"])


def test_the_master_keys_read_of_a_class_another_process_just_added_finds_its_records(
    pg_server: Callable[..., tuple[LiveServer, str]],
) -> None:
    """The master key's find in a class that is not there answers no records (as Parse Server
    9): one another process added since this server read the schema is no such class, and its
    records are found, by a find, a count and a get alike."""
    srv, url = pg_server()
    assert call(srv, "GET", "/classes/Late", master=True) == (200, {"results": []})  # the schema is read
    other = querylang.connect(url)
    try:
        other.load({"classes": {"Late": {"fields": {"title": {"type": "String"}}}},
                    "records": {"Late": [{"objectId": "l1", "title": "late"}]}})
        time.sleep(ABSENT_FOR)  # as long as serve takes a class it found missing as missing
        status, answer = call(srv, "GET", "/classes/Late", master=True, params={"count": 1})
        assert (status, [r["title"] for r in answer["results"]], answer["count"]) == (200, ["late"], 1), answer
        status, answer = call(srv, "GET", "/classes/Late/l1", master=True)
        assert (status, answer["title"]) == (200, "late"), answer
    finally:
        other.close()


@pytest.mark.parametrize("path", ["/classes/Comment/c001", "/classes/Comment?where=%7B%22objectId%22%3A%22c001%22%7D"])
def test_a_class_that_just_gained_its_acls_in_another_process_hides_its_records_at_once(
        pg_server: Callable[..., tuple[LiveServer, str]], path: str) -> None:
    """A client's read decided the class had no ACLs with the schema it knew, and the notice of
    the new field came with the read's own rows: the first read after another process gave the
    class its ACL field and a record an ACL no client may read showed that record, ACL and all."""
    srv, url = pg_server()
    assert call(srv, "GET", "/classes/Comment/c001")[0] == 200  # public: the class has no ACLs yet
    other = querylang.connect(url)
    try:
        other.add_field("Comment", "acl", "Object")
        other.update("Comment", "c001", lambda _: querylang.Change({"acl": {"u001": {"read": True}}}))
        status, answer = call(srv, "GET", path)
        if "where" in path:
            assert (status, answer) == (200, {"results": []}), answer
        else:
            assert status == 404, answer
    finally:
        other.close()


def test_requests_to_a_class_that_is_not_there_read_the_stored_schema_once_in_a_while(
    pg_server: Callable[..., tuple[LiveServer, str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each request to a class that is not there read the stored schema again (another process
    may have just added it): a client asking for it over and over cost a query each time. A
    class found missing is now taken as missing for ABSENT_FOR, but for a change this process
    makes to the schema, seen at once."""
    srv, url = pg_server()
    reads = []
    store = srv.db.store
    monkeypatch.setattr(store, "refresh_schema", lambda *a, **kw: reads.append(1) or type(store).refresh_schema(store, *a, **kw))

    def ask(cls: str) -> None:
        sub = json.dumps({"author": {"$inQuery": {"className": cls, "where": {}}}})
        assert call(srv, "GET", f"/classes/{cls}", master=True) == (200, {"results": []})
        assert call(srv, "GET", f"/classes/{cls}") == (400, {"code": 119, "error": "Permission denied"})
        assert call(srv, "GET", "/classes/Post", params={"where": sub}) == (400, {"code": 119, "error": "Permission denied"})
        assert call(srv, "DELETE", f"/classes/{cls}/x1", master=True) == (200, {})
        assert call(srv, "PUT", f"/classes/{cls}/x1", master=True, json={"title": "t"})[0] == 404

    monkeypatch.setattr(class_access, "ABSENT_FOR", 600.0)  # (the test's own pace does not matter)
    ask("Nope")
    ask("Nope")
    assert len(reads) == 1 + 2 * 2  # the first find; the master key's delete and update each time
    srv.db.load({"classes": {"Nope": {"fields": {"title": {"type": "String"}}}},
                 "records": {"Nope": [{"objectId": "x1", "title": "here"}]}})
    status, answer = call(srv, "GET", "/classes/Nope", master=True)
    assert (status, [r["title"] for r in answer["results"]]) == (200, ["here"]), answer
    assert call(srv, "DELETE", "/classes/Nope/x1", master=True) == (200, {})
    assert call(srv, "GET", "/classes/Nope/x1", master=True)[0] == 404
    monkeypatch.setattr(class_access, "ABSENT_FOR", 0.0)  # no memory: every request reads it
    reads.clear()
    ask("Gone")
    assert len(reads) == 5


def test_the_master_keys_writes_in_a_class_another_process_just_made_are_done(
    pg_server: Callable[..., tuple[LiveServer, str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by review: a class found missing was taken as missing for ABSENT_FOR by writes too,
    so the master key's delete of a record in a class another process had just made answered
    {} and deleted nothing, its update 101 with the record there, and its create 103 "unknown
    class". Its writes read the stored schema again (a read may still find no records for that
    while)."""
    srv, url = pg_server()
    monkeypatch.setattr(class_access, "ABSENT_FOR", 600.0)
    assert call(srv, "GET", "/classes/Later", master=True) == (200, {"results": []})  # found missing
    other = querylang.connect(url)
    try:
        other.load({"classes": {"Later": {"fields": {"title": {"type": "String"}}}}, "records": {}})
        assert call(srv, "POST", "/classes/Later", master=True, json={"title": "new"})[0] == 201
        assert [r["title"] for r in other.find("Later").records] == ["new"]
    finally:
        other.close()
    srv, url = pg_server()  # a server whose create has not just read the stored schema
    assert call(srv, "GET", "/classes/Late", master=True) == (200, {"results": []})
    other = querylang.connect(url)
    try:
        other.load({"classes": {"Late": {"fields": {"title": {"type": "String"}}}},
                    "records": {"Late": [{"objectId": "l1", "title": "late"}, {"objectId": "l2", "title": "later"}]}})
        assert call(srv, "PUT", "/classes/Late/l2", master=True, json={"title": "now"})[0] == 200
        assert call(srv, "DELETE", "/classes/Late/l1", master=True) == (200, {})
        assert [r["title"] for r in other.find("Late").records] == ["now"]
    finally:
        other.close()


def test_the_browsers_pages_of_a_class_that_is_not_there_read_the_stored_schema_once_in_a_while(
    pg_server: Callable[..., tuple[LiveServer, str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by review: each browser page of a class that is not there (its records, a record,
    a relation) read the stored schema again, where the API takes a class found missing as
    missing for ABSENT_FOR: a page reloaded over and over cost a query each time. The browser
    now shares the API's memory; a class another process makes is shown once it has passed."""
    srv, url = pg_server()
    reads = []
    store = srv.db.store
    monkeypatch.setattr(store, "refresh_schema", lambda *a, **kw: reads.append(1) or type(store).refresh_schema(store, *a, **kw))
    monkeypatch.setattr(class_access, "ABSENT_FOR", 600.0)
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        client.get(f"{srv.root}/browser/", params={"masterKey": "test-master"})  # signed in
        reads.clear()

        def missing(path: str) -> None:
            page = client.get(f"{srv.root}/browser/classes/{path}")
            assert page.status_code == 404 and "Nope" in page.text, page.text

        for path in ("Nope", "Nope/x1", "Nope/x1/relation/fans", "Nope", "Nope/x1"):
            missing(path)
        assert len(reads) == 1  # the first page's
        assert call(srv, "GET", "/classes/Nope", master=True) == (200, {"results": []})  # the API's memory too
        assert len(reads) == 1
        other = querylang.connect(url)
        try:
            other.load({"classes": {"Nope": {"fields": {"title": {"type": "String"}}}},
                        "records": {"Nope": [{"objectId": "x1", "title": "here"}]}})
        finally:
            other.close()
        missing("Nope")  # within ABSENT_FOR: still missing, no read
        assert len(reads) == 1
        monkeypatch.setattr(class_access, "ABSENT_FOR", 0.0)
        page = client.get(f"{srv.root}/browser/classes/Nope")
        assert page.status_code == 200 and "here" in page.text, page.text

"""The Parse REST API over HTTP on loopback: reads equal db.query, Parse's shapes and errors."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

import querylang

from .conftest import headers
from .live import APP_ID, MASTER_KEY, LiveServer, start


def ptr(cls: str, oid: str) -> dict:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def find(client: httpx.Client, srv: LiveServer, cls: str, master: bool = False, **params: object) -> httpx.Response:
    q = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return client.get(f"{srv.url}/classes/{cls}", params=q, headers=headers(master))


# --- reads ------------------------------------------------------------------------------------

READS = [
    # (class, where, order, script for db.query, inputs)
    ("Comment", {"Owner": ptr("Post", "p015")}, "-createdAt",
     "where({ Owner: { pointsTo: Inputs.P } }); sort(['-createdAt'])", {"P": "p015"}),
    ("Post", {"score": {"$gt": 10}, "tags": {"$in": ["ui", "db"]}}, "-score,title",
     "where({ score: { greaterThan: 10 }, tags: { containedIn: ['ui', 'db'] } }); sort(['-score', 'title'])", {}),
    ("Post", {"$relatedTo": {"object": ptr("Group", "g2"), "key": "posts"}}, "objectId",
     "where({ relatedTo: { id: 'g2', key: 'posts' } }); sort(['objectId'])", {}),
    ("Comment", {"Owner": {"$inQuery": {"className": "Post", "where": {"score": {"$gte": 12}}}}}, "objectId",
     "where({ Owner: { matchesQuery: { score: { greaterThanOrEqualTo: 12 } } } }); sort(['objectId'])", {}),
    ("User", {"name": {"$regex": "^a", "$options": "i"}}, "objectId",
     "where({ name: { matchesRegex: '^a', options: 'i' } }); sort(['objectId'])", {}),
]


@pytest.mark.parametrize(("cls", "where", "order", "script", "inputs"), READS)
def test_find_equals_db_query(shared: LiveServer, client: httpx.Client, cls, where, order, script, inputs) -> None:
    want = shared.db.query(cls, script, inputs=inputs, limit=1000, count=True)
    r = find(client, shared, cls, where=where, order=order, limit=1000, count=1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [x["objectId"] for x in body["results"]] == want.ids
    assert body["count"] == want.count


def test_post_method_get_is_a_find(shared: LiveServer, client: httpx.Client) -> None:
    """How the JS SDK and Noodl send long queries: POST with _method GET, keys in the body."""
    body = {"_method": "GET", "_ApplicationId": APP_ID, "where": {"likes": {"$gte": 20}},
            "order": "objectId", "limit": 5, "skip": 2, "count": 1}
    r = client.post(f"{shared.url}/classes/Comment", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    want = shared.db.query("Comment", {"likes": {"greaterThanOrEqualTo": 20}}, sort=["objectId"], limit=5, skip=2, count=True)
    assert r.status_code == 200, r.text
    assert [x["objectId"] for x in r.json()["results"]] == want.ids and r.json()["count"] == want.count


def test_head_is_answered_as_get_without_a_body(shared: LiveServer, client: httpx.Client) -> None:
    """Found by review: HEAD /classes/X was 404 "this server does not serve HEAD"; Parse
    Server (Express) answers HEAD as the GET, headers and status without the body."""
    get = client.get(f"{shared.url}/classes/Comment/c001", headers=headers())
    head = client.head(f"{shared.url}/classes/Comment/c001", headers=headers())
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == get.headers["content-type"]
    assert client.head(f"{shared.url}/classes/Comment/nope", headers=headers()).status_code == 404


def test_patch_answers_in_parses_form(shared: LiveServer, client: httpx.Client) -> None:
    """Found by review: PATCH /classes/X answered Starlette's plain-text 405 without the CORS
    headers, so a browser app saw a CORS failure instead of the error."""
    r = client.request("PATCH", f"{shared.url}/classes/Comment/c001", headers=headers())
    assert r.status_code == 404
    assert r.json() == {"code": 108, "error": "this server does not serve PATCH /classes/Comment/c001"}
    assert r.headers["access-control-allow-origin"] == "*"


def test_default_limit_is_100(shared: LiveServer, client: httpx.Client) -> None:
    assert len(find(client, shared, "Comment").json()["results"]) == 100


def test_record_shapes(shared: LiveServer, client: httpx.Client) -> None:
    c = client.get(f"{shared.url}/classes/Comment/c001", params={"include": "Owner"}, headers=headers()).json()
    assert c["author"] == ptr("User", "u02")
    assert c["Owner"]["__type"] == "Object" and c["Owner"]["className"] == "Post" and c["Owner"]["objectId"] == "p008"
    assert c["Owner"]["author"]["__type"] == "Pointer"  # an included record is rendered by its class's rules
    assert isinstance(c["createdAt"], str)
    p = client.get(f"{shared.url}/classes/Post/p015", headers=headers()).json()
    assert p["location"]["__type"] == "GeoPoint"
    g = client.get(f"{shared.url}/classes/Group/g1", headers=headers()).json()
    assert g["posts"] == {"__type": "Relation", "className": "Post"}
    dated = find(client, shared, "Post", where={"publishedAt": {"$exists": True}}, limit=1).json()["results"][0]
    assert dated["publishedAt"]["__type"] == "Date" and dated["publishedAt"]["iso"].endswith("Z")


def test_keys_exclude_keys_count_only(shared: LiveServer, client: httpx.Client) -> None:
    r = find(client, shared, "Post", keys="title", order="objectId", limit=2).json()["results"]
    assert set(r[0]) == {"objectId", "createdAt", "updatedAt", "title"}
    r = find(client, shared, "Post", excludeKeys="body,tags", order="objectId", limit=1).json()["results"]
    assert "body" not in r[0] and "tags" not in r[0] and "title" in r[0]
    r = find(client, shared, "Comment", limit=0, count=1).json()
    assert r == {"results": [], "count": shared.db.count("Comment")}
    r = find(client, shared, "Comment", where={"objectId": "c001"}, includeAll=True).json()["results"][0]
    assert r["Owner"]["__type"] == "Object" and r["author"]["__type"] == "Object"


def test_exclude_keys_as_parse_server_9_answers(shared: LiveServer, client: httpx.Client) -> None:
    """excludeKeys never drops objectId, createdAt, updatedAt or ACL; a dotted one embeds the
    record it reaches into (as a dotted key does) and drops the key there; a key both selected
    and excluded is not selected. Each answer here is Parse Server 9.10's (RestQuery.js), asked
    the same over its REST API; querylang dropped the dates and ignored dotted keys."""
    def one(**params: object) -> dict:
        r = find(client, shared, "Comment", where={"objectId": "c001"}, **params)
        assert r.status_code == 200, r.text
        return r.json()["results"][0]

    always = {"objectId", "createdAt", "updatedAt"}
    full = one()
    assert set(one(excludeKeys="createdAt,updatedAt,ACL,objectId,text")) == set(full) - {"text"}
    owner = one(excludeKeys="Owner.title")["Owner"]
    assert owner["__type"] == "Object" and "title" not in owner and "body" in owner
    author = one(excludeKeys="Owner.author.name")["Owner"]["author"]
    assert author["__type"] == "Object" and "name" not in author and "age" in author
    assert set(one(keys="text,likes", excludeKeys="text")) == always | {"likes"}
    assert set(one(keys="text", excludeKeys="text")) == always
    assert set(one(keys="Owner.title", excludeKeys="Owner.title")) == always
    assert one(excludeKeys="text.x,nope.x,Owner.nope") == {**full, "Owner": one(include="Owner")["Owner"]}
    got = client.get(f"{shared.url}/classes/Comment/c001", params={"excludeKeys": "Owner.title"}, headers=headers())
    assert "title" not in got.json()["Owner"] and got.json()["Owner"]["__type"] == "Object"
    # The record a dotted excludeKeys embeds is hidden from a client its ACL does not let read.
    hidden = find(client, shared, "Note", where={"objectId": "n6"}, excludeKeys="about.title").json()["results"][0]
    assert hidden == find(client, shared, "Note", where={"objectId": "n6"}, include="about").json()["results"][0]
    assert "about" not in hidden


def test_exclude_keys_keep_the_acl_of_an_included_record_as_parse_does(shared: LiveServer, client: httpx.Client) -> None:
    """excludeKeys=about.ACL embeds the record at about and keeps its ACL: Parse Server 9's
    RestQuery hands the included query excludeKeys=ACL, which it drops as one of its
    AlwaysSelectedKeys (objectId, createdAt, updatedAt, ACL), as it does at the top level."""
    def about(excluded: str) -> dict:
        r = find(client, shared, "Note", master=True, where={"objectId": "n6"}, excludeKeys=excluded)
        assert r.status_code == 200, r.text
        return r.json()["results"][0]["about"]

    full = find(client, shared, "Note", master=True, where={"objectId": "n6"}, include="about").json()["results"][0]
    assert about("about.ACL") == full["about"] and full["about"]["ACL"] == {"u1": {"read": True, "write": True}}
    assert about("about.objectId,about.createdAt,about.updatedAt") == full["about"]
    assert about("about.title,about.ACL") == {k: v for k, v in full["about"].items() if k != "title"}


def test_empty_keys_select_only_the_keys_always_there(shared: LiveServer, client: httpx.Client) -> None:
    """keys= naming nothing: Parse Server 9 answers only objectId, createdAt, updatedAt (and ACL)."""
    always = {"objectId", "createdAt", "updatedAt"}
    r = find(client, shared, "Post", keys="", order="objectId", limit=2).json()["results"]
    assert [set(x) for x in r] == [always] * 2
    got = client.get(f"{shared.url}/classes/Post/{r[0]['objectId']}", params={"keys": ""}, headers=headers()).json()
    assert set(got) == always
    assert set(find(client, shared, "Note", keys="", where={"objectId": "n2"}).json()["results"][0]) == always | {"ACL"}


def test_key_lists_given_as_arrays_read_as_parse_reads_them(shared: LiveServer, client: httpx.Client) -> None:
    """Found by probing keys with JSON arrays: each item was Python's str(), so keys=[null, "title"]
    was refused with "cannot select 'None'" and [["title", "score"]] with "cannot select
    "['title', 'score']"", where Parse reads the array through JavaScript's String(): ",title"
    and "title,score" (null is empty in a join, a nested array joins with commas)."""
    always = {"objectId", "createdAt", "updatedAt"}
    one = {"where": {"objectId": "p001"}}
    r = find(client, shared, "Post", keys=[None, "title"], **one)
    assert r.status_code == 200, r.text
    assert set(r.json()["results"][0]) == always | {"title"}
    r = find(client, shared, "Post", keys=[["title", "score"]], **one)
    assert set(r.json()["results"][0]) == always | {"title", "score"}, r.text
    r = find(client, shared, "Post", keys=[True], **one)
    assert r.status_code == 400 and "'true'" in r.json()["error"], r.text
    r = find(client, shared, "Post", include=[["author"]], excludeKeys=[None], **one)
    assert r.status_code == 200 and r.json()["results"][0]["author"]["__type"] == "Object", r.text


def test_keys_naming_acl_select_it_whatever_field_holds_it(shared: LiveServer, client: httpx.Client) -> None:
    """Found by probing keys with the JS SDK's select('ACL'): keys=ACL was 105 "class Note has no
    field 'ACL'" where the ACLs are in --acl-field acl, and on classes without ACLs, though every
    answer names the ACL 'ACL' and Parse always selects it (AlwaysSelectedKeys), dotted too."""
    always = {"objectId", "createdAt", "updatedAt"}
    for master in (True, False):
        r = find(client, shared, "Note", master=master, keys="title,ACL", where={"objectId": "n2"})
        assert r.status_code == 200, r.text
        assert r.json()["results"][0] == {**{k: r.json()["results"][0][k] for k in always},
                                          "title": "public read", "ACL": {"*": {"read": True}}}
    r = find(client, shared, "Note", master=True, keys="about.ACL", where={"objectId": "n6"})
    assert r.status_code == 200, r.text
    about = r.json()["results"][0]["about"]
    assert set(about) == always | {"__type", "className", "ACL"} and about["ACL"] == {"u1": {"read": True, "write": True}}
    r = find(client, shared, "Comment", keys="ACL,author.ACL", where={"objectId": "c001"})  # no class here has ACLs
    assert r.status_code == 200, r.text
    got = r.json()["results"][0]
    assert set(got) == always | {"author"} and set(got["author"]) == always | {"__type", "className"}
    r = client.get(f"{shared.url}/classes/Note/n2", params={"keys": "ACL"}, headers=headers())
    assert r.status_code == 200 and set(r.json()) == always | {"ACL"}, r.text


def test_schemas_and_health(shared: LiveServer, client: httpx.Client) -> None:
    all_ = client.get(f"{shared.url}/schemas", headers=headers(master=True)).json()["results"]
    assert {s["className"] for s in all_} >= {"User", "Post", "Comment", "Group"}
    g = client.get(f"{shared.url}/schemas/Group", headers=headers(master=True)).json()
    assert g["fields"]["posts"] == {"type": "Relation", "targetClass": "Post"}
    assert g["fields"]["objectId"] == {"type": "String"}
    r = client.get(f"{shared.url}/schemas/Nope", headers=headers(master=True))
    assert (r.status_code, r.json()["code"]) == (400, 103)
    r = client.get(f"{shared.url}/schemas", headers=headers())
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})
    assert client.get(f"{shared.url}/health").json() == {"status": "ok"}
    # Without keys in any case, as Parse's router reads its routes (/Health was 403 "unauthorized").
    assert client.get(f"{shared.url}/Health").json() == client.get(f"{shared.url}/HEALTH/").json() == {"status": "ok"}


# --- errors (Parse's codes and statuses) --------------------------------------------------------

ERRORS = [
    # (what, request kwargs, status, code)
    ("bad where JSON", {"params": {"where": "{nope"}}, 400, 107),
    ("unknown field", {"params": {"where": json.dumps({"scroe": 3})}}, 400, 105),
    ("wrong type", {"params": {"where": json.dumps({"score": {"$gt": "3"}})}}, 400, 111),
    ("unknown operator", {"params": {"where": json.dumps({"score": {"$gtt": 3}})}}, 400, 102),
    ("unknown parameter", {"params": {"limt": "3"}}, 400, 102),
    ("query on ACL", {"params": {"where": json.dumps({"ACL": 1})}}, 400, 102),
    ("sort by unknown", {"params": {"order": "nope"}}, 400, 105),
    # A value inside brackets is text (docs/serve.md, "The query string"): never a Number's.
    ("bracketed where value on a Number", {"params": {"where[score]": "3"}}, 400, 111),
]


@pytest.mark.parametrize(("what", "kw", "status", "code"), ERRORS, ids=[e[0] for e in ERRORS])
def test_query_errors(shared: LiveServer, client: httpx.Client, what, kw, status, code) -> None:
    r = client.get(f"{shared.url}/classes/Post", headers=headers(), **kw)
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "error"} and body["code"] == code


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_an_object_id_holding_nul_is_not_found(shared: LiveServer, client: httpx.Client, method: str) -> None:
    """GET answered 107 ('a string holds a NUL character') where PUT and DELETE on the same
    path answered 101: no record can have such an id, so each is not found."""
    r = client.request(method, f"{shared.url}/classes/Post/p0%00x", headers=headers(master=True),
                       json={} if method == "PUT" else None)
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})


def test_bad_bodies(fresh: LiveServer, client: httpx.Client) -> None:
    before = fresh.db.count("Post")
    url = f"{fresh.url}/classes/Post"
    h = headers(master=True)
    deep: object = "x"
    for _ in range(200):
        deep = {"a": deep}
    r = client.post(url, content=json.dumps({"meta": deep}), headers=h)
    assert (r.status_code, r.json()["code"]) == (400, 107)
    r = client.post(url, content=b"[" * 5000 + b"]" * 5000, headers=h)
    assert (r.status_code, r.json()["code"]) == (400, 107)
    assert fresh.db.count("Post") == before


NOT_JSON = [
    # (body, Parse Server 9's answer: its JSON body parser's, JavaScript's words)
    (b'{"title": ', "Unexpected end of JSON input"),
    (b" \t\r\n", "Unexpected end of JSON input"),
    (b"not json", "Unexpected token 'n', \"not json\" is not valid JSON"),
    (b"5", "Unexpected token '5', \"5\" is not valid JSON"),
    (b"null", "Unexpected token 'n', \"null\" is not valid JSON"),
    (b"abcdefghijklmnopqrstu", "Unexpected token 'a', \"abcdefghij\"... is not valid JSON"),
    (b" " * 15 + b"xabcdefghijklmnopqrstuvwxyz", "Unexpected token 'x', ...\"          xabcdefghi\"... is not valid JSON"),
    (b" " * 11 + b"abcdefghij", "Unexpected token 'a', ...\"          abcdefghij\" is not valid JSON"),
    ("héllo wörld".encode(), "Unexpected token 'h', \"héllo wörld\" is not valid JSON"),
]


@pytest.mark.parametrize(("raw", "message"), NOT_JSON)
def test_a_body_that_is_not_json_is_400_without_a_code(shared: LiveServer, client: httpx.Client, raw: bytes, message: str) -> None:
    """Found by sending the same bodies to Parse Server 9: a body that is not JSON answered
    107 "Invalid JSON: ..." (a blank one was taken for {}), where Parse's JSON body parser
    answers 400 {"error": JavaScript's message}, with no code, before it reads the keys."""
    for hdrs in (headers(master=True), {}):
        r = client.post(f"{shared.url}/classes/Post", content=raw, headers=hdrs)
        assert (r.status_code, r.json()) == (400, {"error": message})
    r = client.post(f"{shared.url}/health", content=raw)  # Parse reads no body there
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


def test_oversized_body_is_413(sample_doc: dict, client: httpx.Client) -> None:
    from .conftest import make_db

    srv = start(make_db(sample_doc), max_body=10_000)
    try:
        r = client.post(f"{srv.url}/classes/Post", content=json.dumps({"title": "x" * 20_000}), headers=headers(master=True))
        # As Parse's body parser answers it: no code (it was 116 "... (the limit is 10000 bytes)").
        assert (r.status_code, r.json()) == (413, {"error": "request entity too large"})
        gz = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        r = client.post(f"{srv.url}/classes/Post", content=gzip.compress(json.dumps({"title": "x" * 20_000}).encode()),
                        headers=headers(master=True, **gz))  # inflated past the limit, however small sent
        assert (r.status_code, r.json()) == (413, {"error": "request entity too large"})
        assert srv.db.count("Post", {"title": {"equalTo": "x" * 20_000}}) == 0
    finally:
        srv.stop()


# --- keys and ACLs ------------------------------------------------------------------------------


def test_acl_hides_records_without_master(shared: LiveServer, client: httpx.Client) -> None:
    pub = find(client, shared, "Note", order="rank", count=1).json()
    assert [r["objectId"] for r in pub["results"]] == ["n1", "n2", "n4", "n6"] and pub["count"] == 4
    assert pub["results"][1]["ACL"] == {"*": {"read": True}}  # rendered under Parse's name
    master = find(client, shared, "Note", master=True, order="rank", count=1).json()
    assert master["count"] == 6
    page = find(client, shared, "Note", order="rank", skip=1, limit=2, count=1).json()
    assert [r["objectId"] for r in page["results"]] == ["n2", "n4"] and page["count"] == 4
    r = client.get(f"{shared.url}/classes/Note/n3", headers=headers())
    assert (r.status_code, r.json()["code"]) == (404, 101)
    assert client.get(f"{shared.url}/classes/Note/n3", headers=headers(master=True)).status_code == 200
    # an included record the client may not read is left out, key and all (as Parse does)
    n6 = client.get(f"{shared.url}/classes/Note/n6", params={"include": "about"}, headers=headers()).json()
    assert n6["title"] == "points at private" and "about" not in n6
    n6 = client.get(f"{shared.url}/classes/Note/n6", params={"include": "about"}, headers=headers(master=True)).json()
    assert n6["about"]["__type"] == "Object" and n6["about"]["objectId"] == "n3"


def test_writes_need_the_master_key(fresh: LiveServer, client: httpx.Client) -> None:
    """Without --allow-client-writes, /schemas shows create, update and delete denied to
    clients; a client's write was 403 {"error": "unauthorized: master key is required"}, no
    code, where Parse Server answers a write its class-level permissions deny 400 with code 119
    (found by sending both the same writes), in a batch too."""
    before = fresh.db.count("Post")
    for method, path, body, action in [("POST", "/classes/Post", {"title": "x"}, "create"),
                                       ("PUT", "/classes/Post/p001", {"title": "x"}, "update"),
                                       ("DELETE", "/classes/Post/p001", None, "delete")]:
        denied = {"code": 119, "error": f"Permission denied for action {action} on class Post."}
        r = client.request(method, fresh.url + path, json=body, headers=headers())
        assert (r.status_code, r.json()) == (400, denied)
        r = client.post(fresh.url + "/batch", json={"requests": [{"method": method, "path": "/parse" + path, "body": body or {}}]},
                        headers=headers())
        assert (r.status_code, r.json()) == (200, [{"error": denied}])
    assert fresh.db.count("Post") == before
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0]["title"] != "x"


def test_rest_key_and_client_writes(sample_doc: dict, client: httpx.Client) -> None:
    from .conftest import make_db
    from .live import REST_KEY

    srv = start(make_db(sample_doc), rest_key=REST_KEY, allow_client_writes=True, acl_field="acl")
    try:
        url = f"{srv.url}/classes/Note"
        assert client.get(url, headers=headers()).status_code == 403
        assert client.get(url, headers=headers(**{"X-Parse-REST-API-Key": "nope"})).status_code == 403
        rk = headers(**{"X-Parse-REST-API-Key": REST_KEY})
        assert client.get(url, headers=rk).status_code == 200
        r = client.post(url, json={"title": "by client", "ACL": {"*": {"read": True}}}, headers=rk)
        assert r.status_code == 201, r.text
        assert srv.db.find("Note", {"objectId": r.json()["objectId"]}).records[0]["acl"] == {"*": {"read": True}}
        # n2 is public read but not public write: a client cannot change or delete it
        r = client.put(f"{url}/n2", json={"title": "hacked"}, headers=rk)
        assert (r.status_code, r.json()["code"]) == (404, 101)
        assert client.delete(f"{url}/n2", headers=rk).status_code == 404
        assert client.put(f"{url}/n4", json={"title": "ok"}, headers=rk).status_code == 200
        assert srv.db.find("Note", {"objectId": "n2"}).records[0]["title"] == "public read"
        r = client.post(url, json={"title": "x", "ACL": {"*": {"read": "yes"}}}, headers=rk)
        assert (r.status_code, r.json()["code"]) == (400, 123)
    finally:
        srv.stop()


# --- writes -------------------------------------------------------------------------------------


def test_create_update_delete(fresh: LiveServer, client: httpx.Client) -> None:
    h = headers(master=True)
    url = f"{fresh.url}/classes/Post"
    r = client.post(url, json={"title": "new", "score": 1, "tags": ["a"], "author": ptr("User", "u01"),
                               "publishedAt": {"__type": "Date", "iso": "2025-01-02T03:04:05.000Z"}}, headers=h)
    assert r.status_code == 201 and set(r.json()) == {"objectId", "createdAt"}
    oid = r.json()["objectId"]
    assert r.headers["location"] == f"{url}/{oid}"
    r = client.put(f"{url}/{oid}", json={"score": {"__op": "Increment", "amount": 4},
                                         "tags": {"__op": "AddUnique", "objects": ["a", "b"]},
                                         "title": {"__op": "Delete"}}, headers=h)
    assert r.status_code == 200 and r.json()["score"] == 5 and r.json()["tags"] == ["a", "b"]
    client.put(f"{url}/{oid}", json={"tags": {"__op": "Add", "objects": ["a"]}}, headers=h)
    client.put(f"{url}/{oid}", json={"tags": {"__op": "Remove", "objects": ["b"]}}, headers=h)
    rec = fresh.db.find("Post", {"objectId": oid}).records[0]
    assert rec["score"] == 5 and rec["tags"] == ["a", "a"] and rec.get("title") is None
    assert rec["author"] == "u01" and rec["publishedAt"] == "2025-01-02T03:04:05.000Z"
    g = f"{fresh.url}/classes/Group/g1"
    r = client.put(g, json={"posts": {"__op": "AddRelation", "objects": [ptr("Post", oid)]}}, headers=h)
    assert r.status_code == 200
    assert oid in fresh.db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } })").ids
    client.put(g, json={"posts": {"__op": "RemoveRelation", "objects": [ptr("Post", oid)]}}, headers=h)
    assert oid not in fresh.db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } })").ids
    assert client.delete(f"{url}/{oid}", headers=h).json() == {}
    assert client.get(f"{url}/{oid}", headers=h).status_code == 404


def test_bad_write_changes_nothing(fresh: LiveServer, client: httpx.Client) -> None:
    h = headers(master=True)
    before = fresh.db.find("Post", {"objectId": "p001"}).records[0]
    edges = fresh.db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } })").ids
    bad = [
        ({"score": "high"}, 111),                               # wrong type
        ({"scroe": 3}, 105),                                     # unknown field
        ({"title": "ok", "author": ptr("Post", "p002")}, 111),  # pointer to the wrong class
        ({"title": "ok", "score": {"__op": "Increment", "amount": "1"}}, 107),
        ({"title": "ok", "posts": 3}, 105),                      # Post has no posts field
        ({"createdAt": "2020-01-01T00:00:00.000Z"}, 111),     # a server date that is no Date
    ]
    for body, code in bad:
        r = client.put(f"{fresh.url}/classes/Post/p001", json=body, headers=h)
        assert (r.status_code, r.json()["code"]) == (400, code), (body, r.text)
    r = client.put(f"{fresh.url}/classes/Group/g1", json={
        "name": "renamed", "posts": {"__op": "AddRelation", "objects": [ptr("User", "u01")]}}, headers=h)
    assert (r.status_code, r.json()["code"]) == (400, 111)
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0] == before
    assert fresh.db.find("Group", {"objectId": "g1"}).records[0]["name"] != "renamed"
    assert fresh.db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } })").ids == edges


def test_batch(fresh: LiveServer, client: httpx.Client) -> None:
    reqs = [
        {"method": "POST", "path": "/parse/classes/User", "body": {"name": "Zed", "age": 30}},
        {"method": "PUT", "path": "/parse/classes/User/u01", "body": {"age": {"__op": "Increment", "amount": 1}}},
        {"method": "PUT", "path": "/parse/classes/User/nope", "body": {"age": 1}},
        {"method": "DELETE", "path": "/parse/classes/Comment/c001"},
        {"method": "GET", "path": "/parse/classes/User", "body": {"where": {"name": "Zed"}}},
    ]
    age = fresh.db.find("User", {"objectId": "u01"}).records[0]["age"]
    r = client.post(f"{fresh.url}/batch", json={"requests": reqs}, headers=headers(master=True))
    assert r.status_code == 200, r.text
    out = r.json()
    assert "objectId" in out[0]["success"] and out[1]["success"]["age"] == age + 1
    assert out[2] == {"error": {"code": 101, "error": "Object not found."}}
    assert out[3] == {"success": {}} and out[4]["success"]["results"][0]["name"] == "Zed"
    assert fresh.db.count("Comment", {"objectId": "c001"}) == 0
    r = client.post(f"{fresh.url}/batch", json={"requests": [{"method": "GET", "path": "/elsewhere"}]}, headers=headers(master=True))
    assert (r.status_code, r.json()["code"]) == (400, 107)


# --- Noodl's Query Records node ---------------------------------------------------------------


def test_noodl_query_records_request(shared: LiveServer, client: httpx.Client) -> None:
    """The request Noodl's cloudstore.query sends (noodl-runtime/src/api/cloudstore.js): a POST
    to /classes/<Class> with JSON {_method: 'GET', where, limit, skip, order, count} (undefined
    options dropped by JSON.stringify), X-Parse-Application-Id and Content-Type headers; the
    where is what Noodl makes of the filter script."""
    script = "where({ Owner: { pointsTo: Inputs.PostId }, likes: { greaterThan: Inputs.Min } })\nsort(['-createdAt'])"
    inputs = {"PostId": "p015", "Min": 5}
    where = querylang.to_parse_where(script, inputs, shared.db.schema, class_name="Comment")
    content = {"_method": "GET", "where": where, "limit": 10, "skip": 0, "order": "-createdAt", "count": True}
    r = client.post(f"{shared.url}/classes/Comment", content=json.dumps(content),
                    headers={"X-Parse-Application-Id": APP_ID, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    want = shared.db.query("Comment", script, inputs=inputs, limit=10, skip=0, count=True)
    assert [x["objectId"] for x in r.json()["results"]] == want.ids and r.json()["count"] == want.count
    assert want.ids  # the case is not vacuous
    # Noodl's cloud runtime also sends the master key header
    r = client.post(f"{shared.url}/classes/Comment", content=json.dumps(content),
                    headers={"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY, "Content-Type": "application/json"})
    assert [x["objectId"] for x in r.json()["results"]] == want.ids


def test_duplicate_object_id_and_unknown_route(fresh: LiveServer, client: httpx.Client) -> None:
    r = client.post(f"{fresh.url}/classes/Post", json={"objectId": "p001", "title": "again"}, headers=headers(master=True))
    assert (r.status_code, r.json()["code"]) == (400, 137)
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0]["title"] != "again"
    r = client.get(f"{fresh.url}/functions/hello", headers=headers())
    assert r.status_code == 404 and r.json()["code"] == 108


def test_noodl_query_records_without_limit_or_count(shared: LiveServer, client: httpx.Client) -> None:
    """With "Use limit" and "Fetch total count" off, the node (dbcollectionnode2.js) sends no
    limit or skip, ``count: false`` and, for ``sort([])``, ``order: ''``: Parse's 100 records."""
    where = querylang.to_parse_where("where({ likes: { greaterThanOrEqualTo: 0 } })\nsort([])", {},
                                     shared.db.schema, class_name="Comment")
    content = {"_method": "GET", "where": where, "order": "", "count": False}
    r = client.post(f"{shared.url}/classes/Comment", content=json.dumps(content),
                    headers={"X-Parse-Application-Id": APP_ID, "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert "count" not in r.json()
    assert [x["objectId"] for x in r.json()["results"]] == shared.db.query(
        "Comment", {"likes": {"greaterThanOrEqualTo": 0}}, limit=100).ids


def test_acl_on_a_class_without_an_acl_field(fresh: LiveServer, client: httpx.Client) -> None:
    before = fresh.db.count("Post")
    r = client.post(f"{fresh.url}/classes/Post", json={"title": "x", "ACL": {"*": {"read": True}}}, headers=headers(master=True))
    assert (r.status_code, r.json()["code"]) == (400, 119)
    assert fresh.db.count("Post") == before


# --- relations, array operations, batch paths, objectIds with '/' --------------------------------


def test_redirect_class_name_for_key(shared: LiveServer, client: httpx.Client) -> None:
    """What the JS SDK sends for relation.query() when it does not know the target class."""
    related = {"$relatedTo": {"object": ptr("Group", "g1"), "key": "posts"}}
    r = find(client, shared, "Group", where=related, redirectClassNameForKey="posts", order="objectId")
    assert r.status_code == 200, r.text
    want = shared.db.query("Post", "where({ relatedTo: { id: 'g1', key: 'posts' } }); sort(['objectId'])").ids
    assert want and [x["objectId"] for x in r.json()["results"]] == want
    assert {x["className"] for x in r.json()["results"]} == {"Post"}
    # a key that is not a Relation field leaves the query on the class itself (as Parse does)
    groups = find(client, shared, "Group", redirectClassNameForKey="name", order="objectId").json()["results"]
    assert [g["objectId"] for g in groups] == shared.db.query("Group", sort=["objectId"]).ids
    assert {g["className"] for g in groups} == {"Group"}


def test_relation_markers_survive_keys(shared: LiveServer, client: httpx.Client) -> None:
    """Parse adds the Relation markers from the schema after its projection."""
    g = find(client, shared, "Group", keys="name", order="objectId", limit=1).json()["results"][0]
    assert set(g) == {"objectId", "createdAt", "updatedAt", "name", "posts", "members"}
    assert g["posts"] == {"__type": "Relation", "className": "Post"}
    assert g["members"] == {"__type": "Relation", "className": "User"}
    g = client.get(f"{shared.url}/classes/Group/g1", params={"keys": "name"}, headers=headers()).json()
    assert g["posts"] == {"__type": "Relation", "className": "Post"}


def test_add_unique_and_remove_keep_booleans_apart_from_numbers(fresh: LiveServer, client: httpx.Client) -> None:
    url, h = f"{fresh.url}/classes/Post/p001", headers(master=True)

    def op(name: str, objects: list) -> list:
        r = client.put(url, json={"nums": {"__op": name, "objects": objects}}, headers=h)
        assert r.status_code == 200, r.text
        return r.json()["nums"]

    assert client.put(url, json={"nums": [1, 0, "x", {"a": 1}, [1, True]]}, headers=h).status_code == 200
    assert op("AddUnique", [True, False, 1.0, "x", {"a": 1}, [1, 1], [1, True]]) == [
        1, 0, "x", {"a": 1}, [1, True], True, False, [1, 1]]
    assert op("Remove", [False, [1, 1]]) == [1, 0, "x", {"a": 1}, [1, True], True]
    assert op("Remove", [0, {"a": 1.0}]) == [1, "x", [1, True], True]
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0]["nums"] == [1, "x", [1, True], True]


def test_an_acl_given_under_both_names_is_refused(fresh: LiveServer, client: httpx.Client) -> None:
    before = fresh.db.count("Note")
    body = {"title": "twice", "ACL": {"*": {"read": True}}, "acl": {}}
    r = client.post(f"{fresh.url}/classes/Note", json=body, headers=headers(master=True))
    assert (r.status_code, r.json()) == (400, {"code": 123, "error": "the ACL is given twice: as ACL and as acl"})
    r = client.put(f"{fresh.url}/classes/Note/n2", json=body, headers=headers(master=True))
    assert (r.status_code, r.json()["code"]) == (400, 123)
    assert fresh.db.count("Note") == before
    assert fresh.db.find("Note", {"objectId": "n2"}).records[0]["acl"] == {"*": {"read": True}}


def test_batch_paths_under_the_public_url(sample_doc: dict, client: httpx.Client) -> None:
    """An SDK given the public URL as serverURL builds batch paths under its path."""
    from .conftest import make_db

    srv = start(make_db(sample_doc), public_url="https://example.com/api/v1")
    try:
        reqs = [{"method": "PUT", "path": "/api/v1/classes/User/u01", "body": {"name": "public"}},
                {"method": "PUT", "path": "/parse/classes/User/u02", "body": {"name": "mounted"}},
                {"method": "GET", "path": "/api/v2/classes/User"}]
        r = client.post(f"{srv.url}/batch", json={"requests": reqs}, headers=headers(master=True))
        assert (r.status_code, r.json()["code"]) == (400, 107)  # checked before any runs
        r = client.post(f"{srv.url}/batch", json={"requests": reqs[:2]}, headers=headers(master=True))
        assert r.status_code == 200, r.text
        assert all("success" in x for x in r.json()), r.text
        names = {u["objectId"]: u["name"] for u in srv.db.find("User", {"objectId": {"$in": ["u01", "u02"]}}).records}
        assert names == {"u01": "public", "u02": "mounted"}
    finally:
        srv.stop()


def test_batch_paths_under_the_mount_as_sent_when_the_public_url_shares_its_path(sample_doc: dict, client: httpx.Client) -> None:
    """With --public-url on the mount's own path, /PARSE/batch refused /PARSE/classes/... (107,
    as if the mount were only ever spelled /parse), which it takes without --public-url; Parse
    Server reads batch paths under the mount as the request spells it unless its serverURL and
    publicServerURL have different paths. Location headers stay on the public URL."""
    from .conftest import make_db

    srv = start(make_db(sample_doc), public_url="https://example.com/parse")
    try:
        batch = {"requests": [{"method": "PUT", "path": "/PARSE/classes/User/u01", "body": {"name": "cased"}}]}
        r = client.post(f"{srv.root}/PARSE/batch", json=batch, headers=headers(master=True))
        assert r.status_code == 200 and "success" in r.json()[0], r.text
        assert srv.db.find("User", {"objectId": "u01"}).records[0]["name"] == "cased"
        r = client.post(f"{srv.root}/parse/batch", json=batch, headers=headers(master=True))
        assert (r.status_code, r.json()) == (400, {"code": 107, "error": "cannot route batch path /PARSE/classes/User/u01"})
        r = client.post(f"{srv.root}/PARSE/classes/User", json={"objectId": "x1"}, headers=headers(master=True))
        assert r.headers["Location"] == "https://example.com/parse/classes/User/x1"
    finally:
        srv.stop()


def test_an_object_id_holding_a_slash(fresh: LiveServer, client: httpx.Client) -> None:
    h = headers(master=True)
    url = f"{fresh.url}/classes/User"
    r = client.post(url, json={"objectId": "a/b", "name": "slash"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"{url}/a%2Fb"
    assert client.get(f"{url}/a%2Fb", headers=h).json()["name"] == "slash"
    assert client.put(f"{url}/a%2Fb", json={"age": 3}, headers=h).status_code == 200
    assert fresh.db.find("User", {"objectId": "a/b"}).records[0]["age"] == 3
    batch = [{"method": "PUT", "path": "/parse/classes/User/a%2Fb", "body": {"age": 4}}]
    assert client.post(f"{fresh.url}/batch", json={"requests": batch}, headers=h).json()[0]["success"]
    assert fresh.db.find("User", {"objectId": "a/b"}).records[0]["age"] == 4
    # the data browser's record page and its link to it
    page = client.get(f"{fresh.root}/browser/classes/User/a%2Fb", params={"masterKey": MASTER_KEY}, follow_redirects=True)
    assert page.status_code == 200 and "slash" in page.text
    listing = client.get(f"{fresh.root}/browser/classes/User", params={"masterKey": MASTER_KEY}, follow_redirects=True)
    assert 'href="/browser/classes/User/a%2Fb"' in listing.text
    assert client.delete(f"{url}/a%2Fb", headers=h).json() == {}
    assert client.get(f"{url}/a%2Fb", headers=h).status_code == 404
    assert fresh.db.count("User", {"objectId": {"equalTo": "a/b"}}) == 0


def test_a_public_url_ending_in_a_slash_gives_locations_without_a_double_slash(
    sample_doc: dict, client: httpx.Client
) -> None:
    # Found by running docs/serve.md's --public-url ("the serverURL used in Location headers"):
    # a serverURL is often written with a trailing slash, and the Location was then
    # https://example.com/api//classes/User/x; /batch already took that URL's path either way.
    from .conftest import make_db

    srv = start(make_db(sample_doc), public_url="https://example.com/api/")
    try:
        r = client.post(f"{srv.url}/classes/User", json={"objectId": "x1", "name": "n"}, headers=headers(master=True))
        assert r.status_code == 201, r.text
        assert r.headers["Location"] == "https://example.com/api/classes/User/x1"
    finally:
        srv.stop()


def test_json_answers_name_their_charset_as_parse_does(shared: LiveServer, client: httpx.Client) -> None:
    """Checked against Parse Server 9: its JSON answers (results, errors, a batch's, /health)
    carry "Content-Type: application/json; charset=utf-8" (Express's res.json); here they were
    "application/json". The preflight stays text/plain and the browser's pages text/html."""
    json_type = "application/json; charset=utf-8"
    for r in (
        client.get(f"{shared.url}/classes/Post", params={"limit": 1}, headers=headers()),
        client.get(f"{shared.url}/classes/Post", params={"where": "{bad"}, headers=headers()),
        client.get(f"{shared.url}/classes/Post", headers={"X-Parse-Application-Id": "wrong"}),
        client.post(f"{shared.url}/batch", json={"requests": []}, headers=headers(master=True)),
        client.get(f"{shared.url}/health"),
        client.get(f"{shared.url}/nowhere", headers=headers()),
    ):
        assert r.headers["content-type"] == json_type, (r.request.url, r.headers["content-type"])
    assert client.options(f"{shared.url}/classes/Post").headers["content-type"] == "text/plain; charset=utf-8"
    page = client.get(f"{shared.root}/browser/classes/Post", params={"masterKey": MASTER_KEY}, follow_redirects=True)
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"

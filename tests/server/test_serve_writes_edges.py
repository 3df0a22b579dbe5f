"""Writes through `querylang serve` at their edges: operations on special values, relation
edits, and what a refused write leaves behind; each checked against what Parse Server 9
answers for the same request (run beside it while these tests were written)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from .conftest import headers
from .live import LiveServer


def ptr(cls: str, oid: str) -> dict:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def related_posts(srv: LiveServer, group: str) -> list[str]:
    return sorted(srv.db.query("Post", {"relatedTo": {"id": group, "key": "posts"}}).ids)


def test_a_refused_relation_target_leaves_the_record_unchanged(fresh: LiveServer, client: httpx.Client) -> None:
    """The update's fields were saved before its edges were written: an AddRelation target the
    library refuses ("" or NUL) answered 400 while the record kept the body's other fields."""
    url, h = f"{fresh.url}/classes/Group/g1", headers(master=True)
    before = fresh.db.find("Group", {"objectId": "g1"}).records[0]
    edges = related_posts(fresh, "g1")
    for bad in ("", "p0\x001"):
        for posts in ({"__op": "AddRelation", "objects": [ptr("Post", bad)]},
                      {"__op": "Batch", "ops": [{"__op": "AddRelation", "objects": [ptr("Post", "p001"), ptr("Post", bad)]}]}):
            r = client.put(url, json={"name": "renamed", "posts": posts}, headers=h)
            assert (r.status_code, r.json()["code"]) == (400, 107), r.text
            assert fresh.db.find("Group", {"objectId": "g1"}).records[0] == before
            assert related_posts(fresh, "g1") == edges
            assert r.json()["error"] == "Group.posts: the target's objectId must be a non-empty string without NUL characters"


def test_a_batch_of_relation_ops_applies_them_in_order(fresh: LiveServer, client: httpx.Client) -> None:
    """Parse applies a Batch's ops one after the other: RemoveRelation then AddRelation of one
    object leaves it related (all adds were made first, then all removes: it was removed)."""
    url, h = f"{fresh.url}/classes/Group/g1", headers(master=True)
    outside = next(p for p in fresh.db.query("Post", {}, sort=["objectId"]).ids if p not in related_posts(fresh, "g1"))

    def batch(*ops: str) -> None:
        body = {"posts": {"__op": "Batch", "ops": [{"__op": op, "objects": [ptr("Post", outside)]} for op in ops]}}
        r = client.put(url, json=body, headers=h)
        assert r.status_code == 200, r.text

    batch("RemoveRelation", "AddRelation")
    assert outside in related_posts(fresh, "g1")
    batch("AddRelation", "RemoveRelation")
    assert outside not in related_posts(fresh, "g1")
    batch("AddRelation", "RemoveRelation", "AddRelation")
    assert outside in related_posts(fresh, "g1")
    r = client.post(f"{fresh.url}/classes/Group", headers=h, json={"name": "new", "posts": {"__op": "Batch", "ops": [
        {"__op": "AddRelation", "objects": [ptr("Post", outside)]},
        {"__op": "RemoveRelation", "objects": [ptr("Post", outside)]}]}})  # fmt: skip
    assert r.status_code == 201, r.text
    assert related_posts(fresh, r.json()["objectId"]) == []


def test_array_operations_compare_dates_as_stored(fresh: LiveServer, client: httpx.Client) -> None:
    """A Date is stored at milliseconds in UTC; AddUnique and Remove compared their operands as
    sent, so the same date written otherwise was added a second time (a duplicate in the
    stored array) or not removed, and the answer held a form no read gives."""
    url, h = f"{fresh.url}/classes/Post/p001", headers(master=True)
    stored = {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}
    assert client.put(url, json={"nums": [stored, 1]}, headers=h).status_code == 200

    def op(name: str, objects: list) -> list:
        r = client.put(url, json={"nums": {"__op": name, "objects": objects}}, headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["nums"] == fresh.db.find("Post", {"objectId": "p001"}).records[0]["nums"]
        return r.json()["nums"]

    assert op("AddUnique", [{"__type": "Date", "iso": "2020-01-01T00:00:00Z"},
                            {"__type": "Date", "iso": "2020-01-01T01:00:00+01:00"}]) == [stored, 1]
    assert op("Add", [{"__type": "Date", "iso": "2021-06-01T00:00:00Z"}]) == [
        stored, 1, {"__type": "Date", "iso": "2021-06-01T00:00:00.000Z"}]
    assert op("Remove", [{"__type": "Date", "iso": "2020-01-01T00:00:00Z"}]) == [
        1, {"__type": "Date", "iso": "2021-06-01T00:00:00.000Z"}]


def test_type_mismatches_of_operations_say_the_fields_type_first(fresh: LiveServer, client: httpx.Client) -> None:
    """Parse's "expected <the field's type> but got <the value's>": Add on a String field said
    "expected Array but got String", Increment "expected Number but Increment needs one", and a
    Date without its iso "expected Date but got Date"."""
    url, h = f"{fresh.url}/classes/Post/p001", headers(master=True)
    cases = [
        ({"title": {"__op": "Add", "objects": [1]}}, "schema mismatch for Post.title; expected String but got Array (Add)"),
        ({"tags": {"__op": "Increment", "amount": 1}}, "schema mismatch for Post.tags; expected Array but got Number (Increment)"),
        ({"publishedAt": {"__type": "Date"}}, "Post.publishedAt: this is not a valid Date (a Date is {__type: 'Date', iso: string})"),
        ({"publishedAt": {"__type": "Date", "iso": 5}}, "Post.publishedAt: this is not a valid Date (a Date is {__type: 'Date', iso: string})"),
    ]
    before = fresh.db.find("Post", {"objectId": "p001"}).records[0]
    for body, message in cases:
        r = client.put(url, json=body, headers=h)
        assert (r.status_code, r.json()) == (400, {"code": 111, "error": message})
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0] == before


def test_relation_ops_to_another_class_say_relation(fresh: LiveServer, client: httpx.Client) -> None:
    """AddRelation/RemoveRelation of objects of another class: Parse says the Relation would
    point elsewhere ("expected Relation<Post> but got Relation<User>"); serve said Pointer<...>."""
    url, h = f"{fresh.url}/classes/Group/g1", headers(master=True)
    edges = related_posts(fresh, "g1")
    for op in ("AddRelation", "RemoveRelation"):
        r = client.put(url, json={"posts": {"__op": op, "objects": [ptr("User", "u01")]}}, headers=h)
        assert (r.status_code, r.json()) == (400, {
            "code": 111, "error": "schema mismatch for Group.posts; expected Relation<Post> but got Relation<User>"})
    assert related_posts(fresh, "g1") == edges


def test_a_relation_written_without_its_class_is_refused(fresh: LiveServer, client: httpx.Client) -> None:
    """Found by review: an AddRelation or RemoveRelation of a Pointer naming no className (in a
    Batch too) was written, and a Relation marker naming none kept the Relation; Parse Server 9
    refuses them: 111 "schema mismatch for Group.posts; expected Relation<Post> but got
    Relation" (it reads the Relation's class from the objects), "This is not a valid Relation"
    for the marker, and changes nothing."""
    url, h = f"{fresh.url}/classes/Group/g1", headers(master=True)
    before = fresh.db.find("Group", {"objectId": "g1"}).records[0]
    edges = related_posts(fresh, "g1")
    outside = next(p for p in fresh.db.query("Post", {}, sort=["objectId"]).ids if p not in edges)
    classless = {"__type": "Pointer", "objectId": outside}
    mismatch = "schema mismatch for Group.posts; expected Relation<Post> but got Relation"
    for posts, message in (({"__op": "AddRelation", "objects": [classless]}, mismatch),
                           ({"__op": "RemoveRelation", "objects": [{"__type": "Pointer", "objectId": edges[0]}]}, mismatch),
                           ({"__op": "Batch", "ops": [{"__op": "AddRelation", "objects": [classless]}]}, mismatch),
                           ({"__type": "Relation"}, "This is not a valid Relation")):
        r = client.put(url, json={"name": "renamed", "posts": posts}, headers=h)
        assert (r.status_code, r.json()["code"]) == (400, 111), r.text
        assert message.lower() in r.json()["error"].lower() and "Group.posts" in r.json()["error"], r.text
    assert fresh.db.find("Group", {"objectId": "g1"}).records[0] == before
    assert related_posts(fresh, "g1") == edges


def test_a_dotted_key_says_it_is_not_served(fresh: LiveServer, client: httpx.Client) -> None:
    """Parse sets one key inside an Object field with a dotted key; serve refused it as
    "Invalid field name: meta.views.", as if the name were wrong (docs/serve.md now lists it)."""
    url, h = f"{fresh.url}/classes/Post/p001", headers(master=True)
    before = fresh.db.find("Post", {"objectId": "p001"}).records[0]
    for value in (3, {"__op": "Increment", "amount": 1}):
        r = client.put(url, json={"title": "changed", "meta.views": value}, headers=h)
        assert (r.status_code, r.json()) == (400, {"code": 105, "error": (
            "Post.meta.views: a write cannot set a key inside the Object field 'meta' (a dotted key); "
            "send the whole Object as 'meta'")})
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0] == before
    r = client.put(url, json={"title.x": 3}, headers=h)  # not inside an Object: the name is wrong
    assert (r.status_code, r.json()) == (400, {"code": 105, "error": "class Post has no field 'title.x' (did you mean 'title'?)"})


def test_deleting_the_acl_leaves_the_record_to_the_master_key(fresh: LiveServer, client: httpx.Client) -> None:
    """{"ACL": {"__op": "Delete"}} (the JS SDK's unset('ACL')) was refused as a malformed ACL
    ("permissions of '__op' must be {read, write}"); Parse Server 9 stores an empty ACL, after
    which only the master key finds the record."""
    url = f"{fresh.url}/classes/Note/n2"
    assert client.get(url, headers=headers()).status_code == 200  # public read
    r = client.put(url, json={"ACL": {"__op": "Delete"}}, headers=headers(master=True))
    assert r.status_code == 200, r.text
    assert fresh.db.find("Note", {"objectId": "n2"}).records[0]["acl"] == {}
    assert client.get(url, headers=headers()).status_code == 404
    assert client.get(url, headers=headers(master=True)).json()["ACL"] == {}



def test_an_increment_answers_the_number_a_read_gives(fresh: LiveServer, client: httpx.Client) -> None:
    """Numbers are doubles (Parse adds them as JavaScript does): an Increment past 2**53 stored
    2**53 but answered the exact sum, 9007199254740993, on an update and on a create."""
    h = headers(master=True)
    url = f"{fresh.url}/classes/Note/n1"
    assert client.put(url, json={"rank": 1}, headers=h).status_code == 200
    r = client.put(url, json={"rank": {"__op": "Increment", "amount": 2**53}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["rank"] == client.get(url, headers=h).json()["rank"] == 2**53
    r = client.post(f"{fresh.url}/classes/Note", json={"rank": {"__op": "Increment", "amount": 2**53 + 1}}, headers=h)
    assert r.status_code == 201, r.text
    stored = client.get(f"{fresh.url}/classes/Note/{r.json()['objectId']}", headers=h).json()["rank"]
    assert r.json()["rank"] == stored == 2**53


def test_add_unique_on_a_create_keeps_the_objects_as_given(fresh: LiveServer, client: httpx.Client) -> None:
    """Parse Server sets a create's AddUnique field to its objects as they are (its
    flattenUpdateOperatorsForCreate), duplicates kept; serve dropped the duplicates, so the
    same body gave [1, 2] where Parse stores [1, 1, 2]. An update adds each object once."""
    h = headers(master=True)
    r = client.post(f"{fresh.url}/classes/Post", json={"tags": {"__op": "AddUnique", "objects": [1, 1.0, 2]}}, headers=h)
    assert r.status_code == 201, r.text
    url = f"{fresh.url}/classes/Post/{r.json()['objectId']}"
    assert r.json()["tags"] == client.get(url, headers=h).json()["tags"] == [1, 1, 2]
    r = client.put(url, json={"tags": {"__op": "AddUnique", "objects": [3, 3, 1]}}, headers=h)
    assert r.json()["tags"] == client.get(url, headers=h).json()["tags"] == [1, 1, 2, 3]


def test_remove_from_an_absent_array_leaves_it_absent(fresh: LiveServer, client: httpx.Client) -> None:
    """MongoDB's $pullAll (Parse's Remove) does nothing to a field that is not there; serve
    stored [] instead, which `exists: true` and `equalTo: []` then found."""
    h = headers(master=True)
    r = client.post(f"{fresh.url}/classes/Post", json={"title": "no tags"}, headers=h)
    oid = r.json()["objectId"]
    r = client.put(f"{fresh.url}/classes/Post/{oid}", json={"tags": {"__op": "Remove", "objects": ["a"]}}, headers=h)
    assert r.status_code == 200, r.text
    assert "tags" not in r.json()
    assert "tags" not in fresh.db.find("Post", {"objectId": oid}).records[0]
    assert oid not in fresh.db.query("Post", {"tags": {"exists": True}}).ids


def test_an_op_name_that_is_no_string_is_a_bad_request(fresh: LiveServer, client: httpx.Client) -> None:
    """An update whose "__op" was a list or an object failed with a TypeError (unhashable) before
    its body was checked: 500 "Internal server error.", and inside a batch the whole batch
    answered 500, though the requests before it had been made."""
    h = headers(master=True)
    url = f"{fresh.url}/classes/Post/p001"
    before = fresh.db.find("Post", {"objectId": "p001"}).records[0]
    for op in (["Delete"], {"a": 1}):
        r = client.put(url, json={"title": {"__op": op}}, headers=h)
        assert (r.status_code, r.json()["code"]) == (400, 107), r.text
        assert "unknown op" in r.json()["error"] and "Post.title" in r.json()["error"]
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0] == before
    r = client.post(f"{fresh.url}/batch", headers=h, json={"requests": [
        {"method": "PUT", "path": "/parse/classes/Post/p001", "body": {"title": {"__op": ["Delete"]}}},
        {"method": "PUT", "path": "/parse/classes/Post/p001", "body": {"title": "after"}}]})
    assert r.status_code == 200, r.text
    assert r.json()[0]["error"]["code"] == 107 and "success" in r.json()[1]
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0]["title"] == "after"


def test_a_malformed_operation_names_its_field(fresh: LiveServer, client: httpx.Client) -> None:
    """"Increment amount must be a number", "Objects to add must be an array." and their kin did
    not say which field of the body was wrong."""
    h = headers(master=True)
    cases = [
        ("Post", "p001", {"score": {"__op": "Increment", "amount": "1"}}, "Post.score: Increment amount must be a number"),
        ("Post", "p001", {"tags": {"__op": "AddUnique", "objects": 1}}, "Post.tags: Objects to add must be an array."),
        ("Post", "p001", {"tags": {"__op": "Remove"}}, "Post.tags: Objects to add must be an array."),
        ("Group", "g1", {"posts": {"__op": "AddRelation", "objects": 1}}, "Group.posts: AddRelation needs objects: an array of Pointers"),
        ("Group", "g1", {"posts": {"__op": "Batch", "ops": 1}}, "Group.posts: Batch ops must be an array of operations"),
    ]
    for cls, oid, body, message in cases:
        for r in (client.put(f"{fresh.url}/classes/{cls}/{oid}", json=body, headers=h),
                  client.post(f"{fresh.url}/classes/{cls}", json=body, headers=h)):
            assert (r.status_code, r.json()) == (400, {"code": 107, "error": message})


def test_a_nested_key_with_a_dollar_or_a_dot_is_refused(fresh: LiveServer, client: httpx.Client) -> None:
    """Parse Server refuses an Object or Array value holding a key with '$' or '.' at any depth
    (121, "Nested keys should not contain the '$' or '.' characters"): a Parse REST where reads
    {"meta": {"$gt": 1}} as an operator, so such a value could never be found again. serve
    stored {"$gt": 1}; a '.' was refused as a bad value (107)."""
    h = headers(master=True)
    before = fresh.db.find("Post", {"objectId": "p001"}).records[0]
    for body in ({"meta": {"$gt": 1}}, {"meta": {"a": {"b$": 1}}}, {"meta": {"a.b": 1}}, {"tags": [{"x": [{"$in": 1}]}]}):
        for r in (client.put(f"{fresh.url}/classes/Post/p001", json={"title": "changed", **body}, headers=h),
                  client.post(f"{fresh.url}/classes/Post", json=body, headers=h)):
            assert (r.status_code, r.json()["code"]) == (400, 121), r.text
            assert r.json()["error"].startswith(f"Post.{next(iter(body))}: Nested keys should not contain the '$' or '.' characters")
    assert fresh.db.find("Post", {"objectId": "p001"}).records[0] == before

FULL_DISK_CHILD = """
import json, resource, signal, sys
import querylang
from starlette.testclient import TestClient
from querylang.server import ServerConfig, create_app

db = querylang.connect(sys.argv[1])
db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}}, "records": {"Post": [{"objectId": "p1", "n": 0}]}})
headers = {"X-Parse-Application-Id": "app", "X-Parse-Master-Key": "m"}
with TestClient(create_app(db, ServerConfig(app_id="app", master_key="m")), base_url="http://localhost") as client:
    # From here on every file write fails, as on a full disk (EFBIG rather than ENOSPC).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))
    out = [client.put("/parse/classes/Post/p1", json={"n": {"__op": "Increment", "amount": 1}}, headers=headers),
           client.post("/parse/classes/Post", json={"n": 5}, headers=headers)]
    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    stored = client.get("/parse/classes/Post", headers=headers).json()["results"]
print(json.dumps({"answers": [[r.status_code, r.json()] for r in out], "stored": stored}))
"""


def test_a_write_on_a_full_disk_is_a_server_error_and_changes_nothing(tmp_path: Path) -> None:
    """DuckDB's commit could not write its log and serve answered 400 with code 107 (a bad
    request, in Parse's terms the client's fault); Parse answers a storage failure as 500/1."""
    res = subprocess.run([sys.executable, "-c", FULL_DISK_CHILD, str(tmp_path / "full.duckdb")],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout.splitlines()[-1])
    for status, body in got["answers"]:
        assert status == 500 and body["code"] == 1, got
        assert "nothing was changed" in body["error"], got
    assert [(r["objectId"], r["n"]) for r in got["stored"]] == [("p1", 0)]


def test_a_clients_delete_or_update_of_a_user_is_refused_whatever_its_acl(client: httpx.Client) -> None:
    """Found by review: a client allowed to write deleted or changed a _User record its ACL let
    anyone write; Parse Server 9 deletes or updates a user for that user's own session only (206
    "Insufficient auth to delete user", before the record is looked up; an update 206 once its
    body is read), and serve signs no one in. The master key still deletes it. (test_parse_live
    compares the answers where the database has no _User.)"""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "ACL": {"type": "ACL"}}}},
             "records": {"_User": [{"objectId": "u1", "username": "ann", "ACL": {"*": {"read": True, "write": True}}}]}})
    srv = start(db, allow_client_writes=True)
    try:
        for oid in ("u1", "nobody"):
            r = client.delete(f"{srv.url}/classes/_User/{oid}", headers=headers())
            assert (r.status_code, r.json()) == (400, {"code": 206, "error": "Insufficient auth to delete user"}), r.text
        assert db.find("_User", {}).ids == ["u1"]
        # Nor an update (206 "Permission denied", as Parse words it), once its body is read.
        r = client.put(f"{srv.url}/classes/_User/u1", json={"username": "bob"}, headers=headers())
        assert (r.status_code, r.json()) == (400, {"code": 206, "error": "Permission denied"}), r.text
        r = client.put(f"{srv.url}/classes/_User/u1", json={"username": 5}, headers=headers())
        assert (r.status_code, r.json()["code"]) == (400, 111), r.text
        assert db.find("_User", {}).records[0]["username"] == "ann"
        r = client.delete(f"{srv.url}/classes/_User/u1", headers=headers(master=True))
        assert (r.status_code, r.json()) == (200, {}), r.text
        assert db.find("_User", {}).ids == []
    finally:
        srv.stop()


def test_a_clients_create_of_a_user_needs_a_username_and_a_password(client: httpx.Client) -> None:
    """Found by review: a client allowed to write made a _User record with no password (serve
    keeps none), which Parse Server 9 never makes: its sign-up needs a username (200 "bad or
    missing username") and a password (201 "password is required"), whether or not the database
    has a _User yet (a client's create in another class that is not there is 119). The master
    key still makes one. (test_parse_live_writes compares the answers with Parse's.)"""
    import querylang

    from .live import start

    with_users = querylang.connect()
    with_users.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "ACL": {"type": "ACL"}}}}})
    for db in (with_users, querylang.connect()):
        srv = start(db, allow_client_writes=True)
        try:
            for body, code, words in (({}, 200, "bad or missing username"), ({"username": ""}, 200, "bad or missing username"),
                                      ({"username": "ann"}, 201, "password is required"),
                                      ({"username": "ann", "password": ""}, 201, "password is required")):
                r = client.post(f"{srv.url}/classes/_User", json=body, headers=headers())
                assert (r.status_code, r.json()) == (400, {"code": code, "error": words}), (body, r.text)
            assert "_User" not in db.schema.classes or db.find("_User", {}).ids == []
        finally:
            srv.stop()
    srv = start(with_users, allow_client_writes=True)
    try:
        r = client.post(f"{srv.url}/classes/_User", json={"username": "ann"}, headers=headers(master=True))
        assert r.status_code == 201, r.text
    finally:
        srv.stop()


def test_a_role_needs_a_name_and_an_acl(client: httpx.Client) -> None:
    """Found by review: a role was made without an ACL (so anyone could write it, and add
    users to it) or without a name, and an update could delete either; Parse Server 9 requires
    both of a _Role record, from the master key too: 111 "name is required." / "ACL is
    required.", for an update that deletes one before the record is looked up."""
    import querylang

    from .live import start

    db = querylang.connect()
    fields = {"name": {"type": "String"}, "ACL": {"type": "ACL"}}
    db.load({"classes": {"_Role": {"fields": fields}},
             "records": {"_Role": [{"objectId": "r1", "name": "Admin", "ACL": {"*": {"read": True, "write": True}}}]}})
    srv = start(db, allow_client_writes=True)
    delete = {"__op": "Delete"}
    try:
        for master in (False, True):
            for body, missing in (({"name": "Admin"}, "ACL"), ({"ACL": {}}, "name"), ({"name": "", "ACL": {}}, "name")):
                r = client.post(f"{srv.url}/classes/_Role", json=body, headers=headers(master=master))
                assert (r.status_code, r.json()) == (400, {"code": 111, "error": f"{missing} is required."}), r.text
            for body, missing in (({"ACL": delete}, "ACL"), ({"name": delete}, "name")):
                for oid in ("r1", "nobody"):
                    r = client.put(f"{srv.url}/classes/_Role/{oid}", json=body, headers=headers(master=master))
                    assert (r.status_code, r.json()) == (400, {"code": 111, "error": f"{missing} is required."}), r.text
        assert db.find("_Role", {}).records == [
            {"objectId": "r1", "name": "Admin", "ACL": {"*": {"read": True, "write": True}},
             "createdAt": db.find("_Role", {}).records[0]["createdAt"], "updatedAt": db.find("_Role", {}).records[0]["updatedAt"]}]
        r = client.post(f"{srv.url}/classes/_Role", json={"name": "Staff", "ACL": {}}, headers=headers())
        assert r.status_code == 201, r.text
    finally:
        srv.stop()


def test_a_null_acl_leaves_a_roles_acl_as_it_is(client: httpx.Client) -> None:
    """Found by review: an update of a _Role with "ACL": null (here: no ACL) left the role
    without one, so anyone could write it and add users to it, what requiring a role's ACL
    keeps from happening; Parse Server 9 leaves the ACL as it is (its name is set to null)."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_Role": {"fields": {"name": {"type": "String"}, "note": {"type": "String"}, "ACL": {"type": "ACL"}}}},
             "records": {"_Role": [{"objectId": "r1", "name": "Admin", "ACL": {"*": {"read": True}}}]}})
    srv = start(db, allow_client_writes=True)
    try:
        r = client.put(f"{srv.url}/classes/_Role/r1", json={"ACL": None, "note": "n"}, headers=headers(master=True))
        assert r.status_code == 200, r.text
        assert db.find("_Role", {"objectId": "r1"}).records[0]["ACL"] == {"*": {"read": True}}
        assert db.find("_Role", {"objectId": "r1"}).records[0]["note"] == "n"
        r = client.put(f"{srv.url}/classes/_Role/r1", json={"name": "Anyone"}, headers=headers())
        assert (r.status_code, r.json()["code"]) == (404, 101), r.text  # the ACL still keeps a client out
    finally:
        srv.stop()


def test_a_roles_acl_under_the_acl_field_name_is_its_acl(client: httpx.Client) -> None:
    """Found by review: with --acl-field naming the field a _Role keeps its ACL in, a role
    given its ACL under that name (as any record may be) was refused, 111 "ACL is required.",
    and an update deleting it under that name was not."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_Role": {"fields": {"name": {"type": "String"}, "acl": {"type": "Object"}}}},
             "records": {"_Role": [{"objectId": "r1", "name": "Admin", "acl": {"*": {"read": True}}}]}})
    srv = start(db, acl_field="acl")
    try:
        r = client.post(f"{srv.url}/classes/_Role", json={"name": "Staff", "acl": {}}, headers=headers(master=True))
        assert r.status_code == 201, r.text
        r = client.post(f"{srv.url}/classes/_Role", json={"name": "Staff2"}, headers=headers(master=True))
        assert (r.status_code, r.json()) == (400, {"code": 111, "error": "ACL is required."}), r.text
        r = client.put(f"{srv.url}/classes/_Role/r1", json={"acl": {"__op": "Delete"}}, headers=headers(master=True))
        assert (r.status_code, r.json()) == (400, {"code": 111, "error": "ACL is required."}), r.text
        assert db.find("_Role", {"objectId": "r1"}).records[0]["acl"] == {"*": {"read": True}}
    finally:
        srv.stop()


def test_a_users_password_is_never_kept_nor_answered_to_a_client(client: httpx.Client) -> None:
    """Found by review: where the database's _User holds a field named password, a client's
    sign-up (which must now carry a password) kept it as sent, and every client read it back
    and could query on it; Parse keeps only a hash of it and never answers it."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "password": {"type": "String"}}}},
             "records": {"_User": [{"objectId": "u1", "username": "old", "password": "kept"}]}})
    srv = start(db, allow_client_writes=True)
    try:
        for master in (False, True):
            r = client.post(f"{srv.url}/classes/_User", json={"username": "ann", "password": "pw"}, headers=headers(master=master))
            assert (r.status_code, r.json()["code"]) == (400, 105), r.text
            assert "password" in r.json()["error"]
        r = client.put(f"{srv.url}/classes/_User/u1", json={"password": "pw"}, headers=headers(master=True))
        assert (r.status_code, r.json()["code"]) == (400, 105), r.text
        assert [rec["password"] for rec in db.find("_User", {}).records] == ["kept"]
        r = client.get(f"{srv.url}/classes/_User", headers=headers())
        assert r.status_code == 200 and r.json()["results"][0]["username"] == "old", r.text
        assert "password" not in r.json()["results"][0]
        r = client.get(f"{srv.url}/classes/_User", params={"where": json.dumps({"password": "kept"})}, headers=headers())
        assert (r.status_code, r.json()["code"]) == (400, 119), r.text
    finally:
        srv.stop()


def test_a_null_acl_in_a_class_that_holds_no_acls_is_refused(client: httpx.Client) -> None:
    """Found by review: once an update's "ACL": null left the record's ACL as it is, it was
    taken (200, the record's updatedAt moved) in a class with no ACL field, where a create's
    "ACL": null, and any other ACL, is 119: the class cannot hold one."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"Plain": {"fields": {"title": {"type": "String"}}}},
             "records": {"Plain": [{"objectId": "a1", "title": "x"}]}})
    srv = start(db, allow_client_writes=True)
    try:
        before = db.find("Plain", {}).records
        for master in (False, True):
            for method, path in (("POST", "/classes/Plain"), ("PUT", "/classes/Plain/a1")):
                for body in ({"ACL": None}, {"ACL": None, "title": "y"}):
                    r = client.request(method, srv.url + path, json=body, headers=headers(master=master))
                    assert (r.status_code, r.json()) == (
                        400, {"code": 119, "error": "class Plain has no ACL field; it cannot store an ACL"}), r.text
        assert db.find("Plain", {}).records == before
    finally:
        srv.stop()


def test_a_users_email_not_of_the_form_a_at_b_is_refused_where_user_is_there(client: httpx.Client) -> None:
    """Found by review: the form of a user's email was checked only where the database has no
    _User; where it has one, the master key's create and update kept "bad" as the email.
    Parse Server 9 refuses it, 125 "Email address format is invalid.", after the body's types
    (a Number email stays 111), also in an update of a user that is not there."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "email": {"type": "String"}}}},
             "records": {"_User": [{"objectId": "u1", "username": "ann", "email": "ann@x.org"}]}})
    srv = start(db)
    h = headers(master=True)
    try:
        for method, path in (("POST", "/classes/_User"), ("PUT", "/classes/_User/u1"), ("PUT", "/classes/_User/nobody")):
            r = client.request(method, srv.url + path, json={"username": "bob", "email": "bad"}, headers=h)
            assert (r.status_code, r.json()) == (400, {"code": 125, "error": "Email address format is invalid."}), r.text
            r = client.request(method, srv.url + path, json={"email": 5}, headers=h)
            assert (r.status_code, r.json()["code"]) == (400, 111), r.text
        assert [(r["objectId"], r["username"], r["email"]) for r in db.find("_User", {}).records] == [("u1", "ann", "ann@x.org")]
        r = client.put(f"{srv.url}/classes/_User/u1", json={"email": "ann@y.org"}, headers=h)
        assert r.status_code == 200, r.text
    finally:
        srv.stop()


def test_a_users_username_and_email_are_unique_whatever_their_case(client: httpx.Client) -> None:
    """Found by review: the master key's create and update in _User kept a username or an
    email another user has; Parse Server 9 refuses them, compared without case: 202 "Account
    already exists for this username." before the email's form (125), then 203 "Account
    already exists for this email address.", also in an update of a user that is not there.
    The user's own, and a name that is no pattern ("a.n"), pass."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "email": {"type": "String"}}}},
             "records": {"_User": [{"objectId": "u1", "username": "ann", "email": "ann@x.org"},
                                   {"objectId": "u2", "username": "bob"}]}})
    srv = start(db)
    h = headers(master=True)
    username = (400, {"code": 202, "error": "Account already exists for this username."})
    email = (400, {"code": 203, "error": "Account already exists for this email address."})
    try:
        for method, path, body, answer in (
                ("POST", "/classes/_User", {"username": "ANN"}, username),
                ("PUT", "/classes/_User/u2", {"username": "Ann"}, username),
                ("PUT", "/classes/_User/nobody", {"username": "ann"}, username),
                ("PUT", "/classes/_User/u2", {"username": "ann", "email": "bad"}, username),
                ("PUT", "/classes/_User/u2", {"email": "ANN@x.org"}, email),
                ("POST", "/classes/_User", {"username": "carl", "email": "Ann@X.org"}, email)):
            r = client.request(method, srv.url + path, json=body, headers=h)
            assert (r.status_code, r.json()) == answer, (path, body, r.text)
        assert [(r["objectId"], r["username"], r.get("email")) for r in db.find("_User", {}, order="objectId").records] == [
            ("u1", "ann", "ann@x.org"), ("u2", "bob", None)]
        for method, path, body in (("PUT", "/classes/_User/u1", {"username": "Ann", "email": "ANN@x.org"}),
                                   ("POST", "/classes/_User", {"username": "a.n", "email": "a.n@x.org"})):
            r = client.request(method, srv.url + path, json=body, headers=h)
            assert r.status_code in (200, 201), (body, r.text)
    finally:
        srv.stop()


def test_a_roles_name_is_unique(client: httpx.Client) -> None:
    """Found by review: a role could be made, or renamed, with the name of another role, so
    two roles answered to "role:Admin"; Parse Server 9 refuses it (its unique index on the
    name, case and all), 137 "A duplicate value for a field with unique values was provided".
    Another case ("admin") and the role's own name pass; a rename of a role that is not
    there is 101."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_Role": {"fields": {"name": {"type": "String"}, "ACL": {"type": "ACL"}}}},
             "records": {"_Role": [{"objectId": "r1", "name": "Admin", "ACL": {"*": {"read": True}}},
                                   {"objectId": "r2", "name": "Staff", "ACL": {"*": {"read": True}}}]}})
    srv = start(db)
    h, acl = headers(master=True), {"*": {"read": True}}
    duplicate = (400, {"code": 137, "error": "A duplicate value for a field with unique values was provided"})
    try:
        for method, path, body, answer in (
                ("POST", "/classes/_Role", {"name": "Admin", "ACL": acl}, duplicate),
                ("PUT", "/classes/_Role/r2", {"name": "Admin"}, duplicate),
                ("PUT", "/classes/_Role/nobody", {"name": "Admin"}, (404, {"code": 101, "error": "Object not found."}))):
            r = client.request(method, srv.url + path, json=body, headers=h)
            assert (r.status_code, r.json()) == answer, (path, body, r.text)
        assert sorted(r["name"] for r in db.find("_Role", {}).records) == ["Admin", "Staff"]
        for method, path, body in (("PUT", "/classes/_Role/r1", {"name": "Admin"}),
                                   ("POST", "/classes/_Role", {"name": "admin", "ACL": acl})):
            r = client.request(method, srv.url + path, json=body, headers=h)
            assert r.status_code in (200, 201), (body, r.text)
    finally:
        srv.stop()


def test_a_new_user_is_private_to_itself(client: httpx.Client) -> None:
    """Found by review: a user the master key made without an ACL had none, so every client
    read it; Parse Server 9 gives a new user its own entry, {"<id>": {read, write}}, beside
    the ACL given (none, with its enforcePrivateUsers on by default, so no client reads it)."""
    import querylang

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"_User": {"fields": {"username": {"type": "String"}, "ACL": {"type": "ACL"}}}}})
    srv = start(db)
    url, own = f"{srv.url}/classes/_User", {"read": True, "write": True}
    try:
        for body, acl in (({"username": "ann"}, {}), ({"username": "bob", "ACL": None}, {}),
                          ({"objectId": "u3", "username": "cy", "ACL": {"*": {"read": True}, "u3": {"read": True}}},
                           {"*": {"read": True}})):
            made = client.post(url, json=body, headers=headers(master=True))
            assert made.status_code == 201, made.text
            oid = made.json()["objectId"]
            got = client.get(f"{url}/{oid}", headers=headers(master=True)).json()
            assert got["ACL"] == {**acl, oid: own}, got
            r = client.get(f"{url}/{oid}", headers=headers())
            assert r.status_code == (200 if acl else 404), r.text
    finally:
        srv.stop()

"""Answers compared with Parse Server 9 on PostgreSQL: the same requests sent to both, shapes
that differed (found by sending them to both servers over the same records). Unit level: the
REST handlers are called directly, no server is started."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import querylang
from querylang.server import ServerConfig
from querylang.server.errors import ParseError, Unauthorized
from querylang.server.keys import Access
from querylang.server.rest import Api

MASTER, CLIENT = Access(master=True, can_write=True), Access(master=False, can_write=False)
DOC: dict[str, Any] = {
    "classes": {
        "Author": {"fields": {"name": {"type": "String"}, "ACL": {"type": "ACL"}}},
        "Post": {"fields": {"title": {"type": "String"}, "tags": {"type": "Array"}, "author": {"type": "Pointer", "targetClass": "Author"},
                            "fans": {"type": "Relation", "targetClass": "Author"}, "ACL": {"type": "ACL"}}},
        "Comment": {"fields": {"text": {"type": "String"}, "post": {"type": "Pointer", "targetClass": "Post"}}},
    },
    "records": {
        "Author": [{"objectId": "a1", "name": "Ada", "ACL": {"*": {"read": True}}}],
        "Post": [{"objectId": "p1", "title": "alpha", "author": "a1", "ACL": {"*": {"read": True, "write": True}}}],
        "Comment": [{"objectId": "c1", "text": "one", "post": "p1"}],
    },
    "relations": [{"class": "Post", "objectId": "p1", "key": "fans", "targetId": "a1"}],
}
FANS = {"__type": "Relation", "className": "Author"}


def make_api() -> Api:
    db = querylang.connect()
    db.load(copy.deepcopy(DOC))
    return Api(db, ServerConfig(app_id="app", master_key="master"))


@pytest.fixture(scope="module")
def api() -> Api:
    return make_api()


def get(api: Api, path: str, access: Access = MASTER, **params: Any) -> Any:
    status, body, _ = api.route("GET", path, params, access, "http://x/parse")
    assert status == 200
    return body


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("params", [{"include": "post"}, {"keys": "post.title"}, {"include": "post", "keys": "post"}])
def test_an_included_record_carries_its_relation_markers(api: Api, access: Access, params: dict[str, str]) -> None:
    """Found by comparing with Parse Server 9: an included record came without the markers of
    its class's Relation fields (GET /classes/Comment?include=post gave post without "fans"),
    where Parse adds them to embedded records as to top-level ones; the JS SDK's
    comment.get('post').get('fans') was then undefined instead of a ParseRelation."""
    post = get(api, "/classes/Comment", access, **params)["results"][0]["post"]
    assert post["fans"] == FANS
    assert get(api, "/classes/Comment/c1", access, **params)["post"]["fans"] == FANS


def test_exclude_keys_keeps_relation_markers(api: Api) -> None:
    """Found by comparing with Parse Server 9: excludeKeys=fans left the marker out
    (GET /classes/Post?excludeKeys=fans gave no "fans"), where Parse adds the markers after its
    projection and answers "fans": {"__type": "Relation", ...}; inside an included record too."""
    post = get(api, "/classes/Post", excludeKeys="fans,title")["results"][0]
    assert post["fans"] == FANS and "title" not in post
    assert get(api, "/classes/Post/p1", excludeKeys="fans")["fans"] == FANS
    embedded = get(api, "/classes/Comment", excludeKeys="post.fans,post.title")["results"][0]["post"]
    assert embedded["fans"] == FANS and "title" not in embedded


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_an_embedded_record_narrowed_by_keys_answers_its_acl(api: Api, access: Access) -> None:
    """Found by comparing with Parse Server 9: keys=post.title answered the embedded post
    without its ACL (for a client the ACL was read, to decide whether the post shows, then
    dropped), where Parse answers ACL as one of its always-selected keys, in an embedded
    record too; the JS SDK's comment.get('post').getACL() was null."""
    acl = {"*": {"read": True, "write": True}}
    post = get(api, "/classes/Comment", access, keys="post.title")["results"][0]["post"]
    assert post["title"] == "alpha" and post["ACL"] == acl
    post = get(api, "/classes/Comment/c1", access, keys="post.author.name")["post"]
    assert post["ACL"] == acl and post["author"]["ACL"] == {"*": {"read": True}} and post["author"]["name"] == "Ada"


@pytest.mark.parametrize("op", ["Add", "AddUnique"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_add_refuses_a_nested_key_with_a_dollar_or_a_dot(api: Api, op: str, method: str) -> None:
    """Found by comparing with Parse Server 9: {"tags": {"__op": "Add", "objects": [{"$x": 1}]}}
    was stored (201) where Parse answers a create with it 121 "Nested keys should not contain
    the '$' or '.' characters", as serve answers the same Array written whole; a dotted key
    there was the library's 107 instead of 121. Nothing is written."""
    before = get(api, "/classes/Post/p1")
    path = "/classes/Post" if method == "POST" else "/classes/Post/p1"
    for objects in ([{"$x": 1}], ["ok", {"a": [{"b.c": 1}]}]):
        body = {"title": "changed", "tags": {"__op": op, "objects": objects}}
        with pytest.raises(ParseError) as err:
            api.route(method, path, body, MASTER, "http://x/parse")
        assert err.value.code == 121 and err.value.message.startswith("Post.tags: Nested keys should not contain")
    assert get(api, "/classes/Post/p1") == before
    assert get(api, "/classes/Post", count=1, limit=0)["count"] == 1


def test_a_relation_marker_sent_back_leaves_the_relation_as_it_is(api: Api) -> None:
    """Found by comparing with Parse Server 9: a record sent back as a read answered it
    (PUT /classes/Post/p1 {"fans": {"__type": "Relation", "className": "Author"}, "title": ...})
    was refused with 111, where Parse keeps the Relation as it is and writes the other fields;
    a marker of another class stays a mismatch (111), and then nothing is written."""
    marker = {"__type": "Relation", "className": "Author"}
    try:
        status, _, _ = api.route("PUT", "/classes/Post/p1", {"fans": marker, "title": "again"}, MASTER, "http://x/parse")
        assert status == 200 and get(api, "/classes/Post/p1")["title"] == "again"
        fans = {"$relatedTo": {"object": {"__type": "Pointer", "className": "Post", "objectId": "p1"}, "key": "fans"}}
        assert [a["objectId"] for a in get(api, "/classes/Author", where=fans)["results"]] == ["a1"]
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Post/p1", {"fans": {**marker, "className": "Comment"}, "title": "no"}, MASTER, "http://x/parse")
        assert (err.value.code, err.value.message) == (
            111, "schema mismatch for Post.fans; expected Relation<Author> but got Relation<Comment>")
        assert get(api, "/classes/Post/p1")["title"] == "again"
    finally:
        api.route("PUT", "/classes/Post/p1", {"title": "alpha"}, MASTER, "http://x/parse")


def test_an_update_may_name_the_records_own_object_id(api: Api) -> None:
    """Found by comparing with Parse Server 9: PUT /classes/Comment/c1 {"objectId": "c1",
    "text": ...} (the record sent back with its id) was refused with 105 "objectId cannot be
    changed", where Parse writes the other fields; another id is still refused, changing nothing."""
    try:
        status, _, _ = api.route("PUT", "/classes/Comment/c1", {"objectId": "c1", "text": "again"}, MASTER, "http://x/parse")
        assert status == 200 and get(api, "/classes/Comment/c1")["text"] == "again"
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Comment/c1", {"objectId": "c2", "text": "no"}, MASTER, "http://x/parse")
        assert (err.value.code, err.value.message) == (105, "objectId cannot be changed")
        assert get(api, "/classes/Comment/c1")["text"] == "again" and get(api, "/classes/Comment", count=1, limit=0)["count"] == 1
    finally:
        api.route("PUT", "/classes/Comment/c1", {"text": "one"}, MASTER, "http://x/parse")


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_a_sub_query_of_a_relation_with_an_unknown_target_is_redirected(api: Api, access: Access) -> None:
    """Found by comparing with Parse Server 9: matchesQuery('author', post.relation('fans').query())
    of an unfetched post sends $inQuery {className: "Post", redirectClassNameForKey: "fans", where:
    {$relatedTo: ...}} (the SDK does not know the Relation's target), and serve ran the sub-query
    on Post (107 "'author' points to Author, not Post"), where Parse runs it on the target, Author."""
    fans = {"className": "Post", "redirectClassNameForKey": "fans",
            "where": {"$relatedTo": {"object": {"__type": "Pointer", "className": "Post", "objectId": "p1"}, "key": "fans"}}}
    for where in ({"author": {"$inQuery": fans}}, {"$or": [{"author": {"$inQuery": fans}}]},
                  {"name": {"$select": {"query": fans, "key": "name"}}}):
        cls = "Author" if "name" in where else "Post"
        assert [r["objectId"] for r in get(api, f"/classes/{cls}", access, where=where)["results"]] == ["p1" if cls == "Post" else "a1"]
    assert get(api, "/classes/Post", access, where={"author": {"$notInQuery": fans}})["results"] == []


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_redirect_class_name_for_key_is_read_as_parse_reads_it(api: Api, access: Access) -> None:
    """Found by sending both servers the same query strings: redirectClassNameForKey=["fans"]
    answered Posts, where Parse Server 9 takes String(["fans"]), "fans", and answers the
    Relation's Authors; ={} answered the Posts without "className", where Parse's
    String({}), "[object Object]", names no Relation and each Post says its class. [] is "",
    no key (as 0 and false): Posts without "className". Inside a sub-query too."""
    def find(**params: Any) -> list[tuple[str, Any]]:
        return [(r["objectId"], r.get("className")) for r in get(api, "/classes/Post", access, keys="objectId", **params)["results"]]

    for key in (["fans"], [["fans"]], "fans"):
        assert find(redirectClassNameForKey=key) == [("a1", "Author")], key
    for key in ({}, "title", 1, [["x"], "y"]):
        assert find(redirectClassNameForKey=key) == [("p1", "Post")], key
    for key in ([], [None], 0, False, "", None):
        assert find(redirectClassNameForKey=key) == [("p1", None)], key
    fans = {"className": "Post", "redirectClassNameForKey": ["fans"],
            "where": {"$relatedTo": {"object": {"__type": "Pointer", "className": "Post", "objectId": "p1"}, "key": "fans"}}}
    assert [r["objectId"] for r in get(api, "/classes/Post", access, where={"author": {"$inQuery": fans}})["results"]] == ["p1"]


def test_master_key_routes_answer_permission_denied_as_parse_9_does() -> None:
    """Found by sending both servers the same requests without the master key: GET /schemas,
    GET /schemas/:class and PUT /config answered 403 {"error": "unauthorized: master key is
    required"}, and inside a batch {"code": 119, "error": ...}, where Parse Server 9 answers 403
    {"error": "Permission denied"}, and in a batch {"error": {"error": "Permission denied"}},
    without a code (its sanitized errors, on by default)."""
    api = make_api()
    for method, path, body in (("GET", "/schemas", {}), ("GET", "/schemas/Comment", {}), ("PUT", "/config", {"params": {"a": 1}}),
                               ("POST", "/schemas/Zed", {}), ("DELETE", "/schemas/Comment", {})):
        with pytest.raises(Unauthorized) as err:
            api.route(method, path, body, CLIENT, "http://x/parse")
        assert err.value.body() == {"error": "Permission denied"}, path
        status, answer, _ = api.route("POST", "/batch", {"requests": [{"method": method, "path": "/parse" + path, "body": body}]},
                                      CLIENT, "http://x/parse")
        assert (status, answer) == (200, [{"error": {"error": "Permission denied"}}]), path
    assert "Parse_GlobalConfig" not in api.db.schema.classes
    with pytest.raises(ParseError) as err:  # a schema route this server lacks: 108 to the master key only
        api.route("POST", "/schemas/Zed", {}, MASTER, "http://x/parse")
    assert err.value.code == 108


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_order_is_read_as_parse_reads_it(access: Access) -> None:
    """Found by sending both servers the same query strings: order={} was taken for no order
    and order=true or 5 refused as 107 "order must be a string or a list of strings", where
    Parse Server 9 takes String(order) when it is true as JavaScript reads it: "[object
    Object]", "true", "5", fields the class does not have (105); [["-n"], "k"] is "-n,k"."""
    db = querylang.connect()
    db.load({"classes": {"Item": {"fields": {"n": {"type": "Number"}, "k": {"type": "String"}}}},
             "records": {"Item": [{"objectId": f"i{n}", "n": n % 3, "k": f"{9 - n}"} for n in range(5)]}})
    api = Api(db, ServerConfig(app_id="app", master_key="master"))

    def ids(order: Any) -> list[str]:
        return [r["objectId"] for r in get(api, "/classes/Item", access, order=order)["results"]]

    assert ids([["-n"], "k"]) == ids("-n,k") == ["i2", "i4", "i1", "i3", "i0"]
    assert ids(["k"]) == ids("k") == ["i4", "i3", "i2", "i1", "i0"]
    assert ids(0) == ids(False) == ids(None) == ids("")
    for order, field in (({}, "[object Object]"), (True, "true"), (5, "5"), ([1, 2], "1")):
        with pytest.raises(ParseError) as err:
            ids(order)
        assert err.value.code == 105 and field in err.value.message, order


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("order", ["-title,", ",title", "title,,author", "title, ,author", "-", "- ", ["title", ""], ","])
def test_an_order_with_an_empty_key_is_105(api: Api, access: Access, order: Any) -> None:
    """Found by sending both servers the same query strings: order=-title, (or ,title, or
    title,,author) sorted by the keys it names, the empty one skipped, where Parse Server 9
    trims each item and sorts by it, the empty name too: 105 "Invalid field name: ."."""
    with pytest.raises(ParseError) as err:
        get(api, "/classes/Post", access, order=order)
    assert err.value.code == 105 and "cannot sort by ''" in err.value.message
    assert "holds an empty key" in err.value.message or order == "-"
    assert len(get(api, "/classes/Post", access, order=" -title , author ")["results"]) == 1


def test_a_batch_routes_config_and_schemas() -> None:
    """Found by comparing with Parse Server 9: POST /batch {"requests": [{"method": "GET",
    "path": "/parse/config"}]} was refused whole, 107 "cannot route batch path", where Parse's
    batch reaches every route of its API and answers [{"success": {"params": {}}}]. PUT /config
    in a batch is the master key's only, as the route alone; /health is no batch route there."""
    api = make_api()  # a PUT /config adds a class

    def batch(access: Access, *requests: dict[str, Any]) -> Any:
        status, answer, _ = api.route("POST", "/batch", {"requests": list(requests)}, access, "http://x/parse")
        assert status == 200
        return answer

    put = {"method": "PUT", "path": "/parse/config", "body": {"params": {"greeting": "hi"}}}
    assert batch(CLIENT, put, {"method": "GET", "path": "/parse/config"}) == [
        {"error": {"error": "Permission denied"}}, {"success": {"params": {}}}]
    assert batch(MASTER, put, {"method": "GET", "path": "/parse/config"}) == [
        {"success": {"result": True}}, {"success": {"params": {"greeting": "hi"}, "masterKeyOnly": {"greeting": False}}}]
    got = batch(MASTER, {"method": "GET", "path": "/parse/schemas/Comment"})
    assert got[0]["success"]["className"] == "Comment"
    # Parse routes only paths under its mount: `/classes/Post` sent to a server mounted at
    # /parse was answered as `/parse/classes/Post` (found by comparing with Parse Server 9).
    # Parse's two words for it: a path outside its API's, and one inside that reaches no route.
    for path, message in (("/parse/health", "cannot route GET /health"), ("/parse/elsewhere", "cannot route GET /elsewhere"),
                          ("/parse/batch", "cannot route GET /batch"), ("", "cannot route batch path "),
                          ("/classes/Post", "cannot route batch path /classes/Post"), ("/config", "cannot route batch path /config"),
                          ("/parsec/config", "cannot route GET /c/config")):
        with pytest.raises(ParseError) as err:
            batch(MASTER, {"method": "GET", "path": path})
        assert (err.value.code, err.value.message) == (107, message)


def test_schemas_list_acl_only_in_classes_that_hold_acls(api: Api) -> None:
    """Found by comparing with Parse Server 9: GET /schemas/Comment listed "ACL": {"type":
    "ACL"} for a class without an ACL field, so a client that trusted it and wrote an ACL got
    119 "class Comment has no ACL field". (Noodl's editor and the JS SDK read the fields as a
    map and drop ACL themselves, so leaving it out changes nothing for them.)"""
    always = {"objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"}}
    comment = get(api, "/schemas/Comment")["fields"]
    assert comment == {**always, "text": {"type": "String"}, "post": {"type": "Pointer", "targetClass": "Post"}}
    assert get(api, "/schemas/Author")["fields"] == {**always, "ACL": {"type": "ACL"}, "name": {"type": "String"}}
    listed = {s["className"]: s["fields"] for s in get(api, "/schemas")["results"]}
    assert "ACL" not in listed["Comment"] and listed["Post"]["ACL"] == {"type": "ACL"}
    with pytest.raises(ParseError) as err:
        api.route("POST", "/classes/Comment", {"text": "t", "ACL": {"*": {"read": True}}}, MASTER, "http://x/parse")
    assert err.value.code == 119


def test_schemas_name_an_acl_kept_in_an_object_field_acl() -> None:
    """With --acl-field acl (an Object field), the class lists ACL, not acl: reads answer and
    writes take the ACL under that name."""
    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"title": {"type": "String"}, "acl": {"type": "Object"}}}}, "records": {"Note": []}})
    api = Api(db, ServerConfig(app_id="app", master_key="master", acl_field="acl"))
    fields = get(api, "/schemas/Note")["fields"]
    assert fields["ACL"] == {"type": "ACL"} and "acl" not in fields and fields["title"] == {"type": "String"}


ITEMS: dict[str, Any] = {
    "classes": {"Item": {"fields": {"n": {"type": "Number"}, "ACL": {"type": "ACL"}}}, "Plain": {"fields": {"n": {"type": "Number"}}}},
    "records": {"Item": [{"objectId": f"i{k}", "n": k, "ACL": {"*": {"read": True}}} for k in range(5)],
                "Plain": [{"objectId": f"p{k}", "n": k} for k in range(5)]},
}


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("cls", ["Item", "Plain"])
def test_limit_and_skip_with_a_fraction_are_rounded_as_parse_does(access: Access, cls: str) -> None:
    """Found by comparing with Parse Server 9 (on PostgreSQL): limit=1.5 was 107 "limit must be
    a whole number", where Parse puts Number(limit) into its LIMIT and PostgreSQL rounds it,
    halves away from zero: 2 records (0.4 gives none; skip likewise, also as text in a JSON
    body). Text that is no number and negative numbers stay refused with the library's 107 and
    102, where Parse answers 500."""
    db = querylang.connect()
    db.load(copy.deepcopy(ITEMS))
    api = Api(db, ServerConfig(app_id="app", master_key="master"))

    def ns(**params: Any) -> list[int]:
        return [r["n"] for r in get(api, f"/classes/{cls}", access, order="n", **params)["results"]]

    assert ns(limit=1.5) == ns(limit="1.5") == ns(limit="15e-1") == [0, 1]
    assert ns(limit=2.5) == [0, 1, 2] and ns(limit=0.4) == ns(limit=-0.4) == []
    assert ns(skip=0.5, limit=1) == [1] and ns(skip="2.5") == [3, 4] and ns(skip=0.4) == [0, 1, 2, 3, 4]
    assert get(api, f"/classes/{cls}", access, limit=0.4, count=1) == {"results": [], "count": 5}
    for params, code in (({"limit": "abc"}, 107), ({"limit": -1.5}, 102), ({"skip": -0.5}, 102), ({"limit": "1e400"}, 107)):
        with pytest.raises(ParseError) as err:
            get(api, f"/classes/{cls}", access, **params)
        assert err.value.code == code, params


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("cls", ["Item", "Plain"])
def test_limit_and_skip_are_read_as_javascript_numbers_as_parse_does(access: Access, cls: str) -> None:
    """Found by sending both servers the same query strings: limit=[2] (a JSON array, as a
    query string or in a POST's _method GET body) was 107 "limit must be a whole number", where
    Parse Server 9 takes Number(body.limit): [2], ["2"] and [[2]] are 2, [] and [null] are 0,
    "0x2" is 2, " 2 " is 2; skip=[3] skips 3. What Number() makes no finite number ("5abc",
    [1, 2], {}, [true], "Infinity") stays 107 naming the parameter, where Parse answers 500."""
    db = querylang.connect()
    db.load(copy.deepcopy(ITEMS))
    api = Api(db, ServerConfig(app_id="app", master_key="master", default_limit=4))

    def ns(**params: Any) -> list[int]:
        return [r["n"] for r in get(api, f"/classes/{cls}", access, order="n", **params)["results"]]

    for two in ([2], ["2"], [[2]], "0x2", " 2 ", "0b10", [" 2"], 2.0):
        assert ns(limit=two) == [0, 1], two
    for zero in ([], [None], [[]], "0", 0, 0.0, " "):
        assert ns(limit=zero) == [], zero
    assert ns(skip=[3]) == [3, 4] and ns(skip=["1.5"]) == [2, 3, 4] and ns(skip=[], limit=[1]) == [0]
    assert ns(limit=[1.5]) == [0, 1] and ns(limit=None) == ns(limit="") == [0, 1, 2, 3]
    for bad in ("5abc", [1, 2], {}, [True], "Infinity", [{}], "1_0", "2n"):
        for name in ("limit", "skip"):
            with pytest.raises(ParseError) as err:
                get(api, f"/classes/{cls}", access, **{name: bad})
            assert err.value.code == 107 and err.value.message.startswith(f"{name} must be a whole number, got "), (name, bad)
    with pytest.raises(ParseError) as err:
        get(api, f"/classes/{cls}", access, limit=[-1])
    assert err.value.code == 102


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("cls", ["Item", "Plain"])
def test_boolean_limit_skip_and_count_are_read_as_parse_reads_them(access: Access, cls: str) -> None:
    """limit=true answered 107 "limit must be a whole number" (skip=true too), where Parse
    Server 9 (ClassesRouter.optionsFromBody) takes Number(true), 1, and reads false as no value:
    the default limit, no skip. count is JavaScript's truth there, so count=[] counts."""
    db = querylang.connect()
    db.load(copy.deepcopy(ITEMS))
    api = Api(db, ServerConfig(app_id="app", master_key="master", default_limit=3))

    def ns(**params: Any) -> list[int]:
        return [r["n"] for r in get(api, f"/classes/{cls}", access, order="n", **params)["results"]]

    assert ns(limit=True) == [0] and ns(limit=False) == [0, 1, 2]
    assert ns(skip=True) == [1, 2, 3] and ns(skip=False) == [0, 1, 2] and ns(skip=True, limit=True) == [1]
    for count in (True, [], {}, "0", 1):
        assert get(api, f"/classes/{cls}", access, count=count, limit=0) == {"results": [], "count": 5}, count
    for count in (False, 0, "", None):
        assert get(api, f"/classes/{cls}", access, count=count, limit=0) == {"results": []}, count


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_include_all_adds_to_include_and_keys_as_parse_does(api: Api, access: Access) -> None:
    """includeAll replaced include with every Pointer one level (include=post.author was
    dropped) and left keys alone (keys=text answered no Pointer), where Parse Server 9's
    RestQuery.handleIncludeAll adds every Pointer and Array field to include, beside the paths
    given, and to keys when keys are given."""
    comment = get(api, "/classes/Comment", access, includeAll=True, include="post.author")["results"][0]
    assert comment["post"]["author"]["name"] == "Ada" and comment["post"]["title"] == "alpha"
    comment = get(api, "/classes/Comment", access, includeAll=True, keys="text")["results"][0]
    assert set(comment) == {"objectId", "createdAt", "updatedAt", "text", "post"}
    assert comment["post"]["title"] == "alpha" and comment["post"]["__type"] == "Object"
    post = get(api, "/classes/Post", access, includeAll="1", keys="title")["results"][0]
    assert post["author"]["name"] == "Ada" and post["title"] == "alpha" and "tags" not in post  # p1 has no tags
    assert get(api, "/classes/Comment", access, includeAll=[], keys="text")["results"][0]["post"]["__type"] == "Object"
    assert get(api, "/classes/Comment", access, includeAll=0, keys="text")["results"][0].keys() == {
        "objectId", "createdAt", "updatedAt", "text"}


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_server_dates_sent_back_are_checked_and_ignored(method: str) -> None:
    """Found by comparing with Parse Server 9: PUT /classes/Comment/c1 {"createdAt": {"__type":
    "Date", "iso": ...}, "text": ...} was refused with 105 "createdAt is set by the server",
    where Parse checks both dates as the Date fields they are, then sets them itself (RestWrite:
    "Ignore createdAt when update"; updatedAt is the write's time) and answers 200, and a create
    likewise. A value that is no Date is 111 as Parse says it, and changes nothing."""
    api = make_api()
    old = get(api, "/classes/Comment/c1")
    date = {"__type": "Date", "iso": "2001-02-03T04:05:06.789Z"}
    path = "/classes/Comment" if method == "POST" else "/classes/Comment/c1"
    body = {"text": "again", "createdAt": date, "updatedAt": date}
    status, answer, _ = api.route(method, path, body, MASTER, "http://x/parse")
    assert status == (201 if method == "POST" else 200)
    written = get(api, f"/classes/Comment/{answer.get('objectId', 'c1')}")
    assert written["text"] == "again" and "2001" not in written["createdAt"] + written["updatedAt"]
    if method == "PUT":
        assert written["createdAt"] == old["createdAt"] and written["updatedAt"] == answer["updatedAt"]
    before = get(api, "/classes/Comment", count=1)
    for bad, message in (({"updatedAt": "2020-01-01T00:00:00.000Z"}, "expected Date but got String"),
                         ({"createdAt": 5}, "expected Date but got Number"),
                         ({"createdAt": {"__type": "Date", "iso": "soon"}}, "this is not a valid Date")):
        with pytest.raises(ParseError) as err:
            api.route(method, path, {"text": "no", **bad}, MASTER, "http://x/parse")
        assert err.value.code == 111 and message in err.value.message
    assert get(api, "/classes/Comment", count=1) == before


def test_a_batch_request_to_a_parse_route_this_server_lacks_fails_alone() -> None:
    """A batch holding a request for a route of Parse's API that serve does not have (a user's
    sign-up through /users, a Cloud function) was refused whole, 107 "cannot route batch
    path", so the batch's other requests never ran; Parse runs each request of a batch on its
    own. That request now fails alone, as it does sent by itself (108), and the others run."""
    api = make_api()
    requests = [{"method": "POST", "path": "/parse/users", "body": {"username": "u", "password": "p"}},
                {"method": "POST", "path": "/parse/classes/Comment", "body": {"text": "kept"}},
                {"method": "POST", "path": "/parse/functions/hello"}]
    status, answer, _ = api.route("POST", "/batch", {"requests": requests}, MASTER, "http://x/parse")
    assert status == 200
    assert answer[0] == {"error": {"code": 108, "error": "this server does not serve POST /users"}}
    assert set(answer[1]["success"]) == {"objectId", "createdAt"}
    assert answer[2] == {"error": {"code": 108, "error": "this server does not serve POST /functions/hello"}}
    found = get(api, "/classes/Comment", MASTER, where={"text": "kept"})["results"]
    assert [r["objectId"] for r in found] == [answer[1]["success"]["objectId"]]



def test_route_names_are_read_case_blind_as_parse_does(api: Api) -> None:
    """Found by sending both servers the same requests: GET /parse/CLASSES/Comment/c1 and GET
    /parse/Config were 404 108 "this server does not serve", where Parse Server's router (Express)
    matches its route names case-blind and answers them; a class name keeps its case."""
    assert get(api, "/CLASSES/Comment/c1")["objectId"] == "c1"
    assert get(api, "/Classes/Comment")["results"][0]["objectId"] == "c1"
    assert get(api, "/Config") == {"params": {}}
    assert get(api, "/classes/comment") == {"results": []}  # no such class: as Parse, nothing found


def test_a_bad_date_inside_an_object_or_array_is_111_as_on_a_date_field() -> None:
    """A Date whose iso names no date inside an Object or Array value was the library's 107 ("the
    Date object at when is no date"), where the same Date on a Date field is 111. Parse Server
    takes it unchecked (201; on PostgreSQL the object is kept as it came, on MongoDB it becomes
    1970-01-01, BSON's 0 for an Invalid Date): refused here, 111 as on a Date field, naming its
    place, and nothing is written, also through Add and AddUnique."""
    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"meta": {"type": "Object"}, "tags": {"type": "Array"}, "d": {"type": "Date"}}}},
             "records": {"Note": [{"objectId": "n1", "tags": []}]}})
    api = Api(db, ServerConfig(app_id="app", master_key="master"))
    bad = {"__type": "Date", "iso": "nope"}
    for path, body, message in (
        ("/classes/Note", {"meta": {"when": bad}}, "Note.meta: this is not a valid Date: its iso 'nope' at when is no ISO-8601 date"),
        ("/classes/Note", {"tags": [1, {"a": [bad]}]}, "Note.tags: this is not a valid Date: its iso 'nope' at [1].a[0] is no ISO-8601 date"),
        ("/classes/Note", {"meta": {"w": {"__type": "Date"}}}, "Note.meta: this is not a valid Date at w (a Date is {__type: 'Date', iso: string})"),
        ("/classes/Note/n1", {"meta": {"w": {"__type": "Date", "iso": "2020-13-01"}}},
         "Note.meta: this is not a valid Date: its iso '2020-13-01' at w is no ISO-8601 date"),
        ("/classes/Note/n1", {"tags": {"__op": "Add", "objects": [bad]}},
         "Note.tags (Add): this is not a valid Date: its iso 'nope' at [0] is no ISO-8601 date"),
        ("/classes/Note/n1", {"tags": {"__op": "AddUnique", "objects": [{"x": bad}]}},
         "Note.tags (AddUnique): this is not a valid Date: its iso 'nope' at [0].x is no ISO-8601 date"),
        ("/classes/Note", {"d": bad}, "Note.d: this is not a valid Date: its iso 'nope' is no ISO-8601 date"),
    ):
        with pytest.raises(ParseError) as err:
            api.route("POST" if path == "/classes/Note" else "PUT", path, body, MASTER, "http://x/parse")
        assert (err.value.code, err.value.message) == (111, message), body
    assert get(api, "/classes/Note", count=1)["results"] == [{**get(api, "/classes/Note/n1")}] and db.count("Note") == 1
    good = {"__type": "Date", "iso": "2020-01-02T03:04:05.678Z"}
    api.route("PUT", "/classes/Note/n1", {"meta": {"when": good}, "tags": [good]}, MASTER, "http://x/parse")
    assert get(api, "/classes/Note/n1")["meta"] == {"when": good}


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_a_field_written_null_is_answered_null_and_a_deleted_one_left_out(access: Access) -> None:
    """Found by sending both servers the same writes: {"text": null} on create (or update) then
    GET answered no "text", as Parse Server on PostgreSQL does, where Parse Server on MongoDB,
    whose meaning this project follows, answers "text": null; a {"__op": "Delete"} is MongoDB's
    $unset there, answered without the field (it was written null here, no other way to take a
    value away). A record's missing ACL stays left out."""
    api = make_api()
    _, made, _ = api.route("POST", "/classes/Comment", {"text": None, "post": None}, MASTER, "http://x/parse")
    oid = made["objectId"]
    c = get(api, f"/classes/Comment/{oid}", access)
    assert c["text"] is None and c["post"] is None
    assert [r for r in get(api, "/classes/Comment", access, where={"objectId": oid})["results"]] == [c]
    assert get(api, f"/classes/Comment/{oid}", access, keys="text") == {k: c[k] for k in ("objectId", "createdAt", "updatedAt", "text")}
    api.route("PUT", f"/classes/Comment/{oid}", {"text": {"__op": "Delete"}, "post": {"__op": "Delete"}}, MASTER, "http://x/parse")
    assert set(get(api, f"/classes/Comment/{oid}", access)) == {"objectId", "createdAt", "updatedAt"}
    api.route("PUT", "/classes/Comment/c1", {"text": None}, MASTER, "http://x/parse")
    assert get(api, "/classes/Comment/c1", access)["text"] is None
    _, made, _ = api.route("POST", "/classes/Comment", {"text": {"__op": "Delete"}}, MASTER, "http://x/parse")
    assert "text" not in get(api, f"/classes/Comment/{made['objectId']}", access)
    _, made, _ = api.route("POST", "/classes/Post", {"title": "t", "ACL": None}, MASTER, "http://x/parse")
    assert "ACL" not in get(api, f"/classes/Post/{made['objectId']}", access) and get(api, f"/classes/Post/{made['objectId']}")["title"] == "t"


def test_batch_paths_are_resolved_and_routed_as_parse_does() -> None:
    """Found by sending both servers the same batches: a path with "." or ".." segments or
    doubled slashes was answered 108 or refused whole (/parse/classes/Post/./p1,
    /parse/../classes/Post/p1, /parse//classes/Post), "/parse/classes/Post/." was the get of the
    objectId ".", /parse/classes/../health ran as a find of the class "..", and GET
    /parse/classes or a method "get" ran (or failed) alone; Parse Server 9 resolves the segments
    after its API's path (path.posix.join, never above it), then refuses the whole batch for a
    request that reaches none of its routes, in its own words."""
    api = make_api()

    def batch(*requests: dict[str, Any]) -> Any:
        return api.route("POST", "/batch", {"requests": list(requests)}, MASTER, "http://x/parse")[1]

    def one(path: str, method: str = "GET") -> Any:
        return batch({"method": method, "path": path})[0]

    for path in ("/parse/classes/Comment/./c1", "/parse/../classes/Comment/c1", "/parse/classes/Comment/x/../c1",
                 "/parse//classes//Comment//c1", "/parse/classes/Comment/c1/", "/parse/CLASSES/Comment/c1"):
        assert one(path)["success"]["objectId"] == "c1", path
    for path in ("/parse/classes/Comment/.", "/parse/classes/Comment/c1/..", "/parse/classes/./Comment"):
        assert [r["objectId"] for r in one(path)["success"]["results"]] == ["c1"], path
    assert one("/parse/classes/Comment/%2E") == {"error": {"code": 101, "error": "Object not found."}}  # the objectId "."
    assert one("/parse/classes/../schemas/Comment")["success"]["className"] == "Comment"
    assert one("/parse/classes/../users")["error"]["code"] == 108  # Parse's route, which this server lacks
    before = get(api, "/classes/Comment", count=1, limit=0)["count"]
    create = {"method": "POST", "path": "/parse/classes/Comment", "body": {"text": "not made"}}
    for request, message in (
        ({"method": "GET", "path": "/parse/classes/../health"}, "cannot route GET /health"),
        ({"method": "GET", "path": "/parse/classes"}, "cannot route GET /classes"),
        ({"method": "GET", "path": "/parse/classes/Comment/c1/more"}, "cannot route GET /classes/Comment/c1/more"),
        ({"method": "PUT", "path": "/parse/classes/Comment", "body": {}}, "cannot route PUT /classes/Comment"),
        ({"method": "get", "path": "/parse/classes/Comment/c1"}, "cannot route get /classes/Comment/c1"),
        ({"path": "/parse/classes/Comment/c1"}, "cannot route undefined /classes/Comment/c1"),
        ({"method": "GET", "path": "/parseX/classes/Comment"}, "cannot route GET /X/classes/Comment"),
        ({"method": "POST", "path": "/parse/classes/../batch", "body": {"requests": []}}, "nested batch requests are not allowed"),
        ({"method": "GET", "path": 5}, "batch request path must be a string"),
    ):
        with pytest.raises(ParseError) as err:
            batch(create, request)
        assert (err.value.code, err.value.message) == (107, message), request
    assert get(api, "/classes/Comment", count=1, limit=0)["count"] == before  # refused whole: nothing ran
    assert one("/parse/classes/Comment/c1", "GET") == batch({"method": "GET", "path": "/parse/classes/Comment/c1", "body": None})[0]


def test_a_nested_batch_is_refused_in_parses_words() -> None:
    """A batch inside a batch answered 107 "cannot route batch path /parse/batch", where Parse
    Server 9 (batch.js) answers 107 "nested batch requests are not allowed"."""
    api = make_api()
    for method in ("POST", "post"):
        with pytest.raises(ParseError) as err:
            api.route("POST", "/batch", {"requests": [{"method": method, "path": "/parse/batch", "body": {"requests": []}}]},
                      MASTER, "http://x/parse")
        assert (err.value.code, err.value.message) == (107, "nested batch requests are not allowed")
    with pytest.raises(ParseError) as err:  # no route, as Parse answers it: not a nested batch
        api.route("POST", "/batch", {"requests": [{"method": "GET", "path": "/parse/batch"}]}, MASTER, "http://x/parse")
    assert (err.value.code, err.value.message) == (107, "cannot route GET /batch")


@pytest.mark.parametrize("access", [MASTER, Access(master=False, can_write=True)], ids=["master", "client"])
def test_a_delete_of_a_field_the_class_lacks_changes_nothing(access: Access) -> None:
    """Found by sending both servers the same writes: {"nope": {"__op": "Delete"}} (the JS SDK's
    unset('nope')) on a class without the field was 105 "Invalid field name: nope.", where Parse
    Server leaves it out of a create and answers an update as done on MongoDB (its PostgreSQL
    adapter answers 500); the field is not added. A name no field may have is still 105."""
    api = make_api()
    delete = {"__op": "Delete"}
    status, made, _ = api.route("POST", "/classes/Post", {"title": "beta", "nope": delete}, access, "http://x/parse")
    assert status == 201
    status, answer, _ = api.route("PUT", f"/classes/Post/{made['objectId']}", {"nope": delete, "title": delete}, access,
                                  "http://x/parse")
    assert status == 200 and set(answer) == {"updatedAt"}
    record = get(api, f"/classes/Post/{made['objectId']}")
    assert "title" not in record and "nope" not in record
    assert "nope" not in api.db.schema.get("Post").fields
    for name in ("bad-name", "nope.x", "_nope"):
        with pytest.raises(ParseError) as err:
            api.route("PUT", f"/classes/Post/{made['objectId']}", {name: delete}, access, "http://x/parse")
        assert err.value.code == 105, name


SYSTEM_DOC: dict[str, Any] = {
    "classes": {"_Installation": {"fields": {"deviceType": {"type": "String"}}},
                "_Session": {"fields": {"note": {"type": "String"}}},
                "Post": {"fields": {"title": {"type": "String"}}}},
    "records": {"_Installation": [{"objectId": "i1", "deviceType": "ios"}], "_Session": [{"objectId": "s1", "note": "ios"}],
                "Post": [{"objectId": "p1", "title": "ios"}]},
}  # fmt: skip
WRITER = Access(master=False, can_write=True)


@pytest.mark.parametrize("access", [CLIENT, WRITER], ids=["client", "client-writes"])
@pytest.mark.parametrize(("cls", "code", "words"), [
    ("_Installation", 119, {}),
    ("_Session", 209, {"POST": "Session token required.", "PUT": "Session token required."}),
])
def test_a_master_only_class_refuses_a_client_as_parse_9_does(access: Access, cls: str, code: int, words: dict[str, str]) -> None:
    """Found by comparing with Parse Server 9: a client's request to a class served to the master
    key only was 119 "Clients aren't allowed to perform this operation on the _Session class."
    (a write without --allow-client-writes: "Permission denied for action create on class
    _Session."), and a sub-query there answered no records, where Parse answers 119 "Permission
    denied", and for _Session 209 (its create and update "Session token required."), a batch's
    requests and a sub-query too. Nothing is written."""
    db = querylang.connect()
    db.load(copy.deepcopy(SYSTEM_DOC))
    api = Api(db, ServerConfig(app_id="app", master_key="master", allow_client_writes=True))
    sub = {"title": {"$select": {"query": {"className": cls}, "key": "deviceType" if cls == "_Installation" else "note"}}}
    calls = [("GET", f"/classes/{cls}", {}), ("GET", f"/classes/{cls}/x", {}), ("POST", f"/classes/{cls}", {}),
             ("PUT", f"/classes/{cls}/x", {}), ("DELETE", f"/classes/{cls}/x", {}), ("GET", "/classes/Post", {"where": sub})]
    for method, path, params in calls:
        want = {"code": code, "error": words.get(method, "Permission denied")}
        with pytest.raises(ParseError) as err:
            api.route(method, path, params, access, "http://x/parse")
        assert err.value.body() == want and err.value.status == 400, (method, path)
        _, answer, _ = api.route("POST", "/batch", {"requests": [{"method": method, "path": "/parse" + path, "body": params}]},
                                 access, "http://x/parse")
        assert answer == [{"error": want}], (method, path)
    assert db.count(cls) == 1
    assert get(api, "/classes/Post", MASTER, where=sub)["results"][0]["objectId"] == "p1"


def test_a_date_with_more_keys_inside_an_object_is_kept_as_sent() -> None:
    """Checked against Parse Server 9 on PostgreSQL: a Date carrying more keys inside an Object
    or Array value ({"__type": "Date", "iso", "x"}) is stored and answered as it came, its iso
    as sent, the extra keys kept (serve answers the same); only a Date of exactly __type and
    iso is a date there (its iso answered at milliseconds, UTC). A Date field drops extra keys
    on both."""
    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"meta": {"type": "Object"}, "tags": {"type": "Array"}, "d": {"type": "Date"}}}},
             "records": {"Note": [{"objectId": "n1"}]}})
    api = Api(db, ServerConfig(app_id="app", master_key="master"))
    extra = {"__type": "Date", "iso": "2020-01-01T00:00:00Z", "x": 1}
    plain = {"__type": "Date", "iso": "2020-01-01T01:00:00+01:00"}
    api.route("PUT", "/classes/Note/n1", {"meta": {"e": extra, "p": plain}, "tags": [extra, plain], "d": extra}, MASTER, "http://x/parse")
    got = get(api, "/classes/Note/n1")
    date = {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"}
    assert (got["meta"], got["tags"], got["d"]) == ({"e": extra, "p": date}, [extra, date], date)


def test_a_batch_request_body_that_is_an_array_or_text_fails_alone() -> None:
    """Found by comparing with Parse Server 9: a batch request whose body was an array or text
    refused the whole batch (107 "a batch request's body must be an object"), where Parse reads
    its keys as JavaScript does ({"0": ...}) and that request alone fails, 105 for a write and
    102 for a find; [] is {}."""
    api = make_api()
    before = get(api, "/classes/Comment", count=1, limit=0)["count"]
    requests = [{"method": "POST", "path": "/parse/classes/Comment", "body": [1]},
                {"method": "GET", "path": "/parse/classes/Comment", "body": "ab"},
                {"method": "POST", "path": "/parse/classes/Comment", "body": []}]
    _, answer, _ = api.route("POST", "/batch", {"requests": requests}, MASTER, "http://x/parse")
    assert answer[0]["error"]["code"] == 105 and "'0'" in answer[0]["error"]["error"]
    assert answer[1] == {"error": {"code": 102, "error": "Invalid parameter for query: 0"}}
    assert "objectId" in answer[2]["success"]
    assert get(api, "/classes/Comment", count=1, limit=0)["count"] == before + 1


@pytest.mark.parametrize("body", [5, 1.5, True])
def test_a_batch_request_body_that_is_a_number_or_true_fails_alone_in_a_write(body: Any) -> None:
    """Checked against Parse Server 9: a batch request whose body was a number or true refused
    the whole batch (107 "a batch request's body must be an object"), where Parse reads it as
    {} in a find, a get and a delete, and fails a create or an update alone (JavaScript's
    "Cannot create property 'updatedAt' on number '5'", no code); the other requests run. Here
    such a write fails alone with 107. 0 and false are {} there, as no body: a create of an
    empty record."""
    api = make_api()
    before = get(api, "/classes/Comment", count=1, limit=0)["count"]
    requests = [{"method": "GET", "path": "/parse/classes/Comment", "body": body},
                {"method": "POST", "path": "/parse/classes/Comment", "body": body},
                {"method": "PUT", "path": "/parse/classes/Comment/c1", "body": body},
                {"method": "GET", "path": "/parse/classes/Comment/c1", "body": body},
                {"method": "DELETE", "path": "/parse/classes/Comment/nothere", "body": body},
                {"method": "POST", "path": "/parse/classes/Comment", "body": {"text": "two"}},
                {"method": "POST", "path": "/parse/classes/Comment", "body": 0},
                {"method": "PUT", "path": "/parse/classes/Comment/c1", "body": False}]
    _, answer, _ = api.route("POST", "/batch", {"requests": requests}, MASTER, "http://x/parse")
    shown = "true" if body is True else str(body)
    refused = {"error": {"code": 107, "error": f"a batch request's body must be an object, got {shown}"}}
    assert len(answer[0]["success"]["results"]) == before
    assert answer[1:3] == [refused, refused]
    assert answer[3]["success"]["text"] == "one"
    assert answer[4] == {"error": {"code": 101, "error": "Object not found."}}
    assert "objectId" in answer[5]["success"] and "objectId" in answer[6]["success"] and "updatedAt" in answer[7]["success"]
    assert get(api, "/classes/Comment", count=1, limit=0)["count"] == before + 2
    assert get(api, "/classes/Comment/c1")["text"] == "one"


def test_a_key_is_read_as_sent_not_trimmed(api: Api) -> None:
    """keys=" text" selected text, include=" post" included post and excludeKeys=" text" left
    text out: the names were trimmed, where Parse Server 9 reads " text" as a name of its own
    (and answers no text). serve refuses a key naming no field, so it says so."""
    for name, value, named in (("keys", "text, post", "' post'"), ("include", " post", "' post'"),
                               ("keys", ["text", "post.title "], "'post.title '")):
        with pytest.raises(ParseError) as err:
            get(api, "/classes/Comment", **{name: value})
        assert err.value.body() == {"code": 105, "error": f"{name}: no field is named {named} (a name is read as sent, not trimmed)"}
    assert get(api, "/classes/Comment", excludeKeys=" text")["results"][0]["text"] == "one"


def test_exclude_keys_beside_keys_removes_only_the_keys_named_exactly(api: Api) -> None:
    """keys=post.title&excludeKeys=post answered no post, where Parse Server 9 embeds it with
    its title: beside keys, excludeKeys takes out of them only the keys named exactly."""
    post = get(api, "/classes/Comment", keys="post.title", excludeKeys="post")["results"][0]["post"]
    assert (post["__type"], post["objectId"], post["title"]) == ("Object", "p1", "alpha")
    assert "post" not in get(api, "/classes/Comment", keys="post,text", excludeKeys="post")["results"][0]
    assert "post" not in get(api, "/classes/Comment", excludeKeys="post", include="post")["results"][0]
    assert "post" in get(api, "/classes/Comment/c1", keys="post.title", excludeKeys="post")


@pytest.mark.parametrize("path", ["/classes/Comment", "/classes/Comment/c1"])
def test_include_star_goes_one_level_whatever_keys_and_exclude_keys_name(api: Api, path: str) -> None:
    """include=*&keys=post.author.name embedded the post's author, where Parse Server 9 reads
    include=* as includeAll, one level, dropping the paths the dotted keys would include: the
    author stays a Pointer (as keys=post.author asks), and excludeKeys=post.author.name
    reaches no deeper either."""
    author = {"__type": "Pointer", "className": "Author", "objectId": "a1"}
    for params in ({"include": "*", "keys": "post.author.name"}, {"include": "*", "excludeKeys": "post.author.name"}):
        answer = get(api, path, **params)
        post = (answer["results"][0] if "results" in answer else answer)["post"]
        assert (post["__type"], post["author"]) == ("Object", author), params
    # includeAll=true, with no *, takes the paths the keys give (as Parse): the author embedded.
    answer = get(api, "/classes/Comment", includeAll="true", keys="post.author.name")
    assert answer["results"][0]["post"]["author"]["name"] == "Ada"


def test_include_star_leaves_paths_into_object_fields_as_sent() -> None:
    """Found by review: under include=* every dotted key was cut to two steps and every
    excludeKeys of three dropped, paths into an Object field too (``meta.lang.x`` answered all of
    ``meta.lang``); only a path through a second Pointer reaches no deeper, as Parse reads it."""
    meta = {"lang": {"x": 1, "y": 2}, "z": 3}
    db = querylang.connect()
    db.load({"classes": {"Author": {"fields": {"meta": {"type": "Object"}}},
                         "Post": {"fields": {"owner": {"type": "Pointer", "targetClass": "Author"}, "meta": {"type": "Object"}}}},
             "records": {"Author": [{"objectId": "a1", "meta": meta}], "Post": [{"objectId": "p1", "owner": "a1", "meta": meta}]}})
    api = Api(db, ServerConfig(app_id="app", master_key="master"))
    for params, part, expected in (({"keys": "meta.lang.x"}, "meta", {"lang": {"x": 1}}),
                                   ({"excludeKeys": "meta.lang.x"}, "meta", {"lang": {"y": 2}, "z": 3}),
                                   ({"keys": "owner.meta.lang"}, "owner", {"lang": {"x": 1, "y": 2}})):
        for star in ({}, {"include": "*"}):
            answer = get(api, "/classes/Post/p1", **params, **star)
            got = answer["meta"] if part == "meta" else answer["owner"]["meta"]
            assert got == expected, (params, star)


def _note_api() -> Api:
    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"meta": {"type": "Object"}, "tags": {"type": "Array"}, "n": {"type": "Number"}}}},
             "records": {"Note": [{"objectId": "n1", "tags": [], "n": 1}]}})
    return Api(db, ServerConfig(app_id="app", master_key="master"))


def test_a_type_is_read_as_parse_reads_it_when_true_as_javascript_reads_it() -> None:
    """An Object field written {"__type": 5} was taken and {"__type": ""} refused, where Parse
    Server 9 reads a __type only when JavaScript finds it true, and refuses one it does not
    know (111 "This is not a valid 5"): {"__type": ""}, 0 or null is a plain Object."""
    api = _note_api()
    for kind, shown in ((5, "5"), (True, "true"), ([1], "1"), ("Nope", "Nope"), ("Object", "Object")):
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Note/n1", {"meta": {"__type": kind}}, MASTER, "http://x/parse")
        assert err.value.body() == {"code": 111, "error": f"Note.meta: this is not a valid {shown}"}
    with pytest.raises(ParseError) as err:
        api.route("PUT", "/classes/Note/n1", {"tags": {"__type": ""}}, MASTER, "http://x/parse")
    assert err.value.body() == {"code": 111, "error": "schema mismatch for Note.tags; expected Array but got Object"}
    for kind in ("", 0, None):
        api.route("PUT", "/classes/Note/n1", {"meta": {"__type": kind}}, MASTER, "http://x/parse")
        assert get(api, "/classes/Note/n1")["meta"] == {"__type": kind}


def test_an_op_is_read_as_parse_reads_it_when_true_as_javascript_reads_it() -> None:
    """{"n": {"__op": null}} was 107 "unknown op None", where Parse Server 9 reads an __op
    only when JavaScript finds it true: {"__op": null}, "" or 0 is a plain Object (111 on a
    Number field, kept on an Object field); and an op on createdAt was said to be an Object,
    where Parse names the type the op gives (Increment a Number)."""
    api = _note_api()
    for op in (None, "", 0):
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Note/n1", {"n": {"__op": op}}, MASTER, "http://x/parse")
        assert err.value.body() == {"code": 111, "error": "schema mismatch for Note.n; expected Number but got Object"}
        api.route("PUT", "/classes/Note/n1", {"meta": {"__op": op}}, MASTER, "http://x/parse")
        assert get(api, "/classes/Note/n1")["meta"] == {"__op": op}
    for op, got in (({"__op": "Increment", "amount": 1}, "Number"), ({"__op": "Add", "objects": [1]}, "Array")):
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Note/n1", {"createdAt": op}, MASTER, "http://x/parse")
        assert err.value.body() == {"code": 111, "error": f"schema mismatch for Note.createdAt; expected Date but got {got}"}


def test_remove_on_a_field_holding_null_is_refused_as_mongodb_refuses_it() -> None:
    """A Remove on an Array field holding null left it null and answered 200; Parse Server 9 on
    PostgreSQL sets [], on MongoDB the update is refused ($pullAll on a value that is no
    array). SEMANTICS follows MongoDB: 111 naming the field, nothing written; a field
    without a value is still left as it is."""
    api = _note_api()
    api.route("PUT", "/classes/Note/n1", {"tags": None, "n": 1}, MASTER, "http://x/parse")
    with pytest.raises(ParseError) as err:
        api.route("PUT", "/classes/Note/n1", {"tags": {"__op": "Remove", "objects": [1]}, "n": 2}, MASTER, "http://x/parse")
    assert err.value.body() == {"code": 111, "error": "Note.tags: Remove needs an Array; the field holds null"}
    assert (get(api, "/classes/Note/n1")["tags"], get(api, "/classes/Note/n1")["n"]) == (None, 1)
    # Found by review: Add and AddUnique made an array of a field holding null, where MongoDB's
    # $push and $addToSet refuse it as $pullAll does.
    for op in ("Add", "AddUnique"):
        with pytest.raises(ParseError) as err:
            api.route("PUT", "/classes/Note/n1", {"tags": {"__op": op, "objects": [1]}, "n": 2}, MASTER, "http://x/parse")
        assert err.value.body() == {"code": 111, "error": f"Note.tags: {op} needs an Array; the field holds null"}
        assert (get(api, "/classes/Note/n1")["tags"], get(api, "/classes/Note/n1")["n"]) == (None, 1)
    api.route("PUT", "/classes/Note/n1", {"tags": {"__op": "Delete"}}, MASTER, "http://x/parse")
    api.route("PUT", "/classes/Note/n1", {"tags": {"__op": "Remove", "objects": [1]}}, MASTER, "http://x/parse")
    assert "tags" not in get(api, "/classes/Note/n1")
    api.route("PUT", "/classes/Note/n1", {"tags": {"__op": "Add", "objects": [1]}}, MASTER, "http://x/parse")
    assert get(api, "/classes/Note/n1")["tags"] == [1]  # without a value: $push makes the array

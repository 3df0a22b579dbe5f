"""A class that is not there, as Parse Server 9 answers it: the master key's find finds
nothing, its get and update are 101, its delete {}; its create is 103 naming the class meant
(Parse would make the class), and so is its update in a class whose name Parse could not make;
a client is told 119 "Permission denied", naming no class."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import headers
from .live import LiveServer, start


def test_unknown_class_and_object(shared: LiveServer, client: httpx.Client) -> None:
    r = client.post(f"{shared.url}/classes/Posts", json={}, headers=headers(master=True))
    assert r.status_code == 400 and r.json()["code"] == 103 and "Post" in r.json()["error"]
    r = client.get(f"{shared.url}/classes/Post/nope", headers=headers())
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})


@pytest.mark.parametrize(("params", "answer"), [
    ({}, {"results": []}),
    ({"count": 1, "limit": 0}, {"results": [], "count": 0}),
    ({"where": '{"x": 1}', "order": "-y", "include": "a.b", "keys": "a", "excludeKeys": "b", "limit": 5, "skip": 1},
     {"results": []}),
    ({"where": "{nope"}, {"code": 107, "error": "where parameter is not valid JSON"}),
    ({"where": '{"x": {"$nope": 1}}'}, 102),
    ({"foo": 1}, {"code": 102, "error": "Invalid parameter for query: foo"}),
    ({"order": "a,"}, 105),
    ({"limit": "many"}, 107),
], ids=["plain", "count", "every parameter", "where no JSON", "unknown operator", "unknown parameter", "empty order key",
        "limit no number"])
def test_the_master_keys_read_of_a_class_that_is_not_there_finds_nothing(
    shared: LiveServer, client: httpx.Client, params: dict[str, Any], answer: Any
) -> None:
    """Checked against Parse Server 9: the master key's find in a class that is not there
    answers no records ({"results": []}, a count of 0), once its parameters are read as for
    any class, and its get 101; here both were 103 "unknown class". A client is still told 119
    "Permission denied" (test_a_client_asking_for_an_unknown_class_is_denied_naming_none)."""
    r = client.get(f"{shared.url}/classes/NoSuchClass", params=params, headers=headers(master=True))
    if isinstance(answer, int):
        assert (r.status_code, r.json()["code"]) == (400, answer), r.text
    else:
        assert (r.status_code, r.json()) == (200 if "results" in answer else 400, answer), r.text
    r = client.get(f"{shared.url}/classes/NoSuchClass/x1", headers=headers(master=True))
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    r = client.get(f"{shared.url}/classes/NoSuchClass", headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})


UNKNOWN_CLASS_REQUESTS = [
    ("GET", "/classes/_installation", None),
    ("GET", "/classes/Posts", None),
    ("GET", "/classes/_installation/x", None),
    ("PUT", "/classes/_installation/x", {"a": 1}),
    ("DELETE", "/classes/_installation/x", None),
    ("POST", "/classes/_installation", {"a": 1}),
]


@pytest.fixture(scope="module")
def writable(sample_doc: dict) -> Iterator[LiveServer]:
    from .conftest import make_db

    doc = copy.deepcopy(sample_doc)  # with a class only the master key reads, to be suggested
    doc["classes"]["_Installation"] = {"fields": {"deviceType": {"type": "String"}}}
    srv = start(make_db(doc), acl_field="acl", allow_client_writes=True)
    yield srv
    srv.stop()


@pytest.mark.parametrize(("method", "path", "body"), UNKNOWN_CLASS_REQUESTS, ids=[f"{m} {p}" for m, p, _ in UNKNOWN_CLASS_REQUESTS])
def test_a_client_asking_for_an_unknown_class_is_denied_naming_none(
    writable: LiveServer, client: httpx.Client, method: str, path: str, body: dict | None
) -> None:
    """A client asking for /classes/_installation was told 103 "unknown class '_installation'
    (did you mean '_Installation'?)", naming a class only the master key may read. Parse
    Server 9 answers a client asking for a class that is not there 119 "Permission denied"
    (but its delete, nothing there to delete: {}); so here, in a batch too. The master key's create still gets the did-you-mean, and so
    does its update in a class whose name Parse could not make (_installation: Parse's 107,
    where here it was 101 "Object not found."); its reads find nothing and its delete nothing
    to delete ({}), as Parse's (test_parse_live)."""
    denied = {"code": 119, "error": "Permission denied"}
    r = client.post(f"{writable.url}{path}", json={"_method": method, **(body or {})}, headers=headers())
    if method == "DELETE":  # nothing there to delete, as Parse answers a client allowed to (test_parse_live)
        assert (r.status_code, r.json()) == (200, {}), r.text
    else:
        assert (r.status_code, r.json()) == (400, denied), r.text
    r = client.post(f"{writable.url}/batch", headers=headers(),
                    json={"requests": [{"method": method, "path": f"/parse{path}", "body": body or {}}]})
    assert r.json() == [{"success": {}} if method == "DELETE" else {"error": denied}], r.text
    r = client.post(f"{writable.url}{path}", json={"_method": method, **(body or {})}, headers=headers(master=True))
    if method == "DELETE":
        assert (r.status_code, r.json()) == (200, {})
    elif method == "GET":
        assert r.json() == ({"results": []} if path.count("/") == 2 else {"code": 101, "error": "Object not found."})
    else:
        assert r.json()["code"] == 103 and "did you mean" in r.json()["error"], r.text


@pytest.mark.parametrize("cls", ["_User", "_Role"])
def test_a_clients_read_of_user_or_role_where_the_database_has_none_finds_nothing(
    shared: LiveServer, client: httpx.Client, cls: str
) -> None:
    """Checked against Parse Server 9, where every app has _User and _Role: a client's find in
    one that holds no record answers {"results": []} (a count of 0), and its get 101; here,
    over a database without them, both were 119 "Permission denied", so an app asking which
    roles a user has got an error. A class an app does not always have stays 119."""
    r = client.get(f"{shared.url}/classes/{cls}", params={"count": 1, "where": '{"name": "admin"}'}, headers=headers())
    assert (r.status_code, r.json()) == (200, {"results": [], "count": 0}), r.text
    r = client.get(f"{shared.url}/classes/{cls}/x1", headers=headers())
    assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."})
    r = client.get(f"{shared.url}/classes/{cls}", params={"where": "{nope"}, headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "where parameter is not valid JSON"})
    r = client.get(f"{shared.url}/classes/_Rolez", headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})


@pytest.mark.parametrize(("cls", "answer"), [
    ("_role", "unknown class '_role' (did you mean '_Role'?)"), ("1abc", "unknown class '1abc'"),
    ("a-b", "unknown class 'a-b'"), ("length", "unknown class 'length'"),
    ("NoSuchClass", None), ("_Product", None), ("_Join:x:Post", None),
])
def test_the_master_keys_update_in_a_class_parse_could_not_make_names_the_class(
    writable_roles: LiveServer, client: httpx.Client, cls: str, answer: str | None
) -> None:
    """Found by review: the master key's update in a class that is not there was answered 101
    "Object not found." whatever the name, so `_role` for `_Role` lost its did-you-mean. Parse
    Server 9 answers 101 only in a class it could make (a letter, then letters, digits and _;
    its own classes; its join tables), and refuses any other name (107 "schema class name
    does not revalidate"): here 103 naming the class meant, as a create there."""
    r = client.put(f"{writable_roles.url}/classes/{cls}/x1", json={"title": "t"}, headers=headers(master=True))
    if answer is None:
        assert (r.status_code, r.json()) == (404, {"code": 101, "error": "Object not found."}), r.text
    else:
        assert (r.status_code, r.json()) == (400, {"code": 103, "error": answer}), r.text


@pytest.fixture(scope="module")
def writable_roles(sample_doc: dict) -> Iterator[LiveServer]:
    from .conftest import make_db

    db = make_db(sample_doc)
    db.load({"classes": {"_Role": {"fields": {"name": {"type": "String"}}}}, "records": {}})
    srv = start(db, acl_field="acl", allow_client_writes=True)
    yield srv
    srv.stop()


@pytest.mark.parametrize("there", [False, True], ids=["no _Session", "_Session"])
def test_the_master_keys_delete_of_a_session_not_there_says_so_as_parse(
    sample_doc: dict, client: httpx.Client, there: bool
) -> None:
    """Found by review against Parse Server 9: it looks a session up before deleting it, and a
    session not there is 101 "Object not found for delete." (here "Object not found."), in a
    batch too; another class's record not there stays "Object not found."."""
    from .conftest import make_db

    db = make_db(sample_doc)
    if there:
        db.load({"classes": {"_Session": {"fields": {"note": {"type": "String"}}}},
                 "records": {"_Session": [{"objectId": "s1", "note": "t"}]}})
    srv = start(db, acl_field="acl")
    try:
        gone = {"code": 101, "error": "Object not found for delete."}
        r = client.delete(f"{srv.url}/classes/_Session/x1", headers=headers(master=True))
        assert (r.status_code, r.json()) == (404, gone), r.text
        r = client.post(f"{srv.url}/batch", headers=headers(master=True),
                        json={"requests": [{"method": "DELETE", "path": "/parse/classes/_Session/x1"},
                                           {"method": "DELETE", "path": "/parse/classes/Post/x1"}]})
        assert r.json() == [{"error": gone}, {"error": {"code": 101, "error": "Object not found."}}], r.text
        if there:
            r = client.delete(f"{srv.url}/classes/_Session/s1", headers=headers(master=True))
            assert (r.status_code, r.json()) == (200, {}), r.text
    finally:
        srv.stop()


@pytest.mark.parametrize("cls", ["_User", "_Role"])
@pytest.mark.parametrize("into", ["NoSuchClass", "_Installation"])
def test_a_clients_sub_query_from_a_role_class_the_database_lacks_is_refused_as_elsewhere(
    shared: LiveServer, client: httpx.Client, cls: str, into: str
) -> None:
    """Found by review against Parse Server 9: a client's find in _User or _Role, where the
    database has none, answered no records whatever its sub-queries asked; Parse runs them
    first, and one into a class that is not there, or one only the master key reads, is 119
    (as from any other class), at any depth. Into _User or _Role they run over no records."""
    denied = {"code": 119, "error": "Permission denied"}
    for where in ({"users": {"$inQuery": {"className": into, "where": {}}}},
                  {"$or": [{"name": "a"}, {"name": {"$select": {"query": {"className": into, "where": {}}, "key": "x"}}}]},
                  {"users": {"$inQuery": {"className": "_User", "where": {"a": {"$notInQuery": {"className": into, "where": {}}}}}}}):
        r = client.get(f"{shared.url}/classes/{cls}", params={"where": json.dumps(where), "count": 1}, headers=headers())
        assert (r.status_code, r.json()) == (400, denied), (where, r.text)
    r = client.get(f"{shared.url}/classes/{cls}", headers=headers(), params={
        "where": json.dumps({"users": {"$notInQuery": {"className": "_Role", "where": {}}}}), "count": 1})
    assert (r.status_code, r.json()) == (200, {"results": [], "count": 0}), r.text


@pytest.mark.parametrize(("where", "code", "words"), [
    ("notjson", 107, "where parameter is not valid JSON"),
    ('{"a": 1', 107, "where parameter is not valid JSON"),
    ("5", 119, "Permission denied"),
    ('{"owner": {"$inQuery": {"className": "Post", "where": {"ACL": 1}}}}', 119, "Permission denied"),
])
def test_a_clients_find_in_a_class_not_there_reads_the_wheres_json_first(shared: LiveServer, client: httpx.Client,
                                                                        where: str, code: int, words: str) -> None:
    """Found by review: refusing a client's find in a class that is not there before its
    sub-queries are run (119) put the refusal before the where's JSON was read too, where
    Parse Server 9's router reads it first: text no JSON is 107 there (a where that is JSON
    but no object, or holds sub-queries, is still 119)."""
    r = client.get(f"{shared.url}/classes/NoSuchClass", params={"where": where}, headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": code, "error": words}), r.text

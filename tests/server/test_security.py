"""What an attacker sends a running ``querylang serve``: hostile cookies, parameters of the
wrong shape. Each answer is a Parse error or the sign-in form, never an internal error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import querylang
from querylang.app.cli import main
from querylang.server import ServerConfig

from .conftest import headers
from .live import MASTER_KEY, LiveServer, start


def test_browser_cookie_with_non_ascii_text_is_not_signed_in(shared: LiveServer) -> None:
    # hmac.compare_digest refuses str holding non-ASCII characters: the cookie was a 500.
    raw = "querylang_browser=é".encode("latin-1")
    r = httpx.get(shared.root + "/browser/", headers={"Cookie": raw}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/browser/login")


@pytest.mark.parametrize("value", ["5", "1.5", "true", "-1"])
@pytest.mark.parametrize("master", [False, True])
def test_include_that_is_a_number_is_a_parse_error(shared: LiveServer, client: httpx.Client, value: str, master: bool) -> None:
    # A URL's include=5 reads as the number 5, which the library iterated (TypeError, 500).
    for path in ("/classes/Note", "/classes/Note/n1"):
        r = client.get(shared.url + path, params={"include": value}, headers=headers(master))
        assert r.status_code == 400, r.text
        assert r.json() == {"code": 107, "error": "include must be a string or a list of strings"}


@pytest.mark.parametrize("what", ["keys", "include", "excludeKeys"])
def test_a_key_list_element_string_cannot_convert_names_the_parameter(shared: LiveServer, client: httpx.Client, what: str) -> None:
    # String([{toString: "x"}]) is JavaScript's TypeError: said as the parameter's, not bare.
    r = client.get(shared.url + "/classes/Note", params={what: json.dumps([{"toString": "x"}])}, headers=headers())
    assert r.status_code == 400, r.text
    assert r.json() == {"code": 107, "error": f"{what} must be a string or a list of strings "
                                              "(Cannot convert object to primitive value)"}


@pytest.mark.parametrize("include", [{"about": 1}, {"about.about": True}])
@pytest.mark.parametrize("path", ["/classes/Note", "/classes/Note/n6"])
def test_include_given_as_an_object_embeds_no_record_the_acl_hides(
    shared: LiveServer, client: httpx.Client, include: dict, path: str
) -> None:
    # The server trimmed by its own reading of include (str() of the object: nothing), the
    # library embedded by its own (the object's keys): n6's private n3 came back whole.
    for r in (client.get(shared.url + path, params={"include": json.dumps(include)}, headers=headers()),
              client.post(shared.url + path, content=json.dumps({"_method": "GET", "include": include}), headers=headers())):
        assert '"private"' not in r.text
        assert r.status_code == 400, r.text
        assert r.json() == {"code": 107, "error": "include must be a string or a list of strings"}


def test_include_given_as_a_list_still_trims_hidden_records(shared: LiveServer, client: httpx.Client) -> None:
    body = {"_method": "GET", "include": ["about"], "where": {"objectId": "n6"}}
    r = client.post(shared.url + "/classes/Note", content=json.dumps(body), headers=headers())
    assert r.status_code == 200, r.text
    assert "about" not in r.json()["results"][0]
    r = client.post(shared.url + "/classes/Note", content=json.dumps({**body, "include": "*"}), headers=headers(master=True))
    assert r.json()["results"][0]["about"]["title"] == "private"
    r = client.get(shared.url + "/classes/Note", params={"includeAll": "true", "where": '{"objectId": "n6"}'}, headers=headers(master=True))
    assert r.json()["results"][0]["about"]["title"] == "private"


# Each would be refused or narrowed as a where object; encoded once more than the server
# decodes, the library decoded it again and ran it unchecked.
HIDDEN_WHERES = [
    {"about": {"$inQuery": {"className": "Note", "where": {"title": "private"}}}},  # sub-query sees n3
    {"about.title": "private"},  # a Pointer path into a class with ACLs
    {"acl.u1.read": True},  # the ACL field itself
]


@pytest.mark.parametrize("where", HIDDEN_WHERES)
def test_where_encoded_one_time_too_many_is_refused(shared: LiveServer, client: httpx.Client, where: dict) -> None:
    # A URL's value is read as JSON, then a string where is read as JSON: a third time is too many.
    twice = json.dumps(json.dumps(where))
    for r in (client.get(shared.url + "/classes/Note", params={"where": json.dumps(twice)}, headers=headers()),
              client.post(shared.url + "/classes/Note", content=json.dumps({"_method": "GET", "where": twice}),
                          headers=headers())):
        assert r.status_code == 400, r.text
        assert r.json() == {"code": 107, "error": "where must be a JSON object"}


@pytest.mark.parametrize("where", ["1", "true", '"x"', '"1"', '""', "x"])
def test_a_where_that_is_no_object_is_107(shared: LiveServer, client: httpx.Client, where: str) -> None:
    """A where that is JSON but no object (a number, a boolean, a string, whose text
    is JSON or not), in the URL and in a body: 107 saying what is wrong, never a 500 (Parse
    Server's JSON.parse of a string where that is not JSON is its 500)."""
    body = json.dumps({"_method": "GET", "where": json.loads(where)}) if where != "x" else '{"_method": "GET", "where": "x"}'
    for r in (client.get(shared.url + "/classes/Note", params={"where": where}, headers=headers()),
              client.post(shared.url + "/classes/Note", content=body, headers=headers(master=True))):
        assert r.status_code == 400, r.text
        assert r.json() in ({"code": 107, "error": "where must be a JSON object"},
                            {"code": 107, "error": "where parameter is not valid JSON"}), r.text


def test_dot_segments_as_object_ids_are_not_found(shared: LiveServer) -> None:
    """'.' and '..' (also as %2E) sent as an objectId, as is (no client normalising them away):
    101 for get, update and delete, never another route's answer (the server does not resolve
    dot segments, as Parse Server's express routing does not). In /batch, Parse resolves the
    literal segments of each path (batch.js, path.posix.join) and so does serve: "/classes/Note/."
    is the find of Note, and "PUT /classes/Note/." or "DELETE /classes/Note/.." reaches no route
    and refuses the batch, nothing changed; encoded (%2E) they stay objectIds, not found."""
    import http.client

    master = headers(master=True)
    for oid in (".", "..", "%2E", "%2e%2E", ".%2E"):
        for method in ("GET", "PUT", "DELETE"):
            con = http.client.HTTPConnection("127.0.0.1", shared.port, timeout=30)
            try:
                con.request(method, f"{shared.config.mount}/classes/Note/{oid}", body="{}", headers=master)
                r = con.getresponse()
                assert (r.status, json.loads(r.read())) == (404, {"code": 101, "error": "Object not found."}), (method, oid)
            finally:
                con.close()
    requests = [{"method": m, "path": f"{shared.config.mount}/classes/Note/{oid}", "body": {}}
                for m in ("GET", "PUT", "DELETE") for oid in ("%2E", "%2E%2E", ".%2E")]
    got = httpx.post(shared.url + "/batch", json={"requests": requests}, headers=master, timeout=30).json()
    assert got == [{"error": {"code": 101, "error": "Object not found."}}] * len(requests)
    found = httpx.post(shared.url + "/batch", json={"requests": [{"method": "GET", "path": f"{shared.config.mount}/classes/Note/."}]},
                       headers=master, timeout=30).json()
    assert len(found[0]["success"]["results"]) == 6
    for method, oid, routed in (("PUT", ".", "PUT /classes/Note"), ("DELETE", "..", "DELETE /classes")):
        request = {"method": method, "path": f"{shared.config.mount}/classes/Note/{oid}", "body": {}}
        r = httpx.post(shared.url + "/batch", json={"requests": [request]}, headers=master, timeout=30)
        assert (r.status_code, r.json()) == (400, {"code": 107, "error": f"cannot route {routed}"})
    assert shared.db.count("Note") == 6


@pytest.mark.parametrize("where", HIDDEN_WHERES)
def test_where_as_json_text_is_still_checked(shared: LiveServer, client: httpx.Client, where: dict) -> None:
    r = client.post(shared.url + "/classes/Note", content=json.dumps({"_method": "GET", "where": json.dumps(where)}),
                    headers=headers())
    assert r.status_code in (200, 400), r.text
    assert r.status_code == 400 or r.json()["results"] == []


@pytest.fixture(scope="module")
def small_body() -> Iterator[LiveServer]:
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    srv = start(db, max_body=1000)
    yield srv
    srv.stop()


def test_sign_in_form_keeps_the_body_limit(small_body: LiveServer) -> None:
    # The form is answered before signing in: it read any body whole, past --max-body.
    form = {"content-type": "application/x-www-form-urlencoded"}
    r = httpx.post(small_body.root + "/browser/login", content=b"masterKey=" + b"x" * 5_000_000, headers=form)
    assert r.status_code == 413
    assert r.text == "request entity too large (the limit is 1000 bytes)"
    r = httpx.post(small_body.root + "/browser/login", data={"masterKey": MASTER_KEY, "next": "/browser/classes/N"},
                   follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/browser/classes/N"


def test_an_empty_master_key_is_refused() -> None:
    # It was accepted: an empty X-Parse-Master-Key header (or an empty sign-in form) was the
    # master key, so any client could write, read past ACLs and open the browser.
    with pytest.raises(ValueError, match="the master key must not be empty"):
        ServerConfig(app_id="a", master_key="")
    res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "", "--port", "0"])
    assert res.exit_code == 2, res.output
    assert "--master-key is empty" in res.output


MIXED: dict[str, Any] = {
    "classes": {
        "Imported": {"fields": {"t": {"type": "String"}, "ACL": {"type": "ACL"},
                                "old": {"type": "Pointer", "targetClass": "Old"}}},
        "Old": {"fields": {"t": {"type": "String"}, "acl": {"type": "Object"},
                           "imported": {"type": "Pointer", "targetClass": "Imported"}}},
    },
    "records": {
        "Imported": [{"objectId": "i1", "t": "imported secret", "ACL": {"u1": {"read": True}}},
                     {"objectId": "i2", "t": "imported public", "ACL": {"*": {"read": True}}, "old": "o1"}],
        "Old": [{"objectId": "o1", "t": "old secret", "acl": {}},
                {"objectId": "o2", "t": "old public", "imported": "i1"}],
    },
}


@pytest.fixture(scope="module")
def mixed() -> Iterator[LiveServer]:
    db = querylang.connect()
    db.load(MIXED)
    srv = start(db, acl_field="acl")
    yield srv
    srv.stop()


def test_acl_typed_field_is_enforced_whatever_acl_field_names(mixed: LiveServer, client: httpx.Client) -> None:
    # With --acl-field acl (as the docs advise for Object ACLs), a class holding its ACLs in a
    # field of the ACL type (as the importers write them) was served with no ACL at all.
    def ids(cls: str, **params: Any) -> list[str]:
        r = client.get(mixed.url + f"/classes/{cls}", params=params, headers=headers())
        assert r.status_code == 200, r.text
        return [x["objectId"] for x in r.json()["results"]]

    assert ids("Imported") == ["i2"]
    assert ids("Old") == ["o2"]
    assert client.get(mixed.url + "/classes/Imported/i1", headers=headers()).status_code == 404
    assert "secret" not in client.get(mixed.url + "/classes/Old", params={"include": "imported"}, headers=headers()).text
    assert "secret" not in client.get(mixed.url + "/classes/Imported", params={"include": "old"}, headers=headers()).text
    r = client.get(mixed.url + "/classes/Imported", params={"where": json.dumps({"ACL": {"$exists": True}})}, headers=headers())
    assert r.json() == {"code": 102, "error": "Cannot query on ACL."}
    sub = {"imported": {"$inQuery": {"className": "Imported", "where": {"t": "imported secret"}}}}
    assert ids("Old", where=json.dumps(sub)) == []
    r = client.get(mixed.url + "/classes/Imported", headers=headers(master=True))
    assert sorted(x["objectId"] for x in r.json()["results"]) == ["i1", "i2"]


SYSTEM: dict[str, Any] = {
    "classes": {
        "_Installation": {"fields": {"deviceToken": {"type": "String"},
                                     "devices": {"type": "Relation", "targetClass": "Device"}}},
        "_User": {"fields": {"username": {"type": "String"}, "email": {"type": "String"}}},
        "Device": {"fields": {"inst": {"type": "Pointer", "targetClass": "_Installation"},
                              "owner": {"type": "Pointer", "targetClass": "_User"}}},
    },
    "relations": [{"class": "_Installation", "objectId": "in1", "key": "devices", "targetClass": "Device",
                   "targetId": "d1"}],
    "records": {
        "_Installation": [{"objectId": "in1", "deviceToken": "tok-secret"}],
        "_User": [{"objectId": "u1", "username": "ann", "email": "ann@example.com"}],
        "Device": [{"objectId": "d1", "inst": "in1", "owner": "u1"}],
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def system() -> Iterator[LiveServer]:
    db = querylang.connect()
    db.load(SYSTEM)
    srv = start(db, allow_client_writes=True)
    yield srv
    srv.stop()


def test_parse_system_classes_and_user_emails_are_not_served_to_clients(system: LiveServer, client: httpx.Client) -> None:
    """Data imported from Parse holds _Installation (device tokens), _Session and the like, and
    _User emails: every client got them (GET /classes/_Installation). Parse shows those classes
    only through a session or the master key, and hides email from clients; so here: 119 for the
    class itself and a sub-query, nothing through an include or a Pointer path, no email."""
    url = system.url

    def get(path: str, master: bool = False, **params: Any) -> httpx.Response:
        return client.get(url + path, params=params, headers=headers(master))

    for path in ("/classes/_Installation", "/classes/_Installation/in1"):
        r = get(path)
        assert r.status_code == 400 and r.json()["code"] == 119, r.text
    r = client.put(url + "/classes/_Installation/in1", json={"deviceToken": "x"}, headers=headers())
    assert r.json()["code"] == 119
    r = client.post(url + "/classes/_Installation", json={"deviceToken": "x"}, headers=headers())
    assert r.json()["code"] == 119
    r = client.delete(url + "/classes/_Installation/in1", headers=headers())
    assert r.json()["code"] == 119
    r = get("/classes/Device", include="inst,owner")
    assert r.status_code == 200 and "tok-secret" not in r.text and "ann@example.com" not in r.text
    assert r.json()["results"][0]["owner"]["username"] == "ann"  # the user is shown, not the email
    sub = {"inst": {"$inQuery": {"className": "_Installation", "where": {"deviceToken": "tok-secret"}}}}
    r = get("/classes/Device", where=json.dumps(sub))  # refused, as Parse Server 9 refuses it
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied"})
    r = get("/classes/Device", where=json.dumps({"inst.deviceToken": "tok-secret"}))
    assert r.status_code == 400 and r.json()["code"] == 102
    users = get("/classes/_User").json()["results"]
    assert users and all("email" not in u for u in users)
    assert "email" not in get("/classes/_User/u1").json()
    # the master key sees everything
    assert get("/classes/_Installation", master=True).json()["results"][0]["deviceToken"] == "tok-secret"
    assert get("/classes/_User/u1", master=True).json()["email"] == "ann@example.com"
    assert get("/classes/Device", master=True, where=json.dumps(sub)).json()["results"][0]["objectId"] == "d1"


@pytest.mark.parametrize(
    "params",
    [
        {"where": json.dumps({"email": "ann@example.com"})},
        {"where": json.dumps({"$or": [{"email": {"$regex": "^a"}}, {"username": "zed"}]})},
        {"order": "-email"},
        {"order": json.dumps(["-email"])},
    ],
)
def test_a_client_may_not_query_or_sort_on_user_emails(system: LiveServer, client: httpx.Client, params: dict) -> None:
    """An email hidden from answers still showed through a where or a sort on it (which records
    match, in which order); Parse refuses both (119)."""
    r = client.get(system.url + "/classes/_User", params=params, headers=headers())
    assert r.status_code == 400 and r.json()["code"] == 119, r.text
    r = client.get(system.url + "/classes/Device", params={"where": json.dumps({"owner.email": "ann@example.com"})},
                   headers=headers())
    assert r.status_code == 400 and r.json()["code"] == 119, r.text
    r = client.get(system.url + "/classes/_User", params=params, headers=headers(master=True))
    assert r.status_code == 200, r.text


def test_browser_cookies_expire_and_signing_out_ends_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser's cookie was one fixed HMAC of the master key: it never expired, and signing
    out did not end it (a copied cookie kept working until the key changed)."""
    from querylang.server import browser

    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    srv = start(db)
    try:
        def sign_in() -> str:
            r = httpx.post(srv.root + "/browser/login", data={"masterKey": MASTER_KEY, "next": "/browser/classes/N"})
            assert r.status_code == 303
            cookie = r.cookies["querylang_browser"]
            assert "httponly" in r.headers["set-cookie"].lower() and "max-age=43200" in r.headers["set-cookie"].lower()
            return cookie

        def opens(cookie: str) -> bool:
            r = httpx.get(srv.root + "/browser/classes/N", cookies={"querylang_browser": cookie})
            return r.status_code == 200

        first, second = sign_in(), sign_in()
        assert opens(first) and opens(second) and first != second
        assert not opens(first[:-1] + ("0" if first[-1] != "0" else "1"))  # a forged signature
        assert not opens("1." + first.split(".")[1])  # another time under the same signature
        # signing out (from the second browser) ends both
        r = httpx.post(srv.root + "/browser/logout", cookies={"querylang_browser": second})
        assert r.status_code == 303
        assert not opens(first) and not opens(second)
        third = sign_in()
        assert opens(third)
        # twelve hours on, it has expired
        now = __import__("time").time_ns()
        monkeypatch.setattr(browser.time, "time_ns", lambda: now + 12 * 3600 * 10**9 + 1)
        assert not opens(third)
    finally:
        srv.stop()


def test_a_restarted_server_takes_no_cookie_of_the_one_before() -> None:
    """A cookie issued before the server restarted was valid again after it, until it expired,
    also one copied before a sign-out (the time of the sign-out is kept in memory only)."""
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    try:
        srv = start(db)
        try:
            r = httpx.post(srv.root + "/browser/login", data={"masterKey": MASTER_KEY, "next": "/browser/classes/N"})
            cookie = r.cookies["querylang_browser"]
            assert httpx.get(srv.root + "/browser/classes/N", cookies={"querylang_browser": cookie}).status_code == 200
            httpx.post(srv.root + "/browser/logout", cookies={"querylang_browser": cookie})
            # One issued after the sign-out, never signed out itself: the restart ends it too.
            r = httpx.post(srv.root + "/browser/login", data={"masterKey": MASTER_KEY, "next": "/browser/classes/N"})
            kept = r.cookies["querylang_browser"]
            assert httpx.get(srv.root + "/browser/classes/N", cookies={"querylang_browser": kept}).status_code == 200
        finally:
            srv.stop()
        again = start(db)
        try:
            for old in (cookie, kept):
                r = httpx.get(again.root + "/browser/classes/N", cookies={"querylang_browser": old}, follow_redirects=False)
                assert r.status_code == 303 and r.headers["location"].startswith("/browser/login"), (old == kept, r.status_code)
            r = httpx.post(again.root + "/browser/login", data={"masterKey": MASTER_KEY, "next": "/browser/classes/N"})
            fresh = r.cookies["querylang_browser"]
            assert httpx.get(again.root + "/browser/classes/N", cookies={"querylang_browser": fresh}).status_code == 200
        finally:
            again.stop()
    finally:
        db.close()


def test_relations_of_master_only_records_are_not_answered_to_clients(system: LiveServer, client: httpx.Client) -> None:
    """The guard checked the class queried, not a $relatedTo's owner nor the class a
    redirectClassNameForKey starts from: which Devices an installation holds was answered."""
    owner = {"__type": "Pointer", "className": "_Installation", "objectId": "in1"}
    related = {"$relatedTo": {"object": owner, "key": "devices"}}
    for where in (related, {"$or": [related]}):
        r = client.get(system.url + "/classes/Device", params={"where": json.dumps(where)}, headers=headers())
        assert r.status_code == 400 and r.json()["code"] == 119, r.text
    r = client.get(system.url + "/classes/_Installation", params={"redirectClassNameForKey": "devices"}, headers=headers())
    assert r.status_code == 400 and r.json()["code"] == 119, r.text
    r = client.get(system.url + "/classes/Device", params={"where": json.dumps(related)}, headers=headers(master=True))
    assert [x["objectId"] for x in r.json()["results"]] == ["d1"]


SESSIONS: dict[str, Any] = {
    "classes": {
        "_Session": {"fields": {"note": {"type": "String"}}},
        "_User": {"fields": {"username": {"type": "String"}, "email": {"type": "String"}}},
        "Device": {"fields": {"n": {"type": "Number"}, "sess": {"type": "Pointer", "targetClass": "_Session"},
                              "seen": {"type": "Array"}}},
    },
    "records": {
        "_Session": [{"objectId": "s1", "note": "session-secret"}],
        "_User": [{"objectId": "u1", "username": "ann", "email": "ann@example.com"}],
        "Device": [{"objectId": "d1", "n": 1, "sess": "s1"},
                   {"objectId": "d2", "n": 2, "seen": [{"__type": "Pointer", "className": "_User", "objectId": "u1"},
                                                       {"__type": "Pointer", "className": "_Session", "objectId": "s1"}]},
                   {"objectId": "d3", "n": 3, "seen": [{"__type": "Pointer", "className": "_User", "objectId": "u1"}]}],
    },
}  # fmt: skip


def test_a_clients_include_reaching_a_session_is_refused(client: httpx.Client) -> None:
    """Found by comparing with Parse Server 9: a client's include of a _Session record, through
    a Pointer field or an Array, answered the rest with that record left out, where Parse refuses
    the read (209 "Permission denied"), as a client's read of _Session. A _User embedded from
    an Array shows no email, as through a Pointer. The master key reads both."""
    db = querylang.connect()
    db.load(SESSIONS)
    srv = start(db)
    try:
        def get(master: bool = False, **params: Any) -> httpx.Response:
            return client.get(srv.url + "/classes/Device", params=params, headers=headers(master))

        for n, include in ((1, "sess"), (2, "seen"), (2, "*"), (1, "*")):
            r = get(where=json.dumps({"n": n}), include=include)
            assert (r.status_code, r.json()) == (400, {"code": 209, "error": "Permission denied"}), (n, include)
            seen = get(True, where=json.dumps({"n": n}), include=include).json()["results"][0]
            assert "session-secret" in json.dumps(seen), (n, include)
        r = get(where=json.dumps({"n": 3}), include="seen")
        assert r.status_code == 200 and r.json()["results"][0]["seen"][0]["username"] == "ann"
        assert "ann@example.com" not in r.text
        assert "ann@example.com" in get(True, where=json.dumps({"n": 3}), include="seen").text
    finally:
        srv.stop()

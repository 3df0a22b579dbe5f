"""The keys of a request (querylang/server/keys.py), as Parse Server 9 reads them: a wrong app
id is 403, a wrong master key is no key (the request is a client's), a key header sent twice
is its values joined."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from .live import APP_ID, MASTER_KEY, LiveServer


@pytest.mark.parametrize("hdrs", [{}, {"X-Parse-Application-Id": "wrong"}], ids=["no app id", "wrong app id"])
def test_wrong_keys_are_403(shared: LiveServer, client: httpx.Client, hdrs) -> None:
    r = client.get(f"{shared.url}/classes/Post", headers=hdrs)
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


def test_a_wrong_master_key_beside_a_body_naming_the_app_is_403(shared: LiveServer, client: httpx.Client) -> None:
    """Parse reads the body's app id only when the header's master key is none or the right one."""
    body = json.dumps({"_ApplicationId": APP_ID, "_method": "GET"})
    r = client.post(f"{shared.url}/classes/Post", headers={"X-Parse-Master-Key": "wrong", "Content-Type": "text/plain"},
                    content=body)
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


@pytest.mark.parametrize("sent", [
    {"X-Parse-Master-Key": "wrong"}, {"X-Parse-Master-Key": ""},
    {"Authorization": "Basic " + base64.b64encode(f"{APP_ID}:wrong".encode()).decode()},
    {"body": {"_ApplicationId": APP_ID, "_MasterKey": "wrong"}},
    {"body": {"_ApplicationId": APP_ID, "_MasterKey": "wrong"}, "X-Parse-Master-Key": ""},
], ids=["header", "empty header", "basic", "body", "body, empty header"])
def test_a_wrong_master_key_is_a_clients_request(shared: LiveServer, client: httpx.Client, sent: dict[str, Any]) -> None:
    """Checked against Parse Server 9: a request whose master key is wrong (in the header, in
    HTTP Basic credentials or in the SDK's body) is answered as a client's, without the master
    key's rights (a find sees what a client sees, a write is refused as a client's, /schemas is
    "Permission denied"); here it was 403 {"error": "unauthorized"} for all of them."""
    hdrs = {k: v for k, v in sent.items() if k != "body"}
    if "Authorization" not in hdrs and "body" not in sent:
        hdrs["X-Parse-Application-Id"] = APP_ID

    def call(method: str, path: str, params: dict[str, Any]) -> httpx.Response:
        if "body" in sent:  # as the JS SDK sends every call: a text/plain POST naming the method
            body = {**sent["body"], "_method": method, **params}
            return client.post(f"{shared.url}{path}", headers={**hdrs, "Content-Type": "text/plain"}, content=json.dumps(body))
        if method == "GET":
            return client.get(f"{shared.url}{path}", headers=hdrs, params={k: json.dumps(v) for k, v in params.items()})
        return client.request(method, f"{shared.url}{path}", headers=hdrs, json=params)

    every = shared.db.count("Note")
    r = call("GET", "/classes/Note", {"limit": 0, "count": 1})
    assert r.status_code == 200 and 0 < r.json()["count"] < every, r.text  # what a client sees
    r = call("POST", "/classes/Post", {"title": "not written"})
    assert (r.status_code, r.json()) == (400, {"code": 119, "error": "Permission denied for action create on class Post."})
    r = call("GET", "/schemas", {})
    assert (r.status_code, r.json()) == (403, {"error": "Permission denied"})


def test_a_key_header_sent_twice_is_read_as_parse_reads_it(shared: LiveServer, client: httpx.Client) -> None:
    """Checked against Parse Server 9: Node.js hands Parse a header sent twice as its values
    joined by ", ", so X-Parse-Master-Key sent as the key and then another value is a wrong
    key (a client's request), and X-Parse-Application-Id sent twice names no app (403); here
    the first value counted, and the master key's rights were given. Of Basic credentials
    sent twice, the first counts, as Node keeps the first Authorization."""
    every = shared.db.count("Note")
    params = {"limit": 0, "count": 1}

    def count(*pairs: tuple[str, str]) -> int:
        r = client.get(f"{shared.url}/classes/Note", headers=list(pairs), params=params)
        assert r.status_code == 200, r.text
        return int(r.json()["count"])

    app = ("X-Parse-Application-Id", APP_ID)
    assert count(app, ("X-Parse-Master-Key", MASTER_KEY), ("X-Parse-Master-Key", "wrong")) < every
    assert count(app, ("X-Parse-Master-Key", "wrong"), ("X-Parse-Master-Key", MASTER_KEY)) < every
    basic = [("Authorization", "Basic " + base64.b64encode(f"{APP_ID}:{key}".encode()).decode()) for key in (MASTER_KEY, "no")]
    assert count(*basic) == every
    assert count(*reversed(basic)) < every
    r = client.get(f"{shared.url}/classes/Note", headers=[app, app], params=params)
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})


def test_a_wrong_master_key_needs_the_client_key_when_one_is_set(sample_doc: dict, client: httpx.Client) -> None:
    """With --rest-key, a request whose master key is wrong is a client's that lacks the
    client key, 403 as Parse answers it; with the client key beside it, a client's request."""
    from .conftest import make_db
    from .live import REST_KEY, start

    srv = start(make_db(sample_doc), rest_key=REST_KEY, acl_field="acl")
    try:
        url, wrong = f"{srv.url}/classes/Note", {"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": "wrong"}
        r = client.get(url, headers=wrong, params={"count": 1, "limit": 0})
        assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
        r = client.get(url, headers={**wrong, "X-Parse-REST-API-Key": REST_KEY}, params={"count": 1, "limit": 0})
        assert r.status_code == 200 and 0 < r.json()["count"] < srv.db.count("Note"), r.text
    finally:
        srv.stop()

"""How a request reaches the API, as Parse Server 9 reads it (the mount's case, ``_method``, the
keys in a body beside those in headers), each found by sending the same request to Parse
Server 9 and to serve over the same records."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from .conftest import headers
from .live import APP_ID, MASTER_KEY, LiveServer


def test_the_mount_is_matched_case_blind(fresh: LiveServer, client: httpx.Client) -> None:
    """/PARSE/classes/Post was a bare 404 "Not Found", where Express mounts Parse Server
    case-blind; Parse builds the Location header and reads batch paths on the mount as the
    request spells it."""
    root = fresh.root
    r = client.get(f"{root}/PARSE/classes/Post", params={"limit": 0, "count": 1}, headers=headers(master=True))
    assert r.status_code == 200 and r.json()["count"] == fresh.db.count("Post"), r.text
    assert client.get(f"{root}/Parse/health").json() == {"status": "ok"}
    r = client.post(f"{root}/pArSe/classes/Post", json={"title": "cased"}, headers=headers(master=True))
    assert r.status_code == 201 and r.headers["location"] == f"{root}/pArSe/classes/Post/{r.json()['objectId']}"
    batch = {"requests": [{"method": "GET", "path": "/PARSE/classes/Post", "body": {"limit": 0, "count": 1}}]}
    r = client.post(f"{root}/PARSE/batch", json=batch, headers=headers(master=True))
    assert r.json() == [{"success": {"results": [], "count": fresh.db.count("Post")}}], r.text
    r = client.post(f"{root}/parse/batch", json=batch, headers=headers(master=True))
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "cannot route batch path /PARSE/classes/Post"})
    assert client.get(f"{root}/BROWSER/login").status_code == 404  # the browser is not Parse's


def test_method_override_is_read_as_parse_reads_it(fresh: LiveServer, client: httpx.Client) -> None:
    """_method was taken out of every body: a PUT carrying one wrote the other fields, and a
    POST with "_method": "" was 404 "does not serve  /classes/Post"; Parse reads it in a POST
    only, and only when set (one that is no text is dropped, the POST kept), so elsewhere it
    is a field like any other (105)."""
    url = f"{fresh.url}/classes/Post"
    h = headers(master=True)
    before = fresh.db.count("Post")
    for method, path, body in (("PUT", "/p001", {"_method": "GET", "title": "x"}), ("POST", "", {"_method": "", "title": "x"})):
        r = client.request(method, url + path, json=body, headers=h)
        assert r.status_code == 400 and r.json()["code"] == 105 and "'_method'" in r.json()["error"], r.text
    assert titles_x(fresh) == 0 and fresh.db.count("Post") == before
    r = client.post(url, json={"_method": 5, "title": "x"}, headers=h)
    assert r.status_code == 201 and titles_x(fresh) == 1
    r = client.post(url, json={"_method": "get", "where": {"title": "x"}, "count": 1, "limit": 0}, headers=h)
    assert r.json() == {"results": [], "count": 1}


def titles_x(srv: LiveServer) -> int:
    return srv.db.count("Post", {"title": {"equalTo": "x"}})


def test_keys_in_a_body_are_read_as_parse_reads_them(fresh: LiveServer, client: httpx.Client) -> None:
    """The SDK's key fields were read from every body, beside the headers, and taken out of it;
    Parse reads them only when the headers do not name the app (a wrong X-Parse-Application-Id
    and a right _ApplicationId is the app), and leaves them in the body otherwise, where a
    find refuses them as parameters (102) and a write as fields (105)."""
    url = f"{fresh.url}/classes/Post"
    sdk = {"_ApplicationId": APP_ID, "_MasterKey": MASTER_KEY}
    r = client.post(url, json={"_method": "GET", **sdk, "limit": 0}, headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": 102, "error": "Invalid parameter for query: _ApplicationId"})
    r = client.post(url, json={"_ClientVersion": "js6", "title": "x"}, headers=headers(master=True))
    assert r.status_code == 400 and r.json()["code"] == 105 and "'_ClientVersion'" in r.json()["error"]
    r = client.post(url, json={"_method": "GET", **sdk, "count": 1, "limit": 0}, headers={"X-Parse-Application-Id": "wrong"})
    assert r.json() == {"results": [], "count": fresh.db.count("Post")}, r.text
    # Set, _InstallationId and _SessionToken must be text (else 403); unset, they stay (105).
    r = client.post(url, json={**sdk, "_InstallationId": 5, "title": "x"})
    assert (r.status_code, r.json()) == (403, {"error": "unauthorized"})
    r = client.post(url, json={**sdk, "_SessionToken": "", "title": "x"})
    assert r.status_code == 400 and "'_SessionToken'" in r.json()["error"]
    r = client.post(url, json={**sdk, "_context": "[1]", "title": "x"})
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "Invalid object for context."})
    r = client.post(url, json={**sdk, "_context": '{"a": 1}', "_InstallationId": "i", "_noBody": True, "title": "x"})
    assert r.status_code == 201, r.text
    assert titles_x(fresh) == 1


def test_a_where_array_is_the_object_of_its_indexes(shared: LiveServer, client: httpx.Client) -> None:
    """where=[1] was 107 "where must be a JSON object", where Parse reads an array as
    JavaScript reads its keys, {"0": 1}: 105 "Invalid key name: 0", to the master key and a
    client alike; where=[] is no condition. A number or true stays 107 (docs/serve.md)."""
    url = f"{shared.url}/classes/Post"
    every = shared.db.count("Post")
    for h in (headers(), headers(master=True)):
        for where in ("[1]", '[{"title": "x"}]'):
            r = client.get(url, params={"where": where}, headers=h)
            assert (r.status_code, r.json()) == (400, {"code": 105, "error": "Invalid key name: 0"}), r.text
        r = client.post(url, json={"_method": "GET", "where": [], "count": 1, "limit": 0}, headers=h)
        assert r.json() == {"results": [], "count": every}, r.text
        r = client.get(url, params={"where": "5"}, headers=h)
        assert (r.status_code, r.json()) == (400, {"code": 107, "error": "where must be a JSON object"})


def test_a_preflight_is_answered_as_parse_answers_it(shared: LiveServer, client: httpx.Client) -> None:
    """A CORS preflight (OPTIONS) was 204 with no body; Parse answers 200 "OK" (text), with
    its CORS headers, on any path under the mount and without keys."""
    for path in ("/classes/Post", "/nothing/here"):
        r = client.options(shared.url + path, headers={"Origin": "http://app.example", "Access-Control-Request-Method": "POST"})
        assert (r.status_code, r.text, r.headers["content-type"].split(";")[0]) == (200, "OK", "text/plain")
        assert r.headers["access-control-allow-origin"] == "*" and "X-Parse-Application-Id" in r.headers["access-control-allow-headers"]


def test_every_answer_exposes_the_headers_parse_exposes(shared: LiveServer, client: httpx.Client) -> None:
    """Answers lacked Access-Control-Expose-Headers, which Parse Server 9 sends on every answer
    (the preflight's too), so a browser app's script could read the same headers of both."""
    answers = [client.options(shared.url + "/classes/Post", headers={"Origin": "http://app.example"}),
               client.get(shared.url + "/classes/Post", headers={**headers(), "Origin": "http://app.example"}),
               client.get(shared.url + "/nothing/here", headers=headers())]
    for r in answers:
        assert r.headers["access-control-expose-headers"] == "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id", r.text


# What Express's extended query parser (qs 6.17, as Parse Server 9 installs it) gives for
# each query string, read from qs itself.
QS = [
    ("where=1&where=2", {"where": ["1", "2"]}),
    ("a[b]=1", {"a": {"b": "1"}}),
    ("a[b][c]=1", {"a": {"b": {"c": "1"}}}),
    ("a[]=1&a[]=2&a[]=3", {"a": ["1", "2", "3"]}),
    ("a[1]=x&a[0]=y", {"a": ["y", "x"]}),
    ("a[0]=x&a[2]=y", {"a": ["x", "y"]}),
    ("a[21]=x", {"a": {"21": "x"}}),
    ("a[b]=1&a=2", {"a": [{"b": "1"}, "2"]}),
    ("a=2&a[b]=1", {"a": ["2", {"b": "1"}]}),
    ("a[]=x&a=y", {"a": ["x", "y"]}),
    ("a[0][b]=1&a[0][c]=2&a[1][b]=3", {"a": [{"b": "1", "c": "2"}, {"b": "3"}]}),
    ("a[b][]=1&a[b][]=2", {"a": {"b": ["1", "2"]}}),
    ("a[x]=1&a[]=2", {"a": {"0": "2", "x": "1"}}),
    ("a.b=1&[c]=2&a]=3", {"a.b": "1", "c": "2", "a]": "3"}),
    ("a[b]c=1&d[__proto__]=1", {"a": {"b": "1"}, "d": {}}),
    ("a[b][c][d][e][f][g]=1", {"a": {"b": {"c": {"d": {"e": {"f": {"[g]": "1"}}}}}}}),
    ("&".join(f"a={i}" for i in range(22)), {"a": {str(i): str(i) for i in range(22)}}),
    # A key's brackets balance; one never closed is the rest of the name (these were split at
    # the first "[" that holds no other: where[[title]]=x was the parameter "where[").
    ("where[[title]]=x", {"where": {"[title]": "x"}}),
    ("where[ti[tle]=x", {"where": {"[ti[tle]": "x"}}),
    ("a[b[c]]=1&a[[]]=2", {"a": {"b[c]": "1", "[]": "2"}}),
    ("a[b][c][d][e][f[g]]=1", {"a": {"b": {"c": {"d": {"e": {"f[g]": "1"}}}}}}),
    # An index of 20 or more is an object's key (a[20] was a list).
    ("a[19]=x", {"a": ["x"]}),
    ("a[0]=x&a[20]=y", {"a": {"0": "x", "20": "y"}}),
    # A digit that is no ASCII one, or thousands of them, is a key (both were a 500).
    ("a[%C2%B2]=1&a[%D9%A3]=2&a[01]=3", {"a": {"²": "1", "٣": "2", "01": "3"}}),
    ("a[" + "9" * 5000 + "]=1", {"a": {"9" * 5000: "1"}}),
    # Names that are numbers are merged first, as JavaScript walks an object's keys.
    ("[0]=x&0=y", {"0": ["y", "x"]}),
    ("9" * 5000 + "=1&1=2", {"9" * 5000: "1", "1": "2"}),
    # The first 1000 parameters are read, the rest ignored (qs's parameterLimit).
    ("&".join(f"k{i}=1" for i in range(1002)), {f"k{i}": "1" for i in range(1000)}),
    # An escaped bracket is a bracket before the text is split at "]=".
    ("a=x%5D=y", {"a=x]": "y"}),
]


@pytest.mark.parametrize(("query", "parsed"), QS, ids=[q[:30] for q, _ in QS])
def test_the_query_string_is_read_as_parse_reads_it(query: str, parsed: dict[str, Any]) -> None:
    from querylang.server.qs import parse_query

    assert parse_query(query) == parsed


def test_bracketed_and_repeated_parameters(shared: LiveServer, client: httpx.Client) -> None:
    """where[title]=... (jQuery's and PHP's way of sending an object) was 102 "Invalid parameter
    for query: where[title]", and a repeated parameter kept its last value, where Parse reads
    the query string with qs: an object, a list; keys=a&keys=b is the list of both."""
    url = f"{shared.url}/classes/Post"
    title = shared.db.find("Post", limit=1).records[0]["title"]
    want = shared.db.find("Post", {"title": title}, count=True)
    r = client.get(url + f"?where%5Btitle%5D={quote(title)}&keys%5B%5D=title&keys%5B%5D=score&count=1", headers=headers())
    assert r.status_code == 200, r.text
    assert r.json()["count"] == want.count and set(r.json()["results"][0]) == {"objectId", "createdAt", "updatedAt", "title", "score"}
    r = client.get(url + "?where=%7B%7D&where=%7B%22score%22%3A1%7D&count=1", headers=headers())
    assert (r.status_code, r.json()) == (400, {"code": 105, "error": "Invalid key name: 0"})
    for where in ("where[title][%C2%B2]=1", f"where[title][{'9' * 5000}]=1"):  # were a 500
        r = client.get(f"{url}?{where}", headers=headers())
        assert r.status_code == 400 and r.json()["code"] in (102, 111), r.text


def test_http_basic_credentials_are_keys(shared: LiveServer, client: httpx.Client) -> None:
    """Authorization: Basic (appId:masterKey, or appId:javascript-key=KEY) was ignored (403
    without X-Parse-Application-Id); Parse Server reads the app id and a key from it."""
    url = f"{shared.url}/classes/Note"  # records with ACLs: the master key counts them all

    def basic(text: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(text.encode()).decode()}

    every = shared.db.count("Note")
    r = client.get(url, params={"limit": 0, "count": 1}, headers=basic(f"{APP_ID}:{MASTER_KEY}"))
    assert (r.status_code, r.json()) == (200, {"results": [], "count": every}), r.text
    for text in (f"{APP_ID}:javascript-key=k", f"{APP_ID}:wrong"):  # a wrong master key is none
        r = client.get(url, params={"limit": 0, "count": 1}, headers=basic(text))
        assert r.status_code == 200 and 0 < r.json()["count"] < every, r.text  # a client
    for text in (f"other:{MASTER_KEY}", f"{APP_ID}:{MASTER_KEY}:x"):
        r = client.get(url, params={"limit": 0}, headers=basic(text))
        assert (r.status_code, r.json()) == (403, {"error": "unauthorized"}), text


def test_an_unserved_route_is_named_as_sent(shared: LiveServer, client: httpx.Client) -> None:
    """The 108 named the route in lower case (GET /serverinfo for /serverInfo), a path the
    client never sent; it names the path below the mount as sent."""
    r = client.get(shared.url + "/serverInfo", headers=headers(master=True))
    assert (r.status_code, r.json()) == (404, {"code": 108, "error": "this server does not serve GET /serverInfo"})


@pytest.mark.parametrize("path", ["/classes//Comment", "/classes//Comment/c001", "/classes/Comment//",
                                  "/classes/Comment/c001//", "///classes/Comment"])
def test_an_empty_segment_inside_the_path_is_no_route(shared: LiveServer, client: httpx.Client, path: str) -> None:
    """/parse/classes//Comment answered Comment's records, where Parse Server 9's router finds
    no route (404); as there, one extra slash after the mount and one at the end are taken."""
    r = client.get(shared.url + path, headers=headers(master=True))
    assert (r.status_code, r.json()) == (404, {"code": 108, "error": f"this server does not serve GET {path}"})
    for taken in ("//classes/Comment", "/classes/Comment/", "/classes/Comment/c001/"):
        assert client.get(shared.url + taken, headers=headers(master=True)).status_code == 200, taken

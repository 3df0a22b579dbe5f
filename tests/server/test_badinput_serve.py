"""Bad requests to every route of ``querylang serve``, in process: never a 500, and every
refusal of the Parse API is Parse's JSON error, ``{"code", "error"}`` (``{"error"}`` alone where
Parse Server answers so: a body that is not JSON, the keys); the data browser answers no 500
either."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import querylang
from querylang.server import ServerConfig, create_app

from ..badinput import KEYS, REST_OPERATORS, REST_VALUES, dump, mangled_scripts
from .conftest import make_db

SOME = settings(max_examples=max(10, settings.default.max_examples // 4))
FEW = settings(max_examples=max(8, settings.default.max_examples // 10))  # each reads a class twice

APP, MASTER = "bad-app", "bad-master"
PATHS = [
    "/parse/classes/Post", "/parse/classes/Post/p001", "/parse/classes/Note/n3", "/parse/classes/Nope",
    "/parse/classes/_User", "/parse/classes/Group/g2", "/parse/classes/Post/%00", "/parse/classes/Post/%ff",
    "/parse/classes/Post/" + "x" * 300, "/parse/batch", "/parse/schemas", "/parse/schemas/Post", "/parse/schemas/Nope",
    "/parse/config", "/parse/health", "/parse/users", "/parse/functions/x", "/parse/", "/parse/classes",
    "/parse/classes/Post/p001/extra", "/parse/Classes/post", "/parse/aggregate/Post", "/parse/%2e%2e/classes/Post",
]
BROWSER = ["/browser/", "/browser/classes/Post", "/browser/classes/Nope", "/browser/classes/Post/p001",
           "/browser/classes/Post/%ff", "/browser/login", "/browser/logout", "/browser/x/y"]
PARAMS = ["where", "order", "limit", "skip", "keys", "excludeKeys", "include", "includeAll", "count",
          "redirectClassNameForKey", "explain", "hint", "readPreference", "bogus", "q", "script", "sort"]
BODY_KEYS = [*KEYS, *REST_OPERATORS, "__op", "_method", "_ApplicationId", "_MasterKey", "_JavaScriptKey",
             "_SessionToken", "requests", "params", "masterKeyOnly", "ACL", "acl", "objectId", "className", "amount", "objects"]


def _json(value: Any) -> Any:
    """``value`` as JSON can carry it: what no JSON holds (NaN, a lone surrogate, bytes) as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return 1e308
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**300:
        return 10**30
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


VALUES = REST_VALUES.map(_json)
BATCH = st.fixed_dictionaries({
    "requests": st.lists(st.fixed_dictionaries({}, optional={
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "get", "PATCH"]) | VALUES,
        "path": st.sampled_from([*PATHS, "/classes/Post", "/parse/../x"]) | VALUES,
        "body": VALUES,
    }), max_size=3) | VALUES,
})
BODIES = st.one_of(
    st.sampled_from([b"", b"not json", b"{", b"[1]", b"null", b"\xff\xfe", b'{"a":' * 200, b"  ", b'{"_method": "GET"}',
                     b'{"_method": 5}', b'{"_ApplicationId": 5}', b'{"_MasterKey": ["x"]}', b'{"a": NaN}', b'{"a": 1e999}']),
    st.dictionaries(st.sampled_from(BODY_KEYS), VALUES, max_size=4).map(lambda b: json.dumps(b).encode()),
    BATCH.map(lambda b: json.dumps(b).encode()),
    st.binary(max_size=20),
)
HEADERS = st.fixed_dictionaries({}, optional={
    "X-Parse-Application-Id": st.sampled_from([APP, APP, "other", ""]),
    "X-Parse-Master-Key": st.sampled_from([MASTER, "wrong", ""]),
    "X-Parse-Session-Token": st.sampled_from(["r:x", ""]),
    "X-Parse-REST-API-Key": st.sampled_from(["k", ""]),
    "Content-Type": st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded",
                                     "multipart/form-data; boundary=x", "application/json; charset=latin1"]),
    "Cookie": st.sampled_from(["querylang_session=x", "querylang_session=", "a=b"]),
})
QUERY = st.dictionaries(
    st.sampled_from(PARAMS),
    VALUES.map(json.dumps) | st.text(max_size=12).map(lambda t: t.encode("utf-8", "replace").decode("utf-8")),
    max_size=3,
)


@pytest.fixture(scope="module")
def served(sample_doc: dict) -> Iterator[querylang.Database]:
    db = make_db(sample_doc)
    yield db
    db.close()


# A name the Host check takes (hosts.py), where the test client's own is "testserver".
LOCAL = "http://localhost"


@pytest.fixture(scope="module")
def app(served: querylang.Database) -> Iterator[Any]:
    # No limit on wrong keys: bad keys are some of the bad input sent, all from one client.
    config = ServerConfig(app_id=APP, master_key=MASTER, acl_field="acl", allow_client_writes=True, key_guesses=0)
    logging.getLogger("querylang").disabled = True  # what a 500 would log: the test names it
    yield create_app(served, config)
    logging.getLogger("querylang").disabled = False


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def signed_in(app: Any) -> Iterator[TestClient]:
    """A browser signed in with the master key (its session cookie kept)."""
    with TestClient(app, base_url=LOCAL, raise_server_exceptions=False) as c:
        r = c.post("/browser/login", content=f"masterKey={MASTER}".encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        yield c


def check_answer(r: Any, path: str) -> None:
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"
    if r.status_code < 400 or not path.startswith("/parse"):
        return
    body = r.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body
    assert set(body) <= {"code", "error"}, body
    assert "code" not in body or (isinstance(body["code"], int) and not isinstance(body["code"], bool)), body
    # A code: Parse's error shape, save the refusals Parse Server answers without one (docs/serve.md).
    if "code" not in body:
        # (413 and 415: a body's size, charset or encoding, refused before it is read, as Parse's
        # body parsers refuse them)
        assert r.status_code in (400, 403, 413, 415), (r.status_code, body)


@SOME
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"]), path=st.sampled_from(PATHS),
       query=QUERY, headers=HEADERS, body=st.none() | BODIES)
def test_a_bad_request_is_answered_with_parses_error(client, method, path, query, headers, body):
    r = client.request(method, path, params=query, headers=headers, content=body)
    if method != "HEAD":
        check_answer(r, path)
    else:
        assert r.status_code < 500


@SOME
@given(method=st.sampled_from(["GET", "POST"]), path=st.sampled_from(BROWSER), query=QUERY, headers=HEADERS,
       body=st.none() | BODIES)
def test_a_bad_browser_request_is_no_server_error(client, method, path, query, headers, body):
    r = client.request(method, path, params=query, headers=headers, content=body)
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"


@SOME
@given(where=st.dictionaries(st.sampled_from(KEYS), VALUES | st.dictionaries(st.sampled_from(REST_OPERATORS), VALUES, max_size=3), max_size=3),
       master=st.booleans())
def test_a_bad_where_is_parses_error(client, where, master):
    headers = {"X-Parse-Application-Id": APP, **({"X-Parse-Master-Key": MASTER} if master else {})}
    for cls in ("Post", "Note"):
        r = client.get(f"/parse/classes/{cls}", params={"where": json.dumps(where)}, headers=headers)
        check_answer(r, "/parse")


@SOME
@given(path=st.sampled_from(["/browser/classes/Post", "/browser/classes/Group/g2/relation/posts", "/browser/classes/Post/p001",
                             "/browser/classes/Note", "/browser/classes/Group/g1/relation/bogus", "/browser/classes/Nope/x"]),
       script=st.none() | mangled_scripts(),
       order=st.none() | st.sampled_from(["-score", "score,title", ",", "-", "bogus", "tags", "location", "Owner.title", "\x00"]),
       page=st.none() | st.sampled_from(["-1", "1", "99999999999999999999999", "1e9", "x", str(2**63)]))
def test_a_signed_in_browser_answers_bad_scripts_and_pages_without_a_server_error(signed_in, path, script, order, page):
    params = {k: v.encode("utf-8", "replace").decode("utf-8") for k, v in
              {"script": script, "order": order, "page": page}.items() if v is not None}
    r = signed_in.get(path, params=params)
    assert r.status_code < 500, f"{r.status_code}: {r.text[:300]}"


WRITE_FIELDS = ["title", "score", "published", "publishedAt", "tags", "meta", "author", "location", "acl", "ACL",
                "objectId", "createdAt", "updatedAt", "posts", "members", "name", "newField", "meta.views", "_private", "a b"]
OPS = ["Increment", "Add", "AddUnique", "Remove", "Delete", "AddRelation", "RemoveRelation", "Batch", "SetOnInsert", "Bogus"]
TYPES = ["Date", "Pointer", "GeoPoint", "File", "Bytes", "Relation", "Polygon", "Object"]
WRITE_VALUES = st.one_of(
    VALUES,
    st.builds(lambda op, key, v: {"__op": op, key: v}, st.sampled_from(OPS), st.sampled_from(["amount", "objects", "ops"]), VALUES),
    st.builds(lambda t, key, v: {"__type": t, key: v}, st.sampled_from(TYPES),
              st.sampled_from(["iso", "className", "objectId", "latitude", "name", "base64", "coordinates"]), VALUES),
)


@FEW
@given(method=st.sampled_from(["POST", "PUT"]), cls=st.sampled_from(["Post", "Group", "Note", "User"]),
       oid=st.sampled_from(["p001", "g2", "n4", "u01", "zz"]),
       body=st.dictionaries(st.sampled_from(WRITE_FIELDS), WRITE_VALUES, min_size=1, max_size=3), master=st.booleans())
def test_a_refused_write_is_parses_error_and_changes_nothing(client, served, method, cls, oid, body, master):
    before = dump(served, cls)  # a write to a class changes no other
    path = f"/parse/classes/{cls}" + (f"/{oid}" if method == "PUT" else "")
    headers = {"X-Parse-Application-Id": APP, **({"X-Parse-Master-Key": MASTER} if master else {})}
    r = client.request(method, path, content=json.dumps(body).encode(), headers=headers)
    check_answer(r, path)
    if r.status_code >= 400:
        assert set(r.json()) == {"code", "error"}, r.json()
        assert dump(served, cls) == before, f"{method} {path} {body!r} was refused ({r.text}) but changed the data"

"""``/config`` (Parse.Config, Noodl's Config) compared with Parse Server 9 on PostgreSQL: the
answers below are the ones Parse gave to the same requests. Unit level: the REST handlers are
called directly, no server is started."""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.server import ServerConfig
from querylang.server.errors import ParseError, Unauthorized
from querylang.server.keys import Access
from querylang.server.rest import Api

MASTER, CLIENT = Access(master=True, can_write=True), Access(master=False, can_write=False)
POST: dict[str, Any] = {"Post": {"fields": {"title": {"type": "String"}}}}
DATE = {"__type": "Date", "iso": "2024-01-02T03:04:05.678Z"}
FILE = {"__type": "File", "name": "logo.png", "url": "http://files.example/logo.png"}
POINTER = {"__type": "Pointer", "className": "Post", "objectId": "p1"}


def make_api(doc: dict[str, Any] | None = None) -> Api:
    db = querylang.connect()
    db.load(doc or {"classes": POST, "records": {"Post": []}})
    return Api(db, ServerConfig(app_id="app", master_key="master"))


def call(api: Api, method: str, access: Access, body: dict[str, Any] | None = None, path: str = "/config") -> Any:
    status, answer, _ = api.route(method, path, body or {}, access, "http://x/parse")
    assert status == 200
    return answer


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_config_of_a_database_without_one_is_empty(access: Access) -> None:
    """Found by pointing Parse.Config.get() (and a Noodl app, whose Config asks on start) at
    querylang serve: GET /config answered 404 {"code": 108}, where Parse Server answers
    {"params": {}} on a fresh server, so the SDK's call and the app's start failed."""
    api = make_api()
    assert call(api, "GET", access) == {"params": {}}
    assert call(api, "GET", access, path="/config/") == {"params": {}}


def test_put_then_get_hides_master_only_parameters_from_clients() -> None:
    """PUT /config was 404 (108). As Parse Server 9 answers: {"result": true}; typed values
    come back as sent; a client is not shown a master-only parameter, in params nor in
    masterKeyOnly, of which it sees the rest (Parse answers it to clients too)."""
    api = make_api()
    body = {"params": {"greeting": "hi", "launch": DATE, "logo": FILE, "home": POINTER, "secret": "s3"},
            "masterKeyOnly": {"secret": True}}
    assert call(api, "PUT", MASTER, body) == {"result": True}
    flags = {"greeting": False, "launch": False, "logo": False, "home": False}
    assert call(api, "GET", MASTER) == {"params": body["params"], "masterKeyOnly": {**flags, "secret": True}}
    public = {k: v for k, v in body["params"].items() if k != "secret"}
    assert call(api, "GET", CLIENT) == {"params": public, "masterKeyOnly": flags}
    # Nor through the class that keeps them.
    with pytest.raises(ParseError) as exc:
        call(api, "GET", CLIENT, path="/classes/Parse_GlobalConfig")
    assert exc.value.code == 119


def test_put_merges_into_the_stored_parameters() -> None:
    """As Parse Server 9 merges: parameters not named stay; a named one is replaced and its mark
    set anew (false unless masterKeyOnly says true); {"__op": "Delete"} removes one, its mark
    kept as false; a null is stored as null."""
    api = make_api()
    call(api, "PUT", MASTER, {"params": {"a": 1, "b": 2, "s": "x"}, "masterKeyOnly": {"s": True}})
    call(api, "PUT", MASTER, {"params": {"a": {"__op": "Delete"}, "s": "y", "n": None, "c": [1, {"k": "v"}]}})
    assert call(api, "GET", MASTER) == {
        "params": {"b": 2, "s": "y", "n": None, "c": [1, {"k": "v"}]},
        "masterKeyOnly": {"a": False, "b": False, "s": False, "n": False, "c": False},
    }
    assert call(api, "PUT", MASTER, {}) == {"result": True}  # nothing to merge, nothing changed
    assert call(api, "GET", CLIENT)["params"]["s"] == "y"


def test_config_loaded_with_the_data_is_served() -> None:
    """A config loaded as the class Parse_GlobalConfig (record "1"): a mark is read as Parse
    tests it, by JavaScript's truth; a record without masterKeyOnly answers params alone."""
    doc = {
        "classes": {**POST, "Parse_GlobalConfig": {"fields": {"params": {"type": "Object"}, "masterKeyOnly": {"type": "Object"}}}},
        "records": {"Post": [], "Parse_GlobalConfig": [
            {"objectId": "1", "params": {"a": 1, "b": 2, "c": 3, "d": 4}, "masterKeyOnly": {"a": 1, "b": "yes", "c": 0, "d": ""}},
        ]},
    }
    api = make_api(doc)
    assert call(api, "GET", CLIENT) == {"params": {"c": 3, "d": 4}, "masterKeyOnly": {"c": 0, "d": ""}}
    assert call(api, "GET", MASTER)["params"] == {"a": 1, "b": 2, "c": 3, "d": 4}
    doc["records"]["Parse_GlobalConfig"] = [{"objectId": "1", "params": {"a": 1}}]
    assert call(make_api(doc), "GET", CLIENT) == {"params": {"a": 1}}


def test_put_needs_the_master_key_and_changes_nothing_without_it() -> None:
    api = make_api()
    with pytest.raises(Unauthorized) as exc:
        call(api, "PUT", Access(master=False, can_write=True), {"params": {"a": 1}})
    assert exc.value.body() == {"error": "Permission denied"}
    assert "Parse_GlobalConfig" not in api.db.schema.classes


@pytest.mark.parametrize(("body", "code", "says"), [
    ({"params": [1]}, 107, "params must be an object"),
    ({"params": {"a": 1}, "masterKeyOnly": {"a": "yes"}}, 107, "masterKeyOnly.a must be true or false"),
    ({"params": {"a.b": 1}}, 121, "'a.b'"),
    ({"params": {"a": {"__op": "Increment", "amount": 1}}}, 107, "not 'Increment'"),
    ({"params": {"a": 1}, "extra": 1}, 105, "not 'extra'"),
    ({"params": {"ok": 1, "o": {"x.y": 1}}}, 107, "'x.y'"),
])
def test_a_bad_put_is_refused_and_changes_nothing(body: dict[str, Any], code: int, says: str) -> None:
    """Parse Server 9 stores most of these as they come (a parameter holding {"__op":
    "Increment"} unapplied, 'a.b' as the key b inside a, replacing all of a); here each is an
    error naming what is wrong, and the stored config is as it was."""
    api = make_api()
    call(api, "PUT", MASTER, {"params": {"keep": 1}})
    with pytest.raises(ParseError) as exc:
        call(api, "PUT", MASTER, body)
    assert exc.value.code == code and says in exc.value.message
    assert call(api, "GET", MASTER) == {"params": {"keep": 1}, "masterKeyOnly": {"keep": False}}


@pytest.mark.parametrize("params", [{"o": {"x.y": 1}}, {"s": "a\x00b"}, {"s": "\ud800"}], ids=["dot", "nul", "surrogate"])
def test_a_bad_put_to_a_database_without_config_makes_no_class(params: dict[str, Any]) -> None:
    """A PUT /config the library refuses, on a database that holds no config yet, was refused
    (107) but left the class Parse_GlobalConfig it had defined first: /schemas, the browser
    and db.schema listed a class no request had made."""
    api = make_api()
    with pytest.raises(ParseError) as exc:
        call(api, "PUT", MASTER, {"params": {"ok": 1, **params}})
    assert exc.value.code == 107 and "class Parse_GlobalConfig, record 1, field params:" in exc.value.message
    assert "Parse_GlobalConfig" not in api.db.schema.classes
    assert call(api, "GET", MASTER) == {"params": {}}


def test_a_config_class_of_another_shape_is_named() -> None:
    doc = {"classes": {**POST, "Parse_GlobalConfig": {"fields": {"params": {"type": "String"}}}},
           "records": {"Post": [], "Parse_GlobalConfig": []}}
    api = make_api(doc)
    for method, body in (("GET", None), ("PUT", {"params": {"a": 1}})):
        with pytest.raises(ParseError) as exc:
            call(api, method, MASTER, body)
        assert exc.value.status == 500 and "Parse_GlobalConfig has the field as String, not Object: params" in exc.value.message

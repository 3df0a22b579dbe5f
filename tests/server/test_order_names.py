"""What a find reads first, as Parse Server 9 reads it: a client's explain beside a class only
the master key reads, and an order's items trimmed as JavaScript trims them, each in its turn
(test_parse_live_order checks the same requests against a real Parse Server 9). Unit level:
the REST handlers are called directly, no server is started."""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.server import ServerConfig
from querylang.server.errors import ParseError
from querylang.server.keys import Access
from querylang.server.rest import Api

MASTER, CLIENT = Access(master=True, can_write=True), Access(master=False, can_write=False)
EXPLAIN = "Using the explain query parameter requires the master key"
# The classes Parse Server 9 refuses a client's find in before it looks at explain (its
# enforceRoleSecurity), its join tables too; _Session it refuses later, after the explain.
ROLE_SECURED = ["_Installation", "_Hooks", "_JobStatus", "_PushStatus", "_GlobalConfig", "_GraphQLConfig",
                "_JobSchedule", "_Audience", "_Idempotency", "_Join:fans:Post"]


@pytest.fixture(scope="module")
def api() -> Api:
    db = querylang.connect()
    db.load({"classes": {"Item": {"fields": {"n": {"type": "Number"}}}},
             "records": {"Item": [{"objectId": f"i{k}", "n": (k * 2) % 5} for k in range(5)]}})
    return Api(db, ServerConfig(app_id="app", master_key="master"))


def find(api: Api, path: str, access: Access, **params: Any) -> tuple[int, Any]:
    try:
        status, body, _ = api.route("GET", path, params, access, "http://x/parse")
    except ParseError as err:
        return 400, {"code": err.code, "error": err.message}
    return status, body


@pytest.mark.parametrize("cls", ROLE_SECURED)
def test_a_clients_explain_in_a_class_only_the_master_key_reads_is_119(api: Api, cls: str) -> None:
    """Found by review: serve answered a client's explain there 102 (the explain), where Parse
    Server 9 refuses the class first, 119 "Permission denied"; a where that is no JSON is
    still 107 before both."""
    assert find(api, f"/classes/{cls}", CLIENT, explain=True) == (400, {"code": 119, "error": "Permission denied"})
    assert find(api, f"/classes/{cls}", CLIENT, explain=True, where="{bad")[1]["code"] == 107
    assert find(api, "/classes/_Session", CLIENT, explain=True) == (400, {"code": 102, "error": EXPLAIN})


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
def test_an_orders_items_are_trimmed_as_javascript_trims_them(api: Api, access: Access) -> None:
    """Found by review: a BOM before a name (order=\\ufeffn) was 105 "Invalid field name",
    where JavaScript's trim() drops it and Parse Server 9 sorts by n; a \\x1f after one sorted
    by n, where JavaScript keeps it and Parse answers 105 naming it."""
    by_n = find(api, "/classes/Item", access, order="-n")
    assert by_n[0] == 200 and [r["n"] for r in by_n[1]["results"]] == [4, 3, 2, 1, 0]
    assert find(api, "/classes/Item", access, order="\ufeff-n\u3000") == by_n
    assert find(api, "/classes/Item", access, order="-n\x1f") == (400, {"code": 105, "error": "Invalid field name: n\x1f."})
    assert find(api, "/classes/Item", access, order="\x85n") == (400, {"code": 105, "error": "Invalid field name: \x85n."})
    if access.master:  # in a class that is not there: no records, as Parse answers them
        assert find(api, "/classes/NoSuchClass", access, order="\ufeffn") == (200, {"results": []})


@pytest.mark.parametrize("access", [MASTER, CLIENT], ids=["master", "client"])
@pytest.mark.parametrize("cls", ["Item", "NoSuchClass"])
@pytest.mark.parametrize(("order", "first"), [
    ("a b,,n", "Invalid field name: a b."), ("n,a b,", "Invalid field name: a b."), ("-$x,-", "Invalid field name: $x."),
    ("a b,1,", "Invalid field name: 1."), (",a b", "cannot sort by '': order \",a b\" holds an empty key"),
    ("n, ,a b", "cannot sort by '': order \"n, ,a b\" holds an empty key"),
])
def test_an_empty_key_in_an_order_is_read_in_its_turn(api: Api, access: Access, cls: str, order: str, first: str) -> None:
    """Found by review: an empty key was refused before any other name of the order (a b,,n
    said "cannot sort by ''"), where Parse Server 9 reads the names in the order of the object
    it builds of them and names a b first."""
    if cls == "NoSuchClass" and not access.master:
        return  # a client may not learn a class is not there: 119 first
    assert find(api, f"/classes/{cls}", access, order=order) == (400, {"code": 105, "error": first})


def test_a_clients_hidden_field_in_an_order_with_an_empty_key_is_119(api: Api) -> None:
    """Found by review: -email, (an empty key beside a field Parse hides from clients) was 105,
    where Parse Server 9 refuses the hidden field first, as it does beside any other bad name."""
    status, body = find(api, "/classes/_User", CLIENT, order="-email,")
    assert (status, body["code"]) == (400, 119) and "email" in body["error"]


@pytest.mark.parametrize("cls", [*ROLE_SECURED, "_Session"])
def test_a_where_that_is_no_json_is_107_before_a_class_only_the_master_key_reads(api: Api, cls: str) -> None:
    """Found by review: a client's find there with where={bad was 119 (209 in _Session), where
    Parse Server 9's router reads the where's JSON first: 107."""
    assert find(api, f"/classes/{cls}", CLIENT, where="{bad") == (400, {"code": 107, "error": "where parameter is not valid JSON"})


@pytest.mark.parametrize(("order", "answer"), [
    ("--email", (105, "Invalid field name: -email.")), ("\x1femail", (105, "Invalid field name: \x1femail.")),
    ("\ufeff-email", (119, "This user is not allowed to sort by email on class _User")),
    ("-email.x", (119, "This user is not allowed to sort by email on class _User")),
])
def test_a_clients_order_reads_its_hidden_fields_as_parse_reads_its_keys(api: Api, order: str, answer: tuple[int, str]) -> None:
    """Found by review: every leading - was dropped and the key trimmed as Python trims it
    before serve looked for a hidden field (--email and \\x1femail were 119 for email), where
    Parse Server 9 drops one - and trims as JavaScript does: the key -email, no hidden field,
    and then no name a field may have (105)."""
    code, message = answer
    assert find(api, "/classes/_User", CLIENT, order=order) == (400, {"code": code, "error": message})

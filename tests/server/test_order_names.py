"""What a find reads first, as Parse Server 9 reads it: a client's explain beside a class only
the master key reads (test_parse_live_order checks the same requests against a real Parse
Server 9). Unit level:
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
# enforceRoleSecurity); _Session it refuses later, after the explain.
ROLE_SECURED = ["_Installation", "_Hooks", "_JobStatus", "_PushStatus", "_GlobalConfig", "_GraphQLConfig",
                "_JobSchedule", "_Audience", "_Idempotency"]


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

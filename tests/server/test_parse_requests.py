"""How a request reaches the API, as Parse Server 9 reads it (the mount's case, ``_method``, the
keys in a body beside those in headers), each found by sending the same request to Parse
Server 9 and to serve over the same records."""

from __future__ import annotations

import httpx

from .conftest import headers
from .live import LiveServer


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

"""Bytes written and read through `querylang serve`: by value, as Parse Server on MongoDB keeps
them (the bytes Node's Buffer.from reads from the base64 sent), answered in canonical base64;
empty base64 refused as Parse refuses it. tests/server/test_parse_live_fidelity.py sets them
beside Parse Server on PostgreSQL, which keeps and compares the text sent."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from .conftest import headers
from .live import LiveServer, serving


@pytest.fixture
def served() -> Iterator[LiveServer]:
    with serving({"classes": {"Blob": {"fields": {"raw": {"type": "Bytes"}, "n": {"type": "Number"}}}},
                  "records": {"Blob": [{"objectId": "b0", "raw": {"__type": "Bytes", "base64": "QQ=="}}]}}) as srv:
        yield srv


def test_bytes_are_kept_and_answered_by_value(served: LiveServer, client: httpx.Client) -> None:
    """A write kept the base64 as sent ('-_-_', 'QQ'), answered it so, and compared that text:
    '$in' of 'QQ' missed 'QQ=='."""
    url, h = f"{served.url}/classes/Blob", headers(master=True)
    # "==", no byte, Parse Server 9 takes (only empty base64 is "not a valid Bytes" to it) and on
    # MongoDB keeps as the empty Binary it answers as "": was refused as no Bytes (107).
    for oid, sent in (("b1", "-_-_"), ("b2", "QR"), ("b3", "aGVs\nbG8==="), ("b4", "==")):
        r = client.post(url, json={"objectId": oid, "raw": {"__type": "Bytes", "base64": sent}}, headers=h)
        assert r.status_code == 201, r.text
    got = {r["objectId"]: r["raw"]["base64"] for r in client.get(url, headers=h).json()["results"]}
    assert got == {"b0": "QQ==", "b1": "+/+/", "b2": "QQ==", "b3": "aGVsbG8=", "b4": ""}
    for b64, ids in (("QQ", ["b0", "b2"]), ("+/+/", ["b1"]), ("aGVsbG8", ["b3"]), ("", ["b4"])):
        where = json.dumps({"raw": {"$in": [{"__type": "Bytes", "base64": b64}]}})
        assert sorted(r["objectId"] for r in client.get(url, params={"where": where}, headers=h).json()["results"]) == ids


@pytest.mark.parametrize(("b64", "code", "said"), [
    ("", 111, "Blob.raw: this is not a valid Bytes"),  # Parse Server answers it so
    (None, 111, "Blob.raw: this is not a valid Bytes"),
    ("!!!!", 107, "not valid base64"),
])  # fmt: skip
def test_bytes_querylang_cannot_hold_are_refused_and_change_nothing(served: LiveServer, client: httpx.Client,
                                                                    b64: str | None, code: int, said: str) -> None:
    url, h = f"{served.url}/classes/Blob", headers(master=True)
    raw = {"__type": "Bytes"} if b64 is None else {"__type": "Bytes", "base64": b64}
    for r in (client.post(url, json={"raw": raw}, headers=h), client.put(f"{url}/b0", json={"raw": raw, "n": 1}, headers=h)):
        assert (r.status_code, r.json()["code"]) == (400, code), r.text
        assert said in r.json()["error"], r.text
    (kept,) = served.db.query("Blob", {}).records
    assert kept["objectId"] == "b0" and kept["raw"] == {"__type": "Bytes", "base64": "QQ=="} and "n" not in kept

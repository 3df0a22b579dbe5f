"""Typed values (GeoPoint, File, Polygon) written through `querylang serve`, each checked
against what Parse Server 9 answers for the same request (run beside it while these tests were
written)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import querylang

from .conftest import headers
from .live import LiveServer, start


@pytest.fixture(scope="module")
def served() -> Iterator[LiveServer]:
    db = querylang.connect()
    db.load({"classes": {"Place": {"fields": {"loc": {"type": "GeoPoint"}, "f": {"type": "File"},
                                              "area": {"type": "Polygon"}, "name": {"type": "String"}}}},
             "records": {"Place": [{"objectId": "x1", "name": "first"}]}})
    srv = start(db)
    try:
        yield srv
    finally:
        srv.stop()
        db.close()


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_geopoint_written_as_a_plain_object_is_refused(served: LiveServer, client: httpx.Client, method: str) -> None:
    """Found by review: {"latitude", "longitude"} without "__type": "GeoPoint" was stored as
    the GeoPoint; Parse Server 9 refuses it, 111 "schema mismatch for Place.loc; expected
    GeoPoint but got Object" (an app that wrote so against serve failed on Parse)."""
    url = f"{served.url}/classes/Place" + ("/x1" if method == "PUT" else "")
    r = client.request(method, url, json={"loc": {"latitude": 10, "longitude": 1}}, headers=headers(master=True))
    assert (r.status_code, r.json()) == (400, {"code": 111, "error": "schema mismatch for Place.loc; expected GeoPoint but got Object"})
    assert served.db.count("Place", {}) == 1
    assert "loc" not in served.db.find("Place", {"objectId": "x1"}).records[0]

"""Typed values (GeoPoint, File, Polygon) written through `querylang serve`, each checked
against what Parse Server 9 answers for the same request (run beside it while these tests were
written)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import headers
from .live import LiveServer, serving


@pytest.fixture(scope="module")
def served() -> Iterator[LiveServer]:
    with serving({"classes": {"Place": {"fields": {"loc": {"type": "GeoPoint"}, "f": {"type": "File"},
                                                   "area": {"type": "Polygon"}, "name": {"type": "String"}}}},
                  "records": {"Place": [{"objectId": "x1", "name": "first"}]}}) as srv:
        yield srv


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


def test_a_polygon_is_kept_as_a_closed_ring(served: LiveServer, client: httpx.Client) -> None:
    """Found by review: a Polygon written as an open ring was kept and answered open; Parse
    Server 9 closes it as it writes it (its first point added at the end, on PostgreSQL and on
    MongoDB alike), and answers it so. A closed ring is kept as it is."""
    url, h = f"{served.url}/classes/Place", headers(master=True)
    ring = [[0, 0], [0, 1], [1, 1]]
    r = client.post(url, json={"objectId": "open", "area": {"__type": "Polygon", "coordinates": ring}}, headers=h)
    assert r.status_code == 201, r.text
    r = client.put(f"{url}/x1", json={"area": {"__type": "Polygon", "coordinates": [*ring, [0, 0]]}}, headers=h)
    assert r.status_code == 200, r.text
    for oid in ("open", "x1"):
        got = client.get(f"{url}/{oid}", headers=h).json()["area"]
        assert got == {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [1, 1], [0, 0]]}, (oid, got)
    r = client.put(f"{url}/x1", json={"area": {"__type": "Polygon", "coordinates": [[5, 5], [5, 6], [6, 6]]}}, headers=h)
    assert r.status_code == 200, r.text
    assert client.get(f"{url}/x1", headers=h).json()["area"]["coordinates"] == [[5, 5], [5, 6], [6, 6], [5, 5]]


@pytest.mark.parametrize(("field", "value"), [
    ("loc", {"__type": "GeoPoint", "latitude": 10}), ("loc", {"__type": "GeoPoint", "latitude": None, "longitude": 1}),
    ("f", {"__type": "File"}), ("f", {"__type": "File", "name": ""}), ("area", {"__type": "Polygon"}),
    ("name", {"__type": "File", "url": "http://x/a.txt"}),
], ids=["geo-no-longitude", "geo-null-latitude", "file-no-name", "file-empty-name", "polygon-no-coordinates", "file-on-string"])
def test_a_typed_value_missing_its_parts_is_a_type_error(served: LiveServer, client: httpx.Client, field: str,
                                                          value: dict) -> None:
    """Found by review: a GeoPoint without its latitude or longitude, a File without its name,
    a Polygon without coordinates were 107 (the library's check of the value); Parse Server 9
    reads no type from them, 111 "This is not a valid GeoPoint" (File, Polygon), on a field of
    any type, before the field's type is compared."""
    kind, before = value["__type"], served.db.find("Place", {}, order="objectId").records
    for method, url in (("POST", f"{served.url}/classes/Place"), ("PUT", f"{served.url}/classes/Place/x1")):
        r = client.request(method, url, json={field: value}, headers=headers(master=True))
        assert (r.status_code, r.json()["code"]) == (400, 111), r.text
        assert f"Place.{field}: this is not a valid {kind}" in r.json()["error"], r.text
    assert served.db.find("Place", {}, order="objectId").records == before

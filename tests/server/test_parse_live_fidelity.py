"""Small fidelity gaps, each sent to a real Parse Server 9 on PostgreSQL and to querylang over
the same records (read in place on Parse's tables, imported from the server, and served by
``querylang serve``), their answers compared:

* Bytes: Parse on PostgreSQL keeps the base64 its client sent (URL-safe letters, padding left
  out or in excess, line breaks), answers the same text and compares that text; it refuses
  empty base64 (111). querylang reads each spelling as the bytes Node reads from it, and
  compares and answers them by value, in canonical base64, as Parse on MongoDB keeps them
  (MongoDB's meaning, docs/parse-in-place.md): the difference asserted here. querylang
  refused URL-safe letters and excess padding, and kept empty Bytes.
* Numbers: Parse answers 2**53 as ``9007199254740992`` (JavaScript's text), serve answered
  ``9007199254740992.0``.
* ``keys=meta.geo.__type`` (``geo`` a GeoPoint inside an Object): Parse answers the whole Object,
  serve answered ``{"__type": "GeoPoint"}`` alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

import querylang
from querylang.errors import QueryError
from querylang.frontends.parse_rest import find
from querylang.model.values import canonical_base64

from ..pg import parse_server
from .live import LiveServer, http_client, start

SENT = {"b1": "aGVsbG8=", "b2": "aGVsbG8", "b3": "aGVsbG8===", "b4": "-_-_", "b5": "a-_b+/==", "b6": "aGVs\nbG8=",
        "b7": "YQ"}
NUMBERS = {"n1": 2.0**53, "n2": -(2.0**53), "n3": 1e20, "n4": 123456789012345678901.0, "n5": 1e21, "n6": 1.5e300,
           "n7": -0.0, "n8": 1e-7, "n9": 0.000001, "n10": 2.5e-6, "n11": 4.5e15}
GEO = {"__type": "GeoPoint", "latitude": 1.5, "longitude": 2.5}
SCHEMA = {"B": {"b": {"type": "Bytes"}}, "Bad": {"b": {"type": "Bytes"}},
          "N": {"n": {"type": "Number"}, "o": {"type": "Object"}, "a": {"type": "Array"}},
          "K": {"meta": {"type": "Object"}}}


@dataclass
class Both:
    parse: Any  # benchmarks.parse_server.ParseServer
    in_place: querylang.Database
    imported: querylang.Database
    serve: LiveServer
    client: httpx.Client

    def parse_get(self, path: str, **params: str) -> httpx.Response:
        from benchmarks.parse_server import APP_ID, MASTER_KEY

        url = f"http://127.0.0.1:{self.parse.port}{self.parse.mount}{path}"
        return self.client.get(url, params=params, headers={"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY})

    def serve_get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(self.serve.url + path, params=params, headers=self._serve_keys())

    def _serve_keys(self) -> dict[str, str]:
        return {"X-Parse-Application-Id": self.serve.config.app_id, "X-Parse-Master-Key": self.serve.config.master_key}

    def both_post(self, path: str, body: Any) -> tuple[httpx.Response, httpx.Response]:
        from benchmarks.parse_server import APP_ID, MASTER_KEY

        url = f"http://127.0.0.1:{self.parse.port}{self.parse.mount}{path}"
        p = self.client.post(url, json=body, headers={"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY})
        return self.client.post(self.serve.url + path, json=body, headers=self._serve_keys()), p


@pytest.fixture(scope="module")
def both() -> Iterator[Both]:
    with parse_server() as (pg, server):
        from benchmarks.parse_server import APP_ID, MASTER_KEY

        for cls, fields in SCHEMA.items():
            server.request("POST", f"/schemas/{cls}", {"className": cls, "fields": fields})
        for oid, b64 in SENT.items():
            server.request("POST", "/classes/B", {"objectId": oid, "b": {"__type": "Bytes", "base64": b64}})
        for oid, x in NUMBERS.items():
            server.request("POST", "/classes/N", {"objectId": oid, "n": x, "o": {"x": x}, "a": [x]})
        server.request("POST", "/classes/K", {"objectId": "k1", "meta": {"geo": GEO, "plain": {"a": 1, "b": 2}}})
        in_place = querylang.connect(pg.uri, layout="parse")
        imported = querylang.connect()
        imported.import_parse_server(f"http://127.0.0.1:{server.port}{server.mount}", app_id=APP_ID, master_key=MASTER_KEY,
                                     classes=["B", "N", "K"])
        srv = start(imported)
        try:
            with http_client() as client:
                yield Both(server, in_place, imported, srv, client)
        finally:
            srv.stop()
            in_place.close()
            imported.close()


# --- Bytes ------------------------------------------------------------------------------------


def test_bytes_come_back_in_canonical_base64(both: Both) -> None:
    """Parse on PostgreSQL answers the text as sent; querylang the canonical base64 of the
    bytes it stands for, as Parse on MongoDB answers them."""
    parse = {r["objectId"]: r["b"] for r in both.parse_get("/classes/B", limit="100").json()["results"]}
    assert parse == {oid: {"__type": "Bytes", "base64": b64} for oid, b64 in SENT.items()}  # Parse keeps the text
    canonical = {oid: {"__type": "Bytes", "base64": canonical_base64(b["base64"])} for oid, b in parse.items()}
    assert canonical["b4"]["base64"] == "+/+/" and canonical["b2"] == canonical["b3"] == canonical["b6"] == canonical["b1"]
    for db in (both.in_place, both.imported):
        for run in (db.query, db.reference):
            assert {r["objectId"]: r["b"] for r in run("B", None).records} == canonical
    served = {r["objectId"]: r["b"] for r in both.serve_get("/classes/B").json()["results"]}
    assert served == canonical


@pytest.mark.parametrize("b64", [*SENT.values(), "aGVsbG8==", "+/+/", "YQ=="])
def test_bytes_compare_by_value(both: Both, b64: str) -> None:
    """Parse on PostgreSQL's $in compares the text ('aGVsbG8' finds only the record sent so);
    querylang's compares the bytes ('aGVsbG8' finds every spelling of 'hello')."""
    where = {"b": {"$in": [{"__type": "Bytes", "base64": b64}]}}
    parse = sorted(r["objectId"] for r in both.parse_get("/classes/B", where=json.dumps(where)).json()["results"])
    assert parse == sorted(oid for oid, sent in SENT.items() if sent == b64)
    by_value = sorted(oid for oid, sent in SENT.items() if canonical_base64(sent) == canonical_base64(b64))
    served = sorted(r["objectId"] for r in both.serve_get("/classes/B", where=json.dumps(where)).json()["results"])
    assert served == by_value
    for db in (both.in_place, both.imported):
        assert sorted(find(db, "B", where).ids) == by_value, db


def test_empty_bytes_are_refused_as_parse_refuses_them(both: Both) -> None:
    for body in ({"b": {"__type": "Bytes", "base64": ""}}, {"b": {"__type": "Bytes"}}):
        served, parse = both.both_post("/classes/B", body)
        assert (served.status_code, served.json()["code"]) == (parse.status_code, parse.json()["code"]) == (400, 111)
    served, parse = both.both_post("/classes/B", {"objectId": "w1", "b": {"__type": "Bytes", "base64": "_-=="}})
    assert served.status_code == parse.status_code == 201
    assert both.parse_get("/classes/B/w1").json()["b"] == {"__type": "Bytes", "base64": "_-=="}
    assert both.serve_get("/classes/B/w1").json()["b"] == {"__type": "Bytes", "base64": "/w=="}


def test_a_count_answers_over_bytes_a_query_refuses(both: Both) -> None:
    """Parse keeps any text that is not empty ('!!!!'): querylang refuses to read it (no
    base64), naming the record; a count reads no cell and answers as Parse's count does.
    (Written for this test alone: the reference reads the whole database.)"""
    both.parse.request("POST", "/classes/Bad", {"objectId": "x1", "b": {"__type": "Bytes", "base64": "!!!!"}})
    try:
        with pytest.raises(QueryError, match="not valid base64") as err:
            both.in_place.query("Bad", {})
        assert "x1" in str(err.value) and "Bad" in str(err.value)
        parse = both.parse_get("/classes/Bad", where=json.dumps({"b": {"$exists": True}}), count="1", limit="0").json()
        assert both.in_place.count("Bad", {"b": {"exists": True}}) == parse["count"] == 1
    finally:
        both.parse.request("DELETE", "/classes/Bad/x1")
        both.in_place.clear_cache()


# --- numbers ----------------------------------------------------------------------------------


def _number_texts(text: str) -> dict[str, tuple[str, str, str]]:
    """Each record's n, o.x and a[0] as written in the answer's JSON."""
    out = {}
    for rec in re.findall(r"\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}", text):
        oid = re.search(r'"objectId":"(\w+)"', rec)
        n, o, a = (re.search(p, rec) for p in (r'"n":([^,}\]]+)', r'"o":\{"x":([^,}\]]+)\}', r'"a":\[([^,}\]]+)\]'))
        if oid and n and o and a:
            out[oid.group(1)] = (n.group(1), o.group(1), a.group(1))
    return out


def test_numbers_are_written_as_parse_writes_them(both: Both) -> None:
    parse = _number_texts(both.parse_get("/classes/N", keys="n,o,a").text)
    assert parse["n1"] == ("9007199254740992",) * 3 and parse["n7"] == ("0",) * 3 and parse["n5"] == ("1e+21",) * 3
    assert len(parse) == len(NUMBERS)
    assert _number_texts(both.serve_get("/classes/N", keys="n,o,a").text) == parse


# --- keys inside a typed value ----------------------------------------------------------------


@pytest.mark.parametrize("params", [{"keys": "meta.geo.__type"}, {"keys": "meta.geo.latitude"},
                                    {"keys": "meta.geo.latitude.x"}, {"excludeKeys": "meta.geo.latitude"},
                                    {"excludeKeys": "meta.geo.__type"}])
def test_a_key_inside_a_geopoint_answers_it_whole(both: Both, params: dict[str, str]) -> None:
    """Parse Server 9 on PostgreSQL answers the whole Object for each; serve keeps its own
    projection of the Object (docs/serve.md) but never cuts a typed value inside it."""
    (parse,) = both.parse_get("/classes/K", **params).json()["results"]
    (served,) = both.serve_get("/classes/K", **params).json()["results"]
    assert parse["meta"]["geo"] == GEO
    assert served["meta"]["geo"] == parse["meta"]["geo"]

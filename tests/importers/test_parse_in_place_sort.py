"""Sorts of a Parse database read in place (layout="parse") against Parse Server's own answers
from the same tables, on the importer tests' live server (conftest.py). The class the test adds
holds no Pointer and is deleted after it (the doctor test of test_parse_in_place_doctor.py compares
connections made before and after)."""

from __future__ import annotations

import urllib.parse

import querylang

from .conftest import LiveParse

# meta.v of each record of the class "Sorted": every kind, arrays, a Date, and absent (s6)
SORTED = {"s1": [5, "x"], "s2": "b", "s3": 3, "s4": [1], "s5": {"w": 1}, "s6": None, "s7": {"__type": "Date", "iso": "2020-01-01T00:00:00.000Z"},
          "s8": True, "s9": [{"w": 0}]}  # fmt: skip


def test_a_sort_by_an_object_path_is_mongodbs_where_parse_orders_jsonb_as_postgresql(live_parse: LiveParse) -> None:
    """docs/parse-in-place.md: a sort by an Object path takes MongoDB's order of kinds, and an
    array its smallest or largest element; Parse Server on PostgreSQL orders the jsonb values as
    PostgreSQL does (strings before numbers, then booleans, arrays by their length, objects last,
    a Date as an object; absent last ascending; a path on through an array as absent), on the
    same tables."""
    server = live_parse.server
    for oid, v in SORTED.items():
        server.request("POST", "/classes/Sorted", {"objectId": oid, "meta": {} if v is None else {"v": v}})
    db = querylang.connect(live_parse.pg.uri, layout="parse")
    try:
        ours = {"meta.v": "s6 s4 s3 s1 s2 s5 s9 s8 s7", "-meta.v": "s7 s8 s5 s9 s1 s2 s3 s4 s6",
                "meta.v.w": "s1 s2 s3 s4 s6 s7 s8 s9 s5"}
        parse = {"meta.v": "s2 s3 s8 s4 s9 s1 s5 s7 s6", "-meta.v": "s6 s7 s5 s1 s9 s4 s8 s3 s2",
                 "meta.v.w": "s5 s1 s2 s3 s4 s6 s7 s8 s9"}
        for order, ids in ours.items():
            assert db.query("Sorted", {}, sort=[order]).ids == ids.split()
            assert db.reference("Sorted", {}, sort=[order]).ids == ids.split()
            out = server.request("GET", "/classes/Sorted?" + urllib.parse.urlencode({"order": f"{order},objectId"}))
            assert [r["objectId"] for r in out["results"]] == parse[order].split()
    finally:
        db.close()
        for oid in SORTED:
            server.request("DELETE", f"/classes/Sorted/{oid}")
        server.request("DELETE", "/schemas/Sorted")

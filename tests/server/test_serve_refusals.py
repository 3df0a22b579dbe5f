"""Write bodies and query parameters `querylang serve` must refuse (or read) as Parse Server 9
does, each a case an earlier review found answered otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import querylang
import querylang.model.values

from .conftest import headers
from .live import LiveServer, start

NO_DATE = {"__type": "Date", "iso": "not a date"}
DOC: dict[str, Any] = {
    "classes": {"T": {"fields": {"tags": {"type": "Array"}, "when": {"type": "Date"}, "n": {"type": "Number"}}}},
    "records": {"T": [{"objectId": "t1", "tags": ["a"], "n": 1, "when": "2024-01-01T00:00:00.000Z"},
                      {"objectId": "t2", "n": 2}]},
}


@pytest.fixture(scope="module")
def small() -> Iterator[LiveServer]:
    db = querylang.connect()
    db.load(DOC)
    srv = start(db)
    yield srv
    srv.stop()


def test_a_date_object_naming_no_date_inside_an_array_is_refused(small: LiveServer, client: httpx.Client) -> None:
    # It was stored as a plain object, where a bad Date on a Date field answers 111.
    before = small.db.find("T").records
    for method, url in (("POST", f"{small.url}/classes/T"), ("PUT", f"{small.url}/classes/T/t1")):
        for body in ({"tags": [NO_DATE]}, {"tags": {"__op": "Add", "objects": [NO_DATE]}}):
            r = client.request(method, url, json=body, headers=headers(master=True))
            assert r.status_code == 400 and r.json()["code"] == 111, r.text
            assert re.search(r"T\.tags( \(Add\))?: this is not a valid Date: its iso 'not a date' at \[\d\]", r.json()["error"])
    assert small.db.find("T").records == before


@pytest.mark.parametrize("key", ["when", "createdAt", "updatedAt"])
def test_a_date_whose_iso_is_no_date_is_111_on_every_date_field(small: LiveServer, client: httpx.Client, key: str) -> None:
    # A Date field's was the library's 107 "expected a Date", where createdAt's and
    # updatedAt's were 111: one code for one mistake, Parse's for a Date it cannot read.
    before = small.db.find("T").records
    for iso, why in (("not a date", "no ISO-8601 date"), ("2024-02-30", "no ISO-8601 date"),
                     ("+010000-01-01T00:00:00Z", querylang.model.values.OUTSIDE_YEARS)):
        for method, url in (("POST", f"{small.url}/classes/T"), ("PUT", f"{small.url}/classes/T/t1")):
            r = client.request(method, url, json={key: {"__type": "Date", "iso": iso}, "n": 5}, headers=headers(master=True))
            assert (r.status_code, r.json()) == (400, {"code": 111, "error": f"T.{key}: this is not a valid Date: "
                                                                             f"its iso {iso!r} is {why}"})
    assert small.db.find("T").records == before

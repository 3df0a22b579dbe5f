"""Write bodies and query parameters `querylang serve` must refuse (or read) as Parse Server 9
does, each a case an earlier review found answered otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import querylang

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
            assert r.status_code == 400, r.text
            assert re.search(r"field tags: the Date object at \[\d\] is no date: iso 'not a date'", r.json()["error"])
    assert small.db.find("T").records == before

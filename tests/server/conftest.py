"""Servers for the serve tests: one shared, read-mostly server over the sample data (plus a
class with ACLs), and fresh ones for tests that write."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver

import querylang

from .chrome import chromium_driver
from .live import APP_ID, MASTER_KEY, LiveServer, http_client, start

# Records with Parse ACLs, kept in an Object field named `acl` (the interchange format reserves
# `ACL` for a coming ACL type; the server is told which field holds them).
NOTES: dict[str, Any] = {
    "classes": {"Note": {"fields": {"title": {"type": "String"}, "rank": {"type": "Number"},
                                    "acl": {"type": "Object"},
                                    "about": {"type": "Pointer", "targetClass": "Note"}}}},
    "records": {"Note": [
        {"objectId": "n1", "title": "no acl", "rank": 1},
        {"objectId": "n2", "title": "public read", "rank": 2, "acl": {"*": {"read": True}}},
        {"objectId": "n3", "title": "private", "rank": 3, "acl": {"u1": {"read": True, "write": True}}},
        {"objectId": "n4", "title": "public read+write", "rank": 4, "acl": {"*": {"read": True, "write": True}}},
        {"objectId": "n5", "title": "empty acl", "rank": 5, "acl": {}},
        {"objectId": "n6", "title": "points at private", "rank": 6, "about": "n3"},
    ]},
}


def make_db(sample_doc: dict) -> querylang.Database:
    db = querylang.connect()
    db.load(copy.deepcopy(sample_doc))
    db.load(copy.deepcopy(NOTES))
    return db


@pytest.fixture(scope="session")
def shared(sample_doc: dict) -> Iterator[LiveServer]:
    """Read-only tests share this one (tests that write use ``fresh``)."""
    srv = start(make_db(sample_doc), acl_field="acl")
    yield srv
    srv.stop()


@pytest.fixture
def fresh(sample_doc: dict) -> Iterator[LiveServer]:
    srv = start(make_db(sample_doc), acl_field="acl")
    yield srv
    srv.stop()


def headers(master: bool = False, **extra: str) -> dict[str, str]:
    h = {"X-Parse-Application-Id": APP_ID}
    if master:
        h["X-Parse-Master-Key"] = MASTER_KEY
    return {**h, **extra}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with http_client() as c:
        yield c


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Headless chromium, one for each test module that walks the data browser."""
    with chromium_driver() as driver:
        yield driver

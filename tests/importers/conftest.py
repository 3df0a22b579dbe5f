"""One real Parse Server 9 on PostgreSQL for the importer tests (benchmarks/parse_server.py
starts both on loopback), filled through Parse's REST API. A component that cannot be had
fails the tests that need it, naming what to install."""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..pg import parse_server

# The command line's module: querylang/app/cli.py in the new module layout, querylang/cli.py before.
_cli = importlib.import_module("querylang.app.cli" if importlib.util.find_spec("querylang.app") else "querylang.cli")
cli_main = _cli.main

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT / "tests" / "conformance" / "dataset.json"


@dataclass
class LiveParse:
    pg: Any
    server: Any
    doc: dict[str, Any]  # the conformance dataset, as written to the server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}{self.server.mount}"

    def start_another(self, *extra: str) -> Any:
        """A second Parse Server process over the same database (with more CLI options)."""
        from benchmarks.parse_server import ParseServer, Unavailable

        try:
            return ParseServer(self.pg, tuple(extra))
        except Unavailable as exc:
            pytest.fail(f"a second Parse Server could not start: {exc}")


def _pointer(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


def write_extras(server: Any) -> None:
    """Parse's own classes and the shapes the conformance data lacks, through REST."""
    for uid, name in (("ua1", "ada"), ("ub2", "bob"), ("uc3", "cyd")):
        server.request("POST", "/users", {"objectId": uid, "username": name, "password": "pw-" + name, "email": f"{name}@example.com"})
    server.request("POST", "/classes/Note", {
        "objectId": "n1", "text": "first", "by": _pointer("_User", "ua1"), "about": _pointer("Post", "p001"),
        "when": {"__type": "Date", "iso": "2024-05-06T07:08:09.123Z"},
        "list": ["a", 1, {"k": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}, None],
        "info": {"depth": {"x": [1, 2]}, "flag": True}, "where": {"__type": "GeoPoint", "latitude": 40.5, "longitude": -73.25},
        "gone": "soon",
        "ACL": {"*": {"read": True}, "ua1": {"write": True}},
    })  # fmt: skip
    server.request("PUT", "/classes/Note/n1", {"gone": None})  # an update to null: missing on PostgreSQL
    server.request("POST", "/classes/Note", {"objectId": "n2", "text": "second", "by": _pointer("_User", "ub2")})
    # Members: ua1, ub2 and uc3, then uc3 is deleted: its edge dangles and must survive the import.
    server.request("PUT", "/classes/Note/n1", {"readers": {"__op": "AddRelation", "objects": [
        _pointer("_User", "ua1"), _pointer("_User", "ub2"), _pointer("_User", "uc3")]}})  # fmt: skip
    server.request("PUT", "/classes/Note/n2", {"readers": {"__op": "AddRelation", "objects": [_pointer("_User", "ua1")]}})
    server.request("DELETE", "/classes/_User/uc3")


@pytest.fixture(scope="session")
def live_parse() -> Iterator[LiveParse]:
    doc = json.loads(CONFORMANCE.read_text(encoding="utf-8"))
    with parse_server() as (pg, server):
        from benchmarks.parse_server import load

        load(server, pg, doc)
        write_extras(server)
        yield LiveParse(pg, server, doc)

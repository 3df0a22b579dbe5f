"""The `querylang serve` command line (the running server itself is exercised by the load smoke test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import querylang
from querylang.app.cli import main

DOC = json.loads((Path(__file__).parent.parent / "conformance" / "dataset.json").read_text(encoding="utf-8"))


def test_serve_help_lists_the_flags() -> None:
    out = CliRunner().invoke(main, ["serve", "--help"]).output
    for flag in ("--db", "--data", "--host", "--port", "--mount", "--app-id", "--master-key", "--rest-key",
                 "--allow-client-writes"):
        assert flag in out


def test_serve_needs_keys() -> None:
    res = CliRunner().invoke(main, ["serve"])
    assert res.exit_code == 2 and "--app-id" in res.output


def test_serve_opens_a_postgres_database(pg_cluster: Any, sample_db: querylang.Database) -> None:
    from querylang.server.command import open_database

    from ..pg import fresh_url

    url = fresh_url(pg_cluster)
    querylang.connect(url).load(DOC)
    db = open_database(url, None)
    where = {"score": {"$gt": 10}}
    assert db.find("Post", where, order="-score").ids == sample_db.find("Post", where, order="-score").ids != []

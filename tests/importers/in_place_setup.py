"""What the test_parse_in_place*.py files share: the conformance cases, the deviations of Parse
on PostgreSQL from docs/semantics.md, the in-place, imported and loaded databases of the
importer tests' live server, and a Parse-like database made to order (parse_like).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

import querylang
from querylang.importers import detect_target

from .conftest import CONFORMANCE, LiveParse

CASES = [json.loads(line) for line in (CONFORMANCE.parent / "cases.jsonl").read_text().splitlines() if line.strip()]


KEYS = {"app_id": "querylang-bench", "master_key": "querylang-bench-master"}


USER = detect_target().class_name("_User")


CLASSES = ("User", "Post", "Comment", "Group", "Note", USER)


# Where Parse on PostgreSQL departs from docs/semantics.md (MongoDB's meaning), as the conformance
# cases record it (cases.jsonl "note"); in place, querylang answers as docs/semantics.md says.
PARSE_PG_DEVIATIONS = {c["id"]: c["note"] for c in CASES if not c["parse_server_agrees"]}


# Also a deviation (found by tests/importers/test_parse_server.py): Parse sorts with
# PostgreSQL's defaults, NULLs last ascending and first descending; docs/semantics.md puts absent
# values first ascending and last descending.
NULL_ORDER = {
    "pub-sort-nulls": "Parse on PostgreSQL sorts absent values last ascending (PostgreSQL's default)",
    "pub-sort-desc-nulls": "Parse on PostgreSQL sorts absent values first descending (PostgreSQL's default)",
    "pub-page": "Parse on PostgreSQL pages over its NULLs-last order",
}


@pytest.fixture(scope="module")
def in_place(live_parse: LiveParse) -> Iterator[querylang.Database]:
    db = querylang.connect(live_parse.pg.uri, layout="parse")
    yield db
    db.close()


@pytest.fixture(scope="module")
def imported(live_parse: LiveParse) -> querylang.Database:
    db = querylang.connect()
    db.import_parse_server(live_parse.url, **KEYS)
    return db


@pytest.fixture(scope="module")
def direct(live_parse: LiveParse) -> querylang.Database:
    db = querylang.connect()
    db.load(live_parse.doc)
    return db


def case_kw(case: dict) -> dict[str, Any]:
    return dict(inputs=case["inputs"], limit=case["limit"], skip=case["skip"], count=case["count"])


# --- schema and records -----------------------------------------------------------------------


def parse_like(live_parse: LiveParse, dbname: str, schemas: dict[str, Any], ddl: list[str], created: str = "") -> str:
    """A fresh database on the live server's cluster holding a _SCHEMA as Parse Server writes
    it (``schemas``: className → its schema JSON) and the tables of ``ddl``; its URL.
    ``created``: more of the CREATE DATABASE statement (its locale)."""
    with psycopg.connect(live_parse.pg.url("postgres"), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{dbname}" {created}')
    url = live_parse.pg.url(dbname)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        for name, spec in schemas.items():
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', [name, psycopg.types.json.Jsonb(spec)])
        for stmt in ddl:
            con.execute(stmt)
    return url


BUILTIN_COLUMNS = '"objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz'


BUILTIN_ROW = "'d1', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'"

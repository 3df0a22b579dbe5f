"""Hostile names and parameters given to the library: refused with a QueryError, never a
Python error from inside it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.errors import DataError
from querylang.importers.interchange import Staging

DOC = {
    "classes": {"N": {"fields": {"p": {"type": "Pointer", "targetClass": "N"}, "t": {"type": "String"}}}},
    "records": {"N": [{"objectId": "a", "t": "x", "p": "a"}]},
}


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    conn = querylang.connect()
    conn.load(DOC)
    return conn


@pytest.mark.parametrize("value", [5, 1.5, True])
def test_find_include_and_keys_that_are_not_lists(db: querylang.Database, value: object) -> None:
    for kw in ("include", "keys"):
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            db.find("N", **{kw: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [5, 1.5, True, [5]])
def test_query_include_and_select_that_are_not_lists(db: querylang.Database, value: object) -> None:
    for kw in ("include", "select"):
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            db.query("N", **{kw: value})  # type: ignore[arg-type]
        with pytest.raises(querylang.QueryError, match=f"{kw} must be a string or a list of strings"):
            list(db.stream("N", **{kw: value}))  # type: ignore[arg-type]


def test_lists_of_names_still_work(db: querylang.Database) -> None:
    assert db.query("N", include=["p"], select=("t", "p.t")).records[0]["p"]["t"] == "x"
    assert db.find("N", include="p", keys=["t"]).records[0]["t"] == "x"


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped", "a/b", "Note\x00", ".", "_Audience\\..\\x"])
def test_import_staging_refuses_a_class_name_before_writing_a_file(tmp_path: Path, name: str) -> None:
    # A hostile Parse Server's /schemas named the class '../../x' (or '/abs/x'); its records
    # were appended to '<that>.ndjson' outside the staging directory, and the file stayed
    # after the load refused the name.
    escaped = tmp_path / "escaped"
    with Staging() as staging:
        staging.dir = tmp_path / "a" / "b" / "interchange"  # '../../escaped' from here is tmp_path/escaped
        staging.dir.mkdir(parents=True)
        hostile = str(escaped) if name.startswith("/") else name
        with pytest.raises(DataError, match="invalid class name"):
            staging.define(hostile, {"x": {"type": "String"}})
            staging.record(hostile, {"objectId": "a", "x": "attacker's line"})
    assert not escaped.with_suffix(".ndjson").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_import_staging_keeps_parse_system_class_names() -> None:
    with Staging() as staging:
        staging.define("_User", {})
        staging.define("Parse_User", {})
        assert set(staging.classes) == {"_User", "Parse_User"}


HOSTILE = {
    "classes": {"H": {"fields": {"t": {"type": "String"}, "meta": {"type": "Object"},
                                 "p": {"type": "Pointer", "targetClass": "H"}, "r": {"type": "Relation", "targetClass": "H"}}}},
    "records": {"H": [{"objectId": "a'\"b", "t": "x'\"; --", "p": "a'\"b",
                       "meta": {"a\"b": 1, "c'd": {"e\"f": 2}, "g": "'; DROP TABLE \"H\"; --", "?": 4, "%s": 5}}]},
}
# Keys that would break out of a quoted identifier or a placeholder if they reached SQL text.
HOSTILE_KEYS = ['meta.a"b', "meta.c'd", "meta.?", "meta.%s", 'H"."t', 't"', "t;--", 'p.t"', "meta.$h", "t?", 'p.meta.a"b']


def test_hostile_keys_and_values_on_both_engines(engine: Any) -> None:
    """Every such key is refused with a QueryError on DuckDB and PostgreSQL alike; quotes,
    placeholders and SQL in values and Object keys are data (they round-trip and match)."""
    db = engine()
    db.load(HOSTILE)
    assert db.find("H", {}).records[0]["meta"] == HOSTILE["records"]["H"][0]["meta"]
    for key in HOSTILE_KEYS:
        for kw in ({"where": {key: 1}}, {"order": key}, {"keys": [key]}, {"include": [key]}):
            with pytest.raises(querylang.QueryError):
                db.find("H", **kw)
    for where in ({"t": "x'\"; --"}, {"meta.g": "'; DROP TABLE \"H\"; --"}, {"objectId": "a'\"b"},
                  {"p": {"$inQuery": {"className": "H", "where": {"t": {"$regex": "'\"; -"}}}}}):
        assert db.find("H", where).ids == ["a'\"b"], where
    assert db.count("H") == 1

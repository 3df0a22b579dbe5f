"""Hostile names and parameters given to the library: refused with a QueryError, never a
Python error from inside it."""

from __future__ import annotations

from pathlib import Path

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

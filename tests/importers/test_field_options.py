"""Parse's field options (``required``, ``defaultValue``), which querylang does not keep, on every
way a schema comes in: the importers leave them out with a note, ``load`` and ``define_class``
refuse them saying what to do, and what querylang itself writes loads again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.errors import QueryError
from querylang.importers import detect_target
from querylang.importers.interchange import ImportReport, Staging, write_single_file
from querylang.importers.parse_server import stage_parse_server

from .conftest import CONFORMANCE, LiveParse

KEYS = {"app_id": "querylang-bench", "master_key": "querylang-bench-master"}  # the live server's
OPTIONS_NOTE = ("class Post: Parse's field options left out, as querylang keeps none (a write here neither "
                "needs these fields nor gets their defaults): rank (required), state (required, defaultValue)")


class _Schemas:
    """A Parse Server whose /schemas lists Post with field options, and no records."""

    url = "http://fake/parse"

    def get(self, path: str, params: Any = None) -> Any:
        if path == "/config":
            return {"params": {}}
        if path == "/schemas":
            fields = {"objectId": {"type": "String"}, "title": {"type": "String", "required": False},
                      "rank": {"type": "Number", "required": True},
                      "state": {"type": "String", "required": True, "defaultValue": "draft"},
                      "ACL": {"type": "ACL"}}
            return {"results": [{"className": "Post", "fields": fields}]}
        return {"count": 0} if params and "count" in params else {"results": []}


def test_a_parse_servers_required_and_default_value_are_left_out_with_a_note() -> None:
    """They were left out without a word, while load refuses them as not kept."""
    report = ImportReport()
    db = querylang.connect()
    with Staging() as staging:
        stage_parse_server(_Schemas(), staging, detect_target(), report)  # type: ignore[arg-type]
        staging.load(db, report)
    assert db.schema.classes["Post"].to_json()["fields"] == {
        "title": {"type": "String"}, "rank": {"type": "Number"}, "state": {"type": "String"}, "ACL": {"type": "ACL"}}
    assert OPTIONS_NOTE in report.notes


def test_a_mongo_schemas_field_options_are_left_out_with_a_note(tmp_path: Path) -> None:
    """Parse on MongoDB keeps them in _SCHEMA's _metadata.fields_options: they were skipped without a word."""
    root = tmp_path / "dump"
    root.mkdir()
    schema = {"_id": "Post", "objectId": "string", "createdAt": "date", "updatedAt": "date",
              "title": "string", "rank": "number", "state": "string",
              "_metadata": {"fields_options": {"title": {"required": False}, "rank": {"required": True},
                                               "state": {"required": True, "defaultValue": "draft"},
                                               "gone": {"required": True}}}}
    (root / "_SCHEMA.json").write_text(json.dumps(schema) + "\n")
    (root / "Post.json").write_text(json.dumps({"_id": "p1", "title": "a", "rank": 1, "state": "draft"}) + "\n")
    db = querylang.connect()
    report = db.import_mongo_export(root)
    assert db.query("Post", {"rank": 1}).ids == ["p1"]
    assert OPTIONS_NOTE in report.notes


@pytest.mark.parametrize("key", ["required", "defaultValue"])
def test_a_users_own_schema_with_parse_options_is_told_what_to_do(key: str) -> None:
    db = querylang.connect()
    doc = {"classes": {"Post": {"fields": {"n": {"type": "Number", key: 0}}}}}
    with pytest.raises(QueryError) as info:
        db.load(doc)
    assert str(info.value).startswith(
        f"class Post, field n: unknown key '{key}' (Parse's {key} is not kept by querylang): remove it "
        "(querylang import reads a Parse Server's schema, leaving such options out with a note)"), str(info.value)
    assert db.schema.classes == {}


def test_what_the_importers_write_loads_again(tmp_path: Path) -> None:
    """An import's staged directory (its schema.json) and the single-file document made of it
    hold no option: both load into a database that has none of the classes."""
    report = ImportReport()
    with Staging() as staging:
        stage_parse_server(_Schemas(), staging, detect_target(), report)  # type: ignore[arg-type]
        directory = staging.finish()
        write_single_file(directory, tmp_path / "doc.json")
        from_dir = querylang.connect()
        from_dir.load(directory)
    from_doc = querylang.connect()
    from_doc.load(tmp_path / "doc.json")
    assert from_doc.schema.to_json() == from_dir.schema.to_json()
    assert set(from_doc.schema.classes["Post"].to_json()["fields"]) == {"title", "rank", "state", "ACL"}


@pytest.mark.parametrize("path", [CONFORMANCE, Path(querylang.__file__).parent / "data" / "sample.json"])
def test_the_shipped_and_shared_documents_load(path: Path) -> None:
    db = querylang.connect()
    db.load(path)
    assert db.schema.classes


def test_parse_server_9s_own_field_options_come_with_the_note(live_parse: LiveParse) -> None:
    """What Parse Server itself answers in /schemas for a class made with options: the note
    names the fields with options set, and no field Parse lists without one."""
    server = live_parse.server
    fields = {"rank": {"type": "Number", "required": True}, "state": {"type": "String", "required": True,
              "defaultValue": "draft"}, "title": {"type": "String", "required": False}, "plain": {"type": "String"}}
    server.request("POST", "/schemas/Post9", {"className": "Post9", "fields": fields})
    try:
        report = querylang.connect().import_parse_server(live_parse.url, **KEYS, classes=["Post9", "Post"])
    finally:
        server.request("DELETE", "/schemas/Post9")
    said = [n for n in report.notes if "field options" in n]
    assert said == [OPTIONS_NOTE.replace("class Post:", "class Post9:")], report.notes

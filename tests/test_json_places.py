"""A bad record, edge or class of a single-file JSON document is named with its line, as a
directory's are (querylang/interchange/json_places.py: found only after the error, by a second walk)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import querylang
from querylang.app.cli import main
from querylang.interchange.json_places import value_line

CLASSES = {"Post": {"fields": {"n": {"type": "Number"}, "tags": {"type": "Relation", "targetClass": "Post"}}}}


def document(tmp_path: Path, records: list, relations: list | None = None) -> Path:
    lines = ['{', f'  "classes": {json.dumps(CLASSES)},', '  "records": {"Post": [']
    lines += [f"    {json.dumps(r)}," for r in records[:-1]] + [f"    {json.dumps(records[-1])}", "  ]},"]
    lines += ['  "relations": [', *(f"    {json.dumps(e)}" + ("," if i < len(relations or []) - 1 else "")
                                   for i, e in enumerate(relations or [])), "  ]", "}"]
    path = tmp_path / "data.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [{"objectId": "p1", "n": 1}, {"objectId": "p2", "n": 2}, {"objectId": "p3", "n": 3}]


def test_value_line_walks_keys_and_indexes():
    text = '{"a": 1,\n "b": [\n  {"x": [1, 2]},\r\n  "s"\n ],\n "b": [0,\n 9]}'
    assert value_line(text, ["b", 1]) == 7  # a key given twice: its last value, as json keeps
    assert value_line(text, ["a"]) == 1
    assert value_line(text, ["b", 2]) is None
    assert value_line(text, ["c"]) is None
    assert value_line(text, ["a", 0]) is None


def test_a_bad_record_of_a_json_file_names_its_line(tmp_path, engine):
    # Found by review: a directory's record was named "Post.ndjson, line 3"; a JSON file's by
    # class, record and field only.
    path = document(tmp_path, [GOOD[0], {"objectId": "p2", "n": "two"}, GOOD[2]])
    with pytest.raises(querylang.DataError) as info:
        engine().load(path)
    assert str(info.value) == f"{path}, line 5: class Post, record p2, field n: expected a Number, got string"
    assert info.value.record_index == 1


def test_a_repeated_id_and_a_bad_edge_name_their_lines(tmp_path):
    db = querylang.connect()
    at = re.escape(str(tmp_path / "data.json"))
    with pytest.raises(querylang.DataError, match=rf"^{at}, line 7: class Post, record p1: duplicate objectId"):
        db.load(document(tmp_path, [*GOOD, {"objectId": "p1", "n": 4}]))
    edges = [{"class": "Post", "objectId": "p1", "key": "tags", "targetId": "p2"},
             {"class": "Post", "objectId": "p1", "key": "nope", "targetId": "p2"}]
    with pytest.raises(querylang.DataError, match=rf"^{at}, line 10: class Post, record p1, field nope: no Relation field"):
        db.load(document(tmp_path, GOOD, edges))
    assert db.schema.classes == {}
    db.load(document(tmp_path, GOOD))
    with pytest.raises(querylang.DataError, match=rf"^{at}, line 5: class Post, record p2: duplicate objectId: already"):
        db.load(document(tmp_path, [{"objectId": "p9"}, {"objectId": "p2"}]))


def test_the_load_command_names_the_line_too(tmp_path):
    path = document(tmp_path, [GOOD[0], {"objectId": "p2", "n": "two"}])
    res = CliRunner().invoke(main, ["load", str(path), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code != 0
    assert f"{path}, line 5: class Post, record p2, field n: expected a Number" in res.output


def test_a_document_read_by_the_caller_names_its_line_when_told_the_file(tmp_path):
    """A caller that reads the file itself (the load command, for its progress bar) tells
    db.load where the dict came from, and the error names the line as for a path."""
    path = document(tmp_path, [GOOD[0], {"objectId": "p2", "n": "two"}])
    doc = json.loads(path.read_text())
    with pytest.raises(querylang.DataError, match=r"^class Post, record p2, field n"):
        querylang.connect().load(doc)
    with pytest.raises(querylang.DataError, match=rf"^{re.escape(str(path))}, line 5: class Post, record p2, field n"):
        querylang.connect().load(doc, read_from=path)


def test_a_json_file_is_named_by_the_path_given_for_a_bad_record_as_for_its_syntax(tmp_path, monkeypatch):
    """A bad record was named by the file's name alone ('data.json, line 5') where the same
    file's JSON errors named the path ('sub/data.json: not valid JSON ...'); a './' typed was
    dropped by both. Both now name the path as given."""
    (tmp_path / "sub").mkdir()
    document(tmp_path / "sub", [GOOD[0], {"objectId": "p2", "n": "two"}])
    (tmp_path / "sub" / "cut.json").write_text('{"classes": {\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    record = "line 5: class Post, record p2, field n: expected a Number, got string"
    for given in ("sub/data.json", "./sub/data.json"):
        with pytest.raises(querylang.DataError) as info:
            querylang.connect().load(given)
        assert str(info.value) == f"{given}, {record}"
        res = CliRunner().invoke(main, ["load", given, "--db", str(tmp_path / "x.duckdb")])
        assert res.exit_code == 2 and res.stderr == f"error: {given}, {record}\n", res.output
    with pytest.raises(querylang.DataError, match=r"^\./sub/cut\.json: not valid JSON at line 2"):
        querylang.connect().load("./sub/cut.json")
    res = CliRunner().invoke(main, ["load", "./sub/cut.json", "--db", str(tmp_path / "x.duckdb")])
    assert res.stderr.startswith("error: ./sub/cut.json: not valid JSON at line 2"), res.output

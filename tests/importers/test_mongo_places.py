"""Errors about a field of a mongoexport document written over several lines (``--pretty``,
``--jsonArray``) name the line of that field: they named the document's first line."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.errors import DataError

from .mongo_files import write_export


def _rewrite(root: Path, name: str, change: Any, *, array: bool = False) -> Path:
    """Write ``root/name`` pretty (a document over lines, or one array of them), its second
    document changed by ``change``."""
    path = root / name
    docs = [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines() if ln]
    change(docs[1])
    if array:
        path.write_text(json.dumps(docs, indent="\t", ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(d, indent="\t", ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    return path


def _line(path: Path, text: str, nth: int = 1) -> int:
    """The line of the ``nth`` occurrence of ``text`` in the file."""
    found = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    return found[nth - 1]


CHANGES = {
    # the load refuses the value
    "title": (lambda d: d.update(title=5), '"title": 5', "field title: expected a String, got number"),
    # the reader refuses it, under the key MongoDB keeps the field
    "author": (lambda d: d.update(_p_author="u01"), '"_p_author": "u01"', "field author: a pointer is 'Class$objectId'"),
    "_rperm": (lambda d: d.update(_rperm="role:Admin"), '"_rperm": "role:Admin"', "field _rperm: _rperm must be a list"),
}


@pytest.mark.parametrize("array", [False, True], ids=["pretty", "array"])
@pytest.mark.parametrize("what", sorted(CHANGES))
def test_a_bad_field_of_a_document_over_lines_names_its_line(tmp_path: Path, what: str, array: bool) -> None:
    change, text, said = CHANGES[what]
    root = write_export(tmp_path / "dump")
    path = _rewrite(root, "Post.json", change, array=array)
    line = _line(path, text)
    assert line > _line(path, '"_id": "p002"')  # not the document's first line
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_mongo_export(root)
    place = f"{path}, document 2, line {line}" if array else f"{path}, line {line}"
    assert str(info.value).startswith(f"{place}: class Post, record p002, {said}"), str(info.value)
    assert not db.schema.classes


@pytest.mark.parametrize("array", [False, True], ids=["pretty", "array"])
def test_an_extended_json_wrapper_that_cannot_be_read_names_its_line(tmp_path: Path, array: bool) -> None:
    """{"$date": "nope"} deep in a document was named by the document's first line (pretty),
    or by no line at all (an array)."""
    root = write_export(tmp_path / "dump")
    path = _rewrite(root, "Post.json", lambda d: d.update(meta={"a": [1, {"b": {"$date": "nope"}}]}), array=array)
    line = _line(path, '"$date": "nope"')
    with pytest.raises(DataError, match=rf"^{path}, line {line}: not valid Extended JSON: not an ISO date: 'nope'$"):
        querylang.connect().import_mongo_export(root)


def test_a_schema_field_over_lines_is_named_by_its_line(tmp_path: Path) -> None:
    """_SCHEMA.json --pretty: an unknown type, and a type clash with the database's, named the
    class's first line. Both name the file and line first, as every other import error does (an
    unknown type named them last, in brackets)."""
    root = write_export(tmp_path / "dump")
    schema = _rewrite(root, "_SCHEMA.json", lambda d: d.update(views="decimal"))
    line = _line(schema, '"views": "decimal"')
    db = querylang.connect()
    with pytest.raises(DataError, match=rf"^{re.escape(str(schema))}, line {line}: class Post, field views: unknown _SCHEMA type 'decimal'$"):
        db.import_mongo_export(root)
    root = write_export(tmp_path / "again")
    schema = _rewrite(root, "_SCHEMA.json", lambda d: None)
    db.load({"classes": {"Post": {"fields": {"score": {"type": "String"}}}}, "records": {"Post": []}})
    line = _line(schema, '"score": "number"')
    with pytest.raises(DataError, match=rf"^{schema}, line {line}: class Post, field score: already defined as String"):
        db.import_mongo_export(root)
    assert not db.query("Post", {}).records


def test_an_empty_id_is_named_by_its_line_once(tmp_path: Path) -> None:
    """Named by the line and by the load's count from 0: "line 4: class Post: record #3: ..."."""
    root = write_export(tmp_path / "dump")
    path = root / "Post.json"
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"_id": ""}\n')
    line = len(path.read_text(encoding="utf-8").splitlines())
    with pytest.raises(DataError) as info:
        querylang.connect().import_mongo_export(root)
    assert str(info.value) == f"{path}, line {line}: class Post: objectId must be a non-empty string"

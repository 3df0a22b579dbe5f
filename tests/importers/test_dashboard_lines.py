"""A Dashboard export's record named by its line as well as its number, as mongoexport's
--jsonArray documents are ("FILE, record N, line L": the record's line, or its field's)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.errors import DataError

from .dashboard_files import write


def _line_of(path: Path, text: str, nth: int = 1) -> int:
    """The line (from 1) of the nth occurrence of ``text`` in the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if text in line][nth - 1]


def _refused(path: Path) -> str:
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.import_dashboard_export(path)
    assert not db.schema.classes
    return str(info.value)


@pytest.mark.parametrize("wrapped", [False, True], ids=["array", "results"])
def test_a_records_field_is_named_by_its_line(tmp_path: Path, wrapped: bool) -> None:
    """Was "FILE, record 3: ..." alone, where a pretty export puts a record over a dozen lines."""
    rows: list[Any] = [{"objectId": "a", "n": 1, "s": "x"}, {"objectId": "b", "n": 2, "s": "y"},
                       {"objectId": "c", "s": "z", "n": "three"}]  # fmt: skip
    path = write(tmp_path / "T.json", {"results": rows} if wrapped else rows)
    line = _line_of(path, '"three"')
    assert _refused(path) == f"{path}, record 3, line {line}: class T, record c, field n: Number in one record, String in another"


def test_a_record_the_load_refuses_and_one_without_an_objectid_are_named_by_line(tmp_path: Path) -> None:
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"objectId": "a", "n": 1}])
    assert _refused(path) == f"{path}, record 2, line {_line_of(path, '{', 2)}: class T, record a: duplicate objectId"
    path = write(tmp_path / "T.json", [{"objectId": "a"}, {"n": 1}])
    said = "class T: no objectId (every record Parse exports has one)"
    assert _refused(path) == f"{path}, record 2, line {_line_of(path, '{', 2)}: {said}"
    path = write(tmp_path / "T.json", [{"objectId": "a"}, 5])
    assert _refused(path) == f"{path}, record 2, line {_line_of(path, '5')}: not a JSON object"


def test_a_join_row_is_named_by_its_line(tmp_path: Path) -> None:
    write(tmp_path / "Post.json", [{"objectId": "p1", "likers": {"__type": "Relation", "className": "Post"}}])
    bad = write(tmp_path / "_Join:likers:Post.json", [{"owningId": "p1", "relatedId": "p1"}, {"owningId": "p1"}])
    line = _line_of(bad, '{', 2)
    assert _refused(tmp_path) == f"{bad}, record 2, line {line}: a join record needs owningId and relatedId strings"


def test_a_file_on_one_line_names_the_record_alone(tmp_path: Path) -> None:
    path = tmp_path / "T.json"
    path.write_text(json.dumps([{"objectId": "a"}, {"objectId": "a"}]), encoding="utf-8")
    assert _refused(path) == f"{path}, record 2: class T, record a: duplicate objectId"

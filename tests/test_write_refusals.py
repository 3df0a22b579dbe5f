"""Values a write or a load must refuse, naming the place, on every engine and through
`querylang serve`: each case is one that an earlier review found stored or accepted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.interchange.value_checks import check_value
from tests.test_load_directory import write_dir

NO_DATE = {"__type": "Date", "iso": "not a date"}
DOC: dict[str, Any] = {
    "classes": {"T": {"fields": {"tags": {"type": "Array"}, "meta": {"type": "Object"}, "when": {"type": "Date"}}}},
    "records": {"T": [{"objectId": "t1", "tags": ["a"], "meta": {"k": 1}}]},
}
# A bad Date inside an Array or Object field, and the place the error names.
NESTED_NO_DATES = [
    ("tags", [1, NO_DATE], r"at \[1\] is no date: iso 'not a date'"),
    ("tags", [[{"x": NO_DATE}]], r"at \[0\]\[0\].x is no date"),
    ("meta", {"a": {"b": NO_DATE}}, "at a.b is no date"),
    ("meta", {"a": [{"__type": "Date"}]}, r"at a\[0\] is no date: iso None"),
    ("meta", {"a": {"__type": "Date", "iso": "+010000-01-01T00:00:00Z"}}, "at a is outside years 1-9999"),
    ("meta", NO_DATE, "the value, a Date object, is no date"),
]


@pytest.mark.parametrize(("name", "value", "message"), NESTED_NO_DATES)
def test_a_date_object_naming_no_date_inside_an_array_or_object_is_refused(
    engine, tmp_path: Path, name, value, message
) -> None:
    # It was stored as a plain object, where the same value on a Date field is refused.
    db = engine()
    db.load(DOC)
    before = db.find("T").records
    writes = {
        "create": lambda: db.create("T", {name: value}),
        "save": lambda: db.save("T", "t1", {name: value}),
        "update": lambda: db.update("T", "t1", lambda rec: querylang.Change({name: value})),
    }
    for call in writes.values():
        with pytest.raises(querylang.DataError, match=f"^class T, record t1, field {name}: .*{message}|"
                                                      f"^class T, field {name}: .*{message}"):
            call()
    with pytest.raises(querylang.DataError, match=f"^class T, record t2, field {name}: .*{message}"):
        db.load({"records": {"T": [{"objectId": "t2", name: value}]}})
    folder = write_dir(tmp_path / "d", {"classes": DOC["classes"], "records": {"T": [{"objectId": "t3", name: value}]}})
    with pytest.raises(querylang.DataError, match=f"^{re.escape(str(folder / 'T.ndjson'))}, line 1: class T, record t3, field {name}: .*{message}"):
        db.load(folder)
    assert db.find("T").records == before


def test_a_date_object_with_a_date_inside_an_array_is_still_a_date(engine) -> None:
    db = engine()
    db.load(DOC)
    when = {"__type": "Date", "iso": "2024-05-01T00:00:00.000Z"}
    db.save("T", "t1", {"tags": [when], "meta": {"at": when, "other": {"__type": "Date", "iso": "x", "y": 1} | when}})
    assert db.find("T", {"tags": when}).ids == ["t1"]


def test_a_stored_date_object_naming_no_date_is_read_back_as_it_is() -> None:
    # Parse Server keeps such an object in its own tables: a read must not fail on it.
    assert check_value("Array", [NO_DATE], stored=True) == [NO_DATE]
    with pytest.raises(ValueError, match="at"):
        check_value("Array", [NO_DATE])


def test_a_relation_marker_naming_another_class_is_refused(engine) -> None:
    # It was accepted (and dropped), where serve and Parse Server refuse it: the field is a
    # Relation to T, the marker says one to Other.
    db = engine()
    db.load({"classes": {"T": {"fields": {"r": {"type": "Relation", "targetClass": "T"}}}, "Other": {"fields": {}}}})
    marker = {"__type": "Relation", "className": "Other"}
    message = r"field r: a Relation to class 'Other', but the field's Relation is to 'T'$"
    with pytest.raises(querylang.DataError, match="^class T, field r: " + message[9:]):
        db.create("T", {"r": marker})
    with pytest.raises(querylang.DataError, match="^class T, record t1, " + message):
        db.load({"records": {"T": [{"objectId": "t1", "r": marker}]}})
    assert db.count("T") == 0
    db.create("T", {"objectId": "t2", "r": {"__type": "Relation", "className": "T"}})
    db.load({"records": {"T": [{"objectId": "t3", "r": {"__type": "Relation"}}]}})
    assert sorted(db.find("T").ids) == ["t2", "t3"]

"""db.update's and db.delete's ``reads=[names]``, on each engine: the change or check gets those
fields alone, the record returned holds those and the fields set, and a ``reads`` that names
no field the record holds is refused, naming the field, before anything is read or written."""

from __future__ import annotations

from typing import Any

import pytest

import querylang
from querylang.errors import DataError

DOC = {"classes": {"Item": {"fields": {"n": {"type": "Number"}, "m": {"type": "Number"}, "due": {"type": "Date"},
                                       "tags": {"type": "Relation", "targetClass": "Item"}, "ACL": {"type": "ACL"}}}},
       "records": {"Item": [{"objectId": "i1", "n": 1, "m": 7, "ACL": {"*": {"read": True}},
                             "due": {"__type": "Date", "iso": "2025-01-01T00:00:00.000Z"}}]}}


@pytest.fixture
def db(engine: Any) -> querylang.Database:
    d = engine()
    d.load(DOC)
    return d


def test_the_change_and_the_check_get_the_fields_read_alone(db: querylang.Database) -> None:
    got: list[dict[str, Any]] = []
    written = db.update("Item", "i1", lambda rec: got.append(rec) or querylang.Change(fields={"m": rec["n"] + 1}),
                        reads=["n", "n"])  # a name given twice is read once
    assert got == [{"objectId": "i1", "n": 1}]
    assert set(written) == {"objectId", "createdAt", "updatedAt", "n", "m"} and written["m"] == 2
    db.delete("Item", "i1", check=got.append, reads=("ACL",))
    assert got[-1] == {"objectId": "i1", "ACL": {"*": {"read": True}}} and db.count("Item", {}) == 0


@pytest.mark.parametrize(("reads", "said", "field"), [
    # topic: a name that is no field of the class was read as an absent one: a check of an
    # "Acl" took a record with an ACL for one without, a counter of "N" counted from nothing
    (["n", "Acl"], "update's reads: unknown field (did you mean 'ACL'?)", "Acl"),
    (["n.x"], "update's reads: unknown field", "n.x"),
    ([""], "update's reads: unknown field", ""),
    # topic: a Relation's edges are no value of the record, which never holds them
    (["tags"], "update's reads: a Relation field holds no value in the record (its edges are read with a "
               "query: relatedTo)", "tags"),
    # topic: not a list of names (a None inside was said to be "not array", of the list)
    (["n", None], "update's reads: item 2 is null, not a field name", None),
    ({"n": 1}, "update's reads must be a list of field names, not object", None),
    ("n", "update's reads must be a list of field names, not string", None),
])
def test_reads_naming_no_field_of_the_record_is_refused(db: querylang.Database, reads: Any, said: str,
                                                        field: str | None) -> None:
    called: list[Any] = []
    with pytest.raises(DataError) as exc:
        db.update("Item", "i1", lambda rec: called.append(rec) or querylang.Change(fields={"n": 9}), reads=reads)
    assert said in str(exc.value) and (exc.value.class_name, exc.value.object_id, exc.value.field) == (
        "Item", "i1", field), str(exc.value)
    assert not called and db.find("Item", {}).records[0]["n"] == 1
    with pytest.raises(DataError) as exc:
        db.delete("Item", "i1", check=called.append, reads=reads)
    assert said.replace("update's", "delete's") in str(exc.value)
    assert not called and db.count("Item", {}) == 1

"""db.reference keeps the records it read for the calls after it. Another process added a class
and a field on PostgreSQL: the schema was read again (db.query found both), but the reference
answered from the records it kept, read with the old schema, and refused the two names
("unknown class 'Tag'", "class User has no field 'age'"), as in place on Parse's tables it did not."""

from __future__ import annotations

from typing import Any

import querylang

from .pg import fresh_url
from .test_pg_one_clock import DOC


def test_the_reference_reads_again_after_another_process_changed_the_schema(pg_cluster: Any) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=5) as db:
        db.load(DOC)
        assert db.reference("User", None).ids == ["u1", "u2"]  # its records kept
        with querylang.connect(url) as other:
            other.define_class("Tag", {"label": {"type": "String"}})
            other.create("Tag", {"objectId": "t1", "label": "x"})
            other.define_class("User", {"age": {"type": "Number"}})
            other.save("User", "u1", {"age": 3})
        assert db.query("User", {"age": 3}).ids == ["u1"]  # heard of with its rows
        assert db.reference("User", {"age": 3}).ids == ["u1"]
        assert db.reference("Tag", None).ids == ["t1"]
        assert db.reference("Tag", None).records[0]["label"] == "x"

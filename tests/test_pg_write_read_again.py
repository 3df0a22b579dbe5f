"""A write naming a class or field another process added (unheard of here) reads the schema
again, within the database's timeout: past it, the write says it is a write that failed, and
changes nothing. It said "the query ran longer than 1 s and was stopped", of a query the caller
never ran."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

import querylang
from querylang import QueryTimeout
from querylang.model.change import Change

from .pg import fresh_url
from .test_pg_one_clock import DOC, hold_lock

STOPPED = (r"^write failed, nothing was changed: the write ran longer than 1 s and was stopped as it read the "
           r"schema again, for a class or field this process did not know$")


WRITES: dict[str, Callable[[Any], Any]] = {
    "create": lambda db: db.create("User", {"objectId": "u3", "name": "Cy", "age": 3}),
    "save": lambda db: db.save("User", "u1", {"age": 3}),
    "update": lambda db: db.update("Later", "x1", lambda r: Change(fields={"n": 3})),
    "delete": lambda db: db.delete("Later", "x1"),
}
# What each write changed: one record with age 3, or Later's one record with n 3, or none left.
CHANGED: dict[str, Callable[[Any], Any]] = {
    "create": lambda db: db.count("User", {"age": 3}) == 1 and db.count("User") == 3,
    "save": lambda db: db.count("User", {"age": 3}) == 1,
    "update": lambda db: db.count("Later", {"n": 3}) == 1,
    "delete": lambda db: db.count("Later") == 0,
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_a_writes_schema_read_past_the_timeout_says_it_is_the_writes(pg_cluster: Any, write: str) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        with querylang.connect(url) as other:  # another process's, which this one has not heard of yet
            other.add_field("User", "age", "Number")
            other.define_class("Later", {"n": {"type": "Number"}})
            other.create("Later", {"objectId": "x1", "n": 1})
        taken = threading.Event()
        locker = hold_lock(url, "_querylang_schema", 0, 1.6, taken)
        assert taken.wait(10)
        began = time.monotonic()
        with pytest.raises(QueryTimeout, match=STOPPED):
            WRITES[write](db)
        assert time.monotonic() - began < 1.5
        locker.join(10)
        assert not CHANGED[write](db)  # nothing was changed
        WRITES[write](db)
        assert CHANGED[write](db)

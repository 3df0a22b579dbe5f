"""db.reference on PostgreSQL is one call for its timeout, as a query is: its build (a schema
read again for a name it refused), its wait for a load or write of this process and its
evaluation share one clock. Its read of every record has no timeout (a large database takes
long; the evaluator it fills is kept for later calls), and is not counted against it."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryTimeout

from .pg import fresh_url
from .test_pg_one_clock import DOC, FIRST, SECOND_UNTIL, add_age_elsewhere, hold_lock, seen_waiting


def test_a_references_wait_for_a_write_has_what_its_build_left(pg_cluster: Any) -> None:
    """The build read the schema again for a field another process added (waiting 0.7 s for
    another session's lock), then a write of this process held the store: the wait had the
    whole timeout again, and the reference answered at 1.3 s for a call of 1 s."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.count("User") == 2
        add_age_elsewhere(url)
        taken, writing = threading.Event(), threading.Event()
        watch = psycopg.connect(url, autocommit=True)
        locker = hold_lock(url, "_querylang_schema", 0, FIRST, taken)
        assert taken.wait(10)
        began = time.monotonic()

        def write() -> None:  # as a write or a load holds it, from the build's wait on
            with watch:
                seen_waiting(watch, "_querylang_schema")
            with db.store.lock:
                writing.set()
                time.sleep(max(0.0, began + SECOND_UNTIL - time.monotonic()))

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        # Some 0.3 s: any part of a second, as a loaded machine's lock ends late or early.
        with pytest.raises(QueryTimeout, match=r"^the query ran longer than 1 s and was stopped: it waited 0\.\d+ s "
                                               r"for a load or write of the database to end$"):
            db.reference("User", {"age": {"exists": False}})
        took = time.monotonic() - began
        assert writing.is_set()
        assert took < 1.25, took
        for t in (locker, writer):
            t.join(10)
        assert db.reference("User", {"age": {"exists": False}}).ids == ["u1", "u2"]


@pytest.mark.parametrize("layout", ["querylang", "parse"])
def test_a_references_read_of_every_record_has_no_timeout(pg_cluster: Any, layout: str) -> None:
    """The read waited 2.3 s for another session's lock, past the timeout of 1 s: it answered,
    and the evaluation after it had its timeout whole. The read took the limit a query's
    statement had left on the connection (1 s), and failed."""
    url = fresh_url(pg_cluster)
    if layout == "parse":
        from .test_pg_parse_fresh import ParseApp

        ParseApp(url)
        table, ids = "Post", ["p1", "p2"]
    else:
        with querylang.connect(url) as db:
            db.load(DOC)
        table, ids = "User", ["u1", "u2"]
    with querylang.connect(url, timeout=1, layout=None if layout == "querylang" else "parse") as db:
        assert db.query(table, None).ids == ids  # its statement's limit, 1 s, stays on the connection
        taken = threading.Event()
        locker = hold_lock(url, table, 0, 2.3, taken)
        assert taken.wait(10)
        began = time.monotonic()
        assert db.reference(table, None).ids == ids
        took = time.monotonic() - began
        locker.join(10)
        # Past the 1 s limit. The hold was 1.3 s, 0.1 s over this bound: a loaded machine's lock
        # statement and wake-up between the hold's start and the read's could take more.
        assert took > 1.3, took

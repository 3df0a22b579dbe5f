"""A read the store makes with no timeout (the schema read again for a query or db.refresh_schema()
of a database whose timeout is None) had the limit the last statement of a query with a timeout
left on the thread's connection: cut there, the schema was taken for unreadable and kept."""

from __future__ import annotations

import threading
import time
from typing import Any

import querylang

from .pg import fresh_url
from .test_pg_one_clock import DOC, add_age_elsewhere, hold_lock


def test_a_schema_read_with_no_timeout_waits_past_the_last_querys(pg_cluster: Any) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        db.load(DOC)
        assert db.count("User") == 2  # its statement's limit, 1 s, stays on the connection
        add_age_elsewhere(url)  # another process's field, unheard of here
        db.timeout = None
        taken = threading.Event()
        locker = hold_lock(url, "_querylang_schema", 0, 2.5, taken)
        assert taken.wait(10)
        began = time.monotonic()
        assert db.refresh_schema() is True
        took = time.monotonic() - began
        locker.join(10)
        assert took > 1.5, took  # past the 1 s limit; the hold, 2.5 s, leaves 1 s for a loaded machine's start
        assert "age" in db.schema.classes["User"].fields


def test_missing_indexes_waits_past_the_last_querys_limit(pg_cluster: Any) -> None:
    """In place on Parse's tables, missing_indexes() has no timeout: it had the limit of the
    last query's statement, and failed with psycopg's QueryCanceled past it."""
    from .test_pg_parse_fresh import ParseApp

    app = ParseApp(fresh_url(pg_cluster))
    with querylang.connect(app.url, layout="parse", timeout=1) as db:
        assert db.count("Post") == 2  # its statement's limit, 1 s, stays on the connection
        taken = threading.Event()
        locker = hold_lock(app.url, "pg_index", 0, 2.5, taken)
        assert taken.wait(10)
        began = time.monotonic()
        wanted = db.store.missing_indexes()  # type: ignore[attr-defined]
        took = time.monotonic() - began
        locker.join(10)
        assert took > 1.5, took  # past the 1 s limit; the hold, 2.5 s, leaves 1 s for a loaded machine's start
        assert wanted == db.store.missing_indexes()  # type: ignore[attr-defined]


def test_a_schema_that_could_not_be_read_again_is_said(pg_cluster: Any, caplog: Any) -> None:
    """db.refresh_schema() answers False both when nothing changed and when the schema could
    not be read (its type is the public API's): the second said nothing, and a read past the
    database's timeout looked like a schema no one had changed. A warning says it, and why."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url, timeout=0.3) as db:
        db.load(DOC)
        add_age_elsewhere(url)  # another process's field, unheard of here
        taken = threading.Event()
        locker = hold_lock(url, "_querylang_schema", 0, 2, taken)
        assert taken.wait(10)
        with caplog.at_level("WARNING", logger="querylang"):
            assert db.refresh_schema() is False
        locker.join(10)
        [said] = [r.getMessage() for r in caplog.records if r.name == "querylang"]
        assert said.startswith("db.refresh_schema(): the stored schema could not be read, the one read before is kept: ")
        assert "ran longer than 0.3 s" in said
        assert "age" not in db.schema.classes["User"].fields
        caplog.clear()
        with caplog.at_level("WARNING", logger="querylang"):
            assert db.refresh_schema() is True  # readable again: no warning
            assert db.refresh_schema() is False  # unchanged: none either
        assert not [r for r in caplog.records if r.name == "querylang"]
        assert "age" in db.schema.classes["User"].fields


def test_a_schema_read_again_after_the_close_says_the_database_is_closed(pg_cluster: Any, caplog: Any) -> None:
    """The warning said the schema could not be read, and not why, where the reason is known."""
    with querylang.connect(fresh_url(pg_cluster)) as db:
        db.load(DOC)
    with caplog.at_level("WARNING", logger="querylang"):
        assert db.refresh_schema() is False
    [said] = [r.getMessage() for r in caplog.records if r.name == "querylang"]
    assert said == ("db.refresh_schema(): the stored schema could not be read, the one read before is kept: "
                    "the database is closed (db.close() was called); open it again with querylang.connect")

"""On Parse's tables read in place, a read the query makes beside its statement (the look at the
columns' types after a read that failed) is the query's: it ends at the query's timeout, with
the query's error, and has what the statement left of the timeout, not the timeout the query
began with."""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryTimeout

from .pg import fresh_url
from .test_pg_parse_fresh import ParseApp


def test_the_look_at_the_columns_past_the_timeout_is_the_querys_timeout(pg_cluster: Any) -> None:
    """Another session locked the catalog: the look ended at the timeout, and its timeout was
    taken for no answer, the query failing with Python's AttributeError ('decimal.Decimal' object
    has no attribute 'is_integer') of the cell it could not read."""
    app = ParseApp(fresh_url(pg_cluster))
    with querylang.connect(app.url, layout="parse", timeout=1) as db:
        db.store.schema_ttl = 3600  # type: ignore[attr-defined]
        assert db.query("Post", {}).ids == ["p1", "p2"]
        app.sql('ALTER TABLE "Post" ALTER "n" TYPE numeric')
        assert db.count("Post") == 2
        taken, done = threading.Event(), threading.Event()

        def hold() -> None:
            with psycopg.connect(app.url) as other:
                other.execute("LOCK TABLE pg_catalog.pg_attribute IN ACCESS EXCLUSIVE MODE")
                taken.set()
                done.wait(10)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        assert taken.wait(10)
        began = time.monotonic()
        try:
            with pytest.raises(QueryTimeout, match=r"^the query ran longer than 1 s and was stopped$"):
                db.query("Post", {})
            took = time.monotonic() - began
        finally:
            done.set()
            holder.join(10)
        assert took < 1.5, took
        with pytest.raises(querylang.QueryError, match=r"^class Post, field n: its column is now numeric"):
            db.query("Post", {})

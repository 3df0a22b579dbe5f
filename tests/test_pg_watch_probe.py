"""The probe of a refused set-up (reach.py's set_up_refused) runs the set-up's statements on a
connection of its own, and only them: it ran the store's whole configure, which also marks the
store, so a probe had the next query read the schema again (querylang's tables) or check
Parse's _SCHEMA again, whatever its TTL (Parse's tables, once Parse Server has told of a
change), as a new pooled connection does."""

from __future__ import annotations

import math
import time
from typing import Any

import psycopg

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url
from .test_pg_outage import DOC
from .test_pg_parse_fresh import ParseApp


def test_a_probe_of_the_set_up_leaves_no_mark_on_querylangs_tables(pg_cluster: Cluster) -> None:
    db = querylang.connect(fresh_url(pg_cluster))
    try:
        db.load(DOC)
        db.store.pool.wait(10)  # type: ignore[attr-defined]
        assert db.query("User", None).ids == ["u1", "u2"]
        store: Any = db.store
        assert not store.heard.any
        assert store.reach.set_up_refused() is None
        assert not store.heard.any
    finally:
        db.close()


def test_a_probe_of_the_set_up_leaves_no_mark_on_parses_tables(pg_cluster: Cluster) -> None:
    app = ParseApp(fresh_url(pg_cluster))
    db = querylang.connect(app.url, layout="parse")
    store: Any = db.store
    try:
        store.pool.wait(10)
        assert db.query("Post", None).ids == ["p1", "p2"]
        # Parse Server tells of a schema change (enableSchemaHooks): from then on a new pooled
        # connection has the next query check _SCHEMA (it did not listen before).
        with psycopg.connect(app.url, autocommit=True) as con:
            con.execute("SELECT pg_notify('schema.change', 'another server')")
        waited = time.monotonic()
        while not store._told and time.monotonic() - waited < 5:
            time.sleep(0.05)
            db.query("Post", None)
        assert store._told
        db.query("Post", None)  # the check the notice asked for
        assert store._checked_at != -math.inf
        assert store.reach.set_up_refused() is None
        assert store._checked_at != -math.inf
    finally:
        db.close()

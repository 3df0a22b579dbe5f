"""Opening a database reads its schema and checks its edge tables (clean_joins), reads that are
not a query's: a statement_timeout of the role, the database or the URL
(``options=-c statement_timeout=...``) cut them. A read that waited longer (a lock another
session held, a large edge table's check) failed the open with the server's bare "canceling
statement due to statement timeout", or, an edge table's check, left the table not known
clean (every relation query then checked its targets) without a word."""

from __future__ import annotations

import threading
import time
import urllib.parse

import psycopg

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url
from .test_pg_parse_fresh import ParseApp

DOC = {"classes": {"User": {"fields": {"friends": {"type": "Relation", "targetClass": "User"}}}},
       "records": {"User": [{"objectId": "u1"}, {"objectId": "u2"}]},
       "relations": [{"class": "User", "objectId": "u1", "key": "friends", "targetClass": "User", "targetId": "u2"}]}
JOIN = "_join:friends:User"


def test_opening_is_not_cut_by_the_urls_statement_timeout(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
        assert JOIN in db.schema.clean_joins
    limited = url + urllib.parse.quote(" -c statement_timeout=100")
    # Another session holds the schema table and the edge table for a second: the open's
    # reads wait for it, longer than the URL's 100 ms.
    other = psycopg.connect(url)
    other.execute(f'LOCK TABLE "_querylang_schema", "{JOIN}" IN ACCESS EXCLUSIVE MODE')
    threading.Timer(1.0, other.commit).start()
    try:
        began = time.monotonic()
        with querylang.connect(limited) as db:
            assert time.monotonic() - began >= 0.9  # it did wait for the lock
            assert JOIN in db.schema.clean_joins
            assert db.query("User", {"relatedTo": {"id": "u1", "key": "friends"}}).ids == ["u2"]
    finally:
        time.sleep(1.1)
        other.close()


def test_opening_parses_tables_in_place_is_not_cut_by_the_urls_statement_timeout(pg_cluster: Cluster) -> None:
    app = ParseApp(fresh_url(pg_cluster))
    other = psycopg.connect(app.url)
    other.execute('LOCK TABLE "_SCHEMA" IN ACCESS EXCLUSIVE MODE')
    threading.Timer(1.0, other.commit).start()
    try:
        with querylang.connect(app.url + urllib.parse.quote(" -c statement_timeout=100"), layout="parse") as db:
            assert db.query("Post", None).ids == ["p1", "p2"]
    finally:
        time.sleep(1.1)
        other.close()

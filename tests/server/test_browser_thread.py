"""The data browser reads on a thread of its own: a page that waits on the database (a heavy
script, a count of a large class, a table another session locked) keeps no Parse API request
waiting behind it."""

from __future__ import annotations

import copy
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

import querylang
from querylang.engines.postgres.cluster import Cluster

from ..pg import fresh_url
from .conftest import headers
from .live import MASTER_KEY, start


def _waiting_on_a_lock(cluster: Cluster, table: str) -> bool:
    with psycopg.connect(cluster.url(), autocommit=True) as con:
        row = con.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
                          (f'%"{table}"%',)).fetchone()
    return bool(row and row[0])


def test_a_browser_page_waiting_on_the_database_keeps_no_api_request_waiting(sample_doc: dict, pg_cluster: Cluster) -> None:
    # Found by an audit: every database call of serve, the browser's too, ran on one thread, so a
    # Parse API read waited behind a slow browser page (the count of a large class, most of its
    # page's time), up to the query timeout.
    url = fresh_url(pg_cluster)
    db = querylang.connect(url)
    db.load(copy.deepcopy(sample_doc))
    srv = start(db)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    try:
        with ThreadPoolExecutor(1) as pool, psycopg.connect(pg_cluster.url()) as lock:
            lock.execute(f'LOCK TABLE {schema}."Comment" IN ACCESS EXCLUSIVE MODE')
            page = pool.submit(httpx.get, srv.root + "/browser/classes/Comment", params={"masterKey": MASTER_KEY},
                               follow_redirects=True, timeout=60)
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock(pg_cluster, "Comment"):
                assert time.monotonic() < deadline and not page.done(), "the page never waited on the lock"
                time.sleep(0.05)
            began = time.monotonic()
            answer = httpx.get(srv.url + "/classes/Post", headers=headers(), params={"limit": 1}, timeout=10)
            assert answer.status_code == 200 and len(answer.json()["results"]) == 1
            assert time.monotonic() - began < 5
            assert not page.done()  # the lock still held: the page still waits
            lock.commit()  # lets the page go on
            shown = page.result()
        assert shown.status_code == 200 and f'{db.count("Comment")} records' in shown.text
    finally:
        srv.stop()
        db.close()

"""A stream reads in a transaction that stays open between its batches: a server (or role, or
URL) with idle_in_transaction_session_timeout ends the connection of a stream not read on for
that long. It said "the database rejected the query: terminating connection due to
idle-in-transaction timeout", which names neither the stream's pause nor the setting."""

from __future__ import annotations

import time
import urllib.parse

import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url

DOC = {"classes": {"S": {"fields": {"x": {"type": "Number"}}}},
       "records": {"S": [{"objectId": f"s{i:02}", "x": i} for i in range(50)]}}


def test_a_stream_the_server_ends_for_its_pause_says_so_and_what_to_do(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    strict = url + urllib.parse.quote(" -c idle_in_transaction_session_timeout=200")  # after the search_path
    with querylang.connect(strict) as db:
        records = iter(db.stream("S", {}, batch=10))
        assert next(records)["objectId"] == "s00"
        time.sleep(1)
        with pytest.raises(querylang.QueryError, match=r"^the PostgreSQL server ended the query's connection \("
                                                       r"terminating connection due to idle-in-transaction timeout\): "
                                                       r"a stream was not read on for longer than the server's "
                                                       r"idle_in_transaction_session_timeout allows between two batches\. "
                                                       r"Read it without such pauses") as info:
            list(records)
        assert info.value.code == 1
        assert [r["objectId"] for r in db.stream("S", {}, batch=100)][-1] == "s49"  # read at once, it is whole

"""A transaction that waits for the client: a stream's, open between its batches, and a write's
while its update's change (or delete's check) runs. A server (or database, role, URL) with
idle_in_transaction_session_timeout ends its connection past that: a stream said "the database
rejected the query: terminating connection due to idle-in-transaction timeout", naming neither
the pause nor the setting, and a write said the same with the code of a bad record (107: serve
answered 400), though the server, not the data, had refused it."""

from __future__ import annotations

import time
import urllib.parse

import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url

DOC = {"classes": {"S": {"fields": {"x": {"type": "Number"}}}},
       "records": {"S": [{"objectId": f"s{i:02}", "x": i} for i in range(50)]}}
ENDED = (r"the PostgreSQL server ended the connection of the {what} \(terminating connection due to idle-in-transaction "
         r"timeout\): its transaction waited for this program longer than the server's "
         r"idle_in_transaction_session_timeout allows \(.*\)\. Run it without such a pause, or raise that setting "
         r"for the role \(ALTER ROLE \.\.\. SET idle_in_transaction_session_timeout = \.\.\.\)$")


@pytest.fixture
def strict(pg_cluster: Cluster) -> str:
    """A database of S's 50 records, whose URL ends a transaction idle for 0.2 s."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    return url + urllib.parse.quote(" -c idle_in_transaction_session_timeout=200")  # after the search_path


def test_a_stream_the_server_ends_for_its_pause_says_so_and_what_to_do(strict: str) -> None:
    with querylang.connect(strict) as db:
        records = iter(db.stream("S", {}, batch=10))
        assert next(records)["objectId"] == "s00"
        time.sleep(1)
        with pytest.raises(querylang.QueryError, match="^" + ENDED.format(what="query")) as info:
            list(records)
        assert info.value.code == 1
        assert [r["objectId"] for r in db.stream("S", {}, batch=100)][-1] == "s49"  # read at once, it is whole


def test_a_write_the_server_ends_while_its_change_runs_is_not_the_datas_fault(strict: str) -> None:
    def slow(record: dict) -> querylang.Change:
        time.sleep(1)
        return querylang.Change({"x": 1000})

    with querylang.connect(strict) as db:
        with pytest.raises(querylang.DataError, match="^write failed, nothing was changed: " + ENDED.format(what="write")) as info:
            db.update("S", "s01", slow)
        assert info.value.code == 1
        assert db.find("S", {"objectId": "s01"}).records[0]["x"] == 1
        db.update("S", "s01", lambda record: querylang.Change({"x": 2}))
        assert db.find("S", {"objectId": "s01"}).records[0]["x"] == 2

"""A column of querylang's own tables whose type was changed by hand: reading it failed with
Python's AttributeError ('decimal.Decimal' object has no attribute 'is_integer'), which names
nothing, and an aggregate or distinct of it answered Decimals. The read says which class and
field, the type found and the one querylang makes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

import querylang
from querylang import DataError, QueryTimeout
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url

DOC = {"classes": {"Post": {"fields": {"likes": {"type": "Number"}, "title": {"type": "String"}}}},
       "records": {"Post": [{"objectId": "p1", "likes": 3, "title": "a"}, {"objectId": "p2", "likes": 2.5}]}}
SAID = (r"^class Post, field likes: its column likes is numeric, where querylang makes double precision: its type "
        r"was changed outside querylang; change it back \(ALTER TABLE \"Post\" ALTER \"likes\" TYPE double precision\)$")


def _likes_altered(cluster: Cluster) -> str:
    """The URL of a database holding DOC whose Post.likes column was altered to numeric by hand."""
    url = fresh_url(cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('ALTER TABLE "Post" ALTER "likes" TYPE numeric')
    return url


@pytest.mark.parametrize("read", [
    lambda db: db.query("Post", None),
    lambda db: db.query("Post", {"likes": {"greaterThan": 2}}, select=["likes"]),
    lambda db: list(db.stream("Post", None)),
    lambda db: db.reference("Post", None),
    lambda db: db.aggregate("Post", {"total": {"sum": "likes"}}),
    lambda db: db.aggregate("Post", {"most": {"max": "likes"}, "title": {"min": "title"}}),
    lambda db: db.aggregate("Post", {"mean": {"avg": "likes"}}, {"likes": {"greaterThan": 2}}),
    lambda db: db.distinct("Post", "likes"),
], ids=["query", "select", "stream", "reference", "sum", "max", "avg", "distinct"])
def test_a_number_column_altered_to_numeric_by_hand_is_named(pg_cluster: Cluster, read: Callable[[Any], Any]) -> None:
    url = _likes_altered(pg_cluster)
    with querylang.connect(url) as db:
        with pytest.raises(DataError, match=SAID) as caught:
            read(db)
        assert (caught.value.class_name, caught.value.field) == ("Post", "likes")
        # A query that reads no cell of it answers, as before.
        assert db.query("Post", None, select=["title"]).ids == ["p1", "p2"]
        assert db.aggregate("Post", {"first": {"min": "title"}}) == {"first": "a"}
        assert db.distinct("Post", "title") == ["a"]


def test_the_look_at_the_columns_types_ends_at_the_querys_timeout(pg_cluster: Cluster) -> None:
    """The look at the columns' types after a cell that could not be read was not the query's
    (another session locked the catalog: it ended seconds past the timeout, saying Python's
    AttributeError): it is, within the query's timeout and cancel."""
    url = _likes_altered(pg_cluster)
    with querylang.connect(url, timeout=1) as db:
        with pytest.raises(DataError, match=SAID):  # the connection knows the table's columns now
            db.query("Post", None)
        taken = threading.Event()

        def hold() -> None:
            with psycopg.connect(url) as other:
                other.execute("LOCK TABLE pg_catalog.pg_attribute IN ACCESS EXCLUSIVE MODE")
                taken.set()
                time.sleep(4)

        holder = threading.Thread(target=hold, daemon=True)
        holder.start()
        assert taken.wait(10)
        began = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"^the query ran longer than 1 s and was stopped$"):
            db.query("Post", None)
        took = time.monotonic() - began
        assert took < 1.5, took
        holder.join(10)
        with pytest.raises(DataError, match=SAID):
            db.query("Post", None)


def test_a_stream_whose_batch_cannot_be_read_gives_its_connection_back_at_once(pg_cluster: Cluster) -> None:
    """The batch that could not be read ended the stream, but its server-side cursor's read
    transaction stayed open ('idle in transaction', holding its snapshot and locks) for as long
    as the caller kept the error: the stream's generator was only closed when collected."""
    url = _likes_altered(pg_cluster)
    with querylang.connect(url) as db:
        rows = db.stream("Post", None, batch=1)
        with pytest.raises(DataError, match=SAID) as caught:
            next(rows)
        with psycopg.connect(url, autocommit=True) as con:
            idle = con.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                               "AND datname = current_database()").fetchone()
        assert caught.value.field == "likes" and idle == (0,)

"""A Date column of querylang's own PostgreSQL tables whose type was changed by hand (its ISO
text column dropped, then ALTER TABLE ... TYPE text, date or timestamp): a create, save or
update storing a date there was written, PostgreSQL casting it to the column's type (text in
its own format, the day alone, the server's local time), and read back as something else or
not at all. The write is refused, naming the class, field and types, and changes nothing;
as on DuckDB (test_duckdb_altered_dates.py), with no statement more (the write's own read
describes the columns)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

import querylang
from querylang import Change, DataError
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url

DUE = {"__type": "Date", "iso": "2025-03-04T05:06:07.089Z"}
DOC = {"classes": {"Item": {"fields": {"due": {"type": "Date"}, "n": {"type": "Number"}}}},
       "records": {"Item": [{"objectId": "i1", "n": 1, "due": {"__type": "Date", "iso": "2024-01-02T03:04:05.006Z"}},
                            {"objectId": "i2", "n": 2}]}}

WRITES: dict[str, Callable[[Any], Any]] = {
    "create": lambda db: db.create("Item", {"objectId": "i3", "due": DUE}),
    "save": lambda db: db.save("Item", "i2", {"due": DUE}),
    "update": lambda db: db.update("Item", "i2", lambda rec: Change({"due": DUE, "n": 5})),
}


def _altered(cluster: Cluster, column: str, kind: str) -> str:
    url = fresh_url(cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'ALTER TABLE "Item" DROP COLUMN "{column}:iso"')  # the server alters no column a generated one reads
        con.execute(f'ALTER TABLE "Item" ALTER "{column}" TYPE {kind}')
    return url


def _rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as con:
        return con.execute('SELECT * FROM "Item" ORDER BY "objectId"').fetchall()


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
@pytest.mark.parametrize(("kind", "named"), [("text", "text"), ("date", "date"),
                                             ("timestamp", "timestamp without time zone")])
def test_a_date_written_into_an_altered_date_column_is_refused(pg_cluster: Cluster, write: str, kind: str,
                                                              named: str) -> None:
    url = _altered(pg_cluster, "due", kind)
    before = _rows(url)
    with querylang.connect(url) as db, pytest.raises(DataError) as caught:
        WRITES[write](db)
    e = caught.value
    assert (e.class_name, e.field) == ("Item", "due"), str(e)
    assert (f"its column due is {named}, where querylang makes timestamp with time zone: its type was changed "
            'outside querylang; change it back (ALTER TABLE "Item" ALTER "due" TYPE timestamp with time zone)') in str(e)
    assert _rows(url) == before  # nothing written


def test_createdAt_altered_refuses_every_create(pg_cluster: Cluster) -> None:
    url = _altered(pg_cluster, "createdAt", "text")
    with querylang.connect(url) as db, pytest.raises(DataError, match="its column createdAt is text") as caught:
        db.create("Item", {"n": 3})
    assert (caught.value.class_name, caught.value.field) == ("Item", "createdAt")


def test_a_write_that_stores_no_date_there_is_not_refused(pg_cluster: Cluster) -> None:
    """Only a date on its way into the altered column is refused: a write without one (or
    clearing it) stores nothing there to be cast. (On a record with a date stored there, the
    write's read of the record fails first, saying the cell is not a date.)"""
    url = _altered(pg_cluster, "due", "text")
    with querylang.connect(url) as db:
        db.save("Item", "i2", {"n": 7})
        db.update("Item", "i2", lambda rec: Change({"n": 8}))
        db.save("Item", "i2", {"due": None, "n": 9})
    with psycopg.connect(url) as con:
        assert con.execute('SELECT "objectId", due, n FROM "Item" ORDER BY "objectId"').fetchall() == [
            ("i1", "2024-01-02 03:04:05.006+00", 1.0), ("i2", None, 9.0)]


def test_a_write_into_unaltered_columns_answers(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
        for write in WRITES.values():
            write(db)
        assert {r["objectId"]: r.get("due") for r in db.query("Item", None).records} == {
            "i1": "2024-01-02T03:04:05.006Z", "i2": DUE["iso"], "i3": DUE["iso"]}

"""Dates on PostgreSQL are read from their stored ISO text (engines/postgres/layout.py, ISO):
made by the server whenever a row is written, by any path; databases whose tables predate
those columns are read as before, formatting each date as it is read."""

from __future__ import annotations

import urllib.parse
from typing import Any

import psycopg

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import fresh_url

DOC: dict[str, Any] = {
    "classes": {"Post": {"fields": {"title": {"type": "String"}, "at": {"type": "Date"}}}},
    "records": {
        "Post": [
            {"objectId": "p1", "title": "a", "at": {"__type": "Date", "iso": "2024-03-01T23:30:00.120Z"},
             "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-02T10:00:00.005Z"},
            {"objectId": "p2", "title": "b", "createdAt": "2024-01-01T00:00:00.000Z",
             "updatedAt": "2024-01-01T00:00:00.000Z"},
        ]
    },
}  # fmt: skip


def _schema(url: str) -> str:
    return urllib.parse.unquote(url).split("search_path=")[1]


def _stored(cluster: Cluster, url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute(f"SET search_path = {_schema(url)}")
        return con.execute(sql).fetchall()


def test_dates_are_read_from_their_stored_text_kept_right_by_every_write(pg_cluster: Cluster) -> None:
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
        plan = db.compile("Post", None)
        assert db.store.dialect.stored_iso
        assert all(f'"{c}:iso"' in plan.sql for c in ("createdAt", "updatedAt", "at"))
        # the stored text or, where there is none (no date, or one outside years 1-9999), the
        # date as the server writes it: no formatting of its own built into each run's plan
        assert "to_char" not in plan.sql and "CASE" not in plan.sql
        assert _stored(pg_cluster, url, 'SELECT "at:iso", "updatedAt:iso" FROM "Post" ORDER BY "objectId"') == [
            ("2024-03-01T23:30:00.120Z", "2024-01-02T10:00:00.005Z"),
            (None, "2024-01-01T00:00:00.000Z"),
        ]
        recs = db.query("Post", None, sort=["objectId"]).records
        assert [r.get("at") for r in recs] == ["2024-03-01T23:30:00.120Z", None]
        assert recs[0]["updatedAt"] == "2024-01-02T10:00:00.005Z"

        # A save, a field added later, a record created: the server writes the text each time.
        db.save("Post", "p2", {"at": {"__type": "Date", "iso": "1999-12-31T23:59:59.999Z"}})
        db.add_field("Post", "due", "Date")
        db.save("Post", "p1", {"due": {"__type": "Date", "iso": "2030-01-01T00:00:00.000Z"}})
        new = db.create("Post", {"at": {"__type": "Date", "iso": "0001-01-01T00:00:00.000Z"}})
        got = {r["objectId"]: r for r in db.query("Post", None).records}
        assert got["p2"]["at"] == "1999-12-31T23:59:59.999Z"
        assert got["p1"]["due"] == "2030-01-01T00:00:00.000Z"
        assert got[new]["at"] == "0001-01-01T00:00:00.000Z"
        # updatedAt moved with each write, and its text with it
        assert got["p1"]["updatedAt"] > "2024-01-02T10:00:00.005Z"
        assert _stored(pg_cluster, url, 'SELECT "due:iso" FROM "Post" WHERE "objectId" = \'p1\'') == [
            ("2030-01-01T00:00:00.000Z",)
        ]
        # a date past year 9999, written by another program: no stored text, formatted as read
        schema = _schema(url)
        with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
            con.execute(f"UPDATE {schema}.\"Post\" SET at = '20000-01-01T00:00:00Z' WHERE \"objectId\" = 'p2'")
        assert _stored(pg_cluster, url, 'SELECT "at:iso" FROM "Post" WHERE "objectId" = \'p2\'') == [(None,)]
        assert db.query("Post", {"objectId": "p2"}).records[0]["at"].startswith("20000-01-01 ")


def test_a_database_made_before_dates_were_stored_as_text_is_read_as_before(pg_cluster: Cluster) -> None:
    """Tables without the ISO columns (made by an earlier querylang) are read by formatting each
    date: the same records; a class added to such a database gets the columns, and the rest
    still reads right."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
        before = db.query("Post", None, sort=["objectId"]).records
    schema = _schema(url)
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        for col in ("createdAt:iso", "updatedAt:iso", "at:iso"):
            con.execute(f'ALTER TABLE {schema}."Post" DROP COLUMN "{col}"')
    with querylang.connect(url) as db:
        assert not db.store.dialect.stored_iso
        assert "to_char" in db.compile("Post", None).sql and ":iso" not in db.compile("Post", None).sql
        assert db.query("Post", None, sort=["objectId"]).records == before
        db.load({"classes": {"Note": {"fields": {"when": {"type": "Date"}}}},
                 "records": {"Note": [{"objectId": "n1", "when": {"__type": "Date", "iso": "2024-05-05T05:05:05.050Z"}}]}})  # fmt: skip
        assert db.query("Note", None).records[0]["when"] == "2024-05-05T05:05:05.050Z"
        assert db.query("Post", None, sort=["objectId"]).records == before
    with querylang.connect(url, read_only=True) as db:
        assert not db.store.dialect.stored_iso  # Post still lacks them
        assert db.query("Post", None, sort=["objectId"]).records == before

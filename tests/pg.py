"""The PostgreSQL the tests run against: one throw-away cluster per session
(querylang/engines/postgres/cluster.py), and a fresh schema per database a test opens."""

from __future__ import annotations

import itertools
import urllib.parse

import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster, Unavailable

_names = itertools.count()


def start_cluster() -> Cluster:
    try:
        return Cluster("querylang_test")
    except Unavailable as exc:
        pytest.fail(f"the PostgreSQL tests need a PostgreSQL server: {exc}", pytrace=False)


def fresh_url(cluster: Cluster) -> str:
    """The URL of a new, empty schema (a database of its own costs ~10× more to make)."""
    name = f"t{next(_names)}"
    cluster_sql(cluster, f"CREATE SCHEMA {name}")
    return cluster.url() + "?options=" + urllib.parse.quote(f"-c search_path={name}")


def fresh_database(cluster: Cluster, **kw: object) -> querylang.Database:
    return querylang.connect(fresh_url(cluster), **kw)  # type: ignore[arg-type]


def cluster_sql(cluster: Cluster, sql: str) -> None:
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as con:
        con.execute(sql)

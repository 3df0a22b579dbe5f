"""A call that named a class or field this process did not know reads the stored schema again
(schema_refresh.py): when the server refused that read and kept the session (a lock another
session holds on the schema table past the server's lock_timeout), the call says the schema
could not be read again, naming the class and field: it said the class had no such field,
when another process had just added it."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

import querylang
from querylang import SchemaUnread
from querylang.engines.postgres.layout import SCHEMA_TABLE

from .pg import fresh_url

DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}]}}
AGE = {"classes": {"User": {"fields": {"age": {"type": "Number"}}}}, "records": {"User": [{"objectId": "u2", "age": 3}]}}
UNREAD = "the schema could not be read again: canceling statement due to lock timeout"


@contextmanager
def _schema_locked(cluster: Any, db: querylang.Database) -> Iterator[None]:
    """The schema table locked by another session for the block (as a schema change does)."""
    schema = db.store._pg_schema  # type: ignore[attr-defined]  # a statement would read the notices
    with psycopg.connect(cluster.url(), autocommit=True) as other, other.transaction():
        other.execute(f'LOCK TABLE "{schema}".{SCHEMA_TABLE} IN ACCESS EXCLUSIVE MODE')
        yield


@pytest.fixture
def two(pg_cluster: Any) -> Iterator[tuple[querylang.Database, querylang.Database]]:
    """This process's database, and another's that added the field User.age after it read the
    schema; each with a lock_timeout of 0.3 s (the URL's, as a server's or role's would be)."""
    url = fresh_url(pg_cluster) + urllib.parse.quote(" -c lock_timeout=300")
    db, other = querylang.connect(url, timeout=10), querylang.connect(url)
    try:
        db.load(DOC)
        db.store.execute("SELECT 1", [])  # this thread's connection made before the change
        assert db.store._pg_schema  # type: ignore[attr-defined]
        other.load(AGE)
        yield db, other
    finally:
        other.close()
        db.close()


def test_a_query_naming_a_field_another_process_added_says_the_schema_could_not_be_read(
        pg_cluster: Any, two: tuple[querylang.Database, querylang.Database]) -> None:
    db, _ = two
    with _schema_locked(pg_cluster, db), pytest.raises(SchemaUnread) as info:
        db.query("User", "where({ age: { equalTo: 3 } })")
    assert info.value.message == f"class User has no field 'age', in the schema as this process read it, and {UNREAD}"
    assert (info.value.line, info.value.column, info.value.code) == (1, 9, 1)
    assert db.query("User", "where({ age: { equalTo: 3 } })").ids == ["u2"]  # the lock gone, read


def test_a_write_naming_a_field_another_process_added_says_the_schema_could_not_be_read(
        pg_cluster: Any, two: tuple[querylang.Database, querylang.Database]) -> None:
    db, _ = two
    with _schema_locked(pg_cluster, db), pytest.raises(SchemaUnread, match=r"field age: .*, and " + UNREAD):
        db.create("User", {"age": 4})
    assert db.query("User", "where({ age: { greaterThan: 0 } })").ids == ["u2"]  # nothing was written


def test_a_query_not_naming_the_new_field_answers_with_the_schema_it_has(
        pg_cluster: Any, two: tuple[querylang.Database, querylang.Database]) -> None:
    db, _ = two
    db.store.heard.schema(db.store._pg_schema)  # type: ignore[attr-defined]  # as the other's notice does
    with _schema_locked(pg_cluster, db):
        assert db.query("User", "where({ name: { equalTo: 'Ann' } })").ids == ["u1"]


@pytest.mark.parametrize(("options", "timeout", "said"), [
    (" -c lock_timeout=300", 10, (SchemaUnread, "class Post has no field 't', in the schema as this process read it, and "
                                                + UNREAD)),
    ("", 0.5, (querylang.QueryTimeout, "the query ran longer than 0.5 s and was stopped")),
])
def test_in_place_a_query_naming_a_field_parse_added_says_why_its_schema_read_failed(
        pg_cluster: Any, options: str, timeout: float, said: tuple[type[Exception], str]) -> None:
    """On Parse's tables in place, _SCHEMA read again past the query's timeout or lock_timeout:
    the query said "Parse's _SCHEMA, read again for this query, lists no such fields"."""
    from .test_pg_parse_fresh import ParseApp

    url = fresh_url(pg_cluster)
    app = ParseApp(url)
    db = querylang.connect(url + urllib.parse.quote(options), layout="parse", timeout=timeout)
    try:
        assert db.query("Post").ids == ["p1", "p2"]
        app.add_field("Post", "t", "String")
        with psycopg.connect(url, autocommit=True) as other, other.transaction():
            other.execute('LOCK TABLE "_SCHEMA" IN ACCESS EXCLUSIVE MODE')
            with pytest.raises(said[0]) as info:
                db.query("Post", "where({ t: { equalTo: 'x' } })")
        assert info.value.message == said[1]  # type: ignore[attr-defined]
        assert type(info.value) is said[0]
        assert db.query("Post", "where({ t: { equalTo: 'x' } })").ids == []  # the lock gone, read
    finally:
        db.close()


def test_an_update_naming_a_field_another_process_added_says_the_schema_could_not_be_read(
        pg_cluster: Any, two: tuple[querylang.Database, querylang.Database]) -> None:
    """An update reads the schema inside its transaction, where the wait for the lock ends at
    its lock_wait (the database's timeout): it said the field was unknown."""
    db, _ = two
    db.timeout = 1
    with _schema_locked(pg_cluster, db), pytest.raises(querylang.DataError) as info:
        db.update("User", "u1", lambda r: querylang.Change(fields={"age": 5}))
    assert info.value.message == ("write failed, nothing was changed: class User: the change names a field this process "
                                  f"did not know, and {UNREAD}")
    assert db.query("User", "where({ age: { equalTo: 5 } })").ids == []  # nothing was changed; the lock gone, known


def test_a_schema_read_again_that_the_role_may_no_longer_do_says_so(pg_cluster: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The role lost SELECT on the schema table after connecting: a query naming a field
    another process added said the class had no such field (a guess, the read having failed),
    and db.refresh_schema() warned without the reason."""
    from .pg import cluster_sql

    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    role = f"lost_{schema}"
    cluster_sql(pg_cluster, f"CREATE ROLE {role} LOGIN; GRANT USAGE ON SCHEMA {schema} TO {role}")
    with querylang.connect(url) as owner:
        owner.load(DOC)
    cluster_sql(pg_cluster, f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    with querylang.connect(url.replace("postgresql://postgres@", f"postgresql://{role}@"), read_only=True) as db:
        assert db.query("User", None).ids == ["u1"]
        with querylang.connect(url) as other:
            other.load(AGE)
        cluster_sql(pg_cluster, f'GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}; '
                                f'REVOKE SELECT ON {schema}.{SCHEMA_TABLE} FROM {role}')
        with pytest.raises(SchemaUnread) as info:
            db.query("User", "where({ age: { equalTo: 3 } })")
        assert info.value.message == ("class User has no field 'age', in the schema as this process read it, and the "
                                      f"schema could not be read again: permission denied for table {SCHEMA_TABLE}")
        import logging

        with caplog.at_level(logging.WARNING, logger="querylang"):
            assert db.refresh_schema() is False
        assert [r.getMessage() for r in caplog.records if r.name == "querylang"] == [
            "db.refresh_schema(): the stored schema could not be read, the one read before is kept: the schema could "
            f"not be read again: permission denied for table {SCHEMA_TABLE}"]

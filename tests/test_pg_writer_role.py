"""A role that may write records but not querylang's schema table: SELECT on
``_querylang_schema`` and SELECT, INSERT, UPDATE, DELETE on the class and edge tables. It could
create and update records and was refused every delete ("permission denied for table
_querylang_schema"): a delete locks the schema table against schema changes, which PostgreSQL
allows only to a role that may change it (engines/postgres/schema_lock.py)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

import querylang
from querylang.engines.postgres.cluster import Cluster

from .pg import cluster_sql

ROLE, SCHEMA = "records_only", "records_only_data"
DOC = {"classes": {"User": {"fields": {"name": {"type": "String"}}},
                   "Group": {"fields": {"members": {"type": "Relation", "targetClass": "User"}}}},
       "records": {"User": [{"objectId": "u1", "name": "Ann"}, {"objectId": "u2", "name": "Bob"}],
                   "Group": [{"objectId": "g1"}]},
       "relations": [{"class": "Group", "objectId": "g1", "key": "members", "targetClass": "User", "targetId": "u1"},
                     {"class": "Group", "objectId": "g1", "key": "members", "targetClass": "User", "targetId": "u2"}]}


@pytest.fixture
def url(pg_cluster: Cluster) -> Iterator[str]:
    """The role's URL of a schema holding DOC."""
    cluster_sql(pg_cluster, f"CREATE SCHEMA {SCHEMA}")
    options = f"?options=-c%20search_path%3D{SCHEMA}"
    with querylang.connect(pg_cluster.url() + options) as db:
        db.load(DOC)
    cluster_sql(pg_cluster, f"CREATE ROLE {ROLE} LOGIN")
    cluster_sql(pg_cluster, f"GRANT USAGE ON SCHEMA {SCHEMA} TO {ROLE}")
    cluster_sql(pg_cluster, f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {SCHEMA} TO {ROLE}")
    cluster_sql(pg_cluster, f"REVOKE INSERT, UPDATE, DELETE ON {SCHEMA}._querylang_schema FROM {ROLE}")
    try:
        yield pg_cluster.url(user=ROLE) + options
    finally:
        cluster_sql(pg_cluster, f"SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = '{ROLE}'")
        cluster_sql(pg_cluster, f"DROP SCHEMA {SCHEMA} CASCADE")
        cluster_sql(pg_cluster, f"DROP OWNED BY {ROLE}")
        cluster_sql(pg_cluster, f"DROP ROLE {ROLE}")


def test_a_role_that_may_write_records_but_not_the_schema_deletes_them(pg_cluster: Cluster, url: str) -> None:
    with querylang.connect(url) as db:
        made = db.create("User", {"name": "Cy"})
        db.update("User", "u1", lambda record: querylang.Change({"name": "Ann B."}))
        db.delete("User", "u2")
        db.delete("User", made)
        assert db.query("User", None).ids == ["u1"]
        assert db.query("User", "where({ relatedTo: { id: 'g1', key: 'members' } })").ids == ["u1"]
        with psycopg.connect(pg_cluster.url()) as con:  # the deleted record's edge went with it
            assert con.execute(f'SELECT related_id FROM {SCHEMA}."_join:members:Group"').fetchall() == [("u1",)]
        # The schema stays the schema owner's to change: refused, nothing changed.
        with pytest.raises(querylang.DataError, match=r"^write failed, nothing was changed: PostgreSQL refused the "
                                                      r"write: permission denied \(permission denied for table "
                                                      r"_querylang_schema\)$"):
            db.add_field("User", "age", "Number")
        assert db.refresh_schema() is False
        assert "age" not in db.schema.classes["User"].fields

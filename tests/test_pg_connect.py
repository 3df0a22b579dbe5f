"""Opening a PostgreSQL database (issue #13, item 7): a wrong URL, database or role, an encoding
or search_path querylang cannot work in, a stored schema it cannot read, each refused naming why."""

from __future__ import annotations

import urllib.parse

import psycopg
import pytest

import querylang
from querylang import DataError, QueryError

from .pg import DOC, cluster_sql, fresh_url


def test_wrong_url_and_server_not_there():
    with pytest.raises(DataError, match="cannot connect to PostgreSQL"):
        querylang.connect("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(DataError, match="cannot connect to PostgreSQL"):
        querylang.connect("postgresql://x@[bad")



@pytest.mark.parametrize("layout", [None, "parse"])
def test_a_database_without_an_encoding_is_refused(pg_cluster, layout):
    """SQL_ASCII stores bytes: text would come back as bytes and the server's regexes and
    string functions would count bytes, so the answers would differ. Refused on connect."""
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS ql_sql_ascii")
        con.execute("CREATE DATABASE ql_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
    kw = {"layout": layout} if layout else {}
    with pytest.raises(DataError, match="SQL_ASCII.*ENCODING 'UTF8'"):
        querylang.connect(pg_cluster.url("ql_sql_ascii"), **kw)



@pytest.mark.parametrize("path", ["pg_temp", "pg_temp, public"])
def test_a_search_path_to_the_temporary_schema_is_refused(pg_cluster, path):
    """A search_path naming pg_temp first put every table in the connection's temporary schema:
    the load said it loaded the records, other threads' connections found no table, and all
    was gone when the Database closed."""
    url = pg_cluster.url() + "?options=" + urllib.parse.quote(f"-c search_path={path.replace(' ', '')}")
    with pytest.raises(DataError, match="temporary schema"):
        querylang.connect(url)



def test_a_search_path_to_the_temporary_schema_is_refused_read_only_in_a_new_database(pg_cluster):
    """Read-only (as the command line opens for a query), in a database whose backend had no
    temporary schema yet: the server makes it within the check's own statement, where the
    catalog lookup of its name did not see it yet, so the open went on, found no tables, and a
    query said "unknown class 'Post'" (docs/postgres.md promises a refusal on connect)."""
    cluster_sql(pg_cluster, "DROP DATABASE IF EXISTS ql_temp_path")
    cluster_sql(pg_cluster, "CREATE DATABASE ql_temp_path")
    url = pg_cluster.url("ql_temp_path") + "?options=" + urllib.parse.quote("-c search_path=pg_temp")
    with pytest.raises(DataError, match="temporary schema"):
        querylang.connect(url, read_only=True)



def test_wrong_database_name(pg_cluster):
    with pytest.raises(DataError, match="does not exist"):
        querylang.connect(pg_cluster.url("no_such_db"))



def test_permission_error(pg_cluster):
    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    with querylang.connect(url) as db:
        db.load(DOC)
    cluster_sql(pg_cluster, "DROP ROLE IF EXISTS reader")
    cluster_sql(pg_cluster, f"CREATE ROLE reader LOGIN; GRANT USAGE ON SCHEMA {schema} TO reader; "
                            f'GRANT SELECT ON {schema}."_querylang_schema" TO reader')
    reader_url = url.replace("postgresql://postgres@", "postgresql://reader@")
    with querylang.connect(reader_url, read_only=True) as db:
        with pytest.raises(QueryError, match="permission denied"):
            db.query("Post", None)
    with querylang.connect(reader_url) as db, pytest.raises(DataError, match="permission denied|nothing was"):
        db.load({"records": {"User": [{"objectId": "u9"}]}})
    with querylang.connect(url) as db:
        assert db.query("User", None).ids == ["u1", "u2"]



@pytest.mark.parametrize("read_only", [True, False])
def test_a_schema_the_role_may_not_use_is_named(pg_cluster, read_only):
    """A role without USAGE on the search_path's schema sees no schema at all: read-only, the
    database opened empty and every query said "unknown class 'Post'"; otherwise PostgreSQL's
    "no schema has been selected to create in"."""
    url = fresh_url(pg_cluster)
    with querylang.connect(url) as db:
        db.load(DOC)
    cluster_sql(pg_cluster, "DROP ROLE IF EXISTS outsider")
    cluster_sql(pg_cluster, "CREATE ROLE outsider LOGIN")
    with pytest.raises(DataError, match="no schema this role may use.*USAGE"):
        querylang.connect(url.replace("postgresql://postgres@", "postgresql://outsider@"), read_only=read_only)



@pytest.mark.parametrize("read_only", [True, False])
def test_a_search_path_whose_first_schema_is_not_the_tables_is_refused(pg_cluster, read_only):
    """search_path=b,a with the tables in a: they were found, but a load made a new class's
    table in b and listed it in a's schema table, so a process on search_path=a then failed on
    'relation "X" does not exist'. Refused on connect, naming the schema to put first."""
    url = fresh_url(pg_cluster)
    home = urllib.parse.unquote(url).split("search_path=")[1]
    with querylang.connect(url) as db:
        db.load(DOC)
    cluster_sql(pg_cluster, f"CREATE SCHEMA {home}_first")
    both = url.replace(urllib.parse.quote(f"search_path={home}"), urllib.parse.quote(f"search_path={home}_first,{home}"))
    with pytest.raises(DataError, match=f"tables in schema {home}, but schema {home}_first comes first.*"
                                        f"search_path%3D{home}\\)"):
        querylang.connect(both, read_only=read_only)
    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM pg_tables WHERE schemaname = %s", [f"{home}_first"]).fetchone() == (0,)



def test_psycopg_is_the_driver():
    assert psycopg.__version__.startswith("3.")



def test_a_stored_schema_this_version_cannot_read_names_the_database(pg_cluster):
    """The schema table holding what this querylang cannot read (another program's, a newer
    version's) was a JSONDecodeError on open (the CLI's "internal error"), as it was on DuckDB."""
    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    with querylang.connect(url) as db:
        db.load(DOC)
    cluster_sql(pg_cluster, f"UPDATE {schema}._querylang_schema SET definition = 'not json' WHERE class_name = 'User'")
    for read_only in (True, False):
        with pytest.raises(DataError, match=r"cannot read the database .*: its _querylang_schema table holds a "
                                            r"schema this querylang cannot read \(class User: not valid JSON\)"):
            querylang.connect(url, read_only=read_only)



@pytest.mark.parametrize("read_only", ["no", 1, None])
def test_a_read_only_that_is_not_a_boolean_is_refused_on_every_engine(pg_cluster, tmp_path, read_only):
    """README: connect(path, read_only=False). DuckDB's connect raised its own TypeError
    ("incompatible function arguments"); PostgreSQL opened with "no" taken as true."""
    for target in (fresh_url(pg_cluster), ":memory:", str(tmp_path / "x.duckdb")):
        with pytest.raises(querylang.QueryTypeError, match=r"^read_only must be True or False, not"):
            querylang.connect(target, read_only=read_only)
    assert not (tmp_path / "x.duckdb").exists()


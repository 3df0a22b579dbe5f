"""The PostgreSQL engine's answers on a real server: the same as DuckDB's and the reference's,
whatever the session's collation, time zone, DateStyle, extra_float_digits or client encoding;
long value lists bound as one parameter; aggregates past a double's range; binary results.

The differential property tests and the conformance cases run on both engines through the
``engine`` fixture (conftest.py); this file and the other test_pg_*.py cover what they do not reach."""

from __future__ import annotations

import urllib.parse
from typing import Any

import psycopg
import pytest

import querylang
from querylang import QueryError
from querylang.engines.postgres.layout import ident

from .pg import DOC, cluster_sql, fresh_database, fresh_url, spy_formats

QUERIES: list[tuple[str, Any, dict[str, Any]]] = [
    ("Post", None, {"sort": ["title"]}),
    ("Post", None, {"sort": ["-score", "title"]}),
    ("Post", {"title": {"greaterThan": "B"}}, {}),
    ("Post", {"tags": "y"}, {}),
    ("Post", {"tags": {"containedIn": ["x", "z"]}}, {}),
    ("Post", {"tags": {"all": ["x", "y"]}}, {}),
    ("Post", {"tags": {"lessThan": "y"}}, {}),
    ("Post", {"meta.views": {"greaterThan": 5}}, {}),
    ("Post", {"meta.lang": {"matchesRegex": "^E", "options": "i"}}, {}),
    ("Post", {"body": {"matchesRegex": "line.next"}}, {}),
    ("Post", {"body": {"matchesRegex": "line$"}}, {}),
    ("Post", {"body": {"matchesRegex": "^next", "options": "m"}}, {}),
    ("Post", {"body": {"text": {"search": {"term": "run"}}}}, {}),
    ("Post", {"body": {"text": {"search": {"term": "eclair"}}}}, {}),
    ("Post", {"at": {"lessThan": {"__type": "Date", "iso": "2024-03-02T00:00:00.000Z"}}}, {}),
    ("Post", {"fans": {"exists": True}}, {}),
    ("Post", {"owner": {"matchesQuery": {"where": {"name": "bob"}, "className": "User"}}}, {}),
    ("Post", {"score": {"containedIn": [1.5, 2, None]}}, {}),
    ("Post", {"title": {"notContainedIn": ["a", "b"]}}, {"count": True}),
]



@pytest.mark.parametrize(("cls", "where", "kw"), QUERIES)
def test_answers_equal_duckdb_and_the_reference(pair, cls, where, kw):
    pg, duck = pair
    got = pg.query(cls, where, **kw)
    assert got.records == duck.query(cls, where, **kw).records
    assert got.ids == pg.reference(cls, where, **kw).ids
    assert got.count == duck.query(cls, where, **kw).count



def test_string_order_is_code_points_whatever_the_collation(pg_cluster):
    """A database whose collation sorts "a" before "B" still sorts by code point."""
    name = "icu_db"
    cluster_sql(pg_cluster, f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'")
    with querylang.connect(pg_cluster.url(name)) as db:
        db.load(DOC)
        assert [r["title"] for r in db.query("Post", None, sort=["title"]).records] == ["A", "B", "a", "b"]
        assert db.distinct("Post", "title") == ["A", "B", "a", "b"]
        assert db.aggregate("Post", {"lo": {"min": "title"}}) == {"lo": "A"}



def test_dates_do_not_depend_on_the_session_time_zone(pg_cluster):
    url = fresh_url(pg_cluster)
    tokyo = url + urllib.parse.quote(" -c TimeZone=Asia/Tokyo")
    with querylang.connect(tokyo) as db:
        db.load(DOC)
        rec = db.query("Post", {"objectId": "p1"}).records[0]
        assert rec["at"] == "2024-03-01T23:30:00.000Z"
        on = {"at": {"greaterThan": {"__type": "Date", "iso": "2024-03-01T23:00:00.000Z"}}}
        assert db.query("Post", on).ids == ["p1", "p2"]
        assert db.aggregate("Post", {"last": {"max": "at"}}) == {"last": "2024-03-02T00:30:00.000Z"}



@pytest.mark.parametrize("style", ["SQL, DMY", "German"])
def test_dates_do_not_depend_on_the_date_style(pg_cluster, style):
    """A database, role or URL may set another DateStyle (ALTER DATABASE ... SET DateStyle):
    every query reading a date crashed with psycopg's NotImplementedError, and the reference
    evaluator's read of the data too."""
    url = fresh_url(pg_cluster)
    schema = urllib.parse.unquote(url).split("search_path=")[1]
    dated = url + urllib.parse.quote(f" -c DateStyle={style.replace(' ', '')}")
    with querylang.connect(dated) as db:
        db.load(DOC)
        assert db.query("Post", {"objectId": "p1"}).records[0]["at"] == "2024-03-01T23:30:00.000Z"
        assert db.aggregate("Post", {"last": {"max": "at"}}) == {"last": "2024-03-02T00:30:00.000Z"}
        assert db.reference("Post", None, sort=["title"]).ids == ["p4", "p2", "p3", "p1"]
        # a date out of Python's range comes as PostgreSQL writes it, in ISO form
        cluster_sql(pg_cluster, f'UPDATE {schema}."Post" SET at = \'20000-01-01T00:00:00Z\' WHERE "objectId" = \'p3\'')
        assert db.query("Post", {"objectId": "p3"}).records[0]["at"].startswith("20000-01-01 ")



def test_numbers_do_not_depend_on_extra_float_digits(pg_cluster):
    """A database, role or URL with extra_float_digits below 1 has the server print doubles
    rounded: a save or an increment rewrote a record's numbers rounded (1.23456789 + 1 became
    2.2346), and the reference evaluator read rounded values (other answers than the query's)."""
    url = fresh_url(pg_cluster) + urllib.parse.quote(" -c extra_float_digits=-10")
    with querylang.connect(url) as db:
        db.load({"classes": {"P": {"fields": {"x": {"type": "Number"}, "t": {"type": "String"}}}},
                 "records": {"P": [{"objectId": "p1", "x": 1.23456789, "t": "a"}]}})
        assert db.reference("P", {"x": 1.23456789}).ids == db.query("P", {"x": 1.23456789}).ids == ["p1"]
        db.save("P", "p1", {"t": "b"})
        db.increment("P", "p1", {"x": 1})
        assert db.query("P", None).records[0]["x"] == 2.23456789



@pytest.mark.parametrize("how", ["env", "url"])
def test_text_does_not_depend_on_the_client_encoding(pg_cluster, monkeypatch, how):
    """PGCLIENTENCODING=LATIN1 in the environment, or client_encoding in the URL, made psycopg
    encode text as Latin-1: a write or a query of text outside it crashed with a
    UnicodeEncodeError, and the server would have re-read other text as Latin-1."""
    url = fresh_url(pg_cluster)
    if how == "env":
        monkeypatch.setenv("PGCLIENTENCODING", "LATIN1")
    else:
        url += urllib.parse.quote(" -c client_encoding=LATIN1")
    with querylang.connect(url) as db:
        db.load(DOC)
        db.create("User", {"objectId": "u3", "name": "日本 €"})
        assert db.query("User", {"name": "日本 €"}).ids == ["u3"]
        assert db.query("Post", {"body": {"text": {"search": {"term": "eclair"}}}}).ids == ["p3"]
        assert db.reference("User", {"name": {"matchesRegex": "^日"}}).ids == db.query("User", {"name": {"matchesRegex": "^日"}}).ids == ["u3"]



def test_compile_writes_postgresql_placeholders(pair):
    pg, _ = pair
    plan = pg.compile("Post", {"title": "a", "tags": {"containedIn": ["x"] * 1 + ["z"]}})
    assert "%s" in plan.sql and "?" not in plan.sql



def test_count_distinct_aggregate(pair):
    pg, duck = pair
    for db in (pg, duck):
        assert db.count("Post", {"score": {"greaterThan": 0}}) == 2
    assert pg.distinct("Post", "owner") == duck.distinct("Post", "owner")
    spec = {"t": {"sum": "score"}, "m": {"avg": "score"}, "n": {"min": "at"}, "x": {"max": "title"}}
    assert pg.aggregate("Post", spec) == duck.aggregate("Post", spec)



def test_a_sum_past_a_doubles_range_is_the_same_error_on_both_engines(pair):
    """DuckDB's sum of two 1e308 was Infinity (and its avg too, though the mean is 1e308),
    which no answer may hold; PostgreSQL raised 'value out of range: overflow' as a bare
    server error. Both now say which aggregates sum past a double's range."""
    pg, duck = pair
    errors = []
    for db in (pg, duck):
        db.save("Post", "p1", {"score": 1e308})
        db.save("Post", "p2", {"score": 1.5e308})
        with pytest.raises(QueryError) as info:
            db.aggregate("Post", {"S": {"sum": "score"}, "M": {"max": "score"}})
        errors.append(str(info.value))
        assert "'S'" in str(info.value) and "range of a double" not in str(info.value)
        assert "larger than a double holds" in str(info.value) and info.value.code == 102
        # Without the overflowing values the same aggregate answers.
        assert db.aggregate("Post", {"S": {"sum": "score"}}, {"score": {"lessThan": 10}}) == {"S": -1}
        # An avg whose running sum passes the range but whose mean fits is answered (it was the
        # same error); a mean past the range is still one, and only the sum is named.
        big = {"score": {"greaterThan": 1e300}}
        assert db.aggregate("Post", {"M": {"avg": "score"}, "X": {"max": "score"}}, big) == {"M": 1.25e308, "X": 1.5e308}
        with pytest.raises(QueryError, match="^aggregate 'S': the sum is larger"):
            db.aggregate("Post", {"S": {"sum": "score"}, "M": {"avg": "score"}}, big)
    assert errors[0] == errors[1]



def test_an_avg_of_large_and_tiny_values_is_answered_on_both_engines(pair):
    """PostgreSQL's avg of a double overflows past about 1e154 (it sums the squares too), so it
    is run again over values scaled by 2^-1000; a value below about 1e-23 then underflowed in
    the scaling, which PostgreSQL raises: the mean of 1e200 and 1e-30 was refused on
    PostgreSQL, with a message about coordinates, and answered on DuckDB."""
    pg, duck = pair
    for db in (pg, duck):
        db.save("Post", "p1", {"score": 1e200})
        db.save("Post", "p2", {"score": 1e-30})
        within = {"objectId": {"containedIn": ["p1", "p2"]}}
        assert db.aggregate("Post", {"M": {"avg": "score"}, "S": {"sum": "score"}}, within) == {"M": 5e199, "S": 1e200}
        db.save("Post", "p1", {"score": -1e-300})
        db.save("Post", "p2", {"score": -3e-300})
        assert db.aggregate("Post", {"M": {"avg": "score"}}, within) == {"M": -2e-300}



def test_names_longer_than_63_bytes_stay_distinct(pg_cluster):
    long_a = "a" * 60 + "One"
    long_b = "a" * 60 + "Two"
    doc = {
        "classes": {"C": {"fields": {long_a: {"type": "Relation", "targetClass": "C"},
                                     long_b: {"type": "Relation", "targetClass": "C"},
                                     long_a + "x": {"type": "GeoPoint"}}}},
        "records": {"C": [{"objectId": "c1", long_a: ["c2"], long_a + "x": {"latitude": 1, "longitude": 2}},
                          {"objectId": "c2", long_b: ["c1"]}]},
    }
    assert ident(f"_join:{long_a}:C") != ident(f"_join:{long_b}:C")
    with fresh_database(pg_cluster) as db:
        db.load(doc)
        assert db.query("C", {long_a: {"exists": True}}).ids == ["c1"]
        assert db.query("C", {long_b: {"exists": True}}).ids == ["c2"]
        assert db.query("C", {long_a + "x": {"exists": True}}).records[0][long_a + "x"] == {"latitude": 1, "longitude": 2}



def test_more_values_than_bind_parameters(pair):
    pg, _ = pair
    ids = [f"x{i}" for i in range(99_000)] + ["p2"]
    assert pg.query("Post", {"objectId": {"containedIn": ids}}).ids == ["p2"]
    tags = [f"t{i}" for i in range(70_000)] + ["x"]
    assert pg.query("Post", {"tags": {"containedIn": tags}}).ids == ["p1"]



def test_many_short_lists_past_the_bind_parameters(pair):
    """Lists of up to 256 values bound one parameter per value: an ``or`` of 300 such lists
    bound 66,264 and PostgreSQL refused it ("the query binds 66264 values"), where DuckDB and
    the reference answer; then every list is bound as one parameter."""
    pg, _ = pair
    cases = [({"or": [{"score": {"containedIn": [*range(1000 * k + 10, 1000 * k + 259), 2]}} for k in range(264)]}, ["p1"]),
             ({"or": [{"owner": {"pointsTo": [*(f"u{k}.{i}" for i in range(250)), "u2"]}} for k in range(264)]}, ["p2"])]
    for where, ids in cases:
        assert pg.query("Post", where, count=True).ids == pg.reference("Post", where).ids == ids



def test_a_long_list_of_arrays_on_an_array_field_is_one_parameter(pair):
    """containedIn on an Array field bound one parameter per array among its values (the
    whole-array match): PostgreSQL refused 66,000 of them ("the query binds 66002 values"),
    though docs/postgres.md says Array value lists bind as one."""
    pg, _ = pair
    arrays = [[f"t{i}"] for i in range(66_000)]
    assert pg.query("Post", {"tags": {"containedIn": [*arrays, ["x", "y"]]}}).ids == ["p1"]
    assert pg.query("Post", {"tags": {"notContainedIn": [*arrays, ["y"]]}}).ids == ["p1", "p3", "p4"]



def test_a_long_list_on_an_object_path_is_one_parameter(pair):
    """containedIn on an Object's sub-key bound one parameter per value: PostgreSQL refused a
    list past 65,535 values, though docs/postgres.md says lists over 256 bind as one."""
    pg, duck = pair
    cases = [({"meta.views": {"containedIn": [*range(4, 70_004), 3.5, 10]}}, ["p1"]),
             ({"meta.lang": {"containedIn": [*(f"l{i}" for i in range(70_000)), "en"]}}, ["p1"]),
             ({"meta.lang": {"notContainedIn": [*(f"l{i}" for i in range(300)), "de"]}}, ["p1", "p2", "p3", "p4"])]
    for where, ids in cases:
        assert pg.query("Post", where).ids == duck.query("Post", where).ids == pg.reference("Post", where).ids == ids



def test_all_of_a_long_list_is_one_parameter(pair):
    """``all`` bound one parameter per value: past 65,535 values PostgreSQL refused it, which
    docs/postgres.md says of no Array value list, and DuckDB crashed the process (a segfault
    from some 10,000 values). A stored Array as long as the list is matched on DuckDB only:
    PostgreSQL's ``@>`` compares every pair of elements (docs/postgres.md), 70,000 by 70,000
    took some 20 s a query."""
    pg, duck = pair
    tags = [f"t{i}" for i in range(70_000)]
    duck.create("Post", {"objectId": "p9", "tags": tags})
    assert duck.query("Post", {"tags": {"all": tags}}).ids == ["p9"]
    assert duck.query("Post", {"tags": {"all": [*tags, "x"]}}).ids == []
    pg.create("Post", {"objectId": "p9", "tags": tags[:300]})
    assert pg.query("Post", {"tags": {"all": [*tags[:300], *tags[:300]] * 120}}).ids == ["p9"]
    assert pg.query("Post", {"tags": {"all": tags}}).ids == []
    for db in pair:
        assert db.query("Post", {"tags": {"all": ["x", "y"]}}).ids == ["p1"]
    assert duck.reference("Post", {"tags": {"all": tags[:2_000]}}).ids == ["p9"]



def test_results_come_in_binary_and_read_as_in_text(pair):
    """The store asks for binary results (store.binary_rows): a raw date (distinct, min/max)
    reads as the same ISO text as in text format, records as on DuckDB."""
    pg, duck = pair
    assert pg.distinct("Post", "at") == duck.distinct("Post", "at")
    assert pg.aggregate("Post", {"n": {"min": "at"}}) == duck.aggregate("Post", {"n": {"min": "at"}})
    assert pg.query("Post", None, sort=["objectId"]).records == duck.query("Post", None, sort=["objectId"]).records
    held = pg.store._thread_connection()
    asked = spy_formats(held.statements)
    assert pg.query("Post", None, sort=["objectId"]).records == duck.query("Post", None, sort=["objectId"]).records
    assert asked and set(asked) == {psycopg.pq.Format.BINARY}
    with psycopg.connect(pg.store.url) as con:
        pg.store.configure(con)
        for binary in (False, True):
            (at,) = con.execute("SELECT timestamptz '2024-03-01 23:30:00.1234+00'", binary=binary).fetchone()
            assert at == "2024-03-01T23:30:00.123Z"


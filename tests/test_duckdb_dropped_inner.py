"""A DuckDB query whose inner query (matchesQuery, matchesKeyInQuery, a dotted path) reads a
column dropped by hand names the class whose table lacks it, by the table alias DuckDB's words
name, when several classes' tables lack a column of that name."""

from __future__ import annotations

import pytest

import querylang
from querylang.errors import DataError


def test_a_query_of_two_classes_names_the_one_whose_table_lacks_the_column() -> None:
    # Both tables lack their "n": a query of A whose inner query reads B.n failed on B's, which
    # DuckDB says only of its alias ('Referenced table "s1" not found!'): it was "the database
    # rejected the query" of no class, where a query of A alone names A.
    db = querylang.connect()
    db.load({"classes": {"A": {"fields": {"n": {"type": "Number"}, "m": {"type": "Number"},
                                          "b": {"type": "Pointer", "targetClass": "B"}}},
                         "B": {"fields": {"n": {"type": "Number"}}}},
             "records": {"A": [{"objectId": "a1", "n": 1, "m": 2, "b": "b1"}], "B": [{"objectId": "b1", "n": 2}]}})
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall():
        con.execute(f'DROP INDEX "{index}"')
    for c in ("A", "B"):
        con.execute(f'ALTER TABLE "{c}" DROP COLUMN "n"')
    inner = {"where": {"n": 2}, "className": "B"}
    for cls, where, owner in (("A", {"b": {"matchesQuery": inner}}, "B"),
                              ("A", {"m": {"matchesKeyInQuery": {"key": "n", "className": "B", "where": {}}}}, "B"),
                              ("A", {"b.n": 2}, "B"), ("A", None, "A"), ("B", None, "B")):
        with pytest.raises(DataError) as exc:
            db.query(cls, where)
        assert (exc.value.class_name, exc.value.field) == (owner, "n"), str(exc.value)
        assert f'ALTER TABLE "{owner}" ADD COLUMN "n" DOUBLE' in exc.value.reason


def test_sibling_inner_queries_of_one_alias_name_the_class_whose_table_lacks_the_column() -> None:
    # Found by review: two inner queries side by side (an or of matchesQuery) both alias their
    # table s1; B's "n" dropped, C's kept, the statement failed on B's, and DuckDB's words name
    # s1 alone: s1 was taken for C (the last table so aliased), which has its n, and the query
    # was "the database rejected the query: Referenced table "s1" not found!", an alias of
    # querylang's SQL of no class.
    db = querylang.connect()
    db.load({"classes": {"A": {"fields": {"n": {"type": "Number"}, "b": {"type": "Pointer", "targetClass": "B"},
                                          "c": {"type": "Pointer", "targetClass": "C"}}},
                         "B": {"fields": {"n": {"type": "Number"}}}, "C": {"fields": {"n": {"type": "Number"}}}},
             "records": {"A": [{"objectId": "a1", "n": 1, "b": "b1", "c": "c1"}], "B": [{"objectId": "b1", "n": 2}],
                         "C": [{"objectId": "c1", "n": 3}]}})
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall():
        con.execute(f'DROP INDEX "{index}"')
    for c in ("A", "B"):
        con.execute(f'ALTER TABLE "{c}" DROP COLUMN "n"')
    for first, second in ((("b", "B", {"n": 2}), ("c", "C", {})), (("c", "C", {"n": 3}), ("b", "B", {"n": 2}))):
        where = {"or": [{key: {"matchesQuery": {"className": cls, "where": w}}} for key, cls, w in (first, second)]}
        with pytest.raises(DataError) as exc:
            db.query("A", where)
        assert (exc.value.class_name, exc.value.field) == ("B", "n"), str(exc.value)
        assert 'ALTER TABLE "B" ADD COLUMN "n" DOUBLE' in exc.value.reason and "s1" not in str(exc.value)

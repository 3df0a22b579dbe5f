"""Parse Server's own PostgreSQL tables queried in place (connect(url, layout="parse")), on the
importer tests' live server (conftest.py): doctor names the indexes Parse does not
create, each once, and they serve the lookups, whatever the database's collation."""

from __future__ import annotations

import json

import psycopg
import pytest
from click.testing import CliRunner

import querylang

from . import in_place_setup
from .conftest import LiveParse
from .conftest import cli_main as main
from .in_place_setup import BUILTIN_COLUMNS, BUILTIN_ROW, CASES, case_kw, parse_like

in_place = in_place_setup.in_place


def test_doctor_prints_the_missing_indexes_and_they_serve(live_parse: LiveParse, in_place: querylang.Database) -> None:
    res = CliRunner().invoke(main, ["doctor", "--db", live_parse.pg.uri])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if not x.startswith("--")]
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_Comment_Owner" ON "Comment" ("Owner");' in lines
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql__Join:posts:Group_owningId" ON "_Join:posts:Group" ("owningId");' in lines
    assert lines == in_place.missing_indexes()
    before = [in_place.query(c["class"], c["script"], **case_kw(c)).ids for c in CASES]
    with psycopg.connect(live_parse.pg.uri, autocommit=True) as con:
        try:
            for stmt in lines:
                con.execute(stmt)
            assert in_place.missing_indexes() == []
            plan = con.execute('EXPLAIN SELECT "relatedId" FROM "_Join:posts:Group" WHERE "owningId" = \'g1\'').fetchall()
            assert "ql__Join:posts:Group_owningId" in str(plan) or "Seq Scan" in str(plan)  # tiny table: either
            assert [in_place.query(c["class"], c["script"], **case_kw(c)).ids for c in CASES] == before
            out = CliRunner().invoke(main, ["doctor", "--db", live_parse.pg.uri]).output
            assert "nothing missing" in out
        finally:
            for stmt in lines:  # leave the shared server as Parse made it
                name = stmt.split(" EXISTS ")[1].split(" ON ")[0]
                con.execute(f"DROP INDEX IF EXISTS {name}")


def test_doctor_names_an_index_of_each_table_and_column_apart(live_parse: LiveParse) -> None:
    """Table "A" column "x_y" and table "A_x" column "y" were both given the index name
    ql_A_x_y: after running both statements the second was skipped ('relation already exists,
    skipping'), and doctor kept printing it."""
    spec = {"A": {"fields": {"x_y": {"type": "Pointer", "targetClass": "A"}}},
            "A_x": {"fields": {"y": {"type": "Pointer", "targetClass": "A"}}}}  # fmt: skip
    url = parse_like(live_parse, "index_names", spec, [
        f'CREATE TABLE "A" ({BUILTIN_COLUMNS}, "x_y" text)', f'CREATE TABLE "A_x" ({BUILTIN_COLUMNS}, "y" text)'])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        statements = db.missing_indexes()
        assert len(statements) == 2
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
        assert db.missing_indexes() == []
        out = CliRunner().invoke(main, ["doctor", "--db", url]).output
        assert "nothing missing" in out
    finally:
        db.close()


def test_doctor_does_not_count_an_index_whose_build_was_cut_short(live_parse: LiveParse) -> None:
    """A CREATE INDEX CONCURRENTLY cut short (a timeout, Ctrl-C, a failed build) leaves an
    invalid index that serves no query: doctor counted it and said the column was served, and
    its own statement, run again, was skipped for the name that index holds."""
    spec = {"A": {"fields": {"to": {"type": "Pointer", "targetClass": "A"}}}}
    url = parse_like(live_parse, "cut_index", spec, [f'CREATE TABLE "A" ({BUILTIN_COLUMNS}, "to" text)',
                                                     f"INSERT INTO \"A\" VALUES ({BUILTIN_ROW}, 'd1')"])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        (create,) = db.missing_indexes()
        with psycopg.connect(url) as writer, psycopg.connect(url, autocommit=True) as con:
            writer.execute('UPDATE "A" SET "to" = "to"')  # a write not yet committed: the build waits for it
            con.execute("SET statement_timeout = '300ms'")
            with pytest.raises(psycopg.errors.QueryCanceled):
                con.execute(create)
            assert con.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = '\"ql_A_to\"'::regclass").fetchone() == (False,)
        statements = db.missing_indexes()
        assert statements == ['DROP INDEX CONCURRENTLY IF EXISTS "ql_A_to";', create]
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
            assert con.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = '\"ql_A_to\"'::regclass").fetchone() == (True,)
        assert db.missing_indexes() == []
    finally:
        db.close()


def test_doctor_keeps_a_note_with_a_line_break_inside_its_comments(live_parse: LiveParse) -> None:
    """doctor prints SQL to run, with its notes as '--' comments; a name in _SCHEMA holding a
    line break (written there by hand: Parse refuses such names) put the rest of its note on a
    line of its own, outside any comment: `doctor | psql` would have run it."""
    spec = {"A": {"fields": {'x\nDROP TABLE "A"; --': {"type": "String"}, "y": {"type": "Odd\rSELECT 1;"}}},
            "B\nSELECT 2;": {"fields": {}}}  # fmt: skip
    url = parse_like(live_parse, "note_lines", spec, [f'CREATE TABLE "A" ({BUILTIN_COLUMNS}, "y" text)'])
    res = CliRunner().invoke(main, ["doctor", "--db", url])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) > 4 and all(line.startswith("-- ") for line in lines), lines
    assert '-- DROP TABLE "A"; --: a name querylang\'s schema does not accept: left out' in lines


def test_doctor_indexes_serve_pointer_lookups_on_a_database_not_in_code_point_order(live_parse: LiveParse) -> None:
    """Where the database's collation is not code-point order (en-US here, the usual default),
    querylang compares a Pointer column COLLATE "C", which an index of the column's own
    collation cannot serve: doctor's index was made, doctor then said nothing was missing, and
    every pointer filter still read the whole table."""
    spec = {"C": {"fields": {"Owner": {"type": "Pointer", "targetClass": "C"}, "rel": {"type": "Relation", "targetClass": "C"}}}}
    url = parse_like(live_parse, "icu_doctor", spec, [
        f'CREATE TABLE "C" ({BUILTIN_COLUMNS}, "Owner" text)',
        'CREATE TABLE "_Join:rel:C" ("relatedId" varchar(120), "owningId" varchar(120), PRIMARY KEY ("relatedId", "owningId"))',
        "INSERT INTO \"C\" SELECT 'c' || i, now(), now(), 'c' || (i % 100) FROM generate_series(1, 20000) i",
        "INSERT INTO \"_Join:rel:C\" SELECT 'c' || i, 'c' || (i % 100) FROM generate_series(1, 20000) i",
        'CREATE INDEX "by_owner" ON "C" ("Owner")',  # the column's own collation: no use to querylang
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert not db.store.dialect.code_point_order
        statements = db.missing_indexes()
        assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_C_Owner_C" ON "C" ("Owner" COLLATE "C");' in statements
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
            con.execute("ANALYZE")
        assert db.missing_indexes() == []
        assert "ql_C_Owner_C" in db.explain("C", "where({ Owner: { pointsTo: 'c5' } })")
        assert db.query("C", "where({ Owner: { pointsTo: 'c5' } })", limit=3).ids == ["c10005", "c1005", "c10105"]
    finally:
        db.close()


def test_doctor_serves_objectid_lookups_on_a_database_not_in_code_point_order(live_parse: LiveParse) -> None:
    """There querylang compares objectIds COLLATE "C" too, which Parse's primary key (of the
    column's own collation) cannot serve: every show, idEqualTo and objectId-ordered page read
    the whole table, and doctor said nothing was missing."""
    spec = {"C": {"fields": {"n": {"type": "Number"}}}}
    url = parse_like(live_parse, "icu_objectid", spec, [
        f'CREATE TABLE "C" ({BUILTIN_COLUMNS}, n double precision)',
        "INSERT INTO \"C\" SELECT 'c' || i, now(), now(), i FROM generate_series(1, 20000) i",
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        statements = db.missing_indexes()
        assert statements == ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_C_objectId_C" ON "C" ("objectId" COLLATE "C");']
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(statements[0])
            con.execute("ANALYZE")
        assert db.missing_indexes() == []
        assert "ql_C_objectId_C" in db.explain("C", {"idEqualTo": "c5"})
        assert "ql_C_objectId_C" in db.explain("C", None, limit=5)
        res = CliRunner().invoke(main, ["show", "C", "c5", "--db", url, "--layout", "parse", "--format", "json"])
        assert res.exit_code == 0 and json.loads(res.output)["n"] == 5, res.output
    finally:
        db.close()


def test_doctor_counts_a_partial_index_only_when_it_serves_every_lookup(live_parse: LiveParse) -> None:
    """An index on a Pointer column limited to some rows (WHERE flagged) serves no lookup of
    the others: doctor counted it, and said nothing was missing. One limited to the rows that
    have the column (WHERE "to" IS NOT NULL) serves every lookup by a value, and still counts."""
    spec = {"A": {"fields": {"to": {"type": "Pointer", "targetClass": "A"}, "by": {"type": "Pointer", "targetClass": "A"},
                             "flagged": {"type": "Boolean"}}}}  # fmt: skip
    url = parse_like(live_parse, "partial_index", spec, [
        f'CREATE TABLE "A" ({BUILTIN_COLUMNS}, "to" text, "by" text, flagged boolean)',
        'CREATE INDEX "flagged_to" ON "A" ("to") WHERE flagged', 'CREATE INDEX "by_set" ON "A" ("by") WHERE "by" IS NOT NULL',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert db.missing_indexes() == ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_A_to" ON "A" ("to");']
    finally:
        db.close()


def test_an_icu_database_is_not_taken_for_code_point_order(live_parse: LiveParse) -> None:
    """A database made with LOCALE_PROVIDER icu keeps a libc datcollate ('C') beside the ICU
    locale that orders its text: it was taken for code-point order, so strings sorted and
    compared in en-US order ('a' < 'B', ranges off) against docs/semantics.md's."""
    texts = ["b", "B", "a", "A", "_", "é", "e"]
    url = parse_like(live_parse, "icu_en", {"S": {"fields": {"t": {"type": "String"}}}}, [
        f'CREATE TABLE "S" ({BUILTIN_COLUMNS}, t text)',
        *(f"INSERT INTO \"S\" VALUES ('s{i}', now(), now(), '{t}')" for i, t in enumerate(texts)),
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert db.store.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()", []) == [("C",)]
        assert not db.store.dialect.code_point_order
        assert [r["t"] for r in db.query("S", {}, sort=["t"]).records] == sorted(texts) == ["A", "B", "_", "a", "b", "e", "é"]
        for where in ({"t": {"greaterThan": "a"}}, {"t": {"lessThan": "_"}}):
            assert db.query("S", where).ids == db.reference("S", where).ids
    finally:
        db.close()

"""A Date column of querylang's own DuckDB tables whose type was changed by hand (ALTER TABLE):
named, class and field, by a query's page small or large, by the reference evaluator's read,
and by a write's read back; never a bare AttributeError, and never a text passed through as
a date (engines/duckdb/decode.date_check)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

import querylang
from querylang.app.cli import main
from querylang.engines.duckdb.layout import quote_ident
from querylang.errors import DataError

MS = "'%Y-%m-%dT%H:%M:%S.%gZ'"  # a date as the 24 characters of a Parse date


def _db(n: int = 120) -> Any:
    db = querylang.connect()
    db.load({
        "classes": {"Item": {"fields": {"due": {"type": "Date"}, "n": {"type": "Number"}}}},
        "records": {"Item": [
            {"objectId": f"i{k:03}", "createdAt": f"2024-02-01T00:00:{k % 60:02}.{k:03}Z", "n": k,
             **({"due": {"__type": "Date", "iso": f"2025-01-01T00:00:00.{k:03}Z"}} if k % 2 else {})}
            for k in range(n)
        ]},
    })  # fmt: skip
    return db


# (column, its new type, USING): text as DuckDB writes a timestamp, text of exactly a Parse
# date's 24 characters (which a large page passed through), and an aware timestamp.
ALTERED = [
    ("due", "VARCHAR", None, "text (VARCHAR)"),
    ("due", "VARCHAR", f'strftime("due", {MS})', "text (VARCHAR)"),
    ("createdAt", "VARCHAR", f'strftime("createdAt", {MS})', "text (VARCHAR)"),
    ("due", "TIMESTAMP WITH TIME ZONE", None, "dates with a time zone (TIMESTAMP WITH TIME ZONE)"),
    ("updatedAt", "TIMESTAMP WITH TIME ZONE", None, "dates with a time zone (TIMESTAMP WITH TIME ZONE)"),
    ("due", "DATE", None, "days without a time (DATE)"),
]


def _alter(db: Any, column: str, kind: str, using: str | None) -> None:
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'Item'").fetchall():
        con.execute(f'DROP INDEX "{index}"')  # DuckDB alters no table that has an index
    con.execute(f'ALTER TABLE "Item" ALTER "{column}" TYPE {kind}' + (f" USING {using}" if using else ""))


def _named(exc: pytest.ExceptionInfo[DataError], column: str, held: str) -> None:
    e = exc.value
    assert (e.class_name, e.field) == ("Item", column)
    assert f"its column {column} holds {held}, where querylang makes TIMESTAMP" in str(e)
    assert f'ALTER TABLE "Item" ALTER "{column}" TYPE TIMESTAMP' in str(e)


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
@pytest.mark.parametrize("limit", [3, 100])  # row by row, and the page's dates formatted at once
def test_a_query_names_an_altered_date_column(column: str, kind: str, using: str | None, held: str, limit: int) -> None:
    db = _db()
    _alter(db, column, kind, using)
    with pytest.raises(DataError) as exc:
        db.query("Item", None, sort=["n"], limit=limit, skip=1)
    _named(exc, column, held)


def test_a_page_with_the_field_null_on_its_first_rows_is_still_checked() -> None:
    db = _db()
    _alter(db, "due", "VARCHAR", f'strftime("due", {MS})')
    db.store.con.execute("UPDATE \"Item\" SET due = NULL WHERE n < 90")
    with pytest.raises(DataError) as exc:
        db.query("Item", None, sort=["n"], limit=100)
    _named(exc, "due", "text (VARCHAR)")
    assert len(db.query("Item", None, sort=["n"], limit=80).records) == 80  # a page of NULLs alone has nothing to name


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_the_reference_read_names_an_altered_date_column(column: str, kind: str, using: str | None, held: str) -> None:
    db = _db(5)
    _alter(db, column, kind, using)
    with pytest.raises(DataError) as exc:
        db.store.dataset()
    _named(exc, column, held)


def test_unaltered_dates_read_as_before() -> None:
    db = _db()
    recs = db.query("Item", None, sort=["n"], limit=100).records
    assert recs[1]["createdAt"] == "2024-02-01T00:00:01.001Z" and recs[1]["due"] == "2025-01-01T00:00:00.001Z"
    assert "due" not in recs[0]
    assert db.query("Item", None, sort=["n"], limit=3).records == recs[:3]


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_an_update_names_an_altered_date_column(column: str, kind: str, using: str | None, held: str) -> None:
    # update reads the record in its transaction (the writer's read back): named there too.
    db = _db(5)
    _alter(db, column, kind, using)
    with pytest.raises(DataError) as exc:
        db.update("Item", "i001", lambda rec: querylang.Change(fields={"n": 7}))
    _named(exc, column, held)


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_a_stream_names_an_altered_date_column(column: str, kind: str, using: str | None, held: str) -> None:
    db = _db(20)
    _alter(db, column, kind, using)
    with pytest.raises(DataError) as exc:
        list(db.stream("Item", None, sort=["n"], batch=4))
    _named(exc, column, held)


def test_a_stream_reads_unaltered_dates_as_a_query_does() -> None:
    db = _db(20)
    assert list(db.stream("Item", None, sort=["n"], batch=3)) == db.query("Item", None, sort=["n"], limit=20).records


# --- writes, filters, summaries and loads meet the altered column too ------------------------

DATE = {"__type": "Date", "iso": "2026-01-01T10:11:12.345Z"}


def _raw(db: Any, column: str) -> list[Any]:
    return db.store.con.execute(f'SELECT "objectId", "{column}" FROM "Item" ORDER BY "objectId"').fetchall()


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_a_create_names_an_altered_date_column_and_writes_nothing(column: str, kind: str, using: str | None, held: str) -> None:
    # DuckDB cast the date into the column: '2026-01-01 10:11:12.345' in a VARCHAR, the day
    # alone in a DATE; the create answered an objectId.
    db = _db(5)
    _alter(db, column, kind, using)
    before = _raw(db, column)
    with pytest.raises(DataError) as exc:
        db.create("Item", {"n": 99, "due": DATE})
    _named(exc, column, held)
    assert _raw(db, column) == before


@pytest.mark.parametrize(("column", "kind", "using", "held"), [a for a in ALTERED if a[0] == "due"])
def test_a_save_or_update_into_an_altered_date_column_is_named_and_changes_nothing(
    column: str, kind: str, using: str | None, held: str
) -> None:
    # i000's due is NULL: its read back had nothing to name, and the date was written.
    db = _db(5)
    _alter(db, column, kind, using)
    before = _raw(db, column)
    with pytest.raises(DataError) as exc:
        db.save("Item", "i000", {"due": DATE})
    _named(exc, column, held)
    with pytest.raises(DataError) as exc:
        db.update("Item", "i000", lambda rec: querylang.Change(fields={"due": DATE}))
    _named(exc, column, held)
    assert _raw(db, column) == before
    db.increment("Item", "i000", {"n": 1})  # writes no Date cell but updatedAt: as before


@pytest.mark.parametrize("column", ["due", "createdAt"])
def test_a_filter_on_a_text_date_column_names_it(column: str) -> None:
    # DuckDB's "Cannot compare values of type VARCHAR and type TIMESTAMP" named no field
    # (an EngineError), even where no Date cell is read back (select, count).
    db = _db(5)
    _alter(db, column, "VARCHAR", None)
    where = {column: {"greaterThan": DATE}}
    for call in (lambda: db.query("Item", where, select="n"), lambda: db.count("Item", where),
                 lambda: list(db.stream("Item", where, select="n")),
                 lambda: db.find("Item", {column: {"$gt": DATE}}, keys="n")):
        with pytest.raises(DataError) as exc:
            call()
        _named(exc, column, "text (VARCHAR)")


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_a_distinct_or_aggregate_of_an_altered_date_column_names_it(column: str, kind: str, using: str | None, held: str) -> None:
    # They answered DuckDB's own text ('2025-01-01 00:00:00.001'), Python dates, or aware
    # dates relabelled UTC whatever the session's time zone.
    db = _db(5)
    _alter(db, column, kind, using)
    for call in (lambda: db.distinct("Item", column), lambda: db.aggregate("Item", {"Last": {"max": column}}),
                 lambda: db.aggregate("Item", {"N": {"sum": "n"}, "First": {"min": column}})):
        with pytest.raises(DataError) as exc:
            call()
        _named(exc, column, held)


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_a_load_into_an_altered_date_column_is_named_and_loads_nothing(column: str, kind: str, using: str | None, held: str) -> None:
    db = _db(5)
    _alter(db, column, kind, using)
    before = _raw(db, column)
    with pytest.raises(DataError) as exc:
        db.load({"records": {"Item": [{"objectId": "new1", "n": 1000, "due": DATE}]}})
    _named(exc, column, held)
    assert "load failed, nothing was loaded" in str(exc.value)
    assert _raw(db, column) == before


def test_an_unaltered_date_is_written_and_summed_up_as_before() -> None:
    db = _db(5)
    oid = db.create("Item", {"n": 99, "due": DATE})
    db.save("Item", "i000", {"due": DATE})
    db.load({"records": {"Item": [{"objectId": "new1", "n": 1000, "due": DATE}]}})
    assert db.query("Item", {"objectId": oid}).records[0]["due"] == DATE["iso"]
    assert db.distinct("Item", "due")[-1] == DATE["iso"] == db.aggregate("Item", {"m": {"max": "due"}})["m"]
    assert db.count("Item", {"due": {"greaterThan": {"__type": "Date", "iso": "2025-06-01T00:00:00.000Z"}}}) == 3


def test_a_stream_decodes_each_batch_as_a_page() -> None:
    # Each batch checked once, as a query's page: a Date field NULL in every record was looked
    # at in every row of the stream (1.7x the decoding of a stream of 100 rows).
    db = _db(20)
    pages: list[int] = []
    page_decoder = db.store.page_decoder

    def counted(cls: Any, columns: Any) -> Any:
        decode = page_decoder(cls, columns)
        return lambda rows: pages.append(len(rows)) or decode(rows)

    db.store.page_decoder = counted
    streamed = list(db.stream("Item", None, sort=["n"], batch=8))
    assert pages == [8, 8, 4]
    db.store.page_decoder = page_decoder
    assert streamed == db.query("Item", None, sort=["n"], limit=20).records


@pytest.mark.parametrize("kind", ["TIMESTAMP_MS", "TIMESTAMP_NS"])
def test_a_date_column_of_another_precision_that_keeps_milliseconds_is_written_as_read(kind: str) -> None:
    # Its cells read back as naive datetimes, so the reads take it: the writes must too.
    db = _db(5)
    _alter(db, "due", kind, None)
    oid = db.create("Item", {"n": 99, "due": DATE})
    db.save("Item", "i000", {"due": DATE})
    db.load({"records": {"Item": [{"objectId": "new1", "n": 1000, "due": DATE}]}})
    got = db.query("Item", {"objectId": {"containedIn": [oid, "i000", "new1"]}}).records
    assert [r["due"] for r in got] == [DATE["iso"]] * 3


def test_a_date_column_of_seconds_is_named_by_a_write() -> None:
    # TIMESTAMP_S would drop the date's milliseconds.
    db = _db(5)
    _alter(db, "due", "TIMESTAMP_S", None)
    with pytest.raises(DataError) as exc:
        db.create("Item", {"n": 99, "due": DATE})
    _named(exc, "due", "TIMESTAMP_S values")


def test_a_stream_whose_first_batches_hold_no_date_names_a_later_one() -> None:
    db = _db(20)
    _alter(db, "due", "VARCHAR", f'strftime("due", {MS})')
    db.store.con.execute('UPDATE "Item" SET due = NULL WHERE n < 12')
    got = []
    with pytest.raises(DataError) as exc:
        for rec in db.stream("Item", None, sort=["n"], batch=4):
            got.append(rec["n"])
    _named(exc, "due", "text (VARCHAR)")
    assert got == list(range(12))  # the batches of NULLs alone had nothing to name


def test_a_load_with_no_date_for_an_altered_column_loads_as_a_create_writes() -> None:
    # Nothing would be cast into the column: the load was refused all the same.
    db = _db(5)
    _alter(db, "due", "VARCHAR", None)
    assert db.load({"records": {"Item": [{"objectId": "new1", "n": 1000}]}}) == {"Item": 1}
    db.create("Item", {"n": 1001})
    assert db.count("Item") == 7


def _failure(call: Any, db: Any) -> BaseException:
    try:
        call(db)
    except Exception as exc:  # the error itself is compared
        return exc
    raise AssertionError("the call did not fail")


def test_a_filter_failing_on_another_altered_column_keeps_its_own_error() -> None:
    # A Number column made VARCHAR fails a filter on it ("Cannot compare values of type VARCHAR
    # and type INTEGER"): a Date column altered to DATE, which that filter does not read and
    # which fails no filter, was named instead, sending the user to the wrong column.
    alone = _db(5)
    _alter(alone, "n", "VARCHAR", None)
    both = _db(5)
    _alter(both, "n", "VARCHAR", None)
    _alter(both, "due", "DATE", None)
    where = {"n": {"greaterThan": 0}}
    for run in (lambda db: db.count("Item", where), lambda db: db.query("Item", where, select="n"),
                lambda db: list(db.stream("Item", where, select="n"))):
        own, got = _failure(run, alone), _failure(run, both)
        assert (type(got), str(got)) == (type(own), str(own))
        assert "type VARCHAR and type INTEGER" in str(got)


def test_a_filter_on_a_text_date_column_names_it_not_another_altered_date_column() -> None:
    # createdAt made DATE fails no filter; the text due is what DuckDB could not compare.
    db = _db(5)
    _alter(db, "createdAt", "DATE", None)
    _alter(db, "due", "VARCHAR", None)
    with pytest.raises(DataError) as exc:
        db.count("Item", {"due": {"greaterThan": DATE}})
    _named(exc, "due", "text (VARCHAR)")


def test_a_cast_failing_on_another_altered_column_keeps_its_own_error() -> None:
    # A Number column made VARCHAR holding a text DuckDB cannot cast to the filter's number
    # ("Could not convert string 'many' ... when casting from source column n").
    alone = _db(5)
    _alter(alone, "n", "VARCHAR", None)
    alone.store.con.execute("""UPDATE "Item" SET n = 'many' WHERE "objectId" = 'i001'""")
    both = _db(5)
    _alter(both, "n", "VARCHAR", None)
    both.store.con.execute("""UPDATE "Item" SET n = 'many' WHERE "objectId" = 'i001'""")
    _alter(both, "due", "VARCHAR", None)
    where = {"n": {"equalTo": 2}}
    own, got = _failure(lambda db: db.count("Item", where), alone), _failure(lambda db: db.count("Item", where), both)
    assert (type(got), str(got)) == (type(own), str(own))
    assert "source column n" in str(got)


def test_a_text_date_column_duckdb_cannot_cast_is_named_by_an_equality_filter() -> None:
    # DuckDB casts the column's text to compare it with the date: a text it cannot read fails.
    db = _db(5)
    _alter(db, "due", "VARCHAR", None)
    db.store.con.execute("""UPDATE "Item" SET due = 'soon' WHERE "objectId" = 'i001'""")
    with pytest.raises(DataError) as exc:
        db.count("Item", {"due": {"equalTo": DATE}})
    _named(exc, "due", "text (VARCHAR)")


# --- a record whose altered Date cell is set: the writes that show no stored value -----------

ALTERED_FIELD = [a for a in ALTERED if a[0] == "due"]


def _with_edges(n: int = 5) -> Any:
    db = _db(n)
    db.define_class("Item", {"next": {"type": "Relation", "targetClass": "Item"}})
    db.add_relation("Item", "i002", "next", "i001")
    return db


def _row(db: Any, oid: str) -> tuple[Any, ...]:
    return db.store.con.execute('SELECT "due", "n", "updatedAt" FROM "Item" WHERE "objectId" = ?', [oid]).fetchone()


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED_FIELD)
def test_a_save_increment_or_edge_edit_of_other_fields_leaves_an_altered_date_cell_as_it_is(
    column: str, kind: str, using: str | None, held: str
) -> None:
    # i001's due is set: its write's read of the record named the column, so none of the
    # record's other fields could be written.
    db = _with_edges()
    _alter(db, column, kind, using)
    due, _, moved = _row(db, "i001")
    assert due is not None
    db.save("Item", "i001", {"n": 50})
    db.increment("Item", "i001", {"n": 2})
    db.add_relation("Item", "i001", "next", "i003")
    db.remove_relation("Item", "i001", "next", "i003")
    after = _row(db, "i001")
    assert after[:2] == (due, 52) and after[2] > moved
    with pytest.raises(DataError) as exc:  # the record itself is read as before
        db.query("Item", {"objectId": "i001"})
    _named(exc, column, held)


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED_FIELD)
def test_a_save_of_null_mends_the_record_and_a_date_is_still_refused(
    column: str, kind: str, using: str | None, held: str
) -> None:
    db = _db(5)
    _alter(db, column, kind, using)
    with pytest.raises(DataError) as exc:
        db.save("Item", "i001", {"due": DATE})
    _named(exc, column, held)
    assert _row(db, "i001")[0] is not None  # nothing written
    db.save("Item", "i001", {"due": None})
    assert _row(db, "i001")[0] is None
    assert db.query("Item", {"objectId": "i001"}).records[0]["due"] is None  # read, an explicit null
    written = db.update("Item", "i001", lambda rec: querylang.Change(fields={"n": rec["n"] + 1}))
    assert (written["n"], written["due"]) == (2, None)


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED)
def test_a_record_is_deleted_whatever_an_altered_date_column_holds(column: str, kind: str, using: str | None, held: str) -> None:
    db = _with_edges()
    _alter(db, column, kind, using)
    db.delete("Item", "i001")
    assert db.store.con.execute('SELECT count(*) FROM "Item" WHERE "objectId" = \'i001\'').fetchone() == (0,)
    assert db.store.con.execute('SELECT count(*) FROM "_join:next:Item"').fetchone() == (0,)  # its edges too
    with pytest.raises(DataError) as exc:
        db.delete("Item", "i001")
    assert (exc.value.code, exc.value.reason) == (101, "Object not found.")


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED_FIELD)
def test_an_update_or_a_checked_delete_shows_the_record_and_names_the_column(
    column: str, kind: str, using: str | None, held: str
) -> None:
    # Their function gets the record as find gives it: without the field it would take the
    # date for absent, so the column is named before it is called, and nothing is changed.
    db = _db(5)
    _alter(db, column, kind, using)
    before = _row(db, "i001")
    called = []
    with pytest.raises(DataError) as exc:
        db.update("Item", "i001", lambda rec: called.append(rec) or querylang.Change(fields={"due": None}))
    _named(exc, column, held)
    with pytest.raises(DataError) as exc:
        db.delete("Item", "i001", check=called.append)
    _named(exc, column, held)
    assert called == [] and _row(db, "i001") == before


# --- a column dropped by hand --------------------------------------------------------------


def _drop(db: Any, column: str) -> None:
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'Item'").fetchall():
        con.execute(f'DROP INDEX "{index}"')  # DuckDB alters no table that has an index
    con.execute(f'ALTER TABLE "Item" DROP COLUMN "{column}"')


DROPPED = ('its column due is not in the table "Item": it was dropped outside querylang; add it back '
           '(ALTER TABLE "Item" ADD COLUMN "due" TIMESTAMP)')


@pytest.mark.parametrize("fields", [{"n": 99, "due": DATE}, {"n": 99}])
def test_a_create_into_a_class_whose_date_column_was_dropped_names_it(fields: dict[str, Any]) -> None:
    # DuckDB's Binder Error quoted querylang's own SELECT (or INSERT) of the column.
    db = _db(5)
    _drop(db, "due")
    with pytest.raises(DataError) as exc:
        db.create("Item", fields)
    e = exc.value
    assert (e.class_name, e.field, e.code) == ("Item", "due", 1)
    assert e.reason == f"write failed, nothing was changed: {DROPPED}, its records then hold no value there"
    assert "SELECT" not in str(e)
    assert db.store.con.execute('SELECT count(*) FROM "Item"').fetchone() == (5,)
    db.store.con.execute('ALTER TABLE "Item" ADD COLUMN "due" TIMESTAMP')  # as it says
    oid = db.create("Item", fields)
    assert db.query("Item", {"objectId": oid}).records[0].get("due") == fields.get("due", {}).get("iso")


def test_a_save_query_or_load_of_a_class_whose_column_was_dropped_names_it() -> None:
    db = _db(5)
    _drop(db, "due")
    for call, failed in ((lambda: db.save("Item", "i001", {"n": 3}), "write failed, nothing was changed"),
                         (lambda: db.query("Item", None), "the database rejected the query"),
                         (lambda: db.load({"records": {"Item": [{"n": 1}]}}), "load failed, nothing was loaded")):
        with pytest.raises(DataError) as exc:
            call()
        assert (exc.value.class_name, exc.value.field) == ("Item", "due")
        assert exc.value.reason.startswith(f"{failed}: {DROPPED}")


def _words_db() -> Any:
    db = querylang.connect()
    db.load({"classes": {"Item": {"fields": {"title": {"type": "String"}, "n": {"type": "Number"}}}},
             "records": {"Item": [{"objectId": "a1", "title": "old words", "n": 1}]}})
    return db


@pytest.mark.parametrize("column", ["title:tx", "title:wx"])
def test_a_save_of_a_string_whose_word_column_was_dropped_names_it(column: str) -> None:
    # The save's read has no word column, so its UPDATE is the statement that fails, and
    # DuckDB words that one otherwise ("Referenced update column title:tx not found in
    # table!", unquoted): the save said DuckDB's Binder Error, of no field.
    db = _words_db()
    _drop(db, column)
    with pytest.raises(DataError) as exc:
        db.save("Item", "a1", {"title": "new words"})
    e = exc.value
    assert (e.class_name, e.field, e.code) == ("Item", "title", 1)
    assert e.reason.startswith(f'write failed, nothing was changed: its column {column} is not in the table "Item"')
    assert f'(ALTER TABLE "Item" ADD COLUMN "{column}" VARCHAR; UPDATE "Item" SET "title:tx" = NULL)' in e.reason
    assert "Binder" not in str(e)
    assert db.query("Item", None).records[0]["title"] == "old words"
    db.increment("Item", "a1", {"n": 1})  # a write that leaves the words alone still works


@pytest.mark.parametrize("first", ["search", "update"])
def test_the_words_a_load_left_to_compute_name_a_dropped_word_column(first: str) -> None:
    # The first text search, or any update, computes the words a load left pending: its
    # statement names the word column, and said DuckDB's Binder Error of no field.
    db = _words_db()
    assert db.store.pending_words == {("Item", "title")}
    _drop(db, "title:tx")
    with pytest.raises(DataError) as exc:
        if first == "search":
            db.query("Item", {"title": {"text": {"search": "old"}}})
        else:
            db.update("Item", "a1", lambda rec: querylang.Change(fields={"n": 2}))
    e = exc.value
    assert (e.class_name, e.field) == ("Item", "title")
    assert e.reason == ('computing the text-search words of Item.title failed: its column title:tx is not in the '
                        'table "Item": it was dropped outside querylang; add it back (ALTER TABLE "Item" ADD COLUMN '
                        '"title:tx" VARCHAR; UPDATE "Item" SET "title:tx" = NULL) and open the database again, which '
                        "computes the field's text-search words anew")
    db.store.con.execute('ALTER TABLE "Item" ADD COLUMN "title:tx" VARCHAR')  # as it says
    assert [r["objectId"] for r in db.query("Item", {"title": {"text": {"search": "old"}}}).records] == ["a1"]


def test_a_write_names_the_class_it_writes_when_another_lacks_the_column_too() -> None:
    # Each class's table lacks its "due": the save of a B record named class A, the first
    # class whose table lacks a column of that name.
    db = querylang.connect()
    db.load({"classes": {c: {"fields": {"due": {"type": "Date"}}} for c in ("A", "B")},
             "records": {c: [{"objectId": "x1"}] for c in ("A", "B")}})
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall():
        con.execute(f'DROP INDEX "{index}"')
    for c in ("A", "B"):
        con.execute(f'ALTER TABLE "{c}" DROP COLUMN "due"')
    for write in (lambda: db.save("B", "x1", {"due": None}), lambda: db.create("B", {"due": DATE}),
                  lambda: db.delete("B", "x1", check=lambda rec: None)):
        with pytest.raises(DataError) as exc:
            write()
        assert (exc.value.class_name, exc.value.field) == ("B", "due")
        assert 'ALTER TABLE "B" ADD COLUMN "due" TIMESTAMP' in exc.value.reason


@pytest.mark.parametrize("column", ["title:tx", "title:fx"])
def test_a_dropped_word_column_put_back_as_said_finds_the_records_again(column: str, tmp_path: Any) -> None:
    # Added back empty, the column left the words of every stored text missing: "title:fx"
    # for good (a case- or diacritic-sensitive search found none of them, reopened too).
    path = tmp_path / "x.duckdb"
    db = querylang.connect(path)
    db.load({"classes": {"Item": {"fields": {"title": {"type": "String"}}}},
             "records": {"Item": [{"objectId": "a1", "title": "Café Running"}]}})
    db.close()  # the words computed
    db = querylang.connect(path)
    _drop(db, column)
    with pytest.raises(DataError) as exc:
        db.create("Item", {"title": "other"})
    said = exc.value.reason
    assert said.endswith("and open the database again, which computes the field's text-search words anew")
    for statement in said[said.index("add it back (") + len("add it back ("): said.index(") and open")].split("; "):
        db.store.con.execute(statement)
    db.close()
    db = querylang.connect(path)
    for term in ("run", {"term": "Café", "caseSensitive": True}, {"term": "café", "diacriticSensitive": True}):
        assert [r["objectId"] for r in db.query("Item", {"title": {"text": {"search": term}}}).records] == ["a1"], term
    db.close()


def test_a_column_renamed_by_hand_is_told_to_be_renamed_back() -> None:
    # "add it back" alone would have made an empty column beside the one holding the dates.
    db = _db(5)
    con = db.store.con
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'Item'").fetchall():
        con.execute(f'DROP INDEX "{index}"')
    con.execute('ALTER TABLE "Item" RENAME COLUMN "due" TO "due_old"')
    for call in (lambda: db.save("Item", "i001", {"n": 3}), lambda: db.query("Item", None)):
        with pytest.raises(DataError) as exc:
            call()
        e = exc.value
        assert (e.class_name, e.field) == ("Item", "due")
        assert ('its column due is not in the table "Item", which holds a column due_old of no field: '
                'if due was renamed, rename it back (ALTER TABLE "Item" RENAME COLUMN "due_old" TO "due")') in e.reason
    con.execute('ALTER TABLE "Item" RENAME COLUMN "due_old" TO "due"')  # as it says
    assert db.query("Item", {"objectId": "i001"}).records[0]["due"] == "2025-01-01T00:00:00.001Z"


# --- how a load's failure is said ------------------------------------------------------------


def test_a_load_into_an_altered_date_column_says_load_failed_in_its_reason_too() -> None:
    # Its reason (which an import words as its own) lacked the "load failed" its message had,
    # and the message put it before the class and field, as no other load failure does.
    db = _db(5)
    _alter(db, "due", "VARCHAR", None)
    with pytest.raises(DataError) as exc:
        db.load({"records": {"Item": [{"objectId": "new1", "n": 1000, "due": DATE}]}})
    e = exc.value
    assert e.reason.startswith("load failed, nothing was loaded: its column due holds text (VARCHAR)")
    assert str(e) == f"class Item, field due: {e.reason}"


def test_the_cli_says_a_load_into_an_altered_date_column_as_the_api_does(tmp_path: Any) -> None:
    path, doc = tmp_path / "x.duckdb", tmp_path / "doc.json"
    db = querylang.connect(path)
    db.load({"classes": {"Item": {"fields": {"due": {"type": "Date"}}}}, "records": {"Item": [{"objectId": "a"}]}})
    _alter(db, "due", "VARCHAR", None)
    db.close()
    doc.write_text('{"records": {"Item": [{"objectId": "b", "due": {"__type": "Date", "iso": "2026-01-01T00:00:00.000Z"}}]}}')
    res = CliRunner().invoke(main, ["load", str(doc), "--db", str(path)])
    assert res.exit_code != 0
    assert "error: class Item, field due: load failed, nothing was loaded: its column due holds text (VARCHAR)" in res.output


def test_an_import_into_an_altered_date_column_says_import_failed(tmp_path: Any) -> None:
    # An import words its one load's failure as its own: it said "load failed, nothing was
    # loaded" of a load the user never asked for.
    path, export = tmp_path / "x.duckdb", tmp_path / "Item.json"
    db = querylang.connect(path)
    db.load({"classes": {"Item": {"fields": {"due": {"type": "Date"}}}}, "records": {"Item": [{"objectId": "a"}]}})
    _alter(db, "due", "VARCHAR", None)
    db.close()
    export.write_text('{"results": [{"objectId": "b", "createdAt": "2024-01-01T00:00:00.000Z", '
                      '"updatedAt": "2024-01-01T00:00:00.000Z", "due": {"__type": "Date", "iso": "2026-01-01T00:00:00.000Z"}}]}')
    res = CliRunner().invoke(main, ["import", "dashboard", str(export), "--db", str(path)])
    assert res.exit_code != 0
    assert ("error: class Item, field due: import failed, nothing was imported: its column due holds text (VARCHAR)"
            in res.output)
    assert "load failed" not in res.output


# --- the store's row decoder -----------------------------------------------------------------


@pytest.mark.parametrize("altered", [None, *ALTERED])
def test_the_row_decoder_answers_as_the_page_decoder(altered: tuple[str, str, str | None, str] | None) -> None:
    # One decoding path: Store.decoder is a page of one row of the queries' page decoder.
    db = _db(60)
    db.store.con.execute("""UPDATE "Item" SET ":nulls" = ['due'] WHERE "objectId" = 'i000'""")  # an explicit null
    if altered is not None:
        _alter(db, *altered[:3])
    cls = db.store.schema.get("Item")
    columns = db.store.dialect.layout.output_columns(cls)
    collist = ", ".join(quote_ident(c) for c in columns)
    rows = db.store.con.execute(f'SELECT {collist} FROM "Item" ORDER BY "objectId"').fetchall()
    one, page = db.store.decoder(cls, columns), db.store.page_decoder(cls, columns)
    if altered is None:
        assert [one(r) for r in rows] == page(rows) == db.query("Item", None, sort=["objectId"], limit=60).records
        assert "due" in page(rows)[0] and page(rows)[0]["due"] is None
        return
    first = next(r for r in rows if r[columns.index(altered[0])] is not None)
    with pytest.raises(DataError) as by_row:
        one(first)
    with pytest.raises(DataError) as by_page:
        page(rows)
    assert str(by_row.value) == str(by_page.value)
    _named(by_row, altered[0], altered[3])


@pytest.mark.parametrize(("column", "kind", "using", "held"), ALTERED_FIELD)
def test_an_update_or_checked_delete_that_says_what_it_reads_leaves_an_altered_date_alone(
    column: str, kind: str, using: str | None, held: str
) -> None:
    # serve's update and ACL-checked delete read a record's ACL and the fields of its
    # Increments alone: reads= gives those, as a save's read of the record does.
    db = _db(5)
    _alter(db, column, kind, using)
    due = _row(db, "i001")[0]
    got: list[dict[str, Any]] = []
    written = db.update("Item", "i001", lambda rec: got.append(rec) or querylang.Change(fields={"n": rec["n"] + 5}),
                        reads=["n"])
    assert got == [{"objectId": "i001", "n": 1}] and _row(db, "i001")[:2] == (due, 6)
    assert set(written) == {"objectId", "createdAt", "updatedAt", "n"} and written["n"] == 6
    with pytest.raises(DataError) as exc:  # a change that reads the column still has it named
        db.update("Item", "i001", lambda rec: querylang.Change(fields={"n": 0}), reads=["n", column])
    _named(exc, column, held)
    with pytest.raises(DataError, match="update's reads must be a list of field names, not string"):
        db.update("Item", "i001", lambda rec: querylang.Change(), reads="n")
    db.delete("Item", "i001", check=got.append, reads=[])
    assert got[-1] == {"objectId": "i001"} and db.count("Item", {"objectId": "i001"}) == 0

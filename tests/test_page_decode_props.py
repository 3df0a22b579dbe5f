"""page_decoder against the row decoder on generated classes and rows (engines/duckdb/decode):
a page decoded at once is the very list of records, key order included, that its rows give
one by one, whatever the class's fields, the select's narrowing, the dates and the page size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from querylang.engines.duckdb import decode as decode_module
from querylang.engines.duckdb.decode import PAGE_DATES, make_decoder, page_decoder
from querylang.engines.duckdb.dialect import DUCKDB
from querylang.engines.duckdb.layout import NULLS_COLUMN
from querylang.engines.sql.compiler import narrowed_class
from querylang.errors import DataError
from querylang.model.schema import ClassDef, Schema

from .conftest import pg_examples

TYPES = ["Date", "Date", "String", "Number", "Boolean", "Array", "Object", "GeoPoint", "Pointer", "File", "Bytes"]

# Dates as DuckDB's TIMESTAMP gives them (naive UTC): any microsecond, stored to the
# millisecond as Parse's are, on the second, and the ends of a datetime's range.
ANY_DATE = st.datetimes()
MS_DATE = st.datetimes().map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
SECOND_DATE = st.datetimes().map(lambda d: d.replace(microsecond=0))
ODD_DATE = st.sampled_from([
    datetime.min, datetime.max, datetime(1, 1, 1, 0, 0, 0, 1000), datetime(999, 12, 31, 23, 59, 59, 999999),
    datetime(1969, 12, 31, 23, 59, 59, 999000), datetime(1970, 1, 1), datetime(2000, 1, 1, 0, 0, 0, 100000),
    datetime(2000, 1, 1, 0, 0, 0, 1000), datetime(2000, 1, 1, 0, 0, 0, 999), datetime(2000, 1, 1, 0, 0, 0, 10000),
])  # fmt: skip
DATE = st.one_of(ANY_DATE, MS_DATE, SECOND_DATE, ODD_DATE)
TEXT = st.text(alphabet=st.sampled_from('a0Z"\\:.-Té✓\u0000'), max_size=30)


@st.composite
def classes(draw: st.DrawFn) -> ClassDef:
    kinds = draw(st.lists(st.sampled_from(TYPES), max_size=8))
    fields: dict[str, Any] = {}
    for k, t in enumerate(kinds):
        fields[f"f{k}"] = {"type": t, "targetClass": "C"} if t == "Pointer" else {"type": t}
    cls = Schema.from_json({"C": {"fields": fields}}).get("C")
    if draw(st.booleans()):  # a select that keeps some of the fields (or none)
        cls = narrowed_class(cls, frozenset(draw(st.lists(st.sampled_from(sorted(fields) or ["x"]), max_size=3))))
    return cls


def _cell(draw: st.DrawFn, column: str, cls: ClassDef) -> Any:
    name, _, part = column.partition(":")
    if column == NULLS_COLUMN:
        return draw(st.none() | st.lists(st.sampled_from([f.name for f in cls.user_fields] or ["x"]), max_size=2))
    if column == "objectId":
        return draw(TEXT)
    if column in ("createdAt", "updatedAt"):
        return draw(DATE)
    t = cls.fields[name].type
    if draw(st.integers(0, 3)) == 0 and not part:
        return None
    if t == "Date":
        return draw(DATE)
    if t == "GeoPoint":
        return draw(st.floats(-90, 90))
    if t == "File":
        return draw(st.none() | TEXT) if part else draw(TEXT)
    if t == "Number":
        return draw(st.floats(allow_nan=False))
    if t == "Boolean":
        return draw(st.booleans())
    if t in ("Array", "Object"):
        return draw(st.sampled_from(['[]', '{}', '{"a": "000Z"}', '["2024-01-01T00:00:00.000Z"]', '[1e400]']))
    return draw(TEXT)


@st.composite
def pages(draw: st.DrawFn) -> tuple[ClassDef, list[str], list[tuple[Any, ...]]]:
    cls = draw(classes())
    columns, _ = DUCKDB.select_list(cls)
    dates = 2 + sum(f.type == "Date" for f in cls.user_fields)
    many = PAGE_DATES // (dates - 1)
    n = draw(st.one_of(st.integers(0, 3), st.integers(many - 1, many + 1), st.integers(many, 3 * many)))
    rows = []
    for _ in range(n):
        row = [_cell(draw, c, cls) for c in columns]
        if draw(st.booleans()):  # a record never changed: updatedAt is createdAt
            row[columns.index("updatedAt")] = row[columns.index("createdAt")]
        rows.append(tuple(row))
    return cls, list(columns), rows


def _outcome(decode: Any) -> Any:
    try:
        return [list(r.items()) for r in decode()]  # the same keys in the same order, and values
    except Exception as e:  # noqa: BLE001 - the same error either way is part of the property
        return type(e)


# Each example makes two decoders (generated code): a quarter of the profile's examples.
@settings(max_examples=pg_examples())
@given(pages())
def test_a_page_is_its_rows_decoded_one_by_one(page: tuple[ClassDef, list[str], list[tuple[Any, ...]]]) -> None:
    cls, columns, rows = page
    one = make_decoder(cls, columns)
    assert _outcome(lambda: page_decoder(cls, columns)(rows)) == _outcome(lambda: [one(r) for r in rows])


@settings(max_examples=pg_examples())
@given(pages(), st.integers(1, 50))
def test_a_page_in_slices_is_its_rows_decoded_one_by_one(page: tuple[ClassDef, list[str], list[tuple[Any, ...]]], size: int) -> None:
    # A large page's dates are formatted a slice of PAGE_ROWS rows at a time (a last slice
    # shorter, perhaps too short to format at once): here slices of a few rows.
    cls, columns, rows = page
    one = make_decoder(cls, columns)
    with mock.patch.object(decode_module, "PAGE_ROWS", size):
        got = _outcome(lambda: page_decoder(cls, columns)(rows))
    assert got == _outcome(lambda: [one(r) for r in rows])


@given(st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-10))]), st.sampled_from([1, 3 * PAGE_DATES]))
def test_a_page_of_aware_dates_is_named_whatever_its_size(tz: timezone, n: int) -> None:
    # A TIMESTAMP WITH TIME ZONE column (a file whose table was altered by hand) gives aware
    # datetimes: named (decode.date_check), row by row as at once; they came out '...+00:00Z'.
    cls = Schema.from_json({"C": {"fields": {"d": {"type": "Date"}}}}).get("C")
    columns = ["objectId", "createdAt", "updatedAt", "d", NULLS_COLUMN]
    at = datetime(2024, 3, 1, 12, 0, 0, 123000)
    rows = [(f"o{k}", at, at, (at + timedelta(milliseconds=k)).replace(tzinfo=tz), None) for k in range(n)]
    with pytest.raises(DataError) as exc:
        page_decoder(cls, columns)(rows)
    assert (exc.value.class_name, exc.value.field) == ("C", "d")
    assert "holds dates with a time zone (TIMESTAMP WITH TIME ZONE)" in str(exc.value)


def test_a_timestamp_with_time_zone_column_is_named_in_any_page(tmp_path: Any) -> None:
    # End to end: the same error for a page of 3 and one of 100 (they read '...+00:00Z').
    import duckdb

    import querylang

    path = str(tmp_path / "tz.duckdb")
    recs = [{"objectId": f"o{k:03}", "createdAt": f"2024-01-01T00:00:00.{k:03}Z",
             "d": {"__type": "Date", "iso": f"2024-01-01T00:00:{k % 60:02}.123Z"}} for k in range(100)]  # fmt: skip
    db = querylang.connect(path)
    db.load({"classes": {"T": {"fields": {"d": {"type": "Date"}}}}, "records": {"T": recs}})
    db.close()
    con = duckdb.connect(path)
    for (index,) in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'T'").fetchall():
        con.execute(f'DROP INDEX "{index}"')  # an index on the table forbids altering its columns
    con.execute('ALTER TABLE "T" ALTER d TYPE TIMESTAMP WITH TIME ZONE')
    con.close()
    db = querylang.connect(path)
    try:
        errors = []
        for limit in (3, 100):
            with pytest.raises(DataError) as exc:
                db.query("T", None, sort=["objectId"], limit=limit)
            errors.append(str(exc.value))
    finally:
        db.close()
    assert errors[0] == errors[1] and (exc.value.class_name, exc.value.field) == ("T", "d")


def test_a_large_result_is_decoded_without_holding_all_its_dates_twice() -> None:
    # The dates of a page are dumped and read back a slice of rows at a time: decoding 30,000
    # rows holds little beyond the records made (all its dates at once held about twice more).
    import tracemalloc

    cls = Schema.from_json({"C": {"fields": {"d": {"type": "Date"}}}}).get("C")
    columns = ["objectId", "createdAt", "updatedAt", "d", NULLS_COLUMN]
    at = datetime(2024, 3, 1, 12, 0, 0, 123000)
    rows = [(f"o{k}", at + timedelta(milliseconds=k), at + timedelta(seconds=k), at - timedelta(milliseconds=k), None)
            for k in range(30_000)]  # fmt: skip
    decode = page_decoder(cls, columns)
    tracemalloc.start()
    try:
        records = decode(rows)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(records) == len(rows) and records[-1]["d"] == "2024-03-01T11:59:30.124Z"
    assert peak < 1.25 * kept, (peak, kept)

"""Dates at their edges: offsets, years near 1 and 9999 and beyond, the script's Dates in every
place a filter or its translations show them (docs/semantics.md#dates)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryTypeError
from querylang.model.jsvalues import JSDate
from querylang.model.values import parse_iso
from querylang.script import date_text, dates

DOC = {
    "classes": {"Ev": {"fields": {"d": {"type": "Date"}, "s": {"type": "String"}, "a": {"type": "Array"}}}},
    "records": {"Ev": [{"objectId": "a", "d": "2024-01-01T00:00:00.000Z", "s": "x"}]},
}


@pytest.fixture(scope="module")
def db():
    with querylang.connect() as d:
        d.load(DOC)
        yield d


# --- ISO strings: an offset is ±HH:MM with HH ≤ 23 and MM ≤ 59, as JavaScript reads it ----------


@pytest.mark.parametrize("text", [
    "2024-01-01T00:00+99:99", "2024-01-01T00:00+24:00", "2024-01-01T00:00-00:60", "2024-01-01T00:00+0099",
])
def test_an_offset_out_of_range_is_no_date(text: str) -> None:
    """JavaScript's Date.parse gives NaN for these; they were read as dates shifted by up to
    four days, in filters and in loaded records alike."""
    assert parse_iso(text) is None


def test_an_offset_out_of_range_on_a_date_field_is_an_error(db) -> None:
    with pytest.raises(QueryTypeError, match="cannot read"):
        db.query("Ev", {"d": {"lessThan": "2024-01-01T00:00+99:99"}})


def test_a_record_with_an_offset_out_of_range_is_refused() -> None:
    with querylang.connect() as d, pytest.raises(querylang.DataError):
        d.load({"classes": DOC["classes"], "records": {"Ev": [{"objectId": "a", "d": "2024-01-01T00:00+24:00"}]}})


def test_the_largest_offsets_are_dates() -> None:
    assert parse_iso("2024-01-01T00:00+23:59").isoformat() == "2023-12-31T00:01:00+00:00"
    assert parse_iso("2024-01-01T00:00-2359").isoformat() == "2024-01-01T23:59:00+00:00"


# --- script Dates outside years 1-9999: valid in JavaScript, no date a record can hold ------------


@pytest.mark.parametrize(("expr", "iso"), [
    ("new Date(-1, 0)", "-000001-01-01T00:00:00.000Z"),
    ("new Date(8.64e15)", "+275760-09-13T00:00:00.000Z"),
    ("new Date(-8.64e15)", "-271821-04-20T00:00:00.000Z"),
    ("new Date('0000-01-01T00:00:00Z')", "0000-01-01T00:00:00.000Z"),
    ("new Date(253402300800000)", "+010000-01-01T00:00:00.000Z"),
])
def test_to_parse_where_writes_far_dates_as_javascript_does(expr: str, iso: str) -> None:
    """Noodl sends ``toISOString()`` of the Date; the translation raised OverflowError."""
    where = querylang.to_parse_where(f"where({{ d: {{ greaterThan: {expr} }} }})")
    assert where == {"d": {"$gt": {"__type": "Date", "iso": iso}}}


def test_a_far_date_on_a_string_field_says_what_is_wrong_and_where(db) -> None:
    """The type mismatch is the error, with its place (it was 'a number is out of range')."""
    with pytest.raises(QueryTypeError) as err:
        db.query("Ev", "where({s: {equalTo: new Date(-1, 0)}})")
    assert "line 1, column 12: 's' is a String; Date -000001-01-01T00:00:00.000Z can never match it" in str(err.value)


@pytest.mark.parametrize(("script", "shown"), [
    ("where({d: {equalTo: new Date(-1, 0)}})", "-000001-01-01T00:00:00.000Z"),
    ("where({d: {lessThan: new Date(8.64e15)}})", "+275760-09-13T00:00:00.000Z"),
    ("where({d: {greaterThan: 1e15}})", "+033658-09-27T01:46:40.000Z"),
    ("where({d: {containedIn: [new Date(-62135596800001)]}})", "0000-12-31T23:59:59.999Z"),
])
def test_a_far_date_on_a_date_field_is_an_error_with_its_place(db, script: str, shown: str) -> None:
    with pytest.raises(QueryTypeError) as err:
        db.query("Ev", script)
    assert f"line 1, column 12: 'd' is a Date: {shown} is outside years 1-9999" in str(err.value)
    assert err.value.code == 107


def test_a_far_date_inside_a_value_is_an_error_not_null(db) -> None:
    with pytest.raises(QueryTypeError, match=r"Date -000001-01-01T00:00:00.000Z is outside years 1-9999"):
        db.query("Ev", "where({a: {equalTo: [1, new Date(-1, 0)]}})")


def test_a_python_datetime_past_year_1_in_utc_inside_a_value_is_an_error_not_null() -> None:
    """Year 1 at +05:00 is before year 1 in UTC: it became null, and matched a [null] array."""
    from datetime import datetime, timedelta, timezone

    with querylang.connect() as d:
        d.load({"classes": DOC["classes"], "records": {"Ev": [{"objectId": "n", "a": [None]}]}})
        early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5)))
        for op in ("equalTo", "containedIn"):
            with pytest.raises(QueryTypeError, match="is outside years 1-9999 in UTC"):
                d.query("Ev", {"a": {op: [early]}})


# --- imports: a date whose offset moves it past year 1 or 9999 in UTC ------------------------------


@pytest.mark.parametrize("iso", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_mongo_export_date_past_the_years_names_its_file_and_line(tmp_path, iso: str) -> None:
    """It was 'internal error: OverflowError: date value out of range' from the import."""
    from click.testing import CliRunner

    from querylang.app.cli import main
    from tests.importers.mongo_files import write_export

    root = write_export(tmp_path / "dump")
    with (root / "Post.json").open("a") as fh:
        fh.write(f'{{"_id": "p9", "_created_at": {{"$date": "{iso}"}}}}\n')
    line = len((root / "Post.json").read_text().splitlines())
    with pytest.raises(querylang.DataError, match=rf"Post\.json, line {line}: not valid Extended JSON: date out of range"):
        querylang.connect().import_mongo_export(root)
    res = CliRunner().invoke(main, ["import", "mongo", str(root), "--db", str(tmp_path / "m.duckdb")])
    assert res.exit_code == 2 and "date out of range" in res.stderr and "internal error" not in res.stderr


@given(st.integers(-864 * 10**13, 864 * 10**13))
def test_a_dates_iso_text_is_toisostring_over_javascripts_whole_range(ms: int) -> None:
    """JSDate.iso (what translations and messages print) and the script's toISOString
    (script/dates.py, checked against Node) agree on every valid Date."""
    d = JSDate(float(ms))
    assert d.iso() == dates.iso(d)


@pytest.mark.parametrize("iso", ["2024-13-01T00:00:00Z", "2024-01-01T00:00+99:99", "+010000-01-01T00:00:00.000Z", "soon"])
@pytest.mark.parametrize("field", ["a", "o.when"])
def test_a_range_on_an_array_or_object_path_says_which_date_it_cannot_read(iso: str, field: str) -> None:
    """A Parse Date that is no date, as the bound of a range on an Array field or an Object
    path, was refused with "range operators on 'a' need a number, string, boolean or date":
    the user gave a date, and was not told it is the date that cannot be read. Found by the
    differential properties of tests/test_property_gaps.py (dates at years 1 and 9999)."""
    classes = {"Ev": {"fields": {"a": {"type": "Array"}, "o": {"type": "Object"}}}}
    with querylang.connect() as d:
        d.load({"classes": classes, "records": {"Ev": [{"objectId": "a", "a": [1]}]}})
        for op in ("lessThan", "greaterThanOrEqualTo"):
            for run in (d.query, d.reference):
                with pytest.raises(QueryTypeError, match=f"'{field}': cannot read .*{iso[1:8]}.* as a date"):
                    run("Ev", {field: {op: {"__type": "Date", "iso": iso}}})


@pytest.mark.parametrize(("field", "operand", "place"), [
    ("a", {"equalTo": {"__type": "Date", "iso": "2024-13-01"}}, "the value, a Date object,"),
    ("a", {"containedIn": [1, {"__type": "Date", "iso": "soon"}]}, "the value, a Date object,"),  # each member is a value
    ("a", {"equalTo": [1, {"__type": "Date", "iso": "-000001-01-01T00:00:00Z"}]}, "the Date object at [1]"),
    ("o", {"equalTo": {"when": {"__type": "Date", "iso": "2024-02-30"}}}, "the Date object at when"),
    ("o.when", {"notEqualTo": {"__type": "Date", "iso": "2024-02-30"}}, "the value, a Date object,"),
])
def test_equality_with_a_date_object_that_is_no_date_says_where(field: str, operand: dict, place: str) -> None:
    """Equality on an Array or Object field (or path) with a Parse Date whose iso names no date
    matched nothing (notEqualTo everything) without a word, where a range with it, the same
    value on a Date field, and a record holding it are refused: no stored value can be one
    (docs/semantics.md#dates)."""
    classes = {"Ev": {"fields": {"a": {"type": "Array"}, "o": {"type": "Object"}}}}
    with querylang.connect() as d:
        d.load({"classes": classes, "records": {"Ev": [{"objectId": "a", "a": [1], "o": {"when": 1}}]}})
        for run in (d.query, d.reference):
            with pytest.raises(QueryTypeError, match=rf"'{field}': {re.escape(place)} is (no date|outside years)"):
                run("Ev", {field: operand})


@pytest.mark.parametrize(("field", "op", "wrap"), [
    ("a", "equalTo", lambda d: d), ("a", "containedIn", lambda d: [d]), ("o.when", "equalTo", lambda d: d),
    ("o.when", "notContainedIn", lambda d: [d]), ("o", "equalTo", lambda d: {"when": d}),
])
def test_a_date_input_that_is_no_date_is_refused_after_a_valid_one(engine, field, op, wrap) -> None:
    """The plan a valid Date input made is not reused for one that names no date: that input is
    refused as a literal one is, and a valid Date still matches the record holding it."""
    good, bad = {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}, {"__type": "Date", "iso": "2024-02-30"}
    d = engine()
    d.load({"classes": {"Ev": {"fields": {"a": {"type": "Array"}, "o": {"type": "Object"}}}},
            "records": {"Ev": [{"objectId": "e1", "a": [good], "o": {"when": good}}, {"objectId": "e2"}]}})
    script = f"where({{ '{field}': {{ {op}: Inputs.D }} }})"
    want = ["e2"] if op.startswith("not") else ["e1"]
    for run in (d.query, d.reference):
        assert run("Ev", script, inputs={"D": wrap(good)}).ids == want
        with pytest.raises(QueryTypeError, match=r"is no date: iso '2024-02-30'"):
            run("Ev", script, inputs={"D": wrap(bad)})
        assert run("Ev", script, inputs={"D": wrap(good)}).ids == want


@pytest.mark.parametrize("text", ["\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661", "２０２４-01-01", "2024-01-01T0\u0663:00Z"])
def test_digits_of_other_scripts_make_no_date(text: str) -> None:
    """JavaScript's Date.parse gives NaN for '٢٠٢٤-٠١-٠١' (Arabic-Indic digits); the ISO
    patterns' \\d matched any Unicode digit, so a load stored it as 2024-01-01 and a filter or
    a script's new Date() read it as that day. Found with strings of other scripts' digits
    ('١٢' of tests/strategies.py) used as dates."""
    assert parse_iso(text) is None
    if text.startswith("\uff12"):
        # Node reads the full-width digits as a word, passed over before the first number,
        # and '-01-01' as month 1, day 1 of the default year 2001.
        assert date_text.parse_date(text) == 978307200000
    else:
        assert date_text.parse_date(text) != date_text.parse_date(text)  # NaN: an Invalid Date
    with querylang.connect() as d:
        with pytest.raises(querylang.DataError):
            d.load({"classes": DOC["classes"], "records": {"Ev": [{"objectId": "a", "d": text}]}})
        d.load(DOC)
        with pytest.raises(QueryTypeError, match="cannot read"):
            d.query("Ev", {"d": text})
        script = f"where({{d: new Date('{text}')}})"
        if text.startswith("\uff12"):
            d.query("Ev", script)  # the 1st of January 2001, as in node: not the year 2024
        else:
            with pytest.raises(QueryTypeError, match="Invalid Date"):
                d.query("Ev", script)


# --- a date whose offset moves it past year 1 or 9999 in UTC: said so, with its place --------------

PAST = "9999-12-31T23:30:00-01:00"  # 10000-01-01T00:30:00Z


# A year written past 9999, as year 0 or before it (JavaScript's expanded years): the same.
WRITTEN = ["10000-01-01T00:00:00Z", "+010000-01-01T00:00:00.000Z", "0000-01-01T00:00:00Z", "-000001-01-01T00:00:00Z"]


@pytest.mark.parametrize("value", [PAST, "0001-01-01T00:30:00+01:00", {"__type": "Date", "iso": PAST}, *WRITTEN])
def test_a_loaded_date_past_the_years_by_its_offset_says_so(value) -> None:
    """Found by review: it was "expected a Date (ISO-8601 string or {__type: 'Date', iso}),
    got '9999-12-31T23:30:00-01:00'", which is one; its offset moves it out of the years."""
    with querylang.connect() as d, pytest.raises(querylang.DataError) as err:
        d.load({"classes": DOC["classes"], "records": {"Ev": [{"objectId": "e1", "d": value}]}})
    assert str(err.value).startswith("class Ev, record e1, field d: ")
    assert str(err.value).endswith("is outside years 1-9999 in UTC, the years a record's date can hold")


@pytest.mark.parametrize("query", [
    {"d": {"greaterThan": PAST}}, {"d": {"greaterThan": {"__type": "Date", "iso": PAST}}},
    f"where({{d: {{greaterThan: '{PAST}'}}}})",
])
def test_a_queried_date_past_the_years_by_its_offset_says_so(db, query) -> None:
    """It was "'d' is a Date: cannot read '9999-12-31T23:30:00-01:00' as a date (give a Date, an
    ISO-8601 string ...)", although it is an ISO-8601 string."""
    with pytest.raises(QueryTypeError, match=r"'d' is a Date: .*9999-12-31T23:.* is outside years 1-9999 in UTC"):
        db.query("Ev", query)


@pytest.mark.parametrize("value", WRITTEN)
def test_a_queried_date_with_its_year_written_outside_the_years_says_so(db, value) -> None:
    """It was "cannot read '10000-01-01T00:00:00Z' as a date (give a Date, an ISO-8601 string
    ...)"; a year the text gives past 9999 is said so, as one an offset moves there is."""
    with pytest.raises(QueryTypeError, match=r"'d' is a Date: .* is outside years 1-9999 in UTC"):
        db.query("Ev", {"d": {"greaterThan": value}})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_nan_in_a_visual_rule_on_a_date_property_names_the_property(db, value) -> None:
    """Found by review: it was "NaN and Infinity are not valid query values", naming no field."""
    rule = {"combinator": "and", "rules": [{"property": "d", "operator": "greater than", "value": value}]}
    with pytest.raises(QueryTypeError, match=r"^'d': NaN and Infinity are not valid query values"):
        db.query("Ev", visual=rule)
    with pytest.raises(QueryTypeError, match=r"^'d': NaN and Infinity"):
        db.query("Ev", {"d": {"lessThan": value}})


@pytest.mark.parametrize("where", [
    {"d": {"greaterThan": float("nan")}},
    {"d": {"containedIn": [1, float("inf")]}},
    {"d": {"equalTo": {"a": [float("-inf")]}}},
    {"d": {"all": [float("nan")]}},
])
def test_nan_given_to_to_parse_where_names_the_field(where) -> None:
    """Found by review: without a schema to_parse_where said "NaN and Infinity are not valid
    query values", naming no field, where db.query names it."""
    with pytest.raises(QueryTypeError, match=r"^'d': NaN and Infinity are not valid query values"):
        querylang.to_parse_where(where)


def test_an_invalid_date_names_its_field() -> None:
    """`where({ d: { greaterThan: new Date('nope') } })` said only "Invalid Date" (the caret
    showed the place) where every other Date error names the field."""
    db = querylang.connect()
    db.load(DOC)
    for script in ("where({ d: { greaterThan: new Date('nope') } })", "where({ d: new Date(NaN) })"):
        with pytest.raises(QueryTypeError, match=r"'d' is a Date: the value is an Invalid Date"):
            db.query("Ev", script)
    with pytest.raises(QueryTypeError, match=r"'a' holds an Invalid Date"):
        db.query("Ev", "where({ a: { containedIn: [new Date('nope')] } })")

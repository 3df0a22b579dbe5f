"""Dates at their edges: offsets, years near 1 and 9999 and beyond, the script's Dates in every
place a filter or its translations show them (docs/semantics.md#dates)."""

from __future__ import annotations

import pytest

import querylang
from querylang.errors import QueryTypeError
from querylang.model.values import parse_iso

DOC = {
    "classes": {"Ev": {"fields": {"d": {"type": "Date"}, "s": {"type": "String"}}}},
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

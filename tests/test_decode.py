"""The row decoder (engines/duckdb/decode.py): what it gives for cells the usual path does not see."""

from __future__ import annotations

from datetime import datetime

from querylang.engines.duckdb.decode import make_decoder
from querylang.engines.duckdb.layout import NULLS_COLUMN
from querylang.model.schema import Schema

SCHEMA = Schema.from_json({"Thing": {"fields": {
    "tags": {"type": "Array"}, "meta": {"type": "Object"}, "n": {"type": "Number"}, "when": {"type": "Date"},
    "where": {"type": "GeoPoint"}, "title": {"type": "String"},
}}})  # fmt: skip
COLUMNS = ["objectId", "createdAt", "updatedAt", "tags", "meta", "n", "when", "where:lat", "where:lng", "title", NULLS_COLUMN]


def _row(tags: str | None, meta: str | None, nulls: list[str] | None = None) -> tuple[object, ...]:
    c = datetime(2024, 3, 1, 23, 30, 0, 120000)
    return ("a", c, datetime(2024, 3, 2), tags, meta, 2.0, c, 1.5, -3.0, None, nulls)


def test_json_orjson_refuses_goes_through_the_json_module() -> None:
    # orjson refuses a number past a double's range (Parse's jsonb may hold one); json reads it.
    decode = make_decoder(SCHEMA.get("Thing"), COLUMNS)
    rec = decode(_row("[1e400, 1]", '{"a": 1}'))
    assert rec["tags"] == [float("inf"), 1] and rec["meta"] == {"a": 1}
    assert rec == {**decode(_row("[1]", '{"a": 1}')), "tags": [float("inf"), 1]}


def test_shapes_missing_and_null() -> None:
    rec = make_decoder(SCHEMA.get("Thing"), COLUMNS)(_row(None, "{}", ["title"]))
    assert rec == {
        "objectId": "a", "createdAt": "2024-03-01T23:30:00.120Z", "updatedAt": "2024-03-02T00:00:00.000Z",
        "meta": {}, "n": 2, "when": "2024-03-01T23:30:00.120Z", "where": {"latitude": 1.5, "longitude": -3},
        "title": None,
    }  # fmt: skip
    assert type(rec["n"]) is int and type(rec["where"]["longitude"]) is int and "tags" not in rec


def test_dates_given_as_text_pass_through() -> None:
    decode = make_decoder(SCHEMA.get("Thing"), COLUMNS, date=None)
    row = ("a", "2024-03-01T23:30:00.120Z", "2024-03-01T23:30:00.120Z", None, None, None, "2024-01-01T00:00:00.000Z", None, None, "x", None)
    assert decode(row) == {"objectId": "a", "createdAt": "2024-03-01T23:30:00.120Z", "updatedAt": "2024-03-01T23:30:00.120Z",
                           "when": "2024-01-01T00:00:00.000Z", "title": "x"}

"""Store.load checks a class a column at a time (columns.read_columns); read_dataset checks
record by record. Both must accept the same documents, giving the same table cells (the
Arrow columns the store inserts) and the same edges, and refuse the same documents with the
same error.
"""

from __future__ import annotations

import copy
import itertools
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from querylang import DataError
from querylang.engines.duckdb import cells as duck_cells
from querylang.engines.duckdb import store
from querylang.interchange import document as data_module
from querylang.interchange.columns import read_columns, record_columns
from querylang.interchange.document import read_dataset

from .strategies import documents

NOW = datetime(2025, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)

# Values the bulk checks must refuse, or must hand to the record-by-record path.
HOSTILE = [
    None, "", "a\x00b", "\ud800", 1, 1.5, -0.0, 2**53 + 1, 2**63, -(2**63), 2**63 + 1, float("nan"),
    float("inf"), True, False, "2024-02-30T00:00:00.000Z", "2024-01-02T03:04:05.678Z",
    "2024-01-02T03:04:05.678+01:00", " 2024-01-02T03:04:05.678Z", "2024-01-02", "x", "p1",
    {"__type": "Date", "iso": "2024-01-02T03:04:05.678Z"}, {"__type": "Pointer", "className": "A", "objectId": "p1"},
    [], [1, "a"], {"a": 1}, {"latitude": 1, "longitude": 2}, {"latitude": 100, "longitude": 2},
    b"bytes", OrderedDict(a=1),
    # Parse's own types, good and bad (tests/strategies.py draws Polygon, File, Bytes, ACL fields)
    [[0, 0], [1, 1]], [[0, 0], [0, 1], [1, 1]], {"__type": "Polygon", "coordinates": [[0, 0], [0, 1], [91, 1]]},
    {"__type": "File", "name": "a.png"}, {"__type": "File", "url": "https://x/a.png"}, {"name": ""},
    {"__type": "Bytes", "base64": "QQ=="}, {"__type": "Bytes", "base64": "Q"}, {"*": {"read": True}},
    {"*": {"read": 1}}, {"__type": "GeoPoint", "latitude": 1, "longitude": 2},
]


def _read(fn: Any, doc: dict[str, Any]) -> Any:
    """``fn`` on a copy of the document, with generated objectIds numbered, not random."""
    counter = itertools.count()
    real = data_module.new_object_id
    data_module.new_object_id = lambda: f"gen{next(counter)}"
    try:
        return fn(copy.deepcopy(doc), now=NOW)
    except DataError as exc:
        return ("error", str(exc), exc.class_name, exc.object_id)
    finally:
        data_module.new_object_id = real


def _store_load(doc: dict[str, Any], now: datetime) -> None:
    """What Store.load says of a document (it reads with read_columns, then writes)."""
    store.Store().load(doc)


def _as_columns(data: Any) -> Any:
    if isinstance(data, tuple):
        return data
    cols = {name: record_columns(data.schema.classes[name], recs) for name, recs in data.records.items()}
    return cols, {(e.owner_class, e.key, e.owning_id, e.related_id) for e in data.edges}, data.schema


def _edge_set(edges: dict[tuple[str, str], tuple[Any, Any]]) -> set[tuple[str, str, str, str]]:
    return {(c, k, o, r) for (c, k), (os, rs) in edges.items() for o, r in zip(os.to_pylist(), rs.to_pylist(), strict=True)}


def _cells(schema: Any, name: str, cols: Any) -> list[str]:
    # repr tells 1 from 1.0 and True, and NaN from nothing.
    return [repr(a.to_pylist()) for a in duck_cells.class_arrays(schema.classes[name], cols)]


def _assert_same(doc: dict[str, Any]) -> None:
    by_record = _as_columns(_read(read_dataset, doc))
    by_column = _read(read_columns, doc)
    if isinstance(by_record, tuple) and by_record[0] == "error":
        if not isinstance(by_column, tuple):  # two records with one objectId: the index finds them
            by_column = _read(_store_load, doc)
        assert by_column == by_record
        return
    assert not isinstance(by_column, tuple), by_column
    assert _edge_set(by_column.edges) == by_record[1]
    assert by_column.columns.keys() == by_record[0].keys()
    for name, cols in by_record[0].items():
        got = by_column.columns[name]
        assert got.nulls == cols.nulls, name
        assert got.values.keys() == cols.values.keys(), name
        assert _cells(by_column.schema, name, got) == _cells(by_record[2], name, cols), name


@given(documents(created=True))
def test_bulk_and_record_by_record_reading_agree(doc):
    _assert_same(doc)


@given(documents(created=True), st.data())
def test_bulk_and_record_by_record_reading_agree_on_bad_values(doc, data):
    rows = [(name, r) for name, recs in doc["records"].items() for r in recs]
    if not rows:
        return
    for _ in range(data.draw(st.integers(1, 3))):
        name, rec = data.draw(st.sampled_from(rows))
        fields = [*doc["classes"][name]["fields"], "objectId", "createdAt", "updatedAt", "nosuchfield"]
        rec[data.draw(st.sampled_from(fields))] = data.draw(st.sampled_from(HOSTILE))
    _assert_same(doc)


@given(documents(created=True), st.data())
def test_bulk_and_record_by_record_reading_agree_on_bad_edges(doc, data):
    if not doc["relations"]:
        return
    edge = data.draw(st.sampled_from(doc["relations"]))
    key = data.draw(st.sampled_from(["class", "objectId", "key", "targetId", "targetClass"]))
    edge[key] = data.draw(st.sampled_from([*HOSTILE, *doc["classes"], "Beta", "relAlpha0", "relBeta1"]))
    if data.draw(st.booleans()):
        doc["relations"].append(dict(edge))  # listed twice: one edge
    _assert_same(doc)


def test_generated_ids_and_duplicates_go_record_by_record():
    doc = {
        "classes": {"A": {"fields": {"n": {"type": "Number"}}}},
        "records": {"A": [{"objectId": "x", "n": 1}, {"n": 2}]},
    }
    got = read_columns(doc, now=NOW).columns["A"]
    assert got.values["n"].to_pylist() == [1, 2] and len(got.values["objectId"][1].as_py()) == 10
    _assert_same(doc)
    doc["records"]["A"][1]["objectId"] = "x"
    _assert_same(doc)


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(allow_nan=False, allow_infinity=False), st.text()
)


@given(st.dictionaries(st.text(), _SCALARS))
def test_flat_object_cells_are_the_general_cells(value):
    assert repr(duck_cells._flat_object_cells(value)) == repr(duck_cells._object_cells(value))


@given(st.lists(st.text()))
def test_string_array_cells_are_the_general_cells(value):
    assert repr(duck_cells._string_array_cells(value)) == repr(duck_cells._array_cells(value))


# --- nested fields a column at a time: the same cells as store.field_cells, value by value ----

_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=6)
_NESTED_VALUES = {
    "Array": st.lists(_TEXT, max_size=4),
    "Object": st.dictionaries(_TEXT, _SCALARS.filter(lambda v: not isinstance(v, str) or "\x00" not in v), max_size=4),
    "GeoPoint": st.fixed_dictionaries(
        {"latitude": st.one_of(st.integers(-90, 90), st.floats(-90, 90)), "longitude": st.one_of(st.integers(-180, 180), st.floats(-180, 180))}
    ),
}


@given(st.sampled_from(sorted(_NESTED_VALUES)), st.data())
def test_nested_columns_are_the_cells_value_by_value(ftype, data):
    from querylang.engines.duckdb.layout import field_columns
    from querylang.interchange import columns
    from querylang.interchange.value_checks import check_value
    from querylang.model.schema import Field

    values = data.draw(st.lists(st.one_of(st.none(), _NESTED_VALUES[ftype]), max_size=6))
    got = columns._NESTED[ftype](values)
    if got is None:  # left to the general path: only Parse's typed objects, lone surrogates and keys with '.'
        odd = [v for v in values if v and ("__type" in v or any("." in k for k in v)
                                          or any(isinstance(x, str) and _surrogate(x) for x in v.values()))]
        assert ftype == "Object" and odd, values
        return
    f = Field("f", ftype)
    cells = [duck_cells.field_cells(f, None if v is None else check_value(ftype, v)) for v in values]
    expected = [pa_array([c[k] for c in cells], t) for k, (_, t) in enumerate(field_columns(f))]
    assert [repr(a.to_pylist()) for a in got] == [repr(a.to_pylist()) for a in expected]


def _surrogate(s: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in s)


def pa_array(cells: list[Any], sql_type: str) -> Any:
    import pyarrow as pa

    return pa.array(cells, duck_cells.ARROW_TYPES[sql_type])

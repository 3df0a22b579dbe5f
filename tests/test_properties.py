"""Differential properties: DuckDB SQL and the reference evaluator must give the same answer.

Each example builds a fresh in-memory database from a random document (tests/strategies.py)
and runs a few random queries on it, so the cost of loading is shared by several queries.
Example counts and deadlines come from the profile in tests/conftest.py.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryError
from querylang.interchange.document import merge_schema, read_dataset

from . import strategies as qs


def _answer(run: Callable[[], Any]) -> tuple[str, Any]:
    """('ok', result) or ('error', exception): an error is an answer the engines must share."""
    try:
        return "ok", run()
    except QueryError as exc:
        return "error", exc


def assert_same(db: querylang.Database, class_name: str, where: Any, **kw: Any) -> querylang.Result | None:
    """SQL and reference agree on ids (in order), records and count, or raise the same error.

    The order is always compared: both engines end every sort with objectId, so it is total.
    Returns the SQL result (None when both engines rejected the query).
    """
    sql_kind, sql = _answer(lambda: db.query(class_name, where, **kw))
    ref_kind, ref = _answer(lambda: db.reference(class_name, where, **kw))
    context = f"class={class_name} where={where!r} kw={kw!r}"
    if sql_kind == "error" or ref_kind == "error":
        assert (sql_kind, type(sql)) == (ref_kind, type(ref)), f"{context}\nsql: {sql!r}\nref: {ref!r}"
        return None
    _assert_results_equal(sql, ref, context)
    assert (sql.count is not None) == bool(kw.get("count")), context
    return sql


def _assert_results_equal(sql: querylang.Result, ref: querylang.Result, context: str) -> None:
    assert sql.ids == ref.ids, context
    assert sql.records == ref.records, context
    assert sql.count == ref.count, context


def _assert_paging_slices(db: querylang.Database, class_name: str, where: Any, page: querylang.Result, kw: dict[str, Any]) -> None:
    """limit/skip cut the sorted answer and count ignores them (docs/semantics.md#paging)."""
    full = db.query(class_name, where, sort=kw["sort"], count=True)
    assert full.count == len(full.ids)
    start = kw["skip"] or 0
    end = None if kw["limit"] is None else start + kw["limit"]
    assert page.ids == full.ids[start:end], f"class={class_name} where={where!r} kw={kw!r}"
    if kw["count"]:
        assert page.count == full.count


def _fresh(doc: dict[str, Any], split: bool = False, connect: Callable[[], querylang.Database] = querylang.connect) -> querylang.Database:
    db = connect()
    for part in qs.split_document(doc) if split else (doc,):
        db.load(part)
    return db


@st.composite
def _doc_and_queries(draw: st.DrawFn, created: bool | None = None) -> tuple[dict[str, Any], list[Any], bool]:
    doc = draw(qs.documents(created=created))
    return doc, draw(st.lists(qs.queries(doc), min_size=1, max_size=6)), draw(st.booleans())


def _fully_dated(doc: dict[str, Any]) -> bool:
    return all("createdAt" in r for rows in doc["records"].values() for r in rows)


@given(_doc_and_queries())
def test_sql_matches_reference(engine, case):
    """SQL = reference; paging is slicing; and, for documents that read the same every time,
    the evaluator over the document as read (not as stored) agrees too. Half the examples
    load the document in two parts, to cover loads into a database that has rows.

    db.reference reads the records back from DuckDB, so a value that does not survive
    storage (a rounded number, a lost null) would fool it; the document-based one would not.
    One test does all three so each example pays for one load.
    """
    doc, queries, split = case
    as_read = read_dataset(copy.deepcopy(doc)) if _fully_dated(doc) else None
    with _fresh(doc, split, engine) as db:
        for class_name, where, kw in queries:
            sql = assert_same(db, class_name, where, **kw)
            if sql is None:
                continue
            _assert_paging_slices(db, class_name, where, sql, kw)
            if as_read is not None:
                ref = querylang.evaluate(as_read, db.build(class_name, where, **kw))
                _assert_results_equal(sql, ref, f"(document) class={class_name} where={where!r} kw={kw!r}")


@given(_doc_and_queries())
def test_build_is_deterministic(case):
    """Building needs only the schema: no database, so this property is cheap."""
    doc, queries, _ = case
    schema = merge_schema(None, doc["classes"])
    for class_name, where, kw in queries:
        first_kind, first = _answer(lambda: querylang.build_query(schema, class_name, where, **kw))  # noqa: B023
        second_kind, second = _answer(lambda: querylang.build_query(schema, class_name, where, **kw))  # noqa: B023
        assert first_kind == second_kind
        if first_kind == "error":
            assert type(first) is type(second) and str(first) == str(second)
        else:
            assert first == second
            assert querylang.compile_query(first, schema).sql == querylang.compile_query(second, schema).sql


# A file database costs a file and a checkpoint per example: a tenth of the profile's count.
@settings(max_examples=max(5, settings.default.max_examples // 10))
@given(_doc_and_queries(created=True))
def test_file_database_answers_like_memory(case):
    doc, queries, _ = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.duckdb"
        with querylang.connect(path) as disk:
            disk.load(doc)
        with _fresh(doc) as mem, querylang.connect(path) as disk:
            for class_name, where, kw in queries:
                a_kind, a = _answer(lambda: mem.query(class_name, where, **kw))  # noqa: B023
                b_kind, b = _answer(lambda: disk.query(class_name, where, **kw))  # noqa: B023
                assert (a_kind, type(a)) == (b_kind, type(b))
                if a_kind == "ok":
                    _assert_results_equal(a, b, f"class={class_name} where={where!r} kw={kw!r}")

"""A plan lists what it reads (Plan.reads, Plan.words, Plan.columns), so a store never has to
search the SQL text for it.

Here, and only here, the SQL text is searched: on random schemas and filters, the identifiers
DuckDB's statements name must be exactly the tables and columns the plan lists.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.engines.sql.compiler import EDGES, Plan

from . import strategies as qs

IDENTIFIER = re.compile(r'"((?:[^"]|"")*)"')


def test_reads_by_hand(sample_db: querylang.Database) -> None:
    p = sample_db.compile("Post", "where({ 'meta.views': { greaterThan: 3 }, tags: null, title: { text: { search: 'duck' } } })")
    assert p.reads == {
        ("Post", "meta", ":pn"), ("Post", "tags", ""), ("Post", "tags", ":e"), ("Post", "title", ":tx"),
        ("Post", "meta", ":p"), ("Post", "meta", ""),  # for the elements of an array found there
        ("Post", "objectId", ""),  # the tie-break
    }
    assert p.words == {("Post", "title")}
    p = sample_db.compile("Comment", "where({ 'Owner.score': null })")
    assert p.reads == {("Comment", "Owner", ""), ("Comment", "objectId", ""), ("Post", "objectId", ""), ("Post", "score", "")}
    p = sample_db.compile("Post", "where({ relatedTo: { id: 'g01', key: 'posts' } })")
    assert ("Group", "posts", EDGES) in p.reads and ("Post", "objectId", "") in p.reads
    assert not p.words


def test_statements_over_a_plan_add_their_field(sample_db: querylang.Database) -> None:
    from querylang.engines.sql.statements import compile_aggregate, compile_distinct

    plan = sample_db.compile("Post", "where({ score: { greaterThan: 1 } })")
    assert ("Post", "title", "") in compile_distinct(plan, "title").reads
    assert compile_aggregate(plan, [("sum", "score"), ("max", "publishedAt")]).reads == plan.reads | {
        ("Post", "score", ""), ("Post", "publishedAt", "")}


def _named(plan: Plan, db: querylang.Database) -> set[str]:
    layout = db.store.dialect.layout
    names = {layout.table(plan.class_name), *plan.columns}
    for cls, name, part in plan.reads:
        if part == EDGES:
            names.add(layout.join_table(cls, name))
        else:
            names |= {layout.table(cls), layout.column(name, part)}
    return names


@st.composite
def _schema_and_queries(draw: st.DrawFn) -> tuple[dict[str, Any], list[Any]]:
    doc = draw(qs.documents())
    return doc, draw(st.lists(qs.queries(doc), min_size=1, max_size=6))


@given(_schema_and_queries())
def test_the_statements_name_exactly_what_the_plan_lists(case: tuple[dict[str, Any], list[Any]]) -> None:
    doc, queries = case
    with querylang.connect() as db:
        db.load({"classes": doc["classes"]})
        for class_name, where, kw in queries:
            try:
                plan = db.compile(class_name, where, **{**kw, "count": True})
            except querylang.QueryError:
                continue
            named = {m.replace('""', '"') for sql in (plan.sql, plan.count_sql or "") for m in IDENTIFIER.findall(sql)}
            assert named == _named(plan, db), (where, plan.sql)


def test_an_empty_containedIn_reads_no_column() -> None:
    """Found by the property above: containedIn [] compiles to FALSE, so the plan lists no
    column of the field."""
    db = querylang.connect()
    db.load({"classes": {"A": {"fields": {"o": {"type": "Object"}, "a": {"type": "Array"}, "n": {"type": "Number"}}}}})
    for field in ("o", "a", "n"):
        plan = db.compile("A", {field: {"containedIn": []}})
        assert not any(r[1] == field for r in plan.reads), (field, plan.reads)

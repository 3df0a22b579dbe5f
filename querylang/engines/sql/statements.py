"""Statements over a query's condition (Noodl.Records' count, distinct and aggregate): each
reads the rows the plan's condition matches (``Plan.where_sql``), in the plan's dialect. And
the one statement both stores run over an edge table on their own: the dangling-edge check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from querylang.engines.sql.compiler import Plan, default_dialect
from querylang.engines.sql.dialect import Dialect


@dataclass
class Statement:
    """One more statement over a query's condition (count, distinct, aggregate)."""

    sql: str
    params: list[Any]
    words: frozenset[tuple[str, str]] = frozenset()
    reads: frozenset[tuple[str, str, str]] = frozenset()  # as Plan.reads



def compile_count(plan: Plan, dialect: Dialect | None = None) -> Statement:
    d = dialect or default_dialect()
    table = d.quote(d.layout.table(plan.class_name))
    return Statement(f"SELECT count(*) FROM {table} AS t WHERE {plan.where_sql}", list(plan.where_params), plan.words,
                     plan.reads)


def compile_distinct(plan: Plan, field_name: str, dialect: Dialect | None = None) -> Statement:
    """The distinct present values of a scalar field among the matching records, in order."""
    d = dialect or default_dialect()
    table = d.quote(d.layout.table(plan.class_name))
    col = d.column_sql("t", field_name, "", plan.class_name)
    sql = f"SELECT DISTINCT {col} FROM {table} AS t WHERE {col} IS NOT NULL AND ({plan.where_sql}) ORDER BY {col}"
    return Statement(sql, list(plan.where_params), plan.words, plan.reads | {(plan.class_name, field_name, "")})


# avg over values scaled by 2^-1000 (exact for all but tiny values, which cannot move a mean
# this large), then scaled back: the mean of values whose running sum passes a double's range.
AVG_SCALE = 2.0**-1000
# Below this a scaled value would round to 0, which PostgreSQL raises as an underflow: such a
# value counts as 0 (what the other engines round it to), the smallest double left nonzero.
AVG_TINY = 2.0**-74


def compile_aggregate(
    plan: Plan, ops: list[tuple[str, str]], dialect: Dialect | None = None, *, scaled_avg: bool = False
) -> Statement:
    """One row of ``(op, field)`` aggregates (sum, min, max, avg; checked by the caller); an
    empty sum is 0, the others None. ``scaled_avg``: each avg over scaled values (AVG_SCALE),
    for when its plain sum overflowed."""
    d = dialect or default_dialect()
    table = d.quote(d.layout.table(plan.class_name))
    exprs: list[str] = []
    scales: list[float] = []
    for op, field_name in ops:
        if op not in ("sum", "min", "max", "avg"):
            raise d.unsupported(f"aggregate {op}")
        col = d.column_sql("t", field_name, "", plan.class_name)
        if op == "avg" and scaled_avg:
            exprs.append(f"avg(CASE WHEN abs({col}) < ? THEN 0 ELSE {col} * ? END) * ?")
            scales += [AVG_TINY, AVG_SCALE, 1 / AVG_SCALE]
            continue
        expr = f"{op}({col})"
        exprs.append(f"coalesce({expr}, 0)" if op == "sum" else expr)
    return Statement(d.finish(f"SELECT {', '.join(exprs)} FROM {table} AS t WHERE ") + plan.where_sql,
                     [*scales, *plan.where_params], plan.words, plan.reads | {(plan.class_name, f, "") for _, f in ops})


def dangling_edges_sql(edges: str, owner: str, target: str) -> str:
    """Whether an edge table holds an edge whose owner or target record is missing (one row,
    one boolean): the check that lets queries over a clean table skip theirs (Schema.clean_joins).
    The arguments are quoted table names."""
    return (
        f"SELECT EXISTS (SELECT 1 FROM {edges} AS e "
        f'WHERE NOT EXISTS (SELECT 1 FROM {owner} AS o WHERE o."objectId" = e.owning_id) '
        f'OR NOT EXISTS (SELECT 1 FROM {target} AS r WHERE r."objectId" = e.related_id))'
    )

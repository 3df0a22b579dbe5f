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


# A sum or avg whose running sum passed a double's range is run again as two sums: the values
# of magnitude at least SMALL scaled by SCALE = 2^-1000 (exact: their scaled values stay normal
# doubles, and no running sum of them can pass the range), then scaled back, plus the smaller
# values as they are (whose sum cannot pass it). So a total that fits is answered whatever order
# the engine adds in, and one past the range is still infinite (DuckDB) or an overflow (PostgreSQL).
SCALE = 2.0**-1000
HALF_BACK = 2.0**500
SMALL = 2.0**-22
# The small values' mean, when its exact value is at most 2^-1075, rounds to 0: IEEE engines
# give 0 and PostgreSQL raises "value out of range: underflow". It is 0 without dividing then:
# |sum| * 2^1000 > count * 2^-75 is that test, exact (powers of two, no rounding).
TINY_UP = 2.0**1000
TINY_DOWN = 2.0**-75


def compile_aggregate(
    plan: Plan, ops: list[tuple[str, str]], dialect: Dialect | None = None, *, scaled: bool = False
) -> Statement:
    """One row of ``(op, field)`` aggregates (sum, min, max, avg; checked by the caller); an
    empty sum is 0, the others None. ``scaled``: each sum and avg as two sums (SCALE), for when
    a plain one overflowed."""
    d = dialect or default_dialect()
    table = d.quote(d.layout.table(plan.class_name))
    exprs: list[str] = []
    scales: list[float] = []
    for op, field_name in ops:
        if op not in ("sum", "min", "max", "avg"):
            raise d.unsupported(f"aggregate {op}")
        col = d.column_sql("t", field_name, "", plan.class_name)
        if op in ("sum", "avg") and scaled:
            large = f"coalesce(sum(CASE WHEN abs({col}) >= ? THEN {col} * ? END), 0)"
            small = f"coalesce(sum(CASE WHEN abs({col}) < ? THEN {col} END), 0)"
            if op == "sum":
                exprs.append(f"{large} * ? + {small}")
                scales += [SMALL, SCALE, 1 / SCALE, SMALL]
            else:
                # Divided halfway back: the quotient stays a normal double (exact scaling) and
                # the mean, which never passes the range, is then scaled the rest of the way.
                n = f"nullif(count({col}), 0)"
                exprs.append(f"{large} * ? / {n} * ? + CASE WHEN abs({small}) * ? > {n} * ? THEN {small} / {n} ELSE 0 END")
                scales += [SMALL, SCALE, HALF_BACK, HALF_BACK, SMALL, TINY_UP, TINY_DOWN, SMALL]
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

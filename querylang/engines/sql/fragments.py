"""SQL fragments: a piece of SQL text with its bound parameters, in order, and the ways the
compiler (compiler.py, geo_terms.py) combines them."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class Sql:
    """An SQL fragment with its parameters, in order."""

    __slots__ = ("text", "params")

    def __init__(self, text: str, params: list[Any] | None = None) -> None:
        self.text = text
        self.params = params or []


def param(value: Any) -> Any:
    """Python value → plan parameter: dates as naive UTC (each store binds them so)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


FALSE = Sql("FALSE")
TRUE = Sql("TRUE")


def join_sql(sep: str, parts: list[Sql], empty: Sql) -> Sql:
    if not parts:
        return empty
    if len(parts) == 1:
        return parts[0]
    params: list[Any] = []
    for p in parts:
        params.extend(p.params)
    return Sql("(" + sep.join(p.text for p in parts) + ")", params)


def sum_sql(parts: list[Sql]) -> Sql:
    """``a + b + …`` as a balanced tree of additions, parameters in the same order: DuckDB's
    parser nests a chain of n additions n deep and refuses one past 1,000 deep (the ray
    crossings of a polygon of a thousand points); a tree is log2(n) deep."""
    while len(parts) > 1:
        pairs = [parts[k : k + 2] for k in range(0, len(parts), 2)]
        parts = [Sql(f"({p[0].text} + {p[1].text})", [*p[0].params, *p[1].params]) if len(p) == 2 else p[0]
                 for p in pairs]
    return parts[0]


def not_sql(inner: Sql) -> Sql:
    """Two-valued negation: an unknown (NULL) inner result counts as 'no match' first."""
    return Sql(f"(NOT coalesce({inner.text}, FALSE))", list(inner.params))

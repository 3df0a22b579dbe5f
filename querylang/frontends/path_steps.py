"""The steps of dotted paths into Object fields one query may name in all (docs/semantics.md#limits).

Each step of such a path adds to the SQL of a condition or a sort on it, and the engine plans
that SQL before the query's timeout can stop anything: a limit on one path's steps
(schema.MAX_PATH_STEPS) leaves a query of many long paths planning for minutes. A condition
on a path of one step is one lookup, bounded by the weight of the conditions
(plan_cost.MAX_QUERY_COST): it is not counted. Checked once the query is built, so every engine
and the reference refuse the same queries.
"""

from __future__ import annotations

from collections.abc import Iterator

from querylang.errors import LimitExceeded, cut_name
from querylang.model import nodes as n
from querylang.model.jsvalues import Pos

# Path steps one query may name in all (its conditions, inner queries' included, and its sort
# keys): about what DuckDB plans in a second, for the costliest condition.
MAX_QUERY_PATH_STEPS = 200


def check_path_steps(where: n.Node, sort: tuple[n.SortKey, ...]) -> None:
    """A :class:`LimitExceeded` naming the path with which the query's paths pass
    :data:`MAX_QUERY_PATH_STEPS` steps."""
    total = 0
    for name, steps, pos in _paths(where, sort):
        total += steps
        if total > MAX_QUERY_PATH_STEPS:
            error = LimitExceeded(
                f"'{cut_name(name)}': the query's paths into Object fields take more than "
                f"{MAX_QUERY_PATH_STEPS} steps in all (a condition on a path of one step is not counted)"
            )
            raise error.at(*pos) if pos else error


def _paths(where: n.Node, sort: tuple[n.SortKey, ...]) -> Iterator[tuple[str, int, Pos | None]]:
    """(name, steps, position) of each path the SQL walks step by step: a built query's
    dotted names are paths into Object fields (one through a Pointer is an inner query).
    Nodes made by hand (db.run) are looked at as they come: what is no name counts nothing."""
    for node in n.walk(where):
        name = getattr(node, "field", "")
        if isinstance(name, str) and name.count(".") > 1:
            yield name, name.count("."), getattr(node, "pos", None)
    for key in sort if isinstance(sort, tuple | list) else ():
        name = getattr(key, "field", "")
        if isinstance(name, str) and "." in name:
            yield name, name.count("."), getattr(key, "pos", None)

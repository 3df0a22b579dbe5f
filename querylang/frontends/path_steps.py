"""The steps of dotted paths into Object fields one query may name in all (docs/semantics.md#limits).

Each step of such a path adds to the SQL of a condition or a sort on it, and the engine plans
that SQL before the query's timeout can stop anything: a limit on one path's steps
(schema.MAX_PATH_STEPS) leaves a query of many long paths planning for minutes. A condition
on a path of one step is one lookup, bounded by the weight of the conditions
(plan_cost.MAX_QUERY_COST): it is not counted. Checked once the query is built, so every engine
and the reference refuse the same queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from querylang.errors import LimitExceeded, QueryError, cut_name
from querylang.model import nodes as n
from querylang.model.jsvalues import Pos

# Path steps one query may name in all (its conditions, inner queries' included, and its sort
# keys): about what DuckDB plans in a second, for the costliest condition.
MAX_QUERY_PATH_STEPS = 200


def check_sort_steps(sort: Sequence[n.SortKey], steps: int) -> None:
    """A :class:`LimitExceeded` naming the sort key with which the query's paths pass
    :data:`MAX_QUERY_PATH_STEPS` steps, ``steps`` counted in its conditions already
    (plan_cost.check_plan_cost counts them as it weighs them). Keys made by hand (db.run) are
    looked at as they come: what is no name counts nothing."""
    for key in sort if isinstance(sort, tuple | list) else ():
        name = getattr(key, "field", "")
        if isinstance(name, str) and "." in name:
            steps += name.count(".")
            if steps > MAX_QUERY_PATH_STEPS:
                raise too_many_steps(name, getattr(key, "pos", None))


def too_many_steps(name: str, pos: Pos | None) -> QueryError:
    """The error of the path ``name`` with which a query's paths pass :data:`MAX_QUERY_PATH_STEPS`."""
    error = LimitExceeded(
        f"'{cut_name(name)}': the query's paths into Object fields take more than "
        f"{MAX_QUERY_PATH_STEPS} steps in all (a condition on a path of one step is not counted)"
    )
    return error.at(*pos) if pos else error

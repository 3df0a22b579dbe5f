"""What a query's conditions cost the engine to plan, bounded (docs/semantics.md#limits).

The engine plans a statement (DuckDB's binder and optimizer, PostgreSQL's planner) before the
query's timeout can stop anything, and the SQL of some conditions is many times that of a
plain comparison: a condition on a path into an Object field reads the path map three times
and tests an array there, a distance is a haversine formula, a short polygon is written out
edge by edge. The count of conditions (filters.MAX_CONDITIONS) leaves 5,000 of those planning
for seconds, and polygons far longer. So each condition has a weight, about its planning time
on DuckDB (the slower planner) in units of a plain comparison's, and a query may weigh
:data:`MAX_QUERY_COST` in all. Weighed once the query is built, on the nodes alone, so every
engine and the reference refuse the same queries.
"""

from __future__ import annotations

from collections.abc import Sequence

from querylang.errors import LimitExceeded
from querylang.frontends.path_steps import MAX_QUERY_PATH_STEPS, check_sort_steps, too_many_steps
from querylang.model import nodes as n

# Units one query's conditions may weigh in all, inner queries' included: about what DuckDB
# plans in a second. A plain comparison weighs one, so MAX_CONDITIONS of them fit.
MAX_QUERY_COST = 5_000

# Weights, in plain comparisons.
LIST_COST = 3  # containedIn, notContainedIn, all, containedBy: an array's elements are tested too
PATH_COST = 10  # a condition on a dotted path into an Object field, whatever its operator
BOX_COST = 2
DISTANCE_COST = 12  # nearSphere, withinSphere
INNER_QUERY_COST = 40  # matchesQuery, matchesKeyInQuery (and their negations), relatedTo
# An AND among the items of an OR, the first left out: DuckDB plans an OR of ANDs in time that
# grows with the square of their count (a 'nor' of one 'and' is an OR of one).
OR_AND_COST = 6
# A polygon of up to INLINE_POLYGON points is written into the SQL edge by edge (the SQL
# compilers' Dialect.long_polygon), each point weighing POLYGON_POINT_COST; a longer one is
# bound as lists of coordinates, which DuckDB plans quickly (the run that tests the points is
# within the timeout): LONG_POLYGON_POINTS of its points weigh one.
INLINE_POLYGON = 64
POLYGON_COST, POLYGON_POINT_COST, LONG_POLYGON_POINTS = 20, 4, 10


def check_plan_cost(where: n.Node, sort: Sequence[n.SortKey] = ()) -> None:
    """A :class:`LimitExceeded`, at the condition with which the query's weight passes
    :data:`MAX_QUERY_COST`, or its paths' steps path_steps.MAX_QUERY_PATH_STEPS (counted in
    the same walk: every query built passes here, and a walk of its own cost the cold path a
    few microseconds)."""
    total = steps = 0
    stack = [where]
    while stack:
        node = stack.pop()
        total += cost(node)
        if total > MAX_QUERY_COST:
            field = getattr(node, "field", None)
            where_ = f"'{field}': " if isinstance(field, str) and field else ""
            error = LimitExceeded(
                f"{where_}the query's conditions weigh more than {MAX_QUERY_COST} to plan (a comparison weighs 1, "
                f"a list {LIST_COST}, a path into an Object field {PATH_COST}, a distance {DISTANCE_COST}, "
                f"an inner query {INNER_QUERY_COST}, an 'and' beside another in an 'or' {OR_AND_COST}, a polygon more for each point): split the query in smaller ones"
            )
            pos = getattr(node, "pos", None)
            raise error.at(*pos) if pos else error
        kind = _KINDS[type(node)]  # found by cost()
        if kind is _BRANCH:
            # Children pushed last first: taken in the tree's order, as n.walk goes (the error
            # names the condition at which the limit is passed).
            if isinstance(node, n.And | n.Or):
                stack.extend(reversed(node.items))
            elif isinstance(node, n.Not):
                stack.append(node.item)
            continue
        if kind is _INNER:
            if isinstance(node, n.MatchesQuery | n.MatchesKey):
                stack.append(node.where)
        elif isinstance(field := getattr(node, "field", ""), str) and (dots := field.count(".")) > 1:
            steps += dots  # a path of one step is one lookup (path_steps.py)
            if steps > MAX_QUERY_PATH_STEPS:
                raise too_many_steps(field, getattr(node, "pos", None))
    check_sort_steps(sort, steps)


def cost(node: n.Node) -> int:
    """The weight of one node, its children left out."""
    kind = _KINDS.get(type(node)) or _kind(type(node))
    if kind is _BRANCH:
        return OR_AND_COST * max(0, sum(isinstance(item, n.And) for item in node.items) - 1) if isinstance(node, n.Or) else 0
    if kind is _INNER:
        return INNER_QUERY_COST
    # A built query's dotted names are paths into Object fields (one through a Pointer is an
    # inner query); nodes made by hand (db.run) are weighed as they come.
    field = getattr(node, "field", "")
    if isinstance(field, str) and "." in field:
        return PATH_COST
    if kind is _POLYGON:
        points = len(node.points) if isinstance(node, n.WithinPolygon) and isinstance(node.points, tuple | list) else 0
        return POLYGON_COST + (POLYGON_POINT_COST * points if points <= INLINE_POLYGON else points // LONG_POLYGON_POINTS)
    return kind  # type: ignore[return-value]


# What each type of node weighs, found once per type (a node class of a user's, made by hand
# for db.run, by what it derives from): a weight, or how it is weighed.
_BRANCH, _INNER, _POLYGON = object(), object(), object()
_KINDS: dict[type, object] = {}


def _kind(t: type) -> object:
    if issubclass(t, n.And | n.Or | n.Not):
        kind: object = _BRANCH
    elif issubclass(t, n.MatchesQuery | n.MatchesKey | n.RelatedTo):
        kind = _INNER
    elif issubclass(t, n.WithinPolygon):
        kind = _POLYGON
    elif issubclass(t, n.NearSphere):
        kind = DISTANCE_COST
    elif issubclass(t, n.WithinBox):
        kind = BOX_COST
    elif issubclass(t, n.In | n.All | n.ContainedBy):
        kind = LIST_COST
    else:
        kind = 1
    _KINDS[t] = kind
    return kind

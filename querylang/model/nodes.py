"""Query nodes: the checked, typed form of a filter that both engines run.

Nodes are frozen dataclasses (to the type checker: see :func:`node`). Values inside them are
normalised (dates are aware UTC datetimes, pointers are objectId strings, lists are tuples).
``pos`` is where the script wrote the condition; it is left out of equality so tests compare
structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar, dataclass_transform

Pos = tuple[int, int]
_T = TypeVar("_T")


@dataclass_transform(frozen_default=True)
def node(cls: type[_T]) -> type[_T]:
    """A node class: a hashable dataclass with slots, frozen for the type checker.

    mypy rejects any assignment to a node's field. At run time the class is not frozen as
    well: a frozen dataclass sets every field through ``object.__setattr__``, which more than
    doubles the cost of making a node, and every new query makes several (script/ast.py does
    the same for its nodes).
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)


def _pos() -> Any:
    return field(default=None, compare=False, repr=False)


class Node:
    """Base of every condition node."""

    __slots__ = ()


# --- logic ----------------------------------------------------------------------------------


@node
class And(Node):
    """All items hold; ``And(())`` is true (docs/semantics.md#logic)."""

    items: tuple[Node, ...]
    pos: Pos | None = _pos()


@node
class Or(Node):
    """At least one item holds; never empty (``or: []`` is rejected when building)."""

    items: tuple[Node, ...]
    pos: Pos | None = _pos()


@node
class Not(Node):
    """The item does not hold (Relation "holds none", Parse ``$nor``)."""

    item: Node
    pos: Pos | None = _pos()


# --- field conditions -----------------------------------------------------------------------

COMPARE_OPS = ("eq", "ne", "lt", "lte", "gt", "gte")


@node
class Compare(Node):
    """``field op value``: equalTo, notEqualTo and the four range operators (docs/semantics.md#operator-table)."""

    field: str
    op: str
    value: Any
    pos: Pos | None = _pos()


@node
class In(Node):
    """containedIn (``negate=False``) / notContainedIn (``negate=True``) (docs/semantics.md#operator-table)."""

    field: str
    values: tuple[Any, ...]
    negate: bool = False
    pos: Pos | None = _pos()


@node
class Exists(Node):
    """exists true/false; absent = missing or null (docs/semantics.md#absent)."""

    field: str
    exists: bool
    pos: Pos | None = _pos()


@node
class IsAbsent(Node):
    """The field is absent (docs/semantics.md#absent): missing or null; an Array field also
    when it holds a null element; an Object path when nothing, or null, is at the path.

    What ``equalTo`` / ``lessThanOrEqualTo`` / ``greaterThanOrEqualTo`` null become
    (frontends/lower.py); ``notEqualTo`` null becomes its negation.
    """

    field: str
    pos: Pos | None = _pos()


@node
class Nothing(Node):
    """No record matches: what ``lessThan`` / ``greaterThan`` null become (docs/semantics.md#order)."""

    pos: Pos | None = _pos()


@node
class Regex(Node):
    """matchesRegex with options ⊆ imsx (docs/semantics.md#regex)."""

    field: str
    pattern: str
    options: str = ""
    pos: Pos | None = _pos()


@node
class PointsTo(Node):
    """A Pointer field pointing at, or a Relation holding, any of ``ids`` (docs/semantics.md#pointers)."""

    field: str
    ids: tuple[str, ...]
    pos: Pos | None = _pos()


@node
class RelatedTo(Node):
    """Records held by the Relation ``key`` of record ``owner_id`` of ``owner_class`` (docs/semantics.md#related-to)."""

    owner_class: str
    owner_id: str
    key: str
    pos: Pos | None = _pos()


# --- operators compiled by the language-surface issue (text, geo, Parse-only) ----------------


@node
class Text(Node):
    """text.search on one String field (docs/semantics.md#text)."""

    field: str
    term: str
    language: str = "english"
    case_sensitive: bool = False
    diacritic_sensitive: bool = False
    pos: Pos | None = _pos()


@node
class NearSphere(Node):
    """Within ``max_radians`` of a point on the sphere (great-circle distance, docs/semantics.md#geo).

    ``order``: nearSphere orders results nearest first unless the query has a sort; Parse's
    ``$geoWithin: {$centerSphere}`` is the same test without the order.
    """

    field: str
    latitude: float
    longitude: float
    max_radians: float | None = None
    order: bool = True
    pos: Pos | None = _pos()


@node
class WithinBox(Node):
    """Inside a latitude/longitude box, bounds included, corners normalised (docs/semantics.md#geo)."""

    field: str
    south: float
    west: float
    north: float
    east: float
    pos: Pos | None = _pos()


@node
class WithinPolygon(Node):
    """Inside or on a planar polygon of (latitude, longitude) points (docs/semantics.md#geo)."""

    field: str
    points: tuple[tuple[float, float], ...]
    pos: Pos | None = _pos()


@node
class PolygonContains(Node):
    """A Polygon field contains the point, boundary included, planar in (longitude, latitude)
    as withinPolygon (docs/semantics.md#geo; Parse ``$geoIntersects: {$point}``, docs/semantics.md#front-ends)."""

    field: str
    latitude: float
    longitude: float
    pos: Pos | None = _pos()


@node
class All(Node):
    """Parse ``$all``: the Array field, or an array at the Object path, holds every value;
    a scalar or object at the path matches when it is every value (docs/semantics.md#arrays)."""

    field: str
    values: tuple[Any, ...]
    pos: Pos | None = _pos()


@node
class ContainedBy(Node):
    """Parse ``$containedBy``: every element of the Array field is listed (docs/semantics.md#arrays)."""

    field: str
    values: tuple[Any, ...]
    pos: Pos | None = _pos()


@node
class MatchesQuery(Node):
    """A Pointer points at (a Relation holds) a live record matching ``where`` (docs/semantics.md#pointer-paths $inQuery).

    ``where`` is a condition on the field's target class.
    """

    field: str
    where: Node
    pos: Pos | None = _pos()


@node
class MatchesKey(Node):
    """The field's value is among the ``key`` values of ``class_name`` records matching
    ``where`` (Parse ``$select``; ``$dontSelect`` is its negation, docs/semantics.md#pointer-paths)."""

    field: str
    class_name: str
    key: str
    where: Node
    pos: Pos | None = _pos()


# --- the envelope ---------------------------------------------------------------------------


@node
class SortKey:
    """One sort key; absent values first ascending, last descending (docs/semantics.md#sort)."""

    field: str
    descending: bool = False
    pos: Pos | None = _pos()


TRUE = And(())
FALSE = Nothing()


@node
class Query:
    """A whole query: class, condition, order, paging and whether to count."""

    class_name: str
    where: Node = TRUE
    sort: tuple[SortKey, ...] = ()
    limit: int | None = None
    skip: int | None = None
    count: bool = False


def walk(node: Node):  # type: ignore[no-untyped-def]
    """Every node of a condition tree, parents first."""
    yield node
    if isinstance(node, And | Or):
        for item in node.items:
            yield from walk(item)
    elif isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, MatchesQuery | MatchesKey):
        yield from walk(node.where)


def ordering_near(node: Node) -> NearSphere | None:
    """The nearSphere that orders the results: one reached through AND only (docs/semantics.md#geo)."""
    if isinstance(node, NearSphere) and node.order:
        return node
    if isinstance(node, And):
        for item in node.items:
            found = ordering_near(item)
            if found is not None:
                return found
    return None

"""The one table of query operators: every front end, the unparser, the REPL and the plan cache
read their names from here.

An :class:`Operator` is a word of the filter vocabulary (what a script or a filter object
writes), with its Parse REST ``$op`` (None where Parse has no key of its own), the Noodl visual
filter label that produces it, the node comparison it becomes, and the kind of operand it takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Operator:
    """One word of the filter vocabulary."""

    name: str
    rest: str | None  # the Parse REST constraint key, e.g. "$gte"
    operand: str  # "value", "list", "bool", "pattern", "options", "text", "geo", "query", "key"
    compare: str | None = None  # the node op of a comparison: eq, ne, lt, lte, gt, gte
    visual: tuple[str, ...] = ()  # Noodl visual filter labels that mean this operator
    bindable: bool = False  # the plan cache may bind a new input into its operand


FIELD: tuple[Operator, ...] = (
    Operator("equalTo", "$eq", "value", "eq", ("equal to",), bindable=True),
    Operator("notEqualTo", "$ne", "value", "ne", ("not equal to",), bindable=True),
    Operator("lessThan", "$lt", "value", "lt", ("less than",), bindable=True),
    Operator("lessThanOrEqualTo", "$lte", "value", "lte", ("less than or equal to",), bindable=True),
    Operator("greaterThan", "$gt", "value", "gt", ("greater than",), bindable=True),
    Operator("greaterThanOrEqualTo", "$gte", "value", "gte", ("greater than or equal to",), bindable=True),
    Operator("containedIn", "$in", "list", bindable=True),
    Operator("notContainedIn", "$nin", "list", bindable=True),
    Operator("exists", "$exists", "bool", visual=("exist", "not exist")),
    Operator("pointsTo", None, "list", visual=("points to",)),
    Operator("matchesRegex", "$regex", "pattern", visual=("contain",)),
    Operator("options", "$options", "options"),
    Operator("text", "$text", "text"),
    Operator("nearSphere", "$nearSphere", "geo"),
    Operator("withinBox", None, "geo"),
    Operator("withinPolygon", None, "geo"),
    Operator("withinSphere", None, "geo"),
    # On a Polygon field; Parse writes {$geoIntersects: {$point: GeoPoint}}.
    Operator("polygonContains", "$geoIntersects", "geo"),
    # Parse REST constraints Noodl never sends, and filters across pointers.
    Operator("all", "$all", "list"),
    Operator("containedBy", "$containedBy", "list"),
    Operator("matchesQuery", "$inQuery", "query"),
    Operator("doesNotMatchQuery", "$notInQuery", "query"),
    Operator("matchesKeyInQuery", "$select", "key"),
    Operator("doesNotMatchKeyInQuery", "$dontSelect", "key"),
)
TOP: tuple[Operator, ...] = (
    Operator("and", "$and", "query"),
    Operator("or", "$or", "query"),
    Operator("nor", "$nor", "query"),
    Operator("idEqualTo", None, "value"),
    Operator("idContainedIn", None, "list"),
    Operator("relatedTo", "$relatedTo", "key", visual=("related to",)),
)

BY_NAME: Mapping[str, Operator] = {op.name: op for op in (*FIELD, *TOP)}
FIELD_OPERATORS: tuple[str, ...] = tuple(op.name for op in FIELD)
FIELD_OPERATOR_SET: frozenset[str] = frozenset(FIELD_OPERATORS)  # for membership tests
TOP_LEVEL: tuple[str, ...] = tuple(op.name for op in TOP)
LOGIC_OPERATORS: tuple[str, ...] = ("and", "or", "nor")
COMPARE: Mapping[str, str] = {op.name: op.compare for op in FIELD if op.compare}
COMPARE_NAMES: Mapping[str, str] = {cmp: name for name, cmp in COMPARE.items()}
BINDABLE_COMPARE: frozenset[str] = frozenset(op.name for op in FIELD if op.bindable and op.compare)
BINDABLE_LISTS: frozenset[str] = frozenset(op.name for op in FIELD if op.bindable and not op.compare)
VISUAL: Mapping[str, str] = {label: op.name for op in (*FIELD, *TOP) for label in op.visual}
DISTANCE_UNITS: tuple[str, ...] = ("maxDistanceInMiles", "maxDistanceInKilometers", "maxDistanceInRadians")
# Parse REST keys → filter words: all of them (each key names one operator), and by the kind of
# operand each takes.
REST_NAMES: Mapping[str, str] = {op.rest: op.name for op in (*FIELD, *TOP) if op.rest}
REST_LOGIC: Mapping[str, str] = {op.rest: op.name for op in TOP if op.rest and op.name in LOGIC_OPERATORS}
REST_COMPARE: Mapping[str, str] = {op.rest: op.name for op in FIELD if op.rest and op.compare}
REST_LISTS: Mapping[str, str] = {op.rest: op.name for op in FIELD if op.rest and op.operand == "list"}
REST_SUB_QUERIES: Mapping[str, str] = {op.rest: op.name for op in FIELD if op.operand in ("query", "key") and op.rest}

RECORD_KEYS = frozenset({"objectId", "className", "id"})


def is_operator_object(value: object, field_type: str | None) -> bool:
    """Is ``value`` an operator object (``{greaterThan: 3}``) rather than a value to equal?

    A Parse-typed value (``__type``) is a value; so is an object with no operator word on an
    Object field (equality with an embedded object) and a record-like ``{objectId}`` where a
    pointer may stand (``field_type`` None: not known). Anything else is operators, so a typo
    is an error, not an equality.
    """
    if not isinstance(value, Mapping) or "__type" in value:
        return False
    if not FIELD_OPERATOR_SET.isdisjoint(value):
        return True
    if field_type in ("Object", "ObjectPath"):
        return False
    record_like = bool(value) and set(value) <= RECORD_KEYS
    return not (record_like and field_type in (None, "Pointer", "Relation"))

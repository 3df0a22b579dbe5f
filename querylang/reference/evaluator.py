"""The reference evaluator: the same query nodes, answered in plain Python.

Written to be obviously right rather than fast: each rule of docs/semantics.md is one small
function, and :meth:`Evaluator.matches` mirrors the SQL compiler's dispatch case for case, one
method per node kind.
No SQL, no DuckDB. Property tests compare the two engines on random data and queries.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from querylang.errors import QueryError, QueryTimeout
from querylang.features import geo, text
from querylang.features.regex import compile_regex
from querylang.interchange.document import Dataset, Edge
from querylang.model import nodes as n
from querylang.model.schema import Field, Schema
from querylang.model.values import SORT_RANKS, canonical, key_value, sort_rank, type_class

Record = Mapping[str, Any]


@dataclass
class EvalResult:
    records: list[Record]
    count: int | None

    @property
    def ids(self) -> list[str]:
        return [r["objectId"] for r in self.records]


# --- the rules, one helper each (docs/semantics.md#comparison) ---------------------------------------------


def equals(stored: Any, value: Any) -> bool:
    """Type-strict equality of two present values (docs/semantics.md#equality; objects key-order-insensitive docs/semantics.md#objects)."""
    if type_class(stored) != type_class(value):
        return False
    return canonical(stored) == canonical(value)


def absent(stored: Any, is_array: bool) -> bool:
    """Missing or null; an array also when it holds a null element (docs/semantics.md#absent)."""
    return stored is None or (is_array and any(e is None for e in stored))


def matches_eq(stored: Any, value: Any, is_array: bool) -> bool:
    """equalTo a present value; an array matches by any element or as a whole (docs/semantics.md#arrays)."""
    if stored is None:
        return False
    if is_array:
        some = any(e is not None and equals(e, value) for e in stored)
        return some or (not isinstance(stored, Reached) and equals(stored, value))
    return equals(stored, value)


def ordered(op: str, a: Any, b: Any) -> bool:
    """``a op b`` for two values of the same type class (strings by code point, false < true).

    Numbers compare as doubles, as they are stored (2**53 + 1 is 2**53).
    """
    if type_class(a) == "number":
        a, b = float(a), float(b)
    if op == "lt":
        return a < b
    if op == "lte":
        return a <= b
    if op == "gt":
        return a > b
    return a >= b


def matches_range(stored: Any, op: str, value: Any, is_array: bool) -> bool:
    """Range operators on a present value: same type class only; absent never; arrays by any
    element (docs/semantics.md#order)."""
    if stored is None:
        return False
    candidates: Iterable[Any] = stored if is_array else (stored,)
    tc = type_class(value)
    return any(type_class(c) == tc and ordered(op, c, value) for c in candidates)


Listed = tuple[bool, frozenset[tuple[str, str]]]


def listed(values: Iterable[Any]) -> Listed:
    """containedIn's members as :func:`equals` compares them (type class and canonical form),
    and whether null is among them: made once a query, a member looked up in it, not compared
    with each (a long list was member by member for every record)."""
    values = list(values)
    return any(v is None for v in values), frozenset((type_class(v), canonical(v)) for v in values if v is not None)


def matches_in(stored: Any, members: Listed, is_array: bool) -> bool:
    """containedIn: equal to some member (absent matches a listed null) (docs/semantics.md#lists);
    an array by any element or as a whole, as :func:`matches_eq`."""
    has_null, keys = members
    if has_null and absent(stored, is_array):
        return True
    if stored is None:
        return False
    if is_array and any(e is not None and (type_class(e), canonical(e)) in keys for e in stored):
        return True
    if is_array and isinstance(stored, Reached):
        return False
    return (type_class(stored), canonical(stored)) in keys


def sort_records(records: list[Record], keys: tuple[n.SortKey, ...]) -> list[Record]:
    """Absent first ascending, last descending; objectId ascending breaks ties (docs/semantics.md#sort)."""

    def cmp_values(a: Any, b: Any) -> int:
        if a is EMPTY or b is EMPTY:
            return (a is not EMPTY) - (b is not EMPTY)  # an empty array's key: before absent
        if a is None or b is None:
            return (a is not None) - (b is not None)  # absent is the smallest
        ra, rb = sort_rank(a), sort_rank(b)
        if ra != rb or ra in (SORT_RANKS["object"], SORT_RANKS["array"]):
            return (ra > rb) - (ra < rb)  # objects and arrays among themselves: a tie
        if type_class(a) == "number":
            a, b = float(a), float(b)
        return (a > b) - (a < b)

    extreme = functools.cmp_to_key(cmp_values)

    def sort_key(r: Record, k: n.SortKey) -> Any:
        if "." not in k.field:
            return r.get(k.field)
        # A dot path: the smallest of the keys it reaches ascending, the largest descending.
        return (max if k.descending else min)(path_sort_keys(r, k.field), key=extreme)

    def cmp(r1: Record, r2: Record) -> int:
        for k in keys:
            c = cmp_values(sort_key(r1, k), sort_key(r2, k))
            if c:
                return -c if k.descending else c
        return cmp_values(r1["objectId"], r2["objectId"])

    return sorted(records, key=functools.cmp_to_key(cmp))


class _Empty:
    """The sort key of an empty array a path reaches: MongoDB's undefined, before null and absent."""


EMPTY = _Empty()


def path_sort_keys(rec: Record, dotted: str) -> list[Any]:
    """The keys a sort by ``'meta.a.b'`` reads in a record, MongoDB's (the index keys its sort
    takes the smallest or largest of, docs/semantics.md#sort): each value the path reaches, the
    elements of an array it reaches by a key (EMPTY for an empty one), null (None) for a branch
    that reaches nothing; no key at all is null."""
    head, *steps = dotted.split(".")
    return list(_sort_keys(rec.get(head), steps, False)) or [None]


def _sort_keys(v: Any, steps: list[str], by_index: bool) -> Iterator[Any]:
    """The keys ``steps`` reach from ``v`` (``by_index``: ``v`` is an array's element read by
    an index step, a value as it is when the path ends there, unless empty). Along an array an
    object element is read at the step's key and any other element is null; a step that is an
    index of the array reads that element instead, in each element but an object holding the
    key (MongoDB's positional key)."""
    if not steps:
        if isinstance(v, list) and not v:
            yield EMPTY
        elif isinstance(v, list) and not by_index:
            yield from v
        else:
            yield v
    elif isinstance(v, dict):
        yield from _sort_keys(v.get(steps[0]), steps[1:], False)
    elif not isinstance(v, list) or not v:
        yield None  # a scalar, null or empty array with steps left: nothing reached
    else:
        step, rest = steps[0], steps[1:]
        at = next((i for i in range(len(v)) if step == str(i)), None)
        for e in v:
            if isinstance(e, dict) and (at is None or step in e):
                yield from _sort_keys(e.get(step), rest, False)
            elif at is None:
                yield None
        if at is not None:
            yield from _sort_keys(v[at], rest, True)


def is_list(f: Field, stored: Any) -> bool:
    """Whether the element rules apply: an Array field, or an array found at an Object path
    (docs/semantics.md#objects, as MongoDB applies them to whatever a path reaches)."""
    return f.type == "Array" or (f.type == "ObjectPath" and isinstance(stored, list))


class Reached(list):  # type: ignore[type-arg]
    """What a path on through an array reaches, as the element rules test it: each value
    reached (None where a branch reaches nothing), and the elements of each array reached by
    a key (docs/semantics.md#objects). Not itself a value: never equal to an operand whole."""


def path_match_value(rec: Record, dotted: str) -> Any:
    """What a condition on ``'meta.a.b'`` tests: the value at the path while it passes only
    through objects, else (an array on the way) the :class:`Reached` values, MongoDB's
    traversal of arrays."""
    head, *steps = dotted.split(".")
    v: Any = rec.get(head)
    for k, step in enumerate(steps):
        if isinstance(v, list):
            found = Reached()
            for value, whole in _reach(v, steps[k:]):
                found.append(value)
                if whole and isinstance(value, list):
                    found.extend(value)
            return found
        if not isinstance(v, dict):
            return None
        v = v.get(step)
    return v


def _reach(v: Any, steps: list[str]) -> Iterator[tuple[Any, bool]]:
    """(value, read by a key) for each value path ``steps`` reaches from ``v``, MongoDB's way:
    an object is read at the step's key; an array at each object element's (elements that are
    not objects reach nothing there), and, for a step that is an index, also at that element,
    which the rest of the path then reads (an object or an array; the value itself, not read
    by a key, when the path ends there); anything else reaches nothing (None) on this branch."""
    if not steps:
        yield v, True
    elif isinstance(v, dict):
        yield from _reach(v.get(steps[0]), steps[1:])
    elif not isinstance(v, list):
        yield None, True
    else:
        step, rest = steps[0], steps[1:]
        for i, e in enumerate(v):
            if isinstance(e, dict):
                yield from _reach(e.get(step), rest)
            if step == str(i):
                if not rest:
                    yield e, False
                elif isinstance(e, dict | list):
                    yield from _reach(e, rest)


def distance(node: n.NearSphere, rec: Record) -> float | None:
    """Great-circle distance (radians) from the node's point to the record's GeoPoint."""
    p = rec.get(node.field)
    if p is None:
        return None
    return geo.haversine(node.latitude, node.longitude, float(p["latitude"]), float(p["longitude"]))


# --- the evaluator --------------------------------------------------------------------------


class Evaluator:
    """Answers queries over a :class:`Dataset` (normalised records and edges)."""

    def __init__(self, data: Dataset) -> None:
        self.schema: Schema = data.schema
        self.records = data.records
        self.ids = {c: {r["objectId"] for r in rows} for c, rows in data.records.items()}
        self.edges: set[Edge] = set(data.edges)
        # Sub-query answers within one run, by node identity: a sub-query does not depend on
        # the outer record, so it is answered once, not once per outer record.
        self._subs: dict[int, tuple[n.Node, Any]] = {}

    def _sub(self, node: n.Node, answer: Any) -> Any:
        """``answer()`` for sub-query ``node``, computed once per run."""
        hit = self._subs.get(id(node))
        if hit is not None and hit[0] is node:
            return hit[1]
        value = answer()
        self._subs[id(node)] = (node, value)
        return value

    def run(self, query: n.Query, *, timeout: float | None = None) -> EvalResult:
        """The records that match, sorted and paged; past ``timeout`` seconds :class:`QueryTimeout`."""
        self._subs = {}
        cls = self.schema.get(query.class_name)
        deadline = None if timeout is None else time.monotonic() + timeout
        rows: list[Record] = []
        for k, r in enumerate(self.records.get(cls.name, [])):
            if deadline is not None and k % 256 == 0 and time.monotonic() > deadline:
                raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
            if self.matches(query.where, cls.name, r):
                rows.append(r)
        count = len(rows) if query.count else None
        near = n.ordering_near(query.where)
        if near is not None and not query.sort:
            rows = sorted(rows, key=lambda r: (distance(near, r), r["objectId"]))
        else:
            rows = sort_records(rows, query.sort)
        start = query.skip or 0
        end = None if query.limit is None else start + query.limit
        return EvalResult(rows[start:end], count)

    def alive(self, class_name: str, oid: str) -> bool:
        return oid in self.ids.get(class_name, ())

    def holds(self, class_name: str, f: Field, oid: str, ids: Iterable[str] | None) -> bool:
        """Does record ``oid`` hold (any of) ``ids`` in Relation ``f``, counting live targets only?"""
        target = f.target or ""
        if ids is None:
            return any(
                e.owner_class == class_name and e.key == f.name and e.owning_id == oid
                and self.alive(target, e.related_id)
                for e in self.edges
            )
        return any(
            Edge(class_name, f.name, oid, t) in self.edges and self.alive(target, t) for t in ids
        )

    def matches(self, node: n.Node, class_name: str, rec: Record) -> bool:
        """Does ``rec`` (a record of ``class_name``) satisfy ``node``? One method per node kind,
        in the order of the SQL compiler's (engines/sql/compiler.py)."""
        field_name = getattr(node, "field", None)
        if isinstance(field_name, str) and "." in field_name:
            # Dot notation into an Object: the value at the path, absent when any step is
            # missing; an array found there, or on the way, takes the element rules (is_list).
            rec = {**rec, field_name: path_match_value(rec, field_name)}
        cls = self.schema.get(class_name)
        match node:
            case n.And(items=items):
                return all(self.matches(i, class_name, rec) for i in items)
            case n.Or(items=items):
                return any(self.matches(i, class_name, rec) for i in items)
            case n.Not(item=item):
                return not self.matches(item, class_name, rec)
            case n.Compare():
                return self.compare(node, cls.field(node.field), rec)
            case n.In():
                return self.in_(node, cls.field(node.field), rec)
            case n.Exists():
                return self.exists(node, class_name, cls.field(node.field), rec)
            case n.IsAbsent():
                return self.is_absent(node, cls.field(node.field), rec)
            case n.Nothing():
                return False
            case n.Regex():
                return self.regex(node, cls.field(node.field), rec)
            case n.PointsTo():
                return self.points_to(node, class_name, cls.field(node.field), rec)
            case n.RelatedTo():
                return self.related_to(node, rec)
            case n.All():
                return self.all_(node, rec)
            case n.ContainedBy():
                return self.contained_by(node, rec)
            case n.Text():
                return text.text_matches(rec.get(node.field), node)
            case n.NearSphere():
                return self.near(node, rec)
            case n.WithinBox():
                return self.within_box(node, rec)
            case n.WithinPolygon():
                return self.within_polygon(node, rec)
            case n.PolygonContains():
                return self.polygon_contains(node, rec)
            case n.MatchesQuery():
                return self.matches_query(node, class_name, cls.field(node.field), rec)
            case n.MatchesKey():
                return self.matches_key(node, rec)
        raise QueryError(f"the reference evaluator has no rule for {type(node).__name__} yet")

    # --- comparisons ------------------------------------------------------------------------

    def compare(self, node: n.Compare, f: Field, rec: Record) -> bool:
        if node.value is None:
            # The builder lowers null operands (frontends/lower.py); a node made by hand was not.
            raise QueryError(f"the comparison of '{f.name}' with null was not lowered: build the query first")
        stored, is_array = key_value(f.type, rec.get(node.field)), is_list(f, rec.get(node.field))
        if node.op == "eq":
            return matches_eq(stored, node.value, is_array)
        if node.op == "ne":
            return not matches_eq(stored, node.value, is_array)
        return matches_range(stored, node.op, node.value, is_array)

    def is_absent(self, node: n.IsAbsent, f: Field, rec: Record) -> bool:
        """equalTo / <= / >= null, lowered (docs/semantics.md#absent)."""
        return absent(rec.get(node.field), is_list(f, rec.get(node.field)))

    def in_(self, node: n.In, f: Field, rec: Record) -> bool:
        stored = rec.get(node.field)
        hit = matches_in(key_value(f.type, stored), self._sub(node, lambda: listed(node.values)), is_list(f, stored))
        return not hit if node.negate else hit

    def exists(self, node: n.Exists, class_name: str, f: Field, rec: Record) -> bool:
        if f.type == "Relation":
            present = self.holds(class_name, f, rec["objectId"], None)
        else:
            stored = rec.get(node.field)
            present = any(e is not None for e in stored) if isinstance(stored, Reached) else stored is not None
        return present == node.exists

    def regex(self, node: n.Regex, f: Field, rec: Record) -> bool:
        rx = compile_regex(node.pattern, node.options).python
        stored = rec.get(node.field)
        candidates = stored if isinstance(stored, list) else [stored]
        return any(isinstance(c, str) and rx.search(c) is not None for c in candidates)

    # --- pointers and relations -------------------------------------------------------------

    def points_to(self, node: n.PointsTo, class_name: str, f: Field, rec: Record) -> bool:
        if f.type == "Relation":
            return self.holds(class_name, f, rec["objectId"], node.ids)
        return rec.get(node.field) in node.ids

    def related_to(self, node: n.RelatedTo, rec: Record) -> bool:
        """Held by one owner's Relation; nothing if the owner record is gone (docs/semantics.md#related-to)."""
        owner, oid = node.owner_class, node.owner_id
        return self.alive(owner, oid) and Edge(owner, node.key, oid, rec["objectId"]) in self.edges

    def matches_query(self, node: n.MatchesQuery, class_name: str, f: Field, rec: Record) -> bool:
        """Pointer/Relation reaching a live record of the target class that matches (docs/semantics.md#pointer-paths $inQuery)."""
        target, where = f.target or "", node.where
        hits = self._sub(where, lambda: {
            r["objectId"] for r in self.records.get(target, []) if self.matches(where, target, r)
        })
        if f.type == "Relation":
            return self.holds(class_name, f, rec["objectId"], hits)
        return rec.get(node.field) in hits

    def matches_key(self, node: n.MatchesKey, rec: Record) -> bool:
        """The value is one of the ``key`` values of the matching records (docs/semantics.md#pointer-paths $select)."""
        stored, other, key, where = rec.get(node.field), node.class_name, node.key, node.where
        values = self._sub(node, lambda: [
            r.get(key) for r in self.records.get(other, [])
            if r.get(key) is not None and self.matches(where, other, r)
        ])
        return stored is not None and any(equals(stored, v) for v in values)

    # --- Parse-only array operators ------------------------------------------------------------

    def all_(self, node: n.All, rec: Record) -> bool:
        """The array holds every listed value; ``all: []`` matches nothing (MongoDB). A scalar
        or object at an Object path matches when it is every value: $all there is an AND of
        equalTo each one (docs/semantics.md#objects)."""
        stored = rec.get(node.field)
        if not node.values or stored is None:
            return False
        if not isinstance(stored, list):
            return all(canonical(stored) == canonical(v) for v in node.values)
        held = {canonical(e) for e in stored}
        return all(canonical(v) in held for v in node.values)

    def contained_by(self, node: n.ContainedBy, rec: Record) -> bool:
        """Every element is listed; absent and empty arrays match (MongoDB's $containedBy, docs/semantics.md#arrays)."""
        stored = rec.get(node.field)
        listed = {canonical(v) for v in node.values}
        return stored is None or all(canonical(e) in listed for e in stored)

    # --- geo ---------------------------------------------------------------------------------

    def near(self, node: n.NearSphere, rec: Record) -> bool:
        d = distance(node, rec)
        return d is not None and (node.max_radians is None or d <= node.max_radians)

    def within_box(self, node: n.WithinBox, rec: Record) -> bool:
        p = rec.get(node.field)
        return p is not None and node.south <= p["latitude"] <= node.north and node.west <= p["longitude"] <= node.east

    def within_polygon(self, node: n.WithinPolygon, rec: Record) -> bool:
        """geo.in_polygon: on an edge, or an odd number of ray crossings."""
        p = rec.get(node.field)
        return p is not None and geo.in_polygon(
            float(p["latitude"]), float(p["longitude"]), geo.polygon_edges(node.points)
        )

    def polygon_contains(self, node: n.PolygonContains, rec: Record) -> bool:
        """geo.polygon_contains: the stored Polygon's ring holds the point, boundary included."""
        polygon = rec.get(node.field)
        if polygon is None:
            return False
        lats, lngs = geo.polygon_ring(polygon["coordinates"])
        return geo.polygon_contains(lats, lngs, node.latitude, node.longitude)

"""Parse REST front end: ``where`` JSON ⇄ filter objects, and ``find`` (docs/semantics.md#front-ends, docs/semantics.md#sort).

Parse clients send a ``where`` document (``{"score": {"$gt": 3}}``); Noodl's filter scripts
build a *filter object* (``{score: {greaterThan: 3}}``) that it translates into the same
document (docs/semantics.md#front-ends). This module goes both ways:

>>> where_to_filter({"score": {"$gt": 3}, "$or": [{"title": "Hi"}, {"tags": {"$in": ["ui"]}}]})
{'score': {'greaterThan': 3}, 'or': [{'title': {'equalTo': 'Hi'}}, {'tags': {'containedIn': ['ui']}}]}
>>> to_parse_where("where({ score: { greaterThan: Inputs.Min } })", {"Min": 3})
{'score': {'$gt': 3}}
>>> print(to_script({"title": {"$regex": "^par", "$options": "i"}}))
where({ title: { matchesRegex: "^par", options: "i" } })

``find(db, "Post", where, order="-score", limit=10)`` is the REST ``GET /classes/Post`` call:
the where document is translated, then run through ``db.query`` like any filter object.

Errors follow Parse's codes and messages where Parse has one (docs/semantics.md#errors): a bad ``$or`` is 102 "Bad
$or format - use an array value.", ``ACL`` is 102 "Cannot query on ACL.", a key outside
``/^[a-zA-Z][a-zA-Z0-9_.]*$/`` is 105 "Invalid key name: k", a non-string ``$regex`` is 107.
Deliberate differences from Parse, each one a place where Parse answers something surprising:

- an unknown ``$op`` is 102 with a did-you-mean (Parse on MongoDB: 107 "bad constraint");
- ``$options`` without ``$regex``, ``$maxDistance...`` without ``$nearSphere``, and
  ``$geoWithin`` with both or neither of ``$polygon``/``$centerSphere`` are errors (Parse drops
  or forwards them to the database);
- ``$in`` next to ``$inQuery``/``$select`` on one field (and ``$nin`` next to ``$notInQuery``/
  ``$dontSelect``) is an error: Parse *merges* the two lists, so the pair means OR there while
  every other pair of constraints means AND;
- ``$geoIntersects: {$point}`` becomes polygonContains on a Polygon field;
- ``$relativeTime``, Polygon objects in ``$polygon``, regexes inside
  ``$all`` and ``order=$score`` are not supported (102);
- dot notation is handed to the engine as a dotted key; what it reaches (Object sub-field or a
  field through Pointers) is the engine's decision (docs/semantics.md#front-ends).
"""

from __future__ import annotations

import inspect
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from querylang.errors import (
    INVALID_JSON,
    INVALID_KEY_NAME,
    LimitExceeded,
    QueryError,
    QueryTypeError,
    SchemaError,
)
from querylang.features.geo import distance
from querylang.frontends.filters import MAX_FILTER_DEPTH, NEAR_UNDER_OR, ONE_NEAR, TEXT_UNDER_NOR
from querylang.frontends.operands import short
from querylang.frontends.places import in_where_of, naming
from querylang.frontends.selection import key_list
from querylang.model.jsvalues import type_name
from querylang.model.operators import (
    BY_NAME,
    FIELD,
    REST_COMPARE,
    REST_LISTS,
    REST_LOGIC,
    REST_SUB_QUERIES,
)
from querylang.model.operators import TOP_LEVEL as FILTER_TOP_LEVEL
from querylang.model.schema import check_known_keys, suggest

__all__ = ["find", "where_to_filter", "parse_order", "REST_DEFAULT_LIMIT"]

REST_DEFAULT_LIMIT = 100  # Parse's defaultLimit; the library itself has no cap (docs/semantics.md#paging)

# Parse's key rule for non-master queries (docs/semantics.md#front-ends; Parse's
# DatabaseController.validateQuery).
KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.]*$")
OPTIONS_RE = re.compile(r"^[imxs]+$")

LOGIC = REST_LOGIC
COMPARE = REST_COMPARE
LISTS = REST_LISTS
# $maxDistance* in the order Parse lets them win: it handles constraint keys in reverse
# alphabetical order and each one overwrites $maxDistance, so the last handled wins (docs/semantics.md#geo).
DISTANCES = {
    "$maxDistance": "maxDistanceInRadians",
    "$maxDistanceInKilometers": "maxDistanceInKilometers",
    "$maxDistanceInMiles": "maxDistanceInMiles",
    "$maxDistanceInRadians": "maxDistanceInRadians",
}
SUB_QUERIES = REST_SUB_QUERIES
CONSTRAINTS = (
    *COMPARE, *LISTS, "$exists", "$regex", "$options", "$text", "$nearSphere", *DISTANCES,
    "$within", "$geoWithin", "$geoIntersects", *SUB_QUERIES,
)
UNSUPPORTED = {
    "$relativeTime": "$relativeTime is not supported; give a Date",
}
# Parse pairs whose lists it merges (RestQuery transformInQuery / transformSelect): OR, not AND.
MERGED_LISTS = ({"$in", "$inQuery", "$select"}, {"$nin", "$notInQuery", "$dontSelect"})
TOP_LEVEL = (*LOGIC, "$relatedTo")
# Words of the filter vocabulary: a Parse field with one of these names cannot be expressed.
FILTER_KEYWORDS = frozenset(FILTER_TOP_LEVEL)


# ==========================================================================================
# Parse where → filter object


def where_to_filter(where: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """The filter object for a Parse REST ``where`` (a dict, or its JSON text) (docs/semantics.md#front-ends)."""
    if where is None:
        return {}
    try:
        if isinstance(where, str):
            where = _json_object(where, "where")
        if not isinstance(where, Mapping):
            raise QueryTypeError(f"where must be a JSON object, got {type_name(where)}")
        return _where(where)
    except RecursionError:
        # The JSON decoder and _where recurse once or twice per level: a where nested some
        # hundreds of levels deep (or a cyclic dict) must be a QueryError, not Python's.
        # The filter it would become is limited to MAX_FILTER_DEPTH levels anyway.
        raise LimitExceeded(f"where nests too deeply (max {MAX_FILTER_DEPTH} levels)") from None


def _json_object(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise QueryTypeError(f"{what} is not valid JSON: {exc}", code=INVALID_JSON) from None


def _where(where: Mapping[str, Any]) -> dict[str, Any]:
    """One where object: its keys are ANDed, as Parse does (docs/semantics.md#logic)."""
    if "ACL" in where:
        raise QueryError("Cannot query on ACL.")
    out: dict[str, Any] = {}
    for key, value in where.items():
        if key in LOGIC:
            out[LOGIC[key]] = _logic(key, value)
        elif key == "$relatedTo":
            out["relatedTo"] = _related_to(value)
        else:
            _check_key(key)
            try:
                out[key] = _constraint(key, value)
            except QueryError as exc:
                raise naming(exc, key) from None
    return out


def _check_key(key: str) -> None:
    """Field names: Parse's key rule (105), and no clash with the filter vocabulary."""
    if key in ("_rperm", "_wperm"):
        raise QueryError(f"'{key}' queries are not supported (querylang has no ACLs)")
    if not isinstance(key, str) or not KEY_RE.match(key):  # a Python mapping's key may be a number
        hint = suggest(key, TOP_LEVEL) if str(key).startswith("$") else None
        raise SchemaError(f"Invalid key name: {key}", code=INVALID_KEY_NAME, hint=hint)
    if key in FILTER_KEYWORDS:
        raise QueryError(f"field '{key}' has the name of a filter keyword and cannot be queried here")


def _logic(key: str, value: object) -> list[dict[str, Any]]:
    """``$and``/``$or``/``$nor``: arrays of where objects; ``$nor`` non-empty (docs/semantics.md#logic, docs/semantics.md#front-ends)."""
    if key == "$nor":
        if not isinstance(value, list) or not value:
            raise QueryError("Bad $nor format - use an array of at least 1 value.")
    elif not isinstance(value, list):
        raise QueryError(f"Bad {key} format - use an array value.")
    items = []
    for i, sub in enumerate(value):
        if not isinstance(sub, Mapping):
            raise QueryTypeError(f"{key} item {i} must be a where object, got {type_name(sub)}")
        items.append(_where(sub))
    return items


def _related_to(value: object) -> dict[str, Any]:
    """``$relatedTo: {object: Pointer(owner), key}`` → ``relatedTo: {id, key, className}`` (docs/semantics.md#related-to)."""
    obj = value.get("object") if isinstance(value, Mapping) else None
    key = value.get("key") if isinstance(value, Mapping) else None
    if not isinstance(obj, Mapping) or not isinstance(obj.get("objectId"), str) or not isinstance(key, str):
        raise QueryError("improper usage of $relatedTo: use {object: {__type: 'Pointer', className, objectId}, key}")
    out = {"id": obj["objectId"], "key": key}
    if isinstance(obj.get("className"), str):
        out["className"] = obj["className"]
    return out


def _constraint(field: str, value: object) -> Any:
    """A field's constraint: an object of ``$`` operators, or a value (equality shorthand, docs/semantics.md#front-ends).

    A scalar shorthand on an Array field means "contains" in Parse; ``equalTo`` on an Array
    already means that here (docs/semantics.md#arrays), so the shorthand always becomes ``equalTo``.
    """
    if isinstance(value, Mapping) and any(str(k).startswith("$") for k in value):
        return _operators(field, value)
    _no_relative_time(value)
    if isinstance(value, Mapping) and value.get("__type") == "Pointer" and isinstance(value.get("objectId"), list):
        # Noodl's pointsTo: [ids] on a Relation: the ids in one Pointer. Parse flattens them
        # into its join-table $in, so a Noodl app gets the owners holding any of them.
        return {"pointsTo": [{**value, "objectId": oid} for oid in value["objectId"]]}
    return {"equalTo": value}


def _operators(field: str, ops: Mapping[str, Any]) -> dict[str, Any]:
    """``{$gt: 1, $lt: 5}`` → ``{greaterThan: 1, lessThan: 5}``: several operators are ANDed."""
    plain = [str(k) for k in ops if not str(k).startswith("$")]  # a Python mapping's key may be a number
    if plain:
        raise QueryError(f"'{field}': a constraint object mixes $ operators with plain keys ({', '.join(plain)})")
    for group in MERGED_LISTS:
        both = sorted(group & set(ops))
        if len(both) > 1:
            raise QueryError(
                f"'{field}': {' and '.join(both)} on one field are merged by Parse (one list, OR); "
                "write them in an $or or an $and to say which you mean"
            )
    out: dict[str, Any] = {}
    for op, operand in ops.items():
        if op in COMPARE:
            _no_relative_time(operand)
            out[COMPARE[op]] = operand
        elif op in LISTS:
            out[LISTS[op]] = _list_operand(op, operand)
        elif op == "$exists":
            if not isinstance(operand, bool):
                # Checked here to name the operator as the where wrote it (filters.py says "exists").
                raise QueryTypeError(f"$exists needs true or false, got {type_name(operand)}")
            out["exists"] = operand
        elif op == "$regex":
            out.update(_regex(ops))
        elif op == "$options":
            if "$regex" not in ops:
                raise QueryError("$options goes with $regex")
        elif op == "$text":
            out["text"] = _text(operand)
        elif op == "$nearSphere":
            out["nearSphere"] = _near_sphere(ops)
        elif op in DISTANCES:
            if "$nearSphere" not in ops:
                raise QueryError(f"{op} goes with $nearSphere")
        elif op == "$within":
            out["withinBox"] = _box(operand)
        elif op == "$geoWithin":
            out.update(_geo_within(operand))
        elif op == "$geoIntersects":
            out["polygonContains"] = _geo_intersects(operand)
        elif op in ("$inQuery", "$notInQuery"):
            out[SUB_QUERIES[op]] = _in_query(op, operand)
        elif op in ("$select", "$dontSelect"):
            out[SUB_QUERIES[op]] = _select(op, operand)
        elif op in UNSUPPORTED:
            raise QueryError(UNSUPPORTED[op])
        else:
            raise QueryError(f"unknown constraint '{op}' on '{field}'", hint=_constraint_hint(op))
    return out


def _constraint_hint(op: str) -> str | None:
    """A did-you-mean, or, for a Noodl filter's operator given a ``$`` (``$greaterThan``),
    Parse's own spelling of it: a user who mixed the two languages."""
    named = BY_NAME.get(op[1:]) if isinstance(op, str) else None
    if named is not None and named.rest is not None and named.rest.startswith("$") and named.rest != op:
        return f"a Parse where writes {named.name} as {named.rest}"
    return suggest(op, CONSTRAINTS)


def _no_relative_time(value: object) -> None:
    if isinstance(value, Mapping) and "$relativeTime" in value:
        raise QueryError(UNSUPPORTED["$relativeTime"])


def _list_operand(op: str, operand: object) -> list[Any]:
    """``$in``/``$nin``/``$all``/``$containedBy`` need arrays (107, as Parse's MongoTransform.transformConstraint).

    Parse flattens nested arrays inside ``$in``/``$nin`` one level (docs/semantics.md#front-ends); so do we.
    """
    if not isinstance(operand, list):
        if op == "$containedBy":
            raise QueryTypeError("bad $containedBy: should be an array")
        raise QueryTypeError(f"bad {op} value")
    if op == "$all" and any(isinstance(v, Mapping) and "$regex" in v for v in operand):
        raise QueryError("$all with $regex values (startsWith on arrays) is not supported")
    if op in ("$in", "$nin"):
        return [x for v in operand for x in (v if isinstance(v, list) else [v])]
    return list(operand)


def _regex(ops: Mapping[str, Any]) -> dict[str, Any]:
    """``$regex`` must be a string (107); ``$options`` must match ``/^[imxs]+$/`` (102, docs/semantics.md#regex)."""
    pattern = ops["$regex"]
    if not isinstance(pattern, str):
        raise QueryTypeError(f"bad regex: {short(pattern)}")
    options = ops.get("$options")
    out: dict[str, Any] = {"matchesRegex": pattern}
    if options is None:
        return out
    # Parse checks the options only next to a non-empty pattern; a non-string is never valid.
    if not isinstance(options, str) or (pattern and not OPTIONS_RE.match(options)):
        raise QueryError(f"Bad $options value for query: {options}")
    if options:
        out["options"] = options
    return out


def _text(operand: object) -> dict[str, Any]:
    """``$text: {$search: {$term, $language, $caseSensitive, $diacriticSensitive}}`` (docs/semantics.md#text)."""
    search = operand.get("$search") if isinstance(operand, Mapping) else None
    if not isinstance(search, Mapping):
        raise QueryTypeError("bad $text: $search, should be object")
    assert isinstance(operand, Mapping)
    check_known_keys(operand, ("$search",), "$text")
    check_known_keys(search, ("$term", "$language", "$caseSensitive", "$diacriticSensitive"), "$search")
    term = search.get("$term")
    if not isinstance(term, str) or not term:
        raise QueryTypeError("bad $text: $term, should be string")
    out: dict[str, Any] = {"term": term}
    # A null member is left out, as Parse leaves it out (and as the filter object's text reads
    # it): Noodl sends `$language: null` for a language input set to null.
    if search.get("$language") is not None:
        if not isinstance(search["$language"], str):
            raise QueryTypeError("bad $text: $language, should be string")
        out["language"] = search["$language"]
    for flag in ("$caseSensitive", "$diacriticSensitive"):
        if search.get(flag) is not None:
            if not isinstance(search[flag], bool):
                raise QueryTypeError(f"bad $text: {flag}, should be boolean")
            out[flag[1:]] = search[flag]
    return {"search": out}


def _geo_point(value: object, what: str, *, pairs: bool = False) -> dict[str, Any]:
    """A GeoPoint ``{__type: 'GeoPoint', latitude, longitude}``; with ``pairs``, also a
    ``[longitude, latitude]`` array, as Parse reads them in ``$polygon``/``$centerSphere``."""
    if pairs and isinstance(value, list) and len(value) == 2:
        return {"latitude": value[1], "longitude": value[0]}
    if not isinstance(value, Mapping) or value.get("__type", "GeoPoint") != "GeoPoint":
        raise QueryTypeError(f"bad {what} value; should be a GeoPoint")
    if "latitude" not in value or "longitude" not in value:
        raise QueryTypeError(f"bad {what} value; a GeoPoint needs latitude and longitude")
    return {"latitude": value["latitude"], "longitude": value["longitude"]}


def _near_sphere(ops: Mapping[str, Any]) -> dict[str, Any]:
    """``$nearSphere`` + one ``$maxDistance...`` (the one Parse would let win, docs/semantics.md#geo)."""
    out = _geo_point(ops["$nearSphere"], "$nearSphere")
    for op, name in DISTANCES.items():
        if op in ops:
            # Checked here to name it as written: $maxDistance becomes maxDistanceInRadians.
            distance(ops[op], op)
            out[name] = ops[op]
            break
    return out


def _box(operand: object) -> list[dict[str, Any]]:
    """``$within: {$box: [GeoPoint, GeoPoint]}`` (107 "malformatted $within arg", docs/semantics.md#geo)."""
    box = operand.get("$box") if isinstance(operand, Mapping) else None
    if not isinstance(box, list) or len(box) != 2:
        raise QueryTypeError("malformatted $within arg")
    return [_geo_point(p, "$box") for p in box]


def _geo_within(operand: object) -> dict[str, Any]:
    """``$geoWithin: {$polygon: [...]}`` → withinPolygon; ``{$centerSphere: [point, radians]}``
    → withinSphere. Arrays are ``[longitude, latitude]`` in both (Parse's MongoTransform)."""
    if not isinstance(operand, Mapping):
        raise QueryTypeError("bad $geoWithin value")
    check_known_keys(operand, ("$polygon", "$centerSphere"), "$geoWithin")
    if len(operand) != 1:
        raise QueryTypeError("bad $geoWithin value; give one of $polygon or $centerSphere")
    if "$polygon" in operand:
        return {"withinPolygon": _polygon(operand["$polygon"])}
    return {"withinSphere": _center_sphere(operand["$centerSphere"])}


def _geo_intersects(operand: object) -> dict[str, Any]:
    """``$geoIntersects: {$point: GeoPoint}``: a Polygon field containing the point (docs/semantics.md#front-ends)."""
    if not isinstance(operand, Mapping) or set(operand) != {"$point"}:
        raise QueryTypeError("bad $geoIntersect value; $point should be GeoPoint")
    point = operand["$point"]
    if not isinstance(point, Mapping) or point.get("__type") != "GeoPoint":
        raise QueryTypeError("bad $geoIntersect value; $point should be GeoPoint")
    return _geo_point(point, "$geoIntersects $point")


def _polygon(polygon: object) -> list[dict[str, Any]]:
    if isinstance(polygon, Mapping) and polygon.get("__type") == "Polygon":
        raise QueryError("$polygon as a Polygon object is not supported; give an array of GeoPoints")
    if not isinstance(polygon, list):
        raise QueryTypeError("bad $geoWithin value; $polygon should be Polygon object or Array of Parse.GeoPoint's")
    if len(polygon) < 3:
        raise QueryTypeError("bad $geoWithin value; $polygon should contain at least 3 GeoPoints")
    return [_geo_point(p, "$geoWithin", pairs=True) for p in polygon]


def _center_sphere(sphere: object) -> dict[str, Any]:
    if not isinstance(sphere, list) or len(sphere) != 2:
        raise QueryTypeError("bad $geoWithin value; $centerSphere should be an array of Parse.GeoPoint and distance")
    center = _geo_point(sphere[0], "$geoWithin; $centerSphere geo point", pairs=True)
    radians = sphere[1]
    if isinstance(radians, bool) or not isinstance(radians, int | float) or math.isnan(radians) or radians < 0:
        raise QueryTypeError("bad $geoWithin value; $centerSphere distance invalid")
    return {"center": center, "radians": radians}


def _in_query(op: str, operand: object) -> dict[str, Any]:
    """``$inQuery: {where, className}`` → ``matchesQuery: {where, className}`` (docs/semantics.md#front-ends)."""
    if not isinstance(operand, Mapping) or not _truthy(operand.get("where")) or not _truthy(operand.get("className")):
        raise QueryError(f"improper usage of {op}")
    where = operand["where"]
    if not isinstance(where, Mapping):
        raise QueryTypeError(f"{op}: where must be an object, got {type_name(where)}")
    return {"where": _where(where), "className": operand["className"]}


def _truthy(v: object) -> bool:
    """JavaScript truthiness, which Parse's checks use: ``{}`` and ``[]`` are true."""
    if isinstance(v, Mapping | list):
        return True
    return bool(v) and not (isinstance(v, float) and math.isnan(v))


def _select(op: str, operand: object) -> dict[str, Any]:
    """``$select: {query: {className, where}, key}`` → ``matchesKeyInQuery`` (docs/semantics.md#front-ends).

    Exactly the two keys ``query`` and ``key``; ``where`` may be missing (the iOS SDK omits it).
    """
    query = operand.get("query") if isinstance(operand, Mapping) else None
    if (
        not isinstance(operand, Mapping)
        or len(operand) != 2
        or not isinstance(query, Mapping)
        or not _truthy(query.get("className"))
        or not _truthy(operand.get("key"))
    ):
        raise QueryError(f"improper usage of {op}")
    where = query.get("where")
    where = {} if where is None else where
    if not isinstance(where, Mapping):
        raise QueryTypeError(f"{op}: where must be an object, got {type_name(where)}")
    try:
        inner = _where(where)
    except QueryError as exc:
        raise in_where_of(exc, op) from None
    return {"key": operand["key"], "className": query["className"], "where": inner}


# ==========================================================================================
# find: the REST GET /classes/<Class> call


def parse_order(order: str | Sequence[str] | None) -> list[str] | None:
    """REST ``order`` (``"-score,title"`` or a list) → sort keys; ``$score`` is refused (docs/semantics.md#sort)."""
    if order is None:
        return None
    if isinstance(order, str):
        items: list[object] = list(order.split(","))
    elif isinstance(order, Sequence):
        items = [part for item in order for part in (item.split(",") if isinstance(item, str) else [item])]
    else:
        raise QueryTypeError(f"order must be a string or a list of strings, got {type_name(order)}")
    keys = []
    for item in items:
        if not isinstance(item, str):
            raise QueryTypeError(f"order keys must be strings, got {type_name(item)}")
        key = item.strip()
        if not key:
            continue  # Parse ignores empty items: Noodl's sort([]) sends order ''
        if key.lstrip("-") == "$score":
            raise QueryError("order by $score (text relevance) is not supported")
        keys.append(key)
    return keys


def find(
    db: Any,
    class_name: str,
    where: Mapping[str, Any] | str | None = None,
    order: str | Sequence[str] | None = None,
    limit: int | None = None,
    skip: int | None = None,
    count: bool = False,
    include: str | Sequence[str] | None = None,
    keys: str | Sequence[str] | None = None,
    cancel: Any = None,
) -> Any:
    """Parse REST ``find``: the Result of ``db.query`` for a where document.

    ``limit`` defaults to 100 as Parse's REST API does (docs/semantics.md#paging); pass a number for more.
    ``include``/``keys`` are passed to ``db.query`` as ``include=``/``select=`` lists;
    ``cancel`` (a threading.Event) as ``cancel=``.
    """
    extra: dict[str, Any] = {} if cancel is None else {"cancel": cancel}
    if include is not None or keys is not None:
        if not _shapes(type(db)):
            raise QueryError("include/keys not supported yet")
        selected = None if keys is None else key_list(keys, "keys")
        if selected == []:
            # keys given but naming nothing (keys=''): Parse Server 9
            # selects only the keys it always selects, never every field.
            selected = ["objectId"]
        extra |= {"include": key_list(include, "include"), "select": selected}
    lowered = where_to_filter(where)
    try:
        return db.query(
            class_name,
            lowered,
            sort=parse_order(order),
            limit=REST_DEFAULT_LIMIT if limit is None else _rest_number(limit, "limit"),
            skip=None if skip is None else _rest_number(skip, "skip"),
            count=bool(count),
            **extra,
        )
    except QueryError as exc:
        as_written(exc)
        raise


# The filter-object word each Parse operator was read as, back to the operator the where wrote:
# the checks that need the schema (a field's type, a list's length) run on the filter object and
# named words no where holds ('matchesRegex needs a String ...' of a $regex). equalTo is $eq, as
# a plain value ({score: 5}) is in Parse's own words.
_SAID = {op.name: op.rest for op in FIELD if op.rest} | {
    "withinBox": "$within", "withinPolygon": "$geoWithin", "withinSphere": "$geoWithin", "relatedTo": "$relatedTo"}
# An error that starts with the operator, after the field it names if any.
_LEADING_OPERATOR = re.compile(r"^((?:'[^']*'(?: \([^)]*\))?: )?)([A-Za-z]+)(?=(?: needs | has | is not available | compares |: ))")
_RELATION_HINT = ("(use pointsTo, containedIn, notContainedIn, equalTo, notEqualTo or exists)",
                  "(use a Pointer, $in, $nin, $eq, $ne or $exists)")
# The where of a $select an error is in, said after the field it names ('f' (in the where of
# matchesKeyInQuery on 'g')): paths are quoted and hold no parenthesis.
_SCOPES = re.compile(r"^'[^']*' \(([^)]*)\)")
_SCOPE_OPERATOR = re.compile(r"(?<=in the where of )([A-Za-z]+)")
_RELATION_ONE = re.compile(r"^('[^']*'(?: \([^)]*\))?: )(equalTo|notEqualTo) on a Relation takes one id; "
                           r"use (containedIn|notContainedIn) for several$")
# The inner queries' limit, naming the one over it ('matchesQuery on 'f'', 'relatedTo', 'the path ...').
_INNER = re.compile(r"^the filter (holds more than \d+ inner queries \(this one: )([A-Za-z]+)(.*\); a list of ids is one )containedIn$")
# check_where's refusals of a whole where (nearSphere under or, text under nor).
_WHOLE = {NEAR_UNDER_OR: "$nearSphere cannot be inside $or or $nor (it orders the results)",
          ONE_NEAR: "only one $nearSphere per query"}


def as_written(exc: QueryError) -> None:
    """``exc``, raised for the filter object a where was read as, naming its operators as the
    where wrote them ('$regex needs a String or Array field; ...')."""
    message = _WHOLE.get(exc.message, exc.message)
    if message.startswith(f"{TEXT_UNDER_NOR}: "):
        message = f"a text search cannot be inside a negation ($nor){message[len(TEXT_UNDER_NOR):]}"
    if (scopes := _SCOPES.match(message)) is not None:
        said = _SCOPE_OPERATOR.sub(lambda op: _SAID.get(op[1], op[1]), scopes[1])
        message = f"{message[:scopes.start(1)]}{said}{message[scopes.end(1):]}"
    if (one := _RELATION_ONE.match(message)) is not None:
        message = f"{one[1]}{_SAID[one[2]]} on a Relation takes one id; use {_SAID[one[3]]} for several"
    if (inner := _INNER.match(message)) is not None:
        message = f"the where {inner[1]}{_SAID.get(inner[2], inner[2])}{inner[3]}$in"
    found = _LEADING_OPERATOR.match(message)
    if found is not None and found[2] in _SAID:
        message = f"{found[1]}{_SAID[found[2]]}{message[found.end():]}".replace(*_RELATION_HINT)
    if message != exc.message:
        exc.message = message
        exc.args = (message,)


_SHAPES: dict[Any, bool] = {}


def _shapes(kind: Any) -> bool:
    """Whether ``kind``'s query takes include= and select= (read once per type: the signature
    cost a find with include or keys more than building its query did)."""
    known = _SHAPES.get(kind)
    if known is None:
        params = inspect.signature(kind.query).parameters
        known = _SHAPES[kind] = "include" in params and "select" in params
    return known


# ASCII digits only: str.isdigit also takes '²' (which int() then refuses) and '٣'.
_REST_INTEGER = re.compile(r"-?[0-9]+")


def _rest_number(value: object, what: str) -> Any:
    """REST parameters may arrive as text (``limit=10`` in a URL): read an integer's digits as
    the number (a negative one is then refused as a negative number is)."""
    if isinstance(value, str):
        if not _REST_INTEGER.fullmatch(value.strip()):
            raise QueryTypeError(f"{what} must be a whole number, got {short(value)}")
        return int(value)
    return value


# ==========================================================================================
# filter object (or script) → Parse where, as Noodl would send it (docs/semantics.md#front-ends)

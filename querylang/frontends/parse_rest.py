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
- ``$relativeTime``, ``$geoIntersects``, Polygon objects in ``$polygon``, regexes inside
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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from querylang.errors import INVALID_JSON, INVALID_KEY_NAME, QueryError, QueryTypeError
from querylang.features.regex import check_options
from querylang.frontends.filters import build_where, related_to_id_key
from querylang.frontends.lower import holds_when_absent
from querylang.frontends.unparse import value as script_value
from querylang.model.jsvalues import UNDEFINED, JSDate, JSRegex, iso_ms, type_name
from querylang.model.schema import ClassDef, Schema, suggest
from querylang.model.values import parse_iso

__all__ = ["find", "to_parse_where", "to_script", "where_to_filter", "parse_order", "REST_DEFAULT_LIMIT"]

REST_DEFAULT_LIMIT = 100  # Parse's defaultLimit; the library itself has no cap (docs/semantics.md#paging)

# Parse's key rule for non-master queries (docs/semantics.md#front-ends; Parse's
# DatabaseController.validateQuery).
KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.]*$")
OPTIONS_RE = re.compile(r"^[imxs]+$")

LOGIC = {"$and": "and", "$or": "or", "$nor": "nor"}
COMPARE = {
    "$eq": "equalTo",
    "$ne": "notEqualTo",
    "$lt": "lessThan",
    "$lte": "lessThanOrEqualTo",
    "$gt": "greaterThan",
    "$gte": "greaterThanOrEqualTo",
}
LISTS = {"$in": "containedIn", "$nin": "notContainedIn", "$all": "all", "$containedBy": "containedBy"}
# $maxDistance* in the order Parse lets them win: it handles constraint keys in reverse
# alphabetical order and each one overwrites $maxDistance, so the last handled wins (docs/semantics.md#geo).
DISTANCES = {
    "$maxDistance": "maxDistanceInRadians",
    "$maxDistanceInKilometers": "maxDistanceInKilometers",
    "$maxDistanceInMiles": "maxDistanceInMiles",
    "$maxDistanceInRadians": "maxDistanceInRadians",
}
SUB_QUERIES = {
    "$inQuery": "matchesQuery",
    "$notInQuery": "doesNotMatchQuery",
    "$select": "matchesKeyInQuery",
    "$dontSelect": "doesNotMatchKeyInQuery",
}
CONSTRAINTS = (
    *COMPARE, *LISTS, "$exists", "$regex", "$options", "$text", "$nearSphere", *DISTANCES,
    "$within", "$geoWithin", *SUB_QUERIES,
)
UNSUPPORTED = {
    "$geoIntersects": "$geoIntersects needs a Polygon field, which querylang does not have",
    "$relativeTime": "$relativeTime is not supported; give a Date",
}
# Parse pairs whose lists it merges (RestQuery transformInQuery / transformSelect): OR, not AND.
MERGED_LISTS = ({"$in", "$inQuery", "$select"}, {"$nin", "$notInQuery", "$dontSelect"})
TOP_LEVEL = (*LOGIC, "$relatedTo")
# Words of the filter vocabulary: a Parse field with one of these names cannot be expressed.
FILTER_KEYWORDS = {"and", "or", "nor", "idEqualTo", "idContainedIn", "relatedTo"}


# ==========================================================================================
# Parse where → filter object


def where_to_filter(where: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """The filter object for a Parse REST ``where`` (a dict, or its JSON text) (docs/semantics.md#front-ends)."""
    if where is None:
        return {}
    if isinstance(where, str):
        where = _json_object(where, "where")
    if not isinstance(where, Mapping):
        raise QueryTypeError(f"where must be a JSON object, got {type_name(where)}")
    return _where(where)


def _json_object(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise QueryError(f"{what} is not valid JSON: {exc}", code=INVALID_JSON) from None


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
            out[key] = _constraint(key, value)
    return out


def _check_key(key: str) -> None:
    """Field names: Parse's key rule (105), and no clash with the filter vocabulary."""
    if key in ("_rperm", "_wperm"):
        raise QueryError(f"'{key}' queries are not supported (querylang has no ACLs)")
    if not KEY_RE.match(key):
        hint = suggest(key, TOP_LEVEL) if key.startswith("$") else None
        raise QueryError(f"Invalid key name: {key}", code=INVALID_KEY_NAME, hint=hint)
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
    return {"equalTo": value}


def _operators(field: str, ops: Mapping[str, Any]) -> dict[str, Any]:
    """``{$gt: 1, $lt: 5}`` → ``{greaterThan: 1, lessThan: 5}``: several operators are ANDed."""
    plain = [k for k in ops if not k.startswith("$")]
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
        elif op in ("$inQuery", "$notInQuery"):
            out[SUB_QUERIES[op]] = _in_query(op, operand)
        elif op in ("$select", "$dontSelect"):
            out[SUB_QUERIES[op]] = _select(op, operand)
        elif op in UNSUPPORTED:
            raise QueryError(UNSUPPORTED[op])
        else:
            raise QueryError(f"unknown constraint '{op}' on '{field}'", hint=suggest(op, CONSTRAINTS))
    return out


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
        raise QueryTypeError(f"bad regex: {pattern!r}")
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
    _known_keys(operand, ("$search",), "$text")
    _known_keys(search, ("$term", "$language", "$caseSensitive", "$diacriticSensitive"), "$search")
    term = search.get("$term")
    if not isinstance(term, str) or not term:
        raise QueryTypeError("bad $text: $term, should be string")
    out: dict[str, Any] = {"term": term}
    if "$language" in search:
        if not isinstance(search["$language"], str):
            raise QueryTypeError("bad $text: $language, should be string")
        out["language"] = search["$language"]
    for flag in ("$caseSensitive", "$diacriticSensitive"):
        if flag in search:
            if not isinstance(search[flag], bool):
                raise QueryTypeError(f"bad $text: {flag}, should be boolean")
            out[flag[1:]] = search[flag]
    return {"search": out}


def _known_keys(obj: Mapping[str, Any], known: Sequence[str], what: str) -> None:
    for k in obj:
        if k not in known:
            raise QueryError(f"unknown key '{k}' in {what}", hint=suggest(k, known))


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
    _known_keys(operand, ("$polygon", "$centerSphere"), "$geoWithin")
    if len(operand) != 1:
        raise QueryTypeError("bad $geoWithin value; give one of $polygon or $centerSphere")
    if "$polygon" in operand:
        return {"withinPolygon": _polygon(operand["$polygon"])}
    return {"withinSphere": _center_sphere(operand["$centerSphere"])}


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
    return {"key": operand["key"], "className": query["className"], "where": _where(where)}


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
) -> Any:
    """Parse REST ``find``: the Result of ``db.query`` for a where document.

    ``limit`` defaults to 100 as Parse's REST API does (docs/semantics.md#paging); pass a number for more.
    ``include``/``keys`` are passed to ``db.query`` as ``include=``/``select=`` lists.
    """
    extra: dict[str, Any] = {}
    if include is not None or keys is not None:
        params = inspect.signature(db.query).parameters
        if "include" not in params or "select" not in params:
            raise QueryError("include/keys not supported yet")
        extra = {"include": _key_list(include, "include"), "select": _key_list(keys, "keys")}
    return db.query(
        class_name,
        where_to_filter(where),
        sort=parse_order(order),
        limit=REST_DEFAULT_LIMIT if limit is None else _rest_number(limit, "limit"),
        skip=None if skip is None else _rest_number(skip, "skip"),
        count=bool(count),
        **extra,
    )


def _key_list(value: str | Sequence[str] | None, what: str) -> list[str] | None:
    """``"a,b.c"`` or ``["a", "b.c"]`` → ``["a", "b.c"]`` (Parse joins arrays with ',', docs/semantics.md#include-select)."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    if not all(isinstance(i, str) for i in items):
        raise QueryTypeError(f"{what} must be a string or a list of strings")
    return [i.strip() for i in items if i.strip()]


def _rest_number(value: object, what: str) -> Any:
    """REST parameters may arrive as text (``limit=10`` in a URL): read digits as a number."""
    if isinstance(value, str):
        if not value.strip().isdigit():
            raise QueryTypeError(f"{what} must be a whole number, got {value!r}")
        return int(value)
    return value


# ==========================================================================================
# filter object (or script) → Parse where, as Noodl would send it (docs/semantics.md#front-ends)


@dataclass(frozen=True)
class _Ctx:
    """What the Noodl → Parse translation knows: the schema and the queried class, if given."""

    schema: Schema | None
    cls: ClassDef | None

    def field_type(self, name: str) -> tuple[str | None, str | None]:
        f = self.cls.fields.get(name) if self.cls is not None else None
        return (f.type, f.target) if f is not None else (None, None)

    def target(self, class_name: str | None) -> _Ctx:
        if self.schema is None or class_name is None or class_name not in self.schema:
            return _Ctx(self.schema, None)
        return _Ctx(self.schema, self.schema.get(class_name))


NOODL_COMPARE = {v: k for k, v in COMPARE.items()}
NOODL_OPERATORS = (
    *NOODL_COMPARE, "exists", "containedIn", "notContainedIn", "pointsTo", "matchesRegex",
    "options", "text", "nearSphere", "withinBox", "withinPolygon", "withinSphere", "all",
    "containedBy", "matchesQuery", "doesNotMatchQuery", "matchesKeyInQuery", "doesNotMatchKeyInQuery",
)
NOODL_DISTANCES = ("maxDistanceInMiles", "maxDistanceInKilometers", "maxDistanceInRadians")


def to_parse_where(
    script_or_filter: str | Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None = None,
    schema: Schema | None = None,
    *,
    class_name: str | None = None,
) -> dict[str, Any]:
    """The Parse ``where`` Noodl would send for a filter script or filter object (docs/semantics.md#front-ends).

    With ``schema`` and ``class_name`` the filter is first checked as ``db.query`` would check
    it, and the schema supplies what Noodl takes from its caches: Pointer class names, the
    owner class of ``relatedTo``, Date conversion of ISO strings. Without them, class names
    the filter does not spell out are left out. Unlike Noodl, every operator of a field is
    kept (ANDed) and several keys are allowed (docs/semantics.md#noodl-differences); conditions on one field are merged into
    one constraint object, or put in ``$and`` when they cannot be.
    """
    source = script_or_filter if isinstance(script_or_filter, str) else None
    pos = None
    if source is not None:
        from querylang.script.interpreter import (
            run_script,  # lazily, as api.py does: the interpreter loads lark
        )

        ran = run_script(source, inputs or {})
        where, pos = ran.where, ran.where_pos
    else:
        where = script_or_filter
    if where is UNDEFINED or where is None:
        return {}
    ctx = _Ctx(schema, schema.get(class_name) if schema is not None and class_name else None)
    try:
        if ctx.cls is not None and schema is not None:
            build_where(where, ctx.cls, schema, pos=pos)
        return _filter_to_where(where, ctx)
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
            if pos is not None:
                exc.at(*pos)
        raise


def _filter_to_where(filt: object, ctx: _Ctx) -> dict[str, Any]:
    """One filter object → one where object; keys ANDed (Noodl allows one key, docs/semantics.md#noodl-differences)."""
    if not isinstance(filt, Mapping):
        raise QueryTypeError(f"a filter must be an object, got {type_name(filt)}")
    parts: list[tuple[str, Any]] = []
    for key, value in filt.items():
        if key in ("and", "or", "nor"):
            logic = _logic_out(key, value, ctx)
            if logic is not None:
                parts.append(("$" + key, logic))
        elif key == "idEqualTo":
            if value is UNDEFINED:
                raise QueryError("idEqualTo needs an id (the input is undefined)")
            parts.append(("objectId", {"$eq": _id_of(value, "idEqualTo")[0]}))
        elif key == "idContainedIn":
            if value is UNDEFINED:
                raise QueryError("idContainedIn needs a list of ids (the input is undefined)")
            parts.append(("objectId", {"$in": [i for i, _ in _ids_of(value, "idContainedIn")]}))
        elif key == "relatedTo":
            parts.append(("$relatedTo", _related_out(value, ctx)))
        elif value is not UNDEFINED:
            parts.extend(_field_out(key, value, ctx))
    return _merge(parts)


def _logic_out(key: str, value: object, ctx: _Ctx) -> list[dict[str, Any]] | None:
    """``and/or/nor`` → ``$and/$or/$nor``; undefined items dropped, ``and: []`` is no condition."""
    if value is UNDEFINED:
        return None
    if not isinstance(value, list):
        raise QueryError(f"Bad ${key} format - use an array value.")
    items = [_filter_to_where(sub, ctx) for sub in value if sub is not UNDEFINED]
    if not items:
        if key == "and":
            return None
        raise QueryError(f"'{key}' needs at least one condition ('{key}: []' is ambiguous)")
    return items


def _id_of(value: object, what: str) -> tuple[str, str | None]:
    """An objectId (and the className, when the value names one) from an id string, a Pointer
    or a record-like ``{objectId}``/``{id}`` (docs/semantics.md#ids)."""
    cls = None
    if isinstance(value, Mapping):
        cls = value.get("className") if isinstance(value.get("className"), str) else None
        value = value.get("objectId", value.get("id"))
    if not isinstance(value, str):
        raise QueryTypeError(f"{what} needs an objectId string, got {type_name(value)}")
    return value, cls


def _ids_of(value: object, what: str) -> list[tuple[str, str | None]]:
    if not isinstance(value, list | tuple):
        raise QueryTypeError(f"{what} needs an array of ids, got {type_name(value)}")
    return [_id_of(v, what) for v in value if v is not UNDEFINED]


def _pointer(oid: str, class_name: str | None) -> dict[str, Any]:
    """A Parse Pointer; className left out when unknown (Noodl does the same on a cache miss)."""
    out: dict[str, Any] = {"__type": "Pointer"}
    if class_name is not None:
        out["className"] = class_name
    out["objectId"] = oid
    return out


def _related_out(value: object, ctx: _Ctx) -> dict[str, Any]:
    """``relatedTo: {id, key, className?}`` → ``$relatedTo`` with the owner class (docs/semantics.md#front-ends, docs/semantics.md#related-to).

    The owner class is the one the filter names, else the unique class of the schema with a
    Relation ``key`` to the queried class (Noodl reads it from its record cache instead).
    """
    if not isinstance(value, Mapping):
        raise QueryTypeError(f"relatedTo needs an object {{id, key}}, got {type_name(value)}")
    oid, key = related_to_id_key(value)
    owner_id, owner_class = _id_of(oid, "relatedTo id")
    if isinstance(value.get("className"), str):
        owner_class = value["className"]
    if owner_class is None and ctx.schema is not None and ctx.cls is not None:
        owners = ctx.schema.relation_owners(str(key), ctx.cls.name)
        owner_class = owners[0] if len(owners) == 1 else None
    return {"object": _pointer(owner_id, owner_class), "key": key}


def _is_operator_object(value: object, ftype: str | None) -> bool:
    """Operators (``{greaterThan: 3}``) or a value to equal (``{lang: 'en'}``, a Pointer)?

    The same reading as build.py when the field type is known; without a schema, an object
    with no known operator is an operator object too, so a typo is an error, not an equality.
    """
    if not isinstance(value, Mapping) or "__type" in value:
        return False
    if any(k in NOODL_OPERATORS for k in value):
        return True
    if ftype == "Object":
        return False
    return not (value and set(value) <= {"objectId", "className", "id"})


def _field_out(key: str, value: object, ctx: _Ctx) -> list[tuple[str, Any]]:
    """One field's conditions as ``(key, constraint)`` parts for :func:`_merge`."""
    if "." in key and ctx.cls is not None and key not in ctx.cls.fields:
        return _path_out(key, value, ctx)
    ftype, target = ctx.field_type(key)
    if not _is_operator_object(value, ftype):
        return _compare_out(key, "equalTo", value, ftype, target)
    assert isinstance(value, Mapping)
    parts: list[tuple[str, Any]] = []
    for op, operand in value.items():
        if operand is UNDEFINED or op == "options":
            continue  # dropped as Noodl drops it (docs/semantics.md#undefined); options travels with matchesRegex
        if op not in NOODL_OPERATORS:
            hint = suggest(op, [o for o in NOODL_OPERATORS if o != "options"])
            raise QueryError(
                f"unknown operator '{op}' on '{key}' (for equality with an object use equalTo)", hint=hint
            )
        parts.extend(_op_out(key, op, operand, value, ftype, target, ctx))
    if "options" in value and "matchesRegex" not in value:
        raise QueryError("'options' goes with matchesRegex")
    return parts


def _op_out(
    key: str, op: str, operand: Any, ops: Mapping[str, Any], ftype: str | None, target: str | None, ctx: _Ctx
) -> list[tuple[str, Any]]:
    """One Noodl operator → Parse, per the table of docs/semantics.md#front-ends."""
    if op in NOODL_COMPARE or op in ("containedIn", "notContainedIn"):
        return _compare_out(key, op, operand, ftype, target)
    if op == "pointsTo":
        return _points_to_out(key, operand, ftype, target)
    if op == "exists":
        return [(key, {"$exists": operand})]
    if op == "matchesRegex":
        return [(key, _regex_out(operand, ops.get("options", UNDEFINED)))]
    if op == "text":
        text = _text_out(operand)
        return [(key, text)] if text is not None else []
    if op in ("all", "containedBy"):
        if not isinstance(operand, list | tuple):
            raise QueryTypeError(f"{op} needs an array, got {type_name(operand)}")
        return [(key, {"$" + op: [_json(v, ftype) for v in operand if v is not UNDEFINED]})]
    if op in ("matchesQuery", "doesNotMatchQuery"):
        return [(key, _matches_query_out(op, operand, target, ctx))]
    if op in ("matchesKeyInQuery", "doesNotMatchKeyInQuery"):
        return [(key, _matches_key_out(op, operand, ctx))]
    return [(key, _geo_out(op, operand))]


def _compare_out(key: str, op: str, operand: Any, ftype: str | None, target: str | None) -> list[tuple[str, Any]]:
    """equalTo … greaterThanOrEqualTo, containedIn, notContainedIn with their values as Parse
    JSON. On a Relation field ids become Pointers: Parse needs the bare Pointer for "holds"
    and Pointers in ``$ne``/``$in``/``$nin`` (docs/semantics.md#relations)."""
    many = op in ("containedIn", "notContainedIn")
    if many and not isinstance(operand, list | tuple):
        raise QueryTypeError(f"{op} needs an array, got {type_name(operand)}", code=INVALID_JSON)
    if ftype == "Relation" and op in ("equalTo", "notEqualTo", "containedIn", "notContainedIn"):
        if many:
            ptrs = [_pointer(i, c or target) for i, c in _ids_of(operand, op)]
            return [(key, {"$in" if op == "containedIn" else "$nin": ptrs})]
        oid, c = _id_of(operand, op)
        return [(key, _pointer(oid, c or target) if op == "equalTo" else {"$ne": _pointer(oid, c or target)})]
    parse_op = {"containedIn": "$in", "notContainedIn": "$nin"}.get(op) or NOODL_COMPARE[op]
    if many:
        return [(key, {parse_op: [_json(v, ftype, target) for v in operand if v is not UNDEFINED]})]
    return [(key, {parse_op: _json(operand, ftype, target)})]


def _points_to_out(key: str, operand: Any, ftype: str | None, target: str | None) -> list[tuple[str, Any]]:
    """pointsTo → ``$eq`` Pointer / ``$in`` Pointers; on a Relation the bare Pointer for one
    id, ``$in`` for several (Noodl puts the list inside one Pointer, docs/semantics.md#noodl-differences)."""
    if isinstance(operand, list | tuple):
        ptrs = [_pointer(i, c or target) for i, c in _ids_of(operand, "pointsTo")]
        return [(key, {"$in": ptrs})]
    oid, c = _id_of(operand, "pointsTo")
    ptr = _pointer(oid, c or target)
    return [(key, ptr if ftype == "Relation" else {"$eq": ptr})]


def _regex_out(pattern: object, options: object) -> dict[str, Any]:
    """matchesRegex (a string or a ``/regex/flags`` literal) + options → ``$regex/$options``."""
    if options is UNDEFINED or options is None:
        options = ""
    if not isinstance(options, str):
        raise QueryTypeError(f"options must be a string, got {type_name(options)}")
    if isinstance(pattern, JSRegex):
        text, flags = pattern.pattern, pattern.flags + options
    elif isinstance(pattern, str):
        text, flags = pattern, options
    else:
        raise QueryTypeError(f"matchesRegex needs a string or a /regex/, got {type_name(pattern)}")
    merged = check_options(flags)
    return {"$regex": text, "$options": merged} if merged else {"$regex": text}


def _text_out(operand: object) -> dict[str, Any] | None:
    """text.search → ``$text.$search`` (a bare term gets ``$caseSensitive: false``, as Noodl)."""
    if not isinstance(operand, Mapping) or "search" not in operand:
        raise QueryTypeError("text needs {search: 'term'}")
    search = operand["search"]
    if search is UNDEFINED:
        return None
    if isinstance(search, str):
        return {"$text": {"$search": {"$term": search, "$caseSensitive": False}}}
    if not isinstance(search, Mapping):
        raise QueryTypeError(f"text.search must be a string or an object, got {type_name(search)}")
    out = {
        "$" + k: search[k]
        for k in ("term", "language", "caseSensitive", "diacriticSensitive")
        if search.get(k, UNDEFINED) is not UNDEFINED
    }
    return {"$text": {"$search": out}}


def _geo_point_out(p: object, what: str) -> dict[str, Any]:
    if not isinstance(p, Mapping):
        raise QueryTypeError(f"{what} needs GeoPoints {{latitude, longitude}}, got {type_name(p)}")
    return {"__type": "GeoPoint", "latitude": p.get("latitude"), "longitude": p.get("longitude")}


def _geo_out(op: str, operand: object) -> dict[str, Any]:
    """nearSphere / withinBox / withinPolygon / withinSphere → Parse geo constraints (docs/semantics.md#front-ends, docs/semantics.md#geo)."""
    if op == "nearSphere":
        out = {"$nearSphere": _geo_point_out(operand, op)}
        assert isinstance(operand, Mapping)
        for name in NOODL_DISTANCES:
            if operand.get(name, UNDEFINED) is not UNDEFINED:
                out["$" + name] = operand[name]
        return out
    if op == "withinSphere":
        if not isinstance(operand, Mapping) or "center" not in operand or "radians" not in operand:
            raise QueryTypeError("withinSphere needs {center: {latitude, longitude}, radians}")
        c = _geo_point_out(operand["center"], op)
        return {"$geoWithin": {"$centerSphere": [[c["longitude"], c["latitude"]], operand["radians"]]}}
    if not isinstance(operand, list | tuple):
        raise QueryTypeError(f"{op} needs a list of GeoPoints, got {type_name(operand)}")
    points = [_geo_point_out(p, op) for p in operand]
    if op == "withinBox":
        return {"$within": {"$box": points}}
    return {"$geoWithin": {"$polygon": points}}


def _matches_query_out(op: str, operand: object, target: str | None, ctx: _Ctx) -> dict[str, Any]:
    """matchesQuery → ``$inQuery: {where, className}`` (Parse requires the className, docs/semantics.md#front-ends)."""
    sub = operand
    class_name = target
    if isinstance(sub, Mapping) and "where" in sub and set(sub) <= {"where", "className"}:
        if isinstance(sub.get("className"), str):
            class_name = sub["className"]
        sub = sub["where"]
    if class_name is None:
        raise QueryError(f"{op} needs the target className (give it, or schema= and class_name=)")
    parse_op = "$inQuery" if op == "matchesQuery" else "$notInQuery"
    return {parse_op: {"where": _filter_to_where(sub, ctx.target(class_name)), "className": class_name}}


def _matches_key_out(op: str, operand: object, ctx: _Ctx) -> dict[str, Any]:
    """matchesKeyInQuery {key, className, where} → ``$select: {query: {className, where}, key}``."""
    if not isinstance(operand, Mapping) or not isinstance(operand.get("key"), str):
        raise QueryError(f"improper usage of {op}: needs {{key, className, where}}")
    class_name = operand.get("className", ctx.cls.name if ctx.cls is not None else None)
    if not isinstance(class_name, str):
        raise QueryError(f"{op} needs a className (give it, or schema= and class_name=)")
    where = _filter_to_where(operand.get("where") or {}, ctx.target(class_name))
    parse_op = "$select" if op == "matchesKeyInQuery" else "$dontSelect"
    return {parse_op: {"query": {"className": class_name, "where": where}, "key": operand["key"]}}


def _path_out(key: str, value: object, ctx: _Ctx) -> list[tuple[str, Any]]:
    """``'Owner.author.name'`` through a Pointer → ``Owner: {$inQuery: ...}`` (what Parse's dot
    notation cannot say: it reads into Object fields, docs/semantics.md#objects). A condition that holds for an absent
    value (notEqualTo, exists: false ...) becomes ``$notInQuery`` of its negation, as build.py
    does, so absent and dangling pointers keep its meaning (docs/semantics.md#pointer-paths)."""
    head, rest = key.split(".", 1)
    ftype, target = ctx.field_type(head)
    if ftype != "Pointer" or target is None or ctx.schema is None:
        return _field_out(key, value, _Ctx(ctx.schema, None))  # Parse's own dot notation
    sub_ctx = ctx.target(target)
    inner = _filter_to_where({rest: value}, sub_ctx)
    if not inner:
        return []
    if sub_ctx.cls is not None and _holds_when_absent({rest: value}, sub_ctx.cls, ctx.schema):
        return [(head, {"$notInQuery": {"where": {"$nor": [inner]}, "className": target}})]
    return [(head, {"$inQuery": {"where": inner, "className": target}})]


def _holds_when_absent(filt: Mapping[str, Any], cls: ClassDef, schema: Schema) -> bool:
    """Does the filter hold for a record of ``cls`` whose fields are all absent?"""
    return holds_when_absent(build_where(filt, cls, schema))


def _json(v: object, ftype: str | None = None, target: str | None = None) -> Any:
    """A script value as Parse JSON: Dates as ``{__type: 'Date', iso}`` everywhere (Noodl only
    converts direct comparison operands, docs/semantics.md#noodl-differences), ISO strings on Date fields as Dates, ids on
    Pointer fields as Pointers, undefined members removed (docs/semantics.md#types, docs/semantics.md#undefined)."""
    if isinstance(v, JSDate):
        if not v.valid:
            raise QueryTypeError("Invalid Date")
        return {"__type": "Date", "iso": v.iso()}
    if isinstance(v, datetime):
        return {"__type": "Date", "iso": iso_ms(v)}
    if isinstance(v, JSRegex):
        raise QueryTypeError("a regular expression is only valid as a matchesRegex value")
    if isinstance(v, float) and not math.isfinite(v):
        raise QueryTypeError("NaN and Infinity are not valid query values")
    if isinstance(v, str) and ftype == "Date":
        d = parse_iso(v)
        return {"__type": "Date", "iso": iso_ms(d)} if d is not None else v
    if ftype == "Pointer" and (isinstance(v, str) or (isinstance(v, Mapping) and "__type" not in v)):
        oid, c = _id_of(v, "a Pointer value")
        return _pointer(oid, c or target)
    if isinstance(v, list | tuple):
        return [_json(x) for x in v if x is not UNDEFINED]
    if isinstance(v, Mapping):
        return {str(k): _json(x) for k, x in v.items() if x is not UNDEFINED}
    return v


_NONMERGEABLE = {"$in", "$inQuery", "$select", "$nin", "$notInQuery", "$dontSelect"}


def _mergeable(a: Any, b: Any) -> bool:
    """Two constraint objects on one field can share an object when no operator repeats and
    none of Parse's list-merging pairs (``$in`` + ``$inQuery`` …, which OR) would form."""
    if not (_is_constraint(a) and _is_constraint(b)):
        return False
    if set(a) & set(b):
        return False
    return not any(len(group & (set(a) | set(b))) > 1 for group in MERGED_LISTS)


def _is_constraint(v: Any) -> bool:
    return isinstance(v, Mapping) and bool(v) and all(str(k).startswith("$") for k in v)


def _merge(parts: list[tuple[str, Any]]) -> dict[str, Any]:
    """Parts → one where object; a part that cannot share its key goes into ``$and``.

    A ``$relatedTo`` next to ``$or``/``$and`` moves into ``$and``: Parse reduces ``$relatedTo``
    only in an object without ``$or``/``$and`` (docs/semantics.md#related-to).
    """
    out: dict[str, Any] = {}
    extra: list[dict[str, Any]] = []
    for key, value in parts:
        if key not in out:
            out[key] = value
        elif _mergeable(out[key], value):
            out[key] = {**out[key], **value}
        else:
            extra.append({key: value})
    if "$relatedTo" in out and ("$or" in out or "$and" in out):
        extra.insert(0, {"$relatedTo": out.pop("$relatedTo")})
        if "$or" in out:
            extra.append({"$or": out.pop("$or")})
    if extra:
        out["$and"] = [*out.get("$and", []), *extra]
    return out


# ==========================================================================================
# Parse where → filter script


def to_script(where_json: Mapping[str, Any] | str | None) -> str:
    """The filter script for a Parse ``where``: ``where({...})`` (no schema needed)."""
    return f"where({script_value(where_to_filter(where_json))})"

"""Filter objects and scripts → Parse REST ``where`` JSON: what Noodl sends for a filter.

``to_parse_where(script_or_filter, inputs, schema, class_name=...)`` is the document a Noodl
Query Records node sends to Parse; ``to_script(where)`` goes back to a filter script through
:func:`querylang.frontends.parse_rest.where_to_filter` and the unparser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from querylang.errors import (
    INVALID_JSON,
    INVALID_KEY_NAME,
    LimitExceeded,
    QueryError,
    QueryTypeError,
    SchemaError,
)
from querylang.features.geo import NOODL_MILES, geo_node
from querylang.features.regex import check_options
from querylang.features.text import text_node
from querylang.frontends.filters import (
    build_where,
    check_inputs,
    check_matches_key_operand,
    check_query_wrapper,
    check_where,
    key_pos,
    related_to_id_key,
)
from querylang.frontends.lower import holds_when_absent
from querylang.frontends.operands import REGEX_ONLY, python_date, regex_as_value
from querylang.frontends.parse_rest import KEY_RE, MERGED_LISTS, where_to_filter
from querylang.frontends.places import in_where_of, naming
from querylang.frontends.unparse import value as script_value
from querylang.model import nodes as n
from querylang.model.jsvalues import (
    UNDEFINED,
    JSDate,
    JSObject,
    JSRegex,
    described,
    iso_ms,
    type_name,
)
from querylang.model.nodes import Pos
from querylang.model.operators import (
    DISTANCE_UNITS,
    FIELD_OPERATORS,
    REST_COMPARE,
    is_operator_object,
)
from querylang.model.operators import TOP_LEVEL as FILTER_TOP_LEVEL
from querylang.model.schema import ClassDef, Schema, given_schema, suggest
from querylang.model.values import native, parse_iso

__all__ = ["to_parse_where", "to_script"]


@dataclass(frozen=True)
class _Ctx:
    """What the Noodl → Parse translation knows: the schema and the queried class, if given."""

    schema: Schema | None
    cls: ClassDef | None
    pointer_classes: Mapping[str, str] = field(default_factory=dict)  # field → its target class

    def field_type(self, name: str) -> tuple[str | None, str | None]:
        f = self.cls.fields.get(name) if self.cls is not None else None
        if f is not None:
            return f.type, f.target
        # Without a schema, pointer_classes is what says a field is a Pointer: its ids in
        # equalTo/containedIn become Pointers too, as pointsTo's do (and as with a schema).
        target = self.pointer_classes.get(name)
        return ("Pointer" if target is not None and self.cls is None else None), target

    def target(self, class_name: str | None) -> _Ctx:
        if self.schema is None or class_name is None or class_name not in self.schema:
            return _Ctx(self.schema, None, self.pointer_classes)
        return _Ctx(self.schema, self.schema.get(class_name), self.pointer_classes)


NOODL_COMPARE = {name: rest for rest, name in REST_COMPARE.items()}
NOODL_OPERATORS = FIELD_OPERATORS
NOODL_DISTANCES = DISTANCE_UNITS


def to_parse_where(
    script_or_filter: str | Mapping[str, Any] | None,
    inputs: Mapping[str, Any] | None = None,
    schema: Schema | None = None,
    *,
    class_name: str | None = None,
    pointer_classes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Parse ``where`` Noodl would send for a filter script or filter object (docs/semantics.md#front-ends).

    With ``schema`` and ``class_name`` the filter is first checked as ``db.query`` would check
    it, and the schema supplies what Noodl takes from its caches: Pointer class names, the
    owner class of ``relatedTo``, Date conversion of ISO strings. Without them,
    ``pointer_classes`` (``{"Owner": "Post"}``: field → the class it points to) names the
    classes of pointer operands; a Pointer whose class nothing names is an error, as Parse
    refuses a Pointer without ``className``. Unlike Noodl, every operator of a field is
    kept (ANDed) and several keys are allowed (docs/semantics.md#noodl-differences); conditions on one field are merged into
    one constraint object, or put in ``$and`` when they cannot be. The rules of a whole where
    (check_where: one text search, none under ``nor``, ...) hold with or without a schema.
    """
    if isinstance(schema, Mapping):  # the interchange format's classes, as querylang.matches takes them
        schema = given_schema(schema)
    if schema is not None and not isinstance(schema, Schema):
        # A str failed with Python's AttributeError on first use.
        raise QueryTypeError(f"to_parse_where() needs schema= as a Schema (db.schema) or the interchange 'classes' "
                             f"object, not {type_name(schema)}")
    if pointer_classes is not None and not (
        isinstance(pointer_classes, Mapping) and all(isinstance(c, str) and c for c in pointer_classes.values())
    ):
        # A list failed with Python's AttributeError; {"Owner": 5} was sent as className 5.
        raise QueryTypeError("to_parse_where() needs pointer_classes= as an object {field: class name}, "
                             f"not {described(pointer_classes, 60)}")
    if (schema is None) != (class_name is None):
        # One without the other was ignored: the filter went unchecked, its Pointers' classes unknown.
        given, missing = ("schema=", "class_name= (the class the filter is for)") if schema is not None else (
            "class_name=", "schema= (db.schema)")
        raise QueryError(f"to_parse_where() was given {given} without {missing}: the two are used together")
    check_inputs(script_or_filter, inputs)
    source = script_or_filter if isinstance(script_or_filter, str) else None
    pos = None
    if source is not None:
        from querylang.script.interpreter import (
            run_script,  # lazily, as api.py does: the interpreter loads lark
        )

        ran = run_script(source, {} if inputs is None else inputs)
        where, pos = ran.where, ran.where_pos
    else:
        where = script_or_filter
    if where is UNDEFINED or where is None:
        return {}
    ctx = _Ctx(schema, schema.get(class_name) if schema is not None and class_name else None, pointer_classes or {})
    try:
        built = build_where(where, ctx.cls, schema, pos=pos) if ctx.cls is not None and schema is not None else None
        out = _filter_to_where(where, ctx)
        shape = built if built is not None else _shape(where, pos, ctx)
    except RecursionError:
        # Without a schema nothing checks the nesting first (build_where does, with one):
        # a filter or value thousands of levels deep ended in Python's RecursionError.
        raise _too_deep() from None
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
            if pos is not None:
                exc.at(*pos)
        raise
    try:
        # The rules of a whole where that every engine holds a query to (a text search under
        # nor, nearSphere under or, two of either): unchecked, a where db.query refuses went to
        # Parse as it was. Placed as db.query places them (a second nearSphere at none).
        check_where(shape)
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
        raise
    return out


def _shape(filt: object, pos: Pos | None, ctx: _Ctx) -> n.Node:
    """What check_where looks at in a filter translated without its class (nothing built its
    nodes): its and/or/nor, its text searches and nearSpheres, and its sub-queries' wheres
    (queries of their own). Called once the translation checked each operand."""
    if not isinstance(filt, Mapping):
        return n.TRUE
    pos = filt.pos if isinstance(filt, JSObject) and filt.pos else pos
    items: list[n.Node] = []
    for key, value in filt.items():
        kpos = key_pos(filt, key, pos)
        if key in ("and", "or", "nor"):
            subs = tuple(_shape(sub, kpos, ctx) for sub in value if sub is not UNDEFINED) \
                if isinstance(value, list | tuple) else ()
            if subs:
                logic = n.And(subs, pos=kpos) if key == "and" else n.Or(subs, pos=kpos)
                items.append(n.Not(logic, pos=kpos) if key == "nor" else logic)
        elif isinstance(value, Mapping) and key not in ("idEqualTo", "idContainedIn", "relatedTo") \
                and is_operator_object(value, ctx.field_type(key)[0]):
            for op, operand in value.items():
                node = _shape_op(key, op, operand, key_pos(value, op, kpos), ctx)
                if node is not None:
                    items.append(node)
    return n.And(tuple(items), pos=pos)


def _shape_op(key: str, op: str, operand: object, pos: Pos | None, ctx: _Ctx) -> n.Node | None:
    """One operator of :func:`_shape`: None for one check_where does not look at."""
    if operand is UNDEFINED:
        return None
    if op == "text":
        return text_node(key, operand, pos)
    if op == "nearSphere":
        return geo_node(key, op, operand, pos)
    if op in ("matchesQuery", "doesNotMatchQuery") and isinstance(operand, Mapping):
        sub = operand["where"] if "where" in operand and set(operand) <= {"where", "className"} else operand
        return n.MatchesQuery(key, _shape(sub, pos, ctx), pos=pos)
    if op in ("matchesKeyInQuery", "doesNotMatchKeyInQuery") and isinstance(operand, Mapping):
        return n.MatchesKey(key, "", "", _shape(operand.get("where", {}), pos, ctx), pos=pos)
    return None


def _too_deep() -> LimitExceeded:
    return LimitExceeded("the filter or a value in it nests too deeply to translate (a query allows 100 levels, docs/semantics.md#limits)")


def _filter_to_where(filt: object, ctx: _Ctx) -> dict[str, Any]:
    """One filter object → one where object; keys ANDed (Noodl allows one key, docs/semantics.md#noodl-differences)."""
    if not isinstance(filt, Mapping):
        raise QueryTypeError(f"a filter must be an object, got {type_name(filt)}")
    parts: list[tuple[str, Any]] = []
    for key, value in filt.items():
        if not isinstance(key, str):  # as db.query says it (a Python mapping's key may be a number)
            raise QueryTypeError(f"filter keys must be strings, got {type_name(key)}")
        try:
            parts.extend(_key_out(key, value, ctx))
        except QueryError as exc:
            raise naming(_at(exc, filt, key), key) from None
    return _merge(parts)


def _key_out(key: str, value: object, ctx: _Ctx) -> list[tuple[str, Any]]:
    """One key of a filter object as ``(key, constraint)`` parts for :func:`_merge`."""
    if key in ("and", "or", "nor"):
        logic = _logic_out(key, value, ctx)
        return [("$" + key, logic)] if logic is not None else []
    if key == "idEqualTo":
        if value is UNDEFINED:
            raise QueryError("idEqualTo needs an id (the input is undefined)")
        return [("objectId", {"$eq": _id_of(value, "idEqualTo")[0]})]
    if key == "idContainedIn":
        if value is UNDEFINED:
            raise QueryError("idContainedIn needs a list of ids (the input is undefined)")
        return [("objectId", {"$in": [i for i, _ in _ids_of(value, "idContainedIn")]})]
    if key == "relatedTo":
        return [("$relatedTo", _related_out(value, ctx))]
    if ctx.cls is None and not KEY_RE.match(key):
        # Without a schema nothing else checks the name: '$or' (Parse's spelling of or) went
        # out as a field, {$or: {$eq: [...]}}, a where Parse refuses for another reason.
        raise SchemaError(f"invalid field name '{key}'", code=INVALID_KEY_NAME, hint=suggest(key.lstrip("$"), FILTER_TOP_LEVEL))
    return _field_out(key, value, ctx) if value is not UNDEFINED else []


def _at(exc: QueryError, obj: object, key: str) -> QueryError:
    """The error placed at ``key`` where the script wrote it (a script's objects know where
    their keys are); without this it pointed at where(...), naming no field."""
    pos = (obj.positions.get(key) or obj.pos) if isinstance(obj, JSObject) else None
    return exc.at(*pos) if pos else exc


def _logic_out(key: str, value: object, ctx: _Ctx) -> list[dict[str, Any]] | None:
    """``and/or/nor`` → ``$and/$or/$nor``; undefined items dropped, ``and: []`` is no condition."""
    if value is UNDEFINED:
        return None
    if not isinstance(value, list | tuple):  # as filters._build_logic
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
    """A Parse Pointer. Parse refuses one without className (Noodl leaves it out on a cache
    miss, and the query fails there): so an unknown class is an error here."""
    if class_name is None:
        raise QueryError(
            f"the class of the record '{oid}' points to is not known: give schema= and class_name= "
            "(or pointer_classes={field: class}), or write the className in the filter"
        )
    return {"__type": "Pointer", "className": class_name, "objectId": oid}


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


def _field_out(key: str, value: object, ctx: _Ctx) -> list[tuple[str, Any]]:
    """One field's conditions as ``(key, constraint)`` parts for :func:`_merge`."""
    if "." in key and ctx.cls is not None and key not in ctx.cls.fields:
        return _path_out(key, value, ctx)
    ftype, target = ctx.field_type(key)
    if not is_operator_object(value, ftype):
        return _compare_out(key, "equalTo", value, ftype, target)
    assert isinstance(value, Mapping)
    if not value:
        # As db.query refuses it: dropped, the condition would select every record.
        raise QueryError(f"no operator given for '{key}'", hint="for equality with an empty object use equalTo: {}")
    parts: list[tuple[str, Any]] = []
    for op, operand in value.items():
        if operand is UNDEFINED or op == "options":
            continue  # dropped as Noodl drops it (docs/semantics.md#undefined); options travels with matchesRegex
        if op not in NOODL_OPERATORS:
            hint = suggest(op, [o for o in NOODL_OPERATORS if o != "options"])
            raise QueryError(
                f"unknown operator '{op}' on '{key}' (for equality with an object use equalTo)", hint=hint
            )
        try:
            parts.extend(_op_out(key, op, operand, value, ftype, target, ctx))
        except QueryError as exc:
            raise _at(exc, value, op) from None
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
        operand = native(operand)
        if not isinstance(operand, bool):  # as db.query says it: Parse reads $exists: 'no' as true
            raise QueryTypeError(f"exists needs true or false, got {type_name(operand)}")
        return [(key, {"$exists": operand})]
    if op == "matchesRegex":
        return [(key, _regex_out(operand, ops.get("options", UNDEFINED)))]
    if op == "text":
        text_node(key, operand, None)  # the operand checks db.query makes: no schema may have run them
        text = _text_out(operand)
        return [(key, text)] if text is not None else []
    if op in ("all", "containedBy"):
        if not isinstance(operand, list | tuple):
            raise QueryTypeError(f"{op} needs an array, got {type_name(operand)}")
        return [(key, {"$" + op: [_json(v, ftype, name=key) for v in operand if v is not UNDEFINED]})]
    if op in ("matchesQuery", "doesNotMatchQuery"):
        return [(key, _matches_query_out(op, operand, target, ctx))]
    if op in ("matchesKeyInQuery", "doesNotMatchKeyInQuery"):
        return [(key, _matches_key_out(op, operand, ctx))]
    geo_node(key, op, operand, None)  # the operand checks db.query makes: no schema may have run them
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
    if parse_op in ("$lt", "$lte", "$gt", "$gte") and ftype != "Pointer" and (
            isinstance(operand, list | tuple) or (isinstance(operand, Mapping) and operand.get("__type") != "Date")):
        # db.query refuses it on every field type (Parse's database would compare the array or
        # object by MongoDB's type order): without a schema nothing else did.
        raise QueryTypeError(f"range operators on '{key}' need a number, string, boolean or date")
    if many:
        # Parse flattens arrays inside $in/$nin one level (so does parse_rest): an array
        # element goes in one more array, or [[]] would reach the database as [] (no match).
        items = [_json(v, ftype, target, key) for v in operand if v is not UNDEFINED]
        return [(key, {parse_op: [[v] if isinstance(v, list) else v for v in items]})]
    return [(key, {parse_op: _json(operand, ftype, target, key)})]


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
        for k in TEXT_SEARCH_KEYS
        if search.get(k, UNDEFINED) is not UNDEFINED
    }
    return {"$text": {"$search": out}}


TEXT_SEARCH_KEYS = ("term", "language", "caseSensitive", "diacriticSensitive")


def _geo_point_out(p: object, what: str) -> dict[str, Any]:
    if not isinstance(p, Mapping):
        raise QueryTypeError(f"{what} needs GeoPoints {{latitude, longitude}}, got {type_name(p)}")
    return {"__type": "GeoPoint", "latitude": p.get("latitude"), "longitude": p.get("longitude")}


def _geo_out(op: str, operand: object) -> dict[str, Any]:
    """nearSphere / withinBox / withinPolygon / withinSphere / polygonContains → Parse geo
    constraints (docs/semantics.md#front-ends, docs/semantics.md#geo)."""
    if op == "nearSphere":
        out = {"$nearSphere": _geo_point_out(operand, op)}
        assert isinstance(operand, Mapping)
        for name in (*NOODL_DISTANCES, NOODL_MILES):
            if operand.get(name, UNDEFINED) is not UNDEFINED:
                out["$" + name.lstrip("$")] = operand[name]
        return out
    if op == "polygonContains":
        return {"$geoIntersects": {"$point": _geo_point_out(operand, op)}}
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
    named = sub.get("className") if isinstance(sub, Mapping) else None
    known = ctx.target(named if isinstance(named, str) else class_name).cls
    check_query_wrapper(op, sub, known.fields if known is not None else None)
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
    check_matches_key_operand(op, operand)
    assert isinstance(operand, Mapping)
    class_name = operand.get("className", ctx.cls.name if ctx.cls is not None else None)
    if not isinstance(class_name, str):
        raise QueryError(f"{op} needs a className (give it, or schema= and class_name=)")
    try:
        where = _filter_to_where(operand.get("where") or {}, ctx.target(class_name))
    except QueryError as exc:
        raise in_where_of(exc, op) from None
    parse_op = "$select" if op == "matchesKeyInQuery" else "$dontSelect"
    return {parse_op: {"query": {"className": class_name, "where": where}, "key": operand["key"]}}


def _path_out(key: str, value: object, ctx: _Ctx) -> list[tuple[str, Any]]:
    """``'Owner.author.name'`` through a Pointer → ``Owner: {$inQuery: ...}`` (what Parse's dot
    notation cannot say: it reads into Object fields, docs/semantics.md#objects). A condition that holds for an absent
    value (notEqualTo, exists: false ...) becomes ``$notInQuery`` of its negation, as build.py
    does, so absent and dangling pointers keep its meaning (docs/semantics.md#pointer-paths)."""
    head, rest = key.split(".", 1)
    ftype, target = ctx.field_type(head)
    if ftype == "Object" and not is_operator_object(value, "ObjectPath"):
        # Into an Object field an object without operator words is a value to equal, as
        # build.py reads it: read as operators, {} vanished (every record) and {x: 1} was refused.
        return _compare_out(key, "equalTo", value, None, None)
    if ftype != "Pointer" or target is None or ctx.schema is None:
        return _field_out(key, value, _Ctx(ctx.schema, None, ctx.pointer_classes))  # Parse's own dot notation
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


def _json(v: object, ftype: str | None = None, target: str | None = None, name: str | None = None) -> Any:
    """A script value as Parse JSON: Dates as ``{__type: 'Date', iso}`` everywhere (Noodl only
    converts direct comparison operands, docs/semantics.md#noodl-differences), ISO strings on Date fields as Dates, ids on
    Pointer fields as Pointers, undefined members removed (docs/semantics.md#types, docs/semantics.md#undefined)."""
    v = native(v)  # numpy's int64 has no JSON form
    if isinstance(v, JSDate):
        if not v.valid:
            raise QueryTypeError("Invalid Date")
        return {"__type": "Date", "iso": v.iso()}
    if isinstance(v, date):  # a datetime (naive: UTC), or a Python date: midnight UTC
        return {"__type": "Date", "iso": iso_ms(python_date(v))}
    if isinstance(v, JSRegex):
        raise QueryTypeError(REGEX_ONLY, hint=regex_as_value(v, ftype))
    if isinstance(v, float) and not math.isfinite(v):
        raise QueryTypeError(f"'{name}': NaN and Infinity are not valid query values" if name
                             else "NaN and Infinity are not valid query values")
    if isinstance(v, str) and ftype == "Date":
        d = parse_iso(v)
        return {"__type": "Date", "iso": iso_ms(d)} if d is not None else v
    if ftype == "Pointer" and (isinstance(v, str) or (isinstance(v, Mapping) and "__type" not in v)):
        oid, c = _id_of(v, "a Pointer value")
        return _pointer(oid, c or target)
    if isinstance(v, list | tuple):
        return [_json(x, name=name) for x in v if x is not UNDEFINED]
    if isinstance(v, Mapping):
        return {str(k): _json(x, name=name) for k, x in v.items() if x is not UNDEFINED}
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
    filt = where_to_filter(where_json)  # refuses a where nested past the limit
    try:
        return f"where({script_value(filt)})"
    except RecursionError:  # a value in it thousands of levels deep
        raise _too_deep() from None

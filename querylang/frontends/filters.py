"""Filter objects → checked query nodes.

A filter object is what a script passes to ``where()`` (or what a caller hands to
``db.query`` directly). Building checks it against the class schema once, so the SQL compiler
and the reference evaluator never disagree on which queries are errors. Every error points
at the offending key of the script (docs/semantics.md#errors).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from querylang.errors import (
    INCORRECT_TYPE,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    LimitExceeded,
    QueryError,
    QueryTypeError,
    SchemaError,
)
from querylang.features.regex import check_options, compile_regex
from querylang.frontends.lower import lower, through_pointer
from querylang.frontends.operands import check_id_class, check_pointer_class, field_value, object_id
from querylang.frontends.places import in_where_of, naming
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, JSObject, JSRegex, Pos, type_name
from querylang.model.operators import (
    COMPARE,
    FIELD_OPERATOR_SET,
    FIELD_OPERATORS,
    REST_NAMES,
    TOP_LEVEL,
    is_operator_object,
)
from querylang.model.schema import ClassDef, Field, Schema, a_type, check_known_keys, suggest
from querylang.model.values import any_nested, native

# Operators the language knows but this version cannot run yet: a clear error, not a guess.
NOT_YET: tuple[str, ...] = ()
MAX_LIST = 100_000


MAX_FILTER_DEPTH = 100  # nested filter objects (and/or/nor, matchesQuery, paths)
# Keys of all the filter objects of one query: DuckDB plans a long chain of conditions in time
# that grows with its square and crashes the process past some 20,000 of them; a long list of
# values is one containedIn/notContainedIn condition, which has its own limit (MAX_LIST).
MAX_CONDITIONS = 5_000
# Inner queries of one filter (matchesQuery and doesNotMatchQuery, matchesKeyInQuery, a dotted
# path through a Pointer, relatedTo, a condition on a Relation): each is a sub-select, which
# DuckDB plans in time growing faster than their square (300: seconds) and refuses from some
# 800 ('max expression depth'). Real filters hold a few.
MAX_INNER_QUERIES = 100


@dataclass
class Ctx:
    """What every build step needs: the class, the schema, strictness, nesting depth, and the
    conditions counted so far (one count shared by the whole filter)."""

    cls: ClassDef
    schema: Schema
    strict: bool
    depth: int = 0
    conditions: list[int] = dataclass_field(default_factory=lambda: [0])
    inner_queries: list[int] = dataclass_field(default_factory=lambda: [0])

    def deeper(self, cls: ClassDef | None = None) -> Ctx:
        if self.depth >= MAX_FILTER_DEPTH:
            raise LimitExceeded(f"filter nests too deeply (max {MAX_FILTER_DEPTH} levels)")
        return Ctx(cls or self.cls, self.schema, self.strict, self.depth + 1, self.conditions, self.inner_queries)

    def inner_query(self, what: str) -> None:
        """Count one inner query (``what`` names its kind in the error)."""
        self.inner_queries[0] += 1
        if self.inner_queries[0] > MAX_INNER_QUERIES:
            raise LimitExceeded(
                f"the filter holds more than {MAX_INNER_QUERIES} inner queries (this one: {what}); "
                "a list of ids is one containedIn"
            )

    def count(self) -> None:
        self.conditions[0] += 1
        if self.conditions[0] > MAX_CONDITIONS:
            raise LimitExceeded(
                f"the filter holds more than {MAX_CONDITIONS} conditions (a long list of values is one "
                "containedIn or notContainedIn)"
            )


def key_pos(obj: object, key: str, fallback: Pos | None) -> Pos | None:
    if isinstance(obj, JSObject):
        return obj.positions.get(key) or obj.pos or fallback
    return fallback


def _err(exc: QueryError, pos: Pos | None) -> QueryError:
    return exc.at(*pos) if pos else exc


# How strict mode names an undefined operand (serve's browser, which has no inputs to give, looks for it).
STRICT_UNDEFINED = "(strict mode: undefined inputs are errors)"


def check_inputs(query: object, inputs: object) -> None:
    """``inputs`` are a script's ``Inputs``: a mapping, or None. With a filter object (or no
    query), which reads none, another value was taken and dropped; a mapping is left unused
    there, as a caller that passes its inputs to whatever query it runs (a script or a filter
    object, as Noodl's nodes do) gives them."""
    if inputs is not None and not isinstance(query, str) and not isinstance(inputs, Mapping):
        raise QueryTypeError(f"inputs must be a mapping of names to values, not {type_name(inputs)}")


def build_where(where: object, cls: ClassDef, schema: Schema, *, strict: bool = False, pos: Pos | None = None) -> n.Node:
    """The condition tree for a filter object (``UNDEFINED``/``None``/``{}`` = no condition),
    lowered (frontends/lower.py): what both engines run."""
    if where is UNDEFINED or where is None:
        return n.TRUE
    return lower(_build_object(where, Ctx(cls, schema, strict), pos))


def _build_object(obj: object, ctx: Ctx, pos: Pos | None) -> n.Node:
    if not isinstance(obj, Mapping):
        raise _err(QueryTypeError(f"a filter must be an object, got {type_name(obj)}"), pos)
    pos = obj.pos if isinstance(obj, JSObject) and obj.pos else pos
    items: list[n.Node] = []
    # Several keys in one object mean AND (docs/semantics.md#noodl-differences: Noodl's "one key" rule not copied).
    for key, value in obj.items():
        kpos = key_pos(obj, key, pos)
        if not isinstance(key, str):
            raise _err(QueryTypeError(f"filter keys must be strings, got {type_name(key)}"), pos)
        try:
            ctx.count()
            node = _build_key(key, value, ctx, kpos)
        except QueryError as exc:
            raise naming(_err(exc, kpos), key) from None
        if node is not None:
            items.append(node)
    return items[0] if len(items) == 1 else n.And(tuple(items), pos=pos)


def _build_key(key: str, value: object, ctx: Ctx, pos: Pos | None) -> n.Node | None:
    if key in ("and", "or", "nor"):
        return _build_logic(key, value, ctx, pos)
    if key == "idEqualTo":
        if value is UNDEFINED:
            raise QueryError("idEqualTo needs an id (the input is undefined)")
        check_id_class(value, key, ctx.cls.name)
        return n.Compare("objectId", "eq", object_id(value, "idEqualTo"), pos=pos)
    if key == "idContainedIn":
        if value is UNDEFINED:
            raise QueryError("idContainedIn needs a list of ids (the input is undefined)")
        check_id_class(value, key, ctx.cls.name)
        return n.In("objectId", tuple(_ids(value, "idContainedIn", ctx)), pos=pos)
    if key == "relatedTo":
        return _build_related_to(value, ctx, pos)
    if "." in key and key not in ctx.cls.fields:
        return _build_path(key, value, ctx, pos)
    field = ctx.cls.fields.get(key)
    if field is None:
        raise ctx.cls.no_field(key, suggest(key, [*ctx.cls.fields, *TOP_LEVEL]))
    if field.type == "ACL":
        # Parse refuses it too (102): an ACL is kept and returned, never a condition.
        raise QueryError("Cannot query on ACL.", code=INVALID_QUERY)
    if value is UNDEFINED:
        return _dropped(ctx, f"the value for '{key}' is undefined")
    if is_operator_object(value, field.type):
        return _build_field(field, value, ctx, pos)  # type: ignore[arg-type]
    # Parse's equality shorthand {score: 5}; {score: null} = equalTo null (docs/semantics.md#filter-keys).
    return _build_op(field, "equalTo", value, None, ctx, pos)


def _dropped(ctx: Ctx, why: str) -> n.Node | None:
    """An undefined operand drops its condition (None), as in Noodl, unless strict (docs/semantics.md#undefined)."""
    if ctx.strict:
        raise QueryError(f"{why} {STRICT_UNDEFINED}")
    return None


# Operators whose operand holds filters of its own (their undefined values meet these rules
# there) or whose undefined elements are skipped even in strict mode (docs/semantics.md#undefined).
_OWN_UNDEFINED_RULES = frozenset({"matchesQuery", "doesNotMatchQuery", "matchesKeyInQuery", "doesNotMatchKeyInQuery"})
_LIST_OPERATORS = frozenset({"containedIn", "notContainedIn", "pointsTo", "all", "containedBy"})


def _holds_undefined(value: object) -> bool:
    """Whether an undefined sits inside a value: an element of an array, a key of an object."""
    return any_nested(value, lambda v: v is UNDEFINED)


def _check_strict_inside(field: Field, op: str, operand: object) -> None:
    """In strict mode an undefined inside an operand is an error, as a whole undefined operand is.

    Building leaves it out as JSON would (``[Inputs.A]`` becomes ``[]``, ``{km: Inputs.Km}``
    loses its distance), which changed the condition with no word even when strict asked for one.
    The list operators' own elements have their rule (removed, an error when strict, or skipped),
    and so has ``text: {search: undefined}``.
    """
    if op in _OWN_UNDEFINED_RULES:
        return
    inner = operand
    if op in _LIST_OPERATORS and isinstance(operand, list | tuple):
        inner = [v for v in operand if v is not UNDEFINED]
    elif op == "text" and isinstance(operand, Mapping) and operand.get("search", None) is UNDEFINED:
        return
    if _holds_undefined(inner):
        raise QueryError(f"a value inside the operand of {op} on '{field.name}' is undefined {STRICT_UNDEFINED}")


def _build_logic(key: str, value: object, ctx: Ctx, pos: Pos | None) -> n.Node | None:
    if value is UNDEFINED:
        return _dropped(ctx, f"'{key}' is undefined")
    if not isinstance(value, list | tuple):  # a tuple is a list here, as containedIn takes it
        raise QueryError(f"Bad ${key} format - use an array value.")
    if len(value) > MAX_LIST:
        raise LimitExceeded(f"'{key}' has {len(value)} items (max {MAX_LIST})")
    items = []
    for i, sub in enumerate(value):
        if sub is UNDEFINED:
            continue
        spos = sub.pos if isinstance(sub, JSObject) and sub.pos else pos
        if sub is None or not isinstance(sub, Mapping):
            raise _err(QueryTypeError(f"'{key}' item {i} must be a filter object, got {type_name(sub)}"), spos)
        items.append(_build_object(sub, ctx.deeper(), spos))
    if key == "and":
        return n.And(tuple(items), pos=pos)
    if not items:
        raise QueryError(f"'{key}' needs at least one condition ('{key}: []' is ambiguous)")
    if key == "nor":
        return n.Not(n.Or(tuple(items), pos=pos), pos=pos)
    return n.Or(tuple(items), pos=pos)


def _build_path(key: str, value: object, ctx: Ctx, pos: Pos | None) -> n.Node | None:
    """``'Owner.author.name': {...}``: a condition on a field reached through Pointers.

    The value at the path is absent when a hop is absent or dangles. A condition that an
    absent value fails becomes "the pointer reaches a record where it holds"; one that an
    absent value satisfies (notEqualTo, exists: false ...) becomes "the pointer does not reach
    a record where it fails" — so both keep their meaning on absent values (docs/semantics.md#pointer-paths).
    """
    if "" in key.split("."):
        # 'Owner.' or 'Owner..title' went on to the target class and said "class Post has no
        # field ''", naming neither the key nor the class the user wrote it on.
        raise SchemaError(f"'{key}': a dotted path needs a field name before, between and after its dots")
    head, rest = key.split(".", 1)
    field = ctx.cls.fields.get(head)
    if field is None:
        raise ctx.cls.no_field(head, suggest(head, ctx.cls.fields))
    if field.type == "Object":
        path = ctx.cls.field(key)  # an ObjectPath pseudo-field, or an invalid-key error
        if value is UNDEFINED:
            return _dropped(ctx, f"the value for '{key}' is undefined")
        if is_operator_object(value, path.type):
            return _build_field(path, value, ctx, pos)  # type: ignore[arg-type]
        return _build_op(path, "equalTo", value, None, ctx, pos)
    if field.type != "Pointer":
        raise QueryTypeError(
            f"'{key}': dot notation follows Pointer and Object fields; '{head}' is {a_type(field.type)}",
            code=INVALID_KEY_NAME,
        )
    target = ctx.schema.get(field.target or "")
    ctx.inner_query(f"the path '{key}'")
    inner = _build_key(rest, value, ctx.deeper(target), pos)
    if inner is None:
        return None
    return through_pointer(head, inner, pos)


def _ids(value: object, what: str, ctx: Ctx, place: str | None = None) -> list[str]:
    if not isinstance(value, list | tuple):
        raise QueryTypeError(f"{what} needs an array of ids, got {type_name(value)}")
    if len(value) > MAX_LIST:
        raise LimitExceeded(f"{what} has {len(value)} items (max {MAX_LIST})")
    out = []
    for v in value:
        if v is UNDEFINED:
            _dropped(ctx, f"an element of {what} is undefined")
            continue
        out.append(object_id(v, what, place))
    return list(dict.fromkeys(out))


RELATED_TO_KEYS = ("id", "key", "className", "object")


def related_to_id_key(value: Mapping[str, Any]) -> tuple[object, object]:
    """The owner id (``id``, or Parse's ``object``) and ``key`` of a relatedTo; both required,
    as Noodl requires them (docs/semantics.md#undefined). Another key is an error: ignored, a
    misspelt className ('clasName') left the owner class to be guessed."""
    check_known_keys(value, RELATED_TO_KEYS, "relatedTo")
    oid = value.get("id", UNDEFINED)
    if oid is UNDEFINED or oid is None:
        oid = value.get("object", UNDEFINED)
    if oid is UNDEFINED or oid is None:
        raise QueryError("Must provide id in relatedTo filter")
    key = value.get("key", UNDEFINED)
    if key is UNDEFINED or key is None:
        raise QueryError("Must provide key in relatedTo filter")
    return oid, key


def _build_related_to(value: object, ctx: Ctx, pos: Pos | None) -> n.Node:
    if not isinstance(value, Mapping):
        raise QueryTypeError("relatedTo needs an object {id, key}")
    ctx.inner_query("relatedTo")
    oid, key = related_to_id_key(value)
    if value.get("className", None) is UNDEFINED:
        _dropped(ctx, "relatedTo's className is undefined")
    if not isinstance(key, str):
        raise QueryTypeError(f"relatedTo key must be a string, got {type_name(key)}")
    owner_id = object_id(oid, "relatedTo id")
    class_name = value.get("className")
    if isinstance(oid, Mapping) and isinstance(oid.get("className"), str) and class_name is None:
        class_name = oid["className"]
    target = ctx.cls.name
    if class_name is not None and class_name is not UNDEFINED:
        owner = ctx.schema.get(str(class_name))
        f = owner.fields.get(key)
        if f is None or f.type != "Relation" or f.target != target:
            hint = owner.absent_hint(key, None) if f is None else None
            raise SchemaError(f"class {owner.name} has no Relation field '{key}' to {target}", hint=hint)
        return n.RelatedTo(owner.name, owner_id, key, pos=pos)
    owners = ctx.schema.relation_owners(key, target)
    if not owners:
        rel_keys = {
            f.name for c in ctx.schema.classes.values() for f in c.user_fields
            if f.type == "Relation" and f.target == target
        }
        hint = suggest(key, rel_keys)
        raise SchemaError(f"no class has a Relation field '{key}' to {target}", hint=hint)
    if len(owners) > 1:
        raise QueryError(
            f"relatedTo key '{key}' is ambiguous: {', '.join(owners)} all have it; add className"
        )
    return n.RelatedTo(owners[0], owner_id, key, pos=pos)


def _build_field(field: Field, ops: Mapping[str, Any], ctx: Ctx, pos: Pos | None) -> n.Node | None:
    """All operators of one field, ANDed (Noodl keeps only the first: docs/semantics.md#noodl-differences)."""
    items: list[n.Node] = []
    if not ops:
        raise QueryError(f"no operator given for '{field.name}'")
    for op, operand in ops.items():
        opos = key_pos(ops, op, pos)
        try:
            if op == "options":
                if "matchesRegex" not in ops:
                    raise QueryError("'options' goes with matchesRegex")
                if operand is UNDEFINED:
                    _dropped(ctx, f"the options of matchesRegex on '{field.name}' are undefined")
                continue
            if op not in FIELD_OPERATOR_SET:
                hint = rest_hint(op) or suggest(op, [o for o in FIELD_OPERATORS if o != "options"])
                raise QueryError(f"unknown operator '{op}'", hint=hint)
            node = _build_op(field, op, operand, ops, ctx, opos)
        except QueryError as exc:
            raise _err(exc, opos) from None
        if node is not None:
            items.append(node)
    if not items:
        return None
    return items[0] if len(items) == 1 else n.And(tuple(items), pos=pos)


def _build_op(
    field: Field, op: str, operand: object, ops: Mapping[str, Any] | None, ctx: Ctx, pos: Pos | None
) -> n.Node | None:
    if operand is UNDEFINED:
        return _dropped(ctx, f"the operand of {op} on '{field.name}' is undefined")
    if ctx.strict:
        _check_strict_inside(field, op, operand)
    if op in NOT_YET:
        raise QueryError(f"operator '{op}' is not supported yet")
    ftype = field.type
    if ftype == "Relation":
        return _build_relation_op(field, op, operand, ctx, pos)
    if op == "pointsTo":
        if ftype != "Pointer":
            raise QueryTypeError(
                f"pointsTo needs a Pointer or Relation field; '{field.name}' is {a_type(ftype)}",
                code=INCORRECT_TYPE,
            )
        place = f"'{field.name}'"
        ids = _ids(operand, "pointsTo", ctx, place) if isinstance(operand, list | tuple) else [object_id(operand, "pointsTo", place)]
        check_pointer_class(operand, field)  # as equalTo checks it (a Relation's pointsTo does too)
        return n.PointsTo(field.name, tuple(ids), pos=pos)
    if op == "exists":
        operand = native(operand)
        if not isinstance(operand, bool):
            raise QueryTypeError(f"exists needs true or false, got {type_name(operand)}")
        return n.Exists(field.name, operand, pos=pos)
    if op == "matchesRegex":
        return _build_regex(field, operand, ops or {}, pos)
    if op in ("matchesQuery", "doesNotMatchQuery"):
        return _build_matches_query(field, op, operand, ctx, pos)
    if op in ("matchesKeyInQuery", "doesNotMatchKeyInQuery"):
        return _build_matches_key(field, op, operand, ctx, pos)
    if op in ("nearSphere", "withinBox", "withinPolygon", "withinSphere", "polygonContains"):
        from querylang.features.geo import build_geo

        return build_geo(field, op, operand, pos)
    if op == "text":
        from querylang.features.text import build_text

        return build_text(field, operand, pos)
    if op in ("all", "containedBy"):
        if ftype != "Array" and not (op == "all" and ftype == "ObjectPath"):
            raise QueryTypeError(f"{op} needs an Array field; '{field.name}' is {a_type(ftype)}", code=INCORRECT_TYPE)
        if not isinstance(operand, list | tuple):
            raise QueryTypeError(f"{op} needs an array, got {type_name(operand)}")
        if len(operand) > MAX_LIST:
            raise LimitExceeded(f"{op} has {len(operand)} items (max {MAX_LIST})")
        vals = _dedupe([field_value(field, v, scalar_only=False) for v in operand if v is not UNDEFINED])
        if op == "all":
            return _build_all(field.name, vals, ctx, pos)
        return n.ContainedBy(field.name, vals, pos=pos)
    if ftype == "GeoPoint":
        raise QueryTypeError(f"{op} is not available on GeoPoint field '{field.name}' (use exists)", code=INCORRECT_TYPE)
    if ftype == "Polygon":
        raise QueryTypeError(
            f"{op} is not available on Polygon field '{field.name}' (use polygonContains or exists)", code=INCORRECT_TYPE
        )
    if op in COMPARE:
        cop = COMPARE[op]
        if cop not in ("eq", "ne") and ftype in ("File", "Bytes"):
            raise QueryTypeError(
                f"{op} is not available on {ftype} field '{field.name}' "
                "(use equalTo, notEqualTo, containedIn, notContainedIn or exists)",
                code=INCORRECT_TYPE,
            )
        if cop not in ("eq", "ne") and ftype == "Object":
            raise QueryTypeError(f"{op} is not available on Object field '{field.name}'", code=INCORRECT_TYPE)
        value = field_value(field, operand, scalar_only=cop not in ("eq", "ne"))
        return n.Compare(field.name, cop, value, pos=pos)
    if op in ("containedIn", "notContainedIn"):
        if not isinstance(operand, list | tuple):
            raise QueryTypeError(f"{op} needs an array, got {type_name(operand)}", code=INVALID_JSON)
        if len(operand) > MAX_LIST:
            raise LimitExceeded(f"{op} has {len(operand)} items (max {MAX_LIST})")
        values = []
        for v in operand:
            if v is UNDEFINED:
                _dropped(ctx, f"an element of {op} is undefined")
                continue  # removed, not turned into null (docs/semantics.md#undefined)
            values.append(field_value(field, v, scalar_only=False))
        return n.In(field.name, _dedupe(values), negate=op == "notContainedIn", pos=pos)
    raise QueryError(f"operator '{op}' is not supported here")


def _build_all(name: str, vals: tuple[Any, ...], ctx: Ctx, pos: Pos | None) -> n.Node:
    """``all`` is MongoDB's ``$all``, an AND of ``equalTo`` each value (docs/semantics.md#arrays): an
    array value also holds for an array equal to it, and null for an absent array. The other
    values stay one All node, one test however long the list; each array or null value is a
    condition of its own, counted as one."""
    plain = tuple(v for v in vals if v is not None and not isinstance(v, list | tuple))
    whole: list[n.Node] = []
    for v in vals:
        if v is None or isinstance(v, list | tuple):
            ctx.count()
            whole.append(n.Compare(name, "eq", v, pos=pos))
    if not whole:
        return n.All(name, vals, pos=pos)
    items = [n.All(name, plain, pos=pos), *whole] if plain else whole
    return items[0] if len(items) == 1 else n.And(tuple(items), pos=pos)


def _dedupe(values: list[Any]) -> tuple[Any, ...]:
    from querylang.model.values import canonical

    seen: dict[str, Any] = {}
    for v in values:
        seen.setdefault(canonical(v), v)
    return tuple(seen.values())


def _build_matches_query(field: Field, op: str, operand: object, ctx: Ctx, pos: Pos | None) -> n.Node:
    """``Owner: {matchesQuery: {score: {greaterThan: 3}}}`` — Parse's $inQuery / $notInQuery."""
    if field.type not in ("Pointer", "Relation"):
        raise QueryTypeError(f"{op} needs a Pointer or Relation field; '{field.name}' is {a_type(field.type)}", code=INCORRECT_TYPE)
    target = ctx.schema.get(field.target or "")
    ctx.inner_query(f"{op} on '{field.name}'")
    sub = operand
    check_query_wrapper(op, sub, target.fields)
    if isinstance(sub, Mapping) and "where" in sub and set(sub) <= {"where", "className"}:
        if sub.get("className") not in (None, UNDEFINED, target.name):
            raise QueryTypeError(f"'{field.name}' points to {target.name}, not {sub.get('className')}")
        sub = sub["where"]
    if not isinstance(sub, Mapping):
        raise QueryTypeError(f"{op} needs a filter object, got {type_name(sub)}")
    inner = _build_object(sub, ctx.deeper(target), pos)
    node = n.MatchesQuery(field.name, inner, pos=pos)
    return n.Not(node, pos=pos) if op == "doesNotMatchQuery" else node


def check_query_wrapper(op: str, operand: object, target_fields: Collection[str] | None) -> None:
    """A matchesQuery operand is a filter object or ``{where, className}``: one that has
    ``where`` or ``className`` beside other keys is refused, naming them. Read as a filter,
    ``{where, limit: 1}`` said "class Q has no field 'where'", not which key was not taken.
    A key the target class has as a field is a filter's (``target_fields``; None: not known,
    to_parse_where without a schema, where it is taken as the wrapper's)."""
    if not isinstance(operand, Mapping):
        return
    wrapper = [k for k in ("where", "className") if k in operand and (target_fields is None or k not in target_fields)]
    extra = [k for k in operand if k not in ("where", "className")]
    if wrapper and extra:
        raise QueryError(
            f"{op} does not take {', '.join(repr(str(k)) for k in extra)} beside {' and '.join(repr(k) for k in wrapper)}: "
            "it takes a filter object, or {where, className} and nothing else"
        )


def _build_matches_key(field: Field, op: str, operand: object, ctx: Ctx, pos: Pos | None) -> n.Node:
    """``f: {matchesKeyInQuery: {key, className, where}}`` — Parse's $select / $dontSelect."""
    check_matches_key_operand(op, operand)
    assert isinstance(operand, Mapping)
    other = ctx.schema.get(str(operand.get("className", ctx.cls.name)))
    key_field = other.field(operand["key"])
    ctx.inner_query(f"{op} on '{field.name}'")
    scalar = ("String", "Number", "Boolean", "Date", "Pointer")
    if field.type not in scalar or key_field.type not in scalar:
        raise QueryTypeError(f"{op} compares single values: '{field.name}' and '{key_field.name}' must be String, Number, Boolean, Date or Pointer")
    kinds = {field.type, key_field.type}
    if len(kinds) > 1 and kinds != {"String", "Pointer"}:
        raise QueryTypeError(f"{op}: '{field.name}' is {a_type(field.type)} but '{key_field.name}' is {a_type(key_field.type)}", code=INCORRECT_TYPE)
    where = operand.get("where", {})
    try:
        inner = _build_object(where, ctx.deeper(other), pos) if where not in (None, UNDEFINED) else n.TRUE
    except QueryError as exc:
        raise in_where_of(exc, op) from None
    node = n.MatchesKey(field.name, other.name, key_field.name, inner, pos=pos)
    return n.Not(node, pos=pos) if op == "doesNotMatchKeyInQuery" else node


MATCHES_KEY_KEYS = ("key", "className", "where")


def check_matches_key_operand(op: str, operand: object) -> None:
    """matchesKeyInQuery's ``{key, className, where}``; another key is an error: ignored, a
    misspelt where ('wehre') compared the field with the key of every record."""
    if not isinstance(operand, Mapping) or not isinstance(operand.get("key"), str):
        raise QueryError(f"improper usage of {op}: needs {{key, className, where}}")
    check_known_keys(operand, MATCHES_KEY_KEYS, op)


def _build_relation_op(field: Field, op: str, operand: object, ctx: Ctx, pos: Pos | None) -> n.Node:
    """On a Relation: pointsTo/equalTo/containedIn = holds any; notEqualTo/notContainedIn = holds none."""
    if op not in ("matchesQuery", "doesNotMatchQuery"):  # those count themselves
        ctx.inner_query(f"{op} on Relation '{field.name}'")
    if op == "exists":
        operand = native(operand)
        if not isinstance(operand, bool):
            raise QueryTypeError(f"exists needs true or false, got {type_name(operand)}")
        return n.Exists(field.name, operand, pos=pos)
    if op in ("matchesQuery", "doesNotMatchQuery"):
        return _build_matches_query(field, op, operand, ctx, pos)
    if op in ("pointsTo", "equalTo", "containedIn", "notEqualTo", "notContainedIn"):
        many = isinstance(operand, list | tuple)
        if op in ("containedIn", "notContainedIn") and not many:
            raise QueryTypeError(f"{op} needs an array of ids, got {type_name(operand)}")
        if op in ("equalTo", "notEqualTo") and many:
            several = "notContainedIn" if op == "notEqualTo" else "containedIn"
            raise QueryTypeError(f"{op} on a Relation takes one id; use {several} for several")
        ids = _ids(operand, op, ctx, f"'{field.name}'") if many else [object_id(operand, op, f"'{field.name}'")]
        check_pointer_class(operand, field)
        node = n.PointsTo(field.name, tuple(ids), pos=pos)
        return n.Not(node, pos=pos) if op in ("notEqualTo", "notContainedIn") else node
    raise QueryTypeError(
        f"{op} is not available on Relation field '{field.name}' "
        "(use pointsTo, containedIn, notContainedIn, equalTo, notEqualTo or exists)",
        code=INCORRECT_TYPE,
    )


def _build_regex(field: Field, operand: object, ops: Mapping[str, Any], pos: Pos | None) -> n.Node:
    if field.type not in ("String", "Array", "ObjectPath"):
        raise QueryTypeError(
            f"matchesRegex needs a String or Array field; '{field.name}' is {a_type(field.type)}",
            code=INCORRECT_TYPE,
        )
    pattern, merged = regex_operand(operand, ops.get("options", ""))
    compile_regex(pattern, merged)  # invalid or unsupported syntax is an error now, in both engines
    return n.Regex(field.name, pattern, merged, pos=pos)


def regex_operand(operand: object, options: object) -> tuple[str, str]:
    """A matchesRegex operand and its ``options`` → (pattern, flags): checked, flags merged and
    sorted (the plan cache binds a pattern input through this too)."""
    if options is UNDEFINED or options is None:
        options = ""
    if not isinstance(options, str):
        raise QueryTypeError(f"options must be a string, got {type_name(options)}")
    if isinstance(operand, JSRegex):
        pattern, flags = operand.pattern, operand.flags
    elif isinstance(operand, str):
        pattern, flags = operand, ""
    else:
        raise QueryTypeError(f"matchesRegex needs a string or a /regex/, got {type_name(operand)}")
    return pattern, "".join(sorted(set(check_options(flags) + check_options(options))))


def rest_hint(name: str) -> str | None:
    """For a Parse REST operator (``$gt``) written in a filter, the name a filter uses; also
    for one written without its ``$`` (``gt``, ``lte``, ``ne``, ``nin``), which had no hint."""
    if not isinstance(name, str):  # a Python mapping's key may be a number
        return None
    rest = name if name.startswith("$") else "$" + name
    known = REST_NAMES.get(rest)
    if known is None:
        return None
    return f"Parse REST's {name} is {known} here" if rest == name else f"Parse REST's {rest} is {known} here"


# check_where's refusals, which the Parse REST front end words as its where wrote them.
NEAR_UNDER_OR = "nearSphere cannot be inside 'or' or a negation (it orders the results)"
ONE_NEAR = "only one nearSphere per query"
TEXT_UNDER_NOR = "a text search cannot be inside a negation ('nor')"


def check_where(where: n.Node) -> None:
    """Rules about a whole condition: nearSphere's implicit order needs it outside or/not and
    once per query; one text search per query, and none under a negation, as MongoDB refuses
    $text under $nor (docs/semantics.md#text, docs/semantics.md#geo)."""
    _check_texts(where)
    nears = 0

    def visit(node: n.Node, negated_or_or: bool) -> None:
        nonlocal nears
        if isinstance(node, n.NearSphere) and node.order:
            if negated_or_or:
                raise QueryError(NEAR_UNDER_OR).at(*(node.pos or (None, None)))
            nears += 1
        if isinstance(node, n.And):
            for i in node.items:
                visit(i, negated_or_or)
        elif isinstance(node, n.Or):
            for i in node.items:
                visit(i, True)
        elif isinstance(node, n.Not):
            visit(node.item, True)

    visit(where, False)
    if nears > 1:
        raise QueryError(ONE_NEAR)


def _check_texts(where: n.Node) -> None:
    """One text search in a where, and none under a negation there. A sub-query's where is a
    query of its own: its own text search, its own negations (a search inside a negated
    sub-query is not under a negation in it)."""
    texts = 0

    def visit(node: n.Node, negated: bool) -> None:
        nonlocal texts
        if isinstance(node, n.Text):
            if negated:
                raise QueryError(f"{TEXT_UNDER_NOR}: field '{node.field}'").at(*(node.pos or (None, None)))
            texts += 1
            if texts > 1:
                raise QueryError("only one text search per query").at(*(node.pos or (None, None)))
        elif isinstance(node, n.And | n.Or):
            for i in node.items:
                visit(i, negated)
        elif isinstance(node, n.Not):
            visit(node.item, True)
        elif isinstance(node, n.MatchesQuery | n.MatchesKey):
            _check_texts(node.where)

    visit(where, False)

"""Records and values between the library's shape and Parse's REST JSON.

The library returns pointers as bare objectIds and dates as ISO strings; Parse clients expect
``{"__type": "Pointer", "className", "objectId"}``, ``{"__type": "Date", "iso"}`` (but plain
strings for ``createdAt``/``updatedAt``), ``{"__type": "GeoPoint", ...}`` and, for a Relation
field, ``{"__type": "Relation", "className"}``. A field that holds null is answered null, as
Parse Server on MongoDB answers it (on PostgreSQL, which keeps no null apart from a missing
value, Parse leaves it out); a record without an ACL is answered without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import querylang
from querylang.errors import ScriptError
from querylang.model.values import OUTSIDE_YEARS, outside_years, parse_iso
from querylang.script.values import to_string, truthy

from .errors import INCORRECT_TYPE, INVALID_ACL, INVALID_KEY_NAME, ParseError, UnknownField

Schema = Any  # querylang.Schema; its classes are read through .get(name).fields / .user_fields


def record_out(schema: Schema, class_name: str, rec: Mapping[str, Any], acl_field: str) -> dict[str, Any]:
    """One library record as Parse REST returns it, an included record too: each carries a
    marker for every Relation field of its class, whatever ``keys`` selected (Parse adds them
    from the schema after its projection, to embedded records as well; the JS SDK makes its
    ``get('fans')`` a ParseRelation from them)."""
    cls = schema.get(class_name)
    out: dict[str, Any] = {}
    for name, v in rec.items():
        f = cls.fields.get(name)
        # Only an ACL is answered as "ACL": a field of that name of another type is no ACL
        # (Api.acl_field in rest.py), and keeps its own name.
        acl = (name == acl_field and f is not None and f.type in ("Object", "ACL")) or (f is not None and f.type == "ACL")
        key = "ACL" if acl else name
        if v is None:
            if not acl:  # a null ACL is no ACL, which Parse answers by leaving it out
                out[key] = None
            continue
        if acl:
            out[key] = _acl_out(v)
        elif f is None or name in ("objectId", "createdAt", "updatedAt", "__type", "className"):
            out[key] = v
        elif f.type == "Date":
            out[key] = {"__type": "Date", "iso": v}
        elif f.type == "Pointer":
            out[key] = _pointer_out(schema, f.target, v, acl_field)
        elif f.type == "GeoPoint":
            out[key] = {"__type": "GeoPoint", "latitude": v["latitude"], "longitude": v["longitude"]}
        elif f.type == "Array" and isinstance(v, list):
            out[key] = _array_out(schema, v, acl_field)
        else:
            out[key] = v
    for f in cls.user_fields:
        if f.type == "Relation":
            out[f.name] = {"__type": "Relation", "className": f.target}
    return out


def _acl_out(acl: Any) -> Any:
    """An ACL as Parse answers it: the permissions it grants, an entry granting none left out
    (Parse keeps an ACL as who may read and who may write, and answers it from those lists);
    {"*": {"read": false, "write": true}} is {"*": {"write": true}}, as ``acl.public`` reads it.
    An Object field's ACL written outside serve is answered so too, as the grants serve enforces
    from it (``"read": "yes"`` grants nothing, as acl.public reads it); one that is no object of
    objects is answered as it is."""
    if not isinstance(acl, Mapping) or not all(isinstance(p, Mapping) for p in acl.values()):
        return acl
    out: dict[str, Any] = {}
    for who, perms in acl.items():
        granted = {p: True for p in ("read", "write") if perms.get(p) is True}
        if granted:
            out[who] = granted
    return out


def _pointer_out(schema: Schema, target: str | None, v: Any, acl_field: str) -> Any:
    if isinstance(v, str):
        return {"__type": "Pointer", "className": target, "objectId": v}
    if isinstance(v, Mapping) and v.get("__type") == "Object":
        # An included record: rendered with its own class's rules.
        inner = record_out(schema, str(target), v, acl_field)
        return {**inner, "__type": "Object", "className": target}
    return v


def _array_out(schema: Schema, value: list[Any], acl_field: str) -> list[Any]:
    """An Array whose elements include embedded (an Array inside it too): each such record
    rendered with its own class's rules, as a Pointer's; the other elements as they are."""
    out: list[Any] = []
    for e in value:
        if isinstance(e, list):
            out.append(_array_out(schema, e, acl_field))
        elif isinstance(e, Mapping) and e.get("__type") == "Object" and e.get("className") in schema.classes:
            out.append(_pointer_out(schema, e["className"], e, acl_field))
        else:
            out.append(e)
    return out


def pointer_id(value: Any, target: str | None, where: str) -> str:
    """The objectId of a Parse Pointer to ``target``."""
    if isinstance(value, Mapping) and value.get("__type") in ("Pointer", "Object"):
        oid, cls = value.get("objectId"), value.get("className")
        if not isinstance(oid, str):
            raise ParseError(INCORRECT_TYPE, f"{where}: a Pointer needs a string objectId")
        if cls is not None and cls != target:
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Pointer<{target}> but got Pointer<{cls}>")
        return oid
    raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Pointer<{target}> but got {type_name(value)}")


def type_name(v: Any) -> str:
    """Parse's name for the type of a JSON value (in its schema mismatch messages)."""
    if isinstance(v, Mapping) and isinstance(v.get("__type"), str) and v["__type"]:
        return str(v["__type"])  # "" is no type (JavaScript finds it false): an Object
    if isinstance(v, bool):
        return "Boolean"
    if isinstance(v, int | float):
        return "Number"
    if isinstance(v, str):
        return "String"
    if isinstance(v, list):
        return "Array"
    if v is None:
        return "null"
    return "Object"


def value_in(schema: Schema, class_name: str, field: str, value: Any) -> Any:
    """A Parse REST value for ``field`` → the value the library stores (or a Parse 111 error)."""
    if value is None:
        return None
    f = schema.get(class_name).fields[field]
    where = f"{class_name}.{field}"
    got = type_name(value)
    _check_known_type(where, value, f.type)
    _check_typed_parts(where, value)
    if f.type == "Pointer":
        # Only a Pointer naming its class, as Parse Server 9 takes one (its getObjectType): a
        # bare objectId, or an embedded record as an include answers it, written here worked
        # against serve and was refused by Parse.
        kind = value.get("__type") if isinstance(value, Mapping) else None
        if kind == "Object":
            raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Object; write the record's Pointer, "
                                             "{__type: 'Pointer', className, objectId}")
        if kind == "Pointer" and not value.get("className"):
            raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Pointer (it names no className)")
        if kind != "Pointer":
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Pointer<{f.target}> but got {got}")
        return pointer_id(value, f.target, where)
    if f.type == "Date":
        if isinstance(value, Mapping) and value.get("__type") == "Date" and isinstance(value.get("iso"), str):
            check_iso(where, value["iso"])
            return value["iso"]
    elif f.type == "GeoPoint":
        # With its "__type", as Parse Server 9 takes one: a plain {latitude, longitude} (the
        # interchange format's form) is an Object to Parse, refused there.
        if isinstance(value, Mapping) and got == "GeoPoint":
            return {"latitude": value.get("latitude"), "longitude": value.get("longitude")}
    elif f.type == "Polygon" and got == "Polygon":
        ring = value.get("coordinates")
        if isinstance(ring, list) and ring and isinstance(ring[0], list) and ring[0] != ring[-1]:
            # Parse Server closes the ring as it writes it (its first point again at the end,
            # on PostgreSQL and MongoDB alike), and answers it so; the points are checked
            # by the write as before.
            return {**value, "coordinates": [*ring, ring[0]]}
        return value
    elif f.type == "Bytes" and got == "Bytes":
        if value.get("base64") in (None, "", 0):  # what JavaScript reads as false (0 is False)
            # Parse Server 9 tests only that (getObjectType): 111 "This is not a valid Bytes".
            raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Bytes (its base64 is empty)")
        return value
    elif f.type == got and f.type != "Relation":
        return value
    if f.type == "Date" and got == "Date":  # "expected Date but got Date" would not say what is wrong
        raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Date (a Date is {{__type: 'Date', iso: string}})")
    raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected {f.type} but got {got}")


# The __type values Parse Server 9 knows (its getObjectType); "Object", an included record,
# is one only where a Pointer is written (value_in says what to write instead).
KNOWN_TYPES = ("Pointer", "Relation", "File", "Date", "GeoPoint", "Bytes", "Polygon")


def _check_known_type(where: str, value: Any, field_type: str) -> None:
    """A ``__type`` JavaScript finds true that Parse does not know is 111, as Parse Server 9
    refuses it ("This is not a valid 5"), whatever the field's type; one it finds false
    (``""``, ``0``, ``null``) is no type: the value is an Object, as Parse reads it."""
    kind = value.get("__type") if isinstance(value, Mapping) else None
    if not truthy(kind) or kind in KNOWN_TYPES or (kind == "Object" and field_type == "Pointer"):
        return
    try:
        shown = to_string(kind)
    except ScriptError:
        shown = type_name(kind)
    raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid {shown}")


# The parts Parse Server 9 reads a typed value's type from (its getObjectType): without them
# the value is of no type, 111, whatever the field's (the library's own check said 107).
_TYPED_PARTS = {"GeoPoint": ("latitude", "longitude"), "File": ("name",), "Polygon": ("coordinates",)}


def _check_typed_parts(where: str, value: Any) -> None:
    kind = value.get("__type") if isinstance(value, Mapping) else None
    parts = _TYPED_PARTS.get(kind) if isinstance(kind, str) else None
    if parts is None:
        return
    # A GeoPoint's coordinates may be 0, as Parse reads them (!= null); the others must be
    # true as JavaScript reads them.
    missing = [p for p in parts if (value.get(p) is None if kind == "GeoPoint" else not truthy(value.get(p)))]
    if missing:
        raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid {kind}: no {' or '.join(missing)}")


def check_iso(where: str, iso: str) -> None:
    """A Date's iso that names no date: 111, on a Date field as on createdAt/updatedAt (the
    field's was the library's 107 "expected a Date", the server dates' 111). Parse Server
    answers a Date without an iso 111, and one whose iso is no date it hands to the database
    (on PostgreSQL a 500)."""
    if parse_iso(iso) is None:
        why = OUTSIDE_YEARS if outside_years(iso) else "no ISO-8601 date"
        raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Date: its iso {iso!r:.60} is {why}")


def check_acl(acl: Any) -> dict[str, Any]:
    """A Parse ACL: ``{"*" | userId | "role:Name": {"read"?: bool, "write"?: bool}}``."""
    if not isinstance(acl, Mapping):
        raise ParseError(INVALID_ACL, "Invalid ACL: an ACL is an object")
    for who, perms in acl.items():
        if not isinstance(perms, Mapping) or not set(perms) <= {"read", "write"}:
            raise ParseError(INVALID_ACL, f"Invalid ACL: permissions of {who!r} must be {{read, write}}")
        if not all(isinstance(p, bool) for p in perms.values()):
            raise ParseError(INVALID_ACL, f"Invalid ACL: permissions of {who!r} must be true or false")
    return dict(acl)


def known_field(schema: Schema, class_name: str, name: str) -> None:
    """A write may only name fields the class has (105 with a did-you-mean otherwise)."""
    cls = schema.get(class_name)
    if name in cls.fields:
        return
    try:
        found = cls.field(name)  # raises the library's SchemaError, which carries the suggestion
    except querylang.QueryError as exc:
        raise UnknownField(INVALID_KEY_NAME, str(exc)) from None
    if found.type == "ObjectPath":
        # Parse sets one key inside an Object field so ("meta.views": 3); "Invalid field name"
        # said the name was wrong, where only the way of writing it is not served.
        head = name.split(".", 1)[0]
        raise ParseError(INVALID_KEY_NAME, f"{class_name}.{name}: a write cannot set a key inside the Object field "
                                           f"'{head}' (a dotted key); send the whole Object as '{head}'")
    raise ParseError(INVALID_KEY_NAME, f"Invalid field name: {name}.")

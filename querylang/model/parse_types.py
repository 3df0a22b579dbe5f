"""Parse's types and class names → querylang's interchange format, in one place.

Every importer first turns its source into Parse's REST form (what ``GET /classes/<C>``
returns: ``{"__type": "Date", "iso"}``, ``{"__type": "Pointer", ...}``, GeoPoints as
``{"__type": "GeoPoint", latitude, longitude}``, ACLs as ``{"*": {"read": true}}``) and Parse's
``/schemas`` field specs; this module alone decides how that becomes interchange fields and
values. Parse knows names and types that querylang's schema may not yet (``_User``, File,
Polygon, Bytes, ACL): :data:`EMIT` says how each is written when the schema knows it and what
it falls back to when it does not, and :func:`detect_target` asks the schema which it knows, so
the importers follow the schema as it grows without changes here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from querylang.errors import DataError, QueryError
from querylang.model.schema import PARSE_FIELD_OPTIONS, RESERVED, Schema

# The types of querylang's schema that Parse types map to one to one.
PLAIN_TYPES = frozenset({"String", "Number", "Boolean", "Date", "Array", "Object", "Pointer", "Relation", "GeoPoint"})
# Parse types querylang may not know: how each is emitted natively, and the fallback type when
# the schema refuses it (None: the field is left out, with a note).
EMIT: dict[str, dict[str, Any]] = {
    # {"__type": "File", "name", "url"}; the fallback keeps name and url as a plain Object.
    "File": {"native": "File", "fallback": "Object"},
    # Parse REST's coordinates, a list of [latitude, longitude] pairs; fallback: that list as an Array.
    "Polygon": {"native": "Polygon", "fallback": "Array"},
    # {"__type": "Bytes", "base64"}; fallback: {"base64": ...} as an Object.
    "Bytes": {"native": "Bytes", "fallback": "Object"},
    # Parse's ACL object ({"*": {"read": true}, "role:Admin": {"write": true}}); ``ACL`` is a
    # reserved field name to a schema without the type, so it is left out then.
    "ACL": {"native": "ACL", "fallback": None},
}
PARSE_TYPES = PLAIN_TYPES | EMIT.keys()
SYSTEM_CLASSES = ("_User", "_Role", "_Session", "_Installation")
# The fields Parse gives its own classes whether or not a schema lists them (its defaultColumns).
SYSTEM_FIELDS: dict[str, dict[str, dict[str, str]]] = {
    "_User": {"username": {"type": "String"}, "password": {"type": "String"}, "email": {"type": "String"},
              "emailVerified": {"type": "Boolean"}, "authData": {"type": "Object"}},
    "_Role": {"name": {"type": "String"}, "users": {"type": "Relation", "targetClass": "_User"},
              "roles": {"type": "Relation", "targetClass": "_Role"}},
    "_Session": {"user": {"type": "Pointer", "targetClass": "_User"}, "installationId": {"type": "String"},
                 "sessionToken": {"type": "String"}, "expiresAt": {"type": "Date"}, "createdWith": {"type": "Object"}},
    "_Installation": {"installationId": {"type": "String"}, "deviceToken": {"type": "String"},
                      "channels": {"type": "Array"}, "deviceType": {"type": "String"}, "pushType": {"type": "String"},
                      "GCMSenderId": {"type": "String"}, "timeZone": {"type": "String"},
                      "localeIdentifier": {"type": "String"}, "badge": {"type": "Number"},
                      "appVersion": {"type": "String"}, "appName": {"type": "String"},
                      "appIdentifier": {"type": "String"}, "parseVersion": {"type": "String"}},
}  # fmt: skip
# A schema that refuses names starting with '_' gets them under this prefix (_User → Parse_User).
SYSTEM_PREFIX = "Parse"
# Parse's config (_GlobalConfig: record "1"), which querylang serve answers at /config. The
# schema takes no '_' name but the SYSTEM_CLASSES, so it always has the prefixed name.
CONFIG_CLASS = SYSTEM_PREFIX + "_GlobalConfig"
CONFIG_RECORD = "1"
CONFIG_FIELDS = {"params": {"type": "Object"}, "masterKeyOnly": {"type": "Object"}}
# Secrets Parse keeps on the records of its own classes (_User's, _Session's): never copied into a
# query database. On a class of the app, a field of one of these names is the app's own data.
SENSITIVE_FIELDS = frozenset({"password", "authData", "sessionToken", "bcryptPassword", "_hashed_password"})
BUILTIN = ("objectId", "createdAt", "updatedAt")


def secret(class_name: str, field: str) -> bool:
    """Is ``field`` one of Parse's secrets on a record of ``class_name`` (a Parse class name)?
    Parse Server answers a password field of a class of the app as any other field."""
    return field in SENSITIVE_FIELDS and class_name in SYSTEM_CLASSES


@dataclass(frozen=True)
class Target:
    """What the receiving schema knows: which Parse-only types, and names starting with '_'."""

    native_types: frozenset[str]
    system_names: bool

    def class_name(self, name: str) -> str:
        if name.startswith("_") and not self.system_names:
            return SYSTEM_PREFIX + name
        return name

    def field_type(self, parse_type: str) -> str | None:
        """The interchange type of a Parse field type (None: left out)."""
        if parse_type in PLAIN_TYPES:
            return parse_type
        rule = EMIT[parse_type]
        return rule["native"] if parse_type in self.native_types else rule["fallback"]


NATIVE = Target(frozenset(EMIT), True)
FALLBACK = Target(frozenset(), False)


def _accepts(name: str, fields: Mapping[str, Any]) -> bool:
    try:
        Schema.from_json({name: {"fields": fields}})
    except QueryError:
        return False
    return True


def detect_target() -> Target:
    """Ask querylang's schema which Parse names and types it accepts today."""
    native = frozenset(t for t in EMIT if _accepts("Probe", {("ACL" if t == "ACL" else "f"): {"type": t}}))
    return Target(native, _accepts("_User", {}))


# --- schema ---------------------------------------------------------------------------------


def check_parse_field(class_name: str, name: str, spec: Mapping[str, Any]) -> None:
    """A Parse field spec must name a type we know (and a target for Pointer/Relation)."""
    ftype = spec.get("type")
    if ftype not in PARSE_TYPES:
        raise DataError(f"unknown Parse type {ftype!r}", class_name=class_name, field=name)
    if ftype in ("Pointer", "Relation") and not isinstance(spec.get("targetClass"), str):
        raise DataError(f"{ftype} without a targetClass", class_name=class_name, field=name)


def interchange_fields(
    class_name: str, fields: Mapping[str, Mapping[str, Any]], target: Target, notes: list[str]
) -> dict[str, dict[str, str]]:
    """Parse field specs (``/schemas`` form) → the interchange ``fields`` of one class."""
    out: dict[str, dict[str, str]] = {}
    options: list[str] = []
    for name, spec in fields.items():
        if name in BUILTIN or secret(class_name, name) or name.startswith("_"):
            continue
        if name in RESERVED:
            # authData, sessionToken of a class of the app: data to Parse, but names querylang's
            # schema keeps for Parse's own; were dropped without a word.
            notes.append(f"class {class_name}: field {name} left out: querylang keeps the name for Parse's own classes")
            continue
        check_parse_field(class_name, name, spec)
        ftype = target.field_type(spec["type"])
        if ftype is None:
            note = f"{spec['type']} fields left out: this querylang has no {spec['type']} type yet"
            if note not in notes:  # every class has an ACL: one note says it
                notes.append(note)
            continue
        entry = {"type": ftype}
        if ftype in ("Pointer", "Relation"):
            entry["targetClass"] = target.class_name(spec["targetClass"])
        out[name] = entry
        # required: false is Parse's default, and says nothing to leave out.
        kept = [k for k in PARSE_FIELD_OPTIONS if k in spec and (k != "required" or spec[k] is not False)]
        if kept:
            options.append(f"{name} ({', '.join(kept)})")
    if options:
        # Left out as load would refuse them; said, as serve's writes then differ from Parse's.
        notes.append(f"class {class_name}: Parse's field options left out, as querylang keeps none (a write here "
                     f"neither needs these fields nor gets their defaults): {', '.join(options)}")
    return out


# The operations a class-level permission governs; each allows everyone ({"*": true}) by default.
CLP_OPERATIONS = ("find", "get", "count", "create", "update", "delete", "addField")


def permissions_note(class_name: str, clp: Any, notes: list[str]) -> None:
    """Say which of a class's class-level permissions (``/schemas``' classLevelPermissions,
    ``_SCHEMA``'s ``_metadata.class_permissions``) restrict anything, as left out: querylang
    keeps none, so serve answers by its own rules and shows fields Parse hid from clients."""
    if not isinstance(clp, Mapping):
        return
    kept = [op for op in CLP_OPERATIONS if op in clp and not (isinstance(clp[op], Mapping) and clp[op].get("*") is True)]
    protected = clp.get("protectedFields")
    if isinstance(protected, Mapping):
        hidden = sorted({f for v in protected.values() if isinstance(v, list) for f in v if isinstance(f, str)})
        if hidden:
            kept.append(f"protectedFields ({', '.join(hidden)})")
    kept += [key for key in ("readUserFields", "writeUserFields") if clp.get(key)]
    if kept:
        notes.append(f"class {class_name}: Parse's class-level permissions left out, as querylang keeps none (querylang "
                     f"serve answers by its own rules, and hides no field they protect): {', '.join(kept)}")


# --- values ---------------------------------------------------------------------------------


def _typed(value: Any, kind: str, *keys: str) -> bool:
    """Is ``value`` Parse's typed form ``kind``, holding every one of ``keys`` (not null)?
    A typed value without its payload (``{"__type": "Date"}`` with no ``iso``) is not: it goes
    on unchanged, and the load refuses it naming class, record and field, where reading the
    missing key would have imported a null."""
    return isinstance(value, Mapping) and value.get("__type") == kind and all(value.get(k) is not None for k in keys)


def rest_value(parse_type: str, value: Any, target: Target) -> Any:
    """One top-level value in Parse REST form → its interchange value for that field type.

    Values that do not have their type's shape are passed on unchanged: the load checks them
    and names class, record and field.
    """
    if value is None:
        return None
    if parse_type == "Date":
        if _typed(value, "Date", "iso"):
            return value["iso"]
        return value
    if parse_type == "Pointer":
        if _typed(value, "Pointer", "objectId"):
            return value["objectId"]
        return value
    if parse_type == "GeoPoint":
        if _typed(value, "GeoPoint", "latitude", "longitude"):
            return {"latitude": value["latitude"], "longitude": value["longitude"]}
        return value
    native = parse_type in target.native_types
    if parse_type == "File":
        if not _typed(value, "File", "name"):
            return value
        plain = {k: v for k, v in value.items() if k in ("name", "url") and v is not None}
        return {"__type": "File", **plain} if native else plain
    if parse_type == "Polygon":
        coords = value["coordinates"] if _typed(value, "Polygon", "coordinates") else value
        return coords
    if parse_type == "Bytes":
        if not _typed(value, "Bytes", "base64"):
            return value
        return {"__type": "Bytes", "base64": value["base64"]} if native else {"base64": value["base64"]}
    if parse_type == "ACL":
        return value if native else None
    return value


def rest_record(
    class_name: str,
    record: Mapping[str, Any],
    fields: Mapping[str, Mapping[str, Any]],
    target: Target,
    emitted: Mapping[str, Any],
) -> dict[str, Any]:
    """A REST record of ``class_name`` → an interchange record.

    ``fields`` are the Parse specs (``/schemas`` form), ``emitted`` the interchange fields made
    from them: a field left out of the schema is left out of the record; Relation values
    (``{"__type": "Relation"}``) carry no edges and are dropped, edges come separately.
    """
    out: dict[str, Any] = {}
    for name, value in record.items():
        if name in BUILTIN:
            if name == "objectId" or value is None:
                out[name] = value
            else:
                out[name] = value["iso"] if _typed(value, "Date", "iso") else value
            continue
        if name not in emitted:
            continue
        ftype = fields[name]["type"]
        if ftype == "Relation":
            continue
        if ftype == "Pointer" and _typed(value, "Pointer"):
            want = fields[name].get("targetClass")
            if value.get("className") not in (None, want):
                raise DataError(
                    f"points to class {value.get('className')!r}, the schema says {want!r}",
                    class_name=class_name,
                    object_id=str(record.get("objectId")),
                    field=name,
                )
        out[name] = rest_value(ftype, value, target)
    return out


def edge(owner: str, owning_id: str, key: str, target_class: str, related_id: str, target: Target) -> dict[str, str]:
    """One ``relations`` entry."""
    return {
        "class": target.class_name(owner),
        "objectId": owning_id,
        "key": key,
        "targetClass": target.class_name(target_class),
        "targetId": related_id,
    }

"""The master key's update in a class the database lacks, read as Parse Server 9 reads it: Parse
makes such a class, and the fields the body names, before it finds no record to update (101);
but a field name it could not make is 105, and in its classes whose schema is fixed (kept in
its memory, never in its stored schema: ``_Audience``, ``_Hooks``, ``_JobStatus`` ...) a field
of another type than Parse gives it is 111 and one Parse does not give it 107; in its own
classes that take new fields (``_User``, ``_Role`` ...) a field it gives them of another type is 111."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from querylang.script.values import truthy

from .errors import (
    INCORRECT_TYPE,
    INTERNAL_SERVER_ERROR,
    INVALID_EMAIL_ADDRESS,
    INVALID_JSON,
    INVALID_KEY_NAME,
    OBJECT_NOT_FOUND,
    ParseError,
)

_S, _N, _D, _O, _A = "String", "Number", "Date", "Object", "Array"
# Every class has these (ACL is left out: Parse takes any ACL in any class's body).
_DEFAULT = {"objectId": _S, "createdAt": _D, "updatedAt": _D}
FIXED: dict[str, dict[str, str]] = {
    "_PushStatus": {
        "pushTime": _S, "source": _S, "query": _S, "payload": _S, "title": _S, "expiry": _N,
        "expiration_interval": _N, "status": _S, "numSent": _N, "numFailed": _N, "pushHash": _S,
        "errorMessage": _O, "sentPerType": _O, "failedPerType": _O, "sentPerUTCOffset": _O,
        "failedPerUTCOffset": _O, "count": _N,
    },
    "_JobStatus": {"jobName": _S, "source": _S, "status": _S, "message": _S, "params": _O, "finishedAt": _D},
    "_JobSchedule": {"jobName": _S, "description": _S, "params": _S, "startAfter": _S, "daysOfWeek": _A,
                     "timeOfDay": _S, "lastRun": _N, "repeatMinutes": _N},
    "_Hooks": {"functionName": _S, "className": _S, "triggerName": _S, "url": _S},
    "_GlobalConfig": {"params": _O, "masterKeyOnly": _O},
    "_GraphQLConfig": {"config": _O},
    "_Audience": {"name": _S, "query": _S, "lastUsed": _D, "timesUsed": _N},
    "_Idempotency": {"reqId": _S, "expire": _D},
}
# Parse's own classes that take new fields, with the fields it gives them: the type of these
# is checked all the same (111), as in a class whose fields are fixed.
DEFAULT_FIELDS: dict[str, dict[str, str]] = {
    "_User": {"username": _S, "password": _S, "email": _S, "emailVerified": "Boolean", "authData": _O},
    "_Installation": {
        "installationId": _S, "deviceToken": _S, "channels": _A, "deviceType": _S, "pushType": _S,
        "GCMSenderId": _S, "timeZone": _S, "localeIdentifier": _S, "badge": _N, "appVersion": _S,
        "appName": _S, "appIdentifier": _S, "parseVersion": _S,
    },
    "_Role": {"name": _S, "users": "Relation<_User>", "roles": "Relation<_Role>"},
    "_Session": {"user": "Pointer<_User>", "installationId": _S, "sessionToken": _S, "expiresAt": _D, "createdWith": _O},
    "_Product": {"productIdentifier": _S, "download": "File", "downloadName": _S, "icon": "File", "order": _N,
                 "title": _S, "subtitle": _S},
}
# The tables Parse Server 9 keeps without an objectId column: a delete there by objectId, or an
# update that gets as far as its write, fails in PostgreSQL, and Parse answers 500 (code 1).
NO_OBJECT_ID = frozenset({"_Hooks", "_SCHEMA"})
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EMAIL = re.compile(r".+@.+")  # Parse's test of an address's form
# The key each type needs, as Parse tests it: a value JavaScript takes as true (a GeoPoint's
# latitude and longitude: any value but null).
_VALUE_TYPES = {"Pointer": "className", "Relation": "className", "File": "name", "Date": "iso",
                "Bytes": "base64", "Polygon": "coordinates"}


def no_table_to_write(class_name: str) -> ParseError:
    """Parse Server 9's answer to a write by objectId in _Hooks or _SCHEMA: 500, code 1. Copied,
    though no server failed: a client tested against serve is told there what Parse will tell
    it, that such a write never succeeds, rather than learning to expect a 101 Parse never gives."""
    return ParseError(INTERNAL_SERVER_ERROR,
                      f"Parse Server 9 cannot write to {class_name} by objectId: its table has no objectId column")


def check_update_in_no_class(class_name: str, body: Mapping[str, Any]) -> None:
    """Each field the body names, in the body's order, as Parse checks it (a name it could not
    make: 105; a type other than the one Parse gives a field of every class, or of a class whose
    schema is fixed: 111), then in a class whose schema is fixed a field Parse does not give it
    (107, the first); in _Hooks, a body Parse takes, Parse's 500 (no_table_to_write)."""
    _before_its_schema(class_name, body)
    fixed = FIXED.get(class_name)
    fields = {**_DEFAULT, **(fixed or DEFAULT_FIELDS.get(class_name, {}))}
    cannot_add = None
    for key, value in body.items():
        if key == "ACL":
            continue
        name, given = key, _type_of(class_name, key, value)
        if key.find(".") > 0:
            name, _, rest = key.partition(".")
            given = _A if rest.isdigit() else _O
        if not _FIELD_NAME.fullmatch(name) or name == "length" or (name == "className" and class_name != "_Hooks"):
            raise ParseError(INVALID_KEY_NAME, f"Invalid field name: {name}.")
        if given is None:
            continue
        expected = fields.get(name)
        if expected is None:
            if fixed is not None:
                cannot_add = cannot_add or name
        elif expected != given and not expected.startswith(given + "<"):  # "Relation": an op naming no target
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {class_name}.{name}; expected {expected} but got {given}")
    if cannot_add is not None:
        raise ParseError(INVALID_JSON, f"Could not add field {cannot_add}")
    if class_name in NO_OBJECT_ID:
        raise no_table_to_write(class_name)
    check_user_email(class_name, body)


def check_user_email(class_name: str, body: Mapping[str, Any]) -> None:
    """A user's email not of the form a@b is 125, as Parse Server 9 answers it once the body's
    types are read (an empty one it takes as no email), where the database has _User too."""
    email = body.get("email")
    if class_name == "_User" and isinstance(email, str) and email and _EMAIL.fullmatch(email) is None:
        raise ParseError(INVALID_EMAIL_ADDRESS, "Email address format is invalid.")


def _before_its_schema(class_name: str, body: Mapping[str, Any]) -> None:
    """What Parse Server 9 answers before it reads the body against the schema: an update of a
    session's installationId or sessionToken is 105; an installation's update naming its
    device or installation is looked up first, and found missing (101)."""
    if class_name == "_Session":
        for key in ("installationId", "sessionToken"):
            if truthy(body.get(key)):
                raise ParseError(INVALID_KEY_NAME, f"Invalid key name: {key}")
    if class_name == "_Installation" and any(truthy(body.get(k)) for k in ("deviceToken", "installationId", "deviceType")):
        raise ParseError(OBJECT_NOT_FOUND, "Object not found for update.")


def _type_of(class_name: str, key: str, value: Any) -> str | None:
    """The type Parse gives a written value (None: a null or a Delete, which names no type)."""
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, str):
        return _S
    if isinstance(value, int | float):
        return _N
    if isinstance(value, list):
        return _A
    if not isinstance(value, Mapping):
        return None
    kind = value.get("__type")
    if truthy(kind):  # as JavaScript reads it: [] and {} name a type, "" none
        if kind == "GeoPoint":
            valid = value.get("latitude") is not None and value.get("longitude") is not None
        else:
            valid = isinstance(kind, str) and kind in _VALUE_TYPES and truthy(value.get(_VALUE_TYPES[kind]))
        if valid:
            target = value.get("className")
            return f"{kind}<{target}>" if kind in ("Pointer", "Relation") else str(kind)
        named = kind if isinstance(kind, str) else orjson.dumps(kind).decode()
        raise ParseError(INCORRECT_TYPE, f"{class_name}.{key}: this is not a valid {named}")
    op = value.get("__op")
    if op == "Increment":
        return _N
    if op in ("Add", "AddUnique", "Remove"):
        return _A
    if op == "Delete":
        return None
    if op in ("AddRelation", "RemoveRelation", "Batch"):
        objects = value.get("objects")
        first = objects[0] if isinstance(objects, list) and objects else None
        if isinstance(first, Mapping) and isinstance(first.get("className"), str):
            return f"Relation<{first['className']}>"  # as Parse names it, by the first object
        return "Relation"
    return _O

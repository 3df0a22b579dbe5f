"""Parse's ``/config`` (the JS SDK's ``Parse.Config``, Noodl's Config): the app's parameters.

Parse Server keeps them in its class ``_GlobalConfig``: one record, objectId ``"1"``, with
``params`` (an Object: name → value, typed values in Parse's JSON form) and ``masterKeyOnly``
(an Object: name → true for a parameter only the master key is shown). querylang's schema
accepts no class name starting with ``_`` but Parse's user classes, so the class is
``Parse_GlobalConfig`` here (the importers' name for Parse's own classes: ``Parse_User``).
The answers and the merge of a ``PUT`` are Parse Server 9's (its GlobalConfigRouter).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import querylang
from querylang.model.parse_types import CONFIG_CLASS, CONFIG_FIELDS, CONFIG_RECORD
from querylang.script.values import truthy

from .errors import (
    INTERNAL_SERVER_ERROR,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_NESTED_KEY,
    OBJECT_NOT_FOUND,
    ParseError,
)
from .keys import Access, require_master


def read_config(db: querylang.Database, access: Access) -> dict[str, Any]:
    """``GET /config``: ``{"params", "masterKeyOnly"}``; without the master key, the parameters
    marked master-only are left out of both (Parse answers the rest of ``masterKeyOnly`` to
    clients too). No class or no record: ``{"params": {}}``, as a fresh Parse Server answers."""
    if CONFIG_CLASS not in db.schema.classes:
        db.refresh_schema()  # another serve process's PUT /config may have made it
    if CONFIG_CLASS not in db.schema.classes:
        return {"params": {}}
    _check_fields(db, CONFIG_CLASS, required=("params",))
    keys = [f for f in CONFIG_FIELDS if f in db.schema.get(CONFIG_CLASS).fields]
    found = db.find(CONFIG_CLASS, {"objectId": CONFIG_RECORD}, limit=1, keys=keys).records
    if not found:
        return {"params": {}}
    params = dict(found[0].get("params") or {})
    only = found[0].get("masterKeyOnly")
    if only is None:
        return {"params": params}
    only = dict(only)
    if not access.master:
        for name in list(params):
            if truthy(only.get(name)):
                del params[name]
                del only[name]
    return {"params": params, "masterKeyOnly": only}


def update_config(db: querylang.Database, access: Access, body: Mapping[str, Any]) -> dict[str, Any]:
    """``PUT /config`` (master key): the given parameters merged into the stored ones, each
    given one marked master-only or not by ``masterKeyOnly`` (false when it does not name it),
    ``{"__op": "Delete"}`` removing one; read and written in one transaction on the record.
    The class and the record are made when the database has none (Parse's upsert)."""
    require_master(access)
    params, flags = _checked(body)
    if not params:
        return {"result": True}  # nothing to merge (Parse on PostgreSQL fails with an SQL error)

    def merge(current: Mapping[str, Any]) -> dict[str, Any]:
        new_params = dict(current.get("params") or {})
        new_flags = dict(current.get("masterKeyOnly") or {})
        for name, value in params.items():
            if isinstance(value, Mapping) and value.get("__op") == "Delete":
                new_params.pop(name, None)
            else:
                new_params[name] = value
            new_flags[name] = flags.get(name, False)
        return {"params": new_params, "masterKeyOnly": new_flags}

    fields = db.schema.get(CONFIG_CLASS).fields if CONFIG_CLASS in db.schema.classes else {}
    if any(name not in fields for name in CONFIG_FIELDS):
        _check_fields(db, CONFIG_CLASS, required=())
        # The values first, as the record's write checks them: a PUT refused there (a NUL, a
        # '.' in a nested key) left the class or fields defined here, though nothing was saved.
        querylang.matches({"objectId": CONFIG_RECORD, **merge({})}, {}, schema={CONFIG_CLASS: {"fields": CONFIG_FIELDS}},
                          class_name=CONFIG_CLASS)
        # Merged with the stored schema in the definition's own transaction: a class or field
        # another process defined meanwhile is kept as it is.
        db.define_class(CONFIG_CLASS, CONFIG_FIELDS)
    try:
        db.update(CONFIG_CLASS, CONFIG_RECORD, lambda current: querylang.Change(merge(current)))
    except querylang.QueryError as exc:
        if exc.code != OBJECT_NOT_FOUND:
            raise
        try:
            db.create(CONFIG_CLASS, {"objectId": CONFIG_RECORD, **merge({})})
        except querylang.QueryError as again:
            if "duplicate objectId" not in again.message:
                raise
            # Another process made the record in between: merge into that one.
            db.update(CONFIG_CLASS, CONFIG_RECORD, lambda current: querylang.Change(merge(current)))
    return {"result": True}


def _checked(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, bool]]:
    """The parameters and master-only marks of a ``PUT /config`` body, or a 1xx error naming
    what is wrong; nothing is written before this has passed."""
    unknown = sorted(set(body) - {"params", "masterKeyOnly"})
    if unknown:
        raise ParseError(INVALID_KEY_NAME, f"PUT /config takes params and masterKeyOnly, not {unknown[0]!r}")
    params = {} if body.get("params") is None else body["params"]
    flags = {} if body.get("masterKeyOnly") is None else body["masterKeyOnly"]
    for what, value in (("params", params), ("masterKeyOnly", flags)):
        if not isinstance(value, Mapping):
            raise ParseError(INVALID_JSON, f"PUT /config: {what} must be an object of parameter name → value")
    for name, value in params.items():
        if not name or "." in name:
            # Parse would read 'a.b' as the key b inside the parameter a, replacing all of a.
            raise ParseError(INVALID_NESTED_KEY, f"PUT /config: parameter name {name!r} must be non-empty and hold no '.'")
        if isinstance(value, Mapping) and "__op" in value and value.get("__op") != "Delete":
            # Parse would store any other operation as the value itself.
            raise ParseError(INVALID_JSON, f"PUT /config: parameter {name!r}: the only operation served is "
                                           f"{{\"__op\": \"Delete\"}}, not {value.get('__op')!r}")
    for name, flag in flags.items():
        if not isinstance(flag, bool):
            raise ParseError(INVALID_JSON, f"PUT /config: masterKeyOnly.{name} must be true or false")
    return dict(params), {k: v for k, v in flags.items() if k in params}


def _check_fields(db: querylang.Database, class_name: str, required: tuple[str, ...]) -> None:
    """The config class's fields, where it has them, are Objects (and ``required`` are there)."""
    cls = db.schema.classes.get(class_name)
    fields = cls.fields if cls is not None else {}
    for name in CONFIG_FIELDS:
        f = fields.get(name)
        if (f is None and name in required) or (f is not None and f.type != "Object"):
            has = "has no field" if f is None else f"has the field as {f.type}, not Object:"
            raise ParseError(INTERNAL_SERVER_ERROR, f"class {class_name} {has} {name}; /config keeps the parameters "
                                                    f"in its Object fields {' and '.join(CONFIG_FIELDS)}")

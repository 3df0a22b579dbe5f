"""Parse Server's REST API for data, over a querylang ``Database`` (its public API only).

``Api.route`` answers one call (method, path under the mount, parameters or body) with
``(status, json, headers)``; the ASGI layer (app.py) and ``/batch`` both go through it. Calls
run one at a time (app.py gives them a single worker thread): a Parse update may read a record
and write it back (Increment, AddUnique), and must not interleave with another writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

import querylang

from .acl import public
from .body import check_depth
from .codec import record_out
from .config import ServerConfig
from .errors import (
    COMMAND_UNAVAILABLE,
    INVALID_CLASS_NAME,
    INVALID_JSON,
    INVALID_QUERY,
    OBJECT_NOT_FOUND,
    ParseError,
    Unauthorized,
    from_query_error,
    not_found,
)
from .keys import Access, require_master, require_write
from .writes import plan_write

Answer = tuple[int, Any, dict[str, str]]

# Parse's ClassesRouter: what a find and a get may be given (others are a 102).
FIND_PARAMS = {
    "where", "order", "limit", "skip", "count", "keys", "excludeKeys", "include", "includeAll",
    "readPreference", "includeReadPreference", "subqueryReadPreference", "hint", "explain", "comment",
    "redirectClassNameForKey",
}
GET_PARAMS = {"keys", "include", "excludeKeys", "readPreference", "includeReadPreference", "subqueryReadPreference"}
DUPLICATE_VALUE = 137
READING_OPS = {"Increment", "Add", "AddUnique", "Remove"}  # computed from the stored value


class Api:
    """The REST handlers of one server."""

    def __init__(self, db: querylang.Database, config: ServerConfig) -> None:
        self.db = db
        self.config = config

    # --- routing ------------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, Any], access: Access, base_url: str) -> Answer:
        parts = [p for p in path.split("/") if p]
        try:
            return self._route(method, parts, params, access, base_url)
        except querylang.QueryError as exc:
            err = from_query_error(exc)
            if exc.code == OBJECT_NOT_FOUND:
                err = not_found()
            elif "duplicate objectId" in exc.message:
                err = ParseError(DUPLICATE_VALUE, "A duplicate value for a field with unique values was provided")
            raise err from None

    def _route(self, method: str, parts: list[str], params: dict[str, Any], access: Access, base_url: str) -> Answer:
        match (method, parts):
            case ("GET", ["classes", cls]):
                return 200, self.find(access, cls, params), {}
            case ("POST", ["classes", cls]):
                return self.create(access, cls, params, base_url)
            case ("GET", ["classes", cls, oid]):
                return 200, self.get(access, cls, oid, params), {}
            case ("PUT", ["classes", cls, oid]):
                return 200, self.update(access, cls, oid, params), {}
            case ("DELETE", ["classes", cls, oid]):
                return 200, self.delete(access, cls, oid), {}
            case ("POST", ["batch"]):
                return 200, self.batch(access, params, base_url), {}
            case ("GET", ["schemas"]):
                require_master(access)
                return 200, {"results": [self.schema_json(c) for c in self.db.schema.classes]}, {}
            case ("GET", ["schemas", cls]):
                require_master(access)
                if cls not in self.db.schema.classes:
                    raise ParseError(INVALID_CLASS_NAME, f"Class {cls} does not exist.")
                return 200, self.schema_json(cls), {}
            case ("GET", ["health"]):
                return 200, {"status": "ok"}, {}
        raise ParseError(COMMAND_UNAVAILABLE, f"this server does not serve {method} /{'/'.join(parts)}", status=404)

    # --- reads --------------------------------------------------------------------------------

    def acl_field(self, class_name: str) -> str | None:
        """The field holding ACLs in this class, if it has one (an Object field today; the coming
        ACL field type is accepted as well)."""
        name = self.config.acl_field
        f = self.db.schema.get(class_name).fields.get(name)
        return name if f is not None and f.type in ("Object", "ACL") else None

    def find(self, access: Access, class_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - FIND_PARAMS)
        if unknown:
            raise ParseError(INVALID_QUERY, f"Invalid parameter for query: {unknown[0]}")
        where = params.get("where")
        if isinstance(where, str):
            try:
                where = orjson.loads(where)
            except orjson.JSONDecodeError:
                raise ParseError(INVALID_JSON, "where parameter is not valid JSON") from None
            check_depth(where, self.config.max_depth)
        order = params.get("order") or None
        limit = params.get("limit")
        if limit is None or limit == "":
            limit = self.config.default_limit
        skip = params.get("skip") or None
        count = bool(params.get("count"))
        include = "*" if params.get("includeAll") else params.get("include")
        keys = _key_list(params.get("keys"))
        acl = self.acl_field(class_name)
        select = [*keys, acl] if keys and acl else keys
        if access.master or acl is None:
            res = self.db.find(class_name, where, order=order, limit=limit, skip=skip, count=count,
                               include=include, keys=select or None)
            records, total = res.records, res.count
        else:
            records, total = self._find_public(class_name, where, order, limit, skip, include, select, acl)
        out: dict[str, Any] = {"results": self._render(access, class_name, records, keys, params.get("excludeKeys"))}
        if count:
            out["count"] = total
        return out

    def _find_public(
        self, class_name: str, where: Any, order: Any, limit: Any, skip: Any, include: Any, select: list[str], acl: str
    ) -> tuple[list[dict[str, Any]], int]:
        """A find that leaves out records whose ACL denies public read, with exact paging and count.

        The ACL is read for every match first (one narrow query), then the page is fetched by id;
        only classes that have an ACL field pay for this.
        """
        everything = self.db.max_rows or 1_000_000
        probe = self.db.find(class_name, where, order=order, limit=everything, keys=[acl])
        visible = [r["objectId"] for r in probe.records if public(r.get(acl), "read")]
        lim = _whole(limit, "limit")
        sk = _whole(skip, "skip") if skip is not None else 0
        page = visible[sk : sk + lim]
        if not page:
            return [], len(visible)
        res = self.db.find(class_name, {"objectId": {"$in": page}}, order=order, limit=len(page),
                           include=include, keys=select or None)
        return res.records, len(visible)

    def _render(
        self, access: Access, class_name: str, records: list[dict[str, Any]], keys: list[str], exclude: Any
    ) -> list[dict[str, Any]]:
        schema = self.db.schema
        acl = self.config.acl_field
        shown = set(keys) if keys else None
        out = []
        for rec in records:
            r = record_out(schema, class_name, rec, acl, relations=True)
            if shown is not None:
                # The library selected the fields; Relation markers are added after it, so trim them.
                r = {k: v for k, v in r.items() if k in shown or not _is_relation(v)}
            if not access.master:
                _hide_unreadable(r)
            for k in _key_list(exclude):
                if k != "objectId":
                    r.pop(k, None)
            out.append(r)
        return out

    def get(self, access: Access, class_name: str, oid: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if set(params) - GET_PARAMS:
            raise ParseError(INVALID_QUERY, "Improper encode of parameter")
        keys = _key_list(params.get("keys"))
        acl = self.acl_field(class_name)
        select = [*keys, acl] if keys and acl else keys
        res = self.db.find(class_name, {"objectId": oid}, limit=1, include=params.get("include"), keys=select or None)
        if not res.records or not (access.master or acl is None or public(res.records[0].get(acl), "read")):
            raise not_found()
        return self._render(access, class_name, res.records, keys, params.get("excludeKeys"))[0]

    # --- writes -------------------------------------------------------------------------------

    def _stored(self, access: Access, class_name: str, oid: str) -> dict[str, Any]:
        """The record a client may change (Parse answers 101 for one its ACL hides or protects)."""
        res = self.db.find(class_name, {"objectId": oid}, limit=1)
        if not res.records:
            raise not_found()
        rec = res.records[0]
        acl = self.acl_field(class_name)
        if not access.master and acl is not None and not public(rec.get(acl), "write"):
            raise not_found()
        return rec

    def create(self, access: Access, class_name: str, body: Mapping[str, Any], base_url: str) -> Answer:
        require_write(access)
        self.db.schema.get(class_name)
        plan = plan_write(self.db.schema, class_name, body, None, self.acl_field(class_name))
        # The server stamps the record, so the answer needs no second read.
        now = _now_iso()
        oid = self.db.create(class_name, {**plan.fields, "createdAt": now, "updatedAt": now})
        location = f"{base_url}/classes/{class_name}/{oid}"
        return 201, {"objectId": oid, "createdAt": now, **plan.answers}, {"Location": location}

    def update(self, access: Access, class_name: str, oid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        require_write(access)
        acl = self.acl_field(class_name)
        # The stored record is read only when an operation or an ACL check needs it; a missing
        # record is otherwise reported by the save itself (101).
        needs_current = (not access.master and acl is not None) or any(
            isinstance(v, Mapping) and v.get("__op") in READING_OPS for v in body.values())
        current = self._stored(access, class_name, oid) if needs_current else {}
        plan = plan_write(self.db.schema, class_name, body, current, acl)
        # One save (also when only edges change: Parse moves updatedAt on every update).
        self.db.save(class_name, oid, plan.fields)
        for key, ids in plan.add.items():
            for target in ids:
                self.db.add_relation(class_name, oid, key, target)
        for key, ids in plan.remove.items():
            for target in ids:
                self.db.remove_relation(class_name, oid, key, target)
        updated = self.db.find(class_name, {"objectId": oid}, limit=1, keys=["objectId"]).records[0]["updatedAt"]
        return {"updatedAt": updated, **plan.answers}

    def delete(self, access: Access, class_name: str, oid: str) -> dict[str, Any]:
        require_write(access)
        if not access.master:
            self._stored(access, class_name, oid)
        self.db.delete(class_name, oid)
        return {}

    def batch(self, access: Access, body: Mapping[str, Any], base_url: str) -> list[dict[str, Any]]:
        """Parse's ``/batch``: each request answered on its own, ``{success}`` or ``{error}``."""
        requests = body.get("requests")
        if not isinstance(requests, list):
            raise ParseError(INVALID_JSON, "requests must be an array")
        if body.get("transaction"):
            raise ParseError(COMMAND_UNAVAILABLE, "transactional batches are not supported")
        calls = [self._batch_call(r) for r in requests]  # all checked before any runs
        out: list[dict[str, Any]] = []
        for method, path, params in calls:
            try:
                _, answer, _ = self.route(method, path, params, access, base_url)
                out.append({"success": answer})
            except ParseError as exc:
                out.append({"error": exc.body()})
            except Unauthorized as exc:
                out.append({"error": {"code": 119, "error": exc.message}})
        return out

    def _batch_call(self, r: Any) -> tuple[str, str, dict[str, Any]]:
        if not isinstance(r, Mapping) or not isinstance(r.get("method"), str) or not isinstance(r.get("path"), str):
            raise ParseError(INVALID_JSON, "each batch request needs a method and a path")
        path: str = r["path"]
        mount = self.config.mount
        if mount and path.startswith(mount + "/"):
            path = path[len(mount):]
        if not path.startswith("/classes/"):
            raise ParseError(INVALID_JSON, f"cannot route batch path {r['path']}")
        body = r.get("body", {})
        if not isinstance(body, Mapping):
            raise ParseError(INVALID_JSON, "a batch request's body must be an object")
        return r["method"].upper(), path, dict(body)

    # --- schemas ------------------------------------------------------------------------------

    def schema_json(self, class_name: str) -> dict[str, Any]:
        cls = self.db.schema.get(class_name)
        fields: dict[str, Any] = {
            "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
            "ACL": {"type": "ACL"},
        }
        for f in cls.user_fields:
            if f.name != self.acl_field(class_name):
                fields[f.name] = f.to_json()
        anyone = {"*": True}
        writers = anyone if self.config.allow_client_writes else {}
        clp = {
            "find": anyone, "count": anyone, "get": anyone, "create": writers, "update": writers,
            "delete": writers, "addField": {}, "protectedFields": {"*": []},
        }
        return {"className": class_name, "fields": fields, "classLevelPermissions": clp}


def _is_relation(v: Any) -> bool:
    return isinstance(v, Mapping) and v.get("__type") == "Relation"


def _hide_unreadable(rec: dict[str, Any]) -> None:
    """An included record a client may not read stays a Pointer (as Parse does)."""
    for k, v in rec.items():
        if isinstance(v, dict) and v.get("__type") == "Object":
            if public(v.get("ACL"), "read"):
                _hide_unreadable(v)
            else:
                rec[k] = {"__type": "Pointer", "className": v.get("className"), "objectId": v.get("objectId")}


def _now_iso() -> str:
    """Now, as Parse writes dates: UTC, milliseconds, Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _key_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _whole(value: Any, what: str) -> int:
    """limit/skip as Parse reads them (a number or its digits); the library checks the rest."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    raise ParseError(INVALID_QUERY, f"{what} must be a non-negative whole number")


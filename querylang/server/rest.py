"""Parse Server's REST API for data, over a querylang ``Database`` (its public API only).

``Api.route`` answers one call (method, path under the mount as sent, parameters or body) with
``(status, json, headers)``; the ASGI layer (app.py) and ``/batch`` both go through it. Calls
run one at a time (app.py gives them a single worker thread): a Parse update may read a record
and write it back (Increment, AddUnique), and must not interleave with another writer.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson

import querylang
from querylang.errors import ScriptError
from querylang.frontends import filters
from querylang.frontends.parse_rest import parse_order, where_to_filter
from querylang.script.values import to_number, to_string, truthy

from .acl import MASTER_ONLY, hide_protected, hide_unreadable, public, readable_where
from .batch import batch_call
from .codec import record_out
from .config import ServerConfig
from .errors import (
    COMMAND_UNAVAILABLE,
    INVALID_CLASS_NAME,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_QUERY,
    INVALID_SESSION_TOKEN,
    OBJECT_NOT_FOUND,
    OPERATION_FORBIDDEN,
    ParseError,
    Unauthorized,
    UnknownField,
    from_query_error,
    not_found,
    run_again,
    the_write,
)
from .global_config import read_config, update_config
from .keys import PERMISSION_DENIED, Access, require_master, require_write
from .where import (
    check_protected,
    check_where,
    read_where,
    readable_sub_queries,
    redirected_sub_queries,
    related_owners,
)
from .writes import is_delete, plan_write

Answer = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class View:
    """How a read is fetched (``select``) and trimmed: ``included`` are the dotted paths where
    records are embedded (empty for the master key, who may read every one)."""

    select: list[str]
    included: set[str]


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
        self.public_path = urlsplit(config.public_url).path.rstrip("/") if config.public_url else ""

    # --- routing ------------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, Any], access: Access, base_url: str) -> Answer:
        """``path`` is as sent (percent-encoded): it is split before its segments are decoded, so
        an objectId holding ``/`` (sent as ``%2F``) stays one segment."""
        parts = [unquote(p) for p in path.split("/") if p]
        if parts:
            parts[0] = parts[0].lower()  # Parse's router reads its route names case-blind (/Classes/Post)
        try:
            try:
                return self._route(method, parts, params, access, base_url)
            except (querylang.QueryError, UnknownField) as exc:
                # A class or field another process added since this one read the schema: the
                # request once more after reading it (a batch's requests each, not the batch),
                # when refused before its write began (errors.the_write).
                if parts == ["batch"] or not run_again(exc) or not self.db.refresh_schema():
                    raise
            return self._route(method, parts, params, access, base_url)
        except querylang.QueryError as exc:
            err = from_query_error(exc)
            if exc.code == OBJECT_NOT_FOUND:
                err = not_found()
            elif exc.code == INVALID_CLASS_NAME and not access.master:
                # Parse answers a client asking for a class that is not there so: a did-you-mean
                # would name classes it may not read (_Installation for _installation).
                err = ParseError(OPERATION_FORBIDDEN, "Permission denied")
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
                self.db.refresh_schema()  # with the classes and fields other processes added
                return 200, {"results": [self.schema_json(c) for c in self.db.schema.classes]}, {}
            case ("GET", ["schemas", cls]):
                require_master(access)
                self.db.refresh_schema()
                if cls not in self.db.schema.classes:
                    raise ParseError(INVALID_CLASS_NAME, f"Class {cls} does not exist.")
                return 200, self.schema_json(cls), {}
            case ("GET", ["health"]):
                return 200, {"status": "ok"}, {}
            case ("GET", ["config"]):
                return 200, read_config(self.db, access), {}
            case ("PUT", ["config"]):
                return 200, update_config(self.db, access, params), {}
        if parts[:1] == ["schemas"]:
            require_master(access)  # Parse asks for the master key before its schema routes run
        raise ParseError(COMMAND_UNAVAILABLE, f"this server does not serve {method} /{'/'.join(parts)}", status=404)

    # --- reads --------------------------------------------------------------------------------

    def acl_field(self, class_name: str) -> str | None:
        """The field holding ACLs in this class, if it has one: the ``--acl-field`` (an Object
        or an ACL field), else a field of the ACL type (always named ``ACL``). That type says
        what it holds whatever ``--acl-field`` names: a class imported from Parse keeps its
        ACLs there while older classes keep theirs in an Object field (``--acl-field acl``)."""
        fields = self.db.schema.get(class_name).fields
        f = fields.get(self.config.acl_field)
        if f is not None and f.type in ("Object", "ACL"):
            return self.config.acl_field
        typed = fields.get("ACL")
        return "ACL" if typed is not None and typed.type == "ACL" else None

    def find(self, access: Access, class_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - FIND_PARAMS)
        if unknown:
            raise ParseError(INVALID_QUERY, f"Invalid parameter for query: {unknown[0]}")
        redirect = _redirect_key(params.get("redirectClassNameForKey"))
        self._served(access, class_name)
        if redirect:
            class_name = self._redirected(class_name, redirect)
            self._served(access, class_name)  # the Relation's target, as the class it belongs to
        where = redirected_sub_queries(read_where(params.get("where"), self.config.max_depth), self._redirected)
        check_where(self.db.schema, class_name, where, self._guard_field, access.master)
        if not access.master:
            for owner in related_owners(where):
                self._served(access, owner)  # which records relate to one of them tells of it
        where = self._sub_queries_for(access, where)
        order = _order(params.get("order"))
        if not access.master:
            try:
                keys_of_order = parse_order(order) or []
            except querylang.QueryError:
                keys_of_order = []  # the library refuses it, with its own message, below
            for key in keys_of_order:
                check_protected(class_name, key.lstrip("-"))
        limit = _page_number(params.get("limit"), "limit")
        if limit is None:
            limit = self.config.default_limit
        skip = _page_number(params.get("skip"), "skip") or None
        count = _js_truthy(params.get("count"))
        # The list the ACL trimming reads is the one the library is given: a value each read
        # differently (an object, whose keys the library took) would embed records unchecked.
        include = _key_list(params.get("include"), "include")
        selected = self._selected(class_name, params.get("keys"))
        if _js_truthy(params.get("includeAll")):
            include, selected = _including_all(self.db.schema, class_name, include, selected)
        exclude = _key_list(params.get("excludeKeys"), "excludeKeys")
        keys, include = _excluding(self.db.schema, class_name, selected, include, exclude)
        view = self._view(access, class_name, keys, include)
        acl = self.acl_field(class_name)
        if access.master or acl is None:
            res = self.db.find(class_name, where, order=order, limit=limit, skip=skip, count=count,
                               include=include or None, keys=view.select or None)
            records, total = res.records, res.count
        else:
            records, total = self._find_public(class_name, where, order, limit, skip, include, view.select, acl)
        results = self._render(access, class_name, records, view, exclude)
        if redirect:
            # Parse names the class on each result: the client asked another class for them.
            for r in results:
                r["className"] = class_name
        out: dict[str, Any] = {"results": results}
        if count:
            out["count"] = total
        return out

    def _served(self, access: Access, class_name: str, action: str = "find") -> None:
        """Parse's session, installation, push and job classes answer the master key only, as
        Parse Server 9 refuses a client there: 119 "Permission denied" (its sanitized words),
        and for _Session 209, the code of a request without a session ("Session token
        required." for a create or an update, which would need one)."""
        if class_name in MASTER_ONLY and not access.master:
            if class_name == "_Session":
                needs = action in ("create", "update")
                raise ParseError(INVALID_SESSION_TOKEN, "Session token required." if needs else PERMISSION_DENIED)
            raise ParseError(OPERATION_FORBIDDEN, PERMISSION_DENIED)

    def _guard_field(self, class_name: str) -> str | None:
        """What check_where guards in a class: its ACL field, and in a class served to the master
        key only, everything (a Pointer path into it is refused like one into a class with ACLs)."""
        return "ACL" if class_name in MASTER_ONLY else self.acl_field(class_name)

    def _redirected(self, class_name: str, key: Any) -> str:
        """Parse's ``redirectClassNameForKey``: the target class when ``key`` is a Relation field
        of the class (how the JS SDK queries a relation whose target it does not know). The key
        is looked up as JavaScript looks up a property, so ``["fans"]`` names ``fans`` (in a
        sub-query too, which Parse hands on as it came)."""
        if not truthy(key):
            return class_name
        try:
            name = key if isinstance(key, str) else to_string(key)
        except ScriptError:
            return class_name
        f = self.db.schema.get(class_name).fields.get(name)
        return f.target if f is not None and f.type == "Relation" and f.target else class_name

    def _sub_queries_for(self, access: Access, where: Any) -> Any:
        """The where to run: without the master key, its sub-queries see only readable records."""
        if access.master:
            return where
        conditions: dict[str, dict[str, Any] | None] = {}

        def narrow(class_name: str) -> dict[str, Any] | None:
            self._served(access, class_name)  # a sub-query there is refused, as Parse refuses it
            if class_name not in conditions:
                conditions[class_name] = self._readable(class_name)
            return conditions[class_name]

        return readable_sub_queries(where, narrow)

    def _readable(self, class_name: str) -> dict[str, Any] | None:
        """The condition a record of this class needs for a client to read it, if any (a class
        served to the master key only is refused before: narrow)."""
        acl = self.acl_field(class_name) if class_name in self.db.schema.classes else None
        if acl is None:
            return None
        # Streamed: every record's ACL is needed, however many there are (max_rows does not cap it).
        with self._within_timeout() as cancel:
            return readable_where(self.db.stream(class_name, select=[acl], cancel=cancel), acl)

    @contextlib.contextmanager
    def _within_timeout(self) -> Iterator[threading.Event | None]:
        """A cancel event for the streams read inside, set once the database's query timeout
        has passed: a stream has no timeout of its own (its reader sets the pace), so a slow
        ACL read, or one waiting on a PostgreSQL lock, held the one database thread, and every
        request queued behind it, for good, where the master key's find of the same records
        stops at the timeout. Stopped, it is that find's error (QueryTimeout)."""
        timeout = self.db.timeout
        if timeout is None:
            yield None
            return
        cancel = threading.Event()
        # A timeout past what a thread may wait (1e12 s) would end the timer's thread at once
        # with an OverflowError, a traceback on stderr for every such request.
        timer = threading.Timer(min(timeout, threading.TIMEOUT_MAX), cancel.set)
        timer.daemon = True
        timer.start()
        try:
            yield cancel
        except querylang.QueryCancelled:
            raise querylang.QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
        finally:
            timer.cancel()

    def _selected(self, class_name: str, value: Any) -> list[str]:
        """``keys``, where a key naming ``ACL`` (also at the end of a dotted path) in a class
        without a field of that name is that class's ACL field, or, without one, nothing more
        than the keys always there: ACL is one of Parse's always-selected keys, and answers name
        a class's ACL ``ACL`` whatever field holds it (``--acl-field``)."""
        keys = []
        for key in _selected_keys(value):
            parent, _, last = key.rpartition(".")
            owner = _included(self.db.schema, class_name, [parent]).get(parent) if parent else class_name
            cls = self.db.schema.classes.get(owner) if owner else None
            if last == "ACL" and cls is not None and "ACL" not in cls.fields:
                key = ".".join(p for p in (parent, self.acl_field(cls.name) or "objectId") if p)
            keys.append(key)
        return keys

    def _view(self, access: Access, class_name: str, keys: list[str], include: list[str]) -> View:
        """What a read fetches and how its answer is trimmed for this caller."""
        acl = self.acl_field(class_name)
        select = [*keys, acl] if keys and acl else list(keys)
        included = _included(self.db.schema, class_name, [*include, *_key_parents(keys)])
        # ACL is one of Parse's always-selected keys, in an embedded record narrowed by keys
        # too (Parse answers it there); a client's read also needs it, to decide whether it shows.
        for path, target in included.items():
            target_acl = self.acl_field(target)
            narrowed = any(k.startswith(path + ".") for k in keys)
            if target_acl is not None and narrowed and f"{path}.{target_acl}" not in keys:
                select.append(f"{path}.{target_acl}")
        return View(select, set() if access.master else set(included))

    def _find_public(
        self, class_name: str, where: Any, order: Any, limit: Any, skip: Any, include: list[str], select: list[str], acl: str
    ) -> tuple[list[dict[str, Any]], int]:
        """A find that leaves out records whose ACL denies public read, with exact paging and count.

        The ACL is read for every match first (one narrow query), then the page is fetched by id;
        only classes that have an ACL field pay for this.
        """
        lim, sk = self._paging(class_name, where, order, limit, skip)
        # Streamed, as _readable: every match's ACL is needed, however many there are (a find
        # capped at max_rows cut the count and left the pages past it empty).
        with self._within_timeout() as cancel:
            probe = self.db.stream(class_name, where_to_filter(where), sort=parse_order(order), select=[acl], cancel=cancel)
            visible = [r["objectId"] for r in probe if public(r.get(acl), "read")]
        page = visible[sk : sk + lim]
        if not page:
            return [], len(visible)
        cap = self.db.max_rows
        if cap is not None and len(page) > cap:  # as the master key's find of the same page
            raise querylang.LimitExceeded(f"the query returns more than {cap} records; add a limit or raise max_rows")
        # Fetched by id in pieces one containedIn list may hold: a limit past it failed with
        # "containedIn has N items (max ...)", the error of a query the client never wrote.
        by_id: dict[str, dict[str, Any]] = {}
        for start in range(0, len(page), filters.MAX_LIST):
            part = page[start : start + filters.MAX_LIST]
            res = self.db.find(class_name, {"objectId": {"$in": part}}, limit=len(part), include=include or None,
                               keys=select or None)
            by_id.update((r["objectId"], r) for r in res.records)
        # The probe's order is the answer's ($nearSphere's distance order cannot be asked for again).
        return [by_id[oid] for oid in page if oid in by_id], len(visible)

    def _paging(self, class_name: str, where: Any, order: Any, limit: Any, skip: Any) -> tuple[int, int]:
        """limit and skip as whole numbers. A value the library would refuse is handed to it with
        the rest of the query, so the client gets the error (code and message, and the same one
        first) that a master-key find gets."""
        lim, sk = _whole(limit), 0 if skip is None else _whole(skip)
        if lim is None or sk is None:
            self.db.find(class_name, where, order=order, limit=limit, skip=skip)
            raise ParseError(INVALID_QUERY, "limit and skip must be non-negative whole numbers")
        return lim, sk

    def _render(
        self, access: Access, class_name: str, records: list[dict[str, Any]], view: View, exclude: list[str]
    ) -> list[dict[str, Any]]:
        schema = self.db.schema
        acl = self.config.acl_field
        out = []
        for rec in records:
            r = record_out(schema, class_name, rec, acl)
            if not access.master:
                hide_protected(class_name, r)
                hide_unreadable(r, view.included)
            for k in exclude:
                _leave_out(schema, class_name, r, k.split("."))
            out.append(r)
        return out

    def get(self, access: Access, class_name: str, oid: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if set(params) - GET_PARAMS:
            raise ParseError(INVALID_QUERY, "Improper encode of parameter")
        self._served(access, class_name)
        if "\x00" in oid:
            raise not_found()  # no record can have it (strings hold no NUL), as PUT and DELETE answer
        exclude = _key_list(params.get("excludeKeys"), "excludeKeys")
        keys, include = _excluding(self.db.schema, class_name, self._selected(class_name, params.get("keys")),
                                   _key_list(params.get("include"), "include"), exclude)
        view = self._view(access, class_name, keys, include)
        acl = self.acl_field(class_name)
        res = self.db.find(class_name, {"objectId": oid}, limit=1, include=include or None, keys=view.select or None)
        if not res.records or not (access.master or acl is None or public(res.records[0].get(acl), "read")):
            raise not_found()
        return self._render(access, class_name, res.records, view, exclude)[0]

    # --- writes -------------------------------------------------------------------------------

    def create(self, access: Access, class_name: str, body: Mapping[str, Any], base_url: str) -> Answer:
        self._served(access, class_name, "create")  # before the class-level permissions, as Parse
        require_write(access, "create", class_name)
        self._know_deleted(class_name, body)
        plan = plan_write(self.db.schema, class_name, body, None, self.acl_field(class_name))
        # The server stamps the record, so the answer needs no second read.
        now = _now_iso()
        with the_write():
            oid = self.db.create(class_name, {**plan.fields, "createdAt": now, "updatedAt": now})
        location = f"{self.config.public_url or base_url}/classes/{quote(class_name, safe='')}/{quote(oid, safe='')}"
        return 201, {"objectId": oid, "createdAt": now, **plan.answers}, {"Location": location}

    def update(self, access: Access, class_name: str, oid: str, body: Mapping[str, Any]) -> dict[str, Any]:
        self._served(access, class_name, "update")  # before the class-level permissions, as Parse
        require_write(access, "update", class_name)
        if body.get("objectId") == oid:
            # The record's own objectId, sent back with it: Parse leaves it as it is.
            body = {k: v for k, v in body.items() if k != "objectId"}
        self._know_deleted(class_name, body)
        acl = self.acl_field(class_name)
        # A body whose operations do not read the stored values is checked before anything is
        # read, as before (a bad body to a missing record is the body's error).
        # An "__op" that is no string (a list: unhashable) is left to plan_write's "unknown op".
        needs_current = (not access.master and acl is not None) or any(
            isinstance(v, Mapping) and isinstance(v.get("__op"), str) and v["__op"] in READING_OPS
            for v in body.values())
        checked = None if needs_current else plan_write(self.db.schema, class_name, body, {}, acl)
        answers: dict[str, Any] = {}

        def change(current: dict[str, Any]) -> querylang.Change:
            # Inside the write's transaction, on the record it holds: an Increment or an array
            # op computed from a value another request (or serve process) is changing was lost.
            if not access.master and acl is not None and not public(current.get(acl), "write"):
                raise not_found()
            try:
                plan = checked or plan_write(self.db.schema, class_name, body, current, acl)
            except UnknownField:  # another process's new field: read in this transaction (the_write)
                if not self.db.refresh_schema():
                    raise
                plan = plan_write(self.db.schema, class_name, body, current, acl)
            answers.update(plan.answers)
            # One save with the edges (also when only edges change: Parse moves updatedAt on every update).
            return querylang.Change(plan.fields, plan.add, plan.remove, plan.unset)

        with the_write():
            written = self.db.update(class_name, oid, change)
        return {"updatedAt": written["updatedAt"], **answers}

    def _know_deleted(self, class_name: str, body: Mapping[str, Any]) -> None:
        """A Delete of a field the class lacks changes nothing (plan_write): first the schema is
        read again, so a field another process just added is unset, not left as it is."""
        fields = self.db.schema.get(class_name).fields
        if any(is_delete(value) and key not in fields for key, value in body.items()):
            self.db.refresh_schema()

    def delete(self, access: Access, class_name: str, oid: str) -> dict[str, Any]:
        self._served(access, class_name, "delete")  # before the class-level permissions, as Parse
        require_write(access, "delete", class_name)
        acl = self.acl_field(class_name)
        if access.master or acl is None:
            self.db.delete(class_name, oid)
            return {}

        def writable(current: dict[str, Any]) -> None:
            # Inside the delete's transaction, on the record it holds: an ACL another serve
            # process changes between a separate check and the delete is not missed.
            if not public(current.get(acl), "write"):
                raise not_found()

        self.db.delete(class_name, oid, check=writable)
        return {}

    def batch(self, access: Access, body: Mapping[str, Any], base_url: str) -> list[dict[str, Any]]:
        """Parse's ``/batch``: each request answered on its own, ``{success}`` or ``{error}``."""
        requests = body.get("requests")
        if not isinstance(requests, list):
            raise ParseError(INVALID_JSON, "requests must be an array")
        if body.get("transaction"):
            raise ParseError(COMMAND_UNAVAILABLE, "transactional batches are not supported")
        # As sent by an SDK: under the mount as this request spells it (/PARSE/batch takes
        # /PARSE/classes/...); when clients are given a public URL on another path, under the
        # mount or that path instead (the longer of the two when both match), as Parse's
        # batch routing reads them.
        prefixes = [urlsplit(base_url).path]
        if self.public_path and self.public_path != self.config.mount:
            prefixes = sorted({p for p in (self.config.mount, self.public_path) if p}, key=len, reverse=True)
        calls = [batch_call(r, prefixes) for r in requests]  # all checked before any runs
        out: list[dict[str, Any]] = []
        for method, path, params in calls:
            try:
                _, answer, _ = self.route(method, path, params, access, base_url)
                out.append({"success": answer})
            except ParseError as exc:
                out.append({"error": exc.body()})
            except Unauthorized as exc:
                # Parse's batch answers such an error as {code, error} with no code to give:
                # the code is left out (119 here said more than the route alone answers).
                out.append({"error": exc.body()})
        return out

    # --- schemas ------------------------------------------------------------------------------

    def schema_json(self, class_name: str) -> dict[str, Any]:
        cls = self.db.schema.get(class_name)
        fields: dict[str, Any] = {
            "objectId": {"type": "String"}, "createdAt": {"type": "Date"}, "updatedAt": {"type": "Date"},
        }
        acl = self.acl_field(class_name)
        if acl is not None:
            # Only a class that can hold ACLs lists one: a client that trusts the schema and
            # writes an ACL into any other class is refused (119). Whatever field holds them,
            # reads and writes name it ACL.
            fields["ACL"] = {"type": "ACL"}
        for f in cls.user_fields:
            if f.name != acl:
                fields[f.name] = f.to_json()
        anyone = {"*": True}
        writers = anyone if self.config.allow_client_writes else {}
        clp = {
            "find": anyone, "count": anyone, "get": anyone, "create": writers, "update": writers,
            "delete": writers, "addField": {}, "protectedFields": {"*": []},
        }
        return {"className": class_name, "fields": fields, "classLevelPermissions": clp}


def _included(schema: Any, class_name: str, paths: list[str]) -> dict[str, str]:
    """Every dotted Pointer path a read embeds records at (each prefix of each path, ``*``
    expanded to the Pointer fields of its class, as the library reads them) → their class."""
    out: dict[str, str] = {}
    for path in paths:
        _include_path(schema, class_name, path.split("."), "", out)
    return out


def _include_path(schema: Any, class_name: str, parts: list[str], prefix: str, out: dict[str, str]) -> None:
    cls = schema.classes.get(class_name)
    if cls is None:
        return
    head, rest = parts[0], parts[1:]
    heads = [f.name for f in cls.user_fields if f.type == "Pointer"] if head == "*" else [head]
    for name in heads:
        f = cls.fields.get(name)
        if f is None or f.type != "Pointer" or f.target is None:
            continue  # the library refuses it
        out[prefix + name] = f.target
        if rest:
            _include_path(schema, f.target, rest, f"{prefix}{name}.", out)


# Parse's AlwaysSelectedKeys: keys cannot drop them, nor can excludeKeys.
ALWAYS_KEYS = ("objectId", "createdAt", "updatedAt", "ACL")


def _including_all(schema: Any, class_name: str, include: list[str], keys: list[str]) -> tuple[list[str], list[str]]:
    """include and keys with ``includeAll``, as Parse Server 9 reads it (RestQuery's
    handleIncludeAll): every Pointer field is included beside the paths given (includeAll with
    include=post.author went one level only, the paths dropped), and given keys gain every
    Pointer and Array field (includeAll with keys=title answered no Pointer at all). Parse
    includes Array fields too: serve includes Pointer fields only (docs/serve.md)."""
    fields = schema.get(class_name).user_fields
    include = [*include, *(f.name for f in fields if f.type == "Pointer" and f.name not in include)]
    if keys:
        keys = [*keys, *(f.name for f in fields if f.type in ("Pointer", "Array") and f.name not in keys)]
    return include, keys


def _excluding(schema: Any, class_name: str, keys: list[str], include: list[str], exclude: list[str]) -> tuple[list[str], list[str]]:
    """keys and include as Parse reads them beside ``excludeKeys``: a key both selected and
    excluded is not selected (none left: only the keys always there), and ``a.b`` excluded
    embeds the record at Pointer path ``a`` to leave ``b`` out of it (_leave_out)."""
    if keys:
        keys = [k for k in keys if k not in exclude] or ["objectId"]
    parents = _key_parents(exclude)
    embedded = _included(schema, class_name, parents)
    return keys, [*include, *(p for p in parents if p in embedded and p not in include)]


def _leave_out(schema: Any, class_name: str, record: dict[str, Any], path: list[str]) -> None:
    """excludeKeys ``a.b.c``: drop ``c`` from the record embedded at ``a.b`` (never a key of
    ALWAYS_KEYS, nor a Relation's marker: Parse adds those after its projection, so
    ``excludeKeys=fans`` still answers ``fans`` as a Relation)."""
    head, rest = path[0], path[1:]
    if not rest:
        cls = schema.classes.get(class_name)
        f = cls.fields.get(head) if cls is not None else None
        if head not in ALWAYS_KEYS and (f is None or f.type != "Relation"):
            record.pop(head, None)
        return
    inner = record.get(head)
    if isinstance(inner, dict) and inner.get("__type") == "Object":
        _leave_out(schema, str(inner.get("className")), inner, rest)


def _selected_keys(value: Any) -> list[str]:
    """``keys``; given but naming nothing (``keys=``), Parse selects only ALWAYS_KEYS."""
    keys = _key_list(value, "keys")
    return keys or (["objectId"] if value is not None else [])


def _key_parents(keys: list[str]) -> list[str]:
    """The paths a dotted key embeds records at: ``a.b.c`` selects ``c`` inside ``a.b``."""
    return [k.rsplit(".", 1)[0] for k in keys if "." in k]


def _now_iso() -> str:
    """Now, as Parse writes dates: UTC, milliseconds, Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _key_list(value: Any, what: str) -> list[str]:
    """``keys``/``include``/``excludeKeys``: ``"a,b.c"``, or an array read as Parse reads it,
    through JavaScript's ``String(...)`` (``[null, "a"]`` is ``",a"``, ``[["a", "b"]]`` is
    ``"a,b"``, ``[true]`` is ``"true"``); anything else is refused (107), as the library does."""
    if value is None:
        return []
    if not isinstance(value, str | list):
        raise ParseError(INVALID_JSON, f"{what} must be a string or a list of strings")
    try:
        items = (value if isinstance(value, str) else to_string(value)).split(",")
    except ScriptError as exc:  # an element String() cannot convert ({"toString": "x"}): say where
        raise ParseError(INVALID_JSON, f"{what} must be a string or a list of strings ({exc.message})") from None
    return [i.strip() for i in items if i.strip()]


def _order(value: Any) -> str | None:
    """``order`` as Parse Server 9 reads it: ``String(value)`` when JavaScript finds it true, so
    ``["-n", "title"]`` is "-n,title", and ``{}`` is "[object Object]", no field (105), where it
    was taken for no order; ``true`` is the field "true" (it was 107 "order must be a string")."""
    order = _js_string(value, "order")
    if order is None:
        return None
    # Parse sorts by each item, trimmed, an empty one too ("Invalid field name: ."); the
    # library skips empty items (a script's sort([]) sends order ''), the server may not.
    if any(not item.strip().removeprefix("-") for item in order.split(",")):
        shown = orjson.dumps(order).decode()
        raise ParseError(INVALID_KEY_NAME, f"cannot sort by '': order {shown[:80]} holds an empty key")
    return order


def _redirect_key(value: Any) -> str:
    """``redirectClassNameForKey`` as Parse Server 9 reads it: ``String(value)`` when JavaScript
    finds it true, so ``["fans"]`` is ``fans`` (it was ignored) and ``{}`` is "[object Object]",
    a key that is no Relation, on whose answer every result still says its class; ``[]`` is "",
    no key at all."""
    return _js_string(value, "redirectClassNameForKey") or ""


def _js_string(value: Any, name: str) -> str | None:
    """A parameter Parse Server reads with ``String(value)`` when JavaScript finds it true; None
    when it finds it false."""
    if not truthy(value):
        return None
    try:
        return value if isinstance(value, str) else to_string(value)
    except ScriptError as exc:  # an object whose toString is no function (Parse: a TypeError, 500)
        raise ParseError(INVALID_JSON, f"{name} must be a string ({exc.message})") from None


def _page_number(value: Any, name: str) -> int | None:
    """limit or skip as Parse Server 9 reads it (ClassesRouter.optionsFromBody): JavaScript's
    ``Number(value)``, so ``[5]``, ``["5"]``, ``"0x10"`` and ``" 5 "`` are numbers and ``[]`` is 0
    (``limit=[5]`` was 107 here, five records there); a value JavaScript finds false is no value
    (the default limit, no skip), but a limit of 0. A fraction is rounded as PostgreSQL rounds
    Parse's LIMIT/OFFSET, halves away from zero (1.5 is 2, 0.4 is 0, -1.5 is -2). What is no
    finite number is 107 naming the parameter, where Parse answers 500; a negative one is left to
    the library's 102."""
    if not (truthy(value) or (name == "limit" and value == 0 and not isinstance(value, bool | str))):
        return None
    try:
        number = to_number(value)
    except ScriptError:  # an object whose toString is no function: JavaScript's TypeError
        number = math.nan
    if not math.isfinite(number):
        shown = orjson.dumps(value).decode()
        raise ParseError(INVALID_JSON, f"{name} must be a whole number, got {shown[:60]}")
    if isinstance(number, int):
        return number
    # repr: the shortest text of the double, the one Parse writes into its SQL.
    return int(Decimal(repr(number)).to_integral_value(ROUND_HALF_UP))


def _js_truthy(value: Any) -> bool:
    """count as Parse Server reads it (``if (body.count)``): JavaScript's truth, in which an
    empty array or object is true (Python's bool() said false: count=[] gave no count)."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def _whole(value: Any) -> int | None:
    """limit/skip as _page_number read them, when whole and not negative; else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

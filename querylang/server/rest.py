"""Parse Server's REST API for data, over a querylang ``Database`` (its public API only).

``Api.route`` answers one call (method, path under the mount as sent, parameters or body) with
``(status, json, headers)``; the ASGI layer (app.py) and ``/batch`` both go through it. Calls
run one at a time (app.py gives them a single worker thread): a Parse update may read a record
and write it back (Increment, AddUnique), and must not interleave with another writer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

import querylang

from .batch import batch_call
from .class_access import Answer
from .errors import (
    COMMAND_UNAVAILABLE,
    DUPLICATE_VALUE,
    INVALID_CLASS_NAME,
    INVALID_JSON,
    OBJECT_NOT_FOUND,
    OPERATION_FORBIDDEN,
    ParseError,
    Unauthorized,
    UnknownField,
    from_query_error,
    not_found,
    run_again,
)
from .global_config import read_config, update_config
from .keys import Access, require_master
from .read_routes import ReadRoutes
from .write_routes import WriteRoutes


def unserved(method: str, sent: str) -> ParseError:
    """108 for a route this server does not serve, naming the path below the mount as the
    client sent it (not as the router reads it, case-blind)."""
    return ParseError(COMMAND_UNAVAILABLE, f"this server does not serve {method} {sent}", status=404)


def route_segments(path: str, method: str) -> list[str]:
    """The segments of ``path`` as Parse Server's router (Express) matches them: one extra
    slash after the mount (``//classes/Post``) and one at the end (``/classes/Post/``) are
    taken; any other empty segment (``/classes//Post``) matches no route."""
    segments = path.split("/")[1:]
    if len(segments) > 1 and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    if "" in segments:
        raise unserved(method, path)
    return segments


class Api(ReadRoutes, WriteRoutes):
    """The REST handlers of one server: the routes of ``/classes`` (read_routes, write_routes),
    ``/batch``, ``/schemas``, ``/config`` and ``/health``."""

    # --- routing ------------------------------------------------------------------------------

    def route(self, method: str, path: str, params: dict[str, Any], access: Access, base_url: str) -> Answer:
        """``path`` is as sent (percent-encoded): it is split before its segments are decoded, so
        an objectId holding ``/`` (sent as ``%2F``) stays one segment."""
        parts = [unquote(p) for p in route_segments(path, method)]
        if parts:
            parts[0] = parts[0].lower()  # Parse's router reads its route names case-blind (/Classes/Post)
        try:
            try:
                schema = self.db.schema
                answer = self._route(method, parts, params, access, base_url, path)
                if method == "GET" and not access.master and self.db.schema is not schema:
                    # Another process changed the schema, and this process heard of it with the
                    # read's own rows: who may read what was decided with the old one (a class
                    # that just gained its ACL field showed its records unchecked). Once more.
                    answer = self._route(method, parts, params, access, base_url, path)
                return answer
            except (querylang.QueryError, UnknownField) as exc:
                # A class or field another process added since this one read the schema: the
                # request once more after reading it (a batch's requests each, not the batch),
                # when refused before its write began (errors.the_write).
                if parts == ["batch"] or not run_again(exc) or not self._schema_again(method, parts, exc, access):
                    raise
            return self._route(method, parts, params, access, base_url, path)
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

    def _schema_again(self, method: str, parts: list[str], exc: Exception, access: Access) -> bool:
        """Whether the stored schema, read again, knows more than this process: for a request
        refused for its class this process does not know, whether that class is there now
        (``absent``, which reads the schema once for all the requests to it in a short while,
        but for the master key's writes: its create in a class another process has just made
        was refused)."""
        if (len(parts) > 1 and parts[0] == "classes" and isinstance(exc, querylang.QueryError)
                and exc.code == INVALID_CLASS_NAME and parts[1] not in self.db.schema.classes):
            return not self.absent(parts[1], remembered=method == "GET" or not access.master)
        return self.db.refresh_schema()

    def _route(self, method: str, parts: list[str], params: dict[str, Any], access: Access, base_url: str, sent: str) -> Answer:
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
        raise unserved(method, sent)

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
        for method, path, params, refused in calls:
            if refused is not None:
                out.append({"error": refused.body()})
                continue
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


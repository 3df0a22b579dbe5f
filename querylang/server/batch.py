"""The requests of a ``POST /batch``, routed as Parse Server's batch routes them (its batch.js).

Each request's path is taken as an SDK sends it, under the API's path (the mount, or the path
of ``--public-url``); what follows that path is resolved as Parse resolves it (Node's
``path.posix.join('/', rest)``): empty, ``.`` and ``..`` segments go, ``..`` never above the
API's root, so ``/parse/classes/Post/./p1`` is the get of ``p1`` and ``/parse/classes/Post/p1/..``
the find of Post. Only the literal segments are resolved: ``%2E`` stays, and reaches the route
as the objectId ``.``, as Parse's router decodes it. A request that reaches no route of Parse's
refuses the whole batch before any request runs; one whose body Parse cannot write (a number,
``true``) fails alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import orjson

from .errors import INVALID_JSON, ParseError

# The routes of Parse's own API whose every shape is known here (method, number of segments):
# a request to any other shape under them is no route of Parse's, and refuses the batch.
SHAPES = {
    "classes": {("GET", 2), ("POST", 2), ("GET", 3), ("PUT", 3), ("DELETE", 3)},
    "schemas": {("GET", 1), ("GET", 2), ("POST", 1), ("POST", 2), ("PUT", 2), ("DELETE", 2)},
    "config": {("GET", 1), ("PUT", 1)},
    "batch": {("POST", 1)},
}
# Routes of Parse's own API this server does not serve: in a batch, such a request fails on its
# own (as it does alone) and the others run, where an unknown path refuses the whole batch.
PARSE_ONLY_ROUTES = {
    "users", "login", "logout", "loginAs", "requestPasswordReset", "verificationEmailRequest",
    "verifyPassword", "sessions", "upgradeToRevocableSession", "roles", "events", "installations",
    "functions", "jobs", "push", "push_audiences", "scriptlog", "validate_purchase", "serverInfo",
    "graphql-config", "purge", "hooks", "cloud_code", "aggregate", "security",
}
PARSE_ONLY = {name.lower() for name in PARSE_ONLY_ROUTES}  # as the router reads them, case-blind
# Parse's router takes these four, as sent: a request whose method is "get" reaches no route.
METHODS = ("GET", "POST", "PUT", "DELETE")


class Call(NamedTuple):
    """One request of a batch, as routed: ``refused`` is its answer when it fails alone
    before it runs."""

    method: str
    path: str
    params: dict[str, Any]
    refused: ParseError | None = None


def batch_call(r: Any, prefixes: list[str]) -> Call:
    """One request of a batch: its method, its path under the API (still percent-encoded) and
    its body; ``prefixes`` are the paths the API is reached at, longest first."""
    if not isinstance(r, Mapping) or not isinstance(r.get("path"), str):
        raise ParseError(INVALID_JSON, "batch request path must be a string")  # Parse's words
    sent: str = r["path"]
    # Parse compares the text, as an SDK builds it from the server's URL (the longer of the
    # two paths when both match).
    prefix = next((p for p in prefixes if sent.startswith(p)), None)
    if prefix is None and prefixes:
        raise ParseError(INVALID_JSON, f"cannot route batch path {sent}")
    path = resolved(sent[len(prefix or ""):])
    method = r.get("method")
    shown = method if isinstance(method, str) else "undefined" if method is None else str(method)
    if shown.upper() == "POST" and path == "/batch":
        raise ParseError(INVALID_JSON, "nested batch requests are not allowed")  # Parse's words
    parts = [s for s in path.split("/") if s]
    root = parts[0].lower() if parts else ""  # Parse's router reads its paths case-blind
    if method not in METHODS or not (
        (method, len(parts)) in SHAPES.get(root, ()) or root in PARSE_ONLY
    ):
        raise ParseError(INVALID_JSON, f"cannot route {shown} {path}")
    if root == "batch":
        raise ParseError(INVALID_JSON, "nested batch requests are not allowed")
    body = r.get("body", {})
    if body is None or body is False or body == 0:
        body = {}  # none, as JavaScript's truth reads it: Parse takes {} in its place
    if isinstance(body, list | str):
        # Read as JavaScript reads their keys, as Parse does: {"0": ...}, which the route
        # refuses (a field or a parameter named 0) in this request alone.
        body = dict(enumerate(body))
    if not isinstance(body, Mapping):
        # A number or true: Parse reads it as {} in a find, a get or a delete, and a create or
        # an update of it fails alone (JavaScript's TypeError, no code): the others run.
        if method in ("POST", "PUT"):
            shown = orjson.dumps(body).decode()
            return Call(method, path, {}, ParseError(INVALID_JSON, f"a batch request's body must be an object, got {shown}"))
        body = {}
    return Call(method, path, {str(k): v for k, v in body.items()})


def resolved(rest: str) -> str:
    """``rest`` as Node's ``path.posix.join('/', rest)`` gives it: one leading ``/``, no empty
    or ``.`` segment, each ``..`` taking the segment before it away (none above the root), a
    trailing ``/`` kept."""
    out: list[str] = []
    segments = rest.split("/")
    for s in segments:
        if s == "..":
            if out:
                out.pop()
        elif s not in ("", "."):
            out.append(s)
    return "/" + "/".join(out) + ("/" if out and segments[-1] == "" else "")

"""Reading what a client sent: the JSON body (any content type, as Parse reads it) and the query string.

The Parse JS SDK sends every call as a ``text/plain`` POST whose JSON body carries the real
method (``_method``) and the keys (``_ApplicationId``, ``_MasterKey`` ...), to avoid a CORS
preflight; so the body is read as JSON whatever the content type says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.routing import Mount, Route

from .errors import INVALID_JSON, OBJECT_TOO_LARGE, ParseError

R = TypeVar("R", Route, Mount)


def too_large(limit: int) -> ParseError:
    return ParseError(OBJECT_TOO_LARGE, f"request entity too large (the limit is {limit} bytes)", status=413)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes (before it is all read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(raw: bytes, max_depth: int) -> dict[str, Any]:
    """The body as a JSON object (``{}`` when empty), or Parse's 107 error."""
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        # orjson also refuses nesting past 1024 levels here: still bad JSON to the client.
        raise ParseError(INVALID_JSON, f"Invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParseError(INVALID_JSON, "Invalid JSON: the body must be a JSON object")
    check_depth(value, max_depth)
    return value


def check_depth(value: Any, max_depth: int) -> None:
    """Refuse deeply nested documents before anything walks them recursively."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if depth > max_depth:
            raise ParseError(INVALID_JSON, f"Invalid JSON: nested deeper than {max_depth} levels")
        if isinstance(v, dict):
            stack.extend((x, depth + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, depth + 1) for x in v)


def query_params(params: Mapping[str, str], max_depth: int) -> dict[str, Any]:
    """URL parameters, each read as JSON when it is JSON (``limit=10`` → 10), as Parse does."""
    out: dict[str, Any] = {}
    for key, text in params.items():
        try:
            out[key] = orjson.loads(text)
        except orjson.JSONDecodeError:
            out[key] = text
        check_depth(out[key], max_depth)
    return out


def raw_path(request: Request) -> str:
    """The request's path as sent, still percent-encoded: split before its segments are
    decoded, an objectId holding ``/`` (sent as ``%2F``) stays inside one segment."""
    raw = request.scope.get("raw_path")
    return raw.decode("utf-8", "replace") if raw is not None else quote(request.url.path)


def any_line(route: R) -> R:
    """``route`` with its path pattern matching across a newline. Starlette's ``{path:path}``
    (a Mount's too) is ``.*``, which stops at one: an objectId holding a newline, sent as ``%0A``,
    matched no route and got a bare "Not Found" text, from the API and the browser alike."""
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    return route

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

from .errors import INVALID_JSON, OBJECT_TOO_LARGE, BadBody, ParseError

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
    """The body as a JSON object (``{}`` when empty), or the error Parse Server 9 answers: its
    JSON body parser's 400 with no code, in JavaScript's words where they are known (a body
    that does not start with ``{`` or ``[``, one that ends early); a JSON body that is no
    object, or nested too deep, is 107."""
    if not raw:
        return {}
    first = raw.lstrip(JSON_SPACE)[:1]
    if not first:
        raise BadBody(END_OF_INPUT)
    if first not in (b"{", b"["):
        text = raw.decode("utf-8", "replace")
        raise BadBody(_unexpected_token(text, len(text) - len(text.lstrip(JSON_SPACE.decode()))))
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if exc.msg == "depth limit exceeded":  # valid JSON to Parse, so not its 400 here
            raise ParseError(INVALID_JSON, f"Invalid JSON: nested deeper than {max_depth} levels") from None
        if exc.pos >= len(exc.doc):
            raise BadBody(END_OF_INPUT) from None
        raise BadBody(f"{exc.msg} in JSON at position {exc.pos}") from None
    if not isinstance(value, dict):
        raise ParseError(INVALID_JSON, "Invalid JSON: the body must be a JSON object")
    check_depth(value, max_depth)
    return value


JSON_SPACE = b" \t\n\r"
END_OF_INPUT = "Unexpected end of JSON input"
CONTEXT = 10  # characters JavaScript's JSON.parse shows on each side of the bad one


def _unexpected_token(text: str, pos: int) -> str:
    """JavaScript's (V8's) ``JSON.parse`` message for the character at ``pos``: the whole text
    when short, else up to CONTEXT characters on each side, an elision marked by ``...``."""
    if len(text) <= 2 * CONTEXT:
        shown = f'"{text}"'
    elif pos < CONTEXT:
        shown = f'"{text[:pos + CONTEXT]}"...'
    elif pos < len(text) - CONTEXT:
        shown = f'..."{text[pos - CONTEXT:pos + CONTEXT]}"...'
    else:
        shown = f'..."{text[pos - CONTEXT:]}"'
    return f"Unexpected token '{text[pos]}', {shown} is not valid JSON"


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

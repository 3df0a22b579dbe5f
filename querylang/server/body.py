"""Reading what a client sent: the body (as Parse Server's body parsers read it) and the query string.

The Parse JS SDK sends every call as a ``text/plain`` POST whose JSON body carries the real
method (``_method``) and the keys (``_ApplicationId``, ``_MasterKey`` ...), to avoid a CORS
preflight; so a body is read as JSON whatever the content type says, but for a form
(``application/x-www-form-urlencoded``, read as Parse reads one: every value text) and
``multipart/form-data`` (which Parse leaves unread but for file uploads).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote

import orjson
from starlette.requests import Request
from starlette.routing import Mount, Route

from .config import DEFAULT_MAX_BODY
from .errors import INVALID_JSON, BadBody, ParseError, too_large
from .inflate import inflated
from .qs import parse_form, parse_query

R = TypeVar("R", Route, Mount)


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it passes ``limit`` bytes (before it is all read)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(raw: bytes, max_depth: int, content_type: str | None = None, encoding: str | None = None,
               limit: int = DEFAULT_MAX_BODY) -> dict[str, Any]:
    """The body as an object (``{}`` when empty), or the error Parse Server 9 answers.

    A form is read as Parse's form parser reads it (:func:`parse_form`); a multipart body is
    not read (``{}``). A compressed body (``Content-Encoding``) is inflated first
    (:func:`inflated`). Anything else is JSON, as Parse's JSON body parser reads it: decoded in
    its charset (one not ``utf-*`` is 415; bytes that are no UTF-8 become U+FFFD, a leading
    byte order mark goes), then parsed, a failure answered 400 with no code, in JavaScript's
    words where they are known (a body that does not start with ``{`` or ``[``, one that ends
    early). An array is the object of its indexes (``[1]`` is ``{"0": 1}``), as JavaScript
    reads its keys; JSON nested too deep is 107."""
    mime, charset = _content_type(content_type)
    if mime == "multipart/form-data":
        return {}
    if mime == FORM:
        codec = _codec(charset or "utf-8", lambda c: c in FORM_CHARSETS)
        return parse_form(_decoded(inflated(raw, encoding, min(limit, FORM_LIMIT)), codec), codec == "utf-8")
    codec = _codec(charset or "utf-8", lambda c: c.startswith("utf-"))
    raw = inflated(raw, encoding, limit)
    if not raw:
        return {}
    text = _decoded(raw, codec)
    first = text.lstrip(JSON_SPACE)[:1]
    if not first:
        raise BadBody(END_OF_INPUT)
    if first not in ("{", "["):
        raise BadBody(_unexpected_token(text, len(text) - len(text.lstrip(JSON_SPACE))))
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if exc.msg == "depth limit exceeded":  # valid JSON to Parse, so not its 400 here
            raise ParseError(INVALID_JSON, f"Invalid JSON: nested deeper than {max_depth} levels") from None
        if exc.pos >= len(exc.doc):
            raise BadBody(END_OF_INPUT) from None
        raise BadBody(f"{exc.msg} in JSON at position {exc.pos}") from None
    check_depth(value, max_depth)
    return as_object(value)


def as_object(value: dict[str, Any] | list[Any]) -> dict[str, Any]:
    """An object, or an array as JavaScript reads its keys (``Object.keys``): its indexes."""
    return value if isinstance(value, dict) else {str(i): v for i, v in enumerate(value)}


FORM = "application/x-www-form-urlencoded"
FORM_LIMIT = 100 * 1024  # Parse's form parser's own limit (its default), below the JSON one
FORM_CHARSETS = ("utf-8", "iso-8859-1")
JSON_SPACE = " \t\n\r"


def _content_type(header: str | None) -> tuple[str, str | None]:
    """The media type (lower case) and charset of a Content-Type header (the first one named,
    as Parse's body parsers read it)."""
    mime, _, params = (header or "").partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and charset is None:
            charset = value.strip().strip('"').lower()
    return mime.strip().lower(), charset


def _codec(charset: str, allowed: Callable[[str], bool]) -> str:
    """The codec of a body's charset; one the body parser does not take is 415, in its words
    (checked before the body is read, as Parse checks it)."""
    try:
        if not allowed(charset):
            raise LookupError(charset)
        return codecs.lookup(charset).name
    except LookupError:
        raise BadBody(f'unsupported charset "{charset.upper()}"', status=415) from None


def _decoded(raw: bytes, codec: str) -> str:
    """The text of a body, as Parse's body parsers decode it (iconv-lite): a byte sequence
    that is no character becomes U+FFFD, a leading byte order mark goes."""
    text = raw.decode(codec, "replace")
    return text[1:] if text.startswith("\ufeff") else text


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


def query_params(query: str, max_depth: int) -> dict[str, Any]:
    """URL parameters as Parse reads them: the query string as Express's extended parser reads
    it (qs.parse_query), then each value as JSON when it is JSON (``limit=10`` is 10; a list
    as the text JavaScript makes of it, ``String(["5"])``, so ``limit[]=5`` is 5 too)."""
    out: dict[str, Any] = {}
    for key, value in parse_query(query).items():
        text = _js_text(value) if isinstance(value, list) else value
        try:
            out[key] = orjson.loads(text) if isinstance(text, str) else value
        except orjson.JSONDecodeError:
            out[key] = value
        check_depth(out[key], max_depth)
    return out


def _js_text(value: Any) -> str:
    """JavaScript's ``String(value)`` of what qs gives: text, lists of it, objects."""
    if isinstance(value, list):
        return ",".join(_js_text(v) for v in value)
    return value if isinstance(value, str) else "[object Object]"


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

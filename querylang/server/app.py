"""The ASGI application: Parse's REST API under the mount (``/parse``) and the data browser at ``/browser``.

Every database call of the API runs on one worker thread, so its calls never overlap (an update
reads then writes a record) while the event loop stays free to read requests and answer
``/health``. The browser, which only reads, has a thread of its own: a slow page of it (a heavy
script, the count of a large class) keeps no API request waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

import querylang
from querylang.script.values import truthy

from .answer_json import answer_bytes
from .body import any_line, parse_body, query_params, raw_path, read_body
from .config import ServerConfig
from .errors import CONNECTION_FAILED, INTERNAL_SERVER_ERROR, ParseError, Unauthorized
from .guesses import Guesses, client_address, too_many
from .hosts import HostCheck
from .keys import as_node_reads, authenticate
from .rest import Api

log = logging.getLogger("querylang.server")
T = TypeVar("T")
METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]  # PATCH: answered with Parse's error body
# Browsers may call a Parse server from any origin (Noodl apps do); Parse answers the same.
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,PUT,POST,DELETE,OPTIONS",
    "Access-Control-Allow-Headers": (
        "X-Parse-Master-Key, X-Parse-REST-API-Key, X-Parse-Javascript-Key, X-Parse-Application-Id, "
        "X-Parse-Client-Version, X-Parse-Session-Token, X-Requested-With, X-Parse-Revocable-Session, "
        "X-Parse-Request-Id, Content-Type, Pragma, Cache-Control"
    ),
    # Parse names these (its job and push status ids, which serve never sends) on every answer.
    "Access-Control-Expose-Headers": "X-Parse-Job-Status-Id, X-Parse-Push-Status-Id",
}


class Worker:
    """A single thread that talks to the database."""

    def __init__(self, name: str = "querylang-db") -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args, **kw))


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    # With its charset, as Parse Server's Express names it (res.json).
    return Response(answer_bytes(body), status, {**CORS, **(headers or {})}, media_type="application/json; charset=utf-8")


def split_at_mount(request: Request, mount: str) -> tuple[str, str]:
    """The request's path, still percent-encoded (body.raw_path), as its mount spelled as sent
    (``/PARSE``: the mount is matched case-blind; Location headers and batch paths are read on
    it, as Parse Server reads them) and the path below it, its slashes as sent (Api.route
    reads an empty segment in it as Parse's router does)."""
    depth = len([s for s in mount.split("/") if s])
    at = re.match(r"(?:/+[^/]+){" + str(depth) + "}", raw_path(request))
    sent = at.group(0) if at else ""
    rest = raw_path(request)[len(sent):]
    return "".join("/" + s for s in sent.split("/") if s), rest if rest.startswith("/") else "/" + rest


def create_app(db: querylang.Database, config: ServerConfig, *, browser: bool = True) -> Starlette:
    """An ASGI app serving ``db``: Parse REST under ``config.mount``, the browser at ``/browser``."""
    api = Api(db, config)
    worker, browsing = Worker(), Worker("querylang-browser")
    guesses = Guesses(config.key_guesses, config.key_guess_window)  # the API's and the browser's

    async def parse_api(request: Request) -> Response:
        if request.method == "OPTIONS":  # a CORS preflight: Parse's answer, before the keys
            return Response(b"OK", 200, CORS, media_type="text/plain")
        mount_sent, path = split_at_mount(request, config.mount)
        try:
            # Case-blind, as Parse's router reads it; before the body, which Parse reads after.
            if path.rstrip("/").lower() == "/health":
                return json_response(200, {"status": "ok"})
            h = as_node_reads(request.headers.items())
            body = parse_body(await read_body(request, config.max_body), config.max_depth, h.get("content-type"),
                              h.get("content-encoding"), config.max_body)
            # HEAD is answered as GET (the server drops the body), as Parse Server's Express does.
            method = "GET" if request.method == "HEAD" else request.method
            # Parse's method override: in a POST only, and only when set (true as JavaScript
            # reads it); one that is no text is dropped, the method kept.
            if method == "POST" and truthy(body.get("_method")):
                override = body.pop("_method")
                if isinstance(override, str):
                    method = override.upper()
            # Looked at here, after the body's await: between this look and the count below no
            # other request runs, so many sent at once cannot all slip under the limit.
            address = client_address(request.scope)
            if (wait := guesses.wait(address)) is not None:
                return json_response(429, {"code": CONNECTION_FAILED, "error": too_many(wait)}, {"Retry-After": str(wait)})
            try:
                access = authenticate(config, h, body)
            except Unauthorized as exc:
                if exc.wrong_key:
                    guesses.failed(address)
                raise
            if access.wrong_key:
                guesses.failed(address)
            params = body
            if method == "GET":
                params = {**body, **query_params(request.url.query, config.max_depth)}
            base_url = str(request.base_url).rstrip("/") + mount_sent
            status, answer, headers = await worker.run(api.route, method, path, params, access, base_url)
            return json_response(status, answer, headers)
        except ParseError as exc:
            return json_response(exc.status, exc.body())
        except Unauthorized as exc:
            return json_response(403, exc.body())
        except Exception:
            log.exception("internal error answering %s %s", request.method, request.url.path)
            return json_response(500, {"code": INTERNAL_SERVER_ERROR, "error": "Internal server error."})

    # The mount is matched case-blind, as Express mounts Parse Server (/PARSE/classes/Post).
    mount = any_line(Mount(config.mount or "/", routes=[any_line(Route("/{path:path}", parse_api, methods=METHODS))]))
    mount.path_regex = re.compile(mount.path_regex.pattern, mount.path_regex.flags | re.IGNORECASE)
    routes: list[Any] = [mount]
    # The Host check before any route (with CORS, so that a page of a name not allowed can read why).
    middleware = [Middleware(HostCheck, config=config, api_headers=CORS)]
    if browser:
        from .browser import PageHeaders, browser_routes

        routes.insert(0, any_line(Mount("/browser", routes=[any_line(r) for r in browser_routes(db, config, browsing, api.absent, guesses)])))
        # The browser's security headers (browser.PAGE_HEADERS), on the Host check's refusal too.
        middleware.insert(0, Middleware(PageHeaders))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        for w in (worker, browsing):
            w.pool.shutdown(wait=False)

    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    app.state.api = api
    return app

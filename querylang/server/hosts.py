"""The Host check: a request naming a host the server is not known by is refused, unread.

A page of another site can have its own name resolve to 127.0.0.1 (DNS rebinding); the browser
then takes the server on loopback for that site, lets the page read its answers, and sends the
page's name as ``Host``. So a request is served only when its ``Host`` is a name the server is
rightly reached by: ``localhost`` (and names under ``.localhost``, which browsers resolve to
loopback themselves), the host of ``--public-url``, a name given with ``--allowed-host`` (``*``:
any), or an IP address. An address is always taken: a browser sends one only when it was opened
at that address, which is no other site's name, so no page can rebind to it; a server bound to
0.0.0.0 is reached by any of the machine's addresses, which are not all knowable. A request
without ``Host`` (HTTP/1.0) comes from no browser, and is taken too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import orjson
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .config import ServerConfig, is_address

# A Host as a browser sends it: a name or an address (IPv6 in brackets), then maybe a port.
_HOST_AND_PORT = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::[0-9]*)?")
# What such a host is made of (a zone id, %25eth0, after an IPv6 address).
_NAME = re.compile(r"\[[0-9a-f:.]+(?:%[0-9a-z._~%-]+)?\]|[a-z0-9_.-]+")


def host_of(header: str) -> str:
    """The host a ``Host`` header names, as ServerConfig.allowed_hosts holds names (lower case,
    without the port and a final dot; IPv6 in brackets); a header that is no host and port is
    given whole (no_host says so)."""
    host = header.strip().lower()
    m = _HOST_AND_PORT.fullmatch(host)
    if m is None:
        return host
    return m[1] if m[1].startswith("[") else m[1].rstrip(".")


def no_host(host: str) -> bool:
    """Whether ``host`` (host_of) is no name or address: cut at a ':' or taken as it is, such
    a Host ("localhost:1337@evil.example", a URL's way of naming evil.example) could be taken
    for a name it is not."""
    return _NAME.fullmatch(host) is None


def allowed_host(host: str, config: ServerConfig) -> bool:
    """Whether a request naming ``host`` (host_of) is served."""
    if "*" in config.allowed_hosts or host in config.allowed_hosts:
        return True
    if no_host(host):
        return False
    if host == "localhost" or host.endswith(".localhost") or is_address(host):
        return True
    public = _public_host(config)
    return public is not None and host == public


def _public_host(config: ServerConfig) -> str | None:
    if not config.public_url:
        return None
    netloc = urlsplit(config.public_url).netloc.rpartition("@")[2]
    return host_of(netloc)


_BROWSER = re.compile(r"/browser(/|$)")  # served before the API, also under a mount of "/"


class HostCheck:
    """ASGI middleware of the app: a request whose ``Host`` is not allowed (allowed_host) is
    answered 403 before any route reads it: in Parse's JSON shape under the API's mount, with
    the API's ``api_headers`` (CORS), as a plain page elsewhere (the browser)."""

    def __init__(self, app: ASGIApp, config: ServerConfig, api_headers: dict[str, str]) -> None:
        self.app = app
        self.config = config
        self.api_headers = api_headers
        # The mount is matched case-blind, as app.py mounts the API.
        self.api = re.compile(re.escape(config.mount) + r"(/|$)", re.IGNORECASE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # Each Host sent (no browser sends two, but what reads the request after may take any).
        refused = [h for k, v in scope["headers"] if k == b"host"
                   if not allowed_host(h := host_of(v.decode("latin-1")), self.config)]
        if not refused:
            await self.app(scope, receive, send)
            return
        await self.refusal(scope, refused[0])(scope, receive, send)

    def refusal(self, scope: Scope, host: str) -> Response:
        said = (f"this server is not served as {host!r}: a page of another site may have made its name lead here "
                f"(start querylang serve with --allowed-host {host} if it is this server's name)")
        if no_host(host):
            said = f"this server is not served as {host!r}: the Host names no host (a name or an address, then a port)"
        path = scope["path"]
        if self.api.match(path) and not _BROWSER.match(path):
            return Response(orjson.dumps({"error": said}), 403, self.api_headers, media_type="application/json; charset=utf-8")
        return PlainTextResponse(said, 403)

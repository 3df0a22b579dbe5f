"""A limit on key guesses: wrong keys counted per client address, refused for a while past a limit.

A wrong master key (the API's ``X-Parse-Master-Key`` and the SDK's ``_MasterKey``, Basic
credentials, the browser's sign-in form and ``?masterKey=``) and a refused application id or
client key each count against the address they came from (a request sending no key guesses
nothing, and is not counted). Once ``key_guesses`` of them came
within ``key_guess_window`` seconds of the first, that address is answered 429, with
``Retry-After``, until the window ends, its keys not checked (the right ones neither: which key
is right is what a guesser must not learn). A right key resets no count: on loopback a page of
another site (DNS rebinding, a cross-origin request) and the person at the machine share one
address, so the person's sign-in must not give the page its guesses back.

Counted per address, and not per (forgeable) ``X-Forwarded-For``: the connection's own address
(PEER), which no client chooses. Loopback is not exempt, and is one address (127.0.0.0/8 and
``::1`` together, which any user of the machine may send from): every client on the machine
shares its count, which is what keeps a page's guesses few (the cost: its guesses
can keep the person at the machine waiting for the window's end). IPv6 addresses count by
their /64, the block one machine is given. Memory is bounded: the addresses that failed least
recently are forgotten past MAX_ADDRESSES.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

# The scope key of the connection's own address, kept before uvicorn's proxy-headers middleware
# puts the one an X-Forwarded-For names in its place (command.uvicorn_config).
PEER = "querylang.peer"
# What every loopback address counts as (client_address).
LOOPBACK = "loopback"
# Enough for every client a small server sees at once; an entry is a few hundred bytes.
MAX_ADDRESSES = 10_000


class KeepPeer:
    """ASGI middleware run outside uvicorn's proxy-headers middleware: the connection's own
    address, kept in the scope as PEER."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            scope[PEER] = scope.get("client")
        await self.app(scope, receive, send)


def client_address(scope: Scope) -> str:
    """What a request's wrong keys are counted by: its connection's address (an IPv6 one as
    its /64; an IPv4 one mapped into IPv6 as itself; every loopback address as LOOPBACK)."""
    client = scope[PEER] if PEER in scope else scope.get("client")
    host = client[0] if client else ""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host  # no address (a Unix socket, a test client): one count for all of them
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        # Any user of the machine may send from any of 127.0.0.0/8 (and ::1): one count, or
        # each would be a count of its own.
        return LOOPBACK
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Guesses:
    """The counts of wrong keys, per address: when its window began, and how many came in it."""

    def __init__(self, limit: int, window: float, most: int = MAX_ADDRESSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.most, self.clock = limit, window, most, clock
        self.counts: OrderedDict[str, tuple[float, int]] = OrderedDict()  # least recent failure first

    def wait(self, address: str) -> int | None:
        """Seconds (rounded up) ``address`` must wait before a key of it is checked again, or
        None when it may try now."""
        entry = self.counts.get(address)
        if entry is None:
            return None
        began, failed = entry
        left = began + self.window - self.clock()
        if left <= 0:
            del self.counts[address]
            return None
        return math.ceil(left) if failed >= self.limit else None

    def failed(self, address: str) -> None:
        """Count a wrong key from ``address``."""
        if not self.limit:
            return
        now = self.clock()
        began, failed = self.counts.pop(address, (now, 0))
        if now - began >= self.window:
            began, failed = now, 0
        self.counts[address] = (began, failed + 1)
        while len(self.counts) > self.most:
            self.counts.popitem(last=False)


def too_many(wait: int) -> str:
    return f"Too many requests: too many wrong keys from this address; try again in {wait} s"

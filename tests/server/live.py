"""A real server on a loopback port, in a thread of the test process (uvicorn)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

import querylang
from querylang.server import ServerConfig, create_app
from querylang.server.command import uvicorn_config

APP_ID = "test-app"
MASTER_KEY = "test-master"
REST_KEY = "test-rest"


def http_client(**kw: object) -> httpx.Client:
    """A client that keeps no connection between requests: uvicorn closes an idle one after
    5 s, and a request sent on it at that instant (a loaded machine) is answered by nothing."""
    return httpx.Client(timeout=30, limits=httpx.Limits(max_keepalive_connections=0), **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    db: querylang.Database
    config: ServerConfig
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The serverURL a Parse SDK is given."""
        return self.root + self.config.mount

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def start(db: querylang.Database, **config: object) -> LiveServer:
    # No limit on wrong keys unless a test sets one: every test's requests come from loopback,
    # one address, and the tests of wrong keys would have the others answered 429.
    cfg = ServerConfig(**{"app_id": APP_ID, "master_key": MASTER_KEY, "key_guesses": 0, **config})  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(uvicorn_config(create_app(db, cfg), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if not thread.is_alive() or time.time() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return LiveServer(db, cfg, server, thread, port)


@contextmanager
def serving(document: Mapping[str, Any], **config: object) -> Iterator[LiveServer]:
    """A server of an in-memory database loaded with ``document``; stopped, and the database
    closed, at the end."""
    db = querylang.connect()
    db.load(dict(document))
    srv = start(db, **config)
    try:
        yield srv
    finally:
        srv.stop()
        db.close()

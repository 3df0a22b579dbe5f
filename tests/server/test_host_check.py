"""The Host check (querylang/server/hosts.py): a page of another site whose name was made to lead
to the server (DNS rebinding) is refused, unread; the names the server is rightly reached by,
and the ones given it, are served."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

import querylang
from querylang.app.cli import main
from querylang.server import ServerConfig

from .conftest import headers, make_db
from .live import MASTER_KEY, LiveServer, http_client, start

NEW = {"title": "written through a rebound name"}


@pytest.fixture(scope="module")
def served(sample_doc: dict) -> Iterator[LiveServer]:
    srv = start(make_db(sample_doc), acl_field="acl", public_url="https://Data.Example.org/parse",
                allowed_hosts=("lan-box",))
    yield srv
    srv.stop()


def test_a_rebound_name_is_refused_and_changes_nothing(served: LiveServer) -> None:
    """Found in the security review: a page at evil.example whose name resolves to 127.0.0.1
    read the API's answers (and could sign in to the browser) as its own site's. Before, every
    request below was answered (201, 200, a signed-in cookie)."""
    before = served.db.query("Post", count=True).count
    with http_client(headers={"Host": "evil.example:1337"}) as c:
        made = c.post(f"{served.url}/classes/Post", json=NEW, headers=headers(master=True))
        assert made.status_code == 403, made.text
        assert made.headers["content-type"].startswith("application/json")
        assert made.headers["access-control-allow-origin"] == "*"  # a page there can read why
        said = made.json()["error"]
        assert "'evil.example'" in said and "--allowed-host evil.example" in said
        assert c.get(f"{served.url}/classes/Post", headers=headers(master=True)).status_code == 403
        assert c.get(f"{served.root}/PARSE/health").json() == {"error": said}  # the mount is case-blind
        page = c.post(f"{served.root}/browser/login", data={"masterKey": MASTER_KEY})
        assert page.status_code == 403 and page.headers["content-type"].startswith("text/plain")
        assert "set-cookie" not in page.headers and "--allowed-host evil.example" in page.text
        assert page.headers["x-frame-options"] == "DENY"  # the browser's security headers, as on every page
    assert served.db.query("Post", count=True).count == before


@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "LOCALHOST.", "app.localhost", "[::1]",  # loopback, as a browser names it
    "192.168.1.5", "[fd00::5]",  # an address: no other site's name, none to rebind (hosts.py)
    "data.example.org",  # --public-url's, behind a proxy that sends it on
    "LAN-BOX",  # --allowed-host's
])
def test_the_names_the_server_is_reached_by_are_served(served: LiveServer, host: str) -> None:
    with http_client(headers={"Host": f"{host}:{served.port}"}) as c:
        r = c.get(f"{served.url}/classes/Post", params={"limit": 1}, headers=headers())
        assert r.status_code == 200, r.text
        assert c.get(f"{served.root}/browser/login").status_code == 200


def raw(served: LiveServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as s:
        s.sendall(request)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    return answer


def test_a_request_naming_no_host_is_served(served: LiveServer) -> None:
    """HTTP/1.0 has no Host, and no browser sends such a request: nothing to rebind."""
    answer = raw(served, b"GET /parse/health HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status":"ok"}'), answer


def test_a_request_naming_two_hosts_is_refused_if_either_is() -> None:
    """uvicorn refuses such a request itself (400); another ASGI server may pass it on, and what
    reads it after may take either name."""
    from starlette.testclient import TestClient

    from querylang.server import create_app

    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    with TestClient(create_app(db, ServerConfig(app_id="a", master_key="k")), base_url="http://localhost") as c:
        for hosts in (["localhost", "evil.example"], ["evil.example", "localhost"]):
            r = c.get("/parse/health", headers=[("Host", h) for h in hosts])
            assert r.status_code == 403 and "'evil.example'" in r.json()["error"], (hosts, r.text)
        assert c.get("/parse/health", headers=[("Host", "localhost"), ("Host", "127.0.0.1")]).status_code == 200


def test_a_star_serves_any_name() -> None:
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    srv = start(db, allowed_hosts=("*",))
    try:
        with http_client(headers={"Host": "anything.example"}) as c:
            assert c.get(f"{srv.url}/classes/N", headers=headers()).json() == {"results": []}
    finally:
        srv.stop()


@pytest.mark.parametrize("name", ["http://data.example.org", "data.example.org:8080", "a b", "", "[::zz]"])
def test_an_allowed_host_that_is_no_host_name_is_refused(name: str) -> None:
    """A scheme or a port would match no Host as compared: said, not silently never matched."""
    with pytest.raises(ValueError, match="not a host name or address"):
        ServerConfig(app_id="a", master_key="k", allowed_hosts=(name,))
    res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", "--allowed-host", name])
    assert res.exit_code == 2 and f"--allowed-host {name}:" in res.output and "Parse API at" not in res.output, res.output


def test_serve_names_the_flags_in_its_help() -> None:
    out = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--allowed-host" in out and "--key-guesses" in out and "--key-guess-window" in out


def test_a_name_given_to_host_is_served_and_an_address_needs_no_naming() -> None:
    from querylang.server.command import hosts_named

    assert hosts_named("box.lan", ("a.example",)) == ("a.example", "box.lan")
    for everywhere_or_address in ("0.0.0.0", "::", "", "192.168.1.5", "[::1]"):
        assert hosts_named(everywhere_or_address, ("a.example",)) == ("a.example",)


@pytest.mark.parametrize("everywhere", ["0.0.0.0", "::0"])
def test_serving_every_address_says_how_names_are_answered(everywhere: str) -> None:
    """Bound to 0.0.0.0 the machine's names are not knowable: its addresses are served, a name
    is refused until --allowed-host names it, and serve says so as it starts. Found in review:
    every address spelt otherwise (::0, which binds them all as :: does) started without the
    note."""
    import os
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "querylang", "serve", "--app-id", "a", "--host", everywhere, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "QUERYLANG_MASTER_KEY": "k"})
    assert proc.stdout is not None
    try:
        banner = proc.stdout.readline()
        assert "Parse API at " in banner, banner
        port = banner.split("Parse API at http://")[1].split("/")[0].rsplit(":", 1)[1]
        # The URLs said are ones to open (an IPv6 address in brackets: "http://::0:1337" was not).
        import urllib.parse

        for said_url in banner.split(" at ")[1:]:
            assert urllib.parse.urlsplit(said_url.split(",")[0].strip()).port == int(port), banner
        with http_client() as c:
            url = f"http://127.0.0.1:{port}/parse/health"
            assert c.get(url).status_code == 200
            assert c.get(url, headers={"Host": f"10.1.2.3:{port}"}).status_code == 200
            assert c.get(url, headers={"Host": f"vm.lan:{port}"}).status_code == 403
    finally:
        proc.terminate()
        # Read once the server ended (the note, said before it started, is there if said at all).
        _, said = proc.communicate(timeout=60)
    assert "by a name other than localhost refused (name it with --allowed-host)" in said, said


@pytest.mark.parametrize("host", [
    "localhost:1337@evil.example",  # the host of "http://localhost:1337@evil.example/" is evil.example
    "evil.example@app.localhost", "localhost:evil", "[::1]evil", "localhost evil",
])
def test_a_host_that_is_no_host_and_port_is_refused(served: LiveServer, host: str) -> None:
    """Found in review: a Host that is no name or address with a port (no browser sends one)
    was cut at its last ':' or taken whole, and served as loopback's: "localhost:1337@evil.example"
    as localhost, whose Location headers then named evil.example."""
    with http_client(headers={"Host": host}) as c:
        r = c.post(f"{served.url}/classes/Post", json=NEW, headers=headers(master=True))
        assert r.status_code == 403 and "names no host" in r.json()["error"], r.text

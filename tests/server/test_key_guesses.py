"""The limit on key guesses (querylang/server/guesses.py): past ``key_guesses`` wrong keys from one
address in a window, its requests are answered 429, their keys unchecked, until the window ends.

Found in the security review: wrong master keys (the API's header, the browser's sign-in form)
and wrong app ids and client keys could be tried without limit, thousands a second. Before,
every request below that is 429 here was answered (200, 403, a sign-in)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest

import querylang
from querylang.server.guesses import PEER, Guesses, client_address

from .conftest import headers, make_db
from .live import APP_ID, MASTER_KEY, REST_KEY, LiveServer, http_client, start

LIMIT = 3


@pytest.fixture
def limited(sample_doc: dict) -> Iterator[LiveServer]:
    srv = start(make_db(sample_doc), acl_field="acl", key_guesses=LIMIT, key_guess_window=60)
    yield srv
    srv.stop()


def wrong_master() -> dict[str, str]:
    return headers(**{"X-Parse-Master-Key": "guess"})


def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert 0 < int(r.headers["retry-after"]) <= 60
    assert r.json()["code"] == 100 and r.json()["error"].startswith("Too many requests")  # Parse's rateLimit answer


def test_wrong_master_keys_past_the_limit_are_refused_the_right_one_too(limited: LiveServer) -> None:
    before = limited.db.query("Post", count=True).count
    with http_client() as c:
        for _ in range(LIMIT):  # a wrong master key is answered as a client's, as before
            assert c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=wrong_master()).status_code == 200
        assert_refused(c.get(f"{limited.url}/classes/Post", headers=wrong_master()))
        # The right key is not checked either (a guesser must not learn which was right), and
        # the write is not made.
        assert_refused(c.post(f"{limited.url}/classes/Post", json={"title": "x"}, headers=headers(master=True)))
        assert c.get(f"{limited.url}/health").status_code == 200  # no key asked, none counted
    assert limited.db.query("Post", count=True).count == before


@pytest.mark.parametrize("sent", [
    {"X-Parse-Application-Id": "guess"},
    {"X-Parse-Application-Id": APP_ID, "X-Parse-REST-API-Key": "guess"},
    {"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": "guess"},
], ids=["app id", "client key", "master key"])
def test_each_kind_of_wrong_key_counts(sample_doc: dict, sent: dict[str, str]) -> None:
    srv = start(make_db(sample_doc), rest_key=REST_KEY, key_guesses=LIMIT)
    try:
        with http_client() as c:
            for _ in range(LIMIT):
                assert c.get(f"{srv.url}/classes/Post", headers=sent).status_code == 403
            assert_refused(c.get(f"{srv.url}/classes/Post", headers=headers(master=True)))
    finally:
        srv.stop()


def test_a_right_key_gives_no_guesses_back(limited: LiveServer) -> None:
    """On loopback the person at the machine and a rebound page share one address: the person's
    sign-in must not reset the page's count."""
    with http_client() as c:
        for sent in (wrong_master(), wrong_master(), headers(master=True), wrong_master()):
            assert c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=sent).status_code == 200
        assert_refused(c.get(f"{limited.url}/classes/Post", headers=headers(master=True)))


def test_the_browser_sign_in_counts_with_the_api_and_is_refused_past_the_limit(limited: LiveServer) -> None:
    with http_client(base_url=limited.root) as c:
        signed = c.post("/browser/login", data={"masterKey": MASTER_KEY})
        assert signed.status_code == 303 and "set-cookie" in signed.headers
        assert c.post("/browser/login", data={"masterKey": ""}).status_code == 200  # blank: no guess
        assert c.post("/browser/login", data={"masterKey": "guess"}).status_code == 200  # the form, "wrong key"
        assert c.get("/browser/classes/Post", params={"masterKey": "guess"}).status_code == 303
        assert c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=wrong_master()).status_code == 200
        for refused in (c.post("/browser/login", data={"masterKey": MASTER_KEY}),
                        c.get("/browser/login", params={"masterKey": MASTER_KEY}),
                        c.get("/browser/classes/Post", params={"masterKey": MASTER_KEY})):
            assert refused.status_code == 429 and "set-cookie" not in refused.headers, refused.text
            assert refused.text.startswith("Too many requests") and int(refused.headers["retry-after"]) > 0
        # A browser signed in before goes on: its cookie is no key to guess.
        assert c.get("/browser/classes/Post").status_code == 200


def test_the_limit_ends_with_its_window(sample_doc: dict) -> None:
    srv = start(make_db(sample_doc), key_guesses=1, key_guess_window=1)
    try:
        with http_client() as c:
            c.get(f"{srv.url}/classes/Post", headers=wrong_master())
            r = c.get(f"{srv.url}/classes/Post", headers=headers(master=True))
            assert r.status_code == 429 and r.headers["retry-after"] == "1"
            time.sleep(1.1)
            assert c.get(f"{srv.url}/classes/Post", params={"limit": 1}, headers=headers(master=True)).status_code == 200
    finally:
        srv.stop()


def test_an_x_forwarded_for_buys_no_guesses(limited: LiveServer) -> None:
    """uvicorn takes an X-Forwarded-For from loopback for the client's address, and any client
    there may write one: a guesser naming a new address each time was never refused."""
    with http_client() as c:
        for n in range(LIMIT):
            c.get(f"{limited.url}/classes/Post", headers={**wrong_master(), "X-Forwarded-For": f"10.0.0.{n}"})
        assert_refused(c.get(f"{limited.url}/classes/Post", headers={**wrong_master(), "X-Forwarded-For": "10.9.9.9"}))


def test_every_loopback_address_is_one_count(limited: LiveServer) -> None:
    """Found in review: any user of the machine may send from 127.0.0.2, 127.0.0.3, ... (all
    of 127.0.0.0/8 is loopback), each a count of its own: guesses without limit, where loopback
    was to be one count."""
    for n in range(LIMIT):
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{2 + n}")
        with http_client(transport=transport) as c:
            assert c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=wrong_master()).status_code == 200
    with http_client(transport=httpx.HTTPTransport(local_address="127.9.9.9")) as c:
        assert_refused(c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=headers(master=True)))


def test_guesses_sent_at_once_are_held_to_the_limit(limited: LiveServer) -> None:
    """Looked at before each key is checked, with no other request between the look and the
    count: twenty sent together have at most LIMIT keys checked."""
    statuses: list[int] = []

    def guess() -> None:
        with http_client() as c:
            statuses.append(c.get(f"{limited.url}/classes/Post", params={"limit": 1}, headers=wrong_master()).status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200] * LIMIT + [429] * (20 - LIMIT)


def test_the_counts_kept_are_bounded() -> None:
    now = [0.0]
    guesses = Guesses(limit=2, window=60, most=3, clock=lambda: now[0])
    for n in range(1000):
        guesses.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(guesses.counts) == 3  # the addresses that failed least recently forgotten
    guesses.failed("10.0.3.231")
    assert guesses.wait("10.0.3.231") == 60 and guesses.wait("10.0.3.230") is None
    now[0] = 59.5
    assert guesses.wait("10.0.3.231") == 1
    now[0] = 60
    assert guesses.wait("10.0.3.231") is None and "10.0.3.231" not in guesses.counts
    unlimited = Guesses(limit=0, window=60)
    unlimited.failed("10.0.0.1")
    assert unlimited.wait("10.0.0.1") is None and not unlimited.counts


def test_an_ipv6_client_counts_by_its_64() -> None:
    """One machine is given a /64: a new address of it each guess is the same guesser."""
    def peer(host: str) -> str:
        return client_address({PEER: (host, 5000)})

    assert peer("2001:db8:1:2::5") == peer("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert peer("2001:db8:1:3::5") != peer("2001:db8:1:2::5")
    assert peer("::ffff:10.0.0.1") == "10.0.0.1" and peer("10.0.0.1") == "10.0.0.1"
    # Loopback counts too, as one: all of 127.0.0.0/8 and ::1 are this machine.
    assert peer("::1") == peer("127.0.0.1") == peer("127.200.0.9") == peer("::ffff:127.0.0.2")
    assert peer("::1") not in (peer("10.0.0.1"), peer("::2"))
    assert client_address({"client": ("testclient", 50000)}) == "testclient"


def test_no_limit_when_set_to_0(sample_doc: dict) -> None:
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    srv = start(db, key_guesses=0)
    try:
        with http_client() as c:
            for _ in range(30):
                assert c.get(f"{srv.url}/classes/N", headers=wrong_master()).status_code == 200
    finally:
        srv.stop()


@pytest.mark.parametrize("args,config", [
    (["--key-guesses", "-1"], {"key_guesses": -1}),
    (["--key-guess-window", "0"], {"key_guess_window": 0}),
])
def test_a_limit_that_is_none_is_refused(args: list[str], config: dict[str, float]) -> None:
    from click.testing import CliRunner

    from querylang.app.cli import main
    from querylang.server import ServerConfig

    with pytest.raises(ValueError, match="key_guess"):
        ServerConfig(app_id="a", master_key="k", **config)  # type: ignore[arg-type]
    res = CliRunner().invoke(main, ["serve", "--app-id", "a", "--master-key", "k", "--port", "0", *args])
    assert res.exit_code == 2 and args[0] in res.output and "Parse API at" not in res.output, res.output


def test_a_request_sending_no_key_is_no_guess(sample_doc: dict) -> None:
    """Found in review: a request naming no key at all (the API's URL opened in a browser tab,
    curl without headers, a client key left out) was counted as a wrong key, and a few of them
    had the machine's own app answered 429; it guessed nothing, as an empty key does not."""
    srv = start(make_db(sample_doc), rest_key=REST_KEY, key_guesses=LIMIT)
    try:
        with http_client() as c:
            for sent in [{}, {"X-Parse-Application-Id": APP_ID}, {"X-Parse-Master-Key": ""}] * LIMIT:
                assert c.get(f"{srv.url}/classes/Post", headers=sent).json() == {"error": "unauthorized"}
            assert c.get(f"{srv.url}/classes/Post", params={"limit": 1}, headers=headers(master=True)).status_code == 200
            # A key sent along, the app id's or a master key without the client key, is a guess.
            for _ in range(LIMIT):
                assert c.get(f"{srv.url}/classes/Post", headers=wrong_master()).status_code == 403
            assert_refused(c.get(f"{srv.url}/classes/Post", headers={}))
    finally:
        srv.stop()


@pytest.mark.parametrize("how", ["basic", "body"])
def test_a_wrong_master_key_in_basic_credentials_or_the_body_counts(limited: LiveServer, how: str) -> None:
    """The JS SDK's _MasterKey (a POST naming the app in its body) and Basic appId:key."""
    import base64

    def send(c: httpx.Client, key: str) -> httpx.Response:
        if how == "basic":
            auth = base64.b64encode(f"{APP_ID}:{key}".encode()).decode()
            return c.get(f"{limited.url}/schemas", headers={"Authorization": f"Basic {auth}"})
        body = {"_method": "GET", "_ApplicationId": APP_ID, "_MasterKey": key}
        return c.post(f"{limited.url}/schemas", content=orjson.dumps(body), headers={"Content-Type": "text/plain"})

    with http_client() as c:
        assert send(c, MASTER_KEY).status_code == 200
        for _ in range(LIMIT):
            assert send(c, "guess").json() == {"error": "Permission denied"}  # no key: a client's request
        assert_refused(send(c, MASTER_KEY))

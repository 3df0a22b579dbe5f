"""The data browser as an attacker meets it, in headless chromium: data that holds markup,
pages framed or forms posted by another site, the master key in a URL."""

from __future__ import annotations

import http.server
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

import querylang

from .chrome import column, go, none_of
from .live import MASTER_KEY, LiveServer, http_client, start

# No '.' in it (an Object's key may hold none), no '$' either.
MARKUP = '"><script>document["title"]="owned"</script><img src=x onerror="document[\'title\']=\'owned\'">'


@contextmanager
def another_site(pages: dict[str, str]) -> Iterator[str]:
    """A site of its own (``localhost``, where the browser is served on ``127.0.0.1``: another
    site to chromium) answering ``pages``, path → HTML."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def open_from(driver: webdriver.Chrome, url: str, lands_on: str) -> None:
    """Open ``url``, a page whose script sends the browser on, and wait until it has."""
    driver.get(url)
    WebDriverWait(driver, 10).until(lambda d: d.current_url.startswith(lands_on))


def signed_in_cookie(driver: webdriver.Chrome) -> str | None:
    return next((c["value"] for c in driver.get_cookies() if c["name"] == "querylang_browser"), None)


def test_another_sites_form_neither_signs_the_browser_out_nor_in(shared: LiveServer, browser: webdriver.Chrome) -> None:
    """Found by the security review: a page of another site posting a form to /browser/logout
    signed the browser out (the answer's Set-Cookie deleted the cookie, though SameSite kept it
    from being sent); and one posting to /browser/login with the key set a cookie. A form sent
    from another site changes nothing and says why."""
    target = shared.root + "/browser/"
    pages = {
        "/out": f'<form id="f" method="post" action="{target}logout"></form><script>f.submit()</script>',
        "/in": f'<form id="f" method="post" action="{target}login"><input name="masterKey" value="{MASTER_KEY}">'
               '<input name="next" value="/browser/classes/Post"></form><script>f.submit()</script>',
    }
    with another_site(pages) as site:
        browser.delete_all_cookies()
        browser.get(target + f"?masterKey={MASTER_KEY}")
        cookie = signed_in_cookie(browser)
        assert cookie is not None
        open_from(browser, site + "/out", shared.root)
        assert "sent from another site" in browser.find_element(By.TAG_NAME, "body").text
        assert signed_in_cookie(browser) == cookie
        browser.get(shared.root + "/browser/classes/Post")
        assert column(browser) == shared.db.query("Post", limit=50).ids  # still signed in

        browser.delete_all_cookies()
        open_from(browser, site + "/in", shared.root)
        assert "sent from another site" in browser.find_element(By.TAG_NAME, "body").text
        assert signed_in_cookie(browser) is None
    # The browser's own forms still sign in and out.
    browser.get(shared.root + "/browser/login")
    browser.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)
    go(browser, browser.find_element(By.ID, "signin"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Classes"
    go(browser, browser.find_element(By.CSS_SELECTOR, "header button"))
    assert browser.find_element(By.ID, "masterKey") is not None and signed_in_cookie(browser) is None


@pytest.mark.parametrize(("sent", "refused"), [
    ({"Origin": "http://localhost:1"}, True), ({"Origin": "null"}, True), ({"Sec-Fetch-Site": "same-site"}, True),
    ({"Sec-Fetch-Site": "cross-site", "Origin": "{root}"}, True), ({"Origin": "{root}"}, False),
    ({"Sec-Fetch-Site": "same-origin"}, False), ({}, False),  # curl, a script: no page of another site
])
def test_where_a_form_comes_from_is_read_from_sec_fetch_site_else_origin(shared: LiveServer, sent: dict[str, str],
                                                                         refused: bool) -> None:
    """A browser without Sec-Fetch-Site (before 2023 in Safari) is told apart by the Origin its
    form's POST carries."""
    sent = {k: v.replace("{root}", shared.root) for k, v in sent.items()}
    for path in ("/browser/login", "/browser/logout"):
        r = httpx.post(shared.root + path, data={"masterKey": MASTER_KEY, "next": "/browser/classes/Post"}, headers=sent)
        assert r.status_code == (403 if refused else 303), (path, r.text)
        assert ("set-cookie" in r.headers) is not refused, path


def test_no_page_of_the_browser_can_be_framed_by_another_site(shared: LiveServer, browser: webdriver.Chrome) -> None:
    """Found by the security review: the pages carried no X-Frame-Options nor CSP, so another
    site could show the sign-in form (or, from another port of the same host, the records) in a
    frame and lay its own page over it. Every page forbids framing and scripts."""
    with another_site({"/frame": f'<iframe id="f" src="{shared.root}/browser/login"></iframe>'}) as site:
        browser.get(site + "/frame")
        time.sleep(0.5)
        browser.switch_to.frame(browser.find_element(By.ID, "f"))
        try:
            assert none_of(browser, By.ID, "masterKey")
        finally:
            browser.switch_to.default_content()
    with http_client(base_url=shared.root) as c:
        c.get("/browser/", params={"masterKey": MASTER_KEY})
        answers = [c.get(p) for p in ("/browser/", "/browser/login", "/browser/classes/Post", "/browser/classes/Post/p001",
                                      "/browser/classes/Group/g2/relation/posts", "/browser/classes/Nope", "/browser/x")]
        answers += [c.get("/browser/classes/Post", params={"masterKey": "wrong"}), c.put("/browser/login")]
    for r in answers:
        csp = r.headers.get("content-security-policy", "")
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (r.url, r.status_code)
        assert r.headers.get("x-frame-options") == "DENY", r.url
        assert r.headers.get("x-content-type-options") == "nosniff", r.url
        assert r.headers.get("referrer-policy") == "same-origin", r.url


def test_a_wrong_key_in_the_url_does_not_stay_in_the_address_bar(shared: LiveServer, browser: webdriver.Chrome) -> None:
    """Found by the security review: /browser/login?masterKey=WRONG showed the form at that URL,
    so a mistyped key (one letter from the real one) stayed in the address bar and the history,
    where any other page given a wrong key is sent on to the form at once."""
    browser.delete_all_cookies()
    for path in ("/browser/login?masterKey=test-mastre&next=%2Fbrowser%2Fclasses%2FPost",
                 "/browser/classes/Post?masterKey=test-mastre"):
        browser.get(shared.root + path)
        assert "test-mastre" not in browser.current_url and "masterKey" not in browser.current_url, path
        assert "That is not the master key." in browser.page_source
        assert urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)["next"] == ["/browser/classes/Post"]
    browser.get(shared.root + f"/browser/classes/Post?masterKey={MASTER_KEY}")
    assert browser.current_url == shared.root + "/browser/classes/Post"


@pytest.fixture(scope="module")
def marked() -> Iterator[LiveServer]:
    """A class whose name, fields and values would be markup if a page wrote them unescaped."""
    db = querylang.connect()
    db.load({"classes": {"Mark": {"fields": {
        "s": {"type": "String"}, "o": {"type": "Object"}, "a": {"type": "Array"},
        "p": {"type": "Pointer", "targetClass": "Mark"}, "r": {"type": "Relation", "targetClass": "Mark"},
        "f": {"type": "File"}}}},
        "records": {"Mark": [{"objectId": MARKUP, "s": MARKUP, "o": {MARKUP: MARKUP}, "a": [MARKUP, {"k": MARKUP}],
                              "p": MARKUP, "r": [MARKUP], "f": {"__type": "File", "name": MARKUP, "url": "javascript:x()"}}]}})
    srv = start(db)
    yield srv
    srv.stop()


def test_no_stored_text_becomes_markup_on_any_page(marked: LiveServer, browser: webdriver.Chrome) -> None:
    """Held in the security review: ids, values, Object keys, Array elements, pointer ids, the
    scripts the browser writes, the text echoed back (a script, its error's caret line, a
    did-you-mean, the page number, the sign-in form's target) all reach a page as text."""
    oid = urllib.parse.quote(MARKUP, safe="")
    typed = f"where({{ s: '</textarea>{MARKUP}', t: 1 }})"
    script = urllib.parse.urlencode({"script": typed})
    paths = ["/browser/", "/browser/classes/Mark", f"/browser/classes/Mark/{oid}", f"/browser/classes/Mark/{oid}/relation/r",
             f"/browser/classes/Mark?{script}", f"/browser/classes/Mark?order={oid}", f"/browser/classes/Mark?page={oid}",
             f"/browser/classes/Mark/{oid}x", f"/browser/classes/Mark/{oid}/relation/{oid}", f"/browser/{oid}"]
    browser.get(marked.root + f"/browser/?masterKey={MASTER_KEY}")
    for path in paths:
        browser.get(marked.root + path)
        assert browser.title != "owned", path
        assert none_of(browser, By.CSS_SELECTOR, "script, img, [onerror]"), path
    browser.get(marked.root + f"/browser/classes/Mark?{script}")
    assert browser.find_element(By.ID, "script").get_attribute("value") == typed
    assert "</script><img src=x" in browser.find_element(By.ID, "error").text  # the caret line quotes it
    browser.get(marked.root + f"/browser/classes/Mark/{oid}")
    values = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2].text
              for r in browser.find_elements(By.CSS_SELECTOR, "#fields tr")[1:]}
    assert values["s"] == values["p"] == values["objectId"] == MARKUP
    assert values["o"] == '{\n  "' + MARKUP.replace('"', '\\"') + '": "' + MARKUP.replace('"', '\\"') + '"\n}'
    browser.delete_all_cookies()
    browser.get(marked.root + "/browser/login?" + urllib.parse.urlencode({"next": "/browser/" + MARKUP}))
    assert browser.title != "owned" and none_of(browser, By.CSS_SELECTOR, "script, img, [onerror]")
    assert browser.find_element(By.NAME, "next").get_attribute("value") == "/browser/" + MARKUP


def test_the_master_key_is_in_no_page_nor_url(shared: LiveServer) -> None:
    """Held in the security review: once signed in (by the form or by ?masterKey=), no page,
    redirect or cookie carries the key."""
    with http_client(base_url=shared.root) as c:
        first = c.get("/browser/classes/Post", params={"masterKey": MASTER_KEY})
        assert first.status_code == 303 and first.headers["location"] == "/browser/classes/Post"
        assert MASTER_KEY not in first.headers["set-cookie"]
        for path in ("/browser/", "/browser/classes/Post", "/browser/classes/Post/p001", "/browser/classes/Nope"):
            r = c.get(path)
            assert MASTER_KEY not in r.text and MASTER_KEY not in str(r.headers), path
    r = httpx.post(shared.root + "/browser/login", data={"masterKey": "not it", "next": "/browser/"})
    assert "not it" not in r.text


def test_behind_a_proxy_a_form_from_the_public_url_is_this_servers() -> None:
    """A proxy that sends requests on with its own Host: a browser without Sec-Fetch-Site says
    Origin: the --public-url's, which is this server's."""
    db = querylang.connect()
    db.load({"classes": {"N": {"fields": {"t": {"type": "String"}}}}, "records": {}})
    srv = start(db, public_url="https://data.example.org/parse")
    try:
        for origin, status in (("https://data.example.org", 303), ("https://example.org", 403), ("http://data.example.org", 403)):
            r = httpx.post(srv.root + "/browser/login", data={"masterKey": MASTER_KEY}, headers={"Origin": origin})
            assert r.status_code == status, origin
    finally:
        srv.stop()

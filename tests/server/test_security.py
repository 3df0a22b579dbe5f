"""What an attacker sends a running ``querylang serve``: hostile cookies, parameters of the
wrong shape. Each answer is a Parse error or the sign-in form, never an internal error."""

from __future__ import annotations

import httpx
import pytest

from .conftest import headers
from .live import LiveServer


def test_browser_cookie_with_non_ascii_text_is_not_signed_in(shared: LiveServer) -> None:
    # hmac.compare_digest refuses str holding non-ASCII characters: the cookie was a 500.
    raw = "querylang_browser=é".encode("latin-1")
    r = httpx.get(shared.root + "/browser/", headers={"Cookie": raw}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/browser/login")


@pytest.mark.parametrize("value", ["5", "1.5", "true", "-1"])
@pytest.mark.parametrize("master", [False, True])
def test_include_that_is_a_number_is_a_parse_error(shared: LiveServer, client: httpx.Client, value: str, master: bool) -> None:
    # A URL's include=5 reads as the number 5, which the library iterated (TypeError, 500).
    for path in ("/classes/Note", "/classes/Note/n1"):
        r = client.get(shared.url + path, params={"include": value}, headers=headers(master))
        assert r.status_code == 400, r.text
        assert r.json() == {"code": 107, "error": "include must be a string or a list of strings"}

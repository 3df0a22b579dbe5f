"""What an attacker sends a running ``querylang serve``: hostile cookies, parameters of the
wrong shape. Each answer is a Parse error or the sign-in form, never an internal error."""

from __future__ import annotations

import httpx

from .live import LiveServer


def test_browser_cookie_with_non_ascii_text_is_not_signed_in(shared: LiveServer) -> None:
    # hmac.compare_digest refuses str holding non-ASCII characters: the cookie was a 500.
    raw = "querylang_browser=é".encode("latin-1")
    r = httpx.get(shared.root + "/browser/", headers={"Cookie": raw}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/browser/login")

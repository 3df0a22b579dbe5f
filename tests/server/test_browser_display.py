"""What the data browser shows of paging, of a Pointer to a record that is not there and of
nested values (found by an audit of the browser)."""

from __future__ import annotations

import html
import re

from .live import MASTER_KEY, LiveServer, http_client


def _get(server: LiveServer, path: str, **params: str) -> str:
    with http_client(follow_redirects=True) as c:
        resp = c.get(server.root + path, params={"masterKey": MASTER_KEY, **params})
    assert resp.status_code == 200, resp.text
    return resp.text


def _ids(page: str) -> list[str]:
    return [html.unescape(i) for i in re.findall(r'class="record">([^<]*)</a>', page)]


def test_only_ascii_digits_are_a_page_number(shared: LiveServer) -> None:
    # Python's int() reads any Unicode digit: "٣" (Arabic-Indic three) was page 3 (shown "page 4").
    db = shared.db
    for odd in ("٣", "３", "²", " 1", "+1", "1_0"):
        page = _get(shared, "/browser/classes/Comment", page=odd)
        assert "page 1 of " in page, odd
        assert _ids(page) == db.query("Comment", limit=50).ids, odd
    assert _ids(_get(shared, "/browser/classes/Comment", page="1")) == db.query("Comment", limit=50, skip=50).ids


def test_a_page_past_the_end_is_the_last_page(shared: LiveServer) -> None:
    # It said "page 10 of 3" over an empty table, while its "previous" led to page 3.
    db = shared.db
    pages = -(-db.count("Comment") // 50)
    for past in ("9", str(10**30)):
        page = _get(shared, "/browser/classes/Comment", page=past)
        assert f"page {pages} of {pages}</span>" in page, past
        assert _ids(page) == db.query("Comment", limit=50, skip=50 * (pages - 1)).ids, past
        assert 'id="next"' not in page
        assert f'href="/browser/classes/Comment?page={pages - 2}" id="prev"' in page
    empty = _get(shared, "/browser/classes/Note", script="where({ rank: { greaterThan: 99 } })", page="4")
    assert "page 1 of 1</span>" in empty and _ids(empty) == [] and 'id="prev"' not in empty

"""The data browser in a real headless browser (Debian's chromium via chromedriver and Selenium).

Walks the issue's path: sign in, open a class, run a filter script (an error first: line,
column and caret), follow a pointer, view a relation and its inverse. Takes the screenshots
the docs show (docs/browser-*.png), into docs/ only under ``make screenshots``.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

import querylang

from .chrome import column, go, none_of, screenshot_dir, shot
from .live import MASTER_KEY, LiveServer, http_client

ROOT = Path(__file__).resolve().parents[2]


def test_a_test_run_leaves_the_checkout_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk's screenshots go outside the checkout (a clean clone stayed modified after
    `make test`: every run wrote docs/browser-*.png again), into docs/ only when asked."""
    monkeypatch.delenv("QL_SCREENSHOTS", raising=False)
    assert not screenshot_dir().is_relative_to(ROOT)
    monkeypatch.setenv("QL_SCREENSHOTS", str(ROOT / "docs"))
    assert screenshot_dir() == ROOT / "docs"


def test_browser_walk(shared: LiveServer, browser: webdriver.Chrome) -> None:
    db = shared.db
    d = browser
    d.get(shared.root + "/browser/")
    assert "/browser/login" in d.current_url  # the master key is required
    d.find_element(By.ID, "masterKey").send_keys("wrong")
    go(d, d.find_element(By.ID, "signin"))
    assert "not the master key" in d.page_source
    d.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)
    go(d, d.find_element(By.ID, "signin"))

    # classes with counts
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: int(r.find_elements(By.TAG_NAME, "td")[1].text)
            for r in d.find_elements(By.CSS_SELECTOR, "#classes tr")[1:]}
    assert rows == {c: db.count(c) for c in db.schema.classes}
    shot(d, "browser-classes.png")

    # a class: paging and sorting
    go(d, d.find_element(By.LINK_TEXT, "Comment"))
    assert column(d) == db.query("Comment", limit=50).ids
    go(d, d.find_element(By.ID, "next"))
    assert column(d) == db.query("Comment", limit=50, skip=50).ids
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "likes"))
    assert column(d) == db.query("Comment", sort=["likes"], limit=50).ids
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "likes"))
    assert column(d) == db.query("Comment", sort=["-likes"], limit=50).ids

    # a filter script with a mistake: the error shows line, column and caret
    box = d.find_element(By.ID, "script")
    box.clear()
    box.send_keys("where({\n  lieks: { greaterThan: 20 }\n})")
    go(d, d.find_element(By.ID, "run"))
    error = d.find_element(By.ID, "error").text
    assert error.startswith("line 2, column 3: class Comment has no field 'lieks'")
    assert "did you mean 'likes'" in error and "^" in error.splitlines()[-1]
    shot(d, "browser-script-error.png")

    script = "where({\n  Owner: { pointsTo: 'p015' },\n  likes: { greaterThan: 5 }\n})\nsort(['-likes'])"
    box = d.find_element(By.ID, "script")
    box.clear()
    box.send_keys(script)
    go(d, d.find_element(By.ID, "run"))
    want = db.query("Comment", script, count=True)
    assert column(d) == want.ids[:50] and want.ids
    assert d.find_element(By.ID, "count").text == f"{want.count} records"
    shot(d, "browser-script.png")

    # follow a pointer from the table to its record
    first = want.records[0]
    go(d, d.find_element(By.CSS_SELECTOR, "#records a.pointer"))
    assert d.find_element(By.TAG_NAME, "h1").text == f"Post {first['Owner']}"
    d.set_window_size(1280, 1000)  # the record and what points at it, in one picture
    shot(d, "browser-record.png")
    d.set_window_size(1280, 760)

    # the inverse: the Groups whose Relation `posts` holds this Post
    go(d, d.find_element(By.PARTIAL_LINK_TEXT, "Group whose Relation posts holds this"))
    holders = db.query("Group", {"posts": {"pointsTo": first["Owner"]}}).ids
    assert column(d) == holders and holders

    # a record with a Relation: "View relation"
    d.get(shared.root + "/browser/classes/Group/g2")
    go(d, d.find_element(By.LINK_TEXT, "View relation"))  # posts comes first
    assert d.find_element(By.TAG_NAME, "h1").text == "Group g2 · posts → Post"
    assert column(d) == db.query("Post", "where({ relatedTo: { id: 'g2', key: 'posts' } })").ids
    shot(d, "browser-relation.png")


def test_browser_needs_the_master_key(shared: LiveServer, browser: webdriver.Chrome) -> None:
    browser.delete_all_cookies()
    browser.get(shared.root + "/browser/classes/Post")
    assert "/browser/login" in browser.current_url
    browser.get(shared.root + f"/browser/classes/Post?masterKey={MASTER_KEY}")
    assert browser.current_url.endswith("/browser/classes/Post")
    assert column(browser) == shared.db.query("Post", limit=50).ids


def test_a_long_value_wraps_and_null_is_not_an_empty_string(fresh: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: every cell was `white-space: nowrap`, so a long value made the record
    # page thousands of pixels wide (its lines collapsed into one), and a field never set
    # showed as blank, the same as an empty string.
    text = "first line\n" + "word " * 400 + "\nlast line"
    oid = fresh.db.create("Post", {"title": "", "body": text})
    browser.get(fresh.root + f"/browser/classes/Post/{oid}?masterKey={MASTER_KEY}")
    width = browser.execute_script("return window.innerWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    cells = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[2]
             for r in browser.find_elements(By.CSS_SELECTOR, "#fields tr")[1:]}
    assert cells["body"].text.splitlines()[0] == "first line" and cells["body"].text.splitlines()[-1] == "last line"
    assert cells["title"].text == ""
    assert cells["score"].text == "(not set)"


def test_previous_from_a_page_past_the_end_goes_to_the_last_page(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: a shared link to page 9 of a class that now has 3 pages showed no
    # records, and "previous" led to page 8, as empty; it is the last page (its "previous" the
    # one before).
    db = shared.db
    browser.get(shared.root + f"/browser/classes/Comment?page=9&masterKey={MASTER_KEY}")
    last = -(-db.count("Comment") // 50) - 1
    assert column(browser) == db.query("Comment", limit=50, skip=50 * last).ids
    assert none_of(browser, By.ID, "next")
    go(browser, browser.find_element(By.ID, "prev"))
    assert column(browser) == db.query("Comment", limit=50, skip=50 * (last - 1)).ids


def test_the_relation_of_a_record_that_is_not_there_is_not_found(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: it showed "Group nope · posts → Post" and "0 records", as if the
    # record were there with an empty Relation.
    browser.get(shared.root + f"/browser/classes/Group/nope/relation/posts?masterKey={MASTER_KEY}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert "There is no Group nope." in browser.find_element(By.TAG_NAME, "main").text
    for path in ("/browser/classes/Post/a%00b", "/browser/classes/Group/a%00b/relation/posts"):
        browser.get(shared.root + path)  # an objectId no record can have: not a database error
        assert browser.find_element(By.TAG_NAME, "h1").text == "Not found", path
    browser.get(shared.root + "/browser/classes/Group/g2/relation/posts")
    assert column(browser) == shared.db.query("Post", "where({ relatedTo: { id: 'g2', key: 'posts' } })").ids


def test_signing_in_opens_the_page_that_was_asked_for(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: a shared link (a class with a filter script) led to the sign-in form,
    # and signing in then opened the list of classes: the link was lost.
    browser.delete_all_cookies()
    script = "where({ likes: { greaterThan: 5 } })"
    browser.get(shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode({"script": script, "page": 1}))
    assert "/browser/login" in browser.current_url
    browser.find_element(By.ID, "masterKey").send_keys("wrong")
    go(browser, browser.find_element(By.ID, "signin"))
    browser.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)  # a wrong key first keeps it too
    go(browser, browser.find_element(By.ID, "signin"))
    assert browser.find_element(By.ID, "script").get_attribute("value") == script
    assert column(browser) == shared.db.query("Comment", script, limit=50, skip=50).ids
    # Only a page of the browser is opened after signing in, never another site.
    for target in ("//example.com/", "https://example.com/", "/parse/classes/Post", "/\\example.com"):
        browser.delete_all_cookies()
        browser.get(shared.root + "/browser/login?" + urllib.parse.urlencode({"next": target}))
        browser.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)
        go(browser, browser.find_element(By.ID, "signin"))
        assert browser.current_url == shared.root + "/browser/", target


def test_a_database_that_fails_shows_why(browser: webdriver.Chrome) -> None:
    # Found by review: when the database fails (a table dropped behind querylang's back, a
    # PostgreSQL server gone), the classes and record pages answered a bare "Internal Server
    # Error"; they say what failed, as the records page does. The list of classes shows '?'
    # for a table dropped by hand, as on PostgreSQL.
    from .live import start

    db = querylang.connect()
    db.load({"classes": {"Note": {"fields": {"text": {"type": "String"}}}},
             "records": {"Note": [{"objectId": "n1", "text": "hello"}]}})  # fmt: skip
    srv = start(db)
    try:
        browser.get(srv.root + f"/browser/?masterKey={MASTER_KEY}")
        assert "Note" in browser.find_element(By.ID, "classes").text
        db.store.execute('DROP TABLE "Note"', [])
        browser.get(srv.root + "/browser/")
        assert browser.find_element(By.ID, "classes").text.split() == ["class", "records", "Note", "?"]
        assert "?: the table of Note was dropped or renamed outside querylang" in browser.page_source
        browser.get(srv.root + "/browser/classes/Note/n1")
        assert "Internal Server Error" not in browser.page_source
        assert browser.find_element(By.TAG_NAME, "h1").text == "The database could not answer"
        assert "the database rejected the query" in browser.find_element(By.ID, "error").text
    finally:
        srv.stop()


def test_the_browser_lists_the_classes_of_a_duckdb_database_whose_table_was_dropped(fresh: LiveServer) -> None:
    """Found by a review: on DuckDB, a class's table dropped by hand made the list of classes
    the page 'The database could not answer' (Catalog Error: Table with name Comment does not
    exist!), where PostgreSQL lists the classes with '?' for it; so do the record pages' counts."""
    import httpx

    fresh.db.store.execute('DROP TABLE "Comment"', [])
    fresh.db.store.execute('DROP TABLE "_join:posts:Group"', [])
    dropped = '<span title="table dropped or renamed outside querylang">?</span>'
    pill = '<span class="pill" title="table dropped or renamed outside querylang">?</span>'
    pages = {}
    for path in ("", "classes/Post/p001", "classes/Group/g2"):
        pages[path] = httpx.get(f"{fresh.root}/browser/{path}", params={"masterKey": MASTER_KEY},
                                follow_redirects=True, timeout=30)
        assert pages[path].status_code == 200, pages[path].text
    assert f'>Comment</a></td><td class="num">{dropped}</td>' in pages[""].text
    assert '>Post</a></td><td class="num">40</td>' in pages[""].text
    assert "?: the table of Comment was dropped or renamed outside querylang (load the class again" in pages[""].text
    assert f"Comment whose Pointer Owner points here</a> {pill}" in pages["classes/Post/p001"].text
    assert f'href="/browser/classes/Group/g2/relation/posts" class="relation">View relation</a> {pill}' \
        in pages["classes/Group/g2"].text


def test_a_script_that_starts_with_a_blank_line_keeps_it(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: HTML drops a newline right after <textarea>, so a script that starts with
    # a blank line came back one line shorter: the error said "line 2" of a script whose box
    # showed that line first, and running it again changed the script.
    script = "\nwhere({ lieks: 1 })"
    browser.get(shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode({"script": script, "masterKey": MASTER_KEY}))
    assert browser.find_element(By.ID, "script").get_attribute("value") == script
    assert browser.find_element(By.ID, "error").text.startswith("line 2, column 9:")


def test_a_class_page_with_a_trailing_slash_is_the_class_page(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: /browser/classes/Post/ (a slash typed or pasted at the end) said "There is
    # no /browser/classes/Post/." where the API answers /parse/classes/Post/ as the class.
    browser.get(shared.root + f"/browser/classes/Post/?masterKey={MASTER_KEY}")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Post"
    assert column(browser) == shared.db.query("Post", limit=50).ids


def test_a_record_that_a_field_no_script_can_name_points_at_opens() -> None:
    # Found by review: the record page counts what points here with a script, and a Pointer or
    # Relation named `prototype` or `constructor` is a key scripts refuse: every record of its
    # target class answered "The database could not answer" (500).
    import httpx

    from .live import start

    db = querylang.connect()
    db.load({"classes": {"T": {"fields": {"prototype": {"type": "Pointer", "targetClass": "T"},
                                          "constructor": {"type": "Relation", "targetClass": "T"}}}},
             "records": {"T": [{"objectId": "a", "prototype": "a"}, {"objectId": "b", "prototype": "a"}]}})  # fmt: skip
    srv = start(db)
    try:
        page = httpx.get(srv.root + f"/browser/classes/T/a?masterKey={MASTER_KEY}", follow_redirects=True)
    finally:
        srv.stop()
    assert page.status_code == 200
    assert "T whose Pointer prototype points here <span class=\"pill\">2</span>" in page.text
    assert "T whose Relation constructor holds this <span class=\"pill\">0</span>" in page.text


def test_a_url_of_the_browser_that_names_no_page_is_a_page(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: /browser/classes (a class page's URL cut back) and a mistyped
    # /browser/clases/Post answered a bare "Not Found" text, without the browser's header.
    for path in ("/browser/classes", "/browser/classes/"):
        browser.get(shared.root + path + f"?masterKey={MASTER_KEY}")
        assert browser.find_element(By.TAG_NAME, "h1").text == "Classes", path
    browser.get(shared.root + "/browser/clases/Post")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not found"
    assert "There is no /browser/clases/Post." in browser.find_element(By.TAG_NAME, "main").text
    browser.delete_all_cookies()  # and only once signed in, as every page
    browser.get(shared.root + "/browser/clases/Post")
    assert "/browser/login" in browser.current_url


def test_a_long_filter_script_runs(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # Found by review: the script travels in the URL, and a long one (a containedIn of
    # thousands of ids) was refused by the HTTP layer with a bare "Invalid HTTP request
    # received." once the request's head came in more than one piece over 16 KiB.
    ids = shared.db.query("Comment", limit=40).ids
    script = "where({ objectId: { containedIn: [" + ", ".join(repr(i) for i in ids + [f"x{n:05d}" for n in range(10_000)]) + "] } })"
    assert len(script) > 100_000
    browser.get(shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode({"script": script, "masterKey": MASTER_KEY}))
    assert column(browser) == shared.db.query("Comment", script, limit=50).ids == sorted(ids)


@pytest.mark.parametrize(("value", "shown"), [
    (1e-07, "1e-7"), (1.2345678901234568e17, "123456789012345680"), (0.1, "0.1"), (5, "5"), (-2.5e21, "-2.5e+21"),
])
def test_numbers_show_as_the_app_shows_them(value: float, shown: str) -> None:
    """Found by review: the browser showed Python's forms (1e-07, 1.2345678901234568e+17)
    where the REST answer read by the app, in JavaScript, gives 1e-7 and 123456789012345680."""
    from querylang.server.browser import cell

    assert cell(None, value) == {"text": shown}


def test_the_numbers_of_an_object_or_array_show_as_the_app_shows_them() -> None:
    """Before, an Object or Array showed json's text of it: {"x": [1e-05, 1.152921504606847e+18]}
    and [-0.0, 1.5e-07], where the app (JavaScript) and a Number beside it show these."""
    from querylang.server.browser import cell

    nested = {"x": [1e-05, {"y": 2.0**60}], "s": "1e-05"}
    assert cell(None, nested) == {"text": '{"x": [0.00001, {"y": 1152921504606847000}], "s": "1e-05"}'}
    assert cell(None, nested, full=True) == {"text": '{\n  "x": [\n    0.00001,\n    {\n      "y": 1152921504606847000\n'
                                                     '    }\n  ],\n  "s": "1e-05"\n}'}
    assert cell(None, [-0.0, 1.5e-07], full=True) == {"text": "[0, 1.5e-7]"}


def test_a_script_reading_inputs_says_their_conditions_are_left_out(shared: LiveServer) -> None:
    """Found by review: the browser gives no inputs, so a script's condition on Inputs.X was
    dropped without a word (Noodl's rule for an input not given) and every record showed, as
    if the filter matched them all. The page now says so above the records it shows."""
    import html

    import httpx

    script = "where({ likes: { greaterThan: Inputs.Min }, text: { exists: true } })"
    url = shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode({"script": script, "masterKey": MASTER_KEY})
    page = html.unescape(httpx.get(url, follow_redirects=True, timeout=30).text)
    assert "the operand of greaterThan on 'likes' is undefined: the browser gives no inputs" in page
    assert 'id="error"' not in page
    count = shared.db.count("Comment", {"text": {"exists": True}})
    assert f"{count} records" in page
    plain = shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode({"script": "where({})", "masterKey": MASTER_KEY})
    assert 'id="notice"' not in httpx.get(plain, follow_redirects=True, timeout=30).text


def test_a_column_sort_can_be_given_back_to_the_script(shared: LiveServer) -> None:
    """Found by review: once a column was clicked, the Run form sent its order along with every
    script, so the script's own sort() never took effect again from the page. A link drops the
    column's order, keeping the script."""
    import html
    import re

    import httpx

    script = "where({}); sort(['-likes'])"
    query = {"script": script, "order": "text", "masterKey": MASTER_KEY}
    page = httpx.get(shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode(query), follow_redirects=True, timeout=30).text
    found = re.search(r'<a href="([^"]*)" id="unsort">', page)
    assert found is not None
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(html.unescape(found.group(1))).query)
    assert params == {"script": [script]}
    plain = {"script": script, "masterKey": MASTER_KEY}
    assert 'id="unsort"' not in httpx.get(shared.root + "/browser/classes/Comment?" + urllib.parse.urlencode(plain), follow_redirects=True, timeout=30).text


def test_the_records_table_tells_an_unset_field_from_an_empty_string(fresh: LiveServer, browser: webdriver.Chrome) -> None:
    """Found by review: a field never set and one holding "" were both a blank cell in the
    records table (the record page already tells them apart: "(not set)")."""
    fresh.db.load({"classes": {"Blank": {"fields": {"s": {"type": "String"}}}},
                   "records": {"Blank": [{"objectId": "b1", "s": ""}, {"objectId": "b2"}]}})
    browser.get(fresh.root + "/browser/classes/Blank?" + urllib.parse.urlencode({"masterKey": MASTER_KEY}))
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[1]
            for r in browser.find_elements(By.CSS_SELECTOR, "#records tr")[1:]}
    assert rows["b1"].text == ""
    assert rows["b2"].find_element(By.CSS_SELECTOR, ".unset").get_attribute("title") == "not set"


def test_a_script_the_browser_writes_keeps_an_ids_text_as_written() -> None:
    """Found by review: the "Pointing here" and relation scripts wrote an id "é" as "\\u00e9",
    which the script box showed as such. Only what a URL cannot carry (a lone surrogate) and
    the line separators stay escapes, and every form reads back as the same string."""
    import json

    from querylang.server.browser import relation_script

    assert relation_script("Post", "é1", "likes") == 'where({ relatedTo: { id: "é1", key: "likes", className: "Post" } })'
    odd = "a\ud800b\u2028c\"d\\e"
    written = relation_script("Post", odd, "k").split("id: ", 1)[1].split(", key:", 1)[0]
    assert "\\ud800" in written and "\\u2028" in written
    assert json.loads(written) == odd


def test_an_explicit_null_shows_as_null_not_as_unset(fresh: LiveServer) -> None:
    """Found by review: a field holding null and a field the record does not hold were both
    "(not set)" on the record page and `·` in the records table, where `querylang show` and
    `querylang query` print the null as `null` (the library keeps the two apart)."""
    import httpx

    fresh.db.load({"classes": {"Nul": {"fields": {"s": {"type": "String"}}}},
                   "records": {"Nul": [{"objectId": "n1", "s": None}, {"objectId": "n2"}]}})
    get = {"masterKey": MASTER_KEY}
    table = httpx.get(fresh.root + "/browser/classes/Nul", params=get, follow_redirects=True, timeout=30).text
    assert '>n1</a></td><td><span class="muted null">null</span></td>' in table
    assert '>n2</a></td><td><span class="muted unset" title="not set">·</span></td>' in table
    for oid, shown in (("n1", '<span class="muted null">null</span>'), ("n2", '<span class="muted">(not set)</span>')):
        record = httpx.get(fresh.root + f"/browser/classes/Nul/{oid}", params=get, follow_redirects=True, timeout=30).text
        assert f'<tr><td>s</td><td class="muted">String</td>\n    <td class="value">{shown}</td></tr>' in record, oid


def test_no_page_is_kept_in_the_browsers_cache(shared: LiveServer) -> None:
    """Found by review: after "Sign out", the Back button showed the records page again, from
    chromium's HTTP cache, without asking the server (so without the sign-in form): on a shared
    machine the next person read the data. Every page is `no-store`, so Back asks again."""

    with http_client(base_url=shared.root) as c:
        c.get("/browser/", params={"masterKey": MASTER_KEY})  # signs in (the cookie)
        for path in ("/browser/", "/browser/classes/Post", "/browser/classes/Post/p001",
                     "/browser/classes/Group/g2/relation/posts", "/browser/classes/Nope", "/browser/login?failed=1"):
            resp = c.get(path)
            assert resp.status_code == (404 if path.endswith("Nope") else 200), path
            assert resp.headers.get("cache-control") == "no-store", path
    with http_client(base_url=shared.root) as c:  # the sign-in form, as one not signed in sees it
        assert c.get("/browser/login").headers.get("cache-control") == "no-store"


def test_a_record_whose_objectid_holds_a_newline_opens(fresh: LiveServer) -> None:
    """Found by review: an objectId holding a newline (sent as %0A) matched no route (Starlette's
    `{path:path}` is `.*`, which stops at a newline), so its record link in the browser and a
    GET of it from the API answered a bare "Not Found" text, not the record."""
    import httpx

    fresh.db.load({"classes": {"Odd": {"fields": {"s": {"type": "String"}}}},
                   "records": {"Odd": [{"objectId": "a\nb", "s": "two lines"}]}})
    table = httpx.get(fresh.root + "/browser/classes/Odd", params={"masterKey": MASTER_KEY}, follow_redirects=True, timeout=30)
    assert '<a href="/browser/classes/Odd/a%0Ab" class="record">' in table.text
    record = httpx.get(fresh.root + "/browser/classes/Odd/a%0Ab", params={"masterKey": MASTER_KEY}, follow_redirects=True, timeout=30)
    assert record.status_code == 200 and "<h1>Odd a\nb</h1>" in record.text and "two lines" in record.text
    api = httpx.get(fresh.url + "/classes/Odd/a%0Ab", headers={"X-Parse-Application-Id": fresh.config.app_id,
                                                               "X-Parse-Master-Key": MASTER_KEY}, timeout=30)
    assert api.status_code == 200 and api.json()["s"] == "two lines"


def test_a_misspelt_class_or_relation_in_the_url_is_named_with_a_did_you_mean(shared: LiveServer) -> None:
    """Found by review: a class name typed or edited in the URL (/browser/classes/post) said only
    "There is no class post.", where the API says "did you mean 'Post'?"; a relation URL of a class
    that is not there said "There is no Relation Grop.posts" rather than naming the class."""
    import html

    with http_client(base_url=shared.root) as c:
        c.get("/browser/", params={"masterKey": MASTER_KEY})
        for path, said in (("/browser/classes/post", "There is no class post (did you mean 'Post'?)."),
                           ("/browser/classes/Comet/c001", "There is no class Comet (did you mean 'Comment'?)."),
                           ("/browser/classes/Grop/g2/relation/posts", "There is no class Grop (did you mean 'Group'?)."),
                           ("/browser/classes/Group/g2/relation/post", "There is no Relation Group.post (did you mean 'posts'?)."),
                           ("/browser/classes/Xyzzy", "There is no class Xyzzy.")):
            resp = c.get(path)
            assert resp.status_code == 404 and f"<p>{said}</p>" in html.unescape(resp.text), path


def test_a_long_pointer_is_cut_in_the_records_table_as_every_value() -> None:
    """Found by review: every value in the records table is cut at 60 characters but a
    Pointer's id, so one long id (3000 characters) made the table 12,000 pixels wide. It is cut
    as the others are; its link still leads to the whole id, and the record page shows it whole."""
    from querylang.model.schema import Field
    from querylang.server.browser import cell

    pointer = Field("p", "Pointer", "L")
    long_id = "i" * 3000
    assert cell(pointer, long_id) == {"text": "i" * 59 + "…", "href": "/browser/classes/L/" + long_id}
    assert cell(pointer, long_id, full=True)["text"] == long_id
    assert cell(pointer, "short") == {"text": "short", "href": "/browser/classes/L/short"}


def test_a_long_objectid_wraps_in_the_title(fresh: LiveServer, browser: webdriver.Chrome) -> None:
    """Found by review: the title of a record page (its heading, and the header bar) holds the
    objectId unbroken, so a record with a 3000-character id, or the Not found page of one, was
    20,000 pixels wide, where the record's values already wrap to the page."""
    long_id = "i" * 3000
    fresh.db.load({"classes": {"L": {"fields": {"s": {"type": "String"}}}}, "records": {"L": [{"objectId": long_id}]}})
    for oid in (long_id, "j" * 3000):
        browser.get(fresh.root + f"/browser/classes/L/{oid}?masterKey={MASTER_KEY}")
        assert browser.find_element(By.TAG_NAME, "h1").text == ("L " + oid if oid == long_id else "Not found")
        width = browser.execute_script("return window.innerWidth")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width, oid[:1]


def test_the_master_key_in_the_url_of_the_sign_in_form_signs_in(shared: LiveServer) -> None:
    """Found by review: docs/serve.md says any browser URL opened once with ?masterKey=KEY signs
    in, but /browser/login?masterKey=KEY (the URL the browser itself sends one to) showed the
    sign-in form again, the key ignored."""

    with http_client(base_url=shared.root) as c:
        resp = c.get("/browser/login", params={"masterKey": MASTER_KEY, "next": "/browser/classes/Post"})
        assert resp.status_code == 303 and resp.headers["location"] == "/browser/classes/Post"
        assert c.get("/browser/classes/Post").status_code == 200  # signed in
    with http_client(base_url=shared.root) as c:
        resp = c.get("/browser/login", params={"masterKey": "wrong"})
        assert resp.status_code == 303 and "wrong" not in resp.headers["location"]  # test_browser_security
        assert "That is not the master key." in c.get(resp.headers["location"]).text
        assert c.get("/browser/classes/Post").status_code == 303  # still to the sign-in form


def test_a_script_that_fails_shows_no_count(shared: LiveServer) -> None:
    """Found by review: under a script's error the page said "0 records · page 1 of 1", as if
    the script had run and matched nothing, where `querylang query` gives the error alone."""

    with http_client(base_url=shared.root, follow_redirects=True) as c:
        c.get("/browser/", params={"masterKey": MASTER_KEY})
        for query in ({"script": "where({ lieks: 1 })"}, {"order": "nope"}):
            page = c.get("/browser/classes/Comment", params=query).text
            assert 'id="error"' in page and 'id="count"' not in page and "page 1 of" not in page, query
        page = c.get("/browser/classes/Comment", params={"script": "where({ likes: 1 })"}).text
        assert f'id="count">{shared.db.count("Comment", {"likes": 1})} record' in page


def test_a_record_whose_objectid_is_a_dot_or_two_opens(fresh: LiveServer, browser: webdriver.Chrome) -> None:
    """Found walking records with odd ids: a link to the record "." or ".." was a dot segment
    of the URL, which the browser resolves before asking (as it does %2E): "." opened its class
    page and ".." the list of classes. Their links end with an escaped NUL, which no objectId
    holds, so that the segment is no dot segment; the page reads the id without it."""
    ids = [".", "..", "%2e", ".%2E", "./.."]
    fresh.db.load({"classes": {"Dot": {"fields": {"r": {"type": "Relation", "targetClass": "Dot"}}}},
                   "records": {"Dot": [{"objectId": i, "r": ["."]} for i in ids]}})
    browser.get(fresh.root + f"/browser/classes/Dot?masterKey={MASTER_KEY}")
    for oid in ids:
        go(browser, browser.find_elements(By.CSS_SELECTOR, "#records a.record")[column(browser).index(oid)])
        assert browser.find_element(By.ID, "fields").find_element(By.CSS_SELECTOR, "td.value").text == oid
        go(browser, browser.find_element(By.CSS_SELECTOR, "a.relation"))
        assert column(browser) == ["."], oid
        browser.back()
        browser.back()


def test_back_to_the_sign_in_form_once_signed_in_opens_the_page(shared: LiveServer, browser: webdriver.Chrome) -> None:
    """Found walking back and forth: after signing in, Back led to the sign-in form (asked again,
    as no page is cached), which asked for the key of a browser that was signed in. The form,
    opened signed in, goes on to the page it was to open; after a wrong key it is still shown."""
    browser.delete_all_cookies()
    browser.get(shared.root + "/browser/classes/Post")
    browser.find_element(By.ID, "masterKey").send_keys(MASTER_KEY)
    go(browser, browser.find_element(By.ID, "signin"))
    assert browser.current_url == shared.root + "/browser/classes/Post"
    browser.back()
    assert browser.current_url == shared.root + "/browser/classes/Post"
    assert column(browser) == shared.db.query("Post", limit=50).ids
    browser.get(shared.root + "/browser/classes/Post?masterKey=wrong")
    assert "That is not the master key." in browser.page_source


def test_an_id_holding_a_right_to_left_override_turns_no_text_around_it(fresh: LiveServer, browser: webdriver.Chrome) -> None:
    """Found walking records with right-to-left text: an objectId (or a name in a URL) holding
    U+202E, the right-to-left override, turned the text after it in a heading around: the
    relation page of "g2\\u202e" read "Group g2puorG → stsop ·", a Not found page's did-you-mean
    ran backwards. Such text is isolated where it sits among other words."""
    rlo = "\u202e"
    fresh.db.load({"classes": {"Grp": {"fields": {"posts": {"type": "Relation", "targetClass": "Grp"}}}},
                   "records": {"Grp": [{"objectId": "g2" + rlo}, {"objectId": "g3\u2069" + rlo}]}})  # a PDI closes no isolate of its own
    where = """
        const node = document.querySelector(arguments[0]).firstChild, text = node.textContent;
        return arguments[1].map(s => {
            const range = document.createRange(), at = text.indexOf(s);
            range.setStart(node, at); range.setEnd(node, at + s.length);
            return range.getBoundingClientRect().left;
        });"""
    browser.get(fresh.root + f"/browser/?masterKey={MASTER_KEY}")
    oid = urllib.parse.quote("g2" + rlo, safe="")
    other = urllib.parse.quote("g3\u2069" + rlo, safe="")
    for path, css, words in ((f"/browser/classes/Grp/{oid}/relation/posts", "h1", ["Grp", "posts", "→"]),
                             (f"/browser/classes/Grp/{other}/relation/posts", "h1", ["Grp", "posts", "→"]),
                             (f"/browser/classes/Grp/{other}x", "main p", ["There", "."]),
                             (f"/browser/classes/Grp/{oid}/relation/pots{oid}", "main p", ["There", "did you mean", "posts'"]),
                             (f"/browser/classes/Grpp{oid}", "main p", ["There", "did you mean", "Grp'"])):
        browser.get(fresh.root + path)
        lefts = browser.execute_script(where, css, words)
        assert lefts == sorted(lefts), (path, lefts)


def test_every_page_closes_what_it_opens(shared: LiveServer) -> None:
    """Held in the review: each kind of page (the list, records with an error or a notice, a
    record, a relation, Not found, the sign-in form) closes every element it opens, in order."""
    from html.parser import HTMLParser

    class Nesting(HTMLParser):
        VOID = {"meta", "input", "br", "img", "hr", "link"}

        def __init__(self) -> None:
            super().__init__()
            self.open: list[str] = []
            self.wrong: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag not in self.VOID:
                self.open.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if not self.open or self.open.pop() != tag:
                self.wrong.append(f"</{tag}> at {self.getpos()}")

    with http_client(base_url=shared.root) as c:
        pages = [c.get("/browser/login")]
        c.get("/browser/", params={"masterKey": MASTER_KEY})
        pages += [c.get(p) for p in ("/browser/", "/browser/classes/Comment", "/browser/classes/Comment?script=where({lieks:1})",
                                     "/browser/classes/Comment?script=where({likes:Inputs.x})&order=-likes&page=1",
                                     "/browser/classes/Post/p001", "/browser/classes/Group/g2/relation/posts",
                                     "/browser/classes/Nope", "/browser/x/y")]
    for page in pages:
        nesting = Nesting()
        nesting.feed(page.text)
        nesting.close()
        assert nesting.wrong == [] and nesting.open == [], page.url

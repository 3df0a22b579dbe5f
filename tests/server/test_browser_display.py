"""What the data browser shows of paging, of a Pointer to a record that is not there and of
nested values (found by an audit of the browser)."""

from __future__ import annotations

import html
import json
import re
import urllib.parse

from selenium import webdriver
from selenium.webdriver.common.by import By

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


DANGLING = {
    "classes": {"Owner": {"fields": {"name": {"type": "String"}}},
                "Pet": {"fields": {"owner": {"type": "Pointer", "targetClass": "Owner"},
                                   "info": {"type": "Object"}, "tags": {"type": "Array"}}}},
    "records": {"Owner": [{"objectId": "o1", "name": "here"}],
                "Pet": [{"objectId": "p1", "owner": "o1"}, {"objectId": "p2", "owner": "gone"},
                        {"objectId": "p3", "info": {"a": {"b": [1, 2]}, "s": "<script>x</script>"},
                         "tags": ["x", {"y": 1}]}]},
}


def test_a_pointer_to_a_record_that_is_not_there_is_marked(fresh: LiveServer) -> None:
    # Its link led to a "Not found" page, with nothing to say so before following it.
    fresh.db.load(DANGLING)
    table = _get(fresh, "/browser/classes/Pet")
    assert '<a href="/browser/classes/Owner/o1" class="pointer">o1</a>' in table
    assert 'href="/browser/classes/Owner/gone"' not in table
    assert '<span class="dangling" title="no Owner has this objectId">gone (not found)</span>' in table
    here = _get(fresh, "/browser/classes/Pet/p1")
    assert '<a href="/browser/classes/Owner/o1" class="pointer">o1</a>' in here
    gone = _get(fresh, "/browser/classes/Pet/p2")
    assert 'href="/browser/classes/Owner/gone"' not in gone
    assert '<span class="dangling" title="no Owner has this objectId">gone (not found)</span>' in gone


def _escaped(value: object, indent: int | None = None) -> str:
    return html.escape(json.dumps(value, indent=indent), quote=False).replace('"', "&#34;")  # as jinja escapes it


def test_a_nested_value_on_the_record_page_is_indented(fresh: LiveServer) -> None:
    # It showed as one long JSON line, wrapped where the page ended.
    fresh.db.load(DANGLING)
    pet = DANGLING["records"]["Pet"][2]
    page = _get(fresh, "/browser/classes/Pet/p3")
    info = '{\n  &#34;a&#34;: {\n    &#34;b&#34;: [\n      1,\n      2\n    ]\n  },\n  &#34;s&#34;: &#34;&lt;script&gt;x&lt;/script&gt;&#34;\n}'
    assert _escaped(pet["info"], 2) == info
    assert f'<td class="value">{info}</td>' in page
    assert f'<td class="value">{_escaped(pet["tags"], 2)}</td>' in page
    assert "<script>" not in page
    # The records table keeps a value to one line, cut at 60 characters.
    assert f"<td>{_escaped(pet['info'])[:59]}" in _get(fresh, "/browser/classes/Pet")


def test_a_short_flat_value_stays_one_line() -> None:
    from querylang.model.schema import Field
    from querylang.server.browser import cell

    point = {"latitude": 50.55, "longitude": -79.35}
    assert cell(Field("l", "GeoPoint"), point, full=True)["text"] == '{"latitude": 50.55, "longitude": -79.35}'
    assert cell(Field("t", "Array"), ["ui"], full=True)["text"] == '["ui"]'
    long = ["word"] * 20
    assert cell(Field("t", "Array"), long, full=True)["text"] == json.dumps(long, indent=2)


# The left edge, in the page, of the n-th occurrence of `ch` in the text of an element,
# however the text is split between its nodes.
_LEFT_OF = """
const [el, ch, nth] = arguments;
const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
let seen = 0;
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  for (let i = node.data.indexOf(ch); i >= 0; i = node.data.indexOf(ch, i + 1)) {
    if (seen++ === nth) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + ch.length);
      return range.getBoundingClientRect().left;
    }
  }
}
return null;
"""


def test_the_caret_of_a_script_error_lands_under_its_character(shared: LiveServer, browser: webdriver.Chrome) -> None:
    # The caret line counted a wide character as two cells, as a terminal draws it; the page's
    # monospace font may draw CJK and emoji narrower (or wider), and the caret landed to one side.
    browser.get(shared.root + f"/browser/?masterKey={MASTER_KEY}")
    for before in ("日本語日本語日本語", "😀😀😀😀", "a\tb", "\x1b[31m", "éé"):
        script = f"where({{ title: '{before}', lieks: 1 }})"
        browser.get(shared.root + "/browser/classes/Post?" + urllib.parse.urlencode({"script": script}))
        error = browser.find_element(By.ID, "error")
        assert "no field 'lieks'" in error.text
        under = browser.execute_script(_LEFT_OF, error, "lieks", 1)  # the message names it first
        caret = browser.execute_script(_LEFT_OF, error, "^", 0)
        assert under is not None and caret is not None
        assert abs(under - caret) < 1, (before, under, caret)


def test_pointers_inside_an_array_link_to_their_records(fresh: LiveServer) -> None:
    """A Parse app's Array of Pointers (members, say) was only JSON text on the record page,
    each Pointer's record to be looked up by hand."""
    owners = [{"__type": "Pointer", "className": "Owner", "objectId": oid} for oid in ("o1", "o/2")]
    fresh.db.load({
        "classes": {"Owner": {"fields": {}}, "Pack": {"fields": {"members": {"type": "Array"}}}},
        "records": {"Owner": [{"objectId": "o1"}, {"objectId": "o/2"}],
                    "Pack": [{"objectId": "k1", "members": [*owners, "plain", {"__type": "Pointer", "className": 5}]},
                             {"objectId": "k2", "members": ["a", {"objectId": "o1"}]}]},
    })
    page = _get(fresh, "/browser/classes/Pack/k1")
    links = re.findall(r'<ul class="array-pointers">(.*?)</ul>', page, re.S)
    assert links == ['<li><a href="/browser/classes/Owner/o1" class="pointer">Owner o1</a></li>'
                     '<li><a href="/browser/classes/Owner/o%2F2" class="pointer">Owner o/2</a></li>'], links
    assert "&#34;objectId&#34;: &#34;o1&#34;" in page  # the array's text is still there
    with http_client(follow_redirects=True) as c:
        opened = c.get(fresh.root + "/browser/classes/Owner/o%2F2", params={"masterKey": MASTER_KEY})
    assert opened.status_code == 200 and "Owner o/2" in opened.text
    assert '<ul class="array-pointers">' not in _get(fresh, "/browser/classes/Pack/k2")  # no Pointer in it
    assert '<ul class="array-pointers">' not in _get(fresh, "/browser/classes/Pack")  # the table's cells stay text


def test_a_pointer_inside_an_array_whose_class_is_no_class_name_is_not_linked(fresh: LiveServer) -> None:
    """An Array's members are the data's, not checked as a Pointer field's target is: a
    className of "../../parse/classes" made the link /browser/classes/../../parse/classes/x,
    which the browser resolves to a page outside the data browser."""
    odd = ["../../parse/classes", "Owner/extra", "Own er", ".."]
    fresh.db.load({
        "classes": {"Owner": {"fields": {}}, "Pack": {"fields": {"members": {"type": "Array"}}}},
        "records": {"Owner": [{"objectId": "o1"}],
                    "Pack": [{"objectId": "k1", "members": [{"__type": "Pointer", "className": "Owner", "objectId": "o1"},
                                                            *({"__type": "Pointer", "className": c, "objectId": "x"}
                                                              for c in odd)]}]},
    })
    page = _get(fresh, "/browser/classes/Pack/k1")
    links = re.findall(r'<ul class="array-pointers">(.*?)</ul>', page, re.S)
    assert links == ['<li><a href="/browser/classes/Owner/o1" class="pointer">Owner o1</a></li>'], links
    assert "../../parse/classes" in html.unescape(page)  # still in the array's text


def test_a_pointer_inside_an_array_to_a_record_that_is_not_there_is_marked(fresh: LiveServer) -> None:
    """Found by review: it was linked, the link leading to a "Not found" page, where a Pointer
    field's says "(not found)" at once; a class that is not there holds none of them."""
    fresh.db.load({
        "classes": {"Owner": {"fields": {}}, "Pack": {"fields": {"members": {"type": "Array"}}}},
        "records": {"Owner": [{"objectId": "o1"}],
                    "Pack": [{"objectId": "k1", "members": [
                        {"__type": "Pointer", "className": "Owner", "objectId": "gone"},
                        {"__type": "Pointer", "className": "Owner", "objectId": "o1"},
                        {"__type": "Pointer", "className": "Nowhere", "objectId": "o1"}]}]},
    })
    page = _get(fresh, "/browser/classes/Pack/k1")
    links = re.findall(r'<ul class="array-pointers">(.*?)</ul>', page, re.S)
    assert links == ['<li><span class="dangling" title="no Owner has this objectId">Owner gone (not found)</span></li>'
                     '<li><a href="/browser/classes/Owner/o1" class="pointer">Owner o1</a></li>'
                     '<li><span class="dangling" title="no Nowhere has this objectId">Nowhere o1 (not found)</span></li>'], links

"""Request bodies read as Parse Server 9 reads them (its body parsers: a form, a charset, bytes
that are no UTF-8, an array), each found by sending the same request to Parse Server 9 and to
serve over the same records."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import types
import zlib

import httpx
import pytest

from querylang.server.errors import ParseError

from .conftest import headers
from .live import APP_ID, LiveServer, start

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def titles(srv: LiveServer, title: str) -> int:
    return srv.db.count("Post", {"title": {"equalTo": title}})


def test_a_form_body_is_read_as_parse_reads_one(fresh: LiveServer, client: httpx.Client) -> None:
    """A form body (application/x-www-form-urlencoded) was read as JSON, 400 "Unexpected
    token 't', "title=x" is not valid JSON", where Parse reads it as a form: each value text,
    a name given twice a list, ``meta[a]`` a name like any other, ``+`` a space."""
    url = f"{fresh.url}/classes/Post"
    r = client.post(url, content="title=hello+w%C3%B6rld", headers=headers(master=True, **FORM))
    assert r.status_code == 201, r.text
    assert titles(fresh, "hello wörld") == 1
    r = client.post(url, content="title=a&title=b", headers=headers(master=True, **FORM))
    assert (r.status_code, r.json()) == (400, {"code": 111, "error": "schema mismatch for Post.title; expected String but got Array"})
    r = client.post(url, content="title=x&score=3", headers=headers(master=True, **FORM))
    assert (r.status_code, r.json()) == (400, {"code": 111, "error": "schema mismatch for Post.score; expected Number but got String"})
    r = client.post(url, content="meta[a]=1", headers=headers(master=True, **FORM))
    assert r.status_code == 400 and r.json()["code"] == 105 and "'meta[a]'" in r.json()["error"]
    # The JS SDK's keys and _method in a form (no headers); a value that is JSON stays text
    # until the route reads it (where), as Parse reads it.
    form = f"_method=GET&_ApplicationId={APP_ID}&where=%7B%22title%22%3A%22hello%20w%C3%B6rld%22%7D&count=1&limit=0"
    r = client.post(url, content=form, headers={**FORM, "Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"})
    assert (r.status_code, r.json()) == (200, {"results": [], "count": 1})
    # ISO-8859-1: each %XX one character.
    r = client.post(url, content="title=caf%E9", headers=headers(master=True, **{"Content-Type": FORM["Content-Type"] + "; charset=iso-8859-1"}))
    assert r.status_code == 201 and titles(fresh, "café") == 1


@pytest.mark.parametrize(("form", "fields"), [
    ("a=%zz+1&b=%E9&c&=5&&d=x=y", {"a": "%zz 1", "b": "%E9", "c": "", "d": "x=y"}),
    ("a=1&a=2&a=3&a[]=4&__proto__=5", {"a": ["1", "2", "3"], "a[]": "4"}),
    ("&".join(f"a={i}" for i in range(25)), {"a": [str(i) for i in range(25)]}),  # no array limit, unlike a URL
    # One pair of brackets around a whole name comes off (and the values of both spellings
    # join); an escaped bracket is a bracket before the text is split.
    ("[title]=x&[b]=1&b=2&b=3&[ACL]=y&[__proto__]=z", {"title": "x", "b": ["1", "2", "3"], "ACL": "y"}),
    ("a=x%5D=y&%5Bc%5D=1", {"a=x]": "y", "c": "1"}),
    # "[]" gives its values by index, merged with names that are numbers (which come first),
    # an empty value merged into one already there adds nothing.
    ("[]=a&[]=c&1=d&0=b&[0]=", {"0": ["b", "a"], "1": ["d", "c"]}),
])
def test_form_fields_as_parse_reads_them(form: str, fields: dict[str, object]) -> None:
    """The names and values Parse's form parser (qs 6.17 at depth 0) finds, read from qs
    itself: an escape that is no UTF-8 is left as sent, an empty name and __proto__ are
    dropped; "[title]=x" was the field "[title]" (105), where Parse writes title."""
    from querylang.server.qs import parse_form

    assert parse_form(form, True) == fields


@pytest.mark.parametrize(("content_type", "body", "status", "error"), [
    ("application/json; charset=koi8-r", b'{"title": "x"}', 415, 'unsupported charset "KOI8-R"'),
    ("text/plain; charset=iso-8859-1", b'{"title": "x"}', 415, 'unsupported charset "ISO-8859-1"'),
    ("application/x-www-form-urlencoded; charset=utf-16", b"title=x", 415, 'unsupported charset "UTF-16"'),
    ("application/x-www-form-urlencoded", b"title=" + b"x" * 102_400, 413, "request entity too large"),
    ("application/x-www-form-urlencoded", "&".join(f"k{i}=1" for i in range(1001)).encode(), 413, "too many parameters"),
])
def test_bodies_parse_refuses_before_reading_them(fresh: LiveServer, client: httpx.Client, content_type: str,
                                                  body: bytes, status: int, error: str) -> None:
    """A charset Parse's body parsers do not read was taken as UTF-8, and a form over their
    limits (100 KiB, 1000 fields) read as JSON; Parse answers each with no code. Nothing is written."""
    before = fresh.db.count("Post")
    r = client.post(f"{fresh.url}/classes/Post", content=body, headers=headers(master=True, **{"Content-Type": content_type}))
    assert (r.status_code, r.json()) == (status, {"error": error})
    assert fresh.db.count("Post") == before


def test_the_first_charset_of_a_content_type_is_the_one_read(fresh: LiveServer, client: httpx.Client) -> None:
    """A Content-Type naming its charset twice was read by the last one (415 for
    "charset=utf-8; charset=koi8-r"), where Parse's body parsers read the first."""
    url = f"{fresh.url}/classes/Post"
    for content_type, body in (("application/json; charset=utf-8; charset=koi8-r", b'{"title": "twice"}'),
                               (FORM["Content-Type"] + "; charset=utf-8; charset=utf-16", b"title=twice")):
        r = client.post(url, content=body, headers=headers(master=True, **{"Content-Type": content_type}))
        assert r.status_code == 201, r.text
    assert titles(fresh, "twice") == 2
    r = client.post(url, content=b"{}", headers=headers(master=True, **{"Content-Type": "text/plain; charset=koi8-r; charset=utf-8"}))
    assert (r.status_code, r.json()) == (415, {"error": 'unsupported charset "KOI8-R"'})


def test_bytes_that_are_no_utf8_become_replacement_characters(fresh: LiveServer, client: httpx.Client) -> None:
    """A JSON string holding bytes that are no UTF-8 was 400 "Unexpected end of JSON input",
    where Parse's body parser decodes them as U+FFFD (each maximal bad sequence one) and
    stores the text; a leading byte order mark is dropped, as Parse drops it."""
    url = f"{fresh.url}/classes/Post"
    r = client.post(url, content=b'{"title": "a\xffb\xe2\x82"}', headers=headers(master=True, **{"Content-Type": "application/json"}))
    assert r.status_code == 201, r.text
    assert titles(fresh, "a\ufffdb\ufffd") == 1
    r = client.post(url, content=b'\xef\xbb\xbf{"title": "bom"}', headers=headers(master=True))
    assert r.status_code == 201 and titles(fresh, "bom") == 1
    r = client.post(url, content=b'{"title": "a"\xff}', headers=headers(master=True))
    assert r.status_code == 400 and "code" not in r.json() and r.json()["error"].endswith("in JSON at position 13")


def test_a_multipart_body_is_not_read(fresh: LiveServer, client: httpx.Client) -> None:
    """A multipart/form-data body was read as JSON; Parse's parsers leave it unread (it is
    for file uploads), so a create with one makes a record without fields."""
    r = client.post(f"{fresh.url}/classes/Post", content=json.dumps({"title": "multi"}),
                    headers=headers(master=True, **{"Content-Type": "multipart/form-data; boundary=x"}))
    assert r.status_code == 201, r.text
    assert titles(fresh, "multi") == 0
    made = fresh.db.find("Post", {"objectId": r.json()["objectId"]}).records[0]
    assert "title" not in made


def test_an_array_body_is_the_object_of_its_indexes(fresh: LiveServer, client: httpx.Client) -> None:
    """A JSON array body was 107 "the body must be a JSON object" on every route, where Parse
    reads it as JavaScript reads an array's keys, {"0": ...}: a find is 102 naming the
    parameter 0, a write 105 naming the field 0, a batch 107 "requests must be an array",
    and [] is {} (a create of a record without fields)."""
    url = f"{fresh.url}/classes/Post"
    h = headers(master=True)
    r = client.post(url, content=b'[{"_method": "GET"}]', headers=h)
    assert r.status_code == 400 and r.json()["code"] == 105 and "'0'" in r.json()["error"]
    r = client.request("GET", url, content=b"[1]", headers=h)
    assert (r.status_code, r.json()) == (400, {"code": 102, "error": "Invalid parameter for query: 0"})
    r = client.post(f"{fresh.url}/batch", content=b"[1]", headers=h)
    assert (r.status_code, r.json()) == (400, {"code": 107, "error": "requests must be an array"})
    before = fresh.db.count("Post")
    r = client.post(url, content=b"[]", headers=h)
    assert r.status_code == 201 and fresh.db.count("Post") == before + 1


def test_a_compressed_body_is_inflated(fresh: LiveServer, client: httpx.Client) -> None:
    """A gzip or deflate body (Content-Encoding) was read as JSON as sent, 400 "Unexpected
    token"; Parse's body parsers inflate it (a form too), answer one that does not inflate 400
    in zlib's words, and an encoding they do not know 415. Nothing is written on a refusal."""
    url = f"{fresh.url}/classes/Post"
    j = {"Content-Type": "application/json"}
    for encoding, packed in (("gzip", gzip.compress(b'{"title": "gz"}')), ("DEFLATE", zlib.compress(b'{"title": "gz"}'))):
        r = client.post(url, content=packed, headers=headers(master=True, **j, **{"Content-Encoding": encoding}))
        assert r.status_code == 201, r.text
    r = client.post(url, content=gzip.compress(b"title=gz"), headers=headers(master=True, **FORM, **{"Content-Encoding": "gzip"}))
    assert r.status_code == 201, r.text
    assert titles(fresh, "gz") == 3
    before = fresh.db.count("Post")
    for encoding, packed, status, error in (
        ("gzip", b'{"title": "x"}', 400, "incorrect header check"),
        ("gzip", gzip.compress(b'{"title": "x"}')[:-6], 400, "unexpected end of file"),
        ("x-gzip", gzip.compress(b'{"title": "x"}'), 415, 'unsupported content encoding "x-gzip"'),
    ):
        r = client.post(url, content=packed, headers=headers(master=True, **j, **{"Content-Encoding": encoding}))
        assert (r.status_code, r.json()) == (status, {"error": error})
    assert fresh.db.count("Post") == before


def test_a_brotli_body_is_inflated_as_parse_inflates_it(sample_doc: dict, client: httpx.Client) -> None:
    """Checked against Parse Server 9: a body sent with Content-Encoding br (a form too, the
    name read case-blind) is inflated and read, where serve answered 415 "unsupported content
    encoding"; one that does not inflate is 400 {"error": "Decompression failed"}, one cut short
    (or empty) "unexpected end of file", and one inflated past the body limit 413, however
    small it came. zstd stays 415, as Parse Server 9's body parsers answer it on Node 20."""
    import brotli

    from .conftest import make_db

    srv = start(make_db(sample_doc), max_body=10_000)
    try:
        url, j = f"{srv.url}/classes/Post", {"Content-Type": "application/json"}
        for encoding, kind, raw in (("br", j, b'{"title": "brotli"}'), ("BR", FORM, b"title=brotli")):
            r = client.post(url, content=brotli.compress(raw), headers=headers(master=True, **kind, **{"Content-Encoding": encoding}))
            assert r.status_code == 201, r.text
        assert titles(srv, "brotli") == 2
        before = srv.db.count("Post")
        packed = brotli.compress(b'{"title": "x"}')
        for encoding, sent, status, error in (
            ("br", b"not brotli at all, not at all", 400, "Decompression failed"),
            ("br", packed[: len(packed) // 2], 400, "unexpected end of file"),
            ("br", b"", 400, "unexpected end of file"),
            ("br", brotli.compress(json.dumps({"title": "x" * 50_000}).encode()), 413, "request entity too large"),
            ("zstd", b'{"title": "x"}', 415, 'unsupported content encoding "zstd"'),
        ):
            r = client.post(url, content=sent, headers=headers(master=True, **j, **{"Content-Encoding": encoding}))
            assert (r.status_code, r.json()) == (status, {"error": error}), (encoding, sent[:20])
        assert srv.db.count("Post") == before
    finally:
        srv.stop()


def test_a_brotli_stream_followed_by_more_bytes_is_read_as_parse_reads_it() -> None:
    """Checked against Parse Server 9: a br body whose stream is followed by more bytes (zeros,
    text, a second stream) is read up to the end of the stream, as Node's decoder stops there
    (201); here it was 400 "Decompression failed" (the brotli package refuses what follows),
    wherever the stream ends. Data that is no Brotli still fails, a bomb is still 413."""
    import brotli

    from querylang.server.body import parse_body
    from querylang.server.inflate import BR_PIECE, inflated

    small = brotli.compress(b'{"title": "a"}')
    for after in (b"junk", b"\x00" * 5000, brotli.compress(b"{}"), b"x" * (2 * BR_PIECE)):
        assert parse_body(small + after, 110, "application/json", "br") == {"title": "a"}
    # Streams that end past the first piece, the last at a piece's last byte (random bytes
    # stay as long, plus a few, when compressed).
    noise = random.Random(7).randbytes(3 * BR_PIECE)
    ends = {len(brotli.compress(noise[:n])): n for n in range(2 * BR_PIECE - 40, 2 * BR_PIECE)}
    assert 2 * BR_PIECE in ends
    for n in (BR_PIECE + 1000, ends[2 * BR_PIECE]):
        assert inflated(brotli.compress(noise[:n]) + b"junk", "br", 10**6) == noise[:n]
    for sent, status, error in (
        (small[:3] + b"\xff" * 40 + small[3:], 400, "Decompression failed"),
        (b"not brotli at all" + small, 400, "Decompression failed"),
        (small[:-1], 400, "unexpected end of file"),
        (brotli.compress(b" " * 50_000) + b"junk", 413, "request entity too large"),
    ):
        with pytest.raises(ParseError) as err:
            inflated(sent, "br", 10_000)
        assert (err.value.status, err.value.message) == (status, error), sent[:20]


@pytest.mark.parametrize("installed", ["none", "1.1"])
def test_without_brotli_1_2_serve_starts_and_a_brotli_body_is_415(
    installed: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """brotli was imported with the server, so serve (and create_app) would not start without
    it, and brotli 1.1 (no output_buffer_limit) answered every br body 500. Now it is imported
    at the first br body: without brotli 1.2 or later that body is 415, as Parse's parsers
    answer an encoding they cannot inflate, the log saying what to install; gzip is read."""
    code = "import sys; sys.modules['brotli'] = None; from querylang.server import create_app; print('started')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "started", done.stderr

    from querylang.server.body import parse_body

    class OldDecompressor:  # brotli 1.1's: no can_accept_more_data, no output_buffer_limit
        def process(self, data: bytes) -> bytes:
            return b"{}"

        def is_finished(self) -> bool:
            return True

    old = types.SimpleNamespace(Decompressor=OldDecompressor, error=Exception)
    monkeypatch.setitem(sys.modules, "brotli", None if installed == "none" else old)
    with pytest.raises(ParseError) as err:
        parse_body(b"\x0b\x00\x80{}\x03", 110, "application/json", "br")
    assert (err.value.status, err.value.message) == (415, 'unsupported content encoding "br"')
    assert "pip install 'querylang[serve]'" in caplog.text
    assert parse_body(gzip.compress(b'{"a": 1}'), 110, "application/json", "gzip") == {"a": 1}


def test_what_follows_a_gzip_member_is_read_as_parse_reads_it() -> None:
    """Checked against Parse Server 9: Node's gunzip reads the bytes after a gzip member as
    another member, joined to the first (a body sent in two members is read whole, 201), and
    fails on ones that are none ("incorrect header check", a member cut short "unexpected end
    of file"), unless they start with a zero byte (padding, left unread); here whatever
    followed the first member was left unread. deflate leaves what follows unread, as Node."""
    from querylang.server.body import parse_body

    def read(sent: bytes, encoding: str = "gzip", limit: int = 10**6) -> dict:
        return parse_body(sent, 110, "application/json", encoding, limit)

    g = gzip.compress
    assert read(g(b'{"title":') + g(b' "a"}')) == {"title": "a"}
    assert read(g(b'{"title": "a"}') + b"\x00\x00junk") == {"title": "a"}
    assert read(zlib.compress(b'{"title": "a"}') + b"junk", "deflate") == {"title": "a"}
    for sent, status, error in (
        (g(b'{"title": "a"}') + b"junk", 400, "incorrect header check"),
        (g(b'{"title": "a"}') + g(b"{}")[:-3], 400, "unexpected end of file"),
        (g(b'{"title": "a"}') + b"\x1f", 400, "unexpected end of file"),
        (g(b'{"title": "' + b"x" * 6000) + g(b"x" * 6000 + b'"}'), 413, "request entity too large"),
    ):
        with pytest.raises(ParseError) as err:
            read(sent, limit=10_000)
        assert (err.value.status, err.value.message) == (status, error), sent[-8:]

"""The data browser at ``/browser``: server-rendered pages over the same database.

Classes with counts → a class's records (paged, sortable, filtered by a filter script) → one
record, where a Pointer links to its record, a Relation has "View relation", and the records
pointing at this one (by Pointer or through a Relation) are one click away.

Signing in: the master key, typed into the login form or given once as ``?masterKey=``, sets
an HttpOnly cookie (:class:`Sessions`: signed with the key, never the key itself) that expires,
and that signing out ends.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import unicodedata
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import querylang
from querylang.app.commands import readable_count
from querylang.app.render import json_text
from querylang.errors import unread_reasons
from querylang.frontends.filters import STRICT_UNDEFINED
from querylang.model.schema import NAME_RE, SYSTEM_CLASSES, suggest
from querylang.script.namespaces import FORBIDDEN_KEYS
from querylang.script.values import num_str

from .body import raw_path, read_body
from .config import ServerConfig
from .errors import ParseError
from .guesses import Guesses, client_address, too_many
from .keys import same_key

PAGE = 50
COOKIE = "querylang_browser"
SORTABLE = {"String", "Number", "Boolean", "Date", "Pointer"}
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(["html"])
)


# Sent with every answer under /browser. The pages hold no script and fetch nothing, so the
# policy allows none (their own <style> aside): markup that slipped into a page could run
# nothing; no other site may frame them (a sign-out button, the records, laid under its own
# page); and a link followed names no page of the browser (its filter script) to another site.
PAGE_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
    (b"x-content-type-options", b"nosniff"),
    # Not no-referrer: with it a form's POST carries "Origin: null", which cross_site() refuses.
    (b"referrer-policy", b"same-origin"),
]


_UNDER_BROWSER = re.compile(r"/browser(/|$)")


class PageHeaders:
    """ASGI middleware of the app: PAGE_HEADERS on every answer under /browser (a page, a
    redirect, starlette's own 405, which its routes raise to the app's exception handler,
    outside the browser's mount)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _UNDER_BROWSER.match(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *PAGE_HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


def cross_site(request: Request, public_url: str | None) -> bool:
    """Whether a form was sent from a page of another site (or another origin of this one, a
    second server on the same host): such a sign-in or sign-out is refused. Browsers say where
    a request comes from in Sec-Fetch-Site; one that does not sends Origin with a form's POST,
    which is then this server's as the request names it or as --public-url does (behind a
    proxy that sends on another Host). A request with neither comes from no browser's page
    (curl, a script), which no other site can make a browser send."""
    fetched = request.headers.get("sec-fetch-site")
    if fetched is not None:
        return fetched not in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return False
    public = urllib.parse.urlsplit(public_url or "")
    return origin not in (f"{request.url.scheme}://{request.url.netloc}", f"{public.scheme}://{public.netloc}")


# A signed-in browser's cookie lasts this long; signing out ends every one issued before.
SESSION_SECONDS = 12 * 3600


def _mac(config: ServerConfig, issued: str) -> str:
    return hmac.new(config.master_key.encode(), f"querylang-browser:{issued}".encode(), hashlib.sha256).hexdigest()


class Sessions:
    """Browser sign-ins: a cookie is the time it was issued and an HMAC of that time under the
    master key (never the key itself). It expires after SESSION_SECONDS, and signing out ends
    every cookie issued until then (a copied cookie too), which needs no list of sessions: one
    master key, one person at the browser. A server starts signed out: the time of the last
    sign-out lives in memory only, so a cookie copied before it was valid again after a restart."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.ended_at = time.time_ns()  # cookies issued at or before it are signed out

    def issue(self, request: Request, resp: Response) -> None:
        issued = str(time.time_ns())
        # Secure when the browser reached us over https (directly, or as --public-url says).
        secure = request.url.scheme == "https" or (self.config.public_url or "").startswith("https:")
        resp.set_cookie(COOKIE, f"{issued}.{_mac(self.config, issued)}", max_age=SESSION_SECONDS, httponly=True,
                        samesite="strict", path="/browser", secure=secure)  # fmt: skip

    def valid(self, cookie: str) -> bool:
        issued, _, mac = cookie.partition(".")
        if not issued.isdigit() or not issued.isascii():
            return False
        if not same_key(mac, _mac(self.config, issued)):
            return False
        at = int(issued)
        return at > self.ended_at and time.time_ns() - at < SESSION_SECONDS * 1_000_000_000

    def end(self) -> None:
        self.ended_at = time.time_ns()


def _js_string(s: str) -> str:
    """A string literal for a filter script (JSON's quoting is valid there), its text as written
    (an id "é" shown as "é" in the script box, not "\\u00e9"); a lone surrogate, which no URL
    can carry, and the line separators stay escapes."""
    return _ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(s, ensure_ascii=False))


_ESCAPED = re.compile(r"[\ud800-\udfff\u2028\u2029]")


def class_url(cls: str, **params: Any) -> str:
    query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"/browser/classes/{urllib.parse.quote(cls)}" + (f"?{query}" if query else "")


# "." and ".." are dot segments, which a browser resolves before asking (%2E too): the record
# "." would be its class page. An escaped NUL after them, which no objectId holds, makes them a
# segment like any other (_segments_after_classes takes it off).
DOT_MARK = "%00"


def record_url(cls: str, oid: str) -> str:
    segment = urllib.parse.quote(oid, safe="")
    return f"/browser/classes/{urllib.parse.quote(cls)}/{segment}{DOT_MARK if oid in ('.', '..') else ''}"


def relation_script(owner: str, oid: str, key: str) -> str:
    return f"where({{ relatedTo: {{ id: {_js_string(oid)}, key: {_js_string(key)}, className: {_js_string(owner)} }} }})"


# A field the record does not hold, told from one it holds as null (``cell``'s ``v``).
MISSING: Any = object()


def cell(f: Any, v: Any, full: bool = False, found: Mapping[str, set[str]] | None = None) -> dict[str, Any]:
    """How one value shows: text, and a link for a Pointer (none for a Pointer to a record that
    ``found``, the ids of each class that are there, does not hold: it is marked instead)."""
    if v is MISSING:
        return {"text": "", "unset": True}  # the record page says so: "" is a value, this is not
    if v is None:
        # An explicit null is a value the record holds, as `querylang show` and `query` print it.
        return {"text": "null", "null": True}
    link: dict[str, Any] = {}
    if f is not None and f.type == "Pointer" and isinstance(v, str):
        there = found is None or v in found.get(f.target, ())
        link = {"href": record_url(f.target, v)} if there else {"dangling": f.target}
    if isinstance(v, dict | list):
        text = json_text(v)  # its numbers as the app shows them too
        if full and (len(text) > 60 or _nests(v)):
            # On the record page a long or nested value takes a line per member, indented (a
            # wrapped single line hid its structure); a short flat one (a GeoPoint) stays a line.
            text = json_text(v, indent=2)
    elif isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, int | float):
        text = num_str(v)  # as the app shows it (JavaScript): 1e-7, not Python's 1e-07
    else:
        text = str(v)
    if not full and len(text) > 60:  # a Pointer's id too: the link keeps the whole id
        text = text[:59] + "…"
    if full and isinstance(v, list):
        # Parse apps keep Pointers in Arrays too (a list of members, say): on the record page
        # each one links to its record, under the array's text.
        pointers = array_pointers(v)
        if pointers:
            link["pointers"] = [
                {"text": f"{cls} {oid}", **({"href": record_url(cls, oid)} if found is None or oid in found.get(cls, ())
                                            else {"dangling": cls})}
                for cls, oid in pointers
            ]
    return {"text": text, **link}


ARRAY_LINKS = 100  # the Pointers of one Array linked on a record page; its text shows them all


def array_pointers(values: list[Any]) -> list[tuple[str, str]]:
    """(class, objectId) of the Pointers inside an Array a record page lists, the first
    ARRAY_LINKS. An Array's members are the data's, unchecked: a className that is no class name
    ("../../parse/classes", "A/b") made a link the browser resolved outside the data browser."""
    out = []
    for v in values:
        if isinstance(v, dict) and v.get("__type") == "Pointer" and isinstance(oid := v.get("objectId"), str):
            name = v.get("className")
            if isinstance(name, str) and (name in SYSTEM_CLASSES or NAME_RE.fullmatch(name) is not None):
                out.append((name, oid))
                if len(out) == ARRAY_LINKS:
                    break
    return out


def _nests(v: dict[str, Any] | list[Any]) -> bool:
    return any(isinstance(m, dict | list) for m in (v.values() if isinstance(v, dict) else v))


def pointed_at(db: querylang.Database, fields: list[Any], records: list[dict[str, Any]], *,
               arrays: bool = False) -> dict[str, set[str]]:
    """The ids the Pointers ``fields`` of ``records`` hold that are there, by class: one read per
    class pointed at (a page's ids, not a read per cell); ``arrays``: the Pointers inside Array
    fields too (a record page lists them). A class that is not there holds none; one that
    cannot be read is taken as holding them all (no mark rather than a wrong one)."""
    wanted: dict[str, set[str]] = {}
    for f in fields:
        if f.type == "Pointer":
            wanted.setdefault(f.target, set()).update(v for r in records if isinstance(v := r.get(f.name), str))
        elif f.type == "Array" and arrays:
            for r in records:
                for cls, oid in array_pointers(r.get(f.name) or []):  # those cell() lists
                    wanted.setdefault(cls, set()).add(oid)
    found: dict[str, set[str]] = {}
    for target, ids in wanted.items():
        if not ids or target not in db.schema.classes:
            found[target] = set()
            continue
        try:
            res = db.find(target, {"objectId": {"$in": sorted(ids)}}, keys=["objectId"], limit=len(ids))
        except querylang.QueryError:
            found[target] = ids
            continue
        found[target] = {r["objectId"] for r in res.records}
    return found


def browser_routes(db: querylang.Database, config: ServerConfig, worker: Any, absent: Callable[[str], bool],
                   guesses: Guesses) -> list[Route]:
    """The browser's pages; ``absent(name)`` says whether a class is not there, with the memory
    of classes found missing the REST routes keep (class_access.ClassAccess.absent); ``guesses``
    counts wrong master keys, with the API's."""
    sessions = Sessions(config)

    def signing_in(request: Request, key: str | None, resp: Response) -> Response | None:
        """``resp`` signed in when ``key`` is the master key, else None, the key counted unless
        empty (a form sent blank: no guess, as the API takes an empty key for none). A cookie is
        no key counted: an HMAC under the key (Sessions) is not to be guessed."""
        if same_key(key, config.master_key):
            sessions.issue(request, resp)
            return resp
        if key:
            guesses.failed(client_address(request.scope))
        return None

    def refused(request: Request) -> Response | None:
        """A 429 page while the address's keys are not checked (guesses.py), else None."""
        wait = guesses.wait(client_address(request.scope))
        if wait is None:
            return None
        return PlainTextResponse(too_many(wait), 429, {"Retry-After": str(wait), "Cache-Control": "no-store"})

    def signed_in(request: Request) -> bool:
        return sessions.valid(request.cookies.get(COOKIE, ""))

    def page(name: str, **ctx: Any) -> HTMLResponse:
        # Never kept by the browser: after signing out, Back must not show the records again
        # from its cache (a shared machine), but ask, and be sent to the sign-in form.
        return HTMLResponse(TEMPLATES.get_template(name).render(**ctx), headers={"Cache-Control": "no-store"})

    async def load(fn: Any, *args: Any) -> Any:
        """``fn(*args)`` on the browser's database thread (not the API's: app.py); a database
        that fails (a PostgreSQL server gone, a table dropped behind querylang's back) is a page
        saying so, not a bare 500."""
        try:
            return await worker.run(fn, *args)
        except querylang.QueryError as exc:
            raise _Failed(str(exc)) from None

    def guard(request: Request) -> Response | None:
        """A redirect to the login form, or to the same page once ``?masterKey=`` signed in.
        The login form is told the page (``next``): a shared link opens once signed in."""
        given = request.query_params.get("masterKey")
        if given is None and signed_in(request):
            return None  # the usual case: nothing to redirect to, so no target is built
        rest = {k: v for k, v in request.query_params.items() if k != "masterKey"}
        target = raw_path(request) + ("?" + urllib.parse.urlencode(rest) if rest else "")
        if given is not None:
            if (r := refused(request) or signing_in(request, given, RedirectResponse(target, 303))) is not None:
                return r
            return RedirectResponse("/browser/login?" + urllib.parse.urlencode({"failed": 1, "next": target}), 303)
        return RedirectResponse("/browser/login?" + urllib.parse.urlencode({"next": target}), 303)

    async def login(request: Request) -> Response:
        if request.method == "POST":
            if cross_site(request, config.public_url):
                return _cross_site("signing in")
            # The API's body limit holds here too: this form is answered before signing in.
            try:
                raw = await read_body(request, config.max_body)
            except ParseError as exc:  # said to a person: with the limit
                return PlainTextResponse(f"{exc.message} (the limit is {config.max_body} bytes)", exc.status)
            form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
            key: str | None = (form.get("masterKey") or [""])[0]
            target = _browser_page((form.get("next") or [""])[0])
        else:
            # "?masterKey=" signs in on any browser URL, the sign-in form's own too.
            q = request.query_params
            key, target = q.get("masterKey"), _browser_page(q.get("next", ""))
            if key is None:
                if not q.get("failed") and signed_in(request):
                    # Back to the form after signing in (it is asked again, as no page is kept):
                    # on to the page it was to open, not a form asking a signed-in browser's key.
                    return RedirectResponse(target, 303)
                return page("login.html", failed=bool(q.get("failed")), next=target)
        if (r := refused(request) or signing_in(request, key, RedirectResponse(target, 303))) is not None:
            return r
        if request.method == "GET":
            # Away from a URL holding the wrong key (often the right one mistyped), as guard
            # sends any other page: it stays in neither the address bar nor the history.
            return RedirectResponse("/browser/login?" + urllib.parse.urlencode({"failed": 1, "next": target}), 303)
        return page("login.html", failed=True, next=target)

    async def logout(request: Request) -> Response:
        # Another site's form is refused: SameSite keeps the cookie from its request, but the
        # answer's Set-Cookie would still delete it from the browser.
        if cross_site(request, config.public_url):
            return _cross_site("signing out")
        if signed_in(request):
            sessions.end()
        resp = RedirectResponse("/browser/login", 303)
        resp.delete_cookie(COOKIE, path="/browser")
        return resp

    async def classes(request: Request) -> Response:
        if (r := guard(request)) is not None:
            return r

        def counts() -> list[dict[str, Any]]:
            db.refresh_schema()  # with the classes other processes made since (docs/postgres.md)
            return [{"name": c, "count": readable_count(db, c), "href": class_url(c)} for c in db.schema.classes]

        classes = await load(counts)
        unread = unread_reasons({c["name"]: c["count"] for c in classes})
        return page("classes.html", title="Classes", classes=classes, unread=unread)

    def table(cls_name: str, script: str, order: str, page_no: int, base: dict[str, Any], heading: str, link: str) -> dict[str, Any]:
        """The records table of one class (runs on the browser's database thread)."""
        ctx: dict[str, Any] = {"title": heading, "cls": cls_name, "script": script, "order": order, "error": None, "notice": None,
                               "caret": None, "rows": [], "count": 0, "page": page_no, "pages": 1, "link": link}
        run: dict[str, Any] = {"sort": [order] if order else None, "limit": PAGE, "skip": page_no * PAGE, "count": True}
        try:
            try:
                # Strict first: the browser gives no inputs, so a condition on Inputs.X would be
                # dropped without a word (as Noodl drops it when the input is not given).
                res = db.query(cls_name, script or None, strict=True, **run)
                run["strict"] = True
            except querylang.QueryError as exc:
                if STRICT_UNDEFINED not in exc.message:
                    raise
                ctx["notice"] = (f"{exc.message.replace(' ' + STRICT_UNDEFINED, '')}: the browser gives no inputs, "
                                 "so such conditions are left out, as Noodl leaves them out when an input is not given")
                res = db.query(cls_name, script or None, **run)
            last = max(0, -(-(res.count or 0) // PAGE) - 1)
            if page_no > last:
                # A page past the end (a shared link to a class that shrank) is the last page.
                page_no = ctx["page"] = last
                if res.count:
                    res = db.query(cls_name, script or None, **{**run, "skip": last * PAGE})
        except querylang.QueryError as exc:
            ctx["error"] = str(exc)
            # The caret is drawn after the line's text before the column, laid out unseen: the
            # page's font draws a wide character (CJK, emoji) in its own width, not in the two
            # cells the caret line of a terminal gives it.
            shown = exc.caret_line()
            ctx["caret"] = {"head": exc.headline(), "line": shown[0], "before": shown[1]} if shown else None
            res = None
        # The columns after the query: its rows may have brought word of a field another
        # process added (docs/postgres.md, "Many writers"), which its records then hold.
        cls = db.schema.get(cls_name)
        fields = [f for f in cls.fields.values() if f.type != "Relation" and f.name not in ("createdAt", "updatedAt")]
        fields += [cls.fields["createdAt"], cls.fields["updatedAt"]]
        ctx["columns"] = [
            {"name": f.name, "label": f.name + (f" → {f.target}" if f.type == "Pointer" else ""),
             "href": link_to(link, base, order=("-" + f.name) if order == f.name else f.name, page=None)
             if f.type in SORTABLE else None,
             "arrow": "▲" if order == f.name else "▼" if order == "-" + f.name else ""}
            for f in fields
        ]
        if res is not None:
            ctx["count"] = res.count or 0
            ctx["pages"] = max(1, -(-ctx["count"] // PAGE))
            found = pointed_at(db, fields, res.records)
            ctx["rows"] = [
                {"href": record_url(cls_name, r["objectId"]),
                 "cells": [cell(f, r.get(f.name, MISSING), found=found) for f in fields]}
                for r in res.records
            ]
        # The Run form carries a column's order along: this link gives the sort back to the script.
        ctx["unsort"] = link_to(link, base, order=None, page=None) if order else None
        ctx["prev"] = link_to(link, base, page=(page_no - 1) or None) if page_no > 0 else None
        ctx["next"] = link_to(link, base, page=page_no + 1) if page_no + 1 < ctx["pages"] else None
        return ctx

    async def known(name: str) -> bool:
        """Whether class ``name`` is there, the stored schema read again when this process does
        not know it: another process may have made it since (docs/postgres.md, "Many writers").
        A class found missing is taken as missing for a while without reading it again, as the
        REST routes take it: a page asked for over and over (a reload, a bookmark of a class
        since dropped) cost a read of the stored schema each time."""
        return name in db.schema.classes or not await load(absent, name)

    def link_to(link: str, base: dict[str, Any], **changes: Any) -> str:
        params = {**base, **changes}
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return link + (f"?{query}" if query else "")

    def paging(request: Request) -> tuple[str, str, int]:
        q = request.query_params
        given = q.get("page", "0")
        # ASCII digits only: int() reads any Unicode digit ("٣" as 3), a sign, "_" and spaces.
        page_no = int(given) if given.isascii() and given.isdigit() else 0
        return q.get("script", ""), q.get("order", ""), page_no

    async def records(request: Request, cls_name: str) -> Response:
        if (r := guard(request)) is not None:
            return r
        if not await known(cls_name):
            return no_class(cls_name)
        script, order, page_no = paging(request)
        link = class_url(cls_name)
        ctx = await load(table, cls_name, script, order, page_no, {"script": script, "order": order}, cls_name, link)
        return page("records.html", **ctx)

    async def below_class(request: Request) -> Response:
        """A record page or a relation page (or a class's, after a trailing slash), told apart by the raw path's segments: routing
        reads the decoded path, where an objectId holding ``/`` would span two segments."""
        match _segments_after_classes(request):
            case [cls_name]:  # a slash after the class's name, as the API takes it too
                return await records(request, cls_name)
            case [cls_name, oid] | [cls_name, oid, "relation", _] if "\x00" in oid:
                # No record can have it (the library refuses NUL in a string): not found,
                # rather than a database error page.
                if (r := guard(request)) is not None:
                    return r
                return _missing(page, f"{cls_name} {_isolated(oid)}")
            case [cls_name, oid]:
                return await record(request, cls_name, oid)
            case [owner, oid, "relation", key]:
                return await relation(request, owner, oid, key)
        if (r := guard(request)) is not None:
            return r
        return _missing(page, request.url.path)

    def no_class(name: str) -> Response:
        hint = suggest(name, db.schema.classes)  # a name typed or edited in the URL: /browser/classes/post
        return _missing(page, f"class {_isolated(name)}" + (f" ({hint})" if hint else ""))

    async def relation(request: Request, owner: str, oid: str, key: str) -> Response:
        if (r := guard(request)) is not None:
            return r
        if not await known(owner):
            return no_class(owner)
        f = db.schema.classes[owner].fields.get(key)
        if f is None or f.type != "Relation":
            relations = [g.name for g in db.schema.classes[owner].fields.values() if g.type == "Relation"]
            hint = suggest(key, relations)
            return _missing(page, f"Relation {owner}.{_isolated(key)}" + (f" ({hint})" if hint else ""))
        # A record that is not there holds nothing: a page of "0 records" would say it does.
        if not await load(lambda: db.find(owner, {"objectId": oid}, limit=1).records):
            return _missing(page, f"{owner} {_isolated(oid)}")
        _, order, page_no = paging(request)
        heading = f"{owner} {_isolated(oid)} · {key} → {f.target}"
        link = f"{record_url(owner, oid)}/relation/{urllib.parse.quote(key)}"
        ctx = await load(table, f.target, relation_script(owner, oid, key), order, page_no, {"order": order}, heading, link)
        ctx["back"] = record_url(owner, oid)
        return page("records.html", **ctx)

    async def record(request: Request, cls_name: str, oid: str) -> Response:
        if (r := guard(request)) is not None:
            return r
        if not await known(cls_name):
            return no_class(cls_name)

        def fields() -> dict[str, Any] | None:
            found = db.find(cls_name, {"objectId": oid}, limit=1).records
            if not found:
                return None
            rec, cls = found[0], db.schema.get(cls_name)
            there = pointed_at(db, list(cls.fields.values()), [rec], arrays=True)
            rows = []
            for f in cls.fields.values():
                row: dict[str, Any] = {"name": f.name, "type": f.type + (f" → {f.target}" if f.target else "")}
                if f.type == "Relation":
                    n = readable_count(db, f.target or "", relation_script(cls_name, oid, f.name))
                    row["relation"] = {"href": f"{record_url(cls_name, oid)}/relation/{urllib.parse.quote(f.name)}", "count": n}
                else:
                    row["value"] = cell(f, rec.get(f.name, MISSING), full=True, found=there)
                rows.append(row)
            # The inverse: records of any class whose Pointer or Relation names this one.
            inverse = []
            for other in db.schema.classes.values():
                for f in other.user_fields:
                    if f.target != cls_name or f.type not in ("Pointer", "Relation"):
                        continue
                    script = f"where({{ {f.name}: {{ pointsTo: {_js_string(oid)} }} }})"
                    how = "Relation" if f.type == "Relation" else "Pointer"
                    # Counted by a filter object: a field named `prototype` or `constructor` is
                    # one no script may name, and its script would fail the whole page. Such a
                    # field gets no link (the class page takes scripts only).
                    inverse.append({"label": f"{other.name} whose {how} {f.name} holds this" if how == "Relation"
                                    else f"{other.name} whose Pointer {f.name} points here",
                                    "count": readable_count(db, other.name, {f.name: {"pointsTo": oid}}),
                                    "href": None if f.name in FORBIDDEN_KEYS else class_url(other.name, script=script)})
            return {"title": f"{cls_name} {_isolated(oid)}", "cls": cls_name, "oid": oid, "rows": rows, "inverse": inverse,
                    "back": class_url(cls_name)}

        ctx = await load(fields)
        if ctx is None:
            return _missing(page, f"{cls_name} {_isolated(oid)}")
        return page("record.html", **ctx)

    async def elsewhere(request: Request) -> Response:
        if (r := guard(request)) is not None:
            return r
        return _missing(page, raw_path(request))

    def shown(endpoint: Any) -> Any:
        async def answer(request: Request) -> Response:
            try:
                return await endpoint(request)  # type: ignore[no-any-return]
            except _Failed as exc:
                resp = page("failed.html", title="Database error", error=exc.message)
                resp.status_code = 500
                return resp

        return answer

    return [
        Route("/", shown(classes)),
        # A class page's URL trimmed back to its parent: the list of classes.
        Route("/classes", shown(classes)),
        Route("/classes/", shown(classes)),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/classes/{cls}", shown(lambda request: records(request, request.path_params["cls"]))),
        Route("/classes/{cls}/{rest:path}", shown(below_class)),
        # Any other URL (mistyped, or cut short) is the browser's "Not found" page, not a bare text.
        Route("/{path:path}", shown(elsewhere)),
    ]


class _Failed(Exception):
    """The database failed while a page was made (browser_routes' ``load``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _cross_site(what: str) -> Response:
    return PlainTextResponse(f"{what} refused: the form was sent from another site (open this server's "
                             "/browser/login to sign in, and sign out from its pages)", 403)


# The characters that direct the text after them (UAX #9): embeddings and overrides (closed by
# PDF), isolates (closed by PDI).
_EMBEDDINGS, _ISOLATES, _PDF, _PDI = "\u202a\u202b\u202d\u202e", "\u2066\u2067\u2068", "\u202c", "\u2069"


def _isolated(text: str) -> str:
    """``text`` (an objectId, a name from the URL) as it sits among other words in a title or a
    sentence, where a right-to-left override in it (U+202E) turned the words after it around:
    isolated (FSI … PDI) when it holds right-to-left text or such characters, each embedding or
    isolate it leaves open closed, and a PDI that closes none of its own dropped, which would
    close the isolate around it. Other text is as it was."""
    if not any(unicodedata.bidirectional(ch) in ("R", "AL", "LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI")
               for ch in text):
        return text
    kept, opened = [], []
    for ch in text:
        if ch in _EMBEDDINGS or ch in _ISOLATES:
            opened.append(ch)
        elif ch == _PDF and opened and opened[-1] in _EMBEDDINGS:
            opened.pop()
        elif ch == _PDI:
            if not any(o in _ISOLATES for o in opened):
                continue
            while opened.pop() not in _ISOLATES:  # a PDI closes the embeddings inside its isolate
                pass
        kept.append(ch)
    closers = "".join(_PDI if o in _ISOLATES else _PDF for o in reversed(opened))
    return "\u2068" + "".join(kept) + closers + _PDI


def _browser_page(target: str) -> str:
    """``target`` when it is a page of the browser, else the browser's first page: the login
    form's ``next`` never leads to another site (``//host``) or out of the browser."""
    return target if target.startswith("/browser/") else "/browser/"


def _segments_after_classes(request: Request) -> list[str]:
    """The segments of the request's raw path after ``/classes/``, each percent-decoded alone."""
    segments = [s for s in raw_path(request).split("/") if s]
    if "classes" not in segments:
        return []
    decoded = [urllib.parse.unquote(s) for s in segments[segments.index("classes") + 1:]]
    return [s[:-1] if s in (".\x00", "..\x00") else s for s in decoded]  # record_url's DOT_MARK


def _missing(page: Any, what: str) -> Response:
    resp: Response = page("missing.html", title="Not found", what=what)
    resp.status_code = 404
    return resp

"""A live Parse Server → querylang, over its REST API with the master key.

- Schema: ``GET /schemas``.
- Records: each class in pages ordered by objectId, the next page asked for with
  ``objectId > last``. A server with ``maxLimit`` answers a smaller page than asked without
  saying so, so only an empty page ends a class.
- Relation edges: read from Parse's join classes ``_Join:<key>:<Class>`` (master key only).
  ``$relatedTo`` per owner would hide edges whose target was deleted; the join class holds
  them. Parse gives a join class no order and no count, so edges are read per range of owner
  ids (the ids of one page of owners), and a range whose answer may be cut short by the
  server's limit is split until it is not (a single owner with more edges than the limit is
  read in ``skip`` pages).
- Config (a whole import only): ``GET /config`` with the master key, as the class
  ``Parse_GlobalConfig`` (model/parse_types.py) when the server holds a parameter.
- Pages go to a staging directory as they arrive (memory: one page); the database is loaded
  once everything is read, so a failure anywhere leaves it as it was.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from querylang.model.jsvalues import described, type_name
from querylang.model.parse_types import (
    BUILTIN,
    CONFIG_CLASS,
    CONFIG_FIELDS,
    CONFIG_RECORD,
    SYSTEM_CLASSES,
    Target,
    check_parse_field,
    detect_target,
    edge,
    interchange_fields,
    permissions_note,
    rest_record,
)

from ..engines.postgres.passwords import hide_password
from ..errors import DataError
from . import jsontext
from .interchange import Destination, ImportReport, Staging, kept_when_pressed

PAGE = 1000  # records per request (Parse's default maxLimit is none; a smaller one is fine)
EDGE_PAGE = 1000
TIMEOUT = 120.0  # seconds one request may take
# Parse classes that are never worth a copy (push and job bookkeeping, idempotency); the config
# (_GlobalConfig) is read through /config instead (_stage_config).
SKIP_CLASSES = {"_PushStatus", "_JobStatus", "_JobSchedule", "_Hooks", "_GlobalConfig", "_GraphQLConfig", "_Audience", "_Idempotency"}

# progress(step, done so far, total or None): "reading <Class>" with records, then "loading".
Progress = Callable[[str, int, int | None], None]


def check_keys(app_id: object, master_key: object) -> None:
    """Refuse an empty application id or master key before anything is sent, as serve refuses
    them: sent, the server answered "unauthorized" after a round trip, and no Parse Server starts
    without either. The command line and the library say it alike."""
    for name, key in (("app_id", app_id), ("master_key", master_key)):
        if not isinstance(key, str):  # only the library can give one: 5 was said to be "empty"
            raise DataError(f"{name} must be a string, not {type_name(key)}")
    if not isinstance(app_id, str) or not app_id.strip():
        raise DataError("--app-id is empty: give the application id the Parse Server was started with")
    if not isinstance(master_key, str) or not master_key:
        raise DataError("--master-key is empty: give the master key the Parse Server was started with")
    for option, key in (("--app-id", app_id), ("--master-key", master_key)):
        # Sent as HTTP headers, which carry no control character and nothing beyond Latin-1:
        # http.client refused such a key with its own ValueError (an internal error). A key
        # file with Windows line ends leaves a \r at the end of `$(cat key.txt)`. The key itself
        # is never shown.
        bad = next((i for i, c in enumerate(key) if ord(c) < 32 or 127 <= ord(c) < 160 or ord(c) > 255), None)
        if bad is not None:
            raise DataError(f"{option} holds {key[bad]!r} (character {bad + 1}), which no HTTP header carries: "
                            "give the key as the Parse Server was started with it (a key read from a file: "
                            "without its line end)")


class ParseClient:
    """Requests to one Parse Server with the master key, over one kept-alive connection."""

    def __init__(self, url: str, app_id: str, master_key: str, timeout: float = TIMEOUT) -> None:
        if not isinstance(url, str):  # else Python's TypeError from the masking below
            raise DataError(f"not a Parse Server URL: {described(url)} (expected e.g. http://localhost:1337/parse)")
        # Messages name the URL with any password in it masked (a proxy's userinfo would
        # otherwise end up in a terminal's scrollback or a CI log).
        shown = hide_password(url)
        try:
            parts = urllib.parse.urlsplit(url.rstrip("/"))
            port = parts.port  # urllib checks the port (a number, at most 65535) only when asked
        except ValueError as exc:  # an unclosed IPv6 bracket, a port that is not a number
            raise DataError(f"not a Parse Server URL: {shown!r}: {exc} (expected e.g. http://localhost:1337/parse)") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DataError(f"not a Parse Server URL: {shown!r} (expected e.g. http://localhost:1337/parse)")
        self.url = shown.rstrip("/")
        # http.client sends ASCII alone: a mount path beyond it (/parsé) goes as a browser sends it.
        self.base = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=~")
        self.host, self.port, self.https = parts.hostname, port, parts.scheme == "https"
        self.headers = {"X-Parse-Application-Id": app_id, "X-Parse-Master-Key": master_key, "Accept": "application/json"}
        self.timeout = timeout
        self.con: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self.con is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self.con = cls(self.host, self.port, timeout=self.timeout)
        return self.con

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` (under the mount path) → the JSON answer; any failure is a DataError."""
        query = "?" + urllib.parse.urlencode(params) if params else ""
        target = self.base + path + query
        for attempt in (1, 2):
            con = self._connect()
            try:
                con.request("GET", target, headers=self.headers)
                resp = con.getresponse()
                body = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the server closed while idle: one fresh try.
                self.close()
                if attempt == 2:
                    raise DataError(f"Parse Server at {self.url} closed the connection ({path}): {exc}") from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise DataError(f"cannot reach Parse Server at {self.url} ({path}): {exc}") from None
        try:
            out = jsontext.loads(body, f"Parse Server at {self.url} ({path})") if body else None
        except ValueError:
            out = None
        if resp.status >= 400 or not isinstance(out, dict):
            raise DataError(self._refusal(path, resp.status, out, body))
        return out

    def _refusal(self, path: str, status: int, out: Any, body: bytes) -> str:
        said = out.get("error") if isinstance(out, dict) else body[:200].decode("utf-8", "replace").strip()
        if status in (401, 403):
            # Since Parse Server 6 a master key is honoured only from the addresses in the
            # server's masterKeyIps (localhost by default): a right key can still be refused.
            hint = "check the application id and the master key, and that the server's masterKeyIps admits this machine"
        elif status == 404:
            hint = "no Parse Server there: check the URL and its mount path, e.g. http://localhost:1337/parse"
        elif status < 400:
            hint = "not a Parse Server answer"
        else:
            hint = "the server refused the request"
        return f"Parse Server at {self.url}: GET {path} answered HTTP {status}: {said!r} ({hint})"


def import_parse_server(
    db: Destination,
    url: str,
    *,
    app_id: str,
    master_key: str,
    classes: Sequence[str] | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE,
    target: Target | None = None,
) -> ImportReport:
    """Import the classes of a Parse Server (all of them, or ``classes``) into ``db``, all or nothing."""
    check_keys(app_id, master_key)
    if classes is not None and (isinstance(classes, str) or not isinstance(classes, Sequence)
                                or not all(isinstance(c, str) for c in classes)):
        # "Post" was read as the classes P, o, s, t; 5 or [5] were Python's TypeError.
        raise DataError(f"classes must be a list of class names, not {described(classes, 60)}")
    if progress is not None and not callable(progress):  # else Python's TypeError once the first class was read
        raise DataError(f"progress must be a function (step, done, total), not {type(progress).__name__}")
    return kept_when_pressed(lambda: _import(db, url, app_id, master_key, classes, progress, page_size, target))


def _import(db: Destination, url: str, app_id: str, master_key: str, classes: Sequence[str] | None,
            progress: Progress | None, page_size: int, target: Target | None) -> ImportReport:
    target = target or detect_target()
    client = ParseClient(url, app_id, master_key)
    report = ImportReport()
    try:
        with Staging() as staging:
            stage_parse_server(client, staging, target, report, classes=classes, progress=progress, page_size=page_size)
            if progress:
                progress("loading (all or nothing)", 0, None)
            staging.load(db, report)
            if progress:
                progress("loading (all or nothing)", 1, 1)
            return report
    finally:
        client.close()


def read_schemas(client: ParseClient, permissions: dict[str, Any] | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """``{class: {field: spec}}`` from ``GET /schemas`` (needs the master key); ``permissions``
    gets each class's classLevelPermissions."""
    out = client.get("/schemas")
    results = out.get("results")
    if not isinstance(results, list):
        raise DataError(f"Parse Server at {client.url}: /schemas did not list classes")
    if not results:
        # A Parse Server always lists its own classes (_User, _Role); an empty list is what a
        # URL past the mount path gets (…/parse/classes/schemas queries a class 'schemas').
        raise DataError(
            f"Parse Server at {client.url}: /schemas listed no classes (not even _User); "
            "give the server's mount path, such as http://host:1337/parse"
        )
    schemas: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in results:
        name, fields = entry.get("className"), entry.get("fields")
        if not isinstance(name, str) or not isinstance(fields, dict):
            raise DataError(f"Parse Server at {client.url}: /schemas lists a class without className/fields")
        for key, spec in fields.items():
            check_parse_field(name, key, spec)
        schemas[name] = fields
        if permissions is not None:
            permissions[name] = entry.get("classLevelPermissions")
    return schemas


def stage_parse_server(
    client: ParseClient,
    staging: Staging,
    target: Target,
    report: ImportReport,
    *,
    classes: Sequence[str] | None = None,
    progress: Progress | None = None,
    page_size: int = PAGE,
) -> None:
    """Schema, records and edges of the server, written to ``staging``."""
    permissions: dict[str, Any] = {}
    schemas = read_schemas(client, permissions)
    # A class named twice is read once (it would be read twice: every record a duplicate).
    wanted = [c for c in schemas if c not in SKIP_CLASSES] if classes is None else list(dict.fromkeys(classes))
    if classes is None:
        # _Product (in-app purchases, in apps migrated from parse.com): a class of Parse's own
        # querylang has no name for refused the whole import. Left out, said.
        for name in [c for c in wanted if c.startswith("_") and c not in SYSTEM_CLASSES]:
            wanted.remove(name)
            report.notes.append(f"Parse's own class {name} left out: only {', '.join(SYSTEM_CLASSES)} are imported")
    unknown = [c for c in wanted if c not in schemas]
    if unknown:
        raise DataError(f"Parse Server at {client.url} has no class {', '.join(unknown)} (it has {', '.join(schemas)})")
    emitted = {}
    for name in wanted:
        emitted[name] = interchange_fields(name, schemas[name], target, report.notes)
        permissions_note(name, permissions.get(name), report.notes)
        # A type clash with a class the database holds names where the type came from.
        staging.define(target.class_name(name), emitted[name], f"Parse Server at {client.url} (GET /schemas)")
    # A class a selected one points to is defined, empty and without fields, so that the
    # pointers stay valid without pulling in what that class points to in turn.
    for name in wanted:
        for spec in schemas[name].values():
            tc = spec.get("targetClass")
            if tc is not None and tc not in wanted and target.class_name(tc) not in staging.classes:
                staging.define_empty(target.class_name(tc),
                                     f"class {tc} defined empty ({name} points to it; not among the classes imported)")
    for name in wanted:
        fields = schemas[name]
        relations = [(k, s["targetClass"]) for k, s in fields.items() if s.get("type") == "Relation" and k in emitted[name]]
        total = _count(client, name)
        done = 0
        if progress:
            progress(f"reading {name}", 0, total)
        last: str | None = None
        unlisted: dict[str, int] = {}  # keys of records that /schemas does not list → records holding one
        while True:
            page = _page(client, name, last, page_size)
            if not page:
                break  # only an empty page ends a class (maxLimit shortens pages silently)
            for rec in page:
                for key in (rec.keys() - fields.keys()).difference(BUILTIN):
                    unlisted[key] = unlisted.get(key, 0) + 1
                staging.record(target.class_name(name), rest_record(name, rec, fields, target, emitted[name]))
            ids = [r["objectId"] for r in page]
            if last is not None and last in ids:
                # A page after `last` that holds it again: the server ignored the condition
                # (a proxy or a server that drops `where`), and the loop would never end.
                raise DataError(f"Parse Server at {client.url}: /classes/{name} answered records already read "
                                f"(objectId {last!r}) when asked for those after it: it ignores where, so its "
                                "records cannot be read page by page")
            for key, target_class in relations:
                for owning, related in _edges(client, name, key, last, ids[-1], ids, page_size):
                    staging.relation(edge(name, owning, key, target_class, related, target))
            staging.flush()
            last = ids[-1]
            done += len(page)
            if progress:
                progress(f"reading {name}", done, total)
        # Edges whose owner id sorts after the last record (owners deleted since): read too.
        for key, target_class in relations:
            for owning, related in _edges(client, name, key, last, None, [], page_size):
                staging.relation(edge(name, owning, key, target_class, related, target))
        staging.done_with(target.class_name(name))
        for key, n in sorted(unlisted.items()):
            # Parse Server on MongoDB answers every key of a document, one written past Parse
            # too; querylang's schema has no field for it: was dropped without a word.
            report.notes.append(f"{name}: key {key} left out of {n} record(s) (not a field in /schemas)")
    if classes is None:
        _stage_config(client, staging)


def _stage_config(client: ParseClient, staging: Staging) -> None:
    """Parse's config (``GET /config`` with the master key: every parameter and its mark), as
    the class querylang serve's ``/config`` answers from, when the server holds a parameter."""
    out = client.get("/config")
    params, flags = out.get("params"), out.get("masterKeyOnly")
    if not isinstance(params, dict) or (flags is not None and not isinstance(flags, dict)):
        raise DataError(f"Parse Server at {client.url}: /config did not answer params and masterKeyOnly as objects")
    if not params:
        return
    staging.define(CONFIG_CLASS, CONFIG_FIELDS, f"Parse Server at {client.url} (GET /config)")
    staging.record(CONFIG_CLASS, {"objectId": CONFIG_RECORD, "params": params, "masterKeyOnly": flags})
    staging.done_with(CONFIG_CLASS)


def _count(client: ParseClient, name: str) -> int | None:
    # An empty where gives PostgreSQL's estimate; any condition makes it count(*).
    out = client.get(f"/classes/{_quote(name)}", {"count": 1, "limit": 0, "where": json.dumps({"objectId": {"$exists": True}})})
    n = out.get("count")
    return n if isinstance(n, int) else None


def _page(client: ParseClient, name: str, after: str | None, limit: int) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"order": "objectId", "limit": limit}
    if after is not None:
        params["where"] = json.dumps({"objectId": {"$gt": after}})
    results = client.get(f"/classes/{_quote(name)}", params).get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) and isinstance(r.get("objectId"), str) for r in results):
        raise DataError(f"Parse Server at {client.url}: /classes/{name} did not answer a list of records")
    return results


def _edges(
    client: ParseClient, owner: str, key: str, low: str | None, high: str | None, owners: list[str], limit: int
) -> list[tuple[str, str]]:
    """The edges of join class ``_Join:key:owner`` whose owningId is in (low, high].

    ``owners`` are the live owner ids in that range, in the server's order: where to split a
    range whose answer may have been cut short.
    """
    where: dict[str, Any] = {}
    if low is not None:
        where["$gt"] = low
    if high is not None:
        where["$lte"] = high
    cond = {"owningId": where} if where else {}
    first = _join_page(client, owner, key, cond, 0, limit)
    if not first:
        return []
    # A second page tells whether the server cut the first one short (its maxLimit is unknown).
    if not _join_page(client, owner, key, cond, len(first), limit):
        return first
    if len(owners) >= 2:
        mid = len(owners) // 2
        return _edges(client, owner, key, low, owners[mid - 1], owners[:mid], limit) + _edges(
            client, owner, key, owners[mid - 1], high, owners[mid:], limit
        )
    # One owner (or only deleted ones) with more edges than the server's limit: skip pages,
    # de-duplicated. Parse orders nothing on a join class; the table is not written meanwhile.
    seen = dict.fromkeys(first)
    skip = len(first)
    while page := _join_page(client, owner, key, cond, skip, limit):
        seen.update(dict.fromkeys(page))
        skip += len(page)
    return list(seen)


def _join_page(
    client: ParseClient, owner: str, key: str, cond: Mapping[str, Any], skip: int, limit: int
) -> list[tuple[str, str]]:
    params: dict[str, Any] = {"limit": limit, "skip": skip}
    if cond:
        params["where"] = json.dumps(cond)
    results = client.get(f"/classes/{_quote(f'_Join:{key}:{owner}')}", params).get("results")
    if not isinstance(results, list):
        raise DataError(f"Parse Server at {client.url}: the edges of {owner}.{key} did not come as a list")
    out = []
    for r in results:
        if not isinstance(r, dict) or not isinstance(r.get("owningId"), str) or not isinstance(r.get("relatedId"), str):
            raise DataError(f"Parse Server at {client.url}: an edge of {owner}.{key} without owningId/relatedId")
        out.append((r["owningId"], r["relatedId"]))
    return out


def _quote(name: str) -> str:
    return urllib.parse.quote(name, safe="_:")


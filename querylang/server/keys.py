"""Who is asking: the application id and the master or client (REST) key of a request.

Keys come from the ``X-Parse-*`` headers or, as the JS SDK sends them, from ``_ApplicationId``,
``_MasterKey`` and ``_JavaScriptKey`` in the body (read when the headers do not name the app),
or from HTTP Basic credentials. Every request needs the app id (else Parse's 403
``{"error": "unauthorized"}``). A wrong master key is no key, as Parse Server 9 reads it: the
request is a client's, and needs the client key when ``--rest-key`` is set.
"""

from __future__ import annotations

import binascii
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from querylang.script.values import truthy

from .config import ServerConfig
from .errors import INVALID_JSON, OPERATION_FORBIDDEN, ParseError, Unauthorized

# The SDK fields Parse Server takes out of a body that names the app (_ApplicationId): always
# these, and the others only when they are set (true as JavaScript reads it), each of which
# must then be text. Unset, or in a request whose headers name the app, they stay in the body
# (a write names them as fields, a find as parameters), as Parse leaves them.
SDK_FIELDS = ("_ApplicationId", "_JavaScriptKey", "_ClientVersion")
SDK_TEXT_FIELDS = ("_InstallationId", "_SessionToken", "_MasterKey", "_ContentType")
CLIENT_KEY_HEADERS = ("x-parse-rest-api-key", "x-parse-client-key")
JS_KEY_HEADER = "x-parse-javascript-key"


@dataclass(frozen=True)
class Access:
    """What a request may do: everything (master key) or what clients may; ``wrong_key``: it
    gave a master key that is not the master key (which guesses.py counts)."""

    master: bool
    can_write: bool
    wrong_key: bool = False


# The headers Node.js keeps the first of when a request sends one twice (of those read here:
# the key headers, the body's Content-Type and Content-Encoding); any other sent twice is its
# values joined by ", ", as Parse Server is handed it (Content-Encoding "gzip, gzip", then 415).
FIRST_ONLY = frozenset({"authorization", "content-type"})


def as_node_reads(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A request's headers (lower-case names, in the order sent) as Node.js hands them to
    Parse: ``X-Parse-Master-Key`` sent twice is one value, "right, wrong", which is no key,
    where the first of them alone would be the master key."""
    out: dict[str, str] = {}
    for name, value in pairs:
        if name not in out:
            out[name] = value
        elif name not in FIRST_ONLY:
            out[name] += ", " + value
    return out


def same_key(given: object, expected: str) -> bool:
    """``given`` is the key ``expected``, compared in constant time (as bytes: compare_digest
    refuses str holding non-ASCII characters, and what a client sends is any text)."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def authenticate(config: ServerConfig, headers: Mapping[str, str], body: dict[str, Any]) -> Access:
    """Check the keys of a request as Parse Server reads them: from the headers when
    ``X-Parse-Application-Id`` names this app; else from the SDK fields of the body, which must
    name it (and are taken out of the body: SDK_FIELDS)."""
    body.pop("_noBody", None)  # what the Unity SDK adds; Parse drops it from every body
    app_id, master_key, js_key = (headers.get(h) for h in ("x-parse-application-id", "x-parse-master-key", JS_KEY_HEADER))
    basic = _basic_auth(headers.get("authorization"))
    if basic is not None and same_key(basic[0], config.app_id):
        app_id, master_key, js_key = basic[0], basic[1] or master_key, basic[2] or js_key
    if not same_key(app_id, config.app_id):
        body.pop("_RevocableSession", None)
        # Parse reads the body's keys only when the header's master key is none (or empty) or
        # the right one.
        if not same_key(body.get("_ApplicationId"), config.app_id) or (
            master_key and not same_key(master_key, config.master_key)
        ):
            # A guess when it named an app or a master key; a request naming neither (the
            # API's URL opened in a browser's address bar) guessed nothing.
            sent = (app_id, basic and basic[0], body.get("_ApplicationId"), master_key)
            raise Unauthorized(wrong_key=any(truthy(k) for k in sent))
        sdk = {k: body.pop(k) for k in SDK_FIELDS if k in body}
        js_key = sdk.get("_JavaScriptKey") or ""
        for key in SDK_TEXT_FIELDS:
            if truthy(body.get(key)):
                if not isinstance(body[key], str):
                    raise Unauthorized(wrong_key=key == "_MasterKey")
                sdk[key] = body.pop(key)
        if truthy(body.get("_context")):
            _check_context(body.pop("_context"))
        # A right master key in the header stands, whatever the body's says (Parse checks the
        # header's first).
        if not same_key(master_key, config.master_key):
            master_key = sdk.get("_MasterKey", master_key)
    if same_key(master_key, config.master_key):
        return Access(master=True, can_write=True)
    client_keys = [*(headers.get(h) for h in CLIENT_KEY_HEADERS), js_key]
    if config.rest_key is not None and not any(same_key(k, config.rest_key) for k in client_keys):
        # A wrong master key sent without the client key is a guess at it too.
        raise Unauthorized(wrong_key=bool(master_key) or any(client_keys))
    return Access(master=False, can_write=config.allow_client_writes, wrong_key=bool(master_key))


def _basic_auth(header: str | None) -> tuple[str, str | None, str | None] | None:
    """HTTP Basic credentials as Parse Server reads them: ``appId:masterKey`` or
    ``appId:javascript-key=KEY`` (the app id, the master key, the JavaScript key)."""
    if header is None or not header.lower().startswith("basic "):
        return None
    try:
        decoded = binascii.a2b_base64(header[6:].strip() + "==").decode("utf-8", "replace")
    except binascii.Error:
        return None
    parts = decoded.split(":")
    if len(parts) != 2:
        return None
    app_id, key = parts
    if key.startswith("javascript-key="):
        return app_id, None, key[len("javascript-key="):]
    return app_id, key, None


def _check_context(context: Any) -> None:
    """The JS SDK's ``_context`` (what Cloud Code triggers are given, unused here): an object,
    or JSON text of one, else Parse's 107 "Invalid object for context."."""
    if isinstance(context, str):
        try:
            context = orjson.loads(context)
        except orjson.JSONDecodeError:
            context = None
    if not isinstance(context, dict):
        raise ParseError(INVALID_JSON, "Invalid object for context.")


# Parse Server 9's answer to a master-key route called without it (its enableSanitizedErrorResponse,
# on by default, puts this in place of "unauthorized: master key is required").
PERMISSION_DENIED = "Permission denied"


def require_master(access: Access) -> None:
    if not access.master:
        raise Unauthorized(PERMISSION_DENIED)


def require_write(access: Access, action: str, class_name: str) -> None:
    """A client's create, update or delete without ``--allow-client-writes``: what Parse Server
    answers a write its class-level permissions deny (the ones /schemas shows), 119 with status
    400, in the words Parse says it with its sanitized errors off (on, it says "Permission
    denied")."""
    if not access.can_write:
        raise ParseError(OPERATION_FORBIDDEN, f"Permission denied for action {action} on class {class_name}.")

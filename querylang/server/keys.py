"""Who is asking: the application id and the master or client (REST) key of a request.

Keys come from the ``X-Parse-*`` headers or, as the JS SDK sends them, from ``_ApplicationId``,
``_MasterKey`` and ``_JavaScriptKey`` in the body. Every request needs the app id; a wrong key
of any kind is refused outright (Parse's 403 ``{"error": "unauthorized"}``) rather than
silently downgraded, so a misconfigured client finds out at once.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import ServerConfig
from .errors import OPERATION_FORBIDDEN, ParseError, Unauthorized

# Body fields the SDKs add next to the real parameters; consumed here, never seen by handlers.
SDK_FIELDS = (
    "_ApplicationId", "_JavaScriptKey", "_MasterKey", "_ClientVersion", "_InstallationId",
    "_SessionToken", "_RevocableSession", "_context", "_ContentType", "_method",
)
CLIENT_KEY_HEADERS = ("x-parse-rest-api-key", "x-parse-javascript-key", "x-parse-client-key")


@dataclass(frozen=True)
class Access:
    """What a request may do: everything (master key) or what clients may."""

    master: bool
    can_write: bool


def same_key(given: object, expected: str) -> bool:
    """``given`` is the key ``expected``, compared in constant time (as bytes: compare_digest
    refuses str holding non-ASCII characters, and what a client sends is any text)."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def authenticate(config: ServerConfig, headers: Mapping[str, str], body: dict[str, Any]) -> Access:
    """Check the keys of a request (and drop the SDK fields from ``body``)."""
    sdk = {k: body.pop(k) for k in SDK_FIELDS if k in body}
    app_id = headers.get("x-parse-application-id", sdk.get("_ApplicationId"))
    if not same_key(app_id, config.app_id):
        raise Unauthorized()
    master_key = headers.get("x-parse-master-key", sdk.get("_MasterKey"))
    if master_key is not None:
        if not same_key(master_key, config.master_key):
            raise Unauthorized()
        return Access(master=True, can_write=True)
    client_key = next((headers[h] for h in CLIENT_KEY_HEADERS if h in headers), sdk.get("_JavaScriptKey"))
    if config.rest_key is not None and not same_key(client_key, config.rest_key):
        raise Unauthorized()
    return Access(master=False, can_write=config.allow_client_writes)


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

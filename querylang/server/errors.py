"""Parse's error bodies: ``{"code": .., "error": ..}`` with the HTTP status Parse gives each code.

Parse Server answers a Parse error with 500 for code 1, 404 for 101 and 400 for every other
code (its ``handleParseErrors``); key failures are a bare ``{"error": "unauthorized"}`` with 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import querylang
from querylang.schema_refresh import names_unknown

INTERNAL_SERVER_ERROR = 1
CONNECTION_FAILED = 100  # what Parse Server's rateLimit answers with its 429
OBJECT_NOT_FOUND = 101
INVALID_QUERY = 102
INVALID_CLASS_NAME = 103
MISSING_OBJECT_ID = 104
INVALID_KEY_NAME = 105
INVALID_POINTER = 106
INVALID_JSON = 107
COMMAND_UNAVAILABLE = 108
INCORRECT_TYPE = 111
INVALID_NESTED_KEY = 121
OBJECT_TOO_LARGE = 116
OPERATION_FORBIDDEN = 119
INVALID_ACL = 123
INVALID_EMAIL_ADDRESS = 125
DUPLICATE_VALUE = 137
USERNAME_MISSING = 200
PASSWORD_MISSING = 201
USERNAME_TAKEN = 202
EMAIL_TAKEN = 203
SESSION_MISSING = 206
INVALID_SESSION_TOKEN = 209


class ParseError(Exception):
    """An error answered to the client as Parse would answer it."""

    def __init__(self, code: int, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else http_status(code)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "error": self.message}


class UnknownField(ParseError):
    """A write names a field its class lacks as this process knows it (105): another process
    may have just added it, and the request is answered once more after the stored schema is
    read again (rest.route)."""


def run_again(exc: Exception) -> bool:
    """Whether a request ``exc`` refused is worth running once more after the stored schema is
    read again: it named a class or field this process does not know, before its write began."""
    return (isinstance(exc, UnknownField) or names_unknown(exc)) and not getattr(exc, "in_write", False)


@contextmanager
def the_write() -> Iterator[None]:
    """Around a request's write (a create, an update): what it refuses is not answered by running
    the request again (run_again). An update's change plans the write again itself, in the
    write's transaction, when it names a field another process just added; run again, the
    request would call it once more, in another transaction, as often as the schema changed
    in between. A create's call has read the stored schema and tried again itself (knowing)."""
    try:
        yield
    except (querylang.QueryError, ParseError) as exc:
        exc.in_write = True  # type: ignore[union-attr]
        raise


class BadBody(ParseError):
    """A body Parse's body parsers refuse, before Parse reads the keys: with no code, 400 for
    one that is not JSON (in the words of JavaScript's ``JSON.parse`` error), 413 for a form
    too large, 415 for a charset they do not read."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(INVALID_JSON, message, status=status)

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


def too_large() -> ParseError:
    """Parse's body parsers' answer to a body over their limit: 413 with no code."""
    return BadBody("request entity too large", status=413)


class Unauthorized(Exception):
    """Missing or wrong keys: Parse's 403 body, which carries no code. ``wrong_key``: the
    request sent a key that was wrong (one that sent none guessed nothing: guesses.py)."""

    def __init__(self, message: str = "unauthorized", wrong_key: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.wrong_key = wrong_key

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


def http_status(code: int) -> int:
    if code == INTERNAL_SERVER_ERROR:
        return 500
    if code == OBJECT_NOT_FOUND:
        return 404
    return 400


def from_query_error(exc: querylang.QueryError) -> ParseError:
    """The library's errors already carry Parse's codes (docs/semantics.md#errors)."""
    return ParseError(int(exc.code), str(exc))


def not_found() -> ParseError:
    return ParseError(OBJECT_NOT_FOUND, "Object not found.")

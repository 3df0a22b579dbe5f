"""What PostgreSQL or the connection said, as a clear error (the store's reads and loads, the
writer's writes)."""

from __future__ import annotations

import psycopg
from psycopg import errors as pge

from querylang.errors import QueryError


def server_error(exc: psycopg.Error, what: str = "the query") -> QueryError:
    """A clear error for what the server or the connection said."""
    if isinstance(exc, pge.InsufficientPrivilege):
        return QueryError(f"PostgreSQL refused {what}: permission denied ({first_line(exc)})", code=1)
    if _connection_lost(exc):
        return QueryError(f"the PostgreSQL server went away during {what}: {first_line(exc)}", code=1)
    return QueryError(f"the database rejected {what}: {first_line(exc)}", code=1)


def not_the_data(exc: psycopg.Error) -> bool:
    """Whether the statement failed for a reason outside the values it reads or writes: the
    role may not do it, the connection broke, or the server could not go on (a deadlock or
    serialization failure, class 40; resources, 53; an operator's cancel or shutdown, 57; a
    system error, 58)."""
    state = getattr(exc, "sqlstate", None) or ""
    return isinstance(exc, pge.InsufficientPrivilege) or _connection_lost(exc) or state[:2] in ("40", "53", "57", "58")


def _connection_lost(exc: psycopg.Error) -> bool:
    """The connection broke (the driver's own error, without a SQLSTATE), could not be made
    (class 08) or the server is shutting down (57P01-57P03). psycopg also files the server's
    answers of classes 53-55 and 40 (a key too long for an index, a full disk, a deadlock)
    under OperationalError: the server is there and has refused the statement."""
    state = getattr(exc, "sqlstate", None) or ""
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return True
    return isinstance(exc, psycopg.InterfaceError) or (isinstance(exc, psycopg.OperationalError) and not state)


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

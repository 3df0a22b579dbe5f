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
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or getattr(exc, "sqlstate", "") in (
        "57P01", "57P02", "57P03",
    ):
        return QueryError(f"the PostgreSQL server went away during {what}: {first_line(exc)}", code=1)
    return QueryError(f"the database rejected {what}: {first_line(exc)}", code=1)


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

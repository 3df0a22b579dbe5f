"""What PostgreSQL or the connection said, as a clear error (the store's reads and loads, the
writer's writes)."""

from __future__ import annotations

import re
import threading
from typing import Any

import psycopg
from psycopg import errors as pge

from querylang.errors import (
    DROPPED_BY_HAND,
    INVALID_QUERY,
    SUM_OUT_OF_RANGE,
    PermissionDenied,
    QueryCancelled,
    QueryError,
    QueryTimeout,
    TableMissing,
)

# IEEE arithmetic (DuckDB, Python) rounds a product too small for a double to 0; PostgreSQL
# raises instead. It happens in the geo formulas for coordinates a hair apart (below ~1e-150
# degrees); writing the products so that they round as IEEE does is not possible in its SQL.
UNDERFLOW = (
    "PostgreSQL refuses this query: a floating-point product in it underflows (coordinates that "
    "differ by less than about 1e-150 degrees), which PostgreSQL reports as an error where the "
    "other engines round it to 0"
)


# A hot standby cancels a statement (or ends the connection of a stream waiting between two
# batches) when replaying the primary's changes would remove rows the statement may still read:
# SQLSTATE 40001 (40P01 for a buffer deadlock), "... due to conflict with recovery". querylang's
# reads are single statements or read-only transactions at READ COMMITTED, so on its
# connections these states mean nothing else unless a URL sets a stricter isolation.
RECOVERY_CONFLICT = (
    "the PostgreSQL standby (read replica) stopped the query: replaying the primary's changes conflicted "
    "with it (a VACUUM removing rows it could still read, a schema change of a table it reads): {reason}. "
    "Run it again; to keep long queries and streams on the standby from being stopped, raise the "
    "standby's max_standby_streaming_delay (how long replay waits for them) or, for removed rows, turn "
    "on its hot_standby_feedback (the primary then keeps the rows the standby's queries read)"
)


# A transaction left waiting for the client (a stream between two batches; an update's change or
# a delete's check running; a directory load reading its next part) past the server's
# idle_in_transaction_session_timeout: SQLSTATE 25P03, and 25P04 for transaction_timeout (17+).
IDLE_ENDED = (
    "the PostgreSQL server ended the connection of {what} ({reason}): its transaction waited for this "
    "program longer than the server's {setting} allows (a stream between two batches, an update's "
    "change or a delete's check while it runs, a directory load while it reads its next part). Run it "
    "without such a pause, or raise that setting for the role (ALTER ROLE ... SET {setting} = ...)"
)
IDLE_SETTINGS = {"25P03": "idle_in_transaction_session_timeout", "25P04": "transaction_timeout"}


# A server or session that takes no writes: SQLSTATE 25006, "cannot execute LOCK TABLE during
# recovery" on a standby, "cannot execute INSERT in a read-only transaction" there or where
# default_transaction_read_only is on.
READ_ONLY = (
    "PostgreSQL refused {what}: this connection takes no writes ({reason}). A hot standby (read replica) "
    "takes none, nor a database or role with default_transaction_read_only on: write to the primary "
    "(connect(url, read_only=True) to read a replica)"
)


def query_error(exc: psycopg.Error, cancel: threading.Event | None, timeout: float | None) -> Exception:
    """What a failed read says: cancelled, past its timeout, refused, or the server's error."""
    # Cancelled by the server, or its connection cut when it did not answer (interrupt.py: the
    # driver's own error, no SQLSTATE).
    broke = isinstance(exc, psycopg.OperationalError) and not exc.sqlstate
    if cancel is not None and cancel.is_set() and (broke or isinstance(exc, pge.QueryCanceled)):
        return QueryCancelled("the query was cancelled")
    if isinstance(exc, pge.QueryCanceled):
        if timeout is not None and "timeout" in str(exc):
            return QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped")
        return QueryError("the query was cancelled", code=1)
    if recovery_conflict(exc):
        detail = getattr(exc.diag, "message_detail", None)
        reason = first_line(exc) + (f" ({detail.rstrip('.')})" if detail else "")
        return QueryError(RECOVERY_CONFLICT.format(reason=reason), code=1)
    if isinstance(exc, pge.NumericValueOutOfRange) and "underflow" in str(exc):
        return QueryError(UNDERFLOW, code=INVALID_QUERY)
    if isinstance(exc, pge.NumericValueOutOfRange) and "overflow" in str(exc):
        # Only a sum can pass a double's range in querylang's SQL (a sum or avg aggregate).
        return QueryError(SUM_OUT_OF_RANGE, code=INVALID_QUERY)
    return server_error(exc)


def server_error(exc: psycopg.Error, what: str = "the query") -> QueryError:
    """A clear error for what the server or the connection said."""
    if isinstance(exc, pge.InsufficientPrivilege):
        return PermissionDenied(f"PostgreSQL refused {what}: permission denied ({first_line(exc)})", code=1)
    if getattr(exc, "sqlstate", None) == "25006":
        return QueryError(READ_ONLY.format(what=what, reason=first_line(exc)), code=1)
    if (setting := IDLE_SETTINGS.get(getattr(exc, "sqlstate", None) or "")) is not None:
        return QueryError(IDLE_ENDED.format(what=what, reason=first_line(exc), setting=setting), code=1)
    if connection_lost(exc):
        return QueryError(f"the PostgreSQL server went away during {what}: {first_line(exc)}", code=1)
    if isinstance(exc, pge.UndefinedTable):
        # querylang's SQL names only tables the schema lists: one that is not there was dropped
        # or renamed by hand, which the server's "relation … does not exist" does not tell.
        return TableMissing(f"the database rejected {what}: {first_line(exc)}{DROPPED_BY_HAND}", code=1)
    return QueryError(f"the database rejected {what}: {first_line(exc)}", code=1)


def recovery_conflict(exc: psycopg.Error) -> bool:
    """Whether a hot standby stopped the statement for a conflict with its replay (RECOVERY_CONFLICT)."""
    return getattr(exc, "sqlstate", None) in ("40001", "40P01") and "recovery" in str(exc)


TAKEN_TABLE = re.compile(r'relation "(.*)" already exists')


def taken_table(exc: psycopg.Error) -> str | None:
    """The table a new class's CREATE TABLE found taken by another application's, or None
    (querylang's other CREATE statements say IF NOT EXISTS)."""
    taken = TAKEN_TABLE.fullmatch(exc.diag.message_primary or "") if isinstance(exc, pge.DuplicateTable) else None
    return None if taken is None else taken.group(1)


def not_the_data(exc: psycopg.Error) -> bool:
    """Whether the statement failed for a reason outside the values it reads or writes: the
    role may not do it, the connection broke, or the server could not go on (a deadlock or
    serialization failure, class 40; resources, 53; an operator's cancel or shutdown, 57; a
    system error, 58; a transaction that waited for the client too long, IDLE_SETTINGS; a
    server or session that takes no writes, 25006)."""
    state = getattr(exc, "sqlstate", None) or ""
    return (isinstance(exc, pge.InsufficientPrivilege) or connection_lost(exc) or state[:2] in ("40", "53", "57", "58")
            or state in IDLE_SETTINGS or state == "25006")


def connection_lost(exc: psycopg.Error) -> bool:
    """The connection broke (the driver's own error, without a SQLSTATE), could not be made
    (class 08) or the server is shutting down (57P01-57P03). psycopg also files the server's
    answers of classes 53-55 and 40 (a key too long for an index, a full disk, a deadlock)
    under OperationalError: the server is there and has refused the statement."""
    state = getattr(exc, "sqlstate", None) or ""
    if state.startswith("08") or state in ("57P01", "57P02", "57P03"):
        return True
    return isinstance(exc, psycopg.InterfaceError) or (isinstance(exc, psycopg.OperationalError) and not state)


def session_goes_on(exc: psycopg.Error, con: psycopg.Connection[Any]) -> bool:
    """Whether ``con`` is ready for its next statement after ``exc``: the server refused this
    one with an ERROR, which ends the statement and leaves the session as it was. psycopg files
    several such answers under OperationalError as it files a broken connection: a cancel or
    statement_timeout (57014), lock_timeout (55P03), the classes 53 (insufficient resources:
    out of shared memory, temp_file_limit) and 54 (a program limit: stack depth, too many
    columns or arguments), a deadlock (40P01); giving the connection back for them made the
    next statement pay for a new one. A FATAL or PANIC ends the session (too many connections
    at login, pg_terminate_backend), as a state of class 08 or the driver's own error (no
    SQLSTATE) says the connection broke; a connection closed meanwhile is not kept either,
    nor one left in a transaction (the pool's rollback is then its way back)."""
    if not getattr(exc, "sqlstate", None) or connection_lost(exc) or con.closed or \
            con.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    return (exc.diag.severity_nonlocalized or exc.diag.severity) == "ERROR"


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]

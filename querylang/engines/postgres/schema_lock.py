"""The lock a load, a schema change or a delete takes on ``_querylang_schema`` in its transaction
(store.py's stored_schema), so that each reads the stored schema as no other process is changing it.

Schema changes take turns on SHARE ROW EXCLUSIVE. A delete takes SHARE: it waits for schema
changes (it needs every Relation naming its class) but not for other deletes. PostgreSQL lets a
role take either only with UPDATE, DELETE or TRUNCATE on the table: a role that may write
records but not the schema table could create and update them and was refused every delete
("permission denied for table _querylang_schema"). Its delete reads the stored schema without
the lock: a Relation another process adds in the moment between that read and the record's
deletion may keep an edge to the deleted record, a dangling edge as one left by any other
program, which that process's queries count until it next opens the database.

The table itself is made by the first load or schema change (make_schema_table). A schema
change that adds a column also waits for every transaction that read the table,
streams among them: one of the writing thread's own is refused (refuse_own_streams).
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
from psycopg import errors as pge

from querylang.engines.postgres.dialect import timeout_ms
from querylang.engines.postgres.layout import SCHEMA_TABLE, quote
from querylang.errors import DataError

# Seconds the open waits for a lock another session holds on a table it reads (the schema
# table, an edge table and the classes it joins): the heartbeat sees a server that answers.
OPEN_LOCK_WAIT = 30.0


def open_reads(con: psycopg.Connection[Any]) -> None:
    """Inside the open's transaction: its reads (the schema, each edge table's check) are not a
    query, and a statement_timeout of the role, the database or the URL does not cut them; nor
    a lock_timeout of theirs. A lock another session holds for good (a transaction left open
    after a LOCK TABLE or an ALTER) is waited for OPEN_LOCK_WAIT s, not for as long: an edge
    table's check then leaves the table not known clean (its queries check the targets), the
    schema's read fails the open (locked_at_open)."""
    con.execute("SET LOCAL statement_timeout = 0")
    con.execute(f"SET LOCAL lock_timeout = {timeout_ms(OPEN_LOCK_WAIT)}")


def locked_at_open(table: str) -> str:
    """Why the open failed when the schema ``table`` stayed locked past OPEN_LOCK_WAIT s."""
    return (f"its table {table} is locked by another session (waited {OPEN_LOCK_WAIT:g} s): end that "
            "session's transaction (pg_locks names it), then open the database again")


def make_schema_table(con: psycopg.Connection[Any]) -> None:
    """The schema table, made by the first load or schema change in its own transaction:
    one that fails leaves the database as it found it (made on connect, it stayed behind,
    empty, after a first load that failed)."""
    found = con.execute("SELECT to_regclass(%s)", [quote(SCHEMA_TABLE)]).fetchone()
    if found is not None and found[0] is not None:
        return
    # Another process's first load may make it at the same moment: IF NOT EXISTS does not
    # see a table not yet committed, and this creation then waits for that transaction and
    # fails on the catalog's unique index once it commits. Its table serves (the savepoint
    # keeps this transaction going, and its next statement sees the committed table).
    with contextlib.suppress(pge.UniqueViolation, pge.DuplicateTable, pge.DuplicateObject), con.transaction():
        con.execute(f"CREATE TABLE IF NOT EXISTS {quote(SCHEMA_TABLE)} "
                    "(class_name text PRIMARY KEY, definition text NOT NULL)")


def lock_schema_table(con: psycopg.Connection[Any], change: bool) -> None:
    """Inside the caller's transaction: the schema table locked for a schema ``change`` (refused
    without the privilege), or for a delete (when the role may lock it)."""
    if change:
        con.execute(f"LOCK TABLE {quote(SCHEMA_TABLE)} IN SHARE ROW EXCLUSIVE MODE")
        return
    try:
        with con.transaction():  # a savepoint: the refusal leaves the delete's transaction usable
            con.execute(f"LOCK TABLE {quote(SCHEMA_TABLE)} IN SHARE MODE")
    except pge.InsufficientPrivilege:
        pass


def refuse_own_streams(con: psycopg.Connection[Any], class_name: str, pids: list[int]) -> None:
    """Adding a column waits for every transaction that read the table to end, and a stream
    is one (engines' stream: a cursor in a read transaction). A stream the writing thread opened
    (its connections' server ``pids``) cannot end while the thread waits: the write would wait
    forever, and every later query of the table behind it. Refused instead; another thread's
    stream is waited for."""
    if not pids:
        return
    row = con.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = ANY(%s) AND relation = to_regclass(%s))",
        [pids, quote(class_name)],
    ).fetchone()
    if row is not None and row[0]:
        raise DataError(
            "a stream this thread has not finished reads the class, and adding a field waits for it "
            "(forever, as the stream cannot go on meanwhile): read it to its end or close() it first, "
            "nothing was changed",
            class_name=class_name,
        )

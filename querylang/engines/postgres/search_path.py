"""The one schema of the server a store works in, as the connection's search_path chooses it:
where its tables are found, and where the tables of new classes are made (current_schema(),
the first schema on the path the role may use). A search_path that would put them apart is
refused on connect; so is a schema of Parse Server's own tables, which layout="parse" reads."""

from __future__ import annotations

from typing import Any

import psycopg

from querylang.engines.postgres.layout import SCHEMA_TABLE, quote
from querylang.errors import DataError


def home_schema(con: psycopg.Connection[Any], shown: str) -> str:
    """The schema querylang's tables are in (``shown``: the database as messages name it)."""
    # By name: a backend's first use of pg_temp makes its schema within this very statement,
    # where a pg_namespace lookup of it does not find it yet. A name starting pg_temp_ is
    # always a temporary schema (pg_ is reserved to the server).
    row = con.execute(
        "SELECT current_schema(), left(current_schema(), 8) = 'pg_temp_', "
        "(SELECT n.nspname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE c.oid = to_regclass(%s))",
        [quote(SCHEMA_TABLE)],
    ).fetchone()
    if row is not None and row[1]:
        # Each connection has a temporary schema of its own, dropped when it closes: other
        # threads would find no table, and every load would be lost.
        raise DataError(f"the search_path of {shown} puts querylang's tables in PostgreSQL's "
                        "temporary schema (pg_temp), which each connection has its own and drops when "
                        "it closes; name a schema of the database (-c search_path=...)")
    if row is None or row[0] is None:
        raise DataError(no_schema(shown))
    current, found = str(row[0]), row[2]
    if found is not None and str(found) != current:
        # Tables are found along the whole path but made in its first schema: a load would
        # make a new class's table there and list it in the schema table of the other, where
        # that schema alone (another process's search_path) finds no such table. The edge
        # notices and the check of the stored dates look in one schema too.
        raise DataError(
            f"cannot open the PostgreSQL database at {shown}: its search_path finds querylang's tables in "
            f"schema {found}, but schema {current} comes first, where new tables would be made; "
            f"name {found} first (?options=-c%20search_path%3D{found})"
        )
    return current


def no_schema(shown: str) -> str:
    """A search_path none of whose schemas the role may use: PostgreSQL skips a schema that
    does not exist or that the role lacks USAGE on, so the database looks empty."""
    return (f"cannot open the PostgreSQL database at {shown}: its search_path names no schema this role "
            "may use (none of them exists, or the role lacks USAGE on it: GRANT USAGE ON SCHEMA ... TO ...)")


def refuse_parse_tables(con: psycopg.Connection[Any], shown: str) -> None:
    """A schema holding Parse Server's own tables and no querylang classes is Parse's: our
    tables would be made beside (or clash with) its class tables, and its classes would look
    missing. Say how to read it instead."""
    parse = con.execute("SELECT to_regclass(%s)", [quote("_SCHEMA")]).fetchone()
    if parse is not None and parse[0] is not None:
        raise DataError(
            f"the PostgreSQL database at {shown} holds Parse Server's tables (_SCHEMA) and no "
            "querylang classes: query them in place with --layout parse (layout='parse'), or give "
            "querylang a schema of its own (?options=-c%20search_path%3Dquerylang, made first)"
        )

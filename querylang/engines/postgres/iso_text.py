"""The ISO text stored beside each date column (layout.ISO): the function that makes it, and
whether a database's tables have it (tables made before it existed do not, and are read by
formatting each date as it is read)."""

from __future__ import annotations

from typing import Any

import psycopg

from querylang.engines.postgres.layout import (
    ISO,
    ISO_FUNCTION,
    ISO_FUNCTION_BODY,
    class_columns,
    date_columns,
    ident,
    quote,
)
from querylang.model.schema import Schema


def dates_stored_as_text(con: psycopg.Connection[Any], schema: Schema) -> bool:
    """Has every date column of ``schema``'s classes its stored ISO text (a generated column)?"""
    want = {(ident(cls.name), ident(c + ISO)) for cls in schema.classes.values() for c in date_columns(class_columns(cls))}
    if not want:
        return True
    rows = con.execute(
        "SELECT c.relname, a.attname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
        "WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
        "AND a.attgenerated = 's' AND NOT a.attisdropped"
    ).fetchall()
    return want <= {(str(t), str(c)) for t, c in rows}


def iso_function(con: psycopg.Connection[Any], pg_schema: str) -> str:
    """layout.ISO_FUNCTION in ``pg_schema``, made if missing (in the caller's transaction, which
    holds the schema table's lock: made once, whatever other processes do)."""
    name = f"{quote(pg_schema)}.{quote(ISO_FUNCTION)}"
    row = con.execute("SELECT to_regprocedure(%s)", [f"{name}(timestamptz)"]).fetchone()
    if row is None or row[0] is None:
        con.execute(f"CREATE FUNCTION {name}{ISO_FUNCTION_BODY}")
    return name

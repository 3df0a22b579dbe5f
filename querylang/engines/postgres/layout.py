"""How a class is laid out in PostgreSQL: the DuckDB layout's tables and columns
(engines/duckdb/layout.py describes each field's columns) in PostgreSQL types.

Differences from DuckDB:

* text columns are ``COLLATE "C"``: string order is code-point order whatever the database's
  collation (UTF-8 byte order is code-point order);
* an Object field's path maps (``f:p``, ``f:pn`` ...) are ``jsonb`` objects, path → value
  (dates as ISO-8601 text; numbers only in ``f:pn``, so a cast of the value never meets a
  non-number);
* dates are ``timestamptz``;
* PostgreSQL silently truncates identifiers longer than 63 bytes, which would make two long
  names one (``_join:<key>:<Class>`` reaches it first). A name over 63 bytes is stored as its
  first 48 bytes, ``~`` and 12 hex digits of its SHA-256 (:func:`ident`): distinct names stay
  distinct, and the schema table keeps the names as written.
"""

from __future__ import annotations

import hashlib

from querylang.engines.duckdb import layout as duck
from querylang.model.schema import ClassDef, Field

MAX_IDENT = 63  # bytes (NAMEDATALEN - 1)
SCHEMA_TABLE = duck.SCHEMA_TABLE
NULLS_COLUMN = duck.NULLS_COLUMN
TEXT = 'text COLLATE "C"'
TYPES = {
    "VARCHAR": TEXT,
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "TIMESTAMP": "timestamptz",
    "VARCHAR[]": 'text[] COLLATE "C"',
    "DOUBLE[]": "double precision[]",
    "TIMESTAMP[]": "timestamptz[]",
    "BOOLEAN[]": "boolean[]",
}


def ident(name: str) -> str:
    """The stored identifier for a table or column name (see the module docstring)."""
    raw = name.encode()
    if len(raw) <= MAX_IDENT:
        return name
    head = raw[:48].decode(errors="ignore")
    return f"{head}~{hashlib.sha256(raw).hexdigest()[:12]}"


def quote(name: str) -> str:
    return '"' + ident(name).replace('"', '""') + '"'


def pg_type(duck_type: str) -> str:
    return "jsonb" if duck_type.startswith("MAP(") else TYPES[duck_type]


def field_columns(f: Field) -> list[tuple[str, str]]:
    """(column name, PostgreSQL type) for one field (logical names; see :func:`ident`)."""
    return [(c, pg_type(t)) for c, t in duck.field_columns(f)]


def class_columns(cls: ClassDef) -> list[tuple[str, str]]:
    return [(c, pg_type(t)) for c, t in duck.class_columns(cls)]


output_columns = duck.output_columns


def join_table(owner_class: str, key: str) -> str:
    """A Relation's edge table as stored: past 63 bytes shortened like every identifier, so the
    store, the writer and the compiler name it (and list it in clean_joins) alike."""
    return ident(duck.join_table(owner_class, key))


class PostgresLayout:
    """The layout as the compiler asks for it (dialect.Layout)."""

    @staticmethod
    def table(class_name: str) -> str:
        return ident(class_name)

    @staticmethod
    def column(field_name: str, part: str = "") -> str:
        return ident(field_name + part)

    @staticmethod
    def join_table(owner_class: str, key: str) -> str:
        return join_table(owner_class, key)

    output_columns = staticmethod(duck.output_columns)


LAYOUT = PostgresLayout()

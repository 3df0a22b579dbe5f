"""How a class is laid out in DuckDB: one table per class, one table per Relation field.

Column names carry a ``:`` suffix for the helper columns of a field; ``:`` cannot occur in a
field name (schema.NAME_RE), so helper columns never collide with fields.

=========  ================================================================================
type       columns
=========  ================================================================================
String     ``f`` VARCHAR, and for text search its words as ``" w1 w2 "`` text: ``f:tx`` English
           stems (stop words left out), ``f:fx`` case/diacritic-folded words, ``f:wx`` words
           as written (text.py).
           ``f:wx`` is NULL where it is the text itself with a blank at each end, ``f:fx``
           where it is the words as written (Dialect.column_sql reads both back); ``f:tx`` is
           NULL for a text until a text search first needs the words (after a bulk load)
Number     ``f`` DOUBLE
Boolean    ``f`` BOOLEAN
Date       ``f`` TIMESTAMP (UTC, millisecond precision)
Pointer    ``f`` VARCHAR — the target's objectId
Array      ``f`` VARCHAR (the array as JSON text), ``f:k`` canonical key of the whole array,
           ``f:e`` VARCHAR[] canonical key of each element, and typed element lists for range
           operators: ``f:n`` DOUBLE[], ``f:s`` VARCHAR[], ``f:d`` TIMESTAMP[], ``f:b`` BOOLEAN[]
Object     ``f`` VARCHAR (JSON text), ``f:k`` canonical key, and for dot notation ('meta.views')
           maps from each nested path to its canonical key ``f:p`` and to its typed value
           ``f:pn`` (numbers), ``f:ps`` (strings), ``f:pb`` (booleans), ``f:pd`` (dates)
GeoPoint   ``f:lat``, ``f:lng`` DOUBLE
Polygon    ``f`` VARCHAR (the coordinates as JSON text), and its ring closed, as ``f:lat`` and
           ``f:lng`` DOUBLE[] (point k is edge k's start, point k+1 its end: polygonContains)
File       ``f`` VARCHAR — the file name (what a File compares by), ``f:url`` VARCHAR
Bytes      ``f`` VARCHAR — canonical base64
ACL        ``f`` VARCHAR — the ACL object as JSON text, returned as stored (never queried)
Relation   no column: table ``_join:<key>:<Class>`` (owning_id, related_id)
=========  ================================================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from querylang.errors import DataError, QueryError
from querylang.model.schema import ClassDef, Field, Schema

NULLS_COLUMN = ":nulls"  # names of fields stored as explicit null, so records read back as written
SCHEMA_TABLE = "_querylang_schema"

SQL_TYPES = {
    "String": "VARCHAR",
    "Number": "DOUBLE",
    "Boolean": "BOOLEAN",
    "Date": "TIMESTAMP",
    "Pointer": "VARCHAR",
    "Bytes": "VARCHAR",
    "ACL": "VARCHAR",
}
TEXT_PARTS = (":tx", ":fx", ":wx")
ARRAY_PARTS = {
    "": "VARCHAR",
    ":k": "VARCHAR",
    ":e": "VARCHAR[]",
    ":n": "DOUBLE[]",
    ":s": "VARCHAR[]",
    ":d": "TIMESTAMP[]",
    ":b": "BOOLEAN[]",
}
OBJECT_PATH_PARTS = {
    ":p": "MAP(VARCHAR, VARCHAR)",
    ":pn": "MAP(VARCHAR, DOUBLE)",
    ":ps": "MAP(VARCHAR, VARCHAR)",
    ":pb": "MAP(VARCHAR, BOOLEAN)",
    ":pd": "MAP(VARCHAR, TIMESTAMP)",
}
PATH_VALUE_MAP = {"number": ":pn", "string": ":ps", "bool": ":pb", "date": ":pd"}
# The typed element list that holds elements of each type class (semantics.type_class).
ELEMENT_LIST = {"number": ":n", "string": ":s", "date": ":d", "bool": ":b"}


def quote_ident(name: str) -> str:
    """The one way identifiers enter SQL: always double-quoted, quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def join_table(owner_class: str, key: str) -> str:
    return f"_join:{key}:{owner_class}"


def field_columns(f: Field) -> list[tuple[str, str]]:
    """(column name, SQL type) for one field."""
    if f.type == "String":
        return [(f.name, "VARCHAR")] + [(f.name + part, "VARCHAR") for part in TEXT_PARTS]
    if f.type in SQL_TYPES:
        return [(f.name, SQL_TYPES[f.type])]
    if f.type == "Array":
        return [(f.name + part, t) for part, t in ARRAY_PARTS.items()]
    if f.type == "Object":
        return [(f.name, "VARCHAR"), (f.name + ":k", "VARCHAR")] + [
            (f.name + part, t) for part, t in OBJECT_PATH_PARTS.items()
        ]
    if f.type == "GeoPoint":
        return [(f.name + ":lat", "DOUBLE"), (f.name + ":lng", "DOUBLE")]
    if f.type == "Polygon":
        return [(f.name, "VARCHAR"), (f.name + ":lat", "DOUBLE[]"), (f.name + ":lng", "DOUBLE[]")]
    if f.type == "File":
        return [(f.name, "VARCHAR"), (f.name + ":url", "VARCHAR")]
    return []  # Relation


def load_columns(cls: ClassDef) -> list[tuple[str, str]]:
    """The columns a bulk load writes: all but the text-search words, which the store
    computes when a text search first needs them (Store.ready)."""
    return [(c, t) for c, t in class_columns(cls) if not c.endswith(TEXT_PARTS)]


def class_columns(cls: ClassDef) -> list[tuple[str, str]]:
    """Every column of a class table, in order: built-ins, fields, then the nulls list."""
    cols = [("objectId", "VARCHAR"), ("createdAt", "TIMESTAMP"), ("updatedAt", "TIMESTAMP")]
    for f in cls.user_fields:
        cols.extend(field_columns(f))
    cols.append((NULLS_COLUMN, "VARCHAR[]"))
    return cols


def output_columns(cls: ClassDef) -> list[str]:
    """Columns a query reads back to rebuild records (not the helper columns)."""
    cols = ["objectId", "createdAt", "updatedAt"]
    for f in cls.user_fields:
        if f.type == "GeoPoint":
            cols += [f.name + ":lat", f.name + ":lng"]
        elif f.type == "File":
            cols += [f.name, f.name + ":url"]
        elif f.type != "Relation":
            cols.append(f.name)
    cols.append(NULLS_COLUMN)
    return cols


class DuckDBLayout:
    """The layout as the compiler asks for it (dialect.Layout): names are used as they are."""

    @staticmethod
    def table(class_name: str) -> str:
        return class_name

    @staticmethod
    def column(field_name: str, part: str = "") -> str:
        return field_name + part

    join_table = staticmethod(join_table)
    output_columns = staticmethod(output_columns)


LAYOUT = DuckDBLayout()


def stored_schema(path: str, rows: Iterable[tuple[str, str]]) -> Schema:
    """The schema the rows (class_name, definition) of SCHEMA_TABLE hold. Rows this version
    cannot read (another program's, a newer querylang's) are a DataError naming the database."""
    name, defs = "", {}
    try:
        for name, text in rows:
            defs[name] = json.loads(text)
        return Schema.from_json(defs)
    except (ValueError, QueryError) as exc:
        why = str(exc) if isinstance(exc, QueryError) else f"class {name}: not valid JSON"
        raise DataError(
            f"cannot read the database {path}: its {SCHEMA_TABLE} table holds a schema this "
            f"querylang cannot read ({why}); was it written by another program or a newer querylang?"
        ) from None

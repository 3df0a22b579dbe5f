"""What DuckDB's rejection of a checked query says (the store's reads)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any

import duckdb

from querylang.engines.duckdb.decode import altered_kinds
from querylang.engines.duckdb.layout import (
    NULLS_COLUMN,
    TEXT_PARTS,
    class_columns,
    field_columns,
    quote_ident,
)
from querylang.engines.duckdb.paths import damaged, damaged_error
from querylang.errors import (
    DROPPED_BY_HAND,
    INTERNAL_SERVER_ERROR,
    LOAD_ELSEWHERE,
    DataError,
    EngineError,
    QueryError,
    TableMissingFault,
    others_table,
)
from querylang.model.schema import ClassDef

MISSING_TABLE = re.compile(r"Catalog Error: Table with name .* does not exist!$", re.MULTILINE)
REJECTED = "the database rejected the query"
TAKEN_TABLE = re.compile(r'Catalog Error: Table with name "?([^"]*?)"? already exists!')


def rejected(exc: duckdb.Error, path: str) -> QueryError:
    """The error for ``exc``, of a query on the database file ``path``. A table DuckDB does not
    find was dropped or renamed by hand: querylang's SQL names only tables the schema lists
    (DuckDB's "Did you mean" guesses another), and what counts every class shows ``?`` for it
    (a TableMissing). A block of the file a query reads first may be found damaged then."""
    if damaged(exc, path):
        return damaged_error(exc, path)
    missing = missing_table(exc)
    if missing is not None:
        return TableMissingFault(f"{REJECTED}: {missing}")
    return EngineError(f"{REJECTED}: {exc}")


def missing_table(exc: duckdb.Error) -> str | None:
    """DuckDB's first line for a table it does not find, with the hint that it was dropped by
    hand (its "Did you mean" guesses another table); None for any other rejection."""
    said = str(exc).strip()
    if isinstance(exc, duckdb.CatalogException) and MISSING_TABLE.match(said):
        return f"{said.splitlines()[0]}{DROPPED_BY_HAND}"
    return None


def taken_table(exc: duckdb.Error) -> str | None:
    """The table a new class's CREATE TABLE found taken by another application's, or None."""
    taken = TAKEN_TABLE.match(str(exc).strip()) if isinstance(exc, duckdb.CatalogException) else None
    return None if taken is None else taken.group(1)


LOAD_FAILED = "load failed, nothing was loaded"


def load_rejected(exc: duckdb.Error, path: str) -> DataError:
    """A load the database file ``path`` refused, said as a load's failure: nothing was loaded."""
    if damaged(exc, path):
        return damaged_error(exc, path)
    table = taken_table(exc)
    if table is not None:
        return others_table(table, LOAD_FAILED, LOAD_ELSEWHERE)
    return DataError(f"{LOAD_FAILED}: {missing_table(exc) or exc}")


_COLUMN_TYPES = ("SELECT table_name, column_name, data_type FROM duckdb_columns() "
                 "WHERE database_name = current_database() AND schema_name = current_schema()")


def altered_dates(
    con: Any, classes: Iterable[ClassDef], written: Mapping[str, Collection[str]] | None = None, said: str | None = None
) -> DataError | None:
    """The DataError naming the first Date column of ``classes`` whose type was changed by hand
    (decode.date_check's, said from the catalog), or None; ``written``: of each class, only
    the Date columns a load stores a date in; ``said``: a failed statement's error, of which
    only a column it is about (:func:`_compared`) is the cause. Asked only when a
    statement failed (DuckDB does not compare a VARCHAR with the query's TIMESTAMP, and its
    error names no field) or a load is to write into the classes' tables: a look at the
    catalog is no cost there."""
    try:
        kinds = {(t, c): kind for t, c, kind in con.execute(_COLUMN_TYPES).fetchall()}
    except duckdb.Error:
        return None  # the statement's own error is said
    for cls in classes:
        names = cls.date_names if written is None else [n for n in cls.date_names if n in written.get(cls.name, ())]
        types = {c: kind for (t, c), kind in kinds.items() if t == cls.name}
        if said is not None:
            names = [n for n in names if _compared(said, n, types.get(n, "TIMESTAMP"))]
        named = altered_kinds(cls, types, names)
        if named is not None:
            return named
    return None


def _compared(said: str, name: str, kind: str) -> bool:
    """Whether DuckDB's error ``said`` is about the column ``name``, of type ``kind``: a cast of
    its cells DuckDB names ("... when casting from source column due"), or a comparison of its
    type with the query's TIMESTAMP. Another column altered by hand (a Number made VARCHAR:
    "Cannot compare values of type VARCHAR and type INTEGER") fails in a statement on the
    same table, and is not a Date column's fault."""
    first = said.strip().splitlines()[0] if said.strip() else ""  # the rest quotes the SQL, its names
    at = first.rfind(_SOURCE)
    if at >= 0:
        return first[at + len(_SOURCE) :] == name
    return all(re.search(rf"\b{re.escape(k)}\b", first) for k in ("TIMESTAMP", kind))


_SOURCE = " when casting from source column "


# DuckDB's words for a column a statement names that its table lacks: a SELECT's, an INSERT's,
# a query's (of the table by its alias), and an UPDATE's, which leaves the name unquoted (a
# save of a String whose word column was dropped: the save's read has no word column).
_NO_COLUMN = re.compile(r'(?:Referenced column|does not have a column (?:with name|named)) "((?:[^"]|"")*)"'
                        r"|Referenced update column (.+?) not found in table!")


# The table alias DuckDB's words name ('Table "s1" does not have a column named "n"'), and a
# subquery's column its table lacks, said of the alias alone ('Referenced table "s1" not found!',
# DuckDB having looked for s1."n" in the outer query too).
_ALIAS_SAID = re.compile(r'\b(?:Table|Referenced table) "((?:[^"]|"")*)" (?:does not have|not found!)')
# querylang's SQL names each table it reads with an alias: FROM "B" AS s1.
_ALIASED = re.compile(r'"((?:[^"]|"")*)" AS (\w+)\b')


def dropped_column(exc: duckdb.Error, con: Any, classes: Iterable[ClassDef], failed: str,
                   sql: str = "") -> DataError | None:
    """The DataError naming the class and field of a column of querylang's that the statement
    ``exc`` failed on and that its table lacks (dropped outside querylang: ALTER TABLE ... DROP
    COLUMN), with the statement that adds it back, or None (another error, DuckDB's own words
    quote querylang's SQL). ``failed`` starts it ("write failed, nothing was changed"). Given
    the statement ``sql``, the table of the alias DuckDB names is the one at fault: two classes'
    tables may both lack a column of that name."""
    if not isinstance(exc, duckdb.BinderException):
        return None
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    said = _NO_COLUMN.search(first)
    alias = _ALIAS_SAID.search(first)
    # Inner queries side by side (an or of matchesQuery) each alias their table s1: the alias
    # names every table so aliased, in the statement's order.
    tables_of: dict[str, list[str]] = {}
    for t, a in _ALIASED.findall(sql):
        if (table := t.replace('""', '"')) not in tables_of.setdefault(a, []):
            tables_of[a].append(table)
    aliased = tables_of.get(alias.group(1).replace('""', '"'), []) if alias is not None else []
    if said is None and not aliased:
        return None
    try:
        present = {(t, c) for t, c, _ in con.execute(_COLUMN_TYPES).fetchall()}
    except duckdb.Error:
        return None  # the statement's own error is said
    classes = list(classes)
    columns_of = {cls.name: {c for c, _ in class_columns(cls)} for cls in classes}
    owner_table = None
    if said is not None:
        name = said.group(1).replace('""', '"') if said.group(1) is not None else said.group(2)
        owner_table = next((t for t in aliased if name in columns_of.get(t, ()) and (t, name) not in present), None)
    elif alias is not None:  # the alias's columns the statement names, the first a table so aliased lacks
        named = [c.replace('""', '"') for c in re.findall(rf'\b{re.escape(alias.group(1))}\."((?:[^"]|"")*)"', sql)]
        lacking = [(t, c) for t in aliased for c in named if c in columns_of.get(t, ()) and (t, c) not in present]
        if not lacking:
            return None
        owner_table, name = lacking[0]
    else:
        return None
    if owner_table is not None:
        classes = sorted(classes, key=lambda c: c.name != owner_table)
    for cls in classes:
        # Each column's field (None: the list of explicit nulls, which is no field's).
        owner: dict[str, str | None] = {c: c for c in ("objectId", "createdAt", "updatedAt")}
        owner |= {c: f.name for f in cls.user_fields for c, _ in field_columns(f)}
        owner[NULLS_COLUMN] = None
        if name not in owner or (cls.name, name) in present or not any(t == cls.name for t, _ in present):
            continue  # not this class's, or there; a table gone is said another way (missing_table)
        field = owner[name]
        lacking = [(c, t) for c, t in class_columns(cls) if owner[c] == field and (cls.name, c) not in present]
        table = quote_ident(cls.name)
        adds = "; ".join(f"ALTER TABLE {table} ADD COLUMN {quote_ident(c)} {t}" for c, t in lacking)
        added = f"add it back ({adds}), its records then hold no value there"
        if field is not None and name != field and cls.fields[field].type == "String":
            # A word column added back empty: the texts' words are marked missing (no :tx),
            # which an open computes; else a text search would miss every stored text.
            words = quote_ident(field + TEXT_PARTS[0])
            added = (f"add it back ({adds}; UPDATE {table} SET {words} = NULL) and open the database again, "
                     "which computes the field's text-search words anew")
        # A column renamed by hand is missing too, its cells kept under the new name: adding
        # the column back would leave them there, so a lone column of no field is named.
        stray = sorted(c for t, c in present if t == cls.name and c not in owner)
        how = (f", which holds a column {stray[0]} of no field: if {name} was renamed, rename it back (ALTER TABLE "
               f"{table} RENAME COLUMN {quote_ident(stray[0])} TO {quote_ident(name)}); if it was dropped, {added}"
               if len(stray) == 1 else f": it was dropped outside querylang; {added}")
        return DataError(f"{failed}: its column {name} is not in the table {table}{how}",
                         class_name=cls.name, field=field, code=INTERNAL_SERVER_ERROR)  # fmt: skip
    return None


def statement_rejected(exc: duckdb.Error, path: str, con: Any, classes: Iterable[ClassDef], sql: str) -> QueryError:
    """:func:`rejected`'s error for a query's statement ``sql`` on ``classes``: a statement DuckDB
    could not bind or cast names the Date column of a table it reads that was altered by hand
    and that the error is about, if one was (the statement's own error said "Cannot compare
    values of type VARCHAR and type TIMESTAMP" of no field); any other error is its own."""
    if isinstance(exc, duckdb.BinderException | duckdb.ConversionException):
        read = [cls for cls in classes if quote_ident(cls.name) in sql]
        said = altered_dates(con, read, said=str(exc)) or dropped_column(exc, con, read, REJECTED, sql)
        if said is not None:
            return said
    return rejected(exc, path)

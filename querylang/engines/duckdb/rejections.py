"""What DuckDB's rejection of a checked query says (the store's reads)."""

from __future__ import annotations

import re

import duckdb

from querylang.engines.duckdb.paths import damaged, damaged_error
from querylang.errors import (
    DROPPED_BY_HAND,
    LOAD_ELSEWHERE,
    DataError,
    EngineError,
    QueryError,
    TableMissingFault,
    others_table,
)

MISSING_TABLE = re.compile(r"Catalog Error: Table with name .* does not exist!$", re.MULTILINE)
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
        return TableMissingFault(f"the database rejected the query: {missing}")
    return EngineError(f"the database rejected the query: {exc}")


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


def load_rejected(exc: duckdb.Error, path: str) -> DataError:
    """A load the database file ``path`` refused, said as a load's failure: nothing was loaded."""
    if damaged(exc, path):
        return damaged_error(exc, path)
    table = taken_table(exc)
    if table is not None:
        return others_table(table, "load failed, nothing was loaded", LOAD_ELSEWHERE)
    return DataError(f"load failed, nothing was loaded: {missing_table(exc) or exc}")

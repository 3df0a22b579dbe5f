"""What DuckDB's rejection of a checked query says (the store's reads)."""

from __future__ import annotations

import re

import duckdb

from querylang.errors import DROPPED_BY_HAND, EngineError, TableMissingFault

MISSING_TABLE = re.compile(r"Catalog Error: Table with name .* does not exist!$", re.MULTILINE)


def rejected(exc: duckdb.Error) -> EngineError:
    """The error for ``exc``. A table DuckDB does not find was dropped or renamed by hand:
    querylang's SQL names only tables the schema lists (DuckDB's "Did you mean" guesses
    another), and what counts every class shows ``?`` for it (a TableMissing)."""
    said = str(exc).strip()
    if isinstance(exc, duckdb.CatalogException) and MISSING_TABLE.match(said):
        return TableMissingFault(f"the database rejected the query: {said.splitlines()[0]}{DROPPED_BY_HAND}")
    return EngineError(f"the database rejected the query: {exc}")

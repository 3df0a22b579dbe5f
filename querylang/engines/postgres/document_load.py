"""A document's load into PostgreSQL (a part of store.py's load, which runs it in its one
transaction): read and checked before the schema table is locked, then copied in."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import psycopg

from querylang.engines.postgres.bulk_copy import check_new_ids, copy_edges, copy_records
from querylang.engines.postgres.index_limit import build_indexes_placed
from querylang.engines.sql.progress import Tally
from querylang.errors import DataError
from querylang.interchange.document import read_dataset, read_document
from querylang.model.schema import Schema


def document_fill(
    store: Any, source: str | Path | Mapping[str, Any], progress: Any
) -> Callable[[psycopg.Connection[Any], Schema], tuple[Schema, dict[str, int]]]:
    """A document's load, read and checked before the schema table is locked (others'
    schema changes wait for it, not for parsing); again inside if the schema changed or
    this process's copy refused it."""
    doc, known, data = read_document(source), store.schema, None
    with contextlib.suppress(DataError):
        data = read_dataset(doc, known)

    def fill(con: psycopg.Connection[Any], old: Schema) -> tuple[Schema, dict[str, int]]:
        ready = data if data is not None and old == known else read_dataset(doc, old)
        store.create_tables(con, old, ready.schema)
        counts, told = {}, Tally(progress, sum(len(recs) for recs in ready.records.values()) + len(ready.edges))
        told.read(told.total)
        for name, recs in ready.records.items():
            cls = ready.schema.classes[name]
            check_new_ids(con, old, cls, recs)
            copy_records(con, cls, recs, told.written)
            counts[name] = len(recs)
        copy_edges(con, ready.edges)
        told.written(len(ready.edges))
        build_indexes_placed(con, ready, store.build_indexes)
        return ready.schema, counts

    return fill

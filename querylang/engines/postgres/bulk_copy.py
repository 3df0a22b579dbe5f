"""A load's rows into the server through COPY: the records of a class, the edges of every
Relation (each once, through a temporary table), and the check for objectIds already stored.
All run inside the load's one transaction (store.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from querylang.engines.postgres.cells import row_cells
from querylang.engines.postgres.index_limit import load_error, too_long
from querylang.engines.postgres.layout import class_columns, join_table, quote
from querylang.engines.postgres.server_errors import not_the_data, server_error, taken_table
from querylang.errors import LOAD_ELSEWHERE, DataError, others_table
from querylang.interchange.document import Edge
from querylang.model.schema import ClassDef, Schema


def check_new_ids(
    con: psycopg.Connection[Any], old: Schema, cls: ClassDef, recs: list[dict[str, Any]], start: int = 0,
) -> None:
    """No record of ``recs`` has an objectId the class's table holds; else the first that has
    is named (``start``: the position of ``recs[0]`` among the class's records, as messages
    count)."""
    if cls.name not in old.classes or not recs:
        return
    # In the records' order: "objectId" = ANY(...) LIMIT 1 gave the one the plan met first (the
    # least objectId, by the index), so a load repeated on top named some line far down.
    row = con.execute(
        f"SELECT u.id, u.at FROM unnest(%s::text[]) WITH ORDINALITY AS u(id, at) "
        f'WHERE EXISTS (SELECT 1 FROM {quote(cls.name)} AS t WHERE t."objectId" = u.id) ORDER BY u.at LIMIT 1',
        [[r["objectId"] for r in recs]],
    ).fetchone()
    if row is not None:
        exc = DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=row[0])
        exc.record_index = start + row[1] - 1  # its line, in a directory
        raise exc


class _QuietEnds(logging.Filter):
    """Drops psycopg's warning that it could not end one of the load's COPYs ("error ignored
    terminating <psycopg.Copy [BAD]>: the connection is lost"): the load's own error already
    says the server went away, and a library user saw both. Other COPYs' warnings pass."""

    def __init__(self) -> None:
        super().__init__()
        self.copies: set[int] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (record.msg == "error ignored terminating %r: %s" and isinstance(args, tuple)
                    and bool(args) and id(args[0]) in self.copies)


_quiet_ends = _QuietEnds()
logging.getLogger("psycopg").addFilter(_quiet_ends)


@contextmanager
def copy_in(con: psycopg.Connection[Any], sql: str) -> Iterator[psycopg.Copy]:
    """``COPY … FROM STDIN`` on the load's connection, its failure to end quiet (_QuietEnds).
    The copy is known to the filter until its own ending (where psycopg logs) is over."""
    key = None
    try:
        with con.cursor() as cur, cur.copy(sql) as copy:
            key = id(copy)
            _quiet_ends.copies.add(key)
            yield copy
    finally:
        if key is not None:
            _quiet_ends.copies.discard(key)


# Records between two calls of copy_records' ``written``: a large class moves the bar on the way.
TICK = 10_000


def copy_records(
    con: psycopg.Connection[Any], cls: ClassDef, recs: list[dict[str, Any]], written: Callable[[int], None] | None = None,
    start: int = 0,
) -> None:
    """The records into the class's table (``written(n)`` hears of every TICK of them sent).
    A refusal names the class: the server's own message ('row is too big', a value too long
    for an index) names none; and the record (``start``: the position of ``recs[0]`` among
    the class's records)."""
    if not recs:
        return
    cols = class_columns(cls)
    collist = ", ".join(quote(c) for c, _ in cols)
    maps = [k for k, (_, ty) in enumerate(cols) if ty == "jsonb"]
    try:
        with copy_in(con, f"COPY {quote(cls.name)} ({collist}) FROM STDIN") as copy:
            for i, rec in enumerate(recs, 1):
                copy.write_row(row_cells(cls, rec, maps))
                if written is not None and i % TICK == 0:
                    written(TICK)
            if written is not None:
                written(len(recs) % TICK)
    except psycopg.Error as exc:
        # The server names the row it refused ("COPY Post, line 2"): the record, by its
        # position (a directory's reader makes it a line of the class's file).
        row = _COPY_LINE.search(getattr(exc.diag, "context", None) or "")
        at = int(row.group(1)) - 1 if row is not None else -1
        if not 0 <= at < len(recs):
            raise load_failed(exc, cls.name) from None
        # Too long for the class's index: which field's, as a new class's index build says (index_limit).
        err = (load_error(exc, {cls.name: cls}, {cls.name: [recs[at]]}) if too_long(exc)
               else load_failed(exc, cls.name, recs[at]["objectId"]))
        err.record_index = start + at
        raise err from None


_COPY_LINE = re.compile(r"^COPY .*, line (\d+)", re.MULTILINE)


def load_failed(exc: psycopg.Error, class_name: str | None = None, object_id: str | None = None) -> DataError:
    """A load the server refused or went away from. A value it refuses (too long for an index)
    is the data's fault: 107, as every bad record. A permission the role lacks or a server out
    of reach is not, and keeps a read's code (1), as a write's failure does (writer.py)."""
    table = taken_table(exc)
    if table is not None:
        return others_table(table, "load failed, nothing was loaded", LOAD_ELSEWHERE)
    err = server_error(exc, "the load")
    return DataError(f"load failed, nothing was loaded: {err.message}", class_name=class_name, object_id=object_id,
                     code=err.code if not_the_data(exc) else None)


def copy_edges(con: psycopg.Connection[Any], edges: list[Edge]) -> None:
    """Each edge once (a Relation is a set), through a temporary table."""
    copy = EdgeCopy()
    copy.add(con, edges)
    copy.finish(con)


class EdgeCopy:
    """Edges copied in as they come (a directory's, a part at a time) to a temporary table
    per edge table, and each kept once in their edge tables at the end (``finish``): the
    edges wait on the server, not in the client."""

    def __init__(self) -> None:
        self.temps: dict[str, str] = {}  # edge table -> its temporary table

    def add(self, con: psycopg.Connection[Any], edges: Iterable[Edge]) -> None:
        by_table: dict[str, list[tuple[str, str]]] = {}
        for e in edges:
            by_table.setdefault(join_table(e.owner_class, e.key), []).append((e.owning_id, e.related_id))
        for name, pairs in by_table.items():
            temp = self.temps.get(name)
            if temp is None:
                temp = self.temps[name] = f"_ql_edges_{len(self.temps)}"
                con.execute(f'CREATE TEMP TABLE {temp} (owning_id text COLLATE "C", related_id text COLLATE "C") '
                            "ON COMMIT DROP")
            with copy_in(con, f"COPY {temp} FROM STDIN") as copy:
                for p in pairs:
                    copy.write_row(p)

    def finish(self, con: psycopg.Connection[Any]) -> None:
        for name, temp in self.temps.items():
            jt = quote(name)
            con.execute(
                f"INSERT INTO {jt} SELECT DISTINCT v.owning_id, v.related_id FROM {temp} AS v WHERE NOT EXISTS "
                f"(SELECT 1 FROM {jt} AS j WHERE j.owning_id = v.owning_id AND j.related_id = v.related_id)"
            )
            con.execute(f"DROP TABLE {temp}")
        self.temps = {}

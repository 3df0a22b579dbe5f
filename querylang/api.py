"""The library's front door: ``connect()`` → :class:`Database` → ``load`` / ``query`` / ``compile``.

A query flows: script text → ``parse`` (cached) → ``run_script`` (the JavaScript subset, with
the inputs) → filter object → ``build`` (checked nodes) → ``compile_sql`` → DuckDB → rows. The
same nodes → ``evaluate`` answers it in plain Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import nodes as n
from .build import build_sort, build_where, check_paging, check_where
from .compile_sql import Plan, compile_query
from .data import Dataset
from .errors import INVALID_QUERY, LimitExceeded, QueryError
from .evaluate import Evaluator
from .jsvalues import UNDEFINED
from .schema import Schema
from .store import Store, decode_row, output_record

Filter = str | Mapping[str, Any] | None


@dataclass
class Result:
    """What a query returns: records in order, their ids, and the total when counted."""

    records: list[dict[str, Any]]
    count: int | None = None
    plan: Plan | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[str]:
        return [r["objectId"] for r in self.records]

    def __len__(self) -> int:
        return len(self.records)


def build_query(
    schema: Schema,
    class_name: str,
    query: Filter = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    sort: Sequence[str] | str | None = None,
    limit: int | None = None,
    skip: int | None = None,
    count: bool = False,
    strict: bool = False,
) -> n.Query:
    """A checked :class:`~querylang.nodes.Query` from a script or a filter object.

    A ``sort`` given here replaces the one the script sets.
    """
    cls = schema.get(class_name)
    source = query if isinstance(query, str) else None
    try:
        if isinstance(query, str):
            from .script import run_script

            ran = run_script(query, inputs or {})
            where = build_where(ran.where, cls, schema, strict=strict, pos=ran.where_pos)
            script_sort, sort_pos = ran.sort, ran.sort_pos
        elif query is None or isinstance(query, Mapping):
            where = build_where(query, cls, schema, strict=strict)
            script_sort, sort_pos = UNDEFINED, None
        else:
            raise QueryError(f"a query is a script string or a filter object, not {type(query).__name__}")
        if sort is not None:
            keys = build_sort(list(sort) if not isinstance(sort, str) else sort, cls)
        else:
            keys = build_sort(script_sort, cls, sort_pos)
        lim, sk = check_paging(limit, skip)
        check_where(where)
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
        raise
    return n.Query(cls.name, where, keys, lim, sk, bool(count))


DEFAULT_TIMEOUT = 60.0  # seconds a query may run before DuckDB is interrupted
DEFAULT_MAX_ROWS = 1_000_000  # records one query may return (count=True is not limited)


class Database:
    """A querylang database on DuckDB (``:memory:`` or a file that keeps its schema).

    ``timeout`` (seconds, None = no limit) stops a query that runs too long with
    :class:`QueryTimeout`; ``max_rows`` (None = no limit) makes a query that would return more
    records fail with :class:`LimitExceeded` instead of filling memory.
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        read_only: bool = False,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_rows: int | None = DEFAULT_MAX_ROWS,
    ) -> None:
        self.store = Store(path, read_only=read_only)
        self.timeout = timeout
        self.max_rows = max_rows
        self._reference: Evaluator | None = None

    # --- data ---------------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        return self.store.schema

    def load(self, source: str | Path | Mapping[str, Any]) -> dict[str, int]:
        """Load an interchange document (path or dict) atomically; returns records per class."""
        counts = self.store.load(source)
        self._reference = None
        return counts

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries ------------------------------------------------------------------------

    def build(self, class_name: str, query: Filter = None, **kw: Any) -> n.Query:
        """The checked query nodes, without running anything."""
        return build_query(self.schema, class_name, query, **kw)

    def compile(self, class_name: str, query: Filter = None, **kw: Any) -> Plan:
        """The SQL and parameters the query would run (``plan.sql``, ``plan.params``)."""
        return compile_query(self.build(class_name, query, **kw), self.schema)

    def query(
        self,
        class_name: str,
        query: Filter = None,
        *,
        inputs: Mapping[str, Any] | None = None,
        sort: Sequence[str] | str | None = None,
        limit: int | None = None,
        skip: int | None = None,
        count: bool = False,
        strict: bool = False,
    ) -> Result:
        """Run a filter script or filter object against ``class_name``."""
        q = self.build(
            class_name, query, inputs=inputs, sort=sort, limit=limit, skip=skip, count=count, strict=strict
        )
        return self.run(q)

    def run(self, q: n.Query) -> Result:
        """Run already-built query nodes through SQL."""
        cap = self.max_rows
        capped = cap is not None and (q.limit is None or q.limit > cap)
        # Fetch one row more than allowed to know whether the cap was hit.
        plan = compile_query(q, self.schema, row_cap=cap + 1 if capped and cap is not None else None)
        cls = self.schema.get(q.class_name)
        rows = self.store.execute(plan.sql, plan.params, timeout=self.timeout)
        if cap is not None and len(rows) > cap:
            raise LimitExceeded(
                f"the query returns more than {cap} records; add a limit or raise max_rows",
                code=INVALID_QUERY,
            )
        records = [decode_row(cls, plan.columns, r) for r in rows]
        total = None
        if plan.count_sql is not None:
            total = self.store.execute(plan.count_sql, plan.count_params, timeout=self.timeout)[0][0]
        return Result(records, total, plan)

    def reference(self, class_name: str, query: Filter = None, **kw: Any) -> Result:
        """The same query answered by the pure-Python reference evaluator."""
        q = self.build(class_name, query, **kw)
        return self.run_reference(q)

    def run_reference(self, q: n.Query) -> Result:
        if self._reference is None:
            self._reference = Evaluator(self.store.dataset())
        res = self._reference.run(q)
        cls = self.schema.get(q.class_name)
        return Result([output_record(cls, r) for r in res.records], res.count)


def connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> Database:
    """Open a database: in memory by default, or a DuckDB file that keeps its schema."""
    return Database(path, read_only=read_only, timeout=timeout, max_rows=max_rows)


def evaluate(data: Dataset, q: n.Query) -> Result:
    """Answer query nodes over a dataset with the reference evaluator."""
    res = Evaluator(data).run(q)
    cls = data.schema.get(q.class_name)
    return Result([output_record(cls, r) for r in res.records], res.count)

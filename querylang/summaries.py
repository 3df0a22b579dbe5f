"""Count, distinct and aggregate (Noodl.Records' count / distinct / aggregate), a part of
:class:`querylang.Database`: one statement each over the condition of the query's plan."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from querylang.engines.sql.statements import (
    Statement,
    compile_aggregate,
    compile_count,
    compile_distinct,
)
from querylang.errors import INVALID_QUERY, SUM_OUT_OF_RANGE, QueryError
from querylang.frontends.aggregates import aggregate_value, check_aggregates
from querylang.frontends.sort_paging import check_options
from querylang.model.schema import a_type
from querylang.queries import Filter, Queries, check_cancel
from querylang.schema_refresh import knowing


class Summaries(Queries):
    """The count, distinct and aggregate methods of :class:`querylang.Database`."""

    def _statement(self, stmt: Statement, cancel: threading.Event | None = None) -> list[tuple[Any, ...]]:
        return self.store.execute(stmt.sql, stmt.params, timeout=self._time_left(), words=stmt.words, cancel=cancel)

    def _doubles(self, class_name: str, values: Iterable[Any]) -> None:
        """Raise what a read of the class's records raises when a value is a Decimal: a Number
        column whose type was changed by hand to numeric (PostgreSQL) gives them, which no record
        holds and the reference would not answer (column_types.py); they were answered as they came."""
        if any(isinstance(v, Decimal) for v in values):
            cls = self.schema.get(class_name)
            said = getattr(self.store, "altered_column", lambda _: None)(cls)
            raise said or QueryError(f"class {cls.name}: a Number column holds values that are not doubles", code=1)

    def _dates(self, class_name: str, field: str, values: list[Any]) -> None:
        """Raise what a read of the class's records raises when a Date value is not one as the
        store keeps it: a DuckDB Date column whose type was changed by hand gave its own text
        (VARCHAR) or Python dates (DATE), answered as they came."""
        check = getattr(self.store, "date_values", None)
        if check is not None:
            check(self.schema.get(class_name), field, values)

    @knowing
    def count(self, class_name: str, query: Filter = None, *, cancel: threading.Event | None = None, **kw: Any) -> int:
        """How many records match; ``cancel`` as for :meth:`query`."""
        check_options("count", kw)
        check_cancel("count", cancel)
        # As in query: the plan and the count from one moment (a load that commits between the
        # two, giving an edge table its first dangling edge, was counted by a plan without checks).
        with self._reading(cancel):
            return self._planned(
                lambda: int(self._statement(compile_count(self._plan(class_name, query, kw, capped=False), self.store.dialect), cancel)[0][0])
            )

    @knowing
    def distinct(
        self, class_name: str, field: str, query: Filter = None, *, cancel: threading.Event | None = None, **kw: Any
    ) -> list[Any]:
        """The distinct present values of a field among matching records, in sort order."""
        check_options("distinct", kw)
        check_cancel("distinct", cancel)
        cls = self.schema.get(class_name)
        f = cls.field(field)
        if f.type not in ("String", "Number", "Boolean", "Date", "Pointer"):
            raise QueryError(f"distinct needs a String, Number, Boolean, Date or Pointer field; '{field}' is {a_type(f.type)}")
        with self._reading(cancel):  # as count
            rows = self._planned(
                lambda: self._statement(compile_distinct(self._plan(class_name, query, kw, capped=False), f.name, self.store.dialect), cancel)
            )
            if f.type == "Number":
                self._doubles(class_name, (r[0] for r in rows))
            elif f.type == "Date":
                self._dates(class_name, f.name, [r[0] for r in rows])
        return [aggregate_value(f.type, r[0]) for r in rows]

    @knowing
    def aggregate(
        self, class_name: str, spec: Mapping[str, Mapping[str, str]], query: Filter = None, *,
        cancel: threading.Event | None = None, **kw: Any,
    ) -> dict[str, Any]:
        """``{"Total": {"sum": "likes"}, "Newest": {"max": "createdAt"}}`` → ``{"Total": .., "Newest": ..}``.

        sum/avg on Number fields; min/max on Number, Date and String fields; absent values are
        skipped; no matching value gives None (sum gives 0). ``cancel`` as for :meth:`query`.
        """
        check_options("aggregate", kw)
        check_cancel("aggregate", cancel)
        ops, types = check_aggregates(self.schema.get(class_name), spec)
        if not ops:
            return {}
        # A sum past a double's range: Infinity from DuckDB (no answer may hold it), an error
        # from PostgreSQL; the same error from both.
        def run(scaled: bool, which: list[tuple[str, str]]) -> tuple[Any, ...] | None:
            """The row of the aggregates ``which``, or None when a sum or avg passed a double's range."""
            try:
                with self._reading(cancel):  # as count
                    row = self._planned(lambda: self._statement(compile_aggregate(
                        self._plan(class_name, query, kw, capped=False), which, self.store.dialect, scaled=scaled,
                    ), cancel))[0]  # fmt: skip
                    self._doubles(class_name, row)
            except QueryError as exc:
                if exc.message != SUM_OUT_OF_RANGE:
                    raise
                return None
            return None if any(isinstance(v, float) and not math.isfinite(v) for v in row) else row

        row = run(False, ops)
        if row is None and any(op in ("sum", "avg") for op, _ in ops):
            # A running sum may pass the range while the total (added in another order) or the mean fits.
            row = run(True, ops)
        if row is None:
            # Named: the sums that do not fit, each tried alone (PostgreSQL's error names none).
            sums = [(name, o) for name, o in zip(spec, ops, strict=True) if o[0] in ("sum", "avg")]
            over = [name for name, o in sums if run(True, [o]) is None] or [name for name, _ in sums]
            raise QueryError(f"aggregate {', '.join(map(repr, over))}: {SUM_OUT_OF_RANGE}", code=INVALID_QUERY)
        for (_, fname), t, v in zip(ops, types, row, strict=True):
            if t == "Date":
                self._dates(class_name, fname, [v])
        return {name: aggregate_value(t, v) for name, t, v in zip(spec, types, row, strict=True)}

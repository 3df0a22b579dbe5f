"""The library's front door: ``connect()`` → :class:`Database` → ``load`` / ``query`` / ``compile``.

A query flows: script text → ``parse`` (cached) → ``run_script`` (the JavaScript subset, with
the inputs) → filter object → ``build`` (checked nodes) → ``compile_sql`` → DuckDB → rows. The
same nodes → ``evaluate`` answers it in plain Python.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from querylang.engines.base import Engine, open_engine
from querylang.engines.duckdb.decode import output_record
from querylang.engines.sql.compiler import Plan, compile_query
from querylang.engines.sql.plan_cache import PlanCache
from querylang.engines.sql.statements import (
    Statement,
    compile_aggregate,
    compile_count,
    compile_distinct,
)
from querylang.errors import (
    INVALID_QUERY,
    OUT_OF_RANGE,
    SUM_OUT_OF_RANGE,
    DataError,
    LimitExceeded,
    QueryError,
    QueryTypeError,
    SchemaError,
)
from querylang.frontends.aggregates import aggregate_value, check_aggregates
from querylang.frontends.filters import build_where, check_where
from querylang.frontends.live import needs_database
from querylang.frontends.selection import checked_shape, keys_under, select_keys, selected_fields
from querylang.frontends.sort_paging import build_sort, check_options, check_paging, checked_limit
from querylang.interchange.directory import is_directory, placed
from querylang.interchange.document import Dataset
from querylang.interchange.json_places import placed_in_file
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED
from querylang.model.schema import Schema, a_type
from querylang.reference.evaluator import Evaluator
from querylang.schema_refresh import SchemaRefresh, knowing
from querylang.script.interpreter import run_script
from querylang.script.parser import parse_script
from querylang.writes import Writes

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
            ran = run_script(query, {} if inputs is None else inputs)
            where = build_where(ran.where, cls, schema, strict=strict, pos=ran.where_pos)
            script_sort, sort_pos = ran.sort, ran.sort_pos
        elif query is None or isinstance(query, Mapping):
            where = build_where(query, cls, schema, strict=strict)
            script_sort, sort_pos = UNDEFINED, None
        else:
            raise QueryError(f"a query is a script string or a filter object, not {type(query).__name__}")
        if sort is not None:
            # Not list(sort): a number raised Python's TypeError, and a dict gave its keys.
            keys = build_sort(list(sort) if isinstance(sort, Sequence) and not isinstance(sort, str) else sort, cls)
        else:
            keys = build_sort(script_sort, cls, sort_pos, strict=strict)
        lim, sk = check_paging(limit, skip, count=count, strict=strict)
        check_where(where)
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
        raise
    except OverflowError:
        raise QueryTypeError(OUT_OF_RANGE) from None
    return n.Query(cls.name, where, keys, lim, sk, bool(count))


# Arguments of query/compile that the plan cache understands; others plan the whole way.
_CACHEABLE_OPTIONS = frozenset({"inputs", "sort", "limit", "skip", "count", "strict"})
DEFAULT_TIMEOUT = 60.0  # seconds a query may run before DuckDB is interrupted
DEFAULT_MAX_ROWS = 1_000_000  # records one query may return (count=True is not limited)


class Database(Writes, SchemaRefresh):
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
        layout: str | None = None,
    ) -> None:
        self.timeout = timeout  # checked first: a bad one leaves no file open
        self.max_rows = max_rows
        self.store: Engine = open_engine(path, read_only=read_only, layout=layout)
        self._reference: Evaluator | None = None
        self._reference_at = 0  # the store's changes when it was read
        self._decoders: dict[Any, Any] = {}  # class → (ClassDef, row decoder); redone on schema change
        self._plans = PlanCache(self.store.dialect)
        self.plan_cache = True  # False: build and compile every query (for comparisons)

    # The settings of README's limits table, checked when set: a string failed in the first
    # query with a TypeError; a negative or NaN timeout was taken (none, or a racy one).
    @property
    def timeout(self) -> float | None:
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = _setting("timeout", value, int | float, "a number of seconds")

    @property
    def max_rows(self) -> int | None:
        return self._max_rows

    @max_rows.setter
    def max_rows(self, value: int | None) -> None:
        self._max_rows = _setting("max_rows", value, int, "a whole number")

    # --- data ---------------------------------------------------------------------------

    @property
    def schema(self) -> Schema:
        return self.store.schema

    def load(
        self, source: str | Path | Mapping[str, Any], *, progress: Callable[[str, int, int], None] | None = None,
        read_from: str | Path | None = None,
    ) -> dict[str, int]:
        """Load an interchange document (path or dict) atomically; returns records per class.

        ``progress(stage, done, total)`` hears how many records and edges were "read" and
        "written" so far (perhaps from another thread). ``read_from``: the JSON file a dict
        ``source`` was read from, so that a bad record's error names its line there too."""
        self._not_in_change("load")
        if progress is not None and not callable(progress):  # else Python's TypeError at its first call
            raise DataError(f"load's progress must be a function (stage, done, total), not {type(progress).__name__}: nothing was loaded")
        if read_from is not None and not isinstance(read_from, str | Path):  # else Python's TypeError placing an error
            raise DataError(f"load's read_from must be the JSON file's path, not {type(read_from).__name__}: nothing was loaded")
        progress = None if progress is None else self._in_change(progress, "progress")  # it may not read nor write here
        try:
            counts = self.store.load(source, progress)
        except DataError as exc:
            # Either engine: a record or an edge of a directory or a JSON file is named by its
            # file and line.
            if is_directory(source):
                there = placed(Path(source), exc)  # type: ignore[arg-type]
            elif isinstance(source, str | Path) or read_from is not None:
                there = placed_in_file(Path(read_from if read_from is not None else source), exc)  # type: ignore[arg-type]
            else:
                there = exc
            if there is exc:
                raise
            raise there from exc
        self._changed()
        return counts

    def import_parse_server(
        self, url: str, *, app_id: str, master_key: str, classes: Sequence[str] | None = None, progress: Any = None
    ) -> Any:
        """Import a live Parse Server over REST (querylang.importers.parse_server); all or nothing."""
        from .importers.parse_server import import_parse_server

        return import_parse_server(self, url, app_id=app_id, master_key=master_key, classes=classes, progress=progress)

    def import_mongo_export(self, directory: str | Path) -> Any:
        """Import the mongoexport files of a Parse database (querylang.importers.mongo_export)."""
        from .importers.mongo_export import import_mongo_export

        return import_mongo_export(self, directory)

    def import_dashboard_export(self, paths: str | Path | Sequence[str | Path]) -> Any:
        """Import Parse Dashboard class exports / {"results": [...]} files (querylang.importers.dashboard)."""
        from .importers.dashboard import import_rest_exports

        return import_rest_exports(self, [paths] if isinstance(paths, str | Path) else paths)

    def close(self) -> None:
        self.store.close()

    def missing_indexes(self) -> list[str]:
        """``CREATE INDEX`` statements (an invalid index's ``DROP INDEX`` first) for what queries
        look up and the database has no index for (layout='parse'); [] when nothing is missing."""
        advise = getattr(self.store, "missing_indexes", None)
        return advise() if advise is not None else []

    @property
    def notes(self) -> list[str]:
        """What opening the database left out of its schema, and why (layout='parse')."""
        return list(getattr(self.store, "notes", []))

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- queries ------------------------------------------------------------------------

    @knowing
    def build(self, class_name: str, query: Filter = None, **kw: Any) -> n.Query:
        """The checked query nodes, without running anything."""
        check_options("build", kw)
        return build_query(self.schema, class_name, query, **kw)

    @knowing
    def compile(self, class_name: str, query: Filter = None, **kw: Any) -> Plan:
        """The SQL and parameters the query would run (``plan.sql``, ``plan.params``)."""
        check_options("compile", kw)
        return self._plan(class_name, query, kw, capped=False)

    @knowing
    def explain(
        self, class_name: str, query: Filter = None, *, cancel: threading.Event | None = None, **kw: Any
    ) -> str:
        """The engine's plan for the query (DuckDB's or PostgreSQL's EXPLAIN), as text."""
        check_options("explain", kw)
        _check_cancel("explain", cancel)
        plan = self._plan(class_name, query, kw, capped=False)  # as compile, its options checked above
        self._not_in_progress()
        return self.store.explain(plan.sql, plan.params, timeout=self.timeout, words=plan.words, cancel=cancel)

    def clear_cache(self) -> None:
        """Forget the kept plans (they are dropped by themselves when the schema changes) and
        the data the reference evaluator read: writes through another connection than the
        Databases of this process on the same DuckDB file (another process on PostgreSQL,
        Parse Server itself on its tables, SQL run on the file outside querylang) do not drop it."""
        self._plans.clear()
        self._reference = None

    def _plan(self, class_name: str, query: Filter, kw: dict[str, Any], *, capped: bool, fields: frozenset[str] | None = None) -> Plan:
        """Build and compile, or bind new inputs (a filter object's operands) into a kept plan (plan_cache.py).
        ``capped``: apply ``max_rows`` (fetch one row more than allowed, to see it was hit); ``fields``: read back only those."""
        try:
            limit, valid = checked_limit(kw), True
        except QueryError:
            limit, valid = 0, False  # the build reports it
        row_cap = self._row_cap(limit) if capped else None
        schema = self.schema

        def full(inputs: Mapping[str, Any] | None, skip: object, given: Any = query) -> Plan:
            q = build_query(schema, class_name, given, **{**kw, "inputs": inputs, "skip": skip})
            return compile_query(q, schema, row_cap=row_cap, dialect=self.store.dialect, fields=fields)

        by_shape = type(query) is dict and kw.get("inputs") is None  # its own template (filter_shape.py)
        if not valid or not (isinstance(query, str) or by_shape) or not self.plan_cache or not _CACHEABLE_OPTIONS.issuperset(kw):
            return full(kw.get("inputs"), kw.get("skip"))
        # The checked limit goes into the key: True == 1 as a dict key, but not as a limit.
        sort = kw.get("sort")
        options = (
            tuple(sort) if isinstance(sort, list | tuple) else sort,
            limit, bool(kw.get("count")), bool(kw.get("strict")), row_cap, fields,
        )
        try:
            hash(options)
        except TypeError:
            return full(kw.get("inputs"), kw.get("skip"))
        if not isinstance(query, str):
            return self._plans.plan_filter(schema, class_name, query, options, kw.get("skip"), lambda w, sk: full(None, sk, w))
        return self._plans.plan(schema, class_name, query, kw.get("inputs"), options, kw.get("skip"), full, parse_script)

    @knowing
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
        include: str | Sequence[str] | None = None,
        select: str | Sequence[str] | None = None,
        visual: Mapping[str, Any] | None = None,
        visual_sorting: Sequence[Mapping[str, Any]] | None = None,
        cancel: threading.Event | None = None,
    ) -> Result:
        """Run a filter script, a filter object or a Noodl visual filter against ``class_name``.

        ``include="Owner,Owner.author"`` embeds pointed-to records; ``select="title,score"``
        keeps only those fields (plus objectId, createdAt, updatedAt). Setting the ``cancel``
        event (from another thread) stops the query with :class:`QueryCancelled`.
        """
        _check_cancel("query", cancel)
        if visual is not None:
            from querylang.frontends.visual import visual_to_filter

            if query is not None:
                raise QueryError("give either a script/filter or a visual filter, not both")
            query = visual_to_filter(visual, {} if inputs is None else inputs, self.schema, class_name)
        if visual_sorting is not None and sort is None:
            from querylang.frontends.visual import visual_sort

            sort = visual_sort(visual_sorting, self.schema, class_name)
        opts = {"inputs": inputs, "sort": sort, "limit": limit, "skip": skip, "count": count, "strict": strict}
        shaped = include is not None or select is not None
        inc, keys, fields = checked_shape(self.schema, class_name, include, select) if shaped else ([], [], None)  # before any read
        with self._reading(cancel):
            # Plan and rows from the same moment: a load that adds a field must not commit
            # between compiling and reading (it waits for the queries holding the store lock).
            res = self._planned(lambda: self._execute(self._plan(class_name, query, opts, capped=True, fields=fields), cancel))
        if not shaped:
            return res
        if inc:
            _include(self, class_name, res.records, inc, cancel, keys if select is not None else None)
        if select is not None:  # select="" or [] keeps only the fields every record shows, as keys="" does
            res.records = select_keys(res.records, keys)
        return res

    def stream(
        self,
        class_name: str,
        query: Filter = None,
        *,
        include: str | Sequence[str] | None = None,
        select: str | Sequence[str] | None = None,
        batch: int = 1000,
        cancel: threading.Event | None = None,
        **kw: Any,
    ) -> Iterator[dict[str, Any]]:
        """The records of :meth:`query` one by one, read from the database as they are used.

        Memory stays bounded, so ``max_rows`` does not apply, nor ``timeout`` (the reader sets
        the pace); ``cancel`` stops it. ``count`` is not available here (use :meth:`count`).
        """
        if kw.get("count"):
            raise QueryError("stream() gives records only; db.count() counts them")
        check_options("stream", kw)
        _check_cancel("stream", cancel)
        # 0 or less gave no records on one engine and all on the other; another type, a driver error.
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise QueryTypeError(f"stream() batch must be a whole number of 1 or more, got {batch!r}")
        batch = min(batch, 2**31 - 1)  # PostgreSQL's FETCH count is an int4: the same rows
        with self._reading(cancel, timed=False):  # as the stream itself
            inc, keys, fields = checked_shape(self.schema, class_name, include, select)
            plan = knowing(Database._plan)(self, class_name, query, kw, capped=False, fields=fields)
            cls = self.schema.get(plan.class_name)
            decode = self.store.decoder(plan.output or cls, plan.columns)
            # The statement starts last: its batches are a generator that gives its connection
            # back when it ends, and one that never started never ends (an error raised between
            # the two kept a pooled PostgreSQL connection for good).
            batches = iter(()) if plan.limit == 0 else self.store.stream(
                plan.sql, plan.params, batch=batch, words=plan.words, cancel=cancel
            )
        for rows in batches:
            records = [decode(r) for r in rows]
            if inc:
                _include(self, cls.name, records, inc, cancel, keys if select is not None else None)
            if select is not None:
                records = select_keys(records, keys)
            yield from records

    def find(self, class_name: str, where: Mapping[str, Any] | None = None, **kw: Any) -> Result:
        """Parse REST ``find``: ``where`` JSON, ``order="-score,title"``, limit (default 100),
        skip, count, include, keys."""
        from querylang.frontends.parse_rest import find

        return find(self, class_name, where, **kw)

    # --- aggregates (Noodl.Records.count / distinct / aggregate) -------------------------

    def _statement(self, stmt: Statement, cancel: threading.Event | None = None) -> list[tuple[Any, ...]]:
        return self.store.execute(stmt.sql, stmt.params, timeout=self._time_left(), words=stmt.words, cancel=cancel)

    @knowing
    def count(self, class_name: str, query: Filter = None, *, cancel: threading.Event | None = None, **kw: Any) -> int:
        """How many records match; ``cancel`` as for :meth:`query`."""
        check_options("count", kw)
        _check_cancel("count", cancel)
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
        _check_cancel("distinct", cancel)
        cls = self.schema.get(class_name)
        f = cls.field(field)
        if f.type not in ("String", "Number", "Boolean", "Date", "Pointer"):
            raise QueryError(f"distinct needs a String, Number, Boolean, Date or Pointer field; '{field}' is {a_type(f.type)}")
        with self._reading(cancel):  # as count
            rows = self._planned(
                lambda: self._statement(compile_distinct(self._plan(class_name, query, kw, capped=False), f.name, self.store.dialect), cancel)
            )
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
        _check_cancel("aggregate", cancel)
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
        return {name: aggregate_value(t, v) for name, t, v in zip(spec, types, row, strict=True)}

    def run(self, q: n.Query, *, cancel: threading.Event | None = None) -> Result:
        """Run already-built query nodes through SQL (``cancel`` as for :meth:`query`)."""
        _check_cancel("run", cancel)
        _check_nodes("run", q)
        return self._run(q, cancel)

    def _run(
        self, q: n.Query, cancel: threading.Event | None = None, *, capped: bool = True, fields: frozenset[str] | None = None
    ) -> Result:
        """:meth:`run`; not ``capped``: more rows than ``max_rows`` are no error (the records
        ``include`` embeds: no more than the records pointing to them, which the cap already
        bounds, or, in :meth:`stream`, must not); ``fields``: read back only those (compile_query)."""
        cap = self._row_cap(q.limit) if capped else None
        # The schema and the rows must come from the same moment: a load that adds a field
        # must not commit between compiling and reading (it waits for the queries holding the store lock).
        with self._reading(cancel):
            return self._planned(
                lambda: self._execute(compile_query(q, self.schema, row_cap=cap, dialect=self.store.dialect, fields=fields), cancel, capped=capped)
            )

    def _row_cap(self, limit: int | None) -> int | None:
        """The LIMIT that enforces ``max_rows``: one row more than allowed, to see it was hit."""
        cap = self.max_rows
        return cap + 1 if cap is not None and (limit is None or limit > cap) else None

    def _execute(self, plan: Plan, cancel: threading.Event | None = None, *, capped: bool = True) -> Result:
        """Run a plan and decode its rows (the caller holds the store lock); ``capped``: more
        rows than ``max_rows`` is an error."""
        cls = self.schema.get(plan.class_name)
        cap = self.max_rows if capped else None
        # limit 0 (a count-only query): no rows to read, so no statement to run.
        counted = None
        # A server store runs the two at once.
        both = getattr(self.store, "execute_with_count", None) if plan.count_sql is not None and plan.limit != 0 else None
        # A count run after the page has what the page left of the timeout (its clock starts now).
        count_left = self._count_clock() if both is None and plan.count_sql is not None else None
        if both is not None:
            rows, counted = both(plan.sql, plan.params, plan.count_sql, plan.count_params, timeout=self._time_left(), cancel=cancel)
        else:
            rows = [] if plan.limit == 0 else self.store.execute(plan.sql, plan.params, timeout=self._time_left(), words=plan.words, cancel=cancel)
        if cap is not None and len(rows) > cap:
            raise LimitExceeded(
                f"the query returns more than {cap} records; add a limit or raise max_rows",
                code=INVALID_QUERY,
            )
        shown = plan.output or cls  # the class as read back (select narrows it)
        key = cls.name if shown is cls else (cls.name, *plan.columns)
        cached = self._decoders.get(key)
        if cached is not None and cached[0] is shown:
            decode = cached[1]
        else:
            decode = self.store.decoder(shown, plan.columns)
            if len(self._decoders) >= 256:  # one per select's fields too: kept within bounds
                self._decoders.clear()
            self._decoders[key] = (shown, decode)
        records = [decode(r) for r in rows]
        total = counted
        if total is None and count_left is not None and plan.count_sql is not None:
            total = self.store.execute(plan.count_sql, plan.count_params, timeout=count_left(), words=plan.words, cancel=cancel)[0][0]
        return Result(records, total, plan)

    def reference(self, class_name: str, query: Filter = None, **kw: Any) -> Result:
        """The same query answered by the pure-Python reference evaluator (its filter, sort,
        paging and count; include and select are the database's, done by ``query``)."""
        given = sorted(k for k in ("include", "select", "visual", "visual_sorting", "cancel") if k in kw)
        if given:
            raise QueryError(f"db.reference answers the filter, sort, paging and count; {', '.join(given)} "
                             "is for db.query")
        q = self.build(class_name, query, **kw)
        return self.run_reference(q)

    def run_reference(self, q: n.Query) -> Result:
        _check_nodes("run_reference", q)
        # The data is read as a query reads (its wait for a load or write within the timeout,
        # which the wait counts against); DuckDB's read waited for a whole load, held alone.
        with self._reading():
            ref = self._reference
            changes = self.store.changes
            if ref is None or changes != self._reference_at:  # another Database of this DuckDB file wrote
                ref = Evaluator(self.store.dataset())
                # Another thread's write that ended meanwhile changed the data after it was read:
                # kept, this evaluator answered every later reference query from the old data.
                if self.store.changes == changes:
                    self._reference, self._reference_at = ref, changes
            left = self._time_left()
        res = ref.run(q, timeout=left)
        cls = self.schema.get(q.class_name)
        return Result([output_record(cls, r) for r in res.records], res.count)


def _setting(name: str, value: Any, kinds: Any, what: str) -> Any:
    """``timeout`` or ``max_rows`` checked: None, or a number ≥ 0 (infinity or an int past a
    double's range means None; math.isnan or :g of 10**400 raised Python's OverflowError)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kinds) or (isinstance(value, float) and math.isnan(value)):
        raise QueryTypeError(f"{name} must be {what} or None, got {value!r:.40}")
    if value < 0:
        raise QueryError(f"{name} must be 0 or more, got " + (f"{value:g}" if isinstance(value, float) or value > -1e300 else f"a number of {len(str(value)) - 1} digits"))
    return None if value > 1.7976931348623157e308 else value  # past the largest double: no limit


def _check_cancel(method: str, cancel: object) -> None:
    """``cancel`` is None or an event (anything with ``is_set()``): another value failed with
    Python's AttributeError when the engine first looked at it, or was never looked at."""
    if cancel is not None and not callable(getattr(cancel, "is_set", None)):
        raise QueryTypeError(f"{method}() cancel must be a threading.Event or None, not {type(cancel).__name__}")


def _check_nodes(method: str, q: object) -> None:
    """Another value failed with Python's AttributeError on the first attribute read."""
    if not isinstance(q, n.Query):
        raise QueryTypeError(f"{method}() needs the query nodes db.build(...) gives, not {type(q).__name__}")


def connect(
    path: str | Path = ":memory:",
    *,
    read_only: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    layout: str | None = None,
) -> Database:
    """Open a database: in memory by default, a DuckDB file that keeps its schema, or a
    PostgreSQL database (``postgresql://user@host:port/dbname``); ``layout="parse"`` reads a
    Parse Server's own PostgreSQL database in place, read-only (docs/parse-in-place.md)."""
    return Database(path, read_only=read_only, timeout=timeout, max_rows=max_rows, layout=layout)


def evaluate(data: Dataset, q: n.Query) -> Result:
    """Answer query nodes over a dataset with the reference evaluator."""
    res = Evaluator(data).run(q)
    cls = data.schema.get(q.class_name)
    return Result([output_record(cls, r) for r in res.records], res.count)


# --- include / select, aggregates, writes, live matching (the Noodl.Records surface) ----------

def _include(
    db: Database, class_name: str, records: list[dict[str, Any]], paths: list[str],
    cancel: threading.Event | None = None, keys: list[str] | None = None,
) -> None:
    """Replace pointer ids by the records they point to, along each dotted path (docs/semantics.md#include-select).

    A dangling pointer stays a bare id; ``*`` includes every Pointer field one level. ``keys``:
    the checked ``select`` paths at this level (None: no select), of which an embedded record
    reads only what select_keys keeps of it and the Pointers a deeper path follows.
    """
    cls = db.schema.get(class_name)
    # With a select, a Pointer no key names is dropped by select_keys: not worth reading.
    named = None if keys is None else {k.partition(".")[0] for k in keys}
    tree: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        heads = [f.name for f in cls.user_fields if f.type == "Pointer"] if head == "*" else [head]
        for h in heads:
            tree.setdefault(h, [])
            if rest:
                tree[h].append(rest)
    for name, sub in tree.items():
        f = cls.fields.get(name)
        if f is None:
            raise SchemaError(f"cannot include '{name}': class {cls.name} has no such field", hint=cls.absent_hint(name, None))
        if f.type != "Pointer":
            raise QueryError(f"cannot include '{name}': it is {a_type(f.type)}, not a Pointer")
        ids = sorted({r[name] for r in records if isinstance(r.get(name), str)})
        if not ids or (named is not None and name not in named):
            continue
        q = n.Query(f.target or "", n.In("objectId", tuple(ids)))
        inner = keys_under(name, keys)
        fields = None if inner is None else selected_fields(db.schema, f.target or "", sub, inner)
        found = {r["objectId"]: r for r in db._run(q, cancel, capped=False, fields=fields).records}
        if sub:
            _include(db, f.target or "", list(found.values()), sub, cancel, inner)
        for r in records:
            v = r.get(name)
            if isinstance(v, str) and v in found:
                r[name] = {"__type": "Object", "className": f.target, **found[v]}


def matches(
    record: Mapping[str, Any],
    query: Filter,
    *,
    schema: Schema | Mapping[str, Any],
    class_name: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    strict: bool = False,
) -> bool:
    """Does one in-memory record match? (Noodl's live-query check, via the reference evaluator.)

    ``schema`` is a :class:`Schema` or the interchange format's ``classes`` dict. Conditions that
    need other records (relations, matchesQuery, dotted pointer paths) raise a QueryError.
    """
    from querylang.interchange.document import normalise_record

    # A record or schema of another type failed inside with Python's TypeError or AttributeError.
    if not isinstance(schema, Schema | Mapping):
        raise QueryTypeError(f"matches() needs schema= as a Schema or the interchange 'classes' object, not {type(schema).__name__}")
    if not isinstance(record, Mapping):
        raise QueryTypeError(f"matches() needs the record as an object of fields, not {type(record).__name__}")
    sch = schema if isinstance(schema, Schema) else Schema.from_json(schema)
    if class_name is None:
        if len(sch.classes) != 1:
            raise QueryError("matches() needs class_name= when the schema has several classes")
        class_name = next(iter(sch.classes))
    q = build_query(sch, class_name, query, inputs=inputs, strict=strict)
    for node in n.walk(q.where):
        what = needs_database(node, sch.get(class_name))
        if what is not None:
            err = QueryError(f"{what} needs the database (other records or relation edges); "
                             "run the query with db.query instead")
            raise err.at(*node.pos) if getattr(node, "pos", None) else err
    cls = sch.get(class_name)
    rec, _ = normalise_record(cls, {"objectId": "(unsaved)", **record}, now=datetime.now(UTC))
    return Evaluator(Dataset(sch, {cls.name: [rec]})).matches(q.where, cls.name, rec)

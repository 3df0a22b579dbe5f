"""The reading half of :class:`querylang.Database`: a script or a filter object built into
checked query nodes, planned (the plan cache), run and decoded into records, with ``include``
and ``select``; and the same nodes answered by the reference evaluator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from querylang.engines.duckdb.decode import output_record
from querylang.engines.sql import readers
from querylang.engines.sql.compiler import Plan, compile_query
from querylang.engines.sql.plan_cache import PlanCache
from querylang.errors import (
    DATABASE_FORKED,
    INVALID_QUERY,
    OUT_OF_RANGE,
    LimitExceeded,
    NotDefined,
    QueryError,
    QueryTimeout,
    QueryTypeError,
    SchemaError,
)
from querylang.frontends.filters import build_where, check_inputs, check_where
from querylang.frontends.plan_cost import check_plan_cost
from querylang.frontends.selection import (
    INCLUDABLE,
    checked_shape,
    includable,
    keys_under,
    pointer_of,
    select_keys,
    selected_fields,
)
from querylang.frontends.sort_paging import build_sort, check_options, check_paging, checked_limit
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, type_name
from querylang.model.schema import ClassDef, Schema, a_type
from querylang.reference.evaluator import Evaluator
from querylang.schema_refresh import SchemaRefresh, knowing, timed, told
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
    if not isinstance(schema, Schema):  # else Python's AttributeError on its first use
        raise QueryTypeError(f"build_query() needs a Schema (db.schema), not {type(schema).__name__}")
    cls = schema.get(class_name)
    check_inputs(query, inputs)
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
            raise QueryTypeError(f"a query is a script string or a filter object, not {type_name(query)}")
        if sort is not None:
            # Not list(sort): a number raised Python's TypeError, and a dict gave its keys.
            keys = build_sort(list(sort) if isinstance(sort, Sequence) and not isinstance(sort, str) else sort, cls)
        else:
            keys = build_sort(script_sort, cls, sort_pos, strict=strict)
        lim, sk = check_paging(limit, skip, count=count, strict=strict)
        check_where(where)
        check_plan_cost(where, keys)  # and the paths' steps
    except QueryError as exc:
        if source is not None:
            exc.with_source(source)
            _field_named_as_a_variable(exc, cls)
        raise
    except OverflowError:
        raise QueryTypeError(OUT_OF_RANGE) from None
    return n.Query(cls.name, where, keys, lim, sk, bool(count))


# Arguments of query/compile that the plan cache understands; others plan the whole way.
_CACHEABLE_OPTIONS = frozenset({"inputs", "sort", "limit", "skip", "count", "strict"})
_LANE_SORT, _LANE_MAX_ROWS = 2, 6  # in a lane's key (Queries._lane): what the call plans with


class Queries(Writes, SchemaRefresh):
    """The query methods of :class:`querylang.Database` (its count, distinct and aggregate in
    summaries.py), beside its writes: a read holds the store as writes.py says."""

    max_rows: int | None
    plan_cache: bool
    _plans: PlanCache
    _decoders: dict[Any, Any]
    _reference_at: int

    @property
    def schema(self) -> Schema:
        return self.store.schema

    @knowing
    def build(self, class_name: str, query: Filter = None, **kw: Any) -> n.Query:
        """The checked query nodes, without running anything."""
        self._own_process()
        check_options("build", kw)
        return build_query(self.schema, class_name, query, **kw)

    @knowing
    def compile(self, class_name: str, query: Filter = None, **kw: Any) -> Plan:
        """The SQL and parameters the query would run (``plan.sql``, ``plan.params``)."""
        self._own_process()
        check_options("compile", kw)
        return self._plan(class_name, query, kw, capped=False)

    @knowing
    def explain(
        self, class_name: str, query: Filter = None, *, cancel: threading.Event | None = None, **kw: Any
    ) -> str:
        """The engine's plan for the query (DuckDB's or PostgreSQL's EXPLAIN), as text."""
        check_options("explain", kw)
        check_cancel("explain", cancel)
        # Held as a query is: the reads its plan makes (the stems' check in place on Parse's
        # tables) and the look after an EXPLAIN that failed are within its timeout and cancel.
        with self._reading(cancel):
            plan = self._plan(class_name, query, kw, capped=False)  # as compile, its options checked above
            # What the call left of the timeout: a schema read again for a name it refused came first.
            return self.store.explain(plan.sql, plan.params, timeout=self._time_left(), words=plan.words, cancel=cancel)


    def _plan(self, class_name: str, query: Filter, kw: dict[str, Any], *, capped: bool, fields: frozenset[str] | None = None,
              laned: bool = False) -> Plan:
        """Build and compile, or bind new inputs (a filter object's operands) into a kept plan (plan_cache.py).
        ``capped``: apply ``max_rows`` (fetch one row more than allowed, to see it was hit); ``fields``: read back only those;
        ``laned``: a script with new inputs, nothing else about the call new, finds its kept plan by
        the call's arguments (_lane)."""
        # The key is made here, once the call holds the store: a sort list or max_rows another
        # thread changed while it waited would have keyed the plan made with the new value.
        lane = self._lane(class_name, query, kw["inputs"], kw["sort"], kw["limit"], kw["skip"], kw["count"], kw["strict"]) if laned else None
        if lane is not None:
            plan = self._plans.by_lane(lane, self.schema, kw["inputs"], kw["skip"])
            if plan is not None:
                return plan
            kw = {**kw, "sort": lane[_LANE_SORT]}  # and planned with the values the key holds
        try:
            limit, valid = checked_limit(kw), True
        except QueryError:
            limit, valid = 0, False  # the build reports it
        row_cap = self._row_cap(limit, self.max_rows if lane is None else lane[_LANE_MAX_ROWS]) if capped else None
        schema = self.schema

        def full(inputs: Mapping[str, Any] | None, skip: object, given: Any = query) -> Plan:
            q = build_query(schema, class_name, given, **{**kw, "inputs": inputs, "skip": skip})
            return compile_query(q, schema, row_cap=row_cap, dialect=self.store.dialect, fields=fields)

        by_shape = type(query) is dict and kw.get("inputs") is None  # its own template (filter_shape.py)
        # A class name that is no string keys no kept plan (a list's hash was Python's TypeError): the build refuses it.
        if (not valid or not (isinstance(query, str) or by_shape) or not self.plan_cache or not _CACHEABLE_OPTIONS.issuperset(kw)
                or not isinstance(class_name, str)):
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
        return self._plans.plan(schema, class_name, query, kw.get("inputs"), options, kw.get("skip"), full, parse_script, lane)

    def _lane(
        self, class_name: object, query: object, inputs: object, sort: object, limit: object, skip: object,
        count: object, strict: object,
    ) -> tuple[Any, ...] | None:
        """A script query's arguments as a key for its kept plan (PlanCache.by_lane), or None
        when they are not plainly typed: a key equal to another call's must mean what that
        call's arguments meant (1 == True, yet a limit of True is refused), and building the
        plan cache's own key from them again is most of a kept plan's cost."""
        # skip too: its key below compares it with 0, which a Decimal('sNaN') refuses with
        # Python's error before the build could say what is wrong with it.
        if not (type(query) is str and type(class_name) is str and type(count) is bool and type(strict) is bool
                and (limit is None or type(limit) is int) and (skip is None or type(skip) is int)
                and (inputs is None or type(inputs) is dict) and self.plan_cache):
            return None
        if sort is not None and type(sort) is not str:
            if type(sort) not in (list, tuple) or any(type(k) is not str for k in sort):  # type: ignore[attr-defined]
                return None
            sort = tuple(sort)  # type: ignore[arg-type]  # as the plan cache's options keep it
        return (class_name, query, sort, limit, count, strict, self.max_rows, skip is None, skip is not None and skip != 0)

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
        check_cancel("query", cancel)
        if visual is not None:
            from querylang.frontends.visual import visual_to_filter

            if query is not None:
                raise QueryError("give either a script/filter or a visual filter, not both")
            query = visual_to_filter(visual, {} if inputs is None else inputs, self.schema, class_name)
            inputs = None  # read: the filter object holds their values
        if visual_sorting is not None and sort is None:
            from querylang.frontends.visual import visual_sort

            sort = visual_sort(visual_sorting, self.schema, class_name)
        opts = {"inputs": inputs, "sort": sort, "limit": limit, "skip": skip, "count": count, "strict": strict}
        shaped = include is not None or select is not None
        inc, keys, fields = checked_shape(self.schema, class_name, include, select) if shaped else ([], [], None)  # before any read
        with self._reading(cancel):
            # Plan and rows from the same moment: a load that adds a field must not commit
            # between compiling and reading (it waits for the queries holding the store lock).
            res = self._planned(lambda: self._execute(self._plan(class_name, query, opts, capped=True, fields=fields, laned=not shaped), cancel))
        if not shaped:
            return res
        res.records = shaped_records(self.schema, self._fetcher(cancel), class_name, res.records, inc,
                                     keys if select is not None else None)
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
        check_cancel("stream", cancel)
        # 0 or less gave no records on one engine and all on the other; another type, a driver error.
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise QueryTypeError(f"stream() batch must be a whole number of 1 or more, got {batch!r}")
        batch = min(batch, 2**31 - 1)  # PostgreSQL's FETCH count is an int4: the same rows
        with self._reading(cancel, timed=False):  # as the stream itself
            inc, keys, fields = checked_shape(self.schema, class_name, include, select)
            plan = knowing(Queries._plan)(self, class_name, query, kw, capped=False, fields=fields)
            cls = self.schema.get(plan.class_name)
            # A batch decoded as a query's page is (DuckDB's Date columns checked once a batch,
            # not once a row: a Date field NULL in every record was looked at in each).
            decode = self._page_decoder(plan.output or cls, plan.columns)
            # The statement starts last: its batches are a generator that gives its connection
            # back when it ends, and one that never started never ends (an error raised between
            # the two kept a pooled PostgreSQL connection for good).
            batches = iter(()) if plan.limit == 0 else self.store.stream(
                plan.sql, plan.params, batch=batch, words=plan.words, cancel=cancel
            )
        # A look the decoding makes (the columns' types after a cell it could not read) has the
        # stream's cancel and the database's timeout: its hold ended with the statement's start.
        bounds = getattr(self.store, "bounds", None)
        born = self.store.lock.born
        try:
            for rows in batches:
                try:
                    with nullcontext() if bounds is None else bounds.of(self.timeout, cancel):
                        records = decode(rows)
                except QueryTimeout as exc:  # the look's limit was what the decoding left
                    raise told(exc, self.timeout) from None
                records = shaped_records(self.schema, self._fetcher(cancel), cls.name, records, inc,
                                         keys if select is not None else None)
                for record in records:
                    # A stream opened before a fork is refused in the child at once, not after
                    # the rest of the batch its parent read (readers.forks).
                    if readers.forks != born:
                        raise QueryError(DATABASE_FORKED)
                    yield record
        finally:
            # A batch that could not be decoded (or an include that failed) ends the stream now:
            # left to the collector, its cursor's read transaction stayed open on the server for
            # as long as the caller held the error.
            close = getattr(batches, "close", None)
            if close is not None:
                close()

    def find(self, class_name: str, where: Mapping[str, Any] | None = None, **kw: Any) -> Result:
        """Parse REST ``find``: ``where`` JSON, ``order="-score,title"``, limit (default 100),
        skip, count, include, keys."""
        from querylang.frontends.parse_rest import find

        return find(self, class_name, where, **kw)

    @timed
    def run(self, q: n.Query, *, cancel: threading.Event | None = None) -> Result:
        """Run already-built query nodes through SQL (``cancel`` as for :meth:`query`)."""
        check_cancel("run", cancel)
        check_nodes("run", q)
        return self._run(q, cancel)

    def _fetcher(self, cancel: threading.Event | None) -> Fetch:
        """How include reads the records pointers point to: uncapped (no more than the records
        pointing to them, which the cap already bounds, or, in :meth:`stream`, must not)."""
        return lambda cls, ids, fields: self._run(n.Query(cls, n.In("objectId", ids)), cancel, capped=False, fields=fields).records

    def _run(
        self, q: n.Query, cancel: threading.Event | None = None, *, capped: bool = True, fields: frozenset[str] | None = None
    ) -> Result:
        """:meth:`run`; not ``capped``: more rows than ``max_rows`` are no error (the records
        ``include`` embeds: no more than the records pointing to them, which the cap already
        bounds, or, in :meth:`stream`, must not); ``fields``: read back only those (compile_query)."""
        cap = self._row_cap(q.limit, self.max_rows) if capped else None
        # The schema and the rows must come from the same moment: a load that adds a field
        # must not commit between compiling and reading (it waits for the queries holding the store lock).
        with self._reading(cancel):
            return self._planned(
                lambda: self._execute(compile_query(q, self.schema, row_cap=cap, dialect=self.store.dialect, fields=fields), cancel, capped=capped)
            )

    def _row_cap(self, limit: int | None, cap: int | None) -> int | None:
        """The LIMIT that enforces ``cap`` (``max_rows``): one row more than allowed, to see it was hit."""
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
            decode = self._page_decoder(shown, plan.columns)
            if len(self._decoders) >= 256:  # one per select's fields too: kept within bounds
                self._decoders.clear()
            self._decoders[key] = (shown, decode)
        records = decode(rows)
        total = counted
        if total is None and count_left is not None and plan.count_sql is not None:
            total = self.store.execute(plan.count_sql, plan.count_params, timeout=count_left(), words=plan.words, cancel=cancel)[0][0]
        return Result(records, total, plan)

    def _page_decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[list[Any]], list[dict[str, Any]]]:
        """Rows → records, a page at once where the store decodes so (DuckDB), else row by row."""
        page = getattr(self.store, "page_decoder", None)
        if page is not None:
            return page(cls, columns)  # type: ignore[no-any-return]
        decode = self.store.decoder(cls, columns)
        return lambda rows: list(map(decode, rows))

    @timed
    def reference(
        self, class_name: str, query: Filter = None, *, include: str | Sequence[str] | None = None,
        select: str | Sequence[str] | None = None, **kw: Any,
    ) -> Result:
        """The same query answered by the pure-Python reference evaluator (its filter, sort,
        paging and count; ``include`` and ``select`` as :meth:`query` does them, the embedded
        records read by the evaluator too). One clock, as a query's: its build, its wait for a
        load or write and its evaluation share the timeout; its read of every record has none,
        and is not counted (run_reference)."""
        given = sorted(k for k in ("visual", "visual_sorting", "cancel") if k in kw)
        if given:
            raise QueryError(f"db.reference answers the filter, sort, paging, count, include and select; "
                             f"{', '.join(given)} is for db.query")
        shaped = include is not None or select is not None
        inc, keys, _ = checked_shape(self.schema, class_name, include, select) if shaped else ([], [], None)
        q = self.build(class_name, query, **kw)
        res = self.run_reference(q)
        res.records = shaped_records(self.schema, self._reference_records, q.class_name, res.records, inc,
                                     keys if select is not None else None)
        return res

    def _reference_records(self, class_name: str, ids: tuple[str, ...], _fields: frozenset[str] | None) -> list[dict[str, Any]]:
        """The records of ``class_name`` with these ids, as the evaluator reads the class: once,
        kept by id (its containedIn matches each record against each member: the ids of a long
        Array ran past the timeout)."""
        wanted = set(ids)
        return [r for r in self.run_reference(n.Query(class_name)).records if r["objectId"] in wanted]

    @timed
    def run_reference(self, q: n.Query) -> Result:
        check_nodes("run_reference", q)
        # The data is read as a query reads (its wait for a load or write within the timeout,
        # which the wait counts against); DuckDB's read waited for a whole load, held alone.
        with self._reading():
            ref = self._reference
            changes = self.store.changes
            if ref is None or changes != self._reference_at:  # another Database of this DuckDB file wrote
                began = time.monotonic()
                ref = Evaluator(self.store.dataset())
                # The read of every record fills the evaluator kept for later calls, and has no
                # timeout (a large database takes long): the call's clock leaves it out.
                self._clock.began += time.monotonic() - began
                # Another thread's write that ended meanwhile changed the data after it was read:
                # kept, this evaluator answered every later reference query from the old data.
                if self.store.changes == changes:
                    self._reference, self._reference_at = ref, changes
            left = self._time_left()
        res = ref.run(q, timeout=left)
        cls = self.schema.get(q.class_name)
        return Result([output_record(cls, r) for r in res.records], res.count)


def _field_named_as_a_variable(exc: QueryError, cls: ClassDef) -> None:
    """``where(score > 10)`` said only "score is not defined", JavaScript's words: a field is
    named as a key of the filter object, which the hint shows."""
    if isinstance(exc, NotDefined) and exc.hint is None and exc.name in cls.fields:
        exc.hint = f"'{exc.name}' is a field of {cls.name}: a filter names it as a key, where({{ {exc.name}: ... }})"


def check_cancel(method: str, cancel: object) -> None:
    """``cancel`` is None or an event (anything with ``is_set()``): another value failed with
    Python's AttributeError when the engine first looked at it, or was never looked at."""
    if cancel is not None and not callable(getattr(cancel, "is_set", None)):
        raise QueryTypeError(f"{method}() cancel must be a threading.Event or None, not {type(cancel).__name__}")


def check_nodes(method: str, q: object) -> None:
    """Another value failed with Python's AttributeError on the first attribute read. Nodes
    made by hand have their paths' steps counted, and their conditions weighed, as a build
    does: the SQL of a long one is planned before the timeout can stop it."""
    if not isinstance(q, n.Query):
        raise QueryTypeError(f"{method}() needs the query nodes db.build(...) gives, not {type(q).__name__}")
    check_plan_cost(q.where, q.sort)  # and the paths' steps


Fetch = Callable[[str, tuple[str, ...], "frozenset[str] | None"], list[dict[str, Any]]]


def shaped_records(
    schema: Schema, fetch: Fetch, class_name: str, records: list[dict[str, Any]], inc: list[str], keys: list[str] | None,
) -> list[dict[str, Any]]:
    """``records`` with the ``inc`` paths included (read through ``fetch``) and, ``keys`` not
    None, cut down to them: what query, stream and reference answer (select="" or [] keeps only
    the fields every record shows, as keys="" does)."""
    if inc:
        include_pointed(schema, fetch, class_name, records, inc, keys)
    return records if keys is None else select_keys(schema, class_name, records, keys)


def include_pointed(
    schema: Schema, fetch: Fetch, class_name: str, records: list[dict[str, Any]], paths: list[str],
    keys: list[str] | None = None, *, loose: bool = False,
) -> None:
    """Replace pointers by the records they point to, along each dotted path (docs/semantics.md#include-select):
    a Pointer field's id, and each element of an Array field that is a Pointer (in place, order
    and duplicates kept; an Array inside it is walked too, as Parse's include walks it).

    ``fetch(class, ids, fields)`` reads the records of a class with these ids (the database's
    SQL, or the reference evaluator: both answer through here). A dangling pointer stays as it is; ``*``
    includes every Pointer and Array field one level. ``keys``: the checked ``select`` paths at
    this level (None: no select), of which an embedded record reads only what select_keys keeps
    of it and the fields a deeper path follows. ``loose``: the records were embedded from an
    Array, whose elements have no declared class: a name their class lacks, or one that is no
    Pointer or Array there, is passed over, as Parse passes it over (check_include checked the
    rest before anything was read, so no error depends on which records a query reached).
    """
    cls = schema.get(class_name)
    # With a select, a field no key names is dropped by select_keys: not worth reading.
    named = None if keys is None else {k.partition(".")[0] for k in keys}
    tree: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        for h in includable(cls) if head == "*" else [head]:
            tree.setdefault(h, [])
            if rest:
                tree[h].append(rest)
    for name, sub in tree.items():
        f = cls.fields.get(name)
        if f is None or f.type not in INCLUDABLE or (f.type == "Pointer" and f.target is None):
            if loose:
                continue
            if f is None:
                raise SchemaError(f"cannot include '{name}': class {cls.name} has no such field", hint=cls.absent_hint(name, None))
            raise QueryError(f"cannot include '{name}': it is {a_type(f.type)}, not a Pointer or an Array")
        if named is not None and name not in named:
            continue
        inner = keys_under(name, keys)
        if f.type == "Pointer":
            target = f.target or ""
            ids = {r[name] for r in records if isinstance(r.get(name), str)}
            found = _fetched(schema, fetch, target, ids, sub, inner, loose=loose)
            for r in records:
                v = r.get(name)
                if isinstance(v, str) and v in found:
                    r[name] = {"__type": "Object", "className": target, **found[v]}
        else:
            wanted: dict[str, set[str]] = {}
            for r in records:
                _pointers_in(r.get(name), wanted)
            # One read per class the elements point into; a class the schema lacks has no
            # records: its pointers stay.
            got = {c: _fetched(schema, fetch, c, ids, sub, inner, loose=True)
                   for c, ids in sorted(wanted.items()) if c in schema.classes}  # fmt: skip
            for r in records:
                v = r.get(name)
                if isinstance(v, list) and wanted:
                    r[name] = _embedded_in(v, got)


def _fetched(
    schema: Schema, fetch: Fetch, target: str, ids: set[str], sub: list[str], inner: list[str] | None, *, loose: bool
) -> dict[str, dict[str, Any]]:
    """The records of ``target`` with these ids, by id, their own ``sub`` paths included."""
    if not ids:
        return {}
    fields = None if inner is None else selected_fields(schema, target, sub, inner)
    found = {r["objectId"]: r for r in fetch(target, tuple(sorted(ids)), fields)}
    if sub:
        include_pointed(schema, fetch, target, list(found.values()), sub, inner, loose=loose)
    return found


def _pointers_in(value: Any, wanted: dict[str, set[str]]) -> None:
    if isinstance(value, list):
        for e in value:
            hit = pointer_of(e)
            if hit is not None:
                wanted.setdefault(hit[0], set()).add(hit[1])
            elif isinstance(e, list):
                _pointers_in(e, wanted)


def _embedded_in(value: list[Any], got: dict[str, dict[str, dict[str, Any]]]) -> list[Any]:
    out: list[Any] = []
    for e in value:
        hit = pointer_of(e)
        rec = got.get(hit[0], {}).get(hit[1]) if hit is not None else None
        if hit is not None and rec is not None:
            out.append({"__type": "Object", "className": hit[0], **rec})
        else:
            out.append(_embedded_in(e, got) if isinstance(e, list) else e)
    return out

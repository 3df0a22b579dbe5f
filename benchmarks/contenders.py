"""The contenders: each answers a workload's question and returns ``(ids, count)``.

- ``querylang_warm``: ``db.query`` with a script it has run before, new inputs: after the
  first two runs (the warm-up and the first timed one) the plan is kept and only the new values
  are bound (querylang/plan_cache.py).
- ``querylang_cold``: the same with every process-wide querylang cache cleared and the plan
  cache bypassed: parse + build + compile + run.
- ``hand_sql``: the workload's hand-written SQL on the same DuckDB tables, values bound as
  parameters — the floor. (DuckDB's Python API prepares a statement per ``execute``; SQL-level
  ``PREPARE``/``EXECUTE`` measured the same, so plain bound parameters are used.)
- ``hand_best``: the fastest hand SQL found, where it differs from ``hand_sql`` (Noodl's shape,
  noodl_shape.py: there ``hand_sql`` is the naive SQL).
- ``reference``: ``db.reference``, the pure-Python evaluator over all records.
- ``mongomock``: the Mongo query on mongomock collections holding the same records.
- ``parse_server``: the Parse REST query (see parse_server.py), behind ``--with-parse``.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .workloads import Inputs, Step, Workload

Answer = tuple[list[str] | None, int | None]


def duckdb_connection(db: Any) -> Any:
    """The DuckDB connection under a database: the hand-written SQL contenders run on it."""
    from querylang.engines.duckdb.store import Store

    if not isinstance(db.store, Store):
        raise SystemExit("these benchmarks compare against hand-written DuckDB SQL: give a DuckDB database")
    return db.store.con


def script_support() -> bool:
    """Whether querylang can run filter scripts yet (querylang/script.py)."""
    try:
        import querylang.script  # noqa: F401
    except ImportError:
        return False
    return True


def clear_querylang_caches(db: Any = None, clears: list[Callable[[], None]] | None = None) -> int:
    """Clear querylang's per-query caches: every ``functools`` cache of a function that takes
    arguments (parsed scripts, compiled regexes, ...) and a plan cache, if the database has one.
    Caches of zero-argument functions are one-time tables built once per process (Unicode case
    folding, categories): a new query does not rebuild them, so "cold" keeps them. ``clears``:
    the caches as :func:`querylang_cache_clears` found them beforehand (else found now).
    Returns how many caches were cleared."""
    if clears is None:
        clears = querylang_cache_clears()
    for clear in clears:
        clear()
    n = len(clears)
    for attr in ("clear_cache", "clear_caches"):
        fn = getattr(db, attr, None)
        if callable(fn):
            fn()
            n += 1
    return n


def querylang_cache_clears() -> list[Callable[[], None]]:
    """The ``cache_clear`` of every querylang ``functools`` cache of a function that takes
    arguments (found by walking the loaded modules: a timed run should not pay for the walk)."""
    out = []
    for name, mod in list(sys.modules.items()):
        if not (name == "querylang" or name.startswith("querylang.")) or mod is None:
            continue
        for obj in list(vars(mod).values()):
            clear = getattr(obj, "cache_clear", None)
            if callable(clear) and getattr(obj, "__module__", "").startswith("querylang") and _takes_arguments(obj):
                out.append(clear)
    return out


def _takes_arguments(fn: Any) -> bool:
    try:
        return bool(inspect.signature(getattr(fn, "__wrapped__", fn)).parameters)
    except (TypeError, ValueError):
        return True


def run_steps(query: Callable[..., Any], w: Workload, inputs: Inputs, scripts: bool) -> Answer:
    """Run a workload's steps through ``query`` (``db.query`` or ``db.reference``)."""
    steps = w.steps
    if scripts and len(steps) == 1 and steps[0].feed is None:
        # One query, called straight: the loop and option dict around it are the harness's own
        # bookkeeping, none of which the hand-written contenders pay, and a small query's
        # ratio showed them.
        step = steps[0]
        one = query(step.class_name, step.script, inputs=inputs, limit=step.limit,
                    skip=step.skip(inputs) if step.skip else None, count=step.count)
        return (None if step.limit == 0 else one.ids), one.count
    ids: list[str] = []
    res: Any = None
    for step in w.steps:
        step_inputs = step.feed(inputs, ids) if step.feed else inputs
        res = _run_step(query, step, inputs, step_inputs, scripts)
        ids = res.ids
    last = w.steps[-1]
    return (None if last.limit == 0 else ids), res.count


def _run_step(query: Callable[..., Any], step: Step, inputs: Inputs, step_inputs: Inputs, scripts: bool) -> Any:
    opts = step.options(inputs)
    if scripts:
        return query(step.class_name, step.script, inputs=step_inputs, **opts)
    return query(step.class_name, step.filter(step_inputs), sort=list(step.sort) or None, **opts)


class Contender:
    name = ""
    data_scale = ""  # set by the runner: the scale of the data this contender ran on

    def applies(self, w: Workload) -> bool:
        """Whether this contender answers ``w`` (the slow ones skip Noodl's shapes)."""
        return True

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        pass


class QuerylangWarm(Contender):
    name = "querylang_warm"

    def __init__(self, db: Any, scripts: bool) -> None:
        self.db, self.scripts = db, scripts

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        return run_steps(self.db.query, w, inputs, self.scripts)


class QuerylangCold(QuerylangWarm):
    name = "querylang_cold"

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        # Parse, build and compile from scratch: the process-wide caches cleared, the plan
        # cache bypassed rather than cleared (clearing it would make warm's next query a miss).
        clear_querylang_caches()
        self.db.plan_cache = False
        try:
            return run_steps(self.db.query, w, inputs, self.scripts)
        finally:
            self.db.plan_cache = True


class QuerylangParsePg(QuerylangWarm):
    """querylang in place on Parse Server's own PostgreSQL tables (layout="parse"), the same
    database the parse_server contender answers from."""

    name = "querylang_parse_pg"

    def __init__(self, url: str, scripts: bool) -> None:
        import querylang

        super().__init__(querylang.connect(url, layout="parse"), scripts)

    def close(self) -> None:
        self.db.close()


class HandSql(Contender):
    name = "hand_sql"

    def __init__(self, con: Any) -> None:
        self.cur = con.cursor()

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        return self._run(w.hand, inputs)

    def _run(self, h: Any, inputs: Inputs) -> Answer:
        ids = count = None
        if h.sql is not None:
            ids = [r[0] for r in self.cur.execute(h.sql, h.params(inputs)).fetchall()]
        if h.count_sql is not None:
            params = h.count_params(inputs) if h.count_params else []
            count = self.cur.execute(h.count_sql, params).fetchall()[0][0]
        return ids, count

    def close(self) -> None:
        self.cur.close()


class HandSqlAgain(HandSql):
    """The control: hand_sql's statements again, on a cursor of their own. It does exactly what
    hand_sql does, so its ratio to hand_sql is what the measurement alone moves a ratio by."""

    name = "hand_sql_again"


class HandBest(HandSql):
    name = "hand_best"

    def applies(self, w: Workload) -> bool:
        return w.best is not None

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        return self._run(w.best, inputs)


class Slow(Contender):
    def applies(self, w: Workload) -> bool:
        return w.slow


class Reference(Slow):
    name = "reference"

    def __init__(self, db: Any, scripts: bool) -> None:
        self.db, self.scripts = db, scripts
        # The evaluator reads every record back from DuckDB on first use: do it now, untimed.
        name = next(iter(db.schema.classes))
        db.reference(name, None, limit=0)

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        return run_steps(self.db.reference, w, inputs, self.scripts)


class Mongomock(Slow):
    name = "mongomock"

    def __init__(self, doc: dict[str, Any]) -> None:
        self.client, self.db = load_mongomock(doc)

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        return w.mongo(self.db, inputs)

    def close(self) -> None:
        self.client.close()


# --- mongomock loading ------------------------------------------------------------------------


def _mongo_value(ftype: str, v: Any) -> Any:
    if v is None:
        return None
    if ftype == "Date":
        return datetime.fromisoformat(v.replace("Z", "+00:00")).replace(tzinfo=None)
    return v


def load_mongomock(doc: dict[str, Any]) -> tuple[Any, Any]:
    """The interchange document as mongomock collections: one per class (``_id`` = objectId,
    pointers as ids, dates as datetimes), one ``_Join:<key>:<Class>`` per Relation."""
    import mongomock

    client = mongomock.MongoClient()
    db = client["bench"]
    for cls, rows in doc["records"].items():
        types = {k: spec["type"] for k, spec in doc["classes"][cls]["fields"].items()}
        types["createdAt"] = types["updatedAt"] = "Date"
        docs = []
        for r in rows:
            d = {"_id": r["objectId"]}
            for k, v in r.items():
                if k != "objectId":
                    d[k] = _mongo_value(types[k], v)
            d.setdefault("updatedAt", d["createdAt"])
            docs.append(d)
        if docs:
            db[cls].insert_many(docs)
    by_join: dict[str, list[dict[str, str]]] = {}
    for e in doc.get("relations", []):
        by_join.setdefault(f"_Join:{e['key']}:{e['class']}", []).append(
            {"owningId": e["objectId"], "relatedId": e["targetId"]}
        )
    for name, edges in by_join.items():
        db[name].insert_many(edges)
        db[name].create_index("owningId")
        db[name].create_index("relatedId")
    if "Comment" in doc["records"]:
        db["Comment"].create_index("Owner")
    return client, db

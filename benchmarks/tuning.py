"""Applied tuning, measured: each change switched off ("before") and on ("after"), paired.

Where ``proposals.py`` measures ideas against the engine as it is, this measures changes that
are in the engine, by switching each one off again on the same data and inputs:

- ``plan_cache``: ``db.compile`` of the 3-line micro script with new inputs, plan cache off/on;
- ``clean_joins``: relation queries with the existence checks (as when an edge dangles) and
  without them (``Schema.clean_joins``), SQL only;
- ``decode``: 100 Post rows through the old row decoder (``json.loads``, an f-string per date)
  and today's (orjson, ``isoformat``);
- ``count_only``: a ``limit 0, count`` query running its empty rows statement, or not;
- ``page_shapes:<workload>``: Noodl's shapes (noodl_shape.py) with the plain rows statement or
  the page shape DuckDB's dialect picks (``DuckDBDialect.rows_statement``).

    python -m benchmarks.tuning --scale L --runs 25 [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .contenders import duckdb_connection, run_steps
from .generate import SCALES, load_or_generate
from .noodl_shape import NOODL_WORKLOADS
from .proposals import Proposal, Variant, _rows, measure
from .workloads import BY_NAME, MICRO_CLASS, MICRO_SCRIPT, micro_inputs


def _old_iso(dt: datetime) -> str:
    return (
        f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:"
        f"{dt.second:02d}.{dt.microsecond // 1000:03d}Z"
    )


def tunings(db: Any) -> list[Proposal]:
    from querylang.engines.duckdb.decode import make_decoder

    con = duckdb_connection(db)
    out: list[Proposal] = []

    # Plan cache: off, then on (same inputs; "on" binds them into the kept plan).
    def compile_with(cache: bool) -> Any:
        def run(i: dict[str, Any]) -> Any:
            db.plan_cache = cache
            p = db.compile(MICRO_CLASS, MICRO_SCRIPT, inputs=i, limit=20)
            return p.sql, p.params

        return run

    db.compile(MICRO_CLASS, MICRO_SCRIPT, inputs=micro_inputs(random.Random(0), SCALES["T"]), limit=20)
    out.append(Proposal("plan_cache", "db.compile of the micro script, plan cache off / on",
                        micro_inputs, [Variant("off", compile_with(False)), Variant("on", compile_with(True))]))

    # Clean joins: the same query compiled against a schema that claims dangling edges.
    clean = db.schema
    dirty = replace(clean, clean_joins=frozenset())

    def sql_with(schema: Any, name: str) -> Any:
        step = BY_NAME[name].steps[-1]

        def run(i: dict[str, Any]) -> Any:
            db.plan_cache = False
            db.store.schema = schema
            try:
                p = db.compile(step.class_name, step.script, inputs=i, **step.options(i))
            finally:
                db.store.schema = clean
            rows = _rows(con, p.count_sql if p.count_sql and step.limit == 0 else p.sql,
                         p.count_params if p.count_sql and step.limit == 0 else p.params)
            return rows

        return run

    for name in ("groups_holding_post", "posts_in_group", "two_hop_count"):
        out.append(Proposal(f"clean_joins:{name}", f"{name}: SQL with the existence checks / without",
                            BY_NAME[name].inputs, [Variant("checks", sql_with(dirty, name)), Variant("no checks", sql_with(clean, name))]))

    # Row decoding: the old converters against today's, on the rows of regex_ci (100 Posts,
    # fetched while drawing the inputs, so only the decoding is timed).
    cls = db.schema.get("Post")
    rx = BY_NAME["regex_ci"].steps[0]
    columns = db.compile("Post", rx.script, inputs={"Pattern": "^a"}, limit=100).columns

    def post_rows(rng: Any, sc: Any) -> dict[str, Any]:
        p = db.compile("Post", rx.script, inputs=BY_NAME["regex_ci"].inputs(rng, sc), limit=100)
        return {"rows": _rows(con, p.sql, p.params)}

    def decoder(old: bool) -> Any:
        # The old converters through make_decoder's own hooks (date=, parse_json=).
        hooks: dict[str, Any] = {"date": _old_iso, "parse_json": json.loads} if old else {}

        def run(i: dict[str, Any]) -> Any:
            decode = make_decoder(cls, columns, **hooks)
            return [decode(r) for r in i["rows"]]

        return run

    out.append(Proposal("decode", "decode the rows of regex_ci (up to 100 Posts), old / new converters",
                        post_rows, [Variant("json.loads, f-string", decoder(True)), Variant("orjson, isoformat", decoder(False))]))

    # Count only: the rows statement with LIMIT 0 run anyway, or skipped.
    step = BY_NAME["two_hop_count"].steps[-1]

    def count_only(run_rows: bool) -> Any:
        def run(i: dict[str, Any]) -> Any:
            db.plan_cache = True
            p = db.compile(step.class_name, step.script, inputs=i, **step.options(i))
            if run_rows:
                _rows(con, p.sql, p.params)
            return _rows(con, p.count_sql or "", p.count_params)

        return run

    out.append(Proposal("count_only", "two_hop_count (limit 0, count): rows statement run / skipped",
                        BY_NAME["two_hop_count"].inputs, [Variant("rows run", count_only(True)), Variant("rows skipped", count_only(False))]))

    # Page shapes (DuckDBDialect.rows_statement): Noodl's limit 100 / second page, plain or shaped.
    dialect = db.store.dialect

    def shaped(w: Any, on: bool) -> Any:
        def run(i: dict[str, Any]) -> Any:
            dialect.page_shapes = on
            db.plan_cache = False  # the plan cache would keep the other variant's SQL
            try:
                return run_steps(db.query, w, i, True)
            finally:
                dialect.page_shapes = True
                db.plan_cache = True

        return run

    for w in NOODL_WORKLOADS:
        out.append(Proposal(f"page_shapes:{w.name}", f"{w.name}: db.query, plain statement / page shape",
                            w.inputs, [Variant("plain", shaped(w, False)), Variant("shaped", shaped(w, True))]))
    return out


def main(argv: list[str] | None = None) -> None:
    import querylang

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), default="S")
    ap.add_argument("--runs", type=int, default=25)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--only", action="append", default=[], metavar="PREFIX", help="only the changes whose name starts so (repeatable)")
    args = ap.parse_args(argv)
    doc = load_or_generate(args.scale, args.seed)
    db = querylang.connect()
    db.load(doc)
    del doc
    # As the runner does: the loaded data out of the collector's sight, so the collection
    # before each timed call is cheap and does not flush the CPU caches.
    gc.collect()
    gc.freeze()
    res: dict[str, Any] = {"scale": args.scale, "runs": args.runs, "tunings": {}}
    print(f"edge tables without dangling edges: {sorted(db.schema.clean_joins)}")
    print("| change | before (ms) | after (ms) | after/before (paired) | same answers |")
    print("| --- | --- | --- | --- | --- |")
    for p in tunings(db):
        if args.only and not any(p.name.startswith(o) for o in args.only):
            continue
        r = measure(p, args.runs, SCALES[args.scale], args.seed)
        res["tunings"][p.name] = r
        (bn, b), (an, a) = r["variants"].items()
        print(f"| {p.name}: {p.about} | {b['median_ms']:.4g} ({bn}) | {a['median_ms']:.4g} ({an}) | "
              f"{a['ratio_to_today']:.2f}× | {'yes' if r['agree'] else 'NO'} |")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark runner: ``python -m benchmarks --scale S|M|L|T --repeat N [--only NAME] [--json PATH]``.

Loads the seeded dataset (benchmarks/generate.py) into querylang, times the named workloads
(benchmarks/workloads.py) for every contender (benchmarks/contenders.py) on the same data and
the same inputs, and writes ``<out>/<scale>.md``, ``<scale>.png`` and ``<scale>.json``.

At scales M and L the slow contenders (reference, mongomock, parse_server) run on the S data
(``--slow-scale``), paired with a hand_sql run on that same S data; the results say so.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from . import report
from .generate import SCALES
from .noodl_shape import NOODL_BY_NAME
from .run import run
from .timing import MICRO_NAMES
from .workloads import BY_NAME

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

RESULTS = Path(__file__).parent / "results"


class _Parser(argparse.ArgumentParser):
    def _print_message(self, message: str, file: SupportsWrite[str] | None = None) -> None:
        # argparse drops an OSError here: `querylang bench --help > /dev/full` exited 0 saying
        # nothing, where the CLI's other commands exit 2 with a message (app/cli.py).
        if message:
            (file or sys.stderr).write(message)


def main(argv: list[str] | None = None) -> int:
    ap = _Parser(prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), default="S")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per workload and contender (after 1 warm-up)")
    ap.add_argument("--only", action="append", metavar="NAME", help="run only these workloads (repeatable, or comma-separated)")
    ap.add_argument("--json", type=Path, metavar="PATH", help="also write the JSON results here")
    ap.add_argument("--out", type=Path, default=RESULTS, metavar="DIR", help="results directory (default benchmarks/results)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--slow-scale", choices=list(SCALES), help="data scale for reference/mongomock/parse_server (default: the smaller of --scale and S)")
    # hand_sql is not among them: every ratio and the agreement check are taken against it
    ap.add_argument("--skip", action="append", default=[], metavar="CONTENDER",
                    choices=[c for c in report.CONTENDERS if c != "hand_sql"],
                    help="leave a contender out (repeatable; not hand_sql, the yardstick of every ratio and answer)")
    ap.add_argument("--no-load", action="store_true", help="skip the load benchmark (db.load vs raw Arrow insert)")
    ap.add_argument("--no-cache", action="store_true", help="regenerate the data instead of reading benchmarks/data/")
    ap.add_argument("--threads", type=int, metavar="N", help="also measure throughput: queries per second on 1 and on N threads (benchmarks/throughput.py)")
    ap.add_argument("--throughput-seconds", type=float, default=3.0, help="length of one throughput round (default 3 s)")
    ap.add_argument("--db", type=Path, metavar="FILE", help="query this database file instead of loading the data (XL: made by benchmarks/load_dir.py --keep-db)")
    ap.add_argument("--load-json", type=Path, metavar="PATH", help="include these benchmarks/load_dir.py results")
    ap.add_argument("--duckdb-threads", type=int, help="DuckDB threads (default: DuckDB's own, one per core)")
    ap.add_argument("--shape", choices=("issue", "noodl", "all"), default="all",
                    help="the workloads as written (issue), in Noodl's shape (limit 100 / second page; noodl_shape.py), or both")
    ap.add_argument("--with-parse", action="store_true", help="also time Parse Server on PostgreSQL (see benchmarks/parse_server.py)")
    ap.add_argument("--engine", choices=["duckdb", "postgres", "all"], default="duckdb",
                    help="postgres: querylang_pg against hand_sql_pg on a throw-away PostgreSQL "
                    "(benchmarks/postgres.py, results <scale>-postgres.md); all: DuckDB, then PostgreSQL")
    ap.add_argument("--parse-indexes", action="store_true",
                    help="with --with-parse: first add the indexes 'querylang doctor' proposes (both Parse Server and querylang_parse_pg use them)")
    if argv is None:
        argv = sys.argv[1:]
    args = ap.parse_args(argv)
    # The report's command is the flags this run was given, however it was started
    # (`querylang bench` calls main with its own arguments).
    args.command = "python -m benchmarks " + shlex.join(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    # Refused here rather than ignored (0, negative), crashing after the load (DuckDB's SET
    # threads), or timing rounds too short to count a query in (the target then read from one).
    if args.threads is not None and args.threads < 2:
        ap.error("--threads must be at least 2 (it compares one thread with N)")
    # Checked before anything runs: connecting to a missing --db made a new empty database
    # file there and then failed on its missing tables.
    if args.db is not None and not args.db.is_file():
        ap.error(f"--db {args.db}: no such database file (benchmarks/load_dir.py --keep-db FILE makes one)")
    if args.load_json is not None and not args.load_json.is_file():
        ap.error(f"--load-json {args.load_json}: no such file (benchmarks/load_dir.py --json PATH writes one)")
    if args.throughput_seconds <= 0:
        ap.error("--throughput-seconds must be more than 0")
    if args.duckdb_threads is not None and args.duckdb_threads < 1:
        ap.error("--duckdb-threads must be at least 1")
    only = [n for o in args.only or [] for n in o.split(",") if n]
    known = {**BY_NAME, **NOODL_BY_NAME}
    unknown = [n for n in only if n not in known and n not in MICRO_NAMES and n.split(":")[0] not in BY_NAME]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {[*known, *MICRO_NAMES]}")
    shaped = ([] if args.shape == "noodl" else list(BY_NAME)) + ([] if args.shape == "issue" else list(NOODL_BY_NAME))
    if only and args.engine != "postgres" and not [
        n for n in [*shaped, *MICRO_NAMES] if n in only or n.split(":")[0] in only and n not in MICRO_NAMES
    ]:
        # else a run that times nothing writes an empty report over the last one
        ap.error(f"--only {','.join(only)} with --shape {args.shape} selects no workload")
    order = list(SCALES)
    slow_scale = args.slow_scale or (args.scale if order.index(args.scale) <= order.index("S") else "S")

    # `timeout` and friends send SIGTERM: exit through the finally blocks, which stop the
    # servers --with-parse started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.engine in ("postgres", "all"):
        from .postgres import run_postgres

        # The PostgreSQL pass has the workloads only: an --only naming none of them (a
        # Noodl shape, a micro-benchmark) must not widen to every workload there.
        pg_only = [n for n in only if n in BY_NAME]
        if only and not pg_only and args.engine == "postgres":
            ap.error(f"--engine postgres runs the workloads as written only (no Noodl shapes, no micro-benchmarks): "
                     f"--only {','.join(only)} names none of {list(BY_NAME)}")
        if not only or pg_only:
            pg = run_postgres(args.scale, args.repeat, args.seed, pg_only, args.out,
                              cache=not args.no_cache, throughput_seconds=args.throughput_seconds,
                              command=args.command)
            for name, e in pg["workloads"].items():
                q = e["querylang_pg"]
                print(f"{'MET ' if q['ratio'] <= 1.2 else 'MISS'}  {name}: querylang_pg {q['ratio']:.2f}× hand_sql_pg")
            for tp in pg.get("throughput") or []:
                print(f"pool, {tp['workload']}: two threads {tp['querylang_pg']['speedup']}× one thread "
                      f"(hand_sql_pg {tp['hand_sql_pg']['speedup']}×)")
        if args.engine == "postgres":
            if args.json:  # the only results of this run (with --engine all, --json gets DuckDB's)
                args.json.parent.mkdir(parents=True, exist_ok=True)
                args.json.write_text(json.dumps(pg, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            return 0
    res = run(args, only, slow_scale)
    paths = report.write_all(res, args.out, args.json)
    print()
    print(report.console_table(res))
    print()
    for t in res["targets"]:
        print(f"{'MET ' if t['met'] else 'MISS'}  {t['target']}: {t['measured']}")
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

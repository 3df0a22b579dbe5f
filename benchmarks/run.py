"""One benchmark run (``python -m benchmarks``): the data loaded, the contenders set up, every
workload timed, the slow contenders on smaller data, the targets checked; returns the results
that benchmarks/report.py writes out."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import time
from datetime import UTC, datetime
from typing import Any

from . import contenders as C
from .describe import busy, data_info, machine, settings, version
from .generate import DIRECTORY_SCALES, SCALES, directory_or_generate, load_or_generate
from .load_doc import bench_load
from .noodl_shape import NOODL_WORKLOADS
from .progress import log
from .targets import targets
from .timing import MICRO_NAMES, quiet_gc, time_micro, time_workload
from .workloads import WORKLOADS


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux



def run(args: argparse.Namespace, only: list[str], slow_scale: str) -> dict[str, Any]:
    import duckdb

    import querylang

    load_start = [round(x, 2) for x in os.getloadavg()]
    scripts = C.script_support()
    pool = ([] if args.shape == "noodl" else WORKLOADS) + ([] if args.shape == "issue" else NOODL_WORKLOADS)
    # --only comments_of_post selects its Noodl shapes too; comments_of_post:page2 only that one
    workloads = [w for w in pool if not only or w.name in only or w.name.split(":")[0] in only]
    micro = [m for m in MICRO_NAMES if not only or m in only]
    skip = set(args.skip)
    notes: list[str] = []
    if not scripts:
        notes.append(
            "querylang.script is not importable in this checkout: querylang ran the workloads' "
            "equivalent filter objects (no script parsing), and the parse+compile row measures build+compile only."
        )

    res: dict[str, Any] = {
        "scale": args.scale,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
        "command": args.command,
        "repeat": args.repeat,
        "scripts": {
            w.name: {"about": w.about, "script": w.script, "settings": settings(w)} for w in workloads
        },
        "workloads": {},
        "notes": notes,
        "setup": {
            "querylang": f"querylang {querylang.__version__}, DuckDB {duckdb.__version__} in memory, "
            + ("filter scripts" if scripts else "filter objects (script.py missing)"),
            "hand_sql": "DuckDB SQL over querylang's own tables, values as bound parameters, rows fetched as tuples (no decoding)",
            "hand_sql_again": "the control: hand_sql's statements again on a cursor of their own; its ratio to hand_sql is what the measurement alone moves a ratio by",
            "duckdb_threads": str(args.duckdb_threads or f"DuckDB default ({os.cpu_count()} cores)"),
            "timing": "time.perf_counter around one call; gc.collect() before and the collector off during each call; "
            "the loaded data frozen out of the collector's sight (gc.freeze); contender order rotates between runs; every contender runs each input once untimed right before its timed run (the process caches of querylang_warm cleared in between, as after cold's run), so none pays for first touching the new inputs' rows and each is timed right after itself",
        },
    }

    # --- main data: load benchmark, then the fast contenders ----------------------------------
    log(f"[{args.scale}] generating / reading data ...")
    t = time.perf_counter()
    doc: Any = None
    if args.scale in DIRECTORY_SCALES or args.db:
        db = open_directory_scale(args, res)
    else:
        doc = load_or_generate(args.scale, args.seed, cache=not args.no_cache)
        res["data"] = data_info(doc, args.scale, args.seed, time.perf_counter() - t)
        db = querylang.connect()
    if args.duckdb_threads:
        C.duckdb_connection(db).execute(f"SET threads = {int(args.duckdb_threads)}")
    if doc is None:
        pass
    elif args.no_load:
        db.load(doc)
    else:
        log(f"[{args.scale}] load benchmark ...")
        db, res["load"] = bench_load(doc, db)
    if args.load_json:
        res["load_dir"] = json.loads(args.load_json.read_text(encoding="utf-8"))
    same = slow_scale == args.scale and doc is not None
    cs: list[C.Contender] = [
        C.HandSql(C.duckdb_connection(db)), C.HandBest(C.duckdb_connection(db)), C.QuerylangWarm(db, scripts), C.QuerylangCold(db, scripts),
        C.HandSqlAgain(C.duckdb_connection(db)),
    ]
    if same:
        cs += slow_contenders(db, doc, scripts, skip, res, args.with_parse, args.parse_indexes)
    cs = [c for c in cs if c.name not in skip]
    for c in cs:
        c.data_scale = args.scale
    del doc
    quiet_gc()
    try:
        for w in workloads:
            log(f"[{args.scale}] {w.name}: {', '.join(c.name for c in cs)}")
            res["workloads"][w.name] = time_workload(w, cs, args.repeat, args.seed, SCALES[args.scale])
        for name in micro:
            log(f"[{args.scale}] {name}")
            res["workloads"][name] = time_micro(name, db, scripts, args.repeat, args.seed, SCALES[args.scale])
        if args.threads:
            from . import throughput

            plain = [w for w in workloads if ":" not in w.name]
            log(f"[{args.scale}] throughput, 1 vs {args.threads} threads: {', '.join(w.name for w in plain)}")
            res["throughput"] = throughput.measure(db, plain, args.threads, args.throughput_seconds, args.seed, SCALES[args.scale], scripts)
    finally:
        for c in cs:
            c.close()
    peak = rss_mb()
    res["memory"] = {
        "peak_rss_mb": round(peak, 1),
        "about": (
            f"Peak resident memory (ru_maxrss) after loading and querying scale {args.scale}: "
            f"**{peak:,.0f} MiB**. It includes the generated interchange document as Python objects "
            "(freed after loading), querylang's checked copy of it during `db.load`, the Arrow batches and "
            "DuckDB's in-memory database"
            + (", the databases of the raw load measurements (one at a time)" if not args.no_load else "")
            + (" and the reference evaluator's and mongomock's copies of the data." if same else
               f"; measured before the slow contenders ran on the {slow_scale} data.")
        ),
    }
    db.close()
    del db, cs
    gc.unfreeze()
    gc.collect()

    # --- slow contenders on smaller data ------------------------------------------------------
    slow_names = {"reference", "mongomock"} | ({"parse_server"} if args.with_parse else set())
    if not same and workloads and slow_names - skip:
        log(f"[{slow_scale}] slow contenders on scale {slow_scale} data ...")
        sdoc = load_or_generate(slow_scale, args.seed, cache=not args.no_cache)
        sdb = querylang.connect()
        if args.duckdb_threads:
            C.duckdb_connection(sdb).execute(f"SET threads = {int(args.duckdb_threads)}")
        sdb.load(sdoc)
        scs: list[C.Contender] = [
            C.HandSql(C.duckdb_connection(sdb)),
            *slow_contenders(sdb, sdoc, scripts, skip, res, args.with_parse, args.parse_indexes),
        ]
        for c in scs:
            c.data_scale = slow_scale
        del sdoc
        quiet_gc()
        try:
            for w in [w for w in workloads if w.slow]:
                log(f"[{slow_scale}] {w.name}: {', '.join(c.name for c in scs[1:])}")
                entry = time_workload(w, scs, args.repeat, args.seed, SCALES[slow_scale])
                for name, e in entry.items():
                    if name != "hand_sql":
                        e["data_scale"] = slow_scale
                        res["workloads"][w.name][name] = e
                res["workloads"][w.name]["hand_sql"][f"median_ms_at_{slow_scale}"] = entry["hand_sql"]["median_ms"]
        finally:
            for c in scs:
                c.close()
        sdb.close()
        notes.append(
            f"reference, mongomock{' and parse_server' if args.with_parse else ''} ran on the scale {slow_scale} data "
            f"(marked @{slow_scale}); their ratios are to hand_sql on that same {slow_scale} data, run in the same pass."
        )
    res["targets"] = targets(res)
    res["load_average"] = {"start": load_start, "end": [round(x, 2) for x in os.getloadavg()]}
    if busy(load_start):
        notes.append(
            f"The machine was busy (1-minute load average {load_start[0]} at the start, "
            f"{res['load_average']['end'][0]} at the end, on {os.cpu_count()} cores): single runs vary by "
            "several ms; the paired ratios and the min_ms in the JSON are steadier than the raw medians."
        )
    return res


def open_directory_scale(args: argparse.Namespace, res: dict[str, Any]) -> Any:
    """A scale too big for one document (XL): the database file ``--db`` made by
    ``querylang load`` (benchmarks/load_dir.py --keep-db), or its directory loaded into memory."""
    import querylang

    t = time.perf_counter()
    if args.db:
        db = querylang.connect(args.db)
        how = f"opened from {args.db.name}, made by `querylang load` of the directory (benchmarks/load_dir.py)"
    else:
        path = directory_or_generate(args.scale, args.seed)
        db = querylang.connect()
        db.load(path)
        how = f"loaded from the directory {path.name} into memory"
    counts = {name: db.query(name, None, limit=0, count=True).count for name in db.schema.classes}
    edges = db.store.execute('SELECT count(*) FROM "_join:posts:Group"', [])[0][0]
    res["data"] = {
        "seed": args.seed,
        "records": counts,
        "edges": edges,
        "summary": f"scale {args.scale}, seed {args.seed}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items())
        + f", {edges:,} Group.posts edges; written as an interchange directory by benchmarks/generate.py, {how} in "
        f"{time.perf_counter() - t:.1f} s.",
    }
    return db


def slow_contenders(
    db: Any, doc: dict[str, Any], scripts: bool, skip: set[str], res: dict[str, Any], with_parse: bool,
    parse_indexes: bool = False,
) -> list[C.Contender]:
    out: list[C.Contender] = []
    try:
        if "reference" not in skip:
            out.append(C.Reference(db, scripts))
        if "mongomock" not in skip:
            t = time.perf_counter()
            out.append(C.Mongomock(doc))
            res["setup"]["mongomock"] = (
                f"mongomock {version('mongomock')}: one collection per class (_id = objectId, pointers as ids, dates as "
                f"datetimes), Relations as _Join:<key>:<Class> collections with indexes on both ends; loaded in {time.perf_counter() - t:.1f} s"
            )
        if with_parse and "parse_server" not in skip:
            log("parse_server: starting PostgreSQL and Parse Server, loading the data through REST ...")
            p = _parse_contender(doc, res)
            if p is not None:
                out.append(p)
                uri = p.pg.uri  # type: ignore[attr-defined]
                if parse_indexes:
                    res["setup"]["parse_indexes"] = _add_parse_indexes(uri)
                if "querylang_parse_pg" not in skip:
                    out.append(C.QuerylangParsePg(uri, scripts))
                    res["setup"]["querylang_parse_pg"] = (
                        "querylang in place on the parse_server contender's own PostgreSQL tables "
                        "(connect(url, layout='parse'), read-only), plan cache warm; "
                        + ("Parse's default indexes and those 'querylang doctor' proposes (parse_indexes)" if parse_indexes
                           else "Parse's default indexes only")
                    )
            else:
                res["notes"].append("parse_server was requested (--with-parse) but could not run: " + res["setup"]["parse_server"])
    except BaseException:
        # What started (a Parse Server and its PostgreSQL) stops again: the caller only
        # closes the contenders this returns.
        for c in out:
            with contextlib.suppress(Exception):
                c.close()
        raise
    return out


def _add_parse_indexes(uri: str) -> str:
    """Run what `querylang doctor` proposes on the Parse database (as its owner), then ANALYZE."""
    import psycopg

    import querylang

    with querylang.connect(uri, layout="parse") as db:
        statements = db.missing_indexes()
    with psycopg.connect(uri, autocommit=True) as con:
        for stmt in statements:
            con.execute(stmt)
        con.execute("ANALYZE")
    log(f"parse_server: added {len(statements)} indexes (querylang doctor)")
    return "indexes added before timing (querylang doctor's statements): " + " ".join(statements)


def _parse_contender(doc: dict[str, Any], res: dict[str, Any]) -> C.Contender | None:
    from . import parse_server

    try:
        return parse_server.ParseServerContender(doc, res["setup"])
    except parse_server.Unavailable as exc:
        res["setup"]["parse_server"] = f"not run: {exc}"
        log(f"parse_server: not run: {exc}")
        return None

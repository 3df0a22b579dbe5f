"""The PostgreSQL pass of the benchmark: ``python -m benchmarks --engine postgres|all``.

A throw-away PostgreSQL (querylang/engines/postgres/cluster.py) gets the same seeded data
through ``db.load`` (COPY); then, for every workload, on the same inputs:

- ``querylang_pg``: ``db.query`` with the filter script on the PostgreSQL database (warm: the
  plan cache binds new inputs into a kept plan; the pool's connection keeps psycopg's prepared
  statements);
- ``hand_sql_pg``: the best PostgreSQL SQL a person would write for the workload over the same
  tables and indexes (HAND below), values bound as parameters, rows fetched as tuples, on one
  psycopg connection;
- ``hand_sql_pg_again``: the control, the same statements on a second connection.

Each workload is timed with the client's thread and the server's backends pinned to one CPU,
then with them free (placement.py says why both).

And the pool: pointer, relation and scan workloads run by one thread, then by two threads at
once (each its own inputs), as queries per second, with hand_sql_pg's own figures beside them;
on two cores two readers should get about twice one's.

Results: ``benchmarks/results/<scale>-postgres.md`` and ``.json``.
"""

from __future__ import annotations

import gc
import json
import os
import random
import re
import statistics
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import contenders as C
from .describe import BUSY_LOAD, busy
from .generate import SCALES, load_or_generate
from .placement import Placement
from .report import tuning_section
from .timing import quiet_gc
from .workloads import COMMENT_COLS, GROUP_COLS, POST_COLS, POSTS_JOIN, WORKLOADS, Inputs, Workload

Hand = tuple[str | None, Callable[[Inputs], list[Any]], str | None, Callable[[Inputs], list[Any]] | None]


def _date(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC)


# Hand-written PostgreSQL per workload: (rows SQL, its params, count SQL, its params).
HAND: dict[str, Hand] = {
    "comments_of_post": (
        f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "Owner" = %s ORDER BY "objectId"', lambda i: [i["Post"]], None, None),
    "posts_in_group": (
        f"SELECT {', '.join('p.' + c for c in POST_COLS.split(', '))} FROM {POSTS_JOIN} AS e "
        'JOIN "Post" AS p ON p."objectId" = e.related_id WHERE e.owning_id = %s ORDER BY p."objectId"',
        lambda i: [i["Group"]], None, None),
    "groups_holding_post": (
        f'SELECT {GROUP_COLS} FROM "Group" WHERE "objectId" IN '
        f'(SELECT owning_id FROM {POSTS_JOIN} WHERE related_id = %s) ORDER BY "objectId"',
        lambda i: [i["Post"]], None, None),
    "likes_range_recent": (
        f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "likes" >= %s AND "likes" < %s '
        'ORDER BY "createdAt" DESC NULLS LAST, "objectId" LIMIT 20',
        lambda i: [i["Min"], i["Max"]], None, None),
    "regex_ci": (
        f'SELECT {POST_COLS} FROM "Post" WHERE "title" ~* %s ORDER BY "objectId" LIMIT 100',
        lambda i: [i["Pattern"]], None, None),
    # The GIN-indexed element keys (JSON text of each element), as querylang keeps them.
    "tags_contained_in": (
        f'SELECT {POST_COLS} FROM "Post" WHERE "tags:e" && %s::text[] ORDER BY "objectId" LIMIT 100',
        lambda i: [[json.dumps(t, ensure_ascii=False) for t in i["Tags"]]], None, None),
    "or_two": (
        f'SELECT {POST_COLS} FROM "Post" WHERE "likes" > %s OR "category" = %s ORDER BY "objectId" LIMIT 100',
        lambda i: [i["Likes"], i["Category"]], None, None),
    "two_hop_count": (
        None, lambda i: [],
        f'SELECT count(*) FROM "Comment" WHERE "Owner" IN (SELECT related_id FROM {POSTS_JOIN} WHERE owning_id = %s)',
        lambda i: [i["Group"]]),
    "count_paging": (
        f'SELECT {COMMENT_COLS} FROM "Comment" WHERE "flagged" = false '
        'ORDER BY "createdAt" DESC NULLS LAST, "objectId" LIMIT 20 OFFSET %s',
        lambda i: [i["Page"] * 20],
        'SELECT count(*) FROM "Comment" WHERE "flagged" = false', lambda i: []),
    "ten_conditions": (
        f'SELECT {POST_COLS} FROM "Post" WHERE "published" = true AND "likes" >= %s AND "likes" < 100000 '
        'AND "rating" > %s AND "category" IN (%s, %s, %s) AND "category" <> \'misc\' AND "title" IS NOT NULL '
        'AND "tags" IS NOT NULL AND "meta" IS NOT NULL AND "location:lat" IS NOT NULL '
        'AND "publishedAt" > %s AND "author" IS DISTINCT FROM %s '
        'ORDER BY "likes" DESC NULLS LAST, "objectId" LIMIT 100',
        lambda i: [i["MinLikes"], i["MinRating"], *i["Categories"], _date(i["Since"]), i["NotAuthor"]], None, None),
}


def _text_dates(sql: str | None) -> str | None:
    """The same statement reading each date of its select list from the stored ISO text beside
    it (querylang's PostgreSQL layout keeps one per date column) instead of the timestamptz."""
    if sql is None:
        return None
    select, rest = sql.split(" FROM ", 1)
    return re.sub(r'"(createdAt|updatedAt|publishedAt)"', r'"\1:iso"', select) + " FROM " + rest


# hand_sql_pg with the dates as text: the same rows and values, a cheaper form of the dates.
HAND_TEXT_DATES: dict[str, Hand] = {k: (_text_dates(v[0]), v[1], v[2], v[3]) for k, v in HAND.items()}


class HandSqlPg(C.Contender):
    name = "hand_sql_pg"
    statements = HAND

    def __init__(self, url: str) -> None:
        import psycopg

        self.con = psycopg.connect(url, autocommit=True)

    def run(self, w: Workload, inputs: Inputs) -> C.Answer:
        sql, params, count_sql, count_params = self.statements[w.name]
        ids = count = None
        if sql is not None:
            ids = [r[0] for r in self.con.execute(sql, params(inputs)).fetchall()]
        if count_sql is not None:
            row = self.con.execute(count_sql, count_params(inputs) if count_params else []).fetchone()
            count = row[0] if row else None
        return ids, count

    def close(self) -> None:
        self.con.close()


class HandSqlPgAgain(HandSqlPg):
    """The control: the same hand SQL on a second connection. It runs the very statements
    hand_sql_pg runs, so its ratio to hand_sql_pg is what the measurement alone moves by."""

    name = "hand_sql_pg_again"


class HandSqlPgTextDates(HandSqlPg):
    """hand_sql_pg reading the stored ISO text of each date (querylang's records show dates as
    that text) instead of the timestamptz, which the server prints and the driver parses."""

    name = "hand_sql_pg_text_dates"
    statements = HAND_TEXT_DATES


class QuerylangPg(C.QuerylangWarm):
    name = "querylang_pg"


def _log(msg: str) -> None:
    import sys

    print(msg, file=sys.stderr, flush=True)


def _same(a: C.Answer, b: C.Answer) -> bool:
    return all(x == y for x, y in zip(a, b, strict=True) if x is not None and y is not None)


def time_pair(
    w: Workload, hand: C.Contender, ql: C.Contender, control: C.Contender, repeat: int, seed: int, sc: Any,
    extra: tuple[C.Contender, ...] = (),
) -> dict[str, Any]:
    """Run 0 warms up; runs 1..repeat are timed, the contenders on the same inputs, in an order
    drawn anew each run; each ratio to ``hand`` is the median of the paired ratios. ``control``
    (the hand SQL again, on its own connection) shows how far the measurement alone moves a ratio.

    Drawn, not rotated: rotated, each contender always came right after the same other one, and
    the one after querylang_pg ran slower than the very same statements placed elsewhere in the
    order (the control showed it; the S-postgres.md Tuning section has the figures). The
    collector is off during each timed call, as in the DuckDB runs (timing.py): a collection
    fell on whichever call crossed its threshold, often one after the call that allocated."""
    rng = random.Random(f"{seed}:{w.name}:{sc.name}:pg")
    shuffle = random.Random(f"{seed}:{w.name}:{sc.name}:pg-order").shuffle
    others = [ql, control, *extra]
    contenders = [hand, *others]
    times: dict[str, list[float]] = {c.name: [] for c in contenders}
    agrees = {c.name: True for c in others}  # each its own: a wrong control is not querylang's
    for i in range(repeat + 1):
        inp = w.inputs(rng, sc)
        order = contenders[:]
        shuffle(order)
        answers: dict[str, C.Answer] = {}
        for c in order:
            c.run(w, inp)  # untimed, right before: the rows in the server's buffers, the backend awake
            gc.disable()
            t = time.perf_counter()
            try:
                answers[c.name] = c.run(w, inp)
                dt = time.perf_counter() - t
            finally:
                gc.enable()
            if i:
                times[c.name].append(dt)
        for c in others:
            agrees[c.name] = agrees[c.name] and _same(answers[c.name], answers[hand.name])
    th = times[hand.name]
    out: dict[str, Any] = {hand.name: _summary(th)}
    for c in others:
        tc = times[c.name]
        out[c.name] = _summary(tc) | {"ratio": round(statistics.median(q / h for q, h in zip(tc, th, strict=True)), 3),
                                      "agrees": agrees[c.name]}
    return out


def _summary(ts: list[float]) -> dict[str, Any]:
    return {"median_ms": round(statistics.median(ts) * 1e3, 4), "min_ms": round(min(ts) * 1e3, 4), "runs": len(ts)}


THROUGHPUT_WORKLOADS = ("comments_of_post", "posts_in_group", "groups_holding_post", "likes_range_recent")


def server_cpu(data: Path) -> float | None:
    """CPU seconds used so far by the cluster's processes (the postmaster's children: the
    backends and background workers); None where they cannot be read."""
    try:
        postmaster = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def throughput(db: Any, w: Workload, sc: Any, seed: int, url: str, seconds: float = 3.0,
               data: Path | None = None) -> dict[str, Any]:
    """Queries per second with one thread, then with two threads at once: querylang through
    its pool, and hand_sql_pg with a connection per thread beside it (the floor: the client and
    the server share the same two cores, so a query that costs the client more than the
    server cannot double). Beside each, the CPU a query took in the client's process and in
    the server's (``data``: the cluster's data directory): the client's Python runs one thread
    at a time (the interpreter lock), so two threads get at most 1 + server / client."""
    scripts = C.script_support()

    def qps(run: Callable[[int, Inputs], Any], threads: int, length: float) -> dict[str, float | None]:
        counts = [0] * threads
        server0, client0 = server_cpu(data) if data else None, time.process_time()
        stop = time.perf_counter() + length

        def worker(k: int) -> None:
            rng = random.Random(f"{seed}:{w.name}:thread{k}")
            n = 0
            while True:  # at least one query each, however late the thread starts
                run(k, w.inputs(rng, sc))
                n += 1
                if time.perf_counter() >= stop:
                    break
            counts[k] = n

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        n = sum(counts)
        server1 = server_cpu(data) if data else None
        return {"qps": round(n / length, 1), "client_us": round((time.process_time() - client0) / n * 1e6, 1),
                "server_us": None if server0 is None or server1 is None else round((server1 - server0) / n * 1e6, 1)}

    hands = [HandSqlPg(url), HandSqlPg(url)]
    contenders: dict[str, Callable[[int, Inputs], Any]] = {
        "querylang_pg": lambda k, i: C.run_steps(db.query, w, i, scripts),
        "hand_sql_pg": lambda k, i: hands[k].run(w, i),
    }
    out: dict[str, Any] = {"workload": w.name, "seconds": seconds}
    try:
        for name, run in contenders.items():
            qps(run, 2, 0.5)  # warm: the plan kept, each thread's connection made
            one, two = qps(run, 1, seconds), qps(run, 2, seconds)
            out[name] = {"qps_1": one["qps"], "qps_2": two["qps"],
                         "speedup": round(two["qps"] / one["qps"], 2) if one["qps"] else None,  # type: ignore[operator]
                         "client_us_1": one["client_us"], "server_us_1": one["server_us"],
                         "client_us_2": two["client_us"], "server_us_2": two["server_us"]}
    finally:
        for h in hands:
            h.close()
    return out


def run_postgres(scale: str, repeat: int, seed: int, only: list[str], out_dir: Path, cache: bool = True,
                 throughput_seconds: float = 3.0, command: str | None = None) -> dict[str, Any]:
    import psycopg

    import querylang
    from querylang.engines.postgres.cluster import Cluster

    sc = SCALES[scale]
    workloads = [w for w in WORKLOADS if not only or w.name in only]
    cluster = Cluster("bench", prefix="ql-bench-pgq-")
    res: dict[str, Any] = {
        "scale": scale, "engine": "postgres", "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "repeat": repeat, "command": command or f"python -m benchmarks --engine postgres --scale {scale} --repeat {repeat}",
        "server": cluster.version, "psycopg": psycopg.__version__, "cores": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()], "workloads": {},
    }
    try:
        doc = load_or_generate(scale, seed, cache=cache)
        db = querylang.connect(cluster.url())
        _log(f"[{scale} postgres] loading ...")
        t = time.perf_counter()
        counts = db.load(doc)
        res["load_s"] = round(time.perf_counter() - t, 2)
        res["records"] = sum(counts.values())
        del doc
        quiet_gc()
        with psycopg.connect(cluster.url(), autocommit=True) as con:
            con.execute("VACUUM ANALYZE")
        hand, ql = HandSqlPg(cluster.url()), QuerylangPg(db, C.script_support())
        control = HandSqlPgAgain(cluster.url())
        text_dates = HandSqlPgTextDates(cluster.url())
        try:
            for c in (hand, ql, control, text_dates):  # every connection open before the backends are pinned
                c.run(workloads[0], workloads[0].inputs(random.Random(seed), sc))
            place = Placement(cluster.url())
            pinned = place.pin()
            place.free()
            res["placement"] = place.describe()
            res["workloads_free"] = {}
            # Pinned first (the target's ratio), then free; free only where pinning is refused.
            placements = [(place.pin, "workloads"), (place.free, "workloads_free")] if pinned else [(place.free, "workloads")]
            for w in workloads:
                _log(f"[{scale} postgres] {w.name}")
                for placed, into in placements:
                    placed()
                    res[into][w.name] = time_pair(w, hand, ql, control, repeat, seed, sc, (text_dates,))
            res["throughput"] = []
            for w in workloads:
                if w.name in THROUGHPUT_WORKLOADS:
                    _log(f"[{scale} postgres] throughput, 1 and 2 threads ({w.name})")
                    res["throughput"].append(throughput(db, w, sc, seed, cluster.url(), throughput_seconds, cluster.data))
        finally:
            hand.close()
            control.close()
            text_dates.close()
            db.close()
    finally:
        cluster.stop()
    res["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    write(res, out_dir)
    return res


def markdown(res: dict[str, Any]) -> str:
    out = [f"# PostgreSQL benchmarks at scale {res['scale']}", ""]
    out.append(f"Run {res['date']}; {res['server']}, psycopg {res['psycopg']}, {res['cores']} cores; "
               f"load average {res['load_average_start']} → {res['load_average_end']}. "
               f"Command: `{res['command']}`.")
    out.append("")
    out.append(f"Data: {res['records']:,} records loaded by `db.load` (COPY, one transaction) in {res['load_s']} s.")
    out.append("")
    out.append("Medians of the timed runs after one warm-up, every run new inputs, the same for all contenders, "
               "in an order drawn anew each run; each contender runs the run's inputs once, untimed, right before its timed "
               "run (the rows in the server's buffers and its backend awake); a ratio is the median of the paired "
               "ratios to hand_sql_pg. Target: querylang_pg ≤ 1.2×. The control, hand_sql_pg_again, runs the "
               "very same statements as hand_sql_pg on a second connection: its ratio is what the measurement "
               "alone moves by.")
    out.append("")
    free = res.get("workloads_free") or {}
    place = res.get("placement") or {}
    if free:
        out.append(f"Each workload is timed twice. First with the client's thread and every server backend pinned to "
                   f"CPU {place['pinned_to'][0]} (the ratio the target is read from), then free, where the scheduler "
                   "places them. A sub-millisecond query is a ping-pong between the client and one backend: "
                   "on the client's CPU each hand-over is a switch, on the other CPU it wakes a halted virtual "
                   "CPU, which costs about as much as the query, and which CPU a backend gets changes from "
                   "one moment to the next (benchmarks/placement.py). Pinned, the ratios measure the work "
                   "both contenders do; free, they also measure where each backend happened to run, as "
                   "the control's free ratios show.")
    elif place.get("problem"):
        out.append(f"Placement: free only, {place['problem']}; small queries' ratios then also measure "
                   "which CPU each backend happened to run on (benchmarks/placement.py).")
    out.append("")
    head = ("| workload | hand_sql_pg ms | querylang_pg ms | ratio | within 1.2× | fastest runs' ratio | control ratio |"
            " hand, dates as text: ratio | querylang_pg to it |")
    rule = "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    if free:
        head += " ratio, free | control, free |"
        rule += " --- | --- |"
    out += [head + " same answer |", rule + " --- |"]
    for name, e in res["workloads"].items():
        h, q = e["hand_sql_pg"], e["querylang_pg"]
        row = (f"| {name} | {h['median_ms']:.3f} | {q['median_ms']:.3f} | {q['ratio']:.2f} | "
               f"{'yes' if q['ratio'] <= 1.2 else '**no**'} | {q['min_ms'] / h['min_ms']:.2f} | "
               f"{_ratio(e, 'hand_sql_pg_again')} | {_ratio(e, 'hand_sql_pg_text_dates')} | {_to_text_dates(e)} |")
        if free:
            f = free.get(name, {})
            row += f" {_ratio(f, 'querylang_pg')} | {_ratio(f, 'hand_sql_pg_again')} |"
        wrong = [c for c, x in e.items() if c != "querylang_pg" and x.get("agrees") is False]
        out.append(row + f" {'yes' if q['agrees'] else '**NO**'}{' (**NO**: ' + ', '.join(wrong) + ')' if wrong else ''} |")
    out.append("")
    out.append("The fastest runs' ratio (min_ms / min_ms) is the steadier figure when the machine is busy: "
               "a single run of a sub-millisecond query varies by several times its length.")
    out.append("")
    out.append(_busy_note(res))
    out.append("")
    tps = res.get("throughput") or []
    if tps:
        out.append("## Many readers")
        out.append("")
        out.append(f"Queries per second on one thread and on two threads at once ({tps[0]['seconds']} s each, after a "
                   "warm-up): querylang_pg through its pool, hand_sql_pg with a connection per thread. Target: "
                   "querylang_pg ≈ 2× on two cores. The client and the server share those two cores, so a query "
                   "that costs the client as much as the server cannot double; hand_sql_pg shows that floor.")
        out.append("")
        out.append("| workload | querylang_pg 1 thread | 2 threads | speed-up | hand_sql_pg 1 thread | 2 threads | speed-up |")
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        for tp in tps:
            q, h = tp["querylang_pg"], tp["hand_sql_pg"]
            out.append(f"| {tp['workload']} | {q['qps_1']} | {q['qps_2']} | {q['speedup']}× | "
                       f"{h['qps_1']} | {h['qps_2']} | {h['speedup']}× |")
        out.append("")
        if any(tp["querylang_pg"].get("server_us_1") is not None for tp in tps):
            out.extend(_cpu_table(tps))
    out.append("## Setup")
    out.append("")
    out.append("- **querylang_pg**: `db.query` with the workload's filter script on `querylang.connect(postgresql://…)`; "
               "the plan cache binds new inputs into the kept plan; records decoded as for DuckDB.")
    out.append("- **hand_sql_pg**: hand-written PostgreSQL (benchmarks/postgres.py, HAND) over the same tables and "
               "indexes, values bound, rows fetched as tuples, not decoded; one autocommit connection.")
    out.append("- **hand_sql_pg_again**: the control, hand_sql_pg's statements on a second autocommit connection.")
    out.append("- **hand_sql_pg_text_dates**: hand_sql_pg's statements reading each date from the ISO text "
               "querylang's layout stores beside it (`<date>:iso`) instead of the timestamptz: the same rows and "
               "values, the dates in the form querylang's records give them, which the server need not print "
               "nor the driver parse. Its ratio is to hand_sql_pg; querylang_pg's ratio to it is the quotient "
               "of the two medians.")
    out.append("- The server: a throw-away cluster on loopback (fsync off), default settings otherwise.")
    return "\n".join(out) + "\n"


def _ceiling(e: dict[str, Any]) -> str:
    """Two threads' queries per second at most: the client's CPU per query under the lock, the
    client's and the server's on the two cores."""
    client, server = e.get("client_us_1"), e.get("server_us_1")
    return f"{min(1e6 / client, 2e6 / (client + server)):.0f}" if client and server else ""


def _cpu_table(tps: list[dict[str, Any]]) -> list[str]:
    """Where a query's CPU goes, on one thread, and what two threads can reach with it."""
    out = ["CPU per query on one thread, in the client's process (all its threads) and in the server's "
           "processes. The client's Python runs one thread at a time (the interpreter lock), so two threads "
           "get at most 10⁶ / client µs queries per second, and the two cores at most 2·10⁶ / (client + server) µs: "
           "the ceiling is the lower of the two. Where the client's share passes the server's, the lock binds "
           "first and two threads cannot double what one thread would get without waiting; a thread that waits "
           "for a halted CPU to wake (placement.py) gets less, so a speed-up past the ceiling's ratio is "
           "possible. The ceiling counts all the client's CPU as held under the lock (libpq's sending and "
           "receiving is not), so it is a little low.", "",
           "| workload | querylang_pg client µs | server µs | 2 threads' ceiling (q/s) | hand_sql_pg client µs | server µs | ceiling (q/s) |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for tp in tps:
        q, h = tp["querylang_pg"], tp["hand_sql_pg"]
        out.append(f"| {tp['workload']} | {q['client_us_1']} | {q['server_us_1']} | {_ceiling(q)} | "
                   f"{h['client_us_1']} | {h['server_us_1']} | {_ceiling(h)} |")
    out.append("")
    return out


def _to_text_dates(entry: dict[str, Any]) -> str:
    """querylang_pg against hand_sql_pg_text_dates: the ratio of the two paired ratios' medians."""
    t = entry.get("hand_sql_pg_text_dates", {}).get("ratio")
    return "" if not t else f"{entry['querylang_pg']['ratio'] / t:.2f}"


def _ratio(entry: dict[str, Any], contender: str) -> str:
    r = entry.get(contender, {}).get("ratio")
    return "" if r is None else f"{r:.2f}"


def _busy_note(res: dict[str, Any]) -> str:
    load = res["load_average_start"][0]
    if not busy(res["load_average_start"]):
        return f"The machine was quiet when the run started (1-minute load average at most {BUSY_LOAD})."
    return (f"The machine was busy (1-minute load average {load} on {res['cores']} cores at the start, other "
            "work running): the server, the client and that work share the cores, so medians and "
            "ratios of small queries move by 2-3× from one run to the next; the two contenders' "
            "statements get the same server plans (EXPLAIN), and what querylang_pg adds on the client "
            "(planning from the cache, decoding rows into records) is tens of microseconds per query "
            "plus the decoding. Re-run on a quiet machine for figures to compare with the 1.2× target.")


def write(res: dict[str, Any], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{res['scale']}-postgres.md"
    js = out_dir / f"{res['scale']}-postgres.json"
    old = md.read_text(encoding="utf-8") if md.exists() else None
    md.write_text(markdown(res) + "\n" + tuning_section(old), encoding="utf-8")
    js.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [md, js]

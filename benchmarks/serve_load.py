"""Load test of ``querylang serve`` beside Parse Server, on the same data, over loopback.

    python -m benchmarks.serve_load [--scale S] [--ops 10000] [--clients 20] [--without-parse]

Both servers get the benchmark dataset (benchmarks/generate.py) plus a ``Counter`` class, and
the same bounded run: ``--ops`` requests split over ``--clients`` threads, each with its own
keep-alive connection and its own seeded mix of reads and writes (below). Nothing may fail,
and no write may be lost: at the end every created comment must be there with exactly the
likes its client added, every deleted one gone, the class count must add up, and each shared
counter must hold the number of increments all clients sent it. p50/p99 latency per server
and per operation, and throughput, go to ``benchmarks/results/serve-load.md``.

querylang serve runs as its own process (``python -m querylang serve --db FILE``) on a DuckDB
file; Parse Server 9 on PostgreSQL comes from benchmarks/parse_server.py (npm, apt), loaded
through its REST batch API. The run stops with an error if it passes ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parent
APP_ID = "querylang-load"
MASTER_KEY = "querylang-load-master"
COUNTERS = 5

# The mix: (operation, weight). Reads are what a Noodl app mostly does; writes include
# Increment on counters every client shares, the case where an update could be lost.
MIX = [
    ("comments_of_post", 30),   # Query Records: a Post's comments, newest first
    ("posts_count", 10),        # a filtered, counted page
    ("get_post", 10),           # GET /classes/Post/<id>
    ("posts_in_group", 10),     # $relatedTo
    ("create_comment", 15),
    ("increment_own", 10),      # Increment likes on a comment this client created
    ("increment_shared", 10),   # Increment a Counter all clients share
    ("delete_own", 5),
]


def ptr(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


@dataclass
class Target:
    """A running server: where it listens and how to stop it."""

    name: str
    port: int
    mount: str
    app_id: str
    master_key: str
    about: str
    stop: Callable[[], None]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def request(self, con: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"X-Parse-Application-Id": self.app_id, "X-Parse-Master-Key": self.master_key}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        con.request(method, self.mount + path, body=data, headers=headers)
        resp = con.getresponse()
        payload = resp.read()
        return resp.status, (json.loads(payload) if payload else None)


# --- the servers --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_health(port: int, mount: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            con.request("GET", mount + "/health")
            if con.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no /health answer within {seconds:.0f} s")


def start_querylang(doc: dict[str, Any], tmp: Path) -> Target:
    import querylang

    path = tmp / "load.duckdb"
    t = time.perf_counter()
    with querylang.connect(path) as db:
        db.load(doc)
    took = time.perf_counter() - t
    port = _free_port()
    log = open(tmp / "querylang-serve.log", "wb")  # noqa: SIM115 (closed in stop)
    proc = subprocess.Popen(
        [sys.executable, "-m", "querylang", "serve", "--db", str(path), "--host", "127.0.0.1", "--port", str(port),
         "--app-id", APP_ID, "--master-key", MASTER_KEY],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

    try:
        _wait_health(port, "/parse", proc)
    except BaseException:
        stop()
        raise
    about = (f"querylang serve (uvicorn, one process; database calls one at a time on one thread) over a "
             f"DuckDB file, each write committed durably (DuckDB's WAL); loaded with db.load in {took:.1f} s")
    return Target("querylang serve", port, "/parse", APP_ID, MASTER_KEY, about, stop)


def start_parse(doc: dict[str, Any]) -> Target:
    from benchmarks import parse_server as ps

    pg = ps.Postgres()
    try:
        server = ps.ParseServer(pg)
        t = time.perf_counter()
        ps.load(server, pg, doc)
        took = time.perf_counter() - t
    except BaseException:
        if "server" in locals():
            server.stop()
        pg.stop()
        raise

    def stop() -> None:
        server.stop()
        pg.stop()

    about = (f"parse-server {server.version} (node, one process, a pool of PostgreSQL connections) on "
             f"{pg.version} started with fsync and synchronous_commit off (benchmarks/parse_server.py), "
             f"both on 127.0.0.1; loaded through REST batches in {took:.0f} s")
    return Target("parse-server", server.port, server.mount, ps.APP_ID, ps.MASTER_KEY, about, stop)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class ClientLog:
    """What one client did and saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    likes: dict[str, int] = field(default_factory=dict)  # comments it created and kept → likes added
    deleted: list[str] = field(default_factory=list)
    shared: dict[str, int] = field(default_factory=dict)  # counter → increments sent


def client(target: Target, index: int, ops: int, posts: list[str], groups: list[str], deadline: float) -> ClientLog:
    rng = random.Random(1000 + index)
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]
    out = ClientLog()
    con = target.connection()
    made = 0
    try:
        for _ in range(ops):
            if time.monotonic() > deadline:
                out.errors.append("time limit reached before all operations ran")
                break
            op = rng.choices(names, weights)[0]
            if op in ("increment_own", "delete_own") and not out.likes:
                op = "create_comment"
            method, path, body = "GET", "", None
            if op == "comments_of_post":
                where = json.dumps({"Owner": ptr("Post", rng.choice(posts))})
                path = "/classes/Comment?" + _qs(where=where, order="-createdAt", limit=20)
            elif op == "posts_count":
                path = "/classes/Post?" + _qs(where=json.dumps({"likes": {"$gt": rng.randint(0, 900)}}), limit=10, count=1)
            elif op == "get_post":
                path = f"/classes/Post/{rng.choice(posts)}"
            elif op == "posts_in_group":
                where = json.dumps({"$relatedTo": {"object": ptr("Group", rng.choice(groups)), "key": "posts"}})
                path = "/classes/Post?" + _qs(where=where, limit=50)
            elif op == "create_comment":
                made += 1
                oid = f"L{index:02d}x{made:05d}"
                method, path = "POST", "/classes/Comment"
                body = {"objectId": oid, "text": "load test", "likes": 0, "flagged": False,
                        "Owner": ptr("Post", rng.choice(posts))}
            elif op == "increment_own":
                oid = rng.choice(sorted(out.likes))
                method, path, body = "PUT", f"/classes/Comment/{oid}", {"likes": {"__op": "Increment", "amount": 1}}
            elif op == "increment_shared":
                oid = f"k{rng.randrange(COUNTERS)}"
                method, path, body = "PUT", f"/classes/Counter/{oid}", {"n": {"__op": "Increment", "amount": 1}}
            else:  # delete_own
                oid = rng.choice(sorted(out.likes))
                method, path = "DELETE", f"/classes/Comment/{oid}"
            t = time.perf_counter()
            try:
                status, answer = target.request(con, method, path, body)
            except (OSError, http.client.HTTPException) as exc:
                con.close()
                con = target.connection()
                out.errors.append(f"{op}: {type(exc).__name__}: {exc}")
                continue
            out.latencies.setdefault(op, []).append(time.perf_counter() - t)
            if status >= 300:
                out.errors.append(f"{op}: HTTP {status}: {str(answer)[:200]}")
                continue
            if op == "create_comment":
                out.likes[oid] = 0
            elif op == "increment_own":
                out.likes[oid] += 1
            elif op == "increment_shared":
                out.shared[oid] = out.shared.get(oid, 0) + 1
            elif op == "delete_own":
                del out.likes[oid]
                out.deleted.append(oid)
    finally:
        con.close()
    return out


def _qs(**params: Any) -> str:
    import urllib.parse

    return urllib.parse.urlencode(params)


def run(target: Target, ops: int, clients: int, posts: list[str], groups: list[str], initial_comments: int,
        max_seconds: float, solo_ops: int) -> dict[str, Any]:
    """Warm up, run the clients, then one client alone (latency without queueing), then check
    that every write of both phases is there."""
    con = target.connection()
    for p in posts[:50]:
        target.request(con, "GET", f"/classes/Post/{p}")
    con.close()
    logs: list[ClientLog] = [ClientLog()] * clients
    per_client = [ops // clients + (1 if i < ops % clients else 0) for i in range(clients)]
    deadline = time.monotonic() + max_seconds

    def work(i: int) -> None:
        logs[i] = client(target, i, per_client[i], posts, groups, deadline)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    solo = client(target, clients, solo_ops, posts, groups, time.monotonic() + max_seconds)
    lat: dict[str, list[float]] = {}
    for log in logs:
        for op, xs in log.latencies.items():
            lat.setdefault(op, []).extend(xs)
    done = sum(len(x) for x in lat.values())
    return {
        "wall": wall, "done": done, "latencies": lat,
        "solo": [x for xs in solo.latencies.values() for x in xs],
        "errors": [e for log in [*logs, solo] for e in log.errors],
        "lost": verify(target, [*logs, solo], initial_comments),
    }


def verify(target: Target, logs: list[ClientLog], initial_comments: int) -> dict[str, Any]:
    """Every acknowledged write must be visible: returns what was checked and what was missing."""
    con = target.connection()
    likes = {oid: n for log in logs for oid, n in log.likes.items()}
    deleted = [oid for log in logs for oid in log.deleted]
    problems: list[str] = []
    ids = sorted(likes) + deleted
    found: dict[str, Any] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        status, ans = target.request(con, "POST", "/classes/Comment", {
            "_method": "GET", "where": {"objectId": {"$in": chunk}}, "limit": len(chunk), "keys": "likes"})
        if status != 200:
            problems.append(f"verification query failed: HTTP {status} {ans}")
            break
        found.update({r["objectId"]: r.get("likes") for r in ans["results"]})
    for oid, n in likes.items():
        if found.get(oid) != n:
            problems.append(f"Comment {oid}: likes {found.get(oid)!r}, expected {n}")
    problems += [f"Comment {oid} was deleted but is still there" for oid in deleted if oid in found]
    status, ans = target.request(con, "POST", "/classes/Comment", {
        "_method": "GET", "where": {"objectId": {"$exists": True}}, "limit": 0, "count": 1})
    expected_total = initial_comments + len(likes)
    if ans.get("count") != expected_total:
        problems.append(f"Comment count {ans.get('count')}, expected {expected_total}")
    shared: dict[str, int] = {}
    for log in logs:
        for k, n in log.shared.items():
            shared[k] = shared.get(k, 0) + n
    status, ans = target.request(con, "GET", "/classes/Counter?" + _qs(limit=100))
    counters = {r["objectId"]: r.get("n", 0) for r in ans["results"]}
    for k in sorted(shared):
        if counters.get(k) != shared[k]:
            problems.append(f"Counter {k}: n = {counters.get(k)}, expected {shared[k]} increments")
    con.close()
    return {"checked": len(likes) + len(deleted) + len(shared) + 1, "problems": problems,
            "created_kept": len(likes), "deleted": len(deleted), "increments_shared": sum(shared.values())}


def percentile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]


# --- report -------------------------------------------------------------------------------------


def report(results: dict[str, dict[str, Any]], abouts: dict[str, str], args: argparse.Namespace, records: int) -> str:
    from benchmarks.describe import machine

    lines = [
        "# `querylang serve` under load, beside Parse Server",
        "",
        f"`python -m benchmarks.serve_load --scale {args.scale} --ops {args.ops} --clients {args.clients} --solo-ops {args.solo_ops}`"
        f" · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {machine()} · load average (1 min) before each run: "
        + ", ".join(f"{n} {r['load']:.1f}" for n, r in results.items())
        + "",
        "",
        f"Data: benchmark scale {args.scale} ({records:,} records and edges) plus {COUNTERS} `Counter` records. "
        f"Every server gets the same {args.ops:,} requests from {args.clients} concurrent clients (threads of one "
        "Python process, a keep-alive connection each, master key), all on 127.0.0.1. Mix (weights): "
        + ", ".join(f"{n} {w}" for n, w in MIX) + ". Latency is client-side, request sent to answer read. "
        f"After the main run, one client alone sends {args.solo_ops} requests of the same mix: latency without "
        "queueing. The machine was shared with other work while this ran (the load averages above): "
        "compare the two servers with each other, not with other runs.",
        "",
        "| server | requests | errors | lost writes | wall s | throughput req/s | p50 ms | p99 ms | one client: p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        all_lat = [x for xs in r["latencies"].values() for x in xs]
        lines.append(
            f"| {name} | {r['done']:,} | {len(r['errors'])} | {len(r['lost']['problems'])} | {r['wall']:.1f} | "
            f"{r['done'] / r['wall']:,.0f} | {1e3 * percentile(all_lat, 0.5):.2f} | {1e3 * percentile(all_lat, 0.99):.2f} | "
            f"{1e3 * percentile(r['solo'], 0.5):.2f} | {1e3 * percentile(r['solo'], 0.99):.2f} |"
        )
    names = list(results)
    lines += ["", "Per operation (p50 / p99 ms):", "",
              "| operation | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for op, _ in MIX:
        cells = []
        for n in names:
            xs = results[n]["latencies"].get(op, [])
            cells.append(f"{1e3 * percentile(xs, 0.5):.2f} / {1e3 * percentile(xs, 0.99):.2f} ({len(xs)})" if xs else "–")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines += ["", "Writes checked after each run (created comments with their likes, deleted ones gone, the "
              "Comment count, the shared counters):", ""]
    for name, r in results.items():
        lost = r["lost"]
        lines.append(f"- {name}: {lost['created_kept']} created comments kept, {lost['deleted']} deleted, "
                     f"{lost['increments_shared']} shared increments; problems: "
                     + ("none" if not lost["problems"] else "; ".join(lost["problems"][:5])))
        if r["errors"]:
            lines.append(f"  - first errors: {'; '.join(r['errors'][:3])}")
    lines += ["", "Setup:", ""] + [f"- {n}: {a}" for n, a in abouts.items()] + [""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", default="S", choices=["T", "S", "M", "L"], help="benchmark data scale")
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--solo-ops", type=int, default=500, help="requests of the one-client run after the main one")
    ap.add_argument("--max-seconds", type=float, default=600, help="stop (and fail) a run that takes longer")
    ap.add_argument("--without-parse", action="store_true", help="only querylang serve (no PostgreSQL/npm needed)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "serve-load.md")
    args = ap.parse_args(argv)

    from benchmarks.generate import load_or_generate, record_count

    doc = copy.deepcopy(load_or_generate(args.scale))
    doc["classes"]["Counter"] = {"fields": {"n": {"type": "Number"}}}
    doc["records"]["Counter"] = [{"objectId": f"k{i}", "createdAt": "2024-01-01T00:00:00.000Z", "n": 0} for i in range(COUNTERS)]
    posts = [r["objectId"] for r in doc["records"]["Post"]]
    groups = [r["objectId"] for r in doc["records"]["Group"]]
    initial = len(doc["records"]["Comment"])
    results: dict[str, dict[str, Any]] = {}
    abouts: dict[str, str] = {}
    starters: list[Callable[[], Target]] = []
    tmp = Path(tempfile.mkdtemp(prefix="ql-serve-load-"))
    starters.append(lambda: start_querylang(doc, tmp))
    if not args.without_parse:
        starters.append(lambda: start_parse(doc))
    try:
        for start in starters:
            target = start()
            try:
                print(f"{target.name}: {args.ops} requests from {args.clients} clients ...", flush=True)
                load = os.getloadavg()[0]  # other work on the machine skews latencies: say how much
                results[target.name] = run(target, args.ops, args.clients, posts, groups, initial, args.max_seconds,
                                           args.solo_ops)
                results[target.name]["load"] = load
                abouts[target.name] = target.about
            finally:
                target.stop()
            r = results[target.name]
            print(f"  {r['done']} done in {r['wall']:.1f} s, {len(r['errors'])} errors, "
                  f"{len(r['lost']['problems'])} lost-write problems", flush=True)
        text = report(results, abouts, args, record_count(doc))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    finally:
        # querylang's database file goes however the run ends (a server that did not start,
        # an --out that cannot be written), not only after a run that got to the end
        shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    failed = any(r["errors"] or r["lost"]["problems"] or r["done"] < args.ops for r in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Parse Server on PostgreSQL, on loopback, as the ``parse_server`` contender (``--with-parse``).

What it does, in order (each step says what is missing if it cannot be done):

1. PostgreSQL: uses ``initdb``/``pg_ctl`` from PATH or /usr/lib/postgresql/*/bin; if there are
   none and we are root, ``apt-get install -y postgresql`` (Debian's package). A throw-away
   cluster is made with ``initdb`` in a temporary directory (as user ``postgres`` when run as
   root), started on a free 127.0.0.1 port with fsync off (a benchmark instance: queries only
   read), and a database ``parse`` is created.
2. Parse Server: ``npm install parse-server@9`` into benchmarks/.parse (gitignored) unless it is
   already there, then its CLI is started on another free 127.0.0.1 port with
   ``allowCustomObjectId`` so records keep the benchmark's objectIds.
3. Data: the schema through ``/parse/schemas``, records and Relation edges through the REST
   batch API (``/parse/batch``, ``AddRelation`` for edges). ``createdAt``/``updatedAt`` cannot be
   set through REST, so they are copied into the Postgres tables afterwards (one UPDATE per
   class), so that sorts by date see the same data as every other contender. Then every class
   and ``_Join`` table is vacuumed and analyzed (:func:`settle`), so both contenders that read
   these tables (``parse_server`` and ``querylang_parse_pg``) run on compact, analyzed tables.
4. Queries: each workload's ``parse`` requests, as ``GET /parse/classes/<Class>`` with
   ``where``/``order``/``limit``/``skip``/``count``, over one keep-alive HTTP connection.

Everything is stopped and the temporary directory removed on ``close()``.

    python -m benchmarks.parse_server --scale T     # set up, load, run each workload once, stop
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import json
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from querylang.engines.postgres.cluster import Cluster, Unavailable
from querylang.engines.postgres.cluster import free_port as _free_port
from querylang.engines.postgres.cluster import run as _run

from .contenders import Answer, Contender
from .workloads import Inputs, Workload

HERE = Path(__file__).parent
PARSE_DIR = HERE / ".parse"
PARSE_VERSION = "9"
APP_ID = "querylang-bench"
MASTER_KEY = "querylang-bench-master"
BATCH = 50  # requests per /parse/batch call, as the Parse SDKs send them
WORKERS = 4  # concurrent batch calls while loading
PACKAGE_JSON = {"name": "querylang-bench-parse", "private": True, "overrides": {"router": "2.2.0"}}
NO_LIMIT = 1_000_000  # Parse's default limit is 100; workloads without a limit ask for all


class Postgres(Cluster):
    """The throw-away cluster (querylang/engines/postgres/cluster.py) with a database ``parse``."""

    def __init__(self) -> None:
        super().__init__("parse", prefix="ql-bench-pg-")


def _install_parse() -> Path:
    cli = PARSE_DIR / "node_modules" / "parse-server" / "bin" / "parse-server"
    install_once(PARSE_DIR, cli.exists, lambda: _npm_install(cli), PARSE_VERSION)
    return cli


def install_once(folder: Path, there: Callable[[], bool], install: Callable[[], None], what: str) -> None:
    """``install()`` into ``folder`` unless a whole install is ``there``. npm's files appear as
    it unpacks them, before the install ends: only the mark written after it says it is whole.
    Processes that need it at once (test workers) wait for the one install."""
    whole = folder / ".installed"
    if there() and whole.exists():
        return
    folder.mkdir(exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (there() and whole.exists()):
            install()
            whole.write_text(what + "\n")


def _npm_install(cli: Path) -> None:
    if not shutil.which("node") or not shutil.which("npm"):
        raise Unavailable("Node.js and npm are needed (apt-get install nodejs npm; parse-server 9 wants Node 20.19+ or 22.13+)")
    # router 2.3 changed Layer.match, which parse-server 9.10's batch route relies on (every
    # /batch call answers 500 "Cannot convert undefined or null to object"): pin 2.2.0.
    (PARSE_DIR / "package.json").write_text(json.dumps(PACKAGE_JSON, indent=1) + "\n")
    _run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", f"parse-server@{PARSE_VERSION}"],
        f"npm install parse-server@{PARSE_VERSION}",
        cwd=PARSE_DIR,
        timeout=900,
    )
    if not cli.exists():
        raise Unavailable(f"npm install parse-server@{PARSE_VERSION} did not produce {cli}")


class ParseServer:
    """Parse Server (its CLI) on 127.0.0.1, over a Postgres database."""

    def __init__(self, pg: Postgres, extra: tuple[str, ...] = ()) -> None:
        cli = _install_parse()
        self.port = _free_port()
        self.mount = "/parse"
        self.version = json.loads((cli.parent.parent / "package.json").read_text())["version"]
        self.log = open(pg.tmp / "parse-server.log", "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [
                "node", str(cli),
                "--appId", APP_ID,
                "--masterKey", MASTER_KEY,
                "--databaseURI", pg.uri,
                "--port", str(self.port),
                "--host", "127.0.0.1",
                "--mountPath", self.mount,
                "--serverURL", f"http://127.0.0.1:{self.port}{self.mount}",
                "--allowCustomObjectId", "true",
                "--logLevel", "error",
                *extra,  # more CLI options (the importer tests start one with --maxLimit)
            ],
            cwd=PARSE_DIR,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.con = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        deadline = time.time() + 90
        while True:
            if self.proc.poll() is not None:
                raise Unavailable(f"parse-server exited with {self.proc.returncode}: {self._tail()}")
            try:
                if self.request("GET", "/health").get("status") == "ok":
                    break
            except (OSError, http.client.HTTPException, ValueError):
                self.con.close()
            if time.time() > deadline:
                self.stop()
                raise Unavailable(f"parse-server did not answer /health within 90 s: {self._tail()}")
            time.sleep(0.5)

    def _tail(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-800:]

    def request(self, method: str, path: str, body: Any = None, con: http.client.HTTPConnection | None = None) -> Any:
        con = con or self.con
        headers = {"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            con.request(method, self.mount + path, body=data, headers=headers)
            resp = con.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # Node closes a keep-alive connection idle for 5 s (other contenders ran meanwhile).
            con.close()
            con.request(method, self.mount + path, body=data, headers=headers)
            resp = con.getresponse()
        payload = resp.read()
        out = json.loads(payload) if payload else {}
        if resp.status >= 400:
            raise RuntimeError(f"Parse {method} {path}: HTTP {resp.status}: {payload[:300]!r}")
        return out

    def stop(self) -> None:
        self.con.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


# --- loading --------------------------------------------------------------------------------


def _to_parse(ftype: str, target: str | None, v: Any) -> Any:
    if v is None:
        return None
    if ftype == "Date":
        return {"__type": "Date", "iso": v}
    if ftype == "Pointer":
        return {"__type": "Pointer", "className": target, "objectId": v}
    if ftype == "GeoPoint":
        return {"__type": "GeoPoint", **v}
    return v


def load(server: ParseServer, pg: Postgres, doc: dict[str, Any]) -> dict[str, float]:
    """Schema, records and edges through REST; then createdAt/updatedAt fixed in Postgres."""
    took: dict[str, float] = {}
    t = time.perf_counter()
    for cls, spec in doc["classes"].items():
        fields = {k: dict(v) for k, v in spec["fields"].items()}
        server.request("POST", f"/schemas/{cls}", {"className": cls, "fields": fields})
    requests: list[dict[str, Any]] = []
    for cls, rows in doc["records"].items():
        fields = doc["classes"][cls]["fields"]
        for r in rows:
            body = {"objectId": r["objectId"]}
            for k, v in r.items():
                if k in fields and fields[k]["type"] != "Relation":
                    body[k] = _to_parse(fields[k]["type"], fields[k].get("targetClass"), v)
            requests.append({"method": "POST", "path": f"{server.mount}/classes/{cls}", "body": body})
    edges: dict[tuple[str, str, str], list[str]] = {}
    for e in doc.get("relations", []):
        edges.setdefault((e["class"], e["objectId"], e["key"]), []).append(e["targetId"])
    targets = {(c, k): s["fields"][k]["targetClass"] for c, s in doc["classes"].items() for k in s["fields"] if s["fields"][k]["type"] == "Relation"}
    rel_requests = []
    for (cls, oid, key), ids in edges.items():
        for i in range(0, len(ids), 100):
            objs = [{"__type": "Pointer", "className": targets[(cls, key)], "objectId": x} for x in ids[i : i + 100]]
            rel_requests.append({"method": "PUT", "path": f"{server.mount}/classes/{cls}/{oid}", "body": {key: {"__op": "AddRelation", "objects": objs}}})
    took["schema"] = time.perf_counter() - t
    t = time.perf_counter()
    _send_batches(server, requests)
    took["records"] = time.perf_counter() - t
    t = time.perf_counter()
    _send_batches(server, rel_requests)
    took["relations"] = time.perf_counter() - t
    t = time.perf_counter()
    for cls, rows in doc["records"].items():
        tsv = "".join(f"{r['objectId']}\t{r['createdAt']}\t{r.get('updatedAt') or r['createdAt']}\n" for r in rows)
        pg.psql(
            ["-d", "parse", "-c", "CREATE TEMP TABLE fix (id text, c timestamptz, u timestamptz)",
             "-c", "\\copy fix FROM STDIN",
             "-c", f'UPDATE "{cls}" AS t SET "createdAt" = f.c, "updatedAt" = f.u FROM fix AS f WHERE t."objectId" = f.id'],
            stdin=tsv,
        )
    took["dates"] = time.perf_counter() - t
    t = time.perf_counter()
    settle(pg, [*doc["records"], *(f"_Join:{key}:{cls}" for cls, key in targets)])
    took["vacuum"] = time.perf_counter() - t
    return took


def settle(pg: Postgres, tables: list[str]) -> None:
    """Leave the tables as a settled database has them, the same for both contenders: the date
    UPDATE above left a dead copy of every row (a full scan read twice the pages), autovacuum
    may or may not have run by the time the timing starts, and nothing analyzed the ``_Join``
    tables (the planner guessed their row counts). VACUUM FULL rewrites each table compact,
    the plain VACUUM then marks its pages all-visible (index-only scans skip the heap), and
    ANALYZE gives the planner real statistics."""
    quoted = ", ".join('"' + t.replace('"', '""') + '"' for t in tables)
    pg.psql(["-d", "parse", "-c", f"VACUUM (FULL) {quoted}", "-c", f"VACUUM (ANALYZE) {quoted}"])


def _send_batches(server: ParseServer, requests: list[dict[str, Any]]) -> None:
    chunks = [requests[i : i + BATCH] for i in range(0, len(requests), BATCH)]

    def send(chunk: list[dict[str, Any]]) -> None:
        con = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
        try:
            out = server.request("POST", "/batch", {"requests": chunk}, con=con)
        finally:
            con.close()
        errors = [r["error"] for r in out if "error" in r]
        if errors:
            raise RuntimeError(f"Parse batch: {len(errors)} errors, first: {errors[0]}")

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(send, chunks))


# --- the contender --------------------------------------------------------------------------


def _fill(where: Any, ids: list[str]) -> Any:
    """Replace the ``"$ids:<Class>"`` placeholder by pointers to the previous step's ids."""
    if isinstance(where, str) and where.startswith("$ids:"):
        cls = where.split(":", 1)[1]
        return [{"__type": "Pointer", "className": cls, "objectId": i} for i in ids]
    if isinstance(where, dict):
        return {k: _fill(v, ids) for k, v in where.items()}
    if isinstance(where, list):
        return [_fill(v, ids) for v in where]
    return where


class ParseServerContender(Contender):
    name = "parse_server"

    def applies(self, w: Any) -> bool:
        return bool(w.slow)

    def __init__(self, doc: dict[str, Any], setup: dict[str, Any] | None = None) -> None:
        self.pg = Postgres()
        try:
            self.server = ParseServer(self.pg)
            t = time.perf_counter()
            took = load(self.server, self.pg, doc)
            total = time.perf_counter() - t
        except BaseException:
            self.close()
            raise
        self.about = (
            f"parse-server {self.server.version} (npm, in benchmarks/.parse) on {self.pg.version}, both on "
            f"127.0.0.1 (Postgres: initdb in a temp dir, fsync off); default Parse indexes only (objectId); "
            "after loading, every class and _Join table compacted, vacuumed and analyzed (VACUUM FULL, VACUUM ANALYZE); "
            f"loaded through the REST batch API in {total:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in took.items())}); "
            "queries as REST GETs with the master key over one keep-alive connection"
        )
        if setup is not None:
            setup["parse_server"] = self.about

    def run(self, w: Workload, inputs: Inputs) -> Answer:
        ids: list[str] = []
        count = None
        reqs = w.parse(inputs)
        if not reqs:
            raise RuntimeError(f"workload {w.name} has no Parse REST form")
        for q in reqs:
            params: dict[str, Any] = {"where": json.dumps(_fill(q["where"], ids)), "limit": q.get("limit", NO_LIMIT)}
            for k in ("order", "skip", "keys"):
                if k in q:
                    params[k] = q[k]
            if q.get("count"):
                params["count"] = 1
            out = self.server.request("GET", f"/classes/{q['class']}?" + urllib.parse.urlencode(params))
            ids = [r["objectId"] for r in out["results"]]
            count = out.get("count")
        last = reqs[-1]
        return (None if last.get("limit") == 0 else ids), count

    def close(self) -> None:
        server = getattr(self, "server", None)
        if server is not None:
            server.stop()
        self.pg.stop()


def main(argv: list[str] | None = None) -> None:
    import random

    from .generate import SCALES, load_or_generate
    from .workloads import WORKLOADS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), default="T")
    args = ap.parse_args(argv)
    doc = load_or_generate(args.scale)
    try:
        c = ParseServerContender(doc)
    except Unavailable as exc:
        raise SystemExit(f"parse_server: not available: {exc}") from None
    try:
        print(c.about)
        rng = random.Random(1)
        for w in WORKLOADS:
            inp = w.inputs(rng, SCALES[args.scale])
            t = time.perf_counter()
            ids, count = c.run(w, inp)
            print(f"{w.name}: {len(ids) if ids is not None else '-'} ids, count {count}, {1e3 * (time.perf_counter() - t):.1f} ms")
    finally:
        c.close()


if __name__ == "__main__":
    main()

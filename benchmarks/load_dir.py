"""``querylang load DIR`` against the fastest raw DuckDB path from the same directory.

    python -m benchmarks.load_dir --scale XL [--json PATH]

Both run in a process of their own, into a new database file, one after the other; each is
timed from start to exit and its peak resident memory read from the kernel (``wait4``):

- ``querylang load DIR --db FILE``: the interchange directory (benchmarks/generate.py writes
  it), read by DuckDB's NDJSON reader with querylang's checks in SQL, the text-search words computed on close;
- *raw*: DuckDB's own parallel NDJSON reader (``read_json``) straight into tables of the same
  columns, no checks, dates cast by DuckDB, edges ``DISTINCT``, the same indexes built after
  the commit — the fastest way found to put the same files into DuckDB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .generate import SCALES, cache_path, write_directory

RAW = r'''
import json, sys, duckdb
from pathlib import Path
src, out = Path(sys.argv[1]), sys.argv[2]
schema = json.loads((src / "schema.json").read_text())["classes"]
con = duckdb.connect(out)
con.execute("SET enable_progress_bar = false")
TYPES = {"String": "VARCHAR", "Number": "DOUBLE", "Boolean": "BOOLEAN", "Date": "VARCHAR", "Pointer": "VARCHAR",
         "Array": "JSON", "Object": "JSON", "GeoPoint": "STRUCT(latitude DOUBLE, longitude DOUBLE)"}
def q(x): return '"' + x.replace('"', '""') + '"'
con.execute("BEGIN TRANSACTION")
index = []
for name, spec in schema.items():
    f = src / f"{name}.ndjson"
    if not f.exists():
        continue
    fields = {k: v for k, v in spec["fields"].items() if v["type"] != "Relation"}
    cols = {"objectId": "VARCHAR", "createdAt": "VARCHAR", "updatedAt": "VARCHAR", **{k: TYPES[v["type"]] for k, v in fields.items()}}
    dates = {"createdAt", "updatedAt", *(k for k, v in fields.items() if v["type"] == "Date")}
    sel = ", ".join(f"CAST({q(c)} AS TIMESTAMP) AS {q(c)}" if c in dates else q(c) for c in cols)
    colspec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in cols.items()) + "}"
    con.execute(f"CREATE TABLE {q(name)} AS SELECT {sel} FROM read_json('{f}', format='newline_delimited', columns={colspec})")
    index.append(f"CREATE UNIQUE INDEX {q('ix:' + name)} ON {q(name)} (\"objectId\")")
    index += [f"CREATE INDEX {q('ix:' + name + ':' + k)} ON {q(name)} ({q(k)})" for k, v in fields.items() if v["type"] == "Pointer"]
rel = src / "relations.ndjson"
if rel.exists():
    for name, spec in schema.items():
        for k, v in spec["fields"].items():
            if v["type"] == "Relation":
                jt = f"_join:{k}:{name}"
                con.execute(f"CREATE TABLE {q(jt)} AS SELECT DISTINCT \"objectId\" AS owning_id, \"targetId\" AS related_id "
                            f"FROM read_json('{rel}', format='newline_delimited', columns={{'class': 'VARCHAR', 'objectId': 'VARCHAR', 'key': 'VARCHAR', 'targetId': 'VARCHAR'}}) "
                            f"WHERE class = '{name}' AND key = '{k}'")
                index += [f"CREATE INDEX {q('ix:' + jt + ':o')} ON {q(jt)} (owning_id)", f"CREATE INDEX {q('ix:' + jt + ':r')} ON {q(jt)} (related_id)"]
con.execute("COMMIT")
for sql in index:
    con.execute(sql)
con.close()
'''


# Starts the measured process and reports its wall time and ru_maxrss into the file argv[1].
# A process's ru_maxrss counts the memory of the process that started it (the kernel keeps the
# old image's high-water mark across exec), so the measured one is started from this small
# process, never from the benchmark's own, which may have written the whole directory first.
LAUNCH = r'''
import json, os, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
took = time.perf_counter() - t
with open(sys.argv[1], "w") as fh:
    json.dump({"code": os.waitstatus_to_exitcode(status), "seconds": took, "maxrss_kib": usage.ru_maxrss}, fh)
'''


def _run(cmd: list[str]) -> dict[str, Any]:
    """Wall time and peak RSS (MiB) of one process."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "usage.json"
        proc = subprocess.run([sys.executable, "-c", LAUNCH, str(report), *cmd], capture_output=True)
        usage = json.loads(report.read_text()) if report.exists() else {"code": proc.returncode}
    if usage["code"] != 0 or proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed ({usage['code']}): {proc.stderr.decode(errors='replace')[-2000:]}")
    return {"seconds": round(usage["seconds"], 2), "peak_rss_mib": round(usage["maxrss_kib"] / 1024, 1),
            "stdout": proc.stdout.decode(errors="replace").strip()[-500:]}


def measure(src: Path, workdir: Path, keep: Path | None = None) -> dict[str, Any]:
    ql_db, raw_db = workdir / "querylang.duckdb", workdir / "raw.duckdb"
    for p in (ql_db, raw_db):
        p.unlink(missing_ok=True)
    querylang_bin = Path(sys.executable).with_name("querylang")
    ql = _run([str(querylang_bin), "load", str(src), "--db", str(ql_db), "--no-progress"])
    ql["db_mib"] = round(ql_db.stat().st_size / 2**20, 1)
    if keep is not None:  # for the workloads (python -m benchmarks --scale XL --db FILE)
        ql_db.replace(keep)
    raw = _run([sys.executable, "-c", RAW, str(src), str(raw_db)])
    raw["db_mib"] = round(raw_db.stat().st_size / 2**20, 1)
    for p in (ql_db, raw_db):
        p.unlink(missing_ok=True)
    data_mib = sum(f.stat().st_size for f in src.iterdir()) / 2**20
    return {
        "source": str(src),
        "data_mib": round(data_mib, 1),
        "querylang_load": ql,
        "raw_read_json": raw,
        "ratio": round(ql["seconds"] / raw["seconds"], 2),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), default="XL")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--workdir", type=Path, help="where the database files go (default: a temporary directory)")
    ap.add_argument("--keep-db", type=Path, metavar="FILE", help="keep querylang's database file here")
    args = ap.parse_args(argv)
    # Where ``python -m benchmarks.generate --scale S --directory`` writes it (the document's
    # name without .json), so a directory generated once is found, not written again.
    src = cache_path(args.scale, args.seed).with_suffix("")
    if not (src / "schema.json").exists():
        print(f"writing {src} ...", file=sys.stderr)
        write_directory(args.scale, src, args.seed)
    if args.workdir is not None:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)  # a new directory is made, not refused
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        res = measure(src, Path(tmp), args.keep_db)
    res["scale"] = args.scale
    print(json.dumps(res, indent=1))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

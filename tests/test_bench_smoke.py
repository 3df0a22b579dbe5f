"""The benchmark runner still runs: scale T, one repeat, into a temporary directory.

Nothing is timed here; only the shape of the JSON the outside tools read is checked.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONTENDERS = {"querylang_warm", "querylang_cold", "hand_sql", "hand_best", "hand_sql_again", "reference", "mongomock", "parse_server"}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    # Imported plainly: `make test` installs the bench extra, so a missing one fails here.
    import matplotlib  # noqa: F401
    import mongomock  # noqa: F401
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--out", str(out), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "T.json").read_text(encoding="utf-8")), out


def test_json_shape(results: tuple[dict, Path]) -> None:
    res, _ = results
    assert res["scale"] == "T"
    assert isinstance(res["date"], str) and isinstance(res["machine"], str)
    from benchmarks.noodl_shape import NOODL_WORKLOADS
    from benchmarks.workloads import WORKLOADS

    assert {w.name for w in [*WORKLOADS, *NOODL_WORKLOADS]} <= set(res["workloads"])
    for name, entry in res["workloads"].items():
        assert entry, name
        assert set(entry) <= CONTENDERS, (name, set(entry) - CONTENDERS)
        for contender, e in entry.items():
            assert isinstance(e["runs"], int), (name, contender)
            assert e["median_ms"] is None or isinstance(e["median_ms"], int | float), (name, contender)


def test_every_contender_ran_and_agrees(results: tuple[dict, Path]) -> None:
    res, _ = results
    from benchmarks.workloads import WORKLOADS

    for w in WORKLOADS:
        entry = res["workloads"][w.name]
        for contender in ("querylang_warm", "querylang_cold", "hand_sql", "hand_sql_again", "reference", "mongomock"):
            e = entry[contender]
            assert e["runs"] == 1, (w.name, contender, e.get("error"))
            assert e["agrees"], (w.name, contender)


def test_noodl_shape_ran_and_agrees(results: tuple[dict, Path]) -> None:
    """Every workload with limit 100 and on page two: querylang, the naive and the best hand SQL
    give the same ids and counts."""
    res, _ = results
    from benchmarks.noodl_shape import NOODL_WORKLOADS

    for w in NOODL_WORKLOADS:
        entry = res["workloads"][w.name]
        for contender in ("querylang_warm", "querylang_cold", "hand_sql", "hand_best"):
            e = entry[contender]
            assert e["runs"] == 1, (w.name, contender, e.get("error"))
            assert e["agrees"], (w.name, contender)
        assert entry["querylang_warm"]["ratio_best"] > 0


def test_outputs_written(results: tuple[dict, Path]) -> None:
    res, out = results
    md = (out / "T.md").read_text(encoding="utf-8")
    assert "## Tuning" in md and "## Targets" in md
    png = (out / "T.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"http" not in png, "the chart's metadata links to a web site (the repository stands alone)"
    assert any("1.2×" in t["target"] for t in res["targets"])


def test_cold_micro_starts_cold_with_the_caches_found_beforehand() -> None:
    """micro_parse_compile finds querylang's caches once per run: clearing that list before a
    timed call must still leave no parsed script and no kept plan behind."""
    import querylang
    from benchmarks import contenders as C
    from benchmarks.generate import SCALES, generate
    from benchmarks.workloads import MICRO_CLASS, MICRO_SCRIPT, micro_inputs
    from querylang.script.parser import _parse_cached

    db = querylang.connect()
    db.load(generate("T"))
    rng = random.Random(1)
    clears = C.querylang_cache_clears()
    for _ in range(3):  # the plan cache keeps a plan from a script's third sighting on
        db.compile(MICRO_CLASS, MICRO_SCRIPT, inputs=micro_inputs(rng, SCALES["T"]), limit=20)
    assert _parse_cached.cache_info().currsize > 0 and db._plans.hits + db._plans.misses > 0
    assert C.clear_querylang_caches(db, clears) == len(clears) + 1
    assert _parse_cached.cache_info().currsize == 0
    assert not db._plans._plans and not db._plans._templates and not db._plans._once


def _module_json(module: str, out: Path, timeout: int) -> dict:
    """Run ``python -m module --scale T --runs 1 --json out`` to the end; its JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", module, "--scale", "T", "--runs", "1", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8"))


def test_tuning_measurements_run_and_agree(tmp_path: Path) -> None:
    """benchmarks/tuning.py switches each applied change off and on: both must agree."""
    res = _module_json("benchmarks.tuning", tmp_path / "tuning.json", timeout=120)
    assert res["tunings"] and all(t["agree"] for t in res["tunings"].values())


def test_postgres_pass_runs(tmp_path: Path) -> None:
    """--engine postgres: the PostgreSQL contenders and the control on every workload, the same
    answers, timed pinned to one CPU and free (or free only, saying why)."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--engine", "postgres", "--scale", "T", "--repeat", "1",
         "--out", str(tmp_path), "--no-cache", "--throughput-seconds", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "T-postgres.json").read_text(encoding="utf-8"))
    from benchmarks.postgres import THROUGHPUT_WORKLOADS
    from benchmarks.workloads import WORKLOADS

    assert set(res["workloads"]) == {w.name for w in WORKLOADS}
    placement = res["placement"]
    if placement["problem"] is None:
        assert set(res["workloads_free"]) == set(res["workloads"])
    else:
        assert "cannot pin" in placement["problem"] and res["workloads_free"] == {}
    for name, entry in [*res["workloads"].items(), *res["workloads_free"].items()]:
        assert set(entry) == {"querylang_pg", "hand_sql_pg", "hand_sql_pg_again", "hand_sql_pg_text_dates"}, name
        assert entry["querylang_pg"]["agrees"] is True, name
        assert entry["hand_sql_pg_again"]["ratio"] > 0, name
    assert [tp["workload"] for tp in res["throughput"]] == list(THROUGHPUT_WORKLOADS)
    for tp in res["throughput"]:
        for name in ("querylang_pg", "hand_sql_pg"):
            assert tp[name]["qps_1"] > 0 and tp[name]["qps_2"] > 0, (tp["workload"], name)
            # Where the CPU went: the client's process, the server's (read from /proc here).
            assert tp[name]["client_us_1"] > 0 and tp[name]["server_us_1"] is not None, (tp["workload"], name)
    md = (tmp_path / "T-postgres.md").read_text(encoding="utf-8")
    assert "| workload | querylang_pg client µs | server µs | 2 threads' ceiling (q/s) |" in md
    assert md.count("## Setup") == 1


def test_postgres_pairs_run_in_a_drawn_order_with_the_collector_off() -> None:
    """time_pair: each run's order is drawn, so no contender always comes right after the same
    other one (rotated, the one after querylang_pg paid for it); each timed call runs with the
    collector off, its untimed one before it with the collector as it was."""
    import gc

    from benchmarks import contenders as C
    from benchmarks.generate import SCALES
    from benchmarks.postgres import time_pair
    from benchmarks.workloads import BY_NAME

    calls: list[tuple[str, bool]] = []

    class Fake(C.Contender):
        def __init__(self, name: str) -> None:
            self.name = name

        def run(self, w: Any, inputs: Any) -> C.Answer:
            calls.append((self.name, gc.isenabled()))
            return ["x"], None

    fakes = [Fake(n) for n in ("hand", "ql", "control", "extra")]
    out = time_pair(BY_NAME["comments_of_post"], fakes[0], fakes[1], fakes[2], 40, 1, SCALES["T"], (fakes[3],))
    assert set(out) == {"hand", "ql", "control", "extra"} and out["ql"]["agrees"] is True
    assert len(calls) == 2 * 4 * 41
    assert all(enabled for _, enabled in calls[0::2]) and not any(enabled for _, enabled in calls[1::2])
    timed = [name for name, _ in calls[1::2]]
    runs = [timed[k : k + 4] for k in range(0, len(timed), 4)]
    assert all(sorted(r) == sorted(out) for r in runs)
    before = {(r[k], r[k + 1]) for r in runs for k in range(3)}
    # every contender came right after every other one at least once
    assert before == {(a, b) for a in out for b in out if a != b}
    assert gc.isenabled()


def test_placement_pins_and_frees(pg_cluster) -> None:
    """benchmarks/placement.py: pinned, this thread and an open connection's backend share one
    CPU; freed, both have the CPUs the process had. (As root, as `make test` runs; elsewhere
    pinning another user's process is refused and said so.)"""
    import os

    import psycopg

    from benchmarks.placement import Placement

    url = pg_cluster.url()
    with psycopg.connect(url, autocommit=True) as con:
        pid = con.execute("SELECT pg_backend_pid()").fetchone()[0]
        place = Placement(url)
        before = os.sched_getaffinity(0)
        try:
            if place.pin():
                assert os.sched_getaffinity(0) == place.one == os.sched_getaffinity(pid)
            else:
                assert place.problem and "cannot pin" in place.problem
        finally:
            place.free()
        assert os.sched_getaffinity(0) == before
        if place.problem is None:
            assert os.sched_getaffinity(pid) == before


@pytest.fixture(scope="module")
def t_db():
    import querylang
    from benchmarks.generate import generate

    db = querylang.connect()
    db.load(generate("T"))
    yield db
    db.close()


def _timed(workload: Any, contenders: Any, db: Any) -> dict:
    """time_workload of ``contenders(connection)`` on ``db`` at scale T, three runs; all closed after."""
    from benchmarks import contenders as C
    from benchmarks.generate import SCALES
    from benchmarks.timing import time_workload

    cs = contenders(C.duckdb_connection(db))
    try:
        return time_workload(workload, cs, 3, 1, SCALES["T"])
    finally:
        for c in cs:
            c.close()


def test_ratio_to_the_best_is_to_the_faster_hand_sql(t_db) -> None:
    """warm/best (the Noodl target's ratio) is to the fastest hand SQL found: where hand_best
    ran slower than the naive hand_sql, the best hand SQL is hand_sql, and a warm that is 2× it
    must not be judged against the slower statement."""
    import time

    from benchmarks import contenders as C
    from benchmarks.noodl_shape import NOODL_BY_NAME

    class SlowerBest(C.HandBest):
        # the "best" SQL, measured slower than the naive one (as ten_conditions' at XL)
        def run(self, w, inputs):
            time.sleep(0.03)
            return super().run(w, inputs)

    out = _timed(NOODL_BY_NAME["regex_ci:page2"], lambda con: [C.HandSql(con), SlowerBest(con), C.QuerylangWarm(t_db, C.script_support())], t_db)
    warm = out["querylang_warm"]
    assert out["hand_best"]["median_ms"] > out["hand_sql"]["median_ms"]
    assert warm["ratio_best"] == warm["ratio"], warm


def test_a_contender_failing_after_it_ran_is_reported(t_db) -> None:
    """A contender that answers the first runs and then fails (a server going away) keeps its
    error in the results, and the table does not say every contender agreed."""
    from benchmarks import contenders as C
    from benchmarks.report import table_rows
    from benchmarks.workloads import BY_NAME

    class GoesAway(C.HandSqlAgain):
        calls = 0

        def run(self, w, inputs):
            self.calls += 1
            if self.calls > 4:  # the warm-up and the first timed run, each run twice
                raise ConnectionError("server closed the connection")
            return super().run(w, inputs)

    out = _timed(BY_NAME["comments_of_post"], lambda con: [C.HandSql(con), GoesAway(con)], t_db)
    e = out["hand_sql_again"]
    assert "server closed the connection" in e.get("error", ""), e
    _, rows = table_rows({"scale": "T", "workloads": {"comments_of_post": out}})
    assert rows[0][-1] != "yes", rows[0]


def test_postgres_pass_keeps_to_only(tmp_path: Path) -> None:
    """--engine postgres with --only naming no workload it has (a Noodl shape) is refused,
    not widened to every workload; --engine all then runs the DuckDB pass alone."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--engine", "postgres", "--scale", "T", "--repeat", "1",
         "--only", "comments_of_post:page2", "--out", str(tmp_path), "--throughput-seconds", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2 and "comments_of_post:page2" in proc.stderr, (proc.returncode, proc.stderr[-2000:])
    assert not (tmp_path / "T-postgres.json").exists()
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--engine", "all", "--scale", "T", "--repeat", "1", "--no-load",
         "--only", "comments_of_post:page2", "--out", str(tmp_path), "--throughput-seconds", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not (tmp_path / "T-postgres.json").exists()
    assert list(json.loads((tmp_path / "T.json").read_text(encoding="utf-8"))["workloads"]) == ["comments_of_post:page2"]


def test_report_names_the_command_that_ran(tmp_path: Path) -> None:
    """The reports' Command line is the flags the run was given, also when it was started as
    `querylang bench` (not `python -m benchmarks bench ...`, nor the flags dropped), and the
    PostgreSQL report's says its --only too."""
    flags = ["--engine", "all", "--scale", "T", "--repeat", "1", "--no-load", "--only", "comments_of_post",
             "--out", str(tmp_path), "--throughput-seconds", "0.2"]
    proc = subprocess.run([sys.executable, "-m", "querylang", "bench", *flags], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import shlex

    command = "python -m benchmarks " + shlex.join(flags)
    assert json.loads((tmp_path / "T.json").read_text(encoding="utf-8"))["command"] == command
    assert f"Command: `{command}`." in (tmp_path / "T.md").read_text(encoding="utf-8")
    assert f"Command: `{command}`." in (tmp_path / "T-postgres.md").read_text(encoding="utf-8")


def test_load_dir_peak_memory_is_the_measured_process_own() -> None:
    """benchmarks/load_dir.py's peak RSS is the measured process's, not the high-water mark of
    the benchmark process that started it (which has written the whole directory when it was
    missing): a process that does nothing measures small from a big parent."""
    from benchmarks.load_dir import _run

    big = bytearray(400 * 2**20)
    big[:: 4096] = b"\x01" * len(big[:: 4096])  # every page touched: resident
    try:
        res = _run([sys.executable, "-c", "print('ran')"])
    finally:
        del big
    assert res["stdout"] == "ran"
    assert res["peak_rss_mib"] < 200, res
    with pytest.raises(RuntimeError, match="failed"):
        _run([sys.executable, "-c", "raise SystemExit(3)"])


@pytest.mark.parametrize(("flags", "says"), [
    (["--threads", "0"], "--threads must be at least 2"),
    (["--threads", "1"], "--threads must be at least 2"),
    (["--threads", "2", "--throughput-seconds", "0"], "--throughput-seconds must be more than 0"),
    (["--duckdb-threads", "0"], "--duckdb-threads must be at least 1"),
    (["--duckdb-threads", "-1"], "--duckdb-threads must be at least 1"),
])
def test_bad_counts_are_refused_before_running(flags: list[str], says: str, tmp_path: Path) -> None:
    """--threads 0 (and --duckdb-threads 0) were ignored, --threads 1 reported a '1 threads'
    target with its qps_1 overwritten, --throughput-seconds 0 read the target from a query or
    two, and --duckdb-threads -1 crashed after the load: each is refused with a usage error."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--no-load", "--shape", "issue",
         "--only", "comments_of_post", "--out", str(tmp_path), *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2 and says in proc.stderr, (proc.returncode, proc.stderr[-2000:])
    assert not (tmp_path / "T.json").exists()


def test_serve_load_leaves_no_database_behind_when_it_fails(tmp_path: Path) -> None:
    """benchmarks/serve_load.py removes its temporary database however the run ends (here an
    --out it cannot write), and a scale it does not know is a usage error, not a KeyError."""
    import os

    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_load", "--scale", "T", "--ops", "20", "--clients", "2",
         "--solo-ops", "5", "--without-parse", "--max-seconds", "120", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )
    assert proc.returncode != 0 and "IsADirectoryError" in proc.stderr, proc.stderr[-2000:]
    assert not list(tmp_path.glob("ql-serve-load-*")), list(tmp_path.iterdir())
    proc = subprocess.run([sys.executable, "-m", "benchmarks.serve_load", "--scale", "X", "--without-parse"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 2 and "invalid choice: 'X'" in proc.stderr, proc.stderr[-2000:]


def test_with_parse_indexes_setup_says_the_indexes(tmp_path: Path) -> None:
    """--with-parse --parse-indexes: the report's setup of querylang_parse_pg names the indexes
    added (it said "Parse's default indexes only" under the list of them), and the run stops
    the PostgreSQL and Parse Server it started."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--no-load", "--shape", "issue",
         "--only", "comments_of_post", "--with-parse", "--parse-indexes", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads((tmp_path / "T.json").read_text(encoding="utf-8"))
    if "parse_indexes" not in res["setup"]:  # never skipped: say what is missing
        pytest.fail("parse_server could not run (it needs Node.js and npm: apt-get install nodejs npm): "
                    + res["setup"].get("parse_server", ""), pytrace=False)
    assert res["workloads"]["comments_of_post"]["querylang_parse_pg"]["agrees"] is True
    setup = res["setup"]["querylang_parse_pg"]
    assert "default indexes only" not in setup and "querylang doctor" in setup, setup


def test_slow_contenders_stop_what_they_started_when_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """slow_contenders starts a PostgreSQL and a Parse Server, then adds doctor's indexes and
    querylang's in-place contender: a failure there (a SIGTERM during CREATE INDEX, a refused
    statement) left both running, since the caller closes only the contenders returned."""
    from benchmarks import run
    from benchmarks.generate import load_or_generate

    started: list = []
    real = run._parse_contender

    def parse_contender(*a: object, **k: object) -> object:
        p = real(*a, **k)  # type: ignore[arg-type]
        started.append(p)
        return p

    def refused(uri: str) -> str:
        raise RuntimeError("CREATE INDEX refused")

    monkeypatch.setattr(run, "_parse_contender", parse_contender)
    monkeypatch.setattr(run, "_add_parse_indexes", refused)
    res: dict = {"setup": {}, "notes": []}
    with pytest.raises(RuntimeError, match="CREATE INDEX refused"):
        run.slow_contenders(None, load_or_generate("T", 42, cache=False), True, {"reference", "mongomock"}, res,
                            with_parse=True, parse_indexes=True)
    if started[0] is None:
        pytest.fail("parse_server could not run (it needs Node.js and npm: apt-get install nodejs npm): "
                    + res["setup"].get("parse_server", ""), pytrace=False)
    p = started[0]
    assert p.server.proc.poll() is not None, "Parse Server still runs"
    assert not p.pg.tmp.exists(), "PostgreSQL's cluster was not stopped and removed"


def test_parse_relation_target_is_not_judged_unmeasured() -> None:
    """With --only leaving the relation workloads out, the 'querylang_parse_pg ≥ 3× on the
    relation workloads' target was listed as missed with nothing measured; it is left out, as
    the ratio targets are when nothing was measured, and still judged when they ran."""
    from benchmarks.targets import parse_targets

    def res(speeds: dict[str, float]) -> dict:
        return {"workloads": {n: {"querylang_parse_pg": {"speedup_vs_parse_server": s}} for n, s in speeds.items()}}

    got = parse_targets(res({"comments_of_post": 6.17}))
    assert [t["met"] for t in got] == [True] and "relation" not in str(got)
    got = parse_targets(res({"comments_of_post": 6.17, "posts_in_group": 2.5, "two_hop_count": 4.0}))
    assert [t["met"] for t in got] == [True, False] and got[1]["why"] == "posts_in_group 2.50×"


def test_postgres_pass_writes_json_where_asked(tmp_path: Path) -> None:
    """--json PATH ('also write the JSON results here') with --engine postgres: the PostgreSQL
    results go there too (nothing was written before)."""
    out = tmp_path / "elsewhere" / "pg.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--engine", "postgres", "--scale", "T", "--repeat", "1",
         "--only", "comments_of_post", "--out", str(tmp_path), "--json", str(out), "--throughput-seconds", "0.2"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    res = json.loads(out.read_text(encoding="utf-8"))
    assert res == json.loads((tmp_path / "T-postgres.json").read_text(encoding="utf-8"))
    assert list(res["workloads"]) == ["comments_of_post"]


@pytest.mark.parametrize("skip", ["hand_sql", "mongo"])
def test_skip_names_a_contender_that_can_be_left_out(skip: str, tmp_path: Path) -> None:
    """--skip hand_sql left nothing to compare with: every contender read 'agree: yes' unchecked
    and the 1.2× target vanished; --skip with a misspelt name was ignored. Both are refused."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--no-load", "--shape", "issue",
         "--only", "comments_of_post", "--out", str(tmp_path), "--skip", skip],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2 and f"invalid choice: '{skip}'" in proc.stderr, (proc.returncode, proc.stderr[-2000:])
    assert not (tmp_path / "T.json").exists()


@pytest.mark.parametrize("flag", ["--db", "--load-json"])
def test_missing_input_file_is_a_usage_error(flag: str, tmp_path: Path) -> None:
    """--db naming no file made a new empty database there and then failed with DuckDB's
    CatalogException on its missing tables; --load-json naming no file failed after the load.
    Both are usage errors before anything runs, and no file is made."""
    missing = tmp_path / "none.duckdb"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--no-load", "--shape", "issue",
         "--only", "comments_of_post", "--out", str(tmp_path / "out"), flag, str(missing)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2 and f"{flag} {missing}: no such" in proc.stderr, (proc.returncode, proc.stderr[-2000:])
    assert not missing.exists() and not (tmp_path / "out").exists()


def test_proposals_run_and_agree(tmp_path: Path) -> None:
    """`python -m benchmarks.proposals` (benchmarks/README.md) runs to the end on today's engine:
    it unpacked two_hop_count into two steps (one script since matchesQuery), ran a rewrite of a
    statement whose shape the engine no longer makes (DuckDB: parameters not provided), and
    compared a count-only workload by its ids (None against [], 'answers agree: False')."""
    res = _module_json("benchmarks.proposals", tmp_path / "proposals.json", timeout=300)
    assert {"two_hop_subquery", "relation_inverse_exists", "split_two_hop_count"} <= set(res["proposals"])
    assert {k: p["agree"] for k, p in res["proposals"].items() if "agree" in p and not p["agree"]} == {}
    assert res["decoder_matches_today"] is True


def test_only_and_shape_that_select_nothing_are_refused(tmp_path: Path) -> None:
    """--only regex_ci:page2 with --shape issue timed nothing, exited 0 and wrote an empty
    report (over the committed one, without --out); it is a usage error."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--scale", "T", "--repeat", "1", "--no-load", "--shape", "issue",
         "--only", "regex_ci:page2", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 2 and "selects no workload" in proc.stderr, (proc.returncode, proc.stderr[-2000:])
    assert not (tmp_path / "T.md").exists()


def test_postgres_pass_names_the_contender_that_disagrees(pg_cluster) -> None:
    """time_pair folded the answers of hand_sql_pg_text_dates into querylang_pg's 'agrees' (a
    wrong extra contender read as querylang answering wrong) and never checked the control's:
    each contender's agreement is its own."""
    import querylang
    from benchmarks import contenders as C
    from benchmarks.generate import SCALES, generate
    from benchmarks.postgres import (
        HandSqlPg,
        HandSqlPgAgain,
        HandSqlPgTextDates,
        QuerylangPg,
        time_pair,
    )
    from benchmarks.workloads import BY_NAME

    from .pg import fresh_url

    class WrongTextDates(HandSqlPgTextDates):
        def run(self, w, inputs):
            return ["no such comment"], None

    url = fresh_url(pg_cluster)
    db = querylang.connect(url)
    db.load(generate("T"))
    cs = [HandSqlPg(url), QuerylangPg(db, C.script_support()), HandSqlPgAgain(url), WrongTextDates(url)]
    try:
        out = time_pair(BY_NAME["comments_of_post"], *cs[:3], 1, 1, SCALES["T"], (cs[3],))
    finally:
        for c in cs:
            c.close()
    assert out["querylang_pg"]["agrees"] is True
    assert out["hand_sql_pg_again"]["agrees"] is True
    assert out["hand_sql_pg_text_dates"]["agrees"] is False


def test_every_phony_make_target_has_a_rule() -> None:
    """`make bench-smoke` was declared .PHONY with no rule: make answered 'Nothing to be done'
    and exit 0, running no benchmark."""
    import re

    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", text, flags=re.M).group(1).split()  # type: ignore[union-attr]
    rules = set(re.findall(r"^([A-Za-z][\w-]*):", text, flags=re.M))
    assert [t for t in phony if t not in rules] == []


def test_targets_judge_round_two_budgets() -> None:
    """README's round-two targets (cold path ≤ 150 µs, plan-cached ≤ 10 µs; the XL directory
    loaded in ≤ 3 GiB and ≤ 1.5× the raw path) were not in the runner's Targets table: the
    16:40 run's 207 µs and 11.0 µs read 'met' against round one's 300 and 20 µs alone, and
    --load-json's 1.96× was listed but never judged."""
    from benchmarks.targets import targets

    # The committed run's figures, the ratio set on each side of the budget (the test judges
    # the judging, not the run).
    load = json.loads((ROOT / "benchmarks" / "results" / "load-dir-XL.json").read_text(encoding="utf-8"))
    res = {
        "scale": "L",
        "workloads": {"micro_parse_compile": {"querylang_cold": {"median_ms": 0.207}},
                      "micro_cached_overhead": {"querylang_warm": {"median_ms": 0.011}}},
        "memory": {"peak_rss_mb": 1.0},
        "load_dir": {**load, "querylang_load": {**load["querylang_load"], "seconds": 1.96 * load["raw_read_json"]["seconds"]},
                     "ratio": 1.96},
    }
    met = {t["target"]: t["met"] for t in targets(res)}
    assert met["parse + compile of a typical 3-line script ≤ 300 µs"] is True
    assert met["round two: cold path of the typical 3-line script ≤ 150 µs"] is False
    assert met["round two: plan-cached overhead ≤ 10 µs"] is False
    assert met["querylang load of the interchange directory (scale XL) with peak RSS ≤ 3 GiB"] is True
    within = "querylang load of the interchange directory (scale XL) in ≤ 1.5× the fastest raw DuckDB path from the same files"
    assert met[within] is False
    res["load_dir"] = {**load, "querylang_load": {**load["querylang_load"], "seconds": 1.44 * load["raw_read_json"]["seconds"]},
                       "ratio": 1.44}
    assert {t["target"]: t["met"] for t in targets(res)}[within] is True

"""Engine proposals, measured: what querylang does today against a proposed variant.

Each proposal runs both variants on the same data, paired and interleaved (same inputs, one
after the other), checks that they give the same answer, and prints median / min times.
"Today" is taken from the engine itself (``db.compile`` / ``db.query`` / ``store`` functions)
wherever possible, so a proposal that has been applied shows up as "today == proposed".

    python -m benchmarks.proposals --scale L --runs 30 [--only NAME] [--json PATH]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .contenders import duckdb_connection
from .generate import SCALES, Scale, load_or_generate
from .workloads import BY_NAME, MICRO_CLASS, MICRO_SCRIPT, micro_inputs

Runner = Callable[[dict[str, Any]], Any]


@dataclass
class Variant:
    name: str
    run: Runner


@dataclass
class Proposal:
    name: str
    about: str
    inputs: Callable[[random.Random, Scale], dict[str, Any]]
    variants: list[Variant]  # the first is "today"
    same: Callable[[Any, Any], bool] = lambda a, b: a == b


def _rows(con: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    cur = con.cursor()
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()


def proposals(db: Any) -> list[Proposal]:
    from querylang.engines.duckdb.decode import decode_row
    from querylang.engines.duckdb.layout import output_columns

    con = duckdb_connection(db)
    out: list[Proposal] = []

    # 1. Forward relation: the target-exists check scans the whole target table. -------------
    w = BY_NAME["groups_holding_post"]
    fwd_script = w.steps[0].script

    def fwd_today(i: dict[str, Any]) -> Any:
        p = db.compile("Group", fwd_script, inputs=i)
        return _rows(con, p.sql, p.params)

    def fwd_proposed(i: dict[str, Any]) -> Any:
        p = db.compile("Group", fwd_script, inputs=i)
        old = 'e.related_id IN (SELECT "objectId" FROM "Post"))'
        if old not in p.sql:
            return fwd_today(i)  # already changed in the engine
        ids = [x for x in p.params]
        sql = p.sql.replace(old, 'e.related_id IN (SELECT "objectId" FROM "Post" WHERE "objectId" IN ({})))'.format(", ".join("?" * len(ids))))
        return _rows(con, sql, [*p.params, *ids])

    out.append(
        Proposal(
            "relation_forward_target_check",
            "compile_sql._holds: check that the *given* target ids exist "
            "(`e.related_id IN (SELECT objectId FROM Post WHERE objectId IN (?..))`) instead of "
            "semi-joining every Post (`e.related_id IN (SELECT objectId FROM Post)`). Same meaning: "
            "an edge counts while its target exists (docs/semantics.md#dangling).",
            w.inputs,
            [Variant("today", fwd_today), Variant("proposed", fwd_proposed)],
        )
    )

    # 2. Inverse relation: owner-exists check inside the IN sub-query. -------------------------
    w = BY_NAME["posts_in_group"]
    inv_script = w.steps[0].script

    def inv_today(i: dict[str, Any]) -> Any:
        p = db.compile("Post", inv_script, inputs=i)
        return _rows(con, p.sql, p.params)

    def inv_hoisted(i: dict[str, Any]) -> Any:
        p = db.compile("Post", inv_script, inputs=i)
        old = 'WHERE e.owning_id = ? AND EXISTS (SELECT 1 FROM "Group" AS o WHERE o."objectId" = ?))'
        if old not in p.sql:
            return inv_today(i)
        sql = p.sql.replace(old, 'WHERE e.owning_id = ?) AND EXISTS (SELECT 1 FROM "Group" AS o WHERE o."objectId" = ?)')
        return _rows(con, sql, p.params)

    def inv_join(i: dict[str, Any]) -> Any:
        p = db.compile("Post", inv_script, inputs=i)
        if 'WHERE e.owning_id = ? AND EXISTS (SELECT 1 FROM "Group" AS o WHERE o."objectId" = ?))' not in p.sql:
            return inv_today(i)  # the statement changed in the engine since: no longer this rewrite's shape
        head, _, tail = p.sql.partition(" WHERE ")
        order = tail[tail.index(" ORDER BY ") :]
        sql = (
            f'{head} JOIN "_join:posts:Group" AS e ON e.related_id = t."objectId" WHERE e.owning_id = ? '
            f'AND EXISTS (SELECT 1 FROM "Group" AS o WHERE o."objectId" = ?){order}'
        )
        return _rows(con, sql, p.params)

    out.append(
        Proposal(
            "relation_inverse_exists",
            "compile_sql.related_to: move the owner-exists test out of the IN sub-query (it does not "
            "depend on the edge), or emit a join on the edge table (edges are a set, so no duplicates).",
            w.inputs,
            [Variant("today", inv_today), Variant("exists_hoisted", inv_hoisted), Variant("join", inv_join)],
        )
    )

    # 3. Two hops: two round trips and full records for step 1, vs one statement. -----------
    w = BY_NAME["two_hop_count"]
    # Proposed when the workload was two scripts; it is one matchesQuery script since this was
    # made, so "today" is the two scripts as written without it (relatedTo, then pointsTo).
    hop_posts = "where({ relatedTo: { id: Inputs.Group, key: 'posts' } })"
    hop_comments = "where({ Owner: { pointsTo: Inputs.Posts } })"

    def hop_today(i: dict[str, Any]) -> Any:
        ids = db.query("Post", hop_posts, inputs=i).ids
        return db.query("Comment", hop_comments, inputs={"Posts": ids}, limit=0, count=True).count

    def hop_ids_only(i: dict[str, Any]) -> Any:
        p = db.compile("Post", hop_posts, inputs=i)
        sql = 'SELECT t."objectId"' + p.sql[p.sql.index(" FROM ") :]
        ids = [r[0] for r in _rows(con, sql, p.params)]
        return db.query("Comment", hop_comments, inputs={"Posts": ids}, limit=0, count=True).count

    def hop_one_statement(i: dict[str, Any]) -> Any:
        p = db.compile("Post", hop_posts, inputs=i)
        where = p.sql[p.sql.index(" WHERE ") + 7 : p.sql.index(" ORDER BY ")]
        sql = f'SELECT count(*) FROM "Comment" AS c WHERE c."Owner" IN (SELECT t."objectId" FROM "Post" AS t WHERE {where})'
        return _rows(con, sql, p.params)[0][0]

    out.append(
        Proposal(
            "two_hop_subquery",
            "The two-step workload costs two round trips, decoding every Post of the group only to "
            "read its id, and an IN list of ~100 bound ids. (a) a select/keys option (objectId only) "
            "for step 1; (b) a sub-query condition (Parse `$inQuery`, nodes.MatchesQuery) compiled as "
            "`Owner IN (SELECT objectId FROM Post WHERE <step 1>)`: one statement.",
            w.inputs,
            [Variant("today", hop_today), Variant("ids_only_step1", hop_ids_only), Variant("one_statement", hop_one_statement)],
        )
    )

    # 4. Decoding rows into records. -------------------------------------------------------------
    ten = BY_NAME["ten_conditions"]
    cls = db.schema.get("Post")
    cols = output_columns(cls)
    fast = _fast_decoder(cls, cols)

    def sql_for(i: dict[str, Any]) -> Any:
        return db.compile("Post", ten.steps[0].script, inputs=i, limit=100)

    def dec_today(i: dict[str, Any]) -> Any:
        p = sql_for(i)
        return [decode_row(cls, p.columns, r) for r in _rows(con, p.sql, p.params)]

    def dec_fast(i: dict[str, Any]) -> Any:
        p = sql_for(i)
        return [fast(r) for r in _rows(con, p.sql, p.params)]

    def dec_none(i: dict[str, Any]) -> Any:
        p = sql_for(i)
        return _rows(con, p.sql, p.params)

    out.append(
        Proposal(
            "decode_rows",
            "store.decode_row per row builds a dict(zip(...)) of all cells, then walks the fields "
            "with type checks and strftime-based ISO dates. A per-class decoder made once (list of "
            "(index, name, converter); dates via isoformat slicing) gives the same records. "
            "'no_decode' is the SQL alone (the floor).",
            ten.inputs,
            [Variant("today", dec_today), Variant("per_class_decoder", dec_fast), Variant("no_decode", dec_none)],
            same=lambda a, b: True,  # compared separately below (no_decode returns tuples)
        )
    )

    # 5. Each single-step workload: where does querylang's extra time go, SQL or Python? ------
    from .contenders import HandSql

    hand = HandSql(con)
    for wl in [x for x in BY_NAME.values() if len(x.steps) == 1]:
        step = wl.steps[0]

        # The answer compared: the ids, or the count of a count-only step (limit 0, as
        # two_hop_count since it became one script), where there are no ids to compare.
        def q_full(i: dict[str, Any], step: Any = step) -> Any:
            res = db.query(step.class_name, step.script, inputs=i, **step.options(i))
            return res.count if step.limit == 0 else res.ids

        def q_sql(i: dict[str, Any], step: Any = step) -> Any:
            p = db.compile(step.class_name, step.script, inputs=i, **step.options(i))
            rows = [r[0] for r in _rows(con, p.sql, p.params)]
            count = _rows(con, p.count_sql, p.count_params)[0][0] if p.count_sql is not None else None
            return count if step.limit == 0 else rows

        def h(i: dict[str, Any], wl: Any = wl, step: Any = step) -> Any:
            ids, count = hand.run(wl, i)
            return count if step.limit == 0 else ids

        out.append(
            Proposal(
                f"split_{wl.name}",
                f"{wl.name}: hand SQL, querylang's compiled SQL run bare (front end + SQL, no decoding), "
                "and db.query (everything). sql_only/hand > 1 means the SQL itself is slower.",
                wl.inputs,
                [Variant("db.query", q_full), Variant("querylang_sql_only", q_sql), Variant("hand_sql", h)],
            )
        )

    # 6. The front end with a warm parse cache, piece by piece. --------------------------------
    from querylang.api import build_query
    from querylang.engines.sql.compiler import compile_query

    schema = db.schema

    def fe_build(i: dict[str, Any]) -> Any:
        return build_query(schema, MICRO_CLASS, MICRO_SCRIPT, inputs=i, limit=20)

    def fe_build_compile(i: dict[str, Any]) -> Any:
        return compile_query(build_query(schema, MICRO_CLASS, MICRO_SCRIPT, inputs=i, limit=20), schema).sql

    out.append(
        Proposal(
            "front_end_breakdown",
            "Where the cached-plan overhead goes for the 3-line micro script: script run + build "
            "(build_query), then + compile_query. A plan cache keyed by (script, input *types*) "
            "that re-binds only the parameters would skip all of it.",
            micro_inputs,
            [Variant("build_query", fe_build), Variant("build+compile", fe_build_compile)],
            same=lambda a, b: True,
        )
    )
    return out


def _fast_decoder(cls: Any, cols: list[str]) -> Callable[[tuple[Any, ...]], dict[str, Any]]:
    """A per-class row decoder (the proposal); must give exactly store.decode_row's records."""
    from querylang.engines.duckdb.layout import NULLS_COLUMN

    def iso(dt: Any) -> str:
        s = dt.isoformat()  # naive UTC from DuckDB: 'YYYY-MM-DDTHH:MM:SS[.ffffff]'
        return (s[:23] if len(s) > 19 else s + ".000") + "Z"

    def number(x: float) -> int | float:
        return int(x) if x.is_integer() and abs(x) < 2**53 else x

    idx = {c: k for k, c in enumerate(cols)}
    plan: list[tuple[int, str, Any]] = []
    geo: list[tuple[int, int, str]] = []
    for f in cls.user_fields:
        if f.type == "Relation":
            continue
        if f.type == "GeoPoint":
            geo.append((idx[f.name + ":lat"], idx[f.name + ":lng"], f.name))
            continue
        conv = {"Array": json.loads, "Object": json.loads, "Date": iso, "Number": number}.get(f.type)
        plan.append((idx[f.name], f.name, conv))
    i_id, i_c, i_u, i_n = idx["objectId"], idx["createdAt"], idx["updatedAt"], idx[NULLS_COLUMN]

    def decode(row: tuple[Any, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {"objectId": row[i_id], "createdAt": iso(row[i_c]), "updatedAt": iso(row[i_u])}
        for k, name, conv in plan:
            v = row[k]
            if v is not None:
                out[name] = conv(v) if conv else v
        for a, b, name in geo:
            lat = row[a]
            if lat is not None:
                out[name] = {"latitude": number(lat), "longitude": number(row[b])}
        for name in row[i_n] or ():
            out[name] = None
        return out

    return decode


def measure(p: Proposal, runs: int, sc: Scale, seed: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{p.name}")
    inputs = [p.inputs(rng, sc) for _ in range(runs + 1)]
    times: dict[str, list[float]] = {v.name: [] for v in p.variants}
    agree = True
    for k, inp in enumerate(inputs):
        answers = []
        for v in p.variants:
            gc.collect()
            gc.disable()
            t = time.perf_counter()
            answers.append(v.run(inp))
            dt = time.perf_counter() - t
            gc.enable()
            if k:
                times[v.name].append(dt)
        if not all(p.same(answers[0], a) for a in answers[1:]):
            agree = False
    base = times[p.variants[0].name]
    return {
        "about": p.about,
        "agree": agree,
        "variants": {
            name: {
                "median_ms": round(statistics.median(ts) * 1e3, 4),
                "min_ms": round(min(ts) * 1e3, 4),
                "ratio_to_today": round(statistics.median(t / b for t, b in zip(ts, base, strict=True)), 3),
                "runs": len(ts),
            }
            for name, ts in times.items()
        },
    }


def bench_decode(db: Any, runs: int) -> dict[str, Any]:
    """Decoding alone (rows fetched beforehand): 100 Post rows, today's decode_row vs the
    per-class decoder, and the fixed cost of a cursor per statement (Store.execute)."""
    from querylang.engines.duckdb.decode import decode_row
    from querylang.engines.duckdb.layout import output_columns

    cls = db.schema.get("Post")
    cols = output_columns(cls)
    fast = _fast_decoder(cls, cols)
    sql = "SELECT " + ", ".join(f'"{c}"' for c in cols) + ' FROM "Post" ORDER BY "objectId" LIMIT 100'
    rows = _rows(duckdb_connection(db), sql, [])
    con = duckdb_connection(db)
    shared = con.cursor()

    def new_cursor() -> None:
        cur = con.cursor()
        cur.execute("SELECT 1").fetchall()
        cur.close()

    variants: dict[str, Callable[[], Any]] = {
        "decode_row x100 (today)": lambda: [decode_row(cls, cols, r) for r in rows],
        "per_class_decoder x100": lambda: [fast(r) for r in rows],
        "SELECT 1 on a new cursor (today)": new_cursor,
        "SELECT 1 on a kept cursor": lambda: shared.execute("SELECT 1").fetchall(),
    }
    out = {}
    for name, fn in variants.items():
        ts = []
        for _ in range(runs * 10):
            gc.disable()
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
            gc.enable()
        out[name] = {"median_ms": round(statistics.median(ts) * 1e3, 4), "min_ms": round(min(ts) * 1e3, 4)}
    shared.close()
    return out


def check_decoder(db: Any) -> bool:
    """The proposed decoder gives exactly today's records, on every Post and Comment."""
    from querylang.engines.duckdb.decode import decode_row
    from querylang.engines.duckdb.layout import output_columns

    for name in ("Post", "Comment", "Group", "User"):
        cls = db.schema.get(name)
        cols = output_columns(cls)
        fast = _fast_decoder(cls, cols)
        sql = "SELECT " + ", ".join(f'"{c}"' for c in cols) + f' FROM "{name}" LIMIT 20000'
        for r in _rows(duckdb_connection(db), sql, []):
            if fast(r) != decode_row(cls, cols, r):
                return False
    return True


def bench_edges(doc: dict[str, Any]) -> dict[str, Any]:
    """Store._insert_edges (DISTINCT + NOT EXISTS anti-join) vs a plain insert into the new,
    empty edge table (read_dataset has already removed duplicate edges)."""
    import duckdb
    import pyarrow as pa

    rel = doc["relations"]
    batch = pa.table({"owning_id": pa.array([e["objectId"] for e in rel]), "related_id": pa.array([e["targetId"] for e in rel])})
    out = {}
    for name, sql in (
        ("today", "INSERT INTO j SELECT DISTINCT v.owning_id, v.related_id FROM v WHERE NOT EXISTS "
         "(SELECT 1 FROM j AS x WHERE x.owning_id = v.owning_id AND x.related_id = v.related_id)"),
        ("plain_insert", "INSERT INTO j SELECT owning_id, related_id FROM v"),
    ):
        ts = []
        for _ in range(3):
            con = duckdb.connect()
            con.execute("CREATE TABLE j (owning_id VARCHAR NOT NULL, related_id VARCHAR NOT NULL)")
            con.register("v", batch)
            t = time.perf_counter()
            con.execute(sql)
            ts.append(time.perf_counter() - t)
            con.close()
        out[name] = {"median_ms": round(statistics.median(ts) * 1e3, 1)}
    return {"edges": len(rel), "variants": out}


def main(argv: list[str] | None = None) -> None:
    import querylang

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=list(SCALES), default="S")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--only", action="append")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    doc = load_or_generate(args.scale, args.seed)
    db = querylang.connect()
    db.load(doc)
    res: dict[str, Any] = {"scale": args.scale, "runs": args.runs, "proposals": {}}
    if not args.only or "edge_insert" in args.only:
        res["proposals"]["edge_insert"] = bench_edges(doc)
        print("edge_insert", json.dumps(res["proposals"]["edge_insert"]))
    del doc
    gc.collect()
    gc.freeze()
    res["decoder_matches_today"] = check_decoder(db)
    print("decoder gives the same records:", res["decoder_matches_today"])
    if not args.only or "decode_only" in args.only:
        res["proposals"]["decode_only"] = bench_decode(db, args.runs)
        for name, v in res["proposals"]["decode_only"].items():
            print(f"  {name:34s} median {v['median_ms']:8.3f} ms  min {v['min_ms']:8.3f} ms")
    for p in proposals(db):
        if args.only and p.name not in args.only:
            continue
        r = measure(p, args.runs, SCALES[args.scale], args.seed)
        res["proposals"][p.name] = r
        print(f"\n{p.name} (answers agree: {r['agree']})")
        for name, v in r["variants"].items():
            print(f"  {name:22s} median {v['median_ms']:9.3f} ms  min {v['min_ms']:9.3f} ms  ×today {v['ratio_to_today']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()

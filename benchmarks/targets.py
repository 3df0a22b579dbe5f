"""The targets the results are checked against: each with what was measured, met or not, and why."""

from __future__ import annotations

from typing import Any


def _ratio_target(wl: dict[str, Any], key: str, bound: float, label: str) -> list[dict[str, Any]]:
    ratios = {n: e["querylang_warm"].get(key) for n, e in wl.items() if "querylang_warm" in e}
    ratios = {n: r for n, r in ratios.items() if r is not None}
    if not ratios:
        return []
    worst = max(ratios, key=lambda n: ratios[n])
    missed = {n: r for n, r in ratios.items() if r > bound}
    return [
        {
            "target": label,
            "measured": f"worst {worst} {ratios[worst]:.2f}×; {len(missed)} of {len(ratios)} over {bound}×",
            "met": not missed,
            "why": "; ".join(f"{n} {r:.2f}×" for n, r in sorted(missed.items(), key=lambda kv: -kv[1])),
        }
    ]


RELATION_WORKLOADS = ("posts_in_group", "groups_holding_post", "two_hop_count")


def parse_targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """querylang in place on Parse's tables against Parse Server on the same tables (#14.6)."""
    wl = res["workloads"]
    speed = {n: e["querylang_parse_pg"]["speedup_vs_parse_server"] for n, e in wl.items()
             if "speedup_vs_parse_server" in e.get("querylang_parse_pg", {})}
    if not speed:
        return []
    slower = {n: s for n, s in speed.items() if round(s, 2) <= 1}  # parity (1.00×) is not faster
    rel = {n: s for n, s in speed.items() if n in RELATION_WORKLOADS}
    short = {n: s for n, s in rel.items() if s < 3}
    listing = ", ".join(f"{n} {s:.2f}×" for n, s in speed.items())
    out = [
        {"target": "querylang_parse_pg faster than parse_server on every workload (same tables)",
         "measured": listing, "met": not slower,
         "why": "; ".join(f"{n}: parse_server/querylang_parse_pg {s:.2f}×" for n, s in slower.items())},
    ]
    if rel:  # not measured (--only left the relation workloads out) is not missed
        out.append(
            {"target": "querylang_parse_pg ≥ 3× faster than parse_server on the relation workloads",
             "measured": ", ".join(f"{n} {s:.2f}×" for n, s in rel.items()), "met": not short,
             "why": "; ".join(f"{n} {s:.2f}×" for n, s in short.items())})
    return out


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    wl = res["workloads"]
    scale = res["scale"]
    issue = {n: e for n, e in wl.items() if ":" not in n}
    noodl = {n: e for n, e in wl.items() if ":" in n}
    out += _ratio_target(issue, "ratio", 1.2, f"querylang_warm ≤ 1.2× hand_sql on every workload (scale {scale})")
    out += _ratio_target(noodl, "ratio_best", 1.2, f"Noodl's shape (limit 100, page 2): querylang_warm ≤ 1.2× the best hand SQL (scale {scale})")
    out += _ratio_target(noodl, "ratio", 1.05, f"Noodl's shape (limit 100, page 2): querylang_warm ≤ 1.05× the naive hand SQL (scale {scale})")
    tp = res.get("throughput") or {}
    from .throughput import TARGETED

    hit = {n: e for n, e in tp.items() if n in TARGETED}
    if hit:
        k = next(iter(hit.values()))["threads"]
        worst = min(hit, key=lambda n: hit[n]["speedup"])
        out.append(
            {
                "target": f"{k} threads ≥ 1.6× one thread's queries per second (pointer and relation workloads, scale {scale})",
                "measured": ", ".join(f"{n} {e['speedup']:.2f}×" for n, e in hit.items()),
                "met": k >= 2 and all(e["speedup"] >= 1.6 for e in hit.values()),
                "why": f"worst {worst} {hit[worst]['speedup']:.2f}×",
            }
        )
    out += parse_targets(res)
    pc = wl.get("micro_parse_compile", {}).get("querylang_cold")
    if pc:
        us = pc["median_ms"] * 1e3
        out.append(
            {
                "target": "parse + compile of a typical 3-line script ≤ 300 µs",
                "measured": f"{us:.0f} µs",
                "met": us <= 300,
                "why": f"{us - 300:.0f} µs over" if us > 300 else "",
            }
        )
        # Round two's budget for the same path (README, round two's targets)
        out.append({"target": "round two: cold path of the typical 3-line script ≤ 150 µs", "measured": f"{us:.0f} µs",
                    "met": us <= 150, "why": f"{us - 150:.0f} µs over" if us > 150 else ""})
    co = wl.get("micro_cached_overhead", {}).get("querylang_warm")
    if co:
        us = co["median_ms"] * 1e3
        out.append(
            {
                "target": "≤ 20 µs overhead with the plan cached (db.compile of a script run before, new inputs)",
                "measured": f"{us:.1f} µs",
                "met": us <= 20,
                "why": (
                    f"{us / 20:.1f}× the budget: the inputs did not hit a kept plan (querylang/engines/sql/plan_cache.py), "
                    "so the script ran and the nodes were built and compiled again" if us > 20 else ""
                ),
            }
        )
        out.append({"target": "round two: plan-cached overhead ≤ 10 µs", "measured": f"{us:.1f} µs",
                    "met": us <= 10, "why": f"{us / 10:.1f}× the budget" if us > 10 else ""})
    ld = res.get("load_dir")
    if ld:  # --load-json: benchmarks/load_dir.py's figures, judged as round two's XL targets
        q, r = ld["querylang_load"], ld["raw_read_json"]
        out.append({"target": f"querylang load of the interchange directory (scale {ld.get('scale', '?')}) with peak RSS ≤ 3 GiB",
                    "measured": f"{q['peak_rss_mib']:,.0f} MiB", "met": q["peak_rss_mib"] <= 3072,
                    "why": f"{q['peak_rss_mib'] - 3072:,.0f} MiB over" if q["peak_rss_mib"] > 3072 else ""})
        out.append({"target": f"querylang load of the interchange directory (scale {ld.get('scale', '?')}) in ≤ 1.5× the fastest raw DuckDB path from the same files",
                    "measured": f"{q['seconds']:.1f} s vs DuckDB read_json {r['seconds']:.1f} s = {ld['ratio']:.2f}×",
                    "met": ld["ratio"] <= 1.5, "why": f"{ld['ratio']:.2f}× where 1.5× is allowed" if ld["ratio"] > 1.5 else ""})
    load = res.get("load")
    if load:
        allowed = 1.5 * load["raw_records_s"]
        out.append(
            {
                "target": (
                    f"db.load within 1.5× of the fastest raw DuckDB bulk path from the same records "
                    f"({load['records']:,} records + {load['edges']:,} edges)"
                ),
                "measured": (
                    f"{load['querylang_load_s']:.1f} s vs {load['raw_records_s']:.1f} s = {load['ratio']:.2f}× "
                    f"(vs ready Arrow batches {load['raw_arrow_s']:.1f} s: {load['ratio_arrow']:.1f}×)"
                ),
                "met": load["ratio"] <= 1.5,
                "why": (
                    f"{load['ratio']:.2f}× where 1.5× is allowed ({load['querylang_load_s'] - allowed:.1f} s too slow): "
                    "what the raw path skips is checking every value against the schema (types, text, dates, "
                    "numbers; a type set and an Arrow kernel per column) and the helper columns of Arrays and "
                    "Objects; see the Load section"
                    if load["ratio"] > 1.5 else ""
                ),
            }
        )
    out.append(
        {
            "target": "peak memory stated",
            "measured": f"{res['memory']['peak_rss_mb']:,.0f} MiB ru_maxrss",
            "met": True,
        }
    )
    return out

"""The runner's outputs: the console table, ``<scale>.md``, ``<scale>.png`` and ``<scale>.json``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

CONTENDERS = ("querylang_warm", "querylang_cold", "hand_sql", "hand_best", "hand_sql_again", "reference", "mongomock", "parse_server", "querylang_parse_pg")

TUNING_TEMPLATE = """\
## Tuning

Each engine change gets one entry: what changed, the workload(s) it targets, and before/after
medians at the same scale and `--repeat` (run `python -m benchmarks --scale L --only NAME` before
and after). Entries are kept when the runner rewrites this file.

| change | workload | scale | before (ms) | after (ms) | hand_sql (ms) | note |
| --- | --- | --- | --- | --- | --- | --- |
| _template_ | | | | | | |
"""


def _fmt_ms(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _fmt_ratio(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def table_rows(res: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    present = [c for c in CONTENDERS if any(c in w for w in res["workloads"].values())]
    header = ["workload", *present, "warm/hand", "warm/best", "warm−hand ms", "agree"]
    rows = []
    for name, entry in res["workloads"].items():
        cells = [name]
        for c in present:
            e = entry.get(c)
            if e is None:
                cells.append("")
                continue
            txt = _fmt_ms(e["median_ms"])
            if e.get("ratio") is not None and c != "hand_sql":
                txt += f" ({_fmt_ratio(e['ratio'])})"
            if e.get("data_scale") and e["data_scale"] != res["scale"]:
                txt += f" @{e['data_scale']}"
            cells.append(txt)
        warm = entry.get("querylang_warm", {})
        cells.append(_fmt_ratio(warm.get("ratio")))
        cells.append(_fmt_ratio(warm.get("ratio_best")))
        cells.append(_fmt_ms(warm.get("overhead_ms")))
        bad = [c for c in present if c in entry and entry[c].get("agrees") is False]
        # a contender that failed gave no answer (or not every run's) to agree with
        failed = [c for c in present if c in entry and entry[c].get("error")]
        verdicts = [*(["NO: " + ", ".join(bad)] if bad else []), *(["failed: " + ", ".join(failed)] if failed else [])]
        cells.append("; ".join(verdicts) or "yes")
        rows.append(cells)
    return header, rows


def console_table(res: dict[str, Any]) -> str:
    header, rows = table_rows(res)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def markdown(res: dict[str, Any], old_text: str | None) -> str:
    header, rows = table_rows(res)
    out = [f"# Benchmarks at scale {res['scale']}", ""]
    out.append(f"Run {res['date']} on {res['machine']}. ")
    out.append(
        f"Command: `{res['command']}`. Medians of {res['repeat']} runs after one warm-up; each run draws "
        "new inputs, the same for every contender. Ratios (in brackets) are to `hand_sql`, computed "
        "pair by pair (same inputs, same data) and then the median taken. In Noodl's shape "
        "(`<workload>:limit100`, `:page2`; benchmarks/noodl_shape.py) `hand_sql` is the naive SQL and "
        "`hand_best` the fastest SQL found; warm/best is the paired ratio to `hand_best` (to `hand_sql` "
        "where no better SQL was found, or where `hand_best` ran slower than `hand_sql`). `hand_sql_again` "
        "is the control: hand_sql's very statements on a cursor of their own, so its ratio is what the "
        "measurement alone moves a ratio by."
    )
    out.append("")
    out.append("Data: " + res["data"]["summary"])
    out.append("")
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(" --- " for _ in header) + "|")
    out += ["| " + " | ".join(r) + " |" for r in rows]
    out.append("")
    out.append(f"![ratios to hand_sql]({res['scale']}.png)")
    out.append("")
    if res.get("notes"):
        out.append("Notes:")
        out += [f"- {n}" for n in res["notes"]]
        out.append("")
    out.append("## Targets")
    out.append("")
    out.append("| target | measured | met |")
    out.append("| --- | --- | --- |")
    for t in res["targets"]:
        out.append(f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else '**no**'} |")
    out.append("")
    for t in res["targets"]:
        if not t["met"] and t.get("why"):
            out.append(f"- **{t['target']}** missed: {t['why']}")
    out.append("")
    tp = res.get("throughput")
    if tp:
        k = next(iter(tp.values()))["threads"]
        out.append("## Throughput")
        out.append("")
        out.append(
            f"`db.query` in a loop on 1 and on {k} threads sharing one database (each thread its own cursor "
            f"and inputs; benchmarks/throughput.py), rounds rotating, the median of each; queries per second. "
            "\"Serialized\": every query holding the store alone, as before parallel readers."
        )
        out.append("")
        out.append(f"| workload | 1 thread (q/s) | {k} threads (q/s) | speed-up | {k} threads, queries serialized (q/s) | speed-up |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for name, e in tp.items():
            out.append(
                f"| {name} | {e['qps_1']:,.0f} | {e[f'qps_{k}']:,.0f} | {e['speedup']:.2f}× "
                f"| {e[f'qps_{k}_serialized']:,.0f} | {e['speedup_serialized']:.2f}× |"
            )
        out.append("")
    load = res.get("load")
    if load:
        out.append("## Load")
        out.append("")
        out.append(f"{load['records']:,} records and {load['edges']:,} relation edges.")
        out.append("")
        out.append("| phase | seconds |")
        out.append("| --- | --- |")
        for k, v in load["phases_s"].items():
            out.append(f"| {k} | {v:.2f} |")
        out.append("")
        out.append(load["about"])
        out.append("")
    ld = res.get("load_dir")
    if ld:
        q, r = ld["querylang_load"], ld["raw_read_json"]
        out.append("## Load from an interchange directory")
        out.append("")
        out.append(
            f"`querylang load DIR --db FILE` against the fastest raw DuckDB path from the same directory "
            f"({ld['data_mib']:,.0f} MiB of NDJSON; `python -m benchmarks.load_dir --scale {ld['scale']}`): each in a "
            "process of its own, into a new database file, timed start to exit, peak resident memory from the kernel."
        )
        out.append("")
        out.append("| path | seconds | peak RSS (MiB) | database file (MiB) |")
        out.append("| --- | --- | --- | --- |")
        out.append(f"| `querylang load` (read by DuckDB's NDJSON reader, checked in SQL; text-search words computed on close) | {q['seconds']:.1f} | {q['peak_rss_mib']:,.0f} | {q['db_mib']:,.0f} |")
        out.append(f"| raw: DuckDB `read_json` → tables, no checks, same indexes after the commit | {r['seconds']:.1f} | {r['peak_rss_mib']:,.0f} | {r['db_mib']:,.0f} |")
        out.append(f"| ratio | {ld['ratio']:.2f}× | | |")
        out.append("")
    out.append("## Memory")
    out.append("")
    out.append(res["memory"]["about"])
    out.append("")
    if res.get("setup"):
        out.append("## Setup")
        out.append("")
        out += [f"- **{k}**: {v}" for k, v in res["setup"].items()]
        out.append("")
    out.append("## Workloads")
    out.append("")
    for name, w in res["scripts"].items():
        out.append(f"**{name}** — {w['about']}" + (f" (node settings: {w['settings']})" if w["settings"] else ""))
        out.append("")
        out.append("```js\n" + w["script"] + "\n```")
        out.append("")
    out.append(tuning_section(old_text))
    return "\n".join(out).rstrip() + "\n"


def tuning_section(old_text: str | None) -> str:
    """Keep the Tuning section the lead wrote; otherwise the template."""
    if old_text:
        m = re.search(r"^## Tuning\n.*", old_text, flags=re.M | re.S)
        if m:
            return m.group(0).rstrip() + "\n"
    return TUNING_TEMPLATE


def chart(res: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, e in res["workloads"].items() if "hand_sql" in e]
    contenders = [c for c in CONTENDERS if c != "hand_sql" and any(c in res["workloads"][n] for n in names)]
    fig, ax = plt.subplots(figsize=(10, 0.55 * max(len(names), 1) + 1.8))
    h = 0.8 / max(len(contenders), 1)
    for k, c in enumerate(contenders):
        ys = [i + k * h for i in range(len(names))]
        xs = [res["workloads"][n].get(c, {}).get("ratio") or 0 for n in names]
        ax.barh(ys, xs, height=h, label=c)
    ax.set_yticks([i + 0.4 - h / 2 for i in range(len(names))])
    ax.set_yticklabels(names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.axvline(1.2, color="red", linewidth=0.8, linestyle="--", label="target 1.2× (warm)")
    ax.set_xlabel("median time / hand-written SQL (log scale; paired runs)")
    ax.set_title(f"querylang benchmarks, scale {res['scale']}")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})  # no link to the plotting library's site
    plt.close(fig)


def write_all(res: dict[str, Any], out_dir: Path, json_path: Path | None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    scale = res["scale"]
    md_path = out_dir / f"{scale}.md"
    old = md_path.read_text(encoding="utf-8") if md_path.exists() else None
    md_path.write_text(markdown(res, old), encoding="utf-8")
    png = out_dir / f"{scale}.png"
    chart(res, png)
    paths = [md_path, png]
    for p in {out_dir / f"{scale}.json", *([json_path] if json_path else [])}:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(p)
    return paths

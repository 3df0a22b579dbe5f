"""The load benchmark: ``db.load`` of the interchange document, its steps timed inside the same
call, against raw DuckDB bulk paths from the same records and from ready Arrow batches."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from .generate import record_count

LOAD_STEPS = {  # label: the step's name in querylang.steps
    "reading: bulk_columns (each class checked column by column into Arrow arrays)": "bulk_columns",
    "reading: relation_columns (the edges, checked column by column)": "relation_columns",
    "writing, on the load thread while the reading goes on: _insert_records (helper columns + INSERT)": "insert_records",
    "  of which INSERT ... SELECT from Arrow": "insert_arrow",
    "writing, on the load thread: _insert_edges (INSERT SELECT DISTINCT)": "insert_edges",
    "writing, on the load thread: _build_indexes (CREATE INDEX on committed rows)": "build_indexes",
}


def _phase_timers(phases: dict[str, float]) -> Callable[[], None]:
    """Time the steps of the real ``db.load`` through querylang.steps (not a re-run); returns the
    function that stops listening."""
    from querylang import steps

    label = {name: text for text, name in LOAD_STEPS.items()}

    def heard(name: str, seconds: float) -> None:
        if name in label:
            phases[label[name]] = phases.get(label[name], 0.0) + seconds

    return steps.listen(heard)


def bench_load(doc: dict[str, Any], db: Any) -> tuple[Any, dict[str, Any]]:
    """``db.load(doc)`` against two raw DuckDB bulk paths, each with the same indexes built the
    fastest way found (after the commit: DuckDB then builds them on every core, Tuning P12):

    - *from records*: the same interchange records straight into DuckDB with no checks, the
      fastest way found from Python dicts (a column list per field through ``pa.array``, or
      ``pa.Table.from_pylist``; the better of the two), dates cast by DuckDB, edges DISTINCT.
      The same job as ``db.load`` minus what querylang adds: the target's yardstick.
    - *from Arrow*: querylang's own tables from Arrow batches built beforehand (outside the
      timer): the floor of any path that must first turn records into Arrow.
    """
    from querylang.engines.duckdb.cells import class_arrays
    from querylang.engines.duckdb.layout import load_columns
    from querylang.interchange.columns import read_columns

    gc.collect()
    phases: dict[str, float] = dict.fromkeys(LOAD_STEPS, 0.0)
    unwrap = _phase_timers(phases)
    gc_time = [0.0, 0.0]

    def gc_cb(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_time[1] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_time[1]

    gc.callbacks.append(gc_cb)
    try:
        t = time.perf_counter()
        db.load(doc)
        t_load = time.perf_counter() - t
    finally:
        gc.callbacks.remove(gc_cb)
        unwrap()
    # What the load leaves to the first text search on each String field (Store.ready).
    t = time.perf_counter()
    for key in sorted(db.store.pending_words):
        db.store.fill_words(*key)
    t_words = time.perf_counter() - t

    # From records: the fastest of two ways, each timed on a fresh database.
    from_records = {way: _raw_from_records(doc, way) for way in ("column lists", "from_pylist")}
    best_way = min(from_records, key=lambda w: from_records[w]["total"])
    raw_records = from_records[best_way]["total"]

    # From Arrow: querylang's tables as Arrow batches, prepared outside the timer.
    data = read_columns(doc)
    batches = {
        name: pa_table(class_arrays(data.schema.classes[name], cols), [c for c, _ in load_columns(data.schema.classes[name])])
        for name, cols in data.columns.items()
    }
    edges = {k: pa_table(list(pair), ["owning_id", "related_id"]) for k, pair in data.edges.items()}
    schema = data.schema
    del data
    gc.collect()
    from_arrow = _raw_from_arrow(schema, batches, edges)
    del batches, edges
    gc.collect()

    records = record_count(doc)
    nedges = len(doc.get("relations", []))
    shown = {"db.load total": t_load}
    shown.update({f"  {k}": v for k, v in phases.items()})
    reading = sum(v for k, v in phases.items() if k.startswith("reading"))
    shown["  the rest: waiting for the load thread to finish, clean-join check, publishing the schema"] = max(t_load - reading, 0.0)
    shown["  Python garbage collector, across all of the above"] = gc_time[0]
    shown["text-search words, left by the load to the first text search per field (all fields)"] = t_words
    for way, r in from_records.items():
        shown[f"raw from records ({way}{', the faster' if way == best_way else ''})"] = r["total"]
        shown[f"  {way}: records → Arrow → CREATE TABLE AS, COMMIT"] = r["insert"]
        shown[f"  {way}: CREATE INDEX after the commit"] = r["index"]
    shown["raw from ready Arrow (querylang's tables)"] = from_arrow["total"]
    shown["  ready Arrow: INSERT ... SELECT, COMMIT"] = from_arrow["insert"]
    shown["  ready Arrow: CREATE INDEX after the commit"] = from_arrow["index"]
    return db, {
        "records": records,
        "edges": nedges,
        "querylang_load_s": round(t_load, 3),
        "raw_records_s": round(raw_records, 3),
        "raw_records_way": best_way,
        "raw_arrow_s": round(from_arrow["total"], 3),
        "ratio": round(t_load / raw_records, 2),
        "ratio_arrow": round(t_load / from_arrow["total"], 2),
        "words_s": round(t_words, 3),
        "gc_s": round(gc_time[0], 3),
        "phases_s": shown,
        "about": (
            "`db.load` is timed on the interchange document (Python dicts, dates as ISO strings); its steps "
            "are timed inside that same call by wrapping the Store methods. The target's yardstick is the fastest "
            "raw DuckDB bulk path from the *same records*: no checks, nested values as Arrow infers them, no "
            "helper columns, dates cast by DuckDB, edges DISTINCT, the same indexes built after the commit "
            "(the fastest way found). The path from *ready Arrow* batches of querylang's own tables is shown too: "
            "the floor for any loader that starts from records, since turning a million dicts into Arrow columns "
            "is itself Python work on every value. Text-search words are not part of `db.load` any more: the "
            "first text search on a field computes them (or closing a file database), timed here for all fields. "
            f"Against ready Arrow (the stricter reading of the target) `db.load` is {t_load / from_arrow['total']:.1f}×; "
            f"the raw path from records, with no checks at all, is itself {raw_records / from_arrow['total']:.1f}× of it: "
            "turning a million dicts into Arrow columns is part of any load that starts from records."
        ),
    }


def pa_table(arrays: list[Any], names: list[str]) -> Any:
    import pyarrow as pa

    return pa.Table.from_arrays(arrays, names=names)


def _index_statements(schema_classes: dict[str, list[str]], join_tables: list[str]) -> list[str]:
    """The indexes querylang builds: objectId (unique), each Pointer column, both edge ends."""
    from querylang.engines.duckdb.layout import quote_ident

    out = []
    for name, pointers in schema_classes.items():
        out.append(f'CREATE UNIQUE INDEX {quote_ident("ix:" + name)} ON {quote_ident(name)} ("objectId")')
        out += [f"CREATE INDEX {quote_ident(f'ix:{name}:{p}')} ON {quote_ident(name)} ({quote_ident(p)})" for p in pointers]
    for jt in join_tables:
        out.append(f"CREATE INDEX {quote_ident('ix:' + jt + ':o')} ON {quote_ident(jt)} (owning_id)")
        out.append(f"CREATE INDEX {quote_ident('ix:' + jt + ':r')} ON {quote_ident(jt)} (related_id)")
    return out


def _raw_from_records(doc: dict[str, Any], way: str) -> dict[str, float]:
    """The document's records into DuckDB with no checks, one of two ways (see bench_load)."""
    from itertools import repeat

    import duckdb
    import pyarrow as pa

    from querylang.engines.duckdb.layout import join_table, quote_ident

    gc.collect()
    con = duckdb.connect()
    pointers: dict[str, list[str]] = {}
    t = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    for name, rows in doc["records"].items():
        fields = doc["classes"][name]["fields"]
        names = ["objectId", "createdAt", "updatedAt", *(f for f, spec in fields.items() if spec["type"] != "Relation")]
        if way == "from_pylist":
            batch = pa.Table.from_pylist(rows)
            names = [c for c in names if c in batch.column_names]
        else:
            batch = pa.table({c: pa.array(list(map(dict.get, rows, repeat(c)))) for c in names})
        dates = {"createdAt", "updatedAt", *(f for f, spec in fields.items() if spec["type"] == "Date")}
        select = ", ".join(f"CAST({quote_ident(c)} AS TIMESTAMP) AS {quote_ident(c)}" if c in dates else quote_ident(c) for c in names)
        con.register("_raw", batch)
        con.execute(f"CREATE TABLE {quote_ident(name)} AS SELECT {select} FROM _raw")
        con.unregister("_raw")
        pointers[name] = [f for f, spec in fields.items() if spec["type"] == "Pointer"]
    rels = doc.get("relations", [])
    joins = sorted({join_table(r["class"], r["key"]) for r in rels[:1]})  # one Relation field in the benchmark data
    for jt in joins:
        if way == "from_pylist":
            batch = pa.Table.from_pylist(rels).select(["objectId", "targetId"])
        else:
            batch = pa.table({c: pa.array(list(map(dict.get, rels, repeat(c)))) for c in ("objectId", "targetId")})
        con.register("_raw", batch)
        con.execute(f'CREATE TABLE {quote_ident(jt)} AS SELECT DISTINCT "objectId" AS owning_id, "targetId" AS related_id FROM _raw')
        con.unregister("_raw")
    con.execute("COMMIT")
    t_insert = time.perf_counter() - t
    t_index = _index_and_close(con, pointers, joins)
    gc.collect()
    return {"insert": t_insert, "index": t_index, "total": t_insert + t_index}


def _index_and_close(con: Any, pointers: dict[str, list[str]], joins: list[str]) -> float:
    """Build the indexes (timed), then close the database."""
    t = time.perf_counter()
    for sql in _index_statements(pointers, joins):
        con.execute(sql)
    t_index = time.perf_counter() - t
    con.close()
    return t_index


def _raw_from_arrow(schema: Any, batches: dict[str, Any], edges: dict[tuple[str, str], Any]) -> dict[str, float]:
    """querylang's tables from ready Arrow batches: INSERT ... SELECT, COMMIT, then indexes."""
    import duckdb

    from querylang.engines.duckdb.layout import join_table, load_columns, quote_ident

    con = duckdb.connect()
    for name, cls in schema.classes.items():
        con.execute(f"CREATE TABLE {quote_ident(name)} ({', '.join(f'{quote_ident(c)} {ty}' for c, ty in load_columns(cls))})")
    joins = {join_table(*k): batch for k, batch in edges.items()}
    for jt in joins:
        con.execute(f"CREATE TABLE {quote_ident(jt)} (owning_id VARCHAR NOT NULL, related_id VARCHAR NOT NULL)")
    t = time.perf_counter()
    con.execute("BEGIN TRANSACTION")
    for name, batch in {**batches, **joins}.items():
        con.register("_raw", batch)
        con.execute(f"INSERT INTO {quote_ident(name)} SELECT * FROM _raw")
        con.unregister("_raw")
    con.execute("COMMIT")
    t_insert = time.perf_counter() - t
    pointers = {name: [f.name for f in cls.user_fields if f.type == "Pointer"] for name, cls in schema.classes.items()}
    t_index = _index_and_close(con, pointers, list(joins))
    return {"insert": t_insert, "index": t_index, "total": t_insert + t_index}

"""DuckDB storage: class tables, relation edge tables, the schema table; load and run.

``Store.load`` is all or nothing. The document is checked a column at a time into Arrow
(columns.py) and written with Arrow bulk inserts. A load that touches stored classes is one
transaction; a load that only adds classes is written while it is read (_LoadPipeline) and
published by one last transaction that writes its schema rows: until then its tables are
unknown to queries, and a failure (or the next open, after a crash) drops them. Indexes
(objectId, each Pointer column, both ends of each edge table) are built once a table's rows
are in, which is much faster than inserting into indexed tables. Text-search words are left
to the first text search on a field (Store.ready).
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from querylang.engines.duckdb.dialect import DUCKDB
from querylang.engines.duckdb.layout import (
    NULLS_COLUMN,
    SCHEMA_TABLE,
    TEXT_PARTS,
    class_columns,
    field_columns,
    join_table,
    load_columns,
    quote_ident,
)
from querylang.errors import DataError, EngineError, QueryCancelled, QueryError, QueryTimeout
from querylang.features import text
from querylang.interchange.columns import (
    ClassColumns,
    ColumnDataset,
    iter_columns,
    open_document,
    read_columns,
)
from querylang.interchange.document import Dataset, Edge, read_dataset
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef, Field, Schema
from querylang.model.values import (
    canonical,
    canonical_plain,
    flatten,
    plain_json,
    scalar_json,
    type_class,
)

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
    "DOUBLE[]": pa.list_(pa.float64()),
    "TIMESTAMP[]": pa.list_(pa.timestamp("us")),
    "BOOLEAN[]": pa.list_(pa.bool_()),
    "MAP(VARCHAR, VARCHAR)": pa.map_(pa.string(), pa.string()),
    "MAP(VARCHAR, DOUBLE)": pa.map_(pa.string(), pa.float64()),
    "MAP(VARCHAR, BOOLEAN)": pa.map_(pa.string(), pa.bool_()),
    "MAP(VARCHAR, TIMESTAMP)": pa.map_(pa.string(), pa.timestamp("us")),
}


# json.dumps(value, ensure_ascii=False), with the encoder built once instead of per call.
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def _naive(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)


# --- records ⇄ columns ----------------------------------------------------------------------


def field_cells(f: Field, value: Any) -> list[Any]:
    """The cells of one field's columns (layout.field_columns order) for a stored value."""
    if f.type == "Relation":
        return []  # edges live in their own table
    if f.type == "Array":
        if value is None:
            return [None] * 7
        if all(type(e) is str for e in value):
            return _string_array_cells(value)
        return _array_cells(value)
    if f.type == "Object":
        if value is None:
            return [None] * 7
        if all(type(v) in _FLAT_SCALARS for v in value.values()):
            return _flat_object_cells(value)
        return _object_cells(value)
    if f.type == "GeoPoint":
        if value is None:
            return [None, None]
        return [float(value["latitude"]), float(value["longitude"])]
    if f.type == "String":
        if value is None:
            return [None] * 4
        return [value, *text.word_columns(value)]
    if value is None:
        return [None]
    if f.type == "Date":
        return [_naive(value)]
    if f.type == "Number":
        return [float(value)]
    return [value]


def _array_cells(value: list[Any]) -> list[Any]:
    """The cells of an Array field's columns (layout.ARRAY_PARTS order)."""
    by_class: dict[str, list[Any]] = {"number": [], "string": [], "date": [], "bool": []}
    for e in value:
        tc = type_class(e)
        if tc in by_class:
            by_class[tc].append(_naive(e) if tc == "date" else e)
    plain = plain_json(value)  # once: the JSON text and every key below start from it
    return [
        _JSON_TEXT(plain),
        canonical_plain(plain),
        [canonical_plain(e) for e in plain],
        [float(x) for x in by_class["number"]],
        by_class["string"],
        by_class["date"],
        by_class["bool"],
    ]


def _object_cells(value: dict[str, Any]) -> list[Any]:
    """The cells of an Object field's columns (layout.field_columns order)."""
    paths = flatten(value)
    typed: dict[str, list[tuple[str, Any]]] = {"number": [], "string": [], "bool": [], "date": []}
    for p, v in paths:
        tc = type_class(v)
        if tc in typed:
            typed[tc].append((p, float(v) if tc == "number" else _naive(v) if tc == "date" else v))  # type: ignore[arg-type]  # type_class checked the kind
    plain = plain_json(value)
    return [
        _JSON_TEXT(plain),
        canonical_plain(plain),
        [(p, canonical(v)) for p, v in paths],
        typed["number"],
        typed["string"],
        typed["bool"],
        typed["date"],
    ]


def _string_array_cells(value: list[str]) -> list[Any]:
    """_array_cells of an Array of strings only (tags, the usual kind): a JSON array of strings
    is its encoded elements joined by the encoder's separator, so each is encoded once."""
    keys = [canonical_plain(e) for e in value]
    return [f"[{', '.join(keys)}]", f"[{','.join(keys)}]", keys, [], list(value), [], []]


_FLAT_SCALARS = {str, int, float, bool, type(None)}


def _flat_object_cells(value: dict[str, Any]) -> list[Any]:
    """_object_cells of an Object of scalars only (no nesting, no dates; meta objects, the
    usual kind): its paths are its keys, so no flattening and one plain form for all keys."""
    numbers, strings, bools = [], [], []
    for k, v in value.items():
        if type(v) is str:
            strings.append((k, v))
        elif type(v) is bool:
            bools.append((k, v))
        elif v is not None:
            numbers.append((k, float(v)))
    # The JSON texts put together from each key's and value's own JSON, as json.dumps does:
    # json.dumps of a dict builds a C encoder per call, most of the cost of a small object.
    keys = [(k, scalar_json(plain_json(v))) for k, v in value.items()]
    text = ", ".join(f"{encode_basestring(k)}: {j}" for k, j in keys)
    key = ",".join(f"{encode_basestring(k)}:{j}" for k, j in sorted(keys))
    return ["{" + text + "}", "{" + key + "}", keys, numbers, strings, bools, []]


def record_row(cls: ClassDef, rec: Mapping[str, Any]) -> list[Any]:
    """A normalised record as one row of its class table (layout.class_columns order)."""
    row: list[Any] = [rec["objectId"], _naive(rec["createdAt"]), _naive(rec["updatedAt"])]
    nulls = []
    for f in cls.user_fields:
        if f.name in rec and rec[f.name] is None:
            nulls.append(f.name)
        row.extend(field_cells(f, rec.get(f.name)))
    row.append(nulls or None)
    return row


# Loading builds each column straight from the records, one pass per field, and leaves
# per-value conversions to Arrow where it can: row by row (record_row, then transposing) took
# 3/4 of a 1M-record load. record_row stays for single-record writes.


def class_arrays(cls: ClassDef, cols: ClassColumns) -> list[pa.Array]:
    """A class's checked columns as the columns a load writes (layout.load_columns order);
    cell for cell what :func:`record_row` gives for each record, but no text-search words."""
    values = cols.values
    arrays = [values["objectId"], values["createdAt"], values["updatedAt"]]
    nulls: list[list[str] | None] = [None] * len(cols)
    for f in cls.user_fields:
        if f.type == "Relation":
            continue  # edges live in their own table
        for i in cols.nulls[f.name]:  # explicit nulls, kept so records read back as written
            cell = nulls[i]
            if cell is None:
                nulls[i] = [f.name]
            else:
                cell.append(f.name)
        column = values[f.name]
        if isinstance(column, pa.Array):  # a scalar field, converted while checking
            arrays.append(column)
            continue
        if isinstance(column, tuple):  # a nested field in a usual shape, converted while checking
            arrays.extend(column)
            continue
        # Array, Object, GeoPoint: nested values, converted one by one (few records have them).
        cells = [field_cells(f, v) for v in column]
        arrays += [pa.array([c[k] for c in cells], ARROW_TYPES[t]) for k, (_, t) in enumerate(field_columns(f))]
    arrays.append(pa.array(nulls, pa.list_(pa.string())))
    return arrays


def word_arrays(texts: list[str]) -> list[pa.Array]:
    """The text-search word columns (layout.TEXT_PARTS order) of distinct texts."""
    per_text = [text.word_columns(t) for t in texts]
    return [pa.array([w[k] for w in per_text], pa.string()) for k in range(3)]


def _number(x: float) -> int | float:
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _iso_naive(dt: datetime) -> str:
    """A naive UTC TIMESTAMP from DuckDB as ISO-8601 with milliseconds and Z.

    ``isoformat`` is C code: 0.8 µs against 1.3 µs for an f-string, three dates a record.
    """
    return dt.isoformat("T", "milliseconds") + "Z"


def _json(text: str) -> Any:
    """Stored JSON text back to values: orjson is 5× faster than json on our small documents;
    json takes over for what orjson refuses (nothing we write, but a file may be older)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def make_decoder(cls: ClassDef, columns: Sequence[str]) -> Any:
    """A row → record function for one class and column list, planned once.

    Measured 2.5× faster than looking each field's type up per row (benchmarks, Tuning P1).
    """
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any]] = {"Array": _json, "Object": _json, "Date": _iso_naive, "Number": _number}
    plan = [
        (idx[f.name], f.name, convs.get(f.type))
        for f in cls.user_fields
        if f.type not in ("Relation", "GeoPoint")
    ]
    geo = [(idx[f.name + ":lat"], idx[f.name + ":lng"], f.name) for f in cls.user_fields if f.type == "GeoPoint"]
    i_id, i_c, i_u, i_n = idx["objectId"], idx["createdAt"], idx["updatedAt"], idx[NULLS_COLUMN]

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"objectId": row[i_id], "createdAt": _iso_naive(row[i_c]), "updatedAt": _iso_naive(row[i_u])}
        for k, name, conv in plan:
            v = row[k]
            if v is not None:
                out[name] = conv(v) if conv is not None else v
        for a, b, name in geo:
            lat = row[a]
            if lat is not None:
                out[name] = {"latitude": _number(lat), "longitude": _number(row[b])}
        for name in row[i_n] or ():
            out[name] = None
        return out

    return decode


def decode_row(cls: ClassDef, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """One result row as the record the user gave (dates ISO, pointers ids, nulls kept)."""
    return make_decoder(cls, columns)(row)


def output_record(cls: ClassDef, rec: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluator's normalised record in the same shape as :func:`decode_row` gives."""
    out: dict[str, Any] = {}
    for name, v in rec.items():
        f = cls.fields.get(name)
        if f is None or f.type == "Relation":
            continue
        if v is None:
            out[name] = None
        elif f.type == "Date":
            out[name] = iso_ms(v)
        elif f.type in ("Array", "Object"):
            out[name] = json.loads(json.dumps(plain_json(v), ensure_ascii=False))
        elif f.type == "Number":
            out[name] = _number(float(v))
        elif f.type == "GeoPoint":
            out[name] = {"latitude": _number(float(v["latitude"])), "longitude": _number(float(v["longitude"]))}
        else:
            out[name] = v
    return out


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Loading makes millions of small objects and no cycles: the collector only costs time
    (~20% of a 1M-record load, benchmarks Tuning P6)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Watchdog:
    """One thread per store that interrupts statements past their deadline.

    A timer thread per statement cost ~40 µs (benchmarks, Tuning P9); registering a deadline
    here costs a lock and a dict insert. The thread is woken only when a new deadline comes
    before the one it sleeps until: with one timeout for every statement that is once per idle
    spell, not once per statement (a wake-up per statement cost ~30 µs of GIL hand-over).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._watched: dict[int, tuple[float, Any, threading.Event | None]] = {}
        self._next = 0
        self._wake = math.inf  # when the thread will look next
        self._thread: threading.Thread | None = None

    def watch(self, cursor: Any, timeout: float | None, cancel: threading.Event | None = None) -> int:
        """Interrupt ``cursor`` past ``timeout`` seconds, or as soon as ``cancel`` is set.

        A set ``cancel`` is acted on again every CANCEL_POLL seconds until :meth:`done`: an
        interrupt that reaches DuckDB before the statement starts is forgotten by it, and the
        statement would then run to its end (the REPL once hung so after Ctrl-C).
        """
        now = time.monotonic()
        deadline = math.inf if timeout is None else now + timeout
        with self._cond:
            self._next += 1
            self._watched[self._next] = (deadline, cursor, cancel)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="querylang-watchdog", daemon=True)
                self._thread.start()
            wake = deadline if cancel is None else min(deadline, now + CANCEL_POLL)
            if wake < self._wake:
                self._wake = wake
                self._cond.notify()
            return self._next

    def done(self, token: int) -> None:
        with self._cond:
            self._watched.pop(token, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                now = time.monotonic()
                polling = False
                for token, (deadline, cursor, cancel) in list(self._watched.items()):
                    if cancel is not None:
                        polling = True
                        if cancel.is_set():
                            cursor.interrupt()  # again each round until the statement is done
                            continue
                    if deadline <= now:
                        del self._watched[token]
                        cursor.interrupt()
                self._wake = min((d for d, _, _ in self._watched.values()), default=math.inf)
                if polling:
                    self._wake = min(self._wake, now + CANCEL_POLL)
                self._cond.wait(timeout=None if self._wake == math.inf else max(self._wake - now, 0.001))


CANCEL_POLL = 0.02  # seconds between looks at the cancel events of running statements

# Tables a load of new classes has written but not yet published (no schema rows yet).
LOADING_TABLE = "_querylang_loading"
# Records + edges from which a load of new classes is written while read (_LoadPipeline):
# below, its thread, cursor and transactions cost more than they save (11 ms → 17 ms for 20).
PIPELINE_MIN = 50_000


def _size(records: Mapping[str, Any], relations: object) -> int:
    rows = sum(len(r) for r in records.values() if isinstance(r, list))
    return rows + (len(relations) if isinstance(relations, list) else 0)


class _LoadPipeline:
    """The DuckDB half of a load of new classes, on a thread and a cursor of its own: each
    part is inserted, committed and indexed while the caller reads the next one. DuckDB
    releases the GIL while it works, and builds an index over committed rows on every core
    (2.5× faster than inside the load's transaction): at scale L most of the index build
    hides behind the reading (benchmarks, Tuning P12)."""

    def __init__(self, store: Store) -> None:
        self.cur = store.con.cursor()
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="querylang-load", daemon=True)
        self.thread.start()

    def submit(self, job: Any) -> None:
        self.jobs.put(job)

    def _run(self) -> None:
        while (job := self.jobs.get()) is not None:
            if self.error is None:
                try:
                    job(self.cur)
                except BaseException as exc:  # handed to the caller by finish()
                    self.error = exc

    def finish(self) -> None:
        """Wait for every job; the first failure is raised here."""
        self.jobs.put(None)
        self.thread.join()
        self.cur.close()
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        """Give up (the caller failed): skip the jobs left, interrupt the one running."""
        if not self.thread.is_alive():
            return
        self.error = self.error or _Stopped()
        self.cur.interrupt()
        self.jobs.put(None)
        self.thread.join()
        self.cur.close()


class _Stopped(Exception):
    pass


Progress = Callable[[str, int, int], None]


class _Tally:
    """Records and edges read and written by a load, told to its ``progress`` callback."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total = progress, total
        self.done = {"read": 0, "written": 0}

    def restart(self) -> None:
        """A load that starts again another way (nothing of the first try was kept)."""
        self.done = {"read": 0, "written": 0}

    def read(self, n: int) -> None:
        self._add("read", n)

    def written(self, n: int) -> None:
        self._add("written", n)

    def _add(self, stage: str, n: int) -> None:
        if self.progress is not None:
            self.done[stage] = min(self.done[stage] + n, self.total)
            self.progress(stage, self.done[stage], self.total)


def _edge_count(edges: Mapping[tuple[str, str], tuple[pa.Array, pa.Array]]) -> int:
    return sum(len(owning) for owning, _ in edges.values())


# --- the store ------------------------------------------------------------------------------

#: The names a new database file may have: DuckDB would also "open" a .json or .csv file (as a
#: view of it, in memory), so any other name is refused instead of keeping nothing.
DATABASE_SUFFIXES = (".duckdb", ".db", ".ddb")
_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def check_database_path(path: str, *, read_only: bool) -> None:
    """Refuse what is not a DuckDB database: an existing file of another kind, a missing file
    opened read-only, or a new file whose name does not say it is a database."""
    if path.startswith(":memory:"):
        return
    file = Path(path)
    if file.is_dir():
        raise DataError(f"{path} is a folder, not a database file")
    if file.exists():
        try:
            with file.open("rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise DataError(f"cannot open database {path}: {exc}") from None
        if head[8:12] == _MAGIC:
            return
        kind = {".json": "a JSON file", ".csv": "a CSV file"}.get(file.suffix.lower(), "some other file")
        hint = " (to load it: querylang load FILE --db NEW.duckdb, or db.load(path))" if kind == "a JSON file" else ""
        raise DataError(f"{path} is not a DuckDB database: it looks like {kind}{hint}")
    if read_only:
        raise DataError(f"no such database file: {path}")
    if file.suffix.lower() not in DATABASE_SUFFIXES:
        raise DataError(
            f"no database at {path}: a new database file is made only for a name ending in "
            f"{', '.join(DATABASE_SUFFIXES)}"
        )



class Store:
    """One DuckDB database holding querylang classes."""

    def __init__(self, path: str | Path = ":memory:", *, read_only: bool = False) -> None:
        self.path = str(path)
        check_database_path(self.path, read_only=read_only)
        self.dialect = DUCKDB  # how the compiler writes SQL for this store
        try:
            self.con = duckdb.connect(self.path, read_only=read_only)
        except duckdb.Error as exc:
            raise DataError(f"cannot open database {self.path}: {exc}") from None
        self.lock = threading.RLock()
        self._local = threading.local()
        self.watchdog = Watchdog()
        self.closed = False
        try:
            self._open(read_only)
        except duckdb.Error as exc:
            self.con.close()
            raise EngineError(f"cannot read the database {self.path}: {exc}") from None

    def _open(self, read_only: bool) -> None:
        if not read_only:
            self.con.execute(
                f"CREATE TABLE IF NOT EXISTS {quote_ident(SCHEMA_TABLE)} "
                "(class_name VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL)"
            )
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {quote_ident(LOADING_TABLE)} (table_name VARCHAR NOT NULL)")
            self._drop_loading()  # the tables of a load a crash kept from being published
        self.read_only = read_only
        self.schema = self._read_schema()
        # (class, String field) whose text-search words may be missing for some records: a
        # bulk load leaves them to the first text search on the field (Store.ready).
        self.pending_words: set[tuple[str, str]] = self._missing_words(self.schema)

    def _read_schema(self) -> Schema:
        try:
            rows = self.con.execute(
                f"SELECT class_name, definition FROM {quote_ident(SCHEMA_TABLE)} ORDER BY class_name"
            ).fetchall()
        except duckdb.CatalogException:
            return Schema()
        schema = Schema.from_json({name: json.loads(d) for name, d in rows})
        return replace(schema, clean_joins=self._clean_joins(schema))

    def _clean_joins(self, schema: Schema) -> frozenset[str]:
        """The join tables in which every edge's owner and target record exist (one anti-join
        each, ~0.1 s for 1M edges at scale L)."""
        clean = set()
        for cls in schema.classes.values():
            for f in cls.user_fields:
                if f.type != "Relation":
                    continue
                name = join_table(cls.name, f.name)
                owner, target = quote_ident(cls.name), quote_ident(f.target or "")
                dangling = self.con.execute(
                    f"SELECT EXISTS (SELECT 1 FROM {quote_ident(name)} AS e "
                    f'WHERE NOT EXISTS (SELECT 1 FROM {owner} AS o WHERE o."objectId" = e.owning_id) '
                    f'OR NOT EXISTS (SELECT 1 FROM {target} AS r WHERE r."objectId" = e.related_id))'
                ).fetchall()
                if not dangling[0][0]:
                    clean.add(name)
        return frozenset(clean)

    def decoder(self, cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Any]], dict[str, Any]]:
        """Rows of ``columns`` → output records (make_decoder)."""
        return make_decoder(cls, columns)

    def writer(self) -> Writer:
        """Record-level writes, each one transaction."""
        return Writer(self)

    def close(self) -> None:
        """Close the database; a file gets its pending text-search words first, so that it
        opens complete (read-only opens cannot add them). Closing again does nothing: a
        Ctrl-C while the words are computed closes it too, and they are left to the next
        open for writing."""
        if self.closed:
            return
        try:
            if self.pending_words and not self.read_only and self.path != ":memory:":
                with self.lock:
                    for key in sorted(self.pending_words):
                        self.fill_words(*key)
        finally:
            self.closed = True
            self.con.close()

    # --- text-search words, computed when first needed ---------------------------------------

    def _missing_words(self, schema: Schema) -> set[tuple[str, str]]:
        """The String fields with a text whose words were never computed (a load whose
        process ended before a text search or close); one scan per class."""
        out = set()
        for name, cls in schema.classes.items():
            fields = [f.name for f in cls.user_fields if f.type == "String"]
            if not fields:
                continue
            tests = ", ".join(
                f'bool_or({quote_ident(f)} IS NOT NULL AND {quote_ident(f + TEXT_PARTS[-1])} IS NULL)' for f in fields
            )
            try:
                rows = self.con.execute(f"SELECT {tests} FROM {quote_ident(name)}").fetchall()
            except duckdb.Error:
                continue  # a table this version cannot read is reported by the query that needs it
            out |= {(name, f) for f, missing in zip(fields, rows[0], strict=True) if missing}
        return out

    def ready(self, words: Iterable[tuple[str, str]]) -> None:
        """Compute the text-search words a plan reads (Plan.words), if a bulk load left them
        pending."""
        if not self.pending_words:
            return
        with self.lock:
            for name, f in sorted(self.pending_words & set(words)):
                if self.read_only:
                    raise QueryError(
                        f"text search on {name}.{f} needs its words, which the load that wrote the "
                        "database did not finish computing; open it once without read-only "
                        "(they are computed then, on the first text search or on close), e.g. "
                        f"querylang repl --db {self.path} < /dev/null"
                    )
                self.fill_words(name, f)

    def fill_words(self, class_name: str, field_name: str) -> int:
        """Compute the words of every text of the field that lacks them (one UPDATE);
        returns the number of distinct texts done."""
        con = self.con
        t, col = quote_ident(class_name), quote_ident(field_name)
        tx, fx, wx = (quote_ident(field_name + part) for part in TEXT_PARTS)
        try:
            with self._transaction():
                texts = [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {t} WHERE {col} IS NOT NULL AND {wx} IS NULL").fetchall()]
                if texts:
                    words = pa.Table.from_arrays([pa.array(texts, pa.string()), *word_arrays(texts)], names=["t", "tx", "fx", "wx"])
                    with self._view("_ql_words", words) as view:
                        con.execute(
                            f"UPDATE {t} SET {tx} = w.tx, {fx} = w.fx, {wx} = w.wx FROM {view} AS w "
                            f"WHERE {t}.{col} = w.t AND {t}.{wx} IS NULL"
                        )
        except duckdb.InterruptException:
            raise KeyboardInterrupt from None
        except duckdb.Error as exc:
            raise EngineError(f"computing the text-search words of {class_name}.{field_name} failed: {exc}") from exc
        self.pending_words.discard((class_name, field_name))
        return len(texts)

    # --- load -----------------------------------------------------------------------------

    def load(self, source: str | Path | Mapping[str, Any], progress: Progress | None = None) -> dict[str, int]:
        """Add a whole interchange document, all or nothing; returns records per class.

        ``progress(stage, done, total)`` is told the records and edges read (stage "read")
        and written ("written"), perhaps from another thread."""
        with self.lock, _no_gc():
            doc, schema, now = open_document(source, self.schema)
            old = self.schema
            added = schema.classes.keys() - old.classes.keys()
            records = doc.get("records", {})
            tell = _Tally(progress, _size(records, doc.get("relations")) if isinstance(records, Mapping) else 0)
            if (
                added
                and all(schema.classes[c] == old.classes[c] for c in old.classes)
                and isinstance(records, Mapping)
                and records.keys() <= added
                and _size(records, doc.get("relations")) >= PIPELINE_MIN
            ):
                counts = self._load_new(doc, schema, now, old, added, tell)
                if counts is not None:
                    return counts
                tell.restart()
            return self._load_in_one_transaction(doc, old, tell)

    def _load_in_one_transaction(self, doc: Mapping[str, Any], old_schema: Schema, tell: _Tally) -> dict[str, int]:
        """A load that touches stored classes: one transaction, indexes maintained in it."""
        data = read_columns(doc, old_schema)
        tell.read(tell.total)
        self._check_existing_ids(data)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            self._create_tables(old_schema, data.schema)
            self._write_schema(old_schema, data.schema)
            counts = {}
            for class_name, cols in data.columns.items():
                self._insert_records(data.schema.classes[class_name], cols)
                counts[class_name] = len(cols)
                tell.written(len(cols))
            self._insert_edges(data.edges, new_tables=self._new_tables(old_schema, data.schema))
            tell.written(_edge_count(data.edges))
            self._build_indexes(data.schema)
            clean = self._clean_joins(data.schema)
            con.execute("COMMIT")
        except BaseException as exc:
            self._rollback()
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old_schema) from exc
            raise
        self._loaded(data.schema, clean, [c for c, n in counts.items() if n])
        return counts

    def _load_new(
        self, doc: Mapping[str, Any], schema: Schema, now: Any, old: Schema, added: set[str], tell: _Tally
    ) -> dict[str, int] | None:
        """A load that only adds classes, written while it is read (_LoadPipeline): each class
        committed in its own table, indexed on every core, and the whole load published by one
        last transaction that writes its schema rows. Until then no reader knows the tables;
        a failure drops them, and so does the next open after a crash (LOADING_TABLE).
        None when the document turns out to hold edges of stored classes: nothing was kept,
        and the caller loads it in one transaction instead."""
        pipe = _LoadPipeline(self)
        counts: dict[str, int] = {}
        fresh: set[str] = self._new_tables(old, schema)  # join tables no edge was written to yet
        try:
            pipe.submit(lambda cur: self._create_tables(old, schema, cur, mark=True))
            try:
                # Edges, then the biggest classes first, in parts: the writing starts early,
                # and big tables are indexed while small ones are read.
                for part in iter_columns(doc, schema, now, pipelined=True):
                    if isinstance(part, tuple):
                        cls, cols, last = part
                        counts[cls.name] = counts.get(cls.name, 0) + len(cols)
                        tell.read(len(cols))
                        pipe.submit(lambda cur, cls=cls, cols=cols, last=last: self._write_class(cls, cols, last, cur, tell))
                    elif {owner for owner, _ in part} <= added:
                        plain = set(fresh)
                        fresh -= {join_table(*k) for k in part}
                        tell.read(_edge_count(part))
                        pipe.submit(lambda cur, edges=part, plain=plain: self._write_edges(schema, edges, plain, cur, tell))
                    else:
                        pipe.stop()
                        self._drop_loading()
                        return None
            except DataError:
                pipe.stop()
                self._drop_loading()
                read_columns(doc, old)  # in document order: raises the document's first error
                raise
            pipe.submit(lambda cur: self._build_indexes(schema, cur))  # classes without records
            pipe.finish()
            clean = self._clean_joins(schema)
            with self._transaction():  # publishing: the schema rows make the load visible
                self._write_schema(old, schema)
                self.con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")
        except BaseException as exc:
            pipe.stop()
            self._drop_loading()
            if isinstance(exc, duckdb.Error):
                raise self._load_error(exc, doc, old) from exc
            raise
        self._loaded(schema, clean, [c for c, n in counts.items() if n])
        return counts

    @contextlib.contextmanager
    def _transaction(self, con: Any = None) -> Iterator[Any]:
        """BEGIN … COMMIT on ``con`` (the store's connection by default); ROLLBACK on any failure."""
        con = con or self.con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            self._rollback(con)
            raise

    def _write_class(self, cls: ClassDef, cols: ClassColumns, last: bool, con: Any, tell: _Tally) -> None:
        """One part of a class's records; after the last, the class's indexes."""
        with self._transaction(con):
            self._insert_records(cls, cols, con)
        tell.written(len(cols))
        if last:
            self._build_indexes(Schema({cls.name: cls}), con, joins=False)

    def _write_edges(
        self, schema: Schema, edges: dict[tuple[str, str], tuple[pa.Array, pa.Array]], fresh: set[str], con: Any,
        tell: _Tally,
    ) -> None:
        with self._transaction(con):
            self._insert_edges(edges, fresh, con)
        tell.written(_edge_count(edges))
        self._build_indexes(schema, con, records=False)

    def _loaded(self, schema: Schema, clean: frozenset[str], filled: list[str]) -> None:
        """The store's view after a load: its schema, and text-search words to compute."""
        self.schema = replace(schema, clean_joins=clean)
        self.pending_words |= {(name, f.name) for name in filled for f in schema.classes[name].user_fields if f.type == "String"}

    def _drop_loading(self) -> None:
        """Drop the tables of a load that was not published (a failure, or a crash: on open)."""
        con = self.con
        try:
            names = [t for (t,) in con.execute(f"SELECT table_name FROM {quote_ident(LOADING_TABLE)}").fetchall()]
        except duckdb.CatalogException:
            return  # a file from before the pipeline, or opened read-only
        with self._transaction():
            for name in names:
                con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
            con.execute(f"DELETE FROM {quote_ident(LOADING_TABLE)}")

    @contextlib.contextmanager
    def _view(self, name: str, table: pa.Table, con: Any = None) -> Iterator[str]:
        """An Arrow table visible to SQL as ``name`` for the duration of the block."""
        con = con or self.con
        con.register(name, table)
        try:
            yield name
        finally:
            try:
                con.unregister(name)
            except duckdb.TransactionException:
                pass  # a failed statement aborted the transaction: its error is the one to see

    def _rollback(self, con: Any = None) -> None:
        """ROLLBACK, unless DuckDB already ended the transaction (a failed COMMIT does)."""
        try:
            (con or self.con).execute("ROLLBACK")
        except duckdb.TransactionException:
            pass

    @staticmethod
    def _load_error(exc: duckdb.Error, source: Any, schema: Schema) -> DataError:
        """The error for a load the database refused. A broken unique index means two records
        with one objectId, which the column-wise reading leaves to the index: reading the
        document record by record names the record."""
        if "constraint" in str(exc).lower():
            try:
                read_dataset(source, schema)
            except DataError as precise:
                return precise
        return DataError(f"load failed, nothing was loaded: {exc}")

    @staticmethod
    def _new_tables(old: Schema, new: Schema) -> set[str]:
        """The join tables that adding ``new`` to ``old`` creates."""
        return {
            join_table(c.name, f.name)
            for c in new.classes.values() for f in c.user_fields
            if f.type == "Relation" and (c.name not in old.classes or f.name not in old.classes[c.name].fields)
        }

    def _check_existing_ids(self, data: ColumnDataset) -> None:
        """A record whose objectId is already stored is an error (loads add, never overwrite)."""
        for class_name, cols in data.columns.items():
            if class_name not in self.schema.classes or not len(cols):
                continue
            with self._view("_ql_ids", pa.table({"id": cols.values["objectId"]})) as view:
                hit = self.con.execute(
                    f'SELECT t."objectId" FROM {quote_ident(class_name)} AS t SEMI JOIN {view} AS v '
                    'ON t."objectId" = v.id LIMIT 1'
                ).fetchall()  # all (one row): an unfinished result would block unregister
            if hit:
                raise DataError("duplicate objectId: already in the database", class_name=class_name, object_id=hit[0][0])

    def _create_tables(self, old: Schema, new: Schema, con: Any = None, *, mark: bool = False) -> None:
        """The tables and columns ``new`` adds to ``old``; with ``mark``, each new table is listed
        in LOADING_TABLE in the same transaction (dropped unless the load is published)."""
        con = con or self.con
        with self._transaction(con) if mark else contextlib.nullcontext():
            for name, cls in new.classes.items():
                prev = old.classes.get(name)
                created = []
                if prev is None:
                    cols = ", ".join(f"{quote_ident(c)} {t}" for c, t in class_columns(cls))
                    con.execute(f"CREATE TABLE {quote_ident(name)} ({cols})")
                    created.append(name)
                else:
                    for f in cls.user_fields:
                        if f.name not in prev.fields:
                            for c, t in field_columns(f):
                                con.execute(f"ALTER TABLE {quote_ident(name)} ADD COLUMN {quote_ident(c)} {t}")
                for f in cls.user_fields:
                    if f.type == "Relation" and (prev is None or f.name not in prev.fields):
                        jt = join_table(name, f.name)
                        con.execute(
                            f"CREATE TABLE IF NOT EXISTS {quote_ident(jt)} "
                            "(owning_id VARCHAR NOT NULL, related_id VARCHAR NOT NULL)"
                        )
                        created.append(jt)
                if mark:
                    for t in created:
                        con.execute(f"INSERT INTO {quote_ident(LOADING_TABLE)} VALUES (?)", [t])

    def _write_schema(self, old: Schema, new: Schema) -> None:
        """The schema rows of the classes ``new`` adds or changes."""
        for name, cls in new.classes.items():
            if old.classes.get(name) != cls:
                self.con.execute(
                    f"INSERT OR REPLACE INTO {quote_ident(SCHEMA_TABLE)} VALUES (?, ?)",
                    [name, json.dumps(cls.to_json())],
                )

    def _insert_records(self, cls: ClassDef, cols: ClassColumns, con: Any = None) -> None:
        if not len(cols):
            return
        names = [c for c, _ in load_columns(cls)]
        batch = pa.Table.from_arrays(class_arrays(cls, cols), names=names)
        self._insert_arrow(quote_ident(cls.name), names, batch, con)

    def _insert_arrow(self, table: str, names: list[str], batch: pa.Table, con: Any = None) -> None:
        con = con or self.con
        with self._view("_ql_load", batch, con) as view:
            collist = ", ".join(quote_ident(c) for c in names)
            con.execute(f"INSERT INTO {table} ({collist}) SELECT {collist} FROM {view}")

    def _insert_edges(
        self, edges: dict[tuple[str, str], tuple[pa.Array, pa.Array]], new_tables: set[str], con: Any = None
    ) -> None:
        """Each edge once: a Relation is a set, and a document may list an edge twice."""
        con = con or self.con
        for (owner_class, key), (owning, related) in edges.items():
            name = join_table(owner_class, key)
            batch = pa.Table.from_arrays([owning, related], names=["owning_id", "related_id"])
            with self._view("_ql_edges", batch, con) as view:
                jt = quote_ident(name)
                if name in new_tables:
                    # DISTINCT in DuckDB: 4× faster than de-duplicating in Python (Tuning P13).
                    con.execute(f"INSERT INTO {jt} SELECT DISTINCT owning_id, related_id FROM {view}")
                    continue
                con.execute(
                    f"INSERT INTO {jt} SELECT DISTINCT v.owning_id, v.related_id FROM {view} AS v "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {jt} AS j WHERE j.owning_id = v.owning_id "
                    "AND j.related_id = v.related_id)"
                )

    def _build_indexes(self, schema: Schema, con: Any = None, *, records: bool = True, joins: bool = True) -> None:
        """With ``records``, objectId (unique) and each Pointer column of every class; with
        ``joins``, both ends of each edge table. An index that exists is left as it is (and
        a load builds them once its rows are in: rows added to an indexed table cost more)."""
        con = con or self.con
        for name, cls in schema.classes.items():
            t = quote_ident(name)
            if records:
                self._index(con, f"ix:{name}:objectId", f'{t} ("objectId")', unique=True)
            for f in cls.user_fields:
                if f.type == "Pointer" and records:
                    self._index(con, f"ix:{name}:{f.name}", f"{t} ({quote_ident(f.name)})")
                elif f.type == "Relation" and joins:
                    jt = quote_ident(join_table(name, f.name))
                    self._index(con, f"ix:{name}:{f.name}:owning", f"{jt} (owning_id)")
                    self._index(con, f"ix:{name}:{f.name}:related", f"{jt} (related_id)")

    @staticmethod
    def _index(con: Any, name: str, target: str, unique: bool = False) -> None:
        kind = "UNIQUE INDEX" if unique else "INDEX"
        con.execute(f"CREATE {kind} IF NOT EXISTS {quote_ident(name)} ON {target}")

    # --- reading --------------------------------------------------------------------------

    def _cursor(self) -> Any:
        """This thread's cursor (DuckDB connections are not shared by threads; a cursor per
        statement cost ~20 µs, benchmarks Tuning P4)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._local.cursor = self.con.cursor()
        return cur

    def execute(
        self,
        sql: str,
        params: Sequence[Any],
        *,
        timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run one statement; past ``timeout`` seconds DuckDB is interrupted (:class:`QueryTimeout`),
        and as soon as ``cancel`` is set (:class:`QueryCancelled`, also when it was set before).
        ``words``: the text-search word columns it reads (Plan.words), computed first if pending."""
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        if words:
            self.ready(words)
        cur = self._cursor()
        watched = timeout is not None or cancel is not None
        token = self.watchdog.watch(cur, timeout, cancel) if watched else None
        try:
            return cur.execute(sql, list(params)).fetchall()
        except duckdb.InterruptException:
            if cancel is not None and cancel.is_set():
                raise QueryCancelled("the query was cancelled") from None
            raise QueryTimeout(f"the query ran longer than {timeout:g} s and was stopped") from None
        except duckdb.Error as exc:
            raise EngineError(f"the database rejected the query: {exc}") from exc
        finally:
            if token is not None:
                self.watchdog.done(token)

    def stream(
        self, sql: str, params: Sequence[Any], *, batch: int = 1000, words: Iterable[tuple[str, str]] = (),
        cancel: threading.Event | None = None,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """Start one statement now and hand its rows over in batches as they are read (a
        cursor of its own, closed at the end). No timeout: the reader sets the pace; setting
        ``cancel`` stops it (:class:`QueryCancelled`). ``words`` as for :meth:`execute`."""
        if cancel is not None and cancel.is_set():
            raise QueryCancelled("the query was cancelled")
        if words:
            self.ready(words)
        cur = self.con.cursor()
        token = self.watchdog.watch(cur, None, cancel) if cancel is not None else None
        try:
            cur.execute(sql, list(params))
        except BaseException as exc:
            self._stream_end(cur, token)
            raise self._stream_error(exc, cancel) from None
        return self._batches(cur, token, batch, cancel)

    def _batches(
        self, cur: Any, token: int | None, batch: int, cancel: threading.Event | None
    ) -> Iterator[list[tuple[Any, ...]]]:
        try:
            while rows := cur.fetchmany(batch):
                if cancel is not None and cancel.is_set():
                    raise QueryCancelled("the query was cancelled")
                yield rows
        except duckdb.Error as exc:
            raise self._stream_error(exc, cancel) from None
        finally:
            self._stream_end(cur, token)

    def _stream_end(self, cur: Any, token: int | None) -> None:
        if token is not None:
            self.watchdog.done(token)
        cur.close()

    @staticmethod
    def _stream_error(exc: BaseException, cancel: threading.Event | None) -> BaseException:
        if isinstance(exc, duckdb.InterruptException) or (cancel is not None and cancel.is_set()):
            return QueryCancelled("the query was cancelled")
        if isinstance(exc, duckdb.Error):
            return EngineError(f"the database rejected the query: {exc}")
        return exc

    def explain(
        self, sql: str, params: Sequence[Any], *, timeout: float | None = None,
        words: Iterable[tuple[str, str]] = (), cancel: threading.Event | None = None,
    ) -> str:
        """DuckDB's plan for a statement, as text (EXPLAIN's rows hold the tree in their last column)."""
        rows = self.execute("EXPLAIN " + sql, params, timeout=timeout, words=words, cancel=cancel)
        return "\n".join(str(r[-1]).rstrip() for r in rows)

    def dataset(self) -> Dataset:
        """Everything stored, read back as a :class:`Dataset` (for the reference evaluator)."""
        from querylang.interchange.document import normalise_record  # noqa: F401  (same shape as loading produces)

        with self.lock:  # the store's connection: one thread at a time (writes use it too)
            return self._dataset()

    def _dataset(self) -> Dataset:
        out = Dataset(self.schema)
        for name, cls in self.schema.classes.items():
            from querylang.engines.duckdb.layout import output_columns

            cols = output_columns(cls)
            collist = ", ".join(quote_ident(c) for c in cols)
            rows = self.con.execute(f"SELECT {collist} FROM {quote_ident(name)}").fetchall()
            out.records[name] = [_stored_record(cls, decode_row(cls, cols, r)) for r in rows]
            for f in cls.user_fields:
                if f.type == "Relation":
                    for o, r in self.con.execute(
                        f"SELECT owning_id, related_id FROM {quote_ident(join_table(name, f.name))}"
                    ).fetchall():
                        out.edges.append(Edge(name, f.name, o, r))
        return out


def _stored_record(cls: ClassDef, rec: dict[str, Any]) -> dict[str, Any]:
    from querylang.interchange.document import check_value
    from querylang.model.values import parse_iso

    out: dict[str, Any] = {}
    for k, v in rec.items():
        f = cls.fields[k]
        if k in ("createdAt", "updatedAt"):
            out[k] = parse_iso(v)
        elif k == "objectId":
            out[k] = v
        else:
            out[k] = check_value(f.type, v, f.target)
    return out


# --- writes (each one transaction; validated against the schema first) ------------------------


def _bindable(cols: list[tuple[str, str]], row: list[Any]) -> list[Any]:
    """Row cells as DuckDB parameters: MAP cells (lists of pairs for Arrow) become key/value dicts."""
    out = []
    for (_, t), cell in zip(cols, row, strict=True):
        if t.startswith("MAP(") and cell is not None:
            cell = {"key": [k for k, _ in cell], "value": [v for _, v in cell]}
        out.append(cell)
    return out


class Writer:
    """Record-level writes on a :class:`Store`: create, save, delete, increment, relations, schema."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _tx(self, fn: Any) -> Any:
        with self.store.lock:
            con = self.store.con
            con.execute("BEGIN TRANSACTION")
            try:
                out = fn(con)
                con.execute("COMMIT")
            except BaseException as exc:
                self.store._rollback()
                if isinstance(exc, duckdb.Error):
                    raise DataError(f"write failed, nothing was changed: {exc}") from exc
                raise
            return out

    def _stored(self, cls: ClassDef, oid: str, con: Any) -> dict[str, Any]:
        """The record as stored, read with ``con`` (inside the write's transaction)."""
        from querylang.engines.duckdb.layout import output_columns

        cols = output_columns(cls)
        collist = ", ".join(quote_ident(c) for c in cols)
        row = con.execute(
            f'SELECT {collist} FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid]
        ).fetchone()
        if row is None:
            raise DataError("Object not found.", class_name=cls.name, object_id=oid, code=101)
        return _stored_record(cls, decode_row(cls, cols, row))

    def create(self, class_name: str, fields: Mapping[str, Any], now: datetime) -> str:
        from querylang.interchange.document import normalise_record

        cls = self.store.schema.get(class_name)
        if not isinstance(fields, Mapping):
            raise DataError("create needs an object of fields", class_name=class_name)
        rec, edges = normalise_record(cls, dict(fields), now=now)
        oid = rec["objectId"]

        def run(con: Any) -> str:
            if con.execute(f'SELECT 1 FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid]).fetchone():
                raise DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=oid)
            cols = class_columns(cls)
            marks = ", ".join("?" * len(cols))
            con.execute(
                f"INSERT INTO {quote_ident(cls.name)} ({', '.join(quote_ident(c) for c, _ in cols)}) VALUES ({marks})",
                _bindable(cols, record_row(cls, rec)),
            )
            for e in edges:
                self._add_edge(con, e)
            return oid

        return self._tx(run)

    def save(self, class_name: str, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        for forbidden in ("objectId", "createdAt"):
            if forbidden in fields:
                raise DataError(f"{forbidden} cannot be changed", class_name=class_name, object_id=oid, field=forbidden)
        relation_fields = {k for k in fields if (f := cls.fields.get(k)) is not None and f.type == "Relation"}
        if relation_fields:
            raise DataError(
                "use add_relation/remove_relation for Relation fields", class_name=class_name,
                object_id=oid, field=sorted(relation_fields)[0],
            )

        self._tx(lambda con: self._update(con, cls, oid, fields, now))

    def _update(self, con: Any, cls: ClassDef, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        """Read, change and write one record, inside the caller's transaction."""
        from querylang.interchange.document import normalise_record

        current = self._stored(cls, oid, con)
        checked, _ = normalise_record(cls, {"objectId": oid, **fields}, now=now)
        merged = {**current, **{k: checked.get(k) for k in fields}}
        merged["updatedAt"] = now
        cols = class_columns(cls)
        row = _bindable(cols, record_row(cls, merged))
        sets = ", ".join(f"{quote_ident(c)} = ?" for c, _ in cols[1:])
        con.execute(f'UPDATE {quote_ident(cls.name)} SET {sets} WHERE "objectId" = ?', [*row[1:], oid])

    def increment(self, class_name: str, oid: str, amounts: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        for name, by in amounts.items():
            f = cls.fields.get(name)
            if f is None or f.type != "Number":
                raise DataError("increment needs a Number field", class_name=class_name, object_id=oid, field=name)
            if isinstance(by, bool) or not isinstance(by, int | float):
                raise DataError("increment needs a number", class_name=class_name, object_id=oid, field=name)

        def run(con: Any) -> None:
            # Read and write in one transaction under the write lock: two threads adding at
            # once both count (each used to read the old value first).
            current = self._stored(cls, oid, con)
            self._update(con, cls, oid, {k: (current.get(k) or 0) + v for k, v in amounts.items()}, now)

        self._tx(run)

    def delete(self, class_name: str, oid: str) -> None:
        """Delete a record and every edge that names it, as owner or as target."""
        cls = self.store.schema.get(class_name)
        schema = self.store.schema

        def run(con: Any) -> None:
            self._stored(cls, oid, con)
            con.execute(f'DELETE FROM {quote_ident(cls.name)} WHERE "objectId" = ?', [oid])
            for owner in schema.classes.values():
                for f in owner.user_fields:
                    if f.type != "Relation":
                        continue
                    jt = quote_ident(join_table(owner.name, f.name))
                    if owner.name == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE owning_id = ?", [oid])
                    if f.target == class_name:
                        con.execute(f"DELETE FROM {jt} WHERE related_id = ?", [oid])

        self._tx(run)

    def _relation(self, class_name: str, key: str) -> Field:
        cls = self.store.schema.get(class_name)
        f = cls.fields.get(key)
        if f is None or f.type != "Relation":
            raise DataError("no such Relation field", class_name=class_name, field=key)
        return f

    def _add_edge(self, con: Any, e: Edge) -> None:
        name = join_table(e.owner_class, e.key)
        jt = quote_ident(name)
        target = self.store.schema.classes[e.owner_class].fields[e.key].target or ""
        schema = self.store.schema
        if name in schema.clean_joins and not con.execute(
            f'SELECT 1 FROM {quote_ident(target)} WHERE "objectId" = ?', [e.related_id]
        ).fetchone():
            # An edge to a record that does not exist (yet): queries must check targets again.
            # Marking it before the commit errs on the safe side if the write rolls back.
            self.store.schema = replace(schema, clean_joins=schema.clean_joins - {name})
        con.execute(
            f"INSERT INTO {jt} SELECT ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {jt} WHERE owning_id = ? AND related_id = ?)",
            [e.owning_id, e.related_id, e.owning_id, e.related_id],
        )

    def add_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        cls = self.store.schema.get(class_name)

        def run(con: Any) -> None:
            self._stored(cls, oid, con)
            self._add_edge(con, Edge(class_name, key, oid, target_id))

        self._tx(run)

    def remove_relation(self, class_name: str, oid: str, key: str, target_id: str) -> None:
        self._relation(class_name, key)
        jt = quote_ident(join_table(class_name, key))
        self._tx(lambda con: con.execute(f"DELETE FROM {jt} WHERE owning_id = ? AND related_id = ?", [oid, target_id]))

    def define_class(self, name: str, fields: Mapping[str, Any]) -> None:
        """Create a class, or add fields to one (a field may not change its type)."""
        from querylang.interchange.document import merge_schema

        new = merge_schema(self.store.schema, {name: {"fields": fields}})
        old = self.store.schema

        def run(con: Any) -> None:
            self.store._create_tables(old, new)
            self.store._write_schema(old, new)
            self.store._build_indexes(new)

        self._tx(run)
        # New join tables start empty, so clean.
        self.store.schema = replace(new, clean_joins=old.clean_joins | (self._joins(new) - self._joins(old)))

    @staticmethod
    def _joins(schema: Schema) -> set[str]:
        return {join_table(c.name, f.name) for c in schema.classes.values() for f in c.user_fields if f.type == "Relation"}

"""Text-search words (a part of the DuckDB store): a bulk load leaves them to be computed
when first needed (the first text search on a field, or the close of the file), since
computing them is Python work on every text."""

from __future__ import annotations

import math
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import duckdb
import pyarrow as pa

from querylang.engines.duckdb import interrupts
from querylang.engines.duckdb.cells import word_arrays
from querylang.engines.duckdb.layout import TEXT_PARTS, quote_ident
from querylang.engines.duckdb.ndjson import literal
from querylang.engines.duckdb.rejections import dropped_column
from querylang.engines.sql.readers import CANCEL_POLL, ReadWriteLock
from querylang.errors import EngineError, QueryCancelled, QueryError, QueryTimeout
from querylang.model.schema import Schema

# DuckDB's optimizer that may swap a hash join's sides (duckdb_optimizers()).
SIDE_SWAP = "build_side_probe_side"


@contextmanager
def table_probes(con: Any) -> Iterator[None]:
    """Keep the class table on the probe side of the words UPDATE's join, so that the UPDATE
    meets its rows in rowid order. DuckDB weighs a side by its rows' width, and built its
    hash table on the table when the words (four texts a row) had nearly as many rows, as
    a field of mostly different titles has: the rows then came in the words' order, and
    the UPDATE took several times as long (benchmarks/results/XL.md, Tuning). The setting
    is the whole database's, so it is put back at once; a query planned meanwhile on
    another cursor may only run slower, never answer otherwise."""
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    if SIDE_SWAP in before.split(","):
        yield
        return
    con.execute(f"SET disabled_optimizers = {literal(','.join(filter(None, [before, SIDE_SWAP])))}")
    try:
        yield
    finally:
        if before:
            con.execute(f"SET disabled_optimizers = {literal(before)}")
        else:
            con.execute("RESET disabled_optimizers")


def distinct_texts(con: Any, class_name: str, field_name: str, lacking: bool = False) -> list[str]:
    """The field's distinct texts; with ``lacking``, of the rows whose words are not stored."""
    col = quote_ident(field_name)
    where = f"{col} IS NOT NULL" + (f" AND {quote_ident(field_name + TEXT_PARTS[0])} IS NULL" if lacking else "")
    return [r[0] for r in con.execute(f"SELECT DISTINCT {col} FROM {quote_ident(class_name)} WHERE {where}").fetchall()]


def words_table(texts: list[str], cancel: threading.Event | None = None, deadline: float | None = None) -> pa.Table:
    """The texts (t) with their word columns (tx, fx, wx), as TextWords._update_words stores
    them; past ``deadline``, only the first texts (word_arrays)."""
    arrays = word_arrays(texts, cancel, deadline)
    done = texts[: len(arrays[0])]
    return pa.Table.from_arrays([pa.array(done, pa.string()), *arrays], names=["t", "tx", "fx", "wx"])


def words_ahead(texts: list[tuple[tuple[str, str], list[str]]], stop: threading.Event) -> dict[tuple[str, str], pa.Table]:
    """The word columns of each (class, field)'s distinct texts, as fill_words stores them;
    computed by a load beside its index builds (directory_load.py), stored later by the
    field's UPDATE. Stopped by ``stop`` between chunks (QueryCancelled)."""
    return {key: words_table(done, stop) for key, done in texts}


def _wait_step(cancel: threading.Event | None, deadline: float | None) -> float:
    """Seconds of one wait for the words lock: to the deadline, in steps of CANCEL_POLL when
    there is a cancel event to look at (at least a try without waiting)."""
    left = math.inf if deadline is None else max(0.0, deadline - time.monotonic())
    return min(left, CANCEL_POLL) if cancel is not None else left


class TextWords:
    """The pending text-search words of :class:`querylang.engines.duckdb.store.Store`."""

    con: Any
    path: str
    read_only: bool
    schema: Schema
    lock: ReadWriteLock
    _words_lock: threading.Lock
    # (class, String field) whose text-search words may be missing for some records.
    pending_words: set[tuple[str, str]]
    # Word columns a load computed ahead (words_ahead), stored by the field's next fill_words.
    words_ahead: dict[tuple[str, str], pa.Table]
    _transaction: Callable[[], AbstractContextManager[Any]]
    _view: Callable[[str, pa.Table], AbstractContextManager[str]]

    def _missing_words(self, schema: Schema) -> set[tuple[str, str]]:
        """The String fields with a text whose words were never computed (a load whose
        process ended before a text search or close); one scan per class."""
        out = set()
        for name, cls in schema.classes.items():
            fields = [f.name for f in cls.user_fields if f.type == "String"]
            if not fields:
                continue
            tests = ", ".join(
                f'bool_or({quote_ident(f)} IS NOT NULL AND {quote_ident(f + TEXT_PARTS[0])} IS NULL)' for f in fields
            )
            try:
                rows = self.con.execute(f"SELECT {tests} FROM {quote_ident(name)}").fetchall()
            except duckdb.Error:
                continue  # a table this version cannot read is reported by the query that needs it
            out |= {(name, f) for f, missing in zip(fields, rows[0], strict=True) if missing}
        return out

    def ready(
        self, words: Iterable[tuple[str, str]], cancel: threading.Event | None = None, timeout: float | None = None
    ) -> None:
        """Compute the text-search words a plan reads (Plan.words), if a bulk load left them
        pending; a set ``cancel`` stops that (QueryCancelled), the words left pending. Past
        ``timeout`` seconds (what is left of the query's) the texts done so far are kept
        and the query stops (QueryTimeout): a minute of words on a large field would
        otherwise hold a query with a short timeout, and serve's one database thread, for as
        long; each try gets further. Its wait for another query computing them keeps to the
        same ``cancel`` and ``timeout``."""
        wanted = self.pending_words & set(words)
        if not wanted:
            return
        # Under the shared side (no write runs) and one query at a time: filling them is an
        # UPDATE of helper columns no query reads before it is done.
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.lock.shared(timeout, cancel), self._words_held(wanted, cancel, timeout, deadline):
            for name, f in sorted(self.pending_words & set(words)):  # another query may have done some
                if self.read_only:
                    raise QueryError(
                        f"text search on {name}.{f} needs its words, which the load that wrote the "
                        "database did not finish computing; open it once without read-only "
                        "(they are computed then, on the first text search or on close), e.g. "
                        f"querylang repl --db {shlex.quote(self.path)} < /dev/null"
                    )
                self.fill_words(name, f, cancel, deadline)

    @contextmanager
    def _words_held(
        self, wanted: set[tuple[str, str]], cancel: threading.Event | None, timeout: float | None,
        deadline: float | None,
    ) -> Iterator[None]:
        """The words lock, its wait for another query computing words kept to this query's
        ``cancel`` and ``deadline`` (its ``timeout`` from the start of ready): a search with a
        timeout of half a second waited the whole minute another one, with none, took over a
        large field's words."""
        lock = self._words_lock
        if deadline is None and cancel is None:
            lock.acquire()
        else:
            while not lock.acquire(timeout=_wait_step(cancel, deadline)):
                if cancel is not None and cancel.is_set():
                    raise QueryCancelled("the query was cancelled")
                if deadline is not None and time.monotonic() >= deadline:
                    fields = ", ".join(f"{name}.{f}" for name, f in sorted(wanted))
                    raise QueryTimeout(
                        f"the query ran longer than {timeout:g} s and was stopped: it waited that long for "
                        f"another query computing the text-search words of {fields}, which the load left to "
                        "the first text search"
                    )
        try:
            yield
        finally:
            lock.release()

    def fill_pending(self) -> None:
        """Compute every pending field's words (the caller holds the store alone): on close,
        and before an update's change, which may run a text search itself."""
        for key in sorted(self.pending_words):
            self.fill_words(*key)

    def fill_words(
        self, class_name: str, field_name: str, cancel: threading.Event | None = None, deadline: float | None = None
    ) -> int:
        """Compute the words of every text of the field that lacks them (one UPDATE), or of
        those done by ``deadline`` (then QueryTimeout, the field still pending); returns the
        number of distinct texts done."""
        con = self.con
        ahead = self.words_ahead.pop((class_name, field_name), None)
        try:
            with table_probes(con), self._transaction():
                if ahead is not None:
                    self._update_words(class_name, field_name, ahead)
                texts = distinct_texts(con, class_name, field_name, lacking=True)
                done = 0
                if texts:
                    words = words_table(texts, cancel, deadline)
                    done = words.num_rows
                    self._update_words(class_name, field_name, words)
        except (duckdb.Error, RuntimeError) as exc:
            if interrupts.interrupted(exc):
                raise KeyboardInterrupt from None
            if not isinstance(exc, duckdb.Error):
                raise
            failed = f"computing the text-search words of {class_name}.{field_name} failed"
            cls = self.schema.classes.get(class_name)
            said = None if cls is None else dropped_column(exc, con, [cls], failed)  # a word column dropped by hand
            if said is not None:
                raise said from None
            raise EngineError(f"{failed}: {exc}") from exc
        if done < len(texts):
            raise QueryTimeout(
                f"the query ran out of its time computing the text-search words of {class_name}.{field_name}, "
                f"which the load left to the first text search: {done:,} of {len(texts):,} texts done and "
                "kept; the next text search goes on from there (or raise the timeout, or open and close the "
                "database file once to compute them all)"
            )
        self.pending_words.discard((class_name, field_name))
        return len(texts) + (ahead.num_rows if ahead is not None else 0)

    def _update_words(self, class_name: str, field_name: str, words: pa.Table) -> None:
        """Store the word columns of the texts in ``words`` (t, tx, fx, wx) in the rows lacking
        them. A column NULL for every text is left out of the SET: a row lacking its words has
        all three NULL (a write stores the three with the text), and the UPDATE's cost grows
        with the columns it sets (most texts' words as written are the text itself)."""
        t, col = quote_ident(class_name), quote_ident(field_name)
        names = [quote_ident(field_name + part) for part in TEXT_PARTS]
        sets = ", ".join(
            f"{name} = w.{key}"
            for name, key in zip(names, ("tx", "fx", "wx"), strict=True)
            if key == "tx" or words.column(key).null_count < words.num_rows
        )
        with self._view("_ql_words", words) as view:
            self.con.execute(f"UPDATE {t} SET {sets} FROM {view} AS w WHERE {t}.{col} = w.t AND {t}.{names[0]} IS NULL")

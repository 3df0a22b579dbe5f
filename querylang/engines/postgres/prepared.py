"""A query's statement sent through libpq's calls themselves, not psycopg's cursor.

Two threads querying at once share one interpreter lock: the Python each query runs is done
one query at a time, however many cores there are, so it caps what a second thread adds
(benchmarks/results/*-postgres.md, Tuning). psycopg's cursor spends most of its share on its
own bookkeeping (its prepared-statement cache, the Python generators around its wait, the
result's description): about as much again as sending the statement and building the rows.
Here the statement is converted once, prepared on its second use (as psycopg does after a few),
sent with libpq's call and waited for with psycopg's own wait (the lock released while the
server works); the rows are built by psycopg's own loaders, so every value is the one its
cursor gives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import errors as pge
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import DiagnosticField, ExecStatus, Format

try:  # psycopg's own generators and wait are not its public API: without them, its cursor
    from psycopg.generators import execute
except ImportError:  # pragma: no cover - a psycopg that moved them
    execute = None
DIRECT = execute is not None and callable(getattr(psycopg.Connection, "wait", None))

TUPLES_OK = ExecStatus.TUPLES_OK
COMMAND_OK = ExecStatus.COMMAND_OK
PLACEHOLDER = re.compile(r"%(.)", re.S)
KEPT = 200  # prepared statements a connection keeps; the oldest is deallocated past it
FORGOTTEN = b"26000"  # the server forgot our statement (a DEALLOCATE ALL, as psycopg sends after some DDL)
# Its plan's result no longer fits (a column's type changed): "cached plan must not change result
# type", told from the other "feature not supported" errors by the server's source file, which
# a translated message (lc_messages) does not change. Another one is the statement's own error:
# preparing it again would only leave one more statement on the server each time.
UNSUPPORTED, PLAN_CACHE = b"0A000", b"plancache.c"


def converted(sql: str, params: int) -> bytes | None:
    """``sql`` with psycopg's ``%s`` placeholders as ``$1``, ``$2`` …, and ``%%`` as ``%``; None
    when it holds another placeholder or a count that differs (psycopg's cursor then says why)."""
    n = 0
    plain = True

    def one(m: re.Match[str]) -> str:
        nonlocal n, plain
        if m.group(1) == "%":
            return "%"
        if m.group(1) != "s":
            plain = False
            return m.group(0)
        n += 1
        return f"${n}"

    out = PLACEHOLDER.sub(one, sql)
    return out.encode() if plain and n == params and not sql.endswith("%") else None


def statements(con: psycopg.Connection[Any]) -> Statements:
    """``con``'s statements, kept with the connection: its prepared ones live as long as its
    server session, through every thread the pool hands it to."""
    kept: Statements | None = getattr(con, "_ql_statements", None)
    if kept is None:
        kept = con._ql_statements = Statements(con)  # type: ignore[attr-defined]
    return kept


class Statements:
    """One connection's statements: the converted text of each, and the ones prepared."""

    def __init__(self, con: psycopg.Connection[Any]) -> None:
        self.con = con
        self.pgconn = con.pgconn
        self.tx = Transformer(con)  # the connection's loaders (IsoLoader …): made after configure()
        self.queries: dict[str, tuple[bytes | None, int]] = {}
        self.seen: set[tuple[bytes, tuple[int, ...]]] = set()
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.made = 0

    def run(self, sql: str, params: Sequence[Any], binary: bool) -> list[tuple[Any, ...]]:
        """Run ``sql`` with ``params`` (bound as psycopg binds them); its rows, or [] for a
        statement without. Errors are psycopg's, as its cursor raises them."""
        # Converted for a count of values: the server takes more values than placeholders
        # (their types given), so one with more than the text was converted for answered as if
        # the extra ones were not there, where the cursor refuses them.
        known = self.queries.get(sql)
        if known is None or known[1] != len(params):
            if len(self.queries) >= 4 * KEPT:
                self.queries.clear()
            known = self.queries[sql] = (converted(sql, len(params)), len(params))
        query = known[0]
        if query is None or not DIRECT:  # psycopg's cursor: a statement it refuses (saying why), or a psycopg without those calls
            cur = self.con.cursor()
            cur.execute(sql, params, binary=binary)
            res = cur.pgresult
            return cur.fetchall() if res is not None and res.status == TUPLES_OK else []
        tx = self.tx
        dumped = tx.dump_sequence(params, [PyFormat.AUTO] * len(params)) if params else None
        types = tuple(tx.types or ()) if params else ()
        formats = list(tx.formats or ()) if params else None
        fmt = Format.BINARY if binary else Format.TEXT
        key = (query, types)
        with self.con.lock:
            res = self._run(key, dumped, formats, fmt)
            if res.status not in (TUPLES_OK, COMMAND_OK) and key in self.names and (stale := self._stale(res)):
                old = self.names.pop(key)
                if stale == UNSUPPORTED:  # still on the server: let go before its successor is made
                    self.pgconn.send_query(b"DEALLOCATE " + old)
                    self._result()
                res = self._run(key, dumped, formats, fmt)
            self._notices()
        if res.status == TUPLES_OK:
            tx.set_pgresult(res)
            rows: list[tuple[Any, ...]] = tx.load_rows(0, res.ntuples, tuple)
            tx.set_pgresult(None)
            return rows
        if res.status == COMMAND_OK:
            return []
        raise self._error(res)

    def _run(self, key: tuple[bytes, tuple[int, ...]], dumped: Any, formats: Any, fmt: Format) -> Any:
        pg = self.pgconn
        name = self.names.get(key)
        if name is None and key not in self.seen:
            # A statement seen once may never come again: the unnamed one, as psycopg's first uses.
            if len(self.seen) >= 4 * KEPT:
                self.seen.clear()
            self.seen.add(key)
            pg.send_query_params(key[0], dumped, key[1] or None, formats, result_format=fmt)
            return self._result()
        if name is None:
            if len(self.names) >= KEPT:
                old = self.names.pop(next(iter(self.names)))
                pg.send_query(b"DEALLOCATE " + old)
                self._result()
            self.made += 1
            name = b"_ql_%d" % self.made
            pg.send_prepare(name, key[0], key[1] or None)
            made = self._result()
            if made.status != COMMAND_OK:
                return made
            self.names[key] = name
        pg.send_query_prepared(name, dumped, formats, result_format=fmt)
        return self._result()

    def _result(self) -> Any:
        # psycopg's own wait: the socket polled without the interpreter lock, Ctrl-C cancels
        # the statement, and a connection closed by another thread (close()) is an error here,
        # where a blocking libpq call would go on using what was freed.
        return self.con.wait(execute(self.con.pgconn))[-1]

    @staticmethod
    def _stale(res: Any) -> bytes | None:
        """The SQLSTATE of an error that says our prepared statement is out of date, or None."""
        state = res.error_field(DiagnosticField.SQLSTATE)
        if state == FORGOTTEN or (state == UNSUPPORTED and res.error_field(DiagnosticField.SOURCE_FILE) == PLAN_CACHE):
            return state  # type: ignore[no-any-return]
        return None

    def _error(self, res: Any) -> psycopg.Error:
        pg = self.pgconn
        if not res.error_field(DiagnosticField.SQLSTATE):
            # No answer from the server (it closed the connection, or the socket was cut):
            # what psycopg's cursor raises then, which drops the connection.
            msg = (res.error_message or pg.error_message or b"the connection was lost").decode(errors="replace")
            return psycopg.OperationalError(msg.strip())
        # Even on a connection the server closed after saying why (a pg_terminate_backend, an
        # idle or transaction timeout, a standby's recovery conflict): its error, as the cursor
        # raises it, whose SQLSTATE says which (server_errors.py), not libpq's "FATAL:  ..." text.
        return pge.error_from_result(res, encoding=self.con.info.encoding)

    def _notices(self) -> None:
        """Notifications that came with the answer, handed over as psycopg's cursor does."""
        pg = self.pgconn
        while (n := pg.notifies()) is not None:
            if pg.notify_handler:
                pg.notify_handler(n)

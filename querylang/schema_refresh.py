"""A :class:`querylang.Database` keeping up with the schema changes of other processes on the
same PostgreSQL database (engines/postgres/notices.py): a query planned again when a notice
heard with its rows replaced the schema, and a call refused for a class or field this process
does not know tried again once after reading the stored schema (an update reads it inside its
transaction instead, so that its change is not called again: engines/sql/writer.py's modify;
a delete, only for its class, before its check runs)."""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from querylang.engines.base import Engine
from querylang.errors import (
    DATABASE_CLOSED,
    DataError,
    QueryError,
    QueryTimeout,
    SchemaError,
    SchemaUnread,
)
from querylang.model.schema import ClassDef

log = logging.getLogger("querylang")

F = TypeVar("F", bound=Callable[..., Any])
# The reasons of a write's DataError that name a field the schema lacks (an increment's
# says which call it is).
_UNKNOWN_FIELD = ("unknown field", "no such Relation field", "increment: unknown field")
# How the engines begin a timeout's message, with the limit the statement was given.
STATEMENT_LIMIT = re.compile(r"^the query ran longer than (\S+) s")
# How a wait the server did not answer is told (interrupt.NoAnswer), with its limit and the grace.
NO_ANSWER = re.compile(r"did not answer within (\S+) s \(it stops a query past (\S+) s itself\)")


class Refreshing(Protocol):
    """A :class:`querylang.Database`, as :func:`known_class` needs it."""

    store: Engine
    timeout: float | None

    def _read_schema_again(self, cancel: Any) -> bool: ...


def names_unknown(exc: BaseException) -> bool:
    """``exc`` refuses a name the schema lacks: an unknown class or field (SchemaError also
    says so of an operator a field's type does not allow: one look too many, on an error)."""
    return isinstance(exc, SchemaError) or isinstance(exc, DataError) and exc.reason.startswith(_UNKNOWN_FIELD)


def knowing(method: F) -> F:
    """``method`` of a :class:`SchemaRefresh`, called once more when it refused a class or field
    and the stored schema, read again, differs: another process may have just added it, and the
    notice telling of it comes with a statement's rows (none was run before the refusal).
    Everything it refuses so is refused before it writes (or inside a transaction rolled back).

    The call is one query for its timeout: its clock (``_clock.began``) starts here, and every
    wait of it (the schema read again, the statement, the count, each include's read, the call
    made again) has what is left of the timeout (Writes._time_left)."""

    @functools.wraps(method)
    def call(self: SchemaRefresh, *args: Any, **kw: Any) -> Any:
        return _clocked(self, method, args, kw, True)

    return call  # type: ignore[return-value]


def knowing_write(method: F) -> F:
    """``knowing`` for a write (create, save, ...): the schema read again past the timeout fails
    the write saying so (write_timed_out), not as a query's timeout."""

    @functools.wraps(method)
    def call(self: SchemaRefresh, *args: Any, **kw: Any) -> Any:
        try:
            return _clocked(self, method, args, kw, True)
        except QueryTimeout as exc:
            raise write_timed_out(exc, self.timeout) from None

    return call  # type: ignore[return-value]


def write_timed_out(exc: QueryTimeout, timeout: float | None) -> QueryTimeout:
    """What a write says when the schema it read again, for a class or field it did not know,
    was not read within its ``timeout``: only that read has one (a write's own waits end past
    ``lock_wait`` with a DataError), so a query's "the query ran longer than ..." named
    something the caller never ran. Still a QueryTimeout, as the caller may catch it."""
    if timeout is None:
        return exc
    return QueryTimeout(f"write failed, nothing was changed: the write ran longer than {timeout:g} s and was stopped "
                        "as it read the schema again, for a class or field this process did not know", code=exc.code)


def timed(method: F) -> F:
    """``method`` of a :class:`SchemaRefresh` (``run``), one query for its
    timeout as a ``knowing`` one is, without the schema read again for a name it refused."""

    @functools.wraps(method)
    def call(self: SchemaRefresh, *args: Any, **kw: Any) -> Any:
        return _clocked(self, method, args, kw, False)

    return call  # type: ignore[return-value]


def _clocked(db: SchemaRefresh, method: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any], known: bool) -> Any:
    """``method`` called on this thread's clock, started here unless a call it is part of
    started it; ``known``: as ``knowing`` calls it (_known)."""
    clock = db._clock
    if getattr(clock, "began", None) is not None:  # inside another call of the thread: its clock
        return _known(db, method, args, kw) if known else method(db, *args, **kw)
    clock.began = time.monotonic()
    try:
        return _known(db, method, args, kw) if known else method(db, *args, **kw)
    except QueryTimeout as exc:
        raise told(exc, db.timeout) from None
    except QueryError as exc:
        said = unanswered(exc, db.timeout)
        if said is None:
            raise
        raise said from None
    finally:
        clock.began = None


def told(exc: QueryTimeout, timeout: float | None) -> QueryTimeout:
    """``exc`` naming the query's ``timeout``: a wait's own limit was what the waits before it
    left (0.35 s)."""
    limit = STATEMENT_LIMIT.match(exc.message)
    if timeout is None or limit is None:
        return exc
    message, waited = exc.message, two_figures(float(limit[1]))
    if waited != two_figures(timeout):
        # A wait for a load or write (or another query's text-search words) said it waited
        # "that long", its own limit: no longer the timeout named, its seconds are said.
        message = message.replace(": it waited that long ", f": it waited {waited} s ", 1)
    return QueryTimeout(STATEMENT_LIMIT.sub(f"the query ran longer than {timeout:g} s", message, count=1), code=exc.code)


def unanswered(exc: QueryError, timeout: float | None) -> QueryError | None:
    """``exc``, a server that did not answer a wait of the query (interrupt.NoAnswer), naming
    the query's ``timeout`` as told does (the wait's own limit was what the waits before it
    left: 'within 5.93 s (it stops a query past 0.93 s itself)'); None for another error."""
    said = NO_ANSWER.search(exc.message)
    if timeout is None or said is None:
        return None
    grace = float(said[1]) - float(said[2])
    message = (f"{exc.message[:said.start()]}did not answer within {timeout + grace:g} s (it stops a query past "
               f"{timeout:g} s itself){exc.message[said.end():]}")
    return type(exc)(message, code=exc.code)


def two_figures(seconds: float) -> str:
    """Two figures, never in exponent form (.2g wrote 150 s as 1.5e+02 s)."""
    return f"{float(f'{seconds:.2g}'):g}"


def _known(db: SchemaRefresh, method: Callable[..., Any], args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    """``method`` called, and once more after the schema read again (knowing)."""
    try:
        return method(db, *args, **kw)
    except (SchemaError, DataError) as exc:
        if not names_unknown(exc) or not _read_again(db, exc, kw.get("cancel")) or not _now_known(db, exc):
            raise
    return method(db, *args, **kw)


def _read_again(db: Refreshing, exc: QueryError, cancel: Any) -> bool:
    """The schema read again for the name ``exc`` refused; a read the server refused (a lock
    another session holds on the schema table past lock_timeout) raises what happened, naming
    the class or field at ``exc``'s place: "has no field" was not known, as another process may
    have just added it."""
    try:
        return db._read_schema_again(cancel)
    except SchemaUnread as why:
        raise SchemaUnread(f"{exc.message}, in the schema as this process read it, and {why.message}", line=exc.line,
                           column=exc.column, source=exc.source, code=why.code) from None


def _now_known(db: SchemaRefresh, exc: SchemaError | DataError) -> bool:
    """Whether the name ``exc`` refused is in the schema read again: a write's unknown field
    names its class and field, so it is not tried again only to be refused again (another
    field was added meanwhile). A SchemaError names them in its text alone: tried again."""
    if not isinstance(exc, DataError) or exc.class_name is None or exc.field is None:
        return True
    cls = db.store.schema.classes.get(exc.class_name)
    return cls is not None and exc.field in cls.fields


def known_class(db: Refreshing, class_name: str) -> ClassDef:
    """The class ``class_name``, after reading the stored schema once when this process does
    not know it: ``knowing_write`` for a call whose callback must not run twice (update, delete)."""
    try:
        return db.store.schema.get(class_name)
    except SchemaError as exc:
        try:
            if not _read_again(db, exc, None):
                raise
        except QueryTimeout as exc:
            raise write_timed_out(exc, db.timeout) from None
    return db.store.schema.get(class_name)


class SchemaRefresh:
    """The part of :class:`querylang.Database` that keeps its schema current."""

    store: Engine

    timeout: float | None
    _clock: threading.local  # this thread's call: when it began (knowing), None between calls
    _time_left: Callable[[], float | None]  # Writes': what the call's waits so far left of its timeout

    def refresh_schema(self) -> bool:
        """Read the stored schema again, for the classes and fields other processes added since
        this one read it (PostgreSQL; a DuckDB file has one writing process): True when it
        changed. Queries and writes do so themselves when told (docs/postgres.md). Within the
        database's timeout, as a query's statement; False, the schema read before kept, when it
        could not be read, which a warning on the "querylang" logger says, with the reason when
        known (the same False as "unchanged" said nothing: a server out of reach, or the read
        past its timeout, looked like a schema no one had changed)."""
        self._own_process()  # not a warning and False: the connection is the parent's
        refresh = getattr(self.store, "refresh_schema", None)
        if refresh is None:
            return False
        try:
            if getattr(self.store, "closed", False):  # its pool's refusal said no reason
                raise QueryError(DATABASE_CLOSED)
            changed = refresh(timeout=self.timeout, out_of_reach=True, why=True)
        except QueryError as exc:
            log.warning("db.refresh_schema(): the stored schema could not be read, the one read before is kept: %s",
                        exc.message)
            return False
        if changed is None:
            log.warning("db.refresh_schema(): the stored schema could not be read, the one read before is kept")
        return bool(changed)

    def _own_process(self) -> None:
        """Refuse (QueryError) a call in a process forked after connect, as the store's lock
        refuses every query, load and write there: for a call that may take no lock (a
        schema read again, a plan made from the schema this process read, an import that reads
        its source first)."""
        self.store.lock.check_process()

    def _read_schema_again(self, cancel: Any) -> bool:
        """:meth:`refresh_schema` for a call that refused a name, within what is left of its timeout, and ``cancel``
        (watched by the heartbeat alone, one backend stuck held a query for as long as it was):
        a server that does not answer, the read past the timeout, is the call's error, as its
        statement would meet it, not the refusal of a name the schema was not read for."""
        refresh = getattr(self.store, "refresh_schema", None)
        return bool(refresh is not None and refresh(timeout=self._time_left(), cancel=cancel, out_of_reach=True,
                                                    why=True))

"""The library's record-level writes (a part of :class:`querylang.Database`): each call is
checked, then one transaction on the engine's writer; and how a read holds the store beside
them (its wait for a write or load counted against the query's timeout)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeVar

from querylang.engines.base import Engine
from querylang.engines.duckdb.decode import output_record
from querylang.engines.sql.readers import CLOCK_SLACK
from querylang.engines.sql.watchdog import count_clock, ran_past
from querylang.errors import DataError, QueryError, QueryTimeout
from querylang.model.change import Change
from querylang.model.jsvalues import described, type_name
from querylang.model.schema import suggest
from querylang.model.values import to_ms
from querylang.schema_refresh import knowing_write, known_class, told, two_figures


# Per thread: the databases whose update's change or delete's check ("change"), or whose load's
# progress ("progress"), is running on it; by their store's lock, which every Database of this
# process on one DuckDB file shares (another one's query in a load's progress, run by the load's
# writer thread, waited for the load, which waited for it).
class _Changing(threading.local):
    # Read on every query: a thread that never ran a change finds this empty default where a
    # getattr with a default raised and caught an AttributeError each time.
    ids: Mapping[int, str] = MappingProxyType({})


_CHANGING = _Changing()
T = TypeVar("T")


class Writes:
    """The write methods of :class:`querylang.Database`."""

    store: Engine
    timeout: float | None
    _clock: threading.local  # SchemaRefresh's: when this thread's call began (knowing)
    _reference: Any
    refresh_schema: Callable[[], bool]  # SchemaRefresh's
    _read_schema_again: Callable[[Any], bool]  # SchemaRefresh's, within the timeout and a cancel

    def _changed(self) -> None:
        self.store.changes += 1
        self._reference = None

    def _not_in_change(self, what: str) -> None:
        """Refuse a write that ``update``'s change makes: the record's transaction is open. On
        PostgreSQL the write joined that transaction (a load's class stayed in the schema when
        the change then failed, its table rolled back); on DuckDB it failed with the engine's
        "cannot start a transaction within a transaction". So is one that load's progress
        makes: it waited for the load, which waited for it (a load written by several threads,
        or any load on PostgreSQL, whose COPY holds the connection), or failed as above."""
        inside = _CHANGING.ids.get(id(self.store.lock))
        if inside == "change":
            raise DataError(f"{what} inside update's change (or delete's check), whose transaction is still open: "
                            "nothing was changed (return the fields and Relation edges in the Change, or write "
                            "after the call returns)")
        if inside == "progress":
            raise DataError(f"{what} inside load's progress, while the load holds the database: nothing was "
                            "changed (write after the load returns)")

    def _not_in_progress(self) -> None:
        """Refuse a read that load's progress makes, for the reason a write is refused."""
        if _CHANGING.ids.get(id(self.store.lock)) == "progress":
            raise QueryError("a query inside load's progress, while the load holds the database: query after "
                             "the load returns")

    def _reading(self, cancel: threading.Event | None = None, *, timed: bool = True) -> AbstractContextManager[None]:
        """The store's hold for one read (its plan and rows), refused inside load's progress.
        Its wait for a load or write counts against the query's timeout (unless not ``timed``)
        and ends when ``cancel`` is set."""
        self._not_in_progress()
        return self.store.reading(self._time_left() if timed else None, cancel)

    def _planned(self, run: Callable[[], T]) -> T:
        """``run()`` (plan, then read), and again if the store's schema was replaced while it
        ran: a PostgreSQL store hears with a statement's result that another process changed
        the schema or gave an edge table an edge to a missing record (engines/postgres/notices.py):
        the plan may have missed a new field, or skipped the existence checks that table now needs."""
        schema = self.store.schema
        try:
            out = run()
            if self.store.schema is not schema:
                out = run()
        except QueryTimeout as exc:
            if self.timeout is None:
                raise
            # The statement's own limit was what a wait or the page before it left (0.0999877
            # s): the query's is told.
            message = told(exc, self.timeout).message
            waited = self.store.lock.waited()
            if not waited:
                raise QueryTimeout(message, code=exc.code) from None
            raise QueryTimeout(f"{message} (it had waited {two_figures(waited)} s of its {self.timeout:g} s for a load "
                               "or write of the database to end)") from None
        return out

    def _time_left(self) -> float | None:
        """The timeout of a wait of a query (its hold of the store, the schema read again, a
        statement, an include's read): the query's, less what its call has taken since it began
        (knowing) once that is CLOCK_SLACK or a wait for a load or write; outside such a call,
        less what the hold waited for a load or write (readers.py). Nothing left: the query's
        timeout, raised (each wait had the whole of it, and a query could take twice as long)."""
        timeout = self.timeout
        if timeout is None:
            return None
        began = getattr(self._clock, "began", None)
        waited = self.store.lock.waited()
        if began is None:
            return timeout if not waited else max(0.0, timeout - waited)
        used = time.monotonic() - began
        if used < CLOCK_SLACK and not waited:
            return timeout
        if used >= timeout:
            raise ran_past(timeout)
        return timeout - used

    def _count_clock(self) -> Callable[[], float | None]:
        """The timeout of a count run after its page, which starts now: what the page leaves of
        the query's (watchdog.count_clock)."""
        return count_clock(self._time_left(), self.timeout)

    def _in_change(self, call: Callable[..., Any], kind: str = "change") -> Callable[..., Any]:
        """``call`` as run inside a write's open transaction (or, ``kind`` "progress", a load's
        progress): a write it makes is refused (and, in a progress, a read)."""

        def run(*args: Any) -> Any:
            ids = _CHANGING.__dict__.setdefault("ids", {})
            key = id(self.store.lock)
            outer = ids.get(key)
            ids[key] = kind
            try:
                return call(*args)
            finally:
                if outer is None:
                    ids.pop(key, None)
                else:
                    ids[key] = outer

        return run

    @knowing_write
    def create(self, class_name: str, fields: Mapping[str, Any]) -> str:
        """Add a record; returns its objectId (given in ``fields`` or made up)."""
        self._not_in_change("create")
        oid = self.store.writer(lock_wait=self.timeout).create(class_name, fields, _now())
        self._changed()
        return oid

    @knowing_write
    def save(self, class_name: str, object_id: str, fields: Mapping[str, Any]) -> None:
        """Change some fields of a record (None sets a field to null; ``update``'s Change can
        leave one without a value); updatedAt is set to now (giving it is an error)."""
        self._not_in_change("save")
        self.store.writer(lock_wait=self.timeout).save(class_name, object_id, fields, _now())
        self._changed()

    def update(
        self, class_name: str, object_id: str, change: Callable[[dict[str, Any]], Change],
        *, reads: Collection[str] | None = None,
    ) -> dict[str, Any]:
        """Read, change and write one record in one transaction: ``change`` gets the record as
        ``find`` gives it and returns a :class:`querylang.Change` (the fields to set, the Relation
        edges to add and remove, the fields to leave without a value). No other writer changes the record in between, in this
        process or (on PostgreSQL) another one, so a value computed from the stored one (a
        counter, an array) is never lost. Whatever ``change`` raises undoes everything and is
        raised as it is. Returns the record as written.

        ``reads``, the names of the only fields ``change`` reads: it gets the record with those
        and objectId alone, and the record returned holds those, the fields set, objectId,
        createdAt and updatedAt; a Date field whose column was altered by hand among the others
        is left as it is, as ``save`` leaves it (it is named, the write refused, otherwise). A name of
        no field the record holds a value of (one the class lacks, a Relation) is refused."""
        self._not_in_change("update")
        # Not tried again as the other calls are (knowing): a field the Change names that this
        # process has not heard of is looked up in its transaction (engines/sql/writer.py's
        # modify), and ``change`` is not called a second time only for that (nor for a
        # SchemaError of its own, raised as it is).
        cls = known_class(self, class_name)
        _callable(change, "update's change", cls.name, object_id)
        # The class as known when the record is read: its transaction may read the schema again.
        names = None if reads is None else self._field_names(reads, "update's reads", cls.name, object_id)
        made: list[Change] = []

        def given(current: dict[str, Any]) -> Change:
            made.append(change(_only(output_record(self.store.schema.get(cls.name), current), names)))
            return made[-1]

        written = self.store.writer(lock_wait=self.timeout).modify(cls.name, object_id, self._in_change(given),
                                                                   _now(), shown=True if names is None else names)
        self._changed()
        out = output_record(self.store.schema.get(cls.name), written)
        if names is not None:
            kept = {"objectId", "createdAt", "updatedAt", *names, *(made[-1].fields if made else ())}
            out = {k: v for k, v in out.items() if k in kept}
        return out

    def delete(
        self, class_name: str, object_id: str, *, check: Callable[[dict[str, Any]], None] | None = None,
        reads: Collection[str] | None = None,
    ) -> None:
        """Delete a record and every Relation edge that names it. ``check``, if given, gets the
        record as ``find`` gives it inside the delete's transaction, which holds the record as
        ``update`` does: whatever it raises stops the delete and is raised as it is (a
        permission test that no other writer can make stale before the delete). ``reads``, as
        ``update``'s: the names of the only fields ``check`` reads, which it gets with objectId."""
        self._not_in_change("delete")
        # Not tried again as the other calls are (knowing): only its class can be unknown, and
        # what ``check`` raises (a SchemaError too) is raised as it is, the check called once.
        cls = known_class(self, class_name)
        if check is not None:
            _callable(check, "delete's check", cls.name, object_id)
        names = None if reads is None else self._field_names(reads, "delete's reads", cls.name, object_id)

        checked = None if check is None else self._in_change(lambda current: check(_only(output_record(cls, current), names)))
        self.store.writer(lock_wait=self.timeout).delete(class_name, object_id, checked,
                                                         shown=True if names is None else names)
        self._changed()

    def _field_names(self, names: object, what: str, class_name: str, object_id: str) -> frozenset[str]:
        """``reads`` checked: a list (or set) of names of fields the record holds a value of,
        the class read again once when this process knows no field of a name (another
        process's new field). A name of no such field was read as an absent one: a check of
        "Acl" took a record with an ACL for one without, a counter "N" counted from nothing."""
        if isinstance(names, str | bytes | Mapping) or not isinstance(names, Collection):
            raise DataError(f"{what} must be a list of field names, not {type_name(names)}", class_name=class_name,
                            object_id=object_id)
        for at, name in enumerate(names, 1):
            if not isinstance(name, str):
                raise DataError(f"{what}: item {at} is {described(name)}, not a field name", class_name=class_name,
                                object_id=object_id)
        cls = self.store.schema.get(class_name)
        if any(name not in cls.fields for name in names) and self.refresh_schema():
            cls = self.store.schema.get(class_name)
        for name in names:
            f = cls.fields.get(name)
            if f is None:
                hint = suggest(name, cls.fields)
                raise DataError(f"{what}: unknown field" + (f" ({hint})" if hint else ""), class_name=class_name,
                                object_id=object_id, field=name)
            if f.type == "Relation":
                raise DataError(f"{what}: a Relation field holds no value in the record (its edges are read with a "
                                "query: relatedTo)", class_name=class_name, object_id=object_id, field=name)
        return frozenset(names)

    @knowing_write
    def increment(self, class_name: str, object_id: str, amounts: Mapping[str, float]) -> None:
        """Add to Number fields (an absent value counts as 0)."""
        self._not_in_change("increment")
        self.store.writer(lock_wait=self.timeout).increment(class_name, object_id, amounts, _now())
        self._changed()

    @knowing_write
    def add_relation(self, class_name: str, object_id: str, key: str, target_id: str) -> None:
        self._not_in_change("add_relation")
        self.store.writer(lock_wait=self.timeout).add_relation(class_name, object_id, key, target_id, _now())
        self._changed()

    @knowing_write
    def remove_relation(self, class_name: str, object_id: str, key: str, target_id: str) -> None:
        self._not_in_change("remove_relation")
        self.store.writer(lock_wait=self.timeout).remove_relation(class_name, object_id, key, target_id, _now())
        self._changed()

    @knowing_write
    def define_class(self, name: str, fields: Mapping[str, Mapping[str, str]] | None = None) -> None:
        """Create a class or add fields to it: ``{"title": {"type": "String"}}``."""
        self._not_in_change("define_class")
        _named("define_class's class name", name)
        # Only None is no fields: '' or [] (falsy, as {} is) defined the class without saying so.
        self.store.writer(lock_wait=self.timeout).define_class(name, {} if fields is None else fields)
        self._changed()

    def add_field(self, class_name: str, name: str, type: str, target_class: str | None = None) -> None:
        _named("add_field's class name", class_name)
        _named(f"add_field's field name (class {class_name})", name)
        spec = {"type": type} | ({"targetClass": target_class} if target_class is not None else {})
        self.define_class(class_name, {name: spec})


def _named(what: str, name: object) -> None:
    """A class or field name that is no string (a list or a dict raised Python's "unhashable
    type" as the schema looked it up)."""
    if not isinstance(name, str):
        raise DataError(f"{what} must be a string, not {type_name(name)}: nothing was changed")


def _callable(call: object, what: str, class_name: str, object_id: object) -> None:
    """Another value failed with Python's TypeError once the record's transaction was open."""
    if not callable(call):
        raise DataError(f"{what} must be a function of the record, not {type(call).__name__}: nothing was changed",
                        class_name=class_name, object_id=object_id if isinstance(object_id, str) else None)


def _only(record: dict[str, Any], names: frozenset[str] | None) -> dict[str, Any]:
    """``record`` with only the fields ``reads`` names and its objectId (all of it for None)."""
    return record if names is None else {k: v for k, v in record.items() if k == "objectId" or k in names}


def _now() -> datetime:
    return to_ms(datetime.now(UTC))

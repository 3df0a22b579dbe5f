"""Record-level writes, the same rules on every SQL engine: create, save, increment, delete,
relations and schema changes, each one validated against the schema first, then one
transaction.

The statements are written once, here, with ``?`` placeholders that the engine's dialect
finishes (``Dialect.finish``) and identifiers quoted by the dialect through its layout. An
engine's writer (engines/duckdb/writer.py, engines/postgres/writer.py) supplies only what
differs: its transaction and how a failure inside one is reported, how a record becomes the
cells of its row, how a stored row reads back, and how a schema change makes its tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from querylang.engines.sql.dialect import Dialect
from querylang.errors import DataError
from querylang.interchange.document import Edge, merge_schema, normalise_record
from querylang.model.change import Change
from querylang.model.jsvalues import described, type_name
from querylang.model.schema import ClassDef, Field, Schema, suggest
from querylang.model.values import encodes_utf8, native


class Tables(Protocol):
    """The store a writer writes to: the schema it validates against (and replaces)."""

    schema: Schema


S = TypeVar("S", bound=Tables)
T = TypeVar("T")


class _Raised(Exception):
    """What a caller's callback (update's change, delete's check) raised inside a write's
    transaction, carried past the engine's own handling of a failed write (which made a
    QueryError on PostgreSQL, or a driver's error on either engine, a DataError "write
    failed") to be raised as it is once the transaction has rolled back."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(exc)
        self.exc = exc


def _called(fn: Callable[[dict[str, Any]], T], current: dict[str, Any]) -> T:
    try:
        return fn(current)
    except Exception as exc:
        raise _Raised(exc) from None


def _names_unknown(cls: ClassDef, wanted: Change) -> bool:
    """Whether a Change sets, unsets, or edits the edges of, a field ``cls`` does not have
    (what is no list of names is refused later, by _unset_names)."""
    unset = wanted.unset if isinstance(wanted.unset, list | tuple | set | frozenset) else ()
    named = [*(wanted.fields if isinstance(wanted.fields, Mapping) else ()), *unset,
             *(k for edges in (wanted.add, wanted.remove) if isinstance(edges, Mapping) for k in edges)]
    return any(k not in cls.fields for k in named if isinstance(k, str))


class SqlWriter(ABC, Generic[S]):
    """Record-level writes on one store; the engine's subclass supplies the abstract methods
    below (a writer missing one cannot be made)."""

    def __init__(self, store: S, dialect: Dialect) -> None:
        self.store = store
        self.dialect = dialect
        self._described: dict[str, Any] = {}  # class → its last read's description (checks_dates)

    # --- what each engine supplies --------------------------------------------------------

    @abstractmethod
    def transaction(self, fn: Callable[[Any], T]) -> T:
        """Engine: ``fn(connection)`` in one transaction, holding the store alone; a failure
        rolls back and is a :class:`DataError` saying nothing was changed."""

    @abstractmethod
    def columns(self, cls: ClassDef) -> list[str]:
        """Engine: the columns of ``cls``'s table, in the order :meth:`cells` gives."""

    @abstractmethod
    def cells(self, cls: ClassDef, rec: Mapping[str, Any]) -> list[Any]:
        """Engine: a normalised record as its row's cells, as the driver binds them."""

    @abstractmethod
    def stored_record(self, cls: ClassDef, columns: list[str], row: Any) -> dict[str, Any]:
        """Engine: a row of ``layout.output_columns`` back as the normalised record."""

    @abstractmethod
    def join_table(self, owner_class: str, key: str) -> str:
        """Engine: a Relation's edge table by the name ``schema.clean_joins`` holds."""

    @abstractmethod
    def create_tables(self, con: Any, old: Schema, new: Schema) -> None:
        """Engine: inside the transaction, the tables, schema rows and indexes that ``new``
        adds to ``old``."""

    # Engine: other processes may read the same tables, each with its own clean_joins.
    others_read = False
    # Engine: what the read of a record a write changes ends with, so that another process's
    # write of the same record waits for this transaction (its own read-modify-write would
    # otherwise start from the old row, and one of the two changes be lost).
    lock_read = ""
    # Engine: what the look for an edge's target record ends with, so that another process's
    # delete of that record waits for the edge's transaction (and deletes the edge) or is
    # waited for (and the edge is known to dangle).
    lock_target = ""
    # Engine: the driver's error for a second row with one objectId (the unique index's).
    duplicate_key: tuple[type[BaseException], ...] = ()
    # Engine: a write looks at the types of the Date columns it stores a date into, as its own
    # read of the table described them (no statement more), and written_dates names one
    # whose type was changed by hand: an engine that casts a date into a column of any type
    # wrote it there as text or a day.
    checks_dates = False

    def written_dates(self, cls: ClassDef, types: Mapping[str, str], cells: Mapping[str, Any]) -> None:
        """Engine, when :attr:`checks_dates`: raise the DataError naming a column of ``cells``
        (a Date column → the non-NULL cell to be stored) whose type in ``types`` (column →
        the type a read described) is not the one the engine makes for a Date."""

    def unread_dates(self, cls: ClassDef, columns: list[str], row: Any) -> Any:
        """Engine, when :attr:`checks_dates`: a stored row of ``columns`` with the cells of the
        Date fields whose column's type was changed by hand left out (NULL), for a write that
        hands no stored value to its caller: it neither reads nor rewrites them."""
        return row

    def stored_schema(self, con: Any, change: bool = True) -> Schema:
        """Engine: inside a schema change's (``change``) or a delete's transaction, the schema
        as stored, held until the transaction ends (the store's, unless other processes may
        change it)."""
        return self.store.schema

    def class_now(self, con: Any, cls: ClassDef) -> ClassDef:
        """Engine, when other processes may change the schema: inside the transaction, ``cls``
        as stored now (the store's schema read again and replaced when it changed), for a
        write that names a field this process has not heard of."""
        return cls

    def edges_dirtied(self, con: Any, name: str) -> None:
        """Engine, when :attr:`others_read`: inside the transaction, tell the other processes
        that edge table ``name`` gained an edge to a missing record."""

    def called_back(self, con: Any) -> None:
        """Engine: inside the transaction, after update's change or delete's check returned (its
        queries ran on ``con``, in the write's transaction): the write's own settings again."""

    def _calling_back(self, fn: Callable[[Any], T]) -> T:
        """:meth:`transaction`, for a write whose ``fn`` calls the caller back (through
        :func:`_called`): what the callback raised comes out as it is."""
        try:
            return self.transaction(fn)
        except _Raised as carried:
            raised = carried.exc
        raise raised

    # --- statements ---------------------------------------------------------------------------

    def _run(self, con: Any, sql: str, params: list[Any]) -> Any:
        return con.execute(self.dialect.finish(sql), params)

    def _table(self, class_name: str) -> str:
        return self.dialect.quote(self.dialect.layout.table(class_name))

    def _column(self, name: str) -> str:
        return self.dialect.quote(self.dialect.layout.column(name))

    def _edges(self, owner_class: str, key: str) -> str:
        return self.dialect.quote(self.dialect.layout.join_table(owner_class, key))

    def _dates_written(self, cls: ClassDef, cols: Sequence[str], cells: Sequence[Any], described: Any) -> None:
        """:meth:`written_dates` for the cells ``cells`` of ``cols`` a write is to store, where
        ``described`` (a cursor's description) gives the types of the Date columns."""
        dates = set(cls.date_names)
        written = {c: cell for c, cell in zip(cols, cells, strict=True) if c in dates and cell is not None}
        if written:
            self.written_dates(cls, {d[0]: str(d[1]) for d in described if d[0] in dates}, written)

    # --- writes -------------------------------------------------------------------------------

    @staticmethod
    def _check_id(class_name: str, oid: object, target: str | None = None, owner: str | None = None) -> None:
        """An id a write is given as an argument. Another value than a string reached the engine
        and failed there with its own SQL error (an int compared with a text column); a target
        with NUL was written on DuckDB and refused by PostgreSQL. A record's own id that no
        record can have (empty, NUL) is simply not found, as any other missing id. ``target``:
        the Relation field the id is a target of, and ``owner`` the record whose edge it is."""
        what = "the target's objectId" if target else "objectId"
        if not isinstance(oid, str):
            raise DataError(f"{what} must be a string, not {type_name(oid)}", class_name=class_name,
                            object_id=owner, field=target)
        if oid == "" or "\x00" in oid:
            if target:
                raise DataError(f"{what} must be a non-empty string without NUL characters", class_name=class_name,
                                object_id=owner, field=target)
            raise DataError("Object not found.", class_name=class_name, code=101)
        if not encodes_utf8(oid):
            # A lone surrogate cannot be sent to the engine: PostgreSQL's driver raised
            # UnicodeEncodeError and DuckDB's said "Python Conversion Failure". No record has it.
            if target:
                raise DataError(f"{what} holds a lone surrogate (not valid Unicode)", class_name=class_name,
                                object_id=owner, field=target)
            raise DataError("Object not found.", class_name=class_name, code=101)

    @staticmethod
    def _check_fields(what: str, class_name: str, oid: str, fields: object) -> None:
        if not isinstance(fields, Mapping):
            raise DataError(f"{what} needs an object of fields (a field name → its value), not {type_name(fields)}",
                            class_name=class_name, object_id=oid)

    def _stored(self, con: Any, cls: ClassDef, oid: str, *, shown: bool | Collection[str] = True) -> dict[str, Any]:
        """The record as stored, read with ``con`` (inside the write's transaction). Not
        ``shown`` (to the caller's change or check, or as what an update wrote): without the
        Date fields whose column was altered by hand (:meth:`unread_dates`), which a save,
        increment or edge edit of the record's other fields leaves as they are; a record shown
        names such a column, as a query does. ``shown`` a collection of field names: only
        those are shown (the fields a change or check says it reads)."""
        cols = self.dialect.layout.output_columns(cls)
        collist = ", ".join(self._column(c) for c in cols)
        cur = self._run(con, f'SELECT {collist} FROM {self._table(cls.name)} WHERE "objectId" = ?{self.lock_read}', [oid])
        row = cur.fetchone()
        if row is None:
            raise DataError("Object not found.", class_name=cls.name, object_id=oid, code=101)
        if self.checks_dates:
            self._described[cls.name] = cur.description  # the columns' types, for the write that follows (_update)
            if shown is not True:
                left = self.unread_dates(cls, cols, row)
                read = () if shown is False else shown
                row = [cell if c in read else kept for c, cell, kept in zip(cols, row, left, strict=True)]
        return self.stored_record(cls, cols, row)

    def create(self, class_name: str, fields: Mapping[str, Any], now: datetime) -> str:
        cls = self.store.schema.get(class_name)
        if not isinstance(fields, Mapping):
            raise DataError("create needs an object of fields", class_name=class_name)
        rec, edges = normalise_record(cls, dict(fields), now=now)
        oid = rec["objectId"]

        def run(con: Any) -> str:
            cols = self.columns(cls)
            # Where the engine checks the dates it stores, the look reads the Date columns the
            # record has a date in (each one read costs): its description gives their types.
            dates = [c for c in cls.date_names if rec.get(c) is not None] if self.checks_dates else []
            look = ", ".join(map(self._column, dates)) or "1"
            cur = self._run(con, f'SELECT {look} FROM {self._table(cls.name)} WHERE "objectId" = ?', [oid])
            if cur.fetchone():
                raise DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=oid)
            cells = self.cells(cls, rec)
            if dates:
                self._dates_written(cls, cols, cells, cur.description)
            marks = ", ".join("?" * len(cols))
            try:
                self._run(
                    con,
                    f"INSERT INTO {self._table(cls.name)} ({', '.join(self._column(c) for c in cols)}) VALUES ({marks})",
                    cells,
                )
            except self.duplicate_key:
                # Another process wrote the id after the look above: the same error as that look's.
                raise DataError("duplicate objectId: already in the database", class_name=cls.name, object_id=oid) from None
            for e in edges:
                self._add_edge(con, e)
            return oid

        return self.transaction(run)

    def save(self, class_name: str, oid: str, fields: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        self._check_id(class_name, oid)
        self._check_saved(cls, oid, fields)
        self.transaction(lambda con: self._update(con, cls, oid, fields, now))

    def _check_saved(self, cls: ClassDef, oid: str, fields: object, what: str = "save") -> None:
        """The fields a save (or ``what``: the write that makes one) may set."""
        self._check_fields(what, cls.name, oid, fields)
        assert isinstance(fields, Mapping)
        for forbidden in ("objectId", "createdAt", "updatedAt"):  # updatedAt: the save sets it, to now
            if forbidden in fields:
                raise DataError(f"{forbidden} cannot be changed", class_name=cls.name, object_id=oid, field=forbidden)
        relation_fields = {k for k in fields if (f := cls.fields.get(k)) is not None and f.type == "Relation"}
        if relation_fields:
            # Inside an update, add_relation is a write the change may not make: the Change's own way.
            how = ("a Change edits a Relation's edges with add= and remove=" if what == "update's Change"
                   else "use add_relation/remove_relation for Relation fields")
            raise DataError(how, class_name=cls.name, object_id=oid, field=sorted(relation_fields)[0])

    def _unset_names(self, cls: ClassDef, oid: str, wanted: Change) -> list[str]:
        """A Change's ``unset``, checked: names of fields a save may set, none also in ``fields``."""
        unset = wanted.unset
        if isinstance(unset, str) or not isinstance(unset, list | tuple | set | frozenset):
            raise DataError(f"a Change's unset must be a list of field names, not {type_name(unset)}",
                            class_name=cls.name, object_id=oid)
        for name in unset:
            if not isinstance(name, str):
                raise DataError(f"a Change's unset must be a list of field names, not one holding {type_name(name)}",
                                class_name=cls.name, object_id=oid)
            if name in wanted.fields:
                raise DataError("a Change cannot both set and unset a field", class_name=cls.name, object_id=oid, field=name)
        self._check_saved(cls, oid, dict.fromkeys(unset), "update's Change")
        return list(unset)

    def _update(
        self, con: Any, cls: ClassDef, oid: str, fields: Mapping[str, Any], now: datetime,
        current: dict[str, Any] | None = None, unset: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Read (unless the caller has: ``current``), change and write one record, inside the
        caller's transaction; the record as written. ``unset`` fields are left without a value
        (not stored as an explicit null)."""
        if current is None:
            current = self._stored(con, cls, oid, shown=False)  # a save's: it returns nothing
        cleared = dict.fromkeys(unset)
        checked, _ = normalise_record(cls, {"objectId": oid, **fields, **cleared}, now=now)  # names checked too
        merged = {**current, **{k: checked.get(k) for k in fields}}
        for k in cleared:
            merged.pop(k, None)
        fields = {**fields, **cleared}  # their cells are written, as a missing value's
        merged["updatedAt"] = now
        # Only the changed fields' cells are made and written (with updatedAt and the list of
        # explicit nulls, which the unchanged nulls keep right): a String's cells hold its
        # text-search words, so an increment beside a long text spent seconds on its words.
        unchanged = {f.name for f in cls.user_fields if f.name not in fields}
        kept = {k: v for k, v in merged.items() if k not in unchanged or v is None}
        cols = self.columns(cls)
        row = self.cells(cls, kept)
        sets = [(c, cell) for c, cell in zip(cols, row, strict=True)
                if c not in ("objectId", "createdAt") and c.split(":")[0] not in unchanged]
        if self.checks_dates:
            self._dates_written(cls, [c for c, _ in sets], [cell for _, cell in sets], self._described.get(cls.name, ()))
        assignments = ", ".join(f"{self._column(c)} = ?" for c, _ in sets)
        self._run(con, f'UPDATE {self._table(cls.name)} SET {assignments} WHERE "objectId" = ?',
                  [*(cell for _, cell in sets), oid])
        return merged

    def modify(
        self, class_name: str, oid: str, change: Callable[[dict[str, Any]], Change], now: datetime,
        *, shown: bool | Collection[str] = True,
    ) -> dict[str, Any]:
        """One read-modify-write: ``change`` gets the stored record (normalised) and says what
        to set and which edges to add and remove; the read, the save and the edges are one
        transaction, and the read locks the row where other processes write (``lock_read``),
        so that two such updates of one record, from two processes, both count. Not ``shown``:
        ``change`` reads nothing of the record and the caller drops what it returns (_stored)."""
        known = self.store.schema.get(class_name)
        self._check_id(class_name, oid)

        def changed(con: Any, current: dict[str, Any]) -> Change:
            wanted = _called(change, dict(current))
            self.called_back(con)
            if not isinstance(wanted, Change):
                raise DataError(f"update's change must return a querylang.Change, not {type(wanted).__name__}",
                                class_name=class_name, object_id=oid)
            return wanted

        def run(con: Any) -> dict[str, Any]:
            cls = known
            current = self._stored(con, cls, oid, shown=shown)
            wanted = changed(con, current)
            if _names_unknown(cls, wanted) and (fresh := self.class_now(con, cls)) != cls:
                # Another process added a field this one has not heard of yet (the notice comes
                # with a statement's rows): the Change is checked against the class as stored,
                # not refused to be run again. The record is read again (its row is locked):
                # when it holds a value of a field the change could not see, the change is given
                # the whole record, or a value computed from it (a counter) would be lost.
                cls, complete = fresh, self._stored(con, fresh, oid, shown=shown)
                if complete.keys() - current.keys():
                    wanted = changed(con, complete)
                current = complete
            # Named as the call the user made: "save needs an object of fields" was said of an update.
            self._check_saved(cls, oid, wanted.fields, "update's Change")
            unset = self._unset_names(cls, oid, wanted)
            edits = [(key, target, add) for add, edges in ((True, wanted.add), (False, wanted.remove))
                     for key, targets in self._edge_lists(class_name, oid, edges) for target in targets]
            for key, target, add in edits:
                self._relation(class_name, key, oid)
                if add:
                    self._check_id(class_name, target, target=key, owner=oid)
                elif not isinstance(target, str):
                    raise DataError(f"objectId must be a string, not {type_name(target)}", class_name=class_name,
                                    object_id=oid, field=key)
            merged = self._update(con, cls, oid, wanted.fields, now, current, unset)
            for key, target, add in edits:
                if add:
                    self._add_edge(con, Edge(class_name, key, oid, target))
                elif target and "\x00" not in target and encodes_utf8(target):  # no edge names such an id
                    self._run(con, f"DELETE FROM {self._edges(class_name, key)} WHERE owning_id = ? AND related_id = ?",
                              [oid, target])
            return merged

        return self._calling_back(run)

    @staticmethod
    def _edge_lists(class_name: str, oid: str, edges: object) -> list[tuple[str, list[Any]]]:
        """A Change's ``add`` or ``remove``, checked: a Relation name → a list of ids."""
        if not isinstance(edges, Mapping):
            raise DataError(f"a Change's edges must map a Relation field to objectIds, not {type_name(edges)}",
                            class_name=class_name, object_id=oid)
        out = []
        for key, targets in edges.items():
            if isinstance(targets, str) or not isinstance(targets, list | tuple):
                raise DataError("a Change's edges must be a list of objectIds", class_name=class_name, object_id=oid,
                                field=key if isinstance(key, str) else repr(key))
            out.append((key, list(targets)))
        return out

    def increment(self, class_name: str, oid: str, amounts: Mapping[str, Any], now: datetime) -> None:
        cls = self.store.schema.get(class_name)
        self._check_id(class_name, oid)
        self._check_fields("increment", class_name, oid, amounts)
        amounts = {name: native(by) for name, by in amounts.items()}  # numpy's int64 adds as an int
        for name, by in amounts.items():
            if not isinstance(name, str):  # None named no field: "increment needs a Number field" said not which
                raise DataError(f"increment: field names are strings, not {described(name)}",
                                class_name=class_name, object_id=oid)
            f = cls.fields.get(name)
            if f is None and (holder := cls.object_holding(name)) is not None:
                raise DataError(f"increment: a key inside the Object field '{holder}' (a dotted name) is no Number "
                                "field: change the Object whole (db.update reads and writes it in one transaction)",
                                class_name=class_name, object_id=oid, field=name)
            if f is None:
                hint = suggest(name, cls.fields)
                raise DataError("increment: unknown field" + (f" ({hint})" if hint else ""), class_name=class_name,
                                object_id=oid, field=name)
            if f.type != "Number":
                raise DataError(f"increment needs a Number field, not a {f.type} field", class_name=class_name,
                                object_id=oid, field=name)
            if isinstance(by, bool) or not isinstance(by, int | float):
                raise DataError("increment needs a number", class_name=class_name, object_id=oid, field=name)

        def run(con: Any) -> None:
            # Read and write in one transaction under the write lock: two threads adding at
            # once both count (each used to read the old value first).
            current = self._stored(con, cls, oid, shown=False)
            self._update(con, cls, oid, {k: _added(current.get(k) or 0, v) for k, v in amounts.items()}, now, current)

        self.transaction(run)

    def delete(
        self, class_name: str, oid: str, check: Callable[[dict[str, Any]], None] | None = None,
        *, shown: bool | Collection[str] = True,
    ) -> None:
        """Delete a record and every edge that names it, as owner or as target. ``check`` gets
        the stored record (normalised), read and locked in the delete's transaction; what it
        raises undoes the delete. ``shown``: as :meth:`_stored`'s."""
        cls = self.store.schema.get(class_name)
        self._check_id(class_name, oid)

        def run(con: Any) -> None:
            # The Relations as stored now: one another process added since this one opened
            # kept its edges to the deleted record, which its queries took for live.
            schema = self.stored_schema(con, change=False)
            if check is not None:
                _called(check, dict(self._stored(con, cls, oid, shown=shown)))
                self.called_back(con)
            elif not self._run(con, f'SELECT 1 FROM {self._table(cls.name)} WHERE "objectId" = ?{self.lock_read}',
                               [oid]).fetchone():
                # Found and held as the check's read holds it; no cell read, so a record is
                # deleted whatever a column altered by hand holds.
                raise DataError("Object not found.", class_name=cls.name, object_id=oid, code=101)
            self._run(con, f'DELETE FROM {self._table(cls.name)} WHERE "objectId" = ?', [oid])
            for owner in schema.classes.values():
                for f in owner.user_fields:
                    if f.type != "Relation":
                        continue
                    jt = self._edges(owner.name, f.name)
                    if owner.name == class_name:
                        self._run(con, f"DELETE FROM {jt} WHERE owning_id = ?", [oid])
                    if f.target == class_name:
                        self._run(con, f"DELETE FROM {jt} WHERE related_id = ?", [oid])

        self._calling_back(run)

    def _relation(self, class_name: str, key: str, oid: object) -> Field:
        """The Relation field ``key`` of the class; ``oid``: the record whose edges it is to hold."""
        cls = self.store.schema.get(class_name)
        f = cls.fields.get(key) if isinstance(key, str) else None  # a list key was a TypeError (unhashable)
        if f is None or f.type != "Relation":
            raise DataError("no such Relation field", class_name=class_name, object_id=oid if isinstance(oid, str) else None,
                            field=key if isinstance(key, str) else repr(key))
        return f

    def _add_edge(self, con: Any, e: Edge) -> None:
        name = self.join_table(e.owner_class, e.key)
        jt = self._edges(e.owner_class, e.key)
        target = self.store.schema.classes[e.owner_class].fields[e.key].target or ""
        schema = self.store.schema
        # The other processes are told even when this one knew the table unclean: one of them
        # may have opened while no edge dangled. Alone, a table already unclean needs no look.
        if (name in schema.clean_joins or self.others_read) and not self._run(
            con, f'SELECT 1 FROM {self._table(target)} WHERE "objectId" = ?{self.lock_target}', [e.related_id]
        ).fetchone():
            # An edge to a record that does not exist (yet): queries must check targets again.
            # Marking it before the commit errs on the safe side if the write rolls back.
            if name in schema.clean_joins:
                self.store.schema = replace(schema, clean_joins=schema.clean_joins - {name})
            if self.others_read:
                self.edges_dirtied(con, name)
        self._run(
            con,
            f"INSERT INTO {jt} SELECT ?, ? WHERE NOT EXISTS "
            f"(SELECT 1 FROM {jt} WHERE owning_id = ? AND related_id = ?)",
            [e.owning_id, e.related_id, e.owning_id, e.related_id],
        )

    def add_relation(self, class_name: str, oid: str, key: str, target_id: str, now: datetime) -> None:
        """One edge added as an update's edit adds it: the owner read (a missing one is an
        error) and its updatedAt set in the same transaction, as Parse's AddRelation does (the
        owner's updatedAt stayed as it was)."""
        self._relation(class_name, key, oid)
        self.modify(class_name, oid, lambda current: Change({}, add={key: [target_id]}), now, shown=False)

    def remove_relation(self, class_name: str, oid: str, key: str, target_id: str, now: datetime) -> None:
        """One edge removed as an update's edit removes it: a missing edge (or an id no edge
        can hold) is fine, a missing owner is not, as for add_relation (it was silently
        nothing); the owner's updatedAt moves."""
        self._relation(class_name, key, oid)
        self.modify(class_name, oid, lambda current: Change({}, remove={key: [target_id]}), now, shown=False)

    def define_class(self, name: str, fields: Mapping[str, Any]) -> None:
        """Create a class, or add fields to one (a field may not change its type)."""
        merge_schema(self.store.schema, {name: {"fields": fields}})  # refused before a transaction starts

        def run(con: Any) -> tuple[Schema, Schema]:
            old = self.stored_schema(con)
            new = merge_schema(old, {name: {"fields": fields}})
            self.create_tables(con, old, new)
            return old, new

        old, new = self.transaction(run)
        # New join tables start empty, so clean.
        self.store.schema = replace(new, clean_joins=old.clean_joins | (self._joins(new) - self._joins(old)))

    def _joins(self, schema: Schema) -> set[str]:
        return {self.join_table(c.name, f.name) for c, f in schema.relations()}


def _added(current: int | float, by: int | float) -> int | float:
    """``current + by``, whose range the write then checks: a stored double plus an int past
    every double raised Python's OverflowError. Their exact sum instead (it is in range only
    where the double is a whole number, and int() of it is then exact)."""
    try:
        return current + by
    except OverflowError:
        return int(current) + by

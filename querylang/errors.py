"""Every error a user can cause is a :class:`QueryError`.

Each carries a readable message, a Parse-style ``code`` (docs/semantics.md#errors) and, when the
error comes from a script, the ``line``/``column`` it points at; ``str()`` then shows the
offending source line with a caret under the column, like a compiler would.
"""

from __future__ import annotations

import errno
import json
import shlex
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What an OverflowError from a script's values means to the user: an integer too large for a
# double (10**400 from an input or JSON.parse), or a date past Python's years (new Date(8.64e15)).
OUT_OF_RANGE = "a number is out of range (larger than a double holds, or a date outside years 1-9999)"

# A sum (of a sum or avg aggregate) past the largest double: DuckDB's is Infinity, which no
# answer may hold (docs/semantics.md#numbers), PostgreSQL raises; both say this instead.
SUM_OUT_OF_RANGE = "the sum is larger than a double holds (about 1.8e308)"

# Parse error codes (docs/semantics.md#errors).
INTERNAL_SERVER_ERROR = 1
OBJECT_NOT_FOUND = 101
INVALID_QUERY = 102
INVALID_CLASS_NAME = 103
INVALID_KEY_NAME = 105
INVALID_JSON = 107
INCORRECT_TYPE = 111
OPERATION_FORBIDDEN = 119
INVALID_NESTED_KEY = 121


_BREAKS = {ord(c): " " for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}

# C0 controls but tab and newline, DEL and C1, as text (\x1b): written raw to a terminal, a
# value could move its cursor, recolour or retitle it (ESC [, and its one-character form CSI).
CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)] if c not in (0x09, 0x0A)}

# A read after db.close(), on either engine: the drivers' own errors named neither the cause
# nor querylang.
DATABASE_CLOSED = "the database is closed (db.close() was called); open it again with querylang.connect"
# A call in a process forked after connect (multiprocessing's default on Linux): the connection
# it would use is its parent's (PostgreSQL: one socket both speak on; DuckDB: pages the parent
# writes too).
DATABASE_FORKED = ("the database was opened by another process, this one's parent (a fork after connect): "
                   "its connection is the parent's; open it again with querylang.connect in this process")


class QueryError(Exception):
    """Root of every user-facing error: bad script, bad query, bad data."""

    default_code = INVALID_QUERY
    # The file the script was read from (the command line's @FILE), named before its line; a
    # class default, so that a subclass's own __init__ need not set it.
    file: str | None = None

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
        code: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        self.code = self.default_code if code is None else code
        self.hint = hint

    def with_source(self, source: str) -> QueryError:
        """Attach the script text so ``str()`` can show the caret view."""
        if self.source is None:
            self.source = source
        return self

    def at(self, line: int | None, column: int | None) -> QueryError:
        """Give the error a position if it has none yet."""
        if self.line is None and line is not None:
            self.line, self.column = line, column
        return self

    def caret_line(self) -> tuple[str, str] | None:
        """The offending source line as the caret view shows it (numbered, windowed, controls as
        text) and the part of it before the column (None without a position): the browser draws
        the caret after that part laid out unseen, where a font's widths put the character."""
        if self.source is None or self.line is None:
            return None
        lines = self.source.split("\n")  # the lexer counts lines by \n only
        if not 1 <= self.line <= len(lines):
            return None
        # Other line-break characters are shown as spaces so the caret view stays two lines.
        text = lines[self.line - 1].translate(_BREAKS)
        col = max(1, self.column or 1)
        # Very long lines (minified scripts) are windowed around the column.
        start = 0
        if len(text) > 120:
            start = max(0, col - 60)
            text = text[start : start + 120]
        prefix = f"{self.line:>4} | "
        # A control character is shown as \x1b, not written raw: it could drive the terminal.
        return prefix + text.translate(CONTROLS), prefix + text[: col - 1 - start].translate(CONTROLS)

    def caret_view(self) -> str:
        """The offending source line and a ``^`` under the column ('' without a position)."""
        shown = self.caret_line()
        if shown is None:
            return ""
        line, before = shown
        pad = "".join(map(_cells, before))  # in the cells a terminal gives each character
        return f"{line}\n{pad}^"

    def headline(self) -> str:
        """The error without its caret view: where, what, and the hint."""
        where = f"line {self.line}, column {self.column}: " if self.line is not None else ""
        if where and self.file is not None:
            where = f"{self.file}, {where}"
        return f"{where}{self.message}" + (f" ({self.hint})" if self.hint else "")

    def __str__(self) -> str:
        view = self.caret_view()
        return f"{self.headline()}\n{view}" if view else self.headline()


class QuerySyntaxError(QueryError):
    """The script text does not parse, or uses JavaScript outside the supported subset."""


class ScriptError(QueryError):
    """The script parsed but failed while running (a TypeError in JavaScript terms)."""


class NotDefined(ScriptError):
    """A name the script uses that nothing defines (JavaScript's ReferenceError); ``name`` is
    it, for a hint where it is a field of the class queried."""

    def __init__(self, name: str, *, line: int | None = None, column: int | None = None, source: str | None = None) -> None:
        super().__init__(f"{name} is not defined", line=line, column=column, source=source)
        self.name = name


class SchemaError(QueryError):
    """Unknown class or field, or an operator the field's type does not allow."""

    default_code = INVALID_KEY_NAME


class SchemaUnread(QueryError):
    """The stored schema could not be read again, for a class or field the process did not
    know: the server refused the read and kept the session (a lock_timeout on the schema table
    another session holds, out of a resource). The name is not known to be missing, so the
    call says so (schema_refresh.py), not that the schema lacks it."""

    default_code = INTERNAL_SERVER_ERROR


class LoadedThenInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) that came as a load committed: the load is saved, and this
    process's view of the database (its schema, its caches) says so, before the press is
    raised. A KeyboardInterrupt still, so that what stops on Ctrl-C stops; ``counts`` are the
    load's records per class, as ``load`` returns them, for saying what was kept."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__("interrupted after the load was committed: its records are kept")
        self.counts = counts


class QueryTypeError(QueryError):
    """A value of the wrong type for an operator or a field."""

    default_code = INVALID_JSON


class DataError(QueryError):
    """A data file or record that does not fit its schema; names class, objectId and field."""

    default_code = INVALID_JSON

    def __init__(
        self,
        message: str,
        *,
        class_name: str | None = None,
        object_id: str | None = None,
        field: str | None = None,
        code: int | None = None,
    ) -> None:
        place = []
        if class_name is not None:
            place.append(f"class {cut_name(class_name)}")
        if object_id is not None:
            place.append(f"record {cut_name(object_id)}")
        if field is not None:
            place.append(f"field {cut_name(field)}")
        full = f"{', '.join(place)}: {message}" if place else message
        super().__init__(full, code=code)
        self.class_name = class_name
        self.object_id = object_id
        self.field = field
        self.reason = message  # without the place: placed() names another one
        # The record's position among its class's records as read, or the edge's in the
        # relations list (from 0), when the error is about one: a file's reader turns it into
        # the line of that file (interchange/directory.py, the importers).
        self.record_index: int | None = None
        self.edge_index: int | None = None
        self.in_classes = False  # about the classes of the data (a directory's schema.json), not a record
        # The keys down to the value of a single-file document the error is about, when it is
        # about none of its records or edges (("classes", "Post"), ("records", "Pots")): the
        # file's reader names that line (interchange/json_places.py).
        self.doc_keys: tuple[str | int, ...] | None = None

    def placed(self, where: str | None, reason: str | None = None) -> DataError:
        """This error said of ``where`` (a file and line; None: of no file), naming what it
        named before; ``reason`` words it anew."""
        out = DataError(reason or self.reason, class_name=self.class_name, object_id=self.object_id, field=self.field,
                        code=self.code)
        if where is not None:
            out.message = f"{where}: {out.message}"
            out.args = (out.message,)
        out.reason, out.record_index, out.edge_index = self.reason, self.record_index, self.edge_index
        out.in_classes, out.doc_keys = self.in_classes, self.doc_keys
        return out


# A UTF-8 byte order mark before JSON: refused (README, "the directory form"), in these words
# rather than Python's "Unexpected UTF-8 BOM (decode using utf-8-sig)" or orjson's
# "unexpected character".
BOM = "starts with a byte order mark (BOM): save it as UTF-8 without one"


# What the system says of a path it refuses, in the project's words rather than Python's
# "[Errno 20] Not a directory: 'PATH'" (which names the path a second time).
_OS_REASONS = {
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a folder, not a file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ELOOP: "a loop of symbolic links",
    errno.ENAMETOOLONG: "a name in the path is too long for the file system",
    errno.EROFS: "the file system is read-only",
}


def os_reason(exc: OSError) -> str | None:
    """Why the system refused a path, in words; None for a failure that is no path's (a disk
    error, a full disk: said by their callers)."""
    return _OS_REASONS.get(exc.errno) if exc.errno is not None else None


def cannot_read(path: Path | str, exc: OSError) -> DataError:
    """A file the system would not let a command read, named as every such file is."""
    return DataError(f"{path}: cannot read: {os_reason(exc) or exc.strerror or exc}")


def empty_where(expected: str) -> str:
    """The one wording of a file or standard input with nothing in it, after its place: "not
    valid JSON at line 1, column 1: Expecting value" sent the user looking for a JSON mistake."""
    return f"empty, where {expected}"


# A data file of nothing (or blanks), as a download or a copy cut short leaves it.
JSON_DOCUMENT = "a JSON document is expected (was it cut short?)"
EMPTY_JSON = empty_where(JSON_DOCUMENT)


def json_refused(place: str, exc: json.JSONDecodeError, empty: str | None = None) -> DataError:
    """The one wording of JSON that cannot be read, from a file or an argument alike: ``place``
    names it (a file's path; WHERE_JSON, SCRIPT, --inputs), the line and column its text's.
    ``empty``: what a blank text should have held (None: a blank argument is read as given,
    so it is not valid JSON)."""
    if exc.msg == BOM or (exc.pos == 0 and has_bom(exc.doc)):
        return DataError(f"{place}: {BOM}")
    if empty is not None and not exc.doc.strip():
        return DataError(f"{place}: {empty_where(empty)}")
    return DataError(f"{place}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")


def not_a_document(place: str, doc: object) -> DataError:
    """The one wording of a data file whose JSON is no interchange document: what its top level
    is instead, and for an array of records, the importer that reads Parse Dashboard's exports
    (such a file given to load was said to need 'classes' and no more)."""
    kinds = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    kind = "null" if doc is None else kinds.get(type(doc), "no object")
    said = f"{place}: the top level must be an object with 'classes', 'records', 'relations', not {kind}"
    return DataError(said + dashboard_records(doc))


def dashboard_records(doc: object) -> str:
    """" (records as Parse Dashboard exports them: ...)" of an array of records, else "": what
    such JSON, a file's or text given to db.load, is, and what reads it."""
    if isinstance(doc, list) and doc and all(isinstance(r, dict) and "objectId" in r for r in doc[:10]):
        return " (records as Parse Dashboard exports them: querylang import dashboard (db.import_dashboard_export) reads those)"
    return ""


NAME_SHOWN = 100  # characters of a class, field or record name an error message shows


def cut_name(text: str) -> str:
    """A name as a message shows it: a long one (a mistake, or a hostile request) cut, with its
    length, so that the message stays readable (the error's attributes keep the whole name)."""
    return text if len(text) <= NAME_SHOWN else f"{text[:NAME_SHOWN - 20]}… ({len(text):,} characters)"


def has_bom(text: str | bytes) -> bool:
    return text.startswith("\ufeff") if isinstance(text, str) else text.startswith(b"\xef\xbb\xbf")


def undecodable_at(data: bytes, exc: UnicodeDecodeError) -> tuple[int, int]:
    """(line ends before, column) of the byte of ``data`` that ``exc`` says is no UTF-8, lines
    ended as Python's text reader ends them (a lone \\r too)."""
    before = data[: exc.start].decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return before.count("\n"), len(before) - (before.rfind("\n") + 1) + 1


def piped_not_utf8(what: str, data: bytes, exc: UnicodeDecodeError, before: int = 0) -> DataError:
    """Piped input that stops being UTF-8 (``data``, after ``before`` line ends already read),
    named by its line and column."""
    lines, column = undecodable_at(data, exc)
    return DataError(f"{what}: not UTF-8 text at line {before + lines + 1}, column {column} "
                     f"(byte 0x{data[exc.start]:02x}; send UTF-8)")  # fmt: skip


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def not_utf8(path: Path | str) -> str:
    """Where a file a UTF-8 reader refused stops being UTF-8, as a JSON error names its place:
    "not UTF-8 text at line 3, column 12 (byte 0xe9; save the file as UTF-8)". The file is
    read again a line at a time; lines end as Python's text reader ends them (a lone \\r too).
    A DuckDB database file (given as a data file: ``--data blog.duckdb``) is said to be one."""
    line = 1
    try:
        with open(path, "rb") as fh:
            if fh.read(12)[8:] == DUCKDB_MAGIC:
                return f"a DuckDB database, not text (open it as a database: --db {shlex.quote(str(path))}, or querylang.connect(path))"
            fh.seek(0)
            for raw in fh:
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    lines, column = undecodable_at(raw, exc)
                    return (f"not UTF-8 text at line {line + lines}, column {column} (byte 0x{raw[exc.start]:02x}; "
                            "save the file as UTF-8)")
                text = raw.decode("utf-8")
                line += text.count("\n") + text.count("\r") - text.count("\r\n")
    except OSError:
        pass
    return "not UTF-8 text (save the file as UTF-8)"


class QuerylangNotParse(DataError):
    """A database opened as Parse Server's (layout='parse') that holds querylang's own tables
    instead; ``where`` names it (a URL, its password masked)."""

    def __init__(self, where: str) -> None:
        super().__init__(f"{where}: no _SCHEMA table: this is not a Parse Server database; it holds "
                         "querylang's own tables: open it without --layout parse (layout='parse')")  # fmt: skip
        self.where = where


class DatabaseInUse(DataError):
    """A DuckDB database file another process has open: DuckDB lets one process at a time
    open a file that is written (docs/postgres.md)."""


class QueryTimeout(QueryError):
    """The query ran longer than the configured timeout and was interrupted."""

    default_code = INTERNAL_SERVER_ERROR


class QueryCancelled(QueryError):
    """The caller's ``cancel`` event was set while the query ran (Ctrl-C in the command line)."""

    default_code = INTERNAL_SERVER_ERROR


class Unreadable(QueryError):
    """A table the call needs cannot be read, for a reason outside the query (the role's
    permission, a table gone): a list that counts every class (``schema``, the browser) shows
    ``?`` for it, says why (:attr:`short`, :meth:`about`), and lists the others."""

    default_code = INTERNAL_SERVER_ERROR
    short = ""

    def about(self, names: str) -> str:
        """Why the classes ``names`` (comma-separated) show ``?``."""
        return f"{names}: {self.short}"


class PermissionDenied(Unreadable):
    """The database's role may not read or write a table the call needs (PostgreSQL's GRANTs):
    the role's limit, not the query's fault; the role may still read the other classes."""

    short = "permission denied"

    def about(self, names: str) -> str:
        return f"the database's role may not read the table of {names} (permission denied)"


# Why a table the schema lists is not there, in querylang's own layout (PostgreSQL, DuckDB).
TABLE_DROPPED = "dropped or renamed outside querylang (load the class again, or restore the table)"
# What follows the database's own "does not exist", which does not tell it: querylang's SQL
# names only tables the schema lists (Parse's tables in place say it their way).
DROPPED_BY_HAND = f"; the schema lists its class or Relation, so the table was {TABLE_DROPPED}"


LOAD_ELSEWHERE = "load the class under another name, or into another database"
DEFINE_ELSEWHERE = "define the class under another name, or in another database"


def others_table(table: str, failed: str, advice: str) -> DataError:
    """A new class whose table name another application's table has taken (PostgreSQL, DuckDB),
    named as such rather than in the database's words ("already exists")."""
    return DataError(f"{failed}: the database already has a table {table} that is not querylang's (another "
                     f"application's): {advice}", class_name=table)  # fmt: skip


class TableMissing(Unreadable):
    """A table the schema lists is not in the database: dropped or renamed by hand (or, read
    in place, its class deleted through Parse since connecting: ``why`` and ``short`` say so)."""

    short = "table dropped or renamed outside querylang"
    why = TABLE_DROPPED

    def __init__(self, message: str, *, why: str | None = None, short: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.why = why or self.why
        self.short = short or self.short

    def about(self, names: str) -> str:
        return f"the table of {names} was {self.why}"


def unread_reasons(counts: Mapping[str, object]) -> list[str]:
    """Why the counts of ``counts`` (class name to a count, or the :class:`Unreadable` that
    stopped it) that are not numbers cannot be read: one line per reason, naming its classes."""
    why: dict[tuple[type, str], tuple[Unreadable, list[str]]] = {}
    for name, c in counts.items():
        if isinstance(c, Unreadable):
            why.setdefault((type(c), c.short), (c, []))[1].append(name)
    return [exc.about(", ".join(names)) for exc, names in why.values()]


class EngineError(QueryError):
    """The database engine failed on a query the checks let through: a fault, not a user error."""

    default_code = INTERNAL_SERVER_ERROR


class TableMissingFault(TableMissing, EngineError):
    """DuckDB's :class:`TableMissing`: also an :class:`EngineError`, as every error DuckDB
    rejects a checked query with is. What counts every class (``schema``, ``show``, the browser)
    catches Unreadable and shows ``?``; a query on the table stays a fault of the database
    engine, for which the command line exits 1 (README), as it did before this class."""


class LimitExceeded(QueryError):
    """A script, a result or a list went over a configured limit."""


def _cells(ch: str) -> str:
    """What goes under ``ch`` in the caret line, so the caret lands under its column on a
    terminal: a tab stays a tab, a wide character (emoji, CJK) takes two cells, a combining
    mark none, nor an invisible format character (a BOM, a zero-width space or joiner; the
    soft hyphen is the one a terminal shows)."""
    if ch == "\t":
        return "\t"
    if ord(ch) in CONTROLS:
        return " " * len(CONTROLS[ord(ch)])
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return ""
    if unicodedata.category(ch) == "Cf" and ch != "\xad":
        return ""
    return "  " if unicodedata.east_asian_width(ch) in ("W", "F") else " "

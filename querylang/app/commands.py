"""What the command line and the REPL both do, through the library's public API only.

A query runs in a worker thread while the main thread listens for Ctrl-C: DuckDB only looks
at a signal after a statement ends, so Ctrl-C sets the query's ``cancel`` event and the
library interrupts the statement (``Database.query(..., cancel=)``).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from querylang.api import Database, Result, command_url, connect, shown, unreadable_path
from querylang.app.exits import EXIT_INTERRUPTED
from querylang.app.render import Count, array_doc, dumps, make_console, record_doc, record_view
from querylang.errors import (
    JSON_DOCUMENT,
    OBJECT_NOT_FOUND,
    DataError,
    LoadedThenInterrupted,
    QueryError,
    QueryTypeError,
    Unreadable,
    cannot_read,
    json_refused,
    not_a_document,
    not_utf8,
    piped_not_utf8,
)
from querylang.frontends.filters import STRICT_UNDEFINED
from querylang.frontends.operands import operators_as_value
from querylang.importers import jsontext
from querylang.model.nodes import walk
from querylang.model.schema import ClassDef, Field, a_type

T = TypeVar("T")


# --- scripts and inputs ---------------------------------------------------------------------


def read_text(path: Path, what: str) -> str:
    """An @FILE argument's text; ``@~/f.js`` is the home folder's, as no shell expands a ~
    after the @ (the REPL's .load expands it too)."""
    try:
        return path.expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"no such {what} file: {path}") from None
    except IsADirectoryError:  # was "cannot read: [Errno 21] Is a directory"
        raise DataError(f"{path} is a folder, where the {what} file was expected") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: {not_utf8(path.expanduser())}") from None
    except OSError as exc:
        raise cannot_read(path, exc) from None


def read_stdin(what: str) -> str:
    """Standard input as UTF-8 text, whatever the locale's reader would make of it: a byte
    that is not UTF-8 came through it as a lone surrogate (an error about a "lone surrogate" in
    the caret view), or, with PYTHONIOENCODING=utf-8, as an internal error. It is named here as
    a file's is: its line and column."""
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text-only stream (a test, an embedding program)
        return sys.stdin.read()
    data = buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise piped_not_utf8(what, data, exc) from None
    # As the text reader gives it: lines end in \n.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def closed_stdout(*, needed: bool) -> None:
    """A command started with standard output closed: refused when its output is its point;
    else given /dev/null, on descriptor 1 too, so that no file the command opens gets that
    descriptor (uvicorn's logging refused to start serve without a sys.stdout)."""
    if needed:
        raise QueryError("cannot write the output (standard output): it is closed; send it somewhere, "
                         "e.g. > out.txt or > /dev/null")  # fmt: skip
    try:
        os.fstat(1)
    except OSError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        if devnull != 1:
            os.dup2(devnull, 1)
            os.close(devnull)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # the process's own, never closed


def read_script(arg: str) -> str | dict[str, Any]:
    """SCRIPT as given: text, ``-`` for stdin, ``@file.js``; a JSON object is a filter object.

    A JSON object with keys is never a valid script (``{"a": 1}`` is a syntax error in
    JavaScript) and ``{}`` means "everything" either way, so reading JSON first is safe.
    """
    if arg == "-":
        return script_or_filter(not_blank(read_stdin("SCRIPT (standard input)"), "SCRIPT (standard input)"),
                                "SCRIPT (standard input)")
    if arg.startswith("@"):
        return script_or_filter(not_blank(read_text(Path(arg[1:]), "script"), arg[1:]), arg[1:])
    return script_or_filter(arg)


@contextlib.contextmanager
def script_file_named(arg: str) -> Iterator[None]:
    """An error at a line of an @FILE script names the file, as a data file's errors do: the
    caret view alone left a user with several filter files to guess which one was meant."""
    try:
        yield
    except QueryError as exc:
        if arg.startswith("@") and exc.line is not None:
            exc.file = arg[1:]
        raise


EVERY_RECORD = "(to list every record, give an empty SCRIPT '' or where({}))"


def is_blank(text: str) -> bool:
    """Nothing but blanks, a byte order mark among them (JavaScript reads one as a blank)."""
    return not text.strip().lstrip("\ufeff").strip()


def not_blank(text: str, where: str) -> str:
    """The text of a file or standard input, refused when there is nothing in it. An empty
    SCRIPT argument lists every record, as an empty Query Records node does; an empty file
    (a script saved empty, a redirect from the wrong file) listed every record too, which a
    mistake is more likely to have asked for, as an empty line asks the REPL for nothing."""
    if is_blank(text):
        raise DataError(f"{where}: empty, so it asks for no query {EVERY_RECORD}")
    return text


def script_or_filter(text: str, where: str = "SCRIPT") -> str | dict[str, Any]:
    """The script text, or the filter object it holds; ``where`` names it in errors."""
    # Past a byte order mark too: JavaScript reads one as a blank, and a filter object saved
    # with one is refused as JSON (errors.BOM), not read as a script's block.
    body = text.lstrip().lstrip("\ufeff").lstrip()
    if body.startswith("{"):
        try:
            doc = jsontext.loads(text, where)
        except json.JSONDecodeError as exc:
            if body[1:].lstrip().startswith(('"', "'")):
                # No script starts with '{"' (a block holding a string and a ':'): this is a
                # filter object with a JSON mistake, which the script parser reported as
                # "a '{' at the start of a statement opens a block".
                raise json_refused(where, exc) from None
            return text
        if isinstance(doc, dict):
            return doc
    return text


def calls_a_query(script: str, inputs: Mapping[str, Any]) -> bool:
    """Did running the script call where(), filter() or sort()?"""
    from querylang.script.interpreter import run_script

    ran = run_script(script, dict(inputs))
    return ran.where_pos is not None or ran.sort_pos is not None


def check_asks(source: str | dict[str, Any], inputs: Mapping[str, Any], arg: str = "") -> None:
    """SCRIPT that is not blank and never calls where(), filter() or sort() is refused: a
    mistyped filter ('[1, 2]', '5', a bare expression) would otherwise list every record.
    ``arg``: SCRIPT as given, whose @FILE the error names."""
    if isinstance(source, str) and source.strip() and not calls_a_query(source, inputs):
        # Named as not_blank names it (standard input was plain "SCRIPT"), with its hint.
        named = {"-": "SCRIPT (standard input)"}.get(arg, f"SCRIPT ({arg[1:]})" if arg.startswith("@") else "SCRIPT")
        raise QueryError(f"{named} ran without calling where(), filter() or sort(), so it asks for no query {EVERY_RECORD}")


def input_value(text: str, where: str = "the input value") -> Any:
    """``KEY=VALUE``'s value: JSON when it parses (5, true, null, ["a"]), else the plain string."""
    try:
        return jsontext.loads(text, where)
    except json.JSONDecodeError:
        return text


def parse_pairs(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs as inputs; a pair without ``=`` or key is a ValueError naming it."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"expected KEY=VALUE, got {pair!r}")
        out[key.strip()] = input_value(value, f"input {key.strip()}")
    return out


def parse_keys(values: Sequence[str]) -> list[str] | None:
    """Comma lists, repeatable (``--sort -a,b --sort c``), as one list; None when empty."""
    keys = [k.strip() for v in values for k in v.split(",") if k.strip()]
    return keys or None


def field_keys(values: Sequence[str], what: str = "field name", example: str = "title,body",
               *, signed: bool = False) -> list[str] | None:
    """Comma lists as :func:`parse_keys` reads them; a blank key (``''``, ``a,,b``) is a
    ValueError naming its place, since dropping it would answer other than the user asked.
    ``signed``: sort keys, where a lone ``-`` is blank too (it was "cannot sort by ''")."""
    for value in values:
        keys = value.split(",")
        for n, key in enumerate(keys, 1):
            if not (key.strip().removeprefix("-").strip() if signed else key.strip()):
                place = f" (key {n} of {len(keys)})" if len(keys) > 1 else ""
                raise ValueError(f"{value!r} has an empty {what}{place}: give field names, e.g. {example}")
    return parse_keys(values)


def sort_keys(values: Sequence[str]) -> list[str] | None:
    """``--sort`` values (``--sort ''``, ``--sort a,,b`` refused, as :func:`field_keys` does)."""
    return field_keys(values, "sort key", "-createdAt,title", signed=True)


# --- running queries so Ctrl-C can stop them ------------------------------------------------


def cancellable(work: Callable[[threading.Event], T]) -> T:
    """``work(cancel)`` in a worker thread; Ctrl-C sets ``cancel`` and, once the work has
    stopped, raises KeyboardInterrupt here. A second Ctrl-C stops waiting for it.

    Ctrl-C only sets a flag (no exception raised at an arbitrary point of the wait, which
    could leave a lock of the threading module half taken); the library turns the event into
    an interrupt of the running statement, repeated until the statement ends.

    SIGTERM is waited out the same way, then handed to the handler the command had for it
    (which ends the command as Ctrl-C does). Raised in the wait, it left the worker inside
    DuckDB while the process exited, and the interpreter's end of that daemon thread aborted
    the process in DuckDB's C++ ("terminate called …", exit -6 instead of 130).
    """
    if threading.current_thread() is not threading.main_thread():
        return work(threading.Event())  # no signals here: nothing can press Ctrl-C
    cancel = threading.Event()
    done = threading.Event()
    box: dict[str, Any] = {}
    presses = 0
    terminated = False

    def target() -> None:
        try:
            box["value"] = work(cancel)
        except BaseException as exc:  # handed to the main thread below
            box["error"] = exc
        finally:
            done.set()

    def on_signal(signum: int, frame: Any) -> None:
        nonlocal presses, terminated
        presses += 1
        terminated = terminated or signum == signal.SIGTERM
        cancel.set()

    worker = threading.Thread(target=target, name="querylang-query", daemon=True)
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker.start()
        while not done.wait(0.05) and presses < 2:
            pass
    finally:
        for sig, handler in previous.items():
            if handler is not None:  # None: set outside Python, and cannot be set back from here
                signal.signal(sig, handler)
    if done.is_set():
        # Until it has ended, the thread may still be freeing its DuckDB cursor: a process
        # that exits meanwhile dies in C++ ("terminate called ...").
        worker.join()
    if terminated:
        signal.raise_signal(signal.SIGTERM)  # now to the command's own handler
    if cancel.is_set():
        raise KeyboardInterrupt
    if "error" in box:
        raise box["error"]
    return box["value"]


def run_query(db: Database, class_name: str, query: Any, **kw: Any) -> Result:
    """``db.query`` where Ctrl-C can stop it (timeout, max_rows and the plan cache apply)."""
    return cancellable(lambda cancel: db.query(class_name, query, cancel=cancel, **kw))


def explain(db: Database, class_name: str, query: Any, **kw: Any) -> str:
    """The engine's plan for a query, where Ctrl-C can stop it."""
    return cancellable(lambda cancel: db.explain(class_name, query, cancel=cancel, **kw))


def undefined_input(db: Database, class_name: str, query: Any, **kw: Any) -> str | None:
    """What a condition left out for an input not given says ("the operand of greaterThan on
    'score' is undefined"), or None: such a condition is dropped, as Noodl drops it, and a
    command that printed every record without a word looked like a filter that matched them all.
    The browser says the same above its table."""
    if not isinstance(query, str):
        return None
    try:
        db.build(class_name, query, strict=True, **kw)
    except QueryError as exc:
        if STRICT_UNDEFINED in exc.message:
            return exc.message.replace(" " + STRICT_UNDEFINED, "")
    return None


def left_out(said: str, how: str) -> str:
    """The note under :func:`undefined_input`'s answer; ``how``: how this command gives inputs."""
    return f"note: {said}, so that condition is left out, as Noodl leaves it out when an input is not given ({how})"


def query_fields(db: Database, class_name: str, query: Any, **kw: Any) -> list[str]:
    """Fields a query filters or sorts on: the columns a narrow table keeps first."""
    q = db.build(class_name, query, **kw)
    names = [key.field for key in q.sort]
    names += [node.field for node in walk(q.where) if isinstance(getattr(node, "field", None), str)]
    return list(dict.fromkeys(name.split(".")[0] for name in names))


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - start) * 1000


# --- records and relations (show, relation) -------------------------------------------------


def fetch_record(db: Database, class_name: str, oid: str) -> tuple[ClassDef, dict[str, Any]]:
    cls = db.schema.get(class_name)
    try:
        res = db.query(cls.name, {"idEqualTo": oid})
    except QueryTypeError as exc:  # an id that is not valid text: say which string it is
        # (the library names the operator this command wrote, which the user never typed)
        raise QueryTypeError(f"ID {oid!r}: {exc.message.removeprefix('idEqualTo: ')}", code=exc.code) from None
    if not res.records:
        raise DataError(f"no {cls.name} record with objectId '{oid}'", code=OBJECT_NOT_FOUND)
    return cls, res.records[0]


def relation_filter(cls: ClassDef, oid: str, key: str) -> dict[str, Any]:
    # Through the target class, not the edge table: an edge to a record that is gone is not counted.
    return {"relatedTo": {"id": oid, "key": key, "className": cls.name}}


def relation_counts(db: Database, cls: ClassDef, oid: str) -> dict[str, Count]:
    """How many records each Relation field of the record holds, or why a count cannot be read
    (the role may not read the edges' or the target's table, or one was dropped by hand), so
    that the record still shows."""
    return {f.name: readable_count(db, f.target, relation_filter(cls, oid, f.name))
            for f in cls.user_fields if f.type == "Relation" and f.target is not None}


def readable_count(db: Database, class_name: str, where: Any = None) -> Count:
    """How many records of the class match, or why a table the count needs cannot be read (a
    PostgreSQL GRANT the role lacks, a table dropped by hand)."""
    try:
        return db.query(class_name, where, limit=0, count=True).count or 0
    except Unreadable as exc:
        return exc


def relation_field(cls: ClassDef, key: str) -> Field:
    f = cls.field(key)
    if f.type != "Relation" or f.target is None:
        rels = [g.name for g in cls.user_fields if g.type == "Relation"]
        also = f" (its Relation fields: {', '.join(rels)})" if rels else f" ({cls.name} has no Relation fields)"
        raise QueryError(f"{cls.name}.{key} is {a_type(f.type)} field, not a Relation{also}")
    return f


def include_fields(cls: ClassDef, names: Sequence[str]) -> list[Field]:
    """The Pointer and Array fields ``--include`` names (comma lists and repeats allowed; ``*`` = all)."""
    try:
        wanted = field_keys(names) or []
    except ValueError as exc:
        raise QueryError(f"include: {exc}") from None
    pointers = [f for f in cls.user_fields if f.type in ("Pointer", "Array")]
    if "*" in wanted:
        return pointers
    out = []
    for name in dict.fromkeys(wanted):
        head, dot, rest = name.partition(".")
        if dot and head in cls.fields and cls.fields[head].type in ("Pointer", "Array"):
            # Not "has no field 'Owner.author'": the path is right, show draws one level only.
            pointed = f"that {cls.fields[head].target} record" if cls.fields[head].type == "Pointer" else "a record it points to"
            raise QueryError(f"cannot include {cls.name}.{name}: show embeds one level of Pointers: include "
                             f"{head}, then show {pointed} with {rest} included")  # fmt: skip
        f = cls.field(name)
        if f.type not in ("Pointer", "Array"):
            names_ = ", ".join(p.name for p in pointers) or "none"
            raise QueryError(f"cannot include {cls.name}.{name}: it is {a_type(f.type)}, not a Pointer or an Array "
                             f"(Pointer and Array fields: {names_})")
        out.append(f)
    return out


def fetch_includes(
    db: Database, cls: ClassDef, record: Mapping[str, Any], fields: Sequence[Field]
) -> dict[str, tuple[ClassDef, dict[str, Any] | None]]:
    """One level of pointed-to records; a pointer to a record that is gone maps to None."""
    out: dict[str, tuple[ClassDef, dict[str, Any] | None]] = {}
    for f in fields:
        oid = record.get(f.name)
        if f.type != "Pointer" or not isinstance(oid, str) or f.target is None:
            continue
        target = db.schema.get(f.target)
        res = db.query(target.name, {"idEqualTo": oid})
        out[f.name] = (target, res.records[0] if res.records else None)
    return out


def included_arrays(db: Database, cls: ClassDef, record: Mapping[str, Any], fields: Sequence[Field]) -> dict[str, Any]:
    """The Array fields of ``fields`` the record holds, each Pointer in them replaced by the
    record it points to (as ``db.query``'s include does), whose own Pointers read as Pointers."""
    names = [f.name for f in fields if f.type == "Array" and isinstance(record.get(f.name), list)]
    if not names:
        return {}
    res = db.query(cls.name, {"idEqualTo": record["objectId"]}, include=names, select=names)
    return {name: array_doc(db.schema, res.records[0][name]) for name in names if res.records and name in res.records[0]}


def show_record(
    db: Database, class_name: str, oid: str, include: Sequence[str], fmt: str, *, prefix: str,
    then: str = "", console: Any = None,
) -> None:
    cls, record = fetch_record(db, class_name, oid)
    counts = relation_counts(db, cls, record["objectId"])
    fields = include_fields(cls, include)
    included = fetch_includes(db, cls, record, fields)
    record = {**record, **included_arrays(db, cls, record, fields)}
    console = console or make_console()
    if fmt == "json":
        console.file.write(dumps(record_doc(cls, record, counts, included), indent=2) + "\n")
    else:
        embedded = [f.name for f in fields]
        console.print(record_view(cls, record, counts, included, prefix=prefix, then=then, embedded=embedded), crop=False)


def relation_records(
    db: Database, class_name: str, oid: str, key: str, **kw: Any
) -> tuple[ClassDef, str, Result, list[str]]:
    """The records in ``class_name``/``oid``'s Relation ``key``: target class, title, result and
    the fields the query names (for :func:`render.write_records`'s ``prefer``)."""
    cls, record = fetch_record(db, class_name, oid)
    f = relation_field(cls, key)
    target = db.schema.get(str(f.target))
    where = relation_filter(cls, record["objectId"], f.name)
    title = f"{cls.name} {record['objectId']} · {f.name} → {target.name}"
    result = run_query(db, target.name, where, **kw)
    return target, title, result, query_fields(db, target.name, where, sort=kw.get("sort"))


def class_counts(db: Database) -> dict[str, Count]:
    """Each class's number of records, or why its table cannot be read (a PostgreSQL GRANT the
    role lacks, a table dropped by hand), so that the classes it may read are still listed."""
    return {name: readable_count(db, name) for name in db.schema.classes}


# --- writing into a database ------------------------------------------------------------------


def is_url(db: object) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def write_into(target: Path | str, work: Callable[[Database], T], failed: str | None = None) -> tuple[Database, T]:
    """Open the database a command writes into (a DuckDB file, created if missing, or a
    PostgreSQL URL) and run ``work`` on it. If that fails, the database is closed and a file
    this command created is removed again (with its .wal): a failed load or import leaves
    nothing behind. Once it succeeds, closing the database is the caller's. ``failed`` starts
    the error of a server that cannot be reached (a load's "load failed, nothing was
    loaded"), as it starts the error of the server going away once connected."""
    url = is_url(target)
    made = not url and not Path(target).exists()
    db = None
    changes: int | None = None
    try:
        try:
            db = connect(str(target) if url else Path(target))
        except DataError as exc:
            if not url or failed is None:
                raise
            raise DataError(f"{failed}: {exc.message}", code=exc.code) from None
        made = made and not db.schema.classes
        changes = db.store.changes  # a load committed by the work counts one more
        return db, work(db)
    except BaseException as exc:
        # A press in the few statements between a load's commit and the work's handlers (as
        # db.load or the work returns) came here as a plain one: the file made, which held the
        # committed load, was removed. Committed, the data is kept, and said so. (A file's:
        # PostgreSQL's count also counts the schema changes other processes make.)
        committed = not url and db is not None and changes is not None and db.store.changes != changes
        if db is not None:
            db.close()
        # A file that appeared after the look above (two loads started together into a new
        # file) is another process's: the one it could not open (locked, or made but not yet
        # written, which reads as an empty file: a DataError either way), or found holding
        # classes. A file this command opened empty, or was making when stopped, is its own.
        if made and not committed and (db is not None or not isinstance(exc, DataError)):
            remove_database_file(Path(target))
        if committed and isinstance(exc, KeyboardInterrupt) and not isinstance(exc, LoadedThenInterrupted):
            raise LoadedThenInterrupted({}) from None
        raise


def remove_database_file(path: Path) -> None:
    """Remove a DuckDB file this command made (with its .wal), as if it had never been opened."""
    for leftover in (path, path.with_name(path.name + ".wal")):
        # A place where no file could be made (a read-only disk, a parent that is a file)
        # refuses the removal too: the error to see is the one being raised, if any.
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


def close_written(db: Database, target: Path | str) -> str | None:
    """Close a database a load or import has committed into. Closing computes the text-search
    words (no part of the load): a Ctrl-C or SIGTERM then keeps the records, and what is
    returned says so, for after the command's report."""
    try:
        db.close()
    except KeyboardInterrupt:
        db.close()
        return (
            "interrupted while computing the text-search words: the records are kept, and the "
            "words are computed on the next open for writing (the first text search or the close "
            f"of e.g. querylang repl --db {db_words(target)} < /dev/null)"
        )
    return None


def say_written(line: str, pressed: KeyboardInterrupt | None, notes: Sequence[str | None] = (), *,
                kept: KeyboardInterrupt) -> None:
    """The summary of a committed load or import (say_committed), then on stderr the press that
    came as it committed (LoadedThenInterrupted), if one did, and the notes given; after a
    press, the command ends as interrupted (exit 130). ``kept``: how a press while the summary
    itself prints is said (the load's or import's ...ThenInterrupted), after the summary as far
    as it got: left to the command's handler it was "interrupted" alone, read as a failed load,
    and run again the load met every objectId as a duplicate."""
    said = ([str(pressed)] if pressed is not None else []) + [note for note in notes if note]
    try:
        say_committed(line, "\n".join(said) or None)
    except KeyboardInterrupt:
        if pressed is None:  # one that came as it committed is said above, before the notes
            sys.stderr.write(f"{kept}\n")
        pressed = kept
    if pressed is not None:
        raise click.exceptions.Exit(EXIT_INTERRUPTED)


def db_words(db: Path | str) -> str:
    """``--db``'s value as a command to type repeats it, quoted for the shell: a file as
    given, a PostgreSQL URL as given but for its password, masked (the command then runs as
    printed once the password is put back, or at once with none; ``URL`` where it cannot be)."""
    return shlex.quote(command_url(db) if isinstance(db, str) and is_url(db) else shown(db))


def say_committed(line: str, then: str | None = None) -> None:
    """The summary of a committed load or import, on standard output, and ``then`` (a note
    about what closing left undone) on stderr. Refused by a full disk, the summary was the bare
    "cannot write the output", exit 2: read as a load that changed nothing, and run again, it
    met every objectId as a duplicate. The error says what is kept."""
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except OSError as exc:
        if exc.filename is not None or exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise
        # What is left in the buffer goes nowhere: Python's own flush at exit would fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        raise QueryError(f"{line} (committed, but standard output could not take this summary: "
                         f"{exc.strerror or exc})") from None
    finally:
        if then:
            sys.stderr.write(then + "\n")


def target_name(target: Path | str) -> str:
    """The database a command wrote into, for its report: a file as given; a PostgreSQL URL
    not repeated, since it may hold a password (errors name it masked, by the engine)."""
    return "the PostgreSQL database" if is_url(target) else shown(target)  # as typed: ~/x.duckdb


def not_an_export(given: str | Path, db: str = "FILE.duckdb") -> None:
    """Refuse, with the command that reads it, a folder to load that is a mongoexport or Parse
    Dashboard exports rather than an interchange directory (which has a schema.json): the load
    would only say that schema.json is missing. ``given``: the folder as typed, as the message
    names it; ``db`` is the --db to suggest."""
    path = Path(given)
    named = shown(given)  # as the load names the folder
    unreadable = unreadable_path(given)
    if unreadable is not None:  # else Python's OSError, here or from the command's next look at it
        raise unreadable
    from querylang.importers.dashboard import looks_like_rest_export

    # The Dashboard's Export schema writes schema.json too: an array of classes, beside the
    # class exports saved to the same folder (the load said it "must be an object").
    schema = path / "schema.json"
    if not path.is_dir() or (schema.exists() and not looks_like_rest_export(schema)):
        return

    files = [p for p in sorted(path.iterdir()) if p.suffix == ".json" and p.is_file()]
    if (path / "_SCHEMA.json").is_file():
        what, command = "a mongoexport of a Parse database (it has a _SCHEMA.json)", "mongo"
    elif any(p != schema for p in files) and all(looks_like_rest_export(p) for p in files):
        what, command = "Parse Dashboard exports (JSON arrays of records)", "dashboard"
    elif schema.exists() and files == [schema]:
        # import dashboard, which that message sent the user to, refuses a schema export alone.
        raise DataError(
            f"{named}: its schema.json is no interchange directory's ({{\"classes\": ...}}) but an array, as the "
            "Dashboard's Export schema writes it, and no class export is beside it: a schema export holds no "
            "records; export each class's rows as JSON (Export all rows) and import those files with: querylang "
            f"import dashboard FILE... --db {db}"
        )
    else:
        return
    needs = ("its schema.json is no interchange directory's ({\"classes\": ...}) but an array, as the Dashboard's "
             "Export schema writes it" if schema.exists() else "an interchange directory needs a schema.json")
    raise DataError(
        f"{named}: {needs}; this folder looks like {what}: "
        f"import it with: querylang import {command} {shlex.quote(named + str(given)[len(str(given).rstrip('/')):])} "
        f"--db {db}"  # as typed: '~/d/' (its '~' as well as its '/'), not '/home/me/d/'
    )


def operator_objects(where: Mapping[str, Any]) -> list[str]:
    """Notes for the keys of a Parse where (and of its $and, $or, $nor) whose condition is an
    object of operator names without their $ ({"tags": {"containedIn": [...]}}). On a field
    that takes any value (Array, Object, a dot path) Parse reads it as a value to equal and
    answers, as serve does, so the command that was answered says it (on other fields the
    query is refused saying so)."""
    notes = []
    for key, value in where.items():
        if key in ("$and", "$or", "$nor") and isinstance(value, list):
            notes += [note for part in value if isinstance(part, Mapping) for note in operator_objects(part)]
        elif isinstance(key, str) and not key.startswith("$") and (hint := operators_as_value(value)):
            notes.append(f"note: '{key}': {hint}")
    return notes


def per_class(counts: Mapping[str, int]) -> str:
    """Records per class, as a load or an import reports them."""
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "no records"


def read_document_with_progress(given: str, size: int, bar: Any) -> dict[str, Any]:
    """The interchange document, read in chunks so the bar moves; messages as data.read_document
    (the file named as ``given``, as typed: Path drops a leading './')."""
    path = Path(given)
    named = shown(given)  # '~/x.json' as typed, where the argument came expanded
    mb = size / 1e6
    task = bar.add_task(f"reading {path.name}", total=size or None, detail=f"0.0/{mb:.1f} MB")
    chunks = []
    done = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                chunks.append(chunk)
                done += len(chunk)
                bar.update(task, completed=done, detail=f"{done / 1e6:.1f}/{mb:.1f} MB")
        text = b"".join(chunks).decode("utf-8")
    except FileNotFoundError:
        raise DataError(f"no such data file: {named}") from None
    except UnicodeDecodeError:
        raise DataError(f"{named}: {not_utf8(path)}") from None
    except OSError as exc:
        raise cannot_read(named, exc) from None
    parsing = bar.add_task("parsing JSON", total=None, detail="")
    try:
        doc = jsontext.loads(text, named)
    except json.JSONDecodeError as exc:
        raise json_refused(named, exc, empty=JSON_DOCUMENT) from None
    bar.update(parsing, total=1, completed=1)
    if not isinstance(doc, dict):
        raise not_a_document(named, doc)
    return doc

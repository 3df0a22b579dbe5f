"""Writing an import as querylang's interchange format, on disk, then loading it in one go.

An importer hands over classes, then records and edges one at a time; they go straight to
files in the directory form of the interchange format (``schema.json``, ``<Class>.ndjson`` per
class, ``relations.ndjson``), so an import holds no more than one page of its source in memory.
Nothing touches the database until :meth:`Staging.load`, which calls ``Database.load`` once:
all or nothing, as every load is.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

from ..errors import DataError, LoadedThenInterrupted, SchemaError
from ..interchange.given_paths import typed_sources
from ..model.jsvalues import described
from ..model.schema import check_case, check_name
from ..model.values import any_nested, encodes_utf8


class Destination(Protocol):
    """Where an import goes: a :class:`querylang.Database`, of which it needs ``load`` (named
    here, not imported: the Database's import methods call the importers)."""

    @property
    def schema(self) -> Any: ...  # its classes: a class it holds is not made again

    def load(self, source: Path, *, on_commit: Callable[[dict[str, int]], None] | None = None) -> dict[str, int]: ...


@dataclass
class ImportReport:
    """What an import did: records per class (as ``load`` returns them), edges, and notes for
    the user (fields left out, an export without edges, keys skipped)."""

    counts: dict[str, int] = field(default_factory=dict)
    edges: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


class ImportedThenInterrupted(LoadedThenInterrupted):
    """Ctrl-C (or SIGTERM) that came as an import's load committed: the import is saved, and
    ``report`` says what it holds (its edges and notes too, which the load's counts lack)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(report.counts)
        self.args = ("interrupted after the import was committed: its records are kept",)
        self.report = report

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (self.report,)  # by default rebuilt from its message: an AttributeError


_COUNTED = re.compile(r"^record #\d+: ")

# Lists that hear of the imports committed in this context, each import's report added to every
# one as its load commits (Ctrl-C held off): a press as the importer returns, after its `with
# Staging()` block (its folder names' reset, a Parse Server client closed), is no press in the
# block, and read as a failed import the command line removed a database file it had made, the
# import in it.
_COMMITTED: ContextVar[tuple[list[ImportReport], ...]] = ContextVar("querylang_imports_committed", default=())


def imports_committed() -> list[ImportReport]:
    """A list to which each import run from here on in this context adds its report as it
    commits, in place of an earlier call's. Never unset (a reset is one more place for a press):
    for a caller that ends with its import (the command line), which a press reaches after the
    importer's own handler (kept_when_pressed) has ended."""
    reports: list[ImportReport] = []
    _COMMITTED.set((reports,))  # not added to: the commands a process runs (tests) heard of every import
    return reports


def kept_when_pressed(run: Callable[[], ImportReport]) -> ImportReport:
    """``run()``, an import: a Ctrl-C (or SIGTERM) after its load committed, until it returns, is
    raised as ImportedThenInterrupted, as one in its ``with Staging()`` block is."""
    reports: list[ImportReport] = []
    token = _COMMITTED.set((*_COMMITTED.get(), reports))
    try:
        return run()
    except KeyboardInterrupt as exc:
        if reports and not isinstance(exc, ImportedThenInterrupted):
            raise ImportedThenInterrupted(reports[0]) from exc
        raise
    finally:
        _COMMITTED.reset(token)


class Undated:
    """Records of one file that lack a creation or update date. The load fills a missing one in
    (from the other date, or the time of the import); an export that lacked it is said so,
    not dated silently."""

    def __init__(self, keys: str) -> None:
        self.keys = keys  # how the file names the dates
        self.count = 0
        self.first: str | None = None

    def check(self, record: Mapping[str, Any], where: str) -> None:
        if record.get("createdAt") is None or record.get("updatedAt") is None:
            self.count += 1
            self.first = self.first or where

    def note(self, file: str, notes: list[str]) -> None:
        if self.count:
            notes.append(f"{file}: {self.count} record(s) without {self.keys} (the first: {self.first}): a missing "
                         "date is the record's other date, or the time of the import")


def a_path(raw: object) -> Path:
    """``raw`` as a Path; anything else is refused by name (Path(5) raised a bare TypeError)."""
    if not isinstance(raw, str | os.PathLike):
        raise DataError(f"a path (str or pathlib.Path) is needed, not {described(raw, 60)}")
    if raw == "":  # Path("") is the current folder, whose files were imported
        raise DataError("a path (str or pathlib.Path) is needed, not an empty one")
    return Path(raw)


def named_as_typed(sources: Iterable[object], run: Callable[[], ImportReport]) -> ImportReport:
    """``run()``, its readers naming the paths of ``sources`` as the user typed them
    (``./dump/Post.json``, where Python's Path writes ``dump/Post.json``): see given_paths.shown."""
    with typed_sources(sources):
        return run()


def _dump(value: Any) -> str:
    # allow_nan=False: the load reads these files as strict JSON, and would report a NaN
    # against a line of a staging file the user never saw (Staging.record names the record).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# 309 digits in a row: an integer that long may be beyond a double (1.8e308), which the load's
# JSON reader turns into infinity and refuses naming the staging file; a cheap test of the
# written line before walking the record (a long digit run inside a string is only a false alarm).
_LONG_DIGITS = re.compile(r"\d{309}")


def _infinite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            float(value)
        except OverflowError:
            return True
    return False


def _not_finite(value: Any) -> bool:
    """Whether a number in the value, at any depth, is beyond a double (or not finite)."""
    return any_nested(value, _infinite)


# Text JSON's \ud800 escapes can spell, which no UTF-8 file can hold: writing it to a staging
# file raised UnicodeEncodeError, no DataError (the command line blamed its standard output).
_SURROGATE = "text holds a lone surrogate (not valid Unicode)"


# The bytes of staged edge lines whose set is held at once, counting the edges stored.
_EDGES_AT_ONCE = 64 * 2**20

# A class named "relations" (a name Parse allows) has no records file in the directory form:
# its name would be relations.ndjson, the edges' file. Its records are staged beside the
# directory, and such an import is loaded as one document (write_single_file) instead.
EDGES_CLASS = "relations"


def staged_name(class_name: str) -> str:
    """The name of the staged file of a class's records (no class name holds a '-')."""
    return "relations-class.ndjson" if class_name == EDGES_CLASS else f"{class_name}.ndjson"


PREFIX = "querylang-import-"
OWNER = "owner.lock"  # locked by the import while it runs: the kernel lets go when it dies


def _owned(root: Path) -> int:
    """Lock ``root``'s owner file for this process; returns the descriptor to keep open. Made
    under another name and renamed once locked: an owner file is never seen unlocked while its
    import runs."""
    fd = os.open(root / (OWNER + ".new"), os.O_WRONLY | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.replace(root / (OWNER + ".new"), root / OWNER)
    return fd


def remove_abandoned(tmp: Path) -> None:
    """Remove the staging folders of imports that were killed (SIGKILL, a power cut): an
    import's folder is removed when it ends, but no code runs when a process is killed, and a
    large import leaves gigabytes. A folder whose owner file no process holds is abandoned;
    one without an owner file (made before owner files, or being made now) is left alone."""
    for root in tmp.glob(PREFIX + "*"):
        with contextlib.suppress(OSError):
            if root.stat().st_uid != os.getuid():
                continue
            fd = os.open(root / OWNER, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError: its import runs
                shutil.rmtree(root, ignore_errors=True)
            finally:
                os.close(fd)


class Staging:
    """A temporary directory in the interchange directory form, removed on exit.

    Once :meth:`load` committed, a Ctrl-C (or SIGTERM) until the ``with`` block has ended,
    its cleanup included, is raised as :class:`ImportedThenInterrupted`: the import is kept."""

    def __init__(self) -> None:
        remove_abandoned(Path(tempfile.gettempdir()))
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX))
        self._owner = _owned(self.root)
        self.dir = self.root / "interchange"
        self.dir.mkdir()
        self.classes: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.edges = 0
        self.empty_notes: dict[str, str] = {}  # class defined empty → the note saying so
        self._files: dict[str, IO[str]] = {}
        self._relations: IO[str] | None = None
        # Beside each staged file (by its name), the place in the user's input each of its
        # lines came from, a line each: the load's error about a staged record names that.
        self._places: dict[str, IO[str]] = {}
        self._made: set[str] = set()  # the staged files that have places
        # Where a class, and a field's type, came from in the user's input: a clash with the
        # database's schema (the load's, Post.title Number there, String here) names it.
        self._defined_at: dict[str, str] = {}
        self._field_at: dict[tuple[str, str], str] = {}
        # An importer's finer place for a load's error, from the place a record came from.
        self.narrow: Callable[[str, DataError], str] | None = None
        # The report of the import once its load committed (then a press says it was kept).
        self.committed: ImportReport | None = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        try:
            try:
                if et is None:
                    self.close()
                else:  # closing fails as the write did (a full disk): the error to see is that one
                    with contextlib.suppress(DataError):
                        self.close()
            finally:
                try:
                    shutil.rmtree(self.root, ignore_errors=True)
                finally:
                    # Also after a press that stopped the removal: the folder left then has an
                    # owner file no process holds, which the next import removes.
                    os.close(self._owner)
        except KeyboardInterrupt as exc:
            if self.committed is None or isinstance(exc, ImportedThenInterrupted):
                raise
            ev = exc  # pressed in the cleanup itself: said as one in the block is, below
        # A press in the block or its cleanup once the import committed: said as the import kept,
        # not as one that failed (the command line removed the database file it had made).
        if self.committed is not None and isinstance(ev, KeyboardInterrupt) and not isinstance(ev, ImportedThenInterrupted):
            raise ImportedThenInterrupted(self.committed) from ev

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A staging file that cannot be written (a full disk) is named, with what to do."""
        try:
            yield
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def _cannot_write(self, exc: OSError) -> DataError:
        return DataError(
            f"cannot write the import's staging folder {self.root}: {exc.strerror or exc} "
            "(TMPDIR names a folder with more room)"
        )

    def close(self) -> None:
        files = [*self._files.values(), *([self._relations] if self._relations is not None else []), *self._places.values()]
        self._files.clear()
        self._relations = None
        self._places.clear()
        with self._writing():
            try:
                for fh in files:
                    fh.close()
            finally:
                for fh in files:  # every one closed, also after one failed
                    with contextlib.suppress(OSError):
                        fh.close()

    def define(self, name: str, fields: Mapping[str, Any], where: str | None = None,
               field_at: Mapping[str, str] | None = None) -> None:
        """A class and its interchange fields (a class defined twice merges its fields), from
        ``where`` in the user's input (a file); ``field_at``: the place that showed a field's type
        (a record), where that is more than the file."""
        # Checked before anything is written: a class's records go to a file named for it, and
        # a name from a server or an export that is no class name ('../x', '/x') would put
        # that file outside this directory (the load refuses the name, but only afterwards).
        try:
            check_name("class", name)
            # Parse keeps Post and post apart, querylang does not: the load refused the pair
            # naming no file; here the importer names the one that gave the second.
            check_case("class", [*self.classes, name])
        except SchemaError as exc:
            raise DataError(exc.message) from None
        self.classes.setdefault(name, {"fields": {}})["fields"].update(fields)
        if where is not None:
            self._defined_at.setdefault(name, where)
            for key in fields:
                self._field_at.setdefault((name, key), (field_at or {}).get(key, where))

    def define_empty(self, name: str, note: str) -> None:
        """A class defined, without fields, only so that pointers to it stay valid; ``note``
        tells the user so, unless the database already holds the class (then nothing is made)."""
        self.define(name, {})
        self.empty_notes[name] = note

    def _place(self, staged: str, before: int, where: str | None) -> None:
        """Note that line ``before`` (from 0) of the staged file came from ``where``."""
        fh = self._places.get(staged)
        if fh is None:
            made = staged in self._made  # a class's file opened again after done_with
            if where is None and not made:
                return  # an import of no files (a server): its errors name no place
            # A file name that is not UTF-8 reaches here as lone surrogates: written escaped.
            fh = self._places[staged] = (self.root / f"{staged}.places").open("a", encoding="utf-8",
                                                                              errors="backslashreplace")
            self._made.add(staged)
            fh.write("" if made else "\n" * before)
        fh.write(" ".join((where or "").splitlines()) + "\n")

    def source_of(self, exc: DataError) -> str | None:
        """Where the staged record or edge (or class and field) a load's error is about came
        from, if known."""
        if exc.in_classes and exc.class_name is not None:
            where = self._field_at.get((exc.class_name, exc.field)) if exc.field is not None else None
            return where or self._defined_at.get(exc.class_name)
        if exc.edge_index is not None:
            staged, at = "relations.ndjson", exc.edge_index
        elif exc.record_index is not None and exc.class_name is not None:
            staged, at = staged_name(exc.class_name), exc.record_index
        else:
            return None
        with contextlib.suppress(OSError), (self.root / f"{staged}.places").open(encoding="utf-8") as fh:
            return next((line.rstrip("\n") or None for i, line in enumerate(fh) if i == at), None)
        return None

    def record(self, class_name: str, record: Mapping[str, Any], where: str | None = None) -> None:
        """A record of the class, from ``where`` in the user's input (a file and line)."""
        fh = self._files.get(class_name)
        if fh is None:
            if class_name not in self.classes:
                raise DataError("records for a class without a definition", class_name=class_name)
            folder = self.root if class_name == EDGES_CLASS else self.dir
            fh = self._files[class_name] = (folder / staged_name(class_name)).open("a", encoding="utf-8")
        why = "a Number must be within a double's range (±1.8e308)"
        try:
            line = _dump(record)
            if _LONG_DIGITS.search(line) and _not_finite(record):
                raise ValueError(why)
        except ValueError as exc:
            field = next((str(k) for k, v in record.items() if _not_finite(v)), None)
            oid = record.get("objectId")
            raise DataError(
                why if str(exc) == why else "a Number must be finite (no NaN or Infinity)",
                class_name=class_name, object_id=oid if isinstance(oid, str) else None, field=field,
            ) from None
        try:  # per record: a try, not a context manager (_writing), on this path
            fh.write(line + "\n")
            self._place(staged_name(class_name), self.counts.get(class_name, 0), where)
        except UnicodeEncodeError:
            oid = record.get("objectId")
            field = next((str(k) for k, v in record.items() if not encodes_utf8(k) or not encodes_utf8(_dump(v))), None)
            raise DataError(_SURROGATE, class_name=class_name, object_id=oid if isinstance(oid, str) else None,
                            field=field) from None
        except OSError as exc:
            raise self._cannot_write(exc) from None
        self.counts[class_name] = self.counts.get(class_name, 0) + 1

    def flush(self) -> None:
        """Hand what was written to the OS (after each page: what a page leaves behind is on disk)."""
        with self._writing():
            for fh in self._files.values():
                fh.flush()
            if self._relations is not None:
                self._relations.flush()

    def done_with(self, class_name: str) -> None:
        """The class's records are all written: close its file (one open file at a time)."""
        fh = self._files.pop(class_name, None)
        places = self._places.pop(staged_name(class_name), None)
        with self._writing():
            for f in (fh, places):
                if f is not None:
                    f.close()

    def relation(self, edge: Mapping[str, str], where: str | None = None) -> None:
        try:  # per edge, as record
            if self._relations is None:
                self._relations = (self.dir / "relations.ndjson").open("a", encoding="utf-8")
            self._relations.write(_dump(edge) + "\n")
            self._place("relations.ndjson", self.edges, where)
        except UnicodeEncodeError:
            raise DataError(f"{where}: an id {_SURROGATE}" if where else f"an id {_SURROGATE}") from None
        except OSError as exc:
            raise self._cannot_write(exc) from None
        self.edges += 1

    def finish(self) -> Path:
        """Close the files and write ``schema.json``; the directory is complete."""
        self.close()
        with self._writing():
            (self.dir / "schema.json").write_text(_dump({"classes": self.classes}) + "\n", encoding="utf-8")
        return self.dir

    def load(self, db: Destination, report: ImportReport) -> ImportReport:
        held = db.schema.classes
        report.notes += [note for name, note in self.empty_notes.items() if name not in held]
        pressed = False  # as the load committed: the import is kept, then the press raised

        def kept(counts: dict[str, int]) -> None:
            # Called by the load as it commits, Ctrl-C held off: a press from here on is said by
            # __exit__ as the import kept, with the edges as staged until they are counted (a
            # large import's count reads its edges whole). Marked once the load returned, the
            # few statements between read a press as a failed import.
            report.counts, report.edges, self.committed = counts, self.edges, report
            for heard in _COMMITTED.get():
                heard.append(report)

        try:
            if EDGES_CLASS in self.classes:
                single = self.root / "document.json"
                write_single_file(self.finish(), single, {EDGES_CLASS: self.root / staged_name(EDGES_CLASS)})
                report.counts = db.load(single, on_commit=kept)
            else:
                load_directory(db, self.finish(), report, kept)
        except LoadedThenInterrupted as exc:
            report.counts, pressed = exc.counts, True
        except DataError as exc:
            reason = import_reason(exc.reason)
            # The load names a line of a staged file, which the user never saw: the record is
            # named by the place it came from (or by none, coming from a server).
            if exc.record_index is None and exc.edge_index is None and not exc.in_classes:
                if reason == exc.reason:
                    raise
                raise exc.placed(None, reason) from exc
            where = self.source_of(exc)
            if where is not None:
                # The load counts the staged records from 0 ("record #1: objectId ..."): beside
                # the user's file and record or line, which name that record, it named it twice.
                reason = _COUNTED.sub("", reason)
                if self.narrow is not None:
                    where = self.narrow(where, exc)
            raise exc.placed(where, reason) from exc
        # The load stores an edge staged twice once (a Relation is a set): the summary said
        # "7 relation edges" of 6 stored, for a mongoexport join file holding a row twice.
        try:
            report.edges = self.edges and self._distinct_edges()
        except DataError as exc:
            # The count's part files could not be written (a full disk, too many open files):
            # said as a failed import, the command line removed the file it had made with the
            # import in it, and a user who ran it again met every objectId as a duplicate.
            report.notes.append(f"the relation edges are counted as staged (one given twice counts twice), as "
                                f"counting them failed: {exc.message}")
        if pressed:
            raise ImportedThenInterrupted(report)
        return report

    def _distinct_edges(self) -> int:
        """How many different edges relations.ndjson holds (one edge is one line: each is
        written by _dump from the same keys), counted in memory bounded by _EDGES_AT_ONCE
        bytes of lines: larger files are first spread over part files by each line's hash,
        so that equal lines share a part, and each part's lines are counted as a set."""
        path = self.dir / "relations.ndjson"
        with self._writing():
            parts = min(256, path.stat().st_size // _EDGES_AT_ONCE + 1)
            if parts == 1:
                with path.open("rb") as fh:
                    return len(set(fh))
            spread = self.root / "edge-parts"
            spread.mkdir()
            outs = [(spread / str(i)).open("wb") for i in range(parts)]
            try:
                with path.open("rb") as fh:
                    for line in fh:
                        outs[hash(line) % parts].write(line)
            finally:
                for out in outs:
                    out.close()
            total = 0
            for i in range(parts):
                with (spread / str(i)).open("rb") as fh:
                    total += len(set(fh))
            shutil.rmtree(spread, ignore_errors=True)
            return total


# How a failed import says that it changed nothing (command.py: a server it cannot reach), and
# how a failed load says it (the engines), which an import's one load says as the import's.
IMPORT_FAILED = "import failed, nothing was imported"
_LOAD_FAILED = "load failed, nothing was loaded"
_NOTHING_LOADED = ": nothing was loaded"  # the database is read-only, or closed


def import_reason(reason: str) -> str:
    """A load's failure (``reason``) in an import's words."""
    if reason.startswith(_LOAD_FAILED):
        return IMPORT_FAILED + reason.removeprefix(_LOAD_FAILED)
    if reason.endswith(_NOTHING_LOADED):
        return reason.removesuffix(_NOTHING_LOADED) + ": nothing was imported"
    return reason


def load_directory(db: Destination, directory: Path, report: ImportReport,
                   on_commit: Callable[[dict[str, int]], None] | None = None) -> None:
    """Load an interchange directory into ``db``, all or nothing; ``on_commit``: as db.load's.

    A ``Database.load`` that reads the directory form gets the directory, and the import's
    memory stays bounded through the load too. One that reads single files only (it fails
    opening the directory) gets the same document as one file, written next to the directory.
    """
    try:
        report.counts = db.load(directory, on_commit=on_commit)
        return
    except DataError as exc:
        if not isinstance(exc.__context__, IsADirectoryError):
            raise
    single = directory.parent / "document.json"
    write_single_file(directory, single)
    report.counts = db.load(single, on_commit=on_commit)


def write_single_file(directory: Path, out: Path, elsewhere: Mapping[str, Path] | None = None) -> None:
    """The single-file interchange document of a directory, written line by line; ``elsewhere``:
    the records files of classes that are not in the directory (Staging's EDGES_CLASS)."""
    schema = json.loads((directory / "schema.json").read_text(encoding="utf-8"))
    with out.open("w", encoding="utf-8") as fh:
        fh.write('{"classes":' + _dump(schema.get("classes", {})) + ',"records":{')
        first_class = True
        for name in schema.get("classes", {}):
            path = (elsewhere or {}).get(name) or directory / f"{name}.ndjson"
            if not path.exists():
                continue
            fh.write(("" if first_class else ",") + _dump(name) + ":[")
            first_class = False
            _copy_lines(path, fh)
            fh.write("]")
        fh.write('},"relations":[')
        rel = directory / "relations.ndjson"
        if rel.exists():
            _copy_lines(rel, fh)
        fh.write("]}\n")


def _copy_lines(path: Path, fh: IO[str]) -> None:
    with path.open(encoding="utf-8") as src:
        first = True
        for line in src:
            line = line.rstrip("\n")
            if line:
                fh.write(("" if first else ",") + line)
                first = False

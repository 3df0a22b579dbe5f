"""Which paths are DuckDB databases: a file is opened only if it is one, and created only where
the user clearly asked for a database file; and opening one, with DuckDB's refusals made plain."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import duckdb

from querylang.engines.duckdb import forked
from querylang.errors import DUCKDB_MAGIC, INTERNAL_SERVER_ERROR, DatabaseInUse, DataError
from querylang.interchange.given_paths import shown
from querylang.model.values import encodes_utf8

DATABASE_SUFFIXES = (".duckdb", ".db", ".ddb")


def check_database_path(path: str, *, read_only: bool) -> None:
    """Refuse what is not a DuckDB database: an existing file of another kind, a missing file
    opened read-only, or a new file whose name does not say it is a database."""
    if path.startswith(":memory:"):
        return
    # As typed: --db=~/x.duckdb reaches here expanded, and was named '/home/me/x.duckdb'.
    named = shown(path)
    if not encodes_utf8(path):
        # A byte of another encoding in a file name comes as a lone surrogate, which DuckDB's
        # open fails on with "std::bad_cast": an internal error, of a name the user chose.
        raise DataError(f"cannot open database {named}: its name is not UTF-8 text, and DuckDB opens only "
                        "files named so: rename it (or its folder)")
    file = Path(path)
    if file.is_dir():
        raise DataError(f"{named} is a folder, not a database file")
    if file.exists():
        try:
            with file.open("rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise DataError(f"cannot open database {named}: {exc}") from None
        if head[8:12] == DUCKDB_MAGIC:
            return
        if not head:
            if file.suffix.lower() not in DATABASE_SUFFIXES:  # no database is made under its name
                raise DataError(f"{named} is an empty file, not a DuckDB database")
            raise DataError(
                f"{named} is an empty file, not a DuckDB database (one whose making was cut short, "
                "e.g. by a full disk, is left empty): remove it, and a new database is made there"
            )
        kind = {".json": "a JSON file", ".csv": "a CSV file"}.get(file.suffix.lower(), "some other file")
        hint = " (to load it: querylang load FILE --db NEW.duckdb, or db.load(path))" if kind == "a JSON file" else ""
        raise DataError(f"{named} is not a DuckDB database: it looks like {kind}{hint}")
    if read_only:
        raise DataError(f"no such database file: {named}")
    if not file.expanduser().parent.is_dir():  # DuckDB's "IO Error: Cannot open file ...: No such file or directory"
        raise DataError(f"cannot open database {named}: there is no folder {os.path.dirname(named) or '.'} to make it in")
    if file.suffix.lower() not in DATABASE_SUFFIXES:
        raise DataError(
            f"no database at {named}: a new database file is made only for a name ending in "
            f"{', '.join(DATABASE_SUFFIXES)}"
        )


# A file cut short (a copy or download interrupted, a full disk) or overwritten in part: the
# input's fault, not querylang's or DuckDB's, so a user error (exit 2) rather than a fault.
DAMAGED = "the file is damaged (cut short or partly overwritten): use a whole copy of it, or load the data again"
# DuckDB names the file it could not read whole: the database's, or another (a data file a
# load reads), which says nothing of the database.
_SHORT_READ = re.compile(r'Could not read enough bytes from file "([^"]*)"')


def damaged(exc: duckdb.Error, path: str) -> bool:
    """Is DuckDB's refusal about the bytes of the database file ``path``?"""
    said = str(exc)
    if "Corrupt database file" in said:
        return True
    short = _SHORT_READ.search(said)
    if short is None:
        return False
    with contextlib.suppress(OSError):
        return os.path.samefile(short.group(1), os.path.expanduser(path))
    return False


# DuckDB names a file it could not read, lock or open by its full path.
_FILE_SAID = re.compile(r'\bfile "([^"]*)"')


def duckdb_said(exc: duckdb.Error | str, path: str) -> str:
    """DuckDB's text with the database file ``path`` in it named as querylang names it, as
    typed: --db=~/x.duckdb was '~/x.duckdb' in querylang's words and '/home/me/x.duckdb' in
    DuckDB's quoted after them. Another file DuckDB names is left as it said it."""
    def named(found: re.Match[str]) -> str:
        with contextlib.suppress(OSError, ValueError):
            if os.path.samefile(found.group(1), os.path.expanduser(path)):
                return f'file "{shown(path)}"'
        return found.group(0)

    return _FILE_SAID.sub(named, str(exc))


def damaged_error(exc: duckdb.Error, path: str) -> DataError:
    """The error for a database file found damaged, when it is opened or as a query reads it
    (a block only a query reads was "the database rejected the query", an internal error). A
    server's client is not at fault: it answers Parse's internal error."""
    return DataError(f"cannot read the database {shown(path)}: {DAMAGED} ({duckdb_said(exc, path)})",
                     code=INTERNAL_SERVER_ERROR)


def connect_file(path: str, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """DuckDB's connection to a checked path (check_database_path). A file another process
    has open is a :class:`DatabaseInUse`; any other refusal a DataError naming the file."""
    check_database_path(path, read_only=read_only)
    named = shown(path)
    new = not path.startswith(":memory:") and not Path(path).exists()
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.Error as exc:
        if "Could not set lock" in str(exc):
            # DuckDB's own advice when the holder only reads ("… by using the -readonly
            # parameter in the CLI") is about DuckDB's shell, a flag querylang has not.
            said = re.sub(r"\s*However, you would be able to open this database in read-only mode.*?\bCLI\.", "",
                          duckdb_said(exc, path))
            raise DatabaseInUse(
                f"cannot open database {named}: another process has it open, and DuckDB "
                f"lets one process at a time open a file that is written ({said})"
            ) from None
        if "different configuration" in str(exc):  # querylang's connects differ in read_only alone
            how, held = ("read-only", "for writing") if read_only else ("for writing", "read-only")
            raise DataError(
                f"cannot open database {named} {how}: this process has it open {held} (another "
                f"querylang.connect of it), and DuckDB opens a file one way at a time in a process: "
                f"open it {held} here too, or close the other first ({exc})"
            ) from None
        if new:  # a full disk leaves the file DuckDB began empty, refused by every later open
            with contextlib.suppress(OSError):
                if Path(path).stat().st_size == 0:
                    Path(path).unlink()
        if damaged(exc, path):
            raise damaged_error(exc, path) from None
        # One line: DuckDB's later paragraphs (a storage version's advice and web page) are
        # about its own shell and releases.
        said = " ".join(duckdb_said(exc, path).split("\n\n")[0].split())
        if "storage version" in said:  # a file of another DuckDB: said with the one querylang runs on
            said += f" (querylang runs on DuckDB {duckdb.__version__})"
        raise DataError(f"cannot open database {named}: {said}") from None
    # A table DuckDB does not find is looked for among the Python variables of the code that
    # runs the statement (its replacement scans): a class whose table was dropped by hand, named
    # as one of them ("sql", "cur", "T"), was said to be that variable ('Python Object "sql" of
    # type "str" ... not suitable for replacement scans'), not a missing table. querylang gives
    # DuckDB its Python data by name only (register), so the scans are off for the database.
    con.execute("SET GLOBAL python_enable_replacements = false")
    # DuckDB draws a progress bar of its own on the process's stdout for any statement that
    # runs longer than two seconds: it landed in the output of `querylang load DIR --db F
    # --no-progress > log` and of a slow query written as CSV. querylang reports progress itself.
    con.execute("SET enable_progress_bar = false")
    forked.opened(con)
    return con

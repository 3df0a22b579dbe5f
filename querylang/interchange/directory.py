"""The interchange format as a directory, read a part at a time (README, "Interchange format").

    data/
      schema.json         the document without its records: {"classes": {"Post": {"fields": {...}}}}
      Post.ndjson         one record per line, as in the document's "records" lists
      Comment.ndjson
      relations.ndjson    one edge per line, as in the document's "relations" list (optional)

Every ``<Class>.ndjson`` must name a class of ``schema.json``; a class without a file has no
records. Blank lines are skipped. The DuckDB engine lets DuckDB's NDJSON reader read the
files, with querylang's checks in SQL (engines/duckdb/ndjson.py); the records SQL does not
vouch for and files DuckDB would split into lines differently go through the parts read
here, PART records at a time; records for classes DuckDB already holds are read whole, as one
document (to_document). The PostgreSQL engine reads every directory a part at a time too
(engines/postgres/directory_load.py). Either way everything is published together at the end,
and a bad record anywhere (the last line of the last file too) loads nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from querylang.errors import (
    BOM,
    EMPTY_JSON,
    DataError,
    cannot_read,
    has_bom,
    json_refused,
    not_utf8,
)
from querylang.interchange.given_paths import shown
from querylang.interchange.json_places import at_line, value_line

SCHEMA_FILE = "schema.json"
RELATIONS_FILE = "relations.ndjson"
OTHER_EXTENSIONS = (".json", ".jsonl", ".NDJSON")  # a file written so is named, not skipped
PART = 250_000  # records (or edges) read, checked and written at a time


def is_directory(source: object) -> bool:
    # "" is no path: Path("") is the current folder.
    return isinstance(source, str | Path) and source != "" and Path(source).is_dir()


def read_classes(path: Path) -> Mapping[str, Any]:
    """The classes of ``schema.json`` (its one key, ``classes``, as in the document)."""
    file = path / SCHEMA_FILE
    at = shown(file)
    try:
        data = file.read_bytes()
        schema = orjson.loads(data)
    except FileNotFoundError:
        raise DataError(f"{shown(path)}: an interchange directory needs a {SCHEMA_FILE} (the classes and their fields)") from None
    except orjson.JSONDecodeError as exc:
        if has_bom(data):
            raise DataError(f"{at}: {BOM}") from None
        if not data.strip():
            raise DataError(f"{at}: {EMPTY_JSON}") from None
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:  # orjson says "surrogates not allowed", at line 1 column 1
            raise DataError(f"{at}: {not_utf8(file)}") from None
        raise json_refused(at, exc) from None
    except OSError as exc:
        raise cannot_read(at, exc) from None
    if not isinstance(schema, Mapping) or set(schema) - {"classes"}:
        raise DataError(f'{at}: must be an object with one key, "classes" (class name -> {{"fields": {{...}}}})')
    classes = schema.get("classes", {})
    if not isinstance(classes, Mapping):
        raise DataError(f'{at}: "classes" must be an object: class name -> {{"fields": {{...}}}}')
    return classes


def class_files(path: Path, classes: Mapping[str, Any]) -> list[tuple[str, Path]]:
    """The record files, in the order of ``schema.json``; a file for no class, or records or
    edges under another extension, is an error."""
    files = {p.stem: p for p in path.glob("*.ndjson") if p.name != RELATIONS_FILE}
    unknown = sorted(set(files) - set(classes))
    if unknown:
        raise DataError(f"{shown(files[unknown[0]])}: holds records of a class {SCHEMA_FILE} does not define")
    # A class named "relations" would have its records in the edges' file, read as edges.
    if "relations" in classes and (path / RELATIONS_FILE).is_file():
        raise DataError(
            f"{shown(path)}: {SCHEMA_FILE} defines a class named 'relations', whose records file would be "
            f"{RELATIONS_FILE}, the file of the edges: load such a class from a document instead"
        )
    # A class's records, or the edges, under another extension would be skipped without a word.
    if not (path / RELATIONS_FILE).is_file():
        for other in (f"relations{ext}" for ext in OTHER_EXTENSIONS):
            if (path / other).is_file():
                raise DataError(f"{shown(path / other)}: the edges go in {RELATIONS_FILE} (one JSON edge a line)")
    for name in classes:
        if name not in files:
            for other in (f"{name}{ext}" for ext in OTHER_EXTENSIONS):
                if (path / other).is_file():
                    raise DataError(f"{shown(path / other)}: a class's records go in {name}.ndjson (one JSON record a line)")
    return [(name, files[name]) for name in classes if name in files]


def not_json(line: bytes, exc: orjson.JSONDecodeError) -> str:
    """Why a line is no JSON: orjson calls bytes that are not UTF-8 "surrogates not allowed",
    which sends a user with a Latin-1 file looking for escapes."""
    if has_bom(line):
        return BOM
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not UTF-8 text (byte 0x{line[bad.start]:02x} at byte {bad.start + 1} of the line)"
    # The line is named by the caller: orjson's own "line 1 column 27 (char 26)" would name a
    # second line, of the one line it was given.
    if exc.lineno > 1 or exc.pos >= len(text.rstrip("\r\n")):  # past the line's last character
        return f"not valid JSON at the end of the line: {exc.msg}"
    return f"not valid JSON at column {exc.colno}: {exc.msg}"


def read_parts(file: Path, size: int | None = None) -> Iterator[tuple[int, list[Any]]]:
    """(position of the first, values) for each part of ``size`` (PART) lines of an NDJSON file."""
    size = size or PART
    part: list[Any] = []
    start = 0
    try:
        with file.open("rb") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    part.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise DataError(f"{shown(file)}, line {lineno}: {not_json(line, exc)}") from None
                if len(part) == size:
                    yield start, part
                    start += size
                    part = []
    except OSError as exc:
        raise cannot_read(shown(file), exc) from None
    if part or not start:
        yield start, part


def record_lines(file: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of each record (or edge) of an NDJSON file, as read_parts counts them."""
    with file.open("rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                yield lineno, line


def placed(path: Path, exc: DataError) -> DataError:
    """``exc``, of a load of the directory ``path``, naming the file and line of the record or
    edge it is about: a document's position ("relations[6]", a record's index) is no place
    in a directory of files."""
    if exc.edge_index is not None:
        file, at = path / RELATIONS_FILE, exc.edge_index
    elif exc.record_index is not None and exc.class_name is not None:
        file, at = path / f"{exc.class_name}.ndjson", exc.record_index
    else:
        return _in_schema_file(path / SCHEMA_FILE, exc) if exc.in_classes else exc
    try:
        line = next((n for i, (n, _) in enumerate(record_lines(file)) if i == at), None)
    except OSError:
        return exc
    return exc if line is None else at_line(exc, f"{shown(file)}, line {line}")


def _in_schema_file(file: Path, exc: DataError) -> DataError:
    """``exc``, about the directory's classes, naming schema.json by the path given (its name
    alone left the user to guess which folder's it was, as its JSON errors did not) and the
    line of the class or field, as a JSON file's classes are named."""
    try:
        line = value_line(file.read_text(encoding="utf-8"), exc.doc_keys or ["classes"])
    except (OSError, UnicodeDecodeError):
        line = None
    return exc.placed(shown(file) if line is None else f"{shown(file)}, line {line}")


def to_document(path: Path) -> dict[str, Any]:
    """The whole directory as one document (a load into stored classes reads it so)."""
    classes = read_classes(path)
    records = {name: [r for _, part in read_parts(file) for r in part] for name, file in class_files(path, classes)}
    doc: dict[str, Any] = {"classes": classes, "records": records}
    rel = path / RELATIONS_FILE
    if rel.exists():
        doc["relations"] = [e for _, part in read_parts(rel) for e in part]
    return doc


def size_of(path: Path) -> int:
    """Bytes of the directory's data files."""
    return sum(p.stat().st_size for p in path.glob("*.ndjson"))

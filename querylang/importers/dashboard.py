"""Parse Dashboard class exports and parse.com ``{"results": [...]}`` files → querylang.

Both hold REST records and no schema, so the schema is read off the values: ``__type`` says
Date, Pointer (with its class), GeoPoint, File, Polygon, Bytes or Relation; other values say
String, Number, Boolean, Array or Object. The Dashboard export holds no Relation edges (it exports a
Relation as ``{"__type": "Relation", "className"}`` only): such fields are imported empty, and
the report says so.

- Dashboard (Browser → Export, JSON): ``<Class>.json``, one JSON array of records, each with
  ``className``.
- parse.com's old export: ``<Class>.json`` = ``{"results": [records]}``; the class is the file name.
  Its zip holds the Relation edges too, as Parse's join classes: ``_Join:<key>:<Class>.json``,
  ``{"results": [{"owningId", "relatedId"}]}``; they are imported as the edges of ``<Class>.<key>``.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from querylang.interchange.json_places import value_line
from querylang.model.parse_types import (
    SYSTEM_CLASSES,
    Target,
    detect_target,
    edge,
    interchange_fields,
    rest_record,
    secret,
)
from querylang.model.schema import make_class, type_with_target
from querylang.script.values import num, num_str

from ..errors import DataError, QueryError, cannot_read, json_refused, not_utf8
from ..interchange.given_paths import shown
from . import jsontext
from .interchange import (
    Destination,
    ImportReport,
    Staging,
    Undated,
    a_path,
    kept_when_pressed,
    named_as_typed,
)
from .jsontext import nesting

_BUILTIN = {"objectId", "createdAt", "updatedAt", "className", "__type"}
_TYPED = {"Date", "GeoPoint", "File", "Polygon", "Bytes"}
# A join class of parse.com's export: the edges of the Relation field <key> of <Class>.
_JOIN = re.compile(r"^_Join:([^:]+):(.+)$")
# A record as the importer names it while it reads: "<file>, record N".
_RECORD = re.compile(r"^(?P<file>.+), record (?P<n>\d+)$")


def record_line(where: str, field: str | None = None) -> str:
    """``where`` ("FILE, record N") with the line of the record, or of its key ``field``, when
    the file spans lines (the Dashboard writes an export over lines, a record over a dozen), as
    mongoexport's documents are named. The file is read again only for an error: the records
    keep no positions."""
    found = _RECORD.match(where)
    if found is None:
        return where
    n = int(found["n"])
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError, RecursionError):
        text = Path(found["file"]).read_text(encoding="utf-8")
        if "\n" not in text.strip():
            return where  # one line: the record's number says more than "line 1"
        top: list[str | int] = [n - 1] if text.lstrip().startswith("[") else ["results", n - 1]
        for keys in ([[*top, field]] if field is not None else []) + [top]:
            line = value_line(text, keys)
            if line is not None:
                return f"{where}, line {line}"
    return where


def looks_like_rest_export(path: Path) -> bool:
    """Does the file start like a Dashboard array or a ``{"results": ...}`` file of REST records?"""
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(4096).lstrip()
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith("[") or (head.startswith("{") and '"results"' in head[:200] and '"_id"' not in head[:200])


def is_blank(path: Path) -> bool:
    """Is the file empty, or whitespace only (a copy or download cut short, or an empty
    collection's mongoexport)? Such a file shows neither kind of export."""
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(65536):
                if chunk.strip():
                    return False
    except OSError:
        return False
    return True


_CSV = ("the Dashboard's CSV export, which querylang does not read (in it Dates lose their milliseconds, "
        "Pointers their class and values their types): export the class as .json")


def read_export(path: Path) -> tuple[str, list[Any]]:
    """(class name, records) of one file."""
    at = shown(path)
    if path.suffix.lower() == ".csv":  # was "not valid JSON at line 1, column 1"
        raise DataError(f"{at}: {_CSV}")
    try:
        doc = jsontext.loads(path.read_text(encoding="utf-8"), at)
    except FileNotFoundError:
        raise DataError(f"no such file: {at}") from None
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and _mongo_document(exc.doc[: exc.pos]):
            # mongoexport's default: a document a line ("Extra data" at line 2 said nothing of it).
            raise DataError(f"{at}: {_MONGO}") from None
        raise json_refused(at, exc, empty="an export is expected (at least [] or {\"results\": []}; "
                                             "was it cut short?)") from None
    except UnicodeDecodeError:
        raise DataError(f"{at}: {_not_text(path)}") from None
    except OSError as exc:
        raise cannot_read(at, exc) from None
    if _mongo_document(doc) or (isinstance(doc, list) and any(_mongo_document(r) for r in doc[:1])):
        raise DataError(f"{at}: {_MONGO}")
    if _schema_export(doc):
        raise SchemaExport(f"{at}: {_SCHEMA_EXPORT}")
    if interchange_schema(doc):
        raise DataError(f"{at}: {INTERCHANGE_SCHEMA}")
    if isinstance(doc, Mapping) and isinstance(doc.get("results"), list):
        return path.stem, doc["results"]
    if isinstance(doc, list):
        names = {r.get("className") for r in doc if isinstance(r, Mapping) and r.get("className")}
        if len(names) > 1:
            raise DataError(f"{at}: records of several classes ({', '.join(sorted(map(str, names)))})")
        return (str(names.pop()) if names else path.stem), doc
    raise DataError(f"{at}: neither a Dashboard export (a JSON array) nor a {{\"results\": [...]}} file")


_MONGO = ("MongoDB documents (with _id), not REST records: import the mongoexport directory with its "
          "_SCHEMA.json (querylang import mongo DIR)")

# The Dashboard's "Export schema" writes schema.json (all classes: an array) or <Class>.json (one
# class: an object), each class {className, fields, classLevelPermissions, indexes}: no records.
# Its classes were read as records ("no objectId"), or as neither kind of export.
_SCHEMA_EXPORT = ("this is a schema export (the Dashboard's Export schema), not a class export: it holds no "
                  "records; export each class's rows as JSON (Export all rows) and import those files")


INTERCHANGE_SCHEMA = "an interchange directory's schema.json (querylang's own format): load its folder with querylang load"


def interchange_schema(doc: Any) -> bool:
    """Is ``doc`` the schema.json of querylang's own directory form, ``{"classes": {...}}``?
    Given to an import, it was "neither a Dashboard export ... nor a results file"."""
    return isinstance(doc, Mapping) and set(doc) == {"classes"} and isinstance(doc["classes"], Mapping)


def _schema_class(value: Any) -> bool:
    return (isinstance(value, Mapping) and "objectId" not in value and isinstance(value.get("className"), str)
            and isinstance(value.get("fields"), Mapping))


class SchemaExport(DataError):
    """A file given to import that is a schema export, which holds no records."""


def _schema_export(doc: Any) -> bool:
    """Is ``doc`` what the Dashboard's Export schema writes, one class or an array of them, or
    what GET /schemas answers, ``{"results": [...]}`` of them (was read as records: "class
    schemas: no objectId")?"""
    if isinstance(doc, Mapping) and isinstance(doc.get("results"), list):
        doc = doc["results"]
    if isinstance(doc, list):
        return bool(doc) and all(_schema_class(c) for c in doc)
    return _schema_class(doc)


def _mongo_document(value: Any) -> bool:
    """Is ``value`` (or the JSON text of one) a document as MongoDB stores it?"""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:  # too deep a nesting is a RecursionError: not caught, and not here
            return False
    return isinstance(value, Mapping) and "_id" in value and "objectId" not in value


def _not_text(path: Path) -> str:
    """Why a file is not UTF-8 text. parse.com's export came as a zip, given as it is more often
    than not; "save the file as UTF-8" was no help for that."""
    with contextlib.suppress(OSError), path.open("rb") as fh:
        if fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06"):
            return "a zip archive, not a JSON export: unzip it and import the folder of its .json files"
    return not_utf8(path)


def numbered_pointers(record: Mapping[str, Any], fields: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """``record`` with the objectId of each Pointer field that is a number made its text, as
    Parse Server stores it: JavaScript writes it into the Pointer's column (PostgreSQL) or its
    "Class$id" (MongoDB), so {"objectId": 5} is read back as "5". Any other kind (true, null,
    an object) is left for the load to refuse: as text it would be no id anyone gave."""
    changed = {}
    for key, value in record.items():
        oid = value.get("objectId") if isinstance(value, Mapping) and value.get("__type") == "Pointer" else None
        number = _js_number(oid)
        if number is not None and fields.get(key, {}).get("type") == "Pointer":
            changed[key] = {**value, "objectId": num_str(number)}
    return {**record, **changed} if changed else record


def _js_number(value: Any) -> int | float | None:
    """The finite number JSON.parse makes of ``value`` (a double: 2**53 + 1 is 2**53), or None
    for no number or one out of a double's range (a whole number of 400 digits too, which
    Python reads exactly)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        number = num(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def infer_type(value: Any) -> dict[str, Any] | None:
    """The Parse field spec a REST value shows (None for null: it shows nothing)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"type": "Boolean"}
    if isinstance(value, int | float):
        return {"type": "Number"}
    if isinstance(value, str):
        return {"type": "String"}
    if isinstance(value, list):
        return {"type": "Array"}
    if isinstance(value, Mapping):
        kind = value.get("__type")
        if kind in ("Pointer", "Relation"):
            return {"type": kind, "targetClass": value.get("className")}
        if isinstance(kind, str) and kind in _TYPED:  # a list there was Python's TypeError (unhashable)
            return {"type": kind}
        if kind:
            # Parse Server refuses such a field value (111 "This is not a valid Weird"): it
            # was imported as an Object holding __type. Inside an Object or Array Parse keeps
            # it, and so does the import.
            raise DataError(f"__type {json.dumps(kind)[:60]} is no Parse type (Parse knows Pointer, Relation, "
                            f"{', '.join(sorted(_TYPED))})")
        return {"type": "Object"}
    raise DataError(f"not a JSON value: {value!r}")


def infer_fields(class_name: str, records: Iterable[Any], path: Path, notes: list[str],
                 shown_at: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The fields the records show; ``shown_at`` gets the record that first showed each one's type."""
    at = shown(path)
    fields: dict[str, dict[str, Any]] = {}
    nulls: dict[str, None] = {}  # keys seen holding null, in order
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise DataError("not a JSON object").placed(record_line(f"{at}, record {i + 1}"))
        oid = rec.get("objectId")
        if oid is not None and not isinstance(oid, str):
            # Parse Server refuses it (111 "schema mismatch for T.objectId; expected String");
            # the load refused it as "record #0", counting from 0 where this file counts from 1.
            raise DataError(f"objectId must be a string, not {json.dumps(oid)[:60]} (Parse Server refuses a record "
                            "whose objectId is no string)", class_name=class_name).placed(
                record_line(f"{at}, record {i + 1}", "objectId"))
        for key, value in rec.items():
            if key in _BUILTIN or secret(class_name, key):
                continue
            try:
                spec = {"type": "ACL"} if key == "ACL" else infer_type(value)
            except DataError as exc:
                raise DataError(exc.reason, class_name=class_name, object_id=oid, field=key).placed(
                    record_line(f"{at}, record {i + 1}", key)) from None
            if spec is None:
                nulls[key] = None
                continue
            if spec["type"] in ("Pointer", "Relation") and not isinstance(spec["targetClass"], str):
                # Was refused later by the schema, naming class and field but not the file or record.
                raise DataError(f"a {spec['type']} without its className", class_name=class_name,
                                object_id=oid, field=key).placed(record_line(f"{at}, record {i + 1}", key))
            if key not in fields and shown_at is not None:
                shown_at[key] = f"{at}, record {i + 1}"
            prev = fields.setdefault(key, spec)
            if prev != spec:
                # Named as the record's other errors are: by file and place ("record None"
                # named a record without an objectId, and no file).
                raise DataError(
                    f"{type_with_target(prev['type'], prev.get('targetClass'))} in one record, "
                    f"{type_with_target(spec['type'], spec.get('targetClass'))} in another",
                    class_name=class_name,
                    object_id=oid,
                    field=key,
                ).placed(record_line(f"{at}, record {i + 1}", key))
    # A key that is null in every record shows no type: it cannot be a field, and the explicit
    # nulls records show for it are not imported. Said, not silent.
    unknown = [k for k in nulls if k not in fields]
    if unknown:
        notes.append(f"class {class_name}: {', '.join(unknown)} null in every record of {at}, so of no known "
                     "type: left out")
    return fields


def import_rest_exports(db: Destination, paths: Sequence[str | Path], *, target: Target | None = None) -> ImportReport:
    """Import Dashboard exports and ``{"results": [...]}`` files (one class per file) into ``db``."""
    if isinstance(paths, str | os.PathLike | Mapping) or not isinstance(paths, Iterable):
        # One path, or something a_path names (a bare number was "not iterable", a dict's keys were taken for paths).
        paths = [paths]
    given = list(paths)  # read twice: for the names as typed, and by the import
    if not given:
        # Imported nothing and reported it done, as a folder without .json files was.
        raise DataError("import_dashboard_export needs a path: a Dashboard export file, or a folder of them "
                        "(got an empty list)")
    return kept_when_pressed(lambda: named_as_typed(given, lambda: _import(db, given, target)))


def _import(db: Destination, paths: Sequence[str | Path], target: Target | None) -> ImportReport:
    report = ImportReport()
    with Staging() as staging:
        stage_rest_exports(paths, staging, target or detect_target(), report)
        return staging.load(db, report)


def stage_rest_exports(paths: Sequence[str | Path], staging: Staging, target: Target, report: ImportReport) -> None:
    """Write the classes and records of the files (or directories of them) to ``staging``."""
    classes: dict[str, tuple[dict[str, dict[str, Any]], list[Any]]] = {}
    files_of: dict[str, Path] = {}
    shown_at: dict[str, dict[str, str]] = {}  # class → field → the record that showed its type
    # A load's error names a staged record or a field by the place it came from, with its line.
    staging.narrow = lambda where, exc: record_line(where, exc.field)
    joins: list[tuple[Path, str, str, list[Any]]] = []  # (file, owner class, key, rows)
    for raw in paths:
        path = a_path(raw)
        if path.is_dir() and (path / "_SCHEMA.json").is_file():
            # Its files are a document a line: the first was refused as "not valid JSON at
            # line 2, column 1: Extra data".
            raise DataError(f"{shown(path)}: a mongoexport directory (it holds _SCHEMA.json): import it with "
                            "querylang import mongo DIR (db.import_mongo_export)")
        # A folder named X.json was read as an export ("cannot read: [Errno 21] Is a directory"):
        # skipped, as import mongo skips it.
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".json" and p.is_file()) if path.is_dir() else [path]
        if not files:
            # A directory of something else (the wrong one, the exports one level down) was
            # imported as nothing and reported as done, as an empty database.
            suffixes = {p.suffix.lower() for p in path.iterdir()}
            zipped = "; unzip the .zip in it first" if ".zip" in suffixes else "; CSV exports are not read: export as .json" if ".csv" in suffixes else ""
            raise DataError(f"{shown(path)}: no .json files in this directory (a Dashboard export is <Class>.json{zipped})")
        schemas: list[tuple[Path, SchemaExport]] = []
        for file in files:
            try:
                name, records = read_export(file)
            except SchemaExport as exc:
                if not path.is_dir():
                    raise
                # The Dashboard exports the schema as schema.json, beside the class exports
                # saved to the same folder: the whole import was refused for it.
                schemas.append((file, exc))
                continue
            join = _JOIN.match(file.stem)
            if join:
                joins.append((file, join.group(2), join.group(1), records))
                continue
            if name.startswith("_") and name not in SYSTEM_CLASSES:
                # parse.com's export holds _Product (in-app purchases), empty in most apps: it
                # refused the whole import as no class name. Parse's bookkeeping, as the other
                # importers skip it; said, not silent.
                report.notes.append(f"{shown(file)}: Parse's own class {name} ({len(records)} record(s)) left out: "
                                    f"only {', '.join(SYSTEM_CLASSES)} are imported")
                continue
            if name in classes:
                raise DataError(f"{shown(file)}: class {name} is in two files")
            shown_at[name] = {}
            classes[name] = (infer_fields(name, records, file, report.notes, shown_at[name]), records)
            files_of[name] = file
        if schemas and len(schemas) == len(files):  # a folder of nothing else: no records to import
            raise schemas[0][1]
        report.notes.extend(f"{shown(file)}: a schema export (the Dashboard's Export schema), not read: the fields' types "
                            "are read off the records of the class exports" for file, _ in schemas)
    relations = []
    missing: set[str] = set()
    for name, (fields, _) in classes.items():
        emitted = interchange_fields(name, fields, target, report.notes)
        try:
            staging.define(target.class_name(name), emitted, shown(files_of[name]), shown_at[name])
            # Names come from the file's name, its records' className and their keys: checked
            # here, where the file is known, rather than by the load.
            make_class(target.class_name(name), emitted)
        except QueryError as exc:
            raise DataError(f"{shown(files_of[name])}: {exc}") from None
        for key, spec in fields.items():
            if spec["type"] == "Relation":
                relations.append(f"{name}.{key}")
            if spec["type"] in ("Pointer", "Relation") and spec["targetClass"] not in classes:
                missing.add(spec["targetClass"])
    for name in sorted(missing):
        # A pointer keeps its id even when its class was not exported: the class is made empty.
        staging.define_empty(target.class_name(name), f"class {name} is pointed to but not in the export: created empty")
    for name, (fields, records) in classes.items():
        emitted = staging.classes[target.class_name(name)]["fields"]
        undated = Undated("createdAt or updatedAt")
        for i, rec in enumerate(records):
            undated.check(rec, f"record {i + 1}")
            # Errors name the user's file and record: the staging file a record goes to is ours.
            where = f"{shown(files_of[name])}, record {i + 1}"
            if rec.get("objectId") is None:
                # The load made one up: a record no pointer of the export can reach, under an
                # id in no file, imported without a word.
                raise DataError("no objectId (every record Parse exports has one)", class_name=name).placed(
                    record_line(where))
            with nesting(where):
                try:
                    rest = rest_record(name, numbered_pointers(rec, fields), fields, target, emitted)
                    staging.record(target.class_name(name), rest, where)
                except DataError as exc:
                    raise DataError(f"{record_line(where, exc.field)}: {exc}") from None
        staging.done_with(target.class_name(name))
        undated.note(shown(files_of[name]), report.notes)
    seen: dict[tuple[str, str], set[tuple[str, str]]] = {}  # (owner, key) → its edges staged
    for file, owner, key, rows in joins:
        # Before: such a file was read as the records of a class named '_Join:…', refused as no
        # class name, and a parse.com export that held one could not be imported at all.
        _stage_join(file, owner, key, rows, classes, staging, target, seen.setdefault((owner, key), set()), report)
        if f"{owner}.{key}" in relations:
            relations.remove(f"{owner}.{key}")
    if relations:
        report.notes.append(
            "these exports hold no Relation edges: "
            + ", ".join(relations)
            + " imported empty (import from the server or a mongoexport for the edges)"
        )


def _stage_join(
    file: Path,
    owner: str,
    key: str,
    rows: list[Any],
    classes: Mapping[str, tuple[dict[str, dict[str, Any]], list[Any]]],
    staging: Staging,
    target: Target,
    seen: set[tuple[str, str]],
    report: ImportReport,
) -> None:
    """The edges of ``owner.key`` in a parse.com join file, each once (``seen``: those already
    staged). The export holds no schema: the Relation's target class is what the owner's
    records show (``{"__type": "Relation", "className"}``)."""
    spec = classes[owner][0].get(key) if owner in classes else None
    if not rows:
        return
    if spec is None or spec.get("type") != "Relation":
        # The file of the class is there when only the field is missing: asking for that file
        # again sent the user after something they had given.
        why = ("is not in the export (import its <Class>.json too)" if owner not in classes else
               f"shows no Relation field {key} (no record of {owner} holds {key} as "
               '{"__type": "Relation", "className": ...}, which names its target class)')
        raise DataError(f"{shown(file)}: holds Relation edges of {owner}.{key}, but class {owner} {why}")
    repeated: list[int] = []  # the rows (from 1) that repeat an edge
    for i, row in enumerate(rows):
        where = f"{shown(file)}, record {i + 1}"
        owning, related = (row.get("owningId"), row.get("relatedId")) if isinstance(row, Mapping) else (None, None)
        if not isinstance(owning, str) or not isinstance(related, str):
            raise DataError(f"{record_line(where)}: a join record needs owningId and relatedId strings")
        if (owning, related) in seen:
            # A Relation holds an edge once, and the load stores it once: staged twice, it was
            # counted twice ("4 relation edges" of 3 stored). The rows are in memory already.
            repeated.append(i + 1)
            continue
        seen.add((owning, related))
        staging.relation(edge(owner, owning, key, spec["targetClass"], related, target), where)
    if repeated:
        report.notes.append(f"{shown(file)}: {len(repeated)} row(s) repeating an edge (the first: record {repeated[0]}) "
                            "left out: a Relation holds each edge once")

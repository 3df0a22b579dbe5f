"""``mongoexport`` files of a Parse Server database on MongoDB → querylang.

A directory holds one file per collection, named as the collection (``Post.json``,
``_User.json``, ``_Join:posts:Group.json``, ``_SCHEMA.json``): one Extended JSON document per
line (``--jsonArray`` files, one JSON array, and ``--pretty`` ones are read too). Each document is turned back into
Parse's REST form the way Parse Server's Mongo adapter reads its own documents, and then into
the interchange format by :mod:`querylang.model.parse_types`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from querylang.model.parse_types import (
    CONFIG_CLASS,
    CONFIG_FIELDS,
    CONFIG_RECORD,
    SYSTEM_FIELDS,
    Target,
    detect_target,
    edge,
    interchange_fields,
    permissions_note,
    rest_record,
)
from querylang.model.schema import make_class
from querylang.model.values import date_from

from ..errors import BOM, DataError, QueryError, cannot_read, not_utf8
from ..interchange.given_paths import shown
from . import ejson
from .ejson import iso_ms
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
from .mongo_places import bad_wrapper, field_place

# Types in the _SCHEMA collection (Parse's MongoSchemaCollection) → Parse types.
_SCHEMA_TYPES = {
    "string": "String",
    "number": "Number",
    "boolean": "Boolean",
    "date": "Date",
    "object": "Object",
    "map": "Object",
    "array": "Array",
    "geopoint": "GeoPoint",
    "file": "File",
    "bytes": "Bytes",
    "polygon": "Polygon",
}
_RELATION = re.compile(r"^relation<(.+)>$")
_JOIN = re.compile(r"^_Join:([^:]+):(.+)$")
# _SCHEMA keys that are not fields.
_SCHEMA_META = {"_id", "_metadata", "_client_permissions", "objectId", "createdAt", "updatedAt"}
# Parse's own bookkeeping on documents (MongoTransform.mongoObjectToParseObject): secrets and
# state, never user data.
_INTERNAL = {
    "_hashed_password", "_password_history", "_email_verify_token", "_email_verify_token_expires_at",
    "_perishable_token", "_perishable_token_expires_at", "_failed_login_count", "_account_lockout_expires_at",
    "_password_changed_at", "_tombstone", "_session_token", "_last_used",
}  # fmt: skip
# The keys of a document Parse Server reads as its dates (MongoTransform.mongoObjectToParseObject).
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATES = {"_created_at": "createdAt", "createdAt": "createdAt", "_updated_at": "updatedAt", "updatedAt": "updatedAt"}
# Collections Parse keeps without a _SCHEMA entry (its "volatile" classes).
_VOLATILE = {
    "_JobStatus", "_PushStatus", "_Hooks", "_GlobalConfig", "_GraphQLConfig", "_JobSchedule",
    "_Audience", "_Idempotency",
}  # fmt: skip


def import_mongo_export(db: Destination, directory: str | Path, *, target: Target | None = None) -> ImportReport:
    """Import a directory of ``mongoexport`` files (see the module doc) into ``db``."""
    return kept_when_pressed(lambda: named_as_typed([directory], lambda: _import(db, directory, target)))


def _import(db: Destination, directory: str | Path, target: Target | None) -> ImportReport:
    root = a_path(directory)
    files = export_files(root)
    if "_SCHEMA" not in files:
        from .dashboard import import_rest_exports, is_blank, looks_like_rest_export

        # An empty file says nothing of the folder: one 0-byte _Installation.json beside
        # Dashboard exports sent the user after a _SCHEMA collection this folder never had.
        nonblank = [p for p in files.values() if not is_blank(p)]
        if nonblank and all(looks_like_rest_export(p) for p in nonblank):
            # Not a mongoexport: Parse Dashboard / parse.com files are read by their own importer,
            # as the folder they are (a schema export among them is left out, as there).
            return import_rest_exports(db, [root], target=target)
        raise DataError(f"{shown(root)}: no _SCHEMA.json ({_why_no_schema(root)})")
    report = ImportReport()
    with Staging() as staging:
        # The load's error about a field of a document over several lines names the field's line.
        staging.narrow = lambda where, exc: field_place(where, exc.field)
        stage_mongo_export(root, staging, target or detect_target(), report)
        return staging.load(db, report)


def _why_no_schema(root: Path) -> str:
    """What a directory without _SCHEMA.json holds instead, and what to do. mongodump, the
    more usual backup, writes BSON (<db>/<collection>.bson) one folder down; "export the
    _SCHEMA collection too" sent its user after a collection that is there."""
    try:
        entries = list(root.iterdir())  # read once for the three hints
    except OSError:  # a folder it may not read: only the hint is lost
        entries = []
    # A dump of some collections only (mongodump --collection Post) has no _SCHEMA.bson,
    # and was sent after a _SCHEMA collection as if JSON files were all it lacked.
    if any(p.suffix == ".bson" and p.is_file() for p in entries):
        return ("this is a mongodump, of BSON files: querylang reads mongoexport's JSON; write each collection "
                "as JSON with mongoexport, or with bsondump --outFile NAME.json NAME.bson")
    below = sorted(d.name for d in entries if (d / "_SCHEMA.json").is_file() or (d / "_SCHEMA.bson").is_file())
    if below:
        return f"the export is one folder down, in {', '.join(below)}: import that folder"
    schema = root / "schema.json"
    if schema in entries and (said := _interchange(schema)):
        return f"{shown(schema)} is {said}"
    if any(p.suffix.lower() == ".zip" and p.is_file() for p in entries):
        # parse.com's export, as it came: its .json files inside need no _SCHEMA
        return "it holds a .zip: unzip it, and import the folder of its .json files"
    return "export the _SCHEMA collection too: it holds the field types"


def _interchange(schema: Path) -> str | None:
    """What the file is, when it is querylang's own schema.json: its directory form was told
    to export the _SCHEMA collection."""
    from .dashboard import INTERCHANGE_SCHEMA, interchange_schema

    try:
        return INTERCHANGE_SCHEMA if interchange_schema(json.loads(schema.read_bytes())) else None
    except (OSError, ValueError, RecursionError):
        return None


def export_files(root: Path) -> dict[str, Path]:
    """Collection name → file, for the ``.json`` files of a directory."""
    if root.is_file():
        # "no such directory" of a file that is there: parse.com's zip, given as it came, or
        # one collection's file instead of the folder.
        if root.suffix.lower() == ".zip":
            raise DataError(f"{shown(root)}: a zip archive, not a mongoexport folder: unzip it, and import the folder of its .json files")
        raise DataError(f"{shown(root)}: a file, not a folder: import mongo reads the folder of the export's .json files "
                        "(one per collection, _SCHEMA.json among them)")
    if not root.is_dir():
        raise DataError(f"no such directory: {shown(root)}")
    return {p.stem: p for p in sorted(root.iterdir()) if p.suffix == ".json" and p.is_file()}


def stage_mongo_export(root: Path, staging: Staging, target: Target, report: ImportReport) -> None:
    """Write a mongoexport directory's classes, records and edges to ``staging``."""
    files = export_files(root)
    if "_SCHEMA" not in files:
        raise DataError(f"{shown(root)}: no _SCHEMA.json (export the _SCHEMA collection too: it holds the field types)")
    defined_at: dict[str, str] = {}  # class → its _SCHEMA document (file and line)
    permissions: dict[str, Any] = {}
    schema = read_schema(files["_SCHEMA"], defined_at, permissions)
    if not schema and any(stem not in SYSTEM_FIELDS and stem not in _VOLATILE for stem in files.keys() - {"_SCHEMA"}):
        # An export cut short (a 0-byte _SCHEMA.json) skipped every class with a note each and
        # reported the import of nothing as done.
        raise DataError(f"{shown(files['_SCHEMA'])}: holds no class, though the directory holds collections "
                        "(export the _SCHEMA collection again: it holds the field types)")
    own = [name for name in schema if name.startswith("_") and name not in SYSTEM_FIELDS]
    for name in own:
        # _Product (in-app purchases, in apps migrated from parse.com): a class of Parse's own
        # querylang has no name for refused the whole import. Left out, said, as the other
        # importers leave Parse's bookkeeping out.
        del schema[name]
        report.notes.append(f"{shown(files['_SCHEMA'])}: Parse's own class {name} left out: only {', '.join(SYSTEM_FIELDS)} "
                            "are imported")
    for name in SYSTEM_FIELDS.keys() & files.keys() - schema.keys():
        # Parse's own classes exist without a _SCHEMA entry until their schema is changed.
        schema[name] = {**SYSTEM_FIELDS[name], "ACL": {"type": "ACL"}}
    emitted = {}
    for name, fields in schema.items():
        emitted[name] = interchange_fields(name, fields, target, report.notes)
        permissions_note(name, permissions.get(name), report.notes)
        try:
            # A type clash with the database names this place; a class of Parse's own without a
            # _SCHEMA entry (its types Parse's) is named by its file.
            staging.define(target.class_name(name), emitted[name], defined_at.get(name) or shown(files[name]))
            make_class(target.class_name(name), emitted[name])  # here, where the file is known
        except QueryError as exc:
            raise DataError(f"{shown(files['_SCHEMA'])}: {exc}") from None
    pointed = {spec["targetClass"] for fields in emitted.values() for spec in fields.values() if "targetClass" in spec}
    for name in sorted(pointed - {target.class_name(n) for n in schema}):
        # A pointer keeps its id when its class was not exported (as the other importers do):
        # the load refused the whole import for a targetClass that is no class.
        staging.define_empty(name, f"class {name} is pointed to but not in the export: created empty")
    for stem, path in files.items():
        join = _JOIN.match(stem)
        if stem == "_SCHEMA" or stem in _VOLATILE or stem in own or (join and join.group(2) in own):
            continue
        if join:
            _read_join(path, join.group(1), join.group(2), schema, staging, target)
        elif stem in schema:
            _read_class(path, stem, schema[stem], emitted[stem], staging, target, report)
        else:
            report.notes.append(f"{shown(path)}: no class {stem} in _SCHEMA, file skipped")
    if "_GlobalConfig" in files:
        _read_config(files["_GlobalConfig"], staging)
    unexported = [name for name in schema if name not in files]
    if unexported:
        # A class of _SCHEMA whose collection was not exported was made empty without a word,
        # though it may hold records.
        report.notes.append(f"no file for {', '.join(unexported)} (classes in _SCHEMA): created empty (export "
                            "their collections too if they hold records)")
    unjoined = [f"{name}.{key}" for name, fields in schema.items() if name in files
                for key, spec in fields.items() if spec["type"] == "Relation" and f"_Join:{key}:{name}" not in files]
    if unjoined:
        # The edges are in collections of their own: an export of the classes' collections
        # alone imported every Relation empty without a word.
        report.notes.append(f"no _Join:<key>:<Class>.json for {', '.join(unjoined)}: imported without edges (MongoDB "
                            "holds such a collection once the Relation has an edge: export it too if it exists)")


# --- reading files ----------------------------------------------------------------------------


def documents(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, document) for each document of a file: "line N" of NDJSON, or "document N" of
    one JSON array."""
    try:
        fh = path.open(encoding="utf-8")
    except OSError as exc:
        raise cannot_read(shown(path), exc) from None
    with fh:
        try:
            first = fh.read(1)
            while first and first.isspace():
                first = fh.read(1)
            if first == "[":
                # --jsonArray: the whole file is one JSON text.
                text = "[" + fh.read()
                try:
                    docs = ejson.loads(text, shown(path))
                except ejson.EJSONError as exc:
                    at = bad_wrapper(text)
                    raise DataError(f"{shown(path)}{'' if at is None else f', line {at}'}: not valid Extended JSON: "
                                    f"{exc}") from None
                except ValueError as exc:
                    raise DataError(f"{shown(path)}: not valid Extended JSON: {exc}") from None
                if not isinstance(docs, list):
                    raise DataError(f"{shown(path)}: not a JSON array of documents")
                for i, doc in enumerate(docs):
                    yield f"document {i + 1}", doc
                return
            fh.seek(0)
            lines = enumerate(fh, 1)
            for lineno, line in lines:
                if not line.strip():
                    continue
                start, text = lineno, line
                if line.rstrip("\r\n") == "{":
                    # mongoexport --pretty: a document over lines, indented by tabs, closed by
                    # a "}" at the margin (read one line at a time, each line was an error).
                    buf = [line]
                    for _, line in lines:
                        buf.append(line)
                        if line.rstrip("\r\n") == "}":
                            break
                    text = "".join(buf)
                try:
                    doc = ejson.loads(text, f"{shown(path)}, line {start}")
                except json.JSONDecodeError as exc:
                    if exc.msg == BOM and start == 1:  # as the other importers and load say it
                        raise DataError(f"{shown(path)}: {BOM}") from None
                    raise DataError(f"{shown(path)}, line {start + exc.lineno - 1}: not valid Extended JSON: {exc.msg} "
                                    f"(column {exc.colno})") from None
                except ValueError as exc:
                    at = start + ((bad_wrapper(text) or 1) - 1 if isinstance(exc, ejson.EJSONError) else 0)
                    raise DataError(f"{shown(path)}, line {at}: not valid Extended JSON: {exc}") from None
                yield f"line {start}", doc
        except UnicodeDecodeError:
            raise DataError(f"{shown(path)}: {not_utf8(path)}") from None


def read_schema(
    path: Path, defined_at: dict[str, str] | None = None, permissions: dict[str, Any] | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """The ``_SCHEMA`` collection → ``{class: {field: Parse field spec}}`` (REST ``/schemas`` form);
    ``defined_at`` gets each class's place (file and line), ``permissions`` its class-level
    permissions (``_metadata.class_permissions``)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for where, doc in documents(path):
        if not isinstance(doc, Mapping) or not isinstance(doc.get("_id"), str):
            raise DataError(f"{shown(path)}, {where}: a _SCHEMA document needs a class name in _id")
        name = doc["_id"]
        if defined_at is not None:
            defined_at[name] = f"{shown(path)}, {where}"
        fields: dict[str, dict[str, Any]] = {}
        meta = doc.get("_metadata")
        # Parse keeps a field's required and defaultValue here, beside its type: joined, as its
        # Mongo adapter joins them, the import says they are left out as /schemas's are.
        options = meta.get("fields_options") if isinstance(meta, Mapping) else None
        if permissions is not None and isinstance(meta, Mapping):
            permissions[name] = meta.get("class_permissions")
        for key, mongo_type in doc.items():
            if key in _SCHEMA_META:
                continue
            fields[key] = schema_field(name, key, mongo_type, path, where)
            if isinstance(options, Mapping) and isinstance(options.get(key), Mapping):
                fields[key] = {**options[key], **fields[key]}
        fields["ACL"] = {"type": "ACL"}  # every Parse class has one (as _rperm/_wperm/_acl)
        out[name] = {**SYSTEM_FIELDS.get(name, {}), **fields}
    return out


def schema_field(class_name: str, key: str, mongo_type: Any, path: Path, where: str) -> dict[str, Any]:
    if isinstance(mongo_type, str):
        if mongo_type.startswith("*") and len(mongo_type) > 1:
            return {"type": "Pointer", "targetClass": mongo_type[1:]}
        rel = _RELATION.match(mongo_type)
        if rel:
            return {"type": "Relation", "targetClass": rel.group(1)}
        if mongo_type in _SCHEMA_TYPES:
            return {"type": _SCHEMA_TYPES[mongo_type]}
    # Named as the importers' other errors are: the file and line first, then class and field.
    raise DataError(f"unknown _SCHEMA type {mongo_type!r}", class_name=class_name, field=key).placed(
        field_place(f"{shown(path)}, {where}", key))


def _read_class(
    path: Path,
    name: str,
    fields: dict[str, dict[str, Any]],
    emitted: Mapping[str, Any],
    staging: Staging,
    target: Target,
    report: ImportReport,
) -> None:
    skipped: dict[str, int] = {}
    holes: dict[str, int] = {}
    undated = Undated("_created_at or _updated_at")
    out_name = target.class_name(name)
    for where, doc in documents(path):
        # Errors name the user's file and line: the staging file a record goes to is ours.
        with nesting(f"{shown(path)}, {where}"):
            try:
                rest = to_rest(doc, fields, skipped, holes)
                undated.check(rest, where)
                staging.record(out_name, rest_record(name, rest, fields, target, emitted), f"{shown(path)}, {where}")
            except DataError as exc:
                if exc.class_name is None:  # to_rest names the record and field; the class is this file's
                    exc = DataError(exc.reason, class_name=name, object_id=exc.object_id, field=exc.field)
                raise DataError(f"{field_place(f'{shown(path)}, {where}', exc.field)}: {exc}") from None
    staging.done_with(out_name)
    undated.note(shown(path), report.notes)
    for key, n in sorted(skipped.items()):
        # A _p_ key of a field _SCHEMA types otherwise: Parse drops it, as the import does.
        if key in _DATES:
            report.notes.append(f"{name}: key {key} skipped in {n} document(s) (it names no date)")
            continue
        why = f"{key[3:]} is not a Pointer" if key.startswith("_p_") and key[3:] in fields else "not a field"
        report.notes.append(f"{name}: key {key} skipped in {n} document(s) ({why} in _SCHEMA)")
    for key, n in sorted(holes.items()):
        report.notes.append(f"{name}.{key}: the inner rings (holes) of {n} Polygon(s) left out: Parse reads "
                            "a Polygon's outer ring alone")


def _read_join(
    path: Path, key: str, owner: str, schema: Mapping[str, Mapping[str, Any]], staging: Staging, target: Target
) -> None:
    spec = schema.get(owner, {}).get(key)
    if spec is None or spec.get("type") != "Relation":
        raise DataError(f"{shown(path)}: _SCHEMA has no Relation field {key} in class {owner}")
    for where, doc in documents(path):
        owning, related = (doc.get("owningId"), doc.get("relatedId")) if isinstance(doc, Mapping) else (None, None)
        if not isinstance(owning, str) or not isinstance(related, str):
            raise DataError(f"{shown(path)}, {where}: a join document needs owningId and relatedId strings")
        staging.relation(edge(owner, owning, key, spec["targetClass"], related, target), f"{shown(path)}, {where}")


def _read_config(path: Path, staging: Staging) -> None:
    """Parse's config (its one ``_GlobalConfig`` document, ``_id`` "1": ``params`` and
    ``masterKeyOnly``) as the class querylang serve's ``/config`` answers from, when it holds a
    parameter; values inside are read back as Parse's Mongo adapter reads them."""
    for where, doc in documents(path):
        if not isinstance(doc, Mapping) or str(doc.get("_id")) != CONFIG_RECORD:
            continue
        params, flags = doc.get("params"), doc.get("masterKeyOnly")
        if not isinstance(params, dict) or (flags is not None and not isinstance(flags, dict)):
            raise DataError(f"{shown(path)}, {where}: Parse's config needs params (and masterKeyOnly) as objects")
        if params:
            staging.define(CONFIG_CLASS, CONFIG_FIELDS, f"{shown(path)}, {where}")
            record = {"objectId": CONFIG_RECORD, "params": interior(params), "masterKeyOnly": interior(flags)}
            staging.record(CONFIG_CLASS, record, f"{shown(path)}, {where}")
            staging.done_with(CONFIG_CLASS)
        return


# --- one document -----------------------------------------------------------------------------


def _acl(doc: Mapping[str, Any]) -> dict[str, dict[str, bool]] | None:
    """Parse's ACL from ``_rperm``/``_wperm`` (what Parse queries) or, alone, the legacy ``_acl``."""
    if "_rperm" in doc or "_wperm" in doc:
        acl: dict[str, dict[str, bool]] = {}
        for key, perm in (("_rperm", "read"), ("_wperm", "write")):
            whos = doc.get(key) or []
            if not isinstance(whos, list) or not all(isinstance(w, str) for w in whos):
                # A string was read a character at a time: "role:Admin" gave r, o, l, e, ...
                oid = doc.get("_id")
                raise DataError(f"{key} must be a list of user ids, role:<name> and '*', not {whos!r:.60}",
                                object_id=oid if isinstance(oid, str) else None, field=key)
            for who in whos:
                acl.setdefault(who, {})[perm] = True
        return acl
    legacy = doc.get("_acl")
    if legacy is None:
        return None
    oid = doc.get("_id")
    if not isinstance(legacy, Mapping):
        raise DataError(f"_acl must be an object of user ids, role:<name> and '*', not {legacy!r:.60}",
                        object_id=oid if isinstance(oid, str) else None, field="_acl")
    names = {"r": "read", "w": "write"}
    acl = {}
    for who, perms in legacy.items():
        if not isinstance(perms, Mapping):
            # Was skipped without a word: the entry's grant was lost from the imported ACL.
            raise DataError(f"_acl entry {who!r} must be an object like {{\"r\": true, \"w\": true}}, "
                            f"not {perms!r:.60}", object_id=oid if isinstance(oid, str) else None, field="_acl")
        acl[str(who)] = {names[p]: True for p, on in perms.items() if p in names and on}
    return acl


def to_rest(
    doc: Any, fields: Mapping[str, Mapping[str, Any]], skipped: dict[str, int], holes: dict[str, int] | None = None
) -> dict[str, Any]:
    """A Parse document as stored in MongoDB → the REST record Parse would answer with;
    ``holes`` counts per field the Polygons whose inner rings were left (Parse reads the outer
    ring alone)."""
    if not isinstance(doc, Mapping):
        raise DataError("a document must be a JSON object")
    oid = doc.get("_id")
    if "_id" not in doc:
        raise DataError("a document without _id (MongoDB gives every document one: Parse's objectId)")
    if not isinstance(oid, str):
        raise DataError(f"_id must be a string objectId, not {json.dumps(oid, default=str)[:60]}")
    out: dict[str, Any] = {"objectId": oid}
    for key, value in doc.items():
        if key == "_id" or key in _INTERNAL or key.startswith("_auth_data_"):
            continue
        if key in _DATES:
            # Parse Server reads createdAt and updatedAt (a script's names) as it reads its own
            # _created_at and _updated_at: skipped as no field, they left the record undated.
            when = _record_date(value)
            if when is None:
                skipped[key] = skipped.get(key, 0) + 1  # the record dated by the import, said
            else:
                out[_DATES[key]] = when
            continue
        if key in ("_rperm", "_wperm", "_acl"):
            continue
        if key == "_expiresAt" and "expiresAt" not in doc:
            # _Session's expiresAt as parse.com stored it, which Parse Server still reads (it
            # writes expiresAt): was skipped as a key not in _SCHEMA.
            key = "expiresAt"
        if key.startswith("_p_"):
            name = key[3:]
            spec = fields.get(name)
            if spec is None or spec.get("type") != "Pointer":
                skipped[key] = skipped.get(key, 0) + 1
                continue
            if value is None:
                continue  # "$set _p_x: null" by an update: Parse reads it as missing
            out[name] = _pointer(value, spec["targetClass"], name, oid)
            continue
        spec = fields.get(key)
        if spec is None:
            skipped[key] = skipped.get(key, 0) + 1
            continue
        out[key] = _value(spec["type"], value, oid, key)
        if spec["type"] == "Polygon" and holes is not None and isinstance(value, Mapping):
            rings = value.get("coordinates")
            if isinstance(rings, list) and len(rings) > 1:
                holes[key] = holes.get(key, 0) + 1
    acl = _acl(doc)
    if acl is not None:
        out["ACL"] = acl
    return out


def _pointer(value: Any, target_class: str, name: str, oid: str) -> dict[str, str]:
    if not isinstance(value, str) or "$" not in value:
        raise DataError(f"a pointer is 'Class$objectId', not {value!r}", object_id=oid, field=name)
    cls, _, target_id = value.partition("$")  # class names hold no '$'
    if cls != target_class:
        raise DataError(f"points to class {cls!r}, _SCHEMA says {target_class!r}", object_id=oid, field=name)
    return {"__type": "Pointer", "className": cls, "objectId": target_id}


def _value(parse_type: str, value: Any, oid: str, key: str) -> Any:
    if value is None:
        return None  # Mongo keeps an explicit null apart from a missing key, and so do we
    if parse_type == "Date" and isinstance(value, datetime):
        return {"__type": "Date", "iso": iso_ms(value)}
    if parse_type == "GeoPoint" and isinstance(value, list) and len(value) == 2:
        return {"__type": "GeoPoint", "latitude": value[1], "longitude": value[0]}  # stored [lng, lat]
    if parse_type == "Polygon" and isinstance(value, Mapping):
        rings = value.get("coordinates") or [[]]
        ring = rings[0] if isinstance(rings, list) else None
        if not (isinstance(ring, list) and all(isinstance(p, list) and len(p) == 2 for p in ring)):
            raise DataError("a Polygon's coordinates must be GeoJSON's [[[longitude, latitude], ...]]",
                            object_id=oid, field=key)
        return {"__type": "Polygon", "coordinates": [[p[1], p[0]] for p in ring]}  # REST is [lat, lng]
    if parse_type == "File" and isinstance(value, str):
        return {"__type": "File", "name": value}
    if parse_type == "Bytes":
        if isinstance(value, bytes):
            return {"__type": "Bytes", "base64": base64.b64encode(value).decode("ascii")}
        if isinstance(value, str):
            return {"__type": "Bytes", "base64": value}
    if parse_type == "Pointer":
        # A null pointer is stored under its plain key; anything else there is not Parse's.
        raise DataError(f"a pointer belongs under _p_{key}", object_id=oid, field=key)
    return interior(value)


def _record_date(value: Any) -> str | None:
    """A document's creation or update date as Parse Server reads it (``new Date(value)``): a
    BSON date, a number of milliseconds since 1970 (a script's ``Date.now()``; JavaScript drops
    the fraction) or an ISO-8601 text; None for anything else, or a date outside years 1-9999."""
    if isinstance(value, datetime):
        return iso_ms(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return iso_ms(_EPOCH + timedelta(milliseconds=int(value)))
        except (OverflowError, ValueError):  # past JavaScript's or Python's dates; NaN
            return None
    if isinstance(value, str) and date_from(value) is not None:
        return value
    return None


def interior(value: Any) -> Any:
    """Values inside Arrays and Objects: BSON dates and binaries back to REST JSON."""
    if isinstance(value, datetime):
        return {"__type": "Date", "iso": iso_ms(value)}
    if isinstance(value, bytes):
        return {"__type": "Bytes", "base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [interior(v) for v in value]
    if isinstance(value, dict):
        if value.get("__type") == "Date" and isinstance(value.get("iso"), datetime):
            # A Date object whose iso is a BSON date (a script's, or an older writer's): Parse
            # Server reads it as the Date, its iso made text; as it was, the load refused it.
            return {k: iso_ms(v) if k == "iso" else interior(v) for k, v in value.items()}
        return {k: interior(v) for k, v in value.items()}
    return value

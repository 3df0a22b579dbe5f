"""The interchange format: read, check against the schema, normalise.

Both engines consume what :func:`read_dataset` returns, so the store and the reference
evaluator start from the same records. Every problem is a :class:`DataError` naming class,
objectId and field; nothing is half-read. Each field's value is checked by
:func:`querylang.interchange.value_checks.check_value`.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from querylang.errors import (
    JSON_DOCUMENT,
    DataError,
    QueryError,
    cannot_read,
    json_refused,
    not_a_document,
    not_utf8,
)
from querylang.interchange.given_paths import shown
from querylang.interchange.value_checks import check_text, check_value, type_of
from querylang.model.jsvalues import described, short
from querylang.model.schema import (
    ClassDef,
    Schema,
    check_case,
    make_class,
    suggest,
    type_with_target,
)
from querylang.model.values import to_ms

_ID_ALPHABET = string.ascii_letters + string.digits


def new_object_id() -> str:
    """A fresh 10-character id, as Parse makes them."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))


@dataclass(frozen=True, slots=True)
class Edge:
    """One Relation edge: record ``owning_id`` of ``owner_class`` holds ``related_id`` in ``key``."""

    owner_class: str
    key: str
    owning_id: str
    related_id: str


@dataclass
class Dataset:
    """Normalised records per class (dicts; dates as datetimes, pointers as ids) and edges."""

    schema: Schema
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)


def read_document(source: str | Path | Mapping[str, Any]) -> Mapping[str, Any]:
    """The interchange document from a path (a JSON file or a directory) or an already-parsed dict."""
    if isinstance(source, Mapping):
        return source
    if not isinstance(source, str | Path):
        raise DataError(f"load needs a path or a dict in the interchange format, got {described(source)}")
    if source == "":  # Path("") is the current folder: its schema.json was loaded
        raise DataError("load needs a path or a dict in the interchange format, got an empty path")
    path, name = Path(source), shown(source)
    if path.is_dir():  # the directory form, as one document (Store.load streams it instead)
        from querylang.interchange.directory import to_document

        return to_document(path)
    try:
        with path.open(encoding="utf-8") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        raise DataError(f"no such data file: {name}") from None
    except json.JSONDecodeError as exc:
        raise json_refused(name, exc, empty=JSON_DOCUMENT) from None
    except UnicodeDecodeError:
        raise DataError(f"{name}: {not_utf8(path)}") from None
    except OSError as exc:
        raise cannot_read(name, exc) from None
    except (RecursionError, ValueError) as exc:
        raise DataError(f"{name}: not readable JSON ({type(exc).__name__}: nested too deeply or a number out of range)") from None
    if not isinstance(doc, Mapping):
        raise not_a_document(name, doc)
    return doc


def merge_schema(existing: Schema | None, classes: Mapping[str, Any]) -> Schema:
    """The schema after adding the document's classes to ``existing``.

    A class already known may gain fields; a field may not change its type or target. An
    error is marked as one of the classes (in_classes: a directory's are in its schema.json).
    """
    try:
        return _merged(existing, classes)
    except DataError as exc:
        exc.in_classes = True
        at_keys(exc, "classes")
        raise


def _merged(existing: Schema | None, classes: Mapping[str, Any]) -> Schema:
    if not isinstance(classes, Mapping):
        raise DataError("'classes' must be an object of class definitions")
    merged = Schema(dict(existing.classes) if existing else {})
    for name, spec in classes.items():
        try:
            _merge_class(merged, name, spec)
        except DataError as exc:
            raise at_keys(exc, "classes", name, *(("fields", exc.field) if exc.field is not None else ())) from None
    try:
        merged.check_targets()
    except QueryError as exc:
        raise DataError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
    return merged


def at_keys(exc: DataError, *keys: str | int) -> DataError:
    """``exc``, about the value at ``keys`` of the document unless it knows a closer one."""
    if exc.doc_keys is None:
        exc.doc_keys = keys
    return exc


def _merge_class(merged: Schema, name: str, spec: object) -> None:
    """Add the class ``name`` defined by ``spec`` to ``merged``."""
    if not isinstance(spec, Mapping):
        raise DataError("expected {\"fields\": {...}}", class_name=str(name))
    try:
        new = make_class(name, spec.get("fields", {}))
    except QueryError as exc:
        raise DataError(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
    old = merged.classes.get(name)
    if old is not None:
        fields = dict(old.fields)
        for f in new.user_fields:
            prev = fields.get(f.name)
            if prev is not None and (prev.type, prev.target) != (f.type, f.target):
                raise DataError(
                    f"already defined as {type_with_target(prev.type, prev.target)}, "
                    f"cannot become {type_with_target(f.type, f.target)}",
                    class_name=name,
                    field=f.name,
                )
            fields[f.name] = f
        try:
            check_case(f"class {name}: field", fields)
        except QueryError as exc:
            raise DataError(exc.message) from None
        new = ClassDef(name, fields)
    merged.classes[name] = new


def read_dataset(
    source: str | Path | Mapping[str, Any],
    existing: Schema | None = None,
    *,
    now: datetime | None = None,
) -> Dataset:
    """Read and check a whole interchange document (README, "Interchange format")."""
    doc, schema, now = read_source(source, existing, now)
    out = Dataset(schema)
    for cls, rows in class_rows(doc, schema):
        out.records[cls.name] = normalise_records(cls, rows, now, out.edges)
    out.edges = read_relations(doc, schema, out.edges)
    return out


def read_source(
    source: str | Path | Mapping[str, Any], existing: Schema | None, now: datetime | None
) -> tuple[Mapping[str, Any], Schema, datetime]:
    """The document, its merged schema and the time records without createdAt get."""
    doc = read_document(source)
    unknown = set(doc) - {"classes", "records", "relations"}
    if unknown:
        names = sorted(map(str, unknown))
        raise at_keys(DataError(f"unknown top-level key(s): {', '.join(names)}"), names[0])
    schema = merge_schema(existing, doc.get("classes", {}))
    return doc, schema, to_ms(now or datetime.now(UTC))


def class_rows(doc: Mapping[str, Any], schema: Schema) -> Iterator[tuple[ClassDef, list[Any]]]:
    """Each class's list of records, in document order, once its name and shape are checked."""
    records = doc.get("records", {})
    if not isinstance(records, Mapping):
        raise at_keys(DataError("'records' must be an object: class name -> list of records"), "records")
    for class_name, rows in records.items():
        if class_name not in schema.classes:
            raise at_keys(DataError(
                f"records for unknown class (add it under 'classes'; {suggest(class_name, schema.classes) or 'no similar class'})",
                class_name=str(class_name),
            ), "records", class_name)  # fmt: skip
        if not isinstance(rows, list):
            raise at_keys(DataError("records must be a list", class_name=class_name), "records", class_name)
        yield schema.classes[class_name], rows


def normalise_records(
    cls: ClassDef, rows: list[Any], now: datetime, edges: list[Edge], start: int = 0
) -> list[dict[str, Any]]:
    """A class's records checked one by one; edges from Relation fields go to ``edges``.
    ``start``: the position of ``rows[0]`` among the class's records (messages count from it)."""
    seen: set[str] = set()
    normalised = []
    for i, row in enumerate(rows, start):
        rec, extra_edges = normalise_record(cls, row, now=now, index=i)
        if rec["objectId"] in seen:
            exc = DataError("duplicate objectId", class_name=cls.name, object_id=rec["objectId"])
            exc.record_index = i
            raise exc
        seen.add(rec["objectId"])
        normalised.append(rec)
        edges.extend(extra_edges)
    return normalised


def read_relations(doc: Mapping[str, Any], schema: Schema, edges: list[Edge]) -> list[Edge]:
    """``edges`` (from records) and then the document's ``relations``, each edge once."""
    relations = relation_list(doc)
    edges = edges + [read_edge(schema, rel, i) for i, rel in enumerate(relations)]
    # An edge listed twice is one edge: a Relation is a set.
    return list(dict.fromkeys(edges))


def relation_list(doc: Mapping[str, Any]) -> list[Any]:
    relations = doc.get("relations", [])
    if not isinstance(relations, list):
        raise at_keys(DataError("'relations' must be a list of edges"), "relations")
    return relations


EDGE_KEYS = ("class", "objectId", "key", "targetClass", "targetId")  # targetClass may be left out


def read_edge(schema: Schema, rel: object, index: int) -> Edge:
    """One entry of ``relations``, checked: the owner class must have that Relation key."""
    try:
        return _edge(schema, rel)
    except DataError as exc:
        out = DataError(f"relations[{index}]: {exc.reason}", class_name=exc.class_name, object_id=exc.object_id,
                        field=exc.field)
        out.reason, out.edge_index = exc.reason, index
        raise out from None


def _edge(schema: Schema, rel: object) -> Edge:
    if not isinstance(rel, Mapping):
        raise DataError("an edge must be an object")
    owner = rel.get("class")
    oid = rel.get("objectId")
    key = rel.get("key")
    target_id = rel.get("targetId")
    unknown = [k for k in rel if k not in EDGE_KEYS]
    if unknown or key is None:  # as a record's unknown field is refused, not skipped
        what = f"unknown key {str(unknown[0])!r}" if unknown else "no 'key'"
        # Named as every other bad edge is: its owner's class and the Relation, when they are known.
        known = owner if isinstance(owner, str) and owner in schema.classes else None
        field = key if known and isinstance(key, str) and key in schema.classes[known].fields else None
        raise DataError(f"{what} (an edge has {', '.join(EDGE_KEYS)})", class_name=known, object_id=_s(oid), field=field)
    if not isinstance(owner, str) or owner not in schema.classes:
        raise DataError(f"unknown class {short(owner)}", object_id=_s(oid))
    cls = schema.classes[owner]
    f = cls.fields.get(key) if isinstance(key, str) else None
    if f is None or f.type != "Relation":
        hint = suggest(str(key), [x.name for x in cls.user_fields if x.type == "Relation"])
        raise DataError(
            f"no Relation field {short(key)}" + (f" ({hint})" if hint else ""),
            class_name=owner,
            object_id=_s(oid),
            field=_s(key),
        )
    target_class = rel.get("targetClass", f.target)
    if target_class != f.target:
        raise DataError(
            f"targetClass {short(target_class)} but the field targets {f.target}",
            class_name=owner,
            object_id=_s(oid),
            field=f.name,
        )
    if not isinstance(oid, str) or not oid:
        raise DataError("objectId must be a non-empty string", class_name=owner, field=f.name)
    if not isinstance(target_id, str) or not target_id:
        raise DataError("targetId must be a non-empty string", class_name=owner, object_id=oid, field=f.name)
    try:
        check_text(oid)
    except ValueError as exc:
        raise DataError(f"objectId: {exc}", class_name=owner, field=f.name) from None
    try:
        check_text(target_id)
    except ValueError as exc:  # the edge's record is named, and which id is wrong
        raise DataError(f"targetId: {exc}", class_name=owner, object_id=oid, field=f.name) from None
    return Edge(owner, f.name, oid, target_id)


def _s(v: object) -> str | None:
    return v if isinstance(v, str) else (None if v is None else repr(v))


def normalise_record(
    cls: ClassDef, row: object, *, now: datetime, index: int | None = None
) -> tuple[dict[str, Any], list[Edge]]:
    """One record checked against its class; Relation lists in a record become edges.
    ``index``: the record's place among its class's records in the data (None: a record
    written on its own), which names a record without an objectId in messages, and is kept
    on the error (record_index) for the reader of a file to name its line."""
    try:
        return _record(cls, row, now, index)
    except DataError as exc:
        exc.record_index = index
        raise


def _record(cls: ClassDef, row: object, now: datetime, index: int | None) -> tuple[dict[str, Any], list[Edge]]:
    if not isinstance(row, Mapping):
        raise DataError(f"record #{index or 0}: not a JSON object", class_name=cls.name)
    oid = row.get("objectId")
    # A record without an objectId is named by its place: the id made for it is in no file.
    named = oid if oid is not None else (None if index is None else f"#{index}")
    if oid is None:
        oid = new_object_id()
    if not isinstance(oid, str) or not oid:
        why = "is empty" if oid == "" else f"must be a string, got {type_of(oid)}"
        if index is None:
            # A record written on its own (matches(), create) has no place to name: "record #0" named none.
            raise DataError(f"the objectId {why}", class_name=cls.name, field="objectId")
        raise DataError(f"record #{index}: objectId must be a non-empty string", class_name=cls.name)
    try:
        check_text(oid)
    except ValueError as exc:
        if index is None:
            raise DataError(str(exc), class_name=cls.name, field="objectId") from None
        raise DataError(f"record #{index}: objectId: {exc}", class_name=cls.name) from None
    out: dict[str, Any] = {"objectId": oid}
    edges: list[Edge] = []
    for name, value in row.items():
        if name == "objectId":
            continue
        if not isinstance(name, str):  # a Python dict's key (JSON's are strings): suggest() read it as text and failed
            raise DataError(f"field names are strings, not {described(name)}", class_name=cls.name,
                            object_id=named)
        f = cls.fields.get(name)
        if f is None and (holder := cls.object_holding(name)) is not None:
            # Parse's way of setting one key of an Object: "unknown field" said meta was none.
            raise DataError(f"a key inside the Object field '{holder}' (a dotted name): fields are written whole; "
                            f"give '{holder}' whole", class_name=cls.name, object_id=named, field=name)
        if f is None:
            hint = suggest(name, cls.fields)
            raise DataError(
                "unknown field" + (f" ({hint})" if hint else ""),
                class_name=cls.name,
                object_id=named,
                field=name,
            )
        if f.type == "Relation":
            edges.extend(_relation_value(cls, oid, f.name, f.target or "", value, named))
            continue
        try:
            out[name] = check_value(f.type, value, f.target)
        except ValueError as exc:
            raise DataError(str(exc), class_name=cls.name, object_id=named, field=name) from None
    # A missing date is filled from the other one, so updatedAt is never before createdAt.
    created = out.get("createdAt") or out.get("updatedAt") or to_ms(now)
    out["createdAt"] = created
    if out.get("updatedAt") is None:
        out["updatedAt"] = created
    return out, edges


def _relation_value(cls: ClassDef, oid: str, key: str, target: str, value: object, named: str | None) -> list[Edge]:
    """A Relation field inside a record: Parse's ``{__type: 'Relation'}`` marker or a list of
    ids. ``named``: the record as messages name it (normalise_record)."""
    if isinstance(value, Mapping) and value.get("__type") == "Relation":
        given = value.get("className")
        if given is not None and given != target:
            # As Parse Server refuses it (and serve): the marker says the field is another Relation.
            raise DataError(f"a Relation to class {given!r}, but the field's Relation is to {target!r}",
                            class_name=cls.name, object_id=named, field=key)
        return []
    if value is None:
        return []
    if not isinstance(value, list):
        raise DataError("a Relation field in a record must be a list of ids", class_name=cls.name, object_id=named, field=key)
    out = []
    for v in value:
        try:
            if v is None:  # null is no id: an edge cannot hold it (the engine's NOT NULL refused it)
                raise ValueError("expected a Pointer (objectId string) in the Relation list, got null")
            out.append(Edge(cls.name, key, oid, check_value("Pointer", v, target)))
        except ValueError as exc:
            raise DataError(str(exc), class_name=cls.name, object_id=named, field=key) from None
    return out

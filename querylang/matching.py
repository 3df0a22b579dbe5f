"""``querylang.matches``: does one in-memory record match a query? (Noodl's live-query check,
answered by the reference evaluator, without a database.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from querylang.errors import QueryError, QueryTypeError
from querylang.frontends.live import needs_database
from querylang.interchange.document import Dataset
from querylang.model import nodes as n
from querylang.model.jsvalues import type_name
from querylang.model.schema import Schema, given_schema
from querylang.queries import Filter, build_query
from querylang.reference.evaluator import Evaluator


def matches(
    record: Mapping[str, Any],
    query: Filter,
    *,
    schema: Schema | Mapping[str, Any],
    class_name: str | None = None,
    inputs: Mapping[str, Any] | None = None,
    strict: bool = False,
) -> bool:
    """Does one in-memory record match? (Noodl's live-query check, via the reference evaluator.)

    ``schema`` is a :class:`Schema` or the interchange format's ``classes`` dict. Conditions that
    need other records (relations, matchesQuery, dotted pointer paths) raise a QueryError.
    """
    from querylang.interchange.document import normalise_record

    # A record or schema of another type failed inside with Python's TypeError or AttributeError.
    if not isinstance(schema, Schema | Mapping):
        raise QueryTypeError(f"matches() needs schema= as a Schema or the interchange 'classes' object, not {type_name(schema)}")
    if not isinstance(record, Mapping):
        raise QueryTypeError(f"matches() needs the record as an object of fields, not {type_name(record)}")
    sch = schema if isinstance(schema, Schema) else given_schema(schema)
    if class_name is None:
        if not sch.classes:
            raise QueryError("matches() was given a schema of no classes: give the record's class in it, and class_name=")
        if len(sch.classes) != 1:
            raise QueryError("matches() needs class_name= when the schema has several classes")
        class_name = next(iter(sch.classes))
    q = build_query(sch, class_name, query, inputs=inputs, strict=strict)
    for node in n.walk(q.where):
        what = needs_database(node, sch.get(class_name))
        if what is not None:
            err = QueryError(f"{what} needs the database (other records or relation edges); "
                             "run the query with db.query instead")
            raise err.at(*node.pos) if getattr(node, "pos", None) else err
    cls = sch.get(class_name)
    rec, _ = normalise_record(cls, {"objectId": "(unsaved)", **record}, now=datetime.now(UTC))
    return Evaluator(Dataset(sch, {cls.name: [rec]})).matches(q.where, cls.name, rec)

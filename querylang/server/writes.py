"""A Parse write body (values and ``__op`` operations) → the library's field values and edges.

Everything a body asks for is checked here, so a bad body changes nothing: the caller then
makes one ``db.create``, or one ``db.update`` whose change runs this plan on the record its
transaction holds (fields and Relation edits written together).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from querylang.model.schema import NAME_RE
from querylang.model.values import (
    OUTSIDE_YEARS,
    canonical,
    date_from,
    normalise_json,
    outside_years,
    plain_json,
)
from querylang.script.values import truthy

from .codec import Schema, check_acl, check_iso, known_field, pointer_id, type_name, value_in
from .errors import (
    INCORRECT_TYPE,
    INVALID_ACL,
    INVALID_JSON,
    INVALID_KEY_NAME,
    INVALID_NESTED_KEY,
    MISSING_OBJECT_ID,
    OPERATION_FORBIDDEN,
    ParseError,
)

SERVER_FIELDS = ("createdAt", "updatedAt")


@dataclass
class WritePlan:
    """What one create/update will do."""

    fields: dict[str, Any] = field(default_factory=dict)
    add: dict[str, list[str]] = field(default_factory=dict)  # Relation key → target ids
    remove: dict[str, list[str]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)  # what Parse echoes for __op fields
    unset: list[str] = field(default_factory=list)  # Delete: left without a value (MongoDB's $unset)


def check_new_object_id(body: Mapping[str, Any]) -> None:
    """A create's objectId that JavaScript takes as false ("", null, 0, false) is 104, as Parse
    Server 9 (with custom objectIds, as here) refuses it as it reads the request, before it
    looks for the class or reads the rest of the body."""
    if "objectId" in body and body["objectId"] in (None, "", 0):  # False == 0 == 0.0
        raise ParseError(MISSING_OBJECT_ID, "objectId must not be empty, null or undefined")


def plan_write(
    schema: Schema, class_name: str, body: Mapping[str, Any], current: Mapping[str, Any] | None, acl_field: str | None
) -> WritePlan:
    """Check a body against the class; ``current`` is the stored record (None for a create)."""
    cls = schema.get(class_name)
    if acl_field is not None and acl_field != "ACL" and "ACL" in body and acl_field in body:
        raise ParseError(INVALID_ACL, "the ACL is given twice: as ACL and as " + acl_field)
    plan = WritePlan()
    for key, value in body.items():
        if key in SERVER_FIELDS:
            # Parse Server checks them as the Date fields they are, then sets both itself (an
            # update drops createdAt: "Ignore createdAt when update"), so a record sent back
            # whole is written; a value that is no Date is still refused.
            _check_server_date(class_name, key, value)
            continue
        if key == "objectId":
            if current is not None:
                raise ParseError(INVALID_KEY_NAME, "objectId cannot be changed")
            if not isinstance(value, str) or not value:
                raise ParseError(INCORRECT_TYPE, "objectId must be a non-empty string")
            plan.fields["objectId"] = value
            continue
        if key == "ACL" or (acl_field is not None and key == acl_field):
            # Under either name an ACL is checked: a malformed one would hide the record.
            if acl_field is None:
                raise ParseError(OPERATION_FORBIDDEN, f"class {class_name} has no ACL field; it cannot store an ACL")
            if isinstance(value, Mapping) and value.get("__op") == "Delete":
                # The JS SDK's unset('ACL'). Parse Server 9 then holds an empty ACL: only the
                # master key reaches the record (no ACL, as null gives here, is open to all).
                plan.fields[acl_field] = {}
            else:
                plan.fields[acl_field] = None if value is None else check_acl(value)
            continue
        if key not in cls.fields and is_delete(value) and NAME_RE.fullmatch(key):
            # Nothing to unset, as on Parse's MongoDB (its PostgreSQL adapter answers an
            # update 500, a create leaves it out): the field is not added either.
            continue
        known_field(schema, class_name, key)
        ftype = cls.fields[key].type
        if isinstance(value, Mapping) and truthy(value.get("__op")):
            # Only an __op JavaScript finds true is one, as Parse reads it ({"__op": null} is
            # an Object).
            _operation(schema, class_name, key, value, current, plan)
        elif ftype == "Relation":
            target = cls.fields[key].target
            if isinstance(value, Mapping) and value.get("__type") == "Relation":
                # The marker a read answers, sent back with the record: Parse keeps the
                # Relation as it is (another class's marker is a mismatch, and one naming no
                # class no Relation, as Parse refuses it).
                if value.get("className") == target:
                    continue
                if not value.get("className"):
                    raise ParseError(INCORRECT_TYPE, f"{class_name}.{key}: this is not a valid Relation (it names no className)")
                raise ParseError(INCORRECT_TYPE, f"schema mismatch for {class_name}.{key}; expected Relation<{target}> "
                                                 f"but got Relation<{value.get('className')}>")
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {class_name}.{key}; a Relation is changed with AddRelation/RemoveRelation")
        else:
            if ftype in ("Object", "Array"):
                _check_nested_keys(f"{class_name}.{key}", value)
                _check_nested_dates(f"{class_name}.{key}", value, "")
            plan.fields[key] = value_in(schema, class_name, key, value)
    if current is None:
        # A create lists a Relation's first targets in the record itself (one transaction).
        for key, ids in plan.add.items():
            plan.fields[key] = ids
        plan.add = {}
        plan.remove = {}
    return plan


def is_delete(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("__op") == "Delete"


def _operation(
    schema: Schema, class_name: str, key: str, op: Mapping[str, Any], current: Mapping[str, Any] | None, plan: WritePlan
) -> None:
    f = schema.get(class_name).fields[key]
    name = op["__op"]
    where = f"{class_name}.{key}"
    old = None if current is None else current.get(key)
    if name == "Delete":
        if f.type == "Relation":
            raise ParseError(INCORRECT_TYPE, f"{where}: a Relation cannot be deleted; remove its objects")
        # Without a value, not null: Parse on MongoDB $unsets it, and a read leaves it out where a
        # field written null is answered null. A create just leaves it out.
        plan.fields.pop(key, None)
        if current is not None:
            plan.unset.append(key)
    elif name == "Increment":
        amount = op.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ParseError(INVALID_JSON, f"{where}: Increment amount must be a number")
        if f.type != "Number":
            # As Parse says it: the field's type expected, the operation's got.
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected {f.type} but got Number (Increment)")
        base = old if isinstance(old, int | float) and not isinstance(old, bool) else 0
        plan.fields[key] = plan.answers[key] = _double_sum(base, amount)
    elif name in ("Add", "AddUnique", "Remove"):
        objects = op.get("objects")
        if not isinstance(objects, list):
            raise ParseError(INVALID_JSON, f"{where}: Objects to add must be an array.")
        if f.type != "Array":
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected {f.type} but got Array ({name})")
        if name != "Remove":
            # What Add and AddUnique store is checked as an Array value written whole is.
            _check_nested_keys(where, objects)
            _check_nested_dates(f"{where} ({name})", objects, "")
        if current is not None and old is None and key in current:
            # A field holding null: MongoDB's $pullAll, $push and $addToSet refuse a value that
            # is no array, as Parse on MongoDB does (on PostgreSQL it sets an array); SEMANTICS
            # follows MongoDB.
            raise ParseError(INCORRECT_TYPE, f"{where}: {name} needs an Array; the field holds null")
        if name == "Remove" and current is not None and old is None:
            # MongoDB's $pullAll leaves a field that is not there as it is (an empty array
            # stored here was found by `exists: true`); Parse then answers no value for it.
            return
        # As stored (a Date's iso at milliseconds, in UTC), so that the operands compare with
        # the stored items and the answer is what a read gives: a Date written otherwise than
        # the stored one was added again by AddUnique and left in place by Remove.
        items = [plain_json(normalise_json(x)) for x in old] if isinstance(old, list) else []
        objects = [plain_json(normalise_json(o)) for o in objects]
        if name == "Add" or (name == "AddUnique" and current is None):
            # A create's AddUnique sets its objects as they are, duplicates kept, as Parse does.
            items += objects
        elif name == "AddUnique":
            # Equal as the query language compares values (canonical): true is not 1, 1 is 1.0.
            held = {canonical(x) for x in items}
            for o in objects:
                if (key_o := canonical(o)) not in held:
                    items.append(o)
                    held.add(key_o)
        else:
            gone = {canonical(o) for o in objects}
            items = [x for x in items if canonical(x) not in gone]
        plan.fields[key] = plan.answers[key] = items
    elif name in ("AddRelation", "RemoveRelation"):
        _relation_op(f.target, f.type, where, key, name, op, plan)
    elif name == "Batch":
        ops = op.get("ops")
        if not isinstance(ops, list) or not all(isinstance(o, Mapping) for o in ops):
            raise ParseError(INVALID_JSON, f"{where}: Batch ops must be an array of operations")
        for sub in ops:
            if sub.get("__op") not in ("AddRelation", "RemoveRelation"):
                raise ParseError(INVALID_JSON, f"{where}: a Batch op may only hold AddRelation/RemoveRelation")
            _relation_op(f.target, f.type, where, key, sub["__op"], sub, plan)
    else:
        raise ParseError(INVALID_JSON, f"unknown op {name!r} for {where}")


def _relation_op(
    target: str | None, ftype: str, where: str, key: str, name: str, op: Mapping[str, Any], plan: WritePlan
) -> None:
    if ftype != "Relation":
        raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected {ftype} but got Relation ({name})")
    objects = op.get("objects")
    if not isinstance(objects, list):
        raise ParseError(INVALID_JSON, f"{where}: {name} needs objects: an array of Pointers")
    ids = []
    for o in objects:
        if not isinstance(o, Mapping):
            raise ParseError(INCORRECT_TYPE, f"{where}: {name} needs Pointers, got {type_name(o)}")
        given = o.get("className")
        if o.get("__type") in ("Pointer", "Object") and not given:
            # Parse reads the Relation's class from its objects: one naming none is no Relation
            # of the field's class (it was written here, and refused by Parse).
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Relation<{target}> but got Relation "
                                             "(an object names no className)")
        if o.get("__type") in ("Pointer", "Object") and given != target:
            # As Parse says it: these objects would make a Relation to another class.
            raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Relation<{target}> but got Relation<{given}>")
        oid = pointer_id(o, target, where)
        if name == "AddRelation" and (not oid or "\x00" in oid):
            # The library refuses such an edge, but only when it is written: after the
            # update's save, which then stayed while the client was told of an error.
            raise ParseError(INVALID_JSON, f"{where}: the target's objectId must be a non-empty string without NUL characters")
        ids.append(oid)
    lists, undone = (plan.add, plan.remove) if name == "AddRelation" else (plan.remove, plan.add)
    kept = lists.setdefault(key, [])
    kept.extend(i for i in dict.fromkeys(ids) if i not in kept)
    # A Batch's ops apply in order: the later of an add and a remove of one object wins
    # (the update makes all adds, then all removes).
    if key in undone:
        undone[key] = [i for i in undone[key] if i not in ids]


# The type each op gives, as Parse Server 9 names it in a schema mismatch.
OP_TYPES = {"Increment": "Number", "Add": "Array", "AddUnique": "Array", "Remove": "Array"}


def _check_server_date(class_name: str, key: str, value: Any) -> None:
    """createdAt/updatedAt in a write body: a Date, null or a Delete (which Parse's check
    passes too), else 111 as Parse says it; a Date whose iso is no date is refused, where Parse
    would drop it unread."""
    if value is None or (isinstance(value, Mapping) and value.get("__op") == "Delete"):
        return
    where = f"{class_name}.{key}"
    op = value.get("__op") if isinstance(value, Mapping) and truthy(value.get("__op")) else None
    # An op is named by the type it gives, as Parse names it (Increment: a Number).
    got = OP_TYPES.get(op, type_name(value)) if isinstance(op, str) else type_name(value)
    if got != "Date":
        raise ParseError(INCORRECT_TYPE, f"schema mismatch for {where}; expected Date but got {got}")
    iso = value.get("iso")
    if not isinstance(iso, str):
        raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Date (a Date is {{__type: 'Date', iso: string}})")
    check_iso(where, iso)


def _double_sum(base: int | float, amount: int | float) -> int | float:
    """An Increment's result as Parse adds (JavaScript's doubles) and as a read gives it: the
    exact sum of whole numbers was answered where the stored double is rounded (1 + 2**53
    answered 9007199254740993, stored and read back 9007199254740992)."""
    try:
        return plain_json(float(base) + float(amount))
    except OverflowError:
        return base + amount  # past every double: the write refuses it ("Number out of range")


def _check_nested_keys(where: str, value: Any) -> None:
    """Parse Server refuses a key holding '$' or '.' inside an Object or Array value, at any
    depth (121): a Parse REST where reads {"meta": {"$gt": 1}} as an operator, so such a value
    could never be found again (the library refuses only the '.', a path's separator)."""
    if isinstance(value, list):
        for v in value:
            _check_nested_keys(where, v)
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and ("$" in k or "." in k):
                raise ParseError(INVALID_NESTED_KEY, f"{where}: Nested keys should not contain the '$' or '.' characters "
                                                     f"(key {k!r})")
            _check_nested_keys(where, v)


def _check_nested_dates(where: str, value: Any, place: str) -> None:
    """A Date inside an Object or Array value whose iso names no date: 111, as on a Date field
    (the library's 107 "the Date object at ... is no date" said the same of it). Parse Server
    takes it unchecked: on PostgreSQL it keeps the object as it came, on MongoDB it stores
    JavaScript's Invalid Date, which the BSON encoder writes as 0, 1970-01-01: a silent change."""
    if isinstance(value, list):
        for i, v in enumerate(value):
            _check_nested_dates(where, v, f"{place}[{i}]")
    elif isinstance(value, Mapping):
        if value.get("__type") == "Date" and date_from(dict(value)) is None:
            at = place or "the top"
            iso = value.get("iso")
            if not isinstance(iso, str):
                raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Date at {at} "
                                                 f"(a Date is {{__type: 'Date', iso: string}})")
            why = OUTSIDE_YEARS if outside_years(iso) else "no ISO-8601 date"
            raise ParseError(INCORRECT_TYPE, f"{where}: this is not a valid Date: its iso {iso!r:.60} at {at} is {why}")
        for k, v in value.items():
            _check_nested_dates(where, v, f"{place}.{k}" if place else str(k))

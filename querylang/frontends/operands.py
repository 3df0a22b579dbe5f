"""Operands: the values a filter compares a field with, checked against the field's type and
normalised as the stored values are (docs/semantics.md#types, docs/semantics.md#dates). The
filter builder (filters.py) and the plan cache (engines/sql/plan_cache.py, which binds new
inputs into a kept plan) check a value the same way through these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from querylang.errors import INCORRECT_TYPE, LimitExceeded, QueryTypeError
from querylang.model.jsvalues import UNDEFINED, JSDate, JSRegex, short, type_name
from querylang.model.operators import BY_NAME, REST_NAMES
from querylang.model.schema import Field, a_type
from querylang.model.values import (
    OUTSIDE_YEARS,
    canonical_base64,
    date_from,
    is_number,
    native,
    no_date_in,
    normalise_json,
    outside_years,
)
from querylang.script.dates import time_clip

REGEX_ONLY = "a regular expression is only valid as a matchesRegex value"

# What a Date field takes, for the errors that refuse an operand (docs/semantics.md#dates).
DATE_FORMS = "give a Date, an ISO-8601 string such as '2024-06-01', or milliseconds since 1970"


def field_value(field: Field, value: object, *, scalar_only: bool) -> Any:
    """An operand checked against the field's type and normalised (docs/semantics.md#types, docs/semantics.md#dates)."""
    ftype = field.type
    value = native(value)
    if value is None:
        return None
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise QueryTypeError(f"'{field.name}': NaN and Infinity are not valid query values")
    if isinstance(value, str):
        check_text(value, f"'{field.name}'")
    if ftype == "String":
        if not isinstance(value, str):
            raise mismatch(field, value)
        return value
    if ftype == "Number":
        if not is_number(value):
            raise mismatch(field, value)
        if isinstance(value, int) and abs(value) > 2**53:
            return double(value, f"'{field.name}'")  # numbers are doubles: 2**53 + 1 means 2**53
        return value
    if ftype == "Boolean":
        if not isinstance(value, bool):
            raise mismatch(field, value)
        return value
    if ftype == "Date":
        if isinstance(value, JSDate) and not value.valid:
            raise QueryTypeError(f"'{field.name}' is a Date: the value is an Invalid Date")
        if isinstance(value, int | float) and not isinstance(value, bool):
            # `Date.now() - 86400000`: milliseconds since 1970 (README Choices 9)
            # An int is compared as it is: math.isfinite(10**400) raised Python's OverflowError.
            if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > 8.64e15:
                raise QueryTypeError(f"'{field.name}' is a Date: {value!r} is not a time in milliseconds")
            # As `new Date(n)` reads it: TimeClip drops the fraction toward zero (0.9999 and
            # -0.5 are 1970-01-01T00:00:00.000Z); to_datetime alone rounded and floored them.
            value = JSDate(time_clip(float(value)))
        if isinstance(value, JSDate | date | str) or (isinstance(value, Mapping) and value.get("__type") == "Date"):
            d = date_from(value)
            if d is None and isinstance(value, JSDate):
                raise QueryTypeError(f"'{field.name}' is a Date: {far_date(value)}")
            if d is None and outside_years(value):  # '9999-12-31T23:30:00-01:00' is in year 10000 in UTC
                raise QueryTypeError(f"'{field.name}' is a Date: {short(value)} is {OUTSIDE_YEARS}")
            if d is None:
                raise QueryTypeError(f"'{field.name}' is a Date: cannot read {short(value)} as a date ({DATE_FORMS})")
            return d
        raise mismatch(field, value)
    if ftype == "Pointer":
        check_pointer_class(value, field)
        if isinstance(value, str | Mapping):
            return object_id(value, f"'{field.name}'")
        raise mismatch(field, value)
    if ftype in ("Array", "Object", "ObjectPath"):
        if isinstance(value, JSRegex):
            raise QueryTypeError(REGEX_ONLY, hint=regex_as_value(value, ftype))
        plain = plain_json(value, field.name)
        if scalar_only and isinstance(plain, dict) and plain.get("__type") == "Date":
            # A Parse Date whose iso is no date stays an object, which no range takes: saying
            # "need a ... date" of what the user wrote as one did not tell what is wrong.
            raise QueryTypeError(f"'{field.name}': cannot read {value!r:.60} as a date")
        if scalar_only and isinstance(plain, list | dict):
            raise QueryTypeError(f"range operators on '{field.name}' need a number, string, boolean or date")
        if (why := no_date_in(plain)) is not None:
            raise QueryTypeError(f"'{field.name}': {why}")
        if ftype == "Object" and not isinstance(plain, dict):
            raise mismatch(field, value)
        return plain
    if ftype == "File":
        return file_name(field, value)
    if ftype == "Bytes":
        return bytes_base64(field, value)
    raise mismatch(field, value)


def file_name(field: Field, value: object) -> str:
    """A File compares by its name: a ``{__type: 'File', name}`` object or the name itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and value.get("__type") == "File" and isinstance(value.get("name"), str):
        check_text(value["name"], f"'{field.name}'")
        return value["name"]
    raise mismatch(field, value)


def bytes_base64(field: Field, value: object) -> str:
    """Bytes compare by value: a ``{__type: 'Bytes', base64}`` operand or the base64 text
    itself (the form the unparser prints), as canonical base64 (values.canonical_base64)."""
    if isinstance(value, Mapping) and value.get("__type") == "Bytes" and set(value) <= {"__type", "base64"}:
        value = value.get("base64")
    if not isinstance(value, str):
        raise mismatch(field, value)
    try:
        return canonical_base64(value)
    except ValueError as exc:
        raise QueryTypeError(f"'{field.name}' is Bytes: {exc}", code=INCORRECT_TYPE) from None


def plain_json(value: object, name: str, depth: int = 0) -> Any:
    """A script value as stored JSON: JSDate → datetime, JSObject → dict, list → list (``name``: the field, for errors)."""
    if depth > 100:
        raise LimitExceeded("value nested too deeply (max 100 levels)")  # a limit of the docs' tables
    value = native(value)
    if isinstance(value, JSDate):
        if not value.valid:
            raise QueryTypeError(f"'{name}' holds an Invalid Date")
        d = date_from(value)
        if d is None:
            raise QueryTypeError(f"'{name}': Date {far_date(value)}")
        return d
    if isinstance(value, date):
        return python_date(value, f"'{name}'")
    if isinstance(value, JSRegex):
        raise QueryTypeError(REGEX_ONLY)
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise QueryTypeError(f"'{name}': NaN and Infinity are not valid query values")
    if isinstance(value, list | tuple):
        return [plain_json(v, name, depth + 1) for v in value if v is not UNDEFINED]
    if isinstance(value, Mapping):
        for k in value:
            # Keys are text too: a lone surrogate in one reached the engine's driver
            # (UnicodeEncodeError on PostgreSQL); a stored key holds neither it nor NUL.
            check_text(str(k), f"'{name}'")
        return normalise_json({str(k): plain_json(v, name, depth + 1) for k, v in value.items() if v is not UNDEFINED})
    if value is UNDEFINED:
        return None
    if not (value is None or isinstance(value, str | int | float)):
        # A Python value with no JSON form (a Decimal, a set, bytes) reached the
        # engine and failed there with a TypeError naming neither the field nor the filter.
        raise QueryTypeError(f"'{name}': {type(value).__name__} {value!r:.60} is not a query value (JSON values and Dates only)")
    if isinstance(value, str):
        check_text(value, f"'{name}'")
    check_int(value, f"'{name}'")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return float(value)  # numbers are doubles (as stored): 2**53 + 1 means 2**53
    return value


def _at(place: str | None) -> str:
    """The start of an error about a value of ``place`` (a quoted field name), if known."""
    return f"{place}: " if place else ""


def python_date(value: date, place: str | None = None) -> datetime:
    """A Python datetime (a naive one is UTC) or date (midnight UTC) as a Date; the same
    instant in every front end (iso_ms alone reads a naive datetime in the machine's zone)."""
    d = date_from(value)
    if d is None:  # its offset moves it past year 1 or 9999: not null, which matches other records
        raise QueryTypeError(f"{_at(place)}{value.isoformat()} is {OUTSIDE_YEARS}")
    return d


def far_date(value: JSDate) -> str:
    """Why a valid script Date is no query value (docs/semantics.md#dates)."""
    return f"{value.iso()} is outside years 1-9999, the years a record's date can hold"


def check_int(value: object, place: str | None = None) -> None:
    """Numbers are doubles: an integer beyond a double's range is an error, not an overflow;
    one within it (2**1010) means its double, as on a Number field and in stored data."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**1023:
        double(value, place or "a value")


def double(value: int, place: str) -> float:
    """An integer operand as the double it means; past a double's range an error naming the place."""
    try:
        return float(value)
    except OverflowError:
        raise QueryTypeError(f"{place}: number out of range (larger than a double holds)") from None


def check_text(value: str, place: str | None = None) -> None:
    """A string operand must be valid Unicode text (no lone surrogates, no NUL); ``place``
    (a quoted field name) starts the error."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryTypeError(f"{_at(place)}a string holds a lone surrogate (not valid Unicode)") from None
    if "\x00" in value:
        raise QueryTypeError(f"{_at(place)}a string holds a NUL character")


def mismatch(field: Field, value: object) -> QueryTypeError:
    """Type-strict comparisons: a wrong operand type is an error, not "no match" (docs/semantics.md#types)."""
    return QueryTypeError(
        f"'{field.name}' is {a_type(field.type)}; {type_name(value)} {short(value)} can never match it",
        code=INCORRECT_TYPE,
        hint=operators_as_value(value) or regex_as_value(value, field.type),
    )


_JS_QUOTE = str.maketrans({"\\": "\\\\", "'": "\\'"})


def regex_as_value(value: object, ftype: str | None) -> str | None:
    """For a regex literal given as a field's value (``{ title: /café/ }``): a script searches
    by a pattern only with matchesRegex, so the hint writes that condition, on a field it
    searches (``ftype`` None: no schema says). As a pattern string and options, not the
    literal: Noodl sends a RegExp operand as ``{}``, which Parse refuses. Without the field's
    name: through a Pointer (``'Owner.title'``) the field is the target's, not the key."""
    if not isinstance(value, JSRegex) or ftype not in (None, "String", "Array", "ObjectPath"):
        return None
    options = "".join(f for f in value.flags if f in "imsx")
    pattern = f"'{value.pattern.translate(_JS_QUOTE)}'"
    return f"a search by pattern is written {{ matchesRegex: {pattern}" + (f", options: '{options}'" if options else "") + " }"


_REST_OF = {op.name: op.rest for op in BY_NAME.values() if op.rest}  # filter word → Parse REST key


def operators_as_value(value: object) -> str | None:
    """For an object whose keys are all operator names (``{greaterThan: 5}``, ``{gt: 5}``): in
    a Parse where without ``$`` (or as any operator's operand) it is a value, so the hint
    spells it as operators. Not "a value to equal": the operand of greaterThan is one too."""
    if not isinstance(value, Mapping) or not value:
        return None
    names, rest = [], []
    for key in value:
        if not isinstance(key, str):
            return None
        if key in _REST_OF:
            names.append(key)
            rest.append(_REST_OF[key])
        elif "$" + key in REST_NAMES:
            names.append(REST_NAMES["$" + key])
            rest.append("$" + key)
        else:
            return None
    return (f"an object of operator names is a value here, not operators; as operators, a filter writes "
            f"{', '.join(names)}, a Parse where {', '.join(rest)}")


def object_id(value: object, what: str, place: str | None = None) -> str:
    """An objectId from a string or a record-like ``{objectId}`` / ``{id}`` (docs/semantics.md#ids);
    text no engine takes is told of ``place`` (a quoted field name), else of ``what``."""
    if type(value) is not str and isinstance(value, Mapping):  # str first: an ABC check is slow
        if value.get("__type") == "Pointer" or "objectId" in value:
            value = value.get("objectId")
        elif "id" in value:
            value = value.get("id")
    if not isinstance(value, str):
        # {"owner": {"ne": "u1"}} in a Parse where is a Pointer field's value too (mismatch's hint).
        raise QueryTypeError(f"{what} needs an objectId string, got {type_name(value)}", hint=operators_as_value(value))
    check_text(value, place or what)
    return value


def check_pointer_class(operand: object, field: Field) -> None:
    """A Pointer literal of another class is an error (docs/semantics.md#pointer-fields)."""
    items = operand if isinstance(operand, list | tuple) else [operand]
    for v in items:
        if isinstance(v, Mapping) and isinstance(v.get("className"), str) and v["className"] != field.target:
            raise QueryTypeError(
                f"'{field.name}' points to {field.target}, not {v['className']}", code=INCORRECT_TYPE
            )


def check_id_class(operand: object, what: str, class_name: str) -> None:
    """idEqualTo / idContainedIn given a Pointer of another class is an error, as a Pointer field
    refuses one (check_pointer_class): it names a record of another class, never one of these."""
    for v in operand if isinstance(operand, list | tuple) else [operand]:
        if isinstance(v, Mapping) and isinstance(v.get("className"), str) and v["className"] != class_name:
            raise QueryTypeError(f"{what} takes ids of {class_name}, not a Pointer to {v['className']}", code=INCORRECT_TYPE)

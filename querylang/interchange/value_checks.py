"""A field's value checked against its type and put in stored form: the one check of a value
that a load, a write and a value read back from an engine's tables all go through
(README, "Interchange format"); what is wrong is a ValueError, which the caller places
(class, record, field).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from querylang.model.jsvalues import described, short, type_name
from querylang.model.values import (
    OUTSIDE_YEARS,
    canonical_base64,
    date_from,
    is_number,
    names_no_date,
    native,
    native_deep,
    no_date_in,
    normalise_json,
    outside_years,
)

_PLAIN = frozenset({str, int, float, bool, list, dict})


def check_value(ftype: str, value: object, target: str | None = None, *, stored: bool = False) -> Any:
    """A value of a field of type ``ftype`` in stored form; ValueError says what is wrong.

    ``None`` (null) is allowed for every type: absent = missing or null (docs/semantics.md#absent).
    ``stored``: a value read back from the engine's tables, which may hold a Date object that
    names no date inside an Array or Object (written before writes refused it, or by Parse
    Server into its own tables): kept as the plain object it is there, as a read must not fail.
    """
    if value is None:
        return None
    if type(value) not in _PLAIN:  # the usual types first: a load checks every value
        value = native(value)
    if ftype == "String":
        if not isinstance(value, str):
            raise ValueError(f"expected a String, got {type_of(value)}")
        check_text(value)
        return value
    if ftype == "Number":
        if not is_number(value):
            raise ValueError(f"expected a Number, got {type_of(value)}")
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            raise ValueError("a Number must be finite (no NaN or Infinity)")
        if isinstance(value, int) and abs(value) > 2**63:
            return _nearest_double(value, "Number out of range")
        return value
    if ftype == "Boolean":
        if not isinstance(value, bool):
            raise ValueError(f"expected a Boolean, got {type_of(value)}")
        return value
    if ftype == "Date":
        d = date_from(value) if isinstance(value, str | dict | datetime) else None
        if d is None and outside_years(value):  # '9999-12-31T23:30:00-01:00' is in year 10000 in UTC
            shown = value.isoformat() if isinstance(value, datetime) else f"{value!r:.60}"
            raise ValueError(f"{shown} is {OUTSIDE_YEARS}")
        if d is None:
            raise ValueError(f"expected a Date (ISO-8601 string or {{__type: 'Date', iso}}), got {described(value, 60)}")
        return d
    if ftype == "Pointer":
        if isinstance(value, str) and value:
            check_text(value)
            return value
        if isinstance(value, Mapping) and isinstance(value.get("objectId"), str) and value["objectId"]:
            cn = value.get("className")
            if cn is not None and cn != target:
                raise ValueError(f"Pointer to class {short(cn)}, but the field points to {target}")
            check_text(value["objectId"])
            return value["objectId"]
        if value == "" or (isinstance(value, Mapping) and value.get("objectId") == ""):
            raise ValueError("the Pointer's objectId is empty")  # "got string" did not say what was wrong
        raise ValueError(f"expected a Pointer (objectId string), got {type_of(value)}")
    if ftype == "Array":
        if not isinstance(value, list):
            raise ValueError(f"expected an Array, got {type_of(value)}")
        return normalise_json(_check_nested(value, stored))
    if ftype == "Object":
        if not isinstance(value, Mapping):
            raise ValueError(f"expected an Object, got {type_of(value)}")
        obj = normalise_json(dict(_check_nested(value, stored)))
        if not isinstance(obj, dict):  # Parse's {__type: 'Date', iso} is a Date, as Parse says too
            raise ValueError("expected an Object, got a Date ({__type: 'Date', iso} is a Date value)")
        return obj
    if ftype == "GeoPoint":
        if not isinstance(value, Mapping):
            raise ValueError(f"expected a GeoPoint {{latitude, longitude}}, got {type_of(value)}")
        lat, lng = value.get("latitude"), value.get("longitude")
        if not (is_number(lat) and is_number(lng)):
            raise ValueError("a GeoPoint needs numeric latitude and longitude")
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # type: ignore[operator]
            raise ValueError("GeoPoint out of range: latitude in [-90, 90], longitude in [-180, 180]")
        return {"latitude": lat, "longitude": lng}
    if ftype in PARSE_TYPE_CHECKS:
        return PARSE_TYPE_CHECKS[ftype](value)
    raise ValueError(f"fields of type {ftype} hold no value")


# --- Parse's own types (README, "Interchange format") -----------------------------------------


def _typed(value: object, kind: str) -> Mapping[str, Any] | None:
    """``value`` as a Parse ``{__type: kind, ...}`` object (``__type`` may be left out), or None."""
    if not isinstance(value, Mapping):
        return None
    t = value.get("__type", kind)
    if t != kind:
        raise ValueError(f"expected a {kind}, got a {{__type: {short(t)}}} object")
    return value


def check_polygon(value: object) -> dict[str, Any]:
    """Parse's ``{__type: 'Polygon', coordinates: [[lat, lng], ...]}`` (or the bare list of
    pairs): at least 3 distinct points in range; the ring may be closed or open."""
    obj = _typed(value, "Polygon")
    coords = obj.get("coordinates") if obj is not None else value
    if obj is not None and set(obj) - {"__type", "coordinates"}:
        raise ValueError(f"a Polygon has only coordinates, not {sorted(set(obj) - {'__type', 'coordinates'})}")
    if not isinstance(coords, list):
        raise ValueError(f"expected a Polygon {{__type: 'Polygon', coordinates: [[latitude, longitude], ...]}}, got {type_of(value)}")
    points = []
    for i, p in enumerate(coords):
        if not (isinstance(p, list) and len(p) == 2 and all(is_number(x) for x in p)):
            raise ValueError(f"Polygon point #{i} must be a [latitude, longitude] pair of numbers")
        lat, lng = p
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError(f"Polygon point #{i} out of range: latitude in [-90, 90], longitude in [-180, 180]")
        points.append([lat, lng])
    if len({(float(a), float(b)) for a, b in points}) < 3:
        raise ValueError("a Polygon needs at least 3 different points")
    return {"__type": "Polygon", "coordinates": points}


def check_file(value: object) -> dict[str, Any]:
    """Parse's ``{__type: 'File', name, url}`` (url optional), or just the name."""
    if isinstance(value, str):
        value = {"name": value}
    obj = _typed(value, "File")
    if obj is None:
        raise ValueError(f"expected a File {{__type: 'File', name, url}}, got {type_of(value)}")
    extra = set(obj) - {"__type", "name", "url"}
    if extra:
        raise ValueError(f"a File has a name and a url, not {sorted(extra)}")
    name, url = obj.get("name"), obj.get("url")
    if not isinstance(name, str) or not name:
        raise ValueError("a File needs a name (a non-empty string)")
    check_text(name)
    out = {"__type": "File", "name": name}
    if url is not None:
        if not isinstance(url, str):
            raise ValueError(f"a File's url must be a string, got {type_of(url)}")
        check_text(url)
        out["url"] = url
    return out


def check_bytes(value: object) -> dict[str, Any]:
    """Parse's ``{__type: 'Bytes', base64}``; kept in canonical base64, so equal bytes are
    equal values (values.canonical_base64)."""
    obj = _typed(value, "Bytes")
    if obj is None or set(obj) - {"__type", "base64"}:
        raise ValueError(f"expected Bytes {{__type: 'Bytes', base64}}, got {type_of(value) if obj is None else sorted(obj)}")
    return {"__type": "Bytes", "base64": canonical_base64(obj.get("base64"))}


def check_acl(value: object) -> dict[str, Any]:
    """Parse's ACL: ``{"*" | userId | "role:Name": {"read"?: true, "write"?: true}}``, kept as given."""
    if not isinstance(value, Mapping):
        raise ValueError(f"an ACL must be an object like {{\"*\": {{\"read\": true}}}}, got {type_of(value)}")
    out: dict[str, Any] = {}
    for who, perms in value.items():
        if not isinstance(who, str) or not who:
            raise ValueError("ACL entries are keyed by '*', a user id or 'role:Name'")
        check_text(who)
        if not isinstance(perms, Mapping) or set(perms) - {"read", "write"}:
            raise ValueError(f"ACL entry {who!r} must be {{\"read\": bool, \"write\": bool}}")
        if not all(isinstance(v, bool) for v in perms.values()):
            raise ValueError(f"ACL entry {who!r}: read and write must be true or false")
        out[who] = dict(perms)
    return out


PARSE_TYPE_CHECKS = {"Polygon": check_polygon, "File": check_file, "Bytes": check_bytes, "ACL": check_acl}


class _NoDate(ValueError):
    """A ``{__type: 'Date'}`` object inside an Array or Object whose iso names no date."""


class _Foreign(ValueError):
    """A number or truth value of another library (numpy's int64) inside an Array or Object."""


def _check_nested(value: Any, stored: bool) -> Any:
    """:func:`_check_json` of an Array or Object field's value, which it returns (with numpy's
    numbers as Python's, :func:`native_deep`). A Date object in it that names no date was
    stored as a plain object, where the same value on a Date field is refused: it is refused
    too, naming its place in the value (``[1]``, ``a.b``)."""
    try:
        try:
            _check_json(value, 0, not stored)
        except _Foreign:
            # Converted only once one is met: a load's plain values are not copied.
            value = native_deep(value)
            _check_json(value, 0, not stored)
        return value
    except _NoDate:
        why = no_date_in(value)
        assert why is not None
        raise ValueError(why) from None


def _check_json(value: object, depth: int = 0, dates: bool = False) -> None:
    """Array/Object contents must be plain JSON: finite numbers, string keys, bounded depth;
    with ``dates``, no Date object that names no date (:class:`_NoDate`)."""
    if depth > 100:
        raise ValueError("nested too deeply (max 100 levels)")
    kind = type(value)  # the usual leaves first, by exact type: the same rules, fewer isinstance calls
    if isinstance(value, str) and kind is str:
        check_text(value)
        return
    if (isinstance(value, int) and kind is int and abs(value) <= 2**63) or kind is bool or value is None:
        return
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ValueError("numbers must be finite")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
        _nearest_double(value, "number out of range")  # normalise_json stores the double
    if isinstance(value, str):
        check_text(value)
    if isinstance(value, datetime) and date_from(value) is None:
        raise ValueError(f"a date outside years 1-9999 in UTC: {value!r:.60}")
    if isinstance(value, list):
        for v in value:
            _check_json(v, depth + 1, dates)
    elif isinstance(value, Mapping):
        if dates and names_no_date(value):
            raise _NoDate()
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("object keys must be strings")
            check_text(k)
            if "." in k:
                # A path (meta.a.b) could not tell the key "a.b" from "b" inside "a"; Parse on
                # MongoDB refuses such keys too (121).
                raise ValueError(f"object key {k!r} contains '.', which a field path reads as nesting")
            _check_json(v, depth + 1, dates)
    elif not (value is None or isinstance(value, bool | int | float | str | datetime)):
        if native(value) is not value:
            raise _Foreign()
        raise ValueError(f"not a JSON value: {type_of(value)}")


def _nearest_double(value: int, message: str) -> float:
    """A whole number past ±2**63 as the double it means (JavaScript's JSON.stringify writes
    1e20 as 100000000000000000000, so Parse exports hold such numbers); one past the range of
    a double is an error."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(message) from None


def check_text(value: str) -> None:
    """Text must be storable UTF-8: no NUL, no lone surrogate halves."""
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text holds a lone surrogate (not valid Unicode)") from None


def type_of(value: object) -> str:
    """``value``'s type in JSON's words, as "expected a Number, got ..." names it."""
    if isinstance(value, tuple):  # type_name calls it an array, which "expected an Array" refuses
        return "tuple (an Array is a list)"
    return type_name(value)

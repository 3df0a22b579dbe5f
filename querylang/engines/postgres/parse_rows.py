"""Rows of Parse's tables, read whole and in table order, as querylang's output records.

psycopg gives each Parse column as: text, float, bool, ISO-8601 text for a timestamptz
(decode.IsoLoader), the jsonb of an Array, Object or Bytes already as Python values, a
``point`` as its text ``(x,y)`` (x = longitude) and a ``polygon`` as its text
``((x1,y1),...)`` (parse_special_types.py reads a Polygon's, File's and Bytes' cells). Columns
that are not fields (``_rperm``, ``_wperm``) are skipped; NULL is a missing value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from psycopg import errors as pge
from psycopg.adapt import Loader

from querylang.engines.duckdb.decode import NUMBER_EXPR, field_lines, number, unpack_line
from querylang.engines.postgres.parse_special_types import CELLS
from querylang.errors import DataError, QueryError
from querylang.model.jsvalues import iso_ms, type_name
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import date_from


class JsonbLoader(Loader):
    """jsonb (text format) → Python values as the DuckDB decoder reads stored JSON
    (decode.read_json, orjson first): psycopg's own loader goes through the json module, most of
    what reading a row of Parse's Arrays, Objects and ACLs costs."""

    def load(self, data: Any) -> Any:
        raw = data if isinstance(data, bytes) else bytes(data)
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _past_double(json.loads(raw))
        # Parse Server writes a double from 2**53 up as JavaScript does, its shortest digits
        # padded with zeros (2**63 as 9223372036854776000), which orjson reads as an int that is
        # not that double: shown as the double, as db.reference shows it. Only a value whose
        # text has 16 digits in a row (2**53 has 16) is walked.
        if _LONG_DIGITS(raw) is not None:
            value = _doubles_past_2_53(value)
        # Parse keeps a Date's iso as its client sent it (microseconds, an offset): shown at its
        # millisecond in toISOString's form, as querylang's stores hold it and db.reference
        # shows it. Only a value whose text names one is walked.
        return _dates_at_ms(value) if b'"Date"' in raw else value


_LONG_DIGITS = re.compile(rb"[0-9]{16}").search


def _doubles_past_2_53(value: Any) -> Any:
    """``value`` with each int from 2**53 up (in magnitude) as the double it names, as
    values.plain_json shows it."""
    if value.__class__ is int:
        return float(value) if not -(2**53) < value < 2**53 else value
    if value.__class__ is list:
        return [_doubles_past_2_53(v) for v in value]
    if value.__class__ is dict:
        return {k: _doubles_past_2_53(v) for k, v in value.items()}
    return value


# What the decoder says of an Array or Object whose jsonb holds a number no double holds.
PAST_DOUBLE = "it holds a number out of range (larger than a double holds)"


class _ListPastDouble(list[Any]):
    """An array holding a number past a double's range: jsonb holds any numeric (a hand edit's
    1e400), a Number does not. Not of the class ``list``, so the decoder's test refuses it and
    names the place, as db.reference does; was a record holding an integer of 400 digits."""


class _DictPastDouble(dict[str, Any]):
    """An object holding a number past a double's range (as _ListPastDouble)."""


def _past_double(value: Any) -> Any:
    """A jsonb value orjson refused, read by the json module: marked when a number in it is
    past a double's range (what orjson refuses in a jsonb text)."""
    if not _holds_past_double(value):
        return value
    if value.__class__ is list:
        return _ListPastDouble(value)
    return _DictPastDouble(value) if value.__class__ is dict else value


def _holds_past_double(value: Any) -> bool:
    # PostgreSQL writes a jsonb number without an exponent: one past a double's range is an int.
    if value.__class__ is int:
        try:
            float(value)
        except OverflowError:
            return True
        return False
    if value.__class__ is list:
        return any(_holds_past_double(v) for v in value)
    if value.__class__ is dict:
        return any(_holds_past_double(v) for v in value.values())
    return False


def _dates_at_ms(value: Any) -> Any:
    """``value`` with each Parse Date object that names a date (values.normalise_json) in the
    form values.plain_json writes it; anything else as it is."""
    if value.__class__ is dict:
        if value.get("__type") == "Date" and len(value) == 2 and "iso" in value:
            d = date_from(value)
            if d is not None:
                return {"__type": "Date", "iso": iso_ms(d)}
        return {k: _dates_at_ms(v) for k, v in value.items()}
    if value.__class__ is list:
        return [_dates_at_ms(v) for v in value]
    return value


def _point(text: str) -> dict[str, Any]:
    x, y = text.strip("()").split(",")
    lat, lng = float(y), float(x)
    # A ``point`` holds any two doubles (a row edited by hand); a GeoPoint only these.
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValueError(f"the point {text} is no GeoPoint: latitude (y) must lie in -90..90 and longitude (x) in -180..180")
    return {"latitude": number(lat), "longitude": number(lng)}


def _number(x: float) -> int | float:
    """A ``double precision`` cell as a Number: NaN and ±Infinity (which the column holds, and
    no Number is) refused, where they would be answered as numbers JSON has not."""
    if x - x != 0:
        raise ValueError(f"{x} is no Number (a Number is finite)")
    return number(x)


def _array(x: Any) -> list[Any]:
    """An Array's jsonb: an array (a column edited by hand can hold any jsonb)."""
    if x.__class__ is not list:
        if isinstance(x, _ListPastDouble):
            raise ValueError(PAST_DOUBLE)
        raise ValueError(f"an Array's column holds {type_name(x)} {str(x)[:40]!r}, not an array")
    return x  # type: ignore[no-any-return]


def _object(x: Any) -> dict[str, Any]:
    """An Object's jsonb: an object (a column edited by hand can hold any jsonb)."""
    if x.__class__ is not dict:
        if isinstance(x, _DictPastDouble):
            raise ValueError(PAST_DOUBLE)
        raise ValueError(f"an Object's column holds {type_name(x)} {str(x)[:40]!r}, not an object")
    return x  # type: ignore[no-any-return]


def _pointer(x: str) -> str:
    """A Pointer's objectId: not empty (a column edited by hand can hold '')."""
    if not x:
        raise ValueError("a Pointer's column holds '', no objectId")
    return x


# The checks written out in the generated decoder (no call per cell); x - x is 0 for finite x only.
_INLINE = {
    _number: lambda v: f"({NUMBER_EXPR.format(v=v)} if {v} - {v} == 0 else _bad_number({v}))",
    _array: lambda v: f"({v} if {v}.__class__ is list else _bad_array({v}))",
    _object: lambda v: f"({v} if {v}.__class__ is dict else _bad_object({v}))",
    _pointer: lambda v: f"({v} or _bad_pointer({v}))",
}


def _date(dt: Any) -> str:
    """The pool's connections already read timestamptz as querylang's ISO text (decode.IsoLoader);
    a datetime comes from a connection without that loader."""
    if not isinstance(dt, str):
        return dt.isoformat("T", "milliseconds") + "Z"
    if len(dt) != 24:  # PostgreSQL's own text of a date beyond querylang's (decode.IsoLoader)
        raise ValueError(f"the date {dt!r} is not one querylang can hold (an instant in years 1-9999)")
    return dt


def stored_row_decoder(cls: ClassDef, columns: Sequence[str],
                       changed: Callable[[], QueryError | None] = lambda: None) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """A row → record function for one class whose rows are read whole (ParseLayout.physical).
    ``changed``: the error to raise instead when a cell cannot be read because its column's type
    changed since the schema was read (None: it did not)."""
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any] | None] = {"Date": _date, "Number": _number, "GeoPoint": _point, "Array": _array,
                                                     "Object": _object, "Pointer": _pointer, **CELLS}
    plan = [(idx[f.name], f.name, convs.get(f.type)) for f in cls.user_fields if f.type != "Relation" and f.name in idx]
    i_id, i_c, i_u = idx["objectId"], idx["createdAt"], idx["updatedAt"]
    # Written out as one function, as the DuckDB decoder is (decode.make_decoder): no loop
    # over the fields per row.
    env: dict[str, Any] = {"_date": _date, "_bad_number": _number, "_bad_array": _array, "_bad_object": _object, "_bad_pointer": _pointer}
    src = ["def decode(row):", unpack_line(len(columns)),
           f"    out = {{'objectId': r{i_id}}}",
           # A NULL date (a row edited by hand) is a missing value, as every NULL of Parse's
           # tables is, not a None in the record (decode.stored_record skips it alike).
           f"    if r{i_c} is not None: out['createdAt'] = _date(r{i_c})",
           f"    if r{i_u} is not None: out['updatedAt'] = _date(r{i_u})",
           *field_lines(plan, env, _INLINE), "    return out"]
    # A cell querylang cannot read (a point past a GeoPoint's range): an error that names the
    # class, record and field, not a bare ValueError (as the DuckDB decoder catches bad JSON).
    env["ValueError"], env["named"] = ValueError, lambda row, e: _named(cls, plan, idx, row, e)
    # A cell of another Python type than the field's (a Date field's column now a number: the
    # field deleted and made again with another type since connecting) fails its converter.
    env["Odd"], env["changed"] = (AttributeError, TypeError), changed
    src = [src[0], "    try:", *("    " + line for line in src[1:]),
           "    except ValueError as e:", "        raise (changed() or named(row, e)) from None",
           "    except Odd as e:", "        raise (changed() or e) from None"]
    exec("\n".join(src), env)  # noqa: S102 - generated from indices and variable names only
    decode: Callable[[Sequence[Any]], dict[str, Any]] = env["decode"]
    return decode


def _named(cls: ClassDef, plan: Sequence[tuple[int, str, Any]], idx: dict[str, int], row: Sequence[Any], e: ValueError) -> DataError:
    """The error for a row the decoder refused: the first field whose converter refuses its cell."""
    for k, name, conv in [(idx["createdAt"], "createdAt", _date), (idx["updatedAt"], "updatedAt", _date), *plan]:
        if conv is not None and row[k] is not None:
            try:
                conv(row[k])
            except ValueError:
                return DataError(str(e), class_name=cls.name, object_id=row[idx["objectId"]], field=name)
    return DataError(str(e), class_name=cls.name, object_id=row[idx["objectId"]])


# The server's words when a query's cast of a jsonb number to a double fails (jsonb holds any
# numeric; parse_layout.typed casts numbers to compare and sort them): it names the number only.
_CAST_FAILED = re.compile(r'"(-?[0-9.]+)" is out of range for type double precision')


def cell_past_double(exc: QueryError, sql: str, schema: Schema, dialect: Any,
                     run: Callable[[str, list[Any]], list[tuple[Any, ...]]]) -> DataError | None:
    """The error naming the class, record and field of the Array or Object cell holding the
    number a query failed to read as a double (1e400, 1e-400), as the decoder names a cell it
    cannot read; None for any other error, or when the cell is not found (gone since). Only
    the tables the statement names are searched, each Array and Object column for the number."""
    said = exc.__cause__ or exc.__context__
    if not isinstance(said, pge.NumericValueOutOfRange):
        return None
    found = _CAST_FAILED.match(said.diag.message_primary or "")
    if found is None:
        return None
    text = found.group(1)
    shown = text if len(text) <= 24 else f"{text[:12]}…{text[-8:]}, {len(text.lstrip('-'))} characters"
    # The fields the statement filters or sorts on first (a row read whole names every column).
    after = sql[sql.find(" FROM "):]
    for name, cls in schema.classes.items():
        table = dialect.quote(dialect.layout.table(name))
        if table not in sql:
            continue
        fields = [f for f in cls.user_fields if f.type in ("Array", "Object")]
        for f in sorted(fields, key=lambda f: dialect.quote(f.name) not in after):
            try:
                rows = run(f"SELECT \"objectId\" FROM {table} WHERE jsonb_path_exists({dialect.quote(f.name)}, "
                           "'$.** ? (@ == $n)', jsonb_build_object('n', %s::numeric)) LIMIT 1", [text])
            except QueryError:
                return None
            if rows:
                return DataError(f"it holds a number out of a double's range ({shown}), which PostgreSQL cannot compare",
                                 class_name=name, object_id=rows[0][0], field=f.name)
    return None


__all__ = ["JsonbLoader", "cell_past_double", "stored_row_decoder"]

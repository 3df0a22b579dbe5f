"""Rows → records: what a query returns, decoded once per class and column list."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date as day
from datetime import datetime
from typing import Any

import orjson

from querylang.engines.duckdb.layout import (
    NULLS_COLUMN,
    quote_ident,
)
from querylang.errors import DataError, QueryError
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef
from querylang.model.values import (
    bytes_value,
    file_value,
    plain_json,
    polygon_value,
)


def number(x: float) -> int | float:
    """A stored double as the records give it: integral values as ints."""
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def _iso_naive(dt: datetime) -> str:
    """A naive UTC TIMESTAMP from DuckDB as ISO-8601 with milliseconds and Z.

    ``isoformat`` is C code: 0.8 µs against 1.3 µs for an f-string, three dates a record.
    """
    return dt.isoformat("T", "milliseconds") + "Z"


def read_json(text: str | bytes) -> Any:
    """Stored JSON text back to values: orjson is 5× faster than json on our small documents;
    json takes over for what orjson refuses (nothing we write, but a file may be older, and
    Parse's jsonb may hold a number past a double's range)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _polygon(text: str) -> dict[str, Any]:
    return polygon_value(read_json(text))


_NAIVE_UTC: Any = object()  # make_decoder's default: dates arrive as naive UTC datetimes (DuckDB)


def make_decoder(
    cls: ClassDef, columns: Sequence[str], date: Any = _NAIVE_UTC, parse_json: Callable[[str], Any] = read_json,
    changed: Callable[[], Exception | None] | None = None, *, dates_given: bool = False,
) -> Any:
    """A row → record function for one class and column list, planned once.

    ``date`` turns a stored date into its ISO text; None where the engine's rows already hold
    the text (PostgreSQL's pool reads timestamptz that way). ``parse_json`` reads the stored
    JSON text of Array, Object, Polygon and ACL columns (another one lets benchmarks/tuning.py
    measure the converters this one replaced). Measured 2.5× faster than looking each field's
    type up per row (benchmarks, Tuning P1). ``changed``: for a cell its converter cannot read
    (an AttributeError, TypeError or QueryError), the error to raise instead when the column's
    type changed since the schema was read (None: it did not), as parse_rows' decoder has it.
    ``dates_given``: the decoder takes ``(row, dates)``, ``dates`` the row's Date cells as
    :func:`page_decoder` formats them (default dates only).
    """
    to_iso: Callable[[Any], Any] | None = _iso_naive if date is _NAIVE_UTC else date
    polygon = _polygon if parse_json is read_json else (lambda text: polygon_value(parse_json(text)))
    idx = {c: k for k, c in enumerate(columns)}
    convs: dict[str, Callable[[Any], Any] | None] = {
        "Array": parse_json, "Object": parse_json, "Date": to_iso, "Number": number,
        "Polygon": polygon, "Bytes": bytes_value, "ACL": parse_json,
    }  # fmt: skip
    plan = [
        (idx[f.name], f.name, convs.get(f.type))
        for f in cls.user_fields
        if f.type not in ("Relation", "GeoPoint", "File")
    ]
    files = [(idx[f.name], idx[f.name + ":url"], f.name) for f in cls.user_fields if f.type == "File"]
    geo = [(idx[f.name + ":lat"], idx[f.name + ":lng"], f.name) for f in cls.user_fields if f.type == "GeoPoint"]
    i_id, i_c, i_u, i_n = idx["objectId"], idx["createdAt"], idx["updatedAt"], idx[NULLS_COLUMN]

    # The decoder is written out as one function for this class and column list (names and
    # converters reach it as variables n<j>/c<j>, never as source text): no loop over the
    # fields, no call per number, date or stored JSON text. Decoding is most of what a query
    # costs the client beyond the driver's own work. The row is unpacked into locals once
    # (one C-level step instead of a subscript per cell).
    env: dict[str, Any] = {"to_iso": to_iso, "file_value": file_value, "loads": orjson.loads}
    src = ["def decode(row, d):" if dates_given else "def decode(row):", unpack_line(len(columns))]
    # The default dates (naive UTC datetimes) are formatted inline: isoformat is C code, a
    # Python function around it was a call per date.
    iso = (lambda x: f"{x}.isoformat('T', 'milliseconds') + 'Z'") if date is _NAIVE_UTC else (lambda x: f"to_iso({x})")
    c, u = f"r{i_c}", f"r{i_u}"
    if dates_given:
        # Each Date cell r<k> arrives formatted as s<k>; only a text other than
        # 'YYYY-MM-DDTHH:MM:SS.mmmZ' (a date on the second, or with microseconds) is made again.
        src.append(f"    ({''.join(f's{k}, ' for k in date_cells(cls, columns))}) = d")
        iso = lambda x: f"(s{x[1:]} if len(s{x[1:]}) == 24 else {x}.isoformat('T', 'milliseconds') + 'Z')"  # noqa: E731
        src.append(f"    out = {{'objectId': r{i_id}, 'createdAt': {iso(c)}, 'updatedAt': {iso(u)}}}")
    elif to_iso is None:
        src.append(f"    out = {{'objectId': r{i_id}, 'createdAt': {c}, 'updatedAt': {u}}}")
    else:
        # A record never changed has updatedAt == createdAt: one date formatted, not two.
        src += [f"    t = {iso(c)}",
                f"    out = {{'objectId': r{i_id}, 'createdAt': t, 'updatedAt': t if {u} == {c} else {iso(u)}}}"]
    inline: dict[Any, Callable[[str], str]] = {}
    if date is _NAIVE_UTC:
        inline[to_iso] = iso
    if parse_json is read_json:
        inline[read_json] = lambda v: f"loads({v})"  # orjson; what it refuses goes through read_json (below)
    inlined_json = parse_json is read_json and any(conv is read_json for _, _, conv in plan)
    src += field_lines(plan, env, inline)
    for j, (a, b, name) in enumerate(geo):
        env[f"g{j}"] = name
        src += [f"    if r{a} is not None:",
                f"        out[g{j}] = {{'latitude': {NUMBER_EXPR.format(v=f'r{a}')}, 'longitude': {NUMBER_EXPR.format(v=f'r{b}')}}}"]
    for j, (a, b, name) in enumerate(files):
        env[f"f{j}"] = name
        src += [f"    if r{a} is not None:", f"        out[f{j}] = file_value(r{a}, r{b})"]
    src += [f"    if r{i_n} is not None:", f"        for name in r{i_n}:", "            out[name] = None", "    return out"]
    if inlined_json:
        # Stored JSON that orjson refuses (an older file, a number past a double's range in
        # Parse's jsonb): the row again with read_json, which falls back to the json module.
        env["JSONDecodeError"] = orjson.JSONDecodeError
        env["slow"] = make_decoder(cls, columns, date, lambda text: read_json(text))
        src = [src[0], "    try:", *("    " + line for line in src[1:]),
               "    except JSONDecodeError:", "        return slow(row)"]
    if changed is not None:
        # In the generated code, not a wrapper around it: a call per row on every read.
        env["Odd"], env["changed"] = (AttributeError, TypeError, QueryError), changed
        src = [src[0], "    try:", *("    " + line for line in src[1:]),
               "    except Odd as e:", "        raise (changed() or e) from None"]
    exec("\n".join(src), env)  # noqa: S102 - generated from indices and variable names only
    decode: Callable[[Sequence[Any]], dict[str, Any]] = env["decode"]
    return decode


def date_cells(cls: ClassDef, columns: Sequence[str]) -> list[int]:
    """The row indices of ``columns``' Date cells: createdAt, updatedAt, then the Date fields."""
    idx = {c: k for k, c in enumerate(columns)}
    return [idx[n] for n in cls.date_names]


PAGE_DATES = 40  # dates in a page from which page_decoder formats them at once
# Rows whose dates one dump formats: the dump and its read back live until those rows are
# decoded, which for a result of many thousand rows held more than the records themselves.
PAGE_ROWS = 1000

# orjson writes a naive datetime as 'YYYY-MM-DDTHH:MM:SS.ffffff' (no fraction when it is 0):
# without OPT_NAIVE_UTC and OPT_UTC_Z, only a date's three zero microsecond digits end its text,
# so only those become the 24 characters page decoding takes as final. Aware dates never get
# here: date_check names their column first.
_DATES_OPTION = 0


# What a Date column altered by hand holds, in the words of the error that names it: by the
# Python type of its cells, and by its type in the catalog (or a statement's description).
_HELD = {str: "text (VARCHAR)", day: "days without a time (DATE)"}
_KINDS = {
    "VARCHAR": "text (VARCHAR)",
    "DATE": "days without a time (DATE)",
    "TIMESTAMP WITH TIME ZONE": "dates with a time zone (TIMESTAMP WITH TIME ZONE)",
}


def date_check(cls: ClassDef, columns: Sequence[str]) -> Callable[[Sequence[Sequence[Any]]], None]:
    """A check of a page of rows (``columns`` of ``cls``) that raises the DataError naming the
    first Date column (createdAt, updatedAt, a Date field) holding anything but the naive UTC
    datetimes of the TIMESTAMP columns querylang makes: a column whose type was changed by hand
    (ALTER TABLE). A column's cells are all of its one type, so its first non-NULL cell of the
    page tells: a look per column and page, not per row. A text column failed with a bare
    AttributeError, or on a page of many dates passed a text of 24 characters through. A
    TIMESTAMP WITH TIME ZONE column is named too, not read: DuckDB compares it with the
    queries' naive UTC dates in the session's time zone, so off UTC a filter on it would
    answer otherwise than the reference evaluator. ``columns`` may hold some of the Date
    columns only (a write's RETURNING gives back the ones it wrote)."""
    idx = {c: k for k, c in enumerate(columns)}
    cells = [(idx[n], n) for n in cls.date_names if n in idx]

    def check(rows: Sequence[Sequence[Any]]) -> None:
        for k, name in cells:
            for r in rows:
                v = r[k]
                if v is not None:
                    if type(v) is not datetime or v.tzinfo is not None:
                        raise altered_date(cls, name, held_by(v))
                    break

    return check


def date_values(cls: ClassDef, name: str, values: Sequence[Any]) -> None:
    """A distinct's or an aggregate's values of the Date column ``name``: the DataError naming
    it when one is not a naive UTC datetime (as :func:`date_check`); they were answered as
    DuckDB gave them (its own text of a VARCHAR, a Python date of a DATE)."""
    for v in values:
        if v is not None and (type(v) is not datetime or v.tzinfo is not None):
            raise altered_date(cls, name, held_by(v))


def unread_dates(cls: ClassDef, columns: Sequence[str], row: Sequence[Any]) -> list[Any]:
    """``row`` (``columns`` of ``cls``) with the cells of its Date fields that :func:`date_check`
    would name left out (None): what a write that shows no stored value reads of a record."""
    out = list(row)
    for k in date_cells(cls, columns)[2:]:  # createdAt, updatedAt first: every record's, still named
        v = out[k]
        if v is not None and (type(v) is not datetime or v.tzinfo is not None):
            out[k] = None
    return out


def held_by(v: Any) -> str:
    """What a Date column altered by hand holds, said from one of its cells."""
    if isinstance(v, datetime):
        return "dates with a time zone (TIMESTAMP WITH TIME ZONE)"
    return _HELD.get(type(v)) or f"{type(v).__name__} values"


def held_as(kind: str) -> str:
    """What a Date column altered by hand holds, said from its type ``kind`` (DuckDB's name)."""
    return _KINDS.get(kind) or f"{kind} values"


def altered_kinds(cls: ClassDef, kinds: Mapping[str, str], names: Sequence[str]) -> DataError | None:
    """The error naming the first Date column of ``names`` whose type in ``kinds`` (column →
    DuckDB's name of its type; a column it lacks is taken as made) does not keep a date as
    TIMESTAMP does, or None."""
    for name in names:
        kind = kinds.get(name, "TIMESTAMP")
        if kind not in _SAME_DATES:
            return altered_date(cls, name, held_as(kind))
    return None


# Types that keep a millisecond date as TIMESTAMP does, and give it back as the same naive
# datetime (the reads take them); TIMESTAMP_S would drop its milliseconds.
_SAME_DATES = frozenset({"TIMESTAMP", "TIMESTAMP_MS", "TIMESTAMP_NS"})


def altered_date(cls: ClassDef, name: str, held: str) -> DataError:
    """The error naming the Date column ``name`` of ``cls``, which holds ``held`` (:func:`held_by`)."""
    return DataError(
        f"its column {name} holds {held}, where querylang makes TIMESTAMP (UTC, no time zone): its type was "
        f"changed outside querylang; change it back (ALTER TABLE {quote_ident(cls.name)} ALTER {quote_ident(name)} "
        "TYPE TIMESTAMP)",
        class_name=cls.name, field=name, code=1,
    )  # fmt: skip


def page_decoder(cls: ClassDef, columns: Sequence[str]) -> Callable[[list[Any]], list[dict[str, Any]]]:
    """Rows (naive UTC dates, as DuckDB gives them) → records, a whole page at once: the same
    records as :func:`make_decoder`'s, one row at a time.

    The page's Date cells are formatted together, PAGE_ROWS rows at a time, by one orjson
    dump (C code, far cheaper a date than isoformat, which was most of a Post's decoding) and
    one read back; naive dates stored to the millisecond, as Parse's are, come out final once
    the dump's three zero microsecond digits are cut, and any other date is formatted by
    isoformat as before. The dump and read
    back cost about what a few dozen dates formatted one by one do (right after the
    statement, as a query decodes), so a page of fewer than PAGE_DATES dates is decoded row by
    row (a date a row, since a record never changed formats updatedAt with createdAt, and one
    per Date field).
    """
    one = make_decoder(cls, columns)
    decode = make_decoder(cls, columns, dates_given=True)
    check = date_check(cls, columns)
    cells = date_cells(cls, columns)
    pick = operator.itemgetter(*cells)
    dumps, loads, option, error = orjson.dumps, orjson.loads, _DATES_OPTION, orjson.JSONEncodeError
    many = PAGE_DATES // (len(cells) - 1)

    def page(rows: list[Any]) -> list[dict[str, Any]]:
        check(rows)
        if len(rows) < many:
            return [one(r) for r in rows]
        if len(rows) > PAGE_ROWS:
            out: list[dict[str, Any]] = []
            for k in range(0, len(rows), PAGE_ROWS):
                out += page(rows[k : k + PAGE_ROWS])
            return out
        try:
            dates = loads(dumps(list(map(pick, rows)), option=option).replace(b'000"', b'Z"'))
        except error:  # not a datetime (DuckDB's TIMESTAMP columns give none): row by row
            return [one(r) for r in rows]
        return list(map(decode, rows, dates))

    return page


# An integral double as an int (within 2**53, where a double is exact), inline (also parse_rows).
NUMBER_EXPR = "(int({v}) if {v}.is_integer() and -" + str(2**53) + " < {v} < " + str(2**53) + " else {v})"


def unpack_line(n: int) -> str:
    """The generated decoder's first line: the row's ``n`` cells into locals r0, r1, … (one
    C-level step instead of a subscript per cell)."""
    return f"    ({', '.join(f'r{k}' for k in range(n))},) = row"


def field_lines(
    plan: Sequence[tuple[int, str, Callable[[Any], Any] | None]],
    env: dict[str, Any],
    inline: Mapping[Any, Callable[[str], str]] | None = None,
) -> list[str]:
    """The lines of a generated decoder (after :func:`unpack_line`) that copy each (row index,
    field name, converter) of ``plan`` into ``out`` when the cell is not NULL: :func:`number`
    and the converters in ``inline`` (converter → its expression of the cell) written out, the
    others called; the names and called converters go into ``env`` as n<j>/c<j>."""
    src = []
    for j, (k, name, conv) in enumerate(plan):
        env[f"n{j}"] = name
        v = f"r{k}"
        if conv is number:
            value = NUMBER_EXPR.format(v=v)
        elif conv is None:
            value = v
        elif inline and conv in inline:
            value = inline[conv](v)
        else:
            env[f"c{j}"] = conv
            value = f"c{j}({v})"
        src += [f"    if {v} is not None:", f"        out[n{j}] = {value}"]
    return src


_DECODERS: dict[tuple[int, tuple[str, ...], int], tuple[ClassDef, Any]] = {}


def decode_row(cls: ClassDef, columns: Sequence[str], row: Sequence[Any], date: Any = _NAIVE_UTC) -> dict[str, Any]:
    """One result row as the record the user gave (dates ISO, pointers ids, nulls kept); the
    decoder is kept per class and column list (callers decode whole tables row by row)."""
    key = (id(cls), tuple(columns), id(date))
    hit = _DECODERS.get(key)
    if hit is None or hit[0] is not cls:  # the same id for another (collected) class: remade
        if len(_DECODERS) >= 256:
            _DECODERS.clear()
        hit = _DECODERS[key] = (cls, make_decoder(cls, columns, date))
    return hit[1](row)  # type: ignore[no-any-return]


def output_record(cls: ClassDef, rec: Mapping[str, Any]) -> dict[str, Any]:
    """The evaluator's normalised record in the same shape as :func:`decode_row` gives."""
    out: dict[str, Any] = {}
    for name, v in rec.items():
        f = cls.fields.get(name)
        if f is None or f.type == "Relation":
            continue
        if v is None:
            out[name] = None
        elif f.type == "Date":
            out[name] = iso_ms(v)
        elif f.type in ("Array", "Object"):
            out[name] = json.loads(json.dumps(plain_json(v), ensure_ascii=False))
        elif f.type == "Number":
            out[name] = number(float(v))
        elif f.type == "GeoPoint":
            out[name] = {"latitude": number(float(v["latitude"])), "longitude": number(float(v["longitude"]))}
        else:
            out[name] = v
    return out


def stored_record(cls: ClassDef, rec: dict[str, Any]) -> dict[str, Any]:
    """A decoded row (dates ISO) as the normalised record the reference evaluator reads."""
    from querylang.interchange.value_checks import check_value
    from querylang.model.values import parse_iso

    out: dict[str, Any] = {}
    for k, v in rec.items():
        f = cls.fields[k]
        if k in ("createdAt", "updatedAt"):
            out[k] = parse_iso(v)
        elif k == "objectId":
            out[k] = v
        else:
            out[k] = check_value(f.type, v, f.target, stored=True)
    return out

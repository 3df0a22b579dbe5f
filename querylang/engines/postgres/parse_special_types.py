"""Parse's Polygon, File and Bytes columns, read and queried in place (docs/parse-in-place.md).

Parse Server on PostgreSQL keeps them otherwise than querylang's own tables (engines/duckdb/
layout.py), each in one column:

* a Polygon as a ``polygon`` of (longitude, latitude) points, its ring closed as Parse wrote it
  (REST answers the ring as stored: its closing point too). polygonContains reads the ring's
  coordinates as one list of doubles from the polygon's text, once per row, closed again where
  a hand edit left it open, as geo.polygon_ring closes it (ring_points);
* a File as ``text``, its name only: Parse builds the URL from its own configuration on each
  read, so a File read in place has a name and no url, as a mongoexport's (importers/
  mongo_export.py); it compares by its name, as everywhere;
* Bytes as ``jsonb``, the REST object itself (``{"__type": "Bytes", "base64"}``), its base64 as
  the client sent it: read, given back and compared by value, in canonical base64, as
  querylang's stores keep it (MongoDB's meaning: Parse Server on MongoDB keeps the bytes).

A cell read is checked as a load checks the value (interchange/value_checks.py): one querylang
cannot hold (a polygon of fewer than 3 points or out of range, an empty file name, text that is
no base64) is an error naming its class, record and field (parse_rows.stored_row_decoder); so is
the empty base64 text, which a load takes as the empty Bytes but Parse never writes (bytes_cell).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

from psycopg import errors as pge

from querylang.engines.duckdb.decode import number
from querylang.errors import DataError, QueryError
from querylang.interchange.value_checks import check_bytes, check_file, check_polygon
from querylang.model.schema import ClassDef, Schema

# The column type Parse Server makes for each (format_type's spelling; parse_store.COLUMN_TYPES).
COLUMN_TYPES = {"Polygon": ("polygon",), "File": ("text", "character varying"), "Bytes": ("jsonb",)}
TYPES = frozenset(COLUMN_TYPES)

# One point of a polygon's text, ``(x,y)``: PostgreSQL writes ``((x1,y1),(x2,y2),...)``.
_POINTS = re.compile(r"\(([^(),]+),([^(),]+)\)")


def ring_points(col: str) -> str:
    """The closed ring of polygon column ``col`` as one row of one double precision[], ``f``,
    the points' coordinates in turn (x1, y1, x2, y2, ...: x the longitude; RING_EDGE), the first
    point repeated at the end unless it is there already (geo.polygon_ring): read from the
    polygon's text once per row (its parentheses dropped, the rest a list of numbers). OFFSET 0
    keeps the reading a step of its own: pulled up, the planner wrote the list's expression
    into every reference to it, reading the text again for each."""
    f = f"string_to_array(translate(({col})::text, '()', ''), ',')::double precision[]"
    return (f"(SELECT CASE WHEN c.f[1] = c.f[cardinality(c.f) - 1] AND c.f[2] = c.f[cardinality(c.f)] "
            f"THEN c.f ELSE c.f || c.f[1:2] END AS f FROM (SELECT {f} AS f OFFSET 0) AS c OFFSET 0)")


# Edge k of ring_points' list: (x1, y1, x2, y2), k from 1 (Dialect.ring_edge).
RING_EDGE = ("pr.f[2 * k - 1]", "pr.f[2 * k]", "pr.f[2 * k + 1]", "pr.f[2 * k + 2]")
# The number of edges of ring_points' list.
RING_EDGES = "cardinality(pr.f) / 2 - 1"


# Base64's letters once values.canonical_base64 has read it (URL-safe letters made standard,
# line breaks and spaces dropped, padding cut): decode() reads them once padded again (it
# refuses base64 without its padding); PostgreSQL's encode() then writes them canonical, a
# newline every 76 characters. Counts, never '?', which the statement would take for a
# placeholder.
_BASE64 = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2,3}){0,1}$"


def base64_sql(col: str) -> str:
    """Bytes' base64 in canonical form, what they compare by, as querylang's stores keep it
    (Parse keeps what its client sent: ``aGVsbG9=``, ``aGVsbG8`` and ``aGVs\\nbG8=`` name the
    bytes of ``aGVsbG8=``, ``-_-_`` those of ``+/+/``, ``==`` none: the empty Bytes, ``''``);
    NULL for a JSON null. Text bytes_cell refuses (``!!!!``, and the empty text, which Parse
    refuses) is its text behind a ``!``, which no canonical base64 holds: equal to no operand,
    yet there, as Parse's count sees it (its record cannot be read)."""
    text = f"({col} ->> 'base64')"
    letters = f"rtrim(translate({text}, E'-_ \\t\\n\\r', '+/'), '=')"  # values._BASE64_FOLD
    padded = f"rpad({letters}, (length({letters}) + 3) / 4 * 4, '=')"
    readable = f"{letters} ~ '{_BASE64}' AND {text} <> ''"
    canonical = f"translate(encode(decode({padded}, 'base64'), 'base64'), E'\\n', '')"
    return f"(CASE WHEN {readable} THEN {canonical} ELSE '!' || {text} END)"


def column_sql(col: str, ftype: str, part: str) -> str | None:
    """A Polygon's, File's or Bytes' column, or its part, as the compiler asks for it (None: not
    one of theirs). A Polygon's ring lists (':lat', ':lng') are the column itself: the dialect's
    ring methods read the ring from it (ring_points), once per row."""
    if ftype == "Polygon" and part in (":lat", ":lng"):
        return col
    if ftype == "Bytes" and part == "":
        return base64_sql(col)  # what Bytes compare by
    return None


def output_sql(col: str, ftype: str, column: str) -> str | None:
    """The output column of a class read through querylang's own layout's columns (one with
    secrets: ParseLayout.output_columns), as its cell, which :func:`checked_decoder` reads; a
    File's url none (None: not one of theirs)."""
    if column.endswith(":url"):
        return "NULL::text"
    if ftype == "Polygon":
        return f"({col})::text"
    return col if ftype in TYPES else None


def checked_decoder(cls: ClassDef, columns: Sequence[str],
                    make: Callable[[ClassDef, Sequence[str]], Callable[[Sequence[Any]], dict[str, Any]]]
                    ) -> Callable[[Sequence[Any]], dict[str, Any]]:
    """The decoder ``make`` writes for querylang's own layout's columns (decode.make_decoder),
    with its Polygon, File and Bytes cells read by :data:`CELLS`, as in a row read whole, and a
    cell they refuse an error naming the class, record and field, as parse_rows' decoder names
    it (``make``'s own converters read querylang's cells: a Polygon's JSON, Bytes' base64)."""
    special = [(f.name, CELLS[f.type]) for f in cls.user_fields if f.type in TYPES]
    if not special:
        return make(cls, columns)
    # Given to ``make`` as Strings: the cells come through as read.
    raw = dataclasses.replace(cls, fields={n: dataclasses.replace(f, type="String") if f.type in TYPES else f
                                           for n, f in cls.fields.items()})
    base = make(raw, columns)

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        out = base(row)
        for name, cell in special:
            value = out.get(name)
            if value is not None:
                try:
                    out[name] = cell(value)
                except (ValueError, TypeError, AttributeError) as exc:
                    raise DataError(str(exc), class_name=cls.name, object_id=out.get("objectId"), field=name) from None
        return out

    return decode


def polygon_cell(text: str) -> dict[str, Any]:
    """A ``polygon``'s text as Parse's REST answers it: [latitude, longitude] pairs as stored."""
    points = [[number(float(y)), number(float(x))] for x, y in _POINTS.findall(text)]
    return check_polygon({"__type": "Polygon", "coordinates": points})


def file_cell(name: str) -> dict[str, Any]:
    """A File's column, its name: the File without a url (Parse keeps none in its table)."""
    return check_file({"__type": "File", "name": name})


def bytes_cell(value: Any) -> dict[str, Any]:
    """Bytes' jsonb, Parse's REST object, in canonical base64 as querylang's stores hold it."""
    if value.__class__ is not dict:
        raise ValueError(f"a Bytes column holds {str(value)[:40]!r}, not {{__type: 'Bytes', base64}}")
    if value.get("base64") == "":
        # Parse on PostgreSQL keeps the text its client sent, and refuses the empty text, so
        # only a hand edit writes one: base64_sql holds it equal to no Bytes, as to no read.
        raise ValueError("Bytes base64 must not be empty (Parse Server refuses it: 'This is not a valid Bytes')")
    return check_bytes(value)


CELLS = {"Polygon": polygon_cell, "File": file_cell, "Bytes": bytes_cell}


def polygon_past_range(exc: QueryError, sql: str, schema: Schema, dialect: Any,
                       run: Callable[[str, list[Any]], list[tuple[Any, ...]]]) -> DataError | None:
    """The error naming the class, record and field of a polygon with a point past a
    coordinate's range (a hand edit: Parse refuses one), for a statement whose polygonContains
    overflowed a double on it (the server's error names neither, and read as a sum's), as the
    decoder names the cell; None for any other error, or when no such polygon is found (gone
    since). Only the Polygon columns of the tables the statement names are searched."""
    said = exc.__cause__ or exc.__context__
    if not isinstance(said, pge.NumericValueOutOfRange):
        return None
    for name, cls in schema.classes.items():
        table = dialect.quote(dialect.layout.table(name))
        if table not in sql:
            continue
        for f in cls.user_fields:
            if f.type != "Polygon":
                continue
            col = dialect.quote(f.name)
            coords = f"string_to_array(translate({col}::text, '()', ''), ',')::double precision[]"
            # Odd places hold longitudes, even ones latitudes; a NaN is past every bound.
            past = (f"SELECT \"objectId\", {col}::text FROM {table} WHERE EXISTS (SELECT 1 FROM unnest({coords}) "
                    "WITH ORDINALITY AS u(v, i) WHERE abs(u.v) > CASE WHEN u.i / 2 * 2 = u.i THEN 90 ELSE 180 END) LIMIT 1")
            try:
                rows = run(past, [])
            except QueryError:
                return None
            for oid, text in rows:
                try:
                    polygon_cell(text)
                except ValueError as e:
                    return DataError(str(e), class_name=name, object_id=oid, field=f.name)
    return None

__all__ = ["CELLS", "COLUMN_TYPES", "RING_EDGE", "RING_EDGES", "TYPES", "checked_decoder", "column_sql", "output_sql",
           "polygon_past_range", "ring_points"]

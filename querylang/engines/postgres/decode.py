"""Rows from PostgreSQL back to records, as the DuckDB store's decoder gives them.

Dates arrive as ISO text already: the pool's connections read ``timestamptz`` with
:class:`IsoLoader`, which rewrites PostgreSQL's output (``2024-03-01 23:30:00.12+00``, the
session time zone being UTC) into querylang's form (``2024-03-01T23:30:00.120Z``) by slicing,
instead of building a datetime and printing it again (most of the cost of reading a row).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzBinaryLoader, TimestamptzLoader

from querylang.engines.duckdb import decode as duck_decode
from querylang.errors import DataError
from querylang.interchange.value_checks import check_value
from querylang.model.jsvalues import iso_ms
from querylang.model.schema import ClassDef
from querylang.model.values import parse_iso


class IsoLoader(Loader):
    """timestamptz (text format, session time zone UTC) → querylang's ISO-8601 text."""

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._slow = TimestamptzLoader(oid, context)

    def load(self, data: Any) -> str:
        s = bytes(data).decode()
        # The usual form: 'YYYY-MM-DD HH:MM:SS[.f{1,6}]+00'; anything else (a year past 9999,
        # BC, a zone that is not UTC) goes the long way.
        if len(s) >= 22 and s.endswith("+00") and s[10] == " " and s[4] == "-":
            body = s[:-3]
            frac = body[20:] if len(body) > 19 else ""
            return f"{body[:10]}T{body[11:19]}.{(frac + '000')[:3]}Z"
        try:
            return iso_ms(self._slow.load(data))  # iso_ms turns it to UTC
        except psycopg.DataError:
            # A date no datetime holds (infinity, a year past 9999 or BC: a Parse table edited by
            # hand): PostgreSQL's text as it is, which the row's reader refuses naming class,
            # record and field (parse_rows._date), where an error here names none of them.
            return s


class IsoBinaryLoader(Loader):
    """timestamptz in binary results → the same ISO-8601 text as :class:`IsoLoader` gives.

    Only raw dates read in binary come here (a ``min``/``max``/``distinct`` of a Date): the
    dates of records are formatted by the server (dialect.output_sql)."""

    format = Format.BINARY

    def __init__(self, oid: int, context: Any = None) -> None:
        super().__init__(oid, context)
        self._datetime = TimestamptzBinaryLoader(oid, context)

    def load(self, data: Any) -> str:
        return iso_ms(self._datetime.load(data))


def make_decoder(cls: ClassDef, columns: Sequence[str], changed: Callable[[], Exception | None] | None = None) -> Any:
    """A row → record function for one class and column list: the DuckDB decoder, since the
    layouts share their columns, with dates already ISO text (IsoLoader); ``changed`` as there."""
    return duck_decode.make_decoder(cls, columns, date=None, changed=changed)


def decode_row(cls: ClassDef, columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    return duck_decode.decode_row(cls, columns, row, date=None)


def stored_record(cls: ClassDef, rec: dict[str, Any]) -> dict[str, Any]:
    """A decoded row (dates ISO) as a normalised record (dates as datetimes)."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        if k in ("createdAt", "updatedAt"):
            if v is not None:  # NULL in a table edited by hand: missing, as parse_rows reads it
                out[k] = parse_iso(v)
        elif k == "objectId":
            out[k] = v
        else:
            f = cls.fields[k]
            try:
                out[k] = check_value(f.type, v, f.target, stored=True)
            except ValueError as e:  # a cell no record holds (a table edited by hand): say where
                raise DataError(str(e), class_name=cls.name, object_id=rec.get("objectId"), field=k) from None
    return out

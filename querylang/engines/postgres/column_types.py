"""A column of querylang's own tables whose type was changed outside querylang (``ALTER TABLE
"Post" ALTER "likes" TYPE numeric``), said as such when a read cannot decode its cells.

querylang makes every column itself (layout.py) and never changes its type. A Number read from a
``numeric`` column arrives as a Decimal, which no record holds: the decoder failed with Python's
AttributeError. It is not read as a Number instead: a numeric holds values no double does (past
its range, more digits, NaN), which the queries' SQL (compared as doubles) and the reference
evaluator would then tell apart. Only asked when a cell cannot be decoded: a query pays nothing.
"""

from __future__ import annotations

from typing import Any

import psycopg

from querylang.engines.postgres.layout import field_columns, ident, quote
from querylang.errors import DataError
from querylang.model.schema import ClassDef

# The spelling of format_type() for the types layout.py makes.
_SPELLED = {'text COLLATE "C"': "text", 'text[] COLLATE "C"': "text[]", "timestamptz": "timestamp with time zone",
            "timestamptz[]": "timestamp with time zone[]"}


def made_as(kind: str) -> str:
    """A type layout.py makes, as format_type() spells it."""
    return _SPELLED.get(kind, kind)


def altered(con: psycopg.Connection[Any], cls: ClassDef) -> DataError | None:
    """The error naming the first field of ``cls`` one of whose columns is not of the type
    querylang made it with (the type found, the one made), or None when none is."""
    rows = con.execute(
        "SELECT a.attname, format_type(a.atttypid, NULL) FROM pg_attribute a "
        "WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped",
        [quote(cls.name)],
    ).fetchall()
    found = dict(rows)
    for f in cls.user_fields:
        for column, kind in field_columns(f):
            now = found.get(ident(column))
            if now is not None and now != made_as(kind):
                return DataError(
                    f"its column {column} is {now}, where querylang makes {made_as(kind)}: its type was changed "
                    f"outside querylang; change it back (ALTER TABLE {quote(cls.name)} ALTER {quote(column)} TYPE {made_as(kind)})",
                    class_name=cls.name, field=f.name, code=1)
    return None

"""Parse Server's own PostgreSQL tables, as the generic compiler reads them (in place, read-only).

Parse keeps one table per class (``_SCHEMA`` lists them), with none of the helper columns our
own layouts keep (layout.py): Arrays and Objects are single ``jsonb`` columns, a GeoPoint is a
``point`` (x = longitude, y = latitude), a Pointer is the bare objectId, Dates are
``timestamptz``, NULL means missing, and a Relation's edges sit in
``"_Join:<key>:<Class>"("relatedId", "owningId")``. So every helper column the compiler asks for
is an expression over Parse's column (:meth:`ParseDialect.column_sql`), and every list, path and
word operation reads the ``jsonb`` / ``text`` directly, keeping querylang's meaning
(docs/semantics.md), not Parse-on-PostgreSQL's:

* an Array element test is jsonb equality of elements (jsonb ``=`` is querylang's canonical
  equality: key-order-insensitive, 1 = 1.0, type-strict), never ``@>`` (containment: an object
  element ``{"a":1,"b":2}`` "contains" ``{"a":1}``);
* typed element and path values are read only from elements of that JSON type, so no cast ever
  meets a non-number; a Date inside an Array or Object is Parse's ``{"__type": "Date", "iso"}``
  with the ``toISOString`` form Parse writes;
* an Object path 'a.b' passes only through objects (arrays are leaves, and so is a Date
  object), as values.flatten walks it;
* strings compare and sort in code-point order whatever the database's collation
  (``COLLATE "C"`` where the database's is not already code-point order: then text columns
  cannot use Parse's indexes);
* text search words are found with a regular expression over the text (features/text.py's
  words are runs of Unicode letters and digits): exact for ``caseSensitive`` /
  ``diacriticSensitive`` searches and for the folded words of non-English searches; the English
  stemmed search computes each row's stems in the query (parse_words.stems_hold, the Snowball
  steps of parse_stems.py), once the store has checked them against the Python stemmer on the
  server (:attr:`ParseDialect.stem_probe`), and is refused with the reason when they differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from querylang.engines.postgres.dialect import PostgresDialect
from querylang.engines.postgres.parse_words import fold_pattern, stems_hold, word_pattern
from querylang.errors import QueryError
from querylang.model.schema import ClassDef, Schema

MAX_IDENT = 63
# A Date inside jsonb as Parse writes it (Date.toISOString); the canonical form of querylang's dates.
_ISO_MS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


def is_date(x: str) -> str:
    """``x`` (jsonb) is a Parse Date object, as values.normalise_json turns into a date."""
    return (
        f"(jsonb_typeof({x}) = 'object' AND ({x} - '__type' - 'iso') = '{{}}'::jsonb "
        f"AND {x} ->> '__type' = 'Date' AND jsonb_typeof({x} -> 'iso') = 'string' AND ({x} ->> 'iso') ~ '{_ISO_MS}')"
    )


def typed(x: str, kind: str | None) -> str:
    """The value of jsonb ``x`` if it is of querylang's type class ``kind`` (None: ``x`` as it is)."""
    if kind is None:
        return x
    if kind == "number":
        return f"(CASE WHEN jsonb_typeof({x}) = 'number' THEN ({x} #>> '{{}}')::double precision END)"
    if kind == "string":
        return f"(CASE WHEN jsonb_typeof({x}) = 'string' THEN ({x} #>> '{{}}') END) COLLATE \"C\""
    if kind == "bool":
        return f"(CASE WHEN jsonb_typeof({x}) = 'boolean' THEN ({x} #>> '{{}}')::boolean END)"
    if kind == "date":
        return f"(CASE WHEN {is_date(x)} THEN ({x} ->> 'iso')::timestamptz END)"
    raise ValueError(kind)


def index_name(table: str, column: str, code_points: bool = False, *, shared: bool = False) -> str:
    """A name of at most 63 bytes for the index :func:`missing_indexes` proposes;
    ``code_points``: the index is ``COLLATE "C"`` (its name ends ``_C``, apart from an index of
    the column's own collation that an earlier doctor may have made).

    ``shared``: another table and column make the same name (``"A"."x_y"`` and ``"A_x"."y"``
    both ``ql_A_x_y``), so the name ends with a hash of this pair: with one name, the second
    ``CREATE INDEX ... IF NOT EXISTS`` would be skipped."""
    name = f"ql_{table}_{column}{'_C' if code_points else ''}".replace('"', "")
    raw = name.encode()
    if len(raw) <= MAX_IDENT and not shared:
        return name
    key = f"{table}\0{column}\0{code_points}".encode() if shared else raw
    return f"{raw[:48].decode(errors='ignore')}_{hashlib.sha256(key).hexdigest()[:12]}"


class ParseLayout:
    """querylang class names ↔ Parse's tables (dialect.Layout). A class Parse names ``_User``
    may be known to querylang by another name (model/parse_types.py decides)."""

    def __init__(self, tables: dict[str, str], physical: dict[str, list[str]] | None = None) -> None:
        self.tables = tables  # querylang class name → Parse table
        # querylang class → its table's columns in table order, for the classes whose every
        # column querylang may read (no secrets): reading a whole row in table order lets
        # PostgreSQL skip a projection per scanned row, a large share of a sort over a scan.
        self.physical = physical or {}

    def table(self, class_name: str) -> str:
        return self.tables.get(class_name, class_name)

    @staticmethod
    def column(field_name: str, part: str = "") -> str:
        return field_name  # helper parts are expressions (ParseDialect.column_sql)

    def join_table(self, owner_class: str, key: str) -> str:
        return f"_Join:{key}:{self.table(owner_class)}"

    def output_columns(self, cls: ClassDef) -> list[str]:
        """The table's own columns in table order (rows as Parse stores them: decoder.py), or,
        for a class with columns querylang must not read, our layout's output columns."""
        whole = self.physical.get(cls.name)
        if whole is not None:
            return list(whole)
        from querylang.engines.duckdb.layout import output_columns

        return output_columns(cls)


class ParseDialect(PostgresDialect):
    """PostgreSQL over Parse's tables: the helper columns as expressions, lists and paths in jsonb."""

    name = "PostgreSQL (Parse tables, in place)"
    small_list = 0
    edge_columns = ('"owningId"', '"relatedId"')
    # Parse's tables have an index on objectId and nothing else the planner would rather use:
    # the held records are looked up by id, as Parse Server itself does after reading its _Join
    # table, not found by a hash join over the whole class (which PostgreSQL's default costs
    # prefer once the class has a few thousand rows).
    edge_ids_as_array = True
    # Set by the store: asks the server why its stems would differ from text.stems (None: they
    # do not); asked once, at the first English stemmed search.
    stem_probe: Callable[[], str | None] | None = None
    _stem_verdict: tuple[str | None] | None = None

    def __init__(self, schema: Schema, layout: ParseLayout, *, code_point_order: bool = False) -> None:
        self.schema = schema
        self.layout = layout  # type: ignore[assignment]
        # The database's own collation already orders text by code point (C, POSIX, C.UTF-8):
        # no COLLATE "C" needed, and Parse's objectId index keeps serving equality and order.
        self.code_point_order = code_point_order

    def _type(self, class_name: str, name: str) -> str | None:
        cls = self.schema.classes.get(class_name)
        f = cls.get(name) if cls is not None else None
        return f.type if f is not None else None

    # --- columns ----------------------------------------------------------------------------

    def column_sql(self, alias: str, name: str, part: str = "", class_name: str = "") -> str:
        col = f"{alias}.{self.quote(name)}"
        if part == ":lat":
            return f"{col}[1]"
        if part == ":lng":
            return f"{col}[0]"
        ftype = self._type(class_name, name)
        if (not self.code_point_order and part in ("", ":tx", ":fx", ":wx")
                and ftype in ("String", "Pointer")):
            return f'({col} COLLATE "C")'
        if part == "" and ftype in ("Array", "Object"):
            # A JSON null in the column (Parse itself writes SQL NULL; a hand edit or another
            # tool may write 'null') is a missing value, as the rows' decoder reads it
            # (parse_rows.py): absent for exists and equalTo null. The list and path methods
            # read only an array or an object, and no whole value compares equal to 'null'.
            # Parse indexes no jsonb column, so no index is lost.
            return f"NULLIF({col}, 'null'::jsonb)"
        return col

    def output_sql(self, alias: str, column: str, class_name: str = "", ftype: str | None = None) -> str:
        if class_name in self.layout.physical:  # type: ignore[attr-defined]
            return f"{alias}.{self.quote(column)}"  # the row as stored (ParseLayout.physical)
        if column.endswith(":lat") or column.endswith(":lng"):
            return self.column_sql(alias, column[:-4], column[-4:], class_name)
        if column.startswith(":"):  # the nulls list: Parse keeps no explicit null
            return "NULL::text[]"
        if self._type(class_name, column) in ("Array", "Object"):
            return f"{alias}.{self.quote(column)}::text"
        return f"{alias}.{self.quote(column)}"

    # --- Array fields: one jsonb array ------------------------------------------------------

    @staticmethod
    def _elements(col: str) -> str:
        return f"jsonb_array_elements(CASE WHEN jsonb_typeof({col}) = 'array' THEN {col} END) AS x(v)"

    def list_contains(self, col: str) -> str:
        return f"EXISTS (SELECT 1 FROM {self._elements(col)} WHERE x.v = ?::jsonb)"

    def list_has_any(self, col: str, n: int) -> str:
        return f"EXISTS (SELECT 1 FROM {self._elements(col)} WHERE x.v = ANY(?::text[]::jsonb[]))"

    def list_has_all(self, col: str, n: int) -> str:
        return (f"NOT EXISTS (SELECT 1 FROM unnest(?::text[]::jsonb[]) AS w(v) "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self._elements(col)} WHERE x.v = w.v))")

    def list_within(self, col: str, n: int) -> str:
        return f"NOT EXISTS (SELECT 1 FROM {self._elements(col)} WHERE NOT (x.v = ANY(?::text[]::jsonb[])))"

    def list_empty(self, col: str) -> str:
        return f"(jsonb_typeof({col}) = 'array' AND jsonb_array_length({col}) = 0)"

    def list_extreme(self, col: str, kind: str, largest: bool) -> str:
        value = typed("x.v", kind)
        if kind == "bool":
            agg = "bool_or" if largest else "bool_and"
        else:
            agg = "max" if largest else "min"
        return f"(SELECT {agg}({value}) FROM {self._elements(col)})"

    def list_any_regex(self, col: str) -> str:
        return f"EXISTS (SELECT 1 FROM {self._elements(col)} WHERE {typed('x.v', 'string')} ~ ?::text)"

    # --- Object paths: jsonb #> path, through objects only ----------------------------------

    def object_path(self, col: str, kind: str | None, key: str) -> tuple[str, list[Any]]:
        segs = key.split(".")
        conds = [f"jsonb_typeof({col}) = 'object'", f"NOT {is_date(col)}"]
        params: list[Any] = []
        for i in range(1, len(segs)):
            step = f"({col} #> ?::text[])"
            cond = f"(jsonb_typeof({step}) = 'object' AND NOT {is_date(step)})"
            conds.append(cond)
            params += [segs[:i]] * cond.count("?")
        inner = typed(f"({col} #> ?::text[])", kind)
        params += [segs] * inner.count("?")
        return f"(CASE WHEN {' AND '.join(conds)} THEN {inner} END)", params

    def is_array_value(self, expr: str) -> str:
        return f"jsonb_typeof({expr}) = 'array'"

    # --- text search ------------------------------------------------------------------------

    def words_hold(self, col: str, part: str, tokens: list[str]) -> tuple[str, list[Any]]:
        if part == ":wx":
            return f"({col} ~ ?::text)", [word_pattern(tokens)]
        if part == ":fx":
            return f"({col} ~ ?::text)", [fold_pattern(tokens)]
        if self._stem_verdict is None:
            self._stem_verdict = (self.stem_probe() if self.stem_probe is not None else "no server to check them on",)
        why = self._stem_verdict[0]
        if why is not None:
            raise QueryError(
                "text search with English stemming cannot be answered on these Parse tables in place: "
                f"querylang computes the Snowball stems in SQL, but {why}. Search with caseSensitive or "
                "diacriticSensitive, or with language 'none' (folded words, no stemming), or import the "
                "data (querylang import parse-server)",
                code=1,
            )
        return stems_hold(col, tokens)


"""Parse Server's own PostgreSQL tables, as the generic compiler reads them (in place, read-only).

Parse keeps one table per class (``_SCHEMA`` lists them), with none of the helper columns our
own layouts keep (layout.py): Arrays and Objects are single ``jsonb`` columns, a GeoPoint is a
``point`` (x = longitude, y = latitude), a Pointer is the bare objectId, Dates are
``timestamptz``, NULL means missing, and a Relation's edges sit in
``"_Join:<key>:<Class>"("relatedId", "owningId")`` (a Polygon, File or Bytes column:
parse_special_types.py). So every helper column the compiler asks for
is an expression over Parse's column (:meth:`ParseDialect.column_sql`), and every list, path and
word operation reads the ``jsonb`` / ``text`` directly, keeping querylang's meaning
(docs/semantics.md), not Parse-on-PostgreSQL's:

* an Array element test is jsonb equality of elements (jsonb ``=`` is querylang's canonical
  equality: key-order-insensitive, 1 = 1.0, type-strict), never ``@>`` (containment: an object
  element ``{"a":1,"b":2}`` "contains" ``{"a":1}``), a Date element or path value in its
  canonical form first, at any depth (:func:`deep_canonical`);
* typed element and path values are read only from elements of that JSON type, so no cast ever
  meets a non-number; a Date inside an Array or Object is Parse's ``{"__type": "Date", "iso"}``
  with any ISO-8601 text values.parse_iso reads (Parse stores the iso a client sends), at its
  millisecond;
* an Object path 'a.b' is read through objects (a Date object is a leaf), as values.flatten
  walks it; a path on through an array reads each element of it (path_through, as on
  querylang's own tables);
* strings compare and sort in code-point order whatever the database's collation
  (``COLLATE "C"`` where the database's is not already code-point order: then text columns
  cannot use Parse's indexes);
* text search words are found with a regular expression over the text (features/text.py's
  words are runs of Unicode letters and digits): as written for a search with both
  ``caseSensitive`` and ``diacriticSensitive``, folded by the one flag's rule for a search with
  one (parse_words.flag_fold_pattern), and for the folded words of non-English searches; the English
  stemmed search computes each row's stems in the query (parse_words.stems_hold, the Snowball
  steps of parse_stems.py), once the store has checked them against the Python stemmer on the
  server (:attr:`ParseDialect.stem_probe`), and is refused with the reason when they differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from querylang.engines.postgres import parse_special_types as special_types
from querylang.engines.postgres.dialect import PostgresDialect
from querylang.engines.postgres.parse_words import (
    flag_fold_pattern,
    fold_pattern,
    stems_hold,
    word_pattern,
)
from querylang.errors import QueryError
from querylang.features import text
from querylang.model.schema import ClassDef, Schema

MAX_IDENT = 63
# A Date inside jsonb keeps the iso its client sent (Parse writes toISOString's form; other
# clients send microseconds or an offset): every form values.parse_iso reads is a date at its
# millisecond, every other text none. Read inline, with no sub-query: a sub-query per Date test
# raises the planner's cost of a scan past jit_above_cost, and compiling the long expressions
# costs more than the query. The patterns hold no '?' (the compiler's parameter mark).
#
# Four digits naming a year 1..9999 (parse_iso also reads a '+' and up to two leading zeros
# before them); a month and a day that exist in every month (up to 28); a time that exists.
_YEAR = r"([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_ANY_MONTH_DAY = r"(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
_TIME = r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
# toISOString's form, nearly every Date Parse writes: read by a cast.
_ISO_MS = "^" + _YEAR + "-" + _ANY_MONTH_DAY + _TIME + r"\.[0-9]{3}Z$"
# Another fraction (none, or up to the microseconds PostgreSQL keeps exactly) and UTC written
# either way, as other clients write it (Python's isoformat): a cast, then its millisecond.
_ISO_UTC = "^" + _YEAR + "-" + _ANY_MONTH_DAY + _TIME + r"(\.[0-9]{1,6}){0,1}(Z|[+-]00:{0,1}00)$"
_LEAP_YEAR = r"([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)"
# Every form parse_iso reads naming a day, time and offset that exist (no Feb 30, hour 24 or
# second 60, which a cast would refuse with an error).
_ISO_VALID = (
    r"^[[:space:]]*[+]{0,1}0{0,2}(" + _YEAR + r"-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)"
    r"|(0[13578]|1[02])-31)|" + _LEAP_YEAR + r"-02-29)"
    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9}){0,1}){0,1}"
    r"(Z|[+-]([01][0-9]|2[0-3]):{0,1}[0-5][0-9]){0,1}){0,1}[[:space:]]*$"
)
# A valid text's parts as PostgreSQL reads them: 1 the date, 2 the time, 4 the fraction to its
# millisecond (the earlier group takes the longest match: ".123" of ".123456"), 6-8 the offset's
# sign, hours and minutes (applied by arithmetic: a timestamptz takes offsets up to 15:59 only).
_ISO_PLAIN = (r"^[[:space:]]*[+]{0,1}0{0,2}([0-9]{4}-[0-9]{2}-[0-9]{2})([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}){0,1}){0,1}"
              r"(\.[0-9]{1,3}){0,1}[0-9]*(Z|([+-])([0-9]{2}):{0,1}([0-9]{2})){0,1}[[:space:]]*$")


def _general_date(iso: str) -> str:
    """The instant of a valid ISO text ``iso`` (an expression), at its millisecond; NULL when its
    offset moves it out of years 1-9999 (parse_iso's OverflowError): clamped to a bound just
    outside, which NULLIF drops."""

    def part(replacement: str) -> str:
        return f"regexp_replace({iso}, '{_ISO_PLAIN}', '{replacement}')"

    # Without an offset: sign '' (1), hours and minutes '' ('0000', 00:00).
    sign, hours_minutes, local = part(r"\61"), part(r"\7\8"), part(r"\1\2\4")
    offset = f"{sign}::int * (lpad({hours_minutes}, 4, '0')::time - time '00:00')"
    instant = f"(({local} || 'Z')::timestamptz - {offset})"
    low, high = "(timestamptz '0001-01-01T00:00:00Z' - interval '1 millisecond')", "timestamptz '10000-01-01T00:00:00Z'"
    return f"NULLIF(NULLIF(greatest(least({instant}, {high}), {low}), {low}), {high})"


def _iso_date(iso: str) -> str:
    """The instant of text ``iso`` as values.parse_iso reads it, else NULL; never an error."""
    return (f"(CASE WHEN {iso} ~ '{_ISO_MS}' THEN {iso}::timestamptz "
            f"WHEN {iso} ~ '{_ISO_UTC}' THEN date_trunc('milliseconds', {iso}::timestamptz) "
            f"WHEN {iso} ~ '{_ISO_VALID}' THEN {_general_date(iso)} END)")


def _date_guard(x: str) -> str:
    """jsonb ``x`` has the shape of a Parse Date object (its iso not read yet); cheapest test
    first, and false rather than NULL on any other value (AND stops only at false)."""
    return (f"coalesce({x} ->> '__type', '') = 'Date' AND jsonb_typeof({x}) = 'object' "
            f"AND coalesce(jsonb_typeof({x} -> 'iso'), '') = 'string' AND ({x} - '__type' - 'iso') = '{{}}'::jsonb")


def date_value(x: str) -> str:
    """The instant of jsonb ``x`` when it is a Parse Date object that values.normalise_json turns
    into a date (at its millisecond), else NULL; never an error (CASE keeps the order of the tests)."""
    iso = f"({x} ->> 'iso')"
    return f"(CASE WHEN {_date_guard(x)} THEN {_iso_date(iso)} END)"


def is_date(x: str) -> str:
    """``x`` (jsonb) is a Parse Date object, as values.normalise_json turns into a date."""
    return f"({date_value(x)} IS NOT NULL)"


# A Date object as jsonb writes it out: jsonb orders keys by length, so "iso" comes first, and a
# third key would fall between or after them. No string value holds this text (a '"' inside one
# is written '\\"'). The iso is as JSON writes it (escapes: an iso may end in a newline).
_DATE_TEXT = r'(\{"iso": "(([^"\\]|\\.)*)", "__type": "Date"\})'


def deep_canonical(x: str) -> str:
    """jsonb ``x`` with every Date object in it, at any depth, as values.canonical writes it
    (the iso in the toISOString form): an Object or Array compared whole, an element or a path
    value, or one holding a Date, equals querylang's value of it whatever iso its client sent. Rebuilt from its text (the pieces between Date objects, each Date's iso
    replaced), and only when the text has a Date object."""
    text = f"({x})::text"
    iso = """(('"' || m.v[2] || '"')::jsonb #>> '{}')"""
    canon = f"to_char({_iso_date(iso)} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    date = f"""'{{"iso": "' || {canon} || '", "__type": "Date"}}'"""
    rebuilt = (f"(SELECT string_agg(p.s || coalesce({date}, m.v[1], ''), '' ORDER BY p.k) "
               f"FROM regexp_split_to_table({text}, '{_DATE_TEXT}') WITH ORDINALITY AS p(s, k) "
               f"LEFT JOIN regexp_matches({text}, '{_DATE_TEXT}', 'g') WITH ORDINALITY AS m(v, k) ON m.k = p.k)::jsonb")
    return f"""(CASE WHEN strpos({text}, '"__type": "Date"}}') = 0 THEN {x} ELSE {rebuilt} END)"""


def holds_date(x: str) -> str:
    """jsonb ``x`` has a Date object in it, at any depth (a query value: canonical already)."""
    return f"""(strpos(({x})::text, '"__type": "Date"}}') > 0)"""


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
        return date_value(x)
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
    narrow_select = False  # its rows are decoded as stored, whole (parse_rows.py)
    small_list = 0
    edge_columns = ('"owningId"', '"relatedId"')
    # Parse's tables have an index on objectId and nothing else the planner would rather use:
    # the held records are looked up by id, as Parse Server itself does after reading its _Join
    # table, not found by a hash join over the whole class (which PostgreSQL's default costs
    # prefer once the class has a few thousand rows).
    edge_ids_as_array = True
    late_pages = False  # measured on querylang's own tables only (PostgresDialect.rows_statement)
    # Set by the store: asks the server why its stems would differ from text.stems (None: they
    # do not); asked once, at the first English stemmed search.
    stem_probe: Callable[[], str | None] | None = None
    _stem_verdict: tuple[str | None] | None = None

    def __init__(self, schema: Schema, layout: ParseLayout, *, code_point_order: bool = False) -> None:
        self.schema = schema
        self.layout = layout  # type: ignore[assignment]
        # The Polygon columns column_sql gave as ring lists (the ring methods read them).
        self._rings: set[str] = set()
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
        ftype = self._type(class_name, name)
        if ftype in special_types.TYPES and (sql := special_types.column_sql(col, ftype, part)) is not None:
            if ftype == "Polygon":
                self._rings.add(sql)
            return sql
        if part == ":lat":
            return f"{col}[1]"
        if part == ":lng":
            return f"{col}[0]"
        if (not self.code_point_order and part in ("", ":tx", ":fx", ":wx")
                and ftype in ("String", "Pointer")):
            return f'({col} COLLATE "C")'
        if part == ":k" and ftype in ("Array", "Object"):
            # The whole value, compared with a query value (values.canonical): its Dates in
            # that value's form (Parse keeps the iso its client sent).
            return deep_canonical(col)
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
        ftype = self._type(class_name, column.split(":")[0])
        if ftype in special_types.TYPES:
            col = f"{alias}.{self.quote(column.split(':')[0])}"
            return special_types.output_sql(col, ftype, column) or col
        if self._type(class_name, column) in ("Array", "Object"):
            return f"{alias}.{self.quote(column)}::text"
        return f"{alias}.{self.quote(column)}"

    # --- Array fields: one jsonb array ------------------------------------------------------

    @staticmethod
    def _elements(col: str) -> str:
        return f"jsonb_array_elements(CASE WHEN jsonb_typeof({col}) = 'array' THEN {col} END) AS x(v)"

    # An element equals a value when it is the value, or when the value is or holds a Date and
    # the element is the same with its dates in other ISO forms (deep_canonical, read only then:
    # it costs a regex or more per element).
    @staticmethod
    def _equals(v: str) -> str:
        return f"(x.v = {v} OR ({holds_date(v)} AND {deep_canonical('x.v')} = {v}))"

    @staticmethod
    def _equals_any(a: str) -> str:
        dates = f"EXISTS (SELECT 1 FROM unnest({a}) AS u(j) WHERE {holds_date('u.j')})"
        return f"(x.v = ANY({a}) OR ({dates} AND {deep_canonical('x.v')} = ANY({a})))"

    def list_contains(self, col: str) -> str:
        return f"EXISTS (SELECT 1 FROM (SELECT ?::jsonb AS p) AS w, {self._elements(col)} WHERE {self._equals('w.p')})"

    def list_has_any(self, col: str, n: int) -> str:
        return (f"EXISTS (SELECT 1 FROM (SELECT ?::text[]::jsonb[] AS a) AS w, {self._elements(col)} "
                f"WHERE {self._equals_any('w.a')})")

    def list_has_all(self, col: str, n: int) -> str:
        return (f"NOT EXISTS (SELECT 1 FROM unnest(?::text[]::jsonb[]) AS w(v) "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self._elements(col)} WHERE {self._equals('w.v')}))")

    def list_within(self, col: str, n: int) -> str:
        return (f"NOT EXISTS (SELECT 1 FROM (SELECT ?::text[]::jsonb[] AS a) AS w, {self._elements(col)} "
                f"WHERE NOT {self._equals_any('w.a')})")

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

    # --- an array at an Object path: its jsonb, read as an Array field's ---------------------

    def path_has(self, pv: str, params: list[Any], key: str) -> tuple[str, list[Any]]:
        return (f"EXISTS (SELECT 1 FROM (SELECT ?::jsonb AS p, {pv} AS j) AS w, {self._elements('w.j')} "
                f"WHERE {self._equals('w.p')})", [key, *params])

    def path_has_any(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        return (f"EXISTS (SELECT 1 FROM (SELECT ?::text[]::jsonb[] AS a, {pv} AS j) AS w, {self._elements('w.j')} "
                f"WHERE {self._equals_any('w.a')})", [keys, *params])

    def path_has_all(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        return (f"NOT EXISTS (SELECT 1 FROM unnest(?::text[]::jsonb[]) AS u(v), (SELECT {pv} AS j) AS w "
                f"WHERE NOT EXISTS (SELECT 1 FROM {self._elements('w.j')} WHERE {self._equals('u.v')}))", [keys, *params])

    def path_extreme(self, pv: str, params: list[Any], kind: str, largest: bool) -> tuple[str, list[Any]]:
        agg = ("bool_or" if largest else "bool_and") if kind == "bool" else "max" if largest else "min"
        return f"(SELECT {agg}({typed('x.v', kind)}) FROM (SELECT {pv} AS j) AS w, {self._elements('w.j')})", params

    def path_any_regex(self, pv: str, params: list[Any], pattern: str) -> tuple[str, list[Any]]:
        return (f"EXISTS (SELECT 1 FROM (SELECT {pv} AS j) AS w, {self._elements('w.j')} "
                f"WHERE {typed('x.v', 'string')} ~ ?::text)", [*params, pattern])

    # --- Object paths: jsonb #> path, through objects only ----------------------------------

    def path_has_present(self, pv: str, params: list[Any]) -> tuple[str, list[Any]]:
        return (f"EXISTS (SELECT 1 FROM (SELECT {pv} AS j) AS w, {self._elements('w.j')} "
                "WHERE jsonb_typeof(x.v) <> 'null')", params)

    def key_kind(self, kind: str) -> tuple[str, str]:
        return f"{typed('x.v', kind)} IS NOT NULL", typed("x.v", kind)

    through_text = False  # the path_* methods here take jsonb

    @staticmethod
    def through_object(x: str) -> str:
        return f"(jsonb_typeof({x}) = 'object' AND NOT {is_date(x)})"

    path_root = ":p"  # the jsonb as stored, its Dates as their client sent them

    def path_at(self, col: str, key: str) -> tuple[str, list[Any]]:
        # Past an array on the way #> reads on in it (an index) or reads nothing: the first
        # array is found all the same, and the test of each step stays one operator, where
        # object_path's (through objects only) tests each step before it again.
        return f"({col} #> ?::text[])", [key.split(".")]

    def object_path(self, col: str, kind: str | None, key: str) -> tuple[str, list[Any]]:
        """The value there while the path passes only through objects (a Date is none)."""
        segs = key.split(".")
        conds = [f"jsonb_typeof({col}) = 'object'", f"NOT {is_date(col)}"]
        params: list[Any] = []
        for i in range(1, len(segs)):
            step = f"({col} #> ?::text[])"
            cond = f"(jsonb_typeof({step}) = 'object' AND NOT {is_date(step)})"
            conds.append(cond)
            params += [segs[:i]] * cond.count("?")
        step = f"({col} #> ?::text[])"
        inner = typed(step, kind) if kind is not None else deep_canonical(step)
        params += [segs] * inner.count("?")
        return f"(CASE WHEN {' AND '.join(conds)} THEN {inner} END)", params

    def is_array_value(self, expr: str) -> str:
        return f"jsonb_typeof({expr}) = 'array'"

    # --- a Polygon's ring: read from the polygon once per row (parse_special_types) ----------

    def ring_edge(self, lng: str, lat: str) -> tuple[str, str, str, str]:
        if lat in self._rings:
            return special_types.RING_EDGE
        return super().ring_edge(lng, lat)

    def ring_any(self, lat: str, cond: str) -> str:
        if lat in self._rings:
            return (f"EXISTS (SELECT 1 FROM {special_types.ring_points(lat)} AS pr, "
                    f"generate_series(1, {special_types.RING_EDGES}) AS k WHERE {cond})")
        return super().ring_any(lat, cond)

    def ring_count(self, lat: str, cond: str) -> str:
        if lat in self._rings:
            return (f"(SELECT count(*) FROM {special_types.ring_points(lat)} AS pr, "
                    f"generate_series(1, {special_types.RING_EDGES}) AS k WHERE {cond})")
        return super().ring_count(lat, cond)

    # --- text search ------------------------------------------------------------------------

    def phrase_candidate(self, fx: str, phrase: text.Phrase) -> tuple[str, list[Any]] | None:
        return None  # no folded words are kept here (``fx`` is the text itself)

    def folded_words_hold(self, wx: str, fx: str, word: str, case_sensitive: bool,
                          diacritic_sensitive: bool) -> tuple[str, list[Any]]:
        return _holds_after_dropping(wx, *flag_fold_pattern(word, case_sensitive, diacritic_sensitive))

    def words_hold(self, col: str, part: str, word: str) -> tuple[str, list[Any]]:
        if part == ":wx":
            return f"({col} ~ ?::text)", [word_pattern(word)]
        if part == ":fx":
            return _holds_after_dropping(col, *fold_pattern(word))
        if self._stem_verdict is None:
            self._stem_verdict = (self.stem_probe() if self.stem_probe is not None else "no server to check them on",)
        why = self._stem_verdict[0]
        if why is not None:
            raise QueryError(
                "text search with English stemming cannot be answered on these Parse tables in place: "
                f"querylang computes the Snowball stems in SQL, but {why}. A search with caseSensitive or "
                "diacriticSensitive needs them too for a word whose stem is a stop word's ('haves', 'Thé': "
                "MongoDB looks it up in its index of stems first). Search with a flag and no such word, or "
                "with language 'none' (folded words, no stemming), or import the data (querylang import "
                "parse-server)",
                code=1,
            )
        return stems_hold(col, word)


def _holds_after_dropping(col: str, dropped: str, found: str) -> tuple[str, list[Any]]:
    """Text ``col``, the code points ``dropped`` matches deleted ('' for none), matches ``found``."""
    if not dropped:
        return f"({col} ~ ?::text)", [found]
    return f"(regexp_replace({col}, ?::text, '', 'g') ~ ?::text)", [dropped, found]

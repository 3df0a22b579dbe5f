"""PostgreSQL's spelling of what the generic compiler leaves to the engine.

Where PostgreSQL would answer differently from DuckDB and the reference, this writes what keeps
the answer the same:

* regular expressions use the ARE translation of features/regex/ (``\\y`` is not PCRE's
  ``\\b``, ``.`` matches a newline, no ``\\z``, counts stop at 255, ``~*`` folds case by locale:
  none of those is written; case folding is spelled out as classes, never ``~*``);
* string comparisons and sorts use the columns' ``COLLATE "C"`` (code-point order), and the
  values read out of jsonb get it too;
* a number is read out of jsonb only from the numbers-only path map, so its cast never raises;
* IN-lists longer than 256 values and Array value lists are one array parameter, far below the
  65,535 bind parameters a statement may have;
* dates are bound as aware UTC datetimes (store.py), never read in the session time zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from querylang.engines.postgres.layout import ISO, LAYOUT, iso_text_sql
from querylang.engines.sql.dialect import Dialect, Page, Reached, index_step, key_rank
from querylang.features.regex import Regex

_EXTREME = {"number": "double precision", "date": "timestamptz"}
MAX_PARAMS = 65_535  # bind parameters one PostgreSQL statement may have


class PostgresDialect(Dialect):
    name = "PostgreSQL"
    layout = LAYOUT
    small_list = 0  # Arrays: one && over a GIN index rather than an OR of tests
    max_params = MAX_PARAMS
    # psycopg prepares a statement run five times, and PostgreSQL then keeps a generic plan
    # when its estimate is not above the custom plans'. A generic plan cannot see a bound
    # LIMIT and assumes it returns a tenth of the rows: for "the posts of one group", capped
    # at max_rows, it chose a merge join along the whole Post objectId index (every post read)
    # over the lookup of the group's edges and a sort, ten times the work at S and growing
    # with the table. With the number in the text, the generic plan is the custom one.
    limit_in_text = True
    # Every date column has its ISO text stored beside it (layout.ISO): the store's dialect when
    # each class table has them, which every table made since they exist does.
    stored_iso = False
    # A scan's page (no index lookup, no edge table) is chosen from the sort keys and the
    # rows' ctids alone, then its rows read by ctid (rows_statement), up to this limit + skip.
    late_pages = True
    late_max_rows = 10000

    def output_sql(self, alias: str, column: str, class_name: str = "", ftype: str | None = None) -> str:
        """Dates (createdAt and updatedAt in every row) come as querylang's ISO text: the text
        stored beside each date (layout.ISO), or, in tables made before it was, formatted by
        the server as it reads (formatting them in Python, decode.IsoLoader, costs the client
        about a microsecond a cell). Dates outside years 1-9999 (never written by querylang,
        whose dates are Python's) come as PostgreSQL writes them."""
        col = super().output_sql(alias, column, class_name, ftype)
        if ftype != "Date":
            return col
        if not self.stored_iso:
            return iso_text_sql(col, f"{col}::text")
        # The text the server made when the row was written (layout.ISO, a generated column, so
        # for any writer); NULL only for a date outside years 1-9999 (or none), which needs no
        # formatting of ours then: the statement's expressions are built again each time it runs,
        # and the whole formatting written out twice a row was a part of a small query's time.
        return f"coalesce({alias}.{self.quote(self.layout.column(column, ISO))}, {col}::text)"

    def rows_statement(self, select: str, table: str, where: str, order: str, paging: str, page: Page) -> str:
        """A page of a sorted query: the page is chosen first, its dates formatted after.
        PostgreSQL computes the output columns of every row that goes into a sort, so a
        top-20 of 50,000 rows would format 100,000 dates to keep 40 (the planner postpones
        only expensive expressions). The outer ORDER BY keeps the order (re-sorting the page
        only; possible when the sort keys are plain columns).

        A page that a scan chooses (no index lookup, no edge table) is chosen from the rows'
        ctids and sort keys alone, then read by ctid: a top-N sort copies every row that goes
        into it, and a whole row of querylang's tables (helper columns and all) is several
        times what the sort keys are. One statement, one snapshot: the ctids name the very
        row versions the condition saw. A lookup's few rows gain nothing by it, nor a page in
        objectId order, which the objectId index gives without a sort."""
        if page.rows is None or not page.resortable:
            return super().rows_statement(select, table, where, order, paging, page)
        if self.late_pages and not (page.lookup or page.edges or page.by_id) and page.rows <= self.late_max_rows:
            return (f"SELECT {select} FROM {table} AS t WHERE t.ctid = ANY(ARRAY(SELECT t.ctid FROM {table} AS t "
                    f"WHERE {where} ORDER BY {order}{paging})) ORDER BY {order}")
        return f"SELECT {select} FROM (SELECT * FROM {table} AS t WHERE {where} ORDER BY {order}{paging}) AS t ORDER BY {order}"

    def finish(self, sql: str) -> str:
        """psycopg's placeholders: ``%s``, and ``%`` doubled (the polygon test's modulo)."""
        return sql.replace("%", "%%").replace("?", "%s")

    def list_contains(self, col: str) -> str:
        return f"{col} @> ARRAY[?::text]"

    def list_has_any(self, col: str, n: int) -> str:
        return f"{col} && ?::text[]"

    def list_has_all(self, col: str, n: int) -> str:
        return f"{col} @> ?::text[]"

    def list_within(self, col: str, n: int) -> str:
        return f"{col} <@ ?::text[]"

    def list_params(self, values: list[Any]) -> list[Any]:
        return [list(values)]

    def list_empty(self, col: str) -> str:
        return f"cardinality({col}) = 0"

    def list_extreme(self, col: str, kind: str, largest: bool) -> str:
        if kind == "bool":  # PostgreSQL has no min/max of booleans: false < true
            return f"(SELECT {'bool_or' if largest else 'bool_and'}(x) FROM unnest({col}) AS x)"
        x = 'x COLLATE "C"' if kind == "string" else "x"
        return f"(SELECT {'max' if largest else 'min'}({x}) FROM unnest({col}) AS x)"

    def regex_pattern(self, rx: Regex) -> str:
        return rx.are

    def regex_match(self, expr: str) -> str:
        return f"({expr} ~ ?::text)"

    def regex_delete(self, expr: str) -> str:
        return f"regexp_replace({expr}, ?::text, '', 'g')"

    def list_any_regex(self, col: str) -> str:
        return f"EXISTS (SELECT 1 FROM unnest({col}) AS x WHERE x ~ ?::text)"

    def contains_text(self, col: str) -> str:
        return f"(strpos({col}, ?::text) > 0)"

    def path_value(self, col: str, kind: str | None) -> str:
        value = f"({col} ->> ?::text)"
        if kind == "number":
            return f"{value}::double precision"
        if kind == "bool":
            return f"{value}::boolean"
        if kind == "date":
            return f"{value}::timestamptz"
        return f'({value} COLLATE "C")'

    # An array at an Object path is its canonical JSON text there: its elements are read as
    # jsonb, which compares numbers by value and objects whatever their key order, as canonical
    # keys do.

    def path_has(self, pv: str, params: list[Any], key: str) -> tuple[str, list[Any]]:
        return _over_array(pv, params, lambda e: f"EXISTS (SELECT 1 FROM {e} WHERE x.v = ?::jsonb)", [key])

    def path_has_any(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        listed = lambda e: f"EXISTS (SELECT 1 FROM {e} WHERE x.v = ANY(?::text[]::jsonb[]))"  # noqa: E731
        return _over_array(pv, params, listed, [keys])

    def path_has_all(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        missing = lambda e: (f"NOT EXISTS (SELECT 1 FROM unnest(?::text[]::jsonb[]) AS k(v) "  # noqa: E731
                             f"WHERE NOT EXISTS (SELECT 1 FROM {e} WHERE x.v = k.v))")
        return _over_array(pv, params, missing, [keys], before=True)

    def path_extreme(self, pv: str, params: list[Any], kind: str, largest: bool) -> tuple[str, list[Any]]:
        test, value = _ELEMENT_KINDS[kind]
        if kind == "bool":  # PostgreSQL has no min/max of booleans: false < true
            agg = "bool_or" if largest else "bool_and"
        else:
            agg = "max" if largest else "min"
        return _over_array(pv, params, lambda e: f"(SELECT {agg}({value}) FROM {e} WHERE {test})")

    def path_any_regex(self, pv: str, params: list[Any], pattern: str) -> tuple[str, list[Any]]:
        test, value = _ELEMENT_KINDS["string"]
        found = f"{test} AND {self.regex_match(value)}"
        return _over_array(pv, params, lambda e: f"EXISTS (SELECT 1 FROM {e} WHERE {found})", [pattern])

    def path_has_present(self, pv: str, params: list[Any]) -> tuple[str, list[Any]]:
        return _over_array(pv, params, lambda e: f"EXISTS (SELECT 1 FROM {e} WHERE jsonb_typeof(x.v) <> 'null')")

    # path_through's answer as the path_* methods take an array at a path: its JSON text here.
    through_text = True

    @staticmethod
    def through_object(x: str) -> str:
        """The jsonb value ``x`` is an object a path goes on through: not a Date (a CASE: jsonb's -
        on a non-object raises, and an AND may test its parts in any order)."""
        return (f"CASE WHEN jsonb_typeof({x}) = 'object' THEN NOT (coalesce({x} ->> '__type', '') = 'Date' "
                f"AND {x} - '__type' - 'iso' = '{{}}'::jsonb) ELSE FALSE END")

    def path_through(self, at: str, params: list[Any], steps: list[str],
                     lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """Rows (value, read by an index) of the values reached, step by step, then each with
        the elements of the arrays read by a key, as one jsonb array."""
        reached, out = f"(SELECT ({at})::jsonb, FALSE)", list(params)
        for k, step in enumerate(steps):
            parts = [
                f"SELECT CASE WHEN {self.through_object('p.v')} THEN p.v -> ?::text END, FALSE "
                "WHERE jsonb_typeof(p.v) IS DISTINCT FROM 'array'",
                "SELECT e.v -> ?::text, FALSE FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p.v) = 'array' "
                f"THEN p.v END) AS e(v) WHERE {self.through_object('e.v')}",
            ]
            out += [step, step]
            index = index_step(step)
            if index is not None:
                # An element the path goes on from is an object or an array (a scalar reaches
                # nothing there, not even a missing value).
                on = "" if k == len(steps) - 1 else f" AND ({self.through_object('(p.v -> ?::int)')} OR jsonb_typeof(p.v -> ?::int) = 'array')"
                parts.append(f"SELECT p.v -> ?::int, TRUE WHERE jsonb_typeof(p.v) = 'array' AND jsonb_array_length(p.v) > ?::int{on}")
                out += [index] * (2 + on.count("?"))
            reached = f"(SELECT n.v, n.o FROM {reached} AS p(v, o) CROSS JOIN LATERAL ({' UNION ALL '.join(parts)}) AS n(v, o))"
        rows = (f"SELECT c.v FROM {reached} AS f(v, o) CROSS JOIN LATERAL (SELECT coalesce(f.v, 'null'::jsonb) "
                "UNION ALL SELECT e.v FROM jsonb_array_elements(CASE WHEN NOT f.o AND jsonb_typeof(f.v) = 'array' "
                "THEN f.v END) AS e(v)) AS c(v)")
        found = f"(SELECT coalesce(jsonb_agg(x.v), '[]'::jsonb) FROM ({rows}) AS x(v))"
        # The tests read the rows themselves (Reached): an EXISTS over them stops at the first
        # hit, and is costed so; gathered into one jsonb and read back, the planner's estimate
        # of each record's sub-query passed jit_above_cost on tables of some thousand rows, and
        # compiling took longer than the query.
        return (Reached(f"({found})::text", rows) if self.through_text else found), out

    def path_sort_keys(self, at: str, params: list[Any], steps: list[str],
                       lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """Rows (value, read by an index) step by step, then each as its keys: a query of rows
        ``v``."""
        reached, out = f"(SELECT ({at})::jsonb, FALSE)", list(params)
        # jsonb_array_length raises on what is no array, and a WHERE may be tested first
        array = "CASE WHEN jsonb_typeof(p.v) = 'array' THEN p.v END"
        for step in steps:
            other = f"CASE WHEN {self.through_object('e.v')} THEN e.v -> ?::text ELSE 'null'::jsonb END"
            parts = [
                f"SELECT p.v -> ?::text, FALSE WHERE {self.through_object('p.v')}",
                f"SELECT 'null'::jsonb, FALSE WHERE NOT coalesce({self.through_object('p.v')}, FALSE) "
                "AND (jsonb_typeof(p.v) IS DISTINCT FROM 'array' OR p.v = '[]'::jsonb)",
            ]
            out.append(step)
            index = index_step(step)
            if index is None:
                parts.append(f"SELECT {other}, FALSE FROM jsonb_array_elements({array}) AS e(v)")
                out.append(step)
            else:
                # The element at the index, in place of each element but an object holding the key.
                at_index = "CASE WHEN jsonb_typeof(p.v) = 'array' THEN jsonb_array_length(p.v) > ?::int END"
                parts += [
                    f"SELECT {other}, FALSE FROM jsonb_array_elements(CASE WHEN NOT ({at_index}) THEN p.v END) AS e(v)",
                    f"SELECT e.v -> ?::text, FALSE FROM jsonb_array_elements(CASE WHEN {at_index} THEN p.v END) AS e(v) "
                    f"WHERE {self.through_object('e.v')} AND (e.v -> ?::text) IS NOT NULL",
                    f"SELECT p.v -> ?::int, TRUE WHERE {at_index}",
                ]
                out += [step, index, step, index, step, index, index]
            reached = f"(SELECT n.v, n.o FROM {reached} AS p(v, o) CROSS JOIN LATERAL ({' UNION ALL '.join(parts)}) AS n(v, o))"
        rows = (f"SELECT c.v FROM {reached} AS f(v, o) CROSS JOIN LATERAL (SELECT CASE WHEN f.v IS NULL THEN 'null'::jsonb "
                "WHEN f.v <> '[]'::jsonb THEN f.v END WHERE f.o OR jsonb_typeof(f.v) IS DISTINCT FROM 'array' OR f.v = '[]'::jsonb "
                "UNION ALL SELECT e.v FROM jsonb_array_elements(CASE WHEN NOT f.o AND jsonb_typeof(f.v) = 'array' "
                "THEN f.v END) AS e(v)) AS c(v)")
        return rows, out

    def key_kind(self, kind: str) -> tuple[str, str]:
        """(test, value) of a sort key ``x.v`` of type class ``kind``."""
        return _ELEMENT_KINDS[kind]

    def sort_row(self, columns: Sequence[str | None]) -> str:
        """A row, which PostgreSQL orders field by field (within one rank only its kind's value
        is not NULL); the string as its UTF-8 bytes, which order by code point whatever the
        collation a row's field is compared in."""
        rank, number, string, flag, date = columns
        text = "NULL::bytea" if string is None else f"convert_to({string}, 'UTF8')"
        return (f"ROW({rank}, {number or 'NULL::double precision'}, {text}, {flag or 'NULL::boolean'}, "
                f"{date or 'NULL::timestamptz'})")

    def keys_order(self, keys: str, params: list[Any], largest: bool) -> tuple[str, list[Any]]:
        """The row of the first key in the order of them all."""
        kinds = {k: self.key_kind(k) for k in ("number", "string", "bool", "date")}
        rank = key_rank("x.v IS NULL", {k: f"jsonb_typeof(x.v) = '{k}'" for k in ("null", "object", "array")},
                        {k: test for k, (test, _) in kinds.items()})
        columns = [rank, *(f"CASE WHEN {test} THEN {value} END" for test, value in kinds.values())]
        way = " DESC" if largest else ""
        order = ", ".join(f"{c}{way}" for c in columns)
        return f"(SELECT {self.sort_row(columns)} FROM ({keys}) AS x(v) ORDER BY {order} LIMIT 1)", list(params)

    def double_list(self) -> str:
        return "(CAST(? AS double precision[]))"

    def ring_any(self, lat: str, cond: str) -> str:
        return f"EXISTS (SELECT 1 FROM generate_series(1, cardinality({lat}) - 1) AS k WHERE {cond})"

    def ring_count(self, lat: str, cond: str) -> str:
        return f"(SELECT count(*) FROM generate_series(1, cardinality({lat}) - 1) AS k WHERE {cond})"

    def in_long_list(self, expr: str) -> str:
        return f"{expr} = ANY(?)"


def _over_array(pv: str, params: list[Any], test: Callable[[str], str], more: list[Any] | None = None,
                before: bool = False) -> tuple[str, list[Any]]:
    """``test(elements)``, a query over the elements ``x.v`` of the JSON array text ``pv``,
    only where ``pv`` is an array (NULL elsewhere): a sub-query per row costs more than the
    rest of a path condition. ``pv`` is written twice, so are its ``params``, then the test's
    own (``more``; ``before``: the test's come before the elements'); what a path reaches
    through an array (Reached) is an array always, and is written once."""
    own = more or []
    if isinstance(pv, Reached):
        return test(f"({pv.elements}) AS x(v)"), [*own, *params] if before else [*params, *own]
    sql = f"(CASE WHEN left({pv}, 1) = '[' THEN {test(f'jsonb_array_elements(({pv})::jsonb) AS x(v)')} END)"
    return sql, [*params, *own, *params] if before else [*params, *params, *own]


# (test, value) of the elements x.v of each type class. A Date is the object {__type: 'Date',
# iso} with the iso in values.iso_ms's form (load refuses another).
_ELEMENT_KINDS = {
    "number": ("jsonb_typeof(x.v) = 'number'", "(x.v #>> '{}')::double precision"),
    "string": ("jsonb_typeof(x.v) = 'string'", "((x.v #>> '{}') COLLATE \"C\")"),
    "bool": ("jsonb_typeof(x.v) = 'boolean'", "(x.v #>> '{}')::boolean"),
    "date": (
        # (a CASE: jsonb's - on a non-object raises, and an AND may test its parts in any order)
        "CASE WHEN jsonb_typeof(x.v) = 'object' THEN x.v ->> '__type' = 'Date' AND x.v - '__type' - 'iso' = '{}'::jsonb END",
        "(x.v ->> 'iso')::timestamptz",
    ),
}

POSTGRES = PostgresDialect()
# A database whose every date column has its stored ISO text (one made by this querylang).
POSTGRES_ISO = PostgresDialect()
POSTGRES_ISO.stored_iso = True


def timeout_ms(seconds: float) -> int:
    """A timeout as statement_timeout or lock_timeout take it: whole milliseconds, at least 1 (0
    would mean none) and at most 2^31 - 1 (about 24.8 days): a longer one waits that long rather
    than being refused by the server ('outside the valid range')."""
    return max(1, min(int(seconds * 1000), 2**31 - 1))

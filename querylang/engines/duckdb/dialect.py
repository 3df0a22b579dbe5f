"""DuckDB's spelling of what the generic compiler leaves to the engine, and the DuckDB 2.0.1
index-scan workarounds (tests/test_regressions.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from querylang.engines.duckdb.layout import LAYOUT
from querylang.engines.sql.dialect import Dialect, Page, Reached, index_step, key_rank
from querylang.features.regex import Regex
from querylang.model.values import any_nested

# Lists up to this size use an OR of list_contains (measured faster than list_has_any).
SMALL_LIST = 16


class DuckDBDialect(Dialect):
    name = "DuckDB"
    layout = LAYOUT
    small_list = SMALL_LIST
    # limit + skip up to which a page is shaped (rows_statement); False: never (benchmarks/tuning.py)
    late_max_rows = 1000
    # A condition of more AND-ed parts than this is taken as selective: the rowid form's second
    # pass (a scan of the whole table for the page's rowids) then costs more than it saves
    # (ten_conditions at XL: 1.8× the plain statement).
    late_max_conditions = 4
    page_shapes = True
    select_list_pure = True  # the layout names columns after the fields alone
    # DuckDB's filter pushdown plans one AND of n conditions in time growing with n squared
    # (1,000 conditions on one field: seconds; 5,000: a minute), and planning cannot be
    # interrupted by the query timeout. Each group of at most this many is one opaque test to
    # it (Compiler.conjunction), which keeps planning near linear.
    and_group = 64

    def rows_statement(self, select: str, table: str, where: str, order: str, paging: str, page: Page) -> str:
        """A page (the query's own limit, small enough) shaped for DuckDB's planner.

        DuckDB answers ``WHERE cond ORDER BY k LIMIT n`` with a Top-N, and for n up to 50
        rewrites it into "the sort keys of every matching row, then the n rows" (late
        materialization). Where ``cond`` is an index lookup that rewrite turns a few-row lookup
        into a scan of the table (and a larger Top-N does no better); where ``cond`` scans
        anyway, reading the sort keys first pays off for larger pages too. So:

        - an index lookup: the matching rows first, in a MATERIALIZED CTE, then sorted and
          limited (DuckDB does not push the Top-N into it);
        - a scan: the page's rowids from the sort keys alone, then its rows by rowid;
        - an edge-table lookup, a condition of many parts, a page too big, no page: the plain
          statement.
        """
        plain = super().rows_statement(select, table, where, order, paging, page)
        if not self.page_shapes or page.rows is None or page.rows > self.late_max_rows or not page.resortable:
            return plain
        if page.lookup:
            return f"WITH t AS MATERIALIZED (SELECT {select} FROM {table} AS t WHERE {where}) SELECT * FROM t ORDER BY {order}{paging}"
        if page.edges or page.conditions > self.late_max_conditions:
            return plain
        return (
            f"SELECT {select} FROM {table} AS t WHERE t.rowid IN "
            f"(SELECT t.rowid FROM {table} AS t WHERE {where} ORDER BY {order}{paging}) ORDER BY {order}"
        )

    def list_contains(self, col: str) -> str:
        return f"list_contains({col}, ?)"

    def list_has_any(self, col: str, n: int) -> str:
        return f"list_has_any({col}, list_value({', '.join('?' * n)}))"

    def list_has_all(self, col: str, n: int) -> str:
        return f"list_has_all({col}, list_value({', '.join('?' * n)}))"

    def list_within(self, col: str, n: int) -> str:
        return f"list_has_all(list_value({', '.join('?' * n)}), {col})"

    def list_empty(self, col: str) -> str:
        return f"len({col}) = 0"

    def list_extreme(self, col: str, kind: str, largest: bool) -> str:
        return f"{'list_max' if largest else 'list_min'}({col})"

    def regex_pattern(self, rx: Regex) -> str:
        return rx.re2

    def regex_match(self, expr: str) -> str:
        return f"regexp_matches({expr}, ?)"

    def regex_delete(self, expr: str) -> str:
        return f"regexp_replace({expr}, ?, '', 'g')"

    def list_any_regex(self, col: str) -> str:
        return f"len(list_filter({col}, lambda x: regexp_matches(x, ?))) > 0"

    def contains_text(self, col: str) -> str:
        return f"contains({col}, ?)"

    def path_value(self, col: str, kind: str | None) -> str:
        return f"{col}[?]"

    # An array at an Object path is JSON text there (its canonical key): its elements are read
    # with json_extract, which writes each element's JSON anew, as Python does but for numbers
    # that are not whole (Python writes 1e+20, DuckDB 100000000000000000000.0): a bound key
    # holding one is written anew the same way (per row: a bound value is not folded).

    def may_hold_array(self, col: str) -> str | None:
        return f"contains({col}, '[')"  # the Object's JSON text (a string may hold a '[' too)

    def path_has(self, pv: str, params: list[Any], key: str) -> tuple[str, list[Any]]:
        keys = _element_keys(pv)
        return _over_array(pv, params, f"list_contains({keys}, {_bound_key(key)})", [key])

    def path_has_any(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        found = _element_keys(pv)
        rewrite = any(_has_fraction(k) for k in keys)
        listed = "list_transform(CAST(? AS VARCHAR[]), lambda y: CAST(json_extract(y, '$') AS VARCHAR))" if rewrite else "CAST(? AS VARCHAR[])"
        return _over_array(pv, params, f"list_has_any({found}, {listed})", [keys])

    def path_has_all(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        found = _element_keys(pv)
        rewrite = any(_has_fraction(k) for k in keys)
        listed = "list_transform(CAST(? AS VARCHAR[]), lambda y: CAST(json_extract(y, '$') AS VARCHAR))" if rewrite else "CAST(? AS VARCHAR[])"
        return _over_array(pv, params, f"list_has_all({found}, {listed})", [keys])

    def path_extreme(self, pv: str, params: list[Any], kind: str, largest: bool) -> tuple[str, list[Any]]:
        test, value = _ELEMENT_KINDS[kind]
        typed = f"list_transform(list_filter({_elements(pv)}, lambda x: {test}), lambda x: {value})"
        return _over_array(pv, params, f"{'list_max' if largest else 'list_min'}({typed})")

    def path_any_regex(self, pv: str, params: list[Any], pattern: str) -> tuple[str, list[Any]]:
        test, value = _ELEMENT_KINDS["string"]
        found = f"list_filter({_elements(pv)}, lambda x: {test} AND regexp_matches({value}, ?))"
        return _over_array(pv, params, f"(len({found}) > 0)", [pattern])

    def path_has_present(self, pv: str, params: list[Any]) -> tuple[str, list[Any]]:
        return _over_array(pv, params, f"(len(list_filter({_elements(pv)}, lambda x: json_type(x) <> 'NULL')) > 0)")

    def path_through(self, at: str, params: list[Any], steps: list[str],
                     lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """A list of the JSON values reached, step by step; the last step's marked as read by
        an index (``o``) or not, then each with the elements of the arrays read by a key. Each
        step's SQL holds the list reached before it once: the text grows with the steps, not
        with their square (a list_reduce over the steps bound as a list, the same text for
        any number, ran twice as long). Where the path map holds the value a step reaches
        (``lookups``), the path passed only objects to there: the list is that value, and the
        walk goes on from it (from the first array on the way), not from the top."""
        reached, out = f"[CAST({at} AS JSON)]", list(params)
        for k, step in enumerate(steps):
            last = k == len(steps) - 1

            def mark(value: str, by_index: str, last: bool = last) -> str:
                return f"{{'v': {value}, 'o': {by_index}}}" if last else value

            key = f'$."{step}"'  # a step is letters, digits and _ (schema.py)
            of_elements = (f"list_transform(list_filter(json_extract(v, '$[*]'), lambda e: {_is_object('e')}), "
                           f"lambda e: {mark('json_extract(e, ?)', 'false')})")
            out += [key, key]
            index = index_step(step)
            if index is not None:
                # An element the path goes on from is an object or an array (a scalar reaches
                # nothing there, not even a missing value).
                element = "json_extract(v, ?)"
                on = "" if last else f" AND ({_is_object(element)} OR json_type({element}) = 'ARRAY')"
                at_index = f"CASE WHEN json_array_length(v) > ?{on} THEN [{mark(element, 'true')}] ELSE [] END"
                of_elements = f"list_concat({of_elements}, {at_index})"
                out += [index, *[f"$[{index}]"] * (1 + on.count("?"))]
            reached = (f"flatten(list_transform({reached}, lambda v: CASE WHEN {_is_object('v')} THEN "
                       f"[{mark('json_extract(v, ?)', 'false')}] WHEN json_type(v) = 'ARRAY' THEN {of_elements} "
                       f"ELSE [{mark('NULL::JSON', 'false')}] END))")
            if k < len(lookups):
                held, held_params = lookups[k]
                reached = f"(CASE WHEN {held} IS NOT NULL THEN [{mark(f'CAST({held} AS JSON)', 'false')}] ELSE {reached} END)"
                out = [*held_params, *held_params, *out]
        # A lambda whose struct is read as ``_c.v`` is named with a leading _, which no field
        # name has (schema.NAME_RE): DuckDB reads ``c.v`` as the column c when a field is named c.
        found = (f"flatten(list_transform({reached}, lambda _c: CASE WHEN NOT _c.o AND json_type(_c.v) = 'ARRAY' "
                 f"THEN list_concat([_c.v], json_extract(_c.v, '$[*]')) ELSE [coalesce(_c.v, 'null'::JSON)] END))")
        return Reached(f"CAST(to_json({found}) AS VARCHAR)", found), out

    def path_sort_keys(self, at: str, params: list[Any], steps: list[str],
                       lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """A list of the JSON keys: structs (value, read by an index) step by step, then each
        as its keys; from the value the path map holds, as :meth:`path_through`."""
        reached, out = f"[{{'v': CAST({at} AS JSON), 'o': false}}]", list(params)
        for k, step in enumerate(steps):
            key = f'$."{step}"'  # a step is letters, digits and _ (schema.py)
            by_key = (f"list_transform(json_extract(_p.v, '$[*]'), lambda e: CASE WHEN {_is_object('e')} "
                      "THEN {'v': json_extract(e, ?), 'o': false} ELSE {'v': 'null'::JSON, 'o': false} END)")
            elements: str = by_key
            more: list[Any] = [key]
            index = index_step(step)
            if index is not None:
                # The element at the index, in place of each element but an object holding the key.
                holding = (f"list_transform(list_filter(json_extract(_p.v, '$[*]'), lambda e: {_is_object('e')} "
                           "AND json_exists(e, ?)), lambda e: {'v': json_extract(e, ?), 'o': false})")
                elements = (f"CASE WHEN json_array_length(_p.v) > ? THEN list_concat({holding}, "
                            f"[{{'v': json_extract(_p.v, ?), 'o': true}}]) ELSE {by_key} END")
                more = [index, key, key, f"$[{index}]", key]
            reached = (f"flatten(list_transform({reached}, lambda _p: CASE WHEN {_is_object('_p.v')} "
                       "THEN [{'v': json_extract(_p.v, ?), 'o': false}] "
                       f"WHEN json_type(_p.v) = 'ARRAY' AND json_array_length(_p.v) > 0 THEN {elements} "
                       "ELSE [{'v': 'null'::JSON, 'o': false}] END))")
            out += [key, *more]
            if k < len(lookups):
                held, held_params = lookups[k]
                reached = f"(CASE WHEN {held} IS NOT NULL THEN [{{'v': CAST({held} AS JSON), 'o': false}}] ELSE {reached} END)"
                out = [*held_params, *held_params, *out]
        keys = (f"flatten(list_transform({reached}, lambda _c: CASE WHEN _c.v IS NULL THEN ['null'::JSON] "
                "WHEN json_type(_c.v) = 'ARRAY' AND json_array_length(_c.v) = 0 THEN [NULL::JSON] "
                "WHEN json_type(_c.v) = 'ARRAY' AND NOT _c.o THEN json_extract(_c.v, '$[*]') ELSE [_c.v] END))")
        return keys, out

    def sort_row(self, columns: Sequence[str | None]) -> str:
        """A struct, which DuckDB orders field by field (within one rank only its kind's value
        is not NULL)."""
        return "{" + ", ".join(f"'{k}': {c or f'NULL::{t}'}" for (k, t), c in zip(_SORT_FIELDS, columns, strict=True)) + "}"

    def keys_order(self, keys: str, params: list[Any], largest: bool) -> tuple[str, list[Any]]:
        rank = key_rank("x IS NULL", {k: f"json_type(x) = '{k.upper()}'" for k in ("null", "object", "array")},
                        {k: test for k, (test, _) in _ELEMENT_KINDS.items()})
        row = self.sort_row([rank, *(f"CASE WHEN {test} THEN {value} END" for test, value in _ELEMENT_KINDS.values())])
        return f"{'list_max' if largest else 'list_min'}(list_transform({keys}, lambda x: {row}))", list(params)

    def double_list(self) -> str:
        return "(CAST(? AS DOUBLE[]))"

    def ring_any(self, lat: str, cond: str) -> str:
        return f"len(list_filter(range(1, len({lat})), lambda k: {cond})) > 0"

    def ring_count(self, lat: str, cond: str) -> str:
        return f"len(list_filter(range(1, len({lat})), lambda k: {cond}))"

    def hide_in_list(self, listed: str) -> str:
        """On an ART-indexed column DuckDB 2.0.1 answers ``x = 'a' OR (x = 'b' AND x IN
        ('c'))`` with the union of all the values, dropping the AND; ``coalesce(.., FALSE)``
        (the same two-valued answer) keeps the list out of that index scan."""
        return f"coalesce({listed}, FALSE)"

    def absent_or_listed(self, absent: str, listed: str) -> str:
        """Not "IN (..) OR IS NULL": with an ART index on the column DuckDB 2.0 drops that
        disjunction when an equality on the same column is ANDed to it."""
        return f"(CASE WHEN {absent} THEN TRUE ELSE {listed} END)"


def _elements(pv: str) -> str:
    """The elements of the JSON array text ``pv``, as JSON."""
    return pv.elements if isinstance(pv, Reached) else f"json_extract({pv}, '$[*]')"


def _element_keys(pv: str) -> str:
    """The JSON text of each element of the JSON array ``pv``: a cast of the list, not a lambda
    casting each element, which DuckDB plans in more time (a condition's array branch is most
    of its planning)."""
    return f"CAST({_elements(pv)} AS VARCHAR[])"


def _is_object(x: str) -> str:
    """The JSON value ``x`` is an object a path goes on through: not a Date (values.normalise_json)."""
    return f"""(json_type({x}) = 'OBJECT' AND NOT regexp_full_match(CAST({x} AS VARCHAR), '\\{{"__type":"Date","iso":"[^"]*"\\}}'))"""


def _over_array(pv: str, params: list[Any], test: str, more: list[Any] | None = None) -> tuple[str, list[Any]]:
    """``test`` (of :func:`_elements` of ``pv``) and its parameters: ``pv``'s, then the test's
    own (``more``). Not guarded by a test that ``pv`` is an array: json_extract reads no
    element in a value that is none (the test answers as of an empty array, which the
    condition ORs with the value's own test), and such a guard wrote ``pv`` once more, which
    DuckDB plans in much more time than the parse takes; the caller's guard
    (PathTerms._in_array: the Object holds some array) keeps the parse from most records."""
    return test, [*params, *(more or [])]


def _has_fraction(key: str) -> bool:
    """Whether the canonical key holds a number that is not whole (written as a float)."""
    return any_nested(json.loads(key), lambda v: type(v) is float)


def _bound_key(key: str) -> str:
    """The bound canonical ``key`` as json_extract writes an element."""
    return "CAST(json_extract(CAST(? AS VARCHAR), '$') AS VARCHAR)" if _has_fraction(key) else "?"


# (test, value) of the elements of each type class, as lambdas over a JSON element x. A Date is
# the object {__type: 'Date', iso} with the iso in values.iso_ms's form (load refuses another).
_ELEMENT_KINDS = {
    "number": ("json_type(x) IN ('BIGINT', 'UBIGINT', 'DOUBLE')", "CAST(x AS DOUBLE)"),
    "string": ("json_type(x) = 'VARCHAR'", "json_extract_string(x, '$')"),
    "bool": ("json_type(x) = 'BOOLEAN'", "CAST(x AS BOOLEAN)"),
    "date": (
        """regexp_full_match(CAST(x AS VARCHAR), '\\{"__type":"Date","iso":"[^"]*"\\}')""",
        "CAST(json_extract_string(x, '$.iso') AS TIMESTAMP)",
    ),
}

# Dialect.sort_row's columns and their types
_SORT_FIELDS = (("r", "INTEGER"), ("number", "DOUBLE"), ("string", "VARCHAR"), ("bool", "BOOLEAN"), ("date", "TIMESTAMP"))

DUCKDB = DuckDBDialect()

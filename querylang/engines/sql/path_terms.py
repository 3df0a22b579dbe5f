"""Conditions on a dot path into an Object field ('meta.views', 'meta.items.name') in SQL
(docs/semantics.md#objects). A part of the Compiler (compiler.py), which inherits it.

The value at a path that passes only through objects is read from the Object's path map (one
lookup); an array found there takes the element rules. A path of two steps or more may pass
through an array on the way, which MongoDB reads in each element (and at an index, for a
step that is one): in records whose Object may hold an array and where a step before the last
holds one, the condition tests the values the path reaches, walked once over the whole path
(Dialect.path_through: from the top of the Object, or from the value the map holds nearest the
end, the first array on the way), as the reference evaluator's ``_reach`` walks them;
everywhere else the one lookup answers. The SQL grows with the steps, as much for each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from querylang.engines.sql.dialect import Dialect
from querylang.engines.sql.fragments import FALSE, Sql, join_sql, not_sql, param
from querylang.model.schema import Field
from querylang.model.values import SORT_RANKS, canonical, type_class

SQL_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
# The typed path map of an Object field that holds values of each type class (layouts).
PATH_VALUE_MAP = {"number": ":pn", "string": ":ps", "bool": ":pb", "date": ":pd"}

# A test of the values a path reaches through an array: (candidates SQL, its parameters) →
# (SQL, parameters); the candidates as the Dialect.path_* methods take an array at a path.
Through = Callable[[str, list[Any]], tuple[str, list[Any]]]


class PathTerms:
    """Equality, ranges, lists, null, exists, regex and all at an Object dot path."""

    # The Compiler's, which inherits these: named here for the type checker only.
    d: Dialect
    if TYPE_CHECKING:

        def col(self, name: str, part: str = "") -> str: ...

        def in_list(self, expr: str, values: list[Any], *, hide: bool = False) -> Sql: ...

    def _path(self, f: Field, part: str = ":p") -> tuple[str, str]:
        """(map column, key) of a dotted path into an Object field: 'meta.a.b' → meta:p['a.b']."""
        head, key = f.name.split(".", 1)
        return self.col(head, part), key

    def _path_value(self, f: Field, part: str = ":p") -> Sql:
        col, key = self._path(f, part)
        kind = next((k for k, p in PATH_VALUE_MAP.items() if p == part), None)
        text_, params = self.d.object_path(col, kind, key)
        return Sql(text_, params)

    def _through(self, f: Field, fast: Sql, through: Through) -> Sql:
        """``fast`` (a test of the value at the path) where the path passes only through
        objects; where a step before the last holds an array, ``through`` of the values the
        whole path reaches. A path of one step passes no array on the way: ``fast`` alone."""
        if "." not in f.name.split(".", 1)[1]:
            return fast
        on_the_way = self._arrays_on_the_way(f, at_the_end=False)
        test, test_params = through(*self.d.path_through(*self._path_root(f)))
        return Sql(f"(CASE WHEN {on_the_way.text} THEN {test} ELSE {fast.text} END)",
                   [*on_the_way.params, *test_params, *fast.params])

    def _path_root(self, f: Field) -> tuple[str, list[Any], list[str], list[tuple[str, list[Any]]]]:
        """(the Object as Dialect.path_through and path_sort_keys walk it, its parameters,
        the steps of the path, the lookup of the path to each step)."""
        head, key = f.name.split(".", 1)
        steps = key.split(".")
        col = self.col(head, ":p")
        lookups = [self.d.path_at(col, ".".join(steps[:k])) for k in range(1, len(steps) + 1)]
        return self.col(head, self.d.path_root), [], steps, lookups

    def _arrays_on_the_way(self, f: Field, *, at_the_end: bool) -> Sql:
        """A test that a step of an Object path but the last (``at_the_end``: or the last)
        holds an array, one lookup each: the map holds paths through objects only, so the
        first array on the way is the only one a lookup finds. Where none does, the value at
        the path, one lookup, answers; where one does, the values the whole path reaches,
        walked over it (which would answer anywhere, at a greater cost)."""
        head, key = f.name.split(".", 1)
        steps = key.split(".")
        col = self.col(head, ":p")
        tests: list[str] = []
        params: list[Any] = []
        for k in range(1, len(steps) + at_the_end):
            at, at_params = self.d.path_at(col, ".".join(steps[:k]))
            tests.append(self.d.is_array_value(at))
            params += at_params
        some = f"({' OR '.join(tests)})"
        guard = self.d.may_hold_array(self.col(head))
        return Sql(some if guard is None else f"{guard} AND {some}", params)

    def _path_order(self, f: Field, largest: bool) -> Sql:
        """The sort value of an Object path (docs/semantics.md#sort, Dialect.sort_row): of the
        value at the path; where an array is met on the way or at the end, of the smallest
        (``largest``: the largest) key MongoDB's sort reads there (Dialect.path_sort_keys)."""
        kinds = ("number", "string", "bool", "date")
        # A value of a kind at the path: the path passes only through objects, and the value
        # is read once more (most records; an array's test would read the map once more).
        whens, params = [], []
        for j, kind in enumerate(kinds):
            value = self._path_value(f, PATH_VALUE_MAP[kind])
            row = self.d.sort_row([str(SORT_RANKS[kind]), *(value.text if i == j else None for i in range(len(kinds)))])
            whens.append(f"WHEN {value.text} IS NOT NULL THEN {row}")
            params += [*value.params, *value.params]
        whole = self._path_value(f)
        other = (f"CASE WHEN coalesce({whole.text}, 'null') = 'null' THEN {SORT_RANKS['null']} "
                 f"WHEN {self.d.is_array_value(whole.text)} THEN {SORT_RANKS['array']} ELSE {SORT_RANKS['object']} END")
        plain = Sql(self.d.sort_row([other, None, None, None, None]), [*whole.params, *whole.params])
        on_the_way = self._arrays_on_the_way(f, at_the_end=True)
        row, row_params = self.d.keys_order(*self.d.path_sort_keys(*self._path_root(f)), largest)
        whens.append(f"WHEN {on_the_way.text} THEN {row}")
        params += [*on_the_way.params, *row_params]
        return Sql(f"(CASE {' '.join(whens)} ELSE {plain.text} END)", [*params, *plain.params])

    def _path_missing(self, f: Field) -> Sql:
        """Nothing, or null, at an Object path, as the one lookup reads it."""
        pv = self._path_value(f)
        return Sql(f"coalesce({pv.text}, 'null') = 'null'", pv.params)

    def _path_exists(self, f: Field, exists: bool) -> Sql:
        """Some value other than null is reached (docs/semantics.md#absent)."""
        present = self._through(f, not_sql(self._path_missing(f)), self.d.path_has_present)
        return present if exists else not_sql(present)

    def _path_absent(self, f: Field) -> Sql:
        """Absent at the path, or an array there holding null (MongoDB's {path: null}); on
        through an array, some branch reaching nothing or null."""
        pv = self._path_value(f)
        null = canonical(None)
        fast = join_sql(" OR ", [self._path_missing(f), self._in_array(f, self.d.path_has(pv.text, pv.params, null))], FALSE)
        return self._through(f, fast, lambda c, p: self.d.path_has(c, p, null))

    def _in_array(self, f: Field, test: tuple[str, list[Any]]) -> Sql:
        """A test (a Dialect.path_* one) of the elements of an array at an Object path, made
        only in records whose Object may hold an array (Dialect.may_hold_array): most hold
        none, and reading the value at the path again costs as much as the rest."""
        guard = self.d.may_hold_array(self.col(f.name.split(".", 1)[0]))
        return Sql(test[0] if guard is None else f"(CASE WHEN {guard} THEN {test[0]} END)", test[1])

    def _path_compare(self, f: Field, op: str, v: Any) -> Sql:
        """A comparison at an Object path: the value there, or, when it is an array, one of
        its elements (docs/semantics.md#objects), as on an Array field."""
        if op in ("eq", "ne"):
            whole, key = self._path_value(f), canonical(v)
            some = self._in_array(f, self.d.path_has(whole.text, whole.params, key))
            eq = Sql(f"({whole.text} = ? OR {some.text})", [*whole.params, key, *some.params])
            eq = self._through(f, eq, lambda c, p: self.d.path_has(c, p, key))
            return not_sql(eq) if op == "ne" else eq
        kind = type_class(v)
        scalar, pv = self._path_value(f, PATH_VALUE_MAP[kind]), self._path_value(f)
        # Some element < v  ⟺  the smallest element of v's type < v (and likewise for >).
        largest, value = op in ("gt", "gte"), param(v)
        extreme = self._in_array(f, self.d.path_extreme(pv.text, pv.params, kind, largest))
        fast = Sql(f"({scalar.text} {SQL_OPS[op]} ? OR {extreme.text} {SQL_OPS[op]} ?)",
                   [*scalar.params, value, *extreme.params, value])

        def through(c: str, p: list[Any]) -> tuple[str, list[Any]]:
            least, lp = self.d.path_extreme(c, p, kind, largest)
            return f"({least} {SQL_OPS[op]} ?)", [*lp, value]

        return self._through(f, fast, through)

    def _path_in(self, f: Field, values: list[Any], has_null: bool) -> Sql:
        """containedIn at an Object path: the value there listed, or some element of an array
        there; a listed null, absent (_path_absent)."""
        parts: list[Sql] = []
        keys = [canonical(v) for v in values]
        if values:
            pv = self._path_value(f)
            listed = self.in_list(pv.text, keys)  # a long list: one parameter
            parts.append(Sql(listed.text, [*pv.params, *listed.params]))
            pv = self._path_value(f)  # or some element of an array there listed
            parts.append(self._in_array(f, self.d.path_has_any(pv.text, pv.params, keys)))
            some = join_sql(" OR ", parts, FALSE)
            through = self._through(f, some, lambda c, p: self.d.path_has_any(c, p, keys))
            parts = parts if through is some else [through]  # one step: the SQL as it was
        if has_null:
            parts.append(self._path_absent(f))
        return join_sql(" OR ", parts, FALSE)

    def _path_regex(self, f: Field, pattern: str) -> Sql:
        pv, whole = self._path_value(f, ":ps"), self._path_value(f)
        some = self._in_array(f, self.d.path_any_regex(whole.text, whole.params, pattern))
        fast = Sql(f"({self.d.regex_match(pv.text)} OR {some.text})", [*pv.params, pattern, *some.params])
        return self._through(f, fast, lambda c, p: self.d.path_any_regex(c, p, pattern))

    def _path_all(self, f: Field, values: tuple[Any, ...]) -> Sql:
        """``all`` at an Object path, MongoDB's AND of equalTo each value (docs/semantics.md#objects):
        one value is that equalTo; of two or more (distinct: the builder dedupes them), only
        an array there can hold them all, tested in one go however long the list, or the
        values reached through an array on the way."""
        if not values:
            return FALSE
        if len(values) == 1:
            return self._path_compare(f, "eq", values[0])
        pv, keys = self._path_value(f), [canonical(v) for v in values]
        fast = self._in_array(f, self.d.path_has_all(pv.text, pv.params, keys))
        return self._through(f, fast, lambda c, p: self.d.path_has_all(c, p, keys))

"""What a SQL engine supplies to the generic compiler (compiler.py): its spelling of the
operations that differ between engines, its layout (which columns hold a field) and its bug
workarounds.

The compiler writes every placeholder as ``?`` and calls :meth:`Dialect.finish` once on the
whole statement; no identifier can hold a ``?`` (schema.NAME_RE, and the layouts' helper
suffixes are ``:`` and letters) and the compiler writes no string literal holding one, so a
``?`` in compiled SQL is always a placeholder.

Every method gets SQL expressions already written (quoted columns, placeholders) and returns
SQL text; parameters stay with the compiler, in the order the ``?`` appear.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from querylang.errors import QueryError
from querylang.features import text
from querylang.features.regex import Regex, compile_regex
from querylang.model.schema import ClassDef
from querylang.model.values import SORT_RANKS


class Layout(Protocol):
    """Where an engine keeps a class: table and column names (not yet quoted)."""

    def table(self, class_name: str) -> str: ...

    def column(self, field_name: str, part: str = "") -> str: ...

    def join_table(self, owner_class: str, key: str) -> str: ...

    def output_columns(self, cls: ClassDef) -> list[str]: ...


def index_step(step: str) -> int | None:
    """The array index a path step names, as MongoDB reads one: the step is digits, and names
    element i when it is i written out ('00' names none). None: no index (or one past any
    array a record can hold)."""
    if not (step.isascii() and step.isdigit()) or str(int(step)) != step or int(step) >= 2**31:
        return None
    return int(step)


def key_rank(empty: str, is_json: dict[str, str], tests: dict[str, str]) -> str:
    """The rank (values.SORT_RANKS) of a sort key that :meth:`Dialect.path_sort_keys` reads, in
    a dialect's words: ``empty`` tests an empty array's key (-1), ``is_json`` that the JSON is
    'null', an 'object' or an 'array', ``tests`` that it is a 'number', 'string' or 'date'; a
    boolean is the rest."""
    ranks = " ".join(f"WHEN {tests[k]} THEN {SORT_RANKS[k]}" for k in ("number", "string", "date"))
    return (f"CASE WHEN {empty} THEN -1 WHEN {is_json['null']} THEN {SORT_RANKS['null']} {ranks} "
            f"WHEN {is_json['object']} THEN {SORT_RANKS['object']} WHEN {is_json['array']} "
            f"THEN {SORT_RANKS['array']} ELSE {SORT_RANKS['bool']} END")


class Reached(str):
    """What :meth:`Dialect.path_through` may answer: the values reached as an array at a path
    (the text), and ``elements``, an engine's expression of them as the path_* tests read an
    array's elements, which they then read as they are: writing the values out as JSON and
    reading them back cost more than the rest, and no test of whether it is an array is needed."""

    elements: str

    def __new__(cls, text: str, elements: str) -> Reached:
        made = super().__new__(cls, text)
        made.elements = elements
        return made


@dataclass(frozen=True)
class Page:
    """What the compiler knows of a rows statement, for :meth:`Dialect.rows_statement`."""

    rows: int | None  # limit + skip when the query asked for a limit; None: no page of its own
    lookup: bool  # the condition is an index lookup (a few pointer ids, one objectId)
    edges: bool  # the condition looks up an edge table (relatedTo, a Relation, matchesQuery)
    resortable: bool  # every sort key is an output column: a wrapping statement can re-sort
    conditions: int = 1  # parts of the condition's top-level AND (many parts: likely selective)
    by_id: bool = False  # the first sort key is objectId (the default): its index gives the order


# Select lists of pure dialects (Dialect.select_list): (dialect, class, columns, SQL) by their ids.
_SELECTS: dict[tuple[int, int], tuple[Dialect, ClassDef, list[str], str]] = {}
_MAX_SELECTS = 256


class Dialect:
    """The generic spellings (valid on DuckDB and PostgreSQL); an engine overrides what differs."""

    name = "SQL"
    layout: Layout
    # The LIMIT written into the statement as a number rather than bound: a planner that keeps
    # one generic plan for a prepared statement can then see the limit (the plan cache keys
    # plans by the limit, so it never varies within one statement).
    limit_in_text = False

    def unsupported(self, what: str) -> QueryError:
        """The named error for a construct this engine cannot answer identically."""
        return QueryError(f"no translation for {what} on {self.name}")

    # --- where a field's values are (the layout's columns, or expressions over them) -------

    # The owner and target id columns of a Relation's edge table, quoted.
    edge_columns: tuple[str, str] = ("owning_id", "related_id")
    # relatedTo / pointsTo on a Relation as `objectId = ANY(ARRAY(edges))` (Compiler._ids_in).
    edge_ids_as_array = False

    def column_sql(self, alias: str, name: str, part: str = "", class_name: str = "") -> str:
        """The SQL for field ``name``'s column (or its helper ``part``) of ``class_name``'s
        table, aliased ``alias``."""
        if part in (":fx", ":wx"):
            return self._stored_words(alias, name, part)
        return f"{alias}.{self.quote(self.layout.column(name, part))}"

    def _stored_words(self, alias: str, name: str, part: str) -> str:
        """A String's folded words (``:fx``) or words as written (``:wx``): each is stored
        only where it differs from what it is read back as here (cells.stored_words), the
        words as written from the text with a blank at each end, the folded words from the
        words as written. Most texts are plain words in lower case, and three word columns
        written for each made computing them most of a bulk load's time on a text class."""
        text, fx, wx = (f"{alias}.{self.quote(self.layout.column(name, p))}" for p in ("", ":fx", ":wx"))
        as_written = f"coalesce({wx}, ' ' || {text} || ' ')"
        return as_written if part == ":wx" else f"coalesce({fx}, {as_written})"

    def output_sql(self, alias: str, column: str, class_name: str = "", ftype: str | None = None) -> str:
        """The SQL that reads one of ``layout.output_columns`` back, as the row decoder takes it
        (``ftype``: the type of the field the column is, when it is one)."""
        return f"{alias}.{self.quote(self.layout.column(column))}"

    # True when the select list is a function of the class alone (an engine whose layout reads
    # other state, such as Parse's tables, leaves it False): it is then kept per class.
    select_list_pure = False
    # Whether a rows statement may read back only the fields a ``select`` names (compile_query):
    # not where the layout reads whole stored rows (Parse's tables).
    narrow_select = True

    def select_list(self, cls: ClassDef) -> tuple[list[str], str]:
        """(``layout.output_columns``, the rows statement's select list reading them, alias t)."""
        if not self.select_list_pure:
            return self._select_list(cls)
        key = (id(self), id(cls))
        kept = _SELECTS.get(key)
        # ClassDefs are never changed, only replaced (a schema change makes new ones); the
        # identity check makes a reused id() a miss.
        if kept is None or kept[0] is not self or kept[1] is not cls:
            if len(_SELECTS) >= _MAX_SELECTS:
                _SELECTS.clear()
            kept = _SELECTS[key] = (self, cls, *self._select_list(cls))
        return list(kept[2]), kept[3]  # a new list: a plan's columns belong to the plan

    def _select_list(self, cls: ClassDef) -> tuple[list[str], str]:
        cols = self.layout.output_columns(cls)
        types = {f.name: f.type for f in cls.fields.values()}
        return cols, ", ".join(self.output_sql("t", col, cls.name, types.get(col)) for col in cols)

    # --- statement text ----------------------------------------------------------------

    def finish(self, sql: str) -> str:
        """The statement with this driver's placeholders (``?`` as written by the compiler)."""
        return sql

    def quote(self, name: str) -> str:
        """The one way identifiers enter SQL: always double-quoted, quotes doubled."""
        return '"' + name.replace('"', '""') + '"'

    def rows_statement(self, select: str, table: str, where: str, order: str, paging: str, page: Page) -> str:
        """The rows statement: ``select`` from ``table`` (alias t) where ``where``, ordered, then
        ``paging`` (`` LIMIT ?``, `` OFFSET ?``). An engine may shape it for its planner; the
        parameters stay in this order: the condition's, the order's, the limit, the skip."""
        return f"SELECT {select} FROM {table} AS t WHERE {where} ORDER BY {order}{paging}"

    # --- lists (Array fields' element columns) -------------------------------------------

    def list_contains(self, col: str) -> str:
        """The list column holds the value bound at the one ``?``."""
        raise self.unsupported("list containment")

    def list_has_any(self, col: str, n: int) -> str:
        """The list column holds one of ``n`` bound values."""
        raise self.unsupported("list overlap")

    def list_has_all(self, col: str, n: int) -> str:
        """The list column holds every one of ``n`` bound values."""
        raise self.unsupported("list containsAll")

    def list_within(self, col: str, n: int) -> str:
        """Every element of the list column is one of ``n`` bound values."""
        raise self.unsupported("list containedBy")

    def list_params(self, values: list[Any]) -> list[Any]:
        """The parameters of :meth:`list_has_any`, :meth:`list_has_all` and :meth:`list_within`:
        one per value."""
        return values

    def list_empty(self, col: str) -> str:
        raise self.unsupported("empty list test")

    def list_extreme(self, col: str, kind: str, largest: bool) -> str:
        """The smallest (largest) element of a typed element list; ``kind`` is the value's
        type class (number, string, date, bool)."""
        raise self.unsupported("list min/max")

    # --- regex, text search, Object paths ---------------------------------------------------

    def regex_pattern(self, rx: Regex) -> str:
        """The bound pattern text for :meth:`regex_match`."""
        raise self.unsupported("regular expressions")

    def regex_match(self, expr: str) -> str:
        """``expr`` matches the pattern bound at the one ``?``."""
        raise self.unsupported("regular expressions")

    def regex_delete(self, expr: str) -> str:
        """``expr`` without the text the bound pattern matches."""
        raise self.unsupported("regular expressions")

    def list_any_regex(self, col: str) -> str:
        """Some element of a string list matches the bound pattern."""
        raise self.unsupported("regular expressions on arrays")

    def contains_text(self, col: str) -> str:
        """``col`` holds the bound text as a substring (text search over word columns)."""
        raise self.unsupported("substring search")

    def words_hold(self, col: str, part: str, word: str) -> tuple[str, list[Any]]:
        """The words of a text (``col``: its word column ``part``, text.py) hold ``word``:
        (SQL, parameters)."""
        return self.contains_text(col), [text.joined([word])]

    def folded_words_hold(self, wx: str, fx: str, word: str, case_sensitive: bool,
                          diacritic_sensitive: bool) -> tuple[str, list[Any]]:
        """The words of a text hold ``word``, each word folded as one sensitivity flag says
        (text.word_fold): a phrase of the words as written (``wx``, text.joined), tested where
        the folded words (``fx``) hold the word's fold, as they do wherever it is found (a
        flag's folding keeps a word's fold): (SQL, parameters)."""
        test, params = self.phrase_in(wx, text.Phrase(text.joined([word]), ""), case_sensitive, diacritic_sensitive)
        folds = text.joined([text.fold(word)])
        return f"(CASE WHEN {self.contains_text(fx)} THEN {test} ELSE FALSE END)", [folds, *params]

    def phrase_candidate(self, fx: str, phrase: text.Phrase) -> tuple[str, list[Any]] | None:
        """A String's folded words (``fx``) hold those of ``phrase``, as they do wherever its
        text holds the phrase (text.Phrase): (SQL, parameters), or None (no words to test)."""
        return (f"({self.contains_text(fx)})", [phrase.words]) if phrase.words else None

    def phrase_in(self, col: str, phrase: text.Phrase, case_sensitive: bool, diacritic_sensitive: bool) -> tuple[str, list[Any]]:
        """Text ``col`` holds ``phrase``, both folded as the flags say (text.phrase_fold):
        (SQL, parameters)."""
        if case_sensitive and diacritic_sensitive:
            return f"({self.contains_text(col)})", [phrase.needle]
        if not phrase.needle:
            return "TRUE", []
        dropped, find = text.phrase_patterns(phrase.needle, case_sensitive, diacritic_sensitive)
        params = [self.regex_pattern(compile_regex(dropped))] if dropped else []
        params.append(self.regex_pattern(compile_regex(find)))
        return self.regex_match(self.regex_delete(col) if dropped else col), params

    def object_path(self, col: str, kind: str | None, key: str) -> tuple[str, list[Any]]:
        """The value at dotted path ``key`` of an Object field (``col``: its path map column):
        (SQL, parameters)."""
        return self.path_value(col, kind), [key]

    # The elements of an array found at an Object path (docs/semantics.md#objects). ``pv`` is
    # the value there as path_value writes it with no kind, ``params`` its parameters; each
    # returns (SQL, parameters), and holds for no element when no array is there.

    def may_hold_array(self, col: str) -> str | None:
        """False only where an Object field (``col``: its column) holds no array at any depth
        (None: no such test)."""
        return None

    def path_has(self, pv: str, params: list[Any], key: str) -> tuple[str, list[Any]]:
        """Some element is the value of canonical key ``key``."""
        raise self.unsupported("arrays inside Object fields")

    def path_has_any(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        """Some element is one of the values of canonical ``keys``."""
        raise self.unsupported("arrays inside Object fields")

    def path_has_all(self, pv: str, params: list[Any], keys: list[str]) -> tuple[str, list[Any]]:
        """Every one of the values of canonical ``keys`` is an element."""
        raise self.unsupported("arrays inside Object fields")

    def path_extreme(self, pv: str, params: list[Any], kind: str, largest: bool) -> tuple[str, list[Any]]:
        """The smallest (largest) element of type class ``kind`` (NULL: none), as a value a
        bound value of that kind compares with."""
        raise self.unsupported("arrays inside Object fields")

    def path_any_regex(self, pv: str, params: list[Any], pattern: str) -> tuple[str, list[Any]]:
        """Some string element matches ``pattern`` (regex_pattern's)."""
        raise self.unsupported("arrays inside Object fields")

    def path_has_present(self, pv: str, params: list[Any]) -> tuple[str, list[Any]]:
        """Some element is not null."""
        raise self.unsupported("arrays inside Object fields")

    # A path on through an array (docs/semantics.md#objects): a test that a step before the
    # last holds one, and the values the whole path reaches from the top of the Object.

    # The part of an Object field (layout) that path_through and path_sort_keys walk from: its
    # whole value as JSON.
    path_root = ":k"

    def path_at(self, col: str, key: str) -> tuple[str, list[Any]]:
        """The value at dotted path ``key`` of an Object field (``col``: its path map column),
        as :meth:`is_array_value` takes it: (SQL, parameters). Where an array is met before
        ``key`` ends, what it reads there matters not (the first array on the way is found)."""
        return self.object_path(col, None, key)

    def path_through(self, at: str, params: list[Any], steps: list[str],
                     lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """The values ``steps`` reach from the Object ``at`` (its :attr:`path_root`), as an array
        the path_* tests take (an array at a path): each value reached, null where a branch
        reaches nothing, and the elements of each array reached by a key, not by an index
        (MongoDB's traversal; reference/evaluator.py's ``_reach`` is the rule). ``lookups``:
        :meth:`path_at` of the path to each step, which a dialect whose path_at reads
        through objects only may start the walk from."""
        raise self.unsupported("paths through arrays")

    # A sort by a dot path (docs/semantics.md#sort): one value per record, a row of its kind's
    # rank (values.SORT_RANKS, -1 for an empty array's key) and its value as a number, a
    # string, a boolean and a date (NULL but for its kind), which orders as the reference's
    # sort; where the path meets an array, the row of the smallest or largest of the keys
    # MongoDB's sort reads there (reference/evaluator.py's ``_sort_keys`` is the rule).

    def sort_row(self, columns: Sequence[str | None]) -> str:
        """The row of the five columns (rank, number, string, boolean, date); None: NULL."""
        raise self.unsupported("sorting by an Object path")

    def path_sort_keys(self, at: str, params: list[Any], steps: list[str],
                       lookups: Sequence[tuple[str, list[Any]]] = ()) -> tuple[str, list[Any]]:
        """The sort keys ``steps`` reach from the Object ``at`` (its :attr:`path_root`): each value
        reached, the elements of an array reached by a key, null for a branch reaching nothing,
        and SQL NULL for an empty array reached (MongoDB's undefined, before null), as
        :meth:`keys_order` takes them; ``lookups`` as :meth:`path_through`'s."""
        raise self.unsupported("sorting by a path through arrays")

    def keys_order(self, keys: str, params: list[Any], largest: bool) -> tuple[str, list[Any]]:
        """The :meth:`sort_row` of the smallest (``largest``: the largest) of ``keys``."""
        raise self.unsupported("sorting by a path through arrays")

    def is_array_value(self, expr: str) -> str:
        """A canonical value (an Object path's, :meth:`path_value` with no kind) is an array."""
        return f"left({expr}, 1) = '['"

    def path_value(self, col: str, kind: str | None) -> str:
        """The value at the bound path key in an Object field's path map column; ``kind``
        None for the canonical key column ``:p``, else the value's type class."""
        raise self.unsupported("Object paths")

    # --- a Polygon's ring (two list columns, the ring closed: edge k from point k to k + 1) ---

    def ring_edge(self, lng: str, lat: str) -> tuple[str, str, str, str]:
        """(x1, y1, x2, y2) of edge k, for :meth:`ring_any` / :meth:`ring_count` conditions
        (lists indexed from 1, as in DuckDB and PostgreSQL)."""
        return f"{lng}[k]", f"{lat}[k]", f"{lng}[k + 1]", f"{lat}[k + 1]"

    # A withinPolygon of more points than this binds its ring as two lists (Compiler.within_ring).
    long_polygon = 64

    def double_list(self) -> str:
        """One bound parameter, a list of doubles, as an expression (a ring's coordinates)."""
        raise self.unsupported("long polygons")

    def ring_any(self, lat: str, cond: str) -> str:
        """Some edge of the ring satisfies ``cond`` (written with :meth:`ring_edge`)."""
        raise self.unsupported("Polygon fields")

    def ring_count(self, lat: str, cond: str) -> str:
        """How many edges of the ring satisfy ``cond``."""
        raise self.unsupported("Polygon fields")

    # --- lists of values -------------------------------------------------------------------

    long_list = 256  # longer IN-lists bind as one list parameter
    # The bind parameters one statement may have (None: no limit). A query whose short lists,
    # one parameter per value, would bind more (an OR of many of them) binds each list as one.
    max_params: int | None = None
    # ANDs of more conditions than this are written in groups of this many (Compiler.conjunction);
    # None: one flat AND, however long.
    and_group: int | None = None
    small_list = 16  # up to this many values, an Array's containedIn (all) is an OR (AND) of list_contains

    def lists_as_one(self) -> Dialect:
        """This dialect binding every IN-list of two values or more as one list parameter."""
        twin = copy.copy(self)
        twin.long_list = 1
        return twin

    def in_long_list(self, expr: str) -> str:
        """``expr`` is one of the values of the one list parameter."""
        return f"{expr} IN (SELECT unnest(?))"

    def hide_in_list(self, listed: str) -> str:
        """An IN-list that sits in an AND inside an OR (engines with an index-scan bug hide it)."""
        return listed

    def absent_or_listed(self, absent: str, listed: str) -> str:
        """Absent, or one of a list (``containedIn`` with null among the values)."""
        return f"({absent} OR {listed})"

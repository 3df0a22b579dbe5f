"""Query nodes → parameterized SQL, for any engine that supplies a :class:`Dialect`.

This compiler owns the rules every SQL engine shares (two-valued negation, what "absent" is
per field type, "element or whole array", sort with the objectId tie-break and NULLS FIRST/LAST,
sub-queries, relation liveness, nearSphere order); null operands reach it already lowered
(frontends/lower.py). The dialect spells what differs (dialect.py) and its
layout names the columns. Values only ever travel as bound parameters; identifiers only come
from the schema and pass through :meth:`Dialect.quote`. One function per node type, dispatched
by ``match``; reference/evaluator.py mirrors it case for case.

Predicates may come out as SQL NULL where they mean "no match" (a comparison with an absent
value): in WHERE, AND and OR, NULL acts as false. Only negation needs two-valued logic, so
:func:`not_sql` wraps its operand in ``coalesce(.., false)`` (docs/semantics.md#absent: absent fields
match the negative operators).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from querylang.engines.sql.dialect import Dialect, Page
from querylang.engines.sql.fragments import FALSE, TRUE, Sql, join_sql, not_sql, param
from querylang.engines.sql.geo_terms import GeoTerms
from querylang.engines.sql.path_terms import SQL_OPS, PathTerms
from querylang.engines.sql.text_terms import TextTerms
from querylang.errors import QueryError
from querylang.features.regex import compile_regex
from querylang.model import nodes as n
from querylang.model.schema import ClassDef, Field, Schema
from querylang.model.values import canonical, type_class

# Helper column suffixes every layout provides (engines/duckdb/layout.py describes them).
# The typed element list that holds elements of each type class (values.type_class) ...
ELEMENT_LIST = {"number": ":n", "string": ":s", "date": ":d", "bool": ":b"}
WORD_PARTS = (":tx", ":fx", ":wx")  # a String field's text-search words
EDGES = ":edges"  # the part Plan.reads names a Relation's edge table by


@dataclass
class Plan:
    """Compiled SQL for one query: the rows statement and, with count, the count statement.

    What it reads, so no one searches the SQL text for it: ``columns``, the output columns of
    the rows statement; ``reads``, each (class, field, helper part) the condition and the order
    read, a Relation's edge table as (owner class, field, EDGES); ``words``, those of them that
    are text-search word columns, as (class, String field) (a store may compute them first,
    Store.ready).
    """

    class_name: str
    sql: str
    params: list[Any]
    columns: list[str]
    count_sql: str | None = None
    count_params: list[Any] = field(default_factory=list)
    where_sql: str = "TRUE"  # the condition alone (alias t), for aggregates
    where_params: list[Any] = field(default_factory=list)
    limit: int | None = None  # the query's own limit (0: count only, no rows statement to run)
    words: frozenset[tuple[str, str]] = frozenset()
    dialect: str = ""
    reads: frozenset[tuple[str, str, str]] = frozenset()
    # The class as the rows statement reads it when ``select`` left fields out (narrowed_class):
    # the one to decode its rows with. None: the whole class.
    output: ClassDef | None = None


def default_dialect() -> Dialect:
    from querylang.engines.duckdb.dialect import DUCKDB  # the default engine

    return DUCKDB


def compile_query(
    query: n.Query, schema: Schema, *, row_cap: int | None = None, dialect: Dialect | None = None,
    fields: frozenset[str] | None = None,
) -> Plan:
    """The rows statement (and the count statement) for a checked query.

    ``row_cap`` replaces the query's limit (the API uses it to enforce ``max_rows``);
    ``dialect`` is the engine's (DuckDB when not given); ``fields``: the only user fields the
    caller will look at (``select``), which with the sort's are all the statement reads back.
    """
    d = dialect or default_dialect()
    cls = schema.get(query.class_name)
    c = Compiler(schema, cls, d)
    where = c.node(query.where)
    q = d.quote
    table = q(d.layout.table(cls.name))
    shown = cls if fields is None or not d.narrow_select else narrowed_class(cls, fields | {k.field for k in query.sort})
    cols, select = d.select_list(shown)
    terms = [c.order_term(k) for k in query.sort]
    order = ", ".join(t.text for t in terms)
    order_params: list[Any] = [p for t in terms for p in t.params]
    near = n.ordering_near(query.where)
    if near is not None and not query.sort:
        # nearSphere orders nearest first unless a sort is given (MongoDB, docs/semantics.md#geo).
        dist = c.distance(near)
        order, order_params = dist.text + " ASC", dist.params
    # objectId ascending as the last key, always: stable paging (docs/semantics.md#sort).
    if not any(k.field == "objectId" for k in query.sort):
        tiebreak = f'{c.col("objectId")} ASC'
        order = f"{order}, {tiebreak}" if order else tiebreak
    limit = row_cap if row_cap is not None else query.limit
    inline = limit is not None and d.limit_in_text
    paging = ("" if limit is None else f" LIMIT {int(limit)}" if inline else " LIMIT ?") + (" OFFSET ?" if query.skip else "")
    page = page_facts(query, cls, cols, limit, bool(order_params))
    sql = d.rows_statement(select, table, where.text, order, paging, page)
    bound_limit = [limit] if limit is not None and not inline else []
    params = [*where.params, *order_params, *bound_limit, *([query.skip] if query.skip else [])]
    where_sql = d.finish(where.text)
    reads = frozenset(c.reads)
    words = frozenset((cl, f) for cl, f, part in reads if part in WORD_PARTS)
    plan = Plan(cls.name, d.finish(sql), params, cols, where_sql=where_sql, where_params=list(where.params),
                limit=query.limit, words=words, dialect=d.name, reads=reads, output=None if shown is cls else shown)
    if d.max_params is not None and len(params) > d.max_params and d.long_list > 1:
        # Short lists, one parameter per value (an OR of many), passed the engine's limit: the
        # same statement with each list as one parameter (the store refuses one still past it).
        return compile_query(query, schema, row_cap=row_cap, dialect=d.lists_as_one(), fields=fields)
    if query.count:
        plan.count_sql = f"SELECT count(*) FROM {table} AS t WHERE {where_sql}"
        plan.count_params = list(where.params)
    return plan


_NARROWED: dict[tuple[int, frozenset[str]], tuple[ClassDef, ClassDef]] = {}


def narrowed_class(cls: ClassDef, names: frozenset[str]) -> ClassDef:
    """``cls`` with only the built-in fields and those of ``names`` (``select``'s): reading and
    decoding the other columns of a wide class cost more than the query itself. Kept per class
    and names, so that the dialect's select list (kept per ClassDef) and the decoder are too."""
    key = (id(cls), names)
    kept = _NARROWED.get(key)
    if kept is None or kept[0] is not cls:  # a ClassDef is replaced, never changed: a reused id() is a miss
        keep = {name: f for name, f in cls.fields.items() if f.builtin or name in names}
        if len(_NARROWED) >= 512:
            _NARROWED.clear()
        kept = _NARROWED[key] = (cls, cls if len(keep) == len(cls.fields) else ClassDef(cls.name, keep, cls.absent))
    return kept[1]


LOOKUP_MAX_IDS = 16  # pointer ids up to which a condition counts as an index lookup


def page_facts(query: n.Query, cls: ClassDef, cols: list[str], limit: int | None, order_params: bool) -> Page:
    """What the dialect may shape a rows statement by (Dialect.rows_statement)."""
    items = query.where.items if isinstance(query.where, n.And) else (query.where,)
    lookup = edges = False
    for item in items:
        # A Pointer's or objectId's equalTo / containedIn (Parse REST's and the SDKs' form of
        # pointsTo), or an or of them on one Pointer, is the same index lookup as pointsTo:
        # given the rowid shape, it scanned the table for its few rows.
        found = _lookup_ids(pointer_or(item, cls) or item, cls)
        if found is not None:
            lookup = lookup or len(found[1]) <= LOOKUP_MAX_IDS
        elif isinstance(item, n.RelatedTo | n.PointsTo | n.MatchesQuery):
            edges = True
    rows = None if query.limit is None or limit is None else limit + (query.skip or 0)
    resortable = not order_params and all(k.field in cols for k in query.sort)
    by_id = not query.sort or query.sort[0].field == "objectId"
    return Page(rows, lookup, edges, resortable, len(items), by_id)


def _lookup_ids(node: n.Node, cls: ClassDef) -> tuple[str, tuple[Any, ...]] | None:
    """(field, ids) of a condition its field's index answers: pointsTo on a Pointer, or an
    equalTo / containedIn of ids on a Pointer or objectId (every one has an index). None for
    anything else, a null among the ids (it also matches every record without a value) or an
    empty containedIn."""
    name = getattr(node, "field", None)
    f = cls.fields.get(name) if isinstance(name, str) else None
    pointer = f is not None and f.type == "Pointer"
    if isinstance(node, n.PointsTo) and pointer:
        return node.field, node.ids
    if not (pointer or name == "objectId"):
        return None
    if isinstance(node, n.Compare) and node.op == "eq":
        ids: tuple[Any, ...] = (node.value,)
    elif isinstance(node, n.In) and not node.negate and node.values:
        ids = node.values
    else:
        return None
    return (node.field, ids) if None not in ids else None


def pointer_or(node: n.Node, cls: ClassDef) -> n.PointsTo | None:
    """An OR of pointsTo / equalTo / containedIn on one Pointer field, as the one pointsTo it is.

    Noodl's visual "or" of "points to" rules, and a script's ``or`` of them, compiled to
    ``x = ? OR x = ?``, which DuckDB answers with a scan of the table; ``x IN (?, ?)`` is an
    index lookup. Row by row the two are the same three-valued answer (null on a null ``x``).
    """
    if not isinstance(node, n.Or) or len(node.items) < 2:
        return None
    fields: set[str] = set()
    ids: list[str] = []
    for item in node.items:
        found = _lookup_ids(item, cls)
        if found is None or not found[1] or any(type(i) is not str for i in found[1]):
            return None
        fields.add(found[0])
        ids += found[1]
    if len(fields) != 1 or "objectId" in fields:
        return None
    return n.PointsTo(fields.pop(), tuple(ids), pos=node.pos)


class Compiler(GeoTerms, TextTerms, PathTerms):
    """Compiles conditions on one class; sub-queries get a compiler of their own (alias s1, s2…)."""

    def __init__(self, schema: Schema, cls: ClassDef, dialect: Dialect, depth: int = 0,
                 reads: set[tuple[str, str, str]] | None = None) -> None:
        self.schema = schema
        self.cls = cls
        self.d = dialect
        self.depth = depth
        self.alias = "t" if depth == 0 else f"s{depth}"
        # Inside an OR / inside an AND that is inside an OR (see _in_list's `hide`) / inside a NOT.
        self.in_or = self.and_in_or = self.in_not = False
        self.reads: set[tuple[str, str, str]] = set() if reads is None else reads  # shared with sub-queries (Plan.reads)

    def col(self, name: str, part: str = "") -> str:
        self.reads.add((self.cls.name, name, part))
        return self.d.column_sql(self.alias, name, part, self.cls.name)

    def object_id(self, class_name: str, alias: str | None = None) -> str:
        """A record's objectId as the relation and sub-query steps read it (no layout expression:
        the identifier itself, which every layout's edge and id indexes are on)."""
        self.reads.add((class_name, "objectId", ""))
        return f'{alias}."objectId"' if alias else '"objectId"'

    def table(self, class_name: str) -> str:
        return self.d.quote(self.d.layout.table(class_name))

    def join(self, owner_class: str, key: str) -> tuple[str, str]:
        """(name, quoted identifier) of a Relation's edge table."""
        self.reads.add((owner_class, key, EDGES))
        name = self.d.layout.join_table(owner_class, key)
        return name, self.d.quote(name)

    def sub(self, class_name: str) -> Compiler:
        return Compiler(self.schema, self.schema.get(class_name), self.d, self.depth + 1, self.reads)

    def in_list(self, expr: str, values: list[Any], *, hide: bool = False) -> Sql:
        return _in_list(self.d, expr, values, hide=hide)

    def field(self, name: str) -> Field:
        return self.cls.field(name)

    def conjunction(self, parts: list[Sql]) -> Sql:
        """AND of ``parts``; a long one in groups of the dialect's ``and_group``, each group
        ``coalesce(…, FALSE)``. The same answer: a condition is only ever tested in a WHERE,
        where unknown and false both drop the row, or negated by not_sql, which takes unknown for
        false first."""
        group = self.d.and_group
        while group is not None and len(parts) > group:
            parts = [
                Sql(f"coalesce({g.text}, FALSE)", g.params)
                for g in (join_sql(" AND ", parts[k : k + group], TRUE) for k in range(0, len(parts), group))
            ]
        return join_sql(" AND ", parts, TRUE)

    def node(self, node: n.Node) -> Sql:
        match node:
            case n.And(items=items):
                saved = self.and_in_or
                self.and_in_or = self.and_in_or or self.in_or
                try:
                    group = self.d.and_group
                    if group is not None and len(flat := _and_items(items)) > group:
                        return self.conjunction([self.node(i) for i in flat])
                    return join_sql(" AND ", [self.node(i) for i in items], TRUE)
                finally:
                    self.and_in_or = saved
            case n.Or(items=items):
                if (merged := pointer_or(node, self.cls)) is not None:
                    return self.points_to(merged)
                saved = self.in_or
                self.in_or = True
                try:
                    return join_sql(" OR ", [self.node(i) for i in items], FALSE)
                finally:
                    self.in_or = saved
            case n.Not(item=item):
                saved, self.in_not = self.in_not, True
                try:
                    return not_sql(self.node(item))
                finally:
                    self.in_not = saved
            case n.Compare():
                return self.compare(node)
            case n.In():
                return self.in_(node)
            case n.Exists():
                return self.exists(node)
            case n.IsAbsent():
                return self.is_absent(node)
            case n.Nothing():
                return FALSE
            case n.Regex():
                return self.regex(node)
            case n.PointsTo():
                return self.points_to(node)
            case n.RelatedTo():
                return self.related_to(node)
            case n.All():
                return self.all_(node)
            case n.ContainedBy():
                return self.contained_by(node)
            case n.Text():
                return self.text(node)
            case n.NearSphere():
                return self.near(node)
            case n.WithinBox():
                return self.within_box(node)
            case n.WithinPolygon():
                return self.within_polygon(node)
            case n.PolygonContains():
                return self.polygon_contains(node)
            case n.MatchesQuery():
                return self.matches_query(node)
            case n.MatchesKey():
                return self.matches_key(node)
        raise self.d.unsupported(type(node).__name__)

    # --- comparisons ------------------------------------------------------------------------

    def order_term(self, key: n.SortKey) -> Sql:
        """One sort key; absent first ascending, last descending (docs/semantics.md#sort)."""
        way = "DESC NULLS LAST" if key.descending else "ASC NULLS FIRST"
        f = self.field(key.field)
        if f.type != "ObjectPath":
            return Sql(f"{self.col(f.name)} {way}")
        value = self._path_order(f, key.descending)
        return Sql(f"{value.text} {way}", value.params)

    def compare(self, node: n.Compare) -> Sql:
        f = self.field(node.field)
        op, v = node.op, node.value
        if v is None:
            # The builder lowers null operands (frontends/lower.py); a node made by hand was not.
            raise QueryError(f"the comparison of '{f.name}' with null was not lowered: build the query first")
        if f.type == "ObjectPath":
            return self._path_compare(f, op, v)
        if f.type == "Array":
            return self._array_compare(f, op, v)
        col = self.col(f.name, ":k") if f.type == "Object" else self.col(f.name)
        value = canonical(v) if f.type == "Object" else param(v)
        if op == "ne":
            # absent fields match notEqualTo a value (docs/semantics.md#absent)
            return Sql(f"({col} IS DISTINCT FROM ?)", [value])
        return Sql(f"{col} {SQL_OPS[op]} ?", [value])

    def is_absent(self, node: n.IsAbsent) -> Sql:
        """equalTo / <= / >= null, lowered (docs/semantics.md#absent)."""
        return self._absent(self.field(node.field))

    def _absent(self, f: Field) -> Sql:
        """The field is absent (IsAbsent; a null listed in containedIn) — for arrays, or holds
        a null element (MongoDB's {f: null})."""
        if f.type == "ObjectPath":
            return self._path_absent(f)
        if f.type == "Array":
            return Sql(
                f"({self.col(f.name)} IS NULL OR {self.d.list_contains(self.col(f.name, ':e'))})",
                [canonical(None)],
            )
        return Sql(f"{self._presence_col(f)} IS NULL")

    def _presence_col(self, f: Field) -> str:
        return self.col(f.name, ":lat") if f.type == "GeoPoint" else self.col(f.name)

    def _array_compare(self, f: Field, op: str, v: Any) -> Sql:
        """Array fields match when the whole array or any element does (docs/semantics.md#arrays)."""
        if op in ("eq", "ne"):
            eq = self._array_eq(f, v)
            return not_sql(eq) if op == "ne" else eq
        kind = type_class(v)
        # Some element < v  ⟺  the smallest element of v's type < v (and likewise for >).
        extreme = self.d.list_extreme(self.col(f.name, ELEMENT_LIST[kind]), kind, op in ("gt", "gte"))
        return Sql(f"{extreme} {SQL_OPS[op]} ?", [param(v)])

    def _array_eq(self, f: Field, v: Any) -> Sql:
        contains = Sql(self.d.list_contains(self.col(f.name, ':e')), [canonical(v)])
        if isinstance(v, list | tuple):
            return Sql(f"({self.col(f.name, ':k')} = ? OR {contains.text})", [canonical(v), *contains.params])
        return contains

    def in_(self, node: n.In) -> Sql:
        f = self.field(node.field)
        values = list(node.values)
        has_null = any(v is None for v in values)
        values = [v for v in values if v is not None]
        parts: list[Sql] = []
        if f.type == "Array":
            keys = [canonical(v) for v in values]
            if has_null:
                keys.append(canonical(None))
            if 0 < len(keys) <= self.d.small_list:  # (a column is named only when read: Plan.reads)
                parts += [Sql(self.d.list_contains(self.col(f.name, ":e")), [k]) for k in keys]
            elif keys:
                parts.append(Sql(self.d.list_has_any(self.col(f.name, ":e"), len(keys)), self.d.list_params(keys)))
            arrays = [canonical(v) for v in values if isinstance(v, list | tuple)]
            if arrays:
                parts.append(self.in_list(self.col(f.name, ":k"), arrays))
            if has_null:
                parts.append(Sql(f"{self.col(f.name)} IS NULL"))
        elif f.type == "ObjectPath":
            parts.append(self._path_in(f, values, has_null))
        else:
            if values:
                col = self.col(f.name, ":k") if f.type == "Object" else self.col(f.name)
                conv = canonical if f.type == "Object" else param
                listed = self.in_list(col, [conv(v) for v in values], hide=self.and_in_or)
                if has_null:
                    absent = self._absent(f)
                    listed = Sql(self.d.absent_or_listed(absent.text, listed.text), [*absent.params, *listed.params])
                parts.append(listed)
            elif has_null:
                parts.append(self._absent(f))
        positive = join_sql(" OR ", parts, FALSE)
        return not_sql(positive) if node.negate else positive

    def exists(self, node: n.Exists) -> Sql:
        f = self.field(node.field)
        if f.type == "Relation":
            test = self._holds(f, None)
        elif f.type == "ObjectPath":
            return self._path_exists(f, node.exists)
        else:
            # A null test is never unknown, so "absent" needs no coalesce: as `IS NULL`,
            # PostgreSQL answers it from the column's index (every Pointer's) instead of a scan.
            col = self._presence_col(f)
            return Sql(f"{col} IS NOT NULL" if node.exists else f"{col} IS NULL")
        return test if node.exists else not_sql(test)

    def regex(self, node: n.Regex) -> Sql:
        f = self.field(node.field)
        pattern = self.d.regex_pattern(compile_regex(node.pattern, node.options))
        if f.type == "Array":
            return Sql(self.d.list_any_regex(self.col(f.name, ":s")), [pattern])
        if f.type == "ObjectPath":
            return self._path_regex(f, pattern)
        return Sql(self.d.regex_match(self.col(f.name)), [pattern])

    # --- pointers and relations -------------------------------------------------------------

    def points_to(self, node: n.PointsTo) -> Sql:
        f = self.field(node.field)
        if not node.ids:
            return FALSE
        if f.type == "Relation":
            return self._holds(f, list(node.ids))
        return self.in_list(self.col(f.name), list(node.ids), hide=self.and_in_or)

    def _holds(self, f: Field, ids: list[str] | None) -> Sql:
        """Owners holding any of ``ids`` (any target when None) in Relation ``f``.

        An edge counts only while its target record exists (docs/semantics.md#dangling); the owner
        is the row being tested, so it exists. This is the one place that decides how a
        forward relation step is run (a semi-join inside the statement).
        """
        name, jt = self.join(self.cls.name, f.name)
        target = self.table(f.target or "")
        e = f"e{self.depth}"
        own, rel = self.d.edge_columns
        conds, params = [], []
        if ids is not None:
            listed = self.in_list(f"{e}.{rel}", ids)
            conds.append(listed.text)
            params = listed.params
        if name not in self.schema.clean_joins:
            conds.append(f'{e}.{rel} IN (SELECT {self.object_id(f.target or "")} FROM {target})')
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        return Sql(self._ids_in(f"SELECT {e}.{own} FROM {jt} AS {e}{where}", array=ids is not None), params)

    def related_to(self, node: n.RelatedTo) -> Sql:
        """Records held by one owner's Relation; nothing if the owner record is gone (docs/semantics.md#related-to)."""
        return Sql(self._ids_in(self._held_by(node)), self._held_by_params(node))

    def _ids_in(self, sub: str, array: bool = True) -> str:
        """objectId among the ids of ``sub`` (uncorrelated). As an array when the dialect asks
        (edge_ids_as_array) in a plain conjunct: rows read by their id index, no hash join over
        the class. Under OR/NOT the array would be a per-row filter: IN keeps a hashed subplan."""
        if array and self.d.edge_ids_as_array and not (self.in_or or self.in_not):
            return f"{self.object_id(self.cls.name, self.alias)} = ANY(ARRAY({sub}))"
        return f"{self.object_id(self.cls.name, self.alias)} IN ({sub})"

    def _held_by(self, node: n.RelatedTo) -> str:
        """SELECT of the ids one owner's Relation holds (targets not checked: the caller does)."""
        name, jt = self.join(node.owner_class, node.key)
        e, o = f"e{self.depth}", f"o{self.depth}"
        own, rel = self.d.edge_columns
        sql = f"SELECT {e}.{rel} FROM {jt} AS {e} WHERE {e}.{own} = ?"
        if name not in self.schema.clean_joins:
            sql += f' AND EXISTS (SELECT 1 FROM {self.table(node.owner_class)} AS {o} WHERE {self.object_id(node.owner_class, o)} = ?)'
        return sql

    def _held_by_params(self, node: n.RelatedTo) -> list[Any]:
        clean = self.join(node.owner_class, node.key)[0] in self.schema.clean_joins
        return [node.owner_id] if clean else [node.owner_id, node.owner_id]

    def matches_query(self, node: n.MatchesQuery) -> Sql:
        """Pointer/Relation reaching a live record of the target class that matches (docs/semantics.md#pointer-paths $inQuery)."""
        f = self.field(node.field)
        sub = self.sub(f.target or "")
        if (
            f.type == "Pointer"
            and isinstance(node.where, n.RelatedTo)
            and self.join(node.where.owner_class, node.where.key)[0] in self.schema.clean_joins
        ):
            # Pointer into one owner's Relation, every edge's target alive: the edge ids are the
            # matching records, no scan of the target class (two-hop count at L: 21 → 19.5 ms).
            return Sql(f"{self.col(f.name)} IN ({sub._held_by(node.where)})", sub._held_by_params(node.where))
        inner = sub.node(node.where)
        matching = f'SELECT {sub.object_id(sub.cls.name, sub.alias)} FROM {self.table(sub.cls.name)} AS {sub.alias} WHERE {inner.text}'
        if f.type == "Relation":
            jt = self.join(self.cls.name, f.name)[1]
            e = f"e{self.depth}"
            own, rel = self.d.edge_columns
            return Sql(
                f'{self.object_id(self.cls.name, self.alias)} IN (SELECT {e}.{own} FROM {jt} AS {e} '
                f"WHERE {e}.{rel} IN ({matching}))",
                inner.params,
            )
        return Sql(f"{self.col(f.name)} IN ({matching})", inner.params)

    def matches_key(self, node: n.MatchesKey) -> Sql:
        """The value is one of the ``key`` values of the matching records (docs/semantics.md#pointer-paths $select)."""
        f = self.field(node.field)
        sub = self.sub(node.class_name)
        inner = sub.node(node.where)
        key = sub.col(node.key)
        return Sql(
            f"{self.col(f.name)} IN (SELECT {key} FROM {self.table(sub.cls.name)} AS {sub.alias} "
            f"WHERE {key} IS NOT NULL AND {inner.text})",
            inner.params,
        )

    # --- Parse-only array operators ------------------------------------------------------------

    def all_(self, node: n.All) -> Sql:
        """The array holds every listed value; ``all: []`` matches nothing (MongoDB). A long
        list is one test, as containedIn's: an AND of one test per value binds a parameter
        each (PostgreSQL takes 65,535) and crashed DuckDB from some 10,000 values."""
        if self.field(node.field).type == "ObjectPath":
            return self._path_all(self.field(node.field), node.values)
        e = self.col(node.field, ":e")
        keys = [canonical(v) for v in node.values]
        if len(keys) > self.d.small_list:
            return Sql(self.d.list_has_all(e, len(keys)), self.d.list_params(keys))
        parts = [Sql(self.d.list_contains(e), [k]) for k in keys]
        return join_sql(" AND ", parts, FALSE)

    def contained_by(self, node: n.ContainedBy) -> Sql:
        """Every element is listed; absent and empty arrays match (MongoDB's $containedBy, docs/semantics.md#arrays)."""
        whole, e = self.col(node.field), self.col(node.field, ":e")
        if not node.values:
            return Sql(f"({whole} IS NULL OR {self.d.list_empty(e)})")
        return Sql(
            f"({whole} IS NULL OR {self.d.list_within(e, len(node.values))})",
            self.d.list_params([canonical(v) for v in node.values]),
        )


def _in_list(d: Dialect, expr: str, values: list[Any], *, hide: bool = False) -> Sql:
    """``expr IN (...)``: one parameter per value for short lists; a long list is bound as one
    list parameter, since binding 100,000 separate parameters takes seconds (and PostgreSQL
    takes 65,535 at most).

    ``hide``: the list sits in an AND inside an OR (the dialect may need to hide it from an
    index scan, Dialect.hide_in_list).
    """
    if len(values) > d.long_list:
        return Sql(d.in_long_list(expr), [list(values)])
    if len(values) == 1 and not hide:
        # The same answer; DuckDB plans "IN (?)" of one parameter as a list and is slower
        # there (an edge-table lookup by pointsTo, measured in benchmarks/results Tuning).
        return Sql(f"{expr} = ?", list(values))
    listed = f"{expr} IN ({', '.join('?' * len(values))})"
    return Sql(d.hide_in_list(listed) if hide else listed, list(values))


def _and_items(items: tuple[n.Node, ...]) -> list[n.Node]:
    """The conditions an AND holds, those of ANDs inside it taken up into it (the engine
    would, and counts them all as one chain)."""
    out: list[n.Node] = []
    for i in items:
        if isinstance(i, n.And):
            out += _and_items(i.items)
        else:
            out.append(i)
    return out

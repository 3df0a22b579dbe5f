"""Plans kept for filter scripts that differ only in their inputs.

A Noodl app runs the same filter script again and again with new ``Inputs``. Parsing is
cached already, but running the script, building the nodes and compiling the SQL cost ~45 µs
a query; this module brings a repeated query down to binding new values into a known plan.

It works for *template* scripts only: nothing but ``where()``/``filter()``/``sort()`` calls on
literals, with ``Inputs.X`` (or ``$X``) as leaves of the filter object. For those, the filter
object is the same for every input, with the input values in fixed places, so the plan is a
function of the values alone. And only where the value sits in a place whose meaning is plain:
an operand of ``equalTo``/``notEqualTo``/``greaterThan``… on a String, Number, Boolean, Date
or Pointer field, of ``pointsTo``, the list of ``containedIn``/``notContainedIn`` (on an Array field too), or a
``relatedTo`` id, or one of those inside a ``matchesQuery`` (on the target class). Every
other script or input goes the whole way, as before.

Soundness comes from two things rather than from trusting a reading of the compiler:

- the value that is bound is converted by the very functions the builder uses
  (``operands.field_value``, ``operands.object_id``, ``compiler.param``), so checks and
  conversions are the same; a value those reject (or turn into null, which the builder lowers
  to another shape) falls back to the whole way, which raises the usual error with its position;
- a plan is kept per input *signature* (each input's type; a list's length and element
  types) only after two plannings of the same signature — two queries, or the second and
  one with probe values when those two cannot tell the inputs apart — have produced the same
  SQL and shown, parameter by parameter, which input each value comes from. Anything that
  does not line up (a value folded into the SQL, a duplicate dropped from a list) makes that
  signature uncacheable. A script's first run is only noted (its template is looked for from
  the second run on), so a script run once costs nothing extra.

A filter object (a Parse ``where`` once translated) is read as a template of its own
(filter_shape.py): its operands are the inputs, the rest of it is the key
(:meth:`PlanCache.plan_filter`). A Parse Pointer or Date object is an input too, its class in
its signature.

``tests/test_plan_cache.py`` checks cached plans against fresh ones on random scripts.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from querylang.engines.sql.compiler import Plan, param
from querylang.engines.sql.dialect import Dialect
from querylang.engines.sql.filter_shape import filter_shape, signature, with_values
from querylang.features.regex import compile_regex
from querylang.frontends.filters import regex_operand
from querylang.frontends.operands import field_value, object_id
from querylang.frontends.sort_paging import check_paging
from querylang.model.operators import BINDABLE_COMPARE, BINDABLE_LISTS
from querylang.model.schema import ClassDef, Schema
from querylang.model.values import canonical
from querylang.script import ast, to_js
from querylang.script.template import Template, template_of

MAX_PLANS = 512  # per database; least recently used go first
COMPARE_OPS = BINDABLE_COMPARE
LIST_OPS = BINDABLE_LISTS
SKIP = "\x00skip"  # the pseudo-input for the skip option (varies per page, like an input)
WHOLE = -1  # the element index of a parameter that is a whole list input (a bound array)

Convert = Callable[[Any], Any]


# --- 1. the template: where a script puts its inputs (querylang.script.template) --------------


# --- 2. what each place means: the converter a value goes through ----------------------------


def converter(
    schema: Schema, cls: ClassDef, path: tuple[str | int, ...], regex: Callable[[str, str], Any] | None = None,
    regex_options: Mapping[tuple[str | int, ...], str | None] | None = None,
) -> tuple[Convert, str, str] | None:
    """(convert, shape, field type) for a value at ``path`` in a filter object on ``cls``;
    shape is "scalar", "list" (converted element by element) or "either". None when the
    place is not one of the plain ones (see the module docstring).

    A ``matchesRegex`` pattern on a String or Array field is one too when ``regex`` (pattern,
    flags → the SQL parameter, as the compiler makes it) is given and its ``options`` are a
    literal (``regex_options``, from the template)."""
    i = 0
    while i < len(path) and path[i] in ("and", "or", "nor"):
        if i + 1 >= len(path) or not isinstance(path[i + 1], int):
            return None
        i += 2
    rest = path[i:]
    if len(rest) > 2 and isinstance(rest[0], str) and rest[1] in ("matchesQuery", "doesNotMatchQuery"):
        # A place inside the sub-query means what it means on the target class.
        f = cls.fields.get(rest[0])
        target = schema.classes.get(f.target or "") if f is not None and f.type in ("Pointer", "Relation") else None
        inner = rest[3:] if rest[2] == "where" else rest[2:]
        return converter(schema, target, inner) if target is not None and inner else None
    if rest == ("relatedTo", "id"):
        return (lambda v: object_id(to_js(v), "relatedTo id")), "scalar", "Pointer"
    # An input inside a list literal ([Inputs.X, 'a']) is left out: the builder drops
    # duplicates, so X == 'a' would change the list's length and the SQL.
    if len(rest) != 2 or not isinstance(rest[0], str) or not isinstance(rest[1], str):
        return None
    f = cls.fields.get(rest[0])
    if f is None:
        return None
    op = rest[1]
    if op == "matchesRegex" and f.type in ("String", "Array") and regex is not None:
        options = (regex_options or {}).get(path)
        if options is None:
            return None
        return (lambda v: regex(*regex_operand(to_js(v), options))), "scalar", f.type
    if op == "pointsTo" and f.type in ("Pointer", "Relation"):
        return (lambda v: object_id(to_js(v), "pointsTo")), "either", f.type
    if op in LIST_OPS and f.type == "Array":
        # The compiler binds each listed value by its equality key (the element keys an
        # Array column keeps), one parameter each or, on PostgreSQL, all in one array.
        return (lambda v: canonical(field_value(f, to_js(v), scalar_only=False))), "list", f.type
    if f.type not in ("String", "Number", "Boolean", "Date", "Pointer"):
        return None
    if op in COMPARE_OPS:
        scalar_only = op not in ("equalTo", "notEqualTo")
        return (lambda v: param(field_value(f, to_js(v), scalar_only=scalar_only))), "scalar", f.type
    if op in LIST_OPS and f.type != "Boolean":
        return (lambda v: param(field_value(f, to_js(v), scalar_only=False))), "list", f.type
    return None


# --- 3. signatures and probe values ------------------------------------------------------------


def _kept(value: object) -> object:
    """A copy of an input value to keep (the caller may change its lists and objects later)."""
    if type(value) is dict:
        return dict(value)  # type: ignore[arg-type]
    if isinstance(value, list | tuple):
        return [dict(v) if type(v) is dict else v for v in value]
    return value


def _probe(value: object, k: int, date_like: bool) -> object:
    """A value of the same signature, different from ``value`` and from every other probe."""
    t = type(value)
    if t is bool:
        return not value
    if t is int:
        return value + 1_000_003 + k  # type: ignore[operator]
    if t is float:
        return value + 1_000_003.5 + k  # type: ignore[operator]
    if t is str:
        if date_like:
            probe = f"2001-02-03T04:{k // 60000 % 60:02d}:{k // 1000 % 60:02d}.{k % 1000:03d}Z"
            return probe if probe != value else "2" + probe[1:]
        return f"\ue000probe{k}"
    if t is dict:
        assert isinstance(value, dict)
        if value["__type"] == "Date":
            return {"__type": "Date", "iso": _probe(value["iso"], k, True)}
        return {**value, "objectId": _probe(value["objectId"], k, False)}
    assert isinstance(value, list | tuple)
    return [_probe(v, k * 1000 + j, date_like) for j, v in enumerate(value)]


def _same(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b


def _pair_key(x: object, y: object) -> object:
    """A key two pairs of values share when each is the same (_same); TypeError for a value
    that is no key (a list, a dict)."""
    key = (type(x), x, type(y), y)
    hash(key)
    return key


# --- 4. the cache ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bound:
    """A plan with holes: each parameter is a constant or (input name, element, converter)."""

    plan: Plan
    sources: tuple[tuple[object, str | None, int | None, Convert | None], ...]
    lists: tuple[tuple[str, Convert], ...]  # list inputs whose converted elements must stay distinct
    checks: tuple[tuple[str, Convert], ...]  # uses of an input no parameter shows: still checked


Key = tuple[Any, ...]


class PlanCache:
    """Bound plans per (script, class, options, input signature), for one schema at a time."""

    def __init__(self, dialect: Dialect | None = None) -> None:
        """``dialect``: the one the plans are compiled for; without it a regex input is not bound."""
        self._dialect = dialect
        self._plans: OrderedDict[Key, _Bound | _Seen | None] = OrderedDict()
        self._templates: dict[str, Template | None] = {}
        self._once: set[str] = set()  # scripts run once, their template not looked for yet
        self._schema: Schema | None = None
        # A call's own arguments (Queries.query's lane key) → the bound plan its last hit used.
        self._lanes: dict[Key, _Lane] = {}
        self.hits = self.misses = 0

    def plan(
        self,
        schema: Schema,
        class_name: str,
        script: str,
        inputs: Mapping[str, Any] | None,
        options: tuple[Any, ...],
        skip: object,
        full: Callable[[Mapping[str, Any], object], Plan],
        tree: Callable[[str], ast.Program],
        lane: Key | None = None,
    ) -> Plan:
        """The plan for ``script`` with ``inputs``: bound from a kept plan, or ``full(inputs, skip)``.

        ``options`` are the other arguments that shape the SQL (sort, limit, count, strict,
        row cap); ``tree(script)`` parses (raising the usual syntax errors). ``lane``: the
        call's own arguments as a key (:meth:`by_lane`), for which a hit is remembered.
        """
        template: Template | None = self._templates.get(script, _MISSING)  # one lookup on a hit
        if template is _MISSING:
            if script not in self._once:
                # A script's first run: only noted. Finding its template (a walk of the tree)
                # is paid from its second run on, so a script run once costs nothing extra.
                if len(self._once) >= MAX_PLANS:
                    self._once.clear()
                self._once.add(script)
                return full({} if inputs is None else inputs, skip)
            try:
                template = template_of(tree(script))
            except Exception:
                template = None  # the whole way reports the syntax error, with the source
            if len(self._templates) >= MAX_PLANS:
                self._templates.clear()
            self._templates[script] = template
        if template is None or (inputs is not None and type(inputs) is not dict and not isinstance(inputs, Mapping)):
            # Not `inputs or {}`: inputs=[] or '' ran the script with no inputs, dropping the
            # conditions on them, where inputs=3 is refused.
            return full({} if inputs is None else inputs, skip)
        return self._bound(schema, class_name, script, template, inputs, options, skip, full, lane)

    def by_lane(self, lane: Key, schema: Schema, inputs: Mapping[str, Any] | None, skip: object) -> Plan | None:
        """The plan of a call whose arguments but its inputs and skip are those of a call that
        hit a kept plan (``lane``, the caller's key of them): that plan with these values bound,
        or None (another schema, another input signature, a value the builder rejects: the
        caller plans as usual, :meth:`plan`). The same values, checks and conversions as a hit
        there, without rebuilding the options and the key a call's arguments already fix."""
        kept = self._lanes.get(lane)
        if kept is None or kept.schema is not schema:
            return None
        given = inputs or {}
        names = kept.names
        values: dict[str, Any] = {}
        for name in names:  # a loop, not a comprehension: no frame of its own
            values[name] = given.get(name, _MISSING)
        if skip is not None:
            values[SKIP] = skip
        if tuple(map(signature, values.values())) != kept.sig:
            return None  # a missing input (its signature None) never equals a kept one
        try:
            if inputs is not None:
                _names_checked(inputs, names)  # as a hit in _bound
            plan = _fill(kept.bound, values)
        except Exception:
            return None
        self.hits += 1
        return plan

    def plan_filter(
        self,
        schema: Schema,
        class_name: str,
        where: object,
        options: tuple[Any, ...],
        skip: object,
        full_where: Callable[[object, object], Plan],
    ) -> Plan:
        """The plan for a filter object (a Parse ``where`` once translated): its operands are
        the inputs of a template made from the object itself (filter_shape.py), everything
        else in it is the key; ``full_where(where, skip)`` builds and compiles one."""
        shape = filter_shape(where)
        if shape is None:
            return full_where(where, skip)
        key, template, values = shape

        def full(inputs: Mapping[str, Any], skip: object) -> Plan:
            return full_where(where if inputs is values else with_values(where, template, inputs), skip)

        return self._bound(schema, class_name, key, template, values, options, skip, full)

    def _bound(
        self,
        schema: Schema,
        class_name: str,
        script: object,
        template: Template,
        inputs: Mapping[str, Any] | None,
        options: tuple[Any, ...],
        skip: object,
        full: Callable[[Mapping[str, Any], object], Plan],
        lane: Key | None = None,
    ) -> Plan:
        """The plan of a known template (``script`` names it in the key): bound from a kept
        plan, or ``full(inputs, skip)``; a hit is remembered for ``lane`` (by_lane)."""
        if schema is not self._schema:
            self._plans.clear()
            self._lanes.clear()
            self._schema = schema
        given = inputs or {}
        values: dict[str, Any] = {}
        for name in template.names:  # a loop, not a comprehension: no frame of its own
            values[name] = given.get(name, _MISSING)
        if skip is not None:
            values[SKIP] = skip
        sig = tuple(map(signature, values.values()))
        if None in sig:
            return full(given, skip)
        key = (script, class_name, options, skip is not None and skip != 0, tuple(values), sig)
        entry = self._plans.get(key, _MISSING)
        if entry is None:
            return full(given, skip)
        if isinstance(entry, _Bound):
            try:
                self._plans.move_to_end(key)
            except KeyError:  # another thread has just dropped it
                pass
            try:
                if inputs is not None:
                    _names_checked(inputs, template.names)
                plan = _fill(entry, values)
            except Exception:
                # A value the builder rejects: the whole way raises the error with its position.
                return full(given, skip)
            self.hits += 1
            if lane is not None:
                if len(self._lanes) >= MAX_PLANS:
                    self._lanes.clear()
                self._lanes[lane] = _Lane(schema, template.names, sig, entry)
            return plan
        self.misses += 1
        plan = full(given, skip)
        if schema is not self._schema:
            return plan  # the schema changed while planning (another thread): keep nothing
        if entry is _MISSING:
            # First sighting: plan as usual and remember. A script run once pays nothing more.
            self._remember(key, _Seen({k: _kept(v) for k, v in values.items()}, _copy(plan)))
        else:
            # Second sighting: two real plannings to compare (or a probe, if they cannot tell).
            # Its values are copied too: _learn may keep this planning to learn from later.
            second = _Seen({k: _kept(v) for k, v in values.items()}, _copy(plan))
            self._remember(key, self._learn(schema, class_name, template, entry, second, full, given))
        return plan

    def _regex(self, pattern: str, flags: str) -> Any:
        """A pattern as the compiler makes it the parameter (Compiler.regex)."""
        assert self._dialect is not None
        return self._dialect.regex_pattern(compile_regex(pattern, flags))

    def clear(self) -> None:
        self._plans.clear()
        self._lanes.clear()
        self._templates.clear()
        self._once.clear()

    def _remember(self, key: Key, entry: _Bound | _Seen | None) -> None:
        self._plans[key] = entry
        while len(self._plans) > MAX_PLANS:
            with contextlib.suppress(KeyError):  # threads share the cache; the GIL keeps each step whole
                self._plans.popitem(last=False)

    def _learn(
        self,
        schema: Schema,
        class_name: str,
        template: Template,
        first: _Seen,
        second: _Seen,
        full: Callable[[Mapping[str, Any], object], Plan],
        inputs: Mapping[str, Any],
    ) -> _Bound | _Seen | None:
        """A bound plan from two plannings of the same signature, or None: not cacheable (or,
        while both plannings had a duplicate in a list, the second, to learn from later)."""
        cls = schema.classes.get(class_name)
        if cls is None:
            return None
        convs: dict[str, list[Convert]] = {}
        dates: set[str] = set()  # inputs compared with a Date field: probes must be dates
        options = dict(template.regex_options)
        for name, path in template.slots:
            c = converter(schema, cls, path, self._regex if self._dialect else None, options)
            if c is None:
                return None
            conv, shape, ftype = c
            if shape != "either" and (shape == "list") != isinstance(second.values[name], list | tuple):
                return None
            convs.setdefault(name, []).append(conv)
            if ftype == "Date":
                dates.add(name)
        # A list that held a duplicate was planned without it (the builder drops them), so its
        # plan has fewer parameters than the list has elements: learning from it would bind a
        # later list of distinct values with some of them left out.
        clean = [seen for seen in (first, second) if not _duplicates(convs, seen)]
        if len(clean) == 2:
            try:
                return _bind(convs, first, second)
            except _Unseparated:
                pass
        if not clean:
            return second  # nothing to learn from yet: wait for a planning without duplicates
        # The two sets of inputs share a value (or two inputs had equal values, or one planning
        # had a duplicate): plan once more with probe values, unlike the inputs and each other.
        base = clean[-1]
        values = base.values
        probes = {name: _probe(v, k, name in dates) for k, (name, v) in enumerate(values.items())}
        if SKIP in probes:
            probes[SKIP] = values[SKIP] + 1  # same truthiness (key), a different value
        try:
            other = _Seen(probes, full({**inputs, **{k: v for k, v in probes.items() if k != SKIP}}, probes.get(SKIP)))
            return None if _duplicates(convs, other) else _bind(convs, base, other)
        except Exception:
            return None


@dataclass(frozen=True)
class _Lane:
    """A kept plan as a call's arguments found it: its schema, the inputs the script reads,
    their signature and the bound plan."""

    schema: Schema
    names: tuple[str, ...]
    sig: tuple[object, ...]
    bound: _Bound


@dataclass(frozen=True)
class _Seen:
    """One planning: the input values and the plan they gave."""

    values: dict[str, Any]
    plan: Plan


def _duplicates(convs: dict[str, list[Convert]], seen: _Seen) -> bool:
    """Whether a list input of this planning held two elements that convert to one value (or
    one its converter rejects): such a planning cannot show where a list's values go."""
    for name, uses in convs.items():
        value = seen.values[name]
        if not isinstance(value, list | tuple):
            continue
        for conv in uses:
            try:
                if _repeats(conv, value):
                    return True
            except Exception:
                return True
    return False


def _repeats(conv: Convert, items: Any) -> bool:
    """Whether two of ``items`` convert to one value (the builder keeps one of them: 1 and 1.0
    are one number), so the list plans with fewer parameters than it has elements."""
    converted = [conv(x) for x in items]
    return len(set(converted)) != len(converted)


class _Unseparated(Exception):
    """The two plannings cannot tell which input a parameter comes from."""


def _bind(convs: dict[str, list[Convert]], a_side: _Seen, b_side: _Seen) -> _Bound | None:
    """Where each parameter of the plan comes from, by comparing two plannings; None when the
    SQL differs or a parameter changed without an input explaining it."""
    plan, other = a_side.plan, b_side.plan
    if (other.sql, other.count_sql, other.where_sql) != (plan.sql, plan.count_sql, plan.where_sql):
        return None
    if len(other.params) != len(plan.params):
        return None
    # Every place an input value could fill, with its converted value in both plannings.
    fills: list[tuple[str, int | None, Convert | None, object, object]] = []
    try:
        for name, uses in convs.items():
            for conv in uses:
                a, b = a_side.values[name], b_side.values[name]
                if isinstance(a, list | tuple):
                    whole: tuple[list[object], list[object]] = ([], [])
                    for j, (x, y) in enumerate(zip(a, b, strict=True)):
                        cx, cy = conv(x), conv(y)
                        fills.append((name, j, conv, cx, cy))
                        whole[0].append(cx)
                        whole[1].append(cy)
                    fills.append((name, WHOLE, conv, *whole))
                else:
                    fills.append((name, None, conv, conv(a), conv(b)))
        if SKIP in a_side.values:
            fills.append((SKIP, None, None, check_paging(None, a_side.values[SKIP])[1],
                          check_paging(None, b_side.values[SKIP])[1]))
    except Exception:
        return None
    if any(_same(x, y) for *_, x, y in fills):
        raise _Unseparated  # an input kept its value (or a huge number, a clamped skip)
    # The fills by their pair of values (those that can be keys; the others, lists and
    # objects, only with a parameter that is no key either): comparing every parameter with
    # every fill took minutes for an or of a few hundred lists of a few hundred values each.
    keyed: dict[object, list[tuple[str, int | None, Convert | None, object, object]]] = {}
    loose: list[tuple[str, int | None, Convert | None, object, object]] = []
    for fill in fills:
        try:
            keyed.setdefault(_pair_key(fill[3], fill[4]), []).append(fill)
        except TypeError:
            loose.append(fill)
    sources: list[tuple[object, str | None, int | None, Convert | None]] = []
    for a, b in zip(plan.params, other.params, strict=True):
        try:
            near = keyed.get(_pair_key(a, b), [])
        except TypeError:
            near = loose
        hits = {(name, j): conv for name, j, conv, x, y in near if _same(x, a) and _same(y, b)}
        if len(hits) > 1:
            raise _Unseparated  # two inputs with the same values both times
        if hits:
            (hit_name, hit_j), hit_conv = next(iter(hits.items()))
            sources.append((None, hit_name, hit_j, hit_conv))
        elif _same(a, b):
            sources.append((a, None, None, None))
        else:
            return None
    k = len(plan.where_params)
    if plan.where_params != plan.params[:k] or (plan.count_sql is not None and plan.count_params != plan.params[:k]):
        return None
    values = a_side.values
    lists = tuple((name, conv) for name, uses in convs.items() for conv in uses if isinstance(values[name], list | tuple))
    used = {(src[1], src[3]) for src in sources}
    checks = tuple((name, conv) for name, uses in convs.items() for conv in uses if (name, conv) not in used)
    return _Bound(plan, tuple(sources), lists, checks)


def _names_checked(inputs: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """Raises where the whole way refuses ``inputs`` for what the kept plan does not read: a
    name that is no str (a str subclass equal to a read name found its value all the same),
    an input the script does not read with no JavaScript meaning (it is still turned into a
    script value)."""
    for k in inputs:
        if type(k) is not str:
            raise TypeError("input names must be strings")
    if len(inputs) > len(names):
        to_js({k: v for k, v in inputs.items() if k not in names})


class _Missing:
    pass


_MISSING: Any = _Missing()


def _copy(plan: Plan) -> Plan:
    """A plan to keep: the caller may change the lists of the one it was given."""
    return replace(plan, params=list(plan.params), columns=list(plan.columns),
                   count_params=list(plan.count_params), where_params=list(plan.where_params))


def _fill(bound: _Bound, values: Mapping[str, Any]) -> Plan:
    """The kept plan with these values bound (converted as the builder converts them)."""
    for check_name, check in bound.checks:
        for v in values[check_name] if isinstance(values[check_name], list | tuple) else (values[check_name],):
            check(v)  # the builder would reject it: the caller goes the whole way
    for list_name, list_conv in bound.lists:
        if _repeats(list_conv, values[list_name]):
            raise ValueError("a list with duplicates plans differently")
    params = []
    for const, name, j, conv in bound.sources:
        if name is None:
            params.append(const)
        elif name == SKIP:
            params.append(check_paging(None, values[SKIP])[1])
        elif conv is not None:
            if j == WHOLE:
                v = [conv(x) for x in values[name]]  # type: ignore[union-attr]
                if None in v:
                    raise ValueError("a null operand plans differently")
                params.append(v)
                continue
            v = conv(values[name] if j is None else values[name][j])  # type: ignore[misc]
            if v is None:
                # Null is lowered to another shape (signature): never bound into a value's plan.
                raise ValueError("a null operand plans differently")
            params.append(v)
    p = bound.plan
    k = len(p.where_params)
    # The kept plan's fields with new lists: a copy of its __dict__ is about half what the
    # dataclass's __init__ with every field named costs, on every kept plan's way.
    plan: Plan = object.__new__(Plan)
    fields = plan.__dict__
    fields.update(p.__dict__)
    fields["params"], fields["columns"], fields["where_params"] = params, list(p.columns), params[:k]
    fields["count_params"] = params[:k] if p.count_sql is not None else []
    return plan

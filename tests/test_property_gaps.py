"""Differential properties for what tests/strategies.py and tests/test_surface_properties.py
never generate: dot paths into Object fields (values that are arrays, objects, dates, mixed
kinds), sorts by such paths and by several keys with missing values, paths through two and
three Pointer hops, extreme numbers (huge, tiny, -0.0, past 2**63), strings with combining
marks and odd code points, mixed-type lists, relatedTo under or/nor, and paging far past the
end. DuckDB SQL and PostgreSQL must give the reference evaluator's answer (or its error).
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.interchange.document import merge_schema, read_dataset
from querylang.reference.evaluator import Reached, path_match_value

from . import strategies as qs
from .conftest import pg_examples
from .test_surface_properties import _assert_same

GAP_SCHEMA: dict[str, Any] = {
    "Alpha": {
        "fields": {
            "s": {"type": "String"},
            "n": {"type": "Number"},
            "d": {"type": "Date"},
            "b": {"type": "Boolean"},
            "arr": {"type": "Array"},
            "obj": {"type": "Object"},
            "ptr": {"type": "Pointer", "targetClass": "Beta"},
            "rel": {"type": "Relation", "targetClass": "Beta"},
        }
    },
    "Beta": {
        "fields": {
            "name": {"type": "String"},
            "n": {"type": "Number"},
            "d": {"type": "Date"},
            "obj": {"type": "Object"},
            "up": {"type": "Pointer", "targetClass": "Alpha"},
            "ptr": {"type": "Pointer", "targetClass": "Beta"},
            "rel": {"type": "Relation", "targetClass": "Alpha"},
        }
    },
}
CLASSES = tuple(GAP_SCHEMA)
# Pointer paths of one, two and three hops: (path, class reached).
HOPS = {
    "Alpha": (("ptr", "Beta"), ("ptr.up", "Alpha"), ("ptr.ptr", "Beta"), ("ptr.up.ptr", "Beta")),
    "Beta": (("up", "Alpha"), ("ptr", "Beta"), ("up.ptr", "Beta"), ("ptr.ptr.up", "Alpha")),
}

# --- values the base pools leave out ---------------------------------------------------------

EXTREME_NUMBERS = (
    0, -0.0, 0.0, 1, -1, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, 2.2250738585072014e-308,
    2**53, 2**53 + 1, 2**62, 2**63 - 1, -(2**63), 1e20, 123456789.123456789, 0.1, 0.30000000000000004,
)  # fmt: skip
ODD_STRINGS = (
    "e\u0301", "\u00e9", "a\u0300\u0301", "\u0301", "\u200b", "\ufeff", "\ud7ff", "\ue000", "\U0010ffff",
    "\U0001f600", "\U0001f600\u200d", "a\tb", "\x7f", "\x01", "a b", "%", "_", "a%", "\\", "'", '"',
    "\u00a0", "A", "a", "", "Z", "z", "\u212b", "\u00c5",
)  # fmt: skip
DATES = (
    "0001-01-01T00:00:00.000Z", "0999-12-31T23:59:59.999Z", "1899-12-31T23:59:59.999Z",
    "1969-12-31T23:59:59.999Z", "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00.001Z",
    "2038-01-19T03:14:07.000Z", "2038-01-19T03:14:08.000Z", "9999-12-31T23:59:59.999Z",
    "2024-01-01T05:30:00.000+05:30", "2023-12-31T23:59:59.999-00:00",
)  # fmt: skip

NUMBERS = st.one_of(st.sampled_from(EXTREME_NUMBERS), st.sampled_from(EXTREME_NUMBERS), qs.numbers())
STRINGS = st.one_of(st.sampled_from(ODD_STRINGS), st.sampled_from(ODD_STRINGS), qs.strings())
DATE_VALUES = st.one_of(st.sampled_from(DATES), st.sampled_from(DATES).map(lambda s: {"__type": "Date", "iso": s}),
                        qs.dates())
DATE_OBJECTS = st.sampled_from(DATES).map(lambda s: {"__type": "Date", "iso": s})
SUB_KEYS = ("a", "b", "0")  # "0": a key, and an index step of a path through an array
PATH_STEPS = ("a", "b", "0", "1")
SCALARS = st.one_of(NUMBERS, STRINGS, st.booleans(), st.none(), DATE_OBJECTS)


def _nested(depth: int) -> st.SearchStrategy[Any]:
    """Object contents: scalars of every kind, arrays, and objects keyed by SUB_KEYS; arrays of
    objects (which paths go on through) on their own, as few lists of anything would be."""
    if depth == 0:
        return SCALARS
    inner = _nested(depth - 1)
    return st.one_of(
        SCALARS, SCALARS,
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(SUB_KEYS), inner, max_size=2),
        st.lists(st.dictionaries(st.sampled_from(SUB_KEYS), inner, min_size=1, max_size=2), min_size=1, max_size=3),
    )  # fmt: skip


OBJECTS = st.dictionaries(st.sampled_from(SUB_KEYS), _nested(2), max_size=2)
ARRAYS = st.one_of(st.just([]), st.lists(st.one_of(SCALARS, st.lists(SCALARS, max_size=2), OBJECTS), max_size=4))
_PRESENCE = st.sampled_from(("value", "value", "value", "missing", "null"))


def _value(ftype: str, target: str | None) -> st.SearchStrategy[Any]:
    if ftype == "Pointer":
        return qs.pointer_values(target or "")
    return {
        "String": STRINGS, "Number": NUMBERS, "Date": DATE_VALUES, "Boolean": st.booleans(), "Array": ARRAYS,
        "Object": OBJECTS,
    }[ftype]  # fmt: skip


@st.composite
def gap_docs(draw: st.DrawFn) -> dict[str, Any]:
    records: dict[str, list[dict[str, Any]]] = {}
    relations: list[dict[str, Any]] = []
    for cls, spec in GAP_SCHEMA.items():
        rows = []
        for oid in draw(st.lists(qs.ids(), unique=True, min_size=draw(st.sampled_from((1, 4, 6))), max_size=8)):
            rec: dict[str, Any] = {"objectId": oid, "createdAt": draw(st.sampled_from(DATES[3:6]))}
            for fname, f in spec["fields"].items():
                choice = draw(_PRESENCE)
                if choice == "missing":
                    continue
                if f["type"] == "Relation":
                    rec[fname] = None if choice == "null" else draw(st.lists(qs.ids(), max_size=3))
                    continue
                rec[fname] = None if choice == "null" else draw(_value(f["type"], f.get("targetClass")))
            rows.append(rec)
        records[cls] = rows
        for owner, target in draw(st.lists(st.tuples(qs.ids(), qs.ids()), max_size=5)):
            relations.append({"class": cls, "objectId": owner, "key": "rel", "targetId": target})
    return {"classes": copy.deepcopy(GAP_SCHEMA), "records": records, "relations": relations}


# --- filters -------------------------------------------------------------------------------------


def _sub_values(doc: dict[str, Any], cls: str, path: tuple[str, ...]) -> list[Any]:
    """The values stored at an Object path, and the elements of the arrays among them, or
    those a path on through an array reaches (operands drawn from here hit records)."""
    out = []
    for r in doc["records"].get(cls, []):
        v = path_match_value(r, ".".join(path))
        if isinstance(v, Reached):
            out.extend(e for e in v if e is not None)
            continue
        if v is not None:
            out.append(v)
        if isinstance(v, list):
            out.extend(e for e in v if e is not None)
    return out


def _lists(operand: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Short lists, and now and then one past 16 values (the SQL compiler switches strategy)."""
    member = qs.weighted(operand, operand, operand, st.none())
    return st.one_of(st.lists(member, max_size=4), st.lists(member, max_size=4), st.lists(member, min_size=15, max_size=20))


ANY_OPERAND = st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(st.sampled_from(SUB_KEYS), SCALARS, max_size=2))
RANGES = ("lessThan", "lessThanOrEqualTo", "greaterThan", "greaterThanOrEqualTo")


@st.composite
def _stored_steps(draw: st.DrawFn, stored: list[dict[str, Any]]) -> list[str]:
    """One to three steps that some stored Object holds: a key of an object, of an object
    element of an array, or an index of an array (paths on through arrays, often)."""
    v: Any = draw(st.sampled_from(stored))
    steps: list[str] = []
    while len(steps) < 3 and (not steps or isinstance(v, list) or draw(st.booleans())):
        if isinstance(v, dict) and v:
            step = draw(st.sampled_from(sorted(v)))
            v = v[step]
        elif isinstance(v, list) and v:
            i = draw(st.integers(0, len(v) - 1))
            keys = sorted(v[i]) if isinstance(v[i], dict) else []
            step = draw(st.sampled_from(keys)) if keys and draw(st.booleans()) else str(i)
            v = v[i].get(step) if step in keys else v[i]
        else:
            step = draw(st.sampled_from(PATH_STEPS))
        steps.append(step)
    return steps


@st.composite
def object_path_condition(draw: st.DrawFn, doc: dict[str, Any], cls: str, prefix: str = "") -> dict[str, Any]:
    """``'obj.a': {...}`` to ``'obj.a.0.b': {...}`` (on through arrays, index steps among them)
    with operands of any kind, often stored ones."""
    stored = [r["obj"] for r in doc["records"].get(cls, []) if isinstance(r.get("obj"), dict) and r["obj"]]
    keys = draw(_stored_steps(stored) if stored and draw(st.booleans()) else st.lists(st.sampled_from(PATH_STEPS), min_size=1, max_size=3))
    path = ("obj", *keys)
    seen = _sub_values(doc, cls, path)
    operand = st.one_of(st.sampled_from(seen), st.sampled_from(seen), ANY_OPERAND) if seen else ANY_OPERAND
    scalar_operand = st.one_of(NUMBERS, STRINGS, st.booleans(), DATE_OBJECTS, st.none())
    if seen and any(qs._is_scalar(v) for v in seen):
        scalar_operand = st.one_of(st.sampled_from([v for v in seen if qs._is_scalar(v)]), scalar_operand)
    ops: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 2))):
        kind = draw(st.sampled_from(("eq", "eq", "range", "list", "exists", "regex", "all")))
        if kind == "eq":
            ops[draw(st.sampled_from(("equalTo", "notEqualTo")))] = draw(operand)
        elif kind == "range":
            ops[draw(st.sampled_from(RANGES))] = draw(scalar_operand)
        elif kind == "list":
            ops[draw(st.sampled_from(("containedIn", "notContainedIn")))] = draw(_lists(operand))
        elif kind == "exists":
            ops["exists"] = draw(st.booleans())
        elif kind == "all":
            # Elements of the arrays stored there, so that some records hold every value.
            held = [e for v in seen if isinstance(v, list) for e in v]
            ops["all"] = draw(_lists(st.one_of(st.sampled_from(held), operand) if held else operand))
        else:
            ops["matchesRegex"] = draw(qs.regex_patterns())
            if draw(st.booleans()):
                ops["options"] = draw(qs.regex_options())
    if draw(st.integers(0, 5)) == 0:
        return {prefix + ".".join(path): draw(operand)}  # shorthand
    return {prefix + ".".join(path): ops}


@st.composite
def _field_leaf(draw: st.DrawFn, doc: dict[str, Any], cls: str, prefix: str = "") -> dict[str, Any]:
    """A condition on a plain field with the extreme values as operands."""
    # A composite at module level, not one defined per call: Hypothesis reads a composite's
    # source each time one is defined, which cost more than the drawing itself.
    fields = {k: v for k, v in GAP_SCHEMA[cls]["fields"].items() if v["type"] not in ("Relation", "Array")}
    fname = draw(st.sampled_from(sorted(fields)))
    ftype, target = fields[fname]["type"], fields[fname].get("targetClass")
    if ftype == "Object":
        return draw(object_path_condition(doc, cls, prefix))
    seen = [r[fname] for r in doc["records"].get(cls, []) if r.get(fname) is not None]
    fresh = _value(ftype, target)
    operand = st.one_of(st.sampled_from(seen), fresh) if seen else fresh
    op = draw(st.sampled_from(("equalTo", "notEqualTo", "containedIn", "notContainedIn", *RANGES)))
    if op in ("containedIn", "notContainedIn"):
        value: Any = draw(_lists(operand))
    else:
        value = draw(operand)
    if ftype == "Boolean" and op in RANGES:
        op = "equalTo"
    return {prefix + fname: {op: value}}


@st.composite
def hop_leaf(draw: st.DrawFn, doc: dict[str, Any], cls: str) -> dict[str, Any]:
    """A condition on a field reached through one to three Pointers."""
    path, reached = draw(st.sampled_from(HOPS[cls]))
    if draw(st.booleans()):
        return draw(_field_leaf(doc, reached, prefix=path + "."))
    # any field of the class reached, Array and Relation included, with the base operators
    fields = qs.fields_of(doc, reached)
    fname = draw(st.sampled_from(sorted(fields)))
    seen = qs.present_values(doc, reached)[fname]
    (cond,) = draw(qs.field_conditions(fname, *fields[fname], seen)).values()
    return {f"{path}.{fname}": cond}


# matchesKeyInQuery pairs of every comparable type (the surface properties have String, Number
# and Pointer ones): Dates (createdAt among them), Booleans, Pointer against a Pointer.
KEY_PAIRS = {
    "Alpha": (("d", "Beta", "d"), ("d", "Alpha", "createdAt"), ("createdAt", "Beta", "d"), ("b", "Alpha", "b"),
              ("n", "Beta", "n"), ("s", "Beta", "name"), ("ptr", "Beta", "ptr"), ("s", "Beta", "up")),
    "Beta": (("d", "Alpha", "d"), ("createdAt", "Alpha", "createdAt"), ("n", "Alpha", "n"), ("up", "Alpha", "objectId"),
             ("ptr", "Beta", "objectId"), ("name", "Alpha", "s")),
}  # fmt: skip


@st.composite
def key_leaf(draw: st.DrawFn, doc: dict[str, Any], cls: str) -> dict[str, Any]:
    field, other, key = draw(st.sampled_from(KEY_PAIRS[cls]))
    op = draw(st.sampled_from(("matchesKeyInQuery", "doesNotMatchKeyInQuery")))
    spec: dict[str, Any] = {"key": key, "className": other}
    if draw(st.booleans()):
        spec["where"] = draw(st.one_of(_field_leaf(doc, other), object_path_condition(doc, other)))
    return {field: {op: spec}}


def gap_filters(doc: dict[str, Any], cls: str) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.one_of(
        _field_leaf(doc, cls), _field_leaf(doc, cls), object_path_condition(doc, cls), hop_leaf(doc, cls),
        qs.leaf_filters(doc, cls), key_leaf(doc, cls),
    )  # fmt: skip
    node = qs.weighted(
        leaf, leaf,
        st.lists(leaf, min_size=2, max_size=3).map(lambda xs: {"and": xs}),
        st.lists(leaf, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
        st.lists(leaf, min_size=1, max_size=2).map(lambda xs: {"nor": xs}),
        st.lists(leaf, min_size=2, max_size=3).map(qs._merge),
    )  # fmt: skip
    return st.one_of(node, st.lists(node, min_size=1, max_size=2).map(lambda xs: {"nor": xs}),
                     st.lists(node, min_size=2, max_size=2).map(lambda xs: {"or": xs}))


def gap_sorts(cls: str) -> st.SearchStrategy[list[str] | None]:
    """Several keys, Object sub-keys among them, often on values that are missing; index steps
    within some arrays and past the end of others (a key of their object elements there)."""
    plain = [k for k, v in GAP_SCHEMA[cls]["fields"].items() if v["type"] in qs.SORTABLE]
    names = [*plain, "obj.a", "obj.b", "obj.a.b", "obj.a.a", "obj.a.0", "obj.0.a", "obj.a.0.b", "obj.0", "obj.1", "obj.a.1",
             "createdAt", "objectId"]
    key = st.tuples(st.sampled_from(names), st.booleans()).map(lambda t: ("-" if t[1] else "") + t[0])
    return st.one_of(st.none(), st.lists(key, min_size=1, max_size=4))


PAGING = st.fixed_dictionaries({
    "limit": st.one_of(st.none(), st.integers(0, 3), st.sampled_from((10**6, 2**31, 2**62))),
    "skip": st.one_of(st.none(), st.integers(0, 3), st.sampled_from((7, 8, 9, 10**6, 2**31, 2**62))),
    "count": st.booleans(),
})  # fmt: skip


@st.composite
def gap_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    doc = draw(gap_docs())
    queries = []
    for _ in range(draw(st.integers(1, 6))):
        cls = draw(st.sampled_from(CLASSES))
        queries.append((cls, draw(gap_filters(doc, cls)), {**draw(PAGING), "sort": draw(gap_sorts(cls))}))
    return doc, queries


def _gaps_sql_matches_reference(connect: Any, case: Any) -> None:
    doc, queries = case
    as_read = read_dataset(copy.deepcopy(doc))
    with connect() as db:
        db.load(copy.deepcopy(doc))
        for cls, where, kw in queries:
            _assert_same(db, as_read, cls, where, kw)


# A quarter of the profile's examples, as the round-trip properties: each loads a database,
# and the suite's time is bounded.
@settings(max_examples=max(15, settings.default.max_examples // 4))
@given(gap_cases())
def test_gaps_sql_matches_reference(case):
    _gaps_sql_matches_reference(querylang.connect, case)


@settings(max_examples=pg_examples())
@given(gap_cases())
def test_gaps_sql_matches_reference_on_postgres(pg_connect, case):
    """The same property with PostgreSQL as the SQL engine."""
    _gaps_sql_matches_reference(pg_connect, case)



# --- what the reference cannot answer: the two SQL engines against each other --------------------

INCLUDES = {"Alpha": ("ptr", "ptr.up", "ptr.up.ptr", "*"), "Beta": ("up", "ptr", "up.ptr", "ptr.ptr.up", "*")}
SELECTS = {"Alpha": ("s", "obj", "ptr", "ptr.name", "ptr.up.s", "rel", "arr"), "Beta": ("name", "up", "up.s", "ptr.name", "d")}


def _outcome(run: Any) -> Any:
    try:
        return "ok", run()
    except querylang.QueryError as exc:
        return "error", str(exc)


@st.composite
def _shaped_cases(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, Any, dict[str, Any]]]]:
    doc, queries = draw(gap_cases())
    shaped = []
    for cls, where, kw in queries:
        inc = draw(st.one_of(st.none(), st.lists(st.sampled_from(INCLUDES[cls]), max_size=2)))
        sel = draw(st.one_of(st.none(), st.lists(st.sampled_from(SELECTS[cls]), max_size=3)))
        shaped.append((cls, where, {**kw, "include": inc, "select": sel}))
    return doc, shaped


@settings(max_examples=pg_examples(settings.default.max_examples // 2))  # two engines per example
@given(_shaped_cases())
def test_duckdb_and_postgres_shape_count_and_aggregate_alike(pg_connect, case):
    """include/select, stream, count, distinct and aggregates, which the reference evaluator
    does not answer, give the same on both engines over the extreme values."""
    doc, queries = case
    with querylang.connect() as duck, pg_connect() as pg:
        duck.load(copy.deepcopy(doc))
        pg.load(copy.deepcopy(doc))
        for cls, where, kw in queries:
            context = f"class={cls} where={where!r} kw={kw!r}"
            streamed = {k: v for k, v in kw.items() if k != "count"}
            text = "s" if cls == "Alpha" else "name"
            spec = {"sum": {"sum": "n"}, "avg": {"avg": "n"}, "lo": {"min": "n"}, "hi": {"max": "d"}, "first": {"min": text}}
            for ask in (
                lambda db: (lambda r: (r.records, r.count))(db.query(cls, where, **kw)),  # noqa: B023
                lambda db: list(db.stream(cls, where, batch=2, **streamed)),  # noqa: B023
                lambda db: db.count(cls, where),  # noqa: B023
                lambda db: [db.distinct(cls, f, where) for f in ("n", "d", text, "ptr")],  # noqa: B023
                lambda db: _rounded(db.aggregate(cls, spec, where)),  # noqa: B023
            ):
                assert _outcome(lambda: ask(duck)) == _outcome(lambda: ask(pg)), context  # noqa: B023


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    """Sums and means to 12 significant digits: the engines add the same values in orders of
    their own, which may differ in the last bits."""
    return {k: float(f"{v:.12g}") if isinstance(v, float) else v for k, v in row.items()}


# --- a number on a Date field is `new Date(n)` ---------------------------------------------------

_MS_DOC = {
    "classes": {"Ev": {"fields": {"at": {"type": "Date"}}}},
    "records": {"Ev": [
        {"objectId": "before", "createdAt": "2024-01-01T00:00:00.000Z", "at": "1969-12-31T23:59:59.999Z"},
        {"objectId": "epoch", "createdAt": "2024-01-01T00:00:00.000Z", "at": "1970-01-01T00:00:00.000Z"},
        {"objectId": "after", "createdAt": "2024-01-01T00:00:00.000Z", "at": "1970-01-01T00:00:00.001Z"},
    ]},
}  # fmt: skip


def test_a_fractional_millisecond_number_on_a_date_is_read_as_new_date_reads_it(engine):
    """docs/semantics.md#dates: a number on a Date field is read "as `new Date(n)` reads it",
    and JavaScript's TimeClip drops the fraction toward zero: new Date(0.9999) and
    new Date(-0.5) are both 1970-01-01T00:00:00.000Z. The number went through timedelta,
    which rounded 0.9999 up to 1 ms and floored -0.5 to -1 ms: neither matched the epoch."""
    with engine() as db:
        db.load(copy.deepcopy(_MS_DOC))
        for n in (0.9999, -0.5, 0.5, -0.9999, -0.0):
            assert db.query("Ev", {"at": n}).ids == ["epoch"], n
            assert db.reference("Ev", {"at": n}).ids == ["epoch"], n
        assert db.query("Ev", {"at": {"lessThan": 0.9999}}).ids == ["before"]
        assert db.query("Ev", {"at": {"greaterThan": -0.5}}).ids == ["after"]
        assert db.query("Ev", {"at": 1.5}).ids == ["after"]
        assert db.query("Ev", {"at": -1.5}).ids == ["before"]


_MILLIS = st.one_of(
    st.floats(-2e14, 2e14, allow_nan=False),
    st.integers(-3, 3).map(lambda i: i / 4),
    st.sampled_from((0.9999, -0.9999, -0.5, 1.5, -1.5, -62135596800000.5, 253402300799999.9)),
)


@given(_MILLIS, st.sampled_from(("equalTo", "lessThan", "greaterThanOrEqualTo")))
def test_a_number_on_a_date_builds_what_new_date_of_it_builds(ms, op):
    """The filter object's number and the script's ``new Date(n)`` are the same operand (or
    the same error): both front ends read a time the way JavaScript does."""
    as_number = _built({"at": {op: ms}})
    as_script = _built(f"where({{at: {{{op}: new Date({ms!r})}}}})")
    assert as_number == as_script, ms


_MS_SCHEMA = merge_schema(None, _MS_DOC["classes"])


def _built(where: Any) -> Any:
    """The nodes, built from the schema alone (no database: this property is cheap)."""
    try:
        return querylang.build_query(_MS_SCHEMA, "Ev", where).where
    except querylang.QueryError as exc:
        return type(exc)

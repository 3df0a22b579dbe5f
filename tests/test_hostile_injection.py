"""Hostile input: injection; hostile strings in values, Inputs, filter objects, sort keys and
class names give a clean QueryError or the evaluator's answer, never reach the SQL text and
never change the database."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

import querylang
from querylang import DataError, QueryError, SchemaError
from querylang.script.interpreter import run_script

from . import hostile
from .hostile import SAMPLE, SMALL_DOC, Unchanged, attempt, check_error, db_hash

db = hostile.db


# --- 3. injection ----------------------------------------------------------------------------

HOSTILE_POOL = (
    "'", '"', "`", ";", "--", "/*", "*/", "\\", "\\'", "\\\\", "\x00", "a\x00b", "\x00'--",
    "x'; DROP TABLE \"Post\"; --",
    "'; DELETE FROM \"Post\"; --",
    "\"); DROP TABLE _querylang_schema; --",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "1 OR 1=1",
    "'||(SELECT version())||'",
    "'; ATTACH '/tmp/evil.db' AS evil; --",
    "'; COPY \"Post\" TO '/tmp/leak.csv'; --",
    "'; INSTALL httpfs; LOAD httpfs; --",
    "$1", "?", "?, ?", "%", "_", "%_%", "${Inputs.x}", "`${1}`", "*/ where({}) /*",
    "\r\n", "\n'", "\u2028", "\u2029", "\u202e", "\u200f", "\u2066evil\u2069", "\ufeff",
    "😀", "👩‍👩‍👧", "𝔘𝔫𝔦", "é", "e\u0301", "İ", "ß",
    "NULL", "null", "undefined", "NaN", "__proto__", "constructor",
    "objectId", "title", "Post", "_join:posts:Group", "t.\"objectId\"",
    "p001", "u01", "pointer index 1",
)
HOSTILE_CHARS = "'\"`;-/*\\\x00%_?$ {}()[]\n\r\t\u2028\u202e\u200fé😀xX1"


def hostile_strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_POOL),
        st.sampled_from(HOSTILE_POOL),
        st.lists(st.sampled_from(HOSTILE_POOL), min_size=2, max_size=4).map("".join),
        st.text(alphabet=HOSTILE_CHARS, max_size=12),
        st.text(max_size=12),
        st.tuples(st.integers(1_000, 200_000), st.sampled_from(HOSTILE_POOL)).map(lambda t: "x" * t[0] + t[1]),
    )


def js_double(s: str) -> str:
    """A JavaScript string literal via JSON (ASCII escapes; valid JavaScript)."""
    return json.dumps(s)


def js_single(s: str) -> str:
    """A single-quoted literal with the minimal escapes, other characters kept raw."""
    return "'" + (
        s.replace("\\", "\\\\")
        .replace("'", "\\'")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    ) + "'"


def js_template(s: str) -> str:
    """A template literal; a raw CR would read back as LF (JavaScript normalises it), so escape it."""
    return "`" + s.replace("\\", "\\\\").replace("`", "\\`").replace("${", "\\${").replace("\r", "\\r") + "`"


EVIL_CLASS = {
    "Evil": {
        "fields": {
            "title": {"type": "String"},
            "tags": {"type": "Array"},
            "meta": {"type": "Object"},
            "rank": {"type": "Number"},
            "peer": {"type": "Pointer", "targetClass": "Evil"},
        }
    }
}


@pytest.fixture(scope="module")
def evil_db() -> querylang.Database:
    """The sample plus a class whose ids and values are the hostile pool itself."""
    d = querylang.connect()
    d.load(SAMPLE)
    # NUL is not allowed in any stored text (values, ids, pointers): those pool values only
    # appear in queries, where they are refused with a QueryTypeError.
    loadable = [s for s in HOSTILE_POOL if "\x00" not in s]
    rows = []
    for i, s in enumerate(loadable):
        rec: dict[str, Any] = {"objectId": s, "rank": i, "peer": loadable[(i + 1) % len(loadable)]}
        rec["title"] = s
        rec["tags"] = [s, loadable[(i + 3) % len(loadable)]]
        # A key with a '.' cannot be stored (a dot path would read it as nesting): those pool
        # values are keys only in queries.
        rec["meta"] = {"k": s, s: 1} if "." not in s else {"k": s}
        rows.append(rec)
    d.load({"classes": EVIL_CLASS, "records": {"Evil": rows}})
    return d


@pytest.fixture(scope="module")
def evil_guard(evil_db) -> Unchanged:
    return Unchanged(evil_db)


# Query shapes: (class, script template with {v} for the value, filter-dict builder).
SHAPES = {
    "eq": ("Evil", "where({{ title: {v} }})", lambda v: {"title": v}),
    "equalTo": ("Evil", "where({{ title: {{ equalTo: {v} }} }})", lambda v: {"title": {"equalTo": v}}),
    "notEqualTo": ("Evil", "where({{ title: {{ notEqualTo: {v} }} }})", lambda v: {"title": {"notEqualTo": v}}),
    "range": ("Evil", "where({{ title: {{ greaterThan: {v} }} }})", lambda v: {"title": {"greaterThan": v}}),
    "containedIn": ("Evil", "where({{ title: {{ containedIn: [{v}, 'x'] }} }})", lambda v: {"title": {"containedIn": [v, "x"]}}),
    "notContainedIn": ("Evil", "where({{ title: {{ notContainedIn: [{v}] }} }})", lambda v: {"title": {"notContainedIn": [v]}}),
    "array": ("Evil", "where({{ tags: {v} }})", lambda v: {"tags": v}),
    "array_whole": ("Evil", "where({{ tags: {{ equalTo: [{v}, 'x'] }} }})", lambda v: {"tags": {"equalTo": [v, "x"]}}),
    "object_value": ("Evil", "where({{ meta: {{ equalTo: {{ k: {v} }} }} }})", lambda v: {"meta": {"equalTo": {"k": v}}}),
    "object_key": ("Evil", "where({{ meta: {{ equalTo: {{ [{v}]: 1 }} }} }})", lambda v: {"meta": {"equalTo": {v: 1}}}),
    "idEqualTo": ("Evil", "where({{ idEqualTo: {v} }})", lambda v: {"idEqualTo": v}),
    "idContainedIn": ("Evil", "where({{ idContainedIn: [{v}] }})", lambda v: {"idContainedIn": [v]}),
    "objectId": ("Evil", "where({{ objectId: {v} }})", lambda v: {"objectId": v}),
    "pointsTo": ("Evil", "where({{ peer: {{ pointsTo: {v} }} }})", lambda v: {"peer": {"pointsTo": v}}),
    "pointer_eq": ("Evil", "where({{ peer: {v} }})", lambda v: {"peer": v}),
    "regex": ("Evil", "where({{ title: {{ matchesRegex: {v} }} }})", lambda v: {"title": {"matchesRegex": v}}),
    "regex_options": ("Evil", "where({{ title: {{ matchesRegex: 'a', options: {v} }} }})", lambda v: {"title": {"matchesRegex": "a", "options": v}}),
    "or": ("Evil", "where({{ or: [{{ title: {v} }}, {{ objectId: {v} }}] }})", lambda v: {"or": [{"title": v}, {"objectId": v}]}),
    "relatedTo_id": ("Post", "where({{ relatedTo: {{ id: {v}, key: 'posts' }} }})", lambda v: {"relatedTo": {"id": v, "key": "posts"}}),
    "relatedTo_key": ("Post", "where({{ relatedTo: {{ id: 'g1', key: {v} }} }})", lambda v: {"relatedTo": {"id": "g1", "key": v}}),
    "relatedTo_class": ("Post", "where({{ relatedTo: {{ id: 'g1', key: 'posts', className: {v} }} }})", lambda v: {"relatedTo": {"id": "g1", "key": "posts", "className": v}}),
    "field_name": ("Evil", "where({{ [{v}]: 1 }})", lambda v: {v: 1}),
    "operator_name": ("Evil", "where({{ title: {{ [{v}]: 1 }} }})", lambda v: {"title": {v: 1}}),
    "sort": ("Evil", "sort([{v}])", None),
    "sort_desc": ("Evil", "sort(['-' + {v}])", None),
}
# Shapes whose SQL text must not depend on the value at all (same shape, other value).
SQL_INDEPENDENT = {"eq", "equalTo", "notEqualTo", "range", "containedIn", "notContainedIn", "idEqualTo",
                   "idContainedIn", "objectId", "pointsTo", "pointer_eq", "or", "relatedTo_id"}


def _sql_text(plan) -> str:
    return plan.sql + "\n" + (plan.count_sql or "")


def _check_hostile_query(
    db, cls: str, query: Any, value: str, *, inputs=None, sort=None, shape: str = "", benign: Any = None, benign_inputs=None
) -> None:
    """A clean QueryError or the reference answer; the value never in the SQL text.

    ``benign`` (with ``benign_inputs``) is the same query with the value replaced by
    'benign': for the shapes in SQL_INDEPENDENT both must compile to the same SQL text.
    """
    kw: dict[str, Any] = {}
    if inputs is not None:
        kw["inputs"] = inputs
    if sort is not None:
        kw["sort"] = sort
    text = query if isinstance(query, str) else None
    plan = attempt(lambda: db.compile(cls, query, count=True, **kw), text)
    if isinstance(plan, QueryError):
        return
    sql = _sql_text(plan)
    if value in sql and not (len(value) <= 3 and value.isalnum()):  # 'x' is in 'regexp_matches'
        # Only where the same text is there without the value: identifiers, keywords.
        fixed = _sql_text(db.compile(cls, None, count=True))
        if benign is not None:
            bkw = dict(kw, inputs=benign_inputs) if benign_inputs is not None else kw
            other = attempt(lambda: db.compile(cls, benign, count=True, **bkw))
            fixed += "" if isinstance(other, QueryError) else _sql_text(other)
        assert value in fixed or value in db.schema.get(cls).fields, f"value {value!r} in SQL text"
    for piece in ("DROP", "DELETE", "ATTACH", "COPY", "INSTALL", "version()", "\x00", "/tmp/"):
        if piece in value:
            assert piece not in sql, f"{piece!r} from the value in SQL text"
    if shape in SQL_INDEPENDENT and benign is not None and value not in ("x", "benign", "g1"):
        bkw = dict(kw, inputs=benign_inputs) if benign_inputs is not None else kw
        assert _sql_text(db.compile(cls, benign, count=True, **bkw)) == sql, "the SQL text depends on the value"
    res = attempt(lambda: db.query(cls, query, count=True, **kw), text)
    event(f"{shape or 'query'}: {type(res).__name__}")
    if isinstance(res, QueryError):
        return
    ref = db.reference(cls, query, count=True, **kw)
    assert res.ids == ref.ids
    assert res.count == ref.count
    assert res.records == ref.records


def test_injection_script_literals(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(SHAPES)), value=hostile_strings(), quote=st.sampled_from((js_double, js_single, js_template)))
    def prop(shape, value, quote):
        cls, template, _ = SHAPES[shape]
        script = template.format(v=quote(value))
        if shape in ("eq", "equalTo", "containedIn"):
            # The literal reads back as exactly the value: nothing escapes the string.
            got = run_script(script).where["title"]
            got = got if shape == "eq" else got["equalTo" if shape == "equalTo" else "containedIn"]
            assert (got[0] if shape == "containedIn" else got) == value
        benign = template.format(v=quote("benign"))
        _check_hostile_query(evil_db, cls, script, value, shape=shape, benign=benign)
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_inputs(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(SHAPES)), value=hostile_strings(), dollar=st.booleans())
    def prop(shape, value, dollar):
        cls, template, _ = SHAPES[shape]
        script = template.format(v="$v" if dollar else "Inputs.v")
        _check_hostile_query(
            evil_db, cls, script, value, inputs={"v": value}, shape=shape, benign=script, benign_inputs={"v": "benign"}
        )
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_filter_dicts(evil_db, evil_guard):
    @given(shape=st.sampled_from(sorted(k for k, v in SHAPES.items() if v[2] is not None)), value=hostile_strings())
    def prop(shape, value):
        cls, _, build = SHAPES[shape]
        _check_hostile_query(evil_db, cls, build(value), value, shape=shape, benign=build("benign"))
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_sort_keys(evil_db, evil_guard):
    @given(value=hostile_strings(), desc=st.booleans())
    def prop(value, desc):
        key = ("-" if desc else "") + value
        _check_hostile_query(evil_db, "Evil", None, value, sort=[key])
        _check_hostile_query(evil_db, "Evil", None, value, sort=key)
        _check_hostile_query(evil_db, "Evil", f"sort([{js_double(key)}])", value)
        # objectId before another key hits the known bug "sort-objectid-position" (strategies.py).
        if key.strip().lstrip("-") not in ("objectId", "_id"):
            _check_hostile_query(evil_db, "Evil", "sort(Inputs.s)", value, inputs={"s": [key, "title"]})
        evil_guard.check()

    prop()
    evil_guard.check_full()


def test_injection_class_names(evil_db, evil_guard):
    @settings(max_examples=min(settings().max_examples, 200))  # nine calls per example
    @given(value=hostile_strings())
    def prop(value):
        assume(value not in evil_db.schema.classes)
        for query in (None, {"title": "x"}, "where({})"):
            with pytest.raises(SchemaError) as info:
                evil_db.query(value, query)
            check_error(info.value)
            with pytest.raises(SchemaError):
                evil_db.compile(value, query)
            with pytest.raises(SchemaError):
                evil_db.reference(value, query)
        evil_guard.check()

    prop()
    evil_guard.check_full()


NUL_FREE_POOL = [v for v in HOSTILE_POOL if "\x00" not in v]


@pytest.mark.parametrize("value", NUL_FREE_POOL, ids=[repr(v)[:30] for v in NUL_FREE_POOL])
def test_injection_every_pool_value_finds_its_record(evil_db, evil_guard, value):
    """Each hostile id and title is found exactly, by both engines, as a parameter."""
    res = evil_db.query("Evil", {"idEqualTo": value})
    assert res.ids == [value]
    assert evil_db.reference("Evil", {"idEqualTo": value}).ids == [value]
    plan = evil_db.compile("Evil", "where({ objectId: Inputs.v })", inputs={"v": value})
    assert value in plan.params
    res = evil_db.query("Evil", "where({ title: Inputs.v })", inputs={"v": value})
    assert value in res.ids and res.ids == evil_db.reference("Evil", {"title": value}).ids
    res = evil_db.query("Evil", {"peer": {"pointsTo": value}})
    assert res.ids == evil_db.reference("Evil", {"peer": {"pointsTo": value}}).ids and len(res.ids) == 1
    evil_guard.check_full()


@pytest.mark.parametrize("oid", ["a\x00b", "\x00"])
def test_nul_in_ids_is_consistent(oid):
    db = querylang.connect()
    doc = {"classes": {"N": {"fields": {"p": {"type": "Pointer", "targetClass": "N"}}}},
           "records": {"N": [{"objectId": oid, "p": oid}]}}
    try:
        db.load(doc)
    except DataError:
        return  # refused at load: consistent
    assert db.query("N", {"idEqualTo": oid}).ids == [oid]
    assert db.query("N", {"p": {"pointsTo": oid}}).ids == [oid]


# Hostile names in the data file: class and field names must be plain identifiers.
BAD_NAMES = ['Post"; DROP TABLE "Post', "a'b", "a;b", "a--", "a b", "", "1a", "_x", "a.b", "a:b", "é", "a\x00", "😀", "$a"]
NEWLINE_NAMES = ["Evil\n", "title\n"]




@pytest.mark.parametrize(
    "where,name",
    [(w, n) for w in ("class", "field", "target") for n in BAD_NAMES]
    + [pytest.param(w, n, marks=()) for w in ("class", "field") for n in NEWLINE_NAMES]
    + [("target", n) for n in NEWLINE_NAMES],  # rejected: no such class
)
def test_load_rejects_hostile_names(where, name):
    db = querylang.connect()
    db.load(SMALL_DOC)
    before = db_hash(db)
    if where == "class":
        doc = {"classes": {name: {"fields": {"a": {"type": "String"}}}}}
    elif where == "field":
        doc = {"classes": {"Thing": {"fields": {name: {"type": "String"}}}}}
    else:
        doc = {"classes": {"Thing": {"fields": {"p": {"type": "Pointer", "targetClass": name}}}}}
    with pytest.raises(DataError) as info:
        db.load(doc)
    check_error(info.value)
    assert db_hash(db) == before

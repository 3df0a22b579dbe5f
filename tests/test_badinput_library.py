"""Bad input through the library's doors: always a QueryError that names the place, never
another exception, and a failed write changes nothing.

Mangled scripts, filter objects and Parse ``where`` JSON of every wrong type go to ``query``,
``compile``, ``count``, ``distinct``, ``aggregate``, ``find`` and ``reference``; writes get
values of every wrong type; on DuckDB in memory, a DuckDB file and PostgreSQL.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang import QueryError, QuerySyntaxError

from .badinput import (
    FILTER_VALUES,
    FILTERS,
    OPERATORS,
    REST_OPERATORS,
    REST_VALUES,
    SMALL,
    WHERES,
    bad_values,
    dump,
    mangled_scripts,
)

# An eighth of the profile's examples per property: there are many, on three engines.
SOME = settings(max_examples=max(10, settings.default.max_examples // 8))


def _open(kind: str, tmp: Path, pg_connect: Callable[[], querylang.Database] | None) -> querylang.Database:
    if kind == "memory":
        return querylang.connect()
    if kind == "file":
        return querylang.connect(str(tmp / "bad.duckdb"))
    assert pg_connect is not None
    return pg_connect()


@pytest.fixture(scope="module", params=["memory", "file", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[querylang.Database]:
    pg = request.getfixturevalue("pg_connect") if request.param == "postgres" else None
    d = _open(request.param, tmp_path_factory.mktemp("badinput"), pg)
    d.load(copy.deepcopy(SMALL))
    yield d
    d.close()


@pytest.fixture(scope="module")
def state(db: querylang.Database) -> dict[str, Any]:
    """What the database holds before the next write."""
    return {"before": dump(db)}


def check(err: QueryError, script: str | None = None) -> None:
    """A well-formed error: a message, a code, a position for a syntax error (within the script)."""
    assert isinstance(err.code, int) and err.message
    if isinstance(err, QuerySyntaxError):
        assert err.line is not None and err.column is not None, err.message
    if err.line is not None and script is not None:
        assert 1 <= err.line <= script.count("\n") + 1, (err.line, err.message)
    assert str(err)


def attempt(call: Callable[[], Any], script: str | None = None) -> QueryError | None:
    """Run ``call``: a QueryError is checked and returned; any other exception fails the test."""
    try:
        call()
    except QueryError as err:
        check(err, script)
        return err
    return None


READS: dict[str, Callable[[querylang.Database, str, Any], Any]] = {
    "query": lambda db, cls, q: db.query(cls, q),
    "compile": lambda db, cls, q: db.compile(cls, q),
    "count": lambda db, cls, q: db.count(cls, q),
    "distinct": lambda db, cls, q: db.distinct(cls, "title", q),
    "aggregate": lambda db, cls, q: db.aggregate(cls, {"Total": {"sum": "score"}, "Last": {"max": "when"}}, q),
    "reference": lambda db, cls, q: db.reference(cls, q),
}
CLASSES = st.sampled_from(["Post", "Post", "Post", "User", "Group", "Nope", "", "post"])


@SOME
@given(read=st.sampled_from(sorted(READS)), cls=CLASSES, script=mangled_scripts(),
       inputs=st.dictionaries(st.sampled_from(["PostId", "Min", "GroupId", "x"]), FILTER_VALUES, max_size=2))
def test_a_mangled_script_is_a_query_error(db, read, cls, script, inputs):
    attempt(lambda: READS[read](db, cls, script) if not inputs else db.query(cls, script, inputs=inputs), script)


@SOME
@given(read=st.sampled_from(sorted(READS)), cls=CLASSES, filt=FILTERS | FILTER_VALUES,
       paging=st.fixed_dictionaries({}, optional={"sort": FILTER_VALUES, "limit": FILTER_VALUES, "skip": FILTER_VALUES}))
def test_a_bad_filter_object_is_a_query_error(db, read, cls, filt, paging):
    attempt(lambda: READS[read](db, cls, filt))
    if paging:
        attempt(lambda: db.query(cls, filt, **paging))


@SOME
@given(cls=CLASSES, where=WHERES | REST_VALUES,
       options=st.fixed_dictionaries({}, optional={k: REST_VALUES for k in ("order", "limit", "skip", "count", "include", "keys")}))
def test_a_bad_parse_where_is_a_query_error(db, cls, where, options):
    attempt(lambda: db.find(cls, where, **options))


POST_FIELDS = sorted(SMALL["classes"]["Post"]["fields"])


@SOME
@given(field=st.sampled_from(POST_FIELDS + ["meta.views", "author.name"]), op=st.sampled_from(OPERATORS),
       operand=FILTER_VALUES)
def test_a_filter_objects_error_names_its_field(db, field, op, operand):
    err = attempt(lambda: db.query("Post", {"score": {"exists": True}, field: {op: operand}}))
    if err is not None:
        # A matchesQuery's error inside names the dot path through the field ('author.score': ...).
        assert f"'{field}'" in err.message or f"'{field}." in err.message, err.message


@SOME
@given(field=st.sampled_from(POST_FIELDS + ["meta.views", "author.name"]), op=st.sampled_from(REST_OPERATORS),
       operand=REST_VALUES)
def test_a_parse_wheres_error_names_its_key(db, field, op, operand):
    err = attempt(lambda: db.find("Post", {"score": {"$exists": True}, field: {op: operand}}))
    if err is not None:
        assert f"'{field}'" in err.message or f"{field}:" in err.message, err.message


# --- the examples the properties found, pinned ---------------------------------------------------


@pytest.mark.parametrize(("call", "says"), [
    # A filter object's errors named no field: with many keys, the user could not tell which one.
    (lambda db: db.query("Group", {"name": "one", "posts": []}), "'posts': equalTo on a Relation takes one id"),
    (lambda db: db.query("Group", {"posts": 0}), "'posts': equalTo needs an objectId string, got number"),
    # Several ids where notEqualTo takes one: the operator for them is notContainedIn.
    (lambda db: db.query("Group", {"posts": {"notEqualTo": ["a", "b"]}}),
     "'posts': notEqualTo on a Relation takes one id; use notContainedIn for several"),
    (lambda db: db.query("Post", {"tags": {"all": 3}}), "'tags': all needs an array, got number"),
    (lambda db: db.query("Post", {"or": [{"done": {"exists": 3}}]}), "'done': exists needs true or false, got number"),
    (lambda db: db.query("Post", {"score": {"bogus": 1}}), "'score': unknown operator 'bogus'"),
    (lambda db: db.count("Post", {"location": {"nearSphere": 3}}), "'location': nearSphere needs"),
    (lambda db: db.find("Post", {"title": {"$regex": 0}}), "'title': bad regex: 0"),
    (lambda db: db.find("Post", {"tags": {"$in": "a"}}), "'tags': bad $in value"),
    (lambda db: querylang.to_parse_where({"tags": {"all": 3}}), "'tags': all needs an array, got number"),
    # A whole number past a double's range on a Date: Python's OverflowError, told without the field.
    (lambda db: db.query("Post", {"when": 10**400}), "'when' is a Date: "),
    (lambda db: db.find("Post", {"createdAt": {"$lt": -(10**400)}}), "'createdAt' is a Date: "),
])
def test_a_filter_objects_error_names_the_field(db, call, says):
    with pytest.raises(QueryError) as info:
        call(db)
    assert str(info.value).startswith(says), str(info.value)


def test_a_scripts_error_keeps_its_words_and_position(db):
    # The position names the place; the words stay the README's.
    with pytest.raises(QueryError) as info:
        db.query("Post", "where({ tags: { all: 3 } })")
    assert str(info.value).startswith("line 1, column 17: all needs an array, got number")


# --- writes -------------------------------------------------------------------------------------

WRITE_VALUES = bad_values(POST_FIELDS + ["objectId", "createdAt", "updatedAt", "ACL", "__op", "__type", "amount", "objects"])
FIELDS_ARG = st.dictionaries(st.sampled_from([*POST_FIELDS, "objectId", "createdAt", "updatedAt", "posts", "meta.views", "bogus", ""]),
                             WRITE_VALUES, min_size=1, max_size=3) | WRITE_VALUES
IDS = st.sampled_from(["p1", "p2", "g1", "u1", "nope", "", "\x00"]) | WRITE_VALUES


def _change(fields: Any, add: Any, unset: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda record: querylang.Change(fields, add=add, unset=unset)


WRITES = st.one_of(
    st.tuples(st.just("create"), CLASSES, FIELDS_ARG),
    st.tuples(st.just("save"), CLASSES, IDS, FIELDS_ARG),
    st.tuples(st.just("increment"), CLASSES, IDS, FIELDS_ARG),
    st.tuples(st.just("update"), CLASSES, IDS, st.builds(_change, FIELDS_ARG, WRITE_VALUES, WRITE_VALUES) | WRITE_VALUES),
    st.tuples(st.just("delete"), st.sampled_from(["Nope", "", "post"]) | WRITE_VALUES, IDS),
    st.tuples(st.sampled_from(["add_relation", "remove_relation"]), st.sampled_from(["Group", "Post", "Nope"]), IDS,
              st.sampled_from(["posts", "title", "bogus"]) | WRITE_VALUES, IDS),
    st.tuples(st.just("define_class"), st.sampled_from(["Post", "New", "_x", "1a", "a b"]) | WRITE_VALUES,
              st.dictionaries(st.sampled_from(["title", "score", "nf", "", "$x"]),
                              st.fixed_dictionaries({"type": st.sampled_from(["String", "Number", "Relation", "Pointer", "bogus", ""]) | WRITE_VALUES},
                                                    optional={"targetClass": CLASSES | WRITE_VALUES}) | WRITE_VALUES,
                              min_size=1, max_size=2) | WRITE_VALUES),
)


@SOME
@given(write=WRITES)
def test_a_bad_write_is_a_query_error_and_changes_nothing(db, state, write):
    name, *args = write
    err = attempt(lambda: getattr(db, name)(*args))
    after = dump(db)
    if err is None:
        state["before"] = after  # a write the values happened to fit: the next example starts here
    else:
        assert after == state["before"], f"{name}{tuple(args)!r} failed ({err}) but changed the database"


def test_nan_and_huge_numbers_in_writes_are_refused_by_field(db, state):
    for value in (math.nan, math.inf, 10**400):
        for call in (lambda v: db.save("Post", "p1", {"score": v}), lambda v: db.increment("Post", "p1", {"score": v}),
                     lambda v: db.create("Post", {"score": v})):
            err = attempt(lambda call=call, value=value: call(value))
            assert err is not None and "score" in str(err), (value, err)
    assert dump(db) == state["before"]


@pytest.mark.parametrize(("call", "says"), [
    # Python's "unhashable type: 'list'" as the schema looked the name up.
    (lambda db: db.define_class([], None), "define_class's class name must be a string, not array"),
    (lambda db: db.define_class({}, {"a": {"type": "String"}}), "define_class's class name must be a string, not object"),
    (lambda db: db.add_field("Post", [], "String"), "add_field's field name (class Post) must be a string, not array"),
    (lambda db: db.add_field([], "x", "String"), "add_field's class name must be a string, not array"),
    # Falsy fields that are no object defined the class with no fields, saying nothing.
    (lambda db: db.define_class("Empty", ""), "class Empty: 'fields' must be an object"),
    (lambda db: db.define_class("Empty", []), "class Empty: 'fields' must be an object"),
    # A key a field spec does not take was dropped: a misspelt one, or Parse's required read as kept.
    (lambda db: db.define_class("Post", {"rank": {"type": "Number", "requred": True}}),
     "class Post, field rank: unknown key 'requred'; a field takes only 'type' and 'targetClass'"),
    (lambda db: db.define_class("Note", {"by": {"type": "Pointer", "targetclass": "User"}}),
     "class Note, field by: unknown key 'targetclass'; a field takes only 'type' and 'targetClass' (did you mean 'targetClass'?)"),
    (lambda db: db.define_class("Note", {"n": {"type": "Number", "defaultValue": 0}}),
     "class Note, field n: unknown key 'defaultValue' (Parse's defaultValue is not kept by querylang)"),
    (lambda db: db.load({"classes": {"Post": {"fields": {"x": {"type": "String", "required": False}}}}}),
     "class Post, field x: unknown key 'required' (Parse's required is not kept by querylang)"),
])
def test_define_class_refuses_a_name_or_fields_of_another_type(db, state, call, says):
    with pytest.raises(QueryError) as info:
        call(db)
    assert says in str(info.value)
    assert dump(db) == state["before"]


@SOME
@given(settings_=st.fixed_dictionaries({}, optional={"timeout": FILTER_VALUES, "max_rows": FILTER_VALUES,
                                                     "read_only": FILTER_VALUES, "layout": FILTER_VALUES}))
def test_bad_connect_settings_are_a_query_error(settings_):
    def open_and_read() -> None:
        with querylang.connect(**settings_) as d:
            d.load({"classes": {"A": {"fields": {}}}})
            d.query("A", {})

    attempt(open_and_read)


@pytest.mark.parametrize("setting", ["timeout", "max_rows"])
def test_a_limit_past_a_doubles_range_is_no_limit_or_refused(setting):
    # Python's OverflowError (math.isnan of the int) came out of connect and of the setter.
    with querylang.connect(**{setting: 10**400}) as d:
        assert getattr(d, setting) is None
        with pytest.raises(QueryError, match=f"{setting} must be 0 or more, got a number of 401 digits"):
            setattr(d, setting, -(10**400))


@pytest.mark.parametrize("inputs", [[], "", 0, ()])
@pytest.mark.parametrize("call", [
    lambda db, s, i: db.query("Post", s, inputs=i), lambda db, s, i: db.compile("Post", s, inputs=i),
    lambda db, s, i: db.count("Post", s, inputs=i), lambda db, s, i: db.reference("Post", s, inputs=i),
    lambda db, s, i: querylang.to_parse_where(s, inputs=i),
    lambda db, s, i: db.query("Post", visual={"combinator": "and", "rules": []}, inputs=i),
])
def test_inputs_that_are_no_mapping_are_refused_even_when_empty(db, call, inputs):
    # An empty list or string (falsy, as {} is) ran the script with no inputs, dropping the
    # condition on Inputs.Min: every record, where inputs=3 was refused.
    for _ in range(3):  # the plan cache's first, second and later runs of a script
        with pytest.raises(QueryError, match="inputs must be a mapping of names to values"):
            call(db, "where({ score: { greaterThan: Inputs.Min } })", inputs)


FILTER_DOORS = [
    lambda db, q, i: db.query("Post", q, inputs=i), lambda db, q, i: db.compile("Post", q, inputs=i),
    lambda db, q, i: db.count("Post", q, inputs=i), lambda db, q, i: db.reference("Post", q, inputs=i),
    lambda db, q, i: db.explain("Post", q, inputs=i), lambda db, q, i: db.build("Post", q, inputs=i),
    lambda db, q, i: db.distinct("Post", "title", q, inputs=i),
    lambda db, q, i: db.aggregate("Post", {"Top": {"max": "score"}}, q, inputs=i),
    lambda db, q, i: list(db.stream("Post", q, inputs=i)),
    lambda db, q, i: querylang.matches({"score": 1}, q, schema=db.schema, class_name="Post", inputs=i),
    lambda db, q, i: querylang.to_parse_where(q, inputs=i),
]


@pytest.mark.parametrize("query", [{"score": {"greaterThan": 1}}, {}, None])
@pytest.mark.parametrize("call", FILTER_DOORS)
def test_inputs_with_a_filter_object_must_be_a_mapping(db, call, query):
    # A filter object reads no Inputs: inputs=3 was taken and dropped. A mapping is left
    # unused, as a caller running scripts and filter objects alike passes its inputs to both.
    for _ in range(3):  # the plan cache's first, second and later runs of a filter's shape
        with pytest.raises(QueryError, match="inputs must be a mapping of names to values, not number"):
            call(db, query, 3)
        assert repr(call(db, query, {"Min": 1})) == repr(call(db, query, None))
    # A visual filter reads them.
    visual = {"combinator": "and", "rules": [{"property": "score", "operator": "greater than", "input": "Min"}]}
    assert db.query("Post", visual=visual, inputs={"Min": 1}).ids == db.query("Post", {"score": {"greaterThan": 1}}).ids


@pytest.mark.parametrize(("call", "says"), [
    # A query, or an aggregate's spec, of another type was a plain QueryError (code 102), where
    # every other argument of a wrong type is a QueryTypeError (107).
    (lambda db: db.query("Post", 5), "a query is a script string or a filter object, not number"),
    (lambda db: db.count("Post", [{"score": 1}]), "a query is a script string or a filter object, not array"),
    (lambda db: db.aggregate("Post", 5), "aggregate needs an object {name: {sum|min|max|avg: field}}, not number"),
    (lambda db: db.aggregate("Post", {"X": "score"}), "aggregate 'X' needs one of {sum|min|max|avg: field}, not string"),
    (lambda db: db.aggregate("Post", {"X": {"sum": "score", "max": "score"}}),
     "aggregate 'X' needs one of {sum|min|max|avg: field}, not an object of 2 keys"),
    (lambda db: db.aggregate("Post", {"X": {"sum": 5}}), "aggregate 'X': sum needs a field name, not number"),
    # Types in JSON's words, as the filters say them (were Python's: float, NoneType, bool, dict).
    (lambda db: db.aggregate("Post", {"X": 2.5}), "aggregate 'X' needs one of {sum|min|max|avg: field}, not number"),
    (lambda db: db.aggregate("Post", {"X": {"max": None}}), "aggregate 'X': max needs a field name, not null"),
    (lambda db: db.aggregate("Post", {"X": {"min": True}}), "aggregate 'X': min needs a field name, not boolean"),
    (lambda db: db.aggregate("Post", {"X": {"avg": {}}}), "aggregate 'X': avg needs a field name, not object"),
    (lambda db: db.query("Post", {}, count=2.5), "count must be True or False, not number 2.5"),
    (lambda db: db.query("Post", {}, strict="no"), "strict must be True or False, not string 'no'"),
    # The others, as they were.
    (lambda db: db.query("Post", {}, limit="x"), "limit must be a whole number"),
    (lambda db: db.query("Post", {}, sort=5), "sort needs an array of field names"),
    (lambda db: db.query("Post", {}, count="x"), "count must be True or False, not string 'x'"),
    (lambda db: db.query("Post", {}, include=5), "include must be a string or a list of strings"),
    (lambda db: db.query("Post", {}, cancel=5), "query() cancel must be a threading.Event or None, not int"),
    (lambda db: db.query("Post", {}, inputs=5), "inputs must be a mapping of names to values"),
    (lambda db: list(db.stream("Post", batch="x")), "stream() batch must be a whole number of 1 or more"),
    (lambda db: db.run(5), "run() needs the query nodes db.build(...) gives, not int"),
    (lambda db: querylang.matches(5, {}, schema=db.schema, class_name="Post"), "matches() needs the record as an object"),
])
def test_a_reads_argument_of_a_wrong_type_is_a_query_type_error(db, call, says):
    with pytest.raises(QueryError) as info:
        call(db)
    assert str(info.value).startswith(says), str(info.value)
    assert isinstance(info.value, querylang.QueryTypeError) and info.value.code == 107, repr(info.value)


@pytest.mark.parametrize("name", [["Post"], {"Post": 1}, {"Post"}])
@pytest.mark.parametrize("query", [{}, {"score": 1}, "where({})"])
def test_a_class_name_of_an_unhashable_type_is_an_unknown_class(db, name, query):
    # With a filter object or a script, the plan cache hashed the name first: Python's
    # TypeError "unhashable type: 'list'" from query, count, compile, explain and find.
    for read in (*READS.values(), lambda db, cls, q: db.explain(cls, q)):
        with pytest.raises(querylang.SchemaError, match="^unknown class"):
            read(db, name, query)
    with pytest.raises(querylang.SchemaError, match="^unknown class"):
        db.find(name, {})


@pytest.mark.parametrize("value", [None, 5, "Post", {"Post": {"fields": {}}}, [1]])
def test_build_query_and_evaluate_refuse_arguments_of_another_type(db, value):
    # Python's AttributeError ("'int' object has no attribute 'get'") on the first use.
    from querylang.interchange.document import read_dataset

    with pytest.raises(querylang.QueryTypeError, match=r"^build_query\(\) needs a Schema \(db.schema\), not "):
        querylang.build_query(value, "Post", {})
    with pytest.raises(querylang.QueryTypeError, match=r"^evaluate\(\) needs a Dataset "):
        querylang.evaluate(value, db.build("Post", {}))
    with pytest.raises(querylang.QueryTypeError, match=r"^evaluate\(\) needs the query nodes db.build\(...\) gives, not "):
        querylang.evaluate(read_dataset(copy.deepcopy(SMALL)), value)


@pytest.mark.parametrize(("call", "says"), [
    # The value as JSON writes it (were Python's: True, None).
    (lambda db: db.query("Post", {}, limit=True), "limit must be a whole number, got true"),
    (lambda db: db.find("Post", {}, limit=False), "limit must be a whole number, got false"),
    (lambda db: db.find("Post", {"title": {"$regex": None}}), "'title': bad regex: null"),
    (lambda db: db.aggregate("Post", {"X": {None: "score"}}), "aggregate 'X': unknown aggregate null"),
    (lambda db: db.query("Post", visual={"combinator": None, "rules": []}), "visual filter group: unknown combinator null"),
    (lambda db: db.query("Post", visual={"combinator": "and", "rules": [{"property": "score", "operator": None}]}),
     "visual filter rule at rules[0] (property 'score'): unknown visual filter operator null"),
    (lambda db: db.query("Post", visual_sorting=[{"property": "score", "order": True}]),
     "visual sorting[0] (property 'score'): unknown sort order true"),
])
def test_a_value_in_an_error_is_written_as_json_writes_it(db, call, says):
    with pytest.raises(QueryError) as info:
        call(db)
    assert str(info.value) == says


def _nested(depth: int) -> list[Any]:
    out: list[Any] = []
    for _ in range(depth):
        out = [out]
    return out


@pytest.mark.parametrize(("call", "says"), [
    # A value inside an array or an object, and a number, as JSON writes them: these were
    # Python's repr ("array [None, 1.5]", "number nan", "number 1.0", "array (1, 2)").
    (lambda db: db.load([{"objectId": "a", "n": None, "ok": True}]),
     "load needs a path or a dict in the interchange format, got array [{objectId: 'a', n: null, ok: true}]"),
    (lambda db: db.load(("a", "b")), "load needs a path or a dict in the interchange format, got array ['a', 'b']"),
    (lambda db: db.import_parse_server("http://127.0.0.1:9/parse", app_id="a", master_key="k", classes=[None, 1.5]),
     "classes must be a list of class names, not array [null, 1.5]"),
    (lambda db: db.query("Post", {}, count=math.nan), "count must be True or False, not number NaN"),
    (lambda db: db.query("Post", {}, count=2.0), "count must be True or False, not number 2"),
    (lambda db: db.query("Post", {}, strict=-math.inf), "strict must be True or False, not number -Infinity"),
    # Building the message raised Python's ValueError (more than 4300 digits) or RecursionError.
    (lambda db: db.query("Post", {}, strict=10**5000), "strict must be True or False, not number Infinity"),
    (lambda db: db.load(_nested(100_000)),
     "load needs a path or a dict in the interchange format, got array [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[..."),
    # A schema or pointer_classes of another type, as the record beside it is named (were "not list", "not str",
    # and Python's repr "{'Owner': 5}").
    (lambda db: querylang.matches({}, {}, schema=[{"Post": {}}]),  # type: ignore[arg-type]
     "matches() needs schema= as a Schema or the interchange 'classes' object, not array"),
    (lambda db: querylang.to_parse_where({}, schema="Post"),  # type: ignore[arg-type]
     "to_parse_where() needs schema= as a Schema (db.schema) or the interchange 'classes' object, not string"),
    (lambda db: querylang.to_parse_where({}, pointer_classes={"owner": None}),
     "to_parse_where() needs pointer_classes= as an object {field: class name}, not object {owner: null}"),
    # One without the other was ignored: the filter unchecked, a Pointer's class said unknown.
    (lambda db: querylang.to_parse_where("where({ owner: { pointsTo: 'u1' } })", schema=db.schema),
     "to_parse_where() was given schema= without class_name= (the class the filter is for): the two are used together"),
    (lambda db: querylang.to_parse_where({"scroe": 1}, class_name="Post"),
     "to_parse_where() was given class_name= without schema= (db.schema): the two are used together"),
    # A long text is cut, and says so.
    (lambda db: db.query("Post", {}, strict="x" * 500), f"strict must be True or False, not string '{'x' * 96}..."),
])  # fmt: skip
def test_a_value_inside_an_error_is_written_as_json_writes_it(db, call, says):
    with pytest.raises(QueryError) as info:
        call(db)
    assert str(info.value) == says

"""Edges of the translations between front ends: Noodl's visual filter objects
(querylang/frontends/visual.py), filter objects → Parse ``where`` (to_parse.py) and back
(parse_rest.py, unparse.py). Malformed input is a QueryError that names the place, never a
Python exception; a round trip keeps the meaning.
"""

from __future__ import annotations

import pytest

import querylang
from querylang.errors import QueryError
from querylang.frontends.to_parse import to_parse_where, to_script
from querylang.frontends.visual import visual_to_filter


def rule(prop, op, **kw):
    return {"property": prop, "operator": op, **kw}


@pytest.mark.parametrize(
    ("visual", "message"),
    [
        # An operator or an input that is a list or an object ended in Python's TypeError
        # ("unhashable type") from the lookup, not in a QueryError.
        (rule("title", ["equal to"], value="x"), "unknown visual filter operator"),
        (rule("title", {"op": "equal to"}, value="x"), "unknown visual filter operator"),
        (rule("title", "equal to", input=["Title"]), "'equal to' rule's input must be an input name, got array"),
        (rule("score", "greater than", input={"name": "Min"}), "input must be an input name, got object"),
        ({"operator": "related to", "relatedTo": "Group", "relationProperty": "posts", "input": ["G"]},
         "'related to' rule's input must be an input name, got array"),
    ],
)
def test_malformed_visual_rules_are_query_errors(visual, message):
    with pytest.raises(QueryError, match=message):
        visual_to_filter({"combinator": "and", "rules": [visual]}, {"Title": "x", "G": "g1"})


@pytest.fixture(scope="module")
def text_db():
    database = querylang.connect()
    database.load({"classes": {"C": {"fields": {"t": {"type": "String"}}}},
                   "records": {"C": [{"objectId": "a", "t": "Running fox"}, {"objectId": "b", "t": "a dog"}]}})
    yield database
    database.close()


@pytest.mark.parametrize(
    "search",
    [
        {"term": "run", "language": None},
        {"term": "run", "caseSensitive": None},
        {"term": "run", "diacriticSensitive": None, "language": None, "caseSensitive": None},
    ],
)
def test_null_text_members_survive_the_trip_to_parse_and_back(text_db, search):
    # A null language or flag reads as left out in a filter object, and Noodl sends it to
    # Parse as null, which Parse leaves out too; db.find refused it (107 "should be string").
    where = {"t": {"text": {"search": search}}}
    assert text_db.query("C", where).ids == ["a"]
    parse_where = to_parse_where(where, schema=text_db.schema, class_name="C")
    assert parse_where["t"]["$text"]["$search"]["$term"] == "run"
    assert text_db.find("C", where=parse_where).ids == ["a"]
    assert text_db.query("C", to_script(parse_where)).ids == ["a"]


def test_a_text_member_of_the_wrong_type_is_still_refused(text_db):
    for member, message in (("$language", "should be string"), ("$caseSensitive", "should be boolean")):
        with pytest.raises(QueryError, match=message):
            text_db.find("C", where={"t": {"$text": {"$search": {"$term": "run", member: 3}}}})


@pytest.fixture(scope="module")
def object_db():
    database = querylang.connect()
    database.load({"classes": {"Post": {"fields": {"meta": {"type": "Object"}, "up": {"type": "Pointer", "targetClass": "Post"}}}},
                   "records": {"Post": [{"objectId": "p1", "meta": {"a": {"x": 1}, "b": {}}},
                                        {"objectId": "p2", "meta": {"a": 2}, "up": "p1"},
                                        {"objectId": "p3", "up": "p2"}]}})
    yield database
    database.close()


@pytest.mark.parametrize(
    ("filt", "expected"),
    [
        # Into an Object field an object with no operator word is a value to equal (db.query);
        # to_parse_where read it as operators: {} vanished from the where (every record
        # matched) and {x: 1} was refused as an unknown operator.
        ({"meta.b": {}}, ["p1"]),
        ({"meta.a": {}}, []),
        ({"meta.a": {"x": 1}}, ["p1"]),
        ({"up.meta.b": {}}, ["p2"]),
        ({"up.meta.a": {"x": 1}}, ["p2"]),
        ({"meta.a": {"equalTo": {"x": 1}}}, ["p1"]),
    ],
)
def test_an_object_value_on_an_object_path_keeps_its_meaning(object_db, filt, expected):
    assert object_db.query("Post", filt).ids == expected
    where = to_parse_where(filt, schema=object_db.schema, class_name="Post")
    assert object_db.find("Post", where=where).ids == expected
    assert object_db.query("Post", to_script(where)).ids == expected


@pytest.mark.parametrize(
    ("script", "line", "column", "message"),
    [
        # Without a schema to_parse_where checks only what it translates; its errors pointed at
        # where(...) (line 1, column 1), naming no field.
        ('where({ u: { equalTo: 1 },\n   t: { text: "fox" } })', 2, 9, "text needs {search: 'term'}"),
        ('where({ or: [{ u: 1 }, { t: { containedIn: "x" } }] })', 1, 31, "containedIn needs an array"),
        ("where({ t: { exists: true, matchesRegex: 3 } })", 1, 28, "matchesRegex needs a string"),
        ("where({ u: 1, relatedTo: { id: 3 } })", 1, 15, "Must provide key"),
        ("where({ t: { nearSphere: 3 } })", 1, 14, "nearSphere needs {latitude, longitude"),
    ],
)
def test_to_parse_where_errors_point_at_the_key(script, line, column, message):
    with pytest.raises(QueryError) as info:
        to_parse_where(script)
    assert (info.value.line, info.value.column) == (line, column)
    assert message in info.value.message


@pytest.mark.parametrize("filt", [{"title": {}}, {"score": {}, "title": {"equalTo": "x"}}, {"or": [{"a.b": {}}, {"c": 1}]}])
def test_an_empty_operator_object_is_not_dropped_without_a_schema(filt):
    # db.query refuses {field: {}} ("no operator given"); without a schema to_parse_where
    # dropped it, so the where it gave selected every record.
    with pytest.raises(QueryError, match="no operator given for"):
        to_parse_where(filt)


@pytest.fixture(scope="module")
def dated_db():
    database = querylang.connect()
    database.load({"classes": {"Post": {"fields": {"at": {"type": "Date"}}}},
                   "records": {"Post": [{"objectId": "p1", "at": "2023-12-31T23:59:59Z"},
                                        {"objectId": "p2", "at": "2024-03-01T00:00:00Z"},
                                        {"objectId": "p3", "at": "2024-07-01T00:00:00Z"}]}})
    yield database
    database.close()


@pytest.mark.parametrize(("value", "expected"), [("2024", ["p2", "p3"]), ("2024-06", ["p3"]), (" 2024-06 ", ["p3"])])
def test_a_visual_date_value_reads_as_new_date_does(dated_db, value, expected):
    # Noodl makes a Date property's value a Date with new Date(value.toString()), which reads
    # a year alone or a year and month (as a script's new Date(...) does here); the visual
    # filter refused them ("cannot read '2024' as a date").
    visual = {"combinator": "and", "rules": [rule("at", "greater than or equal to", input="From")]}
    assert dated_db.query("Post", visual=visual, inputs={"From": value}).ids == expected
    script = "where({ at: { greaterThanOrEqualTo: new Date(Inputs.From) } })"
    assert dated_db.query("Post", script, inputs={"From": value}).ids == expected


@pytest.mark.parametrize(("value", "message"), [("+012024-01-01", "outside years 1-9999"), ("2024-13", "cannot read")])
def test_a_visual_date_value_out_of_reach_is_a_query_error(dated_db, value, message):
    visual = {"combinator": "and", "rules": [rule("at", "equal to", value=value)]}
    with pytest.raises(QueryError, match=message):
        dated_db.query("Post", visual=visual)


def test_visual_rules_may_be_a_python_tuple():
    # A tuple of rules was refused with "'rules' must be an array, got array" (a tuple's type
    # name is array), though the sorting list and containedIn take tuples.
    visual = {"combinator": "or", "rules": (rule("a", "exist"), rule("b", "equal to", value=1))}
    assert visual_to_filter(visual) == {"or": [{"a": {"exists": True}}, {"b": {"equalTo": 1}}]}
    with pytest.raises(QueryError, match="'rules' must be an array, got string"):
        visual_to_filter({"combinator": "and", "rules": "a"})


@pytest.mark.parametrize(
    ("filt", "message"),
    [
        # The pseudo-type of a dot path leaked as "is an ObjectPath", and polygonContains wrote
        # "is a ObjectPath" / "is a Object".
        ({"meta.a": {"text": {"search": "x"}}}, "'meta.a' is a path into an Object field"),
        ({"meta.a": {"pointsTo": "p1"}}, "'meta.a' is a path into an Object field"),
        ({"meta.a": {"polygonContains": {"latitude": 1, "longitude": 1}}}, "'meta.a' is a path into an Object field"),
        ({"meta": {"polygonContains": {"latitude": 1, "longitude": 1}}}, "'meta' is an Object"),
    ],
)
def test_type_errors_name_a_path_as_such(object_db, filt, message):
    with pytest.raises(QueryError) as info:
        object_db.query("Post", filt)
    assert message in str(info.value)


def _nested(n: int) -> object:
    v: object = 1
    for _ in range(n):
        v = [v]
    return v


def _ands(n: int) -> dict:
    f: dict = {}
    for _ in range(n):
        f = {"and": [f]}
    return f


@pytest.mark.parametrize(
    "translate",
    [
        # Without a schema nothing checks the nesting before to_parse_where walks it, nor a
        # value before to_script prints it: both ended in Python's RecursionError.
        lambda: to_parse_where(_ands(5000)),
        lambda: to_parse_where({"tags": _nested(5000)}),
        lambda: to_script({"tags": _nested(5000)}),
    ],
)
def test_a_translation_nested_past_the_stack_is_a_limit(translate):
    with pytest.raises(querylang.LimitExceeded, match="nests too deeply"):
        translate()


@pytest.mark.parametrize(
    ("operand", "message"),
    [
        # Read as a filter on the target, {where, limit} said "class C has no field 'where'",
        # and to_parse_where without a schema asked for a className the operand gives.
        ({"where": {}, "limit": 1}, "matchesQuery does not take 'limit' beside 'where': it takes a filter object, or {where, className}"),
        ({"className": "C", "skip": 1}, "matchesQuery does not take 'skip' beside 'className'"),
        ({"where": {}, "className": "C", "limit": 1}, "matchesQuery does not take 'limit' beside 'where' and 'className'"),
    ],
)
def test_a_matches_query_wrapper_with_another_key_says_which_key_is_not_taken(operand, message):
    filt = {"p": {"matchesQuery": operand}}
    with querylang.connect() as db:
        db.load({"classes": {"C": {"fields": {"t": {"type": "String"}, "p": {"type": "Pointer", "targetClass": "C"}}}}})
        for run in (lambda: db.query("C", filt), lambda: to_parse_where(filt, schema=db.schema, class_name="C"),
                    lambda: to_parse_where(filt), lambda: to_parse_where(filt, pointer_classes={"p": "C"})):
            with pytest.raises(QueryError) as info:
                run()
            assert message in info.value.message


def test_fields_named_where_and_classname_are_still_a_filter_on_a_class_that_has_them():
    with querylang.connect() as db:
        db.load({"classes": {"W": {"fields": {"where": {"type": "String"}, "x": {"type": "Number"},
                                              "q": {"type": "Pointer", "targetClass": "W"}}}},
                 "records": {"W": [{"objectId": "w1", "where": "a", "x": 1, "q": "w1"}]}})
        filt = {"q": {"matchesQuery": {"where": "a", "x": 1}}}
        assert db.query("W", filt).ids == ["w1"]
        assert to_parse_where(filt, schema=db.schema, class_name="W") == {
            "q": {"$inQuery": {"where": {"where": {"$eq": "a"}, "x": {"$eq": 1}}, "className": "W"}}}


@pytest.mark.parametrize(("operand", "message"), [
    # Ignored, a misspelt className left the owner class to be guessed (here: the only one).
    ({"id": "g1", "key": "posts", "clasName": "Group"}, "unknown key 'clasName' in relatedTo (did you mean 'className'?)"),
    ({"id": "g1", "key": "posts", "limit": 1}, "unknown key 'limit' in relatedTo"),
])
def test_relatedto_refuses_a_key_it_does_not_take(operand, message):
    from querylang.app.demo import sample_document

    with querylang.connect() as db:
        db.load(sample_document())
        for run in (lambda: db.query("Post", {"relatedTo": operand}), lambda: to_parse_where({"relatedTo": operand}),
                    lambda: to_parse_where({"relatedTo": operand}, schema=db.schema, class_name="Post")):
            with pytest.raises(QueryError) as info:
                run()
            assert str(info.value).startswith(message)
        assert db.query("Post", {"relatedTo": {"id": "g1", "key": "posts", "className": "Group"}}).ids


@pytest.mark.parametrize(("operand", "message"), [
    # Ignored, a misspelt where compared author with the objectId of every User: every post.
    ({"key": "objectId", "className": "User", "wehre": {"name": "nobody"}}, "'author': unknown key 'wehre' in matchesKeyInQuery (did you mean 'where'?)"),
    ({"key": "objectId", "className": "User", "where": {}, "limit": 1}, "'author': unknown key 'limit' in matchesKeyInQuery"),
])
def test_matches_key_in_query_refuses_a_key_it_does_not_take(operand, message):
    from querylang.app.demo import sample_document

    with querylang.connect() as db:
        db.load(sample_document())
        for op in ("matchesKeyInQuery", "doesNotMatchKeyInQuery"):
            filt = {"author": {op: operand}}
            for run in (lambda f: db.query("Post", f), to_parse_where,
                        lambda f: to_parse_where(f, schema=db.schema, class_name="Post")):
                with pytest.raises(QueryError) as info:
                    run(filt)
                assert str(info.value).startswith(message.replace("matchesKeyInQuery", op))
        assert db.query("Post", {"author": {"matchesKeyInQuery": {"key": "objectId", "className": "User", "where": {"name": "nobody"}}}}).ids == []


@pytest.mark.parametrize(("schema", "got"), [("x", "string"), (5, "number")])
def test_to_parse_where_with_a_schema_of_another_type_says_what_it_needs(schema, got):
    # schema="x" raised Python's AttributeError ("has no attribute 'get'").
    with pytest.raises(querylang.QueryTypeError, match=rf"^to_parse_where\(\) needs schema= as a Schema \(db.schema\) or the "
                                                       rf"interchange 'classes' object, not {got}$"):
        to_parse_where({"title": "x"}, schema=schema, class_name="Post")


def test_to_parse_where_takes_the_interchange_classes_as_matches_does():
    # The interchange's classes object, which querylang.matches takes as schema=, was refused
    # here (it had raised Python's AttributeError before that).
    classes = {"Post": {"fields": {"when": {"type": "Date"}}}}
    got = to_parse_where({"when": {"greaterThan": "2024-01-01T00:00:00.000Z"}}, schema=classes, class_name="Post")
    assert got == {"when": {"$gt": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}}


@pytest.mark.parametrize("classes", [["Owner"], {"Owner": 5}, {"Owner": ""}])
def test_to_parse_where_with_pointer_classes_of_another_shape_says_what_it_needs(classes):
    # A list raised Python's AttributeError ("'list' object has no attribute 'get'"); {"Owner": 5}
    # was sent as {"__type": "Pointer", "className": 5, ...}, which Parse refuses.
    with pytest.raises(querylang.QueryTypeError, match=r"^to_parse_where\(\) needs pointer_classes= as an object \{field: class name\}"):
        to_parse_where({"Owner": {"pointsTo": "p1"}}, pointer_classes=classes)

"""Noodl's visual filter and sorting (querylang.visual) → filter objects and sort keys.

A golden table (visual JSON + inputs → filter object), the errors, then the same filters run on
the sample dataset: DuckDB and the reference evaluator agree, and equal a hand-written filter.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

import querylang
from querylang.errors import QueryError, QueryTypeError
from querylang.features.regex import compile_regex
from querylang.frontends.visual import regex_literal, visual_sort, visual_to_filter


@pytest.fixture(scope="module")
def db(demo_db):
    return demo_db


def rule(prop, op, **kw):
    return {"property": prop, "operator": op, **kw}


def group(combinator, *rules):
    return {"combinator": combinator, "rules": list(rules)}


JUNE = datetime(2024, 6, 1, tzinfo=UTC)

TRANSLATIONS = [
    # one rule per operator (docs/semantics.md#front-ends, visual filters)
    (rule("title", "equal to", value="Hi"), None, {"title": {"equalTo": "Hi"}}),
    (rule("title", "not equal to", value="Hi"), None, {"title": {"notEqualTo": "Hi"}}),
    (rule("score", "less than", value=3), None, {"score": {"lessThan": 3}}),
    (rule("score", "less than or equal to", value=3), None, {"score": {"lessThanOrEqualTo": 3}}),
    (rule("score", "greater than", value=3), None, {"score": {"greaterThan": 3}}),
    (rule("score", "greater than or equal to", value=3), None, {"score": {"greaterThanOrEqualTo": 3}}),
    (rule("score", "exist"), None, {"score": {"exists": True}}),
    (rule("score", "not exist"), None, {"score": {"exists": False}}),
    (rule("author", "points to", input="User"), {"User": "u01"}, {"author": {"pointsTo": "u01"}}),
    (
        {"operator": "related to", "relatedTo": "Group", "relationProperty": "posts", "input": "G"},
        {"G": "g1"},
        {"relatedTo": {"id": "g1", "key": "posts", "className": "Group"}},
    ),
    # contain: the text literally, case-insensitive (escaped: a documented deviation)
    (rule("title", "contain", value="query"), None, {"title": {"matchesRegex": "query", "options": "i"}}),
    (rule("title", "contain", value="a.b(c"), None, {"title": {"matchesRegex": "a\\.b\\(c", "options": "i"}}),
    # values from inputs; undefined inputs skip the rule, null does not (docs/semantics.md#undefined)
    (rule("score", "greater than", input="Min"), {"Min": 2}, {"score": {"greaterThan": 2}}),
    (rule("score", "greater than", input="Min"), {}, {}),
    (rule("score", "equal to", input="Min"), {"Min": None}, {"score": {"equalTo": None}}),
    (rule("score", "exist", input="Missing"), {}, {"score": {"exists": True}}),
    ({"operator": "related to", "relatedTo": "Group", "relationProperty": "posts", "input": "G"}, {}, {}),
    # groups: skipped rules vanish, one remaining rule stands alone, an empty group disappears
    (
        group("and", rule("score", "greater than", value=1), rule("title", "equal to", value="x")),
        None,
        {"and": [{"score": {"greaterThan": 1}}, {"title": {"equalTo": "x"}}]},
    ),
    (
        group("or", rule("score", "greater than", input="A"), rule("title", "equal to", value="x")),
        {},
        {"title": {"equalTo": "x"}},
    ),
    (group("or", rule("score", "greater than", input="A"), rule("score", "less than", input="B")), {}, {}),
    (group("and"), None, {}),
    (
        group("and", rule("published", "equal to", value=True), group("or", rule("score", "less than", value=0), rule("score", "not exist"))),
        None,
        {"and": [{"published": {"equalTo": True}}, {"or": [{"score": {"lessThan": 0}}, {"score": {"exists": False}}]}]},
    ),
    (
        group("and", rule("published", "equal to", value=True), group("or", rule("score", "less than", input="X"))),
        {},
        {"published": {"equalTo": True}},
    ),
    # nothing stored
    (None, None, {}),
]


@pytest.mark.parametrize(("visual", "inputs", "expected"), TRANSLATIONS)
def test_visual_to_filter(visual, inputs, expected):
    assert visual_to_filter(visual, inputs) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-01T00:00:00.000Z", JUNE),
        ({"__type": "Date", "iso": "2024-06-01T00:00:00.000Z"}, JUNE),
        (JUNE, JUNE),
        (None, None),
    ],
)
def test_values_on_date_properties_become_dates(db, value, expected):
    visual = rule("publishedAt", "greater than", input="D")
    got = visual_to_filter(visual, {"D": value}, db.schema, "Post")
    assert got == {"publishedAt": {"greaterThan": expected}}
    # without a schema the value is left as it is
    assert visual_to_filter(visual, {"D": value}) == {"publishedAt": {"greaterThan": value}}


ERRORS = [
    (rule("score", "greater then", value=1), 102, "greater than"),
    (rule("score", None, value=1), 102, "operator"),
    ({"operator": "equal to", "value": 1}, 102, "needs a property"),
    ({"combinator": "xor", "rules": []}, 102, "combinator"),
    ({"combinator": "and", "rules": {}}, 107, "rules"),
    (rule("title", "contain", value=3), 107, "needs text"),
    ("equal to", 107, "must be an object"),
]


@pytest.mark.parametrize(("visual", "code", "message"), ERRORS)
def test_visual_errors(visual, code, message):
    with pytest.raises(QueryError) as info:
        visual_to_filter(visual, {})
    assert info.value.code == code
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (rule("score", None, value=1), "visual filter rule at rules[1].rules[1] (property 'score'): unknown visual filter operator"),
        ({}, "visual filter rule at rules[1].rules[1]: unknown visual filter operator"),
        (rule("title", "contain", value=3), "visual filter rule at rules[1].rules[1]: 'contain' on 'title' needs text"),
        ("x", "visual filter rule at rules[1].rules[1]: must be an object"),
        (group("xor"), "visual filter group at rules[1].rules[1]: unknown combinator 'xor'"),
    ],
)
def test_a_visual_error_names_the_rule_it_comes_from(bad, message):
    # Noodl's editor stores an OR of AND groups; an error that did not say which rule of which
    # group was meant left the user to search them all.
    ok = rule("score", "greater than", value=1)
    visual = group("or", group("and", ok), group("and", ok, bad))
    with pytest.raises(QueryError) as info:
        visual_to_filter(visual, {})
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({}, "visual sorting[1]: each visual sorting entry needs a property"),
        ({"property": "title", "order": "desc"}, "visual sorting[1] (property 'title'): unknown sort order 'desc'"),
    ],
)
def test_a_visual_sorting_error_names_its_entry(bad, message):
    # Noodl's sorting editor stores an entry added and never set up as {}.
    with pytest.raises(QueryError) as info:
        visual_sort([{"property": "score", "order": "descending"}, bad])
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("bad", "code", "message"),
    [
        ({"property": "titel"}, 105, "visual sorting[1]: cannot sort by 'titel'"),
        ({"property": "tags", "order": "descending"}, 102, "visual sorting[1]: cannot sort by 'tags'"),
    ],
)
def test_a_visual_sorting_property_the_class_cannot_sort_by_names_its_entry(db, bad, code, message):
    # Checked only with the whole sort, the error said "cannot sort by 'titel'" without the
    # entry, which docs/semantics.md#front-ends promises for every visual sorting error.
    with pytest.raises(QueryError) as info:
        db.query("Post", visual_sorting=[{"property": "score", "order": "descending"}, bad])
    assert info.value.code == code
    assert message in str(info.value)


def test_a_deep_or_cyclic_visual_filter_is_a_query_error(db):
    # Groups 3,000 deep (or a group holding itself) ended in Python's RecursionError.
    deep: dict = rule("score", "greater than", value=1)
    for _ in range(3000):
        deep = {"combinator": "and", "rules": [deep, rule("score", "less than", value=100)]}
    cyclic: dict = {"combinator": "or", "rules": []}
    cyclic["rules"].append(cyclic)
    for visual in (deep, cyclic):
        with pytest.raises(QueryError, match="nests too deeply"):
            db.query("Post", visual=visual)
    shallow: dict = rule("score", "greater than", value=1)
    for _ in range(50):
        shallow = {"combinator": "and", "rules": [shallow]}
    assert visual_to_filter(shallow, {}) == {"score": {"greaterThan": 1}}


def test_unparsable_date_is_an_error(db):
    with pytest.raises(QueryError, match="as a date"):
        visual_to_filter(rule("publishedAt", "equal to", value="yesterday"), None, db.schema, "Post")


@pytest.mark.parametrize("text", ["a.b", "1+1", "(x)", "[ui]", "^$", "a|b", "\\d", "café?", "{2}"])
def test_regex_literal_matches_itself_only(text):
    r = compile_regex(regex_literal(text), "i")
    probes = [text, f"xx{text.upper()}yy", "x" + text[1:], text[:-1] + "x", "", "ab", "1111", "xdx"]
    for s in probes:
        assert bool(r.python.search(s)) == (text.lower() in s.lower()), s


# --- sorting -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sorting", "expected"),
    [
        ([{"property": "createdAt", "order": "descending"}], ["-createdAt"]),
        ([{"property": "score", "order": "ascending"}, {"property": "title"}], ["score", "title"]),
        ([], []),
        (None, []),
    ],
)
def test_visual_sort(sorting, expected):
    assert visual_sort(sorting) == expected


@pytest.mark.parametrize(
    "sorting", [[{"order": "ascending"}], [{"property": "x", "order": "down"}], "title", [3]]
)
def test_visual_sort_errors(sorting):
    with pytest.raises(QueryError):
        visual_sort(sorting)


# --- end to end on the sample dataset -------------------------------------------------------------

END_TO_END = [
    # (class, visual, inputs, hand-written filter)
    ("Post", rule("score", "greater than", input="Min"), {"Min": 2}, {"score": {"greaterThan": 2}}),
    ("Post", rule("title", "contain", value="QUERY"), None, {"title": {"matchesRegex": "query", "options": "i"}}),
    ("Post", rule("title", "contain", value="."), None, {"objectId": {"containedIn": []}}),
    ("Post", rule("publishedAt", "less than", value="2024-06-01T00:00:00.000Z"), None, {"publishedAt": {"lessThan": JUNE}}),
    ("Post", rule("author", "not exist"), None, {"author": {"exists": False}}),
    ("Comment", rule("Owner", "points to", input="P"), {"P": "p015"}, {"Owner": {"pointsTo": "p015"}}),
    ("Group", rule("posts", "points to", input="P"), {"P": "p020"}, {"posts": {"pointsTo": "p020"}}),
    (
        "Post",
        {"operator": "related to", "relatedTo": "Group", "relationProperty": "posts", "input": "G"},
        {"G": "g2"},
        {"relatedTo": {"id": "g2", "key": "posts"}},
    ),
    (
        "Post",
        group("and", rule("published", "equal to", value=False), group("or", rule("score", "less than", value=-5), rule("score", "not exist"))),
        None,
        {"published": {"equalTo": False}, "or": [{"score": {"lessThan": -5}}, {"score": {"exists": False}}]},
    ),
    (
        "Post",
        group("or", rule("score", "equal to", input="A"), rule("score", "equal to", input="B")),
        {"B": 13},
        {"score": {"equalTo": 13}},
    ),
    ("Post", group("or", rule("score", "equal to", input="A")), {}, {}),
]


@pytest.mark.parametrize(("cls", "visual", "inputs", "filt"), END_TO_END)
def test_visual_end_to_end(db, cls, visual, inputs, filt):
    where = visual_to_filter(visual, inputs, db.schema, cls)
    got = db.query(cls, where).ids
    assert got == db.reference(cls, where).ids
    assert got == db.query(cls, filt).ids


def test_visual_sort_end_to_end(db):
    keys = visual_sort([{"property": "score", "order": "descending"}, {"property": "title"}])
    assert db.query("Post", sort=keys).ids == db.reference("Post", sort=["-score", "title"]).ids


def test_python_date_is_midnight_utc_as_a_script_reads_it(db):
    # A script given a datetime.date as an input reads it as midnight UTC of that day; the
    # visual filter and filter objects refused it with its Python repr.
    day = date(2024, 6, 1)
    want = ids(db.query("Post", "where({ publishedAt: { greaterThan: Inputs.d } })", inputs={"d": day}))
    assert 0 < len(want) < len(db.query("Post").records)
    assert want == ids(db.query("Post", {"publishedAt": {"greaterThan": "2024-06-01"}}))
    assert want == ids(db.query("Post", {"publishedAt": {"greaterThan": day}}))
    assert want == ids(db.query("Post", visual=rule("publishedAt", "greater than", value=day)))
    assert querylang.to_parse_where({"publishedAt": {"greaterThan": day}}, schema=db.schema, class_name="Post") == {
        "publishedAt": {"$gt": {"__type": "Date", "iso": "2024-06-01T00:00:00.000Z"}}
    }


def test_refused_date_operand_says_what_to_give_in_javascript_terms(db):
    for query in ({"publishedAt": {"greaterThan": "soon"}}, None):
        visual = rule("publishedAt", "greater than", value=True) if query is None else None
        with pytest.raises(QueryError) as err:
            db.query("Post", query, visual=visual)
        text = str(err.value)
        assert "'publishedAt' is a Date: cannot read" in text and "ISO-8601" in text, text
        assert "True" not in text, text


def ids(result):
    return [r["objectId"] for r in result.records]


def test_a_number_on_a_date_property_is_milliseconds_since_1970(db):
    # As on every Date field (docs/semantics.md#dates): it was refused, "cannot read
    # 1704067200000 as a date" (Noodl's new Date('1704067200000') is an Invalid Date).
    ms = int(JUNE.timestamp() * 1000)
    want = ids(db.query("Post", {"publishedAt": {"greaterThan": JUNE}}))
    assert 0 < len(want) < len(db.query("Post").records)
    assert want == ids(db.query("Post", visual=rule("publishedAt", "greater than", value=ms)))
    assert want == ids(db.query("Post", visual=rule("publishedAt", "greater than", input="T"), inputs={"T": ms}))
    with pytest.raises(QueryError, match="'publishedAt' is a Date: 1e\\+300 is not a time in milliseconds"):
        db.query("Post", visual=rule("publishedAt", "greater than", value=1e300))


@pytest.mark.parametrize(("inputs", "said"), [
    ("x", "inputs must be a mapping of names to values, not string"),
    ([1], "inputs must be a mapping of names to values, not array"),
    ({5: 3}, "input names must be strings, not number 5"),
])  # fmt: skip
def test_visual_inputs_of_another_type_are_refused_as_a_script_s_are(inputs, said):
    # A string or a list raised Python's AttributeError ("'str' object has no attribute 'get'")
    # at the first rule; {5: 3} was never found, and the rule quietly left out.
    visual = {"combinator": "and", "rules": [{"property": "score", "operator": "greater than", "input": "Min"}]}
    with pytest.raises(QueryTypeError, match=f"^{re.escape(said)}$"):
        visual_to_filter(visual, inputs)

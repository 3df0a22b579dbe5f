"""Parse Server's own PostgreSQL tables queried in place (connect(url, layout="parse")), on the
importer tests' live server (conftest.py): the same answers as the REST import and the data
file loaded directly, Parse Server's own answers except its documented deviations, and the
reference evaluator's on random queries."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import querylang

from .. import strategies as qs
from ..test_properties import assert_same
from . import in_place_setup
from .conftest import LiveParse
from .conftest import cli_main as main
from .in_place_setup import CASES, CLASSES, NULL_ORDER, PARSE_PG_DEVIATIONS, USER, case_kw

direct = in_place_setup.direct
imported = in_place_setup.imported
in_place = in_place_setup.in_place


def test_schema_from__SCHEMA(in_place: querylang.Database) -> None:
    s = in_place.schema
    assert set(CLASSES) <= set(s.classes)
    post = s.get("Post")
    assert {f.name: f.type for f in post.user_fields} == {
        "title": "String", "body": "String", "score": "Number", "published": "Boolean", "publishedAt": "Date",
        "tags": "Array", "nums": "Array", "meta": "Object", "author": "Pointer", "location": "GeoPoint"}  # fmt: skip
    assert s.get("Note").field("by").target == USER
    assert s.get("Group").field("posts").type == "Relation"
    user = s.get(USER)
    assert "authData" not in user.fields and "_hashed_password" not in user.fields and "_rperm" not in user.fields
    assert any("_hashed_password" in n for n in in_place.notes)
    # The ACL columns, in every class's _SCHEMA entry, are left out without a note each
    # (docs/parse-in-place.md said the notes listed them).
    assert "_rperm" not in post.fields and not any("_rperm" in n or "_wperm" in n for n in in_place.notes)


def test_records_equal_the_rest_import(in_place: querylang.Database, imported: querylang.Database) -> None:
    for cls in CLASSES:
        got = in_place.query(cls, {}).records
        # (the import keeps the ACL Parse gave a record; in place ACLs are not read)
        want = [{k: v for k, v in r.items() if k != "ACL"} for r in imported.query(cls, {}).records]
        assert got == want, cls


# --- the conformance scripts through the three paths, and against Parse Server ----------------


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance_same_ids_in_place_imported_and_loaded(
    case: dict, in_place: querylang.Database, imported: querylang.Database, direct: querylang.Database
) -> None:
    got = in_place.query(case["class"], case["script"], **case_kw(case))
    for other in (imported, direct):
        want = other.query(case["class"], case["script"], **case_kw(case))
        assert (got.ids, got.count) == (want.ids, want.count)
    if case["ordered"]:
        assert got.ids == case["expected_ids"]
    else:
        assert sorted(got.ids) == sorted(case["expected_ids"])
    ref = in_place.reference(case["class"], case["script"], **case_kw(case))
    assert (ref.ids, ref.count, ref.records) == (got.ids, got.count, got.records)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_conformance_against_parse_server_itself(case: dict, live_parse: LiveParse, in_place: querylang.Database) -> None:
    """The same script as the Parse REST query Noodl sends, answered by Parse Server from the
    same tables. Where Parse on PostgreSQL deviates (listed above with the reason), the
    answers must differ and querylang's must be the documented one."""
    from querylang.script import run_script

    where = querylang.to_parse_where(case["script"], case["inputs"], in_place.schema, class_name=case["class"])
    ran = run_script(case["script"], case["inputs"])
    sort = list(ran.sort) if isinstance(ran.sort, list) else []
    params = {"where": json.dumps(where), "limit": case["limit"] if case["limit"] is not None else 1000,
              "order": ",".join([*sort, "objectId"])}  # fmt: skip
    if case["skip"]:
        params["skip"] = case["skip"]
    if case["count"]:
        params["count"] = 1
    try:
        out = live_parse.server.request("GET", f"/classes/{case['class']}?" + urllib.parse.urlencode(params))
        parse_ids = [r["objectId"] for r in out["results"]]
    except RuntimeError as exc:  # Parse answers some queries with an internal error (a deviation)
        assert case["id"] in PARSE_PG_DEVIATIONS, exc
        out, parse_ids = {}, None
    got = in_place.query(case["class"], case["script"], **case_kw(case))
    if case["id"] in PARSE_PG_DEVIATIONS or case["id"] in NULL_ORDER:
        same = parse_ids is not None and (got.ids if case["ordered"] else sorted(got.ids)) == (
            parse_ids if case["ordered"] else sorted(parse_ids))  # fmt: skip
        assert not same, f"listed as a Parse deviation, yet Parse agrees: {case['id']}"
        assert (got.ids if case["ordered"] else sorted(got.ids)) == (
            case["expected_ids"] if case["ordered"] else sorted(case["expected_ids"]))  # fmt: skip
        return
    if case["ordered"]:
        assert got.ids == parse_ids
    else:
        assert sorted(got.ids) == sorted(parse_ids or [])
    if case["count"]:
        assert got.count == out["count"]


# --- Parse's shapes: jsonb Arrays and Objects, point, pointers to _User, dangling edges -------


SHAPES = [
    # (class, filter, ids) on the extras conftest.write_extras writes (Note n1, n2; users ua1, ub2)
    ("Note", {"list": {"equalTo": "a"}}, ["n1"]),
    ("Note", {"list": {"equalTo": None}}, ["n1", "n2"]),  # a null element, or no array at all
    ("Note", {"list": {"containedIn": [1, "zz"]}}, ["n1"]),
    ("Note", {"list": {"all": ["a", 1]}}, ["n1"]),
    ("Note", {"list": {"all": ["a", 1, "zz"]}}, []),  # one test of every value (ParseDialect.list_has_all)
    ("Note", {"list": {"equalTo": {"k": {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}}}}, ["n1"]),
    ("Note", {"list": {"equalTo": {"k": {}}}}, []),  # element equality, not jsonb containment
    ("Note", {"list": {"containedBy": ["a", 1, None]}}, ["n2"]),  # n1 also holds an object
    ("Note", {"list": {"greaterThan": 0}}, ["n1"]),
    ("Note", {"list": {"lessThan": "b"}}, ["n1"]),
    ("Note", {"info.flag": {"equalTo": True}}, ["n1"]),
    ("Note", {"info.flag": {"containedIn": [*(f"v{i}" for i in range(300)), True]}}, ["n1"]),  # one list parameter
    ("Note", {"list": {"all": ["a", *(f"v{i}" for i in range(300))]}}, []),
    ("Note", {"info.depth.x": {"equalTo": [1, 2]}}, ["n1"]),
    ("Note", {"info.depth.x.0": {"exists": True}}, ["n1"]),  # a numeric step reads an element (x: [1, 2])
    ("Note", {"info.depth.x.2": {"exists": True}}, []),  # past the array's end: nothing there
    ("Note", {"info.depth": {"exists": True}}, ["n1"]),
    ("Note", {"info.flag": {"exists": False}}, ["n2"]),
    ("Note", {"when": {"greaterThan": {"__type": "Date", "iso": "2024-05-06T07:08:09.122Z"}}}, ["n1"]),
    ("Note", {"where": {"nearSphere": {"latitude": 40.5, "longitude": -73.2, "maxDistanceInKilometers": 10}}}, ["n1"]),
    ("Note", {"where": {"withinBox": [{"latitude": 40, "longitude": -74}, {"latitude": 41, "longitude": -73}]}}, ["n1"]),
    ("Note", {"where": {"withinBox": [{"latitude": -74, "longitude": 40}, {"latitude": -73, "longitude": 41}]}}, []),
    ("Note", {"gone": {"exists": False}}, ["n1", "n2"]),  # set to null through REST: missing
    ("Note", {"by": {"pointsTo": "ua1"}}, ["n1"]),
    ("Note", {"by": {"matchesQuery": {"username": {"equalTo": "bob"}}}}, ["n2"]),
    (USER, {"relatedTo": {"id": "n1", "key": "readers", "className": "Note"}}, ["ua1", "ub2"]),  # uc3's edge dangles
    ("Note", {"readers": {"pointsTo": "uc3"}}, []),  # an edge to a deleted record does not count
    # Relation tests as a plain conjunct (ids looked up by objectId), under OR and under NOT.
    ("Note", {"readers": {"pointsTo": ["ub2", "uc3"]}, "text": {"exists": True}}, ["n1"]),
    ("Note", {"or": [{"readers": {"pointsTo": "ub2"}}, {"text": {"equalTo": "second"}}]}, ["n1", "n2"]),
    ("Note", {"nor": [{"readers": {"pointsTo": "ub2"}}]}, ["n2"]),
    (USER, {"or": [{"relatedTo": {"id": "n2", "key": "readers", "className": "Note"}}, {"relatedTo": {"id": "n1", "key": "readers", "className": "Note"}}]}, ["ua1", "ub2"]),
    (USER, {"nor": [{"relatedTo": {"id": "n2", "key": "readers", "className": "Note"}}]}, ["ub2"]),
    ("Note", {"readers": {"exists": True}}, ["n1", "n2"]),
    ("Note", {"text": {"text": {"search": {"term": "FIRST", "caseSensitive": True}}}}, []),
    ("Note", {"text": {"text": {"search": {"term": "first", "caseSensitive": True}}}}, ["n1"]),
    ("Note", {"text": {"text": {"search": {"term": "FÎRST", "language": "none"}}}}, ["n1"]),
    ("Note", {"text": {"text": {"search": {"term": "-first second", "language": "none"}}}}, ["n2"]),
    # English stems, computed in SQL (parse_words.stems_hold; tests/test_pg_parse_stems.py)
    ("Note", {"text": {"text": {"search": "FIRSTS"}}}, ["n1"]),
    ("Note", {"text": {"text": {"search": "seconds firsts"}}}, ["n1", "n2"]),
    ("Note", {"text": {"text": {"search": "-first second"}}}, ["n2"]),
    # A phrase is a piece of the text (as MongoDB matches it): n2's text is "second"
    ("Note", {"text": {"text": {"search": '"seconds"'}}}, []),
    ("Note", {"text": {"text": {"search": 'second "econ"'}}}, ["n2"]),
    ("Note", {"text": {"text": {"search": "the"}}}, []),  # a stop word of the search is dropped
]


@pytest.mark.parametrize(("cls", "where", "ids"), SHAPES, ids=[f"{c}:{json.dumps(w)[:60]}" for c, w, _ in SHAPES])
def test_parse_shapes(cls: str, where: dict, ids: list[str], in_place: querylang.Database, imported: querylang.Database) -> None:
    got = in_place.query(cls, where)
    assert got.ids == ids
    assert imported.query(cls, where).ids == ids
    assert in_place.reference(cls, where).ids == ids


def test_english_text_search_is_answered_in_place(in_place: querylang.Database) -> None:
    where = {"title": {"text": {"search": "naive titles"}}}
    assert in_place.query("Post", where).ids == in_place.reference("Post", where).ids


def test_words_are_python_words(live_parse: LiveParse, in_place: querylang.Database) -> None:
    """Word boundaries and folding as text.py has them, for letters a locale may class otherwise."""
    from querylang.engines.postgres.parse_words import fold_pattern, word_pattern
    from querylang.features import text

    samples = ["Straße_über naïve", "ﬁsh½ Ⅻ", "x_y", "ǅemal Σίσυφος", "𝐀𝐁 cafe\u0301", "ß"]
    terms = ["strasse", "uber", "naive", "fish12", "xii", "x", "y", "dzemal", "σισυφοσ", "ab", "cafe", "ss"]
    with psycopg.connect(live_parse.pg.uri) as con:
        for s in samples:
            for t in terms:
                want = t in text.folded(s)
                dropped, found = fold_pattern(t)
                got = con.execute("SELECT regexp_replace(%s, %s, '', 'g') ~ %s", [s, dropped, found]).fetchone()[0]
                assert got == want, (s, t)
            for w in text.words(s):
                assert con.execute("SELECT %s ~ %s", [s, word_pattern(w)]).fetchone()[0], (s, w)


# --- random queries: in place against the reference evaluator on the same data ----------------


def _doc(db: querylang.Database) -> dict[str, Any]:
    """The in-place data as strategies.py reads a document (fields, present values, edges)."""
    data = db.store.dataset()
    rels = [{"class": e.owner_class, "objectId": e.owning_id, "key": e.key, "targetId": e.related_id} for e in data.edges]
    return {"classes": db.schema.to_json(), "records": {c: db.query(c, {}).records for c in db.schema.classes}, "relations": rels}


@pytest.fixture(scope="module")
def in_place_doc(in_place: querylang.Database) -> dict[str, Any]:
    return _doc(in_place)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_random_queries_match_the_reference(data: st.DataObject, in_place: querylang.Database, in_place_doc: dict) -> None:
    class_name, where, kw = data.draw(qs.queries(in_place_doc))
    assert_same(in_place, class_name, where, **kw)


# --- read-only --------------------------------------------------------------------------------


def test_cli_query_in_place(live_parse: LiveParse) -> None:
    res = CliRunner().invoke(main, ["query", "Group", "where({ posts: { pointsTo: 'p020' } })", "--db", live_parse.pg.uri,
                                    "--layout", "parse", "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert [r["objectId"] for r in json.loads(res.output)] == ["g2", "g7"]


def test_a_database_whose_collation_is_not_code_point_order(live_parse: LiveParse, direct: querylang.Database) -> None:
    """On a database collated by language (en_US, ICU), strings are compared and sorted with
    COLLATE "C"; the answers stay querylang's (code-point order: 'B' < 'a')."""
    db = querylang.connect(live_parse.pg.uri, layout="parse")
    try:
        assert db.store.dialect.code_point_order  # the test cluster is C
        db.store.dialect.code_point_order = False
        db.clear_cache()
        assert 'COLLATE "C"' in db.compile("Post", {}, sort=["title"]).sql
        for case in CASES:
            assert db.query(case["class"], case["script"], **case_kw(case)).ids == direct.query(case["class"], case["script"], **case_kw(case)).ids
        assert db.query("Post", {}, sort=["title"]).ids == direct.query("Post", {}, sort=["title"]).ids
    finally:
        db.close()


@pytest.mark.parametrize(
    ("cls", "script", "inputs"),
    [
        ("Post", "where({ title: { matchesRegex: Inputs.P, options: 'i' } })", [{"P": "^h"}, {"P": "^w"}, {"P": "o"}, {"P": "^a"}, {"P": "e"}]),
        ("Post", "where({ tags: { containedIn: Inputs.T } })", [{"T": ["ui", "db"]}, {"T": ["intro", "x"]}, {"T": ["Data", "z"]}, {"T": ["q", "ui"]}, {"T": ["db", "intro"]}]),
        ("Comment", "where({ Owner: { matchesQuery: { published: { equalTo: Inputs.B } } } })",
         [{"B": True}, {"B": False}, {"B": True}, {"B": False}, {"B": True}]),
        ("Post", "where({ relatedTo: { id: Inputs.G, key: 'posts' } })", [{"G": "g1"}, {"G": "g2"}, {"G": "g3"}, {"G": "g1"}, {"G": "g2"}]),
        ("Comment", "where({ Owner: { matchesQuery: { relatedTo: { id: Inputs.G, key: 'posts' } } } })",
         [{"G": "g1"}, {"G": "g2"}, {"G": "g3"}, {"G": "g1"}, {"G": "g2"}]),
    ],
)
def test_kept_plans_in_place(cls: str, script: str, inputs: list[dict[str, Any]], in_place: querylang.Database) -> None:
    """The plan cache binds new inputs into a kept plan on Parse's tables too (regex patterns,
    Array lists, places inside a matchesQuery, relatedTo ids), with the answers of planning
    from scratch."""
    hits = in_place._plans.hits
    for i in inputs:
        kept = in_place.query(cls, script, inputs=i)
        in_place.plan_cache = False
        try:
            fresh = in_place.query(cls, script, inputs=i)
        finally:
            in_place.plan_cache = True
        assert kept.ids == fresh.ids and kept.plan.sql == fresh.plan.sql, i
    assert in_place._plans.hits >= hits + 2


# --- drift between _SCHEMA and the tables -------------------------------------------------------

"""Parse Server's own PostgreSQL tables queried in place (connect(url, layout="parse")), on the
importer tests' live server (conftest.py: the conformance data and Parse's own shapes, written
through REST): the same answers as the REST import and the data file loaded directly, Parse
Server's own answers except its documented deviations, the reference evaluator's on random
queries, and every write refused."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import querylang
from querylang.errors import DataError, QueryError
from querylang.importers import detect_target

from .. import strategies as qs
from ..test_properties import assert_same
from .conftest import CONFORMANCE, LiveParse
from .conftest import cli_main as main

CASES = [json.loads(line) for line in (CONFORMANCE.parent / "cases.jsonl").read_text().splitlines() if line.strip()]
KEYS = {"app_id": "querylang-bench", "master_key": "querylang-bench-master"}
USER = detect_target().class_name("_User")
CLASSES = ("User", "Post", "Comment", "Group", "Note", USER)

# Where Parse on PostgreSQL departs from docs/semantics.md (MongoDB's meaning), as the conformance
# cases record it (cases.jsonl "note"); in place, querylang answers as docs/semantics.md says.
PARSE_PG_DEVIATIONS = {c["id"]: c["note"] for c in CASES if not c["parse_server_agrees"]}
# Also a deviation (found by tests/importers/test_parse_server.py): Parse sorts with
# PostgreSQL's defaults, NULLs last ascending and first descending; docs/semantics.md puts absent
# values first ascending and last descending.
NULL_ORDER = {
    "pub-sort-nulls": "Parse on PostgreSQL sorts absent values last ascending (PostgreSQL's default)",
    "pub-sort-desc-nulls": "Parse on PostgreSQL sorts absent values first descending (PostgreSQL's default)",
    "pub-page": "Parse on PostgreSQL pages over its NULLs-last order",
}


@pytest.fixture(scope="module")
def in_place(live_parse: LiveParse) -> Iterator[querylang.Database]:
    db = querylang.connect(live_parse.pg.uri, layout="parse")
    yield db
    db.close()


@pytest.fixture(scope="module")
def imported(live_parse: LiveParse) -> querylang.Database:
    db = querylang.connect()
    db.import_parse_server(live_parse.url, **KEYS)
    return db


@pytest.fixture(scope="module")
def direct(live_parse: LiveParse) -> querylang.Database:
    db = querylang.connect()
    db.load(live_parse.doc)
    return db


def _kw(case: dict) -> dict[str, Any]:
    return dict(inputs=case["inputs"], limit=case["limit"], skip=case["skip"], count=case["count"])


# --- schema and records -----------------------------------------------------------------------


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
    got = in_place.query(case["class"], case["script"], **_kw(case))
    for other in (imported, direct):
        want = other.query(case["class"], case["script"], **_kw(case))
        assert (got.ids, got.count) == (want.ids, want.count)
    if case["ordered"]:
        assert got.ids == case["expected_ids"]
    else:
        assert sorted(got.ids) == sorted(case["expected_ids"])
    ref = in_place.reference(case["class"], case["script"], **_kw(case))
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
    got = in_place.query(case["class"], case["script"], **_kw(case))
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
                got = con.execute("SELECT %s ~ %s", [s, fold_pattern(t)]).fetchone()[0]
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

WRITES = [
    ("create", ("Post", {"title": "x"})),
    ("save", ("Post", "p001", {"title": "x"})),
    ("delete", ("Post", "p001")),
    ("increment", ("Post", "p001", {"score": 1})),
    ("add_relation", ("Group", "g1", "posts", "p001")),
    ("remove_relation", ("Group", "g1", "posts", "p006")),
    ("define_class", ("Fresh", {"a": {"type": "String"}})),
    ("add_field", ("Post", "fresh", "String")),
    ("load", ({"classes": {"Fresh": {"fields": {}}}, "records": {"Fresh": [{"objectId": "f1"}]}},)),
]


@pytest.mark.parametrize(("method", "args"), WRITES, ids=[m for m, _ in WRITES])
def test_writes_are_refused(method: str, args: tuple, in_place: querylang.Database) -> None:
    before = in_place.query("Post", {}, count=True).count, in_place.query("Group", {"posts": {"pointsTo": "p001"}}).ids
    with pytest.raises(QueryError, match="layout='parse', which is read-only"):
        getattr(in_place, method)(*args)
    assert (in_place.query("Post", {}, count=True).count, in_place.query("Group", {"posts": {"pointsTo": "p001"}}).ids) == before


def test_sessions_are_read_only(in_place: querylang.Database) -> None:
    with pytest.raises(QueryError, match="read-only transaction"):
        in_place.store.execute('UPDATE "Post" SET "score" = 0', [])


def test_not_a_parse_database(live_parse: LiveParse) -> None:
    with pytest.raises(DataError, match="no _SCHEMA table"):
        querylang.connect(live_parse.pg.url("postgres"), layout="parse")
    with pytest.raises(QueryError, match="postgresql:// URL"):
        querylang.connect(":memory:", layout="parse")


def test_parse_tables_without_the_parse_layout_are_refused_untouched(live_parse: LiveParse) -> None:
    """Connecting to Parse's database without layout='parse' made querylang's schema table in
    Parse's schema, showed 'no classes', and a load then failed on a table of Parse's name. It
    is refused, saying how to read it, and nothing is made there."""

    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    with psycopg.connect(live_parse.pg.uri) as con:
        before = con.execute(tables).fetchone()
    for read_only in (False, True):
        with pytest.raises(DataError, match=r"Parse Server's tables \(_SCHEMA\).*--layout parse"):
            querylang.connect(live_parse.pg.uri, read_only=read_only)
    res = CliRunner().invoke(main, ["schema", "--db", live_parse.pg.uri])
    assert res.exit_code == 2 and "--layout parse" in res.output
    with psycopg.connect(live_parse.pg.uri) as con:
        assert con.execute(tables).fetchone() == before


# --- doctor: the indexes Parse does not create --------------------------------------------------


def test_doctor_prints_the_missing_indexes_and_they_serve(live_parse: LiveParse, in_place: querylang.Database) -> None:
    res = CliRunner().invoke(main, ["doctor", "--db", live_parse.pg.uri])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if not x.startswith("--")]
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_Comment_Owner" ON "Comment" ("Owner");' in lines
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql__Join:posts:Group_owningId" ON "_Join:posts:Group" ("owningId");' in lines
    assert lines == in_place.missing_indexes()
    before = [in_place.query(c["class"], c["script"], **_kw(c)).ids for c in CASES]
    with psycopg.connect(live_parse.pg.uri, autocommit=True) as con:
        try:
            for stmt in lines:
                con.execute(stmt)
            assert in_place.missing_indexes() == []
            plan = con.execute('EXPLAIN SELECT "relatedId" FROM "_Join:posts:Group" WHERE "owningId" = \'g1\'').fetchall()
            assert "ql__Join:posts:Group_owningId" in str(plan) or "Seq Scan" in str(plan)  # tiny table: either
            assert [in_place.query(c["class"], c["script"], **_kw(c)).ids for c in CASES] == before
            out = CliRunner().invoke(main, ["doctor", "--db", live_parse.pg.uri]).output
            assert "nothing missing" in out
        finally:
            for stmt in lines:  # leave the shared server as Parse made it
                name = stmt.split(" EXISTS ")[1].split(" ON ")[0]
                con.execute(f"DROP INDEX IF EXISTS {name}")


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
            assert db.query(case["class"], case["script"], **_kw(case)).ids == direct.query(case["class"], case["script"], **_kw(case)).ids
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


def _parse_like(live_parse: LiveParse, dbname: str, schemas: dict[str, Any], ddl: list[str], created: str = "") -> str:
    """A fresh database on the live server's cluster holding a _SCHEMA as Parse Server writes
    it (``schemas``: className → its schema JSON) and the tables of ``ddl``; its URL.
    ``created``: more of the CREATE DATABASE statement (its locale)."""
    with psycopg.connect(live_parse.pg.url("postgres"), autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        con.execute(f'CREATE DATABASE "{dbname}" {created}')
    url = live_parse.pg.url(dbname)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute('CREATE TABLE "_SCHEMA" ("className" varchar(120) PRIMARY KEY, "schema" jsonb, "isParseClass" bool)')
        for name, spec in schemas.items():
            con.execute('INSERT INTO "_SCHEMA" VALUES (%s, %s, true)', [name, psycopg.types.json.Jsonb(spec)])
        for stmt in ddl:
            con.execute(stmt)
    return url


_BUILTINS = '"objectId" text PRIMARY KEY, "createdAt" timestamptz, "updatedAt" timestamptz'
_ROW = "'d1', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'"


def test_columns_of_another_type_are_left_out(live_parse: LiveParse) -> None:
    """A column whose type is not the one Parse Server makes for the field (altered by hand)
    is left out with a note naming both types; it was read as something else: a text column
    of a Number field crashed every query, a Date without time zone came out as a Python
    datetime, a text Array answered 'the database rejected the query'."""
    fields = {"s": "String", "n": "Number", "d": "Date", "a": "Array", "o": "Object", "ok": "Boolean", "g": "GeoPoint"}
    spec = {"fields": {**{k: {"type": t} for k, t in fields.items()},
                       "p": {"type": "Pointer", "targetClass": "Drift"}, "r": {"type": "Relation", "targetClass": "Drift"}}}  # fmt: skip
    url = _parse_like(live_parse, "drift_types", {"Drift": spec}, [
        f'CREATE TABLE "Drift" ({_BUILTINS}, s varchar(20), n text, d timestamp, a json, o text, ok int, g text, p int)',
        f"INSERT INTO \"Drift\" VALUES ({_ROW}, 'x', '1', '2024-01-01', '[1]', '{{}}', 1, '(1,2)', 7)",
        'CREATE TABLE "_Join:r:Drift" ("relatedId" varchar(120), "owner" varchar(120))',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert {f.name for f in db.schema.get("Drift").user_fields} == {"s"}
        notes = "\n".join(db.notes)
        for name, kind, want in [("n", "text", "double precision"), ("d", "timestamp without time zone", "timestamp with time zone"),
                                 ("a", "json", "jsonb"), ("o", "text", "jsonb"), ("ok", "integer", "boolean"), ("g", "text", "point"),
                                 ("p", "integer", "text or character varying")]:  # fmt: skip
            assert f"class Drift, field {name}: its column {name} is {kind}, where Parse Server makes {want}: left out" in notes
        assert "class Drift, field r: its edge table _Join:r:Drift has no column owningId: left out" in notes
        assert db.query("Drift", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "x"}]
        assert db.reference("Drift", {"s": {"equalTo": "x"}}).ids == ["d1"]
    finally:
        db.close()


def test_a_class_left_out_takes_the_fields_pointing_to_it(live_parse: LiveParse) -> None:
    """A class left out (its table lacks updatedAt, its createdAt is text, its name is not
    querylang's) takes the Pointers and Relations to it along, with a note; connecting failed
    with 'targetClass ... is not a class'. Malformed _SCHEMA entries (fields not an object, a
    field's entry a bare string, a type that is a list) are notes too, not an AttributeError."""
    ptr = {"type": "Pointer", "targetClass": ""}
    spec = {"fields": {"s": {"type": "String"}, "toA": {**ptr, "targetClass": "NoUpdated"}, "toB": {**ptr, "targetClass": "TextCreated"},
                       "toC": {**ptr, "targetClass": "Bad-Name"}, "rel": {"type": "Relation", "targetClass": "NoUpdated"},
                       "bare": "String", "listed": {"type": ["String"]}, "odd": {"type": "Pointer", "targetClass": ["Keep"]}}}  # fmt: skip
    url = _parse_like(live_parse, "drift_classes", {
        "Keep": spec, "NoUpdated": {"fields": {}}, "TextCreated": {"fields": {}}, "Bad-Name": {"fields": {}},
        "ListFields": {"fields": [1, 2]}, "NotAnObject": ["x"],
    }, [
        f'CREATE TABLE "Keep" ({_BUILTINS}, s text, "toA" text, "toB" text, "toC" text, bare text, listed text, odd text)',
        f"INSERT INTO \"Keep\" VALUES ({_ROW}, 'x', 'a', 'b', 'c', 'y', 'z', 'w')",
        'CREATE TABLE "NoUpdated" ("objectId" text, "createdAt" timestamptz)',
        'CREATE TABLE "TextCreated" ("objectId" text, "createdAt" text, "updatedAt" timestamptz)',
        f'CREATE TABLE "Bad-Name" ({_BUILTINS})', f'CREATE TABLE "ListFields" ({_BUILTINS})', f'CREATE TABLE "NotAnObject" ({_BUILTINS})',
        'CREATE TABLE "_Join:rel:Keep" ("relatedId" varchar(120), "owningId" varchar(120))',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert set(db.schema.classes) == {"Keep"}
        assert [f.name for f in db.schema.get("Keep").user_fields] == ["s"]
        notes = "\n".join(db.notes)
        for line in ["class NoUpdated: its table lacks updatedAt: left out",
                     "class TextCreated: its column createdAt is text, where Parse Server makes timestamp with time zone: left out",
                     "class Bad-Name: a name querylang's schema does not accept: left out",
                     "class ListFields: its _SCHEMA entry is not an object with an object of fields: left out",
                     "class NotAnObject: its _SCHEMA entry is not an object with an object of fields: left out",
                     "class Keep, field toA: its target class NoUpdated is not read: left out",
                     "class Keep, field toB: its target class TextCreated is not read: left out",
                     "class Keep, field toC: its target class Bad-Name is not read: left out",
                     "class Keep, field rel: its target class NoUpdated is not read: left out",
                     "class Keep, field bare: its _SCHEMA entry 'String' is not an object: left out",
                     "class Keep, field listed: type ['String'] is not queryable in place yet: left out",
                     "class Keep, field odd: its target class ['Keep'] is not in the database: left out"]:  # fmt: skip
            assert line in notes
        assert db.query("Keep", {"s": {"equalTo": "x"}}).ids == ["d1"]
    finally:
        db.close()


def test_numbers_are_exact_whatever_extra_float_digits_says(live_parse: LiveParse) -> None:
    """Parse's rows are read as text; a database (or role) with extra_float_digits = 0 has
    PostgreSQL write doubles with 15 digits: Numbers and GeoPoints came out rounded (0.3 for
    0.30000000000000004), unlike the value that equalTo matched in SQL."""
    spec = {"fields": {"v": {"type": "Number"}, "g": {"type": "GeoPoint"}}}
    url = _parse_like(live_parse, "float_digits", {"Num": spec}, [
        f'CREATE TABLE "Num" ({_BUILTINS}, v double precision, g point)',
        f"INSERT INTO \"Num\" VALUES ({_ROW}, 0.30000000000000004, point(-73.98765432109876, 40.123456789012344))",
        "ALTER DATABASE float_digits SET extra_float_digits = 0",
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        (rec,) = db.query("Num", {}).records
        assert rec["v"] == 0.1 + 0.2 and rec["g"] == {"latitude": 40.123456789012344, "longitude": -73.98765432109876}
        assert db.reference("Num", {"v": {"equalTo": 0.1 + 0.2}}).ids == ["d1"]
    finally:
        db.close()


def test_a_class_or_field_deleted_since_connecting_says_so(live_parse: LiveParse) -> None:
    """A field or class deleted through Parse since _SCHEMA was read answered only PostgreSQL's
    'column t.b does not exist' (and the reference evaluator's read of the data a bare psycopg
    UndefinedTable): the error now says what happened, and the next query reads _SCHEMA again."""
    spec = {"fields": {"a": {"type": "String"}, "b": {"type": "Number"}}}
    url = _parse_like(live_parse, "deleted_since", {"Temp": spec}, [
        f'CREATE TABLE "Temp" ({_BUILTINS}, a text, b double precision)', f"INSERT INTO \"Temp\" VALUES ({_ROW}, 'x', 1)",
    ])  # fmt: skip
    runs = {"query": lambda db: db.query("Temp", {"a": {"equalTo": "x"}}), "count": lambda db: db.query("Temp", {}, count=True),
            "stream": lambda db: list(db.stream("Temp", {})), "reference": lambda db: db.reference("Temp", {})}  # fmt: skip
    dbs = {name: querylang.connect(url, layout="parse") for name in runs}  # each meets the change first
    try:
        for db in dbs.values():
            db.store.schema_ttl = 3600  # the read that meets it, not the TTL's
            assert db.query("Temp", {"b": {"equalTo": 1}}).ids == ["d1"]
        since = r"deleted from the Parse database since this connection read its _SCHEMA: the next query reads the schema"
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('ALTER TABLE "Temp" DROP COLUMN b')
        with pytest.raises(QueryError, match=r'column t\.b does not exist \(' + since):
            runs["query"](dbs["query"])
        for name in ("count", "stream"):
            with pytest.raises(QueryError, match=since):
                runs[name](dbs[name])
        assert dbs["query"].query("Temp", {}).records[0].keys() == {"objectId", "createdAt", "updatedAt", "a"}
        assert "class Temp, field b: no such column in the table: left out" in dbs["query"].notes
        with psycopg.connect(url, autocommit=True) as con:
            con.execute('DROP TABLE "Temp"')
        with pytest.raises(QueryError, match=r'relation "Temp" does not exist \(' + since):
            runs["reference"](dbs["reference"])
        with pytest.raises(QueryError, match=r"Temp is in Parse's _SCHEMA but left out in place: in _SCHEMA but its table is missing"):
            dbs["count"].query("Temp", {})
    finally:
        for db in dbs.values():
            db.close()
    fresh = querylang.connect(url, layout="parse")
    try:
        assert "class Temp: in _SCHEMA but its table is missing: left out" in fresh.notes
    finally:
        fresh.close()


def test_what_the_role_may_not_read_is_noted_as_such(live_parse: LiveParse) -> None:
    """Tables and columns the connecting role may not SELECT were noted as missing ('its
    table is missing', 'no such column in the table': information_schema lists only what a
    role may read); they are noted as not readable, with what to grant. A class whose ACL
    columns alone are hidden is still read (its rows are then not read whole: SELECT of the
    hidden _rperm would be refused)."""
    spec = {"fields": {"s": {"type": "String"}, "n": {"type": "Number"}, "to": {"type": "Pointer", "targetClass": "Hidden"}}}
    url = _parse_like(live_parse, "partial_grants", {"Open": spec, "Hidden": {"fields": {}}, "NoAcl": {"fields": {"s": {"type": "String"}}}}, [
        f'CREATE TABLE "Open" ({_BUILTINS}, s text, n double precision, "to" text, _rperm text[], _wperm text[])',
        f"INSERT INTO \"Open\" VALUES ({_ROW}, 'x', 1, 'h1', '{{*}}', '{{}}')",
        f'CREATE TABLE "Hidden" ({_BUILTINS})',
        f'CREATE TABLE "NoAcl" ({_BUILTINS}, s text, _rperm text[], _wperm text[])',
        f"INSERT INTO \"NoAcl\" VALUES ({_ROW}, 'y', '{{*}}', '{{}}')",
        "DROP ROLE IF EXISTS ql_partial_reader", "CREATE ROLE ql_partial_reader LOGIN",
        'GRANT SELECT ("objectId", "createdAt", "updatedAt", s) ON "NoAcl" TO ql_partial_reader',
        'GRANT SELECT ("objectId", "createdAt", "updatedAt", s, "to") ON "Open" TO ql_partial_reader',
        'GRANT SELECT ON "_SCHEMA" TO ql_partial_reader',
    ])  # fmt: skip
    db = querylang.connect(url.replace("postgres@", "ql_partial_reader@"), layout="parse")
    try:
        grant = "GRANT SELECT on it, or pg_read_all_data, to the role querylang connects as"
        assert f"class Hidden: this role may not read its table's objectId, createdAt, updatedAt ({grant}): left out" in db.notes
        assert f"class Open, field n: this role may not read its column n ({grant}): left out" in db.notes
        assert "class Open, field to: its target class Hidden is not read: left out" in db.notes
        assert db.query("Open", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "x"}]
        assert db.query("NoAcl", {}).records == [
            {"objectId": "d1", "createdAt": "2024-01-01T00:00:00.000Z", "updatedAt": "2024-01-01T00:00:00.000Z", "s": "y"}]
    finally:
        db.close()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP OWNED BY ql_partial_reader")
            con.execute("DROP ROLE ql_partial_reader")


def test_doctor_names_an_index_of_each_table_and_column_apart(live_parse: LiveParse) -> None:
    """Table "A" column "x_y" and table "A_x" column "y" were both given the index name
    ql_A_x_y: after running both statements the second was skipped ('relation already exists,
    skipping'), and doctor kept printing it."""
    spec = {"A": {"fields": {"x_y": {"type": "Pointer", "targetClass": "A"}}},
            "A_x": {"fields": {"y": {"type": "Pointer", "targetClass": "A"}}}}  # fmt: skip
    url = _parse_like(live_parse, "index_names", spec, [
        f'CREATE TABLE "A" ({_BUILTINS}, "x_y" text)', f'CREATE TABLE "A_x" ({_BUILTINS}, "y" text)'])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        statements = db.missing_indexes()
        assert len(statements) == 2
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
        assert db.missing_indexes() == []
        out = CliRunner().invoke(main, ["doctor", "--db", url]).output
        assert "nothing missing" in out
    finally:
        db.close()


def test_doctor_does_not_count_an_index_whose_build_was_cut_short(live_parse: LiveParse) -> None:
    """A CREATE INDEX CONCURRENTLY cut short (a timeout, Ctrl-C, a failed build) leaves an
    invalid index that serves no query: doctor counted it and said the column was served, and
    its own statement, run again, was skipped for the name that index holds."""
    spec = {"A": {"fields": {"to": {"type": "Pointer", "targetClass": "A"}}}}
    url = _parse_like(live_parse, "cut_index", spec, [f'CREATE TABLE "A" ({_BUILTINS}, "to" text)',
                                                     f"INSERT INTO \"A\" VALUES ({_ROW}, 'd1')"])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        (create,) = db.missing_indexes()
        with psycopg.connect(url) as writer, psycopg.connect(url, autocommit=True) as con:
            writer.execute('UPDATE "A" SET "to" = "to"')  # a write not yet committed: the build waits for it
            con.execute("SET statement_timeout = '300ms'")
            with pytest.raises(psycopg.errors.QueryCanceled):
                con.execute(create)
            assert con.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = '\"ql_A_to\"'::regclass").fetchone() == (False,)
        statements = db.missing_indexes()
        assert statements == ['DROP INDEX CONCURRENTLY IF EXISTS "ql_A_to";', create]
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
            assert con.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = '\"ql_A_to\"'::regclass").fetchone() == (True,)
        assert db.missing_indexes() == []
    finally:
        db.close()


def test_doctor_keeps_a_note_with_a_line_break_inside_its_comments(live_parse: LiveParse) -> None:
    """doctor prints SQL to run, with its notes as '--' comments; a name in _SCHEMA holding a
    line break (written there by hand: Parse refuses such names) put the rest of its note on a
    line of its own, outside any comment: `doctor | psql` would have run it."""
    spec = {"A": {"fields": {'x\nDROP TABLE "A"; --': {"type": "String"}, "y": {"type": "Odd\rSELECT 1;"}}},
            "B\nSELECT 2;": {"fields": {}}}  # fmt: skip
    url = _parse_like(live_parse, "note_lines", spec, [f'CREATE TABLE "A" ({_BUILTINS}, "y" text)'])
    res = CliRunner().invoke(main, ["doctor", "--db", url])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert len(lines) > 4 and all(line.startswith("-- ") for line in lines), lines
    assert '-- DROP TABLE "A"; --: a name querylang\'s schema does not accept: left out' in lines


def test_doctor_indexes_serve_pointer_lookups_on_a_database_not_in_code_point_order(live_parse: LiveParse) -> None:
    """Where the database's collation is not code-point order (en-US here, the usual default),
    querylang compares a Pointer column COLLATE "C", which an index of the column's own
    collation cannot serve: doctor's index was made, doctor then said nothing was missing, and
    every pointer filter still read the whole table."""
    spec = {"C": {"fields": {"Owner": {"type": "Pointer", "targetClass": "C"}, "rel": {"type": "Relation", "targetClass": "C"}}}}
    url = _parse_like(live_parse, "icu_doctor", spec, [
        f'CREATE TABLE "C" ({_BUILTINS}, "Owner" text)',
        'CREATE TABLE "_Join:rel:C" ("relatedId" varchar(120), "owningId" varchar(120), PRIMARY KEY ("relatedId", "owningId"))',
        "INSERT INTO \"C\" SELECT 'c' || i, now(), now(), 'c' || (i % 100) FROM generate_series(1, 20000) i",
        "INSERT INTO \"_Join:rel:C\" SELECT 'c' || i, 'c' || (i % 100) FROM generate_series(1, 20000) i",
        'CREATE INDEX "by_owner" ON "C" ("Owner")',  # the column's own collation: no use to querylang
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert not db.store.dialect.code_point_order
        statements = db.missing_indexes()
        assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_C_Owner_C" ON "C" ("Owner" COLLATE "C");' in statements
        with psycopg.connect(url, autocommit=True) as con:
            for stmt in statements:
                con.execute(stmt)
            con.execute("ANALYZE")
        assert db.missing_indexes() == []
        assert "ql_C_Owner_C" in db.explain("C", "where({ Owner: { pointsTo: 'c5' } })")
        assert db.query("C", "where({ Owner: { pointsTo: 'c5' } })", limit=3).ids == ["c10005", "c1005", "c10105"]
    finally:
        db.close()


def test_doctor_serves_objectid_lookups_on_a_database_not_in_code_point_order(live_parse: LiveParse) -> None:
    """There querylang compares objectIds COLLATE "C" too, which Parse's primary key (of the
    column's own collation) cannot serve: every show, idEqualTo and objectId-ordered page read
    the whole table, and doctor said nothing was missing."""
    spec = {"C": {"fields": {"n": {"type": "Number"}}}}
    url = _parse_like(live_parse, "icu_objectid", spec, [
        f'CREATE TABLE "C" ({_BUILTINS}, n double precision)',
        "INSERT INTO \"C\" SELECT 'c' || i, now(), now(), i FROM generate_series(1, 20000) i",
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        statements = db.missing_indexes()
        assert statements == ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_C_objectId_C" ON "C" ("objectId" COLLATE "C");']
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(statements[0])
            con.execute("ANALYZE")
        assert db.missing_indexes() == []
        assert "ql_C_objectId_C" in db.explain("C", {"idEqualTo": "c5"})
        assert "ql_C_objectId_C" in db.explain("C", None, limit=5)
        res = CliRunner().invoke(main, ["show", "C", "c5", "--db", url, "--layout", "parse", "--format", "json"])
        assert res.exit_code == 0 and json.loads(res.output)["n"] == 5, res.output
    finally:
        db.close()


def test_doctor_counts_a_partial_index_only_when_it_serves_every_lookup(live_parse: LiveParse) -> None:
    """An index on a Pointer column limited to some rows (WHERE flagged) serves no lookup of
    the others: doctor counted it, and said nothing was missing. One limited to the rows that
    have the column (WHERE "to" IS NOT NULL) serves every lookup by a value, and still counts."""
    spec = {"A": {"fields": {"to": {"type": "Pointer", "targetClass": "A"}, "by": {"type": "Pointer", "targetClass": "A"},
                             "flagged": {"type": "Boolean"}}}}  # fmt: skip
    url = _parse_like(live_parse, "partial_index", spec, [
        f'CREATE TABLE "A" ({_BUILTINS}, "to" text, "by" text, flagged boolean)',
        'CREATE INDEX "flagged_to" ON "A" ("to") WHERE flagged', 'CREATE INDEX "by_set" ON "A" ("by") WHERE "by" IS NOT NULL',
    ])  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert db.missing_indexes() == ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "ql_A_to" ON "A" ("to");']
    finally:
        db.close()


def test_a_role_with_a_schema_of_its_own(live_parse: LiveParse) -> None:
    """A reader role with a schema named as itself (PostgreSQL's secure schema pattern: the
    default search_path "$user", public finds it first) found _SCHEMA through the search_path
    but looked for the tables in current_schema(), its own empty schema: every class was
    'in _SCHEMA but its table is missing', and doctor proposed indexes that exist."""
    spec = {"fields": {"s": {"type": "String"}, "to": {"type": "Pointer", "targetClass": "Own"}}}
    url = _parse_like(live_parse, "own_schema", {"Own": spec}, [
        f'CREATE TABLE "Own" ({_BUILTINS}, s text, "to" text)', f"INSERT INTO \"Own\" VALUES ({_ROW}, 'x', 'd1')",
        'CREATE INDEX "by_to" ON "Own" ("to")',
        "DROP ROLE IF EXISTS ql_own_schema", "CREATE ROLE ql_own_schema LOGIN", "GRANT pg_read_all_data TO ql_own_schema",
        "CREATE SCHEMA ql_own_schema AUTHORIZATION ql_own_schema",
    ])  # fmt: skip
    db = querylang.connect(url.replace("postgres@", "ql_own_schema@"), layout="parse")
    try:
        assert db.store.execute("SELECT current_schema()", []) == [("ql_own_schema",)]
        assert db.notes == [] and set(db.schema.classes) == {"Own"}
        assert db.query("Own", {"to": {"pointsTo": "d1"}}).ids == ["d1"]
        assert db.missing_indexes() == []
    finally:
        db.close()
        with psycopg.connect(url, autocommit=True) as con:
            con.execute("DROP SCHEMA ql_own_schema")
            con.execute("DROP OWNED BY ql_own_schema")
            con.execute("DROP ROLE ql_own_schema")


def test_an_icu_database_is_not_taken_for_code_point_order(live_parse: LiveParse) -> None:
    """A database made with LOCALE_PROVIDER icu keeps a libc datcollate ('C') beside the ICU
    locale that orders its text: it was taken for code-point order, so strings sorted and
    compared in en-US order ('a' < 'B', ranges off) against docs/semantics.md's."""
    texts = ["b", "B", "a", "A", "_", "é", "e"]
    url = _parse_like(live_parse, "icu_en", {"S": {"fields": {"t": {"type": "String"}}}}, [
        f'CREATE TABLE "S" ({_BUILTINS}, t text)',
        *(f"INSERT INTO \"S\" VALUES ('s{i}', now(), now(), '{t}')" for i, t in enumerate(texts)),
    ], created="TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'")  # fmt: skip
    db = querylang.connect(url, layout="parse")
    try:
        assert db.store.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()", []) == [("C",)]
        assert not db.store.dialect.code_point_order
        assert [r["t"] for r in db.query("S", {}, sort=["t"]).records] == sorted(texts) == ["A", "B", "_", "a", "b", "e", "é"]
        for where in ({"t": {"greaterThan": "a"}}, {"t": {"lessThan": "_"}}):
            assert db.query("S", where).ids == db.reference("S", where).ids
    finally:
        db.close()

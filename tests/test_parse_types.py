"""Parse's own classes (_User, _Role, _Session, _Installation) and types (Polygon, File, Bytes,
ACL): hand-checked answers through both engines, Parse REST, writes, output, the CLI, loads
that must fail whole, and a focused differential property for polygonContains.

Every golden answer below was worked out by hand from DOC (the comment says why).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import querylang
from querylang import DataError, QueryError
from querylang.frontends import parse_rest
from querylang.frontends.to_parse import to_parse_where, to_script
from querylang.frontends.unparse import unparse

from . import strategies as qs
from .test_load import dump
from .test_properties import assert_same

ACL_U1 = {"*": {"read": True}, "u1": {"read": True, "write": True}, "role:Admin": {"write": True}}
SQUARE = [[0, 0], [0, 2], [2, 2], [2, 0]]  # [latitude, longitude] pairs, ring left open
# A concave "U": the notch between longitudes 1 and 2 reaches down to latitude 1.
NOTCHED = [[0, 0], [3, 0], [3, 1], [1, 1], [1, 2], [3, 2], [3, 3], [0, 3], [0, 0]]

DOC: dict[str, Any] = {
    "classes": {
        "_User": {"fields": {"username": {"type": "String"}, "ACL": {"type": "ACL"}}},
        "_Role": {"fields": {"name": {"type": "String"}, "users": {"type": "Relation", "targetClass": "_User"}}},
        "_Session": {"fields": {"user": {"type": "Pointer", "targetClass": "_User"}}},
        "_Installation": {"fields": {"deviceType": {"type": "String"}}},
        "Zone": {
            "fields": {
                "area": {"type": "Polygon"},
                "pic": {"type": "File"},
                "raw": {"type": "Bytes"},
                "owner": {"type": "Pointer", "targetClass": "_User"},
                "ACL": {"type": "ACL"},
            }
        },
    },
    "records": {
        "_User": [
            {"objectId": "u1", "username": "ann", "ACL": ACL_U1},
            {"objectId": "u2", "username": "bob"},
        ],
        "_Role": [{"objectId": "r1", "name": "Admin", "users": ["u1"]}],
        "_Session": [{"objectId": "s1", "user": {"__type": "Pointer", "className": "_User", "objectId": "u2"}}],
        "_Installation": [{"objectId": "i1", "deviceType": "ios"}],
        "Zone": [
            {
                "objectId": "z1",
                "area": {"__type": "Polygon", "coordinates": SQUARE},
                "pic": {"__type": "File", "name": "a.png", "url": "https://files.example/a.png"},
                "raw": {"__type": "Bytes", "base64": "aGVsbG8="},
                "owner": "u1",
                "ACL": {"role:Admin": {"read": True}},
            },
            {"objectId": "z2", "area": NOTCHED, "pic": "b.png", "raw": {"__type": "Bytes", "base64": "QR=="}},
            {"objectId": "z3", "area": None, "pic": {"__type": "File", "name": "a.png"}, "owner": "u2"},
            {"objectId": "z4"},
        ],
    },
}


@pytest.fixture(scope="module")
def db(engine_opener):
    """DOC loaded, on each engine (DuckDB and PostgreSQL: tests/conftest.py)."""
    database = engine_opener()
    database.load(copy.deepcopy(DOC))
    yield database
    database.close()


def both(db: querylang.Database, cls: str, where: Any, **kw: Any) -> list[str]:
    """The ids SQL gives, after checking the reference gives the same records."""
    res = assert_same(db, cls, where, **kw)
    assert res is not None, f"{cls} {where!r} was rejected"
    return res.ids


GOLDEN = [
    # --- system classes: queried, pointed at and related like any other -----------------------
    ("_User", {"username": "ann"}, ["u1"]),
    ("_Session", {"user": {"pointsTo": "u2"}}, ["s1"]),
    ("_Session", {"user": {"matchesQuery": {"username": "bob"}}}, ["s1"]),
    ("_User", {"relatedTo": {"id": "r1", "key": "users", "className": "_Role"}}, ["u1"]),
    ("_Role", {"users": {"pointsTo": "u1"}}, ["r1"]),
    ("_Installation", {"deviceType": {"exists": True}}, ["i1"]),
    ("Zone", {"owner.username": "ann"}, ["z1"]),
    # --- polygonContains: inside, on an edge, on a vertex, outside, in a concave notch ---------
    ("Zone", {"area": {"polygonContains": {"latitude": 0.5, "longitude": 0.5}}}, ["z1", "z2"]),  # both hold it
    ("Zone", {"area": {"polygonContains": {"latitude": 2, "longitude": 1}}}, ["z1", "z2"]),  # z1's top edge; z2's arm
    ("Zone", {"area": {"polygonContains": {"latitude": 2, "longitude": 2}}}, ["z1", "z2"]),  # z1's corner; z2's notch edge
    ("Zone", {"area": {"polygonContains": {"latitude": 2, "longitude": 1.5}}}, ["z1"]),  # inside z2's notch: out of z2
    ("Zone", {"area": {"polygonContains": {"latitude": 1, "longitude": 1.5}}}, ["z1", "z2"]),  # the notch's floor
    ("Zone", {"area": {"polygonContains": {"latitude": 2.5, "longitude": 2.5}}}, ["z2"]),  # z2's right arm only
    ("Zone", {"area": {"polygonContains": {"__type": "GeoPoint", "latitude": -1, "longitude": 0}}}, []),
    ("Zone", {"area": {"exists": True}}, ["z1", "z2"]),
    ("Zone", {"area": {"exists": False}}, ["z3", "z4"]),  # null and missing are both absent
    ("Zone", {"nor": [{"area": {"polygonContains": {"latitude": 0.5, "longitude": 0.5}}}]}, ["z3", "z4"]),
    # --- File: by name, from a File object or the name; url does not matter --------------------
    ("Zone", {"pic": "a.png"}, ["z1", "z3"]),
    ("Zone", {"pic": {"__type": "File", "name": "a.png", "url": "https://elsewhere/a.png"}}, ["z1", "z3"]),
    ("Zone", {"pic": {"equalTo": {"__type": "File", "name": "b.png"}}}, ["z2"]),
    ("Zone", {"pic": {"notEqualTo": "a.png"}}, ["z2", "z4"]),  # absent matches notEqualTo
    ("Zone", {"pic": {"containedIn": ["b.png", {"__type": "File", "name": "zzz"}]}}, ["z2"]),
    ("Zone", {"pic": {"notContainedIn": ["a.png"]}}, ["z2", "z4"]),
    ("Zone", {"pic": {"containedIn": [None, "b.png"]}}, ["z2", "z4"]),
    ("Zone", {"pic": {"exists": False}}, ["z4"]),
    ("Zone", {"pic": "A.png"}, []),  # names are case-sensitive
    # --- Bytes: by value ('QR==', 'QQ==', 'QQ' and '-_-_'... as Node reads them) ----------------
    ("Zone", {"raw": {"__type": "Bytes", "base64": "aGVsbG8="}}, ["z1"]),
    ("Zone", {"raw": {"__type": "Bytes", "base64": "QQ=="}}, ["z2"]),
    ("Zone", {"raw": "QR=="}, ["z2"]),
    ("Zone", {"raw": "QQ"}, ["z2"]),
    ("Zone", {"raw": {"__type": "Bytes", "base64": "aGVsbG8"}}, ["z1"]),
    ("Zone", {"raw": {"notEqualTo": {"__type": "Bytes", "base64": "QQ=="}}}, ["z1", "z3", "z4"]),
    ("Zone", {"raw": {"containedIn": [{"__type": "Bytes", "base64": "aGVsbG8="}, "QQ=="]}}, ["z1", "z2"]),
    ("Zone", {"raw": {"notContainedIn": ["aGVs\nbG8===", "-_-_"]}}, ["z2", "z3", "z4"]),
    ("Zone", {"raw": {"exists": True}}, ["z1", "z2"]),
]


@pytest.mark.parametrize(("cls", "where", "expected"), GOLDEN)
def test_golden(db, cls, where, expected):
    assert both(db, cls, where) == expected


def test_records_come_back_as_stored(db):
    """File, Polygon, Bytes as Parse objects; an ACL exactly as given (the server helper reads it)."""
    for run in (db.query, db.reference):
        recs = {r["objectId"]: r for r in run("Zone", {}).records}
        assert recs["z1"]["area"] == {"__type": "Polygon", "coordinates": SQUARE}
        assert recs["z2"]["area"] == {"__type": "Polygon", "coordinates": NOTCHED}
        assert recs["z1"]["pic"] == {"__type": "File", "name": "a.png", "url": "https://files.example/a.png"}
        assert recs["z2"]["pic"] == {"__type": "File", "name": "b.png"}
        assert recs["z1"]["raw"] == {"__type": "Bytes", "base64": "aGVsbG8="}
        assert recs["z2"]["raw"] == {"__type": "Bytes", "base64": "QQ=="}  # canonical base64
        assert recs["z1"]["ACL"] == {"role:Admin": {"read": True}}
        assert recs["z3"]["area"] is None and "ACL" not in recs["z3"]
        user = run("_User", {"username": "ann"}).records[0]
        assert user["ACL"] == ACL_U1 and list(user["ACL"]) == list(ACL_U1)  # key order kept too


@pytest.mark.parametrize(
    ("cls", "where", "message"),
    [
        ("Zone", {"ACL": {"exists": True}}, "Cannot query on ACL."),
        ("Zone", {"ACL": {"*": {"read": True}}}, "Cannot query on ACL."),
        ("Zone", {"owner.ACL": {"exists": True}}, "Cannot query on ACL."),
        ("Zone", {"area": {"equalTo": SQUARE}}, "not available on Polygon field 'area'"),
        ("Zone", {"pic": {"lessThan": "b"}}, "lessThan is not available on File field 'pic'"),
        ("Zone", {"pic": {"matchesRegex": "a"}}, "needs a String or Array field"),
        ("Zone", {"raw": {"greaterThan": "QQ=="}}, "not available on Bytes field 'raw'"),
        ("Zone", {"raw": "not base64!"}, "not valid base64"),
        ("Zone", {"raw": 5}, "'raw' is a Bytes"),
        ("Zone", {"pic": 5}, "'pic' is a File"),
        ("Zone", {"owner": {"polygonContains": {"latitude": 0, "longitude": 0}}}, "needs a Polygon field"),
        ("Zone", {"area": {"polygonContains": {"latitude": 91, "longitude": 0}}}, "outside [-90, 90]"),
        ("Zone", {"area": {"polygonContains": [0, 0]}}, "needs a GeoPoint"),
        ("Zone", {"area": {"withinPolygon": [{"latitude": 0, "longitude": 0}] * 3}}, "needs a GeoPoint field"),
    ],
)
def test_queries_refused_with_a_clear_message(db, cls, where, message):
    for run in (db.query, db.reference):
        with pytest.raises(QueryError) as exc:
            run(cls, where)
        assert message in str(exc.value)


def test_acl_query_is_parse_code_102(db):
    with pytest.raises(QueryError) as exc:
        db.query("Zone", {"ACL": {"exists": True}})
    assert exc.value.code == 102


# --- Parse REST ------------------------------------------------------------------------------------


def test_parse_rest_geo_intersects_and_typed_literals(db):
    point = {"__type": "GeoPoint", "latitude": 2, "longitude": 1.5}
    assert parse_rest.find(db, "Zone", {"area": {"$geoIntersects": {"$point": point}}}).ids == ["z1"]
    assert parse_rest.find(db, "Zone", {"pic": {"__type": "File", "name": "a.png", "url": "x"}}).ids == ["z1", "z3"]
    assert parse_rest.find(db, "Zone", {"pic": {"$in": [{"__type": "File", "name": "b.png"}]}}).ids == ["z2"]
    assert parse_rest.find(db, "Zone", {"raw": {"__type": "Bytes", "base64": "QQ=="}}).ids == ["z2"]
    assert parse_rest.find(db, "Zone", {"raw": {"$in": [{"__type": "Bytes", "base64": "QQ"}]}}).ids == ["z2"]
    owner = {"__type": "Pointer", "className": "_User", "objectId": "u1"}
    assert parse_rest.find(db, "Zone", {"owner": owner}).ids == ["z1"]
    assert parse_rest.find(db, "Zone", {"area": {"$exists": False}}).ids == ["z3", "z4"]


@pytest.mark.parametrize(
    ("where", "code", "message"),
    [
        ({"ACL": {"$exists": True}}, 102, "Cannot query on ACL."),
        ({"area": {"$geoIntersects": {"$point": [1, 2]}}}, 107, "bad $geoIntersect value; $point should be GeoPoint"),
        ({"area": {"$geoIntersects": {"$point": {"latitude": 1, "longitude": 2}}}}, 107, "$point should be GeoPoint"),
        ({"area": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": 1, "longitude": 200}}}}, 107,
         "outside [-180, 180]"),
        ({"area": {"$geoIntersects": {"$box": []}}}, 107, "bad $geoIntersect value"),
    ],
)
def test_parse_rest_refusals(db, where, code, message):
    with pytest.raises(QueryError) as exc:
        parse_rest.find(db, "Zone", where)
    assert exc.value.code == code and message in str(exc.value)


def test_polygon_contains_in_every_spelling():
    script = "where({ area: { polygonContains: { latitude: 1.5, longitude: 2 } } })"
    rest = {"area": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": 1.5, "longitude": 2}}}}
    assert to_parse_where(script) == rest
    assert to_script(rest) == script
    schema = querylang.Schema.from_json(DOC["classes"])
    q = querylang.build_query(schema, "Zone", script)
    assert unparse(q) == script
    assert querylang.build_query(schema, "Zone", unparse(q)).where == q.where


# --- schema: names and types ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["_Foo", "_user", "__User", "_"])
def test_other_underscore_names_are_refused_naming_the_four(name):
    with querylang.connect() as db, pytest.raises(DataError) as exc:
        db.load({"classes": {name: {"fields": {}}}})
    assert "_User, _Role, _Session, _Installation" in str(exc.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ACL": {"type": "Object"}}, "a record's ACL is the field named ACL, of type ACL (as in Parse); 'ACL' cannot be an Object"),
        ({"perms": {"type": "ACL"}}, "'perms' cannot be an ACL"),
        ({"f": {"type": "Polygon", "targetClass": "_User"}}, "only Pointer/Relation take targetClass"),
        ({"p": {"type": "Pointer", "targetClass": "_Nope"}}, "invalid class name '_Nope'"),
    ],
)
def test_schema_rules(fields, message):
    with querylang.connect() as db, pytest.raises(DataError) as exc:
        db.load({"classes": {"A": {"fields": fields}}})
    assert message in str(exc.value)


def test_the_schema_round_trips_through_a_file(tmp_path):
    path = tmp_path / "t.duckdb"
    with querylang.connect(path) as db:
        db.load(copy.deepcopy(DOC))
    with querylang.connect(path) as db:
        assert db.schema.get("Zone").fields["area"].type == "Polygon"
        assert db.schema.get("Zone").fields["owner"].target == "_User"
        assert both(db, "Zone", {"area": {"polygonContains": {"latitude": 1, "longitude": 1}}}) == ["z1", "z2"]
        assert db.query("_User", {"username": "ann"}).records[0]["ACL"] == ACL_U1


# --- loading bad values: a DataError naming class, record and field; nothing loaded ---------------

BAD_VALUES = [
    ("area", [[0, 0], [1, 1]], "at least 3 different points"),
    ("area", {"__type": "Polygon", "coordinates": [[0, 0], [1, 1], [0, 0]]}, "at least 3 different points"),
    ("area", {"__type": "Polygon", "coordinates": [[0, 0], [1, 1], [95, 0]]}, "point #2 out of range"),
    ("area", {"__type": "Polygon", "coordinates": [[0, 0], [1, 1], [2]]}, "point #2 must be a [latitude, longitude]"),
    ("area", {"__type": "GeoPoint", "latitude": 1, "longitude": 2}, "expected a Polygon, got a {__type: 'GeoPoint'}"),
    ("area", "square", "expected a Polygon"),
    ("pic", {"__type": "File", "url": "https://x/a.png"}, "a File needs a name"),
    ("pic", {"__type": "File", "name": ""}, "a File needs a name"),
    ("pic", {"__type": "File", "name": "a", "size": 3}, "a File has a name and a url"),
    ("pic", 7, "expected a File"),
    ("raw", {"__type": "Bytes", "base64": "not base64!"}, "not valid base64"),
    ("raw", {"__type": "Bytes", "base64": "Q"}, "not valid base64"),  # no byte ends so
    ("raw", {"__type": "Bytes", "base64": "QQ==QQ=="}, "not valid base64"),  # Node stops at the first '='
    ("raw", {"__type": "Bytes", "base64": "!!!!"}, "not valid base64"),
    ("raw", {"__type": "Bytes"}, "Bytes base64 must be a string"),
    ("raw", "aGVsbG8=", "expected Bytes"),
    ("ACL", ["*"], "an ACL must be an object"),
    ("ACL", "public", "an ACL must be an object"),
    ("ACL", {"*": True}, "ACL entry '*' must be"),
    ("ACL", {"*": {"read": "yes"}}, "read and write must be true or false"),
    ("ACL", {"*": {"delete": True}}, "ACL entry '*' must be"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_VALUES)
def test_a_bad_value_fails_the_whole_load(field, value, message):
    with querylang.connect() as db:
        db.load(copy.deepcopy(DOC))
        before = dump(db)
        doc = {"records": {"Zone": [{"objectId": "ok1"}, {"objectId": "bad1", field: value}]}}
        with pytest.raises(DataError) as exc:
            db.load(doc)
        assert (exc.value.class_name, exc.value.object_id, exc.value.field) == ("Zone", "bad1", field)
        assert message in str(exc.value)
        assert dump(db) == before
    # A new database too: not even the classes appear.
    with querylang.connect() as db:
        fresh = copy.deepcopy(DOC)
        fresh["records"]["Zone"].append({"objectId": "bad1", field: value})
        with pytest.raises(DataError):
            db.load(fresh)
        assert db.schema.classes == {}


# --- writes -------------------------------------------------------------------------------------


def test_create_and_save_with_parse_types(engine):
    with engine() as db:
        db.load(copy.deepcopy(DOC))
        oid = db.create("Zone", {
            "area": {"__type": "Polygon", "coordinates": [[10, 10], [10, 12], [12, 11]]},
            "pic": {"__type": "File", "name": "new.png", "url": "https://files.example/new.png"},
            "raw": {"__type": "Bytes", "base64": "AAAA"},
            "owner": {"__type": "Pointer", "className": "_User", "objectId": "u2"},
            "ACL": {"*": {"read": True}},
        })
        assert both(db, "Zone", {"area": {"polygonContains": {"latitude": 11, "longitude": 11}}}) == [oid]
        assert both(db, "Zone", {"pic": "new.png"}) == [oid]
        db.save("Zone", oid, {"pic": "renamed.png", "raw": None, "ACL": {"u2": {"read": True, "write": True}}})
        rec = db.query("Zone", {"pic": "renamed.png"}).records[0]
        assert rec["pic"] == {"__type": "File", "name": "renamed.png"}
        assert rec["raw"] is None and rec["ACL"] == {"u2": {"read": True, "write": True}}
        assert rec["area"]["coordinates"] == [[10, 10], [10, 12], [12, 11]]
        uid = db.create("_User", {"username": "cy", "ACL": {"*": {"read": False}}})
        assert both(db, "_User", {"username": "cy"}) == [uid]
        with pytest.raises(DataError) as exc:
            db.save("Zone", oid, {"ACL": "everyone"})
        assert exc.value.field == "ACL"
        assert db.query("Zone", {"pic": "renamed.png"}).records[0]["ACL"] == {"u2": {"read": True, "write": True}}


# --- the CLI ----------------------------------------------------------------------------------------


def test_cli_queries_system_classes_and_shows_parse_types(tmp_path):
    from click.testing import CliRunner

    from querylang.app import cli

    data = tmp_path / "parse.json"
    data.write_text(json.dumps(DOC))
    run = CliRunner().invoke
    res = run(cli.main, ["query", "_User", "where({ username: 'ann' })", "--data", str(data), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["ACL"] == ACL_U1
    script = "where({ area: { polygonContains: { latitude: 2, longitude: 1.5 } } })"
    res = run(cli.main, ["query", "Zone", script, "--data", str(data), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)
    assert rec["objectId"] == "z1" and rec["pic"]["name"] == "a.png" and rec["raw"]["base64"] == "aGVsbG8="
    res = run(cli.main, ["query", "Zone", "", "--data", str(data)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Polygon, 4 points" in res.output and "a.png" in res.output and "5 bytes" in res.output
    assert "role:Admin: r" in res.output
    res = run(cli.main, ["query", "_Nope", "", "--data", str(data)])
    assert res.exit_code == 2
    res = run(cli.main, ["query", "Zone", "where({ ACL: { exists: true } })", "--data", str(data)])
    assert res.exit_code == 2 and "Cannot query on ACL." in res.output


# --- a focused differential property: polygonContains on many polygons and points ----------------

ZONES = {"Zone": {"fields": {"area": {"type": "Polygon"}, "n": {"type": "Number"}}}}
_COORD = st.sampled_from((-1, 0, 0.5, 1, 1.5, 2, 3, 0.1, 2.9))
_POLYGONS = st.one_of(
    st.sampled_from(qs.POLYGON_POOL),
    st.lists(st.tuples(_COORD, _COORD).map(list), min_size=3, max_size=7).filter(lambda ps: len({tuple(p) for p in ps}) >= 3),
)
_POINTS = st.tuples(_COORD, _COORD).map(lambda p: {"latitude": p[0], "longitude": p[1]})


@st.composite
def _polygon_case(draw: st.DrawFn) -> tuple[dict[str, Any], list[Any]]:
    rows = []
    for oid in draw(st.lists(qs.ids(), unique=True, min_size=1, max_size=6)):
        rec: dict[str, Any] = {"objectId": oid, "createdAt": "2024-01-01T00:00:00.000Z", "n": draw(st.integers(0, 2))}
        kind = draw(st.sampled_from(("value", "value", "value", "null", "missing")))
        if kind != "missing":
            rec["area"] = None if kind == "null" else draw(_POLYGONS)
        rows.append(rec)
    leaf = st.one_of(_POINTS.map(lambda p: {"area": {"polygonContains": p}}), st.just({"area": {"exists": True}}))
    tree = st.one_of(leaf, st.lists(leaf, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
                     st.lists(leaf, min_size=1, max_size=2).map(lambda xs: {"nor": xs}))
    return {"classes": copy.deepcopy(ZONES), "records": {"Zone": rows}}, draw(st.lists(tree, min_size=1, max_size=6))


# The engine fixture is per test, not per example: each example closes its database itself.
@settings(max_examples=max(20, settings.default.max_examples // 2),
          suppress_health_check=[*settings.default.suppress_health_check, HealthCheck.function_scoped_fixture])
@given(_polygon_case(), st.sampled_from((None, ["n"], ["-n"])))
def test_polygon_contains_sql_matches_reference(engine, case, sort):
    doc, queries = case
    with engine() as db:
        db.load(doc)
        for where in queries:
            assert_same(db, "Zone", where, sort=sort)


def test_repl_completes_system_classes_and_polygon_contains(db):
    from querylang.app.render import make_console
    from querylang.app.repl import Session, completions

    s = Session(db, make_console(), class_name="Zone")

    def names(text: str) -> list[str]:
        return [cand for cand, _, _ in completions(s, text)]

    assert names(".class _U") == ["_User"]
    assert "polygonContains" in names("where({ area: { polygonC")
    assert "area" in names("where({ ar")


def test_bytes_in_every_spelling_node_reads_load_and_compare_by_value(engine):
    """Parse Server on MongoDB keeps Bytes as the bytes Node's Buffer.from reads from the
    base64 its client sent (padding left out or in excess, URL-safe letters, line breaks and
    spaces: MIME's base64) and answers them in canonical base64: querylang keeps, answers and
    compares them so ('-_-_' is '+/+/'). Before, a load kept and answered the text as sent,
    and compared that text ('aGVsbG8' missed equalTo 'aGVsbG8=')."""
    long = base64.b64encode(bytes(range(256)) * 2).decode()
    mime = "\r\n".join(long[i:i + 76] for i in range(0, len(long), 76))
    sent = {"b1": "aGVsbG8", "b2": "QQ===", "b3": "-_-_", "b4": "aGVs\nbG8=\n", "b5": mime, "b6": " aGVs bG8\t",
            "b7": "aGVsbG8=", "b8": "QR=="}
    canonical = {"b1": "aGVsbG8=", "b2": "QQ==", "b3": "+/+/", "b4": "aGVsbG8=", "b5": long, "b6": "aGVsbG8=",
                 "b7": "aGVsbG8=", "b8": "QQ=="}
    with engine() as db:
        db.load({"classes": {"Blob": {"fields": {"raw": {"type": "Bytes"}}}},
                 "records": {"Blob": [{"objectId": k, "raw": {"__type": "Bytes", "base64": v}} for k, v in sent.items()]}})
        for run in (db.query, db.reference):
            assert {r["objectId"]: r["raw"]["base64"] for r in run("Blob", None).records} == canonical
        hello = ["b1", "b4", "b6", "b7"]
        for text, ids in (("aGVsbG8", hello), ("aGVsbG8=", hello), ("aGVs bG8", hello), ("aGVsbG8===", hello),
                          ("QQ", ["b2", "b8"]), ("QR==", ["b2", "b8"]), ("-_-_", ["b3"]), ("+/+/", ["b3"]),
                          ("-/+_", ["b3"]), (mime, ["b5"]), (long, ["b5"]), ("AAAA", [])):
            for where in ({"raw": {"equalTo": {"__type": "Bytes", "base64": text}}}, {"raw": {"containedIn": [text]}}):
                assert db.query("Blob", where, sort=["objectId"]).ids == db.reference("Blob", where, sort=["objectId"]).ids == ids, where

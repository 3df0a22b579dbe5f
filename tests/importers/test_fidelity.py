"""The same Parse data, whichever way it comes in: one app holding every Parse type and the
awkward values (fidelity_data.py), written through a real Parse Server 9 on PostgreSQL, then
read by Parse REST itself (master key), by querylang in place on Parse's tables, and by
querylang after importing it from the server (into DuckDB and into its own PostgreSQL
tables), from a Dashboard export, a parse.com export and mongoexport files (relaxed,
canonical, v1) of the same data. Records, schemas, included records, config and what serve
answers are compared field by field, queries by their ids and counts; where Parse on
PostgreSQL or a path cannot answer alike, the lists below say why."""

from __future__ import annotations

import copy
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

import querylang
from querylang.errors import QueryError
from querylang.frontends.parse_rest import find, where_to_filter
from querylang.model.parse_types import SENSITIVE_FIELDS

from ..pg import parse_server
from . import fidelity_data as fd

KEYS = {"app_id": "querylang-bench", "master_key": "querylang-bench-master"}


class App:
    def __init__(self, pg: Any, server: Any, tmp: Path) -> None:
        self.server = server
        self.back = fd.read_back(server)
        self.in_place = querylang.connect(pg.uri, layout="parse")
        self.imported = querylang.connect()
        self.imported_report = self.imported.import_parse_server(f"http://127.0.0.1:{server.port}{server.mount}", **KEYS)
        self.dashboard = querylang.connect()
        self.dashboard_report = self.dashboard.import_dashboard_export(fd.write_dashboard(tmp / "dashboard", self.back))
        with psycopg.connect(pg.url("postgres"), autocommit=True) as con:
            con.execute("CREATE DATABASE fidelity_own")
        self.own_pg = querylang.connect(pg.url("fidelity_own"))  # querylang's own tables on PostgreSQL
        self.own_pg.import_parse_server(f"http://127.0.0.1:{server.port}{server.mount}", **KEYS)
        self.parse_com = querylang.connect()
        self.parse_com.import_dashboard_export(fd.write_parse_com(tmp / "parse.com", self.back))
        self.mongo = querylang.connect()
        self.mongo_report = self.mongo.import_mongo_export(fd.write_mongo(tmp / "mongo", self.back))
        self.canonical = querylang.connect()
        self.canonical.import_mongo_export(fd.write_mongo(tmp / "canonical", self.back, "canonical"))
        self.v1 = querylang.connect()
        self.v1.import_mongo_export(fd.write_mongo(tmp / "v1", self.back, "v1"))

    def paths(self) -> dict[str, querylang.Database]:
        return {"in place": self.in_place, "imported": self.imported, "imported into PostgreSQL": self.own_pg,
                "dashboard": self.dashboard, "parse.com": self.parse_com, "mongo": self.mongo,
                "mongo canonical": self.canonical, "mongo v1": self.v1}  # fmt: skip


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    with parse_server() as (pg, server):
        fd.build(server)
        a = App(pg, server, tmp_path_factory.mktemp("fidelity"))
        yield a
        a.in_place.close()
        a.own_pg.close()


# --- records, field by field ------------------------------------------------------------------


def from_rest(value: Any, ftype: str) -> Any:
    """A REST field value as querylang hands it back."""
    if ftype == "Date":
        return value["iso"] if isinstance(value, dict) else value  # createdAt/updatedAt are plain ISO text
    if ftype == "Pointer":
        return value["objectId"]
    if ftype == "GeoPoint":
        return {"latitude": value["latitude"], "longitude": value["longitude"]}
    return value


def rest_records(app: App, cls: str) -> list[dict[str, Any]]:
    """What REST answers of a class, but Relations (no value) and the secrets never copied (authData)."""
    fields = app.back["schemas"][cls]["fields"]
    return [{k: from_rest(v, fields[k]["type"]) for k, v in rec.items() if fields[k]["type"] != "Relation" and k not in SENSITIVE_FIELDS}
            for rec in app.back[cls]]  # fmt: skip


@pytest.mark.parametrize("cls", fd.CLASSES)
def test_the_import_from_the_server_holds_what_rest_answers(app: App, cls: str) -> None:
    if cls == "_User":
        assert any("authData" in rec for rec in app.back[cls])  # REST answers the master key a user's authData
    assert app.imported.query(cls, {}, sort=["objectId"]).records == rest_records(app, cls)


# What a path cannot hold, and why (docs/parse-in-place.md, docs/importing.md).
LEFT_OUT = {
    # in place: ACLs are not read
    "in place": {"ACL"},
}
# The paths holding a File's name only: Parse rebuilds the URL from its configuration on each
# read, and keeps only the name in its tables (PostgreSQL's, read in place; MongoDB's, exported).
NAME_ONLY_FILES = {"in place", "mongo", "mongo canonical", "mongo v1"}


def without(records: list[dict[str, Any]], keys: set[str]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in keys} for r in records]


def no_file_url(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A File as its name only (NAME_ONLY_FILES)."""
    return [{k: ({"__type": "File", "name": v["name"]} if k == "f" else v) for k, v in r.items()} for r in records]


@pytest.mark.parametrize("path", ["in place", "imported into PostgreSQL", "dashboard", "parse.com", "mongo", "mongo canonical",
                                  "mongo v1"])  # fmt: skip
@pytest.mark.parametrize("cls", fd.CLASSES)
def test_records_are_the_same_whichever_way_they_came(app: App, cls: str, path: str) -> None:
    got = app.paths()[path].query(cls, {}, sort=["objectId"]).records
    want = without(app.imported.query(cls, {}, sort=["objectId"]).records, LEFT_OUT.get(path, set()))
    if path in NAME_ONLY_FILES:
        want = no_file_url(want)
    assert got == want


# --- queries --------------------------------------------------------------------------------


K01 = {"__type": "Pointer", "className": "Kit", "objectId": "k01"}
QUERIES: list[tuple[str, str, dict[str, Any], str]] = [
    # (id, class, where, order)
    ("all-by-s", "Kit", {}, "s"),
    ("empty-string", "Kit", {"s": ""}, ""),
    ("string-gt", "Kit", {"s": {"$gt": "Z"}}, "s"),
    ("astral-regex", "Kit", {"s": {"$regex": "𝄞"}}, ""),
    ("control-regex", "Kit", {"s": {"$regex": "\t\u0001"}}, ""),
    ("regex-i", "Kit", {"s": {"$regex": "^H.LLO", "$options": "i"}}, ""),
    ("zero", "Kit", {"n": 0}, ""),
    ("huge", "Kit", {"n": {"$gt": 1e300}}, ""),
    ("tiny", "Kit", {"n": {"$gt": 0, "$lt": 1e-299}}, ""),
    ("past-2-53", "Kit", {"n": 2**53}, ""),
    ("order-n", "Kit", {"n": {"$exists": True}}, "-n"),
    ("bool", "Kit", {"b": True}, ""),
    ("bool-ne", "Kit", {"b": {"$ne": True}}, ""),
    ("unset-to-null", "Kit", {"b": {"$exists": False}}, ""),
    ("deleted-op", "Kit", {"n": None}, ""),
    ("year-1", "Kit", {"d": {"$lt": fd.date("1000-01-01T00:00:00.000Z")}}, ""),
    ("year-9999", "Kit", {"d": {"$gt": fd.date("9999-12-31T23:59:59.998Z")}}, ""),
    ("ms", "Kit", {"d": {"$gte": fd.date("2024-02-29T23:59:59.999Z"), "$lt": fd.date("2024-03-01T00:00:00.000Z")}}, ""),
    ("order-d", "Kit", {"d": {"$exists": True}}, "d"),
    ("object-key", "Kit", {"o.u": "é"}, ""),
    ("object-deep", "Kit", {"o.a.b.c.d": 1}, ""),
    ("object-number", "Kit", {"o.v": {"$gt": 5}}, ""),
    ("object-exists", "Kit", {"o": {"$exists": True}}, ""),
    ("array-elem", "Kit", {"a": "x"}, ""),
    ("array-in", "Kit", {"a": {"$in": [2.5, "nope"]}}, ""),
    ("array-all", "Kit", {"a": {"$all": ["x", 1, True]}}, ""),
    ("array-pointer", "Kit", {"a": fd.pointer("_User", "ub2")}, ""),
    ("array-nin", "Kit", {"a": {"$nin": ["x"]}}, ""),
    ("pointer", "Kit", {"p": fd.pointer("_User", "ua1")}, ""),
    ("pointer-dangling", "Kit", {"p": fd.pointer("_User", "nobody")}, ""),
    ("pointer-deleted", "Kit", {"k": {"$in": [fd.pointer("Kit", "k99"), K01]}}, ""),
    ("pointer-exists", "Kit", {"k": {"$exists": True}}, ""),
    ("in-query", "Kit", {"p": {"$inQuery": {"where": {"username": "ada"}, "className": "_User"}}}, ""),
    ("not-in-query", "Kit", {"k": {"$notInQuery": {"where": {"s": "alpha"}, "className": "Kit"}}}, ""),
    ("relation-points", "Kit", {"rel": fd.pointer("_User", "ub2")}, ""),
    ("related-to", "_User", {"$relatedTo": {"object": K01, "key": "rel"}}, ""),
    ("role-users", "_User", {"$relatedTo": {"object": {"__type": "Pointer", "className": "_Role", "objectId": "ro1"}, "key": "users"}}, ""),
    ("near-antimeridian", "Kit", {"g": {"$nearSphere": fd.geo(0.5, 180), "$maxDistanceInKilometers": 1}}, ""),
    ("near-pole", "Kit", {"g": {"$nearSphere": fd.geo(89.99, 0), "$maxDistanceInKilometers": 10}}, ""),
    ("box", "Kit", {"g": {"$within": {"$box": [fd.geo(0, 179), fd.geo(1, 180)]}}}, ""),
    ("sphere-south", "Kit", {"g": {"$geoWithin": {"$centerSphere": [[0, -90], 0.01]}}}, ""),
    ("default-value", "Kit", {"cnt": 5}, ""),
    ("required-default", "Kit", {"req": "dflt"}, ""),
    ("or", "Kit", {"$or": [{"s": "alpha"}, {"n": {"$lt": 0}}, {"b": True}]}, "-s"),
    ("user-field", "_User", {"nick": {"$regex": "^B"}}, ""),
    ("user-email", "_User", {"email": {"$exists": True}}, "-username"),
    ("role", "_Role", {"name": "Admin"}, ""),
    ("object-date-gt", "Kit", {"o.when": {"$gt": fd.date("2024-01-01T00:00:00.000Z")}}, ""),
    ("object-date-eq", "Kit", {"o.when": fd.date("2024-01-01T00:00:00.123Z")}, ""),
    ("array-date", "Kit", {"a": fd.date("2024-05-06T07:08:09.123Z")}, ""),
    ("array-date-in", "Kit", {"a": {"$in": [fd.date("1970-01-01T00:00:00.001Z")]}}, ""),
    ("array-date-gt", "Kit", {"a": {"$gt": fd.date("1999-01-01T00:00:00.000Z")}}, ""),
    ("array-nested-eq", "Kit", {"a": {"$eq": [[fd.date("2024-01-01T00:00:00.000Z")]]}}, ""),
    ("object-null-inside", "Kit", {"o.deep.x": [1, {"y": None}]}, ""),
    ("neg-zero", "Kit", {"n": {"$lte": -0.0}}, ""),
    ("order-created", "Kit", {}, "-createdAt"),
    ("contained-by", "Kit", {"a": {"$containedBy": [[1, [2]], "x", 1, 2.5, True, None, {"k": "v"}]}}, ""),
    ("astral-in", "Kit", {"s": {"$in": ["🎉", ""]}}, ""),
    ("empty-regex", "Kit", {"s": {"$regex": "^$"}}, ""),
    ("pointer-ne", "Kit", {"p": {"$ne": fd.pointer("_User", "ua1")}}, ""),
    ("pointer-nin", "Kit", {"k": {"$nin": [K01]}}, ""),
    ("bool-in-null", "Kit", {"b": {"$in": [False, None]}}, ""),
    ("date-missing", "Kit", {"d": {"$exists": False}}, ""),
    ("ids", "Kit", {"objectId": {"$in": ["k01", "k99", "k05"]}}, "-objectId"),
    ("regex-i-accent", "Kit", {"s": {"$regex": "WÖRLD", "$options": "i"}}, ""),
    ("regex-dot-astral", "Kit", {"s": {"$regex": "^.$"}}, ""),
    ("regex-word", "Kit", {"s": {"$regex": "^\\w+ "}}, ""),
    ("regex-space-tab", "Kit", {"s": {"$regex": "d\\s\\x01"}}, ""),
    ("regex-class-astral", "Kit", {"s": {"$regex": "[\U0001F300-\U0001F3FF]"}}, ""),
    ("text-accent", "Kit", {"s": {"$text": {"$search": {"$term": "hello"}}}}, ""),
    ("text-exact", "Kit", {"s": {"$text": {"$search": {"$term": "wörld"}}}}, ""),
    ("text-case", "Kit", {"s": {"$text": {"$search": {"$term": "ZETA", "$caseSensitive": True}}}}, ""),
    ("poly-intersects", "Kit", {"poly": {"$geoIntersects": {"$point": fd.geo(0.5, 0.5)}}}, ""),
    ("file-exists", "Kit", {"f": {"$exists": True}}, ""),
    ("bytes-exists", "Kit", {"by": {"$exists": True}}, ""),
    ("file-eq", "Kit", {"f": {"__type": "File", "name": "abc_pic.png"}}, ""),
    ("file-ne", "Kit", {"f": {"$ne": {"__type": "File", "name": "abc_pic.png"}}}, ""),
    ("bytes-eq", "Kit", {"by": {"__type": "Bytes", "base64": "aGVsbG8="}}, ""),
    ("string-lt-astral", "Kit", {"s": {"$lt": "\uffff"}}, "-s"),
    ("select", "Kit", {"s": {"$select": {"query": {"className": "_User", "where": {}}, "key": "email"}}}, ""),
    ("dont-select", "_User", {"username": {"$dontSelect": {"query": {"className": "_User", "where": {"nick": "ADA"}}, "key": "username"}}}, ""),
    ("user-pointer-path", "Kit", {"p.username": "ada"}, ""),
    ("relation-exists", "Kit", {"rel": {"$exists": True}}, ""),
    ("order-pointer", "Kit", {}, "-p"),
    ("order-bool", "Kit", {}, "b"),
    ("order-two", "Kit", {}, "-cnt,s"),
    ("order-object-number", "Kit", {}, "o.v"),
    ("order-object-number-desc", "Kit", {}, "-o.v"),
    ("order-object-date", "Kit", {}, "o.when"),
    ("order-object-mixed", "Kit", {}, "-o.n"),
    ("order-string-desc", "Kit", {}, "-s"),
    ("order-updated", "Kit", {"updatedAt": {"$gt": fd.date("2000-01-01T00:00:00.000Z")}}, "updatedAt"),
    ("object-digit-key", "Kit", {"o.0": "zero"}, ""),
    ("object-digit-key-array", "Kit", {"o.1.0": 10}, ""),
    ("object-digit-key-array-in", "Kit", {"o.1": 11}, ""),
    ("object-typed-inside", "Kit", {"o.t.x": 1}, ""),
    ("object-null-key", "Kit", {"o.nul": None}, ""),
    ("object-null-key-exists", "Kit", {"o.nul": {"$exists": True}}, ""),
    ("object-array-of-objects", "Kit", {"o.a.b": 2}, ""),
    ("object-array-index", "Kit", {"o.a.1.b": 2}, ""),
    ("odd-id", "Kit", {"objectId": "k$ö 8:x"}, ""),
    ("pointer-to-odd-id", "Kit", {"k": fd.pointer("Kit", "k$ö 8:x")}, ""),
    ("pointer-to-odd-id-query", "Kit", {"k": {"$inQuery": {"where": {"s": "odd id"}, "className": "Kit"}}}, ""),
    ("many-related", "Item", {"$relatedTo": {"object": {"__type": "Pointer", "className": "Shelf", "objectId": "s1"}, "key": "items"},
                              "j": {"$gte": 1095}}, ""),
    ("many-owner", "Shelf", {"items": fd.pointer("Item", "i1099")}, ""),
    ("many-empty", "Shelf", {"items": fd.pointer("Item", "i0007")}, ""),
    ("box-edge", "Kit", {"g": {"$within": {"$box": [fd.geo(0, 179), fd.geo(90, 180)]}}}, ""),
    ("box-corner", "Kit", {"g": {"$within": {"$box": [fd.geo(-90, -180), fd.geo(-89, -179)]}}}, ""),
    ("box-across", "Kit", {"g": {"$within": {"$box": [fd.geo(0, 179), fd.geo(1, -179)]}}}, ""),
    ("polygon-vertex", "Kit", {"g": {"$geoWithin": {"$polygon": [fd.geo(90, 180), fd.geo(80, 170), fd.geo(80, 180)]}}}, ""),
    ("polygon-edge", "Kit", {"g": {"$geoWithin": {"$polygon": [fd.geo(0, 179.999999), fd.geo(1, 179.999999), fd.geo(1, 179), fd.geo(0, 179)]}}}, ""),
    ("polygon-wide", "Kit", {"g": {"$geoWithin": {"$polygon": [fd.geo(-10, -179.9999999), fd.geo(10, -179.9999999), fd.geo(10, 179.9999999), fd.geo(-10, 179.9999999)]}}}, ""),
    ("poly-intersects-vertex", "Kit", {"poly": {"$geoIntersects": {"$point": fd.geo(1, 1)}}}, ""),
    ("poly-intersects-edge", "Kit", {"poly": {"$geoIntersects": {"$point": fd.geo(0.5, 0)}}}, ""),
    ("poly-intersects-out", "Kit", {"poly": {"$geoIntersects": {"$point": fd.geo(1.5, 0.5)}}}, ""),
]

# Where Parse on PostgreSQL answers otherwise than docs/semantics.md (MongoDB's meaning), and why.
PARSE_DEVIATES = {
    "array-elem": "a scalar compared with a jsonb Array column is invalid jsonb: HTTP 500",
    "array-date": "a Date compared with a jsonb Array column: HTTP 500",
    "array-date-gt": "a range on a jsonb Array column: HTTP 500",
    "array-nested-eq": "equality with an Array holding a Date: HTTP 500",
    "array-nin": "NOT array_contains(...) is NULL for a record without the Array: left out",
    "contained-by": "jsonb <@ is NULL for a record without the Array: left out",
    "not-in-query": "NOT IN is NULL for a record without the Pointer: left out",
    "pointer-nin": "NOT IN is NULL for a record without the Pointer: left out",
    "bool-in-null": "a null in $in does not match a record without the field",
    "object-date-eq": "a sub-field is compared as text with the Date's JSON: no match",
    "user-pointer-path": "a dot path through a Pointer reads the pointer column as JSON: HTTP 500",
    "regex-i-accent": "~* folds case by the database's ctype, which leaves Ö and ö apart here",
    "text-accent": "to_tsvector('english') keeps diacritics; MongoDB's $text ignores them unless asked",
    "text-case": "$caseSensitive is refused (107) on PostgreSQL",
    "relation-exists": "a Relation has no column: $exists on it matches nothing",
    "object-digit-key": "a digit step is read as an Array index, never as an Object's key",
    "object-digit-key-array": "a digit step is read as an Array index, never as an Object's key",
    "object-digit-key-array-in": "a digit step is read as an Array index, never as an Object's key",
    "object-array-of-objects": "a dot path does not reach into the Objects of an Array",
    **dict.fromkeys(["file-eq", "file-ne", "bytes-eq"], "a File or Bytes operand: \"Postgres doesn't support this query type yet\""),
    **dict.fromkeys(["all-by-s", "order-two", "order-string-desc", "order-pointer", "order-bool", "order-object-number", "order-object-number-desc", "order-object-date",
                     "order-object-mixed"], "PostgreSQL's NULL order: absent values last ascending, first descending"),
}
# Parse's $nearSphere and $centerSphere call PostGIS's ST_DistanceSphere: on a database without
# PostGIS (as the tests' cluster is) Parse answers them with an internal error.
NEEDS_POSTGIS = {"near-antimeridian", "near-pole", "sphere-south"}
# Where a path cannot answer as the others do, and why (docs/importing.md, docs/parse-in-place.md).
NO_EDGES = "a Dashboard export holds no Relation edges"
CANNOT = {
    **{(q, "dashboard"): NO_EDGES for q in ("relation-points", "related-to", "role-users", "relation-exists", "many-related",
                                            "many-owner", "many-empty")},
}


def parse_ids(app: App, cls: str, where: dict[str, Any], order: str) -> list[str] | str:
    """Parse's ids, checked against its own count; or its error."""
    params = {"where": json.dumps(where), "limit": 1000, "order": ",".join([*filter(None, [order]), "objectId"]), "count": 1}
    try:
        out = app.server.request("GET", f"/classes/{cls}?" + urllib.parse.urlencode(params))
    except RuntimeError as exc:  # Parse answers some queries with an error (a deviation)
        return str(exc)
    ids = [r["objectId"] for r in out["results"]]
    if where:  # (an empty where counts PostgreSQL's estimate)
        assert out["count"] == len(ids)
    return ids


@pytest.mark.parametrize(("qid", "cls", "where", "order"), QUERIES, ids=[q[0] for q in QUERIES])
def test_queries_answer_the_same(app: App, qid: str, cls: str, where: dict[str, Any], order: str) -> None:
    got: dict[str, list[str] | None] = {}
    for name, db in app.paths().items():
        try:
            got[name] = find(db, cls, where, order=[*filter(None, [order]), "objectId"], limit=1000).ids
        except QueryError:
            got[name] = None
    for name in [name for name in got if (qid, name) in CANNOT]:
        assert got.pop(name) != got["imported"], f"{name} answers {qid} as the others do: not {CANNOT[qid, name]!r}"
    assert len({tuple(ids or ()) for ids in got.values()}) == 1 and None not in got.values(), got
    counts = {name: find(db, cls, where, limit=0, count=True).count for name, db in app.paths().items() if name in got}
    assert set(counts.values()) == {len(got["imported"] or ())}, counts
    ref = app.imported.reference(cls, where_to_filter(where),
                                 sort=[*filter(None, [order]), "objectId"], limit=1000)  # fmt: skip
    assert ref.ids == got["imported"]
    parse = parse_ids(app, cls, where, order)
    if qid in NEEDS_POSTGIS:
        assert "HTTP 500" in parse
    elif qid in PARSE_DEVIATES:
        assert parse != got["imported"], f"listed as a deviation, yet Parse agrees: {qid}"
    else:
        assert parse == got["imported"]


def as_held(record: dict[str, Any], path: str) -> dict[str, Any]:
    """A record of the import from the server, and the records included in it, as ``path``
    holds them (LEFT_OUT, NAME_ONLY_FILES)."""
    out = {}
    for k, v in record.items():
        if k in LEFT_OUT.get(path, set()):
            continue
        if isinstance(v, dict) and v.get("__type") == "Object":
            v = as_held(v, path)
        elif k == "f" and path in NAME_ONLY_FILES:
            v = {"__type": "File", "name": v["name"]}
        out[k] = v
    return out


@pytest.mark.parametrize("path", ["in place", "imported into PostgreSQL", "dashboard", "mongo"])
@pytest.mark.parametrize(("include", "keys"), [("p,k", "p,k"), ("k.k,k.p", "k.k,k.p,k.s")])
def test_included_records_are_the_same(app: App, path: str, include: str, keys: str) -> None:
    """A pointed-to record comes with what its path holds of it, through two hops too (a
    dangling pointer stays a pointer)."""
    want = [as_held(r, path) for r in find(app.imported, "Kit", {}, order="objectId", include=include, keys=keys).records]
    assert find(app.paths()[path], "Kit", {}, order="objectId", include=include, keys=keys).records == want


def test_class_level_permissions_are_said_left_out(app: App) -> None:
    """Kit lets only role:Admin create and update, no one delete or add fields, and hides s from
    every client; querylang keeps no class-level permissions, so serve would show s to anyone
    and answer by its own rules: the imports that read them say so, as they say field options
    are left out (they were dropped without a word). Parse's defaults say nothing."""
    for report in (app.imported_report, app.mongo_report):
        notes = [n for n in report.notes if "class-level permissions" in n]
        assert notes == ["class Kit: Parse's class-level permissions left out, as querylang keeps none (querylang serve "
                         "answers by its own rules, and hides no field they protect): create, update, delete, addField, "
                         "protectedFields (s)"], report.notes  # fmt: skip


def fields_of(db: querylang.Database, cls: str) -> dict[str, tuple[str, str | None]]:
    return {f.name: (f.type, f.target) for f in db.schema.get(cls).fields.values()}


# What a Dashboard export cannot know: a field no exported record holds a value of.
NO_VALUES = {"_User": {"emailVerified"}, "Item": {"ACL"}, "Shelf": {"ACL"}}


@pytest.mark.parametrize("path", ["in place", "imported into PostgreSQL", "dashboard", "parse.com", "mongo", "mongo canonical",
                                  "mongo v1"])  # fmt: skip
@pytest.mark.parametrize("cls", fd.CLASSES)
def test_schemas_are_the_same(app: App, cls: str, path: str) -> None:
    drop = LEFT_OUT.get(path, set()) | (NO_VALUES.get(cls, set()) if path in ("dashboard", "parse.com") else set())
    want = {k: v for k, v in fields_of(app.imported, cls).items() if k not in drop}
    assert fields_of(app.paths()[path], cls) == want


@pytest.mark.parametrize("path", ["imported", "in place", "imported into PostgreSQL", "dashboard", "mongo"])
def test_serve_answers_as_parse_does(app: App, path: str) -> None:
    """querylang serve over each path answers the master key's find with Parse's own records
    (values equal; what a path cannot hold left out, as above)."""
    from ..server.live import APP_ID, MASTER_KEY, http_client, start

    keys = {"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY}
    srv = start(app.paths()[path])
    try:
        with http_client() as client:
            for cls in fd.CLASSES:
                got = client.get(f"{srv.url}/classes/{cls}", params={"order": "objectId", "limit": 5000}, headers=keys).json()
                want = without(app.back[cls], LEFT_OUT.get(path, set()) | SENSITIVE_FIELDS)
                assert got["results"] == (no_file_url(want) if path in NAME_ONLY_FILES else want), cls
    finally:
        srv.stop()


def test_explicit_nulls_of_parse_on_mongodb_agree(app: App, tmp_path: Path) -> None:
    """Parse on MongoDB keeps an update to null as a null (REST there answers "b": null) and a
    Pointer created null under its plain key: a mongoexport and a Dashboard export of such an
    app import the same records, and queries on them agree (docs/semantics.md: a stored null
    does not exist, and equals null)."""
    back = copy.deepcopy(app.back)
    for rec in back["Kit"]:
        if rec["objectId"] == "k05":
            rec.update(b=None, p=None, o={"x": None})
    mongo, dashboard = querylang.connect(), querylang.connect()
    mongo.import_mongo_export(fd.write_mongo(tmp_path / "mongo", back))
    dashboard.import_dashboard_export(fd.write_dashboard(tmp_path / "dashboard", back))
    k05 = [r for r in mongo.query("Kit", {}).records if r["objectId"] == "k05"]
    assert k05 and {k: k05[0][k] for k in ("b", "p", "o")} == {"b": None, "p": None, "o": {"x": None}}
    assert mongo.query("Kit", {}, sort=["objectId"]).records == no_file_url(dashboard.query("Kit", {}, sort=["objectId"]).records)
    odd = "k$ö 8:x"
    for where, ids in (({"b": None}, [odd, "k03", "k05", "k06", "k07"]), ({"b": {"$exists": True}}, ["k01", "k02", "k04"]),
                       ({"p": {"$exists": False}}, [odd, "k03", "k04", "k05", "k06", "k07"]),
                       ({"o.x": None}, [odd, "k01", "k02", "k03", "k04", "k05", "k06", "k07"]), ({"o.x": {"$exists": True}}, [])):  # fmt: skip
        assert find(mongo, "Kit", where, order="objectId").ids == find(dashboard, "Kit", where, order="objectId").ids == ids, where


@pytest.mark.parametrize("path", ["imported", "imported into PostgreSQL", "mongo", "mongo canonical", "mongo v1"])
def test_config_is_the_same(app: App, path: str) -> None:
    """Parse's config, read from GET /config or _GlobalConfig.json, and served again at /config."""
    from ..server.live import APP_ID, MASTER_KEY, http_client, start

    assert app.back["config"]["params"]["when"] == fd.CONFIG_PARAMS["when"]  # REST answers it as written
    (record,) = app.paths()[path].query("Parse_GlobalConfig", {}).records
    assert (record["params"], record["masterKeyOnly"]) == (app.back["config"]["params"], app.back["config"]["masterKeyOnly"])
    srv = start(app.paths()[path])
    try:
        with http_client() as client:
            served = client.get(f"{srv.url}/config", headers={"X-Parse-Application-Id": APP_ID, "X-Parse-Master-Key": MASTER_KEY})
            assert served.json() == app.back["config"]
    finally:
        srv.stop()

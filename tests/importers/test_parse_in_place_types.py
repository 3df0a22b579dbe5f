"""Polygon, File and Bytes fields of Parse's own tables, queried in place: the same records and
the same answers as an import of the same app from the server (docs/parse-in-place.md, "What
is read"), on a real Parse Server 9 over PostgreSQL. In place a File holds its name only, as
Parse stores it (the URL Parse rebuilds from its configuration is not in the table), as a
mongoexport holds it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import psycopg
import pytest

import querylang
from querylang.errors import QueryError
from querylang.frontends.parse_rest import find

from ..pg import parse_server
from .conftest import cli_main as main

KEYS = {"app_id": "querylang-bench", "master_key": "querylang-bench-master"}
FIELDS = {"s": {"type": "String"}, "poly": {"type": "Polygon"}, "f": {"type": "File"}, "by": {"type": "Bytes"}}


def _poly(*pairs: tuple[float, float]) -> dict[str, Any]:
    return {"__type": "Polygon", "coordinates": [list(p) for p in pairs]}


def _file(name: str) -> dict[str, str]:
    return {"__type": "File", "name": name, "url": f"http://elsewhere/{name}"}


def _bytes(b64: str) -> dict[str, str]:
    return {"__type": "Bytes", "base64": b64}


SHAPES = [
    {"objectId": "sh1", "s": "square", "poly": _poly((0, 0), (0, 1), (1, 1), (1, 0)), "f": _file("a.png"), "by": _bytes("aGVsbG8=")},
    {"objectId": "sh2", "s": "triangle", "poly": _poly((10, 10), (20, 10), (10, 20)), "f": _file("b é.txt"), "by": _bytes("AAE=")},
    {"objectId": "sh3", "s": "nothing"},
    # A ring given closed, with fractions: Parse keeps it as given.
    {"objectId": "sh4", "s": "closed", "poly": _poly((-0.5, -0.25), (-0.5, 0.75), (0.125, 0.75), (-0.5, -0.25)),
     "f": _file("a.png"), "by": _bytes("aGVsbG8=")},
]  # fmt: skip


class App:
    def __init__(self, pg: Any, server: Any) -> None:
        self.pg, self.server = pg, server
        self.in_place = querylang.connect(pg.uri, layout="parse")
        self.imported = querylang.connect()
        self.imported.import_parse_server(f"http://127.0.0.1:{server.port}{server.mount}", **KEYS)


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    with parse_server() as (pg, server):
        server.request("POST", "/schemas/Shape", {"className": "Shape", "fields": FIELDS})
        server.request("POST", "/schemas/Holder", {"className": "Holder",
                                                    "fields": {"shape": {"type": "Pointer", "targetClass": "Shape"}}})
        for rec in SHAPES:
            server.request("POST", "/classes/Shape", rec)
        server.request("POST", "/classes/Holder", {"objectId": "h1", "shape": {"__type": "Pointer", "className": "Shape",
                                                                               "objectId": "sh1"}})
        # A class of rows written by hand (test_a_cell_querylang_cannot_hold_names_its_place).
        server.request("POST", "/schemas/Edited", {"className": "Edited", "fields": FIELDS})
        # _User holds secrets, so its rows are read through querylang's own layout's columns.
        server.request("POST", "/classes/_User", {"objectId": "u1", "username": "ada", "password": "pw", **{
            k: SHAPES[1][k] for k in ("poly", "f", "by")}})
        server.request("POST", "/classes/_User", {"objectId": "u2", "username": "bob", "password": "pw"})
        a = App(pg, server)
        yield a
        a.in_place.close()


def name_only(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The import's records as Parse's table holds them: each File its name only, no ACL (in
    place ACLs are not read), an included record alike."""
    def held(v: Any) -> Any:
        if isinstance(v, dict) and v.get("__type") == "File":
            return {"__type": "File", "name": v["name"]}
        if isinstance(v, dict) and v.get("__type") == "Object":
            return name_only([v])[0]
        return v

    return [{k: held(v) for k, v in r.items() if k != "ACL"} for r in records]


def test_parse_stores_them_as_documented(app: App) -> None:
    """PARSE-STORAGE.md A.2: a polygon of (lng, lat) points, ring closed; a File's name; Bytes' REST object."""
    with psycopg.connect(app.pg.uri) as con:
        types = dict(con.execute("SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                                 "WHERE attrelid = '\"Shape\"'::regclass AND attname IN ('poly', 'f', 'by')").fetchall())
        row = con.execute('SELECT poly::text, f, by FROM "Shape" WHERE "objectId" = \'sh1\'').fetchone()
    assert types == {"poly": "polygon", "f": "text", "by": "jsonb"}
    assert row == ("((0,0),(1,0),(1,1),(0,1),(0,0))", "a.png", {"__type": "Bytes", "base64": "aGVsbG8="})


def test_schema_holds_them_and_no_note_leaves_them_out(app: App) -> None:
    fields = {f.name: f.type for f in app.in_place.schema.get("Shape").user_fields}
    # (the import keeps the ACL Parse gave a record; in place ACLs are not read)
    assert fields == {f.name: f.type for f in app.imported.schema.get("Shape").user_fields if f.name != "ACL"}
    assert {fields[k] for k in ("poly", "f", "by")} == {"Polygon", "File", "Bytes"}
    assert not [n for n in app.in_place.notes if "Shape" in n or "queryable in place" in n], app.in_place.notes


def test_records_are_the_imports(app: App) -> None:
    want = name_only(app.imported.query("Shape", {}, sort=["objectId"]).records)
    assert app.in_place.query("Shape", {}, sort=["objectId"]).records == want
    assert want[0]["poly"]["coordinates"][-1] == want[0]["poly"]["coordinates"][0]  # REST answers the ring closed
    assert app.in_place.reference("Shape", {}, sort=["objectId"]).records == want
    with closing(app.in_place.stream("Shape", {}, sort=["objectId"])) as records:
        assert list(records) == want


WHERES: list[dict[str, Any]] = [
    {"poly": {"$exists": True}}, {"f": {"$exists": False}}, {"by": {"$exists": True}},
    {"f": {"__type": "File", "name": "a.png"}}, {"f": {"$ne": {"__type": "File", "name": "a.png"}}},
    {"f": {"$in": [{"__type": "File", "name": "b é.txt"}]}}, {"f": {"$nin": [{"__type": "File", "name": "b é.txt"}]}},
    {"by": {"__type": "Bytes", "base64": "AAE="}}, {"by": {"$ne": {"__type": "Bytes", "base64": "AAE="}}},
    {"by": {"$in": [{"__type": "Bytes", "base64": "aGVsbG8="}]}},
    *({"poly": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": lat, "longitude": lng}}}}
      for lat, lng in ((0.5, 0.5), (1, 1), (0.5, 0), (1.5, 0.5), (12, 12), (0, 0), (-0.25, -0.5), (0.75, 0.125), (20, 10))),
]  # fmt: skip


@pytest.mark.parametrize("where", WHERES, ids=[json.dumps(w) for w in WHERES])
def test_queries_answer_as_the_import(app: App, where: dict[str, Any]) -> None:
    want = find(app.imported, "Shape", where, order="objectId", count=True)
    got = find(app.in_place, "Shape", where, order="objectId", count=True)
    assert (got.ids, got.count) == (want.ids, want.count)
    assert app.in_place.reference("Shape", where_filter(where), sort=["objectId"]).ids == want.ids
    assert app.in_place.count("Shape", where_filter(where)) == want.count


def where_filter(where: dict[str, Any]) -> dict[str, Any]:
    from querylang.frontends.parse_rest import where_to_filter

    return where_to_filter(where)


@pytest.mark.parametrize("order", ["poly", "f", "-by"])
def test_sorts_are_refused_alike(app: App, order: str) -> None:
    said = []
    for db in (app.imported, app.in_place):
        with pytest.raises(QueryError) as err:
            find(db, "Shape", {}, order=order)
        said.append(str(err.value))
    assert said[0] == said[1]


def test_select_and_include_shapes(app: App) -> None:
    for kw in ({"keys": "f,poly"}, {"keys": "by"}):
        want = name_only(find(app.imported, "Shape", {}, order="objectId", **kw).records)
        assert find(app.in_place, "Shape", {}, order="objectId", **kw).records == want
    want = name_only(find(app.imported, "Holder", {}, include="shape").records)
    assert find(app.in_place, "Holder", {}, include="shape").records == want
    assert want[0]["shape"]["by"] == {"__type": "Bytes", "base64": "aGVsbG8="}


def test_distinct_and_aggregate_as_the_import(app: App) -> None:
    for field in ("f", "by", "poly"):
        outcome = []
        for db in (app.imported, app.in_place):
            try:
                outcome.append(db.distinct("Shape", field, {}))
            except QueryError as exc:
                outcome.append(str(exc))
        assert outcome[0] == outcome[1], field
    for agg in ({"Most": {"max": "f"}}, {"Few": {"min": "by"}}):
        outcome = []
        for db in (app.imported, app.in_place):
            try:
                outcome.append(db.aggregate("Shape", agg, {}))
            except QueryError as exc:
                outcome.append(str(exc))
        assert outcome[0] == outcome[1], agg


def test_the_command_line_reads_them(app: App) -> None:
    from click.testing import CliRunner

    out = CliRunner().invoke(main, ["query", "Shape", "where({ f: { exists: true } })", "--db", app.pg.uri,
                                    "--layout", "parse", "--format", "jsonl"])
    assert out.exit_code == 0, out.output
    got = [json.loads(line) for line in out.output.splitlines() if line.strip()]
    want = name_only(app.imported.query("Shape", {"f": {"exists": True}}).records)
    assert sorted(got, key=lambda r: r["objectId"]) == sorted(want, key=lambda r: r["objectId"])


def test_a_class_with_secrets_reads_them_alike(app: App) -> None:
    """_User's rows are read column by column (its secrets are not read), not whole."""
    user = app.in_place.schema.get("Parse_User") if "Parse_User" in app.in_place.schema.classes else app.in_place.schema.get("_User")
    want = name_only(app.imported.query(user.name, {}, sort=["objectId"]).records)
    assert want[0]["poly"]["coordinates"][0] == [10, 10]
    assert app.in_place.query(user.name, {}, sort=["objectId"]).records == want
    where = {"poly": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": 15, "longitude": 12}}}, "f": {"$exists": True}}
    assert find(app.in_place, user.name, where).ids == find(app.imported, user.name, where).ids == ["u1"]


@pytest.fixture()
def edited(app: App) -> Iterator[psycopg.Connection[Any]]:
    """A class whose rows a hand edit (or another tool) wrote, as Parse Server would not."""
    with psycopg.connect(app.pg.uri, autocommit=True) as con:
        yield con
        con.execute('DELETE FROM "Edited"')


def _edited_row(con: psycopg.Connection[Any], **cells: Any) -> None:
    cols = ", ".join(f'"{k}"' for k in ("objectId", "createdAt", "updatedAt", *cells))
    con.execute(f'INSERT INTO "Edited" ({cols}) VALUES (%s, now(), now(){", %s" * len(cells)})',
                ["e1", *(psycopg.types.json.Jsonb(v) if k == "by" else v for k, v in cells.items())])


def test_an_open_ring_is_closed_as_the_reference_closes_it(app: App, edited: psycopg.Connection[Any]) -> None:
    _edited_row(edited, poly="((0,0),(1,0),(1,1),(0,1))")
    app.in_place.clear_cache()  # the reference's copy of the data, read before the edit
    (record,) = app.in_place.query("Edited", {}).records
    assert record["poly"]["coordinates"] == [[0, 0], [0, 1], [1, 1], [1, 0]]  # as stored, as Parse's REST answers it
    for lat, lng, ids in ((0.5, 0, ["e1"]), (0.5, -0.001, []), (0.5, 0.5, ["e1"])):  # (lat 0.5, lng 0): on the closing edge
        where = {"poly": {"polygonContains": {"latitude": lat, "longitude": lng}}}
        assert app.in_place.query("Edited", where).ids == app.in_place.reference("Edited", where).ids == ids, (lat, lng)


# Rings as a hand edit or another tool may write them (Parse writes a simple ring, closed once).
ODD_RINGS = {
    "open": "((0,0),(1,0),(1,1),(0,1))", "closed_twice": "((0,0),(1,0),(1,1),(0,1),(0,0),(0,0))",
    "repeated": "((0,0),(1,0),(1,0),(1,1),(1,1),(0,1))", "bowtie": "((0,0),(2,2),(2,0),(0,2))",
    "self_touching": "((0,0),(2,0),(1,1),(2,2),(0,2),(1,1))", "antimeridian": "((179,-10),(180,-10),(180,10),(179,10))",
    "world": "((-180,-10),(180,-10),(180,10),(-180,10))", "pole": "((-180,90),(180,90),(180,80),(-180,80))",
    "tiny": "((0,0),(1e-100,0),(1e-100,1e-100),(0,1e-100))", "fractions": "((0.1,0.2),(0.30000000000000004,0.2),(0.3,0.7))",
}  # fmt: skip


def test_odd_rings_answer_as_the_reference(app: App, edited: psycopg.Connection[Any]) -> None:
    """polygonContains on each ring's vertices, edges, inside and outside, in place and by
    db.reference (which reads the same rows, closing each ring as geo.polygon_ring does)."""
    for oid, ring in ODD_RINGS.items():
        edited.execute('INSERT INTO "Edited" ("objectId", "createdAt", "updatedAt", poly) VALUES (%s, now(), now(), %s)', [oid, ring])
    app.in_place.clear_cache()
    coords = [0, 1, 0.5, 2, 1e-100, 5e-101, -10, 10, 179, 180, -180, 90, 85, 0.2, 0.3, 0.30000000000000004, 0.7]
    for lat in coords:
        for lng in coords:
            if abs(lat) <= 90:
                where = {"poly": {"polygonContains": {"latitude": lat, "longitude": lng}}}
                want = app.in_place.reference("Edited", where, sort=["objectId"]).ids
                assert app.in_place.query("Edited", where, sort=["objectId"]).ids == want, (lat, lng)
    inside = {"poly": {"polygonContains": {"latitude": 0.5, "longitude": 0.5}}}
    assert app.in_place.query("Edited", inside, sort=["objectId"]).ids == ["bowtie", "closed_twice", "open", "repeated",
                                                                           "self_touching", "world"]


@pytest.mark.parametrize(("cells", "said"), [
    ({"poly": "((0,0),(1,1))"}, "a Polygon needs at least 3 different points"),
    ({"poly": "((0,0),(1,100),(1,1))"}, "Polygon point #1 out of range"),
    ({"f": ""}, "a File needs a name"),
    ({"by": {"__type": "Bytes", "base64": "not base64!"}}, "not valid base64"),
    ({"by": {"__type": "Bytes", "base64": ""}}, "must not be empty"),  # a hand edit: Parse refuses it
    ({"by": {"__type": "Bytes", "base64": "!!!!"}}, "not valid base64"),
    ({"by": [1]}, "not {__type: 'Bytes', base64}"),
])  # fmt: skip
def test_a_cell_querylang_cannot_hold_names_its_place(app: App, edited: psycopg.Connection[Any], cells: dict[str, Any],
                                                      said: str) -> None:
    _edited_row(edited, **cells)
    with pytest.raises(QueryError) as err:
        app.in_place.query("Edited", {})
    assert said in str(err.value) and "Edited" in str(err.value) and "e1" in str(err.value), str(err.value)
    assert list(cells)[0] in str(err.value)


@pytest.mark.parametrize("how", ["query", "count", "stream"])
def test_a_polygon_past_range_in_polygon_contains_names_its_place(app: App, edited: psycopg.Connection[Any], how: str) -> None:
    """A polygon a hand edit wrote past a coordinate's range (Parse refuses one) overflowed a
    double in polygonContains' SQL: the query failed with 'the sum is larger than a double
    holds', naming no sum, record or field, where db.reference names the cell."""
    _edited_row(edited, poly="((0,0),(1e300,0),(1e300,1e300))")
    app.in_place.clear_cache()
    where = {"poly": {"polygonContains": {"latitude": 0.1, "longitude": 0.5}}}
    with pytest.raises(QueryError) as err:
        if how == "stream":
            with closing(app.in_place.stream("Edited", where)) as records:
                list(records)
        else:
            getattr(app.in_place, how)("Edited", where)
    said = str(err.value)
    assert "class Edited, record e1, field poly" in said and "Polygon point #1 out of range" in said, said
    with pytest.raises(QueryError) as ref:
        app.in_place.reference("Edited", where)
    assert str(ref.value) == said
    assert app.in_place.count("Edited", {}) == 1  # the connection still serves


# Each spelling Node's Buffer.from reads, and the canonical base64 of the bytes it reads.
SPELLINGS = [("aGVsbG9=", "aGVsbG8="), ("aGVsbG8", "aGVsbG8="), ("aGVsbA", "aGVsbA=="), ("aGVsbG8==", "aGVsbG8="),
             ("aGVsbG8===", "aGVsbG8="), ("-_-_", "+/+/"), ("a-_b+/==", "a+/b+w=="), ("aGVs\nbG8=", "aGVsbG8="),
             ("aGVs bG8=", "aGVsbG8="), ("aGVsbG8=\n", "aGVsbG8="), ("aGVs\r\nbG8", "aGVsbG8="), ("\taGVsbG8=", "aGVsbG8="),
             ("==", ""), (" \n", "")]  # no byte: the empty Bytes (Parse refuses only the empty text)


@pytest.mark.parametrize(("sent", "canonical"), SPELLINGS)
def test_bytes_are_read_and_compared_by_value(app: App, edited: psycopg.Connection[Any], sent: str, canonical: str) -> None:
    """Parse Server on PostgreSQL keeps the base64 its client sent; querylang reads it as the
    bytes Node reads from it, as Parse Server on MongoDB keeps them (MongoDB's meaning): given
    back in canonical base64 and compared by value, in SQL as in the reference. Before, each
    came back as sent and was compared as text ('aGVsbG8' missed equalTo 'aGVsbG8=')."""
    _edited_row(edited, by={"__type": "Bytes", "base64": sent})
    app.in_place.clear_cache()
    assert app.in_place.query("Edited", {}).records[0]["by"] == {"__type": "Bytes", "base64": canonical}
    other = "aGVsbA==" if canonical != "aGVsbA==" else "aGVsbG8="
    for where, ids in (({"by": {"equalTo": {"__type": "Bytes", "base64": sent}}}, ["e1"]),
                       ({"by": {"equalTo": {"__type": "Bytes", "base64": canonical}}}, ["e1"]),
                       ({"by": {"equalTo": canonical.rstrip("=")}}, ["e1"]),
                       ({"by": {"containedIn": [{"__type": "Bytes", "base64": canonical}]}}, ["e1"]),
                       ({"by": {"equalTo": {"__type": "Bytes", "base64": other}}}, []),
                       ({"by": {"notEqualTo": {"__type": "Bytes", "base64": other}}}, ["e1"]),
                       ({"by": {"notContainedIn": [canonical.replace("+", "-").replace("/", "_")]}}, []),
                       ({"by": {"exists": True}}, ["e1"])):
        assert app.in_place.query("Edited", where).ids == app.in_place.reference("Edited", where).ids == ids, where
        assert app.in_place.count("Edited", where) == len(ids), where


@pytest.mark.parametrize("sent", ["!!!!", ""])
def test_a_count_sees_bytes_a_read_refuses(app: App, edited: psycopg.Connection[Any], sent: str) -> None:
    """A count reads no cell (docs/parse-in-place.md): Bytes querylang refuses to read are
    there, as Parse's count sees them, and equal to no Bytes. Read by value in SQL, such a
    cell was NULL: 'exists' counted 0 where Parse counts 1."""
    _edited_row(edited, by={"__type": "Bytes", "base64": sent})
    app.in_place.clear_cache()
    for where, n in (({"by": {"exists": True}}, 1), ({"by": {"exists": False}}, 0),
                     ({"by": {"equalTo": "aGVsbG8="}}, 0), ({"by": {"notEqualTo": "aGVsbG8="}}, 1)):
        assert app.in_place.count("Edited", where) == n, where


def test_polygon_contains_reads_each_ring_once(app: App) -> None:
    """The ring's list, a sub-query pulled up by the planner, was written into every one of the
    edge test's references to it: each row's polygon text was read again per reference, some
    forty times per edge (a polygon of 60 points took seconds over 2,000 rows)."""
    plan = app.in_place.explain("Shape", {"poly": {"polygonContains": {"latitude": 0.5, "longitude": 0.5}}})
    # The text is read in a step of its own (a Subquery Scan), not in the edge tests' filters.
    assert "translate(" not in plan and plan.count("Subquery Scan") == 2, plan


_INSIDE = {"poly": {"polygonContains": {"latitude": 0.5, "longitude": 0.5}}}


@pytest.mark.parametrize(("class_name", "where", "kw"), [
    ("Shape", {"or": [_INSIDE, {"s": {"equalTo": "closed"}}]}, {}),
    ("Shape", {"nor": [_INSIDE]}, {}),
    ("Shape", _INSIDE, {"sort": ["-s"], "limit": 1}),
    ("Holder", {"shape": {"matchesQuery": {"className": "Shape", "where": _INSIDE}}}, {}),
    ("Holder", {"shape": {"doesNotMatchQuery": {"className": "Shape", "where": _INSIDE}}}, {"sort": ["objectId"], "limit": 1}),
])  # fmt: skip
def test_polygon_contains_reads_each_ring_once_in_every_shape(app: App, class_name: str, where: dict[str, Any],
                                                              kw: dict[str, Any]) -> None:
    """The fence that reads each row's ring once holds on the planner for the shapes the
    compiler makes around polygonContains: under or and nor, with a sort and a limit, in a
    sub-query; and the answers are db.reference's."""
    plan = app.in_place.explain(class_name, where, **kw)
    assert "translate(" not in plan and plan.count("Subquery Scan") == 2, plan
    assert app.in_place.query(class_name, where, **kw).ids == app.in_place.reference(class_name, where, **kw).ids


def test_doctor_and_the_table_say_nothing_is_left_out(app: App) -> None:
    """doctor listed Polygon, File and Bytes fields among those that cannot be queried in place;
    the command line's table shows them as it shows an import's."""
    from click.testing import CliRunner

    doctor = CliRunner().invoke(main, ["doctor", "--db", app.pg.uri])
    assert doctor.exit_code == 0, doctor.output
    assert "Shape" not in doctor.output and "queryable" not in doctor.output, doctor.output
    table = CliRunner().invoke(main, ["query", "Shape", "where({ poly: { polygonContains: { latitude: 0.5, longitude: 0.5 } } })",
                                      "--db", app.pg.uri, "--layout", "parse"])
    assert table.exit_code == 0, table.output
    assert "sh1" in table.output and "a.png" in table.output and "sh2" not in table.output, table.output


@pytest.mark.parametrize(("column", "cell", "said"), [
    ("poly", "((0,0),(1,1))", "a Polygon needs at least 3 different points"),
    ("by", '{"__type": "Bytes", "base64": "aGVsbG8!x"}', "not valid base64"),
])  # fmt: skip
def test_a_bad_cell_of_a_class_with_secrets_names_its_place(app: App, column: str, cell: str, said: str) -> None:
    """_User's rows are read column by column (its secrets are not read): a cell querylang
    cannot hold there was shown as it was (a polygon of two points), or as missing (Bytes
    without their padding), where another class's names its place."""
    user = "Parse_User" if "Parse_User" in app.in_place.schema.classes else "_User"
    with psycopg.connect(app.pg.uri, autocommit=True) as con:
        con.execute(f'INSERT INTO "_User" ("objectId", "createdAt", "updatedAt", username, "{column}") '
                    f"VALUES ('u9', now(), now(), 'eve', %s)", [cell])
        try:
            with pytest.raises(QueryError) as err:
                app.in_place.query(user, {"objectId": "u9"})
            assert said in str(err.value) and "u9" in str(err.value) and column in str(err.value), str(err.value)
        finally:
            con.execute("DELETE FROM \"_User\" WHERE \"objectId\" = 'u9'")

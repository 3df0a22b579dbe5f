"""``select`` (REST ``keys``) with a dotted path into an Object field (``meta.lang``) keeps only
that key inside the Object, as MongoDB's projection does (docs/semantics.md#include-select): on
DuckDB, PostgreSQL and Parse's own tables in place, through db.query, db.stream, db.find,
db.reference, the command line and serve, through a Pointer and an Array of Pointers too. It
was refused ("'meta' is an Object, not a Pointer to follow"). The expected records are written
out by hand from the dataset below."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings

import querylang
from querylang.errors import QueryError, SchemaError

from .conftest import answers, pg_examples
from .pg import parse_opener, parse_tables


def P(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


T = "2024-01-01T00:00:00.000Z"
# p1.meta holds nested objects and an Array of objects, scalars and an Array; p2.meta lacks
# lang and holds a Date; p3 has no meta; p4's is null. u1.meta has lang, u2 has no meta.
DOC: dict[str, Any] = {
    "classes": {
        "User": {"fields": {"name": {"type": "String"}, "meta": {"type": "Object"}}},
        "Post": {"fields": {"title": {"type": "String"}, "meta": {"type": "Object"},
                            "owner": {"type": "Pointer", "targetClass": "User"}, "authors": {"type": "Array"}}},
    },
    "records": {
        "User": [{"objectId": "u1", "name": "Ada", "meta": {"lang": "fr", "x": 1}},
                 {"objectId": "u2", "name": "Bob"}],
        "Post": [
            {"objectId": "p1", "title": "one", "owner": "u1",
             "meta": {"lang": "en", "n": 1, "deep": {"a": {"b": 1, "c": 2}, "d": 3},
                      "items": [{"name": "x", "q": 1}, "s", [{"name": "y"}, 3], {"q": 2}, None]},
             "authors": [P("User", "u1"), P("User", "u2"), 5, {"meta": {"lang": "plain"}}]},
            {"objectId": "p2", "title": "two", "owner": "u2", "meta": {"n": 2, "when": {"__type": "Date", "iso": T}}},
            {"objectId": "p3", "title": "three", "owner": "u404"},
            {"objectId": "p4", "title": "zz", "meta": None},
        ],
    },
}
for _rows in DOC["records"].values():
    for _r in _rows:
        _r["createdAt"] = _r["updatedAt"] = T
STAMPS = {"createdAt": T, "updatedAt": T}


def post(oid: str, **fields: Any) -> dict[str, Any]:
    return {"objectId": oid, **STAMPS, **fields}


def user(oid: str, **fields: Any) -> dict[str, Any]:
    return {"__type": "Object", "className": "User", "objectId": oid, **STAMPS, **fields}


@pytest.fixture
def db(engine: Any) -> querylang.Database:
    d: querylang.Database = engine()
    d.load(copy.deepcopy(DOC))
    return d


def test_a_key_inside_an_object_is_kept_alone(db: querylang.Database) -> None:
    """The Object keeps only the key; one lacking it is {}; no Object (absent, null) no key."""
    assert answers(db, select="meta.lang") == [
        post("p1", meta={"lang": "en"}), post("p3"), post("p2", meta={}), post("p4")]


def test_nested_paths_and_arrays_inside_an_object(db: querylang.Database) -> None:
    """``deep.a.b`` keeps {deep: {a: {b}}}; through an Array inside the Object each object is cut
    down ({} when it lacks the key), an Array inside it walked too, scalars and null dropped."""
    got = answers(db, select=["meta.deep.a.b", "meta.items.name", "meta.n", "title"])
    assert got[0] == post("p1", title="one", meta={"n": 1, "deep": {"a": {"b": 1}},
                                                   "items": [{"name": "x"}, [{"name": "y"}], {}]})
    assert got[2] == post("p2", title="two", meta={"n": 2})
    assert answers(db, select="meta.deep.d.nope") == [post("p1", meta={"deep": {}}), post("p3"), post("p2", meta={}), post("p4")]
    # A Date is no object to a path, as to a filter's: nothing inside it is kept, it is kept whole.
    assert answers(db, select="meta.when.iso")[2] == post("p2", meta={})
    assert answers(db, select="meta.when")[2] == post("p2", meta={"when": {"__type": "Date", "iso": T}})


def test_through_a_pointer_and_an_array_of_pointers(db: querylang.Database) -> None:
    """``owner.meta.lang`` embeds the owner and keeps lang in its meta; ``authors.meta.lang``
    does so in each record the Array embeds, its other elements kept as they are."""
    got = answers(db, select=["owner.meta.lang", "authors.meta.lang"])
    assert got[0] == post("p1", owner=user("u1", meta={"lang": "fr"}),
                          authors=[user("u1", meta={"lang": "fr"}), user("u2"), 5, {"meta": {"lang": "plain"}}])
    assert got[2] == post("p2", owner=user("u2"))
    assert got[1] == post("p3", owner="u404")  # dangling: the id, as a select through a Pointer leaves it
    # With include and another key inside the embedded record.
    both = answers(db, include="owner", select=["owner.name", "owner.meta.lang", "meta.lang"])
    assert both[0] == post("p1", owner=user("u1", name="Ada", meta={"lang": "fr"}), meta={"lang": "en"})


def test_find_reads_keys_alike(db: querylang.Database) -> None:
    got = db.find("Post", {"objectId": "p1"}, keys="meta.lang,owner.meta.x").records
    assert got == [post("p1", meta={"lang": "en"}, owner=user("u1", meta={"x": 1}))]


def test_the_read_is_narrowed_to_the_object_column(db: querylang.Database) -> None:
    """A select inside an Object reads that Object's column, and no other field's."""
    res = db.query("Post", select="meta.lang")
    assert res.plan is not None and "meta" in res.plan.columns
    assert not {"title", "owner", "authors"} & set(res.plan.columns)


@pytest.mark.parametrize(("select", "error", "words"), [
    ("meta,meta.lang", QueryError, "cannot select both 'meta' and 'meta.lang'"),
    ("meta.deep,meta.deep.a", QueryError, "cannot select both 'meta.deep' and 'meta.deep.a'"),
    ("owner.meta,owner.meta.lang", QueryError, "cannot select both 'owner.meta' and 'owner.meta.lang'"),
    ("meta.", SchemaError, "a dotted path needs a field name"),
    ("title.x", QueryError, "'title' is a String, not a Pointer, an Array or an Object"),
    ("nope.lang", SchemaError, "class Post has no field 'nope'"),
    ("owner.meta.a-b", SchemaError, "cannot select 'owner.meta.a-b': 'meta.a-b': the step 'a-b' of a path into Object field 'meta'"),
])
def test_what_stays_refused(db: querylang.Database, select: str, error: type[Exception], words: str) -> None:
    """Selecting an Object and a key inside it is refused, as MongoDB refuses the collision."""
    for run in (db.query, db.reference):
        with pytest.raises(error, match=words):
            run("Post", select=select)


def test_a_typed_value_inside_an_object_is_kept_whole() -> None:
    """A path into a GeoPoint, Pointer, File, Bytes or Polygon inside an Object keeps it whole:
    ``meta.geo.__type`` answered ``{"__type": "GeoPoint"}`` alone, ``meta.geo.latitude`` a
    GeoPoint without its longitude, and excludeKeys ``meta.geo.latitude`` cut the latitude out;
    Parse's SDKs read none of these. Parse Server 9 on PostgreSQL answers the whole Object for
    each (tests/server/test_parse_live_fidelity.py)."""
    from querylang.frontends.selection import omit, project

    geo = {"__type": "GeoPoint", "latitude": 1.5, "longitude": 2.5}
    ptr = {"__type": "Pointer", "className": "K", "objectId": "k2"}
    meta = {"geo": geo, "ptr": ptr, "by": {"__type": "Bytes", "base64": "YQ=="}, "plain": {"a": 1, "b": 2},
            "list": [geo, {"latitude": 9, "q": 1}, 5]}
    assert project(meta, ["geo.__type"]) == {"geo": geo}
    assert project(meta, ["geo.latitude", "ptr.objectId", "by.base64"]) == {"geo": geo, "ptr": ptr, "by": meta["by"]}
    assert project(meta, ["geo.latitude.x"]) == {"geo": geo}
    assert project(meta, ["list.latitude"]) == {"list": [geo, {"latitude": 9}]}  # an Array's typed element too
    assert project(meta, ["plain.a"]) == {"plain": {"a": 1}}  # a plain object is still cut
    kept = copy.deepcopy(meta)
    for parts in (["geo", "latitude"], ["geo", "__type"], ["ptr", "objectId"], ["list", "latitude"]):
        omit(kept, parts)
    assert kept == {**meta, "list": [geo, {"q": 1}, 5]}


def test_project_follows_mongodb() -> None:
    """The cases of MongoDB's own projection tests: a scalar on the path is left out, objects in
    an Array lacking the key are {}, the Array's scalars dropped, Arrays inside it kept."""
    from querylang.frontends.selection import project

    assert project({"a": "scalar"}, ["a.b"]) == {}
    assert project({"a": [{"b": 1, "c": 1}, {"c": 2}], "x": 1}, ["a.b"]) == {"a": [{"b": 1}, {}]}
    assert project({"a": ["s", {}, "s", {"c": 1}]}, ["a.b"]) == {"a": [{}, {}]}
    assert project({"a": [[1, {"b": 1}, {"b": 2, "c": 2}, "s"]]}, ["a.b"]) == {"a": [[{"b": 1}, {"b": 2}]]}
    assert project({"a": {"b": {"c": [1, 2]}}}, ["a.b.c.d"]) == {"a": {"b": {"c": []}}}
    assert project({"a": {"b": 12}}, ["a.b.c.d"]) == {"a": {}}
    assert project({"b": 1, "c": 2, "d": 3}, ["c", "b"]) == {"b": 1, "c": 2}  # the value's order


# --- the command line and serve ---------------------------------------------------------------


def test_the_cli_selects_inside_an_object(tmp_path: Any) -> None:
    from click.testing import CliRunner

    from querylang.app.cli import main

    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    doc.write_text(json.dumps(DOC), encoding="utf-8")
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0

    def run(*args: str) -> Any:
        res = CliRunner().invoke(main, [*args, "--db", str(data), "--format", "json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    assert run("query", "Post", "where({ title: 'one' })", "--select", "meta.lang") == [post("p1", meta={"lang": "en"})]
    assert run("find", "Post", '{"title": "two"}', "--keys", "meta.lang,owner.meta.lang") == [
        post("p2", meta={}, owner=user("u2"))]


def _serve(db: querylang.Database, path: str, **params: Any) -> Any:
    from querylang.server import ServerConfig
    from querylang.server.keys import Access
    from querylang.server.rest import Api

    status, body, _ = Api(db, ServerConfig(app_id="app", master_key="m")).route(
        "GET", path, params, Access(master=True, can_write=True), "http://x/parse")
    assert status == 200, body
    return body


def test_serve_keys_inside_an_object(db: querylang.Database) -> None:
    """serve follows MongoDB's meaning as the library does (Parse Server 9 on PostgreSQL answers
    the whole Object: docs/serve.md)."""
    got = _serve(db, "/classes/Post", keys="meta.lang,owner.meta.lang", order="title")["results"]
    assert [(r["objectId"], r.get("meta")) for r in got] == [("p1", {"lang": "en"}), ("p3", None), ("p2", {}), ("p4", None)]
    assert got[0]["owner"]["meta"] == {"lang": "fr"} and "name" not in got[0]["owner"]
    assert _serve(db, "/classes/Post/p1", keys="meta.deep.a.b")["meta"] == {"deep": {"a": {"b": 1}}}
    from querylang.server.errors import ParseError

    with pytest.raises(ParseError, match="cannot select both 'meta' and 'meta.lang'") as err:
        _serve(db, "/classes/Post", keys="meta,meta.lang")
    assert (err.value.code, err.value.status) == (102, 400)


# --- Parse's own tables in place: an Object is a jsonb column ---------------------------------



def _parse_tables(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    schemas = {"User": {"name": {"type": "String"}, "meta": {"type": "Object"}},
               "Post": {"title": {"type": "String"}, "meta": {"type": "Object"},
                        "owner": {"type": "Pointer", "targetClass": "User"}}}
    columns = {"User": '"name" text, "meta" jsonb', "Post": '"title" text, "meta" jsonb, "owner" text'}
    parse_tables(url, schemas, columns, rows, T)


@pytest.fixture
def open_parse(pg_cluster: Any) -> Iterator[Any]:
    with parse_opener(pg_cluster, _parse_tables) as open_:
        yield open_


def test_parse_tables_in_place(open_parse: Any) -> None:
    db = open_parse({
        "User": [("u1", "Ada", json.dumps({"lang": "fr", "x": 1}))],
        "Post": [("p1", "one", json.dumps({"lang": "en", "deep": {"a": 1, "b": 2}}), "u1"),
                 ("p2", "two", json.dumps({"n": 2}), None), ("p3", "three", None, None)],
    })
    got = answers(db, select=["meta.lang", "meta.deep.b", "owner.meta.lang"])
    assert got == [post("p1", meta={"lang": "en", "deep": {"b": 2}}, owner=user("u1", meta={"lang": "fr"})),
                   post("p3"), post("p2", meta={})]
    assert _serve(db, "/classes/Post/p1", keys="meta.lang")["meta"] == {"lang": "en"}


def test_past_an_array_an_object_named_whole_stays_whole(db: querylang.Database) -> None:
    """Past an Array nothing is checked, so naming an embedded record's Object and a key inside
    it is no error (what the Array holds decides nothing): the whole Object is kept, as in
    project."""
    from querylang.frontends.selection import project

    got = answers(db, select=["authors.meta", "authors.meta.lang"])
    assert got[0]["authors"][0] == user("u1", meta={"lang": "fr", "x": 1})
    assert project({"a": {"b": 1, "c": 2}}, ["a", "a.b"]) == project({"a": {"b": 1, "c": 2}}, ["a.b", "a"]) == {"a": {"b": 1, "c": 2}}


def test_serve_exclude_keys_inside_an_object(db: querylang.Database) -> None:
    """excludeKeys ``meta.lang`` left the Object whole (as Parse Server 9 on PostgreSQL does);
    it leaves lang out of it now, as MongoDB's exclusion does: inside each object of an Array
    on the way too, the Array's other elements kept; through an embedded record as well."""
    got = _serve(db, "/classes/Post", excludeKeys="meta.lang,meta.deep.a.b,meta.items.name,owner.meta.x", order="title")
    p1 = got["results"][0]
    assert p1["meta"] == {"n": 1, "deep": {"a": {"c": 2}, "d": 3}, "items": [{"q": 1}, "s", [{}, 3], {"q": 2}, None]}
    assert p1["owner"]["meta"] == {"lang": "fr"} and p1["owner"]["name"] == "Ada" and p1["title"] == "one"
    assert [r.get("meta") for r in got["results"][1:]] == [None, {"n": 2, "when": {"__type": "Date", "iso": T}}, None]
    assert _serve(db, "/classes/Post/p2", excludeKeys="meta.when.iso")["meta"]["when"] == {"__type": "Date", "iso": T}


def test_serve_keys_and_exclude_keys_together(db: querylang.Database) -> None:
    """What docs/serve.md says of keys beside excludeKeys inside an Object: an excluded key is
    gone before the Object-and-key pair is looked for, so the pair excludeKeys splits is
    answered (the Object without that key); a key kept inside the Object and another excluded
    leave the kept one alone; the pair itself stays 102 for a client as for the master key."""
    from querylang.server import ServerConfig
    from querylang.server.errors import ParseError
    from querylang.server.keys import Access
    from querylang.server.rest import Api

    assert _serve(db, "/classes/Post/p1", keys="meta,meta.lang", excludeKeys="meta.lang")["meta"] == {
        "n": 1, "deep": {"a": {"b": 1, "c": 2}, "d": 3}, "items": [{"name": "x", "q": 1}, "s", [{"name": "y"}, 3], {"q": 2}, None]}
    assert _serve(db, "/classes/Post/p1", keys="meta.lang,meta.n", excludeKeys="meta.n")["meta"] == {"lang": "en"}
    # Beside keys, excludeKeys takes out of them only the keys named exactly, as Parse Server 9
    # reads it (docs/serve.md): meta.lang is not meta, so meta stays with its lang.
    assert _serve(db, "/classes/Post/p1", keys="meta.lang", excludeKeys="meta")["meta"] == {"lang": "en"}
    api = Api(db, ServerConfig(app_id="app", master_key="m"))
    with pytest.raises(ParseError, match="cannot select both 'owner.meta' and 'owner.meta.lang'") as err:
        api.route("GET", "/classes/Post", {"keys": "owner.meta.lang,owner.meta"}, Access(master=False, can_write=False), "http://x/parse")
    assert (err.value.code, err.value.status) == (102, 400)


# --- random Objects: every engine answers what the reference answers ---------------------------

_NAMES = ("a", "b", "c")


def _json(depth: int = 3) -> Any:
    from hypothesis import strategies as st

    leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["x", "y"]))
    return st.recursive(leaf, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(_NAMES), inner, max_size=3)),
                        max_leaves=8)


def _doc_and_keys() -> Any:
    from hypothesis import strategies as st

    metas = st.lists(st.one_of(st.none(), st.dictionaries(st.sampled_from(_NAMES), _json(), max_size=3)), min_size=1, max_size=4)
    paths = st.lists(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3).map(lambda p: "meta." + ".".join(p)),
                     min_size=1, max_size=3, unique=True)
    # A path and one inside it are refused together (test_what_stays_refused).
    paths = paths.filter(lambda ks: not any(k != j and j.startswith(k + ".") for k in ks for j in ks))
    return st.tuples(metas, paths)


def _agrees(db: querylang.Database, metas: list[Any], keys: list[str]) -> None:
    rows = [{"objectId": f"r{i}", "createdAt": T, "updatedAt": T, **({} if m is None else {"meta": m})} for i, m in enumerate(metas)]
    db.load({"classes": {"R": {"fields": {"meta": {"type": "Object"}, "n": {"type": "Number"}}}}, "records": {"R": rows}})
    got = db.query("R", sort=["objectId"], select=keys).records
    assert got == list(db.stream("R", sort=["objectId"], batch=2, select=keys))
    assert got == db.reference("R", sort=["objectId"], select=keys).records
    for r, m in zip(got, metas, strict=True):
        assert ("meta" in r) == isinstance(m, dict)
        whole = {k.split(".")[1] for k in keys if k.count(".") == 1}
        inside = {k.split(".")[1] for k in keys if k.count(".") > 1}
        # The named keys the Object has, no other; a path going on inside one keeps it only when
        # it is an object or an Array.
        assert set(r.get("meta", {})) == {k for k in m or {} if k in whole or (k in inside and isinstance(m[k], dict | list))}


@settings(deadline=None, max_examples=max(10, settings.default.max_examples // 4))
@given(_doc_and_keys())
def test_random_objects_agree_on_duckdb(case: tuple[list[Any], list[str]]) -> None:
    _agrees(querylang.connect(), *case)


@settings(deadline=None, max_examples=pg_examples(settings.default.max_examples // 4))
@given(_doc_and_keys())
def test_random_objects_agree_on_postgres(pg_connect: Any, case: tuple[list[Any], list[str]]) -> None:
    db = pg_connect()
    try:
        _agrees(db, *case)
    finally:
        db.close()

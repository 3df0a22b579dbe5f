"""``include`` of an Array field: each element that is a Pointer is replaced by the record it
points to, the other elements kept in place (docs/semantics.md#include-select), on DuckDB,
PostgreSQL and Parse's own tables in place, through db.query, db.stream, db.find and
db.reference alike. The expected records are written out by hand from the dataset below."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang.errors import QueryError, SchemaError

from .conftest import answers, pg_examples
from .pg import parse_opener, parse_tables


def P(cls: str, oid: str) -> dict[str, str]:
    return {"__type": "Pointer", "className": cls, "objectId": oid}


T = "2024-01-01T00:00:00.000Z"
# p1.authors: a live Author twice, other elements (a number, a string, an object, null, an
# Array holding a pointer), a dangling pointer, one into a class the database lacks, and one
# to a Company. p2.authors is empty; p3 has no authors and a dangling main.
DOC: dict[str, Any] = {
    "classes": {
        "Company": {"fields": {"cname": {"type": "String"}}},
        "Author": {"fields": {"name": {"type": "String"}, "score": {"type": "Number"},
                              "company": {"type": "Pointer", "targetClass": "Company"}, "friends": {"type": "Array"},
                              "fans": {"type": "Relation", "targetClass": "Author"}}},
        "Post": {"fields": {"title": {"type": "String"}, "authors": {"type": "Array"}, "tags": {"type": "Array"},
                            "main": {"type": "Pointer", "targetClass": "Author"}, "meta": {"type": "Object"},
                            "likes": {"type": "Relation", "targetClass": "Author"}}},
    },
    "records": {
        "Company": [{"objectId": "k1", "cname": "Acme"}],
        "Author": [
            {"objectId": "a1", "name": "Ada", "score": 1, "company": "k1", "friends": [P("Author", "a2"), "pal"]},
            {"objectId": "a2", "name": "Bob", "company": "k404"},
        ],
        "Post": [
            {"objectId": "p1", "title": "one", "main": "a2", "tags": ["x"], "meta": {"who": P("Author", "a1")},
             "authors": [P("Author", "a1"), 5, "x", {"k": 1}, P("Author", "gone"), P("Nope", "z"), P("Author", "a1"),
                         None, P("Company", "k1"), [P("Author", "a2")]]},
            {"objectId": "p2", "title": "two", "authors": []},
            {"objectId": "p3", "title": "three", "main": "a404"},
        ],
    },
}
for _rows in DOC["records"].values():
    for _r in _rows:
        _r["createdAt"] = _r["updatedAt"] = T


def rec(cls: str, oid: str, **over: Any) -> dict[str, Any]:
    """A record as the library answers it, embedded (``__type``/``className``), fields as stored."""
    stored = next(r for r in DOC["records"][cls] if r["objectId"] == oid)
    return {"__type": "Object", "className": cls, **copy.deepcopy(stored), **over}


def post(oid: str, **over: Any) -> dict[str, Any]:
    r = rec("Post", oid, **over)
    del r["__type"], r["className"]
    return r


A1, A2, K1 = rec("Author", "a1"), rec("Author", "a2"), rec("Company", "k1")


def authors(a1: dict[str, Any], company: dict[str, Any], a2: dict[str, Any]) -> list[Any]:
    """p1.authors with its pointers to live records replaced by these."""
    return [a1, 5, "x", {"k": 1}, P("Author", "gone"), P("Nope", "z"), a1, None, company, [a2]]


@pytest.fixture
def db(engine: Any) -> querylang.Database:
    d: querylang.Database = engine()
    d.load(copy.deepcopy(DOC))
    return d


def test_each_pointer_of_an_array_is_replaced_by_its_record(db: querylang.Database) -> None:
    """include='authors' was QueryError "cannot include 'authors': it is an Array, not a
    Pointer"; each element that is a Pointer to a record there is that record now."""
    one, three, two = answers(db, include="authors")
    assert one == post("p1", authors=authors(A1, K1, A2))
    assert two == post("p2") and three == post("p3")


def test_star_includes_every_pointer_and_array_field(db: querylang.Database) -> None:
    """As Parse Server 9's include=*: Pointer and Array fields, one level."""
    one, three, _ = answers(db, include="*")
    assert one == post("p1", authors=authors(A1, K1, A2), main=A2, tags=["x"])
    assert three == post("p3")  # a dangling main stays its id


def test_a_dotted_path_goes_on_inside_each_embedded_record(db: querylang.Database) -> None:
    """authors.company embeds each Author's company; the Company in the Array has no such
    field, and is left as it is (its elements have no declared class)."""
    (one, *_) = answers(db, include="authors.company")
    assert one["authors"] == authors(rec("Author", "a1", company=K1), K1, A2)  # a2's company dangles
    (one, *_) = answers(db, include=["authors.friends", "authors.company"])
    friend = rec("Author", "a2")
    assert one["authors"] == authors(rec("Author", "a1", company=K1, friends=[friend, "pal"]), K1, A2)
    (one, *_) = answers(db, include="authors.*")
    a1 = rec("Author", "a1", company=K1, friends=[friend, "pal"])
    assert one["authors"] == authors(a1, K1, A2)


@pytest.mark.parametrize(("include", "same_as"), [
    ("authors.nope", "authors"), ("authors.name", "authors"), ("authors.fans", "authors"), ("authors.cname.x", "authors"),
    ("authors.company.nope", "authors.company"), ("authors.company.cname", "authors.company"),
])
def test_a_name_past_an_array_is_passed_over_whatever_the_records(db: querylang.Database, include: str, same_as: str) -> None:
    """Past an Array a name no embedded record's class has, or that is no Pointer or Array
    there, is no error, whichever records the query reaches: the Array's elements are included
    and the rest passed over (Parse ignores it)."""
    for where in ({}, {"title": "nothing"}, {"objectId": "p2"}):
        got = db.query("Post", where, include=include, sort=["title"]).records
        assert got == db.query("Post", where, include=same_as, sort=["title"]).records
        assert got == db.reference("Post", where, include=include, sort=["title"]).records


@pytest.mark.parametrize(("include", "error", "says"), [
    ("title", QueryError, "cannot include 'title': it is a String, not a Pointer or an Array"),
    ("meta", QueryError, "cannot include 'meta': it is an Object, not a Pointer or an Array"),
    ("likes", QueryError, "cannot include 'likes': it is a Relation, not a Pointer or an Array"),
    ("main.score", QueryError, "cannot include 'main.score': 'score' is a Number, not a Pointer or an Array"),
    ("nope", SchemaError, "cannot include 'nope': class Post has no field 'nope'"),
    ("main.nope", SchemaError, "cannot include 'main.nope': class Author has no field 'nope'"),
])
def test_a_field_that_is_neither_pointer_nor_array_stays_an_error(
    db: querylang.Database, include: str, error: type, says: str
) -> None:
    for call in (lambda: db.query("Post", include=include), lambda: next(db.stream("Post", include=include)),
                 lambda: db.reference("Post", include=include), lambda: db.find("Post", include=include)):
        with pytest.raises(error) as info:
            call()
        assert str(info.value).startswith(says), str(info.value)


def test_select_keeps_its_keys_inside_each_embedded_element(db: querylang.Database) -> None:
    """select='authors.name' keeps name (and the keys always kept) in each embedded record,
    as for a Pointer; the other elements stay whole, as Parse's keys leave them."""
    def cut(r: dict[str, Any], *keys: str) -> dict[str, Any]:
        return {k: v for k, v in r.items() if k in {"__type", "className", "objectId", "createdAt", "updatedAt", *keys}}

    one, three, two = answers(db, select="authors.name")
    assert one == cut(post("p1", authors=authors(cut(A1, "name"), cut(K1), cut(A2, "name"))), "authors")
    assert two == cut(post("p2"), "authors") and three == cut(post("p3"))
    (one, *_) = answers(db, select=["title", "authors.company.cname"])
    a1 = cut(rec("Author", "a1", company=cut(K1, "cname")), "company")
    assert one == cut(post("p1", authors=authors(a1, cut(K1), cut(A2, "company"))), "title", "authors")
    (one, *_) = answers(db, select="authors", include="authors")
    assert one == cut(post("p1", authors=authors(A1, K1, A2)), "authors")


def test_db_find_includes_arrays_with_keys(db: querylang.Database) -> None:
    res = db.find("Post", {"objectId": "p1"}, include="authors", keys="authors.name,title")
    assert res.records[0]["authors"][0] == {"__type": "Object", "className": "Author", "objectId": "a1",
                                            "createdAt": T, "updatedAt": T, "name": "Ada"}
    assert res.records[0]["title"] == "one" and "main" not in res.records[0]


def test_serve_answers_alike_on_each_engine(db: querylang.Database) -> None:
    """serve's answers over PostgreSQL are those over DuckDB (the same records, dates and all)."""
    duck = querylang.connect()
    duck.load(copy.deepcopy(DOC))
    for path, params in (("/classes/Post", {"include": "authors.company", "order": "title"}),
                         ("/classes/Post", {"include": "*", "keys": "title,authors.name", "order": "title"}),
                         ("/classes/Post/p1", {"include": "authors"})):
        assert _serve(db, path, **params) == _serve(duck, path, **params), params
    (one,) = [r for r in _serve(db, "/classes/Post", include="authors")["results"] if r["objectId"] == "p1"]

    def shape(e: Any) -> Any:
        if isinstance(e, list):
            return [shape(x) for x in e]
        return (e["__type"], e["objectId"]) if isinstance(e, dict) and "__type" in e else e

    # The dangling pointer and the one into a class that is not there are left out, as Parse does.
    assert shape(one["authors"]) == [("Object", "a1"), 5, "x", {"k": 1}, ("Object", "a1"), None, ("Object", "k1"),
                                     [("Object", "a2")]]


def test_the_records_of_one_class_are_read_in_one_statement(db: querylang.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Author of every record's Array in one read, as a Pointer's include reads them; a
    select that keeps no Array reads none."""
    seen: list[str] = []
    run = querylang.Database._execute

    def spy(self: querylang.Database, plan: Any, *a: Any, **kw: Any) -> Any:
        seen.append(plan.class_name)
        return run(self, plan, *a, **kw)

    monkeypatch.setattr(querylang.Database, "_execute", spy)
    db.query("Post", include=["authors", "main"])
    assert sorted(seen) == ["Author", "Author", "Company", "Post"]  # main's, the Array's Authors, its Company
    seen.clear()
    db.query("Post", include=["authors"], select="title")
    assert seen == ["Post"]


# --- Parse's own tables in place: an Array of Pointers is a jsonb column ----------------------

_SCHEMAS = {
    "Author": {"name": {"type": "String"}, "company": {"type": "Pointer", "targetClass": "Company"}},
    "Company": {"cname": {"type": "String"}},
    "Post": {"title": {"type": "String"}, "authors": {"type": "Array"}},
}
_COLUMNS = {"Author": '"name" text, "company" text', "Company": '"cname" text', "Post": '"title" text, "authors" jsonb'}


def _parse_tables(url: str, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    parse_tables(url, _SCHEMAS, _COLUMNS, rows, T)


@pytest.fixture
def open_parse(pg_cluster: Any) -> Iterator[Any]:
    with parse_opener(pg_cluster, _parse_tables) as open_:
        yield open_


def test_parse_tables_in_place(open_parse: Any) -> None:
    array = [P("Author", "a1"), 5, P("Author", "gone"), P("Company", "k1"), P("Author", "a1"), P("Nope", "z")]
    db = open_parse({
        "Company": [("k1", "Acme")],
        "Author": [("a1", "Ada", "k1")],
        "Post": [("p1", "one", json.dumps(array)), ("p2", "two", None)],
    })
    for kw in ({"include": "authors"}, {"include": "authors.company"}, {"include": "*"}, {"select": "authors.name"}):
        got = db.query("Post", sort=["title"], **kw).records
        assert got == list(db.stream("Post", sort=["title"], **kw)) == db.reference("Post", sort=["title"], **kw).records, kw
    (p1, _) = db.query("Post", include="authors.company", sort=["title"]).records
    ada = p1["authors"][0]
    assert (ada["__type"], ada["className"], ada["name"], ada["company"]["cname"]) == ("Object", "Author", "Ada", "Acme")
    assert p1["authors"][1:3] == [5, P("Author", "gone")] and p1["authors"][3]["cname"] == "Acme"
    assert p1["authors"][4] == ada and p1["authors"][5] == P("Nope", "z")


def _serve(db: querylang.Database, path: str, **params: Any) -> Any:
    from querylang.server import ServerConfig
    from querylang.server.keys import Access
    from querylang.server.rest import Api

    status, body, _ = Api(db, ServerConfig(app_id="app", master_key="m")).route(
        "GET", path, params, Access(master=True, can_write=True), "http://x/parse")
    assert status == 200, body
    return body


def test_serve_on_parse_tables_in_place(open_parse: Any) -> None:
    """serve over Parse's own tables answers as Parse Server 9 does: a pointer no record was
    found for (dangling, or into a class that is not there) is left out of the Array."""
    array = [P("Author", "a1"), 5, P("Author", "gone"), P("Company", "k1"), P("Nope", "z")]
    db = open_parse({"Company": [("k1", "Acme")], "Author": [("a1", "Ada", "k1")], "Post": [("p1", "one", json.dumps(array))]})
    got = _serve(db, "/classes/Post/p1", include="authors.company")["authors"]
    assert [e["objectId"] if isinstance(e, dict) else e for e in got] == ["a1", 5, "k1"]
    assert got[0]["company"]["cname"] == "Acme" and got[0]["company"]["__type"] == "Object"
    assert _serve(db, "/classes/Post", keys="authors.name")["results"][0]["authors"][0]["name"] == "Ada"


def test_more_ids_than_postgresql_binds_in_one_statement(pg_connect: Any) -> None:
    """One Array of 70,000 Pointers: their ids go to PostgreSQL as one list parameter (a
    statement takes 65,535 parameters at most), all in one read."""
    n = 70_000
    ids = [f"a{i:05d}" for i in range(n)]
    db = pg_connect()
    try:
        db.load({"classes": DOC["classes"],
                 "records": {"Author": [{"objectId": i, "score": k} for k, i in enumerate(ids)],
                             "Post": [{"objectId": "p1", "authors": [P("Author", i) for i in reversed(ids)]}]}})
        (p1,) = db.query("Post", include="authors", select="authors.score").records
        assert [a["objectId"] for a in p1["authors"]] == ids[::-1]
        assert [a["score"] for a in p1["authors"]] == list(range(n))[::-1]
    finally:
        db.close()


# --- a property: random Arrays against a model of include written here ----------------------

_ID = st.sampled_from(["a1", "a2", "a3", "k1", "k2", "zz"])
_POINTER = st.builds(P, st.sampled_from(["Author", "Company", "Nope"]), _ID)
_OTHER = st.one_of(st.integers(-3, 3), st.sampled_from(["a1", "", "Pointer"]), st.none(),
                   st.fixed_dictionaries({"objectId": _ID}), st.just({"__type": "Pointer", "objectId": "a1"}))
_ELEMENT = st.one_of(_POINTER, _OTHER, st.lists(st.one_of(_POINTER, _OTHER), max_size=2))


@st.composite
def _arrays(draw: Any) -> dict[str, Any]:
    authors = draw(st.lists(st.sampled_from(["a1", "a2", "a3"]), unique=True))
    companies = draw(st.lists(st.sampled_from(["k1", "k2"]), unique=True))
    posts = draw(st.lists(st.one_of(st.none(), st.lists(_ELEMENT, max_size=6)), min_size=1, max_size=3))
    return {"classes": DOC["classes"], "records": {
        "Author": [{"objectId": i, "name": i.upper(), "score": len(i), "createdAt": T, "updatedAt": T} for i in authors],
        "Company": [{"objectId": i, "cname": i * 2, "createdAt": T, "updatedAt": T} for i in companies],
        "Post": [{"objectId": f"p{k}", "createdAt": T, "updatedAt": T, **({} if a is None else {"authors": a})}
                 for k, a in enumerate(posts)]}}  # fmt: skip


def _model(doc: dict[str, Any], keys: list[str] | None) -> list[dict[str, Any]]:
    """Each Post with every Pointer of its Array (and of an Array inside it) to a record the
    document holds replaced by that record (cut to ``keys`` and the keys always kept)."""
    live = {(cls, r["objectId"]): r for cls, rows in doc["records"].items() for r in rows}

    def embed(v: Any) -> Any:
        if isinstance(v, list):
            return [embed(e) for e in v]
        hit = (v.get("className"), v.get("objectId")) if isinstance(v, dict) and v.get("__type") == "Pointer" else None
        if hit not in live:
            return v
        r = {"__type": "Object", "className": hit[0], **live[hit]}  # type: ignore[index]
        return r if keys is None else {k: x for k, x in r.items() if k in {"__type", "className", "objectId", "createdAt", "updatedAt", *keys}}

    out = []
    for r in copy.deepcopy(doc["records"]["Post"]):
        if "authors" in r:
            r["authors"] = embed(r["authors"])
        out.append(r if keys is None else {k: v for k, v in r.items() if k in {"objectId", "createdAt", "updatedAt", "authors"}})
    return out


def _agrees(db: querylang.Database, doc: dict[str, Any]) -> None:
    db.load(copy.deepcopy(doc))
    for kw, keys in (({"include": "authors"}, None), ({"select": "authors.name"}, ["name"])):
        got = db.query("Post", sort=["objectId"], **kw).records
        assert got == _model(doc, keys), kw
        assert got == list(db.stream("Post", sort=["objectId"], batch=2, **kw)) == db.reference("Post", sort=["objectId"], **kw).records


@settings(max_examples=max(10, settings.default.max_examples // 4))
@given(_arrays())
def test_include_of_random_arrays_is_the_models(doc: dict[str, Any]) -> None:
    _agrees(querylang.connect(), doc)


@settings(max_examples=pg_examples(settings.default.max_examples // 4))
@given(_arrays())
def test_include_of_random_arrays_is_the_models_on_postgres(pg_connect: Any, doc: dict[str, Any]) -> None:
    db = pg_connect()
    try:
        _agrees(db, doc)
    finally:
        db.close()


# --- the command line --------------------------------------------------------------------------


def test_the_cli_includes_arrays(tmp_path: Any) -> None:
    """query --include, find --include and show --include took Pointer fields only (an Array
    was "it is an Array, not a Pointer"); show embeds one level, as for a Pointer."""
    from click.testing import CliRunner

    from querylang.app.cli import main

    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    doc.write_text(json.dumps(DOC), encoding="utf-8")
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0

    def run(*args: str, code: int = 0) -> Any:
        res = CliRunner().invoke(main, [*args, "--db", str(data)])
        assert res.exit_code == code, res.output
        return json.loads(res.stdout) if code == 0 and "json" in args else res.output

    got = run("query", "Post", "where({})", "--sort", "title", "--include", "authors.company", "--select",
              "title,authors.name,authors.company", "--format", "json")
    assert got[0]["authors"][0] == {"__type": "Object", "className": "Author", "objectId": "a1", "createdAt": T,
                                    "updatedAt": T, "name": "Ada", "company": K1}
    assert got[0]["authors"][1:6] == [5, "x", {"k": 1}, P("Author", "gone"), P("Nope", "z")]
    found = run("find", "Post", '{"objectId": "p1"}', "--include", "authors", "--format", "json")
    assert found[0]["authors"][8] == K1
    shown = run("show", "Post", "p1", "--include", "authors", "--format", "json")
    # One level: a1's own Pointer and Array read as Pointers, as an included Pointer's do.
    assert shown["authors"][0] == {**A1, "company": P("Company", "k1")}
    assert shown["authors"][4:6] == [P("Author", "gone"), P("Nope", "z")] and shown["authors"][9] == [A2 | {"company": P("Company", "k404")}]
    assert run("show", "Post", "p1", "--include", "*", "--format", "json")["main"]["name"] == "Bob"
    assert "Ada" in run("show", "Post", "p1", "--include", "authors")
    assert "not a Pointer or an Array" in run("show", "Post", "p1", "--include", "title", code=2)
    assert ("show embeds one level of Pointers: include authors, then show a record it points to with company "
            "included") in " ".join(run("show", "Post", "p1", "--include", "authors.company", code=2).split())


def _parse_users(url: str, _: Any) -> None:
    """Parse's _User table with a user's secrets (a password hash, authData, a token) and a
    Post whose Array points to that user."""
    users = {"username": {"type": "String"}, "email": {"type": "String"}, "password": {"type": "String"},
             "authData": {"type": "Object"}}
    columns = {"_User": '"username" text, "email" text, "_hashed_password" text, "authData" jsonb, '
                        '"_auth_data_facebook" jsonb, "_session_token" text', "Post": '"authors" jsonb'}
    parse_tables(url, {"_User": users, "Post": {"authors": {"type": "Array"}}}, columns, {
        "_User": [("u1", "ann", "ann@example.com", "$2b$10$hash-secret", '{"x": "auth-secret"}', '{"id": "fb-secret"}',
                   "r:token-secret")],
        "Post": [("p1", json.dumps([P("_User", "u1")]))]}, T)


def test_a_user_embedded_from_an_array_keeps_its_secrets(pg_cluster: Any) -> None:
    """On Parse's own tables a _User embedded from an Array shows no password hash, authData or
    token (the library never reads them), and serve shows a client no email, as through a
    Pointer's include; the master key sees the email."""
    from querylang.server import ServerConfig
    from querylang.server.keys import Access
    from querylang.server.rest import Api

    with parse_opener(pg_cluster, _parse_users) as open_:
        db = open_(None)
        (p1,) = db.query("Post", include="authors").records
        assert p1["authors"][0]["username"] == "ann"
        api = Api(db, ServerConfig(app_id="app", master_key="m"))
        for master in (True, False):
            _, body, _ = api.route("GET", "/classes/Post", {"include": "authors"}, Access(master=master, can_write=master),
                                   "http://x/parse")
            text = json.dumps([p1, body])
            assert body["results"][0]["authors"][0]["username"] == "ann"
            assert not any(s in text for s in ("hash-secret", "auth-secret", "fb-secret", "token-secret"))
            assert ("ann@example.com" in json.dumps(body)) == master


def test_the_reference_includes_a_long_array_in_one_pass() -> None:
    """db.reference matched each record of the pointed-to class against every id of the Array
    (containedIn, member by member): 20,000 pointers ran past the timeout. It answers as
    db.query does now, reading the class once."""
    n = 20_000
    ids = [f"a{i:05d}" for i in range(n)]
    db = querylang.connect(timeout=20)
    db.load({"classes": DOC["classes"],
             "records": {"Author": [{"objectId": i, "score": k} for k, i in enumerate(ids)],
                         "Post": [{"objectId": "p1", "authors": [P("Author", i) for i in reversed(ids)] + [P("Author", "gone")]}]}})
    got = db.reference("Post", include="authors", select="authors.score").records
    assert got == db.query("Post", include="authors", select="authors.score").records
    assert [a["score"] for a in got[0]["authors"][:-1]] == list(range(n))[::-1] and got[0]["authors"][-1] == P("Author", "gone")

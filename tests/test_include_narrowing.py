"""``include`` with ``select`` (REST ``keys``, the CLI's ``--select``) reads of each embedded
record only what the keys inside it name and the Pointers a deeper path follows (queries.include_pointed,
selection.keys_under): the answers are those of the whole records cut down, on both engines, in
the library, the CLI and serve, and those the reference evaluator's records give."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import querylang
from querylang import queries
from querylang.app.cli import main
from querylang.frontends.selection import select_keys
from querylang.server import ServerConfig
from querylang.server.keys import Access
from querylang.server.read_params import GET_PARAMS
from querylang.server.rest import Api

DOC: dict[str, Any] = {
    "classes": {
        "User": {"fields": {"name": {"type": "String"}, "age": {"type": "Number"}, "bio": {"type": "String"},
                            "ACL": {"type": "ACL"}}},
        "Post": {"fields": {"title": {"type": "String"}, "tags": {"type": "Array"}, "meta": {"type": "Object"},
                            "author": {"type": "Pointer", "targetClass": "User"},
                            "editor": {"type": "Pointer", "targetClass": "User"},
                            "fans": {"type": "Relation", "targetClass": "User"}, "ACL": {"type": "ACL"}}},
        "Comment": {"fields": {"text": {"type": "String"}, "likes": {"type": "Number"},
                               "Owner": {"type": "Pointer", "targetClass": "Post"},
                               "by": {"type": "Pointer", "targetClass": "User"}, "refs": {"type": "Array"}}},
    },
    "records": {
        "User": [{"objectId": "u1", "name": "Ada", "age": 36, "bio": "long", "ACL": {"*": {"read": True}}},
                 {"objectId": "u2", "name": "Bo", "ACL": {"u2": {"read": True}}}],
        "Post": [
            {"objectId": "p1", "title": "alpha", "tags": ["x"], "meta": {"k": {"n": 1}}, "author": "u1",
             "editor": "u2", "fans": ["u1"], "ACL": {"*": {"read": True}}},
            {"objectId": "p2", "title": "beta", "meta": {}, "author": "u404", "ACL": {"u1": {"read": True}}},
            {"objectId": "p3", "tags": [1, 2], "editor": "u1"},
        ],
        "Comment": [
            {"objectId": "c1", "text": "one", "likes": 1, "Owner": "p1", "by": "u1",
             "refs": [{"__type": "Pointer", "className": "Post", "objectId": "p1"}, 7,
                      {"__type": "Pointer", "className": "User", "objectId": "u2"},
                      {"__type": "Pointer", "className": "Post", "objectId": "p404"}]},
            {"objectId": "c2", "text": "two", "likes": 2, "Owner": "p2", "by": "u2",
             "refs": [{"__type": "Pointer", "className": "User", "objectId": "u1"},
                      {"__type": "Pointer", "className": "Post", "objectId": "p2"},
                      {"__type": "Pointer", "className": "User", "objectId": "u1"}]},
            {"objectId": "c3", "text": "three", "likes": 3, "Owner": "p404"},  # a dangling pointer
            {"objectId": "c4", "text": "four", "likes": 4},  # no pointer
            {"objectId": "c5", "likes": 5, "Owner": "p3", "by": "u9"},
        ],
    },
}

# (select, include): nested paths, *, keys naming only the pointer, an Object inside the embedded record
SHAPES: list[tuple[list[str], list[str] | None]] = [
    (["text", "Owner.title"], None),
    (["text", "Owner.title"], ["Owner"]),
    (["Owner.title", "Owner.author.name"], None),
    (["Owner.title"], ["Owner.author"]),
    (["Owner.author.name", "Owner.editor"], ["Owner.editor"]),
    (["text", "Owner"], ["Owner"]),
    (["Owner", "Owner.title"], None),
    (["Owner.title", "by.name"], ["*"]),
    (["Owner.meta", "Owner.tags"], ["Owner.*"]),
    (["text", "Owner.meta.k", "Owner.title"], ["Owner.author"]),
    (["Owner.fans", "Owner.ACL"], None),
    (["text"], ["Owner", "Owner.author"]),
    ([], ["Owner"]),
]


def whole_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every embedded record read whole, as before include read only what the keys need."""
    monkeypatch.setattr(queries, "keys_under", lambda name, keys: None)


def by_reference(db: querylang.Database, class_name: str, records: list[dict[str, Any]], paths: list[str]) -> None:
    """include done over the reference evaluator's records: each pointer along each path
    replaced by its whole record (a dangling one stays an id)."""
    cls = db.schema.get(class_name)
    for path in paths:
        head, _, rest = path.partition(".")
        for name in [f.name for f in cls.user_fields if f.type == "Pointer"] if head == "*" else [head]:
            if cls.fields[name].type != "Pointer":
                continue  # a key inside an Object ('Owner.meta.k') embeds nothing there
            target = cls.fields[name].target or ""
            found = {r["objectId"]: r for r in copy.deepcopy(db.reference(target).records)}
            for r in records:
                v = r.get(name)
                if isinstance(v, str) and v in found:
                    r[name] = {"__type": "Object", "className": target, **found[v]}
            inner = [r[name] for r in records if isinstance(r.get(name), dict)]
            if rest and inner:
                by_reference(db, target, inner, [rest])


def expected(db: querylang.Database, select: list[str], include: list[str] | None) -> list[dict[str, Any]]:
    records = copy.deepcopy(db.reference("Comment", sort=["likes"]).records)
    by_reference(db, "Comment", records, [*(include or []), *(k.rsplit(".", 1)[0] for k in select if "." in k)])
    return select_keys(db.schema, "Comment", records, select)


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    d = querylang.connect()
    d.load(copy.deepcopy(DOC))
    return d


def plans_run(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """The (class, columns) of each rows statement a database runs from here on."""
    seen: list[tuple[str, list[str]]] = []
    run = querylang.Database._execute

    def spy(self: querylang.Database, plan: Any, *a: Any, **kw: Any) -> Any:
        seen.append((plan.class_name, list(plan.columns)))
        return run(self, plan, *a, **kw)

    monkeypatch.setattr(querylang.Database, "_execute", spy)
    return seen


def test_an_included_record_reads_only_what_the_keys_inside_it_need(db, monkeypatch):
    """include=Owner with keys=text,Owner.title read every column of each Post (at scale L,
    100 Comments' Posts: 11.6 ms whole against 7.2 ms for the title) to answer its title."""
    seen = plans_run(monkeypatch)
    db.query("Comment", select=["text", "Owner.title", "Owner.author.name"], include=["Owner"])
    reads = dict(seen)
    assert reads["Post"] == ["objectId", "createdAt", "updatedAt", "title", "author", ":nulls"]
    assert reads["User"] == ["objectId", "createdAt", "updatedAt", "name", ":nulls"]
    seen.clear()
    db.query("Comment", select=["text", "Owner"], include=["Owner"])  # the pointer named alone: whole
    assert "tags" in dict(seen)["Post"]


def test_an_include_the_select_drops_is_not_read(db, monkeypatch):
    """Found by the helper who narrowed the reads: with keys that name no field of the included
    Pointer, its records were read whole (and their own includes followed), then dropped by the
    select. Answers as before: the Pointer is not in them."""
    seen = plans_run(monkeypatch)
    got = db.query("Comment", select=["text"], include=["Owner", "Owner.author"], sort=["likes"]).records
    assert [c for c, _ in seen] == ["Comment"]
    assert all("Owner" not in r for r in got) and [r.get("text") for r in got] == ["one", "two", "three", "four", None]
    seen.clear()
    db.query("Comment", select=["Owner.title"], include=["Owner.author", "by"])  # by: dropped; Owner.author: no key
    assert [c for c, _ in seen] == ["Comment", "Post"]


@pytest.mark.parametrize(("select", "include"), SHAPES)
def test_embedded_records_equal_whole_reads_and_the_reference(engine, monkeypatch, select, include):
    d = engine()
    d.load(copy.deepcopy(DOC))
    got = d.query("Comment", select=select, include=include, sort=["likes"]).records
    streamed = list(d.stream("Comment", select=select, include=include, sort=["likes"], batch=2))
    assert got == streamed == expected(d, select, include)
    whole_reads(monkeypatch)
    assert got == d.query("Comment", select=select, include=include, sort=["likes"]).records


# The same through the Array refs, whose elements point into Post and User: the reference
# evaluator's records, included by the same rules, are the answer.
ARRAY_SHAPES: list[tuple[list[str], list[str] | None]] = [
    (["text", "refs.title"], None),
    (["refs.name", "refs.title"], ["refs"]),
    (["refs"], ["refs.author"]),
    (["refs.author.name", "refs.name"], None),
    (["text"], ["refs"]),
    (["refs.title", "refs.age"], ["refs.*"]),
    (["refs.meta.k.n", "refs.name"], None),
    ([], ["refs"]),
]


@pytest.mark.parametrize(("select", "include"), ARRAY_SHAPES)
def test_records_embedded_from_an_array_equal_whole_reads_and_the_reference(engine, monkeypatch, select, include):
    d = engine()
    d.load(copy.deepcopy(DOC))
    got = d.query("Comment", select=select, include=include, sort=["likes"]).records
    streamed = list(d.stream("Comment", select=select, include=include, sort=["likes"], batch=2))
    assert got == streamed == d.reference("Comment", select=select, include=include, sort=["likes"]).records
    assert any(isinstance(e, dict) and e.get("__type") == "Object" for r in got for e in r.get("refs", ())) == ("refs" in str(select))
    whole_reads(monkeypatch)
    assert got == d.query("Comment", select=select, include=include, sort=["likes"]).records


def test_a_dotted_key_into_an_embedded_object_keeps_that_key(db):
    """``Owner.meta.k`` was refused ("'meta' is an Object, not a Pointer"); the embedded record's
    Object keeps k alone now, read from the meta column only (tests/test_select_object.py)."""
    got = db.query("Comment", select=["Owner.meta.k"], sort=["likes"]).records
    assert got == db.reference("Comment", select=["Owner.meta.k"], sort=["likes"]).records
    assert [r["Owner"].get("meta") if isinstance(r.get("Owner"), dict) else r.get("Owner") for r in got] == [
        {"k": {"n": 1}}, {}, "p404", None, None]
    assert set(got[0]["Owner"]) == {"__type", "className", "objectId", "createdAt", "updatedAt", "meta"}


def serve_answers(api: Api, params: dict[str, str]) -> list[Any]:
    out = []
    for access in (Access(master=True, can_write=True), Access(master=False, can_write=False)):
        status, body, _ = api.route("GET", "/classes/Comment", {**params, "order": "likes"}, access, "http://x/parse")
        assert status == 200, body
        out.append(body["results"])
        one = {k: v for k, v in params.items() if k in GET_PARAMS}
        status, body, _ = api.route("GET", "/classes/Comment/c1", one, access, "http://x/parse")
        out.append(body)
    return out


@pytest.mark.parametrize("params", [
    {"keys": "text,Owner.title", "include": "Owner"},
    {"keys": "Owner.title,Owner.author.name"},
    {"keys": "Owner.ACL,Owner.fans", "include": "Owner.author"},
    {"keys": "Owner", "include": "Owner"},
    {"keys": "Owner.title,by.name", "include": "*"},
    {"keys": "Owner.title", "include": "Owner", "includeAll": "true"},
])
def test_serve_answers_as_with_whole_reads(db, monkeypatch, params):
    api = Api(db, ServerConfig(app_id="app", master_key="master"))
    seen = plans_run(monkeypatch)
    got = serve_answers(api, params)
    # Owner's Posts read whole only for keys=Owner (with include=*, refs' Posts are read after them, whole: no key names inside refs)
    assert ("tags" in next(cols for c, cols in seen if c == "Post")) == (params["keys"] == "Owner"), seen
    whole_reads(monkeypatch)
    assert got == serve_answers(api, params)


def test_the_cli_answers_as_with_whole_reads(tmp_path: Path, monkeypatch):
    doc, data = tmp_path / "doc.json", tmp_path / "doc.duckdb"
    doc.write_text(json.dumps(DOC), encoding="utf-8")
    assert CliRunner().invoke(main, ["load", str(doc), "--db", str(data)]).exit_code == 0

    def run() -> Any:
        res = CliRunner().invoke(main, ["query", "Comment", "where({})", "--db", str(data), "--sort", "likes",
                                        "--include", "Owner", "--select", "text,Owner.title,Owner.author.name",
                                        "--format", "json"])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    seen = plans_run(monkeypatch)
    got = run()
    assert dict(seen)["Post"] == ["objectId", "createdAt", "updatedAt", "title", "author", ":nulls"]
    assert got[0]["Owner"] == {"__type": "Object", "className": "Post", "objectId": "p1", "title": "alpha",
                               "author": {"__type": "Object", "className": "User", "objectId": "u1", "name": "Ada",
                                          "createdAt": got[0]["Owner"]["author"]["createdAt"],
                                          "updatedAt": got[0]["Owner"]["author"]["updatedAt"]},
                               "createdAt": got[0]["Owner"]["createdAt"], "updatedAt": got[0]["Owner"]["updatedAt"]}
    whole_reads(monkeypatch)
    assert got == run()

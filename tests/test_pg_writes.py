"""Writes and loads on PostgreSQL: transactions, the refusals shared with DuckDB (the same error,
nothing written), read-only databases, and what the server refuses (index key size, row size,
column limit) named by class."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest

import querylang
from querylang import DataError, QueryError

from .pg import DOC, fresh_database, fresh_url, plain


def test_writes_are_transactions(pair):
    pg, duck = pair
    for db in (pg, duck):
        oid = db.create("Post", {"objectId": "p9", "title": "new", "tags": ["q"], "meta": {"k": True},
                                 "createdAt": {"__type": "Date", "iso": "2024-01-02T00:00:00.000Z"}})
        assert oid == "p9"
        db.save("Post", "p9", {"score": 7, "body": "walking geese"})
        db.increment("Post", "p9", {"score": 1})
        db.add_relation("Post", "p9", "fans", "u2")
        db.remove_relation("Post", "p1", "fans", "u1")
        db.delete("Post", "p2")
        db.add_field("Post", "extra", "Boolean")
        with pytest.raises(DataError):
            db.create("Post", {"objectId": "p9"})
    for cls, where in [("Post", None), ("Post", {"body": {"text": {"search": "geese"}}}), ("Post", {"fans": "u2"})]:
        assert plain(pg.query(cls, where).records) == plain(duck.query(cls, where).records)
    assert pg.query("Post", None).records == pg.reference("Post", None).records



REFUSED_WRITES: list[tuple[str, tuple[Any, ...]]] = [
    ("create", ("Nope", {})),
    ("create", ("Post", {"objectId": "p1"})),
    ("create", ("Post", {"objectId": "p6", "score": "high"})),
    ("save", ("Post", "p1", {"objectId": "p7"})),
    ("save", ("Post", "p1", {"fans": ["u1"]})),
    ("save", ("Post", "p404", {"score": 1})),
    ("save", ("Post", "p1", {"score": "high"})),
    ("increment", ("Post", "p1", {"title": 1})),
    ("increment", ("Post", "p1", {"score": True})),
    ("increment", ("Post", "p404", {"score": 1})),
    ("delete", ("Post", "p404")),
    ("add_relation", ("Post", "p1", "title", "u1")),
    ("add_relation", ("Post", "p404", "fans", "u1")),
    ("remove_relation", ("Post", "p1", "owner", "u1")),
    ("define_class", ("Post", {"score": {"type": "String"}})),
    # Arguments of the wrong kind: a clear error on both engines, not a TypeError or the
    # engine's own SQL error (an int id compared with a text column; NUL refused by PostgreSQL only).
    ("save", ("Post", "p1", ["score"])),
    ("increment", ("Post", "p1", ["score"])),
    ("save", ("Post", 1, {"score": 1})),
    ("delete", ("Post", None)),
    ("delete", ("Post", "p1\x00")),
    ("add_relation", ("Post", "p1", "fans", 5)),
    ("add_relation", ("Post", "p1", "fans", "u1\x00")),
    ("add_relation", ("Post", "p1", "fans", "")),
    ("remove_relation", ("Post", "p1", "fans", 5)),
    ("create", ("Post", {"objectId": "p6", "fans": ["u1", None]})),
    # A lone surrogate in an id: PostgreSQL's driver raised UnicodeEncodeError (a traceback)
    # and DuckDB's answered "Python Conversion Failure"; no record can have such an id.
    ("delete", ("Post", "p1\ud800")),
    ("save", ("Post", "p1\ud800", {"score": 1})),
    ("increment", ("Post", "p1\ud800", {"score": 1})),
    ("add_relation", ("Post", "p1\ud800", "fans", "u1")),
    ("add_relation", ("Post", "p1", "fans", "u1\udfff")),
]



@pytest.mark.parametrize(("method", "args"), REFUSED_WRITES, ids=[f"{m}-{i}" for i, (m, _) in enumerate(REFUSED_WRITES)])
def test_refused_writes_are_refused_alike_and_change_nothing(pair, method, args):
    """Both engines share one writer's rules (engines/sql/writer.py): the same error, nothing written."""
    pg, duck = pair
    errors = []
    for db in (pg, duck):
        before = db.query("Post", None).records
        with pytest.raises(QueryError) as exc:
            getattr(db, method)(*args)
        errors.append((type(exc.value), str(exc.value)))
        assert db.query("Post", None).records == before
    assert errors[0] == errors[1]



def test_removing_an_edge_named_by_a_lone_surrogate_removes_nothing_alike(pair):
    """As for an id with NUL: no edge has such an id, so there is nothing to remove (PostgreSQL
    raised UnicodeEncodeError, DuckDB a DataError with its driver's "Python Conversion Failure").
    Found writing the ids the property tests never generate (tests/test_property_gaps.py)."""
    for db in pair:
        before = db.query("Post", {"fans": {"exists": True}}).ids
        db.remove_relation("Post", "p1", "fans", "u1\ud800")
        with pytest.raises(DataError, match="Object not found"):  # no such owner, as for add_relation
            db.remove_relation("Post", "p1\ud800", "fans", "u1")
        assert db.query("Post", {"fans": {"exists": True}}).ids == before



def test_an_edge_to_a_missing_record_is_written_and_checked_alike(pair):
    pg, duck = pair
    for db in (pg, duck):
        db.add_relation("Post", "p2", "fans", "ghost")  # no such User: queries check targets again
        db.create("Post", {"objectId": "p8", "fans": ["u1", "u9"]})
        db.delete("User", "u1")  # its edges go with it
    for where in [{"fans": "ghost"}, {"fans": {"exists": True}}, {"fans": "u1"}, {"fans": "u2"}]:
        assert pg.query("Post", where).ids == duck.query("Post", where).ids == pg.reference("Post", where).ids



def test_writes_on_a_read_only_database_are_refused_alike(pg_cluster, tmp_path):
    """DuckDB's refusal named its statements ('Invalid Input Error: Cannot execute statement of
    type "INSERT" on database ... attached in read-only mode'); both engines now say it alike."""
    url = fresh_url(pg_cluster)
    path = tmp_path / "ro.duckdb"
    for target in (url, path):
        with querylang.connect(target) as db:
            db.load(DOC)
    writes = [
        lambda d: d.create("Post", {"title": "x"}), lambda d: d.save("Post", "p1", {"score": 1}),
        lambda d: d.increment("Post", "p1", {"score": 1}), lambda d: d.delete("Post", "p1"),
        lambda d: d.add_relation("Post", "p1", "fans", "u2"), lambda d: d.remove_relation("Post", "p1", "fans", "u1"),
        lambda d: d.define_class("Tag", {}), lambda d: d.add_field("Post", "extra", "String"),
        lambda d: d.load({"classes": {"Tag": {"fields": {}}}, "records": {}}),
    ]
    messages: list[list[str]] = []
    for target in (url, path):
        with querylang.connect(target, read_only=True) as db:
            before = db.query("Post", None).records
            got = []
            for write in writes:
                with pytest.raises(DataError) as info:
                    write(db)
                got.append(str(info.value))
            assert db.query("Post", None).records == before
            messages.append(got)
    assert messages[0] == messages[1]
    assert all("read-only" in m for m in messages[0])



def test_a_failed_load_writes_nothing(pair):
    pg, _ = pair
    before = pg.query("Post", None).records
    bad = {"records": {"Post": [{"objectId": "p8", "title": "ok"}, {"objectId": "p1", "title": "again"}]}}
    with pytest.raises(DataError, match="duplicate objectId"):
        pg.load(bad)
    nul = {"records": {"Post": [{"objectId": "p7", "title": "a\x00b"}]}}
    with pytest.raises(DataError, match="NUL"):  # PostgreSQL text cannot hold U+0000: refused on both engines
        pg.load(nul)
    assert pg.query("Post", None).records == before



def test_a_value_too_long_for_an_index_is_refused_not_a_lost_server(pair):
    """PostgreSQL's indexes hold at most about 2.7 kB a key (after compression): an Array
    element or Pointer past it is refused by the server (SQLSTATE 54000). psycopg files that
    under OperationalError, and the load and the write said "the PostgreSQL server went away"
    while it was there and had answered; the message now says the database refused it and
    names the index (class and field)."""
    pg, _ = pair
    before = pg.query("Post", None).records
    letters = random.Random(1)
    long_text = "".join(letters.choice(string.ascii_letters) for _ in range(4000))  # compresses poorly
    attempts = [
        (lambda: pg.load({"records": {"Post": [{"objectId": "p9", "tags": [long_text]}]}}), "ix:Post:tags:e"),
        (lambda: pg.create("Post", {"tags": [long_text]}), "ix:Post:tags:e"),
        (lambda: pg.save("Post", "p1", {"owner": long_text}), "ix:Post:owner"),
    ]
    for attempt, index in attempts:
        with pytest.raises(DataError) as info:
            attempt()
        assert "went away" not in str(info.value)
        assert "too long for PostgreSQL's index" in str(info.value) and index in str(info.value)
    assert pg.query("Post", None).records == before



def test_a_record_the_server_refuses_in_a_load_names_its_class(pg_connect):
    """A class of many String fields of moderate text makes rows past PostgreSQL's 8 kB (each
    String is four columns, none long enough to be moved out of the row): the load said only
    "row is too big: size 9768, maximum size 8160", naming no class among those it held. The
    texts are in capitals with commas, so that each of their word columns is stored."""
    db = pg_connect()
    try:
        fields = {f"s{i}": {"type": "String"} for i in range(150)}
        doc = {"classes": {"Ok": {"fields": {"a": {"type": "String"}}}, "Wide": {"fields": fields}},
               "records": {"Ok": [{"objectId": "o1", "a": "x"}], "Wide": [{"objectId": "w1", **{f: "X," * 50 for f in fields}}]}}
        with pytest.raises(DataError, match="row is too big") as info:
            db.load(doc)
        assert info.value.class_name == "Wide" and "nothing was loaded" in str(info.value)
        assert "Ok" not in db.schema.classes
    finally:
        db.close()



def test_a_class_past_postgresqls_column_limit_is_refused_naming_it(pair):
    """A String field takes four columns (its text-search words beside it): 450 String
    fields are 1806 columns, past PostgreSQL's 1600 a table, which DuckDB holds. The load,
    and a field added past the limit, said only "tables can have at most 1600 columns"."""
    pg, duck = pair
    wide = {"classes": {"Wide": {"fields": {f"f{i}": {"type": "String"} for i in range(450)}}},
            "records": {"Wide": [{"objectId": "w", "f1": "x"}]}}
    assert duck.load(wide) == {"Wide": 1}
    with pytest.raises(DataError, match=r"class Wide: its 450 fields need 1806 columns, and a PostgreSQL table holds at most 1600"):
        pg.load(wide)
    assert "Wide" not in pg.schema.classes
    pg.load({"classes": {"Wide": {"fields": {f"f{i}": {"type": "String"} for i in range(398)}}}})
    with pytest.raises(DataError, match=r"class Wide: its 400 fields need 1606 columns"):
        pg.load({"classes": {"Wide": {"fields": {"g1": {"type": "String"}, "g2": {"type": "String"}}}}})
    with pytest.raises(DataError, match=r"class Wide: its 400 fields need"):
        pg.define_class("Wide", {"g1": {"type": "String"}, "g2": {"type": "String"}})
    assert len(pg.schema.classes["Wide"].user_fields) == 398



def test_a_query_inside_load_s_progress_is_refused_not_a_hang(pg_cluster):
    """A progress that queried the database it was told about waited forever: it ran inside the
    load's COPY, on the connection the COPY holds."""
    db = fresh_database(pg_cluster)
    said: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        try:
            db.count("T")
        except QueryError as exc:
            said.append(str(exc))

    try:
        assert db.load({"classes": {"T": {"fields": {}}}, "records": {"T": [{"objectId": "t1"}]}}, progress=progress) == {"T": 1}
        assert said and all(s.startswith("a query inside load's progress, while the load holds the database") for s in said)
    finally:
        db.close()



def test_a_change_unsets_fields_on_both_engines(pair):
    """Change(unset=[...]) leaves fields without a value (MongoDB's $unset, Parse's Delete), so a
    read leaves them out, where fields set to None read back as null; there was no way to take
    a value away but to write null, so serve answered a Parse Delete as null. A name that is no
    field a save may set, or one also in ``fields``, is refused and nothing changes."""
    for db in pair:
        db.update("Post", "p1", lambda r: querylang.Change({"score": None}, unset=["meta", "title"]))
        got = db.find("Post", {"objectId": "p1"}).records[0]
        assert "meta" not in got and "title" not in got and got["score"] is None and got["tags"] == ["x", "y"], db
        assert db.count("Post", {"title": {"exists": False}}) == 1
        db.update("Post", "p1", lambda r: querylang.Change(unset=("score",)))
        assert "score" not in db.find("Post", {"objectId": "p1"}).records[0]
        before = db.find("Post", {"objectId": "p2"}).records
        for unset, fields, message in ((["nope"], {}, "unknown field"), ("title", {}, "must be a list of field names"),
                                       (["fans"], {}, "with add= and remove="), (["updatedAt"], {}, "updatedAt cannot be changed"),
                                       (["body"], {"body": "x"}, "cannot both set and unset")):
            with pytest.raises(DataError, match=message):
                db.update("Post", "p2", lambda r, u=unset, f=fields: querylang.Change(f, unset=u))
        assert db.find("Post", {"objectId": "p2"}).records == before


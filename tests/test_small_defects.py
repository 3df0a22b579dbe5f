"""Small defects earlier reviews reported and left, each pinned by the case that showed it."""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang.app.demo import sample_document


@pytest.fixture(scope="module")
def sample() -> querylang.Database:
    db = querylang.connect()
    db.load(sample_document())
    return db


def test_an_import_given_no_path_says_a_path_is_needed(sample: querylang.Database) -> None:
    # Path(5) and iter(5) raised bare TypeErrors ("'int' object is not iterable"); the value is
    # then named in JSON's words, as load names it (were Python's: "int 5", "NoneType None"),
    # and cut (a list of a million numbers was written whole).
    for call in (sample.import_dashboard_export, sample.import_mongo_export):
        with pytest.raises(querylang.DataError, match="^a path .* is needed, not number 5$"):
            call(5)  # type: ignore[arg-type]
    with pytest.raises(querylang.DataError, match="^a path .* is needed, not null$"):
        sample.import_dashboard_export([None])  # type: ignore[list-item]
    with pytest.raises(querylang.DataError, match=r"^a path .* is needed, not array \[null, 1.5, true, 0, 0, 0, 0, .{20,30}\.\.\.$"):
        sample.import_dashboard_export([[None, 1.5, True, *[0] * 1_000_000]])  # type: ignore[list-item]
    # A dict's keys were taken for paths: {"Post.json": 1} imported the file Post.json.
    with pytest.raises(querylang.DataError, match=r"^a path .* is needed, not object \{Post.json: 1\}$"):
        sample.import_dashboard_export({"Post.json": 1})  # type: ignore[arg-type]


def test_an_import_given_an_empty_path_is_refused_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Path("") is the current folder: import_dashboard_export("") imported its .json files.
    (tmp_path / "Thing.json").write_text('[{"objectId": "t1", "name": "x"}]')
    monkeypatch.chdir(tmp_path)
    db = querylang.connect()
    for call in (db.import_dashboard_export, db.import_mongo_export):
        with pytest.raises(querylang.DataError, match="^a path .* is needed, not an empty one$"):
            call("")
    assert db.schema.classes == {}


def test_and_or_nor_take_a_tuple_as_containedin_does(sample: querylang.Database) -> None:
    # A tuple was "Bad $or format - use an array value." while containedIn took one.
    for key in ("and", "or", "nor"):
        as_list = sample.query("Post", {key: [{"score": {"greaterThan": 3}}, {"title": {"exists": True}}]}).ids
        where = {key: ({"score": {"greaterThan": 3}}, {"title": {"exists": True}})}
        assert sample.query("Post", where).ids == sample.reference("Post", where).ids == as_list
        assert querylang.to_parse_where(where) == querylang.to_parse_where(
            {key: [{"score": {"greaterThan": 3}}, {"title": {"exists": True}}]}
        )


def test_an_unknown_option_names_the_method_called(sample: querylang.Database) -> None:
    # "build_query() got an unexpected keyword argument 'bogus'": a function the caller never called.
    calls = {
        "count": lambda: sample.count("Post", bogus=1),
        "distinct": lambda: sample.distinct("Post", "title", bogus=1),
        "aggregate": lambda: sample.aggregate("Post", {"S": {"sum": "score"}}, bogus=1),
        "explain": lambda: sample.explain("Post", bogus=1),
        "compile": lambda: sample.compile("Post", bogus=1),
        "build": lambda: sample.build("Post", bogus=1),
        "stream": lambda: list(sample.stream("Post", bogus=1)),
    }
    for method, call in calls.items():
        with pytest.raises(TypeError, match=rf"^{method}\(\) got an unexpected keyword argument 'bogus'$"):
            call()


def test_matches_query_with_more_than_where_and_classname_says_what_it_takes(sample: querylang.Database) -> None:
    # It was read as a filter on User: "class User has no field 'className'".
    where = {"author": {"matchesQuery": {"className": "User", "where": {}, "limit": 1}}}
    with pytest.raises(querylang.QueryError, match=r"matchesQuery does not take 'limit' beside 'where' and 'className': it takes a filter object, or \{where, className\}"):
        sample.query("Post", where)
    assert sample.query("Post", {"author": {"matchesQuery": {"className": "User", "where": {}}}}).ids


def test_an_id_given_as_a_pointer_of_another_class_is_refused(sample: querylang.Database) -> None:
    # idEqualTo took a Pointer to User as the id of a Post, where a Pointer field refuses it.
    other = {"__type": "Pointer", "className": "User", "objectId": "p001"}
    for where in ({"idEqualTo": other}, {"idContainedIn": ["p002", other]}):
        with pytest.raises(querylang.QueryTypeError, match="takes ids of Post, not a Pointer to User"):
            sample.query("Post", where)
        with pytest.raises(querylang.QueryTypeError, match="takes ids of Post, not a Pointer to User"):
            sample.reference("Post", where)
    own = {"__type": "Pointer", "className": "Post", "objectId": "p001"}
    assert sample.query("Post", {"idEqualTo": own}).ids == sample.query("Post", {"idContainedIn": [own]}).ids == ["p001"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        # A record written on its own has no place among others: "record #0" named none, and
        # an empty Pointer id said "expected a Pointer (objectId string), got string".
        ({"objectId": ""}, "class Post, field objectId: the objectId is empty"),
        ({"objectId": 5}, "class Post, field objectId: the objectId must be a string, got number"),
        ({"author": ""}, "field author: the Pointer's objectId is empty"),
        ({"author": {"__type": "Pointer", "className": "User", "objectId": ""}}, "field author: the Pointer's objectId is empty"),
    ],
)
def test_an_empty_object_id_in_a_record_written_on_its_own_names_the_field(sample: querylang.Database, record, message) -> None:
    with pytest.raises(querylang.DataError) as info:
        querylang.matches(record, {"score": 1}, schema=sample.schema, class_name="Post")
    assert message in str(info.value) and "#0" not in str(info.value)
    with querylang.connect() as db:
        db.load({"classes": sample_document()["classes"]})
        with pytest.raises(querylang.DataError) as info:
            db.create("Post", record)
        assert message in str(info.value) and "#0" not in str(info.value)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        # A filter object with a JSON mistake fell back to the script parser, which said "a '{'
        # at the start of a statement opens a block; wrap an object in parentheses".
        ('{"score": {"greaterThan": 5}', "SCRIPT: not valid JSON at line 1, column 29: Expecting ',' delimiter"),
        ('{ "score": 5, }', "SCRIPT: not valid JSON at line 1, column 15: Expecting property name enclosed in double quotes"),
        ("{'score': 5}", "SCRIPT: not valid JSON at line 1, column 2: Expecting property name enclosed in double quotes"),
    ],
)
def test_a_filter_object_that_is_not_valid_json_says_where_on_the_command_line(script: str, message: str) -> None:
    from click.testing import CliRunner

    from querylang.app.cli import main

    res = CliRunner().invoke(main, ["query", "Post", script], prog_name="querylang")
    assert res.exit_code == 2 and message in res.stderr and "opens a block" not in res.stderr, res.stderr
    assert CliRunner().invoke(main, ["query", "Post", '{"score": 5}'], prog_name="querylang").exit_code == 0


@pytest.mark.parametrize("operand", [{"__type": "Pointer", "className": "Post", "objectId": "u01"},
                                     [{"__type": "Pointer", "className": "Post", "objectId": "u01"}],
                                     {"objectId": "u01", "className": "Post"}])
def test_points_to_a_pointer_of_another_class_is_refused_as_equal_to_is(sample: querylang.Database, operand) -> None:
    # equalTo refused it (docs/semantics.md#pointer-fields); pointsTo matched the id's records.
    filt = {"author": {"pointsTo": operand}}
    with pytest.raises(querylang.QueryError, match="'author' points to User, not Post"):
        sample.query("Post", filt)
    with pytest.raises(querylang.QueryError, match="'author' points to User, not Post"):
        querylang.to_parse_where(filt, schema=sample.schema, class_name="Post")
    assert sample.query("Post", {"author": {"pointsTo": {"__type": "Pointer", "className": "User", "objectId": "u01"}}}).ids


def test_a_file_that_is_not_utf8_is_named_by_line_and_column(tmp_path: Path, sample: querylang.Database) -> None:
    # A Latin-1 file was refused with the codec's "can't decode byte 0xe9 in position 90": a
    # byte offset, where a file that is not JSON is named by line and column.
    from click.testing import CliRunner

    from querylang.app.cli import main

    doc = tmp_path / "doc.json"
    doc.write_bytes(b'{"classes": {"T": {"fields": {"s": {"type": "String"}}}},\r\n "records": {"T": [{"s": "\xe9"}]}}')
    said = "not UTF-8 text at line 2, column 27 (byte 0xe9; save the file as UTF-8)"
    db = querylang.connect()
    with pytest.raises(querylang.DataError, match=f"^{doc}: {re.escape(said)}"):
        db.load(doc)
    assert not db.schema.classes
    for args in (["query", "T", "", "--data", str(doc)], ["load", str(doc), "--db", str(tmp_path / "x.duckdb")]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 2 and said in res.output
    mongo = tmp_path / "dump"
    mongo.mkdir()
    (mongo / "_SCHEMA.json").write_text('{"_id": "T", "s": "string"}\n', encoding="utf-8")
    (mongo / "T.json").write_bytes(b'{"_id": "a", "s": "x"}\n{"_id": "b", "s": "\xe9"}\n')
    with pytest.raises(querylang.DataError, match=re.escape("T.json: not UTF-8 text at line 2, column 20")):
        db.import_mongo_export(mongo)
    dashboard = tmp_path / "T.json"
    dashboard.write_bytes(b'[{"objectId": "a", "s": "x"},\n {"objectId": "b", "s": "\xe9"}]')
    with pytest.raises(querylang.DataError, match=re.escape("T.json: not UTF-8 text at line 2, column 26")):
        db.import_dashboard_export(dashboard)
    assert not db.schema.classes


def test_increment_and_update_say_what_is_wrong_with_their_fields() -> None:
    # increment({None: 1}) said "increment needs a Number field" naming no field, and an
    # update whose Change held a list of pairs was refused as "save needs an object of fields".
    db = querylang.connect()
    db.define_class("Post", {"n": {"type": "Number"}, "t": {"type": "String"}})
    db.create("Post", {"objectId": "p1", "n": 1})
    cases = [
        (lambda: db.increment("Post", "p1", {None: 1}), "class Post, record p1: increment: field names are strings, not null"),
        (lambda: db.increment("Post", "p1", {"nn": 1}), "class Post, record p1, field nn: increment: unknown field (did you mean 'n'?)"),
        (lambda: db.increment("Post", "p1", {"t": 1}), "class Post, record p1, field t: increment needs a Number field, not a String field"),
        (lambda: db.update("Post", "p1", lambda r: querylang.Change([("n", 1)])),  # type: ignore[arg-type]
         "class Post, record p1: update's Change needs an object of fields (a field name → its value), not array"),
    ]
    for call, message in cases:
        with pytest.raises(querylang.DataError) as err:
            call()
        assert str(err.value) == message
    assert db.find("Post", {"objectId": "p1"}).records[0]["n"] == 1


def test_a_sort_item_holding_commas_is_several_keys_as_noodl_sends_it(sample: querylang.Database) -> None:
    # Noodl joins sort([...]) with ',' into Parse's order, which Parse splits: sort(['-score,title'])
    # is two keys there, and in db.find(order=[...]); db.query refused it as a field named so.
    want = sample.query("Post", sort=["-score", "title"]).ids
    assert sample.query("Post", "where({})\nsort(['-score, title'])").ids == want
    assert sample.query("Post", sort=["-score,title"]).ids == want
    assert sample.reference("Post", sort=["-score,title"]).ids == want
    assert sample.find("Post", order=["-score,title"], limit=1000).ids == want
    with pytest.raises(querylang.QueryError, match="cannot sort by ''"):
        sample.query("Post", "where({})\nsort(['score,'])")  # Parse: 105 for the empty key too


def test_a_sort_of_one_empty_key_is_no_sort_as_parse_reads_it(sample: querylang.Database) -> None:
    # sort(['']) reaches Parse as order '' (Noodl joins the array), which Parse Server ignores;
    # querylang refused it as a sort by a field named ''.
    want = sample.query("Post", limit=1000).ids
    assert sample.query("Post", "where({})\nsort([''])", limit=1000).ids == want
    assert sample.reference("Post", sort=[""], limit=1000).ids == want


@pytest.mark.parametrize("value", [Decimal("3"), {"nested": {1, 2}}, 10**400], ids=["Decimal", "set-inside", "past-a-double"])
def test_an_input_with_no_script_meaning_is_named(sample: querylang.Database, value: object) -> None:
    # "a Decimal cannot be used as a script value" (or "a number is out of range") did not say
    # which of the inputs held it.
    script = "where({ score: { equalTo: Inputs.Min } })"
    with pytest.raises(querylang.QueryError, match="^input 'Min': ") as err:
        sample.query("Post", script, inputs={"Title": "x", "Min": value})
    assert err.value.code == 107


@pytest.mark.parametrize("sort", [5, {"title": 1}, True])
def test_a_sort_argument_of_another_type_is_a_query_error(sample: querylang.Database, sort: object) -> None:
    # sort=5 raised Python's "'int' object is not iterable"; a dict sorted by its keys.
    for call in (sample.query, sample.compile, sample.reference):
        with pytest.raises(querylang.QueryTypeError, match="sort needs an array of field names, got (number|object|boolean)"):
            call("Post", sort=sort)  # type: ignore[operator]


def test_a_cancel_that_is_not_an_event_is_a_query_error(sample: querylang.Database) -> None:
    # cancel="x" raised Python's "'str' object has no attribute 'is_set'" from the engine.
    calls = {
        "query": lambda: sample.query("Post", cancel="x"),
        "count": lambda: sample.count("Post", cancel="x"),
        "distinct": lambda: sample.distinct("Post", "title", cancel="x"),
        "aggregate": lambda: sample.aggregate("Post", {"S": {"sum": "score"}}, cancel="x"),
        "explain": lambda: sample.explain("Post", cancel="x"),
        "stream": lambda: next(sample.stream("Post", cancel="x")),
        "run": lambda: sample.run(sample.build("Post"), cancel="x"),
    }
    for method, call in calls.items():
        with pytest.raises(querylang.QueryTypeError, match=rf"^{method}\(\) cancel must be a threading.Event or None, not str"):
            call()
    assert sample.query("Post", limit=1, cancel=threading.Event()).ids == ["p001"]


def test_run_of_something_other_than_query_nodes_is_a_query_error(sample: querylang.Database) -> None:
    # db.run("x") raised Python's "'str' object has no attribute 'limit'".
    for method in ("run", "run_reference"):
        with pytest.raises(querylang.QueryTypeError, match=rf"^{method}\(\) needs the query nodes db.build\(...\) gives, not str"):
            getattr(sample, method)("where({})")
    assert sample.run(sample.build("Post", limit=1)).ids == sample.run_reference(sample.build("Post", limit=1)).ids == ["p001"]


def test_a_load_progress_that_is_not_a_function_is_a_data_error() -> None:
    # progress="x" raised Python's "'str' object is not callable" at its first call.
    db = querylang.connect()
    with pytest.raises(querylang.DataError, match="^load's progress must be a function .*, not str: nothing was loaded"):
        db.load(sample_document(), progress="x")  # type: ignore[arg-type]
    assert db.schema.classes == {}


def test_a_load_read_from_that_is_not_a_path_is_a_data_error() -> None:
    # read_from=5 raised Python's TypeError from Path(5), in place of the bad record's DataError.
    db = querylang.connect()
    doc = {"classes": {"A": {"fields": {"x": {"type": "Number"}}}}, "records": {"A": [{"objectId": "a", "x": "s"}]}}
    with pytest.raises(querylang.DataError, match="^load's read_from must be the JSON file's path, not int: nothing was loaded"):
        db.load(doc, read_from=5)  # type: ignore[arg-type]
    assert db.schema.classes == {}


def test_a_load_of_an_empty_path_is_refused_not_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # load("") read Path(""), the current folder: an interchange directory there was loaded.
    (tmp_path / "schema.json").write_text('{"classes": {"A": {"fields": {}}}}')
    monkeypatch.chdir(tmp_path)
    db = querylang.connect()
    with pytest.raises(querylang.DataError, match="^load needs a path or a dict .*, got an empty path"):
        db.load("")
    assert db.schema.classes == {}


@pytest.mark.parametrize(("path", "got"), [("", "an empty path"), (None, "NoneType"), (5, "int"), (["a.duckdb"], "list")])
def test_connect_to_something_other_than_a_path_says_what_it_needs(path: object, got: str) -> None:
    # connect("") said " is a folder, not a database file" (Path("") is the current folder);
    # connect(5) and connect(None) took str() of them for a file name: "no database at None: ...".
    with pytest.raises(querylang.DataError, match=rf"^connect needs a database file's path, ':memory:' or a postgresql:// URL, not {got}$"):
        querylang.connect(path)  # type: ignore[arg-type]


def test_an_unknown_class_of_a_database_of_no_classes_says_it_holds_none(tmp_path: Path) -> None:
    # A new database, or another application's DuckDB file opened by mistake, said only
    # "unknown class 't'" (querylang schema says "No classes (load a data file first)").
    db = querylang.connect()
    with pytest.raises(querylang.SchemaError, match=r"^unknown class 'Post' \(the database holds no classes: load a "
                       r"data file first\)$"):
        db.query("Post", "")
    db.load({"classes": {"Note": {"fields": {}}}})
    with pytest.raises(querylang.SchemaError, match=r"^unknown class 'Post'$"):
        db.query("Post", "")


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(("url", "named"), [("mysql://u:secret@host/db", "mysql://u:***@host/db"),
                                            ("sqlite:///blog.db", "sqlite:///blog.db")])
def test_connect_to_a_url_of_another_scheme_says_so(url: str, named: str, read_only: bool, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Taken for a DuckDB file's name: "there is no folder mysql://u:secret@host to make it in",
    # the password shown; the command line's --db said what was wrong, the library did not.
    monkeypatch.chdir(tmp_path)
    scheme = url.split("://")[0]
    with pytest.raises(querylang.DataError, match=rf"^cannot open database {re.escape(named)}: {scheme}:// is not a "
                       r"database querylang opens: give a DuckDB file's path, ':memory:' or a postgresql:// URL$"):
        querylang.connect(url, read_only=read_only)
    assert list(tmp_path.iterdir()) == []  # nothing made



@pytest.mark.parametrize("records", [1, 60_000])  # one transaction; written by threads of its own (pipeline.py)
def test_a_query_or_write_inside_load_s_progress_is_refused_not_a_hang(records: int) -> None:
    # A load of 60,000 records whose progress queried or wrote this database waited forever:
    # the progress (on a thread of the load's) for the load, the load for it; on PostgreSQL any
    # load (its COPY holds the connection). A write during a one-transaction load failed with
    # DuckDB's "cannot start a transaction within a transaction".
    doc = {"classes": {"T": {"fields": {}}}, "records": {"T": [{"objectId": f"t{i}"} for i in range(records)]}}
    for call, refused in [
        (lambda db: db.count("P"), r"^a query inside load's progress, while the load holds the database"),
        (lambda db: db.reference("P"), r"^a query inside load's progress"),
        (lambda db: db.create("P", {}), r"^create inside load's progress, while the load holds the database: nothing was changed"),
    ]:
        db = querylang.connect()
        db.load({"classes": {"P": {"fields": {}}}, "records": {"P": [{"objectId": "p1"}]}})
        said: list[BaseException] = []

        def progress(stage: str, done: int, total: int, db=db, call=call, said=said) -> None:
            if stage == "written" and not said:
                try:
                    call(db)
                except querylang.QueryError as exc:
                    said.append(exc)
                else:
                    said.append(AssertionError("not refused"))

        db.load(doc, progress=progress)
        assert said and re.match(refused, str(said[0])), said
        assert db.count("T") == records and db.count("P") == 1




def test_a_dotted_key_into_an_object_field_says_so() -> None:
    # db.save("Post", "p1", {"meta.views": 3}) (Parse's way of setting one key of an Object,
    # which serve refuses saying so) said "field meta.views: unknown field", though meta is
    # a field of the class; increment({"meta.views": 1}) and a loaded record said the same.
    db = querylang.connect()
    db.define_class("Post", {"meta": {"type": "Object"}, "n": {"type": "Number"}})
    db.create("Post", {"objectId": "p1", "meta": {"views": 1}})
    whole = "a key inside the Object field 'meta' (a dotted name): fields are written whole; give 'meta' whole"
    cases = [
        (lambda: db.save("Post", "p1", {"meta.views": 3}), f"class Post, record p1, field meta.views: {whole}"),
        (lambda: db.create("Post", {"objectId": "p2", "meta.views": 3}), f"class Post, record p2, field meta.views: {whole}"),
        (lambda: db.update("Post", "p1", lambda r: querylang.Change({"meta.views": 3})),
         f"class Post, record p1, field meta.views: {whole}"),
        (lambda: db.load({"records": {"Post": [{"objectId": "p3", "meta.views": 3}]}}),
         f"class Post, record p3, field meta.views: {whole}"),
        (lambda: db.increment("Post", "p1", {"meta.views": 1}),
         "class Post, record p1, field meta.views: increment: a key inside the Object field 'meta' (a dotted name) is no "
         "Number field: change the Object whole (db.update reads and writes it in one transaction)"),
    ]
    for call, message in cases:
        with pytest.raises(querylang.DataError) as err:
            call()
        assert str(err.value) == message
    assert db.find("Post", {}).records[0]["meta"] == {"views": 1} and db.count("Post") == 1
    with pytest.raises(querylang.DataError, match="field n.x: unknown field"):  # not an Object: unknown as before
        db.save("Post", "p1", {"n.x": 1})


def test_a_dropped_table_named_as_a_python_variable_is_a_missing_table(tmp_path) -> None:
    # DuckDB looks a table it does not find up among the Python variables of the code running
    # the statement (replacement scans): after DROP TABLE "sql" by hand, a query of class sql
    # said 'Invalid Input Error: Python Object "sql" of type "str" found on line ".../store.py"
    # not suitable for replacement scans' (an EngineError, so `querylang schema` failed instead
    # of showing '?'), where a class of any other name is a TableMissing saying it was dropped.
    import duckdb

    from querylang.errors import TableMissing

    path = tmp_path / "x.duckdb"
    with querylang.connect(path) as db:
        db.load({"classes": {"sql": {"fields": {"s": {"type": "String"}}}, "cur": {"fields": {}}}, "records": {"sql": []}})
    with duckdb.connect(str(path)) as con:
        con.execute('DROP TABLE "sql"; DROP TABLE "cur"')
    with querylang.connect(path) as db:
        for name in ("sql", "cur"):
            for read in (lambda n=name: db.query(n, {}), lambda n=name: db.count(n)):
                with pytest.raises(TableMissing) as err:
                    read()
                assert f"Table with name {name} does not exist!; the schema lists its class" in str(err.value)


def test_count_and_strict_are_true_or_false(sample: querylang.Database) -> None:
    # count='no' and strict='no' were taken as true (a string is truthy), also by a plan the
    # plan cache kept for the script.
    script = "where({ score: { greaterThan: Inputs.Min } })"
    for _ in range(3):  # the second and third run go through the plan cache
        assert sample.query("Post", script, inputs={"Min": 1}, count=True).count is not None
    for bad in ({"count": "no"}, {"strict": "no"}, {"count": 2}, {"strict": [True]}):
        for call in (sample.query, sample.compile, sample.reference):
            with pytest.raises(querylang.QueryTypeError, match=f"^{next(iter(bad))} must be True or False"):
                call("Post", script, inputs={"Min": 1}, **bad)  # type: ignore[operator]
    assert sample.query("Post", {}, count=1, limit=0).count == sample.count("Post")  # as Parse REST's count=1


def test_an_empty_select_keeps_only_the_fields_every_record_shows(sample: querylang.Database) -> None:
    # db.query(select='') and select=[] gave every field, where db.find(keys='') gives only
    # objectId, createdAt and updatedAt (as Parse Server answers keys=''), and so does stream.
    want = [{k: r[k] for k in ("objectId", "createdAt", "updatedAt")} for r in sample.query("Post", limit=5).records]
    assert [sorted(r) for r in sample.find("Post", {}, keys="", limit=5).records] == [sorted(w) for w in want]
    for select in ("", []):
        assert sample.query("Post", limit=5, select=select).records == want
        assert list(sample.stream("Post", limit=5, select=select)) == want
    assert sample.query("Post", limit=5, select=None).records != want


def test_a_huge_name_is_cut_in_messages(sample: querylang.Database) -> None:
    # db.query('Post' * 250_000) and a write naming such a field gave messages of a million
    # characters: values were cut to 40-60 characters, class, field and record names never.
    for call, kind in [(lambda: sample.query("P" * 100_000), querylang.SchemaError),
                       (lambda: sample.query("Post", {"t" * 100_000: 1}), querylang.SchemaError),
                       (lambda: sample.create("Post", {"t" * 100_000: 1}), querylang.DataError)]:
        with pytest.raises(kind) as err:
            call()
        assert len(str(err.value)) < 300 and "… (100,0" in str(err.value), str(err.value)[:300]
    with pytest.raises(querylang.DataError) as data:
        sample.create("Post", {"t" * 100_000: 1})
    assert data.value.field == "t" * 100_000  # the error's attributes keep the whole name


def test_an_include_or_select_given_as_an_object_is_refused(sample: querylang.Database) -> None:
    # include={'Owner': 1} was read as its keys (iterating a dict), so it included Owner; a
    # number was already refused as no list.
    for kw in ({"include": {"author": 1}}, {"select": {"title": 1}}):
        with pytest.raises(querylang.QueryTypeError, match=f"^{next(iter(kw))} must be a string or a list of strings, not an object"):
            sample.query("Post", limit=1, **kw)  # type: ignore[arg-type]
    with pytest.raises(querylang.QueryTypeError, match="^keys must be a string or a list of strings, not an object"):
        sample.find("Post", {}, keys={"title": 1})  # type: ignore[arg-type]


def test_a_target_class_that_is_no_name_is_said_to_be_one() -> None:
    # add_field('Post', 'x', 'Pointer', 5) said "Pointer needs a targetClass", as if none was given.
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {}}}, "records": {}})
    with pytest.raises(querylang.DataError, match="field x: targetClass must be a class name, not number$"):
        db.add_field("Post", "x", "Pointer", 5)  # type: ignore[arg-type]
    with pytest.raises(querylang.DataError, match="field x: Pointer needs a targetClass$"):
        db.add_field("Post", "x", "Pointer")
    assert "x" not in db.schema.get("Post").fields


def test_duckdb_draws_no_progress_bar_on_stdout(tmp_path, capfd, monkeypatch) -> None:
    # DuckDB drew its own progress bar ("\r 43% ▕████▎ ▏ (~2 seconds remaining)") on stdout
    # for every statement on the store's connection longer than two seconds: `querylang load
    # DIR --db F --no-progress > log` of a large directory wrote it into the log. Its delay is
    # set to none for this connection, so that quick statements would draw it too.
    import duckdb

    connect = duckdb.connect

    def without_delay(*args: Any, **kwargs: Any) -> Any:
        con = connect(*args, **kwargs)
        con.execute("SET progress_bar_time = 0")
        return con

    monkeypatch.setattr(duckdb, "connect", without_delay)
    with querylang.connect(tmp_path / "x.duckdb") as db:
        capfd.readouterr()
        db.load({"classes": {"Post": {"fields": {"n": {"type": "Number"}}}},
                 "records": {"Post": [{"objectId": f"p{i}", "n": i} for i in range(50)]}})
        assert db.store.con.execute("SELECT count(*) FROM range(3000000) AS r(x) WHERE x % 7 = 1").fetchall() == [(428572,)]
        assert db.count("Post") == 50
    assert capfd.readouterr().out == ""


@pytest.mark.parametrize("call", [
    lambda: querylang.matches({"objectId": "a"}, "", schema={}, class_name="Post"),
    lambda: querylang.to_parse_where("where({ n: { greaterThan: 1 } })", schema={}, class_name="Post"),
])
def test_an_unknown_class_of_a_given_schema_of_no_classes_is_not_told_to_load_a_file(call) -> None:
    # Found by review of 837f177e: the database's hint ("the database holds no classes: load a
    # data file first") was said of the classes object given to matches or to_parse_where.
    with pytest.raises(querylang.SchemaError, match=r"^unknown class 'Post' \(the schema given holds no classes\)$"):
        call()


def test_matches_with_a_schema_of_no_classes_and_no_class_name_says_it_has_none() -> None:
    # Found by review (beside 837f177e's hint): it said the schema "has several classes".
    with pytest.raises(querylang.QueryError, match=r"^matches\(\) was given a schema of no classes: give the "
                       r"record's class in it, and class_name=$"):
        querylang.matches({"objectId": "a"}, "", schema={})

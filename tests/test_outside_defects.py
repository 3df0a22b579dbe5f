"""Defects found from outside (issue #12): as a new user, by differential fuzzing, under threads.

Each test names the item it pins; the command line's and the REPL's are in test_cli.py and
test_repl_*.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import querylang
from querylang.app.demo import sample_document


@pytest.fixture(scope="module")
def sample() -> querylang.Database:
    db = querylang.connect()
    db.load(sample_document())
    return db


# --- #12.14: records read as they are used ---------------------------------------------------


def test_stream_gives_the_records_query_gives(sample: querylang.Database) -> None:
    script = "where({ score: { greaterThan: 3 } }); sort(['-score', 'objectId'])"
    assert [r for r in sample.stream("Post", script, batch=3)] == sample.query("Post", script).records
    opts = {"include": "author", "select": ["title", "author.name"], "skip": 2, "limit": 5}
    assert list(sample.stream("Post", script, batch=2, **opts)) == sample.query("Post", script, **opts).records
    assert list(sample.stream("Post", script, limit=0)) == []


def test_a_stream_embeds_more_records_than_max_rows(engine) -> None:
    """max_rows does not apply to stream (README): the records a batch's include embeds were
    fetched by a capped query, so a batch pointing to more records than max_rows failed."""
    db = engine()
    db.load({"classes": {"P": {"fields": {"who": {"type": "Pointer", "targetClass": "U"}}},
                         "U": {"fields": {"name": {"type": "String"}}}},
             "records": {"P": [{"objectId": f"p{i}", "who": f"u{i}"} for i in range(5)],
                         "U": [{"objectId": f"u{i}", "name": f"n{i}"} for i in range(5)]}})
    db.max_rows = 3
    names = [f"n{i}" for i in range(5)]
    assert [r["who"]["name"] for r in db.stream("P", include="who")] == names
    assert [r["who"]["name"] for r in db.stream("P", select="who.name")] == names
    assert [r["who"]["name"] for r in db.query("P", include="who", limit=3, skip=2).records] == names[2:]
    with pytest.raises(querylang.LimitExceeded):
        db.query("P", include="who")


def test_a_stream_is_stopped_by_its_cancel_event(sample: querylang.Database) -> None:
    cancel = threading.Event()
    records = sample.stream("Comment", "where({})", batch=10, cancel=cancel)
    assert next(records)["objectId"] == "c001"
    cancel.set()
    with pytest.raises(querylang.QueryCancelled):
        list(records)


# --- #12.4: only a DuckDB database is opened as one -------------------------------------------


@pytest.mark.parametrize(("name", "content", "message"), [
    ("sample.json", '{"classes": {}}', "looks like a JSON file"),
    ("sample.csv", "a,b\n1,2\n", "looks like a CSV file"),
    ("notes.duckdb", "not a database", "is not a DuckDB database"),
])  # fmt: skip
def test_a_file_that_is_not_a_database_is_refused(tmp_path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    for read_only in (False, True):
        with pytest.raises(querylang.DataError, match=message):
            querylang.connect(path, read_only=read_only)
    assert path.read_text(encoding="utf-8") == content  # left as it was


def test_a_new_database_file_needs_a_database_name(tmp_path) -> None:
    with pytest.raises(querylang.DataError, match=r"ending in \.duckdb"):
        querylang.connect(tmp_path / "copy.json")
    with pytest.raises(querylang.DataError, match="no such database file"):
        querylang.connect(tmp_path / "missing.duckdb", read_only=True)
    assert list(tmp_path.iterdir()) == []
    for name in ("a.duckdb", "b.db", "c.ddb"):
        querylang.connect(tmp_path / name).close()
        querylang.connect(tmp_path / name, read_only=True).close()  # and it reopens


# --- #12.6: writes from several threads -------------------------------------------------------


def test_increments_from_two_threads_all_count() -> None:
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {"score": {"type": "Number"}, "title": {"type": "String"}}}},
             "records": {"Post": [{"objectId": "p1", "score": 0, "title": "t"}]}})  # fmt: skip
    errors: list[BaseException] = []

    def work(kind: str) -> None:
        try:
            for i in range(300):
                db.increment("Post", "p1", {"score": 1})
                if kind == "mixed" and i % 30 == 0:  # other writes and reads in between
                    db.save("Post", "p1", {"title": f"t{i}"})
                    db.query("Post", {"idEqualTo": "p1"})
                    db.reference("Post", {"idEqualTo": "p1"})
        except BaseException as exc:  # noqa: BLE001 - every error is a test failure
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in ("plain", "mixed")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.query("Post", {"idEqualTo": "p1"}).records[0]["score"] == 600


def test_a_failed_write_raises_no_duckdb_exception_class() -> None:
    import duckdb

    db = querylang.connect()
    db.define_class("Post", {"score": {"type": "Number"}})
    db.create("Post", {"objectId": "p1", "score": 1})
    for write in (
        lambda: db.create("Post", {"objectId": "p1"}),
        lambda: db.increment("Post", "nope", {"score": 1}),
        lambda: db.save("Post", "p1", {"score": "x"}),
    ):
        with pytest.raises(querylang.QueryError) as info:
            write()
        assert not isinstance(info.value, duckdb.Error)
    assert db.query("Post").records[0]["score"] == 1


# --- #12.7: a missing createdAt or updatedAt is filled from the other ---------------------------


@pytest.mark.parametrize("many", [False, True])  # record by record, and the column-wise bulk path
def test_a_missing_date_is_filled_from_the_other(many: bool) -> None:
    old = "2020-01-02T03:04:05.000Z"
    recs = [
        {"objectId": "a", "updatedAt": old},
        {"objectId": "b", "createdAt": old},
        {"objectId": "c", "createdAt": old, "updatedAt": "2021-01-01T00:00:00.000Z"},
        {"objectId": "d"},
    ]
    if many:
        recs += [{"objectId": f"x{i}", "n": i} for i in range(300)]
    db = querylang.connect()
    db.load({"classes": {"T": {"fields": {"n": {"type": "Number"}}}}, "records": {"T": recs}})
    got = {r["objectId"]: r for r in db.query("T", limit=10, sort=["objectId"]).records}
    assert got["a"]["createdAt"] == got["a"]["updatedAt"] == old
    assert got["b"]["createdAt"] == got["b"]["updatedAt"] == old
    assert got["c"]["updatedAt"] == "2021-01-01T00:00:00.000Z"
    assert got["d"]["createdAt"] == got["d"]["updatedAt"] > old
    for r in db.query("T").records + db.reference("T").records:
        assert r["updatedAt"] >= r["createdAt"]


# --- #12.16: messages --------------------------------------------------------------------------


def test_the_second_text_search_is_shown_with_a_caret(sample: querylang.Database) -> None:
    script = "where({ title: { text: { search: 'a' } }, body: { text: { search: 'b' } } })"
    with pytest.raises(querylang.QueryError) as info:
        sample.query("Post", script)
    assert "only one text search per query" in str(info.value)
    assert (info.value.line, info.value.column) == (1, script.index("text: { search: 'b'") + 1)
    assert "^" in str(info.value)


def test_types_read_with_their_article(sample: querylang.Database) -> None:
    with pytest.raises(querylang.QueryError, match="'tags' is an Array"):
        sample.query("Post", "where({ tags: { nearSphere: { latitude: 1, longitude: 2 } } })")


def test_a_parse_rest_operator_in_a_script_hints_the_filter_name(sample: querylang.Database) -> None:
    with pytest.raises(querylang.QueryError, match=r"Parse REST's \$gt is greaterThan here"):
        sample.query("Post", "where({ score: { $gt: 5 } })")


@pytest.mark.parametrize(("op", "said"), [("gt", r"Parse REST's \$gt is greaterThan here"),
                                         ("lte", r"Parse REST's \$lte is lessThanOrEqualTo here"),
                                         ("ne", r"Parse REST's \$ne is notEqualTo here"),
                                         ("nin", r"Parse REST's \$nin is notContainedIn here"),
                                         ("regex", r"Parse REST's \$regex is matchesRegex here")])
def test_a_parse_rest_operator_without_its_dollar_hints_the_filter_name(
    sample: querylang.Database, op: str, said: str
) -> None:
    # { gt: 5 } said only "unknown operator 'gt'" (no name is close enough for a did-you-mean).
    with pytest.raises(querylang.QueryError, match=rf"^line 1, column 18: unknown operator '{op}' \({said}\)"):
        sample.query("Post", f"where({{ score: {{ {op}: 5 }} }})")


@pytest.mark.parametrize("script", ["where(score > 10)", "score > 10", "const s = score; where({ score: s })"])
def test_a_field_used_as_a_variable_hints_the_filter_key(sample: querylang.Database, script: str) -> None:
    # said only JavaScript's "score is not defined", to a user writing a condition as in SQL.
    with pytest.raises(querylang.ScriptError) as info:
        sample.query("Post", script)
    assert info.value.headline().endswith(
        "score is not defined ('score' is a field of Post: a filter names it as a key, where({ score: ... }))")
    with pytest.raises(querylang.ScriptError) as info:
        sample.query("Post", "where({ score: { greaterThan: min } })")  # no field of that name: no hint
    assert info.value.headline() == "line 1, column 31: min is not defined"


def test_an_unknown_selected_field_is_an_error(sample: querylang.Database) -> None:
    with pytest.raises(querylang.SchemaError, match=r"no field 'titel' \(did you mean 'title'\?\)"):
        sample.query("Post", None, select="titel")
    with pytest.raises(querylang.SchemaError, match=r"no field 'nme' \(did you mean 'name'\?\)"):
        list(sample.stream("Post", None, select=["title", "author.nme"]))
    assert set(sample.query("Post", None, select="title", limit=1).records[0]) == {
        "objectId", "createdAt", "updatedAt", "title"}  # fmt: skip


def test_the_reference_evaluator_keeps_the_timeout() -> None:
    db = querylang.connect(timeout=0)
    db.load(sample_document())
    with pytest.raises(querylang.QueryTimeout):
        db.reference("Post", "where({})")
    db.timeout = None
    assert len(db.reference("Post", "where({})")) == 40


# --- #12.18: a load tells how many records it has read and written -----------------------------


@pytest.mark.parametrize("pipelined", [False, True])
def test_load_progress_counts_records_read_and_written(monkeypatch, pipelined: bool) -> None:
    from querylang.engines.duckdb import loading

    if pipelined:
        monkeypatch.setattr(loading, "PIPELINE_MIN", 0)  # a small document, written the big way
    seen: list[tuple[str, int, int]] = []
    db = querylang.connect()
    db.load(sample_document(), progress=lambda *a: seen.append(a))
    for stage in ("read", "written"):
        steps = [done for s, done, _ in seen if s == stage]
        assert steps == sorted(steps) and steps[-1] == seen[0][2] > 0, (stage, seen)
    assert [s for s, *_ in seen].index("written") > 0  # something is read before it is written


@pytest.mark.parametrize(("where", "said"), [
    ({"score": {"greaterThan": 5}}, "as operators, a filter writes greaterThan, a Parse where $gt"),
    ({"score": {"gt": 5, "lte": 9}}, "as operators, a filter writes greaterThan, lessThanOrEqualTo, a Parse where $gt, $lte"),
])
def test_a_parse_where_with_operators_spelled_without_dollar_hints_them(sample: querylang.Database, where, said) -> None:
    """Found by a walk through the CLI: ``find Post '{"score": {"greaterThan": 5}}'`` said only
    that the object can never match a Number, not that a where's operators need their $."""
    with pytest.raises(querylang.QueryError) as info:
        sample.find("Post", where)
    assert "can never match it" in str(info.value) and said in str(info.value)


def test_an_object_of_other_keys_gets_no_operator_hint(sample: querylang.Database) -> None:
    with pytest.raises(querylang.QueryError) as info:
        sample.find("Post", {"score": {"greaterThan": 5, "color": 1}})
    assert info.value.hint is None


@pytest.mark.parametrize("where", [
    {"score": {"$gt": {"gt": 5}}},
    {"score": {"$lte": {"greaterThan": 5}}},
])
def test_the_operator_names_hint_of_a_range_operand_does_not_call_it_a_value_to_equal(
    sample: querylang.Database, where,
) -> None:
    """Found by review of c06eae97: the hint said "a value to equal here" of the operand of $gt,
    which is compared, not equalled."""
    with pytest.raises(querylang.QueryError) as info:
        sample.find("Post", where)
    hint = info.value.hint or ""
    assert "an object of operator names is a value here, not operators" in hint, hint
    assert "to equal" not in hint


@pytest.mark.parametrize(("where", "said"), [
    ({"author": {"ne": "u1"}}, "as operators, a filter writes notEqualTo, a Parse where $ne"),
    ({"author": {"in": ["u1"]}}, "as operators, a filter writes containedIn, a Parse where $in"),
])
def test_a_pointer_field_s_operators_without_dollar_are_hinted_too(sample: querylang.Database, where, said) -> None:
    """Found by review of c06eae97: a Pointer field's value is read as an objectId, whose
    refusal ("needs an objectId string, got object") had no hint, as other fields' have."""
    with pytest.raises(querylang.QueryError) as info:
        sample.find("Post", where)
    assert "'author' needs an objectId string, got object" in str(info.value)
    assert said in (info.value.hint or ""), info.value.hint


@pytest.mark.parametrize(("url", "said"), [
    ("mysql://u:secret@h/db", "cannot open database mysql://u:***@h/db: a URL given as a Path (which makes its // one /): "
                              "give it as a string; mysql:// is not a database querylang opens"),
    ("postgresql://u:pw@h:5/db", "cannot open database postgresql://u:***@h:5/db: a URL given as a Path (which makes its "
                                 "// one /): give it as a string"),
])
def test_a_url_given_as_a_path_is_refused_with_its_password_hidden(url: str, said: str) -> None:
    """Found by review: Path() collapses a URL's //, so connect(Path("mysql://u:secret@h/db"))
    was taken for a file, "there is no folder mysql:/u:secret@h to make it in", password shown."""
    with pytest.raises(querylang.DataError) as info:
        querylang.connect(Path(url))
    assert str(info.value) == said and "secret" not in str(info.value) and "pw" not in str(info.value)


"""The interchange directory read by DuckDB (engines/duckdb/ndjson.py): the checks run in SQL
decide which records Python reads again, so every value gives the cells a document load gives,
and every bad record the document load's error, the last line of a big file included."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

import querylang
import querylang.engines.duckdb.directory_load as directory_load
import querylang.engines.duckdb.loading as duckdb_loading
from querylang import DataError
from querylang.interchange.columns import relation_columns
from querylang.interchange.document import normalise_record
from tests.test_load_directory import write_dir
from tests.test_safety import db_hash

CLASSES = {
    "Post": {"fields": {
        "title": {"type": "String"}, "n": {"type": "Number"}, "ok": {"type": "Boolean"}, "when": {"type": "Date"},
        "tags": {"type": "Array"}, "meta": {"type": "Object"}, "author": {"type": "Pointer", "targetClass": "User"},
        "at": {"type": "GeoPoint"}, "fans": {"type": "Relation", "targetClass": "User"},
    }},
    "User": {"fields": {"name": {"type": "String"}}},
}
DATE = "2024-03-01T10:20:30.456Z"

# Values of each field, the usual shapes SQL vouches for and the others Python reads again.
VALUES: dict[str, list[Any]] = {
    "title": ["plain", "", "tab\there", 'quote " and \\ back', "émile ✓ 😀", "\u2028", None],
    "n": [0, -0.0, 1.5, -3, 2**53 + 1, 9.2e18, 2**63, 1e-300, 12345678901234567, None],
    "ok": [True, False, None],
    "when": [DATE, "2024-03-01T10:20:30Z", "2024-03-01", {"__type": "Date", "iso": DATE}, "2024-02-29T23:59:59.999Z", None],
    "tags": [[], ["a", "b"], ["é", "x y"], ["q\"uote"], [1, "a"], [None], [[1]], [{"__type": "Date", "iso": DATE}], None],
    "meta": [{}, {"views": 3, "lang": "en"}, {"b": True, "a": None}, {"f": 1.5}, {"deep": {"x": 1}}, {"big": 2**60},
             {"s": "a\\b"}, {"é": "ü"}, {"z": 1, "a": 2}, None],
    "author": ["u1", {"__type": "Pointer", "className": "User", "objectId": "u2"}, None],
    "at": [{"latitude": 1, "longitude": 2.5}, {"latitude": -90, "longitude": 180}, {"__type": "GeoPoint", "latitude": 0, "longitude": 0}, None],
    "fans": [["u1"], {"__type": "Relation", "className": "User"}, None],
}


def varied(n: int = 120) -> dict[str, Any]:
    posts = []
    for k in range(n):
        rec: dict[str, Any] = {"objectId": f"p{k}", "createdAt": DATE}
        for name, values in VALUES.items():
            choice = (k * 7 + len(name)) % (len(values) + 1)
            if choice < len(values):  # else: the field is missing
                rec[name] = values[choice]
        if k % 9 == 0:
            rec["updatedAt"] = "2025-01-01T00:00:00.000Z"
        if k % 11 == 0:
            del rec["createdAt"]
            rec["updatedAt"] = "2025-01-02T00:00:00.000Z"
        posts.append(rec)
    users = [{"objectId": f"u{k}", "createdAt": DATE, "name": f"n{k}"} for k in range(5)]
    relations = [{"class": "Post", "objectId": f"p{k}", "key": "fans", "targetId": f"u{k % 5}"} for k in range(0, n, 3)]
    relations.append({"class": "Post", "objectId": "p1", "key": "fans", "targetId": "u1", "targetClass": "User"})
    return {"classes": CLASSES, "records": {"Post": posts, "User": users}, "relations": relations}


def test_every_shape_gives_the_cells_of_a_document_load(tmp_path: Path) -> None:
    doc = varied()
    a, b = querylang.connect(), querylang.connect()
    assert a.load(copy.deepcopy(doc)) == b.load(write_dir(tmp_path / "d", doc)) == {"Post": 120, "User": 5}
    assert db_hash(a) == db_hash(b)


def test_the_usual_shapes_all_go_through_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole file of usual values: no record read again by Python, and the same database
    as the document."""
    doc = varied(40)
    usual = {name: [v for v in values[:3] if v is not None] for name, values in VALUES.items()}
    usual.update(n=[0, 1.5, -3], tags=[[], ["a", "b"]], meta=[{}, {"views": 3, "lang": "en"}], when=[DATE],
                 author=["u1"], at=[{"latitude": 1, "longitude": 2.5}], title=["plain", "", "émile ✓ 😀"])
    for k, rec in enumerate(doc["records"]["Post"]):
        for name, values in usual.items():
            if name in rec and name != "fans":
                rec[name] = values[k % len(values)]
        rec.pop("fans", None)
    a, b = querylang.connect(), querylang.connect()
    a.load(copy.deepcopy(doc))
    again: list[Any] = []
    monkeypatch.setattr(directory_load, "normalise_record", lambda *args, **kw: again.append(args) or normalise_record(*args, **kw))
    b.load(write_dir(tmp_path / "d", doc))
    assert again == []
    assert db_hash(a) == db_hash(b)


def test_rows_keep_the_files_order_and_text_search_finds_their_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row's position is its record's place in the file (the loader names a bad record by
    it, and a query without a sort gives that order); the records Python read again follow,
    in file order too."""
    doc = varied(300)
    posts = doc["records"]["Post"]
    for k, rec in enumerate(posts):
        rec["title"] = f"Running café {k % 17} dogs" if k % 5 else None
    again: list[str] = []
    monkeypatch.setattr(
        directory_load, "normalise_record",
        lambda cls, row, **kw: again.append(row["objectId"]) or normalise_record(cls, row, **kw),
    )
    db = querylang.connect()
    db.load(write_dir(tmp_path / "d", doc))
    ids = [r["objectId"] for r in posts]
    assert 0 < len(again) < len(ids)
    stored = [r[0] for r in db.store.con.execute('SELECT "objectId" FROM "Post" ORDER BY rowid').fetchall()]
    assert stored == [i for i in ids if i not in again] + again
    assert db.query("Post", "where({ title: { text: { search: 'run cafe' } } })").ids == sorted(
        r["objectId"] for r in posts if r["title"]
    )


def _error(source: Any) -> str:
    db = querylang.connect()
    with pytest.raises(DataError) as info:
        db.load(source)
    assert not db.schema.classes  # nothing loaded
    return str(info.value)


def _in_file(message: str, where: str) -> str:
    """A document load's error as a directory load says it: of a file and line, where the
    document named the edge by its position in the relations list, and a record by its count
    ("record #2999: objectId ..."): the line names it once."""
    return f"{where}: " + re.sub(r"relations\[\d+\]: |record #\d+: ", "", message, count=1)


BAD: dict[str, Any] = {
    "a String given a number": ("title", 5),
    "a Number given a string": ("n", "5"),
    "a Boolean given a number": ("ok", 1),
    "a Date that does not exist": ("when", "2023-02-29T00:00:00.000Z"),
    "a Date of year 0": ("when", "0000-01-01T00:00:00.000Z"),
    "a Date at hour 24": ("when", "2024-01-01T24:00:00.000Z"),
    "a Date object of another type": ("when", {"__type": "Pointer", "iso": DATE}),
    "an empty Pointer": ("author", ""),
    "a Pointer to another class": ("author", {"__type": "Pointer", "className": "Post", "objectId": "x"}),
    "an Array given an object": ("tags", {"a": 1}),
    "an Object given an array": ("meta", ["a"]),
    "an Object that is a Date": ("meta", {"__type": "Date", "iso": DATE}),
    "a GeoPoint out of range": ("at", {"latitude": 91, "longitude": 0}),
    "a GeoPoint given a string": ("at", "here"),
    "a NUL in a string": ("title", "a\x00b"),
    "a NUL in an array": ("tags", ["a\x00"]),
    "an unknown field": ("titel", "x"),
    "a Relation given a string": ("fans", "u1"),
    "an empty objectId": ("objectId", ""),
    "a numeric objectId": ("objectId", 7),
    "a bad createdAt": ("createdAt", "yesterday"),
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_a_bad_value_on_the_last_line_of_a_big_file_gives_the_document_error(tmp_path: Path, what: str) -> None:
    doc = varied(3000)
    name, value = BAD[what]
    doc["records"]["Post"][-1][name] = value
    expected = _error(copy.deepcopy(doc))
    assert "record" in expected or "p2999" in expected
    assert _error(write_dir(tmp_path / "d", doc)) == _in_file(expected, f"{tmp_path / 'd' / 'Post.ndjson'}, line 3000")


def _append(path: Path, name: str, line: str) -> None:
    with (path / name).open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


@pytest.mark.parametrize(
    "line",
    ['{"objectId": "z", "n": NaN}', '{"objectId": "z", "n": Infinity}', '{"objectId": "z", "n": 1e400}',
     '{"objectId": "z", "tags": ["a",]}', '{"objectId": "z", "title": "x" , }', '{"objectId": "z", "n": -nan}'],
)
def test_json_duckdb_reads_and_python_does_not_is_refused_by_line(tmp_path: Path, line: str) -> None:
    path = write_dir(tmp_path / "d", varied(50))
    _append(path, "Post.ndjson", "")
    _append(path, "Post.ndjson", line)
    assert _error(path).startswith(f"{path / 'Post.ndjson'}, line 52: not valid JSON")


def test_a_key_given_twice_is_read_as_python_reads_it(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", varied(10))
    _append(path, "Post.ndjson", '{"objectId": "z", "n": "x", "n": 5}')  # the last one counts
    db = querylang.connect()
    db.load(path)
    assert db.query("Post", "where({ objectId: 'z' })").records[0]["n"] == 5
    path2 = write_dir(tmp_path / "e", varied(10))
    _append(path2, "Post.ndjson", '{"objectId": "z", "n": 5, "n": "x"}')
    assert "expected a Number" in _error(path2)


def test_an_objectid_repeated_across_files_parts_is_named(tmp_path: Path) -> None:
    doc = varied(3000)
    doc["records"]["Post"][2990]["objectId"] = "p5"
    expected = _error(copy.deepcopy(doc))
    assert _in_file(expected, f"{tmp_path / 'd' / 'Post.ndjson'}, line 2991") == _error(write_dir(tmp_path / "d", doc))
    assert "duplicate objectId" in expected and "p5" in expected


@pytest.mark.parametrize(
    ("edge", "message"),
    [
        ({"class": "Post", "objectId": "p1", "key": "fanz", "targetId": "u1"}, r"relations\[\d+\]: no Relation field 'fanz'"),
        ({"class": "Pots", "objectId": "p1", "key": "fans", "targetId": "u1"}, r"relations\[\d+\]: unknown class 'Pots'"),
        ({"class": "Post", "objectId": "p1", "key": "fans", "targetId": ""}, r"relations\[\d+\]: targetId must be"),
        ({"class": "Post", "objectId": 5, "key": "fans", "targetId": "u1"}, r"relations\[\d+\]: objectId must be"),
        ({"class": "Post", "objectId": "p1", "key": "fans", "targetId": "u1", "targetClass": "Post"}, r"targetClass 'Post'"),
        ({"class": "Post", "objectId": "p1", "key": "fans", "targetId": "u\x00"}, r"record p1, field fans: relations\[\d+\]: targetId: text may not contain NUL"),
    ],
)
def test_a_bad_edge_on_the_last_line_gives_the_document_error(tmp_path: Path, edge: dict[str, Any], message: str) -> None:
    doc = varied(3000)
    doc["relations"].append(edge)
    expected = _error(copy.deepcopy(doc))
    assert _error(write_dir(tmp_path / "d", doc)) == _in_file(expected, f"{tmp_path / 'd' / 'relations.ndjson'}, line {len(doc['relations'])}")
    assert re.search(message, expected)


def test_edges_of_a_stored_class_load_as_a_document(tmp_path: Path) -> None:
    db = querylang.connect()
    db.load({"classes": CLASSES, "records": {"User": [{"objectId": "u1"}], "Post": [{"objectId": "p0"}]}})
    more = {"classes": {"Tag": {"fields": {"name": {"type": "String"}}}}, "records": {"Tag": [{"objectId": "t1"}]},
            "relations": [{"class": "Post", "objectId": "p0", "key": "fans", "targetId": "u1"}]}
    assert db.load(write_dir(tmp_path / "d", more)) == {"Tag": 1}
    assert db.store.con.execute('SELECT * FROM "_join:fans:Post"').fetchall() == [("p0", "u1")]


def test_files_duckdb_reads_otherwise_go_through_python(tmp_path: Path) -> None:
    doc = varied(30)
    path = write_dir(tmp_path / "d", doc)
    crlf = (path / "Post.ndjson").read_text(encoding="utf-8").replace("\n", "\r\n")
    (path / "Post.ndjson").write_text(crlf, encoding="utf-8", newline="")
    a, b = querylang.connect(), querylang.connect()
    a.load(copy.deepcopy(doc))
    b.load(path)
    assert db_hash(a) == db_hash(b)
    (path / "User.ndjson").write_bytes(b"\xef\xbb\xbf" + (path / "User.ndjson").read_bytes())
    assert _error(path) == f"{path / 'User.ndjson'}, line 1: starts with a byte order mark (BOM): save it as UTF-8 without one"


def test_records_without_dates_get_the_load_time_and_the_memory_limit_is_restored(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", {"classes": {"T": {"fields": {"x": {"type": "Number"}}}},
                                      "records": {"T": [{"objectId": "a", "x": 1}, {"objectId": "b", "updatedAt": DATE}]}})
    db = querylang.connect()
    before = db.store.con.execute("SELECT current_setting('memory_limit')").fetchone()
    db.load(path)
    assert db.store.con.execute("SELECT current_setting('memory_limit')").fetchone() == before
    recs = {r["objectId"]: r for r in db.query("T", None).records}
    assert recs["b"]["createdAt"] == recs["b"]["updatedAt"] == DATE
    assert recs["a"]["createdAt"] == recs["a"]["updatedAt"] > DATE


def test_a_file_of_only_blank_lines_and_an_empty_file(tmp_path: Path) -> None:
    path = write_dir(tmp_path / "d", {"classes": CLASSES, "records": {"User": [{"objectId": "u1"}]}})
    (path / "Post.ndjson").write_text("\n \n\t\n", encoding="utf-8")
    (path / "relations.ndjson").write_text("", encoding="utf-8")
    assert querylang.connect().load(path) == {"Post": 0, "User": 1}


def test_json_text_kept_as_written(tmp_path: Path) -> None:
    doc = varied(20)
    path = write_dir(tmp_path / "d", doc)
    pretty = "".join(json.dumps(r, indent=None, separators=(" , ", " : ")) + "\n" for r in doc["records"]["Post"])
    (path / "Post.ndjson").write_text(pretty, encoding="utf-8")
    a, b = querylang.connect(), querylang.connect()
    a.load(copy.deepcopy(doc))
    b.load(path)
    assert db_hash(a) == db_hash(b)


def _same_outcome(doc: dict[str, Any], path: Path, place: str) -> tuple[querylang.Database, querylang.Database]:
    """The document and the directory loaded into new databases (returned): the same counts,
    or the same error, the directory's at ``place``."""
    a, b = querylang.connect(), querylang.connect()
    outcomes: list[Any] = []
    for db, source in ((a, copy.deepcopy(doc)), (b, path)):
        try:
            outcomes.append(db.load(source))
        except DataError as exc:
            outcomes.append(str(exc))
    if isinstance(outcomes[0], str):
        outcomes[0] = _in_file(outcomes[0], place)
    assert outcomes[0] == outcomes[1]
    return a, b


def _minified_edges(path: Path, edges: list[dict[str, Any]]) -> None:
    """relations.ndjson as a generator writes it: no blank anywhere (the edges' length check)."""
    (path / "relations.ndjson").write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in edges), encoding="utf-8")


def _all_through_sql(doc: dict[str, Any], path: Path, monkeypatch: pytest.MonkeyPatch, reader: str, fn: Any) -> None:
    """The directory loads what the document loads, and none of it is read again by Python's
    ``reader`` (directory_load's name for it, ``fn``): SQL vouched for every line."""
    again: list[Any] = []
    monkeypatch.setattr(directory_load, reader, lambda *args, **kw: again.append(args) or fn(*args, **kw))
    a, b = querylang.connect(), querylang.connect()
    a.load(copy.deepcopy(doc))
    b.load(path)
    assert again == []
    assert db_hash(a) == db_hash(b)


def test_minified_edges_go_through_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = varied(60)
    doc["relations"].append({"class": "Post", "objectId": "p2", "key": "fans", "targetId": "ü✓😀"})
    path = write_dir(tmp_path / "d", doc)
    _minified_edges(path, doc["relations"])
    _all_through_sql(doc, path, monkeypatch, "relation_columns", relation_columns)


@pytest.mark.parametrize(
    "extra",
    [',"":0', ',"x":"y"', ',"key":"fans"', ',"targetClass":"User","":1', ' '],
)
def test_a_minified_edge_with_another_key_loads_as_the_document_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str
) -> None:
    """A key beyond the edge's (even one given twice) sends the file to the edge reader."""
    doc = varied(60)
    path = write_dir(tmp_path / "d", doc)
    _minified_edges(path, doc["relations"])
    line = '{"class":"Post","objectId":"p4","key":"fans","targetId":"u1"' + extra + "}\n"
    with (path / "relations.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(line)
    doc["relations"].append(json.loads(line))
    read: list[Any] = []
    monkeypatch.setattr(directory_load, "relation_columns", lambda *args: read.append(args) or relation_columns(*args))
    a, b = _same_outcome(doc, path, f"{path / 'relations.ndjson'}, line {len(doc['relations'])}")
    assert db_hash(a) == db_hash(b)
    assert bool(read) == (extra != " ")


@pytest.mark.parametrize("line", ['{"class":"Post","objectId":"p4","key":"fans","targetId":"u1",}',
                                  '{"class":"Post","objectId":"p4","key":"fans","targetId":"u\\u0000"}'])
def test_a_minified_edge_python_refuses_is_named(tmp_path: Path, line: str) -> None:
    doc = varied(60)
    path = write_dir(tmp_path / "d", doc)
    _minified_edges(path, doc["relations"])
    with (path / "relations.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    assert re.search(rf"^{re.escape(str(path))}/relations.ndjson, line \d+: not valid JSON|text may not contain NUL", _error(path))


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])  # the SQL path; Python's, a part at a time
def test_an_objectid_repeated_in_a_directory_too_big_to_read_again_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line_end: str
) -> None:
    """A directory past DIRECTORY_RECHECK_MAX is not read whole again for the repeated
    objectId, and DuckDB's message said "Constraint Error: Data contains duplicates on indexed
    column(s)": no class, no record, no line. DuckDB finds the repeated id now."""
    monkeypatch.setattr(duckdb_loading, "DIRECTORY_RECHECK_MAX", 0)
    doc = varied(60)
    doc["records"]["Post"][50]["objectId"] = "p\\u0035"  # the id p5, spelt with an escape
    path = write_dir(tmp_path / "d", doc)
    post = path / "Post.ndjson"
    post.write_bytes(post.read_bytes().replace(b'"p\\\\u0035"', b'"p\\u0035"').replace(b"\n", line_end.encode()))
    assert b"\\u0035" in post.read_bytes()
    assert _error(path) == f"{post}, line 51: class Post, record p5: duplicate objectId"


# A class of flat fields only: SQL tells a minified line's extra keys by its length (ndjson._bare).
FLAT = {
    "Note": {"fields": {
        "title": {"type": "String"}, "n": {"type": "Number"}, "ok": {"type": "Boolean"}, "when": {"type": "Date"},
        "author": {"type": "Pointer", "targetClass": "User"}, "fans": {"type": "Relation", "targetClass": "User"},
    }},
    "User": {"fields": {"name": {"type": "String"}}},
}
FLAT_VALUES: dict[str, list[Any]] = {
    "title": ["plain", "", "émile ✓ 😀", None], "n": [0, 7, -12, 999_999_999_999_999, 2.5, None],
    "ok": [True, False, None], "when": [DATE, None], "author": ["u1", None], "fans": [None],
}


def _flat(path: Path, extra: str | None = None) -> tuple[dict[str, Any], Path]:
    """Notes written minified, as querylang's export and the generator write them, and the
    line ``extra`` last; the document of the same records."""
    notes = []
    for k in range(40):
        rec: dict[str, Any] = {"objectId": f"n{k}", "createdAt": DATE}
        for name, values in FLAT_VALUES.items():
            if (choice := (k * 5 + len(name)) % (len(values) + 1)) < len(values):
                rec[name] = values[choice]
        notes.append(rec)
    lines = [json.dumps(r, separators=(",", ":"), ensure_ascii=False) for r in notes]
    if extra is not None:
        if '"createdAt"' not in extra:  # both loads give the record the same time
            extra = extra.replace('"objectId":"z"', f'"objectId":"z","createdAt":"{DATE}"', 1)
        lines.append(extra)
        notes.append(json.loads(extra))
    doc = {"classes": FLAT, "records": {"Note": notes, "User": [{"objectId": "u1", "createdAt": DATE, "name": "a"}]}}
    write_dir(path, doc)
    (path / "Note.ndjson").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return doc, path


def test_minified_flat_records_go_through_sql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, path = _flat(tmp_path / "d")
    _all_through_sql(doc, path, monkeypatch, "normalise_record", normalise_record)


@pytest.mark.parametrize(
    "line",
    ['{"objectId":"z","n":1,"":0}', '{"objectId":"z","title":"x","title":"x"}', '{"objectId":"z","n":5,"n":"x"}',
     '{"objectId":"z", "n":1}', '{"objectId":"z","n":1e14,"":1234567}', '{"objectId":"z","n":-0,"":0}',
     '{"objectId":"z","n":10.0}', '{"objectId":"z","title":5,"":0}', '{"objectId":"z","fans":null}',
     '{"objectId":"z","fans":["u1"]}', '{"objectId":"z","title":"a\\u0000"}', '{"objectId":"z","ok":null,"n":null}',
     '{"objectId":"z","when":"2024-05-01 12:00:00.000Z"}', '{"objectId":"z","when":"2024-05-01T24:00:00.000Z"}',
     '{"objectId":"z","when":"-999-05-01T12:00:00.000Z"}', '{"objectId":"z","when":"0999-05-01T12:00:00.000Z"}',
     '{"objectId":"z","when":"12024-05-01T12:00:00.000Z"}', '{"objectId":"z","when":"infinity"}',
     '{"objectId":"z","when":"2024-05-01T12:00:00.5Z"}', '{"objectId":"z","createdAt":"epoch"}'],
)
def test_a_minified_line_beyond_the_usual_loads_as_the_document_does(tmp_path: Path, line: str) -> None:
    """Another key, a key given twice, a blank, a number written otherwise than in digits, a
    date DuckDB reads leniently: the same records, or the same error, as the document."""
    doc, path = _flat(tmp_path / "d", line)
    a, b = _same_outcome(doc, path, f"{path / 'Note.ndjson'}, line 41")
    assert db_hash(a) == db_hash(b)


@pytest.mark.parametrize("line", ['{"objectId":"z","n":1,}', '{"objectId":"z","n":NaN}'])
def test_a_minified_line_python_refuses_is_named(tmp_path: Path, line: str) -> None:
    _, path = _flat(tmp_path / "d")
    _append(path, "Note.ndjson", line)
    assert _error(path).startswith(f"{path / 'Note.ndjson'}, line 41: not valid JSON")


def _late(path: Path, lineno: int, byte: bytes) -> None:
    """Put ``byte`` between two keys of the record on ``lineno`` (1-based) of Post.ndjson."""
    lines = (path / "Post.ndjson").read_bytes().split(b"\n")
    assert b', "' in lines[lineno - 1]
    lines[lineno - 1] = lines[lineno - 1].replace(b', "', b"," + byte + b'"', 1)
    (path / "Post.ndjson").write_bytes(b"\n".join(lines))


def test_a_lone_carriage_return_late_in_a_file_is_found_beside_the_indexes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only each file's head is looked at before DuckDB reads the files; the rest beside the
    index builds. A lone CR found there (a blank to Python's JSON reader, a line end to
    DuckDB's) loads the directory again through Python's reader: the tables of a document
    load, and a progress that never goes back."""
    doc = varied(40)
    path = write_dir(tmp_path / "d", doc)
    _late(path, 31, b"\r")
    runs = []
    for head in (directory_load.SCAN_HEAD, 64):  # found before DuckDB reads the files, then after
        monkeypatch.setattr(directory_load, "SCAN_HEAD", head)
        seen: list[tuple[str, int, int]] = []
        db = querylang.connect()
        db.load(path, progress=lambda *a, seen=seen: seen.append(a))
        runs.append((db_hash(db), {st: [d for s, d, _ in seen if s == st] for st in ("read", "written")}))
    a = querylang.connect()
    a.load(copy.deepcopy(doc))
    assert runs[0][0] == runs[1][0] == db_hash(a)
    for stage, done in runs[1][1].items():
        assert done == sorted(done) and done[-1] == runs[0][1][stage][-1], (stage, runs)


def test_an_error_of_duckdbs_read_waits_for_the_whole_files_look(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad value DuckDB's read finds is told only once the files are known to read alike
    (the look beside the index builds never came): else Python's reader reads the
    directory and tells its own first fault."""
    doc = varied(40)
    doc["records"]["Post"][35]["n"] = "five"
    path = write_dir(tmp_path / "d", doc)
    expected = _error(path)
    assert expected.startswith(f"{path / 'Post.ndjson'}, line 36: ")
    by_python: list[Path] = []
    real = duckdb_loading.iter_directory_columns
    monkeypatch.setattr(duckdb_loading, "iter_directory_columns", lambda p, *a: by_python.append(p) or real(p, *a))
    monkeypatch.setattr(directory_load, "readable", lambda files, stop=None, head=None: head is not None)
    assert _error(path) == expected and by_python == [path]


def test_text_search_words_computed_beside_the_index_builds_are_stored_by_the_first_search(tmp_path: Path) -> None:
    doc = varied(60)
    for k, rec in enumerate(doc["records"]["Post"]):
        rec["title"] = f"Running café {k % 7} dogs"
    db = querylang.connect()
    db.load(write_dir(tmp_path / "d", doc))
    assert set(db.store.words_ahead) == {("Post", "title"), ("User", "name")} == db.store.pending_words
    assert len(db.query("Post", "where({ title: { text: { search: 'run cafe' } } })").ids) == 60
    assert set(db.store.words_ahead) == {("User", "name")} == db.store.pending_words
    a = querylang.connect()
    a.load(copy.deepcopy(doc))
    assert db_hash(a) == db_hash(db)
    assert not db.store.words_ahead


def test_a_failed_load_keeps_no_words_computed_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A load that fails after the index builds (here: publishing) leaves nothing behind."""
    path = write_dir(tmp_path / "d", varied(30))
    db = querylang.connect()

    def fail(*_: Any) -> None:
        raise DataError("publishing failed")

    monkeypatch.setattr(db.store, "_write_schema", fail)
    with pytest.raises(DataError, match="publishing failed"):
        db.load(path)
    assert not db.store.words_ahead and not db.store.pending_words and not db.schema.classes


def test_words_that_fail_ahead_are_computed_later(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The words computed beside the index builds are a head start: when that fails, the load
    still succeeds and the words are computed as before, by the first text search."""
    import querylang.engines.duckdb.words as words

    def broken(*_: Any) -> Any:
        raise MemoryError

    monkeypatch.setattr(words, "word_arrays", broken)
    doc = varied(30)
    db = querylang.connect()
    db.load(write_dir(tmp_path / "d", doc))
    assert not db.store.words_ahead and ("Post", "title") in db.store.pending_words
    monkeypatch.undo()
    assert db.query("Post", "where({ title: { text: { search: 'plain' } } })").ids == sorted(
        r["objectId"] for r in doc["records"]["Post"] if r.get("title") == "plain"
    )


def test_ctrl_c_during_the_index_builds_stops_the_words_beside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C while the indexes are built (the words computed on a thread beside them) loads
    nothing, keeps no words, and leaves no thread running."""
    import threading

    doc = varied(40)
    db = querylang.connect()
    real = db.store._build_indexes

    def interrupted(*a: Any, **kw: Any) -> None:
        real(*a, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(db.store, "_build_indexes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        db.load(write_dir(tmp_path / "d", doc))
    assert not db.schema.classes and not db.store.words_ahead and not db.store.pending_words
    assert not [t for t in threading.enumerate() if t.name == "querylang-beside"]
    assert db.store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE NOT table_name LIKE '\\_querylang%' ESCAPE '\\'").fetchall() == [(0,)]
    monkeypatch.undo()
    db.load(write_dir(tmp_path / "e", doc))  # the next load works, and gives a document load's tables
    a = querylang.connect()
    a.load(copy.deepcopy(doc))
    assert db_hash(a) == db_hash(db)

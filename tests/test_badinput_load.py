"""Malformed data files: every accepted form (the interchange document, its directory form,
mongoexport files in each Extended JSON form, Parse Dashboard exports), cut, spliced and
corrupted at random bytes, is either loaded whole or refused with a DataError that names the
file; a refused load loads nothing."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import querylang
from querylang import DataError, QueryError

from .badinput import SMALL, dump
from .importers import dashboard_files as dashboard
from .importers.mongo_files import write_export

# Each example copies a source and loads it into a fresh database: a tenth of the profile.
FEW = settings(max_examples=max(8, settings.default.max_examples // 10))


def _document(root: Path) -> Path:
    path = root / "data.json"
    path.write_text(json.dumps(SMALL, indent=1), encoding="utf-8")
    return path


def _directory(root: Path) -> Path:
    path = root / "data"
    path.mkdir()
    (path / "schema.json").write_text(json.dumps({"classes": SMALL["classes"]}, indent=1), encoding="utf-8")
    records = copy.deepcopy(SMALL["records"])
    edges = [{"class": "Group", "objectId": g["objectId"], "key": "posts", "targetClass": "Post", "targetId": t}
             for g in records["Group"] for t in g.pop("posts", [])]
    for name, rows in records.items():
        (path / f"{name}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (path / "relations.ndjson").write_text("".join(json.dumps(e) + "\n" for e in edges), encoding="utf-8")
    return path


def _dashboard(root: Path) -> Path:
    path = root / "dashboard"
    dashboard.write(path / "Post.json", dashboard.POSTS)
    dashboard.write(path / "Group.json", dashboard.GROUPS)
    dashboard.write(path / "_User.json", dashboard.USERS)
    dashboard.write(path / "More.json", {"results": dashboard.POSTS[1:]})
    return path


# (how it is loaded, how it is made)
SOURCES: dict[str, tuple[str, Any]] = {
    "document": ("load", _document),
    "directory": ("load", _directory),
    "mongo relaxed": ("mongo", lambda root: write_export(root / "relaxed", "relaxed")),
    "mongo canonical": ("mongo", lambda root: write_export(root / "canonical", "canonical")),
    "mongo v1": ("mongo", lambda root: write_export(root / "v1", "v1")),
    "dashboard": ("dashboard", _dashboard),
}

# What a copy cut short, an editor or a bad disk leaves in a file.
JUNK = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"\xff", b"\xc3", b"\x00", b"NaN", b"1e999", b"-", b"null",
        b"\n", b"\r", b"\xef\xbb\xbf", b'{"$date": "x"}', b'"__type"', b'{"$numberLong": "99999999999999999999999"}',
        b"[" * 60, b'"\\ud800"', b'"objectId"', b"  ", b'"className"', b"true"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sources")
    return {name: make(root) for name, (_, make) in SOURCES.items()}


def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


@st.composite
def damage(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` cut, spliced or overwritten at one or two random places."""
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["cut", "insert", "delete", "overwrite"]))
        if how == "cut":
            data = data[:at]
        elif how == "insert":
            data = data[:at] + draw(st.sampled_from(JUNK) | st.binary(min_size=1, max_size=3)) + data[at:]
        elif how == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 8)):]
        else:
            data = data[:at] + draw(st.binary(min_size=1, max_size=1)) + data[at + 1:]
    return data


def _load(db: querylang.Database, kind: str, path: Path) -> Any:
    if kind == "load":
        return db.load(str(path))
    if kind == "mongo":
        return db.import_mongo_export(path)
    return db.import_dashboard_export(_files(path))


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def target(request: pytest.FixtureRequest) -> Iterator[querylang.Database]:
    """A database that already holds a class, to which every damaged source is loaded."""
    db = querylang.connect() if request.param == "duckdb" else request.getfixturevalue("pg_connect")()
    db.load({"classes": {"Other": {"fields": {"x": {"type": "Number"}}}}, "records": {"Other": [{"objectId": "o1", "x": 1}]}})
    yield db
    db.close()


@FEW
@given(name=st.sampled_from(sorted(SOURCES)), data=st.data())
def test_a_damaged_file_loads_whole_or_nothing_naming_the_file(sources, target, tmp_path_factory, name, data):
    kind, _ = SOURCES[name]
    work = tmp_path_factory.mktemp("damaged") / "src"
    source = sources[name]
    if source.is_dir():
        shutil.copytree(source, work)
    else:
        work.mkdir()
        work = Path(shutil.copy(source, work / source.name))
    damaged = data.draw(st.sampled_from(_files(work)), label="file")
    damaged.write_bytes(data.draw(damage(damaged.read_bytes()), label="bytes"))
    before = dump(target)
    try:
        _load(target, kind, work)
    except DataError as err:
        assert dump(target) == before, f"a refused load changed the database: {err}"
        # The file is named (the load's), or another file of the same source the damage made wrong.
        assert any(f.name in str(err) for f in _files(work)) or str(work) in str(err), str(err)
    except QueryError as err:  # pragma: no cover - the assertion says which
        pytest.fail(f"a damaged file is refused with a {type(err).__name__}, not a DataError: {err}")
    else:
        # The damage left valid data: it was loaded whole; the next example starts from here.
        target.clear_cache()


# --- the single-file document's own errors, pinned (they named no file) ------------------------


@pytest.mark.parametrize(("text", "where", "says"), [
    ('{\n "classes": {\n  "1x": {"fields": {}}}}', "data.json, line 3: ", "invalid class name '1x'"),
    ('{"classes": {"Post": {"fields": {"a": {"type": "Strin"}}}},\n "classez": {}}', "data.json, line 2: ",
     "unknown top-level key(s): classez"),
    ('{"classes": {"Post": {"fields": {}}},\n "records": {\n "Pots": []}}', "data.json, line 3: ",
     "class Pots: records for unknown class"),
    ('{"classes": {"Post": {"fields": {}}},\n "records": {"Post": {}}}', "data.json, line 2: ", "records must be a list"),
    ('{"records": [],\n "relations": {}}', "data.json, line 1: ", "'records' must be an object"),
    ('{\n "relations": 3}', "data.json, line 2: ", "'relations' must be a list of edges"),
    # A field's type: the line of its class.
    ('{"classes": {\n "Post": {"fields": {\n  "a": {"type": "Strin"}}}}}', "data.json, line 2: ",
     "class Post, field a: unknown type 'Strin'"),
    ('{"classes": {\n "Post": {"fields": {"b": {"type": "Pointer", "targetClass": "Nope"}}}}}', "data.json, line 1: ",
     "targetClass 'Nope' is not a class"),
    ('{"classes": {\n "Post": {"fields": {"a": {"type": "Number"}}}}}', "data.json, line 2: ",
     "class Post, field a: already defined as String, cannot become Number"),
])
def test_a_document_error_outside_its_records_names_the_file(tmp_path, text, where, says):
    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    db = querylang.connect()
    db.load({"classes": {"Post": {"fields": {"a": {"type": "String"}}}}})
    before = dump(db)
    with pytest.raises(DataError) as info:
        db.load(str(path))
    assert str(info.value).startswith(f"{tmp_path}/{where}"), str(info.value)  # the path given
    assert says in str(info.value)
    assert dump(db) == before

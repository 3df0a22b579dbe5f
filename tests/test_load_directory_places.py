"""Every file of an interchange directory is named in a load's error by the folder's path
joined with the file's name, as schema.json is: a record's or an edge's file was named by its
name alone ('Post.ndjson, line 3'), which left the user to guess which folder's it was."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang import DataError
from tests.pg import fresh_database, fresh_url
from tests.test_cli import user_error
from tests.test_load_directory import document, write_dir


def _bad_record(path: Path) -> str:
    lines = (path / "Item.ndjson").read_text(encoding="utf-8").splitlines()
    lines[2] = json.dumps({"objectId": "i2", "n": "three"})
    (path / "Item.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{path / 'Item.ndjson'}, line 3: class Item, record i2, field n: expected a Number, got string"


def _bad_json(path: Path) -> str:
    with (path / "Item.ndjson").open("a", encoding="utf-8") as fh:
        fh.write('{"objectId": \n')
    return f"{path / 'Item.ndjson'}, line 6: not valid JSON at the end of the line"


def _bad_edge(path: Path) -> str:
    with (path / "relations.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"class": "Bag", "objectId": "b1", "key": "itemz", "targetId": "i1"}) + "\n")
    return f"{path / 'relations.ndjson'}, line 6: class Bag, record b1, field itemz: no Relation field 'itemz'"


def _a_file_for_no_class(path: Path) -> str:
    (path / "Thing.ndjson").write_text('{"objectId": "t1"}\n', encoding="utf-8")
    return f"{path / 'Thing.ndjson'}: holds records of a class schema.json does not define"


def _edges_as_jsonl(path: Path) -> str:
    (path / "relations.ndjson").rename(path / "relations.jsonl")
    return f"{path / 'relations.jsonl'}: the edges go in relations.ndjson"


CASES: dict[str, Callable[[Path], str]] = {
    "a bad record": _bad_record, "a line not JSON": _bad_json, "a bad edge": _bad_edge,
    "a file for no class": _a_file_for_no_class, "edges under another extension": _edges_as_jsonl,
}


def _folder(tmp_path: Path, case: str) -> tuple[Path, str]:
    path = write_dir(tmp_path / "data" / "d", document(5))
    return path, CASES[case](path)


@pytest.mark.parametrize("given", [str, Path])
@pytest.mark.parametrize("case", CASES)
def test_duckdb_names_the_file_by_the_folder_given(tmp_path: Path, case: str, given: Callable[[Path], Any]) -> None:
    path, said = _folder(tmp_path, case)
    with pytest.raises(DataError) as info:
        querylang.connect().load(given(path))
    assert str(info.value).startswith(said), (str(info.value), said)


@pytest.mark.parametrize("case", CASES)
def test_the_command_names_the_file_by_the_folder_given(tmp_path: Path, case: str) -> None:
    path, said = _folder(tmp_path, case)
    # A relative folder, as typed: the file is named under it, not by its name alone.
    err = user_error("load", "d", "--db", str(tmp_path / "x.duckdb"), cwd=path.parent)
    assert err.startswith(f"error: {said.replace(str(path), 'd')}"), (err, said)


@pytest.mark.parametrize("case", CASES)
def test_postgresql_names_the_file_by_the_folder_given(pg_cluster: Any, tmp_path: Path, case: str) -> None:
    path, said = _folder(tmp_path, case)
    db = fresh_database(pg_cluster)
    try:
        with pytest.raises(DataError) as info:
            db.load(str(path))
    finally:
        db.close()
    assert str(info.value).startswith(said), (str(info.value), said)


def test_the_command_names_the_file_on_postgresql_too(pg_cluster: Any, tmp_path: Path) -> None:
    path, said = _folder(tmp_path, "a bad record")
    err = user_error("load", "d", "--db", fresh_url(pg_cluster), cwd=path.parent)
    assert err == f"error: {said.replace(str(path), 'd')}\n"


# --- the folder as typed: Python's Path drops './' (and a trailing '/'), the messages do not ---


def _as_typed(said: str, path: Path, given: str) -> str:
    return said.replace(str(path), given.rstrip("/"))


@pytest.mark.parametrize("given", ["./d", "./d/"])
@pytest.mark.parametrize("case", CASES)
def test_duckdb_names_the_folder_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str,
                                          given: str) -> None:
    """Were 'd/Item.ndjson, line 3: ...' of db.load('./d'): a path the user never wrote."""
    path, said = _folder(tmp_path, case)
    monkeypatch.chdir(path.parent)
    with pytest.raises(DataError) as info:
        querylang.connect().load(given)
    assert str(info.value).startswith(_as_typed(said, path, given)), (str(info.value), said)


@pytest.mark.parametrize("case", CASES)
def test_the_command_names_the_folder_as_typed(tmp_path: Path, case: str) -> None:
    path, said = _folder(tmp_path, case)
    err = user_error("load", "./d", "--db", str(tmp_path / "x.duckdb"), cwd=path.parent)
    assert err.startswith(f"error: {_as_typed(said, path, './d')}"), (err, said)
    # --data reads the folder as load does, and names it so too.
    err = user_error("query", "Item", "where({})", "--data", "./d/", cwd=path.parent)
    assert err.startswith(f"error: {_as_typed(said, path, './d')}"), (err, said)


def test_a_folder_without_schema_json_is_named_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "Item.ndjson").write_text('{"objectId": "i1"}\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError, match=r"^\./d: an interchange directory needs a schema\.json"):
        querylang.connect().load("./d/")


@pytest.mark.parametrize("case", ["a bad record", "a line not JSON", "a bad edge"])
def test_postgresql_names_the_folder_as_typed(pg_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              case: str) -> None:
    path, said = _folder(tmp_path, case)
    monkeypatch.chdir(path.parent)
    db = fresh_database(pg_cluster)
    try:
        with pytest.raises(DataError) as info:
            db.load("./d")
    finally:
        db.close()
    assert str(info.value).startswith(_as_typed(said, path, "./d")), (str(info.value), said)


def test_a_folder_of_exports_is_named_as_typed(tmp_path: Path) -> None:
    """Named './dump/', where the load names a folder given so './dump' (README)."""
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "_SCHEMA.json").write_text('{"_id": "Post"}\n', encoding="utf-8")
    err = user_error("load", "./dump/", "--db", str(tmp_path / "x.duckdb"), cwd=tmp_path)
    assert err.startswith("error: ./dump: an interchange directory needs a schema.json; this folder looks like a "
                          "mongoexport"), err
    assert "querylang import mongo ./dump/ --db" in err


def test_a_file_is_named_as_typed_by_a_job_beside_the_load_too(tmp_path: Path) -> None:
    """A DuckDB directory load looks its files over again on a thread beside its index builds
    (engines/duckdb/beside.py): a file that thread names is named as the load was given too,
    the thread running in the load's context."""
    from querylang.engines.duckdb.beside import Beside
    from querylang.interchange.given_paths import shown, typed_sources

    with typed_sources(["./d/"]), Beside(lambda stop: shown(Path("d") / "Post.ndjson")) as beside:
        pass
    assert beside.result(0) == "./d/Post.ndjson"


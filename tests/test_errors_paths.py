"""A database path or URL is shown in an error with its control characters escaped, as Python
writes them in a string ('\\x00', '\\n', '\\x1b'), by the library and so by the command line;
one that holds a NUL, which no file name or URL can, is refused saying so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import querylang
from querylang import DataError, QueryError
from querylang.app.cli import main

NUL = r"a file name or URL cannot hold a NUL character (\x00)"


@pytest.mark.parametrize(("path", "says"), [
    # Python's ValueError "embedded null byte" came out of connect, or the NUL was written raw.
    ("\x00", rf"cannot open database \x00: {NUL}"),
    ("a\x00b.duckdb", rf"cannot open database a\x00b.duckdb: {NUL}"),
    (Path("a\x00b.duckdb"), rf"cannot open database a\x00b.duckdb: {NUL}"),
    ("nodir/\x00/x.duckdb", rf"cannot open database nodir/\x00/x.duckdb: {NUL}"),
    ("postgresql://u:se\x00cret@h/db", rf"cannot open database postgresql://u:***@h/db: {NUL}"),
    ("postgresql://u:pw@h\x00/db", rf"cannot open database postgresql://u:***@h\x00/db: {NUL}"),
    # Other control characters: the path is opened as given, and an error shows them escaped.
    ("nodir\n/x.duckdb", r"cannot open database nodir\n/x.duckdb: there is no folder nodir\n to make it in"),
    ("x\x1b[31m\t", r"no database at x\x1b[31m\t: a new database file is made only for a name ending in "
                    ".duckdb, .db, .ddb"),
    ("x\x85.json", r"no database at x\x85.json: a new database file is made only for a name ending in "
                   ".duckdb, .db, .ddb"),
])
def test_a_paths_control_characters_are_shown_escaped(path: str | Path, says: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(QueryError) as info:
        querylang.connect(path)
    assert str(info.value) == says
    assert list(tmp_path.iterdir()) == []  # nothing was made


def test_read_only_names_a_missing_file_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(QueryError) as info:
        querylang.connect("a\nb.duckdb", read_only=True)
    assert str(info.value) == r"no such database file: a\nb.duckdb"


def test_the_command_line_shows_the_librarys_escaped_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.json").write_text(json.dumps({"classes": {"A": {"fields": {}}}}), encoding="utf-8")
    res = CliRunner().invoke(main, ["load", "data.json", "--db", "nodir\n/x.duckdb"])
    assert res.exit_code == 2, res.output
    assert r"cannot open database nodir\n/x.duckdb: there is no folder nodir\n to make it in" in res.output
    assert "nodir\n/" not in res.output


@pytest.mark.parametrize(("path", "says"), [
    # Python's "embedded null byte" was told as "not readable JSON (ValueError: nested too deeply ...)".
    ("a\x00b.json", r"cannot load a\x00b.json: a file name cannot hold a NUL character (\x00): nothing was loaded"),
    (Path("a\x00b.json"), r"cannot load a\x00b.json: a file name cannot hold a NUL character (\x00): nothing was loaded"),
    ("no\nfile.json", r"no such data file: no\nfile.json"),
    ("d\x1bir", r"d\x1bir: an interchange directory needs a schema.json"),
])
def test_a_data_paths_control_characters_are_shown_escaped(path: str | Path, says: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d\x1bir").mkdir()
    with querylang.connect() as db:
        with pytest.raises(QueryError) as info:
            db.load(path)
        assert str(info.value).startswith(says), str(info.value)
        assert db.schema.classes == {}


def test_json_text_given_to_load_is_named_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The whole document was taken for a file's name: "no such data file: {"classes": ...".
    monkeypatch.chdir(tmp_path)
    with querylang.connect() as db:
        with pytest.raises(QueryError, match=r"^load takes a path or a dict, and this string is JSON text, not a file's path"):
            db.load(' {"classes": {"A": {"fields": {}}}}')
        assert db.schema.classes == {}
        # A file whose name starts with a brace is still a file.
        (tmp_path / "{x}.json").write_text(json.dumps({"classes": {"A": {"fields": {}}}}), encoding="utf-8")
        db.load("{x}.json")
        assert list(db.schema.classes) == ["A"]


@pytest.mark.parametrize(("text", "more"), [
    ("[1, 2]", ""), ("[{}]", ""),
    # Records, as a file of them is told (it said no more than of [1, 2]).
    (' [{"objectId": "a"}]', " (records as Parse Dashboard exports them: querylang import dashboard "
                             "(db.import_dashboard_export) reads those)"),
])
def test_json_text_of_an_array_given_to_load_says_what_load_expects(text: str, more: str, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # It was "no such data file: [1, 2]", the array taken for a file's name.
    monkeypatch.chdir(tmp_path)
    with querylang.connect() as db:
        with pytest.raises(DataError) as info:
            db.load(text)
        assert str(info.value) == ("load takes a path or a dict, and this string is JSON text, not a file's path: an array, "
                                   "where load expects one object with 'classes', 'records' and 'relations' "
                                   f"(nothing was loaded){more}")
        assert db.schema.classes == {}


@pytest.mark.parametrize(("source", "said"), [([{"objectId": "a"}], "array [{objectId: 'a'}]"), (5, "number 5"),
                                              (None, "null")])
def test_a_source_of_another_type_is_named_in_jsons_words(source: object, said: str) -> None:
    # Python's names were said: "got list", "got int", "got NoneType".
    with querylang.connect() as db:
        with pytest.raises(DataError) as info:
            db.load(source)  # type: ignore[arg-type]
        assert str(info.value) == f"load needs a path or a dict in the interchange format, got {said}"


def test_json_text_of_a_whole_document_is_named_as_json_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Longer than a file name may be (255 bytes), as any document but the smallest is, it was
    Python's OSError 'File name too long' from the check for a file of that name."""
    monkeypatch.chdir(tmp_path)
    text = json.dumps(json.loads((Path(__file__).parent / "conformance" / "dataset.json").read_text()))
    with querylang.connect() as db:
        with pytest.raises(DataError) as info:
            db.load(text)
        assert str(info.value).startswith("load takes a path or a dict, and this string is JSON text"), str(info.value)
        assert db.schema.classes == {}


@pytest.mark.parametrize("path", ["a" * 300 + ".json", Path("d") / ("b\n" * 200)])
def test_a_path_too_long_for_a_file_name_is_a_data_error(path: str | Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """It was Python's OSError 'File name too long' (an internal error on the command line)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    with querylang.connect() as db:
        with pytest.raises(DataError) as info:
            db.load(path)
        said = str(info.value)
        assert said.startswith("cannot load ") and said.endswith(": a name in the path is too long for the file system (nothing was loaded)"), said
        assert "\n" not in said
        assert db.schema.classes == {}


@pytest.mark.parametrize("args", [["load", "a" * 300, "--db", "x.duckdb"], ["query", "Post", "{}", "--data", "a" * 300]])
def test_the_command_line_says_a_path_is_too_long_for_a_file_name(args: list[str], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """It was an internal error (exit status 1), Python's OSError 'File name too long'."""
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert ": cannot read: a name in the path is too long for the file system" in res.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["[2024] posts.json", "{draft}.json", "[a]"])
def test_a_missing_file_whose_name_opens_with_a_bracket_is_named_as_a_file(name: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # It was said to be JSON text ("this string is JSON text, not a file's path: an array, ..."),
    # a file's name taken for a document; an existing one loads.
    monkeypatch.chdir(tmp_path)
    with querylang.connect() as db:
        with pytest.raises(DataError) as info:
            db.load(name)
        assert str(info.value) == f"no such data file: {name}"
        (tmp_path / name).write_text(json.dumps({"classes": {"A": {"fields": {}}}}), encoding="utf-8")
        db.load(name)
        assert list(db.schema.classes) == ["A"]


@pytest.mark.parametrize("text", ['{"classes": {', ' [{"objectId": "a"', "[1, 2]\n", "{}"])
def test_json_text_cut_short_is_still_named_as_json_text(text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with querylang.connect() as db:
        with pytest.raises(DataError, match=r"^load takes a path or a dict, and this string is JSON text, not a file's path"):
            db.load(text)

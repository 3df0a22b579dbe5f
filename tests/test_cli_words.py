"""One wording per situation across the commands: JSON that cannot be read, an empty file, a
file that is not there. Each names its place (the argument, or the file with its line and
column) and exits 2. In process, as test_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import user_error

BAD = '{"score":\n  }\n'  # line 2, column 3: Expecting value
SAID = "not valid JSON at line 2, column 3: Expecting value"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("find", "Post", "ARG"), "WHERE_JSON"),
        (("query", "Post", "ARG"), "SCRIPT"),
        (("query", "Post", "where({})", "--inputs", "ARG"), "--inputs"),
        (("load", "ARG", "--db", "DB"), None),
    ],
    ids=["find", "query", "inputs", "load"],
)
def test_json_that_cannot_be_read_is_said_one_way_naming_its_place(
    tmp_path: Path, args: tuple[str, ...], named: str | None
) -> None:
    """find said "WHERE_JSON is not valid JSON at ...", query "SCRIPT is not valid JSON at ...",
    --inputs "Invalid value for --inputs: not valid JSON: Expecting value: line 2 column 3 (char 12)"
    and load "FILE: not valid JSON at ...": now all "PLACE: not valid JSON at line L, column C: ..."."""
    path = tmp_path / "bad.json"
    path.write_text(BAD, encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    if named is not None:  # the argument itself, then the same text from a file
        given = [BAD if a == "ARG" else a for a in args]
        assert user_error(*given) == f"error: {named}: {SAID}\n"
    given = [f"@{path}" if a == "ARG" and args[0] != "load" else str(path) if a == "ARG" else db if a == "DB" else a
             for a in args]  # fmt: skip
    assert user_error(*given) == f"error: {path}: {SAID}\n"
    assert not Path(db).exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("find", "Post", "@FILE"), "a JSON object is expected (Parse's where; {} for every record)"),
        (("query", "Post", "where({})", "--inputs", "@FILE"), "a JSON object of input values is expected"),
        (("load", "FILE", "--db", "DB"), "a JSON document is expected (was it cut short?)"),
        (("query", "Post", "where({})", "--data", "FILE"), "a JSON document is expected (was it cut short?)"),
    ],
    ids=["find", "inputs", "load", "data"],
)
def test_an_empty_json_file_is_said_one_way(tmp_path: Path, args: tuple[str, ...], expected: str) -> None:
    """load and --data said "FILE: an empty file, not a JSON document (was it cut short?)", find
    "FILE: empty, where WHERE_JSON is a JSON object ...", --inputs "Invalid value for --inputs:
    FILE: empty, where ..." with click's usage lines: now all "FILE: empty, where ... is expected"."""
    path = tmp_path / "empty.json"
    path.write_text(" \n", encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    given = [f"@{path}" if a == "@FILE" else str(path) if a == "FILE" else db if a == "DB" else a for a in args]
    assert user_error(*given) == f"error: {path}: empty, where {expected}\n"
    assert not Path(db).exists()

"""The ``querylang`` command given input that is empty, damaged or of the wrong kind: each is a
user error (exit 2) on one line naming the file, and changes nothing. In process, as test_cli.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_cli
from .test_cli import GT10, ok, user_error

sample_file = test_cli.sample_file
sample_db = test_cli.sample_db

EVERY = "(to list every record, give an empty SCRIPT '' or where({}))"


@pytest.mark.parametrize("text", ["", "\n  \n", "\r\n", "\ufeff\n"], ids=["empty", "blank", "crlf", "bom"])
@pytest.mark.parametrize("command", ["query", "compile"])
def test_an_empty_script_file_is_refused_naming_it(tmp_path: Path, command: str, text: str) -> None:
    """An empty @FILE listed every record, as an empty SCRIPT argument does: a script saved
    empty or the wrong file is the likelier meaning, as an empty line asks the REPL for nothing."""
    path = tmp_path / "filter.js"
    path.write_text(text, encoding="utf-8", newline="")
    err = user_error(command, "Post", f"@{path}")
    assert err == f"error: {path}: empty, so it asks for no query {EVERY}\n"
    assert user_error(command, "Post", "-", stdin=text) == (
        f"error: SCRIPT (standard input): empty, so it asks for no query {EVERY}\n")
    # The empty argument still lists every record, and a file with a script still runs.
    assert "1 record" in ok("query", "Post", "", "--limit", "1")
    path.write_text(text + GT10, encoding="utf-8", newline="")
    ok(command, "Post", f"@{path}")


def test_a_script_file_that_asks_for_no_query_is_named(tmp_path: Path) -> None:
    path = tmp_path / "filter.js"
    path.write_text("// where({ score: { greaterThan: 10 } })\n", encoding="utf-8")
    err = user_error("query", "Post", f"@{path}")
    assert err.startswith(f"error: SCRIPT ({path}) ran without calling where(), filter() or sort()"), err


def test_an_empty_where_or_inputs_file_is_named_as_empty(tmp_path: Path) -> None:
    """Both were "not valid JSON at line 1, column 1: Expecting value"."""
    path = tmp_path / "where.json"
    path.write_text("\n", encoding="utf-8")
    assert user_error("find", "Post", f"@{path}") == (
        f"error: {path}: empty, where WHERE_JSON is a JSON object (Parse's where; {{}} for every record)\n")
    err = user_error("query", "Post", "", "--inputs", f"@{path}")
    assert f"Invalid value for --inputs: {path} is empty, where a JSON object of input values is expected" in err


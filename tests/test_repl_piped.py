"""The REPL fed piped input: it runs without a terminal, ends with the CLI's exit status, and
with a machine format (csv, json) keeps its notes and errors out of stdout.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from .repl import piped


def test_piped_input_runs_without_a_terminal(tmp_path: Path) -> None:
    entries = ".class Post\nwhere({\n  score: { greaterThan: 10 }\n})\n.show Group g2\n"
    status, out = piped(entries, tmp_path)
    assert status == 0, out
    assert "4 records" in out and "6 records" in out


def test_piped_input_exits_2_after_a_user_error(tmp_path: Path) -> None:
    # #12.15: errors in piped input end with the command's status, and later entries still run.
    status, out = piped(".class Post\nwhere({ scroe: 1 })\nwhere({ score: 13 })\n", tmp_path)
    assert status == 2
    assert "did you mean 'score'" in out and "4 records" in out


def test_limit_zero_is_a_usage_error(tmp_path: Path) -> None:
    """.limit 0 was taken, then every query showed nothing and said "0 records (more not shown)"."""
    status, out = piped(".class Post\n.limit 0\nwhere({ score: 13 })\n", tmp_path)
    assert status == 2
    assert "usage: .limit N|off" in out and "more not shown" not in out and "4 records" in out


@pytest.mark.parametrize("n", ["²", "٣"])
def test_limit_of_a_non_ascii_digit_is_a_usage_error(tmp_path: Path, n: str) -> None:
    """'.limit ²' passed str.isdigit and int() then raised: "internal error: ValueError" (status 1);
    '.limit ٣' was taken as 3."""
    status, out = piped(f".class Post\n.limit {n}\nwhere({{ score: 13 }})\n", tmp_path)
    assert status == 2
    assert "usage: .limit N|off" in out and "internal error" not in out and "4 records" in out


def test_notes_and_errors_go_to_stderr_in_a_machine_format(tmp_path: Path) -> None:
    # Found by review: with .format csv the notes ("showing at most 2 records", "(.limit N shows
    # more ...)") and errors were printed among the rows, so `querylang repl < s > out.csv`
    # wrote them into the CSV.
    import csv

    from click.testing import CliRunner

    from querylang.app.cli import main

    entries = ".class Post\n.format csv\n.limit 2\nwhere({})\nwhere({ scroe: 1 })\n.format table\n.limit 3\n"
    env = {"COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl"], input=entries)
    assert res.exit_code == 2, res.output
    out, table_note = res.stdout.rsplit("\n", 2)[0], res.stdout.splitlines()[-1]
    rows = list(csv.reader(io.StringIO(out)))
    assert [r[0] for r in rows] == ["objectId", "p001", "p002"]
    assert table_note == "showing at most 3 records"  # back in a table: notes beside it again
    assert "showing at most 2 records" in res.stderr and ".limit N shows more" in res.stderr
    assert "did you mean 'score'" in res.stderr


def test_a_machine_formats_stdout_holds_only_its_records(tmp_path: Path) -> None:
    # Found by review: with .format json, `.inputs X=13` wrote "Inputs.X = 13" to stdout before
    # the records (while "no inputs set" went to stderr), and .help, .schema, .sql, .explain and
    # .show as a table wrote their text there too: `querylang repl < s > out.json` was no JSON.
    from click.testing import CliRunner

    from querylang.app.cli import main

    entries = (".format json\n.inputs X=13\n.inputs\n.help\n.class Post\nwhere({ score: Inputs.X })\n"
               ".sql\n.explain\n.schema\n.schema Post\n.format jsonl\n.show p001\n")  # fmt: skip
    env = {"COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl"], input=entries)
    assert res.exit_code == 0, res.output
    assert [r["objectId"] for r in json.loads(res.stdout)] == ["p015", "p023", "p031", "p039"]
    for said in ("Inputs.X = 13", ".class NAME", "params: [13]", "Scan", "publishedAt", "pointer index 1"):
        assert said in res.stderr, said

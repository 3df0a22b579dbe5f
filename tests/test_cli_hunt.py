"""The ``querylang`` command met as a user meets it: odd flags and inputs, in process."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import ql


@pytest.mark.parametrize(
    "command", [("query", "Post", ""), ("load", "x.json"), ("schema",), ("serve", "--app-id", "a", "--master-key", "k")]
)
def test_db_url_of_another_scheme_is_named_as_given(command: tuple[str, ...], tmp_path: Path) -> None:
    res = ql(*command, "--db", "mysql://u@localhost/app", cwd=tmp_path)
    assert res.returncode == 2
    assert "mysql:// is not a database querylang opens" in res.stderr
    assert "mysql:/u" not in res.stderr
    assert not list(tmp_path.iterdir())

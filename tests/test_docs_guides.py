"""The guides' examples, run: docs/postgres.md's code blocks on a throw-away PostgreSQL.

tests/test_docs_examples.py runs the README's; this runs a guide's blocks as a user would,
with only the server's address put in for the page's example one, and ``data.json`` the
bundled sample (the shape the examples' classes and fields come from). docs/serve.md's table of
mistakes is asked of a running server in tests/server/test_serve_guide.py.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from querylang.app.cli import main

from .pg import fresh_url

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = (ROOT / "docs" / "postgres.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLE_URL = re.compile(r"postgresql://[\w@.:-]+/records")
SAMPLE = ROOT / "querylang" / "data" / "sample.json"


def first_block(text: str, lang: str) -> str:
    return next(body for kind, body in FENCE.findall(text) if kind == lang)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(SAMPLE, tmp_path / "data.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_postgres_guides_python_block_runs(pg_cluster: Any, workdir: Path) -> None:
    code = first_block(POSTGRES, "python")
    assert EXAMPLE_URL.search(code), code
    url = fresh_url(pg_cluster)
    lines = EXAMPLE_URL.sub(url, code).rstrip().splitlines()
    scope: dict[str, Any] = {}
    exec("\n".join(lines[:-1]), scope)  # noqa: S102 (the page's own example)
    ids = eval(lines[-1], scope)  # noqa: S307 (its last line, an expression: the answer)
    try:
        assert ids and all(isinstance(i, str) for i in ids), ids
        want = [r["objectId"] for r in scope["db"].find("Comment", {"likes": {"$gt": 10}}, limit=1000).records]
        assert ids == want[: len(ids)]
    finally:
        scope["db"].close()


def test_the_postgres_guides_commands_run(pg_cluster: Any, workdir: Path) -> None:
    """The `load` then the `query` of the page's sh block, on one database: both exit 0."""
    url = fresh_url(pg_cluster)
    commands = [line for line in first_block(POSTGRES, "sh").splitlines() if line.startswith("querylang ")]
    assert [shlex.split(c)[1] for c in commands] == ["load", "query"], commands
    outputs = []
    for command in commands:
        args = [url if EXAMPLE_URL.fullmatch(a) else a for a in shlex.split(command)[1:]]
        assert url in args, command
        res = CliRunner(env={"COLUMNS": "100", "NO_COLOR": "1"}).invoke(main, args)
        assert res.exit_code == 0, (command, res.output)
        outputs.append(res.output)
    assert outputs[0].startswith("loaded 176 records into the PostgreSQL database"), outputs[0]

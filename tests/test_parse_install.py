"""The Parse Server install the tests and benchmarks share (benchmarks/parse_server.py): test
workers that start Parse Server at once in a fresh checkout each saw the `parse-server` script
that another worker's `npm install` had just unpacked, before its modules were all there, and
Parse Server exited with "Cannot find module" (a fresh clone's suite, once)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from benchmarks import parse_server


@pytest.fixture
def fake_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """npm install, as slow as a real one to finish after it has unpacked the script: the script
    appears at once, the install ends 0.5 s later. Records each run's start."""
    monkeypatch.setattr(parse_server, "PARSE_DIR", tmp_path / ".parse")
    monkeypatch.setattr(parse_server.shutil, "which", lambda name: f"/usr/bin/{name}")
    runs: list[float] = []

    def run(cmd: list[str], what: str, **kw: Any) -> None:
        runs.append(time.monotonic())
        cli = kw["cwd"] / "node_modules" / "parse-server" / "bin" / "parse-server"
        cli.parent.mkdir(parents=True, exist_ok=True)
        cli.write_text("")
        time.sleep(0.5)

    monkeypatch.setattr(parse_server, "_run", run)
    return runs


def test_a_second_worker_waits_for_the_first_workers_install(fake_npm: list[float]) -> None:
    ended: list[float] = []

    def install() -> None:
        parse_server._install_parse()
        ended.append(time.monotonic())

    first = threading.Thread(target=install)
    first.start()
    while not fake_npm:
        time.sleep(0.01)
    time.sleep(0.1)  # the script is there, the install not yet done
    install()
    first.join()
    assert len(fake_npm) == 1
    # Neither returned before the install ended.
    assert min(ended) >= fake_npm[0] + 0.5


def test_a_script_left_by_an_install_cut_short_is_installed_again(fake_npm: list[float]) -> None:
    cli = parse_server.PARSE_DIR / "node_modules" / "parse-server" / "bin" / "parse-server"
    cli.parent.mkdir(parents=True)
    cli.write_text("")
    parse_server._install_parse()
    assert len(fake_npm) == 1
    parse_server._install_parse()
    assert len(fake_npm) == 1

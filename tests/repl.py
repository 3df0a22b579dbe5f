"""What the test_repl_*.py files (and the CLI tests that pipe into the REPL) share: the real
``querylang repl`` in a pseudo-terminal (pexpect), read with the terminal's escape sequences
removed so checks see the text a person sees; the REPL fed piped input; a Session in process.
"""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest
from rich.console import Console

import querylang
from querylang.app.demo import sample_document
from querylang.app.repl import Session

SCRIPT = Path(sys.executable).parent / "querylang"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "querylang"]
# The command after it run with SIGINT at its default (ignored signals outlive exec, a default
# one is Python's KeyboardInterrupt again).
AS_FROM_A_TERMINAL = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                      "os.execv(sys.argv[1], sys.argv[1:])"]
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\r")


PROMPT_READY = "\x1b[?2004h"  # prompt_toolkit turns bracketed paste on as each prompt starts


class Terminal:
    """A REPL in a pty: type into it, read its screen as text."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.history = tmp_path / "history"
        env = {
            **os.environ,
            "COLUMNS": "120",
            "LINES": "40",
            "TERM": "xterm",
            "QUERYLANG_HISTORY": str(self.history),
            "PROMPT_TOOLKIT_NO_CPR": "1",  # nothing here answers cursor-position requests
        }
        self.child = pexpect.spawn(
            COMMAND[0], [*COMMAND[1:], "repl", *args], env=env, dimensions=(40, 120),
            encoding="utf-8", timeout=10,
        )  # fmt: skip
        self.raw = ""
        self.seen = 0  # how much of ``raw`` earlier waits consumed

    def wait_raw(self, needle: str, timeout: float = 10) -> str:
        """Wait for ``needle`` in the raw output after what was consumed; return the screen text
        up to it, escape sequences removed."""
        deadline = time.monotonic() + timeout
        while True:
            at = self.raw.find(needle, self.seen)
            if at >= 0:
                chunk = self.raw[self.seen : at]
                self.seen = at + len(needle)
                return ESCAPES.sub("", chunk)
            if time.monotonic() > deadline:
                rest = ESCAPES.sub("", self.raw[self.seen :])
                raise AssertionError(f"{needle!r} did not appear; screen so far:\n{rest}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                pass

    def ready(self) -> str:
        """Wait for the next prompt; return what was printed before it."""
        return self.wait_raw(PROMPT_READY)

    def type(self, text: str) -> None:
        """Type as a person does: a key at a time is not needed, a pause between bursts is."""
        self.child.send(text)
        time.sleep(0.15)

    def enter(self, *lines: str) -> str:
        """Type lines, each ended by Enter, and wait for the next prompt; return the screen between.

        Waiting for the prompt is what a person does, and it matters: between prompts the
        terminal is back in cooked mode, where typed-ahead Ctrl-C or Ctrl-D mean something else.
        """
        for line in lines:
            self.child.send(line + "\r")
            time.sleep(0.05)
        return self.ready()

    def quit(self) -> int:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF, timeout=10)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def term(tmp_path: Path):  # type: ignore[no-untyped-def]
    t = Terminal(tmp_path)
    assert "Ctrl-D quits" in t.ready()
    yield t
    if t.child.isalive():
        t.child.terminate(force=True)


def caret_points_at(screen: str, word: str) -> bool:
    lines = screen.splitlines()
    for i, line in enumerate(lines[:-1]):
        if "|" in line and word in line:
            return lines[i + 1].find("^") == line.index(word)
    return False


def piped(entries: str, tmp_path: Path) -> tuple[int, str]:
    """``querylang repl`` with stdin not a terminal, in this process (click's CliRunner)."""
    from click.testing import CliRunner

    from querylang.app.cli import main

    env = {"COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")}
    res = CliRunner(env=env).invoke(main, ["repl"], input=entries)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout


def session_for(**kw: object) -> tuple[Session, io.StringIO]:
    db = querylang.connect()
    db.load(sample_document())
    out = io.StringIO()
    console = Console(file=out, width=120, highlight=False, emoji=False, soft_wrap=False)
    return Session(db, console, **kw), out  # type: ignore[arg-type]


def completions_of(session: Session, text: str) -> list[tuple[str, str, str]]:
    from querylang.app.repl import completions

    return list(completions(session, text))

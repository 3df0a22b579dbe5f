"""The REPL as a person uses it: the real ``querylang repl`` in a pseudo-terminal (pexpect).

The screen is read with the terminal's escape sequences removed, so checks see the text a
person sees. The pieces the terminal tests rest on (when Enter runs, the lexer, completion,
cancelling a running statement) are also tested directly, which is quicker and says more
when they break.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pexpect
import pytest
from pygments.token import Keyword, Name, String

from querylang.cli import _wait
from querylang.lexer import FilterScriptLexer, is_complete

SCRIPT = Path(sys.executable).parent / "querylang"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "querylang"]
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78]|\r")


class Terminal:
    """A REPL in a pty: type into it, wait for text to appear on its screen."""

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
        self.seen = 0  # how much of the cleaned screen text earlier waits consumed

    @property
    def text(self) -> str:
        return ESCAPES.sub("", self.raw)

    def wait_for(self, needle: str, timeout: float = 10) -> str:
        """Wait until ``needle`` appears after what was already matched; return the text up to it."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            at = text.find(needle, self.seen)
            if at >= 0:
                chunk = text[self.seen : at + len(needle)]
                self.seen = at + len(needle)
                return chunk
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} did not appear; screen so far:\n{text[self.seen:]}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                pass

    def type_lines(self, *lines: str) -> None:
        """Type lines, each ended by Enter, waiting for the REPL to take each one."""
        for line in lines:
            self.child.send(line + "\r")
            self.wait_for(line.strip()[-3:] if line.strip() else "")

    def quit(self) -> int:
        self.child.sendcontrol("d")
        self.child.expect(pexpect.EOF, timeout=10)
        self.child.close()
        return self.child.exitstatus


@pytest.fixture
def term(tmp_path: Path):  # type: ignore[no-untyped-def]
    t = Terminal(tmp_path)
    t.wait_for("Ctrl-D quits")
    yield t
    if t.child.isalive():
        t.child.terminate(force=True)


def caret_points_at(screen: str, word: str) -> bool:
    lines = screen.splitlines()
    for i, line in enumerate(lines[:-1]):
        if "|" in line and word in line:
            return lines[i + 1].find("^") == line.index(word)
    return False


# --- in the terminal ------------------------------------------------------------------------


def test_typo_caret_fix_table(term: Terminal) -> None:
    """A multi-line query with a typo: the caret error, then the fixed query's table."""
    term.type_lines(".class Post")
    term.wait_for("Post>")
    term.type_lines("where({", "  scroe: { greaterThan: 10 }")
    term.child.send("})\r")
    screen = term.wait_for("did you mean 'score'?")
    screen += term.wait_for("^")
    assert "error:" in screen and "line 2, column 3" in screen
    assert caret_points_at(screen + "\n", "scroe")
    term.wait_for("Post>")  # the session goes on

    term.type_lines("where({", "  score: { greaterThan: 10 }")
    term.child.send("})\r")
    table = term.wait_for("4 records")
    for oid in ("p015", "p023", "p031", "p039"):
        assert oid in table
    assert "objectId" in table and "score" in table

    term.type_lines(".sql")
    sql = term.wait_for("params: [10, 101]")
    assert 'FROM "Post"' in sql
    assert term.quit() == 0
    history = term.history.read_text(encoding="utf-8")
    assert "scroe" in history and "score: { greaterThan: 10 }" in history


def test_dot_commands(term: Terminal) -> None:
    term.type_lines(".class Comment", ".inputs Post=p015", ".timer on")
    term.wait_for("timer on")
    term.child.send("where({ Owner: { pointsTo: Inputs.Post } })\r")
    out = term.wait_for(" ms")
    assert "3 records in" in out and "c042" in out

    term.type_lines(".explain")
    term.wait_for("Post")  # the plan mentions the filtered column's value or table
    term.type_lines(".format json")
    term.child.send("where({ likes: { equalTo: 4 } })\r")
    assert '"objectId": "c108"' in term.wait_for("c108")
    term.type_lines(".format table", ".show Comment c001")
    shown = term.wait_for(".show User u02")
    assert "Post p008" in shown
    term.type_lines(".relation Group g2 posts")
    assert "p040" in term.wait_for("6 records")
    term.type_lines(".schema")
    term.wait_for("Relation → User")
    term.type_lines(".nope")
    term.wait_for("unknown command .nope")
    term.type_lines(".help")
    term.wait_for(".relation CLASS ID KEY")
    term.child.send(".quit\r")
    term.child.expect(pexpect.EOF, timeout=10)


def test_ctrl_c_cancels_the_input_and_tab_completes(term: Terminal) -> None:
    term.child.send("where({ half typed")
    term.wait_for("half typed")
    term.child.sendcontrol("c")
    term.wait_for("querylang>")
    term.child.send(".cl\t")
    term.wait_for(".class")
    term.child.send(" Po\t")
    term.wait_for("Post")
    term.child.send("\r")
    term.wait_for("Post>")
    term.child.send("where({ sco\t")
    term.wait_for("score")
    term.child.send(": { greaterThan: 12 } })\r")
    assert "p039" in term.wait_for("4 records")
    assert term.quit() == 0


def test_piped_input_runs_without_a_terminal(tmp_path: Path) -> None:
    entries = ".class Post\nwhere({\n  score: { greaterThan: 10 }\n})\n.show Group g2\n"
    res = subprocess.run(
        [*COMMAND, "repl"], input=entries, capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "QUERYLANG_HISTORY": str(tmp_path / "h")},
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "4 records" in res.stdout and "6 records" in res.stdout


# --- the pieces -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, complete",
    [
        ("", True),
        ("where({", False),
        ("where({\n  score: 5\n})", True),
        ("where({ title: '(' })", True),  # brackets in strings do not count
        ("where({ title: { matchesRegex: /[(]/ } })", True),  # nor in regex literals
        ("where({ n: 4 / (2) })", True),  # a slash after a value divides
        ("/* where({ */", True),
        ("where({ /* })", False),  # an open comment waits for more
        ("// where({\nwhere({})", True),
        ("where({}))", True),  # too many closers: run it, the parser will say so
        ("where({ t: `a\n", False),
    ],
)
def test_enter_runs_once_brackets_close(text: str, complete: bool) -> None:
    assert is_complete(text) is complete


def test_lexer_marks_the_filter_language() -> None:
    src = "where({ score: { greaterThan: Inputs.Min }, t: { matchesRegex: /^a/i }, x: $Max })"
    tokens = [(tok, value) for tok, value in FilterScriptLexer().get_tokens(src) if value.strip()]
    assert (Name.Function, "where") in tokens
    assert (Name.Attribute, "score") in tokens
    assert (Keyword, "greaterThan") in tokens
    assert (Name.Variable, "Min") in tokens and (Name.Variable, "$Max") in tokens
    assert (String.Regex, "/^a/i") in tokens
    assert list(FilterScriptLexer().get_tokens(".class Post"))[0] == (Keyword.Pseudo, ".class")


def test_completion_knows_classes_fields_operators_inputs() -> None:
    import querylang
    from querylang.demo import sample_document
    from querylang.render import make_console
    from querylang.repl import Session, completions

    db = querylang.connect()
    db.load(sample_document())
    s = Session(db, make_console(), class_name="Post", inputs={"MinScore": 3})

    def names(text: str) -> list[str]:
        return [cand for cand, _, _ in completions(s, text)]

    assert names(".cl") == [".class"]
    assert names(".class Co") == ["Comment"]
    assert names(".relation Group g1 p") == ["posts"]
    assert "score" in names("where({ sc")
    assert "greaterThan" in names("where({ score: { greaterTh")
    assert names("where({ score: { greaterThan: Inputs.") == ["MinScore"]
    assert names("where({ score: { greaterThan: $M") == ["$MinScore"]
    assert "relatedTo" in names("where({ rel")


def test_ctrl_c_interrupts_a_running_statement() -> None:
    cursor = duckdb.connect().cursor()
    # Ten billion pairs: minutes of work unless the interrupt reaches DuckDB.
    slow = "SELECT count(*) FROM range(100000) a, range(100000) b WHERE (a.range * b.range) % 7 = 3"
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _wait(cursor, lambda: cursor.execute(slow).fetchall())
    assert time.monotonic() - start < 5
    assert cursor.execute("SELECT 1").fetchall() == [(1,)]  # the cursor is still usable

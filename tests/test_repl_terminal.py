"""The REPL as a person uses it: the real ``querylang repl`` in a pseudo-terminal (pexpect):
the caret and fix of a typo, dot commands, Ctrl-C, Tab, Esc-Enter, SIGTERM, the history file.
The pieces these rest on are tested directly in test_repl_pieces.py, which is quicker and says
more when they break.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pexpect
import pytest

from . import repl
from .repl import AS_FROM_A_TERMINAL, COMMAND, Terminal, caret_points_at

term = repl.term


# --- in the terminal ------------------------------------------------------------------------


def test_typo_caret_fix_table(term: Terminal) -> None:
    """A multi-line query with a typo: the caret error, then the fixed query's table."""
    term.enter(".class Post")
    screen = term.enter("where({", "  scroe: { greaterThan: 10 }", "})")
    assert "error: line 2, column 3" in screen
    assert "did you mean 'score'?" in screen
    assert caret_points_at(screen, "scroe")

    table = term.enter("where({", "  score: { greaterThan: 10 }", "})")
    for oid in ("p015", "p023", "p031", "p039"):
        assert oid in table
    assert "objectId" in table and "score" in table and "4 records" in table

    sql = term.enter(".sql")
    assert 'FROM "Post"' in sql and "params: [10]" in sql
    assert term.quit() == 0
    history = term.history.read_text(encoding="utf-8")
    assert "scroe" in history and "score: { greaterThan: 10 }" in history


def test_dot_commands(term: Terminal) -> None:
    term.enter(".class Comment")
    assert 'Inputs.Post = "p015"' in term.enter(".inputs Post=p015")
    assert "timer on" in term.enter(".timer on")
    out = term.enter("where({ Owner: { pointsTo: Inputs.Post } })")
    assert "3 records in" in out and " ms" in out and "c042" in out
    assert "Scan" in term.enter(".explain")
    term.enter(".format json")
    assert '"objectId": "c108"' in term.enter("where({ likes: { equalTo: 4 } })")
    term.enter(".format table")
    shown = term.enter(".show Comment c001")
    assert "Post p008" in shown and ".show User u02" in shown
    assert "6 records" in term.enter(".relation Group g2 posts")
    assert "Relation → User" in term.enter(".schema")
    assert "unknown command .nope" in term.enter(".nope")
    assert ".relation [CLASS] ID KEY" in term.enter(".help")
    term.child.send(".quit\r")
    term.child.expect(pexpect.EOF, timeout=10)


def test_ctrl_c_cancels_the_input_and_tab_completes(term: Terminal) -> None:
    term.type("where({ half typed")
    term.child.sendcontrol("c")
    term.ready()
    term.type(".cl")
    term.type("\t")
    term.type(" Po")
    term.type("\t")
    assert "querylang> .class Post" in term.enter("")  # Tab completed it; Enter ran it
    term.type("where({ sco")
    term.type("\t")
    out = term.enter(": { greaterThan: 12 } })")
    assert "p039" in out and "4 records" in out
    assert term.quit() == 0


def test_a_history_file_that_cannot_be_written_is_no_traceback(term: Terminal) -> None:
    # Found by review: when the history file could no longer be written (its folder removed,
    # a full disk), every Enter printed prompt_toolkit's traceback and "Press ENTER to
    # continue..."; the session goes on with its history in memory.
    term.enter(".class Post")
    term.history.unlink()
    term.history.mkdir()  # appending to it now fails
    out = term.enter("where({ score: 13 })")
    assert "Unhandled exception" not in out and "Traceback" not in out and "Press ENTER" not in out, out
    assert "4 records" in out
    assert "4 records" in term.enter("where({ score: { greaterThan: 12 } })")
    assert term.quit() == 0


def test_sigterm_ends_the_repl(term: Terminal) -> None:
    # Found by review: SIGTERM (`kill`, a CI job cancelled) reached the REPL as Ctrl-C does,
    # so it only cleared the input and the REPL went on; it ends, exit 130, as other commands.
    term.type("where({ score: 13 ")
    term.child.kill(signal.SIGTERM)
    term.child.expect(pexpect.EOF, timeout=10)
    term.child.close()
    assert term.child.exitstatus == 130


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupt_ends_piped_input(tmp_path: Path, sig: int) -> None:
    # Found by review: with entries piped in, Ctrl-C or SIGTERM cancelled the entry running
    # and the REPL went on with the next one (thousands of entries: thousands of presses).
    import subprocess

    entries = tmp_path / "entries.txt"
    entries.write_text(".class Post\n" + "where({ score: { greaterThan: 1 } })\n" * 20000, encoding="utf-8")
    env = {**os.environ, "QUERYLANG_HISTORY": str(tmp_path / "h"), "COLUMNS": "80"}
    with entries.open("rb") as stdin:
        # Started with Ctrl-C at its default, as from a terminal: a suite run in the background
        # hands its processes SIGINT ignored, which the REPL keeps, as it should.
        child = subprocess.Popen([*AS_FROM_A_TERMINAL, *COMMAND, "repl"], stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)  # fmt: skip
        assert child.stdout is not None
        child.stdout.readline()  # it is running entries now
        time.sleep(0.5)
        child.send_signal(sig)
        try:
            out, err = child.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
    assert child.returncode == 130, (child.returncode, err[-500:])
    assert b"interrupted" in err


def test_esc_enter_adds_a_line_and_a_blank_line_runs_as_is(term: Terminal) -> None:
    term.enter(".class Post")
    term.type("where({ score: { greaterThan: 12 } })")
    term.type("\x1b\r")  # Esc Enter: a new line although the brackets are closed
    out = term.enter("sort(['-title'])")
    order = [out.index(oid) for oid in ("p023", "p015", "p039", "p031")]
    assert order == sorted(order), out
    out = term.enter("where({ score: 1", "")  # Enter on the blank line runs it unfinished
    assert "error: line" in out and "^" in out
    assert term.quit() == 0

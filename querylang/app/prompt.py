"""How ``querylang repl`` reads its entries: a prompt on a terminal, or piped standard input.

Enter runs a script once its brackets close (``lexer.is_complete``), so a multi-line
``where({ ... })`` is typed naturally; Esc Enter starts a new line anyway (for a ``sort()``
on a line of its own), and Enter on a blank line runs the text as it is. Ctrl-C clears the
input or interrupts a running query; Ctrl-D quits; SIGTERM ends the session (exit 130). When
stdin is not a terminal the same commands are read from it, one entry after another, without
prompts, and Ctrl-C ends the run (exit 130).
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.text import Text

from querylang.api import Database
from querylang.app.commands import class_counts
from querylang.app.highlighting import is_complete
from querylang.app.render import count_text, make_console, unread_notes
from querylang.app.repl import Quit, Session, completions
from querylang.errors import piped_not_utf8

HISTORY_ENV = "QUERYLANG_HISTORY"


def history_path() -> Path:
    return Path(os.environ.get(HISTORY_ENV) or Path.home() / ".querylang_history").expanduser()


def banner(session: Session) -> None:
    classes = session.db.schema.classes
    counts = class_counts(session.db)
    names = ", ".join(f"{n} ({count_text(c)})" for n, c in counts.items()) or "none"
    session.console.print(Text.assemble(("querylang", "bold"), f" REPL: {len(classes)} classes: {names}"))
    for line in unread_notes(counts):
        session.note(line)
    pick = "" if session.class_name else ".class NAME picks a class, "
    session.note(f"{pick}.help lists commands, Ctrl-D quits.")


def prompt_text(session: Session) -> str:
    return f"{session.class_name or 'querylang'}> "


def run_repl(db: Database, *, class_name: str | None = None, db_hint: str = "FILE.duckdb") -> int:
    """The interactive loop on a terminal; reads entries from stdin when it is not one.
    Returns the exit status: for piped input, 2 after a user error and 1 after a fault.
    ``db_hint``: the --db a hint names (Session.db_hint)."""
    session = Session(db, make_console(), class_name=class_name, db_hint=db_hint)
    if not sys.stdin.isatty():
        session.ends_on_interrupt = True
        run_batch(session, stdin_lines("standard input"))
        return session.status
    prompt = make_prompt(session)
    banner(session)
    with ended_by_sigterm(session):
        while True:
            try:
                text = prompt.prompt(prompt_text(session))
            except KeyboardInterrupt:
                if session.ends_on_interrupt:
                    raise
                continue  # Ctrl-C drops the input being typed
            except EOFError:
                break
            try:
                session.handle(text)
            except (Quit, EOFError):
                break
    return 0


@contextlib.contextmanager
def ended_by_sigterm(session: Session) -> Iterator[None]:
    """SIGTERM (``kill``, a CI job cancelled) ends the session. It comes as a Ctrl-C, so a
    running query is cancelled the way Ctrl-C cancels it (commands.cancellable), and the
    session, told to end on it, lets the interrupt through to the CLI's exit 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: Any) -> None:
        session.ends_on_interrupt = True
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def enter_runs(text: str, current_line: str) -> bool:
    """Does Enter run the entry? Yes for a dot-command or a script whose brackets are closed,
    and for anything when Enter lands on a blank line (pressed twice: run it as it is)."""
    stripped = text.strip()
    if not stripped or stripped.startswith(".") or is_complete(text):
        return True
    return not current_line.strip()


_LINE_END = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of piped input, ended as a terminal ends them: at \\n, \\r\\n or a lone \\r.
    str.splitlines also ends one at U+2028, U+2029, NEL, \\v, \\f and \\x1c-\\x1e, which a
    script's string may hold: the entry was cut there, and refused as an unterminated string."""
    lines = _LINE_END.split(text)
    if lines[-1] == "":  # after the last line end (or of no text): no line
        lines.pop()
    return lines


def stdin_lines(what: str) -> Iterator[str]:
    """Standard input a line at a time, each as soon as it has come: a program that writes an
    entry and waits for its answer gets it before it writes the next (read whole, nothing ran
    before the input ended). Lines are split and a byte that is not UTF-8 named (``what``, line
    and column) as :func:`commands.read_stdin` does for the whole input."""
    # A byte order mark (a file saved by a Windows editor) is skipped, as a script file's is:
    # it made the first entry, `.class Post`, a script ("pick a class first").
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # replaced by a text-only stream (a test, an embedding program)
        for n, text in enumerate(sys.stdin):
            yield from split_lines(text.removeprefix("\ufeff") if n == 0 else text)
        return
    before = 0  # line ends before this line, a lone \r counted as one
    for n, raw in enumerate(iter(buffer.readline, b"")):
        if n == 0:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise piped_not_utf8(what, raw, exc, before) from None
        before += text.replace("\r\n", "\n").replace("\r", "\n").count("\n")
        yield from split_lines(text)


def entries(text: str | Iterable[str]) -> Iterator[str]:
    """Split piped input (its text, or its lines) as the prompt would: a dot-command per line,
    a script until complete."""
    pending: list[str] = []
    for line in split_lines(text) if isinstance(text, str) else text:
        if not pending and not line.strip():
            continue
        if not pending and line.strip().startswith("."):
            yield line
            continue
        pending.append(line)
        joined = "\n".join(pending)
        if enter_runs(joined, line):
            yield joined
            pending = []
    if pending:
        yield "\n".join(pending)


def run_batch(session: Session, text: str | Iterable[str]) -> None:
    for entry in entries(text):
        try:
            session.handle(entry)
        except (Quit, EOFError):
            return


def make_prompt(session: Session) -> Any:
    """A PromptSession: highlighting, completion, history, Enter that waits for closed brackets."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
    from prompt_toolkit.completion import Completer, Completion, PathCompleter
    from prompt_toolkit.document import Document
    from prompt_toolkit.history import FileHistory, History, InMemoryHistory
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.lexers import PygmentsLexer

    from querylang.app.highlighting import FilterScriptLexer

    class ReplCompleter(Completer):
        paths = PathCompleter(expanduser=True)

        def get_completions(self, document: Document, complete_event: Any) -> Iterator[Completion]:
            text = document.text_before_cursor
            if text.lstrip().startswith(".load "):
                arg = text.lstrip()[len(".load ") :]
                yield from self.paths.get_completions(Document(arg, len(arg)), complete_event)
                return
            for cand, word, meta in completions(session, text):
                yield Completion(cand, start_position=-len(word), display_meta=meta)

    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: Any) -> None:
        buf = event.current_buffer
        text = buf.document.text
        if buf.complete_state is not None and buf.complete_state.current_completion is not None:
            # Enter takes the highlighted completion; a dot-command then runs, as in a shell,
            # while a script is usually mid-expression and stays open for more typing.
            buf.complete_state = None
            if not text.lstrip().startswith("."):
                return
        if enter_runs(text, buf.document.current_line):
            buf.validate_and_handle()
        else:
            buf.insert_text("\n")

    @bindings.add("escape", "enter")
    def _newline(event: Any) -> None:
        event.current_buffer.insert_text("\n")

    class KeptHistory(FileHistory):
        """A FileHistory that goes on in memory once its file cannot be written (its folder
        removed, a full disk): prompt_toolkit would print a traceback at every Enter."""

        def store_string(self, string: str) -> None:
            with contextlib.suppress(OSError):
                super().store_string(string)

    history: History
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8"):
            pass
        history = KeptHistory(str(path))
    except OSError:
        history = InMemoryHistory()

    def continuation(width: int, line_number: int, is_soft_wrap: int) -> str:
        return "." * (width - 2) + ": " if width > 2 else ""

    return PromptSession(
        history=history,
        lexer=PygmentsLexer(FilterScriptLexer),
        completer=ReplCompleter(),
        complete_while_typing=True,
        auto_suggest=AutoSuggestFromHistory(),
        key_bindings=bindings,
        multiline=True,
        prompt_continuation=continuation,
        enable_history_search=False,
    )

"""How the ``querylang`` command ends: every subcommand's exception turned into an exit status
and one message on stderr, in one place.

Exit status: 0 success, 2 a user error (bad script, unknown class, bad file: the message, with
the caret view for scripts, goes to stderr), 1 an internal fault, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import codecs
import errno
import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from querylang.app.commands import closed_stdout
from querylang.app.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USER
from querylang.app.render import visible
from querylang.errors import EngineError, LoadedThenInterrupted, QueryError, os_reason

DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
GIVEN = "querylang.args"  # the command line's arguments, kept in the group context's meta


class QueryLangGroup(click.Group):
    """Turns every exception of a subcommand into an exit status and one message on stderr."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        # Click catches a Ctrl-C or an end of input itself where invoke does not see it (while
        # the group's arguments are parsed, at a prompt, as the command's context closes) and
        # says "Aborted!" with exit 1: said here as every other interrupt is.
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            try:
                code = super().main(args, prog_name, complete_var, False, **extra)
            except click.ClickException as err:
                err.show()
                code = err.exit_code
            except click.Abort:
                click.echo("interrupted", err=True)
                code = EXIT_INTERRUPTED
        except KeyboardInterrupt:  # while one of those was said
            code = EXIT_INTERRUPTED
        # Without standalone mode Click returns what the command returned (None: success) or
        # the code of its exit.
        sys.exit(code if isinstance(code, int) else 0)

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        # The group's own --help and --version print while its arguments are parsed, before
        # invoke: click made a reader that went away exit 1 and a full disk a traceback, and
        # printed them to a closed stdout with exit 0.
        if sys.stdout is None and parent is None and args[:1] in (["--help"], ["-h"], ["--version"]):
            try:
                closed_stdout(needed=True)
            except QueryError as err:
                report_error(err)
                raise click.exceptions.Exit(EXIT_USER) from None
        given = list(args)
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except click.NoSuchOption as err:
            if parent is not None:
                raise
            raise _placed(err, self, given, "") from None
        except BrokenPipeError:
            _drop_stdout()
            raise click.exceptions.Exit(0) from None
        except OSError as err:
            if err.filename is None and err.errno in DISK_FULL:
                _drop_stdout()
                report_error(QueryError(f"cannot write the output (standard output): {err.strerror or err}"))
                raise click.exceptions.Exit(EXIT_USER) from None
            raise
        if parent is None:
            ctx.meta[GIVEN] = given
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.NoSuchOption as err:
            # A command's option before the name of a group's command ('querylang import --db
            # F mongo DIR'): the group's own parse refused it, as the top level's does above.
            sub = err.ctx
            if sub is not None and (words := _same_job(sub.command, err.option_name)):
                raise click.NoSuchOption(err.option_name, f"No such option '{err.option_name}': "
                                         f"'{sub.info_name}' {words}.", None, sub) from None
            if sub is None or not isinstance(sub.command, click.Group) or sub.command is self:
                raise
            raise _placed(err, sub.command, ctx.meta.get(GIVEN, ()), f"{sub.info_name} ") from None
        except (click.UsageError, click.exceptions.Exit, click.Abort):
            raise
        except click.ClickException as err:
            # serve's refusals (a port in use, an empty --app-id) printed click's "Error: …":
            # said as every other command's error is; a usage error keeps click's usage lines.
            report_error(QueryError(err.format_message()))
            ctx.exit(err.exit_code)
        except EngineError as err:  # the database failed on a checked query: a fault
            report_error(err)
            ctx.exit(EXIT_INTERNAL)
        except QueryError as err:  # DataError too: every user error is a QueryError
            report_error(err)
            ctx.exit(EXIT_USER)
        except KeyboardInterrupt as err:
            # One after a load's commit says the data is kept (write_into): "interrupted" alone
            # read as a load that failed, to be run again.
            click.echo(str(err) if isinstance(err, LoadedThenInterrupted) else "interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python from complaining
            # about the closed stdout at exit.
            _drop_stdout()
            ctx.exit(0)
        except Exception as err:
            if isinstance(err, UnicodeEncodeError) and _stdout_encoding(err.encoding):
                # A locale without UTF-8 (LC_ALL=C, PYTHONIOENCODING=ascii) and records that hold
                # what it cannot: no format would keep them exact, so nothing is made up.
                char = err.object[err.start : err.end] if isinstance(err.object, str) else ""
                report_error(QueryError(
                    f"cannot write the output (standard output): its encoding, {sys.stdout.encoding}, "
                    f"cannot hold {char!r}; set PYTHONIOENCODING=utf-8, or a UTF-8 locale (e.g. LC_ALL=C.UTF-8)"
                ))  # fmt: skip
                ctx.exit(EXIT_USER)
            if isinstance(err, OSError) and os_reason(err) is not None and _given(err.filename, ctx.meta.get(GIVEN, ())):
                # A path the user gave (or a file in a folder they gave) that the system refused
                # where no reader of it said so (a name too long, a loop of links): theirs, not a
                # fault. Any other path (a file of the package, an engine's temporary file) is
                # the program's fault, said as one.
                report_error(QueryError(f"{err.filename}: {os_reason(err)}"))
                ctx.exit(EXIT_USER)
            if os.environ.get("QUERYLANG_DEBUG"):
                raise
            if isinstance(err, OSError) and err.filename is None and err.errno in DISK_FULL:
                # Output to a full disk (`> out.csv`, /dev/full): the environment's fault. The
                # files a command writes itself name themselves (an import's staging folder).
                _drop_stdout()
                report_error(QueryError(f"cannot write the output (standard output): {err.strerror or err}"))
                ctx.exit(EXIT_USER)
            click.echo(
                f"internal error: {type(err).__name__}: {err} (set QUERYLANG_DEBUG=1 for the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


# An option's name in another command, in Parse or in a script, and what this command does the
# same job with: (given, this command's option or argument, the words naming it). Click guessed
# by spelling: find's '--sort' was "one of: '--count', '--format', '--order'", '--where' "'--help'".
SAME_JOB = (
    ("--sort", "--order", "sorts with --order (Parse's name), e.g. --order -createdAt"),
    ("--order", "--sort", "sorts with --sort, e.g. --sort -createdAt"),
    ("--select", "--keys", "picks fields with --keys (Parse's name), e.g. --keys title,score"),
    ("--keys", "--select", "picks fields with --select, e.g. --select title,score"),
    ("--where", "where", """takes the where as its WHERE_JSON argument, after CLASS, e.g. '{"score": {"$gt": 5}}'"""),
    ("--where", "script", "takes the filter as its SCRIPT argument, after CLASS, e.g. 'where({ score: { greaterThan: 5 } })'"),
)


def _same_job(command: click.Command, option: str) -> str | None:
    """What ``command`` does the job of the unknown ``option`` with, in words (None: nothing)."""
    flag = option.partition("=")[0]
    for given, has, words in SAME_JOB:
        if given == flag and any(has in p.opts if isinstance(p, click.Option) else has == p.name
                                 for p in command.params):
            return words
    return None


def _given(filename: Any, args: Sequence[str]) -> bool:
    """Whether ``filename`` is a path among the command line's ``args`` (as a value, @FILE or
    --option=VALUE, a leading ~ the home folder, as the commands read them) or inside one."""
    if not isinstance(filename, (str, bytes)) or not filename:
        return False
    path = os.path.abspath(os.fsdecode(filename))
    for arg in args:
        if arg.startswith("-") and "=" in arg:
            arg = arg.split("=", 1)[1]
        arg = arg.removeprefix("@")
        if arg in ("", "-"):
            continue
        given = os.path.abspath(os.path.expanduser(arg))
        # A root given ('/') holds every path: only itself is the user's.
        if path == given or (os.path.dirname(given) != given and path.startswith(given + os.sep)):
            return True
    return False


def _stdout_encoding(encoding: str) -> bool:
    """Whether ``encoding`` is standard output's."""
    try:
        return codecs.lookup(encoding).name == codecs.lookup(sys.stdout.encoding or "utf-8").name
    except LookupError:
        return False


def _drop_stdout() -> None:
    """Send what is left of standard output nowhere, so that Python's own flush at exit does
    not complain about it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def report_error(err: QueryError) -> None:
    # Never re-wrapped to the terminal width: the caret must stay under its column.
    # Its values shown, not obeyed: an id or a script may hold a terminal's control characters.
    click.echo(click.style("error: ", fg="red", bold=True) + visible(str(err)), err=True)


def _placed(err: click.NoSuchOption, group: click.Group, given: Sequence[str], path: str) -> click.NoSuchOption:
    """``err`` with what to say of a command's option given before the command's name
    (``querylang --db blog.duckdb query ...``): click said only "No such option '--db'",
    which the command's --help lists. ``path``: the group's own words before its commands'
    names ('import ')."""
    hint = _placed_after(group, err.option_name, given, path)
    return click.NoSuchOption(err.option_name, err.message + hint, err.possibilities, err.ctx) if hint else err


def _placed_after(group: click.Group, option: str, given: Sequence[str], path: str) -> str:
    at = next((i for i, a in enumerate(given) if a in group.commands), None)
    if at is None:
        return ""
    name, command = path + given[at], group.commands[given[at]]
    if isinstance(command, click.Group) and given[at + 1 : at + 2] and given[at + 1] in command.commands:
        name, command = f"{name} {given[at + 1]}", command.commands[given[at + 1]]  # import mongo
    flag = option.partition("=")[0]
    if not any(flag in (*p.opts, *p.secondary_opts) for p in command.params):
        return ""
    return f" {flag} is an option of '{name}': give it after the command's name (querylang {name} ... {flag} ...)"

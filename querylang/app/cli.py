"""The ``querylang`` command: the group, and one click command per subcommand (the reading ones
in ``read_commands.py``, the writing and setting-up ones in ``other_commands.py``, import and
serve in their own parts); errors are handled in one place, ``group.py``.

Exit status: 0 success, 2 a user error (bad script, unknown class, bad file: the message, with
the caret view for scripts, goes to stderr), 1 an internal fault, 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

import click

from querylang import __version__
from querylang.app.commands import closed_stdout
from querylang.app.exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USER
from querylang.app.group import QueryLangGroup
from querylang.app.other_commands import bench, demo, doctor, load, repl
from querylang.app.read_commands import compile_cmd, find, query, relation, schema, show
from querylang.importers.command import import_group
from querylang.server.command import serve

__all__ = ["EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_USER", "QueryLangGroup", "main"]

# What these commands print on stdout is a summary or a banner, which a command started with
# stdout closed (a service, a cron job) goes without; every other command's output is its point.
OUTPUT_OPTIONAL = ("load", "import", "serve")


@click.group(cls=QueryLangGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="querylang")
def main() -> None:
    """querylang: Noodl / Parse record queries, compiled to SQL over DuckDB or PostgreSQL.

    A query is a filter script, as in Noodl's Query Records node:

    \b
      querylang query Post "where({ score: { greaterThan: 5 } })"
      querylang query Comment "where({ Owner: { pointsTo: Inputs.Post } })" -i Post=p015

    Records come from --db FILE.duckdb (made by 'querylang load'), from --db
    postgresql://user@host:port/dbname (a PostgreSQL database), from --data FILE.json (an
    interchange file or directory, loaded into memory) or, with neither, from the bundled sample dataset
    (User, Post, Comment, Group) in memory, so every command works out of the box.

    Exit status: 0 success, 2 user error (bad script, unknown class, bad file; a PostgreSQL
    server that cannot be reached or stops answering, a permission the role lacks, a statement
    timeout; message on stderr), 1 internal error, 130 interrupted (Ctrl-C or SIGTERM; serve
    ends by SIGTERM itself).
    """
    if not os.environ.get("QUERYLANG_DEBUG"):
        # The connection pool logs each connection it drops when a server goes away, and
        # psycopg a COPY it could not end when the connection is lost; the command already
        # says what failed, once, so their lines are noise on stderr.
        logging.getLogger("psycopg").setLevel(logging.CRITICAL)
    ctx = click.get_current_context()
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        closed_stdout(needed=ctx.invoked_subcommand not in OUTPUT_OPTIONAL)
    if threading.current_thread() is threading.main_thread():
        # SIGTERM (a CI job cancelled, `kill`) ends a command as Ctrl-C does, through the same
        # clean-up: a half-made database file or an import's staging folder is removed.
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        ctx.call_on_close(lambda: signal.signal(signal.SIGTERM, previous))


for command in (query, find, compile_cmd, load, schema, show, relation, repl, doctor, demo, bench, import_group, serve):
    main.add_command(command)

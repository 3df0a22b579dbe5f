"""The ``querylang`` console script: Ctrl-C and SIGTERM handled from the first moment.

The command's modules take most of a second to import (the engines, the script grammar), and
until ``cli.main`` runs nothing caught a Ctrl-C there: it printed a KeyboardInterrupt traceback
and the process died by the signal, and SIGTERM ended it by the signal, where every command
says "interrupted" and exits with 130. This module imports nothing of querylang's but the
package (whose names load on first use) until the interrupt can be caught.
"""

from __future__ import annotations

import signal
import sys

from querylang.app.exits import (
    EXIT_INTERRUPTED,  # imports nothing: cli.py is what must not load first
)


def main() -> None:
    # As cli.main does once it runs: SIGTERM ends the start-up as Ctrl-C does. Set back before
    # the command runs, so that the command finds what it found before and sets its own.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        from querylang.app.cli import main as command
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if previous is not None:  # None: set outside Python, and cannot be set back from here
            signal.signal(signal.SIGTERM, previous)
    command()

"""Ctrl-C held off while a load commits or is undone, on either engine: a press meeting those
statements left a load half undone, or a committed load unknown to this process."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

# Told a load's records per class as its COMMIT returns, inside the held-off stretch around it:
# the caller's mark that the load is kept then holds whatever press comes after, where a mark
# set once the load returned left a few statements in which a press read as a load stopped.
OnCommit = Callable[[dict[str, int]], None]


@contextlib.contextmanager
def held_off(pressed: list[int] | None = None) -> Iterator[None]:
    """Ctrl-C (and SIGTERM, which the command line takes for one) held off for the block, a
    load's undoing or its commit: a press, or many, is counted instead of raised at whichever
    statement it met, and raised once the block is done (KeyboardInterrupt); with
    ``pressed``, added to it instead, for the caller to raise what the press means (a load
    committed meanwhile is kept). Cut short so, the undoing left the load's tables in the
    file, its ROLLBACK cut short failed the next BEGIN, and a press just after a COMMIT left
    the process's schema without the load. Only where the press would be raised: in the
    main thread, a signal whose handler raises it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    counted: list[int] = [] if pressed is None else pressed
    held = {sig: signal.signal(sig, lambda signum, frame: counted.append(signum))
            for sig in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(sig) is signal.default_int_handler}
    try:
        yield
    finally:
        for sig, handler in held.items():
            signal.signal(sig, handler)
    if counted and pressed is None:
        raise KeyboardInterrupt

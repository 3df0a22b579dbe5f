"""Edge tables that gain an edge to a missing record, told to the other processes.

A store notes at open which edge tables hold only edges between existing records
(``Schema.clean_joins``), and its relation queries then skip the existence checks. Another
process can make such a table unclean later (an edge to a record that does not exist yet).
So a write that does so sends a notice on DIRTY_CHANNEL in its transaction (delivered at the
commit), and every pooled connection listens. psycopg hands a notice over with the next
result read on that connection; the store drops the table from its clean set, and the query
is planned and run again (api.py, ``Database._planned``). The server passes a notice to a
listening backend by a signal, a moment after the commit: a statement that reaches the
backend within that moment still runs on the old plan (docs/postgres.md states this limit). A
stream is not run again either: its rows are handed over as they are read.
"""

from __future__ import annotations

from typing import Any

DIRTY_CHANNEL = "querylang_dirty"


def send_dirty(con: Any, name: str) -> None:
    """Inside a write's transaction: edge table ``name`` (of this connection's schema) may now
    hold an edge to a missing record."""
    con.execute("SELECT pg_notify(%s, current_schema() || '.' || %s)", [DIRTY_CHANNEL, name])


def listen(con: Any, on_table: Any) -> None:
    """Make a new pooled connection call ``on_table(payload)`` for each notice it receives
    (the payload is ``<schema>.<edge table>``)."""
    con.execute(f"LISTEN {DIRTY_CHANNEL}")
    con.add_notify_handler(lambda n: on_table(n.payload) if n.channel == DIRTY_CHANNEL else None)

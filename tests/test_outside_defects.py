"""Defects found from outside (issue #12): as a new user, by differential fuzzing, under threads.

Each test names the item it pins; the command line's and the REPL's are in test_cli.py and
test_repl.py.
"""

from __future__ import annotations

import threading

import pytest

import querylang
from querylang.app.demo import sample_document


@pytest.fixture(scope="module")
def sample() -> querylang.Database:
    db = querylang.connect()
    db.load(sample_document())
    return db


# --- #12.14: records read as they are used ---------------------------------------------------


def test_stream_gives_the_records_query_gives(sample: querylang.Database) -> None:
    script = "where({ score: { greaterThan: 3 } }); sort(['-score', 'objectId'])"
    assert [r for r in sample.stream("Post", script, batch=3)] == sample.query("Post", script).records
    opts = {"include": "author", "select": ["title", "author.name"], "skip": 2, "limit": 5}
    assert list(sample.stream("Post", script, batch=2, **opts)) == sample.query("Post", script, **opts).records
    assert list(sample.stream("Post", script, limit=0)) == []


def test_a_stream_is_stopped_by_its_cancel_event(sample: querylang.Database) -> None:
    cancel = threading.Event()
    records = sample.stream("Comment", "where({})", batch=10, cancel=cancel)
    assert next(records)["objectId"] == "c001"
    cancel.set()
    with pytest.raises(querylang.QueryCancelled):
        list(records)

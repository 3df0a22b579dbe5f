"""Parse Server's own PostgreSQL tables queried in place (connect(url, layout="parse")), on the
importer tests' live server (conftest.py): every write is refused, sessions are
read-only, and a database that is not Parse's, or Parse's without the parse layout, is refused
untouched."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import CliRunner

import querylang
from querylang.errors import DataError, QueryError

from . import in_place_setup
from .conftest import LiveParse
from .conftest import cli_main as main

in_place = in_place_setup.in_place


WRITES = [
    ("create", ("Post", {"title": "x"})),
    ("save", ("Post", "p001", {"title": "x"})),
    ("delete", ("Post", "p001")),
    ("increment", ("Post", "p001", {"score": 1})),
    ("add_relation", ("Group", "g1", "posts", "p001")),
    ("remove_relation", ("Group", "g1", "posts", "p006")),
    ("define_class", ("Fresh", {"a": {"type": "String"}})),
    ("add_field", ("Post", "fresh", "String")),
    ("load", ({"classes": {"Fresh": {"fields": {}}}, "records": {"Fresh": [{"objectId": "f1"}]}},)),
]


@pytest.mark.parametrize(("method", "args"), WRITES, ids=[m for m, _ in WRITES])
def test_writes_are_refused(method: str, args: tuple, in_place: querylang.Database) -> None:
    before = in_place.query("Post", {}, count=True).count, in_place.query("Group", {"posts": {"pointsTo": "p001"}}).ids
    with pytest.raises(QueryError, match="layout='parse', which is read-only"):
        getattr(in_place, method)(*args)
    assert (in_place.query("Post", {}, count=True).count, in_place.query("Group", {"posts": {"pointsTo": "p001"}}).ids) == before


def test_sessions_are_read_only(in_place: querylang.Database) -> None:
    with pytest.raises(QueryError, match="read-only transaction"):
        in_place.store.execute('UPDATE "Post" SET "score" = 0', [])


def test_not_a_parse_database(live_parse: LiveParse) -> None:
    with pytest.raises(DataError, match="no _SCHEMA table"):
        querylang.connect(live_parse.pg.url("postgres"), layout="parse")
    with pytest.raises(QueryError, match="postgresql:// URL"):
        querylang.connect(":memory:", layout="parse")


def test_parse_tables_without_the_parse_layout_are_refused_untouched(live_parse: LiveParse) -> None:
    """Connecting to Parse's database without layout='parse' made querylang's schema table in
    Parse's schema, showed 'no classes', and a load then failed on a table of Parse's name. It
    is refused, saying how to read it, and nothing is made there."""

    tables = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    with psycopg.connect(live_parse.pg.uri) as con:
        before = con.execute(tables).fetchone()
    for read_only in (False, True):
        with pytest.raises(DataError, match=r"Parse Server's tables \(_SCHEMA\).*--layout parse"):
            querylang.connect(live_parse.pg.uri, read_only=read_only)
    res = CliRunner().invoke(main, ["schema", "--db", live_parse.pg.uri])
    assert res.exit_code == 2 and "--layout parse" in res.output
    with psycopg.connect(live_parse.pg.uri) as con:
        assert con.execute(tables).fetchone() == before


# --- doctor: the indexes Parse does not create --------------------------------------------------

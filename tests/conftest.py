"""Shared fixtures and the Hypothesis profiles (``HYPOTHESIS_PROFILE=ci|dev|debug``)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Verbosity, settings

import querylang

settings.register_profile(
    "ci",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("debug", max_examples=10, deadline=None, verbosity=Verbosity.verbose)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

HERE = Path(__file__).parent
CONFORMANCE = HERE / "conformance"


@pytest.fixture(scope="session")
def sample_doc() -> dict:
    """The calibration dataset (tests/conformance/dataset.json, see its README)."""
    return json.loads((CONFORMANCE / "dataset.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_db(sample_doc):
    db = querylang.connect()
    db.load(sample_doc)
    return db


@pytest.fixture(scope="session")
def demo_db():
    """The bundled sample dataset (querylang.app.demo), in memory; for tests that only read."""
    from querylang.app.demo import sample_document

    db = querylang.connect()
    db.load(sample_document())
    yield db
    db.close()


@pytest.fixture(scope="session")
def sample_dbs(sample_doc, engine_opener):
    """The calibration dataset on each engine."""
    db = engine_opener()
    db.load(sample_doc)
    return db


# --- engines: every differential test runs on DuckDB and on a real PostgreSQL ------------------


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL server for the session (tests/pg.py): never skipped; without
    PostgreSQL the tests that need it fail saying what to install."""
    from .pg import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_connect(pg_cluster):
    """A function that opens a new, empty database on the test PostgreSQL (its own schema)."""
    from .pg import fresh_database

    return lambda: fresh_database(pg_cluster)


@pytest.fixture()
def pair(pg_cluster):
    """tests/pg.py's DOC loaded on a fresh PostgreSQL database and on DuckDB in memory."""
    from .pg import DOC, fresh_database

    pg = fresh_database(pg_cluster)
    duck = querylang.connect()
    pg.load(DOC)
    duck.load(DOC)
    yield pg, duck
    pg.close()


# PostgreSQL's one refusal where the other engines answer (engines/postgres/server_errors.py UNDERFLOW):
# the property tests accept it, by its message, as the issue allows a QueryError that says why.
PG_REFUSES = "PostgreSQL refuses this query"


def answers(db: querylang.Database, **kw: Any) -> list[dict[str, Any]]:
    """db.query's Posts (sorted by title), asserted equal to db.stream's and db.reference's."""
    got = db.query("Post", sort=["title"], **kw).records
    assert got == list(db.stream("Post", sort=["title"], batch=1, **kw)), kw
    assert got == db.reference("Post", sort=["title"], **kw).records, kw
    return got


# The PostgreSQL runs of the differential properties take a quarter of the profile's examples:
# each example makes a schema and opens a pool on the server.
def pg_examples(n: int | None = None) -> int:
    return max(10, (n or settings.default.max_examples) // 4)


# The properties whose every example loads a wide document and asks a dozen statements take half
# of the profile's examples: at the full count each took over a minute and a half of the ci run,
# pushing the suite past its budget of about 20 minutes on two cores.
def heavy_examples() -> int:
    return max(10, settings.default.max_examples // 2)


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def engine_opener(request):
    """A function that opens a new, empty database on the engine under test."""
    if request.param == "duckdb":
        return lambda: querylang.connect()
    from .pg import fresh_database

    cluster = request.getfixturevalue("pg_cluster")
    return lambda: fresh_database(cluster)


@pytest.fixture
def engine(engine_opener):
    """engine_opener, each database it opened closed after the test: a PostgreSQL database
    left open keeps its pool's connections, and the suite's leftovers used up the server's."""
    opened: list[querylang.Database] = []

    def open_() -> querylang.Database:
        db = engine_opener()
        opened.append(db)
        return db

    yield open_
    for db in opened:
        db.close()

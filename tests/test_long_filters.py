"""Filters of many conditions (up to the limits, filters.MAX_CONDITIONS and plan_cost.MAX_QUERY_COST).

DuckDB's filter pushdown plans one AND of n conditions in time growing with n squared, and
planning cannot be interrupted: 1,000 conditions on one field took seconds, 5,000 about a
minute, past the query timeout. The DuckDB dialect has a long AND written in groups
(Compiler.conjunction, dialect ``and_group``); the answers stay the reference evaluator's,
on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from querylang.engines.duckdb.dialect import DuckDBDialect
from querylang.frontends.filters import MAX_CONDITIONS
from querylang.frontends.plan_cost import MAX_QUERY_COST, PATH_COST

GROUP = DuckDBDialect.and_group
assert GROUP is not None
N = 3 * GROUP + 7


def chains(n: int) -> dict[str, dict[str, Any]]:
    """Filters of ``n`` conditions in the shapes DuckDB planned slowest, and nestings of them."""
    return {
        "ne": {"and": [{"score": {"notEqualTo": i}} for i in range(n)]},
        "nin": {"and": [{"score": {"notContainedIn": [i, i + 0.5]}} for i in range(n)]},
        "in": {"and": [{"score": {"containedIn": [i % 10, (i + 1) % 10, 5, 7]}} for i in range(n)]},
        "exists": {"and": [{"score": {"exists": True}} for _ in range(n)]},
        "paths": {"and": [{f"meta.k{i}": {"notEqualTo": i}} for i in range(n)]},
        "keys": {f"meta.k{i}": {"notEqualTo": i} for i in range(n)},
        "nested": {"and": [{"and": [{"score": {"notEqualTo": i}}, {"title": {"notEqualTo": f"t{i}"}}]}
                           for i in range(n // 2)]},
        "in an or": {"or": [{"and": [{"score": {"notEqualTo": i}} for i in range(n)]}, {"score": {"equalTo": 3}}]},
        "negated": {"nor": [{"and": [{"score": {"notEqualTo": i}} for i in range(n)]}]},
        "inner": {"author": {"matchesQuery": {"and": [{"name": {"notEqualTo": f"x{i}"}} for i in range(n)]}}},
        "or": {"or": [{"score": {"equalTo": i}} for i in range(n)]},
        "text": {"body": {"text": {"search": " ".join(f"-w{i}" for i in range(n)) + " the"}}},
    }


@pytest.mark.parametrize("shape", list(chains(1)))
def test_long_chains_answer_as_the_reference(sample_dbs, shape: str) -> None:
    where = chains(N)[shape]
    assert sample_dbs.query("Post", where).ids == sample_dbs.reference("Post", where).ids
    assert sample_dbs.count("Post", where) == sample_dbs.reference("Post", where, count=True).count


def test_filters_at_the_limit_answer_as_the_reference(sample_db) -> None:
    # Conditions on paths weigh more to plan than other ones (plan_cost.py): as many as fit.
    for shape, n in (("paths", MAX_QUERY_COST // PATH_COST), ("nested", MAX_CONDITIONS // 2), ("negated", MAX_CONDITIONS - 5)):
        where = chains(n)[shape]
        assert sample_db.query("Post", where).ids == sample_db.reference("Post", where).ids, shape
    where = chains(MAX_CONDITIONS - 5)["ne"]
    assert [r["objectId"] for r in sample_db.stream("Post", where, batch=5)] == sample_db.reference("Post", where).ids


def test_only_a_long_and_is_written_in_groups(sample_dbs) -> None:
    """On DuckDB an AND of more than ``and_group`` conditions (those of ANDs inside it
    counted too) is written as groups of at most that many; a shorter one, and any on
    PostgreSQL, as one flat AND."""
    duckdb = sample_dbs.compile("Post", {}).dialect == "DuckDB"
    for shape, groups in (("ne", 4), ("nested", 4)):
        where = sample_dbs.compile("Post", chains(N)[shape]).where_sql
        assert where.count("coalesce((") == (groups if duckdb else 0), shape
    assert "coalesce(" not in sample_dbs.compile("Post", chains(GROUP)["ne"]).where_sql

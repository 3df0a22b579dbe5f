"""Parse REST ``find`` under hostile input: random where JSON, orders, keys and paging.

Whatever arrives, only a QueryError may escape, the answer (when there is one) equals the
reference evaluator's, and the database is unchanged.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.app.demo import sample_document
from querylang.frontends.parse_rest import where_to_filter

HOSTILE = ["x'; DROP TABLE \"Post\"; --", "/*", "\\", "\u202e", "😀", "a" * 300, "$or", "score", "p001"]
KEYS = st.sampled_from(["score", "title", "tags", "Owner", "author", "meta.views", "objectId", "$or",
                        "$and", "$nor", "$relatedTo", "ACL", "x y", "createdAt", "location", "bogus"])
OPS = st.sampled_from(["$eq", "$ne", "$lt", "$gte", "$in", "$nin", "$exists", "$all", "$regex",
                       "$options", "$text", "$inQuery", "$select", "$nearSphere", "$within",
                       "$geoWithin", "$containedBy", "$bogus", "__type"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 20), st.floats(allow_nan=False, allow_infinity=False),
                    st.sampled_from(HOSTILE), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(KEYS, OPS), inner, max_size=3)),
    max_leaves=8,
)
WHERES = st.dictionaries(KEYS, st.one_of(VALUES, st.dictionaries(OPS, VALUES, max_size=3)), max_size=3)


@pytest.fixture(scope="module")
def db() -> querylang.Database:
    d = querylang.connect()
    d.load(sample_document())
    return d


def fingerprint(db: querylang.Database) -> str:
    h = hashlib.sha256()
    for (name,) in db.store.con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        rows = db.store.con.execute(f'SELECT * FROM "{name}" ORDER BY ALL').fetchall()
        h.update(repr((name, rows)).encode())
    return h.hexdigest()


@given(where=WHERES, order=st.one_of(st.none(), st.sampled_from(["-score,title", "bogus", "$score", "-", ""])),
       limit=st.one_of(st.none(), st.integers(-2, 5), st.just("7")), keys=st.one_of(st.none(), st.just("title")))
def test_find_only_raises_query_errors(db, where, order, limit, keys):
    before = fingerprint(db)
    try:
        res = db.find("Post", where, order=order, limit=limit, keys=keys)
    except querylang.QueryError:
        pass
    else:
        lim = 100 if limit is None else int(limit)  # the REST default limit is 100
        ref = db.reference("Post", where_to_filter(where), sort=_sort(order), limit=lim)
        assert res.ids == ref.ids
    assert fingerprint(db) == before


def _sort(order):
    from querylang.frontends.parse_rest import parse_order

    return parse_order(order)

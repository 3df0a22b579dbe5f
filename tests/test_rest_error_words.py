"""find's errors name operators as the where wrote them ($regex, $in, $select ...), never by the
filter object's words (matchesRegex, containedIn, matchesKeyInQuery ...) that no where holds:
the where is read as a filter object, whose checks of types, lists and sub-queries word their
errors in its own vocabulary (frontends/parse_rest.py, as_written)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import querylang
from querylang.app.demo import sample_document
from querylang.errors import QueryError
from querylang.model.operators import DISTANCE_UNITS, FIELD, TOP

# The filter words a where never holds (camelCase; 'all', 'text', 'or' are English words too).
WORDS = sorted({op.name for op in (*FIELD, *TOP) if re.search("[A-Z]", op.name)} | set(DISTANCE_UNITS))
# A word on its own: not after a $ (the where's own key) and not inside a quoted name.
WORD_RE = re.compile(r"(?<![\w$])(" + "|".join(WORDS) + r")(?!\w)")

G = {"__type": "GeoPoint", "latitude": 1, "longitude": 2}
D = {"__type": "Date", "iso": "2024-01-01T00:00:00.000Z"}
VALUES = st.sampled_from([1, -1, "a", True, None, [1], ["a", "b"], [], {"a": 1}, G, D, {"__type": "Date", "iso": "x"},
                          {"__type": "Pointer", "className": "User", "objectId": "u01"}, "p01"])
CONSTRAINTS = st.one_of(
    st.tuples(st.sampled_from(["$eq", "$ne", "$lt", "$lte", "$gt", "$gte", "$in", "$nin", "$all", "$containedBy",
                               "$exists", "$regex"]), VALUES),
    st.tuples(st.just("$text"), st.sampled_from([{"$search": {"$term": "a"}}, {"$search": {"$term": 1}}])),
    st.tuples(st.just("$nearSphere"), st.sampled_from([G, 5, {"latitude": 100, "longitude": 0}])),
    st.tuples(st.just("$within"), st.sampled_from([{"$box": [G, G]}, {"$box": [G]}])),
    st.tuples(st.just("$geoWithin"), st.sampled_from([{"$polygon": [G, G, G]}, {"$centerSphere": [[1, 2], 0.1]}])),
    st.tuples(st.just("$geoIntersects"), st.sampled_from([{"$point": G}, 5])),
)
FIELDS = {"Post": ["title", "score", "tags", "meta", "meta.a", "author", "author.name", "location", "publishedAt"],
          "User": ["name", "age"], "Group": ["name", "posts", "members"]}
TARGETS = {"author": "User", "posts": "Post", "members": "User"}


def wheres(cls: str, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Wheres of ``cls`` with constraints of every kind on fields of every type, under $or,
    $and, $nor, $inQuery and $select."""
    field = st.sampled_from(FIELDS[cls])
    leaf = st.one_of(st.builds(lambda f, ops: {f: dict(ops)}, field, st.lists(CONSTRAINTS, min_size=1, max_size=2)),
                     st.builds(lambda f, v: {f: v}, field, VALUES))
    if depth == 0:
        return leaf
    sub = wheres(cls, depth - 1)
    kinds = [leaf, leaf] + [st.lists(sub, min_size=1, max_size=2).map(lambda xs, op=op: {op: xs}) for op in ("$or", "$and", "$nor")]
    kinds += [st.builds(lambda op, w, f=f, t=t: {f: {op: {"className": t, "where": w}}},
                        st.sampled_from(["$inQuery", "$notInQuery"]), wheres(t, depth - 1))
              for f, t in TARGETS.items() if f in FIELDS[cls]]
    kinds.append(st.builds(lambda op, key, w: {FIELDS[cls][0]: {op: {"query": {"className": "User", "where": w}, "key": key}}},
                           st.sampled_from(["$select", "$dontSelect"]), st.sampled_from(["name", "age"]), wheres("User", depth - 1)))
    return st.one_of(*kinds)


@pytest.fixture(scope="module")
def db():
    database = querylang.connect()
    database.load(sample_document())
    yield database
    database.close()


@given(case=st.sampled_from(["Post", "Group"]).flatmap(lambda cls: st.tuples(st.just(cls), wheres(cls, 2))))
def test_find_errors_hold_no_filter_word(db, case):
    cls, where = case
    try:
        db.find(cls, where, limit=1)
    except QueryError as exc:
        unquoted = re.sub(r"'[^']*'", "''", exc.message)  # a field may be named as a word
        assert WORD_RE.search(unquoted) is None, f"{where!r}: {exc.message}"


@pytest.mark.parametrize(("cls", "where", "says"), [
    ("Post", {"location": G}, "$eq is not available on GeoPoint field 'location' (use exists)"),
    ("Group", {"posts": True}, "'posts': $eq needs an objectId string, got boolean"),
    ("Group", {"posts": {"$eq": 5}}, "'posts': $eq needs an objectId string, got number"),
])
def test_an_equality_is_named_eq(db, cls, where, says):
    """A plain value is Parse's $eq, as {$eq: v} is: an error that names the operator says $eq."""
    with pytest.raises(QueryError) as info:
        db.find(cls, where)
    assert info.value.message == says

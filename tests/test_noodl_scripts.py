"""Scripts and filters as Noodl users write them for the Query Records node.

Each test takes a construct Noodl's runtime accepts (its filter conversion, its visual filter)
and checks that querylang gives it the meaning docs/semantics.md promises, on DuckDB and in the
reference evaluator, or refuses it with an error that names the place.
"""

from __future__ import annotations

import pytest

import querylang
from querylang.errors import QueryError


@pytest.fixture(scope="module")
def db(demo_db):
    return demo_db


def both(db, cls, query, **kw):
    """The ids DuckDB answers, checked equal to the reference evaluator's."""
    ids = db.query(cls, query, **kw).ids
    assert db.reference(cls, query, **kw).ids == ids
    return ids


NEAR = "where({ location: { nearSphere: { latitude: 40, longitude: -100, %s: %s } } })"


@pytest.mark.parametrize("miles", [300, 1000])
def test_noodls_dollar_miles_key_bounds_the_distance_in_miles(db, miles):
    # Noodl reads a nearSphere's miles from `$maxDistanceInMiles` (and ignores the documented
    # key), so a script that bounds a distance in miles on Noodl is written with the dollar.
    dollar = both(db, "Post", NEAR % ("$maxDistanceInMiles", miles))
    assert dollar == both(db, "Post", NEAR % ("maxDistanceInMiles", miles))
    unbounded = both(db, "Post", "where({ location: { nearSphere: { latitude: 40, longitude: -100 } } })")
    assert 0 < len(dollar) < len(unbounded)


def test_noodls_dollar_miles_key_goes_to_parse_as_parse_reads_it(db):
    where = querylang.to_parse_where(NEAR % ("$maxDistanceInMiles", 5), schema=db.schema, class_name="Post")
    assert where["location"]["$maxDistanceInMiles"] == 5


def test_both_miles_keys_are_two_distances(db):
    script = "where({ location: { nearSphere: { latitude: 40, longitude: -100, maxDistanceInMiles: 5, $maxDistanceInMiles: 5 } } })"
    with pytest.raises(QueryError, match="one of"):
        db.query("Post", script)


STRICT_INSIDE = [
    # an undefined inside an operand changed the condition with no word in strict mode
    "where({ tags: [Inputs.Tag] })",  # compared with [] instead
    "where({ tags: { equalTo: [Inputs.Tag, 'a'] } })",
    "where({ meta: { equalTo: { lang: Inputs.Lang } } })",
    "where({ tags: { containedIn: [[Inputs.Tag]] } })",
    "where({ location: { nearSphere: { latitude: 40, longitude: -100, maxDistanceInKilometers: Inputs.Km } } })",
    "where({ title: { matchesRegex: 'a', options: Inputs.Options } })",
    "where({ title: { text: { search: { term: 'graph', caseSensitive: Inputs.Exact } } } })",
    "where({ relatedTo: { id: 'g2', key: 'posts', className: Inputs.Owner } })",
]


@pytest.mark.parametrize("script", STRICT_INSIDE)
def test_strict_mode_refuses_an_undefined_inside_an_operand(db, script):
    with pytest.raises(QueryError, match="strict mode: undefined inputs are errors"):
        db.query("Post", script, strict=True)
    both(db, "Post", script)  # without strict it is left out, as JSON leaves it out


@pytest.mark.parametrize(
    "script",
    [
        "where({ tags: { all: [Inputs.Tag, 'a'] } })",
        "where({ title: { text: { search: Inputs.Term } } })",
        "where({ and: [Inputs.Filter, { score: { greaterThan: 1 } }] })",
    ],
)
def test_strict_mode_still_skips_what_the_docs_say_it_skips(db, script):
    assert db.query("Post", script, strict=True).ids == db.query("Post", script).ids


def test_strict_mode_refuses_an_undefined_sort_key(db):
    # sort([Inputs.Order]) without the input sorted by nothing, strict or not.
    script = "sort(['-score', Inputs.Order])"
    with pytest.raises(QueryError, match="a key of sort is undefined"):
        db.query("Post", script, strict=True)
    assert both(db, "Post", script) == both(db, "Post", "sort(['-score'])")

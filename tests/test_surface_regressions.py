"""The language surface (tests/surface.py's dataset): engine bugs these tests found, fixed; kept as
regression tests."""

from __future__ import annotations

import copy

import pytest

import querylang
import querylang.frontends.unparse

from . import surface
from .surface import OLD

db = surface.db


# --- engine bugs found by these tests, fixed; kept as regression tests ---


def test_text_word_whose_folded_form_has_a_space():
    db = querylang.connect()
    db.load({"classes": {"T": {"fields": {"s": {"type": "String"}}}},
             "records": {"T": [{"objectId": "t1", "s": "fox\u037abrown"}, {"objectId": "t2", "s": "\ufdfa"}]}})
    for term in ("fox", "brown", '"fox brown"', "\u0627\u0644\u0644\u0647", "foxͺbrown"):
        where = {"s": {"text": {"search": term}}}
        assert db.query("T", where).ids == db.reference("T", where).ids, term


def test_text_search_on_object_id_is_refused(db):
    # objectId has no stored words; text search is for String fields of the class.
    where = {"objectId": {"text": {"search": "p1"}}}
    for engine in (db.query, db.reference):
        with pytest.raises(querylang.QueryTypeError, match="built in"):
            engine("Post", where)


def test_matches_key_compares_numbers_as_stored():
    from querylang.interchange.document import read_dataset

    doc = {"classes": {"A": {"fields": {"n": {"type": "Number"}}}, "B": {"fields": {"m": {"type": "Number"}}}},
           "records": {"A": [{"objectId": "a1", "createdAt": OLD, "n": 2**53 + 1}],
                       "B": [{"objectId": "b1", "createdAt": OLD, "m": 2**53}]}}
    db = querylang.connect()
    db.load(copy.deepcopy(doc))
    data = read_dataset(copy.deepcopy(doc))
    by_key = {"n": {"matchesKeyInQuery": {"key": "m", "className": "B"}}}
    assert db.query("A", by_key).ids == ["a1"]
    assert querylang.evaluate(data, db.build("A", {"n": 2**53})).ids == ["a1"]
    assert querylang.evaluate(data, db.build("A", by_key)).ids == ["a1"]


def test_unparse_keeps_integers_beyond_double_precision(db):
    q = db.build("Post", {"score": 2**53 + 1})
    again = db.build("Post", querylang.frontends.unparse.unparse(q))
    assert again.where == q.where


def test_select_three_levels_includes_two(db):
    (p1,) = db.query("Post", {"idEqualTo": "p1"}, select="owner.city.name").records
    assert p1["owner"]["city"] == {"__type": "Object", "className": "City", "objectId": "c1", "createdAt": OLD,
                                   "updatedAt": OLD, "name": "Paris"}


def test_the_package_reaches_its_submodules_after_a_bare_import() -> None:
    """The package's names load on first use (querylang/__init__.py): `querylang.errors.X`
    right after `import querylang` (README names querylang.errors.DatabaseInUse) found no
    submodule, where the eager imports had loaded it as a side effect. Own process: this one
    has imported everything already."""
    import subprocess
    import sys

    code = ("import querylang; print(querylang.errors.DatabaseInUse.__name__, querylang.Database.__name__); "
            "import importlib; querylang.nope")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.stdout.split() == ["DatabaseInUse", "Database"], res.stderr
    assert "AttributeError: module 'querylang' has no attribute 'nope'" in res.stderr

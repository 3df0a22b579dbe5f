"""Small defects earlier reviews reported and left, each pinned by the case that showed it."""

from __future__ import annotations

import pytest

import querylang
from querylang.app.demo import sample_document


@pytest.fixture(scope="module")
def sample() -> querylang.Database:
    db = querylang.connect()
    db.load(sample_document())
    return db


def test_an_import_given_no_path_says_a_path_is_needed(sample: querylang.Database) -> None:
    # Path(5) and iter(5) raised bare TypeErrors ("'int' object is not iterable").
    for call in (sample.import_dashboard_export, sample.import_mongo_export):
        with pytest.raises(querylang.DataError, match="a path .* is needed, not int 5"):
            call(5)  # type: ignore[arg-type]
    with pytest.raises(querylang.DataError, match="a path .* is needed, not NoneType"):
        sample.import_dashboard_export([None])  # type: ignore[list-item]

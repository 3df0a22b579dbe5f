"""The 30 public calibration cases, checked against Parse Server (see conformance/README.md).

Each case runs through SQL and through the reference evaluator; both must give the expected ids.
"""

from __future__ import annotations

import json

import pytest

from .conftest import CONFORMANCE

CASES = [json.loads(line) for line in (CONFORMANCE / "cases.jsonl").read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case, sample_dbs):
    sample_db = sample_dbs
    kw = dict(inputs=case["inputs"], limit=case["limit"], skip=case["skip"], count=case["count"])
    for engine in (sample_db.query, sample_db.reference):
        res = engine(case["class"], case["script"], **kw)
        if case["ordered"]:
            assert res.ids == case["expected_ids"], engine.__name__
        else:
            assert sorted(res.ids) == sorted(case["expected_ids"]), engine.__name__
        if case["count"]:
            assert res.count == case["expected_count"], engine.__name__

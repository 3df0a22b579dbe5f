"""The weight of a query's conditions (frontends/plan_cost.py): the engine plans the SQL before
the timeout can stop anything, and 5,000 conditions of the costly kinds (paths into Objects,
distances, polygons, ANDs inside an OR) planned for seconds to hours on DuckDB. Just under
MAX_QUERY_COST a filter of each kind is answered as the reference answers it; just over, it
is refused on both engines and in the reference, naming the limit."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import querylang
from querylang import LimitExceeded
from querylang.engines.sql.dialect import Dialect
from querylang.frontends import plan_cost as pc
from querylang.frontends.filters import MAX_CONDITIONS
from querylang.model import nodes as n
from querylang.server.config import ServerConfig
from querylang.server.errors import ParseError
from querylang.server.keys import Access
from querylang.server.rest import Api

B = pc.MAX_QUERY_COST
SAID = re.escape(f"the query's conditions weigh more than {B} to plan")
DOC = {
    "classes": {"P": {"fields": {"m": {"type": "Object"}, "tags": {"type": "Array"}, "x": {"type": "Number"},
                                 "loc": {"type": "GeoPoint"}, "u": {"type": "Pointer", "targetClass": "U"}}},
                "U": {"fields": {"name": {"type": "String"}}}},
    "records": {"P": [{"objectId": "p", "m": {"a": 1}, "tags": ["t"], "x": 1, "loc": {"latitude": 1, "longitude": 1}, "u": "q"},
                      {"objectId": "r", "m": {"a": [2]}, "tags": [], "x": 2}],
                "U": [{"objectId": "q", "name": "n"}]},
}


def ring(k: int, shift: int = 0) -> list[dict[str, float]]:
    """A polygon of ``k`` points around (0, 0), each a little shifted so none repeats."""
    return [{"latitude": 10 * math.sin(2 * math.pi * i / k) + shift / 1000, "longitude": 10 * math.cos(2 * math.pi * i / k)}
            for i in range(k)]


def weight(d: Any, where: dict[str, Any]) -> int:
    return sum(pc.cost(node) for node in n.walk(d.build("P", where).where))


def kinds(d: Any, over: int) -> dict[str, dict[str, Any]]:
    """Filters weighing ``B + over`` (``over`` <= 0: that much under the limit) of each costly
    kind, each true of record p, comparisons on x making up the rest."""
    def filled(items: list[dict[str, Any]]) -> dict[str, Any]:
        rest = B + over - weight(d, {"and": items})
        assert 0 <= rest < MAX_CONDITIONS - len(items)
        return {"and": items + [{"x": {"notEqualTo": 100 + i}} for i in range(rest)]}

    room = B - 100
    short_w = pc.POLYGON_COST + pc.POLYGON_POINT_COST * pc.INLINE_POLYGON
    long_w = pc.POLYGON_COST + (pc.INLINE_POLYGON + 1) // pc.LONG_POLYGON_POINTS
    centre = {"latitude": 0, "longitude": 0}
    return {
        "paths": filled([{f"m.k{i}": {"notEqualTo": i}} for i in range(room // pc.PATH_COST)]),
        "lists": filled([{"tags": {"notContainedIn": [f"t{i}", None]}} for i in range(room // pc.LIST_COST)]),
        "distances": filled([{"loc": {"withinSphere": {"center": centre, "radians": 1 + i / 1e4}}}
                             for i in range(room // pc.DISTANCE_COST)]),
        "short polygons": filled([{"loc": {"withinPolygon": ring(pc.INLINE_POLYGON, i)}} for i in range(room // short_w)]),
        "long polygons": filled([{"loc": {"withinPolygon": ring(pc.INLINE_POLYGON + 1, i)}} for i in range(room // long_w)]),
        "ands in an or": filled([{"or": [{"and": [{"x": {"greaterThan": 1000 + i}}, {"x": {"notEqualTo": i}}]}
                                         for i in range(room // (pc.OR_AND_COST + 2))] + [{"x": 1}]}]),
        "inner queries": filled([{"u": {"matchesQuery": {"name": {"notEqualTo": f"n{i}"}}}} for i in range(100)]),
    }


KINDS = ["paths", "lists", "distances", "short polygons", "long polygons", "ands in an or", "inner queries"]


@pytest.mark.parametrize("kind", KINDS)
def test_just_under_is_answered_just_over_refused(engine, kind: str) -> None:
    d = engine()
    d.load(DOC)
    at = kinds(d, 0)[kind]
    assert d.query("P", at).ids == d.reference("P", at).ids
    assert d.query("P", at).ids  # the filter is true of some record: the answer is not empty by chance
    past = kinds(d, 1)[kind]
    for run in (lambda: d.query("P", past), lambda: d.reference("P", past), lambda: d.count("P", past),
                lambda: d.compile("P", past), lambda: list(d.stream("P", past))):
        with pytest.raises(LimitExceeded, match=SAID) as info:
            run()
        assert info.value.code == 102


def test_refused_where_it_passes_the_limit(engine) -> None:
    """A script's error points at the condition with which the weight passes the limit; Parse's
    where and nodes made by hand (db.run) are weighed as a filter is."""
    d = engine()
    d.load(DOC)
    conds = ", ".join(f"'m.k{i}': {i}" for i in range(B // pc.PATH_COST))
    with pytest.raises(LimitExceeded, match="'x': " + SAID) as info:
        d.query("P", f"where({{ {conds},\n  x: 3 }})")
    assert info.value.line == 2
    with pytest.raises(LimitExceeded, match=SAID):
        d.find("P", {f"m.k{i}": {"$ne": i} for i in range(B // pc.PATH_COST + 1)})
    by_hand = n.Query("P", n.And(tuple(n.Compare(f"m.k{i}", "ne", i) for i in range(B // pc.PATH_COST + 1))))
    for run in (lambda: d.run(by_hand), lambda: d.run_reference(by_hand)):
        with pytest.raises(LimitExceeded, match=SAID):
            run()


def test_short_polygons_are_the_ones_written_out() -> None:
    """The weight of a polygon follows how the SQL compilers write it: point by point up to
    the dialect's long_polygon, bound as lists past it."""
    assert pc.INLINE_POLYGON == Dialect.long_polygon


def test_realistic_queries_weigh_little(sample_dbs) -> None:
    """The conformance cases weigh a hundredth of the limit at most."""
    cases = Path(__file__).parent / "conformance" / "cases.jsonl"
    for line in cases.read_text(encoding="utf-8").splitlines():
        case = json.loads(line)
        q = sample_dbs.build(case["class"], case["script"], inputs=case["inputs"])
        assert sum(pc.cost(node) for node in n.walk(q.where)) <= B // 100, case["id"]


def test_a_client_of_serve_is_refused_too() -> None:
    """Through `querylang serve` any client sends a where: past the limit it is Parse's error
    102 with the limit named, and nothing is planned."""
    db = querylang.connect()
    db.load(DOC)
    api = Api(db, ServerConfig(app_id="app", master_key="master"))
    client = Access(master=False, can_write=False)
    def where(count: int) -> dict[str, str]:
        return {"where": json.dumps({f"m.k{i}": {"$ne": i} for i in range(count)})}

    got, body, _ = api.route("GET", "/classes/P", where(B // pc.PATH_COST), client, "http://x/parse")
    assert got == 200 and [r["objectId"] for r in body["results"]] == ["p", "r"], body
    with pytest.raises(ParseError, match=SAID) as info:
        api.route("GET", "/classes/P", where(B // pc.PATH_COST + 1), client, "http://x/parse")
    assert (info.value.code, info.value.status) == (102, 400)

"""Geo operators at their edges: polygons of many points, on every engine against the
reference evaluator (docs/semantics.md#geo)."""

from __future__ import annotations

import math

DOC = {
    "classes": {"Place": {"fields": {"loc": {"type": "GeoPoint"}}}},
    "records": {"Place": [
        {"objectId": f"p{i:03d}", "loc": {"latitude": i % 80 - 40, "longitude": (i * 7) % 340 - 170}}
        for i in range(200)
    ]},
}


def _circle(points: int) -> list[dict[str, float]]:
    """A polygon of ``points`` vertices on an ellipse around (0, 0)."""
    return [
        {"latitude": 60 * math.sin(2 * math.pi * k / points), "longitude": 120 * math.cos(2 * math.pi * k / points)}
        for k in range(points)
    ]


def test_a_polygon_of_a_thousand_points(engine) -> None:
    """A border of a thousand points (a city's, a country's) is common. DuckDB refused one
    of 984 or more: 'Max expression depth limit of 1000 exceeded', as the ray crossings were
    summed in one chain of additions."""
    where = {"loc": {"withinPolygon": _circle(1200)}}
    with engine() as db:
        db.load(DOC)
        got = db.query("Place", where)
        assert got.ids == db.reference("Place", where).ids
        assert 0 < len(got.ids) < len(DOC["records"]["Place"])

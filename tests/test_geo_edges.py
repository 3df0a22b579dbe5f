"""Geo operators at their edges: polygons of many points, on every engine against the
reference evaluator (docs/semantics.md#geo)."""

from __future__ import annotations

import math

import pytest

import querylang

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


@pytest.mark.parametrize("area", [
    '{"type": "Polygon", "coordinates": [[[0]]]}', '{"type": "Polygon", "coordinates": [5]}',
    '{"type": "Polygon", "coordinates": "x"}', '{"type": "Polygon", "coordinates": [[[0, 0], [1, 1], 7]]}',
])
def test_a_mongo_export_polygon_of_another_shape_names_its_record(tmp_path, area: str) -> None:
    """It stopped the import with 'internal error: IndexError' (or TypeError)."""
    from click.testing import CliRunner

    from querylang.app.cli import main
    from tests.importers.mongo_files import write_export

    root = write_export(tmp_path / "dump")
    with (root / "Post.json").open("a") as fh:
        fh.write(f'{{"_id": "p9", "area": {area}}}\n')
    with pytest.raises(querylang.DataError, match=r"record p9, field area: a Polygon's coordinates must be"):
        querylang.connect().import_mongo_export(root)
    res = CliRunner().invoke(main, ["import", "mongo", str(root), "--db", str(tmp_path / "m.duckdb")])
    assert res.exit_code == 2 and "field area" in res.stderr and "internal error" not in res.stderr

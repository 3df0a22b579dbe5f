"""The geo nodes in SQL (docs/semantics.md#geo), each term written as querylang.features.geo
computes it, so that the engines and the reference evaluator round alike. A part of the
Compiler (compiler.py), which inherits these."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from querylang.engines.sql.dialect import Dialect
from querylang.engines.sql.fragments import FALSE, Sql, join_sql, sum_sql
from querylang.features import geo
from querylang.model import nodes as n


class GeoTerms:
    """withinBox, withinPolygon, polygonContains, nearSphere's distance and its condition."""

    # The Compiler's, which inherits these: named here for the type checker only.
    d: Dialect
    if TYPE_CHECKING:

        def col(self, name: str, part: str = "") -> str: ...

    def distance(self, node: n.NearSphere) -> Sql:
        """Haversine distance in radians, written as geo.haversine computes it."""
        lat, lng = self.col(node.field, ":lat"), self.col(node.field, ":lng")
        s1 = f"sin(radians({lat} - ?) / 2)"
        s2 = f"sin(radians({lng} - ?) / 2)"
        text_ = (
            f"(2 * asin(sqrt(least(1.0, {s1} * {s1} + cos(radians(?)) * cos(radians({lat})) "
            f"* {s2} * {s2}))))"
        )
        p = node
        return Sql(text_, [p.latitude, p.latitude, p.latitude, p.longitude, p.longitude])

    def near(self, node: n.NearSphere) -> Sql:
        present = f"{self.col(node.field, ':lat')} IS NOT NULL"
        if node.max_radians is None:
            return Sql(present)
        d = self.distance(node)
        return Sql(f"({present} AND {d.text} <= ?)", [*d.params, node.max_radians])

    def within_box(self, node: n.WithinBox) -> Sql:
        lat, lng = self.col(node.field, ":lat"), self.col(node.field, ":lng")
        return Sql(
            f"({lat} BETWEEN ? AND ? AND {lng} BETWEEN ? AND ?)",
            [node.south, node.north, node.west, node.east],
        )

    def within_polygon(self, node: n.WithinPolygon) -> Sql:
        """geo.in_polygon in SQL: on an edge, or an odd number of ray crossings."""
        y, x = self.col(node.field, ":lat"), self.col(node.field, ":lng")
        if len(node.points) > self.d.long_polygon:
            return self.within_ring(node, y, x)
        on_edge: list[Sql] = []
        crossings: list[Sql] = []
        for x1, y1, x2, y2 in geo.polygon_edges(node.points):
            dx, dy = x2 - x1, y2 - y1
            on_edge.append(Sql(
                f"(? * ({y} - ?) - ? * ({x} - ?) = 0 AND {x} BETWEEN ? AND ? AND {y} BETWEEN ? AND ?)",
                [dx, y1, dy, x1, min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)],
            ))
            if dy == 0:
                # A horizontal edge is never crossed ((y1 > y) <> (y2 > y) is false, as in
                # geo.in_polygon); leaving it out keeps its division by zero away from engines
                # that raise it.
                continue
            crossings.append(Sql(
                f"CASE WHEN ((? > {y}) <> (? > {y})) AND {x} < ? * ({y} - ?) / ? + ? THEN 1 ELSE 0 END",
                [y1, y2, dx, y1, dy, x1],
            ))
        if crossings:
            total = sum_sql(crossings)
            inside = Sql(f"({total.text} % 2 = 1)", total.params)
        else:
            inside = FALSE
        return Sql(f"({y} IS NOT NULL AND {join_sql(' OR ', [*on_edge, inside], FALSE).text})",
                    [p for part in [*on_edge, inside] for p in part.params])

    def within_ring(self, node: n.WithinPolygon, y: str, x: str) -> Sql:
        """:meth:`within_polygon` for a polygon of many points: the ring bound as two lists and
        its edges looped over as :meth:`polygon_contains` loops over a stored ring. One term
        per edge made the statement grow with the polygon, and DuckDB's planning of it with
        the square of its points (seconds for a few thousand, not stopped by the timeout);
        PostgreSQL refused it past its bind limit. Each term is computed as in geo.in_polygon."""
        lats, lngs = geo.polygon_ring(node.points)
        # Each list is bound where it is named: the markers stand for it until the text is done.
        lat_m, lng_m = "\x00lat\x00", "\x00lng\x00"
        x1, y1, x2, y2 = self.d.ring_edge(lng_m, lat_m)
        on_edge = (
            f"(({x2} - {x1}) * ({y} - {y1}) - ({y2} - {y1}) * ({x} - {x1}) = 0"
            f" AND {x} BETWEEN least({x1}, {x2}) AND greatest({x1}, {x2})"
            f" AND {y} BETWEEN least({y1}, {y2}) AND greatest({y1}, {y2}))"
        )
        crossing = (
            f"CASE WHEN ({y1} > {y}) <> ({y2} > {y}) THEN {x} < ({x2} - {x1}) * ({y} - {y1}) / ({y2} - {y1}) + {x1}"
            " ELSE FALSE END"
        )
        text_ = f"({y} IS NOT NULL AND ({self.d.ring_any(lat_m, on_edge)} OR {self.d.ring_count(lat_m, crossing)} % 2 = 1))"
        listed, params = [], []
        for part in re.split("(\x00lat\x00|\x00lng\x00)", text_):
            if part in (lat_m, lng_m):
                listed.append(self.d.double_list())
                params.append(lats if part == lat_m else lngs)
            else:
                listed.append(part)
        return Sql("".join(listed), params)

    def polygon_contains(self, node: n.PolygonContains) -> Sql:
        """geo.polygon_contains in SQL: over the stored closed ring (``f:lat``, ``f:lng``, edge k
        from point k to k + 1), the point is on an edge or has an odd number of ray crossings;
        each term written as geo.in_polygon computes it. The dialect spells the loop over
        the edges."""
        lat, lng = self.col(node.field, ":lat"), self.col(node.field, ":lng")
        y, x = node.latitude, node.longitude
        x1, y1, x2, y2 = self.d.ring_edge(lng, lat)
        on_edge = Sql(
            f"(({x2} - {x1}) * (? - {y1}) - ({y2} - {y1}) * (? - {x1}) = 0"
            f" AND ? BETWEEN least({x1}, {x2}) AND greatest({x1}, {x2})"
            f" AND ? BETWEEN least({y1}, {y2}) AND greatest({y1}, {y2}))",
            [y, x, x, y],
        )
        # CASE, not AND: the division must not run for a horizontal edge (PostgreSQL raises
        # on a division by zero, and evaluates AND in any order).
        crossing = Sql(
            f"CASE WHEN ({y1} > ?) <> ({y2} > ?) THEN ? < ({x2} - {x1}) * (? - {y1}) / ({y2} - {y1}) + {x1}"
            " ELSE FALSE END",
            [y, y, x, y],
        )
        return Sql(
            f"({lat} IS NOT NULL AND ({self.d.ring_any(lat, on_edge.text)}"
            f" OR {self.d.ring_count(lat, crossing.text)} % 2 = 1))",
            [*on_edge.params, *crossing.params],
        )

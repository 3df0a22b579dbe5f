"""GeoPoint operators (docs/semantics.md#geo): operand checks and the distance/polygon rules.

Distances are great-circle (haversine) on a sphere of radius 6371 km / 3959 miles, as Parse
converts them; ``withinBox`` normalises its corners and includes its bounds; ``withinPolygon``
is planar in (longitude, latitude), boundary included, and so is ``polygonContains`` (a Polygon
field holding a point: Parse's ``$geoIntersects``). ``compile_sql.py`` writes the same
formulas in SQL, operation for operation, so both engines round alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from querylang.errors import INCORRECT_TYPE, INVALID_JSON, QueryError, QueryTypeError
from querylang.model import nodes as n
from querylang.model.jsvalues import UNDEFINED, Pos, type_name
from querylang.model.schema import Field, a_type, check_known_keys
from querylang.model.values import is_number

EARTH_KM = 6371.0
EARTH_MILES = 3959.0
DISTANCE_KEYS = {
    "maxDistanceInRadians": 1.0,
    "maxDistanceInKilometers": EARTH_KM,
    "maxDistanceInMiles": EARTH_MILES,
}
# Noodl's convertFilterOp reads the miles from `$maxDistanceInMiles`, with the dollar, and drops
# `maxDistanceInMiles`: a script whose distance in miles works on Noodl is written with that
# key, so it is the same distance here (docs/semantics.md#geo).
NOODL_MILES = "$maxDistanceInMiles"
NEAR_DISTANCES = {**DISTANCE_KEYS, NOODL_MILES: EARTH_MILES}


def _bad(message: str) -> QueryError:
    return QueryTypeError(message, code=INVALID_JSON)


def point(value: object, what: str) -> tuple[float, float]:
    """(latitude, longitude) from ``{latitude, longitude}`` (Parse GeoPoint objects too)."""
    if isinstance(value, Mapping):
        lat, lng = value.get("latitude"), value.get("longitude")
    else:
        raise _bad(f"{what} needs a GeoPoint {{latitude, longitude}}, got {type_name(value)}")
    if not (is_number(lat) and is_number(lng)):
        raise _bad(f"{what}: latitude and longitude must be numbers")
    lat_f, lng_f = float(lat), float(lng)  # type: ignore[arg-type]
    if not (math.isfinite(lat_f) and math.isfinite(lng_f)):
        raise _bad(f"{what}: latitude and longitude must be finite")
    if not -90.0 <= lat_f <= 90.0:
        raise _bad(f"{what}: latitude {lat_f} is outside [-90, 90]")
    if not -180.0 <= lng_f <= 180.0:
        raise _bad(f"{what}: longitude {lng_f} is outside [-180, 180]")
    return lat_f, lng_f


def distance(value: object, what: str) -> float:
    """A distance: a finite number ≥ 0 (107 naming it by ``what`` otherwise)."""
    if not is_number(value) or not math.isfinite(float(value)) or float(value) < 0:  # type: ignore[arg-type]
        raise _bad(f"{what} must be a finite number ≥ 0")
    return float(value)  # type: ignore[arg-type]


def build_geo(field: Field, op: str, operand: object, pos: Pos | None) -> n.Node:
    """nearSphere / withinBox / withinPolygon / withinSphere / polygonContains → a checked node."""
    if op == "polygonContains":
        if field.type != "Polygon":
            raise QueryTypeError(
                f"polygonContains needs a Polygon field; '{field.name}' is {a_type(field.type)}", code=INCORRECT_TYPE
            )
    elif field.type != "GeoPoint":
        raise QueryTypeError(f"{op} needs a GeoPoint field; '{field.name}' is {a_type(field.type)}", code=INCORRECT_TYPE)
    return geo_node(field.name, op, operand, pos)


def geo_node(name: str, op: str, operand: object, pos: Pos | None) -> n.Node:
    """The node of a geo operator on field ``name``, its operand checked (not the field's type:
    to_parse_where without a schema checks operands with no field to know)."""
    if op == "polygonContains":
        if isinstance(operand, Mapping):
            unknown = set(operand) - {"latitude", "longitude", "__type"}
            if unknown or operand.get("__type", "GeoPoint") != "GeoPoint":
                raise _bad("polygonContains needs a GeoPoint {latitude, longitude}")
        lat, lng = point(operand, "polygonContains")
        return n.PolygonContains(name, lat, lng, pos=pos)
    if op == "nearSphere":
        if not isinstance(operand, Mapping):
            raise _bad(f"nearSphere needs {{latitude, longitude, maxDistanceIn...}}, got {type_name(operand)}")
        check_known_keys(operand, ("latitude", "longitude", "__type", *NEAR_DISTANCES), "nearSphere")
        lat, lng = point(operand, "nearSphere")
        given = [(k, v) for k, v in operand.items() if k in NEAR_DISTANCES and v is not UNDEFINED]
        if len(given) > 1:
            raise QueryError("nearSphere takes one of maxDistanceInMiles, maxDistanceInKilometers, maxDistanceInRadians")
        radians = None
        if given:
            key, v = given[0]
            radians = distance(v, key) / NEAR_DISTANCES[key]
        return n.NearSphere(name, lat, lng, radians, True, pos=pos)
    if op == "withinSphere":
        if not isinstance(operand, Mapping) or "center" not in operand or "radians" not in operand:
            raise _bad("withinSphere needs {center: {latitude, longitude}, radians}")
        lat, lng = point(operand["center"], "withinSphere center")
        return n.NearSphere(name, lat, lng, distance(operand["radians"], "radians"), False, pos=pos)
    if not isinstance(operand, Sequence) or isinstance(operand, str):
        raise _bad(f"{op} needs a list of GeoPoints, got {type_name(operand)}")
    points = [point(p, op) for p in operand]
    if op == "withinBox":
        if len(points) != 2:
            raise _bad("malformatted $within arg: withinBox needs exactly 2 points")
        (la1, ln1), (la2, ln2) = points
        return n.WithinBox(name, min(la1, la2), min(ln1, ln2), max(la1, la2), max(ln1, ln2), pos=pos)
    if len(points) < 3:
        raise _bad("bad $geoWithin value; $polygon should contain at least 3 GeoPoints")
    return n.WithinPolygon(name, tuple(points), pos=pos)


# --- the rules (the reference evaluator uses these; compile_sql mirrors them) ----------------


def haversine(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in radians."""
    s1 = math.sin(math.radians(lat2 - lat1) / 2)
    s2 = math.sin(math.radians(lng2 - lng1) / 2)
    a = s1 * s1 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * s2 * s2
    return 2 * math.asin(math.sqrt(min(1.0, a)))


def polygon_edges(points: Sequence[tuple[float, float]]) -> list[tuple[float, float, float, float]]:
    """Edges as (x1, y1, x2, y2) in the (longitude, latitude) plane, closing the ring."""
    ring = [(lng, lat) for lat, lng in points]
    if ring[0] == ring[-1]:
        ring = ring[:-1]
    return [(*ring[i], *ring[(i + 1) % len(ring)]) for i in range(len(ring))]


def polygon_ring(coordinates: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
    """A stored Polygon's [latitude, longitude] pairs as its closed ring: the latitudes and
    the longitudes, the first point repeated at the end unless it is there already. Edge k
    runs from point k to point k + 1 (the store keeps these lists for polygonContains)."""
    lats = [float(p[0]) for p in coordinates]
    lngs = [float(p[1]) for p in coordinates]
    if (lats[0], lngs[0]) != (lats[-1], lngs[-1]):
        lats.append(lats[0])
        lngs.append(lngs[0])
    return lats, lngs


def polygon_contains(lats: Sequence[float], lngs: Sequence[float], lat: float, lng: float) -> bool:
    """Does the closed ring contain the point? :func:`in_polygon`'s rule over the ring's edges
    (the SQL compiler computes the same terms over the stored lists)."""
    edges = [(lngs[k], lats[k], lngs[k + 1], lats[k + 1]) for k in range(len(lats) - 1)]
    return in_polygon(lat, lng, edges)


def in_polygon(lat: float, lng: float, edges: Sequence[tuple[float, float, float, float]]) -> bool:
    """Even-odd ray casting, with every boundary point counted inside."""
    x, y = lng, lat
    crossings = 0
    for x1, y1, x2, y2 in edges:
        if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) == 0 and min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2):
            return True
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            crossings += 1
    return crossings % 2 == 1

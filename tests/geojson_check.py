"""Checks that a GeoJSON document is what RFC 7946 and the service promise, for any test of
what the service writes (API replies, map pages and files, exports).

``rfc7946_problems`` walks a FeatureCollection (or a Feature, or a bare geometry) and lists
every breach: a "crs" member; a position that is not [lon, lat] in range, or has more than
``MAX_DECIMALS`` decimals; a ring that is open or too short; an exterior ring that is not
counter-clockwise or a hole that is not clockwise (§3.1.6). ``embedded_collections`` finds
the GeoJSON a folium map page carries, so the same checks apply to it.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

MAX_DECIMALS = 7
LISTED = 10  # problems quoted in a failure message


def rfc7946_problems(document: Any) -> list[str]:
    problems: list[str] = []
    _document(document, "$", problems)
    return problems


def assert_rfc7946(document: Any, what: str = "document") -> None:
    problems = rfc7946_problems(document)
    assert not problems, f"{what}: {len(problems)} RFC 7946 problems: " + "; ".join(
        problems[:LISTED]
    )


def positions(document: Any) -> Iterator[list[float]]:
    """Every position of every geometry in ``document``."""
    if isinstance(document, dict):
        if document.get("type") in GEOMETRY_TYPES and "coordinates" in document:
            yield from _positions_in(document["coordinates"])
        for key, value in document.items():
            if key != "coordinates":
                yield from positions(value)
    elif isinstance(document, list):
        for value in document:
            yield from positions(value)


def embedded_collections(html: str) -> list[dict[str, Any]]:
    """The FeatureCollections a folium page passes to its GeoJSON layers."""
    decoder = json.JSONDecoder()
    found = []
    for match in re.finditer(r"geo_json_[0-9a-f]+_add\(", html):
        start = match.end()
        if html[start] != "{":
            continue  # the function's definition, not a call with data
        collection, _ = decoder.raw_decode(html, start)
        found.append(collection)
    return found


GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def _document(document: Any, where: str, problems: list[str]) -> None:
    if not isinstance(document, dict):
        problems.append(f"{where}: not a JSON object")
        return
    if "crs" in document:
        problems.append(f"{where}: has a 'crs' member (RFC 7946 §4: none)")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            problems.append(f"{where}.features: not a list")
            return
        for index, feature in enumerate(features):
            _document(feature, f"{where}.features[{index}]", problems)
    elif kind == "Feature":
        if "geometry" not in document:
            problems.append(f"{where}: a Feature without a 'geometry' member")
        elif document["geometry"] is not None:
            _geometry(document["geometry"], f"{where}.geometry", problems)
        if "properties" not in document:
            problems.append(f"{where}: a Feature without a 'properties' member")
    elif kind in GEOMETRY_TYPES:
        _geometry(document, where, problems)
    else:
        problems.append(f"{where}: unknown type {kind!r}")


def _geometry(geometry: Any, where: str, problems: list[str]) -> None:
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        problems.append(f"{where}: not a geometry")
        return
    if "crs" in geometry:
        problems.append(f"{where}: has a 'crs' member")
    kind = geometry["type"]
    if kind == "GeometryCollection":
        for index, part in enumerate(geometry.get("geometries") or []):
            _geometry(part, f"{where}.geometries[{index}]", problems)
        return
    coordinates: Any = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        problems.append(f"{where}: no coordinates")
        return
    for position in _positions_in(coordinates):
        _position(position, where, problems)
    if kind == "Polygon":
        _polygon(coordinates, where, problems)
    elif kind == "MultiPolygon":
        for index, polygon in enumerate(coordinates):
            _polygon(polygon, f"{where}.coordinates[{index}]", problems)


def _positions_in(coordinates: Any) -> Iterator[list[float]]:
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], int | float):
        yield coordinates
    elif isinstance(coordinates, list):
        for part in coordinates:
            yield from _positions_in(part)


def _position(position: list[float], where: str, problems: list[str]) -> None:
    if len(position) not in (2, 3):
        problems.append(f"{where}: position {position} has {len(position)} numbers")
        return
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(f"{where}: position {position} is not lon/lat in range")
    for number in position:
        if decimals(number) > MAX_DECIMALS:
            problems.append(f"{where}: {number!r} has more than {MAX_DECIMALS} decimals")


def decimals(number: float) -> int:
    """Decimals of the shortest text that reads back as ``number`` (as JSON writers write)."""
    exponent = Decimal(repr(number)).as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _polygon(rings: Any, where: str, problems: list[str]) -> None:
    for index, ring in enumerate(rings):
        place = f"{where} ring {index}"
        if len(ring) < 4 or ring[0] != ring[-1]:
            problems.append(f"{place}: not a closed ring of 4 or more positions")
            continue
        area = signed_area(ring)
        if index == 0 and area <= 0:
            problems.append(f"{place}: exterior ring is not counter-clockwise")
        if index > 0 and area >= 0:
            problems.append(f"{place}: hole is not clockwise")


def signed_area(ring: list[list[float]]) -> float:
    """Twice the shoelace area: positive for a counter-clockwise ring."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in itertools.pairwise(ring))

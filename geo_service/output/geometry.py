"""Geometry as the service writes it. Every GeoJSON it sends or saves (API responses, the
map page and the standalone map file, derived village files) passes through here.

RFC 7946 §3.1.6 asks for exterior rings counter-clockwise and holes clockwise; files in
the wild (and GEOS's own output, such as the Voronoi village areas) often wind the other
way, so every writer orients on the way out rather than trusting the store.

Coordinates are rounded to ``COORDINATE_DECIMALS`` = 7 decimals (about 1 cm). Six would
be 10 cm, still finer than any village boundary, but rounding is point by point: at 1 cm
no narrow part of a valid boundary collapses or crosses itself, so a downloaded polygon
stays as valid as the stored one, while the 12–15 decimals of projected or derived
coordinates (and their bytes) go. Rounding first and orienting after means the winding
is that of the coordinates actually written.

A map draws geometry simplified for its view (``display_geometries``): one village
surveyed to a million vertices must not make the page heavy. API downloads keep every
vertex.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

COORDINATE_DECIMALS = 7
# Display detail: the simplification tolerance is the larger side of the view over this,
# about a quarter of a pixel on a 1,000-pixel map when the page opens.
DISPLAY_DETAIL = 4000
# However detailed a feature is, the map draws at most about this many of its vertices
# (a feature over it is simplified harder, until it fits).
DISPLAY_VERTEX_LIMIT = 5000
METRES_PER_DEGREE = 111_320.0  # of latitude, and of longitude at the equator


def rfc7946_geometries(geometries: ArrayLike) -> NDArray[np.object_]:
    """``geometries`` rounded to ``COORDINATE_DECIMALS`` and wound as RFC 7946 asks:
    exterior rings counter-clockwise, holes clockwise. Missing geometries stay missing."""
    values = np.asarray(geometries, dtype=object)
    rounded = shapely.transform(values, _rounded, include_z=None)
    oriented: NDArray[np.object_] = shapely.orient_polygons(rounded, exterior_cw=False)
    return oriented


def geojson_texts(geometries: ArrayLike) -> list[str | None]:
    """The RFC 7946 GeoJSON text of each geometry (None where there is none)."""
    texts: list[str | None] = list(shapely.to_geojson(rfc7946_geometries(geometries)))
    return texts


def geojson_text(geometry: shapely.Geometry) -> str:
    """The RFC 7946 GeoJSON text of one geometry."""
    text: str = shapely.to_geojson(rfc7946_geometries([geometry])[0])
    return text


def display_tolerance(bounds: tuple[float, float, float, float] | None) -> float:
    """Simplification tolerance in degrees for a view of ``bounds`` (west, south, east,
    north in lon/lat): ``1 / DISPLAY_DETAIL`` of the view's larger side, measured in
    metres (a degree of longitude is shorter than one of latitude away from the equator),
    and given back in degrees of latitude, so it is never coarser than that east–west."""
    if bounds is None:
        return 0.0
    west, south, east, north = bounds
    middle = math.radians((south + north) / 2)
    width = (east - west) * METRES_PER_DEGREE * math.cos(middle)
    height = (north - south) * METRES_PER_DEGREE
    return max(width, height) / DISPLAY_DETAIL / METRES_PER_DEGREE


def display_geometries(geometries: ArrayLike, tolerance: float) -> NDArray[np.object_]:
    """``geometries`` simplified for drawing: by ``tolerance`` degrees, each kept valid
    (GEOS's topology-preserving simplifier: rings neither cross nor vanish), and a feature
    still over ``DISPLAY_VERTEX_LIMIT`` vertices simplified with a doubled tolerance until
    it is not.

    Neighbours are simplified one by one, so a shared border may part by up to
    ``tolerance`` (a quarter of a pixel as the page opens). ``shapely.coverage_simplify``
    keeps shared borders, but on a large, detailed village it keeps far more vertices and
    takes longer, so it is not used.
    """
    values = np.asarray(geometries, dtype=object)
    if tolerance > 0:
        simplified = shapely.simplify(values, tolerance, preserve_topology=True)
    else:  # no view to suit: only a feature over the limit is simplified, from 1 cm up
        simplified, tolerance = values.copy(), 10.0**-COORDINATE_DECIMALS
    over = shapely.get_num_coordinates(simplified) > DISPLAY_VERTEX_LIMIT
    while over.any():
        tolerance *= 2
        simplified[over] = shapely.simplify(values[over], tolerance, preserve_topology=True)
        over &= shapely.get_num_coordinates(simplified) > DISPLAY_VERTEX_LIMIT
    return simplified


def _rounded(coordinates: NDArray[np.float64]) -> NDArray[np.float64]:
    rounded: NDArray[np.float64] = np.round(coordinates, COORDINATE_DECIMALS)
    return rounded

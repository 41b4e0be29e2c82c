"""Mapbox Vector Tiles (MVT) on the Web Mercator XYZ grid: geometry in, tile bytes out.

The grid is morecantile's ``WebMercatorQuad`` (EPSG:3857, the XYZ scheme of web maps, y
counted from the north). A tile's features are drawn in its own coordinates: 4096 units
(``EXTENT``) across, y down, as the MVT specification (2.1, §4.3) lays them out.

Each geometry, given in EPSG:4326, is
- projected to Web Mercator and placed in the tile's coordinates,
- clipped to the tile grown by ``BUFFER_UNITS`` on every side, so that no clipping edge
  is drawn inside the tile's own stroke (and a province seen at a high zoom is cut
  before anything else is done to it);
- simplified by ``SIMPLIFY_UNITS`` tile units (one pixel of a 512-pixel tile, half a pixel
  of the 256-pixel tiles Leaflet draws) with GEOS's topology-preserving simplifier, so
  a whole province at a low zoom costs a few hundred vertices, not its survey;
- snapped to the integer grid of the extent (``shapely.set_precision``, which keeps each
  polygon valid, and drops what collapses below one unit);
- wound as MVT asks (exterior rings clockwise on the y-down grid, holes the other way),
  by GEOS for all of them at once (``shapely.orient_polygons``).

Encoding is mapbox-vector-tile's (Mapbox's protobuf layout), told that the geometry is
already on the grid and wound, so it does not round and re-orient each polygon in Python.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mapbox_vector_tile
import morecantile
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

EXTENT = 4096
# One pixel of a 512-pixel tile, in tile units.
SIMPLIFY_UNITS = EXTENT / 512
# As mapnik and tippecanoe do by default: a band of 64 of the 4096 units around the tile.
BUFFER_UNITS = 64
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"

_GRID = morecantile.tms.get("WebMercatorQuad")
MIN_ZOOM = 0
MAX_ZOOM = 22
_TO_MERCATOR = Transformer.from_crs(4326, 3857, always_xy=True)
# Web Mercator stops short of the poles; latitudes beyond are pinned to its edge.
_MERCATOR_LATITUDE = 85.05112878


class TileOutOfRange(ValueError):
    """z, x or y outside the grid; the message names the allowed range."""


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile of the grid, checked to exist: ``0 ≤ z ≤ MAX_ZOOM``, ``0 ≤ x, y < 2**z``."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not MIN_ZOOM <= self.z <= MAX_ZOOM:
            raise TileOutOfRange(f"zoom {self.z} is outside {MIN_ZOOM}..{MAX_ZOOM}")
        last = 2**self.z - 1
        for name, value in (("x", self.x), ("y", self.y)):
            if not 0 <= value <= last:
                raise TileOutOfRange(f"{name} = {value} is outside 0..{last} at zoom {self.z}")

    def mercator_bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in EPSG:3857 metres."""
        box = _GRID.xy_bounds(morecantile.Tile(self.x, self.y, self.z))
        return box.left, box.bottom, box.right, box.top

    def lonlat_bounds(self, *, buffered: bool = False) -> tuple[float, float, float, float]:
        """(west, south, east, north) in lon/lat; ``buffered`` adds the clipping band."""
        west, south, east, north = self.mercator_bounds()
        if buffered:
            margin = (east - west) * BUFFER_UNITS / EXTENT
            west, south, east, north = west - margin, south - margin, east + margin, north + margin
        grown = _GRID.lnglat(west, south), _GRID.lnglat(east, north)
        (lon_w, lat_s), (lon_e, lat_n) = ((point.x, point.y) for point in grown)
        return lon_w, lat_s, lon_e, lat_n


def tile_of(lon: float, lat: float, z: int) -> Tile:
    """The tile holding (lon, lat) at zoom ``z``."""
    found = _GRID.tile(lon, lat, z)
    return Tile(found.z, found.x, found.y)


def in_tile_units(geometries: ArrayLike, tile: Tile) -> NDArray[np.object_]:
    """Geometries in EPSG:4326 placed in ``tile``'s coordinates (0..EXTENT, y down)."""
    west, _, east, north = tile.mercator_bounds()
    scale = EXTENT / (east - west)

    def placed(coordinates: NDArray[np.float64]) -> NDArray[np.float64]:
        lat = np.clip(coordinates[:, 1], -_MERCATOR_LATITUDE, _MERCATOR_LATITUDE)
        x, y = _TO_MERCATOR.transform(coordinates[:, 0], lat)
        return np.column_stack(((np.asarray(x) - west) * scale, (north - np.asarray(y)) * scale))

    values = np.asarray(geometries, dtype=object)
    out: NDArray[np.object_] = shapely.transform(values, placed)
    return out


def drawn_in_tile(geometries: ArrayLike, tile: Tile) -> NDArray[np.object_]:
    """Geometries (EPSG:4326) as ``tile`` draws them: projected, simplified, clipped with
    the buffer, snapped to the extent's grid; None where nothing is left."""
    placed = in_tile_units(geometries, tile)
    clipped = shapely.clip_by_rect(
        placed, -BUFFER_UNITS, -BUFFER_UNITS, EXTENT + BUFFER_UNITS, EXTENT + BUFFER_UNITS
    )
    simplified = shapely.simplify(clipped, SIMPLIFY_UNITS, preserve_topology=True)
    snapped = shapely.set_precision(simplified, 1.0)
    # Counter-clockwise in the y-up sense is clockwise on the y-down grid: what MVT 2.1
    # (§4.3.4.3) asks of an exterior ring.
    wound = shapely.orient_polygons(snapped, exterior_cw=False)
    drawn = np.asarray(wound, dtype=object)
    drawn[shapely.is_empty(drawn) | shapely.is_missing(drawn)] = None
    return drawn


def encode_layer(
    name: str, geometries: Iterable[Any], properties: Sequence[Mapping[str, Any]]
) -> bytes:
    """One MVT layer named ``name``: each geometry (in tile units, on the grid and wound,
    from ``drawn_in_tile``; None is left out) with its properties (None values left out,
    as MVT has no null).
    No feature at all gives b"": an empty tile."""
    features = [
        {
            "geometry": geometry,
            "properties": {key: value for key, value in props.items() if value is not None},
        }
        for geometry, props in zip(geometries, properties, strict=True)
        if geometry is not None
    ]
    if not features:
        return b""
    tile: bytes = mapbox_vector_tile.encode(
        [{"name": name, "features": features}],
        default_options={"extents": EXTENT, "y_coord_down": True, "check_winding_order": False},
    )
    return tile

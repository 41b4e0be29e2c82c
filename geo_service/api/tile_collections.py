"""What the vector tiles (``/tiles/{collection}/{z}/{x}/{y}``) draw, and from which reads.

Collections and the zooms from which their tiles carry features (below: an empty tile):

| collection | features | from zoom | attributes |
|---|---|---|---|
| provinces | polygons | 0 | ``ROLLUP_ATTRIBUTES``: code, name, coverage_pct, data_status, … |
| districts | polygons | 7 | as provinces |
| communes | polygons | 9 | as provinces |
| villages | polygons | 12 | ``VILLAGE_ATTRIBUTES``: code, name, status (covered/uncovered), … |
| gaps | points: each uncovered village's label point | 7 | as villages |

The rule for a map: colour provinces by coverage up to zoom 6, districts at 7–8, communes
at 9–11, and draw villages from 12; each collection is also served above its own band, for
outlines. ``coverage_pct`` is missing (not 0) and ``data_status`` is ``no_data`` where no
village list is known: the no-data class of the completeness rule. The gaps are points so
that each uncovered village shows at every zoom, however small its polygon would be.

Polygons are read per tile through the store's bbox query (the R-tree), never the whole
layer. Their attributes come from one coverage computation per (store generation, day),
kept small (no geometry) in ``TileAttributes``, as plain values made once, so that a
tile only picks its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo_service.api.feature_properties import FeatureProperties
from geo_service.coverage.reads import CoverageView
from geo_service.domain import Level
from geo_service.output.vector_tiles import Tile, drawn_in_tile, encode_layer
from geo_service.store import Store, UnitQuery

ROLLUP_ATTRIBUTES = [
    "code",
    "name",
    "coverage_pct",
    "data_status",
    "villages_total",
    "villages_covered",
    "villages_uncovered",
]
VILLAGE_ATTRIBUTES = ["code", "name", "status", "model_count", "team_count", "population"]


@dataclass(frozen=True)
class Collection:
    name: str
    min_zoom: int
    level: Level  # the level of the units drawn
    points: bool = False  # label points of the uncovered villages instead of polygons

    @property
    def attributes(self) -> list[str]:
        return VILLAGE_ATTRIBUTES if self.level == Level.VILLAGE else ROLLUP_ATTRIBUTES


COLLECTIONS = {
    collection.name: collection
    for collection in (
        Collection("provinces", 0, Level.PROVINCE),
        Collection("districts", 7, Level.DISTRICT),
        Collection("communes", 9, Level.COMMUNE),
        Collection("villages", 12, Level.VILLAGE),
        Collection("gaps", 7, Level.VILLAGE, points=True),
    )
}


@dataclass(frozen=True)
class AttributeTables:
    """The tiles' attributes on one day as tables: one row per unit, indexed by code, per
    level; the uncovered villages with their label points (lon, lat)."""

    by_level: dict[int, pd.DataFrame]
    gaps: pd.DataFrame
    gap_lon: NDArray[np.float64]
    gap_lat: NDArray[np.float64]

    @classmethod
    def of(cls, view: CoverageView) -> AttributeTables:
        """From the national coverage ``view`` the API keeps (``CoverageCache``)."""
        result = view.result
        villages = pd.DataFrame(result.villages.drop(columns="geometry"))
        by_level = {
            level: _indexed(result.rollups[result.rollups["level"] == level], ROLLUP_ATTRIBUTES)
            for level in (int(Level.PROVINCE), int(Level.DISTRICT), int(Level.COMMUNE))
        }
        by_level[int(Level.VILLAGE)] = _indexed(villages, VILLAGE_ATTRIBUTES)
        gaps = villages[~villages["covered"].astype(bool)]
        lon = pd.to_numeric(gaps["label_lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(gaps["label_lat"], errors="coerce").to_numpy(dtype=float)
        # A label is given or derived at import; a village without one has no point here.
        located = np.isfinite(lon) & np.isfinite(lat)
        gaps = _indexed(gaps[located], VILLAGE_ATTRIBUTES)
        return cls(by_level, gaps, lon[located], lat[located])


@dataclass(frozen=True)
class TileAttributes:
    """The tiles' attributes on one day, made once per kept coverage view: per level the
    units' ``FeatureProperties`` by code, and the uncovered villages' label points with
    theirs. A tile then only picks its rows."""

    by_level: dict[int, FeatureProperties]
    gaps: FeatureProperties
    gap_lon: NDArray[np.float64]
    gap_lat: NDArray[np.float64]

    @classmethod
    def of(cls, view: CoverageView) -> TileAttributes:
        """From the national coverage ``view`` the API keeps (``CoverageCache``)."""
        tables = AttributeTables.of(view)
        return cls(
            {level: FeatureProperties.of(table) for level, table in tables.by_level.items()},
            FeatureProperties.of(tables.gaps),
            tables.gap_lon,
            tables.gap_lat,
        )


def render_tile(
    store: Store, attributes: TileAttributes, collection: Collection, tile: Tile, day: date
) -> bytes:
    """The MVT bytes of ``collection`` in ``tile`` (b"" when it has no feature there)."""
    if tile.z < collection.min_zoom:
        return b""
    west, south, east, north = tile.lonlat_bounds(buffered=True)
    if collection.points:
        lon, lat = attributes.gap_lon, attributes.gap_lat
        rows = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
        properties = attributes.gaps.at_rows(rows)
        geometries = shapely.points(lon[rows], lat[rows])
    else:
        units = store.units(
            UnitQuery(
                as_of=day,
                level=int(collection.level),
                bbox=(west, south, east, north),
                columns=("code",),
            )
        )
        properties = attributes.by_level[int(collection.level)].of_codes(units["code"])
        geometries = units.geometry.to_numpy()
    return encode_layer(collection.name, drawn_in_tile(geometries, tile), properties)


def _indexed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(frame[columns]).set_index("code")


def describe() -> dict[str, Any]:
    """The collections as the API lists them: name, first zoom, attributes, kind."""
    return {
        name: {
            "min_zoom": collection.min_zoom,
            "geometry": "Point" if collection.points else "Polygon",
            "attributes": collection.attributes,
        }
        for name, collection in COLLECTIONS.items()
    }

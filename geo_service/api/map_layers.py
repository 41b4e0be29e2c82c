"""What the map page at ``GET /`` fetches (``api/routes/map_data.py``): one level's units
meeting a bbox as GeoJSON simplified for the view, and the uncovered villages as points
thinned to the pixels of a zoom.

The page never embeds data: it asks for the box it shows, at the level its zoom draws
(provinces, districts, communes, then villages). Geometry is read from the store for the
units meeting the box only (its R-tree); attributes come from the coverage view the
``CoverageCache`` keeps (no geometry), so a request reads the box, not the country.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import orjson
import pandas as pd

from geo_service.api.views import ancestors
from geo_service.coverage.no_data_areas import NoDataAreas
from geo_service.coverage.reads import CoverageView, rows_held
from geo_service.domain import Level
from geo_service.output.geometry import (
    COORDINATE_DECIMALS,
    display_geometries,
    display_tolerance,
    geojson_texts,
)
from geo_service.store import Store, UnitQuery
from geo_service.web.popups import (
    display_name,
    no_data_tooltip,
    unit_tooltip,
    village_tooltip,
)

BBox = tuple[float, float, float, float]
# The widest box (degrees, either side) each level is drawn over: the page asks for a
# level from its zoom, and a box wider than this would be a country of small polygons.
WIDEST_BOX = {
    int(Level.PROVINCE): 360.0,
    int(Level.DISTRICT): 30.0,
    int(Level.COMMUNE): 12.0,
    int(Level.VILLAGE): 3.0,
}
# Uncovered villages closer than this many pixels at the asked zoom are sent as one point
# (with their count): every one stays under a red dot, the national view stays small.
GAP_CELL_PIXELS = 3
TILE_PIXELS = 256
POINT_DECIMALS = 5  # about a metre: finer than any zoom the page draws


class BoxTooLarge(ValueError):
    """The box is wider than its level is drawn over (``WIDEST_BOX``)."""


@dataclass(frozen=True)
class Drawn:
    """A GeoJSON FeatureCollection's bytes, and the level drawn (a district request on a
    day without districts draws the communes)."""

    level: int
    body: bytes


def level_drawn(view: CoverageView, level: int) -> int:
    """``level``, or communes where districts are asked for on a day without any (after
    the 2025 reform communes hang under provinces)."""
    rollups = view.result.rollups
    if level == int(Level.DISTRICT) and not (rollups["level"] == level).any():
        return int(Level.COMMUNE)
    return level


def check_box(bbox: BBox, level: int) -> None:
    west, south, east, north = bbox
    widest = WIDEST_BOX[level]
    if east - west > widest or north - south > widest:
        raise BoxTooLarge(
            f"bbox is {east - west:.3g}° by {north - south:.3g}°: level {level} is drawn "
            f"over boxes of at most {widest:g}° a side; zoom in or ask for a lower level"
        )


def features_in_box(
    store: Store,
    view: CoverageView,
    level: int,
    bbox: BBox,
    no_data_areas: Callable[[], NoDataAreas],
) -> Drawn:
    """The units of ``level`` meeting ``bbox`` (with the parts of communes whose villages
    are unknown, when villages are drawn: of ``no_data_areas()``, the view's areas kept
    with it, asked for then only), simplified for a view of ``bbox``."""
    level = level_drawn(view, level)
    check_box(bbox, level)
    units = store.units(UnitQuery(as_of=view.as_of, level=level, bbox=bbox, columns=("code",)))
    tolerance = display_tolerance(bbox)
    if level == int(Level.VILLAGE):
        rows = _rows_of(view.result.villages, view.village_codes, units["code"])
        properties = [_village_properties(row) for row in _records(rows)]
        area_properties, area_geometries = _no_data_features(no_data_areas(), bbox)
        geometries = [*units.geometry.to_numpy(), *area_geometries]
        properties += area_properties
    else:
        rows = _rows_of(view.result.rollups, view.rollup_codes, units["code"])
        properties = [_unit_properties(row, level) for row in _records(rows)]
        geometries = list(units.geometry.to_numpy())
    texts = geojson_texts(display_geometries(np.asarray(geometries, dtype=object), tolerance))
    features = [
        {
            "type": "Feature",
            "id": props["code"],
            "properties": props,
            "geometry": orjson.Fragment(text) if text else None,
        }
        for props, text in zip(properties, texts, strict=True)
    ]
    head = {"type": "FeatureCollection", "level": level, "as_of": view.as_of.isoformat()}
    return Drawn(level, orjson.dumps({**head, "features": features}))


def gaps_in_box(view: CoverageView, bbox: BBox, zoom: int, listed: int) -> dict[str, Any]:
    """The uncovered villages whose label point lies in ``bbox``: how many, the points to
    draw (thinned to ``GAP_CELL_PIXELS`` at ``zoom``: ``[lon, lat, count]``), and the
    first ``listed`` by commune and name, with their commune's name."""
    table = view.gap_table
    west, south, east, north = bbox
    lon, lat = table.lon, table.lat
    inside = np.flatnonzero((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))
    first = inside[:listed]
    rows = table.rows.iloc[first].to_dict("records")
    return {
        "as_of": view.as_of.isoformat(),
        "total": len(inside),
        "points": _thinned(lon[inside], lat[inside], zoom),
        "listed": [
            {
                "code": row["code"],
                "name": display_name(row["name"], row["unit_type"]),
                "commune": display_name(row["commune"], row["commune_type"])
                if isinstance(row["commune"], str)
                else "",
                "lon": round(float(lon[at]), POINT_DECIMALS),
                "lat": round(float(lat[at]), POINT_DECIMALS),
            }
            for row, at in zip(rows, first, strict=True)
        ],
    }


def place_names(store: Store, as_of: date, parent: Any) -> list[str]:
    """The names of the units above one (its parent first), with their type words."""
    if not isinstance(parent, str):
        return []
    return [
        display_name(unit["name"], unit["unit_type"]) for unit in ancestors(store, as_of, parent)
    ]


def unit_bounds(store: Store, as_of: date, unit: dict[str, Any]) -> list[float] | None:
    """West, south, east, north of the unit's geometry, or around its label point."""
    query = UnitQuery(as_of=as_of, codes=(str(unit["code"]),), columns=("code",))
    shapes = store.units(query).geometry
    shapes = shapes[~(shapes.isna() | shapes.is_empty)]
    if len(shapes):
        return [round(float(v), COORDINATE_DECIMALS) for v in shapes.total_bounds]
    lon, lat = unit.get("label_lon"), unit.get("label_lat")
    if isinstance(lon, float) and isinstance(lat, float) and lon == lon and lat == lat:
        pad = 0.005  # about 500 m around a village known by its point only
        return [lon - pad, lat - pad, lon + pad, lat + pad]
    return None


def _thinned(lon: np.ndarray, lat: np.ndarray, zoom: int) -> list[list[float]]:
    """One point per occupied cell of ``GAP_CELL_PIXELS`` Web Mercator pixels at ``zoom``
    (the first village's), with the number of villages in the cell: ``[lon, lat, count]``,
    rounded to a twentieth of a pixel or finer."""
    if len(lon) == 0:
        return []
    pixels = TILE_PIXELS * 2.0**zoom
    decimals = min(POINT_DECIMALS, max(3, math.ceil(math.log10(pixels / 360.0)) + 1))
    scale = pixels / GAP_CELL_PIXELS
    x = np.floor((lon + 180.0) / 360.0 * scale)
    sin = np.sin(np.radians(np.clip(lat, -85.0511, 85.0511)))
    y = np.floor((0.5 - np.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale)
    _, first, counts = np.unique(
        np.stack([x, y], axis=1), axis=0, return_index=True, return_counts=True
    )
    points = np.round(np.stack([lon[first], lat[first]], axis=1), decimals)
    return [[float(a), float(b), int(n)] for (a, b), n in zip(points, counts, strict=True)]


def _no_data_features(areas: NoDataAreas, bbox: BBox) -> tuple[list[dict[str, Any]], list[Any]]:
    """The properties and geometries of the no-data areas ``bbox`` gets (most boxes get
    none: then no frame is built)."""
    shown = areas.meeting(bbox)
    if shown.empty:
        return [], []
    return [_no_data_properties(row) for row in _records(shown)], list(shown.geometry.to_numpy())


def _rows_of(frame: pd.DataFrame, index: pd.Index, codes: pd.Series) -> pd.DataFrame:
    """The rows of ``frame`` (without geometry) for ``codes``, in their order (a code
    missing from ``frame`` gives a row of missing values). ``index``: ``frame``'s codes
    (a view's ``village_codes`` or ``rollup_codes``); only the rows asked for are taken,
    by position."""
    found = rows_held(frame, index, codes.to_numpy(dtype=object))
    table = pd.DataFrame(found.drop(columns="geometry")).set_index("code")
    return table.reindex(codes.to_numpy(dtype=object)).rename_axis("code").reset_index()


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    table = pd.DataFrame(frame.drop(columns=[c for c in ("geometry",) if c in frame]))
    rows: list[dict[str, Any]] = table.to_dict("records")  # type: ignore[assignment]
    return rows


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _unit_properties(row: dict[str, Any], level: int) -> dict[str, Any]:
    known = isinstance(row.get("name"), str)
    return {
        "kind": "unit",
        "code": str(row["code"]),
        "level": level,
        "name": display_name(row["name"], row["unit_type"]) if known else str(row["code"]),
        "pct": _number(row.get("coverage_pct")),
        "data_status": row.get("data_status") if known else "no_data",
        "uncovered": _number(row.get("villages_uncovered")),
        "tooltip": unit_tooltip(row) if known else "",
    }


def _village_properties(row: dict[str, Any]) -> dict[str, Any]:
    known = isinstance(row.get("status"), str)
    return {
        "kind": "village",
        "code": str(row["code"]),
        "status": row["status"] if known else "unknown",
        "quality": str(row.get("geometry_quality") or ""),
        "tooltip": village_tooltip(row) if known else "",
    }


def _no_data_properties(row: dict[str, Any]) -> dict[str, Any]:
    # One commune may lack the lists of several sources: the pair names the area.
    return {
        "kind": "no_data",
        "code": f"{row['commune_code']}/{row['source_code']}",
        "tooltip": no_data_tooltip(row),
    }

"""A register kept as a point layer: GeoJSON, GeoPackage, KML/KMZ or a zipped Shapefile
whose features are the register's rows and whose points are the sites' locations.

A commune that mapped its cameras in QGIS or Google Earth exports them as a point layer;
``geo-service import models cameras.geojson`` reads its attributes as register columns
(the same headers and aliases as a CSV) and each feature's point as the row's site point.
The layer's CRS comes from the file (``--crs`` when it has none) and goes through the
boundary readers (VN-2000 via EPSG:6960, swapped or metric coordinates refused), so the
points reach ``locations`` already in WGS 84. Rows are numbered by feature (1 = first).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from geo_service.ingest.readers.cells import Cell
from geo_service.ingest.readers.tables import Table, table_by_aliases
from geo_service.ingest.report import ImportRejected, ValidationReport, reject
from geo_service.ingest.units.boundaries import read_boundaries

LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".kmz", ".zip", ".shp")
# The coordinate fields a layer's points fill, under the header problems name them by.
POINT_HEADERS = ("Kinh độ", "Vĩ độ")


def is_point_layer(path: Path) -> bool:
    """Whether ``path`` is a GIS layer rather than a table (CSV, XLSX)."""
    return path.suffix.lower() in LAYER_SUFFIXES


def read_point_layer(
    path: Path,
    aliases: dict[str, list[str]],
    *,
    file_name: str,
    crs: str | None,
    problems: ValidationReport,
) -> Table:
    """The layer as a register table: its attributes by ``aliases``, its points as the
    lon/lat fields (EPSG:4326); a feature without a point is a site without one."""
    raw, report = read_boundaries(path, crs=crs, display_name=file_name, expect="points")
    problems.extend(report)
    if not report.ok:
        raise ImportRejected(problems)
    attributes = [column for column in raw.columns if column != raw.geometry.name]
    geometry = np.asarray(raw.geometry.values, dtype=object)
    located = ~shapely.is_missing(geometry)
    lon = np.where(located, shapely.get_x(geometry), np.nan)
    lat = np.where(located, shapely.get_y(geometry), np.nan)
    header: list[Cell] = [*(str(column) for column in attributes), *POINT_HEADERS]
    grid: list[tuple[int, list[Cell]]] = [(0, header)]
    values = raw[attributes].to_numpy(dtype=object)
    for feature, cells, x, y in zip(raw.index.tolist(), values, lon, lat, strict=True):
        row = [_cell(value) for value in cells]
        grid.append((int(feature), [*row, *(_coordinate(x), _coordinate(y))]))
    table = table_by_aliases(grid, aliases, file_name, problems)
    if table is None:
        reject(file_name, "the layer has no attribute named like a register column")
    return table


def _cell(value: object) -> Cell:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str | int | float):
        return value
    return str(value)


def _coordinate(value: float) -> Cell:
    return None if math.isnan(value) else float(value)

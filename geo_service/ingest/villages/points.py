"""Read village points (or a plain village list) in any format a commune keeps them.

CSV and XLSX tables with lon/lat (or x/y with ``crs``) columns, or no coordinate columns
at all; GeoJSON, GeoPackage, Shapefile, KML/KMZ point layers. Columns are found by
accent-insensitive aliases ("Mã xã", "Tên thôn", "Số hộ"). A village without a location
(empty cells, a null geometry, a list without coordinates) is kept with no geometry:
it still counts in every roll-up. Coordinates go through the same CRS handling as
boundaries (VN-2000 with the EPSG:6960 shift, metres without a CRS refused).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo_service.domain import WGS84
from geo_service.ingest.readers.tables import TABLE_SUFFIXES
from geo_service.ingest.readers.tabular_geometry import header_key
from geo_service.ingest.report import ValidationReport
from geo_service.ingest.units.boundaries import read_boundaries
from geo_service.ingest.units.cells import text, unsafe_text
from geo_service.text.names import nfc

REQUIRED_COLUMNS = ("commune_code", "name")
POINT_COLUMNS = [
    "row",
    *REQUIRED_COLUMNS,
    "unit_type",
    "households",
    "population",
    "lon",
    "lat",
]
# Canonical column -> header keys (folded, "_" for spaces) it may be written as.
ALIASES: dict[str, tuple[str, ...]] = {
    "commune_code": ("commune_code", "ma_xa", "ma_phuong", "ma_xa_phuong", "ma_dvhc"),
    "name": ("name", "ten", "ten_thon", "ten_thon_tdp", "thon_tdp", "thon", "ten_don_vi"),
    "unit_type": ("unit_type", "loai", "loai_don_vi"),
    "households": ("households", "so_ho"),
    "population": ("population", "dan_so", "so_dan", "so_nhan_khau"),
}
_CODE_WIDTH = 5
# ``frame.attrs`` key: the field location problems name ("lon/lat" for tables).
LOCATION_FIELD_ATTR = "location_field"


def read_village_points(
    path: Path,
    *,
    file_name: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read village points into ``POINT_COLUMNS`` + geometry (EPSG:4326).

    Columns: commune_code, name; optional unit_type, households, population; and a
    location (lon/lat columns, WKT, or the layer's points). Text is NFC. Rows with
    errors are reported and left out; rows without a location are kept with geometry
    None and lon/lat NaN. Column ``row`` is the spreadsheet row (header = 1) or the
    1-based feature number. ``crs`` and ``layer`` work as for ``read_boundaries``.
    """
    name = file_name or path.name
    raw, report = read_boundaries(path, crs=crs, layer=layer, display_name=name, expect="points")
    columns = _columns(raw, report)
    if columns is None or raw.empty:
        return _empty_points(), report
    rows = [int(r) for r in raw.index]
    found = ValidationReport(name)  # cell problems; all are reported in row order
    points = pd.DataFrame(
        {
            "row": rows,
            "commune_code": _commune_codes(raw, columns["commune_code"], rows, found),
            "name": _names(raw, columns["name"], rows, found),
            "unit_type": [_text(v) for v in _cells(raw, columns.get("unit_type"))],
            "households": _counts(raw, columns.get("households"), rows, found),
            "population": _counts(raw, columns.get("population"), rows, found),
        }
    )
    report.problems[:] = sorted([*report.problems, *found.problems], key=lambda p: p.row or 0)
    geometry = np.asarray(raw.geometry.values, dtype=object)
    points["lon"] = shapely.get_x(geometry)
    points["lat"] = shapely.get_y(geometry)
    frame = gpd.GeoDataFrame(points, geometry=gpd.array.from_shapely(geometry), crs=WGS84)
    frame.attrs[LOCATION_FIELD_ATTR] = (
        "lon/lat" if path.suffix.lower() in TABLE_SUFFIXES else "geometry"
    )
    return frame, report


def _columns(raw: gpd.GeoDataFrame, report: ValidationReport) -> dict[str, str] | None:
    """Canonical column -> column of ``raw``; None (with errors) when a required one lacks."""
    if not report.ok and raw.empty:
        return None  # the file itself was refused
    by_key: dict[str, str] = {}
    for column in raw.columns:
        if column != raw.geometry.name:
            by_key.setdefault(header_key(str(column)), str(column))
    found = {
        canonical: next((by_key[a] for a in aliases if a in by_key), None)
        for canonical, aliases in ALIASES.items()
    }
    for column in REQUIRED_COLUMNS:
        if found[column] is None:
            report.error(
                f"missing column '{column}' (or one of: {', '.join(ALIASES[column][1:])})",
                row=1,
                field=column,
                code="missing_column",
            )
    if not report.ok and any(found[c] is None for c in REQUIRED_COLUMNS):
        return None
    return {canonical: column for canonical, column in found.items() if column is not None}


def _cells(raw: pd.DataFrame, column: str | None) -> list[object]:
    return [None] * len(raw) if column is None else raw[column].to_numpy(dtype=object).tolist()


def _text(value: object) -> str:
    found = text(value)
    return nfc(found) if found else ""


def _names(raw: pd.DataFrame, column: str, rows: list[int], report: ValidationReport) -> list[str]:
    names = [_text(v) for v in _cells(raw, column)]
    for name, row in zip(names, rows, strict=True):
        unsafe = unsafe_text(name, column) if name else None
        if unsafe is not None:
            report.error(unsafe[0], row=row, field=column, code=unsafe[1])
    return names


def _commune_codes(
    raw: pd.DataFrame, column: str, rows: list[int], report: ValidationReport
) -> list[str]:
    codes: list[str] = []
    for value, row in zip(_cells(raw, column), rows, strict=True):
        code = _text(value)
        if code.isdigit() and len(code) < _CODE_WIDTH:
            report.warning(
                f"commune code '{code}' padded to '{code.zfill(_CODE_WIDTH)}' (lost leading zeros)",
                row=row,
                field=column,
                code="padded_code",
            )
            code = code.zfill(_CODE_WIDTH)
        codes.append(code)
    return codes


def _counts(
    raw: pd.DataFrame, column: str | None, rows: list[int], report: ValidationReport
) -> pd.arrays.IntegerArray:
    counts: list[int | None] = []
    for value, row in zip(_cells(raw, column), rows, strict=True):
        shown = text(value)
        number = _count(shown) if shown else None
        if shown and number is None:
            report.error(
                f"not a whole number >= 0: '{shown}'",
                row=row,
                field=column,
                code="not_a_count",
            )
        counts.append(number)
    return pd.array(counts, dtype="Int64")


def _count(shown: str) -> int | None:
    try:
        number = float(shown.replace(" ", ""))
    except ValueError:
        return None
    return int(number) if number >= 0 and number.is_integer() else None


def _empty_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns=POINT_COLUMNS, geometry=[], crs=WGS84)

"""Geometry from table columns: lon/lat (or x/y) numbers, or WKT text.

Headers are found accent- and case-insensitively ("Kinh độ", "VI_DO", "Hình học").
Problems name the spreadsheet row and the column as written in the file: a number that
is not one, WKT that does not parse, an empty cell. Points read as degrees are taken as
WGS 84 (what a lon/lat column means); rows that are swapped or out of range are errors
of their own. Coordinates in metres need a CRS: without one the file is refused with
the VN-2000 zones that fit (``crs.resolve_source_crs``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo_service.domain import WGS84
from geo_service.ingest.readers.cell_checks import without_formulas
from geo_service.ingest.readers.geometry_checks import POINTS_HINT
from geo_service.ingest.readers.layers import Expect, LayerRequest, RawLayer, fail
from geo_service.ingest.readers.tables import read_plain_table
from geo_service.ingest.report import ValidationReport
from geo_service.text.names import fold

LON_HEADERS = ("lon", "lng", "long", "longitude", "x", "kinh_do")
LAT_HEADERS = ("lat", "latitude", "y", "vi_do")
WKT_HEADERS = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "hinh_hoc")
# Vietnam read as lon/lat the wrong way round (x a latitude, y a longitude).
_SWAPPED_BOX = (8.0, 102.0, 24.0, 110.0)
_SHOWN_WKT = 60


@dataclass(frozen=True)
class _Columns:
    lon: str | None
    lat: str | None
    wkt: str | None

    @property
    def coordinates(self) -> str:
        return f"{self.lon}/{self.lat}"


def read_table_layer(request: LayerRequest, report: ValidationReport) -> RawLayer:
    """A CSV or XLSX table as a layer: rows indexed by spreadsheet row (index ``row``).

    A row holding a formula is an error and left out (``cell_checks.without_formulas``).
    """
    name, expect = request.name, request.expect
    found = ValidationReport(name)  # row problems, reported in row order at the end
    table_read = read_plain_table(request.path, name, request.layer, report)
    rows_read = without_formulas(table_read, found)
    header = list(rows_read.headers)
    columns = _geometry_columns(header, name)
    if expect == "polygons" and columns.wkt is None:
        if columns.lon is not None:
            fail(
                name,
                f"the table has coordinate columns ({columns.coordinates}): points, not "
                f"boundaries. A boundary needs a WKT column; {POINTS_HINT}",
                field=columns.coordinates,
            )
        fail(
            name,
            f"no geometry column: a table of boundaries needs a WKT column "
            f"({', '.join(WKT_HEADERS)})",
            row=1,
        )
    rows = np.asarray([number for number, _ in rows_read.rows], dtype=int)
    table = pd.DataFrame(
        [list(cells.values()) for _, cells in rows_read.rows],
        columns=header,
        index=pd.Index(rows, name="row"),
        dtype=object,
    )
    crs: object | None = None
    if columns.wkt is not None:
        geometry, rejected = _wkt_geometries(table[columns.wkt], expect, found)
    elif columns.lon is not None and columns.lat is not None:
        geometry, rejected, crs = _point_geometries(table, columns, request.crs, name, found)
    else:  # a list of names only
        geometry, rejected = np.full(len(table), None, dtype=object), np.zeros(len(table), bool)
    report.problems.extend(sorted(found.problems, key=lambda p: p.row or 0))
    used = [c for c in (columns.lon, columns.lat, columns.wkt) if c is not None]
    return RawLayer(table.drop(columns=used), geometry, crs, rejected)


def _geometry_columns(header: list[str], name: str) -> _Columns:
    found = {
        role: _find(header, aliases, name)
        for role, aliases in (("lon", LON_HEADERS), ("lat", LAT_HEADERS), ("wkt", WKT_HEADERS))
    }
    lon, lat = found["lon"], found["lat"]
    if (lon is None) != (lat is None):
        missing = "lat" if lat is None else "lon"
        aliases = LAT_HEADERS if lat is None else LON_HEADERS
        fail(
            name,
            f"missing column '{missing}' (a {'latitude' if lat is None else 'longitude'} "
            f"column named one of: {', '.join(aliases)})",
            row=1,
            field=missing,
        )
    return _Columns(lon, lat, found["wkt"])


def _find(header: list[str], aliases: tuple[str, ...], name: str) -> str | None:
    hits = [h for h in header if header_key(h) in aliases]
    if len(hits) > 1:
        fail(
            name,
            f"columns {', '.join(repr(h) for h in hits)} all look like the same coordinate; "
            "keep one",
            row=1,
            field=hits[1],
        )
    return hits[0] if hits else None


def header_key(text: str) -> str:
    """Header as an alias key: folded, spaces as "_", a bracketed remark dropped.

    >>> header_key("Kinh độ (X)")
    'kinh_do'
    """
    return fold(re.sub(r"[(\[].*$", "", text)).replace(" ", "_")


def _wkt_geometries(
    cells: pd.Series, expect: Expect, report: ValidationReport
) -> tuple[np.ndarray, np.ndarray]:
    texts = np.asarray([None if v is None else str(v) for v in cells], dtype=object)
    geometry = np.asarray(shapely.from_wkt(texts, on_invalid="ignore"), dtype=object)
    field = str(cells.name)
    rejected = np.zeros(len(cells), dtype=bool)
    rows = cells.index.to_numpy()
    for index in np.flatnonzero(shapely.is_missing(geometry)):
        row = int(rows[index])
        text = texts[index]
        if text is None:
            if expect == "polygons":
                report.error("value is missing", row=row, field=field, code="missing")
                rejected[index] = True
            continue
        shown = text if len(text) <= _SHOWN_WKT else text[:_SHOWN_WKT] + "…"
        report.error(f"WKT does not parse: '{shown}'", row=row, field=field, code="invalid_wkt")
        rejected[index] = True
    return geometry, rejected


def _point_geometries(
    table: pd.DataFrame,
    columns: _Columns,
    user_crs: CRS | None,
    name: str,
    report: ValidationReport,
) -> tuple[np.ndarray, np.ndarray, object | None]:
    """Points per row (None: no location), the rows already reported, and the file CRS."""
    assert columns.lon is not None and columns.lat is not None
    rows = table.index.to_numpy()
    lon = _numbers(table[columns.lon], report)
    lat = _numbers(table[columns.lat], report)
    both = ~np.isnan(lon) & ~np.isnan(lat)
    bad = _half_empty(table, columns, lon, lat, report)
    degrees = user_crs is None or user_crs.is_geographic
    crs: object | None = None
    if degrees:
        bad |= _wrong_degrees(lon, lat, both & ~bad, rows, columns, report)
        good = both & ~bad
        in_degrees = good & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
        if user_crs is None and in_degrees.any() and in_degrees.sum() == good.sum():
            crs = WGS84  # what lon/lat columns mean; metres are left for the CRS check
    if crs is None:
        _refuse_survey_axes(lon[both & ~bad], lat[both & ~bad], columns, name)
    geometry = np.asarray(shapely.points(lon, lat), dtype=object)
    geometry[~both | bad] = None
    return geometry, bad, crs


def _refuse_survey_axes(x: np.ndarray, y: np.ndarray, columns: _Columns, name: str) -> None:
    """VN-2000 survey tables write X for the northing and Y for the easting."""
    if len(x) == 0:
        return
    x_north = 900_000 <= float(np.median(x)) <= 2_800_000
    y_east = 100_000 <= float(np.median(y)) <= 900_000
    if x_north and y_east:
        fail(
            name,
            f"'{columns.lon}' holds northings and '{columns.lat}' eastings (as VN-2000 survey "
            "tables write X and Y): put the easting in the first column (x/lon) and the "
            "northing in the second (y/lat), and give the CRS with --crs",
            field=columns.coordinates,
        )


def _numbers(cells: pd.Series, report: ValidationReport) -> np.ndarray:
    out = np.full(len(cells), np.nan)
    field = str(cells.name)
    rows = cells.index.to_numpy().tolist()
    for index, value in enumerate(cells.tolist()):
        if value is None:
            continue
        number = coordinate_number(value)
        if number is None:
            report.error(
                f"not a number: '{value}'", row=rows[index], field=field, code="not_a_number"
            )
            out[index] = np.inf  # marks the row as bad without making it look empty
        else:
            out[index] = number
    return out


def coordinate_number(value: object) -> float | None:
    """A coordinate cell as a finite number (a decimal comma accepted), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # decimal comma, as Vietnamese spreadsheets write it
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def _half_empty(
    table: pd.DataFrame,
    columns: _Columns,
    lon: np.ndarray,
    lat: np.ndarray,
    report: ValidationReport,
) -> np.ndarray:
    """Rows with one coordinate and not the other (or an unreadable one): errors."""
    bad = np.isinf(lon) | np.isinf(lat)
    half = np.isnan(lon) != np.isnan(lat)
    for index in np.flatnonzero(half):
        field = columns.lon if np.isnan(lon[index]) else columns.lat
        row = int(table.index.to_numpy()[index])
        report.error("value is missing", row=row, field=field, code="missing")
    return bad | half


def _wrong_degrees(
    lon: np.ndarray,
    lat: np.ndarray,
    candidates: np.ndarray,
    rows: np.ndarray,
    columns: _Columns,
    report: ValidationReport,
) -> np.ndarray:
    """Swapped rows, and rows out of range in a file that is otherwise in degrees."""
    west, south, east, north = _SWAPPED_BOX
    swapped = candidates & (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    in_range = candidates & ~swapped & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    # Mostly metres: a projected file without a CRS, which the CRS check refuses as a whole.
    outside = candidates & ~swapped & ~in_range if in_range.sum() * 2 >= candidates.sum() else None
    wrong = swapped if outside is None else swapped | outside
    for index in np.flatnonzero(wrong):
        if swapped[index]:
            message, code = (
                "lon and lat look swapped (Vietnam is near lon 102-110, lat 8-24)",
                "swapped",
            )
        else:
            message = f"coordinates out of range: lon {lon[index]:g}, lat {lat[index]:g}"
            code = "out_of_range"
        report.error(message, row=int(rows[index]), field=columns.coordinates, code=code)
    return wrong

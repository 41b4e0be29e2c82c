"""Where a register's sites are (issue 13, item 6): a point per row, placed in its village.

A row may give its site's point as longitude/latitude ("Kinh độ", "Vĩ độ": WGS 84 unless
``--crs`` says otherwise), or as X/Y in metres ("X", "Y") with the CRS given by ``--crs``
(a VN-2000 TM-3 zone such as EPSG:9210, reprojected through EPSG:6960 by ``ingest.crs``,
never read as WGS 84). The point is placed in its village by point-in-polygon
(``points_in_units.place_in_villages``); the site is stored with its point and that
village. A row with neither coordinate is a site without a point, as before.

Every problem names the file, the row and the field, and rejects the register:
one coordinate without the other, a cell that is not a number, degrees outside Vietnam
(the pair swapped, when the numbers say so), degrees with a metric ``--crs``, metres
without one, a point in no village, a point in a village of another commune than the
row names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS

from geo_service.domain import CAMERA_MODEL_TYPE, WGS84, Level
from geo_service.ingest.crs import (
    VIETNAM_LONLAT_BOUNDS,
    CRSInputError,
    crs_label,
    likely_metric_crs,
    parse_crs,
    to_wgs84,
)
from geo_service.ingest.points_in_units import place_in_villages
from geo_service.ingest.readers.cells import Cell
from geo_service.ingest.readers.tabular_geometry import coordinate_number
from geo_service.ingest.report import ValidationReport

if TYPE_CHECKING:  # models hands its rows over, and imports this module
    from geo_service.ingest.registers.models import Row

# Register fields (catalogue/register_headers.csv): degrees first, then metres.
COORDINATE_PAIRS = (("lon", "lat"), ("x", "y"))
# Key of a team record (``models._team_row``) holding the register row it was read from.
SOURCE_ROW = "_row"
DECIMALS = 7  # about 1 cm, as output/geometry.py rounds
# VN-2000 survey tables write X for the northing and Y for the easting (metres).
_NORTHINGS = (900_000.0, 2_800_000.0)
_EASTINGS = (100_000.0, 900_000.0)
_SHOWN_CRS = 6


def has_location(cells: dict[str, Cell]) -> bool:
    """Whether a row gives any coordinate."""
    return any(cells.get(name) not in (None, "") for pair in COORDINATE_PAIRS for name in pair)


@dataclass
class _Points:
    """The rows that give a whole point: their team records, rows, fields and numbers."""

    teams: list[dict[str, Any]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)  # "Kinh độ/Vĩ độ", as the file writes
    pairs: list[tuple[str, str]] = field(default_factory=list)
    first: list[float] = field(default_factory=list)
    second: list[float] = field(default_factory=list)

    def error(self, index: int | np.integer, message: str, code: str) -> None:
        row = self.rows[int(index)]
        row.problems.error(message, row=row.number, field=self.fields[int(index)], code=code)


def locate_sites(
    teams: list[dict[str, Any]],
    models: list[dict[str, Any]],
    units: pd.DataFrame,
    crs_text: str | None,
    report: ValidationReport,
) -> None:
    """Give each team record whose row has a point its ``lon``/``lat`` (EPSG:4326) and the
    village the point lies in (``unit_code``); every problem goes to the row's sheet.

    ``units``: the store's units of every period (villages with their areas), ``crs_text``:
    what ``--crs`` said. Records keep ``lon``/``lat`` None without a point; the
    ``SOURCE_ROW`` key is removed from every record.
    """
    points = _read(teams)
    for team in teams:
        team.pop(SOURCE_ROW, None)
        team.setdefault("lon", None)
        team.setdefault("lat", None)
    if not points.teams:
        return
    try:
        crs = None if crs_text is None else parse_crs(crs_text)
    except CRSInputError as exc:
        report.error(str(exc), field="--crs", code="crs")
        return
    lon, lat, good = _to_wgs84(points, crs)
    if good.any():
        _place(points, lon, lat, good, models, units)


def _read(teams: list[dict[str, Any]]) -> _Points:
    """The rows with a whole point; one coordinate without the other, or a cell that is
    not a number, is an error naming that cell."""
    points = _Points()
    for team in teams:
        row: Row | None = team.get(SOURCE_ROW)
        if row is None or not has_location(row.cells):
            continue
        pair = next(
            p for p in COORDINATE_PAIRS if any(row.cells.get(n) not in (None, "") for n in p)
        )
        numbers: list[float] = []
        for name in pair:
            value = row.cells.get(name)
            header = row.header(name) or name
            if value is None or value == "":
                other = row.header(pair[1] if name == pair[0] else pair[0])
                row.problems.error(
                    f"'{other}' is given but '{header}' is empty: give both coordinates, or "
                    "neither (a site without a point)",
                    row=row.number,
                    field=header,
                    code="missing",
                )
            elif (number := coordinate_number(value)) is None:
                row.problems.error(
                    f"not a number: '{value}'", row=row.number, field=header, code="not_a_number"
                )
            else:
                numbers.append(number)
        if len(numbers) == 2:
            points.teams.append(team)
            points.rows.append(row)
            points.pairs.append(pair)
            points.fields.append("/".join(row.header(name) or name for name in pair))
            points.first.append(numbers[0])
            points.second.append(numbers[1])
    return points


def _to_wgs84(
    points: _Points, crs: CRS | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """lon/lat in EPSG:4326 of every point, and which of them passed the checks."""
    first, second = np.asarray(points.first), np.asarray(points.second)
    # Not "<= 90" for the latitude: a swapped pair puts a longitude there, and is degrees.
    degrees = (np.abs(first) <= 180) & (np.abs(second) <= 180)
    good = np.ones(first.size, dtype=bool)
    if crs is None or crs.is_geographic:
        given = "without --crs" if crs is None else f"with --crs {crs_label(crs)} (degrees)"
        hint = _metres_hint(first[~degrees], second[~degrees])
        for index in np.flatnonzero(~degrees):
            points.error(
                index,
                f"{first[index]:.10g}, {second[index]:.10g} look like metres, given {given}: "
                + hint,
                "crs",
            )
        good &= degrees & _in_vietnam(points, first, second, degrees)
    else:
        for index in np.flatnonzero(degrees):
            points.error(
                index,
                f"{first[index]:.10g}, {second[index]:.10g} look like lon/lat degrees, but "
                f"--crs {crs_label(crs)} is in metres: give X/Y in metres, or lon/lat "
                "without --crs",
                "crs",
            )
        good &= ~degrees
        first, second = _easting_first(points, first, second, good)
    lon, lat = np.full(first.size, np.nan), np.full(first.size, np.nan)
    if good.any():
        source = CRS(WGS84) if crs is None else crs
        frame = gpd.GeoDataFrame(geometry=shapely.points(first[good], second[good]), crs=source)
        xy = shapely.get_coordinates(to_wgs84(frame).geometry.to_numpy())
        lon[good], lat[good] = xy[:, 0], xy[:, 1]
    if crs is not None and not crs.is_geographic:  # a wrong zone lands elsewhere
        west, south, east, north = VIETNAM_LONLAT_BOUNDS
        inside = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        for index in np.flatnonzero(good & ~inside):
            points.error(
                index,
                f"with --crs {crs_label(crs)} the point falls at lon {lon[index]:g}, lat "
                f"{lat[index]:g}, outside Vietnam: is it another zone?",
                "crs",
            )
        good &= inside
    return lon.round(DECIMALS), lat.round(DECIMALS), good


def _in_vietnam(
    points: _Points,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    candidates: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Degrees in Vietnam; the others are errors, "swapped?" when a number sits in the
    other axis's range."""
    west, south, east, north = VIETNAM_LONLAT_BOUNDS
    lon_ok = (lon >= west) & (lon <= east)
    lat_ok = (lat >= south) & (lat <= north)
    inside = lon_ok & lat_ok
    for index in np.flatnonzero(candidates & ~inside):
        a, b = lon[index], lat[index]
        swapped = south <= a <= north or west <= b <= east
        message = (
            f"lon {a:g}, lat {b:g} lies outside Vietnam (lon {west:g} to {east:g}, "
            f"lat {south:g} to {north:g})"
        )
        if swapped:
            message += ": lon and lat swapped?"
        points.error(index, message, "swapped" if swapped else "out_of_range")
    return inside


def _easting_first(
    points: _Points,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    good: NDArray[np.bool_],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Metres with the easting first: a file whose X holds northings and Y eastings (as
    VN-2000 survey tables write them) is read so, with a warning."""
    if not good.any():
        return x, y
    north_x = _NORTHINGS[0] <= float(np.median(x[good])) <= _NORTHINGS[1]
    east_y = _EASTINGS[0] <= float(np.median(y[good])) <= _EASTINGS[1]
    if not (north_x and east_y):
        return x, y
    first = points.rows[int(np.flatnonzero(good)[0])]
    first.problems.warning(
        f"'{points.fields[0]}' gives the northing first and the easting second, as VN-2000 "
        "survey tables write X and Y; read so",
        field=points.fields[0],
    )
    return y, x


def _metres_hint(x: NDArray[np.float64], y: NDArray[np.float64]) -> str:
    """What to pass: the CRSs whose area holds these metres (easting first or second)."""
    if x.size == 0:
        return ""
    found: list[CRS] = []
    for east, north in ((x, y), (y, x)):
        bounds = (float(east.min()), float(north.min()), float(east.max()), float(north.max()))
        found += [crs for crs in likely_metric_crs(bounds) if crs not in found]
    if not found:
        return "pass their CRS with --crs (e.g. --crs EPSG:9210, VN-2000 TM-3)"
    shown = ", ".join(crs_label(crs) for crs in found[:_SHOWN_CRS])
    return f"pass their CRS with --crs; likely: {shown}"


def _place(
    points: _Points,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    good: NDArray[np.bool_],
    models: list[dict[str, Any]],
    units: pd.DataFrame,
) -> None:
    """Place the good points in their villages and write them into their team records."""
    commune_of = {model["model_id"]: model["unit_code"] for model in models}
    type_of = {model["model_id"]: model["type_code"] for model in models}
    at = np.flatnonzero(good)
    named = np.asarray([commune_of.get(points.teams[i]["model_id"]) for i in at], dtype=object)
    villages = units[units["level"] == int(Level.VILLAGE)]
    placed = place_in_villages(lon[at], lat[at], villages, named)
    names = units.drop_duplicates("code", keep="last").set_index("code")["name"]
    level = units.drop_duplicates("code", keep="last").set_index("code")["level"]
    refused = set()
    for row_at, kind, unit_code, unit_commune, named_commune in placed.problems.itertuples(
        index=False
    ):
        index = int(at[int(row_at)])
        refused.add(index)
        where = f"lon {lon[index]:.6f}, lat {lat[index]:.6f}"
        if kind == "outside":
            message = (
                f"the point ({where}) lies in no village's area: import the village "
                "boundaries, correct the point, or leave both coordinates empty"
            )
        else:
            message = (
                f"the point ({where}) lies in {_named(names, unit_code)} of "
                f"{_named(names, unit_commune)}, not in {_named(names, named_commune)} "
                "that the row names"
            )
        points.error(index, message, str(kind))
    for position, index in enumerate(at.tolist()):
        if index in refused:
            continue
        team, row, village = points.teams[index], points.rows[index], placed.code[position]
        given = team["unit_code"]
        if given != village and level.get(given) == int(Level.VILLAGE):
            row.problems.warning(
                f"the point lies in {_named(names, village)}, the row names "
                f"{_named(names, given)}: the point's village is kept",
                row=row.number,
                field=points.fields[index],
            )
        team["unit_code"] = village
        team["lon"], team["lat"] = float(lon[index]), float(lat[index])
        if type_of.get(team["model_id"]) == CAMERA_MODEL_TYPE and team.get("cameras") is None:
            team["cameras"] = 1


def _named(names: pd.Series, code: object) -> str:
    name = names.get(code)
    return f"{name} ({code})" if isinstance(name, str) else f"'{code}'"

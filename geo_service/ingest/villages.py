"""Approximate village areas derived from village points.

Village boundaries are rarely digitised (shared/DOMAIN.md §4): a commune often knows only
a list of its villages and one point each (the cultural house). Splitting every commune
among its village points by nearest point (a Voronoi partition clipped to the commune)
gives areas good enough to colour a coverage map. They are flagged
``geometry_quality = "approximate"`` so every map and download can say so.

Typical use (``communes``: the level-3 rows of a unit frame)::

    points, report = read_village_points(Path("data/boundaries/village_points.csv"))
    areas, area_report = derive_village_areas(points, communes, file_name=report.file)
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo_service.domain import (
    GEOMETRY_APPROXIMATE,
    METRIC_CRS,
    UNIT_COLUMNS,
    UNIT_TYPES,
    WGS84,
    Level,
)
from geo_service.names import fold, match_key, nfc, split_unit_type
from geo_service.validate import ValidationReport

VORONOI_SOURCE = "derived from village points (Voronoi)"
# A village point this close outside its commune is a digitising slip, not a wrong commune.
OUTSIDE_TOLERANCE_M = 50.0
# Two villages closer than this share one location: a copy-paste slip in the file.
SAME_PLACE_M = 1.0
FALLBACK_VILLAGE_TYPE = "khu_dan_cu"
VILLAGE_TYPES = {slug: word for slug, (word, level) in UNIT_TYPES.items() if level == Level.VILLAGE}
REQUIRED_CSV_COLUMNS = ("commune_code", "name", "lon", "lat")
POINT_COLUMNS = [
    "row",
    *REQUIRED_CSV_COLUMNS[:2],
    "unit_type",
    "households",
    "population",
    "lon",
    "lat",
]
COORDINATES_FIELD = "lon/lat"
_POLYGONAL = ("Polygon", "MultiPolygon")


# Folded type word -> slug, for a type given in its own column ("Tổ dân phố", "tdp").
_SLUG_BY_WORD = {fold(word): slug for slug, word in VILLAGE_TYPES.items()}


# --------------------------------------------------------------------------- reading


def read_village_points(
    path: Path, *, file_name: str | None = None
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a UTF-8 CSV of village points with ``lon``/``lat`` columns (EPSG:4326).

    Columns: commune_code, name, lon, lat; optional unit_type, households, population.
    Text is normalised to NFC. Rows whose coordinates are unusable are reported (row =
    spreadsheet row, header = 1) and left out of the returned frame, which keeps the
    spreadsheet row number in column ``row``.
    """
    report = ValidationReport(file_name or path.name)
    empty = gpd.GeoDataFrame(columns=POINT_COLUMNS, geometry=[], crs=WGS84)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        report.error("file is not UTF-8 text; save it as CSV UTF-8", code="encoding")
        return empty, report
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        report.error(f"not a readable CSV file: {exc}", code="unreadable")
        return empty, report
    table.columns = [nfc(str(c)).lower() for c in table.columns]
    missing = [c for c in REQUIRED_CSV_COLUMNS if c not in table.columns]
    for column in missing:
        report.error(f"missing column '{column}'", row=1, field=column, code="missing_column")
    if missing:
        return empty, report
    records = [
        _read_row(row, number, report)
        for number, (_, row) in enumerate(table.iterrows(), start=2)  # header is row 1
    ]
    kept = [r for r in records if r is not None]
    if not kept:
        return empty, report
    frame = pd.DataFrame(kept)
    geometry = gpd.points_from_xy(frame["lon"], frame["lat"])
    points = gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)
    for column in ("households", "population"):
        points[column] = pd.array(points[column], dtype="Int64")
    return points, report


def _read_row(row: pd.Series, number: int, report: ValidationReport) -> dict[str, object] | None:
    def text(column: str) -> str:
        value = row.get(column, "")
        return nfc(str(value))

    code = text("commune_code")
    if code.isdigit() and len(code) < 5:
        report.warning(
            f"commune code '{code}' padded to '{code.zfill(5)}' (lost leading zeros)",
            row=number,
            field="commune_code",
            code="padded_code",
        )
        code = code.zfill(5)
    lon = _number(text("lon"), number, "lon", report)
    lat = _number(text("lat"), number, "lat", report)
    record: dict[str, object] = {
        "row": number,
        "commune_code": code,
        "name": text("name"),
        "unit_type": text("unit_type"),
        "households": _count(text("households"), number, "households", report),
        "population": _count(text("population"), number, "population", report),
    }
    if lon is None or lat is None or not _coordinates_ok(lon, lat, number, report):
        return None
    return record | {"lon": lon, "lat": lat}


def _number(value: str, row: int, field: str, report: ValidationReport) -> float | None:
    if not value:
        report.error("value is missing", row=row, field=field, code="missing")
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")  # decimal comma, as Vietnamese spreadsheets write it
    try:
        number = float(value)
    except ValueError:
        report.error(f"not a number: '{value}'", row=row, field=field, code="not_a_number")
        return None
    if not np.isfinite(number):
        report.error(f"not a finite number: '{value}'", row=row, field=field, code="not_a_number")
        return None
    return number


def _count(value: str, row: int, field: str, report: ValidationReport) -> int | None:
    if not value:
        return None
    try:
        number = float(value.replace(" ", ""))
    except ValueError:
        number = -1.0
    if number < 0 or not number.is_integer():
        report.error(
            f"not a whole number >= 0: '{value}'", row=row, field=field, code="not_a_count"
        )
        return None
    return int(number)


def _coordinates_ok(lon: float, lat: float, row: int, report: ValidationReport) -> bool:
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        report.error(
            f"coordinates out of range: lon {lon}, lat {lat}",
            row=row,
            field=COORDINATES_FIELD,
            code="out_of_range",
        )
        return False
    if 8 <= lon <= 24 and 102 <= lat <= 110:
        report.error(
            "lon and lat look swapped (Vietnam is near lon 102-110, lat 8-24)",
            row=row,
            field=COORDINATES_FIELD,
            code="swapped",
        )
        return False
    return True


# --------------------------------------------------------------------------- areas


def derive_village_areas(
    points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, *, file_name: str
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Approximate village areas: each commune split among its village points.

    Parameters
    ----------
    points
        One point per village: commune_code, name, optional unit_type (slug or
        Vietnamese word; inferred from the name when empty), households, population,
        and ``row`` (the source row, used in problems; else the 1-based feature number).
    communes
        Unit frame of the parent communes (``code``, geometry; one unit per code).
    file_name
        Named in every problem of the returned report.

    Returns
    -------
    The village units (domain.UNIT_COLUMNS + geometry, level 4, EPSG:4326) and the report.
    Rows with errors are reported and left out; the areas of the others are still given.
    """
    if points.crs is None or communes.crs is None:
        raise ValueError("points and communes need a CRS")
    if communes["code"].duplicated().any():
        raise ValueError("communes repeat a code: pass the units valid at one date")
    report = ValidationReport(file_name)
    table = _normalised(points.to_crs(WGS84))
    parents = communes.assign(code=communes["code"].astype(str)).set_index("code")
    shapes = gpd.GeoSeries(parents.geometry.values, index=parents.index, crs=communes.crs).to_crs(
        METRIC_CRS
    )
    sites = gpd.GeoSeries(table.geometry.values, index=table.index, crs=WGS84).to_crs(METRIC_CRS)
    shapeless = set(shapes.index[shapes.isna() | shapes.is_empty])
    ok = _check_rows(table, set(shapes.index), shapeless, report)
    ok &= _check_locations(table, sites, shapes, ok, report)
    good = table[ok]
    cells = _village_cells(good["commune_code"], sites[ok], shapes).to_crs(WGS84)
    return _village_units(good, cells, parents), report


def _normalised(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = points.reset_index(drop=True).copy()
    if "row" not in table.columns:
        table["row"] = np.arange(1, len(table) + 1)
    for column in ("commune_code", "name", "unit_type"):
        values = table[column] if column in table.columns else pd.Series("", index=table.index)
        table[column] = [
            "" if pd.isna(v) else nfc(str(v))
            for v in values
        ]
    for column in ("households", "population"):
        values = table[column] if column in table.columns else [None] * len(table)
        table[column] = pd.array(values, dtype="Int64")
    return table


def _check_rows(
    table: gpd.GeoDataFrame, known: set[str], shapeless: set[str], report: ValidationReport
) -> pd.Series:
    """Name, commune code, type and duplicate checks; infers missing types in place."""
    ok: list[bool] = []
    types: list[str] = []
    first_row: dict[tuple[str, str], int] = {}
    columns = [table[c].tolist() for c in ("row", "commune_code", "name", "unit_type")]
    for raw_row, code, name, given in zip(*columns, strict=True):
        row = int(raw_row)
        good = _commune_ok(code, known, shapeless, row, report)
        if not name:
            report.error("village name is missing", row=row, field="name", code="missing")
            ok.append(False)
            types.append(given)
            continue
        key = (code, match_key(name, Level.VILLAGE))
        if key in first_row:
            report.error(
                f"village '{name}' repeats row {first_row[key]} in commune {code}",
                row=row,
                field="name",
                code="duplicate",
            )
            good = False
        first_row.setdefault(key, row)
        slug = _village_type(given, name, row, report)
        ok.append(good and slug is not None)
        types.append(slug or given)
    table["unit_type"] = types
    return pd.Series(ok, index=table.index)


def _commune_ok(
    code: str, known: set[str], shapeless: set[str], row: int, report: ValidationReport
) -> bool:
    if code not in known:
        report.error(
            f"unknown commune code '{code}'", row=row, field="commune_code", code="unknown_commune"
        )
        return False
    if code in shapeless:
        report.error(
            f"commune {code} has no boundary to divide",
            row=row,
            field="commune_code",
            code="commune_without_geometry",
        )
        return False
    return True


def _village_type(given: str, name: str, row: int, report: ValidationReport) -> str | None:
    if given:
        key = fold(given)
        slug = key.replace(" ", "_") if key.replace(" ", "_") in VILLAGE_TYPES else None
        slug = slug or _SLUG_BY_WORD.get(key) or split_unit_type(given, Level.VILLAGE)[0]
        if slug is None:
            report.error(
                f"unknown village type '{given}'; use one of {sorted(VILLAGE_TYPES)}",
                row=row,
                field="unit_type",
                code="unknown_type",
            )
        return slug
    slug, _ = split_unit_type(name, Level.VILLAGE)
    if slug is not None and slug in VILLAGE_TYPES:
        return slug
    report.warning(
        f"no village type in the name; using '{FALLBACK_VILLAGE_TYPE}'",
        row=row,
        field="unit_type",
        code="type_assumed",
    )
    return FALLBACK_VILLAGE_TYPE


def _check_locations(
    table: gpd.GeoDataFrame,
    sites: gpd.GeoSeries,
    shapes: gpd.GeoSeries,
    ok: pd.Series,
    report: ValidationReport,
) -> pd.Series:
    """Points must lie in their commune (50 m slack) and not on top of another village."""
    field = COORDINATES_FIELD if "lon" in table.columns else "geometry"
    index = table.index[ok]
    codes = table.loc[index, "commune_code"].to_numpy()
    points = np.asarray(sites.loc[index].values, dtype=object)
    missing = shapely.is_missing(points) | shapely.is_empty(points)
    distance = shapely.distance(points, np.asarray(shapes.loc[codes].values, dtype=object))
    placed = ~missing & (distance <= OUTSIDE_TOLERANCE_M)
    twins = _earlier_twins(points, codes, placed)
    good = pd.Series(True, index=table.index)
    rows = table.loc[index, "row"].astype(int).to_numpy()
    for n, i in enumerate(index):
        row, code = int(rows[n]), codes[n]
        if missing[n]:
            report.error("point has no location", row=row, field=field, code="missing")
        elif distance[n] > OUTSIDE_TOLERANCE_M:
            report.error(
                f"point lies {distance[n]:,.0f} m outside commune {code}",
                row=row,
                field=field,
                code="outside_commune",
            )
        elif n in twins:
            report.error(
                f"point is at the same place as row {rows[twins[n]]}",
                row=row,
                field=field,
                code="same_place",
            )
        else:
            if distance[n] > 0:
                report.warning(
                    f"point lies {distance[n]:,.0f} m outside commune {code}; its "
                    "area is built from the nearest point inside",
                    row=row,
                    field=field,
                    code="outside_commune",
                )
            continue
        good[i] = False
    return good


def _earlier_twins(points: np.ndarray, codes: np.ndarray, placed: np.ndarray) -> dict[int, int]:
    """Position -> first earlier position of the same commune within SAME_PLACE_M."""
    usable = np.flatnonzero(placed)
    tree = shapely.STRtree(points[usable])
    left, right = tree.query(points[usable], predicate="dwithin", distance=SAME_PLACE_M)
    later, earlier = usable[left], usable[right]
    keep = (earlier < later) & (codes[earlier] == codes[later])
    twins: dict[int, int] = {}
    for a, b in sorted(zip(later[keep].tolist(), earlier[keep].tolist(), strict=True)):
        twins.setdefault(a, b)
    return twins


def _village_cells(codes: pd.Series, sites: gpd.GeoSeries, shapes: gpd.GeoSeries) -> gpd.GeoSeries:
    """Metric Voronoi cell of every site within its commune, aligned with ``sites``."""
    index: list[object] = []
    cells: list[BaseGeometry] = []
    for code, members in codes.groupby(codes, sort=False).groups.items():
        commune = shapes[code]
        shapely.prepare(commune)
        inside = [
            s if commune.covers(s) else nearest_points(commune, s)[0] for s in sites.loc[members]
        ]
        index.extend(members)
        cells.extend(voronoi_cells(inside, commune))
    found = gpd.GeoSeries(cells, index=index, crs=METRIC_CRS)
    return found.reindex(sites.index)


def _village_units(
    good: gpd.GeoDataFrame, cells: gpd.GeoSeries, parents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    codes = good["commune_code"]
    frame = pd.DataFrame(
        {
            "name": good["name"],
            "unit_type": good["unit_type"],
            "level": int(Level.VILLAGE),
            "parent_code": codes,
            "population": good["population"],
            "households": good["households"],
            "valid_from": codes.map(parents["valid_from"]) if "valid_from" in parents else None,
            "valid_to": codes.map(parents["valid_to"]) if "valid_to" in parents else None,
            "geometry_quality": GEOMETRY_APPROXIMATE,
            "label_lon": good.geometry.x,
            "label_lat": good.geometry.y,
            "source": VORONOI_SOURCE,
            "geometry": cells,
        },
        index=good.index,
    )
    pairs = zip(frame["parent_code"].tolist(), frame["name"].tolist(), strict=True)
    keys = [(c, _natural_key(n)) for c, n in pairs]
    frame = frame.iloc[sorted(range(len(frame)), key=keys.__getitem__)].reset_index(drop=True)
    number = (frame.groupby("parent_code").cumcount() + 1).tolist()
    frame["code"] = [f"{c}-{n:03d}" for c, n in zip(frame["parent_code"], number, strict=True)]
    return gpd.GeoDataFrame(frame[[*UNIT_COLUMNS, "geometry"]], geometry="geometry", crs=WGS84)


def voronoi_cells(sites: list[BaseGeometry], area: BaseGeometry) -> list[BaseGeometry]:
    """Split ``area`` into one cell per site (nearest-site rule), in the sites' order.

    Metric coordinates in, metric out; one site gets the whole area.
    """
    if len(sites) == 1:
        return [area]
    diagram = shapely.voronoi_polygons(shapely.multipoints(sites), extend_to=area, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(sites):
        raise ValueError("sites must be distinct points")
    shapely.prepare(area)
    inner = shapely.contains_properly(area, cells)  # most cells need no clipping
    cells[~inner] = shapely.intersection(cells[~inner], area)
    return [c if c.geom_type in _POLYGONAL else _polygonal(c) for c in cells]


def _polygonal(geometry: BaseGeometry) -> BaseGeometry:
    """Drop the points and lines an intersection can leave along shared edges."""
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in _POLYGONAL]
    return shapely.union_all(parts) if len(parts) != 1 else parts[0]


def _natural_key(name: str) -> list[tuple[int, int, str]]:
    """Sort "Thôn 2" before "Thôn 10": digit runs compare as numbers; ties by exact name."""
    parts = [p for p in re.split(r"(\d+)", fold(name)) if p]
    key = [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts]
    return [*key, (2, 0, name)]

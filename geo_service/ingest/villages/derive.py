"""Approximate village areas derived from village points, and villages known by name only.

Village boundaries are rarely digitised (shared/DOMAIN.md §4): a commune often knows only
a list of its villages and one point each (the cultural house). Splitting every commune
among its village points by nearest point (a Voronoi partition clipped to the commune)
gives areas good enough to colour a coverage map. They are flagged
``geometry_quality = "approximate"`` so every map and download can say so. A village with
no point at all is kept with no geometry (``geometry_quality = "none"``): it counts in
every roll-up and is listed as "no geometry"; its commune is divided among the others.
Reading the points (any format) is ``ingest.village_points``, re-exported here.

Typical use (``communes``: the level-3 rows of a unit frame)::

    points, report = read_village_points(Path("data/boundaries/village_points.csv"))
    areas, area_report = derive_village_areas(points, communes, file_name=report.file)
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from geo_service.domain import (
    GEOMETRY_APPROXIMATE,
    GEOMETRY_NONE,
    METRIC_CRS,
    UNIT_COLUMNS,
    UNIT_TYPES,
    WGS84,
    Level,
)
from geo_service.ingest.report import Place, ValidationReport
from geo_service.ingest.villages.points import (
    LOCATION_FIELD_ATTR,
    POINT_COLUMNS,
    read_village_points,
)
from geo_service.text.names import fold, match_key, nfc, split_unit_type

__all__ = ["POINT_COLUMNS", "derive_village_areas", "read_village_points", "voronoi_cells"]

VORONOI_SOURCE = "derived from village points (Voronoi)"
LIST_SOURCE = "village list (no location)"
NO_LOCATION = "no location: the village counts in every roll-up and is listed as 'no geometry'"
# A village point this close outside its commune is a digitising slip, not a wrong commune.
OUTSIDE_TOLERANCE_M = 50.0
# Two villages closer than this share one location: a copy-paste slip in the file.
SAME_PLACE_M = 1.0
FALLBACK_VILLAGE_TYPE = "khu_dan_cu"
VILLAGE_TYPES = {slug: word for slug, (word, level) in UNIT_TYPES.items() if level == Level.VILLAGE}
COORDINATES_FIELD = "lon/lat"
_POLYGONAL = ("Polygon", "MultiPolygon")


# Folded type word -> slug, for a type given in its own column ("Tổ dân phố", "tdp").
_SLUG_BY_WORD = {fold(word): slug for slug, word in VILLAGE_TYPES.items()}


# --------------------------------------------------------------------------- areas


def derive_village_areas(
    points: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, *, file_name: str
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Approximate village areas: each commune split among its village points.

    Villages without a point (geometry None or empty) are kept with no geometry and a
    warning; their commune is split among the villages that have one.

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
    located = ~(sites.isna() | sites.is_empty)
    ok = _check_rows(table, set(shapes.index), shapeless, located, report)
    ok &= _check_locations(table, sites, shapes, ok & located, report)
    for row in table.loc[ok & ~located, "row"]:
        report.warning(NO_LOCATION, row=int(row), field=_location_field(table), code="no_location")
    placed = ok & located
    cells = _village_cells(table.loc[placed, "commune_code"], sites[placed], shapes)
    good = table[ok]
    return _village_units(good, cells.to_crs(WGS84).reindex(good.index), parents), report


def _location_field(table: gpd.GeoDataFrame) -> str:
    """The field location problems name: as ``read_village_points`` says, else by columns."""
    given = table.attrs.get(LOCATION_FIELD_ATTR)
    if isinstance(given, str):
        return given
    return COORDINATES_FIELD if "lon" in table.columns else "geometry"


def _normalised(points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    table = points.reset_index(drop=True).copy()
    if "row" not in table.columns:
        table["row"] = np.arange(1, len(table) + 1)
    for column in ("commune_code", "name", "unit_type"):
        values = table[column] if column in table.columns else pd.Series("", index=table.index)
        table[column] = ["" if pd.isna(v) else nfc(str(v)) for v in values]
    for column in ("households", "population"):
        values = table[column] if column in table.columns else [None] * len(table)
        table[column] = pd.array(values, dtype="Int64")
    return table


def _check_rows(
    table: gpd.GeoDataFrame,
    known: set[str],
    shapeless: set[str],
    located: pd.Series,
    report: ValidationReport,
) -> pd.Series:
    """Name, commune code, type and duplicate checks; infers missing types in place.

    Only a village with a point needs its commune's boundary (to divide it).
    """
    ok: list[bool] = []
    types: list[str] = []
    first_row: dict[tuple[str, str], int] = {}
    columns = [table[c].tolist() for c in ("row", "commune_code", "name", "unit_type")]
    for raw_row, code, name, given, has_point in zip(*columns, located.tolist(), strict=True):
        row = int(raw_row)
        good = _commune_ok(code, known, shapeless if has_point else set(), row, report)
        at_name = Place(row=row, field="name")
        if not name:
            report.error("village name is missing", code="missing", **at_name)
            ok.append(False)
            types.append(given)
            continue
        key = (code, match_key(name, Level.VILLAGE))
        if key in first_row:
            repeated = f"village '{name}' repeats row {first_row[key]} in commune {code}"
            report.error(repeated, code="duplicate", **at_name)
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
    at = Place(row=row, field="commune_code")
    if code not in known:
        report.error(f"unknown commune code '{code}'", code="unknown_commune", **at)
        return False
    if code in shapeless:
        problem = f"commune {code} has no boundary to divide"
        report.error(problem, code="commune_without_geometry", **at)
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
    """Points must lie in their commune (50 m slack) and not on top of another village.

    ``ok`` marks the rows to check: those with a point and no error so far.
    """
    field = _location_field(table)
    index = table.index[ok]
    codes = table.loc[index, "commune_code"].to_numpy()
    points = np.asarray(sites.loc[index].values, dtype=object)
    distance = shapely.distance(points, np.asarray(shapes.loc[codes].values, dtype=object))
    twins = _earlier_twins(points, codes, distance <= OUTSIDE_TOLERANCE_M)
    good = pd.Series(True, index=table.index)
    rows = table.loc[index, "row"].astype(int).to_numpy()
    for n, i in enumerate(index):
        at = Place(row=int(rows[n]), field=field)
        if distance[n] > OUTSIDE_TOLERANCE_M:
            outside = f"point lies {distance[n]:,.0f} m outside commune {codes[n]}"
            report.error(outside, code="outside_commune", **at)
        elif n in twins:
            twin = f"point is at the same place as row {rows[twins[n]]}"
            report.error(twin, code="same_place", **at)
        else:
            if distance[n] > 0:
                inside = (
                    f"point lies {distance[n]:,.0f} m outside commune {codes[n]}; its area is "
                    "built from the nearest point inside"
                )
                report.warning(inside, code="outside_commune", **at)
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
    shaped = ~(cells.isna() | cells.is_empty).to_numpy()
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
            "geometry_quality": np.where(shaped, GEOMETRY_APPROXIMATE, GEOMETRY_NONE),
            "label_lon": shapely.get_x(np.asarray(good.geometry.values, dtype=object)),
            "label_lat": shapely.get_y(np.asarray(good.geometry.values, dtype=object)),
            "source": np.where(shaped, VORONOI_SOURCE, LIST_SOURCE),
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

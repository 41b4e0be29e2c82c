"""Geometry checks shared by every reader: the right kind, placed, valid, in EPSG:4326.

Boundaries must be polygons (a GeometryCollection keeps its polygons, invalid polygons
are repaired with a warning, all become MultiPolygons). Village points must be points;
there a missing geometry is not an error but a village known only by name. Every
problem names the row (feature number or spreadsheet row) and the field.
"""

from __future__ import annotations

from collections import Counter

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo_service.domain import WGS84
from geo_service.ingest.crs import resolve_source_crs, to_wgs84
from geo_service.ingest.readers.layers import GEOMETRY_FIELD, Expect, RawLayer
from geo_service.ingest.report import Place, ValidationReport

_POLYGON_IDS = (3, 6)  # shapely type ids: Polygon, MultiPolygon
_POINT_ID, _MULTIPOINT_ID = 0, 4
POINTS_HINT = (
    "village points become approximate village areas with `geo-service villages derive FILE`"
)
POLYGONS_HINT = (
    "village boundaries are imported with `geo-service import boundaries FILE --level 4`"
)


def within_vertex_limit(
    geometry: np.ndarray, rows: np.ndarray, limit: int, report: ValidationReport
) -> np.ndarray:
    """A mask of the rows whose geometry has at most ``limit`` vertices; each other row is
    an error. Checked before any other geometry work, which a huge geometry would slow."""
    vertices = shapely.get_num_coordinates(geometry)
    over = vertices > limit
    for index in np.flatnonzero(over):
        report.error(
            f"the geometry has {int(vertices[index]):,} vertices, more than the limit of "
            f"{limit:,} per feature (GEO_SERVICE_MAX_VERTICES_PER_FEATURE); simplify it "
            "(e.g. QGIS: Vector > Geometry Tools > Simplify) and import it again",
            row=int(rows[index]),
            field=GEOMETRY_FIELD,
            code="too_many_vertices",
        )
    return ~over


def usable_geometries(
    geometry: np.ndarray, rows: np.ndarray, expect: Expect, report: ValidationReport
) -> tuple[np.ndarray, np.ndarray]:
    """Geometries of the expected kind and a mask of the rows to keep.

    Polygons: rows that are not usable polygons are errors and are not kept. Points:
    a missing or empty geometry is kept as None (a village without a location).
    """
    if expect == "points":
        return _points(geometry, rows, report)
    polygons = _polygons(geometry, rows, report)
    return polygons, ~shapely.is_missing(polygons)


def _polygons(geometry: np.ndarray, rows: np.ndarray, report: ValidationReport) -> np.ndarray:
    geometry = geometry.copy()
    polygonal = np.isin(shapely.get_type_id(geometry), _POLYGON_IDS)
    kinds: Counter[str] = Counter()
    for index in np.flatnonzero(~polygonal):
        geometry[index] = _polygonal_row(geometry[index], int(rows[index]), report, kinds)
    if kinds and polygonal.any():
        listed = ", ".join(f"{kind} ({count})" for kind, count in kinds.items())
        report.error(
            f"the file mixes polygons ({int(polygonal.sum())}) with other geometry types: {listed}",
            field=GEOMETRY_FIELD,
            code="mixed_geometry",
        )
    elif set(kinds) == {"Point"}:
        report.error(f"the file holds points, not boundaries: {POINTS_HINT}", field=GEOMETRY_FIELD)
    for index in np.flatnonzero(polygonal & shapely.is_empty(geometry)):
        report.error(
            "empty geometry", row=int(rows[index]), field=GEOMETRY_FIELD, code="empty_geometry"
        )
        geometry[index] = None
    return geometry


def _polygonal_row(
    geom: shapely.Geometry | None, row: int, report: ValidationReport, kinds: Counter[str]
) -> shapely.Geometry | None:
    at = Place(row=row, field=GEOMETRY_FIELD)
    if geom is None or geom.is_empty:
        report.error("empty geometry", code="empty_geometry", **at)
        return None
    kinds[geom.geom_type] += 1
    polygonal = polygonal_part(geom) if geom.geom_type == "GeometryCollection" else None
    if polygonal is None:
        kind = f"geometry is a {geom.geom_type}; a boundary must be a Polygon or MultiPolygon"
        report.error(kind, code="not_polygon", **at)
        return None
    dropped = "non-polygon parts of a GeometryCollection were dropped"
    report.warning(dropped, code="repaired_geometry", **at)
    return polygonal


def _points(
    geometry: np.ndarray, rows: np.ndarray, report: ValidationReport
) -> tuple[np.ndarray, np.ndarray]:
    geometry = geometry.copy()
    geometry[shapely.is_empty(geometry)] = None
    types = shapely.get_type_id(geometry)
    single = (types == _MULTIPOINT_ID) & (shapely.get_num_geometries(geometry) == 1)
    geometry[single] = shapely.get_geometry(geometry[single], 0)
    keep = shapely.is_missing(geometry) | (types == _POINT_ID) | single
    wrong = np.flatnonzero(~keep)
    for index in wrong:
        kind = geometry[index].geom_type
        report.error(
            f"geometry is a {kind}; a village location must be a Point",
            row=int(rows[index]),
            field=GEOMETRY_FIELD,
            code="not_point",
        )
    if len(wrong) and np.isin(types[wrong], _POLYGON_IDS).all() and len(wrong) == keep.size:
        report.error(f"the file holds polygons, not points: {POLYGONS_HINT}", field=GEOMETRY_FIELD)
    geometry[~keep] = None
    return geometry, keep


def placed_in_wgs84(
    layer: RawLayer,
    geometry: np.ndarray,
    keep: np.ndarray,
    user_crs: CRS | None,
    report: ValidationReport,
) -> gpd.GeoDataFrame:
    """The kept rows as a frame in EPSG:4326; raises ``ImportRejected`` on CRS problems."""
    attributes = layer.attributes if keep.all() else layer.attributes[keep]
    frame = gpd.GeoDataFrame(attributes, geometry=gpd.array.from_shapely(geometry[keep]))
    file_crs = layer.crs
    declared = user_crs if user_crs is not None else file_crs
    if user_crs is not None and file_crs is not None and not user_crs.equals(str(file_crs)):
        report.warning(
            f"the file declares {CRS.from_user_input(file_crs).name}; using "
            f"{user_crs.name} as requested",
            field="crs",
            code="crs",
        )
    source, crs_warnings = resolve_source_crs(
        frame, None if declared is None else CRS.from_user_input(declared), report.file
    )
    for message in crs_warnings:
        report.warning(message, field="crs", code="crs")
    return to_wgs84(frame.set_crs(source, allow_override=True))


def repair_and_promote(frame: gpd.GeoDataFrame, report: ValidationReport) -> gpd.GeoDataFrame:
    """make_valid invalid rows (keeping polygons, with a warning), then all MultiPolygon."""
    geometry = np.asarray(frame.geometry.values, dtype=object)
    invalid = np.flatnonzero(~shapely.is_valid(geometry))
    single = shapely.get_type_id(geometry) == _POLYGON_IDS[0]
    if len(invalid) == 0 and not single.any():
        return frame.set_crs(WGS84, allow_override=True)  # the common case: nothing to do
    geometry = geometry.copy()
    for index in invalid:
        geometry[index] = _repaired(geometry[index], int(frame.index[index]), report)
    single = shapely.get_type_id(geometry) == _POLYGON_IDS[0]
    geometry[single] = shapely.multipolygons(geometry[single][:, np.newaxis])
    keep = ~shapely.is_missing(geometry)
    out = frame[keep].copy()
    out[frame.geometry.name] = gpd.array.from_shapely(geometry[keep], crs=WGS84)
    return out.set_crs(WGS84, allow_override=True)


def _repaired(
    geom: shapely.Geometry, row: int, report: ValidationReport
) -> shapely.Geometry | None:
    reason = shapely.is_valid_reason(geom)
    repaired = polygonal_part(shapely.make_valid(geom))
    at = Place(row=row, field=GEOMETRY_FIELD)
    if repaired is None:
        lost = f"invalid geometry ({reason}) has no polygon left after repair"
        report.error(lost, code="invalid_geometry", **at)
    else:
        report.warning(f"invalid geometry ({reason}) was repaired", code="repaired_geometry", **at)
    return repaired


def polygonal_part(geom: shapely.Geometry) -> shapely.MultiPolygon | None:
    """The polygons inside ``geom`` (any nesting) as one MultiPolygon, or None."""
    polygons: list[shapely.Polygon] = []
    pending = [geom]
    while pending:
        part = pending.pop(0)
        if isinstance(part, shapely.Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, shapely.MultiPolygon | shapely.GeometryCollection):
            pending.extend(shapely.get_parts(part).tolist())
    return shapely.MultiPolygon(polygons) if polygons else None

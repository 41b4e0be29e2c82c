"""Read boundary files into unit frames: GeoJSON, GeoPackage, Shapefile (plain or
zipped), KML/KMZ, and CSV/XLSX tables with a WKT column.

``read_boundaries`` turns a file into MultiPolygons in EPSG:4326 with NFC text and a
report; ``normalise_units`` (kept in ``ingest.unit_columns``, re-exported here) maps its
columns onto ``domain.UNIT_COLUMNS``. Neither raises on bad input: problems go into the
report, each naming the file, the row (1-based feature number, or spreadsheet row for
tables) and the field. With ``expect="points"`` the same formats give village points
(tables may then use lon/lat columns), as ``ingest.village_points`` reads them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from geo_service.domain import WGS84
from geo_service.ingest.crs import CRSInputError, parse_crs
from geo_service.ingest.readers.geometry_checks import (
    placed_in_wgs84,
    repair_and_promote,
    usable_geometries,
    within_vertex_limit,
)
from geo_service.ingest.readers.kml import read_kml
from geo_service.ingest.readers.layers import (
    Expect,
    LayerRequest,
    RawLayer,
    clean_gdal_message,
    fail,
    read_gdal_layer,
)
from geo_service.ingest.readers.shapefiles import shapefile_encoding, zipped_shapefile
from geo_service.ingest.readers.tables import TABLE_SUFFIXES
from geo_service.ingest.readers.tabular_geometry import read_table_layer
from geo_service.ingest.report import ImportRejected, ValidationReport
from geo_service.ingest.units.columns import normalise_units
from geo_service.settings import DEFAULT_MAX_VERTICES_PER_FEATURE

__all__ = ["SUPPORTED", "normalise_units", "read_boundaries"]

SUPPORTED = (
    ".geojson, .json, .gpkg, .zip (zipped Shapefile), .shp, .kml, .kmz, "
    ".csv and .xlsx (with a WKT or lon/lat column)"
)
_KML_SUFFIXES = (".kml", ".kmz")
_LAYER_TYPES: dict[Expect, tuple[str, ...]] = {
    "polygons": ("Polygon", "Surface"),
    "points": ("Point",),
}


def read_boundaries(
    path: Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    display_name: str | None = None,
    expect: Expect = "polygons",
    max_vertices: int = DEFAULT_MAX_VERTICES_PER_FEATURE,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a boundary file into MultiPolygons in EPSG:4326, with a validation report.

    ``crs`` sets the source CRS when the file has none or a wrong one; ``layer`` picks a
    GeoPackage layer, a Shapefile in a zip, a KML folder or an XLSX sheet;
    ``display_name`` is the name used in messages (e.g. an upload's original name). The
    frame's index (``feature``, or ``row`` for tables) numbers the rows as problems do;
    rows with errors are left out. ``expect="points"`` reads points instead: rows
    without a location are kept with no geometry. A geometry of more than ``max_vertices``
    vertices is an error (``Settings.max_vertices_per_feature``).
    """
    name = display_name or path.name
    report = ValidationReport(name)
    try:
        request = LayerRequest(path, name, layer, _parse_user_crs(crs, name), expect)
        raw = _usable_rows(_read_layer(request, report))
        raw = _kept(raw, within_vertex_limit(raw.geometry, _rows(raw), max_vertices, report))
        rows = _rows(raw)
        geometry, keep = usable_geometries(raw.geometry, rows, expect, report)
        frame = placed_in_wgs84(raw, geometry, keep, request.crs, report)
    except ImportRejected as rejected:
        report.extend(rejected.report)
        return _empty_frame(), report
    if expect == "points":
        return frame.set_crs(WGS84, allow_override=True), report
    return repair_and_promote(frame, report), report


def _parse_user_crs(crs: str | None, name: str) -> CRS | None:
    if crs is None:
        return None
    try:
        return parse_crs(crs)
    except CRSInputError as problem:
        fail(name, str(problem), field="crs")


def _read_layer(request: LayerRequest, report: ValidationReport) -> RawLayer:
    path, name = request.path, request.name
    if not path.is_file():
        fail(name, "file not found")
    if path.stat().st_size == 0:
        fail(name, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return read_table_layer(request, report)
    if suffix in _KML_SUFFIXES:
        return read_kml(request, report)
    if suffix == ".zip":
        gdal_path, encoding = zipped_shapefile(path, name, request.layer, report)
        return read_gdal_layer(gdal_path, None, encoding, path, name, report)
    if suffix == ".shp":
        encoding = shapefile_encoding(path, name, report)
        return read_gdal_layer(str(path), None, encoding, path, name, report)
    if suffix == ".gpkg":
        chosen = _gpkg_layer(request, report)
        return read_gdal_layer(str(path), chosen, None, path, name, report)
    if suffix in (".geojson", ".json"):
        return read_gdal_layer(str(path), None, None, path, name, report)
    fail(name, f"unsupported file type '{path.suffix}'; use {SUPPORTED}")


def _usable_rows(raw: RawLayer) -> RawLayer:
    """Leave out the rows the reader has already reported as errors."""
    if raw.rejected is None or not raw.rejected.any():
        return raw
    return _kept(raw, ~raw.rejected)


def _kept(raw: RawLayer, keep: np.ndarray) -> RawLayer:
    if keep.all():
        return raw
    return RawLayer(raw.attributes[keep], raw.geometry[keep], raw.crs)


def _rows(raw: RawLayer) -> np.ndarray:
    return raw.attributes.index.to_numpy()


def _gpkg_layer(request: LayerRequest, report: ValidationReport) -> str:
    path, name, layer, expect = request.path, request.name, request.layer, request.expect
    try:
        layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except (RuntimeError, OSError) as problem:
        fail(
            name,
            f"cannot read the file as a GeoPackage: {clean_gdal_message(problem, path, name)}",
        )
    listed = ", ".join(f"{n} ({t})" for n, t in layers)
    if layer is not None:
        if layer not in {n for n, _ in layers}:
            fail(name, f"no layer {layer!r}; layers: {listed}", field="layer")
        return layer
    kind = "polygon" if expect == "polygons" else "point"
    fitting = [n for n, t in layers if any(word in t for word in _LAYER_TYPES[expect])]
    if not fitting:
        fail(name, f"no {kind} layer in the GeoPackage; layers: {listed}", field="layer")
    if len(fitting) > 1:
        report.warning(
            f"several {kind} layers ({', '.join(fitting)}); read "
            f"{fitting[0]!r}, choose another with --layer",
            field="layer",
        )
    return fitting[0]


def _empty_frame() -> gpd.GeoDataFrame:
    index = pd.RangeIndex(0, name="feature")
    geometry = gpd.GeoSeries(np.array([], dtype=object), crs=WGS84, index=index)
    return gpd.GeoDataFrame(index=index, geometry=geometry)

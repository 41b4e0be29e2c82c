"""Read boundary files (GeoJSON, GeoPackage, zipped or plain Shapefile) into unit frames.

``read_boundaries`` turns a file into MultiPolygons in EPSG:4326 with NFC text and a
report; ``normalise_units`` (kept in ``ingest.unit_columns``, re-exported here) maps its
columns onto ``domain.UNIT_COLUMNS``. Neither raises on bad input: problems go into the
report, each naming the file, the 1-based feature number and the field.
"""

from __future__ import annotations

import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.raw import read as read_raw
from pyproj import CRS

from geo_service.crs import CRSInputError, parse_crs, resolve_source_crs, to_wgs84
from geo_service.domain import WGS84
from geo_service.ingest.unit_columns import normalise_units
from geo_service.validate import ImportRejected, ValidationReport, reject

__all__ = ["normalise_units", "read_boundaries"]

MAX_UNZIPPED_BYTES = 1 << 30
MAX_ZIP_RATIO = 100
SUPPORTED = ".geojson, .json, .gpkg, .zip (zipped Shapefile), .shp"
_CP1258 = "cp1258"
_LATIN1 = "ISO-8859-1"
_GEOMETRY = "geometry"


def read_boundaries(
    path: Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    display_name: str | None = None,
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Read a boundary file into MultiPolygons in EPSG:4326, with a validation report.

    ``crs`` sets the source CRS when the file has none or a wrong one; ``layer`` picks a
    GeoPackage layer or one Shapefile in a zip; ``display_name`` is the name used in
    messages (e.g. an upload's original name). The frame's index, named ``feature``, is
    the 1-based feature number in the file; rows with geometry errors are left out.
    """
    name = display_name or path.name
    report = ValidationReport(name)
    try:
        user_crs = _parse_user_crs(crs, name)
        gdal_path, gdal_layer, encoding = _locate(path, name, layer, report)
        meta, wkb, attributes = _read(gdal_path, gdal_layer, encoding, path, name)
        geometry = _polygonal_geometries(wkb, report)
        frame = _reproject(attributes, geometry, user_crs, meta.get("crs"), report)
    except ImportRejected as rejected:
        report.extend(rejected.report)
        return _empty_frame(), report
    return _repair_and_promote(frame, report), report


def _parse_user_crs(crs: str | None, name: str) -> CRS | None:
    if crs is None:
        return None
    try:
        return parse_crs(crs)
    except CRSInputError as problem:
        _fail(name, str(problem), field="crs")


def _locate(
    path: Path, name: str, layer: str | None, report: ValidationReport
) -> tuple[str, str | None, str | None]:
    """GDAL path, layer and text encoding to read ``path`` with."""
    if not path.is_file():
        _fail(name, "file not found")
    if path.stat().st_size == 0:
        _fail(name, "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _zipped_shapefile(path, name, layer, report)
    if suffix == ".shp":
        return str(path), None, _shapefile_encoding(path, name, report)
    if suffix == ".gpkg":
        return str(path), _gpkg_layer(path, name, layer, report), None
    if suffix in (".geojson", ".json"):
        return str(path), None, None
    _fail(name, f"unsupported file type '{path.suffix}'; use {SUPPORTED}")


def _zipped_shapefile(
    path: Path, name: str, layer: str | None, report: ValidationReport
) -> tuple[str, str | None, str | None]:
    if not zipfile.is_zipfile(path):
        _fail(name, "not a zip archive (or a damaged one)")
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
            _refuse_zip_bomb(members, name)
            by_lower = {info.filename.lower(): info.filename for info in members}
            shp = _pick_shapefile(
                sorted(n for n in by_lower.values() if n.lower().endswith(".shp")), name, layer
            )
            stem = shp[:-4].lower()
            _require_sidecars(stem, set(by_lower), name, shp)
            cpg = by_lower.get(f"{stem}.cpg")
            encoding = _text_encoding(
                archive.read(cpg) if cpg else None,
                lambda: archive.read(by_lower[f"{stem}.dbf"]),
                report,
            )
    except (zipfile.BadZipFile, OSError) as problem:
        _fail(name, f"cannot read the zip archive: {problem}")
    return f"/vsizip/{path}/{shp}", None, encoding


def _refuse_zip_bomb(members: list[zipfile.ZipInfo], name: str) -> None:
    unzipped = sum(info.file_size for info in members)
    compressed = sum(info.compress_size for info in members)
    if unzipped > MAX_UNZIPPED_BYTES or unzipped > MAX_ZIP_RATIO * max(compressed, 1):
        _fail(
            name,
            f"refused: the zip expands to {unzipped:,} bytes from {compressed:,} "
            f"(limits: {MAX_UNZIPPED_BYTES:,} bytes, ratio {MAX_ZIP_RATIO})",
        )


def _pick_shapefile(shapefiles: list[str], name: str, layer: str | None) -> str:
    if not shapefiles:
        _fail(name, "the zip contains no .shp file")
    if layer is not None:
        chosen = [s for s in shapefiles if Path(s).stem.lower() == layer.lower()]
        if not chosen:
            _fail(
                name,
                f"the zip has no shapefile {layer!r}; it has: {', '.join(shapefiles)}",
                field="layer",
            )
        return chosen[0]
    if len(shapefiles) > 1:
        _fail(
            name,
            f"the zip holds several shapefiles ({', '.join(shapefiles)}); choose one with --layer",
            field="layer",
        )
    return shapefiles[0]


def _require_sidecars(stem: str, present: set[str], name: str, shp: str) -> None:
    missing = [ext for ext in (".dbf", ".shx") if f"{stem}{ext}" not in present]
    if missing:
        _fail(
            name,
            f"{shp} is incomplete: missing {' and '.join(missing)} "
            "(a Shapefile needs .shp, .shx and .dbf; .prj and .cpg are strongly advised)",
        )


def _shapefile_encoding(path: Path, name: str, report: ValidationReport) -> str | None:
    siblings = {p.name.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
    stem = path.stem.lower()
    _require_sidecars(stem, set(siblings), name, path.name)
    cpg = siblings.get(f"{stem}.cpg")
    return _text_encoding(
        cpg.read_bytes() if cpg else None, siblings[f"{stem}.dbf"].read_bytes, report
    )


def _text_encoding(
    cpg: bytes | None, dbf: Callable[[], bytes], report: ValidationReport
) -> str | None:
    """Encoding of the DBF text; None lets GDAL follow the .cpg.

    Without a .cpg GDAL assumes Latin-1, but Vietnamese DBFs are UTF-8 or Windows-1258.
    """
    if cpg is not None:
        return _CP1258 if "1258" in cpg.decode("ascii", "replace") else None
    data = dbf()
    try:
        data[int.from_bytes(data[8:10], "little") :].decode("utf-8")
    except UnicodeDecodeError:
        report.warning(
            "no .cpg file and the text is not UTF-8: read it as Windows-1258 "
            "(cp1258); check the names, and add a .cpg next time",
            code="encoding",
        )
        return _CP1258
    return "UTF-8"


def _gpkg_layer(path: Path, name: str, layer: str | None, report: ValidationReport) -> str:
    try:
        layers = [(str(n), str(t)) for n, t in pyogrio.list_layers(path)]
    except (RuntimeError, OSError) as problem:
        _fail(name, f"cannot read the file as a GeoPackage: {_clean(problem, path, name)}")
    listed = ", ".join(f"{n} ({t})" for n, t in layers)
    if layer is not None:
        if layer not in {n for n, _ in layers}:
            _fail(name, f"no layer {layer!r}; layers: {listed}", field="layer")
        return layer
    polygonal = [n for n, t in layers if "Polygon" in t or "Surface" in t]
    if not polygonal:
        _fail(name, f"no polygon layer in the GeoPackage; layers: {listed}", field="layer")
    if len(polygonal) > 1:
        report.warning(
            f"several polygon layers ({', '.join(polygonal)}); read "
            f"{polygonal[0]!r}, choose another with --layer",
            field="layer",
        )
    return polygonal[0]


def _read(
    gdal_path: str, layer: str | None, encoding: str | None, path: Path, name: str
) -> tuple[dict[str, object], np.ndarray, pd.DataFrame]:
    """Raw read: geometries stay WKB so one malformed feature cannot sink the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's unclosed-ring notice
            meta, _, wkb, fields = read_raw(
                gdal_path,
                layer=layer,
                force_2d=True,
                encoding=_LATIN1 if encoding == _CP1258 else encoding,
            )
    except (RuntimeError, OSError) as problem:
        kind = "a Shapefile" if ".shp" in gdal_path.lower() else f"'{path.suffix}'"
        _fail(name, f"cannot read the file as {kind}: {_clean(problem, path, name)}")
    if wkb is None or len(wkb) == 0:
        _fail(name, "the file has no features", field=_GEOMETRY)
    text = _from_cp1258 if encoding == _CP1258 else _nfc
    columns = [text(str(c)) for c in meta["fields"]]
    attributes = pd.DataFrame(
        dict(zip(columns, fields, strict=True)),
        index=pd.RangeIndex(1, len(wkb) + 1, name="feature"),
    )
    for column in attributes.columns:
        if not pd.api.types.is_numeric_dtype(attributes[column]):
            attributes[column] = attributes[column].map(
                lambda v: text(v) if isinstance(v, str) else v
            )
    return meta, np.asarray(wkb, dtype=object), attributes


def _nfc(value: str) -> str:
    return unicodedata.normalize("NFC", value)


def _from_cp1258(value: str) -> str:
    """GDAL read the bytes as Latin-1 (one character per byte); decode them as cp1258.

    GDAL's own cp1258 path (iconv) drops the last letter of a field: cp1258 is stateful
    (a letter waits for a possible tone mark) and GDAL does not flush it.
    """
    return _nfc(value.encode("latin-1").decode("cp1258", errors="replace"))


def _polygonal_geometries(wkb: np.ndarray, report: ValidationReport) -> np.ndarray:
    """Decode WKB; rows that are not usable polygons become None with an error."""
    geometry = _decode(wkb, report)
    polygonal = np.isin(shapely.get_type_id(geometry), (3, 6))  # Polygon, MultiPolygon
    kinds: Counter[str] = Counter()
    for index in np.flatnonzero(~polygonal):
        row = int(index) + 1
        geometry[index] = _polygonal_row(geometry[index], row, report, kinds)
    if kinds and polygonal.any():
        listed = ", ".join(f"{kind} ({count})" for kind, count in kinds.items())
        report.error(
            f"the file mixes polygons ({int(polygonal.sum())}) with other geometry types: {listed}",
            field=_GEOMETRY,
            code="mixed_geometry",
        )
    empty = np.flatnonzero(polygonal & shapely.is_empty(geometry))
    for index in empty:
        report.error("empty geometry", row=int(index) + 1, field=_GEOMETRY, code="empty_geometry")
        geometry[index] = None
    return geometry


def _decode(wkb: np.ndarray, report: ValidationReport) -> np.ndarray:
    geometry = np.asarray(shapely.from_wkb(wkb, on_invalid="ignore"), dtype=object)
    for index in np.flatnonzero(
        [g is None and w is not None for g, w in zip(geometry, wkb, strict=True)]
    ):
        row = int(index) + 1
        fixed = shapely.from_wkb(wkb[index], on_invalid="fix")
        if fixed is None:
            report.error("malformed geometry that cannot be decoded", row=row, field=_GEOMETRY)
        else:
            report.warning(
                "malformed geometry (e.g. a ring that is not closed) was repaired",
                row=row,
                field=_GEOMETRY,
                code="repaired_geometry",
            )
        geometry[index] = fixed
    return geometry


def _polygonal_row(
    geom: shapely.Geometry | None, row: int, report: ValidationReport, kinds: Counter[str]
) -> shapely.Geometry | None:
    if geom is None or geom.is_empty:
        report.error("empty geometry", row=row, field=_GEOMETRY, code="empty_geometry")
        return None
    kinds[geom.geom_type] += 1
    polygonal = _polygonal_part(geom) if geom.geom_type == "GeometryCollection" else None
    if polygonal is None:
        report.error(
            f"geometry is a {geom.geom_type}; a boundary must be a Polygon or MultiPolygon",
            row=row,
            field=_GEOMETRY,
            code="not_polygon",
        )
        return None
    report.warning(
        "non-polygon parts of a GeometryCollection were dropped",
        row=row,
        field=_GEOMETRY,
        code="repaired_geometry",
    )
    return polygonal


def _polygonal_part(geom: shapely.Geometry) -> shapely.MultiPolygon | None:
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


def _reproject(
    attributes: pd.DataFrame,
    geometry: np.ndarray,
    user_crs: CRS | None,
    file_crs: object,
    report: ValidationReport,
) -> gpd.GeoDataFrame:
    present = geometry != None  # noqa: E711 - elementwise test on an object array
    frame = gpd.GeoDataFrame(attributes[present], geometry=list(geometry[present]))
    declared = user_crs if user_crs is not None else file_crs
    if user_crs is not None and file_crs is not None and not user_crs.equals(str(file_crs)):
        report.warning(
            f"the file declares {CRS.from_user_input(file_crs).name}; using "
            f"{user_crs.name} as requested",
            field="crs",
            code="crs",
        )
    source, crs_warnings = resolve_source_crs(frame, _as_crs(declared), report.file)
    for message in crs_warnings:
        report.warning(message, field="crs", code="crs")
    return to_wgs84(frame.set_crs(source, allow_override=True))


def _as_crs(value: object) -> CRS | None:
    return None if value is None else CRS.from_user_input(value)


def _repair_and_promote(frame: gpd.GeoDataFrame, report: ValidationReport) -> gpd.GeoDataFrame:
    """make_valid invalid rows (keeping polygons, with a warning), then all MultiPolygon."""
    geometry = np.asarray(frame.geometry.values, dtype=object)
    for index in np.flatnonzero(~shapely.is_valid(geometry)):
        row = int(frame.index[index])
        reason = shapely.is_valid_reason(geometry[index])
        repaired = _polygonal_part(shapely.make_valid(geometry[index]))
        if repaired is None:
            report.error(
                f"invalid geometry ({reason}) has no polygon left after repair",
                row=row,
                field=_GEOMETRY,
                code="invalid_geometry",
            )
        else:
            report.warning(
                f"invalid geometry ({reason}) was repaired",
                row=row,
                field=_GEOMETRY,
                code="repaired_geometry",
            )
        geometry[index] = repaired
    keep = geometry != None  # noqa: E711 - elementwise test on an object array
    parts, owners = shapely.get_parts(geometry[keep], return_index=True)
    promoted = shapely.multipolygons(parts, indices=owners)
    out = frame[keep].copy()
    out[frame.geometry.name] = promoted
    return out.set_crs(WGS84, allow_override=True)


def _empty_frame() -> gpd.GeoDataFrame:
    index = pd.RangeIndex(0, name="feature")
    return gpd.GeoDataFrame(index=index, geometry=gpd.GeoSeries([], crs=WGS84, index=index))


def _fail(name: str, message: str, *, field: str | None = None) -> NoReturn:
    reject(name, message, field=field)


def _clean(problem: Exception, path: Path, name: str) -> str:
    """GDAL's message without server paths (uploads land in temporary files)."""
    text = str(problem).replace(f"/vsizip/{path}", name).replace(str(path), name)
    return text.split("; It might help")[0]

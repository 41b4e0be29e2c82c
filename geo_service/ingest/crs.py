"""Coordinate reference systems: VN-2000 handling and sanity checks of source coordinates.

Official Vietnamese GIS data is usually VN-2000 (shared/DOMAIN.md §5). Going to WGS 84
needs the official 7-parameter shift EPSG:6960 ("VN-2000 to WGS 84 (2)", Decision
05/2007/QĐ-BTNMT). PROJ knows two VN-2000 → WGS 84 operations of equal stated accuracy
and picks between them per point at run time (it takes EPSG:5194 around Ho Chi Minh
City), so ``to_wgs84`` does not leave the choice to PROJ: it inverse-projects to VN-2000
geographic and then applies EPSG:6960 itself.

Files often arrive without a ``.prj`` or with a wrong one; ``detect_crs_problem`` looks at
the coordinates and refuses what cannot be placed, naming the likely zones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj import CRS, Transformer

from geo_service.domain import WGS84
from geo_service.ingest.report import ImportRejected, ValidationReport

VN2000_GEOGRAPHIC = 4756
VN2000_UTM = (3405, 3406)
VN2000_TM3 = (*range(5896, 5900), *range(9205, 9219))
VN2000_CODES = (VN2000_GEOGRAPHIC, *VN2000_UTM, *VN2000_TM3)
VN2000_TO_WGS84 = "urn:ogc:def:coordinateOperation:EPSG::6960"
# Other metric CRSs Vietnamese data is seen in: GPS-derived WGS 84 UTM and web-map exports.
OTHER_METRIC_CANDIDATES = (32648, 32649, 3857)

# Vietnam including Hoàng Sa and Trường Sa, with a margin: (min lon, min lat, max lon, max lat).
VIETNAM_LONLAT_BOUNDS = (101.5, 6.0, 118.0, 24.0)
VIETNAM_MAINLAND_BOUNDS = (101.5, 7.5, 110.0, 24.0)
# Where a feature of a Vietnamese file may lie: mainland, Hoàng Sa, Trường Sa.
VIETNAM_AREAS = (VIETNAM_MAINLAND_BOUNDS, (111.0, 15.5, 113.0, 17.5), (111.0, 6.0, 118.0, 12.0))
_AREA_MARGIN_DEGREES = 0.1

Bounds = tuple[float, float, float, float]


class CRSInputError(ValueError):
    """A CRS given by a user (``--crs``) that pyproj does not know or cannot use."""


def parse_crs(user_value: str) -> CRS:
    """Parse a CRS given on the command line or in a form: ``EPSG:9210``, ``9210``, WKT.

    >>> parse_crs("9210").name
    'VN-2000 / TM-3 105-45'
    """
    text = user_value.strip()
    if re.fullmatch(r"\d{4,6}", text):
        text = f"EPSG:{text}"
    try:
        crs = CRS.from_user_input(text)
    except pyproj.exceptions.CRSError:
        raise CRSInputError(
            f"unknown CRS {user_value!r}: give an EPSG code such as EPSG:9210. VN-2000 codes: "
            "4756 (geographic), 3405/3406 (UTM 48N/49N), 5896-5899 and 9205-9218 (TM-3 zones)"
        ) from None
    if not (crs.is_geographic or crs.is_projected):
        raise CRSInputError(f"CRS {user_value!r} ({crs.name}) is not a 2D map coordinate system")
    return crs


def is_vn2000(crs: CRS | str | int) -> bool:
    """True when ``crs`` (or the CRS a bound CRS wraps) is based on the VN-2000 datum."""
    base = _unbound(CRS.from_user_input(crs))
    datum = base.datum
    if datum is None:
        return False
    folded = re.sub(r"[^a-z0-9]", "", datum.name.lower().removeprefix("d_"))
    return folded in {"vietnam2000", "vn2000"}


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject ``gdf`` to EPSG:4326 lon/lat, applying EPSG:6960 to VN-2000 data.

    A TOWGS84 clause in a VN-2000 ``.prj`` is ignored in favour of the official
    parameters. Raises ``ValueError`` when ``gdf`` has no CRS (resolve it first with
    ``resolve_source_crs``).
    """
    if gdf.crs is None:
        raise ValueError("cannot reproject: the frame has no CRS")
    source = CRS.from_user_input(gdf.crs)
    if source.equals(WGS84, ignore_axis_order=True):
        return gdf.set_crs(WGS84, allow_override=True)
    if not is_vn2000(source):
        return gdf.to_crs(WGS84)
    out = gdf.copy()
    geometry = np.asarray(gdf.geometry.values, dtype=object)
    out[gdf.geometry.name] = shapely.transform(geometry, vn2000_coordinate_transform(source))
    return out.set_crs(WGS84, allow_override=True)


def vn2000_coordinate_transform(source: CRS) -> Callable[[np.ndarray], np.ndarray]:
    """A function mapping an (N, 2) array of x/y in VN-2000 ``source`` to WGS 84 lon/lat.

    Shaped for ``shapely.transform``: one vectorised call for all vertices of a frame.
    The inverse projection and EPSG:6960 run as one PROJ pipeline.
    """
    transformer = Transformer.from_pipeline(vn2000_pipeline(_unbound(source).to_wkt()))

    def apply(coords: np.ndarray) -> np.ndarray:
        lon, lat = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return apply


@cache
def vn2000_pipeline(source_wkt: str) -> str:
    """PROJ pipeline: x/y in the VN-2000 CRS ``source_wkt`` → WGS 84 lon/lat via EPSG:6960."""
    source = CRS.from_wkt(source_wkt)
    steps: list[str] = []
    if not source.is_geographic:
        # Same datum on both sides, so this is the inverse map projection only.
        inverse = Transformer.from_crs(source, source.geodetic_crs, always_xy=True)
        steps += _pipeline_steps(inverse.definition)
    # EPSG:6960 is defined on EPSG:4756, whose axis order is latitude first.
    swap = "proj=axisswap order=2,1"
    steps += [swap, *_pipeline_steps(_helmert_6960().definition), swap]
    return "+proj=pipeline " + " ".join(
        "+step " + " ".join(f"+{token}" for token in step.split()) for step in steps
    )


def _pipeline_steps(definition: str) -> list[str]:
    if not definition.startswith("proj=pipeline"):
        return [definition]
    head, *steps = definition.removeprefix("proj=pipeline").split(" step ")
    if head.strip() or not steps:  # pipeline-wide options would not survive splicing
        raise RuntimeError(f"unexpected PROJ pipeline: {definition}")
    return steps


def resolve_source_crs(
    gdf: gpd.GeoDataFrame, declared_crs: CRS | str | None, file_name: str
) -> tuple[CRS, list[str]]:
    """The CRS ``gdf``'s coordinates are in, and warnings; raises ``ImportRejected``.

    ``declared_crs`` is the CRS given by the user or, failing that, by the file.
    """
    warnings = detect_crs_problem(gdf, declared_crs, file_name)
    crs = CRS.from_user_input(declared_crs) if declared_crs is not None else CRS(WGS84)
    return crs, warnings


def detect_crs_problem(
    gdf: gpd.GeoDataFrame, declared_crs: CRS | str | None, file_name: str
) -> list[str]:
    """Check the coordinates against the declared CRS; return warnings or raise.

    ``declared_crs`` is what the user (``--crs``) or the file says, ``None`` if neither.
    Without a CRS, lon/lat in Vietnam is taken as EPSG:4326 with a warning; metres are
    refused with the VN-2000 zones that fit. Swapped lat/lon is refused, never fixed.
    Raises ``ImportRejected`` whose single error names ``file_name``.
    """
    bounds = _total_bounds(gdf)
    if bounds is None:
        return []
    kind = classify_coordinates(bounds)
    if kind == "swapped":
        _refuse(
            file_name,
            "coordinates look like lat/lon swapped (x is a latitude, y a "
            f"longitude of Vietnam: {_describe(bounds)}); fix the file's axis order",
        )
    if declared_crs is None:
        return _check_undeclared(bounds, kind, file_name)
    crs = CRS.from_user_input(declared_crs)
    if crs.is_geographic:
        return _check_geographic(bounds, kind, crs, file_name)
    return _check_projected(gdf, bounds, kind, crs, file_name)


def classify_coordinates(bounds: Bounds) -> str:
    """'lonlat_vietnam', 'lonlat_elsewhere', 'swapped' or 'metres' for a bounding box."""
    minx, miny, maxx, maxy = bounds
    if _inside((miny, minx, maxy, maxx), VIETNAM_LONLAT_BOUNDS):
        return "swapped"
    if _inside(bounds, (-180.0, -90.0, 180.0, 90.0)):
        return "lonlat_vietnam" if _inside(bounds, VIETNAM_LONLAT_BOUNDS) else "lonlat_elsewhere"
    return "metres"


def likely_metric_crs(bounds: Bounds) -> list[CRS]:
    """VN-2000 (then WGS 84 UTM / web mercator) CRSs whose area of use holds ``bounds``."""
    codes = (*VN2000_UTM, *VN2000_TM3, *OTHER_METRIC_CANDIDATES)
    return [CRS.from_epsg(code) for code in codes if _fits(code, bounds)]


def _check_undeclared(bounds: Bounds, kind: str, file_name: str) -> list[str]:
    if kind == "lonlat_vietnam":
        return [
            "the file has no CRS; its coordinates are lon/lat in Vietnam, so EPSG:4326 "
            "(WGS 84) is assumed. If they are VN-2000 geographic, pass --crs EPSG:4756"
        ]
    if kind == "lonlat_elsewhere":
        _refuse(
            file_name,
            f"the file has no CRS and its coordinates ({_describe(bounds)}) "
            "are degrees outside Vietnam; pass --crs",
        )
    _refuse(
        file_name,
        "coordinates look like metres but the file has no CRS (no .prj): "
        f"{_describe(bounds)}. {_zones_hint(bounds)}",
    )


def _check_geographic(bounds: Bounds, kind: str, crs: CRS, file_name: str) -> list[str]:
    if kind == "metres":
        _refuse(
            file_name,
            f"the file says {crs_label(crs)} (degrees) but its coordinates look "
            f"like metres: {_describe(bounds)}. {_zones_hint(bounds)}",
        )
    if kind == "lonlat_elsewhere":
        return [f"coordinates ({_describe(bounds)}) lie partly outside Vietnam"]
    return []


def _check_projected(
    gdf: gpd.GeoDataFrame, bounds: Bounds, kind: str, crs: CRS, file_name: str
) -> list[str]:
    if kind != "metres":
        _refuse(
            file_name,
            f"the file says {crs_label(crs)} (metres) but its coordinates look "
            f"like lon/lat degrees ({_describe(bounds)}); pass --crs EPSG:4326 or EPSG:4756",
        )
    if not _all_in_vietnam(gdf, crs):
        _refuse(
            file_name,
            f"with the declared {crs_label(crs)} the coordinates ({_describe(bounds)})"
            " fall outside Vietnam, so the .prj is probably wrong. "
            f"{_zones_hint(bounds)}",
        )
    return []


def _zones_hint(bounds: Bounds) -> str:
    candidates = likely_metric_crs(bounds)
    if not candidates:
        return (
            "No VN-2000 zone fits this range; pass the right CRS with --crs (e.g. --crs EPSG:9210)"
        )
    listed = "; ".join(_label_with_area(crs) for crs in candidates)
    return (
        f"Likely CRSs for this range: {listed}. Pass the right one with --crs EPSG:<code>;"
        " provincial cadastral data is usually in the province's TM-3 zone"
    )


def _all_in_vietnam(gdf: gpd.GeoDataFrame, crs: CRS) -> bool:
    """Whether every feature's bounding-box centre, read in ``crs``, lies in Vietnam."""
    boxes = shapely.bounds(np.asarray(gdf.geometry.values, dtype=object))
    boxes = boxes[~np.isnan(boxes).any(axis=1)]
    x, y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    lon, lat = _to_geographic(crs.to_wkt()).transform(x, y)
    inside = np.zeros(len(x), dtype=bool)
    for west, south, east, north in VIETNAM_AREAS:
        inside |= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
    return bool(inside.all())


def _fits(code: int, bounds: Bounds) -> bool:
    crs = CRS.from_epsg(code)
    area = crs.area_of_use
    lonlat = _lonlat_bounds(crs, bounds)
    if area is None or lonlat is None:
        return False
    margin = _AREA_MARGIN_DEGREES
    west, south, east, north = area.bounds
    inside_area = _inside(lonlat, (west - margin, south - margin, east + margin, north + margin))
    # Worldwide CRSs fit anything; keep them only where they put the data on the mainland.
    return inside_area and (code in VN2000_CODES or _inside(lonlat, VIETNAM_MAINLAND_BOUNDS))


def _lonlat_bounds(crs: CRS, bounds: Bounds) -> Bounds | None:
    """``bounds`` (in ``crs``) as lon/lat on ``crs``'s own datum, or None if off the map."""
    transformer = _to_geographic(crs.to_wkt())
    minx, miny, maxx, maxy = bounds
    lon, lat = transformer.transform([minx, minx, maxx, maxx], [miny, maxy, miny, maxy])
    if not (np.all(np.isfinite(lon)) and np.all(np.isfinite(lat))):
        return None
    return (float(min(lon)), float(min(lat)), float(max(lon)), float(max(lat)))


@cache
def _to_geographic(crs_wkt: str) -> Transformer:
    crs = _unbound(CRS.from_wkt(crs_wkt))
    return Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)


@cache
def _helmert_6960() -> Transformer:
    transformer = Transformer.from_pipeline(VN2000_TO_WGS84)
    if "VN-2000 to WGS 84 (2)" not in transformer.description:
        raise RuntimeError(f"PROJ returned {transformer.description!r} for EPSG:6960")
    return transformer


def _unbound(crs: CRS) -> CRS:
    return crs.source_crs if crs.is_bound and crs.source_crs is not None else crs


def _total_bounds(gdf: gpd.GeoDataFrame) -> Bounds | None:
    geometry = gdf.geometry
    present = geometry[~(geometry.isna() | geometry.is_empty)]
    if present.empty:
        return None
    minx, miny, maxx, maxy = (float(v) for v in present.total_bounds)
    return (minx, miny, maxx, maxy)


def _inside(bounds: Bounds, outer: Bounds) -> bool:
    return (
        outer[0] <= bounds[0]
        and outer[1] <= bounds[1]
        and bounds[2] <= outer[2]
        and bounds[3] <= outer[3]
    )


def _describe(bounds: Bounds) -> str:
    minx, miny, maxx, maxy = bounds
    spec = ".5f" if max(abs(v) for v in bounds) <= 360 else ",.0f"
    return f"x {minx:{spec}} to {maxx:{spec}}, y {miny:{spec}} to {maxy:{spec}}"


def crs_label(crs: CRS) -> str:
    """``EPSG:9210 (VN-2000 / TM-3 105-45)``, or the name of a CRS without a code."""
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def _label_with_area(crs: CRS) -> str:
    """Label plus, for VN-2000 zones, the provinces that use it (helps pick the zone)."""
    area = crs.area_of_use
    if area is None or not is_vn2000(crs):
        return crs_label(crs)
    return f"{crs_label(crs)} – {area.name.removeprefix('Vietnam - ').rstrip('.')}"


def _refuse(file_name: str, message: str) -> NoReturn:
    report = ValidationReport(file_name)
    report.error(message, field="geometry", code="crs")
    raise ImportRejected(report)

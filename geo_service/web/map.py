"""The coverage map as one standalone folium/Leaflet file, written by ``geo-service map``
for email and paper (the map page at ``GET /`` is ``web/templates/map.html``, which fetches
its data instead).

Villages are coloured by coverage (covered green; uncovered solid red with a thick dark-red
border), communes are outlined above them, one overlay per model type shows the villages
having that type. Leaflet objects carry stable hooks for tests and styling: every village
path has the CSS class ``village village-covered`` or ``village village-uncovered`` (plus
``village-approximate``) and a ``data-code`` attribute; popups carry ``data-code`` too.

Examples
--------
>>> view = coverage_as_of(store, settings.coverage, date(2025, 6, 30))
>>> html = render_map_html(view, focus_code="09496")
>>> write_map_file(view, "09496", Path("maps/thua.html"))
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

import folium
import geopandas as gpd
import pandas as pd
from folium.map import CustomPane

from geo_service.coverage.compute import CoverageResult
from geo_service.domain import Level
from geo_service.output.geometry import display_tolerance
from geo_service.values import member_of
from geo_service.web import layers
from geo_service.web.assets import AssetMode, RawHtml, external_asset_urls, use_local_assets
from geo_service.web.cameras import add_camera_layer
from geo_service.web.panels import (
    PAGE_CSS,
    header_html,
    legend_html,
    no_geometry_html,
    no_units_notice,
    notice_html,
)
from geo_service.web.popups import site_table
from geo_service.web.scope import (
    Scope,
    UnitNotInView,
    has_geometry,
    scope_bounds,
    select_scope,
)
from geo_service.web.side_panel import side_panel_html, unit_title

VIETNAM_CENTER = (16.0, 106.0)
OUTLINE_PANE = "unit-outlines"


class CoverageViewLike(Protocol):
    """What the map needs from ``coverage_reads.CoverageView`` (kept structural: web does not
    depend on the pipeline module, only on the shape of its result)."""

    @property
    def result(self) -> CoverageResult: ...

    @property
    def model_types(self) -> pd.DataFrame: ...

    @property
    def models(self) -> pd.DataFrame: ...

    @property
    def root(self) -> str | None: ...

    @property
    def village_sources(self) -> pd.DataFrame | None: ...

    @property
    def no_data_areas(self) -> gpd.GeoDataFrame | None: ...


class MapBuildError(RuntimeError):
    """The rendered page would break the offline promise (a remote script or stylesheet)."""


@dataclass(frozen=True, slots=True)
class MapLimits:
    """How much geometry one page may embed before it falls back to a coarser picture.

    Beyond ``villages`` drawable villages, communes are coloured by coverage instead; beyond
    ``communes`` communes, only districts and provinces are outlined. Either way the reader
    is told to pick a unit. (National views belong to tiles, not to one HTML page.)
    """

    villages: int = 5000
    communes: int = 3000


def build_coverage_map(
    view: CoverageViewLike,
    *,
    focus_code: str | None = None,
    assets: AssetMode = AssetMode.SERVED,
    limits: MapLimits = MapLimits(),
    cameras: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """The coverage map of ``view``, limited to ``focus_code``'s subtree when given.

    ``cameras`` (``coverage.camera_points``; pass them only when the camera setting is on)
    are drawn as clustered markers.
    Raises ``UnitNotInView`` when ``focus_code`` names no unit of the view.
    """
    scope = select_scope(view, focus_code or view.root)
    fmap = folium.Map(location=VIETNAM_CENTER, zoom_start=6, tiles=None, control_scale=True)
    use_local_assets(fmap, assets)
    _add_base_layers(fmap)
    CustomPane(OUTLINE_PANE, z_index=450, pointer_events=False).add_to(fmap)

    drawable = scope.villages[has_geometry(scope.villages)]
    too_many = len(drawable) > limits.villages
    sites = site_table(view.result.sites, view.models, view.model_types)
    sites = sites[member_of(sites["unit_code"], scope.codes)]
    units, notices = _units_to_draw(scope.rollups, limits)
    if too_many:
        notices.insert(0, _too_many_notice(len(drawable)))
    if view.result.rollups.empty and view.result.villages.empty:
        notices.insert(0, no_units_notice())
    elif scope.villages.empty:
        notices.insert(
            0,
            notice_html(
                "Chưa có thôn, tổ dân phố nào trong dữ liệu ở ngày này.",
                "No villages in the data on this date.",
            ),
        )

    tolerance = display_tolerance(scope_bounds(scope))
    layers.add_unit_areas(fmap, units, sites, choropleth=too_many, tolerance=tolerance)
    if view.no_data_areas is not None and (units["level"] == int(Level.COMMUNE)).any():
        areas = view.no_data_areas[member_of(view.no_data_areas["commune_code"], scope.codes)]
        layers.add_no_data_areas(fmap, areas, tolerance=tolerance)
    if not too_many:
        type_names = dict(zip(view.model_types["code"], view.model_types["name_vi"], strict=True))
        village_features = layers.village_features(
            drawable, scope, sites, type_names, tolerance=tolerance
        )
        layers.add_village_layer(fmap, village_features)
        layers.add_type_layers(fmap, village_features, drawable, view.model_types)
    layers.add_unit_outlines(fmap, units, OUTLINE_PANE, tolerance=tolerance)
    if cameras is not None and not cameras.empty:
        add_camera_layer(fmap, cameras, assets)
    folium.LayerControl(collapsed=True).add_to(fmap)
    _fit(fmap, scope)

    links = assets is AssetMode.SERVED  # a file opened from disk has no server to ask
    _add_page(fmap, scope, view.result, notices, view.village_sources, links)
    return fmap


class MapOptions(TypedDict, total=False):
    """``build_coverage_map``'s keyword arguments, for what passes them on."""

    focus_code: str | None
    assets: AssetMode
    limits: MapLimits
    cameras: gpd.GeoDataFrame | None


def render_map_html(view: CoverageViewLike, **options: Unpack[MapOptions]) -> str:
    """The whole HTML page of ``build_coverage_map``; never links a remote script or style."""
    fmap = build_coverage_map(view, **options)
    html: str = fmap.get_root().render()
    remote = external_asset_urls(html)
    if remote:
        raise MapBuildError(f"map page would load remote assets: {remote}")
    return html


def write_map_file(
    view: CoverageViewLike,
    focus_code: str | None,
    path: Path,
    cameras: gpd.GeoDataFrame | None = None,
) -> Path:
    """Write a standalone map (Leaflet inlined) that works opened from disk, offline."""
    html = render_map_html(view, focus_code=focus_code, assets=AssetMode.INLINE, cameras=cameras)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return path


def _add_base_layers(fmap: folium.Map) -> None:
    # Tiles need the internet; the data layers do not, so a plain background is offered too.
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(fmap)
    folium.FeatureGroup(name="Nền trống / plain background", overlay=False, show=False).add_to(fmap)


def _fit(fmap: folium.Map, scope: Scope) -> None:
    bounds = scope_bounds(scope)
    if bounds is None:
        return
    west, south, east, north = bounds
    fmap.location = [(south + north) / 2, (west + east) / 2]
    fmap.fit_bounds([[south, west], [north, east]])


def _add_page(
    fmap: folium.Map,
    scope: Scope,
    result: CoverageResult,
    notices: list[str],
    sources: pd.DataFrame | None,
    links: bool,
) -> None:
    figure = fmap.get_root()
    title_unit = unit_title(scope)
    title = f"Độ phủ mô hình tự quản ANTT — {title_unit} — {result.as_of:%d/%m/%Y}"
    figure.title = escape(title, quote=False)  # type: ignore[attr-defined]
    figure.header.add_child(RawHtml(f"<style>{PAGE_CSS}</style>"), name="page_css")  # type: ignore[attr-defined]
    header = header_html(title_unit, result.as_of)
    commune_names = scope.rollup_names()
    missing = scope.villages[~has_geometry(scope.villages)]
    aside = (
        '<aside class="map-side">'
        + "".join(notices)
        + side_panel_html(scope, sources, result.as_of, links=links)
        + legend_html()
        + no_geometry_html(missing, commune_names)
        + "</aside>"
    )
    figure.html.add_child(RawHtml(header), name="page_header")  # type: ignore[attr-defined]
    figure.html.add_child(RawHtml(aside), name="page_aside")  # type: ignore[attr-defined]


def _units_to_draw(
    rollups: gpd.GeoDataFrame, limits: MapLimits
) -> tuple[gpd.GeoDataFrame, list[str]]:
    communes = int((rollups["level"] == int(Level.COMMUNE)).sum())
    if communes <= limits.communes:
        return rollups, []
    notice = notice_html(
        f"{communes} xã, phường: quá nhiều để vẽ; chọn một tỉnh hoặc huyện.",
        f"{communes} communes are too many to draw; pick a province or district.",
    )
    return rollups[rollups["level"] < int(Level.COMMUNE)], [notice]


def _too_many_notice(count: int) -> str:
    return notice_html(
        f"{count} thôn: quá nhiều để vẽ; chọn một xã để xem từng thôn.",
        f"{count} villages are too many to draw; pick a commune to see each village.",
    )


__all__ = [
    "AssetMode",
    "CoverageViewLike",
    "MapBuildError",
    "MapLimits",
    "UnitNotInView",
    "build_coverage_map",
    "render_map_html",
    "write_map_file",
]

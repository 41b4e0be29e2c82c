"""The coverage map's HTML: offline assets, colours, popups, focus, escaping, the page route.

Built from the real demo (loaded through the pipeline into a GeoPackage) and, where the demo
has no such case (a village without geometry, hostile names), from small frames run through
the real ``compute_coverage``.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from geo_service.app import create_app
from geo_service.coverage.compute import compute_coverage
from geo_service.coverage.reads import CoverageView, coverage_as_of
from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS, UNIT_COLUMNS
from geo_service.imports.model_catalogue import CATALOGUE
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import Store, open_store
from geo_service.web.assets import external_asset_urls
from geo_service.web.map import (
    MapLimits,
    UnitNotInView,
    build_coverage_map,
    render_map_html,
    write_map_file,
)
from geo_service.web.scope import has_geometry

BEFORE = date(2025, 6, 30)
VILLAGE_LAYER = "Độ phủ theo thôn / village coverage"


@pytest.fixture(scope="module")
def store(demo_gpkg: Path) -> Store:
    return open_store(str(demo_gpkg))


@pytest.fixture(scope="module")
def view(store: Store) -> CoverageView:
    return coverage_as_of(store, CoveragePolicy(), BEFORE)


@pytest.fixture(scope="module")
def served_html(view: CoverageView) -> str:
    return render_map_html(view)


def geojson_layers(fmap: folium.Map) -> dict[str, folium.GeoJson]:
    return {
        child.layer_name: child
        for child in fmap._children.values()
        if isinstance(child, folium.GeoJson)
    }


def village_layer(fmap: folium.Map) -> folium.GeoJson:
    return geojson_layers(fmap)[VILLAGE_LAYER]


def feature(layer: folium.GeoJson, code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        f for f in layer.data["features"] if f["properties"]["code"] == code
    )
    return found


# -- offline assets ----------------------------------------------------------------------------


def test_detector_flags_folium_default_cdn_links_but_not_tiles() -> None:
    default_page = folium.Map().get_root().render()
    remote = external_asset_urls(default_page)
    assert any("leaflet" in url and url.endswith(".js") for url in remote)
    assert any("bootstrap" in url for url in remote)
    assert not any("tile.openstreetmap.org" in url for url in remote)


def test_served_page_loads_leaflet_from_static_only(served_html: str) -> None:
    assert external_asset_urls(served_html) == []
    assert '<script src="/static/vendor/leaflet/leaflet.js"></script>' in served_html
    assert 'href="/static/vendor/leaflet/leaflet.css"' in served_html
    for cdn_library in ("jquery", "bootstrap", "font-awesome", "awesome-markers", "cdn."):
        assert cdn_library not in served_html.lower()
    # The tile template is the one remote URL, and it is an image template, not code.
    urls = set(re.findall(r"https?://[^\s\"'<>]+", served_html))
    assert {u for u in urls if not u.startswith("https://tile.openstreetmap.org/")} <= {
        "https://www.openstreetmap.org/copyright\\",  # attribution link inside a JS string
    }


def test_standalone_file_inlines_leaflet_and_its_images(view: CoverageView, tmp_path: Path) -> None:
    path = write_map_file(view, "09496", tmp_path / "maps" / "thua.html")
    html = path.read_text(encoding="utf-8")
    assert external_asset_urls(html) == []
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    assert "/static/" not in html
    assert "Leaflet 1.9.4, a JS library" in html and ".leaflet-container" in html  # inlined
    assert "url(data:image/png;base64," in html  # layer-control icon travels with the file
    assert 'class="unit-form"' not in html  # no server to ask for another unit
    assert "Thị trấn Thứa" in html


# -- what is drawn ------------------------------------------------------------------------------


def test_every_drawable_village_is_drawn_with_its_status_class(view: CoverageView) -> None:
    villages = view.result.villages
    layer = village_layer(build_coverage_map(view))
    drawn = {f["properties"]["code"]: layer.style_function(f) for f in layer.data["features"]}
    assert set(drawn) == set(villages.loc[has_geometry(villages), "code"])
    for code, status in zip(villages["code"], villages["status"], strict=True):
        classes = drawn[code]["className"].split()
        assert classes[:2] == ["village", f"village-{status}"]
        assert "village-approximate" in classes  # every demo village area is derived
        assert drawn[code]["dashArray"]


def test_uncovered_villages_are_solid_red_with_a_thick_dark_border(view: CoverageView) -> None:
    layer = village_layer(build_coverage_map(view, focus_code="09595"))
    styles = [layer.style_function(f) for f in layer.data["features"]]
    uncovered = [s for s in styles if "village-uncovered" in s["className"]]
    covered = [s for s in styles if "village-covered" in s["className"]]
    assert len(uncovered) == 8 and len(covered) == 1  # Viên Sơn: only TDP 4 Tiền Huân
    for style in uncovered:
        assert style["fillColor"] == "#d7191c" and style["color"] == "#67000d"
        assert style["weight"] >= 3 and style["fillOpacity"] >= 0.6
    assert covered[0]["fillColor"] != uncovered[0]["fillColor"]


def test_village_popup_lists_models_members_and_approximate_area(view: CoverageView) -> None:
    layer = village_layer(build_coverage_map(view, focus_code="09496"))
    sites = view.result.sites
    for code in ("09496-001", "09496-008"):
        properties = feature(layer, code)["properties"]
        popup = properties["popup"]
        members = int(sites.loc[sites["unit_code"] == code, "members"].sum())
        assert f'data-code="{code}"' in popup
        assert "Tổ tuần tra nhân dân thị trấn Thứa" in popup  # model name
        assert '<small class="model-type">Tổ tuần tra nhân dân</small>' in popup  # type, vi
        assert f"<td>{members}</td>" in popup
        assert "Vùng ước lượng" in popup and "approximate area" in popup
        assert "vùng ước lượng" in properties["tooltip"]
    assert int(sites.loc[sites["unit_code"].str.startswith("09496-"), "members"].sum()) == 52


def test_commune_tooltip_gives_villages_covered_percent_and_members(view: CoverageView) -> None:
    communes = geojson_layers(build_coverage_map(view))["Xã, phường / communes"]
    thua = feature(communes, "09496")["properties"]["tooltip"]
    assert "Thị trấn Thứa" in thua
    assert "8/8 thôn có mô hình (100%)" in thua
    assert "52 thành viên" in thua
    vien_son = feature(communes, "09595")["properties"]["tooltip"]
    assert "1/9 tổ dân phố có mô hình (11,1%)" in vien_son
    assert "24 hộ tham gia" in vien_son  # an inter-household group counts households


def test_one_hidden_overlay_per_model_type_present(view: CoverageView) -> None:
    fmap = build_coverage_map(view, focus_code="07057")
    names = dict(zip(view.model_types["code"], view.model_types["name_vi"], strict=True))
    villages = view.result.villages[view.result.villages["parent_code"] == "07057"]
    present = sorted({t for types in villages["model_types"] for t in types})
    assert present == ["fire_safe_area", "security_camera", "self_managed_group"]
    overlays = geojson_layers(fmap)
    for type_code in present:
        (layer,) = [v for k, v in overlays.items() if k.startswith(names[type_code] + " <small")]
        assert layer.show is False
        codes = {f["properties"]["code"] for f in layer.data["features"]}
        expected = {
            c
            for c, types in zip(villages["code"], villages["model_types"], strict=True)
            if type_code in types
        }
        assert codes == expected
    html = fmap.get_root().render()
    assert "L.control.layers" in html
    assert json.dumps("Nền trống / plain background") in html  # a base layer without tiles


def test_legend_and_summary(served_html: str, view: CoverageView) -> None:
    villages = view.result.villages
    assert f"{int(villages['covered'].sum())}/{len(villages)}</span>" in served_html
    for text in (
        "Thôn có mô hình",
        "Thôn chưa có mô hình",
        "Ranh giới xã, phường",
        "Vùng ước lượng (viền đứt)",
    ):
        assert text in served_html
    assert 'class="swatch swatch-uncovered"' in served_html


# -- focus on one unit ----------------------------------------------------------------------------


def test_focus_shows_only_the_subtree_and_fits_its_bounds(view: CoverageView) -> None:
    fmap = build_coverage_map(view, focus_code="09595")
    codes = {f["properties"]["code"] for f in village_layer(fmap).data["features"]}
    assert len(codes) == 9 and all(code.startswith("09595-") for code in codes)
    (fit,) = [c for c in fmap._children.values() if isinstance(c, folium.FitBounds)]
    (south, west), (north, east) = fit.bounds
    villages = view.result.villages
    minx, miny, maxx, maxy = villages[villages["parent_code"] == "09595"].total_bounds
    assert west <= minx and south <= miny and east >= maxx and north >= maxy
    assert east - west < 0.2 and north - south < 0.2  # a ward, not the country
    html = fmap.get_root().render()
    assert "<title>Độ phủ mô hình tự quản ANTT — Phường Viên Sơn — 30/06/2025</title>" in html
    assert '<span class="unit-title">Phường Viên Sơn</span>' in html
    assert '<time datetime="2025-06-30">30/06/2025</time>' in html


def test_unknown_focus_is_a_lookup_error(view: CoverageView) -> None:
    with pytest.raises(UnitNotInView) as raised:
        build_coverage_map(view, focus_code="99999")
    assert isinstance(raised.value, LookupError) and raised.value.code == "99999"


def test_big_views_fall_back_to_commune_colours(view: CoverageView) -> None:
    html = render_map_html(view, limits=MapLimits(villages=10))
    assert "too many to draw" in html
    assert VILLAGE_LAYER not in html
    fmap = build_coverage_map(view, limits=MapLimits(villages=10, communes=10))
    assert "Xã, phường / communes" not in geojson_layers(fmap)


# -- hostile or incomplete data -----------------------------------------------------------------


def small_view() -> CoverageView:
    """A commune with a surveyed, an approximate and a geometry-less village, and bad names."""

    def unit(
        code: str,
        name: str,
        kind: str,
        level: int,
        parent: str | None,
        geometry: object,
        quality: str,
    ) -> dict[str, object]:
        return dict.fromkeys(UNIT_COLUMNS) | {
            "code": code,
            "name": name,
            "unit_type": kind,
            "level": level,
            "parent_code": parent,
            "geometry_quality": quality,
            "geometry": geometry,
        }

    units = gpd.GeoDataFrame(
        [
            unit("01", "Hà Nội", "thanh_pho_tw", 1, None, box(105, 21, 106, 22), "surveyed"),
            unit(
                "00001",
                "Xã <img src=x onerror=alert(1)>",
                "xa",
                3,
                "01",
                box(105, 21, 105.2, 21.2),
                "surveyed",
            ),
            unit(
                "V1",
                "Thôn <script>alert(1)</script>",
                "thon",
                4,
                "00001",
                box(105, 21, 105.1, 21.1),
                "surveyed",
            ),
            unit(
                "V2",
                "Thôn {{ 7*7 }} {# x",
                "thon",
                4,
                "00001",
                box(105.1, 21, 105.2, 21.1),
                "approximate",
            ),
            unit("V3", "Thôn Không Ranh Giới", "thon", 4, "00001", None, "none"),
        ],
        geometry="geometry",
        crs="EPSG:4326",
    )
    model_types = pd.read_csv(CATALOGUE, keep_default_na=False)
    model_types["counts_as_model"] = model_types["counts_as_model"].astype(str).eq("true")
    models = pd.DataFrame(
        [
            dict.fromkeys(MODEL_COLUMNS)
            | {
                "model_id": "M1",
                "type_code": "patrol_team",
                "name": "Tổ <b>tuần tra</b>",
                "unit_code": "00001",
                "status": "active",
                "members": 9,
            }
        ]
    )
    teams = pd.DataFrame(
        [
            dict.fromkeys(TEAM_COLUMNS)
            | {"team_id": "T1", "model_id": "M1", "unit_code": "V1", "members": 9}
        ]
    )
    result = compute_coverage(units, model_types, models, teams, CoveragePolicy(), BEFORE)
    return CoverageView(result, model_types, models, None, BEFORE)


def test_names_are_escaped_and_never_evaluated() -> None:
    html = render_map_html(small_view())
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html and "<b>tuần tra" not in html
    assert "Thôn 49" not in html and "7*7" in html  # {{ 7*7 }} was not run as a template
    layer = village_layer(build_coverage_map(small_view()))
    popup = feature(layer, "V2")["properties"]["popup"]
    assert "Thôn &#123;&#123; 7*7 &#125;&#125; &#123;# x" in popup
    assert (
        "Thôn &lt;script&gt;alert(1)&lt;/script&gt;" in feature(layer, "V1")["properties"]["popup"]
    )
    # The embedded JSON still parses after folium's rendering (nothing swallowed by "{#").
    (payload,) = re.findall(
        r"_add\((\{\"features\": \[\{\"geometry.*?\"id\": \"V1\".*?)\);\n", html
    )
    assert {f["id"] for f in json.loads(payload)["features"]} == {"V1", "V2"}


def test_villages_without_geometry_are_listed(tmp_path: Path) -> None:
    view = small_view()
    fmap = build_coverage_map(view)
    assert {f["id"] for f in village_layer(fmap).data["features"]} == {"V1", "V2"}
    html = fmap.get_root().render()
    panel = html[html.index('<section class="no-geometry">') :]
    panel = panel[: panel.index("</section>")]
    assert "Không có ranh giới" in panel and "no geometry" in panel and "(1)" in panel
    assert '<li data-code="V3">Thôn Không Ranh Giới' in panel
    assert "badge-uncovered" in panel
    exported = write_map_file(view, None, tmp_path / "small.html").read_text(encoding="utf-8")
    assert '<li data-code="V3">' in exported


# -- the page route -------------------------------------------------------------------------------


def test_page_is_a_shell_with_search_and_date_and_local_assets(client: TestClient) -> None:
    response = client.get("/", params={"as_of": BEFORE.isoformat()})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert external_asset_urls(html) == []
    assert '<input type="search" name="q"' in html
    assert '<input type="date" name="as_of" value="2025-06-30" required>' in html
    assert '<script src="static/map/map.js"></script>' in html
    for asset in ("vendor/leaflet/leaflet.js", "map/map.js", "map/map.css"):
        assert client.get("/static/" + asset).status_code == 200, asset
    # No feature is embedded: the page fetches them (/api/map) for the view it shows.
    assert '"09496-001"' not in html and '"FeatureCollection"' not in html
    assert len(response.content) < 30_000


def test_page_focuses_on_the_requested_unit(client: TestClient) -> None:
    html = client.get("/", params={"unit": "09595", "as_of": "2025-06-30"}).text
    assert '<span class="unit-title">Phường Viên Sơn</span>' in html
    assert '<small class="unit-context">Thị xã Sơn Tây, Thành phố Hà Nội</small>' in html
    assert '<input type="hidden" name="unit" value="09595">' in html
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert config["unit"]["code"] == "09595" and config["unit"]["level"] == 3
    west, south, east, north = config["unit"]["bounds"]
    assert 105.4 < west < east < 105.6 and 21.1 < south < north < 21.2
    assert '"09595-001"' not in html and '"09496-001"' not in html


def test_page_on_an_empty_store_says_there_is_no_data(tmp_path: Path) -> None:
    app = create_app(Settings(store_path=tmp_path / "empty.gpkg"))
    with TestClient(app) as empty_client:
        response = empty_client.get("/")
    assert response.status_code == 200
    assert "No data yet" in response.text
    assert "<code>geo-service import boundaries FILE</code>" in response.text
    # No data is neither covered nor uncovered: no 0/0.
    assert '<span class="big villages-covered">—</span>' in response.text


def test_page_rejects_unknown_units_and_bad_dates(client: TestClient) -> None:
    missing = client.get("/", params={"unit": "99999", "as_of": "2025-06-30"})
    assert missing.status_code == 404
    assert "no unit with code &#39;99999&#39; on 2025-06-30" in missing.text
    as_json = client.get("/", params={"unit": "99999"}, headers={"accept": "application/json"})
    assert as_json.status_code == 404 and "99999" in as_json.json()["detail"]
    for bad in ("2025-13-01", "yesterday", "<script>"):
        response = client.get("/", params={"as_of": bad})
        assert response.status_code == 422
        assert "as_of must be an ISO date YYYY-MM-DD" in response.text
        assert "<script>" not in response.text

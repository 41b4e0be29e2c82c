"""The map page at ``GET /`` in a real browser: the real app under uvicorn, Debian's
Chromium. The page is a shell that fetches what its view shows from ``/api/map``; these
tests drive it as a reader does (search, drill down, popups, the gap list, the URL).

Without /usr/bin/chromium these tests skip on a workstation and fail with CI=true.
Tile requests are recorded, then aborted (the tests run offline); every other request must
stay on the local server. The ``geo-service map`` file has its own tests
(``test_map_file_browser.py``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from geo_service.domain import Level
from geo_service.store import UnitQuery, open_store
from tests.live import screen_point
from tests.web.browser_support import (
    BEFORE,
    LiveServer,
    Recorder,
    assert_fitted,
    open_page,
    open_village_popup,
    wait_drawn,
)

pytestmark = pytest.mark.browser

DAY = BEFORE.isoformat()


def visible_bounds(page: Page) -> list[float]:
    """West, south, east, north and zoom of the page's map."""
    found: list[float] = page.evaluate(
        """() => { const m = window.coverageMap; const b = m.getBounds();
                   return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth(), m.getZoom()]; }"""
    )
    return found


def inside_point(server: LiveServer, code: str) -> tuple[float, float]:
    units = open_store(str(server.store_path)).units(UnitQuery(as_of=BEFORE, codes=(code,)))
    point = units.geometry.iloc[0].representative_point()
    return point.x, point.y


def click_unit(page: Page, server: LiveServer, code: str) -> None:
    """Click inside the unit, as a reader does, and wait until the map has drawn again."""
    page.evaluate("() => window.coverageMap.closePopup()")
    page.mouse.click(*screen_point(page, *inside_point(server, code)))
    page.wait_for_function(
        "code => new URLSearchParams(location.search).get('unit') === code", arg=code
    )
    wait_drawn(page)


def query_of(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def test_national_view_is_a_small_page_of_provinces_from_local_assets(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    response = page.goto(f"{live_server.url}/?as_of={DAY}")
    assert response is not None and response.status == 200
    assert len(response.body()) < 30_000  # a shell: no feature is embedded
    wait_drawn(page)
    provinces = live_server.view().result.rollups.query("level == 1")
    assert page.locator("path.unit-area.level-1").count() == len(provinces)
    for code in provinces["code"]:
        assert page.locator(f'path.unit-area[data-code="{code}"]').count() == 1
    # Choropleth by coverage, and the legend lists the classes drawn.
    shown = page.locator(".legend-item[data-legend=choropleth]:not([hidden])").count()
    assert shown >= 1
    assert page.locator(".legend-item[data-legend=villages]:not([hidden])").count() == 0
    assert "static/vendor/leaflet/leaflet.js" in page.content()
    assert log.foreign_hosts() == set()
    assert "127.0.0.1" in log.hosts
    assert log.errors == []


def red_at(page: Page, lon: float, lat: float) -> bool:
    """Whether the uncovered villages' canvas is painted red around (lon, lat)."""
    painted: bool = page.evaluate(
        """([lat, lon]) => {
            const map = window.coverageMap;
            const canvas = map.getPane('gaps').querySelector('canvas');
            const box = canvas.getBoundingClientRect();
            const point = map.latLngToContainerPoint([lat, lon]);
            const mapBox = map.getContainer().getBoundingClientRect();
            const ratio = canvas.width / box.width;
            const x = (mapBox.left + point.x - box.left) * ratio;
            const y = (mapBox.top + point.y - box.top) * ratio;
            const pixels = canvas.getContext('2d').getImageData(x - 2, y - 2, 5, 5).data;
            for (let i = 0; i < pixels.length; i += 4) {
                const [r, g, b, a] = pixels.slice(i, i + 4);
                if (a > 200 && r > 180 && g < 60 && b < 60) return true;
            }
            return false;
        }""",
        [lat, lon],
    )
    return painted


def test_an_uncovered_village_is_visible_at_national_zoom_and_listed(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    villages = live_server.view().result.villages
    uncovered = villages[villages["status"] == "uncovered"]
    open_page(page, f"{live_server.url}/?as_of={DAY}")
    assert visible_bounds(page)[4] <= 7  # the whole country
    assert page.locator(".gap-count").inner_text() == str(len(uncovered))
    for row in uncovered.itertuples():
        assert red_at(page, row.label_lon, row.label_lat), row.code
        item = page.locator(f'ol.gaps li[data-code="{row.code}"]')
        assert row.name in item.inner_text()
    # Phường 1, Quảng Trị: its uncovered Khu phố 6 is listed with its commune.
    assert "Khu phố 6 — Phường 1" in page.locator('ol.gaps li[data-code="19357-006"]').inner_text()
    assert page.locator(".legend-item[data-legend=gaps]:not([hidden])").count() == 1
    download = page.locator("a.gap-download").get_attribute("href") or ""
    collection = page.request.get(f"{live_server.url}/{download}").json()
    assert {f["id"] for f in collection["features"]} == set(uncovered["code"])
    assert log.errors == [] and log.foreign_hosts() == set()


def test_search_thua_before_the_reform_flies_there(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_page(page, f"{live_server.url}/?as_of={DAY}")
    page.fill(".search input[name=q]", "thua")
    result = page.locator(".search-results button[data-code='09496']")
    result.wait_for()
    assert "Thị trấn Thứa" in result.inner_text()
    result.click()
    page.wait_for_function("new URLSearchParams(location.search).get('unit') === '09496'")
    wait_drawn(page)
    assert page.locator("header .unit-title").inner_text() == "Thị trấn Thứa"
    assert "Huyện Lương Tài" in page.locator("header .unit-context").inner_text()
    thua = open_store(str(live_server.store_path)).units(UnitQuery(as_of=BEFORE, codes=("09496",)))
    assert_fitted(visible_bounds(page), thua.total_bounds)
    assert page.locator("path.village").count() == 8
    assert query_of(page)["as_of"] == DAY
    assert log.errors == [] and log.foreign_hosts() == set()


def test_drill_down_province_district_commune_by_clicking(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_page(page, f"{live_server.url}/?as_of={DAY}")
    click_unit(page, live_server, "27")  # Tỉnh Bắc Ninh
    assert page.locator("header .unit-title").inner_text() == "Tỉnh Bắc Ninh"
    assert page.locator('path.unit-area.level-2[data-code="264"]').count() == 1
    click_unit(page, live_server, "264")  # Huyện Lương Tài
    communes = open_store(str(live_server.store_path)).units(
        UnitQuery(as_of=BEFORE, level=int(Level.COMMUNE), parent_code="264")
    )
    drawn = page.locator("path.unit-area.level-3")
    codes = {drawn.nth(i).get_attribute("data-code") for i in range(drawn.count())}
    assert set(communes["code"]) <= codes
    click_unit(page, live_server, "09496")  # Thị trấn Thứa
    assert page.locator("header .unit-title").inner_text() == "Thị trấn Thứa"
    assert page.locator("path.village").count() == 8
    assert page.locator("path.commune-outline").count() >= 1
    popup = page.locator(".leaflet-popup-content .unit-popup")
    assert popup.get_attribute("data-code") == "09496"
    assert "8/8" in popup.inner_text()
    assert page.locator(".legend-item[data-legend=villages]:not([hidden])").count() >= 1
    assert log.errors == [] and log.foreign_hosts() == set()


def coverage_feature(page: Page, server: LiveServer, code: str, parent: str) -> dict[str, Any]:
    url = f"{server.url}/api/coverage?parent={parent}&as_of={DAY}"
    collection = page.request.get(url).json()
    (found,) = [f["properties"] for f in collection["features"] if f["id"] == code]
    return found


def test_a_village_popup_shows_the_api_s_figures(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Any
) -> None:
    page, log = page_and_log
    code = "09496-003"
    figures = coverage_feature(page, live_server, code, "09496")
    open_page(page, f"{live_server.url}/?unit=09496&as_of={DAY}")
    popup = open_village_popup(page, live_server, code)
    text = popup.inner_text()
    assert figures["name"] in text and "Thị trấn Thứa" in text
    assert "Tổ tuần tra nhân dân" in text and "Vùng ước lượng" in text
    row = popup.locator("tr[data-type='patrol_team'] td")
    assert row.nth(1).inner_text() == str(figures["team_count"])
    assert row.nth(2).inner_text() == str(figures["members"])
    page.wait_for_timeout(400)  # let the popup finish fading in
    screenshot = tmp_path / "thua-popup.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert log.foreign_hosts() == set() and log.errors == []


def test_vien_son_shows_its_uncovered_wards_and_the_url_restores_the_view(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    villages = live_server.view("09595").result.villages
    open_page(page, f"{live_server.url}/?unit=09595&as_of={DAY}")
    assert page.locator("path.village").count() == len(villages) == 9
    for code, status in zip(villages["code"], villages["status"], strict=True):
        classes = page.locator(f'path[data-code="{code}"]').get_attribute("class") or ""
        assert f"village-{status}" in classes.split()
    assert page.locator("path.village-uncovered").count() == 8
    assert "Phường Viên Sơn" in page.locator("header .unit-title").inner_text()
    shown = visible_bounds(page)
    assert_fitted(shown, villages.total_bounds)
    state = query_of(page)
    assert state["unit"] == "09595" and state["as_of"] == DAY
    assert {"zoom", "lat", "lon"} <= set(state)
    # Another zoom, kept by the URL and restored on loading it.
    page.evaluate("() => window.coverageMap.setZoom(window.coverageMap.getZoom() + 1)")
    page.wait_for_function(f"new URLSearchParams(location.search).get('zoom') == {shown[4] + 1}")
    wait_drawn(page)
    saved = page.url
    open_page(page, saved)
    assert visible_bounds(page)[4] == shown[4] + 1
    assert query_of(page)["unit"] == "09595"
    assert page.locator("header .unit-title").inner_text() == "Phường Viên Sơn"
    assert log.foreign_hosts() == set() and log.errors == []


def test_another_date_is_asked_of_the_server_and_keeps_unit_and_view(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_page(page, f"{live_server.url}/?unit=09496&as_of={DAY}")
    before = query_of(page)
    with page.expect_navigation():
        page.fill(".date-form input[name=as_of]", "2025-07-01")
    wait_drawn(page)
    after = query_of(page)
    assert after["as_of"] == "2025-07-01" and after["unit"] == "09496"
    assert (after["zoom"], after["lat"], after["lon"]) == (
        before["zoom"],
        before["lat"],
        before["lon"],
    )
    # After the reform, 09496 is Xã Lương Tài, under the province directly.
    assert page.locator("header .unit-title").inner_text() == "Xã Lương Tài"
    assert page.locator("header .unit-context").inner_text() == "Tỉnh Bắc Ninh"
    assert log.errors == [] and log.foreign_hosts() == set()


def open_docs(page: Page, url: str, rendered: str, log: Recorder) -> None:
    """Open a docs page and wait until its UI has drawn ``rendered``, or say what broke it."""
    page.goto(url)
    try:
        page.wait_for_selector(rendered, timeout=15_000)
    except PlaywrightTimeoutError:
        pytest.fail(
            f"{url} drew no {rendered!r}: script errors {log.errors}, "
            f"other hosts {sorted(log.foreign_hosts())}, failed requests {log.failed}"
        )


def test_swagger_ui_renders_offline_from_local_assets(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_docs(page, f"{live_server.url}/docs", ".opblock-summary-path", log)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/units" in {path.replace("\u200b", "") for path in paths}
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("geo-service")
    assert log.foreign_hosts() == set() and log.failed == []
    assert log.errors == []


def test_redoc_renders_offline_from_local_assets(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_docs(page, f"{live_server.url}/redoc", ".menu-content li[data-item-id]", log)
    assert page.locator(".menu-content li[data-item-id]").count() > 5
    assert "/api/units" in page.locator(".api-content").inner_text()
    assert log.foreign_hosts() == set() and log.failed == []
    assert log.errors == []

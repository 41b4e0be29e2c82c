"""The coverage map and the API docs in a real browser: the real app under uvicorn,
Debian's Chromium.

Without /usr/bin/chromium these tests skip on a workstation and fail with CI=true.
Tile requests are recorded, then aborted (the tests run offline); every other request must
stay on the local server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from geo_service.app import create_app
from geo_service.coverage.reads import CoverageView, coverage_as_of
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import open_store
from geo_service.web.scope import has_geometry
from tests.live import chromium, screen_point, serving

pytestmark = pytest.mark.browser

TILE_HOSTS = {"tile.openstreetmap.org"}
BEFORE = date(2025, 6, 30)


@dataclass
class LiveServer:
    url: str
    store_path: Path

    def view(self, root: str | None = None) -> CoverageView:
        return coverage_as_of(open_store(str(self.store_path)), CoveragePolicy(), BEFORE, root)


@dataclass
class Recorder:
    """Everything the page asked for and every script error it raised."""

    urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Requests the page's own Content-Security-Policy stopped inside the browser.
    blocked: list[str] = field(default_factory=list)

    def request_failed(self, request: Request) -> None:
        (self.blocked if request.failure == "csp" else self.failed).append(request.url)

    @property
    def hosts(self) -> list[str]:
        """The hosts the browser sent requests to."""
        return [urlsplit(url).hostname or "" for url in self.urls if url not in self.blocked]

    def foreign_hosts(self) -> set[str]:
        return {h for h in self.hosts if h not in {"127.0.0.1", "localhost"} | TILE_HOSTS}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real app with ``demo=True`` on an empty store, served by uvicorn in a thread."""
    store_path = tmp_path_factory.mktemp("browser") / "map.gpkg"
    app = create_app(Settings(store_path=store_path, demo=True))
    # The lifespan loads the demo before serving.
    with serving(app, start_timeout=120) as url:
        yield LiveServer(url, store_path)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page_and_log(browser: Browser) -> Iterator[tuple[Page, Recorder]]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log = Recorder()
    page.on("request", lambda request: log.urls.append(request.url))
    page.on("pageerror", lambda error: log.errors.append(str(error)))
    page.on("requestfailed", log.request_failed)

    def offline(route: Route) -> None:
        route.abort()

    for host in TILE_HOSTS:
        page.route(f"**://{host}/**", offline)
    yield page, log
    context.close()


def open_map(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("path.village")


def click_inside(page: Page, lon: float, lat: float) -> None:
    """Click the screen point of (lon, lat), found through the page's Leaflet map."""
    page.mouse.click(*screen_point(page, lon, lat))


def test_every_village_is_drawn_and_only_local_assets_load(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    villages = live_server.view().result.villages
    open_map(page, f"{live_server.url}/?as_of={BEFORE.isoformat()}")
    assert page.locator("path.village").count() == int(has_geometry(villages).sum())
    uncovered = int((villages["status"] == "uncovered").sum())
    assert page.locator("path.village.village-uncovered").count() == uncovered
    assert page.locator("path.commune-outline").count() > 0
    assert page.locator(".leaflet-control-layers").count() == 1
    assert "/static/vendor/leaflet/leaflet.js" in page.content()
    assert log.foreign_hosts() == set()
    assert "127.0.0.1" in log.hosts
    assert log.errors == []


def test_clicking_a_village_in_thua_opens_its_popup(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Path
) -> None:
    page, log = page_and_log
    view = live_server.view("09496")
    villages = view.result.villages.set_index("code")
    code = "09496-003"
    members = int(view.result.sites.loc[view.result.sites["unit_code"] == code, "members"].sum())
    open_map(page, f"{live_server.url}/?unit=09496&as_of={BEFORE.isoformat()}")
    inside = villages.loc[code, "geometry"].representative_point()
    click_inside(page, inside.x, inside.y)
    popup = page.locator(".leaflet-popup-content .village-popup")
    popup.wait_for()
    assert popup.get_attribute("data-code") == code
    text = popup.inner_text()
    assert villages.loc[code, "name"] in text
    assert "Tổ tuần tra nhân dân" in text
    assert "Thị trấn Thứa" in text
    row = popup.locator("tr[data-type='patrol_team'] td")
    assert row.nth(2).inner_text() == str(members)
    assert "Vùng ước lượng" in text
    page.wait_for_timeout(400)  # let the popup finish fading in
    screenshot = tmp_path / "thua-popup.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert log.foreign_hosts() == set() and log.errors == []


def test_vien_son_focus_shows_its_uncovered_wards(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    villages = live_server.view("09595").result.villages
    open_map(page, f"{live_server.url}/?unit=09595&as_of={BEFORE.isoformat()}")
    assert page.locator("path.village").count() == len(villages) == 9
    for code, status in zip(villages["code"], villages["status"], strict=True):
        classes = page.locator(f'path[data-code="{code}"]').get_attribute("class") or ""
        assert f"village-{status}" in classes.split()
    assert page.locator("path.village-uncovered").count() == 8
    assert "Phường Viên Sơn" in page.locator("header .unit-title").inner_text()
    assert page.locator("select[name=unit]").input_value() == "09595"
    # The map was fitted to the ward: every village lies inside the visible bounds.
    west, south, east, north = villages.total_bounds
    visible = page.evaluate(
        """() => { const m = window[document.querySelector('.folium-map').id];
                   const b = m.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(),
                   b.getNorth(), m.getZoom()]; }"""
    )
    assert visible[0] <= west and visible[1] <= south
    assert visible[2] >= east and visible[3] >= north
    assert visible[4] >= 12
    assert log.foreign_hosts() == set() and log.errors == []


def test_unit_picker_navigates_to_the_chosen_unit(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer
) -> None:
    page, log = page_and_log
    open_map(page, f"{live_server.url}/?as_of={BEFORE.isoformat()}")
    with page.expect_navigation():
        page.select_option("select[name=unit]", "07057")
    assert "unit=07057" in page.url and f"as_of={BEFORE.isoformat()}" in page.url
    page.wait_for_selector("path.village")
    assert page.locator("path.village").count() == 4
    assert "Xã Bằng Cả" in page.locator("header .unit-title").inner_text()
    assert log.foreign_hosts() == set() and log.errors == []


def test_exported_map_file_works_from_disk_with_no_server(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from geo_service.cli.main import app as cli

    output = tmp_path / "thua.html"
    result = CliRunner().invoke(
        cli,
        [
            "map",
            "--unit",
            "09496",
            "--as-of",
            BEFORE.isoformat(),
            "-o",
            str(output),
            "--store",
            str(live_server.store_path),
        ],
    )
    assert result.exit_code == 0, result.output
    page, log = page_and_log
    open_map(page, output.as_uri())
    assert page.locator("path.village").count() == 8
    assert page.locator("path.village-covered").count() == 8
    assert set(log.hosts) <= {""} | TILE_HOSTS  # file:// only (plus refused tiles)
    assert log.errors == []


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

"""In Chromium: a retired unit's page leads to its successor's map, and the parts of that
map without a village list are greyed and say so (issue 10, items 7 and 8).

Without /usr/bin/chromium these tests skip on a workstation and fail with CI=true.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route

from geo_service.app import create_app
from geo_service.coverage.reads import coverage_as_of
from geo_service.settings import CoveragePolicy, Settings
from geo_service.store import open_store
from tests.live import chromium, screen_point, serving

pytestmark = pytest.mark.browser

TODAY = date.today()
NO_DATA_GREY = "#8c8c8c"


@pytest.fixture(scope="module")
def server(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The real app under uvicorn over a copy of the demo store: (base URL, store path)."""
    store_path = tmp_path_factory.mktemp("fate") / "demo.gpkg"
    shutil.copy(demo_gpkg, store_path)
    with serving(create_app(Settings(store_path=store_path))) as url:
        yield url, store_path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))

    def offline(route: Route) -> None:
        route.abort()

    tab.route("**://tile.openstreetmap.org/**", offline)
    yield tab
    context.close()
    assert errors == []


def query_of(page: Page) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def test_retired_unit_page_leads_to_its_successor_and_its_own_figures(
    page: Page, server: tuple[str, Path]
) -> None:
    base, _ = server
    response = page.goto(f"{base}/?unit=07057")
    assert response is not None and response.status == 404
    assert "đã được sáp nhập vào Xã Quảng La (07054)" in page.inner_text("p.fate")
    page.click("a.successor[data-code='07054']")
    page.wait_for_selector("path.village")
    state = query_of(page)
    assert state["unit"] == "07054" and "as_of" not in state  # today's map
    assert page.inner_text(".unit-title") == "Xã Quảng La"
    page.go_back()
    page.click("a.own-figures")
    page.wait_for_selector("path.village")
    state = query_of(page)
    assert state["unit"] == "07057" and state["as_of"] == "2025-06-30"
    assert page.inner_text(".unit-title") == "Xã Bằng Cả"
    assert page.get_attribute(".village-list", "data-status") == "complete"


def test_parts_without_a_village_list_are_grey_and_say_so(
    page: Page, server: tuple[str, Path]
) -> None:
    base, store_path = server
    view = coverage_as_of(
        open_store(str(store_path)), CoveragePolicy(), TODAY, "07054", with_no_data_areas=True
    )
    assert view.no_data_areas is not None
    areas = view.no_data_areas.set_index("source_code")
    assert set(areas.index) == {"07039", "07051", "07054"}  # not Bằng Cả, whose villages are known
    page.goto(f"{base}/?unit=07054")
    page.wait_for_function("document.body.dataset.state === 'idle'")
    # Quảng La's own grey parts (neighbours without a village list are grey as well).
    grey = page.locator('path.no-data-area[data-code^="07054/"]')
    assert grey.count() == 3
    assert {grey.nth(i).get_attribute("fill") for i in range(3)} == {NO_DATA_GREY}
    summary = page.inner_text(".village-list")
    assert "1/4" in summary and "villages known for 1 of 4 source communes" in summary
    # The grey area of Xã Tân Dân is what the reader sees and hovers there.
    inside = areas.loc["07039", "geometry"].representative_point()
    x, y = screen_point(page, inside.x, inside.y)
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).getAttribute('class')", [x, y]
    )
    assert "no-data-area" in on_top
    page.mouse.move(x, y)
    tooltip = page.wait_for_selector(".leaflet-tooltip")
    assert tooltip is not None
    assert "Xã Tân Dân" in tooltip.inner_text() and "no village list" in tooltip.inner_text()
    # Bằng Cả's villages are drawn in colour, not greyed.
    assert page.locator("path.village").count() == 4

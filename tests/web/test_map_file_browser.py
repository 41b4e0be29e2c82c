"""The ``geo-service map`` file (folium, Leaflet inlined) opened from disk in Chromium:
every village drawn with its status, popups, the fit to a unit, and no request anywhere.

Without /usr/bin/chromium these tests skip on a workstation and fail with CI=true.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page
from typer.testing import CliRunner

from geo_service.cli.main import app as cli
from geo_service.web.scope import has_geometry
from tests.web.browser_support import (
    BEFORE,
    LiveServer,
    Recorder,
    assert_fitted,
    open_village_popup,
)

pytestmark = pytest.mark.browser


def map_file(server: LiveServer, folder: Path, unit: str | None) -> Path:
    output = folder / f"{unit or 'all'}.html"
    focus = ["--unit", unit] if unit else []
    store = ["--store", str(server.store_path)]
    result = CliRunner().invoke(
        cli, ["map", *focus, *store, "--as-of", BEFORE.isoformat(), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    return output


def open_file(page: Page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_selector("path.village")


def only_the_file_was_read(log: Recorder) -> bool:
    return set(log.hosts) <= {""} | {"tile.openstreetmap.org"}  # file:// and refused tiles


def test_every_village_is_drawn_with_its_status_and_nothing_is_fetched(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Path
) -> None:
    page, log = page_and_log
    villages = live_server.view().result.villages
    open_file(page, map_file(live_server, tmp_path, None))
    assert page.locator("path.village").count() == int(has_geometry(villages).sum())
    uncovered = int((villages["status"] == "uncovered").sum())
    assert page.locator("path.village.village-uncovered").count() == uncovered
    assert page.locator("path.commune-outline").count() > 0
    assert page.locator(".leaflet-control-layers").count() == 1
    assert "/static/vendor/leaflet/leaflet.js" not in page.content()  # inlined
    assert only_the_file_was_read(log)
    assert log.errors == []


def test_clicking_a_village_in_thua_opens_its_popup(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Path
) -> None:
    page, log = page_and_log
    view = live_server.view("09496")
    villages = view.result.villages.set_index("code")
    code = "09496-003"
    members = int(view.result.sites.loc[view.result.sites["unit_code"] == code, "members"].sum())
    open_file(page, map_file(live_server, tmp_path, "09496"))
    assert page.locator("path.village").count() == 8
    assert page.locator("path.village-covered").count() == 8
    popup = open_village_popup(page, live_server, code)
    text = popup.inner_text()
    assert villages.loc[code, "name"] in text
    assert "Tổ tuần tra nhân dân" in text and "Thị trấn Thứa" in text
    assert popup.locator("tr[data-type='patrol_team'] td").nth(2).inner_text() == str(members)
    assert "Vùng ước lượng" in text
    page.wait_for_timeout(400)  # let the popup finish fading in
    screenshot = tmp_path / "thua-popup.png"
    page.screenshot(path=str(screenshot))
    assert screenshot.stat().st_size > 10_000
    assert only_the_file_was_read(log) and log.errors == []


def test_vien_son_file_shows_its_uncovered_wards_fitted(
    page_and_log: tuple[Page, Recorder], live_server: LiveServer, tmp_path: Path
) -> None:
    page, log = page_and_log
    villages = live_server.view("09595").result.villages
    open_file(page, map_file(live_server, tmp_path, "09595"))
    assert page.locator("path.village").count() == len(villages) == 9
    for code, status in zip(villages["code"], villages["status"], strict=True):
        classes = page.locator(f'path[data-code="{code}"]').get_attribute("class") or ""
        assert f"village-{status}" in classes.split()
    assert page.locator("path.village-uncovered").count() == 8
    assert "Phường Viên Sơn" in page.locator("header .unit-title").inner_text()
    # The map was fitted to the ward: every village lies inside the visible bounds.
    visible = page.evaluate(
        """() => { const m = window[document.querySelector('.folium-map').id];
                   const b = m.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(),
                   b.getNorth(), m.getZoom()]; }"""
    )
    assert_fitted(visible, villages.total_bounds)
    assert only_the_file_was_read(log) and log.errors == []

"""The map page's camera markers (issue 13, item 6): clustered points fetched from
``/api/cameras`` when ``GEO_SERVICE_CAMERA_POINTS_PUBLIC`` is on; with it off (the
default) the page neither asks for nor draws a camera point. Real uvicorn, real Chromium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from geo_service.app import create_app
from geo_service.imports.pipeline import import_models
from geo_service.settings import Settings
from geo_service.store import open_store
from tests.camera_sites import THON_1, camera_register
from tests.live import serving
from tests.web.browser_support import Recorder, open_page


@pytest.fixture(scope="module")
def camera_store(demo_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cameras")
    path = folder / "cameras.gpkg"
    shutil.copy(demo_gpkg, path)
    import_models(open_store(str(path)), camera_register(folder))
    return path


def served(path: Path, *, public: bool) -> Iterator[str]:
    with serving(create_app(Settings(store_path=path, camera_points_public=public))) as url:
        yield url


@pytest.fixture(scope="module")
def cameras_on(camera_store: Path) -> Iterator[str]:
    yield from served(camera_store, public=True)


@pytest.fixture(scope="module")
def cameras_off(camera_store: Path) -> Iterator[str]:
    yield from served(camera_store, public=False)


def wait_cameras(page: Page) -> None:
    page.wait_for_function("document.body.dataset.cameras === 'idle'", timeout=20_000)


def test_cameras_are_clustered_markers_when_the_setting_is_on(
    cameras_on: str, page_and_log: tuple[Page, Recorder]
) -> None:
    page, log = page_and_log
    open_page(page, f"{cameras_on}/?unit=07054")
    wait_cameras(page)
    assert any("/api/cameras?" in url for url in log.urls)
    # Zoomed to the commune, the two cameras of Thôn 1 make one cluster.
    assert page.locator(".marker-cluster").count() >= 1
    page.evaluate(f"window.coverageMap.setView([{THON_1[1]}, {THON_1[0]}], 18, {{animate: false}})")
    wait_cameras(page)
    page.locator("path.camera-point").first.wait_for()
    assert page.locator("path.camera-point").count() >= 2
    # Zoomed out to the country, no camera is asked for (there may be a million).
    asked = sum("/api/cameras?" in url for url in log.urls)
    page.evaluate("window.coverageMap.setView([16, 106], 6, {animate: false})")
    wait_cameras(page)
    page.wait_for_function("document.body.dataset.state === 'idle'", timeout=20_000)
    assert sum("/api/cameras?" in url for url in log.urls) == asked
    assert page.locator(".marker-cluster").count() == 0
    assert not log.errors, log.errors


def test_no_camera_is_asked_for_or_drawn_when_the_setting_is_off(
    cameras_off: str, page_and_log: tuple[Page, Recorder]
) -> None:
    page, log = page_and_log
    open_page(page, f"{cameras_off}/?unit=07054")
    page.evaluate(f"window.coverageMap.setView([{THON_1[1]}, {THON_1[0]}], 18, {{animate: false}})")
    page.wait_for_function("document.body.dataset.state === 'idle'", timeout=20_000)
    assert not any("/api/cameras" in url for url in log.urls)
    assert page.locator("path.camera-point").count() == 0
    assert page.locator(".marker-cluster").count() == 0
    assert "markercluster" not in page.content()
    assert not log.errors, log.errors

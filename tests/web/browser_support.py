"""What the browser tests of the map share (their fixtures are in ``conftest.py``): the
live demo server, a record of a page's requests (tiles aborted: the tests run offline) and
script errors, and waiting for the map page to draw.

Without /usr/bin/chromium these tests skip on a workstation and fail with CI=true.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, Request

from geo_service.coverage.reads import CoverageView, coverage_as_of
from geo_service.settings import CoveragePolicy
from geo_service.store import open_store
from tests.live import screen_point

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


def wait_drawn(page: Page) -> None:
    """Until the map page has fetched and drawn everything its view asks for."""
    page.wait_for_function("document.body.dataset.state === 'idle'", timeout=20_000)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_drawn(page)


def assert_fitted(shown: Sequence[float], bounds: Sequence[float]) -> None:
    """The map's view ``shown`` (west, south, east, north, zoom) holds ``bounds`` whole,
    zoomed in to a commune's scale."""
    west, south, east, north = bounds
    assert shown[0] <= west and shown[1] <= south, (shown, bounds)
    assert shown[2] >= east and shown[3] >= north, (shown, bounds)
    assert shown[4] >= 12


def open_village_popup(page: Page, server: LiveServer, code: str) -> Locator:
    """Click inside village ``code`` (of Thị trấn Thứa's tree), as a reader does; its popup."""
    villages = server.view("09496").result.villages.set_index("code")
    inside = villages.loc[code, "geometry"].representative_point()
    page.mouse.click(*screen_point(page, inside.x, inside.y))
    popup = page.locator(".leaflet-popup-content .village-popup")
    popup.wait_for()
    assert popup.get_attribute("data-code") == code
    return popup

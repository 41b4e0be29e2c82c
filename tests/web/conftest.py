"""Fixtures of the browser tests of the map: the demo served by uvicorn, Chromium, and a
1280×800 page whose requests and script errors are recorded (``browser_support``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Route

from geo_service.app import create_app
from geo_service.settings import Settings
from tests.live import chromium, serving
from tests.web.browser_support import TILE_HOSTS, LiveServer, Recorder


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

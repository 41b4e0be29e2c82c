"""What the tests that need a live service share: a free port, the real app under uvicorn in
a thread, and Debian's Chromium driven by Playwright.

Without /usr/bin/chromium the browser tests skip on a workstation; with CI=true they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI, *, start_timeout: float = 60) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, for the duration; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, or a skip (a failure with CI=true) where it is not installed."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must run)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screen_point(page: Page, lon: float, lat: float) -> tuple[float, float]:
    """Where (lon, lat) is on the screen, found through the page's Leaflet map: the map
    page's (``window.coverageMap``) or a folium file's."""
    x, y = page.evaluate(
        """([lat, lon]) => {
            const map = window.coverageMap || window[document.querySelector('.folium-map').id];
            const point = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + point.x, box.top + point.y];
        }""",
        [lat, lon],
    )
    return float(x), float(y)

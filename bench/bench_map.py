"""Map benchmark: the map page at ``GET /`` against naive folium, in headless Chromium.

The national store (``bench.national_store``: ``bench.generate`` data, one import) is
served by a real uvicorn in its own process. Two views are measured:

- a province (the one with the most villages): ours is ``/?unit=CODE`` (the page fits the
  province and fetches its districts, coloured by coverage, and its uncovered villages as
  points); naive folium is one HTML page with the province's villages embedded as GeoJSON
  (code, name, status; styled by status, a tooltip each), Leaflet from the same vendored
  files, the way a first folium map is written;
- the national view: ours is ``/`` (provinces and every uncovered village as points);
  naive folium embeds all the country's villages.

Each load is timed from navigation to the first complete render: every data request
answered and drawn (ours: the page's ``data-state`` is ``idle``, then two animation
frames; folium: every village path in the DOM, then two frames). Bytes are the response
bodies the browser received, static assets (``/static/``) aside: for folium the page,
for ours the page and its ``/api/map`` answers. Each server is warmed by one load first
(ours computes the day's coverage once; that first load is reported on its own), then
measured ``--repeat`` times in fresh browser contexts; the medians are reported.

    python -m bench.bench_map --seed 42 --scale 1
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import folium
from playwright.sync_api import Browser, Page, sync_playwright
from rich.console import Console
from rich.table import Table

from bench import options
from bench.bench_tiles import free_port, uvicorn_server
from bench.generate import generate
from bench.national_store import write_store
from geo_service.coverage.reads import coverage_as_of
from geo_service.domain import Level
from geo_service.settings import PACKAGE_DIR, CoveragePolicy
from geo_service.store import open_store
from geo_service.web.assets import AssetMode, use_local_assets

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
VIEWPORT = {"width": 1280, "height": 800}
TWO_FRAMES = """() => new Promise(done => requestAnimationFrame(
    () => requestAnimationFrame(() => done(performance.now()))))"""
OURS_DRAWN = "document.body.dataset.state === 'idle'"
NAIVE_DRAWN = "n => document.querySelectorAll('path.village').length >= n"
LOAD_TIMEOUT_MS = 300_000


def naive_folium_html(store_path: Path, root: str | None, as_of: date) -> tuple[str, int]:
    """A naive folium page of ``root``'s villages (all of them without a root), and how
    many it draws."""
    store = open_store(str(store_path))
    view = coverage_as_of(store, CoveragePolicy(), as_of, root)
    villages = view.result.villages[["code", "name", "status", "geometry"]]
    villages = villages[~(villages.geometry.isna() | villages.geometry.is_empty)]
    fmap = folium.Map(location=(16.0, 106.0), zoom_start=6, tiles=None)
    use_local_assets(fmap, AssetMode.SERVED)
    folium.GeoJson(
        villages.to_json(),
        style_function=lambda feature: {
            "className": f"village village-{feature['properties']['status']}",
            "fillColor": "#1a9641" if feature["properties"]["status"] == "covered" else "#d7191c",
            "color": "#333333",
            "weight": 1,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name", "status"]),
    ).add_to(fmap)
    west, south, east, north = villages.total_bounds
    fmap.fit_bounds([[south, west], [north, east]])
    store.close()
    return fmap.get_root().render(), len(villages)


@contextmanager
def static_server(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on a free loopback port (the naive pages and ``/static``)."""
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def load(browser: Browser, url: str, drawn: str, argument: int | None = None) -> dict[str, Any]:
    """Open ``url`` in a fresh context; milliseconds to the first complete render and the
    bytes received, static assets aside."""
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page: Page = context.new_page()
    received: dict[str, int] = {}
    page.route("**://tile.openstreetmap.org/**", lambda route: route.abort())

    def finished(request: Any) -> None:
        if "/static/" not in request.url:
            received[request.url] = request.sizes()["responseBodySize"]

    page.on("requestfinished", finished)
    page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_function(drawn, arg=argument, timeout=LOAD_TIMEOUT_MS, polling="raf")
    milliseconds = float(page.evaluate(TWO_FRAMES))
    page.wait_for_timeout(100)  # let the last requestfinished events arrive
    context.close()
    return {"ms": round(milliseconds), "bytes": sum(received.values()), "requests": len(received)}


def measured(browser: Browser, url: str, drawn: str, argument: int | None, repeat: int) -> Any:
    first = load(browser, url, drawn, argument)
    runs = [load(browser, url, drawn, argument) for _ in range(repeat)]
    return {
        "first": first,
        "ms": round(statistics.median(r["ms"] for r in runs)),
        "bytes": int(statistics.median(r["bytes"] for r in runs)),
        "requests": runs[0]["requests"],
        "runs_ms": [r["ms"] for r in runs],
    }


def largest_province(data_units: Any) -> tuple[str, int]:
    villages = data_units[data_units["level"] == int(Level.VILLAGE)]
    communes = data_units[data_units["level"] == int(Level.COMMUNE)].set_index("code")
    districts = data_units[data_units["level"] == int(Level.DISTRICT)].set_index("code")
    district = communes["parent_code"].reindex(villages["parent_code"]).to_numpy()
    province = districts["parent_code"].reindex(district).value_counts()
    return str(province.index[0]), int(province.iloc[0])


def run(seed: int, scale: float, repeat: int, out: Path, console: Console) -> dict[str, Any]:
    data = generate(seed, scale)
    today = date.today()
    province, province_villages = largest_province(data.units)
    report: dict[str, Any] = {
        "seed": seed,
        "scale": scale,
        "repeat": repeat,
        "province": province,
        "province_villages": province_villages,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": os.getloadavg(),
    }
    with tempfile.TemporaryDirectory(prefix="bench-map-") as scratch:
        folder = Path(scratch)
        store_path = write_store(data, folder / "store.gpkg")
        (folder / "static").symlink_to(PACKAGE_DIR / "web" / "static")
        naive_sizes: dict[str, int] = {}
        for name, root in (("province", province), ("national", None)):
            html, drawn = naive_folium_html(store_path, root, today)
            (folder / f"{name}.html").write_text(html, encoding="utf-8")
            naive_sizes[name] = drawn
        port = free_port()
        with (
            uvicorn_server(
                "geo_service.app:create_app", store_path, port, probe="/static/map/map.js"
            ),
            static_server(folder) as naive_url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            ours_url = f"http://127.0.0.1:{port}"
            started = time.perf_counter()
            for name, path in (("province", f"/?unit={province}"), ("national", "/")):
                report[f"ours_{name}"] = measured(
                    browser, ours_url + path, OURS_DRAWN, None, repeat
                )
                report[f"naive_{name}"] = measured(
                    browser, f"{naive_url}/{name}.html", NAIVE_DRAWN, naive_sizes[name], repeat
                )
                report[f"naive_{name}"]["villages"] = naive_sizes[name]
            report["seconds"] = round(time.perf_counter() - started, 1)
            browser.close()
    for name in ("province", "national"):
        ours, naive = report[f"ours_{name}"], report[f"naive_{name}"]
        report[f"{name}_time_ratio"] = round(ours["ms"] / naive["ms"], 3)
        report[f"{name}_bytes_ratio"] = round(ours["bytes"] / naive["bytes"], 4)
    report["load_after"] = os.getloadavg()
    print_report(report, console)
    options.write_report(report, out, console)
    return report


def print_report(report: dict[str, Any], console: Console) -> None:
    table = Table(
        title=f"map, first complete render (seed {report['seed']}, median of "
        f"{report['repeat']}; province {report['province']}: "
        f"{report['province_villages']} villages)"
    )
    for column in ("view", "page", "ms", "first load ms", "MB (static aside)", "requests"):
        table.add_column(column)
    for name in ("province", "national"):
        for who in ("ours", "naive"):
            row = report[f"{who}_{name}"]
            table.add_row(
                name,
                "ours (/api/map)" if who == "ours" else "naive folium",
                str(row["ms"]),
                str(row["first"]["ms"]),
                f"{row['bytes'] / 1e6:.3f}",
                str(row["requests"]),
            )
    console.print(table)
    for name in ("province", "national"):
        console.print(
            f"{name}: ours / naive time {report[f'{name}_time_ratio']}x, "
            f"bytes {report[f'{name}_bytes_ratio'] * 100:.1f}%"
        )


main = options.main_of(run, __doc__.splitlines()[0], "bench/out/map.json", width=110)

if __name__ == "__main__":
    main()

"""Vector tile benchmark: ``/tiles`` against a naive tile server, both under uvicorn.

The national store (``bench.national_store``: ``bench.generate`` data, one import) is
served twice, each by a real uvicorn in its own process:

- ours: ``geo_service.app.create_app`` (``/tiles/{collection}/{z}/{x}/{y}``);
- naive: the way a first tile server is often written (``naive_app`` below): each tile
  reads the whole layer of its level with geopandas, projects it to Web Mercator, clips
  it to the tile and encodes it with mapbox-vector-tile's ``quantize_bounds``. It gets
  the same coverage attributes, computed once at start-up, so only the geometry path
  differs.

A seeded set of tiles around the villages' label points, at several zooms per collection,
is fetched at ``--connections`` concurrent keep-alive connections. After one tile that
computes the coverage attributes (timed on its own), ours is measured cold on a sample
(``--naive-tiles`` per collection and zoom: every tile drawn, the cache misses), cold on
the other tiles, then warm (all tiles again: cache hits); the naive server on the same
sample, so the ratios compare the same tiles. After timing, both servers' tiles of the
sample are decoded and compared: the same feature codes, or the benchmark stops.

    python -m bench.bench_tiles --seed 42 --scale 1
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pandas as pd
from fastapi import FastAPI, Response
from rich.console import Console
from rich.table import Table

from bench import options
from bench.generate import generate
from bench.national_store import write_store
from geo_service.api.serialise import records
from geo_service.api.tile_collections import COLLECTIONS, AttributeTables
from geo_service.coverage.reads import coverage_as_of
from geo_service.domain import Level
from geo_service.output.vector_tiles import BUFFER_UNITS, EXTENT, MEDIA_TYPE, Tile, tile_of
from geo_service.settings import Settings
from geo_service.store import open_store

# (collection, zoom) pairs fetched: province choropleth to village polygons.
TILE_SET = [
    ("provinces", 5),
    ("provinces", 6),
    ("districts", 7),
    ("districts", 8),
    ("communes", 9),
    ("communes", 10),
    ("communes", 11),
    ("villages", 12),
    ("villages", 13),
    ("villages", 14),
    ("gaps", 8),
    ("gaps", 10),
]
STORE_ENV = "GEO_SERVICE_STORE_PATH"


def tile_set(labels: pd.DataFrame, per_zoom: int, seed: int) -> list[tuple[str, Tile]]:
    """Up to ``per_zoom`` distinct tiles per (collection, zoom) of ``TILE_SET``, each holding
    a village label point drawn at random (seeded)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))
    lon = labels["label_lon"].to_numpy(dtype=float)[order]
    lat = labels["label_lat"].to_numpy(dtype=float)[order]
    chosen: list[tuple[str, Tile]] = []
    for collection, z in TILE_SET:
        seen: dict[Tile, None] = {}
        for x, y in zip(lon, lat, strict=True):
            seen.setdefault(tile_of(x, y, z))
            if len(seen) == per_zoom:
                break
        chosen += [(collection, tile) for tile in seen]
    return chosen


def tile_path(collection: str, tile: Tile) -> str:
    return f"/tiles/{collection}/{tile.z}/{tile.x}/{tile.y}"


def naive_app() -> FastAPI:
    """The naive tile server: the whole layer per tile (uvicorn ``--factory``)."""
    path = os.environ[STORE_ENV]
    store = open_store(path)
    attributes = AttributeTables.of(
        coverage_as_of(store, Settings().coverage, date.today(), with_geometry=False)
    )
    store.close()
    app = FastAPI()

    @app.get("/tiles/{collection}/{z}/{x}/{y}")
    def naive_tile(collection: str, z: int, x: int, y: int) -> Response:
        tile = Tile(z, x, y)
        wanted = COLLECTIONS[collection]
        if z < wanted.min_zoom:
            return Response(status_code=204)
        if wanted.points:
            frame = gpd.GeoDataFrame(
                attributes.gaps.reset_index(),
                geometry=gpd.points_from_xy(attributes.gap_lon, attributes.gap_lat),
                crs=4326,
            )
        else:
            layer = gpd.read_file(path, layer="units", where=f"level = {int(wanted.level)}")
            layer = layer[layer["valid_to"].isna()]
            table = attributes.by_level[int(wanted.level)]
            frame = layer[["code", "geometry"]].join(table, on="code")
        frame = frame.to_crs(3857)
        west, south, east, north = tile.mercator_bounds()
        margin = (east - west) * BUFFER_UNITS / EXTENT
        clipped = frame.geometry.clip_by_rect(
            west - margin, south - margin, east + margin, north + margin
        )
        keep = ~clipped.is_empty
        features = [
            {"geometry": geometry, "properties": {k: v for k, v in props.items() if v is not None}}
            for geometry, props in zip(
                clipped[keep], records(frame[keep], wanted.attributes), strict=True
            )
        ]
        if not features:
            return Response(status_code=204)
        content = mapbox_vector_tile.encode(
            [{"name": collection, "features": features}],
            default_options={"quantize_bounds": (west, south, east, north), "extents": EXTENT},
        )
        return Response(content, media_type=MEDIA_TYPE)

    return app


@contextmanager
def uvicorn_server(
    target: str, store: Path, port: int, code: Path | None = None, probe: str = "/"
) -> Iterator[subprocess.Popen[bytes]]:
    """``target`` (an app factory) under uvicorn in its own process, until the block ends;
    with ``code``, the ``geo_service`` package of that folder (another revision's).
    ``probe`` is the path asked until the server answers (it runs: choose a cheap one)."""
    env = {**os.environ, STORE_ENV: str(store)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    command = [sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, cwd=code
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("HEAD", probe)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def rss_mb(process: subprocess.Popen[bytes]) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Load:
    tiles: int
    seconds: float
    tiles_per_s: float
    p50_ms: float
    p99_ms: float
    bytes_total: int
    statuses: dict[str, int]


def fetch_all(port: int, paths: list[str], connections: int) -> tuple[Load, dict[str, bytes]]:
    """GET every path once at ``connections`` concurrent keep-alive connections."""
    todo: queue.Queue[str] = queue.Queue()
    for path in paths:
        todo.put(path)
    latencies: list[float] = []
    bodies: dict[str, bytes] = {}
    statuses: dict[str, int] = {}
    lock = threading.Lock()

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            try:
                path = todo.get_nowait()
            except queue.Empty:
                break
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                bodies[path] = body
                statuses[str(response.status)] = statuses.get(str(response.status), 0) + 1
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    milliseconds = np.array(latencies) * 1000
    load = Load(
        tiles=len(paths),
        seconds=round(seconds, 3),
        tiles_per_s=round(len(paths) / seconds, 1),
        p50_ms=round(float(np.percentile(milliseconds, 50)), 1),
        p99_ms=round(float(np.percentile(milliseconds, 99)), 1),
        bytes_total=sum(len(body) for body in bodies.values()),
        statuses=statuses,
    )
    return load, bodies


def feature_codes(content: bytes) -> set[str]:
    if not content:
        return set()
    decoded = mapbox_vector_tile.decode(content)
    return {f["properties"]["code"] for layer in decoded.values() for f in layer["features"]}


def check_same_features(ours: dict[str, bytes], naive: dict[str, bytes]) -> int:
    """Both servers' tiles hold the same features; returns how many tiles were compared."""
    for path, content in naive.items():
        mine, theirs = feature_codes(ours[path]), feature_codes(content)
        # Ours drops a sliver that snaps to nothing on the 4096 grid; the naive one keeps it.
        if not mine <= theirs or len(theirs - mine) > max(2, len(theirs) // 50):
            raise AssertionError(f"{path}: ours {len(mine)} features, naive {len(theirs)}")
    return len(naive)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(
    seed: int, scale: float, per_zoom: int, naive_per_zoom: int, connections: int, out: Path
) -> dict[str, Any]:
    data = generate(seed, scale)
    store_path = write_store(data, out.parent / f"tiles_store_{seed}_{scale}.gpkg")
    villages = data.units[data.units["level"] == int(Level.VILLAGE)]
    tiles = tile_set(villages, per_zoom, seed)
    paths = [tile_path(collection, tile) for collection, tile in tiles]
    sample = [tile_path(c, t) for c, t in tile_set(villages, naive_per_zoom, seed)]
    report: dict[str, Any] = {
        "seed": seed,
        "scale": scale,
        "connections": connections,
        "tiles": len(paths),
        "naive_tiles": len(sample),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": os.getloadavg(),
    }
    port = free_port()
    with uvicorn_server("geo_service.app:create_app", store_path, port) as server:
        report["ours_rss_start_mb"] = round(rss_mb(server), 1)
        # A tile outside the sample: the sample is then drawn cold, as the naive one draws it.
        first, _ = fetch_all(port, [paths[-1]], 1)
        report["ours_first_tile_s"] = first.seconds
        cold, ours_bodies = fetch_all(port, sample, connections)
        rest = [path for path in paths if path not in ours_bodies and path != paths[-1]]
        cold_rest, _ = fetch_all(port, rest, connections)
        warm, _ = fetch_all(port, paths, connections)
        report["ours_cold"], report["ours_cold_rest"] = asdict(cold), asdict(cold_rest)
        report["ours_warm"] = asdict(warm)
        report["ours_rss_end_mb"] = round(rss_mb(server), 1)
    port = free_port()
    with uvicorn_server("bench.bench_tiles:naive_app", store_path, port) as server:
        report["naive_rss_start_mb"] = round(rss_mb(server), 1)
        naive, naive_bodies = fetch_all(port, sample, connections)
        report["naive"] = asdict(naive)
        report["naive_rss_end_mb"] = round(rss_mb(server), 1)
    report["compared_tiles"] = check_same_features(ours_bodies, naive_bodies)
    report["cold_over_naive"] = round(cold.tiles_per_s / naive.tiles_per_s, 1)
    report["warm_over_naive"] = round(warm.tiles_per_s / naive.tiles_per_s, 1)
    report["load_after"] = os.getloadavg()
    store_path.unlink()
    return report


def print_report(report: dict[str, Any], console: Console) -> None:
    table = Table(title=f"tiles at {report['connections']} connections (seed {report['seed']})")
    for column in ("server", "tiles", "tiles/s", "p50 ms", "p99 ms", "MB sent", "statuses"):
        table.add_column(column)
    rows = (
        ("ours, cold (the naive sample)", "ours_cold"),
        ("naive (the same sample)", "naive"),
        ("ours, cold (the other tiles)", "ours_cold_rest"),
        ("ours, warm (all tiles again)", "ours_warm"),
    )
    for label, key in rows:
        load = report[key]
        table.add_row(
            label,
            str(load["tiles"]),
            str(load["tiles_per_s"]),
            str(load["p50_ms"]),
            str(load["p99_ms"]),
            f"{load['bytes_total'] / 1e6:.2f}",
            json.dumps(load["statuses"]),
        )
    console.print(table)
    console.print(
        f"cold / naive {report['cold_over_naive']}x, warm / naive {report['warm_over_naive']}x; "
        f"first tile (coverage computed) {report['ours_first_tile_s']} s; "
        f"RSS ours {report['ours_rss_start_mb']} -> {report['ours_rss_end_mb']} MB, "
        f"naive {report['naive_rss_start_mb']} -> {report['naive_rss_end_mb']} MB; "
        f"{report['compared_tiles']} tiles compared"
    )


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--tiles-per-zoom", type=int, default=20)
    parser.add_argument("--naive-tiles", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("bench/out/tiles.json"))
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = run(
        args.seed, args.scale, args.tiles_per_zoom, args.naive_tiles, args.connections, args.out
    )
    console = options.console()
    print_report(report, console)
    options.write_report(report, args.out, console)


if __name__ == "__main__":
    main()

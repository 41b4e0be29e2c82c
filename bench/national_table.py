"""The issue-12 speed table in ONE run: geo-service and its peer (tipg on PostGIS) side by
side on the national benchmark store, each figure beside the peer's of the same run.

The store (``bench.national_store``: ``bench.generate``, seeded) is served by
``geo-service serve`` of this checkout (one worker, later two). With ``--peers`` the peer
environment is brought up (``bench.peers``: a private PostgreSQL + PostGIS cluster, the
service's own village and commune downloads loaded into it, tipg serving it). Then, with
the same client at the same connections:

- one commune's villages: OGC items with the commune's bbox (limit 100) against tipg's
  bbox items (limit 100); and the map's data for the same bbox (``/api/map/features``,
  villages); the villages of each answer compared first;
- tiles of communes (z9–11) and villages (z12–14): each once (ours drawn cold), then the
  same set round (ours cached), against tipg's MVT tiles with the same attributes;
- the national village GeoJSON, ``--repeat`` times, with the server's RSS after each,
  against PostGIS's ``ST_AsGeoJSON`` FeatureCollection of the same rows (``psql``);
- the server's RSS at start and after all of it;
- the map data load again with ``serve --workers 2``, and keep-alive latency on one
  connection with 1 and 2 workers, on the cheap ``conformance`` answer (TCP_NODELAY,
  uvicorn issue #3149);
- the map's rows are left for ``bench.bench_map`` (Chromium), which runs on its own.

It prints the table (work | geo-service | peer same run | ratio | target | met?) and writes
the report as JSON and the table as Markdown beside it.

    python -m bench.national_table --seed 42 --scale 1 --peers
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from bench import options
from bench.bench_coverage import machine
from bench.bench_downloads import compare_postgis, download_path
from bench.bench_tiles import free_port
from bench.generate import generate
from bench.http_load import CLIENTS, default_client
from bench.import_once import REPOSITORY
from bench.national_store import write_store
from bench.peers import measure
from bench.peers.load import load_national
from bench.peers.postgis import DEFAULT_FOLDER, DEFAULT_PORT, Cluster
from bench.peers.table import markdown, rows_of
from bench.peers.tipg_server import Tipg
from bench.peers.tipg_server import serving as tipg_serving
from bench.served import Server, serving
from geo_service.domain import Level
from geo_service.store import UnitQuery, open_store

COMPARED_BOXES = 10
# A commune's bbox is drawn this far (degrees, ~1 m) inside its edges: its neighbours share
# those edges, and whether a bbox touching them meets them then depends on the last digit
# of the coordinates each side holds (the peer holds the service's rounded GeoJSON).
INSET = 1e-5
KEEP_ALIVE_REQUESTS = 50
# Keep-alive latency is read on a cheap answer, where a delayed ACK (~40 ms) would show.
OUR_CHEAP_PATH, PEER_CHEAP_PATH = "/ogc/conformance", "/conformance"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="of each load run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--communes", type=int, default=200, help="bboxes the load walks")
    parser.add_argument("--tiles-per-zoom", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="national downloads")
    parser.add_argument("--client", choices=CLIENTS, default=None, help="default: wrk if found")
    parser.add_argument("--peers", action="store_true", help="bring up and measure the peer")
    parser.add_argument("--pg-folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--pg-port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--tipg-port", type=int, default=None, help="default: a free port")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench/out/national_table.json")
    args = parser.parse_args(argv)
    for name in ("seconds", "connections", "communes", "tiles_per_zoom", "repeat"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    args.client = args.client or default_client()
    return args


def commune_boxes(store_path: Path, count: int, seed: int) -> list[tuple[str, measure.Box]]:
    """``count`` communes drawn at random (seeded), each with its bounding box (``INSET``
    inside)."""
    store = open_store(str(store_path))
    try:
        communes = store.units(UnitQuery(level=int(Level.COMMUNE), columns=("code",)))
    finally:
        store.close()
    chosen = random.Random(seed).sample(range(len(communes)), min(count, len(communes)))
    picked = communes.iloc[chosen]
    bounds = picked.geometry.bounds.to_numpy() + np.array([INSET, INSET, -INSET, -INSET])
    return [
        (str(code), (float(w), float(s), float(e), float(n)))
        for code, (w, s, e, n) in zip(picked["code"], bounds, strict=True)
    ]


@contextmanager
def peer_environment(args: argparse.Namespace, our_port: int, folder: Path) -> Iterator[Tipg]:
    """The cluster up (made on first use), this run's rows loaded, tipg serving them."""
    cluster = Cluster(args.pg_folder, args.pg_port)
    cluster.init()
    cluster.start()
    rows = load_national(cluster, our_port, folder, date.today())
    port = args.tipg_port or free_port()
    with tipg_serving(cluster.url(), port, list(rows)) as tipg:
        yield tipg


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every figure, on a national store built for the run in a folder removed after it."""
    with tempfile.TemporaryDirectory(prefix="bench-national-table-") as folder:
        return _run_in(Path(folder), args)


def _run_in(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    data = generate(args.seed, args.scale)
    store = write_store(data, folder / "national.gpkg")
    labels = data.units[data.units["level"] == int(Level.VILLAGE)]
    boxes = commune_boxes(store, args.communes, args.seed)
    report: dict[str, Any] = {
        "command": "python -m bench.national_table " + " ".join(_flags(args)),
        "machine": machine(),
        "load_average_at_start": os.getloadavg(),
        "seed": args.seed,
        "scale": args.scale,
        "connections": args.connections,
        "seconds": args.seconds,
        "client": args.client,
        "peers": args.peers,
    }
    with ExitStack() as stack:
        ours = stack.enter_context(serving(REPOSITORY, store))
        rss: dict[str, Any] = {"ours_start_mb": ours.rss_mb()}
        tipg = (
            stack.enter_context(peer_environment(args, ours.port, folder)) if args.peers else None
        )
        if tipg is not None:
            rss["peer_start_mb"] = measure.rss_mb(tipg.process.pid)
        _one_worker(report, args, ours, tipg, boxes, labels, folder)
        rss["ours_end_busy_mb"] = ours.rss_mb()  # at once; then idle, as bench_memory reads it
        rss["ours_end_mb"] = ours.idle_rss_mb()
        if tipg is not None:
            rss["peer_end_mb"] = measure.rss_mb(tipg.process.pid)
        report["rss"] = rss
    with serving(REPOSITORY, store, workers=2) as two:
        report["keep_alive"]["2"] = measure.keep_alive(
            two.port, OUR_CHEAP_PATH, KEEP_ALIVE_REQUESTS
        )
        maps = [measure.our_map_path(box) for _, box in boxes]
        report["workers"]["2"] = measure.load(
            two.port, maps, args.connections, args.seconds, args.client
        )
    report["map"] = None  # bench.bench_map measures the map in Chromium on its own
    report["load_average_at_end"] = os.getloadavg()
    return report


def _one_worker(
    report: dict[str, Any],
    args: argparse.Namespace,
    ours: Server,
    tipg: Tipg | None,
    boxes: list[tuple[str, measure.Box]],
    labels: gpd.GeoDataFrame,
    folder: Path,
) -> None:
    """Every figure taken with the one-worker server (and the peer), into ``report``."""
    n, seconds, client = args.connections, args.seconds, args.client
    report["keep_alive"] = {"1": measure.keep_alive(ours.port, OUR_CHEAP_PATH, KEEP_ALIVE_REQUESTS)}
    if tipg is not None:
        report["keep_alive"]["peer"] = measure.keep_alive(
            tipg.port, PEER_CHEAP_PATH, KEEP_ALIVE_REQUESTS
        )
        compared = measure.same_items(ours.port, tipg, [box for _, box in boxes[:COMPARED_BOXES]])
    maps = [measure.our_map_path(box) for _, box in boxes]
    report["map_features"] = {"ours": measure.load(ours.port, maps, n, seconds, client)}
    report["workers"] = {"1": report["map_features"]["ours"]}
    items = [measure.our_items_path(box) for _, box in boxes]
    report["items"] = {"ours": measure.load(ours.port, items, n, seconds, client)}
    # Requests the load generator gave up on still run: the next figure waits for them.
    report["items"]["abandoned_settled_s"] = measure.settle(ours.pids())
    if tipg is not None:
        peer_items = [tipg.items_path("villages", box, measure.ITEMS_LIMIT) for _, box in boxes]
        report["items"] |= {
            "peer": measure.load(tipg.port, peer_items, n, seconds, client),
            "compared_boxes": compared,
        }
    tiles = measure.tile_paths(labels, args.tiles_per_zoom, args.seed, tipg)
    cold, our_tiles = measure.cold_tiles(ours.port, tiles["ours"], n)
    report["tiles_cold"] = {"ours": cold, "tiles": len(tiles["ours"])}
    report["tiles_sustained"] = {"ours": measure.load(ours.port, tiles["ours"], n, seconds, client)}
    if tipg is not None:
        peer_cold, peer_tiles = measure.cold_tiles(tipg.port, tiles["peer"], n)
        report["tiles_cold"] |= {
            "peer": peer_cold,
            "agreement": measure.tile_agreement(
                our_tiles, peer_tiles, list(zip(tiles["ours"], tiles["peer"], strict=True))
            ),
        }
        report["tiles_sustained"]["peer"] = measure.load(
            tipg.port, tiles["peer"], n, seconds, client
        )
    report["downloads"] = _downloads(args, ours, folder)


def _downloads(args: argparse.Namespace, ours: Server, folder: Path) -> dict[str, Any]:
    path = download_path(date.today())
    runs, after = [], []
    for _ in range(args.repeat):
        fetched = ours.get(path, {"Accept-Encoding": "identity"})
        if fetched.status != 200:
            raise RuntimeError(f"{path} answered {fetched.status}")
        runs.append(fetched)
        after.append(round(ours.rss_mb()))
    seconds = sorted(r.seconds for r in runs)
    result: dict[str, Any] = {
        "ours": {
            "path": path,
            "median_s": seconds[len(seconds) // 2],
            "runs_s": [round(r.seconds, 3) for r in runs],
            "mb": runs[0].content_bytes / 1e6,
            "rss_after_each_mb": after,
        }
    }
    villages = folder / "villages.geojson"  # the peer's rows, as loaded (with --peers)
    if args.peers and villages.exists():
        result["postgis"] = compare_postgis(
            Cluster(args.pg_folder, args.pg_port).conninfo(), villages, args.repeat
        )
    return result


def _flags(args: argparse.Namespace) -> list[str]:
    flags = [
        f"--seed {args.seed}",
        f"--scale {args.scale:g}",
        f"--seconds {args.seconds:g}",
        f"--connections {args.connections}",
        f"--repeat {args.repeat}",
        f"--client {args.client}",
    ]
    return flags + (["--peers"] if args.peers else [])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse(argv)
    report = run(args)
    table = markdown(rows_of(report))
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    options.write_report(report, args.out, options.console())
    return report


if __name__ == "__main__":
    main()

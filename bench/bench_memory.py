"""Server memory across the benchmarks' work, one server (issue 12: "Server RSS after the
benchmarks stays within 2x its start-up RSS").

One ``geo-service serve`` of this checkout (one worker) on the national benchmark store
(``bench.national_store``) answers, in turn, what the other benchmarks ask:

- downloads (``bench_downloads``): the national village GeoJSON ``--repeat`` times plain
  and as many times gzip-compressed;
- one commune's coverage (``bench_requests``): ``--samples`` communes cold, then 8
  keep-alive connections asking for random communes for ``--seconds``;
- the same at 8 connections as OGC items (``/ogc/collections/villages/items?bbox=``
  the commune's bounds), the request the issue compares with tipg;
- tiles (``bench_tiles``): its 209-tile set at 8 connections, twice;
- an import of the national register (every model and team written again, one status
  changed) and the first national request after it (the recompute), its wall time and
  the server's CPU time for it;
- the downloads again (the store's next generation).

The server's resident memory (``VmRSS``) is read after start-up and after each phase,
at once and again once the server has been idle for ``served.IDLE_S`` (it gives freed heap back
when idle: ``geo_service/api/freed_heap.py``); reported: each, the peak (``VmHWM``) and
the end (idle) over the start.

    python -m bench.bench_memory --seed 42 --scale 1
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench import options
from bench.bench_coverage import machine
from bench.bench_requests import CONNECTIONS, _changed_register
from bench.bench_tiles import fetch_all, tile_path, tile_set
from bench.generate import generate
from bench.import_once import REPOSITORY
from bench.national_store import write_store
from bench.served import Server, serving
from geo_service.domain import Level
from geo_service.store import UnitQuery, open_store

GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def _downloads(server: Server, day: date, repeat: int) -> dict[str, Any]:
    path = f"/api/coverage?as_of={day.isoformat()}&download=1"
    plain = [server.get(path, PLAIN) for _ in range(repeat)]
    zipped = [server.get(path, GZIP) for _ in range(repeat)]
    if {a.status for a in plain + zipped} != {200}:
        raise RuntimeError("a download failed")
    return {
        "plain_median_s": statistics.median(a.seconds for a in plain),
        "gzip_median_s": statistics.median(a.seconds for a in zipped),
        "mb": plain[0].content_bytes / 1e6,
    }


def _for_seconds(server: Server, paths: list[str], seconds: float, seed: int) -> dict[str, Any]:
    """``CONNECTIONS`` clients asking for random ``paths`` for ``seconds``."""
    rng = random.Random(seed)
    asked: list[str] = []
    started = time.perf_counter()
    load: dict[str, Any] = {"requests": 0, "statuses": {}}
    latencies: list[float] = []
    while time.perf_counter() - started < seconds:
        asked = [rng.choice(paths) for _ in range(CONNECTIONS * 8)]
        batch, _ = fetch_all(server.port, asked, CONNECTIONS)
        load["requests"] += batch.tiles
        for status, count in batch.statuses.items():
            load["statuses"][status] = load["statuses"].get(status, 0) + count
        latencies.append(batch.p50_ms)
    elapsed = time.perf_counter() - started
    load["requests_per_s"] = round(load["requests"] / elapsed, 1)
    load["p50_ms_of_batches"] = round(statistics.median(latencies), 1)
    return load


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    try:
        return _run_in(folder, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_in(folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    data = generate(args.seed, args.scale)
    store_path = write_store(data, folder / "national.gpkg")
    store = open_store(str(store_path))
    communes = store.units(UnitQuery(level=int(Level.COMMUNE), columns=("code",)))
    order = list(range(len(communes)))
    random.Random(args.seed).shuffle(order)
    chosen = communes.iloc[order]
    coverage_paths = [f"/api/coverage?parent={code}" for code in chosen["code"]]
    ogc_paths = [
        "/ogc/collections/villages/items?bbox=" + ",".join(f"{v:.6f}" for v in g.bounds)
        for g in chosen.geometry
    ]
    villages = data.units[data.units["level"] == int(Level.VILLAGE)]
    tiles = [tile_path(c, t) for c, t in tile_set(villages, 20, args.seed)]
    day = date.today()
    report: dict[str, Any] = {
        "command": f"python -m bench.bench_memory --seed {args.seed} --scale {args.scale}",
        "machine": machine(),
        "load_average_at_start": os.getloadavg(),
        "phases": {},
    }
    phases = report["phases"]
    with serving(REPOSITORY, store_path) as server:
        report["rss_start_mb"] = round(server.rss_mb())

        def phase(name: str, result: dict[str, Any]) -> None:
            busy = round(server.rss_mb())
            idle = round(server.idle_rss_mb())
            phases[name] = result | {"rss_busy_mb": busy, "rss_after_mb": idle}

        phase("downloads", _downloads(server, day, args.repeat))
        cold = [server.get(path).seconds for path in coverage_paths[: args.samples]]
        phase("communes_cold", {"p50_s": statistics.median(cold)})
        phase("communes_8", _for_seconds(server, coverage_paths, args.seconds, args.seed))
        phase("ogc_items_8", _for_seconds(server, ogc_paths, args.seconds, args.seed))
        tiles_load, _ = fetch_all(server.port, tiles, CONNECTIONS)
        again, _ = fetch_all(server.port, tiles, CONNECTIONS)
        phase("tiles", {"cold_per_s": tiles_load.tiles_per_s, "warm_per_s": again.tiles_per_s})
        store.apply(_changed_register(args.seed, args.scale, 1))
        cpu = server.cpu_s()
        recompute = server.get("/api/coverage?limit=1").seconds
        # The server's CPU time for it: what the request costs whatever else the cores run.
        phase(
            "import_and_recompute",
            {"first_request_s": recompute, "first_request_cpu_s": server.cpu_s() - cpu},
        )
        phase("downloads_after_import", _downloads(server, day, args.repeat))
        report["rss_end_mb"] = round(server.rss_mb())
        report["peak_rss_mb"] = round(server.peak_rss_mb())
    report["end_over_start"] = round(report["rss_end_mb"] / report["rss_start_mb"], 2)
    return report


def print_report(report: dict[str, Any]) -> None:
    print(f"server RSS at start: {report['rss_start_mb']} MB")
    for name, figures in report["phases"].items():
        shown = {k: v for k, v in figures.items() if k not in ("rss_after_mb", "rss_busy_mb")}
        print(
            f"  after {name}: {figures['rss_after_mb']} MB idle "
            f"({figures['rss_busy_mb']} MB at once)  {shown}"
        )
    print(
        f"end {report['rss_end_mb']} MB, peak {report['peak_rss_mb']} MB; "
        f"end / start {report['end_over_start']}x"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5, help="downloads of each kind")
    parser.add_argument("--samples", type=int, default=10, help="communes asked cold")
    parser.add_argument("--seconds", type=float, default=20.0, help="of 8 connections")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench/out/memory.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    report = run(args)
    print_report(report)
    options.write_report(report, args.out, options.console())


if __name__ == "__main__":
    main()

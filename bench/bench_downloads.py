"""National downloads (issue 12, item 5): the whole country's villages with their coverage
as GeoJSON, streamed by this checkout, against the whole-body build of an older revision,
both served by ``geo-service serve`` on the national benchmark store, in the same run.

For each side a server is started with that side's code (the base checked out with
``git worktree``). Downloads of ``/api/coverage`` (every village, level 4) alternate
between the two servers, ``--repeat`` each, read in pieces by the client; both sides must
send the same bytes (their SHA-256 is compared) before anything is reported. Reported:

- the time of a full download and of its first byte, and its size, sent plain and (this
  checkout only) gzip-compressed, and the answer to a repeat with ``If-None-Match``;
- each server's resident memory after start-up, after the plain downloads and after the
  gzip ones, and its peak (``VmRSS`` and ``VmHWM`` from ``/proc``);
- this checkout with 1 and with 2 workers (``serve --workers``): two downloads at once,
  after one untimed pair (a worker's first answer is cold);
- with ``--postgis CONNINFO`` (a libpq connection string), the same rows loaded into
  PostGIS by ``ogr2ogr`` and a FeatureCollection built there by ``ST_AsGeoJSON`` +
  ``json_agg`` and fetched by ``psql``, as the issue's reference.

    python -m bench.bench_downloads --seed 42 --scale 1 --repeat 5 --base decb500
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from bench import options
from bench.ab_import import checked_out
from bench.bench_coverage import machine
from bench.generate import generate
from bench.import_once import REPOSITORY
from bench.national_store import write_store
from bench.served import Fetched, Server, serving

# The last revision that built a download whole before sending it.
DEFAULT_BASE = "decb500"
GZIP = {"Accept-Encoding": "gzip"}
PLAIN = {"Accept-Encoding": "identity"}


def download_path(day: date) -> str:
    """Every village as a file (``download=1``: the whole table, where an answer shown
    inline is one page of it)."""
    return f"/api/coverage?as_of={day.isoformat()}&download=1"


def alternate(
    servers: dict[str, Server], path: str, headers: dict[str, str], repeat: int
) -> tuple[dict[str, list[Fetched]], dict[str, list[float]]]:
    """``repeat`` downloads from each server, the sides taking turns (forward, reversed);
    with each server's resident memory after each of its downloads."""
    fetched: dict[str, list[Fetched]] = {side: [] for side in servers}
    rss: dict[str, list[float]] = {side: [] for side in servers}
    order = list(servers)
    for round_ in range(repeat):
        for side in order if round_ % 2 == 0 else order[::-1]:
            answer = servers[side].get(path, headers)
            if answer.status != 200:
                raise RuntimeError(f"{side}: {path} answered {answer.status}")
            fetched[side].append(answer)
            rss[side].append(round(servers[side].rss_mb()))
    return fetched, rss


def summary(runs: list[Fetched]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(r.seconds for r in runs),
        "first_byte_median_s": statistics.median(r.first_byte_s for r in runs),
        "runs_s": [round(r.seconds, 3) for r in runs],
        "wire_mb": runs[0].wire_bytes / 1e6,
        "content_mb": runs[0].content_bytes / 1e6,
    }


def same_bytes(fetched: dict[str, list[Fetched]]) -> str:
    digests = {r.sha256 for runs in fetched.values() for r in runs}
    if len(digests) != 1:
        raise AssertionError(f"the sides sent different downloads: {digests}")
    return digests.pop()


def compare_builds(
    base_code: Path, store: Path, day: date, repeat: int, keep: Path
) -> dict[str, Any]:
    """Base and head side by side, one worker each."""
    path = download_path(day)
    with serving(base_code, store) as base, serving(REPOSITORY, store) as head:
        servers = {"base": base, "head": head}
        start_rss = {side: s.rss_mb() for side, s in servers.items()}
        plain, rss_plain = alternate(servers, path, PLAIN, repeat)
        digest = same_bytes(plain)
        zipped_runs, rss_gzip = alternate({"head": head}, path, GZIP, repeat)
        zipped = zipped_runs["head"]
        if {r.sha256 for r in zipped} != {digest}:
            raise AssertionError("the gzip download does not inflate to the plain one")
        etag = zipped[-1].headers["etag"]
        repeat_304 = [head.get(path, GZIP | {"If-None-Match": etag}) for _ in range(repeat)]
        if {r.status for r in repeat_304} != {304}:
            raise AssertionError("a repeat with the ETag was not answered 304")
        peaks = {side: s.peak_rss_mb() for side, s in servers.items()}
        _keep_one_download(head, path, keep)
    return {
        "path": path,
        "sha256": digest,
        "sides": {
            side: {
                "plain": summary(plain[side]),
                "rss_start_mb": start_rss[side],
                "rss_after_each_plain_mb": rss_plain[side],
                "peak_rss_mb": peaks[side],
            }
            for side in servers
        },
        "head_gzip": summary(zipped) | {"rss_after_each_mb": rss_gzip["head"]},
        "head_304_median_ms": statistics.median(r.seconds for r in repeat_304) * 1000,
    }


def _keep_one_download(server: Server, path: str, keep: Path) -> None:
    """The download written to ``keep`` as it arrives (for the PostGIS comparison)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    connection.request("GET", path, headers=PLAIN)
    response = connection.getresponse()
    with keep.open("wb") as out:
        while piece := response.read(1 << 20):
            out.write(piece)
    connection.close()


def compare_workers(store: Path, day: date, repeat: int) -> dict[str, Any]:
    """This checkout with 1 and 2 workers: two downloads at a time, ``repeat`` times."""
    path = download_path(day)
    results = {}
    for workers in (1, 2):
        with serving(REPOSITORY, store, workers=workers) as server:
            start_rss = server.rss_mb()
            _two_at_once(server, path)  # untimed: each worker's first answer is cold
            walls = []
            for _ in range(repeat):
                wall, _ = _timed(lambda: _two_at_once(server, path))
                walls.append(wall)
            results[str(workers)] = {
                "two_downloads_median_s": statistics.median(walls),
                "runs_s": [round(w, 3) for w in walls],
                "rss_start_mb": start_rss,
                "rss_after_mb": server.rss_mb(),
            }
    return results


def _two_at_once(server: Server, path: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: server.get(path, PLAIN), range(2)))
    if {a.status for a in answers} != {200}:
        raise RuntimeError("a concurrent download failed")


def compare_postgis(conninfo: str, download: Path, repeat: int) -> dict[str, Any]:
    """The same rows in PostGIS: a FeatureCollection by ``ST_AsGeoJSON`` + ``json_agg``,
    fetched whole by ``psql`` into a file."""
    table = "bench_download_villages"
    subprocess.run(
        [
            "ogr2ogr",
            "-f",
            "PostgreSQL",
            f"PG:{conninfo}",
            str(download),
            "-nln",
            table,
            "-overwrite",
            "-lco",
            "GEOMETRY_NAME=geom",
            "-lco",
            "SPATIAL_INDEX=NONE",
        ],
        check=True,
        capture_output=True,
    )
    query = (
        "SELECT json_build_object('type', 'FeatureCollection', 'features', "
        f"json_agg(ST_AsGeoJSON(v.*, 'geom', 7)::json)) FROM {table} v"
    )
    output = download.with_suffix(".postgis.json")
    times = []
    for _ in range(repeat):
        seconds, _ = _timed(
            lambda: subprocess.run(
                ["psql", conninfo, "-AtX", "-c", query, "-o", str(output)],
                check=True,
                capture_output=True,
            )
        )
        times.append(seconds)
    features = json.loads(output.read_text())["features"]
    return {
        "median_s": statistics.median(times),
        "runs_s": [round(t, 3) for t in times],
        "mb": output.stat().st_size / 1e6,
        "features": len(features),
    }


def _timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def run(args: argparse.Namespace, base_code: Path) -> dict[str, Any]:
    """Every comparison, on a national store built for the run (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-downloads-"))
    try:
        return _run_in(folder, args, base_code)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_in(folder: Path, args: argparse.Namespace, base_code: Path) -> dict[str, Any]:
    store = folder / "national.gpkg"
    write_store(generate(args.seed, args.scale), store)
    day = date.today()
    keep = folder / "download.geojson"
    builds = compare_builds(base_code, store, day, args.repeat, keep)
    report: dict[str, Any] = {
        "command": f"python -m bench.bench_downloads --seed {args.seed} --scale {args.scale} "
        f"--repeat {args.repeat} --base {args.base}"
        + (" --postgis CONNINFO" if args.postgis else ""),
        "base": args.base,
        "machine": machine(),
        "load_average_at_start": os.getloadavg(),
        "builds": builds,
        "workers": compare_workers(store, day, max(1, args.repeat // 2)),
        "postgis": compare_postgis(args.postgis, keep, args.repeat) if args.postgis else None,
    }
    return report


def print_report(report: dict[str, Any]) -> None:
    builds = report["builds"]
    base, head = builds["sides"]["base"], builds["sides"]["head"]
    gz = builds["head_gzip"]
    print(f"full village GeoJSON ({builds['path']}), {head['plain']['content_mb']:.1f} MB:")
    for side, numbers in (("base", base), ("head", head)):
        plain = numbers["plain"]
        print(
            f"  {side}: {plain['median_s']:.2f} s "
            f"(first byte {plain['first_byte_median_s']:.2f} s);"
            f" RSS {numbers['rss_start_mb']:.0f} MB at start, after each download "
            f"{numbers['rss_after_each_plain_mb']} MB, peak {numbers['peak_rss_mb']:.0f} MB"
        )
    print(
        f"  head gzip: {gz['median_s']:.2f} s, {gz['wire_mb']:.2f} MB on the wire; RSS after "
        f"each {gz['rss_after_each_mb']} MB; a repeat with If-None-Match: 304 in "
        f"{builds['head_304_median_ms']:.1f} ms"
    )
    print(f"  base / head: {base['plain']['median_s'] / head['plain']['median_s']:.2f}x")
    for workers, numbers in report["workers"].items():
        print(
            f"  head, {workers} worker(s): two downloads at once in "
            f"{numbers['two_downloads_median_s']:.2f} s; RSS {numbers['rss_start_mb']:.0f} → "
            f"{numbers['rss_after_mb']:.0f} MB"
        )
    if report["postgis"]:
        postgis = report["postgis"]
        print(
            f"  PostGIS ST_AsGeoJSON FeatureCollection: {postgis['median_s']:.2f} s, "
            f"{postgis['mb']:.1f} MB; head plain / PostGIS "
            f"{head['plain']['median_s'] / postgis['median_s']:.2f}x"
        )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--base", default=DEFAULT_BASE, help="revision that built downloads whole")
    parser.add_argument("--postgis", help="libpq connection string of a PostGIS database")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "bench/out/downloads.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    with checked_out(args.base) as base_code:
        report = run(args, base_code)
    print_report(report)
    options.write_report(report, args.out, options.console())


if __name__ == "__main__":
    main()

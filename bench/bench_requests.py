"""One commune's coverage over HTTP: this checkout against an older revision, same run.

Both sides serve the same national benchmark store (``bench.national_store``, seeded)
under a real uvicorn, one after the other, each from its own code: the base revision is
checked out with ``git worktree`` into a temporary folder (``bench.ab_import``). Per side:

- cold: the first ``GET /api/coverage?parent=<commune>`` of each of ``--samples`` communes
  on a freshly started server (nothing kept yet), one connection, p50;
- warm: the same requests again, p50;
- 8 connections (keep-alive, one thread each: ``bench.http_load``'s Python client) for
  ``--seconds`` walking the communes of the whole country in a seeded random order, once
  a national request has been answered: requests/s, p50 and p99;
- recompute: an import of the national register (every model and team written again,
  one status changed) through ``Store.apply``, then the first national request
  (``/api/coverage?limit=1``): what one recompute after an import costs;
- the server's resident memory at start and at the end.

Every answer is checked: status 200 and the commune's villages, the same on both sides.

    python -m bench.bench_requests --seed 42 --scale 1 --base main
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import options
from bench.ab_import import checked_out
from bench.bench_tiles import free_port, rss_mb, uvicorn_server
from bench.generate import generate
from bench.http_load import run_load
from bench.national_store import build, register_batch
from geo_service.domain import Level
from geo_service.store import ImportBatch, ImportSource, UnitQuery, open_store

REPOSITORY = Path(__file__).resolve().parent.parent
CONNECTIONS = 8


@dataclass
class Server:
    url_host: str
    port: int
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> float:
        return rss_mb(self.process)


@contextmanager
def serving(code: Path, store: Path) -> Iterator[Server]:
    """uvicorn serving ``store`` with the ``geo_service`` package found in ``code``."""
    port = free_port()
    target = "geo_service.app:create_app"
    with uvicorn_server(target, store, port, code, probe="/api/model-types") as process:
        yield Server("127.0.0.1", port, process)


def _get(server: Server, path: str, connection: http.client.HTTPConnection | None = None) -> bytes:
    own = connection or http.client.HTTPConnection(server.url_host, server.port, timeout=600)
    try:
        own.request("GET", path)
        response = own.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return body
    finally:
        if connection is None:
            own.close()


def _commune_path(commune: str) -> str:
    return f"/api/coverage?parent={commune}"


def _villages_of(body: bytes) -> list[str]:
    return sorted(feature["id"] for feature in json.loads(body)["features"])


def _timed(
    server: Server, path: str, connection: http.client.HTTPConnection | None = None
) -> tuple[float, bytes]:
    start = time.perf_counter()
    body = _get(server, path, connection)
    return time.perf_counter() - start, body


def _concurrent(server: Server, communes: list[str], seconds: float) -> dict[str, Any]:
    """``CONNECTIONS`` keep-alive clients walking ``communes`` (shuffled) for ``seconds``."""
    paths = [_commune_path(commune) for commune in communes]
    result = run_load(server.port, paths, CONNECTIONS, seconds, client="python")
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.requests} requests failed")
    return {
        "requests": result.requests,
        "requests_per_s": result.requests_per_s,
        "p50_s": result.p50_ms / 1000,
        "p99_s": result.p99_ms / 1000,
    }


def _changed_register(seed: int, scale: float, round_: int) -> ImportBatch:
    """The national register again, one model's status changed: an import that lands."""
    data = generate(seed, scale)
    batch = register_batch(data)
    assert batch.models is not None
    models = batch.models.copy()
    models.loc[models.index[round_], "status"] = "paused" if round_ % 2 == 0 else "active"
    source = ImportSource("models", f"register-round-{round_}.csv", f"{round_:064d}")
    return ImportBatch(source, models=models, teams=batch.teams)


def measure_side(
    code: Path, store_path: Path, communes: list[str], args: argparse.Namespace, round_: int
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Every figure of one side; and the villages it answered per commune (to compare)."""
    answers: dict[str, list[str]] = {}
    with serving(code, store_path) as server:
        figures: dict[str, Any] = {"rss_start_mb": server.rss_mb()}
        sample = communes[: args.samples]
        cold, warm = [], []
        for commune in sample:
            took, body = _timed(server, _commune_path(commune))
            cold.append(took)
            answers[commune] = _villages_of(body)
        for commune in sample:
            warm.append(_timed(server, _commune_path(commune))[0])
        figures["cold_p50_s"] = statistics.median(cold)
        figures["warm_p50_s"] = statistics.median(warm)
        _get(server, "/api/coverage?limit=1")  # the national view, as a busy server holds it
        figures["concurrent"] = _concurrent(server, communes, args.seconds)
        batch = _changed_register(args.seed, args.scale, round_)
        store = open_store(str(store_path))
        store.apply(batch)
        store.close()
        figures["recompute_after_import_s"] = _timed(server, "/api/coverage?limit=1")[0]
        figures["rss_end_mb"] = server.rss_mb()
    return figures, answers


def run(args: argparse.Namespace) -> dict[str, Any]:
    store_path = args.store.resolve()  # the servers run in their own code folders
    build(store_path, args.seed, args.scale).close()
    store = open_store(str(store_path))
    query = UnitQuery(level=int(Level.COMMUNE), with_geometry=False, columns=("code",))
    communes = store.units(query)["code"].tolist()
    store.close()
    random.Random(args.seed).shuffle(communes)
    if args.base_code is not None:
        base, base_answers = measure_side(args.base_code, store_path, communes, args, 0)
    else:
        with checked_out(args.base) as base_code:
            base, base_answers = measure_side(base_code, store_path, communes, args, 0)
    head, head_answers = measure_side(REPOSITORY, store_path, communes, args, 1)
    if base_answers != head_answers:
        raise AssertionError("the two sides answered different villages for a commune")
    ratios = {
        "cold_p50": base["cold_p50_s"] / head["cold_p50_s"],
        "warm_p50": base["warm_p50_s"] / head["warm_p50_s"],
        "requests_per_s_8": head["concurrent"]["requests_per_s"]
        / base["concurrent"]["requests_per_s"],
        "p99_8": base["concurrent"]["p99_s"] / head["concurrent"]["p99_s"],
    }
    return {
        "seed": args.seed,
        "scale": args.scale,
        "base": args.base,
        "communes": len(communes),
        "samples": args.samples,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "base_side": base,
        "head_side": head,
        "base_over_head": ratios,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--base", default="main", help="revision of the previous design")
    parser.add_argument(
        "--base-code", type=Path, default=None, help="a folder holding the base geo_service"
    )
    parser.add_argument("--samples", type=int, default=10, help="communes timed cold and warm")
    parser.add_argument("--seconds", type=float, default=20.0, help="of 8 connections")
    parser.add_argument("--store", type=Path, default=Path("bench/out/national_store.gpkg"))
    parser.add_argument("--out", type=Path, default=Path("bench/out/requests.json"))
    args = parser.parse_args(argv)
    report = run(args)
    shown = options.console()
    shown.print_json(data=report)
    options.write_report(report, args.out, shown)
    return report


if __name__ == "__main__":
    main()

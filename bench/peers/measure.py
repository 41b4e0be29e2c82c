"""The side-by-side measurements of the issue-12 table: geo-service and its peer (tipg on
PostGIS) asked the same things by the same client in the same run.

Each function takes the servers' ports and returns plain dicts (JSON-ready). Before any
load is timed, both sides' answers are compared: the same villages for a commune's bbox,
tiles holding the same units.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import geopandas as gpd

from bench.bench_tiles import feature_codes, fetch_all, tile_set
from bench.http_load import keep_alive_latencies, run_load
from bench.peers.tipg_server import Tipg
from geo_service.api.tile_collections import COLLECTIONS
from geo_service.output.vector_tiles import Tile

Box = tuple[float, float, float, float]
ITEMS_LIMIT = 100
# (collection of ours == table of the peer, zooms): the polygons both sides hold.
TILE_ZOOMS = {"communes": (9, 10, 11), "villages": (12, 13, 14)}


def our_items_path(bbox: Box, limit: int = ITEMS_LIMIT) -> str:
    box = ",".join(repr(round(v, 7)) for v in bbox)
    return f"/ogc/collections/villages/items?bbox={box}&limit={limit}"


def our_map_path(bbox: Box) -> str:
    """The villages the map page fetches for a view of ``bbox``."""
    box = ",".join(repr(round(v, 7)) for v in bbox)
    return f"/api/map/features?level=4&bbox={box}"


def get_json(port: int, path: str) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} on {port}: {response.status} {body[:300]!r}")
    return json.loads(body)


def codes_of(collection: dict[str, Any]) -> list[str]:
    return sorted(feature["properties"]["code"] for feature in collection["features"])


def same_items(our_port: int, tipg: Tipg, boxes: list[Box]) -> int:
    """Our items and the peer's answer each bbox with the same villages, and our map data
    holds them all (it draws every village whose bounding box meets the view: a few
    neighbours more); how many boxes were compared."""
    for bbox in boxes:
        ours = codes_of(get_json(our_port, our_items_path(bbox)))
        drawn = codes_of(get_json(our_port, our_map_path(bbox)))
        theirs = codes_of(get_json(tipg.port, tipg.items_path("villages", bbox, ITEMS_LIMIT)))
        if ours != theirs or not set(ours) <= set(drawn):
            raise AssertionError(
                f"bbox {bbox}: items {len(ours)} villages, map {len(drawn)}, tipg {len(theirs)}"
            )
    return len(boxes)


def load(port: int, paths: list[str], connections: int, seconds: float, client: str) -> dict:
    """One load run (after one untimed pass over a few paths, so a side's first-request
    costs are not in it)."""
    fetch_all(port, paths[:3], 1)
    result = run_load(port, paths, connections, seconds, client)
    if result.errors:
        raise RuntimeError(f"{result.errors} failed requests of {result.requests} on {port}")
    return asdict(result)


def tile_paths(labels: gpd.GeoDataFrame, per_zoom: int, seed: int, tipg: Tipg | None) -> dict:
    """The tiles both sides draw: ours and the peer's path for each, same order."""
    tiles: list[tuple[str, Tile]] = [
        (collection, tile)
        for collection, tile in tile_set(labels, per_zoom, seed)
        if tile.z in TILE_ZOOMS.get(collection, ())
    ]
    ours = [f"/tiles/{c}/{t.z}/{t.x}/{t.y}" for c, t in tiles]
    peer = []
    if tipg is not None:
        for collection, tile in tiles:
            properties = COLLECTIONS[collection].attributes
            peer.append(tipg.tile_path(collection, tile.z, tile.x, tile.y, properties))
    return {"ours": ours, "peer": peer}


def tile_agreement(
    ours: dict[str, bytes], peer: dict[str, bytes], pairs: list[tuple[str, str]]
) -> dict[str, int]:
    """Units drawn by one side only, over the tiles of ``pairs`` (ours, peer). tipg picks
    a tile's rows by the tile's own bounds, ours by the tile and its buffer band, so ours
    also draws the neighbours that reach only into the band; a unit in the peer's tile
    missing from ours (beyond a few slivers each side's snapping to the 4096 grid may
    empty) would be a different answer."""
    only_ours = only_peer = both = 0
    examples = []
    for our_path, peer_path in pairs:
        mine, theirs = feature_codes(ours[our_path]), feature_codes(peer[peer_path])
        if theirs - mine:
            examples.append((our_path, sorted(theirs - mine)))
        only_ours += len(mine - theirs)
        only_peer += len(theirs - mine)
        both += len(mine & theirs)
    if only_peer > max(2, both // 50):
        raise AssertionError(f"tiles: {only_peer} units in the peer's only: {examples[:5]}")
    return {"units_in_both": both, "only_ours": only_ours, "only_peer": only_peer}


def cold_tiles(port: int, paths: list[str], connections: int) -> tuple[dict, dict[str, bytes]]:
    """Every tile of ``paths`` once at ``connections`` (ours: each drawn, none cached)."""
    result, bodies = fetch_all(port, paths, connections)
    return asdict(result), bodies


def keep_alive(port: int, path: str, requests: int) -> dict:
    """One connection, ``requests`` in a row: the first and the median of the others."""
    took = keep_alive_latencies(port, path, requests)
    return {
        "first_ms": round(took[0] * 1000, 1),
        "later_p50_ms": round(statistics.median(took[1:]) * 1000, 1),
        "later_max_ms": round(max(took[1:]) * 1000, 1),
        "requests": requests,
    }


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def settle(pids: list[int], idle_share: float = 0.05, timeout_s: float = 600) -> float:
    """Wait until the processes use under ``idle_share`` of a core over a second (the
    requests a client abandoned have finished); the seconds waited."""
    started = time.monotonic()
    before = cpu_seconds(pids)
    while time.monotonic() - started < timeout_s:
        time.sleep(1)
        now = cpu_seconds(pids)
        if now - before < idle_share:
            break
        before = now
    return time.monotonic() - started


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")

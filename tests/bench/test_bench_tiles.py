"""The tile benchmark's harness at 1/100 scale: the tile set, both servers under uvicorn,
their tiles agreeing, and the written report. No timings are asserted."""

from __future__ import annotations

import json
from pathlib import Path

from bench import bench_tiles as bench
from bench.generate import generate
from geo_service.domain import Level

SEED, SCALE = 7, 0.01


def test_the_tile_set_has_distinct_tiles_at_each_zoom_around_villages() -> None:
    data = generate(SEED, SCALE)
    villages = data.units[data.units["level"] == int(Level.VILLAGE)]
    tiles = bench.tile_set(villages, 4, SEED)
    assert len(tiles) == len(set(tiles))
    zooms = {(collection, tile.z) for collection, tile in tiles}
    assert zooms == set(bench.TILE_SET)
    assert bench.tile_set(villages, 4, SEED) == tiles  # seeded


def test_both_servers_answer_the_same_features_and_the_report_is_written(tmp_path: Path) -> None:
    out = tmp_path / "tiles.json"
    bench.main(
        [
            "--seed",
            str(SEED),
            "--scale",
            str(SCALE),
            "--tiles-per-zoom",
            "3",
            "--naive-tiles",
            "1",
            "--connections",
            "2",
            "--out",
            str(out),
        ]
    )
    report = json.loads(out.read_text())
    assert report["compared_tiles"] == report["naive_tiles"] == report["ours_cold"]["tiles"] > 0
    for key in ("ours_cold", "ours_cold_rest", "ours_warm", "naive"):
        assert set(report[key]["statuses"]) <= {"200", "204"}
    assert report["ours_warm"]["tiles"] == report["tiles"]
    assert not list(tmp_path.glob("*.gpkg"))  # the store it served is removed

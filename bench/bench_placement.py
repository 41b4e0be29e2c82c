"""Placement benchmark (issue 13, item 6): 1,000,000 camera points into 80,000 villages.

Both sides start from the same lon/lat arrays (as a register's coordinate columns arrive)
and the same village polygons of ``bench.generate``, and end with the number of cameras per
village; the two answers are asserted equal before anything is reported.

- Ours: ``geo_service.ingest.points_in_units.place_points`` (STRtree of the points, bulk
  query of the villages, ``shapely.contains_xy``), then ``np.bincount`` per village.
- Baseline: ``gpd.points_from_xy``, ``gpd.sjoin(predicate="within")`` into the villages,
  ``groupby`` village.

Times are medians of ``--repeat`` alternating runs; peak memory is that of one more run of
each side in its own forked process (``bench_coverage.peak_memory_mb``: the rise of the
resident set from a trimmed heap, so GEOS memory counts). The issue's target is ours
≤ 0.6 × the baseline. The per-row report (``placement_problems``: outside every village, in
another commune than the row names) is timed too, on rows of which 1% name a wrong commune,
and so is the form ``bench_coverage`` measures (a point object per point, a tree of them).

    python -m bench.bench_placement --seed 42 --scale 1 --repeat 5
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from bench import options
from bench.bench_coverage import (
    Comparison,
    assign_points,
    check_counts,
    machine,
    measure,
    timed,
)
from bench.generate import generate
from geo_service.domain import WGS84
from geo_service.ingest.points_in_units import place_points, placement_problems

TARGET_RATIO = 0.6  # ours / baseline, from the issue
WRONG_COMMUNE_SHARE = 0.01


@dataclass(frozen=True)
class PlacementData:
    """The inputs both sides get: camera coordinates and villages; and each row's commune."""

    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    villages: gpd.GeoDataFrame  # code, parent_code, geometry
    named_communes: NDArray[np.object_]  # the commune each camera's row names
    wrong_rows: int  # rows made to name another commune


def placement_data(seed: int, scale: float) -> PlacementData:
    data = generate(seed, scale)
    villages = data.villages[["code", "parent_code", "geometry"]].reset_index(drop=True)
    xy = shapely.get_coordinates(data.cameras.geometry.to_numpy())
    commune_of = villages.set_index("code")["parent_code"]
    named = data.cameras["unit_code"].map(commune_of).to_numpy(dtype=object)
    rng = np.random.default_rng(seed)
    wrong = rng.choice(named.size, size=round(named.size * WRONG_COMMUNE_SHARE), replace=False)
    communes = np.unique(villages["parent_code"].to_numpy(dtype=object))
    shifted = np.searchsorted(communes, named[wrong]) + 1
    named[wrong] = communes[shifted % communes.size]  # the next commune: never the right one
    return PlacementData(
        np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1]), villages, named, wrong.size
    )


def ours(data: PlacementData) -> pd.Series:
    polygons = data.villages.geometry.to_numpy()
    counts = place_points(data.lon, data.lat, polygons).counts(len(polygons))
    return pd.Series(counts, index=data.villages["code"].to_numpy(), name="cameras").sort_index()


def baseline(data: PlacementData) -> pd.Series:
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(data.lon, data.lat), crs=WGS84)
    villages = data.villages[["code", "geometry"]]
    joined = gpd.sjoin(points, villages, predicate="within")
    counts = joined.groupby("code").size()
    return counts.reindex(villages["code"], fill_value=0).rename("cameras").sort_index()


def tree_of_points(data: PlacementData) -> pd.Series:
    """The form ``bench_coverage`` times: a point object per point, an STRtree of them."""
    polygons = data.villages.geometry.to_numpy()
    _, village = assign_points(shapely.points(data.lon, data.lat), polygons)
    counts = np.bincount(village, minlength=len(polygons))
    return pd.Series(counts, index=data.villages["code"].to_numpy(), name="cameras").sort_index()


def report_rows(data: PlacementData) -> pd.DataFrame:
    """Where each point fell and which rows to report, as an import would call it."""
    placement = place_points(data.lon, data.lat, data.villages.geometry.to_numpy())
    return placement_problems(
        placement, data.villages["code"], data.villages["parent_code"], data.named_communes
    )


def run(seed: int, scale: float, repeat: int, out: Path | None, console: Console) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    data, gen_seconds = timed(lambda: placement_data(seed, scale))
    console.print(
        f"generated {len(data.villages):,} villages and {data.lon.size:,} camera points "
        f"in {gen_seconds:.1f} s"
    )
    name = f"{data.lon.size:,} points -> {len(data.villages):,} villages, count per village"
    measured = measure(
        Comparison(name, lambda: ours(data), lambda: baseline(data), check_counts), repeat
    )
    check_counts(tree_of_points(data), ours(data))
    tree_seconds = [timed(lambda: tree_of_points(data))[1] for _ in range(repeat)]
    problems, _ = timed(lambda: report_rows(data))
    report_seconds = [timed(lambda: report_rows(data))[1] for _ in range(repeat)]
    kinds = problems["problem"].value_counts().to_dict()
    assert kinds.get("other_commune", 0) == data.wrong_rows, kinds
    assert "outside" not in kinds and "no_point" not in kinds, kinds
    row = measured.row()
    ratio = row["ours_median_s"] / row["baseline_median_s"]
    result = {
        **row,
        "ratio_ours_over_baseline": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio <= TARGET_RATIO,
        "tree_of_points_median_s": round(statistics.median(tree_seconds), 3),
        "report_median_s": round(statistics.median(report_seconds), 3),
        "report_rows": {str(kind): int(count) for kind, count in kinds.items()},
    }
    print_table(result, console)
    report = {
        "command": f"python -m bench.bench_placement --seed {seed} --scale {scale} "
        f"--repeat {repeat}",
        "seed": seed,
        "scale": scale,
        "repeat": repeat,
        "generate_s": round(gen_seconds, 2),
        "machine": machine(),
        "load_average_1_5_15": {"start": load_at_start, "end": os.getloadavg()},
        "sizes": {"villages": len(data.villages), "points": int(data.lon.size)},
        "result": result,
    }
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        console.print(f"written {out}")
    return report


def print_table(result: dict[str, Any], console: Console) -> None:
    table = Table(title="Placement benchmark (median wall time; peak = RSS rise of one run)")
    for header in ("side", "median s", "runs s", "peak MB"):
        table.add_column(header, justify="left" if header == "side" else "right")
    table.add_row(
        "ours: place_points + bincount",
        f"{result['ours_median_s']:.3f}",
        " ".join(f"{t:.3f}" for t in result["ours_runs_s"]),
        f"{result['ours_peak_mb']:.0f}",
    )
    table.add_row(
        "baseline: sjoin(within) + groupby",
        f"{result['baseline_median_s']:.3f}",
        " ".join(f"{t:.3f}" for t in result["baseline_runs_s"]),
        f"{result['baseline_peak_mb']:.0f}",
    )
    table.add_row(
        "ours with a tree of the points instead", f"{result['tree_of_points_median_s']:.3f}"
    )
    table.add_row("report per row (placement_problems)", f"{result['report_median_s']:.3f}")
    console.print(table)
    verdict = "meets" if result["meets_target"] else "MISSES"
    console.print(
        f"ours / baseline = {result['ratio_ours_over_baseline']:.2f}x "
        f"({verdict} the target ≤ {TARGET_RATIO}x); answers agree; rows reported: "
        f"{result['report_rows']}"
    )


def main(argv: list[str] | None = None) -> None:
    args = options.parse(
        "Time place_points against geopandas.sjoin + groupby.", "bench/out/placement.json", argv
    )
    run(args.seed, args.scale, args.repeat, args.out, options.console(110))


if __name__ == "__main__":
    main()

"""Placement benchmark (issue 13, item 6): 1,000,000 camera points into 80,000 villages.

Both sides start from the same lon/lat arrays (as a register's coordinate columns arrive)
and the same village polygons of ``bench.generate``, and end with the number of cameras per
village; the two answers are asserted equal before anything is reported.

- Ours: the path a register import runs (``ingest.registers.locations`` calls
  ``points_in_units.place_in_villages``: ``place_points``, i.e. runs of nearby points, one
  bulk STRtree query of the villages, ``shapely.contains_xy``; then the per-row report of
  points in another commune), and the count per village of the placed codes, as coverage
  counts the stored sites by their unit. ``place_points`` + ``np.bincount`` alone (the
  kernel) is timed too.
- Baseline: ``gpd.points_from_xy``, ``gpd.sjoin(predicate="within")`` into the villages,
  ``groupby`` village.

Times are medians of ``--repeat`` alternating runs; peak memory is that of one more run of
each side in its own forked process (``bench_coverage.peak_memory_mb``: the rise of the
resident set from a trimmed heap, so GEOS memory counts). The issue's target is ours
≤ 0.6 × the baseline. 1% of the rows name a wrong commune, and exactly those must be
reported; the form ``bench_coverage`` measures (a point object per point, a tree of them)
is timed too.

A second comparison puts 70% of as many points into a city of small villages (a hundred
to a rural village's area) inside a grid of rural ones (``city_data``): cameras crowd
where villages are smallest, which the generated country, whose villages are alike, lacks.

    python -m bench.bench_placement --seed 42 --scale 1 --repeat 7
"""

from __future__ import annotations

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
from geo_service.ingest.points_in_units import place_in_villages, place_points

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


def city_data(seed: int, scale: float) -> PlacementData:
    """Villages of two sizes: a grid of rural villages with a block of a city's small ones
    (100 to a rural village) in it, and 70% of the points in the city, as cameras are."""
    spans = max(1, round(15 * scale**0.5))  # rural villages the city spans, per row
    edges = np.arange(spans * 50 // 3 + 1) * 0.03  # rural villages: 50/3 x 16 city widths
    columns, rows = edges, edges[: spans * 16 + 1]
    low, high = spans, 2 * spans  # the city, in rural edges
    city_edges = np.linspace(edges[low], edges[high], 10 * spans + 1)  # ends exactly shared
    rural = _grid(columns, rows)
    x_of, y_of = shapely.get_coordinates(shapely.centroid(rural)).T
    in_city = (
        (x_of > edges[low]) & (x_of < edges[high]) & (y_of > edges[low]) & (y_of < edges[high])
    )
    city = _grid(city_edges, city_edges)
    polygons = np.concatenate([rural[~in_city], city])
    codes = [f"R{i:05d}" for i in range(int((~in_city).sum()))]
    codes += [f"C{i:05d}" for i in range(city.size)]
    villages = gpd.GeoDataFrame(
        {"code": codes, "parent_code": [code[0] for code in codes]}, geometry=polygons, crs=WGS84
    )
    rng = np.random.default_rng(seed)
    n = max(1, round(1_000_000 * scale))
    in_town, city_box = round(n * 0.7), (edges[low], edges[high])
    lon = np.r_[rng.uniform(*city_box, in_town), rng.uniform(0, columns[-1], n - in_town)]
    lat = np.r_[rng.uniform(*city_box, in_town), rng.uniform(0, rows[-1], n - in_town)]
    return PlacementData(lon, lat, villages, np.full(n, None, dtype=object), 0)


def _grid(x_edges: NDArray[np.float64], y_edges: NDArray[np.float64]) -> NDArray[np.object_]:
    """Boxes between consecutive edges: neighbours share their edges exactly."""
    x0, y0 = np.meshgrid(x_edges[:-1], y_edges[:-1])
    x1, y1 = np.meshgrid(x_edges[1:], y_edges[1:])
    boxes: NDArray[np.object_] = shapely.box(x0.ravel(), y0.ravel(), x1.ravel(), y1.ravel())
    return boxes


def ours(data: PlacementData) -> pd.Series:
    """The import's path: each point placed in its village and checked against the commune
    its row names, then the cameras per village."""
    placed = place_in_villages(data.lon, data.lat, _village_rows(data), data.named_communes)
    counts = pd.Series(placed.code, dtype=object).value_counts()  # missing codes left out
    per_village = counts.reindex(data.villages["code"], fill_value=0)
    return per_village.rename("cameras").rename_axis(None).sort_index()


def kernel(data: PlacementData) -> pd.Series:
    """``place_points`` and ``np.bincount`` alone: no report, no codes."""
    polygons = data.villages.geometry.to_numpy()
    counts = place_points(data.lon, data.lat, polygons).counts(len(polygons))
    return pd.Series(counts, index=data.villages["code"].to_numpy(), name="cameras").sort_index()


def _village_rows(data: PlacementData) -> gpd.GeoDataFrame:
    """The villages as the store gives them to an import (one period here)."""
    return data.villages.assign(valid_from=None)


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
    """The rows an import reports: points outside every village or in another commune."""
    return place_in_villages(data.lon, data.lat, _village_rows(data), data.named_communes).problems


def compare(name: str, data: PlacementData, repeat: int) -> dict[str, Any]:
    """Ours against the baseline (timed alternately, peak memory each), and the tree form."""
    title = f"{name}: {data.lon.size:,} points -> {len(data.villages):,} villages"
    measured = measure(
        Comparison(title, lambda: ours(data), lambda: baseline(data), check_counts), repeat
    )
    check_counts(tree_of_points(data), ours(data))
    check_counts(kernel(data), ours(data))
    tree_seconds = [timed(lambda: tree_of_points(data))[1] for _ in range(repeat)]
    kernel_seconds = [timed(lambda: kernel(data))[1] for _ in range(repeat)]
    row = measured.row()
    ratio = row["ours_median_s"] / row["baseline_median_s"]
    return {
        **row,
        "sizes": {"villages": len(data.villages), "points": int(data.lon.size)},
        "ratio_ours_over_baseline": round(ratio, 2),
        "meets_target": ratio <= TARGET_RATIO,
        "tree_of_points_median_s": round(statistics.median(tree_seconds), 3),
        "kernel_median_s": round(statistics.median(kernel_seconds), 3),
    }


def run(seed: int, scale: float, repeat: int, out: Path | None, console: Console) -> dict[str, Any]:
    load_at_start = os.getloadavg()
    data, gen_seconds = timed(lambda: placement_data(seed, scale))
    console.print(
        f"generated {len(data.villages):,} villages and {data.lon.size:,} camera points "
        f"in {gen_seconds:.1f} s"
    )
    results = {"national": compare("national", data, repeat)}
    kinds = report_rows(data)["problem"].value_counts().to_dict()
    assert kinds.get("other_commune", 0) == data.wrong_rows, kinds
    assert "outside" not in kinds and "no_point" not in kinds, kinds
    results["national"]["report_rows"] = {str(k): int(n) for k, n in kinds.items()}
    results["city"] = compare("city", city_data(seed, scale), repeat)
    print_table(results, console)
    report = {
        "command": f"python -m bench.bench_placement --seed {seed} --scale {scale} "
        f"--repeat {repeat}",
        "seed": seed,
        "scale": scale,
        "repeat": repeat,
        "target_ratio": TARGET_RATIO,
        "generate_s": round(gen_seconds, 2),
        "machine": machine(),
        "load_average_1_5_15": {"start": load_at_start, "end": os.getloadavg()},
        "results": results,
    }
    options.write_report(report, out, console)
    return report


def print_table(results: dict[str, dict[str, Any]], console: Console) -> None:
    table = Table(title="Placement benchmark (median wall time; peak = RSS rise of one run)")
    for header in ("villages", "method", "median s", "runs s", "peak MB"):
        table.add_column(header, justify="left" if header in ("villages", "method") else "right")
    for scenario, result in results.items():
        for side, method in (
            ("ours", "import path: place_in_villages + count"),
            ("baseline", "sjoin + groupby"),
        ):
            table.add_row(
                scenario,
                method,
                f"{result[f'{side}_median_s']:.3f}",
                " ".join(f"{t:.3f}" for t in result[f"{side}_runs_s"]),
                f"{result[f'{side}_peak_mb']:.0f}",
            )
        table.add_row(scenario, "place_points + bincount", f"{result['kernel_median_s']:.3f}")
        table.add_row(scenario, "a tree of the points", f"{result['tree_of_points_median_s']:.3f}")
    console.print(table)
    for scenario, result in results.items():
        verdict = "meets" if result["meets_target"] else "MISSES"
        console.print(
            f"{scenario}: ours / baseline = {result['ratio_ours_over_baseline']:.2f}x "
            f"({verdict} the target ≤ {TARGET_RATIO}x); answers agree"
        )
    console.print(f"rows reported: {results['national']['report_rows']}")


main = options.main_of(
    run, "Time place_points against geopandas.sjoin + groupby.", "bench/out/placement.json", 110
)


if __name__ == "__main__":
    main()

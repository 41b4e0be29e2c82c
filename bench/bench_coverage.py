"""Coverage benchmark: ``compute_coverage`` and STRtree point assignment vs naive geopandas.

Each comparison runs our method and a baseline written the way a typical analyst would
(``gpd.sjoin`` of points into village polygons, ``groupby`` per village, roll-ups by
repeated ``merge``), asserts that both give the same answer, then reports the median wall
time of ``--repeat`` runs and the peak memory of one extra run of each.

Peak memory is the rise of the resident set in a forked child: free heap pages are handed
back (malloc_trim), the high-water mark is reset (/proc/self/clear_refs), the method runs
once, and VmHWM minus the starting VmRSS is reported. Every method thus starts from the
same heap, and GEOS allocations, which tracemalloc cannot see, are counted. Where /proc is
unavailable, tracemalloc's peak is used instead.

    python -m bench.bench_coverage --seed 42 --scale 1 --repeat 3
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import platform
import statistics
import time
import traceback
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from bench import options
from bench.generate import NationalData, generate
from geo_service.coverage.compute import compute_coverage
from geo_service.domain import Level
from geo_service.settings import CoveragePolicy

AS_OF = date(2025, 6, 30)
ADMIN_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
PROC_STATUS = Path("/proc/self/status")
T = TypeVar("T")


@dataclass(frozen=True)
class CoverageAnswer:
    """What both coverage methods must agree on.

    ``covered``: level -> covered-village count per unit code (every unit of that level).
    ``cameras``: camera count per village code (active counting models only), if computed.
    """

    covered: dict[int, pd.Series]
    cameras: pd.Series | None = None


@dataclass(frozen=True)
class Comparison(Generic[T]):
    name: str
    ours: Callable[[], T]
    baseline: Callable[[], T]
    check: Callable[[T, T], None]  # raises AssertionError when the answers differ


@dataclass
class Measured:
    name: str
    ours_s: list[float] = field(default_factory=list)
    baseline_s: list[float] = field(default_factory=list)
    ours_peak_mb: float = 0.0
    baseline_peak_mb: float = 0.0

    def row(self) -> dict[str, Any]:
        ours, base = statistics.median(self.ours_s), statistics.median(self.baseline_s)
        return {
            "name": self.name,
            "ours_median_s": round(ours, 3),
            "baseline_median_s": round(base, 3),
            "ratio_baseline_over_ours": round(base / ours, 2),
            "ours_peak_mb": round(self.ours_peak_mb, 1),
            "baseline_peak_mb": round(self.baseline_peak_mb, 1),
            "ours_runs_s": [round(t, 3) for t in self.ours_s],
            "baseline_runs_s": [round(t, 3) for t in self.baseline_s],
            "answers_agree": True,
        }


# --- our side ---------------------------------------------------------------------------


def assign_points(
    points: NDArray[np.object_], polygons: NDArray[np.object_]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(point index, polygon index) for every point strictly inside a polygon.

    One bulk STRtree query of the polygons against a tree of the points (bounding boxes
    only), then an exact, vectorised point-in-polygon test on prepared polygons: cheaper
    than a predicate query, which re-tests every candidate through GEOS geometry objects.
    """
    tree = shapely.STRtree(points)
    poly_idx, point_idx = tree.query(polygons)
    newly_prepared = ~shapely.is_prepared(polygons)
    shapely.prepare(polygons[newly_prepared])
    try:
        xy = shapely.get_coordinates(points)
        inside = shapely.contains_xy(polygons[poly_idx], xy[point_idx, 0], xy[point_idx, 1])
    finally:
        shapely.destroy_prepared(polygons[newly_prepared])
    return point_idx[inside], poly_idx[inside]


def ours_camera_counts(data: NationalData) -> pd.Series:
    villages = data.villages
    _, village_idx = assign_points(data.cameras.geometry.to_numpy(), villages.geometry.to_numpy())
    counts = np.bincount(village_idx, minlength=len(villages))
    return pd.Series(counts, index=villages["code"].to_numpy(), name="cameras").sort_index()


def ours_coverage(
    data: NationalData, policy: CoveragePolicy, as_of: date, teams: pd.DataFrame | None = None
) -> CoverageAnswer:
    result = compute_coverage(
        data.units,
        data.model_types,
        data.models,
        data.teams if teams is None else teams,
        policy,
        as_of,
    )
    rollups = result.rollups
    covered = {
        int(level): rollups.loc[rollups["level"] == int(level)]
        .set_index("code")["villages_covered"]
        .astype("int64")
        .sort_index()
        for level in ADMIN_LEVELS
    }
    cameras = result.villages.set_index("code")["cameras"].fillna(0).astype("int64")
    return CoverageAnswer(covered, cameras.sort_index())


def ours_coverage_from_points(
    data: NationalData, policy: CoveragePolicy, as_of: date
) -> CoverageAnswer:
    """Locate each team by its point (ignoring its unit_code), then compute coverage."""
    villages = data.villages
    team_idx, village_idx = assign_points(
        data.teams.geometry.to_numpy(), villages.geometry.to_numpy()
    )
    codes = np.full(len(data.teams), None, dtype=object)
    codes[team_idx] = villages["code"].to_numpy()[village_idx]
    teams = pd.DataFrame(data.teams.drop(columns="geometry")).assign(unit_code=codes)
    answer = ours_coverage(data, policy, as_of, teams)
    return CoverageAnswer(answer.covered)


# --- the analyst's baseline -------------------------------------------------------------


def baseline_camera_counts(data: NationalData) -> pd.Series:
    villages = data.villages[["code", "geometry"]]
    joined = gpd.sjoin(data.cameras[["camera_id", "geometry"]], villages, predicate="within")
    counts = joined.groupby("code").size()
    return counts.reindex(villages["code"], fill_value=0).rename("cameras").sort_index()


def baseline_coverage(
    data: NationalData, policy: CoveragePolicy, as_of: date, with_cameras: bool = True
) -> CoverageAnswer:
    units = data.units
    villages = units[units["level"] == int(Level.VILLAGE)][["code", "parent_code", "geometry"]]
    active = _baseline_active_models(data, policy, as_of)
    team_points = data.teams[["team_id", "model_id", "geometry"]].merge(active, on="model_id")
    joined = gpd.sjoin(team_points, villages, predicate="within")
    per_village = joined.groupby("code").agg(models=("model_id", "nunique")).reset_index()
    table = villages[["code", "parent_code"]].merge(per_village, on="code", how="left")
    table["models"] = table["models"].fillna(0)
    table["covered"] = table["models"] >= policy.min_active_models
    for required in policy.required_types:
        having = joined.loc[joined["type_code"] == required, "code"].unique()
        table["covered"] &= table["code"].isin(having)
    covered = _baseline_rollups(units, table)
    if not with_cameras:
        return CoverageAnswer(covered)
    camera_points = data.cameras[["camera_id", "model_id", "geometry"]].merge(
        active[["model_id"]], on="model_id"
    )
    in_village = gpd.sjoin(camera_points, villages[["code", "geometry"]], predicate="within")
    cameras = in_village.groupby("code").size().reindex(villages["code"], fill_value=0)
    return CoverageAnswer(covered, cameras.rename("cameras").sort_index())


def _baseline_active_models(
    data: NationalData, policy: CoveragePolicy, as_of: date
) -> pd.DataFrame:
    types = data.model_types[["code", "counts_as_model"]].rename(columns={"code": "type_code"})
    models = data.models.merge(types, on="type_code", how="left")
    launched = pd.to_datetime(models["launch_date"]) <= pd.Timestamp(as_of)
    keep = models["status"].isin(policy.active_statuses) & launched
    keep &= models["counts_as_model"].fillna(False).astype(bool)
    return models.loc[keep, ["model_id", "type_code"]]


def _baseline_rollups(units: pd.DataFrame, villages: pd.DataFrame) -> dict[int, pd.Series]:
    """Commune counts from villages, then districts from communes, provinces from districts."""
    covered: dict[int, pd.Series] = {}
    child = villages[["parent_code", "covered"]].rename(columns={"covered": "villages_covered"})
    for level in (Level.COMMUNE, Level.DISTRICT, Level.PROVINCE):
        sums = child.groupby("parent_code", as_index=False)["villages_covered"].sum()
        parents = units.loc[units["level"] == int(level), ["code", "parent_code"]]
        merged = parents.merge(
            sums, left_on="code", right_on="parent_code", how="left", suffixes=("", "_child")
        )
        merged["villages_covered"] = merged["villages_covered"].fillna(0).astype("int64")
        covered[int(level)] = merged.set_index("code")["villages_covered"].sort_index()
        child = merged[["parent_code", "villages_covered"]]
    return covered


# --- checks, timing, memory -------------------------------------------------------------


def check_coverage(ours: CoverageAnswer, baseline: CoverageAnswer) -> None:
    for level, series in ours.covered.items():
        other = baseline.covered[level]
        assert series.index.equals(other.index), f"level {level}: different units"
        differ = int((series.to_numpy() != other.to_numpy()).sum())
        assert differ == 0, f"level {level}: covered-village counts differ in {differ} units"
    if ours.cameras is not None and baseline.cameras is not None:
        check_counts(ours.cameras, baseline.cameras)


def check_counts(ours: pd.Series, baseline: pd.Series) -> None:
    assert ours.index.equals(baseline.index), "different villages"
    differ = int((ours.to_numpy() != baseline.to_numpy()).sum())
    assert differ == 0, f"per-village counts differ in {differ} villages"


def comparisons(data: NationalData, policy: CoveragePolicy, as_of: date) -> list[Comparison[Any]]:
    return [
        Comparison(
            "coverage: sites by unit code",
            lambda: ours_coverage(data, policy, as_of),
            lambda: baseline_coverage(data, policy, as_of, with_cameras=True),
            check_coverage,
        ),
        Comparison(
            "coverage: teams by point",
            lambda: ours_coverage_from_points(data, policy, as_of),
            lambda: baseline_coverage(data, policy, as_of, with_cameras=False),
            check_coverage,
        ),
        Comparison(
            f"{len(data.cameras):,} camera points -> village",
            lambda: ours_camera_counts(data),
            lambda: baseline_camera_counts(data),
            check_counts,
        ),
    ]


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    gc.collect()
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def _status_kb(field_name: str) -> int:
    for line in PROC_STATUS.read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


def _release_free_heap() -> None:
    """Hand freed heap pages back to the OS, so they cannot hide the next run's allocations."""
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        ctypes.CDLL(libc_name).malloc_trim(0)


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak memory added by one call of ``fn`` (see the module docstring for how)."""
    if not (hasattr(os, "fork") and Path("/proc/self/clear_refs").exists()):
        return _tracemalloc_peak_mb(fn)
    read_end, write_end = os.pipe()
    gc.collect()
    pid = os.fork()
    if pid == 0:  # child: measure, report, leave without running the parent's cleanup
        code = 1
        try:
            _release_free_heap()
            Path("/proc/self/clear_refs").write_text("5")
            before = _status_kb("VmRSS")
            fn()
            os.write(write_end, str(_status_kb("VmHWM") - before).encode())
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        reported = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not reported:
        raise RuntimeError("memory measurement child failed")
    return int(reported) / 1024


def _tracemalloc_peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(comparison: Comparison[Any], repeat: int) -> Measured:
    """Time ``repeat`` alternating runs; check the first two answers agree; then peak memory."""
    measured = Measured(comparison.name)
    ours_answer, seconds = timed(comparison.ours)
    measured.ours_s.append(seconds)
    baseline_answer, seconds = timed(comparison.baseline)
    measured.baseline_s.append(seconds)
    comparison.check(ours_answer, baseline_answer)
    del ours_answer, baseline_answer
    for _ in range(repeat - 1):
        measured.ours_s.append(timed(comparison.ours)[1])
        measured.baseline_s.append(timed(comparison.baseline)[1])
    measured.ours_peak_mb = peak_memory_mb(comparison.ours)
    measured.baseline_peak_mb = peak_memory_mb(comparison.baseline)
    return measured


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    cpus = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")]
    return {
        "cpu": cpus[0] if cpus else "",
        "nproc": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "geopandas": gpd.__version__,
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def print_table(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(title="Coverage benchmark (median wall time; peak = RSS rise of one run)")
    for header in (
        "benchmark",
        "ours s",
        "baseline s",
        "baseline/ours",
        "ours MB",
        "baseline MB",
        "agree",
    ):
        table.add_column(header, justify="left" if header == "benchmark" else "right")
    for row in rows:
        table.add_row(
            row["name"],
            f"{row['ours_median_s']:.3f}",
            f"{row['baseline_median_s']:.3f}",
            f"{row['ratio_baseline_over_ours']:.2f}x",
            f"{row['ours_peak_mb']:.0f}",
            f"{row['baseline_peak_mb']:.0f}",
            "yes" if row["answers_agree"] else "NO",
        )
    console.print(table)


def run(seed: int, scale: float, repeat: int, out: Path | None, console: Console) -> dict[str, Any]:
    # The machine may be shared: the load average says how much the timings were disturbed.
    load_at_start = os.getloadavg()
    data, gen_seconds = timed(lambda: generate(seed, scale))
    console.print(
        f"generated {len(data.villages):,} villages, {len(data.models):,} models, "
        f"{len(data.teams):,} teams, {len(data.cameras):,} cameras in {gen_seconds:.1f} s"
    )
    rows = []
    for comparison in comparisons(data, CoveragePolicy(), AS_OF):
        console.print(f"running: {comparison.name}")
        rows.append(measure(comparison, repeat).row())
    print_table(rows, console)
    report = {
        "command": f"python -m bench.bench_coverage --seed {seed} --scale {scale} "
        f"--repeat {repeat}",
        "seed": seed,
        "scale": scale,
        "repeat": repeat,
        "as_of": AS_OF.isoformat(),
        "generate_s": round(gen_seconds, 2),
        "machine": machine(),
        "load_average_1_5_15": {"start": load_at_start, "end": os.getloadavg()},
        "sizes": {
            "units": len(data.units),
            "villages": len(data.villages),
            "models": len(data.models),
            "teams": len(data.teams),
            "cameras": len(data.cameras),
        },
        "results": rows,
    }
    options.write_report(report, out, console)
    return report


main = options.main_of(
    run, "Time compute_coverage vs a geopandas baseline.", "bench/out/coverage.json", 110
)


if __name__ == "__main__":
    main()

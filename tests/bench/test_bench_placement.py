"""The placement benchmark's harness at 1/100 scale: same inputs for both sides, agreeing
answers, the per-row report and the written JSON. No timings are asserted."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import shapely
from rich.console import Console

from bench import bench_placement as bench
from bench.generate import generate

SEED, SCALE = 7, 0.01


def test_both_sides_count_the_cameras_the_generator_placed() -> None:
    data = bench.placement_data(SEED, SCALE)
    ours, baseline = bench.ours(data), bench.baseline(data)
    bench.check_counts(ours, baseline)
    cameras = generate(SEED, SCALE).cameras
    truth = cameras.groupby("unit_code").size().reindex(ours.index, fill_value=0)
    assert (ours == truth).all() and ours.sum() == data.lon.size == 10_000


def test_one_row_in_a_hundred_names_another_commune_and_is_reported() -> None:
    data = bench.placement_data(SEED, SCALE)
    problems = bench.report_rows(data)
    assert data.wrong_rows == 100
    assert set(problems["problem"]) == {"other_commune"} and len(problems) == 100
    assert (problems["unit_commune"] != problems["named_commune"]).all()
    assert np.isin(problems["named_commune"], data.villages["parent_code"]).all()


def test_the_city_puts_most_points_into_small_villages_and_both_sides_agree() -> None:
    data = bench.city_data(SEED, SCALE)
    assert (len(data.villages), data.lon.size) == (1_452, 10_000)
    ours = bench.ours(data)
    bench.check_counts(ours, bench.baseline(data))
    bench.check_counts(bench.tree_of_points(data), ours)
    in_city = ours[ours.index.str.startswith("C")].sum()
    assert ours.sum() == 10_000 and 7_000 <= in_city < 7_100  # 70%, and a few rural points
    polygons = data.villages.geometry.to_numpy()
    assert not shapely.STRtree(polygons).query(polygons, predicate="overlaps").size


def test_a_run_writes_its_figures_and_command(tmp_path: Path) -> None:
    out = tmp_path / "placement.json"
    report = bench.run(SEED, SCALE, 2, out, Console(width=110, record=True))
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(report))
    assert written["command"] == "python -m bench.bench_placement --seed 7 --scale 0.01 --repeat 2"
    assert written["target_ratio"] == 0.6
    national, city = written["results"]["national"], written["results"]["city"]
    assert national["sizes"] == {"villages": 800, "points": 10_000}
    assert city["sizes"] == {"villages": 1_452, "points": 10_000}
    assert national["report_rows"] == {"other_commune": 100} and "report_rows" not in city
    for result in (national, city):
        assert len(result["ours_runs_s"]) == len(result["baseline_runs_s"]) == 2
        assert result["answers_agree"] and result["ratio_ours_over_baseline"] > 0
        assert result["ours_peak_mb"] > 0 and result["baseline_peak_mb"] > 0
        assert result["tree_of_points_median_s"] > 0

"""The map benchmark's harness at 1/100 scale: both pages load in Chromium, drawn whole,
and the report is written. No timings are asserted."""

from __future__ import annotations

import json
from pathlib import Path

from bench import bench_map as bench
from bench.generate import generate
from tests.live import chromium

SEED, SCALE = 7, 0.01


def test_the_largest_province_is_found() -> None:
    data = generate(SEED, SCALE)
    code, villages = bench.largest_province(data.units)
    provinces = data.units[data.units["level"] == 1]
    assert code in set(provinces["code"]) and villages > 0


def test_both_pages_are_measured_and_the_report_is_written(tmp_path: Path) -> None:
    with chromium():  # a skip (a failure with CI=true) where Chromium is missing
        pass
    out = tmp_path / "map.json"
    bench.main(["--seed", str(SEED), "--scale", str(SCALE), "--repeat", "1", "--out", str(out)])
    report = json.loads(out.read_text())
    for name in ("province", "national"):
        ours, naive = report[f"ours_{name}"], report[f"naive_{name}"]
        assert ours["ms"] > 0 and naive["ms"] > 0
        assert ours["requests"] >= 3  # the page and its /api/map answers
        assert naive["requests"] == 1 and naive["villages"] > 0
        assert 0 < ours["bytes"] < naive["bytes"]
        assert report[f"{name}_bytes_ratio"] == round(ours["bytes"] / naive["bytes"], 4)
    assert report["province_villages"] == report["naive_province"]["villages"]

"""The A/B import benchmark runs each side's own code, alternating."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench.ab_import import REPOSITORY, compare


def _copy_of_the_code(folder: Path) -> Path:
    code = folder / "base-code"
    shutil.copytree(REPOSITORY / "geo_service", code / "geo_service")
    return code


def test_both_sides_import_every_village_with_their_own_code(tmp_path: Path) -> None:
    report = compare({"base": _copy_of_the_code(tmp_path)}, runs=2, seed=2, scale=0.005)
    assert report["villages"] > 100
    for side in ("base", "head"):
        summary = report["sides"][side]
        assert len(summary["import_s"]) == 2 and all(s > 0 for s in summary["import_s"])
        assert all(s > 0 for s in summary["import_cpu_s"])
        assert (
            len(summary["full_collections"]) == 2 and summary["full_collections_cpu_median_s"] >= 0
        )
        assert summary["per_run_import_over_raw_read"] > 0
    assert set(report["head_over"]) == {"base"} and report["head_over"]["base"]["cpu"] > 0


def test_a_side_that_runs_other_code_stops_the_benchmark(tmp_path: Path) -> None:
    empty = tmp_path / "no-code-here"  # the import would find the installed package
    empty.mkdir()
    with pytest.raises(RuntimeError, match="the base run imported"):
        compare({"base": empty}, runs=1, seed=2, scale=0.005)

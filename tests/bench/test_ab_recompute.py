"""The A/B recompute benchmark runs each side's own code, alternating, and compares answers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bench.ab_recompute import compare
from bench.import_once import REPOSITORY
from bench.national_store import build


def _copy_of_the_code(folder: Path) -> Path:
    code = folder / "base-code"
    shutil.copytree(REPOSITORY / "geo_service", code / "geo_service")
    return code


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ab-recompute") / "national.gpkg"
    build(path, seed=2, scale=0.005)
    return path


def test_both_sides_recompute_the_same_answer_with_their_own_code(
    store: Path, tmp_path: Path
) -> None:
    day = date.today().isoformat()
    report = compare(store, day, _copy_of_the_code(tmp_path), runs=2)
    for side in ("base", "head"):
        summary = report["sides"][side]
        assert len(summary["wall_s"]) == 2 and all(s > 0 for s in summary["wall_s"])
        assert summary["cpu_median_s"] > 0
    assert report["head_over_base"]["cpu"] > 0


def test_sides_that_answer_differently_stop_the_benchmark(store: Path, tmp_path: Path) -> None:
    code = _copy_of_the_code(tmp_path)
    compute = code / "geo_service" / "coverage" / "compute.py"
    text = compute.read_text(encoding="utf-8")
    compute.write_text(text.replace('= "uncovered"', '= "not covered"'), encoding="utf-8")
    with pytest.raises(AssertionError, match="answers differ"):
        compare(store, date.today().isoformat(), code, runs=1)


def test_a_side_that_runs_other_code_stops_the_benchmark(store: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-code-here"  # the recompute would find the installed package
    empty.mkdir()
    with pytest.raises(RuntimeError, match="the base run imported"):
        compare(store, date.today().isoformat(), empty, runs=1)

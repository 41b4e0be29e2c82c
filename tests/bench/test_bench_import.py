"""The import benchmark at a tiny scale: every run is set against ``ogr2ogr -f GPKG`` of the
same file, measured in that run (issue 13 asks for the ratio in each run)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from bench.bench_import import run, write_inputs
from bench.import_reads import OGR2OGR, ogr2ogr_copy


def test_each_run_reports_its_ratio_to_ogr2ogr(tmp_path: Path) -> None:
    console = Console(record=True, width=200)
    report = run(seed=5, scale=0.005, repeat=2, out=tmp_path / "import.json", console=console)
    assert len(report["per_run_ratios"][OGR2OGR]) == 2
    assert all(ratio > 0 for ratio in report["per_run_ratios"][OGR2OGR])
    assert report["ratio_import_over_ogr2ogr"] > 0
    assert report["reference_reads_median_s"][OGR2OGR] > 0
    assert OGR2OGR in report["fresh_processes"]["per_run_ratios"]
    assert f"import / {OGR2OGR} of the same file" in console.export_text()
    assert (tmp_path / "import.json").is_file()


def test_ogr2ogr_copies_every_feature(tmp_path: Path) -> None:
    _, villages, count = write_inputs(seed=5, scale=0.005, folder=tmp_path)
    assert ogr2ogr_copy(villages) == count

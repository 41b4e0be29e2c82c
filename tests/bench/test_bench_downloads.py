"""The downloads benchmark at a tiny scale: both servers run their own code and send the
same bytes, and every figure it records is there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bench import bench_downloads
from bench.import_once import REPOSITORY
from bench.served import serving


def _copy_of_the_code(folder: Path) -> Path:
    code = folder / "base-code"
    shutil.copytree(REPOSITORY / "geo_service", code / "geo_service")
    return code


def test_the_benchmark_compares_same_bytes_and_reports_every_figure(tmp_path: Path) -> None:
    args = bench_downloads.parse(["--seed", "2", "--scale", "0.005", "--repeat", "2"])
    report = bench_downloads.run(args, _copy_of_the_code(tmp_path))
    builds = report["builds"]
    for side in ("base", "head"):
        numbers = builds["sides"][side]
        assert len(numbers["plain"]["runs_s"]) == 2 and numbers["plain"]["content_mb"] > 0
        assert 0 < numbers["rss_start_mb"] <= numbers["peak_rss_mb"]
    gzip = builds["head_gzip"]
    assert len(gzip["rss_after_each_mb"]) == 2
    assert gzip["wire_mb"] < gzip["content_mb"] == builds["sides"]["head"]["plain"]["content_mb"]
    assert builds["head_304_median_ms"] > 0
    assert set(report["workers"]) == {"1", "2"}
    assert report["postgis"] is None
    bench_downloads.print_report(report)


def test_a_server_that_would_run_other_code_stops_the_benchmark(tmp_path: Path) -> None:
    empty = tmp_path / "no-code-here"  # the server would find the installed package
    empty.mkdir()
    with pytest.raises(RuntimeError, match="would run"), serving(empty, tmp_path / "s.gpkg"):
        pass

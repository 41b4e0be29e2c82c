"""The per-request CPU benchmark runs both sides' code on a tiny country and compares
their answers."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.bench_commune_cpu import PATHS, REPOSITORY, main


def test_both_sides_measure_every_request_and_answer_alike(tmp_path: Path) -> None:
    base = tmp_path / "base-code"
    shutil.copytree(REPOSITORY / "geo_service", base / "geo_service")
    report = main(
        [
            *("--scale", "0.005", "--communes", "3", "--rounds", "1"),
            *("--base-code", str(base), "--out", str(tmp_path / "cpu.json")),
        ]
    )
    assert report["answers_compared"] == 3 * len(PATHS)
    for side in ("base", "head"):
        assert all(report["cpu_ms_median"][side][kind] > 0 for kind in PATHS)
    assert set(report["base_over_head"]) == set(PATHS)
    assert (tmp_path / "cpu.json").exists()

"""The request benchmark serves a tiny country from both sides' code under real uvicorn."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.bench_requests import REPOSITORY, main


def test_both_sides_answer_every_commune_alike(tmp_path: Path) -> None:
    base = tmp_path / "base-code"
    shutil.copytree(REPOSITORY / "geo_service", base / "geo_service")
    report = main(
        [
            *("--scale", "0.005", "--samples", "2", "--seconds", "1"),
            *("--base-code", str(base), "--store", str(tmp_path / "store.gpkg")),
            *("--out", str(tmp_path / "requests.json")),
        ]
    )
    for side in ("base_side", "head_side"):
        figures = report[side]
        assert figures["concurrent"]["requests"] > 0
        assert figures["cold_p50_s"] > 0 and figures["recompute_after_import_s"] > 0
    assert set(report["base_over_head"]) == {"cold_p50", "warm_p50", "requests_per_s_8", "p99_8"}
    assert (tmp_path / "requests.json").exists()

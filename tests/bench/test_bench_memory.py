"""The memory benchmark runs every phase against one server of a tiny country and reports
the server's memory after each."""

from __future__ import annotations

from pathlib import Path

from bench import bench_memory


def test_every_phase_is_answered_and_its_memory_reported(tmp_path: Path) -> None:
    args = bench_memory.parse(
        [
            *("--scale", "0.005", "--repeat", "1", "--samples", "2", "--seconds", "1"),
            *("--out", str(tmp_path / "memory.json")),
        ]
    )
    report = bench_memory.run(args)
    phases = report["phases"]
    assert list(phases) == [
        "downloads",
        "communes_cold",
        "communes_8",
        "ogc_items_8",
        "tiles",
        "import_and_recompute",
        "downloads_after_import",
    ]
    for name in ("communes_8", "ogc_items_8"):
        assert set(phases[name]["statuses"]) == {"200"} and phases[name]["requests"] > 0
    assert all(figures["rss_after_mb"] > 0 for figures in phases.values())
    assert 0 < report["rss_start_mb"] <= report["peak_rss_mb"]
    assert report["end_over_start"] > 0
    assert phases["import_and_recompute"]["first_request_cpu_s"] > 0
    bench_memory.print_report(report)

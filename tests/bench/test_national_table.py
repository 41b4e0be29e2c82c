"""The issue-12 table's harness without PostGIS or tipg: its options, the wrk output it
reads, the table it prints from a report, and one tiny run against our own service (the
peer columns then say "not run"). No timings are asserted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import national_table
from bench.http_load import parse_wrk, run_load
from bench.peers.postgis import Cluster
from bench.peers.table import HEADER, MAP_SLOT, NOT_RUN, markdown, rows_of
from bench.peers.tipg_server import Tipg

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8000
  2 threads and 8 connections
BENCH {"requests": 3160, "duration_us": 20004000, "errors": 0, "p50_us": 48200, "p99_us": 143900}
"""


def _load(rate: float, p50: float, p99: float) -> dict[str, Any]:
    requests = int(rate * 20)
    return {
        "requests_per_s": rate,
        "p50_ms": p50,
        "p99_ms": p99,
        "requests": requests,
        "seconds": 20,
    }


def _tiles(rate: float, p99: float) -> dict[str, Any]:
    return {"tiles_per_s": rate, "p50_ms": 10.0, "p99_ms": p99, "tiles": 50}


def _report(peer: bool) -> dict[str, Any]:
    report: dict[str, Any] = {
        "connections": 8,
        "seconds": 20.0,
        "items": {"ours": _load(400.0, 15.0, 90.0)},
        "map_features": {"ours": _load(35.0, 210.0, 760.0)},
        "tiles_cold": {"ours": _tiles(45.0, 350.0)},
        "tiles_sustained": {"ours": _load(1300.0, 5.0, 8.0)},
        "workers": {"1": _load(400.0, 15.0, 90.0), "2": _load(600.0, 10.0, 60.0)},
        "keep_alive": {
            "1": {"first_ms": 9.0, "later_p50_ms": 4.0, "later_max_ms": 6.0, "requests": 50},
            "2": {"first_ms": 9.0, "later_p50_ms": 44.0, "later_max_ms": 48.0, "requests": 50},
        },
        "downloads": {"ours": {"median_s": 1.2, "mb": 49.3, "rss_after_each_mb": [400, 420, 430]}},
        "rss": {"ours_start_mb": 210.0, "ours_end_mb": 560.0},
        "map": None,
    }
    if peer:
        report["items"]["peer"] = _load(158.0, 48.0, 143.0)
        report["tiles_cold"]["peer"] = _tiles(100.0, 200.0)
        report["tiles_sustained"]["peer"] = _load(300.0, 25.0, 60.0)
        report["keep_alive"]["peer"] = {"later_p50_ms": 9.6}
        report["downloads"]["postgis"] = {"median_s": 0.94, "mb": 54.5}
        report["rss"] |= {"peer_start_mb": 77.0, "peer_end_mb": 158.0}
    return report


def _cells(markdown_text: str) -> list[list[str]]:
    lines = markdown_text.strip().splitlines()
    return [[cell.strip() for cell in line.strip("|").split(" | ")] for line in lines[2:]]


def test_the_table_gives_each_work_both_figures_the_ratio_and_whether_the_target_is_met() -> None:
    text = markdown(rows_of(_report(peer=True)))
    assert text.splitlines()[0] == "| " + " | ".join(HEADER) + " |"
    rows = {cells[0]: cells for cells in _cells(text)}
    assert all(len(cells) == len(HEADER) for cells in rows.values())
    items = rows["one commune's villages, OGC items bbox (limit 100), 8 connections"]
    assert items[1] == "400.0 req/s, p50 15.0 ms, p99 90.0 ms"
    assert items[2] == "tipg: 158.0 req/s, p50 48.0 ms, p99 143.0 ms"
    assert items[3].startswith("2.53× the rate; p99 1.59× lower") and items[5] == "yes"
    cold = rows["tiles, each drawn once (cold), 8 connections"]
    assert cold[3].startswith("0.45× the rate; p99 1.75× higher") and cold[5] == "**no**"
    alive = rows["keep-alive: 50 requests (`conformance`) on one connection, 2 workers"]
    assert alive[5] == "**no**"  # 44 ms after the first: the lost TCP_NODELAY
    download = rows["all villages as GeoJSON (coverage)"]
    assert download[3] == "1.28× PostGIS's time" and download[5] == "yes"
    memory = rows["server RSS: start → after all benchmarks (1 worker)"]
    assert memory[1] == "210 → 560 MB once idle" and memory[3] == "end / start: 2.67×"
    assert memory[5] == "**no**"
    assert rows["server RSS after each of 3 downloads"][5] == "yes"  # 430 ≤ 1.1 × 400
    maps = [cells for work, cells in rows.items() if "Chromium" in work]
    assert [cells[1] for cells in maps] == [MAP_SLOT, MAP_SLOT]


def test_without_the_peer_its_columns_say_not_run() -> None:
    rows = {cells[0]: cells for cells in _cells(markdown(rows_of(_report(peer=False))))}
    for work in (
        "one commune's villages, OGC items bbox (limit 100), 8 connections",
        "all villages as GeoJSON (coverage)",
        "server RSS: start → after all benchmarks (1 worker)",
    ):
        assert rows[work][2] == NOT_RUN
        assert rows[work][5] in {"—", "yes", "**no**"}


def test_a_load_where_no_request_finished_says_so_and_misses_its_target() -> None:
    report = _report(peer=True)
    report["items"]["ours"] = report["workers"]["2"] = _load(0.0, 0.0, 0.0)
    rows = {cells[0]: cells for cells in _cells(markdown(rows_of(report)))}
    items = rows["one commune's villages, OGC items bbox (limit 100), 8 connections"]
    assert items[1] == "no request finished within the 20 s"
    assert (items[3], items[5]) == ("—", "**no**")
    workers = rows["`serve --workers 1` and `2`: the map data load above"]
    assert (workers[3], workers[5]) == ("—", "**no**")


def test_a_pipe_in_a_cell_is_escaped() -> None:
    report = _report(peer=False)
    report["map"] = {
        "rows": [
            {"work": "a | b", "ours": "1", "peer": "2", "ratio": "0.5", "target": "t", "met": "yes"}
        ]
    }
    assert "| a \\| b | 1 | 2 | 0.5 | t | yes |" in markdown(rows_of(report))


def test_wrk_output_is_read_from_the_scripts_line() -> None:
    result = parse_wrk(WRK_OUTPUT, 8)
    assert (result.requests, result.errors, result.connections) == (3160, 0, 8)
    assert result.requests_per_s == 158.0 and (result.p50_ms, result.p99_ms) == (48.2, 143.9)
    with pytest.raises(RuntimeError, match="wrk wrote no figures"):
        parse_wrk("Running 20s test\n", 8)


def test_the_load_refuses_an_unknown_client_and_no_paths() -> None:
    with pytest.raises(ValueError, match="unknown client 'ab'"):
        run_load(1, ["/"], 1, 1.0, "ab")
    with pytest.raises(ValueError, match="no paths"):
        run_load(1, [], 1, 1.0, "python")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--seconds", "0"], "--seconds must be positive"),
        (["--connections", "-1"], "--connections must be positive"),
        (["--scale", "2"], "--scale must be in"),
        (["--client", "ab"], "invalid choice: 'ab'"),
    ],
)
def test_bad_options_stop_with_a_message(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        national_table.parse(flags)
    assert message in capsys.readouterr().err


def test_options_default_to_the_issues_run() -> None:
    args = national_table.parse([])
    assert (args.seed, args.scale, args.connections, args.peers) == (42, 1.0, 8, False)
    assert args.client in {"wrk", "python"}
    assert national_table.parse(["--client", "python"]).client == "python"


def test_the_peers_addresses(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, 55999, "peers")
    assert cluster.conninfo() == f"host={tmp_path} port=55999 user=postgres dbname=peers"
    assert cluster.conninfo("postgres").endswith("dbname=postgres")
    assert cluster.url() == "postgresql://postgres@127.0.0.1:55999/peers"
    tipg = Tipg(process=None, port=1)  # type: ignore[arg-type]
    assert tipg.items_path("villages", (1.0, 2.0, 3.5, 4.25), 100) == (
        "/collections/public.villages/items?bbox=1.0,2.0,3.5,4.25&limit=100"
    )
    assert tipg.tile_path("communes", 9, 405, 234, ["code", "name"]) == (
        "/collections/public.communes/tiles/WebMercatorQuad/9/405/234?properties=code,name"
    )


def test_one_tiny_run_against_our_own_service(tmp_path: Path) -> None:
    out = tmp_path / "table.json"
    report = national_table.main(
        [
            *("--seed", "7", "--scale", "0.005", "--seconds", "1", "--connections", "2"),
            *("--communes", "5", "--tiles-per-zoom", "2", "--repeat", "2"),
            *("--client", "python", "--out", str(out)),
        ]
    )
    assert json.loads(out.read_text())["items"] == report["items"]
    table = out.with_suffix(".md").read_text()
    assert len(_cells(table)) == len(rows_of(report))
    for key in ("items", "map_features", "tiles_sustained"):
        assert report[key]["ours"]["requests"] > 0 and report[key]["ours"]["errors"] == 0
        assert "peer" not in report[key]
    assert report["tiles_cold"]["ours"]["tiles"] > 0
    assert set(report["workers"]) == {"1", "2"} and report["workers"]["2"]["requests"] > 0
    assert set(report["keep_alive"]) == {"1", "2"}
    assert len(report["downloads"]["ours"]["rss_after_each_mb"]) == 2
    assert report["rss"]["ours_end_mb"] > 0

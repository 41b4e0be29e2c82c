"""The issue-12 speed table from one run's report (``bench.national_table``): one row per
work, with geo-service's figure, the peer's figure of the same run, their ratio, the
issue's target and whether it is met. Pure: figures in, rows and Markdown out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HEADER = ("work", "geo-service", "peer, same run", "ratio", "target", "met?")
NOT_RUN = "not run"
MAP_SLOT = "not measured by this run: `python -m bench.bench_map` (Chromium) gives these rows"


@dataclass(frozen=True)
class Row:
    work: str
    ours: str
    peer: str
    ratio: str
    target: str
    met: str

    def cells(self) -> tuple[str, ...]:
        return (self.work, self.ours, self.peer, self.ratio, self.target, self.met)


def verdict(met: bool | None) -> str:
    return "—" if met is None else ("yes" if met else "**no**")


def _load(figures: dict[str, Any], unit: str = "req/s") -> str:
    if not figures["requests"]:
        return f"no request finished within the {figures['seconds']:.0f} s"
    return (
        f"{figures['requests_per_s']:,.1f} {unit}, p50 {figures['p50_ms']:,.1f} ms, "
        f"p99 {figures['p99_ms']:,.1f} ms"
    )


def _tiles(figures: dict[str, Any]) -> str:
    return (
        f"{figures['tiles_per_s']:,.1f} tiles/s, p50 {figures['p50_ms']:,.1f} ms, "
        f"p99 {figures['p99_ms']:,.1f} ms"
    )


Figures = dict[str, Any]


def _throughput_row(
    work: str, ours: Figures, peer: Figures | None, rate: str, shown: Callable[[Figures], str]
) -> Row:
    """≥ 2× the peer's rate at an equal or better p99."""
    target = "≥ 2× peer, p99 ≤ peer's"
    if peer is None:
        return Row(work, shown(ours), NOT_RUN, "—", target, "—")
    if not ours.get("requests", ours.get("tiles")):
        return Row(work, shown(ours), "tipg: " + shown(peer), "—", target, verdict(False))
    ratio = ours[rate] / peer[rate]
    p99 = peer["p99_ms"] / ours["p99_ms"]
    met = ratio >= 2 and ours["p99_ms"] <= peer["p99_ms"]
    return Row(
        work,
        shown(ours),
        "tipg: " + shown(peer),
        f"{ratio:.2f}× the rate; p99 {p99:.2f}× lower"
        if p99 >= 1
        else f"{ratio:.2f}× the rate; p99 {1 / p99:.2f}× higher",
        target,
        verdict(met),
    )


def rows_of(report: dict[str, Any]) -> list[Row]:
    """The table's rows, in the issue's order."""
    items, tiles_cold, tiles_warm = report["items"], report["tiles_cold"], report["tiles_sustained"]
    connections = report["connections"]
    rows = [
        _throughput_row(
            f"one commune's villages, OGC items bbox (limit 100), {connections} connections",
            items["ours"],
            items.get("peer"),
            "requests_per_s",
            _load,
        ),
        _throughput_row(
            f"one commune's villages, map data (`/api/map/features?level=4&bbox=`), {connections} "
            "connections; peer: its bbox items as above",
            report["map_features"]["ours"],
            items.get("peer"),
            "requests_per_s",
            _load,
        ),
        _throughput_row(
            f"tiles, each drawn once (cold), {connections} connections",
            tiles_cold["ours"],
            tiles_cold.get("peer"),
            "tiles_per_s",
            _tiles,
        ),
        _throughput_row(
            f"tiles, the same set round for {report['seconds']:g} s (ours: cached), "
            f"{connections} connections",
            tiles_warm["ours"],
            tiles_warm.get("peer"),
            "requests_per_s",
            lambda figures: _load(figures, "tiles/s"),
        ),
    ]
    rows += [_workers_row(report), _keep_alive_row(report)]
    rows += _download_rows(report["downloads"])
    rows.append(_rss_row(report["rss"]))
    rows += _map_rows(report.get("map"))
    return rows


def _workers_row(report: dict[str, Any]) -> Row:
    one, two = report["workers"]["1"], report["workers"]["2"]
    both = one["requests"] and two["requests"]
    return Row(
        "`serve --workers 1` and `2`: the map data load above",
        f"1 worker: {_load(one)}; 2 workers: {_load(two)}",
        "—",
        f"2 / 1 workers: {two['requests_per_s'] / one['requests_per_s']:.2f}×" if both else "—",
        "both reported",
        verdict(bool(both)),
    )


def _keep_alive_row(report: dict[str, Any]) -> Row:
    alive = report["keep_alive"]
    one, two, peer = alive["1"], alive["2"], alive.get("peer")
    # A lost TCP_NODELAY adds a delayed ACK (~40 ms) to every request after the first.
    met = two["later_p50_ms"] < one["later_p50_ms"] + 20
    return Row(
        f"keep-alive: {two['requests']} requests (`conformance`) on one connection, 2 workers",
        f"after the first: p50 {two['later_p50_ms']} ms, max {two['later_max_ms']} ms "
        f"(1 worker: p50 {one['later_p50_ms']} ms)",
        NOT_RUN if peer is None else f"tipg, 1 worker: p50 {peer['later_p50_ms']} ms",
        f"2 / 1 workers: {two['later_p50_ms'] / one['later_p50_ms']:.2f}×",
        "no ~40 ms wait after the first request (TCP_NODELAY, uvicorn #3149)",
        verdict(met),
    )


def _download_rows(downloads: dict[str, Any]) -> list[Row]:
    ours, postgis = downloads["ours"], downloads.get("postgis")
    shown = f"{ours['median_s']:.2f} s, {ours['mb']:.1f} MB"
    if postgis is None:
        first = Row(
            "all villages as GeoJSON (coverage)", shown, NOT_RUN, "—", "≤ 1.5× PostGIS", "—"
        )
    else:
        ratio = ours["median_s"] / postgis["median_s"]
        first = Row(
            "all villages as GeoJSON (coverage)",
            shown,
            f"PostGIS `ST_AsGeoJSON` FeatureCollection via psql: {postgis['median_s']:.2f} s, "
            f"{postgis['mb']:.1f} MB",
            f"{ratio:.2f}× PostGIS's time",
            "≤ 1.5× PostGIS",
            verdict(ratio <= 1.5),
        )
    after = ours["rss_after_each_mb"]
    flat = max(after) <= after[0] * 1.1
    memory = Row(
        f"server RSS after each of {len(after)} downloads",
        ", ".join(f"{mb:.0f}" for mb in after) + " MB",
        "—",
        f"last / first: {after[-1] / after[0]:.2f}×",
        "flat (within 10% of the first)",
        verdict(flat),
    )
    return [first, memory]


def _rss_row(rss: dict[str, Any]) -> Row:
    ratio = rss["ours_end_mb"] / rss["ours_start_mb"]
    peer = (
        NOT_RUN
        if rss.get("peer_start_mb") is None
        else f"tipg: {rss['peer_start_mb']:.0f} → {rss['peer_end_mb']:.0f} MB"
    )
    return Row(
        "server RSS: start → after all benchmarks (1 worker)",
        f"{rss['ours_start_mb']:.0f} → {rss['ours_end_mb']:.0f} MB once idle"
        + (f" ({rss['ours_end_busy_mb']:.0f} MB at once)" if "ours_end_busy_mb" in rss else ""),
        peer,
        f"end / start: {ratio:.2f}×",
        "≤ 2× start",
        verdict(ratio <= 2),
    )


def _map_rows(found: dict[str, Any] | None) -> list[Row]:
    if not found:
        return [
            Row(
                "province map (4,000–5,000 villages), Chromium to painted",
                MAP_SLOT,
                "—",
                "—",
                "≤ 0.7× naive folium; page + data ≤ 10% of folium's GeoJSON",
                "—",
            ),
            Row("national map, Chromium to painted", MAP_SLOT, "—", "—", "≤ 1.5 s, ≤ 2 MB", "—"),
        ]
    return [Row(**row) for row in found["rows"]]


def markdown(rows: list[Row]) -> str:
    """A Markdown table (pipes in cells escaped)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in row.cells()) + " |")
    return "\n".join(lines) + "\n"

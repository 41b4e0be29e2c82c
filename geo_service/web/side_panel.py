"""The figures beside a map, for the map page at ``GET /`` and the ``geo-service map`` file:
the summary of the unit shown (or of everything), where its villages come from, and the
links to its data as files to save.

Computed from a coverage view's attributes only (no geometry), so the page asks for it
again (``/api/map/panel``) whenever the reader picks another unit.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import jinja2
import pandas as pd

from geo_service.coverage.compute import DATA_COMPLETE, DATA_NONE, data_status_of
from geo_service.domain import Level
from geo_service.web.panels import Summary, sources_html, summary_html
from geo_service.web.popups import as_number, display_name
from geo_service.web.scope import Scope, root_rollups

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True
)
# (key, API path, extra query, Vietnamese label, English label)
DOWNLOADS: tuple[tuple[str, str, dict[str, str], str, str], ...] = (
    ("coverage-geojson", "api/coverage", {}, "Độ phủ theo thôn (GeoJSON)", "coverage by village"),
    ("coverage-csv", "api/coverage", {"format": "csv"}, "Độ phủ theo thôn (CSV)", "as CSV"),
    ("gaps-geojson", "api/gaps", {}, "Thôn chưa có mô hình (GeoJSON)", "uncovered villages"),
    ("gaps-csv", "api/gaps", {"format": "csv"}, "Thôn chưa có mô hình (CSV)", "as CSV"),
)


def side_panel_html(scope: Scope, sources: pd.DataFrame | None, as_of: date, *, links: bool) -> str:
    """Summary, the communes a focused commune's villages come from, and (``links``: a
    served page, not a file opened from disk) the download links."""
    focus = scope.focus["code"] if scope.focus is not None else None
    return (
        summary_html(summary_of(scope))
        + sources_html(sources, focus)
        + (downloads_html(focus, as_of) if links else "")
    )


def unit_title(scope: Scope) -> str:
    """The focus's name with its type word; else the top units' names (up to three)."""
    if scope.focus is not None:
        return display_name(scope.focus["name"], scope.focus["unit_type"])
    roots = root_rollups(scope.rollups)
    names = [display_name(n, t) for n, t in zip(roots["name"], roots["unit_type"], strict=True)]
    if 0 < len(names) <= 3:
        return ", ".join(sorted(names))
    return "Tất cả đơn vị (all units)"


def downloads_html(focus_code: str | None, as_of: date) -> str:
    """Links to the page's data as files to save: the API with ``download=1``, for the
    unit and date shown. Relative, so they work behind a path prefix too."""
    scope = {"parent": focus_code} if focus_code else {}
    links = [
        {
            "key": key,
            "href": f"{path}?{urlencode({**scope, 'as_of': as_of.isoformat(), **query})}"
            + "&download=1",
            "label_vi": label_vi,
            "label_en": label_en,
        }
        for key, path, query, label_vi, label_en in DOWNLOADS
    ]
    return TEMPLATES.get_template("downloads.html").render(links=links)


def summary_of(scope: Scope) -> Summary:
    """The summary figures of the scope's focus (a village, or a unit's roll-up), or of
    the roll-ups at the top of the scope."""
    focus = scope.focus
    if focus is not None and int(focus["level"]) == int(Level.VILLAGE):
        return Summary(
            1,
            int(bool(focus["covered"])),
            _number(focus.get("members")),
            _number(focus.get("member_households")),
            int(focus["model_count"]),
            int(focus["team_count"]),
        )
    tops = root_rollups(scope.rollups)
    if tops.empty:
        return _summary_of_villages(scope.villages)
    known = int(tops["source_communes_with_villages"].sum())
    sources = int(tops["source_communes_total"].sum())
    return Summary(
        int(tops["villages_total"].sum()),
        int(tops["villages_covered"].sum()),
        _sum(tops["members"]),
        _sum(tops["member_households"]),
        int(tops["models"].sum()),
        int(tops["teams"].sum()),
        data_status_of(known, sources),
        int(tops["communes_with_villages"].sum()),
        int(tops["communes_total"].sum()),
        known,
        sources,
    )


def _summary_of_villages(villages: gpd.GeoDataFrame) -> Summary:
    return Summary(
        len(villages),
        int(villages["covered"].sum()),
        _sum(villages["members"]),
        _sum(villages["member_households"]),
        int(villages["model_count"].sum()),
        int(villages["team_count"].sum()),
        DATA_COMPLETE if len(villages) else DATA_NONE,
    )


def _sum(values: pd.Series) -> float:
    """Sum of a count column; NaN (shown as "—") when no value is known."""
    return _number(pd.to_numeric(values, errors="coerce").sum(min_count=1))


def _number(value: Any) -> float:
    number = as_number(value)
    return float("nan") if number is None else number

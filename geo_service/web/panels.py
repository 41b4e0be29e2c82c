"""The page around the folium map: header, summary, legend and the no-geometry list.

The summary says how complete the village list is (a merged commune whose villages are
known for 1 of its 3 source communes is partial) and never shows missing data as 0 of 0.

Plain HTML and CSS only (no scripts beyond an inline ``onchange``), so the page needs no
external asset and still reads when JavaScript or tiles fail. Data values are escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo_service.web.popups import bilingual, count_text, display_name, esc, status_badge

COVERED_FILL = "#1a9641"
COVERED_LINE = "#0b5e2a"
UNCOVERED_FILL = "#d7191c"
UNCOVERED_LINE = "#67000d"
COMMUNE_LINE = "#08306b"
NO_DATA_FILL = "#8c8c8c"
NO_DATA_LINE = "#4d4d4d"
NO_GEOMETRY_LIST_LIMIT = 300

PAGE_CSS = f"""
html, body {{ height: 100%; margin: 0; }}
body {{ display: grid; grid-template-columns: minmax(0, 1fr) 320px;
  grid-template-rows: auto minmax(0, 1fr); font: 14px/1.35 system-ui, sans-serif; }}
header.map-header {{ grid-column: 1 / 3; grid-row: 1; padding: 6px 12px;
  background: #0b3d2e; color: #fff; display: flex; flex-wrap: wrap; gap: 4px 16px;
  align-items: center; }}
header.map-header h1 {{ font-size: 17px; margin: 0; }}
header.map-header .as-of {{ opacity: .9; }}
.folium-map {{ grid-column: 1; grid-row: 2; height: 100% !important; width: 100% !important; }}
aside.map-side {{ grid-column: 2; grid-row: 2; overflow-y: auto; padding: 8px 12px;
  border-left: 1px solid #ccc; background: #fafaf7; }}
aside.map-side h2 {{ font-size: 14px; margin: 12px 0 4px; }}
small.en {{ font-size: 78%; color: #666; font-weight: normal; }}
header small.en {{ color: #cde; }}
header .unit-context {{ font-weight: normal; font-size: 13px; color: #e6efe9; }}
.summary .big {{ font-size: 22px; font-weight: 600; }}
.legend-item {{ display: flex; align-items: center; gap: 8px; margin: 3px 0; }}
.swatch {{ width: 22px; height: 14px; flex: none; box-sizing: border-box; }}
.swatch-covered {{ background: {COVERED_FILL}b0; border: 2px solid {COVERED_LINE}; }}
.swatch-uncovered {{ background: {UNCOVERED_FILL}; border: 3px solid {UNCOVERED_LINE}; }}
.swatch-commune {{ border: 3px solid {COMMUNE_LINE}; background: transparent; }}
.swatch-approximate {{ border: 2px dashed #333; background: #ddd; }}
.swatch-no-data {{ background: {NO_DATA_FILL}; border: 2px dotted {NO_DATA_LINE}; }}
.village-list {{ margin-top: 4px; }}
.village-list-partial, .village-list-no_data {{ color: #5c4400; }}
.sources li {{ margin: 2px 0; }}
.no-geometry li {{ margin: 2px 0; }}
.notice {{ background: #fff3cd; border: 1px solid #e0c36b; padding: 6px; margin: 6px 0; }}
.badge {{ display: inline-block; padding: 1px 6px; border-radius: 3px; margin: 2px 4px 2px 0;
  font-size: 12px; }}
.badge-covered {{ background: {COVERED_FILL}; color: #fff; }}
.badge-uncovered {{ background: {UNCOVERED_FILL}; color: #fff; font-weight: 600; }}
.badge-approximate {{ background: #eee; border: 1px dashed #333; }}
.badge small.en {{ color: inherit; opacity: .85; }}
.popup-title {{ font-size: 15px; font-weight: 600; }}
.popup-sub {{ color: #555; margin-bottom: 4px; }}
.popup-section {{ margin-top: 6px; font-weight: 600; }}
table.models {{ border-collapse: collapse; margin-top: 6px; font-size: 12px; }}
table.models th, table.models td {{ border: 1px solid #ccc; padding: 2px 4px;
  text-align: right; vertical-align: top; }}
table.models th:first-child, table.models td:first-child {{ text-align: left; }}
.missing {{ color: {UNCOVERED_LINE}; }}
.leaflet-container {{ background: #eef0ea; }}
.leaflet-control-layers {{ font-size: 12px; }}
.leaflet-interactive:focus {{ outline: none; }}
header button small.en {{ color: #555; }}
.legend .hint {{ color: #555; font-size: 12px; margin-top: 6px; }}
@media (max-width: 760px) {{
  body {{ grid-template-columns: 1fr; grid-template-rows: auto 60vh auto; }}
  header.map-header {{ grid-column: 1; }}
  aside.map-side {{ grid-column: 1; grid-row: 3; border-left: 0; }}
}}
"""


@dataclass(frozen=True, slots=True)
class Summary:
    """The figures of the summary panel; the last five say how complete the village list
    is (see ``coverage.CoverageResult``)."""

    villages_total: int
    villages_covered: int
    members: float
    households: float
    models: int
    teams: int
    data_status: str = "complete"
    communes_with_villages: int = 0
    communes_total: int = 0
    sources_with_villages: int = 0
    sources_total: int = 0


def header_html(title_unit: str, as_of: date) -> str:
    """Title with unit and date."""
    return (
        '<header class="map-header">'
        f"<h1>{bilingual('Độ phủ mô hình tự quản về ANTT', 'security self-management coverage')}"
        f' — <span class="unit-title">{esc(title_unit)}</span></h1>'
        f'<span class="as-of">{bilingual("tính đến", "as of")} '
        f'<time datetime="{as_of.isoformat()}">{as_of:%d/%m/%Y}</time></span></header>'
    )


def summary_html(summary: Summary) -> str:
    covered, total = summary.villages_covered, summary.villages_total
    if summary.data_status == "no_data":
        # Not 0/0: nothing is known about the villages, covered or not.
        villages = (
            '<div><span class="big villages-covered">—</span> '
            f"{bilingual('chưa có danh sách thôn', 'no village list yet')}</div>"
        )
    else:
        villages = (
            f'<div><span class="big villages-covered">{count_text(covered)}/'
            f"{count_text(total)}</span>"
            f" {bilingual('thôn, tổ dân phố có mô hình', 'villages covered')}</div>"
        )
    return (
        '<section class="summary"><h2>'
        f"{bilingual('Tổng hợp', 'summary')}</h2>"
        f"{villages}{village_list_html(summary)}"
        f'<div><span class="members">{count_text(summary.members)}</span> '
        f"{bilingual('thành viên', 'members')} · {count_text(summary.households)} "
        f"{bilingual('hộ', 'households')}</div>"
        f"<div>{count_text(summary.models)} {bilingual('mô hình', 'models')} · "
        f"{count_text(summary.teams)} {bilingual('tổ', 'teams')}</div></section>"
    )


def village_list_html(summary: Summary) -> str:
    """How complete the village list behind the figures is."""
    status = summary.data_status
    known, sources = summary.sources_with_villages, summary.sources_total
    if status == "complete":
        text = bilingual("Danh sách thôn đầy đủ", "village list complete")
    elif status == "partial":
        text = bilingual(
            f"Mới có danh sách thôn của {known}/{sources} xã hợp thành; "
            "vùng xám chưa có danh sách thôn",
            f"villages known for {known} of {sources} source communes; "
            "grey areas have no village list",
        )
    else:
        text = bilingual(
            "Chưa có dữ liệu thôn: không tính là có hay chưa có mô hình",
            "no village data: counted neither as covered nor as uncovered",
        )
    communes = ""
    if summary.communes_total > 1:
        with_villages = f"{summary.communes_with_villages}/{summary.communes_total}"
        communes = "<br>" + bilingual(
            f"{with_villages} xã, phường có danh sách thôn", f"{with_villages} communes listed"
        )
    return (
        f'<div class="village-list village-list-{esc(status)}" data-status="{esc(status)}">'
        f"{text}{communes}</div>"
    )


def sources_html(sources: pd.DataFrame | None, focus_code: str | None) -> str:
    """For a focused commune: the communes its villages come from, and which are listed."""
    if sources is None or focus_code is None:
        return ""
    own = sources[sources["commune_code"] == focus_code]
    if len(own) < 2 and (own["source_code"] == focus_code).all():
        return ""  # the commune is its own, only source: nothing to explain
    items = []
    for row in own.to_dict("records"):
        state = (
            bilingual("có danh sách thôn", "villages listed")
            if bool(row["villages_known"])
            else bilingual("chưa có danh sách thôn", "no village list")
        )
        listed = "listed" if bool(row["villages_known"]) else "unlisted"
        name = display_name(row["source_name"] or row["source_code"], row["source_unit_type"])
        items.append(
            f'<li class="source source-{listed}" data-code="{esc(row["source_code"])}">'
            f"{esc(name)} <small class='en'>({esc(row['source_code'])})</small> — {state}</li>"
        )
    title = bilingual("Hợp thành từ", "formed from")
    return f'<section class="sources"><h2>{title}</h2><ul>{"".join(items)}</ul></section>'


def no_units_notice() -> str:
    """The page of a date (or a store) without any unit: how to get data in."""
    return (
        '<div class="notice no-units">'
        f"{bilingual('Không có đơn vị nào ở ngày này.', 'No units on this date.')}<br>"
        f"{bilingual('Chưa có dữ liệu? Nhập ranh giới hoặc bản demo:', 'No data yet:')} "
        "<code>geo-service import boundaries FILE</code> "
        f"{bilingual('hoặc', 'or')} <code>geo-service demo</code></div>"
    )


def legend_html() -> str:
    items = (
        ("covered", "Thôn có mô hình", "covered village"),
        ("uncovered", "Thôn chưa có mô hình", "uncovered village"),
        ("no-data", "Chưa có danh sách thôn", "no village list"),
        ("commune", "Ranh giới xã, phường", "commune boundary"),
        ("approximate", "Vùng ước lượng (viền đứt)", "approximate area (dashed)"),
    )
    rows = "".join(
        f'<div class="legend-item legend-{key}"><span class="swatch swatch-{key}"></span>'
        f"<span>{bilingual(vi, en)}</span></div>"
        for key, vi, en in items
    )
    hint = bilingual(
        "Bật từng loại mô hình bằng nút lớp ở góc trên bên phải bản đồ.",
        "Show each model type with the layers button at the map's top right.",
    )
    return (
        f'<section class="legend"><h2>{bilingual("Chú giải", "legend")}</h2>{rows}'
        f'<p class="hint">{hint}</p></section>'
    )


def no_geometry_html(villages: pd.DataFrame, commune_names: dict[str, str]) -> str:
    """Villages that cannot be drawn, with their coverage status, so none goes unseen."""
    title = bilingual("Không có ranh giới", "no geometry")
    if villages.empty:
        return (
            f'<section class="no-geometry"><h2>{title}</h2>'
            f"<p>{bilingual('Mọi thôn đều có ranh giới', 'every village has a geometry')}</p>"
            "</section>"
        )
    items = []
    ordered = villages.sort_values(["parent_code", "name"])
    for row in ordered.head(NO_GEOMETRY_LIST_LIMIT).to_dict("records"):
        commune = commune_names.get(str(row["parent_code"]), "")
        items.append(
            f'<li data-code="{esc(row["code"])}">'
            f"{esc(display_name(row['name'], row['unit_type']))}"
            f' <small class="en">{esc(commune)}</small> {status_badge(bool(row["covered"]))}</li>'
        )
    more = ""
    if len(villages) > NO_GEOMETRY_LIST_LIMIT:
        rest = len(villages) - NO_GEOMETRY_LIST_LIMIT
        more = f"<li>… {bilingual(f'và {rest} thôn khác', f'and {rest} more')}</li>"
    return (
        f'<section class="no-geometry"><h2>{title} ({len(villages)})</h2>'
        f"<ul>{''.join(items)}{more}</ul></section>"
    )


def notice_html(vi: str, en: str) -> str:
    return f'<div class="notice">{bilingual(vi, en)}</div>'

"""The page around the map: header, unit picker, summary, legend and the no-geometry list.

Plain HTML and CSS only (no scripts beyond an inline ``onchange``), so the page needs no
external asset and still reads when JavaScript or tiles fail. Data values are escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from geo_service.domain import Level
from geo_service.web.popups import bilingual, count_text, display_name, esc, status_badge

COVERED_FILL = "#1a9641"
COVERED_LINE = "#0b5e2a"
UNCOVERED_FILL = "#d7191c"
UNCOVERED_LINE = "#67000d"
COMMUNE_LINE = "#08306b"
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
.unit-form select {{ max-width: 260px; }}
.summary .big {{ font-size: 22px; font-weight: 600; }}
.legend-item {{ display: flex; align-items: center; gap: 8px; margin: 3px 0; }}
.swatch {{ width: 22px; height: 14px; flex: none; box-sizing: border-box; }}
.swatch-covered {{ background: {COVERED_FILL}b0; border: 2px solid {COVERED_LINE}; }}
.swatch-uncovered {{ background: {UNCOVERED_FILL}; border: 3px solid {UNCOVERED_LINE}; }}
.swatch-commune {{ border: 3px solid {COMMUNE_LINE}; background: transparent; }}
.swatch-approximate {{ border: 2px dashed #333; background: #ddd; }}
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
class UnitChoice:
    """One entry of the unit picker; ``depth`` indents districts and communes."""

    code: str
    label: str
    depth: int


@dataclass(frozen=True, slots=True)
class Summary:
    villages_total: int
    villages_covered: int
    members: float
    households: float
    models: int
    teams: int


def unit_choices(units: pd.DataFrame) -> list[UnitChoice]:
    """Provinces, districts and communes of ``units`` in tree order (children by name)."""
    admin = units[units["level"].astype(int) < int(Level.VILLAGE)]
    known = set(admin["code"])
    children: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    for code, name, unit_type, parent in zip(
        admin["code"], admin["name"], admin["unit_type"], admin["parent_code"], strict=True
    ):
        key = parent if parent in known else None
        children[key].append((display_name(name, unit_type), str(code)))
    ordered: list[UnitChoice] = []
    stack = [(label, code, 0) for label, code in sorted(children[None], reverse=True)]
    while stack:
        label, code, depth = stack.pop()
        ordered.append(UnitChoice(code, label, depth))
        stack.extend((lbl, child, depth + 1) for lbl, child in sorted(children[code], reverse=True))
    return ordered


def ancestor_labels(choices: Sequence[UnitChoice], code: str | None) -> list[str]:
    """Labels of ``code``'s ancestors (nearest first), read off the tree-ordered choices."""
    position = next((i for i, choice in enumerate(choices) if choice.code == code), None)
    if position is None:
        return []
    labels, depth = [], choices[position].depth
    for choice in reversed(choices[:position]):
        if choice.depth < depth:
            labels.append(choice.label)
            depth = choice.depth
    return labels


def header_html(
    title_unit: str, as_of: date, choices: Sequence[UnitChoice] | None, focus_code: str | None
) -> str:
    """Title with unit (and where it lies) and date; the unit picker when served."""
    form = _unit_form(choices, focus_code, as_of) if choices is not None else ""
    ancestors = ", ".join(ancestor_labels(choices or [], focus_code))
    place = f' <small class="unit-context">{esc(ancestors)}</small>' if ancestors else ""
    return (
        '<header class="map-header">'
        f"<h1>{bilingual('Độ phủ mô hình tự quản về ANTT', 'security self-management coverage')}"
        f' — <span class="unit-title">{esc(title_unit)}</span>{place}</h1>'
        f'<span class="as-of">{bilingual("tính đến", "as of")} '
        f'<time datetime="{as_of.isoformat()}">{as_of:%d/%m/%Y}</time></span>{form}</header>'
    )


def _unit_form(choices: Sequence[UnitChoice], focus_code: str | None, as_of: date) -> str:
    options = ['<option value="">Toàn bộ — all units</option>']
    for choice in choices:
        selected = " selected" if choice.code == focus_code else ""
        indent = "\u2003" * choice.depth
        options.append(
            f'<option value="{esc(choice.code)}"{selected}>'
            f"{indent}{esc(choice.label)} ({esc(choice.code)})</option>"
        )
    return (
        '<form class="unit-form" method="get" action="">'
        '<label>Đơn vị <small class="en">unit</small> '
        f'<select name="unit" onchange="this.form.submit()">{"".join(options)}</select></label> '
        '<label>Ngày <small class="en">date</small> '
        f'<input type="date" name="as_of" value="{as_of.isoformat()}"></label> '
        '<button type="submit">Xem <small class="en">show</small></button></form>'
    )


def summary_html(summary: Summary) -> str:
    covered, total = summary.villages_covered, summary.villages_total
    return (
        '<section class="summary"><h2>'
        f"{bilingual('Tổng hợp', 'summary')}</h2>"
        f'<div><span class="big villages-covered">{count_text(covered)}/{count_text(total)}</span>'
        f" {bilingual('thôn, tổ dân phố có mô hình', 'villages covered')}</div>"
        f'<div><span class="members">{count_text(summary.members)}</span> '
        f"{bilingual('thành viên', 'members')} · {count_text(summary.households)} "
        f"{bilingual('hộ', 'households')}</div>"
        f"<div>{count_text(summary.models)} {bilingual('mô hình', 'models')} · "
        f"{count_text(summary.teams)} {bilingual('tổ', 'teams')}</div></section>"
    )


def legend_html() -> str:
    items = (
        ("covered", "Thôn có mô hình", "covered village"),
        ("uncovered", "Thôn chưa có mô hình", "uncovered village"),
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

"""Popup and tooltip HTML for the coverage map: Vietnamese first, English in small type.

Every value that comes from data (names, codes, decisions) goes through ``esc``: names are
typed by people and may contain markup. The returned strings are trusted HTML fragments and
are set with Leaflet's ``bindPopup``/``bindTooltip`` (innerHTML).

``esc`` also turns braces into character references: folium renders each script block and
then compiles the output again as a Jinja template, so a name containing ``{{ … }}`` or
``{#`` would otherwise be evaluated or swallowed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date
from html import escape
from typing import Any

import pandas as pd

from geo_service.domain import GEOMETRY_APPROXIMATE, UNIT_TYPES

SITE_TABLE_COLUMNS = [
    "unit_code",
    "model_id",
    "model_name",
    "type_code",
    "type_vi",
    "type_en",
    "counts_as_model",
    "teams",
    "members",
    "households",
    "cameras",
]
_COUNT_HEADERS = (
    ("teams", "Tổ", "teams"),
    ("members", "Thành viên", "members"),
    ("households", "Hộ", "households"),
    ("cameras", "Camera", "cameras"),
)


_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})
_CODE_BRACES = str.maketrans({"{": "\uff5b", "}": "\uff5d"})


def esc(value: object) -> str:
    """HTML-escape any value (braces too); missing values become an empty string."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return escape(str(value), quote=True).translate(_BRACES)


def template_safe(text: object) -> str:
    """A plain (non-HTML) string that survives folium's second Jinja pass unchanged in
    meaning: braces become their full-width look-alikes. Used for codes in GeoJSON."""
    return str(text).translate(_CODE_BRACES)


def bilingual(vi: str, en: str) -> str:
    return f'{esc(vi)} <small class="en">{esc(en)}</small>'


def as_number(value: object) -> float | None:
    """A float, or None for anything missing (None, NaN, pd.NA, NaT) or not numeric."""
    if value is None or isinstance(value, str):
        return None
    try:
        if pd.isna(value):  # type: ignore[call-overload]
            return None
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def count_text(value: object) -> str:
    """A whole number with Vietnamese digit grouping (1.234); "—" when unknown."""
    number = as_number(value)
    if number is None:
        return "—"
    return f"{round(number):,}".replace(",", ".")


def percent_text(value: object) -> str:
    """A percentage with a decimal comma (37,5%); "—" when unknown."""
    number = as_number(value)
    if number is None:
        return "—"
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return f"{text.replace('.', ',')}%"


def display_name(name: object, unit_type: object) -> str:
    """The name with its type word ("Xã Bằng Cả"), unless the name already starts with it."""
    text = str(name) if name is not None else ""
    word = UNIT_TYPES.get(str(unit_type), ("", 0))[0]
    if not word or text.casefold().startswith(word.casefold()):
        return text
    return f"{word} {text}"


def village_word(commune_type: object) -> str:
    """What a commune's villages are called: tổ dân phố in a ward, thôn elsewhere."""
    return "tổ dân phố" if commune_type == "phuong" else "thôn"


def site_table(
    sites: pd.DataFrame, models: pd.DataFrame, model_types: pd.DataFrame
) -> pd.DataFrame:
    """Active model sites with the model's name and the type's names, for popups."""
    names = models[["model_id", "name"]].drop_duplicates("model_id")
    names = names.rename(columns={"name": "model_name"})
    types = model_types[["code", "name_vi", "name_en"]].rename(
        columns={"code": "type_code", "name_vi": "type_vi", "name_en": "type_en"}
    )
    table = sites.merge(names, on="model_id", how="left").merge(types, on="type_code", how="left")
    for column in SITE_TABLE_COLUMNS:
        if column not in table:
            table[column] = pd.Series(dtype="object")
    table["model_name"] = table["model_name"].fillna(table["type_vi"]).fillna(table["model_id"])
    table["type_vi"] = table["type_vi"].fillna(table["type_code"])
    return table[SITE_TABLE_COLUMNS]


def models_table(rows: pd.DataFrame) -> str:
    """A table of model sites (one row each), with totals when there are several."""
    if rows.empty:
        return f'<p class="no-models">{bilingual("Chưa có mô hình nào", "no model yet")}</p>'
    head = "".join(f"<th>{bilingual(vi, en)}</th>" for _, vi, en in _COUNT_HEADERS)
    records: list[dict[str, Any]] = rows.to_dict("records")  # type: ignore[assignment]
    body = "".join(_model_row(row) for row in records)
    foot = ""
    if len(rows) > 1:
        totals = "".join(
            f"<td>{count_text(pd.to_numeric(rows[key], errors='coerce').sum(min_count=1))}</td>"
            for key, _, _ in _COUNT_HEADERS
        )
        foot = f"<tfoot><tr><th>{bilingual('Tổng', 'total')}</th>{totals}</tr></tfoot>"
    return (
        '<table class="models">'
        f"<thead><tr><th>{bilingual('Mô hình', 'model')}</th>{head}</tr></thead>"
        f"<tbody>{body}</tbody>{foot}</table>"
    )


def _model_row(row: Mapping[str, Any]) -> str:
    note = ""
    if not bool(row.get("counts_as_model", True)):
        label = bilingual("không tính là mô hình", "not counted")
        note = f'<br><small class="not-counted">{label}</small>'
    counts = "".join(f"<td>{count_text(row.get(key))}</td>" for key, _, _ in _COUNT_HEADERS)
    return (
        f'<tr data-model="{esc(row.get("model_id"))}" data-type="{esc(row.get("type_code"))}">'
        f'<td><span class="model-name">{esc(row.get("model_name"))}</span><br>'
        f'<small class="model-type">{esc(row.get("type_vi"))}</small>{note}</td>{counts}</tr>'
    )


def status_badge(covered: bool) -> str:
    if covered:
        return f'<span class="badge badge-covered">{bilingual("Có mô hình", "covered")}</span>'
    return f'<span class="badge badge-uncovered">{bilingual("Chưa có mô hình", "uncovered")}</span>'


def approximate_badge() -> str:
    return (
        '<span class="badge badge-approximate">'
        f"{bilingual('Vùng ước lượng', 'approximate area')}</span>"
    )


def village_popup(
    village: Mapping[str, Any],
    commune_name: str,
    sites: pd.DataFrame,
    type_names: Mapping[str, str],
) -> str:
    """Popup of one village: status, geometry quality, its models and their counts."""
    badges = [status_badge(bool(village["covered"]))]
    if village.get("geometry_quality") == GEOMETRY_APPROXIMATE:
        badges.append(approximate_badge())
    missing = _missing_types(village.get("missing_types"), type_names)
    return (
        f'<div class="popup village-popup" data-code="{esc(village["code"])}">'
        f'<div class="popup-title">{esc(display_name(village["name"], village["unit_type"]))}'
        "</div>"
        f'<div class="popup-sub">{esc(commune_name)} · mã <small class="en">code</small> '
        f"{esc(village['code'])}</div>"
        f'<div class="badges">{"".join(badges)}</div>{missing}{models_table(sites)}</div>'
    )


def village_tooltip(village: Mapping[str, Any]) -> str:
    name = esc(display_name(village["name"], village["unit_type"]))
    count = int(village.get("model_count") or 0)
    status = (
        bilingual(f"có {count} mô hình", "covered")
        if village["covered"]
        else bilingual("chưa có mô hình", "uncovered")
    )
    approx = ""
    if village.get("geometry_quality") == GEOMETRY_APPROXIMATE:
        approx = f"<br><i>{bilingual('vùng ước lượng', 'approximate area')}</i>"
    return f"<b>{name}</b> — {status}{approx}"


def rollup_line(rollup: Mapping[str, Any], unit_type: object) -> str:
    """ "3/8 thôn có mô hình (37,5%)" for a commune or larger unit, and how complete its
    village list is; a unit without one shows no count (it is no data, not 0 of 0)."""
    word = village_word(unit_type) if unit_type in ("xa", "phuong", "thi_tran") else "thôn"
    status = rollup.get("data_status")
    if status == "no_data":
        return bilingual(f"Chưa có danh sách {word}", "no village list")
    line = (
        f"{count_text(rollup['villages_covered'])}/{count_text(rollup['villages_total'])} "
        f"{word} có mô hình ({percent_text(rollup.get('coverage_pct'))}) "
        '<small class="en">villages covered</small>'
    )
    if status == "partial":
        known = count_text(rollup.get("source_communes_with_villages"))
        total = count_text(rollup.get("source_communes_total"))
        line += "<br>" + bilingual(
            f"mới có danh sách {word} của {known}/{total} xã hợp thành",
            f"villages known for {known} of {total} source communes",
        )
    return line


def no_data_tooltip(area: Mapping[str, Any]) -> str:
    """Hover text of an area without a village list (a commune, or a part that a reform
    brought into one)."""
    name = esc(display_name(area["name"] or area["source_code"], area["unit_type"]))
    ended = area.get("valid_to")
    before = ""
    if ended:
        day = date.fromisoformat(str(ended))
        before = f" ({bilingual(f'trước {day:%d/%m/%Y}', f'before {day.isoformat()}')})"
    return f"<b>{name}</b>{before}<br>{bilingual('Chưa có danh sách thôn', 'no village list')}"


def unit_tooltip(rollup: Mapping[str, Any]) -> str:
    """Hover text of a commune (or district/province): name, village coverage, members."""
    name = esc(display_name(rollup["name"], rollup["unit_type"]))
    people = [f"{count_text(rollup.get('members'))} {bilingual('thành viên', 'members')}"]
    if as_number(rollup.get("member_households")) is not None:
        households = count_text(rollup.get("member_households"))
        people.append(f"{households} {bilingual('hộ tham gia', 'member households')}")
    return (
        f"<b>{name}</b><br>{rollup_line(rollup, rollup['unit_type'])}<br>"
        f"{' · '.join(people)} · "
        f"{count_text(rollup.get('models'))} {bilingual('mô hình', 'models')}"
    )


def unit_popup(rollup: Mapping[str, Any], own_sites: pd.DataFrame) -> str:
    """Popup of a commune: the tooltip facts plus the models registered at commune level."""
    wide = ""
    if not own_sites.empty:
        wide = (
            f'<div class="popup-section">{bilingual("Mô hình toàn xã", "commune-wide models")}'
            f"</div>{models_table(own_sites)}"
        )
    return (
        f'<div class="popup unit-popup" data-code="{esc(rollup["code"])}">'
        f"{unit_tooltip(rollup)}{wide}</div>"
    )


def _missing_types(missing: object, type_names: Mapping[str, str]) -> str:
    if not isinstance(missing, Iterable) or isinstance(missing, str):
        return ""
    names = [esc(type_names.get(code, code)) for code in missing]
    if not names:
        return ""
    label = bilingual("Thiếu loại bắt buộc", "missing required types")
    return f'<div class="missing">{label}: {", ".join(names)}</div>'

"""Map a boundary file's own columns onto ``domain.UNIT_COLUMNS``.

Field names differ between sources (``ma_xa``, ``gso_commune_code_2019``, ``code``…); they
are found by accent- and case-insensitive aliases unless given. A unit's type comes from
a type column or from the leading word of its name ("Thôn", "Phường", "TDP" …, see
``names.split_unit_type``); its level from the file, a level column or the type.
Every problem names the file, the 1-based feature number and the column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo_service.crs import to_wgs84
from geo_service.domain import (
    GEOMETRY_NONE,
    GEOMETRY_SURVEYED,
    UNIT_COLUMNS,
    UNIT_TYPES,
    WGS84,
    Level,
)
from geo_service.ingest.tables import parse_count, parse_date
from geo_service.names import fold, match_key, nfc, split_unit_type
from geo_service.validate import ValidationReport

_DISTRICT_CODES = ("district_code", "ma_huyen", "gso_district_code_2019")
_PROVINCE_CODES = ("province_code", "ma_tinh")
_COMMUNE_CODES = ("ma_xa", "commune_code", "gso_commune_code_2019")
_ALIASES: dict[str, tuple[str, ...]] = {
    "code": (
        "code",
        "ma",
        "ma_don_vi",
        "ma_xa",
        "ma_dvhc",
        "gso_code",
        "gso_commune_code_2019",
        "commune_code",
    ),
    "name": ("name", "ten", "ten_don_vi", "ten_xa", "fullname", "commune_vn", "name_vi"),
    # Commune codes last: they name the parent only when another column is the code.
    "parent": ("parent_code", "ma_cha", *_DISTRICT_CODES, *_PROVINCE_CODES, *_COMMUNE_CODES),
    "type": ("unit_type", "loai", "type"),
    "level": ("level", "cap"),
    "population": ("population", "dan_so", "danso"),
    "households": ("households", "so_ho"),
    "valid_from": ("valid_from",),
    "valid_to": ("valid_to",),
}
# A file of one level names its own code and its parent's differently (a village file's
# ma_xa is the parent commune, a district file's ma_huyen is the district itself).
_LEVEL_ALIASES: dict[Level, dict[str, tuple[str, ...]]] = {
    Level.PROVINCE: {
        "code": ("code", "ma", "ma_tinh", "province_code", "gso_code"),
        "parent": ("parent_code", "ma_cha"),
    },
    Level.DISTRICT: {
        "code": ("code", "ma", "ma_huyen", "district_code", "gso_code", "gso_district_code_2019"),
        "parent": ("parent_code", "ma_cha", *_PROVINCE_CODES),
    },
    Level.VILLAGE: {
        "code": ("code", "ma", "ma_thon", "village_code", "ma_don_vi"),
        "name": ("name", "ten", "ten_thon", "ten_don_vi", "name_vi"),
        "parent": ("parent_code", "ma_cha", *_COMMUNE_CODES),
    },
}
_CODE_WIDTH = {Level.PROVINCE: 2, Level.DISTRICT: 3, Level.COMMUNE: 5}
_TYPE_VALUES = {
    **{fold(word).replace(" ", "_"): slug for slug, (word, _) in UNIT_TYPES.items()},
    **{slug: slug for slug in UNIT_TYPES},
    "thanh_pho": "thanh_pho",
    "tt": "thi_tran",
    "tx": "thi_xa",
    "tp": "thanh_pho",
    "tdp": "to_dan_pho",
    "kp": "khu_pho",
    "kdc": "khu_dan_cu",
    "ward": "phuong",
    "commune": "xa",
    "township": "thi_tran",
    "province": "tinh",
}


@dataclass(frozen=True)
class _Fields:
    """Column of the raw frame for each role (None when absent)."""

    columns: dict[str, str | None]
    other_names: tuple[str, ...]  # further name columns ("fullName") to find a type word in

    def __getitem__(self, role: str) -> str | None:
        return self.columns.get(role)


def normalise_units(
    raw: gpd.GeoDataFrame,
    *,
    file_name: str,
    level: int | None,
    code_field: str | None = None,
    name_field: str | None = None,
    parent_field: str | None = None,
    type_field: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    source: str = "",
) -> tuple[gpd.GeoDataFrame, ValidationReport]:
    """Units with exactly ``UNIT_COLUMNS`` + geometry (EPSG:4326), one per raw row, in order.

    ``raw`` is ``read_boundaries`` output (index = feature number) or any GeoDataFrame.
    Fields not given are detected from common column names; ``valid_from``/``valid_to``
    given here apply to every row, else date columns of those names are used.
    """
    report = ValidationReport(file_name)
    if level is not None and level not in {int(v) for v in Level}:
        report.error(f"level must be 1-4, not {level}", field="level")
        return _empty_units(), report
    file_level = Level(level) if level is not None else None
    frame = raw if raw.crs is None or CRS(raw.crs).equals(WGS84) else to_wgs84(raw)
    given = {"code": code_field, "name": name_field, "parent": parent_field, "type": type_field}
    fields = _resolve_fields(frame, file_level, given, report)
    if not report.ok:
        return _empty_units(), report
    rows = frame.index if frame.index.name == "feature" else pd.RangeIndex(1, len(frame) + 1)
    # Plain Python lists per role: per-row pandas access would dominate for 80k villages.
    columns = {role: column for role, column in fields.columns.items() if column}
    columns.update({f"other_name_{i}": c for i, c in enumerate(fields.other_names)})
    values = {role: frame[c].to_numpy(dtype=object).tolist() for role, c in columns.items()}
    records = [
        _unit_record(
            {role: values[role][i] for role in values},
            int(row),
            fields,
            file_level,
            (valid_from, valid_to),
            report,
        )
        for i, row in enumerate(rows)
    ]
    _check_duplicates(records, [int(row) for row in rows], fields, report)
    return _assemble(records, frame, source), report


def _resolve_fields(
    frame: gpd.GeoDataFrame,
    level: Level | None,
    given: dict[str, str | None],
    report: ValidationReport,
) -> _Fields:
    by_fold: dict[str, str] = {}
    for column in frame.columns:
        if column != frame.geometry.name:
            by_fold.setdefault(fold(str(column)).replace(" ", "_"), str(column))
    aliases = {**_ALIASES, **_LEVEL_ALIASES.get(level, {})} if level else _ALIASES
    columns: dict[str, str | None] = {}
    for role, candidates in aliases.items():
        wanted = given.get(role)
        if wanted is not None:
            columns[role] = by_fold.get(fold(wanted).replace(" ", "_"))
            if columns[role] is None:
                report.error(
                    f"column '{wanted}' not found; columns: {', '.join(by_fold.values())}",
                    field=wanted,
                    code="missing_column",
                )
            continue
        taken = {c for c in columns.values() if c}
        columns[role] = next(
            (by_fold[a] for a in candidates if a in by_fold and by_fold[a] not in taken), None
        )
    for role in ("code", "name"):
        if columns.get(role) is None and given.get(role) is None:
            report.error(
                f"no {role} column found (looked for {', '.join(aliases[role])}); "
                f"name it with --{role}-field",
                field=role,
                code="missing_column",
            )
    others = tuple(
        by_fold[a] for a in aliases["name"] if a in by_fold and by_fold[a] != columns.get("name")
    )
    return _Fields(columns, others)


def _unit_record(
    cells: dict[str, Any],
    row: int,
    fields: _Fields,
    file_level: Level | None,
    dates: tuple[date | None, date | None],
    report: ValidationReport,
) -> dict[str, object]:
    name = _text(cells.get("name"))
    if name is None:
        report.error("missing name", row=row, field=fields["name"], code="missing_value")
    level = file_level or _level_cell(cells, row, fields, report)
    unit_type = _unit_type(cells, name, row, fields, level, report) if name else None
    if level is None and unit_type is not None:
        level = _level_of_type(unit_type, row, fields, report)
    code = _code(cells.get("code"), level)
    if code is None:
        report.error("missing code", row=row, field=fields["code"], code="missing_value")
    parent = _code(cells.get("parent"), None)
    if level == Level.VILLAGE and parent is None:
        report.error(
            "a village needs its commune's code (parent)",
            row=row,
            field=fields["parent"] or "parent_code",
            code="missing_value",
        )
    record: dict[str, object] = {
        "code": code,
        "name": _stored_name(name) if name else None,
        "unit_type": unit_type,
        "level": int(level) if level else None,
        "parent_code": parent,
        "population": _count(cells, "population", row, fields, report),
        "households": _count(cells, "households", row, fields, report),
        "valid_from": dates[0] or _date(cells, "valid_from", row, fields, report),
        "valid_to": dates[1] or _date(cells, "valid_to", row, fields, report),
    }
    start, end = record["valid_from"], record["valid_to"]
    if isinstance(start, date) and isinstance(end, date) and end <= start:
        report.error(
            f"valid_to {end} is not after valid_from {start}",
            row=row,
            field=fields["valid_to"] or "valid_to",
        )
    return record


def _level_cell(
    cells: dict[str, Any], row: int, fields: _Fields, report: ValidationReport
) -> Level | None:
    value = _text(cells.get("level"))
    if value is None:
        return None
    if value in {str(int(v)) for v in Level}:
        return Level(int(value))
    report.error(
        f"level '{value}' is not 1-4 (province, district, commune, village)",
        row=row,
        field=fields["level"],
    )
    return None


def _unit_type(
    cells: dict[str, Any],
    name: str,
    row: int,
    fields: _Fields,
    level: Level | None,
    report: ValidationReport,
) -> str | None:
    given = _text(cells.get("type"))
    if given is not None:
        slug = _TYPE_VALUES.get(fold(given).replace(" ", "_"))
        if slug is None:
            report.error(
                f"unknown unit type '{given}'; known: "
                f"{', '.join(sorted({w for w, _ in UNIT_TYPES.values()}))}",
                row=row,
                field=fields["type"],
                code="unknown_type",
            )
            return None
        return _fit_level(slug, given, level, row, fields["type"], report)
    names = [name, *(cells[f"other_name_{i}"] for i in range(len(fields.other_names)))]
    for candidate in names:
        text = _text(candidate)
        slug = _leading_type(text, level) if text else None
        if slug:
            return slug
    allowed = sorted({w for w, lv in UNIT_TYPES.values() if level is None or lv == level})
    report.error(
        f"unknown unit type: '{name}' does not start with a "
        f"{level.name.lower() + ' ' if level else ''}type word ({', '.join(allowed)}); "
        "add a unit_type column",
        row=row,
        field=fields["name"],
        code="unknown_type",
    )
    return None


@lru_cache(maxsize=65536)
def _stored_name(name: str) -> str:
    return nfc(name)


@lru_cache(maxsize=65536)
def _leading_type(name: str, level: Level | None) -> str | None:
    """Type word of ``name``; cached because village names repeat ("Thôn 1", "Xóm 2")."""
    return split_unit_type(name, level)[0]


def _fit_level(
    slug: str,
    given: str,
    level: Level | None,
    row: int,
    field: str | None,
    report: ValidationReport,
) -> str | None:
    if slug == "thanh_pho" and level == Level.PROVINCE:
        return "thanh_pho_tw"
    if level is not None and UNIT_TYPES[slug][1] != level:
        report.error(
            f"unit type '{given}' is a {UNIT_TYPES[slug][1].name.lower()} type, but "
            f"the units are imported as level {int(level)} ({level.name.lower()})",
            row=row,
            field=field,
            code="unknown_type",
        )
        return None
    return slug


def _level_of_type(
    unit_type: str, row: int, fields: _Fields, report: ValidationReport
) -> Level | None:
    if unit_type == "thanh_pho":
        report.error(
            "'Thành phố' can be a province or a district: give the level "
            "(--level or a level column)",
            row=row,
            field=fields["name"],
        )
        return None
    return UNIT_TYPES[unit_type][1]


def _text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    text = " ".join(str(value).split())
    return text or None


def _code(value: object, level: Level | None) -> str | None:
    """Codes as text; numeric cells lost their leading zeros, so pad to the GSO width."""
    text = _text(value)
    width = _CODE_WIDTH.get(level) if level is not None else None
    if text and width and isinstance(value, int | float | np.integer | np.floating):
        return text.zfill(width)
    return text


def _count(
    cells: dict[str, Any], role: str, row: int, fields: _Fields, report: ValidationReport
) -> int | None:
    value = cells.get(role)
    text = _text(value)
    if text is None:
        return None
    try:
        number = (
            round(float(value))
            if isinstance(value, int | float | np.number)
            else (parse_count(text))
        )
    except (ValueError, OverflowError):
        number = None
    if number is None or number < 0:
        report.error(
            f"'{text}' is not a whole non-negative number",
            row=row,
            field=fields[role],
            code="invalid_number",
        )
        return None
    return number


def _date(
    cells: dict[str, Any], role: str, row: int, fields: _Fields, report: ValidationReport
) -> date | None:
    value = cells.get(role)
    if value is None:
        return None
    if isinstance(value, datetime | pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    text = _text(value)
    try:
        return parse_date(text) if text else None
    except ValueError as problem:
        report.error(str(problem), row=row, field=fields[role], code="invalid_date")
        return None


def _assemble(
    records: list[dict[str, object]], frame: gpd.GeoDataFrame, source: str
) -> gpd.GeoDataFrame:
    geometry = np.asarray(frame.geometry.values, dtype=object)
    present = ~(pd.isna(geometry) | shapely.is_empty(geometry))
    labels = shapely.point_on_surface(geometry)
    table = pd.DataFrame.from_records(records, columns=UNIT_COLUMNS[:9])
    for column in ("level", "population", "households"):
        table[column] = table[column].astype("Int64")
    table["geometry_quality"] = np.where(present, GEOMETRY_SURVEYED, GEOMETRY_NONE)
    table["label_lon"] = shapely.get_x(labels)
    table["label_lat"] = shapely.get_y(labels)
    table["source"] = source
    return gpd.GeoDataFrame(table[UNIT_COLUMNS], geometry=list(geometry), crs=WGS84)


def _check_duplicates(
    records: list[dict[str, object]],
    rows: list[int],
    fields: _Fields,
    report: ValidationReport,
) -> None:
    seen_codes: dict[tuple[object, object], int] = {}
    seen_villages: dict[tuple[object, object, str], tuple[int, str]] = {}
    for row, unit in zip(rows, records, strict=True):
        code, name, parent = unit["code"], unit["name"], unit["parent_code"]
        if code is not None:
            first = seen_codes.setdefault((code, unit["valid_from"]), row)
            if first != row:
                report.error(
                    f"duplicate code '{code}' (also row {first})",
                    row=row,
                    field=fields["code"],
                    code="duplicate_code",
                )
        if unit["level"] == Level.VILLAGE and isinstance(name, str) and parent:
            key = (parent, unit["unit_type"], match_key(name, Level.VILLAGE))
            earlier = seen_villages.setdefault(key, (row, name))
            if earlier[0] != row:
                report.error(
                    f"duplicate village names in one commune: '{earlier[1]}' (row "
                    f"{earlier[0]}) and '{name}' (row {row}) in commune {parent}",
                    row=row,
                    field=fields["name"],
                    code="duplicate_name",
                )


def _empty_units() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns=UNIT_COLUMNS, geometry=[], crs=WGS84)

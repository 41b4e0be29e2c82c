"""Model/team registers: one row per team or site, rows grouped into models by "Mã mô hình".

Every row is matched to a unit (commune by code, or by name within its parent; village by
name within the commune). Anything unmatched, ambiguous or malformed is reported with its
row and field and the whole register is rejected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd

from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS
from geo_service.ingest.tables import (
    check_cell_text,
    fold_header,
    parse_count,
    parse_date,
    read_csv_table,
)
from geo_service.ingest.unit_matching import UnitMatcher
from geo_service.validate import ValidationReport

T = TypeVar("T")

ALIASES: dict[str, list[str]] = {
    "model_key": ["Mã mô hình", "Mã MH", "model_id", "model id"],
    "type": ["Loại mô hình", "Loại", "model_type", "type"],
    "model_name": ["Tên mô hình", "model_name", "model name"],
    "commune_code": ["Mã xã", "Mã xã/phường", "Mã đơn vị", "Mã ĐVHC", "commune_code", "unit_code"],
    "commune_name": ["Xã/Phường", "Xã/Phường/Thị trấn", "Xã", "Phường", "commune"],
    "district_name": ["Huyện", "Quận/Huyện", "Huyện/Thị xã", "district"],
    "province_name": ["Tỉnh", "Tỉnh/Thành phố", "province"],
    "village": ["Thôn/TDP", "Thôn/Tổ dân phố", "Thôn", "Tổ dân phố", "Thôn/Xóm", "village"],
    "launch_date": ["Ngày ra mắt", "Ngày thành lập", "launch_date", "launch date"],
    "status": ["Trạng thái", "Tình trạng", "status"],
    "team_name": ["Tên tổ", "team_name", "team"],
    "members": ["Số thành viên", "Số TV", "Thành viên", "members"],
    "households": ["Số hộ", "Số hộ tham gia", "households"],
    "cameras": ["Số camera", "cameras"],
    "leader_role": ["Chức danh tổ trưởng", "Tổ trưởng (chức danh)", "leader_role"],
    "tips": ["Tin báo", "Số tin báo", "tips"],
    "valuable_tips": ["Tin có giá trị", "Số tin có giá trị", "valuable_tips"],
    "tips_year": ["Năm tin báo", "tips_year"],
    "decision": ["Quyết định", "Ghi chú", "decision", "notes"],
    "extra": ["Chỉ số khác", "extra"],
}
# Headers that would bring personal data into a public register (Law 91/2025/QH15).
PERSONAL_HEADERS = [
    "Họ tên",
    "Họ và tên",
    "Tên thành viên",
    "Số điện thoại",
    "Điện thoại",
    "SĐT",
    "Địa chỉ",
    "CCCD",
    "CMND",
    "Danh sách hộ",
    "full name",
    "phone",
    "address",
]
STATUS_WORDS = {
    "active": ["hoat dong", "hoat dong hieu qua", "hieu qua", "dang hoat dong", "active"],
    "ineffective": ["kem hieu qua", "hoat dong kem hieu qua", "chua hieu qua", "ineffective"],
    "merged": ["sap nhap", "da sap nhap", "merged"],
    "dissolved": ["giai the", "da giai the", "ngung hoat dong", "dissolved"],
    "planned": ["du kien", "ke hoach", "chua ra mat", "planned"],
}
MODEL_FIELDS = [
    "type",
    "model_name",
    "commune_code",
    "commune_name",
    "district_name",
    "province_name",
    "launch_date",
    "status",
    "tips",
    "valuable_tips",
    "tips_year",
    "decision",
    "extra",
]
COUNT_FIELDS = ["members", "households", "cameras"]
TEXT_FIELDS = ["model_name", "team_name", "village", "leader_role", "decision", "commune_name"]


@dataclass(frozen=True)
class RegisterRows:
    models: pd.DataFrame
    teams: pd.DataFrame


def read_register(
    path: Path, units: gpd.GeoDataFrame, model_types: pd.DataFrame, *, file_name: str
) -> tuple[RegisterRows, ValidationReport]:
    """Parse and validate a register against the units and the model-type catalogue."""
    report = ValidationReport(file_name)
    table = read_csv_table(path, ALIASES, file_name=file_name)
    _check_headers(table.columns, path, report)
    if not report.ok:
        return RegisterRows(
            pd.DataFrame(columns=MODEL_COLUMNS), pd.DataFrame(columns=TEAM_COLUMNS)
        ), report
    matcher = UnitMatcher(units)
    type_codes = _type_lookup(model_types)
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for row_no, cells in table.rows:
        for field in TEXT_FIELDS:
            if cells.get(field):
                check_cell_text(report, cells[field], row=row_no, field=table.columns[field])
        key = cells.get("model_key", "")
        if not key:
            report.error("the model key is empty", row=row_no, field=table.columns["model_key"])
            continue
        groups.setdefault(key, []).append((row_no, cells))
    models, teams = [], []
    for key, rows in groups.items():
        built = _build_model(key, rows, table.columns, matcher, type_codes, report)
        if built is not None:
            models.append(built[0])
            teams.extend(built[1])
    model_frame = pd.DataFrame(models, columns=MODEL_COLUMNS)
    team_frame = pd.DataFrame(teams, columns=TEAM_COLUMNS)
    return RegisterRows(model_frame, team_frame), report


def _check_headers(columns: dict[str, str], path: Path, report: ValidationReport) -> None:
    for required in ("model_key", "type"):
        if required not in columns:
            report.error(
                f"missing column '{ALIASES[required][0]}'", row=1, field=ALIASES[required][0]
            )
    if "commune_code" not in columns and "commune_name" not in columns:
        report.error("missing column 'Mã xã' or 'Xã/Phường'", row=1, field="Mã xã")
    header_line = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()[0]
    personal = {fold_header(h) for h in PERSONAL_HEADERS}
    for written in header_line.split(","):
        if fold_header(written) in personal:
            report.error(
                "personal data (names, phones, addresses, household lists) is not "
                "accepted in a public register",
                row=1,
                field=written.strip(),
                code="personal_data",
            )


def _type_lookup(model_types: pd.DataFrame) -> dict[str, str]:
    lookup = {fold_header(code): code for code in model_types["code"]}
    lookup.update(
        {
            fold_header(n): c
            for c, n in zip(model_types["code"], model_types["name_vi"], strict=True)
        }
    )
    lookup.update(
        {
            fold_header(n): c
            for c, n in zip(model_types["code"], model_types["name_en"], strict=True)
        }
    )
    return lookup


def _model_values(
    rows: list[tuple[int, dict[str, str]]], columns: dict[str, str], report: ValidationReport
) -> dict[str, tuple[int, str]]:
    """First non-empty value of each model-level field; later rows may repeat it, not change it."""
    values: dict[str, tuple[int, str]] = {}
    for row_no, cells in rows:
        for field in MODEL_FIELDS:
            value = cells.get(field, "")
            if not value:
                continue
            if field not in values:
                values[field] = (row_no, value)
            elif values[field][1] != value:
                report.error(
                    f"'{value}' conflicts with '{values[field][1]}' given for the same "
                    f"model on row {values[field][0]}",
                    row=row_no,
                    field=columns[field],
                )
    return values


def _build_model(
    key: str,
    rows: list[tuple[int, dict[str, str]]],
    columns: dict[str, str],
    matcher: UnitMatcher,
    type_codes: dict[str, str],
    report: ValidationReport,
) -> tuple[dict[str, Any], list[dict[str, object]]] | None:
    errors_before = len(report.errors)
    values = _model_values(rows, columns, report)
    first_row = rows[0][0]

    def cell(field: str) -> str:
        return values.get(field, (first_row, ""))[1]

    def row_of(field: str) -> int:
        return values.get(field, (first_row, ""))[0]

    type_code = type_codes.get(fold_header(cell("type")))
    if type_code is None:
        report.error(
            f"unknown model type '{cell('type')}'; use a code or name from the "
            "catalogue (GET /api/model-types)",
            row=row_of("type"),
            field=columns["type"],
        )
    launch = _parsed(
        parse_date, cell("launch_date"), row_of("launch_date"), columns.get("launch_date"), report
    )
    status = _status(cell("status"), row_of("status"), columns.get("status"), report)
    commune = matcher.commune(
        code=cell("commune_code"),
        name=cell("commune_name"),
        district=cell("district_name"),
        province=cell("province_name"),
        on=launch,
        row=row_of("commune_code"),
        columns=columns,
        report=report,
    )
    teams: list[dict[str, object]] = []
    for row_no, cells in rows:
        team = _team_row(key, len(teams), row_no, cells, commune, matcher, columns, report)
        if team is not None:
            teams.append(team)
    if len(report.errors) > errors_before or commune is None or type_code is None:
        return None
    totals = {f: _sum(t[f] for t in teams) for f in COUNT_FIELDS}
    model = {
        "model_id": key,
        "type_code": type_code,
        "name": cell("model_name") or key,
        "unit_code": commune,
        "launch_date": launch.isoformat() if launch else None,
        "status": status,
        **totals,
        "tips": _parsed(parse_count, cell("tips"), row_of("tips"), columns.get("tips"), report),
        "valuable_tips": _parsed(
            parse_count,
            cell("valuable_tips"),
            row_of("valuable_tips"),
            columns.get("valuable_tips"),
            report,
        ),
        "tips_year": _parsed(
            parse_count, cell("tips_year"), row_of("tips_year"), columns.get("tips_year"), report
        ),
        "decision": cell("decision") or None,
        "extra": _extra(cell("extra"), row_of("extra"), columns.get("extra"), report),
    }
    return model, teams


def _team_row(
    key: str,
    index: int,
    row_no: int,
    cells: dict[str, str],
    commune: str | None,
    matcher: UnitMatcher,
    columns: dict[str, str],
    report: ValidationReport,
) -> dict[str, object] | None:
    counts = {
        f: _parsed(parse_count, cells.get(f, ""), row_no, columns.get(f), report)
        for f in COUNT_FIELDS
    }
    village_name = cells.get("village", "")
    if not (village_name or cells.get("team_name") or any(v is not None for v in counts.values())):
        return None
    site = commune
    if village_name and commune is not None:
        site = matcher.village(
            village_name, commune, row=row_no, field=columns["village"], report=report
        )
    if site is None:
        return None
    return {
        "team_id": f"{key}/{index + 1:03d}",
        "model_id": key,
        "unit_code": site,
        "name": cells.get("team_name") or None,
        **counts,
        "leader_role": cells.get("leader_role") or None,
    }


def _parsed(
    parser: Callable[[str], T], text: str, row: int, field: str | None, report: ValidationReport
) -> T | None:
    try:
        return parser(text)
    except ValueError as exc:
        report.error(str(exc), row=row, field=field)
        return None


def _status(text: str, row: int, field: str | None, report: ValidationReport) -> str:
    if not text:
        return "active"
    folded = fold_header(text)
    for status, words in STATUS_WORDS.items():
        if folded in words:
            return status
    report.error(
        f"unknown status '{text}' (expected e.g. 'Hoạt động', 'Kém hiệu quả', "
        "'Đã sáp nhập', 'Giải thể')",
        row=row,
        field=field,
    )
    return "active"


def _extra(text: str, row: int, field: str | None, report: ValidationReport) -> dict[str, float]:
    extra: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, sep, number = part.partition("=")
        try:
            if not sep:
                raise ValueError
            extra[fold_header(name).replace(" ", "_")] = float(number.strip().replace(",", "."))
        except ValueError:
            report.error(f"'{part}' is not 'name=number'", row=row, field=field)
    return extra


def _sum(values: Iterable[object]) -> int | None:
    present = [int(str(v)) for v in values if v is not None]
    return sum(present) if present else None

"""Model/team registers as communes keep them: CSV, or XLSX with one sheet of rows or a
models sheet ("Mô hình") and a teams sheet ("Tổ") sharing "Mã mô hình"; or a point layer
whose features are the rows (``point_layers``).

Every row is matched to a unit (commune by code, or by name within its parent; village by
name within the commune). Anything unmatched, ambiguous or malformed is reported with its
file (and sheet), row and field, and the whole register is rejected.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from geo_service.domain import MODEL_COLUMNS, TEAM_COLUMNS
from geo_service.ingest.readers.cell_checks import check_cell_text
from geo_service.ingest.readers.cells import Cell, Formula, cell_text, fold_header
from geo_service.ingest.readers.merged_cells import warn_merged_cells
from geo_service.ingest.readers.spreadsheets import SheetGrid, is_workbook, read_workbook
from geo_service.ingest.readers.tables import (
    HEADER_SEARCH_ROWS,
    Problems,
    table_by_aliases,
)
from geo_service.ingest.readers.text_files import read_csv_rows
from geo_service.ingest.registers.identity import row_identity
from geo_service.ingest.registers.locations import locate_sites
from geo_service.ingest.registers.mapping import read_mapping
from geo_service.ingest.registers.match_report import MatchReport
from geo_service.ingest.registers.matching import UnitMatcher
from geo_service.ingest.registers.models import Catalogue, Row, Sheet, SheetRole, build_models
from geo_service.ingest.registers.personal_data import MAYBE_PERSONAL
from geo_service.ingest.registers.point_layers import is_point_layer, read_point_layer
from geo_service.ingest.registers.replaced_units import UnitHistory
from geo_service.ingest.registers.type_lookup import TypeLookup
from geo_service.ingest.report import ValidationReport, reject
from geo_service.settings import PACKAGE_DIR
from geo_service.text.legacy_encodings import decode_legacy

HEADERS_FILE = PACKAGE_DIR / "catalogue" / "register_headers.csv"


def register_headers(path: Path = HEADERS_FILE) -> dict[str, list[str]]:
    """Each register field with the headers communes give it, the first being the one that
    messages name. Kept as data (``catalogue/register_headers.csv``) so that a province can
    add the headers its own forms use."""
    headers: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            headers.setdefault(row["field"], []).append(unicodedata.normalize("NFC", row["header"]))
    return headers


ALIASES = register_headers()
IGNORED_HEADERS = ["STT", "Số TT", "TT", "Số thứ tự", "No", "No.", "#"]
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
MODELS_SHEETS = ["Mô hình", "Các mô hình", "Danh sách mô hình", "DS mô hình", "Models"]
TEAMS_SHEETS = ["Tổ", "Các tổ", "Danh sách tổ", "DS tổ", "Tổ, điểm", "Tổ/điểm", "Teams", "Sites"]
# A register needs these; everything else may be missing (a model's key is then derived
# from what its row says: see ``identity``).
REQUIRED_FIELDS = ["type", "commune_name", "commune_code"]
TEXT_FIELDS = [
    "model_key",
    "model_name",
    "team_name",
    "village",
    "leader_role",
    "decision",
    "commune_name",
    "district_name",
    "province_name",
]


# Whatever check_cell_text might refuse: a formula start or markup anywhere, or what
# might be personal data (an "@", nine digits close together).
_MAYBE_UNSAFE = re.compile(r"[=@+\-<>\t\r]|" + MAYBE_PERSONAL.pattern)


@dataclass(frozen=True)
class RegisterRows:
    models: pd.DataFrame
    teams: pd.DataFrame
    keyed: bool = True  # the register gives model keys ("Mã mô hình"); else derived
    skipped: tuple[str, ...] = ()  # rows a reviewed mapping skipped, each with its reason


def read_register(
    path: Path,
    units: pd.DataFrame,
    model_types: pd.DataFrame,
    *,
    file_name: str,
    mapping: Path | None = None,
    matches: MatchReport | None = None,
    crs: str | None = None,
    history: UnitHistory | None = None,
) -> tuple[RegisterRows, ValidationReport]:
    """Parse and validate a register against the units and the model-type catalogue.

    ``mapping`` (a reviewed mapping file, see ``ingest.mapping``) is consulted before names
    are matched; its problems carry its own file name. ``matches``, when given, receives
    how every row was matched. ``crs`` is the CRS of the rows' coordinates (``--crs``; see
    ``locations``). ``history`` (lineage, former names) makes suggestions for outdated
    commune names. Models with errors are left out of the frames; the report says why.
    """
    report = ValidationReport(file_name)
    matches = matches if matches is not None else MatchReport()
    matches.file = file_name
    layer = is_point_layer(path)
    if layer:  # its points are in WGS 84 already: the layer reader applied ``crs``
        table = read_point_layer(path, ALIASES, file_name=file_name, crs=crs, problems=report)
        sheets = [Sheet(table, report, "rows")]
    else:
        sheets = load_sheets(path, file_name, report)
    for sheet in sheets:
        _check_headers(sheet)
    empty = RegisterRows(pd.DataFrame(columns=MODEL_COLUMNS), pd.DataFrame(columns=TEAM_COLUMNS))
    if not report.ok:
        return empty, report
    reviewed, mapping_problems = None, report.part(mapping.name if mapping else "")
    if mapping is not None:
        reviewed = read_mapping(mapping, mapping_problems)
    matcher, types = UnitMatcher(units, reviewed, history), TypeLookup(model_types, reviewed)
    matcher.check_mapping(mapping_problems)  # nothing to check without a mapping
    types.check_mapping(mapping_problems)
    groups = _group_rows(sheets)
    catalogue = Catalogue(matcher, types, matches)
    models, teams = build_models(groups, catalogue, report)
    locate_sites(teams, models, units, None if layer else crs, report)
    if reviewed is not None:
        reviewed.check_used(mapping_problems, file_name)
    model_frame = pd.DataFrame(models, columns=MODEL_COLUMNS)
    team_frame = pd.DataFrame(teams, columns=TEAM_COLUMNS)
    keyed = any("model_key" in sheet.table.columns for sheet in sheets)
    skipped = tuple(
        str(p).removeprefix("warning: ") for p in report.problems if p.code == "skipped"
    )
    return RegisterRows(model_frame, team_frame, keyed, skipped), report


# -- sheets ----------------------------------------------------------------------------------


def load_sheets(path: Path, file_name: str, report: ValidationReport) -> list[Sheet]:
    """The register's tables: one CSV, one sheet of rows, or a models and a teams sheet."""
    if not is_workbook(path):
        if path.suffix.lower() in (".xls", ".ods"):
            reject(file_name, "save the workbook as .xlsx (or as 'CSV UTF-8') and import that")
        rows = read_csv_rows(path, file_name, report)
        table = table_by_aliases(rows, ALIASES, file_name, report)
        if table is None:
            return _without_header(report, "rows", rows)
        return [Sheet(table, report, "rows")]
    grids = read_workbook(path, file_name)
    models = _named(grids, MODELS_SHEETS)
    teams = _named(grids, TEAMS_SHEETS)
    chosen: list[tuple[SheetGrid, SheetRole]]
    if models is not None and teams is not None:
        chosen = [(models, "models"), (teams, "teams")]
    else:
        chosen = [(_single_sheet(grids, file_name), "rows")]
    sheets: list[Sheet] = []
    for grid, role in chosen:
        label = f"{file_name} [{grid.name}]"
        problems = report.part(label)
        warn_merged_cells(problems, grid.merged)
        found = table_by_aliases(grid.rows, ALIASES, label, problems)
        if found is None:
            _without_header(problems, role, grid.rows)
            continue
        sheets.append(Sheet(found, problems, role))
    used = {grid.name for grid, _ in chosen}
    for grid in grids:
        if grid.name not in used:
            note = " (empty)" if grid.empty else ""
            report.warning(f"sheet '{grid.name}'{note} is not part of the register; ignored")
    return sheets


def _without_header(
    problems: Problems, role: SheetRole, rows: Sequence[tuple[int, Sequence[Cell]]]
) -> list[Sheet]:
    """A table with no header row (only a title, or nothing a register has): every
    required column is missing, named at the last row read (the title's)."""
    last = rows[min(len(rows), HEADER_SEARCH_ROWS) - 1][0] if rows else 1
    report_missing(problems, _missing(role, {}), last)
    return []


def _named(grids: list[SheetGrid], names: list[str]) -> SheetGrid | None:
    wanted = {fold_header(name) for name in names}
    return next((grid for grid in grids if fold_header(grid.name) in wanted), None)


def _single_sheet(grids: list[SheetGrid], file_name: str) -> SheetGrid:
    """The one sheet whose header names the register's key, else its type or commune
    column; a workbook of one sheet is that sheet (its missing columns are then listed)."""
    for fields in (["model_key"], REQUIRED_FIELDS):
        found = [grid for grid in grids if _names_a_column(grid, fields)]
        if len(found) == 1:
            return found[0]
        if found:
            names = ", ".join(f"'{grid.name}'" for grid in found)
            reject(
                file_name,
                f"several sheets look like registers ({names}); keep one, or name them "
                "'Mô hình' (models) and 'Tổ' (teams)",
            )
    filled = [grid for grid in grids if not grid.empty]
    if len(filled) == 1:
        return filled[0]
    names = ", ".join(f"'{grid.name}'" for grid in grids)
    reject(
        file_name, f"no sheet has the register's columns {_required_headers()} (sheets: {names})"
    )


def _names_a_column(grid: SheetGrid, fields: list[str]) -> bool:
    """Whether a header row near the top names one of ``fields`` (maybe typed in a legacy
    font)."""
    keys = {fold_header(alias) for name in fields for alias in ALIASES[name]}
    for _, cells in grid.rows[:HEADER_SEARCH_ROWS]:
        text = " | ".join(cell_text(cell) for cell in cells)
        text = decode_legacy(text)[0]
        if any(fold_header(part) in keys for part in text.split(" | ")):
            return True
    return False


def _check_headers(sheet: Sheet) -> None:
    columns, problems, row = sheet.table.columns, sheet.problems, sheet.table.header_row
    report_missing(problems, _missing(sheet.role, columns), row)
    if sheet.role != "teams" and not sheet.table.rows:
        problems.error(f"no rows of models under the header (row {row}): nothing to import")
    personal = {fold_header(h) for h in PERSONAL_HEADERS}
    ignored = {fold_header(h) for h in IGNORED_HEADERS}
    for written in sheet.table.headers:
        folded = fold_header(written)
        if folded in personal:
            problems.error(
                "personal data (names, phones, addresses, household lists) is not "
                "accepted in a public register",
                row=row,
                field=written,
                code="personal_data",
            )
        elif written in sheet.table.unknown_headers and folded not in ignored:
            problems.warning("not a register column; ignored", row=row, field=written)


def _missing(role: SheetRole, columns: dict[str, str]) -> list[tuple[str, ...]]:
    """The required columns a sheet lacks, each as the fields that would do."""
    wanted: list[tuple[str, ...]] = []
    if role != "rows":  # two sheets are joined by the key
        wanted.append(("model_key",))
    if role != "teams":
        wanted += [("type",), ("commune_name", "commune_code")]
    return [fields for fields in wanted if not any(name in columns for name in fields)]


def report_missing(problems: Problems, missing: list[tuple[str, ...]], row: int) -> None:
    """One error per missing column, each naming them all: CSV and XLSX alike."""
    named = [" or ".join(f"'{ALIASES[name][0]}'" for name in fields) for fields in missing]
    for own, fields in zip(named, missing, strict=True):
        others = [text for text in named if text != own]
        also = f" (missing as well: {', '.join(others)})" if others else ""
        header = ALIASES[fields[0]][0]
        problems.error(f"missing column {own}{also}", row=row, field=header, code="missing_column")


def _required_headers() -> str:
    return ", ".join(f"'{ALIASES[name][0]}'" for name in REQUIRED_FIELDS)


# -- rows ------------------------------------------------------------------------------------


def _group_rows(sheets: list[Sheet]) -> dict[str, list[Row]]:
    """Rows by model key (text cells checked on the way); teams rows join their model.
    Without a key column, rows saying the same model (``identity.row_identity``) are one
    group, labelled by the model's name and first row until its key is derived."""
    groups: dict[str, list[Row]] = {}
    first_model_row: dict[str, Row] = {}
    labels: dict[tuple[str, ...], str] = {}
    for sheet in sheets:
        text_fields = [name for name in TEXT_FIELDS if name in sheet.table.columns]
        keyed = "model_key" in sheet.table.columns
        for number, cells in sheet.table.rows:
            row = Row(sheet, number, cells)
            if not _plain_text(cells, text_fields):
                _check_text_cells(row)
            if not keyed:
                said = row_identity(cells)
                key = labels.setdefault(said, f"{row.text('model_name') or '?'} (row {number})")
                groups.setdefault(key, []).append(row)
                continue
            key = row.text("model_key")
            if not key:
                sheet.problems.error(
                    "the model key is empty", row=number, field=row.header("model_key")
                )
                continue
            if sheet.role == "models":
                if key in first_model_row:
                    _duplicate_model(row, first_model_row[key])
                    continue
                first_model_row[key] = row
            elif sheet.role == "teams" and key not in first_model_row:
                sheet.problems.error(
                    f"model '{key}' is not on the models sheet",
                    row=number,
                    field=row.header("model_key"),
                )
                continue
            groups.setdefault(key, []).append(row)
    return groups


def _plain_text(cells: dict[str, Cell], names: list[str]) -> bool:
    """Whether the text cells are plain text with nothing ``check_cell_text`` could
    refuse: the common case, decided with one search."""
    texts = [cells[name] for name in names]
    if not all(type(text) is str for text in texts):
        return False
    return not _MAYBE_UNSAFE.search("\n".join(cast(list[str], texts)))


def _check_text_cells(row: Row) -> None:
    texts = [row.cells.get(name) for name in TEXT_FIELDS]
    # A number typed into a text column (an XLSX phone number lost its 0) is checked too.
    if not any(isinstance(t, Formula) for t in texts) and not _MAYBE_UNSAFE.search(
        "\n".join(cell_text(t) for t in texts)
    ):
        return  # the common case, decided with one search
    for name, value in zip(TEXT_FIELDS, texts, strict=True):
        if value is not None and value != "":
            check_cell_text(row.problems, value, row=row.number, field=str(row.header(name)))


def _duplicate_model(row: Row, first: Row) -> None:
    row.problems.error(
        f"model '{row.text('model_key')}' is already on row {first.number}; "
        "a model has one row on the models sheet",
        row=row.number,
        field=row.header("model_key"),
    )

"""One table from a CSV file or an XLSX sheet, with spreadsheet row numbers.

The header is the first non-empty row; rows keep their spreadsheet numbers (the header
of a plain file is row 1) and blank rows are skipped. CSV text in a legacy Vietnamese
encoding (Windows-1258, TCVN3, VNI) is decoded with a warning. XLSX cells keep their
types (numbers, dates); empty cells and blank text are None. A value merged over several
rows is repeated down them, and title rows merged across columns above the header are
skipped, both with a warning (``merged_cells``).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

from geo_service.ingest.readers.layers import fail
from geo_service.ingest.readers.merged_cells import (
    MergedRange,
    fill_down,
    merged_ranges,
    title_rows,
    warn_merged_cells,
)
from geo_service.ingest.readers.tables import check_size, split_csv
from geo_service.ingest.readers.zip_limits import zip_members
from geo_service.ingest.report import ValidationReport
from geo_service.text.legacy_encodings import decode_bytes
from geo_service.text.names import fold, nfc

MAX_TABLE_BYTES = 100 * 1024 * 1024
TABLE_SUFFIXES = (".csv", ".xlsx")
_UTF8 = ("utf-8", "utf-8-sig")


@dataclass(frozen=True)
class Sheet:
    header: list[str]  # NFC, unique, never empty
    rows: list[tuple[int, list[object]]]  # (spreadsheet row, cells aligned with header)


def read_sheet(path: Path, name: str, layer: str | None, report: ValidationReport) -> Sheet:
    """The table of a .csv file, or of an .xlsx file's first sheet (``layer``: sheet name)."""
    check_size(path, name, MAX_TABLE_BYTES)
    if path.suffix.lower() == ".xlsx":
        numbered = _xlsx_rows(path, name, layer, report)
    else:
        if layer is not None:
            fail(name, "a CSV file has a single table; --layer names an XLSX sheet", field="layer")
        numbered = _csv_rows(path, name, report)
    return _table(numbered, name)


def _csv_rows(path: Path, name: str, report: ValidationReport) -> list[tuple[int, list[object]]]:
    text, encoding = decode_bytes(path.read_bytes())
    if encoding not in _UTF8:
        report.warning(
            f"the file is not UTF-8: read it as {encoding}; check the names, and save it as "
            "'CSV UTF-8' next time",
            code="encoding",
        )
    return [(number, list(cells)) for number, cells in split_csv(text, name)]


def _xlsx_rows(
    path: Path, name: str, layer: str | None, report: ValidationReport
) -> list[tuple[int, list[object]]]:
    if not zipfile.is_zipfile(path):
        fail(name, "not an Excel .xlsx file (an .xlsx is a zip archive; old .xls is not read)")
    try:
        with zipfile.ZipFile(path) as archive:
            zip_members(archive, name)
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as problem:
        fail(name, f"cannot read the file as an Excel workbook: {problem}")
    try:
        sheet = book.worksheets[0] if layer is None else book[_sheet_name(book, layer, name)]
        numbered = [
            (number, list(cells))
            for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
        ]
        title = sheet.title
    finally:
        book.close()
    return _unmerged(
        numbered, merged_ranges(path, name).get(title, []), report.part(f"{name} [{title}]")
    )


def _unmerged(
    numbered: list[tuple[int, list[object]]], ranges: list[MergedRange], problems: ValidationReport
) -> list[tuple[int, list[object]]]:
    """Rows with merged values repeated down, and without the merged titles on top."""
    if not ranges:
        return numbered
    warn_merged_cells(problems, fill_down(numbered, ranges))
    titles = title_rows(numbered, ranges)
    if not titles:
        return numbered
    first = next(cells for number, cells in numbered if number == titles[0])
    text = " ".join(str(next(v for v in first if _cell(v) is not None)).split())
    rows = f"row {titles[0]}" if len(titles) == 1 else f"rows {titles[0]}-{titles[-1]}"
    problems.warning(
        f"{rows} merged across columns above the header ('{text[:40]}') read as a title "
        "and skipped",
        row=titles[0],
        code="merged_title",
    )
    skipped = set(titles)
    return [(number, cells) for number, cells in numbered if number not in skipped]


def _sheet_name(book: openpyxl.Workbook, layer: str, name: str) -> str:
    matches = [s for s in book.sheetnames if s == layer] or [
        s for s in book.sheetnames if fold(s) == fold(layer)
    ]
    if not matches:
        fail(name, f"no sheet {layer!r}; sheets: {', '.join(book.sheetnames)}", field="layer")
    return matches[0]


def _table(numbered: list[tuple[int, list[object]]], name: str) -> Sheet:
    cleaned = [(number, [_cell(v) for v in cells]) for number, cells in numbered]
    filled = [(number, cells) for number, cells in cleaned if any(v is not None for v in cells)]
    if not filled:
        fail(name, "the table is empty: no header row")
    _, header_cells = filled[0]
    width = max(len(cells) for _, cells in filled)
    header = _header([*header_cells, *[None] * (width - len(header_cells))], name, filled[0][0])
    rows = [(number, [*cells, *[None] * (width - len(cells))]) for number, cells in filled[1:]]
    return Sheet(header, rows)


def _header(cells: list[object], name: str, row: int) -> list[str]:
    header: list[str] = []
    for position, value in enumerate(cells, start=1):
        text = nfc(str(value)) if value is not None else f"column_{position}"
        if text in header:
            fail(name, f"two columns are named '{text}'", row=row, field=text)
        header.append(text)
    return header


def _cell(value: object) -> object:
    if isinstance(value, str):
        text = nfc(value)
        return text or None
    return value

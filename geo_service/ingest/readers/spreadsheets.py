"""XLSX workbooks as grids of typed cells, one per sheet, with formulas marked.

openpyxl is read twice in read-only mode: once for the values Excel last computed
(``data_only=True``) and once for the formulas, so that a text cell holding
"=HYPERLINK(...)" is refused even though its computed value looks like plain text.
Read-only mode does not show merged cells; their ranges come from the sheet XML
(``merged_cells``) and a value merged over several rows is repeated down those rows.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from geo_service.ingest.readers.cells import Cell, Formula
from geo_service.ingest.readers.merged_cells import FilledRange, fill_down, merged_ranges
from geo_service.ingest.readers.tables import check_size
from geo_service.ingest.readers.zip_limits import zip_members
from geo_service.ingest.report import reject

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
MAX_SHEET_ROWS = 200_000
# openpyxl holds a workbook's shared strings and styles whole: half the general zip limit.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class SheetGrid:
    name: str
    rows: list[tuple[int, list[Cell]]]  # (sheet row number, cells left to right)
    # Merged cells whose value was repeated down their rows: the importer is told
    # (``merged_cells.warn_merged_cells``), since a wrong merge now groups rows silently.
    merged: tuple[FilledRange, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(
            cell is not None and (not isinstance(cell, str) or cell.strip())
            for _, cells in self.rows
            for cell in cells
        )


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def read_workbook(path: Path, file_name: str) -> list[SheetGrid]:
    """Every sheet of an .xlsx file, in workbook order."""
    _check_archive(path, file_name)
    try:
        values = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        reject(file_name, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})")
    try:
        merged = merged_ranges(path, file_name)
        grids: list[SheetGrid] = []
        for name in values.sheetnames:
            rows = _sheet_rows(values[name], formulas[name], f"{file_name} [{name}]")
            filled = fill_down(rows, merged.get(name, []))
            grids.append(SheetGrid(name, rows, tuple(filled)))
        return grids
    finally:
        values.close()
        formulas.close()


def _check_archive(path: Path, file_name: str) -> None:
    check_size(path, file_name)
    if not zipfile.is_zipfile(path):
        reject(
            file_name,
            "not an .xlsx workbook (an old .xls or another format saved under this name?); "
            "save it in Excel as 'Excel Workbook (.xlsx)' or as 'CSV UTF-8'",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            # A zip bomb stops here, before openpyxl reads it. Sheets of repeated cells
            # deflate well past the ratio that marks a bomb elsewhere: the size limits.
            zip_members(archive, file_name, at_most=MAX_UNCOMPRESSED_BYTES, max_ratio=None)
    except zipfile.BadZipFile as exc:
        reject(file_name, f"not a readable .xlsx workbook ({exc})")


def _sheet_rows(values: Any, formulas: Any, label: str) -> list[tuple[int, list[Cell]]]:
    values.reset_dimensions()  # files written by other tools often declare wrong dimensions
    formulas.reset_dimensions()
    rows: list[tuple[int, list[Cell]]] = []
    pairs = zip(
        values.iter_rows(values_only=True), formulas.iter_rows(values_only=True), strict=False
    )
    for number, (computed, written) in enumerate(pairs, start=1):
        if number > MAX_SHEET_ROWS:
            reject(label, f"the sheet has more than {MAX_SHEET_ROWS:,} rows", row=number)
        rows.append((number, [_cell(v, w) for v, w in _padded(computed, written)]))
    return rows


def _padded(computed: tuple[Any, ...], written: tuple[Any, ...]) -> list[tuple[Any, Any]]:
    width = max(len(computed), len(written))
    return [
        (computed[i] if i < len(computed) else None, written[i] if i < len(written) else None)
        for i in range(width)
    ]


def _cell(value: Any, written: Any) -> Cell:
    plain = _plain(value)
    if isinstance(written, str) and written.startswith("=") and written != value:
        return Formula(written, plain if not isinstance(plain, Formula) else None)
    if written is not None and not isinstance(written, str | int | float | date | time | timedelta):
        text = getattr(written, "text", None)  # ArrayFormula, DataTableFormula
        return Formula(str(text or "=?"), plain if not isinstance(plain, Formula) else None)
    return plain


def _plain(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | datetime | date):
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value)

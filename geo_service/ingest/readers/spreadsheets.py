"""XLSX workbooks, every one read through this module: sheets as rows of typed cells.

The archive is inflated through a counter before openpyxl opens it (``zip_limits``);
openpyxl then reads it in read-only mode. A formula becomes a ``Formula`` cell holding the
value Excel last saved, so that every reader of a table can refuse it, or use the saved
value where it says so. openpyxl shows either a cell's formula or its saved value, never
both: a sheet is read for its formulas, and a second time for the saved values only when
it has any. Read-only mode does not show merged cells either; their ranges come from the
sheet XML (``merged_cells``): a value merged over several rows is repeated down those
rows, and the leading rows merged across columns are marked as titles.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import openpyxl

from geo_service.ingest.readers.cells import Cell, Formula, PlainCell
from geo_service.ingest.readers.merged_cells import (
    FilledRange,
    MergedRange,
    fill_down,
    merged_ranges,
    title_rows,
)
from geo_service.ingest.readers.text_files import MAX_TABLE_BYTES, check_size
from geo_service.ingest.readers.zip_limits import zip_members
from geo_service.ingest.report import reject
from geo_service.text.names import fold

XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
MAX_SHEET_ROWS = 200_000
# openpyxl holds a workbook's shared strings and styles whole: half the general zip limit.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
_PLAIN_TYPES = (str, int, float, date, time, timedelta)


@dataclass(frozen=True)
class SheetGrid:
    name: str
    rows: list[tuple[int, list[Cell]]]  # (sheet row number, cells left to right)
    # Merged cells whose value was repeated down their rows: the importer is told
    # (``merged_cells.warn_merged_cells``), since a wrong merge now groups rows silently.
    merged: tuple[FilledRange, ...] = ()
    titles: tuple[int, ...] = ()  # leading rows of cells merged across columns only

    @property
    def empty(self) -> bool:
        return not any(
            cell is not None and (not isinstance(cell, str) or cell.strip())
            for _, cells in self.rows
            for cell in cells
        )


def is_workbook(path: Path) -> bool:
    return path.suffix.lower() in XLSX_SUFFIXES


def read_workbook(
    path: Path, file_name: str, *, max_bytes: int = MAX_TABLE_BYTES
) -> list[SheetGrid]:
    """Every worksheet of an .xlsx file, in workbook order."""
    with _workbook(path, file_name, max_bytes) as book:
        return [book.grid(name) for name in book.names]


def read_sheet(
    path: Path, file_name: str, sheet: str | None, *, max_bytes: int = MAX_TABLE_BYTES
) -> SheetGrid:
    """One worksheet: the one named ``sheet`` (case and accents aside), or the first."""
    with _workbook(path, file_name, max_bytes) as book:
        if not book.names:
            reject(file_name, "the workbook has no worksheet")
        if sheet is None:
            return book.grid(book.names[0])
        matches = [n for n in book.names if n == sheet] or [
            n for n in book.names if fold(n) == fold(sheet)
        ]
        if not matches:
            reject(file_name, f"no sheet {sheet!r}; sheets: {', '.join(book.names)}", field="layer")
        return book.grid(matches[0])


class _Workbook:
    """An open workbook: its formulas, its saved values (opened when a sheet needs them)
    and its merged ranges."""

    def __init__(self, path: Path, file_name: str) -> None:
        self.path, self.file_name = path, file_name
        self.formulas = _load(path, file_name, data_only=False)
        self.values: Any = None
        self.names: list[str] = [sheet.title for sheet in self.formulas.worksheets]
        self.merged: dict[str, list[MergedRange]] = {}
        if self.names:
            self.merged = merged_ranges(path, file_name)

    def grid(self, name: str) -> SheetGrid:
        label = f"{self.file_name} [{name}]"
        written, any_formula = _sheet_rows(self.formulas[name], label)
        if any_formula:
            if self.values is None:
                self.values = _load(self.path, self.file_name, data_only=True)
            saved, _ = _sheet_rows(self.values[name], label)
            rows = [
                (number, [_cell(v, w) for v, w in _padded(computed, cells)])
                for (number, cells), (_, computed) in zip(written, saved, strict=False)
            ]
        else:
            rows = [(number, [_plain(v) for v in cells]) for number, cells in written]
        ranges = self.merged.get(name, [])
        if not ranges:
            return SheetGrid(name, rows)
        filled = fill_down(rows, ranges)
        return SheetGrid(name, rows, tuple(filled), tuple(title_rows(rows, ranges)))

    def close(self) -> None:
        self.formulas.close()
        if self.values is not None:
            self.values.close()


@contextmanager
def _workbook(path: Path, file_name: str, max_bytes: int) -> Iterator[_Workbook]:
    _check_archive(path, file_name, max_bytes)
    book = _Workbook(path, file_name)
    try:
        yield book
    finally:
        book.close()


def _check_archive(path: Path, file_name: str, max_bytes: int) -> None:
    check_size(path, file_name, max_bytes)
    if not zipfile.is_zipfile(path):
        reject(
            file_name,
            "not an Excel .xlsx file (an .xlsx is a zip archive: is this an old .xls, or "
            "another format saved under this name?); save it in Excel as 'Excel Workbook "
            "(.xlsx)' or as 'CSV UTF-8'",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            # A zip bomb stops here, before openpyxl reads it. Sheets of repeated cells
            # deflate well past the ratio that marks a bomb elsewhere: the size limits.
            zip_members(archive, file_name, at_most=MAX_UNCOMPRESSED_BYTES, max_ratio=None)
    except zipfile.BadZipFile as exc:
        reject(file_name, f"not a readable .xlsx workbook ({exc})")


def _load(path: Path, file_name: str, *, data_only: bool) -> Any:
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        reject(file_name, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})")


def _sheet_rows(sheet: Any, label: str) -> tuple[list[tuple[int, list[Any]]], bool]:
    """The sheet's rows as openpyxl gives them, and whether any cell may be a formula."""
    sheet.reset_dimensions()  # files written by other tools often declare wrong dimensions
    rows: list[tuple[int, list[Any]]] = []
    any_formula = False
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > MAX_SHEET_ROWS:
            reject(label, f"the sheet has more than {MAX_SHEET_ROWS:,} rows", row=number)
        rows.append((number, list(cells)))
        any_formula = any_formula or any(_maybe_formula(cell) for cell in cells)
    return rows, any_formula


def _maybe_formula(written: Any) -> bool:
    if isinstance(written, str):
        return written.startswith("=")
    return written is not None and not isinstance(written, _PLAIN_TYPES)


def _padded(computed: list[Any], written: list[Any]) -> list[tuple[Any, Any]]:
    width = max(len(computed), len(written))
    return [
        (computed[i] if i < len(computed) else None, written[i] if i < len(written) else None)
        for i in range(width)
    ]


def _cell(value: Any, written: Any) -> Cell:
    """A cell from its saved value and what was written in it (a formula or the value)."""
    plain = _plain(value)
    if isinstance(written, str) and written.startswith("=") and written != value:
        return Formula(written, plain)
    if written is not None and not isinstance(written, _PLAIN_TYPES):
        text = getattr(written, "text", None)  # ArrayFormula, DataTableFormula
        return Formula(str(text or "=?"), plain)
    return plain


def _plain(value: Any) -> PlainCell:
    """A saved value as a cell: times and anything unusual as text."""
    if value is None or isinstance(value, str | int | float | datetime | date):
        return value
    return str(value)

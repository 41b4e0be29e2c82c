"""Tables: rows with their spreadsheet row numbers, under headers mapped to fields.

A ``Table`` is one CSV file or one XLSX sheet, whatever reads it. Its ``file_name`` is
the label every problem carries: "register.csv", or "register.xlsx [Tổ]" for a sheet.
Tables are made from rows in two ways:

* by aliases (``table_by_aliases``, registers and mapping files): the header is the row
  near the top that names the most known columns, so title rows above it are skipped;
  only known columns are kept, under their field names; text typed in a legacy
  Vietnamese font (TCVN3, VNI) is converted with a warning;
* as they stand (``read_plain_table``, boundary and village tables): the first non-empty
  row is the header, rows merged across columns above it being titles; every column is
  kept, under its header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geo_service.ingest.readers.cells import Cell, cell_text, fold_header
from geo_service.ingest.readers.merged_cells import warn_merged_cells
from geo_service.ingest.readers.spreadsheets import SheetGrid, read_sheet
from geo_service.ingest.readers.text_files import (
    ENCODING_NAMES,
    check_size,
    decode_best_reading,
    read_csv_rows,
    split_csv,
)
from geo_service.ingest.report import ValidationReport, reject
from geo_service.text.legacy_encodings import decode_legacy, looks_legacy, unreadable_words
from geo_service.text.names import nfc

HEADER_SEARCH_ROWS = 20  # title lines above the header ("DANH SÁCH MÔ HÌNH ...") are skipped
PLAIN_TABLE_BYTES = 100 * 1024 * 1024
TABLE_SUFFIXES = (".csv", ".xlsx")
_UNICODE_VIETNAMESE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9]")
_PARENTHESES = re.compile(r"\([^)]*\)")


# Where problems go: a whole file's report, or ``report.part("file.xlsx [Sheet]")``.
Problems = ValidationReport


@dataclass(frozen=True)
class Table:
    file_name: str  # the label problems carry: "register.csv" or "register.xlsx [Tổ]"
    # field -> header as written: a canonical field name (read by aliases), or the
    # header itself (read as it stands)
    columns: dict[str, str]
    rows: list[tuple[int, dict[str, Cell]]]  # (spreadsheet row number, field -> cell)
    headers: tuple[str, ...] = ()  # every header of the header row, as written
    header_row: int = 1
    unknown_headers: tuple[str, ...] = field(default=())


# --- by aliases ---------------------------------------------------------------------------


def read_csv_table(
    path: Path,
    aliases: dict[str, list[str]],
    *,
    file_name: str,
    problems: Problems | None = None,
) -> Table:
    """Read a CSV file and map its headers to canonical field names."""
    problems = problems or ValidationReport(file_name)
    table = table_by_aliases(read_csv_rows(path, file_name, problems), aliases, file_name, problems)
    if table is None:
        reject(
            file_name,
            f"no header row: none of the first {HEADER_SEARCH_ROWS} rows names a known column",
        )
    return table


def table_by_aliases(
    grid: Iterable[tuple[int, Sequence[Cell]]],
    aliases: dict[str, list[str]],
    file_name: str,
    problems: Problems,
) -> Table | None:
    """Find the header row, map it, and keep the non-empty rows under it (None: no rows)."""
    rows = list(grid)
    found = _find_header(rows[:HEADER_SEARCH_ROWS], aliases, problems)
    if found is None:
        return None
    header_index, headers = found
    header_row = rows[header_index][0]
    columns, unknown = _map_headers(headers, aliases, file_name, header_row)
    position = {name: headers.index(written) for name, written in columns.items()}
    body: list[tuple[int, dict[str, Cell]]] = []
    non_ascii: dict[str, list[tuple[int, dict[str, Cell]]]] = {name: [] for name in columns}
    for number, cells in rows[header_index + 1 :]:
        values: dict[str, Cell] = {}
        filled = False  # a row with only unused columns ("STT" numbered ahead) is empty
        for name, i in position.items():
            value = cells[i] if i < len(cells) else None
            if isinstance(value, str):
                value = value.strip()
                if not value.isascii():
                    non_ascii[name].append((number, values))
                else:
                    value = " ".join(value.split())
            elif value is None:
                value = ""
            values[name] = value
            filled = filled or value != ""
        if filled:
            body.append((number, values))
    for name, texts in non_ascii.items():
        # Text is normalised (NFC, tone placement) only after legacy fonts are decoded.
        _convert_legacy_column(texts, name, columns[name], problems)
        for _, values in texts:
            values[name] = nfc(str(values[name]))
    return Table(file_name, columns, body, tuple(headers), header_row, tuple(unknown))


def _find_header(
    rows: list[tuple[int, Sequence[Cell]]], aliases: dict[str, list[str]], problems: Problems
) -> tuple[int, list[str]] | None:
    """The row (index, headers) naming the most known columns; headers typed in a legacy
    font ("M· m« h×nh") are decoded."""
    folded = _folded_aliases(aliases)
    best: tuple[int, int, list[str], str | None] | None = None
    for index, (_, cells) in enumerate(rows):
        headers = [cell_text(cell).strip() for cell in cells]
        encoding = looks_legacy(" | ".join(headers))
        if encoding is not None:
            headers = [decode_legacy(h, encoding)[0] for h in headers]
        score = sum(1 for h in headers if _header_key(h) in folded)
        if score and (best is None or score > best[1]):
            best = (index, score, headers, encoding)
    if best is None:
        return None
    index, _, headers, encoding = best
    if encoding is not None:
        problems.warning(
            f"the headers were typed in {ENCODING_NAMES[encoding]} (a legacy font); "
            "they were converted to Unicode",
            row=rows[index][0],
            code="legacy_encoding",
        )
    return index, [nfc(h) for h in headers]


def _header_key(header: str) -> str:
    """Folded header; a trailing note in parentheses is ignored: "Số thành viên (người)"."""
    folded = fold_header(header)
    without = fold_header(_PARENTHESES.sub(" ", header))
    return without or folded


def _folded_aliases(aliases: dict[str, list[str]]) -> dict[str, str]:
    return {fold_header(a): name for name, names in aliases.items() for a in names}


def _map_headers(
    headers: list[str], aliases: dict[str, list[str]], file_name: str, header_row: int
) -> tuple[dict[str, str], list[str]]:
    folded = _folded_aliases(aliases)
    columns: dict[str, str] = {}
    unknown: list[str] = []
    for written in headers:
        name = folded.get(_header_key(written))
        if name is None:
            if written:
                unknown.append(written)
            continue
        if name in columns:
            reject(
                file_name,
                f"two columns mean '{aliases[name][0]}': '{columns[name]}' and '{written}'",
                row=header_row,
                field=written,
            )
        columns[name] = written
    return columns, unknown


def _convert_legacy_column(
    cells: list[tuple[int, dict[str, Cell]]], name: str, header: str, problems: Problems
) -> None:
    """Decode the cells of a column typed in TCVN3/VNI fonts and saved as Unicode.

    Only cells that do not read as Vietnamese are suspects ("Th«n 3" is, "Thôn 3" is not),
    so a column may mix both; the encoding is chosen on all suspects of the column
    together, since one short cell alone is often ambiguous.
    """
    suspects = [
        (number, values)
        for number, values in cells
        if not _UNICODE_VIETNAMESE.search(text := str(values[name])) and unreadable_words(text) > 0
    ]
    if not suspects:
        return
    encoding = looks_legacy(" | ".join(str(values[name]) for _, values in suspects))
    if encoding is None:
        return
    for _, values in suspects:
        values[name] = decode_legacy(str(values[name]), encoding)[0]
    problems.warning(
        f"{len(suspects)} cell(s) of this column were typed in {ENCODING_NAMES[encoding]} "
        "(a legacy font) and were converted to Unicode; check them",
        row=suspects[0][0],
        field=header,
        code="legacy_encoding",
    )


# --- as they stand ------------------------------------------------------------------------


def read_plain_table(
    path: Path, file_name: str, sheet: str | None, report: ValidationReport
) -> Table:
    """The table of a .csv file, or of an .xlsx file's sheet (``sheet``: its name; the
    first sheet when None), under its first non-empty row.

    Every column is kept under its header (NFC; "column_3" for an empty one); text is
    NFC, an empty cell None; blank rows are left out. Merged titles above the header are
    skipped and merged cells filled down, each with a warning.
    """
    if path.suffix.lower() == ".xlsx":
        grid = read_sheet(path, file_name, sheet, max_bytes=PLAIN_TABLE_BYTES)
        numbered = _without_titles(grid, report.part(f"{file_name} [{grid.name}]"))
    else:
        if sheet is not None:
            reject(
                file_name,
                "a CSV file has a single table; --layer names an XLSX sheet",
                field="layer",
            )
        check_size(path, file_name, PLAIN_TABLE_BYTES)
        text = decode_best_reading(path.read_bytes(), report)
        numbered = split_csv(text, file_name)
    return _first_row_table(numbered, file_name)


def _without_titles(
    grid: SheetGrid, problems: ValidationReport
) -> Sequence[tuple[int, Sequence[Cell]]]:
    warn_merged_cells(problems, grid.merged)
    if not grid.titles:
        return grid.rows
    first = next(cells for number, cells in grid.rows if number == grid.titles[0])
    text = " ".join(next(t for v in first if (t := cell_text(v).strip())).split())
    titles = grid.titles
    rows = f"row {titles[0]}" if len(titles) == 1 else f"rows {titles[0]}-{titles[-1]}"
    problems.warning(
        f"{rows} merged across columns above the header ('{text[:40]}') read as a title "
        "and skipped",
        row=titles[0],
        code="merged_title",
    )
    return [(number, cells) for number, cells in grid.rows if number not in titles]


def _first_row_table(numbered: Sequence[tuple[int, Sequence[Cell]]], file_name: str) -> Table:
    cleaned = [(number, [_plain_cell(v) for v in cells]) for number, cells in numbered]
    filled = [(number, cells) for number, cells in cleaned if any(v is not None for v in cells)]
    if not filled:
        reject(file_name, "the table is empty: no header row")
    header_row, header_cells = filled[0]
    width = max(len(cells) for _, cells in filled)
    padded = [*header_cells, *[None] * (width - len(header_cells))]
    header = _plain_header(padded, file_name, header_row)
    rows = [
        (number, dict(zip(header, [*cells, *[None] * (width - len(cells))], strict=True)))
        for number, cells in filled[1:]
    ]
    return Table(file_name, {name: name for name in header}, rows, tuple(header), header_row)


def _plain_header(cells: list[Cell], file_name: str, row: int) -> list[str]:
    header: list[str] = []
    for position, value in enumerate(cells, start=1):
        text = cell_text(value) if value is not None else f"column_{position}"
        if text in header:
            reject(file_name, f"two columns are named '{text}'", row=row, field=text)
        header.append(text)
    return header


def _plain_cell(value: Cell) -> Cell:
    if isinstance(value, str):
        return nfc(value) or None
    return value

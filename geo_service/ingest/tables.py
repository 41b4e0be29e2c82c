"""Spreadsheet-like input (CSV for now): rows with their spreadsheet row numbers, header
aliases, and the cell parsers registers need (Vietnamese dates, numbers, statuses).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from geo_service.validate import ValidationReport, reject

MAX_TABLE_BYTES = 50 * 1024 * 1024
# Cells that a spreadsheet would run as a formula ("=HYPERLINK(...)", "+cmd", "@SUM").
_FORMULA = re.compile(r"^\s*(=|@|[+\-]\s*[A-Za-z(])")
_MARKUP = re.compile(r"[<>]")


def fold_header(text: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a header."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


@dataclass(frozen=True)
class Table:
    file_name: str
    columns: dict[str, str]  # canonical field -> header as written in the file
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, canonical field -> cell)


def decode_utf8(data: bytes, file_name: str) -> str:
    """UTF-8 text (BOM allowed), or a rejection naming the first undecodable row."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        reject(
            file_name,
            "the file is not UTF-8 (it looks like a legacy Vietnamese encoding such as "
            "Windows-1258, TCVN3 or VNI); save it as 'CSV UTF-8' and import again",
            row=row,
        )


def read_csv_table(path: Path, aliases: dict[str, list[str]], *, file_name: str) -> Table:
    """Read a CSV register and map its headers to canonical field names."""
    if path.stat().st_size == 0:
        reject(file_name, "the file is empty (0 bytes)")
    if path.stat().st_size > MAX_TABLE_BYTES:
        reject(file_name, f"the file is larger than {MAX_TABLE_BYTES // 2**20} MB")
    text = decode_utf8(path.read_bytes(), file_name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        reject(file_name, "the file has no header row")
    columns = _map_headers(header, aliases, file_name)
    position = {field: header.index(written) for field, written in columns.items()}
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for line_no, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            rows.append(
                (
                    line_no,
                    {
                        field: unicodedata.normalize("NFC", cells[i].strip())
                        if i < len(cells)
                        else ""
                        for field, i in position.items()
                    },
                )
            )
    except csv.Error as exc:
        reject(file_name, f"malformed CSV: {exc}", row=reader.line_num)
    return Table(file_name, columns, rows)


def _map_headers(
    header: list[str], aliases: dict[str, list[str]], file_name: str
) -> dict[str, str]:
    folded_aliases = {fold_header(a): field for field, names in aliases.items() for a in names}
    columns: dict[str, str] = {}
    for written in header:
        field = folded_aliases.get(fold_header(written))
        if field is None:
            continue
        if field in columns:
            reject(
                file_name,
                f"two columns mean '{field}': '{columns[field]}' and '{written}'",
                row=1,
                field=written,
            )
        columns[field] = written
    return columns


def check_cell_text(report: ValidationReport, value: str, *, row: int, field: str) -> bool:
    """Refuse spreadsheet formulas and markup in text cells (they would run on export/display)."""
    if _FORMULA.match(value):
        report.error(
            f"'{value[:40]}' looks like a spreadsheet formula; formulas are not "
            "accepted in text cells",
            row=row,
            field=field,
            code="formula",
        )
        return False
    if _MARKUP.search(value):
        report.error(
            "text contains '<' or '>' (markup is not accepted in names)",
            row=row,
            field=field,
            code="markup",
        )
        return False
    return True


_DATE_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE_WORDS = re.compile(r"ngay\s*(\d{1,2})\s*thang\s*(\d{1,2})\s*nam\s*(\d{4})")


def parse_date(value: str) -> date | None:
    """'16/6/2022', '16-06-2022', '2022-06-16' or 'ngày 16 tháng 6 năm 2022'. Raises ValueError."""
    text = value.strip()
    if not text:
        return None
    if match := _DATE_ISO.match(text):
        year, month, day = map(int, match.groups())
        return date(year, month, day)
    if match := _DATE_NUMERIC.match(text):
        day, month, year = map(int, match.groups())
        return date(year, month, day)
    if match := _DATE_WORDS.search(fold_header(text)):
        day, month, year = map(int, match.groups())
        return date(year, month, day)
    raise ValueError(f"'{value}' is not a date (expected dd/mm/yyyy)")


def parse_count(value: str) -> int | None:
    """A whole, non-negative number; '.' and ',' and spaces as thousands separators."""
    text = value.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
        text = re.sub(r"[.,]", "", text)
    if not text.isdigit():
        raise ValueError(f"'{value}' is not a whole number")
    return int(text)

"""Spreadsheet-like input: rows with their spreadsheet row numbers, headers found and mapped
through aliases, text decoded from legacy Vietnamese encodings.

A ``Table`` is one CSV file or one XLSX sheet. Its ``file_name`` is the label every
problem carries: "register.csv", or "register.xlsx [Tổ]" for a sheet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from geo_service.ingest.readers.cells import Cell, Formula, cell_text, fold_header
from geo_service.ingest.readers.cells import parse_count as parse_count
from geo_service.ingest.readers.cells import parse_date as parse_date
from geo_service.ingest.registers.personal_data import find_personal_data
from geo_service.ingest.report import ValidationReport, reject
from geo_service.text.legacy_encodings import (
    CP1258,
    TCVN3,
    VNI,
    decode_bytes,
    decode_legacy,
    looks_legacy,
    unreadable_words,
)
from geo_service.text.names import nfc

MAX_TABLE_BYTES = 50 * 1024 * 1024
HEADER_SEARCH_ROWS = 20  # title lines above the header ("DANH SÁCH MÔ HÌNH ...") are skipped
ENCODING_NAMES = {CP1258: "Windows-1258", TCVN3: "TCVN3 (ABC)", VNI: "VNI-Windows"}
# Cells that a spreadsheet would run as a formula ("=HYPERLINK(...)", "+cmd", "@SUM",
# "-2+3+cmd|' /C calc'!A0"): whatever begins with "=" or "@", a sign followed by anything
# ("-" or "+" alone is a dash, not a formula), or a tab or carriage return (OWASP's list).
_FORMULA = re.compile(r"^(?:[\t\r]|\s*(?:[=@]|[+\-]\s*\S))")
_MARKUP = re.compile(r"[<>]")
# Excel writes '?' for each letter its ANSI code page lacks: "Hoạt động" -> "Ho?t ??ng".
_LOST_LETTER = re.compile(r"[^\W\d_]\?|\?[^\W\d_]")
_UNICODE_VIETNAMESE = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9]")
_PARENTHESES = re.compile(r"\([^)]*\)")


# Where problems go: a whole file's report, or ``report.part("file.xlsx [Sheet]")``.
Problems = ValidationReport


@dataclass(frozen=True)
class Table:
    file_name: str  # the label problems carry: "register.csv" or "register.xlsx [Tổ]"
    columns: dict[str, str]  # canonical field -> header as written in the file
    rows: list[tuple[int, dict[str, Cell]]]  # (spreadsheet row number, field -> cell)
    headers: tuple[str, ...] = ()  # every header of the header row, as written
    header_row: int = 1
    unknown_headers: tuple[str, ...] = field(default=())


# --- bytes -> text ------------------------------------------------------------------------


def decode_utf8(data: bytes, file_name: str) -> str:
    """UTF-8 text (BOM allowed), or a rejection naming the first undecodable row."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        _reject_not_utf8(data, exc, file_name)


def _reject_not_utf8(data: bytes, exc: UnicodeDecodeError, file_name: str) -> NoReturn:
    reject(
        file_name,
        "the file is not UTF-8 (it looks like a legacy Vietnamese encoding such as "
        "Windows-1258, TCVN3 or VNI); save it as 'CSV UTF-8' and import again",
        row=data[: exc.start].count(b"\n") + 1,
    )


def decode_text(data: bytes, file_name: str, problems: Problems) -> str:
    """UTF-8 text; or a legacy Vietnamese encoding read with certainty, with a warning.

    Certainty means: Windows-1258, TCVN3 or VNI reads every word as a Vietnamese syllable
    and no letter was lost on saving. Anything else (e.g. Western cp1252) is refused.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        first_error = exc
    text, encoding = decode_bytes(data)
    lost = _LOST_LETTER.search(text)
    if lost is not None:
        word = text[max(0, lost.start() - 10) : lost.end() + 10].split()
        reject(
            file_name,
            "the file is not UTF-8, and Vietnamese letters were lost when it was saved "
            f"(they became '?', e.g. '{' '.join(word)[:40]}'); save it from Excel as "
            "'CSV UTF-8' and import again",
            row=text[: lost.start()].count("\n") + 1,
        )
    if encoding in ENCODING_NAMES and "\ufffd" not in text and unreadable_words(text) == 0:
        problems.warning(
            f"the file is not UTF-8: it was read as {ENCODING_NAMES[encoding]} and "
            "converted to Unicode; check the names, and save as 'CSV UTF-8' next time",
            row=1,
            code="legacy_encoding",
        )
        return text
    _reject_not_utf8(data, first_error, file_name)


def read_csv_grid(path: Path, file_name: str, problems: Problems) -> list[tuple[int, list[str]]]:
    """The rows of a CSV file (delimiter sniffed), numbered as a spreadsheet shows them."""
    check_size(path, file_name)
    return split_csv(decode_text(path.read_bytes(), file_name, problems), file_name)


def split_csv(text: str, file_name: str) -> list[tuple[int, list[str]]]:
    """CSV records (``,`` ``;`` or tab, sniffed), numbered as a spreadsheet shows them; a
    quoted cell may span several lines of text and is still one row."""
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(enumerate(reader, start=1))
    except csv.Error as exc:
        reject(file_name, f"malformed CSV: {exc}", row=reader.line_num)


def check_size(path: Path, file_name: str, limit: int = MAX_TABLE_BYTES) -> None:
    size = path.stat().st_size
    if size == 0:
        reject(file_name, "the file is empty (0 bytes)")
    if size > limit:
        reject(file_name, f"the file is larger than {limit // 2**20} MB")


# --- grid -> table ------------------------------------------------------------------------


def read_csv_table(
    path: Path,
    aliases: dict[str, list[str]],
    *,
    file_name: str,
    problems: Problems | None = None,
) -> Table:
    """Read a CSV file and map its headers to canonical field names."""
    problems = problems or ValidationReport(file_name)
    table = table_from_grid(read_csv_grid(path, file_name, problems), aliases, file_name, problems)
    if table is None:
        reject(
            file_name,
            f"no header row: none of the first {HEADER_SEARCH_ROWS} rows names a known column",
        )
    return table


def table_from_grid(
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


# --- cells --------------------------------------------------------------------------------


def check_cell_text(problems: Problems, value: Cell, *, row: int, field: str) -> bool:
    """Refuse personal data (phones, ID numbers, e-mail addresses; reported masked), and
    spreadsheet formulas and markup, which would run on export or display, in text cells."""
    text = cell_text(value)
    if personal := find_personal_data(text):
        problems.error(personal.message(), row=row, field=field, code="personal_data")
        return False
    if isinstance(value, Formula) or _FORMULA.match(text):
        problems.error(
            f"'{text[:40]}' looks like a spreadsheet formula; formulas are not "
            "accepted in text cells",
            row=row,
            field=field,
            code="formula",
        )
        return False
    if _MARKUP.search(text):
        problems.error(
            "text contains '<' or '>' (markup is not accepted in names)",
            row=row,
            field=field,
            code="markup",
        )
        return False
    return True

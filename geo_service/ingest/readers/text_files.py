"""Text files as users save them: bytes to text, CSV text to numbered rows.

Two decoding policies, one per kind of input. Registers are typed by hand, so their text
is read only when it is certain (``decode_text``: UTF-8, or a legacy Vietnamese encoding
that reads every word as Vietnamese); boundary and village tables come out of GIS and
office tools, so they are read as well as they can be, with a warning
(``decode_best_reading``). JSON and lineage lists must be UTF-8 (``decode_utf8``).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import NoReturn

import pandas as pd

from geo_service.ingest.report import ValidationReport, reject
from geo_service.text.legacy_encodings import (
    CP1258,
    TCVN3,
    VNI,
    decode_bytes,
    unreadable_words,
)

MAX_TABLE_BYTES = 50 * 1024 * 1024
ENCODING_NAMES = {CP1258: "Windows-1258", TCVN3: "TCVN3 (ABC)", VNI: "VNI-Windows"}
# Excel writes '?' for each letter its ANSI code page lacks: "Hoạt động" -> "Ho?t ??ng".
_LOST_LETTER = re.compile(r"[^\W\d_]\?|\?[^\W\d_]")
_UTF8 = ("utf-8", "utf-8-sig")

# A CSV file or an XLSX sheet as rows: (row number as a spreadsheet shows it, cells).
NumberedRows = list[tuple[int, list[str]]]


def check_size(path: Path, file_name: str, limit: int = MAX_TABLE_BYTES) -> None:
    size = path.stat().st_size
    if size == 0:
        reject(file_name, "the file is empty (0 bytes)")
    if size > limit:
        reject(file_name, f"the file is larger than {limit // 2**20} MB")


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


def decode_text(data: bytes, file_name: str, problems: ValidationReport) -> str:
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


def decode_best_reading(data: bytes, problems: ValidationReport) -> str:
    """The best reading of UTF-8, Windows-1258, TCVN3, VNI or cp1252 (legacy-font text
    saved as UTF-8 included), with a warning when the file is not plain UTF-8."""
    text, encoding = decode_bytes(data)
    if encoding not in _UTF8:
        problems.warning(
            f"the file is not UTF-8: read it as {encoding}; check the names, and save it as "
            "'CSV UTF-8' next time",
            code="encoding",
        )
    return text


def read_csv_rows(path: Path, file_name: str, problems: ValidationReport) -> NumberedRows:
    """The rows of a hand-typed CSV file (``decode_text``), numbered as a spreadsheet
    shows them."""
    check_size(path, file_name)
    return split_csv(decode_text(path.read_bytes(), file_name, problems), file_name)


def split_csv(text: str, file_name: str) -> NumberedRows:
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


def csv_columns(
    text: str, file_name: str, report: ValidationReport, columns: list[str]
) -> pd.DataFrame:
    """The ``columns`` of a CSV (text cells, in that order) and ``_row``, each row's number
    as a spreadsheet shows it (header = 1). Missing columns and rows longer than the header
    are errors in ``report``; a file without a header is rejected."""
    records = [(n, cells) for n, cells in split_csv(text, file_name) if "".join(cells).strip()]
    if not records:
        reject(file_name, f"no header row: expected {','.join(columns)}")
    header_row, header = records[0][0], [cell.strip() for cell in records[0][1]]
    for column in columns:
        if column not in header:
            report.error(f"missing column '{column}'", row=header_row, field=column)
    rows: list[list[object]] = []
    if report.ok:
        positions = [header.index(column) for column in columns]
        for number, cells in records[1:]:
            if len(cells) > len(header):
                extra = f"the row has {len(cells)} cells, the header {len(header)}"
                report.error(extra, row=number)
            rows.append([cells[i] if i < len(cells) else "" for i in positions] + [number])
    return pd.DataFrame(rows, columns=[*columns, "_row"])

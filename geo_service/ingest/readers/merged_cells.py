"""Merged cells of an .xlsx workbook, read from the sheet XML and filled down.

openpyxl's read-only mode (the fast, streaming read) does not expose merged ranges, so
the rows under a cell merged over several rows ("Thôn 1" over three team rows) would
read as empty. The ranges are listed at the end of each sheet's XML
(``<mergeCells><mergeCell ref="E5:E7"/>``); they are read here with expat, without
building a tree, and only for sheets whose bytes mention ``mergeCell`` at all.

A merged cell's value is repeated down the rows it spans, in its first column. The
other columns it spans stay empty: a column holds one kind of value, so a merge across
columns is a label (a title, a group header such as "Địa bàn" over Xã and Thôn), and
repeating it would make duplicate headers or put a commune's name in the village column.

The archive's size must have been checked by the caller (zip bombs); a DTD is refused
(a workbook never has one; entity expansion is how XML bombs work) and nothing is run.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn
from xml.parsers import expat

from geo_service.ingest.report import ValidationReport, reject

_CHUNK = 1 << 20
_NEEDLE = b"mergeCell"
_CARRY = 256  # bytes kept across chunks: "<x:mergeCells" may start in the previous one
_ROOT_TAG = re.compile(rb"<(?![?!])[^>]*>")  # after the XML declaration and comments
_REFERENCE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_OFFICE_DOCUMENT = "/officeDocument"  # the end of the relationship type, transitional or strict
_WORKSHEET = "/worksheet"
_SHOWN_RANGES = 8
TITLE_SEARCH_ROWS = 20  # as far down as registers look for their header
MAX_MERGED_RANGES = 200_000  # per sheet; a real register has a few hundred
_SHOWN_TEXT = 30


@dataclass(frozen=True, slots=True)
class MergedRange:
    ref: str  # as Excel shows it: "E5:E7"
    first_row: int  # 1-based, inclusive
    first_column: int
    last_row: int
    last_column: int

    @property
    def spans_rows(self) -> bool:
        return self.last_row > self.first_row

    @property
    def spans_columns(self) -> bool:
        return self.last_column > self.first_column


@dataclass(frozen=True, slots=True)
class FilledRange:
    """A merged range whose value was repeated down the rows under its first cell."""

    range: MergedRange
    value: object


def merged_ranges(path: Path, file_name: str) -> dict[str, list[MergedRange]]:
    """Sheet name -> its merged ranges, for the sheets that have any."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {
                sheet: ranges
                for sheet, part in _worksheet_parts(archive)
                if (ranges := _sheet_ranges(archive, part))
            }
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, expat.ExpatError) as exc:
        _unreadable(file_name, exc)


def fill_down(
    rows: Sequence[tuple[int, list[Any]]], ranges: Sequence[MergedRange]
) -> list[FilledRange]:
    """Repeat each range's top-left value down its first column, in place.

    ``rows`` are (sheet row number, cells) in row order, cells as the reader types them
    (None when empty). Returns the ranges that filled a row: a range over one row only,
    with an empty first cell, or past the last row read fills nothing. Ranges that overlap
    an earlier one (Excel never writes them) are ignored, so no cell is filled twice and
    the work stays within the cells read.
    """
    if not rows:
        return []
    index = {number: position for position, (number, _) in enumerate(rows)}
    last_row = rows[-1][0]
    reach: dict[int, int] = {}  # column -> the last row a range filled in it
    filled: list[FilledRange] = []
    for merged in sorted(ranges, key=lambda r: (r.first_row, r.first_column)):
        if not merged.spans_rows or merged.first_row > last_row:
            continue
        if merged.first_row <= reach.get(merged.first_column, 0):
            continue
        reach[merged.first_column] = merged.last_row
        anchor = index.get(merged.first_row)
        column = merged.first_column - 1
        top = rows[anchor][1] if anchor is not None else []
        value = top[column] if column < len(top) else None
        if _empty(value):
            continue  # an empty merged cell: its rows stay empty, nothing to point out
        for number in range(merged.first_row + 1, min(merged.last_row, last_row) + 1):
            position = index.get(number)
            if position is None:
                continue
            cells = rows[position][1]
            if len(cells) <= column:
                cells.extend([None] * (column + 1 - len(cells)))
            cells[column] = value
        filled.append(FilledRange(merged, value))
    return filled


def title_rows(
    rows: Sequence[tuple[int, Sequence[object]]], ranges: Sequence[MergedRange]
) -> list[int]:
    """The row numbers, at the top of a sheet, that hold only cells merged across columns
    (titles such as "DANH SÁCH THÔN, TỔ DÂN PHỐ"): they are not the header."""
    wide = [merged for merged in ranges if merged.spans_columns]
    titles: list[int] = []
    for number, cells in rows[:TITLE_SEARCH_ROWS]:
        used = [column for column, value in enumerate(cells, start=1) if not _empty(value)]
        if not used:
            continue
        if not all(_starts_wide_cell(wide, number, column) for column in used):
            break
        titles.append(number)
    return titles


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _starts_wide_cell(wide: Sequence[MergedRange], row: int, column: int) -> bool:
    return any(r.first_column == column and r.first_row <= row <= r.last_row for r in wide)


def warn_merged_cells(problems: ValidationReport, filled: Sequence[FilledRange]) -> None:
    """One warning for a sheet whose merged cells were repeated down their rows."""
    if not filled:
        return
    shown = ", ".join(f"{f.range.ref} ('{_short(f.value)}')" for f in filled[:_SHOWN_RANGES]) + (
        f" and {len(filled) - _SHOWN_RANGES} more" if len(filled) > _SHOWN_RANGES else ""
    )
    problems.warning(
        f"{len(filled)} merged cell(s) were read as their value repeated on every row they "
        f"span: {shown}; check that these rows belong together",
        row=filled[0].range.first_row,
        code="merged_cells",
    )


# -- reading the archive ----------------------------------------------------------------------


def _worksheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, path of its XML in the archive), in workbook order."""
    workbook = _target(archive, "_rels/.rels", _OFFICE_DOCUMENT, "") or "xl/workbook.xml"
    folder, base = posixpath.split(workbook)
    relations = _relations(archive, posixpath.join(folder, "_rels", f"{base}.rels"), folder)
    sheets: list[tuple[str, str]] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) != "sheet":
            return
        relation = next((v for k, v in attributes.items() if " " in k and _local(k) == "id"), None)
        kind_and_part = relations.get(relation or "")
        if "name" in attributes and kind_and_part and kind_and_part[0].endswith(_WORKSHEET):
            sheets.append((attributes["name"], kind_and_part[1]))

    with archive.open(workbook) as stream:
        _parse(_parser(start), stream)
    return sheets


def _target(archive: zipfile.ZipFile, rels: str, kind: str, folder: str) -> str | None:
    found = [part for k, part in _relations(archive, rels, folder).values() if k.endswith(kind)]
    return found[0] if found else None


def _relations(archive: zipfile.ZipFile, rels: str, folder: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part path) of one .rels file (none if it is missing)."""
    relations: dict[str, tuple[str, str]] = {}

    def start(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) == "Relationship" and attributes.get("TargetMode") != "External":
            target = attributes.get("Target", "")
            part = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            relations[attributes.get("Id", "")] = (
                attributes.get("Type", ""),
                posixpath.normpath(part),
            )

    if rels in archive.namelist():
        with archive.open(rels) as stream:
            _parse(_parser(start), stream)
    return relations


def _sheet_ranges(archive: zipfile.ZipFile, part: str) -> list[MergedRange]:
    ranges: list[MergedRange] = []

    def start(tag: str, attributes: dict[str, str]) -> None:
        if _local(tag) == "mergeCell" and "ref" in attributes:
            merged = _parse_range(attributes["ref"])
            if merged is not None:
                ranges.append(merged)
            if len(ranges) > MAX_MERGED_RANGES:
                raise ValueError(f"{part} has more than {MAX_MERGED_RANGES:,} merged ranges")

    try:
        _parse_from_first_mention(archive, part, start)
    except expat.ExpatError:  # the shortcut does not hold for this file: parse it all
        ranges.clear()
        with archive.open(part) as stream:
            _parse(_parser(start), stream)
    return ranges


def _parse_from_first_mention(
    archive: zipfile.ZipFile, part: str, start: Callable[[str, dict[str, str]], None]
) -> None:
    """Parse the root tag and the XML from the first mention of ``mergeCell`` on.

    ``<mergeCells>`` follows the rows, so parsing the rows (seconds for a large register)
    is skipped: the bytes are only scanned. A sheet that never mentions ``mergeCell`` is
    not parsed at all. If the first mention is not where a whole element starts (text in a
    cell), the XML from there is not well-formed and expat says so: the caller then
    parses the whole sheet.
    """
    parser = _parser(start)
    carry, found, first = b"", False, True
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            if found:
                parser.Parse(chunk, False)
                continue
            data, skip = carry + chunk, 0
            if first:
                root = _ROOT_TAG.search(data)
                if root is None:
                    raise expat.ExpatError("no root element in the first megabyte")
                if b"<!DOCTYPE" in data[: root.start()]:
                    _refuse_doctype()
                parser.Parse(root.group(), False)
                first, skip = False, root.end()
            mention = data.find(_NEEDLE, skip)
            if mention >= 0:
                tag = data.rfind(b"<", skip, mention)
                if tag < 0:
                    raise expat.ExpatError("'mergeCell' outside an element")
                parser.Parse(data[tag:], False)
                found = True
            carry = data[-_CARRY:]
    if found:
        parser.Parse(b"", True)


def _parser(start: Callable[[str, dict[str, str]], None]) -> expat.XMLParserType:
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    return parser


def _parse(parser: expat.XMLParserType, stream: IO[bytes]) -> None:
    while chunk := stream.read(_CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _refuse_doctype(*_: object) -> NoReturn:
    raise ValueError("the workbook's XML declares a DTD, which no Excel file does")


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def _parse_range(ref: str) -> MergedRange | None:
    corners = ref.upper().split(":")
    if len(corners) != 2:
        return None
    first, last = _REFERENCE.match(corners[0]), _REFERENCE.match(corners[1])
    if first is None or last is None:
        return None
    top, bottom = int(first[2]), int(last[2])
    left, right = _column_number(first[1]), _column_number(last[1])
    return MergedRange(ref, min(top, bottom), min(left, right), max(top, bottom), max(left, right))


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _short(value: object) -> str:
    text = " ".join(str(getattr(value, "text", value)).split())
    return text if len(text) <= _SHOWN_TEXT else text[: _SHOWN_TEXT - 1] + "…"


def _unreadable(file_name: str, exc: Exception) -> NoReturn:
    reject(
        file_name,
        f"not a readable .xlsx workbook: its merged cells cannot be read "
        f"({type(exc).__name__}: {exc})",
    )

"""XLSX files written for tests, as Excel would have saved them."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook with these sheets, in this order, each holding these rows from A1."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def with_saved_result(path: Path, cell: str, value: str, *, text: bool = False) -> None:
    """Give a formula cell of the first sheet the result Excel would have saved (openpyxl
    saves none)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    name = "xl/worksheets/sheet1.xml"
    xml = parts[name].decode()
    kind = ' t="str"' if text else ""
    formula = rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v ?/>'
    saved = rf'<c r="{cell}"\1{kind}><f>\2</f><v>{value}</v>'
    xml, count = re.subn(formula, saved, xml)
    assert count == 1
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for part, data in parts.items():
            archive.writestr(part, data)

"""Cells that are refused wherever a table is read: formulas, markup, personal data.

What a table holds ends up in maps and CSV downloads, where a formula or markup would run,
and which are public. A formula is refused whether Excel saved it as a formula (an
XLSX ``Formula`` cell) or it was typed as text that a spreadsheet would run.
"""

from __future__ import annotations

import re
from dataclasses import replace

from geo_service.ingest.readers.cells import Cell, Formula, cell_text
from geo_service.ingest.readers.tables import Table
from geo_service.ingest.registers.personal_data import find_personal_data
from geo_service.ingest.report import ValidationReport

# Cells that a spreadsheet would run as a formula ("=HYPERLINK(...)", "+cmd", "@SUM",
# "-2+3+cmd|' /C calc'!A0"): whatever begins with "=" or "@", a sign followed by anything
# ("-" or "+" alone is a dash, not a formula), or a tab or carriage return (OWASP's list).
_FORMULA = re.compile(r"^(?:[\t\r]|\s*(?:[=@]|[+\-]\s*\S))")
_MARKUP = re.compile(r"[<>]")
_SHOWN = 40


def check_cell_text(problems: ValidationReport, value: Cell, *, row: int, field: str) -> bool:
    """Refuse personal data (phones, ID numbers, e-mail addresses; reported masked), and
    spreadsheet formulas and markup, which would run on export or display, in text cells."""
    text = cell_text(value)
    if personal := find_personal_data(text):
        problems.error(personal.message(), row=row, field=field, code="personal_data")
        return False
    if isinstance(value, Formula) or _FORMULA.match(text):
        problems.error(
            f"'{text[:_SHOWN]}' looks like a spreadsheet formula; formulas are not "
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


def without_formulas(table: Table, problems: ValidationReport) -> Table:
    """The table without the rows that hold a formula; each formula is an error.

    For tables whose every cell is taken as it stands (boundaries, village points): a
    saved result may be stale, and a formula in a name would run in a download.
    """
    kept: list[tuple[int, dict[str, Cell]]] = []
    for number, cells in table.rows:
        formulas = [(name, v) for name, v in cells.items() if isinstance(v, Formula)]
        for name, formula in formulas:
            problems.error(
                f"'{formula.text[:_SHOWN]}' is a spreadsheet formula; formulas are not "
                "accepted: copy the cells and paste them as values",
                row=number,
                field=table.columns[name],
                code="formula",
            )
        if not formulas:
            kept.append((number, cells))
    return table if len(kept) == len(table.rows) else replace(table, rows=kept)

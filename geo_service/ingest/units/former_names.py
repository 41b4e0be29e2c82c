"""Names units had before a rename: from a list (CSV ``code,name,until,source``), and from
a boundary import that gives a stored code another name.

A renamed unit keeps its code, so a register that still writes the old name ("Thị trấn Vạn
Hà" for 15772 Thị trấn Thiệu Hóa) finds it only through these names; register matching
offers them as suggestions, never as matches.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from geo_service.domain import FORMER_NAME_COLUMNS, Level
from geo_service.ingest.readers.text_files import csv_columns, decode_utf8
from geo_service.ingest.report import ValidationReport, reject
from geo_service.ingest.units.codes import is_gso_code
from geo_service.text.names import analyse, nfc


def read_former_names(
    path: Path, known_codes: Collection[str], *, file_name: str | None = None
) -> tuple[pd.DataFrame, ValidationReport]:
    """The former names of a CSV, each naming a code of ``known_codes`` (the stored units:
    a name of a unit the store lacks could never be offered)."""
    name = file_name or path.name
    if path.stat().st_size == 0:
        reject(name, "the file is empty (0 bytes)")
    report = ValidationReport(name)
    frame = csv_columns(decode_utf8(path.read_bytes(), name), name, report, FORMER_NAME_COLUMNS)
    for column in ("code", "name", "until", "source"):
        frame[column] = [nfc(value.strip()) for value in frame[column]]
    for row, code, former, until, source in zip(
        frame["_row"], frame["code"], frame["name"], frame["until"], frame["source"], strict=True
    ):
        row = int(row)
        if not is_gso_code(code):
            message = f"code '{code[:40]}' is not a GSO code (2, 3 or 5 digits, e.g. 15772)"
            report.error(message, row=row, field="code", code="invalid_code")
        elif code not in known_codes:
            message = f"no unit with code '{code}' in the store (import its boundaries first)"
            report.error(message, row=row, field="code", code="unknown_code")
        if not former:
            report.error("the former name is empty", row=row, field="name")
        if until:
            try:
                date.fromisoformat(until)
            except ValueError:
                report.error(f"'{until[:40]}' is not an ISO date", row=row, field="until")
        if not source:
            report.error("say where the former name is written", row=row, field="source")
    frame["until"] = frame["until"].replace("", None)
    kept = frame.drop_duplicates(["code", "name"])[FORMER_NAME_COLUMNS]
    return kept.reset_index(drop=True), report


def renamed_units(stored: pd.DataFrame, incoming: pd.DataFrame, source: str) -> pd.DataFrame:
    """The former names a boundary import makes: the names stored for a code (in its
    version of the same start or an earlier one) that are not the imported unit's name.

    Names are compared as matching compares them, so a new type word alone ("Thị trấn
    Thiệu Hóa" -> "Xã Thiệu Hóa") is no rename. ``until`` is the imported version's start.
    """
    columns = ["code", "name", "level", "valid_from"]
    pairs = stored[columns].merge(incoming[columns], on="code", suffixes=("_old", "_new"))
    older = [
        _start(old) <= _start(new)
        for old, new in zip(pairs["valid_from_old"], pairs["valid_from_new"], strict=True)
    ]
    pairs = pairs.loc[pd.Series(older, index=pairs.index, dtype=bool)]
    rows = [
        (code, old, start, f"{source} names it '{new}'")
        for code, old, new, level, start in zip(
            pairs["code"],
            pairs["name_old"],
            pairs["name_new"],
            pairs["level_new"],
            pairs["valid_from_new"],
            strict=True,
        )
        if isinstance(old, str) and old != new and _key(old, level) != _key(str(new), level)
    ]
    found = pd.DataFrame(rows, columns=FORMER_NAME_COLUMNS)
    return found.drop_duplicates(["code", "name"]).reset_index(drop=True)


def _start(day: object) -> date:
    return day if isinstance(day, date) else date.min


def _key(name: str, level: object) -> str:
    # A level not given reads as NaN.
    given = Level(int(level)) if isinstance(level, int | np.integer) else None
    return analyse(name, given).key

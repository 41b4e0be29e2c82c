"""Old→new unit links of an administrative reform, from CSV or the national JSON lists.

Accepted forms:
- CSV with columns ``old_code,new_code,kind,effective`` (kind: full | partial);
- the 2025 reform's JSON lists (``lineage_2025_old_to_new.json`` with ``splits``, and
  ``lineage_2025_new_to_old.json`` with ``merges`` and their ``type``), whose provinces
  and communes both become rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints

from geo_service.domain import LINEAGE_COLUMNS, REFORM_DATE
from geo_service.ingest.readers.json_input import checked_shape, parse_json
from geo_service.ingest.readers.text_files import csv_columns, decode_utf8
from geo_service.ingest.report import ValidationReport, reject
from geo_service.ingest.units.codes import is_gso_code

KINDS = ("full", "partial")


def read_lineage(
    path: Path, *, file_name: str | None = None, effective: date = REFORM_DATE
) -> tuple[pd.DataFrame, ValidationReport]:
    name = file_name or path.name
    if path.stat().st_size == 0:
        reject(name, "the file is empty (0 bytes)")
    data = path.read_bytes()
    report = ValidationReport(name)
    if path.suffix.lower() == ".json":
        frame = _from_json(data, name, effective)
    else:
        frame = csv_columns(decode_utf8(data, name), name, report, LINEAGE_COLUMNS)
    _check_rows(frame, report)
    return frame.drop_duplicates(["old_code", "new_code"]).reset_index(drop=True), report


def _from_json(data: bytes, name: str, effective: date) -> pd.DataFrame:
    document = parse_json(data, name)
    lists = checked_shape(document, _LineageList, name, _EXPECTED)
    rows = list(_json_rows(lists.data, effective.isoformat()))
    frame = pd.DataFrame(rows, columns=LINEAGE_COLUMNS)
    frame["_row"] = range(1, len(frame) + 1)
    return frame


_EXPECTED = "a lineage JSON list (expected 'data' with 'splits' or 'merges')"
_Code = Annotated[str, StringConstraints(strip_whitespace=True)]


class _Shape(BaseModel):
    # Codes are text ("00007"), as published: a number would have lost its leading zeros.
    model_config = ConfigDict(strict=True)


class _Split(_Shape):
    new_id: _Code


class _Merge(_Shape):
    old_id: _Code
    type: str | None = None


class _Unit(_Shape):
    """A commune (``level3_id`` in the old→new list, ``level2_id`` in the new→old one)."""

    id: _Code = Field(validation_alias=AliasChoices("level3_id", "level2_id"))
    splits: list[_Split] | None = None
    merges: list[_Merge] = []


class _Province(_Shape):
    level1_id: _Code
    splits: list[_Split] | None = None
    merges: list[_Merge] = []
    level3s: list[_Unit] = []
    level2s: list[_Unit] = []


class _LineageList(_Shape):
    data: list[_Province]


def _json_rows(data: list[_Province], effective: str) -> Iterator[tuple[str, str, str, str]]:
    for province in data:
        yield from _links(province.level1_id, province.splits, province.merges, effective)
        for unit in province.level3s + province.level2s:
            yield from _links(unit.id, unit.splits, unit.merges, effective)


def _links(
    code: str, splits: list[_Split] | None, merges: list[_Merge], effective: str
) -> Iterator[tuple[str, str, str, str]]:
    if splits is not None:  # old -> new: one old unit went into one or more new ones
        kind = "full" if len(splits) == 1 else "partial"
        for split in splits:
            yield code, split.new_id, kind, effective
    for merge in merges:  # new <- old
        yield merge.old_id, code, "partial" if merge.type == "partial" else "full", effective


def _check_rows(frame: pd.DataFrame, report: ValidationReport) -> None:
    for row, old, new, kind, effective in zip(
        frame["_row"],
        frame["old_code"],
        frame["new_code"],
        frame["kind"],
        frame["effective"],
        strict=True,
    ):
        for value, column in ((old, "old_code"), (new, "new_code")):
            if not value.strip():
                report.error("code is empty", row=int(row), field=column)
            elif not is_gso_code(value):
                report.error(
                    f"code '{value[:40]}' is not a GSO code (2, 3 or 5 digits, e.g. 09496)",
                    row=int(row),
                    field=column,
                    code="invalid_code",
                )
        if kind not in KINDS:
            report.error(
                f"kind '{kind}' is not one of {', '.join(KINDS)}", row=int(row), field="kind"
            )
        try:
            date.fromisoformat(effective)
        except ValueError:
            report.error(f"'{effective}' is not an ISO date", row=int(row), field="effective")

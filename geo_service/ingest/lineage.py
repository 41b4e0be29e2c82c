"""Old→new unit links of an administrative reform, from CSV or the national JSON lists.

Accepted forms:
- CSV with columns ``old_code,new_code,kind,effective`` (kind: full | partial);
- the 2025 reform's JSON lists (``lineage_2025_old_to_new.json`` with ``splits``, and
  ``lineage_2025_new_to_old.json`` with ``merges`` and their ``type``), whose provinces
  and communes both become rows.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geo_service.domain import LINEAGE_COLUMNS, REFORM_DATE
from geo_service.ingest.tables import decode_utf8
from geo_service.ingest.unit_codes import is_gso_code
from geo_service.validate import ValidationReport, reject

KINDS = ("full", "partial")


def read_lineage(
    path: Path, *, file_name: str | None = None, effective: date = REFORM_DATE
) -> tuple[pd.DataFrame, ValidationReport]:
    name = file_name or path.name
    if path.stat().st_size == 0:
        reject(name, "the file is empty (0 bytes)")
    text = decode_utf8(path.read_bytes(), name)
    report = ValidationReport(name)
    if path.suffix.lower() == ".json":
        frame = _from_json(text, name, effective)
    else:
        frame = _from_csv(text, report)
    _check_rows(frame, report)
    return frame.drop_duplicates(["old_code", "new_code"]).reset_index(drop=True), report


def _from_csv(text: str, report: ValidationReport) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    for column in LINEAGE_COLUMNS:
        if column not in frame.columns:
            report.error(f"missing column '{column}'", row=1, field=column)
    if not report.ok:
        return pd.DataFrame(columns=LINEAGE_COLUMNS)
    frame["_row"] = range(2, len(frame) + 2)
    return frame[[*LINEAGE_COLUMNS, "_row"]]


def _from_json(text: str, name: str, effective: date) -> pd.DataFrame:
    try:
        document = json.loads(text)
        rows = list(_json_rows(document["data"], effective.isoformat()))
    except (ValueError, KeyError, TypeError) as exc:
        reject(name, f"not a lineage JSON list (expected 'data' with 'splits' or 'merges'): {exc}")
    frame = pd.DataFrame(rows, columns=LINEAGE_COLUMNS)
    frame["_row"] = range(1, len(frame) + 1)
    return frame


def _json_rows(data: list[dict[str, Any]], effective: str) -> Iterator[tuple[str, str, str, str]]:
    for province in data:
        yield from _links(province, "level1_id", effective)
        for unit in province.get("level3s", []) + province.get("level2s", []):
            yield from _links(unit, "level3_id" if "level3_id" in unit else "level2_id", effective)


def _links(
    unit: dict[str, Any], id_key: str, effective: str
) -> Iterator[tuple[str, str, str, str]]:
    if "splits" in unit:  # old -> new: one old unit went into one or more new ones
        kind = "full" if len(unit["splits"]) == 1 else "partial"
        for split in unit["splits"]:
            yield str(unit[id_key]), str(split["new_id"]), kind, effective
    for merge in unit.get("merges", []):  # new <- old
        kind = "partial" if merge.get("type") == "partial" else "full"
        yield str(merge["old_id"]), str(unit[id_key]), kind, effective


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

"""Units that repeat one another: a code within one validity start, a village name
within one commune.

Both are found on whole columns (numbers standing for the parsed values), so only the
rows that do repeat are looked at one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from geo_service.domain import Level
from geo_service.ingest.report import ValidationReport
from geo_service.ingest.units.cells import Distinct
from geo_service.ingest.units.text_columns import distinct_value_keys, value_keys
from geo_service.keys import combined_keys
from geo_service.text.name_endings import key_signature
from geo_service.text.names import match_key


@dataclass(frozen=True)
class UnitCells:
    """The parsed unit columns the duplicate checks look at."""

    codes: pa.Array
    names: Distinct[str | None]  # as stored
    unit_types: Distinct[str | None]
    levels: np.ndarray  # level numbers, 0 when unknown
    parents: pa.Array
    starts: Distinct[date | None]


def check_duplicates(
    table: pd.DataFrame,
    cells: UnitCells,
    rows: list[int],
    columns: tuple[str | None, str | None],
    report: ValidationReport,
) -> None:
    """Codes repeated within one validity start; village names repeated in one commune.

    ``columns`` are the file's code and name columns, named in the errors.
    """
    code_column, name_column = columns
    _check_codes(cells, rows, code_column, report)
    _check_village_names(table, cells, rows, name_column, report)


def _check_codes(
    cells: UnitCells, rows: list[int], field: str | None, report: ValidationReport
) -> None:
    code_keys = value_keys(cells.codes)  # 0 for a missing code
    repeated = (code_keys > 0) & (np.bincount(code_keys)[code_keys] > 1)
    first_row: dict[tuple[object, object], int] = {}
    for position in np.flatnonzero(repeated).tolist():  # the same code, maybe other periods
        code = cells.codes[position].as_py()
        key = (code, str(cells.starts.value(position)))
        first = first_row.setdefault(key, rows[position])
        if first != rows[position]:
            report.error(
                f"duplicate code '{code}' (also row {first})",
                row=rows[position],
                field=field,
                code="duplicate_code",
            )


def _check_village_names(
    table: pd.DataFrame,
    cells: UnitCells,
    rows: list[int],
    field: str | None,
    report: ValidationReport,
) -> None:
    villages = cells.levels == int(Level.VILLAGE)
    named = villages & cells.names.where(_is_text) & ~np.asarray(cells.parents.is_null())
    if not named.any():
        return
    parents, unit_types = value_keys(cells.parents), distinct_value_keys(cells.unit_types)
    # Only names sharing a commune, a type and a signature can share a match key: analyse
    # those alone (a national list has tens of thousands of distinct names).
    signatures = cells.names.map(_village_signature)
    alike, _ = combined_keys([parents, unit_types, distinct_value_keys(signatures)])
    candidates = named & (np.bincount(alike)[alike] > 1)
    if not candidates.any():
        return
    needed = set(cells.names.positions[candidates].tolist())
    match_keys = Distinct(
        cells.names.positions,
        [_village_key(name) if i in needed else None for i, name in enumerate(cells.names.parsed)],
    )
    same_key, _ = combined_keys([parents, unit_types, distinct_value_keys(match_keys)])
    repeated = candidates & (np.bincount(same_key)[same_key] > 1)
    if not repeated.any():
        return
    names = table["name"].to_numpy(dtype=object)
    keys = pd.DataFrame(
        {"parent": table["parent_code"], "type": table["unit_type"], "key": match_keys.per_row()}
    )
    earlier: dict[tuple[object, ...], tuple[int, str]] = {}
    for position in np.flatnonzero(repeated):
        key = tuple(keys.iloc[position])
        first = earlier.setdefault(key, (rows[position], str(names[position])))
        if first[0] != rows[position]:
            report.error(
                f"duplicate village names in one commune: '{first[1]}' (row "
                f"{first[0]}) and '{names[position]}' (row {rows[position]}) in commune "
                f"{key[0]}",
                row=rows[position],
                field=field,
                code="duplicate_name",
            )


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _village_signature(name: object) -> str | None:
    return key_signature(name) if isinstance(name, str) else None


def _village_key(name: object) -> str | None:
    return match_key(name, Level.VILLAGE) if isinstance(name, str) else None

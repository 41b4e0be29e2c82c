"""Each unit's type and level, from a type column, a level column or the name.

A type cell is read as a type word or abbreviation ("Thị trấn", "TT", "tdp"); without one
the type is the leading word of the name, or of a further name column ("fullName").
The level comes from the file (``--level``), a level column, or else the type. Each
distinct (type cell, names, level) is decided once: village names repeat.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from geo_service.domain import UNIT_TYPES, Level
from geo_service.ingest.units.cells import Distinct, RowProblems
from geo_service.keys import combined_keys
from geo_service.text.names import fold, split_unit_type

_LEVEL_TEXTS = {str(int(v)) for v in Level}
_TYPE_VALUES = {
    **{fold(word).replace(" ", "_"): slug for slug, (word, _) in UNIT_TYPES.items()},
    **{slug: slug for slug in UNIT_TYPES},
    "thanh_pho": "thanh_pho",
    "tt": "thi_tran",
    "tx": "thi_xa",
    "tp": "thanh_pho",
    "tdp": "to_dan_pho",
    "kp": "khu_pho",
    "kdc": "khu_dan_cu",
    "ward": "phuong",
    "commune": "xa",
    "township": "thi_tran",
    "province": "tinh",
}


def level_cells(
    cells: Distinct[str | None], column: str | None, problems: RowProblems
) -> np.ndarray:
    """Level numbers (0: none) from a level column's texts (1-4); anything else is an
    error (step 1)."""
    for position in cells.rows_where(lambda value: value is not None and value not in _LEVEL_TEXTS):
        problems.add(
            position,
            1,
            f"level '{cells.value(position)}' is not 1-4 (province, district, commune, village)",
            column,
            "invalid",
        )
    numbers = [int(value) if value in _LEVEL_TEXTS else 0 for value in cells.parsed]
    return np.array(numbers, dtype=np.int8)[cells.positions]


def unit_types(
    given: Distinct[str | None],
    names: Distinct[str | None],
    other_names: list[Distinct[str | None]],
    levels: np.ndarray,
    columns: tuple[str | None, str | None],
    problems: RowProblems,
) -> Distinct[str | None]:
    """Type slug per row; unknown or mismatched types are errors (step 2).

    ``levels`` are level numbers (0: none); ``columns`` are the type and name columns,
    named in those errors.
    """
    typed_cell = given.where(_present)
    # With a type cell only the presence of a name matters: a national file's many
    # distinct names need not be told apart.
    name_keys = np.where(typed_cell, len(names.parsed) + names.where(_present), names.positions)
    other_keys = [np.where(typed_cell, 0, other.positions) for other in other_names]
    key, first = combined_keys([given.positions, name_keys, levels, *other_keys])
    typed = Distinct(
        key,
        [
            _type_of_key(
                (
                    given.value(row),
                    names.value(row),
                    int(levels[row]),
                    *(other.value(row) for other in other_names),
                )
            )
            for row in first
        ],
    )
    for position in typed.rows_where(lambda found: found[1] is not None):
        column = columns[0] if typed_cell[position] else columns[1]
        problems.add(position, 2, str(typed.value(position)[1]), column, "unknown_type")
    return typed.map(lambda found: found[0])


def _present(value: object) -> bool:
    return value is not None


def _type_of_key(key: tuple[Any, ...]) -> tuple[str | None, str | None]:
    """_type_of for a row (type cell, name, level number, further names)."""
    given, name, level, *others = key
    if name is None:
        return None, None
    return _type_of(given, (name, *others), Level(level) if level else None)


@lru_cache(maxsize=65536)
def _type_of(
    given: str | None, names: tuple[str | None, ...], level: Level | None
) -> tuple[str | None, str | None]:
    """(unit type, None) or (None, the problem): from the type cell, else a name's first word.

    Cached: village names and types repeat ("Thôn 1", "Xóm 2").
    """
    if given is not None:
        slug = _TYPE_VALUES.get(fold(given).replace(" ", "_"))
        if slug is None:
            known = ", ".join(sorted({w for w, _ in UNIT_TYPES.values()}))
            return None, f"unknown unit type '{given}'; known: {known}"
        return _fit_level(slug, given, level)
    for candidate in names:
        slug = split_unit_type(candidate, level)[0] if candidate else None
        if slug:
            return slug, None
    allowed = sorted({w for w, lv in UNIT_TYPES.values() if level is None or lv == level})
    return None, (
        f"unknown unit type: '{names[0]}' does not start with a "
        f"{level.name.lower() + ' ' if level else ''}type word ({', '.join(allowed)}); "
        "add a unit_type column"
    )


def _fit_level(slug: str, given: str, level: Level | None) -> tuple[str | None, str | None]:
    if slug == "thanh_pho" and level == Level.PROVINCE:
        return "thanh_pho_tw", None
    if level is not None and UNIT_TYPES[slug][1] != level:
        return None, (
            f"unit type '{given}' is a {UNIT_TYPES[slug][1].name.lower()} type, but "
            f"the units are imported as level {int(level)} ({level.name.lower()})"
        )
    return slug, None


def levels_of_types(
    levels: np.ndarray,
    unit_types: Distinct[str | None],
    name_column: str | None,
    problems: RowProblems,
) -> np.ndarray:
    """Levels (0: none) not given by the file or a level column follow from the unit type."""
    missing = levels == 0
    if not missing.any():
        return levels
    for position in np.flatnonzero(missing & unit_types.where(_ambiguous)).tolist():
        problems.add(
            position,
            3,
            "'Thành phố' can be a province or a district: give the level "
            "(--level or a level column)",
            name_column,
            "invalid",
        )
    type_levels = [
        0 if slug is None or _ambiguous(slug) else int(UNIT_TYPES[slug][1])
        for slug in unit_types.parsed
    ]
    of_types = np.array(type_levels, dtype=np.int8)[unit_types.positions]
    return np.where(missing, of_types, levels).astype(np.int8)


def _ambiguous(slug: str | None) -> bool:
    return slug == "thanh_pho"

"""Each unit's type and level, from a type column, a level column or the name.

A type cell is read as a type word or abbreviation ("Thị trấn", "TT", "tdp"); without one
the type is the leading word of the name, or of a further name column ("fullName").
The level comes from the file (``--level``), a level column, or else the type. Each
distinct (type cell, names, level) is decided once: village names repeat.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from geo_service.domain import UNIT_TYPES, Level
from geo_service.ingest.unit_cells import RowProblems, distinct_rows, texts
from geo_service.names import fold, split_unit_type

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
    values: list[object], column: str | None, problems: RowProblems
) -> list[Level | None]:
    """Levels from a level column (1-4); anything else is an error (step 1)."""
    levels: list[Level | None] = []
    for position, value in enumerate(texts(values)):
        if value is not None and value not in _LEVEL_TEXTS:
            problems.add(
                position,
                1,
                f"level '{value}' is not 1-4 (province, district, commune, village)",
                column,
                "invalid",
            )
        levels.append(Level(int(value)) if value in _LEVEL_TEXTS else None)
    return levels


def unit_types(
    given: list[str | None],
    names: list[str | None],
    other_names: list[list[str | None]],
    levels: list[Level | None],
    columns: tuple[str | None, str | None],
    problems: RowProblems,
) -> list[str | None]:
    """Type slug per row; unknown or mismatched types are errors (step 2).

    ``columns`` are the type and name columns, named in those errors.
    """
    typed = distinct_rows([given, names, level_numbers(levels), *other_names], _type_of_key)
    for position in typed.rows_where(lambda found: found[1] is not None):
        column = columns[0] if given[position] is not None else columns[1]
        problem = typed.parsed[typed.positions[position]][1]
        problems.add(position, 2, str(problem), column, "unknown_type")
    return [slug for slug, _ in typed.per_row()]


def level_numbers(levels: list[Level | None]) -> list[int | None]:
    if levels and levels[0] is not None and levels.count(levels[0]) == len(levels):
        return [int(levels[0])] * len(levels)  # one level for the file: the usual case
    return [int(level) if level else None for level in levels]


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
    levels: list[Level | None],
    unit_types: list[str | None],
    name_column: str | None,
    problems: RowProblems,
) -> list[Level | None]:
    """Levels not given by the file or a level column follow from the unit type."""
    if None not in levels:
        return levels
    out = list(levels)
    for position, (level, unit_type) in enumerate(zip(levels, unit_types, strict=True)):
        if level is not None or unit_type is None:
            continue
        if unit_type == "thanh_pho":
            problems.add(
                position,
                3,
                "'Thành phố' can be a province or a district: give the level "
                "(--level or a level column)",
                name_column,
                "invalid",
            )
        else:
            out[position] = UNIT_TYPES[unit_type][1]
    return out

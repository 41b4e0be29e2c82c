"""Where each unit of a boundary file came from: its file row, the file's columns, and the
rows left without a code; kept with the unit frame for the checks that follow."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

SOURCE_ATTR = "unit_source"


@dataclass(frozen=True)
class ParentNames:
    """The names a row gives its province and district ("" when not given)."""

    province: str = ""
    district: str = ""


@dataclass(frozen=True, eq=False)
class UnitSource:
    """The file row of each unit and the file's column behind a unit column.

    Kept in ``DataFrame.attrs``, which pandas deep-copies after nearly every operation; this
    record copies as itself, where a plain list of row numbers (one per unit) would be
    copied each time. ``codeless`` holds, by row position, the parent names of the
    communes and villages left without a code (``normalise_units(codes_later=True)``).
    """

    rows: list[int]
    fields: dict[str, str | None]
    codeless: dict[int, ParentNames] = field(default_factory=dict)

    def __deepcopy__(self, memo: dict[int, object]) -> UnitSource:
        return self

    def field(self, column: str) -> str:
        return self.fields.get(column) or column


def unit_source(units: pd.DataFrame) -> UnitSource:
    """Where each unit came from: ``normalise_units``' record, or rows 1..n."""
    found = units.attrs.get(SOURCE_ATTR)
    if isinstance(found, UnitSource):
        return found
    return UnitSource(list(range(1, len(units) + 1)), {})

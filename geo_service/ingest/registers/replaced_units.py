"""Units a register names as they were: by a former name, or as a unit a reform ended.

Registers outlive renames and mergers: one may still write "Thị trấn Vạn Hà" (15772, now
Thị trấn Thiệu Hóa) or "Xã Bằng Cả" on a row launched after Bằng Cả was merged into Xã
Quảng La. ``Replacements`` finds the unit that carries the code now, or the reform's
successors on the row's date, each with the reason: suggestions for a person to confirm,
never matches. Names are compared as unit names are (``name_index.lookup_among``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from geo_service.coverage.unit_fate import ENDED, MERGED, RENAMED, SPLIT, UnitFate, fate_of
from geo_service.domain import FORMER_NAME_COLUMNS, LINEAGE_COLUMNS, Level
from geo_service.ingest.registers.name_index import lookup_among
from geo_service.ingest.units.tree import UnitTree

# (code, name, why): a unit offered for a name that no unit standing on the date has.
Replacement = tuple[str, str, str]
_GONE = (MERGED, SPLIT, RENAMED, ENDED)


@dataclass(frozen=True)
class UnitHistory:
    """What outdated names are looked up in: the reforms' lineage (``LINEAGE_COLUMNS``) and
    units' former names (``FORMER_NAME_COLUMNS``), as the store returns them."""

    lineage: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=LINEAGE_COLUMNS))
    former_names: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=FORMER_NAME_COLUMNS)
    )


class Replacements:
    """The units that replaced those a register names by an outdated name."""

    def __init__(self, units: pd.DataFrame, tree: UnitTree, history: UnitHistory) -> None:
        self._units = units
        self._tree = tree
        self._lineage = history.lineage
        self._former: dict[str, list[str]] = defaultdict(list)
        former = history.former_names
        for code, name in zip(former["code"], former["name"], strict=True):
            self._former[str(code)].append(str(name))

    def ended_by(self, code: str, on: date | None) -> UnitFate | None:
        """What became of ``code`` when every version of it had ended by ``on``."""
        if on is None or self._tree.existed_on(code, on):
            return None
        fate = fate_of(code, on, self._units, self._lineage)
        return fate if fate.change in _GONE else None

    def successors(self, fate: UnitFate, why: str = "") -> tuple[Replacement, ...]:
        """The units ``fate`` leads to that the store holds, with ``why`` and the fate."""
        reason = f"{why}; {fate.sentence()}" if why else fate.sentence()
        return tuple((s.code, s.name, reason) for s in fate.successors if s.name is not None)

    def by_former_name(
        self, level: Level, under: str, name: str, on: date | None
    ) -> tuple[Replacement, ...]:
        """The units of ``level`` under ``under`` that once had ``name``, or their
        successors on ``on`` when they have ended since."""
        if not self._former:
            return ()
        codes = sorted({row[0] for row in self._tree.rows_under(level, under)})
        rows = [(code, former, under) for code in codes for former in self._former.get(code, ())]
        if not rows:
            return ()
        match = lookup_among(rows, name, under, level)
        found = [str(match.code)] if match.status == "exact" else list(match.candidates)
        offered: list[Replacement] = []
        for code in found:
            current = self._tree.name(code, under)
            why = f"'{name}' is a former name of {code} ({current})"
            fate = self.ended_by(code, on)
            offered.extend(self.successors(fate, why) if fate else [(code, current, why)])
        return tuple(offered)

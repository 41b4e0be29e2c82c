"""The stored unit tree (every date at once) as plain-Python lookups for matching.

A code may have several versions (the 2025 reform kept codes under new names, types and
parents), so names and parents are per version. Name indexes are built per parent and on
first use: a register touching a few hundred communes never analyses the whole country.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd

from geo_service.domain import Level
from geo_service.ingest.registers.name_index import NameIndex, NameMatch, lookup_among

ANYWHERE = ""  # the parent key of "look everywhere" indexes (and of provinces)
SCAN_AT_MOST = 64  # units under one parent that are scanned rather than indexed
_COLUMNS = ["code", "name", "parent_code", "level", "unit_type", "valid_from", "valid_to"]


class Version(NamedTuple):
    name: str
    parent: str
    unit_type: str
    valid_from: object
    valid_to: object


def _text(value: object) -> str:
    return value if isinstance(value, str) else ANYWHERE


def _iso(value: object) -> str | None:
    if value is None or value != value:  # None, NaN, NaT
        return None
    return str(value)[:10]


class _Groups:
    """Row positions grouped by a column's value, found without a Python loop over rows."""

    def __init__(self, values: pd.Series) -> None:
        ids, uniques = pd.factorize(values, use_na_sentinel=False)
        self._order = np.argsort(ids, kind="stable")
        self._bounds = np.searchsorted(ids[self._order], np.arange(len(uniques) + 1))
        self._slot = {_text(value): slot for slot, value in enumerate(uniques.tolist())}

    def positions(self, value: str) -> list[int]:
        slot = self._slot.get(value)
        if slot is None:
            return []
        return self._order[self._bounds[slot] : self._bounds[slot + 1]].tolist()


class UnitTree:
    def __init__(self, units: pd.DataFrame) -> None:
        self._columns = {column: units[column].tolist() for column in _COLUMNS}
        codes, levels = self._columns["code"], self._columns["level"]
        self.level: dict[str, int] = dict(zip(codes, levels, strict=True))
        self._position = dict(zip(codes, range(len(codes)), strict=True))  # of a code's last row
        self._repeated = set(units.loc[units["code"].duplicated(keep=False), "code"])
        self._by_code = _Groups(units["code"])
        self._by_parent = _Groups(units["parent_code"])
        self._versions: dict[str, list[Version]] = {}
        self._indexes: dict[tuple[object, ...], NameIndex] = {}
        self._rows: dict[tuple[object, ...], list[tuple[str, str, str, str]]] = {}

    def versions(self, code: str) -> list[Version]:
        found = self._versions.get(code)
        if found is None:
            columns = self._columns
            found = self._versions[code] = [
                Version(
                    columns["name"][i],
                    _text(columns["parent_code"][i]),
                    _text(columns["unit_type"][i]),
                    columns["valid_from"][i],
                    columns["valid_to"][i],
                )
                for i in self._by_code.positions(code)
            ]
        return found

    def children(self, parent: str) -> list[str]:
        codes = self._columns["code"]
        return list(dict.fromkeys(codes[i] for i in self._by_parent.positions(parent)))

    def name(self, code: str, parent: str = ANYWHERE) -> str:
        """The unit's name (its name under ``parent`` when given: codes outlive names)."""
        if code not in self._repeated:  # most codes have one version: no list to build
            position = self._position.get(code)
            return "?" if position is None else str(self._columns["name"][position])
        versions = self.versions(code)
        if not versions:
            return "?"
        under = [v for v in versions if v.parent == parent]
        return (under or versions)[-1].name

    def names(self, code: str) -> list[str]:
        return sorted({v.name for v in self.versions(code)})

    def parents(self, code: str) -> set[str]:
        return {v.parent for v in self.versions(code)}

    def is_at(self, code: str, level: Level) -> bool:
        return self.level.get(code) == int(level)

    def existed_on(self, code: str, day: date) -> bool:
        iso = day.isoformat()
        for version in self.versions(code):
            start, end = _iso(version.valid_from), _iso(version.valid_to)
            if (start is None or start <= iso) and (end is None or end > iso):
                return True
        return False

    # -- name indexes -----------------------------------------------------------------------

    def lookup(self, level: Level, parent: str, name: str) -> NameMatch:
        """Find ``name`` among the units of ``level`` under ``parent`` (see ``under``).

        A register names few of a commune's villages or a district's communes, so small
        groups are scanned (``names.lookup_among``) rather than indexed; same answer.
        """
        rows = self.rows_under(level, parent)
        if len(rows) <= SCAN_AT_MOST:
            return lookup_among(rows, name, parent, level)
        return self.under(level, parent).lookup(name, parent)

    def under(self, level: Level, parent: str) -> NameIndex:
        """Units of ``level`` under ``parent`` (keyed by ``parent``); ANYWHERE: all of them.

        Communes under a province include those under its districts (before 2025 communes
        hung under districts, since then under the province).
        """
        key = (level, parent)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = NameIndex(self.rows_under(level, parent), level)
        return index

    def names_of(self, code: str) -> NameIndex:
        """Every name ``code`` had, keyed by the code itself (to check a name given with it)."""
        key = ("code", code)
        index = self._indexes.get(key)
        if index is None:
            rows = [(code, v.name, code, v.unit_type) for v in self.versions(code)]
            index = self._indexes[key] = NameIndex(rows, Level(self.level[code]))
        return index

    def rows_under(self, level: Level, parent: str) -> list[tuple[str, str, str, str]]:
        """(code, name, ``parent``, unit type) of every version of a unit of ``level`` under
        ``parent`` (ANYWHERE: every unit of ``level``), each distinct row once."""
        key = ("rows", level, parent)
        rows = self._rows.get(key)
        if rows is None:
            rows = self._rows[key] = self._collect_rows(level, parent)
        return rows

    def _collect_rows(self, level: Level, parent: str) -> list[tuple[str, str, str, str]]:
        if parent == ANYWHERE:
            positions: Iterable[int] = range(len(self._columns["code"]))
        else:
            parents = [parent]
            if level == Level.COMMUNE and self.is_at(parent, Level.PROVINCE):
                parents += [c for c in self.children(parent) if self.is_at(c, Level.DISTRICT)]
            positions = [i for p in parents for i in self._by_parent.positions(p)]
        code, name = self._columns["code"], self._columns["name"]
        at, unit_type = self._columns["level"], self._columns["unit_type"]
        rows = {
            (code[i], name[i], unit_type[i]): (code[i], name[i], parent, _text(unit_type[i]))
            for i in positions
            if at[i] == level
        }
        return list(rows.values())

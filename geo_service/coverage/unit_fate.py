"""What became of a unit that does not stand on a date: merged, split, renamed, ended, or
not yet formed.

Reforms end units and reuse their codes, so "no unit 07057 today" is a dead end unless it
says that 07057 (Xã Bằng Cả) was merged into 07054 (Xã Quảng La) on 2025-07-01. The API's
search and unit lookup, the map page and the CLI all ask here. ``fate_of`` is pure;
``unit_fate`` and ``row_fates`` read what it needs from the store.

Examples
--------
>>> fate = unit_fate(store, "07057", date(2026, 1, 1))
>>> fate.sentence()
'07057 (Xã Bằng Cả) was merged into 07054 (Xã Quảng La) on 2025-07-01'
>>> fate.own_day
datetime.date(2025, 6, 30)
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from geo_service.hierarchy import valid_on
from geo_service.store import Store, UnitQuery
from geo_service.values import plain

FATE_COLUMNS = ("code", "name", "unit_type", "level", "valid_from", "valid_to")
MERGED, SPLIT, RENAMED, ENDED = "merged", "split", "renamed", "ended"
NOT_YET, UNKNOWN, NO_DATA = "not_yet", "unknown", "no_data"
IMPORT_HINT = "import boundaries (`geo-service import boundaries FILE`) or run `geo-service demo`"


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit by code, with its name and type as the store holds them (None if it does not)."""

    code: str
    name: str | None = None
    unit_type: str | None = None

    def label(self) -> str:
        return f"{self.code} ({self.name})" if self.name else f"{self.code} (not in the store)"

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "name": self.name, "unit_type": self.unit_type}


@dataclass(frozen=True, slots=True)
class UnitFate:
    """Why ``unit.code`` names no unit on ``as_of``, and where to go instead.

    ``change`` is merged, split, renamed or ended (the unit ended on ``valid_to``, which is
    exclusive), not_yet (it starts on ``valid_from``), unknown (no such code) or no_data
    (the store holds no unit at all).
    """

    unit: UnitRef
    as_of: date
    change: str
    valid_from: date | None = None
    valid_to: date | None = None
    successors: tuple[UnitRef, ...] = ()

    @property
    def own_day(self) -> date | None:
        """The nearest day on which the unit itself stood: its last day, or its first."""
        if self.change == NOT_YET:
            return self.valid_from
        if self.valid_to is not None:
            return self.valid_to - timedelta(days=1)
        return None

    def sentence(self) -> str:
        """What became of the unit, in one English sentence without a full stop."""
        unit, when = self.unit.label(), _iso(self.valid_to)
        labels = [s.label() for s in self.successors]
        if self.change == MERGED:
            return f"{unit} was merged into {labels[0]} on {when}"
        if self.change == RENAMED:
            return f"{unit} became {labels[0]} on {when}"
        if self.change == SPLIT:
            return f"{unit} was split on {when} into {_and(labels)}"
        if self.change == ENDED:
            return f"{unit} ended on {when}; no successor is recorded"
        if self.change == NOT_YET:
            return f"{unit} starts on {_iso(self.valid_from)}"
        if self.change == NO_DATA:
            return (
                f"no unit with code '{self.unit.code}': the store has no units yet; {IMPORT_HINT}"
            )
        return f"no unit with code '{self.unit.code}' on {self.as_of.isoformat()}"

    def message(self, as_of_option: str = "as_of=") -> str:
        """The sentence and how to see the unit's own figures (``--as-of `` for the CLI)."""
        day = self.own_day
        if day is None:
            return self.sentence()
        return f"{self.sentence()}; use {as_of_option}{day.isoformat()} for its own figures"

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.unit.code,
            "name": self.unit.name,
            "unit_type": self.unit.unit_type,
            "change": self.change,
            "valid_from": _iso(self.valid_from),
            "valid_to": _iso(self.valid_to),
            "successors": [s.as_dict() for s in self.successors],
            "own_day": _iso(self.own_day),
        }


class UnitNotOnDate(LookupError):
    """A unit code asked for on a date when it names no unit; ``fate`` says why."""

    def __init__(self, fate: UnitFate) -> None:
        super().__init__(fate.message())
        self.fate = fate

    def __str__(self) -> str:  # LookupError's str would quote the message as KeyError does
        return self.fate.message()


def explain(error: LookupError, as_of_option: str = "as_of=") -> str:
    """The message for a unit that was not found, in the caller's words for the date."""
    if isinstance(error, UnitNotOnDate):
        return error.fate.message(as_of_option)
    return str(error).strip("'\"")


def fate_of(code: str, as_of: date, rows: pd.DataFrame, lineage: pd.DataFrame) -> UnitFate:
    """What became of ``code`` by ``as_of``. ``rows`` hold the units (of any date) of
    ``code`` and of every code the lineage leads to from it (``FATE_COLUMNS``)."""
    own = rows[rows["code"] == code]
    day = as_of.isoformat()
    ended = own[own["valid_to"].notna() & (own["valid_to"].astype(str) <= day)]
    if not ended.empty:
        last = ended.sort_values("valid_to").iloc[-1].to_dict()
        return fate_of_row(last, as_of, rows, lineage)
    later = own[own["valid_from"].notna() & (own["valid_from"].astype(str) > day)]
    if not later.empty:
        first = later.sort_values("valid_from").iloc[0].to_dict()
        start = date.fromisoformat(str(first["valid_from"]))
        return UnitFate(_ref(first), as_of, NOT_YET, valid_from=start)
    return UnitFate(UnitRef(code), as_of, UNKNOWN)


def fate_of_row(
    row: Mapping[Hashable, Any], as_of: date, rows: pd.DataFrame, lineage: pd.DataFrame
) -> UnitFate:
    """The fate of one unit row that ended on or before ``as_of``."""
    end = str(row["valid_to"])
    successors = tuple(_successors(str(row["code"]), end, as_of, rows, lineage, set()))
    if len(successors) > 1:
        change = SPLIT
    elif not successors:
        change = ENDED
    else:
        joined = _links(lineage, end, new_code=successors[0].code)
        change = MERGED if joined["old_code"].nunique() > 1 else RENAMED
    start = plain(row["valid_from"])
    return UnitFate(
        _ref(row),
        as_of,
        change,
        valid_from=date.fromisoformat(start) if start else None,
        valid_to=date.fromisoformat(end),
        successors=successors,
    )


def unit_fate(store: Store, code: str, as_of: date) -> UnitFate:
    """``fate_of`` with what it needs read from ``store``."""
    lineage = store.lineage()
    rows = _rows_reachable(store, [code], lineage)
    fate = fate_of(code, as_of, rows, lineage)
    held = UnitQuery(with_geometry=False, columns=("code",))
    if fate.change == UNKNOWN and store.units(held).empty:
        return UnitFate(fate.unit, as_of, NO_DATA)
    return fate


def row_fates(store: Store, ended: pd.DataFrame, as_of: date) -> list[UnitFate]:
    """The fate of each row of ``ended`` (units that ended by ``as_of``), in order."""
    lineage = store.lineage()
    rows = _rows_reachable(store, ended["code"].astype(str), lineage)
    records = ended.to_dict("records")
    return [fate_of_row(record, as_of, rows, lineage) for record in records]


def _rows_reachable(store: Store, codes: Iterable[str], lineage: pd.DataFrame) -> pd.DataFrame:
    forward = lineage.groupby("old_code")["new_code"].agg(list).to_dict()
    found, frontier = set(codes), list(codes)
    while frontier:
        for successor in forward.get(frontier.pop(), []):
            if successor not in found:
                found.add(successor)
                frontier.append(successor)
    query = UnitQuery(codes=tuple(sorted(found)), with_geometry=False, columns=FATE_COLUMNS)
    return pd.DataFrame(store.units(query))


def _successors(
    code: str, end: str, as_of: date, rows: pd.DataFrame, lineage: pd.DataFrame, seen: set[str]
) -> list[UnitRef]:
    """The units standing on ``as_of`` that ``code`` (ended on ``end``) led to."""
    links = _links(lineage, end, old_code=code)
    found: list[UnitRef] = []
    seen.add(code)
    for new_code in sorted(set(links["new_code"])):
        candidates = rows[rows["code"] == new_code]
        standing = candidates[valid_on(candidates, as_of)]
        formed = candidates[candidates["valid_from"].astype(str) == end]
        if not standing.empty:
            found.append(_ref(standing.iloc[0].to_dict()))
        elif not formed.empty and pd.notna(formed["valid_to"].iloc[0]) and new_code not in seen:
            # It was reformed again before ``as_of``: follow it on.
            later_end = str(formed["valid_to"].iloc[0])
            found.extend(_successors(new_code, later_end, as_of, rows, lineage, seen))
        else:
            found.append(UnitRef(new_code))
    unique = {ref.code: ref for ref in found}
    return [unique[c] for c in sorted(unique)]


def _links(
    lineage: pd.DataFrame,
    effective: str,
    *,
    old_code: str | None = None,
    new_code: str | None = None,
) -> pd.DataFrame:
    mask = lineage["effective"].astype(str) == effective
    if old_code is not None:
        mask &= lineage["old_code"] == old_code
    if new_code is not None:
        mask &= lineage["new_code"] == new_code
    return lineage[mask]


def _ref(row: Mapping[Hashable, Any]) -> UnitRef:
    return UnitRef(str(row["code"]), plain(row.get("name")), plain(row.get("unit_type")))


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _and(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"

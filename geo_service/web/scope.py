"""Which part of a coverage view the map shows: one unit's subtree, or everything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from geo_service.coverage.compute import CoverageResult
from geo_service.hierarchy import UnitTree
from geo_service.values import member_of
from geo_service.web.popups import display_name


class _ViewLike(Protocol):
    @property
    def result(self) -> CoverageResult: ...


class UnitNotInView(LookupError):
    """The requested unit is not in the coverage view (unknown code, or not valid that day)."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unit {code!r} is not in this coverage view")
        self.code = code


@dataclass(frozen=True)
class Scope:
    """The part of a coverage view the map shows: one unit's subtree, or everything."""

    villages: gpd.GeoDataFrame
    rollups: gpd.GeoDataFrame
    codes: frozenset[str]
    focus: dict[str, Any] | None

    def rollup_names(self) -> dict[str, str]:
        """The display name ("Xã Quảng La") of each roll-up in scope, by code."""
        rollups = self.rollups
        return {
            str(code): display_name(name, unit_type)
            for code, name, unit_type in zip(
                rollups["code"], rollups["name"], rollups["unit_type"], strict=True
            )
        }


def select_scope(view: _ViewLike, focus_code: str | None) -> Scope:
    villages, rollups = view.result.villages, view.result.rollups
    if not focus_code:
        codes = frozenset(map(str, villages["code"])) | frozenset(map(str, rollups["code"]))
        return Scope(villages, rollups, codes, None)
    focus = find_unit(focus_code, rollups, villages)
    links = [frame[["code", "parent_code"]] for frame in (rollups, villages)]
    codes = UnitTree(pd.concat(links, ignore_index=True)).subtree(focus_code)
    return Scope(
        villages[member_of(villages["code"], codes)],
        rollups[member_of(rollups["code"], codes)],
        codes,
        focus,
    )


def unit_scope(view: _ViewLike, code: str | None) -> Scope:
    """The scope of one unit for its summary and title: its own row (a roll-up carries
    its subtree's totals), without walking the subtree; ``UnitNotInView`` if absent.
    Without a code, every row and no codes (nothing to narrow by)."""
    villages, rollups = view.result.villages, view.result.rollups
    if code is None:
        return Scope(villages, rollups, frozenset(), None)
    focus = find_unit(code, rollups, villages)
    return Scope(
        villages[(villages["code"] == code).to_numpy(dtype=bool)],
        rollups[(rollups["code"] == code).to_numpy(dtype=bool)],
        frozenset({code}),
        focus,
    )


def find_unit(code: str, *frames: gpd.GeoDataFrame) -> dict[str, Any]:
    """The first row of ``frames`` with ``code``, as a dict; ``UnitNotInView`` if none."""
    for frame in frames:
        rows = frame[frame["code"] == code]
        if not rows.empty:
            row: dict[str, Any] = rows.iloc[0].to_dict()
            return row
    raise UnitNotInView(code)


def has_geometry(frame: gpd.GeoDataFrame) -> pd.Series:
    geometry = frame.geometry
    return pd.Series(~(geometry.isna() | geometry.is_empty), index=frame.index, dtype=bool)


def root_rollups(rollups: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Rollup rows whose parent is not in the frame: their sums cover the whole scope."""
    return rollups[~member_of(rollups["parent_code"], rollups["code"])]


def scope_bounds(scope: Scope) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of everything drawn in scope (the focus unit included)."""
    parts = [f.geometry[has_geometry(f)] for f in (scope.rollups, scope.villages) if len(f)]
    drawn = [p for p in parts if len(p)]
    if not drawn:
        return None
    bounds = gpd.GeoSeries(pd.concat(drawn)).total_bounds
    return float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])

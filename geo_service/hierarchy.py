"""The unit tree across time: carrying villages over a reform and resolving old codes.

Pure functions, no I/O. Codes are reused by reforms (a merged commune keeps one of the
old codes), so a code is only meaningful together with a date; these functions turn
"code as recorded at some date" into "the unit that stands for it on ``as_of``".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geo_service.domain import Level
from geo_service.values import member_of, plain


def valid_on(units: pd.DataFrame, day: date) -> pd.Series:
    """Boolean mask of units valid on ``day`` (``valid_to`` is exclusive)."""
    iso = day.isoformat()
    starts = _holds(units["valid_from"], lambda text: text <= iso)
    ends = _holds(units["valid_to"], lambda text: text > iso)
    return pd.Series(starts & ends, index=units.index)


def _holds(bounds: pd.Series, test: Callable[[pd.Series], pd.Series]) -> NDArray[np.bool_]:
    """``test`` of each bound as text, True where it is missing (open). A country holds
    a few distinct dates in some 90,000 rows: each is turned into text once."""
    codes, distinct = pd.factorize(bounds)  # missing: -1, the appended True
    held = test(pd.Series(distinct).astype(str)).to_numpy(dtype=bool)
    found: NDArray[np.bool_] = np.append(held, True)[codes]
    return found


class UnitTree:
    """The units of one tree (units valid on one date, each code once) as array positions.

    ``ancestors[i]`` is unit ``i`` itself, then its parent, grandparent and so on, and -1
    past the top. A parent code is shaped as the code of a higher level (checked at
    import), so a chain holds at most one unit per level: ``len(Level)`` columns. A parent
    code that names no unit of the tree ends the chain. Built for every unit at once
    (vectorised), since a national tree has some 80,000 villages.
    """

    def __init__(self, units: pd.DataFrame) -> None:
        # Object codes: looking up text in an index of pandas' Arrow-backed text costs
        # several times as much.
        self.codes = pd.Index(units["code"].to_numpy(dtype=object), dtype=object)
        self.size = len(self.codes)
        parent = self.positions(units["parent_code"].astype(object))
        chain = [np.arange(self.size)]
        for _ in range(len(Level) - 1):
            previous = chain[-1]
            chain.append(np.where(previous >= 0, parent[np.maximum(previous, 0)], -1))
        self.ancestors = np.stack(chain, axis=1)

    def positions(self, codes: pd.Series) -> NDArray[np.intp]:
        """The position of each of ``codes`` in the tree, -1 for a code it does not hold."""
        wanted = pd.Index(np.asarray(codes, dtype=object), dtype=object)
        found: NDArray[np.intp] = self.codes.get_indexer(wanted)
        return found

    def spread(
        self, positions: NDArray[np.intp], rows: pd.DataFrame
    ) -> tuple[NDArray[np.intp], pd.DataFrame]:
        """Repeat each row once for every ancestor of its unit (itself included): the
        ancestors' positions, and the rows repeated in step."""
        ancestors = self.ancestors[positions]
        row_index, depth = np.nonzero(ancestors >= 0)
        return ancestors[row_index, depth], rows.iloc[row_index].reset_index(drop=True)

    def count_within(self, positions: NDArray[np.intp]) -> NDArray[np.intp]:
        """Per unit, how many of ``positions`` lie in its subtree (itself included)."""
        ancestors = self.ancestors[positions]
        counts: NDArray[np.intp] = np.bincount(ancestors[ancestors >= 0], minlength=self.size)
        return counts

    def chains(self, codes: pd.Series) -> NDArray[np.intp]:
        """``ancestors`` of the unit of each of ``codes`` (the unit first); all -1 for a
        code the tree does not hold."""
        none_above = np.full((1, len(Level)), -1)
        return np.vstack([self.ancestors, none_above])[self.positions(codes)]

    def subtree(self, root: str) -> frozenset[str]:
        """The codes of ``root`` and every unit below it; empty when the tree lacks ``root``."""
        at = self.codes.get_indexer([root])[0]
        if at < 0:
            return frozenset()
        inside = (self.ancestors == at).any(axis=1)
        return frozenset(str(code) for code in self.codes[inside])

    def ancestor_codes(self, code: str) -> list[str]:
        """The codes above ``code``, its parent first; empty when the tree lacks ``code``."""
        at = self.codes.get_indexer([code])[0]
        if at < 0:
            return []
        above = self.ancestors[at, 1:]
        return [str(self.codes[position]) for position in above[above >= 0]]


def successors(lineage: pd.DataFrame) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for old, new in zip(lineage["old_code"], lineage["new_code"], strict=True):
        found[old].append(new)
    return found


def resolve_codes(codes: pd.Series, valid_codes: set[str], lineage: pd.DataFrame) -> pd.Series:
    """Map recorded unit codes to codes valid in the target tree.

    A code valid in the tree stands for itself. Otherwise the lineage is followed forward;
    of several successors the one keeping the same code wins, else the first by code.
    Unresolvable codes become ``None`` (reported by coverage as unplaced, never dropped).
    """
    forward = successors(lineage)

    def resolve(code: str) -> str | None:
        seen: set[str] = set()
        while code not in valid_codes:
            if code in seen or code not in forward:
                return None
            seen.add(code)
            options = sorted(forward[code])
            code = code if code in options else options[0]
            if code in seen:
                reachable = [o for o in options if o in valid_codes]
                return reachable[0] if reachable else None
        return code

    # Most recorded codes are valid as they stand: those are kept column-wise, and only
    # the others walk the lineage one by one.
    values = codes.to_numpy(dtype=object)
    standing = member_of(codes, valid_codes)
    resolved = values.copy()
    moved = np.flatnonzero(~standing)
    found = {code: resolve(code) if isinstance(code, str) else None for code in set(values[moved])}
    resolved[moved] = [found[code] for code in values[moved]]
    return pd.Series(resolved, index=codes.index, dtype=object)


@dataclass
class CarryForward:
    """Village rows to add and to close so villages follow their commune across a reform."""

    new_rows: gpd.GeoDataFrame
    closures: list[tuple[str, date | None, date]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def carry_villages_forward(units: gpd.GeoDataFrame, lineage: pd.DataFrame) -> CarryForward:
    """For every village whose parent commune has ended, add a row under the successor.

    The village row is closed on the parent's end date (if still open) and a new row starts
    that day with the same code under the successor commune. Villages already carried
    (a row of the same code starts on that day) are only closed if still open (a list
    from before the reform imported again), so this is idempotent.
    When the old commune was split, the successor is the one containing the village's
    label point (or, failing that, the largest overlap). ``unresolved`` lists villages
    whose commune ended without a usable successor.

    Vectorised: only villages under a commune code that has ended are looked at, all of
    them at once (the 2025 reform moves almost every village of the country).
    """
    empty = CarryForward(_empty_like(units))
    level = units["level"].to_numpy()
    communes = dated_rows(units, np.flatnonzero(level == int(Level.COMMUNE)))
    ended = set(communes.loc[communes["end"].notna(), "code"])
    if not ended:
        return empty
    villages = dated_rows(units, np.flatnonzero(level == int(Level.VILLAGE)))
    candidates = villages[member_of(villages["parent_code"], ended)]
    leaving = _villages_leaving(candidates, communes, villages)
    if leaving.empty:
        return empty
    # Already carried (e.g. a pre-reform list imported again): the row only needs closing.
    moving = leaving[~leaving["carried"]].reset_index(drop=True)
    moving["successor"] = _successors(moving, communes, units, lineage)
    resolved = moving[moving["successor"].notna()]
    new_rows = (
        units.iloc[resolved["position"].to_numpy()]
        .assign(
            valid_from=resolved["parent_end"].to_numpy(dtype=object),
            valid_to=np.full(len(resolved), None, dtype=object),
            parent_code=resolved["successor"].to_numpy(dtype=object),
        )
        .reset_index(drop=True)
    )
    closing = pd.concat([resolved, leaving[leaving["carried"]]]).sort_values("position")
    closing = closing[closing["end"].isna()]
    closures = [
        (str(code), None if pd.isna(start) else date.fromisoformat(start), date.fromisoformat(end))
        for code, start, end in zip(
            closing["code"], closing["start"], closing["parent_end"], strict=True
        )
    ]
    unresolved = [str(code) for code in moving.loc[moving["successor"].isna(), "code"]]
    frame = gpd.GeoDataFrame(new_rows, geometry=units.geometry.name, crs=units.crs)
    return CarryForward(frame, closures, unresolved)


def _empty_like(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        pd.DataFrame(columns=list(units.columns)), geometry=units.geometry.name, crs=units.crs
    )


def _iso(values: pd.Series) -> NDArray[np.object_]:
    """Dates as ISO text, None when missing, whatever form they came in (str, date, …)."""
    array = values.to_numpy(dtype=object)
    missing = pd.isna(array)
    out = np.full(len(array), None, dtype=object)
    if (~missing).any():
        present = array[~missing]
        lookup = {value: plain(value) for value in pd.unique(present)}
        out[~missing] = [lookup[value] for value in present]
    return out


def dated_rows(units: pd.DataFrame, positions: NDArray[np.intp]) -> pd.DataFrame:
    """code, parent_code, start/end as ISO text (or None) and the row's position in ``units``."""
    rows = units.iloc[positions]
    # Plain objects: these columns are only compared and matched, and pandas would turn
    # them into its Arrow-backed text, one value at a time, on the way in.
    return pd.DataFrame(
        {
            "code": pd.Series(rows["code"].to_numpy(dtype=object), dtype=object),
            "parent_code": pd.Series(rows["parent_code"].to_numpy(dtype=object), dtype=object),
            "start": pd.Series(_iso(rows["valid_from"]), dtype=object),
            "end": pd.Series(_iso(rows["valid_to"]), dtype=object),
            "position": positions,
        }
    )


def valid_at(start: pd.Series, end: pd.Series, day: pd.Series) -> pd.Series:
    """Row-wise ``valid_on`` over ISO text: start <= day < end, missing bounds open."""
    return (start.isna() | (start.fillna("") <= day)) & (end.isna() | (end.fillna("") > day))


def _villages_leaving(
    candidates: pd.DataFrame, communes: pd.DataFrame, villages: pd.DataFrame
) -> pd.DataFrame:
    """Candidate villages whose parent (at the village's start) has ended and that follow
    it: open, or ended with it. Adds ``parent_end`` and ``carried`` (a row of the same
    code already starts that day).
    """
    pairs = candidates.reset_index(drop=True).merge(
        communes[["code", "start", "end", "position"]].rename(
            columns={"code": "parent_code", "start": "c_start", "end": "c_end", "position": "c"}
        ),
        on="parent_code",
    )
    # An undated village belongs to the earliest unit that carried the code; a dated one
    # to the first unit of that code valid on its start day.
    undated = pairs["start"].isna()
    valid = valid_at(pairs["c_start"], pairs["c_end"], pairs["start"].fillna(""))
    pairs = pairs[undated | valid]
    order = pairs["c_start"].fillna("").where(pairs["start"].isna(), "")
    pairs = (
        pairs.assign(_order=order)
        .sort_values(["position", "_order", "c"], kind="stable")
        .drop_duplicates("position")
    )
    pairs = pairs[pairs["c_end"].notna()]
    follows = pairs["end"].isna() | (pairs["end"] == pairs["c_end"])
    started = set(zip(villages["code"], villages["start"], strict=True))
    carried = [key in started for key in zip(pairs["code"], pairs["c_end"], strict=True)]
    leaving = pairs.assign(carried=np.asarray(carried, dtype=bool))[follows.to_numpy()]
    return (
        leaving.rename(columns={"c_end": "parent_end"})
        .drop(columns=["c", "c_start", "_order"])
        .reset_index(drop=True)
    )


def _successors(
    moving: pd.DataFrame, communes: pd.DataFrame, units: gpd.GeoDataFrame, lineage: pd.DataFrame
) -> NDArray[np.object_]:
    """Successor commune code of each moving village (None when there is none to pick).

    The options are the lineage successors of the village's old commune that are valid on
    the day it ended. One option is the successor; of several (a split), the one containing
    the village's label point, else the one overlapping the village most.
    """
    links = lineage[["old_code", "new_code"]].drop_duplicates()
    successors_of = (
        moving[["parent_code", "parent_end"]]
        .drop_duplicates()
        .merge(links, left_on="parent_code", right_on="old_code")
        .merge(
            communes[["code", "start", "end", "position"]].rename(columns={"code": "new_code"}),
            on="new_code",
        )
    )
    valid = valid_at(successors_of["start"], successors_of["end"], successors_of["parent_end"])
    successors_of = successors_of[valid].drop_duplicates(["parent_code", "parent_end", "position"])
    options = (
        moving[["parent_code", "parent_end", "position"]]
        .rename(columns={"position": "village"})
        .reset_index(names="row")
        .merge(successors_of[["parent_code", "parent_end", "new_code", "position"]])
        .sort_values(["row", "position"], kind="stable")
        .reset_index(drop=True)
    )
    picked = np.full(len(moving), None, dtype=object)
    count = options.groupby("row")["row"].transform("size")
    single = options[count == 1]
    picked[single["row"].to_numpy()] = single["new_code"].to_numpy(dtype=object)
    several = options[count > 1]
    if not several.empty:
        for row, code in _pick_by_geometry(several, units).items():
            picked[row] = code
    return picked


def _pick_by_geometry(options: pd.DataFrame, units: gpd.GeoDataFrame) -> dict[int, str]:
    """For (row, village, new_code, position) option pairs: the option containing the
    village's label point if exactly one does, else the one overlapping it most.
    """
    geometry = np.asarray(units.geometry.values, dtype=object)
    village = options["village"].to_numpy()
    option_geometry = geometry[options["position"].to_numpy()]
    lon = pd.to_numeric(units["label_lon"], errors="coerce").to_numpy(dtype=float)[village]
    lat = pd.to_numeric(units["label_lat"], errors="coerce").to_numpy(dtype=float)[village]
    contains = shapely.contains_xy(option_geometry, lon, lat)
    frame = options.assign(contains=contains)
    hits = frame.groupby("row")["contains"].transform("sum")
    chosen = frame[frame["contains"] & (hits == 1)]
    picked = dict(zip(chosen["row"], chosen["new_code"].astype(str), strict=True))
    rest = frame[~member_of(frame["row"], chosen["row"])]
    if rest.empty:
        return picked
    village_geometry = geometry[rest["village"].to_numpy()]
    usable = ~(shapely.is_missing(village_geometry) | shapely.is_empty(village_geometry))
    overlap = np.zeros(len(rest))
    overlap[usable] = shapely.area(
        shapely.intersection(
            geometry[rest["position"].to_numpy()][usable], village_geometry[usable]
        )
    )
    rest = rest.assign(overlap=np.nan_to_num(overlap))
    best = rest.loc[rest.groupby("row")["overlap"].idxmax()]
    best = best[best["overlap"] > 0]
    picked.update(zip(best["row"], best["new_code"].astype(str), strict=True))
    return picked

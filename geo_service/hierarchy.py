"""The unit tree across time: carrying villages over a reform and resolving old codes.

Pure functions, no I/O. Codes are reused by reforms (a merged commune keeps one of the
old codes), so a code is only meaningful together with a date; these functions turn
"code as recorded at some date" into "the unit that stands for it on ``as_of``".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo_service.domain import Level


def valid_on(units: pd.DataFrame, day: date) -> pd.Series:
    """Boolean mask of units valid on ``day`` (``valid_to`` is exclusive)."""
    iso = day.isoformat()
    starts = units["valid_from"].isna() | (units["valid_from"].astype(str) <= iso)
    ends = units["valid_to"].isna() | (units["valid_to"].astype(str) > iso)
    return starts & ends


def ancestor_pairs(units: pd.DataFrame) -> pd.DataFrame:
    """(code, ancestor_code) for every unit and each of its ancestors, the unit itself included.

    ``units`` must be one tree (units valid on one date), so each code is unique.
    """
    parent_of = units.set_index("code")["parent_code"]
    pairs = pd.DataFrame({"code": units["code"], "ancestor_code": units["code"]})
    frontier = pairs.copy()
    for _ in range(len(Level)):
        frontier = frontier.assign(ancestor_code=frontier["ancestor_code"].map(parent_of))
        frontier = frontier[frontier["ancestor_code"].notna()]
        if frontier.empty:
            break
        pairs = pd.concat([pairs, frontier], ignore_index=True)
    return pairs


def subtree_codes(units: pd.DataFrame, root: str) -> set[str]:
    pairs = ancestor_pairs(units)
    return set(pairs.loc[pairs["ancestor_code"] == root, "code"])


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

    cache: dict[str, str | None] = {}
    for code in codes.unique():
        cache[code] = resolve(code) if isinstance(code, str) else None
    return pd.Series([cache[c] for c in codes], index=codes.index, dtype=object)


@dataclass
class CarryForward:
    """Village rows to add and to close so villages follow their commune across a reform."""

    new_rows: gpd.GeoDataFrame
    closures: list[tuple[str, str | None, date]] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


def carry_villages_forward(units: gpd.GeoDataFrame, lineage: pd.DataFrame) -> CarryForward:
    """For every village whose parent commune has ended, add a row under the successor.

    The village row is closed on the parent's end date (if still open) and a new row starts
    that day with the same code under the successor commune. Villages already carried
    (a row of the same code starts on that day) are left alone, so this is idempotent.
    When the old commune was split, the successor is the one containing the village's
    label point (or, failing that, the largest overlap).
    """
    villages = units[units["level"] == int(Level.VILLAGE)]
    communes = units[units["level"] == int(Level.COMMUNE)]
    forward = successors(lineage)
    already_started = set(zip(villages["code"], villages["valid_from"].astype(str), strict=True))
    new_rows: list[dict[str, Any]] = []
    closures: list[tuple[str, str | None, date]] = []
    unresolved: list[str] = []
    for village in villages.itertuples(index=False):
        parent = _parent_at_start(communes, village.parent_code, village.valid_from)
        if parent is None or pd.isna(parent.valid_to):
            continue
        ends_with_parent = pd.isna(village.valid_to) or str(village.valid_to) == str(
            parent.valid_to
        )
        if not ends_with_parent or (village.code, str(parent.valid_to)) in already_started:
            continue
        end = date.fromisoformat(str(parent.valid_to))
        options = communes[
            communes["code"].isin(forward.get(parent.code, [])) & valid_on(communes, end)
        ]
        successor = _pick_successor(village, options)
        if successor is None:
            unresolved.append(str(village.code))
            continue
        if pd.isna(village.valid_to):
            closures.append((str(village.code), _iso_or_none(village.valid_from), end))
        new_rows.append(
            {
                **village._asdict(),
                "valid_from": end.isoformat(),
                "valid_to": None,
                "parent_code": successor,
            }
        )
    frame = gpd.GeoDataFrame(
        pd.DataFrame(new_rows, columns=list(units.columns)), geometry="geometry", crs=units.crs
    )
    return CarryForward(frame, closures, unresolved)


def _iso_or_none(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _parent_at_start(communes: pd.DataFrame, code: str, start: Any) -> Any:
    same_code = communes[communes["code"] == code]
    if same_code.empty:
        return None
    if start is None or pd.isna(start):
        # An undated village belongs to the earliest unit that carried the code.
        ordered = same_code.assign(_start=same_code["valid_from"].fillna("")).sort_values("_start")
        return next(ordered.drop(columns="_start").itertuples(index=False))
    matches = same_code[valid_on(same_code, date.fromisoformat(str(start)))]
    return next(matches.itertuples(index=False)) if not matches.empty else None


def _pick_successor(village: Any, options: gpd.GeoDataFrame) -> str | None:
    if options.empty:
        return None
    if len(options) == 1:
        return str(options["code"].iloc[0])
    point = shapely.Point(village.label_lon, village.label_lat)
    containing = options[options.geometry.contains(point)]
    if len(containing) == 1:
        return str(containing["code"].iloc[0])
    geometry = village.geometry
    if geometry is not None and not geometry.is_empty:
        overlap = options.geometry.intersection(geometry).area
        if overlap.max() > 0:
            return str(options["code"].iloc[int(overlap.argmax())])
    return None

"""Coverage: which villages have which active models, and roll-ups up the unit tree.

Pure functions over frames, no I/O. Inputs are the units valid on ``as_of`` (one tree:
every ``parent_code`` names a unit in the same frame) and the model register. Unit codes
in ``models``/``teams`` must already be resolved to that tree (see ``hierarchy``); sites
whose code is not in the tree are counted in ``CoverageResult.unplaced_sites`` instead of
being dropped silently.

Examples
--------
>>> result = compute_coverage(units, model_types, models, teams, CoveragePolicy(), date.today())
>>> result.villages[["code", "covered"]]
>>> result.rollups.loc[result.rollups.code == "09496", ["villages_covered", "villages_total"]]

How complete a roll-up's village list is, is part of it: ``village_sources`` (from
``village_lists.village_list_sources``) names, per commune, the communes its villages come
from and whether their villages are known. A commune formed by merging three communes,
of which one had its villages listed, is ``partial`` (1 of 3), and one with no village
listed is ``no_data``: its village counts are missing, never 0 of 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.domain import Level, with_count_dtypes
from geo_service.hierarchy import UnitTree
from geo_service.settings import CoveragePolicy
from geo_service.values import member_of

SITE_COUNT_COLUMNS = ["members", "households", "cameras"]
VILLAGE_STATUS_COVERED = "covered"
VILLAGE_STATUS_UNCOVERED = "uncovered"
DATA_COMPLETE = "complete"
DATA_PARTIAL = "partial"
DATA_NONE = "no_data"
VILLAGE_COUNT_COLUMNS = ["villages_total", "villages_covered", "villages_uncovered"]


@dataclass(frozen=True)
class CoverageResult:
    """``villages``: one row per village; ``rollups``: one row per province/district/commune.

    Each roll-up says how complete its village list is: ``communes_with_villages`` of
    ``communes_total``, ``source_communes_with_villages`` of ``source_communes_total``
    (the communes its villages come from: predecessors for a commune formed by a reform)
    and ``data_status`` (complete, partial or no_data; no_data rows have no village counts).

    ``sites`` are the active model sites placed in the tree (model_id, type_code,
    counts_as_model, unit_code, teams, members, households, cameras): what a village popup
    lists.
    """

    villages: gpd.GeoDataFrame
    rollups: gpd.GeoDataFrame
    sites: pd.DataFrame
    unplaced_sites: pd.DataFrame
    as_of: date


def compute_coverage(
    units: gpd.GeoDataFrame,
    model_types: pd.DataFrame,
    models: pd.DataFrame,
    teams: pd.DataFrame,
    policy: CoveragePolicy,
    as_of: date,
    village_sources: pd.DataFrame | None = None,
) -> CoverageResult:
    """Coverage of every village in ``units`` and roll-ups for every administrative unit.

    ``village_sources`` (commune_code, source_code, source_valid_from, villages_known) say
    where each commune's villages come from; without it, or for a commune it omits, a
    commune is its own source, known when it has villages.
    """
    active = _active_models(models, model_types, policy, as_of)
    sites = _sites(active, teams)
    tree = UnitTree(units)
    position = tree.positions(sites["unit_code"])
    placed = position >= 0
    unplaced = sites[~placed].reset_index(drop=True)
    sites = sites[placed].reset_index(drop=True)
    levels = _Levels(units["level"].to_numpy())
    model_sites = sites["counts_as_model"].to_numpy(dtype=bool)
    at_unit = _SiteStats(tree.size, position[placed][model_sites], sites[model_sites])
    upward = _SiteStats(tree.size, *tree.spread(position[placed][model_sites], sites[model_sites]))
    village_table = _village_table(units, levels, at_unit, policy)
    covered = village_table["covered"].to_numpy(dtype=bool)
    rollups = _rollups(units, tree, levels, covered, upward)
    _add_village_lists(rollups, tree, levels, _sources(units, tree, levels, village_sources))
    return CoverageResult(village_table, rollups, sites, unplaced, as_of)


class _Levels:
    """Which positions of the tree are villages, communes, and roll-ups (all but villages)."""

    def __init__(self, level: np.ndarray) -> None:
        is_village = level == int(Level.VILLAGE)
        self.villages = np.flatnonzero(is_village)
        self.communes = np.flatnonzero(level == int(Level.COMMUNE))
        self.rollups = np.flatnonzero(~is_village)


class _SiteStats:
    """Per-unit sums over model sites located at ``positions`` (vectorised with bincount)."""

    def __init__(self, size: int, positions: np.ndarray, sites: pd.DataFrame) -> None:
        self.size = size
        self.positions = positions
        self.models = _distinct_count(positions, sites["model_id"], size)
        self.teams = np.bincount(positions, weights=sites["teams"].to_numpy(float), minlength=size)
        self.sums = {
            column: _nullable_sum(positions, sites[column], size) for column in SITE_COUNT_COLUMNS
        }
        self.types = sorted_unique_lists(pd.Series(positions), sites["type_code"])

    def put(self, table: pd.DataFrame, rows: np.ndarray, *, models: str, teams: str) -> None:
        """Write the stats of units at ``rows`` into ``table`` (one row per unit, same order)."""
        table[models] = self.models[rows]
        table[teams] = self.teams[rows]
        table["members"] = self.sums["members"].to_numpy()[rows]
        table["member_households"] = self.sums["households"].to_numpy()[rows]
        table["cameras"] = self.sums["cameras"].to_numpy()[rows]
        held = self.types.tolist()
        at = self.types.index.get_indexer(pd.Index(rows)).tolist()
        table["model_types"] = [held[i] if i >= 0 else [] for i in at]


def _distinct_count(positions: np.ndarray, values: pd.Series, size: int) -> np.ndarray:
    codes, _ = pd.factorize(values)
    pairs = np.unique(positions.astype(np.int64) * (codes.max(initial=0) + 1) + codes)
    return np.bincount(pairs // (codes.max(initial=0) + 1), minlength=size)


def _nullable_sum(positions: np.ndarray, values: pd.Series, size: int) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(numbers)
    total = np.bincount(positions[present], weights=numbers[present], minlength=size)
    seen = np.bincount(positions[present], minlength=size) > 0
    return pd.Series(total).where(seen)


def _active_models(
    models: pd.DataFrame, model_types: pd.DataFrame, policy: CoveragePolicy, as_of: date
) -> pd.DataFrame:
    counted = set(model_types.loc[model_types["counts_as_model"].astype(bool), "code"])
    launch = pd.to_datetime(models["launch_date"], errors="coerce")
    launched = launch.isna() | (launch <= pd.Timestamp(as_of))
    if "ended_on" in models:  # dissolved by an import: counted before that day only
        ended = pd.to_datetime(models["ended_on"], errors="coerce")
        launched &= ended.isna() | (ended > pd.Timestamp(as_of))
    keep = member_of(models["status"], policy.active_statuses) & launched
    active = models[keep].copy()
    active["counts_as_model"] = member_of(active["type_code"], counted)
    return active


def _sites(active: pd.DataFrame, teams: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, unit) site with its counts; models without teams sit at their unit."""
    columns = [
        "model_id",
        "type_code",
        "counts_as_model",
        "unit_code",
        "teams",
        *SITE_COUNT_COLUMNS,
    ]
    team_rows = teams[member_of(teams["model_id"], active["model_id"])]
    per_site = (
        team_rows.assign(teams=1)
        .groupby(["model_id", "unit_code"], as_index=False)[["teams", *SITE_COUNT_COLUMNS]]
        .sum(min_count=1)
    )
    with_teams = per_site.merge(active[["model_id", "type_code", "counts_as_model"]], on="model_id")
    lone = active[~member_of(active["model_id"], team_rows["model_id"])].assign(teams=0)
    lone_sites = lone[
        ["model_id", "type_code", "counts_as_model", "unit_code", "teams", *SITE_COUNT_COLUMNS]
    ]
    frames = [f for f in (with_teams[columns], lone_sites[columns]) if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    sites = pd.concat(frames, ignore_index=True)
    sites[SITE_COUNT_COLUMNS] = sites[SITE_COUNT_COLUMNS].apply(pd.to_numeric, errors="coerce")
    return sites


def sorted_unique_lists(keys: pd.Series, values: pd.Series) -> pd.Series:
    """For each key, its distinct values in order, as lists (vectorised: pairs are found
    and ordered as integer codes; Python only cuts the ordered values into lists)."""
    key_codes, key_uniques = pd.factorize(keys.to_numpy(), sort=True, use_na_sentinel=False)
    value_codes, value_uniques = pd.factorize(values.to_numpy(), sort=True, use_na_sentinel=False)
    width = max(len(value_uniques), 1)
    pairs = np.unique(key_codes.astype(np.int64) * width + value_codes)
    if len(pairs) == 0:
        return pd.Series(dtype=object)
    key_of, value_of = np.divmod(pairs, width)
    starts = np.flatnonzero(np.r_[True, key_of[1:] != key_of[:-1]])
    ends = np.r_[starts[1:], len(pairs)]
    ordered = np.asarray(value_uniques, dtype=object)[value_of].tolist()
    lists = [ordered[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    return pd.Series(lists, index=np.asarray(key_uniques)[key_of[starts]], dtype=object)


def _village_table(
    units: gpd.GeoDataFrame, levels: _Levels, stats: _SiteStats, policy: CoveragePolicy
) -> gpd.GeoDataFrame:
    rows = levels.villages
    table = units.iloc[rows].copy()
    stats.put(table, rows, models="model_count", teams="team_count")
    required = set(policy.required_types)
    if required:
        missing = [sorted(required.difference(types)) for types in table["model_types"]]
        complete = np.array([not types for types in missing], dtype=bool)
    else:
        missing = [[] for _ in range(len(table))]
        complete = np.ones(len(table), dtype=bool)
    table["missing_types"] = missing
    enough = table["model_count"].to_numpy() >= policy.min_active_models
    table["covered"] = (enough & complete).astype(bool)
    table["status"] = np.where(table["covered"], VILLAGE_STATUS_COVERED, VILLAGE_STATUS_UNCOVERED)
    with_count_dtypes(table)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=units.crs)


def _rollups(
    units: gpd.GeoDataFrame,
    tree: UnitTree,
    levels: _Levels,
    covered: np.ndarray,
    upward: _SiteStats,
) -> gpd.GeoDataFrame:
    village_ancestors = tree.ancestors[levels.villages]
    valid = village_ancestors >= 0
    owners = village_ancestors[valid]
    covered_by_row = np.broadcast_to(covered[:, np.newaxis], village_ancestors.shape)[valid]
    totals = np.bincount(owners, minlength=tree.size)
    covered_counts = np.bincount(owners, weights=covered_by_row, minlength=tree.size)
    rows = levels.rollups
    table = units.iloc[rows].copy()
    table["villages_total"] = totals[rows]
    table["villages_covered"] = covered_counts[rows]
    table["villages_uncovered"] = table["villages_total"] - table["villages_covered"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["coverage_pct"] = np.where(
            table["villages_total"] > 0,
            (100.0 * table["villages_covered"] / table["villages_total"]).round(1),
            np.nan,
        )
    upward.put(table, rows, models="models", teams="teams")
    with_count_dtypes(table)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=units.crs)


def _sources(
    units: gpd.GeoDataFrame, tree: UnitTree, levels: _Levels, given: pd.DataFrame | None
) -> pd.DataFrame:
    """(commune position, source key, villages_known) for every commune of the tree."""
    communes = levels.communes
    villages = tree.count_within(levels.villages)
    codes = units["code"].to_numpy(dtype=object)[communes]
    own = pd.DataFrame(
        {
            "commune_code": codes,
            "source_code": codes,
            "source_valid_from": None,
            "villages_known": villages[communes] > 0,
        }
    )
    if given is not None:
        listed = given[member_of(given["commune_code"], codes)]
        own = pd.concat(
            [listed, own[~member_of(own["commune_code"], listed["commune_code"])]],
            ignore_index=True,
        )
    # Codes are reused by reforms: a source is a code with the day it started.
    source_key = pd.MultiIndex.from_arrays(
        [own["source_code"].astype(object), own["source_valid_from"].astype(object).fillna("")]
    )
    return pd.DataFrame(
        {
            "position": tree.positions(own["commune_code"]),
            "key": pd.factorize(source_key)[0],
            "known": own["villages_known"].astype(bool).to_numpy(),
        }
    )


def _add_village_lists(
    rollups: gpd.GeoDataFrame, tree: UnitTree, levels: _Levels, sources: pd.DataFrame
) -> None:
    """How complete each roll-up's village list is (in place); see ``CoverageResult``."""
    rows, communes = levels.rollups, levels.communes
    villages = tree.count_within(levels.villages)
    rollups["communes_total"] = tree.count_within(communes)[rows]
    rollups["communes_with_villages"] = tree.count_within(communes[villages[communes] > 0])[rows]
    owners, spread = tree.spread(sources["position"].to_numpy(), sources)
    known = spread["known"].to_numpy(dtype=bool)
    total = _distinct_count(owners, spread["key"], tree.size)[rows]
    found = _distinct_count(owners[known], spread["key"][known], tree.size)[rows]
    rollups["source_communes_total"] = total
    rollups["source_communes_with_villages"] = found
    status = np.array([data_status_of(k, t) for k, t in zip(found, total, strict=True)])
    rollups["data_status"] = status
    # No village list is no data: its counts are missing, not 0 of 0 (nor 0 covered).
    for column in VILLAGE_COUNT_COLUMNS:
        rollups[column] = rollups[column].astype("Int64").mask(status == DATA_NONE)


def data_status_of(known: int, total: int) -> str:
    """complete, partial or no_data: of ``total`` source communes, ``known`` have villages."""
    if known == 0:
        return DATA_NONE
    return DATA_PARTIAL if known < total else DATA_COMPLETE

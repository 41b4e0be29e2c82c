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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo_service.domain import Level, with_count_dtypes
from geo_service.hierarchy import ancestor_pairs
from geo_service.settings import CoveragePolicy

SITE_COUNT_COLUMNS = ["members", "households", "cameras"]
VILLAGE_STATUS_COVERED = "covered"
VILLAGE_STATUS_UNCOVERED = "uncovered"


@dataclass(frozen=True)
class CoverageResult:
    """``villages``: one row per village; ``rollups``: one row per province/district/commune.

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
) -> CoverageResult:
    """Coverage of every village in ``units`` and roll-ups for every administrative unit."""
    active = _active_models(models, model_types, policy, as_of)
    sites = _sites(active, teams)
    known = set(units["code"])
    placed = sites["unit_code"].isin(known)
    sites, unplaced = sites[placed], sites[~placed]

    villages = units[units["level"] == int(Level.VILLAGE)]
    village_table = _village_coverage(villages, sites, policy)
    ancestors = ancestor_pairs(units)
    rollups = _rollups(units, village_table, sites, ancestors)
    return CoverageResult(
        village_table, rollups, sites.reset_index(drop=True), unplaced.reset_index(drop=True), as_of
    )


def _active_models(
    models: pd.DataFrame, model_types: pd.DataFrame, policy: CoveragePolicy, as_of: date
) -> pd.DataFrame:
    counted = set(model_types.loc[model_types["counts_as_model"].astype(bool), "code"])
    launch = pd.to_datetime(models["launch_date"], errors="coerce")
    launched = launch.isna() | (launch <= pd.Timestamp(as_of))
    keep = models["status"].isin(policy.active_statuses) & launched
    active = models[keep].copy()
    active["counts_as_model"] = active["type_code"].isin(counted)
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
    team_rows = teams[teams["model_id"].isin(active["model_id"])]
    per_site = (
        team_rows.assign(teams=1)
        .groupby(["model_id", "unit_code"], as_index=False)[["teams", *SITE_COUNT_COLUMNS]]
        .sum(min_count=1)
    )
    with_teams = per_site.merge(active[["model_id", "type_code", "counts_as_model"]], on="model_id")
    lone = active[~active["model_id"].isin(team_rows["model_id"])].assign(teams=0)
    lone_sites = lone[
        ["model_id", "type_code", "counts_as_model", "unit_code", "teams", *SITE_COUNT_COLUMNS]
    ]
    frames = [f for f in (with_teams[columns], lone_sites[columns]) if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    sites = pd.concat(frames, ignore_index=True)
    sites[SITE_COUNT_COLUMNS] = sites[SITE_COUNT_COLUMNS].apply(pd.to_numeric, errors="coerce")
    return sites


def _village_coverage(
    villages: gpd.GeoDataFrame, sites: pd.DataFrame, policy: CoveragePolicy
) -> gpd.GeoDataFrame:
    model_sites = sites[sites["counts_as_model"].astype(bool)]
    at_village = model_sites[model_sites["unit_code"].isin(villages["code"])]
    grouped = at_village.groupby("unit_code")
    stats = pd.DataFrame(
        {
            "model_count": grouped["model_id"].nunique(),
            "team_count": grouped["teams"].sum(),
            "members": grouped["members"].sum(min_count=1),
            "member_households": grouped["households"].sum(min_count=1),
            "cameras": grouped["cameras"].sum(min_count=1),
            "model_types": grouped["type_code"].agg(lambda s: sorted(set(s))),
        }
    )
    table = villages.merge(stats, left_on="code", right_index=True, how="left")
    table["model_count"] = table["model_count"].fillna(0).astype(int)
    table["team_count"] = table["team_count"].fillna(0).astype(int)
    table["model_types"] = [v if isinstance(v, list) else [] for v in table["model_types"]]
    required = set(policy.required_types)
    table["missing_types"] = [sorted(required - set(types)) for types in table["model_types"]]
    enough = table["model_count"] >= policy.min_active_models
    complete = table["missing_types"].map(len) == 0
    table["covered"] = enough & complete
    table["status"] = np.where(table["covered"], VILLAGE_STATUS_COVERED, VILLAGE_STATUS_UNCOVERED)
    with_count_dtypes(table)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=villages.crs)


def _rollups(
    units: gpd.GeoDataFrame,
    villages: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    ancestors: pd.DataFrame,
) -> gpd.GeoDataFrame:
    admin = units[units["level"] < int(Level.VILLAGE)]
    village_up = ancestors.merge(villages[["code", "covered"]], on="code")
    by_unit = village_up.groupby("ancestor_code")
    village_stats = pd.DataFrame(
        {
            "villages_total": by_unit["code"].size(),
            "villages_covered": by_unit["covered"].sum(),
        }
    )
    site_up = sites.merge(ancestors, left_on="unit_code", right_on="code")
    model_up = site_up[site_up["counts_as_model"].astype(bool)]
    by_site = model_up.groupby("ancestor_code")
    site_stats = pd.DataFrame(
        {
            "models": by_site["model_id"].nunique(),
            "teams": by_site["teams"].sum(),
            "members": by_site["members"].sum(min_count=1),
            "member_households": by_site["households"].sum(min_count=1),
            "cameras": by_site["cameras"].sum(min_count=1),
            "model_types": by_site["type_code"].agg(lambda s: sorted(set(s))),
        }
    )
    table = admin.merge(village_stats, left_on="code", right_index=True, how="left")
    table = table.merge(site_stats, left_on="code", right_index=True, how="left")
    for column in ("villages_total", "villages_covered", "models", "teams"):
        table[column] = table[column].fillna(0).astype(int)
    table["villages_uncovered"] = table["villages_total"] - table["villages_covered"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["coverage_pct"] = np.where(
            table["villages_total"] > 0,
            (100.0 * table["villages_covered"] / table["villages_total"]).round(1),
            np.nan,
        )
    table["model_types"] = [v if isinstance(v, list) else [] for v in table["model_types"]]
    with_count_dtypes(table)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=units.crs)

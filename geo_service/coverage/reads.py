"""Store → coverage: what the map, the API and the CLI read, for one date and subtree.

Reads the tree valid on a date and the register from the store, resolves old unit codes
through the lineage, and hands them to the pure ``coverage.compute_coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import pandas as pd

from geo_service.coverage.compute import CoverageResult, compute_coverage
from geo_service.coverage.unit_fate import UnitNotOnDate, unit_fate
from geo_service.coverage.village_lists import (
    HISTORY_COLUMNS,
    areas_without_villages,
    village_list_sources,
)
from geo_service.domain import Level
from geo_service.hierarchy import UnitTree, resolve_codes
from geo_service.settings import CoveragePolicy
from geo_service.store import Store, UnitQuery
from geo_service.values import member_of


@dataclass(frozen=True)
class CoverageView:
    """Coverage on one date, optionally narrowed to the subtree of ``root``.

    ``village_sources``: where each commune's villages come from (``village_lists``);
    ``no_data_areas``: the parts of communes whose villages are unknown, when asked for.
    """

    result: CoverageResult
    model_types: pd.DataFrame
    models: pd.DataFrame
    root: str | None
    as_of: date
    village_sources: pd.DataFrame | None = None
    no_data_areas: gpd.GeoDataFrame | None = None



def coverage_as_of(
    store: Store,
    policy: CoveragePolicy,
    as_of: date,
    root: str | None = None,
    *,
    with_no_data_areas: bool = False,
) -> CoverageView:
    """Coverage of the tree valid on ``as_of``; ``root`` narrows it to one unit's subtree.

    Records keyed to units that no longer exist on ``as_of`` (e.g. pre-2025 communes) roll
    up into their successors through the lineage, and so do village lists: a commune says
    how many of the communes it was formed from had their villages listed. A ``root`` not
    valid on ``as_of`` raises ``UnitNotOnDate``, which says what became of it.
    ``with_no_data_areas`` adds the areas without a village list, for the map.
    """
    units, models, teams, keep = _register_as_of(store, as_of, root)
    model_types = store.model_types()
    history = store.units(UnitQuery(with_geometry=False, columns=HISTORY_COLUMNS))
    sources = village_list_sources(history, store.lineage(), as_of)
    result = compute_coverage(units, model_types, models, teams, policy, as_of, sources)
    if keep is not None:
        result = replace(
            result,
            villages=result.villages[member_of(result.villages["code"], keep)],
            rollups=result.rollups[member_of(result.rollups["code"], keep)],
            sites=result.sites[member_of(result.sites["unit_code"], keep)],
        )
        sources = sources[member_of(sources["commune_code"], keep)]
    placed = models[member_of(models["model_id"], result.sites["model_id"])]
    areas = _no_data_areas(store, result, sources) if with_no_data_areas else None
    return CoverageView(result, model_types, placed, root, as_of, sources, areas)


def _no_data_areas(store: Store, result: CoverageResult, sources: pd.DataFrame) -> gpd.GeoDataFrame:
    """Read the old geometry of the sources without villages, and grey what they cover."""
    communes = result.rollups[result.rollups["level"] == int(Level.COMMUNE)]
    partial = communes.loc[communes["data_status"] == "partial", "code"]
    known = sources["villages_known"].astype(bool)
    unknown = sources[member_of(sources["commune_code"], partial) & ~known]
    codes = tuple(sorted(set(unknown["source_code"])))
    old = store.units(UnitQuery(level=int(Level.COMMUNE), codes=codes))
    return areas_without_villages(communes, sources, old)


def models_as_of(
    store: Store, as_of: date, root: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """All models (any status) and their teams placed in the tree of ``as_of``.

    Returns (models, teams, units) with unit codes resolved to that tree.
    """
    units, models, teams, keep = _register_as_of(store, as_of, root)
    if keep is not None:
        inside = set(teams.loc[member_of(teams["unit_code"], keep), "model_id"])
        models = models[
            member_of(models["unit_code"], keep) | member_of(models["model_id"], inside)
        ]
        teams = teams[member_of(teams["model_id"], models["model_id"])]
    return models, teams, units


def _register_as_of(
    store: Store, as_of: date, root: str | None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame, frozenset[str] | None]:
    """The tree of ``as_of``, models and teams with codes resolved into it, and the codes of
    ``root``'s subtree (None for the whole tree)."""
    units = store.units(UnitQuery(as_of=as_of))
    valid = set(units["code"])
    if root is not None and root not in valid:
        raise UnitNotOnDate(unit_fate(store, root, as_of))
    lineage = store.lineage()
    models = store.models()
    models = models.assign(unit_code=resolve_codes(models["unit_code"], valid, lineage))
    teams = store.teams()
    teams = teams.assign(unit_code=resolve_codes(teams["unit_code"], valid, lineage))
    keep = UnitTree(units).subtree(root) if root is not None else None
    return units, models, teams, keep

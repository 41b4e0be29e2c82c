"""Store → what coverage of one tree needs, read for the whole country or for one subtree.

Coverage of a unit's subtree depends only on the units of that subtree, the model sites
placed in it and the village lists of its communes. ``read_register`` reads just those
for a ``root`` (the units level by level below it, the models and teams recorded in the
subtree or under a code the lineage leads into it, the history of its communes and their
predecessors), so that a commune's coverage does not cost the country's. Recorded codes
are resolved against every code valid on the day (the subtree's and the lineage's), as a
national read resolves them, so a subtree's figures equal the national ones narrowed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import pandas as pd

from geo_service.coverage.unit_fate import UnitNotOnDate, unit_fate
from geo_service.coverage.village_lists import HISTORY_COLUMNS, village_list_sources
from geo_service.domain import Level
from geo_service.hierarchy import resolve_codes, valid_on
from geo_service.store import Store, UnitQuery
from geo_service.store.base import UNIT_ORDER


@dataclass(frozen=True)
class Register:
    """The tree of one day (``units``: the country's, or one subtree's), with the models
    and teams whose unit codes are resolved into that day's tree, and where each commune's
    villages come from (``village_lists.village_list_sources``)."""

    units: gpd.GeoDataFrame
    models: pd.DataFrame
    teams: pd.DataFrame
    village_sources: pd.DataFrame


def read_register(
    store: Store, as_of: date, root: str | None = None, *, with_geometry: bool = True
) -> Register:
    """What coverage on ``as_of`` reads: of the whole tree, or of ``root``'s subtree.

    A ``root`` not valid on ``as_of`` raises ``UnitNotOnDate``, saying what became of it.
    """
    lineage = store.lineage()
    if root is None:
        history = store.units(UnitQuery(with_geometry=False))
        if with_geometry:
            units = store.units(UnitQuery(as_of=as_of))
        else:  # the day's tree is part of the history: one read of the units, not two
            units = history[valid_on(history, as_of).to_numpy(dtype=bool)].reset_index(drop=True)
        models, teams = store.models(), store.teams()
        valid = set(units["code"].tolist())
    else:
        units = subtree_units(store, as_of, root, with_geometry=with_geometry)
        history = _subtree_history(store, units, lineage)
        models, teams, valid = _subtree_sites(store, as_of, set(units["code"].tolist()), lineage)
    models = models.assign(unit_code=resolve_codes(models["unit_code"], valid, lineage))
    teams = teams.assign(unit_code=resolve_codes(teams["unit_code"], valid, lineage))
    sources = village_list_sources(history, lineage, as_of)
    if root is not None:
        sources = sources[sources["commune_code"].isin(set(units["code"].tolist()))]
    return Register(units, models, teams, sources.reset_index(drop=True))


def subtree_units(
    store: Store, as_of: date, root: str, *, with_geometry: bool = True
) -> gpd.GeoDataFrame:
    """``root`` and every unit below it on ``as_of``, in the store's unit order."""
    found = [store.units(UnitQuery(as_of=as_of, codes=(root,), with_geometry=with_geometry))]
    if found[0].empty:
        raise UnitNotOnDate(unit_fate(store, root, as_of))
    # Levels may be skipped (no districts after the 2025 reform): walk by parent, not level.
    while not found[-1].empty:
        parents = tuple(found[-1]["code"])
        query = UnitQuery(as_of=as_of, parent_codes=parents, with_geometry=with_geometry)
        found.append(store.units(query))
    units = pd.concat([frame for frame in found if not frame.empty], ignore_index=True)
    ordered = units.sort_values(list(UNIT_ORDER[:2]), kind="stable", ignore_index=True)
    return gpd.GeoDataFrame(ordered, geometry="geometry", crs=found[0].crs)


def _subtree_sites(
    store: Store, as_of: date, codes: set[str], lineage: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, set[str]]:
    """Models and teams that may be placed in the subtree of ``codes``, and the codes
    valid on ``as_of`` their recorded codes are resolved against.

    A site may be recorded under a subtree code or under any code of the lineage (an old
    code leads forward into the subtree, or a code valid elsewhere stays where it is).
    A model is read whole: a model of the subtree with teams elsewhere sits at its teams.
    """
    linked = set(lineage["old_code"]) | set(lineage["new_code"])
    still_valid = store.units(
        UnitQuery(as_of=as_of, codes=tuple(sorted(linked)), with_geometry=False, columns=("code",))
    )
    valid = codes | set(still_valid["code"])
    recorded = sorted(codes | linked)
    teams_here = store.teams(unit_codes=recorded)
    model_ids = set(store.models(unit_codes=recorded)["model_id"]) | set(teams_here["model_id"])
    wanted = sorted(model_ids)
    return store.models(model_ids=wanted), store.teams(model_ids=wanted), valid


def _subtree_history(store: Store, units: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    """Every dated row ``village_list_sources`` reads for the subtree's communes: the
    communes and their predecessors, any village ever listed under them, and every row
    of the subtree's village codes (a village carried across a reform continues one)."""
    level = units["level"].to_numpy()
    communes = set(units.loc[level == int(Level.COMMUNE), "code"])
    predecessors = set(lineage.loc[lineage["new_code"].isin(communes), "old_code"])
    commune_codes = tuple(sorted(communes | predecessors))
    village_codes = tuple(sorted(units.loc[level == int(Level.VILLAGE), "code"]))
    # By code or parent alone: a level filter beside them makes SQLite scan the level index.
    frames = [
        _history(store, UnitQuery(codes=commune_codes)),
        _history(store, UnitQuery(parent_codes=commune_codes)),
        _history(store, UnitQuery(codes=village_codes)),
    ]
    present = [frame for frame in frames if not frame.empty]
    rows = pd.concat(present or frames[:1], ignore_index=True)
    return rows.drop_duplicates(["code", "level", "valid_from"], ignore_index=True)


def _history(store: Store, query: UnitQuery) -> pd.DataFrame:
    return store.units(replace(query, with_geometry=False, columns=HISTORY_COLUMNS))

"""Store → coverage: what the map, the API and the CLI read, for one date and subtree.

Reads the tree valid on a date and the register from the store, resolves old unit codes
through the lineage, and hands them to the pure ``coverage.compute_coverage``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray

from geo_service.coverage.compute import DATA_PARTIAL, CoverageResult, compute_coverage
from geo_service.coverage.gap_table import GapTable, gap_table_of
from geo_service.coverage.no_data_areas import NoDataAreas
from geo_service.coverage.place_names import PlaceNames, place_names_of
from geo_service.coverage.subtree import read_register
from geo_service.coverage.village_lists import GREYED_STATUSES, areas_without_villages
from geo_service.domain import Level
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

    @cached_property
    def gap_table(self) -> GapTable:
        """The uncovered villages as one sorted table, built on first use and kept as long
        as the view is (the coverage cache decides that)."""
        return gap_table_of(self.result)

    @cached_property
    def village_codes(self) -> pd.Index:
        """The villages' codes, hashed once per view: ``get_indexer`` gives a code's row
        position in ``result.villages`` (-1 when the view does not hold it), so a request
        takes its few rows by position instead of testing every row of the table."""
        return _code_index(self.result.villages)

    @cached_property
    def rollup_codes(self) -> pd.Index:
        """The roll-ups' codes, hashed once per view (as ``village_codes``)."""
        return _code_index(self.result.rollups)

    @cached_property
    def place_names(self) -> PlaceNames:
        """The names of the commune, district and province each roll-up lies in, worked
        out once per view: what a page's rows carry, looked up by their parent."""
        return place_names_of(self.result.rollups)


def _code_index(table: pd.DataFrame) -> pd.Index:
    # Plain objects: looking up a few codes then hashes Python strings, not Arrow scalars.
    return pd.Index(table["code"].to_numpy(dtype=object), dtype=object)


def rows_held(table: pd.DataFrame, index: pd.Index, codes: ArrayLike) -> pd.DataFrame:
    """The rows of ``table`` (whose codes ``index`` holds: a view's ``village_codes`` or
    ``rollup_codes``) for those of ``codes`` it holds, in the table's order, taken by
    position rather than by testing every row."""
    at = index.get_indexer(pd.Index(np.asarray(codes, dtype=object), dtype=object))
    held = np.unique(at[at >= 0])
    # A slice costs pandas less than taking no position (a commune's box holds no roll-up
    # of the level of the villages asked for).
    return table.iloc[held] if len(held) else table.iloc[:0]


def coverage_as_of(
    store: Store,
    policy: CoveragePolicy,
    as_of: date,
    root: str | None = None,
    *,
    with_no_data_areas: bool = False,
    with_geometry: bool = True,
) -> CoverageView:
    """Coverage of the tree valid on ``as_of``; ``root`` narrows it to one unit's subtree,
    which is all that is then read and computed.

    Records keyed to units that no longer exist on ``as_of`` (e.g. pre-2025 communes) roll
    up into their successors through the lineage, and so do village lists: a commune says
    how many of the communes it was formed from had their villages listed. A ``root`` not
    valid on ``as_of`` raises ``UnitNotOnDate``, which says what became of it.
    ``with_no_data_areas`` adds the areas without a village list, for the map;
    ``with_geometry=False`` leaves the units' geometry out (``with_unit_geometry`` adds it
    to the rows that are drawn or downloaded).
    """
    register = read_register(store, as_of, root, with_geometry=with_geometry)
    model_types = store.model_types()
    sources = register.village_sources
    result = compute_coverage(
        register.units, model_types, register.models, register.teams, policy, as_of, sources
    )
    placed = register.models[member_of(register.models["model_id"], result.sites["model_id"])]
    view = CoverageView(result, model_types, placed, root, as_of, sources)
    return with_no_data_areas_of(store, view) if with_no_data_areas else view


def narrowed(view: CoverageView, root: str, keep: frozenset[str]) -> CoverageView:
    """``view`` (of a larger tree) narrowed to the subtree of ``root``, whose codes are
    ``keep``."""
    result = view.result
    return narrowed_to_rows(
        view,
        root,
        villages=member_of(result.villages["code"], keep),
        rollups=member_of(result.rollups["code"], keep),
        sites=member_of(result.sites["unit_code"], keep),
    )


def narrowed_to_rows(
    view: CoverageView,
    root: str,
    *,
    villages: NDArray[np.bool_],
    rollups: NDArray[np.bool_],
    sites: NDArray[np.bool_],
) -> CoverageView:
    """``view`` narrowed to the subtree of ``root``, given which of its villages, roll-ups
    and sites lie in it."""
    result = view.result
    result = replace(
        result,
        villages=result.villages[villages],
        rollups=result.rollups[rollups],
        sites=result.sites[sites],
    )
    placed = view.models[member_of(view.models["model_id"], result.sites["model_id"])]
    sources = view.village_sources
    if sources is not None:
        communes = result.rollups.loc[result.rollups["level"] == int(Level.COMMUNE), "code"]
        sources = sources[member_of(sources["commune_code"], communes)]
    return replace(view, result=result, models=placed, root=root, village_sources=sources)


def with_no_data_areas_of(store: Store, view: CoverageView) -> CoverageView:
    """``view`` with the areas of its communes whose villages are unknown (old geometry of
    the predecessors without a village list), for the map to grey."""
    communes = view.result.rollups[view.result.rollups["level"] == int(Level.COMMUNE)]
    sources = view.village_sources
    if sources is None:
        return view
    return replace(view, no_data_areas=_areas_without_villages(store, communes, sources))


def no_data_areas_of(store: Store, view: CoverageView) -> NoDataAreas:
    """The no-data areas of all of ``view`` (kept without unit geometry), each with its
    commune's bounds: only the communes greyed whole or in part are read with geometry."""
    sources = view.village_sources
    rollups = view.result.rollups
    greyed = rollups[
        (rollups["level"] == int(Level.COMMUNE)).to_numpy()
        & member_of(rollups["data_status"], GREYED_STATUSES)
    ]
    if sources is None or greyed.empty:
        return NoDataAreas.none()
    # In code order, as a bbox read of the communes gives them.
    communes = with_unit_geometry(store, view.as_of, greyed.sort_values("code", kind="stable"))
    areas = _areas_without_villages(store, communes, sources)
    bounds = store.bbox_bounds(shapely.bounds(communes.geometry.to_numpy()))
    return NoDataAreas.of(areas, communes["code"], bounds)


def _areas_without_villages(
    store: Store, communes: gpd.GeoDataFrame, sources: pd.DataFrame
) -> gpd.GeoDataFrame:
    """``village_lists.areas_without_villages`` of ``communes`` (with geometry), the old
    geometry of their sources without a village list read from the store."""
    partial = communes.loc[communes["data_status"] == DATA_PARTIAL, "code"]
    known = sources["villages_known"].astype(bool)
    unknown = sources[member_of(sources["commune_code"], partial) & ~known]
    codes = tuple(sorted(set(unknown["source_code"])))
    old = store.units(UnitQuery(level=int(Level.COMMUNE), codes=codes))
    return areas_without_villages(communes, sources, old)


def with_unit_geometry(store: Store, as_of: date, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` (units of the tree of ``as_of``) with their geometry read from the store:
    only the rows given are read."""
    query = UnitQuery(as_of=as_of, codes=tuple(frame["code"]), columns=("code",))
    shapes = store.units(query).set_index("code").geometry
    out = frame.copy()
    out["geometry"] = gpd.GeoSeries(
        shapes.reindex(frame["code"]).to_numpy(), index=frame.index, crs=shapes.crs
    )
    return gpd.GeoDataFrame(out, geometry="geometry", crs=shapes.crs)


def models_as_of(
    store: Store, as_of: date, root: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    """All models (any status) and their teams placed in the tree of ``as_of``, or in the
    subtree of ``root``: those set up in it and those with a team in it.

    Returns (models, teams, units) with unit codes resolved to that tree; ``units`` (no
    geometry) names the units of the tree, and of the teams' units outside the subtree.
    """
    register = read_register(store, as_of, root, with_geometry=False)
    models, teams, units = register.models, register.teams, register.units
    if root is not None:
        keep = set(units["code"])
        inside = set(teams.loc[member_of(teams["unit_code"], keep), "model_id"])
        models = models[
            member_of(models["unit_code"], keep) | member_of(models["model_id"], inside)
        ]
        teams = teams[member_of(teams["model_id"], models["model_id"])]
        elsewhere = tuple(sorted(set(teams["unit_code"].dropna()) - keep))
        if elsewhere:
            query = UnitQuery(as_of=as_of, codes=elsewhere, with_geometry=False)
            units = pd.concat([units, store.units(query)], ignore_index=True)
    return models, teams, units

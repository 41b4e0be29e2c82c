"""The feature collections of the OGC API: what each holds, its columns and its filters.

Every collection is a view of one day's coverage (``CoverageView``): villages with their
coverage, the roll-ups of communes, districts and provinces, the gap list (villages
without a qualifying model) and the model sites. Sites carry counts, the model type and
unit codes only: no names of people are held anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo_service.api.views import ROLLUP_COLUMNS, VILLAGE_COLUMNS
from geo_service.coverage.compute import (
    DATA_COMPLETE,
    DATA_NONE,
    DATA_PARTIAL,
    VILLAGE_STATUS_COVERED,
    VILLAGE_STATUS_UNCOVERED,
)
from geo_service.coverage.reads import CoverageView
from geo_service.domain import WGS84, Level

# How the coverage a collection shows is filtered: by these parameters (not properties).
PARENT = "parent"
MODEL_TYPE = "model_type"
SITE_COLUMNS = [
    "site_id",
    "model_id",
    "type_code",
    "counts_as_model",
    "unit_code",
    "level",
    "teams",
    "members",
    "households",
    "cameras",
]


@dataclass(frozen=True)
class Queryable:
    """A property filter: ``column`` equal to the value, or (``column`` None) a filter
    applied when coverage is read (the subtree of ``parent``, the policy's model type)."""

    description: str
    column: str | None = None
    values: tuple[str, ...] | None = None
    integer: bool = False


@dataclass(frozen=True)
class FeatureCollectionSpec:
    id: str
    title: str
    description: str
    columns: list[str]
    queryables: dict[str, Queryable]
    features: Callable[[CoverageView], gpd.GeoDataFrame]
    place_names: bool = False
    id_column: str = "code"
    # Units, drawn with their stored geometry (read for a bbox or a page); otherwise the
    # features carry their own (model sites at their unit's label point).
    unit_geometry: bool = True
    # The level of the units the collection holds, when it holds one level (a bbox then
    # reads that level's units only).
    level: int | None = None

    def allowed_values(self) -> dict[str, tuple[str, ...] | None]:
        return {name: q.values for name, q in self.queryables.items()}


_PARENT = Queryable("code of a unit: only features in its subtree (e.g. one commune's)")
_POLICY_TYPE = Queryable(
    "model type code: coverage then means 'has an active model of this type' "
    "(as GEO_SERVICE_COVERAGE__REQUIRED_TYPES would)"
)
_VILLAGE_STATUS = Queryable(
    "covered or uncovered",
    column="status",
    values=(VILLAGE_STATUS_COVERED, VILLAGE_STATUS_UNCOVERED),
)
_DATA_STATUS = Queryable(
    "how complete the unit's village list is",
    column="data_status",
    values=(DATA_COMPLETE, DATA_PARTIAL, DATA_NONE),
)


def _villages(view: CoverageView) -> gpd.GeoDataFrame:
    return view.result.villages


def _gaps(view: CoverageView) -> gpd.GeoDataFrame:
    villages = view.result.villages
    return villages[~villages["covered"].astype(bool)]


def _rollups(level: Level) -> Callable[[CoverageView], gpd.GeoDataFrame]:
    def at_level(view: CoverageView) -> gpd.GeoDataFrame:
        rollups = view.result.rollups
        return rollups[rollups["level"] == int(level)]

    return at_level


def _sites(view: CoverageView) -> gpd.GeoDataFrame:
    """One feature per (model, unit) site, drawn at the unit's label point."""
    units = pd.concat(
        [
            frame[["code", "level", "label_lon", "label_lat"]]
            for frame in (view.result.villages, view.result.rollups)
        ],
        ignore_index=True,
    )
    sites = view.result.sites.merge(
        units.rename(columns={"code": "unit_code"}), on="unit_code", how="left"
    )
    sites = sites.assign(
        site_id=sites["model_id"].astype(str) + "@" + sites["unit_code"].astype(str)
    )
    points = gpd.points_from_xy(sites["label_lon"], sites["label_lat"], crs=WGS84)
    return gpd.GeoDataFrame(sites, geometry=points, crs=WGS84)


def _rollup_collection(id_: str, title: str, level: Level) -> FeatureCollectionSpec:
    return FeatureCollectionSpec(
        id=id_,
        title=title,
        description=(
            f"{title} with the coverage of their villages rolled up: villages covered of "
            "the total, coverage %, models, teams and counts, and how complete the village "
            "list is (no_data: no village counts)."
        ),
        columns=ROLLUP_COLUMNS,
        queryables={PARENT: _PARENT, MODEL_TYPE: _POLICY_TYPE, "data_status": _DATA_STATUS},
        features=_rollups(level),
        level=int(level),
    )


_VILLAGE_COLUMNS = [*VILLAGE_COLUMNS, "district_name", "province_name"]

COLLECTIONS: dict[str, FeatureCollectionSpec] = {
    spec.id: spec
    for spec in (
        FeatureCollectionSpec(
            id="villages",
            title="Villages",
            description=(
                "Villages and residential groups (thôn, tổ dân phố, ...) with their coverage "
                "by community security self-management models."
            ),
            columns=_VILLAGE_COLUMNS,
            queryables={PARENT: _PARENT, MODEL_TYPE: _POLICY_TYPE, "status": _VILLAGE_STATUS},
            features=_villages,
            place_names=True,
            level=int(Level.VILLAGE),
        ),
        _rollup_collection("communes", "Communes", Level.COMMUNE),
        _rollup_collection("districts", "Districts", Level.DISTRICT),
        _rollup_collection("provinces", "Provinces", Level.PROVINCE),
        FeatureCollectionSpec(
            id="gaps",
            title="Gap list: uncovered villages",
            description=(
                "Villages with no qualifying active model: where planners send new teams."
            ),
            columns=_VILLAGE_COLUMNS,
            queryables={PARENT: _PARENT, MODEL_TYPE: _POLICY_TYPE},
            features=_gaps,
            place_names=True,
            level=int(Level.VILLAGE),
        ),
        FeatureCollectionSpec(
            id="model-sites",
            title="Model sites",
            description=(
                "Active models at each unit they work in (a village, or the commune for "
                "commune-wide models), at the unit's label point: model type, unit code and "
                "counts only."
            ),
            columns=SITE_COLUMNS,
            queryables={
                PARENT: _PARENT,
                MODEL_TYPE: Queryable("model type code of the site's model", column="type_code"),
                "level": Queryable(
                    "level of the site's unit: 3 a commune, 4 a village",
                    column="level",
                    values=(str(int(Level.COMMUNE)), str(int(Level.VILLAGE))),
                    integer=True,
                ),
            },
            features=_sites,
            id_column="site_id",
            unit_geometry=False,
        ),
    )
}
